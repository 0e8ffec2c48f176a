r"""Decide a step ``A ≤ B`` (``<``, ``≥``, ``>``) of a chain in notes: proved, refuted with exact values,
or undecided.

*Proved*: :math:`B - A` (or :math:`A - B`), simplified, is known to SymPy to be nonnegative
(positive, for ``<``) for every real value of its symbols within the assumptions — a sum of squares,
an exponential, ``1 − σ(z)`` …  *Refuted*: rational values of the symbols at which every part of
both sides is real and defined, the assumptions hold, no kink of a differentiated expression
vanishes, and the difference has the wrong sign, evaluated exactly (SymPy) and at 50 digits
(mpmath) with a margin.  *Undecided*: anything else.
"""
from __future__ import annotations

import itertools

import mpmath
import sympy as sp

from ..core.deadline import Timeout, deadline
from .verify import prepare

__all__ = ["decide_inequality", "VALUES"]

#: The values tried for each symbol, in order (small, negative, large, zero).
VALUES = tuple(sp.Rational(v) for v in ("1/3", "-5/2", "2", "7/5", "-1/7", "3", "1/2", "-2", "10",
                                        "-10", "0", "5/3"))
_TRIES = 60
_MARGIN = mpmath.mpf(10) ** -30


def decide_inequality(a, rel: str, b, *, let=(), assume=(), time_limit: float = 10.0) -> tuple[str, str]:
    """``(status, detail)`` for ``a rel b`` (sides as :func:`derive.claims.verify.prepare` takes them)."""
    claim = prepare(a, b, let, assume)
    left, right = claim.left, claim.right
    gap = right - left if rel in ("<", "≤") else left - right  # must be > 0 (strict) or ≥ 0
    strict = rel in ("<", ">")
    try:
        with deadline(time_limit / 2):
            for form in (gap, gap.rewrite(sp.exp)):  # 1 − σ(z) = e^{−z}/(1 + e^{−z}) > 0
                simple = sp.factor(sp.simplify(form))
                holds = simple.is_positive if strict else simple.is_nonnegative
                if holds:
                    break
    except Timeout:
        holds = None
    if holds and not claim.kinks and not claim.empty:
        return "proved", f"the difference {simple} is {'positive' if strict else 'nonnegative'} on {claim.domain}"
    if claim.symbolic or claim.empty:
        return "undecided", claim.symbolic or claim.empty
    try:
        with deadline(time_limit / 2):
            found = _counterexample(claim, gap, strict)
    except Timeout:
        found = None
    if found is not None:
        point, lv, rv = found
        at = ", ".join(f"{s} = {v}" for s, v in point.items()) or "every value"
        return "refuted", f"at {at}: left = {lv}, right = {rv}"
    return "undecided", (f"no proof that the difference is {'positive' if strict else 'nonnegative'}, "
                         f"and no counterexample at {_TRIES} points")


def _counterexample(claim, gap: sp.Expr, strict: bool):
    symbols = sorted(gap.free_symbols | set().union(*(p.free_symbols for p in claim.parts)), key=str)
    points = itertools.product(VALUES, repeat=len(symbols)) if len(symbols) <= 2 else (
        tuple(VALUES[(i * (k + 3) + k) % len(VALUES)] for k in range(len(symbols))) for i in range(_TRIES))
    for values in itertools.islice(points, _TRIES):
        point = dict(zip(symbols, values))
        if not _admissible(claim, point):
            continue
        g = gap.xreplace(point)
        v = _value(g)
        if v is None:
            continue
        if v < -_MARGIN or (strict and g == 0):
            lv, rv = (_text(claim.left.xreplace(point)), _text(claim.right.xreplace(point)))
            return {str(s): str(x) for s, x in point.items()}, lv, rv
    return None


def _admissible(claim, point: dict) -> bool:
    """Every part real and defined, the assumptions true, no kink at the point."""
    for p in claim.parts:
        if _value(p.xreplace(point)) is None:
            return False
    for c in claim.constraints:
        if c.xreplace(point) is not sp.true:
            return False
    return all(k.xreplace(point) != 0 for k in claim.kinks)


def _value(e: sp.Expr):
    """``e`` at 50 digits (mpmath), or None when it is not a finite real number."""
    try:
        if e.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            return None
        with mpmath.workdps(50):
            v = mpmath.mpmathify(sp.N(e, 50))
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if isinstance(v, mpmath.mpc) or not mpmath.isfinite(v):
        return None
    return v


def _text(e: sp.Expr) -> str:
    e = sp.nsimplify(e) if e.is_Rational else e
    return str(e) if e.is_Rational else mpmath.nstr(_value(e) or mpmath.mpf(0), 15)
