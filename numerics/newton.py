r"""Newton's method on MNIST: truncated Newton (Hessian-free, Martens 2010) and exact Newton.

The book's Hessian technique (eqs. 105, 106; theorem ``hessian_newton_step``) is the step
:math:`\Delta w = -H^{-1}\nabla C`.  H is never formed for a real network: the step is solved with
conjugate gradients, which only needs products (:mod:`numerics.curvature`).

**Newton-CG** (:func:`newton_cg`, settings :class:`NewtonCG`).  Each step, on a random *gradient
batch* of the training set, computes :math:`g = \nabla C` and, on a *curvature batch* drawn from it,
solves

.. math:: (G + \lambda I)\,\Delta w = -g

by conjugate gradients with G the Gauss–Newton matrix (positive semi-definite: theorem
``gauss_newton_product``), warm-started from 0.95 times the previous step, stopped by Martens'
relative-progress rule or after ``cg_iterations`` products.  The damping λ follows
Levenberg–Marquardt on the reduction ratio

.. math:: \rho = \frac{C(w + \Delta w) - C(w)}{q(\Delta w) - q(0)},\qquad
          q(d) = g^Td + \tfrac12 d^T G d:

λ ← 3λ/2 when ρ < 1/4, λ ← 2λ/3 when ρ > 3/4.  A backtracking line search (Armijo, factor 0.8)
keeps only steps that lower the cost on the gradient batch.  L2 regularization adds
:math:`(\lambda_{L2}/n) w` to g and :math:`(\lambda_{L2}/n) v` to each product.

**Passes** count every example a gradient, a cost or a product touches, over the size of the
training set: the measure of work the report and ``gradproof train`` compare with SGD's epochs.

**Exact Newton** (:func:`exact_newton`) forms H (P columns of Hv) for a network small enough,
solves :math:`(H + \mu I)\Delta w = -g` by Cholesky (μ = 0 once H is positive definite and the full
step lowers the cost) on a fixed batch, and records :math:`\|\nabla C\|` and the step: near a
minimum with H positive definite the error squares from one step to the next (quadratic
convergence).
"""
from __future__ import annotations

import math
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from .curvature import Curvature, blocks, flat
from .mnist import scale_pixels
from .train import ConfigError, Diverged, blas_limit, evaluate, training_arrays

__all__ = ["NewtonCG", "ExactNewton", "newton_cg", "exact_newton", "conjugate_gradients",
           "CGResult", "MAX_EXACT_PARAMETERS", "passes_to", "hessian_matrix", "quadratic_rates",
           "pool_pixels"]

def _positive(value: Any) -> bool:
    return isinstance(value, (int, float, np.number)) and math.isfinite(value) and value > 0


#: Exact Newton forms H: at most this many parameters (H is P × P float64: 128 MB at 4,000).
MAX_EXACT_PARAMETERS = 4000


