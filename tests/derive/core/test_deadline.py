"""derive.core.deadline: a block is interrupted once its time is up, and only then."""
from __future__ import annotations

import signal
import time

import pytest

from gradproof.derive.core.deadline import (MAX_TIME_LIMIT, Timeout, check_time_limit, deadline,
                                            default_deadline)


def test_a_busy_block_is_interrupted_after_its_time():
    t0 = time.perf_counter()
    with pytest.raises(Timeout):
        with deadline(0.2):
            while True:
                pass
    assert 0.15 < time.perf_counter() - t0 < 5
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0  # disarmed


def test_an_interrupt_that_is_swallowed_fires_again():
    swallowed = []
    t0 = time.perf_counter()
    with pytest.raises(Timeout):
        with deadline(0.1):
            try:  # a library with a bare except eats the first interrupt ...
                time.sleep(10)
            except BaseException:  # noqa: BLE001
                swallowed.append(time.perf_counter() - t0)
            time.sleep(10)  # ... and works on: the alarm fires again 50 ms later
    assert len(swallowed) == 1 and time.perf_counter() - t0 < 5


def test_a_quick_block_is_not_interrupted_and_leaves_no_alarm():
    with deadline(5.0):
        x = sum(range(1000))
    assert x == 499500 and signal.getitimer(signal.ITIMER_REAL)[0] == 0


def test_no_time_left_raises_at_once():
    with pytest.raises(Timeout):
        with deadline(0):
            pass


def test_an_inner_deadline_runs_under_the_outer_one():
    with pytest.raises(Timeout):
        with deadline(0.2):
            with deadline(100.0):  # no limit of its own: the outer alarm still fires
                while True:
                    pass


@pytest.mark.parametrize("good,value", [("10", 10.0), (0.5, 0.5), (MAX_TIME_LIMIT, MAX_TIME_LIMIT)])
def test_check_time_limit_reads_seconds(good, value):
    assert check_time_limit(good) == value


@pytest.mark.parametrize("bad", [0, -1, "soon", float("inf"), float("nan"), MAX_TIME_LIMIT + 1, None])
def test_check_time_limit_refuses_what_is_not_a_usable_limit(bad):
    with pytest.raises(ValueError, match="time limit") as err:
        check_time_limit(bad)
    assert "\n" not in str(err.value)


# --- issue 20: nesting, tiny limits, and a timer that never outlives its block ------------------

def _clean() -> bool:
    return (signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
            and signal.getsignal(signal.SIGALRM) is signal.SIG_DFL)


def test_an_inner_deadline_ends_first_and_the_outer_one_goes_on():
    t0 = time.perf_counter()
    with deadline(30.0) as outer:
        with pytest.raises(Timeout) as inner:
            with deadline(0.1):
                while True:
                    pass
        assert inner.value.seconds == 0.1 and not outer.expired
        x = sum(range(1000))  # the outer block runs on, its alarm set for its own end
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 20
    assert x == 499500 and time.perf_counter() - t0 < 20 and _clean()


def test_the_outer_time_ends_an_inner_block_whose_own_is_longer():
    with pytest.raises(Timeout) as err:
        with deadline(0.2):
            with deadline(100.0):
                while True:
                    pass
    assert err.value.seconds == 0.2 and _clean()


@pytest.mark.parametrize("limit", [1e-6, 1e-9, 1e-300, 5e-324])
def test_a_tiny_limit_ends_in_one_timeout_and_leaves_no_alarm(limit):
    """Issue 20, defect 4: with 1e-6 s the alarm fired before the block held it and went on
    firing (exit 142, 'Alarm clock').  Now every run ends in one Timeout, or in none (a block
    that finished first), and the timer is off before anything else runs."""
    caught = 0
    for _ in range(300):
        try:
            with deadline(limit):
                sum(range(200))
        except Timeout:
            caught += 1
        assert _clean()
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 0.2:  # no alarm left to interrupt this
        pass
    assert caught >= 1


def test_an_interrupt_turned_into_another_error_still_ends_the_block_with_timeout():
    """A parser that catches the interrupt and raises "took too long" (a ValueError) must not
    make an exceeded limit look like bad input."""
    def parse():
        try:
            while True:
                pass
        except Timeout:
            raise ValueError("evaluating it took too long") from None

    with pytest.raises(Timeout) as err:
        with deadline(0.1):
            parse()
    assert isinstance(err.value.__cause__, ValueError) and _clean()
    with pytest.raises(ValueError):  # within its time, a ValueError is the block's own
        with deadline(10.0):
            raise ValueError("bad input")


def test_a_default_deadline_applies_alone_and_defers_to_a_callers():
    with pytest.raises(Timeout) as alone:
        with default_deadline(0.1):
            while True:
                pass
    assert alone.value.seconds == 0.1
    t0 = time.perf_counter()
    with deadline(10.0):
        with default_deadline(0.05):  # the caller's 10 s decide, not the reader's default
            while time.perf_counter() - t0 < 0.3:
                pass
    assert _clean()
