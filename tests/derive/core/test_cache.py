"""The proof cache (derive.core.cache) and parallel proving (derive.prove_all): a valid entry is reused,
a stale or damaged one is ignored and replaced, and the proofs do not depend on the cache or on
the number of worker processes.  Every test has a cache folder of its own (XDG_CACHE_HOME)."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import stat

import pytest
import sympy as sp

from gradproof import derive
from gradproof.derive.core import cache
from gradproof.derive.core.outcome import REFUTED, Outcome
from gradproof.derive.core.theorem import Derivation, Identity

QUICK = ["perceptron_bias", "sigmoid_output", "slip_l1_update"]


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # a key of its own
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
    monkeypatch.setattr(cache, "source_digest", lambda module, sources: "0" * 64)
    assert cache.key(idy) != k
    monkeypatch.undo()
    monkeypatch.setattr(cache, "_versions", lambda: {"gradproof": "0", "sympy": "0", "python": "0"})
    assert cache.key(idy) != k


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


#: A child's key of slip_l1_update (its statement holds η λ / n, with Symbol('n', positive=True,
#: integer=True)), after the child made that product with an equal n whose assumptions are written
#: in the other order, or not.
_KEY_IN_A_CHILD = """
import sys
import sympy as sp
if sys.argv[1] == "first":
    n = sp.Symbol("n", integer=True, positive=True)
    made = sp.Symbol("eta", positive=True) * sp.Symbol("lambda", positive=True) / n
from gradproof import derive
from gradproof.derive.core import cache
print(cache.key(derive.REGISTRY["slip_l1_update"]))
"""


def test_the_key_is_the_same_in_every_process():
    """A statement's key does not depend on which of two equal expressions the process made first
    (SymPy's cache hands out the first, and srepr writes a symbol's assumptions in the order they
    were given): a test session that had made η λ / n with Symbol('n', integer=True,
    positive=True) missed the proof cache's entry of slip_l1_update."""
    import subprocess
    import sys

    from ...limits import HANG_GUARD

    keys = [subprocess.run([sys.executable, "-c", _KEY_IN_A_CHILD, how], capture_output=True,
                           text=True, check=True, timeout=HANG_GUARD).stdout
            for how in ("first", "fresh")]
    assert keys[0] == keys[1] and len(keys[0].strip()) == 64


def test_the_statement_text_sorts_assumptions_and_numbers_dummies():
    made = [sp.Symbol.__xnew__(sp.Symbol, "n", **dict(order))  # uncached: two equal symbols
            for order in ([("integer", True), ("positive", True)],
                          [("positive", True), ("integer", True)])]
    assert sp.srepr(made[0]) != sp.srepr(made[1])  # what the key held before
    assert cache.statement_text(made[:1]) == cache.statement_text(made[1:])

    def summed():
        k = sp.Dummy("k")
        return [sp.Eq(sp.Sum(k ** 2, (k, 1, 3)), 14)]
    assert cache.statement_text(summed()) == cache.statement_text(summed())
    j, k = sp.Dummy("k"), sp.Dummy("k")
    assert cache.statement_text([sp.Eq(j, k)]) != cache.statement_text([sp.Eq(j, j)])


def test_a_source_change_makes_the_entry_stale_and_it_is_replaced(own_cache, monkeypatch):
    derive.prove_all(["perceptron_bias"], cache=True)
    monkeypatch.setattr(cache, "source_digest", lambda module, sources: "f" * 64)
    p = derive.prove_all(["perceptron_bias"], cache=True)[0]
    assert not p.cached
    assert derive.prove_all(["perceptron_bias"], cache=True)[0].cached  # the new entry is used


# --- the key follows what each theorem depends on (edits made in a copy of derive's sources) --------

