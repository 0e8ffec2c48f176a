r"""The Gauss–Newton product :math:`Gv = J^T H_o J v`, the positive semi-definite part of H that
Martens' Hessian-free optimization uses, and the identity :math:`H = G + \sum_i \frac{\partial C}
{\partial o_i}\nabla^2 o_i`.

Split the network at its output o: the cost is :math:`C(o(w))`, so (the Hessian of a composition)

.. math:: H = J^T H_o J + \sum_i \frac{\partial C}{\partial o_i}\,\nabla^2_w o_i,
          \qquad J = \partial o/\partial w,\; H_o = \partial^2 C/\partial o^2,

and :math:`G = J^T H_o J` is positive semi-definite whenever :math:`H_o` is.  Where the split is
made (Schraudolph 2002, Martens 2010):

* **at** :math:`a^L` for an elementwise output whose error keeps :math:`f'` (the quadratic cost,
  a user's): :math:`H_o = \operatorname{diag} c''(a^L)`, PSD for a convex c; every σ″ is dropped;
* **at** :math:`z^L` when the cost *matches* its output layer, :math:`\delta^L_j = d(a^L_j)` with no
  :math:`f'` (cross-entropy on the sigmoid and the log-likelihood on the softmax,
  :math:`\delta^L = a^L - y`, chapter 3): :math:`H_o = \partial\delta^L/\partial z^L` — diag σ′ for the
  sigmoid, :math:`\operatorname{diag}(a) - aa^T` for the softmax, both PSD — the output's own
  curvature is kept exactly.

Gv is an R-pass: the forward R-pass (theorem ``r_forward``) gives :math:`Jv`
(:math:`R\{z^L\}`, :math:`R\{a^L\}`); the output error is replaced by
:math:`R_G\{\delta^L\} = \Lambda_G \odot R\{z^L\}`; then BP2, BP3, BP4 *as they are* apply
:math:`J^T` (theorem ``gauss_newton_product``).  :func:`gauss_newton_curvature` is the
:math:`\Lambda_G` that ``numerics`` prints; :func:`gn_backprop` the whole pass on a concrete network.
"""
from __future__ import annotations

from typing import Mapping

import sympy as sp

from ..core.indexed import KRONECKER_REASON, kronecker_lemma
from ..core.outcome import Outcome, combine
from ..core.theorem import Derivation, Part, Reading, Step, decide, theorem
from .activations import ACTIVATIONS, Activation, a, sigmoid
from .costs import Cost, y
from .network import Network, check_on_networks, sigma, sigma_prime, sigma_second
from .r_operator import (CostC, R_ARCHITECTURES, SOFTMAX_ARCHITECTURES, Rd_L, Rz_L, a_L, a_prev,
                         along, c, c_prime, c_second, direction, index, normal_sums, onto_parameters, output_curvature,
                         path, prime_at, r, r_backprop, simpler, undefined, r_forward_pass, r_output, z_L, z_l)

__all__ = ["gauss_newton_curvature", "gn_backprop", "MATCHING_ARCHITECTURES", "CURVATURE_ARCHITECTURES",
           "net_softmax"]

j, k, i, q = index("j"), index("k"), index("i"), index("q")
n_L, n_l, n_next, n_prev = index("n_L"), index("n_l"), index("n_{l+1}"), index("n_{l-1}")
w_l, w_next, b_l, b_next = (sp.IndexedBase(s) for s in ("w^{l}", "w^{l+1}", "b^{l}", "b^{l+1}"))
#: R_G{δ}: the Gauss–Newton pass's error (R{δ} with the network's curvature left out)
Gd_L, Gd_l, Gd_next = (sp.IndexedBase(r"R_{G}\{\delta^{%s}\}" % s) for s in ("L", "l", "l+1"))
Gv_w, Gv_b = sp.IndexedBase(r"(Gv)_{w^{l}}"), sp.IndexedBase(r"(Gv)_{b^{l}}")


d_error_prime = undefined("d_error_prime", "d'", "d′",
                          doc="d′(a): the derivative of a matching cost's output error d(a).")
d_error = undefined("d_error", "d", "d", d_error_prime,
                    r"""The output error :math:`\delta^L_j = d(a^L_j)` of a cost that matches its
                    output layer (no :math:`f'` in it; :math:`d(a) = a - y` for the book's two).""")


