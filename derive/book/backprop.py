r"""Chapter 2: the four equations of backpropagation, the sum over paths, and the batched form.

With :math:`\delta^l_j \equiv \partial C/\partial z^l_j` (eq. 29):

.. math::
    \delta^L = \nabla_a C \odot \sigma'(z^L) \quad\text{(BP1)} \qquad
    \delta^l = ((w^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l) \quad\text{(BP2)}

    \frac{\partial C}{\partial b^l_j} = \delta^l_j \quad\text{(BP3)} \qquad
    \frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j \quad\text{(BP4)}

Each is proved two ways.  *Index form*, for layers of symbolic width: the chain rule written as a
sum, SymPy's derivative of an ``Indexed`` (a Kronecker delta), and the collapse
:math:`\sum_k \delta_{jk} f_k = f_j` (:mod:`derive.core.indexed`).  *Concretely*: on the networks
:data:`~derive.book.network.ARCHITECTURES`, with every parameter a symbol and an undefined activation,
``sympy.diff`` of the fully composed cost (quadratic, cross-entropy, log-likelihood) equals what
BP1-BP4 give, for every weight and bias (:func:`check_concrete`).

:data:`BATCHED` holds the mini-batch (row-stacked) forms that ``numerics`` prints into kernels:
the weighted input z (eq. 25), the mean cost and BP1-BP4 (theorem ``bp_batched``).
"""
from __future__ import annotations

import itertools
from typing import Callable

import sympy as sp

from ..core.indexed import (KRONECKER_REASON, canonical_indices, collapse_checked, collapse_kronecker,
                      index, kronecker_lemma, pull_constants, pull_in)
from .network import (ARCHITECTURES, Network, check_on_networks, concrete_network, sigma, sigma_prime,
                      softmax_layer)
from ..core.outcome import PROVED, UNDECIDED, Outcome
from ..core.theorem import Derivation, Part, Reading, Step, theorem
from ..core.notation import name_symbols

__all__ = ["concrete_network", "Network", "sigma", "sigma_prime", "ARCHITECTURES",
           "check_concrete", "BATCHED", "BATCHED_SYMBOLS", "batched_per_example"]

# --- index-form objects (book names; widths symbolic) ---------------------------------------
j, k, i, q, p = (index(s) for s in "j k i q p".split())
n_L, n_l, n_next, n_prev = index("n_L"), index("n_l"), index("n_{l+1}"), index("n_{l-1}")
z_L, z_l = sp.IndexedBase("z^{L}"), sp.IndexedBase("z^{l}")
w_l, w_next, w_L = sp.IndexedBase("w^{l}"), sp.IndexedBase("w^{l+1}"), sp.IndexedBase("w^{L}")
b_l, b_next = sp.IndexedBase("b^{l}"), sp.IndexedBase("b^{l+1}")
a_prev = sp.IndexedBase("a^{l-1}")
delta_L, delta_l, delta_next = (sp.IndexedBase(r"\delta^{%s}" % s) for s in ("L", "l", "l+1"))
nabla_a = sp.IndexedBase(r"\nabla_{a}C")  #: the given partials ∂C/∂a^L_k (the chain rule's input)
C = sp.Symbol("C")


def _d(expr, var):
    return sp.Derivative(expr, var, evaluate=False)


def _z(wb: sp.IndexedBase, bb: sp.IndexedBase, a_in: Callable, row, col, width) -> sp.Expr:
    r""":math:`z_{row} = \sum_{col} w_{row,col}\,a_{col} + b_{row}`."""
    return sp.Sum(wb[row, col] * a_in(col), (col, 1, width)) + bb[row]


def _sizes(widths: dict) -> str:
    """Concrete widths in words: ``n_l = 3, n_{l+1} = 2``."""
    return ", ".join(f"{w} = {v}" for w, v in widths.items())


def _explicit_reading(entries: dict, widths: dict) -> Reading:
    """The matrix form of a statement read at concrete ``widths``: each MatrixSymbol of
    ``entries`` becomes the explicit matrix whose 1-based entry (r, c) is ``entries[symbol](r, c)``,
    both sides are written out (``doit``) and compared entry by entry."""
    def sub(e: sp.Basic) -> sp.Basic:
        table = {}
        for ms, entry in entries.items():
            m = ms.xreplace(widths)
            table[m] = sp.ImmutableMatrix(m.rows, m.cols, lambda r, c: entry(r + 1, c + 1))
        return e.xreplace(widths).xreplace(table)
    return Reading(sub, lambda e: e.doit(), "explicit matrices", ("structural", "expand"),
                   at=_sizes(widths))


def _at(expr: sp.Expr, widths: dict, point: dict) -> sp.Expr:
    """An index-form expression at concrete widths and indices, its sums written out."""
    return expr.xreplace({**widths, **point}).doit()


def _index_reading(definitions: dict, prepare: Callable | None = None, name: str = "") -> Reading:
    """The general reading: definitions substituted, Kronecker deltas collapsed (lemma
    :func:`~derive.core.indexed.kronecker_lemma`), then ``prepare``; equal up to bound-index names."""
    def run(e: sp.Expr) -> sp.Expr:
        e = collapse_kronecker(e)[0]
        return canonical_indices(prepare(e) if prepare else e)
    return Reading(definitions, run, "Kronecker collapse" + (f", {name}" if name else ""),
                   ("structural", "expand"))


# --- concrete networks ------------------------------------------------------------------------
def _bp1_pairs(net: Network):
    zeta, grads, _ = net.tail_gradient(net.L)
    bp1 = net.output_error(zeta)
    for t, g in enumerate(grads):
        yield f"∂C/∂z^{net.L}_{t + 1}", g, bp1[t]


