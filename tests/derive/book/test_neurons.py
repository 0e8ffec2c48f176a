"""derive.book.neurons: exact proofs, and an independent 50-digit mpmath cross-check of each claim."""
from fractions import Fraction

import mpmath as mp
import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gradproof import derive
from gradproof.derive.book.activations import ACTIVATIONS, z
from gradproof.derive.core.display import shown, statement_latex

from ..oracle import assert_proved_exactly, assert_well_formed, close, mp50, mpf, mpfunc, sig

IDS = ["perceptron_bias", "perceptron_limit", "sigmoid_output", "sigmoid_prime"]
reals = st.floats(-50, 50, allow_nan=False)


@pytest.mark.parametrize("id", IDS)
def test_proved_exactly(id):
    assert_proved_exactly(id)


@pytest.mark.parametrize("id", IDS)
def test_well_formed(id):
    idy = assert_well_formed(id)
    assert idy.group == "neurons"


def test_equation_numbers():
    assert derive.REGISTRY["perceptron_bias"].equation == "(2)"
    assert derive.REGISTRY["sigmoid_output"].equation == "(4)"


# --- perceptron_bias: w·x ≤ threshold  ⇔  w·x + b ≤ 0 with b = −threshold ----------------------

@settings(max_examples=60, deadline=None)
@given(st.fractions(-10, 10), st.fractions(-10, 10))
@example(Fraction(1, 3), Fraction(1, 3))  # on the threshold
@example(Fraction(0), Fraction(0))
def test_perceptron_bias_oracle(wx, threshold):
    b = -threshold
    assert (wx <= threshold) == (wx + b <= 0)
    # both sides of the statement's equivalence, evaluated at these exact values (b = −threshold)
    equiv, _ = derive.REGISTRY["perceptron_bias"].statement
    names = {"w\\cdot{x}": wx, "\\mathrm{threshold}": threshold, "b": b}
    for rel in equiv.args:
        subs = {s: sp.Rational(names[s.name].numerator, names[s.name].denominator)
                for s in rel.free_symbols}
        assert bool(rel.xreplace(subs)) == (wx <= threshold)


# --- perceptron_limit: σ(cz) → 1 (z > 0), 0 (z < 0), σ(0) = 1/2 ---------------------------------

@settings(max_examples=40, deadline=None)
@given(st.floats(-30, 30, allow_nan=False).filter(lambda v: abs(v) > 1e-6))
@example(30.0)
@example(-30.0)
@example(1e-6 * 1.5)
@mp50
def test_perceptron_limit_oracle(zv):
    zz = mpf(zv)
    c = 200 / abs(zz)  # |cz| = 200: within e^{-200} of the limit
    # distance to the limit: 1 − σ(cz) = σ(−cz) for z > 0, σ(cz) for z < 0 (no cancellation)
    gap = (lambda cc: sig(-cc * zz)) if zz > 0 else (lambda cc: sig(cc * zz))
    err1, err2 = gap(c), gap(2 * c)
    assert err1 < mp.mpf("1e-80") and err2 < err1  # and still approaching
    assert sig(c * 0) == mp.mpf(1) / 2


# --- sigmoid_output: σ(Σ w_j x_j + b) = 1/(1 + exp(−Σ w_j x_j − b)) --------------------------

@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(reals, reals), min_size=1, max_size=5), reals)
@example([(0.0, 0.0)], 0.0)
@example([(6.0, 5.0)], 0.0)  # z = 30
@example([(-6.0, 5.0)], 0.0)  # z = -30
@mp50
def test_sigmoid_output_oracle(wx, b):
    eq = derive.REGISTRY["sigmoid_output"].statement[0]
    k = len(wx)
    n = next(s for s in eq.free_symbols if s.name == "n")
    lhs, rhs = eq.lhs.subs(n, k).doit(), eq.rhs.subs(n, k).doit()
    w = sp.IndexedBase("w")
    x = sp.IndexedBase("x")
    bs = next(s for s in eq.free_symbols if s.name == "b")
    args = [bs] + [w[i] for i in range(1, k + 1)] + [x[i] for i in range(1, k + 1)]
    vals = [mpf(b)] + [mpf(p[0]) for p in wx] + [mpf(p[1]) for p in wx]
    zz = mp.fsum(mpf(p) * mpf(q) for p, q in wx) + mpf(b)
    expected = sig(zz)
    assert close(mpfunc(args, lhs)(*vals), expected)
    assert close(mpfunc(args, rhs)(*vals), expected)


# --- sigmoid_prime: σ′ = σ(1−σ), max σ′ = σ′(0) = 1/4 -----------------------------------------

@settings(max_examples=50, deadline=None)
@given(st.floats(-40, 40, allow_nan=False))
@example(0.0)
@example(30.0)
@example(-30.0)
@mp50
def test_sigmoid_prime_oracle(zv):
    zz = mpf(zv)
    numeric = mp.diff(sig, zz)  # numeric derivative of the hand-written σ
    assert close(numeric, sig(zz) * sig(-zz))  # σ(1 − σ), with 1 − σ(z) = σ(−z)
    prime = mpfunc([z], ACTIVATIONS["sigmoid"].prime_at(z))  # a(1 − a) at a = σ(z), as derived
    assert close(prime(zz), numeric)
    assert numeric <= mp.mpf(1) / 4
    if abs(zz) > mp.mpf("1e-20"):  # σ′(z) = 1/4 − z²/16 + ..., below 1/4 at 50 digits
        assert numeric < mp.mpf(1) / 4
    else:
        assert close(numeric, mp.mpf(1) / 4)


def test_the_sigmoid_class_derivative_is_tied_to_the_proof(monkeypatch):
    """Other proofs differentiate through sigmoid.fdiff; sigmoid_prime must fail if it is wrong."""
    from gradproof.derive.book.activations import sigmoid
    monkeypatch.setattr(sigmoid, "fdiff",
                        lambda self, argindex=1: sigmoid(self.args[0]) * (1 + sigmoid(self.args[0])))
    outcomes = [ob() for ob in derive.REGISTRY["sigmoid_prime"].build().obligations]
    assert any(o.status == "refuted" for o in outcomes)


# --- display forms (written beside the theorems; each proved equal to its statement) -----------

def test_sigmoid_prime_is_shown_as_the_book_writes_it():
    idy = derive.REGISTRY["sigmoid_prime"]
    assert shown(idy).is_display == (True, False, True)  # the bound σ′ ≤ 1/4 as it is
    tex = statement_latex(idy)
    assert tex[0] == r"\sigma'\left(z\right) = \sigma\left(z\right) \left(1 - \sigma\left(z\right)\right)"
    assert tex[2] == r"\sigma'\left(0\right) = \frac{1}{4}"


def test_the_perceptron_and_the_sigmoid_neuron_are_shown_in_the_book_order():
    assert all(shown(derive.REGISTRY["perceptron_bias"]).is_display)
    assert statement_latex(derive.REGISTRY["perceptron_bias"])[0] == (
        r"w\cdot{x} \leq \mathrm{threshold} \Leftrightarrow w\cdot{x} + b \leq 0")
    out = statement_latex(derive.REGISTRY["sigmoid_output"])[0]
    assert out.startswith(r"\sigma\left(\sum_{j=1}^{n} {w}_{j} {x}_{j} + b\right) = \frac{1}{1 + e^{- \sum")
