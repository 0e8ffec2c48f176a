"""derive.book.hessian: exact proof, and a 50-digit mpmath cross-check with random matrices.

The oracle builds a random symmetric positive-definite H = AᵀA + εI, solves HΔw* = −∇C with
mpmath's LU solver (not SymPy), and checks stationarity, the completed square and minimality of the
second-order model; an indefinite H shows the stationary point is then no minimum.
"""
import mpmath as mp
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gradproof.derive.book.hessian import DIMENSIONS, newton_model

from ..oracle import assert_proved_exactly, assert_well_formed, close, mp50, mpf

entries = st.floats(-3, 3, allow_nan=False)


def test_proved_exactly():
    assert_proved_exactly("hessian_newton_step")


def test_well_formed():
    idy = assert_well_formed("hessian_newton_step")
    assert idy.group == "hessian" and idy.equation == "(105), (106)"
    assert any("positive-definite" in s.reason for s in idy.steps)


def model(H, g, C, dw):
    """C + ∇C·Δw + ½ ΔwᵀHΔw, by hand."""
    return C + (g.T * dw)[0] + (dw.T * H * dw)[0] / 2


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(DIMENSIONS).flatmap(lambda d: st.tuples(
    st.lists(entries, min_size=d * d, max_size=d * d), st.lists(entries, min_size=d, max_size=d),
    st.lists(entries, min_size=d, max_size=d), entries)))
@example(([1.0, 0.0, 0.0, 1.0], [0.0, 0.0], [1.0, -1.0], 0.0))  # ∇C = 0: the step is 0
@example(([1.0, 2.0, 2.0, 4.0], [3.0, -1.0], [0.5, 0.5], 1.0))  # AᵀA singular, εI keeps H PD
@mp50
def test_newton_step_oracle(case):
    a, gv, uv, C = case
    d = len(gv)
    A = mp.matrix(d, d)
    for r in range(d):
        for c in range(d):
            A[r, c] = mpf(a[r * d + c])
    H = A.T * A + mp.mpf("0.1") * mp.eye(d)  # symmetric positive definite
    g = mp.matrix([mpf(t) for t in gv])
    C = mpf(C)
    star = mp.lu_solve(H, -g)  # the Newton step, solved numerically
    # the model's gradient ∇C + HΔw vanishes at Δw*, computed by numeric differentiation
    for k in range(d):
        def along(t, k=k):
            dw = star.copy()
            dw[k] += t
            return model(H, g, C, dw)
        assert close(mp.diff(along, 0), 0)
    # M(Δw) − M(Δw*) = ½ uᵀHu > 0, u = Δw − Δw*
    u = mp.matrix([mpf(t) for t in uv])
    gap = model(H, g, C, star + u) - model(H, g, C, star)
    assert close(gap, (u.T * H * u)[0] / 2)
    if mp.norm(u) > mp.mpf("1e-10"):  # (a tinier u is lost to rounding next to C at 50 digits)
        assert gap > 0
    # the statement's model (from derive) agrees with the hand-written one at these numbers
    Hs, gs, dws, Cs, M = newton_model(d)
    vals = {Cs: sp.Float(str(C), 50)}
    for r in range(d):
        vals[gs[r]] = sp.Float(str(g[r]), 50)
        vals[dws[r]] = sp.Float(str(star[r] + u[r]), 50)
        for c in range(d):
            vals[Hs[r, c]] = sp.Float(str(H[r, c]), 50)
    assert close(mp.mpf(str(sp.N(M.xreplace(vals), 50))), model(H, g, C, star + u))


@mp50
def test_indefinite_hessian_stationary_point_is_no_minimum():
    """The positive-definite hypothesis matters: for H = diag(1, −1) the model goes below M(Δw*)."""
    H = mp.diag([1, -1])
    g = mp.matrix([mp.mpf("0.3"), mp.mpf("-0.7")])
    star = mp.lu_solve(H, -g)
    u = mp.matrix([0, 1])
    assert model(H, g, 0, star + u) < model(H, g, 0, star)
    assert close((u.T * H * u)[0] / 2, model(H, g, 0, star + u) - model(H, g, 0, star))
