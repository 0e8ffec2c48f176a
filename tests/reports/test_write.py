"""reports.write: the report folder is always one whole set (issue 20, defect 3).

A child process writes a report over an earlier one and kills itself with SIGKILL at its k-th
call that changes a folder (``os.replace``, ``os.rename``, ``os.unlink``, ``os.rmdir``): for every
k until the write finishes, the next run's :func:`check_out_dir` must leave exactly the earlier
set or exactly the new one (byte for byte, and :func:`verify_set` agrees), and no staging folder.
SIGKILL cannot be caught, so this is a crash at each rename; the fsyncs that make it hold
across a power loss are checked by the order of the calls (the staging folder's last file, the
manifest, is durable before the first rename into the output folder).
"""
from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

from gradproof.reports.plots import Figures
from gradproof.reports.report import Report
from gradproof.reports import write
from gradproof.reports.write import check_out_dir, owned_files, verify_set

GUARD = 600  # a hang guard, not a speed test

_CHILD = r"""
import os, signal, sys
from pathlib import Path
from gradproof.reports.plots import Figures
from gradproof.reports.report import Report
import gradproof.reports.write as write


def child(out, k, run):
    write.render_html = lambda r: f"<p>{run}</p>"  # renders instantly: what is tested is the writing
    write.render_tex = lambda r: f"{run} tex"

    calls = [0]
    def hooked(real):
        def call(*args, **kwargs):
            calls[0] += 1
            if calls[0] == k:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(*args, **kwargs)
        return call
    for name in ("replace", "rename", "unlink", "rmdir"):
        setattr(os, name, hooked(getattr(os, name)))
    figures = Figures("<svg/>", b"%PDF " + run.encode()) if run == "old" else None
    write.write_report(Report(facts={"format": "gradproof-report/1", "run": run}, figures=figures),
                       out, pdf=False)
    print(calls[0])


# one write per line of stdin (out, k, run), each in a process forked from this one (which has
# imported gradproof once): its stdout, then "exit STATUS" (-9: killed by SIGKILL)
for line in sys.stdin:
    out, k, run = line.rstrip("\n").split("\t")
    pid = os.fork()
    if pid == 0:
        try:
            child(Path(out), int(k), run)
        finally:
            sys.stdout.flush()
            os._exit(0)
    status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    print(f"exit {status}", flush=True)
"""


def _render(kind: str):
    """The child's renderers, in this process (the earlier sets need no child)."""
    return (lambda r: f"<p>{r.facts['run']}</p>") if kind == "html" else (lambda r: f"{r.facts['run']} tex")


@pytest.fixture(scope="module")
def children(tmp_path_factory):
    """A fresh process that imports gradproof once and forks a child for each write asked of it
    (a child costs a fork, not a second of imports); stopped when the module is done."""
    errors = tmp_path_factory.mktemp("children") / "stderr"
    with open(errors, "w") as err:
        server = subprocess.Popen([sys.executable, "-c", _CHILD], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=err, text=True)
    yield server, errors
    server.stdin.close()
    server.wait(timeout=GUARD)


def _write(out: Path, run: str, k: int | None = None, children=None) -> subprocess.CompletedProcess | None:
    """Write the set ``run`` into ``out``: in a child (of :func:`children`) that SIGKILLs itself
    at its k-th call when ``k`` is given (0: never), else here."""
    if k is None:
        figures = Figures("<svg/>", b"%PDF " + run.encode()) if run == "old" else None
        with mock.patch.object(write, "render_html", _render("html")), \
                mock.patch.object(write, "render_tex", _render("tex")):
            write.write_report(Report(facts={"format": "gradproof-report/1", "run": run},
                                      figures=figures), out, pdf=False)
        return None
    server, errors = children
    server.stdin.write(f"{out}\t{k}\t{run}\n")
    server.stdin.flush()
    said = b""
    with selectors.DefaultSelector() as sel:
        sel.register(server.stdout, selectors.EVENT_READ)
        while not (said.endswith(b"\n") and said.splitlines()[-1].startswith(b"exit ")):
            assert sel.select(timeout=GUARD), "the child hangs"
            chunk = os.read(server.stdout.fileno(), 1 << 16)
            assert chunk, f"the forking process died: {errors.read_text()}"
            said += chunk
    *printed, status = said.decode().splitlines(keepends=True)
    return subprocess.CompletedProcess(["child", str(out), str(k), run], int(status.split()[1]),
                                       "".join(printed), errors.read_text())


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


