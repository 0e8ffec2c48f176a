"""Write a report without ever destroying what is not ours; the output folder always holds one whole set.

- :func:`check_out_dir` accepts a new or empty folder, or one holding only the files an earlier
  gradproof report wrote there (its report.json lists them under ``files``, with the SHA-256 of
  each under ``digests``, checked here: a file changed since is not ours; a report.json of an
  older gradproof, without the list, vouches for the five names a report writes).  Anything else
  in the folder is refused with one line: gradproof never replaces or deletes a file it did not
  write, including with ``--out .``.
- :func:`write_report` renders everything in memory (:func:`reports.html.render_html`,
  :func:`reports.latex.render_tex`), writes the whole set (and report.pdf, by
  pdflatex in a private folder, when pdflatex is on the PATH) into a staging folder inside the
  output folder (the same file system; the output folder itself is never renamed, so ``--out .``
  works), each file fsync'ed, then a **manifest** (every name with its SHA-256, and the earlier
  files the set replaces) as the staging folder's last file: from then on the new set is
  decided.  Then the files are swapped in with SIGINT and SIGTERM held back, the folder
  fsync'ed, and the staging folder removed.
- A run stopped at any instant, by SIGKILL or a power loss included, is finished or undone by
  the next (:func:`recover`, called by :func:`check_out_dir`): a staging folder that no live
  process holds (each run holds an ``flock`` on its own, which the kernel releases when the
  process dies) is rolled forward when its manifest is there and every file of it verifies, in
  the staging folder or already in place; otherwise (the run died while staging, before the
  earlier set was touched) it is removed.  So ``--out DIR`` holds the earlier complete set or
  the new one, never a mix, and no staging folder outlives the next run.
"""
from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
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
from .latex import missing_package, render_tex
from .report import FIGURE_PDF, Report, ReportError

__all__ = ["WriteResult", "write_report", "check_out_dir", "compile_pdf", "owned_files", "recover",
           "verify_set"]

#: What a report.json without a ``files`` list (an older gradproof's) vouches for.
_REPORT_NAMES = frozenset({"report.html", "report.tex", "report.json", "report.pdf", FIGURE_PDF})
_STAGING = ".gradproof-staging-"
_PROBE = ".gradproof-probe-"
_MANIFEST = ".manifest.json"
_MAX_JSON = 256 * 2**20


@dataclass
class WriteResult:
    """What :func:`write_report` wrote and what it could not."""

    paths: list[Path]
    pdf: Path | None
    note: str = ""


def _sha256(path: Path) -> str | None:
    """SHA-256 of the regular file ``path`` (not followed if a link), or None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        h = hashlib.sha256()
        while chunk := os.read(fd, 1 << 20):
            h.update(chunk)
        return h.hexdigest()
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_json(path: Path) -> object:
    """The JSON in the regular file ``path``, or None."""
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_size > _MAX_JSON:
            return None
        return loads_json(path.read_text(encoding="utf-8"), max_depth=200)
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def _listing(out: Path) -> tuple[frozenset[str], dict[str, str]]:
    """The names an earlier report's report.json vouches for, and the digests it records."""
    facts = _read_json(Path(out) / "report.json")
    if not isinstance(facts, dict) or not str(facts.get("format", "")).startswith("gradproof-report"):
        return frozenset(), {}
    files = facts.get("files")
    if files is None:
        return _REPORT_NAMES, {}
    if not isinstance(files, list):
        return frozenset(), {}
    digests = facts.get("digests")
    digests = {k: v for k, v in digests.items() if isinstance(k, str) and isinstance(v, str)} \
        if isinstance(digests, dict) else {}
    return frozenset(f for f in files if f in _REPORT_NAMES) | {"report.json"}, digests


def owned_files(out: Path) -> frozenset[str]:
    """The names in ``out`` that an earlier gradproof report wrote (empty when there is none):
    listed by its report.json and, where it records their SHA-256, unchanged since."""
    names, digests = _listing(out)
    return frozenset(n for n in names if n not in digests or _sha256(Path(out) / n) == digests[n])


def verify_set(out: Path) -> bool:
    """Whether ``out`` holds one whole report: a report.json that lists every report file present,
    each with the SHA-256 it records (a set of an older gradproof, without digests, cannot say)."""
    names, digests = _listing(out)
    if not names or not digests:
        return False
    present = {e for e in os.listdir(out) if e in _REPORT_NAMES}
    return present == set(names) and all(_sha256(Path(out) / n) == d for n, d in digests.items()
                                         if n in names)


