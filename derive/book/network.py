r"""Concrete networks for exact proofs: every weight and bias a symbol, the activation undefined.

:func:`concrete_network` builds the forward pass of the book's eq. (25),
:math:`z^l = w^l a^{l-1} + b^l,\; a^l = \sigma(z^l)`, for given layer widths, and the cost
:math:`C = \sum_j c(a^L_j, y_j)` of :data:`derive.book.costs.COSTS` (quadratic and cross-entropy on an
elementwise output :math:`\sigma`; log-likelihood on a softmax output
:math:`a^L_j = e^{z^L_j}/\sum_k e^{z^L_k}` with :math:`\sum_j y_j = 1` substituted).

The activation :class:`sigma` is *undefined*: SymPy knows nothing about it except that its
derivative is the (equally undefined) function :class:`sigma_prime`, so an identity proved here
holds for every differentiable activation.  (It is SymPy's own chain rule for an undefined
function: ``sp.Function("sigma")`` differentiates into ``Subs(Derivative(sigma(ξ), ξ), ξ, u)``,
which is :math:`\sigma'(u)` spelled slowly; theorem ``bp1`` checks that both give the same
gradients.)

Indexing follows the book: layer 1 is the input, ``weights[l]`` is :math:`w^l` (shape
:math:`n_l \times n_{l-1}`) for l = 2..L, and Python's 0-based ``j`` is the book's neuron j+1.

Exact comparison (:meth:`Network.vanishes`): every applied :math:`\sigma(u)`, :math:`\sigma'(u)`
and :math:`e^{u}` is replaced by a fresh symbol (the same symbol for the same u), which leaves a
rational function of independent symbols that ``expand`` decides.  For the softmax the
denominator :math:`S = \sum_k e^{z_k}` becomes a symbol too, and the relation
:math:`e^{z_n} = S - \sum_{k<n} e^{z_k}` (an invertible change of variables) is used on the
numerator.  Nothing is evaluated in floating point.
"""
from __future__ import annotations

from functools import cached_property, lru_cache
from typing import Callable, Iterable, Sequence

import sympy as sp
from sympy.polys.rings import ring

from ..core.outcome import PROVED, UNDECIDED, Outcome
from .activations import a as _a
from .costs import COSTS, LOG_LIKELIHOOD_DELTA, Cost, y as _y

__all__ = ["sigma", "sigma_prime", "sigma_second", "pretty_call", "UnaryFunction", "Network", "concrete_network", "vanishes",
           "concrete_method", "check_on_networks", "softmax_layer", "ARCHITECTURES"]

#: The architectures every concrete proof covers.
ARCHITECTURES: tuple[tuple[int, ...], ...] = ((2, 3, 2), (3, 4, 4, 2), (2, 2, 2, 2, 2))


class UnaryFunction(sp.Function):
    """A function of one argument whose (deep) free symbols are computed once: it is immutable,
    and differentiation asks for them at every level of a composed cost.  The base of the
    activations of the concrete networks (:class:`sigma`, :class:`sigma_prime`, and a user's
    activation, :mod:`derive.book.custom`)."""

    @property
    def free_symbols(self):
        # a copy: SymPy edits the set it is given (Sum.free_symbols removes its bound index from
        # its summand's set in place), and a shared set would then lose k for good
        try:
            return set(self._free)
        except AttributeError:
            self._free = frozenset(self.args[0].free_symbols)
            return set(self._free)


def pretty_call(printer, head: str, args) -> object:
    """``head(args…)`` for SymPy's pretty printer (the terminal): ``σ′(z)`` for a function whose
    class name the printer would spell out (``sigma_prime``)."""
    from sympy.printing.pretty.stringpict import prettyForm, stringPict
    func, inner = prettyForm(head), prettyForm(*printer._print_seq(args, delimiter=", ").parens())
    form = prettyForm(*stringPict.next(func, inner), binding=prettyForm.FUNC)
    form.prettyFunc, form.prettyArgs = func, inner  # what a power of it needs
    return form


