"""numerics.mnist: splits, scaling, the search order, the bundled sample, the download (offline, with
a fake opener).  Oracles: Fraction arithmetic for the scaling, the README's class counts and digests,
the official images at the sample's recorded positions (when GRADPROOF_DATA is set)."""
from __future__ import annotations

import gzip
import hashlib
import importlib.util
import io
import json
import os
import struct
import urllib.error
import urllib.request
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st

from gradproof.numerics import mnist
from gradproof.numerics.idx import FIX, KNOWN, DataError, Known

DATA = os.environ.get("GRADPROOF_DATA")
needs_data = pytest.mark.skipif(not DATA or not Path(DATA).is_dir(),
                                reason="GRADPROOF_DATA is unset: the official MNIST files are needed "
                                       "(CI sets it to ../shared/data/mnist)")
# /work/shared/data/README.md
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def clean_env(tmp_path, monkeypatch):
    """No GRADPROOF_DATA, an empty cache in tmp_path."""
    monkeypatch.delenv("GRADPROOF_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


@pytest.fixture(scope="module")
def full():
    if not DATA or not Path(DATA).is_dir():
        pytest.skip("GRADPROOF_DATA is unset: the official MNIST files are needed")
    return mnist.load(DATA)


@pytest.fixture(scope="module")
def sample():
    return mnist.load("sample")


def split(n=23, seed=0) -> mnist.Split:
    rng = np.random.default_rng(seed)
    return mnist.Split("s", rng.integers(0, 256, (n, 784), dtype=np.uint8),
                       rng.integers(0, 10, n, dtype=np.uint8), "f", np.arange(n))


def with_names(folder: Path, names=tuple(KNOWN), suffix=".gz") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / f"{name}{suffix}").write_bytes(b"")
    return folder


# -- Split -----------------------------------------------------------------------------------------

def test_X_is_p_over_255_exactly():
    s = mnist.Split("all", np.tile(np.arange(256, dtype=np.uint8), 4)[:784][None].repeat(2, 0),
                    np.array([3, 7], np.uint8), "f", np.arange(2))
    x = s.X()
    assert x.dtype == np.float64 and x.shape == (2, 784)
    assert all(x[0, p] == float(Fraction(p, 255)) for p in range(256))  # correctly rounded p/255
    assert s.X(dtype=np.float32)[0, 255] == np.float32(1) and s.X(1).shape == (784,)
    with pytest.raises(TypeError, match="floating"):
        s.X(dtype=np.int32)


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 40), st.integers(1, 45), st.integers(0, 2**32 - 1))
@example(1, 1, 0).via("one row, batches of one")
@example(23, 23, 0).via("one full batch")
def test_batches_cover_every_row_once(n, size, seed):
    s = split(n, seed)
    seen = []
    for x, y in s.batches(size, np.random.default_rng(seed)):
        assert 1 <= len(x) <= size and x.shape[1:] == (784,) and y.shape == (len(x), 10)
        rows = [int(np.flatnonzero((s.images == np.round(r * 255)).all(1))[0]) for r in x]
        assert np.array_equal(y.argmax(1), s.labels[rows]) and np.all(y.sum(1) == 1)
        seen += rows
    assert sorted(seen) == list(range(n))  # every row once (random rows of 784 pixels are distinct)


def test_one_hot_and_counts():
    s = split()
    y = s.one_hot()
    assert y.shape == (23, 10) and np.array_equal(y.argmax(1), s.labels) and np.all(y.sum(1) == 1)
    assert s.one_hot([4, 2], np.float32).dtype == np.float32
    assert s.counts().tolist() == [int((s.labels == d).sum()) for d in range(10)]
    with pytest.raises(ValueError, match="size"):
        next(s.batches(0))


