r"""The Hessian technique, used: Pearlmutter's R-operator applied to the forward pass and to BP1–BP4.

The notes end chapter 3 with the Newton step :math:`\Delta w = -H^{-1}\nabla C` (theorem
``hessian_newton_step``) and the objection that H has one entry per pair of weights.  The answer is
never to form H: for a direction v,

.. math:: \mathcal R_v\{f\} \equiv \frac{\partial}{\partial r} f(w + r v)\Big|_{r=0},
          \qquad \mathcal R_v\{\nabla C\} = H v,

and :math:`\mathcal R` obeys the rules of differentiation, so applying it to each line of the
forward pass and of BP1–BP4 gives an algorithm for Hv at about the cost of two gradients
(Pearlmutter 1994):

.. math::
    R\{z^l\} = R\{w^l\} a^{l-1} + w^l R\{a^{l-1}\} + R\{b^l\}, \quad R\{a^l\} = \sigma'(z^l)\odot R\{z^l\},
    \quad R\{a^1\} = 0

    R\{\delta^L\} = \big(c''(a^L)\,\sigma'(z^L)^2 + c'(a^L)\,\sigma''(z^L)\big)\odot R\{z^L\}
    \qquad (C = \textstyle\sum_j c(a^L_j), \text{ an elementwise output})

    R\{\delta^L_j\} = a^L_j\big(R\{z^L_j\} - \textstyle\sum_k a^L_k R\{z^L_k\}\big)
    \qquad (\text{softmax with the log-likelihood})

    R\{\delta^l\} = \sigma''(z^l)\odot R\{z^l\}\odot (w^{l+1})^T\delta^{l+1}
                  + \sigma'(z^l)\odot\big((R\{w^{l+1}\})^T\delta^{l+1} + (w^{l+1})^T R\{\delta^{l+1}\}\big)

    R\{\partial C/\partial w^l_{jk}\} = R\{\delta^l_j\}\,a^{l-1}_k + \delta^l_j\,R\{a^{l-1}_k\},
    \qquad R\{\partial C/\partial b^l_j\} = R\{\delta^l_j\}.

Each line is a theorem proved from its statement for layers of symbolic width: the left-hand side
*is* :math:`\partial/\partial r` at r = 0 of the book's formula (eq. 25, BP1, BP2, BP3, BP4) evaluated
at :math:`w + r v`, every quantity of an earlier layer an arbitrary differentiable path
:math:`x(r)` with :math:`x(0) = x` and :math:`x'(0) = R\{x\}`; SymPy differentiates, and the sums
are normalised (:mod:`derive.core.indexed`).  Theorem ``hessian_vector_product`` proves that the
whole pass computes Hv, exactly, on concrete networks (:func:`r_backprop`); ``r_batched`` proves the
mini-batch forms :data:`BATCHED_R` that ``numerics`` prints; ``activation_second`` proves σ″ of
the shipped activations, written through a = σ(z) by :func:`second` from each activation's own
proved σ′.  The Gauss–Newton product is :mod:`derive.book.gauss_newton`.
"""
from __future__ import annotations

import itertools
from typing import Callable, Mapping

import sympy as sp

from ..core.display import Display, display
from ..core.indexed import canonical_indices, collapse_kronecker, index, pull_constants
from ..core.notation import name_symbols, plain_text
from ..core.outcome import Outcome, combine
from ..core.prover import prove_equal
from ..core.theorem import Derivation, Identity, Part, Reading, Step, decide, theorem
from .activations import ACTIVATIONS, Activation, a, relu, sigmoid, z
from .costs import COSTS, Cost, y
from .network import Network, pretty_call, sigma, sigma_prime, sigma_second

__all__ = ["r", "normal_sums", "simpler", "undefined", "second", "second_identity", "path", "along", "r_backprop", "direction", "CostC",
           "generic_cost", "output_curvature", "BATCHED_R", "BATCHED_R_SYMBOLS", "R_ARCHITECTURES",
           "SOFTMAX_ARCHITECTURES", "c", "c_prime", "c_second", "prime_at", "second_at",
           "r_forward_pass", "r_output", "onto_parameters"]

r = sp.Symbol("r", real=True)  #: the step along the direction v: R{f} = ∂f(w + r v)/∂r at r = 0

# --- index-form objects (book names; widths symbolic) --------------------------------------------
j, k, i, q = (index(s) for s in "j k i q".split())
n_L, n_l, n_next, n_prev = index("n_L"), index("n_l"), index("n_{l+1}"), index("n_{l-1}")
z_L, z_l = sp.IndexedBase("z^{L}"), sp.IndexedBase("z^{l}")
a_L, a_prev = sp.IndexedBase("a^{L}"), sp.IndexedBase("a^{l-1}")
w_l, w_next = sp.IndexedBase("w^{l}"), sp.IndexedBase("w^{l+1}")
b_l, b_next = sp.IndexedBase("b^{l}"), sp.IndexedBase("b^{l+1}")
x_in = sp.IndexedBase("x")
delta_l, delta_next = sp.IndexedBase(r"\delta^{l}"), sp.IndexedBase(r"\delta^{l+1}")
y_ = sp.IndexedBase("y")


def _R(name: str) -> sp.IndexedBase:
    r""":math:`R\{x\}` of the quantity named ``name`` (LaTeX), as an indexed family."""
    return sp.IndexedBase(r"R\{%s\}" % name)


Rw_l, Rw_next, Rb_l = _R("w^{l}"), _R("w^{l+1}"), _R("b^{l}")
Rz_l, Rz_L, Ra_l, Ra_prev, Ra_1 = _R("z^{l}"), _R("z^{L}"), _R("a^{l}"), _R("a^{l-1}"), _R("a^{1}")
Rd_L, Rd_l, Rd_next = _R(r"\delta^{L}"), _R(r"\delta^{l}"), _R(r"\delta^{l+1}")
Rgw, Rgb = _R(r"\partial C/\partial w^{l}"), _R(r"\partial C/\partial b^{l}")


# --- the per-neuron cost c(a) of an elementwise output, undefined ---------------------------------
def undefined(name: str, latex: str, pretty: str, derivative: type | None = None, doc: str = "") -> type:
    r"""A function of one argument about which nothing is known but its derivative's name
    (``derivative``, itself such a function, or none): shown ``latex`` (``c''``) and ``pretty``
    (``c″``) before its argument in parentheses, as :class:`~derive.book.network.sigma_prime` is."""
    def _latex(self, printer, exp=None):
        out = r"%s\left(%s\right)" % (latex, printer._print(self.args[0]))
        return out if exp is None else r"\left(%s\right)^{%s}" % (out, exp)

    body = {"nargs": 1, "_latex": _latex, "__module__": __name__, "__doc__": doc,
            "_pretty": lambda self, printer: pretty_call(printer, pretty, self.args)}
    if derivative is not None:
        body["fdiff"] = lambda self, argindex=1: derivative(self.args[0])
    return type(name, (sp.Function,), body)


c_second = undefined("c_second", "c''", "c″", doc=r":math:`c''(a)`: the second derivative of :class:`c`.")
c_prime = undefined("c_prime", "c'", "c′", c_second,
                    r":math:`c'(a) = \partial C_x/\partial a^L_j` of the per-neuron cost :class:`c`.")
c = undefined("c", "c", "c", c_prime,
              r"""The cost of one output neuron, :math:`C_x = \sum_j c(a^L_j)` (its target :math:`y_j`
              fixed), about which nothing is known but that it is twice differentiable: every
              elementwise cost.""")


