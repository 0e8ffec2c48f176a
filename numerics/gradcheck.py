r"""Gradient checks: an analytic gradient against numeric ones (:mod:`numerics.differences`).

**Tolerances**, as ``numpy.testing.assert_allclose`` and ``torch.autograd.gradcheck`` have them: a
component with analytic value a and numeric value n passes when

.. math:: |a - n| \le \mathrm{atol} + \mathrm{rtol}\cdot|n|.

The defaults depend on the method (:func:`default_tolerance`), with S the scale of the problem, the
largest of 1, |f(x)|, |a| and |n| over every block:

* complex step: ``rtol`` = :data:`COMPLEX_STEP_RTOL` (1e-12 in float64) and
  ``atol`` = :data:`COMPLEX_STEP_ATOL_EPS`·ε·S (2.3e-13·S) — near machine precision: the backprop's
  own rounding reached 120 ε·S at weights of ±30 (1,500 random networks and the hypothesis tests);
* central differences: ``rtol`` = :data:`CENTRAL_RTOL` (1e-6) and
  ``atol`` = :data:`CENTRAL_ATOL_EPS`·(ε/h)·S with :math:`h = \epsilon^{1/(\text{order}+1)}` the
  smallest step — the rounding error of a difference quotient with that step, at the function's scale.

So a component that is exactly zero (a dead ReLU) is judged against the function it is part of, not
against itself.  S is at least 1 because rounding happens in the intermediate quantities, not in f:
a softmax that is confidently right has a cost and a gradient of 1e-5 while its δ = a − y is
rounded at the scale of a ≈ 1; probabilities and data scaled to [0, 1] make 1 the natural unit.
For a function whose natural scale is far below 1, pass ``atol``.

A block's *relative error* (``max_rel_error``, as the reports and ``gradproof check`` show it) is
the largest :math:`|a - n|/(|n| + \mathrm{atol}/\mathrm{rtol})`: at most ``rtol`` exactly when the
block passes.  A failure names the block and index, both values, both tolerances and which of them
governs there (the larger of atol and rtol·|n|), with the plain |a − n|/|n| when it is rtol.

**Kinks and wide stencils.**  A central difference that fails is looked at closer, at the steps
h/4, h/16 and h/64, with the central and the two one-sided differences of each.  For a smooth f the
gap between the one-sided differences vanishes as s³, the three agree ever better, and the central
differences converge.  When at h/64, beyond their rounding, the gap extrapolated to s = 0 is not 0
(a jump of the derivative: ReLU, |w|, max), or the three still disagree or the central differences
still move and not even half as much as at h/16, f is not smooth at the scale of any step: the
component is *at a kink, not compared*.  Otherwise the stencil was only too wide (it straddled a
kink of a higher derivative, as of max(u, 0)² at u = 0, or f varies fast, as tanh(30w)): the
difference of the last two central differences bounds the last one's error, and the analytic
value is compared with the last, that bound added to the allowance.

**The per-entry check and the directional check.**  The per-entry check perturbs one entry at a time:
one evaluation of f per entry (complex step) or four (central).  The directional check, as HIPS
autograd's ``check_grads``, compares :math:`\langle a, v\rangle` with the numeric derivative of
:math:`t \mapsto f(x + tv)` along random directions v, one block at a time: O(1) evaluations per
block, however large.  With :math:`\|v\|_1 = 1` the per-entry atol bounds the dot product's share of
the analytic rounding; rtol refers to the directional derivative itself.  A failing direction
is narrowed down by bisection (directions on halves of the block) to a few entries, which the
per-entry check then compares: the directional check finds *that* a block is wrong, the per-entry
check *where*.  ``mode="auto"`` checks blocks of at most :data:`ENTRIES_MAX` entries entry by entry
and larger ones by directions.

**What the complex step cannot see.**  An ``f`` that drops the imaginary part (``float()``,
``.astype(float)``: numpy's ComplexWarning, or a real return value) makes every complex-step
derivative 0: the check fails and says so.  Where :math:`f(x + ih)` is not finite (overflow in
complex arithmetic), the entry is not compared, and the comparison says so.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

from .differences import (CENTRAL_ORDER, COMPLEX_STEP_H, ComplexStepError, Line, Params, blocks,
                          call, central, central_difference, central_step, complex_derivative,
                          complex_step, numeric_gradient, one_sided, rebuild)

__all__ = [
    "COMPLEX_STEP_H", "COMPLEX_STEP_RTOL", "COMPLEX_STEP_ATOL_EPS", "CENTRAL_ORDER", "CENTRAL_RTOL",
    "CENTRAL_ATOL_EPS", "METHODS", "MODES", "ENTRIES_MAX", "DIRECTIONS", "LOCATE_ENTRIES",
    "central_difference", "complex_step", "numeric_gradient", "ComplexStepError",
    "BlockError", "Comparison", "GradientMismatch", "compare", "check_gradients", "default_rtol",
    "default_tolerance",
]

COMPLEX_STEP_RTOL = 1e-12  #: float64 rtol of the complex step (float32: 1e-5)
COMPLEX_STEP_ATOL_EPS = 1024  #: the complex step's atol, in units of ε·S
CENTRAL_RTOL = 1e-6  #: float64 rtol of central differences (float32: 1e-2)
CENTRAL_ATOL_EPS = 100  #: central differences' atol, in units of (ε/h)·S
METHODS = ("complex", "central")  #: the numeric methods, by name
MODES = ("auto", "entries", "directional")  #: how blocks are checked
ENTRIES_MAX = 512  #: ``mode="auto"``: blocks up to this size are checked entry by entry
DIRECTIONS = 2  #: random directions per block in the directional check
LOCATE_ENTRIES = 32  #: bisection stops at this many entries; the per-entry check takes over
_RTOL = {("complex", "float64"): COMPLEX_STEP_RTOL, ("complex", "float32"): 1e-5,
         ("central", "float64"): CENTRAL_RTOL, ("central", "float32"): 1e-2}


def _method(method: str) -> str:
    if method not in METHODS:
        raise ValueError(f"gradcheck: unknown method {method!r}; choose one of {', '.join(METHODS)}")
    return method


def default_rtol(method: str, dtype=np.float64) -> float:
    """The default ``rtol`` of ``method`` for parameters of ``dtype`` (float32 or float64)."""
    name = "float32" if np.dtype(dtype) == np.float32 else "float64"
    return _RTOL[_method(method), name]


def default_tolerance(method: str, dtype=np.float64, scale: float = 1.0,
                      order: int = CENTRAL_ORDER) -> tuple[float, float]:
    r"""``(rtol, atol)`` for ``method`` on parameters of ``dtype``, with ``scale`` = S (see the module):
    complex step :math:`(\mathrm{rtol}, 1024\,\epsilon S)`; central differences of ``order``
    :math:`(\mathrm{rtol}, 100\,\epsilon^{\text{order}/(\text{order}+1)} S)`, i.e. 100 ε/h·S."""
    eps = float(np.finfo(np.float32 if np.dtype(dtype) == np.float32 else np.float64).eps)
    if _method(method) == "complex":
        return default_rtol(method, dtype), COMPLEX_STEP_ATOL_EPS * eps * scale
    return default_rtol(method, dtype), CENTRAL_ATOL_EPS * eps ** (order / (order + 1)) * scale


# -- results ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BlockError:
    r"""The worst compared component of one parameter block, with both values and both tolerances.

    ``index`` is the entry (None: a direction that was not narrowed down to an entry, whose
    ``analytic`` is then :math:`\langle a, v\rangle`).  ``not_compared`` lists the components that
    were not (at a kink, or the numeric method broke down there), each as ``"where: why"``."""

    name: str
    index: tuple[int, ...] | None
    analytic: float
    numeric: float
    rtol: float
    atol: float
    mode: str = "entries"
    checked: int = 1
    not_compared: tuple[str, ...] = ()
    #: the error bound of the central difference at a smaller step, when it replaced one whose
    #: stencil was too wide (see the module): added to the allowance
    slack: float = 0.0

    @property
    def error(self) -> float:
        return abs(self.analytic - self.numeric)

    @property
    def allowance(self) -> float:
        """atol + rtol·|numeric| (+ slack): the largest error this component may have."""
        return self.atol + self.rtol * abs(self.numeric) + self.slack

    @property
    def ratio(self) -> float:
        """error / allowance: at most 1 when it passes (inf for NaN; 0 when nothing was compared)."""
        if self.checked == 0:
            return 0.0
        e = self.error
        if not np.isfinite(e):
            return np.inf
        return e / self.allowance if self.allowance > 0 else (0.0 if e == 0 else np.inf)

    @property
    def max_rel_error(self) -> float:
        """rtol·error/allowance, i.e. |a − n|/(|n| + atol/rtol) (slack aside): at most rtol exactly
        when the block passes."""
        return self.rtol * self.ratio

    @property
    def passed(self) -> bool:
        return bool(self.ratio <= 1)

    def where(self) -> str:
        if self.index is None:
            return f"{self.name} (along a random direction)"
        return f"{self.name}[{', '.join(map(str, self.index))}]"

    def verdict(self) -> str:
        """Both numbers, the error, both tolerances and the one that governs here."""
        n = abs(self.numeric)
        values = (f"{'⟨analytic, v⟩' if self.index is None else 'analytic'} {self.analytic!r} vs "
                  f"numeric {self.numeric!r}")
        governs = (f"the relative tolerance governs (rtol·|numeric| > atol): |difference|/|numeric| "
                   f"{self.error / n:.3g}" if self.rtol * n >= self.atol and n > 0
                   else "the absolute tolerance governs (atol > rtol·|numeric|)")
        sign = "<=" if self.passed else ">"
        slack = f" + the smaller step's error {self.slack:.3g}" if self.slack else ""
        return (f"{self.where()}: {values}; |difference| {self.error:.3g} {sign} atol {self.atol:.3g} "
                f"+ rtol {self.rtol:.3g}·|numeric|{slack} = {self.allowance:.3g}; {governs}")


@dataclass(frozen=True)
class Comparison:
    """An analytic gradient against a numeric one, block by block.

    ``tolerance`` is the rtol, ``atol`` the absolute tolerance; ``problem`` says why the numeric
    method could not be used at all (then the comparison fails)."""

    method: str
    tolerance: float
    blocks: dict[str, BlockError] = field(default_factory=dict)
    atol: float = 0.0
    problem: str | None = None

    @property
    def floor(self) -> float:
        """atol/rtol: the relative error's denominator is |n| + floor."""
        return self.atol / self.tolerance if self.tolerance else np.inf

    @property
    def max_rel_error(self) -> float:
        return max((b.max_rel_error for b in self.blocks.values()), default=0.0)

    @property
    def worst(self) -> BlockError | None:
        compared = [b for b in self.blocks.values() if b.checked]
        return max(compared, key=lambda b: b.ratio, default=None)

    @property
    def not_compared(self) -> list[str]:
        return [n for b in self.blocks.values() for n in b.not_compared]

    @property
    def status(self) -> str:
        """``"failed"`` (a component differs, or ``problem``), ``"not compared"`` (no component could
        be compared) or ``"passed"``."""
        if self.problem is not None or any(not b.passed for b in self.blocks.values()):
            return "failed"
        if self.blocks and self.worst is None:
            return "not compared"
        return "passed"

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def message(self) -> str:
        """One line: pass/fail, the worst component with both numbers and both tolerances."""
        if self.problem is not None:
            return (f"{self.method}: cannot check: {self.problem}; the complex step needs an f written "
                    "for complex input, that keeps the imaginary part: make it so, or use method='central'")
        skipped = self.not_compared
        tail = (f"; not compared: {len(skipped)} ({'; '.join(skipped[:3])}"
                f"{'; ...' if len(skipped) > 3 else ''})" if skipped else "")
        w = self.worst
        if w is None:
            return f"{self.method}: " + ("nothing compared" + tail if self.blocks else "no parameters")
        verdict = "agree" if self.passed else "DIFFER"
        hint = ""
        if not self.passed and self.method == "complex" and w.numeric == 0 and w.analytic != 0:
            hint = ("; a complex-step derivative of exactly 0: does f use abs, maximum, where or "
                    ".real on the parameters? The complex step cannot see through them")
        return f"{self.method}: gradients {verdict}: worst at {w.verdict()}{hint}{tail}"

    def as_dict(self) -> dict:
        w = self.worst
        return {"method": self.method, "max_rel_error": float(self.max_rel_error),
                "tolerance": self.tolerance, "atol": self.atol, "passed": self.passed,
                "status": self.status, "floor": self.floor, "problem": self.problem,
                "blocks": {k: float(b.max_rel_error) for k, b in self.blocks.items()},
                "not_compared": self.not_compared,
                "worst": None if w is None else {"where": w.where(), "analytic": w.analytic,
                                                  "numeric": w.numeric, "mode": w.mode}}


