r"""The curvature checks behind ``gradproof check``: the printed Hv and Gv kernels against oracles.

For small random networks — every architecture of :data:`numerics.checks.ARCHITECTURES`, every
activation × cost — and a random direction v, the products of :mod:`numerics.curvature` are
compared, block by block (the relative error of :func:`numerics.gradcheck.compare`), with

**H v** (the R-pass)

* ``central_difference``: fourth-order central differences of the *gradient kernel* along v,
  :math:`[8(g(w+hv) - g(w-hv)) - (g(w+2hv) - g(w-2hv))]/12h` (tolerance :data:`CENTRAL_RTOL`);
* ``complex_step``: the complex step through the gradient, :math:`\operatorname{Im} g(w + ihv)/h`,
  g the complex-safe *textbook* gradient kernel (:data:`EXACT_RTOL`);
* ``exact``: :math:`Hv` with H formed column by column, :math:`H e_q = \operatorname{Im} g(w + ihe_q)/h`
  (exact to rounding; its symmetry is reported too) (:data:`EXACT_RTOL`);

**G v** (the Gauss–Newton pass), :math:`G = \frac1m\sum_x J_x^T H_{o,x} J_x` from its definition:
o the output the split is made at (:math:`z^L` for a softmax or a cost that matches its output
layer, :math:`a^L` otherwise), :math:`H_o = \partial^2 C_x/\partial o^2` by SymPy from the cost's
own term (lambdified; no R-pass), and

* ``central_difference``: :math:`Jv` by central differences of the forward pass along v, then
  :math:`J^T u = \nabla_w (u\cdot o(w))` by central differences (u fixed);
* ``complex_step``: both by the complex step through the textbook forward pass;
* ``exact``: J formed column by column by the complex step, then :math:`J^T H_o J v`.

Inputs, targets and the redraw away from kinks are as in :mod:`numerics.checks`.
"""
from __future__ import annotations

import functools
import itertools
import time

import numpy as np
import sympy as sp

from gradproof.derive.book.activations import ACTIVATIONS, a as _a
from gradproof.derive.book.costs import y as _y

from . import codegen
from .checks import ARCHITECTURES, BATCH, KINK_MARGIN
from .curvature import Curvature, blocks, flat
from .gradcheck import COMPLEX_STEP_H, compare, default_tolerance
from .network import Network

__all__ = ["CENTRAL_RTOL", "EXACT_RTOL", "STEP", "PRODUCTS", "METHODS", "run_curvature_checks", "tolerance",
           "curvature_summary", "exact_hessian", "exact_gauss_newton", "output_hessian"]

CENTRAL_RTOL = 1e-7  #: central differences of the gradient (or forward pass) against a product
EXACT_RTOL = 1e-12  #: the complex step and the exact matrices against a product
STEP = 1e-3  #: the central differences' step along a unit-size direction (fourth order: error ~ h⁴)
PRODUCTS = ("Hv", "Gv")
METHODS = {"central": "central_difference", "complex": "complex_step", "exact": "exact"}
_TOL = {"central": CENTRAL_RTOL, "complex": EXACT_RTOL, "exact": EXACT_RTOL}


def _targets(rng: np.random.Generator, softmax: bool, m: int, n_out: int) -> np.ndarray:
    return np.eye(n_out)[rng.integers(0, n_out, m)] if softmax else rng.uniform(size=(m, n_out))


def _kinked(net: Network, X: np.ndarray) -> bool:
    """A hidden weighted input within KINK_MARGIN of a kink of the activation."""
    kinks = net.activation_def.kinks
    if not kinks:
        return False
    k = net.kernels
    zs = [k.weighted_output(net.weights[:i + 1], net.biases[:i + 1], X) for i in range(net.num_layers - 2)]
    return any(np.abs(zz - kink).min() < KINK_MARGIN for zz in zs for kink in kinks)


def _draw(rng: np.random.Generator, sizes, activation, cost):
    for _ in range(100):
        net = Network(sizes, activation=activation, cost=cost, seed=int(rng.integers(2**31)))
        X = rng.uniform(size=(BATCH, sizes[0]))
        if not _kinked(net, X):
            return net, X, _targets(rng, net.cost_def.output == "softmax", BATCH, sizes[-1])
    raise RuntimeError(f"no draw away from the kinks for {activation}/{cost} {list(sizes)}")


