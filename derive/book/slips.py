r"""Transcribed slips: claims that look right, are wrong, and are refuted with exact values.

Each is a theorem with ``expect="refuted"`` in group ``slips``: its statement is the *wrong* claim
about a named quantity (w′, δᴸ, Δw), whose definition — gradient descent on the cost,
differentiated; the model's stationary point, solved — the statement's reading substitutes; the
exact decision must end ``refuted``, with a counterexample.  The steps show the correct derivation
and the line where the slip goes wrong; ``repaired`` is the statement as it should read, typed
as the book writes it, and proves through the same definitions.

``slip_l1_update`` and ``slip_newton_step`` are transcribed from the notes; ``slip_l2_missing_n``
and ``slip_cross_entropy_sigma_prime`` are common slips (not from the notes), recorded because they
are easy to make and silently train a different model.
"""
from __future__ import annotations

import sympy as sp

from .activations import ACTIVATIONS, a, sigmoid, z
from .costs import CROSS_ENTROPY_TERM, y
from ..core.theorem import Derivation, Part, Reading, Step, theorem
from ..core.display import Display, display, ordered, symbol_named

__all__ = ["l1_update", "l2_update", "newton_model_gradient", "cross_entropy_delta"]

w = sp.Symbol("w", real=True)  #: one weight
eta = sp.Symbol("eta", positive=True)  #: learning rate η
lmbda = sp.Symbol("lambda", positive=True)  #: regularization parameter λ (the book's `lmbda`)
n = sp.Symbol("n", integer=True, positive=True)  #: size of the training set
dC0dw = sp.Symbol(r"\partial C_0/\partial w", real=True)  #: ∂C₀/∂w, the unregularized gradient
C0 = sp.Function("C_0")  #: the unregularized cost, as a function of w
_DIFF = sp.Symbol(r"w'_{\mathrm{slip}} - w'")  #: names the difference in the steps


