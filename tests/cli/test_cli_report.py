"""``gradproof report`` end to end, through a subprocess, and its bad-input messages."""
import json
import shutil
import sys
from pathlib import Path

import html5lib
import pytest

from . import run

ROOT = Path(__file__).resolve().parents[2]


def gradproof(*args, env=None):
    return run.gradproof("report", *args, cwd=ROOT, env=run.environ(**(env or {})))


def one_line_error(r, *words):
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])


@pytest.mark.slow
def test_report_without_training(tmp_path):
    """--train none, and no pdflatex on the PATH: every file but the PDF, and a note saying so."""
    out = tmp_path / "rep"
    r = gradproof("--train", "none", "--out", str(out),
                  env={"PATH": str(Path(sys.executable).parent)})
    assert r.returncode == 0, r.stderr
    assert "pdflatex is not on the PATH" in r.stderr
    # curves.pdf holds the figures: without training, the grid of the MNIST digits used
    assert {p.name for p in out.iterdir()} == {"report.html", "report.tex", "report.json", "curves.pdf"}
    facts = json.loads((out / "report.json").read_text())
    s = facts["summary"]
    assert s["proved"] == s["identities"] > 0 and s["slips_refuted"] == s["slips"]
    assert s["checks"] > 0 and s["checks_passed"] == s["checks"]
    assert facts["training"] is None and facts["problems"] == []
    assert facts["timings"]["total"] > 0  # the time is measured (speed is the bench's business)
    page = (out / "report.html").read_text()
    assert page.count("<math") >= s["identities"] and "<script" not in page
    assert facts["data"]["kind"] in ("full", "sample")
    doc = html5lib.parse(page, namespaceHTMLElements=False)
    rows = {"".join(tr.find("th").itertext()): "".join(tr.find("td").itertext())
            for tr in doc.iter("tr") if tr.find("th") is not None and tr.find("td") is not None}
    assert rows["Data"] == s["data"]  # the report states which data it used
    said = "full" if rows["Data"].startswith("the full MNIST") else (
        "sample" if rows["Data"].startswith("the bundled MNIST sample") else None)
    assert said == facts["data"]["kind"]


@pytest.mark.slow
def test_report_with_a_short_run_on_the_sample(tmp_path):
    out = tmp_path / "rep"
    r = gradproof("--data", "sample", "--epochs", "1", "--out", str(out))
    assert r.returncode == 0, r.stderr
    facts = json.loads((out / "report.json").read_text())
    t = facts["training"]
    assert t["preset"] == "nielsen-ch1" and len(t["epochs"]) == 1
    assert 0.5 < t["final"]["test_accuracy"] <= 1  # one epoch on the sample learns something
    assert t["book"]["accuracy"] == pytest.approx(0.9542)
    assert facts["data"]["kind"] == "sample"
    assert "sample" in facts["summary"]["data"]
    assert facts["kernel"]["ran"] and "def " in facts["kernel"]["source"]
    page = (out / "report.html").read_text()
    assert "<svg" in page and "95.42%" in page
    assert (out / "curves.pdf").is_file()
    if shutil.which("pdflatex"):
        assert (out / "report.pdf").read_bytes().startswith(b"%PDF")


def test_out_is_an_existing_file(tmp_path):
    f = tmp_path / "x"
    f.write_text("keep me")
    one_line_error(gradproof("--train", "none", "--out", str(f)), "--out", "existing file")
    assert f.read_text() == "keep me"


def test_out_cannot_be_created(tmp_path):
    f = tmp_path / "x"
    f.write_text("")
    one_line_error(gradproof("--train", "none", "--out", str(f / "sub")), "cannot write", "--out")


def test_unknown_preset(tmp_path):
    out = tmp_path / "new"
    one_line_error(gradproof("--train", "nielsen-ch9", "--out", str(out)),
                   "unknown training preset 'nielsen-ch9'", "nielsen-ch1", "none")
    assert not out.exists()  # flags are checked before the output folder is made


def test_negative_seed(tmp_path):
    one_line_error(gradproof("--train", "none", "--seed", "-1", "--out", str(tmp_path / "o")),
                   "--seed")


def test_bad_epochs(tmp_path):
    r = gradproof("--epochs", "0", "--out", str(tmp_path))
    one_line_error(r, "--epochs")


def test_missing_data_folder(tmp_path):
    one_line_error(gradproof("--data", str(tmp_path / "nope"), "--out", str(tmp_path / "o")),
                   "--data", "no such folder")
    assert not (tmp_path / "o" / "report.html").exists()


@pytest.mark.slow
def test_a_second_report_takes_the_proofs_from_the_cache_and_says_so(tmp_path):
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    for run, args in (("cold", ()), ("warm", ()), ("fresh", ("--no-cache", "--epochs", "2"))):
        out = tmp_path / run
        r = gradproof("--train", "none", "--no-pdf", "--out", str(out), *args, env=env)
        assert r.returncode == 0, r.stderr
        facts = json.loads((out / "report.json").read_text())
        cached = [d["cached"] for d in facts["identities"]]
        html = (out / "report.html").read_text()
        if run == "warm":
            assert all(cached) and facts["summary"]["cache"]["cached"] == len(cached)
            assert all(d["proved_at"] for d in facts["identities"])
            assert f"{len(cached)} of {len(cached)} outcomes were read from the proof cache" in html
            assert html.count("from the proof cache (proved ") == len(cached)
            assert "from the proof cache" in r.stderr
        else:
            assert not any(cached) and facts["summary"]["cache"]["cached"] == 0
            assert "from the proof cache (proved" not in html
        # a flag that would do nothing is a warning
        assert ("warning: --epochs 2 does nothing with --train none" in r.stderr) == (run == "fresh")


@pytest.mark.parametrize("flags, flag", [
    (["--eta", "1"], "--eta"),                                     # no model to train with it
    (["--activation", "silu", "--sizes", "784,x"], "--sizes"),
    (["--activation", "silu", "--eta", "-1"], "--eta"),
    (["--activation", "silu", "--sizes", "784,30,5", "--data", "sample"], "--sizes"),  # not 10 digits
])
def test_the_training_flags_of_a_users_model_are_checked_first(tmp_path, flags, flag):
    one_line_error(gradproof(*flags, "--out", str(tmp_path / "o")), flag)
    assert not (tmp_path / "o").exists()
