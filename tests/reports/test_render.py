"""reports.render: one LaTeX string per expression, checked MathML from it, safe LaTeX text."""
import re
import xml.etree.ElementTree as ET

import html5lib
import pytest
import sympy as sp
from hypothesis import example, given, settings, strategies as st

from gradproof import derive
from gradproof.derive.core.notation import latex as notation_latex
from gradproof.derive.core.theorem import Derivation, Identity, Step
from gradproof.reports.render import (RenderError, check_mathml, expr_latex, expr_mathml, identity_html,
                            identity_latex, identity_math, latex_code, latex_escape,
                            latex_to_mathml, unicode_to_latex)

LEFTOVER = re.compile(r"\\[A-Za-z]+")


def mathml_text(m: str) -> str:
    return "".join(ET.fromstring(m).itertext())


class unknowncmd(sp.Function):
    """An expression whose LaTeX latex2mathml does not know (it would pass \\frob through)."""

    def _latex(self, printer, exp=None):
        return r"\frob{%s}" % printer._print(self.args[0])


def test_expr_latex_is_the_notation_printer():
    lmbda, eta, n, w = sp.symbols("lmbda eta n w", positive=True)
    e = sp.Eq(w, (1 - eta * lmbda / n) * w)
    assert expr_latex(e) == notation_latex(e)
    assert r"\lambda" in expr_latex(e)


def test_unicode_in_symbol_names_becomes_commands():
    s = sp.Symbol("σ′")
    tex = expr_latex(s ** 2)
    assert tex.isascii() and r"\sigma" in tex
    assert "σ" in mathml_text(latex_to_mathml(tex))  # and back to the letter in MathML


@pytest.mark.parametrize("bad", [
    r"\foo{x} + 1",                                         # unknown command passed through
    r"\begin{aligned} a &= b \\ c &= d \end{aligned}",    # malformed XML (a raw &)
    r"\text{a \& b}",                                       # malformed XML
])
def test_latex_to_mathml_fails_loudly(bad):
    with pytest.raises(RenderError):
        latex_to_mathml(bad)


def test_check_mathml_rejects_leftovers_and_non_math():
    with pytest.raises(RenderError):
        check_mathml("<math><mi>\\alpha</mi></math>")
    with pytest.raises(RenderError):
        check_mathml("<div>x</div>")
    with pytest.raises(RenderError):
        check_mathml("<math><mi>x</mi>")


def test_unknown_command_falls_back_to_sympy_mathml():
    x = sp.Symbol("x")
    e = sp.Eq(unknowncmd(x), x + 1)
    with pytest.raises(RenderError):
        latex_to_mathml(expr_latex(e))
    m = expr_mathml(e)
    assert not LEFTOVER.search(mathml_text(m))
    assert "unknowncmd" in mathml_text(m) and "x" in mathml_text(m)


def test_limits_go_under_lim_in_both_outputs():
    c = sp.Symbol("c", positive=True)
    tex = expr_latex(sp.Limit(sp.exp(-c), c, sp.oo))
    assert r"\lim\limits_" in tex
    assert "<munder>" in latex_to_mathml(tex, True)


def test_every_registered_identity_renders_without_leftover_latex():
    for idy in derive.REGISTRY.values():
        math = identity_math(idy)
        assert len(math.statement) == len(idy.statement)
        assert [r for _, r in math.steps] == [s.reason for s in idy.steps]
        for tex, m in math.mathml.items():
            assert tex.isascii(), (idy.id, tex)
            assert not LEFTOVER.search(mathml_text(m)), (idy.id, tex)


def _toy_identity() -> Identity:
    z = sp.Symbol("z", real=True)
    s = derive.sigmoid(z)

    def build():
        return Derivation(statement=[sp.Eq(sp.Derivative(s, z), s * (1 - s))],
                          steps=[Step(sp.Eq(sp.Derivative(s, z), s * (1 - s)), "σ′ = σ(1−σ) & <b>")],
                          obligations=[], assumptions="z real & <i>")
    return Identity("toy", "A toy <identity>", "neurons", build, equation="(3)")


def test_identity_html_is_the_jupyter_view():
    idy = _toy_identity()
    frag = idy._repr_html_()
    assert frag == identity_html(idy, idy.last_proof)
    # status and method beside the title: the statement itself is decided (SymPy's derivative of
    # the sigmoid class, then the exact ladder), so the toy with no lemmas is proved
    assert "PROVED" in frag and "by evaluating" in frag  # the method (doit) in words
    doc = html5lib.parse(frag, namespaceHTMLElements=False)
    text = "".join(doc.itertext())
    assert "A toy <identity>" in text and "σ′ = σ(1−σ) & <b>" in text  # escaped, shown as text
    assert "<b>" not in frag and "<i>" not in frag
    maths = re.findall(r"<math\b.*?</math>", frag, re.S)
    assert len(maths) == 2
    for m in maths:
        check_mathml(m)


def test_identity_latex_holds_the_same_latex():
    idy = _toy_identity()
    tex = idy._repr_latex_()
    assert tex == identity_latex(idy, idy.last_proof)
    assert "PROVED" in tex and "by evaluating" in tex  # the method in words
    assert tex.startswith("$$") and tex.endswith("$$")
    for t in identity_math(idy).statement:
        assert t in tex
    assert r"\&" in tex and "σ" not in tex


# --- LaTeX text escaping: each special character becomes something pdflatex prints literally ---

SPECIALS = "\\{}$&%#_^~<>|\""


@given(st.text(alphabet=st.sampled_from(list(SPECIALS + "ab -σ′→≤∞·—é中\n\t")), max_size=40))
@example("--train")
@example("-\t-")  # a tab was dropped and the two hyphens met: an en dash
@example("-\x01-")
@example("\\input{/etc/passwd}")
@settings(max_examples=200, deadline=None)
def test_latex_escape_leaves_no_active_specials(text):
    out = latex_escape(text)
    assert out.isascii()
    # every special character is escaped or spelled: no bare { } $ & % # _ ^ ~ and no command
    # other than the ones the escaper writes
    stripped = re.sub(r"\\(textbackslash|textasciicircum|textasciitilde|textless|textgreater|"
                      r"textbar|ldots|[a-zA-Z]+)\{\}|\\[{}$&%#_]|\$\\?[a-zA-Z']*\$|\$'\$|"
                      r"\[U\+[0-9A-F]{4,5}\]", "", out)
    stripped = re.sub(r"(?<!\\)\{\}", "", stripped)  # an empty group, as in -{}- (no ligature)
    assert not re.search(r"[\\{}$&%#_^~]", stripped), (text, out)
    ascii_dashes = latex_escape(text.replace("—", "").replace("–", ""))
    assert "--" not in ascii_dashes  # --train stays two hyphens, not an en dash


def test_latex_code_breaks_long_lines_and_escapes():
    src = "def f(x):  # σ² \\ {braces}\n" + "y" * 30
    out = latex_code(src, width=20)
    assert r"{\char92}" in out and r"{\char123}" in out and r"\(\sigma\)" in out
    assert r"\(\hookleftarrow\)" in out
    assert out.isascii()


def test_unicode_to_latex_refuses_unknown_characters():
    with pytest.raises(RenderError):
        unicode_to_latex("x + 中")
    assert unicode_to_latex("δ^L") == r"{\delta}^L"
