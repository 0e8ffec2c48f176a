"""Rewrite the golden copies of printed kernels, ``tests/numerics/golden/*.py.golden`` (and the
curvature kernels', ``tests/numerics/golden/curvature/``).

    python tools/golden_kernels.py [--check]

``tests/numerics/golden/kernels.json`` lists the kernels (cost, activation, variant, file: a name,
a shipped example or a ``name=expr`` definition, as ``gradproof kernels`` takes them); this tool prints
each with :func:`gradproof.numerics.codegen.kernel_source` and writes it, byte for byte.  The tests
never write them: run this only after a change to the printed kernels that is meant, and commit the
diff it makes.  ``--check`` writes nothing and exits 1 when a copy differs (or is missing).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from gradproof.derive.book.custom import from_text
from gradproof.numerics import codegen
from gradproof.numerics.curvature import curvature_source

GOLDEN = Path(__file__).resolve().parents[1] / "tests" / "numerics" / "golden"


def printed(entry: dict) -> str:
    """The kernel source of one manifest entry, printed afresh."""
    cost, activation = from_text(entry["cost"], "cost"), from_text(entry["activation"], "activation")
    return codegen.kernel_source.__wrapped__(cost, activation, entry["textbook"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="compare only; exit 1 on a difference")
    args = p.parse_args(argv)
    entries = json.loads((GOLDEN / "kernels.json").read_text(encoding="utf-8"))["kernels"]
    curvature = json.loads((GOLDEN / "curvature" / "curvature.json").read_text(encoding="utf-8"))["kernels"]
    jobs = [(GOLDEN / e["file"], lambda e=e: printed(e)) for e in entries]
    jobs += [(GOLDEN / "curvature" / e["file"], lambda e=e: curvature_source(
        from_text(e["cost"], "cost"), from_text(e["activation"], "activation"))) for e in curvature]
    stale = []
    for path, make in jobs:
        source = make().encode("utf-8")
        if path.exists() and path.read_bytes() == source:
            continue
        stale.append(path.name)
        if not args.check:
            path.write_bytes(source)
    verb = "differ" if args.check else "rewritten"
    print(f"{len(jobs)} golden kernels; {len(stale)} {verb}" + (f": {', '.join(stale)}" if stale else ""))
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
