r"""The R-operator's promise, timed: one Hessian-vector product against gradients on one mini-batch.

Pearlmutter's R-pass computes Hv for about the cost of two gradients.  :func:`bench_products` times,
on the same mini-batch of the training images (interleaved windows, median CPU time per call, as
:mod:`.run` does for the epochs), the contestants of :data:`PRODUCTS`:

``gradient``
    one gradient, the printed ``backprop`` kernel (forward pass and BP1–BP4);
``two_gradients``
    two of them: the R-operator's price, and what a finite-difference Hv costs;
``hv``
    one Hv, the printed ``hessian_vector`` kernel (forward pass, R-pass): the target is at most
    :data:`HV_LIMIT` × ``gradient``;
``hv_at``, ``gv_at``
    one Hv and one Gv from a kept forward state (``forward`` once, then ``hessian_vector_at``,
    ``gauss_newton_vector_at``): what each conjugate-gradient iteration of Newton-CG costs;
``jax_gradient``, ``jax_hvp``
    JAX's ``jax.grad`` and ``jax.jvp(jax.grad(f))`` (forward over reverse), jit-compiled, float64,
    when ``import jax`` works.

The network is 784-30-10 (and 784-100-10), sigmoid, cross-entropy, float64, with the direction
v ~ N(0, 1) in every block.
"""
from __future__ import annotations

import statistics
import time
from typing import Any, Callable, NamedTuple

import numpy as np

from ..codegen import kernels
from ..curvature import curvature_kernels
from ..mnist import scale_pixels
from .threads import jax_version

__all__ = ["PRODUCTS", "HV_LIMIT", "BATCH", "bench_products"]

HV_LIMIT = 2.5  #: one Hv costs at most this many gradients on the same mini-batch
BATCH = 1000  #: rows of the timed mini-batch (Newton-CG's curvature batch)
_COST, _ACT = "cross_entropy", "sigmoid"


class Product(NamedTuple):
    """A row of :data:`PRODUCTS`: ``make(weights, biases, v, x, y) -> call`` (one timed call), and
    the library version it needs (None when it does not import: skipped)."""

    make: Callable[..., Callable[[], Any]]
    version: Callable[[], "str | None"]


def _numpy_version() -> str:
    return np.__version__


def _gradient(W, B, V, x, y):
    k = kernels(_COST, _ACT)
    return lambda: k.backprop(W, B, x, y)


def _two_gradients(W, B, V, x, y):
    k = kernels(_COST, _ACT)

    def call():
        k.backprop(W, B, x, y)
        k.backprop(W, B, x, y)
    return call


def _hv(W, B, V, x, y):
    c = curvature_kernels(_COST, _ACT)
    vw, vb = V
    return lambda: c.hessian_vector(W, B, vw, vb, x, y)


def _at(product: str):
    def make(W, B, V, x, y):
        c = curvature_kernels(_COST, _ACT)
        state = c.forward(W, B, x, y)
        fn = getattr(c, product)
        vw, vb = V
        return lambda: fn(state, W, vw, vb)
    return make


def _jax_parts(W, B, V, x, y):
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)

    def cost(params):
        a = jnp.asarray(x)
        for w, b in params[:-1]:
            a = jax.nn.sigmoid(a @ w.T + b)
        w, b = params[-1]
        z = a @ w.T + b
        return jnp.mean(jnp.sum(jnp.logaddexp(0.0, z) - y * z, axis=1))  # eq. (63), stable
    params = [(jnp.asarray(w), jnp.asarray(b)) for w, b in zip(W, B)]
    direction = [(jnp.asarray(vw), jnp.asarray(vb)) for vw, vb in zip(*V)]
    grad = jax.jit(jax.grad(cost))
    hvp = jax.jit(lambda p, d: jax.jvp(jax.grad(cost), (p,), (d,))[1])
    jax.block_until_ready(grad(params))  # compile before timing
    jax.block_until_ready(hvp(params, direction))
    return jax, grad, hvp, params, direction


def _jax_gradient(W, B, V, x, y):
    jax, grad, _, params, _ = _jax_parts(W, B, V, x, y)
    return lambda: jax.block_until_ready(grad(params))


