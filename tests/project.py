"""The checkout's pyproject.toml, read once, for the tests of the project itself (layers,
packaging): what it declares is what those tests hold the package to."""
from __future__ import annotations

import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the test extra installs tomli on Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads(ROOT.joinpath("pyproject.toml").read_text(encoding="utf-8"))
SETUPTOOLS = PYPROJECT["tool"]["setuptools"]

#: Import package -> the checkout folder it is built from (``gradproof`` -> ``cli``).
PACKAGE_DIR: dict[str, str] = dict(SETUPTOOLS.get("package-dir", {}))
#: Import package -> the globs of the data files it ships (relative to the package's folder).
PACKAGE_DATA: dict[str, list[str]] = {k: list(v) for k, v in SETUPTOOLS.get("package-data", {}).items()}
