"""numerics/templates/kernel.py.j2: the printed kernels equal committed golden copies, byte for byte.

The golden copies (``tests/numerics/golden``, listed in its ``kernels.json``) were printed by the
f-string printer the template replaced, and are rewritten only by ``tools/golden_kernels.py``: a
change to any printed character fails here until it is meant and the tool is run.
"""
from __future__ import annotations

import difflib
import importlib.resources
import importlib.util
import json
from pathlib import Path

import jinja2
import pytest

from gradproof.derive.book.custom import from_text
from gradproof.numerics import codegen

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "numerics" / "golden"
MANIFEST = json.loads((GOLDEN / "kernels.json").read_text(encoding="utf-8"))["kernels"]


def _printed(entry: dict) -> str:
    cost, activation = from_text(entry["cost"], "cost"), from_text(entry["activation"], "activation")
    return codegen.kernel_source.__wrapped__(cost, activation, entry["textbook"])  # afresh, past the cache


@pytest.mark.parametrize("entry", MANIFEST, ids=[e["file"] for e in MANIFEST])
def test_the_printed_kernel_is_the_golden_copy_byte_for_byte(entry):
    want = (GOLDEN / entry["file"]).read_bytes()
    got = _printed(entry).encode("utf-8")
    if got != want:
        diff = "\n".join(list(difflib.unified_diff(want.decode().splitlines(), got.decode().splitlines(),
                                                   "golden", "printed", lineterm=""))[:40])
        pytest.fail(f"{entry['file']}: the printed kernel differs from its golden copy; if the change "
                    f"is meant, run `python tools/golden_kernels.py` and commit the copies\n{diff}")


def test_the_golden_set_covers_every_shipped_cost_activation_variant_and_a_definition():
    costs = {e["cost"] for e in MANIFEST}
    activations = {e["activation"] for e in MANIFEST}
    assert set(codegen.COST_NAMES) <= costs and set(codegen.ACTIVATION_NAMES) <= activations
    assert {e["textbook"] for e in MANIFEST} == {False, True}
    assert any("=" in e["cost"] for e in MANIFEST) and any("=" in e["activation"] for e in MANIFEST)
    assert sorted(p.name for p in GOLDEN.glob("*.golden")) == sorted(e["file"] for e in MANIFEST)


def test_the_tool_checks_without_writing():
    spec = importlib.util.spec_from_file_location("golden_kernels", ROOT / "tools" / "golden_kernels.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in GOLDEN.glob("*.golden")}
    assert tool.main(["--check"]) == 0
    assert {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in GOLDEN.glob("*.golden")} == before


def test_the_template_ships_in_the_installed_package():
    template = importlib.resources.files("gradproof.numerics") / "templates" / "kernel.py.j2"
    assert template.is_file()
    assert "def backprop(weights, biases, x, y):" in template.read_text(encoding="utf-8")


def test_the_template_refuses_a_name_it_is_not_given():
    env = codegen._TEMPLATES
    assert env.undefined is jinja2.StrictUndefined
    with pytest.raises(jinja2.UndefinedError, match="cost"):
        env.get_template("kernel.py.j2").render({})
