"""numerics.idx: the IDX format read raw or gzipped, validated and verified; every bad file a one-line
DataError naming the file and the fix.  Oracles: headers packed by hand with ``struct``, digests by
``hashlib``, and (when GRADPROOF_DATA is set) the official files and the README's digests."""
from __future__ import annotations

import gzip
import hashlib
import os
import struct
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from gradproof.numerics.idx import FIX, KNOWN, DataError, Known, decompress, encode_idx, parse_idx, read_idx, \
    write_atomic

DATA = os.environ.get("GRADPROOF_DATA")
needs_data = pytest.mark.skipif(not DATA or not Path(DATA).is_dir(),
                                reason="GRADPROOF_DATA is unset: the official MNIST files are needed "
                                       "(CI sets it to ../shared/data/mnist)")
README_SHA256 = {  # /work/shared/data/README.md
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}


def by_hand(array: np.ndarray) -> bytes:
    """IDX bytes of a uint8 array, header packed with struct (the oracle for encode_idx)."""
    return struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) \
        + array.astype(np.uint8).tobytes()


LABELS = np.arange(12, dtype=np.uint8) % 10
TINY = Known("tiny-labels-idx1-ubyte", 2049, (12,), hashlib.sha256(by_hand(LABELS)).hexdigest())


def assert_one_line(exc: pytest.ExceptionInfo, path, *words: str) -> None:
    msg = str(exc.value)
    assert "\n" not in msg and str(path) in msg, msg
    for w in words:
        assert w in msg, msg


# -- the format ------------------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.uint8, hnp.array_shapes(min_dims=1, max_dims=4, max_side=6)))
def test_encode_matches_struct_and_round_trips(array):
    data = encode_idx(array)
    assert data == by_hand(array)
    back = parse_idx(data, "x")
    assert back.array.dtype == np.uint8 and np.array_equal(back.array, array)
    assert back.sha256 == hashlib.sha256(data).hexdigest() and back.known is None


@settings(max_examples=30, deadline=None)
@given(hnp.arrays(st.sampled_from([np.int16, np.int32, np.float32, np.float64, np.int8]),
                  hnp.array_shapes(min_dims=1, max_dims=3, max_side=5)))
def test_other_types_round_trip(array):
    back = parse_idx(encode_idx(array), "x").array
    assert np.array_equal(back, array, equal_nan=array.dtype.kind == "f")


def test_encode_refuses_what_idx_cannot_hold():
    with pytest.raises(ValueError, match="encode_idx"):
        encode_idx(np.zeros(3, np.int64))
    with pytest.raises(ValueError, match="encode_idx"):
        encode_idx(np.uint8(3))


@pytest.mark.parametrize("name, content", [
    ("tiny-labels-idx1-ubyte", "raw"), ("tiny-labels-idx1-ubyte.gz", "gzip"),
    ("tiny-labels-idx1-ubyte", "gzip"),       # gzipped under a raw name: found by the magic bytes
    ("tiny-labels-idx1-ubyte.gz", "raw"),     # a browser's decompressed copy that kept its .gz
])
def test_read_raw_or_gzip_by_name_or_magic(tmp_path, name, content):
    raw = by_hand(LABELS)
    (tmp_path / name).write_bytes(gzip.compress(raw) if content == "gzip" else raw)
    got = read_idx(tmp_path / name, TINY)
    assert np.array_equal(got.array, LABELS) and got.known == TINY and not got.array.flags.writeable


def test_known_table_is_the_readme():
    assert {k: v.sha256 for k, v in KNOWN.items()} == README_SHA256
    assert KNOWN["train-images-idx3-ubyte"].size == 16 + 60000 * 28 * 28


# -- bad files: one line, the file, the fix --------------------------------------------------------

