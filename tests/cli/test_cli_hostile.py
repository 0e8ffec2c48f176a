"""Hostile input at the command line (issue 10): each case builds its bad input in a temporary folder,
runs ``python -m gradproof`` in a child process and checks the exit status, a single line on stderr
naming the problem, no traceback and, where data could be lost, that every file that was there is
byte for byte unchanged.  Memory cases run under ``RLIMIT_AS`` in the child, so a regression fails
with a MemoryError instead of swapping.

Each test runs one case's child (pytest-xdist spreads them over the cores).  No case is timed: a
child that would block forever (a FIFO) or inflate a bomb is stopped by the hang guard only.
"""
from __future__ import annotations

import io
import json
import os
import resource
import signal
import struct
import subprocess
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from gradproof.numerics import mnist

from ..limits import HANG_GUARD

LIMIT = 1536 * 2**20  # address space of a memory case's child: sympy + numpy fit, a bomb does not
CASES: dict[str, "Case"] = {}


@dataclass
class Case:
    """One hostile run: ``make(tmp)`` builds the input and returns the arguments (a list, or a
    dict with ``args`` and any of ``cwd``, ``env``, ``stdout``: a path to write to); ``code`` is the
    exit status expected; ``words`` must be in the one stderr line; ``keep`` (relative to tmp)
    are folders whose every file must be unchanged; ``limit``: run under RLIMIT_AS."""
    make: object
    code: int = 2
    words: tuple[str, ...] = ()
    keep: tuple[str, ...] = ()
    limit: bool = False
    check: object = None  # extra check(result, tmp)
    stderr_lines: int = 1


def case(name: str, **kw):
    def register(make):
        CASES[name] = Case(make, **kw)
        return make
    return register


# -- building bad inputs ---------------------------------------------------------------------------

def sample_arrays() -> dict[str, np.ndarray]:
    with np.load(mnist.SAMPLE, allow_pickle=False) as z:  # gradproof's own file: the oracle
        return {k: z[k] for k in z.files}


def consistent(arrays: dict, **meta_change) -> dict:
    """``arrays`` with a meta whose content table matches them (a forger would do this)."""
    arrays = dict(arrays)
    meta = json.loads(str(arrays["meta"]))
    meta["content_sha256"] = {k: __import__("hashlib").sha256(a.tobytes()).hexdigest()
                              for k, a in sorted(arrays.items()) if k != "meta"}
    meta.update(meta_change)
    for k in [k for k, v in meta_change.items() if v is None]:
        del meta[k]
    arrays["meta"] = np.array(json.dumps(meta))
    return arrays


def write_npz(path: Path, arrays: dict) -> Path:
    with open(path, "wb") as f:
        np.savez_compressed(f, **arrays)
    return path


def npy_header(dtype: str, shape: tuple) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": dtype, "fortran_order": False,
                                               "shape": shape})
    return buf.getvalue()


def raw_zip(path: Path, members: list[tuple[str, bytes, int, int, int]]) -> Path:
    """A zip written by hand: (name, compressed bytes, crc32, uncompressed size, method) members."""
    out, central = bytearray(), bytearray()
    for name, data, crc, size, method in members:
        offset, n = len(out), name.encode()
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(data), size,
                           len(n), 0) + n + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, crc,
                               len(data), size, len(n), 0, 0, 0, 0, 0, offset) + n
    start = len(out)
    out += central + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members),
                                 len(central), start, 0)
    path.write_bytes(bytes(out))
    return path


def deflated(data: bytes) -> tuple[str, bytes, int, int, int]:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(), zlib.crc32(data), len(data)


