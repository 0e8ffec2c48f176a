r"""Expressions and identities to LaTeX and MathML: the one renderer behind the report and Jupyter.

The LaTeX of an expression is made once, by :func:`expr_latex` (``derive.core.notation.latex`` with any
Unicode in symbol names turned into LaTeX commands, so that pdflatex accepts it); the HTML report
turns that same string into MathML with ``latex2mathml`` and the LaTeX report prints it as it is.

``latex2mathml`` passes commands it does not know through as text (``<mi>\foo</mi>``) and writes
some environments (``aligned``) as malformed XML, silently.  :func:`latex_to_mathml` therefore
checks every result (well-formed XML, a ``<math>`` root, no backslash command left in it) and raises
:class:`RenderError` otherwise; :func:`expr_mathml` then falls back to SymPy's own presentation
MathML of the expression, checked the same way, and raises if that fails too.
"""
from __future__ import annotations

import html
import html.entities
import re
import unicodedata
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Sequence

import sympy as sp
from latex2mathml.converter import convert as _l2m

from gradproof.derive.core.methods import method_words
from gradproof.derive.core.outcome import REFUTED

if TYPE_CHECKING:  # pragma: no cover
    from gradproof.derive.core.theorem import Identity

__all__ = [
    "RenderError", "IdentityMath", "expr_latex", "latex_to_mathml", "expr_mathml", "check_mathml",
    "identity_math", "identity_html", "identity_latex", "latex_escape", "latex_code",
    "unicode_to_latex", "prose_html", "prose_tex",
]

MATHML_NS = "http://www.w3.org/1998/Math/MathML"


class RenderError(ValueError):
    """An expression could not be rendered correctly (the message carries the LaTeX)."""


# --- Unicode -> LaTeX (derive.core.notation owns the table; RenderError for reports) ----------------

from gradproof.derive.core.notation import TEXT_SYMBOLS, math_char  # noqa: E402
from gradproof.derive.core.notation import unicode_to_latex as _unicode_to_latex  # noqa: E402
from gradproof.derive.core.theorem import register_view  # noqa: E402


def unicode_to_latex(latex: str) -> str:
    """Replace non-ASCII characters of math-mode LaTeX by commands (σ -> ``{\\sigma}``).

    Raises :class:`RenderError` for a character with no LaTeX spelling.
    """
    try:
        return _unicode_to_latex(latex)
    except ValueError as exc:
        raise RenderError(str(exc)) from None


_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "%": r"\%",
    "#": r"\#", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}", '"': "''",
}


def latex_escape(text: object) -> str:
    """Text -> LaTeX text mode that pdflatex accepts: specials escaped, Unicode spelled out.

    Characters with no LaTeX spelling are written as ``[U+XXXX]``; control characters are dropped.
    """
    text = str(text)
    out = []
    for ch in text:
        if ch in _TEXT_ESCAPES:
            out.append(_TEXT_ESCAPES[ch])
        elif ch == "-" and out and out[-1].endswith("-"):
            # no en/em-dash ligature: --train stays two hyphens (the last *written* character, so a
            # dropped control character between two hyphens cannot join them)
            out.append("{}-")
        elif ch in "\n\t":
            out.append(" ")
        elif ch.isascii():
            if ch.isprintable() or ch == " ":
                out.append(ch)
        elif ch in TEXT_SYMBOLS:
            out.append(TEXT_SYMBOLS[ch])
        else:
            cmd = math_char(ch)
            if cmd is not None:
                out.append("$" + cmd + "$")
            else:
                base = unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode()
                if base and all(c.isalnum() for c in base):
                    out.append(base)
                elif unicodedata.category(ch).startswith("C"):
                    pass
                else:
                    out.append(f"[U+{ord(ch):04X}]")
    return "".join(out)


