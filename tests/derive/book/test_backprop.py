"""derive.book.backprop (and derive.book.network): exact proofs of BP1-BP4, the sum over paths and the
batched form; 50-digit mpmath cross-checks that use neither the proofs nor SymPy's diff."""
import random
from fractions import Fraction

import mpmath as mp
import numpy as np
import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sympy.printing.numpy import NumPyPrinter

from gradproof import derive
from gradproof.derive.book import backprop
from gradproof.derive.book.backprop import BATCHED, BATCHED_SYMBOLS, batched_per_example, check_concrete
from gradproof.derive.book.network import (ARCHITECTURES, Network, check_on_networks, concrete_network, sigma,
                                           sigma_prime, vanishes)
from gradproof.derive.core.outcome import PROVED
from gradproof.derive.core.display import statement_latex

from ..oracle import assert_proved_exactly, assert_well_formed, close, mp50, proof, sig

IDS = ["bp1", "bp2", "bp3", "bp4", "backprop_paths", "bp_batched"]
COSTS = ["quadratic", "cross_entropy", "log_likelihood"]


# --- the proofs -----------------------------------------------------------------------------------
@pytest.mark.parametrize("id", IDS)
def test_proved_exactly(id):
    assert_proved_exactly(id)


@pytest.mark.parametrize("id", IDS)
def test_well_formed(id):
    assert assert_well_formed(id).group == "backprop"


@pytest.mark.parametrize("id", ["bp1", "bp2", "bp3", "bp4", "backprop_paths"])
def test_both_proofs_are_obligations(id):
    """Index form (Kronecker collapse) and the concrete networks, all three architectures."""
    method = proof(id).method
    assert "Kronecker collapse" in method
    assert "concrete diff [2,3,2],[3,4,4,2],[2,2,2,2,2]" in method


def test_bp1_also_with_sympys_own_undefined_function():
    assert "Function('sigma') on [2,3,2]" in proof("bp1").method


def test_index_statements_read_like_the_book():
    bp1, bp2, bp3, bp4 = (derive.REGISTRY[i].statement[0] for i in ("bp1", "bp2", "bp3", "bp4"))
    j, k = backprop.j, backprop.k
    assert bp1.lhs == backprop.delta_L[j] and bp1.rhs == backprop.nabla_a[j] * sigma_prime(backprop.z_L[j])
    assert bp2.lhs == backprop.delta_l[j] and bp2.rhs.has(sp.Sum)
    assert bp2.rhs.has(sigma_prime(backprop.z_l[j]))
    assert bp3.rhs == backprop.delta_l[j]
    assert bp4.rhs == backprop.a_prev[k] * backprop.delta_l[j]
    # the matrix forms: Hadamard products for BP1/BP2, an outer product for BP4
    assert isinstance(derive.REGISTRY["bp1"].statement[1].rhs, sp.HadamardProduct)
    assert isinstance(derive.REGISTRY["bp2"].statement[1].rhs, sp.HadamardProduct)


# --- the concrete machinery cannot prove false things -------------------------------------------
@pytest.mark.parametrize("cost", COSTS)
def test_vanishes_rejects_wrong_gradients(cost):
    net = concrete_network((2, 3, 2), cost)
    g = net.backprop_gradient()
    w = net.weights[2][0, 1]
    d = net.diff(w)
    assert d != 0 and net.vanishes(d - g[w]) is not None
    assert net.vanishes(d - 2 * g[w]) is None
    no_prime = g[w].replace(lambda e: isinstance(e, sigma_prime), lambda e: sp.S.One)
    assert net.vanishes(d - no_prime) is None
    other = net.weights[2][1, 1]
    assert net.vanishes(d - g[other]) is None


def test_vanishes_softmax_uses_the_sum_relation():
    zs = sp.symbols("u1:4")
    S = sp.Add(*[sp.exp(u) for u in zs])
    assert vanishes(sp.Add(*[sp.exp(u) / S for u in zs]) - 1) is not None
    assert vanishes(sp.Add(*[sp.exp(u) / S for u in zs[:2]]) - 1) is None


