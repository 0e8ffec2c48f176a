r"""Reading an ``.npz`` archive that may lie: every member's declared shape, type and sizes are checked
before any array is allocated.

``np.load`` trusts the archive: a 350 KB file whose ``.npy`` header claims :math:`10^{12}` elements asks
for 931 GiB, a zip bomb inflates to gigabytes, a member that is not ``.npy`` fails with an
``AttributeError``.  :func:`read_npz` instead

1. opens the zip (a truncated or empty file is one :class:`NpzError`);
2. reads each member's ``.npy`` header itself (``numpy.lib.format.read_magic`` and
   ``read_array_header_1_0/2_0``, bounded header size), refusing object (pickled) arrays;
3. checks that the member's uncompressed size (``ZipInfo.file_size``) is exactly header + the bytes
   the shape needs, and that it is not more than deflate can inflate from the compressed size
   (about 1032 : 1);
4. hands the declared ``{name: (shape, dtype)}`` to the caller's ``check``, which refuses what the
   file should not hold (wrong names, shapes, types, too many bytes) — still before allocating;
5. only then reads each array, exactly its declared bytes, and lets the zip's CRC check them.

Pickles are never loaded.  Every failure is an :class:`NpzError` (a ``ValueError``) with one line.
"""
from __future__ import annotations

import math
import os
import zipfile
from typing import Callable

import numpy as np
from numpy.lib import format as npy_format

__all__ = ["NpzError", "read_npz", "MAX_RATIO"]

#: Deflate inflates at most ~1032 bytes per compressed byte; a member claiming more is a lie.
MAX_RATIO = 1100
_MAX_MEMBERS = 256
_MAX_HEADER = 10_000  # bytes of a .npy header (numpy's own default bound)


class NpzError(ValueError):
    """The archive is not what it should be; the one-line message says why (without the path)."""


Declared = dict[str, tuple[tuple[int, ...], np.dtype]]


def read_npz(path: str | os.PathLike, check: Callable[[Declared], None]) -> dict[str, np.ndarray]:
    """The arrays of the ``.npz`` at ``path`` (name without ``.npy`` -> array), after ``check``
    has accepted the declared shapes and types.  ``check`` raises ``ValueError`` to refuse.
    Raises :class:`NpzError`; ``FileNotFoundError`` when ``path`` is missing."""
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
            if magic == b"\x93NUM":
                raise NpzError("it holds a single array (.npy), not an .npz archive")
            if magic != b"PK\x03\x04":
                raise NpzError("not an .npz zip archive")
        with zipfile.ZipFile(path) as z:
            members = z.infolist()
            if len(members) > _MAX_MEMBERS:
                raise NpzError(f"it holds {len(members)} members, too many for an .npz of ours")
            declared: Declared = {}
            where: dict[str, tuple[zipfile.ZipInfo, int, bool]] = {}
            for info in members:
                name = info.filename
                key = name[:-4] if name.endswith(".npy") else name
                if not name.endswith(".npy") or key in declared:
                    raise NpzError(f"member {name!r} is not one .npy array")
                if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                    raise NpzError(f"member {name!r} uses zip compression {info.compress_type}, "
                                   "not stored or deflated")
                if info.file_size > MAX_RATIO * info.compress_size + 4096:
                    raise NpzError(f"member {name!r} claims to inflate {info.compress_size} bytes "
                                   f"to {info.file_size}, more than deflate can (a zip bomb?)")
                with z.open(info) as m:
                    shape, fortran, dtype, head = _header(m, name)
                need = head + math.prod(shape) * dtype.itemsize
                if need != info.file_size:
                    raise NpzError(f"member {name!r} declares {dtype} {shape} ({need} bytes with "
                                   f"its header) but holds {info.file_size} bytes")
                declared[key] = (shape, dtype)
                where[key] = (info, head, fortran)
            try:
                check(declared)
            except NpzError:
                raise
            except ValueError as exc:
                raise NpzError(str(exc)) from None
            arrays = {}
            for key, (info, head, fortran) in where.items():
                shape, dtype = declared[key]
                with z.open(info) as m:
                    m.read(head)
                    data = m.read(info.file_size - head)
                    if m.read(1) or len(data) != info.file_size - head:
                        raise NpzError(f"member {info.filename!r} does not hold its declared size")
                arrays[key] = np.frombuffer(data, dtype).reshape(shape, order="F" if fortran else "C")
            return arrays
    except (NpzError, FileNotFoundError):
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError,
            NotImplementedError, RuntimeError) as exc:
        text = " ".join(str(exc).split())[:160] or type(exc).__name__
        raise NpzError(f"a damaged .npz ({type(exc).__name__}: {text})") from None


def _header(m, name: str) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    """(shape, fortran_order, dtype, header length) of the ``.npy`` member ``m``."""
    try:
        version = npy_format.read_magic(m)
        if version == (1, 0):
            shape, fortran, dtype = npy_format.read_array_header_1_0(m, max_header_size=_MAX_HEADER)
        elif version == (2, 0):
            shape, fortran, dtype = npy_format.read_array_header_2_0(m, max_header_size=_MAX_HEADER)
        else:
            raise NpzError(f"member {name!r} is .npy version {version}, not 1.0 or 2.0")
    except NpzError:
        raise
    except (ValueError, EOFError, TypeError, SyntaxError) as exc:
        text = " ".join(str(exc).split())[:120]
        raise NpzError(f"member {name!r} is not an .npy array ({text})") from None
    if dtype.hasobject:
        raise NpzError(f"member {name!r} is an object array, which only a pickle can hold; "
                       "gradproof never loads pickles")
    if not all(isinstance(d, int) and d >= 0 for d in shape):
        raise NpzError(f"member {name!r} has a bad shape {shape!r}")
    return tuple(shape), bool(fortran), dtype, m.tell()
