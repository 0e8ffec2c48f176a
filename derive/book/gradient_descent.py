r"""Chapter 1: the quadratic cost, gradient descent and stochastic gradient descent.

Three theorems of the group ``cost``:

* ``quadratic_cost_gradient`` — for :math:`C = \tfrac12\|y-a\|^2` (eq. 6, one training input),
  :math:`\partial C/\partial a_j = a_j - y_j`, and :math:`C \ge 0` with equality iff :math:`a = y`;
* ``gradient_descent_step`` — with :math:`\Delta v = -\eta\nabla C` the first-order change is
  :math:`\Delta C \approx \nabla C\cdot\Delta v = -\eta\|\nabla C\|^2 \le 0` (eqs. 9-11);
* ``sgd_minibatch_update`` — the mini-batch rule :math:`w_k' = w_k - \frac{\eta}{m}\sum_j
  \partial C_{X_j}/\partial w_k` (eqs. 20, 21), and the mini-batch mean gradient is an unbiased
  estimate of the full mean gradient.

Index-form statements use ``IndexedBase`` with a symbolic width ``n``; differentiating a ``Sum``
gives a Kronecker delta, which ``doit`` evaluates to a ``Piecewise`` on ``j <= n`` -- the rewrite
:func:`_kronecker` then uses the hypothesis ``1 <= j <= n`` (``j`` is a positive integer).
"""
from __future__ import annotations

import itertools

import sympy as sp

from ..core.indexed import KRONECKER_REWRITE as _KRONECKER, kronecker_rewrite as _kronecker
from ..core.prover import holds
from ..core.display import Display, Update, display, half, norm_sq, symbol_named
from ..core.theorem import Derivation, Part, Reading, Step, theorem

i, j, k, n, m = sp.symbols("i j k n m", integer=True, positive=True)
from .updates import eta  # noqa: E402  the learning rate η, shared with the printed update rules



@theorem("quadratic_cost_gradient", "Gradient of the quadratic cost", "cost", equation="(6)")
def quadratic_cost_gradient() -> Derivation:
    r"""Book eq. (6) for one input: :math:`C = \frac12\|y-a\|^2 = \frac12\sum_i (y_i-a_i)^2`.

    :math:`\partial C/\partial a_j = a_j - y_j`; :math:`C \ge 0`, and :math:`C = 0 \iff a = y`.
    (The book's :math:`C(w,b) = \frac1{2n}\sum_x \|y(x)-a\|^2` is the mean of these.)
    """
    ya, aa = sp.IndexedBase("y", real=True), sp.IndexedBase("a", real=True)
    C = sp.Sum((ya[i] - aa[i]) ** 2, (i, 1, n)) / 2
    dC = sp.diff(C, aa[j])
    rhs = aa[j] - ya[j]

    # The same claim at a concrete width 3, fully expanded.
    A = sp.symbols("a_1:4", real=True)
    Y = sp.symbols("y_1:4", real=True)
    C3 = sum((yy - av) ** 2 for yy, av in zip(Y, A)) / 2

    def nonnegative() -> bool:
        # Each term (y_i - a_i)^2 is the square of a real number, so the sum (any width) is ≥ 0.
        return bool(((ya[i] - aa[i]) ** 2).is_nonnegative and C.is_nonnegative
                    and C3.is_nonnegative)

    def zero_iff_equal() -> bool:
        # C3 ≥ ½(y_k - a_k)^2 for each k (the rest is a sum of squares), so C3 = 0 forces
        # (y_k - a_k)^2 = 0, whose only solution is a_k = y_k; conversely C3(a = y) = 0.
        terms = [(yy - av) ** 2 / 2 for yy, av in zip(Y, A)]
        for t, yy, av in zip(terms, Y, A):
            rest = sp.Add(*[u for u in terms if u is not t])
            if sp.expand(C3 - t - rest) != 0 or not rest.is_nonnegative:
                return False
            if sp.solve((yy - av) ** 2, av) != [yy]:
                return False
        return C3.xreplace(dict(zip(A, Y))) == 0

    steps = [
        Step(sp.Eq(sp.Symbol("C"), C), "eq. (6) for a single training input x"),
        Step(sp.Eq(sp.Derivative(sp.Symbol("C"), aa[j]), dC),
             "differentiate term by term: $∂a_i/∂a_j$ is the Kronecker delta $δ_{ij}$"),
        Step(sp.Eq(sp.Derivative(sp.Symbol("C"), aa[j]), rhs),
             "only the term i = j survives (1 ≤ j ≤ n); the ½ cancels the 2 of the square"),
        Step(sp.Ge(C, 0, evaluate=False), "a sum of squares of real numbers is nonnegative"),
        Step(sp.Equivalent(sp.Eq(C, 0), sp.Eq(sp.Symbol("a"), sp.Symbol("y"))),
             "$C ≥ \\frac12 (y_k − a_k)^2$ for every $k$, so $C = 0$ forces each $a_k = y_k$; and $C = 0$ at $a = y$"),
    ]
    iff = sp.Equivalent(sp.Eq(C, 0), sp.Eq(sp.Symbol("a"), sp.Symbol("y")))
    return Derivation(
        statement=[sp.Eq(sp.Derivative(sp.Symbol("C"), aa[j]), rhs), sp.Ge(C, 0, evaluate=False), iff],
        steps=steps,
        obligations=[lambda: holds(nonnegative, "sign", "C is a sum of squares of reals")],
        assumptions="$a_i$, $y_i$ real; width $n$ symbolic (index form) and 3 (concrete); $1 ≤ j ≤ n$",
        readings=[Reading({sp.Symbol("C"): C}, lambda e: _kronecker(j, n)(e.doit()), "doit, " + _KRONECKER,
                          ("structural", "expand"))],
        # an equivalence of vector equations: decided by its own check, at width 3
        facts={iff: lambda: holds(zero_iff_equal, "sign + solve", "C = 0 iff a = y (width 3)")},
        parts=[Part("∂C/∂a_j = a_j − y_j and C ≥ 0, width n", True),
               Part("C = 0 ⟺ a = y", False, "width 3")],
    )


