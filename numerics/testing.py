r"""Property-testing gradients: :func:`assert_gradients_match`, and hypothesis strategies.

:func:`assert_gradients_match` compares a gradient with a numeric one through
:mod:`numerics.gradcheck` and fails with both numbers, both tolerances and where they differ.  It
takes plain callables on numpy arrays, so it checks a gradient whatever wrote it: your numpy code,
PyTorch's autograd, JAX (the README shows the adapters).  It needs only numpy.

The strategies fill arguments by meaning: :func:`architectures` (layer widths), :func:`parameters`
(weights and biases for an architecture), :func:`inputs` (rows in [0, 1]), :func:`targets` (one-hot
rows for ``log_likelihood``, values in [0, 1] for the other costs) and :func:`cases`, which draws a
whole ``(net, X, Y)``.  They need hypothesis (``pip install 'gradproof[hypothesis]'``); without it,
calling one raises an ImportError that says so.  :func:`away_from_kinks` is a plain predicate.

``numerics`` does not import this module.
"""
from __future__ import annotations

import warnings
from typing import Callable, Sequence

import numpy as np

from . import codegen
from .checks import near_kink
from .gradcheck import DIRECTIONS, Comparison, GradientMismatch, check_gradients
from .network import Network

try:  # optional: only the strategies need it
    from hypothesis import assume
    from hypothesis import strategies as st
    from hypothesis.extra.numpy import arrays
except ImportError:  # pragma: no cover - exercised in a subprocess without hypothesis
    st = None

__all__ = ["activations", "costs", "regs", "architectures", "parameters", "inputs", "targets",
           "cases", "away_from_kinks", "assert_gradients_match", "assert_allclose_rel",
           "NotComparedWarning"]


class NotComparedWarning(UserWarning):
    """Some components were not compared (at a kink, or the numeric method broke down there)."""


def _hypothesis(name: str) -> None:
    if st is None:
        raise ImportError(f"gradproof.numerics.testing.{name} is a hypothesis strategy and hypothesis is "
                          "not installed: pip install 'gradproof[hypothesis]' (assert_gradients_match "
                          "works without it)")


def activations() -> st.SearchStrategy[str]:
    """A hidden-layer activation name: sigmoid, tanh or relu."""
    _hypothesis("activations")
    return st.sampled_from(codegen.ACTIVATION_NAMES)


def costs() -> st.SearchStrategy[str]:
    """A cost name: quadratic, cross_entropy or log_likelihood."""
    _hypothesis("costs")
    return st.sampled_from(codegen.COST_NAMES)


def regs() -> st.SearchStrategy[str]:
    """A regularization: none, l2 or l1."""
    _hypothesis("regs")
    return st.sampled_from(codegen.REGS)


def architectures(min_layers: int = 2, max_layers: int = 4, max_width: int = 5,
                  min_output: int = 1) -> st.SearchStrategy[list[int]]:
    """Layer widths ``[n_in, ..., n_out]``: ``min_layers``..``max_layers`` layers of 1..``max_width``
    neurons (the output layer at least ``min_output``; use 2 for a softmax that is not trivial)."""
    _hypothesis("architectures")

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
    _hypothesis("parameters")
    ws = [arrays(dtype, (o, i), elements=_floats(bound)) for i, o in zip(sizes[:-1], sizes[1:])]
    bs = [arrays(dtype, (o,), elements=_floats(bound)) for o in sizes[1:]]
    return st.tuples(st.tuples(*ws).map(list), st.tuples(*bs).map(list))


def inputs(n_in: int, m: int, dtype=np.float64) -> st.SearchStrategy[np.ndarray]:
    """A mini-batch X of ``m`` rows of ``n_in`` values in [0, 1] (like MNIST pixels)."""
    _hypothesis("inputs")
    return arrays(dtype, (m, n_in), elements=st.floats(0, 1, allow_subnormal=False))