class GradientMismatch(AssertionError):
    """An analytic gradient differs from a numeric one by more than the tolerance."""

    def __init__(self, comparison: Comparison):
        blocks = ", ".join(f"{k} {b.max_rel_error:.3g}" for k, b in comparison.blocks.items())
        super().__init__(f"{comparison.message()}; per block, the largest |difference|/(|numeric| + "
                         f"atol/rtol), at most rtol {comparison.tolerance:.3g} where it passes: {blocks}")
        self.comparison = comparison


# -- the check ----------------------------------------------------------------------------------------
@dataclass
class _Component:
    """One compared quantity: an entry, or a direction (``index`` None; ``moves`` its line)."""

    index: tuple[int, ...] | None
    analytic: float
    numeric: float
    moves: list = field(default_factory=list)
    scale: float = 1.0  # max(1, |x|) over the entries the line moves
    stretch: float = 1.0  # 1/max|v|: the step along the line is stretched so that no entry moves more
    note: str | None = None  # why it is not compared
    slack: float = 0.0  # the error bound of a central difference at a smaller step standing in


class _Check:
    """The state of one :func:`check_gradients` call: f, the work arrays, f(x), the tolerances."""

    def __init__(self, f: Callable, params: Params, arrays: list[np.ndarray], method: str,
                 order: int = CENTRAL_ORDER):
        self.f, self.params, self.method, self.order = f, params, method, order
        dtype = np.complex128 if method == "complex" else None
        self.work = [np.array(p, dtype=dtype or np.result_type(p, np.float32), copy=True)
                     for p in arrays]
        with np.errstate(all="ignore"):
            self.f0 = float(np.real(call(f, params, [np.asarray(p) for p in arrays])))
        self.rtol = self.atol = None

    # numeric derivatives along a line
    def derivative(self, c: _Component) -> float:
        line = Line(self.f, self.params, self.work, c.moves)
        with np.errstate(all="ignore"):
            if self.method == "complex":
                return complex_derivative(line, COMPLEX_STEP_H)
            dtype = self.work[c.moves[0][0]].dtype
            return central(line, central_step(c.scale, dtype, self.order) * c.stretch, self.order)

    def closer(self, c: _Component) -> bool:
        """A failing central difference, looked at closer, at the steps s = h/4, h/16, h/64: at each,
        the central difference and the two one-sided differences (from the same evaluations).

        f has a kink within the stencil (ReLU, |w|, max: ``c.note``) when, beyond their rounding at
        h/64, the one-sided differences disagree in the limit (their gap, extrapolated as the s³
        of a smooth f's, is not 0), or the three disagree, or the central differences still move,
        and neither did as a smooth f's does (halve at least per step).  Else the difference of
        the last two central differences bounds the last one's error; with the rounding, that is
        its slack.  True when the analytic value agrees with the last; ``c.numeric`` and
        ``c.slack`` are then set."""
        line = Line(self.f, self.params, self.work, c.moves)
        dtype = self.work[c.moves[0][0]].dtype
        s, ds, gaps, spreads = central_step(c.scale, dtype, self.order) * c.stretch, [c.numeric], [], []
        for _ in range(3):
            s /= 4
            with np.errstate(all="ignore"):
                values = {t: line(t) for t in (s, -s, 2 * s, -2 * s)}
                ds.append(central(values.__getitem__, s, self.order))
                right, left = one_sided(values.__getitem__, s, self.f0)
            gaps.append(right - left)
            spreads.append(max(right, left, ds[-1]) - min(right, left, ds[-1]))
        moves = [abs(b - a) for a, b in zip(ds, ds[1:])]
        rho = 16 * float(np.finfo(dtype).eps) * max(line.fmax, abs(self.f0)) / s  # their rounding
        floor = self.atol + self.rtol * max(abs(right), abs(left), abs(ds[-1])) + 2 * rho
        jump = gaps[-1] + (gaps[-1] - gaps[-2]) / 63  # Richardson: a smooth f's gap is c·s³
        if (min(abs(jump), abs(gaps[-1])) > floor
                or any(x[-1] > floor and x[-1] > x[-2] / 2 for x in (spreads, moves))):
            c.note = (f"at a kink, not compared (one-sided derivatives {right:.6g} and {left:.6g}, "
                      f"central {ds[-1]:.6g})")
            return False
        d, slack = ds[-1], moves[-1] + rho
        if not (np.isfinite(d) and abs(c.analytic - d) <= self.atol + self.rtol * abs(d) + slack):
            return False
        c.numeric, c.slack = d, slack
        return True

    def judge(self, c: _Component) -> bool:
        """True when ``c`` passes (or is not compared); central failures are looked at closer."""
        if c.note is None and not np.isfinite(c.numeric):
            c.note = ("f(x + ih) is not finite, not compared (overflow in complex arithmetic)"
                      if self.method == "complex" else "f is not finite within a step, not compared")
        if c.note is not None:
            return True
        if abs(c.analytic - c.numeric) <= self.atol + self.rtol * abs(c.numeric) + c.slack:
            return True
        return self.method == "central" and (self.closer(c) or c.note is not None)

    # the components of one block
    def entries(self, b: int, a: np.ndarray, flat_indices=None) -> list[_Component]:
        x = self.work[b].reshape(-1)
        out = []
        for i in (range(a.size) if flat_indices is None else flat_indices):
            c = _Component(tuple(int(k) for k in np.unravel_index(i, a.shape)), float(a.reshape(-1)[i]),
                           np.nan, [(b, int(i), 1.0)], max(1.0, abs(complex(x[i]))))
            c.numeric = self.derivative(c)
            out.append(c)
        return out

    def direction(self, b: int, a: np.ndarray, rng: np.random.Generator, ix: np.ndarray) -> _Component:
        v = rng.standard_normal(ix.size)
        v /= np.abs(v).sum()  # ||v||_1 = 1: a per-entry bound holds for the dot product
        a_flat = a.reshape(-1)[ix]
        x = self.work[b].reshape(-1)[ix]
        c = _Component(None, float(a_flat @ v), np.nan, [(b, ix, v)], max(1.0, float(np.abs(x).max())),
                       1 / float(np.abs(v).max()))
        c.numeric = self.derivative(c)
        return c

    def locate(self, b: int, a: np.ndarray, rng: np.random.Generator) -> list[_Component] | None:
        """Bisect a failing block with directions on halves down to :data:`LOCATE_ENTRIES` entries,
        then compare those entry by entry: ``(entry, passed)`` for each; None when neither half of
        a range fails on its own (the error is spread over both)."""
        lo, hi = 0, a.size
        while hi - lo > LOCATE_ENTRIES:
            mid = (lo + hi) // 2
            for l2, h2 in ((lo, mid), (mid, hi)):
                if not self.judge(self.direction(b, a, rng, np.arange(l2, h2))):
                    lo, hi = l2, h2
                    break
            else:
                return None
        return [(c, self.judge(c)) for c in self.entries(b, a, range(lo, hi))]

    def directional(self, b: int, a: np.ndarray, comps: list[_Component],
                    rng: np.random.Generator) -> list[_Component]:
        """The components that report a block checked along ``comps`` (its directions): the worst
        entry the bisection finds wrong; or, when the entries there pass but some are at a kink, the
        directions marked not compared (they crossed the kink) and those entries; else the
        directions as they are."""
        failing = [c for c in comps if not self.judge(c)]
        located = self.locate(b, a, rng) if failing else None
        if located is None:
            return comps
        wrong = [c for c, ok in located if not ok]
        if wrong:
            return [max(wrong, key=lambda c: abs(c.analytic - c.numeric))]
        kinks = [c for c, _ in located if c.note is not None]
        if not kinks:
            return comps
        for c in failing:
            c.note = "along a direction that crosses a kink, not compared"
        return comps + kinks


