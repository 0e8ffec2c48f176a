"""derive.core.interval: exact values stay exact, every interval contains the real value.

Oracles: exact ``fractions.Fraction`` arithmetic for rational results, and mpmath's ordinary
(non-interval) functions at 100 digits for the rest; an interval's endpoints are compared with
that value as exact rationals.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
import sympy as sp
from hypothesis import example, given
from hypothesis import strategies as st
from mpmath.libmp import to_rational

from gradproof.derive.core.interval import (MAX_EXP_ARG, Uncertain, Undefined, as_interval, dps,
                                            exp, hull_max, hull_min, is_interval, log, midpoint,
                                            power, sign_of)

DIGITS = 40
rationals = st.fractions(min_value=-50, max_value=50, max_denominator=1000)
positive = st.fractions(min_value=Fraction(1, 1000), max_value=50, max_denominator=1000)


def R(q: Fraction) -> sp.Rational:
    return sp.Rational(q.numerator, q.denominator)


def bounds(v) -> tuple[Fraction, Fraction]:
    """The exact rational endpoints of an interval (a point for an exact value)."""
    if not is_interval(v):
        return Fraction(int(v.p), int(v.q)), Fraction(int(v.p), int(v.q))
    lo, hi = v._mpi_
    return Fraction(*to_rational(lo)), Fraction(*to_rational(hi))


def contains(v, true_value: mpmath.mpf) -> bool:
    """``true_value`` (mpmath at 100 digits, so within 10⁻⁹⁰ of the truth) lies in ``v``, and the
    interval is narrow (40 digits)."""
    lo, hi = bounds(v)
    with mpmath.workdps(100):
        t = Fraction(*to_rational(mpmath.mpf(true_value)._mpf_))
    eps = Fraction(1, 10**90) * max(1, abs(t))
    width_ok = hi - lo <= Fraction(1, 10**30) * max(1, abs(t))
    return lo - eps <= t <= hi + eps and width_ok


def mp100(f, *args: Fraction):
    with mpmath.workdps(100):
        return f(*[mpmath.mpf(q.numerator) / q.denominator for q in args])


@given(rationals)
@example(Fraction(0))
@example(Fraction(-50))
def test_exp_contains_the_value(q):
    with dps(DIGITS):
        assert contains(exp(R(q)), mp100(mpmath.exp, q))


@given(positive)
@example(Fraction(1))
def test_log_contains_the_value_and_is_undefined_at_or_below_zero(q):
    with dps(DIGITS):
        assert contains(log(R(q)), mp100(mpmath.log, q))
        for bad in (R(-q), sp.S.Zero):
            with pytest.raises(Undefined):
                log(bad)


def test_exp_of_a_huge_argument_is_uncertain_not_guessed():
    with dps(DIGITS):
        with pytest.raises(Uncertain):
            exp(sp.Integer(MAX_EXP_ARG + 1))
        assert contains(exp(sp.Integer(-1000)), mp100(mpmath.exp, Fraction(-1000)))


@given(st.fractions(min_value=-9, max_value=9, max_denominator=9), st.integers(-6, 6))
@example(Fraction(0), 0)
@example(Fraction(-2, 3), 3)
def test_integer_powers_are_exact(b, e):
    if b == 0 and e < 0:
        with pytest.raises(Undefined):
            power(R(b), sp.Integer(e))
        return
    v = power(R(b), sp.Integer(e))
    assert not is_interval(v) and bounds(v)[0] == b**e


@given(positive, st.fractions(min_value=-3, max_value=3, max_denominator=7))
@example(Fraction(4), Fraction(1, 2))
@example(Fraction(1, 8), Fraction(-1, 3))
def test_non_integer_powers_of_a_positive_base(b, e):
    with dps(DIGITS):
        v = power(R(b), R(e))
        assert contains(v, mp100(lambda x, y: x ** y, b, e))
        if not is_interval(v):  # exact only when it is: v^q = b^p for e = p/q
            assert bounds(v)[0] ** e.denominator == b ** e.numerator
        if b == 4 and e == Fraction(1, 2):
            assert v == 2  # SymPy's exact root, kept exact
        # the same power with the exponent given as an interval
        assert contains(power(R(b), as_interval(R(e))), mp100(lambda x, y: x ** y, b, e))


@pytest.mark.parametrize("b,e", [(-2, Fraction(1, 2)), (-1, Fraction(1, 3)), (0, Fraction(-1, 2)),
                                 (0, -1)])
def test_powers_that_are_not_real_are_undefined(b, e):
    with pytest.raises(Undefined):
        power(sp.Integer(b), R(Fraction(e)))


def test_a_huge_exact_power_becomes_an_interval():
    with dps(DIGITS):
        v = power(sp.Rational(3, 2), sp.Integer(10**4))
    assert is_interval(v)
    with mpmath.workdps(100):
        assert contains(v, mpmath.mpf(3) ** 10000 / mpmath.mpf(2) ** 10000)


@given(rationals)
def test_as_interval_contains_the_rational_and_sign_of_is_exact(q):
    with dps(DIGITS):
        lo, hi = bounds(as_interval(R(q)))
        assert lo <= q <= hi
        assert sign_of(R(q)) == (q > 0) - (q < 0)
        if q != 0:
            assert sign_of(as_interval(R(q))) == (q > 0) - (q < 0)
        assert abs(Fraction(midpoint(R(q))) - q) <= abs(q) * Fraction(1, 10**15) + Fraction(1, 10**300)


def test_the_sign_of_an_interval_around_zero_is_uncertain():
    with dps(DIGITS):
        with pytest.raises(Uncertain):
            sign_of(mpmath.iv.mpf([-1, 1]))
        with pytest.raises(Uncertain):
            sign_of(as_interval(sp.Rational(1, 3)) - as_interval(sp.Rational(1, 3)))


@given(st.lists(rationals, min_size=1, max_size=6), st.booleans())
def test_hulls_contain_the_largest_and_smallest(values, widen):
    with dps(DIGITS):
        vals = [as_interval(R(q)) if widen else R(q) for q in values]
        lo, hi = bounds(hull_max(vals))
        assert lo <= max(values) <= hi
        lo, hi = bounds(hull_min(vals))
        assert lo <= min(values) <= hi
