r"""The fused SGD step: each update rule composed symbolically with batched BP3 and BP4.

One step of mini-batch SGD is the update rule of ``derive.book.updates`` (eqs. 20-21, 93, 97) applied to
the gradient that backpropagation gives (BP3, BP4 of ``derive.book.backprop.BATCHED``).  Instead of
storing the gradient and then reading it back, :func:`composed_update` substitutes the batched
BP4, :math:`\nabla_w = \Delta^T A^{l-1}/m`, for :math:`\nabla_w` in the rule (and BP3,
:math:`\nabla_b = \mathbf 1^T\Delta/m`, in the bias rule), giving e.g. for L2

.. math::

    w^l \to (1 - \tfrac{\eta\lambda}{n})\,w^l - \tfrac{\eta}{m}(\Delta^l)^T A^{l-1},\qquad
    b^l \to b^l - \tfrac{\eta}{m}\mathbf 1^T\Delta^l ,

and :func:`step_update` prints that as the last step of the generated ``step_<reg>`` kernel:
δ^l scaled once by η/m (it is m×n_l, small), then one product subtracted in place per weight
matrix, ``w -= delta_eta.T @ a``, printed as ``subtract_product(w, delta_eta.T, a)``: one BLAS
gemm, :math:`C \leftarrow C - AB`, with no temporary of w's size and the same bits
(:mod:`numerics.blas`).  Nothing here is mathematics of its own: the rules and the
products are derive's, composed by SymPy and printed by :class:`numerics.printer.KernelPrinter`.
"""
from __future__ import annotations

import sympy as sp

from gradproof.derive.book import backprop
from gradproof.derive.book import updates as _upd

from .printer import BP_NAMES, BP_THEOREM, KernelPrinter, pretty

__all__ = ["composed_update", "step_update", "STEP_NAMES"]

#: The composed rules' matrix symbols -> the step loop's locals: w^l and b^l (b^l as a 1×n_l row,
#: like BP3).  A function of w in a rule (sgn w, L1) is an elementwise matrix ``F<i>``.
STEP_NAMES = {"W": "w", "B": "b"}
_SHOW = {"W": "w^l", "B": "b^l", "Delta": "δ^l", "A_prev": "a^(l-1)"}


def composed_update(reg: str) -> tuple[sp.MatrixExpr, sp.MatrixExpr, dict]:
    r"""The new :math:`w^l` and :math:`b^l` after one SGD step, as matrix expressions of the
    mini-batch, composed symbolically: ``derive.book.updates.WEIGHT_UPDATES[reg]`` with the scalar w
    made the matrix ``W`` and :math:`\nabla_w` replaced by the batched BP4,
    ``derive.book.backprop.BATCHED["bp4"]`` :math:`= \Delta^T A^{l-1}/m`; ``BIAS_UPDATE`` with b the
    row ``B`` and :math:`\nabla_b` replaced by BP3, :math:`\mathbf 1^T\Delta/m`.  A function of w
    in a rule (:math:`\operatorname{sgn} w`, L1) becomes an elementwise matrix ``F<i>``.

    Returns ``(new W, new B, {F<i>: the scalar function of derive.book.updates.w it stands for})``; e.g.
    for ``"l2"``: :math:`(1 - \eta\lambda/n)W - (\eta/m)\Delta^T A^{l-1}` and
    :math:`B - (\eta/m)\mathbf 1^T\Delta`.
    """
    S, bp = backprop.BATCHED_SYMBOLS, backprop.BATCHED
    W = S["W"]  # w^l: n_l × n_{l-1}
    B = sp.MatrixSymbol("B", 1, S["Delta"].shape[1])  # b^l as a row, like BP3
    rule = _upd.WEIGHT_UPDATES[reg][0]
    fns = sorted((f for f in rule.atoms(sp.Function) if _upd.w in f.free_symbols), key=sp.default_sort_key)
    elementwise = {sp.MatrixSymbol(f"F{i}", *W.shape): f for i, f in enumerate(fns)}
    new_w = rule.xreplace({f: F for F, f in elementwise.items()}).xreplace(
        {_upd.w: W, _upd.nabla_w: bp["bp4"]})
    new_b = _upd.BIAS_UPDATE[0].xreplace({_upd.b: B, _upd.nabla_b: bp["bp3"]})
    for new, old in ((new_w, _upd.w), (new_b, _upd.b)):
        if not isinstance(new, sp.MatrixExpr) or old in new.free_symbols:
            raise AssertionError(f"the {reg} update of {old} is not a matrix expression of the "
                                 f"mini-batch: {new}")
    return new_w, new_b, elementwise


def _terms(expr: sp.MatrixExpr) -> list[tuple[sp.Expr, list]]:
    """``expr`` as a list of terms (scalar coefficient, [matrix factors])."""
    return [t.as_coeff_matrices() if isinstance(t, sp.MatMul) else (sp.S.One, [t])
            for t in (expr.args if isinstance(expr, sp.MatAdd) else (expr,))]


def _show(coeff: sp.Expr, factors: list, elementwise: dict) -> str:
    """One term for a comment, in the book's letters: ``(η/m) (δ^l)ᵀ a^(l-1)``."""
    def one(f):
        if isinstance(f, sp.Transpose):
            return f"({one(f.arg)})ᵀ"
        if isinstance(f, sp.OneMatrix):
            return "1ᵀ"
        if f in elementwise:
            return pretty(elementwise[f]).replace("sign(w)", "sgn(w^l)")
        return _SHOW.get(f.name, f.name)
    c = "" if coeff == 1 else f"({pretty(coeff)}) " if coeff.is_Add or coeff.is_Mul else f"{pretty(coeff)} "
    return (c + " ".join(one(f) for f in factors)).strip()


