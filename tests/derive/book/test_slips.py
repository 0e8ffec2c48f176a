"""derive.book.slips: every recorded slip is refuted with a counterexample that really separates the sides,
and the correct side it is compared with is right (checked against independent oracles)."""
from __future__ import annotations

from fractions import Fraction

import mpmath
import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gradproof import derive
from gradproof.derive.book import slips
from gradproof.derive.book.activations import sigmoid, z
from gradproof.derive.book.costs import y
from gradproof.derive.core.prover import prove_equal
from gradproof.derive.core.display import shown, statement_latex

SLIP_IDS = [i for i, idy in derive.REGISTRY.items() if idy.expect == "refuted"]
REQUIRED = {"slip_l1_update", "slip_newton_step", "slip_l2_missing_n", "slip_cross_entropy_sigma_prime"}


def _mp(expr: sp.Expr, point: dict[sp.Symbol, Fraction]) -> mpmath.mpf:
    """``expr`` at ``point`` by mpmath at 50 digits (σ written out from its definition)."""
    expr = expr.replace(lambda e: isinstance(e, sigmoid), lambda e: 1 / (1 + sp.exp(-e.args[0])))
    syms = sorted(expr.free_symbols, key=str)
    with mpmath.workdps(50):
        args = [mpmath.mpf(point[s].numerator) / point[s].denominator for s in syms]
        return sp.lambdify(syms, expr, "mpmath")(*args)


def test_the_required_slips_are_registered_as_expected_refuted():
    assert REQUIRED <= set(SLIP_IDS)
    for i in SLIP_IDS:
        assert derive.REGISTRY[i].group == "slips"
    for i, idy in derive.REGISTRY.items():
        if idy.group == "slips":
            assert idy.expect == "refuted", i


@pytest.mark.parametrize("id", SLIP_IDS)
def test_slip_is_refuted_with_a_counterexample_that_separates_the_sides(id):
    idy = derive.REGISTRY[id]
    proof = idy.prove()
    assert proof.status == "refuted" and proof.ok and proof.expected == "refuted"
    assert proof.counterexample, "a refutation must come with exact values"
    # the statement names its quantity (w′, δᴸ, Δw⋆): evaluate it through its definition
    defs = idy.derivation.readings[0].definitions
    eqs = [e.xreplace(defs) for e in idy.statement if isinstance(e, sp.Eq)]
    assert eqs
    names = {str(s): s for e in eqs for s in e.free_symbols}
    assert set(proof.counterexample) <= set(names)
    point = {names[k]: Fraction(v) for k, v in proof.counterexample.items()}
    gaps = []
    for e in eqs:
        if not e.free_symbols <= set(point):
            continue
        lv, rv = _mp(e.lhs, point), _mp(e.rhs, point)
        assert mpmath.im(lv) == 0 and mpmath.im(rv) == 0
        gaps.append(abs(lv - rv))
    with mpmath.workdps(50):
        assert max(gaps) > mpmath.mpf(10) ** -40


@pytest.mark.parametrize("id", SLIP_IDS)
def test_slip_steps_are_relations_not_booleans(id):
    idy = derive.REGISTRY[id]
    assert len(idy.steps) >= 3
    for step in idy.steps:
        assert not isinstance(step.expr, sp.logic.boolalg.BooleanAtom), step.reason
        assert step.reason
    assert idy.note


def test_common_slips_say_they_are_not_from_the_notes():
    for i in ("slip_l2_missing_n", "slip_cross_entropy_sigma_prime"):
        assert "common slip" in derive.REGISTRY[i].note and "not from the notes" in derive.REGISTRY[i].note


# --- the correct sides are right -------------------------------------------------------------------

def test_l1_correct_step_is_the_book_step():
    _, correct = slips.l1_update()
    typed = slips.w - slips.eta * slips.lmbda / slips.n * sp.sign(slips.w) - slips.eta * slips.dC0dw
    assert prove_equal(correct, typed, ("expand",)).proved


def test_l2_correct_step_is_the_book_step():
    _, correct = slips.l2_update()
    typed = (1 - slips.eta * slips.lmbda / slips.n) * slips.w - slips.eta * slips.dC0dw
    assert prove_equal(correct, typed, ("expand",)).proved


