"""numerics.bench.run: the medians, ratios and verdicts follow from the window times it records, a
contestant whose library is missing is skipped and said so, and the threads come back."""
from __future__ import annotations

import statistics
from types import SimpleNamespace

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from gradproof.numerics.bench import run
from gradproof.numerics.bench.contestants import CONTESTANTS, Contestant


def _data(n=120, n_in=30, seed=0):
    rng = np.random.default_rng(seed)
    training = SimpleNamespace(images=rng.integers(0, 256, (n, n_in), dtype=np.uint8),
                               labels=rng.integers(0, 10, n).astype(np.uint8))
    return SimpleNamespace(training=training, kind="tiny")


def _blas_threads():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def test_the_result_follows_from_the_recorded_windows(monkeypatch):
    monkeypatch.setitem(CONTESTANTS, "absent", Contestant(CONTESTANTS["numpy"].make, lambda: None))
    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        result = run.bench(_data(), windows=3, loop_batches=4, sizes=((30, 6, 10), (30, 5, 10)),
                           memory=False, threads=1,
                           contestants=("bound", "generated", "numpy", "loop", "absent"))
        assert _blas_threads() == before  # restored
    setup = result["setup"]
    assert setup["training_images"] == 120 and setup["loop_batches"] == 4 and setup["windows"] == 3
    assert setup["loop_note"].endswith("scaled by 3 to an epoch")  # 12 mini-batches, 4 timed
    if setup["numpy_threads"] is not None:
        assert setup["numpy_threads"] == 1 and setup["numpy_threads_default"] == 2
    for net in result["networks"]:
        assert list(net["epoch_cpu_seconds"]) == ["bound", "generated", "numpy", "loop"]  # absent: skipped
        med = {c: statistics.median(v) for c, v in net["epoch_cpu_seconds"].items()}
        wall = {c: statistics.median(v) for c, v in net["epoch_seconds"].items()}
        assert net["median_epoch_seconds"] == med and net["median_wall_seconds"] == wall
        assert all(len(v) == 3 for v in net["epoch_seconds"].values())
        assert net["ratios_to_bound"] == pytest.approx({c: med[c] / med["bound"]
                                                        for c in ("generated", "numpy", "loop")})
        assert net["ratios"] == pytest.approx({"generated_vs_numpy": med["generated"] / med["numpy"],
                                               "loop_vs_generated": med["loop"] / med["generated"]})
        assert net["passed"] == {"generated_vs_numpy": med["generated"] / med["numpy"] <= 1.05,
                                 "loop_vs_generated": med["loop"] / med["generated"] >= 7.0}
    assert result["passed"] == all(all(n["passed"].values()) for n in result["networks"])
    assert "memory" not in result and set(result["targets"]) == set(run.TARGETS)


def _fake_windows(cpu: dict[str, float]):
    return {c: [t] for c, t in cpu.items()}


@pytest.mark.parametrize("sizes, generated, passes", [
    ((784, 30, 10), 2.5, True), ((784, 30, 10), 2.6, False),
    ((784, 100, 10), 1.6, True), ((784, 100, 10), 1.7, False)])
def test_the_bound_limit_is_the_network_s_own(sizes, generated, passes):
    cpu = _fake_windows({"bound": 1.0, "generated": generated, "numpy": generated, "loop": 8 * generated,
                         "jax": 1.0, "torch": 4 * generated})
    net = run._compare(sizes, cpu, cpu)
    assert net["limits"]["generated_vs_bound"] == run.BOUND_LIMITS[sizes]
    assert net["passed"] == {"generated_vs_bound": passes, "generated_vs_numpy": True,
                             "loop_vs_generated": True, "torch_vs_generated": True}
    assert net["ratios"]["jax_vs_generated"] == 1.0 / generated and "jax_vs_generated" not in net["passed"]


def test_without_the_bound_there_are_no_ratios_to_it():
    cpu = _fake_windows({"generated": 1.0, "torch": 2.0})
    net = run._compare((784, 30, 10), cpu, cpu)
    assert net["ratios_to_bound"] == {} and net["ratios"] == {"torch_vs_generated": 2.0}
    assert net["passed"] == {"torch_vs_generated": False}


def test_a_failing_memory_child_fails_the_run(monkeypatch):
    def fail(data_arg):
        raise RuntimeError("bench: the memory child failed: boom")
    monkeypatch.setattr(run, "peak_memory", fail)
    result = run.bench(_data(), windows=1, loop_batches=1, sizes=((30, 5, 10),), memory=True,
                       contestants=("bound",))
    assert result["memory"] == {"error": "bench: the memory child failed: boom", "passed": False}
    assert result["passed"] is False


@pytest.mark.parametrize("given, kind, path, child", [
    (None, "sample", None, "sample"),                 # the parent fell back to the sample
    (None, "full", "/data/mnist", "/data/mnist"),     # the folder the parent's search found
    ("sample", "sample", None, "sample"),             # --data as given
])
def test_the_memory_child_loads_what_the_parent_loaded(monkeypatch, given, kind, path, child):
    seen = []
    monkeypatch.setattr(run, "peak_memory", lambda data_arg: seen.append(data_arg) or {
        "peak_rss_mb": 1.0, "kind": kind})
    data = _data()
    data.kind, data.path = kind, path
    run.bench(data, windows=1, loop_batches=1, sizes=((30, 5, 10),), memory=True, data_arg=given,
              contestants=("bound",))
    assert seen == [child]
