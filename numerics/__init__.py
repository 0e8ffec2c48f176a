"""gradproof's numerics: kernels generated from derive's proved expressions, a network that runs
them, gradient checks, MNIST and training.

``numerics.testing`` (hypothesis strategies and assertions for tests) is not imported here.
"""
from __future__ import annotations

from .codegen import kernel_source, kernels
from .gradcheck import (CENTRAL_RTOL, COMPLEX_STEP_RTOL, GradientMismatch, central_difference,
                        check_gradients, complex_step)
from .mnist import DataError, load as load_mnist
from .network import Network
from .train import PRESETS, SGD, run, sgd

__all__ = ["Network", "kernels", "kernel_source", "check_gradients", "central_difference",
           "complex_step", "GradientMismatch", "COMPLEX_STEP_RTOL", "CENTRAL_RTOL",
           "load_mnist", "DataError", "PRESETS", "SGD", "run", "sgd"]