@display("quadratic_cost_gradient")
def _quadratic_cost_gradient_form(s):
    r"""The cost as the book writes it, :math:`\tfrac12\|y - a\|^2`, in the bound and the equivalence."""
    grad, nonneg, iff = s
    (total,) = nonneg.atoms(sp.Sum)
    cost = half(norm_sq(total))
    eqs = [a for a in iff.args if not a.has(sp.Sum)]
    return Display((None, sp.Ge(cost, 0, evaluate=False),
                    sp.Equivalent(sp.Eq(cost, 0, evaluate=False), *eqs, evaluate=False)))


@theorem("gradient_descent_step", "Gradient descent decreases the cost to first order", "cost",
         equation="(9)-(11)")
def gradient_descent_step() -> Derivation:
    r"""Book eqs. (9)-(11): :math:`\Delta C \approx \nabla C\cdot\Delta v`, and with
    :math:`\Delta v = -\eta\nabla C`, :math:`\Delta C \approx -\eta\|\nabla C\|^2 \le 0`.

    The first-order change is :math:`\frac{d}{dt} C(v + t\Delta v)\big|_{t=0}` (chain rule),
    shown for 3 variables with C an undefined function; the sign needs :math:`\eta > 0`.
    """
    Cf = sp.Function("C")
    v = sp.symbols("v_1:4", real=True)
    dv = sp.symbols(r"\Delta{v}_1:4", real=True)
    t = sp.Symbol("t", real=True)
    first_order = sp.diff(Cf(*[vi + t * di for vi, di in zip(v, dv)]), t).subs(t, 0)
    grad = [sp.Derivative(Cf(*v), vi) for vi in v]
    dot = sum(gi * di for gi, di in zip(grad, dv))
    step = {di: -eta * gi for di, gi in zip(dv, grad)}  # Δv = −η∇C, eq. (10)
    dC = dot.xreplace(step)
    norm2 = sum(gi ** 2 for gi in grad)

    # The sign, with the gradient's components as real numbers g_i (any values).
    g3 = sp.symbols("g_1:4", real=True)
    dC_g = -eta * sum(gi ** 2 for gi in g3)
    # Index form, symbolic dimension n.
    g = sp.IndexedBase("g", real=True)
    dot_n = sp.Sum(g[i] * (-eta * g[i]), (i, 1, n))
    rhs_n = -eta * sp.Sum(g[i] ** 2, (i, 1, n))

    DC = sp.Symbol(r"\Delta{C}")
    steps = [
        Step(sp.Eq(DC, first_order.doit()),
             "first-order change of C along Δv: d/dt C(v + tΔv) at t = 0, by the chain rule (eq. 9)"),
        Step(sp.Eq(DC, sp.Symbol(r"\nabla C \cdot \Delta v")),
             "that is $∇C · Δv$, with $∇C = (∂C/∂v_1, ∂C/∂v_2, ∂C/∂v_3)^T$"),
        Step(sp.Eq(DC, dC), "choose Δv = −η∇C (eq. 10)"),
        Step(sp.Eq(DC, -eta * norm2), "factor out −η: ΔC ≈ −η‖∇C‖² (eq. 11)"),
        Step(sp.Le(dC_g, 0, evaluate=False), "η > 0 and ‖∇C‖² is a sum of squares of reals, so ΔC ≤ 0"),
        Step(sp.Eq(dot_n, rhs_n), "the same in n dimensions: η is a constant factor of the sum"),
    ]
    return Derivation(
        statement=[sp.Eq(DC, dot), sp.Eq(dC, -eta * norm2, evaluate=False),
                   sp.Le(dC_g, 0, evaluate=False), sp.Eq(dot_n, rhs_n, evaluate=False),
                   sp.Le(rhs_n, 0, evaluate=False)],
        steps=steps,
        obligations=[],
        assumptions="η > 0; v, Δv and ∇C real; dimension 3 (concrete) and n (index form)",
        # ΔC is the first-order change d/dt C(v + tΔv) at t = 0
        readings=[Reading({DC: first_order}, methods=("doit", "expand")),
                  Reading(prepare=sp.factor_terms, prepare_name="factor_terms (η out of the sum)",
                          methods=("structural",))],
        parts=[Part("ΔC = ∇C·Δv = −η‖∇C‖² ≤ 0", False, "dimension 3 (C any differentiable function)"),
               Part("Σ_i g_i(−η g_i) = −η Σ_i g_i² ≤ 0", True)],
    )


