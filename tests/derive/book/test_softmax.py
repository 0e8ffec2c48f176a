"""derive.book.softmax: exact proofs, and 50-digit mpmath cross-checks of the statements at random points."""
import mpmath as mp
import pytest
import sympy as sp
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from gradproof import derive
from gradproof.derive.book import softmax as S
from gradproof.derive.book.activations import a as a_sym
from gradproof.derive.book.costs import LOG_LIKELIHOOD_DELTA, y as y_sym
from gradproof.derive.core.display import statement_latex

from ..oracle import assert_proved_exactly, assert_well_formed, close, mp50, mpf, proof

IDS = ["softmax_normalised", "softmax_monotone", "softmax_log", "logsumexp_shift",
       "log_likelihood_gradient"]
zs_st = st.lists(st.floats(-30, 30, allow_nan=False), min_size=2, max_size=6)
EDGES = [[0.0, 0.0], [0.0, 0.0, 0.0, 0.0], [30.0, -30.0], [-30.0, -30.0, 30.0], [30.0, 30.0, 30.0],
         [-30.0, 0.0, 30.0]]


def mp_softmax(z):
    """e^{z_j}/Σ e^{z_k}, by hand."""
    e = [mp.exp(u) for u in z]
    return [u / mp.fsum(e) for u in e]


def evaluate(expr, z, **values):
    r"""An index-form expression at n = len(z), z^L_i = z[i-1] and the given scalars, with mpmath:
    the sums are written out (``doit``), then ``lambdify(..., "mpmath")``."""
    n = len(z)
    e = expr.xreplace({S.n_L: n}).doit()
    zsyms = sp.symbols(f"zz1:{n + 1}")
    e = e.xreplace({S.z[i + 1]: zsyms[i] for i in range(n)})
    extra = {sp.Symbol(k, real=True): v for k, v in values.items()}
    args = list(zsyms) + list(extra)
    assert e.free_symbols <= set(args), e.free_symbols - set(args)
    return sp.lambdify(args, e, "mpmath")(*[mpf(u) for u in z], *[mpf(v) for v in extra.values()])


# --- the proofs -----------------------------------------------------------------------------------
@pytest.mark.parametrize("id", IDS)
def test_proved_exactly(id):
    assert_proved_exactly(id)


@pytest.mark.parametrize("id", IDS)
def test_well_formed(id):
    idy = assert_well_formed(id)
    assert idy.group == ("stable" if id == "logsumexp_shift" else "softmax")


def test_log_likelihood_gradient_is_the_costs_delta():
    st_ = derive.REGISTRY["log_likelihood_gradient"].statement
    a_j = S.softmax_index()
    want = LOG_LIKELIHOOD_DELTA.xreplace({a_sym: a_j, y_sym: S.y[S.j]})
    assert st_[0].rhs == want and st_[1].rhs == want
    assert derive.COSTS["log_likelihood"].delta is LOG_LIKELIHOOD_DELTA
    assert "concrete diff [2,3,2],[3,4,4,2],[2,2,2,2,2]" in proof("log_likelihood_gradient").method


def test_index_form_checks_fail_on_wrong_claims():
    """The exact comparison used by the index-form obligations does not accept a wrong rhs."""
    a_j = S.softmax_index()
    assert S._same(S.pull_constants(sp.Sum(S.softmax_index(at=S.j), (S.j, 1, S.n_L))), 2).status != "proved"
    assert not S._zero(sp.Add(*S.softmax(S._reals(3))) - sp.Rational(99, 100))
    assert S._same(a_j * (1 - a_j), a_j).status != "proved"


