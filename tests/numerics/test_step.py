"""numerics.codegen's fused ``step_<reg>`` kernels: backprop and update_<reg> in one, composed symbolically.

Oracles: the separate generated ``backprop`` + ``update_<reg>`` (one step must agree to ~1e-12), the
per-example explicit matrices of ``derive.book.backprop.batched_per_example`` for the composed rules
(exact, SymPy), and derive's rules patched in place (the printed step must follow them).
"""
from __future__ import annotations

import ast
import inspect
import itertools
import re

import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given, settings, strategies as st

from gradproof import derive
from gradproof.derive.book import backprop, updates
from gradproof.numerics import codegen, fused
from gradproof.numerics.network import Network
from gradproof.numerics.train import SGD, sgd

TRIPLES = list(itertools.product(codegen.COST_NAMES, codegen.ACTIVATION_NAMES, codegen.REGS))


def _params(sizes, rng, scale):
    weights = [scale * rng.standard_normal((o, i)) for i, o in zip(sizes[:-1], sizes[1:])]
    biases = [rng.standard_normal(o) for o in sizes[1:]]
    return weights, biases


def _batch(sizes, m, cost, rng):
    x = rng.random((m, sizes[0]))
    labels = rng.integers(0, sizes[-1], m)
    y = np.eye(sizes[-1])[labels] if cost == "log_likelihood" else rng.random((m, sizes[-1]))
    return x, y


# --- one fused step = backprop then update_<reg> ---------------------------------------------------

@pytest.mark.parametrize("cost,activation,reg", TRIPLES)
@settings(max_examples=8, deadline=None)
@given(sizes=st.lists(st.integers(1, 6), min_size=2, max_size=5), m=st.integers(1, 6),
       eta=st.floats(1e-3, 5.0), lmbda=st.floats(0.0, 5.0), n=st.integers(1, 60000),
       scale=st.sampled_from([0.3, 1.0, 2.0]), seed=st.integers(0, 2**32 - 1))
@example(sizes=[3, 4, 4, 2], m=3, eta=5.0, lmbda=5.0, n=7, scale=2.0, seed=1).via(
    "deep and a large step: BP2 must use w^(l+1) from before the update")
@example(sizes=[1, 1], m=1, eta=0.5, lmbda=0.0, n=1, scale=1.0, seed=0).via("no hidden layer")
def test_fused_step_equals_backprop_then_update(cost, activation, reg, sizes, m, eta, lmbda, n, scale, seed):
    k = codegen.kernels(cost, activation)
    rng = np.random.default_rng(seed)
    w0, b0 = _params(sizes, rng, scale)
    if reg == "l1":
        w0[0][0, 0] = 0.0  # sgn(0) = 0: L1 leaves a zero weight to the gradient alone
    x, y = _batch(sizes, m, cost, rng)
    ws, bs = [w.copy() for w in w0], [b.copy() for b in b0]
    nabla_w, nabla_b = k.backprop(ws, bs, x, y)
    getattr(k, f"update_{reg}")(ws, bs, nabla_w, nabla_b, eta, lmbda, n)
    wf, bf = [w.copy() for w in w0], [b.copy() for b in b0]
    assert getattr(k, f"step_{reg}")(wf, bf, x, y, eta, lmbda, n) is None  # in place
    for got, want, old in zip(wf + bf, ws + bs, w0 + b0):
        assert got.shape == want.shape and got.dtype == want.dtype
        tol = 1e-12 * (np.abs(want) + np.abs(old) + 1e-3)  # relative to the size of the step's terms
        assert np.all(np.abs(got - want) <= tol), np.max(np.abs(got - want) / tol)


def test_the_update_order_matters_so_the_test_above_can_fail():
    """Updating w^(l+1) before δ^l is computed (the slip the step must avoid) changes the result by
    far more than the 1e-12 above: the equality test would catch it."""
    k = codegen.kernels("cross_entropy", "sigmoid")
    rng = np.random.default_rng(1)
    sizes = [3, 4, 4, 2]
    w0, b0 = _params(sizes, rng, 2.0)
    x, y = _batch(sizes, 3, "cross_entropy", rng)
    good_w, good_b = [w.copy() for w in w0], [b.copy() for b in b0]
    k.step_none(good_w, good_b, x, y, 5.0, 0.0, 7)
    bad_w, bad_b = [w.copy() for w in w0], [b.copy() for b in b0]
    nabla_w, nabla_b = k.backprop(bad_w, bad_b, x, y)
    bad_w[-1] -= 5.0 * nabla_w[-1]  # update the last layer first, then redo δ for the others
    nabla_w2, _ = k.backprop(bad_w, bad_b, x, y)
    bad_w[0] -= 5.0 * nabla_w2[0]
    assert np.max(np.abs(bad_w[0] - good_w[0])) > 1e-6


