r"""Decide a claim ``lhs = rhs`` typed as text: proved, refuted with exact values, or undecided.

>>> verify("tanh(z)", "2*sigma(2*z) - 1").status
'proved'
>>> v = verify("w*(1 - eta*lmbda/n)", "w - eta*lmbda/n*sgn(w)")
>>> v.status, v.counterexample, v.lhs_value, v.rhs_value
('refuted', {'eta': '1/3', 'lambda': '2/7', 'n': '3/5', 'w': '5/11'}, '265/693', '205/693')

Parsing.  SymPy syntax (``**`` or ``^`` for powers).  Known functions: ``sigma``/``sigmoid``
(:class:`derive.activations.sigmoid`), ``relu``, ``tanh``, ``exp``, ``log``/``ln``,
``sign``/``sgn``, ``Abs``/``abs``, ``sqrt``, ``Max``, ``Min``, ``softplus`` (ln(1 + eᶻ)),
``Heaviside``, ``sin``, ``cos``, ``sinh``, ``cosh``; constants ``pi`` and ``E``.  Every other name
(``eta``, ``lmbda``, ``n``, ``dC0dw``, ...) is a *real* symbol; a Greek letter may be typed
or spelled (``η`` = ``eta``; ``λ`` = ``lambda`` = ``lmbda``, the book's spelling).  Decimals are read as
exact rationals (0.1 = 1/10).  The text is tokenized by :func:`sympy.parsing.sympy_parser.stringify_expr`
with explicit (empty) dictionaries and the result is *not* handed to ``eval``: a small evaluator
walks its syntax tree and accepts only numbers, symbols, + − × ÷ ^ and calls of the known
functions, so no Python code runs, and a power too large to compute (``10**10**10``) is rejected
before it is computed.

Deciding.  ``lhs − rhs`` goes down a ladder of exact reductions: structural, expand, cancel, the
same after the targeted rewrite σ, tanh → exp (when present); then a counterexample search at
exact rational points (all values in (0, 1) first, points where a side is undefined or not real
are skipped; difference certified at 60 digits, see :mod:`derive.prover`); then, only if that found
nothing, the costly rungs: ReLU/Max/Min/Abs/sign → Piecewise, and ``simplify`` on small input.
Every stage runs under a time limit; what is left is *undecided*.  A proof is for real values of
the symbols wherever both sides are defined (``cancel`` proves x/x = 1).
"""
from __future__ import annotations

import ast
import contextlib
import signal
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Callable, Iterator

import sympy as sp
from sympy.parsing import sympy_parser as _sp_parser

from .activations import relu, sigmoid
from .prover import LADDER, PROVED, REFUTED, UNDECIDED, find_counterexample

__all__ = ["Verdict", "verify", "parse", "FUNCTIONS", "CONSTANTS", "MAX_CHARS"]

MAX_CHARS = 2000  #: longest accepted side, in characters
_MAX_EXP_SYMBOLIC = 1000  #: largest |n| in base**n for a non-numeric base
_MAX_BITS = 10_000  #: largest exact number (numerator or denominator) in the input, in bits
_MAX_ARGS = 32  #: most arguments of one call (Max, Min compare their arguments pairwise)
_MAX_DECIMAL_EXP = 1000  #: largest |e| in a literal like 1.5e400
_SIMPLIFY_MAX_OPS = 200  #: simplify only below this count_ops


def _softplus(x: sp.Expr) -> sp.Expr:
    return sp.log(1 + sp.exp(x))


#: Function names the parser understands (every other called name is an error).
FUNCTIONS: dict[str, Callable[..., sp.Expr]] = {
    "sigma": sigmoid, "sigmoid": sigmoid, "σ": sigmoid, "relu": relu, "ReLU": relu,
    "tanh": sp.tanh, "exp": sp.exp, "log": sp.log, "ln": sp.log,
    "sign": sp.sign, "sgn": sp.sign, "Abs": sp.Abs, "abs": sp.Abs, "sqrt": sp.sqrt,
    "Max": sp.Max, "max": sp.Max, "Min": sp.Min, "min": sp.Min, "softplus": _softplus,
    "Heaviside": sp.Heaviside, "sin": sp.sin, "cos": sp.cos, "sinh": sp.sinh, "cosh": sp.cosh,
}
#: Named constants; every other bare name is a real symbol.
CONSTANTS: dict[str, sp.Expr] = {"pi": sp.pi, "π": sp.pi, "E": sp.E}

