r"""The one safe parser of expressions typed by a reader: text (or a SymPy expression) to SymPy.

Syntax.  SymPy syntax (``**`` or ``^`` for powers).  Known functions (their names are kept with
them in :mod:`derive.core.functions`): ``sigma``/``sigmoid``/``σ``
(:class:`derive.core.functions.sigmoid`), ``relu``/``ReLU``, ``tanh``, ``exp``, ``log``/``ln``,
``sign``/``sgn``, ``Abs``/``abs``, ``sqrt``, ``Max``, ``Min``, ``softplus`` (ln(1 + eᶻ)),
``Heaviside``, ``sin``, ``cos``, ``sinh``, ``cosh``, ``tan``, ``atan``, ``asin``, ``acos``, ``atanh``.  Constants: ``pi``/``π`` and ``e`` = ``E``,
Euler's number (so ``e^z`` is eᶻ, as the book writes it; no symbol can be called ``e``).  Every other
name (``eta``, ``lmbda``, ``n``, ``dC0dw``, ...) is a *real* symbol; a Greek letter may be typed or
spelled (``η`` = ``eta``; ``λ`` = ``lambda`` = ``lmbda``, the book's spelling).  Decimals are exact
rationals (0.1 = 1/10).

Calculus.  ``diff(f, z)``, ``diff(f, z, 2)``, ``diff(f, x, y)``, ``Derivative(f, z)`` (the same), and
prime notation for the known one-argument functions: ``sigma'(z)``, ``σ′(z)``, ``tanh'(z)``,
``softplus''(z)`` (also spelled ``sigma_prime(z)``, ``sigma_prime2(z)``).  ``relu'(z)`` is
:math:`H(z)` with ReLU′(0) = 0, the convention of theorem ``relu_prime``.

The notation of the book and the notes is read as written: ``−`` (minus sign), ``·`` and ``×``,
``÷``, ``|x|`` (= ``Abs(x)``), superscript powers ``x²``, ``x⁻¹``, subscript digits in names
(``C₀`` = ``C0``).  What could be read as something else is refused with a hint, never
reinterpreted: ``#`` (everything after it would be ignored), ``d/dz`` (it would be d divided by
dz), ``∂``, quotes other than a prime after a known function, full-width or mathematical-alphabet
letters (``ｘ``, ``𝑥``: they would silently become ``x``).

Safety.  The text is tokenized by :func:`sympy.parsing.sympy_parser.stringify_expr` with explicit
(empty) dictionaries and the result is *not* handed to ``eval``: a small evaluator walks its syntax
tree and accepts only numbers, symbols, + − × ÷ ^ and calls of the known functions, so no Python code
runs, and a power too large to compute (``10**10**10``) is rejected before it is computed.

Domain.  :func:`parse_claim` also returns the subexpressions that must be real and defined for the
input to make sense (``sqrt(x)`` in ``sqrt(x)*sqrt(x)``, which SymPy itself writes ``x``;
``1/x`` in ``x/x``; ``log(x)`` in ``exp(log(x))``), which :mod:`derive.claims.verify` uses both to prove
(on the domain) and to refute (only where they are real).
"""
from __future__ import annotations

import ast
import math
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Callable, Mapping

import sympy as sp
from sympy.parsing import sympy_parser as _sp_parser

from ..core import functions
from ..core.deadline import Timeout, default_deadline
from ..core.functions import PRIMED, kink_arguments, relu
from .reading import CONSTANTS, MAX_CHARS, deep_recursion

__all__ = ["parse", "parse_claim", "parse_let", "parse_assumption", "Parsed", "FUNCTIONS",
           "CONSTANTS", "PRIMED", "MAX_CHARS", "RELU_PRIME_AT_0", "substitute_lets", "deep_recursion",
           "relu_prime_marked", "check_value"]

_MAX_EXP_SYMBOLIC = 1000  #: largest |n| in base**n for a non-numeric base
_MAX_BITS = 10_000  #: largest exact number (numerator or denominator) in the input, in bits
_MAX_ARGS = 32  #: most arguments of one call (Max, Min compare their arguments pairwise)
_MAX_DECIMAL_EXP = 1000  #: largest |e| in a literal like 1.5e400
_MAX_ORDER = 8  #: highest total order of a derivative


