r"""A reader's claim in the book's network: C, a, z, w, b, δ, L and n_l as chapter 2 means them.

``verify --network``, a ``network`` line in a derivation file and ``<!-- gradproof: network … -->``
in notes decide a claim here instead of as plain algebra.  The context is the network of the
book's eq. (25), :math:`z^l = w^l a^{l-1} + b^l,\ a^l = \sigma(z^l)`, of **any depth L and any
widths** :math:`n_l`, with the cost C of one training example, :math:`\delta^l_j \equiv
\partial C/\partial z^l_j` (eq. 29) and

* ``cost=any`` (the default: C is any differentiable cost of :math:`a^L`), ``quadratic``,
  ``cross_entropy`` or ``log_likelihood`` (:data:`derive.book.costs.COSTS`);
* ``output=any`` (σ is any differentiable activation, the same in every layer; the default for
  ``cost=any`` and ``quadratic``), ``sigmoid`` (σ is the logistic function
  :math:`1/(1+e^{-z})`; the default for ``cross_entropy``, as in the book's chapter 3) or
  ``softmax`` (an output layer :math:`a^L_j = e^{z^L_j}/\sum_k e^{z^L_k}`; the only output, and
  the default, for ``log_likelihood``).

**Reading** (what the reader wrote → what it means here, shown before every verdict):

=====================================  =========================================================
written                                read as
=====================================  =========================================================
``w^l_{jk}``, ``a^{l-1}_k``, ``δ^L_j``  that quantity of the network (layer first, then neurons)
``a_j``, ``z_j``, ``w_{jk}`` (no layer)  the output layer's, :math:`a^L_j` (chapter 3 writes it so)
``b``, ``z``, ``a``, ``δ`` (bare)        neuron j of a layer l: ``∂C/∂b = δ`` is BP3
``y``, ``y_j``; ``x_j``; ``n_l``         the desired output; the input (:math:`a^1`); a width
``z^l``, ``w^{l+1}``, ``(w^{l+1})^T``    a whole layer: a column :math:`n_l × 1`, a matrix
                                       :math:`n_{l+1} × n_l`, its transpose
``⊙``, ``∇_a C``, ``σ``, ``σ′``          elementwise product, the column ∂C/∂a^L_j, the network's
                                       activation and its derivative
``∑_k`` (no bounds)                    k over the neurons it indexes (the k of
                                       :math:`w^{l+1}_{kj}` runs over layer l+1)
=====================================  =========================================================

A bare ``w`` is refused (which two neurons?), and so is a claim with no network quantity in it
(it is plain algebra: ``verify`` without ``--network`` decides it, σ being the logistic function).

**Deciding**, three ways, each said in the verdict:

1. *On explicit small networks* (:data:`NETWORKS`): every layer letter and neuron index of the
   claim takes every value it can, and both sides are built from the fully composed network with
   every weight and bias a symbol and σ undefined (δ by its definition ∂C/∂z, never by BP1/BP2).
   A side that does not fit (``w^{l+1} δ^{l+1}`` multiplies an :math:`n_{l+1}×n_l` matrix by an
   :math:`n_{l+1}`-column; a sum's index runs over two layers of different widths) is **refuted on
   the shapes**.  A difference that :func:`~derive.book.network.vanishes` does not take to 0 is
   evaluated at exact rational weights, biases, input and target with σ the logistic function
   (then tanh): certified different values (:mod:`derive.core.certified`) **refute** the claim,
   with that network, its numbers and both sides' values.
2. *For every depth and width*: a claim in index form that held on every network is rewritten by
   the book's proved theorems — BP3 ``∂C/∂b^l_j → δ^l_j``, BP4 ``∂C/∂w^l_jk → a^{l-1}_k δ^l_j``,
   eq. (29) ``∂C/∂z^l_j → δ^l_j``, BP1 (or the named cost's output error: theorems
   ``cross_entropy_output_error``, ``log_likelihood_gradient``), BP2 for a layer whose next layer
   the claim names, ``a^l_j → σ(z^l_j)`` (eq. 25) and, with the logistic σ, theorem
   ``sigmoid_prime`` — and both sides compared by the same reductions the theorems use (Kronecker
   collapse, constants out of sums, bound indices renamed, expand/cancel).  Equal: **proved**, for
   every L and :math:`n_l`, naming each theorem used; each is proved (or read from the proof cache)
   first.
3. Otherwise the claim **holds at the sizes checked** (the networks named) and is undecided, not
   proved: a whole-layer (matrix) claim always ends here, as the registry's matrix forms do.
"""
from __future__ import annotations

import dataclasses
import itertools
import time
from dataclasses import dataclass
from typing import Callable, Sequence

import sympy as sp

from ..claims.meaning import Written, read_claim
from ..claims.quantities import NETWORK, Layer, gradient, hadamard, is_layer, is_unwritten_bound, norm
from ..claims.readback import shown
from ..claims.reading import PRIME_VARIABLE
from ..claims.verify import Verdict
from ..core import certified
from ..core.deadline import Timeout, check_time_limit, deadline
from ..core.functions import sigmoid as logistic
from ..core.indexed import canonical_indices, collapse_kronecker, index, pull_constants
from ..core.interval import Uncertain, Undefined, midpoint, sign_of
from ..core.outcome import PROVED, REFUTED, UNDECIDED, Counterexample
from .costs import COSTS, a as cost_a, y as cost_y
from .network import Network, concrete_network, sigma, sigma_prime, sigma_second, vanishes
from .registry import REGISTRY  # complete: every chapter registered

__all__ = ["NetworkContext", "NETWORKS", "verify_in_network", "has_network_quantity", "InNetwork"]

#: The explicit networks a claim is checked on (input width first): depth 3 with equal and with
#: different widths (so that a missing transpose is refuted on the shapes, or on values), depth 4.
NETWORKS: tuple[tuple[int, ...], ...] = ((2, 3, 2), (2, 2, 2), (2, 3, 2, 2))

#: At most this many (layer, neuron) assignments per network: the book's claims have two or three
#: free indices, and the networks are small.
MAX_INSTANCES = 48

#: The most terms a written-out sum may have on an explicit network.
MAX_TERMS = 1000

_OUTPUTS = {"any": "σ any differentiable activation", "sigmoid": "σ the logistic function",
            "softmax": "a softmax output layer"}
_PAIRS = {("any", "any"), ("any", "sigmoid"), ("quadratic", "any"), ("quadratic", "sigmoid"),
          ("cross_entropy", "sigmoid"), ("log_likelihood", "softmax")}
_DEFAULT_OUTPUT = {"any": "any", "quadratic": "any", "cross_entropy": "sigmoid", "log_likelihood": "softmax"}

L_, l_, j_, k_ = index("L"), index("l"), index("j"), index("k")
C_ = sp.Symbol("C", real=True)


