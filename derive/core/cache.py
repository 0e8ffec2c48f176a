"""Proof outcomes cached on disk, so that an unchanged theorem is not proved again.

An entry is one JSON file per identity in :func:`cache_dir` (``$XDG_CACHE_HOME/gradproof/proofs``,
the folder beside the MNIST cache).  It is used only when its **key** matches, a SHA-256 of

* the source the proof runs (:func:`derive.core.sources.source_digest` of the module that defines
  the theorem): the engine (``derive.core`` but the display machinery, the mutation test and this
  cache), that module and every module of ``derive`` it imports, transitively, each read as its
  syntax tree without the code that only shows mathematics.  So rewording a display form, or
  editing another chapter, leaves the proof cached;
* the identity's id, expected outcome and statement (:func:`statement_text`: ``sympy.srepr`` made
  the same in every process, so an identity built at run time, e.g. from a user's activation,
  never reuses another's outcome, and an unchanged one is found again),
* gradproof's, SymPy's and Python's versions.

**A cache is input from someone else** (caches are restored from shared CI caches), so nothing
read from it is trusted:

* every entry carries an HMAC-SHA-256 of its key and outcome under a secret that never lives in
  the cache folder: 32 random bytes created (mode 0600, folder 0700) on the first store, in
  :func:`hmac_key_path` (``$XDG_DATA_HOME/gradproof/proof-cache.key``, else
  ``$XDG_CONFIG_HOME/gradproof/…``, else ``~/.local/share/gradproof/…``).  Anyone who can write
  the cache but not read the key cannot forge an entry, and a cache copied from another machine
  or user is ignored (and overwritten), not trusted;
* values are read by strict parsers only: a counterexample's values by
  :class:`~derive.core.outcome.Counterexample` (exact rationals ``-?p/q`` in lowest terms, read with
  :class:`fractions.Fraction`), the status by :class:`~derive.core.outcome.Status`; nothing is
  evaluated (no ``eval``, no ``sympify``);
* a cached refutation is re-checked before it is used: its counterexample, substituted into the
  statement, must certainly make the two sides differ (:func:`derive.core.theorem.refuted_at`,
  a certified evaluation at one point); else the identity is proved afresh;
* files are opened relative to the cache folder's descriptor with ``O_NOFOLLOW | O_NONBLOCK``
  and must be regular (``fstat``) and at most :data:`MAX_ENTRY` bytes: a FIFO, a device, a
  symbolic link to ``/dev/zero`` are entries that are not there.  A cache folder that is a
  symbolic link, or is not owned by the user, is not used at all (:func:`problem` says why in
  one line), so nothing is ever written through it.

An entry that is stale (another key), damaged (not JSON, a missing or ill-typed field, an HMAC
that does not match) or written by another schema is ignored, and is overwritten by the fresh
proof.  Entries are written atomically (a temporary file in the same folder, then a rename).  A
cache that cannot be read or written never fails a proof: the identity is proved afresh.

"""
from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import hmac
import json
import math
import os
import re
import secrets
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from sympy.printing.repr import ReprPrinter

from .clock import now
from .escape import printable
from .outcome import REFUTED, Outcome
from .sources import SOURCES, source_digest
from .theorem import refuted_at

if TYPE_CHECKING:  # pragma: no cover
    from .theorem import Identity, Proof

__all__ = ["SCHEMA", "SOURCES", "MAX_ENTRY", "CacheRefused", "cache_dir", "hmac_key_path", "key",
           "load", "store", "problem"]

#: Bump when the layout of an entry changes: older entries are then ignored.
SCHEMA = 2
MAX_ENTRY = 1 << 20  #: largest entry read, in bytes (a real one is about 1 KB)
_KEY_BYTES = 32
_STATUSES = ("proved", "refuted", "undecided")
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")
_READ = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
_OUTCOME = ("id", "expected", "status", "method", "seconds", "counterexample", "detail", "proved_at")


class CacheRefused(OSError):
    """The cache folder or the HMAC key is not safe to use; the message says why, in one line."""