def test_split_is_read_only_and_leaves_caller_arrays_alone():
    images = np.zeros((3, 784), np.uint8)
    s = mnist.Split("s", images, np.zeros(3, np.uint8), "f", np.arange(3))
    assert images.flags.writeable and not s.images.flags.writeable
    with pytest.raises(ValueError, match="uint8 images"):
        mnist.Split("s", np.zeros((3, 28, 28), np.uint8), np.zeros(3, np.uint8), "f", np.arange(3))


# -- search order ----------------------------------------------------------------------------------

def test_search_order_data_then_env_then_cache(clean_env, monkeypatch):
    tmp = clean_env
    assert mnist.find_data(None)[0] is None
    cache = with_names(tmp / "cache" / "gradproof" / "mnist")
    assert mnist.find_data(None) == (cache, f"cache {cache}")
    env = with_names(tmp / "env", suffix="")  # raw names count too
    monkeypatch.setenv("GRADPROOF_DATA", str(env))
    assert mnist.find_data(None) == (env, f"GRADPROOF_DATA={env}")
    explicit = with_names(tmp / "explicit")
    assert mnist.find_data(str(explicit)) == (explicit, f"--data {explicit}")
    assert mnist.find_data("sample") == (mnist.SAMPLE, "bundled sample (--data sample)")
    monkeypatch.setenv("GRADPROOF_DATA", "sample")
    assert mnist.find_data(None)[0] == mnist.SAMPLE


def test_default_cache_is_under_home(monkeypatch, tmp_path):
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert mnist.cache_dir() == tmp_path / ".cache" / "gradproof" / "mnist"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")  # the XDG spec: absolute paths only
    assert mnist.cache_dir() == tmp_path / ".cache" / "gradproof" / "mnist"


def test_nothing_found_names_the_ways(clean_env):
    path, message = mnist.find_data(None)
    assert path is None
    for way in ("--data DIR", "GRADPROOF_DATA", "gradproof data --download", "--data sample"):
        assert way in message
    with pytest.raises(DataError) as exc:
        mnist.load()
    assert str(exc.value) == message and "\n" not in message


def test_incomplete_cache_is_not_found(clean_env):
    with_names(clean_env / "cache" / "gradproof" / "mnist", list(KNOWN)[:3])
    assert mnist.find_data(None)[0] is None


@pytest.mark.parametrize("how", ["--data", "GRADPROOF_DATA"])
def test_explicit_folder_missing_or_incomplete_does_not_fall_through(clean_env, monkeypatch, how):
    with_names(clean_env / "cache" / "gradproof" / "mnist")  # a good cache must not hide the error
    where = with_names(clean_env / "partial", [n for n in KNOWN if n != "train-labels-idx1-ubyte"])
    for value, words in [(str(clean_env / "nope"), ("no such folder",)),
                         (str(where), ("train-labels-idx1-ubyte(.gz) missing", "--download"))]:
        if how == "GRADPROOF_DATA":
            monkeypatch.setenv("GRADPROOF_DATA", value)
        with pytest.raises(DataError) as exc:
            mnist.find_data(value if how == "--data" else None)
        assert value in str(exc.value) and how in str(exc.value) and "\n" not in str(exc.value)
        assert all(w in str(exc.value) for w in words)


@pytest.mark.parametrize("bad, words", [
    (b"\0\0\x08\x03" + struct.pack(">III", 60000, 28, 28) + bytes(1000), ("truncated",)),
    (b"\0\0\x08\x01" + struct.pack(">III", 60000, 28, 28), ("wrong magic number 2049",)),
    (b"\0\0\x08\x03" + struct.pack(">III", 60000, 28, 27), ("wrong dimensions 60000x28x27",)),
    (b"PK\x03\x04 not gzip", ("not a gzip file",)),
], ids=["truncated", "wrong magic", "wrong dimensions", "not gzip"])
def test_bad_file_in_folder(clean_env, bad, words):
    folder = with_names(clean_env / "bad")
    (folder / "train-images-idx3-ubyte.gz").write_bytes(bad)  # the first one read
    with pytest.raises(DataError) as exc:
        mnist.load(str(folder))
    msg = str(exc.value)
    assert str(folder / "train-images-idx3-ubyte.gz") in msg and FIX in msg and "\n" not in msg
    assert all(w in msg for w in words), msg


