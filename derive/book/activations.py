r"""Activation functions: each defined once, with its derivative and its numerically stable form.

============  ===========================  ==============================  ======================
name          textbook form  :math:`f(z)`   derivative, through a = f(z)    stable form printed
============  ===========================  ==============================  ======================
``sigmoid``   :math:`1/(1+e^{-z})`          :math:`a(1-a)`                  :math:`(1+\tanh(z/2))/2`
``tanh``      :math:`\tanh z`               :math:`1-a^2`                   :math:`\tanh z`
``relu``      :math:`\max(0, z)`            :math:`H(z)`, with H(0) = 0     :math:`\max(0, z)`
============  ===========================  ==============================  ======================

Every entry of this table is a theorem of the registry (``sigmoid_prime``, ``tanh_prime``,
``relu_prime``, ``tanh_sigmoid``); the kernels in ``numerics`` are printed from
these expressions and nothing else.  The function classes :class:`sigmoid` and :class:`relu`
(derivative, rewrites, values) are the engine's, :mod:`derive.core.functions`, re-exported here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import sympy as sp

from ..core.functions import relu, sigmoid
from ..core.prover import holds, prove_equal
from ..core.theorem import Derivation, Part, Reading, Step, theorem
from ..core.display import Display, display, half

__all__ = ["sigmoid", "relu", "Activation", "ACTIVATIONS", "z", "a"]

z = sp.Symbol("z", real=True)  #: a weighted input z = w·x + b
a = sp.Symbol("a", real=True)  #: an activation a = f(z)


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
    #: how kernels and comments name it (σ for the sigmoid); the name when empty
    symbol: str = ""
    #: what the textbook form f is, for the kernels' [brackets]: the book's equation or "definition"
    source: str = "definition"
    #: points z where f has no derivative (f′ there is a convention); numeric checks keep away
    kinks: tuple[float, ...] = ()
    #: (lo, hi): the values f takes, as far as gradproof knows them (for a cost's output layer)
    range: tuple = (-sp.oo, sp.oo)
    #: what a user wrote (a user-defined activation; see :mod:`derive.book.custom`), else None
    expr: sp.Expr | None = field(default=None, compare=False)
    #: f′(z) through z alone (a user-defined activation), and the identities proving its entry
    prime_z: sp.Expr | None = field(default=None, compare=False)
    theorems: tuple = field(default=(), compare=False, repr=False)
    #: findings in words: whether a stable form applies, the range a kernel is safe in, ...
    notes: tuple[str, ...] = field(default=(), compare=False)

    @property
    def display(self) -> str:
        """The name kernels and comments use: σ, tanh, ReLU, or the user's name."""
        return self.symbol or self.name

    def prime_at(self, zval: sp.Expr) -> sp.Expr:
        """:math:`f'(z)` at ``zval``, with ``a`` replaced by :math:`f(z)`."""
        return self.prime.xreplace({a: self.f(zval), z: zval})


ACTIVATIONS: dict[str, Activation] = {
    "sigmoid": Activation("sigmoid", lambda x: 1 / (1 + sp.exp(-x)),
                          lambda x: (1 + sp.tanh(x / 2)) / 2,
                          a * (1 - a), "sigmoid_prime", "tanh_sigmoid", symbol="σ", source="eq. (3)",
                          range=(0, 1)),
    "tanh": Activation("tanh", sp.tanh, sp.tanh, 1 - a**2, "tanh_prime", None, range=(-1, 1)),
    "relu": Activation("relu", lambda x: sp.Max(0, x), lambda x: sp.Max(0, x),
                       sp.Heaviside(z, 0), "relu_prime", None, symbol="ReLU", kinks=(0.0,),
                       range=(0, sp.oo)),
}


# --- theorems: the sigmoid through tanh, and the derivatives of tanh and ReLU -------------------

_exp = lambda e: e.rewrite(sp.exp)  # noqa: E731