class sigma_second(UnaryFunction):
    r""":math:`\sigma''`, the second derivative of the undefined activation :class:`sigma` (itself
    undefined): what the R-operator's backward pass (:mod:`derive.book.r_operator`) differentiates
    :math:`\sigma'` into."""

    def _latex(self, printer, exp=None):
        s = r"\sigma''\left(%s\right)" % printer._print(self.args[0])
        return s if exp is None else r"\left(%s\right)^{%s}" % (s, exp)

    def _pretty(self, printer):
        return pretty_call(printer, "σ″", self.args)


class sigma_prime(UnaryFunction):
    r""":math:`\sigma'`, the derivative of the undefined activation :class:`sigma` (itself undefined);
    its derivative is the equally undefined :class:`sigma_second`."""

    def fdiff(self, argindex=1):
        return sigma_second(self.args[0])

    def _eval_derivative(self, s):
        # the chain rule σ′(u)′ = σ″(u) u′, as :meth:`sigma._eval_derivative` does it
        du = self.args[0].diff(s)
        return sp.S.Zero if du == 0 else sigma_second(self.args[0]) * du

    def _latex(self, printer, exp=None):
        s = r"\sigma'\left(%s\right)" % printer._print(self.args[0])
        return s if exp is None else r"\left(%s\right)^{%s}" % (s, exp)

    def _pretty(self, printer):
        return pretty_call(printer, "σ′", self.args)


class sigma(UnaryFunction):
    r"""An activation about which nothing is known but its derivative's name:
    :math:`\frac{d}{du}\sigma(u) = \sigma'(u)` (:class:`sigma_prime`)."""

    def fdiff(self, argindex=1):
        return sigma_prime(self.args[0])

    def _eval_derivative(self, s):
        # the chain rule σ(u)′ = σ′(u) u′, without SymPy's `is_zero` query on u′ (slow on the
        # large u′ of a composed network; a structural 0 is enough to skip a term)
        # (the same σ(u) occurs many times in a composed cost: keep u′ per variable)
        try:
            cache = self._du
        except AttributeError:
            cache = self._du = {}
        if s not in cache:
            cache[s] = self.args[0].diff(s)
        du = cache[s]
        return sp.S.Zero if du == 0 else sigma_prime(self.args[0]) * du

    def _latex(self, printer, exp=None):
        s = r"\sigma\left(%s\right)" % printer._print(self.args[0])
        return s if exp is None else r"\sigma^{%s}\left(%s\right)" % (exp, printer._print(self.args[0]))


def _prime(f, u: sp.Expr) -> sp.Expr:
    """f′(u) in the form ``sympy.diff`` produces for the activation f."""
    if f is sigma:
        return sigma_prime(u)
    if hasattr(f, "prime_at"):  # a user's activation (derive.book.custom): its proved f′, evaluated
        return f.prime_at(u)
    xi = sp.Dummy("xi")
    return sp.Derivative(f(xi), xi).subs(xi, u)


def _layers(weights: dict, biases: dict, first: int, a_first: Sequence[sp.Expr], L: int, f):
    """Forward pass from layer ``first`` (activations given) to L, every layer elementwise:
    ``zs``, ``activations``."""
    zs, acts = {}, {first: tuple(a_first)}
    for l in range(first + 1, L + 1):
        W, b, prev = weights[l], biases[l], acts[l - 1]
        zs[l] = tuple(sp.Add(*[W[j, k] * prev[k] for k in range(W.cols)], b[j]) for j in range(W.rows))
        acts[l] = tuple(f(u) for u in zs[l])
    return zs, acts


def softmax_layer(zL: Sequence[sp.Expr]) -> tuple[sp.Expr, tuple]:
    r"""A softmax output layer, eq. (78): the denominator :math:`S = \sum_k e^{z_k}` and the
    outputs :math:`a_j = e^{z_j}/S` of the weighted inputs ``zL``."""
    S = sp.Add(*[sp.exp(u) for u in zL])
    return S, tuple(sp.exp(u) / S for u in zL)


@lru_cache(maxsize=None)
def _shared_forward(sizes: tuple, f):
    """Symbols and the elementwise forward pass of ``sizes``, built once per activation."""
    n, L = sizes, len(sizes)
    x = tuple(sp.Symbol(f"x_{{{k + 1}}}") for k in range(n[0]))
    weights = {l: sp.ImmutableMatrix(n[l - 1], n[l - 2],
                                     lambda j, k: sp.Symbol(f"w^{{{l}}}_{{{j + 1},{k + 1}}}"))
               for l in range(2, L + 1)}
    biases = {l: tuple(sp.Symbol(f"b^{{{l}}}_{{{j + 1}}}") for j in range(n[l - 1]))
              for l in range(2, L + 1)}
    zs, acts = _layers(weights, biases, 1, x, L, f)
    return x, weights, biases, zs, acts


