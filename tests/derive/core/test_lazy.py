"""derive.core.lazy: a package's names imported on first use (SPEC 1), tried on a toy package."""
from __future__ import annotations

import importlib
import sys

import pytest

_INIT = '''
from gradproof.derive.core.lazy import attach

__all__ = ["heavy_value", "renamed"]
__getattr__, __dir__ = attach(__name__, {"heavy_value": "heavy", "renamed": ("heavy", "original")})
'''
_HEAVY = "heavy_value = object()\noriginal = object()\n"


@pytest.fixture
def toy(tmp_path, monkeypatch):
    folder = tmp_path / "lazytoy"
    folder.mkdir()
    folder.joinpath("__init__.py").write_text(_INIT)
    folder.joinpath("heavy.py").write_text(_HEAVY)
    folder.joinpath("other.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module("lazytoy")
    for name in [m for m in sys.modules if m == "lazytoy" or m.startswith("lazytoy.")]:
        del sys.modules[name]


def test_a_name_is_imported_from_its_submodule_on_first_use_only(toy):
    assert "lazytoy.heavy" not in sys.modules
    value = toy.heavy_value
    assert "lazytoy.heavy" in sys.modules and value is sys.modules["lazytoy.heavy"].heavy_value


def test_a_name_the_package_gives_another_name(toy):
    assert toy.renamed is importlib.import_module("lazytoy.heavy").original


def test_an_unknown_name_is_an_attribute_error_and_a_submodule_still_imports(toy):
    with pytest.raises(AttributeError, match="module 'lazytoy' has no attribute 'nothing'"):
        toy.nothing
    assert not hasattr(toy, "nothing")
    from lazytoy import other  # not a name of the package: the import system finds the submodule
    assert other is sys.modules["lazytoy.other"]


def test_dir_lists_the_names_before_they_are_imported(toy):
    assert {"heavy_value", "renamed", "__getattr__"} <= set(dir(toy))
    assert "lazytoy.heavy" not in sys.modules
