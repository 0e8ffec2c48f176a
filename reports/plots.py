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

__all__ = ["Figures", "learning_curves", "clean_svg", "Pictures", "pictures", "digit_grid",
           "mistakes_grid", "confusion_figure"]

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


def curves_figure(training: dict, book: dict | None = None) -> Figure:
    """Accuracy (%) and cost per epoch, every recorded split on the same axes (training and
    validation together: the book's chapter 3 overfitting picture), the book's figure dashed."""
    epochs = training.get("epochs") or []
    if not epochs:
        raise ValueError("learning_curves: the training record has no epochs; train at least one")
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
    return fig


def learning_curves(training: dict, book: dict | None = None, prefix: str = "curves") -> Figures:
    """Accuracy (%) and cost per epoch from a ``gradproof train --json`` object.

    ``book``: ``{"set": "test", "accuracy": 0.9542, "epochs": 30}`` draws the book's published
    figure as a dashed line.  Raises ``ValueError`` when there are no epochs to plot.
    """
    with matplotlib.rc_context(_RC):
        fig = curves_figure(training, book)
        svg_buf, pdf_buf = io.StringIO(), io.BytesIO()
        FigureCanvasSVG(fig).print_svg(svg_buf, metadata={"Date": None})
        FigureCanvasPdf(fig).print_pdf(pdf_buf, metadata={"CreationDate": None, "ModDate": None})
    return Figures(clean_svg(svg_buf.getvalue(), prefix), pdf_buf.getvalue())


def clean_svg(svg: str, prefix: str, label: str = "learning curves") -> str:
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
    svg = re.sub(r"<svg\b", f'<svg role="img" aria-label="{label}"', svg, count=1)
    if re.search(r"https?://|@import|<script", re.sub(r'href="data:image/png;base64,[A-Za-z0-9+/=\s]*"', "", svg), re.I):
        raise ValueError("clean_svg: an external reference survived cleaning")
    return svg


# --- pictures of the data and of the trained network ------------------------------------------------

def _digits_axes(fig, images, titles, cols: int):
    """The images as one mosaic (one axes, one raster: fast to draw), each titled above its cell."""
    import numpy as np

    n = len(images)
    rows = max(1, -(-n // cols))
    cell, gap, top = 28, 4, 10  # pixels: digit, gap between digits, room for the title
    h, w = cell + gap + top, cell + gap
    mosaic = np.zeros((rows * h, cols * w), dtype=np.uint8)
    ax = fig.subplots()
    for k in range(n):
        r, c = divmod(k, cols)
        y, x = r * h + top, c * w + gap // 2
        mosaic[y:y + cell, x:x + cell] = np.asarray(images[k]).reshape(28, 28)
        if titles:
            ax.text(x + cell / 2, y - 2, titles[k], ha="center", va="bottom", fontsize=7)
    ax.imshow(mosaic, cmap="gray_r", vmin=0, vmax=255, interpolation="nearest")
    ax.set_axis_off()
    return ax


def digit_grid(images, labels, cols: int = 12) -> Figure:
    """MNIST images (uint8 rows of 784) as a grid, each with its label."""
    fig = Figure(figsize=(7.5, 0.72 * max(1, -(-len(images) // cols))), layout="constrained")
    _digits_axes(fig, images, [str(int(v)) for v in labels], cols)
    return fig


def mistakes_grid(images, labels, guesses, cols: int = 12) -> Figure:
    """Test images the network gets wrong, titled "label → guess" (the book's chapter 1 figure)."""
    fig = Figure(figsize=(7.5, 0.78 * max(1, -(-len(images) // cols))), layout="constrained")
    _digits_axes(fig, images, [f"{int(a)}→{int(g)}" for a, g in zip(labels, guesses)], cols)
    return fig


def confusion_figure(matrix) -> Figure:
    """A 10×10 confusion matrix (rows: the true digit, columns: the network's guess) with counts."""
    import numpy as np

    m = np.asarray(matrix)
    fig = Figure(figsize=(4.2, 3.6), layout="constrained")
    ax = fig.subplots()
    off = m.astype(float).copy()
    np.fill_diagonal(off, np.nan)  # colour the mistakes; the diagonal is printed, not shaded
    ax.imshow(off, cmap="Reds", interpolation="nearest")
    top_off = max(1, np.nanmax(off) if np.isfinite(off).any() else 1)
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            if m[i, j]:
                dark = i != j and m[i, j] > 0.6 * top_off  # white on the darkest reds
                ax.text(j, i, str(int(m[i, j])), ha="center", va="center", fontsize=6,
                        color="white" if dark else "black", fontweight="bold" if i == j else "normal")
    ax.set(xticks=range(m.shape[1]), yticks=range(m.shape[0]), xlabel="the network's guess",
           ylabel="the true digit", title="Confusion matrix (test images)")
    ax.tick_params(length=0, labelsize=7)
    return fig


@dataclass(frozen=True)
class Pictures:
    """The report's figures: ``svg`` name -> inline SVG; ``pdf`` one PDF, a page per figure in
    ``pages`` order (LaTeX includes page k of it)."""

    svg: dict
    pdf: bytes
    pages: tuple


def pictures(build: dict, prefix: str = "fig") -> Pictures:
    """Render named figures (name -> zero-argument function making the matplotlib Figure, run in
    the report's style) to inline SVG and to one multi-page PDF."""
    from matplotlib.backends.backend_pdf import PdfPages

    svgs = {}
    buf = io.BytesIO()
    with matplotlib.rc_context(_RC):
        figures = {name: make() for name, make in build.items()}
        with PdfPages(buf, metadata={"CreationDate": None, "ModDate": None}) as pdf:
            for name, fig in figures.items():
                s = io.StringIO()
                FigureCanvasSVG(fig).print_svg(s, metadata={"Date": None})
                svgs[name] = clean_svg(s.getvalue(), f"{prefix}-{name}", label=name.replace("_", " "))
                FigureCanvasPdf(fig)
                pdf.savefig(fig)
                if name == "curves":
                    svgs[name] = clean_svg(s.getvalue(), "curves")
    return Pictures(svgs, buf.getvalue(), tuple(figures))
