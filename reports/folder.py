"""The output folder of a report: what in it is ours, a stopped run finished or undone, the new set
swapped in at once.  Standard library only (and :func:`numerics.fileio.printable`), so that the CLI
checks ``--out`` before it loads anything that renders (:mod:`reports.write` renders and writes).

- :func:`check_out_dir` accepts a new or empty folder, or one holding only the files an earlier
  gradproof report wrote there (its report.json lists them under ``files``, with the SHA-256 of
  each under ``digests``, checked here: a file changed since is not ours; a report.json of an
  older gradproof, without the list, vouches for the five names a report writes).  Anything else
  in the folder is refused with one line: gradproof never replaces or deletes a file it did not
  write, including with ``--out .``.
- A run stopped at any instant, by SIGKILL or a power loss included, is finished or undone by
  the next (:func:`recover`, called by :func:`check_out_dir`): a staging folder (:data:`STAGING`)
  that no live process holds (each run holds an ``flock`` on its own, which the kernel releases
  when the process dies) is rolled forward (:func:`roll_forward`) when its manifest
  (:data:`MANIFEST`) is there and every file of it verifies, in the staging folder or already in
  place; otherwise (the run died while staging, before the earlier set was touched) it is
  removed.  :func:`swap_in` moves a staged set into the folder with SIGINT and SIGTERM held back.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import signal
import stat
import tempfile
from pathlib import Path

from gradproof.numerics.fileio import loads_json, printable

__all__ = ["FIGURE_PDF", "REPORT_NAMES", "STAGING", "MANIFEST", "check_out_dir", "owned_files",
           "verify_set", "recover", "roll_forward", "swap_in", "sha256_of", "fsync_dir"]

FIGURE_PDF = "curves.pdf"  #: the report's figures, one page each (learning curves first)
#: What a report.json without a ``files`` list (an older gradproof's) vouches for.
REPORT_NAMES = frozenset({"report.html", "report.tex", "report.json", "report.pdf", FIGURE_PDF})
STAGING = ".gradproof-staging-"
_PROBE = ".gradproof-probe-"
MANIFEST = ".manifest.json"
_MAX_JSON = 256 * 2**20


def sha256_of(path: Path) -> str | None:
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


def fsync_dir(folder: Path) -> None:
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
        return REPORT_NAMES, {}
    if not isinstance(files, list):
        return frozenset(), {}
    digests = facts.get("digests")
    digests = {k: v for k, v in digests.items() if isinstance(k, str) and isinstance(v, str)} \
        if isinstance(digests, dict) else {}
    return frozenset(f for f in files if f in REPORT_NAMES) | {"report.json"}, digests


def owned_files(out: Path) -> frozenset[str]:
    """The names in ``out`` that an earlier gradproof report wrote (empty when there is none):
    listed by its report.json and, where it records their SHA-256, unchanged since."""
    names, digests = _listing(out)
    return frozenset(n for n in names if n not in digests or sha256_of(Path(out) / n) == digests[n])


def verify_set(out: Path) -> bool:
    """Whether ``out`` holds one whole report: a report.json that lists every report file present,
    each with the SHA-256 it records (a set of an older gradproof, without digests, cannot say)."""
    names, digests = _listing(out)
    if not names or not digests:
        return False
    present = {e for e in os.listdir(out) if e in REPORT_NAMES}
    return present == set(names) and all(sha256_of(Path(out) / n) == d for n, d in digests.items()
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


def roll_forward(stage: Path, out: Path) -> bool:
    """Finish the swap of a dead run's complete staging folder; False when it is not complete."""
    manifest = _read_json(stage / MANIFEST)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        return False
    files, stale = manifest["files"], manifest.get("stale", [])
    if not all(n in REPORT_NAMES and isinstance(d, str) for n, d in files.items()) or \
            not isinstance(stale, list) or not set(stale) <= REPORT_NAMES - set(files):
        return False
    for name, digest in files.items():
        if sha256_of(stage / name) != digest and sha256_of(out / name) != digest:
            return False  # neither staged nor in place: this set cannot be completed
    swap_in(stage, out, [n for n, d in files.items() if sha256_of(stage / n) == d], stale)
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
        if not e.startswith(STAGING) or _held(path):
            continue
        roll_forward(path, out)
        shutil.rmtree(path, ignore_errors=True)
        fsync_dir(out)


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
        present = [e for e in os.listdir(out) if not e.startswith((STAGING, _PROBE))]
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


def swap_in(stage: Path, out: Path, names: list[str], stale: list[str]) -> None:
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
        fsync_dir(out)
    finally:
        for signum, handler in held.items():
            signal.signal(signum, handler)
        for signum in pending[:1]:  # now act on it as the process would have
            handler = held[signum]
            if callable(handler):
                handler(signum, None)
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), signum)
