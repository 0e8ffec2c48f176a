r"""The gradient-check suite behind ``gradproof check``: generated backprop against numeric gradients.

For small random networks — every architecture in :data:`ARCHITECTURES`, every hidden activation ×
cost pair, with no regularization, L2 and L1 — the gradient of the (regularized) mean cost that the
*stable* generated kernels compute (``Network.regularized_gradients``, i.e. BP1-BP4 and the penalty's
gradient) is compared, parameter block by parameter block and entry by entry, with

* the **complex step** of the *textbook* kernels' cost (rtol
  :data:`~numerics.gradcheck.COMPLEX_STEP_RTOL`, atol near machine precision) — so it also checks
  the stable forms against the textbook ones; and
* **central differences** of the stable kernels' cost (rtol :data:`~numerics.gradcheck.CENTRAL_RTOL`,
  atol from the step and the cost's scale),

with the tolerances and the kink test of :mod:`numerics.gradcheck`.  The textbook kernels keep the
book's σ = 1/(1 + e^{−z}), which overflows in complex arithmetic for z < −709 where the stable form
does not (eˣ hidden layers get there); an entry whose complex step is not finite is not compared,
and the check says so.

Inputs are uniform in [0, 1), targets one-hot rows (log-likelihood) or uniform in [0, 1); weights
N(0, 1/n_in) and biases N(0, 1).  A draw is redrawn while a hidden input z lies within
:data:`KINK_MARGIN` of a kink of the activation or (for L1) a weight within it of 0
(:func:`near_kink`), so that the central differences compare every entry.
"""
from __future__ import annotations

import itertools
import time

import numpy as np

from . import codegen
from .gradcheck import CENTRAL_ORDER, COMPLEX_STEP_H, check_gradients
from .network import Network

__all__ = ["ARCHITECTURES", "BATCH", "LMBDA", "N_TRAIN", "KINK_MARGIN", "METHODS", "STEPS", "PROBE_Z",
           "near_kink", "safe_range", "run_checks", "summary"]

ARCHITECTURES: tuple[tuple[int, ...], ...] = ((3, 4, 2), (4, 5, 3, 3), (2, 3, 3, 2))
BATCH = 4  #: rows in each check's mini-batch
LMBDA, N_TRAIN = 0.5, 10  #: λ and n of the regularized checks (λ/n = 0.05)
#: minimum |z| (ReLU) and |w| (L1) of a drawn case: well beyond the ±2h ≈ ±1.5e-3 (times |x| ≤ 1)
#: by which the fourth-order central differences move a parameter
KINK_MARGIN = 0.02
#: numeric method name in gradcheck -> the name a check reports
METHODS = {"complex": "complex_step", "central": "central_difference"}
#: how each method steps, for reports
STEPS = {"complex": f"Im f(x + ih)/h, h = {COMPLEX_STEP_H:g}, on the textbook kernels",
         "central": f"order-{CENTRAL_ORDER} central differences, h = eps^(1/{CENTRAL_ORDER + 1})"
                    "·max(1, |x|), on the stable kernels"}


def _targets(rng: np.random.Generator, cost: str, m: int, n_out: int) -> np.ndarray:
    if cost == "log_likelihood":
        return np.eye(n_out)[rng.integers(0, n_out, m)]
    return rng.uniform(size=(m, n_out))


def near_kink(net: Network, X: np.ndarray, margin: float = KINK_MARGIN, reg: str = "none") -> bool:
    """True when a hidden input z of ``net`` on ``X`` lies within ``margin`` of a kink of its
    activation (ReLU's 0, ``Activation.kinks``) or, for ``reg="l1"``, a weight within ``margin`` of 0."""
    if reg == "l1" and min(np.abs(w).min() for w in net.weights) < margin:
        return True
    kinks = net.activation_def.kinks
    if not kinks:
        return False
    k = net.kernels
    zs = [k.weighted_output(net.weights[:i + 1], net.biases[:i + 1], X)
          for i in range(net.num_layers - 2)]
    return any(np.abs(z - kink).min() < margin for z in zs for kink in kinks)


def _case(rng: np.random.Generator, sizes, activation, cost, reg: str):
    for _ in range(100):
        net = Network(sizes, activation=activation, cost=cost, seed=int(rng.integers(2**31)))
        X = rng.uniform(size=(BATCH, sizes[0]))
        if not near_kink(net, X, KINK_MARGIN, reg):
            return net, X, _targets(rng, net.cost_name, BATCH, sizes[-1])
    raise RuntimeError(f"no draw away from the kinks for {activation}/{cost}/{reg} {list(sizes)}")