_TRANSFORMS = (_sp_parser.auto_symbol, None, _sp_parser.auto_number, _sp_parser.rationalize,
               _sp_parser.convert_xor)  # None: _keyword_names, after auto_symbol (defined below)


@dataclass(frozen=True)
class Verdict:
    """The decision on ``lhs = rhs``.

    ``status``: "proved" | "refuted" | "undecided"; ``method``: the reduction that closed the
    claim ("expand", "rewrite σ→exp, cancel", ...), "counterexample", or the rungs tried;
    ``counterexample``: symbol name -> exact value (refuted only); ``lhs_value``/``rhs_value``:
    both sides there (exact when rational, else 20 significant digits); ``lhs``/``rhs``: the
    parsed sides; ``detail``: one sentence for the reader.
    """

    status: str
    method: str
    lhs: str
    rhs: str
    counterexample: dict[str, str] | None = None
    lhs_value: str | None = None
    rhs_value: str | None = None
    detail: str = ""
    seconds: float = field(default=0.0, compare=False)

    @property
    def proved(self) -> bool:
        return self.status == PROVED

    def as_dict(self) -> dict:
        return {"status": self.status, "method": self.method, "lhs": self.lhs, "rhs": self.rhs,
                "counterexample": self.counterexample, "lhs_value": self.lhs_value,
                "rhs_value": self.rhs_value, "detail": self.detail,
                "seconds": round(self.seconds, 4)}


# --- parsing ------------------------------------------------------------------------------------

def _keyword_names(tokens, local_dict, global_dict):
    """``lambda`` (a Python keyword) is the regularization parameter λ here: make it a symbol."""
    out = []
    for num, val in tokens:
        if num == _sp_parser.NAME and val == "lambda":
            out.extend([(_sp_parser.NAME, "Symbol"), (_sp_parser.OP, "("),
                        (_sp_parser.STRING, "'lambda'"), (_sp_parser.OP, ")")])
        else:
            out.append((num, val))
    return out


_TRANSFORMS = tuple(t or _keyword_names for t in _TRANSFORMS)

_UNSUPPORTED = {ast.Attribute: "attribute access (.)", ast.Subscript: "indexing ([])",
                ast.List: "lists", ast.Tuple: "tuples", ast.Set: "sets", ast.Dict: "dicts",
                ast.Compare: "comparisons (<, ==, ...)", ast.BoolOp: "and/or",
                ast.IfExp: "conditional expressions", ast.Lambda: "lambdas",
                ast.Starred: "starred arguments"}

_BINOPS = {ast.Add: lambda x, y: x + y, ast.Sub: lambda x, y: x - y,
           ast.Mult: lambda x, y: x * y, ast.Div: lambda x, y: x / y}


