"""derive.core.certified: the value of a whole expression at an exact point, certified or refused.

Oracle: SymPy's ``N`` at 100 digits of the same expression (σ and ReLU written from their
definitions) at the same point, and SymPy's exact value where that is rational.  A value
:func:`evaluate` returns must contain the oracle's; where a subexpression is not real it must
refuse (Undefined), never return a value.
"""
from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
import sympy as sp
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from mpmath.libmp import to_rational

from gradproof.derive.core.certified import (Evaluator, Uncertain, Undefined, evaluate, satisfies,
                                             truth)
from gradproof.derive.core.functions import register, relu, sigmoid
from gradproof.derive.core.interval import dps, is_interval

x, y = sp.symbols("x y", real=True)


def defined(expr: sp.Expr) -> sp.Expr:
    return expr.replace(lambda e: isinstance(e, sigmoid), lambda e: 1 / (1 + sp.exp(-e.args[0]))
                        ).replace(lambda e: isinstance(e, relu), lambda e: sp.Max(0, e.args[0]))


def bounds(v) -> tuple[Fraction, Fraction]:
    if not is_interval(v):
        return Fraction(int(v.p), int(v.q)), Fraction(int(v.p), int(v.q))
    lo, hi = v._mpi_
    return Fraction(*to_rational(lo)), Fraction(*to_rational(hi))


# --- random expressions ---------------------------------------------------------------------------

_UNARY = [sigmoid, relu, sp.tanh, sp.exp, sp.log, sp.Abs, sp.sign, sp.sin, sp.cos, sp.sinh,
          sp.sqrt, sp.Heaviside]
leaves = st.sampled_from([x, y, sp.Rational(3, 2), sp.Integer(-2), sp.Rational(1, 3)])


def _safe(build):
    """``build``, or x where SymPy refuses the combination (Max of a non-real number, ...)."""
    def made(*args):
        try:
            return build(*args)
        except (ValueError, TypeError, ZeroDivisionError):
            return x
    return made


def _extend(children):
    return st.one_of(
        st.builds(_safe(lambda f, a: f(a)), st.sampled_from(_UNARY), children),
        st.builds(_safe(lambda a, b: a + b), children, children),
        st.builds(_safe(lambda a, b: a * b), children, children),
        st.builds(_safe(lambda a, b: a / b), children, children),
        st.builds(_safe(lambda a, k: a ** k), children, st.integers(-2, 3)),
        st.builds(_safe(lambda a, b: sp.Max(a, b)), children, children),
        st.builds(_safe(lambda a, b: sp.Min(a, b)), children, children),
    )


expressions = st.recursive(leaves, _extend, max_leaves=6).filter(
    lambda e: isinstance(e, sp.Expr) and not e.has(sp.zoo, sp.nan, sp.oo, -sp.oo, sp.I))
points = st.fixed_dictionaries({x: st.fractions(-5, 5, max_denominator=9),
                                y: st.fractions(-5, 5, max_denominator=9)})


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(expressions, points)
@example(sp.sqrt(x) * sp.sqrt(x), {x: Fraction(-1), y: Fraction(0)})
@example(sigmoid(x) + relu(y), {x: Fraction(0), y: Fraction(-1, 3)})
@example(sp.log(x - 1) + 1 / (y - sp.Rational(1, 3)), {x: Fraction(2), y: Fraction(1, 3)})
def test_a_returned_value_contains_the_true_value(expr, point):
    at = {s: sp.Rational(q.numerator, q.denominator) for s, q in point.items()}
    try:
        v = evaluate(expr, at, 40)
    except (Undefined, Uncertain):
        return  # refused: the point is skipped, never guessed
    truth_ = sp.N(defined(expr).xreplace(at), 100)
    assert truth_.is_real and truth_.is_finite, (expr, at, v)
    lo, hi = bounds(v)
    with mpmath.workdps(100):
        t = Fraction(*to_rational(mpmath.mpf(sp.Float(truth_, 100)._mpf_)._mpf_))
    eps = Fraction(1, 10**80) * max(1, abs(t))
    assert lo - eps <= t <= hi + eps, (expr, at, v)
    if not is_interval(v):  # exact only when SymPy's exact value is that rational
        exact = defined(expr).xreplace(at)
        assert exact == v or sp.simplify(exact - v) == 0, (expr, at, v)


