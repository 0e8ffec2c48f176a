r"""Index-form calculus for layers of symbolic width: Kronecker collapse and sum normalisation.

SymPy differentiates an ``Indexed`` by an ``Indexed`` into Kronecker deltas,
:math:`\partial z_k/\partial z_j = \delta_{jk}`, and leaves sums such as
:math:`\sum_{k=1}^{n} f_k\,\delta_{jk}` unevaluated (``doit`` gives a ``Piecewise`` in the range
condition).  The derivations of backpropagation need one rewriting rule more, written here as an
explicit step and proved once (:func:`kronecker_lemma`):

.. math:: \sum_{k=1}^{n} \delta_{jk} f_k = f_j \qquad (1 \le j \le n).

:func:`collapse_kronecker` applies it everywhere (innermost sums first) and returns the range
conditions it used; :func:`pull_constants` moves factors that do not depend on a summation index
out of the sum; :func:`pull_in` does the converse (a product of sums becomes one nested sum);
:func:`canonical_indices` renames bound indices so that alpha-equivalent sums compare equal.
"""
from __future__ import annotations

import itertools
from functools import lru_cache
from typing import Callable

import sympy as sp

from .outcome import PROVED, UNDECIDED, Outcome

__all__ = ["index", "collapse_kronecker", "pull_constants", "pull_in", "canonical_indices",
           "kronecker_lemma", "KRONECKER_REASON", "collapse_checked"]

#: The reason string of every collapse step in a derivation.
KRONECKER_REASON = "$\\sum_k δ_{jk} f_k = f_j$ for $1 ≤ j ≤ n$ (Kronecker collapse, lemma proved by doit)"


def index(name: str) -> sp.Symbol:
    """A positive integer index symbol (``j``, ``k``, ...) or width (``n_l``)."""
    return sp.Symbol(name, integer=True, positive=True)


def _bound(e: sp.Basic) -> set:
    out: set = set()
    for s in e.atoms(sp.Sum):
        out |= {lim[0] for lim in s.limits}
    return out


def _collapse_term(term: sp.Expr, k: sp.Symbol, lo, hi, conds: list) -> sp.Expr | None:
    """``Σ_k term`` with one factor δ(k, i) (i free of k) collapsed to ``term/δ |_{k=i}``, else None."""
    for f in sp.Mul.make_args(term):
        if not isinstance(f, sp.KroneckerDelta):
            continue
        p, q = f.args
        other = q if p == k else p if q == k else None
        if other is None or other.has(k):
            continue
        rest = term / f
        inner = _bound(rest)
        if k in inner or (other.free_symbols & inner):
            raise ValueError(f"collapse_kronecker: index clash in {term}: the summation index {k} or "
                             f"{other} is bound by an inner sum; use distinct dummy indices")
        conds.append(sp.And(sp.Le(lo, other), sp.Le(other, hi)))
        return rest.xreplace({k: other})
    return None


def collapse_kronecker(expr: sp.Expr) -> tuple[sp.Expr, list]:
    r"""Rewrite every :math:`\sum_{k=lo}^{hi} \delta_{ik} f_k` in ``expr`` to :math:`f_i`.

    Innermost sums first; a sum's summand is expanded into terms and only the terms with a
    Kronecker factor in its index collapse (the others stay summed).  Returns the rewritten
    expression and the range conditions :math:`lo \le i \le hi` that the rule assumed.
    Raises ``ValueError`` when a nested sum binds the same index (rename the dummy index).
    """
    conds: list = []

    def walk(e: sp.Basic) -> sp.Basic:
        if not e.args or e.is_Atom:
            return e
        new = [walk(a) for a in e.args]
        if new != list(e.args):
            e = e.func(*new)
        if isinstance(e, sp.Sum) and len(e.limits) == 1:
            k, lo, hi = e.limits[0]
            out = []
            for t in sp.Add.make_args(sp.expand(e.function, deep=False)):
                c = _collapse_term(t, k, lo, hi, conds)
                out.append(sp.Sum(t, (k, lo, hi)) if c is None else c)
            e = sp.Add(*out)
        return e

    return walk(expr), list(dict.fromkeys(conds))


def pull_constants(expr: sp.Expr) -> sp.Expr:
    r""":math:`\sum_k c\,f_k = c \sum_k f_k` for every factor c free of the summation index
    (and a sum of terms becomes a sum of sums)."""
    def walk(e: sp.Basic) -> sp.Basic:
        if not e.args or e.is_Atom:
            return e
        new = [walk(a) for a in e.args]
        if new != list(e.args):
            e = e.func(*new)
        if isinstance(e, sp.Sum) and len(e.limits) == 1:
            k = e.limits[0][0]
            out = []
            for t in sp.Add.make_args(sp.expand(e.function, deep=False)):
                const, dep = t.as_independent(k, as_Add=False)
                out.append(const * sp.Sum(dep, e.limits[0]) if dep != 1 else
                           const * (e.limits[0][2] - e.limits[0][1] + 1))
            e = sp.Add(*out)
        return e

    return walk(expr)


def pull_in(expr: sp.Expr) -> sp.Expr:
    r"""The converse of :func:`pull_constants`: :math:`c \sum_k f_k = \sum_k c f_k`, recursively,
    so that a product of factors and (nested) sums becomes one nest of sums over a product."""
    def walk(e: sp.Basic) -> sp.Basic:
        if not e.args or e.is_Atom:
            return e
        new = [walk(a) for a in e.args]
        if new != list(e.args):
            e = e.func(*new)
        if isinstance(e, sp.Mul):
            sums = [f for f in e.args if isinstance(f, sp.Sum)]
            if sums:
                s = sums[0]
                rest = sp.Mul(*[f for f in e.args if f is not s])
                k = s.limits[0][0]
                if k in rest.free_symbols:
                    raise ValueError(f"pull_in: the factor {rest} contains the summation index {k}")
                return walk(sp.Sum(rest * s.function, *s.limits))
        return e

    return walk(expr)


