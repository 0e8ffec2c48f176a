r"""Exact equality proofs and concrete refutations.

A claim ``lhs = rhs`` is *proved* when ``lhs - rhs`` reduces to exactly ``0`` by one of the methods of
:data:`LADDER`, tried in order of cost (after an optional targeted rewrite such as
:math:`\sigma(z) \to 1/(1+e^{-z})`).  Nothing here compares floating-point numbers to decide that a
claim holds.

A claim is *refuted* by a counterexample: exact rational values of its free symbols at which the
two sides differ.  The difference is evaluated exactly when it is rational, otherwise to 60
significant digits that SymPy's ``evalf(strict=True)`` certifies (a point where it cannot is
skipped), and a refutation is reported only when the difference is at least ``1e-30`` relative (so
far above the evaluation error that the sides certainly differ).

Anything else is *undecided*: the caller is told that, never "probably true".
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence

import sympy as sp
from sympy.core.evalf import PrecisionExhausted

PROVED, REFUTED, UNDECIDED = "proved", "refuted", "undecided"


@dataclass(frozen=True)
class Outcome:
    """The verdict on one obligation."""

    status: str
    method: str
    counterexample: dict[str, str] | None = None
    detail: str = ""

    @property
    def proved(self) -> bool:
        return self.status == PROVED


def combine(outcomes: Sequence[Outcome]) -> Outcome:
    """All obligations of an identity: proved iff each is; refuted if any is refuted."""
    if not outcomes:
        return Outcome(UNDECIDED, "none", detail="the identity has no proof obligations")
    methods = list(dict.fromkeys(o.method for o in outcomes if o.method))
    method = " + ".join(methods)
    for o in outcomes:
        if o.status == REFUTED:
            return Outcome(REFUTED, method, o.counterexample, o.detail)
    for o in outcomes:
        if o.status == UNDECIDED:
            return Outcome(UNDECIDED, method, None, o.detail)
    return Outcome(PROVED, method)


# --- reduction to zero -----------------------------------------------------------------------

def _structural(e: sp.Expr) -> sp.Expr:
    return e


def _doit(e: sp.Expr) -> sp.Expr:
    return e.doit()


def _expand(e: sp.Expr) -> sp.Expr:
    return sp.expand(e)


def _cancel(e: sp.Expr) -> sp.Expr:
    return sp.cancel(sp.together(sp.expand(e)))


def _simplify(e: sp.Expr) -> sp.Expr:
    return sp.simplify(e)


#: Reduction methods, cheapest first.  ``simplify`` is the last resort, and only for small input.
LADDER: dict[str, Callable[[sp.Expr], sp.Expr]] = {
    "structural": _structural,
    "doit": _doit,
    "expand": _expand,
    "cancel": _cancel,
    "simplify": _simplify,
}
_SIMPLIFY_MAX_OPS = 400


def reduces_to_zero(expr: sp.Expr, method: str) -> bool:
    """True when ``method`` turns ``expr`` into exactly ``0``."""
    if method == "simplify" and sp.count_ops(expr) > _SIMPLIFY_MAX_OPS:
        return False
    return LADDER[method](expr) == 0


def _ladder(e: sp.Expr, methods: Iterable[str]) -> str | None:
    for m in methods:
        if reduces_to_zero(e, m):
            return m
    return None


def prove_equal(lhs: sp.Expr, rhs: sp.Expr,
                methods: Iterable[str] = ("structural", "expand", "cancel"),
                rewrite: Callable[[sp.Expr], sp.Expr] | None = None,
                rewrite_name: str = "") -> Outcome:
    """Prove ``lhs == rhs`` exactly: ``lhs - rhs`` reduces to 0 by the first of ``methods`` that can.

    ``rewrite`` is a targeted rewrite applied to both sides first (e.g. ``lambda e:
    e.rewrite(sp.exp)``); ``rewrite_name`` names it in the recorded method, as in
    ``"rewrite σ→exp, cancel"``.  When no method closes the claim, look for a counterexample, so
    that the verdict is ``refuted`` with exact values, or else ``undecided``.
    """
    lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
    if rewrite is not None:
        lhs, rhs = rewrite(lhs), rewrite(rhs)
    methods = tuple(methods)
    prefix = f"{rewrite_name}, " if rewrite_name else ""
    m = _ladder(lhs - rhs, methods)
    if m is not None:
        return Outcome(PROVED, prefix + m)
    ce = find_counterexample(lhs, rhs)
    if ce is not None:
        point, lv, rv = ce
        return Outcome(REFUTED, "counterexample", point,
                       f"at {_fmt_point(point)}: lhs = {lv}, rhs = {rv}")
    return Outcome(UNDECIDED, prefix + "/".join(methods),
                   detail=f"{', '.join(methods)} did not reduce lhs - rhs to 0 and no "
                          "counterexample was found")


def prove_zero(expr: sp.Expr, methods: Iterable[str] = ("structural", "expand", "cancel"),
               rewrite: Callable[[sp.Expr], sp.Expr] | None = None,
               rewrite_name: str = "") -> Outcome:
    """Prove ``expr == 0``; see :func:`prove_equal`."""
    return prove_equal(expr, sp.S.Zero, methods, rewrite, rewrite_name)


def holds(check: Callable[[], bool], method: str, what: str) -> Outcome:
    """An exact non-equational fact (an inequality, a limit, a sign) established by ``check``.

    ``check`` must decide exactly (SymPy's ``limit``, ``solve``, an exact sign, ...), returning
    True or False; ``what`` says what was checked and appears in the detail when it fails.
    """
    try:
        ok = bool(check())
    except Exception as exc:  # noqa: BLE001 - a failing check is an undecided proof, not a crash
        return Outcome(UNDECIDED, method, detail=f"{what}: {type(exc).__name__}: {exc}")
    return Outcome(PROVED, method) if ok else Outcome(UNDECIDED, method, detail=f"{what}: failed")


# --- refutation --------------------------------------------------------------------------------

#: Values in (0, 1) tried first (so that ln a and ln(1 − a) are defined), then shifted by whole
#: numbers and negated.  All distinct and "generic": no small relation between them.
_UNIT = [sp.Rational(p, q) for p, q in
         [(1, 3), (2, 7), (3, 5), (5, 11), (9, 13), (2, 9), (7, 10), (4, 17), (8, 15), (11, 19),
          (6, 23), (13, 29)]]
_CANDIDATES = [sp.Rational(p, q) for p, q in
               [(1, 3), (2, 7), (3, 5), (5, 11), (7, 4), (1, 2), (9, 13), (3, 2), (11, 7), (2, 9)]]
#: Relative tolerance: the sides differ when |lhs − rhs| > _TOL·max(1, |lhs|, |rhs|).  Values are
#: evaluated to 60 significant digits, so the evaluation error is ~1e-60 relative, far below.
_TOL = sp.Rational(1, 10**30)
_UNIT_POINTS = 4  # how many all-in-(0, 1) points come first


def _signed(sym: sp.Symbol, v: sp.Rational, k: int, negate: bool) -> sp.Rational:
    """``v`` adjusted to ``sym``'s assumptions: a whole number 1..4 for an integer symbol, negated
    for a negative one; an unconstrained symbol is negated when ``negate``."""
    if sym.is_integer:
        v = sp.Integer(k % 4 + 1)
    if sym.is_negative or sym.is_nonpositive and not sym.is_zero:
        v = -v
    elif negate and not (sym.is_positive or sym.is_nonnegative):
        v = -v  # unconstrained symbols also get negative values
    return v


def _value_for(sym: sp.Symbol, k: int, negate: bool = False) -> sp.Rational:
    v = _CANDIDATES[k % len(_CANDIDATES)] + (k // len(_CANDIDATES))
    return _signed(sym, v, k, negate)


def _points(symbols: Sequence[sp.Symbol], n: int) -> Iterable[dict]:
    """``n`` points: first every symbol in (0, 1) (distinct values), then a spread of values whose
    signs follow the binary digits of the point's number (so every sign pattern of the first
    five symbols comes up within 31 points); each symbol's SymPy sign/integer assumptions are
    respected throughout."""
    if not symbols:
        yield {}
        return
    for t in range(min(_UNIT_POINTS, n)):
        yield {s: _signed(s, _UNIT[(5 * t + i) % len(_UNIT)], 5 * t + i, False)
               for i, s in enumerate(symbols)}
    for t in range(max(n - _UNIT_POINTS, 0)):
        negative = lambda i: bool((t + 1) >> (i % 5) & 1) != bool(i // 5 % 2)  # noqa: E731
        yield {s: _value_for(s, 3 * t + 5 * i + t * i, negative(i)) for i, s in enumerate(symbols)}


def _fmt_point(point: Mapping[str, str]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in point.items()) or "(no free symbols)"


def _evaluate(e: sp.Expr, point: dict) -> sp.Expr | None:
    """The real value of ``e`` at ``point``: exact when rational, else 60 significant digits.

    None where ``e`` is undefined at the point or not real there (a pole, ``ln`` of a negative
    number, ...): such points are skipped, never used to refute."""
    try:
        v = e.xreplace(point).doit()
        if v.has(sp.nan, sp.zoo, sp.oo, -sp.oo) or v.free_symbols:
            return None
        if v.is_Rational:
            return v
        v = v.evalf(60, strict=True)  # raises unless all 60 digits are certain
        if not v.is_number or v.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            return None
        re, im = v.as_real_imag()
        if not (re.is_number and im.is_number) or not re.is_finite:
            return None
        if im != 0 and abs(im) > _TOL * max(1, abs(re)):
            return None  # not real here
        return re
    except (ArithmeticError, ValueError, TypeError, AttributeError, RecursionError,
            PrecisionExhausted):
        return None


def find_counterexample(lhs: sp.Expr, rhs: sp.Expr, trials: int = 24,
                        points: Iterable[dict] | None = None, *, stats: dict | None = None):
    """Exact rational values of the free symbols at which ``lhs`` and ``rhs`` certainly differ.

    Returns ``(point, lhs_value, rhs_value)`` as strings, or None.  Points where either side is
    undefined or not real (a pole, the log of a negative number, ...) are skipped.  The points
    tried are ``points`` (if given), then ``trials`` generated ones: all values in (0, 1) first.
    ``stats``, when given, receives ``tried`` (points where both sides were real) and ``skipped``.
    """
    lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
    symbols = sorted((lhs.free_symbols | rhs.free_symbols) - _bound(lhs, rhs), key=str)
    candidates = itertools.chain(points or [], _points(symbols, trials))
    tried = skipped = 0
    if stats is not None:
        stats.update(tried=0, skipped=0)
    for point in candidates:
        if not point and symbols:
            continue
        lv = _evaluate(lhs, point)
        rv = _evaluate(rhs, point) if lv is not None else None
        if lv is None or rv is None:
            skipped += 1
            if stats is not None:
                stats.update(tried=tried, skipped=skipped)
            continue
        tried += 1
        if stats is not None:
            stats.update(tried=tried, skipped=skipped)
        diff = lv - rv
        if diff.is_Rational:
            differ = diff != 0
        else:
            differ = abs(sp.N(diff, 60)) > _TOL * max(1, abs(lv), abs(rv))
        if differ:
            shown = {str(k): str(v) for k, v in point.items()}
            return shown, _show(lv), _show(rv)
    return None


def _bound(*exprs: sp.Expr) -> set:
    out: set = set()
    for e in exprs:
        for s in e.atoms(sp.Sum, sp.Product, sp.Integral, sp.Lambda):
            out |= {lim[0] for lim in getattr(s, "limits", ())}
    return out


def _show(v: sp.Expr) -> str:
    """Exact when a rational of modest size, else 20 significant digits."""
    if v.is_Rational and max(abs(v.p), v.q).bit_length() <= 1000:
        return str(v)
    return str(sp.N(v, 20))
