r"""Hessian-vector and Gauss–Newton products, printed from the R-operator's proved expressions.

For each (cost, activation) :func:`curvature_source` prints a module from the template
``templates/curvature.py.j2`` and :func:`curvature_kernels` compiles it (once, cached; its text in
:mod:`linecache`, like the gradient kernels of :mod:`numerics.codegen`).  Every mathematical line is
printed from a SymPy expression ``derive`` owns:

===========================================  ==========================================================
printed                                       from
===========================================  ==========================================================
z^l, a^l, σ′, δ^L, BP2 (the forward state)   ``derive.book.backprop.BATCHED``, the ``Activation``, the ``Cost``
σ″ of the hidden layers                       :func:`derive.book.r_operator.second` (``activation_second``)
Λ = ∂δ^L/∂z^L (elementwise output)            :func:`derive.book.r_operator.output_curvature`
Λ_G, the Gauss–Newton output curvature        :func:`derive.book.gauss_newton.gauss_newton_curvature`
R{z}, R{a}, R{δ^L}, R{δ^l}, R{∇C}             ``derive.book.r_operator.BATCHED_R`` (theorem ``r_batched``)
J^T of the Gauss–Newton product               BP2, BP3, BP4 of ``BATCHED`` applied to R_G{δ}
===========================================  ==========================================================

:class:`Curvature` runs the forward pass once on a mini-batch and then gives H v, G v and the
gradient there, with a direction laid out like ``Network.parameters()`` (``[w^2 … w^L, b^2 … b^L]``):
what conjugate gradients needs (:mod:`numerics.newton`).
"""
from __future__ import annotations

import functools
import linecache
import types
from typing import Sequence

import jinja2
import numpy as np
import sympy as sp

from gradproof.derive.book import backprop
from gradproof.derive.book.activations import ACTIVATIONS, Activation, z
from gradproof.derive.book.costs import Cost
from gradproof.derive.book.gauss_newton import gauss_newton_curvature
from gradproof.derive.book.r_operator import (BATCHED_R, BATCHED_R_SYMBOLS, output_curvature,
                                               second)
from gradproof.derive.book import softmax as _softmax

from .codegen import resolve
from .printer import BP_NAMES, KernelPrinter, indent, lines, pretty, row_form, rowmax

__all__ = ["curvature_source", "curvature_kernels", "curvature_filename", "Curvature",
           "hessian_vector", "gauss_newton_vector", "flat", "blocks"]


class _Printer(KernelPrinter):
    """The kernel printer, and :math:`X\\mathbf 1_{n\\times n}` (every row's sum, repeated along the
    row) as ``X.sum(axis=1, keepdims=True)``: numpy broadcasts it back along the row."""

    def _print_MatMul(self, expr):
        coeff, factors = expr.as_coeff_matrices()
        if (len(factors) == 2 and isinstance(factors[1], sp.OneMatrix)
                and factors[1].shape[0] == factors[1].shape[1]):
            code = f"{self._atom(factors[0])}.sum(axis=1, keepdims=True)"
            return code if coeff == 1 else ("-" + code if coeff == -1 else f"{self.scalar(coeff)}*{code}")
        return super()._print_MatMul(expr)


_S = BATCHED_R_SYMBOLS
#: BATCHED_R's symbols -> the template's locals.
_NAMES = {"A_prev": "a", "RA_prev": "ra", "W": "w", "V": "v", "beta": "beta", "SigmaPrime": "s",
          "SigmaSecond": "t", "RZ": "rz", "Lambda": "lam", "A": "a", "Delta_next": "delta",
          "RDelta_next": "rdelta", "W_next": "w", "V_next": "v", "Delta": "delta_m",
          "RDelta": "rdelta_m", "back": "back"}


def _zero(name: str) -> dict:
    return {_S[name]: sp.ZeroMatrix(*_S[name].shape)}


