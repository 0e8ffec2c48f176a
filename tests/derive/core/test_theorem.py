"""derive.core.theorem.decide: a statement's relation is proved only through its readings, exactly."""
import pytest
import sympy as sp

from gradproof.derive.core.theorem import Reading, decide

x, y = sp.symbols("x y", real=True)
t = sp.Symbol("t", positive=True)
C = sp.Symbol("C")  # a name for an expression (a definition substitutes it)


def test_equation_through_definitions():
    r = Reading({C: (x + 1) ** 2})
    assert decide(sp.Eq(C, x**2 + 2 * x + 1), [r]).proved
    assert not decide(sp.Eq(C, x**2 + 2 * x), [r]).proved
    assert not decide(sp.Eq(C, x**2 + 2 * x + 1), [Reading()]).proved  # C means nothing there


def test_refuted_only_by_a_refutable_reading_of_plain_sides():
    o = decide(sp.Eq(C, x**2 + 1), [Reading({C: x**2}, refutable=True)])
    assert o.status == "refuted" and o.counterexample
    assert decide(sp.Eq(C, x**2 + 1), [Reading({C: x**2})]).status == "undecided"
    j, n = sp.symbols("j n", integer=True, positive=True)
    z = sp.IndexedBase("z")
    s = sp.Sum(sp.exp(z[j]), (j, 1, n))
    assert decide(sp.Eq(s / s, 2), [Reading(refutable=True)]).status == "undecided"  # a Sum: not plain


def test_inequalities_by_exact_sign():
    assert decide(sp.Ge(x**2 + 1, 1, evaluate=False), [Reading()]).proved
    assert decide(sp.Gt(1 / (1 + t), 0, evaluate=False), [Reading()]).proved
    assert not decide(sp.Gt(x, 0, evaluate=False), [Reading()]).proved
    # a square after factoring: 1/4 − s(1 − s) = (2s − 1)²/4
    s_ = sp.Symbol("s", real=True)
    assert decide(sp.Le(s_ * (1 - s_), sp.Rational(1, 4), evaluate=False), [Reading()]).proved


def test_cases_all_must_prove():
    zp, zn = sp.Symbol("z", positive=True), sp.Symbol("z", negative=True)
    z = sp.Symbol("z", real=True)
    split = Reading(cases=({z: zp}, {z: zn}), prepare=lambda e: e.doit(), methods=("structural",))
    assert decide(sp.Eq(sp.Abs(z), z * sp.sign(z)), [split]).proved
    assert not decide(sp.Eq(sp.Abs(z), z), [split]).proved  # true only for z > 0


def test_endpoints_need_linearity():
    u = sp.Symbol("u", real=True)
    lin = Reading(endpoints=(u, 0, 1))
    assert decide(sp.Ge(u * t + (1 - u) * (t + 1), 0, evaluate=False), [lin]).proved
    assert not decide(sp.Ge(u**2 - u + t, 0, evaluate=False), [lin]).proved  # not linear in u


def test_equivalence_and_conjunction():
    b, th, wx = sp.symbols("b theta wx", real=True)
    r = Reading({b: -th})
    assert decide(sp.Equivalent(sp.Le(wx, th), sp.Le(wx + b, 0)), [r]).proved
    assert not decide(sp.Equivalent(sp.Le(wx, th), sp.Le(wx - b, 0)), [r]).proved
    unit = Reading({C: t / (1 + t)})
    assert decide(sp.And(sp.Lt(0, C), sp.Lt(C, 1)), [unit]).proved
    assert not decide(sp.And(sp.Lt(0, C), sp.Lt(C, sp.Rational(1, 2))), [unit]).proved


def test_applies_to_and_vacuous_relations():
    r = Reading({C: x + 1}, applies_to=C)
    assert decide(sp.Eq(C, x + 1), [r]).proved
    assert not decide(sp.Eq(x + 1, C), [r]).proved  # its lhs does not hold C
    assert decide(sp.Eq(x, x, evaluate=False), [Reading()]).status == "undecided"
    assert decide(sp.true, [Reading()]).status == "undecided"


def test_matrix_relations_entry_by_entry():
    A = sp.MatrixSymbol("A", 2, 2)
    M = sp.ImmutableMatrix([[x, y], [y, x]])
    assert decide(sp.Eq(A.T, A), [Reading({A: M})]).proved
    assert not decide(sp.Eq(A, 2 * A), [Reading({A: M})]).proved


# --- Jupyter views: registered by the modules that render -------------------------------------------

def test_a_registered_view_shows_the_identity_with_its_proof(monkeypatch):
    from gradproof.derive.core import theorem as T

    monkeypatch.setattr(T, "_VIEWS", {})  # as if nothing that renders were imported
    x = sp.Symbol("x", real=True)
    idy = T.Identity("toy_view", "toy", "neurons",
                     lambda: T.Derivation([sp.Eq(x * (x + 1), x ** 2 + x)], [], []))
    assert idy._repr_latex_() is None and idy._repr_html_() is None
    T.register_view("html", lambda i, p: f"<b>{i.id}: {p.status}</b>")
    assert idy._repr_html_() == "<b>toy_view: proved</b>" and idy._repr_latex_() is None
    T.register_view("html", lambda i, p: "again")  # a later registration replaces the earlier
    assert idy._repr_html_() == "again"
    with pytest.raises(ValueError, match="kind must be 'latex' or 'html'"):
        T.register_view("svg", lambda i, p: "")


def test_display_registers_the_latex_view():
    from gradproof.derive.core import display, theorem as T

    assert T._VIEWS["latex"] is display.identity_latex