@dataclass(frozen=True)
class NetworkContext:
    """The book's network as a context: ``cost`` (``any`` or a key of ``COSTS``) and ``output``
    (``any``, ``sigmoid`` or ``softmax``)."""

    cost: str = "any"
    output: str = "any"

    @classmethod
    def parse(cls, text: str = "") -> "NetworkContext":
        """``"cost=quadratic output=sigmoid"`` (either, both or neither, in any order; commas or
        spaces between); ``ValueError`` (one line, with the fix) otherwise."""
        given: dict[str, str] = {}
        for item in text.replace(",", " ").split():
            key, eq, value = item.partition("=")
            if not eq or key not in ("cost", "output"):
                raise ValueError(f"network: '{item}' is not an option; write cost=any|quadratic|"
                                 "cross_entropy|log_likelihood and/or output=any|sigmoid|softmax")
            if key in given:
                raise ValueError(f"network: {key} is given twice")
            given[key] = value.replace("-", "_")
        cost = given.get("cost", "any")
        if cost not in ("any", *COSTS):
            raise ValueError(f"network: unknown cost '{cost}'; use any, "
                             + ", ".join(sorted(COSTS)))
        output = given.get("output", _DEFAULT_OUTPUT[cost])
        if output not in _OUTPUTS:
            raise ValueError(f"network: unknown output '{output}'; use any, sigmoid or softmax")
        if (cost, output) not in _PAIRS:
            fits = sorted(o for c, o in _PAIRS if c == cost)
            raise ValueError(f"network: cost={cost} with output={output} is not a network of the "
                             f"book; use output={' or output='.join(fits)}")
        return cls(cost, output)

    def describe(self) -> str:
        cost = "C any differentiable cost of a^L" if self.cost == "any" else \
            f"C the {self.cost.replace('_', '-')} cost"
        return (f"the book's network (any depth L, widths n_l; {_OUTPUTS[self.output]}; {cost}; "
                "δ^l_j = ∂C/∂z^l_j)")

    @property
    def costs(self) -> tuple[str, ...]:
        """The costs the explicit networks use: ``any`` is checked with two of them."""
        return ("quadratic", "cross_entropy") if self.cost == "any" else (self.cost,)

    @property
    def logistic(self) -> bool:
        return self.output == "sigmoid"


class _Refused(ValueError):
    """The claim cannot be read in the network (one line, with the fix)."""


class _Shapes(Exception):
    """A side does not fit the network: the message says how."""


# --- reading: the reader's tree in the network's terms -------------------------------------------

_LAYERED = {name for name, letter in NETWORK.items() if letter.layered}


def _letter(q: sp.Indexed) -> str:
    return q.base.label.name if isinstance(q.base.label, sp.Symbol) else str(q.base.label)


def has_network_quantity(*sides: sp.Basic) -> bool:
    """Whether a side (as the reader read it) names a quantity of the network (C, a, z, w, b, δ,
    y, a whole layer, ∇_a C)."""
    for e in sides:
        if not isinstance(e, sp.Basic):
            continue
        if e.atoms(Layer, gradient):
            return True
        if any(_letter(q) in NETWORK and _letter(q) != "n" for q in e.atoms(sp.Indexed)):
            return True
        if any(s.name in ("C", "delta") or s.name in _LAYERED for s in e.atoms(sp.Symbol)):
            return True
    return False


def _bind(e: sp.Expr, whole: bool) -> sp.Expr:
    """The reader's tree with the network's conventions applied: σ is the network's activation,
    an unwritten layer is L, a bare b, z, a, δ is neuron j of layer l, y the desired output.  The
    tree is rebuilt as written (nothing evaluated: ``(a^L − y)^T`` stays the transpose of a
    difference)."""
    def symbol(s: sp.Symbol) -> sp.Expr:
        name = s.name
        if name == "w":
            raise _Refused("a bare w is not read in the network: write the weight w^l_{jk} "
                           "(or the matrix w^l)")
        if name in ("l", "L"):
            raise _Refused(f"{name} names a layer in the network: write it as one ({shown(s)} in "
                           f"a^{name}_j, w^{{{name}+1}}), not as a number")
        if name in ("b", "z", "a", "delta"):
            if whole:
                raise _Refused(f"a bare {shown(s)} beside a whole layer is not read: write its "
                               f"layer ({shown(s)}^l, {shown(s)}^L)")
            return sp.IndexedBase(name, real=True)[l_, j_]
        if name == "y":
            return _Y if whole else sp.IndexedBase("y", real=True)[j_]
        if name == "x" and whole:
            return _X
        return s

    def indexed(q: sp.Indexed) -> sp.Expr:
        name = _letter(q)
        if name in _LAYERED and not is_layer(q.indices[0]):
            return sp.IndexedBase(name, real=True)[(L_, *q.indices)]
        return q

    def walk(x: sp.Basic) -> sp.Basic:
        if isinstance(x, sp.Subs) and _is_sigma_prime(x):
            return sigma_prime(walk(x.point[0]))
        if isinstance(x, logistic):
            return sigma(walk(x.args[0]))
        if isinstance(x, sp.Indexed):
            return indexed(x)
        if isinstance(x, gradient):
            if x.args != (C_, sp.Symbol("a", real=True)):
                raise _Refused(f"'{shown(x)}' is not read in the network: ∇_a C is the column of "
                               "∂C/∂a^L_j; write any other gradient with indices (∂C/∂z^l_j)")
            return x
        if isinstance(x, sp.Dummy):
            return x
        if isinstance(x, sp.Symbol):
            return symbol(x) if x.is_real and not x.is_integer else x
        if isinstance(x, sp.Pow) and isinstance(x.base, sp.Symbol) and x.base.name in ("b", "z", "a", "delta"):
            raise _Refused(f"'{shown(x)}': a power of a bare {shown(x.base)} is not read in the "
                           f"network (a layer? write {shown(x.base)}^l_j; a power: ({shown(x.base)}^l_j)^2)")
        if isinstance(x, sp.Derivative):
            for v, _ in x.variable_count:
                if isinstance(v, sp.Indexed) and _letter(v) in ("x", "y") or \
                        isinstance(v, sp.Symbol) and v.name in ("x", "y"):
                    raise _Refused(f"{shown(x)}: a derivative by the data (x, y) is not read in "
                                   "the network; differentiate by w, b, z or a")
            return sp.Derivative(walk(x.expr), *[(walk(v), n) for v, n in x.variable_count],
                                 evaluate=False)
        if isinstance(x, sp.Sum):
            for v, _, _ in x.limits:
                if v.name in ("l", "L"):
                    raise _Refused(f"{shown(x)}: a sum over the layers is not read in the network")
            return sp.Sum(walk(x.function), *x.limits)
        if not x.args or isinstance(x, Layer):
            return x
        args = [walk(a) for a in x.args]
        if isinstance(x, (sp.Add, sp.Mul, sp.Pow, sp.Function)) or type(x).__name__ == "transpose":
            return x.func(*args, evaluate=False)
        return x.func(*args)
    return walk(e)


def _is_sigma_prime(e: sp.Subs) -> bool:
    return (e.variables == (PRIME_VARIABLE,) and isinstance(e.expr, sp.Derivative)
            and isinstance(e.expr.expr, logistic) and e.expr.derivative_count == 1)


_Y = sp.Symbol("y⃗", real=True)  #: the desired output as a column (in a whole-layer claim)
_X = sp.Symbol("x⃗", real=True)  #: the input as a column


# --- one explicit network ---------------------------------------------------------------------