@pytest.mark.parametrize("reg", codegen.REGS)
def test_float32_step_stays_float32(reg):
    k = codegen.kernels("log_likelihood", "relu")
    rng = np.random.default_rng(0)
    w, b = _params([5, 4, 3], rng, 1.0)
    w, b = [v.astype(np.float32) for v in w], [v.astype(np.float32) for v in b]
    x, y = _batch([5, 4, 3], 4, "log_likelihood", rng)
    getattr(k, f"step_{reg}")(w, b, x.astype(np.float32), y.astype(np.float32), 0.5, 1.0, 10)
    assert all(p.dtype == np.float32 for p in w + b)


# --- the composed rules against the per-example explicit matrices (exact) ----------------------------

@pytest.mark.parametrize("reg", codegen.REGS)
def test_composed_rules_equal_the_rule_applied_to_the_per_example_mean(reg):
    new_w, new_b, elementwise = fused.composed_update(reg)
    S = backprop.BATCHED_SYMBOLS
    m_, n_prev, n_l, n_next = 2, 3, 2, 2
    ref = backprop.batched_per_example(m_, n_prev, n_l, n_next)
    (m,) = S["Delta"].shape[0].free_symbols
    widths = {m: m_, S["A_prev"].shape[1]: n_prev, S["Delta"].shape[1]: n_l}
    W = sp.Matrix(n_l, n_prev, lambda i, j: sp.Symbol(f"w{i}{j}", real=True))
    B = sp.Matrix(1, n_l, lambda i, j: sp.Symbol(f"b{j}", real=True))
    at = {S["Delta"].xreplace(widths): ref["inputs"]["Delta"], S["A_prev"].xreplace(widths): ref["inputs"]["A_prev"],
          sp.MatrixSymbol("W", n_l, n_prev): W, sp.MatrixSymbol("B", 1, n_l): B}
    at.update({F.xreplace(widths): W.applyfunc(lambda e: f.xreplace({updates.w: e}))
               for F, f in elementwise.items()})
    got_w = new_w.xreplace(widths).xreplace(at).as_explicit()
    got_b = new_b.xreplace(widths).xreplace(at).as_explicit()
    rule, _ = updates.WEIGHT_UPDATES[reg]
    for i, j in itertools.product(range(n_l), range(n_prev)):
        want = rule.xreplace({updates.w: W[i, j], updates.nabla_w: ref["bp4"][i, j]})
        assert sp.expand(got_w[i, j] - want) == 0, (reg, i, j)
    for j in range(n_l):
        want = updates.BIAS_UPDATE[0].xreplace({updates.b: B[0, j], updates.nabla_b: ref["bp3"][0, j]})
        assert sp.expand(got_b[0, j] - want) == 0


# --- the printed source -------------------------------------------------------------------------------

def _step_source(cost, activation, reg):
    return inspect.getsource(getattr(codegen.kernels(cost, activation), f"step_{reg}"))


@pytest.mark.parametrize("cost,activation,reg", TRIPLES)
def test_step_reads_like_the_algorithm_box_and_repeats_backprop(cost, activation, reg):
    src = _step_source(cost, activation, reg)
    bp = inspect.getsource(codegen.kernels(cost, activation).backprop)
    steps = ["# 1. Input x", "# 2. Feedforward", "# 3. Output error δ^L (BP1)", "# 4. Backpropagate the error (BP2)",
             "# 5. Output: the gradient", "# 6. Update (eq. "]
    positions = [src.index(s) for s in steps]
    assert positions == sorted(positions)
    # steps 1-4 are backprop's lines, verbatim: every δ^l exists before step 6 changes any weight
    head = src[src.index("    m = x.shape[0]"):src.index("    # 5.")]
    assert head in bp
    assert "deltas.reverse()" in head and "weights" not in src[src.index("    # 6."):].split("\n", 2)[2]
    tail = src[src.index("    # 6."):]
    assert tail.count("@") == 1 and "nabla" not in tail  # one product per layer, no stored gradient
    w_id = updates.WEIGHT_UPDATES[reg][1]
    assert f"(eq. {derive.REGISTRY[w_id].equation})" in tail.splitlines()[0]


_CONTROL = re.compile(r"(for .* in zip\(.*\):|m = x\.shape\[0\]|a = x|activations = \[a\]|zs = \[\]|deltas = \[delta\]"
                      r"|(activations|zs|deltas)\.append\((a|z|delta)\)|deltas\.reverse\(\))$")


