r"""Your own activation or cost: defined from its formula alone, then derived and proved like the book's.

:func:`activation` (``f`` in ``z``) and :func:`cost` (a per-neuron term ``c`` in ``a``, ``y``, on an
elementwise output layer) return an :class:`~derive.book.activations.Activation` / :class:`~derive.book.costs.Cost`
of the same kind as the shipped ones, so that ``numerics`` prints, checks and trains it by the same
code.  From the formula alone gradproof derives

* :math:`f'(z)` exactly (``sympy.diff``; at a kink the derivative of the piece that holds there),
  and, where the inverse of f is elementary, :math:`f'` through :math:`a = f(z)`, as
  :math:`\sigma' = \sigma(1-\sigma)` (kept only when proved equal);
* the output error :math:`\delta^L_j = \frac{\partial c}{\partial a}(a^L_j)\,f'(z^L_j)`, simplified, and
  whether :math:`f'` **cancels** from it (chapter 3: cross-entropy with a sigmoid output);
* a stable form, when one of the proved rewrites of :data:`REWRITES` applies (:math:`\ln(1+e^u)` →
  ``logaddexp(0, u)``, :math:`1/(1+e^{-u})` → :math:`(1+\tanh(u/2))/2`, ...); otherwise it says so.

Each object carries its theorems (``.theorems``, :class:`~derive.core.theorem.Identity` objects, not
entered in the book's ``REGISTRY``): the derivative, f′ through a, the stable form, the output error,
and BP1-BP4 by direct differentiation on the concrete networks of :mod:`derive.book.network` with the
user's f (and cost) in place of the undefined σ (and the book's costs).  Every obligation decides a
relation of the statement itself: its left side with the definitions substituted (``doit``) against
its right side, by :func:`~derive.core.prover.prove_equal`; so a changed statement cannot stay proved.

:func:`cost_for_output_error` runs chapter 3's argument backwards: the cost whose output error is a
given δ, by integrating :math:`\partial C/\partial a = \delta/f'(z)` written in a.

Names: a defined object is registered under its name (:func:`get_activation`, :func:`get_cost`), so
``Network(activation="softplus")`` works once it is defined; :data:`EXAMPLES` (softplus, leaky ReLU,
SiLU, ELU; log-cosh, the tanh cross-entropy) are defined on first use.
"""
from __future__ import annotations

import re
from typing import Callable

import sympy as sp
from sympy.codegen.numpy_nodes import logaddexp
from sympy.core.function import AppliedUndef

from .activations import ACTIVATIONS, Activation, a, relu, sigmoid, z
from ..core.functions import register
from .costs import COSTS, Cost, y
from ..core.outcome import PROVED, Outcome, combine
from ..core.prover import prove_equal
from .network import UnaryFunction
from ..core.theorem import Derivation, Identity, Reading, Step

