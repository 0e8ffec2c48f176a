"""Shared test helpers for derive's theorems: exactness of a proof, and an mpmath oracle.

The oracle never calls the prover: it evaluates expressions at 50 significant digits (mpmath),
either from hand-written formulas or by ``lambdify(..., "mpmath")`` of the theorem's statement,
and compares with :func:`close` (1e-40 relative, or absolute near 0).
"""
from __future__ import annotations

import functools
import re

import mpmath as mp
import sympy as sp

from gradproof import derive
from gradproof.derive.core.prover import LADDER

DPS = 50
TOL = mp.mpf("1e-40")
#: Final words of an exact method: a reduction of the ladder, or an exact non-equational check.
EXACT = frozenset(LADDER) | {"sign", "solve", "solveset", "limit", "enumeration"}


def method_finals(method: str) -> list[str]:
    """The deciding method of each obligation in a combined method string: for
    ``"rewrite σ→exp, cancel + solve"`` that is ``["cancel", "solve"]``."""
    # a trailing "(at n = 2, 3, 4)" says at which sizes a method ran; it is not a method
    return [re.sub(r"\s*\(at [^)]*\)$", "", part).split(", ")[-1] for part in method.split(" + ")]


@functools.lru_cache(maxsize=None)
def proof(id: str) -> derive.Proof:
    """``derive.prove(id)``, once per test process (proving is deterministic): the registry's test
    and a chapter's test that both look at a proof share it (tests/conftest.py runs them on one
    worker)."""
    return derive.prove(id)


def assert_proved_exactly(id: str) -> derive.Proof:
    """Prove ``id``; it must be *proved*, and every obligation by an exact method."""
    p = proof(id)
    assert p.status == "proved", (id, p.status, p.detail, p.counterexample)
    assert p.method and "counterexample" not in p.method
    finals = method_finals(p.method)
    assert finals and all(f in EXACT for f in finals), (id, p.method)
    return p


def assert_well_formed(id: str) -> derive.Identity:
    """Statement and steps are SymPy objects, each step with a nonempty reason."""
    idy = derive.REGISTRY[id]
    assert idy.statement, id
    assert all(isinstance(s, sp.Basic) for s in idy.statement), id
    assert len(idy.steps) >= 2, id
    for st in idy.steps:
        assert isinstance(st.expr, sp.Basic), (id, st)
        assert isinstance(st.reason, str) and st.reason.strip(), (id, st)
    assert idy.title.strip() and idy.build.__doc__ and idy.build.__doc__.strip(), id
    return idy


def mp50(fn):
    """Run the test body at 50 significant digits (restored afterwards)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with mp.workdps(DPS):
            return fn(*args, **kwargs)
    return wrapper


def close(x, y, tol=TOL) -> bool:
    """|x − y| ≤ tol · max(1, |x|, |y|): relative agreement, absolute near 0."""
    x, y = mp.mpmathify(x), mp.mpmathify(y)
    return abs(x - y) <= tol * max(mp.mpf(1), abs(x), abs(y))


def sig(x):
    """σ(x) = 1/(1 + e^{−x}), by hand (mpmath has no overflow for large |x|)."""
    return 1 / (1 + mp.exp(-x))


#: Names the printed expressions use that mpmath does not define.
MP_FUNCS = {"sigmoid": sig, "Heaviside": lambda x, h0=0: mp.mpf(h0) if x == 0 else (1 if x > 0 else 0)}


def mpfunc(args, expr):
    """``lambdify(args, expr)`` evaluating with mpmath (and :data:`MP_FUNCS`)."""
    return sp.lambdify(args, expr, modules=[MP_FUNCS, "mpmath"])


def mpf(x) -> mp.mpf:
    """A hypothesis float as an mpf (exact conversion)."""
    return mp.mpf(x)
