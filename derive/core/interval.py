r"""Certified real evaluation: the value of an expression at exact rational values of its symbols.

:func:`evaluate` walks the SymPy tree bottom-up.  A value is exact (a SymPy ``Rational``) as long as
SymPy's own evaluation of the node is rational (``Abs(-1/3)``, ``sign(0)``, ``σ(0) = 1/2``,
``Heaviside(0) = 1/2``); otherwise it is an ``mpmath.iv`` interval that certainly contains it.
**Every** node must be real and defined at the point: ``sqrt`` or a fractional power of a negative
number, ``log`` of a non-positive one, a division by zero raise :class:`Undefined`, so a point where
``sqrt(x)·sqrt(x)`` has a non-real factor is never used to refute ``sqrt(x)·sqrt(x) = |x|``, even
though SymPy writes that product as ``x``.  When the precision cannot settle a node (the argument of
``sign`` straddles 0, ``exp`` of an argument beyond ±10⁶) :class:`Uncertain` is raised: the point is
skipped, never guessed.

Nodes with no rule here fall back to SymPy's ``evalf(strict=True)`` (all digits certified, else
:class:`Uncertain`), widened by one unit in the last place.
"""
from __future__ import annotations

import contextlib
from typing import Iterator, Mapping

import mpmath
import sympy as sp
from sympy.core.evalf import PrecisionExhausted

from ..book.activations import relu, sigmoid

__all__ = ["Undefined", "Uncertain", "evaluate", "dps", "is_interval", "sign_of"]

iv = mpmath.iv
_MAX_EXP_ARG = 10**6  #: exp/sin/cos of a larger |argument| is not evaluated (Uncertain)
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
    return isinstance(v, iv.mpf)


def _iv(v) -> "iv.mpf":
    if is_interval(v):
        return v
    return iv.mpf(int(v.p)) / int(v.q)


def sign_of(v) -> int:
    """-1, 0 or 1 when certain; raises Uncertain otherwise."""
    if not is_interval(v):
        return int(sp.sign(v))
    if (v > 0) is True:
        return 1
    if (v < 0) is True:
        return -1
    raise Uncertain("sign not decided at this precision")


def _exact(node: sp.Basic, args) -> sp.Expr | None:
    """SymPy's own value of ``node`` at exact ``args`` when it is rational (else None)."""
    try:
        v = node.func(*args)
    except (TypeError, ValueError, ArithmeticError):
        return None
    if v.is_Rational:
        return v
    return None


def _exp(x):
    if abs(_mid(x)) > _MAX_EXP_ARG:
        raise Uncertain("exponent too large")
    return iv.exp(_iv(x))


def _mid(x) -> float:
    if is_interval(x):
        return float(x.mid.a)
    return float(x)


def _log(x):
    s = sign_of(x)
    if s <= 0:
        raise Undefined("log of a non-positive number")
    return iv.log(_iv(x))


def _pow(b, e):
    if not is_interval(e) and e.is_Integer:
        if not is_interval(b):
            if b == 0 and e < 0:
                raise Undefined("division by zero")
            if abs(e) * max(abs(b.p), b.q).bit_length() <= _MAX_EXACT_BITS:
                return b**e
        if e < 0 and sign_of(b) == 0:
            raise Undefined("division by zero")
        return _iv(b) ** int(e)
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
        return _iv(b) ** _iv(e)
    return _exp(_iv(e) * _log(b))


def _sigmoid(x):
    if _mid(x) >= 0:
        return 1 / (1 + _exp(-_iv(x)))
    ex = _exp(_iv(x))
    return ex / (1 + ex)


def _tanh(x):
    if _mid(x) >= 0:
        return 1 - 2 / (_exp(2 * _iv(x)) + 1)
    return 2 / (_exp(-2 * _iv(x)) + 1) - 1


def _hull_max(vals):
    los = [v.a if is_interval(v) else _iv(v) for v in vals]
    his = [v.b if is_interval(v) else _iv(v) for v in vals]
    lo, hi = los[0], his[0]
    for a in los[1:]:
        lo = a if (a > lo) is True else lo
    for b in his[1:]:
        hi = b if (b > hi) is True else hi
    return iv.mpf([lo.a, hi.b])


def _hull_min(vals):
    return -_hull_max([-v for v in vals])


_UNARY = {
    sp.exp: _exp,
    sp.log: _log,
    sigmoid: _sigmoid,
    sp.tanh: _tanh,
    sp.sinh: lambda x: (_exp(x) - _exp(-_iv(x))) / 2,
    sp.cosh: lambda x: (_exp(x) + _exp(-_iv(x))) / 2,
    sp.sin: lambda x: iv.sin(_iv(x)) if abs(_mid(x)) < _MAX_EXP_ARG else _raise(Uncertain("large")),
    sp.cos: lambda x: iv.cos(_iv(x)) if abs(_mid(x)) < _MAX_EXP_ARG else _raise(Uncertain("large")),
    sp.Abs: lambda x: abs(x),
}


def _raise(exc):
    raise exc