def test_vanishes_refuses_unknown_functions():
    u = sp.Symbol("u")
    assert vanishes(sp.sin(u) ** 2 + sp.cos(u) ** 2 - 1) is None  # true, but not this method's to decide
    assert vanishes(sigma(u) * sigma_prime(u) - sigma_prime(u) * sigma(u)) is not None


def test_wrong_path_sum_is_not_proved(monkeypatch):
    pairs = backprop._paths_pairs

    def drop_a_path(net):
        for label, lhs, rhs in pairs(net):
            yield label, lhs, (rhs.args[0] if isinstance(rhs, sp.Add) else 2 * rhs)

    out = check_on_networks(drop_a_path, ["quadratic"], "paths", [(2, 2, 2)])
    assert out.status != PROVED


@pytest.mark.parametrize("name, wrong", [
    ("bp4", BATCHED_SYMBOLS["Delta"].T * BATCHED_SYMBOLS["A_prev"]),  # no 1/m
    ("bp2", sp.HadamardProduct(BATCHED_SYMBOLS["Delta_next"] * BATCHED_SYMBOLS["W_next"],
                               BATCHED_SYMBOLS["SigmaPrime"]) * 2),
    ("bp3", sp.OneMatrix(1, sp.Symbol("m", integer=True, positive=True)) * BATCHED_SYMBOLS["Delta"]),
    ("z", BATCHED_SYMBOLS["A_prev"] * BATCHED_SYMBOLS["W"].T),  # no bias
    ("z", BATCHED_SYMBOLS["A_prev"] * BATCHED_SYMBOLS["W"].T
     + 2 * sp.OneMatrix(sp.Symbol("m", integer=True, positive=True), 1) * BATCHED_SYMBOLS["b"].T),
    ("mean", sp.OneMatrix(1, sp.Symbol("m", integer=True, positive=True)) * BATCHED_SYMBOLS["c"]
     * sp.OneMatrix(BATCHED_SYMBOLS["c"].shape[1], 1)),  # a sum, not the mean
])
def test_batched_check_rejects_mutations(monkeypatch, name, wrong):
    monkeypatch.setitem(BATCHED, name, wrong)
    assert backprop._batched_check((2, 3, 2, 2)).status != PROVED


# --- the concrete proof on hypothesis-drawn architectures ---------------------------------------
sizes_st = st.lists(st.integers(1, 3), min_size=2, max_size=4)


@settings(max_examples=6, deadline=None)
@given(sizes=sizes_st, cost=st.sampled_from(COSTS))
@example(sizes=[1, 1], cost="quadratic")
@example(sizes=[3, 1, 3], cost="log_likelihood")
def test_concrete_proof_on_drawn_architectures(sizes, cost):
    out = check_concrete(sizes, cost)
    assert out.status == PROVED, out.detail


def test_concrete_network_interface():
    net = concrete_network([2, 3, 2], "quadratic")
    assert net is concrete_network((2, 3, 2), "quadratic")  # cached, shared objects
    assert net.weights[2].shape == (3, 2) and net.weights[3].shape == (2, 3)
    assert len(net.parameters) == 3 * 2 + 3 + 2 * 3 + 2
    assert net.activations[1] == net.x and net.activations[3] == tuple(sigma(u) for u in net.zs[3])
    assert set(net.backprop_gradient()) == set(net.parameters)
    ll = concrete_network((2, 2), "log_likelihood")
    assert sp.expand(sp.Add(*ll.y)) == 1 and ll.S is not None


@pytest.mark.parametrize("bad, msg", [(dict(sizes=[2], cost="quadratic"), "sizes"),
                                      (dict(sizes=[2, 0], cost="quadratic"), "sizes"),
                                      (dict(sizes=[2, 2], cost="hinge"), "unknown cost")])
def test_concrete_network_errors(bad, msg):
    with pytest.raises(ValueError, match=msg):
        Network(**bad)
    with pytest.raises(ValueError, match="unknown check"):
        check_concrete([2, 2], "quadratic", "bp9")


