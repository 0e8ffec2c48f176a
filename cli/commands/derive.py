"""``gradproof derive [ID ...] [--json] [--list] [--no-cache] [--jobs N]``: prove the identities,
print a table or JSON.  Ids are case-insensitive; outcomes come from the proof cache
(:mod:`derive.core.cache`) when it holds a valid entry, and the rest are proved in parallel processes."""
from __future__ import annotations

import difflib
import json
import sys
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
    p.add_argument("--no-cache", action="store_true", dest="no_cache",
                   help="prove every identity afresh instead of reusing the proof cache "
                        "($XDG_CACHE_HOME/gradproof/proofs); the cache is neither read nor written")
    p.add_argument("--recheck", action="store_true",
                   help="prove again every selected identity whose outcome is in the proof cache, "
                        "say whether each agrees with the cached outcome, and store the fresh one; "
                        "exit 1 if any differs")
    p.add_argument("--jobs", type=int, default=None, metavar="N",
                   help="worker processes for the identities to prove (default: one per core)")
    p.add_argument("--mutants", action="store_true",
                   help="mutation test: mutate each statement and check that every mutant "
                        "that changes its meaning fails to prove (per identity: tried/killed/skipped)")
    p.set_defaults(func=run)


def resolve_ids(names: list[str], registry) -> list[str]:
    """The registry ids ``names`` stand for, case-insensitively; ``UsageError`` naming the closest
    known ids ("did you mean …") for one that is not there."""
    lower = {i.lower(): i for i in registry}
    out, bad = [], []
    for name in names:
        found = registry.get(name) and name or lower.get(name.lower())
        if found:
            out.append(found)
        else:
            near = difflib.get_close_matches(name.lower(), list(lower), n=3, cutoff=0.6)
            bad.append(f"{name!r}" + (f" (did you mean {' or '.join(lower[n] for n in near)}?)"
                                      if near else ""))
    if bad:
        raise UsageError(f"unknown identity id {', '.join(bad)}; "
                         "`gradproof derive --list` shows the known ids")
    return out


def run(args) -> int:
    if getattr(args, "mutants", False):
        return run_mutants(args)

    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs: must be at least 1, got {args.jobs}")
    from gradproof import derive  # the registry (SymPy, every chapter): once the flags are good
    from gradproof.derive.core.escape import printable_json
    from gradproof.derive.core.outcome import PROVED, REFUTED

    ids = resolve_ids(args.ids, derive.REGISTRY) or list(derive.REGISTRY)
    if args.recheck:
        if args.no_cache or args.list:
            raise UsageError("--recheck compares fresh proofs with the proof cache: it goes with "
                             "neither --no-cache nor --list")
        return run_recheck(args, ids)
    if args.list:
        if args.no_cache or args.jobs is not None:
            print("gradproof derive: note: --no-cache and --jobs do nothing with --list",
                  file=sys.stderr)
        for i in ids:
            idy = derive.REGISTRY[i]
            print(f"{i:32} {idy.group:15} {idy.title}")
        return 0
    def on_proof(proof) -> None:
        _row(proof)
        if args.ids:  # asked for by name: the mathematics too
            _show(derive.REGISTRY[proof.id], proof)

    if not args.no_cache:
        cache_note("derive")
    t0 = time.perf_counter()
    proofs = derive.prove_all(ids, cache=not args.no_cache, jobs=args.jobs,
                              on_proof=None if args.json else on_proof)
    total = time.perf_counter() - t0
    ok = all(p.ok for p in proofs)
    proved = sum(p.status is PROVED for p in proofs)
    if args.json:
        print(printable_json({"identities": [_with_math(p) for p in proofs], "proved": proved,
                              "total": len(proofs), "seconds": round(total, 3)}, indent=1))
    else:
        slips = sum(p.expected is REFUTED for p in proofs)
        bad = [p.id for p in proofs if not p.ok]
        cached = [p for p in proofs if p.cached]
        refuted = (f"{sum(p.expected is REFUTED and p.ok for p in proofs)} of {slips} recorded "
                   f"slip{'s' * (slips != 1)} refuted, " if slips else "")  # none asked: not "0 of 0"
        real = len(proofs) - slips
        proved_ = f"{proved} of {real} identit{'ies' if real != 1 else 'y'} proved, " if real else ""
        print(f"\n{proved_}{refuted}in {total:.1f} s" + (f"; NOT AS EXPECTED: {', '.join(bad)}" if bad else "")
              + (f"; {len(cached)} of {len(proofs)} outcomes from the proof cache (proved "
                 f"{_span(cached)}; --no-cache proves afresh)" if cached else ""))
    return 0 if ok else 1


def cache_note(command: str) -> None:
    """One line on stderr when the proof cache cannot be used (a symbolic link, another user's)."""
    from gradproof.derive.core.cache import problem

    why = problem()
    if why:
        print(f"gradproof {command}: note: {why}", file=sys.stderr, flush=True)


