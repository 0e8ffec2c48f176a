r"""Proofread notes as one self-contained HTML page: the notes' own text, each display typeset *as
written* (its LaTeX through ``latex2mathml``, not SymPy's reordering), each step marked, the
counterexample beside a refuted step.

The prose between displays is shown as it is in the file (escaped, line breaks kept); the page has
inline CSS only — no scripts, no URLs (:func:`reports.html.check_self_contained`).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import jinja2
from markupsafe import Markup

from .html import check_self_contained
from .render import RenderError, latex_to_mathml

if TYPE_CHECKING:  # pragma: no cover
    from gradproof.derive.claims.notes import Notes

__all__ = ["render_notes_html"]

_PAGE = jinja2.Environment(autoescape=True).from_string("""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>gradproof proofread: {{ n.source }}</title>
<style>
:root { --ok: #1b7a3a; --bad: #b00020; --warn: #8a4b00; --muted: #5c6370; --line: #dde1e6; }
body { font: 15px/1.5 "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #1d2127;
       max-width: 62em; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.4em; } .prose { white-space: pre-wrap; color: #1d2127; margin: 0.6em 0; }
.display { border-left: 6px solid var(--line); padding: 0.3em 1em; margin: 0.8em 0; }
.display.proved { border-color: var(--ok); } .display.refuted { border-color: var(--bad); background: #fdecee; }
.display.undecided, .display.unread { border-color: var(--warn); }
.row { display: flex; gap: 1em; align-items: baseline; } .n { color: var(--muted); width: 3em; text-align: right; }
.step { color: var(--muted); font-size: 0.92em; margin-left: 4em; }
.badge { display: inline-block; font-size: 0.78em; font-weight: bold; padding: 0.05em 0.55em;
         border-radius: 1em; color: #fff; text-transform: uppercase; background: var(--muted); }
.badge.proved { background: var(--ok); } .badge.refuted { background: var(--bad); }
.badge.undecided, .badge.unread { background: var(--warn); }
.summary { padding: 0.5em 1em; border-left: 6px solid var(--ok); background: #eef8f1; }
.summary.refuted { border-color: var(--bad); background: #fdecee; }
.summary.undecided { border-color: var(--warn); background: #fdf5ea; }
</style></head><body>
<h1>Proofread: {{ n.source }}</h1>
<p class="summary {{ n.status.value }}"><strong>{{ n.status.value }}</strong>:
{{ s.displays }} displays ({{ s.claims }} claims, {{ s.definitions }} definitions, {{ s.approximations }}
approximations, {{ s.unread }} not read); steps {{ s.steps.proved }} proved, {{ s.steps.refuted }} refuted,
{{ s.steps.undecided }} undecided{% if s.skipped %}; {{ s.skipped }} skipped{% endif %}.
{% for i in n.ignored %}<br>not applied: {{ i }}{% endfor %}</p>
{% for part in parts %}{% if part.prose is defined %}<div class="prose">{{ part.prose }}</div>
{% else %}{% set d = part.display %}<div class="display {{ d.status }}" id="line-{{ d.line }}">
<div class="row"><span class="badge {{ d.status }}">{{ d.kind if d.kind in ("definition", "approximation") else d.status }}</span></div>
{% for line, latex in d.rows %}<div class="row"><span class="n">{{ line }}</span>{{ typeset(latex) }}</div>{% endfor %}
{% for st in d.steps %}<div class="step"><span class="badge {{ st.status }}">{{ st.status }}</span>
line {{ st.line }}: {{ st.detail }}</div>{% endfor %}
</div>{% endif %}
{% endfor %}</body></html>
""")


def _typeset(latex: str) -> Markup:
    """MathML of the row as written, or the LaTeX itself when latex2mathml cannot typeset it."""
    try:
        return Markup(latex_to_mathml(latex, display=True))
    except (RenderError, ValueError, TypeError, KeyError, IndexError):
        return Markup("<code>") + latex + Markup("</code>")


def render_notes_html(n: "Notes", text: str) -> str:
    """The page for notes ``n`` proofread from ``text`` (raises ValueError if it would not be
    self-contained)."""
    lines = text.split("\n")
    parts, at = [], 1
    for d in n.displays:
        if d.line > at:
            parts.append({"prose": "\n".join(lines[at - 1:d.line - 1]).strip("\n")})
        parts.append({"display": d})
        at = max(at, (d.end or d.line) + 1)
    if at <= len(lines):
        parts.append({"prose": "\n".join(lines[at - 1:]).strip("\n")})
    parts = [p for p in parts if "display" in p or p["prose"].strip()]
    return check_self_contained(_PAGE.render(n=n, s=n.summary, parts=parts, typeset=_typeset))