# --- the oracles ------------------------------------------------------------------------------------------
def _gradient(net: Network, X, Y, textbook: bool):
    """``g(params) -> vector``: the gradient kernel (textbook: complex-safe) as a function."""
    k = codegen.kernels(net.cost_def, net.activation_def, textbook)

    def g(params):
        W, B = net.split(params)
        nw, nb = k.backprop(W, B, X, Y)
        return flat([*nw, *nb])
    return g


def _moved(params, v, t):
    return [p + t * d for p, d in zip(params, v)]


def _central(f, params, v, h: float = STEP):
    """Fourth-order central differences of ``f`` (a vector function of the parameters) along v."""
    d1 = f(_moved(params, v, h)) - f(_moved(params, v, -h))
    d2 = f(_moved(params, v, 2 * h)) - f(_moved(params, v, -2 * h))
    return (8 * d1 - d2) / (12 * h)


def _central_with_error(f, params, v, h: float = STEP):
    r"""``(D, e)``: the fourth-order central difference D at step h/2 and a bound e on its
    truncation error, :math:`|D_h - D_{h/2}|` (the error of :math:`D_{h/2}` is about
    :math:`|D_h - D_{h/2}|/15`, its h⁴ term shrinking 16-fold).  A network whose gradient bends fast
    along v (a linear activation stacked four deep under the quadratic cost) puts that term above
    the tolerance at h; it is then measured, not ignored."""
    coarse, fine = _central(f, params, v, h), _central(f, params, v, h / 2)
    return fine, np.abs(coarse - fine)


def _complex(f, params, v, h: float = COMPLEX_STEP_H):
    """The complex step of ``f`` along v: Im f(w + ihv)/h."""
    return np.imag(f(_moved([p.astype(complex) for p in params], v, 1j * h))) / h