def _bp2_pairs(net: Network):
    """∂C/∂z^l_j by ``sympy.diff`` against ``Network.deltas`` (BP2 as the concrete proofs and
    the backprop gradients compute it), both at the forward pass."""
    for l in range(net.L - 1, 1, -1):
        zeta, grads, _ = net.tail_gradient(l)
        forward = dict(zip(zeta, net.zs[l]))  # ζ^l = z^l of the forward pass
        for t in range(len(zeta)):
            yield f"∂C/∂z^{l}_{t + 1}", grads[t].xreplace(forward), net.deltas[l][t]


def _param_pairs(kind: str):
    def pairs(net: Network):
        g = net.backprop_gradient()
        for l in range(2, net.L + 1):
            ps = net.biases[l] if kind == "b" else list(net.weights[l])
            for v in ps:
                yield f"∂C/∂{v}", net.diff(v), g[v]
    return pairs


def _paths_pairs(net: Network):
    r"""Eq. (53): the sum over every path from :math:`w^l_{jk}` to C of the products of the
    rate factors, each rate factor a local ``sympy.diff``.  A softmax output layer is not
    elementwise: there every :math:`a^L_r` depends on every :math:`a^{L-1}_s` (and a weight of
    layer L reaches every :math:`a^L_r`), so its rate factors come from the softmax itself."""
    L, acts = net.L, net.activations
    alpha = {l: [sp.Dummy(f"a{l}_{t}") for t in range(net.sizes[l - 1])] for l in range(1, L)}

    def layer_out(l: int, zl: list) -> tuple:  # a^l from z^l
        return softmax_layer(zl)[1] if (net.softmax and l == L) else tuple(net.f(u) for u in zl)

    # ∂a^{q+1}_r/∂a^q_s, with a^q free symbols, then evaluated at the forward pass
    rate = {}
    for l in range(2, L + 1):
        W, b = net.weights[l], net.biases[l]
        zl = [sp.Add(*[W[r, s] * alpha[l - 1][s] for s in range(W.cols)], b[r]) for r in range(W.rows)]
        out = layer_out(l, zl)
        for r in range(W.rows):
            for s in range(W.cols):
                rate[l, r, s] = sp.diff(out[r], alpha[l - 1][s]).xreplace(
                    dict(zip(alpha[l - 1], acts[l - 1])))
    aL = [sp.Dummy(f"aL{t}") for t in range(net.sizes[-1])]
    CL = net.cost_of(aL)
    dC = [sp.diff(CL, u).xreplace(dict(zip(aL, acts[L]))) for u in aL]  # ∂C/∂a^L_r
    for l in range(2, L + 1):
        W = net.weights[l]
        for r, s in itertools.product(range(W.rows), range(W.cols)):
            total = []
            for start in range(net.sizes[l - 1]):  # the neurons of layer l that w^l_rs moves
                first = sp.diff(acts[l][start], W[r, s])  # ∂a^l_start/∂w^l_rs
                if first == 0:
                    continue  # an elementwise layer: only start = r
                for path in itertools.product(*[range(n) for n in net.sizes[l:]]):
                    nodes = (start,) + path  # neuron in layers l, l+1, ..., L
                    f = first * dC[nodes[-1]]
                    for t in range(l + 1, L + 1):
                        f *= rate[t, nodes[t - l], nodes[t - l - 1]]
                    total.append(f)
            yield f"paths for {W[r, s]}", net.diff(W[r, s]), sp.Add(*total)


def check_concrete(sizes, cost="quadratic", which: str = "all", f=sigma) -> Outcome:
    """Exact check on one concrete network: ``which`` is ``"bp1"`` (∂C/∂z^L), ``"bp2"``
    (∂C/∂z^l for hidden l), ``"bp3"`` (every bias), ``"bp4"`` (every weight), ``"paths"`` (every
    weight, sum over paths) or ``"all"`` (every one that applies to the cost).  ``cost``: a key
    of ``COSTS`` or a user's ``Cost``; ``f``: the activation (a user's, :mod:`derive.book.custom`)."""
    kinds = {"bp1": _bp1_pairs, "bp2": _bp2_pairs, "bp3": _param_pairs("b"),
             "bp4": _param_pairs("w"), "paths": _paths_pairs}
    if which != "all" and which not in kinds:
        raise ValueError(f"check_concrete: unknown check {which!r}; use 'all' or one of {sorted(kinds)}")
    softmax = concrete_network(sizes, cost, f).softmax
    chosen = [w for w in kinds if w == which or which == "all"]
    chosen = [w for w in chosen if not (softmax and w in ("bp1", "paths"))]
    return _combine_concrete([check_on_networks(kinds[w], [cost], w, [tuple(sizes)], f) for w in chosen])


def _combine_concrete(outcomes: list[Outcome]) -> Outcome:
    for o in outcomes:
        if not o.proved:
            return o
    return Outcome(PROVED, outcomes[0].method if outcomes else "none")


def _faithful() -> Outcome:
    """SymPy's own undefined function: on [2,3,2] (quadratic), ``sp.Function("sigma")``, whose
    derivative SymPy writes ``Subs(Derivative(sigma(ξ), ξ), ξ, u)``, gives the same gradients
    as :class:`~derive.book.network.sigma` (so naming σ′ changes nothing)."""
    f = sp.Function("sigma")
    net = concrete_network((2, 3, 2), "quadratic", f)
    g = net.backprop_gradient()
    for v in net.parameters:
        d = net.diff(v)
        if d == 0 or net.vanishes(d - g[v]) is None:
            return Outcome(UNDECIDED, "Function('sigma')",
                           detail=f"with sp.Function('sigma'): ∂C/∂{v} on [2,3,2] not shown equal")
    return Outcome(PROVED, "Function('sigma') on [2,3,2], expand")


# --- BP1 ----------------------------------------------------------------------------------------
_D_L = sp.MatrixSymbol(r"\delta^{L}", n_L, 1)
_NABLA = sp.MatrixSymbol(r"\nabla_{a}C", n_L, 1)
_SP_L = sp.MatrixSymbol(r"\sigma'(z^{L})", n_L, 1)