class _Evaluator:
    """Evaluates the tokenized expression's syntax tree; accepts arithmetic and known calls only."""

    def __init__(self) -> None:
        self.symbols: dict[str, sp.Symbol] = {}

    def __call__(self, node: ast.AST) -> sp.Expr:
        if isinstance(node, ast.Expression):
            return self.expr(node.body)
        raise ValueError("not an expression")

    def expr(self, node: ast.AST) -> sp.Expr:
        v = self.value(node)
        if isinstance(v, type) or callable(v) and not isinstance(v, sp.Basic):
            raise ValueError(f"{self.name_of(node)} is a function: call it, as in {self.name_of(node)}(z)")
        if not isinstance(v, sp.Expr):
            raise ValueError(f"{ast.unparse(node)!r} is not a mathematical expression")
        return v

    @staticmethod
    def name_of(node: ast.AST) -> str:
        return node.id if isinstance(node, ast.Name) else ast.unparse(node)

    def value(self, node: ast.AST):
        if isinstance(node, ast.BinOp):
            left, right = self.expr(node.left), self.expr(node.right)
            if isinstance(node.op, ast.Pow):
                return _power(left, right)
            if type(node.op) in _BINOPS:
                return _BINOPS[type(node.op)](left, right)
            raise ValueError(f"operator {type(node.op).__name__} is not supported; use + - * / ** (or ^)")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = self.expr(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.Name):
            if node.id in CONSTANTS:
                return CONSTANTS[node.id]
            if node.id in FUNCTIONS:
                return FUNCTIONS[node.id]
            raise ValueError(f"name {node.id!r} is not understood")
        if isinstance(node, ast.Call):
            return self.call(node)
        what = _UNSUPPORTED.get(type(node), type(node).__name__)
        if isinstance(node, ast.Constant):
            what = "strings" if isinstance(node.value, str) else f"the constant {node.value!r}"
        raise ValueError(f"{what}: not supported; use numbers, names, + - * / ** (or ^) and "
                         f"calls of the known functions")

    def call(self, node: ast.Call):
        if node.keywords:
            raise ValueError(f"keyword arguments are not supported in {ast.unparse(node)!r}")
        func = node.func
        if isinstance(func, ast.Call):  # Function('foo')(x): an unknown function name
            raise ValueError(f"unknown function {self.literal(func)!r}; known functions: "
                             f"{', '.join(sorted(set(FUNCTIONS)))}")
        if not isinstance(func, ast.Name):
            raise ValueError("attribute access and calling an expression are not supported")
        name = func.id
        if name in ("Symbol", "Integer", "Rational", "Function"):
            lit = self.literal(node)
            if name == "Symbol":
                lit = _canonical_name(lit)
                return self.symbols.setdefault(lit, sp.Symbol(lit, real=True))
            if name == "Integer":
                return sp.Integer(lit)
            if name == "Rational":
                return _rational(lit)
            raise ValueError(f"unknown function {lit!r}")
        if name not in FUNCTIONS:
            raise ValueError(f"unknown function {name!r}")
        if len(node.args) > _MAX_ARGS:
            raise ValueError(f"{name}() has {len(node.args)} arguments; at most {_MAX_ARGS} are accepted")
        args = [self.expr(a) for a in node.args]
        try:
            return FUNCTIONS[name](*args)
        except TypeError as exc:
            raise ValueError(f"{name}() called with {len(args)} argument(s): {exc}") from None

    @staticmethod
    def literal(node: ast.Call) -> str:
        if len(node.args) != 1 or node.keywords or not isinstance(node.args[0], ast.Constant):
            raise ValueError(f"{ast.unparse(node)!r} is not supported")
        return str(node.args[0].value)


#: Spellings of one symbol: the book's code writes ``lmbda`` (``lambda`` is a Python keyword).
_ALIASES = {"lmbda": "lambda", "lamda": "lambda"}  # "lamda": the Unicode name of λ


def _canonical_name(name: str) -> str:
    """One symbol per Greek letter however it is typed: ``η`` and ``eta``; ``λ``, ``lambda``, ``lmbda``."""
    if len(name) == 1 and not name.isascii():
        uname = unicodedata.name(name, "")
        if uname.startswith("GREEK SMALL LETTER ") and " " not in uname[19:]:
            name = uname[19:].lower()
        elif uname.startswith("GREEK CAPITAL LETTER ") and " " not in uname[21:]:
            name = uname[21:].capitalize()
    return _ALIASES.get(name, name)


def _rational(text: str) -> sp.Rational:
    try:
        d = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number") from None
    if d.is_finite() and d != 0 and abs(d.adjusted()) > _MAX_DECIMAL_EXP:
        raise ValueError(f"the number {text} is too large or too small (exponent beyond "
                         f"±{_MAX_DECIMAL_EXP})")
    return sp.Rational(text)


