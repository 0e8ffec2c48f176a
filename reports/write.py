"""Write a report without ever destroying what is not ours, all or nothing.

- :func:`check_out_dir` accepts a new or empty folder, or one holding only the files an earlier
  gradproof report wrote there (its report.json lists them under ``files``; a report.json of an
  older gradproof, without the list, vouches for the five names a report writes).  Anything else
  in the folder is refused with one line: gradproof never replaces or deletes a file it did not
  write, including with ``--out .``.
- :func:`write_report` renders everything in memory (:func:`reports.html.render_html`,
  :func:`reports.latex.render_tex`), writes the whole set (and report.pdf, by
  pdflatex in a private folder, when pdflatex is on the PATH) into a staging folder inside the
  output folder (the same file system; the output folder itself is never renamed, so ``--out .``
  works), then swaps the files in with SIGINT and SIGTERM held back: a run stopped at any point
  leaves the earlier set or the new one, never a mix, and the staging folder is removed in a
  ``finally`` (the CLI turns SIGTERM into an exception, so that this runs).
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import stat
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from gradproof.numerics.fileio import loads_json, printable, write_atomic

from .html import render_html
from .latex import render_tex
from .report import FIGURE_PDF, Report, ReportError

__all__ = ["WriteResult", "write_report", "check_out_dir", "compile_pdf", "owned_files"]

#: What a report.json without a ``files`` list (an older gradproof's) vouches for.
_REPORT_NAMES = frozenset({"report.html", "report.tex", "report.json", "report.pdf", FIGURE_PDF})
_STAGING = ".gradproof-staging-"
_MAX_JSON = 256 * 2**20


@dataclass
class WriteResult:
    """What :func:`write_report` wrote and what it could not."""

    paths: list[Path]
    pdf: Path | None
    note: str = ""


def owned_files(out: Path) -> frozenset[str]:
    """The names in ``out`` that an earlier gradproof report wrote (empty when there is none)."""
    path = Path(out) / "report.json"
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > _MAX_JSON:
            return frozenset()
        facts = loads_json(path.read_text(encoding="utf-8"), max_depth=200)
    except (OSError, ValueError, UnicodeDecodeError):
        return frozenset()
    if not isinstance(facts, dict) or not str(facts.get("format", "")).startswith("gradproof-report"):
        return frozenset()
    files = facts.get("files")
    if files is None:
        return _REPORT_NAMES
    if not isinstance(files, list):
        return frozenset()
    return frozenset(f for f in files if f in _REPORT_NAMES) | {"report.json"}


def check_out_dir(out: Path) -> Path:
    """Create ``out`` if needed and make sure a report may be written in it: files can be created
    there, and everything already there is an earlier gradproof report's.  ValueError otherwise."""
    out = Path(out)
    shown = f"--out {printable(out)}"
    try:
        if out.exists() and not out.is_dir():
            raise ValueError(f"{shown} is an existing file, not a folder; give a folder name")
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=out, prefix=".gradproof-probe-")
        os.close(fd)
        os.unlink(probe)
        present = [e for e in os.listdir(out) if not e.startswith(_STAGING)]
    except OSError as exc:
        raise ValueError(f"cannot write in the output folder {printable(out)}: "
                         f"{exc.strerror or exc}; choose a writable folder with --out") from None
    owned = owned_files(out) if present else frozenset()
    foreign = sorted(e for e in present if e not in owned
                     or not stat.S_ISREG(os.lstat(out / e).st_mode))
    if foreign:
        names = ", ".join(printable(f) for f in foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise ValueError(f"{shown} holds {len(foreign)} file(s) that no gradproof report wrote "
                         f"({names}); gradproof never replaces them: choose a new or empty folder "
                         "with --out")
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
    figure, and report.pdf when pdflatex is on the PATH) into ``out`` as one set: staged, then
    swapped in (see the module's docstring).  report.json lists the set under ``files``."""
    out = check_out_dir(Path(out))
    before = owned_files(out)
    html_text, tex_text = render_html(report), render_tex(report)
    stage = Path(tempfile.mkdtemp(dir=out, prefix=_STAGING))
    pdf_error = None
    try:
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
        names.append("report.json")
        listed = dataclasses.replace(report, facts={**report.facts, "files": sorted(names)})
        write_atomic(stage / "report.json", listed.to_json())
        _swap_in(stage, out, names, stale=sorted(before - set(names)))
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    if pdf_error is not None:
        raise pdf_error
    order = [FIGURE_PDF, "report.tex", "report.json", "report.html", "report.pdf"]
    paths = [out / n for n in order if n in names]
    return WriteResult(paths, out / "report.pdf" if "report.pdf" in names else None, note)


def _swap_in(stage: Path, out: Path, names: list[str], stale: list[str]) -> None:
    """Move the staged ``names`` into ``out`` and remove the earlier report's ``stale`` files, with
    SIGINT and SIGTERM held back until it is done (their Python handlers are replaced by one that
    only notes the signal, then restored and called: masking the signal would not do, as another
    thread, e.g. BLAS's, may receive it).  Order: stale files first, then report.json (whose list
    then covers every file present), then the rest."""
    pending: list[int] = []
    held = {}
    try:
        for signum in (signal.SIGINT, signal.SIGTERM):
            held[signum] = signal.signal(signum, lambda n, frame: pending.append(n))
    except ValueError:  # not the main thread: no Python handler can run here anyway
        pass
    try:
        for name in stale:
            (out / name).unlink(missing_ok=True)
        for name in sorted(names, key=lambda n: n != "report.json"):
            os.replace(stage / name, out / name)
    finally:
        for signum, handler in held.items():
            signal.signal(signum, handler)
        for signum in pending[:1]:  # now act on it as the process would have
            handler = held[signum]
            if callable(handler):
                handler(signum, None)
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), signum)