#: Function names the parser understands, with what each calls (every other called name is an
#: error): the names of :mod:`derive.core.functions`, where each function's prime notation
#: (:data:`PRIMED`) and domain (the calls that must be defined, recorded as parts) are kept too.
FUNCTIONS: dict[str, Callable[..., sp.Expr]] = dict(functions.NAMES)
_CALCULUS = ("diff", "Derivative")
#: Stands for the value ReLU′(0) in a parsed derivative of ReLU until :mod:`derive.claims.verify` sets it
#: (to 0, the convention of theorem ``relu_prime``; and to 1/2 and 1 to see if a verdict depends on it).
RELU_PRIME_AT_0 = sp.Symbol("ReLU'(0)", real=True)
_PRIME_NAMES = {f"{f}_prime{k if k > 1 else ''}": (f, k) for f in PRIMED for k in (1, 2, 3)}

_TRANSFORMS = (_sp_parser.auto_symbol, None, _sp_parser.auto_number, _sp_parser.rationalize,
               _sp_parser.convert_xor)  # None: _keyword_names, after auto_symbol (defined below)


@dataclass
class Parsed:
    """A parsed expression and what the input needs to be defined.

    ``expr``: the expression (derivatives taken, definitions substituted); ``parts``:
    subexpressions of the input that must be real and defined (divisions, logarithms, non-integer
    powers) — SymPy's automatic simplification may have removed them from ``expr``;
    ``relu_prime``: a ReLU′ (with its convention ReLU′(0) = 0) was taken; ``kinks``: where a
    differentiated expression is not smooth (the arguments of its Abs, sign, Max, ... that vanish
    there), so SymPy's formula for the derivative is not known to hold at those points.
    """

    expr: sp.Expr
    parts: list = field(default_factory=list)
    relu_prime: bool = False
    used: set = field(default_factory=set)  #: defined names (``lets``) the text refers to
    kinks: list = field(default_factory=list)


# --- the text, before tokenizing ----------------------------------------------------------------

_REPLACE = {"\u2212": "-", "\u00b7": "*", "\u22c5": "*", "\u00d7": "*", "\u00f7": "/",
            "\u2217": "*"}
_SUPER = {"⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6", "⁷": "7",
          "⁸": "8", "⁹": "9", "⁻": "-", "⁺": "+"}
_SUB = {"₀": "0", "₁": "1", "₂": "2", "₃": "3", "₄": "4", "₅": "5", "₆": "6", "₇": "7",
        "₈": "8", "₉": "9"}
_PRIMES = {"'": 1, "′": 1, "″": 2, "‴": 3}
_PRIME_RE = re.compile(r"(?<![\w.])(" + "|".join(sorted(map(re.escape, PRIMED), key=len, reverse=True))
                       + r")\s*(['′″‴]+)\s*\(")
_D_DZ_RE = re.compile(r"(?<![\w.])d\s*/\s*d\s*[^\W\d]")


def _hint_char(ch: str) -> str:
    name = unicodedata.name(ch, f"U+{ord(ch):04X}")
    plain = unicodedata.normalize("NFKC", ch)
    if plain != ch and plain.isascii() and plain.strip():
        return f"the character {ch!r} ({name}) is not accepted: type a plain {plain!r}"
    return f"the character {ch!r} ({name}) is not accepted"


def _bars_to_abs(src: str) -> str:
    """``|x|`` → ``Abs(x)``: a bar opens after an operator, '(' or ',' (or at the start), else closes."""
    out, depth, prev = [], 0, ""
    for ch in src:
        if ch == "|":
            if depth and prev not in ("", "(", ",", "+", "-", "*", "/", "^", "|"):
                out.append(")")
                depth -= 1
                prev = ")"
                continue
            if depth and prev == "|" and out and out[-1] == "Abs(":
                raise ValueError("'||' is not understood; write Abs(Abs(x)) or |x|")
            out.append("Abs(")
            depth += 1
            prev = "|"
            continue
        out.append(ch)
        if not ch.isspace():
            prev = ch
    if depth:
        raise ValueError("an absolute value |…| is not closed")
    return "".join(out)


