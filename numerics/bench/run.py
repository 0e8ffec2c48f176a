r"""The benchmark's runner: interleaved timing windows, medians, ratios against the targets, memory.

The timing windows interleave (bound, generated, numpy, loop, jax, torch, bound, ...; the
contestants of :mod:`.contestants`), so machine noise hits all alike, and each contestant's
**median** epoch time is reported — CPU time (``time.process_time``, every thread of the process: on
a machine shared with other work a window's wall time also counts the time spent waiting for a core;
the wall times are reported beside it) — with the ratios and the targets (:data:`TARGETS`):
generated <= 1.6 x the bound at 784-100-10 and <= 2.5 x at 784-30-10, <= 1.05 x numpy, >= 7 x
faster than the loop, >= 3 x faster than torch.  The BLAS library, its kernel (``architecture``,
e.g. an ``OPENBLAS_CORETYPE`` in the environment) and threads are reported, as threadpoolctl sees
them.  The peak memory of a child that loads full MNIST and trains one epoch of the 784-100-10 ch. 3
network (:mod:`.memory`) must stay <= 400 MB.
"""
from __future__ import annotations

import os
import statistics
import time
from typing import Any, Callable

import numpy as np

from ..train import blas_info
from .contestants import CONTESTANTS, ETA, MINI_BATCH
from .memory import peak_memory
from .threads import pinned

__all__ = ["bench", "SIZES", "TARGETS", "BOUND_LIMITS"]

SIZES = ((784, 30, 10), (784, 100, 10))
#: The generated kernels' epoch time over the bound's, at most, per network.
BOUND_LIMITS = {(784, 30, 10): 2.5, (784, 100, 10): 1.6}
#: name -> (what, limit); ratios are epoch-time ratios.
TARGETS = {"generated_vs_bound": ("generated / bound epoch time", BOUND_LIMITS[(784, 100, 10)]),
           "generated_vs_numpy": ("generated / numpy epoch time", 1.05),
           "loop_vs_generated": ("loop / generated epoch time (speed-up)", 7.0),
           "torch_vs_generated": ("torch / generated epoch time (speed-up)", 3.0),
           "peak_memory_mb": ("peak RSS of a full-MNIST training run, MB", 400.0)}