def exact_hessian(net: Network, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    r"""The Hessian of the mean cost of ``net`` on (X, Y), (P, P) in ``flat`` order, formed column by
    column by the complex step through the textbook gradient kernel,
    :math:`He_q = \operatorname{Im}\nabla C(w + ihe_q)/h`: exact to rounding (no subtraction).
    Small networks only: P gradients."""
    params = net.parameters()
    g = _gradient(net, X, Y, textbook=True)
    n = sum(p.size for p in params)
    H = np.empty((n, n))
    for q in range(n):
        e = np.zeros(n)
        e[q] = 1.0
        H[:, q] = _complex(g, params, blocks(e, params))
    return H


@functools.lru_cache(maxsize=None)
def output_hessian(cost, n_out: int):
    r"""``(matching, f)``: whether the Gauss–Newton split is at :math:`z^L` (a softmax or a cost that
    matches its output layer) or at :math:`a^L`, and ``f(o, y) -> H_o`` (n_out × n_out), the Hessian
    of the per-example cost in that output, by SymPy from the cost's own term (lambdified).  It is
    the cost's alone (its output layer is the cost's when they match): one per cost and width, for
    every activation of the hidden layers."""
    softmax = cost.output == "softmax"
    matching = softmax or bool(cost.cancels)
    os_ = sp.symbols(f"o1:{n_out + 1}", real=True)
    ys = sp.symbols(f"y1:{n_out + 1}", real=True)
    if softmax:
        S = sp.Add(*[sp.exp(u) for u in os_])
        outs = [sp.exp(u) / S for u in os_]
    elif matching:
        f = (cost.output_activation or ACTIVATIONS[cost.output]).f
        outs = [f(u) for u in os_]
    else:
        outs = list(os_)
    C = sp.Add(*[cost.term.xreplace({_a: o_, _y: y_}) for o_, y_ in zip(outs, ys)])
    # each entry simplified: the book's ln(1 - σ(o)) differentiated twice divides by 1 - σ(o), which
    # rounds to 0 for o > 37; simplified, cross-entropy's entry is e^o/(1 + e^o)², finite to o ≈ 709.
    # C is a sum of one term per output, the same for each, so it does not change when the outputs
    # (and their targets) are permuted: entry (r, c) is entry (0, 1) (or (0, 0) on the diagonal) with
    # the symbols permuted, and only those two are differentiated and simplified.
    first = {k: sp.simplify(sp.diff(C, os_[0], os_[k])) for k in range(min(n_out, 2))}

    def entry(r: int, c: int) -> sp.Expr:
        order = [r] + ([c] if c != r else []) + [i for i in range(n_out) if i not in (r, c)]
        moved = {**dict(zip(os_, [os_[i] for i in order])), **dict(zip(ys, [ys[i] for i in order]))}
        return first[0 if r == c else 1].xreplace(moved)
    H = sp.Matrix(n_out, n_out, entry)
    return matching, sp.lambdify([os_, ys], H, "numpy")


def _output_of(net: Network, X: np.ndarray, matching: bool, textbook: bool):
    """``o(params) -> (m, n_out)``: z^L (matching) or a^L of the rows of X, by the (textbook)
    forward kernels."""
    k = codegen.kernels(net.cost_def, net.activation_def, textbook)
    fn = k.weighted_output if matching else k.feedforward

    def o(params):
        W, B = net.split(params)
        return fn(W, B, X)
    return o


def _jacobian(o, params) -> np.ndarray:
    """∂o/∂w by the complex step, column by column: (m, n_out, P)."""
    n = sum(p.size for p in params)
    cols = []
    for q in range(n):
        e = np.zeros(n)
        e[q] = 1.0
        cols.append(_complex(o, params, blocks(e, params)))
    return np.stack(cols, axis=-1)


def _H_o(net: Network, o0: np.ndarray, Y: np.ndarray):
    matching, f = output_hessian(net.cost_def, net.sizes[-1])
    with np.errstate(all="ignore"):  # e^o past 709: not finite, and then not compared (see compare)
        return matching, np.array([np.asarray(f(list(o_), list(y_)), dtype=float) for o_, y_ in zip(o0, Y)])


def exact_gauss_newton(net: Network, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    r""":math:`G = \frac1m\sum_x J_x^T H_{o,x} J_x`, (P, P), J by the complex step through the textbook
    forward pass and :math:`H_o` by :func:`output_hessian`.  Small networks only."""
    matching = output_hessian(net.cost_def, net.sizes[-1])[0]
    o = _output_of(net, X, matching, textbook=True)
    params = net.parameters()
    J = _jacobian(o, params)
    _, Ho = _H_o(net, o([p.astype(float) for p in params]), Y)
    return np.einsum("xiq,xij,xjp->qp", J, Ho, J) / X.shape[0]


def _gv_numeric(net: Network, X, Y, v, how: str) -> np.ndarray:
    """Gv = Jᵀ(H_o(Jv)) with Jv and Jᵀu by central differences or the complex step."""
    matching = output_hessian(net.cost_def, net.sizes[-1])[0]
    o = _output_of(net, X, matching, textbook=how == "complex")
    params = net.parameters()
    jv = _central(o, params, v) if how == "central" else _complex(o, params, v)
    _, Ho = _H_o(net, o(params), Y)
    u = np.einsum("xij,xj->xi", Ho, jv) / X.shape[0]
    n = sum(p.size for p in params)
    out = np.empty(n)
    psi = lambda ps: np.sum(u * o(ps))  # noqa: E731 - Jᵀu = ∇(u·o), u fixed
    for q in range(n):
        e = np.zeros(n)
        e[q] = 1.0
        out[q] = (_central(lambda ps: np.array([psi(ps)]), params, blocks(e, params))[0] if how == "central"
                  else _complex(lambda ps: np.array([psi(ps)]), params, blocks(e, params))[0])
    return out


# --- the suite -----------------------------------------------------------------------------------------------
def tolerance(method: str, oracle: np.ndarray) -> tuple[float, float]:
    r"""``(rtol, atol)`` of a product against ``oracle``, with S = max(1, max|oracle|) as the
    gradient checks take it: the complex step and the exact matrices
    :math:`(10^{-12}, 1024\,\epsilon S)`, fourth-order central differences of the gradient
    :math:`(10^{-7}, 100\,\epsilon^{4/5} S)` (:func:`numerics.gradcheck.default_tolerance`).
    A product entry far below the largest is held to S's rounding, not to its own digits."""
    finite = oracle[np.isfinite(oracle)]
    scale = max(1.0, float(np.max(np.abs(finite)))) if finite.size else 1.0
    kind = "central" if method == "central" else "complex"
    return _TOL[method], default_tolerance(kind, scale=scale, order=4)[1]


def _compare(net, product: np.ndarray, oracle, method: str) -> dict:
    """``oracle``: the numeric product, or ``(product, truncation-error bound)``."""
    like = net.parameters()
    oracle, slack = oracle if isinstance(oracle, tuple) else (oracle, None)
    rtol, atol = tolerance(method, oracle)
    cmp = compare(blocks(product, like), blocks(oracle, like), net.parameter_names(), METHODS[method],
                  rtol, atol, None if slack is None else blocks(slack, like))
    return cmp.as_dict()


def _one(net: Network, X, Y, v_flat: np.ndarray) -> list[tuple[str, str, dict, float]]:
    """Every (product, method, comparison, seconds) for one drawn case."""
    params, out = net.parameters(), []
    v = blocks(v_flat, params)
    c = Curvature(net, X, Y)
    hv, gv = flat(c.hv(v)), flat(c.gv(v))
    g_stable, g_text = _gradient(net, X, Y, False), _gradient(net, X, Y, True)
    oracles = {
        ("Hv", "central"): lambda: _central_with_error(g_stable, params, v),
        ("Hv", "complex"): lambda: _complex(g_text, params, v),
        ("Hv", "exact"): lambda: exact_hessian(net, X, Y) @ v_flat,
        ("Gv", "central"): lambda: _gv_numeric(net, X, Y, v, "central"),
        ("Gv", "complex"): lambda: _gv_numeric(net, X, Y, v, "complex"),
        ("Gv", "exact"): lambda: exact_gauss_newton(net, X, Y) @ v_flat,
    }
    for (product, method), oracle in oracles.items():
        t0 = time.perf_counter()
        d = _compare(net, hv if product == "Hv" else gv, oracle(), method)
        out.append((product, method, d, time.perf_counter() - t0))
    return out


def run_curvature_checks(seed: int = 0, activations=None, costs=None) -> list[dict]:
    r"""Run the suite; one dict per (architecture, activation, cost, product, method): ``id``
    (``Hv/activation/cost/sizes/method``), ``product`` (``Hv`` or ``Gv``), ``method``
    (``central_difference``, ``complex_step`` or ``exact``), ``activation``, ``cost``, ``sizes``,
    ``max_rel_error``, ``tolerance``, ``passed``, ``blocks``, ``worst``, ``floor``, ``seconds``
    (as :func:`numerics.checks.run_checks`'s).  ``activations``, ``costs``: names or objects
    (default every shipped one)."""
    rng = np.random.default_rng(seed)
    out = []
    for sizes, activation, cost in itertools.product(
            ARCHITECTURES, activations or codegen.ACTIVATION_NAMES, costs or codegen.COST_NAMES):
        net, X, Y = _draw(rng, sizes, activation, cost)
        v = rng.standard_normal(sum(p.size for p in net.parameters()))
        v /= np.max(np.abs(v))
        for product, method, d, seconds in _one(net, X, Y, v):
            label = METHODS[method]
            out.append({"id": f"{product}/{net.activation}/{net.cost_name}/{'-'.join(map(str, sizes))}/{label}",
                        "product": product, "method": label, "activation": net.activation,
                        "cost": net.cost_name, "sizes": list(sizes),
                        "max_rel_error": d["max_rel_error"], "tolerance": d["tolerance"],
                        "atol": d["atol"], "passed": d["status"] != "failed", "status": d["status"],
                        "not_compared": d["not_compared"], "blocks": d["blocks"], "worst": d["worst"],
                        "floor": d["floor"], "seconds": round(seconds, 4)})
    return out


def curvature_summary(checks: list[dict]) -> dict:
    """``{"passed", "not_compared", "failed", "total", "max_rel_error": {"Hv central_difference":
    worst, …}}`` (``passed``: no failure; a check that compared nothing counts in ``not_compared``
    too, as :func:`numerics.checks.summary` counts it)."""
    worst: dict[str, float] = {}
    for c in checks:
        if c["status"] != "not compared":
            key = f"{c['product']} {c['method']}"
            worst[key] = max(worst.get(key, 0.0), c["max_rel_error"])
    return {"passed": sum(c["passed"] for c in checks),
            "not_compared": sum(c["status"] == "not compared" for c in checks),
            "failed": sum(c["status"] == "failed" for c in checks),
            "total": len(checks), "max_rel_error": worst}
