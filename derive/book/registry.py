"""The complete registry, and proving from it.

Imports every theorem module so that each registers its identities, then orders the registry as
the book goes: by :data:`~derive.core.theorem.GROUPS`, within a group by chapter (:data:`CHAPTERS`)
and within a chapter as its module registers them, whichever module was imported first.  Read
``REGISTRY`` from here (or as ``derive.REGISTRY``), never from :mod:`derive.core.theorem`, where
it holds only the chapters imported so far.  ``get(id)``, ``prove(id)`` and ``prove_all(ids)``
work on it, with the proof cache (:mod:`derive.core.cache`) and parallel worker processes.
"""
from __future__ import annotations

import multiprocessing as _mp
import os as _os
from typing import Callable, Iterator

from . import activations  # tanh, ReLU (and the sigmoid's stable form)
from . import neurons  # perceptrons, sigmoid neurons
from . import gradient_descent  # quadratic cost, gradient descent, SGD
from . import backprop  # BP1-BP4, sum over paths
from . import cross_entropy  # cross-entropy, σ′ cancellation, softplus form
from . import softmax  # softmax, log-likelihood, log-sum-exp
from . import regularization  # L2, L1
from . import hessian  # Newton step
from . import r_operator  # Hessian-vector products: the R-operator on BP1-BP4
from . import gauss_newton  # the Gauss-Newton product and H = G + curvature
from . import slips  # transcribed slips, expected to be refuted
from ..core import cache as _cache
from ..core.theorem import GROUPS, REGISTRY, Identity, Proof

__all__ = ["REGISTRY", "CHAPTERS", "get", "prove", "prove_all"]

#: The theorem modules, in the order their identities are listed within a group.
CHAPTERS = (activations, neurons, gradient_descent, backprop, cross_entropy, softmax, regularization,
            hessian, r_operator, gauss_newton, slips)
_GROUP = {g: i for i, g in enumerate(GROUPS)}
_CHAPTER = {m.__name__: i for i, m in enumerate(CHAPTERS)}


def _place(id: str) -> tuple[int, int]:
    """Where identity ``id`` goes: its group's place in the book, then its chapter's (an identity
    registered elsewhere, e.g. by a user's script, after the chapters'); the sort is stable, so a
    chapter's identities keep the order its module registers them in."""
    idy = REGISTRY[id]
    return _GROUP[idy.group], _CHAPTER.get(getattr(idy.build, "__module__", None), len(CHAPTERS))


for _id in sorted(REGISTRY, key=_place):
    REGISTRY[_id] = REGISTRY.pop(_id)

#: The ``derive`` package: an identity built by its code may be cached (:func:`_cacheable`).
_DERIVE = __name__.rsplit(".", 2)[0]


def get(id: str) -> Identity:
    """The identity ``id``; ``KeyError`` naming the known ids when there is none."""
    try:
        return REGISTRY[id]
    except KeyError:
        raise KeyError(f"unknown identity {id!r}; `gradproof derive --list` shows the "
                       f"{len(REGISTRY)} known ids") from None


def prove(id: str, *, cache: bool = False) -> Proof:
    """Prove identity ``id``; with ``cache``, reuse a valid cached outcome (and store a fresh one)."""
    return prove_all([id], cache=cache, jobs=1)[0]


def prove_all(ids: list[str] | None = None, *, cache: bool = False, jobs: int | None = 1,
              on_proof: Callable[[Proof], None] | None = None) -> list[Proof]:
    """Prove the selected identities (all by default); the proofs come back in the order of ``ids``.

    ``cache``: take each outcome from :mod:`derive.core.cache` when a valid entry is there
    (``Proof.cached``) and store each fresh one.  ``jobs``: worker processes for the identities
    still to prove (None: one per core; 1: in this process).  ``on_proof`` is called with each proof
    as soon as it and all before it are known, in order.
    """
    proofs = []
    for p in _proofs(ids if ids is not None else list(REGISTRY), cache, jobs):
        proofs.append(p)
        if on_proof is not None:
            on_proof(p)
    return proofs


def _cores() -> int:
    try:
        return len(_os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return _os.cpu_count() or 1


def _prove_id(id: str) -> Proof:
    """A worker's task: prove one identity of the (forked) registry."""
    return REGISTRY[id].prove()


def _cacheable(idy: Identity) -> bool:
    """Only a registered identity built by derive's own code: the cache key digests that code (an
    identity built elsewhere, e.g. in a user's script, is always proved afresh)."""
    module = getattr(idy.build, "__module__", "") or ""
    return REGISTRY.get(idy.id) is idy and module.startswith(_DERIVE + ".")


def _proofs(ids: list[str], cache: bool, jobs: int | None) -> Iterator[Proof]:
    identities = [get(i) for i in ids]
    hits = {}
    cache_ids = {idy.id for idy in identities if cache and _cacheable(idy)}
    for idy in identities:
        p = _cache.load(idy) if idy.id in cache_ids else None
        if p is not None:
            hits[idy.id] = p
    todo = [idy.id for idy in identities if idy.id not in hits]
    workers = min(_cores() if jobs is None else max(1, jobs), len(todo))
    pool = None
    if workers > 1 and "fork" in _mp.get_all_start_methods():
        for idy in identities:  # build in the parent: every worker inherits the derivations
            idy.derivation
        pool = _mp.get_context("fork").Pool(workers)
        fresh = pool.imap(_prove_id, todo, chunksize=1)  # results in order, computed ahead
    else:
        fresh = (_prove_id(i) for i in todo)
    try:
        for idy in identities:
            p = hits.get(idy.id)
            if p is None:
                p = next(fresh)
                if idy.id in cache_ids:
                    _cache.store(idy, p)
            yield p
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