def _prepare(src: str) -> str:
    """The notation of the book → SymPy syntax, or ``ValueError`` with a hint (never a guess)."""
    if "#" in src:
        raise ValueError("'#' is not part of an expression (everything after it would be "
                         "ignored); remove it")
    if "∂" in src:
        raise ValueError("'∂' is not understood; write a derivative as diff(C, w), or a name "
                         "such as dCdw")
    if _D_DZ_RE.search(src):
        raise ValueError("'d/dz' is not understood (it would read as d divided by dz); write "
                         "diff(f, z), e.g. diff(sigma(z), z)")
    for a, b in _REPLACE.items():
        src = src.replace(a, b)
    # prime notation: sigma'(z) -> sigma_prime(z)
    src = _PRIME_RE.sub(lambda m: f"{m.group(1)}_prime"
                        f"{'' if sum(_PRIMES[c] for c in m.group(2)) == 1 else sum(_PRIMES[c] for c in m.group(2))}(",
                        src)
    if any(c in src for c in "'\"′″‴`"):
        raise ValueError("quotes are not part of an expression; prime notation f'(z) works "
                         f"right after a known one-argument function ({', '.join(PRIMED[:6])}, …)")
    # superscripts: x² -> x**(2)
    src = re.sub("[" + "".join(_SUPER) + "]+",
                 lambda m: "**(" + "".join(_SUPER[c] for c in m.group()) + ")", src)
    src = re.sub("[" + "".join(_SUB) + "]+", lambda m: "".join(_SUB[c] for c in m.group()), src)
    if "|" in src:
        src = _bars_to_abs(src)
    for ch in src:
        if ch.isascii():
            continue
        if unicodedata.name(ch, "").startswith(("GREEK SMALL LETTER ", "GREEK CAPITAL LETTER ")):
            continue
        raise ValueError(_hint_char(ch))
    return src


# --- the syntax tree ------------------------------------------------------------------------------

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


