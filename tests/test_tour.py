"""examples/tour.ipynb runs top to bottom in a fresh kernel (nbclient), and shows what it says."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from .limits import HANG_GUARD

nbformat = pytest.importorskip("nbformat", reason="the test extra installs nbformat")
nbclient = pytest.importorskip("nbclient", reason="the test extra installs nbclient")
pytest.importorskip("ipykernel", reason="the test extra installs ipykernel")

TOUR = Path(__file__).resolve().parents[1] / "examples" / "tour.ipynb"


@pytest.mark.slow
def test_the_tour_notebook_runs(tmp_path, monkeypatch):
    from jupyter_client.kernelspec import KernelSpecManager

    # The kernel is this interpreter's own ipykernel (no network, no user kernel folders): a
    # kernel spec written into a private folder that only this run's Jupyter looks at.
    spec = tmp_path / "kernels" / "gradproof-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps(
        {"argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
         "display_name": "gradproof test", "language": "python"}), encoding="utf-8")
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    assert "gradproof-test" in KernelSpecManager().find_kernel_specs()

    saved = nbformat.read(TOUR, as_version=4)
    nb = nbformat.read(TOUR, as_version=4)
    client = nbclient.NotebookClient(nb, kernel_name="gradproof-test", timeout=HANG_GUARD,
                                     startup_timeout=HANG_GUARD,
                                     resources={"metadata": {"path": str(TOUR.parent.parent)}})
    client.execute()
    outs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outs if o.output_type == "error"]
    text = "\n".join(o.get("text", "") or str(o.get("data", {}).get("text/plain", "")) for o in outs)
    assert "('proved'" in text  # derive.prove("bp1")
    latex = [o["data"]["text/latex"] for o in outs if "text/latex" in o.get("data", {})]
    html = [o["data"]["text/html"] for o in outs if "text/html" in o.get("data", {})]
    assert latex and latex[0].startswith("$$") and "PROVED" in latex[0]
    assert html and "<math" in html[-1] and "PROVED" in html[-1]
    assert "('proved', 'refuted')" in text  # verify: a true claim and a false one
    assert "test accuracy after one epoch on the sample" in text
    # the saved copy is this run's: the text it shows is what the notebook prints today
    assert _texts(saved) == _texts(nb), "examples/tour.ipynb is stale: run tools/run_tour.py"


def _texts(nb) -> list[str]:
    """The text outputs of every code cell, in order (execute results and printed streams)."""
    return ["".join(o.get("text", "")) or str(o.get("data", {}).get("text/plain", ""))
            for c in nb.cells if c.cell_type == "code" for o in c.outputs]


def test_the_tour_is_saved_with_its_outputs():
    """It reads on a repository page: every code cell was run, in order, and shows its output."""
    nb = json.loads(TOUR.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert [c["execution_count"] for c in code] == list(range(1, len(code) + 1))
    assert all(c["outputs"] for c in code)
    assert not [o for c in code for o in c["outputs"] if o["output_type"] == "error"]

