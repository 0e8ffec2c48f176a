r"""What a reading *means* for deciding: the reader's unevaluated side → the expression verify decides.

:func:`derive.claims.reader.read` gives a side as written (``x/x`` a quotient, ``σ′(z)`` a
``Subs``, ``∂C₀/∂w`` a ``Derivative``).  :func:`meaning` turns it into a :class:`Meaning`:

* the **definitions** (``--let``) are substituted *inside each derivative before differentiating*
  (so :math:`\partial/\partial w\, \sigma(z)` with :math:`z = wx + b` goes through z: the chain rule),
  then everywhere;
* each **derivative** ``∂f/∂x`` and each **prime** ``f′(u)`` is taken, and where the differentiated
  expression is not smooth (the argument of ``|u|``, ``sgn u``, ``ReLU u``; the differences of the
  arguments of ``max``) a *kink* is recorded: SymPy's formula (``sign(x)`` for :math:`|x|'`) is not
  known to be the derivative there, so a claim that depends on it is not decided there.  The prime
  path records them as ``diff`` does (``Abs′(x)² = 1`` is undecided, not refuted at x = 0);
* a ReLU′ carries its value at 0 as the symbol ``RELU_PRIME_AT_0`` (set to 0 when deciding, the
  convention of theorem ``relu_prime``);
* a **bare symbol** differentiated to 0 is said: in :math:`\partial(C_0 + \tfrac{\lambda}{2n}w^2)/\partial w`,
  "C₀ does not depend on w here" (write ``C_0(w)`` for a function of w);
* **sums** with symbolic bounds are summed (:math:`\sum_{k=1}^n k = n(n+1)/2`), ``binomial`` and
  ``factorial`` stay SymPy's;
* the **domain** is read off the side *as written* (before SymPy folds ``\sqrt x\sqrt x`` to x):
  every power of a non-constant base with a negative or non-integer exponent, every logarithm and
  the calls of the partial functions of :mod:`derive.core.functions` must be real and defined;
* the network's **indexed quantities** (``a^L_j``) outside the network context are real numbers
  named as the book writes them (the counterexample shows ``a^L_j = 1/3``); a whole layer
  (``z^l``, ``(w^{l+1})^T``) needs the network context and is refused here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import sympy as sp
from sympy.core.function import AppliedUndef

from ..core import functions
from ..core.functions import kink_arguments, relu
from .parse import check_value, parse_claim, parse_let, relu_prime_marked, substitute_lets
from .quantities import Layer, gradient, is_unwritten_bound
from .reader import read
from .readback import shown
from .reading import PRIME_VARIABLE, ReadError, value

__all__ = ["Meaning", "meaning", "Written", "read_claim", "side_meaning", "let_meaning",
           "read_definition", "own_dummies", "mark_relu_prime", "independent_terms",
           "unknown_functions", "without_unknown_functions"]


@dataclass(frozen=True)
class Written:
    """One side of a claim as the reader read it (unevaluated); a SymPy expression given directly is
    not wrapped."""

    expr: sp.Expr
    memo: dict = field(default_factory=dict, compare=False, repr=False)  #: the reader's values of its parts


def read_claim(lhs, rhs=None) -> tuple[object, object, str]:
    """Read a claim: ``read_claim("LHS = RHS")`` (one equation) or ``read_claim(lhs, rhs)``; each
    side text (read by :func:`~derive.claims.reader.read`) or a SymPy expression (taken as given).
    Returns both sides (:class:`Written` for text) and what was read, in the book's notation
    (``read as: …``).  ``ValueError`` (one line, naming the side and ``line:column``) otherwise."""
    if rhs is None:
        if not isinstance(lhs, str):
            raise ValueError("give both sides, or one equation 'LHS = RHS' as text")
        reading = _read(lhs, "the claim")
        if reading.relations != ("=",):
            got = "no '='" if not reading.relations else f"'{' '.join(reading.relations)}'"
            raise ValueError(f"the claim: write one equation LHS = RHS (got {got}); a chain "
                             "A = B = C or a relation ≤ is checked by gradproof proofread")
        return (Written(reading.sides[0], reading.memo), Written(reading.sides[1], reading.memo),
                shown(reading))
    sides, texts = [], []
    for x, where in ((lhs, "lhs"), (rhs, "rhs")):
        if isinstance(x, Written):
            sides.append(x)
            texts.append(shown(x.expr))
            continue
        if isinstance(x, sp.Basic):
            sides.append(x)
            texts.append(shown(x) if isinstance(x, sp.Expr) else str(x))
            continue
        if not isinstance(x, str):
            raise ValueError(f"{where}: expected text or a SymPy expression, got {type(x).__name__}")
        reading = _read(x, where)
        if reading.relations:
            raise ValueError(f"{where}: expected one expression, got a relation "
                             f"('{reading.relations[0]}'); give the equation as one argument "
                             "'LHS = RHS', or each side alone")
        sides.append(Written(reading.sides[0], reading.memo))
        texts.append(shown(reading))
    return sides[0], sides[1], f"{texts[0]} = {texts[1]}"


def read_definition(text: str, where: str = "let", *, latex: bool | None = None) -> tuple[sp.Expr, Written]:
    """``"z = w x + b"`` (or ``z \\equiv …``) → the defined name (a symbol, or an indexed quantity
    ``z^l_j``) and its definition as read; ``ValueError`` (one line) for anything else."""
    try:
        reading = read(text, latex)
    except ReadError as exc:
        raise ValueError(f"{where} {exc}") from None
    name = reading.sides[0]
    if len(reading.relations) != 1 or reading.relations[0] not in ("=", "≡") \
            or not isinstance(name, (sp.Symbol, sp.Indexed)) or name.is_integer:
        raise ValueError(f"{where} {text!r}: write a definition as NAME = EXPRESSION, e.g. 'z = w x + b'")
    if name in value(reading.sides[1], reading.memo).free_symbols:
        raise ValueError(f"{where} {shown(name)} refers to itself")
    return name, Written(own_dummies(reading.sides[1]), {})


def own_dummies(e: sp.Expr) -> sp.Expr:
    r"""A definition's summation indices renamed (k → k′): substituted where k is a free index
    (∂z^l_j/∂w^l_jk with z^l_j = ∑_k w^l_jk a^{l−1}_k), its sum must not capture that k."""
    def rename(s: sp.Sum) -> sp.Sum:
        fresh = {lim[0]: sp.Symbol(lim[0].name + "′", **lim[0].assumptions0) for lim in s.limits}
        return sp.Sum(s.function.xreplace(fresh), *[(fresh[v], a, b) for v, a, b in s.limits])
    return e.replace(lambda x: isinstance(x, sp.Sum), rename)


def let_meaning(item, lets: Mapping[sp.Expr, sp.Expr], plain=parse_let):
    """One definition for :func:`derive.claims.verify.prepare`: a ``(name, Written)`` pair (the
    name a symbol or an indexed quantity; earlier definitions ``lets`` substituted in it), else
    what ``plain`` (:func:`derive.claims.parse.parse_let`) reads (text, or a name and a SymPy
    expression), else text in the book's notation read by the reader."""
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Written):
        name = item[0]
        if name in lets:
            raise ValueError(f"let {shown(name)} is defined twice")
        return name, meaning(item[1].expr, f"let {shown(name)}", lets, item[1].memo, named=False)
    try:
        return plain(item, lets)
    except ValueError as refused:
        if not isinstance(item, str):
            raise
        try:  # the book's notation: 'z = w x + b', 'z \\equiv wx + b'
            name, body = read_definition(item, "--let")
        except ValueError:
            raise refused from None
        return let_meaning((name, body), lets)