@lru_cache(maxsize=None)
def _shared_tail(sizes: tuple, f, l: int):
    r""":math:`\zeta^l` symbols and the elementwise layers l+1..L above them (shared by the costs)."""
    _, weights, biases, _, _ = _shared_forward(sizes, f)
    zeta = tuple(sp.Symbol(f"zeta^{{{l}}}_{{{j + 1}}}") for j in range(sizes[l - 1]))
    zs, acts = _layers(weights, biases, l, tuple(f(u) for u in zeta), len(sizes), f)
    zs[l] = zeta
    return zeta, zs, acts


class _Leftover(Exception):
    pass


class Network:
    r"""A concrete network; build it with :func:`concrete_network`.

    Attributes (book indexing, layer 1 = input): ``sizes``; ``cost`` (a key of ``COSTS``);
    ``x``, ``y`` (tuples; for the log-likelihood ``y[-1]`` is :math:`1-\sum_{j<n} y_j`);
    ``weights[l]`` (Matrix :math:`n_l\times n_{l-1}`), ``biases[l]``, ``zs[l]``, ``activations[l]``
    (``activations[1] = x``); ``C``, the cost of one example; ``S``, the softmax denominator
    (None for an elementwise output); ``f``, the activation.
    """

    def __init__(self, sizes: Sequence[int], cost: "str | Cost", f=sigma):
        if isinstance(cost, Cost):  # a user-defined cost (derive.book.custom): its own term
            self.cost_def = cost
        elif cost in COSTS:
            self.cost_def = COSTS[cost]
        else:
            raise ValueError(f"concrete_network: unknown cost {cost!r}; use one of {sorted(COSTS)}")
        # a user's activation or cost brings functions of its own (log cosh, a Piecewise, ...):
        # :func:`vanishes` then takes every other applied function as an atom too
        self.generic = f is not sigma and not isinstance(f, sp.core.function.UndefinedFunction) \
            or isinstance(cost, Cost)
        cost = self.cost_def.name
        if len(sizes) < 2 or any(int(n) < 1 for n in sizes):
            raise ValueError(f"concrete_network: sizes {list(sizes)} must list at least two "
                             "positive layer widths (input first)")
        self.sizes, self.cost, self.f = tuple(int(n) for n in sizes), cost, f
        self.L = L = len(self.sizes)
        self.softmax = self.cost_def.output == "softmax"
        n = self.sizes
        ys = [sp.Symbol(f"y_{{{j + 1}}}") for j in range(n[-1])]
        if self.softmax:  # Σ_j y_j = 1: eliminate the last one
            ys[-1] = 1 - sp.Add(*ys[:-1])
        self.y = tuple(ys)
        # the layers below the output are the same objects for every cost (so is z^L), which
        # lets the three costs share the derivatives of the hidden layers
        self.x, self.weights, self.biases, zs, acts = _shared_forward(self.sizes, f)
        self.zs, self.activations, self.S = dict(zs), dict(acts), None
        if self.softmax:
            self.S, self.activations[L] = softmax_layer(zs[L])
        self.C = self.cost_of(self.activations[L])
        self._diffs: dict = {}

    # --- the cost and BP1 -------------------------------------------------------------------
    def cost_of(self, aL: Sequence[sp.Expr]) -> sp.Expr:
        """:math:`C = \\sum_j c(a^L_j, y_j)` with the cost's term from :data:`COSTS`."""
        term = self.cost_def.term
        return sp.Add(*[term.xreplace({_a: aj, _y: yj}) for aj, yj in zip(aL, self.y)])

    def prime(self, u: sp.Expr) -> sp.Expr:
        r""":math:`\sigma'(u)`."""
        return _prime(self.f, u)

    def dC_da(self, aL: Sequence[sp.Expr]) -> list:
        r""":math:`\partial C/\partial a^L_j` from the cost's term (for an elementwise output)."""
        dterm = sp.diff(self.cost_def.term, _a)
        return [dterm.xreplace({_a: aj, _y: yj}) for aj, yj in zip(aL, self.y)]

    def output_error(self, zL: Sequence[sp.Expr] | None = None) -> list:
        r""":math:`\delta^L`: BP1 :math:`\partial C/\partial a^L_j\,\sigma'(z^L_j)` for an elementwise
        output, eq. (81) :math:`a^L_j - y_j` (``costs.LOG_LIKELIHOOD_DELTA``) for the softmax."""
        zL = self.zs[self.L] if zL is None else zL
        if self.softmax:
            S = sp.Add(*[sp.exp(u) for u in zL])
            return [LOG_LIKELIHOOD_DELTA.xreplace({_a: sp.exp(u) / S, _y: yj})
                    for u, yj in zip(zL, self.y)]
        return [g * self.prime(u) for g, u in zip(self.dC_da([self.f(u) for u in zL]), zL)]

    @cached_property
    def deltas(self) -> dict:
        r""":math:`\delta^l` for l = 2..L: BP1 (or eq. 81) at L, then BP2
        :math:`\delta^l_j = \sigma'(z^l_j)\sum_k w^{l+1}_{kj}\delta^{l+1}_k`."""
        d = {self.L: tuple(self.output_error())}
        for l in range(self.L - 1, 1, -1):
            W = self.weights[l + 1]
            d[l] = tuple(sp.Add(*[W[k, j] * d[l + 1][k] for k in range(W.rows)]) * self.prime(u)
                         for j, u in enumerate(self.zs[l]))
        return d

    @property
    def parameters(self) -> list:
        """Every weight and bias, layer by layer."""
        out = []
        for l in range(2, self.L + 1):
            out += list(self.weights[l]) + list(self.biases[l])
        return out

    def backprop_gradient(self) -> dict:
        r"""BP3 :math:`\partial C/\partial b^l_j = \delta^l_j` and BP4
        :math:`\partial C/\partial w^l_{jk} = a^{l-1}_k\delta^l_j`, for every parameter."""
        g = {}
        for l in range(2, self.L + 1):
            W, d, prev = self.weights[l], self.deltas[l], self.activations[l - 1]
            for j in range(W.rows):
                g[self.biases[l][j]] = d[j]
                for k in range(W.cols):
                    g[W[j, k]] = prev[k] * d[j]
        return g

    def diff(self, p: sp.Symbol) -> sp.Expr:
        """``sympy.diff`` of the fully composed cost by the parameter ``p`` (cached)."""
        if p not in self._diffs:
            self._diffs[p] = sp.diff(self.C, p)
        return self._diffs[p]

    # --- the cost as a function of z^l ------------------------------------------------------
    def tail_gradient(self, l: int) -> tuple[tuple, list, dict]:
        r"""``(zeta, [diff(C_tail, ζ_j) for j], zs_tail)``: :math:`\partial C/\partial z^l_j` by
        ``sympy.diff`` of :meth:`tail` (cached)."""
        key = ("tail", l)
        if key not in self._diffs:
            zeta, Ct, zs = self.tail(l)
            self._diffs[key] = (zeta, [sp.diff(Ct, u) for u in zeta], zs)
        return self._diffs[key]

    def tail(self, l: int) -> tuple[tuple, sp.Expr, dict]:
        r"""The cost with :math:`z^l` replaced by free symbols :math:`\zeta^l_j`, so that
        :math:`\delta^l_j = \partial C/\partial z^l_j` is ``diff(C_tail, ζ_j)`` by definition.
        Returns ``(zeta, C_tail, zs_tail)``, ``zs_tail[l] = zeta``."""
        if not 2 <= l <= self.L:
            raise ValueError(f"Network.tail: layer {l} is not in 2..{self.L}")
        zeta, zs, acts = _shared_tail(self.sizes, self.f, l)
        zs, acts = dict(zs), dict(acts)
        if self.softmax:
            if l == self.L:
                acts[l] = softmax_layer(zeta)[1]
            acts[self.L] = softmax_layer(zs[self.L])[1]
        return zeta, self.cost_of(acts[self.L]), zs

    # --- exact comparison -------------------------------------------------------------------
    def vanishes(self, expr: sp.Expr) -> str | None:
        """:func:`vanishes` with this network's activation."""
        return vanishes(expr, self.f, self.generic)


