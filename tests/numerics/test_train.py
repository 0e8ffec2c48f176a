"""numerics.train: SGD with the generated kernels, the presets, the JSON history.

Oracles: the update rules of derive.book.updates evaluated exactly by SymPy at the trained point (and the
same rule written directly in numpy), Network.accuracy/cost on the whole split for the chunked
evaluation, tracemalloc for memory, and the bundled sample for an end-to-end accuracy.
"""
from __future__ import annotations

import math
import tracemalloc
from dataclasses import replace

import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given, settings, strategies as st

from gradproof.derive.book import updates
from gradproof.numerics import mnist
from gradproof.numerics.network import Network
from gradproof.numerics.train import (PRESETS, SGD, Config, ConfigError, Diverged, evaluate,
                                      make_network, regularization_term, run, sgd, train)


@pytest.fixture(scope="module")
def sample():
    return mnist.load("sample")


def _tiny(n=40, n_in=6, k=3, seed=0):
    """A small uint8 data set: images (n, n_in), labels (n,) in 0..k-1."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (n, n_in), dtype=np.uint8), rng.integers(0, k, n).astype(np.uint8)


# --- the update rule, one step and two -----------------------------------------------------------

def _sympy_rule(reg, w, g, eta, lmbda, n):
    """derive.book.updates' weight rule, evaluated exactly (rationals) at each entry, then rounded."""
    expr, _ = updates.WEIGHT_UPDATES[reg]
    f = lambda wv, gv: float(expr.subs({updates.w: sp.Rational(wv), updates.nabla_w: sp.Rational(gv),
                                         updates.eta: sp.Rational(eta), updates.lmbda: sp.Rational(lmbda),
                                         updates.n: n}))
    return np.vectorize(f)(w, g)


def _numpy_rule(reg, w, g, eta, lmbda, n):
    if reg == "l1":
        return w - eta * (g + lmbda / n * np.sign(w))
    if reg == "l2":
        return w - eta * (g + lmbda / n * w)
    return w - eta * g


@settings(max_examples=12, deadline=None)
@given(reg=st.sampled_from(["none", "l2", "l1"]),
       eta=st.sampled_from([0.01, 0.5, 3.0]), lmbda=st.sampled_from([0.0, 0.1, 5.0]),
       cost=st.sampled_from(["quadratic", "cross_entropy", "log_likelihood"]))
@example(reg="l1", eta=0.5, lmbda=5.0, cost="cross_entropy")
@example(reg="l2", eta=3.0, lmbda=5.0, cost="quadratic")
def test_two_steps_follow_the_derived_rule(reg, eta, lmbda, cost):
    # n = 6 identical rows in mini-batches of 3: every batch has the same mean gradient whatever the
    # shuffle, and the decay term must use n = 6 (the training set), not 3 (the batch)
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (1, 5), dtype=np.uint8)
    images, labels = np.repeat(x, 6, axis=0), np.full(6, 2, dtype=np.uint8)
    net = Network([5, 4, 3], cost=cost, init="large", seed=3)
    net.weights[0][0, 0] = 0.0  # sgn(0) = 0 in the L1 rule: the edge point
    X, Y = images[:3] / 255, np.eye(3)[labels[:3]]
    expect = [w.copy() for w in net.weights], [b.copy() for b in net.biases]
    for _ in range(2):
        oracle = Network([5, 4, 3], cost=cost, init="large", seed=3)
        oracle.weights, oracle.biases = [w.copy() for w in expect[0]], [b.copy() for b in expect[1]]
        nabla_w, nabla_b = oracle.gradients(X, Y)
        new_w = [_sympy_rule(reg, w, g, eta, lmbda, 6) for w, g in zip(expect[0], nabla_w)]
        direct = [_numpy_rule(reg, w, g, eta, lmbda, 6) for w, g in zip(expect[0], nabla_w)]
        for a, b in zip(new_w, direct):
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-13)
        expect = new_w, [b - eta * g for b, g in zip(expect[1], nabla_b)]  # biases: no decay
    sgd(net, (images, labels), SGD(epochs=1, mini_batch_size=3, eta=eta, lmbda=lmbda, reg=reg, seed=0))
    for got, want in zip(net.weights + net.biases, expect[0] + expect[1]):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_regularization_term_matches_the_penalty():
    net = Network([4, 3, 2], seed=0)
    w2 = sum(float((w.astype(object) ** 2).sum()) for w in net.weights)
    w1 = sum(float(np.abs(w).sum()) for w in net.weights)
    assert regularization_term(net, 5.0, "l2", 50) == pytest.approx(5.0 / 100 * w2, rel=1e-12)
    assert regularization_term(net, 5.0, "l1", 50) == pytest.approx(5.0 / 50 * w1, rel=1e-12)
    assert regularization_term(net, 5.0, "none", 50) == 0.0
    with pytest.raises(ValueError, match="reg"):
        regularization_term(net, 5.0, "l3", 50)


