"""What a process loads, and what it sees.

- A refusal of the CLI (a bad flag, a missing file, an ``--out`` folder holding a user's file) and a
  command that only reads data load neither SymPy (and the book it builds) nor matplotlib; nor
  does importing a light module (the escaping of text, file I/O, MNIST, a training config).
- ``gradproof.derive`` and ``gradproof.numerics`` import their names on first use (Scientific
  Python's SPEC 1): every name of their ``__all__`` is there, as the object of its module.
- Whoever reads the registry gets every identity, whatever module was imported first.

Each check of what is loaded runs in a fresh interpreter: the test process has loaded everything.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from gradproof import derive, numerics

from .limits import HANG_GUARD

HEAVY = ("sympy", "matplotlib")

#: Prints, as its last line of stdout, the exit status of ``main(argv)`` and the heavy packages loaded.
_MAIN = """
import json, sys
from gradproof.cli import main
status = main(sys.argv[1:])
print(json.dumps({"status": status, "loaded": sorted({m.split(".")[0] for m in sys.modules} & %r)}))
""" % (set(HEAVY),)


def _child(code: str, *args: str, cwd=None) -> subprocess.CompletedProcess:
    r = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=cwd,
                       timeout=HANG_GUARD)
    assert r.returncode == 0, r.stderr
    return r


def cli_in_child(*args: str, cwd=None) -> tuple[dict, str]:
    """``gradproof ARGS`` by ``main`` in a fresh interpreter: ``({"status", "loaded"}, stderr)``."""
    r = _child(_MAIN, *args, cwd=cwd)
    return json.loads(r.stdout.splitlines()[-1]), r.stderr


# --- the CLI: a refusal, or reading data, loads no SymPy and no matplotlib ---------------------------

@pytest.mark.parametrize("args, status, says", [
    (["data", "--data", "/nonexistent-gradproof-data"], 2, "--data /nonexistent-gradproof-data: no such folder"),
    (["data", "--data", "sample"], 0, ""),
    (["train", "--eta", "-1"], 2, "gradproof train: error: --eta: must be a positive number, got -1.0"),
    (["train", "--preset", "bogus"], 2, "--preset: unknown preset 'bogus'"),
    (["train", "--runs", "2", "--save", "net.npz"], 2, "--save: saving needs a single run"),
    (["evaluate", "missing.npz"], 2, "gradproof evaluate: error: missing.npz: no such file"),
    (["check", "--seed", "-1"], 2, "gradproof check: error: --seed must be a non-negative integer"),
    (["derive", "--jobs", "0"], 2, "gradproof derive: error: --jobs: must be at least 1, got 0"),
    (["report", "--train", "bogus", "--out", "new"], 2, "unknown training preset 'bogus'"),
    (["report", "--seed", "-1", "--out", "new"], 2, "--seed must be a whole number >= 0"),
    (["report", "--eta", "0.1", "--out", "new"], 2, "--eta: set the training of your own model"),
], ids=lambda v: " ".join(v) if isinstance(v, list) else None)
def test_a_refusal_or_reading_data_loads_no_sympy_and_no_matplotlib(args, status, says, tmp_path):
    facts, err = cli_in_child(*args, cwd=tmp_path)
    assert facts == {"status": status, "loaded": []}, err
    if status:
        assert err.count("\n") == 1 and says in err, err  # the one line, the same as before
    assert not (tmp_path / "new").exists()  # a bad flag creates no --out folder


def test_report_refuses_a_folder_holding_a_users_file_before_loading_what_proves(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    facts, err = cli_in_child("report", "--out", str(out), "--train", "none", "--data", "sample")
    assert facts == {"status": 2, "loaded": []}, err
    assert err.count("\n") == 1 and "holds 1 file(s) that no gradproof report wrote (notes.txt)" in err
    assert [p.name for p in out.iterdir()] == ["notes.txt"] and (out / "notes.txt").read_text() == "mine"


def test_a_command_that_proves_still_loads_sympy(tmp_path):
    """The check above can fail: a command that proves is seen loading SymPy."""
    facts, err = cli_in_child("verify", "tanh(z)", "(exp(z) - exp(-z))/(exp(z) + exp(-z))", cwd=tmp_path)
    assert facts == {"status": 0, "loaded": ["sympy"]}, err


# --- a light module is light --------------------------------------------------------------------

@pytest.mark.parametrize("modules", [
    ["gradproof.derive.core.escape"], ["gradproof.numerics.fileio"], ["gradproof.numerics.mnist"],
    ["gradproof.numerics.idx"], ["gradproof.numerics.config"], ["gradproof.reports.folder"],
    ["gradproof.derive", "gradproof.numerics", "gradproof.reports"],
    # fileio loads the package gradproof.derive: reports must not take that for a notebook's identities
    ["gradproof.numerics.fileio", "gradproof.reports"],
])
def test_importing_a_light_module_loads_no_sympy_and_no_matplotlib(modules):
    code = ("import importlib, sys\n"
            f"for m in {modules!r}: importlib.import_module(m)\n"
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}))")
    assert _child(code).stdout.strip() == "[]"


def test_a_notebook_that_loaded_the_identities_gets_the_html_view_from_reports():
    code = ("from gradproof import derive\n"
            "idy = derive.REGISTRY['perceptron_bias']\n"
            "before = idy._repr_html_()\n"
            "import gradproof.reports\n"
            "after = idy._repr_html_()\n"
            "print(before is None, isinstance(after, str) and 'perceptron_bias' in after)")
    assert _child(code).stdout.split() == ["True", "True"]


# --- the lazy namespaces ------------------------------------------------------------------------------

@pytest.mark.parametrize("package", [derive, numerics], ids=lambda p: p.__name__)
def test_every_public_name_is_there_on_first_use(package):
    star: dict = {}
    exec(f"from {package.__name__} import *", star)
    for name in package.__all__:
        assert getattr(package, name) is star[name], name
    assert set(package.__all__) <= set(dir(package))
    with pytest.raises(AttributeError, match="no_such_name"):
        getattr(package, "no_such_name")


def test_the_names_are_the_objects_of_their_modules():
    from gradproof.derive.book import activations, custom, registry
    from gradproof.derive.claims import verify
    from gradproof.derive.core import prover, theorem
    from gradproof.numerics import codegen, config, mnist, network, train

    assert derive.verify is verify.verify and derive.Verdict is verify.Verdict
    assert derive.prove is registry.prove and derive.prove_all is registry.prove_all
    assert derive.REGISTRY is registry.REGISTRY is theorem.REGISTRY
    assert derive.Identity is theorem.Identity and derive.prove_equal is prover.prove_equal
    assert derive.ACTIVATIONS is activations.ACTIVATIONS and derive.get_cost is custom.get_cost
    assert numerics.load_mnist is mnist.load and numerics.DataError is mnist.DataError
    assert numerics.Network is network.Network and numerics.kernels is codegen.kernels
    assert numerics.PRESETS is train.PRESETS is config.PRESETS and numerics.SGD is config.SGD


# --- the registry is complete wherever it is read -----------------------------------------------

def _every_book_id() -> list[str]:
    """The oracle: the ids registered once every module of derive.book is imported, one by one,
    read from the engine's own table (in a fresh interpreter)."""
    code = ("import importlib, pkgutil, sys\n"
            "import gradproof.derive.book as book\n"
            "for m in pkgutil.iter_modules(book.__path__):\n"
            "    importlib.import_module(f'gradproof.derive.book.{m.name}')\n"
            "from gradproof.derive.core.theorem import REGISTRY\n"
            "print(' '.join(REGISTRY))")
    return _child(code).stdout.split()


