"""reports.latex: report.tex compiles with pdflatex as it is, and the PDF has pages."""
import re
import shutil
import subprocess

import pytest

from gradproof.reports.folder import FIGURE_PDF
from gradproof.reports.latex import render_tex
from gradproof.reports.render import latex_code, latex_escape
from gradproof.reports.write import write_report

from ..limits import HANG_GUARD
from .conftest import need, overfull_boxes


def pages(pdf) -> int:
    if shutil.which("pdfinfo"):
        out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
        return int(re.search(r"^Pages:\s+(\d+)", out.stdout, re.M).group(1))
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))


@pytest.mark.parametrize("which", ["good_report", "bad_report"])
def test_report_compiles_with_pdflatex(which, request, tmp_path):
    need("pdflatex")
    report = request.getfixturevalue(which)
    res = write_report(report, tmp_path)
    assert res.pdf == tmp_path / "report.pdf" and res.note == ""
    assert res.pdf.read_bytes().startswith(b"%PDF") and pages(res.pdf) >= 2
    # what was written compiles again, unedited, in the output folder
    r = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "report.tex"],
                       cwd=tmp_path, capture_output=True, timeout=HANG_GUARD)
    assert r.returncode == 0, r.stdout.decode(errors="replace")[-2000:]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".gradproof-")]


def test_figure_is_included_when_there_is_training(good_report, bad_report):
    assert rf"\includegraphics[width=\linewidth,page=1]{{{FIGURE_PDF}}}" in render_tex(good_report)
    assert r"\includegraphics" not in render_tex(bad_report)  # no training, no figure


def test_expressions_are_the_shared_latex(good_report):
    tex = render_tex(good_report)
    for d in good_report.facts["identities"]:
        for t in d["statement"]:
            assert t in tex
        for st in d["steps"]:
            assert st["latex"] in tex


def test_escaped_text_prints_literally(tmp_path):
    """pdflatex is the oracle: escaped specials and Unicode compile, and print as themselves."""
    need("pdflatex")
    texts = ["a_b & c % d # e $ f ^ g ~ h \\ i { j } k < l > m | n",
             "--train none", "σ′ = σ(1−σ) → ∞, ≤ ≥ · × ∂ ∇ ⊙ η λ δᴸ ²", "café — “quoted” …",
             "unknown: 中文 \x07 end"]
    code = "def f(x):\n    return {'σ': x ** 2}  # a \\ b $ % & _ ^ ~\n" + "y = 1 + " * 20
    body = "\n\n".join(latex_escape(t) for t in texts)
    doc = (r"\documentclass{article}\usepackage{amsmath,amssymb}\usepackage{alltt}"
           r"\usepackage{textcomp}\begin{document}" + body +
           "\n\\begin{alltt}\n" + latex_code(code, 60) + "\n\\end{alltt}\n\\end{document}\n")
    (tmp_path / "t.tex").write_text(doc)
    r = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "t.tex"],
                       cwd=tmp_path, capture_output=True, timeout=HANG_GUARD)
    assert r.returncode == 0, r.stdout.decode(errors="replace")[-1500:]
    if shutil.which("pdftotext"):
        txt = subprocess.run(["pdftotext", "t.pdf", "-"], cwd=tmp_path, capture_output=True,
                             text=True).stdout
        flat = re.sub(r"\s+", "", txt)
        # (OT1 draws the underscore as a rule, which pdftotext does not extract)
        for piece in ["&c%d#e$f", "\\i{j}k<l>m|n", "--trainnone", "σ′=σ(1−σ)→∞", "return{",
                      "#a\\b$%&_^~", "[U+4E2D]"]:
            assert piece in flat, (piece, txt)


def test_no_box_wider_than_10pt_and_no_wrapped_code(full_report, tmp_path):
    """pdflatex's log is the oracle for layout: no overfull box over 10 pt in the whole report;
    the kernel listing is highlighted (Pygments) and never broken with continuation arrows."""
    need("pdflatex")
    res = write_report(full_report, tmp_path, pdf=False)
    tex = (tmp_path / "report.tex").read_text(encoding="utf-8")
    assert r"\hookleftarrow" not in tex and r"\begin{Verbatim}" in tex and r"\PY{k}{def}" in tex
    assert r"\usepackage{lmodern}" in tex and r"{hyperref}" in tex
    wide = overfull_boxes(tmp_path)
    assert not [w for w in wide if w[0] > 10], wide
    assert res.paths


def test_a_missing_latex_package_is_named(tmp_path):
    """pdflatex's own log is the oracle: a package that is not installed is named with the fix,
    and lmodern (missing beside texlive-latex-base) with its Debian package."""
    need("pdflatex")
    from gradproof.reports.latex import missing_package
    from gradproof.reports.report import ReportError
    from gradproof.reports.write import compile_pdf

    tex = "\\documentclass{article}\n\\usepackage{gradproofnosuchpackage}\n\\begin{document}x\\end{document}\n"
    with pytest.raises(ReportError) as exc:
        compile_pdf(tex, None, tmp_path)
    assert "the LaTeX file gradproofnosuchpackage.sty is missing" in str(exc.value), str(exc.value)
    lm = missing_package("! LaTeX Error: File `lmodern.sty' not found.\n")
    assert "apt-get install lmodern" in lm
    assert missing_package("! Undefined control sequence.") is None
