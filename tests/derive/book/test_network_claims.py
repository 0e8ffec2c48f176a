"""Claims in the book's network (issue 16 §2), against an independent oracle.

The oracle is this file's own: the network of eq. (25) in mpmath at 40 digits with the logistic σ,
the cost of one example, and every derivative (δ^l_j = ∂C/∂z^l_j, ∂C/∂w^l_jk, ∂C/∂b^l_j) by
numerical differentiation of the composed cost (``mpmath.diff``) — no SymPy, no backpropagation.
A proved claim must hold there at every layer and neuron; a refuted one must have the values it
reports there, and they must differ.
"""
from __future__ import annotations

import itertools
from fractions import Fraction

import mpmath
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradproof.derive.book.network_claims import (NETWORKS, InNetwork, NetworkContext,
                                                   has_network_quantity, verify_in_network)
from gradproof.derive.book.network import sigma
from gradproof.derive.claims.reader import read
from gradproof.derive.core.indexed import index
from gradproof.derive.core.outcome import PROVED, REFUTED, UNDECIDED

mp = mpmath.mp


# --- the oracle ---------------------------------------------------------------------------------

class Oracle:
    """The book's network in mpmath: ``sizes`` (input first), parameters by the names gradproof's
    counterexamples use (``w^2_12``, ``b^3_1``, ``x_1``, ``y_2``), the logistic σ."""

    def __init__(self, sizes, values: dict, cost: str = "quadratic"):
        self.sizes, self.L, self.cost_name = tuple(sizes), len(sizes), cost
        mp.dps = 40
        v = {k: mpmath.mpf(Fraction(x).numerator) / Fraction(x).denominator for k, x in values.items()}
        n = self.sizes
        self.x = [v[f"x_{k + 1}"] for k in range(n[0])]
        self.y = [v[f"y_{j + 1}"] for j in range(n[-1])]
        self.W = {l: [[v[f"w^{l}_{j + 1}{k + 1}"] for k in range(n[l - 2])] for j in range(n[l - 1])]
                  for l in range(2, self.L + 1)}
        self.b = {l: [v[f"b^{l}_{j + 1}"] for j in range(n[l - 1])] for l in range(2, self.L + 1)}

    @staticmethod
    def sigma(u):
        return 1 / (1 + mpmath.exp(-u))

    def sigma_prime(self, u):
        return self.sigma(u) * (1 - self.sigma(u))

    def forward(self, W=None, b=None, start=None):
        """Every z^l and a^l; ``start`` = (l, 'z' or 'a', values) replaces layer l's z or a."""
        W, b = W or self.W, b or self.b
        a, z = {1: list(self.x)}, {}
        for l in range(2, self.L + 1):
            z[l] = [sum(W[l][j][k] * a[l - 1][k] for k in range(len(a[l - 1]))) + b[l][j]
                    for j in range(len(b[l]))]
            if start and start[0] == l and start[1] == "z":
                z[l] = list(start[2])
            a[l] = [self.sigma(u) for u in z[l]]
            if start and start[0] == l and start[1] == "a":
                a[l] = list(start[2])
        return z, a

    def cost(self, aL):
        if self.cost_name == "quadratic":
            return sum((u - t) ** 2 for u, t in zip(aL, self.y)) / 2
        return -sum(t * mpmath.log(u) + (1 - t) * mpmath.log(1 - u) for u, t in zip(aL, self.y))

    def C(self, **kw):
        return self.cost(self.forward(**kw)[1][self.L])

    def delta(self, l, j):
        z, _ = self.forward()
        def f(u):
            zz = list(z[l])
            zz[j - 1] = u
            return self.C(start=(l, "z", zz))
        return mpmath.diff(f, z[l][j - 1])

    def dC_dw(self, l, j, k):
        def f(u):
            W = {m: [row[:] for row in M] for m, M in self.W.items()}
            W[l][j - 1][k - 1] = u
            return self.C(W=W)
        return mpmath.diff(f, self.W[l][j - 1][k - 1])

    def dC_db(self, l, j):
        def f(u):
            b = {m: row[:] for m, row in self.b.items()}
            b[l][j - 1] = u
            return self.C(b=b)
        return mpmath.diff(f, self.b[l][j - 1])

    def a(self, l, k):
        return self.forward()[1][l][k - 1]

    def z(self, l, j):
        return self.forward()[0][l][j - 1]


