"""numerics.printer: printed code evaluates to what SymPy says the expression is."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from numerics.printer import KernelPrinter, enclosed, lines, rowmax, rowsum

x, w = sp.symbols("x w", real=True)
finite = dict(allow_nan=False, allow_infinity=False, allow_subnormal=False)


def run(code: str, **env):
    return eval(code, {"numpy": np}, env)


EXPRS = [1 / (1 + sp.exp(-x)), (x - 1) ** 2 / 2, sp.tanh(x / 2) / 2 + sp.S.Half, sp.Max(0, x),
         sp.Heaviside(x, 0), sp.Abs(x) * 3, 1 - x ** 2, sp.log(2 + x ** 2) / (3 + x)]


@settings(max_examples=30, deadline=None)
@given(st.floats(-5, 5, **finite))
@example(0.0).via("the kinks: Max, Heaviside and Abs at 0")
def test_printed_expressions_evaluate_like_sympy(v):
    for textbook in (False, True):
        p = KernelPrinter(textbook)
        for e in EXPRS:
            got = run(p.doprint(e), x=np.array([v]))[0]
            want = float(e.subs(x, sp.Float(v, 30)).evalf(30)) if v != 0 or e.func != sp.Heaviside else 0.0
            assert np.isclose(complex(got).real, want, rtol=1e-14, atol=1e-14), (e, textbook)  # 1 - x²: cancels


def test_lean_forms():
    p = KernelPrinter()
    assert p.doprint(1 / (1 + sp.exp(-x))) == "1/(1 + numpy.exp(-x))"
    assert p.doprint(sp.Heaviside(x, 0)) == "(x > 0)"
    assert p.doprint(sp.Max(0, x)) == "numpy.maximum(x, 0)"
    assert KernelPrinter(textbook=True).doprint(sp.Max(0, x)) == "numpy.where(x.real > 0, x, 0)"
    assert KernelPrinter(textbook=True).doprint(sp.Abs(w)) == "(w*numpy.sign(w.real))"
    assert p.doprint(rowsum(sp.exp(x))) == "numpy.exp(x).sum(axis=1, keepdims=True)"
    with pytest.raises(NotImplementedError):
        p.doprint(sp.Heaviside(x, sp.S.Half))


def test_complex_textbook_forms_are_analytic_away_from_kinks():
    """The complex step through the textbook printing gives the derivative."""
    p = KernelPrinter(textbook=True)
    h = 1e-20
    for e in (sp.Max(0, x), sp.Abs(x)):
        code = p.doprint(e)
        for v in (-1.5, 0.7):
            d = run(code, x=np.array([v + 1j * h]))[0].imag / h
            assert d == float(sp.diff(e, x).subs(x, v))


def test_matrix_printing():
    m, n, k = sp.symbols("m n k", integer=True, positive=True)
    D, W, A = sp.MatrixSymbol("D", m, n), sp.MatrixSymbol("W", k, n), sp.MatrixSymbol("A", m, k)
    p = KernelPrinter(names={"D": "delta"})
    assert p.doprint(sp.HadamardProduct(A * W, D)) == "(A @ W)*delta"
    assert p.doprint(D.T * A / m) == "(1/m)*delta.T @ A"
    assert p.doprint(sp.OneMatrix(1, m) * D / m) == "(1/m)*delta.sum(axis=0)"
    rng = np.random.default_rng(0)
    env = dict(delta=rng.standard_normal((3, 2)), A=rng.standard_normal((3, 4)), m=3)
    np.testing.assert_allclose(run(p.doprint(D.T * A / m), **env), env["delta"].T @ env["A"] / 3)


def test_lines_uses_common_subexpressions():
    e = -(sp.Symbol("y") * sp.log(1 / (1 + sp.exp(-x))) + (1 - sp.Symbol("y")) * sp.log(1 - 1 / (1 + sp.exp(-x))))
    out = lines("c", e, KernelPrinter(), "note")
    assert len(out) == 2 and out[0].startswith("t0 = 1/(1 + numpy.exp(-x))") and out[1].endswith("# note")
    first, second = lines("s", rowmax(x) + rowmax(x) ** 2, KernelPrinter())
    assert first == "t0 = x.max(axis=1, keepdims=True)" and second == "s = t0 + t0**2"


def test_enclosed():
    assert enclosed("(a + b)") and enclosed("((a))")
    assert not enclosed("(a) + (b)") and not enclosed("a")