def _power(base: sp.Expr, expo: sp.Expr) -> sp.Expr:
    """``base**expo``, refusing powers whose exact value or expansion would be enormous."""
    if expo.is_Rational and not expo.is_Integer and abs(expo.p) > _MAX_EXP_SYMBOLIC:
        raise ValueError(f"exponent {expo} is too large (numerator beyond {_MAX_EXP_SYMBOLIC})")
    if expo.is_Rational and base.is_Rational:
        size = max(abs(base.p), abs(base.q)).bit_length()
        if size > 1 and abs(expo) * size > _MAX_BITS:
            raise ValueError(f"the power {base}**{expo} is too large to compute exactly "
                             f"(more than {_MAX_BITS} bits)")
    elif expo.is_Rational and abs(expo) > _MAX_EXP_SYMBOLIC:
        raise ValueError(f"exponent {expo} is too large (limit ±{_MAX_EXP_SYMBOLIC} for a symbolic base)")
    result = base**expo
    for p in result.atoms(sp.Pow):  # (x**a)**b may combine into x**(a*b)
        if p.exp.is_Rational and not p.base.is_Rational and abs(p.exp) > _MAX_EXP_SYMBOLIC:
            raise ValueError(f"exponent {p.exp} is too large "
                             f"(limit ±{_MAX_EXP_SYMBOLIC} for a symbolic base)")
    return result


def parse(text: str, side: str = "expression") -> sp.Expr:
    """Parse one side; ``ValueError`` with a one-line message naming ``side`` and the problem."""
    if not isinstance(text, str):
        raise ValueError(f"{side}: expected text, got {type(text).__name__}")
    src = text.strip()
    if not src:
        raise ValueError(f"{side} is empty; give an expression such as 'sigma(z)*(1 - sigma(z))'")
    if len(src) > MAX_CHARS:
        raise ValueError(f"{side} is {len(src)} characters long; the limit is {MAX_CHARS}")
    if "__" in src:
        raise ValueError(f"{side} could not be parsed: '__' is not allowed in an expression")
    if any(c in src for c in "\n\r;"):
        raise ValueError(f"{side} could not be parsed: write one expression on one line")
    try:
        local = {name: None for name in (*FUNCTIONS, *CONSTANTS)}
        code = _sp_parser.stringify_expr(src, local, {}, _TRANSFORMS)
        tree = ast.parse(code.strip(), mode="eval")
        with _time_limit(10.0):
            expr = _Evaluator()(tree)
    except _Timeout:
        raise ValueError(f"{side} could not be parsed: evaluating it took longer than 10 s") from None
    except ValueError as exc:
        raise ValueError(f"{side} could not be parsed: {_one_line(exc)}") from None
    except _sp_parser.TokenError:
        raise ValueError(f"{side} could not be parsed: unbalanced parentheses or unfinished "
                         f"expression (in {src[:60]!r})") from None
    except (SyntaxError, TypeError, ArithmeticError, AttributeError, RecursionError,
            MemoryError) as exc:
        why = exc.msg if isinstance(exc, SyntaxError) and exc.msg else _one_line(exc) or type(exc).__name__
        raise ValueError(f"{side} could not be parsed: {why} (in {src[:60]!r})") from None
    big = [q for q in expr.atoms(sp.Rational) if max(abs(q.p), q.q).bit_length() > _MAX_BITS]
    if big:
        raise ValueError(f"{side} has a number of more than {_MAX_BITS} bits "
                         f"(~{int(_MAX_BITS * 0.30103)} digits); use a smaller one")
    if expr.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        raise ValueError(f"{side} is undefined everywhere ({expr}); check divisions by zero")
    return expr


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


# --- time limits -------------------------------------------------------------------------------

