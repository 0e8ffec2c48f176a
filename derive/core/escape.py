r"""The one way gradproof shows text it did not write: a name, a reason, an expression as typed.

Everything that reaches a terminal or a page goes through :func:`printable` (or, for JSON,
:func:`printable_json`), so a file name, a ``# reason`` of a derivation or a cached string can
never move the cursor, retitle the window (``\x1b]0;title\x07``), hide text behind a carriage
return or reverse it with a bidirectional override:

>>> printable("step\x1b]0;owned\x07 done")
'step\\x1b]0;owned\\x07 done'
>>> printable("σ′(z) · x²")
'σ′(z) · x²'

A page (``page=True``: HTML, LaTeX) keeps its layout, line breaks, tabs and every kind of space,
and what MathML needs (invisible operators such as U+2061); controls, bidirectional overrides,
lone surrogates and unassigned or private code points are escaped as on a terminal.

Standard library only, so the lowest layer can use it.
"""
from __future__ import annotations

import json
import os
import re
import unicodedata

__all__ = ["printable", "printable_json"]

#: Characters that :meth:`str.isprintable` refuses: controls (C0, DEL, C1), format characters
#: (bidirectional overrides, zero-width joiners), separators other than the space, surrogates,
#: unassigned and private-use code points.
_UNSAFE = re.compile(r"[^ -~]")  # cheap pre-filter: every character outside printable ASCII


def _escape(ch: str) -> str:
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for a byte that is not UTF-8
        return f"\\x{code - 0xDC00:02x}"
    return ch.encode("unicode_escape").decode("ascii")


#: What a page may not hold either: bidirectional embeddings, overrides, isolates and marks.
_BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LAYOUT = frozenset("\n\t")


def _page_safe(ch: str) -> bool:
    if ch in _LAYOUT:
        return True
    return ch not in _BIDI and unicodedata.category(ch) not in ("Cc", "Cs", "Co", "Cn")


def printable(text: str | bytes | os.PathLike, *, page: bool = False) -> str:
    r"""``text`` with every character that is not printable written as its escape: ``\n``,
    ``\x1b``, ``\u202e``; an undecodable byte of a file name (a surrogate escape) as ``\xff``.
    Printable text, spaces and non-ASCII letters are kept as they are, so the result is one line
    that shows exactly what was there.  ``page=True``: the whole text of a page, whose line
    breaks, tabs, spaces and invisible mathematical operators are kept (see the module)."""
    if isinstance(text, os.PathLike):
        text = os.fspath(text)
    if isinstance(text, bytes):
        text = os.fsdecode(text)
    text = str(text)
    if not _UNSAFE.search(text) or text.isprintable():
        return text
    safe = _page_safe if page else str.isprintable
    return "".join(ch if safe(ch) else _escape(ch) for ch in text)


def printable_json(value, **dumps) -> str:
    r"""``json.dumps(value, ensure_ascii=False, **dumps)`` with every character that is not
    printable written as JSON's own ``\uXXXX`` escape: still valid JSON, read back to the same
    value, and safe to print (σ and ′ stay readable)."""
    text = json.dumps(value, ensure_ascii=False, **dumps)
    if text.isprintable() or not _UNSAFE.search(text):
        return text

    def esc(ch: str) -> str:
        if ch == "\n":  # the line breaks of indent=...
            return ch
        data = ch.encode("utf-16-be", "surrogatepass")
        return "".join(f"\\u{data[i] << 8 | data[i + 1]:04x}" for i in range(0, len(data), 2))

    return "".join(ch if ch.isprintable() else esc(ch) for ch in text)
