"""derive.book.regularization: exact proofs, and 50-digit mpmath cross-checks that do not use them.

The oracle picks a concrete unregularized cost C_0(w_1, w_2, w_3, b_1, b_2) and differentiates
the regularized cost numerically; the theorems' statements (in the undefined C_0) are evaluated
with ∂C_0/∂w replaced by its numeric value.
"""
import mpmath as mp
import pytest
import sympy as sp
from hypothesis import example, given, settings
from hypothesis import strategies as st

from gradproof import derive
from gradproof.derive.book.regularization import BIASES, C0, WEIGHTS, eta as eta_s, lmbda as lmbda_s, n as n_s
from gradproof.derive.core.display import shown, statement_latex

from ..oracle import assert_proved_exactly, assert_well_formed, close, mp50, mpf

IDS = ["l2_gradient", "l2_weight_decay", "l1_gradient", "l1_update"]
coords = st.floats(-3, 3, allow_nan=False)
params = st.lists(coords, min_size=5, max_size=5)  # w_1, w_2, w_3, b_1, b_2
pos = st.floats(1e-3, 10, allow_nan=False)


def c0(p):
    """A smooth, non-quadratic stand-in for C_0."""
    w1, w2, w3, b1, b2 = p
    return mp.sin(w1 * w2) + w3 ** 3 * b1 + mp.exp(b2 / 3) * w2 + mp.cos(b1 + w3)


def partial(f, p, i):
    return mp.diff(lambda t: f(p[:i] + [t] + p[i + 1:]), p[i])


def evaluate(expr, p, lam, n, eta=1, extra=None):
    """``expr`` (in the undefined C_0) at the point p: ∂C_0/∂v → numeric values, symbols → numbers."""
    syms = list(WEIGHTS) + list(BIASES)
    subs = {sp.diff(C0, v): sp.Float(str(partial(c0, p, i)), 50) for i, v in enumerate(syms)}
    subs |= {v: sp.Float(str(x), 50) for v, x in zip(syms, p)}
    subs |= {lmbda_s: sp.Float(str(lam), 50), n_s: n, eta_s: sp.Float(str(eta), 50)}
    subs |= extra or {}
    return mp.mpf(str(sp.N(expr.xreplace(subs), 50)))


@pytest.mark.parametrize("id", IDS)
def test_proved_exactly(id):
    assert_proved_exactly(id)


@pytest.mark.parametrize("id", IDS)
def test_well_formed(id):
    assert assert_well_formed(id).group == "regularization"


@pytest.mark.parametrize("id, eq", [("l2_gradient", "(88), (89)"), ("l2_weight_decay", "(91)-(93)"),
                                    ("l1_gradient", "(96)"), ("l1_update", "(97)")])
def test_equation_numbers(id, eq):
    assert derive.REGISTRY[id].equation == eq


# --- L2 ---------------------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(params, pos, st.integers(1, 60000))
@example([0.0] * 5, 1.0, 1)
@mp50
def test_l2_gradient_oracle(p, lam, n):
    p, lam = [mpf(t) for t in p], mpf(lam)
    cost = lambda q: c0(q) + lam / (2 * n) * mp.fsum(w ** 2 for w in q[:3])  # noqa: E731
    dw, db = derive.REGISTRY["l2_gradient"].statement  # for w_2 and b_1
    assert close(evaluate(dw.rhs, p, lam, n), partial(cost, p, 1))
    assert close(evaluate(db.rhs, p, lam, n), partial(cost, p, 3))
    for i in range(3):  # every weight: ∂C/∂w = ∂C_0/∂w + (λ/n) w
        assert close(partial(cost, p, i), partial(c0, p, i) + lam / n * p[i])
    for i in (3, 4):  # biases are not regularized
        assert close(partial(cost, p, i), partial(c0, p, i))


@settings(max_examples=40, deadline=None)
@given(params, pos, st.integers(1, 60000), pos, st.lists(coords, min_size=1, max_size=5))
@example([0.0] * 5, 1.0, 1, 1.0, [0.0])
@mp50
def test_l2_weight_decay_oracle(p, lam, n, eta, gs):
    p, lam, eta = [mpf(t) for t in p], mpf(lam), mpf(eta)
    cost = lambda q: c0(q) + lam / (2 * n) * mp.fsum(w ** 2 for w in q[:3])  # noqa: E731
    stepped = p[1] - eta * partial(cost, p, 1)  # gradient descent on the regularized cost
    decay, minibatch, *_ = derive.REGISTRY["l2_weight_decay"].statement
    assert close(evaluate(decay.lhs, p, lam, n, eta), stepped)
    assert close(evaluate(decay.rhs, p, lam, n, eta), stepped)
    assert close((1 - eta * lam / n) * p[1] - eta * partial(c0, p, 1), stepped)
    # mini-batch form: ∂C_0/∂w replaced by the mean of the per-example gradients g_x
    m = len(gs)
    g = [mpf(t) for t in gs]
    rhs = minibatch.rhs.xreplace({sp.Symbol("m", integer=True, positive=True): m}).doit()
    base = next(iter(rhs.atoms(sp.Indexed))).base
    got = evaluate(rhs, p, lam, n, eta, {base[i + 1]: sp.Float(str(g[i]), 50) for i in range(m)})
    assert close(got, p[1] - eta * (mp.fsum(g) / m + lam / n * p[1]))


