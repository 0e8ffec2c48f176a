"""How the book writes our symbols: ``latex(expr)`` is the one LaTeX printer every output uses.

Code-friendly names (``lmbda``, ``nabla_w``, ``lse``) print as the book's notation.
"""
from __future__ import annotations

import sympy as sp

#: Symbol name -> LaTeX, for names SymPy would not print as the book does.
LATEX_NAMES: dict[str, str] = {
    "lmbda": r"\lambda",
    "nabla_w": r"\nabla_w",
    "nabla_b": r"\nabla_b",
    "lse": r"\operatorname{lse}",
}


def latex(expr: sp.Basic, **settings) -> str:
    """LaTeX of ``expr`` in the book's notation (SymPy's printer, with :data:`LATEX_NAMES`)."""
    names = {s: LATEX_NAMES[s.name] for s in getattr(expr, "free_symbols", ())
             if getattr(s, "name", None) in LATEX_NAMES}
    return sp.latex(expr, symbol_names=names, **settings)
