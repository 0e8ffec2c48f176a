"""``--activation`` / ``--cost`` with a user's definition, in ``kernels``, ``check``, ``train`` and
``report`` (the report's section through :mod:`reports.custom`, in LaTeX here; in HTML, proved,
checked and trained for the README's model, in tests/reports/test_readme_reports.py)."""
from __future__ import annotations

import json

import pytest

from . import run
from .run import gradproof


def test_kernels_print_a_definition_given_on_the_command_line():
    out = run.here("kernels", "--activation", "swish=z*sigma(z)", "--cost", "lc=log(cosh(a - y))@tanh")
    assert out.returncode == 0, out.stderr
    assert "activation=swish" in out.stdout and "[swish_prime]" in out.stdout
    assert "a = numpy.tanh(z)  # a^L = tanh(z^L)" in out.stdout  # the cost's output layer
    compile(out.stdout, "<kernels>", "exec")


def test_check_takes_an_expression_and_passes():
    out = run.here("check", "--activation", "Max(z/100, z)", "--cost", "log_cosh", "--json")
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout)
    assert res["total"] == 18 and res["passed"] == 18
    assert {c["activation"] for c in res["checks"]} == {"Max_z_100_z"}


@pytest.mark.parametrize("flag, value, says", [
    ("--activation", "z*x", "--activation: activation 'z_x' uses x; it must be a function of z only"),
    ("--activation", "s=Heaviside(z)", "jumps at z = 0"),
    ("--activation", "gelu", "unknown activation 'gelu'; choose one of sigmoid, tanh, relu"),
    ("--cost", "c=log(a)*z", "--cost: cost 'c' uses z"),
    ("--cost", "c=(a - y)**2@softmax", "output='softmax'"),
])
def test_bad_definitions_exit_2_with_one_line(flag, value, says):
    for cmd in ("kernels", "check", "train"):
        out = run.here(cmd, flag, value)
        assert out.returncode == 2, (cmd, out.stderr)
        assert says in out.stderr and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr


def test_train_with_an_expression_on_the_sample():
    out = gradproof("train", "--data", "sample", "--activation", "sp=log(1 + exp(z))", "--cost",
                    "cross_entropy", "--sizes", "784,30,10", "--eta", "0.5", "--init", "scaled",
                    "--epochs", "2", "--json")
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout)
    assert res["config"]["activation"] == "sp" and res["best"]["accuracy"] > 0.8


@pytest.mark.slow
def test_the_report_section_is_in_the_latex_too():
    from gradproof.reports.custom import add_custom_section
    from gradproof.reports.latex import render_tex
    from gradproof.reports.report import assemble

    report = assemble([], [], checks={"results": []})
    add_custom_section(report, "leaky_relu", None)
    tex = render_tex(report)
    assert r"\section{Your model: activation \texttt{leaky\_relu}" in tex
    assert "no proved stable rewrite applies" in tex and r"\begin{alltt}" in tex
