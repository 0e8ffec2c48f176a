"""``gradproof check [--json] [--seed S]``: generated backprop against numeric gradients."""
from __future__ import annotations

import json
import time

from ..errors import UsageError
from .models import ACTIVATION_HELP, COST_HELP, model


def register(sub) -> None:
    p = sub.add_parser("check", help="check the generated gradients against numeric ones",
                       description="For small random networks (every activation x cost, with no "
                                   "regularization, L2 and L1) compare the gradient the generated "
                                   "kernels compute with the complex step (tolerance 1e-12) and "
                                   "central differences (1e-6), parameter block by block. "
                                   "Exit 1 if any check fails.")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--seed", type=int, default=0, help="seed of the random networks (default 0)")
    p.add_argument("--activation", metavar="A", help="check only this one: " + ACTIVATION_HELP)
    p.add_argument("--cost", metavar="C", help="check only this one: " + COST_HELP)
    p.set_defaults(func=run)


def run(args) -> int:
    from gradproof.numerics.checks import run_checks, summary

    if args.seed < 0:
        raise UsageError(f"--seed must be a non-negative integer, got {args.seed}")
    act, cost = model(args.activation, "activation"), model(args.cost, "cost")
    t0 = time.perf_counter()
    checks = run_checks(args.seed, activations=[act] if act else None, costs=[cost] if cost else None)
    seconds = time.perf_counter() - t0
    s = summary(checks)
    if args.json:
        print(json.dumps({"checks": checks, "passed": s["passed"], "total": s["total"],
                          "max_rel_error": s["max_rel_error"], "seed": args.seed,
                          "seconds": round(seconds, 3)}, indent=1))
    else:
        for c in checks:
            flag = "" if c["passed"] else f"   <-- FAILED at {c['worst']['where']}"
            print(f"{c['id']:52} {c['max_rel_error']:10.2e} <= {c['tolerance']:.0e}  "
                  f"{'ok' if c['passed'] else 'FAIL'}{flag}")
        for what, obj in (("activation", act), ("cost", cost)):
            if obj is not None:  # the overflow/NaN probe of the printed stable kernels
                from gradproof.numerics.checks import safe_range

                r = safe_range(**{what: obj})
                print(f"{what} {obj.name}: stable kernels " + (
                    "finite for every probed |z| <= 1000" if r["whole_probe"] else
                    f"safe for {r['lo']:g} <= z <= {r['hi']:g}; beyond: {'; '.join(r['problems'])}"))
        worst = ", ".join(f"{m} {e:.2e}" for m, e in s["max_rel_error"].items())
        print(f"\n{s['passed']} of {s['total']} gradient checks passed in {seconds:.1f} s "
              f"(largest relative error: {worst})")
    return 0 if s["passed"] == s["total"] else 1
