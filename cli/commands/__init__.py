"""The sub-commands of ``gradproof``, one module each (see :mod:`gradproof.cli`)."""
from __future__ import annotations

import sys

from ..errors import UsageError


def load_mnist(data: str | None, command: str, *, note: bool = True):
    """MNIST by the one no-MNIST rule of every command (:func:`numerics.mnist.load` with the
    bundled sample as fallback): bad data is a :class:`UsageError`; the fallback is said in one
    line on stderr (``note=False``: the caller says ``data.note`` itself, later)."""
    from gradproof.numerics import mnist

    try:
        ds = mnist.load(data, fallback=True)
    except mnist.DataError as exc:
        raise UsageError(str(exc)) from None
    if note and ds.note:
        print(f"gradproof {command}: note: {ds.note}", file=sys.stderr)
    return ds


def parse_sizes(text: str) -> tuple[int, ...]:
    """``--sizes 784,30,10`` -> ``(784, 30, 10)``; anything else is a one-line :class:`UsageError`."""
    try:
        return tuple(int(s) for s in text.split(","))
    except ValueError:
        raise UsageError(f"--sizes: {text!r} is not a comma-separated list of integers; "
                         "give e.g. --sizes 784,30,10") from None