#: (n, m) pairs for which unbiasedness is checked over every one of the C(n, m) mini-batches.
UNBIASED_CASES: tuple[tuple[int, int], ...] = ((4, 2), (5, 2), (5, 3), (6, 3))


def minibatch_average(n_: int, m_: int) -> tuple[sp.Expr, sp.Expr]:
    r"""The mean over all :math:`\binom{n}{m}` mini-batches of the mini-batch mean gradient, and the
    full mean gradient, in the per-example gradients :math:`g_1..g_n` (symbols)."""
    gs = sp.symbols(f"g_1:{n_ + 1}", real=True)
    batches = list(itertools.combinations(gs, m_))
    avg = sum(sp.Add(*batch) / m_ for batch in batches) / len(batches)
    return avg, sp.Add(*gs) / n_


@theorem("sgd_minibatch_update", "Mini-batch update rule, an unbiased gradient estimate", "cost",
         equation="(20), (21)")
def sgd_minibatch_update() -> Derivation:
    r"""Book eqs. (18)-(21): :math:`\nabla C \approx \frac1m\sum_{j=1}^m \nabla C_{X_j}` gives
    :math:`w_k' = w_k - \frac{\eta}{m}\sum_j \partial C_{X_j}/\partial w_k` (20) and
    :math:`b_l' = b_l - \frac{\eta}{m}\sum_j \partial C_{X_j}/\partial b_l` (21).

    Unbiased: averaged over all :math:`\binom nm` mini-batches, the mini-batch mean gradient is
    the full mean :math:`\frac1n\sum_x \nabla C_x` -- each example lies in
    :math:`\binom{n-1}{m-1}` batches and :math:`\binom{n-1}{m-1}/(m\binom nm) = 1/n`.
    """
    w_k, b_l = sp.symbols("w_k b_l", real=True)
    gw = sp.IndexedBase("g^{w_k}", real=True)  # g^{w_k}_j = ∂C_{X_j}/∂w_k
    gb = sp.IndexedBase("g^{b_l}", real=True)  # g^{b_l}_j = ∂C_{X_j}/∂b_l
    est_w = sp.Sum(gw[j], (j, 1, m)) / m  # eq. (19), the w_k component
    est_b = sp.Sum(gb[j], (j, 1, m)) / m
    rule_w = w_k - eta / m * sp.Sum(gw[j], (j, 1, m))
    rule_b = b_l - eta / m * sp.Sum(gb[j], (j, 1, m))
    share = sp.binomial(n - 1, m - 1) / (m * sp.binomial(n, m))
    w_new, b_new = sp.symbols("w'_k b'_l", real=True)

    steps = [
        Step(sp.Eq(sp.Derivative(sp.Symbol("C"), w_k), est_w),
             "estimate $∂C/∂w_k$ by the mean of $g^{w_k}_j = ∂C_{X_j}/∂w_k$ over a mini-batch "
             "$X_1, …, X_m$ (eq. 19)"),
        Step(sp.Eq(w_new, sp.Add(w_k, sp.Mul(-1, eta, est_w, evaluate=False), evaluate=False)),
             "gradient descent $w_k → w_k' = w_k − η\\, ∂C/∂w_k$ with that estimate"),
        Step(sp.Eq(w_new, sp.Add(w_k, sp.Mul(-1, eta / m, sp.Sum(gw[j], (j, 1, m)), evaluate=False),
                                 evaluate=False)), "move 1/m out: eq. (20)"),
        Step(sp.Eq(b_new, sp.Add(b_l, sp.Mul(-1, eta / m, sp.Sum(gb[j], (j, 1, m)), evaluate=False),
                                 evaluate=False)), "the same for the biases: eq. (21)"),
        Step(sp.Eq(share, 1 / n),
             "each example lies in C(n−1, m−1) of the C(n, m) mini-batches, with weight 1/m in "
             "each: averaged over all mini-batches the estimate is the full mean gradient "
             "(unbiased); also expanded exactly over every mini-batch for (n, m) = "
             + ", ".join(map(str, UNBIASED_CASES))),
    ]

    def counted_by_enumeration(n_: int, m_: int):
        # the count the proof uses, by listing every mini-batch: example 1 lies in C(n−1, m−1)
        return lambda: holds(lambda: sum(1 for bt in itertools.combinations(range(n_), m_) if 0 in bt)
                             == sp.binomial(n_ - 1, m_ - 1), "enumeration",
                             f"example 1 lies in C(n−1, m−1) mini-batches at (n, m) = ({n_}, {m_})")

    # Unbiasedness for symbolic n, m: averaged over the C(n, m) mini-batches, the mini-batch mean
    # (1/m) Σ_{x ∈ batch} g_x counts each g_x in C(n−1, m−1) batches (choose the other m − 1
    # among n − 1), so its mean is Σ_x g_x · C(n−1, m−1)/(m C(n, m)).
    g, x = sp.IndexedBase("g", real=True), sp.Symbol("x", integer=True, positive=True)
    mean_est = sp.Symbol(r"\mathbb{E}\left[\frac{1}{m}\sum_{x \in X} g_x\right]")
    full = sp.Sum(g[x], (x, 1, n)) / n
    counted = sp.binomial(n - 1, m - 1) / (m * sp.binomial(n, m)) * sp.Sum(g[x], (x, 1, n))
    premise = sp.Eq(sp.binomial(n - 1, m - 1) / sp.binomial(n, m), m / n)
    printed = {w_new: _printed("none", w_k, est_w), b_new: _printed_bias(b_l, est_b)}
    return Derivation(
        statement=[sp.Eq(w_new, rule_w), sp.Eq(b_new, rule_b), premise, sp.Eq(share, 1 / n),
                   sp.Eq(mean_est, full)],
        steps=steps,
        obligations=[counted_by_enumeration(n_, m_) for n_, m_ in UNBIASED_CASES],
        assumptions="η > 0; 1 ≤ m ≤ n; mini-batches drawn uniformly among the C(n, m) subsets",
        # w'_k, b'_l: the rules the kernels print (derive.book.updates) with the mini-batch estimate;
        # the mean over batches counted as above; binomials by combsimp
        readings=[Reading({**printed, mean_est: counted}, sp.combsimp, "combsimp",
                          ("structural", "expand"))],
        parts=[Part("w'_k = w_k − (η/m) Σ_j ∂C_{X_j}/∂w_k, and likewise b'_l (eqs. 20, 21)", True),
               Part("C(n−1, m−1)/C(n, m) = m/n and unbiasedness, for all n, m", True),
               Part("each example lies in C(n−1, m−1) mini-batches (choose the other m − 1), "
                    "also counted by enumeration at (n, m) = " + ", ".join(map(str, UNBIASED_CASES)),
                    True)],
    )


