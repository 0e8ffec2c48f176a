"""The layers contract of pyproject.toml (``[tool.importlinter]``: core <- claims <- book <- numerics
<- reports <- cli, and no cycle between sibling modules, not even through an import inside a
function), checked by import-linter on the package as it is installed.

import-linter (through grimp) finds the root package on ``sys.path`` and walks its folder.  An
editable install maps ``gradproof.derive`` and the others to folders of the checkout that grimp
cannot see from ``gradproof``'s folder (``cli/``), so the test first lays the package out as a
wheel installs it: the files of ``gradproof`` and of each mapped subpackage, found through their
``__path__``, copied into ``tmp/gradproof/...``.  The linter then runs in a fresh interpreter with
that folder first on ``sys.path``.  A self-test runs the same runner on a tiny package that breaks
a layer and hides a cycle inside a function, so a check that cannot fail would be seen.
"""
from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from .limits import HANG_GUARD
from .project import PACKAGE_DIR, PYPROJECT, ROOT

CONTRACTS = PYPROJECT["tool"]["importlinter"]["contracts"]

_RUN = """
import sys
sys.path.insert(0, sys.argv[1])
from importlinter.cli import lint_imports
sys.exit(lint_imports(config_filename=sys.argv[2], no_cache=True, no_logo=True))
"""


class LinterError(RuntimeError):
    """import-linter did not get as far as checking the contracts (a bad configuration, a missing
    module): not a broken contract, so an expected failure of the contract test does not hide it."""


@dataclass
class Lint:
    kept: int
    broken: int
    output: str


def lint(folder: Path, config: Path) -> Lint:
    """Run import-linter with ``folder`` first on ``sys.path`` and the contracts of ``config``."""
    r = subprocess.run([sys.executable, "-c", _RUN, str(folder), str(config)], cwd=folder,
                       capture_output=True, text=True,
                       timeout=HANG_GUARD)
    output = r.stdout + r.stderr
    summary = re.search(r"^Contracts: (\d+) kept, (\d+) broken\.$", output, re.M)
    if summary is None or r.returncode not in (0, 1):
        raise LinterError(f"import-linter exited {r.returncode} without checking the contracts:\n"
                          f"{output}")
    kept, broken = map(int, summary.groups())
    if (r.returncode == 0) != (broken == 0):
        raise LinterError(f"import-linter exited {r.returncode} with {broken} broken:\n{output}")
    return Lint(kept, broken, output)


def _sources(src: str, names: list[str]) -> list[str]:
    """``shutil.copytree``'s ignore: keep folders and Python sources, nothing else."""
    return [n for n in names if n == "__pycache__" or not (n.endswith(".py") or Path(src, n).is_dir())]


def installed_layout(dest: Path) -> Path:
    """The sources of ``gradproof`` as a wheel lays them out, copied under ``dest``; returns ``dest``.
    Each package is found where the interpreter finds it (its ``__path__``), installed or
    editable, without running its ``__init__``."""
    for name in ["gradproof", *PACKAGE_DIR]:
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.submodule_search_locations, f"{name} is not installed"
        (src,) = spec.submodule_search_locations
        shutil.copytree(src, dest.joinpath(*name.split(".")), ignore=_sources, dirs_exist_ok=True)
    return dest


def test_the_installed_layout_holds_every_module(tmp_path):
    """What the contract test lints is the whole package: every module of every mapped folder."""
    layout = installed_layout(tmp_path)
    for name, folder in PACKAGE_DIR.items():
        want = {p.relative_to(ROOT / folder) for p in (ROOT / folder).rglob("*.py")}
        got = {p.relative_to(layout.joinpath(*name.split(".")))
               for p in layout.joinpath(*name.split(".")).rglob("*.py")}
        assert want <= got, f"{name}: not copied: {sorted(map(str, want - got))}"


def test_the_layers_contract_holds_on_the_installed_package(tmp_path):
    result = lint(installed_layout(tmp_path), ROOT / "pyproject.toml")
    assert result.kept == len(CONTRACTS) and result.broken == 0, result.output


# --- the runner can fail ------------------------------------------------------------------------

_TOY = {
    "toy/__init__.py": "",
    "toy/low.py": "from toy import high  # the lower layer imports the higher: a break\n",
    "toy/high.py": "",
    "toy/pair/__init__.py": "",
    "toy/pair/a.py": "from toy.pair import b\n",
    "toy/pair/b.py": "def f():\n    from toy.pair import a  # a cycle, hidden inside a function\n"
                     "    return a\n",
}

_TOY_CONTRACTS = """
[tool.importlinter]
root_package = "toy"

[[tool.importlinter.contracts]]
name = "toy layers"
type = "layers"
layers = ["toy.high", "toy.low"]

[[tool.importlinter.contracts]]
name = "toy siblings"
type = "acyclic_siblings"
ancestors = ["toy.**"]
"""


def _toy(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        tmp_path.joinpath(name).parent.mkdir(parents=True, exist_ok=True)
        tmp_path.joinpath(name).write_text(text)
    config = tmp_path / "pyproject.toml"
    config.write_text(textwrap.dedent(_TOY_CONTRACTS))
    return config


def test_a_layer_break_and_a_cycle_inside_a_function_are_reported(tmp_path):
    result = lint(tmp_path, _toy(tmp_path, _TOY))
    assert (result.kept, result.broken) == (0, 2), result.output
    assert "toy layers BROKEN" in result.output and "toy.low -> toy.high" in result.output
    assert "toy siblings BROKEN" in result.output and "No cycles are allowed in toy.pair" in result.output


def test_the_same_package_without_them_keeps_both_contracts(tmp_path):
    fixed = {**_TOY, "toy/low.py": "", "toy/pair/b.py": "def f():\n    return 1\n"}
    result = lint(tmp_path, _toy(tmp_path, fixed))
    assert (result.kept, result.broken) == (2, 0), result.output


def test_a_misconfigured_contract_is_an_error_not_a_broken_contract(tmp_path):
    """An expected failure of the contract test must not hide a linter that never ran."""
    config = _toy(tmp_path, _TOY)
    config.write_text(config.read_text().replace('"toy.low"]', '"toy.missing"]'))
    with pytest.raises(LinterError, match="toy.missing"):
        lint(tmp_path, config)