class _Instance:
    """Both sides' values on one explicit network at one assignment of the layer letters and
    neuron indices (``binding``).  Scalars are SymPy expressions in the network's symbols, whole
    layers ``ImmutableMatrix``; :class:`_Shapes` when a side does not fit the network."""

    def __init__(self, net: Network, binding: dict, tail: tuple | None = None):
        self.net, self.binding, self.tail = net, binding, tail

    @property
    def where(self) -> str:
        return f"the network {'-'.join(map(str, self.net.sizes))}"

    # quantities
    def layer_of(self, e: sp.Expr, letter: str) -> int:
        m = int(sp.sympify(e).xreplace(self.binding))
        lowest = 1 if letter in ("a",) else 2
        if not lowest <= m <= self.net.L:
            raise _Shapes(f"{self.where} has no layer {m} for {_book(letter)}^{m} "
                          f"(layers {lowest}..{self.net.L})")
        return m

    def width(self, m: int) -> int:
        return self.net.sizes[m - 1]

    def _tail_layers(self):
        """The layers from ``tail[0]`` up, with z (or a) there replaced by fresh symbols."""
        m, kind, fresh = self.tail
        net = self.net
        zs, acts = {}, {}
        if kind == "z":
            zs[m] = fresh
            acts[m] = self._output(fresh) if m == net.L else tuple(net.f(u) for u in fresh)
        else:
            acts[m] = fresh
        for t in range(m + 1, net.L + 1):
            W, b = net.weights[t], net.biases[t]
            zs[t] = tuple(sp.Add(*[W[r, c] * acts[t - 1][c] for c in range(W.cols)], b[r])
                          for r in range(W.rows))
            acts[t] = self._output(zs[t]) if t == net.L else tuple(net.f(u) for u in zs[t])
        return zs, acts

    def _output(self, zL: Sequence[sp.Expr]) -> tuple:
        if self.net.softmax:
            S = sp.Add(*[sp.exp(u) for u in zL])
            return tuple(sp.exp(u) / S for u in zL)
        return tuple(self.net.f(u) for u in zL)

    def column(self, letter: str, m: int) -> tuple:
        net = self.net
        if self.tail is not None and m >= self.tail[0] and letter in ("z", "a"):
            zs, acts = self._tail_layers()
            if letter == "a" or m in zs:
                return (acts if letter == "a" else zs)[m]
        if letter == "a":
            return net.activations[m]
        if letter == "z":
            return net.zs[m]
        if letter == "b":
            return net.biases[m]
        if letter == "delta":
            if self.tail is not None:
                raise _Refused("δ inside a derivative by z or a is not read; write ∂C/∂z^l_j")
            zeta, grads, _ = net.tail_gradient(m)
            forward = dict(zip(zeta, net.zs[m]))
            return tuple(g.xreplace(forward) for g in grads)
        raise _Refused(f"{_book(letter)} has no column")

    def cost(self) -> sp.Expr:
        if self.tail is None:
            return self.net.C
        _, acts = self._tail_layers()
        return self.net.cost_of(acts[self.net.L])

    def quantity(self, q: sp.Indexed) -> sp.Expr:
        letter = _letter(q)
        idx = [sp.sympify(i).xreplace(self.binding) for i in q.indices]
        if not all(i.is_Integer for i in idx):
            raise _Refused(f"{shown(q)}: an index of it takes no value here")
        idx = [int(i) for i in idx]
        if letter in ("x", "y"):
            values = self.net.x if letter == "x" else self.net.y
            self.check(idx[0], len(values), f"{letter}_{idx[0]}", f"{len(values)} entries")
            return values[idx[0] - 1]
        if letter == "n":
            m = idx[0]
            if not 1 <= m <= self.net.L:
                raise _Shapes(f"{self.where} has no layer {m} (n_{m})")
            return sp.Integer(self.width(m))
        if letter not in _LAYERED:
            return q
        m = self.layer_of(q.indices[0], letter)
        neurons = idx[1:]
        if letter == "w":
            W = self.net.weights[m]
            if len(neurons) != 2:
                raise _Refused(f"w^{m} with {len(neurons)} neuron indices: write w^l_{{jk}}")
            self.check(neurons[0], W.rows, f"w^{m}_{neurons[0]}{neurons[1]}", f"{W.rows} rows")
            self.check(neurons[1], W.cols, f"w^{m}_{neurons[0]}{neurons[1]}", f"{W.cols} columns")
            return W[neurons[0] - 1, neurons[1] - 1]
        values = self.column(letter, m)
        self.check(neurons[0], len(values), f"{_book(letter)}^{m}_{neurons[0]}",
                   f"{len(values)} neurons in layer {m}")
        return values[neurons[0] - 1]

    def check(self, i: int, n: int, what: str, has: str) -> None:
        if not 1 <= i <= n:
            raise _Shapes(f"{what} is not in {self.where}: it has {has}")

    def whole(self, e: Layer) -> sp.ImmutableMatrix:
        m = self.layer_of(e.layer, e.letter)
        if e.letter == "w":
            return self.net.weights[m]
        return sp.ImmutableMatrix(self.column(e.letter, m))

    # the tree
    def __call__(self, e: sp.Basic):
        if isinstance(e, (sp.Number, sp.NumberSymbol)):
            return e
        if isinstance(e, sp.Symbol):
            if e in self.binding:
                return sp.Integer(self.binding[e])
            if e == C_:
                return self.cost()
            if e == _Y:
                return sp.ImmutableMatrix(self.net.y)
            if e == _X:
                return sp.ImmutableMatrix(self.net.x)
            return e
        if isinstance(e, sp.Indexed):
            return self.quantity(e)
        if isinstance(e, Layer):
            return self.whole(e)
        if isinstance(e, sp.Transpose) or type(e).__name__ == "transpose":
            v = self(e.args[0])
            return sp.ImmutableMatrix(v.T) if isinstance(v, sp.MatrixBase) else v
        if isinstance(e, hadamard):
            u, v = self(e.args[0]), self(e.args[1])
            if isinstance(u, sp.MatrixBase) and isinstance(v, sp.MatrixBase):
                if u.shape != v.shape:
                    raise _Shapes(f"on {self.where}, {_said(e)} takes the elementwise product of "
                                  f"a {_shape(u)} and a {_shape(v)}")
                return u.multiply_elementwise(v)
            return _times(u, v, e, self.where)
        if isinstance(e, norm):
            v = self(e.args[0])
            return sp.sqrt(sum(x ** 2 for x in v)) if isinstance(v, sp.MatrixBase) else sp.Abs(v)
        if isinstance(e, gradient):
            if e.args[0] != C_:
                raise _Refused("∇ is read only as ∇_a C")
            return sp.ImmutableMatrix(self.dC_da(self.net.L))
        if isinstance(e, sp.Add):
            return _plus([self(a) for a in e.args], e, self.where)
        if isinstance(e, sp.Mul):
            out = sp.S.One
            for a in e.args:
                out = _times(out, self(a), e, self.where)
            return out
        if isinstance(e, sp.Pow):
            base, exp = self(e.base), self(e.exp)
            if isinstance(base, sp.MatrixBase) or isinstance(exp, sp.MatrixBase):
                raise _Refused(f"a power of a whole layer ({shown(e)}) is not read; write it "
                               "with indices")
            return base ** exp
        if isinstance(e, sp.KroneckerDelta):
            return sp.KroneckerDelta(self(e.args[0]), self(e.args[1]))
        if isinstance(e, sp.Sum):
            return self.sum(e)
        if isinstance(e, sp.Derivative):
            return self.derivative(e)
        if isinstance(e, (sigma, sigma_prime)):
            v = self(e.args[0])
            f = self.net.f if isinstance(e, sigma) else self.net.prime
            return v.applyfunc(f) if isinstance(v, sp.MatrixBase) else f(v)
        if isinstance(e, sp.Function) and e.args:
            args = [self(a) for a in e.args]
            if any(isinstance(a, sp.MatrixBase) for a in args):
                if len(args) == 1:
                    return args[0].applyfunc(e.func)
                raise _Refused(f"{shown(e)} of a whole layer is not read; write it with indices")
            return e.func(*args)
        if isinstance(e, sp.Subs):
            return self(e.doit())
        raise _Refused(f"'{shown(e)}' is not read in the network")

    def sum(self, s: sp.Sum):
        return self.summed(s.function, s.limits, s)

    def summed(self, f: sp.Expr, limits: tuple, s: sp.Sum):
        """∑ over ``limits`` (innermost first, SymPy's order) of ``f``, written out term by term."""
        if not limits:
            return self(f)
        *inner, (k, lo, hi) = limits
        if is_unwritten_bound(hi):
            hi = self.range_of(k, f)
        lo, hi = self(lo), sp.Integer(hi) if isinstance(hi, int) else self(hi)
        if not (lo.is_Integer and hi.is_Integer):
            raise _Refused(f"{_said(s)}: its bounds are not numbers of the network")
        lo, hi = int(lo), int(hi)
        if hi - lo >= MAX_TERMS:
            raise _Refused(f"{_said(s)}: a sum of more than {MAX_TERMS} terms is not written out "
                           "on the network; give it fewer")
        terms = [_Instance(self.net, {**self.binding, k: sp.Integer(v)}, self.tail).summed(f, tuple(inner), s)
                 for v in range(lo, hi + 1)]
        return _plus(terms, s, self.where) if terms else sp.S.Zero

    def range_of(self, k: sp.Symbol, f: sp.Expr) -> int:
        """How far ∑_k runs when its bound is not written: over the neurons k indexes in ``f``;
        refuted on the shapes when it indexes layers of different widths."""
        ranges = {}
        for q in f.atoms(sp.Indexed):
            for slot, i in enumerate(q.indices):
                if i != k:
                    continue
                ranges[shown(q)] = self.extent(q, slot)
        if not ranges:
            raise _Refused(f"∑_{shown(k)}: write the range, ∑_{{{shown(k)}=1}}^{{n}}: {shown(k)} "
                           "indexes no neuron of the network in the sum")
        if len(set(ranges.values())) > 1:
            said = ", ".join(f"{v} in {name}" for name, v in ranges.items())
            raise _Shapes(f"on {self.where}, ∑_{shown(k)} would run to different ends: {said}")
        return next(iter(ranges.values()))

    def extent(self, q: sp.Indexed, slot: int) -> int:
        """How many neurons the index in ``slot`` of ``q`` runs over on this network
        (:func:`_slot_width` there; the quantity's layer must exist)."""
        width = _slot_width(q, slot)
        if width is None:
            raise _Refused(f"∑ over the index of {shown(q)}: write the range")
        if _letter(q) in _LAYERED:
            self.layer_of(q.indices[0], _letter(q))
        return int(self(width))

    def dC_da(self, m: int) -> list:
        """∂C/∂a^m_p for every p: the cost composed from a fresh a^m, differentiated."""
        fresh = tuple(sp.Dummy(f"α{p}") for p in range(self.width(m)))
        cost = _Instance(self.net, self.binding, (m, "a", fresh)).cost()
        forward = dict(zip(fresh, self.net.activations[m]))
        return [sp.diff(cost, u).xreplace(forward) for u in fresh]

    def derivative(self, d: sp.Derivative):
        (v, n), *more = d.variable_count
        if more:
            raise _Refused(f"{shown(d)}: one variable at a time is read in the network")
        if isinstance(v, Layer):  # ∂C/∂w^l: the matrix of ∂C/∂w^l_jk (a column for b, z, a)
            if d.expr.has(Layer, gradient, _X, _Y):
                raise _Refused(f"{_said(d)}: a derivative of a whole layer by a whole layer (a "
                               "Jacobian) is not read; write it with indices")
            m = self.layer_of(v.layer, v.letter)
            base = sp.IndexedBase(v.letter, real=True)
            if v.letter == "w":
                W = self.net.weights[m]
                return sp.ImmutableMatrix(W.rows, W.cols, lambda r, c: self.derivative(
                    sp.Derivative(d.expr, (base[m, r + 1, c + 1], n), evaluate=False)))
            return sp.ImmutableMatrix([self.derivative(sp.Derivative(d.expr, (base[m, r + 1], n), evaluate=False))
                                       for r in range(self.width(m))])
        if isinstance(v, sp.Indexed) and _letter(v) in ("z", "a"):
            m = self.layer_of(v.indices[0], _letter(v))
            p = int(sp.sympify(v.indices[1]).xreplace(self.binding))
            self.check(p, self.width(m), shown(v), f"{self.width(m)} neurons in layer {m}")
            fresh = tuple(sp.Dummy(f"ζ{t}") for t in range(self.width(m)))
            inner = _Instance(self.net, self.binding, (m, _letter(v), fresh))(d.expr)
            forward = dict(zip(fresh, self.column(_letter(v), m)))
            return _apply(inner, lambda x: sp.diff(x, fresh[p - 1], n).xreplace(forward))
        var = self(v)
        if not isinstance(var, sp.Symbol):
            raise _Refused(f"{shown(d)}: the derivative by {shown(v)} is not read in the network")
        inner = self(d.expr)
        return _apply(inner, lambda x: sp.diff(x, var, n))


