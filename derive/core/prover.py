r"""Exact equality proofs and concrete refutations.

A claim ``lhs = rhs`` is *proved* when ``lhs - rhs`` reduces to exactly ``0`` by one of the methods of
:data:`LADDER`, tried in order of cost (after an optional targeted rewrite such as
:math:`\sigma(z) \to 1/(1+e^{-z})`).  Nothing here compares floating-point numbers to decide that a
claim holds.

A claim is *refuted* by a counterexample: exact rational values of its free symbols at which both
sides, and every subexpression of them, are defined and real, and at which the two sides certainly
differ.  Values are exact when rational, otherwise intervals that contain them
(:mod:`derive.core.certified`); the sides differ when the difference ``lhs − rhs`` itself (not a
ratio) is exactly nonzero or its interval excludes 0, or the two intervals are disjoint.  A
counterexample is then re-evaluated independently, in plain mpmath floating point at two
precisions above the search's (each function by its ``mp`` rule in :mod:`derive.core.functions`),
and reported only when that confirms a real, nonzero difference that does not move with the
precision.

Anything else is *undecided*: the caller is told that, never "probably true".
"""
from __future__ import annotations

import itertools
from typing import Callable, Iterable, Sequence

import mpmath
import sympy as sp

from . import functions
from .certified import Uncertain, Undefined, evaluate, satisfies
from .functions import kink_arguments
from .interval import as_interval, is_interval
from .outcome import PROVED, REFUTED, UNDECIDED, Counterexample, Outcome

__all__ = ["LADDER", "SIMPLIFY_MAX_OPS", "reduces_to_zero", "prove_equal", "prove_zero", "holds",
           "find_counterexample"]


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


#: Reduction methods, cheapest first.  ``simplify`` is the last resort, and only for small input
#: (:data:`SIMPLIFY_MAX_OPS`).
LADDER: dict[str, Callable[[sp.Expr], sp.Expr]] = {
    "structural": _structural,
    "doit": _doit,
    "expand": _expand,
    "cancel": _cancel,
    "simplify": _simplify,
}
#: ``simplify`` is tried only on expressions of at most this many operations (``sp.count_ops``):
#: beyond that it can take minutes and rarely closes what ``cancel`` did not.  The one cap of
#: gradproof (the theorems' obligations, their statements, and a reader's claims in ``verify``).
#: 200, the cap ``verify`` always had; the theorems had 400, but none of their ``simplify`` calls
#: (nor the mutation test's) sees more than a handful of operations, so no proof depends on it.
SIMPLIFY_MAX_OPS = 200


def reduces_to_zero(expr: sp.Expr, method: str) -> bool:
    """True when ``method`` of :data:`LADDER` turns ``expr`` into exactly ``0`` (``simplify`` only
    up to :data:`SIMPLIFY_MAX_OPS` operations)."""
    if method == "simplify" and sp.count_ops(expr) > SIMPLIFY_MAX_OPS:
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
        return Outcome(REFUTED, "counterexample", point, point.describe(lv, rv))
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
_UNIT_POINTS = 4  # how many all-in-(0, 1) points come first
#: Magnitudes tried for one symbol at a time (the others at a generic point): where a side
#: saturates, overflows a small search, or passes a breakpoint that is not rational (e^x = 10⁶).
_MAGNITUDES = [sp.Integer(v) for v in (3, 10, 30, 100, 1000, 10**6)] + [sp.Rational(1, 1000)]
#: Offsets tried on both sides of a breakpoint of a piecewise function.
_NEAR = [sp.Rational(1, 7), sp.Rational(1, 1000), sp.Integer(1), sp.Integer(3)]
#: Working precision (decimal digits) of the certified evaluation, raised once when undecided.
_DIGITS = (40, 200)
_DIGITS_NUMBERS = (40, 200, 1000, 3000)  #: a claim about numbers has one point: σ(1000) vs 1
_MAX_SHOWN_DIGITS = 5000  #: most significant digits printed for a value
_MAX_BREAKPOINTS = 40  # most breakpoint values collected per symbol
_MAX_KINK_ARGS = 6  # the breakpoints of Max/Min: where two of its first six arguments are equal


def _allowed(sym: sp.Symbol, v: sp.Rational) -> bool:
    """Whether ``v`` satisfies ``sym``'s SymPy assumptions (sign, integer)."""
    if sym.is_integer and not v.is_Integer:
        return False
    if (sym.is_positive and v <= 0) or (sym.is_nonnegative and v < 0):
        return False
    if (sym.is_negative and v >= 0) or (sym.is_nonpositive and v > 0):
        return False
    if sym.is_nonzero and v == 0:
        return False
    return True


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


