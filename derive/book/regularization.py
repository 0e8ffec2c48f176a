r"""Chapter 3: L2 and L1 regularization, their gradients and the update rules they give.

:math:`C_0` is the unregularized cost: here an *undefined* function of three weights and two
biases, so that nothing about it is assumed.  ``n`` is the size of the training set, ``m`` of the
mini-batch, ``lmbda`` the regularization parameter λ (``lambda`` is a Python keyword, as in the
book's code), ``eta`` the learning rate η.

* ``l2_gradient`` — :math:`C = C_0 + \frac{\lambda}{2n}\sum_w w^2` (eq. 87; 85 and 86 for the
  cross-entropy and quadratic :math:`C_0`): :math:`\partial C/\partial w = \partial C_0/\partial w
  + \frac{\lambda}{n}w`, :math:`\partial C/\partial b = \partial C_0/\partial b` (eqs. 88, 89);
* ``l2_weight_decay`` — :math:`w - \eta\,\partial C/\partial w = (1-\frac{\eta\lambda}{n})w -
  \eta\,\partial C_0/\partial w` (eqs. 91, 92; 93 with a mini-batch);
* ``l1_gradient`` — :math:`C = C_0 + \frac{\lambda}{n}\sum_w |w|` (eq. 95):
  :math:`\partial C/\partial w = \partial C_0/\partial w + \frac{\lambda}{n}\operatorname{sgn}(w)`
  for w ≠ 0 (eq. 96);
* ``l1_update`` — :math:`w - \eta\,\partial C/\partial w = w - \frac{\eta\lambda}{n}\operatorname{sgn}(w)
  - \eta\,\partial C_0/\partial w` (eq. 97).

For real w SymPy differentiates :math:`|w|` as ``sign(w)``, with sign(0) = 0: the book's
convention "sgn(0) = 0" (no L1 shrinkage of a weight that is exactly zero).
"""
from __future__ import annotations

from typing import Callable

import sympy as sp

from ..core.prover import holds, prove_equal
from ..core.display import Display, Update, display, symbol_named
from ..core.theorem import Derivation, Part, Reading, Step, theorem

from . import updates as U
from .updates import eta, lmbda, n  # shared with the update rules the kernels print

m = sp.Symbol("m", integer=True, positive=True)
x = sp.Symbol("x", integer=True, positive=True)  # index of a training input in the mini-batch

#: Three weights and two biases; C_0 is an undefined function of all of them.
WEIGHTS = sp.symbols("w_1:4", real=True)
BIASES = sp.symbols("b_1:3", real=True)
C0 = sp.Function("C_0")(*WEIGHTS, *BIASES)
C_ = sp.Symbol("C")


#: The "checked at" line of a display form that shows w₂ as "any weight" w (:func:`_any_weight`).
_ANY_WEIGHT = ("for $w = w_2$ of a cost $C_0(w_1, w_2, w_3, b_1, b_2)$, an undefined function of "
               "three weights and two biases (every weight enters the same way)")


def _any_weight() -> tuple[sp.Symbol, sp.Expr, dict]:
    """The weight w₂ of C₀(w₁, w₂, w₃, b₁, b₂), shown as "any weight" w: the symbol w, C₀(w),
    and the renaming the display check undoes (:data:`_ANY_WEIGHT` says it in words)."""
    w = sp.Symbol("w", real=True)
    C0w = sp.Function("C_0")(w)
    return w, C0w, {w: WEIGHTS[1], C0w: C0}


def _gradient_form(rel: sp.Eq, penalty: Callable[[sp.Symbol], sp.Expr]) -> tuple[sp.Eq, dict]:
    r""":math:`\partial C/\partial w = \partial C_0/\partial w + \frac{\lambda}{n}\,\mathrm{penalty}(w)`
    for any weight w (eqs. 88, 96), with λ and n of the statement ``rel``; and the renaming."""
    w, C0w, rename = _any_weight()
    lm, n = symbol_named(rel, "lambda"), symbol_named(rel, "n")
    rhs = sp.Add(sp.Derivative(C0w, w), sp.Mul(lm / n, penalty(w), evaluate=False), evaluate=False)
    return sp.Eq(sp.Derivative(C_, w), rhs, evaluate=False), rename