# --- L1 ---------------------------------------------------------------------------------------

nonzero = coords.filter(lambda v: abs(v) > 1e-6)


@settings(max_examples=40, deadline=None)
@given(params, nonzero, pos, st.integers(1, 60000))
@example([0.0] * 5, 1e-6 * 1.5, 1.0, 1)
@example([0.0] * 5, -2.0, 1.0, 1)
@mp50
def test_l1_gradient_oracle(p, w2, lam, n):
    p, lam = [mpf(t) for t in p], mpf(lam)
    p[1] = mpf(w2)
    cost = lambda q: c0(q) + lam / n * mp.fsum(abs(w) for w in q[:3])  # noqa: E731
    (dw,) = derive.REGISTRY["l1_gradient"].statement  # for w_2
    assert close(evaluate(dw.rhs, p, lam, n), partial(cost, p, 1))
    assert close(partial(cost, p, 1), partial(c0, p, 1) + lam / n * mp.sign(p[1]))


@mp50
def test_l1_kink_at_zero():
    """|w| at 0: one-sided slopes +1 and −1 (no derivative); the statement uses sgn(0) = 0."""
    h = mp.mpf("1e-30")
    assert close(mp.diff(abs, 0, direction=1), 1) and close(mp.diff(abs, 0, direction=-1), -1)
    assert close((abs(h) - 0) / h, 1) and close((abs(-h) - 0) / -h, -1)
    (dw,) = derive.REGISTRY["l1_gradient"].statement
    p = [mpf(t) for t in (0.5, 0.0, -1.0, 0.2, 0.7)]
    assert close(evaluate(dw.rhs, p, 1, 1), partial(c0, p, 1))  # no L1 term at w = 0


@settings(max_examples=40, deadline=None)
@given(params, nonzero, pos, st.integers(1, 60000), pos)
@example([0.0] * 5, -1e-6 * 1.5, 2.0, 3, 0.5)
@mp50
def test_l1_update_oracle(p, w2, lam, n, eta):
    p, lam, eta = [mpf(t) for t in p], mpf(lam), mpf(eta)
    p[1] = mpf(w2)
    cost = lambda q: c0(q) + lam / n * mp.fsum(abs(w) for w in q[:3])  # noqa: E731
    stepped = p[1] - eta * partial(cost, p, 1)
    upd, _ = derive.REGISTRY["l1_update"].statement
    assert close(evaluate(upd.rhs, p, lam, n, eta), stepped)
    # the L1 step is a constant ηλ/n towards 0, unlike L2's (ηλ/n)·w (the recorded slip)
    shrink = stepped - (p[1] - eta * partial(c0, p, 1))
    assert close(shrink, -eta * lam / n * mp.sign(p[1]))


# --- display forms (written beside the theorems; each proved equal to its statement) -----------

def test_the_renaming_is_undone_before_the_check():
    shown_ = shown(derive.REGISTRY["l2_gradient"])
    assert all(shown_.is_display)
    assert "w = w_2" in shown_.checked_at
    assert r"\frac{\partial C}{\partial w}" in statement_latex(derive.REGISTRY["l2_gradient"])[0]


@pytest.mark.parametrize("id_", ["l2_gradient", "l2_weight_decay", "l1_gradient", "l1_update"])
def test_every_rule_is_shown_for_any_weight(id_):
    idy = derive.REGISTRY[id_]
    assert all(shown(idy).is_display)  # each form proved equal to its statement (renaming undone)
    tex = statement_latex(idy)
    assert not any("w_{2}" in t for t in tex)  # the concrete weight is named "any weight" w
    assert any(r"\frac{\partial C_{0}}{\partial w}" in t for t in tex)


def test_weight_decay_puts_the_decay_factor_in_front_of_w():
    tex = statement_latex(derive.REGISTRY["l2_weight_decay"])
    assert tex[0].endswith(r"= \left(1 - \frac{\lambda \eta}{n}\right) w - \eta \frac{\partial C_{0}}{\partial w}")
    assert tex[1].startswith(r"w \to w' = \left(1 - \frac{\lambda \eta}{n}\right) w - \frac{\eta}{m}")
