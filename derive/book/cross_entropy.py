r"""Chapter 3: the cross-entropy cost, the cancellation of σ′, and its overflow-free form.

For one sigmoid neuron with output :math:`a = \sigma(z)`, :math:`z = \sum_j w_j x_j + b`, and one
training input (the book's :math:`\frac1n\sum_x` is a mean of these):

.. math:: C = -\left[y \ln a + (1-y)\ln(1-a)\right] \qquad \text{(eq. 57)}

* ``cross_entropy_nonnegative`` — :math:`C \ge 0` on :math:`0<a<1,\ 0\le y\le 1`, least at a = y;
* ``cross_entropy_cancellation`` — :math:`\partial C/\partial w_j = x_j(\sigma(z)-y)`,
  :math:`\partial C/\partial b = \sigma(z)-y`: the σ′ of the chain rule cancels (eqs. 61, 62);
* ``cross_entropy_output_error`` — for a sigmoid output layer, :math:`\delta^L = a^L - y`
  (eq. 66) and :math:`\partial C/\partial w^L_{jk} = a^{L-1}_k(a^L_j - y_j)` (eq. 67);
* ``cross_entropy_softplus`` — :math:`C = \operatorname{softplus}(z) - yz` with
  :math:`\operatorname{softplus}(z) = \ln(1+e^z)`, the form the training kernels evaluate.
"""
from __future__ import annotations

import sympy as sp

from .activations import a, sigmoid, z
from .costs import COSTS, CROSS_ENTROPY_TERM, softplus, y
from ..core.indexed import (KRONECKER_REWRITE as _KRONECKER, collapse_kronecker, kronecker_lemma,
                      kronecker_rewrite as _kronecker)
from ..core.prover import holds, prove_equal
from ..core.display import Display, display, ordered
from ..core.theorem import Derivation, Part, Reading, Step, theorem

CE = COSTS["cross_entropy"]
i, j, k, n = sp.symbols("i j k n", integer=True, positive=True)
_UNIT = sp.Interval.open(0, 1)


def ce(a_: sp.Expr, y_: sp.Expr) -> sp.Expr:
    r"""The per-neuron cross-entropy :math:`-[y\ln a + (1-y)\ln(1-a)]` at ``a_``, ``y_``."""
    return CROSS_ENTROPY_TERM.xreplace({a: a_, y: y_})



def _ce_form(e: sp.Expr) -> sp.Expr:
    """``−y ln a − (1 − y) ln(1 − a)`` as the book's ``−[y ln a + (1 − y) ln(1 − a)]``."""
    terms = sp.Add.make_args(e)
    if len(terms) != 2 or not all(t.could_extract_minus_sign() for t in terms):
        raise ValueError(f"not a cross-entropy: {e}")
    inner = [ordered(-t) for t in terms]
    inner.sort(key=lambda t: len(str(t)))
    return sp.Mul(-1, sp.Add(*inner, evaluate=False), evaluate=False)


@theorem("cross_entropy_nonnegative", "The cross-entropy is nonnegative, least at a = y",
         "cross_entropy", equation="(57)")