def _apply(v, f):
    return v.applyfunc(f) if isinstance(v, sp.MatrixBase) else f(v)


def _shape(m: sp.MatrixBase) -> str:
    return f"{m.rows}×{m.cols}"


def _book(letter: str) -> str:
    return "δ" if letter == "delta" else letter


def _plus(terms: list, e: sp.Basic, where: str):
    """A sum; a number added to a layer is added to each entry, as the book writes 1 − a^L."""
    mats = [t for t in terms if isinstance(t, sp.MatrixBase)]
    if mats and len({m.shape for m in mats}) > 1:
        raise _Shapes(f"on {where}, {_said(e)} adds a {_shape(mats[0])} and a "
                      f"{_shape(next(m for m in mats if m.shape != mats[0].shape))}")
    if mats:
        number = sp.Add(*[t for t in terms if not isinstance(t, sp.MatrixBase)])
        out = mats[0].applyfunc(lambda x: x + number)
        for m in mats[1:]:
            out = out + m
        return sp.ImmutableMatrix(out)
    return sp.Add(*terms)


def _said(e: sp.Basic) -> str:
    """``e`` as the reader wrote it (σ, not the network's internal name)."""
    return shown(_shown_form(e))


def _times(u, v, e: sp.Basic, where: str):
    if isinstance(u, sp.MatrixBase) and isinstance(v, sp.MatrixBase):
        if u.cols != v.rows:
            raise _Shapes(f"on {where}, {_said(e)} multiplies a {_shape(u)} by a {_shape(v)}")
        out = u * v
        return out[0, 0] if out.shape == (1, 1) else sp.ImmutableMatrix(out)  # uᵀv is a number
    if isinstance(u, sp.MatrixBase) or isinstance(v, sp.MatrixBase):
        return sp.ImmutableMatrix(u * v)
    return u * v


# --- the assignments of layers and neurons ------------------------------------------------------

def _free_indices(*sides: sp.Expr) -> list[sp.Symbol]:
    """The layer letter l and the neuron indices the claim leaves free (not a sum's, not L, not the
    letter of an indexed quantity such as the n of n_l)."""
    labels = {q.base.label for e in sides for q in e.atoms(sp.Indexed)}
    found = {s for e in sides for s in e.free_symbols}  # SymPy leaves out a sum's own index
    found |= {s for e in sides for d in e.atoms(sp.Derivative) if not d.free_symbols & set(d.variables)
              for v in d.variables for s in v.free_symbols}  # ∂C/∂w^l_jk: j, k even when C is a symbol
    return sorted({s for s in found if isinstance(s, sp.Symbol) and s.is_integer and s.is_positive
                   and s not in labels and s != L_ and not is_unwritten_bound(s)}, key=str)


def _assignments(net: Network, sides: Sequence[sp.Expr]) -> tuple[list[dict], bool]:
    """The assignments of the free layer letter l and neuron indices that name quantities of
    ``net`` (an index takes the values every place it indexes allows): every one, or, when a
    layer's neuron assignments are more than :data:`MAX_INSTANCES`, that many spread evenly
    over them (then ``True``: not every assignment was tried)."""
    free = _free_indices(*sides)
    layers = [s for s in free if s == l_]
    neurons = [s for s in free if s != l_]
    out, cut = [], False
    for lv in (range(1, net.L + 1) if layers else [None]):
        binding = {L_: sp.Integer(net.L), **({l_: sp.Integer(lv)} if lv is not None else {})}
        if not _layers_exist(net, binding, sides):
            continue
        try:
            spans = {s: _span(net, binding, s, sides) for s in neurons}
        except _Shapes:
            continue
        every = list(itertools.product(*[range(1, spans[s] + 1) for s in neurons]))
        if len(every) > MAX_INSTANCES:
            cut = True
            step = len(every) / MAX_INSTANCES
            every = [every[int(i * step)] for i in range(MAX_INSTANCES - 1)] + [every[-1]]
        out += [{**binding, **{s: sp.Integer(v) for s, v in zip(neurons, values)}} for values in every]
    return out, cut


