"""numerics.codegen: the printed kernels against independent oracles (mpmath, SymPy, complex step)."""
from __future__ import annotations

import inspect
import itertools
import linecache
import re
import warnings

import mpmath
import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gradproof import derive
from gradproof.derive.book import backprop, regularization, updates
from gradproof.derive.book import softmax as dsoftmax
from gradproof.numerics import codegen

KEYS = list(itertools.product(codegen.COST_NAMES, codegen.ACTIVATION_NAMES, (False, True)))
mpmath.mp.dps = 50
finite = dict(allow_nan=False, allow_infinity=False, allow_subnormal=False)


def mp_sigmoid(z):
    return 1 / (1 + mpmath.exp(-mpmath.mpf(z)))


@pytest.mark.parametrize("cost,activation,textbook", KEYS)
def test_source_compiles_and_is_inspectable(cost, activation, textbook):
    mod = codegen.kernels(cost, activation, textbook)
    name = codegen.filename(cost, activation, textbook)
    assert name == f"<gradproof kernels: {cost}/{activation}{'/textbook' if textbook else ''}>"
    src = codegen.kernel_source(cost, activation, textbook)
    assert inspect.getsource(mod.backprop) in src
    assert inspect.getsource(mod.backprop).startswith("def backprop(weights, biases, x, y):")
    first = mod.backprop.__code__.co_firstlineno
    assert linecache.getline(name, first).startswith("def backprop")
    assert codegen.kernels(cost, activation, textbook) is mod  # cached


@pytest.mark.parametrize("cost,activation,textbook", KEYS)
def test_source_has_no_nan_to_num_and_no_slow_branches(cost, activation, textbook):
    src = codegen.kernel_source(cost, activation, textbook)
    assert "nan_to_num" not in src
    assert "heaviside" not in src and "select" not in src and "functools" not in src
    assert "**(-1" not in src


@pytest.mark.parametrize("cost,activation", list(itertools.product(codegen.COST_NAMES, codegen.ACTIVATION_NAMES)))
def test_backprop_reads_like_the_algorithm_box(cost, activation):
    src = inspect.getsource(codegen.kernels(cost, activation).backprop)
    steps = ["# 1. Input x: set a^1", "# 2. Feedforward: for each l = 2, ..., L compute z^l = w^l a^(l-1) + b^l",
             "# 3. Output error δ^L (BP1)", "# 4. Backpropagate the error (BP2)",
             "# 5. Output: the gradient"]
    positions = [src.index(s) for s in steps]
    assert positions == sorted(positions)
    for bp in ("bp2", "bp3", "bp4", derive.COSTS[cost].delta_id):
        assert re.search(r"#.*\[[^\]]*\b%s\b" % bp, src), bp


def _annotations(src: str) -> set[str]:
    """Every theorem tag: a trailing ``  [id, id]`` of a comment or a one-line docstring."""
    tags = set()
    for line in src.splitlines():
        m = re.search(r"  \[([^\]]+)\](?:\.\"\"\")?$", line)
        if m and ("#" in line or '"""' in line):
            tags |= {part.replace("biases", "").strip() for part in re.split(r"[;,]", m.group(1))}
    return tags


@pytest.mark.parametrize("cost,activation,textbook", KEYS)
def test_every_annotation_names_a_theorem_or_an_equation(cost, activation, textbook):
    tags = _annotations(codegen.kernel_source(cost, activation, textbook))
    assert {"bp2", "bp3", "bp4", "bp_batched"} <= tags
    for tag in tags:
        assert tag in derive.REGISTRY or re.fullmatch(r"eq\. \(\d+\)", tag) or tag == "definition", tag


def test_stable_kernels_print_the_stable_forms():
    src = codegen.kernel_source("cross_entropy", "sigmoid")
    assert "numpy.tanh((1/2)*z)" in src and "numpy.exp(-z)" not in src
    assert "numpy.logaddexp(0, z)" in src
    src = codegen.kernel_source("log_likelihood", "relu")
    assert "z.max(axis=1, keepdims=True)" in src and "numpy.maximum(z, 0)" in src
    assert "(z > 0)" in src
    assert "numpy.where(z.real > 0, z, 0)" in codegen.kernel_source("quadratic", "relu", True)


