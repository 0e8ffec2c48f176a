"""derive.claims.reader: the book's notation read as written, in LaTeX, Unicode and plain text.

Oracles, independent of the reader: SymPy expressions built by hand (each construct's table row),
today's parser ``derive.claims.parse`` for the plain dialect (everything it reads must read the
same), ``sympy.latex`` for random expressions (printed by SymPy, read back), and the grammar itself
as a generator (``hypothesis.extra.lark.from_lark``): every drawn text is read or refused in one
line, and what was read, printed back in the book's notation and read again, is the same.
"""
from __future__ import annotations

import re
import warnings
from importlib import resources

import pytest
import sympy as sp
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark.grammar import Terminal

from gradproof.derive.book.activations import relu, sigmoid
from gradproof.derive.claims.parse import RELU_PRIME_AT_0, parse
from gradproof.derive.claims.quantities import Layer, unwritten_bound
from gradproof.derive.claims.reader import ReadError, parser, read, shown, value
from gradproof.derive.claims.reading import MAX_CHARS, deep_recursion

from . import test_verify

with warnings.catch_warnings():  # the parser of Python's own regular expressions, for _language
    warnings.simplefilter("ignore", DeprecationWarning)
    import sre_constants as _codes
    import sre_parse as _re_parse

R = {name: sp.Symbol(name, real=True) for name in
     "a b c d m n v w x y z A B C C0 L eta lambda Delta r u p q ax".split()}
a, b, c, m, n, v, w, x, y, z, C, C0 = (R[k] for k in "a b c m n v w x y z C C0".split())
eta, lam = R["eta"], R["lambda"]
j, k, l, L = (sp.Symbol(s, integer=True, positive=True) for s in "j k l L".split())
t = sp.Dummy("t", real=True)


def base(name: str) -> sp.IndexedBase:
    return sp.IndexedBase(name, real=True)


def prime(f, arg, order: int = 1) -> sp.Expr:
    """f′(arg), SymPy's own form of a derivative at a point."""
    return sp.Subs(sp.Derivative(f(t), (t, order)), t, arg)


def read_value(text: str) -> sp.Expr:
    return read(text).values()[0]


# --- what it reads: each construct against an expression built by hand ------------------------

