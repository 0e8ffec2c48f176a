"""numerics.bench: the contestants compute the same SGD step, so the timings compare like with like."""
from __future__ import annotations

import numpy as np
import pytest

from numerics.bench import _init, book_update_mini_batch, numpy_step
from numerics.network import Network
from numerics.train import sgd


@pytest.mark.parametrize("sizes", [(784, 30, 10), (20, 7, 5, 3)])
def test_reference_loop_and_generated_kernels_take_the_same_step(sizes):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (10, sizes[0]), dtype=np.uint8)
    labels = rng.integers(0, sizes[-1], 10).astype(np.uint8)
    x, y = images * (1 / 255), np.eye(sizes[-1])[labels]
    w0, b0 = _init(sizes)

    weights, biases = [w.copy() for w in w0], [b.copy() for b in b0]
    numpy_step(weights, biases, x, y, 3.0)

    book_w, book_b = book_update_mini_batch(w0, [b[:, None] for b in b0], x, y, 3.0)

    net = Network(list(sizes), cost="quadratic", init="large", seed=0)
    net.weights, net.biases = [w.copy() for w in w0], [b.copy() for b in b0]
    sgd(net, (images, labels), 1, 10, 3.0, reg="none", seed=0)  # one mini-batch: one step

    for i in range(len(w0)):
        assert np.abs(weights[i] - w0[i]).max() > 1e-6  # the step moved something
        np.testing.assert_allclose(book_w[i], weights[i], rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(book_b[i][:, 0], biases[i], rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(net.weights[i], weights[i], rtol=1e-12, atol=1e-13)
        np.testing.assert_allclose(net.biases[i], biases[i], rtol=1e-12, atol=1e-13)