@theorem("tanh_sigmoid", "The sigmoid is a rescaled tanh", "activations", equation="(111)")
def tanh_sigmoid() -> Derivation:
    r"""Book eqs. (110), (111): :math:`\sigma(z) = \frac{1+\tanh(z/2)}{2}`, equivalently
    :math:`\tanh(z) = 2\sigma(2z) - 1`.

    This is also why ``ACTIVATIONS["sigmoid"].stable`` may be printed instead of :math:`1/(1+e^{-z})`:
    it is the same function, and ``tanh`` never overflows (:math:`e^{-z}` does for z < −709 in
    float64)."""
    SIG = ACTIVATIONS["sigmoid"]
    half = (1 + sp.tanh(z / 2)) / 2
    ez = sp.exp(-z)
    steps = [
        Step(sp.Eq(sp.tanh(z / 2), (sp.exp(z / 2) - sp.exp(-z / 2)) / (sp.exp(z / 2) + sp.exp(-z / 2))),
             "definition of tanh, eq. (110), at z/2"),
        Step(sp.Eq(sp.tanh(z / 2), (1 - ez) / (1 + ez)), "multiply numerator and denominator by $e^{−z/2}$"),
        Step(sp.Eq(1 + sp.tanh(z / 2), 2 / (1 + ez)), "$1 + (1 − e^{−z})/(1 + e^{−z}) = 2/(1 + e^{−z})$"),
        Step(sp.Eq(half, sigmoid(z)), "halve: $1/(1 + e^{−z}) = σ(z)$, eq. (111)"),
        Step(sp.Eq(sp.tanh(z), 2 * sigmoid(2 * z) - 1), "replace z by 2z and solve for tanh"),
        Step(sp.Eq(SIG.f(z), SIG.stable(z)),
             "so the kernels may print the tanh form, which has no overflowing $e^{−z}$"),
    ]
    return Derivation(
        statement=[sp.Eq(sigmoid(z), half), sp.Eq(sp.tanh(z), 2 * sigmoid(2 * z) - 1)],
        steps=steps,
        obligations=[
            lambda: prove_equal(sp.tanh(z / 2), (1 - ez) / (1 + ez), ("cancel",), _exp, "rewrite tanh→exp"),
            lambda: prove_equal(1 + sp.tanh(z / 2), 2 / (1 + ez), ("cancel",), _exp, "rewrite tanh→exp"),
            # the printed stable form is the textbook sigmoid ...
            lambda: prove_equal(SIG.f(z), SIG.stable(z), ("cancel",), _exp, "rewrite tanh→exp"),
            # ... and so is the sigmoid class's own tanh rewrite
            lambda: prove_equal(sigmoid(z), SIG.f(z), ("cancel",),
                                lambda e: _exp(e.rewrite(sp.tanh)), "rewrite σ→tanh→exp"),
        ],
        assumptions="z real",
        readings=[Reading(prepare=_exp, prepare_name="rewrite σ, tanh→exp", methods=("cancel",),
                          refutable=True)],
        parts=[Part("σ(z) = (1 + tanh(z/2))/2 and tanh z = 2σ(2z) − 1", True)],
    )


@display("tanh_sigmoid")
def _tanh_sigmoid_form(s):
    r"""Eq. (111) as the book writes it: :math:`\sigma(z) = \tfrac12(1 + \tanh(z/2))`."""
    first, second = s
    (t,) = first.rhs.atoms(sp.tanh)
    return Display((sp.Eq(first.lhs, half(sp.Add(1, t, evaluate=False)), evaluate=False), None))


