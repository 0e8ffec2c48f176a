"""derive.book.cross_entropy: exact proofs, and 50-digit mpmath cross-checks that do not use them."""
import mpmath as mp
import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gradproof import derive
from gradproof.derive.book.activations import a as a_sym, z as z_sym
from gradproof.derive.book.costs import COSTS, y as y_sym
from gradproof.derive.core.display import shown, statement_latex

from ..oracle import assert_proved_exactly, assert_well_formed, close, mp50, mpf, mpfunc, sig

IDS = ["cross_entropy_nonnegative", "cross_entropy_cancellation", "cross_entropy_output_error",
       "cross_entropy_softplus"]
unit_open = st.floats(1e-30, 1 - 1e-15, allow_nan=False, exclude_min=False)
unit_closed = st.floats(0, 1, allow_nan=False)
reals = st.floats(-30, 30, allow_nan=False)


def ce(a, y):
    """−[y ln a + (1 − y) ln(1 − a)], by hand."""
    return -(y * mp.log(a) + (1 - y) * mp.log(1 - a))


def ce_z(zz, y):
    """The same at a = σ(z), with ln σ(z) and ln(1 − σ(z)) = ln σ(−z) evaluated without cancellation."""
    return -(y * mp.log(sig(zz)) + (1 - y) * mp.log(sig(-zz)))


@pytest.mark.parametrize("id", IDS)
def test_proved_exactly(id):
    assert_proved_exactly(id)


@pytest.mark.parametrize("id", IDS)
def test_well_formed(id):
    idy = assert_well_formed(id)
    assert idy.group == ("stable" if id == "cross_entropy_softplus" else "cross_entropy")


@pytest.mark.parametrize("id, eq", [("cross_entropy_nonnegative", "(57)"),
                                    ("cross_entropy_cancellation", "(61), (62)"),
                                    ("cross_entropy_output_error", "(66), (67)")])
def test_equation_numbers(id, eq):
    assert derive.REGISTRY[id].equation == eq


def test_cancellation_steps_show_sigma_prime_cancelling():
    steps = derive.REGISTRY["cross_entropy_cancellation"].steps
    reasons = [s.reason for s in steps]
    chain = next(i for i, r in enumerate(reasons) if "chain rule" in r)
    prime = next(i for i, r in enumerate(reasons) if "σ(z)(1 − σ(z))" in r or "σ(1−σ)" in r)
    cancel = next(i for i, r in enumerate(reasons) if "cancel" in r)
    assert chain < prime < cancel
    # the chain-rule step still holds σ′ (a Derivative), the last w-step no longer does
    assert steps[chain].expr.has(sp.Derivative(derive.sigmoid(z_sym), z_sym))
    assert not steps[cancel].expr.rhs.has(sp.Derivative)
    assert steps[prime].expr.rhs.has(derive.sigmoid(z_sym) * (1 - derive.sigmoid(z_sym)))


# --- cross_entropy_nonnegative ------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(unit_open, unit_closed)
@example(1e-30, 0.0)
@example(1e-30, 1.0)
@example(1 - 1e-15, 0.0)
@example(0.5, 0.5)
@example(0.3, 0.3)
@mp50
def test_cross_entropy_nonnegative_oracle(av, yv):
    aa, yy = mpf(av), mpf(yv)
    C = ce(aa, yy)
    assert C >= 0
    if 0 < yy < 1:
        assert C >= ce(yy, yy) or close(C, ce(yy, yy))  # least at a = y
    idy = derive.REGISTRY["cross_entropy_nonnegative"]
    _, d1, d2 = idy.statement
    numeric1 = mp.diff(lambda t: ce(t, yy), aa)
    numeric2 = mp.diff(lambda t: ce(t, yy), aa, 2)
    assert close(mpfunc([a_sym, y_sym], d1.rhs)(aa, yy), numeric1)
    assert numeric2 > 0
    # ∂C/∂a has the sign of a − y (and vanishes at a = y)
    if aa == yy:
        assert close(numeric1, 0)
    elif abs(numeric1) > mp.mpf("1e-45"):  # above the numeric derivative's noise
        assert mp.sign(numeric1) == mp.sign(aa - yy)


# --- cross_entropy_cancellation -----------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(-5, 5, allow_nan=False), st.floats(-5, 5, allow_nan=False)),
                min_size=1, max_size=4),
       reals, unit_closed, st.data())
@example([(0.0, 0.0)], 0.0, 0.5, None)
@example([(6.0, 5.0)], 0.0, 1.0, None)  # z = 30
@example([(-6.0, 5.0)], 0.0, 0.0, None)  # z = −30
@mp50
def test_cross_entropy_cancellation_oracle(wx, b, yv, data):
    w = [mpf(p[0]) for p in wx]
    x = [mpf(p[1]) for p in wx]
    b, yy = mpf(b), mpf(yv)
    j = data.draw(st.integers(0, len(w) - 1)) if data is not None else 0
    C = lambda ws, bb: ce_z(mp.fsum(wi * xi for wi, xi in zip(ws, x)) + bb, yy)  # noqa: E731
    zz = mp.fsum(wi * xi for wi, xi in zip(w, x)) + b
    dw = mp.diff(lambda t: C(w[:j] + [t] + w[j + 1:], b), w[j])
    db = mp.diff(lambda t: C(w, t), b)
    eq_w, eq_b = derive.REGISTRY["cross_entropy_cancellation"].statement
    xj = next(iter(eq_w.rhs.atoms(sp.Indexed)))
    assert close(mpfunc([xj, z_sym, y_sym], eq_w.rhs)(x[j], zz, yy), dw)
    assert close(mpfunc([z_sym, y_sym], eq_b.rhs)(zz, yy), db)
    assert close(dw, x[j] * (sig(zz) - yy)) and close(db, sig(zz) - yy)