def zeros_bomb(head: bytes, n_zeros_16mb: int) -> tuple[bytes, int, int]:
    """A raw deflate stream of ``head`` then 16 MiB x n zeros, built in milliseconds: after a full
    flush every 16 MiB block of zeros compresses to the same bytes."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    z = bytes(2**24)
    first = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    block = c.compress(z) + c.flush(zlib.Z_FULL_FLUSH)
    crc = zlib.crc32(head)
    for _ in range(n_zeros_16mb):
        crc = zlib.crc32(z, crc)
    return first + block * n_zeros_16mb + c.flush(), crc, len(head) + n_zeros_16mb * 2**24


def net_file(path: Path, config: dict | str, **arrays) -> Path:
    cfg = config if isinstance(config, str) else json.dumps(config)
    with open(path, "wb") as f:
        np.savez(f, config=np.array(cfg), **arrays)
    return path


def good_config(sizes=(784, 30, 10)) -> dict:
    return {"format": "gradproof-network", "version": 1, "sizes": list(sizes),
            "activation": "sigmoid", "cost": "quadratic", "init": "scaled", "dtype": "float64"}


def load_net(path: Path) -> list[str]:
    """``gradproof evaluate``, the command that loads a saved network."""
    return ["evaluate", str(path), "--data", "sample"]


def user_files(folder: Path) -> None:
    """A user's files that a report must never touch."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.pdf").write_bytes(b"%PDF my thesis")
    (folder / "curves.pdf").write_bytes(b"%PDF my plots")
    (folder / "notes.txt").write_text("do not delete")


# -- 1. never destroy what is not ours --------------------------------------------------------------

@case("report --out . over a user's files", words=("--out .", "no gradproof report wrote",
                                                    "new or empty folder"), keep=("cwd",))
def _(tmp):
    user_files(tmp / "cwd")
    return {"args": ["report", "--out", ".", "--train", "none", "--data", "sample"], "cwd": tmp / "cwd"}


@case("report --out '' over a user's files", words=("no gradproof report wrote",), keep=("cwd",))
def _(tmp):
    user_files(tmp / "cwd")
    return {"args": ["report", "--out", "", "--train", "none", "--data", "sample"], "cwd": tmp / "cwd"}


@case("report --out DIR holding a user's report.pdf only", words=("report.pdf",), keep=("mine",))
def _(tmp):
    (tmp / "mine").mkdir()
    (tmp / "mine" / "report.pdf").write_bytes(b"%PDF mine")
    return ["report", "--out", str(tmp / "mine"), "--train", "none", "--data", "sample"]


@case("report --out: an earlier report plus a user's file", words=("notes.txt",), keep=("rep",))
def _(tmp):
    (tmp / "rep").mkdir()
    (tmp / "rep" / "report.json").write_text(json.dumps({"format": "gradproof-report/1",
                                                         "files": ["report.json"]}))
    (tmp / "rep" / "notes.txt").write_text("mine")
    return ["report", "--out", str(tmp / "rep"), "--train", "none", "--data", "sample"]


@case("report --out: an earlier report whose report.html became a symlink",
      words=("report.html",), keep=("rep",))
def _(tmp):
    (tmp / "rep").mkdir()
    (tmp / "rep" / "report.json").write_text(json.dumps({"format": "gradproof-report/1"}))
    (tmp / "victim").write_text("precious")
    (tmp / "rep" / "report.html").symlink_to(tmp / "victim")
    return ["report", "--out", str(tmp / "rep"), "--train", "none", "--data", "sample"]


@case("report --out: a forged report.json listing a user's file", words=("thesis.tex",),
      keep=("rep",))
def _(tmp):
    (tmp / "rep").mkdir()
    (tmp / "rep" / "report.json").write_text(json.dumps({"format": "gradproof-report/1",
                                                         "files": ["thesis.tex"]}))
    (tmp / "rep" / "thesis.tex").write_text("mine")
    return ["report", "--out", str(tmp / "rep"), "--train", "none", "--data", "sample"]


SAVE_WORDS = ("gradproof replaces only regular files",)


@case("train --save /dev/null", words=("character device",) + SAVE_WORDS,
      check=lambda r, tmp: os.path.exists("/dev/null") and not os.path.isfile("/dev/null"))
def _(tmp):
    return ["train", "--data", "sample", "--epochs", "1", "--save", "/dev/null"]


@case("train --save FIFO", words=("FIFO",) + SAVE_WORDS,
      check=lambda r, tmp: __import__("stat").S_ISFIFO(os.lstat(tmp / "fifo").st_mode))
