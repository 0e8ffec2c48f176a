r"""Certified real evaluation: the value of an expression at exact rational values of its symbols.

:func:`evaluate` walks the SymPy tree bottom-up.  A value is exact (a SymPy ``Rational``) as long as
SymPy's own evaluation of the node is rational (``Abs(-1/3)``, ``sign(0)``, ``σ(0) = 1/2``,
``Heaviside(0) = 1/2``); otherwise it is an ``mpmath.iv`` interval that certainly contains it
(:mod:`derive.core.interval`).  **Every** node must be real and defined at the point: ``sqrt`` or a
fractional power of a negative number, ``log`` of a non-positive one, a division by zero raise
:class:`Undefined`, so a point where ``sqrt(x)·sqrt(x)`` has a non-real factor is never used to
refute ``sqrt(x)·sqrt(x) = |x|``, even though SymPy writes that product as ``x``.  When the
precision cannot settle a node (the argument of ``sign`` straddles 0, ``exp`` of an argument beyond
±10⁶) :class:`Uncertain` is raised: the point is skipped, never guessed.

A function is evaluated by its ``interval`` rule in :mod:`derive.core.functions` (or through its
``definition``); a node with no rule falls back to SymPy's ``evalf(strict=True)`` (all digits
certified, else :class:`Uncertain`), widened by a thousand units in the last place.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import mpmath
import sympy as sp
from sympy.core.evalf import PrecisionExhausted

from . import functions
from .interval import Uncertain, Undefined, as_interval, dps, is_interval, power, sign_of

__all__ = ["Undefined", "Uncertain", "evaluate", "satisfies", "Evaluator", "truth"]

iv = mpmath.iv


def evaluate(e: sp.Basic, point: Mapping[sp.Symbol, sp.Rational], digits: int = 50, *,
             memo: dict | None = None):
    """The real value of ``e`` at ``point``: a ``Rational`` (exact) or an ``iv.mpf`` interval.

    Raises :class:`Undefined` when some subexpression is undefined or not real there,
    :class:`Uncertain` when ``digits`` of working precision do not settle it.  ``memo`` (a dict)
    may be shared between calls at the same point and precision.
    """
    memo = {} if memo is None else memo
    with dps(digits):
        return Evaluator(point, digits, memo)(e)


def satisfies(relations: Sequence[sp.Basic], point: Mapping[sp.Symbol, sp.Rational],
              digits: int = 50) -> bool:
    """Whether every relation (``x > 0``, ``Ne(x, y)``, ``And``/``Or``/``Not`` of them) holds at
    ``point``; Uncertain or Undefined when that is not certain."""
    with dps(digits):
        ev = Evaluator(point, digits, {})
        return all(truth(c, ev) for c in relations)


def truth(cond: sp.Basic, ev: "Evaluator") -> bool:
    """Whether the condition ``cond`` holds, its sides evaluated by ``ev``."""
    if cond is sp.true or cond == True:  # noqa: E712 - SymPy's BooleanTrue
        return True
    if cond is sp.false or cond == False:  # noqa: E712
        return False
    if isinstance(cond, sp.And):
        return all(truth(c, ev) for c in cond.args)
    if isinstance(cond, sp.Or):
        return any(truth(c, ev) for c in cond.args)
    if isinstance(cond, sp.Not):
        return not truth(cond.args[0], ev)
    if isinstance(cond, sp.core.relational.Relational):
        s = sign_of(ev(cond.lhs - cond.rhs))
        op = cond.rel_op
        return {"<": s < 0, "<=": s <= 0, ">": s > 0, ">=": s >= 0, "==": s == 0, "!=": s != 0}[op]
    raise Uncertain(f"condition {cond} not understood")


def _exact(node: sp.Basic, args) -> sp.Expr | None:
    """SymPy's own value of ``node`` at exact ``args`` when it is rational (else None)."""
    try:
        v = node.func(*args)
    except (TypeError, ValueError, ArithmeticError):
        return None
    if v.is_Rational:
        return v
    return None


class Evaluator:
    """The value of each node at ``point`` (a callable on expressions), at ``digits`` digits of
    ``mpmath.iv`` precision (set by the caller, as :func:`evaluate` does); ``memo`` keeps the
    values of the nodes seen."""

    def __init__(self, point: Mapping[sp.Symbol, sp.Rational], digits: int, memo: dict):
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
                out = out + as_interval(v)
            return out
        if isinstance(e, sp.Mul):
            vals = [self(a) for a in e.args]
            if not any(map(is_interval, vals)):
                return sp.Mul(*vals)
            if any(not is_interval(v) and v == 0 for v in vals):
                return sp.S.Zero
            out = iv.mpf(1)
            for v in vals:
                out = out * as_interval(v)
            return out
        if isinstance(e, sp.Pow):
            return power(self(e.base), self(e.exp))
        if isinstance(e, sp.Piecewise):
            for expr, cond in e.args:
                if truth(cond, self):
                    return self(expr)
            raise Undefined("no piece of the Piecewise applies")
        if isinstance(e, sp.Function) or isinstance(e, (sp.Max, sp.Min)):
            return self.function(e)
        return self.fallback(e)

    def function(self, e):
        """A call: through its definition, exactly when SymPy's own value is rational, else by
        its interval rule (:mod:`derive.core.functions`), else by :meth:`fallback`."""
        entry = functions.info(e)
        if entry is not None and entry.definition is not None:
            return self(entry.definition(*e.args))
        args = [self(a) for a in e.args]
        if not any(map(is_interval, args)):
            v = _exact(e, args)
            if v is not None:
                return v
        if entry is not None and entry.interval is not None:
            return entry.interval(*args)
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
        with mpmath.workprec(re._prec):  # all of evalf's digits (mpmath.mp's own 53 bits would round)
            mid = iv.mpf(mpmath.mpf(re._mpf_))
        rad = abs(mid) * iv.mpf(10) ** (3 - self.digits)
        return iv.mpf([(mid - rad).a, (mid + rad).b])
