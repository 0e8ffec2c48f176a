r"""Derivatives and sums as written: the calculus half of the reader's transformer.

``\frac{\partial C}{\partial w}``, ``∂C/∂w``, ``\frac{d}{dz}(…)``, ``\frac{\partial^2 C}{\partial w \partial b}``,
``diff(f, z, 2)``, ``Derivative(f, z)`` become unevaluated ``sp.Derivative`` (rules R6, R7 of
:mod:`derive.claims.reader`); ``\sum_{k=1}^{n}``, ``\sum_k``, ``Σ_x``, ``Sum(f, (k, 1, n))`` become
``sp.Sum`` with the index a positive integer (an unwritten range is
:func:`derive.claims.quantities.unwritten_bound`).  A mixin of :class:`derive.claims.transform.Transformer`.
"""
from __future__ import annotations

import sympy as sp
from lark.visitors import v_args

from ..core.indexed import index
from .nodes import (Chain, DerivativeOperator, Differential, Differentials, Group, KnownFunction,
                    SumOperator)
from .quantities import Layer, symbol, unwritten_bound
from .readback import shown
from .reading import CONSTANTS, MAX_ORDER

__all__ = ["Calculus", "d_order"]


class Calculus:
    """The transformer's rules for derivatives and sums (uses its ``fail``, ``v`` and ``product``)."""

    def variable(self, x, pos, what: str) -> sp.Expr:
        if isinstance(x, (sp.Symbol, sp.Indexed, Layer)):  # ∂C/∂w^l: a whole layer, for the network
            return x
        self.fail(pos, f"{what}: '{shown(x)}' is not a variable to differentiate by")

    def diff(self, f: KnownFunction, items: tuple, pos) -> sp.Expr:
        """``diff(f, x, 2, y)``: f differentiated twice in x, then in y (unevaluated)."""
        if len(items) < 2:
            self.fail(f.pos, f"{f.shown}() needs an expression and a variable, as in "
                             f"{f.shown}(sigma(z), z)")
        spec: list[list] = []
        for item in items[1:]:
            x = self.v(item)
            if x.is_Integer and x > 0 and spec and spec[-1][1] == 1:
                spec[-1][1] = int(x) if x <= MAX_ORDER else MAX_ORDER + 1
            else:
                spec.append([self.variable(x, f.pos, f"{f.shown}()"), 1])
        return self.differentiated(self.v(items[0]), spec, f.pos)

    def differentiated(self, expr, spec, pos) -> sp.Expr:
        order = sum(c for _, c in spec)
        if order > MAX_ORDER:
            self.fail(pos, f"a derivative of order {order} is not read (at most {MAX_ORDER})")
        return sp.Derivative(expr, *[(x, c) for x, c in spec])

    def derivative(self, num, den, pos, d_form: bool):
        """∂C/∂w, ∂²C/∂w∂b, ∂/∂w (…), η ∂C/∂w; in a \\frac also d/dz and dy/dx (R7).  None:
        not a derivative (an ordinary quotient)."""
        top, bottom = self.numerator(num, d_form), self.denominator(den, d_form)
        if top is None or bottom is None:
            if isinstance(num, Differentials) or isinstance(den, Differentials):
                self.fail(pos, "∂ is read only in a derivative ∂C/∂w: a ∂ above and one below")
            return None
        lead, operand, order = top
        spec, rest = bottom
        if order != sum(c for _, c in spec):
            self.fail(pos, f"the derivative's order is {order} above and {sum(c for _, c in spec)} "
                           "below; write them alike, as in ∂²C/∂w² or ∂²C/∂w∂b")
        if operand is None and not rest:
            if lead:
                self.fail(pos, "write the factor after the derivative: (∂/∂w)(η C), or η ∂C/∂w")
            self.differentiated(sp.S.Zero, spec, pos)
            return DerivativeOperator(tuple((x, c) for x, c in spec), pos)
        if operand is not None and rest:
            self.fail(pos, "what follows ∂w in the denominator is not read; write ∂C/∂w · x")
        if operand is None:
            operand = rest[0] if len(rest) == 1 else sp.Mul(*rest, evaluate=False)
        d = self.differentiated(operand, spec, pos)
        return sp.Mul(*lead, d, evaluate=False) if lead else d

    def numerator(self, x, d_form: bool):
        """(factors before ∂, what is differentiated or None, order) or None."""
        if isinstance(x, Differentials):
            *lead, last = x.factors
            if not isinstance(last, Differential) or any(isinstance(f, Differential) for f in lead):
                return None
            return lead, last.operand, last.order
        if not d_form or not isinstance(x, sp.Basic):
            return None
        head, rest = (x.args[0], x.args[1:]) if isinstance(x, sp.Mul) else (x, ())
        order = d_order(head)
        if order is None:
            return None
        operand = None if not rest else rest[0] if len(rest) == 1 else sp.Mul(*rest, evaluate=False)
        return [], operand, order

    def denominator(self, x, d_form: bool):
        """([[variable, count], …], the factors after them) or None."""
        if isinstance(x, Differentials):
            spec, rest = [], []
            for f in x.factors:
                if isinstance(f, Differential) and not rest:
                    if f.operand is None or f.order != 1:
                        return None
                    spec.append(self.counted(f.operand, f.pos))
                else:
                    rest.append(self.v(f))
            return (spec, rest) if spec else None
        if not d_form or not isinstance(x, sp.Mul):
            return None
        args = x.args
        if len(args) % 2 or any(d_order(a) != 1 for a in args[0::2]):
            return None
        return [self.counted(a, None) for a in args[1::2]], []

    def counted(self, x, pos) -> list:
        """``w`` → [w, 1]; ``w^2`` in a denominator → [w, 2] (R7)."""
        if isinstance(x, sp.Pow) and x.exp.is_Integer and x.exp > 0:
            return [self.variable(x.base, pos, "a derivative"), int(x.exp)]
        return [self.variable(x, pos, "a derivative"), 1]

    @v_args(inline=True, meta=True)
    def frac(self, meta, tok, num, den):
        n, d = (self.only(g, tok) for g in (num, den))
        found = self.derivative(n, d, tok, d_form=True)
        if found is not None:
            return found
        return self.quotient(self.v(n), self.v(d), tok)

    def only(self, g: Group, pos):
        if len(g.items) != 1:
            self.fail(pos, "a fraction's parts are single expressions, not lists")
        return g.items[0]

    @v_args(inline=True, meta=True)
    def opened_frac(self, meta, *children):
        *pieces, fr, operand = children
        if isinstance(fr, DerivativeOperator):
            return self.product(meta, pieces + [self.differentiated(self.v(operand),
                                                                    [list(s) for s in fr.variables],
                                                                    fr.pos)])
        return self.product(meta, pieces + [fr, operand])

    @v_args(inline=True, meta=True)
    def sum(self, meta, tok, *rest):
        if not rest:
            self.fail(tok, "∑ needs its index, as in \\sum_k or \\sum_{k=1}^{n}")
        return self.limits(rest[1], rest[3] if len(rest) > 2 else None, tok)

    @v_args(inline=True, meta=True)
    def sum_upper_first(self, meta, tok, sup, upper, sub, lower):
        return self.limits(lower, upper, tok)

    def limits(self, lower, upper, pos) -> SumOperator:
        """``k=1`` and ``n``, ``k``, ``j,k``: the sum's indices and their ranges."""
        items = lower.items if isinstance(lower, Group) else (lower,)
        if len(items) == 1 and isinstance(items[0], Chain):
            chain = items[0]
            if chain.relations != ["="]:
                self.fail(pos, "a sum's lower limit is written k=1")
            pairs = [(chain.sides[0], chain.sides[1])]
        else:
            pairs = [(self.v(i), None) for i in items]
            if len(pairs) > 1 and upper is not None:
                self.fail(pos, "one upper limit for several indices is not read; write one ∑ each")
        out = []
        for k, lo in pairs:
            if not isinstance(k, sp.Symbol) or k in CONSTANTS.values():
                self.fail(pos, f"a sum's index is a letter, not '{shown(k)}'")
            hi = self.v(upper) if upper is not None else None
            out.append((k, lo, hi))
        return SumOperator(out, pos)

    @v_args(inline=True, meta=True)
    def opened_sum(self, meta, *children):
        *pieces, op, operand = children
        body = self.v(operand)
        limits = []
        for k, lo, hi in op.limits:
            idx = index(k.name)
            as_value = body.has(symbol(k.name))
            as_index = body.has(idx)
            if lo is None and hi is None and as_value and not as_index:
                limits.append((k, sp.S.One, unwritten_bound(idx)))  # ∑_w w²: over the w's
                continue
            body = body.xreplace({symbol(k.name): idx})
            limits.append((idx, sp.S.One if lo is None else lo,
                           unwritten_bound(idx) if hi is None else hi))
        return self.product(meta, pieces + [sp.Sum(body, *limits)])

    def sum_call(self, f: KnownFunction, items: tuple, pos) -> sp.Expr:
        """``Sum(f, (k, 1, n))``, as SymPy writes a sum."""
        if len(items) < 2:
            self.fail(f.pos, "Sum() needs a summand and a range, as in Sum(k, (k, 1, n))")
        body = self.v(items[0])
        limits = []
        for item in items[1:]:
            if not (isinstance(item, Group) and len(item.items) == 3):
                self.fail(f.pos, "a range in Sum() is written (k, 1, n)")
            k, lo, hi = (self.v(x) for x in item.items)
            if not isinstance(k, sp.Symbol) or k in CONSTANTS.values():
                self.fail(f.pos, f"a sum's index is a letter, not '{shown(k)}'")
            idx = index(k.name)
            body = body.xreplace({symbol(k.name): idx})
            limits.append((idx, lo, hi))
        return sp.Sum(body, *limits)


def d_order(x) -> int | None:
    """``d`` → 1, ``d^2`` → 2: the d of a derivative in a \\frac (R7)."""
    if isinstance(x, sp.Symbol) and x.name == "d":
        return 1
    if isinstance(x, sp.Pow) and isinstance(x.base, sp.Symbol) and x.base.name == "d" \
            and x.exp.is_Integer and x.exp > 0:
        return int(x.exp)
    return None