class _Evaluator:
    """Evaluates the tokenized expression's syntax tree; accepts arithmetic and known calls only."""

    def __init__(self, lets: Mapping[sp.Symbol, sp.Expr] | None = None) -> None:
        self.symbols: dict[str, sp.Symbol] = {}
        self.lets = dict(lets or {})
        self.parts: list[sp.Expr] = []
        self.relu_prime = False
        self.kinks: list[sp.Expr] = []
        self.used: set[sp.Symbol] = set()

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
            if isinstance(node.op, (ast.Add, ast.Sub)):
                return self.chain(node, (ast.Add, ast.Sub))
            if isinstance(node.op, (ast.Mult, ast.Div)):
                return self.chain(node, (ast.Mult, ast.Div))
            if isinstance(node.op, ast.Pow):
                return self.power(self.expr(node.left), self.expr(node.right))
            raise ValueError(f"operator {type(node.op).__name__} is not supported; use + - * / ** (or ^)")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = self.expr(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.Name):
            if node.id in CONSTANTS:
                return CONSTANTS[node.id]
            if node.id in FUNCTIONS or node.id in _CALCULUS or node.id in _PRIME_NAMES:
                return FUNCTIONS.get(node.id, sp.Function(node.id))
            raise ValueError(f"name {node.id!r} is not understood")
        if isinstance(node, ast.Call):
            return self.call(node)
        what = _UNSUPPORTED.get(type(node), type(node).__name__)
        if isinstance(node, ast.Constant):
            what = "strings" if isinstance(node.value, str) else f"the constant {node.value!r}"
        raise ValueError(f"{what}: not supported; use numbers, names, + - * / ** (or ^) and "
                         f"calls of the known functions")

    def chain(self, node: ast.BinOp, ops: tuple) -> sp.Expr:
        """A chain a ± b ± c … or a·b/c … evaluated without recursion along its length (a
        999-term sum is valid input)."""
        items = []
        while isinstance(node, ast.BinOp) and isinstance(node.op, ops):
            items.append((node.op, node.right))
            node = node.left
        first = self.expr(node)
        terms = [first]
        for op, right in reversed(items):
            v = self.expr(right)
            if isinstance(op, ast.Sub):
                terms.append(-v)
            elif isinstance(op, ast.Div):
                if v.free_symbols:
                    self.parts.append(sp.Pow(v, -1, evaluate=False))
                if v == 0:
                    raise ValueError("division by zero")
                terms.append(sp.Pow(v, -1))
            else:
                terms.append(v)
        return sp.Add(*terms) if ops[0] is ast.Add else sp.Mul(*terms)

    def power(self, base: sp.Expr, expo: sp.Expr) -> sp.Expr:
        result = _power(base, expo)
        if base.free_symbols and not (expo.is_Integer and expo >= 0):
            self.parts.append(sp.Pow(base, expo, evaluate=False))
        return result

    def call(self, node: ast.Call):
        if node.keywords:
            raise ValueError(f"keyword arguments are not supported in {ast.unparse(node)!r}")
        func = node.func
        if isinstance(func, ast.Call) and not (isinstance(func.func, ast.Name)
                                               and func.func.id == "Function"):
            raise ValueError("a product needs '*': write sigma(z)*(1 - sigma(z)), not "
                             "sigma(z)(1 - sigma(z))")
        if isinstance(func, ast.Call):  # Function('foo')(x): an unknown function name
            raise ValueError(f"unknown function {self.literal(func)!r}; known functions: "
                             f"{', '.join(sorted(set(FUNCTIONS)))}, diff")
        if not isinstance(func, ast.Name):
            if isinstance(func, (ast.Call, ast.Name, ast.BinOp, ast.UnaryOp, ast.Constant)):
                raise ValueError("a product needs '*': write sigma(z)*(1 - sigma(z)), not "
                                 "sigma(z)(1 - sigma(z))")
            raise ValueError("attribute access and calling an expression are not supported")
        name = func.id
        if name in ("Symbol", "Integer", "Rational", "Function"):
            lit = self.literal(node)
            if name == "Symbol":
                lit = _canonical_name(lit)
                if lit in CONSTANTS:
                    return CONSTANTS[lit]
                sym = self.symbols.setdefault(lit, sp.Symbol(lit, real=True))
                if sym in self.lets:
                    self.used.add(sym)
                return sym
            if name == "Integer":
                return sp.Integer(lit)
            if name == "Rational":
                return _rational(lit)
            raise ValueError(f"unknown function {lit!r}")
        if name in _CALCULUS:
            return self.derivative(name, node.args)
        if name in _PRIME_NAMES:
            return self.prime(name, node.args)
        if name not in FUNCTIONS:
            raise ValueError(f"unknown function {name!r}")
        if len(node.args) > _MAX_ARGS:
            raise ValueError(f"{name}() has {len(node.args)} arguments; at most {_MAX_ARGS} are accepted")
        args = [self.expr(a) for a in node.args]
        entry = functions.by_name(name)
        if entry.partial:
            self.parts.extend(entry.domain(args))
        try:
            return FUNCTIONS[name](*args)
        except TypeError as exc:
            raise ValueError(f"{name}() called with {len(args)} argument(s): {exc}") from None

    def derivative(self, name: str, nodes: list) -> sp.Expr:
        """``diff(f, x, 2, y)``: f differentiated twice in x, then in y; definitions (``--let``) of
        other names are substituted first, so the chain rule goes through them."""
        if len(nodes) < 2:
            raise ValueError(f"{name}() needs an expression and a variable, as in {name}(sigma(z), z)")
        f = self.expr(nodes[0])
        spec: list = []
        for n in nodes[1:]:
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "Symbol":
                spec.append(self.expr(n))
                continue
            v = self.expr(n)
            if v.is_Integer and spec and not isinstance(spec[-1], sp.Integer) and v > 0:
                spec.append(v)
                continue
            raise ValueError(f"{name}(): {ast.unparse(n)!r} is not a variable name (or a positive "
                             f"count after one, as in diff(f, z, 2))")
        order = sum(int(s) - 1 if isinstance(s, sp.Integer) else 1 for s in spec)
        if order > _MAX_ORDER:
            raise ValueError(f"{name}(): order {order} is too high (at most {_MAX_ORDER})")
        variables = {s for s in spec if isinstance(s, sp.Symbol)}
        f = substitute_lets(f, {k: v for k, v in self.lets.items() if k not in variables})
        self.kinks.extend(kink_arguments(f))
        return self.mark_relu_prime(f, sp.diff(f, *spec))

    def mark_relu_prime(self, f: sp.Expr, df: sp.Expr) -> sp.Expr:
        df, marked = relu_prime_marked(f, df)
        self.relu_prime = self.relu_prime or marked
        return df

    def prime(self, name: str, nodes: list) -> sp.Expr:
        fname, k = _PRIME_NAMES[name]
        if len(nodes) != 1:
            raise ValueError(f"{fname}{chr(39) * k}() takes one argument, as in {fname}{chr(39) * k}(z)")
        arg = self.expr(nodes[0])
        t = sp.Dummy("t", real=True)
        entry = functions.by_name(fname)
        if entry.partial:
            self.parts.extend(entry.domain([arg]))
        if entry.cls is relu:
            return self.mark_relu_prime(relu(t), sp.diff(relu(t), t, k)).xreplace({t: arg})
        return sp.diff(FUNCTIONS[fname](t), t, k).xreplace({t: arg})

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
        size = math.log2(max(abs(base.p), base.q)) if base != 0 else 0.0
        if size > 0 and float(abs(expo)) * size > _MAX_BITS:
            raise ValueError(f"the power {base}**{expo} is too large to compute exactly "
                             f"(more than {_MAX_BITS} bits)")
    elif expo.is_Rational and abs(expo) > _MAX_EXP_SYMBOLIC:
        raise ValueError(f"exponent {expo} is too large (limit ±{_MAX_EXP_SYMBOLIC} for a symbolic base)")
    if expo.is_Rational and expo < 0 and base == 0:
        raise ValueError("division by zero (0 to a negative power)")
    result = base**expo
    for p in result.atoms(sp.Pow):  # (x**a)**b may combine into x**(a*b)
        if p.exp.is_Rational and not p.base.is_Rational and abs(p.exp) > _MAX_EXP_SYMBOLIC:
            raise ValueError(f"exponent {p.exp} is too large "
                             f"(limit ±{_MAX_EXP_SYMBOLIC} for a symbolic base)")
    return result


