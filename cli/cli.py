"""``gradproof``: one sub-command per module of :mod:`gradproof.commands`.

Each command module has ``register(subparsers)``, which adds its parser and sets ``func``, a
function ``(args) -> int`` returning the exit status.  Every failure is one line on stderr, with
control characters and undecodable bytes escaped (:func:`derive.core.escape.printable`), no traceback:

- bad input raises :class:`UsageError`: exit 2;
- a bad environment (``OSError``: a full disk, a name too long, no permission; ``MemoryError``):
  exit 2;
- anything else is a bug: ``gradproof CMD: internal error: Type: message (please report this)``,
  exit 4 (never 0, nor 1 or 3, which ``verify`` uses for refuted and undecided);
- Ctrl-C exits 130, SIGTERM 143, after the ``finally`` blocks have removed temporary files; a
  SIGTERM that arrives after the command has finished changes nothing (see :func:`main`).
"""
from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading

from . import __version__
from .errors import Terminated, UsageError

#: Sub-commands, in the order ``gradproof --help`` lists them.
COMMANDS = ["derive", "verify", "proofread", "kernels", "check", "data", "train", "evaluate",
            "bench", "report"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2 (argparse prints usage too)
        self.exit(2, f"gradproof: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="gradproof", description="Derive, prove and use the mathematics of "
                     "neural-network learning (Nielsen, chapters 1-3).")
    parser.add_argument("--version", action="version", version=f"gradproof {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"gradproof.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"gradproof.commands.{name}":
                continue  # a command not built yet
            raise
        module.register(sub)
    return parser


_MAIN_PID = os.getpid()


def handle_sigterm(signum, frame) -> None:
    """The CLI's SIGTERM handler: raise :class:`Terminated` in the CLI's own process, so that its
    ``finally`` blocks remove temporary files; a forked worker dies of the signal as workers do."""
    if os.getpid() != _MAIN_PID:  # a forked worker (e.g. of train --runs) stops as workers do
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    raise Terminated()


# A process forked from the CLI (a worker of `train --runs`, of `derive`'s parallel prover) must
# die of SIGTERM, which is how a multiprocessing pool ends its workers.  Inheriting the handler is
# not enough: a SIGTERM that reaches the child before Python's after-fork clean-up is caught by the
# handler's C part and then cleared with the parent's pending signals, so it is lost, the worker
# lives on and the pool waits for it forever (seen under load: `train --runs 2` hung once in ~80).
# So SIGTERM is blocked across the fork, and the child sets it to the default before unblocking:
# a SIGTERM that came in between then ends the child at once.
_forking = threading.local()


def _block_sigterm() -> None:
    _forking.mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})


def _restore_mask() -> None:
    signal.pthread_sigmask(signal.SIG_SETMASK, _forking.mask)


def _child_dies_of_sigterm() -> None:
    if signal.getsignal(signal.SIGTERM) is handle_sigterm:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _restore_mask()


_fork_hooks = False


def install_sigterm_handler():
    """Make SIGTERM raise :class:`Terminated` in this process (and end a process forked from it
    as a worker ends); returns the previous handler.  :func:`main` calls it."""
    global _MAIN_PID, _fork_hooks
    _MAIN_PID = os.getpid()
    if not _fork_hooks:
        os.register_at_fork(before=_block_sigterm, after_in_parent=_restore_mask,
                            after_in_child=_child_dies_of_sigterm)
        _fork_hooks = True
    return signal.signal(signal.SIGTERM, handle_sigterm)


def _say(command: str, text: str) -> None:
    from gradproof.derive.core.escape import printable

    try:
        print(f"gradproof {command}: {printable(str(text).strip())}", file=sys.stderr, flush=True)
    except OSError:
        pass  # stderr itself is gone: nothing more can be said


def _quiet_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush cannot fail again."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _stop_alarm() -> None:
    """No interval timer may interrupt what is printed now (a time limit's alarm is the command's
    own business, and over when the command is)."""
    if hasattr(signal, "setitimer"):
        signal.setitimer(signal.ITIMER_REAL, 0)


def main(argv: list[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``) and return the exit status.

    Called without ``argv``, as the ``gradproof`` program, it leaves SIGTERM ignored when the
    command has finished: the output is flushed and every file in place, so a SIGTERM that
    arrives while the interpreter shuts down cannot turn a finished run into death by signal."""
    for stream in (sys.stdout, sys.stderr):  # a file name that is not UTF-8 must not crash a print
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    command = args.command
    previous = install_sigterm_handler()
    finished = False
    try:
        try:
            status = int(args.func(args) or 0)
            sys.stdout.flush()  # a full disk shows here, inside the handlers, not at exit
            finished = argv is None
            return status
        finally:
            _stop_alarm()  # before any of the messages below
    except UsageError as exc:
        _say(command, f"error: {exc}")
        return 2
    except KeyboardInterrupt:
        _say(command, "interrupted")
        return 130
    except Terminated:
        _say(command, "terminated")
        return 143
    except BrokenPipeError:  # e.g. `gradproof kernels | head`: the reader left, stop quietly
        _quiet_stdout()
        return 0
    except OSError as exc:  # the environment: ENOSPC, ENAMETOOLONG, EACCES, ...
        where = f"{exc.filename}: " if exc.filename else ""
        writing = not exc.filename and exc.errno in (28, 5, 27, 122)  # ENOSPC, EIO, EFBIG, EDQUOT
        fix = ("free some space or write elsewhere" if exc.errno in (28, 122)
               else "give a shorter name" if exc.errno == 36 else "check the path and permissions")
        _say(command, f"error: {where}{exc.strerror or exc}"
                      f"{' while writing the output' if writing else ''}; {fix}")
        _quiet_stdout()
        return 2
    except MemoryError:
        _say(command, "error: out of memory; use smaller inputs or free some memory")
        return 2
    except Exception as exc:  # noqa: BLE001 - a bug: one line, exit 4
        _say(command, f"internal error: {type(exc).__name__}: {exc} (please report this)")
        return 4
    except (SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - e.g. a time limit's Timeout that got away: a bug
        _say(command, f"internal error: {type(exc).__name__}: {exc} (please report this)")
        return 4
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN if finished else previous)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
