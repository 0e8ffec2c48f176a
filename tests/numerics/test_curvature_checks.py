"""numerics.curvature_checks: the suite behind `gradproof check`'s products, and its oracles."""
import numpy as np

from gradproof.derive.book.costs import COSTS
from gradproof.numerics import Network
from gradproof.numerics import curvature_checks as cc
from gradproof.numerics.curvature import Curvature, blocks, flat


def test_the_suite_passes_for_one_model_with_every_oracle_and_product():
    out = cc.run_curvature_checks(3, activations=["tanh"], costs=["log_likelihood"])
    assert {(c["product"], c["method"]) for c in out} == {
        (p, m) for p in cc.PRODUCTS for m in cc.METHODS.values()}
    assert len(out) == len(cc.ARCHITECTURES) * 6 and all(c["passed"] for c in out)
    for c in out:
        assert c["tolerance"] == (cc.CENTRAL_RTOL if c["method"] == "central_difference" else cc.EXACT_RTOL)
        assert max(c["blocks"].values()) == c["max_rel_error"]
    s = cc.curvature_summary(out)
    assert s["passed"] == s["total"] == len(out) and set(s["max_rel_error"]) == {
        f"{p} {m}" for p in cc.PRODUCTS for m in cc.METHODS.values()}


def test_a_wrong_product_is_caught_with_both_numbers():
    net = Network([3, 4, 2], activation="sigmoid", cost="quadratic", seed=0)
    rng = np.random.default_rng(0)
    X, Y = rng.uniform(size=(4, 3)), rng.uniform(size=(4, 2))
    v = rng.standard_normal(sum(p.size for p in net.parameters()))
    hv = flat(Curvature(net, X, Y).hv(blocks(v, net.parameters())))
    exact = cc.exact_hessian(net, X, Y) @ v
    assert cc._compare(net, hv, exact, "exact")["passed"]
    wrong = hv.copy()
    wrong[-1] *= 1 + 1e-9
    d = cc._compare(net, wrong, exact, "exact")
    assert not d["passed"] and d["worst"]["where"].startswith("b^3")


def test_the_exact_hessian_is_symmetric_and_the_exact_gauss_newton_positive_semidefinite():
    net = Network([3, 3, 2], activation="tanh", cost="quadratic", seed=2)
    rng = np.random.default_rng(1)
    X, Y = rng.uniform(size=(5, 3)), rng.uniform(size=(5, 2))
    H = cc.exact_hessian(net, X, Y)
    assert np.max(np.abs(H - H.T)) <= 1e-14 * np.max(np.abs(H))
    G = cc.exact_gauss_newton(net, X, Y)
    assert np.linalg.eigvalsh(0.5 * (G + G.T)).min() >= -1e-12 * np.abs(G).max()


def test_the_output_hessian_of_the_softmax_is_diag_a_minus_a_a_transposed():
    matching, f = cc.output_hessian(COSTS["log_likelihood"], 3)
    z = np.array([0.3, -1.2, 0.8])
    a = np.exp(z) / np.exp(z).sum()
    assert matching
    assert np.allclose(np.asarray(f(list(z), [0.0, 1.0, 0.0]), dtype=float), np.diag(a) - np.outer(a, a),
                       atol=1e-15)
    matching, f = cc.output_hessian(COSTS["quadratic"], 2)
    assert not matching and np.allclose(np.asarray(f([0.2, 0.9], [0.0, 1.0]), dtype=float), np.eye(2))


def test_the_central_oracle_bounds_its_own_truncation_and_still_catches_a_wrong_product():
    """Four linear layers (2z) under the quadratic cost: the gradient bends fast enough that the h⁴
    term of the central difference exceeds 1e-7 (it failed at 3.6e-7 before the bound). Measured as
    |D_h − D_{h/2}|, the bound is far below a wrong product's error, so that one still fails."""
    from gradproof.derive.book.custom import from_text

    net = Network([4, 5, 3, 3], activation=from_text("2*z", "activation"), cost="quadratic", seed=1)
    rng = np.random.default_rng(1)
    X, Y = rng.uniform(size=(4, 4)), rng.uniform(size=(4, 3))
    v = rng.standard_normal(sum(p.size for p in net.parameters()))
    params = net.parameters()
    hv = flat(Curvature(net, X, Y).hv(blocks(v, params)))
    g = cc._gradient(net, X, Y, textbook=False)
    fine, bound = cc._central_with_error(g, params, blocks(v, params))
    exact = cc.exact_hessian(net, X, Y) @ v
    assert np.all(np.abs(fine - exact) <= bound + 1e-9 * np.max(np.abs(exact)))  # the bound holds
    assert np.max(bound) < 1e-4 * np.max(np.abs(exact))
    assert cc._compare(net, hv, (fine, bound), "central")["passed"]
    wrong = hv.copy()
    wrong[3] += 1e-3 * np.max(np.abs(exact))
    assert not cc._compare(net, wrong, (fine, bound), "central")["passed"]


def test_each_output_hessian_entry_is_the_costs_second_derivative_permuted_from_two():
    """output_hessian differentiates and simplifies entries (0, 0) and (0, 1) only and permutes
    their symbols for the rest (C is the same term summed over the outputs): against every entry
    differentiated directly, at random outputs and targets, for every shipped cost."""
    import sympy as sp

    from gradproof.derive.book.activations import ACTIVATIONS, a as a_
    from gradproof.derive.book.costs import y as y_
    from gradproof.numerics import codegen

    rng = np.random.default_rng(4)
    for cost_name in codegen.COST_NAMES:
        cost = COSTS[cost_name]
        matching, f = cc.output_hessian(cost, 3)
        o, y = sp.symbols("o1:4", real=True), sp.symbols("y1:4", real=True)
        if cost.output == "softmax":
            S = sp.Add(*[sp.exp(u) for u in o])
            outs = [sp.exp(u) / S for u in o]
        elif matching:
            outs = [(cost.output_activation or ACTIVATIONS[cost.output]).f(u) for u in o]
        else:
            outs = list(o)
        C = sp.Add(*[cost.term.xreplace({a_: u, y_: t}) for u, t in zip(outs, y)])
        direct = sp.lambdify([o, y], sp.Matrix(3, 3, lambda r, c: sp.diff(C, o[r], o[c])), "numpy")
        for _ in range(3):
            ov = rng.uniform(0.1, 0.9, 3) if not matching else rng.uniform(-3, 3, 3)
            yv = rng.uniform(0.1, 0.9, 3)
            got = np.asarray(f(list(ov), list(yv)), dtype=float)
            want = np.asarray(direct(list(ov), list(yv)), dtype=float)
            assert np.allclose(got, want, rtol=1e-12, atol=1e-13), (cost_name, got, want)