def relu_prime_marked(f: sp.Expr, df: sp.Expr) -> tuple[sp.Expr, bool]:
    """ReLU′'s value at the kink in ``df`` (the derivative of ``f``), H(u, 0), becomes
    H(u, ReLU'(0)) (set when deciding); and whether there was one."""
    if not f.has(relu):
        return df, False
    old = f.atoms(sp.Heaviside)
    new = {h for h in df.atoms(sp.Heaviside) if h not in old and len(h.args) == 2 and h.args[1] == 0}
    if not new:
        return df, False
    return df.xreplace({h: sp.Heaviside(h.args[0], RELU_PRIME_AT_0) for h in new}), True


def substitute_lets(e: sp.Expr, lets: Mapping[sp.Symbol, sp.Expr]) -> sp.Expr:
    """Replace defined names by their definitions until none is left (definitions may use others)."""
    for _ in range(len(lets) + 1):
        if not (e.free_symbols & set(lets)):
            return e
        e = e.xreplace(dict(lets))
    raise ValueError("the definitions (--let) refer to each other in a cycle")


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def check_value(expr: sp.Expr, side: str, show=str) -> sp.Expr:
    """``expr`` if it is a real, somewhere-defined value of bounded size; else ``ValueError`` (one
    line naming ``side``, with ``expr`` printed by ``show``).  The reader's meaning step shares it."""
    big = [q for q in expr.atoms(sp.Rational) if max(abs(q.p), q.q).bit_length() > _MAX_BITS + 1]
    if big:
        raise ValueError(f"{side} has a number of more than {_MAX_BITS} bits "
                         f"(~{int(_MAX_BITS * 0.30103)} digits); use a smaller one")
    if expr.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        raise ValueError(f"{side} is undefined everywhere ({show(expr)}); check divisions by zero")
    if expr.has(sp.I):
        raise ValueError(f"{side} is not real ({show(expr)}); check square roots and logarithms of "
                         "negative numbers")
    return expr


