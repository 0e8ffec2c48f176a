r"""Hypothesis strategies and assertions for tests of gradproof's numerics (a test-only module).

Strategies fill arguments by meaning: :func:`architectures` (layer widths), :func:`parameters`
(weights and biases for an architecture), :func:`inputs` (rows in [0, 1]), :func:`targets` (one-hot
rows for ``log_likelihood``, values in [0, 1] for the other costs) and :func:`cases`, which draws a
whole ``(net, X, Y)``.  :func:`assert_gradients_match` compares a gradient with a numeric one through
:mod:`numerics.gradcheck` and fails with both numbers and where they differ.

``numerics`` does not import this module (it imports hypothesis).
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from . import codegen
from .gradcheck import Comparison, GradientMismatch, check_gradients
from .network import Network

__all__ = ["activations", "costs", "regs", "architectures", "parameters", "inputs", "targets",
           "cases", "away_from_kinks", "assert_gradients_match", "assert_allclose_rel"]


def activations() -> st.SearchStrategy[str]:
    """A hidden-layer activation name: sigmoid, tanh or relu."""
    return st.sampled_from(codegen.ACTIVATION_NAMES)


def costs() -> st.SearchStrategy[str]:
    """A cost name: quadratic, cross_entropy or log_likelihood."""
    return st.sampled_from(codegen.COST_NAMES)


def regs() -> st.SearchStrategy[str]:
    """A regularization: none, l2 or l1."""
    return st.sampled_from(codegen.REGS)


def architectures(min_layers: int = 2, max_layers: int = 4, max_width: int = 5,
                  min_output: int = 1) -> st.SearchStrategy[list[int]]:
    """Layer widths ``[n_in, ..., n_out]``: ``min_layers``..``max_layers`` layers of 1..``max_width``
    neurons (the output layer at least ``min_output``; use 2 for a softmax that is not trivial)."""
    def build(hidden: list[int], out: int) -> list[int]:
        return hidden + [out]
    return st.builds(build, st.lists(st.integers(1, max_width), min_size=min_layers - 1,
                                     max_size=max_layers - 1),
                     st.integers(min_output, max_width))


def _floats(bound: float) -> st.SearchStrategy[float]:
    return st.floats(-bound, bound, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def parameters(sizes: Sequence[int], bound: float = 1.0,
               dtype=np.float64) -> st.SearchStrategy[tuple[list[np.ndarray], list[np.ndarray]]]:
    """``(weights, biases)`` for ``sizes``: weights[i] (sizes[i+1], sizes[i]), biases[i]
    (sizes[i+1],), entries in [-bound, bound]."""
    ws = [arrays(dtype, (o, i), elements=_floats(bound)) for i, o in zip(sizes[:-1], sizes[1:])]
    bs = [arrays(dtype, (o,), elements=_floats(bound)) for o in sizes[1:]]
    return st.tuples(st.tuples(*ws).map(list), st.tuples(*bs).map(list))


def inputs(n_in: int, m: int, dtype=np.float64) -> st.SearchStrategy[np.ndarray]:
    """A mini-batch X of ``m`` rows of ``n_in`` values in [0, 1] (like MNIST pixels)."""
    return arrays(dtype, (m, n_in), elements=st.floats(0, 1, allow_subnormal=False))


def targets(cost: str, n_out: int, m: int, dtype=np.float64) -> st.SearchStrategy[np.ndarray]:
    """Desired outputs Y (m, n_out): one-hot rows for ``log_likelihood``, values in [0, 1] else."""
    if cost == "log_likelihood":
        return st.lists(st.integers(0, n_out - 1), min_size=m, max_size=m).map(
            lambda labels: np.eye(n_out, dtype=dtype)[labels].reshape(m, n_out))
    return arrays(dtype, (m, n_out), elements=st.floats(0, 1, allow_subnormal=False))


def away_from_kinks(net: Network, X: np.ndarray, margin: float = 0.02, reg: str = "none") -> bool:
    """True unless a ReLU input z or (with ``reg="l1"``) a weight lies within ``margin`` of 0,
    where the numeric derivatives are meaningless.  Use with ``hypothesis.assume``."""
    if reg == "l1" and any(np.abs(w).min() < margin for w in net.weights):
        return False
    if net.activation != "relu":
        return True
    k = net.kernels
    return all(np.abs(k.weighted_output(net.weights[:i + 1], net.biases[:i + 1], X)).min() >= margin
               for i in range(net.num_layers - 2))


@st.composite
def cases(draw, sizes: Sequence[int] | None = None, activation: str | None = None,
          cost: str | None = None, max_batch: int = 4, bound: float = 1.0, kink_margin: float = 0.02,
          reg: str = "none"):
    """``(net, X, Y)``: a :class:`Network` with drawn parameters, X (m, n_in) in [0, 1] and
    targets Y for its cost; cases near a ReLU (or, with ``reg="l1"``, an |w|) kink are rejected."""
    sizes = list(sizes) if sizes is not None else draw(architectures(min_output=2))
    activation = activation or draw(activations())
    cost = cost or draw(costs())
    m = draw(st.integers(1, max_batch))
    net = Network(sizes, activation=activation, cost=cost, seed=0)
    weights, biases = draw(parameters(sizes, bound))
    for target, value in zip(net.weights + net.biases, weights + biases):
        target[...] = value
    X = draw(inputs(sizes[0], m))
    assume(away_from_kinks(net, X, kink_margin, reg))
    return net, X, draw(targets(cost, sizes[-1], m))


def assert_gradients_match(f: Callable, grad_f: Callable | Sequence[np.ndarray], params,
                           method: str = "complex", rtol: float | None = None,
                           names: Sequence[str] | None = None) -> Comparison:
    """Assert that ``grad_f`` (arrays, or a callable on ``params``) is the gradient of ``f``.

    ``method="complex"`` (``f`` must accept complex parameters) or ``"central"``; ``rtol`` defaults
    to :func:`numerics.gradcheck.default_rtol`.  Raises :class:`~numerics.gradcheck.GradientMismatch`
    (an ``AssertionError``) naming the worst component — block, index, both values — and every
    block's error; returns the :class:`~numerics.gradcheck.Comparison` when they agree.
    """
    cmp = check_gradients(f, grad_f, params, method, rtol, names)
    if not cmp.passed:
        raise GradientMismatch(cmp)
    return cmp


def assert_allclose_rel(actual, desired, rtol: float, what: str = "values") -> None:
    """Componentwise ``|actual - desired| <= rtol * max(|actual|, |desired|, 1e-300)``, with a
    message that shows the worst index and both numbers."""
    actual, desired = np.asarray(actual), np.asarray(desired)
    if actual.shape != desired.shape:
        raise AssertionError(f"{what}: shapes differ, {actual.shape} vs {desired.shape}")
    err = np.abs(actual - desired) / np.maximum(np.maximum(np.abs(actual), np.abs(desired)), 1e-300)
    err = np.where(actual == desired, 0.0, err)  # equal infinities
    if err.size and not err.max() <= rtol:
        i = np.unravel_index(np.nanargmax(np.where(np.isnan(err), np.inf, err)), err.shape)
        raise AssertionError(f"{what} differ at {tuple(int(k) for k in i)}: {actual[i].item()!r} vs "
                             f"{desired[i].item()!r}, relative error {err[i]:.3g} > {rtol:.3g}")
