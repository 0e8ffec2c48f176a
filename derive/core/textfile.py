"""Reading a reader's text file (notes, a derivation) as a bounded regular file.

:func:`read_text` opens with ``O_NONBLOCK`` and checks with ``fstat`` that it holds a regular file
before reading, so a FIFO, a device or a folder named as notes is refused at once instead of
blocking (``open`` of a FIFO waits for a writer forever), and reads at most ``max_bytes + 1``
bytes, so ``/dev/zero`` or a huge file costs no more than the limit.
"""
from __future__ import annotations

import os
import stat

__all__ = ["read_text"]


def read_text(path: str | os.PathLike, what: str, max_bytes: int, error: type[Exception] = ValueError) -> str:
    """The UTF-8 text of the regular file at ``path``, at most ``max_bytes`` bytes.  ``what`` names
    the file in messages ("a notes file"); anything else raises ``error`` with one line."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except IsADirectoryError:
        raise error(f"{path}: is a directory, not {what}") from None
    except OSError as exc:
        raise error(f"{path}: cannot read it ({exc.strerror})") from None
    st = os.fstat(fd)
    problem = (f"is a directory, not {what}" if stat.S_ISDIR(st.st_mode) else
               f"not a regular file (a FIFO or a device?); give {what}" if not stat.S_ISREG(st.st_mode) else
               f"{st.st_size} bytes; {what} is at most {max_bytes}" if st.st_size > max_bytes else None)
    if problem:
        os.close(fd)
        raise error(f"{path}: {problem}")
    with os.fdopen(fd, "rb") as f:
        try:
            data = f.read(max_bytes + 1)
        except OSError as exc:
            raise error(f"{path}: cannot read it ({exc.strerror})") from None
    if len(data) > max_bytes:
        raise error(f"{path}: more than {max_bytes} bytes; {what} is at most {max_bytes}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
