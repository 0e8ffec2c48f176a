"""The benchmark's thread control: numpy's OpenBLAS, torch and JAX on the same number of threads.

numpy's OpenBLAS is set through its own API (ctypes: :func:`numpy_threads`), torch through
``torch.set_num_threads``, both for the run and restored afterwards (:func:`pinned`); JAX reads its
threads from ``XLA_FLAGS`` once, at import, so :func:`jax_version` sets one thread before the first
``import jax``.  One thread is the default of ``gradproof bench``: the matrices of mini-batch 10 are
too small to gain from more, and on a shared machine extra threads spin.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from typing import Any, Iterator

__all__ = ["numpy_threads", "pinned", "jax_version", "torch_version"]


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


def jax_version() -> str | None:
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


def torch_version() -> str | None:
    """torch's version, or None when it does not import."""
    try:
        import torch
        return torch.__version__
    except Exception:  # ImportError, or a broken install
        return None


@contextlib.contextmanager
def pinned(threads: int | None) -> Iterator[dict[str, Any]]:
    """numpy's OpenBLAS and torch (when it imports) on ``threads`` threads for the block, the same
    for both, restored afterwards; None leaves numpy's as they are and gives torch as many.

    Yields what the run's setup reports: ``numpy_threads`` (the count now), ``numpy_threads_default``
    (before), ``torch_threads`` (None without torch)."""
    before = numpy_threads()
    torch = None
    if torch_version():
        import torch
    torch_before = torch.get_num_threads() if torch is not None else None
    try:
        used = numpy_threads(threads) if threads is not None else before
        if torch is not None:
            torch.set_num_threads(used or threads or torch_before)
        yield {"numpy_threads": used, "numpy_threads_default": before,
               "torch_threads": torch.get_num_threads() if torch is not None else None}
    finally:
        if threads is not None and before is not None:
            numpy_threads(before)
        if torch is not None:
            torch.set_num_threads(torch_before)