def _layers_exist(net: Network, binding: dict, sides) -> bool:
    """Whether every layer the claim names exists in ``net`` (w, b, z, δ from layer 2, a from 1)
    when the layer letters take the values of ``binding``: ``w^{l+1}`` names no layer at l = L."""
    for e in sides:
        for q in [*e.atoms(sp.Indexed), *e.atoms(Layer)]:
            letter, layer = (q.letter, q.layer) if isinstance(q, Layer) else (_letter(q), q.indices[0])
            if letter not in _LAYERED:
                continue
            m = sp.sympify(layer).xreplace(binding)
            if not m.is_Integer or not (1 if letter == "a" else 2) <= m <= net.L:
                return False
    return True


def _span(net: Network, binding: dict, s: sp.Symbol, sides) -> int:
    """The values the free index ``s`` can take on ``net``: the fewest neurons among the places
    it indexes (the others are then refuted on the shapes when they have fewer)."""
    probe = _Instance(net, binding)
    ends = []
    for e in sides:
        for q in e.atoms(sp.Indexed):
            for slot, i in enumerate(q.indices):
                if i != s and sp.sympify(i).has(s) and slot > 0:
                    raise _Refused(f"{shown(q)}: write a neuron index as a letter ({shown(s)}), "
                                   f"not {shown(i)}")
                if i == s:
                    try:
                        ends.append(probe.extent(q, slot))
                    except _Refused:
                        pass
    if not ends:
        raise _Refused(f"the index {shown(s)} indexes no neuron of the network")
    return min(ends)


# --- deciding ------------------------------------------------------------------------------

@dataclass
class _Found:
    """What the explicit networks showed."""

    shapes: str = ""
    refuted: tuple | None = None  # (point, lhs value, rhs value, description)
    checked: list = dataclasses.field(default_factory=list)  # the networks every instance held on
    unsettled: str = ""
    instances: int = 0  # the assignments of layers and neurons evaluated
    cut: bool = False  # not every assignment was tried (more than MAX_INSTANCES for a layer)


def _logistic_forms(e, logistic_sigma: bool):
    """With the logistic σ, σ′(u) = σ(u)(1 − σ(u)) (theorem ``sigmoid_prime``)."""
    if not logistic_sigma:
        return e
    return _apply(e, lambda x: x.replace(lambda t: isinstance(t, sigma_prime),
                                         lambda t: sigma(t.args[0]) * (1 - sigma(t.args[0]))))


def _zero(d, net: Network, ctx: NetworkContext) -> bool:
    """``d`` (a difference, scalar or matrix) is exactly 0 for every σ (with the context's σ)."""
    for x in (d if isinstance(d, sp.MatrixBase) else [d]):
        x = _logistic_forms(x, ctx.logistic)
        if x == 0 or vanishes(x, sigma) is not None:
            continue
        if sp.cancel(sp.together(_atoms(x))) == 0:
            continue
        return False
    return True


def _atoms(e: sp.Expr) -> sp.Expr:
    """Every σ(u), σ′(u), e^u a symbol (the same for the same u): a substitution, so a 0 after it
    is a 0 before it.  Not inside a sum (there u depends on the summation index, and one symbol
    for σ(z_k) would say every term is the same): an expression with a sum is left as it is."""
    if e.has(sp.Sum):
        return e
    table: dict = {}
    return e.replace(lambda x: isinstance(x, (sigma, sigma_prime, sigma_second, sp.exp)),
                     lambda x: table.setdefault(x, sp.Dummy("t")))


#: The activations a counterexample takes for an undefined σ, in order: the book's, then tanh.
_WITNESSES = (("the logistic function", lambda u: logistic(u)),
              ("tanh", lambda u: sp.tanh(u)))


def _concrete_sigma(e: sp.Expr, f: Callable) -> sp.Expr:
    t = sp.Dummy("t", real=True)
    fp, fpp = sp.diff(f(t), t), sp.diff(f(t), t, 2)
    return e.replace(lambda x: isinstance(x, (sigma, sigma_prime, sigma_second)),
                     lambda x: (f(t) if isinstance(x, sigma) else fp if isinstance(x, sigma_prime)
                                else fpp).xreplace({t: x.args[0]}))


_RATIONALS = [sp.Rational(p, q) for p, q in
              ((1, 2), (-1, 3), (2, 3), (-3, 4), (1, 5), (3, 2), (-2, 5), (1, 7), (5, 4), (-1, 6),
               (4, 5), (-5, 7), (2, 9), (7, 8), (-3, 10), (1, 11))]


def _point(symbols: Sequence[sp.Symbol], shift: int) -> dict:
    """Weights, biases, inputs (and the claim's own symbols) from a fixed list of small rationals;
    each desired output y_j in (0, 1), as a target is."""
    def value(i: int, s: sp.Symbol) -> sp.Rational:
        v = _RATIONALS[(i * 5 + shift * 3) % len(_RATIONALS)]
        return 1 / (1 + abs(v)) / 2 + sp.Rational(1, 8) if s.name.startswith("y_") else v
    return {s: value(i, s) for i, s in enumerate(symbols)}


def _text(v) -> str:
    if isinstance(v, sp.Rational):
        return str(v)
    return f"{midpoint(v):.12g}…"


def _witness(lv, rv, net: Network, ctx: NetworkContext) -> tuple | None:
    """Exact rational weights, biases, input and target at which the two sides certainly differ,
    σ being the logistic function (or, for an undefined σ, tanh after it)."""
    lhs = list(lv) if isinstance(lv, sp.MatrixBase) else [lv]
    rhs = list(rv) if isinstance(rv, sp.MatrixBase) else [rv]
    witnesses = _WITNESSES[:1] if ctx.logistic else _WITNESSES
    for name, f in witnesses:
        concrete = [(_concrete_sigma(a, f), _concrete_sigma(b, f)) for a, b in zip(lhs, rhs)]
        symbols = sorted(set().union(_parameters(net), *(a.free_symbols | b.free_symbols for a, b in concrete)),
                         key=_order)
        for shift in range(3):
            point = _point(symbols, shift)
            for entry, (a, b) in enumerate(concrete):
                try:
                    memo: dict = {}
                    va = certified.evaluate(a, point, memo=memo)
                    vb = certified.evaluate(b, point, memo=memo)
                    if sign_of(certified.evaluate(a - b, point, memo=memo)) == 0:
                        continue
                except (Uncertain, Undefined, TypeError, ValueError, ZeroDivisionError):
                    continue
                return point, _text(va), _text(vb), name, entry if len(concrete) > 1 else None
    return None


def _parameters(net: Network) -> set:
    """The whole network's numbers: input, weights, biases, desired output (a counterexample gives
    each one, not only those the claim happens to use)."""
    out = set(net.x)
    for l in range(2, net.L + 1):
        out |= set(net.weights[l]) | set(net.biases[l])
    return out.union(*(sp.sympify(t).free_symbols for t in net.y))


def _order(s: sp.Symbol) -> tuple:
    """Input, weights and biases by layer, then the target, then the claim's own symbols."""
    name = s.name
    rank = 0 if name.startswith("x_") else 2 if name.startswith("y_") else 1 if name[:2] in ("w^", "b^") else 3
    return (rank, name)


