r"""The printer of gradproof's kernels: SymPy expressions as lean numpy source.

:class:`KernelPrinter` is SymPy's ``NumPyPrinter`` with the choices the kernels need (see its
docstring); :func:`lines` prints ``target = expr`` with common subexpressions (``sympy.cse``) as
locals; :class:`rowsum` and :class:`rowmax` are the two reductions of the row layout (over the
neurons of one example), and :func:`row_form` puts derive's index-form expressions (a ``Sum`` over
the neurons of the output row) into that layout.  :data:`BP_NAMES` names derive's batched matrices
(``derive.book.backprop.BATCHED_SYMBOLS``) as the template's locals.  Nothing here is mathematics of
its own: it prints what ``derive`` owns.
"""
from __future__ import annotations

import re

import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from gradproof.derive.book.activations import z

__all__ = ["KernelPrinter", "rowsum", "rowmax", "row_form", "lines", "ret", "pretty", "indent", "enclosed",
           "BP_NAMES", "BP_THEOREM"]

#: ``derive.book.backprop.BATCHED_SYMBOLS`` -> the template's locals (``SigmaPrime``: the activation's σ′,
#: filled in per kernel; ``b`` and ``c``, the per-neuron costs, keep their names).  One example per
#: row: ``a`` is A^{l-1}, ``w`` is w^l (and w^{l+1} in BP2), ``delta`` Δ^l (and Δ^{l+1} in BP2).
BP_NAMES = {"Delta_next": "delta", "W_next": "w", "Delta": "delta", "A_prev": "a", "m": "m",
            "W": "w"}
BP_THEOREM = "bp_batched"  #: the theorem that proves ``derive.book.backprop.BATCHED``


class rowsum(sp.Function):
    r""":math:`\sum_k x_k` over the output neurons of each example: ``x.sum(axis=1, keepdims=True)``."""


class rowmax(sp.Function):
    r""":math:`\max_k x_k` over the output neurons of each example: ``x.max(axis=1, keepdims=True)``."""


#: A name, a number, an attribute, a subscripted name (``weights[-1].T``): printed without parentheses.
_NAME = re.compile(r"[\w.]+(?:\[-?\w+\][\w.]*)*")


def row_form(expr: sp.Expr, entries: sp.IndexedBase, row: sp.Symbol = z) -> sp.Expr:
    r"""An index-form expression over one layer's neurons (``entries[k]``, e.g. derive.book.softmax's
    :math:`z^L_k`) in the row layout, where ``row`` holds the whole layer of each example:
    :math:`\sum_{k=1}^{n} f(z_k)` → ``rowsum(f(row))`` (the sum must run over all the neurons,
    k = 1..n), and every remaining entry :math:`z_j` → ``row`` (elementwise).

    Raises ``ValueError`` for a sum over part of the row or an index left over."""
    widths = set()

    def to_row(s: sp.Sum) -> sp.Expr:
        if len(s.limits) != 1 or s.limits[0][1] != 1:
            raise ValueError(f"row_form: {s} is not a sum over one whole row (k = 1..n); "
                             f"write it as Sum(f(z[k]), (k, 1, n))")
        k, _, n = s.limits[0]
        widths.add(n)
        body = s.function.xreplace({entries[k]: row})
        if k in body.free_symbols:
            raise ValueError(f"row_form: the summand of {s} uses its index {k} other than as {entries}[{k}]")
        return rowsum(body)

    out = expr.replace(lambda e: isinstance(e, sp.Sum), to_row)
    out = out.replace(lambda e: isinstance(e, sp.Indexed) and e.base == entries, lambda e: row)
    left = out.atoms(sp.Indexed, sp.Idx) | (out.free_symbols & widths)
    if len(widths) > 1 or left:
        raise ValueError(f"row_form: {expr} is not an expression of one row of {entries} "
                         f"(left over: {sorted(map(str, left)) or sorted(map(str, widths))})")
    return out