# --- paths and the R-operator ------------------------------------------------------------------------
def path(name: str) -> type:
    r"""A function ``P(index, r)`` about which nothing is known (SymPy differentiates it into
    ``Derivative(P(index, r), r)``): the quantity ``name`` (LaTeX, ``a^{l-1}``) of an earlier layer
    along :math:`w + r v`, any differentiable path, shown :math:`a^{l-1}_k(r)`; :func:`along` names
    its value at r = 0 and its rate there."""
    def _latex(self, printer, exp=None):
        idx, arg = self.args
        s = r"%s_{%s}\left(%s\right)" % (name, printer._print(idx), printer._print(arg))
        return s if exp is None else r"\left(%s\right)^{%s}" % (s, exp)

    def _pretty(self, printer):
        idx, arg = self.args
        return pretty_call(printer, plain_text(f"${name}_{{{idx}}}$"), (arg,))

    return type(f"path_{next(_PATHS)}", (sp.Function,), {"nargs": 2, "_latex": _latex,
                                                         "_pretty": _pretty, "__module__": __name__})


_PATHS = itertools.count()  #: numbers the path classes (each path its own function)


def along(expr: sp.Expr, paths: Mapping[type, tuple[sp.IndexedBase, sp.IndexedBase]]) -> sp.Expr:
    r""":math:`\partial/\partial r` of ``expr`` at r = 0 (SymPy's ``diff``, then ``subs``), every path
    ``P(i, r)`` of ``paths`` written as its value ``x[i]`` at 0 and every
    :math:`\partial P(i, r)/\partial r` at 0 as its rate ``R{x}[i]``: ``paths`` maps P to
    ``(x, R{x})``.  This is the definition of :math:`R\{\cdot\}`."""
    d = sp.diff(expr, r).subs(r, 0)

    def rate(e: sp.Basic) -> bool:
        return (isinstance(e, sp.Subs) and isinstance(e.expr, sp.Derivative)
                and getattr(e.expr.expr, "func", None) in paths and e.expr.variables == (r,))

    d = d.replace(rate, lambda e: paths[e.expr.expr.func][1][e.expr.expr.args[0]])
    return d.replace(lambda e: isinstance(e, sp.Function) and e.func in paths,
                     lambda e: paths[e.func][0][e.args[0]])


def normal_sums(e: sp.Expr) -> sp.Expr:
    """Sums normalised: Kronecker deltas collapsed, constants out of every sum, bound indices
    renamed canonically (so that lhs − rhs reduces to 0 by ``expand``)."""
    return canonical_indices(pull_constants(collapse_kronecker(sp.expand(e))[0]))


def _reading(definitions: dict, name: str = "") -> Reading:
    """The general reading: the R-quantities defined as ∂/∂r at r = 0 (:func:`along`), sums normalised."""
    return Reading(definitions, normal_sums, "∂/∂r at r = 0" + (f", {name}" if name else "") +
                   ", Kronecker collapse, constants out of Σ", ("structural", "expand"))


# --- σ″ from the activation object ------------------------------------------------------------------
def second(act: Activation) -> sp.Expr:
    r""":math:`f''` of the activation ``act``, written like its ``prime`` (through a = f(z) where
    f′ is, else through z): the chain rule on ``act.prime``,
    :math:`f'' = \frac{\partial f'}{\partial a} f' + \frac{\partial f'}{\partial z}`.  The Heaviside
    step's derivative (ReLU′, a Piecewise of a user's) is 0 away from the kinks, where f″ is taken to
    be 0 (:attr:`Activation.kinks`: the numeric checks keep away from them).  Theorem
    ``activation_second`` (shipped) and :func:`second_identity` (a user's) prove it."""
    p = act.prime
    out = sp.diff(p, a) * p + sp.diff(p, z)
    out = out.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.S.Zero)
    return sp.piecewise_fold(out) if out.has(sp.Piecewise) else simpler(out)


def simpler(e: sp.Expr) -> sp.Expr:
    """``e`` or its ``cancel``-ed form, whichever has fewer operations (a product as it was built,
    a(1 − a)(1 − 2a), stays one)."""
    cancelled = sp.cancel(e)
    return cancelled if sp.count_ops(cancelled) < sp.count_ops(e) else e


def _second_relation(act: Activation, f=None) -> sp.Eq:
    """f″(z) = :func:`second` with a = f(z): the relation a theorem proves (``f`` the activation's
    function class, so that the statement shows σ(z) rather than its textbook form)."""
    fz = f(z) if f is not None else act.f(z)
    return sp.Eq(sp.Derivative(fz, (z, 2)), second(act).xreplace({a: fz}), evaluate=False)


def _second_reading(kinks: tuple = ()) -> Reading:
    """Both sides evaluated (doit), through exp, folded piece by piece (on each side of a kink at
    0: z > 0 and z < 0)."""
    prep = lambda e: sp.piecewise_fold(e.doit().rewrite(sp.exp))  # noqa: E731
    sides = ({z: sp.Symbol("z", positive=True)}, {z: sp.Symbol("z", negative=True)}) if kinks else ()
    return Reading(prepare=prep, prepare_name="doit, rewrite→exp" + (", z > 0 / z < 0" if kinks else ""),
                   methods=("structural", "expand", "cancel", "simplify"), each_side=True,
                   refutable=not kinks, cases=sides)


@theorem("activation_second", "σ″ of the shipped activations, through a = σ(z)", "r_operator")
def activation_second() -> Derivation:
    r""":math:`\sigma'' = \sigma'(1 - 2\sigma)` (sigmoid), :math:`\tanh'' = -2a(1 - a^2)`,
    :math:`\operatorname{ReLU}'' = 0` away from 0: :func:`second` of each activation's proved
    ``prime``, as the R-pass prints it (R{δ^l} needs σ″)."""
    sig, th, rl = ACTIVATIONS["sigmoid"], ACTIVATIONS["tanh"], ACTIVATIONS["relu"]
    statement = [_second_relation(sig, sigmoid), _second_relation(th, sp.tanh),
                 _second_relation(rl, relu)]
    steps = [
        Step(sp.Eq(sp.Symbol("f''"), sp.Symbol(r"\partial f'/\partial a") * sp.Symbol("f'")
                   + sp.Symbol(r"\partial f'/\partial z")),
             "the chain rule on f′ written through $a = f(z)$ (and z): $da/dz = f′$"),
        Step(sp.Eq(sp.Symbol(r"\sigma''"), second(sig)), "sigmoid: $f′ = a(1 − a)$, so "
             "$f″ = (1 − 2a) · a(1 − a)$"),
        Step(sp.Eq(sp.Symbol(r"\tanh''"), second(th)), "tanh: $f′ = 1 − a^2$, so $f″ = −2a(1 − a^2)$"),
        Step(sp.Eq(sp.Symbol(r"\operatorname{ReLU}''"), second(rl)),
             "ReLU: $f′ = H(z)$ is constant on each side of the kink; at $z = 0$ there is no $f″$ "
             "(gradproof takes 0, as for ReLU′(0))"),
    ]
    return Derivation(
        statement=statement, steps=steps, obligations=[],
        assumptions="z real; for ReLU z ≠ 0",
        readings=[_second_reading(), _second_reading((0.0,))],
        parts=[Part("σ″ = σ′(1 − 2σ), tanh″ = −2 tanh (1 − tanh²) for every real z", True),
               Part("ReLU″ = 0 for z > 0 and z < 0 (none at the kink)", True)],
    )