def bench(data, windows: int = 5, loop_batches: int = 500, sizes=SIZES, memory: bool = True,
          data_arg: str | None = None, threads: int | None = 1, contestants=tuple(CONTESTANTS),
          progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Time the contestants on ``data.training`` (interleaved windows) and measure peak memory.

    ``threads``: the BLAS threads of numpy (OpenBLAS, set through its API for the run and restored)
    and of torch (``torch.set_num_threads``), the same for both; None leaves numpy's as they are and
    gives torch as many.  Returns a JSON-ready dict: ``setup``, one entry per network in ``networks``
    with each contestant's window times (seconds per epoch; the loop's scaled from ``loop_batches``
    mini-batches), medians, ratios and pass/fail per target, ``memory`` and ``passed``."""
    with pinned(threads) as counts:
        blas = blas_info()
        images, labels = np.asarray(data.training.images), np.asarray(data.training.labels)
        per_epoch = -(-len(labels) // MINI_BATCH)
        loop_batches = min(loop_batches, per_epoch)
        versions = {c: CONTESTANTS[c].version() for c in contestants}
        result: dict[str, Any] = {"setup": _setup(data, windows, loop_batches, per_epoch, versions),
                                  "networks": []}
        names = [c for c in contestants if versions[c]]
        for sz in sizes:
            times, cpu = _windows(sz, images, labels, names, windows, loop_batches, per_epoch,
                                  counts["numpy_threads"], progress)
            result["networks"].append(_compare(sz, times, cpu))
        if memory:  # the child loads what this process loaded (the sample it fell back to, say)
            result["memory"] = _memory(data_arg or _loaded(data))
        result["setup"].update(counts, blas=blas)
    result["targets"] = {k: {"what": what, "limit": v} for k, (what, v) in TARGETS.items()}
    result["targets"]["generated_vs_bound"]["limit_by_network"] = {
        "-".join(map(str, k)): v for k, v in BOUND_LIMITS.items()}
    result["passed"] = (all(all(net["passed"].values()) for net in result["networks"])
                        and result.get("memory", {}).get("passed") is not False)
    return result


def _setup(data, windows: int, loop_batches: int, per_epoch: int, versions: dict) -> dict[str, Any]:
    """What was run, on what: the network, the statistic, the libraries and the environment."""
    torch_version, jax_version = versions.get("torch"), versions.get("jax")
    return {
        "cost": "quadratic", "activation": "sigmoid", "eta": ETA, "mini_batch_size": MINI_BATCH,
        "generated_kernel": "step_none (backprop and update_none fused)",
        "dtype": "float64", "training_images": len(data.training.labels),
        "data": getattr(data, "kind", None),
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
    }


def _windows(sizes, images, labels, names, windows: int, loop_batches: int, per_epoch: int,
             threads: int | None, progress) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """``(wall, cpu)``: each contestant's seconds per epoch in each of ``windows`` interleaved
    windows, after a short warm-up window each (first calls, caches, BLAS threads); the loop's
    window of ``loop_batches`` mini-batches is scaled to the epoch."""
    Y = np.eye(10)[labels]
    makers = {c: CONTESTANTS[c].make(sizes, images, labels, Y, threads) for c in names}
    for c in names:
        makers[c](10_000, 100)
    times: dict[str, list[float]] = {c: [] for c in names}
    cpu: dict[str, list[float]] = {c: [] for c in names}
    for k in range(windows):
        for c in names:
            scale = per_epoch / loop_batches if c == "loop" else 1.0
            c0 = time.process_time()
            t = makers[c](k, loop_batches if c == "loop" else None) * scale
            cpu[c].append((time.process_time() - c0) * scale)
            times[c].append(t)
            if progress:
                progress(f"{'-'.join(map(str, sizes))} window {k + 1}/{windows} {c}: {t:.3f} s/epoch "
                         f"(CPU {cpu[c][-1]:.3f} s)")
    return times, cpu


def _compare(sizes, times: dict[str, list[float]], cpu: dict[str, list[float]]) -> dict[str, Any]:
    """One network's entry: the window times, their medians, each contestant's ratio to the bound
    and the ratios with targets, pass or fail (a ratio is reported only when both sides ran)."""
    wall = {c: statistics.median(v) for c, v in times.items()}
    # the ratios and targets use CPU time: on a shared machine a window's wall time also counts
    # the time the process waited for a core; both are reported
    med = {c: statistics.median(v) for c, v in cpu.items()}
    g = med.get("generated")
    ratios, passed, limits = {}, {}, {}
    to_bound = ({c: t / med["bound"] for c, t in med.items() if c != "bound"}
                if med.get("bound") else {})
    if g and "generated" in to_bound and tuple(sizes) in BOUND_LIMITS:
        limits["generated_vs_bound"] = BOUND_LIMITS[tuple(sizes)]
        ratios["generated_vs_bound"] = to_bound["generated"]
        passed["generated_vs_bound"] = ratios["generated_vs_bound"] <= limits["generated_vs_bound"]
    if g and "jax" in med:
        ratios["jax_vs_generated"] = med["jax"] / g  # reported, no target
    if g:
        for key, (num, den, at_most) in {"generated_vs_numpy": ("generated", "numpy", True),
                                         "loop_vs_generated": ("loop", "generated", False),
                                         "torch_vs_generated": ("torch", "generated", False)}.items():
            if num in med and den in med:
                ratios[key] = med[num] / med[den]
                limit = TARGETS[key][1]
                passed[key] = ratios[key] <= limit if at_most else ratios[key] >= limit
    return {"sizes": list(sizes), "epoch_seconds": times, "epoch_cpu_seconds": cpu,
            "median_wall_seconds": wall, "median_epoch_seconds": med, "ratios_to_bound": to_bound,
            "ratios": ratios, "passed": passed,
            "limits": {**{k: v for k, (_, v) in TARGETS.items() if k in passed}, **limits}}


def _loaded(data) -> str | None:
    """``--data`` for what ``data`` is: ``sample`` for the bundled sample, else its folder (None:
    let the child search as this process did)."""
    if getattr(data, "kind", None) == "sample":
        return "sample"
    path = getattr(data, "path", None)
    return str(path) if path else None


def _memory(data_arg: str | None) -> dict[str, Any]:
    """The memory child's measure against its target (the target holds for full MNIST only)."""
    try:
        mem = peak_memory(data_arg)
    except RuntimeError as exc:
        return {"error": str(exc), "passed": False}
    mem["target_mb"] = TARGETS["peak_memory_mb"][1]
    mem["passed"] = mem["peak_rss_mb"] <= mem["target_mb"] if mem["kind"] == "full" else None
    if mem["kind"] != "full":
        mem["note"] = "not full MNIST: the 400 MB target applies to a full-MNIST run"
    return mem