# -- the bundled sample ----------------------------------------------------------------------------

def test_sample_is_small_stratified_and_ours(sample):
    assert mnist.SAMPLE.stat().st_size <= 2 * 2**20
    assert sample.kind == "sample" and sample.source == "bundled sample (--data sample)"
    assert sample.meta["format"] == mnist.SAMPLE_FORMAT and "CC BY-SA 3.0" in sample.meta["credit"]
    for name, per_digit, lo, hi in [("training", 500, 0, 50000), ("validation", 100, 50000, 60000),
                                    ("test", 100, 0, 10000)]:
        s = sample.splits()[name]
        assert len(s) == 10 * per_digit and s.counts().tolist() == [per_digit] * 10
        assert s.images.dtype == np.uint8 and not s.images.flags.writeable
        assert np.all(np.diff(s.index.astype(int)) > 0) and lo <= s.index.min() and s.index.max() < hi
    assert sample.meta["source_sha256"] == {k: v.sha256 for k, v in KNOWN.items()}
    with np.load(mnist.SAMPLE, allow_pickle=False) as z:  # nothing in it needs pickle
        assert all(z[k].dtype != object for k in z.files)


@needs_data
def test_sample_rows_are_the_official_images(sample, full):
    train_x = np.concatenate([full.training.images, full.validation.images])
    train_y = np.concatenate([full.training.labels, full.validation.labels])
    for s in (sample.training, sample.validation):
        assert np.array_equal(s.images, train_x[s.index]) and np.array_equal(s.labels, train_y[s.index])
    t = sample.test
    assert np.array_equal(t.images, full.test.images[t.index])
    assert np.array_equal(t.labels, full.test.labels[t.index])


