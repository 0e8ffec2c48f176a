"""numerics.curvature: the printed Hv and Gv kernels.

Oracles independent of the R-pass: the Hessian and the Gauss-Newton matrix of a tiny network
computed by SymPy from the composed cost (exact derivatives, evaluated in float64), and the
gradient kernels."""
import json
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from gradproof.numerics import Network
from gradproof.numerics.curvature import (Curvature, blocks, curvature_kernels, curvature_source, flat,
                                           gauss_newton_vector, hessian_vector)

GOLDEN = Path(__file__).resolve().parent / "golden" / "curvature"


def _net(activation, cost, sizes=(2, 3, 2), seed=1, m=4):
    rng = np.random.default_rng(seed)
    net = Network(list(sizes), activation=activation, cost=cost, seed=seed)
    X = rng.uniform(size=(m, sizes[0]))
    Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], m)] if cost == "log_likelihood" else rng.uniform(size=(m, sizes[-1]))
    return net, X, Y


def _sympy_cost(net, X, Y):
    """The mean cost of ``net`` on (X, Y) as a SymPy expression of one symbol per parameter."""
    syms = [sp.symbols(f"p{i}_0:{p.size}") for i, p in enumerate(net.parameters())]
    mats = [sp.Matrix(p.shape[0], p.shape[1] if p.ndim == 2 else 1, s) for p, s in zip(net.parameters(), syms)]
    W, B = net.split(mats)
    f = {"sigmoid": lambda t: 1 / (1 + sp.exp(-t)), "tanh": sp.tanh}[net.activation]
    total = 0
    for x, yv in zip(X, Y):
        a = sp.Matrix(x)
        for w, b in zip(W[:-1], B[:-1]):
            a = (w * a + b).applyfunc(f)
        zL = W[-1] * a + B[-1]
        if net.cost_name == "log_likelihood":
            S = sum(sp.exp(t) for t in zL)  # −Σ_j y_j ln(e^{z_j}/S), one-hot y: −Σ_j y_j z_j + ln S
            total += -sum(yy * t for yy, t in zip(yv, zL)) + sp.log(S)
        else:
            aL = zL.applyfunc(lambda t: 1 / (1 + sp.exp(-t)))
            if net.cost_name == "quadratic":
                total += sum((ai - yy) ** 2 for ai, yy in zip(aL, yv)) / 2
            else:
                total += -sum(yy * sp.log(ai) + (1 - yy) * sp.log(1 - ai) for ai, yy in zip(aL, yv))
    return total / len(X), [s for group in syms for s in group]


@pytest.mark.parametrize("activation,cost", [("sigmoid", "quadratic"), ("tanh", "cross_entropy"),
                                             ("sigmoid", "log_likelihood")])
def test_hv_is_the_sympy_hessian_times_v(activation, cost):
    net, X, Y = _net(activation, cost, (2, 2, 2), m=2)
    C, syms = _sympy_cost(net, X, Y)
    at = dict(zip(syms, flat(net.parameters())))
    H = np.array(sp.lambdify(syms, sp.hessian(C, syms), "numpy", cse=True)(*at.values()), dtype=float)
    v = np.random.default_rng(2).standard_normal(len(syms))
    hv = flat(hessian_vector(net, X, Y, blocks(v, net.parameters())))
    assert np.max(np.abs(hv - H @ v)) <= 1e-12 * np.max(np.abs(H @ v))


def test_the_kept_forward_state_gives_the_gradient_and_products_for_many_directions():
    net, X, Y = _net("tanh", "quadratic", (3, 4, 3, 2))
    c = Curvature(net, X, Y)
    nw, nb = net.gradients(X, Y)
    assert np.allclose(flat(c.gradient()), flat([*nw, *nb]), rtol=0, atol=1e-15)
    rng = np.random.default_rng(0)
    u, w = (rng.standard_normal(sum(p.size for p in net.parameters())) for _ in range(2))
    like = net.parameters()
    # linear in v, and symmetric: uᵀ(Hw) = wᵀ(Hu), uᵀ(Gw) = wᵀ(Gu)
    for prod in (c.hv, c.gv):
        pu, pw, puw = (flat(prod(blocks(t, like))) for t in (u, w, u + 2 * w))
        assert np.allclose(puw, pu + 2 * pw, atol=1e-13)
        assert abs(u @ pw - w @ pu) <= 1e-12 * max(1, abs(u @ pw))
    assert flat(c.gv(blocks(u, like))) @ u >= 0  # G is positive semi-definite (cross-entropy-free too)


def test_gv_of_the_matching_cost_is_the_full_output_curvature():
    """Cross-entropy on a sigmoid output matches it: for a network with no hidden layer H = G."""
    net, X, Y = _net("sigmoid", "cross_entropy", (3, 2))
    v = blocks(np.random.default_rng(4).standard_normal(8), net.parameters())
    assert np.allclose(flat(hessian_vector(net, X, Y, v)), flat(gauss_newton_vector(net, X, Y, v)),
                       rtol=1e-13, atol=1e-15)


def test_bad_shapes_and_directions_are_one_line_errors():
    net, X, Y = _net("sigmoid", "quadratic")
    with pytest.raises(ValueError, match=r"X must be \(m, 2\)"):
        Curvature(net, X[:, :1], Y)
    c = Curvature(net, X, Y)
    with pytest.raises(ValueError, match="4 blocks"):
        c.hv(net.parameters()[:3])
    with pytest.raises(ValueError, match="one entry per weight"):
        blocks(np.zeros(3), net.parameters())


def test_every_math_line_cites_its_theorem_and_the_module_compiles():
    src = curvature_source("quadratic", "sigmoid")
    for tag in ("[r_forward, r_batched]", "[r_output_error, r_batched]", "[r_bp2, r_batched]",
                "[r_gradient, r_batched]", "[activation_second]", "[gauss_newton_product, bp2, bp_batched]"):
        assert tag in src, tag
    compile(src, "<curvature>", "exec")
    k = curvature_kernels("quadratic", "sigmoid")
    assert k.__file__ == "<gradproof curvature kernels: quadratic/sigmoid>"


def test_relu_prints_no_sigma_second_term_and_the_softmax_its_row_sum():
    src = curvature_source("log_likelihood", "relu")
    assert "back*rz*t" not in src and "(here ReLU″ = 0)" in src
    assert "(a*rz).sum(axis=1, keepdims=True)" in src


def _manifest():
    return json.loads((GOLDEN / "curvature.json").read_text(encoding="utf-8"))["kernels"]


@pytest.mark.parametrize("entry", _manifest(), ids=lambda e: e["file"])
def test_the_printed_curvature_kernel_is_the_golden_copy(entry):
    golden = (GOLDEN / entry["file"]).read_text(encoding="utf-8")
    assert curvature_source(entry["cost"], entry["activation"]) == golden, (
        f"{entry['file']}: if the change is meant, run `python tools/golden_kernels.py`")