def _read(text: str, where: str):
    try:
        return read(text)
    except ReadError as exc:
        raise ValueError(f"{where} {exc}") from None


def side_meaning(side, where: str, lets: Mapping[sp.Symbol, sp.Expr] | None = None):
    """:func:`meaning` of a :class:`Written` side (or of text, read first); a SymPy expression given directly is taken as
    :func:`derive.claims.parse.parse_claim` takes it."""
    if isinstance(side, str):
        side = read_claim(side, "0")[0] if where != "rhs" else read_claim("0", side)[1]
    if isinstance(side, Written):
        return meaning(side.expr, where, lets, side.memo)
    return parse_claim(side, where, lets)


@dataclass
class Meaning:
    """A side ready to decide (the fields of :class:`derive.claims.parse.Parsed`, and ``notes``).

    ``expr``: derivatives and sums taken, definitions substituted; ``parts``: what must be real and
    defined; ``relu_prime``: a ReLU′ was taken; ``used``: the definitions referred to; ``kinks``:
    where a differentiated expression is not smooth; ``notes``: what the reader should know
    ("C₀ does not depend on w here")."""

    expr: sp.Expr
    parts: list = field(default_factory=list)
    relu_prime: bool = False
    used: set = field(default_factory=set)
    kinks: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    symbolic: str = ""  #: why only a symbolic proof can decide it (no values can be tried), if so