def _analytic(grad, params: Params, arrays: list[np.ndarray], names: list[str]) -> list[np.ndarray]:
    if callable(grad):
        grad = grad(rebuild(params, arrays))
    if isinstance(grad, Mapping):
        grad = [grad[k] for k in names]
    grad = [np.asarray(g) for g in grad]
    if len(grad) != len(arrays):
        raise ValueError(f"gradcheck: {len(grad)} gradient blocks for {len(arrays)} parameter blocks; "
                         "give one per block")
    for name, g, p in zip(names, grad, arrays):
        if g.shape != p.shape:
            raise ValueError(f"gradcheck: block {name}: analytic shape {g.shape} != parameter shape "
                             f"{p.shape}; the gradient must be shaped like its parameters")
    return [np.real_if_close(g).astype(np.float64) for g in grad]


def _block_error(name: str, comps: list[_Component], rtol: float, atol: float, mode: str) -> BlockError:
    compared = [c for c in comps if c.note is None]
    skipped = tuple(f"{BlockError(name, c.index, 0, 0, 0, 0).where()}: {c.note}"
                    for c in comps if c.note is not None)
    if not compared:
        return BlockError(name, None, np.nan, np.nan, rtol, atol, mode, 0, skipped)
    errors = (BlockError(name, c.index, c.analytic, c.numeric, rtol, atol, mode, len(compared),
                         skipped, c.slack) for c in compared)
    return max(errors, key=lambda e: e.ratio)


