r"""Chapter 3: the softmax output layer, the log-likelihood cost, and the log-sum-exp shift.

.. math::
    a^L_j = \frac{e^{z^L_j}}{\sum_k e^{z^L_k}} \quad (78) \qquad
    C = -\ln a^L_y \quad (80) \qquad
    \frac{\partial C}{\partial z^L_j} = a^L_j - y_j \quad (81, 84)

Index-form proofs for a symbolic number :math:`n_L` of output neurons (``Sum`` over
``IndexedBase`` entries, with the Kronecker collapse of :mod:`derive.core.indexed`), backed by exact
checks at n = 2, 3, 4 and, for the gradient, on the concrete networks of :mod:`derive.book.network`.
The output error is ``derive.book.costs.LOG_LIKELIHOOD_DELTA`` itself.

The expressions ``numerics`` prints (the ``Sum`` over the neurons of the output row as a row sum):
:data:`SOFTMAX` (eq. 78; theorems ``softmax_normalised``, ``softmax_log``), and the stable forms
with the shift :data:`SHIFT` :math:`c = \max_k z_k`, :data:`SOFTMAX_SHIFTED` and
:data:`LOGSUMEXP_SHIFTED` (theorem ``logsumexp_shift``: equal to :data:`SOFTMAX` and
:data:`LOGSUMEXP`).
"""
from __future__ import annotations

import dataclasses

import sympy as sp

from .activations import a as _a, z as _z_sym
from .costs import COSTS, LOG_LIKELIHOOD_DELTA, LOG_LIKELIHOOD_TERM, lse as _lse, y as _y
from ..core.indexed import (KRONECKER_REASON, canonical_indices, collapse_checked, collapse_kronecker,
                      index, kronecker_lemma, pull_constants)
from .network import Network, check_on_networks, softmax_layer, vanishes
from ..core.outcome import Outcome
from ..core.prover import holds, prove_equal
from ..core.theorem import Derivation, Part, Reading, Step, theorem

__all__ = ["softmax", "softmax_index", "log_softmax_index", "SOFTMAX", "SOFTMAX_SHIFTED",
           "LOGSUMEXP", "LOGSUMEXP_SHIFTED", "SHIFT"]

j, k, i = index("j"), index("k"), index("i")
n_L = index("n_L")
z = sp.IndexedBase("z^{L}", real=True)
y = sp.IndexedBase("y", real=True)
c = sp.Symbol("c", real=True)
_NS = (2, 3, 4)  # the concrete widths every index-form identity is also checked at


def softmax_index(zb: sp.IndexedBase = z, n: sp.Expr = n_L, at: sp.Expr = j, shift: sp.Expr = 0,
                  dummy: sp.Symbol = i) -> sp.Expr:
    r""":math:`a_j = e^{z_j + s}/\sum_i e^{z_i + s}` in index form (``shift`` s, default 0)."""
    return sp.exp(zb[at] + shift) / sp.Sum(sp.exp(zb[dummy] + shift), (dummy, 1, n))


def log_softmax_index(zb: sp.IndexedBase = z, n: sp.Expr = n_L, at: sp.Expr = j) -> sp.Expr:
    r""":math:`\ln a_j = z_j - \ln\sum_i e^{z_i}` (theorem ``softmax_log``)."""
    return zb[at] - sp.log(sp.Sum(sp.exp(zb[i]), (i, 1, n)))