@pytest.mark.parametrize("cost,activation,reg", TRIPLES)
def test_every_math_line_of_the_step_is_tagged_with_a_theorem(cost, activation, reg):
    """Apart from the template's control flow (the loops, the lists), every statement computes
    something printed from derive and says from which theorem; an untagged statement may only be a
    common subexpression of the tagged statement right after it (``ez = numpy.exp(...)``)."""
    src = _step_source(cost, activation, reg)
    body = ast.parse(src).body[0].body[1:]  # after the docstring
    lines = src.splitlines()
    statements = [n for n in ast.walk(ast.Module(body=body, type_ignores=[]))
                  if isinstance(n, (ast.Assign, ast.AugAssign, ast.Expr, ast.For))]
    statements.sort(key=lambda n: n.lineno)
    math = [n for n in statements if not _CONTROL.fullmatch(lines[n.lineno - 1].strip().split("  #")[0])]
    tagged = 0
    for node, after in zip(math, math[1:] + [None]):
        line = lines[node.lineno - 1].strip()
        tags = re.search(r"  \[([^\]]+)\]$", line)
        if tags is None:
            (target,) = node.targets
            nxt = lines[after.lineno - 1]
            assert re.search(r"  \[[^\]]+\]$", nxt) and re.search(rf"\b{target.id}\b", nxt.split("=", 1)[1]), line
            continue
        for tag in (t.strip() for t in tags.group(1).split(",")):
            assert tag in derive.REGISTRY or re.fullmatch(r"eq\. \(\d+\)", tag) or tag == "definition", tag
        tagged += 1
    assert tagged >= 8


def _patched_source(monkeypatch, cost, activation, weight_rules=None, bias_rule=None, batched=None):
    for reg, rule in (weight_rules or {}).items():
        monkeypatch.setitem(updates.WEIGHT_UPDATES, reg, rule)
    if bias_rule is not None:
        monkeypatch.setattr(updates, "BIAS_UPDATE", bias_rule)
    for key, expr in (batched or {}).items():
        monkeypatch.setitem(backprop.BATCHED, key, expr)
    src = codegen.kernel_source.__wrapped__(cost, activation)  # past the cache: print afresh
    namespace = {}
    exec(compile(src, "<patched kernels>", "exec"), namespace)
    return src, namespace


def test_the_step_follows_derive_when_the_rules_change(monkeypatch):
    """The step's update is printed from derive.book.updates, not typed: change the rules there and the
    printed step follows (here with weight and bias coefficients that no longer share η/m)."""
    w, nw, eta, lmbda, n = updates.w, updates.nabla_w, updates.eta, updates.lmbda, updates.n
    rules = {"l2": ((1 - 2 * eta * lmbda / n) * w - 3 * eta * nw, "l2_weight_decay"),
             "l1": (w - eta * lmbda / n * sp.sign(w) * 4 - eta * nw / 2, "l1_update")}
    bias = (updates.b - 5 * eta * updates.nabla_b, "l2_weight_decay")
    unpatched = codegen.kernels("cross_entropy", "tanh")  # compiled (and cached) before the patch
    src, k = _patched_source(monkeypatch, "cross_entropy", "tanh", rules, bias)
    assert "delta_eta" not in src.split("def step_l2", 1)[1].split("def step_l1")[0]
    rng = np.random.default_rng(3)
    sizes = [4, 3, 2]
    w0, b0 = _params(sizes, rng, 1.0)
    x, y = _batch(sizes, 5, "cross_entropy", rng)
    nabla_w, nabla_b = unpatched.backprop(w0, b0, x, y)
    e, lm, nn = 0.7, 1.5, 11
    for reg, want in (("l2", lambda W, G: (1 - 2 * e * lm / nn) * W - 3 * e * G),
                      ("l1", lambda W, G: W - 4 * e * lm / nn * np.sign(W) - e * G / 2)):
        ws, bs = [v.copy() for v in w0], [v.copy() for v in b0]
        k[f"step_{reg}"](ws, bs, x, y, e, lm, nn)
        for got, W, G in zip(ws, w0, nabla_w):
            np.testing.assert_allclose(got, want(W, G), rtol=1e-12, atol=1e-13)
        for got, B, G in zip(bs, b0, nabla_b):
            np.testing.assert_allclose(got, B - 5 * e * G, rtol=1e-12, atol=1e-13)


