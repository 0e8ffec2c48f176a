"""numerics.npz: an .npz is read only after every member's declared shape, type and sizes passed.
Oracles: np.savez's own files (read back equal), headers and zips built by hand."""
from __future__ import annotations

import io
import json
import struct
import zipfile

import numpy as np
import pytest

from gradproof.numerics.npz import MAX_RATIO, NpzError, read_npz


def accept(declared):
    return None


def test_reads_what_numpy_writes(tmp_path):
    arrays = {"a": np.arange(12.0).reshape(3, 4), "b": np.asfortranarray(np.ones((2, 3), np.int16)),
              "s": np.array(json.dumps({"x": 1})), "e": np.zeros((0, 5), np.uint8)}
    for save in (np.savez, np.savez_compressed):
        path = tmp_path / f"{save.__name__}.npz"
        save(path, **arrays)
        seen = {}
        got = read_npz(path, seen.update)
        assert seen == {k: (a.shape, a.dtype) for k, a in arrays.items()}
        for k, a in arrays.items():
            assert got[k].dtype == a.dtype and np.array_equal(got[k], a)


def test_check_refuses_before_any_array_is_read(tmp_path, monkeypatch):
    np.savez(tmp_path / "x.npz", a=np.zeros(3))
    monkeypatch.setattr(np, "frombuffer", lambda *a, **k: pytest.fail("allocated"))

    def refuse(declared):
        raise ValueError(f"a is {declared['a'][0]}, want (4,)")
    with pytest.raises(NpzError, match=r"a is \(3,\), want \(4,\)"):
        read_npz(tmp_path / "x.npz", refuse)


def _zip(path, name, data, size=None):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, data)
    if size is not None:  # forge the sizes the zip declares (local header and central directory)
        blob = bytearray(path.read_bytes())
        real = struct.pack("<I", len(data))
        for at in (22, blob.rindex(b"PK\x01\x02") + 24):
            assert blob[at:at + 4] == real
            blob[at:at + 4] = struct.pack("<I", size)
        path.write_bytes(bytes(blob))


def _npy(dtype, shape, body=b""):
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": dtype, "fortran_order": False, "shape": shape})
    return buf.getvalue() + body


@pytest.mark.parametrize("name, data, size, words", [
    ("a.npy", _npy("<f8", (10**6, 10**6), bytes(80)), None, "declares"),
    ("a.npy", _npy("|O", (1,), bytes(8)), None, "pickle"),
    ("a.npy", b"not numpy", None, "not an .npy array"),
    ("a.txt", _npy("<f8", (1,), bytes(8)), None, "not one .npy array"),
    ("a.npy", bytes(10**6), 2 * MAX_RATIO * 10**6, "more than deflate can"),
])
def test_lies_are_one_line(tmp_path, name, data, size, words):
    path = tmp_path / "x.npz"
    _zip(path, name, data, size)
    with pytest.raises(NpzError) as exc:
        read_npz(path, accept)
    assert words in str(exc.value) and "\n" not in str(exc.value)


@pytest.mark.parametrize("content, words", [(b"", "not an .npz"), (b"PK\x03\x04" + bytes(30), "damaged"),
                                             (b"\x93NUMPY", "single array")])
def test_not_a_zip(tmp_path, content, words):
    (tmp_path / "x.npz").write_bytes(content)
    with pytest.raises(NpzError, match=words):
        read_npz(tmp_path / "x.npz", accept)
