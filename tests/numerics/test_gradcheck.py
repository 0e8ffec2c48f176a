"""numerics.gradcheck: tolerances as the ecosystem's, messages, kinks, the directional check.

Oracles: closed-form gradients, and gradients with an error planted where the test knows it is.
The random properties (correct gradients never fail, planted bugs are found at their block) are in
test_gradcheck_properties.py.
"""
from __future__ import annotations

import re

import numpy as np
import pytest

from gradproof.numerics import gradcheck as gc
from gradproof.numerics.testing import NotComparedWarning, assert_gradients_match

EPS = np.finfo(np.float64).eps


def relu_square(x):
    """½ max(Wx, 0)² and its gradient max(Wx, 0) xᵀ: the README's false alarm at W = 0."""
    def f(p):
        u = p[0] @ x
        return 0.5 * np.sum(np.where(u.real > 0, u, 0) ** 2)

    return f, (lambda p: [np.outer(np.maximum(p[0] @ x, 0), x)])


# -- tolerances -----------------------------------------------------------------------------------------
def test_a_component_passes_within_atol_plus_rtol_times_the_numeric_value():
    n, rtol, atol = 2.0, 1e-6, 1e-9
    edge = atol + rtol * n
    ok = gc.compare([np.array([n + edge * 0.999])], [np.array([n])], ["g"], "central", rtol, atol)
    bad = gc.compare([np.array([n + edge * 1.001])], [np.array([n])], ["g"], "central", rtol, atol)
    assert ok.passed and not bad.passed
    assert ok.max_rel_error == pytest.approx(0.999 * rtol)  # |a − n|/(|n| + atol/rtol) <= rtol
    zero = gc.compare([np.array([0.0])], [np.array([0.9 * atol])], ["g"], "central", rtol, atol)
    assert zero.passed  # a true zero passes on atol


def test_default_tolerances_per_method():
    rtol, atol = gc.default_tolerance("complex", scale=2.0)
    assert rtol == gc.COMPLEX_STEP_RTOL == 1e-12 and atol == pytest.approx(1024 * EPS * 2.0)
    rtol, atol = gc.default_tolerance("central", scale=2.0)
    assert rtol == gc.CENTRAL_RTOL == 1e-6 and atol == pytest.approx(100 * EPS ** 0.8 * 2.0)
    assert gc.default_tolerance("central", scale=1.0, order=2)[1] == pytest.approx(100 * EPS ** (2 / 3))
    r32, a32 = gc.default_tolerance("central", np.float32)
    assert r32 == gc.default_rtol("central", np.float32) == 1e-2 and a32 > 1e3 * atol / 2
    with pytest.raises(ValueError, match="unknown method 'forward'; choose one of complex, central"):
        gc.default_tolerance("forward")


def test_a_true_zero_passes():
    """The issue's false alarm: a correct ∂/∂W of ½ max(Wx, 0)² at W = [[0, 0]] is exactly 0; the
    4th-order central difference there is h/6 ≈ 1.2e-4 (the stencil straddles the kink of f'')."""
    f, g = relu_square(np.array([0.3, 0.8]))
    W = np.zeros((1, 2))
    for method in gc.METHODS:
        cmp = gc.check_gradients(f, g, [W], method, names=["W"])
        assert cmp.passed, cmp.message()
        w = cmp.worst  # zero within the stated error of the numeric value
        assert w.analytic == 0.0 and abs(w.numeric) <= w.atol + w.slack
    assert np.abs(gc.central_difference(f, [W])[0]).max() > 5e-5  # what the relative test compared with


def test_the_scale_is_the_function_when_the_gradient_vanishes():
    """Softmax biases whose one-hot targets balance: ∂C/∂b = mean(a − y) = 0 exactly, while the
    analytic value carries rounding (~1e-17); |C| = ln 3 gives the comparison its scale."""
    from gradproof.numerics import Network

    net = Network([1, 3], activation="sigmoid", cost="log_likelihood", seed=0)
    net.biases[0][:] = 0.0
    X, Y = np.zeros((3, 1)), np.eye(3)
    dW, db = net.gradients(X, Y)
    assert np.all(np.abs(db[0]) < 1e-15) and np.any(db[0] != 0)  # zero but for rounding
    cmp = assert_gradients_match(net.cost_function(X, Y, textbook=True), [*dW, *db], net.parameters())
    assert cmp.atol == pytest.approx(1024 * EPS * np.log(3))


