"""``gradproof derive [ID ...] [--json] [--list]``: prove the identities, print a table or JSON."""
from __future__ import annotations

import json
import time

from ..errors import UsageError


def register(sub) -> None:
    p = sub.add_parser("derive", help="prove the identities of the notes (all by default)",
                       description="Prove the selected identities exactly and print id, title, "
                                   "method, status and seconds. Exit 0 only when every identity "
                                   "ends as expected (proved, or refuted for a recorded slip).")
    p.add_argument("ids", nargs="*", metavar="ID", help="identity ids (default: all)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--list", action="store_true", help="list the ids and titles, prove nothing")
    p.add_argument("--mutants", action="store_true",
                   help="mutation test: mutate each statement and check that every mutant "
                        "that changes its meaning fails to prove (per identity: tried/killed/skipped)")
    p.set_defaults(func=run)


def run(args) -> int:
    import derive

    if getattr(args, "mutants", False):
        return run_mutants(args)

    unknown = [i for i in args.ids if i not in derive.REGISTRY]
    if unknown:
        raise UsageError(f"unknown identity id {', '.join(map(repr, unknown))}; "
                         "`gradproof derive --list` shows the known ids")
    ids = args.ids or list(derive.REGISTRY)
    if args.list:
        for i in ids:
            idy = derive.REGISTRY[i]
            print(f"{i:32} {idy.group:15} {idy.title}")
        return 0
    t0 = time.perf_counter()
    proofs = []
    for i in ids:
        proofs.append(derive.REGISTRY[i].prove())
        if not args.json:
            _row(proofs[-1])
    total = time.perf_counter() - t0
    ok = all(p.ok for p in proofs)
    proved = sum(p.status == "proved" for p in proofs)
    if args.json:
        print(json.dumps({"identities": [p.as_dict() for p in proofs], "proved": proved,
                          "total": len(proofs), "seconds": round(total, 3)}, indent=1))
    else:
        slips = sum(p.expected == "refuted" for p in proofs)
        bad = [p.id for p in proofs if not p.ok]
        print(f"\n{proved} of {len(proofs) - slips} identities proved, "
              f"{sum(p.expected == 'refuted' and p.ok for p in proofs)} of {slips} recorded slips "
              f"refuted, in {total:.1f} s" + (f"; NOT AS EXPECTED: {', '.join(bad)}" if bad else ""))
    return 0 if ok else 1


def _row(p) -> None:
    flag = "" if p.ok else "   <-- expected " + p.expected
    print(f"{p.id:32} {p.title[:44]:44} {p.method[:40]:40} {p.status:9} {p.seconds:6.2f}{flag}",
          flush=True)


def run_mutants(args) -> int:
    """``gradproof derive --mutants [ID ...] [--json]``: the mutation test of the statements.
    Exit 0 when every meaning-changing mutant was killed (failed to prove), 1 otherwise."""
    import derive
    from derive.mutants import score_all

    unknown = [i for i in args.ids if i not in derive.REGISTRY]
    if unknown:
        raise UsageError(f"unknown identity id {', '.join(map(repr, unknown))}; "
                         "`gradproof derive --list` shows the known ids")
    t0 = time.perf_counter()
    scores = score_all(args.ids or None)
    total = time.perf_counter() - t0
    tried, killed, skipped = (sum(getattr(s, k) for s in scores) for k in ("tried", "killed", "skipped"))
    survivors = [s.id for s in scores if s.survivors]
    if args.json:
        print(json.dumps({"mutants": [s.as_dict() for s in scores], "tried": tried, "killed": killed,
                          "skipped": skipped, "seconds": round(total, 3)}, indent=1))
    else:
        for i in args.ids:
            if derive.REGISTRY[i].expect == "refuted":
                print(f"{i:32} a recorded slip: not mutated (its repaired statement must prove)")
        for s in scores:
            flag = f"   <-- {len(s.survivors)} survived" if s.survivors else ""
            print(f"{s.id:32} tried {s.tried:3}  killed {s.killed:3}  skipped {s.skipped:3}  "
                  f"{s.seconds:6.2f} s{flag}")
        print(f"\n{killed} of {tried - skipped} meaning-changing mutants killed "
              f"({skipped} skipped as equivalent), {len(scores)} identities, in {total:.1f} s"
              + (f"; SURVIVED: {', '.join(survivors)}" if survivors else ""))
    return 1 if survivors else 0