def meaning(side: sp.Expr, where: str, lets: Mapping[sp.Symbol, sp.Expr] | None = None,
            memo: dict | None = None, *, named: bool = True) -> Meaning:
    """The meaning of one side as written (``side`` from a :class:`~derive.claims.reading.Reading`,
    ``memo`` its values of parts, :attr:`~derive.claims.reading.Reading.memo`); ``ValueError`` naming
    ``where`` for what cannot be decided (a whole layer, a complex value).  ``named``: the indexed
    quantities become real numbers named as the book writes them (not for a definition, which is
    substituted into sides that may differentiate by them)."""
    lets = dict(lets or {})
    memo = {} if memo is None else memo
    out = Meaning(sp.S.Zero)
    out.parts, layers = _domain(side, memo)
    if layers:
        raise ValueError(f"{where}: '{shown(layers[0])}' is a whole layer (a vector or matrix); "
                         "its shape needs the book's network as context (verify --network, or a "
                         "network directive in notes), or write it with indices, as in δ^l_j")
    taken = _taken(value(side, memo), lets, out)
    out.used = taken.free_symbols & set(lets)
    expr = substitute_lets(taken, lets)
    names = _names_of_indexed(expr, *out.parts, *out.kinks) if named else {}
    out.expr = check_value(expr.xreplace(names), where, shown)
    if named and any(isinstance(q, sp.Indexed) for q in out.expr.atoms(sp.Indexed)):
        out.symbolic = (f"{where} has a sum over an indexed quantity ({shown(out.expr)}); values can "
                        "be tried only with the network's sizes (its context), so only an exact "
                        "reduction decides it")
    out.parts = [substitute_lets(p, lets).xreplace(names) for p in out.parts]
    out.kinks = [substitute_lets(k, lets).xreplace(names) for k in out.kinks]
    return out


# --- calculus ------------------------------------------------------------------------------------------

def _taken(e: sp.Expr, lets: Mapping, out: Meaning) -> sp.Expr:
    """Every derivative, prime and sum in ``e`` taken, innermost first (recording kinks and notes)."""
    if not e.args or not e.has(sp.Derivative, sp.Subs, sp.Sum):
        return e
    if isinstance(e, sp.Subs) and _is_prime(e):  # f′(u): f's derivative is a rule, u is taken
        return _prime(e, _taken(e.point[0], lets, out), out)
    args = [_taken(a, lets, out) if isinstance(a, sp.Expr) else a for a in e.args]
    if isinstance(e, sp.Derivative):
        return _derivative(args[0], e.variable_count, lets, out)
    e = e.func(*args)
    return e.doit(deep=False) if isinstance(e, sp.Sum) else e


