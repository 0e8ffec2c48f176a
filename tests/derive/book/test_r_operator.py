"""derive.book.r_operator: the R-operator on the forward pass and BP1-BP4.

Oracles that use neither the proofs nor the R-pass: 50-digit mpmath derivatives (of each
activation, of each cost's output error), and SymPy's Hessian of the fully composed cost of a
concrete network with the sigmoid itself, evaluated at random numbers."""
import random

import mpmath as mp
import pytest
import sympy as sp

from gradproof import derive
from gradproof.derive.book import r_operator as R
from gradproof.derive.book.activations import ACTIVATIONS, a, sigmoid, z
from gradproof.derive.book.costs import COSTS, y
from gradproof.derive.book.network import concrete_network
from gradproof.derive.core.display import shown

from ..oracle import assert_proved_exactly, assert_well_formed, close, mp50, mpfunc

IDS = ["activation_second", "r_forward", "r_output_error", "r_bp2", "r_gradient",
       "hessian_vector_product", "r_batched"]


@pytest.mark.parametrize("id", IDS)
def test_proved_exactly_in_its_own_group_after_the_hessian(id):
    assert_proved_exactly(id)
    assert assert_well_formed(id).group == "r_operator"
    groups = list(derive.GROUPS)
    assert groups.index("r_operator") == groups.index("hessian") + 1


def test_the_general_theorems_hold_for_symbolic_widths():
    for id in ("r_forward", "r_output_error", "r_bp2", "r_gradient"):
        assert all(p.general for p in derive.REGISTRY[id].parts), id
    hv = derive.REGISTRY["hessian_vector_product"]
    assert [p.general for p in hv.parts] == [False, False]
    assert "[2,2,2,2]" in hv.parts[1].checked_at and "[2,2,3]" in hv.parts[1].checked_at


# --- σ″ from the activation object -----------------------------------------------------------------
@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "softplus", "silu", "elu", "leaky_relu"])
@mp50
def test_second_is_the_second_derivative(name):
    act = derive.get_activation(name)
    f = mpfunc([z], act.f(z))
    s = mpfunc([a, z], R.second(act))
    for zv in (mp.mpf("-2.3"), mp.mpf("-0.4"), mp.mpf("0.7"), mp.mpf("3.1")):
        want = mp.diff(f, zv, 2)
        assert close(s(f(zv), zv), want, mp.mpf("1e-25")), (name, zv)


@pytest.mark.parametrize("name", ["softplus", "silu"])
def test_a_users_second_derivative_is_a_theorem(name):
    act = derive.get_activation(name)
    idy = R.second_identity(act)
    assert idy.prove().status == "proved"
    wrong = sp.Eq(idy.statement[0].lhs, 2 * idy.statement[0].rhs, evaluate=False)
    assert idy.with_statement([wrong]).prove().status != "proved"


# --- the output layer -------------------------------------------------------------------------------
@pytest.mark.parametrize("cost", ["quadratic", "cross_entropy", "log_cosh", "tanh_cross_entropy"])
@mp50
def test_output_curvature_is_the_derivative_of_the_output_error(cost):
    c = derive.get_cost(cost)
    out = c.output_activation or ACTIVATIONS[c.output]
    f = mpfunc([z], out.f(z))
    lam = mpfunc([a, y, z], R.output_curvature(c))
    delta = mpfunc([a, y, z], c.delta)
    for zv, yv in ((mp.mpf("-1.2"), mp.mpf("0.3")), (mp.mpf("0.8"), mp.mpf("0.9"))):
        want = mp.diff(lambda t: delta(f(t), yv, t), zv)
        assert close(lam(f(zv), yv, zv), want, mp.mpf("1e-25")), (cost, zv)


def test_output_curvature_refuses_the_softmax():
    with pytest.raises(ValueError, match="softmax"):
        R.output_curvature(COSTS["log_likelihood"])


# --- the whole pass against SymPy's Hessian ---------------------------------------------------------
@pytest.mark.parametrize("cost", ["quadratic", "cross_entropy", "log_likelihood"])
def test_r_backprop_is_the_hessian_times_v_with_the_sigmoid_itself(cost):
    net = concrete_network((2, 2, 2), cost, sigmoid)
    v = R.direction(net)
    Rg = R.r_backprop(net, v)
    rng = random.Random(7)
    point = {s: sp.Float(rng.uniform(-1, 1), 30) for s in set().union(*[e.free_symbols for e in Rg.values()])}
    point.update({yy: sp.Float(rng.uniform(0.1, 0.9), 30) for yy in net.y if yy.is_Symbol})
    params = net.parameters
    for p in rng.sample(params, 4):
        g = net.diff(p)
        hv = sp.Add(*[sp.diff(g, q) * v[q] for q in params])
        lhs, rhs = (sp.N(e.doit().xreplace(point).doit().rewrite(sp.exp), 25) for e in (Rg[p], hv))
        assert abs(lhs - rhs) <= sp.Float("1e-18") * max(1, abs(rhs)), (cost, p, lhs, rhs)


def test_the_concrete_check_fails_without_the_sigma_second_term(monkeypatch):
    monkeypatch.setattr(R, "second_at", lambda net, u: sp.S.Zero)
    assert not R._hv_on_networks().proved


def test_the_concrete_check_fails_without_the_weights_direction_in_bp2(monkeypatch):
    real = R.r_backprop

    def wrong(net, v):
        return real(net, {p: (0 if p in set(net.weights[net.L]) else s) for p, s in v.items()})
    monkeypatch.setattr(R, "r_backprop", wrong)
    assert not R._hv_on_networks().proved


# --- display ------------------------------------------------------------------------------------------
def test_the_forward_pass_is_shown_in_pearlmutters_order():
    sh = shown(derive.REGISTRY["r_forward"])
    assert sh.is_display[0] and not sh.problems
    first = sh.statement[0].rhs.args[0]
    assert isinstance(first, sp.Sum) and "R\\{w^{l}\\}" in str(first)


def test_the_batched_forms_have_the_shapes_the_kernels_print():
    for name, expr in R.BATCHED_R.items():
        assert expr.shape[0] in (R._m, 1, R.n_l), name
    assert R.BATCHED_R["rbp4"].shape == R.BATCHED_R_SYMBOLS["W"].shape
