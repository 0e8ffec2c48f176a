"""``gradproof data``: where the data was found, whether it verified, the split sizes; bad input is
exit 2 with one line on stderr and no traceback.  Run in this process through the CLI's ``main``
(the first test runs ``python -m gradproof`` as a user does; the download, which must not touch the
network, runs with a fake ``urlopen``)."""
from __future__ import annotations

import gzip
import io
import json
import os
import struct
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from gradproof.cli import main
from gradproof.numerics.idx import KNOWN

from . import run

DATA = os.environ.get("GRADPROOF_DATA")
needs_data = pytest.mark.skipif(not DATA or not Path(DATA).is_dir(),
                                reason="GRADPROOF_DATA is unset: the official MNIST files are needed "
                                       "(CI sets it to ../shared/data/mnist)")
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]  # shared/data/README.md
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def gradproof(*args: str, **changes) -> subprocess.CompletedProcess:
    """Run ``gradproof ARGS`` (:func:`run.here`); ``changes`` set (str) or unset (None) environment
    variables."""
    return run.here(*args, env=run.environ(**changes))


def assert_usage_error(r: subprocess.CompletedProcess, *words: str) -> None:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gradproof data: error: "), r.stderr
    for w in words:
        assert w in lines[0], lines[0]


@needs_data
def test_full_data_from_the_environment():
    r = run.gradproof("data", "--json", env=run.environ(GRADPROOF_DATA=DATA))  # a child, as a user runs it
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["rule"] == "GRADPROOF_DATA" and out["kind"] == "full" and out["verified"] is True
    assert out["digests"] == {k: v.sha256 for k, v in KNOWN.items()}
    sizes = {k: v["size"] for k, v in out["splits"].items()}
    assert sizes == {"training": 50000, "validation": 10000, "test": 10000}
    counts = np.add(out["splits"]["training"]["counts"], out["splits"]["validation"]["counts"])
    assert counts.tolist() == TRAIN_COUNTS and out["splits"]["test"]["counts"] == TEST_COUNTS


@needs_data
def test_text_says_where_whether_and_how_many(tmp_path):
    r = gradproof("data", "--data", DATA, GRADPROOF_DATA=tmp_path / "ignored")  # --data comes first
    assert r.returncode == 0, r.stderr
    assert "found full MNIST by --data" in r.stdout and str(Path(DATA).absolute()) in r.stdout
    assert "verified" in r.stdout and KNOWN["train-images-idx3-ubyte"].sha256 in r.stdout
    assert "training 50,000, validation 10,000, test 10,000" in r.stdout


@needs_data
def test_cache_rule(tmp_path):
    cache = tmp_path / "gradproof" / "mnist"
    cache.mkdir(parents=True)
    for name in KNOWN:  # links to the read-only shared copy
        (cache / f"{name}.gz").symlink_to(Path(DATA).absolute() / f"{name}.gz")
    r = gradproof("data", "--json", GRADPROOF_DATA=None, XDG_CACHE_HOME=tmp_path)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["rule"] == "cache" and json.loads(r.stdout)["path"] == str(cache)