def targets(cost: str, n_out: int, m: int, dtype=np.float64) -> st.SearchStrategy[np.ndarray]:
    """Desired outputs Y (m, n_out): one-hot rows for ``log_likelihood``, values in [0, 1] else."""
    _hypothesis("targets")
    if cost == "log_likelihood":
        return st.lists(st.integers(0, n_out - 1), min_size=m, max_size=m).map(
            lambda labels: np.eye(n_out, dtype=dtype)[labels].reshape(m, n_out))
    return arrays(dtype, (m, n_out), elements=st.floats(0, 1, allow_subnormal=False))


def away_from_kinks(net: Network, X: np.ndarray, margin: float = 0.02, reg: str = "none") -> bool:
    """True unless a hidden input z lies within ``margin`` of a kink of the activation (ReLU's 0, a
    user activation's ``kinks``) or, with ``reg="l1"``, a weight within ``margin`` of 0.  Use with
    ``hypothesis.assume`` to draw points where the central difference does not straddle a kink;
    :func:`assert_gradients_match` also finds such straddles itself (and does not compare there)."""
    return not near_kink(net, X, margin, reg)


def _draw_case(draw, sizes, activation, cost, max_batch, bound, kink_margin, reg):
    sizes = list(sizes) if sizes is not None else draw(architectures(min_output=2))
    activation = activation or draw(activations())
    cost = cost or draw(costs())
    m = draw(st.integers(1, max_batch))
    net = Network(sizes, activation=activation, cost=cost, seed=0)
    weights, biases = draw(parameters(sizes, bound))
    for target, value in zip(net.weights + net.biases, weights + biases):
        target[...] = value
    X = draw(inputs(sizes[0], m))
    if kink_margin:
        assume(away_from_kinks(net, X, kink_margin, reg))
    return net, X, draw(targets(cost, sizes[-1], m))


def cases(sizes: Sequence[int] | None = None, activation: str | None = None, cost: str | None = None,
          max_batch: int = 4, bound: float = 1.0, kink_margin: float = 0.02, reg: str = "none"):
    """``(net, X, Y)``: a :class:`Network` with drawn parameters in [-``bound``, ``bound``], X (m, n_in)
    in [0, 1] and targets Y for its cost; cases within ``kink_margin`` of a kink (ReLU's z, or with
    ``reg="l1"`` a weight) are rejected (``kink_margin=0``: none are)."""
    _hypothesis("cases")
    return st.composite(_draw_case)(sizes, activation, cost, max_batch, bound, kink_margin, reg)


def assert_gradients_match(f: Callable, grad_f: Callable | Sequence[np.ndarray], params,
                           method: str = "complex", rtol: float | None = None,
                           names: Sequence[str] | None = None, *, atol: float | None = None,
                           mode: str = "auto", directions: int = DIRECTIONS, seed: int = 0) -> Comparison:
    r"""Assert that ``grad_f`` (arrays, a dict, or a callable on ``params``) is the gradient of ``f``.

    ``f`` and ``grad_f`` take ``params`` as given (a list of numpy arrays, or a dict name -> array).
    ``method="complex"`` (``f`` must accept complex parameters) or ``"central"``; a component passes
    when :math:`|a - n| \le \mathrm{atol} + \mathrm{rtol}|n|`, with the defaults of
    :func:`numerics.gradcheck.default_tolerance`; ``mode``, ``directions``, ``seed``: see
    :func:`numerics.gradcheck.check_gradients` (blocks above 512 entries are checked along random
    directions, and a failure narrowed down to an entry).

    Raises :class:`~numerics.gradcheck.GradientMismatch` (an ``AssertionError``) naming the worst
    component — block, index, both values, both tolerances — and every block's error; also when
    ``f`` drops the imaginary part of a complex step, or when no component could be compared at
    all.  Components at a kink (or where the numeric method broke down) are not compared; a
    :class:`NotComparedWarning` lists them.  Returns the :class:`~numerics.gradcheck.Comparison`.
    """
    cmp = check_gradients(f, grad_f, params, method, rtol, atol, names, mode=mode,
                          directions=directions, seed=seed)
    if cmp.status != "passed":
        raise GradientMismatch(cmp)
    if cmp.not_compared:
        warnings.warn(NotComparedWarning(f"{len(cmp.not_compared)} components not compared: "
                                         + "; ".join(cmp.not_compared[:3])), stacklevel=2)
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