@theorem("bp1", "BP1: the error in the output layer", "backprop", equation="(BP1)")
def bp1() -> Derivation:
    r"""Eq. (BP1): :math:`\delta^L_j = \frac{\partial C}{\partial a^L_j}\sigma'(z^L_j)`, i.e.
    :math:`\delta^L = \nabla_a C \odot \sigma'(z^L)`, for an elementwise output
    :math:`a^L_k = \sigma(z^L_k)` of symbolic width :math:`n_L`."""
    a_k = sigma(z_L[k])
    chain = sp.Sum(nabla_a[k] * _d(a_k, z_L[j]), (k, 1, n_L))
    evaluated = sp.Sum(nabla_a[k] * sp.diff(a_k, z_L[j]), (k, 1, n_L))
    shown = sp.Sum(nabla_a[k] * sp.KroneckerDelta(j, k) * sigma_prime(z_L[k]), (k, 1, n_L))
    collapsed, collapse_ok = collapse_checked(evaluated, {n_L: 3}, {j: n_L})
    rhs = nabla_a[j] * sigma_prime(z_L[j])
    matrix = sp.HadamardProduct(_NABLA, _SP_L)
    steps = [
        Step(sp.Eq(delta_L[j], _d(C, z_L[j])), "definition of the error $δ^L_j$, eq. (29)"),
        Step(sp.Eq(delta_L[j], chain), "chain rule: C depends on $z^L_j$ only through $a^L_k = σ(z^L_k)$"),
        Step(sp.Eq(delta_L[j], shown),
             "$∂a^L_k/∂z^L_j = δ_{jk} σ′(z^L_k)$: $a^L_k$ depends on $z^L_k$ alone"),
        Step(sp.Eq(delta_L[j], rhs), KRONECKER_REASON),
        Step(sp.Eq(_D_L, matrix), "the same for every j: a Hadamard (elementwise) product"),
    ]
    w3 = {n_L: 3}
    return Derivation(
        statement=[sp.Eq(delta_L[j], rhs), sp.Eq(_D_L, matrix)],
        steps=steps,
        obligations=[
            kronecker_lemma,
            lambda: collapse_ok,
            lambda: check_on_networks(_bp1_pairs, ["quadratic", "cross_entropy"], "BP1"),
            _faithful,
        ],
        # δ^L_j = ∂C/∂z^L_j is the chain rule through a^L_k = σ(z^L_k), differentiated by SymPy
        readings=[_index_reading({delta_L[j]: evaluated}),
                  _explicit_reading({_D_L: lambda r, c: _at(evaluated, w3, {j: r}),
                                     _NABLA: lambda r, c: nabla_a[r],
                                     _SP_L: lambda r, c: sigma_prime(z_L[r])}, w3)],
        parts=[Part("δ^L_j = ∂C/∂a^L_j σ′(z^L_j), width n_L (also as Network.output_error computes "
                    "it, by diff on the networks [2,3,2], [3,4,4,2], [2,2,2,2,2])", True),
               Part("δ^L = ∇_a C ⊙ σ′(z^L)", False, _sizes(w3))],
        assumptions="$a^L_k = σ(z^L_k)$ with σ differentiable and otherwise arbitrary; "
                    "$∂C/∂a^L_k$ given (the cost is any differentiable function of $a^L$); $1 ≤ j ≤ n_L$",
    )


# --- BP2 ----------------------------------------------------------------------------------------
_D_l = sp.MatrixSymbol(r"\delta^{l}", n_l, 1)
_D_next = sp.MatrixSymbol(r"\delta^{l+1}", n_next, 1)
_W_next = sp.MatrixSymbol(r"w^{l+1}", n_next, n_l)
_SP_l = sp.MatrixSymbol(r"\sigma'(z^{l})", n_l, 1)


@theorem("bp2", "BP2: the error in terms of the next layer's error", "backprop", equation="(BP2)")
def bp2() -> Derivation:
    r"""Eq. (BP2): :math:`\delta^l_j = \sigma'(z^l_j)\sum_k w^{l+1}_{kj}\delta^{l+1}_k`, i.e.
    :math:`\delta^l = ((w^{l+1})^T\delta^{l+1}) \odot \sigma'(z^l)`."""
    z_next_k = _z(w_next, b_next, lambda c: sigma(z_l[c]), k, i, n_l)
    chain = sp.Sum(delta_next[k] * _d(z_next_k, z_l[j]), (k, 1, n_next))
    evaluated = sp.Sum(delta_next[k] * sp.diff(z_next_k, z_l[j]), (k, 1, n_next))
    shown = sp.Sum(delta_next[k] * sp.Sum(w_next[k, i] * sp.KroneckerDelta(i, j) * sigma_prime(z_l[i]),
                                          (i, 1, n_l)), (k, 1, n_next))
    collapsed, collapse_ok = collapse_checked(evaluated, {n_l: 3, n_next: 2}, {j: n_l})
    rhs = sp.Sum(w_next[k, j] * delta_next[k], (k, 1, n_next)) * sigma_prime(z_l[j])
    matrix = sp.HadamardProduct(_W_next.T * _D_next, _SP_l)
    w32 = {n_l: 3, n_next: 2}
    steps = [
        Step(sp.Eq(delta_l[j], _d(C, z_l[j])), "definition of the error $δ^l_j$, eq. (29)"),
        Step(sp.Eq(delta_l[j], chain),
             "chain rule through $z^{l+1}_k = \\sum_i w^{l+1}_{ki} σ(z^l_i) + b^{l+1}_k$, "
             "with $δ^{l+1}_k = ∂C/∂z^{l+1}_k$"),
        Step(sp.Eq(delta_l[j], shown), "$∂σ(z^l_i)/∂z^l_j = δ_{ij} σ′(z^l_i)$"),
        Step(sp.Eq(delta_l[j], sp.Sum(delta_next[k] * w_next[k, j] * sigma_prime(z_l[j]), (k, 1, n_next))),
             KRONECKER_REASON),
        Step(sp.Eq(delta_l[j], rhs), "$σ′(z^l_j)$ does not depend on $k$: take it out of the sum"),
        Step(sp.Eq(_D_l, matrix), "$\\sum_k w_{kj} δ_k$ is the $j$-th entry of $(w^{l+1})^T δ^{l+1}$"),
    ]
    return Derivation(
        statement=[sp.Eq(delta_l[j], rhs), sp.Eq(_D_l, matrix)],
        steps=steps,
        obligations=[
            kronecker_lemma,
            lambda: collapse_ok,
            lambda: check_on_networks(_bp2_pairs, ["quadratic", "cross_entropy", "log_likelihood"], "BP2"),
        ],
        # δ^l_j = ∂C/∂z^l_j is the chain rule through z^{l+1}_k, differentiated by SymPy
        readings=[_index_reading({delta_l[j]: evaluated}, pull_constants, "constants out of Σ"),
                  _explicit_reading({_D_l: lambda r, c: _at(evaluated, w32, {j: r}),
                                     _D_next: lambda r, c: delta_next[r],
                                     _W_next: lambda r, c: w_next[r, c],
                                     _SP_l: lambda r, c: sigma_prime(z_l[r])}, w32)],
        parts=[Part("δ^l_j = σ′(z^l_j) Σ_k w^{l+1}_kj δ^{l+1}_k, any widths (also as Network.deltas "
                    "computes it, by diff on the networks [2,3,2], [3,4,4,2], [2,2,2,2,2], 3 costs)",
                    True),
               Part("δ^l = ((w^{l+1})ᵀ δ^{l+1}) ⊙ σ′(z^l)", False, _sizes(w32))],
        assumptions="hidden layer $l < L$; $σ$ differentiable and otherwise arbitrary; $1 ≤ j ≤ n_l$",
    )


