"""The proof cache (derive.core.cache) and parallel proving (derive.prove_all): a valid entry is reused,
a stale or damaged one is ignored and replaced, and the proofs do not depend on the cache or on
the number of worker processes.  Every test has a cache folder of its own (XDG_CACHE_HOME)."""
from __future__ import annotations

import json

import pytest
import sympy as sp

from gradproof import derive
from gradproof.derive.core import cache
from gradproof.derive.core.outcome import Outcome
from gradproof.derive.core.theorem import Derivation, Identity

QUICK = ["perceptron_bias", "sigmoid_output", "slip_l1_update"]


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    return tmp_path / "gradproof" / "proofs"


def fields(p):
    return (p.id, p.status, p.method, p.expected, p.counterexample, p.detail)


def test_cache_dir_follows_xdg(own_cache, monkeypatch):
    assert cache.cache_dir() == own_cache
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")  # XDG: absolute paths only
    assert cache.cache_dir().parts[-3:] == (".cache", "gradproof", "proofs")


def test_a_stored_outcome_is_reused_with_when_it_was_proved(own_cache):
    first = derive.prove_all(QUICK, cache=True)
    assert not any(p.cached for p in first) and all(p.proved_at for p in first)
    assert sorted(f.name for f in own_cache.iterdir()) == sorted(f"{i}.json" for i in QUICK)
    second = derive.prove_all(QUICK, cache=True)
    assert all(p.cached for p in second)
    assert [fields(p) for p in second] == [fields(p) for p in first]
    assert [p.proved_at for p in second] == [p.proved_at for p in first]
    d = second[0].as_dict()
    assert d["cached"] is True and d["proved_at"] == first[0].proved_at


def test_without_cache_nothing_is_read_or_written(own_cache):
    derive.prove_all(QUICK, cache=True)
    again = derive.prove_all(QUICK)  # the library default: prove afresh
    assert not any(p.cached for p in again)
    assert not own_cache.joinpath("bp1.json").exists()


def test_the_key_changes_with_the_source_and_the_versions(monkeypatch):
    idy = derive.REGISTRY["perceptron_bias"]
    k = cache.key(idy)
    assert k == cache.key(idy)
    monkeypatch.setattr(cache, "source_digest", lambda: "0" * 64)
    assert cache.key(idy) != k
    monkeypatch.undo()
    monkeypatch.setattr(cache, "_versions", lambda: {"gradproof": "0", "sympy": "0", "python": "0"})
    assert cache.key(idy) != k


def test_the_source_digest_covers_every_derive_module(monkeypatch):
    import hashlib
    from pathlib import Path
    root = Path(derive.__file__).parent
    files = sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)
    assert {"backprop.py", "theorem.py", "prover.py", "cache.py"} <= {f.name for f in files}
    h = hashlib.sha256()
    for f in files:  # an independent digest of the same files
        h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes() + b"\0")
    assert cache.source_digest() == h.hexdigest()
    seen = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: seen.append(self.name) or real(self))
    cache.source_digest.cache_clear()
    try:
        cache.source_digest()
    finally:
        monkeypatch.undo()
        cache.source_digest.cache_clear()
    assert sorted(seen) == sorted(f.name for f in files)


def test_an_identity_with_another_statement_does_not_reuse_the_entry():
    real = derive.REGISTRY["perceptron_bias"]
    x = sp.Symbol("x")
    impostor = Identity(real.id, real.title, real.group,
                        lambda: Derivation([sp.Eq(x, x + 1)], [], [lambda: Outcome("refuted", "m", {"x": "0"})]),
                        expect=real.expect)
    assert cache.key(impostor) != cache.key(real)
    cache.store(real, real.prove())
    assert cache.load(impostor) is None
    assert cache.load(real).cached


def test_a_source_change_makes_the_entry_stale_and_it_is_replaced(own_cache, monkeypatch):
    derive.prove_all(["perceptron_bias"], cache=True)
    monkeypatch.setattr(cache, "source_digest", lambda: "f" * 64)
    p = derive.prove_all(["perceptron_bias"], cache=True)[0]
    assert not p.cached
    assert derive.prove_all(["perceptron_bias"], cache=True)[0].cached  # the new entry is used


