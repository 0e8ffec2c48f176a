"""Learning curves with matplotlib (no pyplot, no display): SVG for the HTML page, PDF for LaTeX.

The SVG is made safe to inline: no XML prolog or DOCTYPE, no RDF metadata, no namespace URLs, and
every ``id`` (and ``#id`` reference) prefixed, so two figures on one page cannot collide.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass

import matplotlib
from matplotlib.backends.backend_pdf import FigureCanvasPdf
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

__all__ = ["Figures", "learning_curves", "clean_svg"]

_RC = {"svg.hashsalt": "gradproof", "svg.fonttype": "none", "font.size": 9,
       "pdf.fonttype": 42, "axes.spines.top": False, "axes.spines.right": False}


@dataclass(frozen=True)
class Figures:
    """One figure in both formats: ``svg`` (text, ready to inline) and ``pdf`` (bytes)."""

    svg: str
    pdf: bytes


def _series(epochs: list[dict], suffix: str) -> dict[str, tuple[list[float], list[float]]]:
    keys = [k for k in epochs[0] if k.endswith(suffix)] if epochs else []
    out = {}
    for k in keys:
        pts = [(e["epoch"], e[k]) for e in epochs if e.get(k) is not None]
        if pts:
            out[k[: -len(suffix)]] = ([p[0] for p in pts], [p[1] for p in pts])
    return out


def learning_curves(training: dict, book: dict | None = None, prefix: str = "curves") -> Figures:
    """Accuracy (%) and cost per epoch from a ``gradproof train --json`` object.

    ``book``: ``{"set": "test", "accuracy": 0.9542, "epochs": 30}`` draws the book's published
    figure as a dashed line.  Raises ``ValueError`` when there are no epochs to plot.
    """
    epochs = training.get("epochs") or []
    if not epochs:
        raise ValueError("learning_curves: the training record has no epochs; train at least one")
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(7.5, 2.8), layout="constrained")
        ax_acc, ax_cost = fig.subplots(1, 2)
        for name, (x, y) in _series(epochs, "_accuracy").items():
            ax_acc.plot(x, [100 * v for v in y], marker="o", ms=3, label=f"{name}")
        if book and book.get("accuracy") is not None:
            ax_acc.axhline(100 * book["accuracy"], ls="--", lw=1, color="0.4",
                           label=f"book: {book.get('set', '')} ({book.get('epochs', '?')} epochs)")
        ax_acc.set(xlabel="epoch", ylabel="accuracy (%)", title="Accuracy")
        for name, (x, y) in _series(epochs, "_cost").items():
            ax_cost.plot(x, y, marker="o", ms=3, label=name)
        ax_cost.set(xlabel="epoch", ylabel="cost", title="Cost")
        for ax in (ax_acc, ax_cost):
            ax.grid(alpha=0.3)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=7, frameon=False)
            if len(epochs) <= 12:
                ax.set_xticks(sorted({e["epoch"] for e in epochs}))
        svg_buf, pdf_buf = io.StringIO(), io.BytesIO()
        FigureCanvasSVG(fig).print_svg(svg_buf, metadata={"Date": None})
        FigureCanvasPdf(fig).print_pdf(pdf_buf, metadata={"CreationDate": None, "ModDate": None})
    return Figures(clean_svg(svg_buf.getvalue(), prefix), pdf_buf.getvalue())


def clean_svg(svg: str, prefix: str) -> str:
    """Matplotlib's SVG as an element to inline in HTML: no prolog, DOCTYPE, metadata, URLs."""
    start = svg.find("<svg")
    if start < 0:
        raise ValueError("clean_svg: no <svg> element in the input")
    svg = svg[start:]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    svg = svg.replace("xlink:href=", "href=")
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})", svg)
    svg = re.sub(r"<svg\b", '<svg role="img" aria-label="learning curves"', svg, count=1)
    if re.search(r"https?://|@import|<script", svg, re.I):
        raise ValueError("clean_svg: an external reference survived cleaning")
    return svg