# --- BP3 ----------------------------------------------------------------------------------------
@theorem("bp3", "BP3: the rate of change of the cost with respect to a bias", "backprop",
         equation="(BP3)")
def bp3() -> Derivation:
    r"""Eq. (BP3): :math:`\partial C/\partial b^l_j = \delta^l_j`."""
    z_i = _z(w_l, b_l, lambda c: a_prev[c], i, q, n_prev)
    chain = sp.Sum(delta_l[i] * _d(z_i, b_l[j]), (i, 1, n_l))
    evaluated = sp.Sum(delta_l[i] * sp.diff(z_i, b_l[j]), (i, 1, n_l))
    shown = sp.Sum(delta_l[i] * sp.KroneckerDelta(i, j), (i, 1, n_l))
    collapsed, collapse_ok = collapse_checked(evaluated, {n_l: 3, n_prev: 2}, {j: n_l})
    dCdb = _d(C, b_l[j])
    steps = [
        Step(sp.Eq(dCdb, chain), "chain rule: $b^l_j$ enters $C$ through $z^l_i = \\sum_q w^l_{iq} a^{l-1}_q + b^l_i$"),
        Step(sp.Eq(dCdb, shown), "$∂z^l_i/∂b^l_j = δ_{ij}$"),
        Step(sp.Eq(dCdb, delta_l[j]), KRONECKER_REASON),
    ]
    return Derivation(
        statement=[sp.Eq(dCdb, delta_l[j])],
        steps=steps,
        obligations=[
            kronecker_lemma,
            lambda: collapse_ok,
            lambda: check_on_networks(_param_pairs("b"), ["quadratic", "cross_entropy", "log_likelihood"], "BP3"),
        ],
        # ∂C/∂b^l_j is the chain rule through z^l_i, differentiated by SymPy
        readings=[_index_reading({dCdb: evaluated})],
        parts=[Part("∂C/∂b^l_j = δ^l_j, any widths (also by diff on the networks [2,3,2], "
                    "[3,4,4,2], [2,2,2,2,2], 3 costs)", True)],
        assumptions="$δ^l$ from BP1 (or eq. 81 for a softmax output) and BP2; $1 ≤ j ≤ n_l$",
    )


# --- BP4 ----------------------------------------------------------------------------------------
_A_prev_v = sp.MatrixSymbol(r"a^{l-1}", n_prev, 1)
_D_l_v = sp.MatrixSymbol(r"\delta^{l}", n_l, 1)


@theorem("bp4", "BP4: the rate of change of the cost with respect to a weight", "backprop",
         equation="(BP4)")