def second_identity(act: Activation) -> Identity:
    """The theorem that :func:`second` of ``act`` (a user's, :mod:`derive.book.custom`) is f″:
    an :class:`~derive.core.theorem.Identity` not entered in the registry, proved like
    ``activation_second`` (away from the activation's kinks)."""
    statement = [_second_relation(act)]
    steps = [Step(statement[0], "the chain rule on the proved f′ (written through a = f(z) where "
                                "it is): $f″ = (∂f′/∂a) f′ + ∂f′/∂z$")]
    return Identity(f"{act.name}_second", f"Second derivative of {act.name}", "r_operator",
                    lambda: Derivation(statement, steps, [], "z real" + (
                        f"; z ∉ {list(act.kinks)}" if act.kinks else ""),
                        readings=[_second_reading(act.kinks)],
                        parts=[Part(f"{act.name}″ = the chain rule on {act.name}′", True)]))


# --- the forward R-pass -----------------------------------------------------------------------------
_A, _Z = path("a^{l-1}"), path("z^{l}")


@theorem("r_forward", "The forward R-pass: R{zˡ} and R{aˡ}", "r_operator",
         equation="(25) along v")
def r_forward() -> Derivation:
    r""":math:`R\{z^l_j\} = \sum_k R\{w^l_{jk}\}a^{l-1}_k + \sum_k w^l_{jk}R\{a^{l-1}_k\} + R\{b^l_j\}`,
    :math:`R\{a^l_j\} = \sigma'(z^l_j)R\{z^l_j\}` and :math:`R\{a^1_k\} = R\{x_k\} = 0`: eq. (25) and
    :math:`a^l = \sigma(z^l)` differentiated along v."""
    z_of_r = sp.Sum((w_l[j, k] + r * Rw_l[j, k]) * _A(k, r), (k, 1, n_prev)) + b_l[j] + r * Rb_l[j]
    a_of_r = sigma(_Z(j, r))
    defs = {Rz_l[j]: along(z_of_r, {_A: (a_prev, Ra_prev)}),
            Ra_l[j]: along(a_of_r, {_Z: (z_l, Rz_l)}),
            Ra_1[k]: along(x_in[k], {})}
    rz = sp.Sum(Rw_l[j, k] * a_prev[k], (k, 1, n_prev)) + sp.Sum(w_l[j, k] * Ra_prev[k], (k, 1, n_prev)) \
        + Rb_l[j]
    Rd = lambda e: sp.Subs(sp.Derivative(e, r), r, 0)  # noqa: E731
    steps = [
        Step(sp.Eq(Rz_l[j], Rd(z_of_r)),
             "definition of $R\\{·\\}$: eq. (25) at $w + r v$, each $a^{l−1}_k$ a path with "
             "$a^{l−1}_k(0) = a^{l−1}_k$ and rate $R\\{a^{l−1}_k\\}$ at $r = 0$"),
        Step(sp.Eq(Rz_l[j], defs[Rz_l[j]]), "the product rule, term by term under the sum"),
        Step(sp.Eq(Rz_l[j], rz), "split the sum: the weights' direction times $a^{l−1}$, the weights "
                                 "times the direction of $a^{l−1}$, and the biases' direction"),
        Step(sp.Eq(Ra_l[j], Rd(a_of_r)), "$a^l_j = σ(z^l_j)$ along $w + r v$"),
        Step(sp.Eq(Ra_l[j], sigma_prime(z_l[j]) * Rz_l[j]), "the chain rule"),
        Step(sp.Eq(Ra_1[k], 0), "the input $a^1 = x$ does not depend on the weights"),
    ]
    return Derivation(
        statement=[sp.Eq(Rz_l[j], rz), sp.Eq(Ra_l[j], sigma_prime(z_l[j]) * Rz_l[j]),
                   sp.Eq(Ra_1[k], 0)],
        steps=steps,
        obligations=[],
        assumptions="$R\\{f\\} = ∂f(w + r v)/∂r$ at $r = 0$; σ differentiable, otherwise arbitrary; "
                    "$1 ≤ j ≤ n_l$",
        readings=[_reading(defs)],
        parts=[Part("R{z^l_j} = Σ_k R{w^l_jk} a^{l−1}_k + Σ_k w^l_jk R{a^{l−1}_k} + R{b^l_j}, "
                    "R{a^l_j} = σ′(z^l_j) R{z^l_j}, R{a^1} = 0; any widths", True)],
    )


@display("r_forward")
def _r_forward_form(s):
    r"""Pearlmutter's order: :math:`\sum_k R\{w^l_{jk}\}a^{l-1}_k + \sum_k w^l_{jk}R\{a^{l-1}_k\} + R\{b^l_j\}`."""
    rz = s[0]
    sums = sorted((t for t in sp.Add.make_args(rz.rhs) if isinstance(t, sp.Sum)),
                  key=lambda t: 0 if _has_base(t, r"R\{w^{l}\}") else 1)
    rest = [t for t in sp.Add.make_args(rz.rhs) if not isinstance(t, sp.Sum)]
    return Display((sp.Eq(rz.lhs, sp.Add(*sums, *rest, evaluate=False), evaluate=False), None, None))


def _has_base(e: sp.Basic, name: str) -> bool:
    """``e`` holds an entry of the indexed family called ``name``."""
    return any(str(x.base.label) == name for x in e.atoms(sp.Indexed))


# --- the output layer: R{δ^L} -------------------------------------------------------------------------
_ZL = _ZS = path("z^{L}")


def _rdl_elementwise() -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """(δ^L_j along w + r v, its R{·} with a^L_j written for σ(z^L_j), the statement's rhs)."""
    d_of_r = c_prime(sigma(_ZL(j, r))) * sigma_prime(_ZL(j, r))  # BP1: c′(a^L_j) σ′(z^L_j)
    rd = along(d_of_r, {_ZL: (z_L, Rz_L)}).xreplace({sigma(z_L[j]): a_L[j]})  # a^L_j = σ(z^L_j)
    rhs = (c_second(a_L[j]) * sigma_prime(z_L[j]) ** 2 + c_prime(a_L[j]) * sigma_second(z_L[j])) * Rz_L[j]
    return d_of_r, rd, rhs


def _softmax(zz: Callable, at) -> sp.Expr:
    r""":math:`e^{z_{at}}/\sum_i e^{z_i}`, eq. (78), for the weighted inputs ``zz(index)``."""
    return sp.exp(zz(at)) / sp.Sum(sp.exp(zz(i)), (i, 1, n_L))


@theorem("r_output_error", "R{δᴸ}: the output error along v", "r_operator",
         equation="(BP1), (84) along v")