def _scaled(expr: sp.MatrixExpr) -> tuple[sp.Expr, sp.MatrixExpr]:
    """``(c, X)`` with ``expr = c X``, c the scalar factor (1/m of the mean)."""
    coeff, factors = expr.as_coeff_matrices()
    if len(factors) == 1 and not isinstance(expr, sp.MatMul):
        return sp.S.One, expr
    rest = sp.MatMul(*factors) if len(factors) > 1 else factors[0]
    return coeff, rest


def _r_code(second_is_zero: bool) -> dict[str, str]:
    """The R-pass lines from ``BATCHED_R`` (theorem ``r_batched``)."""
    p = _Printer(False, _NAMES)
    back = sp.MatrixSymbol("back", *(_S["Delta_next"] * _S["W_next"]).shape)
    rbp2 = BATCHED_R["rbp2"].xreplace({_S["Delta_next"] * _S["W_next"]: back})
    if second_is_zero:  # σ″ = 0 (ReLU away from its kink): the term vanishes
        rbp2 = rbp2.xreplace(_zero("SigmaSecond")).doit()
    c3, f3 = _scaled(BATCHED_R["rbp3"])
    c4, f4 = _scaled(BATCHED_R["rbp4"])
    if c3 != c4:
        raise AssertionError(f"r_batched: R{{∂C/∂b}} and R{{∂C/∂W}} scale differently ({c3}, {c4})")
    return {"rz_first": p.doprint(BATCHED_R["rz"].xreplace(_zero("RA_prev")).doit()),
            "rz": p.doprint(BATCHED_R["rz"]), "ra": p.doprint(BATCHED_R["ra"]),
            "rbp1": p.doprint(BATCHED_R["rbp1"]), "rsoftmax": p.doprint(BATCHED_R["rsoftmax"]),
            "rbp2": p.doprint(rbp2),
            "scale": f"rdelta_m, delta_m = {p.scalar(c3)}*rdelta, {p.scalar(c3)}*delta",
            "rbp3": p.doprint(f3), "rbp4": p.doprint(f4),
            "rbp4_first": p.doprint(f4.xreplace(_zero("RA_prev")).doit())}


def _gn_code() -> dict[str, str]:
    """The Gauss–Newton pass: R_G{δ^L} = Λ_G ⊙ R{z^L}, then BP2-BP4 of ``BATCHED`` as they are."""
    bp = backprop.BATCHED
    s = backprop.BATCHED_SYMBOLS
    p = KernelPrinter(False, dict(BP_NAMES, SigmaPrime="s"))
    c3, f3 = _scaled(bp["bp3"])
    c4, f4 = _scaled(bp["bp4"])
    if c3 != c4:
        raise AssertionError(f"bp_batched: BP3 and BP4 scale differently ({c3}, {c4})")
    scaled = KernelPrinter(False, dict(BP_NAMES, Delta="delta_m"))
    return {"gn_bp1": _Printer(False, dict(_NAMES, Lambda="lam_gn")).doprint(BATCHED_R["rbp1"]),
            "bp2": p.doprint(bp["bp2"].xreplace({s["SigmaPrime"]: sp.MatrixSymbol("s", *s["SigmaPrime"].shape)})),
            "gn_scale": f"delta_m = {scaled.scalar(c3)}*delta",
            "bp3": scaled.doprint(f3), "bp4": scaled.doprint(f4)}