@dataclass(frozen=True)
class NewtonCG:
    r"""The settings of one Newton-CG run (:func:`newton_cg`).

    ``steps``: Newton steps; ``gradient_batch``: examples for g and the cost (0: the whole training
    set); ``curvature_batch``: examples for the Gauss–Newton products (drawn from the gradient
    batch); ``cg_iterations``: at most this many products per step; ``damping``: the initial λ;
    ``lmbda``: L2 regularization (eq. 85, n the training-set size); ``seed`` of the batches;
    ``threads``: BLAS threads (default 1, as SGD's steps: on 784-30-10 the products are too small
    for a second thread to pay, and on a shared 2-core machine at load 4-6 OpenBLAS's second thread
    made the run to 95% take 30.9 s instead of 5.9 s; None leaves the BLAS default); ``record_every``:
    steps between records; ``target``: stop once a monitored split's accuracy reaches it (None: run
    every step); ``batch_growth``: both batches grow by this factor each step (up to the training
    set: cheap noisy steps first, accurate ones near the end); ``cg_tolerance``: Martens' ε of the
    conjugate gradients' stopping rule (:func:`conjugate_gradients`).  A bad setting is a :class:`~numerics.train.ConfigError` naming the field."""

    steps: int = 60
    gradient_batch: int = 1000
    curvature_batch: int = 250
    cg_iterations: int = 50
    damping: float = 0.1
    lmbda: float = 0.0
    seed: int | None = 0
    threads: int | None = 1
    record_every: int = 1
    target: float | None = None
    batch_growth: float = 1.05
    cg_tolerance: float = 5e-4

    def __post_init__(self):
        for name in ("steps", "curvature_batch", "cg_iterations", "record_every"):
            v = getattr(self, name)
            if not (_positive(v) and int(v) == v):
                raise ConfigError(name, f"must be a positive whole number, got {v!r}")
        if not (isinstance(self.gradient_batch, (int, np.integer)) and self.gradient_batch >= 0):
            raise ConfigError("gradient_batch", f"must be a whole number >= 0 (0: the whole training "
                                                f"set), got {self.gradient_batch!r}")
        if self.gradient_batch and self.curvature_batch > self.gradient_batch:
            raise ConfigError("curvature_batch", f"must be at most the gradient batch "
                                                 f"({self.gradient_batch}), got {self.curvature_batch}")
        if not _positive(self.damping):
            raise ConfigError("damping", f"must be a positive number, got {self.damping!r}")
        if not (isinstance(self.lmbda, (int, float, np.number)) and math.isfinite(self.lmbda)
                and self.lmbda >= 0):
            raise ConfigError("lmbda", f"must be a number >= 0, got {self.lmbda!r}")
        if self.target is not None and not (0 < self.target <= 1):
            raise ConfigError("target", f"must be an accuracy in (0, 1], got {self.target!r}")
        if not _positive(self.cg_tolerance):
            raise ConfigError("cg_tolerance", f"must be a positive number, got {self.cg_tolerance!r}")
        if not (_positive(self.batch_growth) and self.batch_growth >= 1):
            raise ConfigError("batch_growth", f"must be a number >= 1, got {self.batch_growth!r}")


@dataclass(frozen=True)
class CGResult:
    """What :func:`conjugate_gradients` found: the step ``x`` (a vector), the products it used, the
    quadratic model's value ``phi`` :math:`= \\tfrac12 x^TAx - b^Tx` at x, and why it stopped."""

    x: np.ndarray
    iterations: int
    phi: float
    stopped: str


