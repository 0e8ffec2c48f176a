"""A proofread derivation as one self-contained HTML page: MathML per line, a badge per step.

Uses the report's renderer (:func:`reports.render.latex_to_mathml`, the same checked MathML as
the report) and its self-containment audit (:func:`reports.html.check_self_contained`); the page
has inline CSS only — no scripts, no URLs.  Each line (and each ``let``/``assume``) is typeset as
the reader typed it: read by the notation reader, unevaluated, and printed in the order written
(:func:`derive.claims.readback.shown_latex`: σ′(z), ∂/∂w, ln), not in SymPy's reordered form.  A
line the reader cannot read is shown as typed, in code.  The title is the file's name.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING

import jinja2
from markupsafe import Markup

from gradproof.derive.claims.reader import read
from gradproof.derive.claims.readback import shown_latex
from gradproof.derive.claims.reading import ReadError

from .html import check_self_contained
from .render import RenderError, latex_to_mathml

if TYPE_CHECKING:  # pragma: no cover
    from gradproof.derive.claims.proofread import Derivation

__all__ = ["render_proofread_html"]

_PAGE = jinja2.Environment(autoescape=True).from_string("""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>gradproof proofread: {{ name }}</title>
<style>
:root { --ok: #1b7a3a; --bad: #b00020; --warn: #8a4b00; --muted: #5c6370; --line: #dde1e6; }
body { font: 15px/1.5 "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #1d2127;
       max-width: 60em; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.4em; margin-bottom: 0.2em; }
.sub, .why, .meta { color: var(--muted); }
.summary { padding: 0.5em 1em; margin: 1em 0; border-left: 6px solid var(--ok); background: #eef8f1; }
.summary.refuted { border-color: var(--bad); background: #fdecee; }
.summary.undecided { border-color: var(--warn); background: #fdf5ea; }
table { border-collapse: collapse; width: 100%; }
td { border-top: 1px solid var(--line); padding: 0.4em 0.5em; vertical-align: top; }
td.n { color: var(--muted); text-align: right; width: 3em; }
tr.refuted td { background: #fdecee; }
code { font-size: 0.92em; }
.badge { display: inline-block; font-size: 0.78em; font-weight: bold; padding: 0.05em 0.55em;
         border-radius: 1em; color: #fff; text-transform: uppercase; }
.badge.proved { background: var(--ok); } .badge.refuted { background: var(--bad); }
.badge.undecided { background: var(--warn); }
</style></head><body>
<h1>Proofread: {{ name }}</h1>
<p class="sub">Each step is checked against the line before it. Proved: equal for every real value of
the symbols (within the assumptions) at which both lines are defined. Refuted: exact values at which
both lines are real and differ.</p>
{% if d.lets or d.assumptions %}<p class="meta">{% for l in d.lets %}let {{ show(l) }}<br>{% endfor %}
{% for a in d.assumptions %}assume {{ show_assumption(a) }}<br>{% endfor %}</p>{% endif %}
<p class="summary {{ d.status }}"><strong>{{ d.summary }}</strong></p>
<table>
<tr><td class="n">{{ d.first_line }}</td><td colspan="2">{{ show(d.first) }}</td></tr>
{% for s in d.steps %}<tr class="{{ s.verdict.status }}"><td class="n">{{ s.line }}</td>
<td>= {{ show(s.text) }}{% if s.reason %}<div class="why">{{ s.reason }}</div>{% endif %}</td>
<td><span class="badge {{ s.verdict.status }}">{{ s.verdict.status }}</span>
{% if s.verdict.status == "proved" %}<div class="meta">by {{ s.verdict.method }}</div>
{% elif s.verdict.status == "refuted" and s.verdict.method == "shapes" %}<div class="meta">{{ s.verdict.detail }}</div>
{% elif s.verdict.status == "refuted" %}<div class="meta">{% if s.verdict.method.startswith("explicit network") %}{{
s.verdict.detail.split(": the sides differ")[0] }}, {% endif %}at {{ s.verdict.counterexample.text() }}:
previous line = {{ s.verdict.lhs_value }}, this line = {{ s.verdict.rhs_value }}</div>
{% else %}<div class="meta">{{ s.verdict.detail }}</div>{% endif %}
{% if s.verdict.note %}<div class="meta">{{ s.verdict.note }}</div>{% endif %}</td></tr>
{% endfor %}</table>
<p class="meta">Domain of the last step: {{ d.steps[-1].verdict.domain if d.steps else "" }}.</p>
</body></html>
""")


def _show(text: str) -> Markup:
    """MathML of the line as typed (the reader's unevaluated tree, in the order written), or the
    typed text in code when the reader cannot read it."""
    try:
        return Markup(latex_to_mathml(shown_latex(read(text))))
    except (ReadError, RenderError, ValueError, TypeError):
        return Markup("<code>") + text + Markup("</code>")


def _show_assumption(text: str) -> Markup:
    """An ``assume`` line: a relation typeset (``!=`` is ≠ there), a kind (``n integer``) as typed."""
    if not any(r in text for r in "<>=≤≥≠"):
        return Markup("<code>") + text + Markup("</code>")
    return _show(text.replace("!=", "≠"))


def render_proofread_html(d: "Derivation") -> str:
    """The page as text (raises ValueError if it would not be self-contained)."""
    return check_self_contained(_PAGE.render(d=d, show=_show, show_assumption=_show_assumption, name=os.path.basename(d.source)))
