"""numerics.newton: conjugate gradients, Newton-CG and exact Newton."""
import numpy as np
import pytest

from gradproof.numerics import Network, load_mnist
from gradproof.numerics import curvature_checks as cc
from gradproof.numerics.newton import (ExactNewton, NewtonCG, conjugate_gradients, exact_newton,
                                       hessian_matrix, newton_cg, passes_to, pool_pixels, quadratic_rates)
from gradproof.numerics.train import ConfigError


@pytest.fixture(scope="module")
def sample():
    return load_mnist("sample")


def test_conjugate_gradients_solves_a_positive_definite_system():
    rng = np.random.default_rng(0)
    M = rng.standard_normal((20, 20))
    A = M @ M.T + 0.5 * np.eye(20)
    b = rng.standard_normal(20)
    r = conjugate_gradients(lambda p: A @ p, b, np.zeros(20), 200, tolerance=1e-14)
    assert np.allclose(r.x, np.linalg.solve(A, b), atol=1e-8)
    assert np.isclose(r.phi, 0.5 * r.x @ A @ r.x - b @ r.x)
    short = conjugate_gradients(lambda p: A @ p, b, np.zeros(20), 3)
    assert short.iterations == 3 and short.stopped == "iterations"


def test_conjugate_gradients_stops_at_non_positive_curvature():
    A = np.diag([1.0, -1.0])
    r = conjugate_gradients(lambda p: A @ p, np.array([1.0, 1.0]), np.zeros(2), 10)
    assert r.stopped == "non-positive curvature"


@pytest.mark.parametrize("bad", [dict(steps=0), dict(gradient_batch=-1), dict(curvature_batch=2000),
                                 dict(damping=0), dict(lmbda=-1), dict(target=1.5),
                                 dict(batch_growth=0.9), dict(cg_tolerance=0)])
def test_bad_settings_name_their_field(bad):
    field = next(iter(bad))
    with pytest.raises(ConfigError) as e:
        NewtonCG(**bad)
    assert e.value.field == field


def test_newton_cg_lowers_the_cost_and_counts_every_example_it_touches(sample):
    net = Network([784, 10, 10], cost="cross_entropy", seed=0)
    tr = (sample.training.images[:1000], sample.training.labels[:1000])
    settings = NewtonCG(steps=4, gradient_batch=400, curvature_batch=100, cg_iterations=10,
                        batch_growth=1.0)
    recs = newton_cg(net, tr, settings, monitor={"training": tr, "test": sample.test})
    assert [r["step"] for r in recs] == [0, 1, 2, 3, 4]
    assert recs[-1]["training_cost"] < recs[0]["training_cost"]
    assert recs[-1]["test_accuracy"] > recs[0]["test_accuracy"]
    for r0, r1 in zip(recs, recs[1:]):
        # at least: cost + gradient + forward state + (CG products + 1 for the model) + the trial cost
        least = (2 * 400 + 100 + (r1["cg_iterations"] + 1) * 100 + 400) / 1000
        assert r1["passes"] - r0["passes"] >= least - 1e-12
        assert r1["seconds"] > r0["seconds"]


def test_newton_cg_stops_at_its_target(sample):
    net = Network([784, 10, 10], cost="cross_entropy", seed=0)
    tr = (sample.training.images[:1000], sample.training.labels[:1000])
    recs = newton_cg(net, tr, NewtonCG(steps=30, gradient_batch=400, curvature_batch=100, target=0.5),
                     monitor={"test": sample.test})
    assert recs[-1]["test_accuracy"] >= 0.5 and recs[-1]["step"] < 30
    hit = passes_to(recs, "test_accuracy", 0.5)
    assert hit["step"] == recs[-1]["step"] and passes_to(recs, "test_accuracy", 1.01) is None


def test_the_formed_hessian_is_the_exact_one_plus_the_l2_term():
    net = Network([3, 3, 2], activation="tanh", cost="cross_entropy", seed=1)
    rng = np.random.default_rng(0)
    X, Y = rng.uniform(size=(6, 3)), rng.uniform(size=(6, 2))
    H = hessian_matrix(net, X, Y, lmbda=2.0, n=6)
    exact = cc.exact_hessian(net, X, Y)
    nw = sum(w.size for w in net.weights)
    exact[np.arange(nw), np.arange(nw)] += 2.0 / 6
    assert np.max(np.abs(H - exact)) <= 1e-13 * np.abs(exact).max()
    with pytest.raises(ValueError, match="newton-cg"):
        hessian_matrix(Network([784, 30, 10], seed=0), X[:, :1].repeat(784, 1), Y[:, :1].repeat(10, 1))


def test_exact_newton_converges_quadratically_on_a_convex_network(sample):
    X = pool_pixels(sample.training.images[:300], 4)
    Y = np.eye(10)[sample.training.labels[:300]]
    net = Network([49, 10], cost="cross_entropy", seed=0)
    recs = exact_newton(net, X, Y, ExactNewton(steps=20, lmbda=1.0))
    assert recs[-1]["gradient_norm"] <= 1e-12 and all(r["newton"] for r in recs[:-1])
    rates = quadratic_rates(recs)
    assert len(rates) >= 3 and max(rates[-3:]) < 1.0  # e_{k+1} ≤ e_k² (bounded constant) at the end
    errs = [r["error"] for r in recs[:-1]]
    assert errs[-1] < 1e-4 * errs[-3]  # digits double: far faster than any linear rate


def test_pooling_averages_blocks():
    img = np.arange(16, dtype=np.uint8).reshape(1, 16) * 10
    assert np.allclose(pool_pixels(img, 2), [[25, 45, 105, 125]] / np.float64(255))
    with pytest.raises(ValueError, match="block"):
        pool_pixels(img, 3)