__all__ = ["activation", "cost", "cost_for_output_error", "get_activation", "get_cost", "from_text",
           "formula", "from_formula", "activation_names", "cost_names", "REWRITES", "EXAMPLES", "COST_EXAMPLES", "cancels"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
#: functions SymPy cannot take as a definition (no elementary derivative, or not a function)
_NON_ELEMENTARY = (sp.LambertW, sp.Ei, sp.li, sp.erf, sp.Si, sp.Ci, sp.polylog, sp.hyper, sp.Integral)
_USER_ACTIVATIONS: dict[str, Activation] = {}
_USER_COSTS: dict[str, Cost] = {}
_PROBE = [sp.Rational(p, q) for p, q in [(-7, 2), (-1, 1), (-1, 3), (1, 2), (2, 1), (5, 1)]]


# --- the proved rewrites to stable forms ---------------------------------------------------------
_w = sp.Wild("w")
_u = sp.Symbol("u", real=True)


def _sp(x):  # ln(1 + e^x), printed numpy.logaddexp(0, x)
    return logaddexp(0, x)


#: Stable rewrites, each a lemma ``pattern(u) = replacement(u)`` proved for every real u (by
#: :func:`_prove_lemma`): ``(name, pattern, replacement)`` with the Wild ``w`` for u.
REWRITES: tuple[tuple[str, sp.Expr, Callable], ...] = (
    ("ln(1 + eᵘ) = logaddexp(0, u)", sp.log(1 + sp.exp(_w)), lambda w: _sp(w)),
    ("ln(1 + tanh u) = ln 2 − logaddexp(0, −2u)", sp.log(1 + sp.tanh(_w)),
     lambda w: sp.log(2) - _sp(-2 * w)),
    ("ln(1 − tanh u) = ln 2 − logaddexp(0, 2u)", sp.log(1 - sp.tanh(_w)),
     lambda w: sp.log(2) - _sp(2 * w)),
    ("1/(1 + e⁻ᵘ) = (1 + tanh(u/2))/2", 1 / (1 + sp.exp(-_w)), lambda w: (1 + sp.tanh(w / 2)) / 2),
    ("1/(1 + eᵘ) = (1 − tanh(u/2))/2", 1 / (1 + sp.exp(_w)), lambda w: (1 - sp.tanh(w / 2)) / 2),
)


def _unlog(e: sp.Expr) -> sp.Expr:
    """logaddexp(0, x) → ln(1 + e^x) (its definition), tanh → exp."""
    return e.replace(lambda x: isinstance(x, logaddexp), lambda x: sp.log(sp.exp(x.args[0]) + sp.exp(x.args[1]))
                     ).rewrite(sp.exp)


def _prove_lemma(lhs: sp.Expr, rhs: sp.Expr, var: sp.Symbol) -> Outcome:
    r"""``lhs = rhs`` for every real ``var``, both sides differentiable on all of ℝ: the derivatives
    agree exactly (``cancel``) and so do the values at 0 — a function on the connected ℝ whose
    derivative is 0 is constant."""
    d = prove_equal(sp.diff(_unlog(lhs), var), sp.diff(_unlog(rhs), var), ("cancel", "simplify"))
    if not d.proved:
        return d
    at0 = prove_equal(_unlog(lhs).subs(var, 0), _unlog(rhs).subs(var, 0), ("structural", "expand", "simplify"))
    if not at0.proved:
        return at0
    return Outcome(PROVED, "equal derivatives on ℝ (cancel) and equal at 0")


def _inline(e: sp.Expr) -> str:
    """``e`` on one line of text in the book's notation: ``(−a + y)/(a² − 1)``, not SymPy's
    ``(-a + y)/(a**2 - 1)``."""
    text = re.sub(r"\*\*(\d+)", lambda m: m.group(1).translate(_SUPERSCRIPTS), sp.sstr(e))
    return text.replace("**", "^").replace("*", "·").replace("-", "−")


_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _stabilize(e: sp.Expr) -> tuple[sp.Expr, list[str]]:
    """``e`` with every applicable rewrite of :data:`REWRITES` done; the names of those used."""
    used = []
    for name, pat, rep in REWRITES:
        new = e.replace(pat, rep)
        if new != e:
            used.append(name)
            e = new
    return e, used


def _rewritten_equal(relation: sp.Eq, methods=("structural",)) -> Outcome:
    """``relation`` (textbook = stable) decided from its own sides: its left side rewritten by
    :data:`REWRITES`, compared with its right side, and every lemma that rewriting used proved."""
    new, used = _stabilize(relation.lhs)
    outcomes = [prove_equal(new, relation.rhs, methods, rewrite_name="rewrite by the lemmas")]
    table = {name: (pat, rep) for name, pat, rep in REWRITES}
    for name in used:
        pat, rep = table[name]
        outcomes.append(_prove_lemma(pat.xreplace({_w: _u}), rep(_u), _u))
    return combine(outcomes)


# --- reading a definition -------------------------------------------------------------------------
def _read(what: str, name: str, expr, allowed: set) -> sp.Expr:
    """Text through the safe parser (``derive.claims.verify.parse``), or a SymPy expression; checked."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"{what}: name {name!r} is not an identifier; use letters, digits and _ "
                         "(e.g. 'softplus')")
    if isinstance(expr, str):
        from ..claims.verify import parse  # i7's safe parser: the one way text becomes an expression
        e = parse(expr, f"{what} {name!r}")
    elif isinstance(expr, sp.Basic):
        e = expr
    else:
        raise ValueError(f"{what} {name!r}: give the formula as text or a SymPy expression, "
                         f"not {type(expr).__name__}")
    # the parser's symbols are real; a SymPy expression may use plain ones: identify by name
    by_name = {s.name: s for s in allowed}
    e = e.xreplace({s: by_name[s.name] for s in e.free_symbols if s.name in by_name and s not in allowed})
    unknown = sorted({type(f).__name__ for f in e.atoms(AppliedUndef)})
    if unknown:
        raise ValueError(f"{what} {name!r}: unknown function {unknown[0]}; use functions SymPy can "
                         "differentiate (exp, log, tanh, sigma, Max, Piecewise, ...)")
    extra = sorted(str(s) for s in e.free_symbols - allowed)
    if extra:
        need = " and ".join(sorted(s.name for s in allowed))
        raise ValueError(f"{what} {name!r} uses {', '.join(extra)}; it must be a function of {need} only")
    if e.has(*_NON_ELEMENTARY):
        raise ValueError(f"{what} {name!r}: {e} uses a non-elementary function; gradproof "
                         "differentiates and prints elementary functions only")
    return e


def _textbook(e: sp.Expr) -> sp.Expr:
    """The form kernels print: σ written out, ReLU/Max/Min/Heaviside as a Piecewise with simple
    conditions, pieces folded."""
    e = e.replace(lambda x: isinstance(x, sigmoid), lambda x: 1 / (1 + sp.exp(-x.args[0])))
    e = e.replace(lambda x: isinstance(x, relu), lambda x: sp.Max(0, x.args[0]))
    if e.has(sp.Max, sp.Min, sp.Heaviside):
        e = sp.piecewise_fold(e.rewrite(sp.Piecewise))
        e = e.replace(lambda x: isinstance(x, sp.Piecewise), lambda x: x.simplify())
    return e


def _undefined_at(e: sp.Expr, var: sp.Symbol, points) -> sp.Rational | None:
    for p in points:
        v = e.subs(var, p)
        try:
            v = v.evalf(30)
        except (TypeError, ValueError, ArithmeticError):
            return p
        if not v.is_real or not v.is_finite:
            return p
    return None


def _kinks(e: sp.Expr) -> tuple[float, ...]:
    """Where the Piecewise/Abs/sign pieces of ``e`` meet (the points where f′ is a convention)."""
    pts = set()
    for pw in e.atoms(sp.Piecewise):
        for _, cond in pw.args:
            for rel in (cond.atoms(sp.core.relational.Relational) if cond not in (True, False) else ()):
                try:
                    sols = sp.solve(sp.Eq(rel.lhs, rel.rhs), z)
                except NotImplementedError:
                    continue
                pts |= {float(s) for s in sols if s.is_real}
    for f in e.atoms(sp.Abs, sp.sign):
        try:
            pts |= {float(s) for s in sp.solve(f.args[0], z) if s.is_real}
        except NotImplementedError:
            pass
    return tuple(sorted(pts))


def _through_a(f: sp.Expr, prime: sp.Expr) -> sp.Expr | None:
    r""":math:`f'` as a function of :math:`a = f(z)`, when the inverse of f is elementary and unique
    (and the result is proved equal to f′ by the caller); else None."""
    direct = prime.subs(f, a)  # f′ already a function of f(z), as tanh′ = 1 − tanh²
    if z not in direct.free_symbols and direct.has(a):
        return direct
    if f.has(sp.Piecewise, sp.Abs, sp.sign) or sp.count_ops(f) > 30:
        return None
    try:
        sols = sp.solve(sp.Eq(a, f.rewrite(sp.exp)), z)
    except (NotImplementedError, ValueError, TypeError):
        return None
    if len(sols) != 1 or sols[0].has(*_NON_ELEMENTARY, sp.I):
        return None
    g = sp.simplify(prime.rewrite(sp.exp).subs(z, sols[0]))
    if z in g.free_symbols or g.has(*_NON_ELEMENTARY, sp.I) or sp.count_ops(g) > 20:
        return None
    return g


def _through_sigma(e: sp.Expr) -> sp.Expr:
    r"""``e`` with :math:`e^{\pm z}` written through :math:`s = \sigma(z) = 1/(1+e^{-z})` (so
    :math:`e^{-z} = (1-s)/s`), when that leaves no exponential; s is then printed in the stable
    form :math:`(1+\tanh(z/2))/2`.  Else ``e`` unchanged.  (The caller's theorem proves the result
    equal to ``sympy.diff``'s f′.)"""
    if e.has(sp.Piecewise) or not e.has(sp.exp):
        return e
    s = sp.Dummy("s")
    g = sp.cancel(e.rewrite(sp.exp).subs(sp.exp(-z), (1 - s) / s).subs(sp.exp(z), s / (1 - s)))
    if g.has(sp.exp) or sp.count_ops(g) > sp.count_ops(e) + 10:
        return e
    g = sp.factor_terms(sp.horner(g, s) if g.is_polynomial(s) else g)
    return g.xreplace({s: (1 + sp.tanh(z / 2)) / 2})




def _function_class(name: str, textbook: sp.Expr, prime: sp.Expr) -> type:
    """A SymPy function ``F`` for the concrete networks: ``F(u)`` differentiates to the proved
    f′ at u (through ``F(u)`` itself where f′ is written through a).  ``F`` (and f′'s own class)
    is registered in :mod:`derive.core.functions` with its formula as its definition, so the
    prover evaluates it, and finds its kinks, as it does the book's functions."""

    if z in prime.free_symbols:
        # f′ through z: a named function of its own (its value the proved f′), as σ′ is for the
        # undefined σ, so the composed networks stay small
        def pdiff(self, argindex=1):
            return sp.diff(prime, z).xreplace({z: self.args[0]})

        def p_latex(self, printer, exp=None):
            s = r"\operatorname{%s}'\left(%s\right)" % (name.replace("_", r"\_"), printer._print(self.args[0]))
            return s if exp is None else r"\left(%s\right)^{%s}" % (s, exp)

        P = type(f"f_{name}_prime", (UnaryFunction,), {
            "fdiff": pdiff, "_latex": p_latex, "__module__": __name__,
            "_eval_rewrite_as_exp": lambda self, x, **kw: prime.xreplace({z: x})})
        register(P, definition=lambda u: prime.xreplace({z: u}))  # evaluated, and its kinks, as f′
        value = lambda self, u: P(u)  # noqa: E731
    else:
        value = lambda self, u: prime.xreplace({a: self, z: u})  # noqa: E731

    def fdiff(self, argindex=1):
        return value(self, self.args[0])

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return textbook.xreplace({z: x})

    def _latex(self, printer, exp=None):
        s = r"\operatorname{%s}\left(%s\right)" % (name.replace("_", r"\_"), printer._print(self.args[0]))
        return s if exp is None else r"%s^{%s}" % (s, exp)

    cls = type(f"f_{name}", (UnaryFunction,), {"fdiff": fdiff, "_eval_rewrite_as_exp": _eval_rewrite_as_exp,
                                          "_latex": _latex, "__module__": __name__})
    cls.prime_at = classmethod(lambda c, u: value(c(u), u))
    register(cls, definition=lambda u: textbook.xreplace({z: u}))  # evaluated, and its kinks, as f
    return cls


# --- activations ---------------------------------------------------------------------------------
def activation(name: str, expr, *, register: bool = True) -> Activation:
    r"""The activation ``name`` with :math:`f(z)` = ``expr`` (text in z, or a SymPy expression).

    Returns an :class:`Activation` like ``ACTIVATIONS["sigmoid"]`` with ``prime`` (f′ through a
    where proved possible, else through z), ``stable`` (a proved rewrite, or f), ``theorems`` and
    ``notes``; registers it under ``name`` (unless ``register=False``).  ``.function`` is the SymPy
    function the concrete networks use for it (differentiating to the proved f′).  ``ValueError`` (one line)
    for a bad definition: other variables than z, an unknown or non-elementary function, f not
    real somewhere, no derivative almost everywhere, or a derivative SymPy cannot take.
    """
    if name in ACTIVATIONS:
        raise ValueError(f"activation {name!r} is shipped already; give yours another name")
    user = _read("activation", name, expr, {z})
    f = _textbook(user)
    bad = _undefined_at(f, z, _PROBE)
    if bad is not None:
        raise ValueError(f"activation {name!r}: f({bad}) = {f.subs(z, bad)} is not a real number; "
                         "an activation must be real for every real z")
    eps = sp.Symbol("epsilon", positive=True)
    for k in _kinks(f):  # the pieces just left and right of k (SymPy's limit of a Piecewise errs)
        k0 = sp.nsimplify(k)
        left, right = (sp.limit(sp.piecewise_fold(f.subs(z, k0 + s * eps)), eps, 0, "+") for s in (-1, 1))
        if sp.simplify(left - right) != 0:
            raise ValueError(f"activation {name!r} jumps at z = {k:g} (from {left} to {right}), so it "
                             "has no derivative there; make it continuous")
    prime_z = sp.piecewise_fold(sp.diff(f, z))
    if prime_z.has(sp.DiracDelta):
        raise ValueError(f"activation {name!r}: f jumps (its derivative has a Dirac delta), so it has "
                         "no derivative almost everywhere; make it continuous")
    if prime_z.has(sp.Derivative, sp.Subs):
        raise ValueError(f"activation {name!r}: SymPy cannot differentiate {f}; write it with "
                         "elementary functions")
    if _undefined_at(prime_z, z, _PROBE) is not None or prime_z == 0:
        raise ValueError(f"activation {name!r}: f′(z) = {prime_z} is not a usable derivative "
                         "(undefined or identically 0); choose a differentiable, non-constant f")
    prime_z = _through_sigma(prime_z)
    g = _through_a(f, prime_z)
    notes = []
    if g is not None and not prove_equal(g.xreplace({a: f}), prime_z, ("cancel", "simplify"),
                                         lambda e: e.rewrite(sp.exp), "rewrite→exp").proved:
        g = None
    prime = g if g is not None else prime_z
    if g is None:
        notes.append("f′ is written through z (no elementary f′(a) with a = f(z) was found)")
    stable, used = _stabilize(f)
    kinks = _kinks(f)
    if not used:
        notes.append("no proved stable rewrite applies; the kernels print the textbook form")
    ids = {k: f"{name}_{k}" for k in ("prime", "stable", "backprop")}
    F = _function_class(name, f, prime)
    act = Activation(name, lambda x, f=f: f.xreplace({z: x}), lambda x, s=stable: s.xreplace({z: x}),
                     prime, ids["prime"], ids["stable"] if used else None, kinks=kinks,
                     range=_range(f), expr=user, prime_z=prime_z, notes=tuple(notes))
    theorems = [_prime_identity(act, f, prime_z, g)]
    if used:
        theorems.append(_stable_identity(act, f, stable, used))
    theorems.append(_backprop_identity(ids["backprop"], f"BP1–BP4 with f = {name}", F,
                                       ["quadratic", "cross_entropy"],
                                       f"f = {name} substituted for σ in every layer; the book's "
                                       "quadratic and cross-entropy costs"))
    object.__setattr__(act, "theorems", tuple(theorems))
    object.__setattr__(act, "function", F)
    if register:
        _USER_ACTIVATIONS[name] = act
    return act


def _range(f: sp.Expr) -> tuple:
    """(inf f, sup f) over ℝ where SymPy finds them, else (−∞, ∞)."""
    try:
        r = sp.calculus.util.function_range(f, z, sp.S.Reals)
    except Exception:  # noqa: BLE001 - no range is a weaker statement, not an error
        return (-sp.oo, sp.oo)
    return (r.inf, r.sup) if isinstance(r, sp.Interval) else (-sp.oo, sp.oo)


def _prime_identity(act: Activation, f: sp.Expr, prime_z: sp.Expr, g) -> Identity:
    dF = sp.Derivative(f, z)
    statement = [sp.Eq(dF, prime_z, evaluate=False)]
    steps = [Step(sp.Eq(sp.Symbol(f"{act.name}(z)"), f, evaluate=False), "the definition"),
             Step(sp.Eq(dF, prime_z, evaluate=False), "differentiate (SymPy's rules, piece by piece)")]
    if g is not None:
        statement.append(sp.Eq(dF, g.xreplace({a: f}), evaluate=False))
        steps.append(Step(sp.Eq(sp.Symbol(f"{act.name}′"), g, evaluate=False),
                          "written through a = f(z), so backprop reuses the stored activations"))
    if act.kinks:
        steps.append(Step(sp.Eq(sp.Symbol("z"), sp.Float(act.kinks[0]), evaluate=False),
                          "at a kink f has no derivative; f′ there is the derivative of the piece "
                          "whose condition holds (a convention, as ReLU′(0) = 0)"))

    # each relation of the statement decided from its own sides (derive.core.theorem.decide): evaluated
    # (doit), rewritten through exp, folded piece by piece
    reading = Reading(prepare=lambda e: sp.piecewise_fold(e.doit().rewrite(sp.exp)),
                      prepare_name="doit, rewrite→exp", methods=("structural", "expand", "cancel", "simplify"),
                      each_side=True, refutable=True)
    return _identity(act.prime_id, f"Derivative of {act.name}",
                     lambda: Derivation(statement, steps, [],
                                        "z real" + (f"; z ∉ {list(act.kinks)} for the derivative"
                                                    if act.kinks else ""), readings=[reading]))


def _stable_identity(act: Activation, f: sp.Expr, stable: sp.Expr, used: list[str]) -> Identity:
    statement = [sp.Eq(f, stable, evaluate=False)]
    steps = [Step(sp.Eq(f, stable, evaluate=False), "rewrite by " + "; ".join(used))]

    # decided from the relation's own sides (its left side rewritten, the lemmas it used proved)
    return _identity(act.stable_id, f"A stable form of {act.name}",
                     lambda: Derivation(statement, steps, [], "z real",
                                        readings=[Reading(decides=_rewritten_equal)]), group="stable")


def _backprop_identity(id: str, title: str, F, costs: list, how: str) -> Identity:
    from .backprop import check_concrete, delta_L, j, nabla_a, z_L
    from .network import ARCHITECTURES

    statement = [sp.Eq(delta_L[j], nabla_a[j] * sp.Derivative(F(z_L[j]), z_L[j]), evaluate=False)]
    steps = [Step(statement[0], f"BP1 (and BP2-BP4, the sum over paths) on the networks "
                                f"{', '.join(map(str, ARCHITECTURES))}: {how}; ∂C/∂w, ∂C/∂b by "
                                "sympy.diff of the composed cost, against what BP1-BP4 give")]

    def obligations():
        return [lambda s=s, c=c: check_concrete(s, c, "all", F) for c in costs for s in ARCHITECTURES]

    # the statement in index form: δ^L_j = ∂C/∂z^L_j by the chain rule through a^L_k = F(z^L_k),
    # differentiated by SymPy, Kronecker-collapsed; the concrete networks check the code (lemmas)
    from .backprop import k
    from ..core.indexed import collapse_kronecker, index, kronecker_lemma
    n_L = index("n_L")
    chain = sp.Sum(nabla_a[k] * sp.diff(F(z_L[k]), z_L[j]), (k, 1, n_L))
    reading = Reading({delta_L[j]: chain}, lambda e: collapse_kronecker(e)[0].doit(),
                      "Kronecker collapse, doit", ("structural", "expand", "cancel"))
    return _identity(id, title, lambda: Derivation(statement, steps, [kronecker_lemma, *obligations()],
                                                   "every weight and bias a symbol",
                                                   readings=[reading]), group="backprop")


def _identity(id: str, title: str, build, group: str = "activations") -> Identity:
    return Identity(id, title, group, build)


# --- costs ---------------------------------------------------------------------------------------
def _output(output) -> Activation:
    if isinstance(output, Activation):
        return output
    if output == "softmax":
        raise ValueError("cost: output='softmax' is the shipped log_likelihood's layer only; give an "
                         "elementwise output (sigmoid, tanh, relu or an activation of yours)")
    return get_activation(output)


def cancels(delta: sp.Expr, out: Activation) -> bool:
    r"""True when :math:`\delta^L` is free of the output layer's :math:`f'`: δ does not depend on z,
    and δ's numerator has no factor in a in common with f′(a)'s (δ is not f′ times something)."""
    if z in delta.free_symbols or z in out.prime.free_symbols:
        return False
    common = sp.gcd(sp.numer(sp.together(delta)), sp.numer(sp.together(out.prime)))
    return a not in common.free_symbols


def cost(name: str, expr, *, output="sigmoid", register: bool = True) -> Cost:
    r"""The cost ``name`` with per-neuron term :math:`c(a, y)` = ``expr`` on the elementwise output
    layer ``output`` (a shipped activation's name, a defined one's, or an :class:`Activation`).

    Derives :math:`\delta^L = \partial c/\partial a \cdot f'(z^L)` (simplified; ``cancels`` says whether
    f′ cancelled), a stable form in z where a proved rewrite applies, and the theorems.
    """
    if name in COSTS:
        raise ValueError(f"cost {name!r} is shipped already; give yours another name")
    out = _output(output)
    term = _textbook(_read("cost", name, expr, {a, y}))
    if a not in term.free_symbols:
        raise ValueError(f"cost {name!r}: {term} does not depend on a; a cost compares the output a with y")
    dc = sp.diff(term, a)
    if dc.has(sp.Derivative, sp.Subs, sp.DiracDelta):
        raise ValueError(f"cost {name!r}: SymPy cannot derive ∂c/∂a of {term} (got {dc}); write it "
                         "with elementary functions, continuous in a")
    prod = dc * out.prime
    simpler = sp.cancel(prod) if not prod.has(sp.Piecewise) else sp.piecewise_fold(prod)
    delta = simpler if sp.count_ops(simpler) < sp.count_ops(prod) else prod
    cancelled = cancels(delta, out)
    textbook = term.xreplace({a: out.f(z)})
    stable, used = _stabilize(textbook)
    if not used:
        stable = term.xreplace({a: out.stable(z)})
    notes = [f"δᴸ = {_inline(delta)}: the output layer's {out.display}′ "
             + ("cancels" if cancelled else "does not cancel")]
    if not used:
        notes.append("no proved stable rewrite applies to the cost; the kernels print it through "
                     f"the output layer's {'stable' if out.stable_id else 'textbook'} form")
    ids = {k: f"{name}_{k}" for k in ("output_error", "stable", "backprop")}
    safe = None
    if used:  # ln(1 + e^u) in complex arithmetic: no cancellation like 1 − tanh(z)'s
        safe = stable.replace(lambda x: isinstance(x, logaddexp),
                              lambda x: sp.log(sp.exp(x.args[0]) + sp.exp(x.args[1])))
    c = Cost(name, out.name, term, delta, ids["output_error"], stable, ids["stable"] if used else out.stable_id,
             output_activation=out, cancels=cancelled, notes=tuple(notes), complex_safe=safe)
    theorems = [_output_error_identity(c, out)]
    if used:
        theorems.append(_cost_stable_identity(c, textbook, stable, used))
    F = getattr(out, "function", None)
    if F is None:  # a shipped output layer: its SymPy function with its proved derivative
        F = _function_class(out.name, out.f(z), out.prime)
    theorems.append(_backprop_identity(ids["backprop"], f"BP1–BP4 with C = {name}", F, [c],
                                       f"C = Σⱼ {name}(aᴸⱼ, yⱼ), f = {out.name} in every layer"))
    object.__setattr__(c, "theorems", tuple(theorems))
    if register:
        _USER_COSTS[name] = c
    return c


def _output_error_identity(c: Cost, out: Activation) -> Identity:
    fz = out.f(z)
    # δ^L_j = ∂C/∂z^L_j for one neuron: d/dz c(f(z), y)
    statement = [sp.Eq(sp.Derivative(c.term.xreplace({a: fz}), z), c.delta.xreplace({a: fz}), evaluate=False)]
    steps = [Step(sp.Eq(sp.Symbol("δ^L_j"), sp.Mul(sp.diff(c.term, a), out.prime, evaluate=False),
                        evaluate=False), "BP1: ∂c/∂a times the output layer's f′"),
             Step(sp.Eq(sp.Symbol("δ^L_j"), c.delta, evaluate=False),
                  f"simplified; {out.display}′ " + ("cancels (chapter 3)" if c.cancels else "does not cancel"))]

    # each relation decided from its own sides: evaluated (doit), through exp, folded piece by piece
    reading = Reading(prepare=lambda e: sp.piecewise_fold(e.doit().rewrite(sp.exp)),
                      prepare_name="doit, rewrite→exp", methods=("structural", "expand", "cancel", "simplify"),
                      each_side=True, refutable=True)
    return _identity(c.delta_id, f"Output error of {c.name} on a {out.name} output",
                     lambda: Derivation(statement, steps, [], "z, y real", readings=[reading]),
                     group="cost")


def _cost_stable_identity(c: Cost, textbook: sp.Expr, stable: sp.Expr, used: list[str]) -> Identity:
    statement = [sp.Eq(textbook, stable, evaluate=False)]

    decides = Reading(decides=lambda rel: _rewritten_equal(rel, ("structural", "expand")))
    return _identity(c.stable_id, f"A stable form of {c.name}",
                     lambda: Derivation(statement, [Step(statement[0], "rewrite by " + "; ".join(used))],
                                        [], "z, y real", readings=[decides]), group="stable")


# --- chapter 3 backwards -------------------------------------------------------------------------
def cost_for_output_error(delta, output="sigmoid", name: str | None = None, *,
                          register: bool = True) -> Cost:
    r"""The cost (up to a constant) whose output error on the output layer ``output`` is ``delta``
    (text or SymPy, in a and y): :math:`\partial C/\partial a = \delta/f'(z)`, written in a through
    f′(a), integrated in a (book, ch. 3, eqs. 72-75 for the sigmoid: the cross-entropy).

    Each simple pole :math:`1/(a - r)` of the integrand outside the output's range integrates to
    :math:`\ln|a - r|` written so that the logarithm is real on the range.  Returns the
    :func:`cost`, whose ``output_error`` theorem proves that its δ is the one asked for.
    ``ValueError`` when f′ has no form in a, or the integral has no elementary closed form.
    """
    out = _output(output)
    d = _read("output error", name or "delta", delta, {a, y})
    if z in out.prime.free_symbols:
        raise ValueError(f"cost_for_output_error: {out.name}′ cannot be written through a = f(z), so "
                         "∂C/∂a = δ/f′ is not a function of a; give an output layer whose f′ is "
                         "(sigmoid, tanh, softplus, ...)")
    integrand = sp.cancel(d / out.prime)
    try:
        parts = sp.Add.make_args(sp.apart(integrand, a))
    except (sp.PolynomialError, NotImplementedError, ValueError):
        parts = (integrand,)
    lo, hi = out.range
    total = sp.S.Zero
    for p in parts:
        coeff, rest = p.as_independent(a, as_Add=False)
        if rest.is_Pow and rest.exp == -1 and rest.base.is_polynomial(a) and sp.degree(rest.base, a) == 1:
            k, r0 = sp.Poly(rest.base, a).all_coeffs()  # 1/(k a + r0): a pole at r = −r0/k
            r = -r0 / k
            below, above = bool(sp.Le(r, lo)) if lo != -sp.oo else False, \
                bool(sp.Ge(r, hi)) if hi != sp.oo else False
            if below or above:  # ln|k a + r0|, real on the whole range
                sgn = 1 if (below == (k > 0)) else -1
                total += coeff / k * sp.log(sgn * (k * a + r0))
                continue
        piece = sp.integrate(p, a)
        if piece.has(sp.Integral, *_NON_ELEMENTARY):
            raise ValueError(f"cost_for_output_error: ∫ {sp.sstr(p)} da has no elementary closed form "
                             f"(SymPy gives {sp.sstr(piece)}); no cost with δ = {sp.sstr(d)} on a "
                             f"{out.name} output can be written down")
        total += piece
    term = sp.expand(total)
    if term.has(sp.I):
        raise ValueError(f"cost_for_output_error: the integral {sp.sstr(term)} is not real on the "
                         f"{out.name} output's range; no real cost found")
    # y-dependent constant: none is added (C is determined up to a function of y)
    name = name or f"cost_for_{out.name}"
    c = cost(name, term, output=out, register=False)
    if not prove_equal(c.delta, d, ("structural", "expand", "cancel", "simplify")).proved:
        raise ValueError(f"cost_for_output_error: the integrated cost's δ, {c.delta}, was not shown "
                         f"equal to {d}")
    if register:
        _USER_COSTS[name] = c
    target = sp.Eq(sp.Symbol("δ^L_j"), d, evaluate=False)
    object.__setattr__(c, "notes", c.notes + (f"integrated ∂C/∂a = ({_inline(d)})/{out.display}′ = "
                                              f"{_inline(integrand)} in a; asked δ: {_inline(target.rhs)}",))
    return c


# --- names ---------------------------------------------------------------------------------------
#: Example activations, defined on first use: name -> f(z)
EXAMPLES: dict[str, object] = {
    "softplus": "log(1 + exp(z))",
    "leaky_relu": "Max(z/100, z)",
    "silu": "z*sigma(z)",
    "elu": sp.Piecewise((z, z > 0), (sp.exp(z) - 1, True)),
}
#: Example costs, defined on first use: name -> (term or callable building the Cost, output)
COST_EXAMPLES: dict[str, Callable[[], Cost]] = {
    "log_cosh": lambda: cost("log_cosh", "log(cosh(a - y))", output="sigmoid"),
    "tanh_cross_entropy": lambda: cost_for_output_error("a - y", output="tanh", name="tanh_cross_entropy"),
}


def _choices(shipped: dict, examples: dict, defined: dict) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*shipped, *examples, *defined]))


