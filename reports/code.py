r"""Syntax-highlighted source for the reports (Pygments): inline styles in HTML, ``fancyvrb``
``Verbatim`` with Pygments' ``\PY`` commands in LaTeX.

Lines are never wrapped: the LaTeX listing takes the largest of ``\footnotesize``,
``\scriptsize`` and ``\tiny`` in which its longest line fits the text width (no continuation
arrows, no overfull boxes), and the HTML listing scrolls inside its box.  Non-ASCII characters of
the source (δ, ∂, ᵀ in comments) are set as mathematics in LaTeX, since pdflatex reads ASCII.
"""
from __future__ import annotations

from functools import lru_cache

from pygments import highlight
from pygments.formatters import HtmlFormatter, LatexFormatter
from pygments.lexers import PythonLexer

from gradproof.derive.core.notation import math_char

__all__ = ["code_html", "code_latex", "latex_style_defs", "LATEX_SIZES"]

#: (font size, the most characters a line of \ttfamily at that size holds in the report's text
#: width of 494 pt: Latin Modern typewriter is 0.525 em wide).
LATEX_SIZES = ((r"\footnotesize", 494 // (0.525 * 8)), (r"\scriptsize", 494 // (0.525 * 7)),
               (r"\tiny", 494 // (0.525 * 5)))


def code_html(source: str) -> str:
    """``source`` (Python) as a highlighted ``<pre>`` with inline styles (no classes, no script)."""
    return highlight(source, PythonLexer(), HtmlFormatter(noclasses=True, style="default"))


def _size_for(source: str) -> str:
    longest = max((len(line) for line in source.expandtabs(4).splitlines()), default=0)
    for size, fits in LATEX_SIZES:
        if longest <= fits:
            return size
    return LATEX_SIZES[-1][0]


def _ascii(tex: str) -> str:
    """Non-ASCII characters as ``\\ensuremath`` (``^``/``_`` as ``\\sp``/``\\sb``: in Verbatim they
    are ordinary characters); a character with no LaTeX spelling as ``[U+XXXX]``."""
    out = []
    for ch in tex:
        if ch.isascii():
            out.append(ch)
            continue
        cmd = math_char(ch)
        if cmd is not None and cmd.strip("'") == "":  # ′ ″: a quote is active in Verbatim
            cmd = "^{" + r"\prime" * len(cmd) + "}"
        if cmd is None:
            out.append(f"[U+{ord(ch):04X}]")
        else:
            out.append(r"\ensuremath{%s}" % cmd.replace("^", r"\sp").replace("_", r"\sb"))
    return "".join(out)


def code_latex(source: str) -> str:
    """``source`` as a ``Verbatim`` environment of Pygments commands (needs :func:`latex_style_defs`
    and ``fancyvrb`` + ``color`` in the preamble)."""
    size = _size_for(source)
    body = highlight(source.expandtabs(4), PythonLexer(),
                     LatexFormatter(verboptions=f"fontsize={size},frame=lines"))
    return _ascii(body)


@lru_cache(maxsize=1)
def latex_style_defs() -> str:
    r"""The ``\PY`` macro definitions of Pygments' default style, for the preamble."""
    return LatexFormatter(style="default").get_style_defs()
