"""Fuzz test (issue 20): hypothesis-generated text fed to verify, proofread, the saved-model loader
and the proof-cache loader, in one child process under RLIMIT_AS.

It asserts, for every example: no traceback, never exit 4 (an internal error), the outcomes each
entry point may have (verify and proofread: 0, 1, 2 or 3; the loaders: a one-line ValueError or
OSError, or no entry), no "out of memory", and a bounded time per example (the commands run with
a 1-2 s time limit; the bound asserted is a hang guard, far above it).  Memory is bounded by the
child's address-space limit.  The child prints how many examples each target ran: the closing note
of issue 20 records them.  (Strings from the notation reader's own grammar, hypothesis.extra.lark,
join these once the reader of issue 16 exists.)
"""
from __future__ import annotations

import json
import subprocess
import sys

from .limits import HANG_GUARD

LIMIT = 1536 * 2**20  # sympy + numpy fit; a runaway allocation does not
EXAMPLES = {"verify": 40, "proofread": 25, "model": 40, "cache": 40}

_CHILD = r"""
import contextlib, io, json, os, resource, sys, tempfile, time
limit, examples = int(sys.argv[1]), json.loads(sys.argv[2])
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
work = tempfile.mkdtemp(prefix="gradproof-fuzz-")
os.environ["XDG_CACHE_HOME"], os.environ["XDG_DATA_HOME"] = work + "/cache", work + "/data"

import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st
from gradproof import derive
from gradproof.cli import main
from gradproof.derive.core import cache
from gradproof.numerics import Network

ran = {k: 0 for k in examples}
slowest = {k: 0.0 for k in examples}
PER_EXAMPLE = 120.0  # a hang guard: the commands' own limits are 1-2 s

def run(kind, argv):
    out, err = io.StringIO(), io.StringIO()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as exc:  # argparse's usage error
            status = exc.code
    took = time.perf_counter() - t0
    ran[kind] += 1
    slowest[kind] = max(slowest[kind], took)
    text = err.getvalue()
    assert status in (0, 1, 2, 3), (argv, status, text[-500:])
    assert "Traceback" not in text and "out of memory" not in text, (argv, text[-500:])
    assert took < PER_EXAMPLE, (argv, took)

def cfg(n):
    return settings(max_examples=n, deadline=None, database=None, derandomize=bool(os.environ.get("CI")),
                    suppress_health_check=list(HealthCheck))

TOKENS = ["x", "z", "w", "a", "sigma(", "σ(", "σ′(", "exp(", "log(", "tanh(", "Abs(", "|", "diff(",
          "(", ")", ",", "+", "-", "−", "*", "·", "/", "**", "^", "²", "'", "0", "2", "1/3", "1e308",
          "9" * 60, "e", "pi", "oo", "nan", " ", "__import__", "lambda", "[", "]", ".", "=", "<"]
expr = st.one_of(st.text(max_size=40), st.lists(st.sampled_from(TOKENS), max_size=25).map("".join))

@cfg(examples["verify"])
@given(expr, expr, st.lists(expr.map(lambda e: "z = " + e), max_size=2))
def fuzz_verify(lhs, rhs, lets):
    argv = ["verify", "--time-limit", "1"]
    for let in lets:
        argv += ["--let", let]
    run("verify", argv + ["--", lhs, rhs])

line = st.one_of(expr.map(lambda e: "= " + e), expr.map(lambda e: "let y = " + e),
                 expr.map(lambda e: "assume " + e), expr, expr.map(lambda e: "= x  # " + e),
                 st.text(max_size=30))

@cfg(examples["proofread"])
@given(st.lists(line, max_size=8))
def fuzz_proofread(lines):
    path = os.path.join(work, "d.txt")
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write("\n".join(lines))
    run("proofread", ["proofread", "--time-limit", "2", path])

net = Network([3, 2, 2], seed=0)
good = os.path.join(work, "good.npz")
net.save(good)
GOOD = open(good, "rb").read()
json_value = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
                          lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
                          max_leaves=12)
config_keys = st.sampled_from(["sizes", "activation", "cost", "init", "dtype", "version",
                               "activation_formula", "cost_formula", "format"])

@cfg(examples["model"])
@given(st.one_of(
    st.binary(max_size=2000),
    st.tuples(st.integers(0, len(GOOD) - 1), st.binary(min_size=1, max_size=8)).map(
        lambda t: GOOD[:t[0]] + t[1] + GOOD[t[0] + len(t[1]):]),
    st.dictionaries(config_keys, json_value | expr, max_size=3)))
def fuzz_model(data):
    path = os.path.join(work, "m.npz")
    if isinstance(data, dict):
        config = {**net.config(), **data}
        with open(path, "wb") as f:
            np.savez(f, config=np.array(json.dumps(config)), w0=net.weights[0], b0=net.biases[0],
                     w1=net.weights[1], b1=net.biases[1])
    else:
        with open(path, "wb") as f:
            f.write(data)
    t0 = time.perf_counter()
    try:
        Network.load(path)
    except (ValueError, OSError) as exc:
        assert "\n" not in str(exc), str(exc)
    ran["model"] += 1
    slowest["model"] = max(slowest["model"], time.perf_counter() - t0)

IDS = ["perceptron_bias", "slip_l1_update"]
honest = {p.id: p for p in derive.prove_all(IDS, cache=True)}
entries = {i: json.load(open(os.path.join(cache.cache_dir(), i + ".json"))) for i in IDS}
fields = st.sampled_from(["schema", "key", "id", "expected", "status", "method", "seconds",
                          "counterexample", "detail", "proved_at", "digest"])

@cfg(examples["cache"])
@given(st.sampled_from(IDS), st.one_of(st.binary(max_size=3000),
                                       st.dictionaries(fields, json_value | expr, max_size=3)))
def fuzz_cache(id, data):
    path = os.path.join(cache.cache_dir(), id + ".json")
    blob = data if isinstance(data, bytes) else json.dumps({**entries[id], **data}).encode()
    with open(path, "wb") as f:
        f.write(blob)
    t0 = time.perf_counter()
    p = cache.load(derive.REGISTRY[id])
    ran["cache"] += 1
    slowest["cache"] = max(slowest["cache"], time.perf_counter() - t0)
    assert p is None or (p.status, p.counterexample) == (honest[id].status, honest[id].counterexample)

for fuzz in (fuzz_verify, fuzz_proofread, fuzz_model, fuzz_cache):
    fuzz()
print(json.dumps({"ran": ran, "slowest": {k: round(v, 2) for k, v in slowest.items()}}))
"""


def test_fuzz_no_traceback_no_internal_error_bounded_time_and_memory():
    r = subprocess.run([sys.executable, "-c", _CHILD, str(LIMIT), json.dumps(EXAMPLES)],
                       capture_output=True, text=True, timeout=HANG_GUARD)
    assert r.returncode == 0, r.stderr[-4000:]
    result = json.loads(r.stdout.strip().splitlines()[-1])
    assert all(result["ran"][k] >= n for k, n in EXAMPLES.items()), result
    print(result)  # the counts for the closing note (pytest -s shows them)
