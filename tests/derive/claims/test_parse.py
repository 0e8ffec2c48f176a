"""derive.claims.parse: what each rule reads, and what it refuses (with a one-line hint).

Oracle: the SymPy expression each text means, built here directly (symbols real, σ and ReLU the
engine's classes), never through the parser.
"""
from __future__ import annotations

import pytest
import sympy as sp

from gradproof.derive.claims.parse import (FUNCTIONS, MAX_CHARS, PRIMED, RELU_PRIME_AT_0, parse,
                                           parse_assumption, parse_claim, parse_let,
                                           substitute_lets)
from gradproof.derive.core.functions import by_name, relu, sigmoid

x, y, z, w, b, a, n = sp.symbols("x y z w b a n", real=True)
lam, eta = sp.Symbol("lambda", real=True), sp.Symbol("eta", real=True)


def refused(text: str, hint: str) -> str:
    """``text`` is refused with a one-line message naming the side and containing ``hint``."""
    with pytest.raises(ValueError) as err:
        parse(text, "lhs")
    msg = str(err.value)
    assert msg.startswith("lhs") and "\n" not in msg and hint in msg, msg
    return msg


# --- numbers, names, constants --------------------------------------------------------------------

@pytest.mark.parametrize("text,meant", [
    ("0.1", sp.Rational(1, 10)), ("2.50", sp.Rational(5, 2)), ("1e-3", sp.Rational(1, 1000)),
    ("1.5e3", sp.Integer(1500)), ("7", sp.Integer(7)), ("-3/4", sp.Rational(-3, 4)),
])
def test_numbers_are_exact(text, meant):
    assert parse(text) == meant


def test_parse_reads_decimals_exactly_and_symbols_as_real():
    e = parse("0.1*x + y^2")
    assert e == sp.Rational(1, 10) * sp.Symbol("x", real=True) + sp.Symbol("y", real=True) ** 2
    assert all(s.is_real for s in e.free_symbols)


@pytest.mark.parametrize("text,meant", [
    ("eta*lmbda", eta * lam), ("η*λ", eta * lam), ("lambda", lam), ("lamda", lam),
    ("C₀", sp.Symbol("C0", real=True)), ("Δ", sp.Symbol("Delta", real=True)),
    ("dC0dw", sp.Symbol("dC0dw", real=True)),
])
def test_one_symbol_per_name_however_it_is_typed(text, meant):
    assert parse(text) == meant


@pytest.mark.parametrize("text,meant", [("e", sp.E), ("E", sp.E), ("e^z", sp.exp(z)),
                                        ("pi", sp.pi), ("π", sp.pi)])
def test_constants(text, meant):
    assert parse(text) == meant


def test_numbers_beyond_the_limits_are_refused():
    refused("1e99999", "too large or too small")
    refused("10**10**10", "too large")
    refused("x**2000", "exponent 2000 is too large")
    refused("x" * (MAX_CHARS + 1), "characters long")


# --- operators and the book's notation ------------------------------------------------------------

@pytest.mark.parametrize("typed,meant", [
    ("e^z", "exp(z)"), ("x²", "x**2"), ("x⁻¹", "1/x"), ("|x - y|", "Abs(x - y)"), ("x·y", "x*y"),
    ("a − b", "a - b"), ("2×x", "2*x"), ("C₀", "C0"), ("|x|·|y|", "Abs(x)*Abs(y)"),
])
def test_the_books_notation_is_read_as_written(typed, meant):
    assert parse(typed) == parse(meant)


@pytest.mark.parametrize("text,meant", [
    ("x^2", x**2), ("x**2", x**2), ("x ÷ y", x / y), ("x ∗ y", x * y), ("-(x - y)", y - x),
    ("x/y/2", x / y / 2), ("2^3^2", sp.Integer(2) ** 9), ("+".join("x" * 999), 999 * x),
])
def test_arithmetic(text, meant):
    assert parse(text) == meant