@needs_data
def test_make_sample_rebuilds_the_same_file():
    spec = importlib.util.spec_from_file_location("make_sample", ROOT / "tools" / "make_sample.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    arrays = tool.build(DATA)
    with np.load(mnist.SAMPLE, allow_pickle=False) as z:
        assert set(z.files) == set(arrays) and all(np.array_equal(z[k], arrays[k]) for k in z.files)
    assert tool.npz_bytes(arrays) == tool.npz_bytes(dict(reversed(arrays.items())))  # byte-stable


def npz(**arrays) -> bytes:
    out = io.BytesIO()
    np.savez_compressed(out, **arrays)
    return out.getvalue()


def good_arrays() -> dict:
    with np.load(mnist.SAMPLE, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def _meta(**change) -> np.ndarray:
    meta = json.loads(str(good_arrays()["meta"])) | change
    return np.array(json.dumps(meta))


NOT_OURS = {  # case -> (bytes of the file, a word its message must hold); built when the test runs
    "not a zip": (lambda: b"just text", "not an .npz"),
    "a plain .npy": (lambda: b"\x93NUMPY", "not an .npz"),
    "wrong keys": (lambda: npz(x=np.zeros(3)), "it holds x"),
    "pickled": (lambda: npz(**(good_arrays() | {"meta": np.array([{"format": 1}], dtype=object)})),
                "pickle"),
    "no marker": (lambda: npz(**(good_arrays() | {"meta": _meta(format="something else")})), "marker"),
    "altered image": (lambda: npz(**(good_arrays() | {"test_images": np.zeros((1000, 784), np.uint8)})),
                      "test_images does not match"),
    "cut short": (lambda: npz(**good_arrays())[:50000], "not gradproof's MNIST sample"),
}


@pytest.mark.parametrize("case", list(NOT_OURS))
def test_not_our_sample(tmp_path, case):
    make, words = NOT_OURS[case]
    path = tmp_path / "fake.npz"
    path.write_bytes(make())
    with pytest.raises(DataError) as exc:
        mnist.load(str(path))
    msg = str(exc.value)
    assert str(path) in msg and words in msg and "\n" not in msg and "--data" in msg, msg


# -- the full data ---------------------------------------------------------------------------------

@needs_data
def test_full_splits_counts_and_digests(full):
    assert (len(full.training), len(full.validation), len(full.test)) == (50000, 10000, 10000)
    assert (full.training.counts() + full.validation.counts()).tolist() == TRAIN_COUNTS
    assert full.test.counts().tolist() == TEST_COUNTS
    assert full.kind == "full" and full.digests == {k: v.sha256 for k, v in KNOWN.items()}
    assert full.validation.index[0] == 50000 and full.training.index[-1] == 49999
    # no copies: training and validation are views of one decompressed buffer, uint8
    assert np.shares_memory(full.training.images.base, full.validation.images.base)
    assert full.training.images.dtype == np.uint8


@needs_data
def test_env_rule(monkeypatch):
    monkeypatch.setenv("GRADPROOF_DATA", DATA)
    got = mnist.load()
    assert got.rule == "GRADPROOF_DATA" and got.source == f"GRADPROOF_DATA={Path(DATA).absolute()}"


# -- download (no network: a fake opener) ----------------------------------------------------------

def tiny_files() -> tuple[tuple[Known, bytes], ...]:
    out = []
    for name, array in [("a-labels-idx1-ubyte", np.arange(20, dtype=np.uint8) % 10),
                        ("b-images-idx3-ubyte", np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28))]:
        raw = struct.pack(">BBBB", 0, 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) \
            + array.tobytes()
        magic = 2048 + array.ndim
        out.append((Known(name, magic, array.shape, hashlib.sha256(raw).hexdigest()), raw))
    return tuple(out)


class FakeWeb:
    """urlopen stand-in: url -> bytes or an exception; records the calls."""

    def __init__(self, pages):
        self.pages, self.calls = pages, []

    def __call__(self, url, timeout=None):
        self.calls.append(url)
        page = self.pages.get(url, urllib.error.HTTPError(url, 404, "Not Found", {}, None))
        if isinstance(page, Exception):
            raise page
        return io.BytesIO(page)


M1, M2 = "https://one.example/mnist/", "https://two.example/mnist/"


def test_download_falls_back_to_the_next_mirror_and_writes_atomically(tmp_path):
    files = tiny_files()
    (a, a_raw), (b, b_raw) = files
    web = FakeWeb({M1 + a.name + ".gz": urllib.error.URLError("connection refused"),
                   M2 + a.name + ".gz": gzip.compress(a_raw),
                   M1 + b.name + ".gz": gzip.compress(b_raw[:-1] + b"\x01"),  # corrupted copy
                   M2 + b.name + ".gz": gzip.compress(b_raw)})
    lines = []
    got = mnist.download(tmp_path / "dest", mirrors=(M1, M2), files=tuple(k for k, _ in files),
                         opener=web, log=lines.append)
    assert got == {a.name: a.sha256, b.name: b.sha256}
    assert sorted(os.listdir(tmp_path / "dest")) == [a.name + ".gz", b.name + ".gz"]  # no temp files
    assert gzip.decompress((tmp_path / "dest" / f"{b.name}.gz").read_bytes()) == b_raw
    assert any("connection refused" in x for x in lines) and any("corrupted" in x for x in lines)
    # a second run finds both intact and asks the network nothing
    web.calls.clear()
    mnist.download(tmp_path / "dest", mirrors=(M1, M2), files=(a, b), opener=web)
    assert web.calls == []


def test_download_refetches_a_damaged_file(tmp_path):
    (a, a_raw), = tiny_files()[:1]
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / f"{a.name}.gz").write_bytes(gzip.compress(a_raw[:-3]))
    web = FakeWeb({M1 + a.name + ".gz": gzip.compress(a_raw)})
    mnist.download(dest, mirrors=(M1,), files=(a,), opener=web)
    assert web.calls == [M1 + a.name + ".gz"]
    assert gzip.decompress((dest / f"{a.name}.gz").read_bytes()) == a_raw