@theorem("tanh_prime", "Derivative of tanh", "activations")
def tanh_prime() -> Derivation:
    r""":math:`\tanh'(z) = 1 - \tanh^2(z)`, i.e. :math:`1 - a^2` with :math:`a = \tanh z`: the
    ``prime`` of ``ACTIVATIONS["tanh"]`` (the book leaves this derivative to the reader, near
    eq. (110))."""
    T = ACTIVATIONS["tanh"]
    f = T.f(z)
    fe = f.rewrite(sp.exp)
    s = sp.exp(z) + sp.exp(-z)
    dT = sp.Derivative(sp.tanh(z), z)
    steps = [
        Step(sp.Eq(f, fe), "definition of tanh, eq. (110)"),
        Step(sp.Eq(dT, ((s) ** 2 - (sp.exp(z) - sp.exp(-z)) ** 2) / s ** 2),
             "quotient rule: $(e^z − e^{−z})′ = e^z + e^{−z}$ and $(e^z + e^{−z})′ = e^z − e^{−z}$"),
        Step(sp.Eq(dT, 1 - sp.tanh(z) ** 2), "split the fraction: 1 − tanh²(z)"),
        Step(sp.Eq(dT, T.prime), "write a = tanh z: tanh′ = 1 − a², the activations table's prime"),
    ]
    return Derivation(
        statement=[sp.Eq(dT, T.prime_at(z))],
        steps=steps,
        obligations=[
            lambda: prove_equal(sp.diff(fe, z), (s ** 2 - (sp.exp(z) - sp.exp(-z)) ** 2) / s ** 2,
                                ("cancel",)),
        ],
        assumptions="z real",
        # tanh written out before differentiating (SymPy's own rule for tanh is not used)
        readings=[Reading(prepare=lambda e: _exp(e).doit(), prepare_name="rewrite tanh→exp, doit",
                          methods=("cancel",))],
        parts=[Part("tanh′ = 1 − tanh²", True)],
    )


@theorem("relu_prime", "Derivative of ReLU", "activations")
def relu_prime() -> Derivation:
    r""":math:`\frac{d}{dz}\max(0, z) = 1` for z > 0 and 0 for z < 0; at z = 0 there is no
    derivative (one-sided slopes 0 and 1) and gradproof takes ReLU′(0) = 0, i.e. the
    ``prime`` of ``ACTIVATIONS["relu"]`` is ``Heaviside(z, 0)``.  (ReLU is the book's eq. (112).)"""
    R = ACTIVATIONS["relu"]
    zp = sp.Symbol("z", positive=True)
    zn = sp.Symbol("z", negative=True)
    h = sp.Symbol("h", real=True)
    dR = sp.Derivative(sp.Max(0, z), z)
    steps = [
        Step(sp.Eq(sp.Max(0, z), sp.Piecewise((z, z > 0), (0, True))), "ReLU(z) = max(0, z)"),
        Step(sp.Eq(dR, sp.Piecewise((1, z > 0), (0, z < 0))),
             "on z > 0 it is z (slope 1), on z < 0 it is 0 (slope 0)"),
        Step(sp.Ne(sp.Limit(sp.Max(0, h) / h, h, 0, "+"), sp.Limit(sp.Max(0, h) / h, h, 0, "-")),
             "at z = 0 the one-sided slopes are 1 and 0: no derivative there"),
        Step(sp.Eq(sp.Heaviside(z, 0), sp.Piecewise((1, z > 0), (0, True))),
             "convention ReLU′(0) = 0: the Heaviside step with H(0) = 0, as JAX and PyTorch do"),
    ]

    def kink() -> bool:
        return sp.limit(R.f(h) / h, h, 0, "+") == 1 and sp.limit(R.f(h) / h, h, 0, "-") == 0

    return Derivation(
        # the table's ReLU′ is the derivative of max(0, z) away from 0, and 0 at the kink
        statement=[sp.Eq(dR, R.prime, evaluate=False),
                   sp.Eq(sp.Subs(R.prime, z, 0), 0, evaluate=False)],
        steps=steps,
        obligations=[
            lambda: holds(kink, "limit", "one-sided slopes 1 and 0 at z = 0"),
            # the relu function class differentiates to the same, on both sides of the kink
            *[(lambda side=side: prove_equal(sp.Derivative(relu(z), z), sp.Derivative(sp.Max(0, z), z),
                                             ("structural",), lambda e: e.doit().xreplace({z: side}),
                                             "doit, z > 0 / z < 0")) for side in (zp, zn)],
        ],
        assumptions="z real, z ≠ 0 for the derivative; ReLU′(0) = 0 by convention",
        # z ≠ 0: decided on each side of the kink; the convention at z = 0 by evaluation
        readings=[Reading(cases=({z: zp}, {z: zn}), prepare=lambda e: e.doit(), prepare_name="doit",
                          methods=("structural",), at=""),
                  Reading(methods=("doit",))],
        parts=[Part("ReLU′(z) = H(z) for z > 0 and z < 0 (no derivative at 0)", True),
               Part("ReLU′(0) = 0, gradproof's convention", True)],
    )