def cross_entropy_nonnegative() -> Derivation:
    r"""Book eq. (57): :math:`C = -[y\ln a + (1-y)\ln(1-a)] \ge 0` for :math:`0<a<1`,
    :math:`0 \le y \le 1`; :math:`\partial C/\partial a = (a-y)/(a(1-a))` vanishes only at a = y,
    where :math:`\partial^2 C/\partial a^2 > 0`, so a = y is the least value.

    Method: C = y·(−ln a) + (1−y)·(−ln(1−a)) is a sum of products of nonnegative factors, since
    ``solveset`` shows ln a < 0 and ln(1−a) < 0 on all of (0, 1).  The second derivative is linear
    in y and positive at y = 0 and y = 1, hence positive on [0, 1].
    """
    C = CROSS_ENTROPY_TERM
    dC = sp.diff(C, a)
    d2C = sp.diff(C, a, 2)
    crit = (a - y) / (a * (1 - a))
    # C as a combination of the signs we know: Y, Ybar ≥ 0 (hypothesis), L, Lbar > 0 (solveset).
    Y, Ybar = sp.symbols(r"y \bar{y}", nonnegative=True)
    L, Lbar = sp.symbols(r"L \bar{L}", positive=True)

    def logs_negative() -> bool:
        return (sp.solveset(sp.log(a) < 0, a, _UNIT) == _UNIT
                and sp.solveset(sp.log(1 - a) < 0, a, _UNIT) == _UNIT)

    def second_derivative_positive() -> bool:
        # linear in y, so its least value on [0, 1] is at y = 0 or y = 1; both positive on (0, 1)
        return (sp.diff(d2C, y, 2) == 0
                and all(sp.solveset(d2C.subs(y, v) > 0, a, _UNIT) == _UNIT for v in (0, 1)))

    steps = [
        Step(sp.Eq(sp.Symbol("C"), C), "eq. (57) for one training input"),
        Step(sp.Eq(sp.Symbol("C"), sp.Add(sp.Mul(y, -sp.log(a), evaluate=False),
                                          sp.Mul(1 - y, -sp.log(1 - a), evaluate=False),
                                          evaluate=False)),
             "rearrange: y ≥ 0 and 1 − y ≥ 0 multiply −ln a and −ln(1−a)"),
        Step(sp.And(sp.Lt(sp.log(a), 0), sp.Lt(sp.log(1 - a), 0)),
             "0 < a < 1 and 0 < 1 − a < 1, so both logarithms are negative"),
        Step(sp.Ge(C, 0, evaluate=False), "a sum of products of nonnegative numbers is nonnegative"),
        Step(sp.Eq(sp.Derivative(sp.Symbol("C"), a), dC), "differentiate in a"),
        Step(sp.Eq(sp.Derivative(sp.Symbol("C"), a), crit),
             "common denominator a(1 − a) > 0: the sign of ∂C/∂a is the sign of a − y"),
        Step(sp.Eq(sp.Derivative(sp.Symbol("C"), a, 2), d2C),
             "> 0: linear in y, positive at y = 0 (1/(1−a)²) and at y = 1 (1/a²)"),
        Step(sp.Eq(sp.Symbol("a"), y), "C decreases for a < y and increases for a > y: least at a = y"),
    ]
    return Derivation(
        statement=[sp.Ge(C, 0, evaluate=False), sp.Eq(sp.Derivative(C, a), crit),
                   sp.Gt(sp.Derivative(C, a, 2), 0, evaluate=False)],
        steps=steps,
        obligations=[
            lambda: holds(logs_negative, "solveset", "ln a < 0 and ln(1 − a) < 0 on (0, 1)"),
            lambda: holds(lambda: sp.solve(dC, a) == [y], "solve", "∂C/∂a = 0 only at a = y"),
            lambda: holds(second_derivative_positive, "solveset", "∂²C/∂a² > 0 on (0, 1), 0 ≤ y ≤ 1"),
        ],
        assumptions="$0 < a < 1$, $0 ≤ y ≤ 1$ ($a = y$ is attained inside $(0, 1)$ when $0 < y < 1$; "
                    "for $y ∈ \\{0, 1\\}$, $C → 0$ as $a → y$)",
        # 0 < a < 1 as a = 1/(1 + t), t > 0, with −ln a = L > 0 and −ln(1 − a) = L̄ > 0 (lemma
        # logs_negative); lhs − rhs is linear in y, so 0 ≤ y ≤ 1 is decided at y = 0 and y = 1
        readings=[Reading(lambda e: _unit_a(e.doit(), L, Lbar), methods=("cancel",),
                          endpoints=(y, 0, 1))],
        parts=[Part("C ≥ 0, ∂C/∂a = (a − y)/(a(1 − a)), ∂²C/∂a² > 0 on 0 < a < 1, 0 ≤ y ≤ 1", True)],
    )