#: Eq. (78), :math:`a^L_j = e^{z_j}/\sum_i e^{z_i}` for the output row :math:`z = z^L` (index form,
#: the sum over the row's n_L neurons); proved a probability distribution (``softmax_normalised``)
#: with :math:`\ln a_j = z_j - \mathrm{lse}` (``softmax_log``).  The textbook kernels print it.
SOFTMAX = softmax_index()
#: :math:`\mathrm{lse} = \ln\sum_k e^{z_k}` (the symbol ``derive.book.costs.lse``, theorem ``softmax_log``).
LOGSUMEXP = sp.log(sp.Sum(sp.exp(z[k]), (k, 1, n_L)))
#: The shift c of the stable forms.  ``logsumexp_shift`` holds for every real c; the kernels take
#: :math:`c = \max_k z_k`, so that every exponent is ≤ 0 and the sum is ≥ 1 (its obligation "c = max").
SHIFT = c
#: :math:`c + \ln\sum_k e^{z_k - c}`, equal to :data:`LOGSUMEXP` for every real c (``logsumexp_shift``):
#: the log-sum-exp the stable kernels print, with c = max_k z_k.
LOGSUMEXP_SHIFTED = c + sp.log(sp.Sum(sp.exp(z[k] - c), (k, 1, n_L)))
#: :math:`e^{z_j - c}/\sum_i e^{z_i - c}`, equal to :data:`SOFTMAX` for every real c
#: (``logsumexp_shift``): the softmax the stable kernels print, with c = max_k z_k.
SOFTMAX_SHIFTED = softmax_index(shift=-c)


def softmax(zs: list) -> list:
    """The softmax of a list of expressions, eq. (78)."""
    return list(softmax_layer(zs)[1])


def _reals(n: int) -> list:
    return list(sp.symbols(f"z_1:{n + 1}", real=True))


def _all_n(check, what: str, method: str) -> Outcome:
    """``check(n)`` -> bool for every n in _NS, exactly."""
    at = ", ".join(map(str, _NS))
    return holds(lambda: all(check(n) for n in _NS), f"{method} (at n = {at})", f"{what} (n = {at})")


def _zero(e: sp.Expr) -> bool:
    """e == 0 exactly: exponentials → symbols, expand (using S = Σe); see network.vanishes."""
    return vanishes(e) is not None


def _same(lhs: sp.Expr, rhs: sp.Expr) -> Outcome:
    return prove_equal(canonical_indices(lhs), canonical_indices(rhs), ("structural", "expand"))


#: :math:`\sum_{i \ne j} e^{z_i}`, positive when n_L ≥ 2 (every term is, and there is one).
_REST = sp.Symbol(r"\sum_{i \ne j} e^{z^{L}_{i}}", positive=True)
_S = sp.Sum(sp.exp(z[i]), (i, 1, n_L))


def _split_lemma() -> Outcome:
    r""":math:`\sum_i e^{z_i} = e^{z_j} + \sum_i (1 - \delta_{ij}) e^{z_i}` (Kronecker collapse):
    the softmax denominator is e^{z_j} plus the sum over the other outputs."""
    rest = sp.Sum((1 - sp.KroneckerDelta(i, j)) * sp.exp(z[i]), (i, 1, n_L))
    return prove_equal(_S, sp.exp(z[j]) + rest, ("structural", "expand"),
                       lambda e: collapse_kronecker(e)[0], "Kronecker collapse")


#: The general reading of a sign: the denominator split as e^{z_j} + Σ_{i≠j} e^{z_i} (n_L ≥ 2).
_SPLIT = Reading({_S: sp.exp(z[j]) + _REST}, methods=("cancel",))


def _by_parts(e: sp.Expr) -> sp.Expr:
    """A normal form for sums: expanded, constants out of each sum, bound indices renamed."""
    return canonical_indices(pull_constants(sp.expand(e)))


@theorem("softmax_normalised", "Softmax outputs are a probability distribution", "softmax",
         equation="(79)")