def _(tmp):
    os.mkfifo(tmp / "fifo")
    return ["train", "--data", "sample", "--epochs", "1", "--save", str(tmp / "fifo")]


@case("train --save a symlink to /proc/self/fd/1", words=("symbolic link",) + SAVE_WORDS,
      check=lambda r, tmp: os.readlink(tmp / "out") == "/proc/self/fd/1")
def _(tmp):
    (tmp / "out").symlink_to("/proc/self/fd/1")
    return ["train", "--data", "sample", "--epochs", "1", "--save", str(tmp / "out")]


@case("train --save a folder", words=("a folder",), keep=("dir",))
def _(tmp):
    (tmp / "dir").mkdir()
    (tmp / "dir" / "x").write_text("x")
    return ["train", "--data", "sample", "--epochs", "1", "--save", str(tmp / "dir")]


@case("train --save dir/ (no such folder)", words=("names a folder",),
      check=lambda r, tmp: not (tmp / "dir").exists())
def _(tmp):
    return ["train", "--data", "sample", "--epochs", "1", "--save", str(tmp / "dir") + "/"]


@case("train --save ''", words=("empty path",))
def _(tmp):
    return ["train", "--data", "sample", "--epochs", "1", "--save", ""]


@case("evaluate a FIFO (would block forever)", words=("not a regular file",))
def _(tmp):
    os.mkfifo(tmp / "net.npz")
    return ["evaluate", str(tmp / "net.npz"), "--data", "sample"]


@case("--data a FIFO named .npz (would block forever)", words=("not a regular file",))
def _(tmp):
    os.mkfifo(tmp / "s.npz")
    return ["data", "--data", str(tmp / "s.npz")]


@case("train --save in a missing folder, refused before training", words=("does not exist",),
      check=lambda r, tmp: "epoch" not in r.stdout)
def _(tmp):
    return ["train", "--data", "sample", "--epochs", "1", "--save", str(tmp / "no" / "net.npz")]


def _not_utf8(tmp: Path) -> Path:
    return Path(os.fsdecode(os.fsencode(str(tmp)) + b"/caf\xe9"))


@case("--data folder named with bytes that are not UTF-8", words=("caf\\xe9", "no such folder"))
def _(tmp):
    return ["data", "--data", str(_not_utf8(tmp))]


@case("--data sample file named with bytes that are not UTF-8", code=0, stderr_lines=0,
      check=lambda r, tmp: "caf\\xe9.npz" in r.stdout and "NOT verified" not in r.stdout)
def _(tmp):
    path = Path(str(_not_utf8(tmp)) + ".npz")
    path.write_bytes(mnist.SAMPLE.read_bytes())
    return ["data", "--data", str(path)]


# -- 2. bounded memory and time ---------------------------------------------------------------------

def _mnist_folder(tmp: Path, name: str, content: bytes | None = None, size: int | None = None) -> Path:
    """A folder with four files named as MNIST's: ``name`` gets ``content`` (or a sparse file of
    ``size`` bytes that starts with the header); the others are tiny placeholders that are never
    reached (train-images is read first)."""
    folder = tmp / "mnist"
    folder.mkdir(exist_ok=True)
    for k in mnist.KNOWN:
        (folder / k).write_bytes(b"\0\0\x08\x01\0\0\0\0")
    if size is not None:
        with open(folder / name, "wb") as f:
            f.write(content)
            f.truncate(size)
    else:
        (folder / name).write_bytes(content)
    return folder


@case("gzip bomb: 4 MB train-images.gz that inflates to 2 GiB", limit=True,
      words=("overlong", "expected 47040016 bytes (decompressed)"))
def _(tmp):
    data, crc, size = zeros_bomb(bytes([0, 0, 8, 3]) + struct.pack(">3I", 60000, 28, 28), 128)
    import gzip
    head = gzip.compress(b"")[:10]  # a gzip header; then the raw deflate stream, CRC, size
    folder = _mnist_folder(tmp, "train-images-idx3-ubyte", head + data
                           + struct.pack("<II", crc, size & 0xFFFFFFFF))
    os.rename(folder / "train-images-idx3-ubyte", folder / "train-images-idx3-ubyte.gz")
    return ["data", "--data", str(folder)]


