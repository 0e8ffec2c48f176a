"""``gradproof check [--json] [--seed S]``: generated backprop against numeric gradients, and the
Hessian-vector and Gauss-Newton products against central differences, the complex step and the
exact matrices."""
from __future__ import annotations

import json
import time

from ..errors import UsageError
from .models import ACTIVATION_HELP, COST_HELP, model


def register(sub) -> None:
    p = sub.add_parser("check", help="check the generated gradients against numeric ones",
                       description="For small random networks (every activation x cost, with no "
                                   "regularization, L2 and L1) compare the gradient the generated "
                                   "kernels compute with the complex step (rtol 1e-12, atol 1024 eps "
                                   "times the scale) and central differences (rtol 1e-6, atol from "
                                   "the step and the scale), parameter block by parameter block, "
                                   "entry by entry. An entry where the numeric method cannot be "
                                   "used (a kink, an overflow) is not compared, and said so. "
                                   "Then the printed Hessian-vector and Gauss-Newton products with "
                                   "central differences of the gradient (1e-7), the complex step "
                                   "through it and the exact matrices (1e-12). "
                                   "Exit 1 if any check fails.")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--seed", type=int, default=0, help="seed of the random networks (default 0)")
    p.add_argument("--activation", metavar="A", help="check only this one: " + ACTIVATION_HELP)
    p.add_argument("--cost", metavar="C", help="check only this one: " + COST_HELP)
    p.set_defaults(func=run)


def run(args) -> int:
    if args.seed < 0:
        raise UsageError(f"--seed must be a non-negative integer, got {args.seed}")
    act, cost = model(args.activation, "activation"), model(args.cost, "cost")
    from gradproof.numerics.checks import run_checks, summary  # the kernels: after the flags

    t0 = time.perf_counter()
    checks = run_checks(args.seed, activations=[act] if act else None, costs=[cost] if cost else None)
    seconds = time.perf_counter() - t0
    s = summary(checks)
    curvature = _curvature(args.seed, act, cost)
    if args.json:
        print(json.dumps({"checks": checks, "passed": s["passed"], "not_compared": s["not_compared"],
                          "failed": s["failed"], "total": s["total"],
                          "max_rel_error": s["max_rel_error"], "seed": args.seed,
                          "seconds": round(seconds, 3), "curvature": curvature}, indent=1))
    else:
        for c in checks:
            print(_line(c))
        for what, obj in (("activation", act), ("cost", cost)):
            if obj is not None:  # the overflow/NaN probe of the printed stable kernels
                from gradproof.numerics.checks import safe_range

                r = safe_range(**{what: obj})
                print(f"{what} {obj.name}: stable kernels " + (
                    "finite for every probed |z| <= 1000" if r["whole_probe"] else
                    f"safe for {r['lo']:g} <= z <= {r['hi']:g}; beyond: {'; '.join(r['problems'])}"))
        worst = ", ".join(f"{m} {e:.2e}" for m, e in s["max_rel_error"].items())
        others = "".join(f", {s[k]} {what}" for k, what in (("not_compared", "compared nothing"),
                                                           ("failed", "FAILED")) if s[k])
        print(f"\n{s['passed']} of {s['total']} gradient checks passed{others} in {seconds:.1f} s "
              f"(largest relative error: {worst})")
        _print_curvature(curvature)
    return 1 if s["failed"] or curvature["passed"] != curvature["total"] else 0


# --- the Hessian-vector and Gauss-Newton products (numerics.curvature_checks) -----------------------
def _curvature(seed: int, act, cost) -> dict:
    """The curvature checks for the same models: ``{"checks", "passed", "total", "max_rel_error",
    "tolerances", "seconds"}``."""
    from gradproof.numerics.curvature_checks import (CENTRAL_RTOL, EXACT_RTOL, curvature_summary,
                                                     run_curvature_checks)

    t0 = time.perf_counter()
    checks = run_curvature_checks(seed, activations=[act] if act else None, costs=[cost] if cost else None)
    s = curvature_summary(checks)
    return {"checks": checks, "passed": s["passed"], "not_compared": s["not_compared"],
            "failed": s["failed"], "total": s["total"], "max_rel_error": s["max_rel_error"],
            "tolerances": {"central_difference": CENTRAL_RTOL, "complex_step": EXACT_RTOL,
                           "exact": EXACT_RTOL},
            "seconds": round(time.perf_counter() - t0, 3)}


def _print_curvature(curvature: dict) -> None:
    """One line per product and case: the three oracles' largest relative errors."""
    tol = curvature["tolerances"]
    print(f"\nHessian-vector (Hv) and Gauss-Newton (Gv) products against central differences of the "
          f"gradient (<= {tol['central_difference']:.0e}), the complex step through it and the exact "
          f"matrix (<= {tol['exact']:.0e}):")
    rows: dict[str, dict] = {}
    for c in curvature["checks"]:
        rows.setdefault(c["id"].rsplit("/", 1)[0], {})[c["method"]] = c
    for key, by in rows.items():
        failed = [c for c in by.values() if not c["passed"]]
        cells = "  ".join(f"{m.split('_')[0]} " + (f"{c['max_rel_error']:8.1e}" if c["status"] != "not compared"
                                                    else f"{'—':>8}") for m, c in by.items())
        skipped = sum(len(c["not_compared"]) for c in by.values())
        nothing = all(c["status"] == "not compared" for c in by.values())
        flag = ("not compared" if nothing else "ok") if not failed else "FAIL   <-- " + ", ".join(f"{c['method']} at {c['worst']['where']}"
                                                            for c in failed)
        note = f"   ({skipped} entries not compared: the numeric value overflowed)" if skipped and not nothing else (
            ": the numeric values overflowed" if nothing else "")
        print(f"{key:40} {cells}  {flag}{note}")
    worst = ", ".join(f"{k} {v:.1e}" for k, v in curvature["max_rel_error"].items())
    others = "".join(f", {curvature[k]} {what}" for k, what in (("not_compared", "compared nothing"),
                                                                 ("failed", "FAILED")) if curvature[k])
    print(f"\n{curvature['passed']} of {curvature['total']} curvature checks passed{others} in "
          f"{curvature['seconds']:.1f} s (largest relative error: {worst})")


def _line(c: dict) -> str:
    """One check: its id, the largest relative error against the rtol, and the verdict."""
    head = f"{c['id']:52} "
    if c["problem"]:
        return head + f"{'':10}           FAIL   <-- {c['problem']}"
    skipped = c["not_compared"]
    why = sorted({s.split(": ", 1)[1].split(", not compared")[0] for s in skipped})
    if c["status"] == "not compared":
        return head + f"{'—':>10}           not compared: {'; '.join(why)}"
    ok = c["status"] == "passed"
    verdict = "ok" if ok else f"FAIL   <-- FAILED at {c['worst']['where']}"
    note = f"   ({len(skipped)} entries not compared: {'; '.join(why)})" if skipped else ""
    return head + f"{c['max_rel_error']:10.2e} {'<=' if ok else ' >'} {c['tolerance']:.0e}  {verdict}{note}"
