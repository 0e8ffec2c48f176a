r"""Numeric derivatives of a scalar function of parameter blocks, along a line through them.

Every numeric derivative here is the derivative at t = 0 of :math:`\varphi(t) = f(x + t v)`, a
:class:`Line`: along one entry (v a unit vector, the per-entry gradient) or along a random direction
(the directional derivative :math:`\langle\nabla f, v\rangle`).  Three estimates of
:math:`\varphi'(0)`:

* the **complex step** :math:`\operatorname{Im}\varphi(ih)/h`, :math:`h = 10^{-20}`: no subtraction,
  so it is exact to rounding, for an ``f`` that is analytic and written for complex input;
* **central differences** of the 4th order (default),
  :math:`[8(\varphi(h) - \varphi(-h)) - (\varphi(2h) - \varphi(-2h))]/12h` with
  :math:`h = \epsilon^{1/5}\max(1, |x|)`, or of the 2nd order, :math:`(\varphi(h) - \varphi(-h))/2h`
  with :math:`h = \epsilon^{1/3}\max(1, |x|)` (ε the machine epsilon of the dtype): each balances
  the truncation error against the rounding error :math:`\approx \epsilon\,|f|/h`;
* the two **one-sided differences** of the 2nd order,
  :math:`\pm[-3\varphi(0) + 4\varphi(\pm h) - \varphi(\pm 2h)]/2h`, whose stencils lie on one side of
  x each.  Where they disagree, f has a kink within 2h of x: its derivative jumps there, and a central
  difference that straddles the kink measures neither side (:func:`one_sided`).
"""
from __future__ import annotations

import warnings
from typing import Callable, Mapping, Sequence

import numpy as np

__all__ = ["COMPLEX_STEP_H", "CENTRAL_ORDER", "Params", "ComplexStepError", "Line", "central",
           "one_sided", "complex_derivative", "central_step", "central_difference", "complex_step",
           "numeric_gradient", "blocks", "rebuild", "call"]

CENTRAL_ORDER = 4  #: the default order of the central differences (2 or 4)
COMPLEX_STEP_H = 1e-20  #: the imaginary step h of the complex-step derivative

Params = Sequence[np.ndarray] | Mapping[str, np.ndarray]
#: numpy's warning for a complex value cast to a real one (``numpy.exceptions`` from numpy 1.25)
ComplexWarning = getattr(np, "exceptions", np).ComplexWarning


class ComplexStepError(ValueError):
    """``f`` cannot be complex-stepped: it drops the imaginary part of its input or refuses it."""


def blocks(params: Params, names: Sequence[str] | None = None) -> tuple[list[str], list[np.ndarray]]:
    """The block names and arrays of ``params`` (a list of arrays, or a dict name -> array)."""
    if isinstance(params, Mapping):
        return list(params), [np.asarray(v) for v in params.values()]
    arrays = [np.asarray(p) for p in params]
    names = list(names) if names is not None else [f"params[{i}]" for i in range(len(arrays))]
    if len(names) != len(arrays):
        raise ValueError(f"gradcheck: {len(names)} names for {len(arrays)} parameter blocks; "
                         "give one name per block")
    return names, arrays


def rebuild(params: Params, arrays: list[np.ndarray]):
    """``arrays`` in the structure of ``params`` (a list, or a dict with the same keys)."""
    return dict(zip(params, arrays)) if isinstance(params, Mapping) else arrays


def call(f: Callable, params: Params, arrays: list[np.ndarray]):
    """``f`` on ``arrays`` (in ``params``' structure); ``ValueError`` unless it returns a scalar."""
    value = f(rebuild(params, arrays))
    if np.ndim(value) != 0:
        raise ValueError(f"gradcheck: f must return a scalar, got shape {np.shape(value)}")
    return value


def central_step(x: float, dtype, order: int = CENTRAL_ORDER) -> float:
    r"""The step :math:`h = \epsilon^{1/(\text{order}+1)}\max(1, |x|)` of a central difference at x."""
    return float(np.finfo(dtype).eps ** (1 / (order + 1)) * max(1.0, abs(float(x))))


class Line:
    r""":math:`\varphi(t) = f(x + t v)`: ``f`` along a line through the parameters.

    ``work`` holds the parameter blocks (copies, of the dtype the evaluation needs: complex for
    the complex step); ``moves`` lists ``(block, flat_index, v)`` — the entries the line moves and
    their direction components (an int and 1.0 for one entry; an index array and values for a
    direction).  ``work`` is restored after each evaluation.  ``fmax`` records the largest
    :math:`|\varphi|` evaluated, the function's scale for the rounding error of a difference.
    """

    def __init__(self, f: Callable, params: Params, work: list[np.ndarray],
                 moves: Sequence[tuple[int, object, object]]):
        self.f, self.params, self.work, self.moves = f, params, work, list(moves)
        self.base = [work[b].reshape(-1)[ix].copy() for b, ix, _ in self.moves]
        self.fmax = 0.0

    def __call__(self, t):
        flats = [self.work[b].reshape(-1) for b, _, _ in self.moves]
        for flat, (_, ix, v), x0 in zip(flats, self.moves, self.base):
            flat[ix] = x0 + t * v
        try:
            value = call(self.f, self.params, self.work)
        finally:
            for flat, (_, ix, _), x0 in zip(flats, self.moves, self.base):
                flat[ix] = x0
        self.fmax = max(self.fmax, float(abs(np.real(value))))
        return value


