"""gradproof's numerics: kernels generated from derive's proved expressions, a network that runs
them, gradient checks, MNIST and training.

Names are imported on first use (Scientific Python's SPEC 1, as :mod:`gradproof.reports` does), so
that reading MNIST (``numerics.mnist``) or a file (``numerics.fileio``) loads neither SymPy nor the
book.  ``numerics.testing`` (hypothesis strategies and assertions for tests) is not named here.
"""
from __future__ import annotations

import importlib

__all__ = ["Network", "kernels", "kernel_source", "check_gradients", "central_difference",
           "complex_step", "GradientMismatch", "COMPLEX_STEP_RTOL", "CENTRAL_RTOL",
           "load_mnist", "DataError", "PRESETS", "SGD", "run", "sgd"]

#: The module of each public name, and the name it has there.
_WHERE = {
    "kernel_source": ("codegen", "kernel_source"), "kernels": ("codegen", "kernels"),
    **{n: ("gradcheck", n) for n in ["CENTRAL_RTOL", "COMPLEX_STEP_RTOL", "GradientMismatch",
                                     "central_difference", "check_gradients", "complex_step"]},
    "DataError": ("mnist", "DataError"), "load_mnist": ("mnist", "load"),
    "Network": ("network", "Network"),
    **{n: ("train", n) for n in ["PRESETS", "SGD", "run", "sgd"]},
}
assert set(_WHERE) == set(__all__), "every public name has one module"


def __getattr__(name: str):
    if name in _WHERE:
        module, attr = _WHERE[name]
        return getattr(importlib.import_module(f".{module}", __name__), attr)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