def softmax_normalised() -> Derivation:
    r"""Eq. (79): :math:`\sum_j a^L_j = 1`; :math:`0 < a^L_j < 1` (n ≥ 2); and a is unchanged when
    every :math:`z_j` is shifted by the same c."""
    a_j, a_name = SOFTMAX, sp.Symbol("a^{L}_{j}")
    total = sp.Sum(SOFTMAX, (j, 1, n_L))
    pulled = pull_constants(total)
    shifted = softmax_index(shift=c)
    shifted_pulled = pull_constants(sp.expand(shifted))
    steps = [
        Step(sp.Eq(sp.Symbol("a^{L}_{j}"), a_j), "definition of the softmax, eq. (78)"),
        Step(sp.Eq(total, pulled), "the denominator does not depend on j: take it out of the sum"),
        Step(sp.Eq(total, 1), "numerator and denominator are the same sum (eq. 79)"),
        Step(sp.Eq(a_name, sp.exp(z[j]) / (sp.exp(z[j]) + sp.Symbol(r"\sum_{k \ne j} e^{z_k}"))),
             "every $e^{z_k} > 0$: $0 < a_j$, and with $n ≥ 2$ the other terms make $a_j < 1$"),
        Step(sp.Eq(shifted, shifted_pulled), "$e^{z+c} = e^c e^z$; $e^c$ cancels"),
    ]

    def bounds(n: int) -> bool:
        zs = _reals(n)
        return all(sp.together(a).is_positive and sp.together(1 - a).is_positive for a in softmax(zs))

    return Derivation(
        statement=[sp.Eq(total, 1), sp.And(sp.Lt(0, a_name), sp.Lt(a_name, 1)),
                   sp.Eq(shifted, a_j)],
        steps=steps,
        obligations=[
            _split_lemma,
            lambda: _all_n(lambda n: _zero(sp.Add(*softmax(_reals(n))) - 1), "Σ_j a_j = 1",
                           "exp → symbols, expand"),
            lambda: _all_n(bounds, "0 < a_j < 1", "together, sign"),
            lambda: _all_n(lambda n: all(_zero(sp.expand_power_exp(u) - v) for u, v in zip(
                softmax([t + c for t in _reals(n)]), softmax(_reals(n)))), "shift invariance",
                "e^{z+c} = e^z e^c, exp → symbols, expand"),
        ],
        assumptions="$z_j$ and $c$ real; $n_L ≥ 2$ for $a_j < 1$",
        readings=[Reading(prepare=_by_parts, prepare_name="constants out of Σ",
                          methods=("structural", "expand"), each_side=True),
                  dataclasses.replace(_SPLIT, definitions={a_name: a_j, **_SPLIT.definitions})],
        parts=[Part("Σ_j a_j = 1, 0 < a_j < 1, shift invariance, for n_L outputs (also written out "
                    "at n = 2, 3, 4)", True)],
    )


@theorem("softmax_monotone", "Raising zⱼ raises aⱼ and lowers every other output", "softmax")
def softmax_monotone() -> Derivation:
    r""":math:`\partial a_j/\partial z_j = a_j(1-a_j) > 0` and
    :math:`\partial a_j/\partial z_k = -a_j a_k < 0` for k ≠ j."""
    a_j, a_k = softmax_index(at=j), softmax_index(at=k)
    d = sp.diff(a_j, z[k])
    collapsed, collapse_ok = collapse_checked(d, {n_L: 3}, {j: n_L, k: n_L})
    general = sp.KroneckerDelta(j, k) * a_j - a_j * a_k
    dd = sp.Derivative(sp.Symbol("a^{L}_{j}"), z[k])
    steps = [
        Step(sp.Eq(dd, d), "quotient rule; $∂z_j/∂z_k = δ_{jk}$"),
        Step(sp.Eq(dd, general), KRONECKER_REASON),
        Step(sp.Eq(sp.Derivative(sp.Symbol("a^{L}_{j}"), z[j]), a_j * (1 - a_j)), "$k = j$: $δ_{jj} = 1$"),
        Step(sp.Eq(dd, -a_j * a_k), "$k ≠ j$: $δ_{jk} = 0$"),
        Step(sp.Gt(a_j * (1 - a_j), 0), "$0 < a_j < 1$ (`softmax_normalised`), so the signs are fixed"),
    ]

    def concrete(n: int) -> bool:
        zs = _reals(n)
        out = softmax(zs)
        return all(_zero(sp.diff(out[p], v) - (out[p] * (1 - out[p]) if p == q else -out[p] * out[q]))
                   for p in range(n) for q, v in enumerate(zs))

    return Derivation(
        statement=[sp.Eq(sp.Derivative(sp.Symbol("a^{L}_{j}"), z[j]), a_j * (1 - a_j)),
                   sp.Eq(dd, -a_j * a_k), sp.Gt(a_j * (1 - a_j), 0, evaluate=False), sp.Lt(-a_j * a_k, 0, evaluate=False)],
        steps=steps,
        obligations=[
            kronecker_lemma,
            lambda: collapse_ok,
            _split_lemma,
            lambda: _all_n(concrete, "∂a_p/∂z_q by diff", "exp → symbols, expand"),
        ],
        assumptions="$z$ real; $k ≠ j$ in the second identity; $n_L ≥ 2$ for the strict signs",
        # the derivatives by SymPy, Kronecker-collapsed, δ_jk = 0 (k ≠ j); the signs from
        # 0 < a < 1 through the split denominator e^{z_j} + Σ_{i≠j} e^{z_i}
        readings=[Reading({dd: d, sp.Derivative(sp.Symbol("a^{L}_{j}"), z[j]): sp.diff(a_j, z[j])},
                          lambda e: canonical_indices(collapse_kronecker(e)[0].xreplace(
                              {sp.KroneckerDelta(j, k): 0, sp.KroneckerDelta(k, j): 0})),
                          "Kronecker collapse, k ≠ j", ("structural", "expand", "cancel")),
                  _SPLIT],
        parts=[Part("∂a_j/∂z_j = a_j(1 − a_j) > 0 and ∂a_j/∂z_k = −a_j a_k < 0 (k ≠ j), "
                    "for n_L outputs (also ∂a_p/∂z_q by diff, written out at n = 2, 3, 4)", True)],
    )


