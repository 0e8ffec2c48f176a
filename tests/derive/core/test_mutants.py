"""The statement is the theorem: every meaning-changing mutant of every statement fails to prove,
every recorded slip's statement repaired proves, and the issue's own mutants are caught."""
from __future__ import annotations

import sympy as sp
import pytest

from gradproof import derive
from gradproof.derive.core.mutants import STILL_TRUE, equivalent, mutants, score_all
from gradproof.derive.core.theorem import decide

PROVED_IDS = [i for i, idy in derive.REGISTRY.items() if idy.expect == "proved"]
SLIP_IDS = [i for i, idy in derive.REGISTRY.items() if idy.expect == "refuted"]


@pytest.fixture(scope="module")
def scores():
    return {s.id: s for s in score_all(derive.REGISTRY.values())}


@pytest.mark.slow
def test_every_meaning_changing_mutant_is_killed(scores):
    assert set(scores) == set(PROVED_IDS)
    survivors = {i: s.as_dict()["survivors"] for i, s in scores.items() if s.survivors}
    assert not survivors
    for s in scores.values():
        assert s.tried == s.killed + s.skipped
        assert s.killed >= 1, s.id  # every identity has mutants that count


@pytest.mark.slow
def test_the_still_true_list_is_used_and_small(scores):
    used = sum(s.still_true for s in scores.values())
    assert used == len(STILL_TRUE) <= 5


@pytest.mark.parametrize("id", SLIP_IDS)
def test_every_slip_repaired_proves(id):
    idy = derive.REGISTRY[id]
    assert idy.derivation.repaired
    assert idy.prove().status == "refuted"
    p = idy.with_statement(idy.derivation.repaired).prove()
    assert p.status == "proved", (id, p.detail)


@pytest.mark.parametrize("id", SLIP_IDS)
def test_a_slip_repaired_then_mutated_fails_again(id):
    idy = derive.REGISTRY[id]
    d = idy.derivation
    for m in mutants(d.repaired)[:4]:
        if not equivalent(m.relation, d.repaired[m.part]):
            assert not decide(m.relation, d.readings, d.facts).proved, m


def _with(id: str, part: int, rel: sp.Basic) -> derive.Proof:
    idy = derive.REGISTRY[id]
    st = list(idy.statement)
    st[part] = rel
    return idy.with_statement(st).prove()


def test_the_issues_mutants_fail():
    """The audit's table: each of these changed statements used to be reported proved."""
    from gradproof.derive.book import softmax as S

    def changed(id, part, lhs=None, rhs=None, kind=None):
        rel = derive.REGISTRY[id].statement[part]
        new = (kind or type(rel))(rel.lhs if lhs is None else lhs, rel.rhs if rhs is None else rhs,
                                  evaluate=False)
        return _with(id, part, new).status

    st = lambda id: derive.REGISTRY[id].statement  # noqa: E731
    assert changed("bp3", 0, rhs=2 * st("bp3")[0].rhs) != "proved"
    assert changed("backprop_paths", 0, rhs=2 * st("backprop_paths")[0].rhs) != "proved"
    sig = derive.sigmoid(sp.Symbol("z", real=True))
    ce = st("cross_entropy_cancellation")[0].rhs
    assert changed("cross_entropy_cancellation", 0, rhs=ce * sig * (1 - sig)) != "proved"
    m = sp.Symbol("m", integer=True, positive=True)
    assert changed("sgd_minibatch_update", 3, rhs=1 / m) != "proved"
    newton = st("hessian_newton_step")
    assert changed("hessian_newton_step", 1, rhs=2 * newton[1].rhs) != "proved"  # ½ dropped
    grad = newton[0].lhs  # ∇C + H(−H⁻¹∇C): the sign of the step flipped
    flipped = grad.xreplace({sp.MatMul(-1, *grad.args[1].args[1].args[1:], evaluate=False):
                             sp.MatMul(*grad.args[1].args[1].args[1:])})
    assert flipped != grad and changed("hessian_newton_step", 0, lhs=flipped) != "proved"
    a_j, a_k = S.softmax_index(at=S.j), S.softmax_index(at=S.k)
    assert changed("softmax_monotone", 3, kind=sp.Gt, rhs=0) != "proved"  # −a_j a_k > 0
    assert changed("softmax_monotone", 0, rhs=a_j * (1 + a_j)) != "proved"
    assert changed("relu_prime", 1, rhs=1) != "proved"  # ReLU′(0) = 1
    a_prev = [f for f in sp.Mul.make_args(st("log_likelihood_gradient")[2].rhs)
              if isinstance(f, sp.Indexed)][0]
    assert changed("log_likelihood_gradient", 2, rhs=a_j * (a_j - S.y[S.j])) != "proved"
    assert changed("log_likelihood_gradient", 2, rhs=a_prev * (a_j - S.y[S.j])) == "proved"
    del a_k


def test_bp2_fails_when_network_deltas_lose_sigma_prime(monkeypatch):
    """Removing σ′ from derive.book.network's BP2 must fail bp2 itself (not only bp3/bp4)."""
    from gradproof.derive.book import backprop, network

    def deltas(self):
        d = {self.L: tuple(self.output_error())}
        for l in range(self.L - 1, 1, -1):
            W = self.weights[l + 1]
            d[l] = tuple(sp.Add(*[W[k, j] * d[l + 1][k] for k in range(W.rows)])
                         for j in range(len(self.zs[l])))
        return d

    net = network.Network((2, 3, 2), "quadratic")  # a fresh, uncached network
    monkeypatch.setattr(network.Network, "deltas", property(deltas))
    o = network.check_on_networks(backprop._bp2_pairs, ["quadratic"], "BP2", [(2, 3, 2)])
    assert not o.proved
    del net


def test_with_statement_of_an_unrelated_relation_is_undecided_never_proved():
    idy = derive.REGISTRY["bp3"]
    x = sp.Symbol("x", real=True)
    p = idy.with_statement([sp.Eq(sp.sin(x) ** 2, 1 - sp.cos(x) ** 2 + 1)]).prove()
    assert p.status != "proved"
    p = idy.with_statement([sp.Eq(x, x + 0 * x, evaluate=False)]).prove()  # True when built
    assert p.status == "undecided"
    assert idy.with_statement(list(idy.statement)).prove().status == "proved"