@case("data --download served a gzip bomb (2 GiB behind 4 MB) by every mirror", limit=True,
      words=("could not download train-images-idx3-ubyte.gz", "overlong"),
      check=lambda r, tmp: os.listdir(tmp / "dest") == [])
def _(tmp):
    data, crc, size = zeros_bomb(bytes([0, 0, 8, 3]) + struct.pack(">3I", 60000, 28, 28), 128)
    import gzip
    (tmp / "bomb.gz").write_bytes(gzip.compress(b"")[:10] + data
                                  + struct.pack("<II", crc, size & 0xFFFFFFFF))
    (tmp / "dest").mkdir()
    script = ("import io, sys\nfrom gradproof.numerics import mnist\n"
              "blob = open(sys.argv[1], 'rb').read()\n"
              "opener = lambda url, timeout: io.BytesIO(blob)\n"
              "try:\n    mnist.download(sys.argv[2], opener=opener, "
              "files=(mnist.TRAIN_IMAGES,))\n"
              "except mnist.DataError as e:\n"
              "    print(f'gradproof data: error: {e}', file=sys.stderr); sys.exit(2)\n")
    return {"args": ["-c", script, str(tmp / "bomb.gz"), str(tmp / "dest")], "module": False}


@case("sparse 30 GB raw train-images", limit=True,
      words=("overlong", "expected 47040016 bytes", "found 30000000000"))
def _(tmp):
    folder = _mnist_folder(tmp, "train-images-idx3-ubyte",
                           bytes([0, 0, 8, 3]) + struct.pack(">3I", 60000, 28, 28), size=30 * 10**9)
    return ["data", "--data", str(folder)]


@case("sample .npz whose header claims 10^12 elements", limit=True,
      words=("training_images.npy", "declares"))
def _(tmp):
    members = []
    for k, a in sample_arrays().items():
        buf = io.BytesIO()
        np.lib.format.write_array(buf, a, allow_pickle=False)
        blob = buf.getvalue()
        if k == "training_images":
            blob = npy_header("|u1", (10**6, 10**6)) + blob[128:]
        members.append((f"{k}.npy", *deflated(blob), zipfile.ZIP_DEFLATED))
    return ["data", "--data", str(raw_zip(tmp / "claims.npz", members))]


@case("sample .npz holding a 1.5 GiB zip bomb (a real deflate stream)", limit=True,
      words=("training split has 2097152 labels", "1 to 50,000"))
def _(tmp):
    n = 98 * 2**24 // 784  # 2,097,152 rows of 784 zero pixels: 98 blocks of 16 MiB
    members = []
    for k, a in sample_arrays().items():
        if k == "training_images":
            members.append((f"{k}.npy", *zeros_bomb(npy_header("|u1", (n, 784)), 98), 8))
            continue
        if k.startswith("training_"):
            a = np.zeros(n, a.dtype)
        buf = io.BytesIO()
        np.lib.format.write_array(buf, a, allow_pickle=False)
        members.append((f"{k}.npy", *deflated(buf.getvalue()), 8))
    return ["data", "--data", str(raw_zip(tmp / "bomb.npz", members))]


@case("Network.load: 192 KB model whose config says 784-1000000-10", limit=True,
      words=("784-1000000-10", "more than the"))
def _(tmp):
    rng = np.random.default_rng(0)
    return load_net(net_file(tmp / "net.npz", good_config((784, 1000000, 10)),
                             w0=rng.standard_normal((30, 784)), b0=np.zeros(30),
                             w1=np.zeros((10, 30)), b1=np.zeros(10)))


@case("Network.load: stored array's header claims 10^12 elements", limit=True,
      words=("w0.npy", "declares"))