# --- independent 50-digit oracle: mpmath forward pass + mpmath.diff -----------------------------
def _tanh_prime(x):
    return 1 / mp.cosh(x) ** 2


ACTS = {"sigmoid": (sig, lambda x: sig(x) * sig(-x)), "tanh": (mp.tanh, _tanh_prime)}


def _mp_cost(sizes, cost, act, W, B, x, y):
    """The cost of one example, by hand in mpmath (book indexing: W[l] is n_l × n_{l-1})."""
    a = x
    L = len(sizes)
    for l in range(2, L + 1):
        zl = [mp.fsum(W[l][j][k] * a[k] for k in range(sizes[l - 2])) + B[l][j]
              for j in range(sizes[l - 1])]
        if l == L and cost == "log_likelihood":
            top = max(zl)
            e = [mp.exp(u - top) for u in zl]
            a = [u / mp.fsum(e) for u in e]
        else:
            a = [act(u) for u in zl]
    if cost == "quadratic":
        return mp.fsum((u - v) ** 2 for u, v in zip(a, y)) / 2
    if cost == "cross_entropy":
        return -mp.fsum(v * mp.log(u) + (1 - v) * mp.log(1 - u) for u, v in zip(a, y))
    return -mp.fsum(v * mp.log(u) for u, v in zip(a, y))


def _draw(sizes, cost, mode, seed):
    """Parameters as exact fractions: random, all zero (z = 0), or saturated (|z| = 30)."""
    rnd = random.Random(seed)

    def frac(lo=-2, hi=2):
        return Fraction(rnd.randint(lo * 16, hi * 16), 16)

    L = len(sizes)
    W = {l: [[frac() for _ in range(sizes[l - 2])] for _ in range(sizes[l - 1])] for l in range(2, L + 1)}
    B = {l: [frac() for _ in range(sizes[l - 1])] for l in range(2, L + 1)}
    if mode == "zero":
        W = {l: [[Fraction(0)] * len(r) for r in W[l]] for l in W}
        B = {l: [Fraction(0)] * len(B[l]) for l in B}
    elif mode in ("sat+", "sat-"):  # z = ±30: a ≈ 1 or ≈ 0 (sigmoid), σ′ ≈ 1e-13
        B = {l: [Fraction(30 if mode == "sat+" else -30)] * len(B[l]) for l in B}
        W = {l: [[Fraction(0)] * len(r) for r in W[l]] for l in W}
    x = [frac() for _ in range(sizes[0])]
    n = sizes[-1]
    if cost == "log_likelihood":
        cls = rnd.randrange(n)
        y = [Fraction(int(j == cls)) for j in range(n)]
    else:
        y = [Fraction(rnd.randint(0, 16), 16) for _ in range(n)]
    return W, B, x, y


def _bp_numeric(net: Network, act, W, B, x, y):
    """The backprop gradient of :class:`Network`, with σ, σ′ evaluated by mpmath."""
    f, fp = ACTS[act]
    params = net.parameters
    args = params + list(net.x) + [s for s in net.y if s.is_Symbol]
    grad = net.backprop_gradient()
    plain = {s: sp.Symbol(f"v{i}") for i, s in enumerate(args)}  # identifiers lambdify can print
    fn = sp.lambdify([plain[s] for s in args], [grad[p].xreplace(plain) for p in params],
                     modules=[{"sigma": f, "sigma_prime": fp}, "mpmath"], cse=True)
    vals = {}
    for l in range(2, net.L + 1):
        for j in range(net.sizes[l - 1]):
            vals[net.biases[l][j]] = B[l][j]
            for k in range(net.sizes[l - 2]):
                vals[net.weights[l][j, k]] = W[l][j][k]
    argv = [mp.mpf(vals[p].numerator) / vals[p].denominator for p in params]
    argv += [mp.mpf(v.numerator) / v.denominator for v in x]
    argv += [mp.mpf(v.numerator) / v.denominator for s, v in zip(net.y, y) if s.is_Symbol]
    return dict(zip(params, fn(*argv))), vals