# --- what it refuses, and how --------------------------------------------------------------------

@pytest.mark.parametrize("expr,at", [
    (sp.Mul(sp.sqrt(x), sp.sqrt(x), evaluate=False), {x: -1}),  # each factor is not real
    (sp.Pow(sp.Pow(x, sp.S.Half, evaluate=False), 2, evaluate=False), {x: -4}),
    (sp.log(x), {x: 0}), (sp.log(x), {x: sp.Rational(-1, 2)}),
    (1 / (x - sp.Rational(1, 3)), {x: sp.Rational(1, 3)}),
    (x ** sp.Rational(1, 3), {x: -8}),             # SymPy's principal root is not real
    (sp.Piecewise((x, x > 1), (-x, x < -1)), {x: 0}),  # no piece applies
])
def test_undefined_or_not_real_somewhere_is_refused(expr, at):
    with pytest.raises(Undefined):
        evaluate(expr, {s: sp.Rational(v) for s, v in at.items()})


@pytest.mark.parametrize("expr,at", [
    (sp.exp(x), {x: 10**7}), (sp.sin(x), {x: 10**7}), (x + y, {x: 1}),
])
def test_what_the_precision_cannot_settle_is_uncertain(expr, at):
    with pytest.raises(Uncertain):
        evaluate(expr, {s: sp.Integer(v) for s, v in at.items()})


@pytest.mark.parametrize("expr,at,exact", [
    (sigmoid(x), 0, sp.S.Half), (relu(x), sp.Rational(-1, 3), 0), (sp.sign(x), 0, 0),
    (sp.Heaviside(x), 0, sp.S.Half), (sp.Heaviside(x, 0), 0, 0), (sp.Abs(x), sp.Rational(-2, 7), sp.Rational(2, 7)),
    (sp.Max(x, 1 - x), sp.Rational(1, 4), sp.Rational(3, 4)), (sp.sqrt(x), 4, 2),
    (sp.Piecewise((x, x > 0), (0, True)), sp.Rational(-1, 2), 0), (sp.exp(sp.log(x)), 3, 3),
])
def test_exact_values_stay_exact(expr, at, exact):
    v = evaluate(expr, {x: sp.Rational(at)})
    assert not is_interval(v) and v == exact


def test_a_node_with_no_rule_falls_back_to_certified_evalf():
    v = evaluate(sp.erf(x) + sp.atan(x), {x: sp.Rational(1, 3)}, 40)
    with mpmath.workdps(60):
        t = mpmath.erf(mpmath.mpf(1) / 3) + mpmath.atan(mpmath.mpf(1) / 3)
        lo, hi = bounds(v)
        assert lo <= Fraction(*to_rational(t._mpf_)) <= hi and hi - lo < Fraction(1, 10**35)


def test_a_function_with_a_definition_is_evaluated_through_it():
    g = type("g_certified", (sp.Function,), {})
    register(g, definition=lambda u: sp.Abs(u - 1) + sp.log(u))
    assert evaluate(g(x), {x: sp.Integer(1)}) == 0
    with pytest.raises(Undefined):
        evaluate(g(x), {x: sp.Integer(-1)})


# --- conditions ---------------------------------------------------------------------------------

def test_conditions_hold_only_when_certain():
    at = {x: sp.Rational(1, 3), y: sp.Integer(-2)}
    assert satisfies([x > 0, y < 0, sp.Ne(x, y)], at)
    assert not satisfies([x > 0, y > 0], at)
    assert satisfies([sp.Or(y > 0, x <= sp.Rational(1, 3)), sp.Not(sp.Eq(x, 0))], at)
    assert satisfies([sp.Eq(sp.floor(y), y)], at)  # "y integer"
    with pytest.raises(Uncertain):
        satisfies([sp.exp(x) > 1], {x: sp.Integer(10**7)})
    with dps(40):
        assert truth(sp.true, Evaluator({}, 40, {})) and not truth(sp.false, Evaluator({}, 40, {}))


def test_memo_is_shared_between_calls():
    memo: dict = {}
    evaluate(sp.tanh(x) + 1, {x: sp.Rational(1, 3)}, 40, memo=memo)
    assert sp.tanh(x) in memo and x in memo
