"""derive.book.activations: the theorems on tanh and ReLU, and that every table entry names a theorem.

Cross-checks evaluate with mpmath at 50 digits: numeric derivatives of hand-written functions
against the table's ``prime`` expressions, and the printed ``stable`` forms against ``f``.
"""
import mpmath as mp
import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gradproof import derive
from gradproof.derive.book.activations import ACTIVATIONS, a as a_sym, relu, z as z_sym
from gradproof.derive.book.costs import COSTS
from gradproof.derive.core.display import shown, statement_latex

from ..oracle import assert_proved_exactly, assert_well_formed, close, mp50, mpf, mpfunc, sig

IDS = ["tanh_sigmoid", "tanh_prime", "relu_prime"]
zs = st.floats(-60, 60, allow_nan=False)


@pytest.mark.parametrize("id", IDS)
def test_proved_exactly(id):
    assert_proved_exactly(id)


@pytest.mark.parametrize("id", IDS)
def test_well_formed(id):
    assert assert_well_formed(id).group == "activations"


def test_equation_number():
    assert derive.REGISTRY["tanh_sigmoid"].equation == "(111)"


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_table_names_theorems(name):
    act = ACTIVATIONS[name]
    assert act.prime_id in derive.REGISTRY
    if act.stable_id is not None:
        assert act.stable_id in derive.REGISTRY


@pytest.mark.parametrize("name", ["quadratic", "cross_entropy"])
def test_cost_table_ids_of_this_area_exist(name):
    cost = COSTS[name]
    assert cost.stable_id in derive.REGISTRY
    if name == "cross_entropy":
        assert cost.delta_id in derive.REGISTRY


# --- tanh_sigmoid ------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(st.floats(-800, 800, allow_nan=False))
@example(0.0)
@example(30.0)
@example(-30.0)
@example(-750.0)  # e^{−z} overflows float64 here; tanh does not
@mp50
def test_tanh_sigmoid_oracle(zv):
    zz = mpf(zv)
    assert close(sig(zz), (1 + mp.tanh(zz / 2)) / 2)
    assert close(mp.tanh(zz), 2 * sig(2 * zz) - 1)
    SIG = ACTIVATIONS["sigmoid"]
    assert close(mpfunc([z_sym], SIG.stable(z_sym))(zz), sig(zz))
    assert close(mpfunc([z_sym], SIG.f(z_sym))(zz), sig(zz))
    s1, s2 = derive.REGISTRY["tanh_sigmoid"].statement
    for eq in (s1, s2):
        f = mpfunc([z_sym], eq.lhs - eq.rhs)
        assert close(f(zz), 0)


# --- tanh_prime --------------------------------------------------------------------------------

@settings(max_examples=50, deadline=None)
@given(zs)
@example(0.0)
@example(30.0)
@example(-30.0)
@mp50
def test_tanh_prime_oracle(zv):
    zz = mpf(zv)
    tanh_def = lambda t: (mp.exp(t) - mp.exp(-t)) / (mp.exp(t) + mp.exp(-t))  # noqa: E731
    numeric = mp.diff(tanh_def, zz)
    T = ACTIVATIONS["tanh"]
    assert close(mpfunc([a_sym], T.prime)(mp.tanh(zz)), numeric)  # 1 − a² at a = tanh z
    assert close(mpfunc([z_sym], T.prime_at(z_sym))(zz), numeric)
    (eq,) = derive.REGISTRY["tanh_prime"].statement
    assert close(mpfunc([z_sym], eq.rhs)(zz), numeric)


# --- relu_prime --------------------------------------------------------------------------------

@settings(max_examples=50, deadline=None)
@given(zs.filter(lambda v: abs(v) > 1e-12))
@example(30.0)
@example(-30.0)
@example(1e-12 * 2)
@example(-1e-12 * 2)
@mp50
def test_relu_prime_oracle(zv):
    zz = mpf(zv)
    numeric = mp.diff(lambda t: max(mp.mpf(0), t), zz)
    assert close(numeric, 1 if zz > 0 else 0)
    prime = ACTIVATIONS["relu"].prime.xreplace({z_sym: sp.Float(str(zz), 50)})
    assert prime in (0, 1) and close(int(prime), numeric)
    # the relu class differentiates the same way
    assert sp.diff(relu(z_sym), z_sym).xreplace({z_sym: sp.Float(str(zz), 50)}) == prime


@mp50
def test_relu_prime_at_zero_convention():
    h = mp.mpf("1e-30")
    right, left = (max(0, h) - 0) / h, (max(0, -h) - 0) / -h
    assert close(right, 1) and close(left, 0)  # no derivative at 0
    assert ACTIVATIONS["relu"].prime.xreplace({z_sym: 0}) == 0  # the convention ReLU′(0) = 0
    stmt = derive.REGISTRY["relu_prime"].statement
    at0 = [s for s in stmt if isinstance(s.lhs, sp.Subs)]
    assert len(at0) == 1 and at0[0].lhs.doit() == at0[0].rhs == 0


# --- display forms (written beside the theorems; each proved equal to its statement) -----------

def test_the_sigmoid_is_shown_as_half_of_one_plus_tanh():
    idy = derive.REGISTRY["tanh_sigmoid"]
    assert shown(idy).is_display == (True, False)
    assert statement_latex(idy)[0] == (r"\sigma\left(z\right) = \frac{1}{2} "
                                       r"\left(1 + \tanh{\left(\frac{z}{2} \right)}\right)")