# --- the exported forms that numerics prints -----------------------------------------------------------
def test_statements_are_the_exported_forms():
    """logsumexp_shift proves LOGSUMEXP_SHIFTED and SOFTMAX_SHIFTED themselves; softmax_normalised
    and softmax_log are about SOFTMAX; softmax_log's lse is LOGSUMEXP."""
    lse_eq, shifted = derive.REGISTRY["logsumexp_shift"].statement
    assert (lse_eq.lhs, lse_eq.rhs) == (S.LOGSUMEXP, S.LOGSUMEXP_SHIFTED)
    assert (shifted.lhs, shifted.rhs) == (S.SOFTMAX_SHIFTED, S.SOFTMAX)
    (log_eq,) = derive.REGISTRY["softmax_log"].statement
    assert log_eq.lhs == sp.log(S.SOFTMAX)
    total = derive.REGISTRY["softmax_normalised"].statement[0]
    assert total.lhs == sp.Sum(S.SOFTMAX, (S.j, 1, S.n_L))
    assert S.SHIFT in S.LOGSUMEXP_SHIFTED.free_symbols and S.SHIFT in S.SOFTMAX_SHIFTED.free_symbols
    assert S.SHIFT not in S.LOGSUMEXP.free_symbols | S.SOFTMAX.free_symbols


def _obligations(id):
    return [ob() for ob in derive.REGISTRY[id].build().obligations]


@pytest.mark.parametrize("name, wrong", [
    ("LOGSUMEXP_SHIFTED", 2 * S.c + sp.log(sp.Sum(sp.exp(S.z[S.k] - S.c), (S.k, 1, S.n_L)))),
    ("LOGSUMEXP_SHIFTED", S.c + sp.log(sp.Sum(sp.exp(S.z[S.k] - S.c), (S.k, 2, S.n_L)))),  # drops a term
    ("SOFTMAX_SHIFTED", S.softmax_index(shift=S.c)),  # the same softmax, but exponents > 0 at c = max
    ("SOFTMAX_SHIFTED", sp.exp(S.z[S.j] - S.c) / sp.Sum(sp.exp(S.z[S.i]), (S.i, 1, S.n_L))),
])
def test_logsumexp_shift_rejects_a_wrong_export(monkeypatch, name, wrong):
    """Change an exported form and the theorem no longer proves it: the obligations are about it."""
    assert all(o.status == "proved" for o in _obligations("logsumexp_shift"))
    monkeypatch.setattr(S, name, wrong)
    assert any(o.status != "proved" for o in _obligations("logsumexp_shift"))


@settings(max_examples=20, deadline=None)
@given(z=zs_st)
@example(z=EDGES[2])
@example(z=EDGES[4])
@mp50
def test_exported_shifted_forms_at_the_max_at_50_digits(z):
    """With c = max z (the kernels' shift) the exported forms are ln Σ e^z and the softmax."""
    top = float(max(z))
    zz = [mpf(u) for u in z]
    assert close(evaluate(S.LOGSUMEXP_SHIFTED, z, c=top), mp.log(mp.fsum(mp.exp(u) for u in zz)))
    a = mp_softmax(zz)
    for j in range(1, len(z) + 1):
        assert close(evaluate(S.SOFTMAX_SHIFTED.xreplace({S.j: j}), z, c=top), a[j - 1])
        assert close(evaluate(S.SOFTMAX.xreplace({S.j: j}), z), a[j - 1])


# --- 50-digit cross-checks of the statements ----------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(z=zs_st, c=st.floats(-50, 50, allow_nan=False))
@example(z=EDGES[0], c=0.0)
@example(z=EDGES[1], c=30.0)
@example(z=EDGES[2], c=-30.0)
@example(z=EDGES[3], c=30.0)
@example(z=EDGES[5], c=1e-9)
@mp50
def test_normalised_statement_at_50_digits(z, c):
    total, bounds, shift = derive.REGISTRY["softmax_normalised"].statement
    assert close(evaluate(total.lhs, z), 1)
    a = mp_softmax([mpf(u) for u in z])
    assert close(mp.fsum(a), 1)
    assert all(0 < u < 1 for u in a)  # n ≥ 2
    for j in range(1, len(z) + 1):
        lhs = evaluate(shift.lhs.xreplace({S.j: j}), z, c=c)
        rhs = evaluate(shift.rhs.xreplace({S.j: j}), z)
        assert close(lhs, rhs) and close(rhs, a[j - 1])


