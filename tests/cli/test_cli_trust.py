"""Issue 20 at the command line: nothing read from disk is trusted, every entry point is bounded in
time, and text reaches the terminal escaped.  Each test is one measured defect of the issue, run as
a user runs gradproof (a child process), and fails on the main branch before the issue's fix.
The cache tests in-process are in tests/derive/core/test_cache.py, the report folder's crash test
in tests/reports/test_write.py, the fuzz test in tests/test_fuzz.py."""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from gradproof.numerics import Network

from ..limits import HANG_GUARD
from .run import environ, gradproof

CLAIM = ("sigma'(z)", "sigma(z)*(1 - sigma(z))")


def _quiet(r: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in r.stderr and "Alarm clock" not in r.stderr, r.stderr[-2000:]


@pytest.mark.parametrize("limit", ["1e-6", "1e-9", "1e-300"])
def test_a_tiny_verify_limit_is_undecided_and_silent(limit):
    """Defect 4: exit 142 ('Alarm clock') with 23-43 lines of stderr."""
    r = gradproof("verify", "--time-limit", limit, *CLAIM)
    _quiet(r)
    assert (r.returncode, r.stderr) == (3, ""), (r.returncode, r.stderr)
    assert f"time limit ({float(limit):g} s) ran out" in r.stdout and " s;" in r.stdout


def test_a_tiny_proofread_limit_is_undecided_and_silent(tmp_path):
    f = tmp_path / "d.txt"
    f.write_text("x*(1 - x)\n= x - x**2\n")
    r = gradproof("proofread", "--time-limit", "1e-6", f)
    _quiet(r)
    assert (r.returncode, r.stderr) == (3, "") and "time limit (1e-06 s) ran out" in r.stdout


def test_a_claim_too_slow_to_read_is_undecided_with_the_time_spent():
    """Defect 4: diff(σ(σ(σ(σ(z)))), z, 8) ran 31 s, said 'longer than 10 s' whatever the limit,
    and exited 2 (bad input) for a valid input."""
    r = gradproof("verify", "--time-limit", "1.5", "diff(sigma(sigma(sigma(sigma(z)))), z, 8)", "0")
    _quiet(r)
    assert r.returncode == 3, (r.returncode, r.stdout, r.stderr)
    assert "time limit (1.5 s) ran out while the claim was read, after" in r.stdout
    assert "10 s" not in r.stdout


def test_a_fifo_in_the_cache_blocks_nothing_and_a_linked_folder_is_refused(tmp_path):
    """Defect 2: bp1.json as a FIFO blocked derive forever; a cache folder that is a link was
    written through."""
    env = environ(XDG_CACHE_HOME=tmp_path / "c", XDG_DATA_HOME=tmp_path / "d")
    proofs = tmp_path / "c" / "gradproof" / "proofs"
    proofs.mkdir(parents=True)
    os.mkfifo(proofs / "perceptron_bias.json")
    r = gradproof("derive", "perceptron_bias", env=env)
    _quiet(r)
    assert r.returncode == 0 and r.stderr == "" and "1 of 1 identity proved" in r.stdout
    target = tmp_path / "target"
    target.mkdir()
    os.unlink(proofs / "perceptron_bias.json")
    os.rmdir(proofs)
    proofs.symlink_to(target)
    r = gradproof("derive", "perceptron_bias", env=env)
    assert r.returncode == 0 and os.listdir(target) == []
    assert len(r.stderr.splitlines()) == 1 and "symbolic link" in r.stderr


def test_recheck_proves_the_cached_outcomes_again(tmp_path):
    env = environ(XDG_CACHE_HOME=tmp_path / "c", XDG_DATA_HOME=tmp_path / "d")
    assert gradproof("derive", "perceptron_bias", "slip_l1_update", env=env).returncode == 0
    r = gradproof("derive", "--recheck", "perceptron_bias", "slip_l1_update", env=env)
    _quiet(r)
    assert r.returncode == 0 and "2 of 2 cached outcomes agree with a fresh proof" in r.stdout


def test_a_reason_holding_a_terminal_escape_is_shown_escaped(tmp_path):
    """Defect 6: a reason's ESC ]0;title BEL reached the terminal, and the page held the raw ESC."""
    f = tmp_path / "d.txt"
    f.write_bytes(b"x*(1 - x)\n= x - x**2   # expand \x1b]0;owned\x07 it\n")
    r = gradproof("proofread", f, "--html", tmp_path / "d.html")
    assert r.returncode == 0 and "\x1b" not in r.stdout and "\x07" not in r.stdout
    assert "expand \\x1b]0;owned\\x07 it" in r.stdout
    page = (tmp_path / "d.html").read_bytes()
    assert b"\x1b" not in page and b"\x07" not in page and b"expand \\x1b]0;owned\\x07 it" in page


def test_a_saved_network_of_absurd_size_is_one_line_exit_2(tmp_path):
    """Defect 7: sizes [784, 10**400, 10] gave 'internal error: OverflowError' (exit 4)."""
    net = Network([2, 2], seed=0)
    config = net.config()
    text = f'{{"format": "{config["format"]}", "version": {config["version"]}, "sizes": [784, 1{"0" * 400}, 10], ' \
           f'"activation": "sigmoid", "cost": "quadratic", "init": "scaled", "dtype": "float64"}}'
    with open(tmp_path / "m.npz", "wb") as out:
        np.savez(out, config=np.array(text), w0=net.weights[0], b0=net.biases[0])
    r = gradproof("evaluate", tmp_path / "m.npz", "--data", "sample")
    _quiet(r)
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1 and "bad config" in r.stderr


_AFTER = r"""
import os, signal, sys
from gradproof.cli import main
sys.argv = ["gradproof", "verify", "x", "x"]
status = main()
os.kill(os.getpid(), signal.SIGTERM)  # the command has finished: this changes nothing
sys.exit(status)
"""


def test_a_sigterm_after_the_command_finished_changes_nothing():
    """Defect 8: a SIGTERM after a report had finished killed the process (status -15), silently."""
    r = subprocess.run([sys.executable, "-c", _AFTER], capture_output=True, text=True,
                       timeout=HANG_GUARD)
    assert r.returncode == 0 and r.stderr == "" and "proved" in r.stdout, (r.returncode, r.stderr)
    assert r.returncode != -signal.SIGTERM