def _explicit(lhs: sp.Expr, rhs: sp.Expr, ctx: NetworkContext, deadline: float) -> _Found:
    found = _Found()
    for sizes in NETWORKS:
        for cost in ctx.costs:
            net = concrete_network(sizes, cost)
            held, count = True, 0
            bindings, cut = _assignments(net, (lhs, rhs))
            found.cut = found.cut or cut
            for binding in bindings:
                count += 1
                if time.perf_counter() > deadline:
                    found.unsettled = "the time limit ran out on the explicit networks"
                    return found
                inst = _Instance(net, binding)
                try:
                    lv, rv = inst(lhs), inst(rhs)
                    if isinstance(lv, sp.MatrixBase) != isinstance(rv, sp.MatrixBase) or (
                            isinstance(lv, sp.MatrixBase) and lv.shape != rv.shape):
                        raise _Shapes(f"on {inst.where}, the left side is "
                                      f"{_kind(lv)} and the right side {_kind(rv)}")
                except _Shapes as exc:
                    found.shapes = found.shapes or f"{exc} ({_at(binding)})"
                    held = False
                    continue
                diff = (lv - rv) if not isinstance(lv, sp.MatrixBase) else sp.ImmutableMatrix(lv - rv)
                if _zero(diff, net, ctx):
                    continue
                held = False
                w = _witness(lv, rv, net, ctx)
                if w is not None:
                    found.refuted = (net, cost, binding, *w)
                    return found
                found.unsettled = (f"on {inst.where} ({_at(binding)}) the difference is not "
                                   "exactly 0 and no values were found where the sides differ")
            found.instances += count
            if held and count:
                found.checked.append((sizes, cost))
    return found


def _kind(v) -> str:
    return f"a {_shape(v)} layer" if isinstance(v, sp.MatrixBase) else "a number"


def _at(binding: dict) -> str:
    return ", ".join(f"{s} = {v}" for s, v in sorted(binding.items(), key=lambda kv: str(kv[0])))


# --- for every depth and width: the book's theorems as rewriting rules -------------------------

def _layers_named(*sides: sp.Expr) -> set:
    out = set()
    for e in sides:
        for q in e.atoms(sp.Indexed):
            if _letter(q) in _LAYERED:
                out.add(sp.sympify(q.indices[0]))
    return out


def _cost_slope(ctx: NetworkContext, a: sp.Expr, y: sp.Expr) -> sp.Expr | None:
    """∂C/∂a^L_j of a named elementwise cost, :math:`\\partial c(a, y)/\\partial a` at
    (a^L_j, y_j): C = Σ_j c(a^L_j, y_j) (:data:`derive.book.costs.COSTS`)."""
    if ctx.cost == "any" or ctx.output == "softmax":
        return None
    return sp.diff(COSTS[ctx.cost].term, cost_a).xreplace({cost_a: a, cost_y: y})


def _rewritten(e: sp.Expr, ctx: NetworkContext, hidden: set, used: set) -> sp.Expr:
    """One pass of the rules (see the module docstring); ``used`` collects the theorems."""
    base = lambda name: sp.IndexedBase(name, real=True)  # noqa: E731
    a, z, d, w, y = (base(n) for n in ("a", "z", "delta", "w", "y"))

    def derivative(x: sp.Derivative) -> sp.Expr:
        if x.expr != C_ or len(x.variable_count) != 1 or x.variable_count[0][1] != 1:
            return x
        v = x.variable_count[0][0]
        if not isinstance(v, sp.Indexed) or _letter(v) not in _LAYERED:
            return x
        m, *p = v.indices
        if _letter(v) == "b":
            used.add("bp3")
            return d[m, p[0]]
        if _letter(v) == "w":
            used.add("bp4")
            return a[m - 1, p[1]] * d[m, p[0]]
        if _letter(v) == "z":
            used.add(DEFINITION)
            return d[m, p[0]]
        if _letter(v) == "a" and m == L_:
            return _slope(ctx, p[0])
        return x

    def delta(q: sp.Indexed) -> sp.Expr:
        m, p = q.indices
        if m == L_:
            if ctx.output == "softmax":
                used.add("log_likelihood_gradient")
                return a[L_, p] - y[p]
            if ctx.cost == "cross_entropy":
                used.add("cross_entropy_output_error")
                return a[L_, p] - y[p]
            used.add("bp1")
            return _slope(ctx, p) * sigma_prime(z[L_, p])
        if m + 1 in hidden:
            used.add("bp2")
            k = sp.Dummy("k", integer=True, positive=True)
            return sigma_prime(z[m, p]) * sp.Sum(w[m + 1, k, p] * d[m + 1, k], (k, 1, _width(m + 1)))
        return q

    def activation(q: sp.Indexed) -> sp.Expr:
        m, p = q.indices
        if m != L_ or ctx.output == "softmax":  # a^l at l = 1 is the input x, not σ(z^1)
            return q
        used.add(FORWARD)
        return sigma(z[m, p])  # eq. (25), at the output layer

    e = e.replace(lambda x: isinstance(x, sp.Derivative), derivative)
    if e.has(sp.Derivative):  # a derivative no rule reads (∂C/∂a^l_j of a hidden layer)
        return e
    e = e.replace(lambda x: isinstance(x, sp.Indexed) and _letter(x) == "delta" and len(x.indices) == 2, delta)
    e = e.replace(lambda x: isinstance(x, sp.Indexed) and _letter(x) == "a" and len(x.indices) == 2, activation)
    if ctx.logistic and e.has(sigma_prime):
        used.add("sigmoid_prime")
        e = _logistic_forms(e, True)
    return e


#: ∂C/∂a^L_j of a cost the context does not name: one number per output neuron.
_NABLA = sp.IndexedBase("∂C/∂a^L", real=True)


def _slope(ctx: NetworkContext, p: sp.Expr) -> sp.Expr:
    """∂C/∂a^L_p: the named cost's, else the number ``_NABLA[p]``."""
    slope = _cost_slope(ctx, sp.IndexedBase("a", real=True)[L_, p], sp.IndexedBase("y", real=True)[p])
    return _NABLA[p] if slope is None else slope


def _width(m: sp.Expr) -> sp.Expr:
    return sp.IndexedBase("n", integer=True, positive=True)[m]


def _slot_width(q: sp.Indexed, slot: int) -> sp.Expr | None:
    """The width (symbolic, n_m) of the layer the index in ``slot`` of ``q`` runs over: y_j over
    n_L, x_k over n_1, the k of w^m_{jk} over n_{m−1}, any other neuron index over n_m; None for a
    layer slot or a letter outside the network."""
    letter = _letter(q)
    if letter == "y":
        return _width(L_)
    if letter == "x":
        return _width(sp.S.One)
    if letter in _LAYERED and slot > 0:
        m = q.indices[0]
        return _width(m - 1) if letter == "w" and slot == 2 else _width(m)
    return None


def _bounds_written(e: sp.Expr) -> sp.Expr:
    """Each unwritten ∑_k bound as the width of the layer k indexes (None-safe: left when the
    places disagree)."""
    def fix(s: sp.Sum) -> sp.Expr:
        k, lo, hi = s.limits[0]
        if not is_unwritten_bound(hi):
            return s
        ends = {_slot_width(q, slot) for q in s.function.atoms(sp.Indexed)
                for slot, i in enumerate(q.indices) if i == k} - {None}
        return sp.Sum(s.function, (k, lo, ends.pop())) if len(ends) == 1 else s
    return e.replace(lambda x: isinstance(x, sp.Sum) and len(x.limits) == 1, fix)


class _NotGeneral(Exception):
    """The comparison would rest on something not shown for every width (a Kronecker collapse's
    range condition, a sum that may be empty): no general proof."""


