r"""Chapter 3, the Hessian technique: the Newton step minimizes the second-order model of the cost.

Book eq. (105): near w, :math:`C(w+\Delta w) \approx M(\Delta w) = C(w) + \nabla C\cdot\Delta w +
\tfrac12\Delta w^T H\Delta w`; eq. (106): M is stationary at :math:`\Delta w = -H^{-1}\nabla C`,
and, completing the square,

.. math:: M(\Delta w) - M(-H^{-1}\nabla C) = \tfrac12 u^T H u, \qquad u = \Delta w + H^{-1}\nabla C,

so for positive-definite H the stationary point is the strict minimum of the model.

Proved for dimensions 2 and 3 with a fully symbolic symmetric H and gradient.  The inverse is
written :math:`H^{-1} = \operatorname{adj}(H)/\det H` and checked to be one (:math:`HH^{-1} = I`).
Completing the square is a *polynomial* identity once the stationary point p is described by
:math:`Hp = -\nabla C` (which, H being invertible, only :math:`p = -H^{-1}\nabla C` satisfies), so
it needs only ``expand``.
"""
from __future__ import annotations

import sympy as sp

from .prover import Outcome, combine, holds, prove_equal
from .theorem import Derivation, Step, theorem

DIMENSIONS = (2, 3)


def newton_model(dim: int):
    r"""Symbols and the model for dimension ``dim``: ``(H, g, dw, C, M)`` with H symmetric
    (entries :math:`h_{ij} = h_{ji}`), g the gradient, dw the step, C the cost at w and
    :math:`M = C + g^T\Delta w + \tfrac12\Delta w^T H\Delta w` (a scalar)."""
    H = sp.Matrix(dim, dim, lambda r, c: sp.Symbol(f"h_{min(r, c) + 1}{max(r, c) + 1}", real=True))
    g = sp.Matrix(sp.symbols(f"g_1:{dim + 1}", real=True))
    dw = sp.Matrix(sp.symbols(rf"\Delta{{w}}_1:{dim + 1}", real=True))
    C = sp.Symbol("C", real=True)
    M = C + (g.T * dw)[0] + sp.Rational(1, 2) * (dw.T * H * dw)[0]
    return H, g, dw, C, M


def _all_zero(entries, method: str) -> Outcome:
    return combine([prove_equal(e, 0, (method,)) for e in entries])


def _obligations(dim: int):
    H, g, dw, C, M = newton_model(dim)
    grad = sp.Matrix([sp.diff(M, v) for v in dw])
    Hinv = H.adjugate() / H.det()
    star = -Hinv * g  # eq. (106)
    p = sp.Matrix(sp.symbols(f"p_1:{dim + 1}", real=True))
    g_of_p = -H * p  # the gradient for which p is the stationary point: Hp = −g
    u = dw - p

    def completing_the_square() -> Outcome:
        at = lambda e: e.xreplace(dict(zip(g, g_of_p)))  # noqa: E731
        lhs = at(M) - at(M).xreplace(dict(zip(dw, p)))
        return prove_equal(lhs, sp.Rational(1, 2) * (u.T * H * u)[0], ("expand",))

    return [
        # ∇_Δw M = g + HΔw (H symmetric)
        lambda: _all_zero(grad - (g + H * dw), "expand"),
        # the model's Hessian is H
        lambda: _all_zero(sp.hessian(M, list(dw)) - H, "expand"),
        # adj(H)/det(H) is the inverse of H
        lambda: _all_zero(H * Hinv - sp.eye(dim), "cancel"),
        # the gradient of the model vanishes at Δw = −H⁻¹∇C
        lambda: _all_zero(grad.xreplace(dict(zip(dw, star))), "cancel"),
        # M(Δw) − M(p) = ½ (Δw − p)ᵀ H (Δw − p) whenever Hp = −∇C
        completing_the_square,
    ]