def _is_prime(e: sp.Subs) -> bool:
    return (e.variables == (PRIME_VARIABLE,) and isinstance(e.expr, sp.Derivative)
            and e.expr.expr.args == (PRIME_VARIABLE,))


def _prime(e: sp.Subs, arg: sp.Expr, out: Meaning) -> sp.Expr:
    r""":math:`f^{(k)}(u)`: ``f``'s k-th derivative at u; the kinks of :math:`f(u)` are recorded
    (as for :math:`\mathrm{diff}(f(u), u)`) and the domain of f at u is needed."""
    f = e.expr.expr.func
    k = e.expr.derivative_count
    t = sp.Dummy("t", real=True)
    if f is not relu:  # ReLU′ at its kink is the convention ReLU′(0) (carried as a symbol), not unknown
        out.kinks.extend(kink_arguments(f(arg)))
    entry = functions.info(f)
    if entry is not None and entry.partial:
        out.parts.extend(entry.domain([arg]))
    return mark_relu_prime(f(t), sp.diff(f(t), t, k), out).xreplace({t: arg})


def _derivative(f: sp.Expr, spec, lets: Mapping, out: Meaning) -> sp.Expr:
    r""":math:`\partial f/\partial x`: the definitions of names other than the variables are substituted
    first (the chain rule goes through them); a bare symbol that then does not contain the variable
    is said ("C₀ does not depend on w here")."""
    variables = {v for v, _ in spec}
    f = substitute_lets(f, {k: v for k, v in lets.items() if k not in variables})
    for v in variables:
        out.notes.extend(f"{shown(s)} does not depend on {shown(v)} here (write {shown(s)}({shown(v)}) "
                         f"for a function of {shown(v)}"
                         + ("; in the book's network it does: verify --network" if s.name == "C" else "")
                         + ")" for s in independent_terms(f, v))
    out.kinks.extend(kink_arguments(f))
    df = sp.diff(f, *spec)  # ∂/∂w_k ∑_k′ w_k′ a_k′ = ∑_k′ δ_kk′ a_k′: summed where SymPy can
    if df.has(sp.Sum):
        df = _within_range(df.replace(lambda x: isinstance(x, sp.Sum), lambda s: s.doit()))
    return mark_relu_prime(f, df, out)


def _within_range(e: sp.Expr) -> sp.Expr:
    """A free index lies within the range of an unwritten sum over it (the book's convention: k runs
    over the layer's neurons, ∂z^l_j/∂w^l_jk = a^{l−1}_k): SymPy's conditions ``k ≤ …k`` (the sum's
    unwritten bound) and ``k ≥ 1`` on it hold."""
    def inside(r) -> bool:
        lo, hi = (r.lhs, r.rhs) if isinstance(r, (sp.LessThan, sp.StrictLessThan)) else (r.rhs, r.lhs)
        if not isinstance(r, (sp.LessThan, sp.GreaterThan)):
            return False
        return (is_unwritten_bound(hi) and isinstance(lo, sp.Symbol) and hi.name == "…" + lo.name) \
            or (lo == 1 and isinstance(hi, sp.Symbol) and hi.is_integer and hi.is_positive)
    return e.replace(lambda x: isinstance(x, sp.core.relational.Relational) and inside(x), lambda x: sp.true)


def independent_terms(f: sp.Expr, v: sp.Symbol) -> list[sp.Symbol]:
    """The bare symbols among the terms of ``f`` (up to a constant factor) that do not contain ``v``:
    ∂/∂v takes each of them to 0, which a reader who meant a function of v should be told."""
    found = []
    for term in sp.Add.make_args(f):
        _, rest = term.as_independent(*term.free_symbols, as_Add=False)
        if isinstance(rest, sp.Symbol) and rest != v and not rest.is_integer:
            found.append(rest)
    return list(dict.fromkeys(found))