def bp4() -> Derivation:
    r"""Eq. (BP4): :math:`\partial C/\partial w^l_{jk} = a^{l-1}_k\delta^l_j`, i.e.
    :math:`\partial C/\partial w^l = \delta^l (a^{l-1})^T`."""
    z_i = _z(w_l, b_l, lambda c: a_prev[c], i, q, n_prev)
    chain = sp.Sum(delta_l[i] * _d(z_i, w_l[j, k]), (i, 1, n_l))
    evaluated = sp.Sum(delta_l[i] * sp.diff(z_i, w_l[j, k]), (i, 1, n_l))
    shown = sp.Sum(delta_l[i] * sp.Sum(sp.KroneckerDelta(i, j) * sp.KroneckerDelta(k, q) * a_prev[q],
                                       (q, 1, n_prev)), (i, 1, n_l))
    collapsed, collapse_ok = collapse_checked(evaluated, {n_l: 3, n_prev: 2}, {j: n_l, k: n_prev})
    rhs = a_prev[k] * delta_l[j]
    dCdw = _d(C, w_l[j, k])
    outer = _D_l_v * _A_prev_v.T
    steps = [
        Step(sp.Eq(dCdw, chain), "chain rule: $w^l_{jk}$ enters $C$ through $z^l_i = \\sum_q w^l_{iq} a^{l-1}_q + b^l_i$"),
        Step(sp.Eq(dCdw, shown), "$∂w^l_{iq}/∂w^l_{jk} = δ_{ij} δ_{kq}$"),
        Step(sp.Eq(dCdw, sp.Sum(delta_l[i] * sp.KroneckerDelta(i, j) * a_prev[k], (i, 1, n_l))),
             KRONECKER_REASON + ", over q"),
        Step(sp.Eq(dCdw, rhs), KRONECKER_REASON + ", over i"),
        Step(sp.Eq(sp.MatrixSymbol(r"\nabla_{w^{l}}C", n_l, n_prev), outer),
             "for every $j$, $k$: the outer product $δ^l (a^{l-1})^T$ (eq. 32: $a_{\\mathrm{in}} δ_{\\mathrm{out}}$)"),
    ]
    nabla_w = sp.MatrixSymbol(r"\nabla_{w^{l}}C", n_l, n_prev)
    w32 = {n_l: 3, n_prev: 2}
    return Derivation(
        statement=[sp.Eq(dCdw, rhs), sp.Eq(nabla_w, outer)],
        steps=steps,
        obligations=[
            kronecker_lemma,
            lambda: collapse_ok,
            lambda: check_on_networks(_param_pairs("w"), ["quadratic", "cross_entropy", "log_likelihood"], "BP4"),
        ],
        # ∂C/∂w^l_jk is the chain rule through z^l_i, differentiated by SymPy
        readings=[_index_reading({dCdw: evaluated}),
                  _explicit_reading({nabla_w: lambda r, c: _at(evaluated, w32, {j: r, k: c}),
                                     _D_l_v: lambda r, c: delta_l[r],
                                     _A_prev_v: lambda r, c: a_prev[r]}, w32)],
        parts=[Part("∂C/∂w^l_jk = a^{l-1}_k δ^l_j, any widths (also by diff on the networks "
                    "[2,3,2], [3,4,4,2], [2,2,2,2,2], 3 costs)", True),
               Part("∂C/∂w^l = δ^l (a^{l-1})ᵀ", False, _sizes(w32))],
        assumptions="$δ^l$ from BP1 (or eq. 81 for a softmax output) and BP2; "
                    "$1 ≤ j ≤ n_l$, $1 ≤ k ≤ n_{l-1}$",
    )


# --- the sum over paths -------------------------------------------------------------------------
def _rate(a_out: sp.Expr, var: sp.Indexed, z_expr: sp.Expr, z_name: sp.Indexed, widths: dict,
          free: dict) -> tuple[sp.Expr, Outcome]:
    """A rate factor ∂a_out/∂var by sympy.diff, Kronecker-collapsed (checked at ``widths``), with
    the weighted input written back as its name (σ′(Σ_i w_i a_i + b) → σ′(z))."""
    d = sp.diff(a_out, var)
    out, ok = collapse_checked(d, widths, free)
    return out.xreplace({z_expr: z_name}), ok


@theorem("backprop_paths", "Backpropagation sums the rate factors over every path", "backprop",
         equation="(53)")