@display("cross_entropy_nonnegative")
def _cross_entropy_nonnegative_form(s):
    r"""The bound on the cost written as the book's :math:`-[y \ln a + (1 - y)\ln(1 - a)]`."""
    nonneg, grad, convex = s
    return Display((sp.Ge(_ce_form(nonneg.lhs), 0, evaluate=False), None, None))


def _unit_a(e: sp.Expr, L: sp.Symbol, Lbar: sp.Symbol) -> sp.Expr:
    """``e`` with ln a = −L, ln(1 − a) = −L̄ (L, L̄ > 0 on 0 < a < 1) and a = 1/(1 + t), t > 0."""
    t = sp.Symbol("t", positive=True)
    e = e.xreplace({sp.log(a): -L, sp.log(1 - a): -Lbar})
    return e.xreplace({a: 1 / (1 + t)})


@theorem("cross_entropy_cancellation", "Cross-entropy gradient: σ′ cancels", "cross_entropy",
         equation="(61), (62)")
def cross_entropy_cancellation() -> Derivation:
    r"""Book eqs. (59)-(62): with :math:`a = \sigma(z)`, :math:`z = \sum_j w_j x_j + b`,

    .. math:: \frac{\partial C}{\partial w_j}
        = -\left(\frac{y}{\sigma(z)} - \frac{1-y}{1-\sigma(z)}\right)\sigma'(z)\,x_j
        = x_j(\sigma(z) - y), \qquad \frac{\partial C}{\partial b} = \sigma(z) - y,

    because :math:`\sigma' = \sigma(1-\sigma)` cancels the denominator :math:`\sigma(1-\sigma)`.
    Proved with the ``sigmoid`` function class (its ``fdiff`` is σ(1−σ)) and again with σ written
    as :math:`1/(1+e^{-z})`, for a symbolic number n of inputs.
    """
    w, x = sp.IndexedBase("w", real=True), sp.IndexedBase("x", real=True)
    b = sp.Symbol("b", real=True)
    zsum = sp.Sum(w[i] * x[i], (i, 1, n)) + b
    f = sp.Function("f")  # any differentiable activation, for the chain-rule step
    s = sigmoid(zsum)
    C = ce(s, y)
    dC_w = sp.diff(C, w[j])
    # Chain rule for a = f(z): ∂C/∂a · f′(z) · ∂z/∂w_j, with ∂z/∂w_j = x_j.
    dCda = -(y / a - (1 - y) / (1 - a))
    chain_f = dCda.xreplace({a: f(zsum)}) * sp.Subs(sp.Derivative(f(z), z), z, zsum) * x[j]
    # σ′ = σ(1 − σ) written out; Mul keeps the product (nothing cancels until we ask).
    chain_s = dCda.xreplace({a: s}) * (s * (1 - s)) * x[j]
    rhs_w = x[j] * (s - y)
    exp_form = lambda e: e.rewrite(sp.exp)  # noqa: E731

    # The steps display z for the weighted input.
    sz = sigmoid(z)
    dC_w_sym = sp.Derivative(sp.Symbol("C"), w[j])
    steps = [
        Step(sp.Eq(sp.Symbol("C"), ce(sz, y)), "eq. (57) with $a = σ(z)$, $z = \\sum_j w_j x_j + b$"),
        Step(sp.Eq(dC_w_sym, dCda.xreplace({a: sz}) * sp.Derivative(sz, z) * x[j]),
             "chain rule: $∂C/∂a · σ′(z) · ∂z/∂w_j$, and $∂z/∂w_j = x_j$ (eq. 59)"),
        Step(sp.Eq(dC_w_sym, sp.Mul(dCda.xreplace({a: sz}), sz * (1 - sz), x[j], evaluate=False)),
             "$σ′(z) = σ(z)(1 − σ(z))$ (theorem `sigmoid_prime`)"),
        Step(sp.Eq(dC_w_sym, sp.Mul((sz - y) / (sz * (1 - sz)), sz * (1 - sz), x[j], evaluate=False)),
             "common denominator: y/σ − (1−y)/(1−σ) = (y − σ)/(σ(1−σ))"),
        Step(sp.Eq(dC_w_sym, x[j] * (sz - y)),
             "the σ′ = σ(1−σ) terms cancel: no σ′(z) is left to slow learning (eq. 61)"),
        Step(sp.Eq(sp.Derivative(sp.Symbol("C"), b), sz - y), "the same with ∂z/∂b = 1 (eq. 62)"),
    ]
    return Derivation(
        statement=[sp.Eq(dC_w_sym, x[j] * (sz - y)),
                   sp.Eq(sp.Derivative(sp.Symbol("C"), b), sz - y)],
        steps=steps,
        obligations=[
            # the chain rule, for any activation f
            lambda: prove_equal(sp.diff(ce(f(zsum), y), w[j]), chain_f, ("structural", "expand"),
                                _kronecker(j, n), _KRONECKER),
            # the chain rule with σ, then the cancellation
            lambda: prove_equal(dC_w, chain_s, ("expand", "cancel"), _kronecker(j, n), _KRONECKER),
            lambda: prove_equal(chain_s, rhs_w, ("cancel",)),
        ],
        assumptions="$w_j$, $x_j$, $b$, $y$ real; $n$ inputs (symbolic), $1 ≤ j ≤ n$",
        # ∂C/∂w_j, ∂C/∂b: C differentiated with σ(z) = 1/(1 + e^{−z}) written out (the sigmoid
        # class's own derivative is not used), z = Σ_i w_i x_i + b
        readings=[Reading({dC_w_sym: sp.diff(exp_form(C), w[j]),
                           sp.Derivative(sp.Symbol("C"), b): sp.diff(exp_form(C), b), z: zsum},
                          lambda e: _kronecker(j, n)(exp_form(e)), "rewrite σ→exp, " + _KRONECKER,
                          ("cancel",))],
        parts=[Part("∂C/∂w_j = x_j(σ(z) − y), ∂C/∂b = σ(z) − y, n inputs", True)],
    )


