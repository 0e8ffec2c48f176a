r"""The LaTeX report: an amsmath document that pdflatex compiles as it is.

Jinja2 with LaTeX-friendly delimiters (``((* block *))``, ``((( value )))``, ``((= comment =))``),
and escaping by default: every value printed with ``((( ... )))`` passes through
:func:`reports.render.latex_escape` unless it is a :class:`Tex` (LaTeX we made ourselves: the
expressions' LaTeX from :func:`reports.render.expr_latex`, code from :func:`latex_code`).
"""
from __future__ import annotations

import re

import jinja2

from .code import code_latex, latex_style_defs
from .folder import FIGURE_PDF
from .render import latex_code, latex_escape, prose_tex
from .report import Report
from .view import VIEW_GLOBALS, fmt_num, fmt_pct

__all__ = ["Tex", "render_tex", "tex_env", "missing_package"]

#: A LaTeX file the report needs -> the Debian package that ships it (texlive-latex-base has none of
#: these but ``article``; ``lmodern`` is its own package).
_PACKAGES = {"lmodern.sty": "lmodern", "t1lmr.fd": "lmodern", "booktabs.sty": "texlive-latex-recommended",
             "fancyvrb.sty": "texlive-latex-recommended", "xcolor.sty": "texlive-latex-recommended",
             "hyperref.sty": "texlive-latex-recommended", "geometry.sty": "texlive-latex-recommended"}


class Tex(str):
    """A string that is already LaTeX: printed as it is."""


def _finalize(value):
    if isinstance(value, Tex):
        return value
    if value is None:
        return ""
    return latex_escape(value)


def _path(value) -> Tex:
    """A file name or path in typewriter, breakable after each '/'."""
    # break after each '/' and every 16 characters of a long hex digest
    pieces = []
    for part in re.split(r"(?<=/)", str(value)):
        if re.fullmatch(r"[0-9a-f]{32,}", part):
            pieces += [part[i:i + 16] for i in range(0, len(part), 16)]
        else:
            pieces.append(part)
    return Tex(r"\texttt{" + r"\allowbreak{}".join(latex_escape(p) for p in pieces) + "}")


def _code(value, width: int = 96) -> Tex:
    return Tex(latex_code(str(value), width))


def _num(value) -> Tex:
    s = fmt_num(value)
    if "e" in s and s.replace("e", "").replace("-", "").replace("+", "").replace(".", "").isdigit():
        mant, exp = s.split("e")
        return Tex(f"${mant}\\times10^{{{int(exp)}}}$")
    return Tex(latex_escape(s))


def _pct(value) -> Tex:
    return Tex(latex_escape(fmt_pct(value)))


def tex_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("gradproof.reports", "templates"),
        block_start_string="((*", block_end_string="*))",
        variable_start_string="(((", variable_end_string=")))",
        comment_start_string="((=", comment_end_string="=))",
        line_statement_prefix=None, line_comment_prefix=None,
        trim_blocks=True, lstrip_blocks=True, autoescape=False, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined, finalize=_finalize, extensions=["jinja2.ext.do"],
    )
    env.filters.update(tex=Tex, path=_path, code=_code, num=_num, pct=_pct, e=latex_escape,
                       prose=lambda t: Tex(prose_tex(t)), highlight=lambda s: Tex(code_latex(str(s))))
    env.globals["pygments_defs"] = Tex(latex_style_defs())
    env.globals.update(VIEW_GLOBALS)
    return env


_ENV = tex_env()


def render_tex(report: Report, figure: str | None = FIGURE_PDF) -> str:
    """The LaTeX document as text; ``figure`` is the file name of the figures' PDF (a page each)."""
    return _ENV.get_template("report.tex.j2").render(
        f=report.facts, figure=figure if report.figures is not None else None)


def missing_package(log: str) -> str | None:
    """What to install when pdflatex stopped because a file is missing (``! LaTeX Error: File
    `lmodern.sty' not found.``): one line naming the file and its Debian package; None otherwise."""
    m = re.search(r"File `([^']+)' not found", log)
    if m is None:
        return None
    name = m.group(1)
    package = _PACKAGES.get(name)
    fix = f"apt-get install {package}" if package else "install the TeX Live package that has it"
    return f"the LaTeX file {name} is missing ({fix}; `tlmgr search --file {name}` names it on TeX Live)"

