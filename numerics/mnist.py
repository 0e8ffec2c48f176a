r"""MNIST as the book uses it: three splits, where the data comes from, a bundled sample, a download.

MNIST, the database of handwritten digits by Yann LeCun, Corinna Cortes and Christopher J. C. Burges
(CC BY-SA 3.0): 60,000 training and 10,000 test images of 28x28 grey pixels 0..255, labels 0..9.

**Splits** (the book's, ch. 1, ``mnist_loader``): *training* = the first 50,000 training images,
*validation* = the last 10,000 training images, *test* = the 10,000 test images.  A :class:`Split`
keeps its images as read-only ``uint8`` rows of 784 pixels (the full training file is 47 MB that way,
376 MB as float64); :meth:`Split.X` scales only the rows asked for, :math:`x = p / 255 \in [0, 1]`,
and :meth:`Split.one_hot` gives the book's desired outputs :math:`y` (a 1 in row ``label``).
Rows are examples here: the book's column vector :math:`x` (784 x 1) is a row ``X[i]``.

**Where the data comes from** (:func:`find_data`; the first rule that applies wins):

1. ``--data DIR`` (``load(DIR)``): a folder with the four IDX files, raw or ``.gz``; ``--data sample``
   (``load("sample")``) is the bundled sample, ``--data FILE.npz`` a sample file;
2. the environment variable ``GRADPROOF_DATA`` (a folder, or ``sample``);
3. the cache, ``$XDG_CACHE_HOME/gradproof/mnist`` (default ``~/.cache/gradproof/mnist``), which
   ``gradproof data --download`` (:func:`download`) fills from public :data:`MIRRORS`, verifying each
   file and writing it atomically.  That is the only network access, and only when asked.

Nothing found is a :class:`DataError` naming these ways, or, for the command line (``fallback=True``),
**the one rule of every command that uses MNIST** (``train``, ``data``, ``report``; ``check`` uses
none): the bundled sample, with a one-line note on stderr that names both fixes (``gradproof data
--download``, ``--data sample``).  A ``--data`` or ``GRADPROOF_DATA`` that names something missing
or damaged is an error, exit 2, never a silent fall-back.  The full files are always verified: format,
dimensions, length and SHA-256 of the decompressed bytes (:mod:`numerics.idx`).

**The bundled sample** (``numerics/data/mnist_sample.npz``, built by ``tools/make_sample.py`` with a
fixed seed) is a stratified subset of the official files, so a first run works offline: 500 images
per digit from the first 50,000 training images, 100 per digit from the last 10,000, 100 per digit
from the test images (5,000 / 1,000 / 1,000).  It is a compressed ``.npz`` read with
``allow_pickle=False``: ``uint8`` images and labels, ``uint16`` positions in the official files
(``*_index``), and ``meta``, a JSON string that marks it as gradproof's sample and records the seed,
the official files' digests and the SHA-256 of each array, checked on every load.
"""
from __future__ import annotations

import dataclasses
import gzip
import http.client
import json
import os
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np

from .fileio import loads_json, printable
from .idx import FIX, KNOWN, DataError, Known, parse_idx_bytes, read_idx, sha256, write_atomic
from .npz import NpzError, read_npz

__all__ = ["DataError", "Split", "MNIST", "load", "find_data", "load_dir", "load_sample",
           "download", "cache_dir", "SAMPLE", "SAMPLE_SHA256", "FALLBACK_NOTE", "MIRRORS", "SAMPLE_FORMAT"]

#: The bundled sample.
SAMPLE = Path(__file__).with_name("data") / "mnist_sample.npz"
#: The marker in the sample's ``meta``.
SAMPLE_FORMAT = "gradproof-mnist-sample"
#: Public copies of the original gzipped files (``MIRROR + name + ".gz"``), tried in order.
MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/",
           "https://storage.googleapis.com/cvdf-datasets/mnist/")
SPLITS = ("training", "validation", "test")
TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS = KNOWN.values()
_N_TRAINING = 50_000  # the book's training split: images [0, 50000) of the training file
_WAYS = ("give it one of 4 ways: --data DIR (a folder with the four MNIST IDX files), "
         "GRADPROOF_DATA=DIR, `gradproof data --download` (fills {cache}), "
         "or --data sample (the small bundled sample)")
_MAX_DOWNLOAD = 64 * 2**20  # bytes; the largest file is 9.9 MB gzipped
#: What a command says when no rule found the full MNIST and it uses the bundled sample instead.
FALLBACK_NOTE = ("no MNIST data found by --data, GRADPROOF_DATA or the cache ({cache}), so the "
                 "bundled sample is used; for the full MNIST run `gradproof data --download` or "
                 "pass --data DIR; pass --data sample to choose the sample without this note")