def test_download_failing_everywhere_is_one_line_and_writes_nothing(tmp_path):
    (a, a_raw), = tiny_files()[:1]
    web = FakeWeb({M1 + a.name + ".gz": b"<html>gateway</html>",
                   M2 + a.name + ".gz": gzip.compress(a_raw)[:30]})
    with pytest.raises(DataError) as exc:
        mnist.download(tmp_path / "dest", mirrors=(M1, M2), files=(a,), opener=web)
    msg = str(exc.value)
    assert "\n" not in msg and a.name in msg and M1 in msg and M2 in msg and "--data sample" in msg
    assert os.listdir(tmp_path / "dest") == []


def test_download_default_goes_through_urlopen_into_the_cache(clean_env, monkeypatch):
    (a, a_raw), = tiny_files()[:1]
    web = FakeWeb({mnist.MIRRORS[0] + a.name + ".gz": gzip.compress(a_raw)})
    monkeypatch.setattr(urllib.request, "urlopen", web)
    mnist.download(files=(a,))
    assert web.calls == [mnist.MIRRORS[0] + a.name + ".gz"]
    assert (mnist.cache_dir() / f"{a.name}.gz").is_file()
    assert str(mnist.cache_dir()).startswith(str(clean_env / "cache"))


@needs_data
def test_download_of_the_real_files_then_found_in_the_cache(clean_env):
    pages = {mnist.MIRRORS[1] + n + ".gz": (Path(DATA) / f"{n}.gz").read_bytes() for n in KNOWN}
    web = FakeWeb(pages)  # the first mirror answers 404 to everything
    assert mnist.download(opener=web) == {k: v.sha256 for k, v in KNOWN.items()}
    got = mnist.load()
    assert got.rule == "cache" and got.kind == "full" and len(got.training) == 50000


def test_names_that_are_not_utf8_or_hold_escapes_are_shown_escaped(tmp_path):
    """A sample file named with a byte that is not UTF-8 and an ANSI escape: its source text, shown
    on the terminal and in the report, is one printable line that encodes as UTF-8."""
    path = Path(os.fsdecode(os.fsencode(str(tmp_path)) + b"/caf\xe9\x1b[2J\n.npz"))
    path.write_bytes(mnist.SAMPLE.read_bytes())
    data = mnist.load(str(path))
    text = json.dumps(data.summary(), ensure_ascii=False)
    assert "caf\\xe9\\x1b[2J\\n.npz" in data.source and data.source.isprintable()
    text.encode("utf-8")  # no surrogate left to crash a writer
    assert data.verified  # the bundled sample's bytes, under another name


def test_the_bundled_sample_is_checked_against_the_digest_in_the_code(tmp_path, monkeypatch):
    """A forged sample with a self-consistent digest table is refused where the bundled sample
    should be, and loads as not verified anywhere else."""
    arrays = good_arrays()
    arrays["test_images"] = np.zeros_like(arrays["test_images"])
    meta = json.loads(str(arrays["meta"]))
    meta["content_sha256"]["test_images"] = hashlib.sha256(arrays["test_images"].tobytes()).hexdigest()
    arrays["meta"] = np.array(json.dumps(meta))
    forged = tmp_path / "mnist_sample.npz"
    forged.write_bytes(npz(**arrays))
    assert mnist.SAMPLE_SHA256 == hashlib.sha256(mnist.SAMPLE.read_bytes()).hexdigest()
    assert not mnist.load(str(forged)).verified and mnist.load("sample").verified
    monkeypatch.setattr(mnist, "SAMPLE", forged)
    with pytest.raises(DataError, match="is not the bundled sample's"):
        mnist.load_sample(forged)