def _canonical(e: sp.Expr, ranges: dict) -> sp.Expr:
    """Kronecker deltas collapsed (only when each range condition the collapse assumes holds for
    every width: ``1 ≤ i``, or ``i ≤ n_m`` where the claim uses i as a neuron of layer m, which is
    where the claim is about), constants out of sums, bound indices renamed."""
    try:
        e, conditions = collapse_kronecker(sp.expand(e))
    except ValueError as exc:  # an index bound twice: not compared
        raise _NotGeneral(str(exc)) from None
    for c in conditions:
        for part in (c.args if isinstance(c, sp.And) else (c,)):
            if not _holds(part, ranges):
                raise _NotGeneral(f"the collapse of a Kronecker delta assumed {part}")
    return canonical_indices(pull_constants(sp.expand(e)))


def _holds(c: sp.Basic, ranges: dict) -> bool:
    """``1 ≤ i`` (an index is positive), or ``i ≤ w`` with w a width of a layer i indexes."""
    if c is sp.true:
        return True
    if not isinstance(c, (sp.LessThan, sp.GreaterThan)):
        return False
    small, big = (c.lhs, c.rhs) if isinstance(c, sp.LessThan) else (c.rhs, c.lhs)
    if small == 1 and isinstance(big, sp.Symbol) and big.is_integer and big.is_positive:
        return True
    return isinstance(small, sp.Symbol) and big in ranges.get(small, set())


def _ranges(*sides: sp.Expr) -> dict:
    """Each free neuron index → the widths of the layers it indexes in the claim (a^L_j: n_L)."""
    out: dict = {}
    for e in sides:
        for q in e.atoms(sp.Indexed):
            for slot, i in enumerate(q.indices):
                w = _slot_width(q, slot)
                if isinstance(i, sp.Symbol) and w is not None:
                    out.setdefault(i, set()).add(w)
    return out


def _sums_nonempty(*sides: sp.Expr) -> bool:
    """Every sum runs from 1 to a width or a positive number (SymPy's ∑_{k=lo}^{hi} with hi < lo is
    not the book's empty sum, so no other sum is compared)."""
    for e in sides:
        for s in e.atoms(sp.Sum):
            for _, lo, hi in s.limits:
                if lo != 1 or not (hi.is_positive or is_unwritten_bound(hi)):
                    return False
    return True


class _Entry:
    """A side as its entry (r, c) in index form, with its shape in the symbolic widths: the
    definitions of the matrix product (a sum over the shared index), the transpose and ⊙."""

    def __init__(self, rows, cols, at: Callable[[sp.Expr, sp.Expr], sp.Expr]):
        self.rows, self.cols, self.at = rows, cols, at

    @property
    def scalar(self) -> bool:
        return self.rows is None


def _scalar(e: sp.Expr) -> _Entry:
    return _Entry(None, None, lambda r, c: e)


def _entry(e: sp.Basic) -> _Entry:
    """``e`` (a side with whole layers) entry by entry; ``_Shapes`` when the symbolic shapes do not
    fit (the explicit networks will have said so first)."""
    if not e.has(Layer, gradient, _X, _Y):
        return _scalar(e)
    base = lambda name: sp.IndexedBase(name, real=True)  # noqa: E731
    if isinstance(e, Layer):
        m = e.layer
        if e.letter == "w":
            return _Entry(_width(m), _width(m - 1), lambda r, c: base("w")[m, r, c])
        return _Entry(_width(m), sp.S.One, lambda r, c: base(e.letter)[m, r])
    if e in (_X, _Y):
        return _Entry(_width(1 if e == _X else L_), sp.S.One,
                      lambda r, c: base("x" if e == _X else "y")[r])
    if isinstance(e, gradient):
        return _Entry(_width(L_), sp.S.One, lambda r, c: sp.Derivative(C_, base("a")[L_, r]))
    if isinstance(e, sp.Derivative) and isinstance(e.variables[0], Layer) and e.expr == C_:
        inner = _entry(e.variables[0])
        return _Entry(inner.rows, inner.cols, lambda r, c: sp.Derivative(C_, inner.at(r, c)))
    if type(e).__name__ == "transpose":
        inner = _entry(e.args[0])
        return _Entry(inner.cols, inner.rows, lambda r, c: inner.at(c, r))
    parts = [_entry(a) for a in e.args]
    mats = [p for p in parts if not p.scalar]
    if isinstance(e, (sp.Add, hadamard)):
        if len(mats) != len(parts) or len({(p.rows, p.cols) for p in mats}) > 1:
            raise _Shapes(f"{shown(e)}: the shapes differ")
        join = sp.Add if isinstance(e, sp.Add) else sp.Mul
        return _Entry(mats[0].rows, mats[0].cols, lambda r, c: join(*[p.at(r, c) for p in parts]))
    if isinstance(e, sp.Mul):
        out = parts[0]
        for p in parts[1:]:
            out = _product(out, p)
        return out
    if isinstance(e, (sigma, sigma_prime)) and len(mats) == 1:
        return _Entry(mats[0].rows, mats[0].cols, lambda r, c: e.func(mats[0].at(r, c)))
    raise _Refused(f"{shown(e)} is not read entry by entry")


def _product(u: _Entry, v: _Entry) -> _Entry:
    if u.scalar or v.scalar:
        shape = v if u.scalar else u
        return _Entry(shape.rows, shape.cols, lambda r, c: u.at(r, c) * v.at(r, c))
    if u.cols != v.rows:
        raise _Shapes("a product of shapes that do not fit")
    t = sp.Dummy("t", integer=True, positive=True)
    return _Entry(u.rows, v.cols, lambda r, c: sp.Sum(u.at(r, t) * v.at(t, c), (t, 1, u.cols)))


def _index_form(lhs: sp.Expr, rhs: sp.Expr) -> tuple[sp.Expr, sp.Expr] | None:
    """A whole-layer claim as the claim about its entry (j, k); None when it has neuron indices
    of its own or the shapes do not fit."""
    if not any(x.has(Layer, gradient, _X, _Y) for x in (lhs, rhs)):
        return lhs, rhs
    if _free_indices(lhs, rhs) and set(_free_indices(lhs, rhs)) - {l_}:
        return None
    try:
        u, v = _entry(lhs), _entry(rhs)
    except (_Shapes, _Refused):
        return None
    if u.scalar or v.scalar or (u.rows, u.cols) != (v.rows, v.cols):
        return None
    return u.at(j_, k_ if u.cols != 1 else sp.S.One), v.at(j_, k_ if v.cols != 1 else sp.S.One)


def _general(lhs: sp.Expr, rhs: sp.Expr, ctx: NetworkContext) -> tuple[str, set] | None:
    """Proved for every depth and width by the theorems' rules, or None."""
    pair = _index_form(lhs, rhs)
    if pair is None:
        return None
    entrywise = (lhs, rhs) != pair
    lhs, rhs = pair
    layers = _layers_named(lhs, rhs)
    used: set = set()
    sides = [_bounds_written(lhs), _bounds_written(rhs)]
    for _ in range(6):
        new = [_rewritten(s, ctx, layers, used) for s in sides]
        if new == sides:
            break
        sides = new
    if any(s.has(sp.Derivative) or any(is_unwritten_bound(b) for b in s.free_symbols) for s in sides):
        return None
    if not _sums_nonempty(*sides):
        return None
    ranges = _ranges(lhs, rhs)
    try:
        left, right = (_canonical(s, ranges) for s in sides)
        difference = _canonical(left - right, ranges)
    except _NotGeneral:
        return None
    for how, reduce in (("structural", lambda x: x), ("expand", sp.expand),
                        ("cancel", lambda x: sp.cancel(_atoms(x)))):
        if reduce(difference) == 0 or reduce(left) == reduce(right):
            if entrywise:
                how = f"entry (j, k) of each side (the definitions of the matrix product, ᵀ, ⊙), {how}"
            return how, used
    return None