def activation_names() -> tuple[str, ...]:
    """Every activation a name may give: shipped, examples, defined."""
    return _choices(ACTIVATIONS, EXAMPLES, _USER_ACTIVATIONS)


def cost_names() -> tuple[str, ...]:
    """Every cost a name may give: shipped, examples, defined."""
    return _choices(COSTS, COST_EXAMPLES, _USER_COSTS)


def _named(x, cls: type, shipped: dict, examples: dict[str, Callable[[], object]], defined: dict,
           define: str):
    """``x`` itself when it is a ``cls`` (an :class:`Activation`, a :class:`Cost`); else the one
    of that name: shipped, defined, or an example made on first use.  ``ValueError`` (one line)
    naming every choice and how to ``define`` another."""
    if isinstance(x, cls):
        return x
    if isinstance(x, str):
        if x in shipped:
            return shipped[x]
        if x in defined:
            return defined[x]
        if x in examples:
            return examples[x]()
    choices = ", ".join(_choices(shipped, examples, defined))
    raise ValueError(f"unknown {cls.__name__.lower()} {x!r}; choose one of {choices}, or define one "
                     f"({define})")


def get_activation(x) -> Activation:
    """An :class:`Activation` from itself or a name (shipped, example, or defined)."""
    examples = {name: (lambda name=name: activation(name, EXAMPLES[name])) for name in EXAMPLES}
    return _named(x, Activation, ACTIVATIONS, examples, _USER_ACTIVATIONS,
                  "derive.activation(name, expr), or --activation 'name=expr'")