def _step(cost: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    r"""``(∂C/∂w, w − η ∂C/∂w)`` for ``cost`` in ``C_0(w)`` and ``w``; ∂C₀/∂w becomes a symbol."""
    dC = sp.diff(cost, w).subs(sp.Derivative(C0(w), w), dC0dw)
    return dC, w - eta * dC


def l1_update() -> tuple[sp.Expr, sp.Expr]:
    r"""``(slip, correct)`` for the L1 step: :math:`w(1-\eta\lambda/n) - \eta\,\partial C_0/\partial w`
    versus :math:`w - \eta\,\partial C/\partial w` with :math:`C = C_0 + \frac{\lambda}{n}\sum|w|`."""
    _, correct = _step(C0(w) + lmbda / n * sp.Abs(w))
    return w * (1 - eta * lmbda / n) - eta * dC0dw, correct


def l2_update() -> tuple[sp.Expr, sp.Expr]:
    r"""``(slip, correct)`` for weight decay: :math:`(1-\eta\lambda)w - \eta\,\partial C_0/\partial w`
    versus :math:`w - \eta\,\partial C/\partial w` with :math:`C = C_0 + \frac{\lambda}{2n}\sum w^2`."""
    _, correct = _step(C0(w) + lmbda / (2 * n) * w**2)
    return (1 - eta * lmbda) * w - eta * dC0dw, correct


def _slip_form(rel: sp.Eq) -> sp.Eq:
    """A slipped update rule with the weight first on both sides, as the notes write it."""
    w = symbol_named(rel, "w")
    return sp.Eq(ordered(rel.lhs, [w]), ordered(rel.rhs, [w]), evaluate=False)


@theorem("slip_l1_update", "Slip: the L1 step with the L2 decay factor", "slips",
         equation=r"w \to w - \frac{\eta\lambda}{n}\operatorname{sgn}(w) - \eta\,\partial C_0/\partial w",
         expect="refuted",
         note="Transcribed from the notes: the L1 update written as $w(1 − ηλ/n) − η\\, ∂C_0/∂w$.")
def slip_l1_update() -> Derivation:
    r"""The notes' L1 step :math:`w(1-\frac{\eta\lambda}{n}) - \eta\frac{\partial C_0}{\partial w}` is the
    L2 step; with :math:`C = C_0 + \frac{\lambda}{n}\sum_w |w|` the step is
    :math:`w - \frac{\eta\lambda}{n}\operatorname{sgn}(w) - \eta\frac{\partial C_0}{\partial w}`."""
    slip, correct = l1_update()
    cost = C0(w) + lmbda / n * sp.Abs(w)
    dC, _ = _step(cost)
    C = sp.Symbol("C")
    w_new = sp.Symbol("w'")
    steps = [
        Step(sp.Eq(C, cost), "L1-regularized cost; only the |w| term of the sum depends on this w"),
        Step(sp.Eq(sp.Derivative(sp.Abs(w), w), sp.sign(w)), "d|w|/dw = sgn(w) for w ≠ 0 (and the "
             "convention sgn(0) = 0 at the kink)"),
        Step(sp.Eq(sp.Symbol(r"\partial C/\partial w"), dC), "differentiate the cost"),
        Step(sp.Eq(w_new, correct), "gradient descent: w → w − η ∂C/∂w"),
        Step(sp.Eq(w_new, slip), "the slip: the L2 factor (1 − ηλ/n) multiplies w, as if d|w|/dw were w"),
        Step(sp.Eq(_DIFF, sp.factor(slip - correct)),
             "the two differ by $(ηλ/n)(\\operatorname{sgn} w − w)$: zero only at $w ∈ \\{−1, 0, 1\\}$"),
    ]
    return Derivation(
        statement=[sp.Eq(w_new, slip)],
        steps=steps,
        obligations=[],
        assumptions="η, λ > 0; n a positive integer; w and ∂C₀/∂w real",
        readings=[Reading({w_new: correct}, methods=("expand",), refutable=True)],
        repaired=[sp.Eq(w_new, w - eta * lmbda / n * sp.sign(w) - eta * dC0dw)],
        parts=[Part("w′ = w − η ∂C/∂w for C = C_0 + (λ/n)|w|", True)],
    )


@display("slip_l1_update")
def _slip_l1_update_form(s):
    return Display((_slip_form(s[0]),))


@theorem("slip_l2_missing_n", "Slip: weight decay without the 1/n", "slips",
         equation=r"w \to \left(1 - \frac{\eta\lambda}{n}\right) w - \eta\,\partial C_0/\partial w",
         expect="refuted",
         note="A common slip, not from the notes: weight decay written $(1 − ηλ)w$, dropping the $1/n$ "
              "of the regularization term $\\frac{λ}{2n} \\sum w^2$.")
def slip_l2_missing_n() -> Derivation:
    r"""Weight decay is :math:`(1-\frac{\eta\lambda}{n})w`, not :math:`(1-\eta\lambda)w`: the penalty is
    :math:`\frac{\lambda}{2n}\sum w^2`, averaged over the n training inputs like :math:`C_0`."""
    slip, correct = l2_update()
    cost = C0(w) + lmbda / (2 * n) * w**2
    dC, _ = _step(cost)
    w_new = sp.Symbol("w'")
    steps = [
        Step(sp.Eq(sp.Symbol("C"), cost), "L2-regularized cost (one weight of the sum shown)"),
        Step(sp.Eq(sp.Symbol(r"\partial C/\partial w"), dC), "differentiate: (λ/2n)·2w = (λ/n)w"),
        Step(sp.Eq(w_new, sp.collect(sp.expand(correct), w)),
             "gradient descent: the decay factor is 1 − ηλ/n"),
        Step(sp.Eq(w_new, slip), "the slip: the 1/n of λ/(2n) is lost"),
        Step(sp.Eq(_DIFF, sp.factor(slip - correct)),
             "the two differ by ηλw(1 − n)/n: the same only for n = 1 or w = 0"),
    ]
    return Derivation(
        statement=[sp.Eq(w_new, slip)],
        steps=steps,
        obligations=[],
        assumptions="η, λ > 0; n a positive integer; w and ∂C₀/∂w real",
        readings=[Reading({w_new: correct}, methods=("expand",), refutable=True)],
        repaired=[sp.Eq(w_new, (1 - eta * lmbda / n) * w - eta * dC0dw)],
        parts=[Part("w′ = w − η ∂C/∂w for C = C_0 + (λ/2n)w²", True)],
    )


@display("slip_l2_missing_n")
def _slip_l2_missing_n_form(s):
    return Display((_slip_form(s[0]),))


# --- the Newton step --------------------------------------------------------------------------

h11, h12, h22 = sp.symbols("H_11 H_12 H_22", real=True)  #: entries of a symmetric 2×2 Hessian
g1, g2 = sp.symbols(r"\nabla{C}_1 \nabla{C}_2", real=True)  #: the gradient ∇C
dw1, dw2 = sp.symbols(r"\Delta{w}_1 \Delta{w}_2", real=True)  #: the step Δw
C_w = sp.Symbol("C", real=True)  #: C(w), the cost at the current point


def newton_model_gradient() -> tuple[sp.Matrix, sp.Matrix, sp.Matrix, sp.Matrix]:
    r"""``(model gradient at the slip, at the correct step, slip Δw, correct Δw)``.

    The quadratic model of the cost near w (book: the Hessian technique) is
    :math:`C(w+\Delta w) \approx C + \nabla C\cdot\Delta w + \frac12 \Delta w^T H \Delta w`; its
    gradient in :math:`\Delta w` is :math:`\nabla C + H\Delta w`, zero at :math:`\Delta w = -H^{-1}\nabla C`
    (solved here, not typed).  The slip is :math:`\Delta w = H^{-1}\nabla C`.
    """
    H = sp.Matrix([[h11, h12], [h12, h22]])
    g = sp.Matrix([g1, g2])
    dw = sp.Matrix([dw1, dw2])
    model = C_w + (g.T * dw)[0] + sp.Rational(1, 2) * (dw.T * H * dw)[0]
    grad = sp.Matrix([sp.diff(model, v) for v in (dw1, dw2)])
    sol = sp.solve(list(grad), [dw1, dw2], dict=True)[0]
    correct = sp.Matrix([sol[dw1], sol[dw2]])
    slip = H.inv() * g
    at = lambda step: grad.subs({dw1: step[0], dw2: step[1]})  # noqa: E731
    return at(slip), at(correct), slip, correct


@theorem("slip_newton_step", "Slip: the Newton step without its minus sign", "slips",
         equation=r"\Delta w = -H^{-1}\nabla C", expect="refuted",
         note="Transcribed from the notes: the Newton step written $Δw = H^{-1}∇C$.")
def slip_newton_step() -> Derivation:
    r"""The stationary point of the quadratic model
    :math:`C + \nabla C\cdot\Delta w + \frac12\Delta w^T H\Delta w` is :math:`\Delta w = -H^{-1}\nabla C`;
    at the slip :math:`\Delta w = H^{-1}\nabla C` the model's gradient is :math:`2\nabla C \ne 0`.
    Shown for a symmetric 2×2 Hessian with symbolic entries."""
    grad_slip, grad_correct, slip, correct = newton_model_gradient()
    H = sp.Matrix([[h11, h12], [h12, h22]])
    g = sp.Matrix([g1, g2])
    dw = sp.Matrix([dw1, dw2])
    M = sp.Symbol(r"\hat{C}")
    grad_at = sp.MatrixSymbol(r"\nabla_{\Delta w}\hat{C}", 2, 1)
    steps = [
        Step(sp.Eq(M, C_w + (g.T * dw)[0] + sp.Rational(1, 2) * sp.expand((dw.T * H * dw)[0])),
             "second-order Taylor model of C(w + Δw), H symmetric"),
        Step(sp.Eq(grad_at, g + H * dw, evaluate=False), "its gradient in Δw: ∇C + HΔw"),
        Step(sp.Eq(dw, correct.applyfunc(sp.factor), evaluate=False),
             "solve ∇C + HΔw = 0: Δw = −H⁻¹∇C"),
        Step(sp.Eq(grad_at, grad_correct.applyfunc(sp.cancel), evaluate=False),
             "check: the model's gradient vanishes there"),
        Step(sp.Eq(dw, slip.applyfunc(sp.factor), evaluate=False),
             "the slip: Δw = H⁻¹∇C (minus sign lost)"),
        Step(sp.Eq(grad_at, grad_slip.applyfunc(sp.cancel), evaluate=False),
             "there the gradient is ∇C + HH⁻¹∇C = 2∇C, not 0 (the slip climbs when H > 0)"),
    ]
    # the statement is about Δw, the model's stationary point (solved, not typed)
    star = sp.Matrix([sp.Symbol(r"\Delta{w}^{\star}_1"), sp.Symbol(r"\Delta{w}^{\star}_2")])
    return Derivation(
        statement=[sp.Eq(star[0], slip[0]), sp.Eq(star[1], slip[1])],
        steps=steps,
        obligations=[],
        assumptions="H symmetric and invertible (H₁₁H₂₂ ≠ H₁₂²); entries and ∇C real",
        readings=[Reading({star[0]: correct[0], star[1]: correct[1]}, methods=("cancel",),
                          refutable=True)],
        repaired=[sp.Eq(star[0], (-H.inv() * g)[0]), sp.Eq(star[1], (-H.inv() * g)[1])],
        parts=[Part("Δw⋆ = −H⁻¹∇C, H symmetric 2×2", False, "d = 2")],
    )


# --- cross-entropy output error ---------------------------------------------------------------

def cross_entropy_delta() -> tuple[sp.Expr, sp.Expr]:
    r"""``(slip, correct)``: :math:`(a-y)\sigma'(z)` versus :math:`\partial C/\partial z` for
    :math:`C = -[y\ln a + (1-y)\ln(1-a)]`, :math:`a = \sigma(z)` (differentiated through σ)."""
    s = sigmoid(z)
    correct = sp.diff(CROSS_ENTROPY_TERM.subs(a, s), z)
    slip = ((a - y) * ACTIVATIONS["sigmoid"].prime).subs(a, s)
    return slip, correct


@theorem("slip_cross_entropy_sigma_prime", "Slip: cross-entropy output error keeping σ′", "slips",
         equation=r"\delta^L = a^L - y", expect="refuted",
         note="A common slip, not from the notes: the quadratic cost's $δ^L = (a − y)σ′(z)$ reused "
              "for the cross-entropy cost, whose whole point is that $σ′$ cancels.")
def slip_cross_entropy_sigma_prime() -> Derivation:
    r"""For the cross-entropy cost with sigmoid output,
    :math:`\delta^L = \frac{\partial C}{\partial a}\sigma'(z) = \frac{a-y}{a(1-a)}\,a(1-a) = a - y`;
    keeping the factor :math:`\sigma'(z)` (as for the quadratic cost) gives :math:`(a-y)\,a(1-a)`."""
    slip, correct = cross_entropy_delta()
    s = sigmoid(z)
    delta = sp.Symbol(r"\delta^L")
    dCda = sp.diff(CROSS_ENTROPY_TERM, a)
    steps = [
        Step(sp.Eq(sp.Symbol("C"), CROSS_ENTROPY_TERM), "cross-entropy cost of one output neuron, a = σ(z)"),
        Step(sp.Eq(sp.Symbol(r"\partial C/\partial a"), sp.factor(dCda)), "differentiate in a"),
        Step(sp.Eq(delta, sp.Mul(sp.factor(dCda), ACTIVATIONS["sigmoid"].prime, evaluate=False)),
             "BP1: multiply by σ′(z) = a(1 − a)"),
        Step(sp.Eq(delta, sp.cancel(dCda * ACTIVATIONS["sigmoid"].prime)), "σ′ cancels: δᴸ = a − y"),
        Step(sp.Eq(delta, (s - y) * s * (1 - s)), "the slip: δᴸ = (a − y)σ′(z), the quadratic cost's "
             "output error; it learns slowly exactly where the cross-entropy was meant not to"),
    ]
    return Derivation(
        statement=[sp.Eq(delta, slip)],
        steps=steps,
        obligations=[],
        assumptions="z, y real (y ∈ [0, 1] in use)",
        # δᴸ = ∂C/∂z, differentiated through σ
        readings=[Reading({delta: correct}, lambda e: e.rewrite(sp.exp), "rewrite σ→exp",
                          methods=("cancel",), refutable=True)],
        repaired=[sp.Eq(delta, s - y)],
        parts=[Part("δᴸ = ∂C/∂z for the cross-entropy of a sigmoid neuron", True)],
    )
