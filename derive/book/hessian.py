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

from ..core.display import At, Display, display
from ..core.outcome import Outcome, combine
from ..core.prover import holds, prove_equal
from ..core.theorem import Derivation, Part, Reading, Step, theorem

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
    """Every entry is 0 (an entry that is already 0 as built needs no proof; if every entry were,
    the check would prove nothing, so that is undecided)."""
    return combine([prove_equal(e, 0, (method,)) for e in entries if e != 0])


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
        Step(At(sp.Eq(sp.MatAdd(gC, H * dw, evaluate=False), zero, evaluate=False), dw, star),
             "the gradient vanishes at the Newton step Δw = −H⁻¹∇C, eq. (106) (H invertible): "
             "∇C + H(−H⁻¹∇C) = ∇C − ∇C = 0"),
        Step(sp.Eq(sp.Derivative(Mf(dw), dw, 2), H, evaluate=False), "the model's Hessian is H itself"),
        Step(sp.Eq(u, dw + H.I * gC), "measure the step from the stationary point"),
        Step(sp.Eq(Mf(dw) - Mf(star), half_uHu, evaluate=False),
             "complete the square around the stationary point"),
        Step(sp.Gt(half_uHu, 0, evaluate=False),
             "for positive-definite H this is > 0 whenever u ≠ 0: Δw = −H⁻¹∇C is the strict minimum; "
             "for d = 2, h₁₁uᵀHu = (h₁₁u₁ + h₁₂u₂)² + det(H)u₂², so h₁₁ > 0, det H > 0 suffice"),
    ]
    obligations = [ob for dim in DIMENSIONS for ob in _obligations(dim)] + _sylvester_2d()
    symbols = (d, H, gC, dw, Cw, Mf, u)
    return Derivation(
        statement=[sp.Eq(grad_at_star, zero, evaluate=False),
                   sp.Eq(Mf(dw) - Mf(star), half_uHu, evaluate=False)],
        steps=steps,
        obligations=obligations,
        assumptions="H symmetric and invertible (positive definite for the minimum); all entries "
                    "real; dimensions 2 and 3 with every entry a symbol",
        # every matrix explicit at d = 2 and d = 3: H symmetric with symbol entries, H⁻¹ = adj/det,
        # ∇C = −Hp, M the model, u = Δw + H⁻¹∇C = Δw − p
        readings=[_symbolic_reading(symbols),
                  Reading(cases=[_explicit_model(dim, symbols) for dim in DIMENSIONS],
                          prepare=lambda e: e.doit(), prepare_name="explicit matrices",
                          methods=("cancel",), at="d = " + ", ".join(map(str, DIMENSIONS)))],
        parts=[Part("∇M = 0 at Δw = −H⁻¹∇C; M(Δw) − M(−H⁻¹∇C) = ½uᵀHu, any dimension d (also with "
                    "every entry a symbol at d = 2, 3; the strict minimum for positive-definite H "
                    "shown by Sylvester's criterion at d = 2 only)", True)],
    )


@display("hessian_newton_step")
def _newton_form(s):
    r"""Part 1 as the book writes eq. (106): :math:`\nabla C + H\Delta w = 0` at
    :math:`\Delta w = -H^{-1}\nabla C` (the statement is that sum with the step put in)."""
    first, second = s
    names = {m.name: m for m in (*first.atoms(sp.MatrixSymbol), *second.atoms(sp.MatrixSymbol))}
    H, gC, dw = names["H"], names[r"\nabla{C}"], names[r"\Delta{w}"]
    at = At(sp.Eq(sp.MatAdd(gC, H * dw, evaluate=False), first.rhs, evaluate=False), dw, -H.I * gC)
    return Display((at, None))