@theorem("cross_entropy_output_error", "Output error for cross-entropy with sigmoid outputs",
         "cross_entropy", equation="(66), (67)")
def cross_entropy_output_error() -> Derivation:
    r"""Book eqs. (63), (66), (67): for :math:`C = -\sum_j [y_j\ln a^L_j + (1-y_j)\ln(1-a^L_j)]`
    with :math:`a^L_j = \sigma(z^L_j)`, :math:`\delta^L_j = \partial C/\partial z^L_j = a^L_j - y_j`
    and :math:`\partial C/\partial w^L_{jk} = a^{L-1}_k (a^L_j - y_j)`.

    The δ is the one ``COSTS["cross_entropy"].delta`` (BP1 with σ′ cancelled) holds, which the
    kernels print.  Proved in index form (symbolic width) and for a concrete 3×2 output layer.
    """
    zL, yv = sp.IndexedBase("z^L", real=True), sp.IndexedBase("y", real=True)
    C = sp.Sum(ce(sigmoid(zL[i]), yv[i]), (i, 1, n))
    delta = sp.diff(C, zL[j])

    # Concrete: 3 output neurons fed by 2 neurons of layer L−1.
    W = sp.Matrix(3, 2, lambda r, c: sp.Symbol(f"w^L_{r + 1}{c + 1}", real=True))
    bL = sp.Matrix(sp.symbols("b^L_1:4", real=True))
    aprev = sp.Matrix(sp.symbols("a^{L-1}_1:3", real=True))
    Y = sp.symbols("y_1:4", real=True)
    zs = W * aprev + bL  # eq. (25): z^L = w^L a^{L−1} + b^L
    C3 = sum(ce(sigmoid(zs[r]), Y[r]) for r in range(3))

    def weight_gradients():
        return [(lambda r=r, c=c: prove_equal(sp.diff(C3, W[r, c]),
                                              aprev[c] * (sigmoid(zs[r]) - Y[r]), ("cancel",)))
                for r in range(3) for c in range(2)]

    # The costs table: δ = ∂c/∂a · σ′ with a = σ(z); its expression is a − y.
    table_delta = CE.delta
    per_neuron = sp.diff(ce(sigmoid(z), y), z)

    aL = sp.IndexedBase("a^L", real=True)
    aLm1 = sp.IndexedBase("a^{L-1}", real=True)
    m, q = sp.symbols("m q", integer=True, positive=True)  # width of layer L − 1, its index
    wL, bLi = sp.IndexedBase("w^L", real=True), sp.IndexedBase("b^L", real=True)
    z_i = sp.Sum(wL[i, q] * aLm1[q], (q, 1, m)) + bLi[i]
    C_w = sp.Sum(ce(sigmoid(z_i), yv[i]), (i, 1, n))  # the cost through the weights of layer L
    zL_j = z_i.xreplace({i: j})
    dsym = sp.Symbol(r"\delta^L_j")
    steps = [
        Step(sp.Eq(sp.Symbol("C"), sp.Sum(ce(aL[i], yv[i]), (i, 1, n))),
             "eq. (63) for one training input, summed over the n output neurons"),
        Step(sp.Eq(dsym, sp.Mul(sp.diff(ce(aL[j], yv[j]), aL[j]), sp.Derivative(sigmoid(zL[j]), zL[j]),
                                evaluate=False)),
             "BP1: $δ^L_j = \\frac{∂C}{∂a^L_j} σ′(z^L_j)$; only the $j$-th term depends on $z^L_j$"),
        Step(sp.Eq(dsym, sp.Mul(sp.diff(ce(aL[j], yv[j]), aL[j]), aL[j] * (1 - aL[j]), evaluate=False)),
             "$σ′(z^L_j) = a^L_j (1 − a^L_j)$"),
        Step(sp.Eq(dsym, aL[j] - yv[j]), "$σ′$ cancels as for one neuron: $δ^L = a^L − y$ (eq. 66)"),
        Step(sp.Eq(sp.Derivative(sp.Symbol("C"), sp.Symbol("w^L_jk")), aLm1[k] * (aL[j] - yv[j])),
             "BP4 with $∂z^L_j/∂w^L_{jk} = a^{L−1}_k$ (eq. 67)"),
        Step(sp.Eq(sp.Symbol(r"\delta^L"), table_delta),
             "the output error the costs table holds for `cross_entropy`, in $a = σ(z)$ and $y$"),
    ]
    return Derivation(
        statement=[sp.Eq(dsym, aL[j] - yv[j]),
                   sp.Eq(sp.Derivative(sp.Symbol("C"), sp.Symbol("w^L_jk")), aLm1[k] * (aL[j] - yv[j]))],
        steps=steps,
        obligations=[
            *[(lambda r=r: prove_equal(sp.diff(C3, bL[r]),
                                       sigmoid(zs[r]) - Y[r], ("cancel",))) for r in range(3)],
            *weight_gradients(),
            kronecker_lemma,  # the collapse rule of the weight gradient's reading
            # COSTS["cross_entropy"].delta (which the kernels print) is ∂c/∂z for one neuron
            lambda: prove_equal(per_neuron, table_delta.xreplace({a: sigmoid(z)}), ("cancel",)),
        ],
        assumptions="sigmoid output layer; $y_j$ real; $n$ output neurons (symbolic) and a concrete "
                    "3-neuron layer fed by 2 neurons; 1 ≤ j ≤ n",
        # δ^L_j = ∂C/∂z^L_j by SymPy, a^L_j = σ(z^L_j); ∂C/∂w^L_jk by SymPy on the concrete layer
        readings=[Reading({dsym: delta, aL[j]: sigmoid(zL[j])}, _kronecker(j, n), _KRONECKER,
                          ("cancel",)),
                  # ∂C/∂w^L_jk for symbolic widths: z^L_i = Σ_q w^L_iq a^{L−1}_q + b^L_i
                  Reading({sp.Derivative(sp.Symbol("C"), sp.Symbol("w^L_jk")):
                           collapse_kronecker(sp.diff(C_w, wL[j, k]))[0], aL[j]: sigmoid(zL_j)},
                          prepare_name="diff, Kronecker collapse", methods=("cancel",),
                          applies_to=sp.Symbol("w^L_jk"))],
        parts=[Part("δ^L_j = a^L_j − y_j and ∂C/∂w^L_jk = a^{L−1}_k (a^L_j − y_j), any widths (also "
                    "on a layer of 3 neurons fed by 2)", True)],
    )