def run_checks(seed: int = 0, activations=None, costs=None) -> list[dict]:
    r"""Run the suite; one dict per (architecture, activation, cost, regularization, method).

    ``activations``, ``costs``: what to check (names or ``derive.book.custom`` objects; default every
    shipped one), so a user's activation or cost is checked by the same code.

    Each dict: ``id`` (``activation/cost/reg/sizes/method``), ``method`` (``complex_step`` or
    ``central_difference``), ``activation``, ``cost``, ``reg``, ``sizes``, ``lmbda``, ``n``,
    ``max_rel_error``, ``tolerance`` (the rtol), ``atol``, ``status`` (``passed``, ``failed`` or
    ``not compared``: nothing could be), ``passed`` (nothing failed: True for a check that compared
    nothing too, which is no failure of the kernels; ``status`` tells them apart), ``not_compared``
    (``"where: why"`` for each component not compared), ``problem`` (why the method could not run at
    all, or None), ``blocks`` (block name ``w^l``/``b^l`` in the book's layer numbering -> max
    relative error in it), ``worst`` (``where``, ``analytic``, ``numeric``), ``floor`` (atol/rtol,
    the relative error's denominator floor), ``step`` (the numeric method, in words) and
    ``seconds``.  Relative error as in :mod:`numerics.gradcheck`: at most ``tolerance`` exactly
    when the check passes.
    """
    rng = np.random.default_rng(seed)
    out = []
    for sizes, activation, cost, reg in itertools.product(
            ARCHITECTURES, activations or codegen.ACTIVATION_NAMES, costs or codegen.COST_NAMES,
            codegen.REGS):
        net, X, Y = _case(rng, sizes, activation, cost, reg)
        activation, cost = net.activation, net.cost_name
        lmbda, n = (0.0, 1) if reg == "none" else (LMBDA, N_TRAIN)
        nabla_w, nabla_b = net.regularized_gradients(X, Y, lmbda, n, reg)
        analytic = [*nabla_w, *nabla_b]
        for method, label in METHODS.items():
            t0 = time.perf_counter()
            f = net.cost_function(X, Y, lmbda, n, reg, textbook=(method == "complex"))
            cmp = check_gradients(f, analytic, net.parameters(), method, names=net.parameter_names(),
                                  mode="entries")
            d = cmp.as_dict()
            out.append({"id": f"{activation}/{cost}/{reg}/{'-'.join(map(str, sizes))}/{label}",
                        "method": label, "activation": activation, "cost": cost, "reg": reg,
                        "sizes": list(sizes), "lmbda": lmbda, "n": n,
                        "max_rel_error": d["max_rel_error"], "tolerance": d["tolerance"],
                        "atol": d["atol"], "passed": d["status"] != "failed", "status": d["status"],
                        "not_compared": d["not_compared"], "problem": d["problem"],
                        "blocks": d["blocks"], "worst": d["worst"],
                        "floor": d["floor"], "step": STEPS[method],
                        "seconds": round(time.perf_counter() - t0, 4)})
    return out


def summary(checks: list[dict]) -> dict:
    """``{"passed", "not_compared", "failed", "total": N, "max_rel_error": {method: worst}}``: a
    check that compared nothing (every component at a kink, or not finite under its method) is
    neither passed nor failed."""
    worst: dict[str, float] = {}
    for c in checks:
        worst[c["method"]] = max(worst.get(c["method"], 0.0), c["max_rel_error"])
    count = {s: sum(c["status"] == s for c in checks) for s in ("passed", "not compared", "failed")}
    return {"passed": count["passed"], "not_compared": count["not compared"], "failed": count["failed"],
            "total": len(checks), "max_rel_error": worst}


#: the weighted inputs :func:`safe_range` tries: 0 and ±10^k for k from −3 to 3, 600 steps
PROBE_Z = np.concatenate([[0.0], np.logspace(-3, 3, 601), -np.logspace(-3, 3, 601)])


def safe_range(activation=None, cost=None) -> dict:
    r"""Probe the printed *stable* kernels for overflow and NaN: those of ``activation`` (hidden
    layers: ``activation``, ``activation_prime``) and of ``cost`` (``output_activation``,
    ``output_error``, ``cost_terms``, with y = 0 and 1); either may be None (not probed).

    Each z of :data:`PROBE_Z` is fed one at a time, with overflow, invalid operations and division
    by zero made errors (underflow to 0 is exact enough and allowed).  Returns ``{"lo", "hi"}``,
    the widest interval around 0 in which every z gave finite values without such an error,
    ``"problems"`` (up to four ``"z = …: what"`` strings, nearest 0 first) and ``"whole_probe"``
    (True when safe for every |z| ≤ 1000).
    """
    k = codegen.kernels(cost or "quadratic", activation or "sigmoid")
    bad: dict[float, str] = {}
    for zv in PROBE_Z:
        zz = np.array([[zv]])
        for y in (0.0, 1.0):
            yy = np.array([[y]])
            try:
                with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
                    outs = []
                    if activation is not None:
                        a = k.activation(zz)
                        outs += [("activation", a), ("activation_prime", k.activation_prime(a, zz))]
                    if cost is not None:
                        aL = k.output_activation(zz)
                        outs += [("output_activation", aL), ("output_error", k.output_error(aL, yy, zz)),
                                 ("cost_terms", k.cost_terms(zz, yy))]
                for name, v in outs:
                    if not np.all(np.isfinite(v)):
                        raise FloatingPointError(f"{name} is {np.ravel(v)[0]}")
            except FloatingPointError as exc:
                bad.setdefault(float(zv), str(exc))
                break
    hi = min((z for z in bad if z > 0), default=np.inf)
    lo = max((z for z in bad if z < 0), default=-np.inf)
    if 0.0 in bad:
        return {"lo": 0.0, "hi": 0.0, "problems": [f"z = 0: {bad[0.0]}"], "whole_probe": False}
    inside = PROBE_Z[(PROBE_Z > lo) & (PROBE_Z < hi)]
    problems = [f"z = {z:g}: {bad[z]}" for z in sorted(bad, key=abs)[:4]]
    return {"lo": float(inside.min()), "hi": float(inside.max()), "problems": problems,
            "whole_probe": not bad}