@settings(max_examples=15, deadline=None)
@given(z=zs_st)
@example(z=EDGES[0])
@example(z=EDGES[2])
@example(z=EDGES[4])
@mp50
def test_monotone_statement_at_50_digits(z):
    d_same, d_other, pos, neg = derive.REGISTRY["softmax_monotone"].statement
    n = len(z)
    zz = [mpf(u) for u in z]
    for j in range(n):
        for k in range(n):
            num = mp.diff(lambda t: mp_softmax(zz[:k] + [t] + zz[k + 1:])[j], zz[k])
            formula = d_same.rhs if j == k else d_other.rhs
            val = evaluate(formula.xreplace({S.j: j + 1, S.k: k + 1}), z)
            assert close(val, num), (j, k, val, num)
            assert (val > 0) if j == k else (val < 0)


@settings(max_examples=25, deadline=None)
@given(z=zs_st, c=st.floats(-50, 50, allow_nan=False))
@example(z=EDGES[2], c=30.0)
@example(z=EDGES[3], c=-30.0)
@example(z=EDGES[4], c=30.0)
@mp50
def test_log_and_logsumexp_statements_at_50_digits(z, c):
    (log_eq,) = derive.REGISTRY["softmax_log"].statement
    lse_eq, shifted = derive.REGISTRY["logsumexp_shift"].statement
    zz = [mpf(u) for u in z]
    a = mp_softmax(zz)
    for j in range(1, len(z) + 1):
        lhs = evaluate(log_eq.lhs.xreplace({S.j: j}), z)
        assert close(lhs, mp.log(a[j - 1])) and close(lhs, evaluate(log_eq.rhs.xreplace({S.j: j}), z))
        assert close(evaluate(shifted.lhs.xreplace({S.j: j}), z, c=c), a[j - 1])
    lse = mp.log(mp.fsum(mp.exp(u) for u in zz))
    assert close(evaluate(lse_eq.lhs, z), lse) and close(evaluate(lse_eq.rhs, z, c=c), lse)
    # with c = max z: every exponent ≤ 0 and the sum ≥ 1
    top = max(zz)
    assert all(u - top <= 0 for u in zz) and mp.fsum(mp.exp(u - top) for u in zz) >= 1
    assert close(evaluate(lse_eq.rhs, z, c=float(top)), lse)


@settings(max_examples=20, deadline=None)
@given(z=zs_st, cls=st.integers(0, 5))
@example(z=EDGES[2], cls=1)   # a_y ≈ 1e-26: the output error is ≈ −1 there
@example(z=EDGES[2], cls=0)   # a_y ≈ 1
@example(z=EDGES[1], cls=3)
@mp50
def test_log_likelihood_gradient_at_50_digits(z, cls):
    assume(cls < len(z))
    zz = [mpf(u) for u in z]
    a = mp_softmax(zz)
    dz = derive.REGISTRY["log_likelihood_gradient"].statement[0]
    delta = sp.lambdify([a_sym, y_sym], LOG_LIKELIHOOD_DELTA, "mpmath")
    for j in range(len(z)):
        num = mp.diff(lambda t: -mp.log(mp_softmax(zz[:j] + [t] + zz[j + 1:])[cls]), zz[j])
        y_j = 1 if j == cls else 0
        assert close(delta(a[j], y_j), num), (j, delta(a[j], y_j), num)
        # the statement's rhs, with y one-hot
        ys = {S.y[i + 1]: int(i == cls) for i in range(len(z))}
        rhs = evaluate(dz.rhs.xreplace({S.j: j + 1}).xreplace(ys), z)
        assert close(rhs, num)


# --- display forms (written beside the theorems; each proved equal to its statement) -----------

def test_the_bounds_are_shown_as_a_chain():
    assert statement_latex(derive.REGISTRY["softmax_normalised"])[1] == r"0 < a^{L}_{j} < 1"