def _softplus_rewrite(e: sp.Expr) -> sp.Expr:
    """σ(x) → e^x/(1+e^x), put each log's argument over one denominator, softplus → ln(1+e^x),
    then split the logs (``expand_log``; exact here since e^x > 0 for real x)."""
    e = e.replace(sigmoid, lambda x: sp.exp(x) / (1 + sp.exp(x)))
    e = e.replace(lambda t: isinstance(t, sp.log), lambda t: sp.log(sp.cancel(t.args[0])))
    return sp.expand_log(e.rewrite(sp.log))


@theorem("cross_entropy_softplus", "Cross-entropy in z: softplus(z) − yz", "stable")
def cross_entropy_softplus() -> Derivation:
    r""":math:`-[y\ln\sigma(z) + (1-y)\ln(1-\sigma(z))] = \operatorname{softplus}(z) - yz` with
    :math:`\operatorname{softplus}(z) = \ln(1+e^z)`, printed as ``numpy.logaddexp(0, z)``: no
    overflow of :math:`e^{-z}` and no ln 0 when σ(z) rounds to 0 or 1.  This is
    ``COSTS["cross_entropy"].stable``.
    """
    C = ce(sigmoid(z), y)
    stable = CE.stable
    sp_z = softplus(z)
    steps = [
        Step(sp.Eq(sp.Symbol("C"), C), "eq. (57) with a = σ(z)"),
        Step(sp.Eq(sigmoid(z), sp.exp(z) / (1 + sp.exp(z))), "multiply $1/(1+e^{−z})$ by $e^z/e^z$"),
        Step(sp.Eq(sp.log(sigmoid(z)), z - sp.log(1 + sp.exp(z))), "ln of a quotient; $\\ln e^z = z$"),
        Step(sp.Eq(sp.log(1 - sigmoid(z)), -sp.log(1 + sp.exp(z))), "$1 − σ(z) = 1/(1 + e^z)$"),
        Step(sp.Eq(sp.Symbol("C"), -y * (z - sp.log(1 + sp.exp(z))) + (1 - y) * sp.log(1 + sp.exp(z))),
             "substitute both logarithms"),
        Step(sp.Eq(sp.Symbol("C"), stable),
             "collect: $\\ln(1 + e^z) − yz$; the kernels evaluate $\\ln(1 + e^z)$ (softplus) stably, as numpy.logaddexp(0, z)"),
    ]
    return Derivation(
        statement=[sp.Eq(C, stable)],
        steps=steps,
        obligations=[
            lambda: prove_equal(sigmoid(z), sp.exp(z) / (1 + sp.exp(z)), ("cancel",),
                                lambda e: e.rewrite(sp.exp), "rewrite σ→exp"),
            lambda: prove_equal(sp_z, sp.log(1 + sp.exp(z)), ("structural",),
                                lambda e: e.rewrite(sp.log), "rewrite softplus→log"),
        ],
        assumptions="z, y real",
        readings=[Reading(prepare=_softplus_rewrite, methods=("expand",), refutable=True,
                          prepare_name="rewrite σ→e^z/(1+e^z), softplus→ln(1+e^z), expand_log")],
        parts=[Part("C = softplus(z) − yz", True)],
    )


@display("cross_entropy_softplus")
def _cross_entropy_softplus_form(s):
    """The cross-entropy as the book writes it, equal to its softplus form."""
    (rel,) = s
    return Display((sp.Eq(_ce_form(rel.lhs), ordered(rel.rhs), evaluate=False),))