def backprop_paths() -> Derivation:
    r"""Eq. (53) (and (52) for ΔC): :math:`\frac{\partial C}{\partial w^l_{jk}} = \sum_{mnp\ldots q}
    \frac{\partial C}{\partial a^L_m}\frac{\partial a^L_m}{\partial a^{L-1}_n}\cdots
    \frac{\partial a^{l+1}_q}{\partial a^l_j}\frac{\partial a^l_j}{\partial w^l_{jk}}`:
    the sum over all paths from the weight to the cost of the product of the rate factors.

    Index form for L = l + 2 and symbolic widths (each rate factor a ``sympy.diff`` of an
    ``Indexed`` expression); explicitly enumerated paths on the concrete architectures."""
    a_l, a_next = sp.IndexedBase("a^{l}"), sp.IndexedBase("a^{l+1}")
    z_next, b_L = sp.IndexedBase("z^{l+1}"), sp.IndexedBase("b^{L}")
    zl_j = _z(w_l, b_l, lambda c: a_prev[c], j, i, n_prev)
    zn_p = _z(w_next, b_next, lambda c: a_l[c], p, i, n_l)
    zL_q = _z(w_L, b_L, lambda c: a_next[c], q, i, n_next)
    w3 = {n_prev: 2, n_l: 3, n_next: 2, n_L: 2}
    r0, ok0 = _rate(sigma(zl_j), w_l[j, k], zl_j, z_l[j], w3, {j: n_l, k: n_prev})
    r1, ok1 = _rate(sigma(zn_p), a_l[j], zn_p, z_next[p], w3, {p: n_next, j: n_l})
    r2, ok2 = _rate(sigma(zL_q), a_next[p], zL_q, z_L[q], w3, {q: n_L, p: n_next})
    paths = sp.Sum(sp.Sum(nabla_a[q] * r2 * r1 * r0, (q, 1, n_L)), (p, 1, n_next))
    # backpropagation: BP1, BP2 twice, BP4
    dL = nabla_a[q] * sigma_prime(z_L[q])
    d_next = sigma_prime(z_next[p]) * sp.Sum(w_L[q, p] * dL, (q, 1, n_L))
    d_l = sigma_prime(z_l[j]) * sp.Sum(w_next[p, j] * d_next, (p, 1, n_next))
    bp = a_prev[k] * d_l
    dCdw = _d(C, w_l[j, k])
    chain = sp.Sum(sp.Sum(nabla_a[q] * _d(sp.Symbol(r"a^{L}_{q}"), sp.Symbol(r"a^{l+1}_{p}")) *
                          _d(sp.Symbol(r"a^{l+1}_{p}"), sp.Symbol(r"a^{l}_{j}")) *
                          _d(sp.Symbol(r"a^{l}_{j}"), w_l[j, k]), (q, 1, n_L)), (p, 1, n_next))
    steps = [
        Step(sp.Eq(dCdw, chain), "chain rule along every path $w^l_{jk} → a^l_j → a^{l+1}_p → a^L_q → C$ "
                                 "(eq. 47 with $L = l + 2$)"),
        Step(sp.Eq(_d(sp.Symbol(r"a^{l}_{j}"), w_l[j, k]), r0), "rate factor of the first edge; "
             + KRONECKER_REASON),
        Step(sp.Eq(_d(sp.Symbol(r"a^{l+1}_{p}"), sp.Symbol(r"a^{l}_{j}")), r1),
             "rate factor between neurons: $∂a^{l+1}_p/∂a^l_j = σ′(z^{l+1}_p) w^{l+1}_{pj}$"),
        Step(sp.Eq(_d(sp.Symbol(r"a^{L}_{q}"), sp.Symbol(r"a^{l+1}_{p}")), r2), "likewise"),
        Step(sp.Eq(dCdw, paths), "the sum over paths of the products of rate factors (eq. 53)"),
        Step(sp.Eq(dCdw, bp), "the same sum, nested as backpropagation computes it: BP1, BP2, BP2, BP4"),
    ]
    # Any depth, by induction on L − l.  Q^l_j is the sum over every path from a^l_j to C of the
    # products of the rate factors: Q^L_j = ∂C/∂a^L_j (paths of length 0) and
    # Q^l_j = Σ_p (∂a^{l+1}_p/∂a^l_j) Q^{l+1}_p (a path from layer l is one edge, then a path
    # from layer l + 1).  Claim: δ^l_j = σ′(z^l_j) Q^l_j.  Base l = L: BP1.  Step: BP2 with the
    # claim at l + 1.  Then BP4 makes ∂C/∂w^l_jk = (∂a^l_j/∂w^l_jk) Q^l_j, eq. (53) for any L.
    Q_L, Q_l, Q_next = (sp.IndexedBase("Q^{%s}" % s_) for s_ in ("L", "l", "l+1"))
    aL_k = sigma(z_L[k])
    bp1_chain = sp.Sum(nabla_a[k] * sp.diff(aL_k, z_L[j]), (k, 1, n_L))  # δ^L_j, chain rule
    bp2_rhs = sigma_prime(z_l[j]) * sp.Sum(w_next[p, j] * delta_next[p], (p, 1, n_next))
    base = sp.Eq(delta_L[j], sigma_prime(z_L[j]) * Q_L[j])
    step = sp.Eq(delta_l[j], sigma_prime(z_l[j]) * Q_l[j])
    conclusion = sp.Eq(dCdw, r0 * Q_l[j])
    nest = lambda e: canonical_indices(pull_in(collapse_kronecker(e)[0]))  # noqa: E731
    induction = [
        # base: δ^L_j by the chain rule (BP1's derivation), Q^L_j = ∂C/∂a^L_j
        Reading({delta_L[j]: bp1_chain, Q_L[j]: nabla_a[j]}, nest, "Kronecker collapse",
                ("structural", "expand"), each_side=True, applies_to=delta_L[j]),
        # step: BP2 (theorem bp2), the claim at l + 1, and the recursion of Q
        Reading({delta_l[j]: bp2_rhs, delta_next[p]: sigma_prime(z_next[p]) * Q_next[p],
                 Q_l[j]: sp.Sum(r1 * Q_next[p], (p, 1, n_next))}, nest,
                "BP2, the claim at l+1, one nest of sums", ("structural", "expand"), each_side=True,
                applies_to=delta_l[j]),
        # conclusion: BP4 (theorem bp4) and the claim at l
        Reading({dCdw: a_prev[k] * delta_l[j], delta_l[j]: sigma_prime(z_l[j]) * Q_l[j]}, nest,
                "BP4, the claim", ("structural", "expand"), each_side=True, applies_to=dCdw),
    ]
    steps = steps + [
        Step(sp.Eq(Q_l[j], sp.Sum(r1 * Q_next[p], (p, 1, n_next))),
             "any depth: $Q^l_j$, the sum over paths from $a^l_j$ to $C$, is one edge to $a^{l+1}_p$ "
             "and then a path from there; $Q^L_j = ∂C/∂a^L_j$"),
        Step(step, "by induction on $L − l$: BP1 at $l = L$, and BP2 with "
                   "$δ^{l+1}_p = σ′(z^{l+1}_p) Q^{l+1}_p$"),
        Step(conclusion, "BP4: the sum over paths, eq. (53), for every depth"),
    ]
    return Derivation(
        statement=[sp.Eq(dCdw, paths), base, step, conclusion],
        steps=steps,
        obligations=[
            kronecker_lemma,
            lambda: ok0, lambda: ok1, lambda: ok2,
            lambda: check_on_networks(_paths_pairs, ["quadratic", "cross_entropy", "log_likelihood"], "paths"),
        ],
        assumptions="elementwise σ (differentiable, otherwise arbitrary) in every layer from l on "
                    "(a softmax output layer on the concrete networks); explicit index form for "
                    "L = l + 2, any depth by induction on L − l; concrete networks of depth 3 to 5 "
                    "with the quadratic, cross-entropy and log-likelihood costs",
        # ∂C/∂w^l_jk as backpropagation computes it (BP1, BP2 twice, BP4: theorems bp1-bp4)
        readings=[Reading({dCdw: bp}, lambda e: canonical_indices(pull_in(e)),
                          "one nest of sums (pull_in)", ("structural", "expand"), each_side=True,
                          applies_to=dCdw),
                  *induction],
        parts=[Part("∂C/∂w^l_jk = the sum over paths of the products of rate factors, any depth "
                    "(induction on L − l) and any widths; written out for L = l + 2 (also every path "
                    "enumerated against sympy.diff on [2,3,2], [3,4,4,2], [2,2,2,2,2], 3 costs)", True)],
    )


