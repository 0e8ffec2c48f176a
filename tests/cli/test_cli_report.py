"""``gradproof report`` end to end, through a subprocess (the cold run is the session's one,
``cold_report`` of tests/cold.py), and its bad-input messages (in this process, through the CLI's
``main``)."""
import json
import shutil

import html5lib
import pytest

from ..cold import warm
from ..project import ROOT
from . import run


def gradproof(*args, env=None):
    return run.gradproof("report", *args, cwd=ROOT, env=run.environ(**(env or {})))


def refused(*args):
    """``gradproof report ARGS`` in this process (:func:`run.here`): for flags refused before
    anything is computed."""
    return run.here("report", *args, cwd=ROOT)


def one_line_error(r, *words):
    assert r.returncode == 2, (r.returncode, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])


@pytest.mark.slow
def test_report_without_training(cold_report):
    """--train none, and no pdflatex on the PATH: every file but the PDF, and a note saying so."""
    out, r = cold_report[0] / "rep", cold_report[1]
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
def test_report_with_a_short_run_on_the_sample(cold_report, tmp_path):
    """One epoch on the sample, on a copy of the proof cache that the session's cold report
    (tests/cold.py) wrote: every identity is read from it, and the report says so (the cold run
    itself proved every one)."""
    out = tmp_path / "rep"
    r = gradproof("--data", "sample", "--epochs", "1", "--out", str(out),
                  env=warm(cold_report[0], tmp_path))
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
    # the proofs came from the cache, and the page and the progress lines say so
    cold_facts = json.loads((cold_report[0] / "rep" / "report.json").read_text())
    assert not any(d["cached"] for d in cold_facts["identities"])
    cached = [d["cached"] for d in facts["identities"]]
    assert len(cached) == len(cold_facts["identities"])
    assert all(cached) and facts["summary"]["cache"]["cached"] == len(cached)
    assert all(d["proved_at"] for d in facts["identities"])
    assert f"{len(cached)} of {len(cached)} outcomes were read from the proof cache" in page
    assert page.count("from the proof cache (proved ") == len(cached)
    assert "from the proof cache" in r.stderr


#: The identities :func:`test_no_cache_proves_afresh_what_the_cache_holds` keeps in the registry.
FEW = ("perceptron_bias", "sigmoid_prime", "slip_l1_update")


def test_no_cache_proves_afresh_what_the_cache_holds(cold_report, tmp_path, monkeypatch):
    """--no-cache, on a cache that holds every outcome (a copy of the cold report's), reads none of
    them: each identity is proved afresh.  Run in this process, with ``reports.gather.gather``
    told to prove only :data:`FEW` (the flag does the same for every identity; proving all of them
    again would be the cold run's time once more)."""
    from functools import partial

    from gradproof import derive
    from gradproof.reports import gather

    env = warm(cold_report[0], tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(gather, "gather", partial(gather.gather, ids=FEW))
    # the cache holds a valid outcome for each of them: read without the flag
    assert [p.cached for p in derive.prove_all(list(FEW), cache=True)] == [True] * len(FEW)
    out = tmp_path / "fresh"
    r = run.here("report", "--train", "none", "--no-pdf", "--no-cache", "--epochs", "2",
                 "--out", str(out), cwd=ROOT)
    assert r.returncode == 0, r.stderr
    facts = json.loads((out / "report.json").read_text())
    assert [d["id"] for d in facts["identities"]] == list(FEW)
    assert not any(d["cached"] for d in facts["identities"])
    assert facts["summary"]["cache"]["cached"] == 0
    assert "from the proof cache" not in (out / "report.html").read_text()
    assert "from the proof cache" not in r.stderr
    # a flag that would do nothing is a warning
    assert "warning: --epochs 2 does nothing with --train none" in r.stderr


def test_out_is_an_existing_file(tmp_path):
    f = tmp_path / "x"
    f.write_text("keep me")
    one_line_error(refused("--train", "none", "--out", str(f)), "--out", "existing file")
    assert f.read_text() == "keep me"


def test_out_cannot_be_created(tmp_path):
    f = tmp_path / "x"
    f.write_text("")
    one_line_error(refused("--train", "none", "--out", str(f / "sub")), "cannot write", "--out")


def test_unknown_preset(tmp_path):
    out = tmp_path / "new"
    one_line_error(refused("--train", "nielsen-ch9", "--out", str(out)),
                   "unknown training preset 'nielsen-ch9'", "nielsen-ch1", "none")
    assert not out.exists()  # flags are checked before the output folder is made


def test_negative_seed(tmp_path):
    one_line_error(refused("--train", "none", "--seed", "-1", "--out", str(tmp_path / "o")),
                   "--seed")


def test_bad_epochs(tmp_path):
    r = refused("--epochs", "0", "--out", str(tmp_path))
    one_line_error(r, "--epochs")


def test_missing_data_folder(tmp_path):
    one_line_error(refused("--data", str(tmp_path / "nope"), "--out", str(tmp_path / "o")),
                   "--data", "no such folder")
    assert not (tmp_path / "o" / "report.html").exists()


@pytest.mark.parametrize("flags, flag", [
    (["--eta", "1"], "--eta"),                                     # no model to train with it
    (["--activation", "silu", "--sizes", "784,x"], "--sizes"),
    (["--activation", "silu", "--eta", "-1"], "--eta"),
    (["--activation", "silu", "--sizes", "784,30,5", "--data", "sample"], "--sizes"),  # not 10 digits
])
def test_the_training_flags_of_a_users_model_are_checked_first(tmp_path, flags, flag):
    one_line_error(refused(*flags, "--out", str(tmp_path / "o")), flag)
    assert not (tmp_path / "o").exists()
