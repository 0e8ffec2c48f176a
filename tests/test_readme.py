"""The README's Quick start holds exactly two commands, and CI runs the second one."""
from pathlib import Path

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
