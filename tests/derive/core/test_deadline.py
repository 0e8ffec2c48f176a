"""derive.core.deadline: a block is interrupted once its time is up, and only then."""
from __future__ import annotations

import signal
import time

import pytest

from gradproof.derive.core.deadline import MAX_TIME_LIMIT, Timeout, check_time_limit, deadline


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
