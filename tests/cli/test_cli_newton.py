"""``gradproof train --optimizer newton-cg|newton`` and ``gradproof kernels --curvature`` through a
subprocess (bad flags, caught before any training, and the printed kernels in this process through
the CLI's ``main``)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from . import run


def gradproof(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gradproof", *args], capture_output=True, text=True,
                          timeout=600)


def test_newton_cg_trains_the_issues_network_and_reports_passes():
    out = gradproof("train", "--optimizer", "newton-cg", "--data", "sample", "--steps", "3",
                    "--gradient-batch", "300", "--curvature-batch", "100", "--cg-iterations", "8", "--json")
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout)
    assert r["optimizer"] == "newton-cg" and r["config"]["sizes"] == [784, 30, 10]
    assert r["config"]["cost"] == "cross_entropy" and r["config"]["init"] == "scaled"
    recs = r["records"]
    assert [x["step"] for x in recs] == [0, 1, 2, 3]
    assert recs[-1]["passes"] > 0 and recs[-1]["test_accuracy"] > recs[0]["test_accuracy"]
    assert r["settings"]["cg_iterations"] == 8 and r["best"]["split"] == "test"


def test_newton_cg_text_output_and_target():
    out = gradproof("train", "--optimizer", "newton-cg", "--data", "sample", "--steps", "2",
                    "--gradient-batch", "300", "--curvature-batch", "100", "--target", "0.99")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0].startswith("gradproof train: newton-cg: 784-30-10 sigmoid/cross_entropy")
    assert any(l.startswith("step   1") and "passes" in l and "CG" in l for l in lines)
    assert "99% NOT reached" in lines[-1]


def test_exact_newton_converges_quadratically():
    out = gradproof("train", "--optimizer", "newton", "--data", "sample", "--curvature-batch", "300",
                    "--json")
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout)
    assert r["parameters"] == 500 and r["pool"] == 4 and r["config"]["sizes"] == [49, 10]
    assert r["records"][-1]["gradient_norm"] < 1e-10 and r["quadratic_rates"]
    assert all(x["newton"] for x in r["records"][:-1])


@pytest.mark.parametrize("args,flag", [
    (["--steps", "3"], "--steps"),
    (["--optimizer", "newton-cg", "--eta", "1"], "--eta"),
    (["--optimizer", "newton-cg", "--runs", "2"], "--runs"),
    (["--optimizer", "newton-cg", "--curvature-batch", "5000", "--gradient-batch", "100"], "--curvature-batch"),
    (["--optimizer", "newton", "--sizes", "784,30,10"], "--sizes"),
    (["--optimizer", "newton", "--sizes", "50,10"], "--sizes"),
])
def test_bad_combinations_are_one_line_exit_2(args, flag):
    out = run.here("train", "--data", "sample", *args)
    assert out.returncode == 2, (out.stdout, out.stderr)
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and flag in lines[0] and "Traceback" not in out.stderr


def test_kernels_prints_the_curvature_module():
    out = run.here("kernels", "--curvature", "--cost", "cross_entropy", "--activation", "tanh")
    assert out.returncode == 0, out.stderr
    assert "def hessian_vector_at(state, weights, vw, vb):" in out.stdout
    assert "[r_bp2, r_batched]" in out.stdout and "[gauss_newton_product" in out.stdout
    compile(out.stdout, "<curvature>", "exec")
    bad = run.here("kernels", "--curvature", "--textbook")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