def r_output_error() -> Derivation:
    r"""An elementwise output with :math:`C_x = \sum_j c(a^L_j)` (BP1:
    :math:`\delta^L_j = c'(a^L_j)\sigma'(z^L_j)`):
    :math:`R\{\delta^L_j\} = (c''(a^L_j)\sigma'(z^L_j)^2 + c'(a^L_j)\sigma''(z^L_j))R\{z^L_j\}`.
    A softmax output with the log-likelihood (eq. 84: :math:`\delta^L_j = a^L_j - y_j`):
    :math:`R\{\delta^L_j\} = a^L_j(R\{z^L_j\} - \sum_k a^L_k R\{z^L_k\})`."""
    d_of_r, rd, rhs = _rdl_elementwise()
    soft_r = _softmax(lambda t: _ZS(t, r), j) - y_[j]
    soft_rd = along(soft_r, {_ZS: (z_L, Rz_L)})
    soft_rhs = a_L[j] * (Rz_L[j] - sp.Sum(a_L[k] * Rz_L[k], (k, 1, n_L)))
    # the softmax's own definition: a^L_j = e^{z^L_j}/Σ_i e^{z^L_i} (eq. 78)
    as_softmax = {a_L[j]: _softmax(lambda t: z_L[t], j), a_L[k]: _softmax(lambda t: z_L[t], k)}
    Rd = lambda e: sp.Subs(sp.Derivative(e, r), r, 0)  # noqa: E731
    steps = [
        Step(sp.Eq(Rd_L[j], Rd(d_of_r)), "BP1 for $C_x = \\sum_j c(a^L_j)$ at $w + r v$: "
                                          "$δ^L_j = c′(a^L_j) σ′(z^L_j)$, $a^L_j = σ(z^L_j)$"),
        Step(sp.Eq(Rd_L[j], rd), "the product and chain rules; $a^L_j = σ(z^L_j)$"),
        Step(sp.Eq(Rd_L[j], rhs), "collect $R\\{z^L_j\\}$: the cost's curvature times $σ′^2$, "
                                   "and the cost's slope times $σ″$"),
        Step(sp.Eq(Rd_L[j], Rd(soft_r)), "softmax with the log-likelihood: $δ^L_j = a^L_j − y_j$ "
                                         "(eq. 84), $a^L_j = e^{z^L_j}/\\sum_i e^{z^L_i}$ (eq. 78)"),
        Step(sp.Eq(Rd_L[j], soft_rd), "the quotient rule; $y$ does not move"),
        Step(sp.Eq(Rd_L[j], soft_rhs), "$e^{z_j}/\\sum_i e^{z_i} = a^L_j$: the softmax's Jacobian "
                                       "$∂a_j/∂z_k = a_j(δ_{jk} − a_k)$ applied to $R\\{z^L\\}$"),
    ]
    general = Reading({Rd_L[j]: rd}, normal_sums, "∂/∂r at r = 0 (BP1)", ("structural", "expand"))
    softmax = Reading({Rd_L[j]: soft_rd, **as_softmax}, normal_sums,
                      "∂/∂r at r = 0 (eq. 84), a^L the softmax, constants out of Σ",
                      ("structural", "expand", "cancel"))
    return Derivation(
        statement=[sp.Eq(Rd_L[j], rhs), sp.Eq(Rd_L[j], soft_rhs)],
        steps=steps,
        obligations=[lambda: _printed_output_curvatures()],
        assumptions="$R\\{f\\} = ∂f(w + r v)/∂r$ at $r = 0$; part 1: $C_x = \\sum_j c(a^L_j)$ with c "
                    "twice differentiable, $a^L = σ(z^L)$ elementwise; part 2: a softmax output, "
                    "$C_x = −\\sum_j y_j \\ln a^L_j$, $\\sum_j y_j = 1$",
        readings=[_split(general, softmax)],
        parts=[Part("R{δ^L_j} = (c″(a^L_j) σ′(z^L_j)² + c′(a^L_j) σ″(z^L_j)) R{z^L_j}, any "
                    "elementwise cost and activation (also the printed curvature of every shipped "
                    "elementwise cost, exactly)", True),
               Part("R{δ^L_j} = a^L_j (R{z^L_j} − Σ_k a^L_k R{z^L_k}), softmax with the "
                    "log-likelihood, any width n_L", True)],
    )


def _split(elementwise: Reading, softmax: Reading) -> Reading:
    """One reading deciding each relation of ``r_output_error`` by the reading of its kind: the
    softmax's relation has a sum on its right-hand side, the elementwise one has c′ and c″."""
    def decides(rel: sp.Basic) -> Outcome:
        chosen = softmax if rel.rhs.has(sp.Sum) or rel.rhs.has(sp.exp) else elementwise
        return decide(rel, [chosen])
    return Reading(decides=decides)


def output_curvature(cost: Cost, act: Activation | None = None) -> sp.Expr:
    r""":math:`\Lambda = \partial\delta^L_j/\partial z^L_j` of an elementwise output, in a, y (and z):
    the derivative along z of the cost's proved output error ``cost.delta`` (written through a
    where its σ′ is): :math:`\partial\delta/\partial a\cdot f' + \partial\delta/\partial z`, with f the
    output layer ``act`` (the cost's own by default).  :math:`R\{\delta^L\} = \Lambda\odot R\{z^L\}`
    (theorem ``r_output_error``; the obligation checks it against :math:`c''f'^2 + c'f''`)."""
    if cost.output == "softmax":
        raise ValueError(f"output_curvature: {cost.name} has a softmax output, whose R{{δ^L}} is "
                         "not elementwise; use the softmax form of theorem r_output_error")
    out = act or cost.output_activation or ACTIVATIONS[cost.output]
    lam = sp.diff(cost.delta, a) * out.prime + sp.diff(cost.delta, z)
    lam = lam.replace(lambda e: isinstance(e, sp.DiracDelta), lambda e: sp.S.Zero)
    return sp.piecewise_fold(lam) if lam.has(sp.Piecewise) else simpler(lam)


def _printed_output_curvatures() -> Outcome:
    r"""For every shipped elementwise cost on its output layer: :func:`output_curvature` (what the
    kernels print, from ``Cost.delta``) equals :math:`c''(a)f'^2 + c'(a)f''` with c the cost's
    term, f′ the layer's proved ``prime`` and f″ its :func:`second` (theorem ``activation_second``),
    all written through a = f(z)."""
    outs = []
    for cost in COSTS.values():
        if cost.output == "softmax":
            continue
        act = ACTIVATIONS[cost.output]
        theorem_form = sp.diff(cost.term, a, 2) * act.prime ** 2 + sp.diff(cost.term, a) * second(act)
        outs.append(prove_equal(output_curvature(cost), theorem_form, ("expand", "cancel"),
                                rewrite_name=f"{cost.name}, through a"))
    return combine(outs)


# --- BP2 along v: R{δ^l} ------------------------------------------------------------------------------
_D = path(r"\delta^{l+1}")