def check_gradients(f: Callable, grad: Sequence[np.ndarray] | Mapping | Callable, params: Params,
                    method: str = "complex", rtol: float | None = None, atol: float | None = None,
                    names: Sequence[str] | None = None, *, mode: str = "auto",
                    directions: int = DIRECTIONS, seed: int = 0) -> Comparison:
    """Compare ``grad`` (arrays, a dict, or a callable on ``params``) with the numeric gradient of
    ``f`` (a scalar function of ``params``: a list of arrays, or a dict name -> array).

    ``method``: ``"complex"`` (``f`` must accept complex parameters) or ``"central"``.  ``rtol``,
    ``atol``: see the module (None: :func:`default_tolerance`).  ``mode``: ``"entries"`` (every
    entry), ``"directional"`` (every block along ``directions`` random directions, drawn from
    ``seed``; a failing block is narrowed down to an entry) or ``"auto"`` (entries for blocks of at
    most :data:`ENTRIES_MAX`).  Returns a :class:`Comparison`; it does not raise (see
    :func:`numerics.testing.assert_gradients_match`).
    """
    _method(method)
    if mode not in MODES:
        raise ValueError(f"gradcheck: unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    if not (isinstance(directions, (int, np.integer)) and directions >= 1):
        raise ValueError(f"gradcheck: directions must be a positive integer, got {directions!r}")
    names, arrays = blocks(params, names)
    analytic = _analytic(grad, params, arrays, names)
    dtype = np.result_type(*arrays) if arrays else np.float64
    check = _Check(f, params, arrays, method)
    rng = np.random.default_rng(seed)
    found: dict[str, tuple[str, list[_Component]]] = {}
    try:
        for b, (name, a) in enumerate(zip(names, analytic)):
            if a.size == 0:
                continue
            if mode == "entries" or (mode == "auto" and a.size <= ENTRIES_MAX):
                found[name] = ("entries", check.entries(b, a))
            else:
                ix = np.arange(a.size)
                found[name] = ("directional", [check.direction(b, a, rng, ix) for _ in range(directions)])
    except ComplexStepError as exc:
        return Comparison(method, default_rtol(method, dtype) if rtol is None else rtol,
                          atol=0.0 if atol is None else atol, problem=str(exc))
    numeric = [abs(c.numeric) for _, comps in found.values() for c in comps if np.isfinite(c.numeric)]
    scale = max([1.0, abs(check.f0) if np.isfinite(check.f0) else 0.0, *numeric,
                 *(float(np.abs(a).max()) for a in analytic if a.size and np.isfinite(a).all())])
    d_rtol, d_atol = default_tolerance(method, dtype, scale)
    check.rtol = d_rtol if rtol is None else float(rtol)
    check.atol = d_atol if atol is None else float(atol)
    out = {}
    for b, name in enumerate(names):
        if name not in found:
            continue
        mode_b, comps = found[name]
        if mode_b == "directional":
            comps = check.directional(b, analytic[b], comps, rng)
        else:
            for c in comps:
                check.judge(c)
        out[name] = _block_error(name, comps, check.rtol, check.atol, mode_b)
    return Comparison(method, check.rtol, out, check.atol)


def compare(analytic: Sequence[np.ndarray], numeric: Sequence[np.ndarray], names: Sequence[str],
            method: str, rtol: float, atol: float = 0.0,
            slack: Sequence[np.ndarray] | None = None) -> Comparison:
    """Compare two given gradients entry by entry (shapes must match), with ``rtol`` and ``atol``
    as they are (no kink test: that needs f).  An entry whose numeric value is not finite (the
    numeric method overflowed there) is not compared, and said so.  ``slack``: per entry, a bound
    on the numeric value's own error (a difference quotient's truncation), added to the allowance."""
    if len(analytic) != len(numeric) or len(names) != len(numeric):
        raise ValueError(f"gradcheck: {len(analytic)} analytic blocks, {len(numeric)} numeric "
                         f"blocks and {len(names)} names; give one of each per parameter block")
    out = {}
    slack = [np.zeros(np.shape(n)) for n in numeric] if slack is None else slack
    for name, a, n, e in zip(names, analytic, numeric, slack):
        a, n = np.asarray(a, dtype=np.float64), np.asarray(n, dtype=np.float64)
        e = np.broadcast_to(np.asarray(e, dtype=np.float64), n.shape)
        if a.shape != n.shape:
            raise ValueError(f"gradcheck: block {name}: analytic shape {a.shape} != numeric shape "
                             f"{n.shape}; the gradient must be shaped like its parameters")
        comps = [_Component(tuple(int(k) for k in np.unravel_index(i, a.shape)), float(av), float(nv),
                            note=None if np.isfinite(nv) else "the numeric value overflowed, not compared",
                            slack=float(ev) if np.isfinite(ev) else 0.0)
                 for i, (av, nv, ev) in enumerate(zip(a.reshape(-1), n.reshape(-1), e.reshape(-1)))]
        if comps:
            out[name] = _block_error(name, comps, rtol, atol, "entries")
    return Comparison(method, rtol, out, atol)
