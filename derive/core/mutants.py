r"""Mutation test of the registry: every mechanical change of a statement must fail to prove.

For each relation of an identity's statement, :func:`mutants` makes the mechanical mutants

* ``2×lhs``, ``2×rhs`` — a side multiplied by 2;
* ``lhs+1``, ``rhs+1`` — 1 added to a side;
* ``−lhs``, ``−rhs`` — a side's sign flipped;
* ``drop f`` — one factor of a side's outermost product dropped;
* ``swap j,k`` — two free indices exchanged on the right-hand side.

An inequality gets only the mutants that make it *false* when it is true, since a weaker claim
(:math:`X + 1 \ge Y`, :math:`X \le 2Y` for Y > 0, a positive factor dropped from a sign claim)
still holds: ``negated`` (:math:`X \ge Y` → :math:`X < Y`), ``stronger+1`` (:math:`X \ge Y + 1`),
and the sign flip of a side when the other side is 0 (:math:`-X \ge 0`).
:data:`STILL_TRUE` lists, with the reason, the few equation mutants that are true claims of their
own (they prove, rightly).

A mutant that SymPy finds equivalent to the original — the same relation, or lhs − rhs a nonzero
(for an inequality: positive) constant multiple of the original's, as :math:`2X = 0` is of
:math:`X = 0` — is *skipped* and counted.  Every other mutant is meaning-changing and must be
*killed*: :func:`~derive.core.theorem.decide`, with the identity's own readings, does not prove it.
(The other relations of the statement and the lemmas are those of the original, which prove, so
the mutated identity fails exactly when the mutated relation does:
``identity.with_statement(mutated).prove()`` is not proved.)
"""
from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import sympy as sp

from .theorem import Identity, decide

__all__ = ["Mutant", "Score", "mutants", "score", "score_all", "equivalent", "STILL_TRUE"]

_REL = (sp.Eq, sp.Ge, sp.Gt, sp.Le, sp.Lt)
_STRONGER_ON_RHS = (sp.Ge, sp.Gt)  # X ≥ Y: adding 1 to Y makes the claim stronger


@dataclass(frozen=True)
class Mutant:
    """One mutant: which relation of the statement (0-based), how it was made, and the result."""

    part: int
    how: str
    relation: sp.Basic


@dataclass
class Score:
    """The mutation score of one identity: mutants tried, killed and skipped (equivalent), and
    the survivors (meaning-changing mutants that still proved: a defect)."""

    id: str
    tried: int = 0
    killed: int = 0
    skipped: int = 0
    survivors: list = field(default_factory=list)
    seconds: float = 0.0
    still_true: int = 0  # proved mutants listed in STILL_TRUE (true claims; counted as skipped)

    def as_dict(self) -> dict:
        return {"id": self.id, "tried": self.tried, "killed": self.killed, "skipped": self.skipped,
                "still_true": self.still_true,
                "survivors": [f"part {m.part + 1}, {m.how}: {m.relation}" for m in self.survivors],
                "seconds": round(self.seconds, 3)}


def _is_matrix(e) -> bool:
    return isinstance(e, (sp.MatrixBase, sp.MatrixExpr))


def _rebuild(rel: sp.Basic, lhs: sp.Basic, rhs: sp.Basic) -> sp.Basic:
    return type(rel)(lhs, rhs, evaluate=False)


def _outer_mul(e: sp.Basic) -> sp.Basic | None:
    """The outermost product in ``e`` (preorder), if any."""
    for x in sp.preorder_traversal(e):
        if isinstance(x, (sp.Mul, sp.MatMul)) and len(x.args) >= 2:
            return x
    return None


def _free_indices(e: sp.Basic) -> list:
    """Integer symbols used as indices of ``Indexed`` objects and not bound by a sum."""
    bound = set()
    for s in e.atoms(sp.Sum):
        bound |= {lim[0] for lim in s.limits}
    out = set()
    for x in e.atoms(sp.Indexed):
        for ix in x.indices:
            out |= {s for s in ix.free_symbols if s.is_integer} - bound
    return sorted(out - bound, key=str)


_NEGATION = {sp.Ge: sp.Lt, sp.Gt: sp.Le, sp.Le: sp.Gt, sp.Lt: sp.Ge}

#: Equation mutants that are true claims of their own, with the reason: (id, part, how) -> why.
STILL_TRUE: dict[tuple[str, int, str], str] = {
    ("perceptron_limit", 1, "drop z"): "lim σ(c) = 1 as c → ∞ holds too: z > 0 only rescales c",
    ("cross_entropy_nonnegative", 3, "stronger+1"):
        "∂²C/∂a² = y/a² + (1 − y)/(1 − a)² > 1 on 0 < a < 1 too: 1/a² > 1 and 1/(1 − a)² > 1",
}