@theorem("r_bp2", "R{δˡ}: BP2 along v", "r_operator", equation="(BP2) along v")
def r_bp2() -> Derivation:
    r""":math:`R\{\delta^l_j\} = \sigma''(z^l_j)R\{z^l_j\}\sum_k w^{l+1}_{kj}\delta^{l+1}_k
    + \sigma'(z^l_j)\sum_k (R\{w^{l+1}_{kj}\}\delta^{l+1}_k + w^{l+1}_{kj}R\{\delta^{l+1}_k\})`:
    BP2, :math:`\delta^l_j = \sigma'(z^l_j)\sum_k w^{l+1}_{kj}\delta^{l+1}_k`, along v."""
    d_of_r = sigma_prime(_Z(j, r)) * sp.Sum((w_next[k, j] + r * Rw_next[k, j]) * _D(k, r), (k, 1, n_next))
    rd = along(d_of_r, {_Z: (z_l, Rz_l), _D: (delta_next, Rd_next)})
    back = sp.Sum(w_next[k, j] * delta_next[k], (k, 1, n_next))
    rhs = sigma_second(z_l[j]) * Rz_l[j] * back + sigma_prime(z_l[j]) * sp.Sum(
        Rw_next[k, j] * delta_next[k] + w_next[k, j] * Rd_next[k], (k, 1, n_next))
    Rd = lambda e: sp.Subs(sp.Derivative(e, r), r, 0)  # noqa: E731
    steps = [
        Step(sp.Eq(Rd_l[j], Rd(d_of_r)), "BP2 at $w + r v$: $z^l_j$ and $δ^{l+1}_k$ are paths with "
                                          "rates $R\\{z^l_j\\}$, $R\\{δ^{l+1}_k\\}$; $w^{l+1}$ moves by "
                                          "$r R\\{w^{l+1}\\}$"),
        Step(sp.Eq(Rd_l[j], rhs), "the product rule: $σ′$ differentiates into $σ″$, the sum term by "
                                  "term; the first term is BP2's own $\\sum_k w^{l+1}_{kj} δ^{l+1}_k$ "
                                  "times $σ″(z^l_j) R\\{z^l_j\\}$"),
    ]
    return Derivation(
        statement=[sp.Eq(Rd_l[j], rhs)],
        steps=steps,
        obligations=[],
        assumptions="$R\\{f\\} = ∂f(w + r v)/∂r$ at $r = 0$; hidden layer $l < L$; σ twice "
                    "differentiable, otherwise arbitrary; $1 ≤ j ≤ n_l$",
        readings=[_reading({Rd_l[j]: rd}, "BP2")],
        parts=[Part("R{δ^l_j} = σ″(z^l_j) R{z^l_j} Σ_k w^{l+1}_kj δ^{l+1}_k + σ′(z^l_j) Σ_k "
                    "(R{w^{l+1}_kj} δ^{l+1}_k + w^{l+1}_kj R{δ^{l+1}_k}), any widths", True)],
    )


# --- BP3, BP4 along v ---------------------------------------------------------------------------------
_DL = path(r"\delta^{l}")


@theorem("r_gradient", "R{∂C/∂w} and R{∂C/∂b}: BP3 and BP4 along v", "r_operator",
         equation="(BP3), (BP4) along v")
def r_gradient() -> Derivation:
    r""":math:`R\{\partial C/\partial w^l_{jk}\} = R\{\delta^l_j\}a^{l-1}_k + \delta^l_j R\{a^{l-1}_k\}`
    and :math:`R\{\partial C/\partial b^l_j\} = R\{\delta^l_j\}`: BP4 and BP3 along v."""
    gw_of_r = _DL(j, r) * _A(k, r)  # BP4: ∂C/∂w^l_jk = a^{l-1}_k δ^l_j
    gb_of_r = _DL(j, r)  # BP3: ∂C/∂b^l_j = δ^l_j
    paths = {_DL: (delta_l, Rd_l), _A: (a_prev, Ra_prev)}
    defs = {Rgw[j, k]: along(gw_of_r, paths), Rgb[j]: along(gb_of_r, paths)}
    rw = Rd_l[j] * a_prev[k] + delta_l[j] * Ra_prev[k]
    Rd = lambda e: sp.Subs(sp.Derivative(e, r), r, 0)  # noqa: E731
    steps = [
        Step(sp.Eq(Rgw[j, k], Rd(gw_of_r)), "BP4 at $w + r v$: $∂C/∂w^l_{jk} = a^{l−1}_k δ^l_j$, "
                                           "both factors paths"),
        Step(sp.Eq(Rgw[j, k], rw), "the product rule"),
        Step(sp.Eq(Rgb[j], Rd(gb_of_r)), "BP3 at $w + r v$: $∂C/∂b^l_j = δ^l_j$"),
        Step(sp.Eq(Rgb[j], Rd_l[j]), "its rate is $R\\{δ^l_j\\}$ by definition"),
    ]
    return Derivation(
        statement=[sp.Eq(Rgw[j, k], rw), sp.Eq(Rgb[j], Rd_l[j])],
        steps=steps,
        obligations=[],
        assumptions="$R\\{f\\} = ∂f(w + r v)/∂r$ at $r = 0$; $δ^l$ from BP1 and BP2 (their R "
                    "from theorems `r_output_error`, `r_bp2`); $1 ≤ j ≤ n_l$, $1 ≤ k ≤ n_{l−1}$",
        readings=[_reading(defs, "BP3, BP4")],
        parts=[Part("R{∂C/∂w^l_jk} = R{δ^l_j} a^{l−1}_k + δ^l_j R{a^{l−1}_k}, "
                    "R{∂C/∂b^l_j} = R{δ^l_j}; any widths", True)],
    )


# --- the whole pass on concrete networks: R{∇C} = Hv ----------------------------------------------------
#: The networks on which the R-pass is checked against Hv exactly: two hidden layers (BP2 along v
#: through a hidden layer above a hidden layer), an undefined elementwise cost c and σ.
R_ARCHITECTURES: tuple[tuple[int, ...], ...] = ((2, 2, 2, 2),)
#: ... and with a softmax output and the log-likelihood (three outputs: the softmax couples them).
SOFTMAX_ARCHITECTURES: tuple[tuple[int, ...], ...] = ((2, 2, 3),)


class _c2(sp.Function):
    """c″(a, y) of :data:`CostC`'s undefined two-argument per-neuron cost (y fixed)."""

    nargs = 2


class _c1(sp.Function):
    """c′(a, y) of :data:`CostC`'s undefined cost."""

    nargs = 2

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        return _c2(*self.args)


class _c0(sp.Function):
    """The undefined per-neuron cost c(a, y) of :data:`CostC` (differentiated in a only)."""

    nargs = 2

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise sp.ArgumentIndexError(self, argindex)
        return _c1(*self.args)


def generic_cost() -> Cost:
    """A :class:`~derive.book.costs.Cost` whose per-neuron term is an undefined, twice
    differentiable c(a, y) on a sigmoid-named output: a concrete network built with it
    (:func:`~derive.book.network.concrete_network`) stands for every elementwise cost."""
    term = _c0(a, y)
    return Cost("c", "sigmoid", term, _c1(a, y) * a, "r_output_error", term, None,
                equation="definition")


#: The undefined elementwise cost of the concrete checks (:func:`generic_cost`).
CostC = generic_cost()


def direction(net: Network) -> dict:
    """A direction v for the concrete network ``net``: one symbol :math:`v_p` per parameter p."""
    return {p: sp.Symbol("v_{%s}" % p.name) for p in net.parameters}


def prime_at(net: Network, u: sp.Expr) -> sp.Expr:
    """f′(u) of the network's activation, evaluated (σ′ for the undefined σ; a user's proved f′)."""
    if net.f is sigma:
        return sigma_prime(u)
    xi = sp.Dummy("xi")
    return sp.diff(net.f(xi), xi).doit().xreplace({xi: u})


def second_at(net: Network, u: sp.Expr) -> sp.Expr:
    """f″(u) of the network's activation (σ″ for the undefined σ)."""
    if net.f is sigma:
        return sigma_second(u)
    xi = sp.Dummy("xi")
    return sp.diff(net.f(xi), xi, 2).doit().xreplace({xi: u})


