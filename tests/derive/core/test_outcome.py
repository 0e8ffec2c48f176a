"""derive.core.outcome: the one result type, its status enum and the one counterexample formatter.

Oracles: the JSON and text the outputs wrote before the enum (plain strings), exact
``fractions.Fraction`` arithmetic for the values, SymPy's own LaTeX printer for a rational.
"""
from __future__ import annotations

import copy
import json
import pickle
from fractions import Fraction

import pytest
import sympy as sp
from hypothesis import example, given
from hypothesis import strategies as st

from gradproof import derive
from gradproof.derive.core.outcome import (PROVED, REFUTED, UNDECIDED, Counterexample, Outcome,
                                           Status, combine)

fractions = st.fractions(max_denominator=10**12).filter(lambda q: abs(q.numerator) < 10**30)


# --- Status ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("member,text", [(PROVED, "proved"), (REFUTED, "refuted"),
                                         (UNDECIDED, "undecided")])
def test_a_status_reads_as_its_string_everywhere(member, text):
    assert member is Status(text) and member == text and text == member
    assert str(member) == f"{member}" == "%s" % member == text and repr(member) == repr(text)
    assert f"{member:9}" == f"{text:9}"  # the CLI's table column
    assert json.dumps({"s": member}) == json.dumps({"s": text})
    assert json.dumps([member], indent=1, ensure_ascii=False) == json.dumps([text], indent=1)
    assert {text: 1}[member] == 1 and {member: 1}[text] == 1  # hashes as its string
    assert pickle.loads(pickle.dumps(member)) is member
    assert member.upper() == text.upper()


def test_an_unknown_status_is_refused():
    with pytest.raises(ValueError):
        Status("probably")
    with pytest.raises(ValueError):
        Outcome("probably", "m")


# --- Counterexample -------------------------------------------------------------------------------

@given(st.dictionaries(st.sampled_from(["x", "y", "eta", "lambda", "w_2"]), fractions, max_size=4))
@example({"x": Fraction(0)})
@example({"x": Fraction(-5, 11), "y": Fraction(3)})
def test_values_are_exact_rationals_read_back_exactly(point):
    cx = Counterexample(point)
    assert cx.exact() == point  # exact: Fraction in, Fraction out
    assert cx == {k: str(q) for k, q in point.items()}  # a dict of canonical texts
    assert Counterexample(dict(cx)) == cx  # its own text is accepted again (the proof cache)
    assert json.loads(json.dumps(cx)) == dict(cx)
    assert Counterexample({k: sp.Rational(q.numerator, q.denominator) for k, q in point.items()}) == cx


@pytest.mark.parametrize("bad", ["pi", "1/3 + x", "2/4", "0.5", "+1", "1/1", "-0", "1e3", " 1",
                                 "1/0", "01", "__import__('os')", "3/-4", "", "sqrt(2)"])
def test_text_that_is_not_a_rational_in_lowest_terms_is_refused(bad):
    with pytest.raises(ValueError, match="exact rational"):
        Counterexample({"x": bad})


@pytest.mark.parametrize("bad", [0.5, True, sp.pi, sp.Float("0.5"), sp.Symbol("x"), None])
def test_values_that_are_not_exact_rationals_are_refused(bad):
    with pytest.raises(ValueError, match="exact rational"):
        Counterexample({"x": bad})


def test_a_counterexample_is_read_only_and_survives_pickle_and_copy():
    cx = Counterexample({"x": "1/3"})
    for mutate in (lambda: cx.__setitem__("x", "2"), lambda: cx.update(y="1"), cx.clear,
                   lambda: cx.pop("x"), cx.popitem, lambda: cx.setdefault("y", "1"),
                   lambda: cx.__delitem__("x")):
        with pytest.raises(TypeError, match="read-only"):
            mutate()
    assert cx == {"x": "1/3"} and repr(cx) == "{'x': '1/3'}"
    for again in (pickle.loads(pickle.dumps(cx)), copy.deepcopy(cx), copy.copy(cx)):
        assert again == cx and isinstance(again, Counterexample)


def test_text_where_and_describe():
    cx = Counterexample({"eta": "1/3", "w": "-2"})
    assert cx.text() == "η = 1/3, w = -2"  # each name as the book writes it
    assert cx.where() == "at η = 1/3, w = -2"
    assert cx.describe("1", "2") == "at η = 1/3, w = -2: lhs = 1, rhs = 2"
    assert cx.describe("1", "2", "-1") == "at η = 1/3, w = -2: lhs = 1, rhs = 2, lhs − rhs = -1"
    tex = Counterexample({r"\partial C_0/\partial w": "1/3", r"\nabla{C}_1": "5/11", "H_12": "2/7",
                          "a^l_k": "1"})
    assert tex.text() == "∂C₀/∂w = 1/3, ∇C₁ = 5/11, H_12 = 2/7, a^l_k = 1"  # a plain name as it is
    none = Counterexample({})
    assert none.text() == "" and none.where() == "the sides are different numbers"
    assert none.describe("pi", "22/7") == "the sides are different numbers: lhs = pi, rhs = 22/7"


@given(fractions)
@example(Fraction(-1, 3))
@example(Fraction(0))
def test_latex_is_the_book_printers_equation(q):
    # oracle: SymPy's own LaTeX printer for the rational (a plain name prints the same in both)
    (tex,) = Counterexample({"x": q}).latex()
    assert tex == "x = " + sp.latex(sp.Rational(q.numerator, q.denominator))


def test_latex_of_greek_and_indexed_names():
    assert Counterexample({"eta": "1/3", "w_2": "-2"}).latex() == [r"\eta = \frac{1}{3}", "w_{2} = -2"]


# --- Outcome --------------------------------------------------------------------------------------

def test_an_outcome_reads_strings_and_plain_points():
    o = Outcome("refuted", "counterexample", {"x": "1/3"}, "at x = 1/3: lhs = 1, rhs = 2")
    assert o.status is REFUTED and not o.proved
    assert isinstance(o.counterexample, Counterexample) and o.counterexample.exact() == {"x": Fraction(1, 3)}
    assert Outcome(PROVED, "cancel").proved
    assert Outcome(PROVED, "cancel", seconds=1.0) == Outcome(PROVED, "cancel", seconds=2.0)


def test_combine_is_proved_iff_every_part_is_and_refuted_if_one_is():
    p, u = Outcome(PROVED, "expand"), Outcome(UNDECIDED, "cancel", detail="why")
    r = Outcome(REFUTED, "counterexample", {"x": "0"}, "at x = 0: lhs = 1, rhs = 2")
    assert combine([p, p]) == Outcome(PROVED, "expand")
    assert combine([p, u]) == Outcome(UNDECIDED, "expand + cancel", None, "why")
    assert combine([u, r, p]) == Outcome(REFUTED, "cancel + counterexample + expand",
                                         {"x": "0"}, r.detail)
    assert combine([]).status is UNDECIDED


def test_proofs_and_verdicts_are_outcomes():
    proof = derive.prove("slip_l1_update")
    verdict = derive.verify("x", "x + 1")
    for o in (proof, verdict):
        assert isinstance(o, Outcome) and o.status is REFUTED and not o.proved
        assert isinstance(o.counterexample, Counterexample)
        assert o.counterexample.where() + ": lhs = " in o.detail
    assert proof.expected is REFUTED and proof.ok
    assert json.loads(json.dumps(proof.as_dict()))["status"] == "refuted"
    assert json.loads(json.dumps(verdict.as_dict()))["counterexample"] == {"x": "1/3"}