def latex_code(text: str, width: int | None = None) -> str:
    r"""Source code for an ``alltt`` environment: backslash and braces as ``\char``, Unicode spelled
    out in math, tabs expanded; lines longer than ``width`` are broken, the break marked with
    :math:`\hookleftarrow`.  Everything else is printed as typed (typewriter font)."""
    lines = []
    for line in text.expandtabs(4).split("\n"):
        while width and len(line) > width:
            lines.append((line[:width], True))
            line = "        " + line[width:]
        lines.append((line, False))
    out = []
    for line, broken in lines:
        piece = []
        for ch in line:
            if ch in "\\{}":
                piece.append("{\\char%d}" % ord(ch))
            elif ch.isascii():
                piece.append(ch if ch.isprintable() else "")
            else:
                # alltt: only the backslash and braces are special, so math is \( \) and ^ _ are \sp \sb
                cmd = math_char(ch)
                if cmd is not None:
                    cmd = cmd.replace("^", r"\sp").replace("_", r"\sb")
                    piece.append(r"\(" + cmd + r"\)")
                elif ch in TEXT_SYMBOLS and "$" not in TEXT_SYMBOLS[ch]:
                    piece.append(TEXT_SYMBOLS[ch])
                else:
                    piece.append(f"[U+{ord(ch):04X}]")
        out.append("".join(piece) + (r"\(\hookleftarrow\)" if broken else ""))
    return "\n".join(out)


# --- expressions ---------------------------------------------------------------------------------

def expr_latex(expr: sp.Basic) -> str:
    """The LaTeX of ``expr``: :func:`derive.core.notation.latex`, Unicode spelled as commands."""
    from gradproof.derive.core.notation import latex

    tex = unicode_to_latex(latex(expr))
    # limits under lim/max/min in MathML too (latex2mathml writes \lim_x as a subscript)
    return _LIMITS.sub(r"\\\1\\limits", tex)


_LIMITS = re.compile(r"\\(lim|max|min|sup|inf|limsup|liminf)(?=_)")


_LEFTOVER = re.compile(r"\\[A-Za-z]+|\\[^A-Za-z\s]")


def check_mathml(mathml: str, latex: str = "") -> str:
    """Return ``mathml`` if it is one well-formed ``<math>`` element with no LaTeX left in it.

    Raises :class:`RenderError` naming the LaTeX otherwise.
    """
    try:
        root = ET.fromstring(mathml)
    except ET.ParseError as exc:
        raise RenderError(f"latex2mathml made malformed MathML ({exc}) from {latex!r}") from None
    if root.tag not in ("math", f"{{{MATHML_NS}}}math"):
        raise RenderError(f"MathML root is <{root.tag}>, not <math>, for {latex!r}")
    for el in root.iter():
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "merror":
            raise RenderError(f"MathML has an <merror> for {latex!r}")
        for piece in [el.text or "", el.tail or "", *el.attrib.values()]:
            if _LEFTOVER.search(piece):
                raise RenderError(f"LaTeX left in the MathML ({_LEFTOVER.search(piece).group()!r}) "
                                  f"for {latex!r}")
    return mathml


@lru_cache(maxsize=4096)
def latex_to_mathml(latex: str, display: bool = False) -> str:
    """MathML for ``latex`` by latex2mathml, checked by :func:`check_mathml` (may raise)."""
    try:
        m = _l2m(latex, display="block" if display else "inline")
    except Exception as exc:  # noqa: BLE001 - latex2mathml raises assorted errors on bad input
        raise RenderError(f"latex2mathml failed on {latex!r}: {type(exc).__name__}: {exc}") from None
    return check_mathml(_typeset(m), latex)


_TALL = {"mfrac", "munderover", "munder", "mover", "msqrt", "mroot", "mtable"}


def _local(el: ET.Element) -> str:
    return el.tag.rsplit("}", 1)[-1]