def _atomize(expr: sp.Expr, table: dict, f, generic: bool = False) -> sp.Expr:
    """Every σ(u), σ′(u), σ″(u), e^u in ``expr`` replaced by a symbol (the same for the same u); with
    ``generic``, every other applied function too (the same symbol for the same application).
    Replacing equal subterms by one symbol is a substitution, so a 0 after it is a 0 before it."""
    memo: dict = {}

    def atom(kind: str, u: sp.Expr) -> sp.Symbol:
        key = (kind, u)
        if key not in table:
            table[key] = sp.Dummy(f"{kind}{len(table)}")
        return table[key]

    def walk(e: sp.Basic) -> sp.Basic:
        if e.is_Atom:
            return e
        r = memo.get(e)
        if r is not None:
            return r
        if e.func == f:
            r = atom("s", e.args[0])
        elif isinstance(e, sigma_prime):
            r = atom("d", e.args[0])
        elif isinstance(e, sigma_second):
            r = atom("dd", e.args[0])
        elif isinstance(e, sp.Subs) and isinstance(e.expr, sp.Derivative) \
                and e.expr.expr == f(e.variables[0]) and e.expr.variables == e.variables:
            r = atom("d", e.point[0])  # SymPy's σ′(u) for an undefined σ
        elif isinstance(e, sp.Derivative) and e.expr.func == f and e.variables == e.expr.args:
            r = atom("d", e.expr.args[0])
        elif isinstance(e, sp.exp):
            c, p = e.args[0].as_content_primitive()
            if p.could_extract_minus_sign():
                c, p = -c, -p
            # e^{c p} = (e^p)^c for integer c; otherwise the exponential is its own atom
            r = atom("e", p) ** c if c.is_Integer else atom("e", e.args[0])
        elif isinstance(e, (sp.Function, sp.Derivative, sp.Subs)):
            if not generic:
                raise _Leftover(str(e.func))
            r = atom("g", e)
        else:
            r = e.func(*[walk(x) for x in e.args])
        memo[e] = r
        return r

    return walk(expr)