@display("sgd_minibatch_update")
def _sgd_minibatch_update_form(s):
    r"""Eqs. (20), (21): :math:`w_k \to w'_k = w_k - \frac{\eta}{m}\sum_j \ldots`, the same for b."""
    w_rule, b_rule, *rest = s  # then the counting premise, the share of each example, unbiasedness
    w_k, b_l = symbol_named(w_rule.rhs, "w_k"), symbol_named(b_rule.rhs, "b_l")

    def rule(rel, old):
        (total,) = rel.rhs.atoms(sp.Sum)
        eta = symbol_named(rel.rhs, "eta")
        m = total.limits[0][2]
        return Update(old, rel.lhs, sp.Add(old, sp.Mul(-1, eta / m, total, evaluate=False),
                                           evaluate=False))
    return Display((rule(w_rule, w_k), rule(b_rule, b_l), *[None] * len(rest)))


def _printed_bias(b: sp.Expr, grad: sp.Expr) -> sp.Expr:
    """derive.book.updates' bias rule at bias ``b`` and mean gradient ``grad``."""
    from . import updates as U
    return U.BIAS_UPDATE[0].xreplace({U.b: b, U.nabla_b: grad})


def _printed(reg: str, w: sp.Expr, grad: sp.Expr) -> sp.Expr:
    """derive.book.updates' weight rule for ``reg`` at weight ``w`` and mean gradient ``grad``."""
    from . import updates as U
    return U.WEIGHT_UPDATES[reg][0].xreplace({U.w: w, U.nabla_w: grad})


