"""``gradproof data [--data DIR|sample] [--download] [--json]``: where MNIST is, whether it verified,
the split sizes; ``--download`` fetches the four official files (the only network access)."""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from ..errors import UsageError

ORDER = "--data, GRADPROOF_DATA, cache"


def register(sub) -> None:
    p = sub.add_parser("data", help="find, verify and describe the MNIST data (or download it)",
                       description="Find MNIST by the search order --data, GRADPROOF_DATA, cache "
                                   "($XDG_CACHE_HOME/gradproof/mnist), verify the files' SHA-256 "
                                   "digests and print the book's split sizes. When no full MNIST "
                                   "is found, say so and describe the bundled sample that train "
                                   "and report then use. Exit 2 when --data or GRADPROOF_DATA "
                                   "names something missing or a file is damaged.")
    p.add_argument("--data", metavar="DIR|sample",
                   help="a folder with the four MNIST IDX files (raw or .gz), or `sample` for the "
                        "small sample bundled with gradproof")
    p.add_argument("--download", action="store_true",
                   help="fetch the four files from public mirrors into the cache (or into --data "
                        "DIR), verify them, write them atomically; files already there and intact "
                        "are kept")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.set_defaults(func=run)


def run(args) -> int:
    from gradproof.numerics import mnist
    from gradproof.numerics.fileio import printable

    t0 = time.perf_counter()
    downloaded = None
    try:
        if args.download:
            if args.data is not None and (args.data == "sample" or Path(args.data).suffix == ".npz"):
                raise UsageError("--download fetches the full MNIST files into a folder; it does not "
                                 "go with --data sample or a .npz: drop one of them")
            dest = Path(args.data).expanduser().absolute() if args.data else mnist.cache_dir()
            log = (lambda msg: print(msg, file=sys.stderr)) if args.json else print
            downloaded = mnist.download(dest, log=log)
            shown = f"--data {dest}" if args.data else f"cache {dest}"
            data = mnist.load_dir(dest, source=shown, rule="--data" if args.data else "cache")
        else:
            data = mnist.load(args.data, fallback=True)
    except mnist.DataError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:  # e.g. the destination is not writable
        raise UsageError(f"{printable(exc.filename or 'data')}: {exc.strerror or exc}; pass a "
                         "writable --data DIR or set XDG_CACHE_HOME") from None
    if data.note:
        print(f"gradproof data: note: {data.note}", file=sys.stderr)
    seconds = time.perf_counter() - t0
    out = data.summary() | {"search_order": ORDER, "seconds": round(seconds, 3)}
    if downloaded is not None:
        out["downloaded"] = downloaded
    if args.json:
        print(json.dumps(out, indent=1))
        return 0
    kind = "full MNIST" if data.kind == "full" else "the bundled sample of MNIST"
    print(f"found {kind} by {data.rule} (search order: {ORDER}): {data.source}")
    if data.kind == "full":
        print(f"verified: the SHA-256 of the decompressed bytes of all {len(data.digests)} files "
              "matches the official digest")
    else:
        meta = data.meta
        whose = (f"verified: the file's SHA-256 is the bundled sample's ({mnist.SAMPLE_SHA256[:12]}"
                 "...) and its" if data.verified else
                 "NOT verified: the file is not the bundled sample (its SHA-256 differs from the "
                 f"one gradproof ships, {mnist.SAMPLE_SHA256[:12]}...); only its")
        print(f"{whose} {len(data.digests)} arrays match the SHA-256 in its metadata; drawn "
              f"with seed {meta['seed']} from the official files "
              f"({', '.join(d[:12] + '...' for d in meta['source_sha256'].values())})")
    for name, digest in data.digests.items():
        print(f"  {name:28} {digest}")
    sizes = ", ".join(f"{k} {len(s):,}" for k, s in data.splits().items())
    print(f"splits: {sizes}")
    if data.rule == "cache" and os.environ.get("GRADPROOF_DATA"):
        print("note: GRADPROOF_DATA is set, so later runs without --data use it, not the cache")
    print(f"loaded in {seconds:.2f} s")
    return 0
