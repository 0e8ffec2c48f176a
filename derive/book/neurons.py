r"""Chapter 1: perceptrons, the bias, and sigmoid neurons."""
from __future__ import annotations

import sympy as sp

from .activations import ACTIVATIONS, sigmoid, z
from ..core.prover import holds, prove_equal
from ..core.display import Display, display, symbol_named
from ..core.theorem import Derivation, Part, Reading, Step, theorem

SIGMA = ACTIVATIONS["sigmoid"]


@theorem("perceptron_bias", "The bias is minus the threshold", "neurons", equation="(2)")
def perceptron_bias() -> Derivation:
    r"""Book eq. (1)→(2): :math:`w\cdot x \le \text{threshold} \iff w\cdot x + b \le 0`, b = −threshold."""
    wx, threshold, b = sp.symbols(r"w\cdot{x} \mathrm{threshold} b", real=True)
    lhs = sp.Le(wx, threshold)
    steps = [
        Step(sp.Le(wx, threshold), "the perceptron outputs 0 when the weighted sum is at most the threshold"),
        Step(sp.Le(wx - threshold, 0), "subtract the threshold from both sides"),
        Step(sp.Le(wx + b, 0), "write b = −threshold"),
    ]
    # With b = −threshold both inequalities are g ≤ 0 for the same g: the statement decides that.
    return Derivation(
        statement=[sp.Equivalent(lhs, sp.Le(wx + b, 0)), sp.Eq(b, -threshold)],
        steps=steps,
        obligations=[],
        assumptions="w·x, threshold and b real",
        readings=[Reading({b: -threshold}, methods=("expand",))],
        parts=[Part("w·x ≤ threshold ⟺ w·x + b ≤ 0 with b = −threshold", True)],
    )


@display("perceptron_bias")
def _perceptron_bias_form(s):
    r"""The equivalence with :math:`w\cdot x` first, as the book writes eq. (2)."""
    equiv, bias = s
    left, right = equiv.args if isinstance(equiv.args[0].lhs, sp.Symbol) else equiv.args[::-1]
    wx = symbol_named(equiv, r"w\cdot{x}")
    rest = [t for t in sp.Add.make_args(right.lhs) if t != wx]
    return Display((sp.Equivalent(left, sp.Le(sp.Add(wx, *rest, evaluate=False), right.rhs,
                                              evaluate=False), evaluate=False),
                    sp.Eq(bias.lhs, bias.rhs, evaluate=False)))


@theorem("perceptron_limit", "A perceptron is a saturated sigmoid neuron", "neurons")
def perceptron_limit() -> Derivation:
    r""":math:`\lim_{c\to\infty}\sigma(cz) = 1` for z > 0 and 0 for z < 0 (and 1/2 at z = 0)."""
    c = sp.Symbol("c", positive=True)
    zp = sp.Symbol("z", positive=True)
    zn = sp.Symbol("z", negative=True)
    f = SIGMA.f
    lim_pos = sp.Limit(sigmoid(c * zp), c, sp.oo)
    lim_neg = sp.Limit(sigmoid(c * zn), c, sp.oo)
    steps = [
        Step(sp.Eq(sigmoid(c * z), f(c * z)), "definition of σ, eq. (3)"),
        Step(sp.Eq(sp.Limit(sp.exp(-c * zp), c, sp.oo), 0), "$z > 0$: $e^{−cz} → 0$, so $σ(cz) → 1$"),
        Step(sp.Eq(sp.Limit(sp.exp(-c * zn), c, sp.oo), sp.oo), "$z < 0$: $e^{−cz} → ∞$, so $σ(cz) → 0$"),
        Step(sp.Eq(sp.Subs(sigmoid(c * z), z, 0), sp.S.Half, evaluate=False), "$z = 0$: $σ(0) = 1/2$ for every $c$ (the one place they differ)"),
    ]
    return Derivation(
        statement=[sp.Eq(lim_pos, 1), sp.Eq(lim_neg, 0)],
        steps=steps,
        obligations=[
            lambda: holds(lambda: sp.limit(f(c * zp), c, sp.oo) == 1, "limit", "σ(cz) → 1 for z > 0"),
            lambda: holds(lambda: sp.limit(f(c * zn), c, sp.oo) == 0, "limit", "σ(cz) → 0 for z < 0"),
        ],
        assumptions="c > 0; z > 0 or z < 0",
        # the limits of the statement, with σ written out
        readings=[Reading(prepare=lambda e: e.rewrite(sp.exp), prepare_name="rewrite σ→exp",
                          methods=("doit",))],
        parts=[Part("σ(cz) → 1 (z > 0) and → 0 (z < 0) as c → ∞", True)],
    )


@theorem("sigmoid_output", "Output of a sigmoid neuron", "neurons", equation="(4)")
def sigmoid_output() -> Derivation:
    r"""Book eq. (4): :math:`\sigma(\sum_j w_j x_j + b) = 1/(1+\exp(-\sum_j w_j x_j - b))`."""
    j = sp.Symbol("j", integer=True, positive=True)
    n = sp.Symbol("n", integer=True, positive=True)
    w, x = sp.IndexedBase("w"), sp.IndexedBase("x")
    b = sp.Symbol("b", real=True)
    wx = sp.Sum(w[j] * x[j], (j, 1, n))
    lhs, rhs = sigmoid(wx + b), 1 / (1 + sp.exp(-wx - b))
    steps = [
        Step(sp.Eq(sp.Symbol("z"), wx + b), "the weighted input of the neuron"),
        Step(sp.Eq(lhs, 1 / sp.Add(1, sp.exp(sp.Mul(-1, sp.Add(wx, b, evaluate=False), evaluate=False),
                                             evaluate=False), evaluate=False)),
             "definition of σ, eq. (3)"),
        Step(sp.Eq(lhs, 1 / sp.Add(1, sp.exp(sp.Add(-wx, -b, evaluate=False), evaluate=False),
                                   evaluate=False)), "distribute the minus sign"),
    ]
    return Derivation(
        statement=[sp.Eq(lhs, rhs)],
        steps=steps,
        obligations=[],
        assumptions="$w_j$, $x_j$, $b$ real; $n$ inputs (symbolic)",
        readings=[Reading(prepare=lambda e: e.rewrite(sp.exp), prepare_name="rewrite σ→exp",
                          methods=("structural", "expand"), refutable=True)],
        parts=[Part("σ(Σ_j w_j x_j + b) = 1/(1 + exp(−Σ_j w_j x_j − b)), n inputs", True)],
    )