@theorem("softmax_log", "The log of a softmax output", "softmax")
def softmax_log() -> Derivation:
    r""":math:`\ln a^L_j = z^L_j - \ln\sum_k e^{z^L_k}`; so the log-likelihood cost term
    :math:`-y\ln a` is :math:`-y(z - \operatorname{lse})`, the stable form in ``costs.COSTS``."""
    a_j = SOFTMAX
    lhs, rhs = sp.log(a_j), log_softmax_index()
    S = sp.Sum(sp.exp(z[i]), (i, 1, n_L))
    stable = COSTS["log_likelihood"].stable.xreplace({_z_sym: z[j], _lse: LOGSUMEXP, _y: y[j]})
    term = LOG_LIKELIHOOD_TERM.xreplace({_a: a_j, _y: y[j]})

    def log_at(n: int) -> bool:
        zs = _reals(n)
        lse_n = sp.log(sp.Add(*[sp.exp(v) for v in zs]))
        return all(sp.expand(sp.expand_log(sp.log(u)) - (t - lse_n)) == 0 for u, t in zip(softmax(zs), zs))

    steps = [
        Step(sp.Eq(lhs, sp.Add(sp.log(sp.exp(z[j]), evaluate=False), -sp.log(S), evaluate=False)),
             "ln(u/v) = ln u − ln v for u, v > 0"),
        Step(sp.Eq(lhs, rhs), "$\\ln e^{z} = z$ for real $z$"),
        Step(sp.Eq(term, stable),
             "so the cost term $−y \\ln a_j$ is $−y (z_j − \\operatorname{lse})$, with $\\operatorname{lse} = \\ln \\sum_k e^{z_k}$"),
    ]
    return Derivation(
        statement=[sp.Eq(lhs, rhs)],
        steps=steps,
        obligations=[
            # the log-likelihood's stable form (COSTS, which the kernels print) is −y ln a_j
            lambda: prove_equal(term, stable, ("structural", "expand"),
                                lambda e: canonical_indices(sp.expand(sp.expand_log(e))), "expand_log"),
            lambda: _all_n(log_at, "ln a_j = z_j − ln Σ e^z", "expand_log, expand"),
        ],
        assumptions="$z$ real (so every $e^{z_k} > 0$ and the sum is positive)",
        readings=[Reading(prepare=lambda e: canonical_indices(sp.expand_log(e)),
                          prepare_name="expand_log", methods=("structural", "expand"))],
        parts=[Part("ln a_j = z_j − ln Σ_k e^{z_k}, n_L outputs (also written out at n = 2, 3, 4)",
                    True)],
    )