# --- the batched (row-stacked) form --------------------------------------------------------------
_m = sp.Symbol("m", integer=True, positive=True)  #: mini-batch size (rows)
#: The MatrixSymbols of :data:`BATCHED`; one example per row (the book stacks examples as columns).
BATCHED_SYMBOLS: dict[str, sp.MatrixSymbol] = {
    "NablaA": sp.MatrixSymbol("NablaA", _m, n_l),          # ∇_a C per example, rows (output layer)
    "Delta_next": sp.MatrixSymbol("Delta_next", _m, n_next),  # Δ^{l+1}: δ^{l+1} per example
    "W_next": sp.MatrixSymbol("W_next", n_next, n_l),      # w^{l+1}
    "SigmaPrime": sp.MatrixSymbol("SigmaPrime", _m, n_l),  # σ′(Z^l), elementwise
    "Delta": sp.MatrixSymbol("Delta", _m, n_l),            # Δ^l
    "A_prev": sp.MatrixSymbol("A_prev", _m, n_prev),       # A^{l-1}
    "W": sp.MatrixSymbol("W", n_l, n_prev),                # w^l
    "b": sp.MatrixSymbol("b", n_l, 1),                     # b^l, a column as in the book
    "c": sp.MatrixSymbol("c", _m, n_l),                    # c(z^L_j, y_j) per example and neuron (l = L)
}
_B = BATCHED_SYMBOLS
name_symbols({_B["NablaA"]: r"\nabla_{A} C", _B["Delta_next"]: r"\Delta^{l+1}",
              _B["W_next"]: r"W^{l+1}", _B["SigmaPrime"]: r"\sigma'(Z^{l})", _B["Delta"]: r"\Delta^{l}",
              _B["A_prev"]: r"A^{l-1}", _B["W"]: r"W^{l}", _B["b"]: r"b^{l}", _B["c"]: r"c"})
#: Batched forms for a mini-batch of m examples stacked as rows and the mean cost
#: C = (1/m) Σ_x C_x: ``z`` the weighted inputs Z^l = A^{l-1} (W^l)ᵀ + 1 (b^l)ᵀ (m×n_l; eq. 25 row
#: by row, the ones column repeats bᵀ on every row); ``mean`` C = (1/m) 1ᵀ c 1 (1×1) of the
#: per-neuron costs c (m×n_L), C_x = Σ_j c_xj; and BP1-BP4: ``bp1`` Δ^L (m×n_L), ``bp2`` Δ^l (m×n_l),
#: ``bp3`` ∂C/∂b^l as a 1×n_l row (the ones row sums Δ^l over the examples), ``bp4`` ∂C/∂w^l
#: (n_l×n_{l-1}).
BATCHED: dict[str, sp.MatrixExpr] = {
    "z": _B["A_prev"] * _B["W"].T + sp.OneMatrix(_m, 1) * _B["b"].T,
    "mean": sp.OneMatrix(1, _m) * _B["c"] * sp.OneMatrix(n_l, 1) / _m,
    "bp1": sp.HadamardProduct(_B["NablaA"], _B["SigmaPrime"]),
    "bp2": sp.HadamardProduct(_B["Delta_next"] * _B["W_next"], _B["SigmaPrime"]),
    "bp3": sp.OneMatrix(1, _m) * _B["Delta"] / _m,
    "bp4": _B["Delta"].T * _B["A_prev"] / _m,
}


def batched_per_example(m: int, n_prev: int, n_l: int, n_next: int) -> dict:
    """Explicit per-example quantities for a batch of ``m`` rows: symbol matrices for every
    :data:`BATCHED_SYMBOLS` entry, and the book's per-example formulas applied example by example
    (``"z"``: z_x = w a_x + b, eq. 25, stacked as rows; ``"mean"``: Σ_x C_x / m with C_x = Σ_j c_xj,
    1×1; ``"bp1"``, ``"bp2"``: the per-example errors stacked as rows; ``"bp3"`` (1×n_l),
    ``"bp4"``: BP3, BP4 averaged over the rows)."""
    def mat(name, r, c):
        return sp.ImmutableMatrix(r, c, lambda u, v: sp.Symbol(f"{name}_{{{u + 1},{v + 1}}}"))
    X = {"NablaA": mat("g", m, n_l), "Delta_next": mat(r"\delta'", m, n_next),
         "W_next": mat("w", n_next, n_l), "SigmaPrime": mat(r"\sigma'", m, n_l),
         "A_prev": mat("a", m, n_prev), "W": mat("v", n_l, n_prev), "b": mat("b", n_l, 1),
         "c": mat("c", m, n_l)}
    rows0, rows1, rows2, gb, gw = [], [], [], sp.zeros(n_l, 1), sp.zeros(n_l, n_prev)
    total = sp.S.Zero
    for x in range(m):
        rows0.append((X["W"] * X["A_prev"].row(x).T + X["b"]).T)                 # eq. (25)
        total += sum(X["c"].row(x))                                           # C_x
        s_x = X["SigmaPrime"].row(x).T
        rows1.append(X["NablaA"].row(x).T.multiply_elementwise(s_x).T)          # BP1
        d_x = (X["W_next"].T * X["Delta_next"].row(x).T).multiply_elementwise(s_x)  # BP2
        rows2.append(d_x.T)
        gb += d_x                                                                # BP3
        gw += d_x * X["A_prev"].row(x)                                           # BP4
    X["Delta"] = sp.ImmutableMatrix(sp.Matrix.vstack(*rows2))
    return {"inputs": X, "z": sp.Matrix.vstack(*rows0), "mean": sp.Matrix([[total / m]]),
            "bp1": sp.Matrix.vstack(*rows1), "bp2": X["Delta"], "bp3": (gb / m).T, "bp4": gw / m}


