r"""Cost functions, each beside its output error :math:`\delta^L = \partial C/\partial z^L`.

A cost is a sum over the output neurons of a per-neuron term, :math:`C_x = \sum_j c(a^L_j, y_j)`:

=================  =========  ==========================================  ==================================
name               output     :math:`c(a, y)`                             :math:`\delta^L_j`
=================  =========  ==========================================  ==================================
``quadratic``      sigmoid    :math:`\tfrac12 (a-y)^2`  (eq. 6)           :math:`(a-y)\,\sigma'(z)`  (BP1)
``cross_entropy``  sigmoid    :math:`-[y\ln a + (1-y)\ln(1-a)]` (eq. 63)  :math:`a - y`  (eq. 66)
``log_likelihood`` softmax    :math:`-y \ln a`  (eq. 80)                  :math:`a - y`  (eq. 81, 84)
=================  =========  ==========================================  ==================================

The δ column is *derived* here (BP1 applied to the cost, then the σ′ cancellation) or, for the
softmax, is the right-hand side of the theorem ``log_likelihood_gradient``; ``numerics`` prints it.
``stable`` is the per-neuron cost written through ``z`` without overflow or ``log(0)``:
cross-entropy through softplus (theorem ``cross_entropy_softplus``), log-likelihood through
log-sum-exp (theorems ``softmax_log`` and ``logsumexp_shift``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp
from sympy.codegen.numpy_nodes import logaddexp

from .activations import ACTIVATIONS, a, z

y = sp.Symbol("y", real=True)  #: the desired output y(x) for one output neuron
lse = sp.Symbol("lse", real=True)  #: ln Σ_k e^{z_k} over the output layer


def softplus(x: sp.Expr) -> sp.Expr:
    r"""Stable :math:`\ln(1+e^{x})`, printed as ``numpy.logaddexp(0, x)``."""
    return logaddexp(0, x)


@dataclass(frozen=True)
class Cost:
    r"""A cost :math:`C_x = \sum_j` ``term(a_j, y_j)`` with its output layer and output error.

    ``delta``: :math:`\delta^L_j` in the symbols ``a``, ``y`` (and ``z``), proved by ``delta_id``.
    ``stable``: the per-neuron cost in ``z``, ``y`` (and ``lse`` for the softmax) used for training.
    """

    name: str
    output: str
    term: sp.Expr
    delta: sp.Expr
    delta_id: str
    stable: sp.Expr
    stable_id: str | None
    #: the book's equation of the cost, for the kernels' [brackets]; "definition" for a user's
    equation: str = "definition"
    #: the output layer as an object (a user-defined cost, :mod:`derive.book.custom`); None: ``output``
    #: names a shipped one (``sigmoid``) or is ``softmax``
    output_activation: object = field(default=None, compare=False)
    #: True when δ^L is free of the output layer's f′ (chapter 3's cancellation), None: not asked
    cancels: bool | None = field(default=None, compare=False)
    theorems: tuple = field(default=(), compare=False, repr=False)
    notes: tuple[str, ...] = field(default=(), compare=False)
    #: the per-neuron cost in z for the complex-step (textbook) kernels when ``stable`` is proved
    #: and printing it with ln(1 + e^u) for ``logaddexp`` keeps it accurate (None: ``term``)
    complex_safe: sp.Expr | None = field(default=None, compare=False)


def sigmoid_output_error(term: sp.Expr) -> sp.Expr:
    r"""BP1 for an elementwise sigmoid output: :math:`\delta = \partial c/\partial a \cdot \sigma'(z)`,
    with σ′ = a(1 − a); ``cancel`` removes σ′ when the cost makes it cancel."""
    d = sp.diff(term, a) * ACTIVATIONS["sigmoid"].prime
    cancelled = sp.cancel(d)
    # keep the product form (reads like BP1) unless cancelling made it simpler
    return cancelled if sp.count_ops(cancelled) < sp.count_ops(d) else d


QUADRATIC_TERM = (a - y) ** 2 / 2
CROSS_ENTROPY_TERM = -(y * sp.log(a) + (1 - y) * sp.log(1 - a))
LOG_LIKELIHOOD_TERM = -y * sp.log(a)
#: The softmax/log-likelihood output error, eq. (84); proved by ``log_likelihood_gradient``.
LOG_LIKELIHOOD_DELTA = a - y

COSTS: dict[str, Cost] = {
    "quadratic": Cost("quadratic", "sigmoid", QUADRATIC_TERM,
                      sigmoid_output_error(QUADRATIC_TERM), "quadratic_output_error",
                      (ACTIVATIONS["sigmoid"].stable(z) - y) ** 2 / 2, "tanh_sigmoid",
                      equation="eq. (6)", cancels=False),
    "cross_entropy": Cost("cross_entropy", "sigmoid", CROSS_ENTROPY_TERM,
                          sigmoid_output_error(CROSS_ENTROPY_TERM), "cross_entropy_output_error",
                          softplus(z) - y * z, "cross_entropy_softplus", equation="eq. (63)",
                          cancels=True),
    "log_likelihood": Cost("log_likelihood", "softmax", LOG_LIKELIHOOD_TERM,
                           LOG_LIKELIHOOD_DELTA, "log_likelihood_gradient",
                           -y * (z - lse), "softmax_log", equation="eq. (80)"),
}
