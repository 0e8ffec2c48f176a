"""Time limits: a block interrupted after a number of seconds, for deciding a reader's claim.

``with deadline(10.0): ...`` raises :class:`Timeout` in the block once 10 s have passed (on the main
thread of a POSIX system; elsewhere the block runs without a limit).  :func:`check_time_limit`
reads a limit a reader gave.

Deadlines nest: a block inside another ends at the earlier of the two ends, so each step of a
proofread file has its own limit and the file one overall limit.  :func:`default_deadline` is a
limit for code that may run alone or under a caller's limit (the notation reader): alone it is
a deadline, under another it adds nothing, and the caller's limit decides.

Whatever the limit, even 10⁻³⁰⁰ s, the timer is disarmed and the previous SIGALRM handler is back
before the block's exception leaves it, so nothing printed afterwards can be interrupted; and a
block whose time ran out ends with :class:`Timeout`, also when code inside turned the first
interrupt into another exception (a parser's "took too long" ``ValueError``).
"""
from __future__ import annotations

import math
import signal
import threading
import time

__all__ = ["Timeout", "deadline", "default_deadline", "check_time_limit", "MAX_TIME_LIMIT"]

MAX_TIME_LIMIT = 3600.0  #: longest accepted time limit, in seconds
_REFIRE = 0.05  #: the alarm repeats every 50 ms while a block is over time (a swallowed one fires again)
_MIN_DELAY = 1e-6  #: setitimer(0) disarms; a timer due now is set this far ahead


class Timeout(BaseException):
    """The time of a :func:`deadline` ran out; ``seconds`` is that deadline's limit.  A
    BaseException so that no ``except Exception`` eats it."""

    def __init__(self, seconds: float = 0.0):
        super().__init__(seconds)
        self.seconds = seconds

    def __str__(self) -> str:
        return f"the time limit ({self.seconds:g} s) was reached"


#: The blocks in force, outermost first (main thread only).
_ACTIVE: list["deadline"] = []
_SAVED: list = []  # the SIGALRM handler before the outermost block


def _usable() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _over() -> "deadline | None":
    """The outermost block whose time has run out (None: none has)."""
    now = time.monotonic()
    return next((d for d in _ACTIVE if d.end <= now or d.expired), None)


def _on_alarm(signum, frame) -> None:
    d = _over()
    if d is None:  # early by the clock's grain: try again at the earliest end
        _arm()
        return
    d.expired = True
    raise Timeout(d.seconds)


def _arm() -> None:
    """Set the timer for the earliest end in force (repeating while a block is over time)."""
    end = min(d.end for d in _ACTIVE)
    signal.setitimer(signal.ITIMER_REAL, max(end - time.monotonic(), _MIN_DELAY), _REFIRE)


class deadline:
    """``with deadline(seconds):`` interrupts the block with :class:`Timeout` after ``seconds``
    (main thread on POSIX; elsewhere no limit).  Nestable; see the module docstring.

    The alarm keeps firing every 50 ms while the block is over time, so a library that catches
    the first interrupt (a bare ``except:``) cannot run on past the limit."""

    def __init__(self, seconds: float):
        self.seconds = float(seconds)
        self.expired = False
        self.end = math.inf
        self._on = False

    def __enter__(self) -> "deadline":
        if not _usable():
            return self
        if not self.seconds > 0:
            self.expired = True
            raise Timeout(self.seconds)
        self.end = time.monotonic() + self.seconds
        try:
            if not _ACTIVE:  # no alarm of ours can fire before this block arms one
                _SAVED.append(signal.signal(signal.SIGALRM, signal.SIG_IGN))
            _ACTIVE.append(self)
            self._on = True
            signal.signal(signal.SIGALRM, _on_alarm)
            _arm()
        except BaseException:  # an outer block's Timeout, before the with statement holds us
            self._off()
            raise
        return self

    def _off(self) -> None:
        """Leave: the timer follows the blocks still in force, or is disarmed and the handler
        restored when this was the outermost."""
        while True:
            try:  # from here on no alarm reaches Python code (a pending one is dropped)
                signal.signal(signal.SIGALRM, signal.SIG_IGN)
                break
            except Timeout:  # delivered just before: it is dropped too (an outer one fires again)
                continue
        if self in _ACTIVE:
            _ACTIVE.remove(self)
        self._on = False
        if _ACTIVE:  # an outer block's Timeout may be raised from here on: it is theirs
            signal.signal(signal.SIGALRM, _on_alarm)
            _arm()
        else:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, _SAVED.pop() if _SAVED else signal.SIG_DFL)

    def __exit__(self, kind, exc, tb) -> bool:
        if not self._on:
            return False
        over = self.expired or time.monotonic() >= self.end
        self._off()
        if over and kind is not None and issubclass(kind, Exception):
            raise Timeout(self.seconds) from exc  # the interrupt, turned into something else
        return False


class default_deadline(deadline):
    """A :class:`deadline` only when none is in force: a default limit for code that a caller
    may already be timing (inside another deadline it adds nothing, and the caller's decides)."""

    def __enter__(self) -> "default_deadline":
        if _ACTIVE:
            return self
        return super().__enter__()


def check_time_limit(seconds) -> float:
    """``seconds`` as a float if it is a usable time limit, else ``ValueError`` saying so."""
    try:
        t = float(seconds)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(f"the time limit must be a number of seconds, not {seconds!r}") from None
    if not math.isfinite(t) or not 0 < t <= MAX_TIME_LIMIT:
        raise ValueError(f"the time limit must be more than 0 and at most {MAX_TIME_LIMIT:g} "
                         f"seconds, not {seconds!r}")
    return t
