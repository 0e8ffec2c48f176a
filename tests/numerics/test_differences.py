"""numerics.differences: numeric derivatives against closed forms; what the complex step cannot see."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gradproof.numerics import differences as nd

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
    want = grad_poly(params)
    scale = max(1.0, abs(f_poly(params)), *(np.abs(g).max() for g in want))
    # the error bounds of the module docstring, with room: complex step to rounding; central
    # differences ε^(4/5) and ε^(2/3) of the scale, plus truncation (|f⁽⁵⁾| h⁴, |f'''| h² here)
    for got, tol in ((nd.complex_step(f_poly, params), 1e-15), (nd.central_difference(f_poly, params), 1e-9),
                     (nd.central_difference(f_poly, params, order=2), 1e-6)):
        for g, w in zip(got, want):
            assert g.shape == w.shape and np.all(np.abs(g - w) <= tol * scale * 50), (g, w)


def test_params_are_not_modified_and_dicts_work():
    params = {"x": np.array([0.3, -1.2]), "y": np.array([0.5, 0.25, -0.75])}
    before = {k: v.copy() for k, v in params.items()}
    g = nd.central_difference(lambda p: f_poly([p["x"], p["y"]]), params)
    want = grad_poly([params["x"], params["y"]])
    assert all(np.allclose(a, b, rtol=1e-9) for a, b in zip(g, want))
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])


def test_the_central_step_follows_the_dtype():
    x32 = [np.array([0.7], dtype=np.float32)]
    g = nd.central_difference(lambda p: (p[0].astype(np.float64) ** 3).sum(), x32)
    assert g[0].dtype == np.float32 and abs(g[0][0] - 3 * 0.7 ** 2) < 1e-3
    assert nd.central_step(0.7, np.float32) > 50 * nd.central_step(0.7, np.float64)  # ε^(1/5)
    assert nd.central_step(10.0, np.float64) == 10 * nd.central_step(1.0, np.float64)


def test_one_sided_differences_disagree_at_a_kink_and_agree_elsewhere():
    def phi(t, x0=0.0):
        return abs(x0 + t)

    h = nd.central_step(0.0, np.float64, 2)
    assert nd.one_sided(phi, h, phi(0.0)) == (1.0, -1.0)  # |x| at its kink: right 1, left −1
    right, left = nd.one_sided(lambda t: np.sin(0.4 + t), h, np.sin(0.4))
    assert abs(right - np.cos(0.4)) < 1e-9 and abs(left - np.cos(0.4)) < 1e-9


def test_a_line_moves_a_direction_and_restores_the_parameters():
    work = [np.array([1.0, 2.0, 3.0])]
    line = nd.Line(lambda p: p[0] @ np.array([1.0, 10.0, 100.0]), [work[0]], work,
                   [(0, np.array([0, 2]), np.array([0.5, -0.5]))])
    assert line(2.0) == 2.0 + 20.0 + 200.0  # x + 2v = (2, 2, 2)
    np.testing.assert_array_equal(work[0], [1.0, 2.0, 3.0])
    assert line(0.0) == 321.0 and line.fmax == 321.0


@pytest.mark.parametrize("f,cause", [
    (lambda p: float(np.sum(p[0] ** 2)), r"ComplexWarning 'Casting complex values to real discards"),
    (lambda p: np.sum(p[0].astype(float) ** 2), r"ComplexWarning .* at .*test_differences.py:\d+"),
    (lambda p: np.sum(np.abs(p[0]) ** 2), r"returned a real float64 for complex parameters"),
    (lambda p: np.logaddexp(0, p[0]).sum(), r"refuses complex parameters"),
])
def test_a_function_that_drops_the_imaginary_part_is_named(f, cause):
    with pytest.raises(nd.ComplexStepError, match=cause):
        nd.complex_step(f, [np.array([0.5, -1.0])])


def test_other_warnings_reach_the_caller():
    def f(p):
        import warnings
        warnings.warn("my own warning", UserWarning)
        return np.sum(p[0] ** 2)

    with pytest.warns(UserWarning, match="my own warning"):
        g = nd.complex_step(f, [np.array([0.5])])
    assert g[0][0] == 1.0


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="order must be 2 or 4"):
        nd.central_difference(f_poly, [np.zeros((1, 2)), np.zeros(2)], order=3)
    with pytest.raises(ValueError, match="must return a scalar"):
        nd.complex_step(lambda p: p[0], [np.zeros(2)])
    with pytest.raises(ValueError, match="unknown method 'forward'"):
        nd.numeric_gradient(f_poly, [np.zeros((1, 2)), np.zeros(2)], "forward")
    with pytest.raises(ValueError, match="2 names for 1 parameter blocks"):
        nd.blocks([np.zeros(2)], ["a", "b"])
