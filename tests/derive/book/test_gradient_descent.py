"""derive.book.gradient_descent: exact proofs, and 50-digit mpmath cross-checks that do not use them."""
import itertools

import mpmath as mp
import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gradproof import derive
from gradproof.derive.book.gradient_descent import UNBIASED_CASES, minibatch_average
from gradproof.derive.core.display import shown, statement_latex

from ..oracle import assert_proved_exactly, assert_well_formed, close, mp50, mpf, mpfunc

IDS = ["quadratic_cost_gradient", "gradient_descent_step", "sgd_minibatch_update"]
reals = st.floats(-1e3, 1e3, allow_nan=False)


@pytest.mark.parametrize("id", IDS)
def test_proved_exactly(id):
    assert_proved_exactly(id)


@pytest.mark.parametrize("id", IDS)
def test_well_formed(id):
    assert assert_well_formed(id).group == "cost"


@pytest.mark.parametrize("id, eq", [("quadratic_cost_gradient", "(6)"),
                                    ("gradient_descent_step", "(9)-(11)"),
                                    ("sgd_minibatch_update", "(20), (21)")])
def test_equation_numbers(id, eq):
    assert derive.REGISTRY[id].equation == eq


# --- quadratic_cost_gradient --------------------------------------------------------------------

def _quadratic(a, y):
    return mp.fsum((yi - ai) ** 2 for ai, yi in zip(a, y)) / 2


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(reals, reals), min_size=1, max_size=6), st.data())
@example([(0.0, 0.0)], None)
@example([(1e-30, -1e-30), (5.0, 5.0)], None)
@mp50
def test_quadratic_cost_gradient_oracle(pairs, data):
    a = [mpf(p[0]) for p in pairs]
    y = [mpf(p[1]) for p in pairs]
    j = data.draw(st.integers(0, len(a) - 1)) if data is not None else 0
    f = lambda t: _quadratic(a[:j] + [t] + a[j + 1:], y)  # noqa: E731
    numeric = mp.diff(f, a[j])
    # the statement's right-hand side a_j − y_j, evaluated at these values
    rhs = derive.REGISTRY["quadratic_cost_gradient"].statement[0].rhs
    aj, yj = sorted(rhs.atoms(sp.Indexed), key=str)
    assert close(mpfunc([aj, yj], rhs)(a[j], y[j]), numeric)
    C = _quadratic(a, y)
    assert C >= 0
    assert (C == 0) == (a == y)


# --- gradient_descent_step ----------------------------------------------------------------------

def _cost(v, c):
    """A smooth, non-quadratic test cost in 3 variables."""
    return c[0] * mp.sin(v[0]) + c[1] * v[1] ** 2 * v[2] + c[2] * mp.exp(v[2] / 4) + v[0] * v[1]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-3, 3, allow_nan=False), min_size=3, max_size=3),
       st.lists(st.floats(-2, 2, allow_nan=False), min_size=3, max_size=3),
       st.floats(1e-6, 10, allow_nan=False))
@example([0.0, 0.0, 0.0], [0.0, 0.0, 0.0], 0.5)  # ∇C = 0 there: ΔC = 0
@mp50
def test_gradient_descent_step_oracle(v, c, eta):
    v, c, eta = [mpf(t) for t in v], [mpf(t) for t in c], mpf(eta)
    grad = [mp.diff(lambda t, i=i: _cost(v[:i] + [t] + v[i + 1:], c), v[i]) for i in range(3)]
    dv = [-eta * g for g in grad]  # Δv = −η∇C
    first_order = mp.diff(lambda t: _cost([vi + t * di for vi, di in zip(v, dv)], c), 0)
    norm2 = mp.fsum(g ** 2 for g in grad)
    assert close(first_order, -eta * norm2)
    assert first_order <= 0 or close(first_order, 0)
    # the statement: ∇C·Δv with Δv = −η∇C equals −η‖∇C‖², evaluated at these derivatives
    _, eq, le, *_ = derive.REGISTRY["gradient_descent_step"].statement
    ders = sorted(eq.atoms(sp.Derivative), key=str)
    (eta_s,) = [s for s in eq.free_symbols if s.name == "eta"]
    vals = {d: sp.Float(str(g), 50) for d, g in zip(ders, grad)} | {eta_s: sp.Float(str(eta), 50)}
    lhs, rhs = (sp.N(side.xreplace(vals), 50) for side in (eq.lhs, eq.rhs))
    assert close(mp.mpf(str(lhs)), first_order) and close(mp.mpf(str(rhs)), first_order)
    gs = sorted(le.free_symbols - {eta_s}, key=str)
    assert bool(le.xreplace({s: sp.Float(str(g), 50) for s, g in zip(gs, grad)} | {eta_s: vals[eta_s]}))


# --- sgd_minibatch_update -----------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(st.integers(1, 7).flatmap(lambda n: st.tuples(
    st.lists(reals, min_size=n, max_size=n), st.integers(1, n))))