def vanishes(expr: sp.Expr, f=sigma, generic: bool = False) -> str | None:
    r"""Decide ``expr == 0`` exactly (see the module docstring), σ being the activation ``f``;
    the method name, or None.  A ``None`` means "not shown", never "false".  ``generic``: see
    :func:`_atomize` (a user's activation or cost)."""
    table: dict = {}
    try:
        at = _atomize(expr, table, f, generic)
    except _Leftover:
        return None
    exps = {v for k, v in table.items() if k[0] == "e"}
    # a softmax denominator Σ_k e^{u_k} becomes one symbol S (the same S wherever it appears)
    dens = {s: sp.Dummy("S") for s in at.atoms(sp.Add)
            if len(s.args) > 1 and all(t in exps for t in s.args)}
    at = at.xreplace(dens)
    if _laurent_zero(at):
        return "atoms→symbols, expand"
    r = sp.expand(at)
    if r == 0:
        return "atoms→symbols, expand"
    if dens:
        # use S = Σ_k e_k: eliminate the last e_k (an invertible change of variables)
        num = sp.expand(sp.fraction(sp.together(r))[0])
        for s, S in dens.items():
            num = sp.expand(num.xreplace({s.args[-1]: S - sp.Add(*s.args[:-1])}))
        if num == 0:
            return "atoms→symbols, S = Σe, expand"
    return None


def concrete_method(architectures, methods: set) -> str:
    """The method string of a concrete-network obligation, from :func:`vanishes`' method names."""
    arch = ",".join("[" + ",".join(map(str, s)) + "]" for s in architectures)
    relation = any("S = Σe" in m for m in methods)
    how = "atoms→symbols (S = Σe), expand" if relation else "atoms→symbols, expand"
    return f"concrete diff {arch}, {how}"


