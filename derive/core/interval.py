r"""Interval arithmetic: exact where it can be, an interval that certainly contains the value otherwise.

A *value* here is either exact, a SymPy ``Rational``, or an ``mpmath.iv`` interval that certainly
contains the real number it stands for.  The operations keep a value exact as long as the exact
result is rational and of modest size, and raise

* :class:`Undefined` where the real result does not exist (``log`` of a non-positive number, a
  non-integer power of a negative one, a division by zero), and
* :class:`Uncertain` where the working precision cannot settle it (the sign of an interval that
  straddles 0, ``exp`` of an argument beyond ±10⁶): a caller skips such a point, never guesses.

The value of each function (σ, tanh, ...) on such values is registered with the function in
:mod:`derive.core.functions`; :mod:`derive.core.certified` evaluates whole expressions.
"""
from __future__ import annotations

import contextlib
from typing import Iterator, Sequence

import mpmath
import sympy as sp

__all__ = ["Undefined", "Uncertain", "dps", "is_interval", "as_interval", "midpoint", "sign_of",
           "exp", "log", "power", "hull_max", "hull_min", "MAX_EXP_ARG"]

iv = mpmath.iv
MAX_EXP_ARG = 10**6  #: exp/sin/cos of a larger |argument| is not evaluated (Uncertain)
_MAX_EXACT_BITS = 4000  #: exact powers beyond this size are evaluated as intervals


class Undefined(ArithmeticError):
    """The expression (or one of its subexpressions) is undefined or not real at the point."""


class Uncertain(ArithmeticError):
    """The precision used does not decide a node (a sign, a branch) at the point."""


@contextlib.contextmanager
def dps(digits: int) -> Iterator[None]:
    """Set ``mpmath.iv``'s working precision (decimal digits) for the block."""
    old = iv.prec
    iv.dps = digits
    try:
        yield
    finally:
        iv.prec = old


def is_interval(v) -> bool:
    """True for an ``mpmath.iv`` interval, False for an exact value."""
    return isinstance(v, iv.mpf)


def as_interval(v) -> "iv.mpf":
    """``v`` as an interval (an exact Rational p/q becomes the interval that contains p/q)."""
    if is_interval(v):
        return v
    return iv.mpf(int(v.p)) / int(v.q)


def midpoint(x) -> float:
    """A float near ``x`` (the midpoint of an interval): for choosing a formula, never a result."""
    if is_interval(x):
        return float(x.mid.a)
    return float(x)


def sign_of(v) -> int:
    """-1, 0 or 1 when certain; raises Uncertain otherwise."""
    if not is_interval(v):
        return int(sp.sign(v))
    if (v > 0) is True:
        return 1
    if (v < 0) is True:
        return -1
    raise Uncertain("sign not decided at this precision")


def exp(x):
    r""":math:`e^x`; Uncertain for :math:`|x| > 10^6` (the result's exponent would be enormous)."""
    if abs(midpoint(x)) > MAX_EXP_ARG:
        raise Uncertain("exponent too large")
    return iv.exp(as_interval(x))


def log(x):
    r""":math:`\ln x`, defined for x > 0 only."""
    s = sign_of(x)
    if s <= 0:
        raise Undefined("log of a non-positive number")
    return iv.log(as_interval(x))


def power(b, e):
    r""":math:`b^e`, real only: an integer power of any base (not 0 to a negative power), a
    non-integer power of a non-negative base (SymPy's principal branch otherwise, which is not
    real).  Exact when both are and the result is rational of at most 4000 bits."""
    if not is_interval(e) and e.is_Integer:
        if not is_interval(b):
            if b == 0 and e < 0:
                raise Undefined("division by zero")
            if abs(e) * max(abs(b.p), b.q).bit_length() <= _MAX_EXACT_BITS:
                return b**e
        if e < 0 and sign_of(b) == 0:
            raise Undefined("division by zero")
        return as_interval(b) ** int(e)
    # a non-integer exponent: real only for a positive base (SymPy's principal branch otherwise)
    s = sign_of(b)
    if s < 0:
        raise Undefined("non-integer power of a negative number")
    if s == 0:
        if sign_of(e) > 0:
            return sp.S.Zero
        raise Undefined("zero to a non-positive power")
    if not is_interval(b) and not is_interval(e):
        v = sp.Pow(b, e)
        if v.is_Rational:
            return v
    if not is_interval(e):
        return as_interval(b) ** as_interval(e)
    return exp(as_interval(e) * log(b))


def hull_max(vals: Sequence):
    """An interval containing the largest of ``vals`` (each exact or an interval)."""
    los = [v.a if is_interval(v) else as_interval(v) for v in vals]
    his = [v.b if is_interval(v) else as_interval(v) for v in vals]
    lo, hi = los[0], his[0]
    for a in los[1:]:
        lo = a if (a > lo) is True else lo
    for b in his[1:]:
        hi = b if (b > hi) is True else hi
    return iv.mpf([lo.a, hi.b])


def hull_min(vals: Sequence):
    """An interval containing the smallest of ``vals``."""
    return -hull_max([-v for v in vals])