# --- reproducibility, dtype, divergence ----------------------------------------------------------

def _train(seed_net, seed_sgd, dtype=np.float64, monitor=None):
    images, labels = _tiny(60)
    net = Network([6, 5, 3], cost="cross_entropy", seed=seed_net, dtype=dtype)
    sgd(net, (images, labels), SGD(3, 7, 0.5, seed=seed_sgd), monitor=monitor)
    return net


def test_same_seeds_give_bit_identical_weights():
    a, b, c = _train(1, 2), _train(1, 2), _train(1, 3)
    for p, q in zip(a.parameters(), b.parameters()):
        assert p.tobytes() == q.tobytes()
    assert any(p.tobytes() != q.tobytes() for p, q in zip(a.parameters(), c.parameters()))


def _blas_threads_now():
    from threadpoolctl import threadpool_info
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def test_steps_run_with_the_threads_chosen_for_the_mini_batch_and_restore_them(sample, monkeypatch):
    from gradproof.numerics import train as tr
    from threadpoolctl import threadpool_limits
    seen = []
    real = tr._step

    def spy(*a, **k):
        step = real(*a, **k)

        def one(x, y):
            if not seen or len(seen) < 2:
                seen.append(_blas_threads_now())
            step(x, y)
        return one
    monkeypatch.setattr(tr, "_step", spy)
    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads_now()
        small = Network([784, 20, 10], seed=0)
        sgd(small, sample.training, SGD(1, 10, 0.5, seed=1, training_cost=False))
        assert seen[0] == [1] * len(before) and tr.blas_threads(10) == 1
        assert _blas_threads_now() == before  # restored
        seen.clear()
        sgd(Network([784, 20, 10], seed=0), sample.training,
            SGD(1, 10, 0.5, seed=1, threads=2, training_cost=False))
        assert seen[0] == [2] * len(before)  # threads= overrides
        assert tr.blas_threads(tr.SMALL_BATCH) is None  # large batches: the default
    with threadpool_limits(limits=1, user_api="blas"):
        same = Network([784, 20, 10], seed=0)
        sgd(same, sample.training, SGD(1, 10, 0.5, seed=1, training_cost=False))
    # the same seed and thread count give the same bits, whatever the threads were before
    for p, q in zip(small.parameters(), same.parameters()):
        assert p.tobytes() == q.tobytes()
    ref = Network([784, 20, 10], seed=0)
    sgd(ref, sample.training, SGD(1, 10, 0.5, seed=1, training_cost=False, threads=1))
    for p, q in zip(small.parameters(), ref.parameters()):
        assert p.tobytes() == q.tobytes()


def test_blas_info_names_the_kernel_and_the_threads():
    from gradproof.numerics.train import blas_info, blas_limit
    with blas_limit(1):
        info = blas_info()
    assert info["threads"] in (1, None)
    if info["library"] is not None:
        assert info["threads"] == 1 and info["architecture"]


def test_float32_training_stays_float32():
    net = _train(1, 2, dtype=np.float32, monitor={"training": _tiny(60)})
    assert all(p.dtype == np.float32 for p in net.parameters())
    ref = _train(1, 2)
    for p, q in zip(net.parameters(), ref.parameters()):
        np.testing.assert_allclose(p, q, rtol=0, atol=1e-3)