def _typeset(mathml: str) -> str:
    """latex2mathml's MathML as the book is typeset: ``{x^l}_j`` (an msub of an msup) as one
    msubsup, so that the scripts of δˡⱼ stand one above the other, not staggered; parentheses
    tight against what they enclose (no operator space), and stretchy only around something tall
    (a fraction, a sum), so that σ(z) is not set as "σ ( z )"."""
    ET.register_namespace("", MATHML_NS)
    try:
        root = ET.fromstring(mathml)
    except ET.ParseError:  # check_mathml says so
        return mathml
    for parent in list(root.iter()):
        for k, el in enumerate(list(parent)):
            if _local(el) != "msub" or len(el) != 2:
                continue
            base, sub = el
            if _local(base) == "mrow" and len(base) == 1:
                base = base[0]
            if _local(base) == "msup" and len(base) == 2:
                new = ET.Element(el.tag.replace("msub", "msubsup"), el.attrib)
                new.extend([base[0], sub, base[1]])
                new.tail = el.tail
                parent.remove(el)
                parent.insert(k, new)
    for row in root.iter():
        kids = list(row)
        fences = [i for i, el in enumerate(kids) if _local(el) == "mo" and el.get("fence") == "true"]
        for i in fences:
            kids[i].set("lspace", "0")
            kids[i].set("rspace", "0")
        if len(fences) >= 2:
            inside = [d for el in kids[fences[0] + 1:fences[-1]] for d in el.iter()]
            if not any(_local(d) in _TALL for d in inside):
                for i in fences:
                    kids[i].set("stretchy", "false")
    return ET.tostring(root, encoding="unicode")


def _entities_to_numeric(m: str) -> str:
    def sub(match: re.Match) -> str:
        name = match.group(1)
        if name in ("lt", "gt", "amp", "quot", "apos"):
            return match.group(0)
        cp = html.entities.name2codepoint.get(name)
        if cp is None:
            ch = html.entities.html5.get(name + ";")
            return "".join(f"&#x{ord(c):X};" for c in ch) if ch else match.group(0)
        return f"&#x{cp:X};"
    return re.sub(r"&([A-Za-z][A-Za-z0-9]*);", sub, m)


def sympy_mathml(expr: sp.Basic, display: bool = False) -> str:
    """SymPy's presentation MathML of ``expr`` as one checked ``<math>`` element (the fallback)."""
    from sympy.printing.mathml import mathml

    body = _entities_to_numeric(mathml(expr, printer="presentation"))
    m = (f'<math xmlns="{MATHML_NS}" display="{"block" if display else "inline"}">'
         f"{body}</math>")
    return check_mathml(m, f"(SymPy MathML of {sp.srepr(expr)[:80]})")


def expr_mathml(expr: sp.Basic | None, latex: str | None = None, display: bool = False) -> str:
    """MathML for ``expr``: latex2mathml on its LaTeX, else SymPy's MathML; raises if both fail."""
    latex = expr_latex(expr) if latex is None else latex
    try:
        return latex_to_mathml(latex, display)
    except RenderError as first:
        if expr is None:
            raise
        try:
            return sympy_mathml(expr, display)
        except RenderError as second:
            raise RenderError(f"{first}; the SymPy fallback failed too: {second}") from None


# --- prose with inline mathematics ----------------------------------------------------------------

def _limits(tex: str) -> str:
    return _LIMITS.sub(r"\\\1\\limits", tex)


def prose_html(text: str) -> str:
    """A reason or note as HTML: prose escaped, each ``$...$`` piece as checked inline MathML.

    A piece that does not render is shown as escaped text, never as raw markup."""
    from gradproof.derive.core.notation import segments

    try:
        parts = segments(str(text))
    except ValueError:
        return html.escape(str(text))
    out = []
    for kind, piece in parts:
        if kind == "text":
            out.append(html.escape(piece))
        elif kind == "code":
            out.append(f"<code>{html.escape(piece)}</code>")
        else:
            try:
                out.append(latex_to_mathml(_limits(piece), False))
            except RenderError:
                out.append(html.escape(piece))
    return "".join(out)


def prose_tex(text: str) -> str:
    """A reason or note as LaTeX text: prose escaped, each ``$...$`` piece as inline math."""
    from gradproof.derive.core.notation import segments

    try:
        parts = segments(str(text))
    except ValueError:
        return latex_escape(text)
    return "".join(latex_escape(p) if k == "text" else
                   r"\texttt{%s}" % latex_escape(p) if k == "code" else f"${p}$" for k, p in parts)