def l2_cost() -> sp.Expr:
    r""":math:`C_0 + \frac{\lambda}{2n}\sum_w w^2` over :data:`WEIGHTS` (biases are not regularized)."""
    return C0 + lmbda / (2 * n) * sp.Add(*[w ** 2 for w in WEIGHTS])


def l1_cost() -> sp.Expr:
    r""":math:`C_0 + \frac{\lambda}{n}\sum_w |w|` over :data:`WEIGHTS`."""
    return C0 + lmbda / n * sp.Add(*[sp.Abs(w) for w in WEIGHTS])


def _minibatch(name: str) -> sp.Expr:
    r""":math:`\frac1m\sum_{x=1}^m g_x`, the mini-batch estimate of :math:`\partial C_0/\partial w`
    (or ``/∂b``); ``g^{name}_x`` stands for :math:`\partial C_x/\partial name`."""
    g = sp.IndexedBase(f"g^{{{name}}}", real=True)
    return sp.Sum(g[x], (x, 1, m)) / m


@theorem("l2_gradient", "Gradient of the L2-regularized cost", "regularization",
         equation="(88), (89)")
def l2_gradient() -> Derivation:
    r"""Book eqs. (87)-(89): :math:`C = C_0 + \frac{\lambda}{2n}\sum_w w^2` has
    :math:`\partial C/\partial w = \partial C_0/\partial w + \frac{\lambda}{n}w` and
    :math:`\partial C/\partial b = \partial C_0/\partial b`."""
    C = l2_cost()
    w, b = WEIGHTS[1], BIASES[0]  # a representative weight and bias; every one is checked
    steps = [
        Step(sp.Eq(C_, C), "eq. (87): the regularization term sums the squares of the weights only"),
        Step(sp.Eq(sp.Derivative(C_, w), sp.diff(C0, w) + lmbda / (2 * n) * sp.Derivative(w ** 2, w)),
             "differentiate term by term: only w's own square depends on w"),
        Step(sp.Eq(sp.Derivative(C_, w), sp.diff(C0, w) + lmbda / n * w), "d(w²)/dw = 2w (eq. 88)"),
        Step(sp.Eq(sp.Derivative(C_, b), sp.diff(C0, b)),
             "the regularization term does not contain the biases (eq. 89)"),
    ]
    return Derivation(
        statement=[sp.Eq(sp.Derivative(C_, w), sp.diff(C0, w) + lmbda / n * w),
                   sp.Eq(sp.Derivative(C_, b), sp.diff(C0, b))],
        steps=steps,
        obligations=[],
        assumptions="λ > 0, n ≥ 1; $C_0$ any differentiable function of the weights and biases "
                    "(3 weights, 2 biases shown)",
        readings=[Reading({C_: C}, methods=("doit",))],
        parts=[Part("∂C/∂w = ∂C_0/∂w + (λ/n) w, ∂C/∂b = ∂C_0/∂b, for a weight and a bias of "
                    "any differentiable C_0 (undefined)", True)],
    )


@display("l2_gradient")
def _l2_gradient_form(s):
    r"""Eqs. (88), (89) for any weight w and any bias b."""
    gw, rename = _gradient_form(s[0], lambda w: w)
    b = sp.Symbol("b", real=True)
    C0b = sp.Function("C_0")(b)
    gb = sp.Eq(sp.Derivative(C_, b), sp.Derivative(C0b, b), evaluate=False)
    rename = {**rename, b: BIASES[0], C0b: C0}
    where = ("for $w = w_2$ and $b = b_1$ of a cost $C_0(w_1, w_2, w_3, b_1, b_2)$, an undefined "
             "function of three weights and two biases (every weight and every bias enters the same "
             "way)")
    return Display((gw, gb), rename, where)


@theorem("l2_weight_decay", "L2 regularization is weight decay", "regularization",
         equation="(91)-(93)")