def _rational_roots(u: sp.Expr, s: sp.Symbol) -> list[sp.Rational]:
    """Rational values of ``s`` where ``u`` (a polynomial in ``s`` of degree ≤ 4, else nothing)
    vanishes, with rational approximations on both sides of irrational real roots."""
    try:
        num = sp.numer(sp.together(u))
        if not num.is_polynomial(s):
            return []
        poly = sp.Poly(num, s)
        if poly.degree() < 1 or poly.degree() > 4 or not all(c.is_Rational for c in poly.all_coeffs()):
            return []
        out = []
        for r in poly.real_roots():
            if r.is_Rational:
                out.append(r)
            else:
                lo, hi = r.eval_rational(sp.Rational(1, 10**6)) - sp.Rational(1, 10**5), None
                hi = lo + sp.Rational(2, 10**5)
                out += [lo, hi]
        return out
    except (sp.PolynomialError, NotImplementedError, ValueError, TypeError):
        return []


def _breakpoint_points(symbols: Sequence[sp.Symbol], exprs: Sequence[sp.Basic],
                       base: dict) -> Iterable[dict]:
    """Points at, and on both sides of, every breakpoint of a piecewise function in ``exprs``:
    one symbol moved to where a kink argument vanishes (the others at ``base``), then all of a
    kink argument's symbols at once where that argument is a single symbol's."""
    kinks = kink_arguments(*exprs, max_args=_MAX_KINK_ARGS)
    for u in kinks:
        for s in sorted(u.free_symbols & set(symbols), key=str):
            others = {t: v for t, v in base.items() if t != s}
            roots = _rational_roots(u.xreplace(others), s)[:_MAX_BREAKPOINTS]
            for r in roots:
                for v in [r] + [r + sgn * d for d in _NEAR for sgn in (1, -1)]:
                    if _allowed(s, v):
                        yield {**base, s: v}
            # every kink at its breakpoint at once (sign(x)*sign(y) needs x = y = 0 together)
    zero = {s: sp.S.Zero for s in symbols if _allowed(s, sp.S.Zero)}
    if kinks and zero:
        yield {**base, **zero}


def _magnitude_points(symbols: Sequence[sp.Symbol], base: dict) -> Iterable[dict]:
    """One symbol at a time at ±3 … ±10⁶ and ±1/1000, then all symbols large together."""
    for m in _MAGNITUDES:
        for s in symbols:
            for v in (m, -m):
                if _allowed(s, v):
                    yield {**base, s: v}
    for m in (sp.Integer(20), sp.Integer(1000)):
        yield {s: (m if _allowed(s, m) else base[s]) for s in symbols}


def _evaluate(e: sp.Expr, point: dict, digits: int = _DIGITS[0], memo: dict | None = None):
    """The certified real value of ``e`` at ``point`` (see :mod:`derive.core.certified`): a Rational
    or an interval, or None where ``e`` or a subexpression is undefined or not real there (a pole,
    ``ln`` of a negative number, ``sqrt`` of one, ...) or the precision does not settle it."""
    try:
        return evaluate(e, point, digits, memo=memo)
    except (Undefined, Uncertain, ZeroDivisionError, OverflowError, ValueError, TypeError,
            RecursionError):
        return None


def _differ(lhs, rhs, d, point, parts, digits):
    """``(verdict, lhs_value, rhs_value, difference)``: verdict True (certainly differ), False
    (not shown to differ) or None (a side or a part undefined / not real / not settled)."""
    memo: dict = {}
    lv = _evaluate(lhs, point, digits, memo)
    rv = _evaluate(rhs, point, digits, memo) if lv is not None else None
    if lv is None or rv is None:
        return None, lv, rv, None
    for p in parts:
        if _evaluate(p, point, digits, memo) is None:
            return None, lv, rv, None
    if not is_interval(lv) and not is_interval(rv):
        return lv != rv, lv, rv, lv - rv
    dv = _evaluate(d, point, digits, memo)  # the difference itself: exp(1000) − (exp(1000) + 1)
    if dv is not None:
        if not is_interval(dv):
            return dv != 0, lv, rv, dv
        if (dv > 0) is True or (dv < 0) is True:
            return True, lv, rv, dv
    a, b = as_interval(lv), as_interval(rv)
    return (a > b) is True or (a < b) is True, lv, rv, dv