def _entry(own_cache, id):
    return json.loads(own_cache.joinpath(f"{id}.json").read_text())


DAMAGE = {
    "not json": lambda e: "{not json",
    "truncated": lambda e: json.dumps(e)[:40],
    "a list": lambda e: json.dumps([e]),
    "status flipped": lambda e: json.dumps({**e, "status": "proved" if e["status"] != "proved" else "refuted"}),
    "unknown status": lambda e: json.dumps({**e, "status": "probably"}),
    "method edited": lambda e: json.dumps({**e, "method": "numerically close"}),
    "missing field": lambda e: json.dumps({k: v for k, v in e.items() if k != "detail"}),
    "wrong type": lambda e: json.dumps({**e, "seconds": "fast"}),
    "other schema": lambda e: json.dumps({**e, "schema": cache.SCHEMA + 1}),
    "other key": lambda e: json.dumps({**e, "key": "0" * 64}),
    "bad time": lambda e: json.dumps({**e, "proved_at": "yesterday"}),
    "binary": lambda e: "\udcff",
}


@pytest.mark.parametrize("how", list(DAMAGE))
def test_a_damaged_entry_is_ignored_and_replaced(own_cache, how):
    id = "slip_l1_update" if how == "status flipped" else "perceptron_bias"
    derive.prove_all([id], cache=True)
    path = own_cache / f"{id}.json"
    path.write_bytes(DAMAGE[how](_entry(own_cache, id)).encode("utf-8", "surrogateescape"))
    p = derive.prove_all([id], cache=True)[0]
    assert not p.cached and p.ok
    assert cache.load(derive.REGISTRY[id]).cached  # rewritten whole


def test_a_refutation_keeps_its_counterexample(own_cache):
    fresh = derive.prove_all(["slip_l1_update"], cache=True)[0]
    cached = derive.prove_all(["slip_l1_update"], cache=True)[0]
    assert cached.cached and cached.status == "refuted" and cached.counterexample == fresh.counterexample


def test_writes_are_atomic_and_a_cache_that_cannot_be_written_is_no_error(own_cache, tmp_path, monkeypatch):
    derive.prove_all(QUICK, cache=True)
    assert not [f for f in own_cache.iterdir() if f.name.startswith(".tmp-")]
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    p = derive.prove_all(["perceptron_bias"], cache=True)[0]
    assert p.status == "proved" and not p.cached
    assert blocker.read_text() == "not a folder"


def test_parallel_proofs_equal_the_sequential_ones_in_order():
    ids = ["slip_l1_update", "perceptron_bias", "tanh_prime", "sigmoid_output", "l2_gradient"]
    one = derive.prove_all(ids, jobs=1)
    seen = []
    two = derive.prove_all(ids, jobs=2, on_proof=lambda p: seen.append(p.id))
    assert [p.id for p in two] == seen == ids
    assert [fields(p) for p in two] == [fields(p) for p in one]


def test_prove_uses_the_cache_when_asked(own_cache):
    assert not derive.prove("perceptron_bias", cache=True).cached
    assert derive.prove("perceptron_bias", cache=True).cached
    assert not derive.prove("perceptron_bias").cached


def test_an_identity_built_outside_derive_is_always_proved_afresh(own_cache):
    from gradproof.derive.core.theorem import theorem, REGISTRY
    x = sp.Symbol("x", real=True)

    @theorem("zz_outside", "Built by a test", "neurons")
    def build():
        return Derivation([sp.Eq(x + x, 2 * x)], [], [lambda: derive.prove_equal(x + x, 2 * x)])
    try:
        assert not derive.prove_all(["zz_outside"], cache=True)[0].cached
        assert not derive.prove_all(["zz_outside"], cache=True)[0].cached
        assert not own_cache.joinpath("zz_outside.json").exists()
    finally:
        del REGISTRY["zz_outside"]
