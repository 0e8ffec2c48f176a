"""``gradproof kernels`` and ``gradproof check`` through a subprocess."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest


def gradproof(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gradproof", *args], capture_output=True, text=True,
                          timeout=300)


def test_kernels_prints_the_backprop_source():
    out = gradproof("kernels")
    assert out.returncode == 0, out.stderr
    src = out.stdout
    assert "def backprop(weights, biases, x, y):" in src
    for tag in ("[quadratic_output_error]", "[bp2, bp_batched]", "[bp3, bp_batched]", "[bp4, bp_batched]", "[tanh_sigmoid]"):
        assert tag in src, tag
    assert src.index("# 1. Input x") < src.index("# 3. Output error δ^L (BP1)") < src.index("# 5. Output")
    compile(src, "<kernels>", "exec")  # the printed text is the module itself


@pytest.mark.parametrize("args,expect", [
    (["--cost", "log_likelihood", "--activation", "relu"], "ez.sum(axis=1, keepdims=True)"),
    (["--cost", "cross_entropy", "--activation", "tanh"], "numpy.logaddexp(0, z)"),
    (["--activation", "relu", "--textbook"], "numpy.where(z.real > 0, z, 0)"),
])
def test_kernels_options(args, expect):
    out = gradproof("kernels", *args)
    assert out.returncode == 0 and expect in out.stdout


@pytest.mark.parametrize("args,names", [
    (["--cost", "mse"], "quadratic, cross_entropy, log_likelihood"),
    (["--activation", "gelu"], "sigmoid, tanh, relu"),
])
def test_kernels_bad_choice_is_one_line_exit_2(args, names):
    out = gradproof("kernels", *args)
    assert out.returncode == 2 and out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and names in lines[0] and "Traceback" not in out.stderr


def test_check_json_all_pass():
    out = gradproof("check", "--json", "--seed", "1")
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr
    report = json.loads(out.stdout)
    checks = report["checks"]
    assert report["passed"] == report["total"] == len(checks) >= 100
    assert {c["method"] for c in checks} == {"complex_step", "central_difference"}
    assert {(c["activation"], c["cost"], c["reg"]) for c in checks} >= {("relu", "log_likelihood", "l1")}
    for c in checks:
        assert c["passed"] and c["max_rel_error"] <= c["tolerance"]
        assert c["tolerance"] == (1e-12 if c["method"] == "complex_step" else 1e-6)
        assert set(c["blocks"]) == {f"{p}^{l}" for p in "wb" for l in range(2, len(c["sizes"]) + 1)}
        assert max(c["blocks"].values()) == c["max_rel_error"]
    assert len({c["id"] for c in checks}) == len(checks)
    curv = report["curvature"]  # the Hessian-vector and Gauss-Newton products
    assert curv["passed"] == curv["total"] == len(curv["checks"]) >= 100
    assert {(c["product"], c["method"]) for c in curv["checks"]} == {
        (p, m) for p in ("Hv", "Gv") for m in ("central_difference", "complex_step", "exact")}
    for c in curv["checks"]:
        assert c["passed"] and c["max_rel_error"] <= c["tolerance"]
        assert c["tolerance"] == (1e-7 if c["method"] == "central_difference" else 1e-12)


def test_check_table_and_bad_seed():
    out = gradproof("check")
    assert out.returncode == 0
    lines = out.stdout.strip().splitlines()
    assert any(l.startswith("162 of 162 gradient checks passed") for l in lines)
    assert lines[-1].startswith("162 of 162 curvature checks passed")
    bad = gradproof("check", "--seed", "-1")
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