def _mp_value(e: sp.Basic, point: dict, digits: int):
    """``e`` at ``point`` in plain mpmath floating point (``mpmath.mp``) at ``digits`` digits, by
    each function's ``mp`` rule (:mod:`derive.core.functions`: mpmath's own tanh, log, ...) or
    SymPy's ``evalf`` — independent of the interval arithmetic of the search.  An ``mpf``, an
    ``mpc`` (not real), or None (undefined / not evaluable)."""
    mp = mpmath.mp
    memo: dict = {}

    def ev(n):
        if n in memo:
            return memo[n]
        if n.is_Rational:
            v = mp.mpf(int(n.p)) / int(n.q)
        elif n.is_Symbol:
            q = point[n]
            v = mp.mpf(int(q.p)) / int(q.q)
        elif n is sp.pi:
            v = +mp.pi
        elif n is sp.E:
            v = +mp.e
        elif isinstance(n, sp.Add):
            v = mp.fsum([ev(a) for a in n.args])
        elif isinstance(n, sp.Mul):
            v = mp.mpf(1)
            for a in n.args:
                v = v * ev(a)
        elif isinstance(n, sp.Pow):
            b, x = ev(n.base), ev(n.exp)
            if n.exp.is_Integer:
                v = b ** int(n.exp)
            else:
                v = mp.power(b, x)
        elif (entry := functions.info(n)) is not None and entry.definition is not None:
            v = ev(entry.definition(*n.args))
        elif entry is not None and entry.mp is not None:
            v = entry.mp(*[ev(a) for a in n.args])
        else:
            f = n.xreplace(point).evalf(digits)
            if not f.is_number or f.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
                raise ValueError("no value")
            re, im = f.as_real_imag()
            v = mp.mpc(mp.mpf(sp.Float(re, digits)._mpf_), mp.mpf(sp.Float(im, digits)._mpf_))
        memo[n] = v
        return v

    try:
        with mp.workdps(digits):
            return ev(e)
    except (ZeroDivisionError, ValueError, TypeError, AttributeError, KeyError, OverflowError,
            RecursionError):
        return None


def _recheck(lhs: sp.Expr, rhs: sp.Expr, point: dict, digits: int, exact=(None, None, None)):
    """Independent re-evaluation (:func:`_mp_value`, at two precisions above the search's):
    ``(lhs_value, rhs_value, difference)`` as strings with enough digits to show that the sides
    differ, or None when it does not confirm a real, nonzero difference.  ``exact``: the values
    the search found to be rational (lhs, rhs, lhs − rhs), or None for each that is not."""
    lx, rx, dx = (v if v is not None and not isinstance(v, mpmath.iv.mpf) else sp.Dummy()
                  for v in exact)
    if lx.is_Rational and rx.is_Rational:
        return (_show(lx), _show(rx), _show(lx - rx)) if lx != rx else None
    n1, n2 = 2 * digits + 20, 2 * digits + 60
    vals = []
    for n in (n1, n2):
        got = [_mp_value(e, point, n) for e in (lhs, rhs, lhs - rhs)]
        if any(v is None for v in got):
            return None
        with mpmath.workdps(n):
            for v in got:
                if isinstance(v, mpmath.mpc) and abs(v.imag) > abs(v.real) * mpmath.mpf(10) ** (10 - n):
                    return None  # not real
            got = [mpmath.mpf(v.real) if isinstance(v, mpmath.mpc) else v for v in got]
        vals.append(got)
    (l1, r1, d1), (l2, r2, d2) = vals
    with mpmath.workdps(n2):
        scale = max(1, abs(l2), abs(r2))
        if d2 == 0 or abs(d1 - d2) > abs(d2) * mpmath.mpf(10) ** -10:
            return None  # the difference is not stable under a change of precision
        need = int(mpmath.ceil(mpmath.log10(scale / abs(d2)))) + 4
        k = min(max(20, need), _MAX_SHOWN_DIGITS)
    if k > n1 - 10:  # exp(1000) vs exp(1000) + 1: 438 digits show the two values apart
        more = [_mp_value(e, point, k + 20) for e in (lhs, rhs)]
        if all(isinstance(v, mpmath.mpf) for v in more):
            l2, r2 = more
        else:
            k = n1 - 10
    with mpmath.workdps(max(n2, k + 20)):
        show = lambda x, v: _show(x) if x.is_Rational else mpmath.nstr(v, k, strip_zeros=False)  # noqa: E731
        return show(lx, l2), show(rx, r2), (_show(dx) if dx.is_Rational else mpmath.nstr(d2, 20))


