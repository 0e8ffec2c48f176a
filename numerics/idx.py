r"""The IDX file format of MNIST: read (raw or gzipped), validate, verify, encode.

An IDX file is a header and a C-order array, big-endian::

    0x00 0x00 <type code> <ndim>     the magic number, e.g. 0x00000803 = 2051 (uint8, 3 dims)
    ndim x uint32                    the dimensions, e.g. 60000 28 28
    prod(dims) x itemsize bytes      the data

:func:`read_idx` checks, in this order, that the file can be read and (if gzipped) decompressed, that
the magic number is an IDX one (and the expected one for a known file), that the dimensions are the
expected ones, that the length is exactly header + data (a *truncated* or *overlong* file is named as
such), and finally the SHA-256 of the decompressed bytes against :data:`KNOWN` for the four official
MNIST files.  Every failure is one :class:`DataError` whose one-line message names the file and the fix.
Compression is recognised by the gzip magic bytes ``1f 8b``; a file named ``*.gz`` must be gzip or,
as some browsers leave it after decompressing on the fly, a raw IDX file.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import math
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .fileio import write_atomic  # noqa: F401  (re-exported)

__all__ = ["DataError", "Known", "KNOWN", "IDX", "FIX", "read_idx", "parse_idx", "encode_idx",
           "sha256", "write_atomic", "parse_idx_bytes"]

#: The fix every damaged-file message ends with.
FIX = "re-download with `gradproof data --download` or point --data at a good copy"

_GZIP_MAGIC = b"\x1f\x8b"
#: IDX type code -> big-endian numpy dtype.
_TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"),
          0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
_CODES = {dt.newbyteorder(">"): code for code, dt in _TYPES.items()}


class DataError(ValueError):
    """Data missing, damaged or not what it claims: the one-line message names the file and the fix."""


@dataclass(frozen=True)
class Known:
    """One official MNIST file: name without ``.gz``, magic number, shape, SHA-256 of the raw bytes."""
    name: str
    magic: int
    shape: tuple[int, ...]
    sha256: str

    @property
    def size(self) -> int:
        """Length in bytes of the decompressed file."""
        return 4 + 4 * len(self.shape) + int(np.prod(self.shape))


#: The four files of MNIST as LeCun, Cortes and Burges distribute them (digests of the decompressed bytes).
KNOWN: dict[str, Known] = {k.name: k for k in (
    Known("train-images-idx3-ubyte", 2051, (60000, 28, 28),
          "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
    Known("train-labels-idx1-ubyte", 2049, (60000,),
          "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
    Known("t10k-images-idx3-ubyte", 2051, (10000, 28, 28),
          "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
    Known("t10k-labels-idx1-ubyte", 2049, (10000,),
          "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
)}


@dataclass(frozen=True)
class IDX:
    """A parsed IDX file: the (read-only) array, the SHA-256 of its raw bytes, the entry it verified
    against (None for a file of unknown name, whose digest nothing checks)."""
    array: np.ndarray
    sha256: str
    known: Known | None


def sha256(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def _known_for(path: Path) -> Known | None:
    name = path.name[:-3] if path.name.endswith(".gz") else path.name
    return KNOWN.get(name)


def read_idx(path: str | os.PathLike, known: Known | None | str = "auto") -> IDX:
    """Read, validate and verify the IDX file at ``path`` (raw or gzipped).

    ``known`` is the entry to check against; ``"auto"`` looks the file name (without ``.gz``) up in
    :data:`KNOWN`, ``None`` checks only the format.  Raises :class:`DataError`.

    Memory and time are bounded by what the header promises: a raw file's length is compared with
    it before the data is read, and a gzip stream is inflated in bounded pieces that stop one byte
    past the promised length (a 4 MB file that inflates to 4 GB costs the promised size, not 4 GB).
    """
    path = Path(path)
    if known == "auto":
        known = _known_for(path)
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            start = f.read(2)
            f.seek(0)
            if start == _GZIP_MAGIC:
                data = _gunzip(f, str(path), known)
            else:
                if str(path).endswith(".gz") and not _looks_like_idx(f.read(4)):
                    f.seek(0)
                    raise DataError(f"{path} is not a gzip file (nor a raw IDX file): it starts with "
                                    f"{f.read(4).hex() or 'nothing'}; {FIX}")
                f.seek(0)
                data = _read_promised(f, str(path), known, size)
    except FileNotFoundError:
        raise DataError(f"{path} is missing; {FIX}") from None
    except IsADirectoryError:
        raise DataError(f"{path} is a directory, not an IDX file; {FIX}") from None
    except DataError:
        raise
    except OSError as exc:
        raise DataError(f"{path} cannot be read ({exc.strerror or exc}); "
                        "check its permissions or point --data at a readable copy") from None
    return parse_idx(data, str(path), known)


def _gunzip(f, name: str, known: Known | None) -> bytearray:
    """The decompressed IDX bytes of the gzip stream ``f``, inflated no further than the header's
    promise (plus one byte, to tell an overlong file)."""
    try:
        with gzip.GzipFile(fileobj=f, mode="rb") as gz:
            return _read_promised(gz, name, known, None)
    except EOFError:
        raise DataError(f"{name} is a truncated gzip file (compressed stream ends early); "
                        f"{FIX}") from None
    except (gzip.BadGzipFile, zlib.error, OSError) as exc:
        raise DataError(f"{name} is a damaged gzip file ({exc}); {FIX}") from None


def _read_promised(f, name: str, known: Known | None, size: int | None) -> bytearray:
    """Read an IDX file from the binary stream ``f``: the header first, then exactly the length it
    promises.  ``size`` is the stream's length when known (a raw file): a wrong length is refused
    before anything more is read; a stream of unknown length is read to one byte past the promise."""
    head = _read_upto(f, 4)
    ndim = head[3] if len(head) == 4 else 0
    head += _read_upto(f, 4 * ndim)
    found = size if size is not None else len(head)
    _dtype, _shape, length, expected = _header(head, name, known, found)
    if size is not None and size != expected:
        _wrong_length(name, expected, size)
    buf = bytearray(expected)
    buf[:length] = head
    view, n = memoryview(buf), length
    while n < expected:
        got = f.readinto(view[n:])
        if not got:
            break
        n += got
    if n < expected:
        _wrong_length(name, expected, n)
    if size is None and f.read(1):
        _wrong_length(name, expected, None)
    return buf


def _read_upto(f, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = f.read(n - len(out))
        if not chunk:
            break
        out += chunk
    return out


def _wrong_length(name: str, expected: int, found: int | None):
    what = "overlong" if found is None or found > expected else "truncated"
    shown = "more" if found is None else found
    raise DataError(f"{name} is {what}: expected {expected} bytes"
                    f"{' (decompressed)' if name.endswith('.gz') else ''}, found {shown}; {FIX}")


def decompress(data: bytes, path: str | os.PathLike) -> bytes:
    """``data`` gunzipped if it starts with the gzip magic bytes; raw otherwise, unless the name says
    ``.gz`` and the bytes are not an IDX header either.  ``path`` names the file in errors.

    Unbounded: for a file of unknown origin use :func:`read_idx` or :func:`parse_idx_bytes`, which
    stop at the length the IDX header promises."""
    if data[:2] == _GZIP_MAGIC:
        try:
            return gzip.decompress(data)
        except EOFError:
            raise DataError(f"{path} is a truncated gzip file (compressed stream ends early); "
                            f"{FIX}") from None
        except (gzip.BadGzipFile, zlib.error, OSError) as exc:
            raise DataError(f"{path} is a damaged gzip file ({exc}); {FIX}") from None
    if str(path).endswith(".gz") and not _looks_like_idx(data):
        raise DataError(f"{path} is not a gzip file (nor a raw IDX file): it starts with "
                        f"{data[:4].hex() or 'nothing'}; {FIX}")
    return data


def parse_idx_bytes(data: bytes, name: str, known: Known | None = None) -> IDX:
    """:func:`parse_idx` of ``data`` raw or gzipped (e.g. a download), inflated only as far as the
    IDX header promises."""
    if data[:2] == _GZIP_MAGIC:
        return parse_idx(_gunzip(io.BytesIO(data), name, known), name, known)
    if str(name).endswith(".gz") and not _looks_like_idx(data):
        raise DataError(f"{name} is not a gzip file (nor a raw IDX file): it starts with "
                        f"{data[:4].hex() or 'nothing'}; {FIX}")
    return parse_idx(data, name, known)


def _looks_like_idx(data: bytes) -> bool:
    return len(data) >= 4 and data[:2] == b"\0\0" and data[2] in _TYPES and data[3] > 0


def _header(data: bytes, name: str, known: Known | None, found: int) -> tuple[np.dtype, tuple, int, int]:
    """Check the header at the start of ``data`` (``found``: the file's whole length, for messages);
    (dtype, shape, header length, the file length the header promises)."""
    if len(data) < 4:
        raise DataError(f"{name} is truncated: {found} bytes, shorter than an IDX header; {FIX}")
    magic = int.from_bytes(data[:4], "big")
    if known is not None and magic != known.magic:
        raise DataError(f"{name} has wrong magic number {magic} (0x{magic:08x}), expected "
                        f"{known.magic} for {known.name}; {FIX}")
    if data[:2] != b"\0\0" or data[2] not in _TYPES or data[3] == 0:
        raise DataError(f"{name} is not an IDX file: magic number 0x{magic:08x} is not "
                        f"00 00 <type> <ndim>; {FIX}")
    dtype, ndim = _TYPES[data[2]], data[3]
    head = 4 + 4 * ndim
    if len(data) < head:
        raise DataError(f"{name} is truncated: expected a {head}-byte header, found {found} "
                        f"bytes; {FIX}")
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    if known is not None and shape != known.shape:
        raise DataError(f"{name} has wrong dimensions {'x'.join(map(str, shape))}, expected "
                        f"{'x'.join(map(str, known.shape))} for {known.name}; {FIX}")
    return dtype, shape, head, head + math.prod(shape) * dtype.itemsize


def parse_idx(data: bytes, name: str, known: Known | None = None) -> IDX:
    """Parse the decompressed IDX bytes ``data`` (``name`` labels errors), checking against ``known``.

    The array is a read-only view of ``data`` (no copy) in native byte order for one-byte types.
    """
    dtype, shape, head, expected = _header(data, name, known, len(data))
    if len(data) != expected:
        _wrong_length(name, expected, len(data))
    digest = sha256(data)
    if known is not None and digest != known.sha256:
        raise DataError(f"{name} is corrupted: SHA-256 {digest[:16]}... of its decompressed bytes "
                        f"differs from the official {known.sha256[:16]}...; {FIX}")
    array = np.frombuffer(data, dtype, offset=head).reshape(shape)
    if dtype.itemsize == 1:
        array = array.view(dtype.newbyteorder("="))
    array.flags.writeable = False
    return IDX(array, digest, known)


def encode_idx(array: np.ndarray) -> bytes:
    """The IDX bytes of ``array`` (uint8, int8, int16, int32, float32 or float64; at least 1-d)."""
    array = np.asarray(array)
    code = _CODES.get(array.dtype.newbyteorder(">"))
    if code is None or array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"encode_idx: IDX cannot hold a {array.ndim}-d {array.dtype} array; "
                         "give a 1- to 255-d array of uint8, int8, int16, int32, float32 or float64")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    return header + np.ascontiguousarray(array, array.dtype.newbyteorder(">")).tobytes()