def _(tmp):
    blob = npy_header("<f8", (10**6, 10**6)) + bytes(1000)
    cfg = io.BytesIO()
    np.lib.format.write_array(cfg, np.array(json.dumps(good_config((2, 2)))))
    return load_net(raw_zip(tmp / "net.npz", [("config.npy", *deflated(cfg.getvalue()), 8),
                                               ("w0.npy", *deflated(blob), 8)]))


@case("train --sizes 784,100000000,10", words=("--sizes", "784-100000000-10", "GiB"), limit=True)
def _(tmp):
    return ["train", "--data", "sample", "--sizes", "784,100000000,10", "--epochs", "1"]


# -- 3. one line, exit 2, no traceback ---------------------------------------------------------------

@case("Network.load: deeply nested JSON config", words=("nested deeper",))
def _(tmp):
    return load_net(net_file(tmp / "net.npz", "[" * 10000 + "]" * 10000))


@case("Network.load: truncated file", words=("not a gradproof network", "damaged"))
def _(tmp):
    net_file(tmp / "full.npz", good_config((2, 2)), w0=np.zeros((2, 2)), b0=np.zeros(2))
    (tmp / "net.npz").write_bytes((tmp / "full.npz").read_bytes()[:300])
    return load_net(tmp / "net.npz")


@case("Network.load: empty file", words=("not an .npz",))
def _(tmp):
    (tmp / "net.npz").write_bytes(b"")
    return load_net(tmp / "net.npz")


@case("Network.load: a zip member that is not .npy", words=("w0.npy", "not an .npy array"))
def _(tmp):
    cfg = io.BytesIO()
    np.lib.format.write_array(cfg, np.array(json.dumps(good_config((2, 2)))))
    return load_net(raw_zip(tmp / "net.npz", [("config.npy", *deflated(cfg.getvalue()), 8),
                                               ("w0.npy", *deflated(b"hello, not numpy"), 8)]))


@case("sample without 'seed' in its meta (KeyError before)", words=("lacks the seed",))
def _(tmp):
    return ["data", "--data", str(write_npz(tmp / "s.npz", consistent(sample_arrays(), seed=None)))]


@case("sample with deeply nested JSON meta", words=("nested deeper",))
def _(tmp):
    arrays = sample_arrays() | {"meta": np.array("[" * 50000 + "]" * 50000)}
    return ["data", "--data", str(write_npz(tmp / "s.npz", arrays))]


@case("sample with a member that is not .npy", words=("test_images.npy", "not an .npy array"))
def _(tmp):
    members = []
    for k, a in sample_arrays().items():
        buf = io.BytesIO()
        np.lib.format.write_array(buf, a, allow_pickle=False)
        blob = b"PK, not numpy at all" if k == "test_images" else buf.getvalue()
        members.append((f"{k}.npy", *deflated(blob), 8))
    return ["data", "--data", str(raw_zip(tmp / "s.npz", members))]


@case("train on a sample whose training split is empty", words=("training split has no labels",))
def _(tmp):
    a = sample_arrays()
    a |= {"training_images": a["training_images"][:0], "training_labels": a["training_labels"][:0],
          "training_index": a["training_index"][:0]}
    return ["train", "--epochs", "1", "--data", str(write_npz(tmp / "s.npz", consistent(a)))]


@case("report --train none with a bad --data folder: before any proving",
      words=("--data", "missing", "gradproof data --download", "--data sample"),
      check=lambda r, tmp: not (tmp / "rep").exists() and "proving" not in r.stderr)
def _(tmp):
    (tmp / "empty").mkdir()
    return ["report", "--train", "none", "--data", str(tmp / "empty"), "--out", str(tmp / "rep")]


@case("report --train none with a bad GRADPROOF_DATA: before any proving",
      words=("GRADPROOF_DATA=", "no such folder", "gradproof data --download", "--data sample"),
      check=lambda r, tmp: "proving" not in r.stderr)
def _(tmp):
    return {"args": ["report", "--train", "none", "--out", str(tmp / "rep")],
            "env": {"GRADPROOF_DATA": str(tmp / "nowhere")}}


