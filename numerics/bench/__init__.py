r"""How fast the generated kernels train, against other ways to write the same SGD; peak memory.

``gradproof bench`` in five parts (the fifth, :mod:`.products`, times one Hessian-vector product
against gradients on one mini-batch): :mod:`.contestants`, the table of ways to train one epoch of the
book's ch. 1 network (the bound of the matrix products alone, the generated kernels, hand-written
numpy, the book's per-example loop, JAX, PyTorch); :mod:`.threads`, which puts numpy's OpenBLAS,
torch and JAX on the same number of threads; :mod:`.memory`, the peak memory of a full-MNIST
training run in a child process; and :mod:`.run`, the runner (:func:`bench`): interleaved timing
windows, medians of CPU time, the ratios against the targets.  :mod:`.claims` measures the
claims' targets (a LaTeX verify against a plain one, a cold 100-display notes file).
"""
from __future__ import annotations

from .claims import bench_claims
from .contestants import CONTESTANTS
from .memory import peak_memory
from .products import HV_LIMIT, PRODUCTS, bench_products
from .run import BOUND_LIMITS, SIZES, TARGETS, bench
from .threads import numpy_threads

__all__ = ["bench", "CONTESTANTS", "TARGETS", "BOUND_LIMITS", "SIZES", "numpy_threads", "peak_memory",
           "bench_products", "PRODUCTS", "HV_LIMIT", "bench_claims"]
