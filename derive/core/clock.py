"""The wall clock of a proof: when it ran, as every output and the proof cache write it.

Standard library only, below the theorem machinery (a theorem stamps its proof; the cache keeps
the stamp)."""
from __future__ import annotations

import datetime as _dt

__all__ = ["now"]


def now() -> str:
    """The current time, ISO 8601 in UTC to the second: ``2026-12-01T20:05:03+00:00``."""
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
