"""The HTML report: one self-contained file (inline CSS, MathML, inline SVG; no scripts, no URLs).

Jinja2 with autoescaping: every value from the facts is escaped; only MathML checked by
:func:`reports.render.check_mathml` and the cleaned SVG of :mod:`reports.plots` are marked safe.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

import jinja2
from markupsafe import Markup

from .code import code_html
from .render import latex_to_mathml, prose_html
from .report import Report
from .view import VIEW_GLOBALS, fmt_num, fmt_pct

__all__ = ["render_html", "check_self_contained"]

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("gradproof.reports", "templates"),
    autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
)
_ENV.filters.update(num=fmt_num, pct=fmt_pct, prose=lambda t: Markup(prose_html(t)),
                    highlight=lambda src: Markup(code_html(str(src))))
_ENV.globals.update(VIEW_GLOBALS)

_FORBIDDEN_TAGS = {"script", "link", "iframe", "object", "embed", "base", "frame", "img", "audio",
                   "video", "source", "track", "form", "applet"}
_URL_ATTRS = {"src", "href", "xlink:href", "action", "formaction", "srcset", "poster", "data",
              "background", "cite", "longdesc", "usemap", "manifest", "ping"}
_INLINE_PNG = re.compile(r"data:image/png;base64,[A-Za-z0-9+/=\s]+")
_CSS_URL = re.compile(r"@import|url\(\s*[\"']?\s*(?!#)", re.I)


class _Audit(HTMLParser):
    """Collects every way a page could reach outside itself."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        if tag in _FORBIDDEN_TAGS:
            self.found.append(f"a <{tag}> element")
        if tag == "meta" and any(k == "http-equiv" for k, _ in attrs):
            self.found.append("a <meta http-equiv> element")
        self._in_style = tag == "style"
        for k, v in attrs:
            v = (v or "").strip()
            if tag == "image" and k in ("href", "xlink:href") and _INLINE_PNG.fullmatch(v):
                continue  # a PNG inside an inline SVG, carried in the page itself
            if k in _URL_ATTRS and not v.startswith("#"):
                self.found.append(f"{k}={v[:60]!r} on <{tag}>")
            if k.startswith("on"):
                self.found.append(f"an event handler {k} on <{tag}>")
            if k == "style" and _CSS_URL.search(v):
                self.found.append(f"a CSS url()/@import in a style attribute on <{tag}>")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style and _CSS_URL.search(data):
            self.found.append("a CSS url()/@import in a <style> element")


def check_self_contained(page: str) -> str:
    """Return ``page`` if nothing in it loads anything from outside (no script, link, image,
    external src/href, CSS url() or @import); ValueError naming the first offender otherwise."""
    audit = _Audit()
    audit.feed(page)
    audit.close()
    if audit.found:
        raise ValueError(f"the HTML report would not be self-contained: {audit.found[0]}")
    return page


def render_html(report: Report) -> str:
    """The whole page as text (raises if it would not be self-contained)."""
    mathml = report.mathml

    def math(latex: str, display: bool = True) -> Markup:
        m = mathml.get(latex) if display else None
        return Markup(m if m is not None else latex_to_mathml(latex, display))

    svg = Markup(report.figures.svg) if report.figures is not None and report.figures.svg else None
    pics = {k: Markup(v) for k, v in report.pictures.items()}
    page = _ENV.get_template("report.html.j2").render(f=report.facts, math=math, curves_svg=svg,
                                                      pictures=pics)
    return check_self_contained(page)
