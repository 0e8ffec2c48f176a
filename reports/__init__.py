"""gradproof's reports: every derivation beside the measured agreement, as HTML, LaTeX/PDF and JSON.

``gather()`` proves the identities, runs the numeric checks and trains; ``assemble()`` turns
computed results into a :class:`Report` (data: its facts are report.json); ``render_html()`` and
``render_tex()`` render it; ``write_report()`` writes report.html (self-contained: MathML, inline
SVG, no scripts), report.tex (+ report.pdf with pdflatex) and report.json.
``identity_html``/``identity_latex`` are the same renderer for one identity (Jupyter).

Names are imported on first use, so that ``import reports`` (and the CLI) stays cheap.
"""
from __future__ import annotations

import importlib
import sys

from gradproof.derive.core.lazy import attach

from .defaults import DEFAULT_EPOCHS, DEFAULT_PRESET

__all__ = ["Report", "ReportError", "RenderError", "WriteResult", "assemble", "gather",
           "render_html", "render_tex", "write_report", "identity_html", "identity_latex",
           "DEFAULT_PRESET", "DEFAULT_EPOCHS"]

_WHERE = {"RenderError": "render", "identity_html": "render", "identity_latex": "render",
          "Report": "report", "ReportError": "report", "assemble": "report",
          "render_html": "html", "render_tex": "latex",
          "gather": "gather", "WriteResult": "write", "write_report": "write"}


def _html_for_jupyter(identity, proof) -> str:
    """derive's Jupyter HTML view, rendered by reports.render (imported on first use)."""
    return importlib.import_module(".render", __name__).identity_html(identity, proof)


# When derive's identities are already loaded (a notebook), give them the HTML view; the CLI,
# which imports reports without them, stays as cheap as it was (reports.render registers the view
# too).  The module that matters is the theorem machinery: a light module of derive (the escaping
# of text, which numerics.fileio uses) loads the package gradproof.derive without any identity.
if "gradproof.derive.core.theorem" in sys.modules:
    from gradproof.derive.core.theorem import register_view

    register_view("html", _html_for_jupyter)


__getattr__, __dir__ = attach(__name__, _WHERE)