@pytest.mark.parametrize("bad", [dict(cost="mse", activation="sigmoid"), dict(cost="quadratic", activation="gelu")])
def test_unknown_names_are_value_errors_naming_the_choices(bad):
    with pytest.raises(ValueError, match="choose one of"):
        codegen.kernel_source(**bad)


# -- activations -----------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(st.floats(-40, 40, **finite))
@example(0.0).via("σ(0) = 1/2")
@example(-40.0).via("deep saturation")
def test_sigmoid_stable_and_textbook_match_mpmath(zv):
    """The textbook 1/(1+e^{-z}) is relatively accurate; the stable (1 + tanh(z/2))/2 never
    overflows and is accurate to ε absolutely (in the far negative tail 1 + tanh cancels)."""
    want = mp_sigmoid(zv)
    prime = float(want * (1 - want))
    z = np.array([zv])
    for textbook, rel, absolute in ((True, 4e-16, 0.0), (False, 0.0, 2.3e-16)):
        k = codegen.kernels("quadratic", "sigmoid", textbook)
        a = k.activation(z)
        assert abs(a[0] - want) <= rel * want + absolute, (textbook, a[0], want)
        assert abs(k.activation_prime(a, z)[0] - prime) <= 4e-16 * prime + 2.5e-16  # a(1-a): 1-a


@settings(max_examples=40, deadline=None)
@given(st.floats(-20, 20, **finite))
@example(0.0).via("the ReLU kink: ReLU′(0) = 0")
def test_tanh_and_relu_with_their_derivatives(zv):
    k = codegen.kernels("quadratic", "tanh")
    z = np.array([zv])
    assert np.isclose(k.activation(z)[0], float(mpmath.tanh(zv)), rtol=1e-15, atol=1e-300)
    prime = float(1 - mpmath.tanh(zv) ** 2)  # 1 - a²: accurate to ε absolutely
    assert abs(k.activation_prime(k.activation(z), z)[0] - prime) <= 4e-16 * prime + 2.5e-16
    r = codegen.kernels("quadratic", "relu")
    assert r.activation(z)[0] == max(zv, 0.0)
    assert r.activation_prime(r.activation(z), z)[0] == (1.0 if zv > 0 else 0.0)