def l2_weight_decay() -> Derivation:
    r"""Book eqs. (91)-(94): :math:`w \to w - \eta\frac{\partial C}{\partial w}
    = (1 - \frac{\eta\lambda}{n})w - \eta\frac{\partial C_0}{\partial w}`, and with the
    mini-batch estimate :math:`(1 - \frac{\eta\lambda}{n})w - \frac{\eta}{m}\sum_x \partial C_x/\partial w`;
    the biases keep :math:`b \to b - \frac{\eta}{m}\sum_x \partial C_x/\partial b`."""
    C = l2_cost()
    w, b = WEIGHTS[1], BIASES[0]
    dC0 = sp.diff(C0, w)
    update = w - eta * sp.diff(C, w)
    decay = (1 - eta * lmbda / n) * w - eta * dC0
    est_w, est_b = _minibatch("w"), _minibatch("b")
    decay_mb = (1 - eta * lmbda / n) * w - eta * est_w
    bias_mb = b - eta * est_b
    w_new, b_new = sp.symbols("w' b'", real=True)
    steps = [
        Step(sp.Eq(w_new, w - eta * sp.Derivative(C_, w)), "gradient descent on the regularized cost"),
        Step(sp.Eq(w_new, w - eta * dC0 - eta * lmbda / n * w),
             "substitute $∂C/∂w$ (theorem `l2_gradient`): eq. (91)"),
        Step(sp.Eq(w_new, decay),
             "collect w: the weight is first rescaled by 1 − ηλ/n, 'weight decay' (eq. 92)"),
        Step(sp.Eq(w_new, decay_mb),
             "estimate $∂C_0/∂w$ by the mini-batch mean of $g^w_x = ∂C_x/∂w$ (eq. 93)"),
        Step(sp.Eq(b_new, bias_mb), "the biases are not decayed (eq. 94)"),
    ]
    return Derivation(
        statement=[sp.Eq(update, decay), sp.Eq(w_new, decay_mb), sp.Eq(b_new, bias_mb)],
        steps=steps,
        obligations=[
            *[(lambda v=v: prove_equal(v - eta * sp.diff(C, v),
                                       (1 - eta * lmbda / n) * v - eta * sp.diff(C0, v), ("expand",)))
              for v in WEIGHTS],
            # the printed rule is gradient descent on C with the mini-batch estimate of ∂C_0/∂w
            lambda: prove_equal(update.xreplace({dC0: est_w}), decay_mb, ("expand",)),
        ],
        # w', b': the rules the kernels print (derive.book.updates) with the mini-batch estimates
        readings=[Reading({w_new: U.WEIGHT_UPDATES["l2"][0].xreplace({U.w: w, U.nabla_w: est_w}),
                           b_new: U.BIAS_UPDATE[0].xreplace({U.b: b, U.nabla_b: est_b})},
                          methods=("structural", "expand"))],
        parts=[Part("w → (1 − ηλ/n) w − η ∂C_0/∂w, with the mini-batch estimate, b undecayed", True)],
        assumptions="η, λ > 0; n training inputs, mini-batches of m; $C_0$ any differentiable "
                    "function of the weights and biases",
    )


@display("l2_weight_decay")
def _l2_weight_decay_form(s):
    r"""Eqs. (91)-(93): the decay factor :math:`(1 - \eta\lambda/n)` in front of w."""
    rule, rule_mb, bias_mb = s
    w, C0w, rename = _any_weight()
    eta, lm, n = (symbol_named(rule, k) for k in ("eta", "lambda", "n"))
    dC0 = sp.Derivative(C0w, w)
    step = sp.Add(w, sp.Mul(-1, eta, sp.Add(dC0, sp.Mul(lm / n, w, evaluate=False), evaluate=False),
                            evaluate=False), evaluate=False)
    decay = sp.Add(sp.Mul(sp.Add(1, -eta * lm / n, evaluate=False), w, evaluate=False),
                   sp.Mul(-1, eta, dC0, evaluate=False), evaluate=False)
    (total,) = rule_mb.rhs.atoms(sp.Sum)
    m = total.limits[0][2]
    decay_mb = sp.Add(sp.Mul(sp.Add(1, -eta * lm / n, evaluate=False), w, evaluate=False),
                      sp.Mul(-1, eta / m, total, evaluate=False), evaluate=False)
    b = BIASES[0]
    (btotal,) = bias_mb.rhs.atoms(sp.Sum)
    bias_rule = sp.Add(b, sp.Mul(-1, eta / m, btotal, evaluate=False), evaluate=False)
    return Display((sp.Eq(step, decay, evaluate=False), Update(w, rule_mb.lhs, decay_mb),
                    Update(b, bias_mb.lhs, bias_rule)), rename, _ANY_WEIGHT)


