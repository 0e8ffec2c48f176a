"""``gradproof verify LHS RHS``: exit 0 proved, 1 refuted, 3 undecided, 2 bad input (in this process,
through the CLI's ``main``; the first test runs ``python -m gradproof`` as a user does)."""
from __future__ import annotations

import importlib
import json
import subprocess
from fractions import Fraction

import mpmath
import pytest
import sympy as sp
from sympy.parsing.sympy_parser import convert_xor, parse_expr, rationalize, standard_transformations

from . import run


def gradproof(*args: str) -> subprocess.CompletedProcess:
    return run.here("verify", *args)


_t = sp.Dummy("t")
_NAMES = {"sigma": sp.Lambda(_t, 1 / (1 + sp.exp(-_t))), "relu": sp.Lambda(_t, sp.Max(0, _t)),
          "sgn": sp.sign}


def _value(text: str, point: dict[str, str]):
    """Independent evaluation (SymPy's parser, σ from its definition, mpmath at 50 digits)."""
    expr = parse_expr(text, local_dict=dict(_NAMES),
                      transformations=standard_transformations + (rationalize, convert_xor))
    syms = sorted(expr.free_symbols, key=str)
    with mpmath.workdps(50):
        args = [mpmath.mpf(Fraction(point[str(s)]).numerator) / Fraction(point[str(s)]).denominator
                for s in syms]
        return mpmath.mpmathify(sp.lambdify(syms, expr, "mpmath")(*args))


def test_proved_exit_0():
    r = run.gradproof("verify", "tanh(z)", "2*sigma(2*z) - 1")  # a child process, as a user runs it
    assert r.returncode == 0, r.stderr
    assert "proved" in r.stdout and "exp" in r.stdout


def test_proved_json():
    r = gradproof("(a-y)*a*(1-a)", "a^2 - a^3 - a*y + a^2*y", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert {"status", "method", "lhs", "rhs", "counterexample"} <= set(out)
    assert out["status"] == "proved" and out["method"] == "expand" and out["counterexample"] is None


@pytest.mark.parametrize("lhs,rhs", [
    ("sigma(z)*(1 - sigma(z))", "sigma(z)*(1 + sigma(z))"),
    ("w*(1 - eta*c/n) - eta*g", "w - eta*c/n*sgn(w) - eta*g"),
    ("relu(z)", "z"),
])
def test_refuted_exit_1_with_a_counterexample_that_separates_the_sides(lhs, rhs):
    r = gradproof(lhs, rhs, "--json")
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)
    assert out["status"] == "refuted" and out["counterexample"]
    lv, rv = _value(lhs, out["counterexample"]), _value(rhs, out["counterexample"])
    with mpmath.workdps(50):
        assert abs(lv - rv) > mpmath.mpf(10) ** -40
        assert abs(mpmath.mpf(str(sp.Rational(out["lhs_value"])) if "." not in out["lhs_value"]
                              else out["lhs_value"]) - lv) < mpmath.mpf(10) ** -15


def test_refuted_text_shows_values():
    r = gradproof("x**2", "x")
    assert r.returncode == 1
    assert "refuted" in r.stdout and "x = 1/3" in r.stdout
    assert "lhs = 1/9" in r.stdout and "rhs = 1/3" in r.stdout


def test_undecided_exit_3():
    # log(x²) = 2 log|x| holds for every x ≠ 0, but no exact rung here closes it.
    r = gradproof("log(x**2)", "2*log(Abs(x))")
    assert r.returncode == 3, r.stdout + r.stderr
    assert r.stdout.splitlines()[-1].startswith("undecided")
    j = gradproof("log(x**2)", "2*log(Abs(x))", "--json")
    assert j.returncode == 3 and json.loads(j.stdout)["status"] == "undecided"


@pytest.mark.parametrize("lhs,rhs,side", [
    ("__import__('os').system('echo pwned')", "x", "lhs"),
    ("x", "foo(x)", "rhs"),
    ("", "x", "lhs"),
    ("x +", "x", "lhs"),
    ("x", "10**10**10", "rhs"),
])
def test_bad_input_exit_2_one_line(lhs, rhs, side):
    r = gradproof(lhs, rhs)
    assert r.returncode == 2
    assert r.stdout == "" and "pwned" not in r.stdout + r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr
    assert lines[0].startswith("gradproof verify: error: " + side)


def test_a_side_starting_with_minus_goes_after_double_dash():
    r = gradproof("--", "-x", "x")
    assert r.returncode == 1, r.stderr


def test_a_side_starting_with_minus_works_without_double_dash():
    r = gradproof("x", "-x")
    assert r.returncode == 1, r.stderr
    assert "refuted" in r.stdout
    assert gradproof("-(a - y)", "y - a").returncode == 0


