"""The wheel of the checkout: one top-level name, ``gradproof`` (no ``derive``, ``numerics``,
``reports`` beside other projects of those names), every module of the mapped folders, and the
package data the code reads (the bundled MNIST sample, the report templates: whatever the globs
of ``[tool.setuptools.package-data]`` name), so that an installed gradproof works from the wheel
alone.

The wheel is built with the test environment's pip and setuptools, without build isolation (no
network), from a copy of the checkout: a build in the checkout would leave ``build/`` there, whose
stale files a later build packs, and would race another test process building at the same time.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath

import pytest

from .limits import HANG_GUARD
from .project import PACKAGE_DATA, PACKAGE_DIR, ROOT

pytestmark = pytest.mark.slow

#: What the copy of the checkout leaves out: version control, environments, earlier builds.
_NOT_SOURCE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__",
                                     ".hypothesis", ".pytest_cache", "gradproof-report")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=_NOT_SOURCE)
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index",
                        "--no-build-isolation", "--disable-pip-version-check", "-w", str(tmp / "dist"),
                        str(src)], capture_output=True, text=True, timeout=HANG_GUARD)
    assert r.returncode == 0, r.stdout + r.stderr
    (path,) = (tmp / "dist").glob("gradproof-*.whl")
    return path


@pytest.fixture(scope="module")
def names(wheel) -> list[str]:
    with zipfile.ZipFile(wheel) as z:
        return [n for n in z.namelist() if not n.endswith("/")]


@pytest.fixture(scope="module")
def unpacked(wheel, tmp_path_factory) -> Path:
    """The wheel's files as pip installs them (a wheel is installed by unpacking it)."""
    folder = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(wheel) as z:
        z.extractall(folder)
    return folder


def folder_of(package: str) -> Path:
    """The checkout folder of an import package, by ``[tool.setuptools.package-dir]``:
    ``gradproof.derive.core`` -> ``derive/core``."""
    parts = package.split(".")
    for k in range(len(parts), 0, -1):
        mapped = PACKAGE_DIR.get(".".join(parts[:k]))
        if mapped is not None:
            return ROOT.joinpath(mapped, *parts[k:])
    return ROOT.joinpath(*parts)


def test_the_wheel_adds_one_top_level_name(names):
    tops = {n.split("/", 1)[0] for n in names}
    assert "gradproof" in tops
    assert all(t == "gradproof" or re.fullmatch(r"gradproof-[^/]+\.dist-info", t) for t in tops), tops


def test_the_wheel_holds_every_module_of_the_checkout(names):
    """Every ``.py`` of every folder that maps to gradproof is in the wheel: a new subpackage
    missing from ``[tool.setuptools] packages`` would be left out."""
    modules = set()
    for package, folder in PACKAGE_DIR.items():
        for path in (ROOT / folder).rglob("*.py"):
            modules.add("/".join([*package.split("."), *path.relative_to(ROOT / folder).parts]))
    missing = sorted(modules - set(names))
    assert not missing, f"not in the wheel (add the package to pyproject's packages): {missing}"


@pytest.mark.parametrize("package,glob", [(p, g) for p, gs in PACKAGE_DATA.items() for g in gs])
def test_each_package_data_glob_ships_its_files(package, glob, names):
    """Each glob names at least one file of the checkout, and each of those files is in the wheel."""
    folder = folder_of(package)
    files = sorted(str(p.relative_to(folder)) for p in folder.glob(glob) if p.is_file())
    assert files, f"[tool.setuptools.package-data] {package}: {glob!r} matches no file in {folder}"
    prefix = package.replace(".", "/") + "/"
    shipped = sorted(n[len(prefix):] for n in names
                     if n.startswith(prefix) and PurePosixPath(n[len(prefix):]).match(glob))
    assert shipped == files


def test_no_data_file_of_the_checkout_is_left_out(names):
    """A file beside the modules that is not Python (a template, a data file) is shipped: a new
    one without its package-data glob would work in the checkout and fail once installed."""
    data = set()
    for package, folder in PACKAGE_DIR.items():
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts:
                data.add("/".join([*package.split("."), *path.relative_to(ROOT / folder).parts]))
    assert data, "the checkout has no package data at all: the test looks in the wrong place"
    missing = sorted(data - set(names))
    assert not missing, f"not in the wheel (add a glob to pyproject's package-data): {missing}"


def _python(code: str, site: Path, cwd: Path) -> subprocess.CompletedProcess:
    """``python -c code SITE`` with only ``site`` on PYTHONPATH (beside the test environment's
    own site-packages, for sympy and numpy), from an empty folder ``cwd``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(PYTHONPATH=str(site), PYTHONNOUSERSITE="1")
    return subprocess.run([sys.executable, "-c", code, str(site)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=HANG_GUARD)


@pytest.mark.parametrize("name", ["derive", "numerics", "reports", "cli", "commands"])
def test_the_folder_names_are_not_importable_from_the_wheel(name, unpacked, tmp_path):
    r = _python(f"import {name}", unpacked, tmp_path)
    assert r.returncode == 1 and f"ModuleNotFoundError: No module named '{name}'" in r.stderr, r.stderr


_USES_ITS_DATA = """
import sys
import gradproof, gradproof.derive, gradproof.numerics, gradproof.reports
from gradproof.numerics import mnist
from gradproof.reports.html import render_html
from gradproof.reports.latex import render_tex
from gradproof.reports.report import assemble

site = sys.argv[1]
for m in (gradproof, gradproof.derive, gradproof.numerics, gradproof.reports, mnist):
    assert m.__file__.startswith(site), (m.__name__, m.__file__, "is not the wheel's")
ds = mnist.load("sample")
report = assemble([], [], checks={"results": []})
print(ds.kind, len(ds.training), len(render_html(report)) > 0, "documentclass" in render_tex(report))
"""


def test_gradproof_from_the_wheel_reads_its_sample_and_templates(unpacked, tmp_path):
    r = _python(_USES_ITS_DATA, unpacked, tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["sample", "5000", "True", "True"]