def _jax_hvp(W, B, V, x, y):
    jax, _, hvp, params, direction = _jax_parts(W, B, V, x, y)
    return lambda: jax.block_until_ready(hvp(params, direction))


#: name -> contestant, in the order the timing windows interleave.
PRODUCTS: dict[str, Product] = {
    "gradient": Product(_gradient, _numpy_version),
    "two_gradients": Product(_two_gradients, _numpy_version),
    "hv": Product(_hv, _numpy_version),
    "hv_at": Product(_at("hessian_vector_at"), _numpy_version),
    "gv_at": Product(_at("gauss_newton_vector_at"), _numpy_version),
    "jax_gradient": Product(_jax_gradient, jax_version),
    "jax_hvp": Product(_jax_hvp, jax_version),
}


def _case(sizes, images: np.ndarray, labels: np.ndarray, batch: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    W = [rng.standard_normal((o, i)) / np.sqrt(i) for i, o in zip(sizes[:-1], sizes[1:])]
    B = [rng.standard_normal(o) for o in sizes[1:]]
    V = ([rng.standard_normal(w.shape) for w in W], [rng.standard_normal(b.shape) for b in B])
    rows = rng.permutation(len(labels))[:batch]
    return W, B, V, scale_pixels(images[rows]), np.eye(sizes[-1])[labels[rows]]


def bench_products(data, sizes=((784, 30, 10), (784, 100, 10)), batch: int = BATCH, windows: int = 7,
                   calls: int = 20, progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Time :data:`PRODUCTS` on a mini-batch of ``batch`` training images of ``data``: ``windows``
    interleaved windows of ``calls`` calls each; per network the median CPU seconds per call of
    each contestant (wall seconds beside), the ratios ``hv / gradient`` (target ≤ :data:`HV_LIMIT`),
    ``hv / two_gradients``, ``hv_at / gradient``, ``gv_at / gradient`` and, with JAX,
    ``jax_hvp / jax_gradient`` and ``hv / jax_hvp``; ``passed`` when every network meets the target."""
    images, labels = np.asarray(data.training.images), np.asarray(data.training.labels)
    batch = min(batch, len(labels))
    versions = {name: p.version() for name, p in PRODUCTS.items()}
    names = [n for n in PRODUCTS if versions[n]]
    out: dict[str, Any] = {"batch": batch, "calls_per_window": calls, "windows": windows,
                           "cost": _COST, "activation": _ACT, "jax": versions.get("jax_hvp"),
                           "limit": HV_LIMIT, "networks": []}
    for sz in sizes:
        W, B, V, x, y = _case(sz, images, labels, batch)
        calls_of = {n: PRODUCTS[n].make(W, B, V, x, y) for n in names}
        for fn in calls_of.values():  # warm-up: first calls, caches
            fn()
        cpu: dict[str, list[float]] = {n: [] for n in names}
        wall: dict[str, list[float]] = {n: [] for n in names}
        for k in range(windows):
            for n in names:
                fn = calls_of[n]
                c0, t0 = time.process_time(), time.perf_counter()
                for _ in range(calls):
                    fn()
                cpu[n].append((time.process_time() - c0) / calls)
                wall[n].append((time.perf_counter() - t0) / calls)
            if progress:
                progress(f"{'-'.join(map(str, sz))} window {k + 1}/{windows}")
        med = {n: statistics.median(v) for n, v in cpu.items()}
        ratios = {"hv_vs_gradient": med["hv"] / med["gradient"],
                  "hv_vs_two_gradients": med["hv"] / med["two_gradients"],
                  "hv_at_vs_gradient": med["hv_at"] / med["gradient"],
                  "gv_at_vs_gradient": med["gv_at"] / med["gradient"]}
        if "jax_hvp" in med:
            ratios["jax_hvp_vs_jax_gradient"] = med["jax_hvp"] / med["jax_gradient"]
            ratios["hv_vs_jax_hvp"] = med["hv"] / med["jax_hvp"]
        out["networks"].append({"sizes": list(sz), "median_cpu_seconds": med,
                                "median_wall_seconds": {n: statistics.median(v) for n, v in wall.items()},
                                "ratios": ratios, "passed": ratios["hv_vs_gradient"] <= HV_LIMIT})
    out["passed"] = all(n["passed"] for n in out["networks"])
    return out