# -- messages --------------------------------------------------------------------------------------------
def test_a_failure_names_the_place_both_numbers_both_tolerances_and_which_governs():
    x, y = np.array([[0.3, -1.2, 2.0]]), np.array([0.5, 0.25, -0.75])
    f = lambda p: (np.sin(p[0]) * p[0] ** 2).sum() + np.exp(p[1][0]) * p[1][1:].sum() ** 3  # noqa: E731
    s = y[1:].sum()
    grad = [np.cos(x) * x ** 2 + 2 * x * np.sin(x),
            np.array([np.exp(y[0]) * s ** 3, 3 * np.exp(y[0]) * s ** 2, 3 * np.exp(y[0]) * s ** 2])]
    grad[1][2] *= 1 + 1e-6
    cmp = gc.check_gradients(f, grad, [x, y], "complex", names=["w^2", "b^2"])
    assert cmp.status == "failed" and cmp.worst.where() == "b^2[2]"
    assert cmp.blocks["w^2"].passed and not cmp.blocks["b^2"].passed
    msg = str(gc.GradientMismatch(cmp))
    assert "b^2[2]" in msg and repr(float(grad[1][2])) in msg and "DIFFER" in msg
    assert f"atol {cmp.atol:.3g}" in msg and "rtol 1e-12" in msg
    assert "the relative tolerance governs" in msg and "|difference|/|numeric| 1e-06;" in msg
    # per block |a − n|/(|n| + atol/rtol): 1e-6·|n| over |n| + 0.628 (atol/rtol = 1024 ε·2.76/1e-12)
    assert re.search(r"at most rtol 1e-12 where it passes: w\^2 [\d.e-]+, b\^2 6.63e-07$", msg), msg
    d = cmp.as_dict()
    assert d["passed"] is False and d["worst"]["where"] == "b^2[2]" and set(d["blocks"]) == {"w^2", "b^2"}
    # a component judged on atol says so
    small = gc.compare([np.array([1.0, 3e-9])], [np.array([1.0, 0.0])], ["g"], "central", 1e-6, 1e-9)
    assert "the absolute tolerance governs (atol > rtol·|numeric|)" in small.message()
    assert small.worst.where() == "g[1]"


def test_nan_fails():
    cmp = gc.compare([np.array([np.nan])], [np.array([1.0])], ["g"], "complex", 1e-12)
    assert not cmp.passed and cmp.status == "failed"


def test_a_function_that_drops_the_imaginary_part_fails_and_says_so():
    """Cast to float: numpy's ComplexWarning, once only in pytest's summary, is the failure itself."""
    f = lambda p: float(np.sum(p[0] ** 2))  # noqa: E731
    with pytest.raises(gc.GradientMismatch) as err:
        assert_gradients_match(f, lambda p: [2 * p[0]], [np.array([0.5, 1.0])])
    msg = str(err.value)
    assert "f drops the imaginary part" in msg and "ComplexWarning" in msg and "method='central'" in msg
    assert re.search(r"test_gradcheck.py:\d+", msg)
    assert assert_gradients_match(f, lambda p: [2 * p[0]], [np.array([0.5, 1.0])], "central").passed


def test_a_complex_step_of_exactly_zero_hints_at_abs_and_maximum():
    f = lambda p: np.sum(np.abs(p[0]) ** 2) + 0j * p[0].sum()  # noqa: E731 - complex, but flat
    cmp = gc.check_gradients(f, lambda p: [2 * p[0]], [np.array([0.5])])
    assert not cmp.passed and "abs, maximum, where or .real" in cmp.message()


