"""gradproof's numerics: kernels generated from derive's proved expressions, a network that runs
them, gradient checks, MNIST and training.

Names are imported on first use (Scientific Python's SPEC 1, as :mod:`gradproof.reports` does), so
that reading MNIST (``numerics.mnist``) or a file (``numerics.fileio``) loads neither SymPy nor the
book.  ``numerics.testing`` (hypothesis strategies and assertions for tests) is not named here.
"""
from __future__ import annotations

from gradproof.derive.core.lazy import attach

__all__ = ["Network", "kernels", "kernel_source", "check_gradients", "central_difference",
           "complex_step", "GradientMismatch", "COMPLEX_STEP_RTOL", "CENTRAL_RTOL",
           "load_mnist", "DataError", "PRESETS", "SGD", "run", "sgd"]

#: The module of each public name (and the name it has there, when it differs).
_WHERE = {
    **dict.fromkeys(["kernel_source", "kernels"], "codegen"),
    **dict.fromkeys(["CENTRAL_RTOL", "COMPLEX_STEP_RTOL", "GradientMismatch", "central_difference",
                     "check_gradients", "complex_step"], "gradcheck"),
    "DataError": "mnist", "load_mnist": ("mnist", "load"),
    "Network": "network",
    **dict.fromkeys(["PRESETS", "SGD", "run", "sgd"], "train"),
}
assert set(_WHERE) == set(__all__), "every public name has one module"

__getattr__, __dir__ = attach(__name__, _WHERE)
