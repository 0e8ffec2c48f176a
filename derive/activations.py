r"""Activation functions: each defined once, with its derivative and its numerically stable form.

============  ===========================  ==============================  ======================
name          textbook form  :math:`f(z)`   derivative, through a = f(z)    stable form printed
============  ===========================  ==============================  ======================
``sigmoid``   :math:`1/(1+e^{-z})`          :math:`a(1-a)`                  :math:`(1+\tanh(z/2))/2`
``tanh``      :math:`\tanh z`               :math:`1-a^2`                   :math:`\tanh z`
``relu``      :math:`\max(0, z)`            :math:`H(z)`, with H(0) = 0     :math:`\max(0, z)`
============  ===========================  ==============================  ======================

Every entry of this table is a theorem of the registry (``sigmoid_prime``, ``tanh_prime``,
``relu_prime``, ``tanh_sigmoid``, ``sigmoid_stable``); the kernels in ``numerics`` are printed from
these expressions and nothing else.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy as sp

z = sp.Symbol("z", real=True)  #: a weighted input z = w·x + b
a = sp.Symbol("a", real=True)  #: an activation a = f(z)


class sigmoid(sp.Function):
    r"""The sigmoid (logistic) function, book eq. (3): :math:`\sigma(z) = \frac{1}{1+e^{-z}}`.

    ``fdiff`` is :math:`\sigma' = \sigma(1-\sigma)` (theorem ``sigmoid_prime``);
    ``rewrite(sp.exp)`` gives the textbook form and ``rewrite(sp.tanh)`` the stable form
    :math:`(1+\tanh(z/2))/2` (theorem ``tanh_sigmoid``), which never overflows:
    σ(0) = 1/2, σ(+∞) = 1, σ(−∞) = 0.
    """

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sp.S.Half
        if x is sp.oo:
            return sp.S.One
        if x is sp.S.NegativeInfinity:
            return sp.S.Zero

    def fdiff(self, argindex=1):
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sp.exp(-x))

    def _eval_rewrite_as_tanh(self, x, **kwargs):
        return (1 + sp.tanh(x / 2)) / 2

    def _eval_evalf(self, prec):
        return self.rewrite(sp.exp)._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_positive(self):
        if self.args[0].is_real:
            return True

    def _latex(self, printer, exp=None):
        s = r"\sigma\left(%s\right)" % printer._print(self.args[0])
        return s if exp is None else r"\sigma^{%s}\left(%s\right)" % (exp, printer._print(self.args[0]))


class relu(sp.Function):
    r"""The rectified linear unit :math:`\operatorname{ReLU}(z) = \max(0, z)`.

    Its derivative is the Heaviside step :math:`H(z)`; at the kink z = 0 gradproof uses the
    convention ReLU′(0) = 0 (``Heaviside(z, 0)``), as JAX and PyTorch do.
    """

    @classmethod
    def eval(cls, x):
        if x.is_nonnegative:
            return x
        if x.is_negative:
            return sp.S.Zero

    def fdiff(self, argindex=1):
        return sp.Heaviside(self.args[0], 0)

    def _eval_rewrite_as_Max(self, x, **kwargs):
        return sp.Max(0, x)

    def _eval_rewrite_as_Piecewise(self, x, **kwargs):
        return sp.Piecewise((x, x > 0), (0, True))

    def _eval_evalf(self, prec):
        return sp.Max(0, self.args[0])._eval_evalf(prec)

    def _latex(self, printer, exp=None):
        s = r"\operatorname{ReLU}\left(%s\right)" % printer._print(self.args[0])
        return s if exp is None else r"\operatorname{ReLU}^{%s}\left(%s\right)" % (exp, printer._print(self.args[0]))


@dataclass(frozen=True)
class Activation:
    r"""An activation as the kernels need it.

    ``f``: the textbook form :math:`f(z)`; ``stable``: the form printed into training kernels
    (theorem ``stable_id`` proves it equals ``f``); ``prime``: :math:`f'(z)` written through the
    output ``a = f(z)`` where that is possible (so backprop reuses the stored activations), else
    through ``z``; ``prime_id`` names the theorem that proves ``prime``.
    """

    name: str
    f: Callable[[sp.Expr], sp.Expr]
    stable: Callable[[sp.Expr], sp.Expr]
    prime: sp.Expr  # in the symbols `a` and/or `z` of this module
    prime_id: str
    stable_id: str | None

    def prime_at(self, zval: sp.Expr) -> sp.Expr:
        """:math:`f'(z)` at ``zval``, with ``a`` replaced by :math:`f(z)`."""
        return self.prime.xreplace({a: self.f(zval), z: zval})


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", lambda x: 1 / (1 + sp.exp(-x)),
                          lambda x: (1 + sp.tanh(x / 2)) / 2,
                          a * (1 - a), "sigmoid_prime", "tanh_sigmoid"),
    "tanh": Activation("tanh", sp.tanh, sp.tanh, 1 - a**2, "tanh_prime", None),
    "relu": Activation("relu", lambda x: sp.Max(0, x), lambda x: sp.Max(0, x),
                       sp.Heaviside(z, 0), "relu_prime", None),
}