_CANON = [sp.Dummy(f"i{n}", integer=True) for n in range(12)]


def canonical_indices(expr: sp.Expr) -> sp.Expr:
    """Rename the bound index of each sum by its nesting depth, so alpha-equivalent sums are equal."""
    def walk(e: sp.Basic, depth: int) -> sp.Basic:
        if not e.args or e.is_Atom:
            return e
        if isinstance(e, sp.Sum):
            # limits are listed innermost first; the outermost gets the lowest depth
            n = len(e.limits)
            ren = {lim[0]: _CANON[depth + n - 1 - t] for t, lim in enumerate(e.limits)}
            limits = [(ren[v], lo.xreplace(ren), hi.xreplace(ren)) for v, lo, hi in e.limits]
            return sp.Sum(walk(e.function.xreplace(ren), depth + n), *limits)
        new = [walk(a, depth) for a in e.args]
        return e.func(*new) if new != list(e.args) else e

    return walk(sp.sympify(expr), 0)


@lru_cache(maxsize=None)
def kronecker_lemma() -> Outcome:
    r"""Prove :math:`\sum_{k=1}^{n} f(k)\,\delta_{jk} = f(j)` for :math:`1 \le j \le n`.

    SymPy's own ``doit`` evaluates the sum for an undefined f and symbolic n to a ``Piecewise``
    whose branches are f(j) where :math:`j \le n` (j is a positive integer) and 0 elsewhere: the
    rule is the in-range branch.  Checked also at n = 4 for every j and for a two-index summand.
    """
    f = sp.Function("f")
    j, k, n = index("j"), index("k"), index("n")
    try:
        pw = sp.Sum(f(k) * sp.KroneckerDelta(j, k), (k, 1, n)).doit()
        if not isinstance(pw, sp.Piecewise):
            return Outcome(UNDECIDED, "doit", detail=f"Σ_k f(k) δ_jk gave {pw}, not a Piecewise")
        inside = {1 <= j, j <= n, sp.Le(1, j), sp.Le(j, n)}
        (val, cond), (other, rest) = pw.args[0], pw.args[-1]
        conds = set(sp.And.make_args(cond))
        ok = val == f(j) and conds <= inside and other == 0 and rest == sp.true
        ok = ok and all(sp.Sum(f(k) * sp.KroneckerDelta(jj, k), (k, 1, 4)).doit() == f(jj)
                        for jj in range(1, 5))
        g = sp.Function("g")
        m = index("m")
        two = sp.Sum(g(k, m) * sp.KroneckerDelta(k, j), (k, 1, 4))
        ok = ok and all(two.subs(j, jj).doit() == g(jj, m) for jj in range(1, 5))
    except Exception as exc:  # noqa: BLE001 - a failing check is an undecided proof
        return Outcome(UNDECIDED, "doit", detail=f"Kronecker lemma: {type(exc).__name__}: {exc}")
    if not ok:
        return Outcome(UNDECIDED, "doit", detail=f"Kronecker lemma: doit gave {pw}")
    return Outcome(PROVED, "Kronecker collapse, doit")


def collapse_checked(expr: sp.Expr, widths: dict, indices: dict | None = None,
                     prepare: Callable[[sp.Expr], sp.Expr] | None = None) -> tuple[sp.Expr, Outcome]:
    r"""Collapse ``expr`` and check the rewrite at a concrete width: substitute ``widths``
    (e.g. ``{n_L: 3}``) and every admissible value of the free ``indices`` (``{j: n_L}``: j runs
    1..3), evaluate the uncollapsed sums with ``doit`` and compare with the collapsed form exactly.

    ``prepare`` is applied to both sides before the comparison (e.g. ``pull_in``).
    Returns ``(collapsed, outcome)``.
    """
    out, _ = collapse_kronecker(expr)
    indices = indices or {}
    names = list(indices)
    ranges = [range(1, int(widths[indices[i]]) + 1) for i in names]
    prep = prepare or (lambda e: e)
    for values in itertools.product(*ranges):
        point = dict(widths)
        point.update(zip(names, values))
        lhs = prep(expr.xreplace(point)).doit()
        rhs = prep(out.xreplace(point)).doit()
        if sp.expand(lhs - rhs) != 0:
            return out, Outcome(UNDECIDED, "Kronecker collapse",
                                detail=f"collapse disagrees with doit at {point}: {lhs} vs {rhs}")
    at = ", ".join(f"{k} = {v}" for k, v in widths.items())
    return out, Outcome(PROVED, f"Kronecker collapse, doit (at {at})")


def kronecker_rewrite(index: sp.Symbol, width: sp.Symbol):
    """Rewrite for ∂/∂x_j of a Sum over 1..width: evaluate the Kronecker delta (SymPy's ``doit``,
    a Piecewise), then take its in-range branch, j ≤ width (the rule of :func:`kronecker_lemma`)."""
    return lambda e: sp.sympify(e).doit().subs(sp.Le(index, width), sp.true)


#: The name of :func:`kronecker_rewrite` in a recorded method.
KRONECKER_REWRITE = "doit (Kronecker δ, 1 ≤ j ≤ n)"
