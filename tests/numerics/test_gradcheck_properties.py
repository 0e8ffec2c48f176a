"""numerics.gradcheck's two promises, drawn at random: a correct gradient never fails, and a planted
bug (a dropped factor, a transposed block, an index off by one) is found, at its block.

The correct gradients are gradproof's generated backprop (BP1-BP4 and the penalty's gradient; its
agreement with the book's definitions in 50-digit mpmath is test_network's) at drawn points that a
gradient check finds hard: exact zeros (dead units, zero inputs, zero weights under L1), saturated
sigmoids (weights up to ±30), large-magnitude inputs (up to ±30) and points at the kinks (no margin
kept from ReLU's 0 or L1's w = 0); and hand-written functions with kinks of their own.  The complex
step runs on the textbook kernels, central differences on the stable ones, as in gradproof check.
"""
from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gradproof.numerics import Network, codegen
from gradproof.numerics import gradcheck as gc
from gradproof.numerics import testing

finite = dict(allow_nan=False, allow_infinity=False, allow_subnormal=False)


def values(bound: float) -> st.SearchStrategy[float]:
    """Exact zeros, points within 1e-9 of a kink at 0, ordinary values and large ones."""
    return st.one_of(st.just(0.0), st.sampled_from([1e-12, -1e-12, 1e-9, -1e-9]),
                     st.floats(-1, 1, **finite), st.floats(-bound, bound, **finite))


@st.composite
def hard_cases(draw, kinks: bool = True, sizes=None, activations=None):
    """``(net, X, Y, reg, lmbda, n)`` at a hard point; ``kinks=False`` keeps off the kinks."""
    sizes = sizes or draw(testing.architectures(max_layers=4, max_width=4, min_output=2))
    activation = draw(st.sampled_from(activations) if activations else testing.activations())
    cost, reg = draw(testing.costs()), draw(testing.regs())
    net = Network(sizes, activation=activation, cost=cost, seed=0)
    bound = draw(st.sampled_from([1.0, 30.0]))  # 30: saturated sigmoids, softmax near one-hot
    for p in net.parameters():
        p[...] = draw(arrays(np.float64, p.shape, elements=values(bound)))
    m = draw(st.integers(1, 3))
    X = draw(arrays(np.float64, (m, sizes[0]), elements=values(draw(st.sampled_from([1.0, 30.0])))))
    if not kinks:
        assume(testing.away_from_kinks(net, X, 0.05, reg))
    Y = draw(testing.targets(cost, sizes[-1], m))
    lmbda, n = (0.0, 1) if reg == "none" else (draw(st.floats(0.01, 5)), draw(st.integers(1, 100)))
    return net, X, Y, reg, lmbda, n


def run(net, X, Y, reg, lmbda, n, gradient, method: str, mode: str = "entries") -> gc.Comparison:
    f = net.cost_function(X, Y, lmbda, n, reg, textbook=(method == "complex"))
    return gc.check_gradients(f, gradient, net.parameters(), method, names=net.parameter_names(),
                              mode=mode)


def correct(net, X, Y, reg, lmbda, n) -> list[np.ndarray]:
    nabla_w, nabla_b = net.regularized_gradients(X, Y, lmbda, n, reg)
    return [*nabla_w, *nabla_b]


@settings(max_examples=150, deadline=None)
@given(hard_cases(), st.sampled_from(gc.METHODS), st.sampled_from(["entries", "directional"]))
def test_a_correct_gradient_never_fails(case, method, mode):
    cmp = run(*case, correct(*case), method, mode)
    assert cmp.status != "failed", cmp.message()


def softmax(u: np.ndarray) -> np.ndarray:
    e = np.exp(u - u.max())
    return e / e.sum()


def lse(u: np.ndarray):
    """ln Σ e^u, shifted by the largest real part (complex-safe)."""
    c = u.real.max()
    return np.log(np.sum(np.exp(u - c))) + c


#: hand-written functions with their gradients, complex-safe (ReLU as where(Re u > 0, u, 0), |w|
#: as w·sgn(Re w)), each with a kink, a zero or a saturation of its own
FUNCTIONS = {
    "½ max(Wx, 0)²": (lambda W, x: 0.5 * np.sum(np.where((W @ x).real > 0, W @ x, 0) ** 2),
                      lambda W, x: np.outer(np.maximum(W @ x, 0), x)),
    "Σ max(Wx, 0)": (lambda W, x: np.sum(np.where((W @ x).real > 0, W @ x, 0)),
                     lambda W, x: np.outer(W @ x > 0, x) * 1.0),
    "Σ |W| + Σ W³": (lambda W, x: np.sum(W * np.sign(W.real)) + np.sum(W ** 3),
                     lambda W, x: np.sign(W) + 3 * W ** 2),
    "Σ σ(Wx)": (lambda W, x: np.sum(0.5 * (1 + np.tanh(W @ x / 2))),  # σ' = e^-|u| / (1 + e^-|u|)²
                lambda W, x: np.outer(np.exp(-abs(W @ x)) / (1 + np.exp(-abs(W @ x))) ** 2, x)),
    "ln Σ e^(Wx)": (lambda W, x: lse(W @ x), lambda W, x: np.outer(softmax(W @ x), x)),
}


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(FUNCTIONS)), st.sampled_from(gc.METHODS), st.integers(1, 3),
       st.integers(1, 3), st.data())