@theorem("logsumexp_shift", "Shifting log-sum-exp by a constant", "stable")
def logsumexp_shift() -> Derivation:
    r""":math:`\ln\sum_k e^{z_k} = c + \ln\sum_k e^{z_k - c}` for every real c, and the softmax of
    z − c is the softmax of z.  With :math:`c = \max_k z_k` every exponent is ≤ 0 (no overflow) and
    the sum is ≥ 1 (no log 0): the form the kernels print.  The statement's right-hand sides are
    the exported :data:`LOGSUMEXP_SHIFTED` and :data:`SOFTMAX_SHIFTED` themselves."""
    lhs, rhs = LOGSUMEXP, LOGSUMEXP_SHIFTED
    (S_c,) = rhs.atoms(sp.Sum)
    pulled = pull_constants(sp.expand(S_c))
    steps = [
        Step(sp.Eq(S_c, pulled), "$e^{z−c} = e^{−c} e^{z}$, and $e^{−c}$ does not depend on $k$"),
        Step(sp.Eq(rhs, sp.Add(c, -c, lhs, evaluate=False)), "$\\ln(e^{−c} S) = −c + \\ln S$"),
        Step(sp.Eq(rhs, lhs), "$c − c = 0$"),
        Step(sp.Eq(SOFTMAX_SHIFTED, SOFTMAX), "$e^{−c}$ cancels in the softmax too"),
        Step(sp.Le(z[k] - sp.Max(sp.Symbol("z_1"), sp.Symbol(r"\ldots"), sp.Symbol("z_n")), 0),
             "$c = \\max_k z_k$: every exponent $z_k − c ≤ 0$, and the largest term is $e^0 = 1$"),
    ]

    def pull_shift(e: sp.Expr) -> sp.Expr:
        """Index form: e^{z_k−c} = e^{−c} e^{z_k}, e^{−c} out of the sum, ln(e^{−c} S) = −c + ln S."""
        return canonical_indices(sp.expand(sp.expand_log(pull_constants(sp.expand(e)))))

    def at(expr: sp.Expr, n: int, zs: list) -> sp.Expr:
        """An index-form expression at n_L = n, the sums written out, z_t the given reals."""
        return expr.xreplace({n_L: n}).doit().xreplace({z[t + 1]: u for t, u in enumerate(zs)})

    def pull_exp(e: sp.Expr) -> sp.Expr:
        """Written out: e^{z−c} = e^{−c} e^{z}, e^{−c} out of the sum, ln(e^{−c} S) = −c + ln S."""
        return sp.expand(sp.expand_log(sp.factor_terms(sp.expand(e))))

    def lse_shift(n: int) -> bool:
        zs = _reals(n)
        return pull_exp(at(rhs, n, zs) - at(lhs, n, zs)) == 0

    def softmax_shift(n: int) -> bool:
        zs = _reals(n)
        return all(_zero(sp.expand_power_exp(at(SOFTMAX_SHIFTED.xreplace({j: q}), n, zs))
                         - at(SOFTMAX.xreplace({j: q}), n, zs)) for q in range(1, n + 1))

    def max_form(n: int) -> bool:
        # z_k = c - t_k with t_k >= 0 and t_1 = 0 (c the maximum): every exponential of the two
        # printed forms is e^{u} with u ≤ 0, and the sums are ≥ 1
        t = sp.symbols(f"t_2:{n + 1}", nonnegative=True)
        zs = [c] + [c - v for v in t]
        forms = [at(rhs, n, zs)] + [at(SOFTMAX_SHIFTED.xreplace({j: q}), n, zs) for q in range(1, n + 1)]
        exps = set().union(*(f.atoms(sp.exp) for f in forms))
        sums = [at(s_, n, zs) for f in (rhs, SOFTMAX_SHIFTED) for s_ in f.atoms(sp.Sum)]
        return (all(e.args[0].is_nonpositive for e in exps)
                and all((u - 1).is_nonnegative for u in sums))

    return Derivation(
        statement=[sp.Eq(lhs, rhs), sp.Eq(SOFTMAX_SHIFTED, SOFTMAX)],
        steps=steps,
        obligations=[
            lambda: _all_n(lse_shift, "ln Σ e^z = c + ln Σ e^{z−c}", "factor_terms, expand_log, expand"),
            lambda: _all_n(softmax_shift, "softmax(z − c) = softmax(z)",
                           "e^{z−c} = e^z e^{−c}, exp → symbols, expand"),
            lambda: _all_n(max_form, "c = max: exponents ≤ 0, sum ≥ 1", "sign"),
        ],
        assumptions="$z_k$ and $c$ real",
        readings=[Reading(prepare=pull_shift, prepare_name="e^{z−c} = e^{−c}e^{z}, e^{−c} out of Σ, "
                          "expand_log", methods=("structural", "expand"), each_side=True)],
        parts=[Part("ln Σ e^z = c + ln Σ e^{z−c} and softmax(z − c) = softmax(z), any c, n_L outputs "
                    "(also written out, and with c = max_k z_k every exponent ≤ 0 and the sum ≥ 1, "
                    "at n = 2, 3, 4)", True)],
    )