@pytest.mark.parametrize("limit", ["inf", "1e300", "-1", "0", "nan", "1e10", "soon"])
def test_bad_time_limit_exit_2_one_line(limit):
    r = gradproof("x", "x", "--time-limit", limit)
    assert r.returncode == 2 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "--time-limit" in lines[0] and "Traceback" not in r.stderr


def test_deep_nesting_exit_2_one_line():
    r = gradproof("(" * 300 + "x" + ")" * 300, "x")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "nested too deeply" in r.stderr


def test_let_and_assume_and_the_domain_is_printed():
    r = gradproof("--let", "z = w*x + b",
                  "diff(-(y*log(sigma(z)) + (1-y)*log(1-sigma(z))), w)", "x*(sigma(z) - y)")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "proved" in r.stdout and "domain: all real b, w, x, y" in r.stdout
    a = gradproof("--assume", "0 < a < 1", "log(a) + log(1 - a)", "log(a - a**2) + 1", "--json")
    out = json.loads(a.stdout)
    assert a.returncode == 1 and "0 < a < 1" in out["domain"]
    assert 0 < Fraction(out["counterexample"]["a"]) < 1


def test_prime_notation_and_relu_convention_note():
    r = gradproof("relu'(z)", "Heaviside(z)")
    assert r.returncode == 1
    assert "z = 0" in r.stdout and "note:" in r.stdout and "ReLU′(0) = 0" in r.stdout
    assert gradproof("σ′(z)", "σ(z)*(1 − σ(z))").returncode == 0


def test_help_says_what_proved_means_and_that_e_is_eulers_number():
    r = gradproof("--help")
    text = " ".join(r.stdout.split())
    assert "every real value of the symbols (within the assumptions) at which both sides are defined" in text
    assert "Euler's number" in text


def test_an_internal_error_is_exit_4_never_refuted(monkeypatch, capsys):
    from gradproof.cli import main

    # the module (`derive.verify`, the attribute, is the function)
    module = importlib.import_module("gradproof.derive.claims.verify")

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(module, "verify", broken)
    assert main(["verify", "x", "x"]) == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error" in err


# --- the notation reader (issue 16) -----------------------------------------------------------------

def test_one_equation_in_latex_with_what_was_read_first():
    r = gradproof(r"\frac{d}{dz}\sigma(z) = \sigma(z)(1-\sigma(z))")
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[0] == "read as: ∂/∂z (σ(z)) = σ(z)·(1 − σ(z))"


def test_read_as_is_in_the_json_and_a_kink_is_undecided_unless_assumed_away():
    r = gradproof("Abs'(x)**2", "1", "--json")
    assert r.returncode == 3 and json.loads(r.stdout)["read_as"] == "Abs′(x)² = 1"
    assert gradproof("Abs'(x)**2", "1", "--assume", "x != 0").returncode == 0


def test_a_chain_is_bad_input_for_verify():
    r = gradproof("x = y = x")
    assert r.returncode == 2 and "proofread" in r.stderr and len(r.stderr.strip().splitlines()) == 1


# --- the book's network (issue 16 §2) ---------------------------------------------------------------

def test_verify_network_proves_bp3_from_the_issues_bare_letters_and_shows_what_was_read():
    r = gradproof("--network", "diff(C, b)", "delta")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "read as: ∂C/∂b^l_j = δ^l_j"
    assert "the book's network (any depth L, widths n_l" in r.stdout
    assert "proved  by theorems bp3 as rules" in r.stdout and "for every depth L and widths n_l" in r.stdout


def test_verify_network_refutes_a_slip_with_every_number_of_the_network():
    r = gradproof("--network", "--cost", "cross_entropy", r"\delta^L_j = (a^L_j - y_j)\sigma'(z^L_j)", "--json")
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)
    assert out["status"] == "refuted" and out["method"] == "explicit network 2-3-2"
    names = set(out["counterexample"])
    assert {"j", "x_1", "x_2", "y_1", "w^2_11", "w^3_13", "b^2_3", "b^3_1"} <= names  # the whole 2-3-2 network
    assert all(Fraction(v) == Fraction(v) for v in out["counterexample"].values())
    assert "σ the logistic function" in out["detail"] and out["lhs_value"] != out["rhs_value"]


@pytest.mark.parametrize("args,message", [
    (("--network", "--cost", "bogus", "C = C"), "unknown cost 'bogus'"),
    (("--network", "--let", "z = 1", "C = C"), "--let and --assume are not read with --network"),
    (("--network", "diff(C, w) = 0"), "a bare w is not read in the network"),
    (("--network", "x = x"), "names no quantity of the network"),
])
def test_verify_network_bad_input_exits_2_in_one_line(args, message):
    r = gradproof(*args)
    assert r.returncode == 2 and message in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