def bad_files(tmp_path: Path) -> dict[str, tuple[Path, tuple[str, ...]]]:
    """name -> (a bad file for TINY, words its message must hold)."""
    raw = by_hand(LABELS)
    cases = {
        "truncated": (raw[:10], ("truncated", f"expected {len(raw)} bytes, found 10")),
        "truncated header": (raw[:6], ("truncated", "header")),
        "too short for a header": (raw[:3], ("truncated",)),
        "overlong": (raw + b"\0", ("overlong", f"expected {len(raw)} bytes, found {len(raw) + 1}")),
        "wrong magic": (b"\0\0\x08\x03" + raw[4:], ("wrong magic number 2051", "expected 2049")),
        "wrong dimensions": (by_hand(LABELS[:11]), ("wrong dimensions 11", "expected 12")),
        "corrupted": (raw[:-1] + bytes([raw[-1] ^ 1]), ("corrupted", "SHA-256")),
    }
    out = {}  # neutral file names, so that the words must come from the message itself
    for i, (case, (data, words)) in enumerate(cases.items()):
        path = tmp_path / f"file{i}"
        path.write_bytes(data)
        out[case] = (path, words)
    gz = gzip.compress(raw)
    gz_cases = [("not gzip", b"<html>404 Not Found</html>", ("not a gzip file",)),
                ("gzip stream cut", gz[: len(gz) // 2], ("truncated gzip",)),
                ("gzip crc damaged", gz[:-8] + bytes([gz[-8] ^ 1]) + gz[-7:], ("damaged gzip",))]
    for i, (case, data, words) in enumerate(gz_cases):
        path = tmp_path / f"gz{i}.gz"
        path.write_bytes(data)
        out[case] = (path, words)
    return out


@pytest.mark.parametrize("case", ["truncated", "truncated header", "too short for a header",
                                  "overlong", "wrong magic", "wrong dimensions", "corrupted",
                                  "not gzip", "gzip stream cut", "gzip crc damaged"])
def test_bad_file_is_one_line_data_error(tmp_path, case):
    path, words = bad_files(tmp_path)[case]
    with pytest.raises(DataError) as exc:
        read_idx(path, TINY)
    assert_one_line(exc, path, FIX, *words)
    assert isinstance(exc.value, ValueError)


def test_missing_file(tmp_path):
    with pytest.raises(DataError) as exc:
        read_idx(tmp_path / "t10k-labels-idx1-ubyte.gz")
    assert_one_line(exc, tmp_path / "t10k-labels-idx1-ubyte.gz", "missing", FIX)


def test_not_idx_at_all_without_known(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_bytes(b"hello world")
    with pytest.raises(DataError) as exc:
        read_idx(path)
    assert_one_line(exc, path, "not an IDX file")


def test_known_name_is_checked_automatically(tmp_path):
    """A well-formed IDX file under an official name but with other content: digest mismatch."""
    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes(by_hand(np.zeros(10000, np.uint8)))
    with pytest.raises(DataError) as exc:
        read_idx(path)
    assert_one_line(exc, path, "corrupted", README_SHA256["t10k-labels-idx1-ubyte"][:16])


def test_decompress_leaves_raw_bytes_alone():
    assert decompress(b"\0\0\x08\x01abc", "x") == b"\0\0\x08\x01abc"
    assert decompress(gzip.compress(b"abc"), "x.gz") == b"abc"


# -- atomic writes ---------------------------------------------------------------------------------

def test_write_atomic_replaces_whole_or_not_at_all(tmp_path, monkeypatch):
    path = tmp_path / "f.gz"
    write_atomic(path, b"old")
    write_atomic(path, b"new")
    assert path.read_bytes() == b"new" and os.listdir(tmp_path) == ["f.gz"]

    def boom(src, dst):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        write_atomic(path, b"newer")
    assert path.read_bytes() == b"new" and os.listdir(tmp_path) == ["f.gz"]


# -- the official files ----------------------------------------------------------------------------

@needs_data
@pytest.mark.parametrize("name", list(KNOWN))
def test_official_files_verify(name):
    got = read_idx(Path(DATA) / f"{name}.gz")
    assert got.sha256 == README_SHA256[name] and got.known is KNOWN[name]
    assert got.array.shape == KNOWN[name].shape and got.array.dtype == np.uint8


@needs_data
def test_official_copy_with_one_flipped_byte(tmp_path):
    raw = gzip.decompress((Path(DATA) / "t10k-labels-idx1-ubyte.gz").read_bytes())
    flipped = bytearray(raw)
    flipped[5000] = (flipped[5000] + 1) % 10  # still a valid label
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(bytes(flipped)))
    with pytest.raises(DataError) as exc:
        read_idx(path)
    assert_one_line(exc, path, "corrupted", FIX)


@needs_data
def test_official_copy_cut_short(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte"
    with gzip.open(Path(DATA) / "t10k-labels-idx1-ubyte.gz") as f:
        path.write_bytes(f.read(1000))
    with pytest.raises(DataError) as exc:
        read_idx(path)
    assert_one_line(exc, path, "truncated: expected 10008 bytes, found 1000", FIX)