@theorem("quadratic_output_error", "Output error of the quadratic cost", "backprop", equation="(30)")
def quadratic_output_error() -> Derivation:
    r"""Book eq. (30), BP1 for :math:`C = \frac12\|y-a^L\|^2` with sigmoid outputs:
    :math:`\delta^L = (a^L - y)\odot\sigma'(z^L)`, and with :math:`\sigma' = a(1-a)` the form the
    kernels print, ``derive.book.costs.COSTS["quadratic"].delta``."""
    from .activations import ACTIVATIONS, a, sigmoid, z
    from .costs import COSTS, QUADRATIC_TERM, y

    printed = COSTS["quadratic"].delta  # in a, y
    f = ACTIVATIONS["sigmoid"].f(z)  # σ(z) = 1/(1 + e^{-z})
    dC_dz = sp.diff(QUADRATIC_TERM.xreplace({a: f}), z)  # ∂C/∂z^L_j, differentiated directly
    delta = sp.Symbol(r"\delta^L_j")
    steps = [
        Step(sp.Eq(delta, sp.Derivative(QUADRATIC_TERM, a) * sp.Derivative(sigmoid(z), z)),
             "BP1: $δ^L_j = \\frac{∂C}{∂a^L_j} σ′(z^L_j)$"),
        Step(sp.Eq(delta, (a - y) * sp.Derivative(sigmoid(z), z)), "∂/∂a ½(a − y)² = a − y (eq. 30)"),
        Step(sp.Eq(delta, printed), "$σ′(z) = σ(z)(1 − σ(z)) = a(1 − a)$ (theorem `sigmoid_prime`)"),
    ]
    return Derivation(
        statement=[sp.Eq(delta, printed)],
        steps=steps,
        obligations=[],
        assumptions="a = σ(z), z and y real; the printed δ checked against ∂C/∂z of σ(z) in exp form",
        # δ^L_j is ∂C/∂z differentiated directly, with a = σ(z) written out
        readings=[Reading({delta: dC_dz, a: f}, methods=("expand", "cancel"), refutable=True)],
        parts=[Part("δ^L = (a − y) a(1 − a), the printed form", True)],
    )
