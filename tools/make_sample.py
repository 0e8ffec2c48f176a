"""Build gradproof's bundled MNIST sample, ``numerics/data/mnist_sample.npz``, from the official files.

    python tools/make_sample.py [MNIST_DIR] [--out PATH]

MNIST_DIR (default: $GRADPROOF_DATA) holds the four official IDX files; they are verified by their
SHA-256 first.  The sample is stratified and deterministic (fixed seed): per digit, 500 of the first
50,000 training images (training), 100 of the last 10,000 (validation), 100 of the test images (test),
each split in the official files' order.  The ``.npz`` is written byte-for-byte reproducibly (sorted
members, fixed timestamps, deflate level 9) and atomically; ``meta`` records the seed, the positions'
meaning, the official digests and the SHA-256 of every array.  MNIST: LeCun, Cortes, Burges, CC BY-SA 3.0.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import sys
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

from gradproof.numerics.idx import sha256, write_atomic  # noqa: E402
from gradproof.numerics.mnist import SAMPLE, SAMPLE_FORMAT, load_dir  # noqa: E402

SEED = 2015  # the year of the book
#: split -> (examples per digit, where they are drawn from, as rows of the book's split)
PLAN = {"training": 500, "validation": 100, "test": 100}


def build(mnist_dir: str | os.PathLike) -> dict[str, np.ndarray]:
    """The sample's arrays (``meta`` included) drawn from the verified official files."""
    full = load_dir(mnist_dir)
    rng = np.random.default_rng(SEED)
    arrays: dict[str, np.ndarray] = {}
    for name, per_digit in PLAN.items():
        split = full.splits()[name]
        rows = np.sort(np.concatenate([
            rng.choice(np.flatnonzero(split.labels == digit), per_digit, replace=False)
            for digit in range(10)]))
        arrays[f"{name}_images"] = np.ascontiguousarray(split.images[rows])
        arrays[f"{name}_labels"] = np.ascontiguousarray(split.labels[rows])
        arrays[f"{name}_index"] = split.index[rows].astype(np.uint16)  # position in the official file
    meta = {
        "format": SAMPLE_FORMAT, "version": 1,
        "description": "gradproof's bundled MNIST sample: a stratified subset of the official files",
        "credit": "MNIST by Yann LeCun, Corinna Cortes and Christopher J. C. Burges, CC BY-SA 3.0",
        "seed": SEED, "built_by": "tools/make_sample.py",
        "per_digit": PLAN,
        "files": {s: full.splits()[s].file for s in PLAN},
        "drawn_from": {"training": "train-images-idx3-ubyte rows 0..49999",
                       "validation": "train-images-idx3-ubyte rows 50000..59999",
                       "test": "t10k-images-idx3-ubyte rows 0..9999"},
        "index": "<split>_index[i] is the row of <split>_images[i] in the official file files[<split>]",
        "source_sha256": full.digests,
        "content_sha256": {k: sha256(a.tobytes()) for k, a in sorted(arrays.items())},
    }
    arrays["meta"] = np.array(json.dumps(meta, indent=1, sort_keys=True))
    return arrays


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """A compressed ``.npz`` that ``np.load`` reads, identical for identical arrays."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for key in sorted(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(member, arrays[key], allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zf.writestr(info, member.getvalue(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("mnist_dir", nargs="?", default=os.environ.get("GRADPROOF_DATA"),
                   help="folder with the four official IDX files (default: $GRADPROOF_DATA)")
    p.add_argument("--out", type=Path, default=SAMPLE, help=f"output (default: {SAMPLE})")
    args = p.parse_args(argv)
    if not args.mnist_dir:
        p.error("give MNIST_DIR or set GRADPROOF_DATA")
    data = npz_bytes(build(args.mnist_dir))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(args.out, data)
    print(f"{args.out}: {len(data)} bytes, sha256 {sha256(data)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