@pytest.fixture(scope="module")
def sets(tmp_path_factory, children):
    """The earlier set (with a figure, curves.pdf) and the new one (without: curves.pdf is stale),
    each written whole; and the number of folder-changing calls the new write makes."""
    base = tmp_path_factory.mktemp("sets")
    old, new = base / "old", base / "new"
    _write(old, "old")
    _write(new, "new")
    both = base / "both"
    _write(both, "old")
    r = _write(both, "new", 0, children)  # over an earlier set, in a child that counts its calls
    assert r.returncode == 0, r.stderr
    return _files(old), _files(new), int(r.stdout), _files(both)


def test_each_set_lists_the_digests_of_its_files_and_verifies(sets, tmp_path):
    old, new, _, both = sets
    assert set(old) == {"curves.pdf", "report.html", "report.json", "report.tex"}
    assert both == new and "curves.pdf" not in new  # the earlier figure was replaced, not kept
    facts = json.loads(new["report.json"])
    assert facts["files"] == sorted(new) and set(facts["digests"]) == set(new) - {"report.json"}
    for name, data in new.items():
        (tmp_path / name).write_bytes(data)
    assert verify_set(tmp_path)
    (tmp_path / "report.html").write_text("<p>edited</p>")
    assert not verify_set(tmp_path) and "report.html" not in owned_files(tmp_path)


def test_a_crash_at_any_rename_leaves_the_earlier_set_or_the_new_one(sets, children, tmp_path):
    """Issue 20, defect 3: SIGKILL during the swap left report.json from one run and report.html
    and report.tex from another, and an orphaned staging folder that no later run removed."""
    old, new, calls, _ = sets
    assert calls >= 8  # the staging writes, the manifest, the swap, the clean-up
    seen = {"old": 0, "new": 0}
    for k in range(1, calls + 1):
        out = tmp_path / f"k{k}"
        _write(out, "old")
        r = _write(out, "new", k, children)
        assert r.returncode == -signal.SIGKILL, (k, r.returncode, r.stderr)
        check_out_dir(out)  # the next run
        now = _files(out)
        assert now in (old, new), (k, sorted(now))
        assert verify_set(out) and not [e for e in os.listdir(out) if e.startswith(".")]
        seen["old" if now == old else "new"] += 1
    assert seen["old"] and seen["new"]  # crashes before the manifest, and after it


def test_a_staging_folder_held_by_a_live_run_is_left_alone(tmp_path):
    """A concurrent run's staging folder is not a dead one: only a folder whose writer's flock
    the kernel has released (the process is gone) is finished or removed."""
    import fcntl

    out = tmp_path / "rep"
    _write(out, "new")
    live = out / ".gradproof-staging-live"
    live.mkdir()
    fd = os.open(live, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        check_out_dir(out)
        assert live.is_dir()
    finally:
        os.close(fd)
    check_out_dir(out)
    assert not live.exists()


def test_the_manifest_is_durable_before_the_first_rename_into_the_folder(tmp_path, monkeypatch):
    """fsync: every staged file, then the staging folder, then the manifest and the folder again,
    all before anything in the output folder changes; the output folder after the swap."""
    events = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd):
        events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}")))
        return real_fsync(fd)

    def replace(src, dst, **kw):
        events.append(("replace", str(dst)))
        return real_replace(src, dst, **kw)

    out = tmp_path / "rep"
    out.mkdir()
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    _write(out, "new")
    into_out = [i for i, (kind, p) in enumerate(events) if kind == "replace" and Path(p).parent == out]
    manifest = [i for i, (kind, p) in enumerate(events) if kind == "replace" and p.endswith(".manifest.json")]
    staging_synced = [i for i, (kind, p) in enumerate(events)
                      if kind == "fsync" and ".gradproof-staging-" in Path(p).name]
    out_synced = [i for i, (kind, p) in enumerate(events) if kind == "fsync" and Path(p) == out]
    assert into_out and manifest and staging_synced and out_synced
    assert manifest[0] < min(into_out) and any(manifest[0] < i < min(into_out) for i in staging_synced)
    assert any(i > max(into_out) for i in out_synced)
