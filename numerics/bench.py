r"""How fast the generated kernels train, against three other ways to write the same SGD; peak memory.

Every contestant trains the same network (sigmoid neurons, quadratic cost, eq. 6; mini-batch 10,
η = 3.0, float64, the book's ch. 1 setting) from the same initial weights on the same data pipeline:
the ``uint8`` training images, gathered one mini-batch by index and scaled by
:func:`numerics.mnist.scale_pixels` (``X[idx] / 255``; torch converts its own tensor the same way).

``generated``
    :func:`numerics.train.sgd` for one epoch: the kernels printed from ``derive``
    (each mini-batch one call of the fused ``step_none`` kernel: backprop with the update rule
    composed in, one product subtracted in place per weight matrix).
``numpy``
    A hand-written vectorized reference, kept only here: what a competent engineer writes by hand,
    the matrix form of backpropagation over the mini-batch (rows are examples).
``loop``
    The book's ``network.py``: backpropagation one example at a time on column vectors, summing
    ``nabla_w``/``nabla_b`` over the mini-batch.  It is slow, so it is timed on the first
    ``loop_batches`` mini-batches of an epoch and scaled to the epoch (the result says so).
``jax``
    JAX (what a user would pick today for fast CPU training): the whole epoch is one jit-compiled
    ``lax.scan`` over the mini-batches, the gradient by ``jax.grad`` of the mean quadratic cost,
    float64, one thread (``XLA_FLAGS`` set before ``import jax``); compiled before timing; skipped when
    ``import jax`` fails.
``torch``
    PyTorch CPU autograd in eager mode (``nn.Linear`` + ``nn.Sigmoid``, ``torch.optim.SGD``), float64,
    a tensor made per batch from the same ``uint8`` gather; skipped when ``import torch`` fails.
    numpy's OpenBLAS and torch run with the same number of threads (1 by default: the matrices of
    mini-batch 10 are too small to gain from more, and on a shared machine extra threads spin).

``bound``
    Not a contestant but the floor they are measured against: the epoch's matrix products alone,
    the same shapes (z^l = a^(l-1) w^lᵀ per layer, BP2's δ^(l+1) w^(l+1), BP4's δ^lᵀ a^(l-1)) at the
    same thread count, into preallocated buffers, one mini-batch after another.  No SGD written with
    these products can be faster; each contestant's ratio to it says how much time goes elsewhere.

The timing windows interleave (bound, generated, numpy, loop, jax, torch, bound, ...), so machine
noise hits all alike, and each contestant's **median** epoch time is reported — CPU time
(``time.process_time``, every thread of the process: on a machine shared with other work a window's
wall time also counts the time spent waiting for a core; the wall times are reported beside it) — with the ratios and
the targets: generated <= 1.6 x the bound at 784-100-10 and <= 2.5 x at 784-30-10, <= 1.05 x
numpy, >= 7 x faster than the loop, >= 3 x faster than torch.  The BLAS library, its kernel
(``architecture``, e.g. an ``OPENBLAS_CORETYPE`` in the environment) and threads are reported, as
threadpoolctl sees them.  The peak memory
(``VmHWM``) of a child process that loads full MNIST and trains one epoch of the 784-100-10 ch. 3
network must stay <= 400 MB.
"""
from __future__ import annotations

import ctypes
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any, Callable

import numpy as np

from .mnist import scale_pixels

__all__ = ["bench", "CONTESTANTS", "TARGETS", "SIZES", "numpy_threads", "peak_memory"]

SIZES = ((784, 30, 10), (784, 100, 10))
ETA = 3.0
MINI_BATCH = 10
CONTESTANTS = ("bound", "generated", "numpy", "loop", "jax", "torch")
#: The generated kernels' epoch time over the bound's, at most, per network.
BOUND_LIMITS = {(784, 30, 10): 2.5, (784, 100, 10): 1.6}
#: name -> (what, limit); ratios are epoch-time ratios.
TARGETS = {"generated_vs_bound": ("generated / bound epoch time", BOUND_LIMITS[(784, 100, 10)]),
           "generated_vs_numpy": ("generated / numpy epoch time", 1.05),
           "loop_vs_generated": ("loop / generated epoch time (speed-up)", 7.0),
           "torch_vs_generated": ("torch / generated epoch time (speed-up)", 3.0),
           "peak_memory_mb": ("peak RSS of a full-MNIST training run, MB", 400.0)}


# ---------------------------------------------------------------------------------------------------
# The hand-written vectorized numpy reference (matrix form over the mini-batch; rows are examples).

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


# ---------------------------------------------------------------------------------------------------
# The book's network.py, per example on column vectors (biases are (n, 1) columns there).

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