def close(u, v) -> bool:
    return abs(u - v) <= mpmath.mpf(10) ** -20 * (1 + abs(u) + abs(v))


def reported(value: str):
    """A verdict's value: an exact rational, or a decimal shown with '…' (12 digits)."""
    text = value.split(" ")[0].rstrip("…")
    return mpmath.mpf(Fraction(text).numerator) / Fraction(text).denominator if "/" in text else mpmath.mpf(text)


def shown_close(u, shown: str) -> bool:
    """``u`` is the value shown (12 significant digits)."""
    return abs(u - reported(shown)) <= mpmath.mpf(10) ** -11 * (abs(u) + mpmath.mpf(10) ** -30)


# --- the book's equations: proved for every depth and width ------------------------------------

BOOK = [
    (r"\frac{\partial C}{\partial b^l_j} = \delta^l_j", "", {"bp3"}),
    (r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j", "", {"bp4"}),
    (r"\delta^L_j = \frac{\partial C}{\partial a^L_j} \sigma'(z^L_j)", "", {"bp1"}),
    (r"\delta^l_j = \sigma'(z^l_j) \sum_k w^{l+1}_{kj} \delta^{l+1}_k", "", {"bp2"}),
    (r"\delta^L = \nabla_a C \odot \sigma'(z^L)", "", {"bp1"}),
    (r"\delta^l = \left((w^{l+1})^T \delta^{l+1}\right) \odot \sigma'(z^l)", "", {"bp2"}),
    (r"\frac{\partial C}{\partial b^l} = \delta^l", "", {"bp3"}),
    (r"\frac{\partial C}{\partial w^l} = \delta^l (a^{l-1})^T", "", {"bp4"}),
    ("diff(C, b) = delta", "", {"bp3"}),
    (r"\delta^L = (a^L - y) \odot \sigma'(z^L)", "cost=quadratic", {"bp1"}),
    (r"\delta^L_j = a^L_j - y_j", "cost=cross_entropy", {"cross_entropy_output_error"}),
    (r"\delta^L = a^L - y", "cost=cross_entropy", {"cross_entropy_output_error"}),
    (r"\delta^L_j = a^L_j - y_j", "cost=log_likelihood", {"log_likelihood_gradient"}),
    (r"\frac{\partial C}{\partial b^L_j} = a^L_j - y_j", "cost=log_likelihood",
     {"bp3", "log_likelihood_gradient"}),
]


@pytest.mark.parametrize("claim,network,theorems", BOOK)
def test_the_books_equations_are_proved_for_every_depth_and_width(claim, network, theorems):
    asked = []
    v = verify_in_network(claim, network=network, prove=lambda t: asked.append(t) or _proved())
    assert v.status is PROVED, v.detail
    assert "for every depth L and widths n_l" in v.detail
    assert set(asked) == theorems and all(t in v.method for t in theorems)


def _proved():
    from gradproof.derive.core.outcome import Outcome
    return Outcome(PROVED, "test")


def test_a_theorem_that_is_not_proved_is_not_relied_on():
    from gradproof.derive.core.outcome import Outcome

    v = verify_in_network(BOOK[0][0], prove=lambda t: Outcome(UNDECIDED, "test"))
    assert v.status is UNDECIDED and "theorem bp3 is undecided" in v.detail


def test_the_theorems_relied_on_are_the_registrys_proved_ones():
    v = verify_in_network(BOOK[0][0])  # proves bp3 afresh
    assert v.status is PROVED and v.method.startswith("theorems bp3 as rules")


# --- the slips: refuted with an explicit network, checked by the oracle ---------------------------

SLIPS = [
    # BP4 with the wrong layer
    (r"\frac{\partial C}{\partial w^l_{jk}} = a^l_k \delta^l_j", "",
     lambda o, b: (o.dC_dw(b["l"], b["j"], b["k"]), o.a(b["l"], b["k"]) * o.delta(b["l"], b["j"]))),
    # ∂C/∂b = 2δ
    (r"\frac{\partial C}{\partial b^l_j} = 2\delta^l_j", "",
     lambda o, b: (o.dC_db(b["l"], b["j"]), 2 * o.delta(b["l"], b["j"]))),
    # the cross-entropy output error keeping σ′
    (r"\delta^L_j = (a^L_j - y_j)\sigma'(z^L_j)", "cost=cross_entropy",
     lambda o, b: (o.delta(o.L, b["j"]),
                   (o.a(o.L, b["j"]) - o.y[b["j"] - 1]) * o.sigma_prime(o.z(o.L, b["j"])))),
    # BP2 without the transpose, in index form (refuted on values where the widths agree)
    (r"\delta^l_j = \sigma'(z^l_j) \sum_k w^{l+1}_{jk} \delta^{l+1}_k", "",
     lambda o, b: (o.delta(b["l"], b["j"]),
                   o.sigma_prime(o.z(b["l"], b["j"])) * sum(
                       o.W[b["l"] + 1][b["j"] - 1][k] * o.delta(b["l"] + 1, k + 1)
                       for k in range(o.sizes[b["l"]])))),
]


@pytest.mark.parametrize("claim,network,sides", SLIPS)
def test_a_slip_is_refuted_on_an_explicit_network_whose_values_the_oracle_confirms(claim, network, sides):
    v = verify_in_network(claim, network=network)
    assert v.status is REFUTED and v.method.startswith("explicit network"), v.detail
    sizes = tuple(int(n) for n in v.method.split()[-1].split("-"))
    assert sizes in NETWORKS
    values = dict(v.counterexample)
    binding = {k: int(values.pop(k)) for k in ("l", "j", "k") if k in values}
    ctx = NetworkContext.parse(network)
    oracle = Oracle(sizes, values, ctx.costs[0] if "cross-entropy" not in v.detail else "cross_entropy")
    left, right = sides(oracle, binding)
    assert shown_close(left, v.lhs_value) and shown_close(right, v.rhs_value)
    assert not close(left, right)
    assert all(Fraction(x) for x in values.values()) is not None  # every value an exact rational


def test_bp2_without_the_transpose_is_refuted_on_the_shapes_where_the_widths_differ():
    v = verify_in_network(r"\delta^l = (w^{l+1} \delta^{l+1}) \odot \sigma'(z^l)")
    assert v.status is REFUTED
    assert "refuted on the shapes" in v.detail and "multiplies a 2×3 by a 2×1" in v.detail
    w = verify_in_network(r"\frac{\partial C}{\partial w^l} = \delta^l a^{l-1}")
    assert w.status is REFUTED and w.method == "shapes" and "multiplies a 3×1 by a 2×1" in w.detail


def test_a_claim_true_only_for_the_logistic_sigma_is_refuted_with_tanh_when_sigma_is_any():
    claim = r"\sigma'(z^L_j) = \sigma(z^L_j)(1 - \sigma(z^L_j))"
    v = verify_in_network(claim)
    assert v.status is REFUTED and "σ tanh" in v.detail
    assert verify_in_network(claim, network="output=sigmoid").status is PROVED


def test_a_matrix_claim_that_holds_only_at_some_sizes_is_not_proved():
    # (w^{l+1})^T w^{l+1} δ^l = δ^l is false: refuted, never "holds"
    v = verify_in_network(r"(w^{l+1})^T w^{l+1} \delta^l = \delta^l")
    assert v.status is REFUTED


# --- reading -------------------------------------------------------------------------------------

@pytest.mark.parametrize("claim,read_as", [
    ("diff(C, b) = delta", "∂C/∂b^l_j = δ^l_j"),                    # bare letters: neuron j of layer l
    (r"\delta_j = a_j - y_j", "δ^L_j = a^L_j − y_j"),                # unwritten layer: the output's
    (r"\delta^L = a^L - y", "δ^L = a^L − y"),                        # y beside a layer: the column
])
def test_what_is_read_is_shown_in_the_books_notation(claim, read_as):
    v = verify_in_network(claim, network="cost=cross_entropy")
    assert v.read_as.replace("−y + a^L", "a^L − y") == read_as


@pytest.mark.parametrize("claim,message", [
    ("diff(C, w) = 0", "a bare w is not read in the network"),
    (r"\delta^L = \nabla_a C \odot \sigma'(z)", "a bare z beside a whole layer"),
    ("x + 1 = 1 + x", "names no quantity of the network"),
])
def test_a_claim_that_cannot_be_read_in_the_network_is_refused_in_one_line(claim, message):
    with pytest.raises(ValueError, match=message) as e:
        verify_in_network(claim)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("options,message", [
    ("cost=bogus", "unknown cost 'bogus'"), ("output=relu", "unknown output 'relu'"),
    ("cost=quadratic output=softmax", "not a network of the book"), ("depth=3", "is not an option"),
    ("cost=quadratic cost=quadratic", "given twice"),
])
def test_bad_network_options_are_refused_with_the_fix(options, message):
    with pytest.raises(ValueError, match=message):
        NetworkContext.parse(options)


def test_the_defaults_follow_the_book():
    assert NetworkContext.parse("") == NetworkContext("any", "any")
    assert NetworkContext.parse("cost=cross_entropy").output == "sigmoid"
    assert NetworkContext.parse("cost=log-likelihood").output == "softmax"


def test_a_network_quantity_is_told_from_plain_algebra():
    assert has_network_quantity(read(r"\delta^l_j").sides[0])
    assert has_network_quantity(read("C").sides[0])
    assert not has_network_quantity(read("x + eta").sides[0])
    assert InNetwork().names_quantity(r"\frac{\partial C}{\partial w^l_{jk}}")
    assert not InNetwork().names_quantity("1/(1 + e^{-x})")


# --- adversarial: random claims from the book's atoms, every verdict checked by the oracle ---------

ATOMS = {
    r"\delta^l_j": lambda o, l, j, k: o.delta(l, j),
    r"\frac{\partial C}{\partial b^l_j}": lambda o, l, j, k: o.dC_db(l, j),
    r"\frac{\partial C}{\partial z^l_j}": lambda o, l, j, k: o.delta(l, j),
    r"\frac{\partial C}{\partial w^l_{jk}}": lambda o, l, j, k: o.dC_dw(l, j, k),
    r"a^{l-1}_k": lambda o, l, j, k: o.a(l - 1, k),
    r"a^l_j": lambda o, l, j, k: o.a(l, j),
    r"\sigma'(z^l_j)": lambda o, l, j, k: o.sigma_prime(o.z(l, j)),
    r"w^l_{jk}": lambda o, l, j, k: o.W[l][j - 1][k - 1],
    r"b^l_j": lambda o, l, j, k: o.b[l][j - 1],
}


def _side(atoms, coefficient):
    text = f"{coefficient} " + " ".join(atoms) if atoms else str(coefficient)
    def value(o, l, j, k):
        out = mpmath.mpf(coefficient)
        for a in atoms:
            out *= ATOMS[a](o, l, j, k)
        return out
    return text, value


_SIDE = st.tuples(st.lists(st.sampled_from(sorted(ATOMS)), min_size=1, max_size=2),
                  st.sampled_from([1, 2, -1]))


@settings(max_examples=10, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(left=_SIDE, right=_SIDE)
def test_no_random_claim_about_the_network_gets_a_verdict_the_oracle_contradicts(left, right):
    checked_by_the_oracle(*_side(*left), *_side(*right))


def test_every_equation_between_two_of_the_books_quantities_gets_a_verdict_the_oracle_confirms():
    """All 36 pairs of the atoms: each proved one holds on a network it was not checked on, each
    refuted one differs at its counterexample (and the three true ones are proved)."""
    statuses = [checked_by_the_oracle(*_side([a], 1), *_side([b], 1))
                for a, b in itertools.combinations(sorted(ATOMS), 2)]
    assert statuses.count(PROVED) == 3 and statuses.count(REFUTED) == 33


def checked_by_the_oracle(ltext, lvalue, rtext, rvalue):
    v = verify_in_network(f"{ltext} = {rtext}", time_limit=60)
    if v.status is PROVED:  # it must hold on a network it was not checked on, everywhere
        sizes = (2, 3, 3, 2)
        names = [f"x_{i}" for i in (1, 2)] + [f"y_{i}" for i in (1, 2)]
        for l in range(2, 5):
            names += [f"b^{l}_{j}" for j in range(1, sizes[l - 1] + 1)]
            names += [f"w^{l}_{j}{k}" for j in range(1, sizes[l - 1] + 1) for k in range(1, sizes[l - 2] + 1)]
        values = {n: Fraction((7 * i) % 11 - 5, 4 + i % 3) for i, n in enumerate(names)}
        oracle = Oracle(sizes, values)
        for l, j, k in itertools.product(range(2, 5), (1, 2), (1, 2)):
            assert close(lvalue(oracle, l, j, k), rvalue(oracle, l, j, k)), (ltext, rtext, l, j, k)
    elif v.status is REFUTED and v.counterexample and "σ tanh" not in v.detail:  # the oracle's σ is the logistic
        values = dict(v.counterexample)
        binding = [int(values.pop(s, "1")) for s in ("l", "j", "k")]
        sizes = tuple(int(n) for n in v.method.split()[-1].split("-"))
        oracle = Oracle(sizes, values, "cross_entropy" if "cross-entropy" in v.detail else "quadratic")
        lhs, rhs = lvalue(oracle, *binding), rvalue(oracle, *binding)
        assert shown_close(lhs, v.lhs_value) and shown_close(rhs, v.rhs_value), (ltext, rtext)
        assert not close(lhs, rhs), (ltext, rtext, v.detail)
    return v.status


# --- found by an adversarial pass: each a regression test ----------------------------------------

def test_a_sum_of_sigmas_is_not_taken_for_a_constant_in_the_general_step():
    """σ(z_k) inside ∑_k once lost its k (a shared free-symbol set that SymPy edited in place),
    and the atoms of the final cancel were taken inside sums: this false claim was proved."""
    factor = r"(1-\delta_{j,1})(1-\delta_{j,2}) "
    claim = (factor + r"\left(\sum_{k=1}^{2} w^L_{jk} \sigma(z^{L-1}_k)\right)"
             r"\left(\sum_{k=1}^{2} \sigma'(z^{L-1}_k)\right) = "
             + factor + r"\left(\sum_{k=1}^{2} w^L_{jk} \sigma'(z^{L-1}_k)\right)"
             r"\left(\sum_{k=1}^{2} \sigma(z^{L-1}_k)\right)")
    assert verify_in_network(claim).status is not PROVED
    k, z = index("k"), sp.IndexedBase("z")
    s = sigma(z[k])
    sp.Sum(s, (k, 1, 2)).free_symbols
    assert k in s.free_symbols


@pytest.mark.parametrize("claim,network", [
    (r"(\delta^L)^T = (a^L - y)^T", "cost=cross_entropy"),                # y under a transpose: a column
    (r"\delta^l_j = \sum_{k=1}^{n_{l+1}} w^{l+1}_{kj}\delta^{l+1}_k\sigma'(z^l_j)", ""),  # n_l read
    (r"a^L_j = \sigma(z^L_j)", "cost=quadratic"),
])
def test_true_claims_the_adversarial_pass_saw_refuted_or_refused_are_proved(claim, network):
    v = verify_in_network(claim, network=network)
    assert v.status is PROVED, v.detail
    assert "nothing" not in v.method


@pytest.mark.parametrize("claim,network", [
    (r"(\delta^l)^T \delta^l = \|\delta^l\|^2", ""),                     # a 1×1 product is a number
    (r"\sigma'(z^l) = a^l \odot (1 - a^l)", "output=sigmoid"),              # 1 − a^l: each entry
    (r"2C = (a^L - y)^T (a^L - y)", "cost=quadratic"),
])
def test_true_whole_layer_claims_are_not_refuted(claim, network):
    assert verify_in_network(claim, network=network).status is not REFUTED


def test_n_l_as_a_bound_that_does_not_fit_is_refuted_on_the_shapes():
    v = verify_in_network(r"\delta^l_j = \sum_{k=1}^{n_l} w^{l+1}_{kj}\delta^{l+1}_k\sigma'(z^l_j)")
    assert v.status is REFUTED and v.method == "shapes" and "w^3_31 is not in the network 2-3-2" in v.detail


@pytest.mark.parametrize("claim,message", [
    (r"\nabla_z C = \nabla_a C", "∇_z C' is not read in the network"),      # was read as ∇_a C
    (r"\nabla_b C = \delta^L", "is not read in the network"),
    ("a^1 = x", "a power of a bare a"),
    (r"\delta^{l/2}_j = 0", "l names a layer"),
    (r"\frac{\partial C}{\partial L} = 0", "L names a layer"),
    (r"\frac{\partial z^l}{\partial b^l} = 1", "a Jacobian"),
    (r"\frac{\partial C}{\partial y_j} = 0", "a derivative by the data"),
    (r"\sum_{k=1}^{100000000} \delta^L_1 = 0", "more than 1000 terms"),
    (r"\delta^l_{j+1} = \delta^l_{j+1}", "write a neuron index as a letter"),
    (r"\sum_{l=2}^{L} \delta^l_1 = 0", "a sum over the layers"),
])
def test_misreadings_and_hangs_the_adversarial_pass_found_are_refused(claim, message):
    with pytest.raises(ValueError, match=message):
        verify_in_network(claim, network="cost=log_likelihood" if "y_j" in claim else "")


def test_a_truncated_check_says_so_and_does_not_hide_a_refutation():
    """Once only the first 48 assignments were tried (all at l = 2, where a^{l-1} is x): now every
    layer is tried, 48 spread assignments each, and the verdict says so."""
    b = r"\frac{\partial C}{\partial b^l_p}\frac{\partial C}{\partial b^l_q}\frac{\partial C}{\partial b^l_r}"
    v = verify_in_network(b + r"\frac{\partial C}{\partial w^l_{jk}} = \delta^l_p\delta^l_q\delta^l_r x_k \delta^l_j")
    assert v.status is REFUTED and v.counterexample["l"] == "3"
    u = verify_in_network(b + r"\frac{\partial C}{\partial b^l_j} = \delta^l_p\delta^l_q\delta^l_r\delta^l_j")
    assert u.status is PROVED and "at most 48 per layer, spread over more" in u.detail


# --- found by a second adversarial pass ------------------------------------------------------------

@pytest.mark.parametrize("claim", [
    r"\sum_{k=1}^{2} \delta_{jk} a^L_k = a^L_j",              # the collapse assumed j ≤ 2
    r"y_j \sum_{k=1}^{n_{L-1}} \delta_{jk} = y_j",              # ... j ≤ n_{L-1}
    r"\sum_j y_j \sum_{k=1}^{n_{L-1}} \delta_{jk} = \sum_j y_j",
    r"\sum_{k=n_l}^{3} a^l_j = (4 - n_l) a^l_j",               # SymPy's sum with hi < lo is not empty
    r"\sum_k x_k y_k = \sum_{k=1}^{n_L} x_k y_k",               # k runs over x's n_1 and y's n_L
])
def test_claims_true_on_the_three_networks_but_false_in_general_are_not_proved(claim):
    """Each holds on 2-3-2, 2-2-2 and 2-3-2-2 (widths 2 and 3 only) and fails on a network of other
    widths (2-3-3, 2-5-2, 3-4-2): the general step must not prove it."""
    assert verify_in_network(claim).status is not PROVED


def test_a_kronecker_collapse_within_the_range_the_claim_names_is_proved():
    assert verify_in_network(r"\sum_k \delta_{jk} a^L_k = a^L_j").status is PROVED


@pytest.mark.parametrize("claim", [
    r"\sum_j \sum_k \frac{\partial C}{\partial w^l_{jk}} = \sum_j \sum_k a^{l-1}_k \delta^l_j",
    r"\sum_{i=1}^{2} \sum_{k=1}^{2} a^L_j = 4 a^L_j",
    r"\sum_k \delta_{jk} a^L_k \sum_j y_j = a^L_j \sum_j y_j",   # j free and bound
])
def test_double_sums_and_an_index_both_free_and_bound_get_a_verdict(claim):
    """A double sum once recursed until 'nested too deeply' (and proofread exited 4)."""
    assert verify_in_network(claim).status is not REFUTED
