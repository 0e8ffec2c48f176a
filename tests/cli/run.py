"""Run the command line as a user does: ``python -m gradproof ARGS`` in a fresh process."""
from __future__ import annotations

import os
import subprocess
import sys

from ..limits import HANG_GUARD


def environ(**changes: str | os.PathLike | None) -> dict[str, str]:
    """The tests' environment with ``changes``: a value sets a variable, None removes it."""
    env = dict(os.environ)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = str(value)
    return env


def gradproof(*args: str | os.PathLike, env: dict[str, str] | None = None,
              cwd: str | os.PathLike | None = None) -> subprocess.CompletedProcess:
    """``python -m gradproof ARGS`` (``env``: the whole environment, default the tests'), its
    output as text; only a hang (:data:`~tests.limits.HANG_GUARD`) stops it."""
    return subprocess.run([sys.executable, "-m", "gradproof", *map(str, args)], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=HANG_GUARD)