class _Timeout(BaseException):
    """Raised by the SIGALRM handler; a BaseException so that no ``except Exception`` eats it."""


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Interrupt the block after ``seconds`` (main thread on POSIX only; elsewhere: no limit)."""
    usable = (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
              and signal.getitimer(signal.ITIMER_REAL)[0] == 0)
    if not usable or seconds <= 0:
        if seconds <= 0 and usable:
            raise _Timeout
        yield
        return

    def _raise(signum, frame):
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


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


def _cheap_rungs(d: sp.Expr) -> list[tuple[str, Callable[[], sp.Expr]]]:
    rungs = [(m, (lambda m=m: LADDER[m](d))) for m in ("structural", "expand", "cancel")]
    exp_names = _names(d, {sigmoid: "σ", sp.tanh: "tanh", sp.sinh: "sinh", sp.cosh: "cosh"})
    if exp_names:
        rewritten = _to_exp(d)
        rungs += [(f"rewrite {exp_names}→exp, {m}", (lambda m=m: LADDER[m](rewritten)))
                  for m in ("expand", "cancel")]
    return rungs


def _costly_rungs(d: sp.Expr) -> list[tuple[str, Callable[[], sp.Expr]]]:
    rungs = []
    pw_names = _names(d, {relu: "ReLU", sp.Max: "Max", sp.Min: "Min", sp.Abs: "Abs",
                          sp.sign: "sign", sp.Heaviside: "Heaviside"})
    small = sp.count_ops(d) <= _SIMPLIFY_MAX_OPS
    if pw_names and small:
        rungs.append((f"rewrite {pw_names}→Piecewise, simplify",
                      lambda: sp.simplify(_to_piecewise(_to_exp(d)))))
    if small:
        rungs.append(("simplify", lambda: sp.simplify(d)))
        if d.has(sigmoid, sp.tanh, sp.sinh, sp.cosh):
            rungs.append(("rewrite →exp, simplify", lambda: sp.simplify(_to_exp(d))))
    return rungs


def verify(lhs: str, rhs: str, *, time_limit: float = 30.0) -> Verdict:
    """Decide ``lhs = rhs`` for real values of every symbol (see the module docstring).

    ``ValueError`` (one line, naming the side) when either side cannot be parsed.  ``time_limit``
    bounds the whole decision in seconds (enforced on the main thread on POSIX systems).
    """
    t0 = time.perf_counter()
    left, right = parse(lhs, "lhs"), parse(rhs, "rhs")
    d = left - right
    shown = dict(lhs=str(left), rhs=str(right))

    def remaining(share: float = 1.0) -> float:
        return max(time_limit * share - (time.perf_counter() - t0), 0.0)

    def done(status: str, method: str, **kw) -> Verdict:
        return Verdict(status, method, **shown, **kw, seconds=time.perf_counter() - t0)

    tried: list[str] = []
    timed_out: list[str] = []

    def climb(rungs, share: float) -> str | None:
        for name, reduce in rungs:
            tried.append(name)
            try:
                with _time_limit(remaining(share)):
                    if reduce() == 0:
                        return name
            except _Timeout:
                timed_out.append(name)
            except (ArithmeticError, ValueError, TypeError, NotImplementedError,
                    AttributeError, RecursionError, sp.PolynomialError):
                pass  # this rung cannot handle the expression; the next may
        return None

    proof = "structural" if left == right else climb(_cheap_rungs(d), 0.4)
    if proof:
        return done(PROVED, proof, detail=_proved_detail(proof))

    stats: dict = {}
    try:
        with _time_limit(remaining(0.7)):
            ce = find_counterexample(left, right, trials=32, stats=stats)
    except _Timeout:
        ce = None
        timed_out.append("counterexample search")
    if ce is not None:
        point, lv, rv = ce
        where = (f"at {', '.join(f'{k} = {v}' for k, v in point.items())}" if point
                 else "the sides are different numbers")
        return done(REFUTED, "counterexample", counterexample=point, lhs_value=lv, rhs_value=rv,
                    detail=f"{where}: lhs = {lv}, rhs = {rv}")

    proof = climb(_costly_rungs(d), 1.0)
    if proof:
        return done(PROVED, proof, detail=_proved_detail(proof))
    why = (f"{', '.join(tried)} did not reduce lhs − rhs to 0, and no counterexample was found at "
           f"{stats.get('tried', 0)} points where both sides are real"
           + (f" ({stats['skipped']} points skipped: a side undefined or not real)"
              if stats.get("skipped") else ""))
    if timed_out:
        why += f"; time limit ({time_limit:g} s) reached in: {', '.join(timed_out)}"
    return done(UNDECIDED, "/".join(tried), detail=why)


def _proved_detail(method: str) -> str:
    return (f"lhs − rhs reduces exactly to 0 by {method}; this holds for all real values of the "
            "symbols at which both sides are defined")