# -- kinks ------------------------------------------------------------------------------------------------
def test_a_central_difference_straddling_a_relu_kink_is_not_compared():
    x = np.array([0.3, 0.8])
    f = lambda p: np.sum(np.maximum(p[0] @ x, 0))  # noqa: E731
    g = lambda p: [np.outer((p[0] @ x > 0) * 1.0, x)]  # noqa: E731
    W = np.array([[0.8, -0.3 + 1e-9]])  # Wx = 8e-10: within a step of the kink
    cmp = gc.check_gradients(f, g, [W], "central", names=["w"])
    assert cmp.status == "not compared" and not cmp.passed
    assert cmp.not_compared[0].startswith("w[0, 0]: at a kink, not compared (one-sided derivatives 0.3 and 0")
    assert "nothing compared" in cmp.message()
    with pytest.raises(gc.GradientMismatch, match="at a kink, not compared"):
        assert_gradients_match(f, g, [W], "central")
    # the complex step does not straddle: it takes the side the code takes, as the analytic does
    f_c = lambda p: np.sum(np.where((p[0] @ x).real > 0, p[0] @ x, 0))  # noqa: E731
    assert gc.check_gradients(f_c, g, [W], "complex").passed


def test_a_kink_in_one_entry_leaves_the_others_compared_and_warns():
    f = lambda p: np.sum(np.maximum(p[0], 0)) + np.sum(p[0] ** 3)  # noqa: E731 - ReLU's kink at 0
    g = lambda p: [(p[0] > 0) + 3 * p[0] ** 2]  # noqa: E731
    w = np.array([0.0, 0.5, -2.0])
    with pytest.warns(NotComparedWarning, match=r"1 components not compared: params\[0\]\[0\]: at a kink"):
        cmp = assert_gradients_match(f, g, [w], "central")
    assert cmp.blocks["params[0]"].checked == 2
    wrong = lambda p: [(p[0] > 0) + 2 * p[0] ** 2]  # noqa: E731 - off elsewhere: still found
    assert gc.check_gradients(f, wrong, [w], "central").status == "failed"


def test_a_kink_beside_steep_curvature_is_still_a_kink():
    """L1's kink at w = −1e-9 beside tanh(900 w): at every step tried the one-sided differences are
    dominated by the curvature and shrink, yet their gap tends to the jump 2λ/n = 0.02, not to 0
    (found by drawing 1,500 random networks with weights of ±30: tanh layers and L1)."""
    f = lambda p: 0.01 * np.sum(p[0] * np.sign(p[0].real)) + np.sum(np.tanh(900 * p[0]))  # noqa: E731
    g = lambda p: [0.01 * np.sign(p[0]) + 900 / np.cosh(900 * p[0]) ** 2]  # noqa: E731
    cmp = gc.check_gradients(f, g, [np.array([-1e-9, 0.3])], "central")
    assert cmp.status == "passed" and cmp.not_compared[0].startswith("params[0][0]: at a kink")
    assert gc.check_gradients(f, g, [np.array([-1e-9, 0.3])], "complex").not_compared == []


def test_an_entry_whose_complex_step_overflows_is_not_compared():
    f = lambda p: np.sum(1 / (1 + np.exp(-p[0])))  # noqa: E731 - the book's σ: e^{800} in complex
    s = lambda v: 0.5 * (1 + np.tanh(v / 2))  # noqa: E731
    g = lambda p: [s(p[0]) * (1 - s(p[0]))]  # noqa: E731
    cmp = gc.check_gradients(f, g, [np.array([-800.0, 0.5])], "complex")
    assert cmp.passed and cmp.not_compared == ["params[0][0]: f(x + ih) is not finite, not compared "
                                               "(overflow in complex arithmetic)"]


# -- the directional check --------------------------------------------------------------------------------
def tanh_layer(n_out: int, n_in: int, seed: int = 1):
    """C = Σ tanh(W b): a block of n_out·n_in entries and its gradient (1 − tanh²) bᵀ."""
    rng = np.random.default_rng(seed)
    W, b = 0.1 * rng.standard_normal((n_out, n_in)), rng.standard_normal(n_in)
    return (lambda p: np.sum(np.tanh(p[0] @ b))), (lambda p: [np.outer(1 - np.tanh(p[0] @ b) ** 2, b)]), W


