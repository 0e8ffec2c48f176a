"""numerics.network: the Network against numeric gradients, mpmath, and its own saved files."""
from __future__ import annotations

import ast
import inspect
import json

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradproof.numerics import Network, codegen, testing

mpmath.mp.dps = 50


# -- construction ------------------------------------------------------------------------------------
def test_shapes_follow_the_book():
    net = Network([4, 5, 3], seed=0)
    assert [w.shape for w in net.weights] == [(5, 4), (3, 5)]
    assert [b.shape for b in net.biases] == [(5,), (3,)]
    assert net.num_layers == 3 and net.parameter_names() == ["w^2", "w^3", "b^2", "b^3"]
    assert net.feedforward(np.zeros((7, 4))).shape == (7, 3)
    assert net.feedforward(np.zeros(4)).shape == (3,)


def test_same_seed_same_weights_and_init_scales():
    a, b, c = Network([30, 20, 5], seed=7), Network([30, 20, 5], seed=7), Network([30, 20, 5], seed=8)
    for x, y in zip(a.parameters(), b.parameters()):
        assert x.tobytes() == y.tobytes()
    assert any(x.tobytes() != y.tobytes() for x, y in zip(a.parameters(), c.parameters()))
    scaled, large = Network([400, 300], seed=1), Network([400, 300], init="large", seed=1)
    assert abs(scaled.weights[0].std() * np.sqrt(400) - 1) < 0.02
    assert abs(large.weights[0].std() - 1) < 0.02 and abs(large.biases[0].std() - 1) < 0.15


def test_float32():
    net = Network([3, 4, 2], dtype="float32", seed=0, cost="log_likelihood")
    X, Y = np.random.default_rng(0).uniform(size=(5, 3)), np.eye(2)[[0, 1, 1, 0, 1]]
    assert all(p.dtype == np.float32 for p in net.parameters())
    assert net.feedforward(X).dtype == np.float32
    dW, db = net.gradients(X, Y)
    assert all(g.dtype == np.float32 for g in dW + db)
    net64 = Network([3, 4, 2], seed=0, cost="log_likelihood")
    assert np.allclose(net.cost(X, Y), net64.cost(X, Y), rtol=1e-6)


@pytest.mark.parametrize("kwargs,match", [
    (dict(sizes=[3]), "sizes"), (dict(sizes=[3, 0, 2]), "sizes"), (dict(sizes=[3, 2.5]), "sizes"),
    (dict(cost="mse"), "cost .*quadratic, cross_entropy, log_likelihood"),
    (dict(activation="gelu"), "activation .*sigmoid, tanh, relu"),
    (dict(init="xavier"), "init .*scaled, large"), (dict(dtype="float16"), "dtype"),
])
def test_bad_arguments_name_the_argument_and_the_choices(kwargs, match):
    args = dict(sizes=[3, 2])
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        Network(args.pop("sizes"), **args)