# --- cross_entropy_output_error -----------------------------------------------------------------

@settings(max_examples=30, deadline=None)
@given(st.integers(1, 3).flatmap(lambda r: st.integers(1, 3).flatmap(lambda c: st.tuples(
    st.lists(st.lists(st.floats(-4, 4, allow_nan=False), min_size=c, max_size=c), min_size=r, max_size=r),
    st.lists(st.floats(-4, 4, allow_nan=False), min_size=r, max_size=r),
    st.lists(st.floats(-2, 2, allow_nan=False), min_size=c, max_size=c),
    st.lists(unit_closed, min_size=r, max_size=r)))), st.data())
@example(([[0.0]], [0.0], [0.0], [0.5]), None)
@example(([[3.0, 0.0]], [0.0], [2.0, 1.0], [1.0]), None)  # z = 6
@mp50
def test_cross_entropy_output_error_oracle(layer, data):
    W = [[mpf(t) for t in row] for row in layer[0]]
    b = [mpf(t) for t in layer[1]]
    aprev = [mpf(t) for t in layer[2]]
    y = [mpf(t) for t in layer[3]]
    r = data.draw(st.integers(0, len(W) - 1)) if data is not None else 0
    c = data.draw(st.integers(0, len(aprev) - 1)) if data is not None else 0
    zs = lambda W_, b_: [mp.fsum(wk * ak for wk, ak in zip(row, aprev)) + bj  # noqa: E731
                         for row, bj in zip(W_, b_)]
    C = lambda W_, b_: mp.fsum(ce_z(zj, yj) for zj, yj in zip(zs(W_, b_), y))  # noqa: E731
    z0 = zs(W, b)
    aL = [sig(t) for t in z0]
    # δ^L_r = ∂C/∂z^L_r, by perturbing z^L_r alone (through its bias)
    delta = mp.diff(lambda t: C(W, b[:r] + [t] + b[r + 1:]), b[r])
    dW = mp.diff(lambda t: C([row if i != r else row[:c] + [t] + row[c + 1:] for i, row in enumerate(W)], b),
                 W[r][c])
    delta_stmt, dw_stmt = derive.REGISTRY["cross_entropy_output_error"].statement
    atoms = {str(i.base): i for i in dw_stmt.rhs.atoms(sp.Indexed)}
    dfun = mpfunc([atoms["a^L"], atoms["y"]], delta_stmt.rhs)
    wfun = mpfunc([atoms["a^{L-1}"], atoms["a^L"], atoms["y"]], dw_stmt.rhs)
    assert close(dfun(aL[r], y[r]), delta)
    assert close(wfun(aprev[c], aL[r], y[r]), dW)
    # the costs table's δ for cross_entropy, at a = σ(z), against the numeric ∂c/∂z of one neuron
    table = mpfunc([a_sym, y_sym], COSTS["cross_entropy"].delta)
    assert close(table(aL[r], y[r]), mp.diff(lambda t: ce_z(t, y[r]), z0[r]))


# --- cross_entropy_softplus ---------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(st.floats(-800, 800, allow_nan=False), unit_closed)
@example(0.0, 0.5)
@example(30.0, 1.0)
@example(-30.0, 0.0)
@example(745.0, 0.0)  # e^{-z}, e^{z} over/underflow in float64; fine in mpmath
@mp50
def test_cross_entropy_softplus_oracle(zv, yv):
    zz, yy = mpf(zv), mpf(yv)
    expected = ce_z(zz, yy)
    hand = mp.log1p(mp.exp(zz)) - yy * zz
    assert close(hand, expected)
    stable = COSTS["cross_entropy"].stable
    logaddexp = lambda p, q: mp.log(mp.exp(p) + mp.exp(q))  # noqa: E731
    f = sp.lambdify([z_sym, y_sym], stable, modules=[{"logaddexp": logaddexp}, "mpmath"])
    assert close(f(zz, yy), expected)
    stmt = derive.REGISTRY["cross_entropy_softplus"].statement[0]
    assert stmt.rhs == stable
    lhs = mpfunc([z_sym, y_sym], stmt.lhs)
    if abs(zz) <= 30:  # the textbook form loses ~|z|/ln 10 digits to 1 − σ(z): evaluate it at 100
        with mp.workdps(100):
            textbook = lhs(zz, yy)
        assert close(textbook, expected)


def test_softplus_form_differs_from_a_wrong_one():
    """Guard: the oracle separates the true stable form from softplus(z) − (1 − y) z."""
    with mp.workdps(50):
        zz, yy = mp.mpf("1.3"), mp.mpf("0.2")
        assert not close(mp.log1p(mp.exp(zz)) - (1 - yy) * zz, ce_z(zz, yy))


# --- display forms (written beside the theorems; each proved equal to its statement) -----------

@pytest.mark.parametrize("id_", ["cross_entropy_nonnegative", "cross_entropy_softplus"])
def test_the_cost_is_shown_as_minus_a_bracket(id_):
    idy = derive.REGISTRY[id_]
    assert shown(idy).is_display[0]
    assert statement_latex(idy)[0].startswith(
        r"- (y \ln{\left(")  # −[y ln a + (1 − y) ln(1 − a)], as the book writes eq. (57)
