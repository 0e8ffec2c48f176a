"""The registry as a whole: the issue's ids are all there, well formed, and proved exactly."""
import sympy as sp
import pytest

from gradproof import derive
from gradproof.derive.core.theorem import GROUPS

from ..oracle import assert_proved_exactly, assert_well_formed

#: The identities the notes require (issue "every identity of the notes, proved").
REQUIRED = """perceptron_bias perceptron_limit sigmoid_output sigmoid_prime quadratic_cost_gradient
gradient_descent_step sgd_minibatch_update bp1 bp2 bp3 bp4 backprop_paths cross_entropy_nonnegative
cross_entropy_cancellation cross_entropy_output_error softmax_normalised softmax_monotone softmax_log
log_likelihood_gradient l2_gradient l2_weight_decay l1_gradient l1_update hessian_newton_step
tanh_sigmoid tanh_prime relu_prime""".split()
#: The stable forms the kernels print, each an identity of its own.
STABLE = ["tanh_sigmoid", "cross_entropy_softplus", "logsumexp_shift", "softmax_log"]


def test_every_required_id_is_registered():
    missing = [i for i in REQUIRED + STABLE if i not in derive.REGISTRY]
    assert not missing


def test_registry_follows_the_book():
    order = list(GROUPS)
    groups = [idy.group for idy in derive.REGISTRY.values()]
    assert groups == sorted(groups, key=order.index)


@pytest.mark.parametrize("id", list(derive.REGISTRY))
def test_statements_and_steps_are_shown_not_evaluated(id):
    idy = assert_well_formed(id)
    for e in [*idy.statement, *(s.expr for s in idy.steps)]:
        assert not isinstance(e, sp.logic.boolalg.BooleanAtom), (id, e)


@pytest.mark.parametrize("id", [i for i, idy in derive.REGISTRY.items() if idy.expect == "proved"])
def test_every_identity_is_proved_exactly(id):
    p = assert_proved_exactly(id)
    assert p.ok and p.seconds >= 0


def test_every_slip_is_refuted_with_a_counterexample():
    slips = [idy for idy in derive.REGISTRY.values() if idy.expect == "refuted"]
    assert len(slips) >= 2
    for idy in slips:
        p = idy.prove()
        assert p.status == "refuted" and p.ok and p.counterexample, p


@pytest.mark.parametrize("name", list(derive.ACTIVATIONS))
def test_printed_activation_forms_are_theorems(name):
    act = derive.ACTIVATIONS[name]
    for i in (act.prime_id, act.stable_id):
        assert i is None or i in derive.REGISTRY


@pytest.mark.parametrize("name", list(derive.COSTS))
def test_printed_cost_forms_are_theorems(name):
    cost = derive.COSTS[name]
    assert cost.delta_id in derive.REGISTRY
    assert cost.stable_id is None or cost.stable_id in derive.REGISTRY


def test_printed_update_rules_are_theorems():
    from gradproof.derive.book import updates
    for _, id in [*updates.WEIGHT_UPDATES.values(), updates.BIAS_UPDATE]:
        assert id in derive.REGISTRY


# --- no vacuous obligation --------------------------------------------------------------------
_THEOREM_MODULES = ["neurons", "activations", "gradient_descent", "backprop", "cross_entropy",
                    "softmax", "regularization", "hessian", "r_operator", "gauss_newton", "slips"]


def _already_true(lhs, rhs) -> bool:
    lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
    return lhs == rhs or (lhs - rhs) == 0


@pytest.mark.parametrize("id", list(derive.REGISTRY))
def test_no_obligation_is_already_true_when_built(id, monkeypatch):
    """Every ``prove_equal`` an obligation makes compares two expressions that differ as built
    (before any rewrite or method), and no relation of the statement is the same expression on
    both sides: a check that SymPy's automatic evaluation already closed proves nothing."""
    import importlib
    from gradproof.derive.core import prover
    calls = []

    def recording(lhs, rhs, *args, **kwargs):
        calls.append((lhs, rhs))
        return prover.prove_equal(lhs, rhs, *args, **kwargs)

    for name in _THEOREM_MODULES:
        monkeypatch.setattr(importlib.import_module(f"gradproof.derive.book.{name}"), "prove_equal", recording,
                            raising=False)
    idy = derive.REGISTRY[id]
    d = idy.build()
    for ob in d.obligations:
        ob()
    vacuous = [(str(l)[:80], str(r)[:80]) for l, r in calls if _already_true(l, r)]
    assert not vacuous, (id, vacuous)
    for rel in d.statement:
        if isinstance(rel, (sp.Eq, sp.Ge, sp.Gt, sp.Le, sp.Lt)):
            if isinstance(rel.lhs, sp.MatrixExpr) or isinstance(rel.rhs, sp.MatrixExpr):
                assert rel.lhs != rel.rhs, (id, rel)
            else:
                assert not _already_true(rel.lhs, rel.rhs), (id, rel)


def test_every_identity_says_which_parts_are_general():
    for id, idy in derive.REGISTRY.items():
        assert idy.parts, id
        for part in idy.parts:
            assert part.text.strip(), id
            assert part.general or part.checked_at.strip(), (id, part)


def test_generality_summary_counts_the_parts():
    from gradproof.derive.core.theorem import Part
    P = lambda id, parts, status="proved", expected="proved": derive.Proof(  # noqa: E731
        status=status, method="m", id=id, title=id, expected=expected, parts=tuple(parts))
    proofs = [P("a", [Part("x", True)]), P("b", [Part("x", True), Part("y", False, "n = 3")]),
              P("c", []), P("d", [Part("x", True)], "undecided"),
              P("e", [Part("x", True)], "refuted", "refuted")]
    s = derive.generality_summary(proofs)
    assert s == {"proved": 3, "general": 1, "at_sizes": 2, "parts": 3, "parts_general": 2}
    real = derive.generality_summary(derive.prove_all(["perceptron_bias", "bp_batched"]))
    assert real["general"] == 1 and real["at_sizes"] == 1