def _held(stage: Path) -> bool:
    """Whether a live process holds ``stage`` (its writer's flock; released when it dies)."""
    try:
        fd = os.open(stage, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return True  # not ours to judge (gone, or not a folder)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(fd)  # closing releases a lock just taken
    return False


def _roll_forward(stage: Path, out: Path) -> bool:
    """Finish the swap of a dead run's complete staging folder; False when it is not complete."""
    manifest = _read_json(stage / _MANIFEST)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        return False
    files, stale = manifest["files"], manifest.get("stale", [])
    if not all(n in _REPORT_NAMES and isinstance(d, str) for n, d in files.items()) or \
            not isinstance(stale, list) or not set(stale) <= _REPORT_NAMES - set(files):
        return False
    for name, digest in files.items():
        if _sha256(stage / name) != digest and _sha256(out / name) != digest:
            return False  # neither staged nor in place: this set cannot be completed
    _swap_in(stage, out, [n for n, d in files.items() if _sha256(stage / n) == d], stale)
    return True


def recover(out: Path) -> None:
    """Finish or undo what runs stopped at any instant left in ``out`` (see the module
    docstring): dead runs' staging folders rolled forward or removed, their probe files removed."""
    out = Path(out)
    try:
        entries = os.listdir(out)
    except OSError:
        return
    for e in sorted(entries):
        path = out / e
        if e.startswith(_PROBE):
            try:
                if stat.S_ISREG(os.lstat(path).st_mode) and os.lstat(path).st_size == 0:
                    path.unlink(missing_ok=True)
            except OSError:
                pass
            continue
        if not e.startswith(_STAGING) or _held(path):
            continue
        _roll_forward(path, out)
        shutil.rmtree(path, ignore_errors=True)
        _fsync_dir(out)


def check_out_dir(out: Path) -> Path:
    """Create ``out`` if needed, finish or undo what an earlier run stopped at any instant left
    there (:func:`recover`), and make sure a report may be written in it: files can be created
    there, and everything already there is an earlier gradproof report's.  ValueError otherwise."""
    out = Path(out)
    shown = f"--out {printable(out)}"
    try:
        if out.exists() and not out.is_dir():
            raise ValueError(f"{shown} is an existing file, not a folder; give a folder name")
        out.mkdir(parents=True, exist_ok=True)
        recover(out)
        fd, probe = tempfile.mkstemp(dir=out, prefix=_PROBE)
        os.close(fd)
        Path(probe).unlink(missing_ok=True)
        present = [e for e in os.listdir(out) if not e.startswith((_STAGING, _PROBE))]
    except OSError as exc:
        raise ValueError(f"cannot write in the output folder {printable(out)}: "
                         f"{exc.strerror or exc}; choose a writable folder with --out") from None
    owned = owned_files(out) if present else frozenset()
    listed, _ = _listing(out) if present else (frozenset(), {})
    foreign = sorted(e for e in present if e not in owned
                     or not stat.S_ISREG(os.lstat(out / e).st_mode))
    if foreign:
        changed = [f for f in foreign if f in listed]
        names = ", ".join(printable(f) for f in foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        why = (f"{len(foreign)} file(s) that no gradproof report wrote or that changed since "
               f"({names})" if changed else
               f"{len(foreign)} file(s) that no gradproof report wrote ({names})")
        raise ValueError(f"{shown} holds {why}; gradproof never replaces them: choose a new or "
                         "empty folder with --out")
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
    stage = Path(tempfile.mkdtemp(dir=out, prefix=_STAGING))
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
        digests = {n: _sha256(stage / n) for n in names}
        names.append("report.json")
        listed = dataclasses.replace(report, facts={**report.facts, "files": sorted(names),
                                                    "digests": digests})
        write_atomic(stage / "report.json", listed.to_json())
        digests["report.json"] = _sha256(stage / "report.json")
        stale = sorted(before - set(names))
        _fsync_dir(stage)
        write_atomic(stage / _MANIFEST, json.dumps({"files": digests, "stale": stale}))
        _fsync_dir(stage)  # the new set is decided: a later run finishes this swap if we die
        committed = True
        _swap_in(stage, out, names, stale)
    finally:
        # Not committed: the earlier set is untouched, and the staging folder goes.  Committed:
        # the swap is finished here if an exception stopped it; if even that fails, the staging
        # folder stays for the next run to finish (see recover).
        if not committed or _roll_forward(stage, out):
            shutil.rmtree(stage, ignore_errors=True)
        os.close(hold)
        try:
            _fsync_dir(out)
        except OSError:
            pass
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
        _fsync_dir(out)
    finally:
        for signum, handler in held.items():
            signal.signal(signum, handler)
        for signum in pending[:1]:  # now act on it as the process would have
            handler = held[signum]
            if callable(handler):
                handler(signum, None)
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), signum)
