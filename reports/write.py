"""Write a report without ever destroying what is not ours; the output folder always holds one whole set.

- The folder is checked, and what a stopped run left there finished or undone, by
  :mod:`reports.folder` (:func:`~reports.folder.check_out_dir`, :func:`~reports.folder.recover`;
  re-exported here with :func:`owned_files` and :func:`verify_set`).
- :func:`write_report` renders everything in memory (:func:`reports.html.render_html`,
  :func:`reports.latex.render_tex`), writes the whole set (and report.pdf, by
  pdflatex in a private folder, when pdflatex is on the PATH) into a staging folder inside the
  output folder (the same file system; the output folder itself is never renamed, so ``--out .``
  works), each file fsync'ed, then a **manifest** (every name with its SHA-256, and the earlier
  files the set replaces) as the staging folder's last file: from then on the new set is
  decided.  Then the files are swapped in with SIGINT and SIGTERM held back
  (:func:`~reports.folder.swap_in`), the folder fsync'ed, and the staging folder removed.
- So ``--out DIR`` holds the earlier complete set or the new one, never a mix, and no staging
  folder outlives the next run.
"""
from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gradproof.numerics.fileio import printable, write_atomic

from .folder import (FIGURE_PDF, MANIFEST, STAGING, check_out_dir, fsync_dir, owned_files, recover,
                     roll_forward, sha256_of, swap_in, verify_set)
from .html import render_html
from .latex import missing_package, render_tex
from .report import Report, ReportError

__all__ = ["WriteResult", "write_report", "check_out_dir", "compile_pdf", "owned_files", "recover",
           "verify_set"]


@dataclass
class WriteResult:
    """What :func:`write_report` wrote and what it could not."""

    paths: list[Path]
    pdf: Path | None
    note: str = ""


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
                msg = missing_package("\n".join(log)) or (
                    " / ".join(l.strip() for l in log[err:err + 3]) if err is not None else
                    f"exit status {r.returncode}")
                raise ReportError(f"pdflatex failed on report.tex: {msg}")
        target = out / "report.pdf"
        os.replace(work / "report.pdf", target)
        return target
    finally:
        shutil.rmtree(work, ignore_errors=True)


def write_report(report: Report, out: Path | str, *, pdf: bool = True) -> WriteResult:
    """Render everything in memory, then write report.html, report.tex, report.json (and the
    figure, and report.pdf when pdflatex is on the PATH) into ``out`` as one set: staged, then
    swapped in (see the module's docstring).  report.json lists the set under ``files`` and the
    SHA-256 of each other file under ``digests``."""
    out = check_out_dir(Path(out))
    before = owned_files(out)
    # every text a page holds passes the one escaping function (a reason's ESC ]0;…BEL included)
    html_text, tex_text = (printable(render(report), page=True) for render in (render_html, render_tex))
    stage = Path(tempfile.mkdtemp(dir=out, prefix=STAGING))
    hold = os.open(stage, os.O_RDONLY | os.O_DIRECTORY)
    pdf_error, committed = None, False
    try:
        fcntl.flock(hold, fcntl.LOCK_EX)  # held until this process ends or removes the folder
        names = []
        if report.figures is not None:
            write_atomic(stage / FIGURE_PDF, report.figures.pdf)
            names.append(FIGURE_PDF)
        for name, text in (("report.tex", tex_text), ("report.html", html_text)):
            write_atomic(stage / name, text)
            names.append(name)
        note = "no report.pdf was asked for (--no-pdf)"
        if pdf:
            try:
                compile_pdf(tex_text, report.figures.pdf if report.figures else None, stage)
                names.append("report.pdf")
                note = ""
            except FileNotFoundError:
                note = ("pdflatex is not on the PATH, so no report.pdf was made; install TeX Live "
                        "(e.g. apt-get install texlive-latex-recommended) and run pdflatex report.tex")
            except ReportError as exc:  # the other files are still written; the caller says so
                pdf_error, note = exc, ""
        digests = {n: sha256_of(stage / n) for n in names}
        names.append("report.json")
        listed = dataclasses.replace(report, facts={**report.facts, "files": sorted(names),
                                                    "digests": digests})
        write_atomic(stage / "report.json", listed.to_json())
        digests["report.json"] = sha256_of(stage / "report.json")
        stale = sorted(before - set(names))
        fsync_dir(stage)
        write_atomic(stage / MANIFEST, json.dumps({"files": digests, "stale": stale}))
        fsync_dir(stage)  # the new set is decided: a later run finishes this swap if we die
        committed = True
        swap_in(stage, out, names, stale)
    finally:
        # Not committed: the earlier set is untouched, and the staging folder goes.  Committed:
        # the swap is finished here if an exception stopped it; if even that fails, the staging
        # folder stays for the next run to finish (see recover).
        if not committed or roll_forward(stage, out):
            shutil.rmtree(stage, ignore_errors=True)
        os.close(hold)
        try:
            fsync_dir(out)
        except OSError:
            pass
    if pdf_error is not None:
        raise pdf_error
    order = [FIGURE_PDF, "report.tex", "report.json", "report.html", "report.pdf"]
    paths = [out / n for n in order if n in names]
    return WriteResult(paths, out / "report.pdf" if "report.pdf" in names else None, note)