CONSTRUCTS = [
    # fractions and derivatives
    (r"\frac{1}{1+e^{-z}}", 1 / (1 + sp.exp(-z))),
    (r"\dfrac{a}{b} + \tfrac{1}{2}", a / b + sp.Rational(1, 2)),
    (r"\frac{d}{dz}(z^2)", sp.Derivative(z**2, z)),
    (r"\frac{d}{dz}\sigma(z)", sp.Derivative(sigmoid(z), z)),
    (r"\frac{dy}{dx}", sp.Derivative(y, x)),
    (r"\frac{d^2}{dz^2} \tanh z", sp.Derivative(sp.tanh(z), (z, 2))),
    (r"\frac{\partial C}{\partial w}", sp.Derivative(C, w)),
    (r"\frac{\partial}{\partial w}\left(C_0 + \frac{\lambda}{2n} w^2\right)",
     sp.Derivative(C0 + lam * w**2 / (2 * n), w)),
    (r"\frac{\partial^2 C}{\partial w^2}", sp.Derivative(C, (w, 2))),
    (r"\frac{\partial^2 C}{\partial w \partial b}", sp.Derivative(C, w, b)),
    ("∂C/∂w", sp.Derivative(C, w)),
    ("∂²C/∂w²", sp.Derivative(C, (w, 2))),
    ("η ∂C/∂w", eta * sp.Derivative(C, w)),
    ("∂/∂w (w^2 + 1)", sp.Derivative(w**2 + 1, w)),
    ("diff(sigma(z), z, 2)", sp.Derivative(sigmoid(z), (z, 2))),
    ("Derivative(tanh(z), z)", sp.Derivative(sp.tanh(z), z)),
    # functions
    (r"\sigma(z)", sigmoid(z)),
    (r"\sigma'(z)", prime(sigmoid, z)),
    ("σ′(z)", prime(sigmoid, z)),
    ("sigma''(2*z)", prime(sigmoid, 2 * z, 2)),
    ("sigma_prime(z)", prime(sigmoid, z)),
    (r"\tanh^2 z", sp.tanh(z)**2),
    (r"\ln a + \log(b)", sp.log(a) + sp.log(b)),
    (r"\exp(-z)", sp.exp(-z)),
    (r"e^{w x + b}", sp.exp(w * x + b)),
    (r"\sqrt{x} + \sqrt[3]{y}", sp.sqrt(x) + sp.cbrt(y)),
    ("√(x + 1)", sp.sqrt(x + 1)),
    ("|x - y|", sp.Abs(x - y)),
    (r"\left| x \right|", sp.Abs(x)),
    (r"\|v\|^2", v**2),  # the norm of a scalar is its absolute value
    ("‖v‖", sp.Abs(v)),
    (r"\operatorname{sgn}(x)", sp.sign(x)),
    (r"\max(a, b) - \min(a, b)", sp.Max(a, b) - sp.Min(a, b)),
    (r"\operatorname{ReLU}(z)", relu(z)),
    (r"\mathrm{ReLU}(z) + relu(z)", 2 * relu(z)),
    # sums, binomials, factorials
    (r"\sum_{k=1}^{n} k", sp.Sum(k, (k, 1, n))),
    (r"\sum_{k=1}^n a_k", sp.Sum(base("a")[k], (k, 1, n))),
    (r"\sum_k a_k", sp.Sum(base("a")[k], (k, 1, unwritten_bound(k)))),
    ("Σ_k a_k", sp.Sum(base("a")[k], (k, 1, unwritten_bound(k)))),
    (r"\sum_x C_x", sp.Sum(base("C")[sp.Symbol("x", integer=True, positive=True)],
                           (sp.Symbol("x", integer=True, positive=True), 1,
                            unwritten_bound(sp.Symbol("x", integer=True, positive=True))))),
    ("Sum(k, (k, 1, n))", sp.Sum(k, (k, 1, n))),
    (r"\binom{n}{m}", sp.binomial(n, m)),
    ("binomial(n-1, m-1)/binomial(n, m)", sp.binomial(n - 1, m - 1) / sp.binomial(n, m)),
    ("n! + factorial(m) + (n-1)!", sp.factorial(n) + sp.factorial(m) + sp.factorial(n - 1)),
    # operators
    (r"a \cdot b + a \times b + a·b + a×b + a*b", 5 * a * b),
    (r"a \odot b", a * b),  # ⊙ of scalars is their product
    ("a ÷ b - a/b", sp.S.Zero),
    # delimiters and spacing
    (r"\left( a + b \right) c", (a + b) * c),
    (r"\big[ a + b \big] c - \Big( a \Big) \bigl( b \bigr)", (a + b) * c - a * b),
    (r"\biggl[ a \biggr] \Bigl\{ b \Bigr\}", a * b),
    (r"a\,b + a\;b + a\!b + a\quad b + a\qquad b + a\ b", 6 * a * b),
    # names
    (r"\mathrm{ax} + \text{ax}", 2 * R["ax"]),
    (r"\mathrm{e}^{x} + \mathrm{d}", sp.exp(x) + R["d"]),
    (r"\mathbf{w} \cdot \boldsymbol{x}", w * x),
    (r"\eta \lambda + \Delta", eta * lam + R["Delta"]),
    ("ηλ + Δ", eta * lam + R["Delta"]),
    ("eta*lmbda + lambda", eta * lam + lam),
    # Unicode super- and subscripts
    ("x² + x⁻¹ + C₀", x**2 + 1 / x + C0),
    ("w₁x₁", sp.Symbol("w1", real=True) * sp.Symbol("x1", real=True)),
    ("aˡ⁻¹ₖ", base("a")[l - 1, k]),
    # juxtaposition
    ("2x", 2 * x),
    ("ax", R["ax"]),  # plain text: a word is a name
    (r"\frac{ax}{1}", a * x),  # LaTeX: TeX's letters
    (r"2\sigma(2z) - 1", 2 * sigmoid(2 * z) - 1),
    ("σ(z)(1 − σ(z))", sigmoid(z) * (1 - sigmoid(z))),
    ("a(1 - a)", a * (1 - a)),
    ("C₀(w)", sp.Function("C0", real=True)(w)),
    ("C(w, b)", sp.Function("C", real=True)(w, b)),
]


@pytest.mark.parametrize("text,expected", CONSTRUCTS)
def test_each_construct_reads_as_written(text, expected):
    assert read_value(text) == expected


def test_a_prime_is_the_derivative_at_the_point():
    assert read_value("σ′(2z)").doit() == sp.diff(sigmoid(t), t).subs(t, 2 * z)
    assert read_value("tanh''(z)").doit() == sp.diff(sp.tanh(z), z, 2)