def gauss_newton_curvature(cost: Cost, act: Activation | None = None) -> sp.Expr:
    r""":math:`\Lambda_G`, the Gauss–Newton output curvature of an elementwise output, in a, y (and z):
    :math:`R_G\{\delta^L\} = \Lambda_G \odot R\{z^L\}`.  For a cost that matches its output layer
    (``cost.cancels``: :math:`\delta^L` free of f′) the split is at :math:`z^L` and
    :math:`\Lambda_G = \partial\delta^L/\partial z^L` (:func:`~derive.book.r_operator.output_curvature`);
    otherwise at :math:`a^L`, :math:`\Lambda_G = c''(a) f'(z)^2`.  ``act``: the output layer (the
    cost's own by default).  A softmax output has no elementwise Λ (its :math:`R_G\{\delta^L\}`
    is its :math:`R\{\delta^L\}`: theorem ``r_output_error``)."""
    if cost.output == "softmax":
        raise ValueError(f"gauss_newton_curvature: {cost.name} has a softmax output; its "
                         "Gauss–Newton output error is its R{δ^L} (theorem r_output_error)")
    out = act or cost.output_activation or ACTIVATIONS[cost.output]
    if cost.cancels:
        return output_curvature(cost, out)
    lam = sp.diff(cost.term, a, 2) * out.prime ** 2
    return sp.piecewise_fold(lam) if lam.has(sp.Piecewise) else simpler(lam)


# --- the Gauss–Newton R-pass on concrete networks ------------------------------------------------------
#: Networks on which the matching split (cross-entropy on the sigmoid itself) is checked exactly.
MATCHING_ARCHITECTURES: tuple[tuple[int, ...], ...] = ((2, 2, 2),)


def _output_gn(net: Network, Rz_out) -> tuple:
    """:math:`R_G\\{\\delta^L\\}` on ``net``: the softmax's R{δ^L}; Λ_G ⊙ R{z^L} otherwise."""
    if net.softmax:
        return r_output(net, Rz_out)
    zL, aL = net.zs[net.L], net.activations[net.L]
    if net.cost_def.cancels:  # split at z^L: ∂δ^L/∂z^L along R{z^L}
        zeta = [sp.Dummy(f"zeta{t}") for t in range(len(zL))]
        errs, at = net.output_error(zeta), dict(zip(zeta, zL))
        return tuple(sp.cancel(sp.diff(e, u).doit()).xreplace(at) * rk for e, u, rk in zip(errs, zeta, Rz_out))
    c2 = sp.diff(net.cost_def.term, a, 2)
    return tuple(c2.xreplace({a: ak, y: yk}) * prime_at(net, u) ** 2 * rk
                 for ak, yk, u, rk in zip(aL, net.y, zL, Rz_out))


def gn_backprop(net: Network, v: Mapping) -> dict:
    r""":math:`(Gv)_p` for every parameter p of the concrete network ``net`` along ``v``: the forward
    R-pass, :math:`R_G\{\delta^L\}`, then BP2, BP3, BP4 applied to it (theorem
    ``gauss_newton_product``)."""
    Rz, _ = r_forward_pass(net, v)
    L = net.L
    G = {L: _output_gn(net, Rz[L])}
    for l in range(L - 1, 1, -1):
        W = net.weights[l + 1]
        G[l] = tuple(prime_at(net, u) * sp.Add(*[W[kk, jj] * G[l + 1][kk] for kk in range(W.rows)])
                     for jj, u in enumerate(net.zs[l]))
    return onto_parameters(net, G)


def _split_output(net: Network) -> tuple[tuple, sp.Expr, tuple]:
    """``(o, C(o), o symbols)``: the output the split is made at (z^L for a softmax or a matching
    cost, a^L otherwise) and the cost as a function of free symbols standing for it."""
    L = net.L
    matching = net.softmax or bool(net.cost_def.cancels)
    o = net.zs[L] if matching else net.activations[L]
    syms = tuple(sp.Dummy(f"o{t}") for t in range(len(o)))
    if net.softmax:
        cost = net.cost_of(net_softmax(syms))
    elif matching:
        cost = net.cost_of([net.f(s) for s in syms])
    else:
        cost = net.cost_of(syms)
    return o, cost, syms


def net_softmax(zs) -> tuple:
    """The softmax of the weighted inputs ``zs`` (eq. 78)."""
    S = sp.Add(*[sp.exp(u) for u in zs])
    return tuple(sp.exp(u) / S for u in zs)


