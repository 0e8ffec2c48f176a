r"""The gradient-descent update rules, one per regularization, as the kernels print them.

With :math:`\nabla` the mean gradient of the unregularized cost over a mini-batch of m examples
(eq. 20-21: :math:`\nabla = \frac1m\sum_x \partial C_{x,0}/\partial w`) and n the size of the
training set:

=======  ===============================================================  ==========================
reg      :math:`w \to`                                                   theorem
=======  ===============================================================  ==========================
none     :math:`w - \eta\nabla`                                           ``sgd_minibatch_update``
l2       :math:`(1 - \eta\lambda/n)\,w - \eta\nabla`                      ``l2_weight_decay`` (eq. 93)
l1       :math:`w - (\eta\lambda/n)\operatorname{sgn}(w) - \eta\nabla`   ``l1_update`` (eq. 97)
=======  ===============================================================  ==========================

Biases are never regularized: :math:`b \to b - \eta\nabla_b` (theorem ``sgd_minibatch_update``,
eq. 21; ``l2_weight_decay`` and ``l1_update`` leave it as it is).
Each theorem has an obligation that the expression here *is* the rule it proves.
"""
from __future__ import annotations

import sympy as sp

w = sp.Symbol("w", real=True)  #: a weight
b = sp.Symbol("b", real=True)  #: a bias
nabla_w = sp.Symbol("nabla_w", real=True)  #: mean gradient of C₀ over the mini-batch, for w
nabla_b = sp.Symbol("nabla_b", real=True)  #: the same for b
eta = sp.Symbol("eta", positive=True)  #: the learning rate η
lmbda = sp.Symbol("lmbda", nonnegative=True)  #: the regularization parameter λ (book's `lmbda`)
n = sp.Symbol("n", positive=True, integer=True)  #: size of the training set

#: New weight for each regularization: reg -> (expression, theorem id that proves it).
WEIGHT_UPDATES: dict[str, tuple[sp.Expr, str]] = {
    "none": (w - eta * nabla_w, "sgd_minibatch_update"),
    "l2": ((1 - eta * lmbda / n) * w - eta * nabla_w, "l2_weight_decay"),
    "l1": (w - eta * lmbda / n * sp.sign(w) - eta * nabla_w, "l1_update"),
}
#: New bias (never regularized).
BIAS_UPDATE: tuple[sp.Expr, str] = (b - eta * nabla_b, "sgd_minibatch_update")