# --- the issue's examples -----------------------------------------------------------------------

ISSUE = [
    (r"\frac{1}{1+e^{-z}}", (1 / (1 + sp.exp(-z)),), ()),
    (r"\sigma(z)(1-\sigma(z))", (sigmoid(z) * (1 - sigmoid(z)),), ()),
    ("(1 - ηλ/n)*w", ((1 - eta * lam / n) * w,), ()),
    ("w₁x₁", (sp.Symbol("w1", real=True) * sp.Symbol("x1", real=True),), ()),
    ("a_j^L - y_j", (base("a")[L, j] - base("y")[j],), ()),
    ("a^L_j - y_j", (base("a")[L, j] - base("y")[j],), ()),
    ("tanh(z) = 2*σ(2*z) - 1", (sp.tanh(z), 2 * sigmoid(2 * z) - 1), ("=",)),
    ("binomial(n-1, m-1)/binomial(n, m)", (sp.binomial(n - 1, m - 1) / sp.binomial(n, m),), ()),
    ("Sum(k, (k, 1, n))", (sp.Sum(k, (k, 1, n)),), ()),
    (r"\sum_{k=1}^{n} k", (sp.Sum(k, (k, 1, n)),), ()),
]


@pytest.mark.parametrize("text,sides,relations", ISSUE)
def test_the_issues_examples_read_as_the_reader_meant(text, sides, relations):
    r = read(text)
    assert r.values() == sides and r.relations == relations


def test_the_two_orders_of_scripts_are_one_quantity():
    assert read("a_j^L - y_j").sides == read("a^L_j - y_j").sides


# --- one notation, three spellings ----------------------------------------------------------------

SPELLINGS = [
    (r"\sigma(z) \cdot (1 - \sigma(z))", "σ(z)·(1 − σ(z))", "sigma(z)*(1 - sigma(z))"),
    (r"\frac{\partial C}{\partial w}", "∂C/∂w", "Derivative(C, w)"),
    (r"\eta \lambda / n", "ηλ/n", "eta*lambda/n"),
    (r"a \odot b", "a ⊙ b", "a*b"),
    (r"x^{2} + x^{-1}", "x² + x⁻¹", "x**2 + x**-1"),
    (r"w_1 x_1 + C_0", "w₁x₁ + C₀", "w1*x1 + C0"),
    (r"\left|x\right| + \|y\|", "|x| + ‖y‖", "Abs(x) + Abs(y)"),
    (r"\sqrt{x}", "√x", "sqrt(x)"),
    (r"\sum_{k=1}^{n} k^2", "∑_{k=1}^{n} k²", "Sum(k**2, (k, 1, n))"),
    (r"w^l_{jk} a^{l-1}_k", "wˡⱼₖ aˡ⁻¹ₖ", "w^l_jk*a^(l-1)_k"),
    (r"a \le b", "a ≤ b", "a <= b"),
]


@pytest.mark.parametrize("latex,unicode,plain", SPELLINGS)
def test_latex_unicode_and_plain_spellings_read_alike(latex, unicode, plain):
    first = read(latex)
    for other in (unicode, plain):
        r = read(other)
        assert r.values() == first.values() and r.relations == first.relations, other


# --- the network's letters: indices, layers, whole layers ----------------------------------------

def test_indices_on_the_network_letters():
    assert read_value(r"w^l_{jk}") == base("w")[l, j, k]
    assert read_value(r"a^{l-1}_k") == base("a")[l - 1, k]
    assert read_value(r"\delta^L_j") == base("delta")[L, j] == read_value("δ^L_j")
    assert read_value("w^l_jk") == base("w")[l, j, k]  # plain: the word jk is two indices on w
    assert read_value(r"w^l_{24}") == base("w")[l, 2, 4]  # one digit per index, as the book
    assert read_value("n_l + n_{l-1}") == sum(sp.IndexedBase("n", integer=True, positive=True)[i]
                                              for i in (l, l - 1))
    assert read_value(r"\delta_{jk}") == sp.KroneckerDelta(j, k)
    assert read_value("v_k") == base("v")[k]
    assert all(i.is_integer and i.is_positive for i in read_value(r"w^l_{jk}").indices)


def test_a_superscript_elsewhere_is_a_power_and_T_a_transpose():
    assert read_value("w^2") == w**2  # ∑_w w²: a square, not a layer
    assert read_value("x_j^2") == base("x")[j]**2
    assert read_value("a^k") == a**sp.Symbol("k", real=True)  # k is not a layer's letter
    assert read_value("x^T") == x  # the transpose of a number is itself
    assert read_value("x**T") == x**sp.Symbol("T", real=True)


