"""gradproof's symbolic engine: the mathematics of Nielsen's chapters 1-3 as named, proved theorems.

SymPy only.  ``REGISTRY`` maps each identity's stable id to an :class:`Identity`; ``prove(id)``
proves one, ``prove_all()`` all of them; ``verify(lhs, rhs)`` decides a claim given as text.
"""
from __future__ import annotations

from .theorem import GROUPS, REGISTRY, Derivation, Identity, Proof, Step, theorem
from .prover import Outcome, prove_equal, prove_zero, holds, find_counterexample
from .activations import ACTIVATIONS, Activation, sigmoid, relu
from .costs import COSTS, Cost
from .verify import Verdict, verify
from .custom import activation, cost, cost_for_output_error, get_activation, get_cost

# Importing a module registers its theorems, in the book's order.
from . import registry as _registry  # noqa: E402,F401

__all__ = [
    "GROUPS", "REGISTRY", "Derivation", "Identity", "Proof", "Step", "theorem",
    "Outcome", "prove_equal", "prove_zero", "holds", "find_counterexample",
    "ACTIVATIONS", "Activation", "sigmoid", "relu", "COSTS", "Cost",
    "Verdict", "verify", "get", "prove", "prove_all",
    "activation", "cost", "cost_for_output_error", "get_activation", "get_cost",
]


def get(id: str) -> Identity:
    """The identity ``id``; ``KeyError`` naming the known ids when there is none."""
    try:
        return REGISTRY[id]
    except KeyError:
        raise KeyError(f"unknown identity {id!r}; `gradproof derive --list` shows the "
                       f"{len(REGISTRY)} known ids") from None


def prove(id: str) -> Proof:
    """Prove identity ``id``."""
    return get(id).prove()


def prove_all(ids: list[str] | None = None) -> list[Proof]:
    """Prove the selected identities (all by default), in registry order."""
    return [get(i).prove() for i in (ids if ids is not None else list(REGISTRY))]