def _inequality_mutants(rel: sp.Basic) -> Iterable[tuple[str, sp.Basic]]:
    lhs, rhs = rel.lhs, rel.rhs
    yield "negated", _NEGATION[type(rel)](lhs, rhs, evaluate=False)
    if isinstance(rel, _STRONGER_ON_RHS):
        yield "stronger+1", _rebuild(rel, lhs, rhs + 1)
    else:
        yield "stronger+1", _rebuild(rel, lhs + 1, rhs)
    if rhs == 0:
        yield "−lhs", _rebuild(rel, -lhs, rhs)
    if lhs == 0:
        yield "−rhs", _rebuild(rel, lhs, -rhs)


def _side_mutants(rel: sp.Basic) -> Iterable[tuple[str, sp.Basic]]:
    lhs, rhs = rel.lhs, rel.rhs
    if not isinstance(rel, sp.Eq):
        yield from _inequality_mutants(rel)
        return
    for name, side in (("lhs", lhs), ("rhs", rhs)):
        put = (lambda s: _rebuild(rel, s, rhs)) if name == "lhs" else (lambda s: _rebuild(rel, lhs, s))
        yield f"2×{name}", put(2 * side)
        if not _is_matrix(side):
            yield f"{name}+1", put(side + 1)
        yield f"−{name}", put(-side)
        mul = _outer_mul(side)
        if mul is not None:
            for t, f in enumerate(mul.args[:4]):
                rest = [g for u, g in enumerate(mul.args) if u != t]
                try:
                    smaller = mul.func(*rest) if len(rest) > 1 else rest[0]
                    yield f"drop {f}", put(side.xreplace({mul: smaller}))
                except (TypeError, ValueError, sp.ShapeError):
                    continue
    for p, q in itertools.combinations(_free_indices(rel), 2):
        yield f"swap {p},{q}", _rebuild(rel, lhs, rhs.xreplace({p: q, q: p}))


def mutants(statement: Sequence[sp.Basic]) -> list[Mutant]:
    """The mechanical mutants of each relation of ``statement`` (``And``/``Equivalent``: of each
    of their relations), in order."""
    out = []
    for k, rel in enumerate(statement):
        for how, m in _mutate(rel):
            out.append(Mutant(k, how, m))
    return out


def _mutate(rel: sp.Basic) -> Iterable[tuple[str, sp.Basic]]:
    if isinstance(rel, (sp.And, sp.Equivalent)):
        for t, arg in enumerate(rel.args):
            for how, m in _mutate(arg):
                args = list(rel.args)
                args[t] = m
                yield f"{type(rel).__name__} arg {t + 1}, {how}", type(rel)(*args, evaluate=False)
        return
    if isinstance(rel, _REL):
        try:
            yield from _side_mutants(rel)
        except (TypeError, ValueError, sp.ShapeError):
            return


def _difference(rel: sp.Basic) -> sp.Basic:
    return rel.lhs - rel.rhs


def equivalent(m: sp.Basic, rel: sp.Basic) -> bool:
    """SymPy finds mutant ``m`` equivalent to ``rel``: equal, or (relation by relation) lhs − rhs
    a nonzero constant multiple of the original's (a positive one for an inequality)."""
    if m == rel:
        return True
    if type(m) is not type(rel):
        return False
    if isinstance(rel, (sp.And, sp.Equivalent)):
        return len(m.args) == len(rel.args) and all(equivalent(a, b) for a, b in zip(m.args, rel.args))
    if not isinstance(rel, _REL):
        return False
    try:
        dm, do = _difference(m), _difference(rel)
        if _is_matrix(dm) or _is_matrix(do):
            return dm == do or sp.simplify(dm - do) == sp.ZeroMatrix(*do.shape)
        ratio = sp.cancel(sp.expand(dm) / sp.expand(do))
    except (TypeError, ValueError, ZeroDivisionError, sp.ShapeError, AttributeError):
        return False
    if not (ratio.is_number and ratio.is_nonzero):
        return False
    return isinstance(rel, sp.Eq) or bool(ratio.is_positive)


def score(identity: Identity) -> Score:
    """Mutate every relation of ``identity``'s statement and decide each meaning-changing mutant
    with the identity's readings (and facts); a killed mutant is one that is not proved."""
    t0 = time.perf_counter()
    d = identity.derivation
    s = Score(identity.id)
    for m in mutants(d.statement):
        s.tried += 1
        if equivalent(m.relation, d.statement[m.part]):
            s.skipped += 1
            continue
        if decide(m.relation, d.readings, d.facts).proved:
            if (identity.id, m.part + 1, m.how) in STILL_TRUE:
                s.skipped += 1
                s.still_true += 1
            else:
                s.survivors.append(m)
        else:
            s.killed += 1
    s.seconds = time.perf_counter() - t0
    return s


def score_all(identities: Iterable[Identity]) -> list[Score]:
    """:func:`score` of each of ``identities`` that is expected to prove.  (The caller names them,
    e.g. ``derive.REGISTRY.values()``: this module knows no registry, since the engine's holds only
    the chapters imported so far.)"""
    return [score(idy) for idy in identities if idy.expect == "proved"]