def test_whole_layers_keep_the_order_of_a_matrix_product():
    bp2 = read(r"\delta^l = ((w^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l)")
    lhs, rhs = bp2.sides
    assert lhs == Layer("delta", l)
    W, D = Layer("w", l + 1), Layer("delta", l + 1)
    assert value(rhs).args[0] == sp.transpose(W) * D != D * sp.transpose(W)
    assert shown(bp2) == "δ^l = (w^{l+1})ᵀ·δ^{l+1} ⊙ σ′(z^l)"


def test_plain_subscripted_names_stay_names():
    assert read_value("C_0 + C₀ + C_{0}") == 3 * C0
    assert read_value("w_1*x_1") == sp.Symbol("w1", real=True) * sp.Symbol("x1", real=True)
    assert read_value("x_max + nabla_w") == sp.Symbol("x_max", real=True) + sp.Symbol("nabla_w", real=True)


# --- relations -------------------------------------------------------------------------------------

def test_relations_and_chains():
    r = read("A = B = C")
    assert r.relations == ("=", "=") and [(s[0], s[1], s[2]) for s in r.steps] == \
        [(R["A"], "=", R["B"]), (R["B"], "=", C)]
    assert read("0 < a < 1").relations == ("<", "<")
    assert read(r"a \le b \geq c \neq d \approx e \equiv f").relations == ("≤", "≥", "≠", "≈", "≡")
    assert read("w → w' = w - η∂C/∂w").relations == ("→", "=")
    with pytest.raises(ValueError, match="relation"):
        read("a = b").expr


# --- nothing is guessed: the traps, each with its rule ------------------------------------------

#: (text, rule, what is read — shown in the book's notation — or the refusal's hint)
TRAPS = [
    ("ax", "R1: plain text, a word is one name", "ax"),
    (r"\frac{ax}{2}", "R1: LaTeX, TeX's letters", "a·x/2"),
    ("x^23", "R1: plain text, the whole number", "x²³"),
    (r"\frac{1}{2}x^23", "R1: LaTeX, one token in a script", "TeX puts only '2'"),
    (r"\frac{1}{2}x_max", "R1: LaTeX, one token in a script", "TeX puts only 'm'"),
    (r"\frac{x1}{2}", "R1: LaTeX, a word with digits", "product of its letters and digits"),
    ("2x", "R2: juxtaposition is a product", "2x"),
    ("ηλ", "R2", "η·λ"),
    (r"\eta\lambda", "R2", "η·λ"),
    ("w₁x₁", "R2", "w₁·x₁"),
    ("σ(z)(1 − σ(z))", "R2, R3", "σ(z)·(1 − σ(z))"),
    (r"\ln x + y", "R3: one factor after a function", "ln(x) + y"),
    (r"\ln x y", "R3: ln(x)·y or ln(xy)", "could be"),
    (r"\tanh^2 z", "R3: a power of the value", "tanh(z)²"),
    (r"\tanh^{-1} z", "R3: inverse or reciprocal", "inverse"),
    ("sigma", "R3: a function is applied", "is a function"),
    ("a(1 − a)", "R4: a letter, then an expression: a product", "a·(1 − a)"),
    ("x_j(σ(z) − y)", "R4", "x_j·(σ(z) − y)"),
    ("C₀(w)", "R4: a letter, then variables: a function", "C₀(w)"),
    ("y(x)", "R4", "y(x)"),
    ("f(x + 1)", "R4: f, g, h are functions' letters", "could be f·(x + 1)"),
    ("foo(x)", "R4: an unknown word", "unknown function"),
    (r"\operatorname{f}(x)", "R4: declared a function", "f(x)"),
    (r"\operatorname{foo}(x)", "R4: an unknown word", "unknown function"),
    ("λ/2n", "R5: a/(bc) or (a/b)c", "could be λ/(2n) or (λ/2)·n"),
    ("a/b c", "R5", "could be"),
    ("ηλ/n", "R5: either way the same", "η·λ/n"),
    (r"\sum_k a_k b_k + c", "R6: the rest of the product", "∑_k a_k·b_k + c"),
    (r"\sum_k a_k / k", "R6: the rest of the product", "∑_k a_k/k"),
    (r"\frac{d}{dz} z^2 + 1", "R6", "∂/∂z (z²) + 1"),
    (r"\frac{d}{dz} x \frac{d}{dz} y", "R6: as SymPy prints d/dz x · d/dz y", "∂/∂z (x·(∂y/∂z))"),
    (r"\frac{dy}{dx}", "R7: d in a \\frac is a derivative's", "∂y/∂x"),
    (r"\frac{d}{2}", "R7: not d over d-something: a quotient", "d/2"),
    (r"\frac{\partial^2 C}{\partial w}", "R7: the orders must agree", "order is 2 above and 1"),
    ("a_j^L", "R8: either order", "a^L_j"),
    ("z^l", "R8: a layer", "z^l"),
    ("w^2", "R8: a number is a power", "w²"),
    ("a^2_j", "R8: layer 2 or a square", "could be layer 2"),
    ("w^l_j", "R8: w takes two indices", "takes 2 or 1 neuron"),
    ("w_{12}", "R8: w_{1,2} or w12", "could be w_{1,2}"),
    (r"\delta_{jk}", "R8: Kronecker's δ", "δ_jk"),
    ("a_j + j", "R8: an index is not a number", "used both as an index"),
    ("x^T", "R8: T is a transpose", "xᵀ"),
    ("|a|b|c|", "R9: bars", "|a|·b·|c|"),
    ("||x||", "R9: a norm is ‖x‖", "write ‖x‖"),
    (r"\left|x\right|", "R9", "|x|"),
    ("n!=1", "R10: n! = 1 or n ≠ 1", "'!=' could be"),
    ("n! = 1", "R10", "n! = 1"),
    ("2e-3", "R10: plain, Python's number", "1/500"),
    (r"\frac{1}{2e-3}", "R10: LaTeX, 2·10⁻³ or 2e − 3", "could be 2·10^…"),
    ("√x²", "R10: TeX's one token", "(√x)²"),
    ("e^z", "e is Euler's number", "e^z"),
    ("x'", "a prime on a name: a new name", "x′"),
    ("σ'(z)", "a prime on a function: its derivative", "σ′(z)"),
    (r"\sum_w w^2", "a sum over the w's", "∑_w w²"),
]