@case("report --out with a 300-character name", words=("cannot write", "File name too long"))
def _(tmp):
    return ["report", "--train", "none", "--data", "sample", "--out", str(tmp / ("x" * 300))]


@case("kernels > /dev/full", words=("No space left on device", "free some space"))
def _(tmp):
    return {"args": ["kernels"], "stdout": "/dev/full"}


@case("data --json > /dev/full", words=("No space left on device",))
def _(tmp):
    return {"args": ["data", "--data", "sample", "--json"], "stdout": "/dev/full"}


@case("a newline in --data", words=("bad\\nname", "no such folder"))
def _(tmp):
    return ["data", "--data", str(tmp / "bad\nname")]


@case("ANSI escapes in --data", words=("\\x1b[31mred",),
      check=lambda r, tmp: "\x1b" not in r.stderr + r.stdout)
def _(tmp):
    return ["train", "--data", str(tmp / "\x1b[31mred"), "--epochs", "1"]


@case("ANSI escapes in a sample file's name, shown escaped on stdout", code=0, stderr_lines=0,
      check=lambda r, tmp: "\x1b" not in r.stdout and "\\x1b]0;pwned\\x07" in r.stdout)
def _(tmp):
    path = tmp / "\x1b]0;pwned\x07.npz"
    path.write_bytes(mnist.SAMPLE.read_bytes())
    return ["data", "--data", str(path)]


# -- 4. data that lies -------------------------------------------------------------------------------

def _relabelled(split: str):
    def make(tmp):
        a = sample_arrays()
        labels = a[f"{split}_labels"].copy()
        labels[::2] = 11
        a[f"{split}_labels"] = labels
        return ["train", "--epochs", "1", "--data",
                str(write_npz(tmp / "s.npz", consistent(a)))]
    return make


case("labels above 9 in the test split", words=("labels must be digits 0..9", "found 11"))(
    _relabelled("test"))
case("labels above 9 in the training split", words=("labels must be digits 0..9", "found 11"))(
    _relabelled("training"))


@case("a forged sample (self-consistent digests) is not reported as verified", code=0,
      stderr_lines=0, check=lambda r, tmp: json.loads(r.stdout)["verified"] is False)
def _(tmp):
    a = sample_arrays()
    a["test_images"] = np.zeros_like(a["test_images"])
    return ["data", "--json", "--data", str(write_npz(tmp / "s.npz", consistent(a)))]


@case("eta 1e6: accuracy at chance level is a warning, also in --json", code=0,
      words=("warning", "chance level", "--eta"),
      check=lambda r, tmp: "chance level" in json.loads(r.stdout)["warning"])
def _(tmp):
    return ["train", "--data", "sample", "--eta", "1e6", "--epochs", "1", "--sizes", "784,10",
            "--json"]


# -- the generic handler -----------------------------------------------------------------------------

@case("an unexpected exception is an internal error, exit 4",
      code=4, words=("gradproof kernels: internal error: RuntimeError: boom", "please report"))
def _(tmp):
    script = ("import sys\nfrom gradproof.numerics import codegen\n"
              "def boom(*a, **k):\n    raise RuntimeError('boom')\n"
              "codegen.kernel_source = boom\nfrom gradproof.cli import main\n"
              "sys.exit(main(['kernels']))\n")
    return {"args": ["-c", script], "module": False}


# -- running them ------------------------------------------------------------------------------------

def _snapshot(folder: Path) -> dict:
    out = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            p = Path(root) / name
            st = os.lstat(p)
            out[str(p.relative_to(folder))] = (st.st_mode, os.readlink(p) if p.is_symlink()
                                               else p.read_bytes() if p.is_file() else None)
    return out