def run_recheck(args, ids: list[str]) -> int:
    """``gradproof derive --recheck [ID ...]``: the identities whose outcome comes from the proof
    cache, proved again; each row says whether the fresh outcome (status, method, counterexample)
    is the cached one.  Exit 0 when all agree and end as expected, 1 otherwise."""
    from gradproof import derive
    from gradproof.derive.core import cache
    from gradproof.derive.core.escape import printable, printable_json

    cache_note("derive")
    cached = {i: p for i in ids if (p := cache.load(derive.REGISTRY[i])) is not None}
    if not cached:
        msg = "no outcome of the selected identities is in the proof cache: nothing to recheck"
        print(json.dumps({"identities": [], "agree": 0, "total": 0}) if args.json else msg)
        return 0
    t0 = time.perf_counter()
    fresh = derive.prove_all(list(cached), jobs=args.jobs)
    rows = []
    for p in fresh:
        old = cached[p.id]
        same = (p.status, p.method, p.counterexample) == (old.status, old.method, old.counterexample)
        cache.store(derive.REGISTRY[p.id], p)
        rows.append((p, old, same))
    agree = sum(same for _, _, same in rows)
    ok = agree == len(rows) and all(p.ok for p, _, _ in rows)
    if args.json:
        print(printable_json({"identities": [{**p.as_dict(), "cached_status": old.status,
                                              "cached_method": old.method, "agrees": same}
                                             for p, old, same in rows],
                              "agree": agree, "total": len(rows),
                              "seconds": round(time.perf_counter() - t0, 3)}, indent=1))
        return 0 if ok else 1
    for p, old, same in rows:
        _row(p)
        if not same:
            print(printable(f"    DIFFERS from the proof cache, which said {old.status} by "
                            f"{old.method or '-'} (proved at {old.proved_at}); the fresh outcome "
                            "is stored"))
    print(f"\n{agree} of {len(rows)} cached outcomes agree with a fresh proof, in "
          f"{time.perf_counter() - t0:.1f} s" + ("" if ok else "; NOT AS EXPECTED"))
    return 0 if ok else 1


def _span(proofs) -> str:
    """When the cached outcomes were proved: one time, or the earliest and the latest."""
    times = sorted(p.proved_at for p in proofs if p.proved_at)
    if not times:
        return "at an unknown time"
    return f"at {times[0]}" if times[0] == times[-1] else f"between {times[0]} and {times[-1]}"


def _row(p) -> None:
    from gradproof.derive.core.escape import printable

    flag = "" if p.ok else "   <-- expected " + p.expected
    cached = "  (cached)" if p.cached else ""
    print(printable(f"{p.id:32} {p.title[:44]:44} {p.method[:40]:40} {p.status:9} "
                    f"{p.seconds:6.2f}{cached}{flag}"), flush=True)


def run_mutants(args) -> int:
    """``gradproof derive --mutants [ID ...] [--json]``: the mutation test of the statements.
    Exit 0 when every meaning-changing mutant was killed (failed to prove), 1 otherwise."""
    from gradproof import derive
    from gradproof.derive.core.mutants import score_all
    from gradproof.derive.core.outcome import REFUTED

    ids = resolve_ids(args.ids, derive.REGISTRY)
    t0 = time.perf_counter()
    scores = score_all(derive.REGISTRY[i] for i in ids or derive.REGISTRY)
    total = time.perf_counter() - t0
    tried, killed, skipped = (sum(getattr(s, k) for s in scores) for k in ("tried", "killed", "skipped"))
    survivors = [s.id for s in scores if s.survivors]
    if args.json:
        print(json.dumps({"mutants": [s.as_dict() for s in scores], "tried": tried, "killed": killed,
                          "skipped": skipped, "seconds": round(total, 3)}, indent=1))
    else:
        for i in ids:
            if derive.REGISTRY[i].expect is REFUTED:
                print(f"{i:32} a recorded slip: not mutated (its repaired statement must prove)")
        for s in scores:
            flag = f"   <-- {len(s.survivors)} survived" if s.survivors else ""
            print(f"{s.id:32} tried {s.tried:3}  killed {s.killed:3}  skipped {s.skipped:3}  "
                  f"{s.seconds:6.2f} s{flag}")
        print(f"\n{killed} of {tried - skipped} meaning-changing mutants killed "
              f"({skipped} skipped as equivalent), {len(scores)} identities, in {total:.1f} s"
              + (f"; SURVIVED: {', '.join(survivors)}" if survivors else ""))
    return 1 if survivors else 0


def _show(identity, proof) -> None:
    """The statement and the steps with their reasons, in Unicode (derive.core.display)."""
    from gradproof.derive.core.display import identity_text
    from gradproof.derive.core.escape import printable
    print("\n" + "\n".join(printable(line) for line in identity_text(identity, proof).split("\n"))
          + "\n", flush=True)


def _with_math(proof) -> dict:
    """A proof's JSON with its identity's statement and steps as LaTeX."""
    from gradproof import derive
    from gradproof.derive.core.display import identity_json
    return {**proof.as_dict(), **identity_json(derive.REGISTRY[proof.id])}