def test_huge_eta_stops_with_a_clear_message():
    images, labels = _tiny(200, n_in=20, k=10)
    net = Network([20, 8, 10], cost="cross_entropy", activation="relu", seed=0)
    with pytest.raises(Diverged, match=r"eta = 1e\+300.*smaller"):
        sgd(net, (images, labels), SGD(5, 10, 1e300, seed=0))


@pytest.mark.parametrize("kw, match", [
    (dict(eta=0.0), "eta"), (dict(eta=float("nan")), "eta"), (dict(mini_batch_size=0), "mini_batch_size"),
    (dict(epochs=0), "epochs"), (dict(reg="l3"), "reg"), (dict(lmbda=-1.0), "lmbda"),
    (dict(threads=0), "threads"), (dict(threads=1.5), "threads")])
def test_sgd_settings_name_a_bad_field(kw, match):
    args = dict(epochs=1, mini_batch_size=5, eta=0.1) | kw
    with pytest.raises(ConfigError) as info:
        SGD(**args)
    assert info.value.field == match and "\n" not in str(info.value)
    assert SGD(epochs=1, mini_batch_size=5, eta=0.1, seed=None, threads=None).seed is None  # both optional


def test_sgd_refuses_the_old_positional_form_in_one_line():
    with pytest.raises(TypeError, match=r"SGD\(epochs=30, mini_batch_size=10, eta=3.0\), got int"):
        sgd(Network([6, 3]), _tiny(), 1, 5, 0.1)


def test_a_config_gives_its_sgd_settings_and_trains_with_them(sample):
    """Config.sgd() is the run's SGD: train() with a Config and sgd() with its settings give the same
    bits (the relation is not a second copy of the settings)."""
    config = replace(PRESETS["nielsen-ch3"], sizes=(784, 12, 10), epochs=1, reg="l1", seed=4)
    settings = config.sgd(threads=1)
    assert (settings.epochs, settings.mini_batch_size, settings.eta, settings.lmbda, settings.reg,
            settings.seed, settings.threads, settings.training_cost) == (1, 10, 0.1, 5.0, "l1", 4, 1, True)
    net, _ = train(config, sample, threads=1)
    by_hand = make_network(config)
    sgd(by_hand, sample.training, settings)
    assert all(p.tobytes() == q.tobytes() for p, q in zip(net.parameters(), by_hand.parameters()))
    with pytest.raises(ConfigError, match="seed"):
        replace(config, seed=None).validate()  # a Config's seed also seeds the network


def test_sgd_rejects_images_that_do_not_fit_the_input_layer():
    with pytest.raises(ValueError, match="first size"):
        sgd(Network([7, 3]), _tiny(), SGD(1, 5, 0.1))


# --- evaluation in chunks, memory ----------------------------------------------------------------

@pytest.mark.parametrize("chunk", [1, 7, 1000, 5000])
def test_chunked_evaluation_equals_the_whole_split(sample, chunk):
    net = Network([784, 12, 10], cost="cross_entropy", seed=4)
    split = sample.validation
    got = evaluate(net, split, cost=True, chunk=chunk)
    X, Y = split.X(), split.one_hot()
    assert got["accuracy"] == net.accuracy(X, split.labels)
    assert got["cost"] == pytest.approx(net.cost(X, Y), rel=1e-12)


def test_training_never_materializes_the_training_set(sample):
    net = Network([784, 30, 10], cost="cross_entropy", seed=0)
    as_float64 = sample.training.images.size * 8
    tracemalloc.start()
    try:
        sgd(net, sample.training, SGD(1, 10, 0.5, seed=0), monitor={"test": sample.test})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < as_float64 / 3, f"peak {peak / 2**20:.1f} MB, the float64 set is {as_float64 / 2**20:.1f} MB"


# --- configurations and presets ------------------------------------------------------------------