@pytest.mark.parametrize("text,hint", [
    ("x # y", "#"), ("d/dz*sigma(z)", "diff"), ("ｘ", "plain 'x'"), ("𝑥 + 1", "plain 'x'"),
    ("sigma(z)(1 - sigma(z))", "*"), ("∂C/∂w", "diff"), ("x'", "prime"),
    ("2x", "write 2*x"), ("||x||", "'||' is not understood"), ("|x", "not closed"),
    ("x__y", "'__'"), ("x; y", "one expression on one line"), ("x % y", "operator Mod"),
    ("x < y", "comparisons"), ("x.evalf()", "attribute access"), ("[x, y]", "lists"),
    ("'text'", "quotes are not part"), ("lambda t: t", "could not be parsed"), ("x +", "could not be parsed"),
    ("(x", "unbalanced parentheses"), ("1/0", "division by zero"), ("", "is empty"),
    ("(" * 300 + "x" + ")" * 300, "nested too deeply"), ("☃", "SNOWMAN"),
])
def test_what_could_be_read_as_something_else_is_refused_with_a_hint(text, hint):
    refused(text, hint)


# --- functions ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_known_name_calls_its_function(name):
    args = [x, y] if name.lower() in ("max", "min") else [x]
    assert parse(f"{name}({', '.join(map(str, args))})") == by_name(name).build(*args)


def test_the_book_functions_are_the_engines_classes():
    assert parse("sigma(z)") == parse("σ(z)") == sigmoid(z)
    assert parse("ReLU(z)") == relu(z)
    assert parse("softplus(z)") == sp.log(1 + sp.exp(z))
    assert parse("sqrt(x)") == sp.sqrt(x)


@pytest.mark.parametrize("text,hint", [
    ("foo(x)", "unknown function 'foo'"), ("sigma", "is a function: call it"),
    ("sigma*2", "is a function"), ("exp(x, y)", "called with 2 argument(s)"),
    ("sigma(x=1)", "keyword arguments"), ("Max(" + ", ".join(["x"] * 33) + ")", "at most 32"),
])
def test_calls_that_are_refused(text, hint):
    refused(text, hint)


# --- prime notation and derivatives ----------------------------------------------------------------

@pytest.mark.parametrize("text,meant", [
    ("sigma'(z)", sigmoid(z) * (1 - sigmoid(z))), ("σ′(z)", sigmoid(z) * (1 - sigmoid(z))),
    ("sigma_prime(z)", sigmoid(z) * (1 - sigmoid(z))),
    ("tanh'(z)", 1 - sp.tanh(z) ** 2), ("exp'(2*x)", sp.exp(2 * x)),
    ("softplus''(z)", sp.diff(sp.log(1 + sp.exp(z)), z, 2)),
    ("sigma″(z)", sp.diff(sigmoid(z), z, 2)), ("sigma_prime2(z)", sp.diff(sigmoid(z), z, 2)),
    ("sin‴(x)", -sp.cos(x)), ("Abs'(x)", sp.sign(x)), ("log'(x)", 1 / x),
])
def test_prime_notation_is_the_derivative(text, meant):
    assert sp.simplify(parse(text) - meant) == 0


def test_relu_prime_carries_its_convention_until_verify_sets_it():
    p = parse_claim("relu'(z)")
    assert p.expr == sp.Heaviside(z, RELU_PRIME_AT_0) and p.relu_prime
    assert not parse_claim("sigma'(z)").relu_prime


def test_prime_notation_applies_to_the_primed_functions_only():
    assert set(PRIMED) <= set(FUNCTIONS) and "sign" not in PRIMED
    refused("sign'(x)", "prime notation f'(z) works")
    refused("sigma'(x, y)", "takes one argument")


@pytest.mark.parametrize("text,meant", [
    ("diff(sigma(z), z)", sp.diff(sigmoid(z), z)), ("Derivative(tanh(z), z)", 1 - sp.tanh(z) ** 2),
    ("diff(x**3, x, 2)", 6 * x), ("diff(x**2*y**3, x, y)", 6 * x * y**2),
    ("diff(x**4, x, 2, y)", sp.Integer(0)),
])
def test_derivatives(text, meant):
    assert sp.expand(parse(text) - meant) == 0


@pytest.mark.parametrize("text,hint", [
    ("diff(x)", "needs an expression and a variable"), ("diff(x**2, 2)", "is not a variable name"),
    ("diff(x**9, x, 9)", "order 9 is too high"),
])
def test_derivatives_that_are_refused(text, hint):
    refused(text, hint)


