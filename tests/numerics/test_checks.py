"""numerics.checks: gradproof check's suite never reports a FAIL on correct kernels, any activation.

The oracle is the checker's own promise (test_gradcheck_properties): a correct gradient does not
fail.  The generated backprop is correct (test_network, against mpmath), so a FAIL here is a false
alarm: the issue's were the complex step through the book's ln(1 − σ(z)) with 2z, z² and eˣ hidden
layers, whose outputs saturate σ.
"""
from __future__ import annotations

import numpy as np
import pytest

from gradproof import derive
from gradproof.numerics import Network
from gradproof.numerics.checks import KINK_MARGIN, near_kink, run_checks, summary

EXAMPLES = ["softplus", "leaky_relu", "silu", "elu"]  # derive.book.custom's shipped examples
USERS = ["2*z", "z^2", "z^3/3", "|z|", "exp(z)"]


@pytest.mark.parametrize("activation", [None, *EXAMPLES, *USERS])
def test_no_check_fails_for_a_shipped_or_user_activation(activation):
    act = derive.book.custom.from_text(activation, "activation") if activation in USERS else activation
    checks = run_checks(0, activations=None if act is None else [act])
    failed = [(c["id"], c["problem"] or c["worst"]) for c in checks if c["status"] == "failed"]
    assert not failed
    s = summary(checks)
    assert s["failed"] == 0 and s["passed"] + s["not_compared"] == s["total"] == len(checks)
    for c in checks:  # what passed is within its tolerance; what was not compared says why
        assert c["passed"] == (c["status"] != "failed")  # what the report counts as no failure
        assert c["max_rel_error"] <= c["tolerance"] or c["status"] == "not compared"
        assert all(": " in why and "not compared" in why for why in c["not_compared"])


@pytest.mark.parametrize("cost", ["log_cosh", "tanh_cross_entropy"])
def test_no_check_fails_for_a_shipped_example_cost(cost):
    checks = run_checks(0, activations=["sigmoid", "relu"], costs=[cost])
    assert checks and all(c["status"] == "passed" for c in checks), [c["id"] for c in checks
                                                                     if not c["passed"]]


def test_exp_hidden_layers_overflow_the_books_sigma_and_the_check_says_so():
    """With eˣ hidden layers z^L reaches −1e7: the textbook σ = 1/(1 + e^{−z}) overflows in complex
    arithmetic, so those complex steps are not compared; central differences are."""
    checks = run_checks(0, activations=[derive.book.custom.from_text("exp(z)", "activation")])
    skipped = [c for c in checks if c["not_compared"]]
    assert skipped and all(c["method"] == "complex_step" for c in skipped)
    assert all("f(x + ih) is not finite" in why for c in skipped for why in c["not_compared"])
    assert all(c["status"] == "passed" for c in checks if c["method"] == "central_difference")


def test_near_kink_sees_relu_user_kinks_and_l1():
    net = Network([2, 3, 2], activation="relu", seed=0)
    X = np.array([[0.5, 0.5]])
    z = net.kernels.weighted_output(net.weights[:1], net.biases[:1], X)
    net.biases[0][0] -= z[0, 0] - KINK_MARGIN / 2  # the first hidden z is now KINK_MARGIN/2
    assert near_kink(net, X) and not near_kink(net, X, margin=KINK_MARGIN / 4)
    smooth = Network([2, 3, 2], activation="sigmoid", seed=0)
    assert not near_kink(smooth, X)
    smooth.weights[1][0, 0] = 0.001
    assert near_kink(smooth, X, reg="l1") and not near_kink(smooth, X, reg="l2")
