"""verify behind the notation reader (issue 16): the issue's table, what a reading means, and the
verdict's ``read as`` line.  Oracles: SymPy's own summation and combinatorics, exact values."""
from __future__ import annotations

import pytest
import sympy as sp

from gradproof.derive.claims.meaning import independent_terms, meaning, read_claim, side_meaning
from gradproof.derive.claims.reader import read
from gradproof.derive.claims.verify import verify

x, w, C0, n = (sp.Symbol(s, real=True) for s in ("x", "w", "C0", "n"))

#: The issue's table: (lhs, rhs or None, keyword arguments, the verdict the reader meant, read as).
TABLE = [
    (r"\frac{1}{1+e^{-z}}", "sigma(z)", {}, "proved", "1/(1 + e^(−z)) = σ(z)"),
    (r"\sigma(z)(1-\sigma(z))", "sigma'(z)", {}, "proved", "σ(z)·(1 − σ(z)) = σ′(z)"),
    ("(1 - ηλ/n)*w", "w - η*λ*w/n", {}, "proved", "(1 − η·λ/n)·w = w − η·λ·w/n"),
    ("w₁x₁", "w1*x1", {}, "proved", "w₁·x₁ = w₁·x₁"),
    ("a_j^L - y_j", "a^L_j - y_j", {}, "proved", "a^L_j − y_j = a^L_j − y_j"),
    ("Abs'(x)**2", "1", {}, "undecided", "Abs′(x)² = 1"),
    ("Abs'(x)**2", "1", {"assume": ["x != 0"]}, "proved", "Abs′(x)² = 1"),
    ("w - η*diff(C_0(w) + λ/(2*n)*w^2, w)", "(1 - η*λ/n)*w - η*diff(C_0(w), w)", {}, "proved",
     "w − η·(∂/∂w (C₀(w) + λ·w²/(2n))) = (1 − η·λ/n)·w − η·(∂C₀(w)/∂w)"),
    ("tanh(z) = 2*σ(2*z) - 1", None, {}, "proved", "tanh(z) = 2σ(2z) − 1"),
    ("binomial(n-1, m-1)/binomial(n, m)", "m/n", {}, "proved",
     "binomial(n − 1, m − 1)/binomial(n, m) = m/n"),
    ("Sum(k, (k, 1, n))", "n*(n + 1)/2", {}, "proved", "∑_{k=1}^{n} k = n·(n + 1)/2"),
]


@pytest.mark.parametrize("lhs,rhs,kw,status,read_as", TABLE)
def test_the_issues_table_gets_what_the_reader_meant(lhs, rhs, kw, status, read_as):
    v = verify(lhs, rhs, **kw)
    assert (v.status, v.read_as) == (status, read_as), v.detail


def test_a_bare_symbol_differentiated_to_zero_is_said():
    v = verify("w - η*diff(C0 + λ/(2*n)*w^2, w)", "(1 - η*λ/n)*w - η*diff(C0, w)")
    assert v.status == "proved" and "C₀ does not depend on w here" in v.note
    bare = verify("diff(C, b)", "delta")  # the book's network as context (§2) is not here yet
    assert bare.status == "refuted" and "C does not depend on b here" in bare.note
    assert verify("diff(x*y, x)", "y").note == ""  # y is a factor, not a term differentiated to 0


def test_independent_terms_are_the_bare_symbols_without_the_variable():
    assert independent_terms(C0 + w**2 / 2 - 3 * n, w) == [C0, n]
    assert independent_terms(C0 * w + x, w) == [x]


@pytest.mark.parametrize("latex,plain", [
    (r"\sum_{k=1}^{n} k^2", "n*(n + 1)*(2*n + 1)/6"),
    (r"\binom{n}{2}", "n*(n - 1)/2"),
    (r"\frac{(n+1)!}{n!}", "n + 1"),
    (r"\frac{\partial}{\partial w}\left(\frac{\lambda}{2n} w^2\right)", "λ*w/n"),
    (r"\frac{d}{dz}\tanh z", r"1 - \tanh^2 z"),
])
def test_latex_calculus_and_counting_are_proved(latex, plain):
    assert verify(latex, plain).status == "proved"


def test_sums_binomials_and_factorials_mean_sympys_values():
    k = sp.Symbol("k", integer=True, positive=True)
    m = meaning(read(r"\sum_{k=1}^{n} k^3").expr, "lhs")
    assert sp.expand(m.expr - sp.summation(k**3, (k, 1, n))) == 0
    for value in range(1, 8):  # exact oracle: the sum itself
        assert m.expr.subs(n, value) == sum(j**3 for j in range(1, value + 1))
    assert side_meaning("binomial(7, 3)", "lhs").expr == 35