def _run(name: str, base: Path):
    spec = CASES[name]
    tmp = base / f"case{list(CASES).index(name)}"
    tmp.mkdir()
    made = spec.make(tmp)
    made = {"args": made} if isinstance(made, list) else made
    keep = {k: _snapshot(tmp / k) for k in spec.keep}
    env = {k: v for k, v in os.environ.items() if k != "GRADPROOF_DATA"}
    env.update(XDG_CACHE_HOME=str(tmp / "cache"), HOME=str(tmp), PYTHONDONTWRITEBYTECODE="1")
    env.update(made.get("env", {}))
    cmd = [sys.executable] + (["-m", "gradproof"] if made.get("module", True) else []) + made["args"]

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))

    stdout = open(made["stdout"], "w") if "stdout" in made else subprocess.PIPE
    try:
        r = subprocess.run(cmd, stdout=stdout, stderr=subprocess.PIPE, cwd=made.get("cwd", tmp),
                           env=env, timeout=HANG_GUARD, preexec_fn=limit if spec.limit else None)
    finally:
        if stdout is not subprocess.PIPE:
            stdout.close()
    r.stdout = (r.stdout or b"").decode("utf-8", "replace")
    r.stderr = r.stderr.decode("utf-8", "replace")
    return r, tmp, keep


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_case(name, tmp_path):
    spec = CASES[name]
    r, tmp, keep = _run(name, tmp_path)
    assert "Traceback" not in r.stderr and "MemoryError" not in r.stderr, r.stderr[-3000:]
    assert r.returncode == spec.code, (r.returncode, r.stdout[-2000:], r.stderr[-2000:])
    lines = r.stderr.strip().splitlines()
    if spec.stderr_lines == 0:
        assert lines == [], r.stderr
    else:
        # one line naming the problem (train may say where the data came from first: not here)
        assert len(lines) == 1, r.stderr
        for w in spec.words:
            assert w in lines[0], lines[0]
    for folder, before in keep.items():
        assert _snapshot(tmp / folder) == before, f"{folder} changed"
    if spec.check is not None:
        assert spec.check(r, tmp), (r.stdout[-2000:], r.stderr[-2000:])


def test_the_cases_are_counted():
    """The closing note of issue 10 states how many hostile cases run: this is that number
    (plus the five interruption tests below)."""
    assert len(CASES) == 46, len(CASES)


# -- interrupted runs: all or nothing, no temporary file left ----------------------------------------

_CHILD = r"""
import json, os, signal, sys, time
from pathlib import Path
from gradproof.cli import handle_sigterm
from gradproof.errors import Terminated
from gradproof.reports.report import Report
import gradproof.reports.write as write

signal.signal(signal.SIGTERM, handle_sigterm)
mode, out = sys.argv[1], Path(sys.argv[2])

write.render_html = lambda report: "<p>new</p>"  # renders instantly: what is tested is the writing
write.render_tex = lambda report: "new tex"

class Stub(Report):
    def to_json(self):
        if mode == "staging":  # the set is half-staged: stop here
            os.kill(os.getpid(), signal.SIGTERM); time.sleep(5)
        return json.dumps(self.facts)

real_replace = os.replace
def replace(src, dst):
    if mode == "swap" and Path(dst).parent == out:  # the swap has begun: stop it now
        os.kill(os.getpid(), signal.SIGTERM)
    return real_replace(src, dst)
os.replace = replace
if mode == "atomic":
    from gradproof.numerics.fileio import write_atomic
    real_fsync = os.fsync
    os.fsync = lambda fd: (os.kill(os.getpid(), signal.SIGTERM), time.sleep(5))
    try:
        write_atomic(out / "net.npz", b"new")
    except Terminated:
        sys.exit(143)
try:
    write.write_report(Stub(facts={"format": "gradproof-report/1", "run": "new"}), out, pdf=False)
except Terminated:
    sys.exit(143)
"""


def _earlier_report(folder: Path) -> dict:
    folder.mkdir()
    for name, text in (("report.html", "<p>old</p>"), ("report.tex", "old tex"),
                       ("report.pdf", "%PDF old"), ("curves.pdf", "%PDF old curves")):
        (folder / name).write_text(text)
    (folder / "report.json").write_text(json.dumps({"format": "gradproof-report/1", "run": "old"}))
    return _snapshot(folder)


def _child(mode: str, out: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _CHILD, mode, str(out)], capture_output=True,
                          text=True, timeout=HANG_GUARD)