# --- the log-likelihood gradient -----------------------------------------------------------------
def _ll_pairs(net: Network):
    """δ^L by diff w.r.t. z^L, and ∂C/∂b^L, ∂C/∂w^L by diff of the composed cost, against
    eqs. (81)-(82) with δ^L_j = LOG_LIKELIHOOD_DELTA."""
    L = net.L
    zeta, grads, _ = net.tail_gradient(L)
    for q, (g, d) in enumerate(zip(grads, net.output_error(zeta))):
        yield f"∂C/∂z^L_{q + 1}", g, d
    delta = net.output_error()
    W, prev = net.weights[L], net.activations[L - 1]
    for r in range(W.rows):
        yield f"∂C/∂b^L_{r + 1}", net.diff(net.biases[L][r]), delta[r]
        for s in range(W.cols):
            yield f"∂C/∂w^L_{r + 1}{s + 1}", net.diff(W[r, s]), prev[s] * delta[r]


def _one_hot(n: int) -> bool:
    """C = −ln a_y for each class y: ∂C/∂z_j = a_j − [j = y]."""
    zs = _reals(n)
    out = softmax(zs)
    return all(_zero(sp.diff(-sp.log(out[cls]), zs[p])
                     - LOG_LIKELIHOOD_DELTA.xreplace({_a: out[p], _y: int(p == cls)}))
               for cls in range(n) for p in range(n))


@theorem("log_likelihood_gradient", "Softmax with log-likelihood: the output error is a − y",
         "softmax", equation="(81), (82)")