@pytest.mark.parametrize("method", gc.METHODS)
def test_the_directional_check_passes_a_correct_gradient_and_locates_a_wrong_entry(method):
    f, g, W = tanh_layer(40, 30)
    cmp = gc.check_gradients(f, g, [W], method, names=["w"], mode="directional")
    assert cmp.passed and cmp.worst.mode == "directional" and cmp.worst.index is None
    assert "along a random direction" in cmp.message()

    def wrong(p):
        G = g(p)
        G[0][17, 3] *= 1.001
        return G

    cmp = gc.check_gradients(f, wrong, [W], method, names=["w"], mode="directional")
    assert cmp.status == "failed" and cmp.worst.where() == "w[17, 3]"


def test_the_directional_check_costs_a_few_evaluations_per_block_however_large():
    calls = []

    def counted(f):
        return lambda p: calls.append(1) or f(p)

    for n_out in (10, 1000):  # 300 and 30,000 entries
        f, g, W = tanh_layer(n_out, 30)
        for method, per_direction in (("complex", 1), ("central", 4)):
            calls.clear()
            assert gc.check_gradients(counted(f), g, [W], method, mode="directional").passed
            assert len(calls) == 1 + gc.DIRECTIONS * per_direction  # f(x), then each direction


def test_auto_checks_small_blocks_entry_by_entry_and_large_ones_by_direction():
    f, g, W = tanh_layer(20, 30)  # 600 entries
    b = np.array([0.1, -0.2])
    both = lambda p: f([p[0]]) + np.sum(p[1] ** 2)  # noqa: E731
    cmp = gc.check_gradients(both, lambda p: [g([p[0]])[0], 2 * p[1]], [W, b], "complex", names=["W", "b"])
    assert cmp.blocks["W"].mode == "directional" and cmp.blocks["b"].mode == "entries"
    assert W.size > gc.ENTRIES_MAX >= b.size


# -- arguments ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad,match", [
    (dict(method="forward"), "unknown method 'forward'"),
    (dict(mode="fast"), "unknown mode 'fast'; choose one of auto, entries, directional"),
    (dict(directions=0), "directions must be a positive integer"),
    (dict(f=lambda p: p[0]), "must return a scalar"),
    (dict(grad=[np.zeros(3)]), r"analytic shape \(3,\) != parameter shape \(2,\)"),
    (dict(grad=[np.zeros(2), np.zeros(2)]), "2 gradient blocks for 1 parameter blocks"),
])
def test_bad_arguments_are_one_line_value_errors(bad, match):
    args = dict(f=lambda p: (p[0] ** 2).sum(), grad=[np.array([2.0, 4.0])], params=[np.array([1.0, 2.0])])
    args.update(bad)
    f, grad, params = args.pop("f"), args.pop("grad"), args.pop("params")
    with pytest.raises(ValueError, match=match):
        gc.check_gradients(f, grad, params, **args)


def test_compare_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match="shape"):
        gc.compare([np.zeros(3)], [np.zeros((3, 1))], ["g"], "central", 1e-6)


def test_compare_leaves_a_non_finite_numeric_entry_out_and_adds_a_given_slack():
    """An overflowed oracle entry is 'not compared' (the analytic one is still judged where the
    oracle is finite); a per-entry slack (a difference quotient's own error) widens that entry only."""
    cmp = gc.compare([np.array([1.0, 2.0])], [np.array([np.inf, 2.0])], ["g"], "central", 1e-6)
    assert cmp.status == "passed" and cmp.not_compared == ["g[0]: the numeric value overflowed, not compared"]
    wrong = gc.compare([np.array([1.0, 2.5])], [np.array([np.inf, 2.0])], ["g"], "central", 1e-6)
    assert wrong.status == "failed"
    a, n = [np.array([1.0 + 1e-3, 5.0 + 1e-3])], [np.array([1.0, 5.0])]
    assert gc.compare(a, n, ["g"], "central", 1e-6).status == "failed"
    assert gc.compare(a, n, ["g"], "central", 1e-6, slack=[np.array([2e-3, 2e-3])]).status == "passed"
    assert gc.compare(a, n, ["g"], "central", 1e-6, slack=[np.array([2e-3, 0.0])]).status == "failed"