def test_report_stopped_while_staging_leaves_the_earlier_set(tmp_path):
    before = _earlier_report(tmp_path / "rep")
    r = _child("staging", tmp_path / "rep")
    assert r.returncode == 143 and "Traceback" not in r.stderr, r.stderr
    assert _snapshot(tmp_path / "rep") == before  # nothing new, no staging folder left


def test_report_stopped_while_swapping_leaves_the_whole_new_set(tmp_path):
    _earlier_report(tmp_path / "rep")
    r = _child("swap", tmp_path / "rep")
    assert r.returncode == 143 and "Traceback" not in r.stderr, r.stderr
    files = sorted(p.name for p in (tmp_path / "rep").iterdir())
    assert files == ["report.html", "report.json", "report.tex"]  # the old PDFs were stale: gone
    facts = json.loads((tmp_path / "rep" / "report.json").read_text())
    assert facts["run"] == "new" and facts["files"] == files
    assert (tmp_path / "rep" / "report.html").read_text() == "<p>new</p>"


def test_save_stopped_while_writing_leaves_the_old_file_and_no_temporary(tmp_path):
    (tmp_path / "net.npz").write_bytes(b"old")
    r = _child("atomic", tmp_path)
    assert r.returncode == 143, r.stderr
    assert os.listdir(tmp_path) == ["net.npz"] and (tmp_path / "net.npz").read_bytes() == b"old"


def test_train_stopped_by_sigterm_is_one_line_and_saves_nothing(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "GRADPROOF_DATA"}
    p = subprocess.Popen([sys.executable, "-m", "gradproof", "train", "--data", "sample", "--epochs",
                          "30", "--save", str(tmp_path / "net.npz")], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        for line in p.stdout:  # the first epoch is done: stop it mid-run
            if line.startswith("epoch"):
                p.send_signal(signal.SIGTERM)
                break
        _, err = p.communicate(timeout=HANG_GUARD)
    finally:
        p.kill()
    assert p.returncode == 143 and err.strip() == "gradproof train: terminated", err
    assert os.listdir(tmp_path) == []


_FORKED = r"""
import os, signal, sys, time
from gradproof import cli
cli.install_sigterm_handler()  # as main() does, in this (the main) process

def ended_by_sigterm(wait: float) -> bool:
    pid = os.fork()
    if pid == 0:  # a worker, as train --runs forks them
        try:
            time.sleep(5)
        except BaseException as exc:
            print(f"the worker raised {type(exc).__name__}", file=sys.stderr)
            os._exit(1)
        os._exit(0)
    time.sleep(wait)
    os.kill(pid, signal.SIGTERM)  # as Pool.terminate() does
    _, status = os.waitpid(pid, 0)
    return os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGTERM

# a worker under way, then workers that have not run a line yet (such a SIGTERM was once lost)
sys.exit(0 if ended_by_sigterm(0.3) and all(ended_by_sigterm(0) for _ in range(20)) else 1)
"""


def test_forked_workers_of_runs_stop_quietly_when_the_pool_ends_them(tmp_path):
    """The pool of --runs ends its workers with SIGTERM: the CLI's handler (which raises in the main
    process, so that temporary files are removed) lets a forked worker stop as workers do, without
    a traceback, even when the signal comes before the worker has started (with the handler
    merely inherited, Python dropped such a signal and the pool waited forever); and a whole
    parallel run says nothing of it."""
    r = subprocess.run([sys.executable, "-c", _FORKED], capture_output=True, text=True,
                       timeout=HANG_GUARD)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    env = {k: v for k, v in os.environ.items() if k != "GRADPROOF_DATA"}
    r = subprocess.run([sys.executable, "-m", "gradproof", "train", "--data", "sample", "--sizes",
                        "784,10", "--epochs", "1", "--runs", "2", "--jobs", "2", "--json"],
                       capture_output=True, text=True, env=env, cwd=tmp_path, timeout=HANG_GUARD)
    assert r.returncode == 0 and "Traceback" not in r.stderr and "Terminated" not in r.stderr, r.stderr
    assert len(json.loads(r.stdout)["runs"]) == 2