class KernelPrinter(NumPyPrinter):
    """NumPy printer for the kernels: lean operators, the layout's reductions, complex-safe textbook.

    ``1/x`` instead of ``x**(-1.0)``; ``Heaviside(z, 0)`` as ``(z > 0)`` (ReLU′(0) = 0); ``Max(0, z)``
    as ``numpy.maximum(z, 0)``.  With ``textbook=True`` the branch tests use ``.real`` so complex
    input works, and ``|w|`` prints as ``w*numpy.sign(w.real)`` (analytic away from 0).
    Matrix products print with ``@``, ``X.T`` and ``*`` (Hadamard), a product with the ones row as a
    sum over the rows; a scalar factor of a product multiplies its first matrix.
    """

    def __init__(self, textbook: bool = False, names: dict[str, str] | None = None):
        super().__init__({"fully_qualified_modules": True, "order": "none"})
        self.textbook = textbook
        self.names = names or {}

    def _re(self, code: str) -> str:
        return f"{code}.real" if self.textbook else code

    def _print_Symbol(self, expr):
        return self.names.get(expr.name, expr.name)

    _print_MatrixSymbol = _print_Symbol

    def _atom(self, x) -> str:
        """``x`` printed, in parentheses unless it is an atom (a name, a number, a call)."""
        code = self._print(x)
        if _NAME.fullmatch(code) or x.is_Function or enclosed(code):
            return code
        return f"({code})"

    def _print_Pow(self, expr, rational=False):
        if expr.exp == -1:
            return f"1/{self._atom(expr.base)}"
        if expr.exp == 2:
            return f"{self._atom(expr.base)}**2"
        return super()._print_Pow(expr, rational=rational)

    def _print_Heaviside(self, expr):
        if expr.args[1] != 0:
            raise NotImplementedError(f"Heaviside with H(0) = {expr.args[1]}: only H(0) = 0 is printed")
        return f"({self._re(self._print(expr.args[0]))} > 0)"

    def _print_Max(self, expr):
        zero = [x for x in expr.args if x == 0]
        rest = [x for x in expr.args if x != 0]
        if len(zero) != 1 or len(rest) != 1:
            return super()._print_Max(expr)
        x = self._print(rest[0])
        if self.textbook:
            return f"numpy.where({x}.real > 0, {x}, 0)"
        return f"numpy.maximum({x}, 0)"

    def _print_logaddexp(self, expr):
        """``numpy.logaddexp(x, y)``; in textbook kernels :func:`numerics.complexsafe.logaddexp`
        (numpy's refuses complex input)."""
        if self.textbook:
            return f"logaddexp({', '.join(self._print(x) for x in expr.args)})"
        return super()._print_logaddexp(expr)

    def _print_Abs(self, expr):
        x = self._atom(expr.args[0])
        return f"({x}*numpy.sign({x}.real))" if self.textbook else f"numpy.abs({self._print(expr.args[0])})"

    def _print_Piecewise(self, expr):
        """``numpy.where(c1, e1, numpy.where(c2, e2, e3))`` (a user's activation or cost): the last
        piece's condition must be True (a piecewise function defined everywhere)."""
        if expr.args[-1].cond != True:  # noqa: E712 - SymPy's true
            return super()._print_Piecewise(expr)
        code = self._print(expr.args[-1].expr)
        for e, c in reversed(expr.args[:-1]):
            code = f"numpy.where({self._print(c)}, {self._print(e)}, {code})"
        return code

    def _print_Relational(self, expr):
        """``(x >= 0)``; in textbook kernels the real parts are compared (complex input)."""
        if expr.rel_op not in ("<", "<=", ">", ">="):
            return super()._print_Relational(expr)
        side = lambda x: self._atom(x) if x.is_number else self._re(self._atom(x))  # noqa: E731
        return f"({side(expr.lhs)} {expr.rel_op} {side(expr.rhs)})"

    def _print_rowsum(self, expr):
        return f"{self._atom(expr.args[0])}.sum(axis=1, keepdims=True)"

    def _print_rowmax(self, expr):
        """The row maximum; in textbook kernels of the real parts (a shift that is a constant for
        the complex step, so the log-sum-exp stays analytic)."""
        return f"{self._re(self._atom(expr.args[0]))}.max(axis=1, keepdims=True)"

    # matrices (BP2-BP4 in batched form)
    def _print_Transpose(self, expr):
        return f"{self._atom(expr.arg)}.T"

    def _print_HadamardProduct(self, expr):
        return "*".join(self._atom(x) for x in expr.args)

    def _print_MatMul(self, expr):
        coeff, factors = expr.as_coeff_matrices()
        ones = [i for i, f in enumerate(factors) if isinstance(f, sp.OneMatrix)]
        if ones == [0, 2] and len(factors) == 3 and expr.shape == (1, 1):  # 1ᵀ X 1: the sum of every entry
            code = f"{self._atom(factors[1])}.sum()"
            if coeff == 1:
                return code
            if coeff.is_Pow and coeff.exp == -1:  # (1/m) 1ᵀ X 1: a mean, X.sum()/m
                return f"{code}/{self._atom(coeff.base)}"
            return f"{self.scalar(coeff)}*{code}"
        if _broadcast(expr) and factors[1].shape[0] == 1:
            # 1 r (a column of ones times a row r): r repeated on every row, numpy's broadcasting
            row = factors[1]
            if isinstance(row, sp.Transpose) and row.arg.shape[1] == 1:
                row = row.arg  # vᵀ of a column vector v: a vector is a 1-D array
            code = self._atom(row)
            return code if coeff == 1 else f"{self.scalar(coeff)}*{code}"
        if ones:  # 1ᵀΔ (or Δᵀ1): a sum over the rows of the mini-batch
            (i,) = ones
            rest = factors[:i] + factors[i + 1:]
            (x,) = rest
            axis_first = i == 0
            body = x if axis_first else x.T
            code = f"{self._atom(body)}.sum(axis=0)"
            return code if coeff == 1 else f"{self.scalar(coeff)}*{code}"
        parts = [self._atom(f) for f in factors]
        if coeff != 1:
            parts[0] = f"{self.scalar(coeff)}*{parts[0]}"
        return " @ ".join(parts)

    def scalar(self, c) -> str:
        """A scalar factor as code: a symbol or a non-negative number bare, anything else in parentheses
        (``eta``, ``3``, ``(eta/m)``, ``(-eta)``), so that it can multiply a product."""
        code = self._print(c)
        return code if (c.is_Symbol or c.is_Number and c >= 0) and "/" not in code else f"({code})"

    def _print_MatAdd(self, expr):
        """The terms in SymPy's order, a broadcast row (``1 bᵀ``) last: ``a @ w.T + b``."""
        return " + ".join(self._print(x) for x in sorted(expr.args, key=_broadcast))