@pytest.mark.parametrize("text,rule,expected", TRAPS, ids=[f"{r[0]!r}" for r in TRAPS])
def test_each_trap_is_read_by_its_rule_or_refused(text, rule, expected):
    try:
        got = shown(read(text))
    except ReadError as exc:
        msg = str(exc)
        assert expected in msg, (rule, msg)
        assert "\n" not in msg and msg.split(":")[0].isdigit()
        return
    assert got == expected, rule


# --- refusals: one line, line:column, the token and the fix --------------------------------------

REFUSED = [
    ("x # y", "1:3", "'#'"), ("x; y", "1:2", "';'"), ("$x$", "1:1", "'$'"), ("(x", "1:3", "close the '('"),
    ("x +", "1:4", "operand is missing"), (")", "1:1", "')'"), ("x\n  + )", "2:5", "')'"),
    (r"\foo x", "1:1", "'\\foo'"), ("ｘ", "1:1", "plain 'x'"), ("𝑥 + 1", "1:1", "plain 'x'"),
    (r"\log_2 x", "1:1", "subscript on the function"), (r"\text{for all}", "1:1", "prose"),
    (r"\operatorname{f}(x+1)", "1:1", "of variables only"), ("1/0", "1:2", "division by zero"),
    (r"\frac{1}{0}", "1:1", "division by zero"), ("10^{10^{10}}", "1:1", "too large"),
    ("1e99999", "1:1", "too large"), ("1001!", "1:5", "too large"), (r"\infty", "1:1", "\\infty"),
    ("∞", "1:1", "'∞'"), (r"\int x", "1:1", "\\int"), ("∂C", "1:1", "read only in a derivative"),
    (r"\frac{d}{dz}", "1:1", "needs what it differentiates"), (r"\sum_k", "1:7", "ends too early"),
    ("x^{a,b}", "1:1", "not an expression"), ("diff(x)", "1:1", "needs an expression and a variable"),
    ("Sum(k, k)", "1:1", "(k, 1, n)"), ("σ'(z, y)", "1:1", "one-argument"), ("diff(x, x, 9)", "1:1", "order 9"),
    (r"\left. x \right|", "1:6", "'.'"), (r"\text{sigma}", "1:1", "names the function"), ("x = ", "1:4", "ends too early"), ("= x", "1:1", "'='"),
    ("", "1:1", "empty"), ("(" * 300 + "x" + ")" * 300, "1:257", "nested too deeply"),
]