def r_forward_pass(net: Network, v: Mapping) -> tuple[dict, dict]:
    """``(Rz, Ra)`` per layer (book numbering; ``Ra[1]`` the input's, 0): theorem ``r_forward``."""
    Ra = {1: (sp.S.Zero,) * net.sizes[0]}
    Rz = {}
    for l in range(2, net.L + 1):
        W, b, prev = net.weights[l], net.biases[l], net.activations[l - 1]
        Rz[l] = tuple(sp.Add(*[v[W[jj, kk]] * prev[kk] + W[jj, kk] * Ra[l - 1][kk] for kk in range(W.cols)],
                             v[b[jj]]) for jj in range(W.rows))
        if l < net.L or not net.softmax:
            Ra[l] = tuple(prime_at(net, u) * rz for u, rz in zip(net.zs[l], Rz[l]))
    return Rz, Ra


def r_output(net: Network, Rz_out) -> tuple:
    """R{δ^L} of theorem ``r_output_error`` on ``net`` (the cost's term differentiated in a)."""
    zL, aL = net.zs[net.L], net.activations[net.L]
    if net.softmax:
        s = sp.Add(*[ak * rk for ak, rk in zip(aL, Rz_out)])
        return tuple(ak * (rk - s) for ak, rk in zip(aL, Rz_out))
    term = net.cost_def.term
    c1, c2 = sp.diff(term, a), sp.diff(term, a, 2)
    zeta = sp.Dummy("zeta")
    lam = c2.xreplace({a: net.f(zeta)}) * prime_at(net, zeta) ** 2 \
        + c1.xreplace({a: net.f(zeta)}) * second_at(net, zeta)
    if net.f is not sigma:  # a concrete f: its own identities cancel (1 − σ)/(1 − σ) and the like
        lam = sp.cancel(lam)
    return tuple(lam.xreplace({zeta: u, y: yk}) * rk for yk, u, rk in zip(net.y, zL, Rz_out))


def r_backprop(net: Network, v: Mapping) -> dict:
    r""":math:`R\{\partial C/\partial p\}` for every parameter p of the concrete network ``net`` along
    ``v`` (p -> expression): theorems ``r_forward``, ``r_output_error``, ``r_bp2``, ``r_gradient``
    composed, with δ from ``Network.deltas`` (BP1, BP2)."""
    Rz, Ra = r_forward_pass(net, v)
    d, L = net.deltas, net.L
    Rd = {L: r_output(net, Rz[L])}
    for l in range(L - 1, 1, -1):
        W = net.weights[l + 1]
        Rd[l] = tuple(second_at(net, u) * Rz[l][jj] * sp.Add(*[W[kk, jj] * d[l + 1][kk] for kk in range(W.rows)])
                      + prime_at(net, u) * sp.Add(*[v[W[kk, jj]] * d[l + 1][kk] + W[kk, jj] * Rd[l + 1][kk]
                                                for kk in range(W.rows)])
                      for jj, u in enumerate(net.zs[l]))
    return onto_parameters(net, Rd, lambda l, jj, kk: d[l][jj] * Ra[l - 1][kk])


def onto_parameters(net: Network, errors: Mapping, extra: Callable | None = None) -> dict:
    r"""BP3 and BP4 on the concrete network ``net`` for the layer errors ``errors[l][j]``:
    :math:`b^l_j \mapsto e^l_j`, :math:`w^l_{jk} \mapsto e^l_j a^{l-1}_k` (plus ``extra(l, j, k)``,
    R{∇C}'s :math:`\delta^l_j R\{a^{l-1}_k\}`), as parameter -> expression."""
    out = {}
    for l in range(2, net.L + 1):
        W, prev = net.weights[l], net.activations[l - 1]
        for jj in range(W.rows):
            out[net.biases[l][jj]] = errors[l][jj]
            for kk in range(W.cols):
                out[W[jj, kk]] = errors[l][jj] * prev[kk] + (extra(l, jj, kk) if extra else 0)
    return out


def _hv_pairs(net: Network):
    r"""For every parameter p: :math:`\partial/\partial r` at 0 of :math:`\partial C/\partial p` (BP1–BP4,
    ``Network.backprop_gradient``, proved equal to ``sympy.diff`` of the cost by theorems bp1–bp4)
    at :math:`w + r v`, by ``sympy.diff``, against :func:`r_backprop`."""
    v = direction(net)
    R = r_backprop(net, v)
    g = net.backprop_gradient()
    shift = {p: p + r * v[p] for p in net.parameters}
    for p in net.parameters:
        yield f"R{{∂C/∂{p}}}", g[p].xreplace(shift).diff(r).xreplace({r: 0}), R[p]


def _hv_on_networks() -> Outcome:
    from .network import check_on_networks
    return combine([check_on_networks(_hv_pairs, [CostC], "R{∇C} = Hv", R_ARCHITECTURES),
                    check_on_networks(_hv_pairs, ["log_likelihood"], "R{∇C} = Hv", SOFTMAX_ARCHITECTURES)])


_HV_DIMS = (2, 3)
_p, _d = index("p"), index("d")
_Hm, _v = sp.IndexedBase("H"), sp.IndexedBase("v")


def _chain_rule_reading(gr: sp.Symbol) -> Reading:
    r"""The statement at dimensions d = 2, 3: the p-th entry of the gradient,
    :math:`G_p = \partial C/\partial w_p`, is any differentiable :math:`G(w_1, …, w_d)`; ``gr`` is
    :math:`\partial/\partial r\,G(w + r v)` at r = 0 by ``sympy.diff``, and :math:`H_{pq}` is
    :math:`\partial G_p/\partial w_q = \partial^2 C/\partial w_q\partial w_p` (the definition of H)."""
    def case(dim: int) -> Callable[[sp.Basic], sp.Basic]:
        ws = sp.symbols(f"w_1:{dim + 1}", real=True)
        vs = sp.symbols(f"v_1:{dim + 1}", real=True)
        G = sp.Function("G")
        rate = sp.diff(G(*[wq + r * vq for wq, vq in zip(ws, vs)]), r).subs(r, 0).doit()
        table = {gr: rate}
        for t in range(dim):
            table[_Hm[_p, t + 1]] = sp.Derivative(G(*ws), ws[t])
            table[_v[t + 1]] = vs[t]
        return lambda e: e.xreplace({_d: dim}).doit().xreplace(table)
    return Reading(cases=[case(dim) for dim in _HV_DIMS], prepare=lambda e: e.doit(),
                   prepare_name="sympy.diff, doit", methods=("structural", "expand"),
                   at="d = " + ", ".join(map(str, _HV_DIMS)))


@theorem("hessian_vector_product", "The R-pass computes the Hessian times v", "r_operator",
         equation="Pearlmutter (1994)")
