"""The README's Quick start holds exactly two commands, and CI runs the second one."""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def quick_start_commands() -> list[str]:
    lines = ROOT.joinpath("README.md").read_text().splitlines()
    start = next(i for i, l in enumerate(lines) if l.lower().lstrip("#").strip() == "quick start")
    fence = [i for i in range(start, len(lines)) if lines[i].startswith("```")][:2]
    return [l for l in lines[fence[0] + 1:fence[1]] if l.strip()]


def test_quick_start_has_two_commands():
    cmds = quick_start_commands()
    assert len(cmds) == 2, cmds
    assert "gradproof " in cmds[0]
    assert "pytest" in cmds[1]


def test_ci_runs_the_readme_test_command():
    assert quick_start_commands()[1] in ROOT.joinpath(".ci", "run").read_text()


def python_blocks() -> list[str]:
    text = ROOT.joinpath("README.md").read_text()
    return [b.split("```", 1)[0] for b in text.split("```python\n")[1:]]


def test_readme_python_examples_run():
    api, property_test = python_blocks()[:2]
    ns: dict = {}
    exec(compile(api, "README.md (API)", "exec"), ns)
    assert ns["p"].status == "proved"
    assert [w.shape for w in ns["dW"]] == [(30, 784), (10, 30)]
    ns = {}
    exec(compile(property_test, "README.md (property test)", "exec"), ns)
    ns["test_my_gradient"]()  # the hand-derived gradient of the example is right


def test_readme_verify_example_is_refuted():
    import subprocess
    import sys
    line = next(l for l in ROOT.joinpath("README.md").read_text().splitlines()
                if l.startswith("$ gradproof verify"))
    import shlex
    args = shlex.split(line[2:])[1:]
    out = subprocess.run([sys.executable, "-m", "gradproof", *args], capture_output=True, text=True)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "refuted" in out.stdout.lower()


@pytest.mark.slow
def test_readme_custom_activation_example_runs():
    """The section "Your own activation or cost": every line runs and says what its comments say."""
    (block,) = [b for b in python_blocks() if "your own activation" in b]
    ns: dict = {}
    exec(compile(block, "README.md (your own activation)", "exec"), ns)
    import sympy as sp
    a, y = sp.Symbol("a", real=True), sp.Symbol("y", real=True)
    assert ns["act"].prime == 1 - sp.exp(-a)
    assert [t.prove().status for t in ns["act"].theorems] == ["proved"] * 3
    expected = -((1 + y) / 2 * sp.log(1 + a) + (1 - y) / 2 * sp.log(1 - a))
    assert sp.expand(ns["ce"].term - expected) == 0 and ns["ce"].delta == a - y and ns["ce"].cancels
    assert ns["net"].activation == "softplus2" and ns["net"].cost_name == "tanh_ce"
