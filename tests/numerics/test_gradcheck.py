"""numerics.gradcheck: numeric derivatives against closed forms; comparisons and their messages."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from gradproof.numerics import gradcheck as gc

finite = dict(allow_nan=False, allow_infinity=False, allow_subnormal=False)


def f_poly(params):
    x, y = params
    return (np.sin(x) * x ** 2).sum() + (np.exp(y[0]) * y[1:].sum() ** 3)


def grad_poly(params):
    """The closed-form gradient of f_poly (the oracle)."""
    x, y = params
    gx = np.cos(x) * x ** 2 + 2 * x * np.sin(x)
    s = y[1:].sum()
    gy = np.concatenate([[np.exp(y[0]) * s ** 3], np.full(len(y) - 1, 3 * np.exp(y[0]) * s ** 2)])
    return [gx, gy]


vectors = st.lists(st.floats(-2, 2, **finite), min_size=2, max_size=5).map(np.array)


@settings(max_examples=40, deadline=None)
@given(vectors, vectors)
@example(np.array([0.0, 0.0]), np.array([0.0, 1.0])).via("zero parameters")
def test_numeric_derivatives_match_the_closed_form(x, y):
    params = [x.reshape(1, -1), y]
    want = grad_poly([x.reshape(1, -1), y])
    # a gradient that vanishes everywhere has no scale for a relative error to refer to
    assume(max(np.abs(g).max() for g in want) > 1e-3)
    for method, rtol in (("complex", 1e-13), ("central", 1e-7)):
        cmp = gc.check_gradients(f_poly, want, params, method, rtol=rtol, names=["x", "y"])
        assert cmp.passed, cmp.message()
    second = gc.central_difference(f_poly, params, order=2)
    assert gc.compare(want, second, ["x", "y"], "central", 1e-5).passed


def test_params_are_not_modified_and_dicts_work():
    params = {"x": np.array([0.3, -1.2]), "y": np.array([0.5, 0.25, -0.75])}
    before = {k: v.copy() for k, v in params.items()}
    cmp = gc.check_gradients(lambda p: f_poly([p["x"], p["y"]]),
                             dict(zip(params, grad_poly([params["x"], params["y"]]))), params, "central")
    assert cmp.passed and set(cmp.blocks) == {"x", "y"}
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])


def test_central_step_depends_on_the_dtype():
    x32 = [np.array([0.7], dtype=np.float32)]
    g = gc.central_difference(lambda p: (p[0].astype(np.float64) ** 3).sum(), x32)
    assert g[0].dtype == np.float32 and abs(g[0][0] - 3 * 0.7 ** 2) < 1e-3
    assert gc.default_rtol("central", np.float32) > gc.default_rtol("central")


def test_an_injected_error_is_reported_with_both_numbers_and_where():
    x, y = np.array([[0.3, -1.2, 2.0]]), np.array([0.5, 0.25, -0.75])
    grad = grad_poly([x, y])
    grad[1][2] *= 1 + 1e-6
    cmp = gc.check_gradients(f_poly, grad, [x, y], "complex", names=["w^2", "b^2"])
    assert not cmp.passed
    assert cmp.worst.where() == "b^2[2]"
    assert cmp.blocks["w^2"].max_rel_error < gc.COMPLEX_STEP_RTOL
    msg = str(gc.GradientMismatch(cmp))
    assert "b^2[2]" in msg and repr(float(grad[1][2])) in msg and "DIFFER" in msg and "w^2" in msg
    d = cmp.as_dict()
    assert d["passed"] is False and d["worst"]["where"] == "b^2[2]" and set(d["blocks"]) == {"w^2", "b^2"}


def test_relative_error_floor():
    assert gc.relative_error(0.0, 0.0)[()] == 0.0
    assert gc.relative_error(1.0, 1.0 + 1e-12)[()] == pytest.approx(1e-12, rel=1e-3)
    assert gc.relative_error(1e-10, 2e-10, floor=1e-6)[()] == pytest.approx(1e-4)
    cmp = gc.compare([np.array([1.0, 1e-9])], [np.array([1.0, 1e-9 + 1e-12])], ["g"], "central", 1e-6)
    assert cmp.passed  # 1e-12 absolute on a component below 1 % of the scale: judged against 1e-2
    cmp = gc.compare([np.array([1.0, 0.5])], [np.array([1.0, 0.5 + 1e-5])], ["g"], "central", 1e-6)
    assert not cmp.passed and cmp.worst.index == (1,)


def test_nan_fails():
    cmp = gc.compare([np.array([np.nan])], [np.array([1.0])], ["g"], "complex", 1e-12)
    assert not cmp.passed


@pytest.mark.parametrize("bad", [
    dict(method="forward"),
    dict(f=lambda p: p[0]),  # not a scalar
])
def test_bad_arguments(bad):
    args = dict(f=lambda p: (p[0] ** 2).sum(), grad=[np.array([2.0, 4.0])], params=[np.array([1.0, 2.0])])
    args.update(bad)
    with pytest.raises(ValueError, match="gradcheck"):
        gc.check_gradients(args["f"], args["grad"], args["params"], args.get("method", "complex"))


def test_shape_mismatch_is_a_value_error():
    with pytest.raises(ValueError, match="shape"):
        gc.compare([np.zeros(3)], [np.zeros((3, 1))], ["g"], "central", 1e-6)


def test_a_gradient_that_vanishes_is_judged_against_the_cost():
    """Softmax biases whose one-hot targets balance: ∂C/∂b = mean(a − y) = 0 exactly, while the
    analytic value carries rounding (~1e-17); |C| = ln 3 gives the comparison its scale."""
    from gradproof.numerics import Network
    from gradproof.numerics.testing import assert_gradients_match

    net = Network([1, 3], activation="sigmoid", cost="log_likelihood", seed=0)
    net.biases[0][:] = 0.0
    X, Y = np.zeros((3, 1)), np.eye(3)
    f = net.cost_function(X, Y, textbook=True)
    dW, db = net.gradients(X, Y)
    assert np.all(np.abs(db[0]) < 1e-15)  # zero but for rounding
    cmp = assert_gradients_match(f, [*dW, *db], net.parameters(), method="complex")
    assert cmp.floor >= 1e-2 * np.log(3) * 0.99