def get_cost(x) -> Cost:
    """A :class:`Cost` from itself or a name (shipped, example, or defined)."""
    return _named(x, Cost, COSTS, COST_EXAMPLES, _USER_COSTS,
                  "derive.cost(name, expr, output=...), or --cost 'name=expr@output'")


def from_text(text: str, kind: str):
    """What ``--activation``/``--cost`` accept: a known name, ``name=expr``, or an expression (named
    after itself); a cost may end in ``@output`` (the output layer, default sigmoid).  Returns the
    object (defined and registered when new)."""
    if kind not in ("activation", "cost"):
        raise ValueError(f"from_text: kind must be 'activation' or 'cost', not {kind!r}")
    text = text.strip()
    known = activation_names() if kind == "activation" else cost_names()
    get = get_activation if kind == "activation" else get_cost
    if text in known or (_NAME.match(text) and text not in ("z", "a", "y")):
        return get(text)  # a name (an unknown one: the choices, in one line)
    output = "sigmoid"
    if kind == "cost" and "@" in text:
        text, output = (s.strip() for s in text.rsplit("@", 1))
    key = (kind, text, output)
    if key in _FROM_TEXT:  # the same text again in this process: the same object, the same name
        return _FROM_TEXT[key]
    _FROM_TEXT[key] = made = _defined(text, kind, known, output)
    return made


