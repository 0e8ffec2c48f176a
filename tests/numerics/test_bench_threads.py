"""numerics.bench.threads: the thread counts it sets are the ones threadpoolctl sees, and they come back."""
from __future__ import annotations

import os
import sys

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from gradproof.numerics.bench.threads import jax_version, numpy_threads, pinned, torch_version


def _blas_threads() -> list[int]:
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


needs_openblas = pytest.mark.skipif(numpy_threads() is None, reason="numpy's BLAS is not an OpenBLAS")


@needs_openblas
def test_numpy_threads_sets_what_threadpoolctl_reads():
    with threadpool_limits(limits=2, user_api="blas"):
        assert numpy_threads() == 2 == _blas_threads()[0]
        assert numpy_threads(1) == 1 and _blas_threads()[0] == 1
    assert numpy_threads() == _blas_threads()[0]


@needs_openblas
def test_pinned_sets_the_threads_and_restores_them_even_on_an_error():
    with threadpool_limits(limits=2, user_api="blas"):
        with pytest.raises(RuntimeError, match="inside"):
            with pinned(1) as counts:
                assert counts["numpy_threads"] == 1 and counts["numpy_threads_default"] == 2
                assert _blas_threads()[0] == 1
                if torch_version():
                    import torch
                    assert counts["torch_threads"] == torch.get_num_threads() == 1
                else:
                    assert counts["torch_threads"] is None
                raise RuntimeError("inside")
        assert _blas_threads()[0] == 2


@needs_openblas
def test_pinned_none_leaves_numpy_as_it_is():
    with threadpool_limits(limits=2, user_api="blas"):
        with pinned(None) as counts:
            assert counts["numpy_threads"] == counts["numpy_threads_default"] == 2 == _blas_threads()[0]


@pytest.mark.parametrize("before", [None, "--xla_dump_to=/tmp/x"])
def test_jax_is_imported_on_one_thread(monkeypatch, before):
    if "jax" in sys.modules:
        pytest.skip("jax is imported already: its threads were fixed then")
    if before is None:
        monkeypatch.delenv("XLA_FLAGS", raising=False)
    else:
        monkeypatch.setenv("XLA_FLAGS", before)
    version = jax_version()  # None when jax is not installed: the flags are set all the same
    flags = os.environ["XLA_FLAGS"].split()
    assert "--xla_cpu_multi_thread_eigen=false" in flags and "intra_op_parallelism_threads=1" in flags
    assert before is None or flags[0] == before  # what was there is kept
    assert version is None or version == sys.modules["jax"].__version__