@theorem("l1_gradient", "Gradient of the L1-regularized cost", "regularization", equation="(96)")
def l1_gradient() -> Derivation:
    r"""Book eqs. (95), (96): :math:`C = C_0 + \frac{\lambda}{n}\sum_w |w|` has
    :math:`\partial C/\partial w = \partial C_0/\partial w + \frac{\lambda}{n}\operatorname{sgn}(w)`
    for w ≠ 0.  At w = 0, |w| has one-sided slopes −1 and +1 and no derivative; the book (and
    SymPy's ``sign``) use sgn(0) = 0."""
    C = l1_cost()
    w = WEIGHTS[1]
    wp = sp.Symbol("w", positive=True)
    wn = sp.Symbol("w", negative=True)
    h = sp.Symbol("h", real=True)
    rhs = sp.diff(C0, w) + lmbda / n * sp.sign(w)
    steps = [
        Step(sp.Eq(C_, C), "eq. (95): the sum of the absolute values of the weights"),
        Step(sp.Eq(sp.Derivative(sp.Abs(w), w), sp.Piecewise((1, w > 0), (-1, w < 0))),
             "|w| = w for w > 0 (slope 1) and −w for w < 0 (slope −1): the slope is sgn(w)"),
        Step(sp.Eq(sp.Derivative(C_, w), rhs), "so for w ≠ 0, term by term (eq. 96)"),
        Step(sp.Ne(sp.Limit(sp.Abs(h) / h, h, 0, "+"), sp.Limit(sp.Abs(h) / h, h, 0, "-")),
             "at w = 0 the one-sided slopes are +1 and −1: |w| has no derivative there; "
             "take sgn(0) = 0"),
    ]

    def signs() -> bool:
        return (sp.diff(sp.Abs(wp), wp) == 1 == sp.sign(wp)
                and sp.diff(sp.Abs(wn), wn) == -1 == sp.sign(wn))

    def kink() -> bool:
        return (sp.limit(sp.Abs(h) / h, h, 0, "+") == 1 and sp.limit(sp.Abs(h) / h, h, 0, "-") == -1
                and sp.sign(0) == 0)

    return Derivation(
        statement=[sp.Eq(sp.Derivative(C_, w), rhs)],
        steps=steps,
        obligations=[
            lambda: holds(signs, "sign", "d|w|/dw = sgn(w) for w > 0 and for w < 0"),
            lambda: holds(kink, "limit", "one-sided slopes of |w| at 0 are +1 and −1"),
        ],
        assumptions="λ > 0, n ≥ 1; w real, w ≠ 0 (sgn(0) = 0 by convention); $C_0$ any "
                    "differentiable function of the weights and biases",
        readings=[Reading({C_: C}, methods=("doit",))],
        parts=[Part("∂C/∂w = ∂C_0/∂w + (λ/n) sgn(w), w ≠ 0, for a weight of any differentiable "
                    "C_0 (undefined)", True)],
    )


@display("l1_gradient")
def _l1_gradient_form(s):
    r"""Eq. (96) for any weight :math:`w \ne 0`."""
    g, rename = _gradient_form(s[0], sp.sign)
    return Display((g,), rename, _ANY_WEIGHT + "; $w \\ne 0$")