def _moved(e: sp.Expr, net: Network, v: Mapping) -> sp.Expr:
    """∂/∂r at r = 0 of ``e`` at w + r v (``sympy.diff``)."""
    return e.xreplace({p: p + r * v[p] for p in net.parameters}).diff(r).xreplace({r: 0})


def _gn_pairs(net: Network):
    r""":math:`(J^T H_o J v)_p` by ``sympy.diff`` (J = ∂o/∂p, :math:`H_o = \partial^2 C/\partial o^2`,
    :math:`Jv = \partial/\partial r\, o(w + rv)`) against :func:`gn_backprop`, for every parameter."""
    v = direction(net)
    G = gn_backprop(net, v)
    o, cost, syms = _split_output(net)
    at = dict(zip(syms, o))
    Ho = [[sp.diff(cost, s, t).xreplace(at) for t in syms] for s in syms]
    Jv = [_moved(u, net, v) for u in o]
    HJv = [sp.Add(*[Ho[s][t] * Jv[t] for t in range(len(o))]) for s in range(len(o))]
    for p in net.parameters:
        yield f"(Gv)_{p}", sp.Add(*[sp.diff(o[s], p) * HJv[s] for s in range(len(o))]), G[p]


def _curvature_pairs(net: Network):
    r""":math:`(Gv)_p` (:func:`gn_backprop`) plus :math:`\sum_i \partial C/\partial o_i\;
    \partial/\partial r\,(\partial o_i/\partial p)(w + rv)` by ``sympy.diff`` (the curvature of the
    network weighted by the cost's slope) against :math:`(Hv)_p`
    (:func:`~derive.book.r_operator.r_backprop`)."""
    v = direction(net)
    H, G = r_backprop(net, v), gn_backprop(net, v)
    o, cost, syms = _split_output(net)
    at = dict(zip(syms, o))
    slope = [sp.diff(cost, s).xreplace(at) for s in syms]
    for p in net.parameters:  # (a curvature that is 0, the output biases' at z^L, is no check)
        rest = sp.Add(*[slope[s] * _moved(sp.diff(o[s], p), net, v) for s in range(len(o))])
        yield f"(Gv + curvature)_{p}", G[p] + rest, H[p]


#: Networks of the curvature check (the identity is the chain rule's; one hidden layer has σ″).
CURVATURE_ARCHITECTURES: tuple[tuple[int, ...], ...] = ((2, 2, 2),)


def _gn_on_networks() -> Outcome:
    """The Gauss–Newton pass against JᵀH_oJv: split at a^L (σ, c undefined), at z^L (the softmax,
    and cross-entropy on the sigmoid itself)."""
    what = "Gv = JᵀH_oJv"
    return combine([check_on_networks(_gn_pairs, [CostC], what, R_ARCHITECTURES),
                    check_on_networks(_gn_pairs, ["log_likelihood"], what, SOFTMAX_ARCHITECTURES),
                    check_on_networks(_gn_pairs, ["cross_entropy"], what, MATCHING_ARCHITECTURES,
                                      f=sigmoid)])


def _curvature_on_networks() -> Outcome:
    """R-pass = Gauss–Newton pass + the network's curvature: split at a^L and at z^L."""
    what = "Hv = Gv + Σ ∂C/∂o_i ∇²o_i v"
    return combine([check_on_networks(_curvature_pairs, [CostC], what, CURVATURE_ARCHITECTURES),
                    check_on_networks(_curvature_pairs, ["log_likelihood"], what, SOFTMAX_ARCHITECTURES)])


# --- index form ------------------------------------------------------------------------------------------
def _d(expr, var):
    return sp.Derivative(expr, var, evaluate=False)


def _by_form(*readings: tuple) -> Reading:
    """One reading that decides each relation by the first ``(test, reading)`` whose test holds for
    it (a relation's form says which hypothesis it is stated under)."""
    def decides(rel: sp.Basic) -> Outcome:
        for test, reading in readings:
            if test(rel):
                return decide(rel, [reading])
        return Outcome("undecided", "statement", detail=f"no reading for {rel}")
    return Reading(decides=decides)


@theorem("gauss_newton_product", "The Gauss–Newton product Gv = JᵀHₒJv is backprop of a new error",
         "r_operator", equation="Martens (2010)")