def _context(cost: Cost, act: Activation) -> dict:
    """What the template shows for (cost, activation), every mathematical line printed."""
    bp = backprop.BATCHED
    names = dict(BP_NAMES)
    p = KernelPrinter(False, names)
    softmax = cost.output == "softmax"
    if softmax:
        out_act = row_form(_softmax.SOFTMAX_SHIFTED, _softmax.z).xreplace({_softmax.SHIFT: rowmax(z)})
        out_id, out_sigma = "eq. (78), logsumexp_shift", "softmax"
    else:
        out = cost.output_activation or ACTIVATIONS[cost.output]
        out_act, out_id, out_sigma = out.stable(z), out.stable_id or out.source, out.display
    sec = second(act)
    ctx = {"cost": cost.name, "activation": act.name, "sigma": act.display, "output_sigma": out_sigma,
           "softmax": softmax,
           "z": p.doprint(bp["z"]),
           "z_last": KernelPrinter(False, dict(names, W="weights[-1]", b="biases[-1]")).doprint(bp["z"]),
           "hidden": lines("a", act.stable(z), p, f"a^l = {act.display}(z^l)  [{act.stable_id or act.source}]"),
           "prime": p.doprint(act.prime), "prime_id": act.prime_id,
           "second": p.doprint(sec), "second_id": _second_id(act),
           "output": lines("a", out_act, p, f"a^L = {out_sigma}(z^L)  [{out_id}]") + ["activations.append(a)"],
           "delta": p.doprint(cost.delta), "delta_id": cost.delta_id,
           "delta_shown": pretty(cost.delta, {"a": "a^L", "z": "z^L"}),
           "a_out": "activations[-1]"}
    if not softmax:
        lam, lam_gn = output_curvature(cost), gauss_newton_curvature(cost)
        ctx.update(lam=p.doprint(lam), lam_gn=p.doprint(lam_gn),
                   gn_split=("the split at z^L: the cost matches its output layer, Λ_G = Λ" if cost.cancels
                             else "the split at a^L: Λ_G = c″(a) " + out_sigma + "′(z)², the σ″ term dropped"))
    ctx.update(_r_code(sec == 0), second_zero=sec == 0)
    ctx.update(_gn_code())
    return ctx


def _second_id(act: Activation) -> str:
    """The theorem that proves the printed σ″: ``activation_second`` for a shipped activation,
    the activation's own ``<name>_second`` (:func:`derive.book.r_operator.second_identity`) else."""
    return "activation_second" if act.name in ACTIVATIONS else f"{act.name}_second"


# -- the module ---------------------------------------------------------------------------------------
_TEMPLATES = jinja2.Environment(loader=jinja2.PackageLoader("gradproof.numerics", "templates"),
                                undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                                trim_blocks=True, lstrip_blocks=True, autoescape=False)
_TEMPLATES.filters["indented"] = indent


def curvature_filename(cost, activation) -> str:
    """The pseudo file name of a curvature kernel module (as tracebacks show it)."""
    cost, activation = getattr(cost, "name", cost), getattr(activation, "name", activation)
    return f"<gradproof curvature kernels: {cost}/{activation}>"


def curvature_source(cost, activation) -> str:
    """The Python source of the curvature kernel module for ``(cost, activation)`` (names or
    ``Cost``/``Activation`` objects; see the module docstring)."""
    return _source(*resolve(cost, activation))


@functools.lru_cache(maxsize=None)
def _source(cost: Cost, act: Activation) -> str:
    return _TEMPLATES.get_template("curvature.py.j2").render(_context(cost, act))


def curvature_kernels(cost, activation) -> types.ModuleType:
    """The compiled curvature kernel module for ``(cost, activation)``, cached; its text is in
    linecache (tracebacks and ``inspect.getsource`` show it)."""
    return _compiled(*resolve(cost, activation))


@functools.lru_cache(maxsize=None)
def _compiled(cost: Cost, act: Activation) -> types.ModuleType:
    source = _source(cost, act)
    name = curvature_filename(cost, act)
    code = compile(source, name, "exec")
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    module = types.ModuleType(f"gradproof_curvature_{cost.name}_{act.name}")
    module.__file__ = name
    exec(code, module.__dict__)
    return module


# -- a direction as one vector or as blocks --------------------------------------------------------------
def flat(blocks_: Sequence[np.ndarray]) -> np.ndarray:
    """Parameter blocks (``[w^2 … w^L, b^2 … b^L]``) as one vector."""
    return np.concatenate([np.ravel(b) for b in blocks_])