@pytest.mark.parametrize("text,where,hint", REFUSED, ids=[repr(r[0])[:30] for r in REFUSED])
def test_refusals_name_the_place_and_the_fix(text, where, hint):
    with pytest.raises(ReadError) as err:
        read(text)
    msg = str(err.value)
    assert msg.startswith(where + ": ") and hint in msg and "\n" not in msg and len(msg) < 400


BAD = ["__import__('os').system('true')", "().__class__", "x.evalf()", "[x, y]", "'text'",
       "lambda t: t", "open('gradproof-pwned', 'w')", "exp(x, y)", "x" * (MAX_CHARS + 1)]


@pytest.mark.parametrize("text", BAD)
def test_nothing_in_the_reader_runs_code(text, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ReadError):
        read(text)
    assert list(tmp_path.iterdir()) == []


def test_square_brackets_are_brackets_not_indexing():
    assert read_value("x [0]") == 0 and read_value("a [1 - a]") == a * (1 - a)
    assert read_value("a·[1 - a]") == a * (1 - a)


@pytest.mark.parametrize("text", ["x[0]", "a[1 - a]", "eta[2]"])
def test_a_name_then_a_bracket_is_refused_as_indexing(text):  # R11: Python's x[0]
    with pytest.raises(ReadError, match="reads like indexing"):
        read(text)


# --- the plain dialect: everything today's parser reads reads the same -----------------------------

def _plain_texts() -> list[str]:
    tv = test_verify
    texts = {s for name in ("PROVED_CASES", "REFUTED_CASES", "ADVERSARIAL_TRUE", "ADVERSARIAL_FALSE")
             for row in getattr(tv, name) for s in row[:2]}
    texts |= {"e^z", "x²", "x⁻¹", "|x - y|", "x·y", "a − b", "2×x", "C₀", "|x|·|y|", "η*λ/n",
              "diff(1/(1+exp(-z)), z)", "diff(x**2*y**3, x, y)", "sigma'(z)", "σ′(z)", "softplus'(z)",
              "log(x, 2)", "Heaviside(x, 1/2)", "x/(y*z)", "2**8192", "1/(1 + " * 40 + "x" + ")" * 40,
              "+".join(["x"] * 999), "lambda", "0.1*x + y^2"}
    return sorted(texts)


@pytest.mark.parametrize("text", _plain_texts())
def test_the_plain_dialect_reads_as_todays_parser(text):
    with deep_recursion():
        today = parse(text).xreplace({RELU_PRIME_AT_0: 0})  # ReLU′(0) = 0 is set when deciding
        assert value(read(text).expr).doit() == today


@pytest.mark.parametrize("text", ["10**10**10", "2**2**2**2**2", "(x**1000)**1000", "1e99999", "1/0",
                                  "x**1001", "x" * (MAX_CHARS + 1), "(" * 300 + "x" + ")" * 300])
def test_the_bounds_are_todays_parsers(text):
    with pytest.raises(ValueError):
        parse(text)
    with pytest.raises(ReadError):
        read(text)


@pytest.mark.parametrize("text", ["2**10000", "x**1000", "x**(999/1000)", "+".join(["x"] * 999)])
def test_just_inside_the_bounds_both_read(text):
    assert value(read(text).expr) == parse(text)


# --- what was read, shown back ---------------------------------------------------------------------

@pytest.mark.parametrize("text", [row[0] for row in CONSTRUCTS + ISSUE + TRAPS] + [s[0] for s in SPELLINGS])
def test_what_was_read_shown_back_reads_the_same(text):
    try:
        r = read(text)
    except ReadError:
        return
    back = shown(r)
    assert "\\" not in back  # plain Unicode, the book's notation
    again = read(back)
    assert again.values() == r.values() and again.relations == r.relations, back


