"""derive.core.functions: each function's one entry, held to independent oracles.

Oracles: SymPy's own exact values and its ``N`` at 60-100 digits (σ and ReLU from their
definitions, written out here), mpmath's numeric derivative, and exact ``Fraction`` arithmetic for
the one-sided slopes and jumps at a kink.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st
from mpmath.libmp import to_rational

from gradproof.derive.core import functions
from gradproof.derive.core.functions import (NAMES, PRIMED, by_name, info, kink_arguments, register,
                                             relu, sigmoid, softplus)
from gradproof.derive.core.interval import as_interval, dps, is_interval

x, y, z = sp.symbols("x y z", real=True)
reals = st.fractions(min_value=-40, max_value=40, max_denominator=97)
positives = st.fractions(min_value=Fraction(1, 97), max_value=40, max_denominator=97)


def R(q) -> sp.Rational:
    q = Fraction(q)
    return sp.Rational(q.numerator, q.denominator)


def defined(expr: sp.Expr) -> sp.Expr:
    """``expr`` with σ and ReLU written from their definitions (the oracle's own reading)."""
    return expr.replace(lambda e: isinstance(e, sigmoid), lambda e: 1 / (1 + sp.exp(-e.args[0]))
                        ).replace(lambda e: isinstance(e, relu), lambda e: sp.Max(0, e.args[0]))


def oracle(expr: sp.Expr, digits: int = 100) -> mpmath.mpf:
    """SymPy's value of ``expr`` (a number) at ``digits`` digits, as an mpf."""
    with mpmath.workdps(digits):
        return mpmath.mpf(sp.Float(sp.N(defined(expr), digits), digits)._mpf_)


# --- the book's functions ----------------------------------------------------------------------------

def test_sigmoid_derivative_and_forms_are_its_definition():
    textbook = 1 / (1 + sp.exp(-z))
    assert sp.simplify(sp.diff(sigmoid(z), z).rewrite(sp.exp) - sp.diff(textbook, z)) == 0
    assert sp.diff(sigmoid(z), z) == sigmoid(z) * (1 - sigmoid(z))  # σ′ = σ(1 − σ), by fdiff
    assert sigmoid(z).rewrite(sp.exp) == textbook
    assert sp.simplify((sigmoid(z).rewrite(sp.tanh) - textbook).rewrite(sp.exp)) == 0
    assert (sigmoid(0), sigmoid(sp.oo), sigmoid(-sp.oo)) == (sp.S.Half, 1, 0)
    assert sigmoid(z).is_real and sigmoid(z).is_positive
    assert sp.latex(sigmoid(z)) == r"\sigma\left(z\right)"


@given(reals)
@example(Fraction(-40))
def test_sigmoid_evalf_is_its_definition(q):
    with mpmath.workdps(60):
        exact = 1 / (1 + mpmath.exp(-mpmath.mpf(q.numerator) / q.denominator))
        got = mpmath.mpf(sigmoid(R(q)).evalf(60)._mpf_)
        assert abs(got - exact) <= mpmath.mpf(10) ** -55 * exact


def test_relu_derivative_forms_and_values():
    assert sp.diff(relu(z), z) == sp.Heaviside(z, 0)  # the convention ReLU′(0) = 0
    assert relu(z).rewrite(sp.Max) == sp.Max(0, z)
    assert relu(z).rewrite(sp.Piecewise) == sp.Piecewise((z, z > 0), (0, True))
    p, n = sp.Symbol("p", positive=True), sp.Symbol("n", negative=True)
    assert (relu(p), relu(n), relu(sp.Rational(-1, 3)), relu(sp.Rational(2, 5))) == (p, 0, 0, sp.Rational(2, 5))
    assert relu(x).evalf(subs={x: sp.Rational(-1, 3)}) == 0
    assert sp.latex(relu(z)) == r"\operatorname{ReLU}\left(z\right)"


def test_softplus_is_written_out():
    assert softplus(z) == sp.log(1 + sp.exp(z))
    assert sp.diff(softplus(z), z).equals(1 / (1 + sp.exp(-z)))


# --- the table -----------------------------------------------------------------------------------------

def test_every_name_calls_its_entry_and_every_class_finds_it():
    assert {"sigma", "σ", "relu", "ln", "sgn", "abs", "sqrt", "softplus", "arctanh"} <= set(NAMES)
    for name, build in NAMES.items():
        entry = by_name(name)
        assert entry.build is build and name in entry.names
        if entry.cls is not None:
            node = build(*([x, y] if entry.cls in (sp.Max, sp.Min) else [x]))
            assert info(node) is entry and info(entry.cls) is entry
    assert by_name("erf") is None and info(sp.erf(x)) is None


def test_register_refuses_a_second_entry():
    with pytest.raises(ValueError, match="registered already"):
        register(sp.exp)
    with pytest.raises(ValueError, match="registered already"):
        register(type("fresh", (sp.Function,), {}), names=("tanh",))


PRIMED_POINT = {"log": Fraction(7, 5), "ln": Fraction(7, 5), "sqrt": Fraction(7, 5)}


@pytest.mark.parametrize("name", PRIMED)
def test_primed_functions_differentiate_to_their_numeric_derivative(name):
    t = sp.Dummy("t", real=True)
    f = by_name(name).build(t)
    d = sp.diff(f, t)
    assert not d.has(sp.Derivative, sp.Subs)
    q = PRIMED_POINT.get(name, Fraction(-3, 7))
    with mpmath.workdps(40):
        numeric = mpmath.diff(sp.lambdify(t, defined(f), "mpmath"), mpmath.mpf(q.numerator) / q.denominator)
        assert abs(oracle(d.subs(t, R(q)), 40) - numeric) < mpmath.mpf(10) ** -30


def test_primed_names_start_with_the_books():
    assert PRIMED[:6] == ("sigma", "sigmoid", "σ", "relu", "ReLU", "tanh")
    assert set(PRIMED) <= set(NAMES)


# --- values: mpmath and intervals ---------------------------------------------------------------------

def _entries_with(attr: str):
    seen = []
    for name in NAMES:
        e = by_name(name)
        if getattr(e, attr) is not None and e.cls is not None and e not in seen:
            seen.append(e)
    return seen


def _arguments(entry, data) -> list[Fraction]:
    if entry.cls in (sp.Max, sp.Min):
        return data.draw(st.lists(reals, min_size=1, max_size=4))
    if entry.cls is sp.Heaviside:
        return [data.draw(reals | st.just(Fraction(0)))] + data.draw(
            st.lists(st.sampled_from([Fraction(0), Fraction(1, 2), Fraction(1)]), max_size=1))
    return [data.draw(positives if entry.cls is sp.log else reals)]


@pytest.mark.parametrize("entry", _entries_with("mp"), ids=lambda e: e.cls.__name__)
@settings(max_examples=30, deadline=None)
@given(st.data())
def test_the_mpmath_rule_is_the_functions_value(entry, data):
    args = _arguments(entry, data)
    with mpmath.workdps(50):
        got = entry.mp(*[mpmath.mpf(a.numerator) / a.denominator for a in args])
        want = oracle(entry.cls(*map(R, args)), 60)
        assert abs(got - want) <= mpmath.mpf(10) ** -45 * max(1, abs(want))


def _rational(v) -> tuple[Fraction, Fraction]:
    if not is_interval(v):
        return Fraction(int(v.p), int(v.q)), Fraction(int(v.p), int(v.q))
    lo, hi = v._mpi_
    return Fraction(*to_rational(lo)), Fraction(*to_rational(hi))


@pytest.mark.parametrize("entry", _entries_with("interval"), ids=lambda e: e.cls.__name__)
@settings(max_examples=30, deadline=None)
@given(st.data(), st.booleans())
def test_the_interval_rule_contains_the_value(entry, data, widen):
    args = _arguments(entry, data)
    want = oracle(entry.cls(*map(R, args)), 100)
    with mpmath.workdps(100):
        t = Fraction(*to_rational(want._mpf_))
    with dps(40):
        values = [as_interval(R(a)) if widen and a != 0 else R(a) for a in args]
        lo, hi = _rational(entry.interval(*values))
    eps = Fraction(1, 10**90) * max(1, abs(t))
    assert lo - eps <= t <= hi + eps
    assert hi - lo <= Fraction(1, 10**30) * max(1, abs(t))


# --- kinks ------------------------------------------------------------------------------------------

def _jumps_or_bends(f, c: Fraction) -> bool:
    """Exact oracle for a piecewise-linear ``f`` (SymPy's exact values at rationals, Fraction
    arithmetic): at c the one-sided slopes differ, or f jumps (its values at c ± h are not joined
    by those slopes)."""
    h = Fraction(1, 10**6)
    at = lambda u: Fraction(str(f(R(u))))  # noqa: E731 - each value is an exact rational
    left = (at(c - h) - at(c - 2 * h)) / h
    right = (at(c + 2 * h) - at(c + h)) / h
    return left != right or at(c + h) - at(c - h) != h * (left + right)


KINKED = [relu, sp.Abs, sp.sign, sp.Heaviside, sp.floor, sp.ceiling,
          lambda u: sp.Max(u, 2 * u), lambda u: sp.Min(u, -u / 3),
          lambda u: sp.Piecewise((u, u > 0), (-u, True))]


@pytest.mark.parametrize("f", KINKED, ids=["relu", "Abs", "sign", "Heaviside", "floor", "ceiling",
                                          "Max", "Min", "Piecewise"])
@settings(max_examples=15, deadline=None)
@given(reals)
@example(Fraction(0))
def test_a_kink_argument_vanishes_exactly_where_the_function_bends_or_jumps(f, c):
    g = lambda u: f(u - R(c))  # noqa: E731
    (k,) = kink_arguments(g(x))
    (root,) = sp.solve(k, x)  # c itself, or (floor(x − 1) = floor(x) − 1) another integer
    assert root == R(c) or root.is_Integer and c.denominator == 1
    assert _jumps_or_bends(g, Fraction(int(root.p), int(root.q)))
    assert not _jumps_or_bends(g, Fraction(int(root.p), int(root.q)) + Fraction(1, 3))  # smooth beside it


@pytest.mark.parametrize("expr", [sp.exp(x), sp.log(x), sigmoid(x), sp.tanh(x), sp.sqrt(x),
                                  sp.sin(x) * sp.cosh(y), softplus(x), sp.atan(x)])
def test_smooth_functions_have_no_kinks(expr):
    assert kink_arguments(expr) == []


def test_kinks_in_order_without_repeats_or_constants():
    e = sp.Abs(x - 1) + relu(x - 1) * sp.sign(y) + sp.Max(x, y, 3) + sp.Abs(sp.Integer(-2))
    kinks = kink_arguments(e)  # x − 1 twice (Abs, ReLU), the constant |−2| not at all
    assert len(kinks) == 5 and {sp.Abs(k) for k in kinks} == {sp.Abs(k) for k in (x - 1, y, x - y, x - 3, y - 3)}
    many = sp.Max(*sp.symbols("a:h", real=True))
    assert len(kink_arguments(many)) == 28 and len(kink_arguments(many, max_args=6)) == 15


def test_a_function_with_a_definition_is_read_through_it():
    g = type("g_kinky", (sp.Function,), {})
    register(g, definition=lambda u: sp.Abs(u - 1) + u / 2)
    assert kink_arguments(sp.exp(g(2 * x))) == [2 * x - 1]
    assert info(g(x)).definition(x) == sp.Abs(x - 1) + x / 2


# --- domains -------------------------------------------------------------------------------------------

POINTS = [sp.Integer(-2), sp.Integer(-1), sp.Rational(-1, 2), sp.Integer(0), sp.Rational(1, 2),
          sp.Integer(1), sp.Integer(2), sp.pi / 2]


def _real_everywhere(entry) -> bool:
    """SymPy's value of the function at each point is a finite real number."""
    for p in POINTS:
        v = entry.build(*([p, p + 1] if entry.cls in (sp.Max, sp.Min) else [p]))
        v = sp.N(defined(v), 30)
        if v.has(sp.zoo, sp.nan, sp.oo, -sp.oo) or not v.is_real:
            return False
    return True


@pytest.mark.parametrize("name", sorted({n for n in NAMES if by_name(n).names[0] == n}))
def test_partial_exactly_when_somewhere_on_the_real_line_it_is_not_real(name):
    entry = by_name(name)
    assert entry.partial == (not _real_everywhere(entry)), name


def test_a_partial_call_records_what_must_be_defined():
    assert by_name("ln").domain([x]) == [sp.log(x, evaluate=False)]
    assert by_name("log").domain([sp.Integer(8), x]) == [sp.log(8, evaluate=False), sp.log(x, evaluate=False)]
    (root,) = by_name("sqrt").domain([x - 1])
    assert root.is_Pow and root.args == (x - 1, sp.S.Half)
    (arc,) = by_name("asin").domain([x])
    assert isinstance(arc, sp.asin) and arc.args == (x,)
    assert by_name("tan").domain([sp.Integer(1)]) == []  # a constant is checked when parsed
    assert not by_name("exp").partial and by_name("exp").domain is None


def test_the_module_is_the_one_table():
    # what the parser and the prover read is this module's table, not a copy
    from gradproof.derive.claims import parse
    assert parse.FUNCTIONS == functions.NAMES and parse.PRIMED is functions.PRIMED