@settings(max_examples=30, deadline=None)
@given(sizes=sizes_st, cost=st.sampled_from(COSTS), act=st.sampled_from(["sigmoid", "tanh"]),
       mode=st.just("random"), seed=st.integers(0, 2**32 - 1))
@example(sizes=[2, 3, 2], cost="quadratic", act="sigmoid", mode="zero", seed=1)
@example(sizes=[2, 3, 2], cost="cross_entropy", act="sigmoid", mode="zero", seed=2)
@example(sizes=[2, 2, 2], cost="quadratic", act="sigmoid", mode="sat+", seed=3)
@example(sizes=[2, 2, 2], cost="cross_entropy", act="sigmoid", mode="sat-", seed=4)
@example(sizes=[1, 2, 3], cost="log_likelihood", act="tanh", mode="sat+", seed=5)
@example(sizes=[3, 3, 3, 3], cost="log_likelihood", act="tanh", mode="random", seed=6)
@mp50
def test_backprop_matches_50_digit_numeric_derivative(sizes, cost, act, mode, seed):
    if cost == "cross_entropy":
        act = "sigmoid"  # the cross-entropy needs outputs in (0, 1)
    W, B, x, y = _draw(sizes, cost, mode, seed)
    net = concrete_network(sizes, cost)
    bp, vals = _bp_numeric(net, act, W, B, x, y)
    f = ACTS[act][0]
    mpx = [mp.mpf(v.numerator) / v.denominator for v in x]
    mpy = [mp.mpf(v.numerator) / v.denominator for v in y]

    def C_at(p, t):
        Wt = {l: [[mp.mpf(v.numerator) / v.denominator for v in r] for r in W[l]] for l in W}
        Bt = {l: [mp.mpf(v.numerator) / v.denominator for v in B[l]] for l in B}
        for l in range(2, net.L + 1):
            for j in range(sizes[l - 1]):
                if net.biases[l][j] == p:
                    Bt[l][j] = t
                for k in range(sizes[l - 2]):
                    if net.weights[l][j, k] == p:
                        Wt[l][j][k] = t
        return _mp_cost(sizes, cost, f, Wt, Bt, mpx, mpy)

    for p in net.parameters:
        v0 = mp.mpf(vals[p].numerator) / vals[p].denominator
        num = mp.diff(lambda t: C_at(p, t), v0)
        assert close(bp[p], num), (p, bp[p], num)  # 1e-40 relative, absolute near 0


# --- the batched form as numerics prints it --------------------------------------------------------
@settings(max_examples=10, deadline=None)
@given(m=st.integers(1, 4), n_prev=st.integers(1, 3), n_l=st.integers(1, 3), n_next=st.integers(1, 3),
       seed=st.integers(0, 2**32 - 1))