@example(([1.0, -2.0, 3.5, 0.25], 2))
@example(([7.0], 1))
@mp50
def test_minibatch_mean_is_unbiased(case):
    g, m = [mpf(t) for t in case[0]], case[1]
    n = len(g)
    batches = list(itertools.combinations(range(n), m))
    avg = mp.fsum(mp.fsum(g[i] for i in b) / m for b in batches) / len(batches)
    assert close(avg, mp.fsum(g) / n)
    # the statement's share C(n−1, m−1)/(m C(n, m)) = 1/n
    share = derive.REGISTRY["sgd_minibatch_update"].statement[3]
    syms = {s.name: s for s in share.free_symbols}
    val = share.lhs.xreplace({syms["n"]: n, syms["m"]: m})
    assert close(mp.mpf(sp.Rational(val).p) / sp.Rational(val).q, mp.mpf(1) / n)
    assert close(mp.binomial(n - 1, m - 1) / (m * mp.binomial(n, m)), mp.mpf(1) / n)


@pytest.mark.parametrize("n, m", UNBIASED_CASES)
def test_minibatch_average_expressions(n, m):
    """The expressions the proof expands, evaluated at random numbers (not expanded)."""
    avg, full = minibatch_average(n, m)
    rng = __import__("random").Random(n * 10 + m)
    with mp.workdps(50):
        vals = {s: sp.Float(rng.uniform(-5, 5), 50) for s in avg.free_symbols}
        assert close(mp.mpf(str(sp.N(avg.xreplace(vals), 50))), mp.mpf(str(sp.N(full.xreplace(vals), 50))))
    assert len(avg.free_symbols) == n


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 6).flatmap(lambda m: st.tuples(
    st.lists(reals, min_size=m, max_size=m), reals, st.floats(1e-4, 5, allow_nan=False))))
@mp50
def test_sgd_update_rule_oracle(case):
    gw, w, eta = [mpf(t) for t in case[0]], mpf(case[1]), mpf(case[2])
    m = len(gw)
    expected = w - eta * (mp.fsum(gw) / m)  # w − η × (mini-batch mean gradient)
    rule = derive.REGISTRY["sgd_minibatch_update"].statement[0]
    syms = {s.name: s for s in rule.free_symbols}
    rhs = rule.rhs.xreplace({syms["m"]: m}).doit()
    base = next(iter(rhs.atoms(sp.Indexed))).base
    args = [syms["w_k"], syms["eta"]] + [base[i] for i in range(1, m + 1)]
    assert close(mpfunc(args, rhs)(w, eta, *gw), expected)


# --- quadratic_output_error ---------------------------------------------------------------------

def test_quadratic_output_error_is_proved_and_printed():
    assert_proved_exactly("quadratic_output_error")
    assert derive.COSTS["quadratic"].delta_id == "quadratic_output_error"


@settings(max_examples=40, deadline=None)
@given(st.floats(-30, 30, allow_nan=False), st.floats(0, 1))
@example(0.0, 0.5)
@example(30.0, 0.0)
@example(-30.0, 1.0)
@mp50
def test_quadratic_output_error_oracle(zv, yv):
    """The printed δ at a = σ(z) against a 50-digit numeric derivative of ½(σ(z) − y)²."""
    from gradproof.derive.book.activations import a
    from gradproof.derive.book.costs import y
    zz, yy = mpf(zv), mpf(yv)
    sigma = lambda t: 1 / (1 + mp.exp(-t))  # noqa: E731
    numeric = mp.diff(lambda t: (sigma(t) - yy) ** 2 / 2, zz)
    printed = mpfunc([a, y], derive.COSTS["quadratic"].delta)(sigma(zz), yy)
    assert close(printed, numeric)


def test_a_wrong_printed_quadratic_delta_is_not_proved(monkeypatch):
    import dataclasses
    from gradproof.derive.book.activations import a
    from gradproof.derive.book.costs import COSTS, y
    monkeypatch.setitem(COSTS, "quadratic", dataclasses.replace(COSTS["quadratic"], delta=a - y))
    idy = derive.REGISTRY["quadratic_output_error"]
    fresh = derive.Identity(idy.id, idy.title, idy.group, idy.build)  # rebuilt with the patch
    assert fresh.prove().status != "proved"


# --- display forms (written beside the theorems; each proved equal to its statement) -----------

def test_the_quadratic_cost_and_the_update_rule_are_shown_as_the_book_writes_them():
    cost = statement_latex(derive.REGISTRY["quadratic_cost_gradient"])
    assert shown(derive.REGISTRY["quadratic_cost_gradient"]).is_display == (False, True, True)
    assert r"\frac{1}{2} \left\|y - a\right\|^{2}" in cost[1]
    assert r"\frac{1}{2} \left\|y - a\right\|^{2} = 0" in cost[2]
    sgd = statement_latex(derive.REGISTRY["sgd_minibatch_update"])
    assert shown(derive.REGISTRY["sgd_minibatch_update"]).is_display[:2] == (True, True)
    assert sgd[0].startswith(r"w_{k} \to w'_{k} = w_{k} - \frac{\eta}{m}")
    assert sgd[1].startswith(r"b_{l} \to b'_{l} = b_{l} - \frac{\eta}{m}")
