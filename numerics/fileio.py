"""Writing files so that a failed run never leaves a half-written one, and never replaces what is not
a regular file; showing file names safely.

- :func:`write_atomic` writes through a temporary file in the same folder and ``os.replace``; the
  temporary file is removed on any exception, including ``KeyboardInterrupt`` and the exception the
  CLI raises on SIGTERM.  A path that exists and is not a regular file (a device, a FIFO, a socket, a
  folder, a symbolic link) is refused, never replaced.
- :func:`check_target` checks a path the user gave for a file gradproof will write, *before* the
  work that produces it (a long training run is never lost at the end).
- :func:`loads_json` parses JSON of bounded nesting (deep nesting is refused, not a RecursionError).
- :func:`printable` (:mod:`derive.core.escape`, re-exported) shows a name with control characters
  and bytes that are not UTF-8 escaped, so a message stays one line and a terminal or a page never
  receives raw escape sequences.
"""
from __future__ import annotations

import errno
import json
import os
import re
import stat
import tempfile
from pathlib import Path

from gradproof.derive.core.escape import printable  # the one escaping function, re-exported

__all__ = ["write_atomic", "check_target", "printable", "loads_json"]


def _umask() -> int:
    mask = os.umask(0)  # reading the umask means setting it: once, at import
    os.umask(mask)
    return mask


_UMASK = _umask()


def _not_regular(st: os.stat_result) -> str | None:
    """What a non-regular file is, or None for a regular one."""
    mode = st.st_mode
    for test, what in ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISDIR, "a folder"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return what
    return None if stat.S_ISREG(mode) else "not a regular file"


def check_target(path: str, flag: str = "--save") -> Path:
    """Check ``path`` (as the user typed it) for a file to be written later: it must name a file
    (not ``''``, not ``dir/``), be absent or a regular file (no device, FIFO, socket, folder or
    symbolic link) and lie in an existing folder where files can be created.  Returns the path;
    raises ``ValueError`` with a one-line message that starts with ``flag`` and names the fix."""
    shown = f"{flag} {printable(path)!s}" if path else f"{flag} ''"
    if not path:
        raise ValueError(f"{shown}: an empty path; give a file name, e.g. {flag} net.npz")
    if path.endswith(("/", os.sep)) or os.path.basename(path) in (".", ".."):
        raise ValueError(f"{shown}: names a folder; give a file name, e.g. {flag} "
                         f"{printable(os.path.join(path, 'net.npz'))}")
    target = Path(path)
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise ValueError(f"{shown}: {exc.strerror or exc}; choose another path") from None
    if st is not None:
        what = _not_regular(st)
        if what is not None:
            raise ValueError(f"{shown} is {what}; gradproof replaces only regular files: give "
                             "the path of a new or regular file")
    folder = target.absolute().parent
    if not folder.is_dir():
        raise ValueError(f"{shown}: folder {printable(folder)} does not exist; create it or choose "
                         "another path")
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ValueError(f"{shown}: cannot write in {printable(folder)} ({exc.strerror or exc}); "
                         "choose a writable path") from None
    return target


def write_atomic(path: str | os.PathLike, data: bytes | str) -> None:
    """Write ``data`` (str as UTF-8) to ``path`` through a temporary file in the same folder and
    ``os.replace``: readers see the old file or the whole new one, never a part.  An existing
    ``path`` that is not a regular file is refused with ``FileExistsError`` (never replaced)."""
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    _refuse_non_regular(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o666 & ~_UMASK)  # mkstemp makes 0600; give the usual permissions
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        _refuse_non_regular(path)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _refuse_non_regular(path: Path) -> None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    what = _not_regular(st)
    if what is not None:
        raise FileExistsError(errno.EEXIST, f"it is {what}, which gradproof never replaces",
                              str(path))


_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)


def loads_json(text: str, max_depth: int = 32) -> object:
    """``json.loads(text)``, refusing (``ValueError``) nesting deeper than ``max_depth`` before
    parsing, so hostile input cannot exhaust the parser's recursion."""
    depth = deepest = 0
    for ch in _JSON_STRING.sub("", text):
        if ch in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > max_depth:
                    raise ValueError(f"JSON nested deeper than {max_depth} levels")
        elif ch in "]}":
            depth -= 1
    return json.loads(text)