#: What the rule ∂C/∂z^l_j → δ^l_j rests on: a definition, not a theorem.
DEFINITION = "the definition of δ (eq. 29)"
#: What a^L_j → σ(z^L_j) rests on: the forward pass, a definition too.
FORWARD = "a^L = σ(z^L) (eq. 25)"


def _theorems_proved(ids: set, prove: Callable[[str], object]) -> str:
    """The theorems ``ids`` proved (by ``prove``); the first that is not, as text, else ''."""
    for t in sorted(ids - {DEFINITION, FORWARD}):
        p = prove(t)
        if getattr(p, "status", None) != PROVED:
            return f"theorem {t} is {getattr(p, 'status', 'not proved')}"
    return ""


def _prove_fresh(id: str):
    return REGISTRY[id].prove()


# --- the verdict -------------------------------------------------------------------------------

def verify_in_network(lhs, rhs=None, *, network: NetworkContext | str = NetworkContext(),
                      time_limit: float = 60.0, prove: Callable[[str], object] = _prove_fresh) -> Verdict:
    """Decide ``lhs = rhs`` (or one equation ``"LHS = RHS"``) in the book's network (see the
    module docstring).  ``network``: a :class:`NetworkContext` or its text
    (``"cost=cross_entropy"``); ``prove``: how a theorem the verdict relies on is proved (the CLI
    passes the proof cache's).  ``ValueError`` (one line) for a claim that cannot be read here."""
    t0 = time.perf_counter()
    ctx = network if isinstance(network, NetworkContext) else NetworkContext.parse(network)
    left, right, _ = read_claim(lhs, rhs)
    sides = [x.expr if isinstance(x, Written) else x for x in (left, right)]
    if not has_network_quantity(*sides):
        raise ValueError("the claim names no quantity of the network (C, a, z, w, b, δ, y); "
                         "decide it without --network")
    whole = any(s.atoms(Layer, gradient) for s in sides)
    try:
        bound = [_bind(s, whole) for s in sides]
    except _Refused as exc:
        raise ValueError(f"{exc}") from None
    read_as = f"{shown(_shown_form(bound[0]))} = {shown(_shown_form(bound[1]))}"
    common = dict(lhs=shown(_shown_form(bound[0])), rhs=shown(_shown_form(bound[1])), read_as=read_as,
                  domain=ctx.describe())

    def done(status, method, detail, **kw) -> Verdict:
        return Verdict(status=status, method=method, detail=detail, **common, **kw,
                       seconds=time.perf_counter() - t0)

    time_limit = check_time_limit(time_limit)

    def out_of_time(where: str) -> Verdict:
        return done(UNDECIDED, "none", f"the time limit ({time_limit:g} s) ran out {where}, after "
                                       f"{time.perf_counter() - t0:.3g} s; give a longer time limit")
    try:
        with deadline(max(time_limit - (time.perf_counter() - t0), 1e-3)):
            found = _explicit(bound[0], bound[1], ctx, t0 + time_limit)
    except _Refused as exc:
        raise ValueError(f"{exc}") from None
    except Timeout:
        return out_of_time("on the explicit networks")
    shapes_too = f" (and refuted on the shapes: {found.shapes})" if found.shapes else ""
    if found.refuted is not None:
        net, cost, binding, point, lv, rv, sigma_name, entry = found.refuted
        values = {**{str(s): v for s, v in binding.items() if s != L_}, **{_name(s): v for s, v in point.items()}}
        if entry is not None:
            lv, rv = f"{lv} (entry {entry + 1})", f"{rv} (entry {entry + 1})"
        sizes = "-".join(map(str, net.sizes))
        cost_said = "" if ctx.cost != "any" else f", C the {cost.replace('_', '-')} cost"
        return done(REFUTED, f"explicit network {sizes}",
                    f"on the network {sizes} (L = {net.L}), σ {sigma_name}{cost_said}: the sides "
                    f"differ, {lv} against {rv}{shapes_too}", counterexample=Counterexample(values),
                    lhs_value=lv, rhs_value=rv)
    if found.shapes:
        return done(REFUTED, "shapes", f"refuted on the shapes: {found.shapes}")
    if found.unsettled:
        return done(UNDECIDED, "explicit networks", found.unsettled)
    if not found.checked:
        return done(UNDECIDED, "explicit networks",
                    "no network checked (" + ", ".join("-".join(map(str, s)) for s in NETWORKS)
                    + ") has the layers the claim names, so nothing was checked")
    checked = ", ".join(sorted({"-".join(map(str, s)) for s, _ in found.checked}))
    checked += (f" ({found.instances} assignments of the layers and neurons the claim names"
                + (f"; at most {MAX_INSTANCES} per layer, spread over more)" if found.cut else ")"))
    try:
        with deadline(max(time_limit - (time.perf_counter() - t0), 1e-3)):
            general = _general(bound[0], bound[1], ctx)
    except Timeout:
        return out_of_time("while rewriting by the theorems")
    if general is not None:
        how, used = general
        why = _theorems_proved(used, prove)
        if not why:
            theorems = sorted(used - {DEFINITION, FORWARD})
            names = ", ".join([*(["theorems " + ", ".join(theorems)] if theorems else []),
                               *(d for d in (DEFINITION, FORWARD) if d in used)]) or "nothing (the same sides)"
            proved_first = " (each theorem proved first)" if theorems else ""
            if not used:
                return done(PROVED, how, f"for every depth L and widths n_l: the two sides are the "
                                         f"same ({how}); it also holds on the networks {checked}")
            return done(PROVED, f"{names} as rules, {how}",
                        f"for every depth L and widths n_l: both sides rewritten by {names}"
                        f"{proved_first} and compared; it also holds on the networks {checked}")
        return done(UNDECIDED, "theorems as rules", f"{why}, so it is not used; it holds at the "
                                                     f"sizes checked ({checked})")
    return done(UNDECIDED, "explicit networks",
                f"holds at the sizes checked: the networks {checked}; not proved for every depth "
                "and width")


def _name(s: sp.Symbol) -> str:
    """A network symbol's name as the book writes it: ``w^{2}_{1,2}`` → ``w^2_12``."""
    return s.name.replace("{", "").replace("}", "").replace(",", "")


def _shown_form(e: sp.Expr) -> sp.Expr:
    """What was read, printable by the reader's printer: the activation as σ."""
    e = e.replace(lambda x: isinstance(x, sigma_prime),
                  lambda x: sp.Subs(sp.Derivative(logistic(PRIME_VARIABLE), PRIME_VARIABLE),
                                    PRIME_VARIABLE, x.args[0]))
    e = e.replace(lambda x: isinstance(x, sigma), lambda x: logistic(x.args[0]))
    return e.xreplace({_Y: sp.Symbol("y", real=True), _X: sp.Symbol("x", real=True)})


class InNetwork:
    """What ``proofread`` (notes and derivation files) calls for a step under a ``network``
    directive or line: :meth:`check` reads the options (``ValueError``, one line), calling it
    decides a step.  ``prove``: how a theorem a verdict relies on is proved (the CLI passes the
    proof cache's)."""

    def __init__(self, prove: Callable[[str], object] = _prove_fresh):
        self.prove = prove

    def check(self, options: str) -> str:
        return NetworkContext.parse(options).describe()

    def names_quantity(self, *sides) -> bool:
        """Whether a step (its sides as read) is about the network; a step that is not is plain
        algebra, decided without it."""
        exprs = []
        for x in sides:
            if isinstance(x, str):
                try:
                    x = read_claim(x, "0")[0]
                except ValueError:
                    return False
            exprs.append(x.expr if isinstance(x, Written) else x)
        return has_network_quantity(*exprs)

    def __call__(self, options: str, lhs, rhs, time_limit: float) -> Verdict:
        return verify_in_network(lhs, rhs, network=options, time_limit=time_limit, prove=self.prove)