def gauss_newton_product() -> Derivation:
    r"""The output block of :math:`J^T H_o J v`: :math:`R_G\{\delta^L_j\} = c''(a^L_j)\sigma'(z^L_j)^2
    R\{z^L_j\}` (split at :math:`a^L`, :math:`C_x = \sum_j c(a^L_j)`), or
    :math:`R_G\{\delta^L_j\} = d'(a^L_j)\sigma'(z^L_j)R\{z^L_j\}` (split at :math:`z^L`,
    :math:`\delta^L_j = d(a^L_j)`); then :math:`J^T` is BP2, BP3, BP4 applied to it:
    :math:`R_G\{\delta^l_j\} = \sigma'(z^l_j)\sum_k w^{l+1}_{kj}R_G\{\delta^{l+1}_k\}`,
    :math:`(Gv)_{w^l_{jk}} = R_G\{\delta^l_j\}a^{l-1}_k`, :math:`(Gv)_{b^l_j} = R_G\{\delta^l_j\}`."""
    # the output block: σ′(z_j) Σ_k (∂²C/∂a_j∂a_k) R{a_k}, C = Σ_i c(a_i), R{a_k} = σ′(z_k) R{z_k}
    C_sum = sp.Sum(c(a_L[i]), (i, 1, n_L))
    H_jk = sp.diff(C_sum, a_L[j], a_L[k])
    at_a = sigma_prime(z_L[j]) * sp.Sum(H_jk * sigma_prime(z_L[k]) * Rz_L[k], (k, 1, n_L))
    rhs_a = c_second(a_L[j]) * sigma_prime(z_L[j]) ** 2 * Rz_L[j]
    # the split at z^L: Σ_k ∂δ_j/∂z_k R{z_k}, δ_j = d(σ(z_j))
    at_z = sp.Sum(sp.diff(d_error(sigma(z_L[j])), z_L[k]) * Rz_L[k], (k, 1, n_L)).xreplace(
        {sigma(z_L[j]): a_L[j]})
    rhs_z = d_error_prime(a_L[j]) * sigma_prime(z_L[j]) * Rz_L[j]
    # Jᵀ through a hidden layer: Σ_k R_G δ^{l+1}_k ∂z^{l+1}_k/∂z^l_j
    z_next_k = sp.Sum(w_next[k, i] * sigma(z_l[i]), (i, 1, n_l)) + b_next[k]
    hidden = sp.Sum(Gd_next[k] * sp.diff(z_next_k, z_l[j]), (k, 1, n_next))
    rhs_hidden = sigma_prime(z_l[j]) * sp.Sum(w_next[k, j] * Gd_next[k], (k, 1, n_next))
    # ... and onto the parameters: Σ_i R_G δ^l_i ∂z^l_i/∂w^l_jk, ∂z^l_i/∂b^l_j
    z_i = sp.Sum(w_l[i, q] * a_prev[q], (q, 1, n_prev)) + b_l[i]
    gw = sp.Sum(Gd_l[i] * sp.diff(z_i, w_l[j, k]), (i, 1, n_l))
    gb = sp.Sum(Gd_l[i] * sp.diff(z_i, b_l[j]), (i, 1, n_l))
    statement = [sp.Eq(Gd_L[j], rhs_a), sp.Eq(Gd_L[j], rhs_z), sp.Eq(Gd_l[j], rhs_hidden),
                 sp.Eq(Gv_w[j, k], Gd_l[j] * a_prev[k]), sp.Eq(Gv_b[j], Gd_l[j])]
    steps = [
        Step(sp.Eq(Gd_L[j], sigma_prime(z_L[j]) * sp.Sum(sp.Symbol(r"\partial^2 C/\partial a^L_j \partial a^L_k")
                                                         * sigma_prime(z_L[k]) * Rz_L[k], (k, 1, n_L))),
             "split at $a^L$: $J v$ at the output is $R\\{a^L_k\\} = σ′(z^L_k) R\\{z^L_k\\}$ (theorem "
             "`r_forward`); multiply by $H_o = ∂^2C/∂a^L∂a^L$, then by the output's $σ′(z^L_j)$ "
             "($J^T$ starts as BP1 does)"),
        Step(sp.Eq(Gd_L[j], rhs_a), "$C = \\sum_i c(a^L_i)$: $H_o$ is diagonal, $c″(a^L_j)$; "
                                    + KRONECKER_REASON),
        Step(sp.Eq(Gd_L[j], sp.Sum(sp.Symbol(r"\partial \delta^L_j/\partial z^L_k") * Rz_L[k], (k, 1, n_L))),
             "split at $z^L$ (a cost that matches its output, $δ^L_j = d(a^L_j)$): $H_o = ∂δ^L/∂z^L$"),
        Step(sp.Eq(Gd_L[j], rhs_z), "$∂d(σ(z^L_j))/∂z^L_k = d′(a^L_j) σ′(z^L_j) δ_{jk}$; "
                                    "$d′ = 1$ for the cross-entropy and the log-likelihood"),
        Step(sp.Eq(Gd_l[j], sp.Sum(Gd_next[k] * _d(sp.Symbol("z^{l+1}_k"), z_l[j]), (k, 1, n_next))),
             "$J^T$ is the chain rule run backwards, as for BP2"),
        Step(sp.Eq(Gd_l[j], rhs_hidden), "BP2 with $R_G\\{δ\\}$ for $δ$"),
        Step(sp.Eq(Gv_w[j, k], Gd_l[j] * a_prev[k]), "BP4 with $R_G\\{δ\\}$ for $δ$"),
        Step(sp.Eq(Gv_b[j], Gd_l[j]), "BP3 with $R_G\\{δ\\}$ for $δ$"),
    ]
    has = lambda f: (lambda rel: rel.rhs.has(f))  # noqa: E731
    return Derivation(
        statement=statement,
        steps=steps,
        obligations=[kronecker_lemma,
                     _gn_on_networks],
        assumptions="$G = J^T H_o J$ with $o = a^L$ ($H_o = ∂^2C/∂a^2$) or, for a cost with "
                    "$δ^L_j = d(a^L_j)$, $o = z^L$ ($H_o = ∂^2C/∂z^2$); σ, c, d differentiable, "
                    "otherwise arbitrary",
        readings=[_by_form(
            (has(c_second), Reading({Gd_L[j]: at_a}, normal_sums, "J, H_o, Jᵀ", ("structural", "expand"))),
            (has(d_error_prime), Reading({Gd_L[j]: at_z}, normal_sums, "J, H_o, Jᵀ", ("structural", "expand"))),
            (lambda rel: rel.lhs.has(Gd_l) and not rel.lhs.has(Gv_w) and not rel.lhs.has(Gv_b),
             Reading({Gd_l[j]: hidden}, normal_sums, "the chain rule", ("structural", "expand"))),
            (lambda rel: True, Reading({Gv_w[j, k]: gw, Gv_b[j]: gb}, normal_sums, "the chain rule",
                                       ("structural", "expand"))))],
        parts=[Part("the output block of JᵀH_oJv split at a^L or at z^L, Jᵀ through hidden layers "
                    "and onto every weight and bias; any widths", True),
               Part("the Gauss–Newton pass equals JᵀH_oJv, every weight and bias", False,
                    "networks [2,2,2,2] (σ, c undefined), [2,2,3] (softmax, log-likelihood), "
                    "[2,2,2] (sigmoid, cross-entropy: the split at z^L)")],
    )