def test_presets_record_the_book_and_validate():
    assert set(PRESETS) == {"nielsen-ch1", "nielsen-ch3", "softmax"}
    for name, c in PRESETS.items():
        assert c.validate() is c and c.name == name and c.target in c.monitor
        assert c.must_reach is not None and 0 < c.must_reach < 1
        if c.book_accuracy is not None:
            assert c.book_split == c.target and c.must_reach <= c.book_accuracy
    ch1, ch3 = PRESETS["nielsen-ch1"], PRESETS["nielsen-ch3"]
    assert (ch1.sizes, ch1.cost, ch1.init, ch1.eta, ch1.lmbda, ch1.mini_batch_size, ch1.epochs) == \
        ((784, 30, 10), "quadratic", "large", 3.0, 0.0, 10, 30)
    assert (ch3.sizes, ch3.cost, ch3.init, ch3.eta, ch3.lmbda, ch3.reg, ch3.epochs) == \
        ((784, 100, 10), "cross_entropy", "scaled", 0.1, 5.0, "l2", 60)
    assert PRESETS["softmax"].cost == "log_likelihood"


@pytest.mark.parametrize("change, field", [
    (dict(cost="hinge"), "cost"), (dict(activation="gelu"), "activation"), (dict(eta=-1.0), "eta"),
    (dict(mini_batch_size=0), "mini_batch_size"), (dict(epochs=0), "epochs"), (dict(sizes=(784,)), "sizes"),
    (dict(reg="l3"), "reg"), (dict(lmbda=-0.5), "lmbda"), (dict(dtype="float16"), "dtype"),
    (dict(epochs=2.5), "epochs")])
def test_bad_config_names_its_field(change, field):
    with pytest.raises(ConfigError) as info:
        replace(Config(), **change).validate()
    assert info.value.field == field and "\n" not in str(info.value)


@pytest.mark.parametrize("sizes", [(700, 30, 10), (784, 30, 9)])
def test_run_rejects_sizes_that_do_not_fit_mnist(sample, sizes):
    with pytest.raises(ConfigError, match="sizes"):
        run(replace(Config(), sizes=sizes, epochs=1), sample)


# --- end to end on the bundled sample ------------------------------------------------------------

def test_sample_training_beats_85_percent_and_reports_its_history(sample):
    config = replace(Config(), sizes=(784, 30, 10), cost="cross_entropy", init="scaled", eta=0.5,
                     epochs=6, seed=0)
    seen = []
    result = run(config, sample, on_epoch=seen.append)
    epochs = result["epochs"]
    assert [r["epoch"] for r in epochs] == list(range(1, 7)) and seen == epochs
    for r in epochs:
        assert 0 <= r["validation_accuracy"] <= 1 and 0 <= r["test_accuracy"] <= 1
        assert r["seconds"] > 0 and math.isfinite(r["training_cost"])
    best = max(r["test_accuracy"] for r in epochs)
    assert result["best"] == {"epoch": next(r["epoch"] for r in epochs if r["test_accuracy"] == best),
                              "split": "test", "accuracy": best}
    assert result["final"] == epochs[-1]
    assert epochs[-1]["training_cost"] < epochs[0]["training_cost"]
    assert best > 0.85, result["best"]


def test_a_monitored_split_records_the_training_cost_evaluated_on_it(sample):
    """The chapter-3 overfitting picture needs the cost on the validation data too: the same
    cross-entropy plus L2 term as training's, checked against the network's own cost."""
    from gradproof.numerics.network import Network
    from gradproof.numerics.train import regularization_term, scale_pixels

    net = Network([784, 10, 10], cost="cross_entropy", init="scaled", seed=3)
    (rec,) = sgd(net, sample.training, SGD(1, 10, 0.5, lmbda=5.0, reg="l2", seed=0),
                 monitor={"validation": sample.validation, "training": sample.training})
    x = scale_pixels(sample.validation.images, np.float64)
    y = np.eye(10)[sample.validation.labels]
    expected = float(net.cost(x, y)) + regularization_term(net, 5.0, "l2", len(sample.training))
    assert rec["validation_cost"] == pytest.approx(expected, rel=1e-12)
    assert rec["validation_cost"] != rec["training_cost"]
    assert "training_accuracy" in rec and math.isfinite(rec["training_cost"])
