"""reports.proofread: a self-contained page, MathML per line, one badge per step."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import html5lib

from gradproof.derive.claims.proofread import proofread
from gradproof.reports.proofread import render_proofread_html


def _text(mathml: str) -> str:
    """The characters of a MathML fragment, in document order."""
    return "".join(ET.fromstring(mathml).itertext())


def test_page_is_self_contained_with_a_badge_per_step_and_each_line_as_typed():
    d = proofread("let a = sigma(z)\nassume z != 0\nassume n integer\nsigma'(z)\n"
                  "  = a*(1 - a)   # σ′ = σ(1 − σ)\n  = (1 + a)*a\n", source="/home/reader/notes/d.txt")
    page = render_proofread_html(d)
    html5lib.HTMLParser(strict=False).parse(page)
    assert page.count('class="badge proved"') == 1 and page.count('class="badge refuted"') == 1
    assert "σ′ = σ(1 − σ)" in page
    # the title and heading name the file, not where it lies
    assert "<title>gradproof proofread: d.txt</title>" in page and "/home/reader" not in page
    maths = ["<math" + m.split("</math>")[0] + "</math>" for m in page.split("<math")[1:]]
    texts = [_text(m) for m in maths]  # well-formed, each
    # let, assume (≠), then the three lines, typeset in the order typed: σ′(z), a(1 − a), (1 + a)a
    # — not SymPy's reordering a(a + 1); 'n integer' is a kind, shown as typed, not a product
    assert texts == ["a=σ(z)", "z≠0", "σ′(z)", "a(1−a)", "(1+a)a"], texts
    assert "<code>n integer</code>" in page


def test_a_line_the_reader_cannot_read_is_shown_as_typed():
    d = proofread("x\n  = x\n")
    page = render_proofread_html(d)
    assert page.count("<math") == 2
    from gradproof.reports.proofread import _show

    assert str(_show("x # y")) == "<code>x # y</code>"


def test_text_is_escaped():
    d = proofread("x\n  = x   # <b>bold</b> & more\n")
    page = render_proofread_html(d)
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt; &amp; more" in page


def test_a_derivation_in_the_network_is_typeset_as_the_book_writes_it_and_names_its_network():
    """∂C/∂w^l_{jk} and a^{l-1}_k δ^l_j, not d/dw_{l,j,k} C and a_{-1+l,k}; a refuted step names the
    explicit network (widths, σ) beside its numbers."""
    from gradproof.derive.book.network_claims import InNetwork
    from gradproof.derive.claims.reader import read
    from gradproof.derive.claims.readback import shown_latex

    assert shown_latex(read("diff(C, w^l_{jk})")) == r"\frac{\partial C}{\partial w^{l}_{jk}}"
    assert shown_latex(read("a^{l-1}_k delta^l_j")) == r"a^{l-1}_{k} \delta^{l}_{j}"
    d = proofread("network\ndiff(C, w^l_{jk})\n  = a^{l-1}_k delta^l_j\n  = a^l_k delta^l_j\n",
                  network=InNetwork())
    page = render_proofread_html(d)
    html5lib.HTMLParser(strict=True).parse(page)
    assert "on the network 2-3-2 (L = 3), σ the logistic function, C the quadratic cost, at l = 2" in page
    assert "w_{l,j,k}" not in page and "-1 + l" not in page