def _from_sympy(e, side: str, lets: Mapping) -> Parsed:
    """A SymPy expression given directly: symbols made real (by name), derivatives taken."""
    if not isinstance(e, sp.Expr) or isinstance(e, sp.MatrixBase) or not hasattr(e, "free_symbols"):
        raise ValueError(f"{side}: expected text or a SymPy expression, got {type(e).__name__}")
    if isinstance(e, sp.Expr) and e.is_Relational:
        raise ValueError(f"{side}: expected an expression, got a relation")
    subs = {s: sp.Symbol(str(s), real=True) for s in e.free_symbols
            if isinstance(s, sp.Symbol) and s.is_real is not True}
    e = e.xreplace(subs)
    parts = [p for p in sp.preorder_traversal(e)
             if isinstance(p, sp.log) or (isinstance(p, sp.Pow) and p.base.free_symbols
                                          and not (p.exp.is_Integer and p.exp >= 0))]
    used = e.free_symbols & set(lets)
    ev = _Evaluator(lets)
    if e.has(sp.Derivative):
        for x in e.atoms(sp.Derivative):
            ev.kinks.extend(kink_arguments(x.expr))
        e = e.replace(lambda x: isinstance(x, sp.Derivative),
                      lambda x: ev.mark_relu_prime(x.expr, x.doit()))
    e = substitute_lets(e, lets)
    return Parsed(check_value(e, side), [substitute_lets(p, lets) for p in parts], ev.relu_prime, used,
                  [substitute_lets(k, lets) for k in ev.kinks])


def parse_claim(text, side: str = "expression",
                lets: Mapping[sp.Symbol, sp.Expr] | None = None, *, substitute: bool = True) -> Parsed:
    """Parse one side (text or a SymPy expression) with the definitions ``lets`` substituted
    (unless not ``substitute``: a definition is kept in the names it uses);
    ``ValueError`` with a one-line message naming ``side`` and the problem."""
    lets = dict(lets or {})
    keep = lets if substitute else {}
    if isinstance(text, sp.Basic):
        return _from_sympy(text, side, lets)
    if not isinstance(text, str):
        raise ValueError(f"{side}: expected text or a SymPy expression, got {type(text).__name__}")
    src = text.strip()
    if not src:
        raise ValueError(f"{side} is empty; give an expression such as 'sigma(z)*(1 - sigma(z))'")
    if len(src) > MAX_CHARS:
        raise ValueError(f"{side} is {len(src)} characters long; the limit is {MAX_CHARS}")
    if "__" in src:
        raise ValueError(f"{side} could not be parsed: '__' is not allowed in an expression")
    if any(c in src for c in "\n\r;"):
        raise ValueError(f"{side} could not be parsed: write one expression on one line")
    ev = _Evaluator(lets)
    try:
        src = _prepare(src)
        local = {name: None for name in (*FUNCTIONS, *CONSTANTS, *_CALCULUS, *_PRIME_NAMES)}
        with deep_recursion():
            code = _sp_parser.stringify_expr(src, local, {}, _TRANSFORMS)
            tree = ast.parse(code.strip(), mode="eval")
            with default_deadline(10.0):  # alone; under verify's limit, that one decides
                expr = substitute_lets(ev(tree), keep)
                parts = [substitute_lets(p, keep) for p in ev.parts]
    except Timeout as exc:
        raise ValueError(f"{side} could not be parsed: evaluating it took longer than "
                         f"{exc.seconds:g} s") from None
    except ValueError as exc:
        raise ValueError(f"{side} could not be parsed: {_one_line(exc)}") from None
    except _sp_parser.TokenError:
        raise ValueError(f"{side} could not be parsed: unbalanced parentheses or unfinished "
                         f"expression (in {src[:60]!r})") from None
    except RecursionError:
        raise ValueError(f"{side} is nested too deeply to handle; split it with --let "
                         "definitions") from None
    except (SyntaxError, TypeError, ArithmeticError, AttributeError, MemoryError) as exc:
        why = exc.msg if isinstance(exc, SyntaxError) and exc.msg else _one_line(exc) or type(exc).__name__
        if "decimal literal" in why or re.search(r"(?<![\w.])\d+(?![eE][+-]?\d)\s*[^\W\d(]|\)\s*\(|\d\s*\(", src):
            why += "; a product needs '*': write 2*x, not 2x"
        if "too many nested" in why or "too complex" in why:
            raise ValueError(f"{side} is nested too deeply to handle ({why})") from None
        raise ValueError(f"{side} could not be parsed: {why} (in {src[:60]!r})") from None
    return Parsed(check_value(expr, side), parts, ev.relu_prime, ev.used, ev.kinks)