def blocks(vector: np.ndarray, like: Sequence[np.ndarray]) -> list[np.ndarray]:
    """The inverse of :func:`flat`: ``vector`` cut into blocks shaped like ``like``."""
    total = sum(b.size for b in like)
    if len(vector) != total:
        raise ValueError(f"blocks: a vector of {len(vector)} entries for {total} parameters; "
                         "give one entry per weight and bias")
    out, at = [], 0
    for b in like:
        out.append(np.asarray(vector[at:at + b.size]).reshape(b.shape))
        at += b.size
    return out


class Curvature:
    r"""The curvature of the mean cost of ``net`` on the mini-batch ``(X, Y)`` at the current
    parameters: the forward pass runs once (``forward`` of the printed kernels), then

    * :meth:`hv` ``(v)`` is :math:`Hv` (the R-pass, theorem ``hessian_vector_product``),
    * :meth:`gv` ``(v)`` is :math:`Gv = J^T H_o J v` (theorem ``gauss_newton_product``),
    * :meth:`gradient` is :math:`\nabla C` (BP3, BP4 from the kept δ),

    each with v and the result as parameter blocks ``[w^2 … w^L, b^2 … b^L]`` (``Network.parameters()``
    order).  X: (m, n_in) floats, Y: (m, n_out).  The parameters must not change while it is used.
    """

    def __init__(self, net, X: np.ndarray, Y: np.ndarray):
        X, Y = np.asarray(X, dtype=net.dtype), np.asarray(Y, dtype=net.dtype)
        if X.ndim != 2 or X.shape[1] != net.sizes[0] or Y.shape != (X.shape[0], net.sizes[-1]):
            raise ValueError(f"Curvature: X must be (m, {net.sizes[0]}) and Y (m, {net.sizes[-1]}); "
                             f"got {X.shape} and {Y.shape}")
        self.net, self.kernels = net, curvature_kernels(net.cost_def, net.activation_def)
        self.rows = X.shape[0]
        self.state = self.kernels.forward(net.weights, net.biases, X, Y)

    def _split(self, v: Sequence[np.ndarray]) -> tuple[list, list]:
        k = len(self.net.weights)
        if len(v) != 2 * k:
            raise ValueError(f"Curvature: a direction has {2 * k} blocks (w^2 … w^L, b^2 … b^L), "
                             f"got {len(v)}")
        return list(v[:k]), list(v[k:])

    def hv(self, v: Sequence[np.ndarray]) -> list[np.ndarray]:
        """:math:`Hv`, as parameter blocks."""
        vw, vb = self._split(v)
        hw, hb = self.kernels.hessian_vector_at(self.state, self.net.weights, vw, vb)
        return [*hw, *hb]

    def gv(self, v: Sequence[np.ndarray]) -> list[np.ndarray]:
        """:math:`Gv = J^T H_o J v`, as parameter blocks."""
        vw, vb = self._split(v)
        gw, gb = self.kernels.gauss_newton_vector_at(self.state, self.net.weights, vw, vb)
        return [*gw, *gb]

    def gradient(self) -> list[np.ndarray]:
        """:math:`\nabla C` from the kept errors δ^l (BP3, BP4), as parameter blocks."""
        m, activations, _, _, deltas, _, _, _ = self.state
        nw = [(d / m).T @ a for d, a in zip(deltas, activations)]
        nb = [d.sum(axis=0) / m for d in deltas]
        return [*nw, *nb]


def hessian_vector(net, X: np.ndarray, Y: np.ndarray, v: Sequence[np.ndarray]) -> list[np.ndarray]:
    """:math:`Hv` of the mean cost of ``net`` on (X, Y), v and the result as parameter blocks."""
    return Curvature(net, X, Y).hv(v)


def gauss_newton_vector(net, X: np.ndarray, Y: np.ndarray, v: Sequence[np.ndarray]) -> list[np.ndarray]:
    """:math:`Gv` of the mean cost of ``net`` on (X, Y), v and the result as parameter blocks."""
    return Curvature(net, X, Y).gv(v)
