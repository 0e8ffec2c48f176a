"""``gradproof kernels`` and ``gradproof check``, in this process through the CLI's ``main`` (the first
test runs ``python -m gradproof`` as a user does)."""
from __future__ import annotations

import json

import pytest

from . import run

gradproof = run.here


def test_kernels_prints_the_backprop_source():
    out = run.gradproof("kernels")  # a child process, as a user runs it
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
    assert report["not_compared"] == report["failed"] == 0
    for c in checks:
        assert c["passed"] and c["status"] == "passed" and c["max_rel_error"] <= c["tolerance"]
        assert c["tolerance"] == (1e-12 if c["method"] == "complex_step" else 1e-6)
        assert 0 < c["atol"] < (1e-12 if c["method"] == "complex_step" else 1e-8)
        assert c["not_compared"] == [] and c["problem"] is None
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


def test_check_of_user_activations_that_once_failed():
    """The issue's false alarms: complex step 7.74e-04 FAIL with z², 2.91e-12 FAIL with 2z."""
    for activation in ("z^2", "2*z"):
        out = gradproof("check", "--activation", activation)
        assert out.returncode == 0, out.stdout[-2000:] + out.stderr
        assert "FAIL" not in out.stdout and out.stderr == ""
        lines = out.stdout.strip().splitlines()
        assert any(line.startswith("54 of 54 gradient checks passed in") for line in lines)
        assert lines[-1].startswith("54 of 54 curvature checks passed in")


def test_check_says_what_it_could_not_compare():
    """eˣ hidden layers drive z^L to −1e7: the book's σ = 1/(1 + e^{−z}) overflows there in complex
    arithmetic, so those complex steps are not compared (central differences compare them).  Run in
    the tests' process, after other tests may have checked exp(z): the model keeps its name."""
    out = gradproof("check", "--activation", "exp(z)")
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr
    lines = out.stdout.strip().splitlines()
    assert any(line.startswith("54 of 54 gradient checks passed in") for line in lines)
    # the curvature checks' numeric oracles overflow there too: not compared, and counted so
    assert lines[-1].startswith("54 of 54 curvature checks passed, 3 compared nothing in")
    assert any(line.startswith("exp_z/quadratic/l2/4-5-3-3/complex_step") and line.endswith(
        "ok   (51 entries not compared: f(x + ih) is not finite)") for line in lines)
    assert "FAIL" not in out.stdout and "RuntimeWarning" not in out.stderr