_HG_DIMS = (2, 3)


def _composition_reading(lhs: sp.Symbol, jtj: sp.Symbol, rest: sp.Symbol) -> Reading:
    r"""The statement for d = 2, 3 parameters and two outputs :math:`o_1(w), o_2(w)` (undefined) and
    an undefined :math:`C(o_1, o_2)`: ``lhs`` is :math:`\partial^2 C(o(w))/\partial w_1\partial w_q`
    summed against v by ``sympy.diff``; ``jtj`` and ``rest`` the two sides' terms."""
    def case(dim: int):
        ws = sp.symbols(f"w_1:{dim + 1}", real=True)
        vs = sp.symbols(f"v_1:{dim + 1}", real=True)
        os_ = [sp.Function(f"o_{t}")(*ws) for t in (1, 2)]
        u = sp.symbols("u_1:3", real=True)
        Cu = sp.Function("C")(*u)
        comp = Cu.xreplace(dict(zip(u, os_)))
        hv = sp.Add(*[sp.diff(comp, ws[0], wq) * vq for wq, vq in zip(ws, vs)])
        at = dict(zip(u, os_))
        Ho = [[sp.diff(Cu, s, t) for t in u] for s in u]
        Jv = [sp.Add(*[sp.diff(o_, wq) * vq for wq, vq in zip(ws, vs)]) for o_ in os_]
        gn = sp.Add(*[sp.diff(os_[s], ws[0]) * Ho[s][t] * Jv[t] for s in range(2) for t in range(2)])
        curv = sp.Add(*[sp.diff(Cu, u[s]) * sp.Add(*[sp.diff(os_[s], ws[0], wq) * vq
                                                      for wq, vq in zip(ws, vs)]) for s in range(2)])
        table = {lhs: hv, jtj: gn.subs(at), rest: curv.subs(at)}
        return lambda e: e.xreplace(table)
    return Reading(cases=[case(dim) for dim in _HG_DIMS], prepare=lambda e: e.doit(),
                   prepare_name="sympy.diff, doit", methods=("structural", "expand"),
                   at="d = " + ", ".join(map(str, _HG_DIMS)) + ", two outputs")