@display("sigmoid_output")
def _sigmoid_output_form(s):
    r""":math:`\sigma(\sum_j w_j x_j + b) = 1/(1 + \exp(-\sum_j w_j x_j - b))`, in the book's order."""
    (rel,) = s
    arg = rel.lhs.args[0]
    (wx,) = [t for t in sp.Add.make_args(arg) if isinstance(t, sp.Sum)]
    b = arg - wx
    exponent = sp.Add(sp.Mul(-1, wx, evaluate=False), -b, evaluate=False)
    rhs = sp.Pow(sp.Add(1, sp.exp(exponent, evaluate=False), evaluate=False), -1, evaluate=False)
    return Display((sp.Eq(type(rel.lhs)(sp.Add(wx, b, evaluate=False)), rhs, evaluate=False),))


@theorem("sigmoid_prime", "Derivative of the sigmoid", "neurons")
def sigmoid_prime() -> Derivation:
    r""":math:`\sigma'(z) = \sigma(z)(1-\sigma(z))`, and :math:`\max_z \sigma'(z) = \sigma'(0) = 1/4`."""
    f = SIGMA.f(z)
    dfdz = sp.diff(f, z)
    prime = SIGMA.prime_at(z)  # a(1 - a) with a = σ(z)
    steps = [
        Step(sp.Eq(sp.Derivative(sigmoid(z), z), sp.Derivative(f, z)), "definition of σ, eq. (3)"),
        Step(sp.Eq(sp.Derivative(sigmoid(z), z), dfdz), "chain rule on $(1+e^{−z})^{−1}$"),
        Step(sp.Eq(sp.Derivative(sigmoid(z), z),
                   sp.Mul(sp.UnevaluatedExpr(f), sp.UnevaluatedExpr(sp.exp(-z) / (1 + sp.exp(-z))),
                          evaluate=False)),
             "split the fraction"),
        Step(sp.Eq(sp.Derivative(sigmoid(z), z), sigmoid(z) * (1 - sigmoid(z))),
             "$e^{−z}/(1+e^{−z}) = 1 − σ(z)$, so $σ′ = σ(1−σ)$"),
        Step(sp.Eq(sp.Derivative(sigmoid(z), z, 2), sigmoid(z) * (1 - sigmoid(z)) * (1 - 2 * sigmoid(z))),
             "σ″ = σ′(1 − 2σ) vanishes only where σ = 1/2, i.e. z = 0"),
        Step(sp.Eq(sp.Subs(sp.Derivative(sigmoid(z), z), z, 0), sp.Rational(1, 4)),
             "σ(0) = 1/2, so σ′(0) = 1/2 · 1/2"),
    ]

    dsig = sp.Derivative(sigmoid(z), z)
    return Derivation(
        # σ′ ≤ 1/4 everywhere and σ′(0) = 1/4: the maximum is 1/4, at z = 0
        statement=[sp.Eq(dsig, sigmoid(z) * (1 - sigmoid(z))),
                   sp.Le(dsig, sp.Rational(1, 4), evaluate=False),
                   sp.Eq(sp.Subs(dsig, z, 0), sp.Rational(1, 4), evaluate=False)],
        steps=steps,
        obligations=[
            # the table's σ′ (through a = σ(z)) is the derivative of the textbook σ ...
            lambda: prove_equal(dfdz, prime, ("expand", "cancel")),
            # ... and so is the sigmoid class's own derivative (fdiff, used by other proofs)
            lambda: prove_equal(sp.diff(sigmoid(z), z), dfdz, ("cancel",),
                                lambda e: e.rewrite(sp.exp), "rewrite σ→exp"),
        ],
        assumptions="z real",
        # σ written out before differentiating: the class's own fdiff is not used
        readings=[Reading(prepare=lambda e: e.rewrite(sp.exp).doit(),
                          prepare_name="rewrite σ→exp, doit", methods=("expand", "cancel"))],
        parts=[Part("σ′ = σ(1 − σ), σ′ ≤ 1/4 with σ′(0) = 1/4", True)],
    )


@display("sigmoid_prime")
def _sigmoid_prime_form(s):
    r""":math:`\sigma' = \sigma(1 - \sigma)`; the bound :math:`\sigma' \le 1/4` as it is; its maximum
    :math:`\sigma'(0) = 1/4` shown "at z = 0"."""
    d = sp.Derivative(sigmoid(z), z)
    form = sp.Eq(d, sp.Mul(sigmoid(z), sp.Add(1, -sigmoid(z), evaluate=False), evaluate=False),
                 evaluate=False)
    at0 = sp.Eq(sp.Subs(d, z, 0), sp.Rational(1, 4), evaluate=False)
    return Display((form, None, at0))