def test_shown_is_the_books_notation():
    assert shown(read(r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j")) == \
        "∂C/∂w^l_jk = a^{l−1}_k·δ^l_j"
    assert shown(read(r"\frac{\partial C}{\partial b^l_j} = \delta^l_j")) == "∂C/∂b^l_j = δ^l_j"
    assert shown(read("x/x")) == "x/x"  # as written, not SymPy's 1
    assert shown(read(r"\frac{\lambda}{2n}\sum_w w^2")) == "λ/(2n)·(∑_w w²)"


# --- hypothesis: random expressions printed by SymPy and read back ----------------------------------

_LEAVES = st.sampled_from([x, y, z, eta, lam, sp.Integer(2), sp.Integer(-3), sp.Rational(3, 2)])
_UNARY = [sigmoid, sp.tanh, sp.exp, sp.log, sp.sqrt, sp.Abs, sp.sign, relu, sp.factorial]


def _built(f):
    """``f``, with what SymPy refuses to build (Max(ln(−3), x): not comparable) as nan (left out)."""
    def build(*args):
        try:
            return f(*args)
        except (ValueError, TypeError):
            return sp.nan
    return build


def _extend(children):
    return st.one_of(
        st.builds(_built(lambda f, u: f(u)), st.sampled_from(_UNARY), children),
        st.builds(lambda u, v: u + v, children, children),
        st.builds(lambda u, v: u * v, children, children),
        st.builds(lambda u, v: u / v, children, children.filter(lambda e: e != 0)),
        st.builds(lambda u, e: u**e, children, st.integers(-3, 4)),
        st.builds(_built(lambda u, v: sp.Max(u, v)), children, children),
        st.builds(lambda u: sp.Derivative(u, z), children),
        st.builds(_built(lambda u: sp.binomial(u, 2)), children),
    )


def _printed_unambiguously(e) -> bool:
    """SymPy prints a product of derivatives d/dz x · d/dz y without brackets, which reads (rule R6)
    as d/dz (x · d/dz y): such products are left out (the trap is in the table of traps)."""
    return not any(isinstance(m, sp.Mul) and m.has(sp.Derivative) for m in sp.preorder_traversal(e))


expressions = st.recursive(_LEAVES, _extend, max_leaves=6).filter(
    lambda e: e.is_finite is not False and not e.has(sp.zoo, sp.nan, sp.I) and _printed_unambiguously(e))


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(expressions)
@example(sigmoid(z) * (1 - sigmoid(z)))
@example(sp.log(x)**2 / sp.tanh(z))
@example(sp.Derivative(x**2 * sp.exp(z), z))
@example(3 / (2 * (x + y)))
@example(sp.Mul(2, sp.Abs(sp.Abs(x, evaluate=False), evaluate=False), evaluate=False))
def test_sympy_latex_read_back_is_the_same_expression(e):
    got = read_value(sp.latex(e))
    # the same expression, up to SymPy's own normal form: 2(x + y) read and evaluated is 2x + 2y,
    # and a drawn |(|x|)| that the strategy left unevaluated is |x| once SymPy evaluates it (doit)
    assert got == e or sp.cancel(got - e) == 0 or sp.cancel((got - e).doit()) == 0, (sp.latex(e), got)


# --- hypothesis: the grammar as a generator -----------------------------------------------------

_EXPLICIT = {"ABS_OPEN": st.sampled_from(["|", "\\left|", "\\lvert ", "\\bigl|"]),
             "ABS_CLOSE": st.sampled_from(["|", "\\right|", "\\rvert ", "\\bigr|"]),
             "NORM_OPEN": st.sampled_from(["‖", "\\|", "\\left\\|", "\\lVert "]),
             "NORM_CLOSE": st.sampled_from(["‖", "\\|", "\\right\\|", "\\rVert "])}


def _language(regex: str, limit: int = 1000) -> list[str] | None:
    """Every string ``regex`` matches in full, in its order, when they are finitely many (at most
    ``limit``): literals, classes of characters and alternatives, e.g. ``\\(?:d|t)?frac``; None
    for a repetition or anything else."""
    def sequence(items) -> list[str] | None:
        out = [""]
        for op, av in items:
            part = node(op, av)
            if part is None or len(out) * len(part) > limit:
                return None
            out = [u + v for u in out for v in part]
        return out

    def node(op, av) -> list[str] | None:
        if op is _codes.LITERAL:
            return [chr(av)]
        if op is _codes.IN and all(o in (_codes.LITERAL, _codes.RANGE) for o, _ in av):
            return [chr(c) for o, a in av for c in ([a] if o is _codes.LITERAL else range(a[0], a[1] + 1))]
        if op is _codes.BRANCH:
            parts = [sequence(branch) for branch in av[1]]
            return None if None in parts else [u for part in parts for u in part]
        if op is _codes.SUBPATTERN and not av[1] and not av[2]:  # a group without flags
            return sequence(av[3])
        return None

    strings = sequence(_re_parse.parse(regex))
    return None if strings is None else list(dict.fromkeys(strings))


def _grammar_texts():
    """``from_lark(parser())``, with each rule ending (its expansions of terminals only, else its
    shortest) drawn three times in four.  Hypothesis draws a rule's expansions uniformly, and an
    expression grammar then grows without end: most draws overrun and are thrown away (measured:
    300 examples took 11 minutes, 1 in 5 kept).  Biased this way they end (1 in 4 is read, the
    rest refused in one line).

    A terminal that matches finitely many strings (``\\frac``, ``\\dfrac``, …; a Greek letter) is
    drawn from the list of them, the ones that lex whole, as from_lark's own filter keeps: the same
    strings as its regular-expression strategy, which cost most of each example's time."""
    texts = from_lark(parser(), start="start", explicit=_EXPLICIT)
    lark_strategy = texts.wrapped_strategy
    terminals, _, _ = parser().grammar.compile(["start"], ())
    for terminal in terminals:
        regex = terminal.pattern.to_regexp()
        strings = None if terminal.name in _EXPLICIT else _language(regex)
        if strings is not None:
            whole = [u for u in strings if re.match(regex, u).end() == len(u)]
            lark_strategy.terminal_strategies[terminal.name] = st.sampled_from(whole)
    rules = lark_strategy.nonterminal_strategies
    for name, expansions in rules.items():
        choices = list(expansions.elements)
        ends = [e for e in choices if all(isinstance(x, Terminal) for x in e)] or \
            [e for e in choices if len(e) == min(map(len, choices))]
        rules[name] = st.one_of(*[st.sampled_from(ends)] * 3, st.sampled_from(choices))
    return texts


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(_grammar_texts())
@example(r"\sigma'(z)\left(1-\sigma(z)\right) = \frac{\partial}{\partial z} \sigma(z)")
@example("A\\dfrac{.0}{ 0ᵀ}A")
@example("\\varepsilon\\times+A′**A")
@example("\\Sigma_\\mathrm{A0}.๔")  # a sum index with a digit read back as A₀
def test_every_drawn_text_is_read_or_refused_in_one_line_and_reads_back_the_same(text):
    try:
        r = read(text)
    except ReadError as exc:
        assert "\n" not in str(exc) and str(exc).split(":")[0].isdigit()
        return
    again = read(shown(r))
    assert again.relations == r.relations and again.values() == r.values(), shown(r)


# --- packaging ------------------------------------------------------------------------------------

def test_the_grammar_ships_with_the_package():
    grammar = resources.files("gradproof.derive.claims").joinpath("notation.lark")
    assert grammar.is_file() and "juxtaposition" in grammar.read_text(encoding="utf-8")


def _one_expression(text: str) -> str | None:
    try:
        return text if not read(text).relations else None
    except ReadError:
        return None


@pytest.mark.slow
def test_a_drawn_equation_gets_the_same_verdict_read_back_from_plain_text():
    """The issue's fuzzing rule: the verdict on two drawn expressions set equal is the same whether
    the text is read as written or printed back (plain Unicode, :func:`shown`) and read again.
    Measured when written (derandomized): 14 of the 80 drawn pairs were both expressions."""
    from gradproof.derive.claims.verify import verify

    equations: list[str] = []

    @settings(max_examples=80, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(_grammar_texts(), _grammar_texts())
    @example(r"\sigma'(z)\left(1-\sigma(z)\right)", r"\frac{\partial}{\partial z} \sigma(z)")
    @example(r"\frac{x}{x}", "1")
    def claim(left, right):
        if _one_expression(left) is None or _one_expression(right) is None:
            return
        text = f"{left} = {right}" if "\\" in left + right else f"({left}) = ({right})"
        try:
            r = read(text)
        except ReadError:  # e.g. the same letter an index on one side and a number on the other
            return
        equations.append(text)
        verdicts = []
        for t in (text, shown(r)):
            try:
                verdicts.append(verify(t, time_limit=2).status)
            except ValueError as exc:  # refused as a claim (a whole layer, not real): both ways
                verdicts.append(type(exc).__name__)
        assert "undecided" in verdicts or verdicts[0] == verdicts[1], (text, shown(r), verdicts)

    claim()
    print(f"drawn equations: {len(equations)}")
    assert len(equations) >= 10


@pytest.mark.parametrize("text", [r"n_\intercal", r"A_\intercal", r"a_\top"])
def test_a_transpose_mark_as_a_subscript_is_refused_in_one_line(text):
    """The fuzz found these raising AttributeError from inside the transformer."""
    with pytest.raises(ReadError, match="a transpose mark as a subscript is not read"):
        read(text)