def _broadcast(term: sp.MatrixExpr) -> bool:
    """True for ``1 r``, a column of ones times a row (the row repeated on every row)."""
    if not isinstance(term, sp.MatMul):
        return False
    _, factors = term.as_coeff_matrices()
    return len(factors) == 2 and isinstance(factors[0], sp.OneMatrix) and factors[0].shape[1] == 1


def enclosed(code: str) -> bool:
    """True when ``code`` is one parenthesized group, ``(...)``."""
    if not (code.startswith("(") and code.endswith(")")):
        return False
    depth = 0
    for i, ch in enumerate(code):
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and i < len(code) - 1:
            return False
    return True


def lines(target: str, expr: sp.Expr, printer: KernelPrinter, note: str = "") -> list[str]:
    """``target = expr`` with common subexpressions (``sympy.cse``) as locals when any repeat."""
    named = {rowmax(z): "zmax", sp.exp(z): "ez", sp.exp(z - rowmax(z)): "ez"}
    temps = (sp.Symbol(f"t{i}") for i in range(1000))
    repl, (reduced,) = sp.cse(expr, symbols=temps, optimizations=None)
    out, rename = [], {}
    for sym, sub in repl:
        name = named.get(sub, sym.name)
        rename[sym] = sp.Symbol(name)
        out.append(f"{name} = {printer.doprint(sub.xreplace(rename))}")
    code = printer.doprint(reduced.xreplace(rename))
    out.append(f"{target} = {code}" + (f"  # {note}" if note else ""))
    return out


def ret(expr: sp.Expr, printer: KernelPrinter) -> list[str]:
    """``return expr``, after its common subexpressions."""
    *pre, last = lines("_", expr, printer)
    return pre + ["return " + last.split(" = ", 1)[1]]


def pretty(expr: sp.Expr, names: dict[str, str] | None = None) -> str:
    """``expr`` for a comment: SymPy's string form with the book's Greek letters."""
    greek = {"eta": "η", "lmbda": "λ", "nabla_w": "∇w", "nabla_b": "∇b", **(names or {})}
    return sp.sstr(expr.xreplace({s: sp.Symbol(greek[s.name]) for s in expr.free_symbols
                                  if s.name in greek}), order="none")


def indent(rows: list[str], n: int) -> str:
    """``rows`` joined by newlines, each indented by ``n`` spaces."""
    return "\n".join(" " * n + row if row else "" for row in rows)