def _scalar_normal(e: sp.Basic, symmetric: dict) -> sp.Basic:
    r"""A normal form of a sum of matrix products, H symmetric (``symmetric``: Hᵀ → H, ...): each
    1×1 term :math:`x^T A y` is also :math:`y^T A^T x`; the term keeps the smaller of the two
    (by SymPy's sort key), then equal terms are collected."""
    e = sp.expand(e.doit()).doit().xreplace(symmetric)
    if e == 0 or isinstance(e, sp.ZeroMatrix):
        return sp.S.Zero
    coeffs: dict = {}
    for t in (e.args if isinstance(e, sp.MatAdd) else (e,)):
        c, m = t.as_coeff_mmul()
        m = m.doit() if hasattr(m, "doit") else m
        if getattr(m, "shape", None) == (1, 1) and isinstance(m, sp.MatMul):
            alt = sp.MatMul(*[f.T for f in reversed(m.args)]).doit().xreplace(symmetric)
            m = min(m, alt, key=sp.default_sort_key)
        coeffs[m] = coeffs.get(m, 0) + c
    left = [(m, c) for m, c in coeffs.items() if c != 0]
    return sp.S.Zero if not left else sp.MatAdd(*[c * m for m, c in left])


def _symbolic_reading(symbols) -> Reading:
    r"""For any dimension d, by matrix algebra: H symmetric (Hᵀ = H, (H⁻¹)ᵀ = H⁻¹), the gradient
    written ∇C = −Hp (H invertible: p = −H⁻¹∇C, nothing lost), M the model, u = Δw + H⁻¹∇C;
    :func:`_scalar_normal` decides that lhs − rhs is 0."""
    d, H, gC, dw, Cw, Mf, u = symbols
    p = sp.MatrixSymbol("p", d, 1)
    symmetric = {H.T: H, sp.Inverse(H).T: sp.Inverse(H), sp.Inverse(H.T): sp.Inverse(H)}
    model = lambda X: Cw + gC.T * X + sp.Rational(1, 2) * X.T * H * X  # noqa: E731

    def sub(e: sp.Basic) -> sp.Basic:
        e = e.replace(lambda x: getattr(x, "func", None) == Mf, lambda x: model(x.args[0]))
        return e.xreplace({u: dw + H.I * gC}).xreplace({gC: -H * p})

    def zero(e: sp.Basic) -> str | None:
        try:
            return "matrix algebra, H symmetric, expand" if _scalar_normal(e, symmetric) == 0 else None
        except (TypeError, ValueError, AttributeError, sp.ShapeError):
            return None
    return Reading(sub, zero=zero)


def _explicit_model(dim: int, symbols):
    """Definitions of :func:`hessian_newton_step` at dimension ``dim`` (a case of its reading)."""
    d, H, gC, dw, Cw, Mf, u = symbols
    Hd, _, dwd, C, _ = newton_model(dim)
    Hinv = Hd.adjugate() / Hd.det()
    # H invertible: every gradient is −Hp for exactly one p (p = −H⁻¹∇C), so ∇C = −Hp loses
    # nothing and keeps the entries polynomial where H⁻¹∇C occurs
    p = sp.Matrix(sp.symbols(f"p_1:{dim + 1}", real=True))
    g = -Hd * p
    Hs, gs = H.xreplace({d: dim}), gC.xreplace({d: dim})
    table = {sp.MatMul(-1, sp.Inverse(Hs), gs): sp.ImmutableMatrix(p),  # −H⁻¹∇C = p
             sp.Inverse(H).xreplace({d: dim}): sp.ImmutableMatrix(Hinv),
             H.xreplace({d: dim}): sp.ImmutableMatrix(Hd), gC.xreplace({d: dim}): sp.ImmutableMatrix(g),
             dw.xreplace({d: dim}): sp.ImmutableMatrix(dwd), Cw: sp.ImmutableMatrix([[C]]),
             u.xreplace({d: dim}): sp.ImmutableMatrix(dwd - p)}
    def model(X: sp.Basic) -> sp.Basic:  # M(X) = C + ∇Cᵀ X + ½ Xᵀ H X, explicit
        X = sp.ImmutableMatrix(X.xreplace({d: dim}).xreplace(table).doit())
        return sp.ImmutableMatrix([[C]]) + g.T * X + sp.Rational(1, 2) * X.T * Hd * X

    def sub(e: sp.Basic) -> sp.Basic:
        e = e.replace(lambda x: getattr(x, "func", None) == Mf, lambda x: model(x.args[0]))
        return e.xreplace({d: dim}).xreplace(table)
    return sub