def conjugate_gradients(A: Callable[[np.ndarray], np.ndarray], b: np.ndarray, x0: np.ndarray,
                        max_iterations: int, tolerance: float = 5e-4) -> CGResult:
    r"""Minimize :math:`\phi(x) = \tfrac12 x^TAx - b^Tx` (solve Ax = b) for a symmetric positive
    (semi-)definite A given as products ``A(p)``, from ``x0``.  Stops after ``max_iterations``
    products, when the residual vanishes, when a direction of non-positive curvature appears, or
    by Martens' rule: at iteration i > k, k = max(10, i/10), when φ < 0 and
    :math:`(\phi_i - \phi_{i-k})/\phi_i < k\cdot` ``tolerance``."""
    x = np.array(x0, dtype=float)
    r = b - A(x) if np.any(x) else b.copy()
    p = r.copy()
    rr = float(r @ r)
    phis = [-0.5 * float(x @ (b + r))]
    stopped = "iterations"
    i = 0
    for i in range(1, max_iterations + 1):
        Ap = A(p)
        pAp = float(p @ Ap)
        if pAp <= 0:
            stopped = "non-positive curvature"
            i -= 1
            break
        alpha = rr / pAp
        x += alpha * p
        r -= alpha * Ap
        phis.append(-0.5 * float(x @ (b + r)))
        rr_new = float(r @ r)
        if rr_new == 0.0:
            stopped = "residual 0"
            break
        k = max(10, i // 10)
        if i > k and phis[-1] < 0 and (phis[-1] - phis[-1 - k]) / phis[-1] < k * tolerance:
            stopped = "relative progress"
            break
        p = r + (rr_new / rr) * p
        rr = rr_new
    return CGResult(x, i, phis[-1], stopped)


def _one_hot(labels: np.ndarray, k: int, dtype) -> np.ndarray:
    return np.eye(k, dtype=dtype)[labels]


class _Objective:
    """The regularized mean cost of ``net`` on one batch, its gradient and (through
    :class:`~numerics.curvature.Curvature`) its curvature products, as functions of flat vectors."""

    def __init__(self, net, X: np.ndarray, Y: np.ndarray, lmbda: float, n: int):
        self.net, self.X, self.Y = net, X, Y
        self.decay = lmbda / n  # L2: C + (λ/2n) Σ w²
        self.k = len(net.weights)
        self.like = net.parameters()
        self.mask = flat([np.ones_like(w) for w in net.weights] + [np.zeros_like(b) for b in net.biases])

    def cost(self, w: np.ndarray | None = None) -> float:
        if w is not None:
            self.set(w)
        c = self.net.cost(self.X, self.Y)
        return c + 0.5 * self.decay * float(sum(np.sum(W * W) for W in self.net.weights))

    def gradient(self) -> np.ndarray:
        nw, nb = self.net.gradients(self.X, self.Y)
        return flat([*nw, *nb]) + self.decay * self.mask * self.get()

    def get(self) -> np.ndarray:
        return flat(self.net.parameters())

    def set(self, w: np.ndarray) -> None:
        for p, q in zip(self.net.parameters(), blocks(w, self.like)):
            p[...] = q


def _record(net, step: int, clock: dict, monitor: Mapping[str, Any], extra: dict) -> dict:
    t1 = time.perf_counter()
    record = {"step": step, "passes": clock["examples"] / clock["n"], "seconds": clock["seconds"], **extra}
    for name, split in monitor.items():
        ev = evaluate(net, split, cost=name == "training", accuracy=True)
        record[f"{name}_accuracy"] = ev["accuracy"]
        if "cost" in ev:
            record["training_cost"] = ev["cost"]
    record["eval_seconds"] = time.perf_counter() - t1
    return record


def newton_cg(net, training: Any, settings: NewtonCG, monitor: Mapping[str, Any] | None = None,
              progress: bool = False, on_record: Callable[[dict], None] | None = None) -> list[dict]:
    r"""Train ``net`` in place by Newton-CG with ``settings`` (:class:`NewtonCG`); return the records.

    ``training``: a split (``.images`` uint8, ``.labels``) or a pair.  A record (after step 0, then
    every ``record_every`` steps and the last): ``step``, ``passes`` (examples touched by gradients,
    costs and products so far, over n), ``seconds`` (the optimizer's, evaluations excluded),
    ``damping`` λ, ``cg_iterations``, ``rho``, ``alpha`` (the line search's step fraction),
    ``batch_cost``, and for each split of ``monitor`` (name -> split) ``<name>_accuracy``
    (``training_cost`` for a split named training).  ``progress``: a tqdm bar on stderr.
    :class:`~numerics.train.Diverged` when the cost becomes NaN or inf."""
    if not isinstance(settings, NewtonCG):
        raise TypeError(f"newton_cg: settings must be a numerics.newton.NewtonCG, got "
                        f"{type(settings).__name__}")
    images, labels = training_arrays(net, training, "newton_cg")
    n = len(labels)
    dtype = np.dtype(net.weights[0].dtype)
    rng = np.random.default_rng(settings.seed)
    B = min(settings.gradient_batch or n, n)
    Bc = min(settings.curvature_batch, B)
    monitor = dict(monitor or {})
    clock = {"examples": 0, "seconds": 0.0, "n": n}
    lam, previous = float(settings.damping), None
    records = [_record(net, 0, clock, monitor, {"damping": lam, "cg_iterations": 0, "rho": None,
                                                "alpha": None, "batch_cost": None})]
    if on_record:
        on_record(records[-1])
    bar = None
    if progress:
        from tqdm import tqdm
        bar = tqdm(total=settings.steps, unit="step", file=sys.stderr, leave=False, dynamic_ncols=True)
    key = [k for k in records[-1] if k.endswith("_accuracy") and k != "training_accuracy"]
    try:
        with np.errstate(over="ignore", invalid="ignore"), blas_limit(settings.threads):
            for step in range(1, settings.steps + 1):
                t0 = time.perf_counter()
                grow = settings.batch_growth ** (step - 1)
                b, bc = min(n, round(B * grow)), min(n, round(Bc * grow))
                rows = rng.permutation(n)[:b] if b < n else np.arange(n)
                X, Y = scale_pixels(images[rows], dtype), _one_hot(labels[rows], net.sizes[-1], dtype)
                lam, previous, info = _step(net, X, Y, bc, settings, n, lam, previous, clock)
                clock["seconds"] += time.perf_counter() - t0
                if not math.isfinite(info["batch_cost"]):
                    raise Diverged(f"Newton-CG diverged at step {step}: the cost is not finite")
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(cost=f"{info['batch_cost']:.4f}", damping=f"{lam:.3g}",
                                    cg=info["cg_iterations"])
                if step % settings.record_every == 0 or step == settings.steps:
                    records.append(_record(net, step, clock, monitor, {"damping": lam, **info}))
                    if on_record:
                        on_record(records[-1])
                    if settings.target is not None and any(records[-1][k] >= settings.target for k in key):
                        break
    finally:
        if bar is not None:
            bar.close()
    return records


def _step(net, X, Y, Bc: int, settings: NewtonCG, n: int, lam: float, previous, clock: dict):
    """One Newton-CG step on the batch (X, Y): ``(new λ, the step taken, what to record)``."""
    obj = _Objective(net, X, Y, settings.lmbda, n)
    w0 = obj.get()
    c0, g = obj.cost(), obj.gradient()
    clock["examples"] += 2 * len(X)  # the cost and the gradient
    curv = Curvature(net, X[:Bc], Y[:Bc])
    clock["examples"] += Bc
    decay = obj.decay * obj.mask

    def G(v: np.ndarray) -> np.ndarray:  # the undamped model's curvature: G + (λ_L2/n) on weights
        clock["examples"] += Bc
        return flat(curv.gv(blocks(v, obj.like))) + decay * v

    x0 = 0.95 * previous if previous is not None else np.zeros_like(g)
    cg = conjugate_gradients(lambda v: G(v) + lam * v, -g, x0, settings.cg_iterations,
                             settings.cg_tolerance)
    d = cg.x
    model = float(g @ d) + 0.5 * float(d @ (G(d)))  # q(d) − q(0), undamped
    alpha, c1 = 1.0, obj.cost(w0 + d)
    clock["examples"] += len(X)
    rho = (c1 - c0) / model if model < 0 else -math.inf
    slope = float(g @ d)
    tries = 0
    while not (c1 <= c0 + 0.01 * alpha * slope) and tries < 12:  # Armijo backtracking
        alpha *= 0.8
        c1 = obj.cost(w0 + alpha * d)
        clock["examples"] += len(X)
        tries += 1
    if not c1 <= c0:  # no step lowers the cost: keep w, damp harder
        obj.set(w0)
        alpha, c1 = 0.0, c0
    obj.set(w0 + alpha * d)
    if rho < 0.25:
        lam *= 1.5
    elif rho > 0.75:
        lam *= 2 / 3
    return lam, d, {"cg_iterations": cg.iterations, "cg_stopped": cg.stopped, "rho": rho,
                    "alpha": alpha, "batch_cost": c1}


def passes_to(records: list[dict], key: str, target: float) -> dict | None:
    """The first record whose ``key`` (e.g. ``test_accuracy``) reaches ``target``: ``{"passes",
    "seconds", "step"|"epoch", key}``, or None when none does."""
    for r in records:
        if r.get(key) is not None and r[key] >= target:
            at = {k: r[k] for k in ("step", "epoch") if k in r}
            return {"passes": r["passes"], "seconds": r["seconds"], key: r[key], **at}
    return None


# --- exact Newton ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ExactNewton:
    """Settings of :func:`exact_newton`: at most ``steps`` steps; stop when ‖∇C‖ ≤ ``tolerance``;
    ``lmbda``: L2 regularization (makes the minimum strict, H positive definite near it);
    ``damping``: the least μ of (H + μI) when H is not positive definite or the full step fails;
    ``warm_up``: Gauss–Newton steps (:func:`newton_cg` on the whole batch) first, to reach the basin
    of a minimum, where H is positive definite and Newton's steps converge quadratically."""

    steps: int = 30
    tolerance: float = 1e-12
    lmbda: float = 1.0
    damping: float = 1e-3
    warm_up: int = 0

    def __post_init__(self):
        if not (_positive(self.steps) and int(self.steps) == self.steps):
            raise ConfigError("steps", f"must be a positive whole number, got {self.steps!r}")
        if not (isinstance(self.warm_up, (int, np.integer)) and self.warm_up >= 0):
            raise ConfigError("warm_up", f"must be a whole number >= 0, got {self.warm_up!r}")
        for name in ("tolerance", "damping"):
            if not _positive(getattr(self, name)):
                raise ConfigError(name, f"must be a positive number, got {getattr(self, name)!r}")
        if not (isinstance(self.lmbda, (int, float)) and self.lmbda >= 0):
            raise ConfigError("lmbda", f"must be a number >= 0, got {self.lmbda!r}")


def hessian_matrix(net, X: np.ndarray, Y: np.ndarray, lmbda: float = 0.0, n: int = 1) -> np.ndarray:
    r"""H (P × P, ``flat`` order) of the (L2-regularized) mean cost on (X, Y): column q is
    :math:`He_q` by the printed R-pass (:mod:`numerics.curvature`), then symmetrized.
    ``ValueError`` beyond :data:`MAX_EXACT_PARAMETERS` parameters."""
    like = net.parameters()
    P = sum(p.size for p in like)
    if P > MAX_EXACT_PARAMETERS:
        raise ValueError(f"exact Newton: the network has {P:,} parameters, H would be {P:,} × {P:,} "
                         f"(at most {MAX_EXACT_PARAMETERS:,} here); use newton-cg, or fewer neurons")
    curv = Curvature(net, X, Y)
    H = np.empty((P, P))
    e = np.zeros(P)
    for q in range(P):
        e[q] = 1.0
        H[:, q] = flat(curv.hv(blocks(e, like)))
        e[q] = 0.0
    mask = flat([np.ones_like(w) for w in net.weights] + [np.zeros_like(b) for b in net.biases])
    H[np.diag_indices(P)] += (lmbda / n) * mask
    return 0.5 * (H + H.T)


def exact_newton(net, X: np.ndarray, Y: np.ndarray, settings: ExactNewton = ExactNewton(),
                 on_step: Callable[[dict], None] | None = None) -> list[dict]:
    r"""Newton's method with H formed (:func:`hessian_matrix`) on the fixed batch (X, Y) (floats
    (m, n_in), one-hot or target rows (m, n_out)), L2 ``settings.lmbda`` with n = m: each step solves
    :math:`(H + \mu I)\Delta w = -\nabla C` by Cholesky: μ = 0, a pure Newton step (eq. 106), when H
    is positive definite and the step lowers the cost; else μ from the last one (at least
    ``settings.damping``) grows tenfold until both hold (Levenberg–Marquardt).  One record per step: ``step``,
    ``cost``, ``gradient_norm``, ``step_norm``, ``mu``, ``newton`` (True: a pure Newton step),
    ``seconds``; after the run each also has ``error``, :math:`\|w_k - w_{\text{last}}\|`.
    ``settings.warm_up`` Gauss–Newton steps run first (not recorded)."""
    X, Y = np.asarray(X, dtype=net.dtype), np.asarray(Y, dtype=net.dtype)
    m = len(X)
    if settings.warm_up:
        if not np.all((Y == 0) | (Y == 1)) or not np.all(Y.sum(axis=1) == 1):
            raise ValueError("exact_newton: warm_up needs one-hot targets Y (the labels)")
        newton_cg(net, (X, Y.argmax(axis=1)), NewtonCG(
            steps=settings.warm_up, gradient_batch=0, curvature_batch=m, cg_iterations=100,
            damping=1.0, lmbda=settings.lmbda, seed=0))
    obj = _Objective(net, X, Y, settings.lmbda, m)
    mu, records, iterates = 0.0, [], []
    t0 = time.perf_counter()
    for step in range(settings.steps + 1):
        w = obj.get()
        iterates.append(w)
        c, g = obj.cost(), obj.gradient()
        gn = float(np.linalg.norm(g))
        rec = {"step": step, "cost": c, "gradient_norm": gn, "seconds": time.perf_counter() - t0}
        if not math.isfinite(c):
            raise Diverged(f"exact Newton diverged at step {step}: the cost is not finite")
        if gn <= settings.tolerance or step == settings.steps:
            rec.update(step_norm=0.0, mu=None, newton=None)
            records.append(rec)
            if on_step:
                on_step(rec)
            break
        H = hessian_matrix(net, X, Y, settings.lmbda, m)
        d, mu_used = _solve(obj, H, g, w, c, mu, settings.damping)
        obj.set(w + d)
        mu = mu_used / 10
        rec.update(step_norm=float(np.linalg.norm(d)), mu=mu_used, newton=mu_used == 0.0)
        records.append(rec)
        if on_step:
            on_step(rec)
    last = iterates[-1]
    for rec, w in zip(records, iterates):
        rec["error"] = float(np.linalg.norm(w - last))
    return records


def _solve(obj: _Objective, H: np.ndarray, g: np.ndarray, w: np.ndarray, c: float, mu: float,
           damping: float) -> tuple[np.ndarray, float]:
    """The step: the pure Newton step (H d = −g) when H is positive definite (Cholesky succeeds)
    and it lowers the cost; else (H + μI) d = −g with μ from max(``damping``, the last μ) growing
    tenfold until both hold (Levenberg–Marquardt)."""
    eye = np.eye(len(g))
    trial = 0.0
    for _ in range(40):
        try:
            Lc = np.linalg.cholesky(H + trial * eye)
            d = -np.linalg.solve(Lc.T, np.linalg.solve(Lc, g))
            if obj.cost(w + d) <= c + _ROUNDING * max(1.0, abs(c)):  # lower, or equal but for rounding
                obj.set(w)
                return d, trial
        except np.linalg.LinAlgError:
            pass
        obj.set(w)
        trial = max(damping, mu) if trial == 0.0 else 10 * trial
    raise Diverged("exact Newton: no damping μ gave a step that lowers the cost")


#: How much a cost may rise by rounding alone (a few ulps): near the minimum a Newton step changes
#: the cost by less than its own rounding, and is taken.
_ROUNDING = 8 * np.finfo(np.float64).eps


def pool_pixels(images: np.ndarray, k: int = 4) -> np.ndarray:
    """MNIST images (uint8 (m, 784)) averaged over k × k blocks and scaled to [0, 1]: (m, (28/k)²)
    floats, the input of a network small enough to form its Hessian (k = 4: 7 × 7 = 49 inputs)."""
    images = np.asarray(images)
    side = int(round(np.sqrt(images.shape[1])))
    if side * side != images.shape[1] or side % k:
        raise ValueError(f"pool_pixels: {images.shape[1]} pixels are not a square whose side "
                         f"{side} the block {k} divides; use k = 2, 4, 7 or 14 for MNIST")
    blocks_ = scale_pixels(images).reshape(len(images), side // k, k, side // k, k)
    return blocks_.mean(axis=(2, 4)).reshape(len(images), -1)


def quadratic_rates(records: list[dict]) -> list[float]:
    r""":math:`e_{k+1}/e_k^2` with :math:`e_k = \|w_k - w_{\text{last}}\|` (the records' ``error``)
    over consecutive pure Newton steps, while :math:`e_k > 10^{-7}` and the next iterate is not the
    last one (whose error is 0 by definition): bounded, roughly constant, when the convergence is
    quadratic (the number of correct digits doubles each step)."""
    out = []
    for r0, r1 in zip(records, records[1:-1]):
        if r0.get("newton") and r0["error"] > 1e-7 and r1["error"] > 0:
            out.append(r1["error"] / r0["error"] ** 2)
    return out
