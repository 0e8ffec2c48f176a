"""Time limits: a block interrupted after a number of seconds, for deciding a reader's claim.

``with deadline(10.0): ...`` raises :class:`Timeout` in the block once 10 s have passed (on the main
thread of a POSIX system; elsewhere the block runs without a limit).  :func:`check_time_limit`
reads a limit a reader gave.
"""
from __future__ import annotations

import contextlib
import math
import signal
import threading
from typing import Iterator

__all__ = ["Timeout", "deadline", "check_time_limit", "MAX_TIME_LIMIT"]

MAX_TIME_LIMIT = 3600.0  #: longest accepted time limit, in seconds
_REFIRE = 0.05  #: the alarm repeats every 50 ms until the block ends (a swallowed one fires again)


class Timeout(BaseException):
    """Raised by the SIGALRM handler; a BaseException so that no ``except Exception`` eats it."""


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Interrupt the block after ``seconds`` (main thread on POSIX only; elsewhere: no limit).

    The alarm keeps firing every 50 ms until the block exits, so a library that catches the first
    interrupt (a bare ``except:``) cannot run on past the limit.  Not nestable: inside another
    deadline's block (an alarm already set) the inner block runs without a limit of its own."""
    usable = (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
              and signal.getitimer(signal.ITIMER_REAL)[0] == 0)
    if not usable or seconds <= 0:
        if seconds <= 0 and usable:
            raise Timeout
        yield
        return
    armed = [True]

    def _raise(signum, frame):
        if armed[0]:
            raise Timeout

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds, _REFIRE)
    try:
        yield
    finally:
        while True:
            try:
                armed[0] = False
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
                break
            except Timeout:  # fired between the lines above: disarm again
                continue


def check_time_limit(seconds) -> float:
    """``seconds`` as a float if it is a usable time limit, else ``ValueError`` saying so."""
    try:
        t = float(seconds)
    except (TypeError, ValueError):
        raise ValueError(f"the time limit must be a number of seconds, not {seconds!r}") from None
    if not math.isfinite(t) or not 0 < t <= MAX_TIME_LIMIT:
        raise ValueError(f"the time limit must be more than 0 and at most {MAX_TIME_LIMIT:g} "
                         f"seconds, not {seconds!r}")
    return t
