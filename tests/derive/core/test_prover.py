"""derive.core.prover: exact proofs, and refutations whose values an independent oracle confirms.

Oracles: exact ``fractions.Fraction`` arithmetic (Python evaluates the polynomials itself), and
mpmath at 60-500 digits for the transcendental sides; nothing here calls the prover to check the
prover.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gradproof.derive.core.functions import relu, sigmoid
from gradproof.derive.core.outcome import PROVED, REFUTED, UNDECIDED, Counterexample
from gradproof.derive.core.prover import (LADDER, SIMPLIFY_MAX_OPS, find_counterexample, holds,
                                          prove_equal, prove_zero, reduces_to_zero)

x, y, z = sp.symbols("x y z", real=True)
small = st.fractions(min_value=-20, max_value=20, max_denominator=12)


def F(text: str) -> Fraction:
    return Fraction(text)


# --- the ladder --------------------------------------------------------------------------------

@pytest.mark.parametrize("expr,first", [
    (x - x, "structural"),
    (sp.Derivative(x**2, x) - 2 * x, "doit"),
    ((x + 1) ** 2 - x**2 - 2 * x - 1, "expand"),
    ((x**2 - 1) / (x - 1) - x - 1, "cancel"),
    (sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1, "simplify"),
])
def test_each_rung_closes_what_the_cheaper_ones_cannot(expr, first):
    methods = list(LADDER)
    k = methods.index(first)
    assert reduces_to_zero(expr, first)
    assert not any(reduces_to_zero(expr, m) for m in methods[:k])


def test_simplify_is_not_tried_beyond_the_cap():
    big = sum(sp.sin(x + k) ** 2 + sp.cos(x + k) ** 2 for k in range(60)) - 60
    assert sp.count_ops(big) > SIMPLIFY_MAX_OPS
    assert not reduces_to_zero(big, "simplify")
    small_one = sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1
    assert reduces_to_zero(small_one, "simplify")  # the same identity, under the cap
    f = sp.lambdify(x, big, "mpmath")
    with mpmath.workdps(50):  # big is 0 (mpmath says so at a few points): the cap said no
        assert all(abs(f(mpmath.mpf(v) / 7)) < mpmath.mpf(10) ** -40 for v in (-9, 1, 13))


def test_prove_equal_names_the_method_and_the_rewrite():
    o = prove_equal(sp.tanh(z), 2 * sigmoid(2 * z) - 1, ("expand", "cancel"),
                    lambda e: e.rewrite(sp.exp), "rewrite σ, tanh→exp")
    assert o.status is PROVED and o.method == "rewrite σ, tanh→exp, cancel"
    assert prove_zero(x * (x + 1) - x**2 - x).method == "expand"


def test_an_unprovable_true_claim_is_undecided_never_refuted():
    o = prove_equal(sp.sin(x) ** 2 + sp.cos(x) ** 2, 1)  # true; no cheap rung closes it
    assert o.status is UNDECIDED and o.counterexample is None
    assert "no counterexample was found" in o.detail


# --- refutations against exact arithmetic ----------------------------------------------------------

_monomial = st.tuples(st.integers(-9, 9).filter(bool), st.integers(0, 3), st.integers(0, 2))


@settings(max_examples=30, deadline=None)
@given(st.lists(_monomial, max_size=4), small.filter(bool))
@example([], Fraction(1, 1000))
@example([(2, 3, 1), (-1, 0, 2)], Fraction(-7, 3))
def test_a_polynomial_and_the_same_plus_a_constant_are_refuted_exactly(poly, c):
    lhs = sum((k * x**i * y**j for k, i, j in poly), sp.S.Zero)
    rhs = lhs + sp.Rational(c.numerator, c.denominator)
    o = prove_equal(lhs, rhs)
    assert o.status is REFUTED and o.method == "counterexample"
    point = o.counterexample.exact()
    X, Y = point.get("x", Fraction(0)), point.get("y", Fraction(0))
    value = sum((Fraction(k) * X**i * Y**j for k, i, j in poly), Fraction(0))  # Python's own
    ce, lv, rv = find_counterexample(lhs, rhs)
    assert ce == o.counterexample and F(lv) == value and F(rv) == value + c
    assert o.detail == o.counterexample.describe(lv, rv)


@settings(max_examples=30, deadline=None)
@given(small, small)
def test_shifted_lines_differ_exactly_when_the_shifts_do(a, b):
    A, B = sp.Rational(a.numerator, a.denominator), sp.Rational(b.numerator, b.denominator)
    ce = find_counterexample(x + A, x + B)
    if a == b:
        assert ce is None
        return
    point, lv, rv = ce
    X = point.exact()["x"]
    assert F(lv) == X + a and F(rv) == X + b


def test_a_point_where_a_part_is_not_real_is_never_used():
    # sqrt(x)*sqrt(x) is x to SymPy; with the part sqrt(x), x < 0 is not a counterexample to = |x|
    part = sp.Pow(x, sp.S.Half, evaluate=False)
    assert find_counterexample(x, sp.Abs(x), parts=[part]) is None
    point, _, _ = find_counterexample(x, sp.Abs(x))  # without it, x < 0 refutes
    assert point.exact()["x"] < 0


def test_constraints_restrict_the_search():
    assert find_counterexample(sp.Abs(x), x, constraints=[x > 0]) is None
    point, _, _ = find_counterexample(sp.Abs(x), x, constraints=[x < 5])
    assert point.exact()["x"] < 0


@pytest.mark.parametrize("lhs,rhs", [
    (sp.Abs(x - sp.Rational(3, 7)) + sp.Abs(x + sp.Rational(3, 7)), 2 * sp.Abs(x)),  # |x| < 3/7 only
    (sp.Heaviside(x) ** 2, sp.Heaviside(x)),  # false at 0 only (H(0) = 1/2)
    (relu(x - 20), 0),                        # beyond the generated points
    (sp.Min(sp.exp(x), 10**6), sp.exp(x)),    # a breakpoint that is not rational
])
def test_breakpoints_and_magnitudes_are_searched(lhs, rhs):
    point, lv, rv = find_counterexample(lhs, rhs)
    exact = {sp.Symbol(k, real=True): sp.Rational(v) for k, v in point.items()}
    # oracle: SymPy's N of each side (ReLU from its definition) at 60 digits
    dl = sp.N(lhs.rewrite(sp.Max).xreplace(exact), 60)
    dr = sp.N(sp.sympify(rhs).xreplace(exact), 60)
    assert abs(dl - dr) > 1e-30
    for shown, true in ((lv, dl), (rv, dr)):  # the values shown: exact, or 20 digits
        assert abs(sp.Rational(Fraction(shown).numerator, Fraction(shown).denominator) - true) \
            <= 1e-15 * max(1, abs(true))


def test_the_difference_is_certified_not_a_ratio():
    stats: dict = {}
    point, lv, rv = find_counterexample(sp.exp(1000), sp.exp(1000) + 1, stats=stats)
    assert point == {} and stats["difference"] == "-1"
    with mpmath.workdps(500):  # enough digits printed to see the two apart
        assert mpmath.mpf(rv) - mpmath.mpf(lv) == 1


@pytest.mark.parametrize("lhs,rhs", [
    (sigmoid(x), 1 / (1 + sp.exp(-x))), (relu(x), sp.Max(0, x)), (sp.tanh(x), 2 * sigmoid(2 * x) - 1),
    (sp.sign(x) * sp.Abs(x), x), (sp.Max(x, y) + sp.Min(x, y), x + y),
])
def test_identities_have_no_counterexample(lhs, rhs):
    assert find_counterexample(lhs, rhs) is None


def test_symbol_assumptions_are_respected():
    p, n = sp.Symbol("p", positive=True), sp.Symbol("k", integer=True)
    point, _, _ = find_counterexample(sp.Abs(p) + n, p + n + sp.Rational(1, 2))
    assert point.exact()["p"] > 0 and point.exact()["k"].denominator == 1


def test_a_counterexample_is_a_counterexample_value():
    o = prove_equal(x, x + 1)
    assert isinstance(o.counterexample, Counterexample) and o.counterexample == {"x": "1/3"}
    assert o.detail == "at x = 1/3: lhs = 1/3, rhs = 4/3"
    numbers = prove_equal(sp.pi, sp.Rational(22, 7))
    assert numbers.status is REFUTED and numbers.counterexample == {}
    assert numbers.detail.startswith("the sides are different numbers: lhs = 3.14159")


# --- holds ---------------------------------------------------------------------------------------

def test_holds_is_proved_only_when_the_check_says_true():
    assert holds(lambda: sp.limit(sigmoid(x).rewrite(sp.exp), x, sp.oo) == 1, "limit", "σ(∞)").proved
    failed = holds(lambda: False, "limit", "a check")
    assert failed.status is UNDECIDED and failed.detail == "a check: failed"
    crashed = holds(lambda: 1 / 0, "solve", "divide")
    assert crashed.status is UNDECIDED and "ZeroDivisionError" in crashed.detail