def _laurent_zero(e: sp.Expr) -> bool:
    r"""True when ``e``, a rational expression in symbols, is 0 as a Laurent polynomial.

    Each :math:`b^{-n}` becomes :math:`t_b^n` with a new generator :math:`t_b`; the result is
    expanded in a sparse polynomial ring over QQ and every monomial :math:`s^a t_s^b` of a symbol s
    is reduced to :math:`s^{a-b}` (:math:`s\,t_s = 1`).  Zero after that is zero for the original
    expression (the substitution respects every relation used); False means "not shown"."""
    inv: dict = {}

    def walk(x: sp.Basic) -> sp.Basic:
        if x.is_Atom:
            return x
        if x.is_Pow and x.exp.is_Integer and x.exp < 0:
            b = walk(x.base)
            if b not in inv:
                inv[b] = sp.Dummy("t")
            return inv[b] ** (-x.exp)
        return x.func(*[walk(y) for y in x.args])

    poly = walk(e)
    gens = sorted(poly.free_symbols, key=sp.default_sort_key)
    if not gens:
        return poly == 0
    R, *_ = ring(gens, sp.QQ)
    try:
        f = R.from_expr(poly)
    except (ValueError, sp.PolificationFailed, sp.CoercionFailed):
        return False
    if not f:
        return True
    pairs = [(gens.index(b), gens.index(t)) for b, t in inv.items() if b in gens and t in gens]
    acc: dict = {}
    for mon, c in f.items():
        mon = list(mon)
        for u, v in pairs:
            d = mon[u] - mon[v]
            mon[u], mon[v] = max(d, 0), max(-d, 0)
        acc[tuple(mon)] = acc.get(tuple(mon), 0) + c
    return all(c == 0 for c in acc.values())


@lru_cache(maxsize=None)
def _cached(sizes: tuple, cost, f) -> Network:
    return Network(sizes, cost, f)


def concrete_network(sizes: Sequence[int], cost: "str | Cost" = "quadratic", f=sigma) -> Network:
    r"""The network with layer widths ``sizes`` (input first, as Nielsen's ``Network(sizes)``)
    and cost ``cost`` (a key of :data:`derive.book.costs.COSTS`, or a user's :class:`~derive.book.costs.Cost`),
    every parameter a symbol.

    ``f`` is the activation: by default the undefined :class:`sigma`; any one-argument SymPy
    function class works (``sp.Function("sigma")``, ``derive.book.activations.sigmoid``, ...).
    Networks are cached: the same arguments give the same object, so expressions are shared.
    """
    return _cached(tuple(int(n) for n in sizes), cost, f)


#: What a concrete check compares on one network: ``(label, by diff, by the formula)`` triples.
Pairs = Callable[[Network], Iterable[tuple[str, sp.Expr, sp.Expr]]]


def check_on_networks(pairs: Pairs, costs: Iterable, what: str,
                      architectures: Iterable[Sequence[int]] = ARCHITECTURES, f=sigma) -> Outcome:
    """Exact check of a formula against ``sympy.diff`` on concrete networks: on the network of
    every architecture with every cost of ``costs`` (keys of ``COSTS`` or ``Cost`` objects) and
    activation ``f``, each ``(label, lhs, rhs)`` of ``pairs(net)`` must satisfy lhs − rhs = 0
    (:meth:`Network.vanishes`).  Proved with the methods used (:func:`concrete_method`); else
    undecided at the first pair not shown equal, or whose lhs is 0: a derivative that vanished
    silently (except for a softmax of one output, which is ≡ 1, so its cost is ≡ 0)."""
    architectures = [tuple(sizes) for sizes in architectures]
    methods = set()
    for cost in costs:
        for sizes in architectures:
            net = concrete_network(sizes, cost, f)
            name = net.cost_def.name
            for label, lhs, rhs in pairs(net):
                if lhs == 0 and not (net.softmax and net.sizes[-1] == 1):
                    return Outcome(UNDECIDED, "concrete diff",
                                   detail=f"{what}: sympy.diff gave 0 for {label} on {list(sizes)} ({name})")
                mth = net.vanishes(lhs - rhs)
                if mth is None:
                    return Outcome(UNDECIDED, "concrete diff",
                                   detail=f"{what}: {label} on {list(sizes)} ({name}) not shown equal")
                methods.add(mth)
    return Outcome(PROVED, concrete_method(architectures, methods))
