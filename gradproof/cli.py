"""``gradproof``: one sub-command per module of :mod:`gradproof.commands`.

Each command module has ``register(subparsers)``, which adds its parser and sets ``func``, a
function ``(args) -> int`` returning the exit status.  Bad input raises :class:`UsageError`
(or ``ValueError``/``KeyError``/``OSError`` at a boundary): one line on stderr, exit 2, no traceback.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from . import __version__
from .errors import UsageError

#: Sub-commands, in the order ``gradproof --help`` lists them.
COMMANDS = ["derive", "verify", "proofread", "kernels", "check", "data", "train", "bench", "report"]


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


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"gradproof {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"gradproof {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `gradproof kernels | head`: the reader left, stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
