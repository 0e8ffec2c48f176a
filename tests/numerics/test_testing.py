"""numerics.testing: the strategies draw what they promise; the assertions fail loudly and precisely."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradproof.numerics import Network, codegen, testing
from gradproof.numerics.gradcheck import GradientMismatch


@settings(max_examples=40, deadline=None)
@given(testing.architectures(min_layers=2, max_layers=4, max_width=5))
def test_architectures(sizes):
    assert 2 <= len(sizes) <= 4 and all(1 <= s <= 5 for s in sizes)


@settings(max_examples=30, deadline=None)
@given(st.data(), testing.architectures(), st.integers(1, 4), testing.costs())
def test_parameters_inputs_and_targets(data, sizes, m, cost):
    weights, biases = data.draw(testing.parameters(sizes, bound=0.5))
    assert [w.shape for w in weights] == [(o, i) for i, o in zip(sizes[:-1], sizes[1:])]
    assert [b.shape for b in biases] == [(o,) for o in sizes[1:]]
    assert all(np.abs(p).max() <= 0.5 for p in weights + biases)
    X = data.draw(testing.inputs(sizes[0], m))
    assert X.shape == (m, sizes[0]) and X.min() >= 0 and X.max() <= 1
    Y = data.draw(testing.targets(cost, sizes[-1], m))
    assert Y.shape == (m, sizes[-1]) and Y.min() >= 0 and Y.max() <= 1
    if cost == "log_likelihood":
        assert set(np.unique(Y)) <= {0.0, 1.0} and np.all(Y.sum(axis=1) == 1)


@settings(max_examples=30, deadline=None)
@given(testing.cases(activation="relu"))
def test_cases_are_consistent_and_away_from_the_relu_kink(case):
    net, X, Y = case
    assert isinstance(net, Network) and net.activation == "relu"
    assert X.shape[1] == net.sizes[0] and Y.shape == (X.shape[0], net.sizes[-1])
    k = net.kernels
    for i in range(net.num_layers - 2):
        z = k.weighted_output(net.weights[:i + 1], net.biases[:i + 1], X)
        assert np.abs(z).min() >= 0.02


def _quadratic():
    A = np.array([[2.0, 0.5], [0.5, 1.0]])
    params = [np.array([0.3, -0.7])]
    return (lambda p: p[0] @ A @ p[0] / 2), [A @ params[0]], params


@pytest.mark.parametrize("method", ["complex", "central"])
def test_assert_gradients_match_passes_and_fails(method):
    f, grad, params = _quadratic()
    cmp = testing.assert_gradients_match(f, grad, params, method)
    assert cmp.passed and cmp.max_rel_error < 1e-9
    wrong = [grad[0] * np.array([1.0, 1.0 + 1e-4])]
    with pytest.raises(AssertionError) as err:
        testing.assert_gradients_match(f, wrong, params, method, names=["w^2"])
    assert isinstance(err.value, GradientMismatch)
    msg = str(err.value)
    assert "w^2[1]" in msg and repr(float(wrong[0][1])) in msg and "|difference|/|numeric| 0.0001;" in msg


def test_assert_gradients_match_accepts_a_callable_gradient():
    f, grad, params = _quadratic()
    A = np.array([[2.0, 0.5], [0.5, 1.0]])
    testing.assert_gradients_match(f, lambda p: [A @ p[0]], params, "complex")


def test_assert_allclose_rel():
    testing.assert_allclose_rel([1.0, 2.0], [1.0, 2.0 * (1 + 1e-13)], 1e-12)
    with pytest.raises(AssertionError, match=r"differ at \(1,\): 2.0 vs 2.1"):
        testing.assert_allclose_rel(np.array([1.0, 2.0]), np.array([1.0, 2.1]), 1e-3)


def test_numerics_does_not_import_testing_or_hypothesis():
    code = ("import sys, gradproof.numerics; "
            "print('gradproof.numerics.testing' in sys.modules, 'hypothesis' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


WITHOUT_HYPOTHESIS = """
import sys
sys.modules["hypothesis"] = None  # as if it were not installed: importing it raises ImportError
import numpy as np
from gradproof.numerics.testing import assert_gradients_match, parameters
W = np.array([[0.5, -1.0]])
assert assert_gradients_match(lambda p: np.sum(p[0] ** 3), lambda p: [3 * p[0] ** 2], [W]).passed
try:
    parameters([2, 1])
except ImportError as exc:
    print(exc)
"""


def test_the_assertions_work_without_hypothesis_and_the_strategies_name_the_extra():
    out = subprocess.run([sys.executable, "-c", WITHOUT_HYPOTHESIS], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ("gradproof.numerics.testing.parameters is a hypothesis strategy and "
                                  "hypothesis is not installed: pip install 'gradproof[hypothesis]' "
                                  "(assert_gradients_match works without it)")


def test_strategy_names_cover_the_kernels():
    assert set(codegen.ACTIVATION_NAMES) == {"sigmoid", "tanh", "relu"}
    assert set(codegen.COST_NAMES) == {"quadratic", "cross_entropy", "log_likelihood"}
    assert set(codegen.REGS) == {"none", "l2", "l1"}