def _batched_check(shape: tuple[int, int, int, int]) -> Outcome:
    m_, a_, b_, c_ = shape
    ref = batched_per_example(*shape)
    widths = {_m: m_, n_prev: a_, n_l: b_, n_next: c_}
    concrete = {_B[name].xreplace(widths): M for name, M in ref["inputs"].items()}
    for name, expr in BATCHED.items():
        got = expr.xreplace(widths).xreplace(concrete).as_explicit()
        want = ref[name]
        if got.shape != want.shape or any(sp.expand(u - v) != 0 for u, v in zip(got, want)):
            return Outcome(UNDECIDED, "explicit matrices",
                           detail=f"batched {name} differs from the per-example form at m,widths = {shape}")
    return Outcome(PROVED, "explicit matrices m = 2, 3, expand")


@theorem("bp_batched", "Backpropagation for a mini-batch stacked as rows", "backprop",
         equation="(25), (BP1)-(BP4), batched")
def bp_batched() -> Derivation:
    r"""For m examples stacked as rows and the mean cost :math:`C = \frac1m\sum_x C_x`:
    :math:`Z^l = A^{l-1} (W^l)^T + \mathbf 1 (b^l)^T` (eq. 25 for every row),
    :math:`C = \frac1m \mathbf 1^T c\, \mathbf 1` (c: the per-neuron costs :math:`c_{xj}`, m×n_L),
    :math:`\Delta^l = (\Delta^{l+1} W^{l+1}) \odot \sigma'(Z^l)`,
    :math:`\partial C/\partial W^l = \frac1m (\Delta^l)^T A^{l-1}`,
    :math:`\partial C/\partial b^l = \frac1m \mathbf 1^T \Delta^l` (and
    :math:`\Delta^L = \nabla_A C \odot \sigma'(Z^L)`).  These are :data:`BATCHED`, which
    ``numerics`` prints; the proof evaluates exactly those expressions."""
    nW = sp.MatrixSymbol(r"\nabla_{W^{l}}C", n_l, n_prev)
    nb = sp.MatrixSymbol(r"\nabla_{b^{l}}C", 1, n_l)
    DL = sp.MatrixSymbol(r"\Delta^{L}", _m, n_l)
    Z = sp.MatrixSymbol(r"Z^{l}", _m, n_l)
    Cm = sp.MatrixSymbol("C", 1, 1)
    steps = [
        Step(sp.Eq(Z, BATCHED["z"]), "row $x$ of $A^{l-1} (W^l)^T$ is $(w^l a^{l-1}_x)^T$; the ones column adds "
                                     "$(b^l)^T$ to every row: eq. (25) for example $x$, row by row"),
        Step(sp.Eq(sp.Symbol("C"), sp.Sum(sp.Symbol("C_x"), (sp.Symbol("x"), 1, _m)) / _m),
             "the mini-batch cost is the mean of the per-example costs: so are its derivatives"),
        Step(sp.Eq(Cm, BATCHED["mean"]), "$C_x = \\sum_j c_{xj}$ is row $x$ times $\\mathbf{1}$; $\\mathbf{1}^T$ sums the rows"),
        Step(sp.Eq(DL, BATCHED["bp1"]), "row x is BP1 for example x"),
        Step(sp.Eq(_B["Delta"], BATCHED["bp2"]), "row $x$ of $Δ^{l+1} W^{l+1}$ is $((W^{l+1})^T δ^{l+1}_x)^T$: "
                                                "BP2 for example $x$, row by row"),
        Step(sp.Eq(nb, BATCHED["bp3"]), "$\\sum_x δ^l_x$ (BP3 per example), averaged"),
        Step(sp.Eq(nW, BATCHED["bp4"]),
             "$(Δ^l)^T A^{l-1} = \\sum_x δ^l_x (a^{l-1}_x)^T$ (BP4 per example), averaged"),
    ]
    return Derivation(
        statement=[sp.Eq(Z, BATCHED["z"]), sp.Eq(Cm, BATCHED["mean"]),
                   sp.Eq(DL, BATCHED["bp1"]), sp.Eq(_B["Delta"], BATCHED["bp2"]),
                   sp.Eq(nb, BATCHED["bp3"]), sp.Eq(nW, BATCHED["bp4"])],
        steps=steps,
        obligations=[],
        assumptions="$m$ examples as rows; $W^l$ is $n_l × n_{l-1}$ as in the book, $b^l$ a column; "
                    "C the mean cost",
        # every matrix explicit, each name the per-example formula stacked or averaged
        readings=[Reading(cases=(_batched_case((2, 3, 2, 2), Z, Cm, DL, nb, nW),
                                 _batched_case((3, 2, 3, 2), Z, Cm, DL, nb, nW)),
                          prepare=lambda e: e.doit(), prepare_name="explicit matrices",
                          methods=("expand",), at="m, n_{l-1}, n_l, n_{l+1} = 2, 3, 2, 2 and 3, 2, 3, 2")],
        parts=[Part("Z^l, C, Δ^L, Δ^l, ∂C/∂b^l, ∂C/∂W^l for a batch stacked as rows", False,
                    "m, n_{l-1}, n_l, n_{l+1} = 2, 3, 2, 2 and 3, 2, 3, 2")],
    )


def _batched_case(shape, Z, Cm, DL, nb, nW) -> Callable[[sp.Basic], sp.Basic]:
    """The definitions of :func:`bp_batched` at ``shape``: every input an explicit matrix of
    symbols, every name on a left-hand side the per-example formula (:func:`batched_per_example`)."""
    m_, a_, b_, c_ = shape
    ref = batched_per_example(*shape)
    widths = {_m: m_, n_prev: a_, n_l: b_, n_next: c_}
    table = {_B[name].xreplace(widths): M for name, M in ref["inputs"].items()}
    table.update({Z.xreplace(widths): ref["z"], Cm: ref["mean"], DL.xreplace(widths): ref["bp1"],
                  nb.xreplace(widths): ref["bp3"], nW.xreplace(widths): ref["bp4"]})
    table[_B["Delta"].xreplace(widths)] = ref["bp2"]
    return lambda e: e.xreplace(widths).xreplace(table)