def test_stable_forms_stay_finite_where_the_textbook_overflows():
    z = np.array([[-1000.0, 0.0, 1000.0]])
    y = np.array([[0.0, 1.0, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the stable kernels raise no overflow warning
        s = codegen.kernels("cross_entropy", "sigmoid")
        np.testing.assert_array_equal(s.output_activation(z), [[0.0, 0.5, 1.0]])
        c = s.cost_terms(z, y)
        assert np.allclose(c, [[0.0, np.log(2), 1000.0]], rtol=1e-15)
        sm = codegen.kernels("log_likelihood", "sigmoid")
        a = sm.output_activation(z)
        assert np.all(np.isfinite(a)) and a[0, 2] == 1.0
        assert np.isclose(sm.cost_terms(z, y).sum(), 1000.0, rtol=1e-15)
    t = codegen.kernels("log_likelihood", "sigmoid", textbook=True)
    with np.errstate(all="ignore"):
        assert not np.all(np.isfinite(t.output_activation(z)))  # exp(1000) overflows


# -- softmax and log-sum-exp ----------------------------------------------------------------------------
rows = st.lists(st.floats(-30, 30, **finite), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(rows, st.floats(-500, 500, **finite))
@example([0.0], 0.0).via("one output")
@example([700.0, 710.0, -700.0], 0.0).via("exp would overflow")
def test_softmax_rows_sum_to_one_and_are_shift_invariant(row, shift):
    k = codegen.kernels("log_likelihood", "sigmoid")
    z = np.array([row])
    a = k.output_activation(z)
    assert np.isclose(a.sum(), 1.0, rtol=0, atol=4e-16 * len(row))
    assert np.allclose(k.output_activation(z + shift), a, rtol=1e-12, atol=1e-300)
    want = [mpmath.exp(v) / mpmath.fsum(mpmath.exp(u) for u in row) for v in row]
    assert np.allclose(a[0], [float(w) for w in want], rtol=1e-13, atol=1e-300)


@settings(max_examples=40, deadline=None)
@given(rows, st.data())
def test_log_likelihood_cost_terms_match_mpmath(row, data):
    label = data.draw(st.integers(0, len(row) - 1))
    y = np.zeros((1, len(row)))
    y[0, label] = 1
    c = codegen.kernels("log_likelihood", "tanh").cost_terms(np.array([row]), y).sum()
    want = -(row[label] - mpmath.log(mpmath.fsum(mpmath.exp(u) for u in row)))
    assert abs(c - float(want)) <= 1e-14 * max(1.0, abs(float(want)))


# -- per-neuron costs and the output error ----------------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(st.floats(-30, 30, **finite), st.floats(0, 1, **finite))
@example(0.0, 0.0).via("a = 1/2")
def test_sigmoid_cost_terms_stable_textbook_and_mpmath_agree(zv, yv):
    a = mp_sigmoid(zv)
    want = {"quadratic": (a - yv) ** 2 / 2,
            "cross_entropy": -(yv * mpmath.log(a) + (1 - yv) * mpmath.log(1 - a))}
    for cost, w in want.items():
        for textbook in (False, True) if abs(zv) < 5 else (False,):  # the textbook loses 1 - a
            got = codegen.kernels(cost, "relu", textbook).cost_terms(np.array([zv]), np.array([yv]))[0]
            w = float(w)
            if textbook:
                tol = 1e-14 * abs(w) + 1e-15
            else:  # softplus(z) - y z: accurate to ε·|z| absolutely (it cancels when y ≈ 1)
                tol = 1e-14 * abs(w) + 4e-16 * (1 + abs(zv))
            assert abs(got - w) <= tol, (cost, textbook, got, w)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(-8, 8, **finite), min_size=2, max_size=5), st.data())
def test_output_error_is_the_derivative_of_the_cost(zrow, data):
    """δ^L = ∂C_x/∂z^L by the complex step of the textbook cost terms (an independent oracle)."""
    n = len(zrow)
    z = np.array([zrow])
    for cost in codegen.COST_NAMES:
        if cost == "log_likelihood":
            y = np.eye(n)[[data.draw(st.integers(0, n - 1))]]
        else:
            y = np.array([data.draw(st.lists(st.floats(0, 1, **finite), min_size=n, max_size=n))])
        k, t = codegen.kernels(cost, "sigmoid"), codegen.kernels(cost, "sigmoid", True)
        a = k.output_activation(z)
        delta = k.output_error(a, y, z)
        h = 1e-20
        numeric = np.array([np.imag(t.cost_terms(z + 1j * h * np.eye(n)[j], y).sum()) / h for j in range(n)])
        assert np.allclose(delta[0], numeric, rtol=1e-10, atol=1e-14), (cost, delta, numeric)
        if cost != "quadratic":  # the two pairs where σ′ cancels: δ^L = a − y exactly
            np.testing.assert_array_equal(delta, a - y)


# -- update rules and penalties against derive's expressions, evaluated by SymPy -------------------------
vals = st.floats(-3, 3, **finite)


@settings(max_examples=50, deadline=None)
@given(vals, vals, vals, st.floats(1e-3, 5, **finite), st.floats(0, 5, **finite), st.integers(1, 60000))
@example(0.0, 0.5, 0.0, 0.5, 1.0, 10).via("sgn(0) = 0: L1 does not move a zero weight")
def test_updates_equal_the_derived_rules(w, nw, b, eta, lmbda, n):
    for reg, (rule, _) in updates.WEIGHT_UPDATES.items():
        at = {updates.w: sp.Float(w, 30), updates.nabla_w: sp.Float(nw, 30), updates.eta: sp.Float(eta, 30),
              updates.lmbda: sp.Float(lmbda, 30), updates.n: n}
        want_w = float(rule.subs(at))
        want_b = float(updates.BIAS_UPDATE[0].subs({updates.b: sp.Float(b, 30), updates.nabla_b: sp.Float(nw, 30),
                                                    updates.eta: sp.Float(eta, 30)}))
        weights, biases = [np.array([[w]])], [np.array([b])]
        update = getattr(codegen.kernels("quadratic", "sigmoid"), f"update_{reg}")
        update(weights, biases, [np.array([[nw]])], [np.array([nw])], eta, lmbda, n)
        assert np.isclose(weights[0][0, 0], want_w, rtol=1e-14, atol=1e-15), reg
        assert np.isclose(biases[0][0], want_b, rtol=1e-14, atol=1e-15), reg


@settings(max_examples=30, deadline=None)
@given(st.lists(vals, min_size=1, max_size=6), st.floats(0, 5, **finite), st.integers(1, 1000))
def test_penalties_equal_derive_regularization(ws, lmbda, n):
    k = codegen.kernels("cross_entropy", "tanh")
    weights = [np.array([ws])]
    for reg, cost in (("l2", regularization.l2_cost), ("l1", regularization.l1_cost)):
        term = cost() - regularization.C0
        W = regularization.WEIGHTS
        want = sum(float(term.subs({W[0]: sp.Float(v, 30), W[1]: 0, W[2]: 0,
                                    regularization.lmbda: sp.Float(lmbda, 30), regularization.n: n}))
                   for v in ws)
        assert np.isclose(getattr(k, f"penalty_{reg}")(weights, lmbda, n), want, rtol=1e-13, atol=1e-300)
        grad = getattr(k, f"penalty_gradient_{reg}")(weights, lmbda, n)[0][0]
        dterm = sp.diff(term.subs({W[1]: 0, W[2]: 0}), W[0])  # λw/n or λ sgn(w)/n, by SymPy
        dwant = [float(dterm.subs({W[0]: sp.Float(v, 30), regularization.lmbda: sp.Float(lmbda, 30),
                                   regularization.n: n})) for v in ws]
        assert np.allclose(grad, dwant, rtol=1e-13, atol=1e-300)
    assert k.penalty_none(weights, lmbda, n) == 0.0


# -- eq. (25), the mean cost and the softmax are derive's expressions ---------------------------------------
@settings(max_examples=20, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=2, max_size=4), st.integers(1, 6), st.integers(0, 2**32 - 1))
@example([1, 1], 1, 0).via("one neuron, one example")
def test_weighted_output_and_cost_match_a_per_example_loop(sizes, m, seed):
    """z^l = w^l a^(l-1) + b^l one example (a column) at a time, and C = (1/m) Σ_x C_x."""
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal((o, i)) for i, o in zip(sizes[:-1], sizes[1:])]
    biases = [rng.standard_normal(o) for o in sizes[1:]]
    x = rng.random((m, sizes[0]))
    y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], m)]
    for cost in codegen.COST_NAMES:
        k = codegen.kernels(cost, "tanh")
        zs = []
        for ex in x:
            a = ex
            for w, b in zip(weights[:-1], biases[:-1]):
                a = np.tanh(w @ a + b)
            zs.append(weights[-1] @ a + biases[-1])
        np.testing.assert_allclose(k.weighted_output(weights, biases, x), zs, rtol=1e-13, atol=1e-15)
        per_example = [k.cost_terms(zs[i][None, :], y[i][None, :]).sum() for i in range(m)]
        assert np.isclose(k.cost(weights, biases, x, y), sum(per_example) / m, rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("cost,activation,textbook", KEYS)
def test_z_and_the_mean_are_printed_from_bp_batched(cost, activation, textbook):
    src = codegen.kernel_source(cost, activation, textbook)
    for line in ("z = a @ w.T + b  # z^l = w^l a^(l-1) + b^l  [eq. (25), bp_batched]",
                 "z = a @ weights[-1].T + biases[-1]  # z^L = w^L a^(L-1) + b^L  [eq. (25), bp_batched]",
                 "return c.sum()/m  # C = (1/m) Σ_x C_x"):
        assert line in src, line


def _patched(monkeypatch, cost, activation, textbook=False, patches=()):
    """The kernels printed afresh with ``patches`` (where, name, expression) applied to derive."""
    for where, name, expr in patches:
        if where is backprop.BATCHED:
            monkeypatch.setitem(backprop.BATCHED, name, expr)
        else:
            monkeypatch.setattr(where, name, expr)
    src = codegen.kernel_source.__wrapped__(cost, activation, textbook)  # past the cache: print afresh
    namespace = {}
    exec(compile(src, "<patched kernels>", "exec"), namespace)
    return src, namespace


def test_z_and_mean_follow_derive_backprop(monkeypatch):
    """Change BATCHED["z"] or ["mean"] in derive and the printed kernels follow (they are not typed)."""
    B = backprop.BATCHED_SYMBOLS
    m = B["Delta"].shape[0]
    z2 = B["A_prev"] * B["W"].T + 2 * sp.OneMatrix(m, 1) * B["b"].T
    total = sp.OneMatrix(1, m) * B["c"] * sp.OneMatrix(B["c"].shape[1], 1)
    plain = codegen.kernels("quadratic", "sigmoid")  # compiled (and cached) before the patch
    src, k = _patched(monkeypatch, "quadratic", "sigmoid",
                      patches=[(backprop.BATCHED, "z", z2), (backprop.BATCHED, "mean", total)])
    assert "z = a @ w.T + 2*b  #" in src and "return c.sum()  #" in src
    rng = np.random.default_rng(2)
    weights, biases = [rng.standard_normal((2, 3))], [rng.standard_normal(2)]
    x, y = rng.random((4, 3)), rng.random((4, 2))
    twice = [2 * b for b in biases]
    np.testing.assert_allclose(k["weighted_output"](weights, biases, x), plain.weighted_output(weights, twice, x))
    assert np.isclose(k["cost"](weights, biases, x, y), 4 * plain.cost(weights, twice, x, y), rtol=1e-14)


def test_softmax_and_logsumexp_follow_derive_softmax(monkeypatch):
    """The softmax and lse lines are derive.book.softmax's SOFTMAX_SHIFTED / LOGSUMEXP_SHIFTED / SOFTMAX
    with Σ → row sum and c → row max: change them there and the kernels change."""
    Z, k_, n, c = dsoftmax.z, dsoftmax.k, dsoftmax.n_L, dsoftmax.SHIFT
    patches = [(dsoftmax, "SOFTMAX_SHIFTED", 3 * dsoftmax.softmax_index(shift=-c)),
               (dsoftmax, "LOGSUMEXP_SHIFTED", 2 * c + sp.log(sp.Sum(sp.exp(Z[k_] - c), (k_, 1, n)))),
               (dsoftmax, "SOFTMAX", 5 * dsoftmax.softmax_index())]
    plain = codegen.kernels("log_likelihood", "relu")  # compiled (and cached) before the patch
    _, stable = _patched(monkeypatch, "log_likelihood", "relu", patches=patches)
    _, textbook = _patched(monkeypatch, "log_likelihood", "relu", True, patches=patches)
    z = np.array([[0.5, -2.0, 3.0], [1.0, 1.0, 1.0]])
    y = np.eye(3)[[2, 0]]
    a = plain.output_activation(z)
    np.testing.assert_allclose(stable["output_activation"](z), 3 * a, rtol=1e-14)
    np.testing.assert_allclose(textbook["output_activation"](z), 5 * a, rtol=1e-14)
    zmax = z.max(axis=1, keepdims=True)  # lse + max z: each row's c(z, y) gains -y·(-max z)
    np.testing.assert_allclose(stable["cost_terms"](z, y), plain.cost_terms(z, y) + y * zmax, rtol=1e-14)
