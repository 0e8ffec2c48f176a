r"""Numeric gradients, and the comparison of an analytic gradient with them.

Two numeric derivatives of a scalar function :math:`f` of a list of parameter blocks:

* **central differences**: of second order, :math:`(f(x+h) - f(x-h))/2h` with the step
  :math:`h = \epsilon^{1/3}\max(1, |x|)` (ε the machine epsilon of the dtype), which balances the
  truncation error :math:`O(h^2)` against the rounding error :math:`O(\epsilon|f|/h)`, good to about
  :math:`\epsilon^{2/3}|f|` (≈ 4e-11·|f| in float64); or, the default, of fourth order,
  :math:`[8(f(x+h) - f(x-h)) - (f(x+2h) - f(x-2h))]/12h` with :math:`h = \epsilon^{1/5}\max(1,|x|)`,
  good to about :math:`\epsilon^{4/5}|f|` (≈ 3e-13·|f|).  The error is absolute, proportional to |f|,
  so a gradient component much smaller than |f| needs the fourth order to be resolved to 1e-6;
* the **complex step** :math:`\partial f/\partial x \approx \operatorname{Im} f(x + ih)/h` with
  :math:`h = 10^{-20}`: no subtraction, so it is exact to rounding — but only for an ``f`` that is
  analytic and written for complex input (gradproof's *textbook* kernels).

**Relative error.** Component by component,

.. math:: \mathrm{rel}(a, b) = \frac{|a - b|}{\max(|a|,\ |b|,\ \varphi)},\qquad
          \varphi = \max(\texttt{FLOOR\_FRACTION}\cdot s,\ \texttt{TINY}),

where *s* is the largest |numeric derivative| over all blocks or |f(x)|, whichever is larger (the
scale of the gradient), and
``FLOOR_FRACTION`` = 1e-2.  A component is a sum over the mini-batch, :math:`\frac1m\sum_x
\delta_j a_k`; when its terms nearly cancel, both the analytic and the numeric value are exact only
relative to the terms, not to their tiny sum, and a component that is exactly zero (a dead ReLU)
would give 0/0.  So every component at least 1 % of the largest is judged relative to itself, and a
smaller one relative to 1 % of the largest (an absolute error of at most ``rtol``·s/100).  A
gradient that vanishes everywhere (a softmax bias whose one-hot targets balance, say) has no scale
of its own; |f(x)| gives it one, and ``TINY`` = 1e-20 is the floor when f(x) = 0 as well.  In float64
over 60 seeds of gradproof's check suite (``numerics.checks``) this left the complex step at
≤ 2e-13 and the fourth-order central differences at ≤ 2e-9, well inside the tolerances.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

__all__ = [
    "COMPLEX_STEP_H", "COMPLEX_STEP_RTOL", "CENTRAL_ORDER", "CENTRAL_RTOL", "FLOOR_FRACTION", "TINY",
    "METHODS",
    "central_difference", "complex_step", "numeric_gradient", "relative_error",
    "BlockError", "Comparison", "GradientMismatch", "compare", "check_gradients", "default_rtol",
]

CENTRAL_ORDER = 4  #: the default order of the central differences (2 or 4)
COMPLEX_STEP_H = 1e-20  #: the imaginary step h of the complex-step derivative
COMPLEX_STEP_RTOL = 1e-12  #: float64 tolerance for the complex step against an analytic gradient
CENTRAL_RTOL = 1e-6  #: float64 tolerance for central differences against an analytic gradient
FLOOR_FRACTION = 1e-2  #: the denominator floor, as a fraction of the gradient's scale
TINY = 1e-20  #: the absolute floor of the denominator: far above the complex step's own O(h²) ≈ 1e-40
METHODS = ("complex", "central")  #: the numeric methods, by name

Params = Sequence[np.ndarray] | Mapping[str, np.ndarray]


def _blocks(params: Params, names: Sequence[str] | None = None) -> tuple[list[str], list[np.ndarray]]:
    if isinstance(params, Mapping):
        return list(params), [np.asarray(v) for v in params.values()]
    arrays = [np.asarray(p) for p in params]
    names = list(names) if names is not None else [f"params[{i}]" for i in range(len(arrays))]
    if len(names) != len(arrays):
        raise ValueError(f"gradcheck: {len(names)} names for {len(arrays)} parameter blocks; "
                         "give one name per block")
    return names, arrays


def _rebuild(params: Params, arrays: list[np.ndarray]):
    return dict(zip(params, arrays)) if isinstance(params, Mapping) else arrays


def _call(f: Callable, params: Params, arrays: list[np.ndarray]) -> complex:
    value = f(_rebuild(params, arrays))
    if np.ndim(value) != 0:
        raise ValueError(f"gradcheck: f must return a scalar, got shape {np.shape(value)}")
    return value


def central_difference(f: Callable, params: Params, order: int = CENTRAL_ORDER) -> list[np.ndarray]:
    r"""Central differences for every component of every block; ``params`` is not modified.

    ``f`` takes ``params``' structure (a list of arrays, or a dict name -> array) and returns a
    scalar.  ``order=2``: :math:`(f(x+h) - f(x-h))/2h` with :math:`h = \epsilon^{1/3}\max(1,|x|)`,
    error ≈ :math:`\epsilon^{2/3}|f|`.  ``order=4`` (default):
    :math:`[8(f(x+h) - f(x-h)) - (f(x+2h) - f(x-2h))]/12h` with :math:`h = \epsilon^{1/5}\max(1,|x|)`,
    error ≈ :math:`\epsilon^{4/5}|f|` (≈ 3e-13·|f| in float64).  ε is the block dtype's machine
    epsilon.  Returns one array per block, shaped like it.
    """
    if order not in (2, 4):
        raise ValueError(f"central_difference: order must be 2 or 4, got {order!r}")
    _, arrays = _blocks(params)
    work = [np.array(p, dtype=np.result_type(p, np.float32), copy=True) for p in arrays]
    grads = [np.zeros_like(p) for p in work]
    for p, g in zip(work, grads):
        eps = np.finfo(p.dtype).eps
        flat, gflat = p.reshape(-1), g.reshape(-1)
        for i in range(flat.size):
            x = flat[i]
            h = eps ** (1 / (order + 1)) * max(1.0, abs(float(x)))

            def at(t):
                flat[i] = x + t
                return _call(f, params, work)

            d1 = at(h) - at(-h)
            gflat[i] = d1 / (2 * h) if order == 2 else (8 * d1 - (at(2 * h) - at(-2 * h))) / (12 * h)
            flat[i] = x
    return grads


def complex_step(f: Callable, params: Params, h: float = COMPLEX_STEP_H) -> list[np.ndarray]:
    r"""Complex-step derivatives :math:`\operatorname{Im} f(x + ih)/h` for every component.

    ``f`` must accept complex arrays and be analytic there (no ``abs``, ``maximum``, ``logaddexp``:
    use gradproof's textbook kernels). Returns real float64 arrays shaped like the blocks.
    """
    _, arrays = _blocks(params)
    work = [np.array(p, dtype=np.complex128, copy=True) for p in arrays]
    grads = [np.zeros(p.shape, dtype=np.float64) for p in work]
    for p, g in zip(work, grads):
        flat, gflat = p.reshape(-1), g.reshape(-1)
        for i in range(flat.size):
            x = flat[i]
            flat[i] = x + 1j * h
            gflat[i] = np.imag(_call(f, params, work)) / h
            flat[i] = x
    return grads


def numeric_gradient(f: Callable, params: Params, method: str = "complex") -> list[np.ndarray]:
    """The numeric gradient by ``method`` (``"complex"`` or ``"central"``)."""
    if method == "complex":
        return complex_step(f, params)
    if method == "central":
        return central_difference(f, params)
    raise ValueError(f"gradcheck: unknown method {method!r}; choose one of {', '.join(METHODS)}")


def relative_error(a: np.ndarray, b: np.ndarray, floor: float = TINY) -> np.ndarray:
    r"""Componentwise :math:`|a-b| / \max(|a|, |b|, \text{floor})` (see the module docstring)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.abs(a - b) / np.maximum(np.maximum(np.abs(a), np.abs(b)), max(floor, TINY))


@dataclass(frozen=True)
class BlockError:
    """The worst component of one parameter block: its index, both values and their relative error."""

    name: str
    max_rel_error: float
    index: tuple[int, ...]
    analytic: float
    numeric: float

    def where(self) -> str:
        return f"{self.name}[{', '.join(map(str, self.index))}]"


@dataclass(frozen=True)
class Comparison:
    """An analytic gradient against a numeric one, block by block."""

    method: str
    tolerance: float
    blocks: dict[str, BlockError] = field(default_factory=dict)
    floor: float = TINY  #: the denominator floor φ used (see the module docstring)

    @property
    def max_rel_error(self) -> float:
        return max((b.max_rel_error for b in self.blocks.values()), default=0.0)

    @property
    def worst(self) -> BlockError | None:
        return max(self.blocks.values(), key=lambda b: b.max_rel_error, default=None)

    @property
    def passed(self) -> bool:
        return bool(self.max_rel_error <= self.tolerance)  # False for NaN

    def message(self) -> str:
        """One line: pass/fail, the worst component with both numbers, and the tolerance."""
        w = self.worst
        if w is None:
            return f"{self.method}: no parameters"
        verdict = "agree" if self.passed else "DIFFER"
        return (f"{self.method}: gradients {verdict}: worst at {w.where()}: analytic {w.analytic!r} "
                f"vs numeric {w.numeric!r}, relative error {w.max_rel_error:.3g} "
                f"(tolerance {self.tolerance:.3g})")

    def as_dict(self) -> dict:
        w = self.worst
        return {"method": self.method, "max_rel_error": float(self.max_rel_error),
                "tolerance": self.tolerance, "passed": self.passed, "floor": self.floor,
                "blocks": {k: float(b.max_rel_error) for k, b in self.blocks.items()},
                "worst": None if w is None else {"where": w.where(), "analytic": w.analytic,
                                                  "numeric": w.numeric}}


class GradientMismatch(AssertionError):
    """An analytic gradient differs from a numeric one by more than the tolerance."""

    def __init__(self, comparison: Comparison):
        blocks = ", ".join(f"{k} {b.max_rel_error:.2g}" for k, b in comparison.blocks.items())
        super().__init__(f"{comparison.message()}; per block: {blocks}")
        self.comparison = comparison


def default_rtol(method: str, dtype=np.float64) -> float:
    """The tolerance for ``method``: the float64 constants, scaled to ε^(2/3) or ε for float32."""
    if method not in METHODS:
        raise ValueError(f"gradcheck: unknown method {method!r}; choose one of {', '.join(METHODS)}")
    if np.dtype(dtype) == np.float32:
        return 1e-2 if method == "central" else 1e-5
    return CENTRAL_RTOL if method == "central" else COMPLEX_STEP_RTOL


def compare(analytic: Sequence[np.ndarray], numeric: Sequence[np.ndarray], names: Sequence[str],
            method: str, rtol: float, value: float = 0.0) -> Comparison:
    """Compare two gradients block by block (shapes must match); see :func:`relative_error`.

    ``value`` is |f(x)|, the size of the function itself: it bounds the gradient's scale *s* from
    below, so that a gradient that vanishes (exactly, or but for rounding) is judged against the
    function it is the gradient of."""
    if len(analytic) != len(numeric) or len(names) != len(numeric):
        raise ValueError(f"gradcheck: {len(analytic)} analytic blocks, {len(numeric)} numeric "
                         f"blocks and {len(names)} names; give one of each per parameter block")
    scale = max((float(np.max(np.abs(n))) for n in numeric if np.size(n)), default=0.0)
    scale = max(scale, abs(float(value)))
    floor = max(FLOOR_FRACTION * scale, TINY)
    blocks = {}
    for name, a, n in zip(names, analytic, numeric):
        a, n = np.asarray(a), np.asarray(n)
        if a.shape != n.shape:
            raise ValueError(f"gradcheck: block {name}: analytic shape {a.shape} != numeric shape "
                             f"{n.shape}; the gradient must be shaped like its parameters")
        if a.size == 0:
            continue
        err = relative_error(a, n, floor)
        i = np.unravel_index(np.argmax(np.where(np.isnan(err), np.inf, err)), err.shape)
        blocks[name] = BlockError(name, float(err[i]), tuple(int(k) for k in i),
                                  float(a[i]), float(n[i]))
    return Comparison(method, rtol, blocks, floor)


def check_gradients(f: Callable, grad: Sequence[np.ndarray] | Callable, params: Params,
                    method: str = "complex", rtol: float | None = None,
                    names: Sequence[str] | None = None) -> Comparison:
    """Compare ``grad`` (arrays, or a callable on ``params``) with the numeric gradient of ``f``.

    Returns a :class:`Comparison`; it does not raise (see :func:`numerics.testing.assert_gradients_match`).
    """
    names, arrays = _blocks(params, names)
    if callable(grad):
        grad = grad(_rebuild(params, arrays))
    if isinstance(grad, Mapping):
        grad = [grad[k] for k in names]
    numeric = numeric_gradient(f, params, method)
    dtype = np.result_type(*arrays) if arrays else np.float64
    tol = default_rtol(method, dtype) if rtol is None else rtol
    value = abs(np.real(_call(f, params, arrays)))
    return compare(list(grad), numeric, names, method, tol, float(value))