@pytest.fixture
def sources(tmp_path):
    """A copy of derive's sources, to edit (keys are computed from it with ``sources=``)."""
    copy = tmp_path / "derive"
    shutil.copytree(cache.SOURCES, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def edit(sources, path: str, old: str, new: str) -> None:
    """Replace the one occurrence of ``old`` in ``sources/path`` by ``new``."""
    f = sources / path
    text = f.read_text(encoding="utf-8")
    assert text.count(old) == 1, (path, old)
    f.write_text(text.replace(old, new), encoding="utf-8")


def ids_of(module: str) -> list[str]:
    return [i for i, idy in derive.REGISTRY.items() if idy.build.__module__.endswith("." + module)]


def test_editing_a_display_form_leaves_its_theorem_cached(own_cache, sources, monkeypatch):
    ids = ["sigmoid_prime", "bp1", "bp_batched", "l2_gradient", "l1_update"]
    before = {i: cache.key(derive.REGISTRY[i]) for i in ids}
    derive.prove_all(["sigmoid_prime"], cache=True)
    # sigmoid_prime's display form, σ′(0) = 1/4 shown as 2/8
    edit(sources, "book/neurons.py", "at0 = sp.Eq(sp.Subs(d, z, 0), sp.Rational(1, 4), evaluate=False)",
         "at0 = sp.Eq(sp.Subs(d, z, 0), sp.Rational(2, 8), evaluate=False)")
    # backprop: another name for ∇_A C, and a new display form for bp1 (its import included)
    edit(sources, "book/backprop.py", r'_B["NablaA"]: r"\nabla_{A} C"', r'_B["NablaA"]: r"\nabla_A C"')
    edit(sources, "book/backprop.py", "from ..core.notation import name_symbols\n",
         "from ..core.notation import name_symbols\nfrom ..core.display import Display, display\n")
    with open(sources / "book/backprop.py", "a", encoding="utf-8") as f:
        f.write('\n\n@display("bp1")\ndef _bp1_form(s):\n    return Display((None, None))\n')
    # regularization: the "checked at" line of every rule shown for any weight
    edit(sources, "book/regularization.py", "(every weight enters the same way)", "(all weights alike)")
    assert {i: cache.key(derive.REGISTRY[i], sources) for i in ids} == before
    monkeypatch.setattr(cache, "SOURCES", sources)
    assert derive.prove_all(["sigmoid_prime"], cache=True)[0].cached


def test_editing_a_theorem_makes_its_module_stale_and_leaves_other_chapters_cached(own_cache, sources,
                                                                                   monkeypatch):
    derive.prove_all(["perceptron_bias"], cache=True)
    backprop, others = ids_of("backprop"), ids_of("neurons") + ids_of("softmax") + ids_of("regularization")
    assert "bp1" in backprop and "perceptron_bias" in others and "softmax_log" in others
    before = {i: cache.key(derive.REGISTRY[i]) for i in backprop + others}
    edit(sources, "book/backprop.py", '"the same for every j: a Hadamard (elementwise) product"',
         '"the same for every j: a Hadamard product"')  # a step of bp1
    after = {i: cache.key(derive.REGISTRY[i], sources) for i in backprop + others}
    assert all(after[i] != before[i] for i in backprop)  # bp1 and the rest of its module
    assert all(after[i] == before[i] for i in others)
    monkeypatch.setattr(cache, "SOURCES", sources)
    assert derive.prove_all(["perceptron_bias"], cache=True)[0].cached


def test_editing_a_module_that_a_chapter_imports_makes_it_stale(sources):
    ids = ids_of("backprop") + ids_of("softmax") + ids_of("neurons")
    before = {i: cache.key(derive.REGISTRY[i]) for i in ids}
    edit(sources, "book/network.py", "ARCHITECTURES: tuple[tuple[int, ...], ...] = ((2, 3, 2),",
         "ARCHITECTURES: tuple[tuple[int, ...], ...] = ((2, 2, 2),")
    stale = {i for i in ids if cache.key(derive.REGISTRY[i], sources) != before[i]}
    assert stale == set(ids_of("backprop") + ids_of("softmax"))  # neurons does not use the networks


def test_editing_the_prover_makes_every_proof_stale(own_cache, sources, monkeypatch):
    derive.prove_all(["perceptron_bias"], cache=True)
    modules = {idy.build.__module__ for idy in derive.REGISTRY.values()}
    assert len(modules) >= 9
    before = {m: cache.source_digest(m, cache.SOURCES) for m in modules}  # a part of every key
    edit(sources, "core/prover.py", "from __future__ import annotations\n",
         "from __future__ import annotations\n\nTHRESHOLD = 1\n")
    assert all(cache.source_digest(m, sources) != before[m] for m in modules)
    monkeypatch.setattr(cache, "SOURCES", sources)
    assert not derive.prove_all(["perceptron_bias"], cache=True)[0].cached


def test_comments_and_layout_do_not_count(sources):
    before = cache.key(derive.REGISTRY["bp1"])
    edit(sources, "book/backprop.py", "from ..core.notation import name_symbols\n",
         "from ..core.notation import name_symbols  # the book's names of the batched symbols\n\n")
    assert cache.key(derive.REGISTRY["bp1"], sources) == before


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


# --- issue 20: a cache is input from someone else ------------------------------------------------


def _forge(own_cache, id: str, **changes) -> None:
    """Rewrite the entry of ``id`` with ``changes`` and a digest as old gradproof computed it (a
    SHA-256 of public data): what anyone who can write the cache could do."""
    e = {**_entry(own_cache, id), **changes}
    body = json.dumps([e["key"], [e.get(f) for f in ("id", "expected", "status", "method", "seconds",
                                                      "counterexample", "detail", "proved_at")]],
                      sort_keys=True)
    e["digest"] = hashlib.sha256(body.encode()).hexdigest()
    own_cache.joinpath(f"{id}.json").write_text(json.dumps(e))


def test_a_forged_entry_is_ignored_and_runs_nothing(own_cache, tmp_path):
    """Defect 1: a counterexample value of Python code ran in `report`, and a re-digested entry
    showed the recorded slip as PROVED and bp1 as REFUTED."""
    derive.prove_all(["slip_l1_update", "perceptron_bias"], cache=True)
    marker = tmp_path / "ran"
    cx = _entry(own_cache, "slip_l1_update")["counterexample"]
    _forge(own_cache, "slip_l1_update",
           counterexample={k: f"__import__('os').system('touch {marker}')" for k in cx})
    _forge(own_cache, "perceptron_bias", status="refuted", counterexample={"b": "0"})
    slip, bias = derive.prove_all(["slip_l1_update", "perceptron_bias"], cache=True)
    assert not slip.cached and slip.status is REFUTED and slip.counterexample == cx
    assert not bias.cached and bias.status == "proved" and not marker.exists()
    _forge(own_cache, "slip_l1_update", status="proved", method="cancel", counterexample=None)
    assert derive.prove_all(["slip_l1_update"], cache=True)[0].status is REFUTED


def test_a_cache_copied_from_elsewhere_is_not_trusted(own_cache, tmp_path, monkeypatch):
    derive.prove_all(QUICK, cache=True)
    assert all(p.cached for p in derive.prove_all(QUICK, cache=True))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "another-machine"))  # another key
    assert not any(p.cached for p in derive.prove_all(QUICK, cache=True))
    key = cache.hmac_key_path()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and key.stat().st_size == 32
    assert own_cache not in key.parents