def central(phi: Callable, h: float, order: int = CENTRAL_ORDER) -> float:
    r"""The central difference of ``phi`` at 0 with step h (``order`` 2 or 4; see the module)."""
    d1 = phi(h) - phi(-h)
    return float(d1 / (2 * h) if order == 2 else (8 * d1 - (phi(2 * h) - phi(-2 * h))) / (12 * h))


def one_sided(phi: Callable, h: float, f0: float) -> tuple[float, float]:
    r"""``(right, left)``: the one-sided differences of the 2nd order at 0 with step h, given
    :math:`\varphi(0)` = ``f0``: :math:`[-3\varphi(0) + 4\varphi(h) - \varphi(2h)]/2h` and
    :math:`[3\varphi(0) - 4\varphi(-h) + \varphi(-2h)]/2h`.  Each has error
    :math:`h^2\varphi'''/3` plus rounding :math:`\approx 4\epsilon|\varphi|/h`; where they differ by
    more, :math:`\varphi'` jumps within 2h of 0."""
    right = (-3 * f0 + 4 * phi(h) - phi(2 * h)) / (2 * h)
    left = (3 * f0 - 4 * phi(-h) + phi(-2 * h)) / (2 * h)
    return float(right), float(left)


def complex_derivative(phi: Callable, h: float = COMPLEX_STEP_H) -> float:
    r""":math:`\operatorname{Im}\varphi(ih)/h`; :class:`ComplexStepError` when ``phi`` returns a real
    number, or numpy warned that it cast a complex value to a real one (the imaginary part, which
    carries the derivative, is lost), or ``phi`` raises at complex input (call it at a real point
    first: an exception there is f's own)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ComplexWarning)
        try:
            value = phi(1j * h)
        except Exception as exc:  # it ran on real parameters: it is the complex input it refuses
            raise ComplexStepError(f"f refuses complex parameters ({type(exc).__name__}: {exc})") from exc
    cast = [w for w in caught if issubclass(w.category, ComplexWarning)]
    for w in caught:  # anything else is the caller's to see
        if w not in cast:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if cast:
        w = cast[0]
        raise ComplexStepError(f"f drops the imaginary part of its input: numpy's ComplexWarning "
                               f"'{w.message}' at {w.filename}:{w.lineno}")
    if not np.iscomplexobj(value):
        raise ComplexStepError(f"f drops the imaginary part of its input: it returned a real "
                               f"{type(value).__name__} for complex parameters")
    return float(np.imag(value) / h)


def _entries(f: Callable, params: Params, dtype_of: Callable, derivative: Callable) -> list[np.ndarray]:
    """``derivative(line, x)`` for every entry of every block: one array per block."""
    _, arrays = blocks(params)
    work = [np.array(p, dtype=dtype_of(p), copy=True) for p in arrays]
    grads = []
    for b, p in enumerate(work):
        g = np.zeros(p.shape, dtype=np.finfo(p.dtype).dtype)  # complex128 -> float64
        for i, x in enumerate(p.reshape(-1).copy()):
            g.reshape(-1)[i] = derivative(Line(f, params, work, [(b, i, 1.0)]), x, p.dtype)
        grads.append(g)
    return grads


def central_difference(f: Callable, params: Params, order: int = CENTRAL_ORDER) -> list[np.ndarray]:
    r"""Central differences (``order`` 2 or 4, see the module) for every entry of every block;
    ``params`` is not modified.  ``f`` takes ``params``' structure (a list of arrays, or a dict
    name -> array) and returns a scalar.  The step follows each block's dtype; returns one array per
    block, shaped and typed like it (float32 stays float32)."""
    if order not in (2, 4):
        raise ValueError(f"central_difference: order must be 2 or 4, got {order!r}")
    return _entries(f, params, lambda p: np.result_type(p, np.float32),
                    lambda line, x, dtype: central(line, central_step(x, dtype, order), order))


def complex_step(f: Callable, params: Params, h: float = COMPLEX_STEP_H) -> list[np.ndarray]:
    r"""Complex-step derivatives :math:`\operatorname{Im} f(x + ih)/h` for every entry.

    ``f`` must accept complex arrays and be analytic there: no ``abs``, ``maximum``, ``float()`` or
    ``.real`` on the parameters (gradproof's textbook kernels are written so).  Raises
    :class:`ComplexStepError` naming the cause when ``f`` drops the imaginary part.  Returns real
    float64 arrays shaped like the blocks.
    """
    return _entries(f, params, lambda p: np.complex128,
                    lambda line, x, dtype: complex_derivative(line, h))


def numeric_gradient(f: Callable, params: Params, method: str = "complex") -> list[np.ndarray]:
    """The numeric gradient by ``method`` (``"complex"`` or ``"central"``)."""
    if method == "complex":
        return complex_step(f, params)
    if method == "central":
        return central_difference(f, params)
    raise ValueError(f"gradcheck: unknown method {method!r}; choose one of complex, central")