def test_bad_shapes():
    net = Network([3, 2], seed=0)
    with pytest.raises(ValueError, match=r"\(m, 3\)"):
        net.cost(np.zeros((4, 2)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"Y must be"):
        net.gradients(np.zeros((4, 3)), np.zeros((4, 3)))


# -- against independent oracles ----------------------------------------------------------------------
def _mp_cost(net: Network, X, Y) -> float:
    """The book's definitions, per example, in 50-digit mpmath (textbook forms)."""
    act = {"sigmoid": lambda v: 1 / (1 + mpmath.exp(-v)), "tanh": mpmath.tanh,
           "relu": lambda v: max(v, 0)}[net.activation]
    total = 0
    for x, y in zip(X, Y):
        a = [mpmath.mpf(float(v)) for v in x]
        for i, (w, b) in enumerate(zip(net.weights, net.biases)):
            z = [mpmath.fsum(mpmath.mpf(float(w[j, k])) * a[k] for k in range(len(a))) + float(b[j])
                 for j in range(len(b))]
            last = i == len(net.weights) - 1
            a = [act(v) for v in z] if not last else z
        if net.cost_name == "log_likelihood":
            s = mpmath.fsum(mpmath.exp(v) for v in a)
            total += -mpmath.fsum(float(t) * (v - mpmath.log(s)) for v, t in zip(a, y))
        else:
            out = [1 / (1 + mpmath.exp(-v)) for v in a]
            if net.cost_name == "quadratic":
                total += mpmath.fsum((o - float(t)) ** 2 for o, t in zip(out, y)) / 2
            else:
                total += -mpmath.fsum(float(t) * mpmath.log(o) + (1 - float(t)) * mpmath.log(1 - o)
                                      for o, t in zip(out, y))
    return float(total / len(X))


@settings(max_examples=30, deadline=None)
@given(testing.cases(max_batch=3))
def test_cost_is_the_books_mean_cost(case):
    net, X, Y = case
    want = _mp_cost(net, X, Y)
    assert abs(net.cost(X, Y) - want) <= 1e-13 * max(1.0, abs(want))


@settings(max_examples=40, deadline=None)
@given(testing.cases())
def test_gradients_match_the_complex_step_of_the_textbook_cost(case):
    net, X, Y = case
    dW, db = net.gradients(X, Y)
    testing.assert_gradients_match(net.cost_function(X, Y, textbook=True), dW + db, net.parameters(),
                                   "complex", names=net.parameter_names())


@settings(max_examples=25, deadline=None)
@given(testing.cases())
def test_gradients_match_central_differences_of_the_stable_cost(case):
    net, X, Y = case
    dW, db = net.gradients(X, Y)
    testing.assert_gradients_match(net.cost_function(X, Y), dW + db, net.parameters(), "central",
                                   names=net.parameter_names())


@settings(max_examples=30, deadline=None)
@given(st.data(), testing.regs(), st.floats(0.01, 5), st.integers(1, 100))
def test_regularized_gradients_match_the_complex_step(data, reg, lmbda, n):
    net, X, Y = data.draw(testing.cases(reg=reg))
    dW, db = net.regularized_gradients(X, Y, lmbda, n, reg)
    f = net.cost_function(X, Y, lmbda, n, reg, textbook=True)
    testing.assert_gradients_match(f, dW + db, net.parameters(), "complex", names=net.parameter_names())
    assert np.isclose(net.regularized_cost(X, Y, lmbda, n, reg), f(net.parameters()).real, rtol=1e-12)


@settings(max_examples=30, deadline=None)
@given(testing.cases())
def test_stable_and_textbook_kernels_agree(case):
    net, X, Y = case
    t = codegen.kernels(net.cost_name, net.activation, textbook=True)
    assert np.allclose(net.feedforward(X), t.feedforward(net.weights, net.biases, X), rtol=1e-13, atol=1e-15)
    tw, tb = t.backprop(net.weights, net.biases, X, Y)
    for g, h in zip(net.gradients(X, Y)[0] + net.gradients(X, Y)[1], tw + tb):
        assert np.allclose(g, h, rtol=1e-10, atol=1e-14)


def test_accuracy():
    net = Network([2, 3], seed=0, cost="log_likelihood")
    net.weights[0][...] = 0
    net.biases[0][...] = [0.0, 5.0, 1.0]  # every input classified 1
    labels = np.array([1, 0, 1, 2, 1])
    assert net.accuracy(np.zeros((5, 2)), labels) == 3 / 5
    assert net.accuracy(np.zeros((5, 2)), np.eye(3)[labels]) == 3 / 5


def test_update_applies_the_rule_and_consumes_the_gradient():
    net = Network([2, 2], seed=3)
    w0 = net.weights[0].copy()
    dW, db = [np.ones((2, 2))], [np.ones(2)]
    net.update(dW, db, eta=0.5, lmbda=1.0, n=10, reg="l2")
    np.testing.assert_allclose(net.weights[0], (1 - 0.5 * 1.0 / 10) * w0 - 0.5, rtol=1e-15)
    np.testing.assert_array_equal(dW[0], 0.5)  # scaled in place by eta


# -- saving ---------------------------------------------------------------------------------------------
@settings(max_examples=15, deadline=None)
@given(testing.cases(), st.sampled_from(["float64", "float32"]))
def test_save_load_round_trips_exactly(tmp_path_factory, case, dtype):
    net, X, _ = case
    net = Network(net.sizes, net.activation, net.cost_name, init="large", seed=5, dtype=dtype)
    path = tmp_path_factory.mktemp("nets") / "net.npz"
    net.save(path)
    back = Network.load(path)
    assert back.config() == net.config()
    for x, y in zip(back.parameters(), net.parameters()):
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes()
    assert back.feedforward(X).tobytes() == net.feedforward(X).tobytes()
    assert [p.name for p in path.parent.iterdir()] == ["net.npz"]  # no temporary left behind


def _npz(path, **arrays):
    with open(path, "wb") as f:
        np.savez(f, **arrays)


@pytest.mark.parametrize("make,problem", [
    (lambda p: p.write_text("not numpy"), "not a gradproof network"),
    (lambda p: np.save(open(p, "wb"), np.zeros(3)), "single array"),
    (lambda p: _npz(p, w0=np.zeros((2, 2))), "no readable JSON 'config'"),
    (lambda p: _npz(p, config=np.array(json.dumps({"format": "other"}))), "format marker"),
    (lambda p: _npz(p, config=np.array(json.dumps({"format": "gradproof-network", "version": 99}))),
     "unsupported version 99"),
    (lambda p: _npz(p, config=np.array(json.dumps(dict(Network([2, 2], seed=0).config(), sizes=[2, 2]))),
                    w0=np.zeros((3, 2)), b0=np.zeros(2)), "array 'w0' is float64 \\(3, 2\\)"),
    (lambda p: _npz(p, config=np.array(json.dumps(Network([2, 2], seed=0).config())), w0=np.zeros((2, 2))),
     "array 'b0' is missing"),
    (lambda p: _npz(p, config=np.array(json.dumps(dict(Network([2, 2], seed=0).config(), cost="mse")))),
     "bad config"),
])
def test_load_rejects_files_that_are_not_ours(tmp_path, make, problem):
    path = tmp_path / "bad.npz"
    make(path)
    with pytest.raises(ValueError, match=problem) as err:
        Network.load(path)
    msg = str(err.value)
    assert "\n" not in msg and str(path) in msg


def test_the_network_does_not_import_training():
    """numerics.train imports the network; the network imports no training, not even in a function
    (the network <-> train cycle of Network.sgd is gone: train with train.sgd(net, ...))."""
    from gradproof.numerics import network
    tree = ast.parse(inspect.getsource(network))
    imported = set()  # every module named by an import, and every name imported from one
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            imported |= {node.module or ""} | {f"{node.module or ''}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
    assert "codegen" in {name.rpartition(".")[2] for name in imported}  # the walk sees `from . import x`
    assert not any("train" in name.split(".") for name in imported), sorted(imported)
    assert not hasattr(Network, "sgd")


def test_raw_uint8_pixels_are_refused_not_cast_unscaled():
    net = Network([4, 3, 2], seed=0)
    pixels = np.array([[0, 128, 255, 7]], dtype=np.uint8)
    with pytest.raises(ValueError, match="uint8.*scale"):
        net.feedforward(pixels)
    with pytest.raises(ValueError, match="uint8"):
        net.accuracy(pixels, [1])
    assert net.feedforward(pixels / 255).shape == (1, 2)


# -- issue 20, defect 7: a saved network describes itself, and what is absurd is refused ------------
def test_an_expression_activation_and_cost_are_stored_and_re_created(tmp_path):
    """evaluate said "unknown activation 'swish'": the file kept the name, not the formula.  Made
    here without registering the names, as in a fresh process; the oracle is the outputs."""
    from gradproof.derive.book import custom

    swish = custom.activation("swish_i20", "z*sigma(z)", register=False)
    lc = custom.cost("lc_i20", "log(cosh(a - y))", output="tanh", register=False)
    net = Network([3, 4, 2], swish, lc, seed=1)
    assert net.config()["activation_formula"] == {"name": "swish_i20", "formula": "z*sigmoid(z)"}
    net.save(tmp_path / "m.npz")
    back = Network.load(tmp_path / "m.npz")
    assert (back.activation, back.cost_name) == ("swish_i20", "lc_i20")
    X = np.random.default_rng(0).standard_normal((5, 3))
    assert back.feedforward(X).tobytes() == net.feedforward(X).tobytes()
    z = np.linspace(-3, 3, 7)
    one = [np.eye(1), np.eye(1)], [np.zeros(1), np.zeros(1)]  # a 1-1-1 network of unit weights
    assert np.allclose(back.kernels.feedforward(*one, z[:, None])[:, 0],
                       np.tanh(z / (1 + np.exp(-z))), rtol=1e-12)  # tanh(z σ(z)), by numpy alone


def _saved(tmp_path, config=None, **arrays):
    net = Network([2, 2], seed=0)
    arrays = {"w0": net.weights[0], "b0": net.biases[0], **arrays}
    _npz(tmp_path / "m.npz", config=np.array(json.dumps(config or net.config())), **arrays)
    return tmp_path / "m.npz"


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_weights_are_refused(tmp_path, bad):
    """NaN weights evaluated to 10% with exit 0; infinite ones printed a numpy RuntimeWarning."""
    w = Network([2, 2], seed=0).weights[0].copy()
    w[1, 0] = bad
    with pytest.raises(ValueError, match="'w0' holds NaN or infinite values") as err:
        Network.load(_saved(tmp_path, w0=w))
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("sizes", [[784, 10**400, 10], [784, 2**40, 10], [2] * 2000])
def test_absurd_sizes_are_refused_in_one_line(tmp_path, sizes):
    """sizes [784, 10**400, 10] was 'internal error: OverflowError' (exit 4)."""
    config = dict(Network([2, 2], seed=0).config(), sizes=sizes)
    with pytest.raises(ValueError, match="bad config|needs about") as err:
        Network.load(_saved(tmp_path, config))
    assert "\n" not in str(err.value) and len(str(err.value)) < 400


def test_a_stored_formula_is_read_not_run(tmp_path):
    marker = tmp_path / "ran"
    config = dict(Network([2, 2], seed=0).config(), activation="x",
                  activation_formula={"name": "x", "formula": f"__import__('os').system('touch {marker}')"})
    with pytest.raises(ValueError, match="bad config"):
        Network.load(_saved(tmp_path, config))
    assert not marker.exists()