@pytest.fixture(scope="module")
def every_id() -> list[str]:
    ids = _every_book_id()
    assert len(ids) > 40 and {"bp1", "slip_l1_update", "perceptron_bias"} <= set(ids)
    return ids


@pytest.fixture(scope="module")
def book_order() -> list[str]:
    """The registry's order in a fresh process that imports ``gradproof.derive`` and reads it."""
    return _child("from gradproof import derive\nprint(' '.join(derive.REGISTRY))").stdout.split()


@pytest.mark.parametrize("first", [
    "from gradproof.derive import REGISTRY as R",
    "from gradproof.numerics.codegen import REGISTRY as R",
    "from gradproof.derive.book.network_claims import REGISTRY as R",
    "from gradproof.derive import prove_all; from gradproof.derive.book.registry import REGISTRY as R",
    "import gradproof.derive.book.slips; from gradproof import derive; R = derive.REGISTRY",
    "import gradproof.derive.book.hessian; from gradproof import derive; R = derive.REGISTRY",
])
def test_the_registry_is_complete_and_in_the_books_order_whatever_is_imported_first(
        first, every_id, book_order):
    """Every identity, in the book's order (groups, then chapters), the same in every process:
    `derive --list` in a child lists what a test process, which imported some chapter first,
    holds."""
    ids = _child(f"{first}\nprint(' '.join(R))").stdout.split()
    assert len(ids) == len(every_id) and set(ids) == set(every_id)
    assert ids == book_order


def test_derive_list_in_a_fresh_process_lists_every_identity(every_id):
    code = "import sys\nfrom gradproof.cli import main\nsys.exit(main(['derive', '--list']))"
    ids = [line.split()[0] for line in _child(code).stdout.splitlines() if line.strip()]
    assert len(ids) == len(every_id) and set(ids) == set(every_id)