@theorem("hessian_gauss_newton", "H = G + the network's curvature weighted by the cost's slope",
         "r_operator", equation="Schraudolph (2002)")
def hessian_gauss_newton() -> Derivation:
    r""":math:`Hv = J^T H_o J v + \sum_i \frac{\partial C}{\partial o_i}(\nabla^2 o_i)v` (the Hessian
    of :math:`C(o(w))`); at the output layer (split at :math:`a^L`) the difference is the σ″ term,
    :math:`R\{\delta^L_j\} - R_G\{\delta^L_j\} = c'(a^L_j)\sigma''(z^L_j)R\{z^L_j\}`; checked
    exactly on concrete networks as R-pass minus Gauss–Newton pass."""
    hv, jtj, rest = (sp.Symbol(s) for s in (r"(Hv)_{p}", r"(J^{T} H_{o} J v)_{p}",
                                             r"\sum_{i} \partial C/\partial o_{i} (\nabla^{2} o_{i} v)_{p}"))
    statement = [sp.Eq(hv, jtj + rest),
                 sp.Eq(Rd_L[j] - Gd_L[j], c_prime(a_L[j]) * sigma_second(z_L[j]) * Rz_L[j])]
    # the two output errors by their definitions (theorems r_output_error, gauss_newton_product)
    _ZL = path("z^{L}")
    rd = along(c_prime(sigma(_ZL(j, r))) * sigma_prime(_ZL(j, r)), {_ZL: (z_L, Rz_L)}).xreplace(
        {sigma(z_L[j]): a_L[j]})
    C_sum = sp.Sum(c(a_L[i]), (i, 1, n_L))
    gd = sigma_prime(z_L[j]) * sp.Sum(sp.diff(C_sum, a_L[j], a_L[k]) * sigma_prime(z_L[k]) * Rz_L[k],
                                      (k, 1, n_L))
    steps = [
        Step(sp.Eq(hv, jtj + rest), "differentiate $∂C/∂w_p = \\sum_i (∂C/∂o_i)(∂o_i/∂w_p)$ along v: "
                                    "the product rule gives the Gauss–Newton term (the slope moves) and "
                                    "the network's curvature (the Jacobian moves)"),
        Step(statement[1], "at the output layer the curvature is $c′ σ″$: $G$ drops every σ″ "
                           "(and the $R\\{w\\}δ$, $δR\\{a\\}$ terms of the hidden layers)"),
    ]
    return Derivation(
        statement=statement,
        steps=steps,
        obligations=[kronecker_lemma,
                     _curvature_on_networks],
        assumptions="C and o twice differentiable; part 2: $C_x = \\sum_j c(a^L_j)$, $a^L = σ(z^L)$",
        readings=[_by_form((lambda rel: rel.lhs == hv, _composition_reading(hv, jtj, rest)),
                           (lambda rel: True, Reading({Rd_L[j]: rd, Gd_L[j]: gd}, normal_sums,
                                                      "∂/∂r at r = 0, J, H_o, Jᵀ", ("structural", "expand"))))],
        parts=[Part("H v = Jᵀ H_o J v + Σ_i ∂C/∂o_i ∇²o_i v (the Hessian of a composition)", False,
                    "d = 2, 3 parameters, two outputs, C and o undefined"),
               Part("R{δ^L_j} − R_G{δ^L_j} = c′(a^L_j) σ″(z^L_j) R{z^L_j}, any width", True),
               Part("R-pass = Gauss–Newton pass + the network's curvature, every weight and bias",
                    False, "networks [2,2,2] (σ, c undefined) and [2,2,3] (softmax, log-likelihood)")],
    )
