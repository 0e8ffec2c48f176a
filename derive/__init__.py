"""gradproof's symbolic engine: the mathematics of Nielsen's chapters 1-3 as named, proved theorems.

SymPy only.  ``REGISTRY`` maps each identity's stable id to an :class:`Identity`, every theorem of
the book registered (:mod:`derive.book.registry`); ``prove(id)`` proves one, ``prove_all()`` all of
them (optionally from the proof cache, :mod:`derive.core.cache`, and in parallel worker processes);
``verify(lhs, rhs)`` decides a claim given as text.

Names are imported on first use (Scientific Python's SPEC 1, as :mod:`gradproof.reports` does), so
that importing a light module of the engine, such as ``derive.core.escape``, neither loads SymPy
nor builds the book.
"""
from __future__ import annotations

from .core.lazy import attach

__all__ = [
    "GROUPS", "REGISTRY", "Derivation", "Identity", "Part", "Proof", "Reading", "Step", "theorem",
    "generality_summary",
    "Outcome", "Status", "prove_equal", "prove_zero", "holds", "find_counterexample",
    "ACTIVATIONS", "Activation", "sigmoid", "relu", "COSTS", "Cost",
    "Verdict", "verify", "get", "prove", "prove_all",
    "activation", "cost", "cost_for_output_error", "get_activation", "get_cost",
]

#: The module of each public name.  ``REGISTRY`` is :mod:`derive.book.registry`'s: importing that
#: module registers every theorem, so the registry read here is always complete.
_WHERE = {
    **dict.fromkeys(["GROUPS", "Derivation", "Identity", "Part", "Proof", "Reading", "Step",
                     "theorem", "generality_summary"], "core.theorem"),
    **dict.fromkeys(["Outcome", "Status"], "core.outcome"),
    **dict.fromkeys(["prove_equal", "prove_zero", "holds", "find_counterexample"], "core.prover"),
    **dict.fromkeys(["ACTIVATIONS", "Activation", "sigmoid", "relu"], "book.activations"),
    **dict.fromkeys(["COSTS", "Cost"], "book.costs"),
    **dict.fromkeys(["Verdict", "verify"], "claims.verify"),
    **dict.fromkeys(["REGISTRY", "get", "prove", "prove_all"], "book.registry"),
    **dict.fromkeys(["activation", "cost", "cost_for_output_error", "get_activation", "get_cost"],
                    "book.custom"),
}
assert set(_WHERE) == set(__all__), "every public name has one module"

__getattr__, __dir__ = attach(__name__, _WHERE)