def test_the_domain_is_read_off_the_side_as_written():
    # √x·√x folds to x, x/x to 1: the parts still say x ≥ 0 and x ≠ 0
    assert sp.sqrt(x) in [p.doit() for p in side_meaning("sqrt(x)*sqrt(x)", "lhs").parts]
    assert side_meaning("x/x", "lhs").expr == 1 and side_meaning("x/x", "lhs").parts
    assert verify("x/x", "1").status == "proved"
    assert verify("sqrt(x)^2", "x").status == "proved"
    assert verify(r"\ln e^x", "x").status == "proved"


def test_primes_record_kinks_as_diff_does():
    prime, diff = side_meaning("Abs'(x)", "lhs"), side_meaning("diff(Abs(x), x)", "lhs")
    assert prime.expr == diff.expr and prime.kinks == diff.kinks == [x]
    assert side_meaning("tanh'(x)", "lhs").kinks == []
    assert verify("relu'(z)", "Heaviside(z, 0)").status == "proved"  # the convention, not a kink


def test_definitions_go_inside_derivatives_before_differentiating():
    v = verify(r"\frac{\partial}{\partial w} \sigma(z)", r"x \sigma(z)(1 - \sigma(z))", let=["z = w*x + b"])
    assert v.status == "proved"


@pytest.mark.parametrize("lhs,rhs,message", [
    ("x = y = z", None, "one equation"),
    ("x < y", None, "one equation"),
    ("x = y", "y", "lhs: expected one expression"),
    (r"\frac{1}{x", "x", "lhs 1:"),
    ("x", "z^l", "whole layer"),
    ("x[0]", "0", "reads like indexing"),
])
def test_what_verify_does_not_take_is_one_line_naming_the_side(lhs, rhs, message):
    with pytest.raises(ValueError, match=message) as err:
        verify(lhs, rhs)
    assert "\n" not in str(err.value)


def test_read_claim_shows_what_was_read():
    assert read_claim(r"\eta\lambda = λη")[2] == "η·λ = λ·η"
    assert read_claim(x, "2x")[2] == "x = 2x"


#: verify's traps with sums and indices: (lhs, rhs, let, the verdict, its rule).
SUM_TRAPS = [
    (r"\sum_{k=1}^{3} a_k", "a_1 + a_2 + a_3", [], "proved", "a sum with numbers as bounds is written out"),
    (r"\sum_{k=1}^{3} a_k", "a_1 + a_2", [], "refuted", "…and its terms are the a_1 typed"),
    (r"\sum_k a_k", r"\sum_j a_j", [], "undecided", "no values for a sum over a_k (its size is the network's)"),
    (r"\sum_k a_k", "a_k", [], "undecided", "never a counterexample that gives a_k one value"),
    (r"\sum_k 2 a_k", r"2\sum_k a_k", [], "proved", "an exact reduction still proves it"),
    (r"\frac{\partial z^l_j}{\partial b^l_j}", "1", [r"z^l_j = \sum_k w^l_{jk} a^{l-1}_k + b^l_j"], "proved",
     "a definition is substituted before differentiating"),
    (r"\frac{\partial z^l_j}{\partial w^l_{jk}}", "a^{l-1}_k + 1", [r"z^l_j = \sum_k w^l_{jk} a^{l-1}_k + b^l_j"],
     "refuted", "a definition's k is its own (k′): the free k is not captured, the +1 is refuted"),
]


@pytest.mark.parametrize("lhs,rhs,lets,status,rule", SUM_TRAPS)
def test_sum_and_index_traps(lhs, rhs, lets, status, rule):
    from gradproof.derive.claims.meaning import read_definition

    v = verify(lhs, rhs, let=[read_definition(t) for t in lets])
    assert v.status == status, (rule, v.detail)


def test_a_let_in_the_books_notation():
    v = verify(r"\frac{\partial}{\partial w}\sigma(z)", r"x\sigma(z)(1-\sigma(z))", let=["z = w x + b"])
    assert v.status == "proved"
    assert verify("diff(z, x)", "η", let=[r"z = \eta x"]).status == "proved"
    with pytest.raises(ValueError, match="could not be parsed"):  # the plain parser's message
        verify("x", "x", let=["z = ("])


def test_each_speed_pair_is_one_claim_read_two_ways():
    """The claims ``gradproof bench`` times typed in LaTeX and in plain text (its LaTeX/plain
    target, measured there, not here): each pair gets the same verdict both ways."""
    from gradproof.numerics.bench.claims import PAIRS

    statuses = [(verify(*plain).status, verify(*latex).status) for plain, latex in PAIRS]
    assert statuses == [("proved", "proved"), ("proved", "proved"), ("refuted", "refuted")]  # L1 slip
