"""numerics.fileio: atomic writes that never replace a non-regular file, checked targets, names shown
escaped, JSON of bounded depth.  Oracles: os.lstat of what is left, json.loads on shallow input."""
from __future__ import annotations

import json
import os

import pytest
from hypothesis import given, strategies as st

from gradproof.numerics.fileio import check_target, loads_json, printable, write_atomic


@given(st.text())
def test_printable_is_one_printable_line_and_keeps_printable_text(text):
    shown = printable(text)
    assert shown.isprintable() and "\n" not in shown
    if text.isprintable():
        assert shown == text


def test_printable_escapes():
    assert printable("a\nb\x1b[31m") == "a\\nb\\x1b[31m"
    assert printable(os.fsdecode(b"caf\xe9")) == "caf\\xe9"  # a byte that is not UTF-8
    assert printable("café") == "café"


@pytest.mark.parametrize("make, what", [
    (lambda p: os.mkfifo(p), "a FIFO"), (lambda p: p.mkdir(), "a folder"),
    (lambda p: p.symlink_to("/proc/self/fd/1"), "a symbolic link")])
def test_write_atomic_never_replaces_a_non_regular_file(tmp_path, make, what):
    path = tmp_path / "x"
    make(path)
    mode = os.lstat(path).st_mode
    with pytest.raises(FileExistsError, match=what):
        write_atomic(path, b"data")
    assert os.lstat(path).st_mode == mode and os.listdir(tmp_path) == ["x"]
    with pytest.raises(ValueError, match=what):
        check_target(str(path))


def test_check_target(tmp_path):
    assert check_target(str(tmp_path / "new.npz")) == tmp_path / "new.npz"
    (tmp_path / "old.npz").write_bytes(b"old")
    assert check_target(str(tmp_path / "old.npz")) == tmp_path / "old.npz"
    for bad, words in (("", "empty path"), (str(tmp_path) + "/", "names a folder"),
                       (str(tmp_path / "no" / "x"), "does not exist"),
                       (str(tmp_path / ("x" * 300)), "too long")):
        with pytest.raises(ValueError, match=words):
            check_target(bad)
    assert sorted(os.listdir(tmp_path)) == ["old.npz"]  # the probes left nothing


def test_loads_json_bounds_the_depth():
    assert loads_json('{"a": [1, {"b": "[[[[[[[["}]}', max_depth=3) == {"a": [1, {"b": "[[[[[[[["}]}
    with pytest.raises(ValueError, match="deeper than 32"):
        loads_json("[" * 10**5 + "]" * 10**5)
    assert loads_json(json.dumps([[[[1]]]])) == [[[[1]]]]
