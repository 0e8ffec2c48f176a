r"""The report's section "The Hessian technique, used".

:func:`gather_hessian` computes what the section shows — the R-operator theorems (their ids: the
derivations are in the report's list of identities), the agreement of the printed Hv and Gv kernels
with their oracles (:func:`numerics.curvature_checks.run_curvature_checks`), a race of SGD against
Newton-CG on the same network (:func:`numerics.race.race`) and the convergence of exact Newton
(:func:`numerics.newton.exact_newton`) — and :func:`add_hessian_section` puts it into a
:class:`~reports.report.Report` as ``facts["hessian"]`` (its problems join the report's).  The
figures are matplotlib builders (:data:`HessianSection.figures`), drawn with the report's other
figures (pages of its figure PDF, inline SVG in the HTML).

The default report stays fast: the race trains on the first :data:`RACE_IMAGES` training images
(full MNIST in the README's measurement), exact Newton on :data:`EXACT_IMAGES` images averaged
over 4 × 4 blocks.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from matplotlib.figure import Figure

from gradproof.numerics.curvature_checks import run_curvature_checks
from gradproof.numerics.network import Network
from gradproof.numerics.newton import ExactNewton, NewtonCG, exact_newton, pool_pixels, quadratic_rates
from gradproof.numerics.race import race
from gradproof.numerics.train import SGD, Config

__all__ = ["HessianSection", "gather_hessian", "add_hessian_section", "race_figure",
           "exact_figure", "verdict", "RACE_IMAGES", "EXACT_IMAGES", "RACE_TARGET"]

RACE_IMAGES = 5000  #: training images of the report's race (the whole bundled sample)
EXACT_IMAGES = 500  #: images of the exact-Newton batch
RACE_TARGET = 0.90  #: the test accuracy the report's short race measures the way to


@dataclass
class HessianSection:
    """What :func:`gather_hessian` computed: ``facts`` (JSON), ``problems`` (report problems) and
    ``figures`` (name -> zero-argument builder of a matplotlib Figure)."""

    facts: dict
    problems: list = field(default_factory=list)
    figures: dict = field(default_factory=dict)


def _check_rows(checks: list[dict]) -> list[dict]:
    """One row per (product, method): how many cases, how many passed, the worst relative error."""
    rows: dict[tuple, dict] = {}
    for c in checks:
        r = rows.setdefault((c["product"], c["method"]), {
            "product": c["product"], "method": c["method"], "tolerance": c["tolerance"],
            "cases": 0, "passed": 0, "worst": 0.0, "worst_id": None})
        r["cases"] += 1
        r["passed"] += bool(c["passed"])
        if not (c["max_rel_error"] <= r["worst"]):
            r["worst"], r["worst_id"] = c["max_rel_error"], c["id"]
    return list(rows.values())


def _race(ds, seed: int, say) -> dict:
    n = min(RACE_IMAGES, len(ds.training))
    data = _Subset((ds.training.images[:n], ds.training.labels[:n]), (ds.test.images, ds.test.labels))
    config = Config(sizes=(784, 30, 10), activation="sigmoid", cost="cross_entropy", init="scaled",
                    seed=seed)
    sgd = SGD(epochs=4, mini_batch_size=10, eta=0.5, reg="none", seed=seed)
    newton = NewtonCG(steps=10, gradient_batch=500, curvature_batch=125, cg_iterations=30, seed=seed,
                      record_every=2)
    out = race(config, data, sgd, newton, target=RACE_TARGET, progress=say)
    out["verdict"] = verdict(out)
    return out


def verdict(r: dict) -> str:
    """Which optimizer reached the target first, in passes and in seconds, and why (in words)."""
    s, n = r["sgd"], r["newton_cg"]
    target = f"{r['target']:.0%} test accuracy"
    if not s["reached"] and not n["reached"]:
        return f"Neither reached {target} in this run."
    if not n["reached"] or not s["reached"]:
        who, other = ("SGD", "Newton-CG") if not n["reached"] else ("Newton-CG", "SGD")
        got = s["reached"] or n["reached"]
        return (f"{who} reached {target} after {got['passes']:.1f} passes ({got['seconds']:.1f} s); "
                f"{other} did not in this run.")
    sp, np_ = s["reached"]["passes"], n["reached"]["passes"]
    ss, ns = s["reached"]["seconds"], n["reached"]["seconds"]
    step = n["step_cost"]
    why = (f"A Newton-CG step touches {step['examples']:,.0f} examples on average (gradient, costs, "
           f"line search and {step['cg_iterations']:.0f} Gauss-Newton products) and takes "
           f"{1e3 * step['seconds']:.0f} ms; an SGD step touches {s['step_cost']['examples']} and "
           f"takes {1e3 * s['step_cost']['seconds']:.2f} ms.")
    if sp <= np_ and ss <= ns:
        return (f"SGD wins: {target} after {sp:.1f} passes and {ss:.1f} s, Newton-CG after "
                f"{np_:.1f} passes and {ns:.1f} s. {why} MNIST is redundant: thousands of cheap, noisy "
                "steps per pass use it better than a few accurate ones, and the curvature of a small "
                "sigmoid network is mild enough that SGD's steps are not slowed by it.")
    if np_ <= sp and ns <= ss:
        return (f"Newton-CG wins: {target} after {np_:.1f} passes and {ns:.1f} s, SGD after "
                f"{sp:.1f} passes and {ss:.1f} s. {why}")
    return (f"{target}: SGD after {sp:.1f} passes and {ss:.1f} s, Newton-CG after {np_:.1f} passes "
            f"and {ns:.1f} s: each wins one measure. {why}")


@dataclass(frozen=True)
class _Subset:
    training: tuple
    test: tuple


def _exact(ds, seed: int) -> dict:
    m = min(EXACT_IMAGES, len(ds.training))
    X = pool_pixels(ds.training.images[:m], 4)
    Y = np.eye(10)[ds.training.labels[:m]]
    net = Network([49, 10], activation="sigmoid", cost="cross_entropy", seed=seed)
    settings = ExactNewton(steps=30, lmbda=1.0)
    records = exact_newton(net, X, Y, settings)
    return {"sizes": [49, 10], "cost": "cross_entropy", "parameters": int(sum(p.size for p in net.parameters())),
            "batch": m, "pool": 4, "lmbda": settings.lmbda, "records": records,
            "rates": quadratic_rates(records),
            "test_accuracy": net.accuracy(pool_pixels(ds.test.images, 4), ds.test.labels)}


def gather_hessian(ds, *, seed: int = 0, progress: Callable[[str], None] = lambda s: None,
                   checks: bool = True, train: bool = True) -> HessianSection:
    """Compute the section on the loaded MNIST ``ds`` (``.training``, ``.test``): the product
    checks (``checks``), and the race and exact Newton (``train``; a report with ``--train none``
    trains nothing, so the section says so).  A part that fails becomes a problem of the report,
    not a crash."""
    problems: list[dict] = []
    facts: dict = {"seconds": {}, "race_images": min(RACE_IMAGES, len(ds.training)),
                   "data_kind": getattr(ds, "kind", None), "target": RACE_TARGET}
    if checks:
        progress("the Hessian technique: checking the Hv and Gv kernels")
        t0 = time.perf_counter()
        try:
            results = run_curvature_checks(seed)
            facts["checks"] = {"rows": _check_rows(results), "passed": sum(c["passed"] for c in results),
                               "total": len(results)}
            for c in results:
                if not c["passed"]:
                    problems.append({"kind": "check", "id": c["id"],
                                     "message": f"curvature check {c['id']} failed: relative error "
                                                f"{c['max_rel_error']:.3g} > {c['tolerance']:.0e}"})
        except Exception as exc:  # noqa: BLE001 - shown in the report
            facts["checks"] = {"error": f"{type(exc).__name__}: {exc}"}
            problems.append({"kind": "check", "id": "curvature", "message": facts["checks"]["error"]})
        facts["seconds"]["checks"] = time.perf_counter() - t0
    parts = (("race", lambda: _race(ds, seed, progress), "SGD against Newton-CG"),
             ("exact", lambda: _exact(ds, seed), "exact Newton"))
    for part, run, what in parts if train else ():
        progress(f"the Hessian technique: {what}")
        t0 = time.perf_counter()
        try:
            facts[part] = run()
        except Exception as exc:  # noqa: BLE001 - shown in the report
            facts[part] = {"error": f"{type(exc).__name__}: {exc}"}
            problems.append({"kind": "training", "id": f"hessian-{part}",
                             "message": f"{what} failed: {facts[part]['error']}"})
        facts["seconds"][part] = time.perf_counter() - t0
    figures = {}
    if "error" not in facts.get("race", {"error": 1}):
        figures["hessian_race"] = lambda r=facts["race"]: race_figure(r)
    if "error" not in facts.get("exact", {"error": 1}):
        figures["hessian_exact"] = lambda e=facts["exact"]: exact_figure(e)
    return HessianSection(facts, problems, figures)


def add_hessian_section(report, section: HessianSection) -> None:
    """Put ``section`` into ``report`` (``facts["hessian"]``; its problems join the report's): the
    R-operator theorems are listed by id, status and title from the report's own identities."""
    ids = [d for d in report.facts.get("identities", []) if d.get("group") == "r_operator"]
    section.facts["theorems"] = [{"id": d["id"], "title": d["title"], "status": d["status"],
                                  "ok": d["ok"]} for d in ids]
    report.facts["hessian"] = section.facts
    report.facts["problems"].extend(section.problems)
    report.facts["summary"]["ok"] = not report.facts["problems"]


# --- the figures -----------------------------------------------------------------------------------------
def race_figure(race: dict) -> Figure:
    """Training cost and test accuracy of SGD and Newton-CG against passes over the data and against
    seconds (2 × 2 panels), the target accuracy dashed."""
    fig = Figure(figsize=(7.5, 5.0), layout="constrained")
    axes = fig.subplots(2, 2)
    for name, label, style in (("sgd", "SGD", "o-"), ("newton_cg", "Newton-CG", "s-")):
        pts = race[name]["points"]
        for col, x in enumerate(("passes", "seconds")):
            xs = [p[x] for p in pts]
            cost = [(a, p["training_cost"]) for a, p in zip(xs, pts) if p.get("training_cost") is not None]
            axes[0, col].plot([c[0] for c in cost], [c[1] for c in cost], style, ms=3, label=label)
            axes[1, col].plot(xs, [100 * p["test_accuracy"] for p in pts], style, ms=3, label=label)
    for col, x in enumerate(("passes over the data", "seconds (optimizer only)")):
        axes[0, col].set(xlabel=x, ylabel="training cost", yscale="log")
        axes[1, col].set(xlabel=x, ylabel="test accuracy (%)")
        axes[1, col].axhline(100 * race["target"], ls="--", lw=1, color="0.4")
        for row in range(2):
            axes[row, col].grid(alpha=0.3)
            axes[row, col].legend(fontsize=7, frameon=False)
    fig.suptitle(f"{'-'.join(map(str, race['network']['sizes']))} {race['network']['cost']}, "
                 f"{race['training_images']} training images", fontsize=9)
    return fig


def exact_figure(exact: dict) -> Figure:
    """Exact Newton: ‖∇C‖ and the error ‖w_k − w_last‖ per step (log scale), and e_{k+1} against e_k
    (log–log) with the slopes 1 and 2: quadratic convergence is slope 2."""
    recs = exact["records"]
    fig = Figure(figsize=(7.5, 2.8), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    ks = [r["step"] for r in recs]
    ax1.semilogy(ks, [max(r["gradient_norm"], 1e-300) for r in recs], "o-", ms=3, label="‖∇C‖")
    errs = [(r["step"], r["error"]) for r in recs if r["error"] > 0]
    ax1.semilogy([e[0] for e in errs], [e[1] for e in errs], "s-", ms=3, label="‖w_k − w_last‖")
    ax1.set(xlabel="Newton step k", title="Exact Newton", ylabel="")
    ax1.legend(fontsize=7, frameon=False)
    ax1.grid(alpha=0.3)
    pairs = [(a["error"], b["error"]) for a, b in zip(recs, recs[1:-1]) if a["error"] > 0 and b["error"] > 0]
    if pairs:
        x, y = np.array(pairs).T
        ax2.loglog(x, y, "o", ms=4, label="e_(k+1) against e_k")
        lo, hi = x.min(), x.max()
        grid = np.geomspace(lo, hi, 20)
        c2 = y[-1] / x[-1] ** 2
        ax2.loglog(grid, c2 * grid ** 2, "--", lw=1, color="0.3", label="slope 2 (quadratic)")
        ax2.loglog(grid, y[-1] / x[-1] * grid, ":", lw=1, color="0.5", label="slope 1 (linear)")
        ax2.set(xlabel="e_k", ylabel="e_(k+1)", title="Error squared each step")
        ax2.legend(fontsize=7, frameon=False)
        ax2.grid(alpha=0.3)
    return fig