# --- identities ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class IdentityMath:
    """An identity's mathematics as the outputs show it: LaTeX once, MathML from that LaTeX.

    ``statement``/``steps`` hold the LaTeX strings (statements in their checked display forms,
    :mod:`derive.core.display`); ``mathml`` maps each of them to its checked MathML (display style).
    ``checked_at``: the "checked at" lines (prose with ``$...$``); ``notes``: display forms that
    were not shown because their check did not close.
    """

    statement: tuple[str, ...]
    steps: tuple[tuple[str, str], ...]  # (latex, reason)
    mathml: dict[str, str]
    checked_at: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def identity_math(identity: "Identity") -> IdentityMath:
    """Render the statement and the derivation steps of ``identity`` (builds its derivation)."""
    from gradproof.derive.core import display

    mathml: dict[str, str] = {}
    sh = display.shown(identity)

    def one(tex: str, e: sp.Basic) -> str:
        tex = _limits(tex)
        if tex not in mathml:
            mathml[tex] = expr_mathml(e, tex, display=True)
        return tex

    statement = tuple(one(display.display_latex(e, d), e)
                      for e, d in zip(sh.statement, sh.is_display))
    steps = tuple((one(display.step_latex(s.expr, identity), s.expr), s.reason) for s in identity.steps)
    return IdentityMath(statement, steps, mathml, tuple(display.checked_at(identity)), sh.problems)


def identity_html(identity: "Identity", proof=None, math: IdentityMath | None = None) -> str:
    """An HTML fragment (MathML, inline style, no scripts) for an identity: Jupyter's view, with
    the status and method of ``proof`` beside the title."""
    math = math or identity_math(identity)
    e = html.escape
    eq = f" <small>eq. {e(identity.equation)}</small>" if identity.equation else ""
    status = ""
    if proof is not None:
        colour = "#1b7a3a" if proof.ok else "#b00020"
        status = (f' <span style="color:#fff;background:{colour};border-radius:1em;padding:0 0.5em;'
                  f'font-size:0.8em">{e(proof.status.upper())}</span> <small style="color:#555">'
                  f"{e(method_words(proof.method))}</small>")
    parts = ['<div class="gp-identity" style="font-family:sans-serif;line-height:1.4">',
             f"<h4 style=\"margin:0.3em 0\">{e(identity.title)}{eq}{status} "
             f'<code style="color:#666;font-weight:normal">{e(identity.id)}</code></h4>']
    if identity.expect is REFUTED:
        parts.append('<p style="color:#8a4b00;margin:0.2em 0">A transcribed slip: expected to be '
                     "refuted.</p>")
    parts.extend(f"<div>{math.mathml[t]}</div>" for t in math.statement)
    parts.extend(f'<p style="color:#555;margin:0.1em 0 0.3em;font-size:0.9em">Checked {prose_html(c)}</p>'
                 if c.startswith("for ") else
                 f'<p style="color:#555;margin:0.1em 0 0.3em;font-size:0.9em">{prose_html(c)}</p>'
                 for c in math.checked_at)
    assumptions = identity.derivation.assumptions
    if assumptions:
        parts.append(f'<p style="color:#555;margin:0.2em 0">Assumptions: {prose_html(assumptions)}</p>')
    if math.steps:
        parts.append('<ol style="margin:0.3em 0">')
        parts.extend(f'<li>{math.mathml[t]} <span style="color:#555">— {prose_html(r)}</span></li>'
                     for t, r in math.steps)
        parts.append("</ol>")
    parts.append("</div>")
    return "\n".join(parts)


def identity_latex(identity: "Identity", proof=None, math: IdentityMath | None = None) -> str:
    r"""LaTeX for an identity (MathJax): :func:`derive.core.display.identity_latex`."""
    from gradproof.derive.core.display import identity_latex as _identity_latex
    return _identity_latex(identity, proof)


def statement_latex(relations: Sequence[sp.Basic]) -> list[str]:
    """LaTeX of each relation of a statement."""
    return [expr_latex(r) for r in relations]


register_view("html", identity_html)  # Jupyter shows every identity as this HTML (MathML)