_q = st.fractions(min_value=-5, max_value=5, max_denominator=9)
_pos = st.fractions(min_value=Fraction(1, 9), max_value=5, max_denominator=9)


@settings(max_examples=30, deadline=None)
@given(w=_q, eta=_pos, lmbda=_pos, n=st.integers(1, 50), g=_q)
@example(w=Fraction(1), eta=Fraction(1), lmbda=Fraction(1), n=1, g=Fraction(0))
@example(w=Fraction(0), eta=Fraction(1, 2), lmbda=Fraction(1), n=3, g=Fraction(1))
def test_l1_slip_differs_exactly_where_sgn_w_differs_from_w(w, eta, lmbda, n, g):
    slip, correct = slips.l1_update()
    at = {slips.w: w, slips.eta: eta, slips.lmbda: lmbda, slips.n: n, slips.dC0dw: g}
    diff = Fraction(str((slip - correct).subs(at)))
    sgn = (w > 0) - (w < 0)
    # independent: the L1 step by hand, with Fractions
    assert Fraction(str(correct.subs(at))) == w - eta * lmbda / n * sgn - eta * g
    assert (diff != 0) == (w not in (-1, 0, 1))


def test_newton_correct_step_solves_the_model_and_the_slip_does_not():
    grad_slip, grad_correct, slip_step, correct_step = slips.newton_model_gradient()
    assert all(prove_equal(c, 0, ("cancel",)).proved for c in grad_correct)
    # independent: Cramer's rule with Fractions for H = [[2, 1/3], [1/3, 5/4]], ∇C = (3/7, -2)
    h11, h12, h22, g1, g2 = Fraction(2), Fraction(1, 3), Fraction(5, 4), Fraction(3, 7), Fraction(-2)
    det = h11 * h22 - h12 * h12
    minus_hinv_g = (-(h22 * g1 - h12 * g2) / det, -(-h12 * g1 + h11 * g2) / det)
    at = {slips.h11: h11, slips.h12: h12, slips.h22: h22, slips.g1: g1, slips.g2: g2}
    assert tuple(Fraction(str(c.subs(at))) for c in correct_step) == minus_hinv_g
    assert tuple(Fraction(str(c.subs(at))) for c in slip_step) == tuple(-v for v in minus_hinv_g)
    # at the slip the model's gradient is ∇C + H H⁻¹ ∇C = 2∇C
    assert tuple(Fraction(str(c.subs(at))) for c in grad_slip) == (2 * g1, 2 * g2)


def test_cross_entropy_correct_delta_is_a_minus_y():
    slip, correct = slips.cross_entropy_delta()
    assert prove_equal(correct, sigmoid(z) - y, ("expand", "cancel")).proved
    # independent: a numeric derivative of the cost in z, by mpmath
    with mpmath.workdps(30):
        for zv, yv in [(mpmath.mpf("0.3"), mpmath.mpf("0.2")), (mpmath.mpf(-2), mpmath.mpf(1))]:
            s = lambda t: 1 / (1 + mpmath.exp(-t))  # noqa: E731
            cost = lambda t: -(yv * mpmath.log(s(t)) + (1 - yv) * mpmath.log(1 - s(t)))  # noqa: E731
            num = mpmath.diff(cost, zv)
            assert abs(num - (s(zv) - yv)) < mpmath.mpf(10) ** -20
            assert abs(_mp(slip, {z: Fraction(str(zv)), y: Fraction(str(yv))})
                       - (s(zv) - yv) * s(zv) * (1 - s(zv))) < mpmath.mpf(10) ** -20


# --- display forms (written beside the theorems; each proved equal to its statement) -----------

@pytest.mark.parametrize("id_,decay", [("slip_l1_update", r"\frac{\eta \lambda}{n}"),
                                       ("slip_l2_missing_n", r"\eta \lambda")])
def test_a_slip_is_shown_with_the_weight_first(id_, decay):
    idy = derive.REGISTRY[id_]
    assert shown(idy).is_display == (True,)
    assert statement_latex(idy)[0] == (r"w' = \left(1 - %s\right) w - \eta \partial C_0/\partial w" % decay)
