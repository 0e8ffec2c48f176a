"""reports.proofread: a self-contained page, MathML per line, one badge per step."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import html5lib

from gradproof.derive.claims.proofread import proofread
from gradproof.reports.proofread import render_proofread_html


def test_page_is_self_contained_with_a_badge_per_step():
    d = proofread("let a = sigma(z)\nsigma'(z)\n  = a*(1 - a)   # σ′ = σ(1 − σ)\n  = a*(1 + a)\n",
                  source="d.txt")
    page = render_proofread_html(d)
    html5lib.HTMLParser(strict=False).parse(page)
    assert page.count('class="badge proved"') == 1 and page.count('class="badge refuted"') == 1
    assert "σ′ = σ(1 − σ)" in page and "sigma&#39;(z)" in page  # the derivative line, as typed
    maths = [m for m in page.split("<math")[1:]]
    assert len(maths) == 2  # the two lines without a derivative, as MathML
    for m in maths:
        ET.fromstring("<math" + m.split("</math>")[0] + "</math>")  # well-formed


def test_text_is_escaped():
    d = proofread("x\n  = x   # <b>bold</b> & more\n")
    page = render_proofread_html(d)
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt; &amp; more" in page