def hessian_vector_product() -> Derivation:
    r""":math:`R\{\partial C/\partial w_p\} = \sum_q H_{pq} v_q = (Hv)_p` with
    :math:`H_{pq} = \partial^2 C/\partial w_q\partial w_p`: the directional derivative of the gradient
    is the Hessian times the direction (the chain rule), so the R-pass of theorems ``r_forward``,
    ``r_output_error``, ``r_bp2`` and ``r_gradient`` computes Hv without forming H; checked exactly
    on concrete networks."""
    gr = sp.Symbol(r"R\{\partial C/\partial w_p\}")
    hv = sp.Sum(_Hm[_p, q] * _v[q], (q, 1, _d))
    moved = sp.Symbol(r"\partial C/\partial w_p(w + r v)")
    steps = [
        Step(sp.Eq(gr, sp.Subs(sp.Derivative(moved, r), r, 0)),
             "definition of $R\\{·\\}$ applied to the gradient's $p$-th entry"),
        Step(sp.Eq(gr, hv), "the chain rule: $w_q$ moves at rate $v_q$, and "
                            "$∂(∂C/∂w_p)/∂w_q = H_{pq}$, the matrix of second derivatives of eq. (105)"),
        Step(sp.Eq(sp.MatrixSymbol(r"R\{\nabla C\}", _d, 1),
                   sp.MatrixSymbol("H", _d, _d) * sp.MatrixSymbol("v", _d, 1)),
             "so the R-pass (theorems `r_forward`, `r_output_error`, `r_bp2`, `r_gradient`) "
             "computes $Hv$: on the concrete networks every entry equals "
             "$∂/∂r$ of BP1–BP4's gradient at $w + r v$, exactly"),
    ]
    return Derivation(
        statement=[sp.Eq(gr, hv)],
        steps=steps,
        obligations=[_hv_on_networks],
        assumptions="$∂C/∂w_p$ differentiable, $d$ parameters; the concrete networks: undefined σ, "
                    "an undefined elementwise cost c(a, y), and a softmax output with the "
                    "log-likelihood",
        readings=[_chain_rule_reading(gr)],
        parts=[Part("R{∂C/∂w_p} = Σ_q H_pq v_q (the chain rule)", False,
                    "∂C/∂w_p an undefined G(w_1, …, w_d), d = 2, 3"),
               Part("the R-pass equals Hv for every weight and bias", False,
                    "networks [2,2,2,2] (σ, c undefined) and [2,2,3] (softmax, log-likelihood)")],
    )


# --- the batched (row-stacked) forms numerics prints ------------------------------------------------------
_m = sp.Symbol("m", integer=True, positive=True)
#: The MatrixSymbols of :data:`BATCHED_R`, one example per row.
BATCHED_R_SYMBOLS: dict[str, sp.MatrixSymbol] = {
    "A_prev": sp.MatrixSymbol("A_prev", _m, n_prev),      # A^{l-1}
    "RA_prev": sp.MatrixSymbol("RA_prev", _m, n_prev),    # R{A^{l-1}}
    "W": sp.MatrixSymbol("W", n_l, n_prev),               # w^l
    "V": sp.MatrixSymbol("V", n_l, n_prev),               # R{w^l}: the direction's weight block
    "beta": sp.MatrixSymbol("beta", n_l, 1),              # R{b^l}: the direction's bias block
    "SigmaPrime": sp.MatrixSymbol("SigmaPrime", _m, n_l),  # σ′(Z^l)
    "SigmaSecond": sp.MatrixSymbol("SigmaSecond", _m, n_l),  # σ″(Z^l)
    "RZ": sp.MatrixSymbol("RZ", _m, n_l),                 # R{Z^l}
    "Lambda": sp.MatrixSymbol("Lambda", _m, n_l),         # ∂δ^L/∂z^L per example and neuron (l = L)
    "A": sp.MatrixSymbol("A", _m, n_l),                   # A^L (softmax output, l = L)
    "Delta_next": sp.MatrixSymbol("Delta_next", _m, n_next),    # Δ^{l+1}
    "RDelta_next": sp.MatrixSymbol("RDelta_next", _m, n_next),  # R{Δ^{l+1}}
    "W_next": sp.MatrixSymbol("W_next", n_next, n_l),     # w^{l+1}
    "V_next": sp.MatrixSymbol("V_next", n_next, n_l),     # R{w^{l+1}}
    "Delta": sp.MatrixSymbol("Delta", _m, n_l),           # Δ^l
    "RDelta": sp.MatrixSymbol("RDelta", _m, n_l),         # R{Δ^l}
}
_B = BATCHED_R_SYMBOLS
name_symbols({_B["RA_prev"]: r"R\{A^{l-1}\}", _B["V"]: r"R\{W^{l}\}", _B["beta"]: r"R\{b^{l}\}",
              _B["SigmaSecond"]: r"\sigma''(Z^{l})", _B["RZ"]: r"R\{Z^{l}\}", _B["Lambda"]: r"\Lambda",
              _B["A"]: r"A^{L}", _B["RDelta_next"]: r"R\{\Delta^{l+1}\}", _B["V_next"]: r"R\{W^{l+1}\}",
              _B["RDelta"]: r"R\{\Delta^{l}\}"})
_ones = sp.OneMatrix
#: The R-pass for m examples stacked as rows and the mean cost (theorem ``r_batched``):
#: ``rz`` R{Z^l} = A^{l-1} R{W}ᵀ + R{A^{l-1}} Wᵀ + 1 R{b}ᵀ; ``ra`` R{A^l} = σ′(Z^l) ⊙ R{Z^l};
#: ``rbp1`` R{Δ^L} = Λ ⊙ R{Z^L} (elementwise output, Λ = ∂δ^L/∂z^L per entry,
#: :func:`output_curvature`); ``rsoftmax`` R{Δ^L} = A ⊙ (R{Z} − ((A ⊙ R{Z}) 1) 1ᵀ);
#: ``rbp2`` R{Δ^l} = (R{Δ^{l+1}} W^{l+1} + Δ^{l+1} R{W^{l+1}}) ⊙ σ′(Z^l)
#: + (Δ^{l+1} W^{l+1}) ⊙ σ″(Z^l) ⊙ R{Z^l}; ``rbp3`` R{∂C/∂b} = (1/m) 1ᵀ R{Δ^l};
#: ``rbp4`` R{∂C/∂W} = (1/m)(R{Δ^l}ᵀ A^{l-1} + (Δ^l)ᵀ R{A^{l-1}}).
BATCHED_R: dict[str, sp.MatrixExpr] = {
    "rz": _B["A_prev"] * _B["V"].T + _B["RA_prev"] * _B["W"].T + _ones(_m, 1) * _B["beta"].T,
    "ra": sp.HadamardProduct(_B["SigmaPrime"], _B["RZ"]),
    "rbp1": sp.HadamardProduct(_B["Lambda"], _B["RZ"]),
    "rsoftmax": sp.HadamardProduct(_B["A"], _B["RZ"] - sp.HadamardProduct(_B["A"], _B["RZ"])
                                   * _ones(n_l, 1) * _ones(1, n_l)),
    "rbp2": sp.HadamardProduct(_B["RDelta_next"] * _B["W_next"] + _B["Delta_next"] * _B["V_next"],
                               _B["SigmaPrime"])
            + sp.HadamardProduct(_B["Delta_next"] * _B["W_next"], _B["SigmaSecond"], _B["RZ"]),
    "rbp3": _ones(1, _m) * _B["RDelta"] / _m,
    "rbp4": (_B["RDelta"].T * _B["A_prev"] + _B["Delta"].T * _B["RA_prev"]) / _m,
}