def test_a_correct_hand_written_gradient_never_fails(name, method, rows, cols, data):
    f, g = FUNCTIONS[name]
    W = data.draw(arrays(np.float64, (rows, cols), elements=values(30.0)))
    x = data.draw(arrays(np.float64, (cols,), elements=values(30.0)))
    cmp = gc.check_gradients(lambda p: f(p[0], x), [g(W, x)], [W], method, names=["W"])
    assert cmp.status != "failed", (name, cmp.message())


# -- planted bugs ------------------------------------------------------------------------------------------
def dropped_factor(g: np.ndarray, m: int) -> np.ndarray:
    """The ½ of a square, or the mean's 1/m, left out."""
    return g * (m if m > 1 else 2)


def transposed(g: np.ndarray, m: int) -> np.ndarray:
    """∂C/∂w_kj where ∂C/∂w_jk was meant (numpy's .T, reshaped back when the block is not square)."""
    return g.T.reshape(g.shape)


def off_by_one(g: np.ndarray, m: int) -> np.ndarray:
    """Neuron j's gradient in row j + 1."""
    return np.roll(g, 1, axis=0)


BUGS = {f.__name__: f for f in (dropped_factor, transposed, off_by_one)}


def plant(case, bug: str, block: int) -> tuple[list[np.ndarray], str]:
    net, X = case[0], case[1]
    grads = correct(*case)
    block %= len(grads)
    grads[block] = BUGS[bug](grads[block], X.shape[0])
    return grads, net.parameter_names()[block]


def scale(case, gradient) -> float:
    """The checker's scale S (numerics.gradcheck): 1, |C| or the largest |∂C/∂p|, whichever is largest."""
    net, X, Y, reg, lmbda, n = case
    return max(1.0, abs(net.regularized_cost(X, Y, lmbda, n, reg)), *(np.abs(g).max() for g in gradient))


def assert_found_at(cmp: gc.Comparison, name: str) -> None:
    assert cmp.status == "failed", cmp.message()
    assert {k for k, b in cmp.blocks.items() if not b.passed} == {name}, cmp.message()
    assert cmp.worst.name == name


@settings(max_examples=150, deadline=None)
@given(hard_cases(kinks=False), st.sampled_from(sorted(BUGS)), st.integers(0, 7), st.sampled_from(gc.METHODS))
def test_a_planted_bug_is_found_at_its_block(case, bug, block, method):
    grads, name = plant(case, bug, block)
    right = correct(*case)
    k = case[0].parameter_names().index(name)
    assume(np.abs(grads[k] - right[k]).max() > 1e-4 * scale(case, right))  # a bug the gradient shows
    before = run(*case, right, method)
    assert before.status != "failed", before.message()  # the correct gradient passes, first
    assume(not before.not_compared)  # where the method reaches every entry (σ overflows at −709)
    assert_found_at(run(*case, grads, method), name)


@settings(max_examples=40, deadline=None)
@given(hard_cases(kinks=False, sizes=[30, 20, 3], activations=["sigmoid", "tanh"]),
       st.sampled_from(sorted(BUGS)), st.sampled_from(gc.METHODS))
def test_a_planted_bug_in_a_large_block_is_found_by_the_directional_check(case, bug, method):
    """w² has 600 entries: ``mode="auto"`` checks it along random directions.  (Smooth hidden layers:
    20 ReLU units off their kinks at zero inputs are too rare a draw; kinks along a direction are
    test_a_correct_gradient_never_fails's.)"""
    grads, name = plant(case, bug, 0)
    right = correct(*case)[0]
    assume(np.abs(grads[0] - right).max() > 1e-2 * scale(case, [right]))
    assume(not run(*case, correct(*case), method, mode="auto").not_compared)
    assert grads[0].size > gc.ENTRIES_MAX
    cmp = run(*case, grads, method, mode="auto")
    assert_found_at(cmp, "w^2")
    assert cmp.blocks["w^2"].mode == "directional"
    if cmp.worst.index is not None:  # narrowed down: to an entry the bug changed
        assert grads[0][cmp.worst.index] != right[cmp.worst.index]


def test_the_strategies_cover_the_kernels():
    assert set(codegen.ACTIVATION_NAMES) == {"sigmoid", "tanh", "relu"}