def mark_relu_prime(f: sp.Expr, df: sp.Expr, out: Meaning) -> sp.Expr:
    """ReLU′'s value at the kink, H(u, 0), becomes H(u, ReLU'(0)) (set when deciding)."""
    df, marked = relu_prime_marked(f, df)
    out.relu_prime = out.relu_prime or marked
    return df


# --- the domain, read off the side as written ------------------------------------------------------------

def _domain(e: sp.Basic, memo: dict) -> tuple[list, list]:
    """What must be real and defined, from the unevaluated tree: ``1/x`` in ``x/x``, ``√x`` in
    ``√x·√x``, ``ln x``, ``tan x``; not inside a sum (its terms depend on the summation index) nor
    inside a prime's derivative (whose argument is the prime's variable).  Also the whole layers
    (``z^l``, ``∇_a C``) it holds."""
    found, layers = [], []
    stack = [e]
    while stack:
        node = stack.pop()
        if isinstance(node, (Layer, gradient)):
            layers.append(node)
            continue
        if isinstance(node, sp.Sum):
            stack.extend(lim for limits in node.limits for lim in limits[1:])
            continue
        if isinstance(node, sp.Subs) and _is_prime(node):
            entry = functions.info(node.expr.expr.func)
            if entry is not None and entry.partial:
                found.extend(entry.domain([value(node.point[0], memo)]))
            stack.extend(node.point)
            continue
        if isinstance(node, sp.Pow):
            base, expo = value(node.base, memo), value(node.exp, memo)
            if base.free_symbols and not (expo.is_Integer and expo >= 0):
                found.append(sp.Pow(base, expo, evaluate=False))
        entry = functions.info(node) if isinstance(node, sp.Function) else None
        if entry is not None and entry.partial:
            found.extend(entry.domain([value(a, memo) for a in node.args]))
        stack.extend(a for a in node.args if isinstance(a, sp.Basic))
    return list(dict.fromkeys(found)), layers


# --- names and checks ------------------------------------------------------------------------------------

def _names_of_indexed(*exprs: sp.Expr) -> dict:
    """Each indexed quantity (``a^L_j``) as a real number named as the book writes it; not one whose
    index a sum runs over (``a_k′`` in ∑_k′ a_k′: a different number for each k′)."""
    bound = {v for e in exprs for s in e.atoms(sp.Sum) for v in s.variables}
    return {q: _name(q) for e in exprs for q in e.atoms(sp.Indexed) if not (q.free_symbols & bound)}


def _name(q: sp.Indexed) -> sp.Symbol:
    """The symbol the reader makes of ``q`` as the book writes it (a_1 of ∑_{k=1}^3 a_k is the a_1
    typed, the name a1), else a real symbol with that text as its name (a^L_j)."""
    text = shown(q)
    try:
        again = read(text).sides[0]
    except ReadError:
        again = None
    return again if isinstance(again, sp.Symbol) else sp.Symbol(text, real=True)


# --- undefined functions ---------------------------------------------------------------------------

def unknown_functions(*exprs: sp.Expr) -> list[str]:
    """The undefined functions (``C₀(w)``) in ``exprs``, as the book writes them."""
    return sorted({shown(f.func(*f.args)) for e in exprs for f in e.atoms(AppliedUndef)})


def without_unknown_functions(e: sp.Expr) -> sp.Expr:
    r"""``e`` with every undefined function taken to be 0 (and its derivatives with it): a claim
    about *every* function C₀(w) that fails for C₀ = 0 is refuted."""
    e = e.replace(lambda x: isinstance(x, sp.Derivative) and x.expr.has(AppliedUndef),
                  lambda x: x.func(x.expr.replace(lambda f: isinstance(f, AppliedUndef), lambda f: sp.S.Zero),
                                   *x.variable_count).doit())
    return e.replace(lambda f: isinstance(f, AppliedUndef), lambda f: sp.S.Zero)
