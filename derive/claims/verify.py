r"""Decide a claim ``lhs = rhs`` typed as text: proved, refuted with exact values, or undecided.

>>> verify("tanh(z)", "2*sigma(2*z) - 1").status
'proved'
>>> v = verify("w*(1 - eta*lmbda/n)", "w - eta*lmbda/n*sgn(w)")
>>> v.status, v.counterexample, v.lhs_value, v.rhs_value
('refuted', {'eta': '1/3', 'lambda': '2/7', 'n': '3/5', 'w': '5/11'}, '265/693', '205/693')
>>> verify("diff(sigma(z), z)", "sigma(z)*(1 - sigma(z))").status
'proved'

What the verdicts mean.  *Proved*: lhs = rhs for **every real value of the symbols (within the
assumptions) at which both sides are defined** — every subexpression real and defined, so
``sqrt(x)*sqrt(x) = |x|`` is proved (both sides are defined only for x ≥ 0) and ``x/x = 1`` too
(x ≠ 0).  *Refuted*: exact rational values of the symbols at which every subexpression of both
sides is defined and real, the assumptions hold, and the two sides differ — certified by interval
arithmetic (:mod:`derive.core.certified`) and re-evaluated independently in mpmath at higher
precision before it is reported.  *Undecided*: anything else; never "probably".  A verdict is an
:class:`~derive.core.outcome.Outcome` (:class:`Verdict`).

Reading: both sides are read by the notation reader (:mod:`derive.claims.reader`: plain text,
Unicode, LaTeX), or one equation ``verify("LHS = RHS")``; what they mean for deciding (derivatives,
primes, sums taken; kinks; the domain as written) is :mod:`derive.claims.meaning`; the verdict's
``read_as`` says what was read, in the book's notation.  A SymPy expression given directly is taken
by :mod:`derive.claims.parse` (``parse(text, side)`` is re-exported here).  Definitions ``let=["z = w*x + b"]`` are substituted before deciding (a derivative in ``w`` goes
through ``z``); assumptions ``assume=["0 < a < 1", "w != 0", "n > 0", "n integer"]`` restrict the
domain of both the proof and the counterexample search.

Deciding.  The domain is read off the input: ``log(s)`` needs s > 0, ``sqrt(s)`` s ≥ 0, ``1/s``
s ≠ 0, for a symbol ``s``; with the assumptions this gives the symbols' signs, under which SymPy
may simplify (``sqrt(x)**2 → x`` for x ≥ 0).  Then ``lhs − rhs`` goes down a ladder of exact
reductions: structural, expand, cancel, the same after the targeted rewrite σ, tanh → exp (when
present); then a counterexample search (:func:`derive.core.prover.find_counterexample`: values in (0, 1)
first, then spread values, both sides of and exactly at every breakpoint of Abs/sign/Max/Min/ReLU/
Heaviside, then large magnitudes); then, only if that found nothing, the costly rungs:
ReLU/Max/Min/Abs/sign → Piecewise, and ``simplify`` on input of at most
:data:`~derive.core.prover.SIMPLIFY_MAX_OPS` operations.  A proof is cross-checked at a few
points, and does not decide a derivative where the differentiated expression has a kink; each
step runs under what is left of ``time_limit``; what is left is *undecided*.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import sympy as sp
from sympy.core.facts import InconsistentAssumptions

from ..core.deadline import MAX_TIME_LIMIT, Timeout, check_time_limit, deadline
from ..core.functions import relu, sigmoid
from ..core.outcome import PROVED, REFUTED, UNDECIDED, Outcome, Status
from ..core.prover import LADDER, SIMPLIFY_MAX_OPS, find_counterexample
from .meaning import let_meaning, read_claim, side_meaning, unknown_functions, without_unknown_functions
from .parse import (CONSTANTS, FUNCTIONS, MAX_CHARS, RELU_PRIME_AT_0, Parsed, deep_recursion, parse,
                    parse_assumption, parse_let, substitute_lets)

__all__ = ["Verdict", "verify", "verify_in", "parse", "FUNCTIONS", "CONSTANTS", "MAX_CHARS",
           "MAX_TIME_LIMIT", "Claim", "Context", "prepare", "claim_in"]

RELU_CONVENTION = "ReLU′(0) = 0 (the convention of theorem relu_prime)"


@dataclass(frozen=True, kw_only=True)
class Verdict(Outcome):
    """The decision on ``lhs = rhs``: an :class:`~derive.core.outcome.Outcome`.

    ``status``: proved, refuted or undecided; ``method``: the reduction that closed the claim
    ("expand", "rewrite σ→exp, cancel", ...), "counterexample", or the rungs tried;
    ``counterexample``: symbol name -> exact value (refuted only); ``lhs_value``/``rhs_value``:
    both sides there (exact when rational, else enough significant digits to show that they
    differ); ``difference``: lhs − rhs there; ``lhs``/``rhs``: the parsed sides; ``domain``: the
    values the verdict is about; ``note``: a convention the verdict depends on (ReLU′(0));
    ``detail``: one sentence for the reader; ``seconds``: the time the decision took.
    """

    lhs: str
    rhs: str
    read_as: str = ""  #: what was read, in the book's notation (shown before the verdict)
    lhs_value: str | None = None
    rhs_value: str | None = None
    domain: str = ""
    difference: str | None = None
    note: str = ""

    def as_dict(self) -> dict:
        return {"status": self.status, "method": self.method, "read_as": self.read_as,
                "lhs": self.lhs, "rhs": self.rhs,
                "counterexample": self.counterexample, "lhs_value": self.lhs_value,
                "rhs_value": self.rhs_value, "difference": self.difference, "domain": self.domain,
                "note": self.note, "detail": self.detail, "seconds": round(self.seconds, 4)}


# --- the claim and its domain --------------------------------------------------------------------

@dataclass
class Claim:
    """A parsed claim, ready to decide: both sides, the parts that must be defined, the
    assumptions (relations) and the symbols with the signs they have on the domain."""

    left: sp.Expr
    right: sp.Expr
    parts: list
    constraints: list
    domain: str
    relu_prime: bool
    empty: str = ""  # why the domain is empty, if it is
    shown: tuple = ("", "")  #: both sides as parsed, before the domain's signs were applied
    kinks: tuple = ()  #: where a differentiated expression is not smooth (each vanishes there)
    notes: tuple = ()  #: what the reader should know ("C₀ does not depend on w here")
    symbolic: str = ""  #: why no values can be tried (only an exact reduction decides), if so

    def at_relu_kink(self, value) -> "Claim":
        """The claim with ReLU′(0) = ``value`` (parsed derivatives of ReLU carry it as a symbol)."""
        sub = {RELU_PRIME_AT_0: sp.sympify(value)}
        return Claim(self.left.xreplace(sub), self.right.xreplace(sub),
                     [p.xreplace(sub) for p in self.parts], self.constraints, self.domain,
                     self.relu_prime, self.empty,
                     tuple(t.xreplace(sub) if isinstance(t, sp.Basic) else t for t in self.shown),
                     self.kinks, self.notes, self.symbolic)


def _symbol_facts(constraints: Sequence[sp.Basic], parts: Sequence[sp.Expr]) -> dict[str, dict]:
    """Sign/integer facts that hold on the whole domain, per symbol name."""
    facts: dict[str, dict] = {}

    def put(s, **kw):
        facts.setdefault(s.name, {}).update(kw)

    for c in constraints:
        if isinstance(c, sp.Eq) and isinstance(c.lhs, sp.floor) and c.lhs.args[0] == c.rhs \
                and c.rhs.is_Symbol:
            put(c.rhs, integer=True)
            continue
        if not isinstance(c, sp.core.relational.Relational):
            continue
        lhs, rhs, op = c.lhs, c.rhs, c.rel_op
        if rhs.is_Symbol and lhs.is_number:  # 0 < a  ->  a > 0
            lhs, rhs = rhs, lhs
            op = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "!=": "!=", "==": "=="}[op]
        if not (lhs.is_Symbol and rhs.is_number and rhs.is_real):
            continue
        v = rhs
        if (op == ">" and v >= 0) or (op == ">=" and v > 0):
            put(lhs, positive=True)
        elif op == ">=" and v == 0:
            put(lhs, nonnegative=True)
        elif (op == "<" and v <= 0) or (op == "<=" and v < 0):
            put(lhs, negative=True)
        elif op == "<=" and v == 0:
            put(lhs, nonpositive=True)
        elif op == "!=" and v == 0:
            put(lhs, nonzero=True)
    for p in parts:
        if isinstance(p, sp.log) and p.args[0].is_Symbol:
            put(p.args[0], positive=True)
        elif isinstance(p, sp.Pow) and p.base.is_Symbol:
            e = p.exp
            if e.is_Rational and not e.is_Integer:
                put(p.base, **({"positive": True} if e < 0 else {"nonnegative": True}))
            elif e.is_Integer and e < 0:
                put(p.base, nonzero=True)
    for f in facts.values():  # x ≥ 0 and x ≠ 0: x > 0
        if f.get("nonnegative") and f.get("nonzero"):
            f.pop("nonnegative"), f.pop("nonzero")
            f["positive"] = True
        if f.get("nonpositive") and f.get("nonzero"):
            f.pop("nonpositive"), f.pop("nonzero")
            f["negative"] = True
    return facts


def _describe_domain(symbols: Sequence[sp.Symbol], assumed: Sequence[str]) -> str:
    names = ", ".join(str(s) for s in symbols)
    if not symbols:
        return "a claim about numbers (no symbols)"
    where = f" with {'; '.join(assumed)}" if assumed else ""
    return f"all real {names}{where}, wherever both sides are defined"


class Context:
    """Definitions and assumptions, each read once: a claim's, or those of a whole derivation
    (:mod:`derive.claims.proofread` decides every step in one).  ``ValueError`` on bad input."""

    def __init__(self, let: Sequence | Mapping = (), assume: Sequence | str | sp.Basic = ()):
        self.lets: dict[sp.Symbol, sp.Expr] = {}
        self.let_parts: dict[sp.Symbol, Parsed] = {}
        self.constraints: list = []
        self.assumed: list[str] = []
        self._signed: dict = {}
        for item in (list(let.items()) if isinstance(let, Mapping) else list(let)):
            self.define(item)
        for a in ([assume] if isinstance(assume, (str, sp.Basic)) else list(assume)):
            self.assume(a)

    def define(self, item) -> None:
        """Add one definition (``"z = w*x + b"`` or a pair); earlier ones may be used in it."""
        sym, parsed = let_meaning(item, self.lets, parse_let)
        self.lets[sym] = parsed.expr
        self.let_parts[sym] = parsed

    def assume(self, a) -> None:
        """Add one assumption (``"0 < a < 1"``), read with the definitions made so far."""
        self.constraints += parse_assumption(a, self.lets)
        self.assumed.append(str(a))

    def signed(self, c: sp.Basic, swap: Mapping) -> sp.Basic:
        """The assumption ``c`` with its symbols replaced by the signed ones in ``swap``,
        remembered: every step of a derivation usually swaps the same symbols, and SymPy takes
        milliseconds to re-evaluate each relation."""
        key = (c, tuple(sorted(((s, swap[s]) for s in c.free_symbols if s in swap), key=str)))
        if key not in self._signed:
            self._signed[key] = c.xreplace(dict(key[1]))
        return self._signed[key]

    def used(self, names: set) -> set:
        """``names`` and every definition they use, transitively."""
        seen, todo = set(names), list(names)
        while todo:
            s = todo.pop()
            for t in self.let_parts[s].used if s in self.let_parts else ():
                if t not in seen:
                    seen.add(t)
                    todo.append(t)
        return seen


def prepare(lhs, rhs, let: Sequence = (), assume: Sequence = ()) -> Claim:
    """Parse a claim with its definitions and assumptions (``ValueError`` on bad input)."""
    context = Context(let)
    sides = side_meaning(lhs, "lhs", context.lets), side_meaning(rhs, "rhs", context.lets)
    for a in ([assume] if isinstance(assume, (str, sp.Basic)) else list(assume)):
        context.assume(a)
    return claim_in(context, *sides)


def claim_in(context: Context, L: Parsed, R: Parsed) -> Claim:
    """The claim ``L = R`` (both sides parsed with ``context.lets``) under ``context``."""
    lets, let_parts = context.lets, context.let_parts
    used = context.used(set().union(L.used, R.used))
    parts = list(dict.fromkeys([*L.parts, *R.parts,
                                *(substitute_lets(p, lets) for s in used if s in let_parts
                                  for p in let_parts[s].parts)]))
    relu_prime = L.relu_prime or R.relu_prime or any(let_parts[s].relu_prime for s in used
                                                     if s in let_parts)
    kinks = list(dict.fromkeys([*L.kinks, *R.kinks,
                                *(substitute_lets(k, lets) for s in used if s in let_parts
                                  for k in let_parts[s].kinks)]))
    constraints, assumed = list(context.constraints), context.assumed
    left, right = L.expr, R.expr
    shown = (left, right)
    symbols = sorted((left.free_symbols | right.free_symbols
                      | set().union(*(p.free_symbols for p in parts))) - {RELU_PRIME_AT_0}, key=str)
    facts = _symbol_facts(constraints, parts)
    empty = ""
    swap = {}
    for s in set(symbols) | set().union(*(c.free_symbols for c in constraints)):
        if not isinstance(s, sp.Symbol) or s.name not in facts:
            continue
        try:
            swap[s] = sp.Symbol(s.name, real=True, **facts[s.name])
        except InconsistentAssumptions:
            empty = f"no real value of {s.name} satisfies the assumptions and makes both sides defined"
    if swap:
        left, right = left.xreplace(swap), right.xreplace(swap)
        parts = [p.xreplace(swap) for p in parts]
        kinks = [k.xreplace(swap) for k in kinks]
        constraints = [context.signed(c, swap) for c in constraints]
        if any(c is sp.false or c == False for c in constraints):  # noqa: E712
            empty = "the assumptions contradict each other"
        constraints = [c for c in constraints if not (c is sp.true or c == True)]  # noqa: E712
    kinks = [k for k in kinks if not k.is_nonzero]  # a kink the assumptions exclude (w != 0) is none
    notes = tuple(dict.fromkeys([*getattr(L, "notes", ()), *getattr(R, "notes", ())]))
    symbolic = getattr(L, "symbolic", "") or getattr(R, "symbolic", "")
    return Claim(left, right, parts, constraints, _describe_domain(symbols, assumed), relu_prime,
                 empty, shown, tuple(kinks), notes, symbolic)


# --- deciding ----------------------------------------------------------------------------------

def _to_exp(e: sp.Expr) -> sp.Expr:
    return e.replace(lambda x: isinstance(x, (sigmoid, sp.tanh, sp.sinh, sp.cosh)),
                     lambda x: x.rewrite(sp.exp))


def _to_piecewise(e: sp.Expr) -> sp.Expr:
    e = e.replace(lambda x: isinstance(x, relu), lambda x: sp.Max(0, x.args[0]))
    return sp.piecewise_fold(e.rewrite(sp.Piecewise))


def _names(e: sp.Expr, kinds: dict) -> str:
    found = [name for cls, name in kinds.items() if e.has(cls)]
    return ", ".join(found)


def _lazy(f: Callable[[], sp.Expr]) -> Callable[[], sp.Expr]:
    """``f()`` computed once, when first needed (inside a rung's time limit, never before)."""
    cache: list = []

    def get() -> sp.Expr:
        if not cache:
            cache.append(f())
        return cache[0]
    return get


def _cheap_rungs(d: sp.Expr) -> list[tuple[str, Callable[[], sp.Expr]]]:
    rungs = [(m, (lambda m=m: LADDER[m](d))) for m in ("structural", "expand", "cancel")]
    exp_names = _names(d, {sigmoid: "σ", sp.tanh: "tanh", sp.sinh: "sinh", sp.cosh: "cosh"})
    if exp_names:
        rewritten = _lazy(lambda: _to_exp(d))
        rungs += [(f"rewrite {exp_names}→exp, {m}", (lambda m=m: LADDER[m](rewritten())))
                  for m in ("expand", "cancel")]
    if d.has(sp.factorial, sp.binomial, sp.gamma):  # counting: n!/(n-1)! = n, C(n-1, m-1)/C(n, m) = m/n
        rungs.append(("gammasimp, cancel", lambda: sp.cancel(sp.gammasimp(d))))
    return rungs


class _TooLarge(ValueError):
    """The expression is too large for ``simplify`` (a rung that does not apply)."""


def _costly_rungs(d: sp.Expr) -> list[tuple[str, Callable[[], sp.Expr]]]:
    rungs = []
    pw_names = _names(d, {relu: "ReLU", sp.Max: "Max", sp.Min: "Min", sp.Abs: "Abs",
                          sp.sign: "sign", sp.Heaviside: "Heaviside"})

    def small(e: Callable[[], sp.Expr]) -> sp.Expr:
        if sp.count_ops(e()) > SIMPLIFY_MAX_OPS:
            raise _TooLarge
        return e()

    if pw_names:
        rungs.append((f"rewrite {pw_names}→Piecewise, simplify",
                      lambda: sp.simplify(_to_piecewise(_to_exp(small(lambda: d))))))
    rungs.append(("simplify", lambda: sp.simplify(small(lambda: d))))
    if d.has(sigmoid, sp.tanh, sp.sinh, sp.cosh):
        rungs.append(("rewrite →exp, simplify", lambda: sp.simplify(_to_exp(small(lambda: d)))))
    return rungs


def _piecewise_zero(p: sp.Expr) -> bool:
    """A Piecewise in one real symbol whose every piece is 0 where that piece applies (each
    condition, minus the earlier ones, as a set of reals; a piece applying at finitely many
    points is checked at each of them)."""
    if not isinstance(p, sp.Piecewise) or len(p.free_symbols) != 1:
        return False
    (s,) = p.free_symbols
    if not s.is_real:
        return False
    taken = sp.S.EmptySet
    for e, c in p.args:
        where = (sp.S.Reals if c is sp.true else c.as_set()) - taken
        taken = taken | where
        if e == 0 or where is sp.S.EmptySet:
            continue
        if isinstance(where, sp.FiniteSet) and all(e.subs(s, v) == 0 for v in where):
            continue
        return False
    return True


def _bound_points(claim: Claim) -> list[dict]:
    """Points near the bounds of the assumptions (``0 < a < 1``: a = 1/7, 1/1000, 6/7, 999/1000)."""
    symbols = sorted(claim.left.free_symbols | claim.right.free_symbols, key=str)
    if not claim.constraints or not symbols:
        return []
    by_name = {s.name: s for s in symbols}
    lo: dict[str, sp.Rational] = {}
    hi: dict[str, sp.Rational] = {}
    for c in claim.constraints:
        if not isinstance(c, sp.core.relational.Relational) or isinstance(c, (sp.Eq, sp.Ne)):
            continue
        for s, v, upper in ((c.lhs, c.rhs, c.rel_op in ("<", "<=")), (c.rhs, c.lhs, c.rel_op in (">", ">="))):
            if s.is_Symbol and v.is_Rational and s.name in by_name:
                (hi if upper else lo)[s.name] = v
    base = {s: sp.Rational(1, 3 + i) for i, s in enumerate(symbols)}
    for name in set(lo) | set(hi):
        a, b = lo.get(name), hi.get(name)
        if a is not None and b is not None:
            vals = [a + (b - a) * t for t in (sp.Rational(1, 3), sp.Rational(2, 7), sp.Rational(1, 1000),
                                              sp.Rational(999, 1000), sp.Rational(6, 7))]
        elif a is not None:
            vals = [a + t for t in (sp.Rational(1, 3), sp.Rational(1, 1000), 2, 10, 1000)]
        else:
            vals = [b - t for t in (sp.Rational(1, 3), sp.Rational(1, 1000), 2, 10, 1000)]
        base[by_name[name]] = vals[0]
    out = [dict(base)]
    for name in set(lo) | set(hi):
        a, b = lo.get(name), hi.get(name)
        s = by_name[name]
        for v in ([a + (b - a) * t for t in (sp.Rational(1, 1000), sp.Rational(999, 1000), sp.Rational(5, 7))]
                  if a is not None and b is not None else
                  [a + t for t in (sp.Rational(1, 1000), 2, 10, 1000)] if a is not None else
                  [b - t for t in (sp.Rational(1, 1000), 2, 10, 1000)]):
            out.append({**base, s: v})
    return out


def verify(lhs, rhs=None, *, time_limit: float = 30.0, let: Sequence = (), assume: Sequence = ()) -> Verdict:
    """Decide ``lhs = rhs`` for real values of every symbol (see the module docstring).

    ``lhs``/``rhs``: text or SymPy expressions.  ``let``: definitions ``"z = w*x + b"`` (or
    ``(name, expression)`` pairs, or a mapping), substituted in order.  ``assume``: relations
    ``"0 < a < 1"``, ``"w != 0"``, ``"n integer"``.  ``ValueError`` (one line, naming the side)
    on bad input, including a ``time_limit`` that is not a positive number of seconds up to
    :data:`MAX_TIME_LIMIT`.  ``time_limit`` bounds the whole decision, parsing included
    (enforced on the main thread on POSIX systems): when it runs out, even while the claim is
    read, the verdict is *undecided*, saying so and how long it took.
    """
    shown_as: list[str] = []

    def read() -> Claim:
        left, right, read_as = read_claim(lhs, rhs)
        shown_as.append(read_as)
        return prepare(left, right, let, assume)
    v = _verify(read, lhs, rhs, time_limit)
    return dataclasses.replace(v, read_as=shown_as[0]) if shown_as else v


def verify_in(context: Context, lhs, rhs, *, time_limit: float = 30.0) -> Verdict:
    """:func:`verify` under definitions and assumptions read once (a :class:`Context`), as
    proofread decides each step of a derivation."""
    shown_as: list[str] = []

    def read() -> Claim:
        left, right, read_as = read_claim(lhs, rhs)
        shown_as.append(read_as)
        return claim_in(context, side_meaning(left, "lhs", context.lets),
                        side_meaning(right, "rhs", context.lets))
    v = _verify(read, lhs, rhs, time_limit)
    return dataclasses.replace(v, read_as=shown_as[0]) if shown_as else v


def _verify(read: Callable[[], Claim], lhs, rhs, time_limit: float) -> Verdict:
    time_limit = check_time_limit(time_limit)
    t0 = time.perf_counter()
    with deep_recursion():
        try:
            with deadline(time_limit):
                claim = read()
        except Timeout:
            spent = time.perf_counter() - t0
            return Verdict(status=UNDECIDED, method="none", lhs=str(lhs), rhs=str(rhs),
                           detail=f"the time limit ({time_limit:g} s) ran out while the claim "
                                  f"was read, after {spent:.3g} s; give a longer time limit",
                           seconds=spent)
        except RecursionError:
            raise ValueError("the claim is nested too deeply to handle; split it with --let "
                             "definitions") from None
        v = _decide(claim.at_relu_kink(0), t0, time_limit)
        if claim.relu_prime and v.status != UNDECIDED:
            v = _with_relu_note(claim, v, t0, time_limit)
        if v.status == UNDECIDED and unknown_functions(claim.left, claim.right):
            v = _for_every_function(claim, v, t0, time_limit)
    note = "; ".join([*claim.notes, *([v.note] if v.note else [])])
    return dataclasses.replace(v, note=note)


def _decide(claim: Claim, t0: float, time_limit: float) -> Verdict:
    left, right = claim.left, claim.right
    shown = dict(lhs=str(claim.shown[0] or left), rhs=str(claim.shown[1] or right), domain=claim.domain)

    def remaining(share: float = 1.0) -> float:
        return max(time_limit * share - (time.perf_counter() - t0), 0.0)

    def done(status: Status, method: str, **kw) -> Verdict:
        return Verdict(status=status, method=method, **shown, **kw, seconds=time.perf_counter() - t0)

    if claim.empty:
        return done(UNDECIDED, "domain", detail=f"{claim.empty}: there is nothing to decide")
    # At a kink of a differentiated expression the derivative may not exist, or may exist and
    # differ from SymPy's formula (sign(0) = 0 for d|x|/dx, H(0) = 1/2 for d max(x, 0)/dx): no
    # counterexample is taken there, and lhs − rhs → 0 proves nothing about those points.
    away_from_kinks = [*claim.constraints, *(sp.Ne(k, 0) for k in claim.kinks)]
    d = left - right
    tried: list[str] = []
    timed_out: list[str] = []

    def climb(rungs, share: float) -> str | None:
        for name, reduce in rungs:
            tried.append(name)
            try:
                with deadline(remaining(share)):
                    r = reduce()
                    if r == 0 or _piecewise_zero(r):
                        return name
            except Timeout:
                timed_out.append(name)
            except (ArithmeticError, ValueError, TypeError, NotImplementedError,
                    AttributeError, RecursionError, sp.PolynomialError):
                pass  # this rung cannot handle the expression; the next may
        return None

    def search(trials: int, share: float, stats: dict, extra=(), full=True):
        try:
            with deadline(remaining(share)):
                return find_counterexample(left, right, trials=trials, points=list(extra),
                                           stats=stats, parts=claim.parts,
                                           constraints=away_from_kinks, search=full)
        except Timeout:
            timed_out.append("counterexample search")
            return None
        except RecursionError:
            timed_out.append("counterexample search (nested too deeply)")
            return None

    def proved(proof: str) -> Verdict:
        # cross-check: a proof must agree with a certified evaluation at a few points
        ce = search(6, 1.0, {}, full=False)
        if ce is not None:
            point, lv, rv = ce
            return done(UNDECIDED, proof, detail=f"{proof} reduced lhs − rhs to 0, but the sides "
                        f"differ {point.describe(lv, rv)} (a bug; please report it)")
        if claim.kinks:
            where = ", ".join(f"{k} = 0" for k in claim.kinks)
            return done(UNDECIDED, proof, detail=f"{proof} reduced lhs − rhs to 0 wherever the "
                        f"differentiated expression is smooth; at {where} its derivative may not "
                        "exist or may differ from the formula, and gradproof does not decide that")
        return done(PROVED, proof, detail=_proved_detail(proof, claim.domain))

    def refuted(ce, stats) -> Verdict:
        point, lv, rv = ce
        diff = stats.get("difference")
        return done(REFUTED, "counterexample", counterexample=point, lhs_value=lv, rhs_value=rv,
                    difference=diff, detail=point.describe(lv, rv, diff))

    if left == right:
        return proved("structural")
    if claim.symbolic:  # no point can be evaluated: the exact rungs alone
        proof = climb(_cheap_rungs(d), 1.0)
        if proof and not claim.kinks:
            return done(PROVED, proof, detail=_proved_detail(proof, claim.domain))
        return done(UNDECIDED, "/".join(tried), detail=claim.symbolic)
    stats: dict = {}
    ce = search(8, 0.15, stats, _bound_points(claim), full=False)  # a slip is usually plain to see
    if ce is not None:
        return refuted(ce, stats)
    proof = climb(_cheap_rungs(d), 0.45)
    if proof:
        return proved(proof)

    ce = search(32, 0.75, stats, _bound_points(claim))
    if ce is not None:
        return refuted(ce, stats)

    proof = climb(_costly_rungs(d), 1.0)
    if proof:
        return proved(proof)
    why = (f"{', '.join(tried)} did not reduce lhs − rhs to 0, and no counterexample was found at "
           f"{stats.get('tried', 0)} points where both sides are real"
           + (f" ({stats['skipped']} points skipped: a side undefined or not real there)"
              if stats.get("skipped") else ""))
    if claim.kinks:
        why += ("; no values were tried where " + ", ".join(f"{k} = 0" for k in claim.kinks)
                + " (a kink of a differentiated expression)")
    if timed_out:
        why += (f"; the time limit ({time_limit:g} s) ran out in: {', '.join(dict.fromkeys(timed_out))}"
                f" ({time.perf_counter() - t0:.3g} s spent)")
    return done(UNDECIDED, "/".join(tried), detail=why)


def _for_every_function(claim: Claim, v: Verdict, t0: float, time_limit: float) -> Verdict:
    """A claim about every function C₀(w) is refuted when it fails for C₀ = 0."""
    names = unknown_functions(claim.left, claim.right)
    zero = dataclasses.replace(claim, left=without_unknown_functions(claim.left),
                               right=without_unknown_functions(claim.right),
                               parts=[without_unknown_functions(p) for p in claim.parts])
    w = _decide(zero.at_relu_kink(0), t0, time_limit)
    if w.status != REFUTED:
        return v
    return dataclasses.replace(w, detail=f"taking {', '.join(names)} = 0 (the claim is about every such "
                                         f"function): {w.detail}")


def _with_relu_note(claim: Claim, v: Verdict, t0: float, time_limit: float) -> Verdict:
    """Decide again with ReLU′(0) = 1/2 and 1: say whether the verdict depends on the convention."""
    others = {h: _decide(claim.at_relu_kink(h), t0, time_limit).status
              for h in (sp.S.Half, sp.S.One)}
    changed = {h: st for h, st in others.items() if st != v.status}
    if changed:
        alt = "; ".join(f"with ReLU′(0) = {h} it would be {st}" for h, st in changed.items())
        note = f"depends on {RELU_CONVENTION}: {alt}"
    else:
        note = f"uses {RELU_CONVENTION}; the verdict is the same with ReLU′(0) = 1/2 or 1"
    return dataclasses.replace(v, note=note, detail=f"{v.detail}; {note}")


def _proved_detail(method: str, domain: str) -> str:
    return (f"lhs − rhs reduces exactly to 0 by {method}; this holds for {domain}")