#: What :func:`from_text` made, by (kind, text, output): asked again (a notebook, a test process),
#: the same text is the same model, not a second one named ``exp_z_``.
_FROM_TEXT: dict = {}


def _defined(text: str, kind: str, known, output: str):
    if "=" in text and _NAME.match(text.split("=", 1)[0].strip()):
        name, expr = (s.strip() for s in text.split("=", 1))
    else:
        name, expr = re.sub(r"\W+", "_", text).strip("_") or "custom", text
        if not _NAME.match(name):
            name = f"{kind}_{name}"
        if not _NAME.match(name):
            name = kind + "_custom"
        if name in known:
            name = name + "_"
    if kind == "activation":
        return activation(name, expr)
    return cost(name, expr, output=output)


def formula(x) -> dict[str, str] | None:
    """What re-creates the activation or cost ``x`` in another process, for a saved network: None
    when its name does (a shipped one, an example); else ``{"name", "formula"}`` with the formula
    as text the safe reader reads back (a cost's also ``"output"``, its output layer's name, and
    ``"output_formula"`` when that layer is a user's too).  ``ValueError`` for an object that is
    neither an :class:`Activation` nor a :class:`Cost`."""
    if isinstance(x, Activation):
        if x.name in ACTIVATIONS or x.name in EXAMPLES:
            return None
        return {"name": x.name, "formula": sp.sstr(x.expr)}
    if isinstance(x, Cost):
        if x.name in COSTS or x.name in COST_EXAMPLES:
            return None
        out = formula(x.output_activation) if x.output_activation is not None else None
        return {"name": x.name, "formula": sp.sstr(x.term), "output": x.output,
                **({"output_formula": out["formula"]} if out else {})}
    raise ValueError(f"formula: not an activation or a cost: {x!r}")


def from_formula(kind: str, saved: dict):
    """The activation (``kind="activation"``) or cost that :func:`formula` described, re-created
    through the safe reader and the same derivation (not registered: a saved file cannot replace a
    name defined in this process).  ``ValueError`` (one line) for anything else."""
    if not isinstance(saved, dict) or not all(isinstance(saved.get(k), str) for k in ("name", "formula")):
        raise ValueError(f"a saved {kind} needs a name and a formula as text")
    name = saved["name"]
    if not _NAME.match(name) or len(name) > 64:
        raise ValueError(f"a saved {kind}'s name must be an identifier of at most 64 characters, "
                         f"not {name[:70]!r}")
    if kind == "activation":
        return activation(name, saved["formula"], register=False)
    if kind != "cost":
        raise ValueError(f"from_formula: kind must be 'activation' or 'cost', not {kind!r}")
    output = saved.get("output", "sigmoid")
    if not isinstance(output, str):
        raise ValueError("a saved cost's output layer must be named by text")
    if isinstance(saved.get("output_formula"), str):
        output = from_formula("activation", {"name": output, "formula": saved["output_formula"]})
    return cost(name, saved["formula"], output=output, register=False)