@example(m=1, n_prev=1, n_l=1, n_next=1, seed=0)
def test_batched_kernels_printed_for_numpy_match_per_example_loop(m, n_prev, n_l, n_next, seed):
    rng = np.random.default_rng(seed)
    arrays = {"NablaA": rng.normal(size=(m, n_l)), "Delta_next": rng.normal(size=(m, n_next)),
              "W_next": rng.normal(size=(n_next, n_l)), "SigmaPrime": rng.uniform(0, 0.25, (m, n_l)),
              "A_prev": rng.normal(size=(m, n_prev)), "W": rng.normal(size=(n_l, n_prev)),
              "b": rng.normal(size=(n_l, 1)), "c": rng.uniform(0, 3, (m, n_l))}
    printer = NumPyPrinter()
    env = {"numpy": np, "m": m, "n_l": n_l}

    def run(name, **extra):
        return eval(printer.doprint(BATCHED[name]), {**env, **arrays, **extra})  # noqa: S307

    delta = run("bp2")
    # per example, as the book writes BP1-BP4 (columns), then the mean over the batch
    loop_delta = np.array([(arrays["W_next"].T @ arrays["Delta_next"][x]) * arrays["SigmaPrime"][x]
                           for x in range(m)])
    np.testing.assert_allclose(delta, loop_delta, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(run("bp1"), arrays["NablaA"] * arrays["SigmaPrime"], rtol=1e-12)
    gb = run("bp3", Delta=delta)
    np.testing.assert_allclose(np.ravel(gb), sum(loop_delta[x] for x in range(m)) / m, rtol=1e-12, atol=1e-14)
    gw = run("bp4", Delta=delta)
    np.testing.assert_allclose(gw, sum(np.outer(loop_delta[x], arrays["A_prev"][x]) for x in range(m)) / m,
                               rtol=1e-12, atol=1e-14)
    # eq. (25) per example, z = w a + b (columns), and the mean of the per-example costs C_x = Σ_j c_xj
    loop_z = np.array([arrays["W"] @ arrays["A_prev"][x] + arrays["b"][:, 0] for x in range(m)])
    np.testing.assert_allclose(run("z"), loop_z, rtol=1e-12, atol=1e-14)
    mean = run("mean")
    assert mean.shape == (1, 1)
    np.testing.assert_allclose(mean[0, 0], sum(sum(arrays["c"][x]) for x in range(m)) / m, rtol=1e-12)


def test_batched_symbols_and_shapes():
    B = BATCHED_SYMBOLS
    assert set(BATCHED) == {"z", "mean", "bp1", "bp2", "bp3", "bp4"}
    assert {s.name for e in BATCHED.values() for s in e.atoms(sp.MatrixSymbol)} <= set(B)
    assert all(B[name].name == name for name in B)  # numerics names the symbols by these keys
    assert BATCHED["z"].shape == B["Delta"].shape == B["c"].shape
    assert BATCHED["mean"].shape == (1, 1)
    assert BATCHED["bp2"].shape == B["Delta"].shape
    assert BATCHED["bp3"].shape == (1, B["Delta"].shape[1])
    assert BATCHED["bp4"].shape == B["W"].shape == (B["Delta"].shape[1], B["A_prev"].shape[1])
    ref = batched_per_example(2, 3, 2, 2)
    assert ref["bp4"].shape == (2, 3) and ref["bp3"].shape == (1, 2)
    assert ref["z"].shape == (2, 2) and ref["mean"].shape == (1, 1)


def test_bp_batched_states_the_exported_forms():
    """The theorem proves exactly what numerics prints: its statement's right-hand sides are BATCHED."""
    rhs = [eq.rhs for eq in derive.REGISTRY["bp_batched"].statement]
    assert rhs == [BATCHED[k] for k in ("z", "mean", "bp1", "bp2", "bp3", "bp4")]


def test_architectures_are_the_required_ones():
    assert ARCHITECTURES == ((2, 3, 2), (3, 4, 4, 2), (2, 2, 2, 2, 2))


def test_paths_through_a_softmax_output_use_its_full_jacobian(monkeypatch):
    """With a softmax output every a^L_r depends on every a^(L-1)_s; paths that treat it as
    elementwise (e^z alone, no normalisation) must not add up to the gradient."""
    import sympy as sp
    from gradproof.derive.book import backprop
    assert check_on_networks(backprop._paths_pairs, ["log_likelihood"], "paths",
                             architectures=[(2, 3, 2)]).proved
    monkeypatch.setattr(backprop, "softmax_layer", lambda zl: (None, tuple(sp.exp(u) for u in zl)))
    assert not check_on_networks(backprop._paths_pairs, ["log_likelihood"], "paths",
                                 architectures=[(2, 3, 2)]).proved


# --- display forms (written beside the theorems; each proved equal to its statement) -----------

def test_the_batched_form_prints_the_books_names():
    tex = statement_latex(derive.REGISTRY["bp_batched"])
    assert r"\nabla_{A} C \odot \sigma'(Z^{l})" in tex[2]
    assert r"\mathbf{1}^{T} c \mathbf{1}" in tex[1]
    assert tex[3] == r"\Delta^{l} = \left(\Delta^{l+1} W^{l+1}\right) \odot \sigma'(Z^{l})"
    assert not any(name in t for t in tex for name in ("NablaA", "SigmaPrime", "A_prev", "Delta_next"))
