"""The one report on an empty proof cache of a test session (``gradproof report --train none``, in
a child, with no pdflatex on the PATH), and proof caches copied from it.  Proving every identity
cold is most of a report's time: a test that does not check a cold run starts from a copy of the
cache this run wrote (:func:`warm`).  tests/conftest.py makes it the session fixture
``cold_report``; tests/conftest.SHARED runs the modules using it on one worker."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from .cli import run
from .project import ROOT


def homes(folder: Path) -> dict[str, str]:
    """A proof cache and an HMAC key of their own, in ``folder``: the environment naming them."""
    return {"XDG_CACHE_HOME": str(folder / "cache"), "XDG_DATA_HOME": str(folder / "data")}


def cold_run(folder: Path) -> subprocess.CompletedProcess:
    """``gradproof report --train none --out folder/rep`` with the proof cache and key of
    :func:`homes` (empty) and only the interpreter's folder on the PATH (no pdflatex)."""
    return run.gradproof("report", "--train", "none", "--out", str(folder / "rep"), cwd=ROOT,
                         env=run.environ(PATH=str(Path(sys.executable).parent), **homes(folder)))


def warm(cold: Path, folder: Path) -> dict[str, str]:
    """The environment of a run whose proof cache (and key) is a copy, in ``folder``, of the one the
    cold run in ``cold`` wrote: every identity is read from it."""
    for home in ("cache", "data"):
        shutil.copytree(cold / home, folder / home, symlinks=True)
    return homes(folder)
