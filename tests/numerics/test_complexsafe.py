"""numerics.complexsafe: ln(e^x + e^y) in complex arithmetic, against numpy and 40-digit mpmath.

And the reason it exists: the textbook cross-entropy kernel printed with it gives the complex step
of C = softplus(z) − yz, where the book's −y ln σ(z) − (1 − y) ln(1 − σ(z)) lost ε·e^z to the
cancellation in 1 − σ(z) (the complex-step false alarms of ``gradproof check --activation "z^2"``).
"""
from __future__ import annotations

import mpmath
import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gradproof.numerics import codegen
from gradproof.numerics.complexsafe import logaddexp

finite = dict(allow_nan=False, allow_infinity=False, allow_subnormal=False)
H = 1e-20


def sigma(v: float) -> float:
    with mpmath.workdps(40):
        return float(1 / (1 + mpmath.exp(-mpmath.mpf(v))))


@settings(max_examples=60, deadline=None)
@given(st.floats(-800, 800, **finite), st.floats(-800, 800, **finite))
@example(0.0, 0.0).via("equal arguments")
@example(745.0, -745.0).via("where e^x overflows")
def test_real_values_are_numpys_logaddexp(u, v):
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        got = logaddexp(np.array([u]), np.array([v]))[0]
    assert np.isclose(got, np.logaddexp(u, v), rtol=1e-15, atol=1e-300)


@settings(max_examples=60, deadline=None)
@given(st.floats(-800, 800, **finite))
@example(0.0)
@example(40.0).via("σ saturated: the book's 1 − σ(z) is 4e-18, below ε")
@example(-745.0).via("e^z underflows")
def test_the_complex_step_of_softplus_is_sigma_to_rounding(v):
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):
        d = np.imag(logaddexp(0, np.array([v + 1j * H])))[0] / H
    want = sigma(v)
    assert abs(d - want) <= 4e-16 * want + 1e-300, (v, d, want)


def test_the_textbook_cross_entropy_is_exact_where_the_books_form_cancelled():
    """∂C/∂z = σ(z) − y at z = 34 (the value gradproof check met with z² hidden layers): the
    complex step of the printed textbook cost is exact; the book's form is off by 3.5 %."""
    k = codegen.kernels("cross_entropy", "sigmoid", textbook=True)
    z, y = 34.0, 0.074
    d = np.imag(k.cost_terms(np.array([[z + 1j * H]]), np.array([[y]])))[0, 0] / H
    assert abs(d - (sigma(z) - y)) <= 4e-16
    t = 1 / (1 + np.exp(-(z + 1j * H)))  # what the book's form computed
    book = np.imag(-y * np.log(t) - (1 - y) * np.log(1 - t)) / H
    assert abs(book - (sigma(z) - y)) > 0.01


def test_the_textbook_log_likelihood_is_exact_where_the_books_form_underflowed():
    """∂C/∂z for C = −ln(e^{z_0}/Σ e^{z_k}) is softmax(z) − e_0: at z = (0, 700, 0) that is
    (−1, 1, 0) to 1e-304.  The book's form took the log of e^{−700}, whose imaginary part (1e-20 of
    it) is below the smallest normal number: the complex step read garbage there."""
    k = codegen.kernels("log_likelihood", "sigmoid", textbook=True)
    y = np.array([[1.0, 0.0, 0.0]])
    for j, want in enumerate((-1.0, 1.0, 0.0)):
        z = np.array([[0.0, 700.0, 0.0]], dtype=complex)
        z[0, j] += 1j * H
        d = np.imag(k.cost_terms(z, y).sum()) / H
        assert abs(d - want) <= 1e-15, (j, d)
        book = np.imag(-np.sum(y * np.log(np.exp(z) / np.exp(z).sum()))) / H
        if j == 0:
            assert abs(book - want) > 1e-6  # what the book's form gave
