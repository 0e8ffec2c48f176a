r"""``c -= a @ b`` in place with one BLAS call, for the SGD step's weight update.

The update :math:`w^l \to w^l - (\eta/m)(\Delta^l)^T A^{l-1}` written ``w -= delta_eta.T @ a`` makes a
temporary of w's size (the product) and then a second pass over w to subtract it; at 784-100-10 that
pass is as slow as a third of the product.  BLAS's gemm computes :math:`C \leftarrow \alpha AB + \beta
C` in one pass, so :func:`subtract_product` calls it with :math:`\alpha = -1`, :math:`\beta = 1`
straight into ``c``.

Same bits: for a product whose inner dimension (the mini-batch) fits one block of the BLAS kernel
(``k <= MAX_INNER``) OpenBLAS forms each entry of ``a @ b`` in registers and adds it to C once, so
``c - (a @ b)`` is rounded exactly as numpy's ``c -= a @ b`` rounds it (numpy calls the same gemm
with β = 0, then subtracts).  Anything else — another BLAS, another dtype, a layout gemm cannot take
as it is, a small matrix (:data:`MIN_SIZE`, where the call costs more than the pass it saves) —
falls back to ``c -= a @ b``.  The library is the OpenBLAS numpy loaded (as threadpoolctl finds it).
"""
from __future__ import annotations

import ctypes
import functools

import numpy as np

__all__ = ["subtract_product", "available", "MIN_SIZE", "MAX_INNER"]

#: Below this many entries of c, numpy's ``c -= a @ b`` is as fast (the call's overhead dominates).
MIN_SIZE = 40_000
#: The largest inner dimension for which gemm's one pass rounds as numpy's product-then-subtract.
MAX_INNER = 128
_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112


@functools.lru_cache(maxsize=None)
def _gemm():
    """numpy's OpenBLAS ``cblas_dgemm`` (ILP64 or not) as a ctypes function, or None."""
    try:
        from threadpoolctl import threadpool_info

        libs = [i for i in threadpool_info()
                if i.get("user_api") == "blas" and i.get("internal_api") == "openblas"]
        for info in libs:
            dll = ctypes.CDLL(info["filepath"])
            for name, int_t in (("scipy_cblas_dgemm64_", ctypes.c_int64),
                                ("cblas_dgemm64_", ctypes.c_int64),
                                ("scipy_cblas_dgemm", ctypes.c_int), ("cblas_dgemm", ctypes.c_int)):
                fn = getattr(dll, name, None)
                if fn is None:
                    continue
                fn.restype = None
                fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, int_t, int_t, int_t,
                               ctypes.c_double, ctypes.c_void_p, int_t, ctypes.c_void_p, int_t,
                               ctypes.c_double, ctypes.c_void_p, int_t]
                return fn
    except Exception:  # noqa: BLE001 - no threadpoolctl, no library, no symbol: numpy it is
        return None
    return None


def available() -> bool:
    """True when :func:`subtract_product` can call gemm (numpy's BLAS is OpenBLAS with cblas)."""
    return _gemm() is not None


def _operand(x: np.ndarray):
    """(pointer, transposed?, leading dimension) of a 2-D float64 operand gemm can read as it is."""
    if x.flags.c_contiguous:
        return x.ctypes.data, _NO_TRANS, x.shape[1]
    if x.flags.f_contiguous:  # the transpose of a C-contiguous array, e.g. delta.T
        return x.ctypes.data, _TRANS, x.shape[0]
    return None


def subtract_product(c: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    r"""``c -= a @ b`` in place: c (M, N), a (M, K), b (K, N); one gemm :math:`C \leftarrow C - AB`
    when it gives the same bits (see the module docstring), else numpy's ``c -= a @ b``."""
    gemm = _gemm()
    if (gemm is None or c.size < MIN_SIZE or c.dtype != np.float64 or a.dtype != np.float64
            or b.dtype != np.float64 or c.ndim != 2 or a.ndim != 2 or b.ndim != 2
            or not c.flags.c_contiguous or not c.flags.writeable
            or a.shape[1] != b.shape[0] or c.shape != (a.shape[0], b.shape[1])
            or a.shape[1] > MAX_INNER or a.shape[1] == 0):
        c -= a @ b
        return
    pa, pb = _operand(a), _operand(b)
    if pa is None or pb is None or np.shares_memory(c, a) or np.shares_memory(c, b):
        c -= a @ b
        return
    (m, k), n = a.shape, b.shape[1]
    gemm(_ROW_MAJOR, pa[1], pb[1], m, n, k, -1.0, pa[0], pa[2], pb[0], pb[2], 1.0, c.ctypes.data, n)
