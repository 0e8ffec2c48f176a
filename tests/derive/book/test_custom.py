"""derive.book.custom: a user's activation or cost, from its formula to proved theorems.

Oracles: mpmath's numeric derivative at high precision for f′ (independent of SymPy's diff), the
book's cross-entropy for cost_for_output_error, and mutated statements, which must not prove.
"""
from __future__ import annotations

import mpmath
import pytest
import sympy as sp
from hypothesis import example, given, settings, strategies as st

from gradproof import derive
from gradproof.derive.book import custom
from gradproof.derive.book.activations import a, z
from gradproof.derive.book.costs import CROSS_ENTROPY_TERM, y

EXAMPLES = ["softplus", "leaky_relu", "silu", "elu"]
COSTS = ["log_cosh", "tanh_cross_entropy"]
#: Whose every theorem is proved here (about 4 s each): silu and tanh_cross_entropy, the README's
#: model, are proved with the report's section for them (tests/cli/test_cli_custom.py,
#: tests/reports/test_readme_reports.py).
PROVED_HERE = {"activations": ["softplus", "leaky_relu", "elu"], "costs": ["log_cosh"]}


@pytest.fixture(scope="module", params=PROVED_HERE["activations"])
def act(request):
    return derive.get_activation(request.param)


@pytest.fixture(scope="module", params=PROVED_HERE["costs"])
def cost(request):
    return derive.get_cost(request.param)


@pytest.mark.slow
def test_every_theorem_of_an_example_activation_is_proved(act):
    ids = [t.id for t in act.theorems]
    assert ids[0] == act.prime_id and ids[-1] == f"{act.name}_backprop"
    for t in act.theorems:
        p = t.prove()
        assert p.status == "proved", (t.id, p.method, p.detail)
        assert "numer" not in p.method  # exact methods only
    assert "concrete diff [2,3,2]" in p.method  # the last theorem's, the backprop


@pytest.mark.slow
def test_every_theorem_of_an_example_cost_is_proved(cost):
    for t in cost.theorems:
        p = t.prove()
        assert p.status == "proved", (t.id, p.method, p.detail)


_LAMBDAS: dict = {}


def _lambdas(name: str):
    if name not in _LAMBDAS:
        A = derive.get_activation(name)
        _LAMBDAS[name] = (sp.lambdify(z, A.f(z), "mpmath"), sp.lambdify(z, A.prime_at(z), "mpmath"))
    return _LAMBDAS[name]


@settings(max_examples=25, deadline=None)
@given(zv=st.floats(-20, 20).filter(lambda v: abs(v) > 1e-3))
@example(zv=-30.0)
@example(zv=0.5)
def test_the_derived_derivative_matches_a_numeric_derivative(zv):
    for name in EXAMPLES:
        f, prime = _lambdas(name)
        with mpmath.workdps(40):
            numeric = mpmath.diff(f, mpmath.mpf(zv))
            exact = prime(mpmath.mpf(zv))
            assert abs(numeric - exact) <= mpmath.mpf(10) ** -25 * max(1, abs(exact)), (name, zv)


def test_what_is_derived_for_the_examples():
    assert derive.get_activation("softplus").prime == 1 - sp.exp(-a)  # through a, as σ′ = σ(1 − σ)
    assert derive.get_activation("softplus").stable_id == "softplus_stable"
    assert derive.get_activation("leaky_relu").kinks == (0.0,)
    assert derive.get_activation("leaky_relu").stable_id is None  # no rewrite applies: says so
    assert any("no proved stable rewrite" in n for n in derive.get_activation("elu").notes)
    assert derive.get_activation("silu").stable(z).has(sp.tanh)  # σ printed as (1 + tanh(z/2))/2
    assert derive.get_cost("tanh_cross_entropy").cancels is True  # tanh′ cancels: δ = a − y
    assert derive.get_cost("tanh_cross_entropy").delta == a - y
    assert derive.get_cost("log_cosh").cancels is False


def test_shipped_costs_say_whether_sigma_prime_cancels():
    assert custom.cancels(derive.COSTS["cross_entropy"].delta, derive.ACTIVATIONS["sigmoid"])
    assert not custom.cancels(derive.COSTS["quadratic"].delta, derive.ACTIVATIONS["sigmoid"])


def test_a_mutated_statement_is_not_proved():
    """The obligations are derived from the statement: change it and the proof fails."""
    A = derive.get_activation("softplus")
    f = A.f(z)
    good = custom._prime_identity(A, f, A.prime_z, None).prove()
    bad = custom._prime_identity(A, f, 2 * A.prime_z, None).prove()
    assert good.status == "proved" and bad.status == "refuted"
    stable = A.stable(z)
    assert custom._stable_identity(A, f, stable, []).prove().status == "proved"
    assert custom._stable_identity(A, f, stable + 1, []).prove().status != "proved"
    C = derive.get_cost("log_cosh")
    out = C.output_activation
    mutated = custom.Cost(C.name, C.output, C.term, C.delta + 1, C.delta_id, C.stable, C.stable_id)
    assert custom._output_error_identity(mutated, out).prove().status != "proved"


def test_cost_for_output_error_recovers_the_cross_entropy():
    c = derive.cost_for_output_error("a - y", output="sigmoid", name="ce_recovered", register=False)
    assert sp.expand(c.term - CROSS_ENTROPY_TERM.expand()) == 0  # the book's eq. (57)/(63)
    assert c.delta == a - y and c.cancels
    assert all(t.prove().status == "proved" for t in c.theorems[:1])