def _xdg(variable: str, default: Path) -> Path:
    value = os.environ.get(variable, "")
    return Path(value) if os.path.isabs(value) else default  # XDG: absolute paths only


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/gradproof/proofs``, or ``~/.cache/gradproof/proofs`` (XDG: absolute
    paths only, as for the MNIST cache)."""
    return _xdg("XDG_CACHE_HOME", Path.home() / ".cache") / "gradproof" / "proofs"


def hmac_key_path() -> Path:
    """Where the secret that authenticates entries lives: ``$XDG_DATA_HOME/gradproof``, else
    ``$XDG_CONFIG_HOME/gradproof``, else ``~/.local/share/gradproof``; never in the cache."""
    for variable in ("XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        value = os.environ.get(variable, "")
        if os.path.isabs(value):
            return Path(value) / "gradproof" / "proof-cache.key"
    return Path.home() / ".local" / "share" / "gradproof" / "proof-cache.key"


@functools.lru_cache(maxsize=None)
def _versions() -> dict[str, str]:
    from importlib import metadata

    import sympy

    try:
        gradproof = metadata.version("gradproof")
    except metadata.PackageNotFoundError:  # run from a checkout without an install
        gradproof = "unknown"
    return {"gradproof": gradproof, "sympy": sympy.__version__, "python": sys.version}


class _StatementPrinter(ReprPrinter):
    """``srepr``, with each symbol's assumptions in sorted order and each Dummy numbered by its first
    appearance in what is printed.  ``srepr`` alone depends on the process: SymPy hands out the
    first-made of equal symbols, whose assumptions keep the order they were first written in
    (``Symbol('n', integer=True, positive=True)`` made by anyone before the book's
    ``Symbol('n', positive=True, integer=True)`` changes its srepr), and a Dummy's index counts the
    Dummies made before it."""

    def __init__(self) -> None:
        super().__init__()
        self._dummies: dict = {}

    def _print_Symbol(self, expr) -> str:
        items = [f"{k}={v}" for k, v in sorted(expr._assumptions_orig.items())]
        if expr.is_Dummy:
            items.append(f"dummy={self._dummies.setdefault(expr, len(self._dummies))}")
        return f"{type(expr).__name__}({', '.join([self._print(expr.name), *items])})"


def statement_text(relations) -> list[str]:
    """The statement ``relations`` as the key holds it: :class:`_StatementPrinter`'s text of each,
    the Dummies numbered across the whole statement."""
    printer = _StatementPrinter()
    return [printer.doprint(r) for r in relations]


def key(identity: "Identity", sources: Path | None = None) -> str:
    """The key an entry for ``identity`` must carry (see the module docstring); ``sources``: the
    folder of ``derive`` whose source it digests (:data:`SOURCES`, the installed one, by default)."""
    module = getattr(identity.build, "__module__", "") or ""
    digest = source_digest(module, SOURCES if sources is None else sources)
    text = json.dumps({"schema": SCHEMA, "id": identity.id, "expect": identity.expect,
                       "statement": statement_text(identity.statement), "module": module,
                       "derive": digest, **_versions()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


# --- opening files without following links, blocking or reading without end ----------------------

def _regular(fd: int, what: str, limit: int) -> os.stat_result:
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise CacheRefused(f"{what} is not a regular file")
    if st.st_size > limit:
        raise CacheRefused(f"{what} holds {st.st_size} bytes, more than {limit}")
    return st


def _read_at(name: str, dir_fd: int | None, limit: int) -> tuple[bytes, os.stat_result]:
    """The bytes of the regular file ``name`` (relative to ``dir_fd``), at most ``limit``."""
    fd = os.open(name, _READ, dir_fd=dir_fd)
    try:
        st = _regular(fd, name, limit)
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, min(limit + 1 - size, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise CacheRefused(f"{name} grew past {limit} bytes while it was read")
        return b"".join(chunks), st
    finally:
        os.close(fd)


def _open_dir(create: bool) -> int:
    """A descriptor of the cache folder (created when ``create``); :class:`CacheRefused` when it is
    a symbolic link or not the user's, ``FileNotFoundError`` when it is not there."""
    folder = cache_dir()
    if create:
        folder.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            pass
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        if os.path.islink(folder):
            raise CacheRefused(f"the proof cache folder {folder} is a symbolic link") from None
        if exc.errno == 20:  # ENOTDIR
            raise CacheRefused(f"the proof cache folder {folder} is not a folder") from None
        raise
    st = os.fstat(fd)
    if st.st_uid != os.getuid():
        os.close(fd)
        raise CacheRefused(f"the proof cache folder {folder} belongs to another user (uid {st.st_uid})")
    return fd


def problem() -> str:
    """Why the proof cache is not used, in one line ("" when it is usable or not made yet)."""
    try:
        os.close(_open_dir(create=False))
        _secret(create=False)
    except FileNotFoundError:
        return ""
    except OSError as exc:
        return printable(f"{exc if isinstance(exc, CacheRefused) else exc.strerror}; the proof "
                         "cache is not used (every identity is proved afresh): remove it, or point "
                         "XDG_CACHE_HOME elsewhere")
    return ""


# --- the secret -----------------------------------------------------------------------------------