def parse(text, side: str = "expression") -> sp.Expr:
    """Parse one side (text or a SymPy expression); ``ValueError`` with a one-line message naming
    ``side`` and the problem.  See the module docstring for the syntax."""
    return parse_claim(text, side).expr


_NAME_RE = re.compile(r"^\s*([^\W\d]\w*)\s*(?::=|=)(?!=)\s*(.*)$", re.S)


def parse_let(text, lets: Mapping[sp.Symbol, sp.Expr] | None = None,
              where: str = "--let") -> tuple[sp.Symbol, Parsed]:
    """``"z = w*x + b"`` → ``(z, parsed w*x + b)``; earlier definitions ``lets`` may be used."""
    if isinstance(text, tuple) and len(text) == 2:
        name, body = text
        name = str(name)
    else:
        m = _NAME_RE.match(str(text))
        if not m:
            raise ValueError(f"{where} {text!r}: write a definition as NAME = EXPRESSION, "
                             "e.g. 'z = w*x + b'")
        name, body = m.group(1), m.group(2)
    name = _canonical_name(name)
    if name in FUNCTIONS or name in CONSTANTS or name in _CALCULUS or not name.isidentifier():
        raise ValueError(f"{where} {name!r}: that name is a function or constant; choose another")
    sym = sp.Symbol(name, real=True)
    if sym in (lets or {}):
        raise ValueError(f"{where} {name!r} is defined twice")
    parsed = parse_claim(body, f"{where} {name}", lets, substitute=False)
    if sym in parsed.expr.free_symbols:
        raise ValueError(f"{where} {name} refers to itself")
    return sym, parsed


_REL_RE = re.compile(r"(<=|>=|!=|==|≤|≥|≠|<|>)")
_REL = {"<": sp.StrictLessThan, "<=": sp.LessThan, "≤": sp.LessThan, ">": sp.StrictGreaterThan,
        ">=": sp.GreaterThan, "≥": sp.GreaterThan, "!=": sp.Unequality, "≠": sp.Unequality,
        "==": sp.Equality}
_INTEGER_RE = re.compile(r"^\s*([^\W\d]\w*)\s+(?:is\s+)?(?:an?\s+)?(positive\s+)?integer\s*$")


def parse_assumption(text, lets: Mapping[sp.Symbol, sp.Expr] | None = None,
                     where: str = "--assume") -> list[sp.Basic]:
    """``"0 < a < 1"`` → ``[0 < a, a < 1]``; also ``"w != 0"``, ``"n > 0"``, ``"n integer"``
    (``Q.integer``-style facts are returned as ``sp.Eq(sp.floor(n), n)``)."""
    if isinstance(text, sp.Basic):
        if not isinstance(text, (sp.core.relational.Relational,)):
            raise ValueError(f"{where}: expected a relation such as a > 0, got {text}")
        return [text]
    text = str(text)
    m = _INTEGER_RE.match(text)
    if m:
        sym = sp.Symbol(_canonical_name(m.group(1)), real=True)
        out = [sp.Eq(sp.floor(sym), sym, evaluate=False)]
        if m.group(2):
            out.append(sp.StrictGreaterThan(sym, 0))
        return out
    pieces = _REL_RE.split(text)
    if len(pieces) < 3:
        raise ValueError(f"{where} {text!r}: write a relation such as '0 < a < 1', 'w != 0', "
                         "'n > 0' or 'n integer'")
    sides = [parse_claim(p, f"{where} {text!r}", lets).expr for p in pieces[0::2]]
    out = []
    for left, op, right in zip(sides, pieces[1::2], sides[1:]):
        rel = _REL[op](left, right)
        if rel is sp.false or rel == False:  # noqa: E712
            raise ValueError(f"{where} {text!r} is false")
        if rel is sp.true or rel == True:  # noqa: E712
            continue
        out.append(rel)
    return out