def test_the_step_follows_derive_when_bp4_changes(monkeypatch):
    """BP3/BP4 come from derive.book.backprop.BATCHED: scale them there and both backprop and the
    fused step move with them (and still agree)."""
    unpatched = codegen.kernels("quadratic", "sigmoid")  # compiled (and cached) before the patch
    src, k = _patched_source(monkeypatch, "quadratic", "sigmoid",
                             batched={"bp4": 2 * backprop.BATCHED["bp4"], "bp3": 2 * backprop.BATCHED["bp3"]})
    rng = np.random.default_rng(4)
    w0, b0 = _params([3, 3, 2], rng, 1.0)
    x, y = _batch([3, 3, 2], 4, "quadratic", rng)
    plain = unpatched.backprop(w0, b0, x, y)
    doubled = k["backprop"](w0, b0, x, y)
    for p, q in zip(plain[0] + plain[1], doubled[0] + doubled[1]):
        np.testing.assert_allclose(q, 2 * p, rtol=1e-13)
    ws, bs = [v.copy() for v in w0], [v.copy() for v in b0]
    k["step_none"](ws, bs, x, y, 0.3, 0.0, 1)
    for got, W, G in zip(ws + bs, w0 + b0, doubled[0] + doubled[1]):
        np.testing.assert_allclose(got, W - 0.3 * G, rtol=1e-12, atol=1e-13)
    assert "delta_eta = (2*eta/m)*delta" in src.split("def step_none", 1)[1]


def test_the_step_follows_derive_when_z_changes(monkeypatch):
    """The feedforward z^l of the step is BATCHED["z"] (eq. 25): patch it and the step moves with
    backprop (both use the new z), and the hot path keeps one product per layer."""
    B = backprop.BATCHED_SYMBOLS
    z2 = B["A_prev"] * B["W"].T + 2 * sp.OneMatrix(B["Delta"].shape[0], 1) * B["b"].T
    plain = codegen.kernels("cross_entropy", "sigmoid")  # compiled (and cached) before the patch
    src, k = _patched_source(monkeypatch, "cross_entropy", "sigmoid", batched={"z": z2})
    step = src.split("def step_none", 1)[1]
    assert "z = a @ w.T + 2*b  # z^l" in step and "z = a @ weights[-1].T + 2*biases[-1]  # z^L" in step
    rng = np.random.default_rng(5)
    w0, b0 = _params([3, 4, 2], rng, 1.0)
    x, y = _batch([3, 4, 2], 5, "cross_entropy", rng)
    doubled = [2 * b for b in b0]  # z = w a + 2b: the plain kernels with the biases doubled
    want_w, want_b = plain.backprop(w0, doubled, x, y)  # ∇b unchanged: BP3 is not patched
    got_w, got_b = k["backprop"](w0, b0, x, y)
    for p, q in zip(want_w + want_b, got_w + got_b):
        np.testing.assert_allclose(q, p, rtol=1e-13, atol=1e-15)
    ws, bs = [v.copy() for v in w0], [v.copy() for v in b0]
    k["step_none"](ws, bs, x, y, 0.5, 0.0, 1)
    for got, W, G in zip(ws + bs, w0 + b0, want_w + want_b):
        np.testing.assert_allclose(got, W - 0.5 * G, rtol=1e-12, atol=1e-13)


def test_fused_shares_the_printer_tables_without_importing_codegen():
    """No codegen ↔ fused import cycle: both take BP_NAMES / BP_THEOREM from numerics.printer."""
    from gradproof.numerics import printer
    tree = ast.parse(inspect.getsource(fused))
    modules = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "codegen" not in modules and "printer" in modules
    assert fused.BP_NAMES is printer.BP_NAMES and codegen.BP_NAMES is printer.BP_NAMES


# --- training runs the fused step -----------------------------------------------------------------

def test_sgd_runs_the_fused_step_reproducibly():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (40, 6), dtype=np.uint8)
    labels = rng.integers(0, 3, 40).astype(np.uint8)

    def train():
        net = Network([6, 5, 4, 3], cost="log_likelihood", activation="relu", seed=2)
        sgd(net, (images, labels), SGD(2, 7, 0.4, lmbda=2.0, reg="l1", seed=5, training_cost=False))
        return net

    a, b = train(), train()
    assert all(p.tobytes() == q.tobytes() for p, q in zip(a.parameters(), b.parameters()))
    # the same run by hand with the separate kernels: the same SGD to ~1e-12
    net = Network([6, 5, 4, 3], cost="log_likelihood", activation="relu", seed=2)
    order_rng = np.random.default_rng(5)
    Y = np.eye(3)[labels]
    for _ in range(2):
        order = order_rng.permutation(40)
        for s in range(0, 40, 7):
            idx = order[s:s + 7]
            nabla_w, nabla_b = net.kernels.backprop(net.weights, net.biases, images[idx] * (1 / 255), Y[idx])
            net.kernels.update_l1(net.weights, net.biases, nabla_w, nabla_b, 0.4, 2.0, 40)
    for p, q in zip(a.parameters(), net.parameters()):
        np.testing.assert_allclose(p, q, rtol=1e-11, atol=1e-12)
