"""Run the command line as a user does: ``python -m gradproof ARGS`` in a fresh process
(:func:`gradproof`), or, where a test checks only what the command prints and returns, the same
``main`` in this process (:func:`here`), which spares the second of imports a fresh process costs."""
from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import traceback
import warnings

from gradproof.cli import main

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


def _fresh_interpreters_filters() -> None:
    """The warning filters of a fresh ``python`` (not pytest's), so that a warning the command
    lets out is printed on its stderr, as a user would see it, and nothing else is."""
    warnings.resetwarnings()
    warnings.simplefilter("ignore", DeprecationWarning)
    warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
    for category in (PendingDeprecationWarning, ImportWarning, ResourceWarning):
        warnings.simplefilter("ignore", category)
    warnings.showwarning = _show  # pytest records warnings instead of printing them


def _show(message, category, filename, lineno, file=None, line=None) -> None:
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


@contextlib.contextmanager
def _environment(env: dict[str, str] | None, cwd: str | os.PathLike | None):
    before, folder = dict(os.environ), os.getcwd()
    try:
        if env is not None:
            os.environ.clear()
            os.environ.update(env)
        if cwd is not None:
            os.chdir(cwd)
        yield
    finally:
        os.chdir(folder)
        os.environ.clear()
        os.environ.update(before)


def here(*args: str | os.PathLike, env: dict[str, str] | None = None,
         cwd: str | os.PathLike | None = None) -> subprocess.CompletedProcess:
    """``gradproof ARGS`` run by :func:`gradproof.cli.main` in this process, as :func:`gradproof`
    runs it in a child: ``env`` is the whole environment and ``cwd`` the working folder during the
    call; stdout and stderr are captured as text; the exit status is ``main``'s (or that of a
    ``SystemExit``).  An exception that escapes ``main`` is printed as the interpreter prints it
    (a traceback on stderr, status 1), so a test that says "no traceback" still means it.

    Only for commands that neither fork nor depend on the process itself (signals, the
    interpreter's exit, the encoding of its streams): those run in a child."""
    argv = [str(a) for a in args]
    out, err = io.StringIO(), io.StringIO()
    with _environment(env, cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            warnings.catch_warnings():
        _fresh_interpreters_filters()
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's usage errors and --help, --version
            code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
            if not isinstance(exc.code, (int, type(None))):
                print(exc.code, file=sys.stderr)
        except BaseException:  # noqa: BLE001 - what a child would die of: its traceback, status 1
            traceback.print_exc()
            code = 1
    return subprocess.CompletedProcess(["gradproof", *argv], code, out.getvalue(), err.getvalue())