# ---------------------------------------------------------------------------------------------------
# Threads.

def _openblas():
    """numpy's OpenBLAS as a ctypes library and its get/set-threads function names (or None)."""
    import numpy.linalg  # noqa: F401  (loads the BLAS)
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "openblas" in line.lower() and ".so" in line}
        for lib in sorted(libs):
            dll = ctypes.CDLL(lib)
            for get, put in (("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
                             ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
                             ("openblas_get_num_threads", "openblas_set_num_threads")):
                if hasattr(dll, get) and hasattr(dll, put):
                    return getattr(dll, get), getattr(dll, put)
    except OSError:
        pass
    return None


def numpy_threads(threads: int | None = None) -> int | None:
    """numpy's OpenBLAS thread count (None when it cannot be asked); set it first when ``threads``."""
    blas = _openblas()
    if blas is None:
        return None
    if threads is not None:
        blas[1](ctypes.c_int(threads))
    return int(blas[0]())


# ---------------------------------------------------------------------------------------------------
# Contestants: each ``window(seed, batches) -> seconds`` trains the first ``batches`` mini-batches
# of an epoch shuffled by ``default_rng(seed)`` (all of them when ``batches`` is None).

def _stop(batches):
    return None if batches is None else batches * MINI_BATCH


def _init(sizes, seed=0):
    rng = np.random.default_rng(seed)  # the book's "large" init, N(0, 1); same for every contestant
    weights = [rng.standard_normal((o, i)) for i, o in zip(sizes[:-1], sizes[1:])]
    biases = [rng.standard_normal(o) for o in sizes[1:]]
    return weights, biases


def _bound(sizes, images, labels, Y):
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


def _generated(sizes, images, labels, Y):
    from .network import Network
    from .train import SGD, sgd

    net = Network(list(sizes), activation="sigmoid", cost="quadratic", init="large", seed=0)
    w0, b0 = _init(sizes)
    for p, q in zip((*net.weights, *net.biases), (*w0, *b0)):
        p[...] = q

    def window(seed, batches):
        part = slice(None) if batches is None else slice(batches * MINI_BATCH)
        t = time.perf_counter()
        sgd(net, (images[part], labels[part]), SGD(1, MINI_BATCH, ETA, reg="none", seed=seed,
                                                   threads=_THREADS.get("used"), training_cost=False))
        return time.perf_counter() - t
    return window


def _numpy(sizes, images, labels, Y):
    weights, biases = _init(sizes)

    def window(seed, batches):
        t = time.perf_counter()
        order = np.random.default_rng(seed).permutation(len(images))[:_stop(batches)]
        for s in range(0, len(order), MINI_BATCH):
            idx = order[s:s + MINI_BATCH]
            numpy_step(weights, biases, scale_pixels(images[idx]), Y[idx], ETA)
        return time.perf_counter() - t
    return window


def _loop(sizes, images, labels, Y):
    w0, b0 = _init(sizes)
    state = [w0, [b[:, None] for b in b0]]

    def window(seed, batches):
        t = time.perf_counter()
        order = np.random.default_rng(seed).permutation(len(images))[:_stop(batches)]
        for s in range(0, len(order), MINI_BATCH):
            idx = order[s:s + MINI_BATCH]
            state[:] = book_update_mini_batch(*state, scale_pixels(images[idx]), Y[idx], ETA)
        return time.perf_counter() - t
    return window


def _torch(sizes, images, labels, Y):
    import torch

    w0, b0 = _init(sizes)
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


def jax_epoch(sizes):
    """``(init, epoch)``: JAX's SGD for sigmoid/quadratic, float64.  ``epoch(params, images, Y,
    batches)`` is one jit-compiled ``lax.scan`` over ``batches`` (an int array (k, m) of row indices),
    each step ``p -> p - eta * grad C(p)`` with C the mean quadratic cost of the mini-batch."""
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


def _jax(sizes, images, labels, Y):
    import jax
    import jax.numpy as jnp

    epoch = jax_epoch(sizes)
    w0, b0 = _init(sizes)
    state = [[(jnp.asarray(w), jnp.asarray(b)) for w, b in zip(w0, b0)]]
    dev_images, dev_Y = jnp.asarray(images), jnp.asarray(Y)
    full = len(images) // MINI_BATCH  # whole mini-batches (the last, shorter one is not scanned)
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


_MAKERS: dict[str, Callable] = {"bound": _bound, "generated": _generated, "numpy": _numpy,
                                "loop": _loop, "jax": _jax, "torch": _torch}
#: The BLAS thread count of the run, for the generated contestant's ``sgd(threads=...)``.
_THREADS: dict[str, int | None] = {}


def _jax_available() -> str | None:
    """JAX's version after importing it on one thread (``XLA_FLAGS``), or None when it fails."""
    if "jax" not in sys.modules:
        flags = os.environ.get("XLA_FLAGS", "")
        if "xla_cpu_multi_thread_eigen" not in flags:
            os.environ["XLA_FLAGS"] = (flags + " --xla_cpu_multi_thread_eigen=false "
                                       "intra_op_parallelism_threads=1").strip()
    try:
        import jax
        return jax.__version__
    except Exception:  # ImportError, or a broken install
        return None


def _torch_available() -> str | None:
    try:
        import torch
        return torch.__version__
    except Exception:  # ImportError, or a broken install
        return None


# ---------------------------------------------------------------------------------------------------
# Peak memory of a full-MNIST training run, in a child process.

_CHILD = r"""
import json, sys, time
from gradproof.numerics import mnist
from gradproof.numerics.train import PRESETS, train
from dataclasses import replace
data = mnist.load(sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] else None)
config = replace(PRESETS["nielsen-ch3"], epochs=int(sys.argv[2]))
t = time.perf_counter()
net, result = train(config, data)
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(json.dumps({"vmhwm_kb": hwm, "kind": data.kind, "n_training": len(data.training),
                  "preset": config.name, "sizes": list(config.sizes),
                  "epochs": config.epochs, "seconds": time.perf_counter() - t,
                  "accuracy": result["final"]["validation_accuracy"]}))
"""


def peak_memory(data: str | None = None, epochs: int = 1) -> dict[str, Any]:
    """Run a child that loads MNIST (``data`` as ``--data``) and trains the nielsen-ch3 network for
    ``epochs`` (with the per-epoch cost and accuracies); return its peak RSS (``VmHWM``), in MB."""
    proc = subprocess.run([sys.executable, "-c", _CHILD, data or "", str(epochs)],
                          capture_output=True, text=True)
    if proc.returncode:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"bench: the memory child failed: {last}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    # VmHWM, not getrusage(RUSAGE_CHILDREN).ru_maxrss: Linux carries the forked parent's peak RSS
    # across exec into ru_maxrss, so that would count this (torch-laden) process, not the child
    out["peak_rss_mb"] = out["vmhwm_kb"] / 1024
    out["measure"] = "VmHWM of the child (/proc/self/status)"
    return out


# ---------------------------------------------------------------------------------------------------

def bench(data, windows: int = 5, loop_batches: int = 500, sizes=SIZES, memory: bool = True,
          data_arg: str | None = None, threads: int | None = 1, contestants=CONTESTANTS,
          progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Time the contestants on ``data.training`` (interleaved windows) and measure peak memory.

    ``threads``: the BLAS threads of numpy (OpenBLAS, set through its API for the run and restored)
    and of torch (``torch.set_num_threads``), the same for both; None leaves numpy's as they are and
    gives torch as many.  Returns a JSON-ready dict: ``setup``, one entry per network in ``networks``
    with each contestant's window times (seconds per epoch; the loop's scaled from ``loop_batches``
    mini-batches), medians, ratios and pass/fail per target, ``memory`` and ``passed``."""
    before = numpy_threads()
    torch_before = None
    if _torch_available():
        import torch
        torch_before = torch.get_num_threads()
    try:
        used = numpy_threads(threads) if threads is not None else before
        _THREADS["used"] = used
        if torch_before is not None:
            torch.set_num_threads(used or threads or torch_before)
        from .train import blas_info
        blas = blas_info()
        result = _bench(data, windows, loop_batches, sizes, memory, data_arg, contestants, progress)
        result["setup"].update(numpy_threads=used, numpy_threads_default=before,
                               torch_threads=torch.get_num_threads() if torch_before else None,
                               blas=blas)
        return result
    finally:
        _THREADS.clear()
        if threads is not None and before is not None:
            numpy_threads(before)
        if torch_before is not None:
            torch.set_num_threads(torch_before)


def _bench(data, windows, loop_batches, sizes, memory, data_arg, contestants, progress):
    images, labels = np.asarray(data.training.images), np.asarray(data.training.labels)
    n = len(labels)
    Y = np.eye(10)[labels]
    per_epoch = -(-n // MINI_BATCH)
    loop_batches = min(loop_batches, per_epoch)
    torch_version = _torch_available() if "torch" in contestants else None
    jax_version = _jax_available() if "jax" in contestants else None
    names = [c for c in contestants if (c != "torch" or torch_version) and (c != "jax" or jax_version)]
    result: dict[str, Any] = {
        "setup": {
            "cost": "quadratic", "activation": "sigmoid", "eta": ETA, "mini_batch_size": MINI_BATCH,
            "generated_kernel": "step_none (backprop and update_none fused)",
            "dtype": "float64", "training_images": n, "data": getattr(data, "kind", None),
            "windows": windows, "statistic": "median CPU seconds (time.process_time) per epoch over interleaved "
                         "windows; the ratios and targets use these, the wall seconds are reported too",
            "load_average": list(os.getloadavg()),
            "loop_batches": loop_batches,
            "loop_note": f"the per-example loop is timed on {loop_batches} of {per_epoch} mini-batches "
                         f"per window and scaled by {per_epoch / loop_batches:g} to an epoch",
            "torch": torch_version,
            "torch_note": None if torch_version else "import torch failed: skipped",
            "jax": jax_version,
            "jax_note": ("jit, the whole epoch one lax.scan, float64, one thread" if jax_version
                         else "import jax failed: skipped"),
            "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
            "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        },
        "networks": [],
    }
    ok = True
    for sz in sizes:
        makers = {c: _MAKERS[c](sz, images, labels, Y) for c in names}
        times: dict[str, list[float]] = {c: [] for c in names}
        for c in names:  # warm-up: a short window each (first calls, caches, BLAS threads)
            makers[c](10_000, 100)
        cpu: dict[str, list[float]] = {c: [] for c in names}
        for k in range(windows):
            for c in names:
                scale = per_epoch / loop_batches if c == "loop" else 1.0
                c0 = time.process_time()
                t = makers[c](k, loop_batches if c == "loop" else None) * scale
                cpu[c].append((time.process_time() - c0) * scale)
                times[c].append(t)
                if progress:
                    progress(f"{'-'.join(map(str, sz))} window {k + 1}/{windows} {c}: {t:.3f} s/epoch "
                             f"(CPU {cpu[c][-1]:.3f} s)")
        wall = {c: statistics.median(v) for c, v in times.items()}
        # the ratios and targets use CPU time: on a shared machine a window's wall time also counts
        # the time the process waited for a core; both are reported
        med = {c: statistics.median(v) for c, v in cpu.items()}
        g = med.get("generated")
        ratios, passed, limits = {}, {}, {}
        to_bound = ({c: t / med["bound"] for c, t in med.items() if c != "bound"}
                    if med.get("bound") else {})
        if g and "generated" in to_bound and tuple(sz) in BOUND_LIMITS:
            limits["generated_vs_bound"] = BOUND_LIMITS[tuple(sz)]
            ratios["generated_vs_bound"] = to_bound["generated"]
            passed["generated_vs_bound"] = ratios["generated_vs_bound"] <= limits["generated_vs_bound"]
        if g and "jax" in med:
            ratios["jax_vs_generated"] = med["jax"] / g  # reported, no target
        if g:
            if "numpy" in med:
                ratios["generated_vs_numpy"] = g / med["numpy"]
                passed["generated_vs_numpy"] = ratios["generated_vs_numpy"] <= TARGETS["generated_vs_numpy"][1]
            if "loop" in med:
                ratios["loop_vs_generated"] = med["loop"] / g
                passed["loop_vs_generated"] = ratios["loop_vs_generated"] >= TARGETS["loop_vs_generated"][1]
            if "torch" in med:
                ratios["torch_vs_generated"] = med["torch"] / g
                passed["torch_vs_generated"] = ratios["torch_vs_generated"] >= TARGETS["torch_vs_generated"][1]
        ok = ok and all(passed.values())
        result["networks"].append({"sizes": list(sz), "epoch_seconds": times,
                                   "epoch_cpu_seconds": cpu, "median_wall_seconds": wall,
                                   "median_epoch_seconds": med, "ratios_to_bound": to_bound,
                                   "ratios": ratios, "passed": passed,
                                   "limits": {**{k: v for k, (_, v) in TARGETS.items() if k in passed},
                                              **limits}})
    if memory:
        try:
            mem = peak_memory(data_arg)
            mem["target_mb"] = TARGETS["peak_memory_mb"][1]
            mem["passed"] = mem["peak_rss_mb"] <= mem["target_mb"] if mem["kind"] == "full" else None
            if mem["kind"] != "full":
                mem["note"] = "not full MNIST: the 400 MB target applies to a full-MNIST run"
        except RuntimeError as exc:
            mem = {"error": str(exc), "passed": False}
        result["memory"] = mem
        ok = ok and mem["passed"] is not False
    result["targets"] = {k: {"what": what, "limit": v} for k, (what, v) in TARGETS.items()}
    result["targets"]["generated_vs_bound"]["limit_by_network"] = {
        "-".join(map(str, k)): v for k, v in BOUND_LIMITS.items()}
    result["passed"] = ok
    return result