def find_counterexample(lhs: sp.Expr, rhs: sp.Expr, trials: int = 24,
                        points: Iterable[dict] | None = None, *, stats: dict | None = None,
                        parts: Sequence[sp.Expr] = (), constraints: Sequence[sp.Basic] = (),
                        search: bool = True):
    """Exact rational values of the free symbols at which ``lhs`` and ``rhs`` certainly differ.

    Returns ``(point, lhs_value, rhs_value)``, the point a
    :class:`~derive.core.outcome.Counterexample` and the values strings, or None.  A point is used
    only when every subexpression of both sides — and of each of ``parts`` (subexpressions of the
    input that SymPy's automatic simplification removed, such as the ``sqrt(x)`` of
    ``sqrt(x)*sqrt(x)``) — is defined and real there (see :mod:`derive.core.certified`) and every
    relation in ``constraints`` holds.  The difference is certified by interval arithmetic (at 40
    digits, then 200; up to 3000 for a claim about numbers alone), then re-evaluated
    independently in mpmath (:func:`_recheck`) before it is reported.

    The points tried are ``points`` (if given), then ``trials`` generated ones (all values in
    (0, 1) first), then, when ``search``, both sides of and exactly at every breakpoint of a
    piecewise function (Abs, sign, Max, Min, ReLU, Heaviside, Piecewise), then large and small
    magnitudes.  ``stats``, when given, receives ``tried`` (points where both sides were real),
    ``skipped``, and ``difference`` (lhs − rhs at the counterexample, as a string).
    """
    lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
    parts = tuple(parts)
    symbols = sorted((lhs.free_symbols | rhs.free_symbols | set().union(*(p.free_symbols for p in parts)))
                     - _bound(lhs, rhs), key=str)
    base_points = list(_points(symbols, 2))
    base = base_points[-1] if base_points else {}
    generated = [points or [], _points(symbols, trials)]
    if search and symbols:
        generated += [_breakpoint_points(symbols, (lhs, rhs, *parts), base_points[0]),
                      _breakpoint_points(symbols, (lhs, rhs, *parts), base),
                      _magnitude_points(symbols, base_points[0])]
    candidates = itertools.chain(*generated)
    d = lhs - rhs
    tried = skipped = 0
    seen: set = set()
    if stats is not None:
        stats.update(tried=0, skipped=0)
    for point in candidates:
        if not point and symbols:
            continue
        key = tuple(point.get(s) for s in symbols)
        if key in seen:
            continue
        seen.add(key)
        if any(not _allowed(s, v) for s, v in point.items() if isinstance(s, sp.Symbol)):
            continue
        if constraints and not _satisfies(constraints, point):
            continue
        verdict = None
        for digits in (_DIGITS if symbols else _DIGITS_NUMBERS):
            verdict, *values = _differ(lhs, rhs, d, point, parts, digits)
            if verdict is None or verdict:
                break
        if verdict is None:
            skipped += 1
        else:
            tried += 1
        if stats is not None:
            stats.update(tried=tried, skipped=skipped)
        if not verdict:
            continue
        checked = _recheck(lhs, rhs, point, digits, values)
        if checked is None:
            continue  # the independent evaluation does not confirm it: not a counterexample
        lv, rv, dv = checked
        if stats is not None:
            stats["difference"] = dv
        return Counterexample({str(k): v for k, v in point.items()}), lv, rv
    return None


def _satisfies(constraints: Sequence[sp.Basic], point: dict) -> bool:
    """Every relation in ``constraints`` certainly holds at ``point``."""
    try:
        return satisfies(constraints, point, _DIGITS[0])
    except (Uncertain, Undefined, ZeroDivisionError, ValueError, TypeError):
        return False


def _bound(*exprs: sp.Expr) -> set:
    out: set = set()
    for e in exprs:
        for s in e.atoms(sp.Sum, sp.Product, sp.Integral, sp.Lambda):
            out |= {lim[0] for lim in getattr(s, "limits", ())}
    return out


def _show(v: sp.Expr, digits: int = 20) -> str:
    """Exact when a rational of modest size, else ``digits`` significant digits."""
    if v.is_Rational and max(abs(v.p), v.q).bit_length() <= 1000:
        return str(v)
    return str(sp.N(v, digits))
