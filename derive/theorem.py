"""Theorems: a named identity, the derivation a reader would write, and its exact proof.

An :class:`Identity` is registered with the :func:`theorem` decorator on a function that *builds* its
:class:`Derivation` (statement, steps, proof obligations).  Building is lazy and cached, so importing
``derive`` is cheap; :meth:`Identity.prove` runs the obligations and times them.

Every obligation returns an :class:`~derive.prover.Outcome`; an identity is *proved* when every
obligation is, *refuted* when one of them has a concrete counterexample, *undecided* otherwise.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Callable, Sequence

import sympy as sp

from .prover import Outcome, combine

#: The book's order of topics; the report groups identities by these, in this order.
GROUPS: dict[str, str] = {
    "neurons": "Perceptrons and sigmoid neurons",
    "cost": "The quadratic cost and gradient descent",
    "backprop": "Backpropagation",
    "cross_entropy": "The cross-entropy cost",
    "softmax": "Softmax and the log-likelihood cost",
    "regularization": "Regularization",
    "hessian": "The Hessian technique",
    "activations": "Other activation functions",
    "stable": "Numerically stable forms",
    "slips": "Transcribed slips (expected to be refuted)",
}


@dataclass(frozen=True)
class Step:
    """One line of a derivation: an expression (usually an ``Eq``) and the reason it follows."""

    expr: sp.Basic
    reason: str


@dataclass(frozen=True)
class Derivation:
    """What an identity claims and how it is shown.

    ``statement``: the claim as SymPy relations (``Eq``, ``Ge``, ...), for the reader.
    ``steps``: the derivation a careful reader would write.
    ``obligations``: zero-argument callables, each closing one part of the statement exactly.
    ``assumptions``: the hypotheses, in words (and in the symbols' SymPy assumptions).
    """

    statement: Sequence[sp.Basic]
    steps: Sequence[Step]
    obligations: Sequence[Callable[[], Outcome]]
    assumptions: str = ""


@dataclass(frozen=True)
class Proof:
    """The result of proving one identity."""

    id: str
    title: str
    status: str  # "proved" | "refuted" | "undecided"
    method: str
    seconds: float
    expected: str = "proved"
    counterexample: dict[str, str] | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        """True when the identity ended as expected (proved, or refuted for a recorded slip)."""
        return self.status == self.expected

    def as_dict(self) -> dict:
        d = {"id": self.id, "title": self.title, "status": self.status, "method": self.method,
             "seconds": round(self.seconds, 4), "expected": self.expected}
        if self.counterexample is not None:
            d["counterexample"] = self.counterexample
        if self.detail:
            d["detail"] = self.detail
        return d


@dataclass
class Identity:
    """A named identity of the notes: stable ``id``, ``title``, book ``equation`` number, ``group``."""

    id: str
    title: str
    group: str
    build: Callable[[], Derivation] = field(repr=False)
    equation: str | None = None
    expect: str = "proved"
    note: str = ""

    @cached_property
    def derivation(self) -> Derivation:
        return self.build()

    @property
    def statement(self) -> Sequence[sp.Basic]:
        return self.derivation.statement

    @property
    def steps(self) -> Sequence[Step]:
        return self.derivation.steps

    def prove(self) -> Proof:
        """Run every obligation; exact methods only (see :mod:`derive.prover`)."""
        t0 = time.perf_counter()  # the time includes building the derivation
        outcome = combine([ob() for ob in self.derivation.obligations])
        seconds = time.perf_counter() - t0
        proof = Proof(self.id, self.title, outcome.status, outcome.method, seconds, self.expect,
                      outcome.counterexample, outcome.detail)
        self.__dict__["last_proof"] = proof  # what Jupyter's display shows beside the statement
        return proof

    # Jupyter display: the status and method beside the statement (the identity is proved the
    # first time it is shown).  derive owns the LaTeX; HTML comes from reports when it is
    # imported (derive does not import reports), else Jupyter shows the LaTeX.
    def _repr_latex_(self) -> str:
        from .display import identity_latex
        return identity_latex(self, self.__dict__.get("last_proof") or self.prove())

    def _repr_html_(self) -> str | None:
        from . import display
        if display.HTML_RENDERER is None:
            return None
        return display.HTML_RENDERER(self, self.__dict__.get("last_proof") or self.prove())


#: Every identity, by id, in registration order.
REGISTRY: dict[str, Identity] = {}


def theorem(id: str, title: str, group: str, *, equation: str | None = None,
            expect: str = "proved", note: str = "") -> Callable:
    """Register the decorated derivation builder as identity ``id``."""
    if group not in GROUPS:
        raise ValueError(f"theorem {id!r}: unknown group {group!r}; use one of {sorted(GROUPS)}")
    if expect not in ("proved", "refuted"):
        raise ValueError(f"theorem {id!r}: expect must be 'proved' or 'refuted', not {expect!r}")

    def register(build: Callable[[], Derivation]) -> Callable[[], Derivation]:
        if id in REGISTRY:
            raise ValueError(f"theorem id {id!r} is registered twice")
        REGISTRY[id] = Identity(id, title, group, build, equation, expect, note)
        return build

    return register