def batched_r_per_example(m: int, n_prev_: int, n_l_: int, n_next_: int) -> dict:
    """Explicit per-example quantities for ``m`` rows: a matrix of symbols for every
    :data:`BATCHED_R_SYMBOLS` entry, and the per-example formulas of theorems r_forward,
    r_output_error, r_bp2, r_gradient applied example by example (stacked as rows, or averaged)."""
    def mat(name, rows, cols):
        return sp.ImmutableMatrix(rows, cols, lambda u, t: sp.Symbol(f"{name}_{{{u + 1},{t + 1}}}"))
    X = {"A_prev": mat("a", m, n_prev_), "RA_prev": mat("ra", m, n_prev_), "W": mat("w", n_l_, n_prev_),
         "V": mat("v", n_l_, n_prev_), "beta": mat(r"\beta", n_l_, 1), "SigmaPrime": mat("s", m, n_l_),
         "SigmaSecond": mat("t", m, n_l_), "RZ": mat("rz", m, n_l_), "Lambda": mat(r"\lambda", m, n_l_),
         "A": mat(r"\alpha", m, n_l_), "Delta_next": mat(r"\delta'", m, n_next_),
         "RDelta_next": mat(r"r\delta'", m, n_next_), "W_next": mat("u", n_next_, n_l_),
         "V_next": mat(r"\nu", n_next_, n_l_), "Delta": mat(r"\delta", m, n_l_),
         "RDelta": mat(r"r\delta", m, n_l_)}
    rows: dict[str, list] = {k_: [] for k_ in ("rz", "ra", "rbp1", "rsoftmax", "rbp2")}
    gb, gw = sp.zeros(1, n_l_), sp.zeros(n_l_, n_prev_)
    for t in range(m):
        row = lambda name: X[name].row(t).T  # noqa: E731  example t as a column, as the book writes it
        rows["rz"].append((X["V"] * row("A_prev") + X["W"] * row("RA_prev") + X["beta"]).T)  # r_forward
        rows["ra"].append(row("SigmaPrime").multiply_elementwise(row("RZ")).T)              # r_forward
        rows["rbp1"].append(row("Lambda").multiply_elementwise(row("RZ")).T)                # r_output_error
        al, rz = row("A"), row("RZ")
        s = sum(al[u] * rz[u] for u in range(n_l_))
        rows["rsoftmax"].append(sp.Matrix([al[u] * (rz[u] - s) for u in range(n_l_)]).T)  # r_output_error
        back = X["W_next"].T * row("Delta_next")
        rd = (X["W_next"].T * row("RDelta_next") + X["V_next"].T * row("Delta_next"))
        rows["rbp2"].append((rd.multiply_elementwise(row("SigmaPrime"))
                             + back.multiply_elementwise(row("SigmaSecond")).multiply_elementwise(rz)).T)  # r_bp2
        gb += row("RDelta").T                                                               # r_gradient
        gw += row("RDelta") * X["A_prev"].row(t) + row("Delta") * X["RA_prev"].row(t)       # r_gradient
    out = {name: sp.Matrix.vstack(*rs) for name, rs in rows.items()}
    out.update(inputs=X, rbp3=gb / m, rbp4=gw / m)
    return out


def _batched_case(shape) -> Callable[[sp.Basic], sp.Basic]:
    """Definitions of ``r_batched`` at ``shape``: every input an explicit matrix of symbols, every
    name on a left-hand side its per-example formula (:func:`batched_r_per_example`)."""
    m_, a_, b_, c_ = shape
    ref = batched_r_per_example(*shape)
    widths = {_m: m_, n_prev: a_, n_l: b_, n_next: c_}
    table = {_B[name].xreplace(widths): M for name, M in ref["inputs"].items()}
    table.update({_LHS[name].xreplace(widths): ref[name] for name in BATCHED_R})
    return lambda e: e.xreplace(widths).xreplace(table)


#: The left-hand side of each relation of ``r_batched`` (what the per-example formula defines;
#: shown as the quantity it is, e.g. R{Z^l}, though a symbol of its own).
_LHS = {"rz": sp.MatrixSymbol("RZ_lhs", _m, n_l), "ra": sp.MatrixSymbol("RA_lhs", _m, n_l),
        "rbp1": sp.MatrixSymbol("RDeltaL_lhs", _m, n_l),
        "rsoftmax": sp.MatrixSymbol("RDeltaL_softmax_lhs", _m, n_l),
        "rbp2": sp.MatrixSymbol("RDelta_lhs", _m, n_l), "rbp3": sp.MatrixSymbol("Rnb_lhs", 1, n_l),
        "rbp4": sp.MatrixSymbol("RnW_lhs", n_l, n_prev)}
name_symbols({_LHS["rz"]: r"R\{Z^{l}\}", _LHS["ra"]: r"R\{A^{l}\}", _LHS["rbp1"]: r"R\{\Delta^{L}\}",
              _LHS["rsoftmax"]: r"R\{\Delta^{L}\}", _LHS["rbp2"]: r"R\{\Delta^{l}\}",
              _LHS["rbp3"]: r"R\{\nabla_{b^{l}}C\}", _LHS["rbp4"]: r"R\{\nabla_{W^{l}}C\}"})
_SHAPES = ((2, 3, 2, 2), (3, 2, 3, 2))


@theorem("r_batched", "The R-pass for a mini-batch stacked as rows", "r_operator",
         equation="r_forward … r_gradient, batched")
def r_batched() -> Derivation:
    r"""For m examples stacked as rows and the mean cost: the forms :data:`BATCHED_R` that
    ``numerics`` prints into the Hv kernels equal the per-example R-pass (theorems ``r_forward``,
    ``r_output_error``, ``r_bp2``, ``r_gradient``) row by row, and averaged for the gradient's R."""
    steps = [Step(sp.Eq(_LHS[name], BATCHED_R[name]), why) for name, why in (
        ("rz", "row $x$ is theorem `r_forward` for example $x$: $A^{l−1} R\\{W\\}^T$ holds "
               "$\\sum_k R\\{w_{jk}\\} a_k$, $R\\{A^{l−1}\\} W^T$ holds $\\sum_k w_{jk} R\\{a_k\\}$"),
        ("ra", "σ′ entry by entry"),
        ("rbp1", "an elementwise output: $R\\{δ^L_j\\} = Λ_j R\\{z^L_j\\}$, $Λ = c″σ′^2 + c′σ″$"),
        ("rsoftmax", "$(A ⊙ R\\{Z\\}) 1$ holds $\\sum_k a_k R\\{z_k\\}$ per row; $1^T$ repeats it"),
        ("rbp2", "row $x$ is theorem `r_bp2` for example $x$ (the transposes of the book's columns)"),
        ("rbp3", "$\\sum_x R\\{δ^l_x\\}$, averaged (the mean cost)"),
        ("rbp4", "$\\sum_x R\\{δ^l_x\\} (a^{l−1}_x)^T + δ^l_x R\\{a^{l−1}_x\\}^T$, averaged"))]
    at = " and ".join(", ".join(map(str, s)) for s in _SHAPES)
    return Derivation(
        statement=[sp.Eq(_LHS[name], BATCHED_R[name]) for name in BATCHED_R],
        steps=steps,
        obligations=[],
        assumptions="$m$ examples as rows; $W^l$ is $n_l × n_{l−1}$ as in the book; C the mean cost",
        readings=[Reading(cases=tuple(_batched_case(s) for s in _SHAPES), prepare=lambda e: e.doit(),
                          prepare_name="explicit matrices", methods=("expand",),
                          at=f"m, n_{{l-1}}, n_l, n_{{l+1}} = {at}")],
        parts=[Part("R{Z}, R{A}, R{Δ^L} (elementwise and softmax), R{Δ^l}, R{∂C/∂b}, R{∂C/∂W} for "
                    "a batch stacked as rows", False, f"m, n_{{l-1}}, n_l, n_{{l+1}} = {at}")],
    )