def _sylvester_2d():
    r"""For d = 2, positive definiteness from the leading minors:
    :math:`h_{11}\,u^T H u = (h_{11}u_1 + h_{12}u_2)^2 + \det(H)\,u_2^2`."""
    H, _, _, _, _ = newton_model(2)
    u1, u2 = sp.symbols("u_1 u_2", real=True)
    u = sp.Matrix([u1, u2])
    q = (u.T * H * u)[0]
    h11, h12 = H[0, 0], H[0, 1]
    square = (h11 * u1 + h12 * u2) ** 2 + H.det() * u2 ** 2

    def positive() -> bool:
        # h11 > 0 and det H > 0: q = square/h11 is > 0 unless u = 0 (split on u2 ≠ 0 / u2 = 0)
        a11, D = sp.symbols("a_11 D", positive=True)
        v1, v2 = sp.Symbol("v_1", real=True), sp.Symbol("v_2", nonzero=True, real=True)
        w1 = sp.Symbol("v_1", nonzero=True, real=True)
        form = lambda x1, x2: ((a11 * x1 + h12 * x2) ** 2 + D * x2 ** 2) / a11  # noqa: E731
        return form(v1, v2).is_positive and form(w1, 0).is_positive

    return [
        lambda: prove_equal(h11 * q, square, ("expand",)),
        lambda: holds(positive, "sign", "uᵀHu > 0 for u ≠ 0 when h11 > 0 and det H > 0"),
    ]


@theorem("hessian_newton_step", "The Newton step minimizes the quadratic model", "hessian",
         equation="(105), (106)")
def hessian_newton_step() -> Derivation:
    r"""Book eqs. (105), (106): :math:`M(\Delta w) = C + \nabla C\cdot\Delta w + \frac12\Delta w^T
    H\Delta w` has gradient :math:`\nabla C + H\Delta w`, zero at :math:`\Delta w = -H^{-1}\nabla C`;
    its Hessian is H, and :math:`M(\Delta w) - M(-H^{-1}\nabla C) = \frac12 u^THu`,
    :math:`u = \Delta w + H^{-1}\nabla C`, so a positive-definite H makes it a strict minimum."""
    d = sp.Symbol("d", integer=True, positive=True)
    H = sp.MatrixSymbol("H", d, d)
    gC = sp.MatrixSymbol(r"\nabla{C}", d, 1)
    dw = sp.MatrixSymbol(r"\Delta{w}", d, 1)
    Cw = sp.MatrixSymbol("C", 1, 1)
    Mf = sp.Function("M")
    model = Cw + gC.T * dw + sp.Rational(1, 2) * dw.T * H * dw
    star = -H.I * gC
    u = sp.MatrixSymbol("u", d, 1)
    half_uHu = sp.Rational(1, 2) * u.T * H * u
    zero = sp.ZeroMatrix(d, 1)
    # ∇C + H(−H⁻¹∇C), kept unevaluated so that the reader sees what vanishes
    grad_at_star = sp.MatAdd(gC, sp.MatMul(H, sp.MatMul(-1, H.I, gC, evaluate=False), evaluate=False),
                             evaluate=False)
    steps = [
        Step(sp.Eq(Mf(dw), model, evaluate=False),
             "Taylor to second order, eq. (105); $H$ is the symmetric matrix of $∂^2 C/∂w_j ∂w_k$"),
        Step(sp.Eq(sp.Derivative(Mf(dw), dw), gC + H * dw, evaluate=False),
             "differentiate: ∇ of ½ΔwᵀHΔw is HΔw because H is symmetric"),
        Step(sp.Eq(grad_at_star, zero, evaluate=False),
             "the gradient vanishes at Δw = −H⁻¹∇C, eq. (106) (H invertible)"),
        Step(sp.Eq(sp.Derivative(Mf(dw), dw, 2), H, evaluate=False), "the model's Hessian is H itself"),
        Step(sp.Eq(u, dw + H.I * gC), "measure the step from the stationary point"),
        Step(sp.Eq(Mf(dw) - Mf(star), half_uHu, evaluate=False),
             "complete the square around the stationary point"),
        Step(sp.Gt(half_uHu, 0, evaluate=False),
             "for positive-definite H this is > 0 whenever u ≠ 0: Δw = −H⁻¹∇C is the strict minimum; "
             "for d = 2, h₁₁uᵀHu = (h₁₁u₁ + h₁₂u₂)² + det(H)u₂², so h₁₁ > 0, det H > 0 suffice"),
    ]
    obligations = [ob for dim in DIMENSIONS for ob in _obligations(dim)] + _sylvester_2d()
    return Derivation(
        statement=[sp.Eq(grad_at_star, zero, evaluate=False),
                   sp.Eq(Mf(dw) - Mf(star), half_uHu, evaluate=False)],
        steps=steps,
        obligations=obligations,
        assumptions="H symmetric and invertible (positive definite for the minimum); all entries "
                    "real; dimensions 2 and 3 with every entry a symbol",
    )