def log_likelihood_gradient() -> Derivation:
    r"""Eqs. (81)-(82): for :math:`C = -\sum_k y_k \ln a^L_k` with :math:`\sum_k y_k = 1` (so
    :math:`C = -\ln a^L_y` for a one-hot y) and softmax outputs,
    :math:`\delta^L_j = a^L_j - y_j` (``costs.LOG_LIKELIHOOD_DELTA``),
    :math:`\partial C/\partial b^L_j = a^L_j - y_j`,
    :math:`\partial C/\partial w^L_{jk} = a^{L-1}_k (a^L_j - y_j)`."""
    a_j = softmax_index()
    Cx = -sp.Sum(y[k] * sp.log(softmax_index(at=k)), (k, 1, n_L))
    d = sp.diff(Cx, z[j])
    collapsed, collapse_ok = collapse_checked(d, {n_L: 3}, {j: n_L})
    pulled = pull_constants(collapsed)
    sum_y = sp.Sum(y[k], (k, 1, n_L))
    rhs = LOG_LIKELIHOOD_DELTA.xreplace({_a: a_j, _y: y[j]})
    # BP3/BP4 for the output layer, with δ^L as just found
    w_L, b_L, a_prev = sp.IndexedBase("w^{L}"), sp.IndexedBase("b^{L}"), sp.IndexedBase("a^{L-1}")
    delta = sp.IndexedBase(r"\delta^{L}")
    n_prev, q = index("n_{L-1}"), index("q")
    z_i = sp.Sum(w_L[i, q] * a_prev[q], (q, 1, n_prev)) + b_L[i]
    gb, gb_ok = collapse_checked(sp.Sum(delta[i] * sp.diff(z_i, b_L[j]), (i, 1, n_L)),
                                 {n_L: 3, n_prev: 2}, {j: n_L})
    gw, gw_ok = collapse_checked(sp.Sum(delta[i] * sp.diff(z_i, w_L[j, k]), (i, 1, n_L)),
                                 {n_L: 3, n_prev: 2}, {j: n_L, k: n_prev})
    dz = sp.Derivative(sp.Symbol("C"), z[j])
    steps = [
        Step(sp.Eq(sp.Symbol("C"), Cx), "log-likelihood, eq. (80), written for any $y$ with $\\sum_k y_k = 1$"),
        Step(sp.Eq(dz, d), "differentiate: $∂ \\ln a_k/∂z_j = (1/a_k)\\, ∂a_k/∂z_j$"),
        Step(sp.Eq(dz, collapsed), KRONECKER_REASON),
        Step(sp.Eq(dz, pulled), "$a_j$ does not depend on $k$: take it out of the sum"),
        Step(sp.Eq(dz, rhs), "$\\sum_k y_k = 1$ ($y$ is one-hot): $δ^L_j = a^L_j − y_j$ (eq. 84)"),
        Step(sp.Eq(sp.Derivative(sp.Symbol("C"), b_L[j]), rhs), "BP3 with $δ^L_j = a_j − y_j$: eq. (81)"),
        Step(sp.Eq(sp.Derivative(sp.Symbol("C"), w_L[j, k]), a_prev[k] * rhs), "BP4: eq. (82)"),
    ]
    # δ^L_i as just found, at i (its softmax summed over another index)
    p = index("p")
    delta_i = LOG_LIKELIHOOD_DELTA.xreplace({_a: softmax_index(at=i, dummy=p), _y: y[i]})
    chain_b = sp.Sum(delta_i * sp.diff(z_i, b_L[j]), (i, 1, n_L))
    chain_w = sp.Sum(delta_i * sp.diff(z_i, w_L[j, k]), (i, 1, n_L))
    dCdb, dCdw = sp.Derivative(sp.Symbol("C"), b_L[j]), sp.Derivative(sp.Symbol("C"), w_L[j, k])

    def reduce(e: sp.Expr) -> sp.Expr:
        # collapse, a_j out of the sum, Σ_k y_k = 1 (the hypothesis), bound indices renamed
        e = pull_constants(collapse_kronecker(e)[0]).xreplace({sum_y: 1})
        return canonical_indices(sp.expand(e))

    return Derivation(
        statement=[sp.Eq(dz, rhs), sp.Eq(dCdb, rhs), sp.Eq(dCdw, a_prev[k] * rhs)],
        steps=steps,
        obligations=[
            kronecker_lemma,
            lambda: collapse_ok,
            lambda: gb_ok, lambda: gw_ok,
            lambda: holds(lambda: all(_one_hot(n) for n in _NS), "exp → symbols, expand",
                          "C = −ln a_y, each class y"),
            lambda: check_on_networks(_ll_pairs, ["log_likelihood"], "log-likelihood"),
        ],
        assumptions="softmax output layer; $\\sum_k y_k = 1$ (in particular one-hot $y$); $z$ real",
        # ∂C/∂z^L_j by SymPy; ∂C/∂b^L_j, ∂C/∂w^L_jk by the chain rule through z^L_i with δ^L_i
        readings=[Reading({dz: d, dCdb: chain_b, dCdw: chain_w}, reduce,
                          "Kronecker collapse, Σ_k y_k = 1", ("structural", "expand"))],
        parts=[Part("δ^L_j = a^L_j − y_j, ∂C/∂b^L_j, ∂C/∂w^L_jk, n_L outputs (also by diff on the "
                    "networks [2,3,2], [3,4,4,2], [2,2,2,2,2] and for each one-hot y at n = 2, 3, 4)",
                    True)],
    )
