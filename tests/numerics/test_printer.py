"""numerics.printer: printed code evaluates to what SymPy says the expression is."""
from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gradproof.numerics.printer import KernelPrinter, enclosed, lines, row_form, rowmax, rowsum

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


def test_logaddexp_is_numpys_in_training_kernels_and_the_complex_safe_one_in_textbook_kernels():
    from sympy.codegen.numpy_nodes import logaddexp

    assert KernelPrinter().doprint(logaddexp(0, x)) == "numpy.logaddexp(0, x)"
    assert KernelPrinter(textbook=True).doprint(logaddexp(0, -x)) == "logaddexp(0, -x)"


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


def test_batched_z_and_mean_print_like_the_book_and_evaluate_right():
    """1 bᵀ prints as the 1-D bias broadcast over the rows, after the product (z = a @ w.T + b, even
    when SymPy lists the broadcast first); 1ᵀ c 1/m as c.sum()/m.  Checked against numpy loops."""
    m, n, k = sp.symbols("m n k", integer=True, positive=True)
    A, W, b, c = (sp.MatrixSymbol("A", m, k), sp.MatrixSymbol("W", n, k), sp.MatrixSymbol("b", n, 1),
                  sp.MatrixSymbol("c", m, n))
    z = A * W.T + sp.OneMatrix(m, 1) * b.T
    p = KernelPrinter(names={"A": "a", "W": "w"})
    assert p.doprint(z) == "a @ w.T + b"
    assert p.doprint(sp.MatAdd(sp.OneMatrix(m, 1) * b.T, A * W.T, evaluate=False)) == "a @ w.T + b"
    last = KernelPrinter(names={"A": "a", "W": "weights[-1]", "b": "biases[-1]"})
    assert last.doprint(z) == "a @ weights[-1].T + biases[-1]"  # a subscripted name needs no parentheses
    mean = sp.OneMatrix(1, m) * c * sp.OneMatrix(n, 1) / m
    assert p.doprint(mean) == "c.sum()/m"
    assert p.doprint(2 * sp.OneMatrix(1, m) * c * sp.OneMatrix(n, 1)) == "2*c.sum()"
    rng = np.random.default_rng(1)
    env = dict(a=rng.standard_normal((4, 3)), w=rng.standard_normal((2, 3)), b=rng.standard_normal(2),
               c=rng.standard_normal((4, 2)), m=4)
    want = np.array([env["w"] @ env["a"][x] + env["b"] for x in range(4)])  # eq. (25), one example at a time
    np.testing.assert_allclose(run(p.doprint(z), **env), want, rtol=1e-14)
    assert np.isclose(run(p.doprint(mean), **env), sum(env["c"][x].sum() for x in range(4)) / 4, rtol=1e-14)


def test_row_form_puts_an_index_form_row_in_the_row_layout():
    zb, k, j, n = sp.IndexedBase("z"), sp.Idx("k"), sp.Idx("j"), sp.Symbol("n", integer=True)
    row = sp.Symbol("z", real=True)
    e = sp.exp(zb[j]) / sp.Sum(sp.exp(zb[k]), (k, 1, n))
    assert row_form(e, zb, row) == sp.exp(row) / rowsum(sp.exp(row))
    code = KernelPrinter().doprint(row_form(sp.log(sp.Sum(sp.exp(zb[k] - x), (k, 1, n))), zb, row))
    assert code == "numpy.log(numpy.exp(z - x).sum(axis=1, keepdims=True))"
    zs = np.array([[0.5, -1.0, 2.0], [3.0, 3.0, -7.0]])
    got = run(KernelPrinter().doprint(row_form(e, zb, row)), z=zs)
    want = [[float(sp.exp(u) / sum(sp.exp(v) for v in r)) for u in r] for r in zs.tolist()]
    np.testing.assert_allclose(got, want, rtol=1e-14)


@pytest.mark.parametrize("bad", [
    lambda zb, k, n: sp.Sum(sp.exp(zb[k]), (k, 2, n)),                 # not the whole row
    lambda zb, k, n: sp.Sum(k * sp.exp(zb[k]), (k, 1, n)),             # the index outside z[k]
    lambda zb, k, n: zb[k] + sp.IndexedBase("y")[k],                   # another indexed base
    lambda zb, k, n: sp.Sum(zb[k], (k, 1, n)) + sp.Sum(zb[k], (k, 1, 2 * n)),  # two widths
])
def test_row_form_refuses_what_is_not_one_row(bad):
    zb, k, n = sp.IndexedBase("z"), sp.Idx("k"), sp.Symbol("n", integer=True)
    with pytest.raises(ValueError, match="row_form"):
        row_form(bad(zb, k, n), zb)


@pytest.mark.parametrize("c,code", [(sp.Symbol("eta"), "eta"), (sp.Float(0.5), "0.500000000000000"), (sp.Integer(3), "3"),
                                    (-sp.Symbol("eta"), "(-eta)"), (sp.Symbol("eta") / sp.Symbol("m"), "(eta/m)"),
                                    (sp.Rational(1, 2), "(1/2)"), (sp.Integer(-2), "(-2)")])
def test_a_scalar_factor_is_bare_only_when_it_multiplies_safely(c, code):
    """``scalar`` (shared by codegen and fused): ``{scalar}*X`` must mean c·X for any X."""
    printed = KernelPrinter().scalar(c)
    assert printed == code
    X = np.array([[1.0, -2.0], [3.0, 0.25]])
    value = float(c.subs({"eta": 0.7, "m": 4}))
    np.testing.assert_allclose(run(f"{printed}*X - X", X=X, eta=0.7, m=4), value * X - X)
