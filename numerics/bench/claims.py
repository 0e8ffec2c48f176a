r"""The claims' speed targets (issue 16), measured here rather than in a timed test.

* **LaTeX against plain text**: the same three claims typed in LaTeX and in plain text, each decided
  :data:`RUNS` times with a fresh constant (no cache answers); the ratio of the medians of the CPU
  time (``time.process_time``: on a shared machine a run's wall time also counts the wait for a
  core), summed over the claims, must be at most :data:`LATEX_LIMIT`.
* **A 100-display notes file, cold**: a fresh ``python -m gradproof proofread`` of 100 displays (the
  example notes' kinds, cycled, each in its own section with its own definition), wall time, at
  most :data:`NOTES_LIMIT` seconds.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ...derive.claims.verify import verify

__all__ = ["bench_claims", "LATEX_LIMIT", "NOTES_LIMIT", "PAIRS", "hundred_displays"]

LATEX_LIMIT = 1.5  #: LaTeX verify CPU time / plain verify CPU time, at most
NOTES_LIMIT = 60.0  #: seconds for a cold 100-display notes file, at most
RUNS = 5

#: (plain lhs, plain rhs), (LaTeX lhs, LaTeX rhs): the same claim typed both ways.
PAIRS = [
    (("sigma(z)*(1-sigma(z))", "diff(sigma(z), z)"), (r"\sigma(z)\left(1-\sigma(z)\right)", r"\frac{d}{dz}\sigma(z)")),
    (("(1 - eta*lmbda/n)*w", "w - eta*lmbda*w/n"),
     (r"\left(1 - \frac{\eta\lambda}{n}\right) w", r"w - \frac{\eta\lambda w}{n}")),
    (("w*(1 - eta*lmbda/n)", "w - eta*lmbda/n*sgn(w)"),
     (r"w\left(1-\frac{\eta\lambda}{n}\right)", r"w - \frac{\eta\lambda}{n}\operatorname{sgn}(w)")),
]

#: The displays of the 100-display file: the example notes' kinds (a sigmoid identity, a
#: derivative through a definition, a chain, a definition, a slip, an inequality, an approximation).
DISPLAYS = [
    r"$$ \sigma(z) = \frac{1}{1+e^{-z}} $$",
    r"$$ \sigma'(z) = \sigma(z)\left(1-\sigma(z)\right) $$",
    r"$$ \frac{\partial}{\partial w} \frac{1}{2}\left(\sigma(z) - y\right)^2 = \left(\sigma(z) - y\right) \sigma'(z)\, x $$",
    r"$$ \tanh z = 2\sigma(2z) - 1 = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}} $$",
    r"$$ u = \eta \lambda $$",
    r"$$ \ln \frac{e^{z_1}}{e^{z_1} + e^{z_2}} = z_1 + \ln\left(e^{z_1} + e^{z_2}\right) $$",
    r"$$ 0 < \sigma(z) < 1 $$",
    r"$$ w - \eta \frac{\partial C}{\partial w} \approx w $$",
]


def hundred_displays(n: int = 100) -> str:
    """Notes with ``n`` displays, each in its own section (with ``let z = w x + b``)."""
    return "\n\n".join(f"## {i}\n<!-- gradproof: let z = w x + b -->\n{DISPLAYS[i % len(DISPLAYS)]}"
                       for i in range(n))


def _cpu(lhs: str, rhs: str, latex: bool, runs: int) -> float:
    times = []
    for i in range(runs):
        c = rf"\frac{{{i + 2}}}{{{i + 3}}}" if latex else f"{i + 2}/{i + 3}"
        t = time.process_time()
        if latex:
            verify(f"{lhs} + {c}q", f"{rhs} + {c}q")
        else:
            verify(f"{lhs} + {c}*q", f"{rhs} + {c}*q")
        times.append(time.process_time() - t)
    return statistics.median(times)


def bench_claims(runs: int = RUNS, displays: int = 100) -> dict:
    """Both targets: ``latex_vs_plain`` (ratio, per-claim medians) and ``notes_cold_seconds``."""
    verify("x", "x")  # the parser is built once per process, for either
    plain = [_cpu(*p, latex=False, runs=runs) for p, _ in PAIRS]
    latex = [_cpu(*t, latex=True, runs=runs) for _, t in PAIRS]
    ratio = sum(latex) / sum(plain)
    with tempfile.TemporaryDirectory(prefix="gradproof-bench-") as folder:
        notes = Path(folder) / "hundred.md"
        notes.write_text(hundred_displays(displays), encoding="utf-8")
        t = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "gradproof", "proofread", str(notes), "--json"],
                              capture_output=True, text=True, timeout=3600,
                              env={**os.environ, "XDG_CACHE_HOME": folder})
        seconds = time.perf_counter() - t
    counted = json.loads(done.stdout)["summary"]["displays"] if done.stdout.startswith("{") else 0
    return {"latex_cpu_seconds": latex, "plain_cpu_seconds": plain, "latex_vs_plain": ratio,
            "latex_limit": LATEX_LIMIT, "notes_displays": counted, "notes_cold_seconds": seconds,
            "notes_limit": NOTES_LIMIT,
            "passed": {"latex_vs_plain": ratio <= LATEX_LIMIT,
                       "notes_cold": counted == displays and seconds <= NOTES_LIMIT}}
