"""numerics.bench.contestants: the contestants compute the same SGD step, so the timings compare like
with like."""
from __future__ import annotations

import numpy as np
import pytest

from gradproof.numerics.bench.contestants import (CONTESTANTS, book_update_mini_batch, initial_parameters,
                                                  numpy_step)
from gradproof.numerics.network import Network
from gradproof.numerics.train import SGD, sgd


@pytest.mark.parametrize("sizes", [(784, 30, 10), (20, 7, 5, 3)])
def test_reference_loop_and_generated_kernels_take_the_same_step(sizes):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (10, sizes[0]), dtype=np.uint8)
    labels = rng.integers(0, sizes[-1], 10).astype(np.uint8)
    x, y = images * (1 / 255), np.eye(sizes[-1])[labels]
    w0, b0 = initial_parameters(sizes)

    weights, biases = [w.copy() for w in w0], [b.copy() for b in b0]
    numpy_step(weights, biases, x, y, 3.0)

    book_w, book_b = book_update_mini_batch(w0, [b[:, None] for b in b0], x, y, 3.0)

    net = Network(list(sizes), cost="quadratic", init="large", seed=0)
    net.weights, net.biases = [w.copy() for w in w0], [b.copy() for b in b0]
    sgd(net, (images, labels), SGD(1, 10, 3.0, reg="none", seed=0))  # one mini-batch: one step

    for i in range(len(w0)):
        assert np.abs(weights[i] - w0[i]).max() > 1e-6  # the step moved something
        np.testing.assert_allclose(book_w[i], weights[i], rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(book_b[i][:, 0], biases[i], rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(net.weights[i], weights[i], rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(net.biases[i], biases[i], rtol=1e-12, atol=1e-13)


def test_jax_takes_the_same_steps_as_the_generated_kernels():
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp
    from gradproof.numerics.bench.contestants import jax_epoch
    sizes = (20, 7, 3)
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (40, sizes[0]), dtype=np.uint8)
    labels = rng.integers(0, sizes[-1], 40).astype(np.uint8)
    Y = np.eye(sizes[-1])[labels]
    w0, b0 = initial_parameters(sizes)
    order = np.random.default_rng(0).permutation(40)
    out = jax_epoch(sizes)([(jnp.asarray(w), jnp.asarray(b)) for w, b in zip(w0, b0)],
                           jnp.asarray(images), jnp.asarray(Y), jnp.asarray(order.reshape(4, 10)))
    net = Network(list(sizes), cost="quadratic", init="large", seed=0)
    net.weights, net.biases = [w.copy() for w in w0], [b.copy() for b in b0]
    sgd(net, (images, labels), SGD(1, 10, 3.0, reg="none", seed=0, training_cost=False))  # same shuffle
    for (w, b), nw, nb in zip(out, net.weights, net.biases):
        np.testing.assert_allclose(np.asarray(w), nw, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(np.asarray(b), nb, rtol=1e-10, atol=1e-12)


def test_the_bound_times_the_products_of_an_epoch():
    window = CONTESTANTS["bound"].make((784, 30, 10), np.zeros((50, 784), np.uint8), None, None, 1)
    assert window(0, None) > 0 and window(0, 3) > 0


def test_blocked_gather_takes_the_same_steps_as_one_batch_at_a_time():
    """sgd gathers ~100 rows at once; the steps are those of one mini-batch gathered at a time."""
    from gradproof.numerics.mnist import scale_pixels
    rng = np.random.default_rng(2)
    images = rng.integers(0, 256, (1237, 20), dtype=np.uint8)
    labels = rng.integers(0, 3, 1237).astype(np.uint8)
    a = Network([20, 6, 3], seed=0)
    sgd(a, (images, labels), SGD(1, 10, 0.5, reg="none", seed=5, training_cost=False))
    b = Network([20, 6, 3], seed=0)
    order = np.random.default_rng(5).permutation(1237)
    Y = np.eye(3)[labels]
    for s in range(0, 1237, 10):
        idx = order[s:s + 10]
        b.kernels.step_none(b.weights, b.biases, scale_pixels(images[idx]), Y[idx], 0.5, 0.0, 1237)
    for p, q in zip(a.parameters(), b.parameters()):
        assert p.tobytes() == q.tobytes()


def test_the_claims_targets_are_measured_on_what_they_name():
    """``bench_claims``: the LaTeX/plain CPU-time ratio over the three claims (each verified, so the
    ratio compares like with like) and a cold notes file whose every display was read."""
    from gradproof.numerics.bench.claims import bench_claims

    r = bench_claims(runs=1, displays=8)
    assert len(r["latex_cpu_seconds"]) == len(r["plain_cpu_seconds"]) == 3
    assert r["latex_vs_plain"] == sum(r["latex_cpu_seconds"]) / sum(r["plain_cpu_seconds"])
    assert r["notes_displays"] == 8 and set(r["passed"]) == {"latex_vs_plain", "notes_cold"}
