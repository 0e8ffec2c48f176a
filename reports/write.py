"""Write a report: everything rendered in memory first, then each file atomically (tmp + rename);
report.pdf by pdflatex in a private folder when pdflatex is on the PATH."""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from numerics.fileio import write_atomic

from .report import FIGURE_PDF, Report, ReportError

__all__ = ["WriteResult", "write_report", "check_out_dir", "compile_pdf"]


@dataclass
class WriteResult:
    """What :func:`write_report` wrote and what it could not."""

    paths: list[Path]
    pdf: Path | None
    note: str = ""


def check_out_dir(out: Path) -> Path:
    """Create ``out`` if needed and make sure files can be written in it; ValueError otherwise."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is an existing file, not a folder; give a folder name")
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=out, prefix=".gradproof-probe-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ValueError(f"cannot write in the output folder {out}: {exc.strerror or exc}; "
                         "choose a writable folder with --out") from None
    return out


def compile_pdf(tex: str, figure_pdf: bytes | None, out: Path, timeout: float = 180) -> Path:
    """Run pdflatex on ``tex`` in a private folder inside ``out``; move report.pdf into ``out``.

    Raises :class:`ReportError` with pdflatex's first error line when it fails.
    """
    exe = shutil.which("pdflatex")
    if exe is None:
        raise FileNotFoundError("pdflatex")
    work = Path(tempfile.mkdtemp(dir=out, prefix=".gradproof-latex-"))
    try:
        (work / "report.tex").write_text(tex, encoding="utf-8")
        if figure_pdf is not None:
            (work / FIGURE_PDF).write_bytes(figure_pdf)
        env = dict(os.environ, openout_any="p", openin_any="p")
        cmd = [exe, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape", "report.tex"]
        for _ in range(2):  # twice: the table of contents
            try:
                r = subprocess.run(cmd, cwd=work, env=env, capture_output=True, timeout=timeout,
                                   stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                raise ReportError(f"pdflatex did not finish in {timeout:.0f} s") from None
            if r.returncode != 0 or not (work / "report.pdf").exists():
                log = r.stdout.decode("utf-8", "replace").splitlines()
                err = next((i for i, l in enumerate(log) if l.startswith("!")), None)
                msg = " / ".join(l.strip() for l in log[err:err + 3]) if err is not None else \
                    f"exit status {r.returncode}"
                raise ReportError(f"pdflatex failed on report.tex: {msg}")
        target = out / "report.pdf"
        os.replace(work / "report.pdf", target)
        return target
    finally:
        shutil.rmtree(work, ignore_errors=True)


def write_report(report: Report, out: Path | str, *, pdf: bool = True) -> WriteResult:
    """Render everything in memory, then write report.html, report.tex, report.json (and the
    figure, and report.pdf when pdflatex is on the PATH) into ``out``, each atomically."""
    out = check_out_dir(Path(out))
    html_text, tex_text, json_text = report.to_html(), report.to_tex(), report.to_json()
    paths = []
    fig = out / FIGURE_PDF
    if report.figures is not None:
        write_atomic(fig, report.figures.pdf)
        paths.append(fig)
    elif fig.exists():
        fig.unlink()  # a stale figure of an earlier run would not match this report
    for name, text in (("report.tex", tex_text), ("report.json", json_text),
                       ("report.html", html_text)):
        write_atomic(out / name, text)
        paths.append(out / name)
    note, pdf_path = "no report.pdf was asked for (--no-pdf)", None
    if pdf:
        try:
            pdf_path = compile_pdf(tex_text, report.figures.pdf if report.figures else None, out)
            paths.append(pdf_path)
            note = ""
        except FileNotFoundError:
            note = ("pdflatex is not on the PATH, so no report.pdf was made; install TeX Live "
                    "(e.g. apt-get install texlive-latex-recommended) and run pdflatex report.tex")
    if pdf_path is None:
        (out / "report.pdf").unlink(missing_ok=True)  # an earlier run's PDF would not match this report
    return WriteResult(paths, pdf_path, note)
