r"""The contestants of the benchmark: one table, :data:`CONTESTANTS`, of the ways to train one epoch.

Every contestant trains the same network (sigmoid neurons, quadratic cost, eq. 6; mini-batch
:data:`MINI_BATCH` = 10, η = :data:`ETA` = 3.0, float64, the book's ch. 1 setting) from the same
initial weights (:func:`initial_parameters`) on the same data pipeline: the ``uint8`` training images,
gathered one mini-batch by index and scaled by :func:`numerics.mnist.scale_pixels` (``X[idx] / 255``;
torch converts its own tensor the same way).

A contestant is ``make(sizes, images, labels, Y, threads) -> window``; ``window(seed, batches)``
trains the first ``batches`` mini-batches of an epoch shuffled by ``default_rng(seed)`` (all of them
when ``batches`` is None) and returns its wall seconds.  ``threads`` is the BLAS thread count of the
run (:mod:`.threads` sets it for numpy and torch; the generated contestant passes it to ``sgd``).

``bound``
    Not a contestant but the floor they are measured against: the epoch's matrix products alone,
    the same shapes (z^l = a^(l-1) w^lᵀ per layer, BP2's δ^(l+1) w^(l+1), BP4's δ^lᵀ a^(l-1)) at the
    same thread count, into preallocated buffers, one mini-batch after another.  No SGD written with
    these products can be faster.
``generated``
    :func:`numerics.train.sgd` for one epoch: the kernels printed from ``derive`` (each mini-batch
    one call of the fused ``step_none`` kernel: backprop with the update rule composed in, one
    product subtracted in place per weight matrix).
``numpy``
    A hand-written vectorized reference, kept only here (:func:`numpy_step`): what a competent
    engineer writes by hand, the matrix form of backpropagation over the mini-batch (rows are examples).
``loop``
    The book's ``network.py`` (:func:`book_update_mini_batch`): backpropagation one example at a time
    on column vectors, summing ``nabla_w``/``nabla_b`` over the mini-batch.  It is slow, so the runner
    times it on the first ``loop_batches`` mini-batches of an epoch and scales that to the epoch.
``jax``
    JAX (:func:`jax_epoch`): the whole epoch is one jit-compiled ``lax.scan`` over the mini-batches,
    the gradient by ``jax.grad`` of the mean quadratic cost, float64, one thread (:mod:`.threads`
    imports it with ``XLA_FLAGS`` set); compiled before timing.  Runs when ``import jax`` works.
``torch``
    PyTorch CPU autograd in eager mode (``nn.Linear`` + ``nn.Sigmoid``, ``torch.optim.SGD``), float64,
    a tensor made per batch from the same ``uint8`` gather.  Runs when ``import torch`` works.
"""
from __future__ import annotations

import time
from typing import Callable, NamedTuple

import numpy as np

from ..mnist import scale_pixels
from ..network import Network
from ..train import SGD, sgd
from .threads import jax_version, torch_version

__all__ = ["CONTESTANTS", "Contestant", "ETA", "MINI_BATCH", "initial_parameters", "numpy_step",
           "book_update_mini_batch", "jax_epoch"]

ETA = 3.0
MINI_BATCH = 10

#: ``window(seed, batches) -> seconds``: one timing window of a contestant.
Window = Callable[[int, "int | None"], float]