def _rule_text(target: str, expr: sp.MatrixExpr, elementwise: dict) -> str:
    """``w^l → w^l - (η/m) (δ^l)ᵀ a^(l-1)``: a composed rule for a comment."""
    out = ""
    terms = sorted(_terms(expr), key=lambda t: getattr(t[1][0], "name", None) != target)  # w^l first
    for c, f in terms:
        neg = not c.is_Add and c.could_extract_minus_sign()
        body = _show(-c if neg else c, f, elementwise)
        out += (" - " if neg else " + ") + body if out else ("-" if neg else "") + body
    return f"{_SHOW[target]} → {out}"


def step_update(textbook: bool, reg: str) -> tuple[list[str], str]:
    """Step 6 of ``step_<reg>`` as code lines (the body of the loop over w^l, b^l, δ^l, a^(l-1)), and
    the two composed rules as text for its header.

    Each composed rule (:func:`composed_update`) is a sum of terms, printed in place with no
    temporary of w's size but the one product: ``scale·W`` as ``w *= scale``; a coefficient times an
    elementwise function of W as ``t = f(w)`` (evaluated before w changes), ``t *= c``, ``w -= t``;
    the coefficient times the BP4 (BP3) product.  When the weight and the bias rule give that product
    the same coefficient (−η/m), δ^l is scaled by it once, ``delta_eta = (eta/m)*delta``, and each
    parameter gets one product subtracted in place: ``subtract_product(w, delta_eta.T, a)``, that
    is ``w -= delta_eta.T @ a`` in one BLAS call (:func:`numerics.blas.subtract_product`), and
    ``b -= delta_eta.sum(axis=0)``.
    """
    new_w, new_b, elementwise = composed_update(reg)
    w_id, b_id = _upd.WEIGHT_UPDATES[reg][1], _upd.BIAS_UPDATE[1]
    Delta = backprop.BATCHED_SYMBOLS["Delta"]
    names = dict(BP_NAMES, **STEP_NAMES)
    scalars = KernelPrinter(textbook)
    rules = {"W": (_terms(new_w), w_id, "bp4"), "B": (_terms(new_b), b_id, "bp3")}

    def gradient(terms):
        g = [t for t in terms if any(Delta in f.free_symbols for f in t[1])]
        if len(g) != 1:
            raise AssertionError(f"the {reg} update: expected one term with the batched gradient, got {terms}")
        return g[0]

    grads = {k: gradient(terms) for k, (terms, _, _) in rules.items()}
    (cw, _), (cb, _) = grads["W"], grads["B"]
    shared = cw == cb
    out = []
    if shared:  # −η/m for both: scale the small δ^l once
        printer = KernelPrinter(textbook, dict(names, Delta="delta_eta"))
        out.append(f"delta_eta = {printer.scalar(-cw)}*delta  # {_show(-cw, [], {})} δ^l: η times the "
                   f"1/m of the mean, common to both rules  [{w_id}, {BP_THEOREM}]")
    else:
        printer = KernelPrinter(textbook, names)
    for target, (terms, tid, bp_id) in rules.items():
        var = STEP_NAMES[target]
        scale, pre, subtract = sp.S.Zero, [], []
        for i, (c, factors) in enumerate(terms):
            if len(factors) == 1 and getattr(factors[0], "name", None) == target:
                scale += c
            elif (c, factors) == grads[target]:
                product = sp.MatMul(*factors) if shared else sp.MatMul(-c, *factors)
                code = printer.doprint(product)
                if shared and len(factors) == 2 and " @ " in code:  # w -= p @ q: one BLAS call
                    p, q = (printer.doprint(f) for f in factors)
                    line = f"subtract_product({var}, {p}, {q})"
                    show = f"{var} -= {code}: {_show(-c, factors, elementwise)}"
                else:
                    line, show = f"{var} -= {code}", _show(-c, factors, elementwise)
                subtract.append(f"{line}  # {show}  [{bp_id}, {BP_THEOREM}, {tid}]")
            elif len(factors) == 1 and factors[0] in elementwise:
                t, shown = f"t{i}", _show(-c, factors, elementwise)
                fn = scalars.doprint(elementwise[factors[0]])
                pre.append(f"{t} = {fn}  # {_show(1, factors, elementwise)}, before {_SHOW[target]} "
                           f"changes  [{tid}]")
                if -c != 1:
                    pre.append(f"{t} *= {scalars.scalar(-c)}  # {shown}  [{tid}]")
                subtract.append(f"{var} -= {t}  # {shown}  [{tid}]")
            else:
                raise AssertionError(f"the {reg} update: cannot print the term {c}*{factors}")
        if scale == 0:
            raise AssertionError(f"the {reg} update drops {_SHOW[target]}")
        out += pre
        if scale != 1:
            out.append(f"{var} *= {scalars.scalar(scale)}  # {_show(scale, [sp.Symbol(target)], {})}"
                       f"  [{tid}]")
        out += subtract
    return out, f"{_rule_text('W', new_w, elementwise)}, {_rule_text('B', new_b, elementwise)}"