# --- what the input needs to be defined, and where it is not smooth -------------------------------

@pytest.mark.parametrize("text,part", [
    ("sqrt(x)*sqrt(x)", sp.Pow(x, sp.S.Half, evaluate=False)),
    ("x/x", sp.Pow(x, -1, evaluate=False)),
    ("exp(log(x))", sp.log(x, evaluate=False)),
    ("x**(1/3)", sp.Pow(x, sp.Rational(1, 3), evaluate=False)),
    ("sin(asin(x))", sp.asin(x, evaluate=False)),
    ("log'(x)", sp.log(x, evaluate=False)),
])
def test_parts_that_must_be_defined_are_kept(text, part):
    assert part in parse_claim(text).parts


def test_total_functions_need_nothing():
    assert parse_claim("exp(x) + sigma(x)*tanh(x) + x**2").parts == []


@pytest.mark.parametrize("text,kinks", [
    ("diff(Abs(x), x)", [x]), ("diff(Max(x, y), x)", [x - y]), ("diff(relu(x - 1), x)", [x - 1]),
    ("Abs(x)", []), ("diff(x**2, x)", []),
])
def test_kinks_of_a_differentiated_expression_are_kept(text, kinks):
    got = parse_claim(text).kinks
    assert {sp.Abs(k) for k in got} == {sp.Abs(k) for k in kinks} and len(got) == len(kinks)


# --- definitions and assumptions ----------------------------------------------------------------

def test_definitions_are_substituted_or_kept():
    zsym, body = parse_let("z = w*x + b")
    assert zsym == z and body.expr == w * x + b
    lets = {zsym: body.expr}
    assert parse_claim("diff(sigma(z), w)", lets=lets).expr == sp.diff(sigmoid(w * x + b), w)
    kept = parse_claim("sigma(z)", lets=lets, substitute=False)
    assert kept.expr == sigmoid(z) and kept.used == {z}
    assert substitute_lets(a + z, {a: sigmoid(z), z: w * x}) == sigmoid(w * x) + w * x


@pytest.mark.parametrize("text,hint", [
    ("sigma = 1", "function or constant"), ("z = z + 1", "refers to itself"),
    ("z + 1", "write a definition as NAME = EXPRESSION"), ("e = 2", "function or constant"),
])
def test_definitions_that_are_refused(text, hint):
    with pytest.raises(ValueError, match=hint):
        parse_let(text)


def test_a_cycle_of_definitions_is_refused():
    with pytest.raises(ValueError, match="cycle"):
        substitute_lets(a, {a: z + 1, z: a - 1})
    with pytest.raises(ValueError, match="defined twice"):
        parse_let("z = 1", {z: x})


@pytest.mark.parametrize("text,meant", [
    ("0 < a < 1", [sp.Lt(0, a), sp.Lt(a, 1)]), ("w != 0", [sp.Ne(w, 0)]), ("x ≥ 1", [sp.Ge(x, 1)]),
    ("n integer", [sp.Eq(sp.floor(n), n, evaluate=False)]),
    ("n is a positive integer", [sp.Eq(sp.floor(n), n, evaluate=False), n > 0]),
    ("1 < 2 < x", [sp.Lt(2, x)]),  # the true part (1 < 2) is dropped
])
def test_assumptions(text, meant):
    assert parse_assumption(text) == meant


@pytest.mark.parametrize("text,hint", [("1 < 0", "is false"), ("a", "write a relation")])
def test_assumptions_that_are_refused(text, hint):
    with pytest.raises(ValueError, match=hint):
        parse_assumption(text)


# --- SymPy input ----------------------------------------------------------------------------------

def test_a_sympy_expression_is_read_with_real_symbols():
    plain = sp.Symbol("x")
    assert parse(plain**2) == x**2
    assert parse(sp.Derivative(sigmoid(plain), plain)) == sigmoid(x) * (1 - sigmoid(x))
    for bad in (sp.Eq(plain, 1), sp.Matrix([1]), 3.5):
        with pytest.raises(ValueError):
            parse(bad)


@pytest.mark.parametrize("text,hint", [("sqrt(-1)", "not real"), ("log(0)", "undefined everywhere")])
def test_sides_that_are_nowhere_real_are_refused(text, hint):
    refused(text, hint)