def test_bundled_sample_works_offline(tmp_path):
    r = gradproof("data", "--data", "sample", "--json", GRADPROOF_DATA=None, XDG_CACHE_HOME=tmp_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["kind"] == "sample" and out["source"] == "bundled sample (--data sample)"
    assert {k: v["counts"] for k, v in out["splits"].items()} == {
        "training": [500] * 10, "validation": [100] * 10, "test": [100] * 10}


def test_nothing_found_is_the_sample_with_a_note_naming_both_fixes(tmp_path):
    """The one rule of every command that uses MNIST: no full MNIST found -> the bundled sample,
    with one line on stderr naming `gradproof data --download` and `--data sample`."""
    r = gradproof("data", "--json", GRADPROOF_DATA=None, XDG_CACHE_HOME=tmp_path, HOME=tmp_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["kind"] == "sample" and out["rule"] == "fallback" and out["verified"] is True
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0] == f"gradproof data: note: {out['note']}", r.stderr
    for words in ("no MNIST data found", "GRADPROOF_DATA", "gradproof data --download",
                  "--data sample", str(tmp_path)):
        assert words in lines[0], lines[0]


def test_nothing_found_without_fallback_names_the_four_ways(tmp_path, monkeypatch):
    from gradproof.numerics import mnist

    monkeypatch.delenv("GRADPROOF_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with pytest.raises(mnist.DataError) as exc:
        mnist.load()
    for words in ("no MNIST data found", "--data DIR", "GRADPROOF_DATA",
                  "gradproof data --download", "--data sample", str(tmp_path)):
        assert words in str(exc.value)


def idx_header(ndim_code: int, *dims: int) -> bytes:
    return bytes([0, 0, 8, ndim_code]) + struct.pack(f">{len(dims)}I", *dims)


BAD_TRAIN_IMAGES = {  # case -> (content of train-images-idx3-ubyte.gz, words of the message)
    "truncated": (lambda: gzip.compress(idx_header(3, 60000, 28, 28) + bytes(1000)),
                  ("truncated: expected 47040016 bytes (decompressed), found 1016",)),
    "wrong magic": (lambda: idx_header(1, 60000), ("wrong magic number 2049", "expected 2051")),
    "wrong dimensions": (lambda: gzip.compress(idx_header(3, 60000, 784, 1)), ("wrong dimensions",)),
    "not gzip": (lambda: b"<html>403 Forbidden</html>", ("not a gzip file",)),
    "well-formed but not MNIST": (lambda: gzip.compress(idx_header(3, 60000, 28, 28) + bytes(47040000), 1),
                                  ("corrupted", "SHA-256")),
}


@pytest.mark.parametrize("case", list(BAD_TRAIN_IMAGES))
def test_bad_file_exit_2_one_line(tmp_path, case):
    make, words = BAD_TRAIN_IMAGES[case]
    for name in KNOWN:
        (tmp_path / f"{name}.gz").write_bytes(b"")
    bad = tmp_path / "train-images-idx3-ubyte.gz"  # read first
    bad.write_bytes(make())
    assert_usage_error(gradproof("data", "--data", str(tmp_path)), str(bad), "gradproof data --download",
                       *words)


def test_missing_file_and_missing_folder(tmp_path):
    for name in list(KNOWN)[1:]:
        (tmp_path / f"{name}.gz").write_bytes(b"")
    assert_usage_error(gradproof("data", "--data", str(tmp_path)),
                       "train-images-idx3-ubyte(.gz) missing", "--download")
    assert_usage_error(gradproof("data", GRADPROOF_DATA=tmp_path / "nope"),
                       f"GRADPROOF_DATA={tmp_path / 'nope'}: no such folder")


@needs_data
def test_flipped_byte_in_a_real_copy(tmp_path):
    for name in KNOWN:
        (tmp_path / f"{name}.gz").symlink_to(Path(DATA).absolute() / f"{name}.gz")
    target = tmp_path / "t10k-labels-idx1-ubyte.gz"
    raw = bytearray(gzip.decompress(target.read_bytes()))
    raw[-1] ^= 1
    target.unlink()  # the link, not the shared file
    target.write_bytes(gzip.compress(bytes(raw)))
    assert_usage_error(gradproof("data", "--data", str(tmp_path)), str(target), "corrupted")


def test_a_npz_that_is_not_our_sample(tmp_path):
    fake = tmp_path / "fake.npz"
    buf = io.BytesIO()
    np.savez_compressed(buf, images=np.zeros((2, 784), np.uint8))
    fake.write_bytes(buf.getvalue())
    assert_usage_error(gradproof("data", "--data", str(fake)), str(fake), "not gradproof's MNIST sample")


def test_download_does_not_go_with_the_sample():
    assert_usage_error(gradproof("data", "--data", "sample", "--download"), "--download")


# -- --download, in-process with a fake urlopen (no network) ---------------------------------------

class FakeWeb:
    def __init__(self, pages):
        self.pages, self.calls = pages, []

    def __call__(self, url, timeout=None):
        self.calls.append(url)
        if url not in self.pages:
            raise urllib.error.URLError("no route to host")
        return io.BytesIO(self.pages[url])


@needs_data
def test_download_into_a_folder_then_verify(tmp_path, monkeypatch, capsys):
    from gradproof.numerics import mnist
    web = FakeWeb({mnist.MIRRORS[-1] + f"{n}.gz": (Path(DATA) / f"{n}.gz").read_bytes() for n in KNOWN})
    monkeypatch.setattr(urllib.request, "urlopen", web)
    dest = tmp_path / "mnist"
    assert main(["data", "--download", "--data", str(dest), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["downloaded"] == {k: v.sha256 for k, v in KNOWN.items()} and out["path"] == str(dest)
    assert sorted(os.listdir(dest)) == sorted(f"{n}.gz" for n in KNOWN)
    assert len(web.calls) == 2 * len(KNOWN)  # each first asked of the (failing) first mirror


def test_download_failure_is_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(urllib.request, "urlopen", FakeWeb({}))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert main(["data", "--download"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("gradproof data: error: could not download train-images-idx3-ubyte.gz")
    assert "no route to host" in err[-1] and "Traceback" not in "".join(err)