def test_cost_for_output_error_on_tanh_gives_the_tanh_cross_entropy():
    c = derive.get_cost("tanh_cross_entropy")
    expected = -((1 + y) / 2 * sp.log(1 + a) + (1 - y) / 2 * sp.log(1 - a))
    assert sp.expand(c.term - sp.expand(expected)) == 0


def test_cost_for_output_error_without_a_closed_form_says_so():
    with pytest.raises(ValueError, match="no elementary closed form"):
        derive.cost_for_output_error("exp(a)*(a - y)", output="sigmoid", register=False)
    with pytest.raises(ValueError, match="cannot be written through a"):
        derive.cost_for_output_error("a - y", output="relu", register=False)


@pytest.mark.parametrize("name, expr, match", [
    ("bad", "z*x", "uses x; it must be a function of z only"),
    ("bad", "foo(z)", "unknown function 'foo'"),
    ("bad", "Heaviside(z)", "jumps at z = 0"),
    ("bad", "sign(z)", "jumps at z = 0"),
    ("bad", "3", "not a usable derivative"),
    ("bad", "sqrt(z)", "is not a real number"),
    ("sigmoid", "z", "shipped already"),
    ("1x", "z", "not an identifier"),
])
def test_bad_activations_get_one_line_naming_the_problem(name, expr, match):
    with pytest.raises(ValueError, match=match) as info:
        derive.activation(name, expr, register=False)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("expr, output, match", [
    ("log(a)*z", "sigmoid", "uses z; it must be a function of a and y only"),
    ("y**2", "sigmoid", "does not depend on a"),
    ("a - y", "softmax", "output='softmax'"),
    ("a - y", "nonesuch", "unknown activation 'nonesuch'"),
])
def test_bad_costs_get_one_line_naming_the_problem(expr, output, match):
    with pytest.raises(ValueError, match=match) as info:
        derive.cost("bad", expr, output=output, register=False)
    assert "\n" not in str(info.value)


def test_sympy_expressions_are_accepted_and_registered_by_name():
    zz = sp.Symbol("z")  # a plain symbol is identified with derive's real z by its name
    A = derive.activation("tanh_half", sp.tanh(zz / 2))
    assert derive.get_activation("tanh_half") is A
    assert A.prime_at(z) != 0 and A.theorems[0].prove().status == "proved"


def test_from_text_reads_names_definitions_and_expressions():
    assert custom.from_text("softplus", "activation").name == "softplus"
    assert custom.from_text("sw=z*sigma(z)", "activation").name == "sw"
    assert custom.from_text("z*tanh(z)", "activation").name == "z_tanh_z"
    c = custom.from_text("lc2=log(cosh(a - y))@tanh", "cost")
    assert c.name == "lc2" and c.output == "tanh"


def test_the_same_text_twice_in_one_process_is_the_same_model():
    """A notebook (or the tests' process) asking twice for z·tanh(z) gets the model it made, not a
    second one named z_tanh_z_ (which the check table once showed)."""
    first = custom.from_text("z*tanh(z) + z", "activation")
    assert custom.from_text("z*tanh(z) + z", "activation") is first and first.name == "z_tanh_z_z"
    assert custom.from_text("z*tanh(z)+z", "activation").name == "z_tanh_z_z_"  # other text: a new one


@pytest.mark.parametrize("shipped, text", [("sigmoid", "1/(1 + exp(-z))"), ("tanh", "tanh(z)"),
                                           ("relu", "Max(0, z)")])
def test_the_constructor_reproduces_the_shipped_activations(shipped, text):
    """What derive.activation derives from the formula alone is what the shipped entry states."""
    S, A = derive.ACTIVATIONS[shipped], derive.activation(shipped + "_again", text, register=False)
    assert sp.simplify(A.f(z) - S.f(z).rewrite(sp.exp)) == 0 or A.f(z) == S.f(z).rewrite(sp.Piecewise)
    assert A.stable(z) == S.stable(z) or shipped == "relu"
    for zv in (sp.Rational(-3, 2), sp.S.Zero, sp.Rational(1, 3), sp.S(2)):  # ReLU′(0) = 0 in both
        assert sp.simplify(A.prime_at(zv) - S.prime_at(zv)) == 0, zv
    if shipped != "relu":
        assert sp.expand(A.prime - S.prime) == 0  # through a: σ(1 − σ), 1 − tanh²
    assert A.kinks == S.kinks


def test_a_users_activation_is_evaluated_and_its_kinks_found_as_the_books_are():
    # the same path as σ and ReLU: its class is registered in derive.core.functions with its
    # formula as definition; oracle: SymPy's exact value of the formula at the point
    from gradproof.derive.core.certified import evaluate
    from gradproof.derive.core.functions import info, kink_arguments
    from gradproof.derive.core.prover import find_counterexample

    u = sp.Symbol("u", real=True)
    act = custom.activation("kinked_test", "Max(z/4, z) + 1", register=False)
    F = act.function
    assert info(F).definition is not None
    (kink,) = kink_arguments(F(u - 2))  # the formula bends where u − 2 = 0
    assert sp.solve(kink, u) == [2]
    for q in (sp.Rational(-7, 3), sp.Integer(0), sp.Rational(5, 2)):
        assert evaluate(F(u), {u: q}) == sp.Max(q / 4, q) + 1
    point, lv, rv = find_counterexample(F(u), u + 1)  # equal for u ≥ 0 only: refuted below 0
    assert sp.Rational(point["u"]) < 0 and sp.Rational(lv) == sp.Rational(point["u"]) / 4 + 1