@theorem("l1_update", "L1 update rule: shrink by a constant", "regularization", equation="(97)")
def l1_update() -> Derivation:
    r"""Book eqs. (97), (98): :math:`w \to w' = w - \frac{\eta\lambda}{n}\operatorname{sgn}(w) -
    \eta\,\partial C_0/\partial w`: L1 shrinks a weight towards 0 by a constant amount, L2 by an
    amount proportional to w; with a mini-batch, :math:`\partial C_0/\partial w \approx
    \frac1m\sum_x \partial C_x/\partial w`."""
    C = l1_cost()
    w = WEIGHTS[1]
    dC0 = sp.diff(C0, w)
    update = w - eta * sp.diff(C, w)
    rhs = w - eta * lmbda / n * sp.sign(w) - eta * dC0
    rhs_mb = w - eta * lmbda / n * sp.sign(w) - eta * _minibatch("w")
    w_new = sp.Symbol("w'", real=True)
    steps = [
        Step(sp.Eq(w_new, w - eta * sp.Derivative(C_, w)), "gradient descent on the L1-regularized cost"),
        Step(sp.Eq(w_new, w - eta * (dC0 + lmbda / n * sp.sign(w))),
             "substitute $∂C/∂w$ (theorem `l1_gradient`, $w ≠ 0$)"),
        Step(sp.Eq(w_new, rhs), "distribute η (eq. 97): a constant step ηλ/n towards 0"),
        Step(sp.Eq(w_new, rhs_mb), "with the mini-batch estimate of $∂C_0/∂w$"),
    ]
    return Derivation(
        statement=[sp.Eq(update, rhs), sp.Eq(w_new, rhs_mb)],
        steps=steps,
        obligations=[
            *[(lambda v=v: prove_equal(v - eta * sp.diff(C, v),
                                       v - eta * lmbda / n * sp.sign(v) - eta * sp.diff(C0, v), ("expand",)))
              for v in WEIGHTS],
            # the printed rule is gradient descent on C with the mini-batch estimate of ∂C_0/∂w
            lambda: prove_equal(update.xreplace({dC0: _minibatch("w")}), rhs_mb, ("expand",)),
        ],
        assumptions="η, λ > 0; w real, w ≠ 0 (sgn(0) = 0 by convention); $C_0$ any differentiable "
                    "function of the weights and biases",
        # w': the rule the kernels print (derive.book.updates) with the mini-batch estimate
        readings=[Reading({w_new: U.WEIGHT_UPDATES["l1"][0].xreplace({U.w: w, U.nabla_w: _minibatch("w")})},
                          methods=("structural", "expand"))],
        parts=[Part("w → w − (ηλ/n) sgn(w) − η ∂C_0/∂w, with the mini-batch estimate", True)],
    )


@display("l1_update")
def _l1_update_form(s):
    r"""Eq. (97): the shrink :math:`-\frac{\eta\lambda}{n}\operatorname{sgn}(w)` beside w."""
    rule, rule_mb = s
    w, C0w, rename = _any_weight()
    eta, lm, n = (symbol_named(rule, k) for k in ("eta", "lambda", "n"))
    dC0 = sp.Derivative(C0w, w)
    lhs = sp.Add(w, sp.Mul(-1, eta, sp.Add(dC0, sp.Mul(lm / n, sp.sign(w), evaluate=False),
                                           evaluate=False), evaluate=False), evaluate=False)
    rhs = sp.Add(w, sp.Mul(-1, eta * lm / n, sp.sign(w), evaluate=False),
                 sp.Mul(-1, eta, dC0, evaluate=False), evaluate=False)
    (total,) = rule_mb.rhs.atoms(sp.Sum)
    m = total.limits[0][2]
    rhs_mb = sp.Add(w, sp.Mul(-1, eta * lm / n, sp.sign(w), evaluate=False),
                    sp.Mul(-1, eta / m, total, evaluate=False), evaluate=False)
    return Display((sp.Eq(lhs, rhs, evaluate=False), Update(w, rule_mb.lhs, rhs_mb)), rename,
                   _ANY_WEIGHT + "; $w \\ne 0$")
