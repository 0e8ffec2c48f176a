"""Theorems: a named identity, the derivation a reader would write, and its exact proof.

An :class:`Identity` is registered with the :func:`theorem` decorator on a function that *builds* its
:class:`Derivation` (statement, steps, proof obligations).  Building is lazy and cached, so importing
``derive`` is cheap; :meth:`Identity.prove` runs the obligations and times them.

Every obligation returns an :class:`~derive.core.outcome.Outcome`; an identity is *proved* when every
obligation is, *refuted* when one of them has a concrete counterexample, *undecided* otherwise.

**The statement is the theorem.**  Besides its lemmas (``obligations``), every derivation carries
its :class:`Reading` s: the definitions it substitutes into the statement (``∂C/∂b^l_j`` → the chain
rule through ``z^l``, a name → the expression it names, ...) and the rewrite its proof relies on.
:meth:`Identity.prove` decides *each relation of the statement itself* first (:func:`decide`):
an ``Eq`` when lhs − rhs, definitions substituted, reduces to exactly 0 by the exact ladder of
:mod:`derive.core.prover`; an inequality by an exact sign (SymPy's assumptions); ``And`` part by part;
``Equivalent`` of two relations of one kind when their differences are a positive multiple of
each other.  So a changed statement can only make the proof fail.
:meth:`Identity.with_statement` proves other relations with the same machinery.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, Mapping, Sequence

import sympy as sp

from .clock import now
from .outcome import PROVED, REFUTED, UNDECIDED, Counterexample, Outcome, Status, combine
from .prover import find_counterexample, reduces_to_zero

#: The book's order of topics; the report groups identities by these, in this order.
GROUPS: dict[str, str] = {
    "neurons": "Perceptrons and sigmoid neurons",
    "cost": "The quadratic cost and gradient descent",
    "backprop": "Backpropagation",
    "cross_entropy": "The cross-entropy cost",
    "softmax": "Softmax and the log-likelihood cost",
    "regularization": "Regularization",
    "hessian": "The Hessian technique",
    "r_operator": "The Hessian technique, used: Hessian-vector products (the R-operator)",
    "activations": "Other activation functions",
    "stable": "Numerically stable forms",
    "slips": "Transcribed slips (expected to be refuted)",
}


@dataclass(frozen=True)
class Step:
    """One line of a derivation: an expression (usually an ``Eq``) and the reason it follows."""

    expr: sp.Basic
    reason: str


@dataclass(frozen=True)
class Part:
    """Which part of a statement is proved for symbolic sizes (``general``) and which was checked
    at concrete sizes (``checked_at``, e.g. ``"n = 2, 3, 4"``)."""

    text: str
    general: bool
    checked_at: str = ""

    def as_dict(self) -> dict:
        return {"text": self.text, "general": self.general, "checked_at": self.checked_at}


@dataclass(frozen=True)
class Reading:
    r"""One way of deciding the statement's relations: substitute ``definitions`` (an ``xreplace``
    table, applied until nothing changes; or a callable on the relation's difference), apply
    ``prepare`` (a targeted rewrite, named ``prepare_name``), then reduce with ``methods`` of the
    exact ladder, or with ``zero`` (a callable deciding ``e == 0`` exactly, returning the method
    name or None).

    ``at`` names the concrete sizes the reading substitutes ("" for symbolic sizes).  A relation
    is proved when one reading proves it.  ``refutable``: the definitions use no hypothesis beyond
    the symbols' own assumptions, so a concrete counterexample after substitution refutes (only
    where the substituted sides are plain: no sums, indices, unevaluated derivatives or undefined
    functions, whose symbols are not free variables).  The default reading takes the statement
    literally and is refutable.
    ``cases``: a case split (each an ``xreplace`` table or a callable, applied after the
    definitions): the reading proves a relation only when every case does.  ``endpoints``
    ``(s, lo, hi)``: lhs − rhs is linear in s, so it is decided at s = lo and s = hi (a linear
    function on [lo, hi] is ≥ 0, or 0, when it is at both ends).  ``each_side``: ``prepare``
    rewrites each side rather than their difference (a normal form such as one nest of sums).
    ``applies_to``: the reading decides only relations whose left-hand side contains this
    (a reading whose definitions hold for one quantity, e.g. a step of an induction).
    ``decides``: a decision procedure that takes the relation itself (its own sides) and returns
    an :class:`~derive.core.outcome.Outcome`, used instead of the definitions and the ladder.
    """

    definitions: Mapping | Callable[[sp.Basic], sp.Basic] = field(default_factory=dict)
    prepare: Callable[[sp.Basic], sp.Basic] | None = None
    prepare_name: str = ""
    methods: Sequence[str] = ("structural", "doit", "expand", "cancel")
    zero: Callable[[sp.Basic], str | None] | None = None
    at: str = ""
    refutable: bool = False
    cases: Sequence[Mapping | Callable[[sp.Basic], sp.Basic]] = ()
    endpoints: tuple | None = None
    each_side: bool = False
    applies_to: sp.Basic | None = None
    decides: Callable[[sp.Basic], Outcome] | None = None


@dataclass(frozen=True)
class Derivation:
    """What an identity claims and how it is shown.

    ``statement``: the claim as SymPy relations (``Eq``, ``Ge``, ...): shown to the reader *and*
    decided by :func:`decide` through the ``readings``.
    ``steps``: the derivation a careful reader would write.
    ``obligations``: the lemmas the readings rely on (a rewrite rule, a concrete-network check of
    the code that implements the statement, ...), each a zero-argument callable.
    ``readings``: how the statement's relations are decided (:class:`Reading`).
    ``facts``: relations that are not algebraic (a limit, an equivalence of vector equations),
    each decided by its own check, and only when the statement holds exactly that relation.
    ``parts``: which parts are proved for symbolic sizes and which at stated sizes.
    ``repaired``: for a recorded slip, the statement it should have made (proved by the readings).
    ``assumptions``: the hypotheses, in words (and in the symbols' SymPy assumptions).
    """

    statement: Sequence[sp.Basic]
    steps: Sequence[Step]
    obligations: Sequence[Callable[[], Outcome]]
    assumptions: str = ""
    readings: Sequence[Reading] = (Reading(refutable=True),)
    repaired: Sequence[sp.Basic] = ()
    facts: Mapping[sp.Basic, Callable[[], Outcome]] = field(default_factory=dict)
    parts: Sequence[Part] = ()


@dataclass(frozen=True, kw_only=True)
class Proof(Outcome):
    """The :class:`~derive.core.outcome.Outcome` of proving one identity: its ``status``,
    ``method``, ``counterexample``, ``detail`` and ``seconds`` (the time of building and proving),
    with the identity's ``id`` and ``title``, the status it is ``expected`` to end with, whether
    it was read from the proof cache (``cached``, :mod:`derive.core.cache`), when the obligations
    ran (``proved_at``, ISO 8601, UTC) and its ``parts``."""

    id: str
    title: str
    expected: Status = PROVED
    cached: bool = False
    proved_at: str | None = None
    parts: tuple[Part, ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "expected", Status(self.expected))

    @property
    def ok(self) -> bool:
        """True when the identity ended as expected (proved, or refuted for a recorded slip)."""
        return self.status == self.expected

    def as_dict(self) -> dict:
        d = {"id": self.id, "title": self.title, "status": self.status, "method": self.method,
             "seconds": round(self.seconds, 4), "expected": self.expected}
        if self.counterexample is not None:
            d["counterexample"] = self.counterexample
        if self.detail:
            d["detail"] = self.detail
        d["cached"] = self.cached
        if self.proved_at is not None:
            d["proved_at"] = self.proved_at
        d["parts"] = [p.as_dict() for p in self.parts]
        return d


@dataclass
class Identity:
    """A named identity of the notes: stable ``id``, ``title``, book ``equation`` number, ``group``."""

    id: str
    title: str
    group: str
    build: Callable[[], Derivation] = field(repr=False)
    equation: str | None = None
    expect: Status = PROVED  #: how it must end: proved, or refuted (a recorded slip)
    note: str = ""

    @cached_property
    def derivation(self) -> Derivation:
        return self.build()

    @property
    def statement(self) -> Sequence[sp.Basic]:
        return self.derivation.statement

    @property
    def steps(self) -> Sequence[Step]:
        return self.derivation.steps

    @property
    def parts(self) -> Sequence[Part]:
        return self.derivation.parts

    def prove(self) -> Proof:
        """Decide every relation of the statement (:func:`decide`), then run every lemma; exact
        methods only (see :mod:`derive.core.prover`).  Stops at the first part that is not proved."""
        t0 = time.perf_counter()  # the time includes building the derivation
        d = self.derivation
        outcome = combine(_run(d))
        seconds = time.perf_counter() - t0
        return self.proof_of(outcome, seconds, proved_at=now())

    def proof_of(self, outcome: Outcome, seconds: float, *, cached: bool = False,
                 proved_at: str | None = None) -> Proof:
        """The :class:`Proof` of this identity with ``outcome`` (fresh, or read from the cache)."""
        proof = Proof(status=outcome.status, method=outcome.method,
                      counterexample=outcome.counterexample, detail=outcome.detail, seconds=seconds,
                      id=self.id, title=self.title, expected=self.expect, cached=cached,
                      proved_at=proved_at, parts=tuple(self.derivation.parts))
        self.__dict__["last_proof"] = proof  # what Jupyter's display shows beside the statement
        return proof

    def with_statement(self, relations: Sequence[sp.Basic]) -> "Identity":
        """A copy of this identity whose statement is ``relations``: its :meth:`prove` decides
        them with this derivation's readings and lemmas.  A relation the readings cannot reduce
        is undecided (refuted only by a concrete counterexample), never proved."""
        relations = tuple(sp.sympify(r) for r in relations)
        derivation = dataclasses.replace(self.derivation, statement=relations)
        copy = dataclasses.replace(self, build=lambda: derivation)
        copy.__dict__["derivation"] = derivation
        return copy

    # Jupyter display: the status and method beside the statement (the identity is proved the
    # first time it is shown), by the views registered with register_view (derive.core.display
    # the LaTeX, gradproof.reports the HTML when it is imported); none: Jupyter shows the repr.
    def _repr_latex_(self) -> str | None:
        return self._view("latex")

    def _repr_html_(self) -> str | None:
        return self._view("html")

    def _view(self, kind: str) -> str | None:
        render = _VIEWS.get(kind)
        if render is None:
            return None
        return render(self, self.__dict__.get("last_proof") or self.prove())


#: How Jupyter shows an identity: ``"latex"``/``"html"`` -> ``render(identity, proof) -> text``.
_VIEWS: dict[str, Callable[[Identity, Proof], str]] = {}


def register_view(kind: str, render: Callable[[Identity, Proof], str]) -> None:
    """Let Jupyter show every identity as ``kind`` (``"latex"`` or ``"html"``) with
    ``render(identity, proof)``; a later registration of the same kind replaces the earlier one.
    Called by the module that renders (``derive.core.display`` for LaTeX, ``gradproof.reports``
    for HTML), so that this module knows nothing of either."""
    if kind not in ("latex", "html"):
        raise ValueError(f"register_view: kind must be 'latex' or 'html', not {kind!r}")
    _VIEWS[kind] = render


def _run(d: Derivation) -> list[Outcome]:
    """The statement's relations (cheap and decisive), then the lemmas; stop at the first
    part that is not proved."""
    out: list[Outcome] = []
    if not d.statement:
        return [Outcome(UNDECIDED, "none", detail="the identity has no statement")]
    for k, rel in enumerate(d.statement):
        o = decide(rel, d.readings, d.facts)
        if not o.proved:
            return [Outcome(o.status, o.method, o.counterexample,
                            f"statement part {k + 1}: {o.detail}")]
        out.append(o)
    for ob in d.obligations:
        o = ob()
        out.append(o)
        if not o.proved:
            break
    return out


# --- deciding a relation of the statement ------------------------------------------------------

_INEQ = {sp.Gt: "is_positive", sp.Lt: "is_negative", sp.Ge: "is_nonnegative",
         sp.Le: "is_nonpositive"}
_MAX_PASSES = 8


def _substitute(e: sp.Basic, r: Reading) -> sp.Basic:
    if callable(r.definitions):
        return r.definitions(e)
    for _ in range(_MAX_PASSES):
        new = e.xreplace(r.definitions)
        if new == e:
            break
        e = new
    return e


def _is_matrix(e) -> bool:
    return isinstance(e, (sp.MatrixBase, sp.MatrixExpr))


def _instances(rel: sp.Basic, r: Reading) -> list[sp.Basic]:
    """lhs − rhs of ``rel`` in reading ``r``: definitions substituted, then each case, then the
    rewrite; at both ends of ``r.endpoints`` when it is given (after checking linearity)."""
    if r.applies_to is not None and not rel.lhs.has(r.applies_to):
        raise ValueError("the reading does not apply to this relation")
    lhs, rhs = _substitute(rel.lhs, r), _substitute(rel.rhs, r)
    out = []
    for c in (r.cases or (None,)):
        case = (lambda e: e) if c is None else (c if callable(c) else (lambda e: e.xreplace(c)))
        if r.prepare is not None and r.each_side:
            out.append(r.prepare(case(lhs)) - r.prepare(case(rhs)))
            continue
        d = case(lhs) - case(rhs)
        out.append(r.prepare(d) if r.prepare is not None else d)
    if r.endpoints is not None:
        s, lo, hi = r.endpoints
        if any(_is_matrix(d) or sp.diff(d, s, 2) != 0 or d.diff(s).has(s) for d in out):
            raise ValueError("not linear in the endpoint symbol")
        out = [d.xreplace({s: v}) for d in out for v in (lo, hi)]
    return out


def _zero(e: sp.Basic, r: Reading) -> str | None:
    """The method that shows ``e`` (one instance of lhs − rhs) is 0 in reading ``r``, or None."""
    if _is_matrix(e) and r.zero is not None:
        return r.zero(e)  # a matrix expression of symbolic shape: the reading's own algebra
    if _is_matrix(e):
        try:
            entries = list(sp.ImmutableMatrix(e.as_explicit()) if isinstance(e, sp.MatrixExpr) else e)
        except (ValueError, TypeError, AttributeError):
            return None  # a symbolic shape: not this reading's business
        methods = set()
        for x in entries:
            m = _zero_scalar(x, r)
            if m is None:
                return None
            methods.add(m)
        return "every entry, " + "/".join(sorted(methods))
    return _zero_scalar(e, r)


def _zero_scalar(e: sp.Basic, r: Reading) -> str | None:
    if r.zero is not None:
        return r.zero(e)
    for m in r.methods:
        try:
            if reduces_to_zero(e, m):
                return m
        except (TypeError, ValueError, AttributeError, NotImplementedError):
            return None
    return None


def _sign(e: sp.Basic, attr: str) -> str | None:
    """The exact sign check that shows ``getattr(e, attr)`` (SymPy's assumptions), or None."""
    for name, f in (("sign", lambda x: x), ("factor, sign", sp.factor),
                    ("together, sign", sp.together), ("cancel, sign", sp.cancel)):
        try:
            if getattr(f(e), attr) is True:
                return name
        except (TypeError, ValueError, AttributeError, NotImplementedError, RecursionError):
            continue
    return None


_UNPLAIN = (sp.Sum, sp.Product, sp.Integral, sp.Derivative, sp.Subs, sp.Indexed, sp.Limit,
            sp.KroneckerDelta)


def _plain(e: sp.Basic) -> bool:
    """No sums, indices, unevaluated derivatives or undefined functions: every free symbol is a
    variable, so values at a point decide (a concrete counterexample refutes)."""
    return not e.atoms(*_UNPLAIN) and not e.atoms(sp.core.function.AppliedUndef)


def _vacuous(rel: sp.Basic) -> bool:
    """lhs and rhs are one expression before any definition is substituted."""
    try:
        return rel.lhs == rel.rhs or (not _is_matrix(rel.lhs) and rel.lhs - rel.rhs == 0)
    except (TypeError, ValueError):
        return False


def _method(r: Reading, m: str) -> str:
    s = f"{r.prepare_name}, {m}" if r.prepare_name else m
    return f"{s} (at {r.at})" if r.at else s


def decide(rel: sp.Basic, readings: Sequence[Reading],
           facts: Mapping[sp.Basic, Callable[[], Outcome]] | None = None) -> Outcome:
    """Decide one relation of a statement through ``readings`` (see :class:`Reading`); a relation
    that is a key of ``facts`` is decided by its check instead.  Proved only by an exact method."""
    if facts and rel in facts:
        return facts[rel]()
    if isinstance(rel, sp.logic.boolalg.BooleanAtom):
        return Outcome(UNDECIDED, "statement", detail=f"the relation evaluated to {rel} when "
                                                      "built: nothing to prove")
    if isinstance(rel, (sp.Eq, *_INEQ)) and _vacuous(rel):
        return Outcome(UNDECIDED, "statement", detail=f"{rel} compares an expression with itself: "
                                                      "nothing to prove")
    for r in readings:
        if r.decides is not None and (r.applies_to is None or rel.has(r.applies_to)):
            try:
                o = r.decides(rel)
            except Exception as exc:  # noqa: BLE001 - a failing procedure decides nothing
                o = Outcome(UNDECIDED, "statement", detail=f"{type(exc).__name__}: {exc}")
            if o.proved or o.status is REFUTED:
                return o
    readings = [r for r in readings if r.decides is None]
    if isinstance(rel, sp.And):
        return combine([decide(x, readings, facts) for x in rel.args])
    if isinstance(rel, sp.Equivalent) and len(rel.args) == 2:
        return _equivalent(*rel.args, readings)
    if isinstance(rel, sp.Eq):
        return _equation(rel, readings)
    if type(rel) in _INEQ:
        return _inequality(rel, readings)
    return Outcome(UNDECIDED, "statement",
                   detail=f"no reading decides a {type(rel).__name__} relation")


def _equation(rel: sp.Eq, readings: Sequence[Reading]) -> Outcome:
    for r in readings:
        try:
            diffs = _instances(rel, r)
        except (TypeError, ValueError, AttributeError, sp.ShapeError):
            continue
        ms = []
        for d in diffs:
            m = _zero(d, r)
            if m is None:
                break
            ms.append(m)
        else:
            return Outcome(PROVED, _method(r, "/".join(dict.fromkeys(ms))))
    for r in readings:  # refute only where the definitions need no hypothesis
        try:
            sides = _refutable_sides(rel, r)
            ce = find_counterexample(*sides) if sides is not None else None
        except (TypeError, ValueError, AttributeError):
            continue
        if ce is not None:
            point, lv, rv = ce
            return Outcome(REFUTED, "counterexample", point, point.describe(lv, rv))
    return Outcome(UNDECIDED, "statement", detail=f"no reading reduces lhs − rhs of {rel} to 0")


def _refutable_sides(rel: sp.Eq, r: Reading) -> tuple[sp.Expr, sp.Expr] | None:
    """Both sides of ``rel`` as the reading ``r`` substitutes them, when a concrete counterexample
    to them refutes ``rel`` (see :class:`Reading`: ``refutable``, and plain sides); else None."""
    if not r.refutable or r.cases or r.endpoints is not None or (
            r.applies_to is not None and not rel.lhs.has(r.applies_to)):
        return None
    lhs, rhs = _substitute(rel.lhs, r), _substitute(rel.rhs, r)
    if _is_matrix(lhs) or _is_matrix(rhs):
        return None
    if r.prepare is not None:
        lhs, rhs = r.prepare(lhs), r.prepare(rhs)
    lhs, rhs = lhs.doit(), rhs.doit()
    return (lhs, rhs) if _plain(lhs) and _plain(rhs) else None


def refuted_at(d: Derivation, point: Mapping[str, str]) -> bool:
    """Whether the statement of ``d`` is certainly false at ``point`` (symbol names -> exact
    rationals, a :class:`~derive.core.outcome.Counterexample`): some equation of it, with its
    sides as a refutable reading substitutes them, certainly has different sides there
    (:func:`~derive.core.prover.find_counterexample` at that one point: certified by interval
    arithmetic, then re-evaluated).  How a refutation read from the proof cache is checked
    before it is shown: cheap, and it trusts nothing but the point."""
    try:
        values = Counterexample(point).exact()
    except (TypeError, ValueError):
        return False
    for rel in d.statement:
        if not isinstance(rel, sp.Eq):
            continue
        for r in d.readings:
            try:
                sides = _refutable_sides(rel, r)
                if sides is None:
                    continue
                by_name = {str(s): s for s in sides[0].free_symbols | sides[1].free_symbols}
                if not set(values) <= set(by_name):
                    continue
                at = {by_name[n]: sp.Rational(q.numerator, q.denominator) for n, q in values.items()}
                if find_counterexample(*sides, trials=0, points=[at], search=False) is not None:
                    return True
            except (TypeError, ValueError, AttributeError, ArithmeticError, RecursionError):
                continue
    return False


def _inequality(rel: sp.Rel, readings: Sequence[Reading]) -> Outcome:
    attr = _INEQ[type(rel)]
    for r in readings:
        try:
            diffs = _instances(rel, r)
        except (TypeError, ValueError, AttributeError):
            continue
        ms = []
        for d in diffs:
            m = None if _is_matrix(d) else _sign(d, attr)
            if m is None:
                break
            ms.append(m)
        else:
            return Outcome(PROVED, _method(r, "/".join(dict.fromkeys(ms))))
    return Outcome(UNDECIDED, "statement", detail=f"no reading shows the sign of lhs − rhs of {rel}")


def _equivalent(p: sp.Basic, q: sp.Basic, readings: Sequence[Reading]) -> Outcome:
    """p ⟺ q for two relations of one kind whose differences are a positive multiple of each
    other (any nonzero multiple for ``Eq``): g ≤ 0 ⟺ c·g ≤ 0 for c > 0."""
    kinds = {sp.Le: sp.Le, sp.Lt: sp.Lt, sp.Ge: sp.Ge, sp.Gt: sp.Gt, sp.Eq: sp.Eq}
    if type(p) not in kinds or type(p) is not type(q):
        return Outcome(UNDECIDED, "statement", detail=f"no reading decides {p} ⟺ {q}")
    for r in readings:
        try:
            (dp,), (dq,) = _instances(p, r), _instances(q, r)
            ratio = sp.cancel(dp / dq)
        except (TypeError, ValueError, ZeroDivisionError):
            continue
        if ratio.is_number and ratio.is_nonzero and (type(p) is sp.Eq or ratio.is_positive):
            return Outcome(PROVED, _method(r, "cancel"))
    return Outcome(UNDECIDED, "statement", detail=f"no reading shows {p} ⟺ {q}")


def generality_summary(proofs: Sequence[Proof]) -> dict:
    """How general the proved statements are: of the identities expected to prove that did,
    ``general`` have every part proved for symbolic sizes, ``at_sizes`` have some part checked
    only at stated sizes (or no parts recorded); ``parts``/``parts_general`` count the parts."""
    proved = [p for p in proofs if p.expected is PROVED and p.status is PROVED]
    general = sum(bool(p.parts) and all(q.general for q in p.parts) for p in proved)
    parts = [q for p in proved for q in p.parts]
    return {"proved": len(proved), "general": general, "at_sizes": len(proved) - general,
            "parts": len(parts), "parts_general": sum(q.general for q in parts)}


#: Every identity, by id, in registration order.
REGISTRY: dict[str, Identity] = {}


def theorem(id: str, title: str, group: str, *, equation: str | None = None,
            expect: Status | str = PROVED, note: str = "") -> Callable:
    """Register the decorated derivation builder as identity ``id``."""
    if group not in GROUPS:
        raise ValueError(f"theorem {id!r}: unknown group {group!r}; use one of {sorted(GROUPS)}")
    if expect not in (PROVED, REFUTED):
        raise ValueError(f"theorem {id!r}: expect must be 'proved' or 'refuted', not {expect!r}")
    expect = Status(expect)

    def register(build: Callable[[], Derivation]) -> Callable[[], Derivation]:
        if id in REGISTRY:
            raise ValueError(f"theorem id {id!r} is registered twice")
        REGISTRY[id] = Identity(id, title, group, build, equation, expect, note)
        return build

    return register
