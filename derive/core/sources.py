"""What a proof depends on: the source of the modules it runs, read as syntax trees.

The proof cache (:mod:`derive.core.cache`) keys each theorem by :func:`source_digest` of the module
that defines it, so that an edit elsewhere leaves its proof cached.  The modules a proof depends on
(:func:`dependencies`) are

* the engine: every module of ``derive.core`` but those no proof runs (:data:`NOT_PROVING`: the
  display machinery, the mutation test, the cache, the escaping of text shown, the lazy names of
  a package and this module);
* the module that defines the theorem, and every module of ``derive`` it imports, transitively
  (anywhere in its code, a function's body included).

Each module counts as its syntax tree (``ast.dump``: comments and layout do not count) without
the code that only shows mathematics: the imports from the display machinery, the functions
decorated with a name so imported (``@display("bp1")``), the module-level calls of one
(``name_symbols({...})``), and then the private helpers that only such code uses (a display
form's ``_any_weight``).  So rewording a display form proves nothing again.

Standard library only.
"""
from __future__ import annotations

import ast
import functools
import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SOURCES", "NOT_PROVING", "dependencies", "source_digest"]

#: The ``derive`` package; modules are named relative to it (``book.backprop``, ``core.prover``).
_PACKAGE = __name__.rsplit(".", 2)[0]
#: The folder of the ``derive`` package: the sources read by default.
SOURCES = Path(__file__).resolve().parent.parent
#: Modules no proof runs: how mathematics is shown, the mutation test, the proof cache, this one,
#: the escaping of text and the packages' names imported on first use.
NOT_PROVING = frozenset({"core.display", "core.notation", "core.mutants", "core.cache",
                         "core.sources", "core.escape", "core.lazy"})


def _read_source(path: Path) -> str:
    """The text of one module's source file (the one place this module reads a file)."""
    return path.read_text(encoding="utf-8")


def _module_file(sources: Path, module: str) -> Path | None:
    """The file of ``module`` (``book.backprop``; ``core`` is ``core/__init__.py``; ``""`` the
    package itself), or None."""
    parts = module.split(".") if module else []
    candidates = [sources.joinpath(*parts[:-1], parts[-1] + ".py")] if parts else []
    candidates.append(sources.joinpath(*parts, "__init__.py"))
    return next((p for p in candidates if p.is_file()), None)


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """The modules of ``derive`` that an import statement of ``module`` names: for
    ``from X import a, b``, X first, then X.a and X.b (each may be a module of its own)."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    elif node.level == 0:
        names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
    else:  # relative: up from the package of ``module``
        package = module.split(".") if module else []
        if not is_package:
            package = package[:-1]
        if node.level - 1 > len(package):
            return []
        base = package[:len(package) - (node.level - 1)]
        target = ".".join(base + (node.module.split(".") if node.module else []))
        return [target] + [f"{target}.{a.name}".lstrip(".") for a in node.names]
    return [name[len(_PACKAGE) + 1:] for name in names
            if name == _PACKAGE or name.startswith(_PACKAGE + ".")]


@dataclass(frozen=True)
class _Statement:
    """One module-level statement: its tree, the name it defines (if one), the names it
    mentions, the modules of ``derive`` it imports (anywhere inside it)."""

    node: ast.stmt
    defines: str | None
    names: Counter
    imports: tuple[str, ...]


def _statement(node: ast.stmt, module: str, is_package: bool) -> _Statement:
    names: Counter = Counter()
    imports: list[str] = []
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            names[n.id] += 1
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            imports += _imported(n, module, is_package)
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        defines = node.name
    else:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) else [])
        defines = targets[0].id if len(targets) == 1 and isinstance(targets[0], ast.Name) else None
    return _Statement(node, defines, names, tuple(imports))


def _proving(statements: list[_Statement]) -> list[_Statement]:
    """The statements a proof may run: all but the code that only shows mathematics (see the
    module docstring)."""
    def showing(s: _Statement) -> bool:
        return isinstance(s.node, ast.ImportFrom) and bool({*s.imports[:1]} & NOT_PROVING)

    shown = {a.asname or a.name for s in statements if showing(s) for a in s.node.names}

    def calls_shown(e: ast.expr) -> bool:
        f = e.func if isinstance(e, ast.Call) else e
        return isinstance(f, ast.Name) and f.id in shown

    def only_shows(s: _Statement) -> bool:
        if isinstance(s.node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return any(calls_shown(d) for d in s.node.decorator_list)
        if isinstance(s.node, ast.Expr):
            return calls_shown(s.node.value)
        return showing(s)

    kept = [s for s in statements if not only_shows(s)]
    used = sum((s.names for s in statements if only_shows(s)), Counter())
    while True:  # then the private helpers that only the code left out uses, until none is left
        everywhere = sum((s.names for s in kept), Counter())
        helpers = [s for s in kept if s.defines and s.defines.startswith("_")
                   and not s.defines.startswith("__") and used[s.defines]
                   and everywhere[s.defines] == s.names[s.defines]]
        if not helpers:
            return kept
        kept = [s for s in kept if s not in helpers]
        used = sum((s.names for s in helpers), used)


@functools.lru_cache(maxsize=None)
def _module(sources: Path, module: str) -> tuple[str, tuple[str, ...]] | None:
    """What a proof reads of ``module``: the dump of its proving statements (:func:`_proving`) and
    the modules of ``derive`` they import.  None when there is no such module."""
    path = _module_file(sources, module)
    if path is None:
        return None
    is_package = path.name == "__init__.py"
    tree = ast.parse(_read_source(path), str(path))
    kept = _proving([_statement(node, module, is_package) for node in tree.body])
    dump = ast.dump(ast.Module(body=[s.node for s in kept], type_ignores=[]))
    return dump, tuple(sorted({m for s in kept for m in s.imports} - NOT_PROVING))


def _engine(sources: Path) -> list[str]:
    """Every module of ``derive.core`` a proof may run (all but :data:`NOT_PROVING`)."""
    names = ("core" if p.stem == "__init__" else f"core.{p.stem}"
             for p in sources.joinpath("core").glob("*.py"))
    return sorted(n for n in names if n not in NOT_PROVING)


@functools.lru_cache(maxsize=None)
def dependencies(module: str, sources: Path = SOURCES) -> tuple[str, ...]:
    """The modules of ``derive`` (relative names, sorted) whose source a proof of a theorem
    defined in ``module`` (its full name, ``gradproof.derive.book.backprop``) depends on: the
    engine, ``module`` and every module of ``derive`` it imports, transitively.  ``sources``: the
    folder of ``derive`` to read (the installed one by default)."""
    todo = _engine(sources)
    if module.startswith(_PACKAGE + "."):
        todo.append(module[len(_PACKAGE) + 1:])
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen or name in NOT_PROVING:
            continue
        found = _module(sources, name)
        if found is not None:
            seen.add(name)
            todo.extend(found[1])
    return tuple(sorted(seen))


@functools.lru_cache(maxsize=None)
def source_digest(module: str, sources: Path = SOURCES) -> str:
    """SHA-256 of every module in :func:`dependencies` of ``module``: its name and the dump of
    its proving statements (the code that only shows mathematics left out)."""
    h = hashlib.sha256()
    for name in dependencies(module, sources):
        h.update(name.encode() + b"\0" + _module(sources, name)[0].encode() + b"\0")
    return h.hexdigest()
