"""A user's activation or cost through numerics: printed kernels, gradient checks, training.

Oracles: the complex step and central differences of numerics.gradcheck (through numerics.checks,
the library checker), mpmath for the printed activation, and the bundled MNIST sample.
"""
from __future__ import annotations

from dataclasses import replace

import mpmath
import numpy as np
import pytest
import sympy as sp

from gradproof import derive
from gradproof.numerics import codegen, mnist
from gradproof.numerics.checks import run_checks, safe_range
from gradproof.numerics.gradcheck import CENTRAL_RTOL, COMPLEX_STEP_RTOL
from gradproof.numerics.network import Network
from gradproof.numerics.train import Config, ConfigError, run

ACTIVATIONS = ["softplus", "leaky_relu", "silu", "elu"]
COSTS = ["log_cosh", "tanh_cross_entropy"]


def test_the_tolerances_are_the_issues():
    assert COMPLEX_STEP_RTOL <= 1e-12 and CENTRAL_RTOL <= 1e-6


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradients_of_a_user_activation_match_complex_step_and_central_differences(activation):
    checks = run_checks(1, activations=[activation], costs=["cross_entropy", "log_likelihood"])
    assert len(checks) == 3 * 2 * 3 * 2  # architectures × costs × regularizations × methods
    failed = [(c["id"], c["max_rel_error"], c["worst"]) for c in checks if not c["passed"]]
    assert not failed
    assert {c["activation"] for c in checks} == {activation}


@pytest.mark.parametrize("cost", COSTS)
def test_gradients_of_a_user_cost_match_complex_step_and_central_differences(cost):
    checks = run_checks(2, activations=["sigmoid", "softplus"], costs=[cost])
    assert checks and all(c["passed"] for c in checks), [c["id"] for c in checks if not c["passed"]]


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_the_printed_activation_is_the_defined_function(name):
    A = derive.get_activation(name)
    k = codegen.kernels("quadratic", name)
    zs = np.array([[-40.0, -3.0, -0.5, 0.25, 2.0, 30.0]])
    with mpmath.workdps(30):
        f = sp.lambdify(derive.book.activations.z, A.f(derive.book.activations.z), "mpmath")
        expected = np.array([[float(f(mpmath.mpf(v))) for v in zs[0]]])
    # absolute accuracy near 0: (1 + tanh(z/2))/2, the printed σ, is 0 in float64 below z ≈ −37
    assert np.allclose(k.activation(zs), expected, rtol=1e-14, atol=1e-15)


def test_the_printed_kernel_names_the_users_theorems():
    src = codegen.kernel_source("tanh_cross_entropy", "softplus")
    assert "[softplus_stable]" in src and "[softplus_prime]" in src
    assert "numpy.logaddexp(0, z)" in src  # the proved rewrite of ln(1 + e^z)
    assert "[tanh_cross_entropy_output_error]" in src and "a - y" in src  # tanh′ cancelled


def test_the_probe_reports_where_a_kernel_is_safe():
    assert safe_range("softplus")["whole_probe"]
    elu = safe_range("elu")  # no stable rewrite applies: e^z of the branch not taken overflows
    assert not elu["whole_probe"] and 700 < elu["hi"] < 710 and elu["lo"] == -1000
    assert "overflow" in elu["problems"][0]
    assert safe_range(cost="tanh_cross_entropy")["whole_probe"]  # printed through logaddexp


def test_network_takes_names_and_objects():
    act = derive.activation("cube_root_free", "z + z**3/3", register=False)
    c = derive.cost("half_sq", "(a - y)**2/2", output="tanh", register=False)
    net = Network([3, 4, 2], activation=act, cost=c, seed=0)
    assert net.activation == "cube_root_free" and net.cost_name == "half_sq"
    X, Y = np.random.default_rng(0).uniform(size=(5, 3)), np.random.default_rng(1).uniform(size=(5, 2))
    nw, nb = net.gradients(X, Y)
    assert [w.shape for w in nw] == [(4, 3), (2, 4)]
    assert Network([3, 2], activation="softplus", cost="log_cosh").activation == "softplus"
    with pytest.raises(ValueError, match="Network: unknown activation 'nonesuch'; choose one of"):
        Network([3, 2], activation="nonesuch")
    with pytest.raises(ConfigError, match="unknown cost"):
        Config(cost="nonesuch").validate()


@pytest.fixture(scope="module")
def sample():
    return mnist.load("sample")


@pytest.mark.parametrize("activation, cost, eta", [
    ("softplus", "cross_entropy", 0.5), ("leaky_relu", "cross_entropy", 0.2),
    ("silu", "cross_entropy", 0.5), ("elu", "cross_entropy", 0.2),
    ("sigmoid", "log_cosh", 3.0), ("sigmoid", "tanh_cross_entropy", 0.5)])
def test_training_with_a_user_model_on_the_sample_beats_85_percent(sample, activation, cost, eta):
    config = replace(Config(), sizes=(784, 30, 10), activation=activation, cost=cost, init="scaled",
                     eta=eta, epochs=5, seed=0, monitor=("test",))
    result = run(config, sample)
    assert result["best"]["accuracy"] > 0.85, result["best"]
