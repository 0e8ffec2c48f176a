"""derive.core.textfile: a reader's file is read as a bounded regular file, or refused in one line."""
import os

import pytest

from gradproof.derive.claims.notes import NotesError, proofread_notes_file
from gradproof.derive.claims.proofread import ProofreadError, proofread_file
from gradproof.derive.core.textfile import read_text


def test_a_regular_file_is_read_whole(tmp_path):
    p = tmp_path / "notes.md"
    p.write_text("σ(z) = 1/(1 + e^{-z})\n", encoding="utf-8")
    assert read_text(p, "a notes file", 100) == "σ(z) = 1/(1 + e^{-z})\n"


@pytest.mark.parametrize("make, words", [
    (lambda p: os.mkfifo(p), "not a regular file"),  # open() of a FIFO waited for a writer forever
    (lambda p: os.mkdir(p), "is a directory"),
    (lambda p: p.write_bytes(b"x" * 101), "101 bytes; a notes file is at most 100"),
    (lambda p: p.write_bytes(b"caf\xe9"), "not UTF-8 text"),
    (lambda p: None, "cannot read it (No such file or directory)"),
])
def test_anything_else_is_one_line_naming_the_problem(tmp_path, make, words):
    p = tmp_path / "notes.md"
    make(p)
    with pytest.raises(NotesError) as exc:
        read_text(p, "a notes file", 100, NotesError)
    assert words in str(exc.value) and "\n" not in str(exc.value)


def test_a_device_is_refused_before_it_is_read():
    with pytest.raises(ValueError, match="not a regular file"):
        read_text("/dev/zero", "a notes file", 100)


def test_both_proofread_entry_points_refuse_a_fifo_at_once(tmp_path):
    for name, call, error in (("notes.md", proofread_notes_file, NotesError),
                              ("derivation.txt", proofread_file, ProofreadError)):
        p = tmp_path / name
        os.mkfifo(p)
        with pytest.raises(error, match="not a regular file"):
            call(p)