def initial_parameters(sizes, seed: int = 0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``(weights, biases)``: the book's "large" initialization, N(0, 1), the same for every
    contestant; ``weights[l]`` is (sizes[l+1], sizes[l]), ``biases[l]`` (sizes[l+1],)."""
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal((o, i)) for i, o in zip(sizes[:-1], sizes[1:])]
    biases = [rng.standard_normal(o) for o in sizes[1:]]
    return weights, biases


def _stop(batches):
    return None if batches is None else batches * MINI_BATCH


# -- the hand-written vectorized numpy reference (matrix form over the mini-batch; rows are examples) --

def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def numpy_step(weights: list[np.ndarray], biases: list[np.ndarray], x: np.ndarray, y: np.ndarray,
               eta: float) -> None:
    """One SGD step for sigmoid/quadratic, in place. x: (m, n_in), y: (m, n_out),
    weights[l]: (n_{l+1}, n_l), biases[l]: (n_{l+1},)."""
    activations = [x]
    a = x
    for w, b in zip(weights, biases):
        a = _sigmoid(a @ w.T + b)
        activations.append(a)
    delta = (a - y) * a * (1 - a)  # BP1, quadratic cost, sigma' = a(1 - a)
    k = eta / len(x)
    for l in range(len(weights) - 1, -1, -1):
        a_prev = activations[l]
        nabla_w = delta.T @ a_prev
        nabla_b = delta.sum(axis=0)
        if l:
            delta = (delta @ weights[l]) * a_prev * (1 - a_prev)  # BP2 with the old weights
        weights[l] -= k * nabla_w
        biases[l] -= k * nabla_b


# -- the book's network.py, per example on column vectors (biases are (n, 1) columns there) ----------

def _book_sigmoid_prime(z):
    return _sigmoid(z) * (1 - _sigmoid(z))


def _book_backprop(weights, biases, x, y):
    nabla_b = [np.zeros(b.shape) for b in biases]
    nabla_w = [np.zeros(w.shape) for w in weights]
    activation = x
    activations = [x]
    zs = []
    for b, w in zip(biases, weights):
        z = np.dot(w, activation) + b
        zs.append(z)
        activation = _sigmoid(z)
        activations.append(activation)
    delta = (activations[-1] - y) * _book_sigmoid_prime(zs[-1])
    nabla_b[-1] = delta
    nabla_w[-1] = np.dot(delta, activations[-2].transpose())
    for l in range(2, len(weights) + 1):
        delta = np.dot(weights[-l + 1].transpose(), delta) * _book_sigmoid_prime(zs[-l])
        nabla_b[-l] = delta
        nabla_w[-l] = np.dot(delta, activations[-l - 1].transpose())
    return nabla_b, nabla_w


def book_update_mini_batch(weights, biases, xs, ys, eta):
    """The book's ``update_mini_batch``: xs (m, n_in), ys (m, n_out) rows, used as column vectors;
    returns the new (weights, biases) lists, biases as (n, 1) columns."""
    nabla_b = [np.zeros(b.shape) for b in biases]
    nabla_w = [np.zeros(w.shape) for w in weights]
    for x, y in zip(xs, ys):
        delta_nabla_b, delta_nabla_w = _book_backprop(weights, biases, x[:, None], y[:, None])
        nabla_b = [nb + dnb for nb, dnb in zip(nabla_b, delta_nabla_b)]
        nabla_w = [nw + dnw for nw, dnw in zip(nabla_w, delta_nabla_w)]
    weights = [w - (eta / len(xs)) * nw for w, nw in zip(weights, nabla_w)]
    biases = [b - (eta / len(xs)) * nb for b, nb in zip(biases, nabla_b)]
    return weights, biases


# -- JAX's SGD ---------------------------------------------------------------------------------------

def jax_epoch(sizes):
    """``epoch(params, images, Y, batches)``: JAX's SGD for sigmoid/quadratic, float64, one
    jit-compiled ``lax.scan`` over ``batches`` (an int array (k, m) of row indices), each step
    ``p -> p - eta * grad C(p)`` with C the mean quadratic cost of the mini-batch."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)

    def cost(params, x, y):
        a = x
        for w, b in params:
            a = jax.nn.sigmoid(a @ w.T + b)
        return 0.5 * jnp.mean(jnp.sum((a - y) ** 2, axis=1))  # eq. 6 averaged over the batch

    grad = jax.grad(cost)

    @jax.jit
    def epoch(params, images, Y, batches):
        def step(p, idx):
            x = images[idx].astype(jnp.float64) / 255.0
            g = grad(p, x, Y[idx])
            return jax.tree_util.tree_map(lambda q, dq: q - ETA * dq, p, g), None
        return jax.lax.scan(step, params, batches)[0]

    return epoch


# -- the window makers: make(sizes, images, labels, Y, threads) -> window ---------------------------

def make_bound(sizes, images, labels, Y, threads) -> Window:
    """The epoch's matrix products alone (see the module docstring), into preallocated buffers."""
    rng = np.random.default_rng(1)
    weights = [rng.standard_normal((o, i)) for i, o in zip(sizes[:-1], sizes[1:])]
    acts = [rng.random((MINI_BATCH, i)) for i in sizes[:-1]]  # a^(l-1), as a step has them
    deltas = [rng.standard_normal((MINI_BATCH, o)) for o in sizes[1:]]  # δ^l
    zs = [np.empty((MINI_BATCH, o)) for o in sizes[1:]]
    back = [np.empty((MINI_BATCH, i)) for i in sizes[1:-1]]
    grads = [np.empty_like(w) for w in weights]
    layers = list(zip(acts, weights, zs, deltas, grads))
    bp2 = list(zip(deltas[1:], weights[1:], back))
    matmul = np.matmul

    def window(seed, batches):
        steps = -(-len(images) // MINI_BATCH) if batches is None else batches
        t = time.perf_counter()
        for _ in range(steps):
            for a, w, z, _d, _g in layers:
                matmul(a, w.T, out=z)  # z^l = w^l a^(l-1) (rows)
            for d, w, o in bp2:
                matmul(d, w, out=o)  # (w^(l+1))^T δ^(l+1)
            for a, _w, _z, d, g in layers:
                matmul(d.T, a, out=g)  # δ^lᵀ a^(l-1)
        return time.perf_counter() - t
    return window


def make_generated(sizes, images, labels, Y, threads) -> Window:
    """:func:`numerics.train.sgd`, one epoch per window, on ``threads`` BLAS threads."""
    net = Network(list(sizes), activation="sigmoid", cost="quadratic", init="large", seed=0)
    w0, b0 = initial_parameters(sizes)
    for p, q in zip((*net.weights, *net.biases), (*w0, *b0)):
        p[...] = q

    def window(seed, batches):
        part = slice(None) if batches is None else slice(batches * MINI_BATCH)
        t = time.perf_counter()
        sgd(net, (images[part], labels[part]), SGD(1, MINI_BATCH, ETA, reg="none", seed=seed,
                                                   threads=threads, training_cost=False))
        return time.perf_counter() - t
    return window


def make_numpy(sizes, images, labels, Y, threads) -> Window:
    """:func:`numpy_step` over the shuffled mini-batches."""
    weights, biases = initial_parameters(sizes)

    def window(seed, batches):
        t = time.perf_counter()
        order = np.random.default_rng(seed).permutation(len(images))[:_stop(batches)]
        for s in range(0, len(order), MINI_BATCH):
            idx = order[s:s + MINI_BATCH]
            numpy_step(weights, biases, scale_pixels(images[idx]), Y[idx], ETA)
        return time.perf_counter() - t
    return window


def make_loop(sizes, images, labels, Y, threads) -> Window:
    """:func:`book_update_mini_batch` over the shuffled mini-batches."""
    w0, b0 = initial_parameters(sizes)
    state = [w0, [b[:, None] for b in b0]]

    def window(seed, batches):
        t = time.perf_counter()
        order = np.random.default_rng(seed).permutation(len(images))[:_stop(batches)]
        for s in range(0, len(order), MINI_BATCH):
            idx = order[s:s + MINI_BATCH]
            state[:] = book_update_mini_batch(*state, scale_pixels(images[idx]), Y[idx], ETA)
        return time.perf_counter() - t
    return window


def make_jax(sizes, images, labels, Y, threads) -> Window:
    """:func:`jax_epoch`, compiled before the first window; a window of whole mini-batches only
    (the last, shorter one is not scanned), scaled to the epoch."""
    import jax
    import jax.numpy as jnp

    epoch = jax_epoch(sizes)
    w0, b0 = initial_parameters(sizes)
    state = [[(jnp.asarray(w), jnp.asarray(b)) for w, b in zip(w0, b0)]]
    dev_images, dev_Y = jnp.asarray(images), jnp.asarray(Y)
    full = len(images) // MINI_BATCH
    per_epoch = -(-len(images) // MINI_BATCH)

    def order(seed, k):
        return jnp.asarray(np.random.default_rng(seed).permutation(len(images))[:k * MINI_BATCH]
                           .reshape(k, MINI_BATCH))

    jax.block_until_ready(epoch(state[0], dev_images, dev_Y, order(0, full)))  # compile

    def window(seed, batches):
        k = full if batches is None else min(batches, full)
        idx = order(seed, k)
        t = time.perf_counter()
        state[0] = jax.block_until_ready(epoch(state[0], dev_images, dev_Y, idx))
        seconds = time.perf_counter() - t
        return seconds * (per_epoch / k if batches is None else 1)
    return window


def make_torch(sizes, images, labels, Y, threads) -> Window:
    """PyTorch eager autograd with ``torch.optim.SGD`` (the module docstring)."""
    import torch

    w0, b0 = initial_parameters(sizes)
    layers = []
    for w, b in zip(w0, b0):
        lin = torch.nn.Linear(w.shape[1], w.shape[0], dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(w))
            lin.bias.copy_(torch.from_numpy(b))
        layers += [lin, torch.nn.Sigmoid()]
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=ETA)
    Yt = torch.from_numpy(Y)

    def window(seed, batches):
        t = time.perf_counter()
        order = np.random.default_rng(seed).permutation(len(images))[:_stop(batches)]
        for s in range(0, len(order), MINI_BATCH):
            idx = order[s:s + MINI_BATCH]
            x = torch.from_numpy(images[idx]).to(torch.float64).div_(255)
            y = Yt[idx]
            loss = 0.5 * ((model(x) - y) ** 2).sum(dim=1).mean()  # eq. 6 averaged over the batch
            opt.zero_grad()
            loss.backward()
            opt.step()
        return time.perf_counter() - t
    return window


# -- the table -----------------------------------------------------------------------------------------

class Contestant(NamedTuple):
    """A row of :data:`CONTESTANTS`: its window maker, and the version of the library it needs
    (None when that does not import: the contestant is skipped)."""

    make: Callable[..., Window]
    version: Callable[[], "str | None"]


def _numpy_version() -> str:
    return np.__version__


#: name -> contestant, in the order the timing windows interleave.
CONTESTANTS: dict[str, Contestant] = {
    "bound": Contestant(make_bound, _numpy_version),
    "generated": Contestant(make_generated, _numpy_version),
    "numpy": Contestant(make_numpy, _numpy_version),
    "loop": Contestant(make_loop, _numpy_version),
    "jax": Contestant(make_jax, jax_version),
    "torch": Contestant(make_torch, torch_version),
}