_MAX_SAMPLE = 64 * 2**20  # bytes of a sample .npz (the bundled one is 1.4 MB)
_SPLIT_SIZES = {"training": 50_000, "validation": 10_000, "test": 10_000}
#: SHA-256 of the bundled sample file, kept in the code (``tools/make_sample.py`` rebuilds it
#: byte for byte); a digest table inside the file could be forged along with it.
SAMPLE_SHA256 = "608aa74899c0a3c86d8a8018506e98ba593cf0e9f3a8b3f00d2f154d7f959c23"


def scale_pixels(images: np.ndarray, dtype: np.dtype = np.dtype(np.float64)) -> np.ndarray:
    """uint8 pixels p -> x = p / 255 in [0, 1], correctly rounded in ``dtype``; the one scaling
    every path uses (training batches, evaluation chunks, :meth:`Split.X`).  Float input is only cast."""
    dtype = np.dtype(dtype)
    if images.dtype == np.uint8:
        return np.divide(images, dtype.type(255), dtype=dtype)
    return images.astype(dtype, copy=False)


@dataclass(frozen=True, eq=False)
class Split:
    """One split: ``images`` uint8 (n, 784), ``labels`` uint8 (n,), both read-only, and ``index``
    (n,), each row's position in the official ``file`` it came from."""
    name: str
    images: np.ndarray
    labels: np.ndarray
    file: str
    index: np.ndarray = field(repr=False)

    def __post_init__(self) -> None:
        n = len(self.labels)
        if (self.images.dtype != np.uint8 or self.images.shape != (n, 784)
                or self.labels.dtype != np.uint8 or self.labels.shape != (n,)
                or np.shape(self.index) != (n,)):
            raise ValueError(f"Split {self.name!r}: want uint8 images (n, 784), uint8 labels (n,) "
                             f"and index (n,), got {self.images.dtype} {self.images.shape}, "
                             f"{self.labels.dtype} {self.labels.shape}, {np.shape(self.index)}")
        if n and int(self.labels.max()) > 9:
            raise ValueError(f"Split {self.name!r}: labels must be digits 0..9, found "
                             f"{int(self.labels.max())}")
        for name in ("images", "labels", "index"):  # read-only views; the caller's arrays stay as they are
            view = np.asarray(getattr(self, name)).view()
            view.flags.writeable = False
            object.__setattr__(self, name, view)

    def __len__(self) -> int:
        return len(self.labels)

    def X(self, index=slice(None), dtype=np.float64) -> np.ndarray:
        r"""Pixels of the rows ``index`` (slice, int array, or int) scaled to [0, 1], ``x = p / 255``,
        shape (m, 784) (or (784,) for an int).  ``X()`` makes the whole split: 50,000 training rows
        are 314 MB in float64, so a training loop gathers and scales one mini-batch at a time."""
        if not np.issubdtype(np.dtype(dtype), np.floating):
            raise TypeError(f"Split.X: dtype must be a floating type (float64 or float32), got {dtype}")
        return scale_pixels(self.images[index], np.dtype(dtype))

    def one_hot(self, index=slice(None), dtype=np.float64) -> np.ndarray:
        """The book's desired outputs ``y`` for the rows ``index``: shape (m, 10), 1 at the label."""
        labels = self.labels[index]
        return (np.asarray(labels)[..., None] == np.arange(10, dtype=np.uint8)).astype(dtype)

    def counts(self) -> np.ndarray:
        """Examples per digit 0..9, shape (10,)."""
        return np.bincount(self.labels, minlength=10)

    def batches(self, size: int, rng: np.random.Generator | None = None,
                dtype=np.float64) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Mini-batches ``(X (m, 784), Y one-hot (m, 10))`` of ``size`` rows (the last may be
        shorter) over the split, shuffled by ``rng`` when given, scaled one batch at a time."""
        if size < 1:
            raise ValueError(f"Split.batches: size must be at least 1, got {size}")
        order = rng.permutation(len(self)) if rng is not None else np.arange(len(self))
        for k in range(0, len(self), size):
            rows = order[k:k + size]
            yield self.X(rows, dtype), self.one_hot(rows, dtype)


@dataclass(frozen=True, eq=False)
class MNIST:
    """The three splits and their provenance.

    ``source``: where it was found, as text (``"GRADPROOF_DATA=/path"``, ``"bundled sample (--data
    sample)"``); ``rule``: which rule found it (``"--data"``, ``"GRADPROOF_DATA"``, ``"cache"``);
    ``kind``: ``"full"`` or ``"sample"``; ``digests``: what was verified, name -> SHA-256 (the four
    files, or the sample's arrays); ``path``: the folder or ``.npz``; ``meta``: the sample's metadata;
    ``verified``: the full files' digests, or the sample file's, are gradproof's (a sample file of
    another origin is only self-consistent); ``note``: how the data was chosen when no rule found it.
    """
    training: Split
    validation: Split
    test: Split
    source: str
    rule: str
    kind: str
    digests: dict[str, str]
    path: Path
    meta: dict | None = None
    verified: bool = True
    note: str = ""

    def splits(self) -> dict[str, Split]:
        return {s: getattr(self, s) for s in SPLITS}

    def summary(self) -> dict:
        """A JSON-ready description: source, rule, kind, path, digests, split sizes and counts."""
        return {"source": self.source, "rule": self.rule, "kind": self.kind, "path": str(self.path),
                "verified": self.verified, "digests": dict(self.digests),
                "splits": {k: {"size": len(s), "file": s.file, "counts": s.counts().tolist()}
                           for k, s in self.splits().items()},
                **({"note": self.note} if self.note else {})}


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/gradproof/mnist``, or ``~/.cache/gradproof/mnist``."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(base) if os.path.isabs(base) else Path.home() / ".cache") / "gradproof" / "mnist"


def _locate(folder: Path, name: str) -> Path | None:
    for candidate in (folder / f"{name}.gz", folder / name):
        if candidate.is_file():
            return candidate
    return None


def _find(explicit: str | None) -> tuple[Path | None, str, str]:
    """(path, source text, rule); (None, what to do, "") when nothing is found."""
    for rule, value in (("--data", explicit), ("GRADPROOF_DATA", os.environ.get("GRADPROOF_DATA"))):
        if not value:
            continue
        shown = f"--data {value}" if rule == "--data" else f"GRADPROOF_DATA={value}"
        if value == "sample":
            return SAMPLE, f"bundled sample ({shown})", rule
        path = Path(value).expanduser().absolute()
        shown = (f"--data {printable(path)}" if rule == "--data"
                 else f"GRADPROOF_DATA={printable(path)}")
        if path.suffix == ".npz":
            return path, f"sample file {printable(path)} ({rule})", rule
        if not path.is_dir():
            what = "a file, not a folder" if path.exists() else "no such folder"
            raise DataError(f"{shown}: {what}; " + _WAYS.format(cache=printable(cache_dir())))
        missing = [k for k in KNOWN if _locate(path, k) is None]
        if missing:
            raise DataError(f"{shown}: {', '.join(m + '(.gz)' for m in missing)} missing; put the "
                            "four MNIST IDX files there, run `gradproof data --download`, or use "
                            "--data sample")
        return path, shown, rule
    cache = cache_dir()
    if all(_locate(cache, k) for k in KNOWN):
        return cache, f"cache {printable(cache)}", "cache"
    return None, "no MNIST data found; " + _WAYS.format(cache=printable(cache)), ""


def find_data(explicit: str | None = None) -> tuple[Path | None, str]:
    """Where the data is, by the search order above: ``(folder or .npz, how it was found)``, or
    ``(None, a message naming the ways to provide data)``.  ``explicit`` is ``--data`` (a folder,
    a sample ``.npz``, or ``"sample"``).  An explicit folder that is missing or incomplete raises
    :class:`DataError`; it does not fall through to the next rule."""
    path, how, _ = _find(explicit)
    return path, how


def load(source: str | os.PathLike | None = None, *, fallback: bool = False) -> MNIST:
    """Find (``source`` as in :func:`find_data`), read, verify and split MNIST.  Raises DataError.

    When no rule finds data, ``fallback=True`` loads the bundled sample with :data:`FALLBACK_NOTE`
    as its ``note`` (the command line's one rule, for every command that uses MNIST); otherwise
    nothing found is a DataError naming the ways.  A ``--data`` or ``GRADPROOF_DATA`` that points at
    something missing or damaged is always an error: it never falls back.

    The full files load in about 0.5 s (gunzip + SHA-256 + ``np.frombuffer``, no copy)."""
    path, how, rule = _find(None if source is None else os.fspath(source))
    if path is None and fallback:
        data = load_sample(SAMPLE, source="bundled sample", rule="fallback")
        return dataclasses.replace(data, note=FALLBACK_NOTE.format(cache=printable(cache_dir())))
    if path is None:
        raise DataError(how)
    if path.suffix == ".npz":
        return load_sample(path, source=how, rule=rule)
    return load_dir(path, source=how, rule=rule)


def load_dir(folder: str | os.PathLike, *, source: str | None = None, rule: str = "--data") -> MNIST:
    """Read and verify the four official files in ``folder`` and make the book's three splits."""
    folder = Path(folder)
    read = {}
    for name, known in KNOWN.items():
        path = _locate(folder, name) or folder / f"{name}.gz"
        read[name] = read_idx(path, known)
    tr_x, tr_y = (read[k.name].array for k in (TRAIN_IMAGES, TRAIN_LABELS))
    te_x, te_y = (read[k.name].array for k in (TEST_IMAGES, TEST_LABELS))
    for name in (TRAIN_LABELS.name, TEST_LABELS.name):  # the digests already vouch for this
        if read[name].array.max() > 9:
            raise DataError(f"{folder / name}: a label exceeds 9; {FIX}")
    tr_x, te_x = tr_x.reshape(-1, 784), te_x.reshape(-1, 784)
    n = _N_TRAINING
    splits = dict(
        training=Split("training", tr_x[:n], tr_y[:n], TRAIN_IMAGES.name, np.arange(n)),
        validation=Split("validation", tr_x[n:], tr_y[n:], TRAIN_IMAGES.name,
                         np.arange(n, len(tr_y))),
        test=Split("test", te_x, te_y, TEST_IMAGES.name, np.arange(len(te_y))))
    return MNIST(**splits, source=source or f"--data {printable(folder)}", rule=rule, kind="full",
                 digests={k: v.sha256 for k, v in read.items()}, path=folder)


def _sample_keys() -> set[str]:
    return {"meta"} | {f"{s}_{a}" for s in SPLITS for a in ("images", "labels", "index")}


def load_sample(path: str | os.PathLike = SAMPLE, *, source: str | None = None,
                rule: str = "--data") -> MNIST:
    """Read gradproof's sample ``.npz`` (no pickles), check its marker, shapes and digests.

    Every member's declared shape and type is checked (:mod:`numerics.npz`) before an array is
    allocated: each split holds 1 to its full size of images (50,000 / 10,000 / 10,000).  The file's
    SHA-256 is compared with :data:`SAMPLE_SHA256`, kept here in the code: the bundled sample must
    match it; another sample file loads as *not verified* (the table of digests inside a file can
    only show that it is self-consistent, not that it is gradproof's)."""
    path = Path(path)
    bundled = path == SAMPLE
    fix = ("reinstall gradproof or rebuild it with `python tools/make_sample.py`" if bundled
           else "point --data at gradproof's sample (--data sample) or at a folder with the four "
                "MNIST IDX files")
    bad = f"{printable(path)} is not gradproof's MNIST sample"
    try:
        size = path.stat().st_size
        if size > _MAX_SAMPLE:
            raise DataError(f"{bad}: {size} bytes, more than a sample's {_MAX_SAMPLE}; {fix}")
        digest = sha256(path.read_bytes())
        arrays = read_npz(path, _check_sample)
        meta = loads_json(str(arrays.pop("meta")[()]))
    except DataError:
        raise
    except FileNotFoundError:
        raise DataError(f"{printable(path)} is missing; {fix}") from None
    except NpzError as exc:
        raise DataError(f"{bad}: {_one_line(exc)}; {fix}") from None
    except (OSError, ValueError) as exc:
        raise DataError(f"{bad} ({type(exc).__name__}: {_one_line(exc)}); {fix}") from None
    if not isinstance(meta, dict) or meta.get("format") != SAMPLE_FORMAT or meta.get("version") != 1:
        raise DataError(f"{bad}: its meta lacks the marker format={SAMPLE_FORMAT!r}, version=1; {fix}")
    recorded = meta.get("content_sha256")
    if not isinstance(recorded, dict):
        raise DataError(f"{bad}: its meta has no content_sha256 table; {fix}")
    files, sources = meta.get("files"), meta.get("source_sha256")
    if (type(meta.get("seed")) is not int or not isinstance(files, dict)
            or not all(isinstance(files.get(s), str) for s in SPLITS)
            or not isinstance(sources, dict) or not all(isinstance(v, str) for v in sources.values())):
        raise DataError(f"{bad}: its meta lacks the seed, the files of the splits or their "
                        f"digests; {fix}")
    digests = {}
    for key, array in sorted(arrays.items()):
        digests[key] = sha256(array.tobytes())
        if digests[key] != recorded.get(key):
            raise DataError(f"{printable(path)}: {key} does not match the SHA-256 in its meta; {fix}")
    verified = digest == SAMPLE_SHA256
    if bundled and not verified:
        raise DataError(f"{printable(path)}: SHA-256 {digest[:16]}... is not the bundled sample's "
                        f"{SAMPLE_SHA256[:16]}...; {fix}")
    try:
        splits = {s: Split(s, arrays[f"{s}_images"], arrays[f"{s}_labels"], files[s],
                           arrays[f"{s}_index"]) for s in SPLITS}
    except ValueError as exc:
        raise DataError(f"{bad}: {_one_line(exc)}; {fix}") from None
    return MNIST(**splits, source=source or f"sample file {printable(path)}", rule=rule,
                 kind="sample", digests=digests, path=path, meta=meta, verified=verified)


def _check_sample(declared: dict) -> None:
    """Refuse (ValueError) a sample whose members are not the expected ones, before reading them."""
    keys = set(declared)
    if keys != _sample_keys():
        raise ValueError(f"it holds {', '.join(sorted(keys)) or 'nothing'}, not meta and "
                         "training/validation/test images, labels, index")
    shape, dtype = declared["meta"]
    if shape != () or dtype.kind != "U" or dtype.itemsize > 4 * 2**20:
        raise ValueError(f"its meta is {dtype} {shape}, not a JSON string")
    for s in SPLITS:
        (ishape, itype), (lshape, ltype), (xshape, xtype) = (
            declared[f"{s}_{a}"] for a in ("images", "labels", "index"))
        n = lshape[0] if len(lshape) == 1 else -1
        if not 1 <= n <= _SPLIT_SIZES[s]:
            raise ValueError(f"its {s} split has {'no' if n == 0 else n} labels; a split holds 1 to "
                             f"{_SPLIT_SIZES[s]:,} examples")
        if (ishape, itype, ltype, xshape) != ((n, 784), np.dtype(np.uint8), np.dtype(np.uint8), (n,)) \
                or xtype.kind != "u":
            raise ValueError(f"its {s} split is {itype} images {ishape}, {ltype} labels {lshape}, "
                             f"{xtype} index {xshape}; want uint8 ({n}, 784), uint8 ({n},), "
                             f"unsigned ({n},)")


def download(dest: str | os.PathLike | None = None, *, mirrors: tuple[str, ...] = MIRRORS,
             files: tuple[Known, ...] = tuple(KNOWN.values()), opener: Callable | None = None,
             timeout: float = 60.0, log: Callable[[str], None] = lambda msg: None) -> dict[str, str]:
    """Fetch each of ``files`` missing or damaged in ``dest`` (default :func:`cache_dir`) from the
    first of ``mirrors`` that serves it intact, verify it, write it atomically as ``NAME.gz``.

    The only network access of gradproof.  ``opener(url, timeout=...)`` defaults to
    ``urllib.request.urlopen``.  Returns name -> SHA-256; raises DataError when a file cannot be had."""
    dest = Path(dest) if dest is not None else cache_dir()
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create {dest} ({exc.strerror or exc}); pass a writable --data DIR "
                        "or set XDG_CACHE_HOME") from None
    opener = opener or urllib.request.urlopen
    done = {}
    for known in files:
        present = _locate(dest, known.name)
        if present is not None:
            try:
                done[known.name] = read_idx(present, known).sha256
                log(f"{present}: present and verified")
                continue
            except DataError as exc:
                log(f"{exc}: fetching it again")
        failures = []
        for mirror in mirrors:
            url = f"{mirror}{known.name}.gz"
            try:
                with opener(url, timeout=timeout) as response:
                    blob = response.read(_MAX_DOWNLOAD + 1)
                if len(blob) > _MAX_DOWNLOAD:
                    raise DataError(f"more than {_MAX_DOWNLOAD} bytes")
                done[known.name] = parse_idx_bytes(blob, url, known).sha256
            except (OSError, http.client.HTTPException, ValueError) as exc:  # DataError, URLError
                failures.append(f"{url}: {_one_line(exc)}")
                log(failures[-1])
                continue
            write_atomic(dest / f"{known.name}.gz", blob if blob[:2] == b"\x1f\x8b"
                         else gzip.compress(blob, mtime=0))
            log(f"{url} -> {dest / known.name}.gz: verified")
            break
        else:
            raise DataError(f"could not download {known.name}.gz ({'; '.join(failures)}); check the "
                            f"network, or copy the four files into {dest} by hand, or use --data sample")
    return done


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:160] or type(exc).__name__
