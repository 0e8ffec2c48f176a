"""Proof outcomes cached on disk, so that an unchanged theorem is not proved again.

An entry is one JSON file per identity in :func:`cache_dir` (``$XDG_CACHE_HOME/gradproof/proofs``,
the folder beside the MNIST cache).  It is used only when its **key** matches, a SHA-256 of

* the source the proof runs (:func:`derive.core.sources.source_digest` of the module that defines
  the theorem): the engine (``derive.core`` but the display machinery, the mutation test and this
  cache), that module and every module of ``derive`` it imports, transitively, each read as its
  syntax tree without the code that only shows mathematics.  So rewording a display form, or
  editing another chapter, leaves the proof cached;
* the identity's id, expected outcome and statement (``sympy.srepr``, so an identity built at run
  time, e.g. from a user's activation, never reuses another's outcome),
* gradproof's, SymPy's and Python's versions.

An entry that is stale (another key), damaged (not JSON, a missing or ill-typed field, a digest
of its fields that does not match) or written by another schema is ignored, never trusted, and is overwritten by the fresh proof.  Entries are
written atomically (a temporary file in the same folder, then ``os.replace``).  A cache that cannot
be read or written never fails a proof: the identity is proved afresh.

Standard library only.
"""
from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import json
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from .clock import now
from .sources import SOURCES, source_digest

if TYPE_CHECKING:  # pragma: no cover
    from .theorem import Identity, Proof

__all__ = ["SCHEMA", "SOURCES", "cache_dir", "key", "load", "store"]

#: Bump when the layout of an entry changes: older entries are then ignored.
SCHEMA = 1
_STATUSES = ("proved", "refuted", "undecided")
_SAFE = re.compile(r"[^A-Za-z0-9_.-]")


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/gradproof/proofs``, or ``~/.cache/gradproof/proofs`` (XDG: absolute
    paths only, as for the MNIST cache)."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(base) if os.path.isabs(base) else Path.home() / ".cache") / "gradproof" / "proofs"


@functools.lru_cache(maxsize=None)
def _versions() -> dict[str, str]:
    from importlib import metadata

    import sympy

    try:
        gradproof = metadata.version("gradproof")
    except metadata.PackageNotFoundError:  # run from a checkout without an install
        gradproof = "unknown"
    return {"gradproof": gradproof, "sympy": sympy.__version__, "python": sys.version}


def key(identity: "Identity", sources: Path | None = None) -> str:
    """The key an entry for ``identity`` must carry (see the module docstring); ``sources``: the
    folder of ``derive`` whose source it digests (:data:`SOURCES`, the installed one, by default)."""
    import sympy as sp

    module = getattr(identity.build, "__module__", "") or ""
    digest = source_digest(module, SOURCES if sources is None else sources)
    text = json.dumps({"schema": SCHEMA, "id": identity.id, "expect": identity.expect,
                       "statement": [sp.srepr(s) for s in identity.statement], "module": module,
                       "derive": digest, **_versions()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _read_entry(path: Path) -> object:
    """The JSON of one entry (the one place the cache reads its folder)."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _path(identity_id: str) -> Path:
    return cache_dir() / f"{_SAFE.sub('_', identity_id)}.json"


_OUTCOME = ("id", "expected", "status", "method", "seconds", "counterexample", "detail", "proved_at")


def _digest(k: str, entry: dict) -> str:
    """SHA-256 of the key and the outcome's fields: an edited or garbled entry no longer matches."""
    body = json.dumps([k, [entry.get(f) for f in _OUTCOME]], sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()


def _valid(entry: object, identity: "Identity", k: str) -> bool:
    """The entry's schema: every field present with its type, its digest intact, and the key, id and
    expectation ours."""
    if not isinstance(entry, dict):
        return False
    types = {"schema": int, "key": str, "digest": str, "id": str, "expected": str, "status": str,
             "method": str, "seconds": (int, float), "detail": str, "proved_at": str}
    if any(not isinstance(entry.get(f), t) or isinstance(entry.get(f), bool) for f, t in types.items()):
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
    return (entry["schema"] == SCHEMA and entry["key"] == k and entry["digest"] == _digest(k, entry)
            and entry["id"] == identity.id
            and entry["expected"] == identity.expect and entry["status"] in _STATUSES
            and entry["seconds"] >= 0)


def load(identity: "Identity") -> "Proof | None":
    """The cached proof of ``identity`` (``cached=True``), or None when there is no valid entry."""
    from .outcome import Outcome

    try:
        k = key(identity)
        entry = _read_entry(_path(identity.id))
    except (OSError, ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not _valid(entry, identity, k):
        return None
    outcome = Outcome(entry["status"], entry["method"], entry["counterexample"], entry["detail"])
    return identity.proof_of(outcome, float(entry["seconds"]), cached=True,
                             proved_at=entry["proved_at"])


def store(identity: "Identity", proof: "Proof") -> bool:
    """Write ``proof`` as the entry of ``identity``, atomically; False when it cannot be written."""
    if proof.cached or proof.id != identity.id:
        return False
    k = key(identity)
    entry = {"schema": SCHEMA, "key": k, "id": proof.id, "expected": proof.expected,
             "status": proof.status, "method": proof.method, "seconds": proof.seconds,
             "counterexample": proof.counterexample, "detail": proof.detail,
             "proved_at": proof.proved_at or now()}
    entry["digest"] = _digest(k, entry)
    folder = cache_dir()
    tmp = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(entry, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, _path(identity.id))
        return True
    except (OSError, TypeError, ValueError):
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        return False
