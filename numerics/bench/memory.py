"""The peak memory of a full-MNIST training run, measured in a child process.

The child (``python -c`` :data:`CHILD`, a fresh interpreter importing the installed
``gradproof.numerics``) loads MNIST and trains the nielsen-ch3 network (784-100-10) as
``gradproof train`` does, then prints its ``VmHWM`` (peak resident set) from ``/proc/self/status``
as one JSON line.  A child, because this process has already held other data (and perhaps torch).
"""
from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

__all__ = ["CHILD", "peak_memory"]

#: The child's program: argv[1] is ``--data`` ('' for the default search), argv[2] the epochs.
CHILD = r"""
import json, sys, time
from gradproof.numerics import mnist
from gradproof.numerics.train import PRESETS, train
from dataclasses import replace
data = mnist.load(sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] else None)
config = replace(PRESETS["nielsen-ch3"], epochs=int(sys.argv[2]))
t = time.perf_counter()
net, result = train(config, data)
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print(json.dumps({"vmhwm_kb": hwm, "kind": data.kind, "n_training": len(data.training),
                  "preset": config.name, "sizes": list(config.sizes),
                  "epochs": config.epochs, "seconds": time.perf_counter() - t,
                  "accuracy": result["final"]["validation_accuracy"]}))
"""


def peak_memory(data: str | None = None, epochs: int = 1) -> dict[str, Any]:
    """Run a child that loads MNIST (``data`` as ``--data``) and trains the nielsen-ch3 network for
    ``epochs`` (with the per-epoch cost and accuracies); return its peak RSS (``VmHWM``), in MB, with
    what the child reported.  ``RuntimeError`` with the child's last line of stderr when it fails."""
    proc = subprocess.run([sys.executable, "-c", CHILD, data or "", str(epochs)],
                          capture_output=True, text=True)
    if proc.returncode:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"bench: the memory child failed: {last}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    # VmHWM, not getrusage(RUSAGE_CHILDREN).ru_maxrss: Linux carries the forked parent's peak RSS
    # across exec into ru_maxrss, so that would count this (torch-laden) process, not the child
    out["peak_rss_mb"] = out["vmhwm_kb"] / 1024
    out["measure"] = "VmHWM of the child (/proc/self/status)"
    return out
