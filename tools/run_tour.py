"""Run ``examples/tour.ipynb`` top to bottom in a fresh kernel and save it with its outputs, so that
it reads on a repository page without being run.

    python tools/run_tour.py

The kernel is this interpreter's own ipykernel, through a kernel spec in a private folder (no
network, no user kernel folders), as ``tests/test_tour.py`` runs it.  Run it after changing the
notebook or what it shows, and commit the result.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import nbclient
import nbformat

TOUR = Path(__file__).resolve().parents[1] / "examples" / "tour.ipynb"


def execute(path: Path, folder: Path, timeout: float = 600):
    """The notebook at ``path`` executed by this interpreter's ipykernel (Jupyter's folders in
    ``folder``); returns the executed notebook."""
    spec = folder / "kernels" / "gradproof-tour"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps(
        {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
         "display_name": "Python 3", "language": "python"}), encoding="utf-8")
    for name, sub in (("JUPYTER_PATH", ""), ("JUPYTER_DATA_DIR", ""), ("JUPYTER_RUNTIME_DIR", "runtime"),
                      ("IPYTHONDIR", "ipython")):
        os.environ[name] = str(folder / sub)
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(nb, kernel_name="gradproof-tour", timeout=timeout, startup_timeout=timeout,
                            resources={"metadata": {"path": str(path.parent.parent)}}).execute()
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    return nb


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="gradproof-tour-") as folder:
        nb = execute(TOUR, Path(folder))
    nbformat.write(nb, TOUR)
    print(f"wrote {TOUR} with the outputs of {sum(c.cell_type == 'code' for c in nb.cells)} code cells")
    return 0


if __name__ == "__main__":
    sys.exit(main())