def _truth(cond: sp.Basic, ev) -> bool:
    if cond is sp.true or cond == True:  # noqa: E712 - SymPy's BooleanTrue
        return True
    if cond is sp.false or cond == False:  # noqa: E712
        return False
    if isinstance(cond, sp.And):
        return all(_truth(c, ev) for c in cond.args)
    if isinstance(cond, sp.Or):
        return any(_truth(c, ev) for c in cond.args)
    if isinstance(cond, sp.Not):
        return not _truth(cond.args[0], ev)
    if isinstance(cond, sp.core.relational.Relational):
        s = sign_of(ev(cond.lhs - cond.rhs))
        op = cond.rel_op
        return {"<": s < 0, "<=": s <= 0, ">": s > 0, ">=": s >= 0, "==": s == 0, "!=": s != 0}[op]
    raise Uncertain(f"condition {cond} not understood")


def evaluate(e: sp.Basic, point: Mapping[sp.Symbol, sp.Rational], digits: int = 50, *,
             memo: dict | None = None):
    """The real value of ``e`` at ``point``: a ``Rational`` (exact) or an ``iv.mpf`` interval.

    Raises :class:`Undefined` when some subexpression is undefined or not real there,
    :class:`Uncertain` when ``digits`` of working precision do not settle it.  ``memo`` (a dict)
    may be shared between calls at the same point and precision.
    """
    memo = {} if memo is None else memo
    with dps(digits):
        return _Walker(point, digits, memo)(e)


class _Walker:
    def __init__(self, point, digits, memo):
        self.point, self.digits, self.memo = point, digits, memo

    def __call__(self, e):
        try:
            return self.memo[e]
        except KeyError:
            pass
        except TypeError:  # unhashable
            return self.node(e)
        v = self.node(e)
        self.memo[e] = v
        return v

    def node(self, e):
        if e.is_Rational:
            return e
        if e.is_Symbol:
            if e in self.point:
                return self.point[e]
            raise Uncertain(f"no value for {e}")
        if e is sp.pi:
            return iv.pi + 0
        if e is sp.E:
            return iv.e + 0
        if e.is_Float:
            return sp.Rational(e)
        if isinstance(e, sp.Add):
            vals = [self(a) for a in e.args]
            if not any(map(is_interval, vals)):
                return sp.Add(*vals)
            out = iv.mpf(0)
            for v in vals:
                out = out + _iv(v)
            return out
        if isinstance(e, sp.Mul):
            vals = [self(a) for a in e.args]
            if not any(map(is_interval, vals)):
                return sp.Mul(*vals)
            if any(not is_interval(v) and v == 0 for v in vals):
                return sp.S.Zero
            out = iv.mpf(1)
            for v in vals:
                out = out * _iv(v)
            return out
        if isinstance(e, sp.Pow):
            return _pow(self(e.base), self(e.exp))
        if isinstance(e, sp.Piecewise):
            for expr, cond in e.args:
                if _truth(cond, self):
                    return self(expr)
            raise Undefined("no piece of the Piecewise applies")
        if isinstance(e, sp.Function) or isinstance(e, (sp.Max, sp.Min)):
            return self.function(e)
        return self.fallback(e)

    def function(self, e):
        args = [self(a) for a in e.args]
        if not any(map(is_interval, args)):
            v = _exact(e, args)
            if v is not None:
                return v
            if isinstance(e, (sp.log,)) and args and args[0] <= 0:
                raise Undefined("log of a non-positive number")
        f = e.func
        if f in _UNARY and len(args) == 1:
            return _UNARY[f](args[0])
        if f is sp.sign:
            return sp.Integer(sign_of(args[0]))
        if f is sp.Heaviside:
            s = sign_of(args[0])
            if s == 0:
                if len(args) > 1:
                    return args[1]
                return sp.S.Half
            return sp.S.One if s > 0 else sp.S.Zero
        if f is relu:
            return _hull_max([sp.S.Zero, args[0]])
        if f is sp.Max:
            return _hull_max(args)
        if f is sp.Min:
            return _hull_min(args)
        return self.fallback(e)

    def fallback(self, e):
        """SymPy's certified ``evalf`` of the node at the point (no rule above applies)."""
        try:
            v = e.xreplace(dict(self.point)).doit()
            if v.is_Rational:
                return v
            if v.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
                raise Undefined(f"{e} is undefined here")
            if v.free_symbols:
                raise Uncertain(f"{e} keeps free symbols")
            n = v.evalf(self.digits, strict=True)
        except PrecisionExhausted:
            raise Uncertain(f"{e}: evalf could not certify the digits") from None
        except (TypeError, ValueError, AttributeError, NotImplementedError) as exc:
            raise Uncertain(f"{e}: {type(exc).__name__}") from None
        re, im = n.as_real_imag()
        if not (re.is_Number and im.is_Number) or not re.is_finite:
            raise Uncertain(f"{e} has no numeric value")
        if im != 0:
            if abs(im) > abs(re) * sp.Float(10) ** (5 - self.digits) or re == 0:
                raise Undefined(f"{e} is not real here")
            raise Uncertain(f"{e}: imaginary part not settled")
        if re == 0:
            return sp.S.Zero  # strict evalf returned an exact zero
        mid = iv.mpf(mpmath.mpf(re._mpf_))
        rad = abs(mid) * iv.mpf(10) ** (3 - self.digits)
        return iv.mpf([(mid - rad).a, (mid + rad).b])
