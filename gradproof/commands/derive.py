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
    p.set_defaults(func=run)


def run(args) -> int:
    import derive

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
            if args.ids:  # asked for by name: the mathematics too
                _show(derive.REGISTRY[i], proofs[-1])
    total = time.perf_counter() - t0
    ok = all(p.ok for p in proofs)
    proved = sum(p.status == "proved" for p in proofs)
    if args.json:
        print(json.dumps({"identities": [_with_math(p) for p in proofs], "proved": proved,
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


def _show(identity, proof) -> None:
    """The statement and the steps with their reasons, in Unicode (derive.display)."""
    from derive.display import identity_text
    print("\n" + identity_text(identity, proof) + "\n", flush=True)


def _with_math(proof) -> dict:
    """A proof's JSON with its identity's statement and steps as LaTeX."""
    import derive
    from derive.display import identity_json
    return {**proof.as_dict(), **identity_json(derive.REGISTRY[proof.id])}
