"""derive.book.gauss_newton: the Gauss-Newton product and H = G + the network's curvature.

Oracles: SymPy's own Jacobian and Hessian of the composed network and cost, evaluated at random
numbers (no Gauss-Newton pass), and 50-digit mpmath derivatives."""
import random

import mpmath as mp
import pytest
import sympy as sp

from gradproof import derive
from gradproof.derive.book import gauss_newton as G
from gradproof.derive.book import r_operator as R
from gradproof.derive.book.activations import ACTIVATIONS, a, sigmoid, z
from gradproof.derive.book.costs import COSTS, y
from gradproof.derive.book.network import concrete_network

from ..oracle import assert_proved_exactly, assert_well_formed, close, mp50, mpfunc


@pytest.mark.parametrize("id", ["gauss_newton_product", "hessian_gauss_newton"])
def test_proved_exactly(id):
    assert_proved_exactly(id)
    assert assert_well_formed(id).group == "r_operator"


def test_the_split_follows_the_cost():
    ce, quad = COSTS["cross_entropy"], COSTS["quadratic"]
    assert sp.expand(G.gauss_newton_curvature(ce) - a * (1 - a)) == 0  # at z^L: σ′, the exact output
    assert sp.expand(G.gauss_newton_curvature(quad) - a ** 2 * (1 - a) ** 2) == 0  # at a^L: σ′², no σ″
    with pytest.raises(ValueError, match="softmax"):
        G.gauss_newton_curvature(COSTS["log_likelihood"])


@pytest.mark.parametrize("cost", ["quadratic", "log_cosh"])
@mp50
def test_gauss_newton_curvature_is_the_cost_curvature_times_the_slope_squared(cost):
    c = derive.get_cost(cost)
    out = c.output_activation or ACTIVATIONS[c.output]
    f = mpfunc([z], out.f(z))
    lam = mpfunc([a, y, z], G.gauss_newton_curvature(c))
    term = mpfunc([a, y], c.term)
    for zv, yv in ((mp.mpf("-0.7"), mp.mpf("0.2")), (mp.mpf("1.3"), mp.mpf("0.6"))):
        want = mp.diff(lambda t: term(t, yv), f(zv), 2) * mp.diff(f, zv) ** 2
        assert close(lam(f(zv), yv, zv), want, mp.mpf("1e-25"))


def _numbers(exprs, net, v, seed=3):
    rng = random.Random(seed)
    syms = set().union(*[e.free_symbols for e in exprs]) | set(v.values())
    point = {s: sp.Float(rng.uniform(-1, 1), 30) for s in syms}
    point.update({yy: sp.Float(rng.uniform(0.1, 0.9), 30) for yy in net.y if yy.is_Symbol})
    return lambda e: sp.N(e.doit().xreplace(point).doit(), 25)


@pytest.mark.parametrize("cost", ["quadratic", "cross_entropy"])
def test_gn_backprop_is_jt_h_j_v_and_positive_semidefinite(cost):
    net = concrete_network((2, 2, 2), cost, sigmoid)
    v = R.direction(net)
    gv = G.gn_backprop(net, v)
    matching = bool(net.cost_def.cancels)
    o = net.zs[net.L] if matching else net.activations[net.L]
    s = [sp.Dummy() for _ in o]
    C = net.cost_of([sigmoid(t) for t in s] if matching else s)
    J = [[sp.diff(oi, p) for p in net.parameters] for oi in o]
    Jv = [sp.Add(*[Jij * v[p] for Jij, p in zip(row, net.parameters)]) for row in J]
    at = dict(zip(s, o))
    Ho = [[sp.diff(C, si, sk).xreplace(at) for sk in s] for si in s]
    ev = _numbers(list(gv.values()), net, v)
    vGv = 0
    for col, p in enumerate(net.parameters):
        want = sp.Add(*[J[i][col] * Ho[i][k] * Jv[k] for i in range(len(o)) for k in range(len(o))])
        got = ev(gv[p])
        assert abs(got - ev(want)) <= 1e-18 * max(1, abs(got)), p
        vGv += ev(v[p]) * got
    assert vGv >= 0  # G is positive semi-definite


def test_the_concrete_check_fails_if_gn_keeps_the_output_sigma_second(monkeypatch):
    monkeypatch.setattr(G, "_output_gn", lambda net, Rz: R.r_output(net, Rz))
    assert not G._gn_on_networks().proved


def test_the_curvature_check_fails_if_the_hidden_sigma_second_is_dropped(monkeypatch):
    monkeypatch.setattr(R, "second_at", lambda net, u: sp.S.Zero)
    assert not G._curvature_on_networks().proved
