"""A package's public names imported on first use (Scientific Python's SPEC 1, the pattern of
``lazy_loader.attach``), so that importing the package, or a light module inside it, costs nothing
of what its other modules load.  Used by ``gradproof.derive``, ``gradproof.numerics`` and
``gradproof.reports``.  Standard library only; no proof runs it."""
from __future__ import annotations

import importlib
import sys
from typing import Callable, Mapping

__all__ = ["attach"]


def attach(package: str, where: Mapping[str, str | tuple[str, str]]
           ) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for the module ``package``: each name of ``where`` is imported
    from its submodule the first time it is asked for.  ``where`` maps a public name to the
    submodule that defines it, relative to ``package`` (``"core.theorem"``), or to ``(submodule,
    its name there)`` when the package calls it otherwise (``load_mnist`` is ``mnist.load``).  Any
    other name is an ``AttributeError``, as for any module (so ``from package import submodule``
    still imports the submodule)."""
    def __getattr__(name: str) -> object:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module, attr = (where[name], name) if isinstance(where[name], str) else where[name]
        return getattr(importlib.import_module(f".{module}", package), attr)

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *where})

    return __getattr__, __dir__
