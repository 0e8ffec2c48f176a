"""reports.html: one self-contained page; MathML well-formed with no LaTeX left; inline SVG."""
import re
import xml.etree.ElementTree as ET

import html5lib
import pytest

from gradproof.derive.core.notation import segments
from gradproof.reports.html import check_self_contained, render_html

MATHML = "{http://www.w3.org/1998/Math/MathML}"
SVG = "{http://www.w3.org/2000/svg}"
XHTML = "{http://www.w3.org/1999/xhtml}"


def parse(page: str):
    """Parse as a browser would (html5lib), strictly: any HTML5 parse error fails the test."""
    return html5lib.HTMLParser(strict=True, namespaceHTMLElements=True).parse(page)


@pytest.fixture(scope="module")
def page(good_report):
    return render_html(good_report)


@pytest.fixture(scope="module")
def bad_page(bad_report):
    return render_html(bad_report)


@pytest.mark.parametrize("which", ["page", "bad_page"])
def test_parses_as_html5(which, request):
    doc = parse(request.getfixturevalue(which))
    assert doc.find(f"{XHTML}head/{XHTML}title") is not None


@pytest.mark.parametrize("which", ["page", "bad_page"])
def test_every_math_element_is_well_formed_without_latex(which, request):
    text = request.getfixturevalue(which)
    doc = parse(text)
    maths = list(doc.iter(f"{MATHML}math"))
    raw = re.findall(r"<math\b.*?</math>", text, re.S)
    assert maths and len(maths) == len(raw)
    for m in maths:
        content = "".join(m.itertext())
        assert not re.search(r"\\[A-Za-z]+|\\[^A-Za-z\s]", content), content
        for el in m.iter():
            assert el.tag.startswith(MATHML), el.tag  # nothing fell out of the MathML namespace
    for r in raw:  # and each, as written, is well-formed XML
        ET.fromstring(r)


@pytest.mark.parametrize("which", ["page", "bad_page"])
def test_nothing_external(which, request):
    text = request.getfixturevalue(which)
    doc = parse(text)
    for el in doc.iter():
        tag = el.tag.rsplit("}", 1)[-1]
        assert tag not in ("script", "link", "iframe", "img", "object", "embed", "base")
        for k, v in el.attrib.items():
            name = k.rsplit("}", 1)[-1] if isinstance(k, str) else k[1]
            if name in ("src", "href", "srcset", "action", "data", "poster"):
                assert v.startswith("#"), (tag, k, v)
            assert not name.startswith("on"), (tag, k)
    styles = " ".join("".join(s.itertext()) for s in doc.iter(f"{XHTML}style"))
    assert "@import" not in styles and not re.search(r"url\(\s*['\"]?(?!#)", styles)
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//", text, re.I)
    assert check_self_contained(text) == text


def test_learning_curves_are_inline_svg(page):
    doc = parse(page)
    svgs = list(doc.iter(f"{SVG}svg"))
    assert len(svgs) == 1
    assert not page.lstrip().startswith("<?xml") and "<!DOCTYPE svg" not in page
    ids = [el.get("id") for el in doc.iter() if el.get("id")]
    assert len(ids) == len(set(ids)), "duplicate ids"
    for el in svgs[0].iter():
        href = el.get("href") or el.get("{http://www.w3.org/1999/xlink}href")
        if href:
            assert href.startswith("#") and href[1:] in ids


@pytest.mark.parametrize("evil, what", [
    ('<p>x</p><script src="x.js"></script>', "script"),
    ('<link rel="stylesheet" href="https://example.org/a.css">', "link"),
    ('<style>@import url("https://example.org/a.css");</style>', "import"),
    ('<a href="https://example.org/">x</a>', "href"),
    ('<div style="background: url(http://example.org/a.png)">x</div>', "url"),
    ('<img src="data:image/png;base64,AAAA">', "img"),
])
def test_check_self_contained_catches(evil, what):
    with pytest.raises(ValueError):
        check_self_contained(f"<!DOCTYPE html><html><body>{evil}</body></html>")


def test_internal_links_are_allowed():
    ok = '<!DOCTYPE html><html><body><a href="#x">x</a><p id="x">code: data = src = 1</p></body></html>'
    assert check_self_contained(ok) == ok


def test_each_identity_has_its_statement_and_steps(good_report, page):
    doc = parse(page)
    for d in good_report.facts["identities"]:
        art = doc.find(f".//{XHTML}article[@id='id-{d['id']}']")
        assert art is not None, d["id"]
        n_math = len(list(art.iter(f"{MATHML}math")))
        assert n_math >= len(d["statement"]) + len(d["steps"])
        text = "".join(art.itertext())
        for st in d["steps"]:
            # the prose of each reason is there as text; its mathematics is MathML, not raw TeX
            for kind, piece in segments(st["reason"]):
                if kind != "math":
                    assert piece in text, (d["id"], piece)
            assert "$" not in text and "\\frac" not in text, d["id"]
        assert d["status"] in text.lower() and d["method"] in text