def _secret(create: bool) -> bytes | None:
    """The HMAC key (None when there is none and ``create`` is false); :class:`CacheRefused` when
    the key file is not the user's own private regular file of 32 bytes."""
    path = hmac_key_path()
    if cache_dir() in path.parents or path.parent == cache_dir():
        raise CacheRefused(f"the proof cache's key {path} would lie inside the cache folder")
    try:
        data, st = _read_at(str(path), None, _KEY_BYTES)
    except FileNotFoundError:
        return _new_secret(path) if create else None
    if st.st_uid != os.getuid() or st.st_mode & 0o077:
        raise CacheRefused(f"the proof cache's key {path} is readable or writable by others "
                           f"(mode {stat.S_IMODE(st.st_mode):o}) or not the user's")
    if len(data) != _KEY_BYTES:
        raise CacheRefused(f"the proof cache's key {path} is damaged ({len(data)} bytes)")
    return data


def _new_secret(path: Path) -> bytes:
    """Create the key: a private temporary file, then a hard link to its name (which fails if
    another process made one first: then that one is used)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(secrets.token_bytes(_KEY_BYTES))
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(tmp)
    return _secret(create=False)


# --- entries --------------------------------------------------------------------------------------

def _name(identity_id: str) -> str:
    return f"{_SAFE.sub('_', identity_id)}.json"


def _mac(secret: bytes, k: str, entry: dict) -> str:
    """HMAC-SHA-256 of the key and the outcome's fields: forged, edited or copied, it no longer matches."""
    body = json.dumps([SCHEMA, k, [entry.get(f) for f in _OUTCOME]], sort_keys=True)
    return hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()


def _valid(entry: object, identity: "Identity", k: str, secret: bytes) -> bool:
    """The entry's schema: every field present with its type, its HMAC intact, and the key, id and
    expectation ours."""
    if not isinstance(entry, dict):
        return False
    types = {"schema": int, "key": str, "digest": str, "id": str, "expected": str, "status": str,
             "method": str, "seconds": (int, float), "detail": str, "proved_at": str}
    if any(not isinstance(entry.get(f), t) or isinstance(entry.get(f), bool) for f, t in types.items()):
        return False
    if not hmac.compare_digest(entry["digest"], _mac(secret, k, entry)):
        return False
    cx = entry.get("counterexample")
    if cx is not None and not (isinstance(cx, dict) and all(isinstance(a, str) and isinstance(b, str)
                                                            for a, b in cx.items())):
        return False
    if entry["status"] == "refuted" and cx is None:  # a refutation always names its counterexample
        return False
    try:
        _dt.datetime.fromisoformat(entry["proved_at"])
    except ValueError:
        return False
    return (entry["schema"] == SCHEMA and entry["key"] == k and entry["id"] == identity.id
            and entry["expected"] == identity.expect and entry["status"] in _STATUSES
            and math.isfinite(entry["seconds"]) and entry["seconds"] >= 0)


def load(identity: "Identity") -> "Proof | None":
    """The cached proof of ``identity`` (``cached=True``), or None when there is no valid entry
    (see the module docstring: authenticated, strictly parsed, a refutation re-checked)."""
    try:
        secret = _secret(create=False)
        if secret is None:
            return None
        k = key(identity)
        fd = _open_dir(create=False)
        try:
            data, _ = _read_at(_name(identity.id), fd, MAX_ENTRY)
        finally:
            os.close(fd)
        entry = json.loads(data.decode("utf-8"))
        if not _valid(entry, identity, k, secret):
            return None
        outcome = Outcome(entry["status"], entry["method"], entry["counterexample"], entry["detail"])
    except (OSError, ValueError, UnicodeDecodeError, RecursionError, TypeError):
        return None
    if outcome.status is REFUTED and not refuted_at(identity.derivation, outcome.counterexample):
        return None  # the counterexample does not refute the statement: prove it afresh
    return identity.proof_of(outcome, float(entry["seconds"]), cached=True,
                             proved_at=entry["proved_at"])


def store(identity: "Identity", proof: "Proof") -> bool:
    """Write ``proof`` as the entry of ``identity``, atomically; False when it cannot be written."""
    if proof.cached or proof.id != identity.id:
        return False
    tmp = fd = None
    try:
        secret = _secret(create=True)
        k = key(identity)
        entry = {"schema": SCHEMA, "key": k, "id": proof.id, "expected": proof.expected,
                 "status": proof.status, "method": proof.method, "seconds": proof.seconds,
                 "counterexample": proof.counterexample, "detail": proof.detail,
                 "proved_at": proof.proved_at or now()}
        entry["digest"] = _mac(secret, k, entry)
        data = json.dumps(entry, indent=1).encode("utf-8")
        fd = _open_dir(create=True)
        tmp = f".tmp-{secrets.token_hex(8)}.json"
        out = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=fd)
        with os.fdopen(out, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, _name(identity.id), src_dir_fd=fd, dst_dir_fd=fd)
        tmp = None
        return True
    except (OSError, TypeError, ValueError):
        return False
    finally:
        if fd is not None:
            if tmp is not None:
                try:
                    os.unlink(tmp, dir_fd=fd)
                except OSError:
                    pass
            os.close(fd)
