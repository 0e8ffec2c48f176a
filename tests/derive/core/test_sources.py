"""derive.core.sources: which modules a proof depends on, and the digest of their proving code.

The oracle for the modules is Python itself: every module of derive that a theorem module's names
come from, once it is imported, must be among its dependencies (the static reading may find more,
never fewer).  How an edit moves a key is tested in test_cache.py, on copies of the sources."""
from __future__ import annotations

import shutil
import sys
import types

import pytest

from gradproof import derive
from gradproof.derive.core import sources

PACKAGE = "gradproof.derive."
MODULES = sorted({idy.build.__module__ for idy in derive.REGISTRY.values()})


def _relative(name: str) -> str | None:
    return name[len(PACKAGE):] if name.startswith(PACKAGE) else None


@pytest.mark.parametrize("module", MODULES)
def test_every_module_a_theorem_module_uses_is_a_dependency(module):
    deps = set(sources.dependencies(module))
    used = set()
    for value in vars(sys.modules[module]).values():
        name = value.__name__ if isinstance(value, types.ModuleType) else getattr(value, "__module__", None)
        if isinstance(name, str) and _relative(name):
            used.add(_relative(name))
    assert used - sources.NOT_PROVING <= deps
    assert _relative(module) in deps and not deps & sources.NOT_PROVING
    assert {"core.theorem", "core.prover", "core.interval", "core.indexed", "core.clock"} <= deps


def test_a_module_outside_derive_depends_on_the_engine_only():
    engine = set(sources.dependencies("tests.somewhere"))
    assert {"core.theorem", "core.prover", "core.indexed"} <= engine
    assert not {"book.backprop", "book.neurons", "claims.verify"} & engine
    assert engine <= set(sources.dependencies("gradproof.derive.book.neurons"))


def test_the_digest_reads_the_dependencies_and_nothing_else(tmp_path, monkeypatch):
    copy = tmp_path / "derive"  # a fresh folder: nothing of it is cached yet
    shutil.copytree(sources.SOURCES, copy, ignore=shutil.ignore_patterns("__pycache__"))
    read = []
    real = sources._read_source
    monkeypatch.setattr(sources, "_read_source", lambda path: read.append(path) or real(path))
    module = "gradproof.derive.book.neurons"
    digest = sources.source_digest(module, copy)
    deps = sources.dependencies(module, copy)
    assert sorted(p.relative_to(copy).as_posix() for p in read) == sorted(
        "core/__init__.py" if d == "core" else d.replace(".", "/") + ".py" for d in deps)
    assert digest == sources.source_digest(module, sources.SOURCES)  # the copy is the same code


def test_only_the_code_that_shows_mathematics_is_left_out(tmp_path):
    """A module of its own: its display forms, a name registration and a display-only helper
    leave the digest as it is; a helper that a proof also uses, and the proof, do not."""
    root = tmp_path / "derive"
    (root / "core").mkdir(parents=True)
    (root / "book").mkdir()
    for f in ("core/__init__.py", "core/display.py", "core/notation.py", "book/__init__.py"):
        (root / f).write_text("")
    base = '''
from ..core.display import Display, display
from ..core.notation import name_symbols

def _shared(s):
    return s

def _only_shown(s):
    return s

def theorem_x():
    return _shared(1)

@display("x")
def _x_form(s):
    return Display((_only_shown(s), _shared(s)))

name_symbols({"X": "x"})
'''
    module = "gradproof.derive.book.x"

    def digest(text: str, tag: str) -> str:
        folder = tmp_path / tag
        shutil.copytree(root, folder)
        (folder / "book" / "x.py").write_text(text)
        return sources.source_digest(module, folder)

    first = digest(base, "base")
    assert digest(base.replace("return Display((", "return Display((None, "), "form") == first
    assert digest(base.replace('{"X": "x"}', '{"X": "y"}'), "names") == first
    assert digest(base.replace("def _only_shown(s):\n    return s", "def _only_shown(s):\n    return -s"),
                  "helper") == first
    assert digest(base.replace("def _shared(s):\n    return s", "def _shared(s):\n    return -s"),
                  "shared") != first
    assert digest(base.replace("return _shared(1)", "return _shared(2)"), "proof") != first
