r"""What each function gradproof knows *is*, in one place.

The book's two functions that SymPy lacks are SymPy ``Function`` classes here, each with its
derivative (``fdiff``), its textbook and stable forms (``_eval_rewrite_as_*``) and its numeric
value (``_eval_evalf``): :class:`sigmoid` and :class:`relu`.

Every function gradproof knows -- those two, SymPy's own (exp, log, tanh, Abs, Max, ...) and the
names a reader may type for a formula (``sqrt``, ``softplus``) -- has one :class:`FunctionInfo`,
registered beside it by :func:`register`:

* ``names``: what a reader may type for it (:mod:`derive.claims.parse` reads only these);
* ``primed``: whether prime notation ``f'(z)`` applies;
* ``mp``: its value in ``mpmath.mp`` from its arguments' values (the independent re-check of a
  counterexample, :mod:`derive.core.prover`);
* ``interval``: its certified value on exact-or-interval arguments (:mod:`derive.core.interval`,
  used by :mod:`derive.core.certified`);
* ``kinks``: where it may not be smooth, as expressions that vanish there (the argument of
  :math:`|x|`; the pairwise differences of the arguments of max and min);
* ``domain``: for a function defined on part of the real line only (ln, √, tan, asin, ...), the
  calls that must be real and defined for a call to make sense;
* ``definition``: for a function defined by a formula (a user's activation,
  :mod:`derive.book.custom`), that formula: evaluation and kinks go through it.

A function with no entry is still a SymPy function: SymPy differentiates it, and it is evaluated
by SymPy's certified ``evalf`` (slower, and nothing is known of its kinks).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import mpmath
import sympy as sp

from . import interval
from .interval import MAX_EXP_ARG, Uncertain, as_interval, hull_max, hull_min, midpoint, sign_of

__all__ = ["sigmoid", "relu", "softplus", "FunctionInfo", "register", "info", "by_name", "NAMES",
           "PRIMED", "kink_arguments"]

mp = mpmath.mp


# --- the book's functions ---------------------------------------------------------------------------

class sigmoid(sp.Function):
    r"""The sigmoid (logistic) function, book eq. (3): :math:`\sigma(z) = \frac{1}{1+e^{-z}}`.

    ``fdiff`` is :math:`\sigma' = \sigma(1-\sigma)` (theorem ``sigmoid_prime``);
    ``rewrite(sp.exp)`` gives the textbook form and ``rewrite(sp.tanh)`` the stable form
    :math:`(1+\tanh(z/2))/2` (theorem ``tanh_sigmoid``), which never overflows:
    σ(0) = 1/2, σ(+∞) = 1, σ(−∞) = 0.
    """

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sp.S.Half
        if x is sp.oo:
            return sp.S.One
        if x is sp.S.NegativeInfinity:
            return sp.S.Zero

    def fdiff(self, argindex=1):
        s = sigmoid(self.args[0])
        return s * (1 - s)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sp.exp(-x))

    def _eval_rewrite_as_tanh(self, x, **kwargs):
        return (1 + sp.tanh(x / 2)) / 2

    def _eval_evalf(self, prec):
        return self.rewrite(sp.exp)._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_positive(self):
        if self.args[0].is_real:
            return True

    def _latex(self, printer, exp=None):
        s = r"\sigma\left(%s\right)" % printer._print(self.args[0])
        return s if exp is None else r"\sigma^{%s}\left(%s\right)" % (exp, printer._print(self.args[0]))


class relu(sp.Function):
    r"""The rectified linear unit :math:`\operatorname{ReLU}(z) = \max(0, z)`.

    Its derivative is the Heaviside step :math:`H(z)`; at the kink z = 0 gradproof uses the
    convention ReLU′(0) = 0 (``Heaviside(z, 0)``), as JAX and PyTorch do.
    """

    @classmethod
    def eval(cls, x):
        if x.is_nonnegative:
            return x
        if x.is_negative:
            return sp.S.Zero

    def fdiff(self, argindex=1):
        return sp.Heaviside(self.args[0], 0)

    def _eval_rewrite_as_Max(self, x, **kwargs):
        return sp.Max(0, x)

    def _eval_rewrite_as_Piecewise(self, x, **kwargs):
        return sp.Piecewise((x, x > 0), (0, True))

    def _eval_evalf(self, prec):
        return sp.Max(0, self.args[0])._eval_evalf(prec)

    def _latex(self, printer, exp=None):
        s = r"\operatorname{ReLU}\left(%s\right)" % printer._print(self.args[0])
        return s if exp is None else r"\operatorname{ReLU}^{%s}\left(%s\right)" % (exp, printer._print(self.args[0]))


def softplus(x: sp.Expr) -> sp.Expr:
    r""":math:`\operatorname{softplus}(x) = \ln(1 + e^x)`, written out (a reader's name for it)."""
    return sp.log(1 + sp.exp(x))


# --- the table ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FunctionInfo:
    """Everything gradproof knows about one function (see the module docstring).

    ``build`` is what a reader's name calls: the SymPy class, or a function that builds the
    expression (``sqrt`` builds a power); ``cls`` is the class of the nodes this entry describes
    (None when ``build`` makes other nodes).  ``mp(*values)`` and ``interval(*values)`` take the
    arguments' values; ``kinks(args, max_args)`` and ``domain(args)`` take the arguments of a
    call; ``definition(*args)`` is the expression a call stands for.
    """

    build: Callable[..., sp.Expr]
    cls: type | None
    names: tuple[str, ...] = ()
    primed: bool = False
    mp: Callable[..., Any] | None = None
    interval: Callable[..., Any] | None = None
    kinks: Callable[[tuple, int | None], list] | None = None
    domain: Callable[[Sequence[sp.Expr]], list] | None = None
    definition: Callable[..., sp.Expr] | None = None

    @property
    def partial(self) -> bool:
        """Defined (real) on part of the real line only."""
        return self.domain is not None


_BY_CLASS: dict[type, FunctionInfo] = {}
_BY_NAME: dict[str, FunctionInfo] = {}


def register(build: Callable[..., sp.Expr], *, cls: type | None = None, names: Sequence[str] = (),
             primed: bool = False, mp: Callable | None = None, interval: Callable | None = None,
             kinks: Callable | None = None, domain: Callable | None = None,
             definition: Callable | None = None) -> FunctionInfo:
    """Register what gradproof knows about a function (``build``: a SymPy function class, whose
    nodes the entry then describes, or a function building an expression); ``ValueError`` when
    the class or a name is registered already."""
    if cls is None and isinstance(build, type) and issubclass(build, sp.Basic):
        cls = build
    entry = FunctionInfo(build, cls, tuple(names), primed, mp, interval, kinks, domain, definition)
    taken = [n for n in entry.names if n in _BY_NAME]
    if taken or (cls is not None and cls in _BY_CLASS):
        raise ValueError(f"function {taken[0] if taken else cls.__name__!r} is registered already")
    if cls is not None:
        _BY_CLASS[cls] = entry
    for n in entry.names:
        _BY_NAME[n] = entry
    return entry


def info(node: sp.Basic | type) -> FunctionInfo | None:
    """The entry of a node's function (or of a class), or None when gradproof knows nothing of it."""
    return _BY_CLASS.get(node if isinstance(node, type) else getattr(node, "func", None))


def by_name(name: str) -> FunctionInfo | None:
    """The entry a reader's name refers to, or None."""
    return _BY_NAME.get(name)


def kink_arguments(*exprs: sp.Basic, max_args: int | None = None) -> list[sp.Expr]:
    r"""Expressions that vanish where ``exprs`` may fail to be smooth, in order, without repeats and
    without constants: the argument of each Abs, sign, Heaviside, ReLU, floor and ceiling, the
    pairwise differences of the arguments of Max and Min (of the first ``max_args`` of them, when
    given: a bound for a search), and the sides of Piecewise conditions.

    At such a point SymPy's derivative formula (sign(x) for :math:`|x|`, H(x) with H(0) = 1/2 for
    max(x, 0), ...) is not known to be the derivative, and a claim may change its truth there."""
    out: list[sp.Expr] = []
    for e in exprs:
        for node in sp.preorder_traversal(e):
            entry = info(node)
            if entry is None:
                continue
            if entry.definition is not None:
                out += kink_arguments(entry.definition(*node.args), max_args=max_args)
            elif entry.kinks is not None:
                out += entry.kinks(node.args, max_args)
    return list(dict.fromkeys(a for a in out if a.free_symbols))


# --- kinds of kinks and domains -------------------------------------------------------------------------

def _argument(args, max_args=None) -> list:
    """Not smooth where its (first) argument vanishes."""
    return [args[0]]


def _pairwise(args, max_args=None) -> list:
    """Not smooth where two arguments are equal."""
    return [p - q for p, q in itertools.combinations(args[:max_args], 2)]


def _conditions(args, max_args=None) -> list:
    """A Piecewise switches pieces where a side of a condition equals the other."""
    return [r.lhs - r.rhs for _, cond in args for r in cond.atoms(sp.core.relational.Relational)]


def _itself(cls: type) -> Callable[[Sequence[sp.Expr]], list]:
    """The call itself must be defined (when it has a variable)."""
    return lambda args: [cls(*args, evaluate=False)] if args and args[0].free_symbols else []


def _log_domain(args) -> list:
    """ln x needs x > 0; ``log(x, b)`` needs both logarithms."""
    if args and (args[0].free_symbols or len(args) > 1):
        return [sp.log(a, evaluate=False) for a in args]
    return []


def _sqrt_domain(args) -> list:
    """√x needs x ≥ 0: the power x^(1/2), kept unevaluated (SymPy may simplify it away)."""
    if len(args) == 1 and args[0].free_symbols:
        return [sp.Pow(args[0], sp.S.Half, evaluate=False)]
    return []


# --- values on intervals ----------------------------------------------------------------------------------

def _iv_sigmoid(x):
    """σ(x) = 1/(1 + e^{−x}) for x ≥ 0, e^x/(1 + e^x) below: no overflow either way."""
    if midpoint(x) >= 0:
        return 1 / (1 + interval.exp(-as_interval(x)))
    ex = interval.exp(as_interval(x))
    return ex / (1 + ex)


def _iv_tanh(x):
    """tanh x = 1 − 2/(e^{2x} + 1) for x ≥ 0, 2/(e^{−2x} + 1) − 1 below."""
    if midpoint(x) >= 0:
        return 1 - 2 / (interval.exp(2 * as_interval(x)) + 1)
    return 2 / (interval.exp(-2 * as_interval(x)) + 1) - 1


def _iv_periodic(f: Callable) -> Callable:
    """sin, cos: Uncertain beyond |x| = 10⁶ (as exp)."""
    def value(x):
        if abs(midpoint(x)) >= MAX_EXP_ARG:
            raise Uncertain("large")
        return f(as_interval(x))
    return value


def _iv_heaviside(x, at_zero=sp.S.Half):
    """H(x): 0 below 0, 1 above, ``at_zero`` (½ unless given) at 0."""
    s = sign_of(x)
    if s == 0:
        return at_zero
    return sp.S.One if s > 0 else sp.S.Zero


def _mp_heaviside(x, at_zero=None):
    if x > 0:
        return mp.mpf(1)
    if x < 0:
        return mp.mpf(0)
    return mp.mpf(0.5) if at_zero is None else at_zero


# --- the entries, in the order a reader's list of primed functions shows them ---------------------

register(sigmoid, names=("sigma", "sigmoid", "σ"), primed=True,
         mp=lambda x: 1 / (1 + mp.exp(-x)), interval=_iv_sigmoid)
register(relu, names=("relu", "ReLU"), primed=True, kinks=_argument,
         mp=lambda x: max(mp.mpf(0), x), interval=lambda x: hull_max([sp.S.Zero, x]))
register(sp.tanh, names=("tanh",), primed=True, mp=mp.tanh, interval=_iv_tanh)
register(sp.exp, names=("exp",), primed=True, mp=mp.exp, interval=interval.exp)
register(sp.log, names=("log", "ln"), primed=True, domain=_log_domain, mp=mp.log,
         interval=interval.log)
register(softplus, names=("softplus",), primed=True)
register(sp.sqrt, names=("sqrt",), primed=True, domain=_sqrt_domain)
register(sp.sin, names=("sin",), primed=True, mp=mp.sin, interval=_iv_periodic(mpmath.iv.sin))
register(sp.cos, names=("cos",), primed=True, mp=mp.cos, interval=_iv_periodic(mpmath.iv.cos))
register(sp.sinh, names=("sinh",), primed=True, mp=mp.sinh,
         interval=lambda x: (interval.exp(x) - interval.exp(-as_interval(x))) / 2)
register(sp.cosh, names=("cosh",), primed=True, mp=mp.cosh,
         interval=lambda x: (interval.exp(x) + interval.exp(-as_interval(x))) / 2)
register(sp.Abs, names=("Abs", "abs"), primed=True, kinks=_argument, mp=abs, interval=abs)
register(sp.sign, names=("sign", "sgn"), kinks=_argument, mp=mp.sign,
         interval=lambda x: sp.Integer(sign_of(x)))
register(sp.Max, names=("Max", "max"), kinks=_pairwise, mp=lambda *v: max(v),
         interval=lambda *v: hull_max(v))
register(sp.Min, names=("Min", "min"), kinks=_pairwise, mp=lambda *v: min(v),
         interval=lambda *v: hull_min(v))
register(sp.Heaviside, names=("Heaviside",), kinks=_argument, mp=_mp_heaviside,
         interval=_iv_heaviside)
register(sp.tan, names=("tan",), domain=_itself(sp.tan))
register(sp.atan, names=("atan", "arctan"))
register(sp.asin, names=("asin", "arcsin"), domain=_itself(sp.asin))
register(sp.acos, names=("acos", "arccos"), domain=_itself(sp.acos))
register(sp.atanh, names=("atanh", "arctanh"), domain=_itself(sp.atanh))
register(sp.floor, kinks=_argument)
register(sp.ceiling, kinks=_argument)
register(sp.Piecewise, kinks=_conditions)

#: Every name a reader may type, with what it calls.
NAMES: dict[str, Callable[..., sp.Expr]] = {n: e.build for n, e in _BY_NAME.items()}
#: The names with prime notation ``f'(z)``, in the order above.
PRIMED: tuple[str, ...] = tuple(n for n, e in _BY_NAME.items() if e.primed)