def test_a_refutation_is_rechecked_at_its_counterexample(own_cache):
    """An authenticated entry is still only data: a refutation whose point does not refute the
    statement (bp1 'refuted' anywhere, the slip at a point where both sides agree) is proved afresh."""
    bp1 = derive.REGISTRY["perceptron_bias"]
    honest = bp1.prove()
    lie = dataclasses.replace(honest, status=REFUTED, method="counterexample",
                              counterexample={"b": "1", "w": "2", "x": "3"})
    assert cache.store(bp1, lie) and cache.load(bp1) is None
    slip = derive.REGISTRY["slip_l1_update"]
    fresh = slip.prove()
    assert cache.store(slip, fresh) and cache.load(slip).counterexample == fresh.counterexample
    zero = dataclasses.replace(fresh, counterexample={k: "0" for k in fresh.counterexample})
    assert cache.store(slip, zero) and cache.load(slip) is None  # at w = 0 the two rules agree


def test_a_fifo_a_device_link_or_a_huge_entry_is_no_entry(own_cache):
    """Defect 2: a FIFO blocked derive forever; a link to /dev/zero was read without end."""
    derive.prove_all(["perceptron_bias"], cache=True)
    path = own_cache / "perceptron_bias.json"
    idy = derive.REGISTRY["perceptron_bias"]
    path.unlink()
    os.mkfifo(path)
    assert cache.load(idy) is None
    path.unlink()
    path.symlink_to("/dev/zero")
    assert cache.load(idy) is None
    path.unlink()
    path.write_bytes(b" " * (cache.MAX_ENTRY + 1))
    assert cache.load(idy) is None
    p = derive.prove_all(["perceptron_bias"], cache=True)[0]
    assert not p.cached and stat.S_ISREG(os.lstat(path).st_mode)  # replaced by a real entry


def test_a_cache_folder_that_is_a_link_is_refused_and_nothing_is_written_through_it(own_cache, tmp_path):
    """Defect 2: with the cache folder a symbolic link, an unrelated bp1.json in its target was
    overwritten."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "perceptron_bias.json").write_text("not mine")
    own_cache.parent.mkdir(parents=True)
    own_cache.symlink_to(elsewhere)
    p = derive.prove_all(["perceptron_bias"], cache=True)[0]
    assert p.ok and not p.cached
    assert (elsewhere / "perceptron_bias.json").read_text() == "not mine"
    assert os.listdir(elsewhere) == ["perceptron_bias.json"]
    why = cache.problem()
    assert "symbolic link" in why and "\n" not in why


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another user needs root")
def test_a_cache_folder_of_another_user_is_refused(own_cache):
    derive.prove_all(["perceptron_bias"], cache=True)
    os.chown(own_cache, 65534, 65534)
    assert "another user" in cache.problem()
    assert not derive.prove_all(["perceptron_bias"], cache=True)[0].cached
