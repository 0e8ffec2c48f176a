r"""The reader's transformer: the syntax tree of ``notation.lark`` → SymPy, as written.

Bottom up, each rule of the grammar has a method of the same name (``juxtaposition``, ``frac``,
``scripted``, ``prime``, ``binom`` ...).  Arithmetic is built unevaluated (``sp.Add(…, evaluate=False)``),
so the reading is what was written; :func:`derive.claims.reading.value` evaluates it.  The rules R1–R10
are stated in :mod:`derive.claims.reader`; the network's letters in :mod:`derive.claims.quantities`.
"""
from __future__ import annotations

import re

import lark
import sympy as sp
from lark import Token
from lark.visitors import Transformer_NonRecursive, v_args

from .calculus import Calculus
from .lexing import parser
from .nodes import (CALLS, FUNCTION_LETTERS, GREEK_WORDS, Chain, DerivativeOperator, Differential,
                    Differentials, Factors, Group, KnownFunction, LatexWord, MaybeFunction, Name, Nabla,
                    Numeral, Partial, SUBSCRIPT, SUPERSCRIPT, SumOperator, TransposeMark, canonical, is_known,
                    rational)
from ..core.functions import NAMES as FUNCTIONS, PRIMED
from .quantities import NotationError, Script, gradient, hadamard, norm, scripted, symbol
from .readback import shown
from .reading import (CONSTANTS, MAX_CHARS, MAX_ARGS, MAX_BITS, MAX_COUNT, MAX_EXPONENT, MAX_ORDER, PRIME_VARIABLE, RELATIONS, ReadError,
                      bounded_power, value)

__all__ = ["Transformer"]


@v_args(inline=True, meta=True)
class Transformer(Calculus, Transformer_NonRecursive):
    """Builds the reading from the tree, bottom up (see the rules R1–R10 in the module docstring)."""

    def __init__(self, text: str, latex: bool) -> None:
        super().__init__()
        self.text, self.latex = text, latex
        self.juxtaposed: set[int] = set()  # ids of the products written by juxtaposition (R5)
        self.memo: dict = {}  # values of the parts already evaluated (reading.value)

    def reading(self, tree) -> tuple[list, list, list]:
        """The sides, relations and the sides' values the tree says (``ReadError`` for what is
        refused)."""
        try:
            result = self.transform(tree)
            if isinstance(result, Chain):
                sides, relations = result.sides, result.relations
            else:
                if len(self.text.strip()) > MAX_CHARS:
                    self.fail(None, f"the expression is {len(self.text.strip())} characters long; "
                                    f"the limit is {MAX_CHARS}")
                sides, relations = [self.v(result)], []
            return sides, relations, [self.value(s) for s in sides]
        except lark.exceptions.VisitError as exc:
            if isinstance(exc.orig_exc, ReadError):
                raise exc.orig_exc from None
            if isinstance(exc.orig_exc, RecursionError):
                raise ReadError(1, 1, "nested too deeply to read; split it with definitions") from None
            raise

    # -- helpers ----------------------------------------------------------------------------------
    def value(self, e: sp.Basic) -> sp.Basic:
        return value(e, self.memo)

    @staticmethod
    def fail(pos, message: str):
        raise ReadError(getattr(pos, "line", 1) or 1, getattr(pos, "column", 1) or 1, message)

    def source(self, meta) -> str:
        start, end = getattr(meta, "start_pos", None), getattr(meta, "end_pos", None)
        return " ".join(self.text[start:end].split()) if start is not None else "…"

    def v(self, x) -> sp.Expr:
        """The value of a node; refuses what is not one (a bare function, a list, a lone ∂)."""
        if isinstance(x, sp.Basic):
            return x
        if isinstance(x, Numeral):
            return x.value
        if isinstance(x, MaybeFunction):
            return x.value
        if isinstance(x, (Name, LatexWord, Factors, Group)) or isinstance(x, KnownFunction):
            return self.product(None, [x]) if not isinstance(x, Group) else self.group_value(x)
        if isinstance(x, (Partial, Differential, Differentials)):
            self.fail(x.pos, "∂ is read only in a derivative; write ∂C/∂w or \\frac{\\partial C}"
                             "{\\partial w}")
        if isinstance(x, DerivativeOperator):
            self.fail(x.pos, "the derivative operator needs what it differentiates after it, as in "
                             "\\frac{d}{dz}(z^2)")
        if isinstance(x, SumOperator):
            self.fail(x.pos, "∑ needs a summand after it, as in \\sum_k a_k")
        if isinstance(x, Chain):
            self.fail(getattr(x.sides[0], "pos", None), "a relation is read only between whole sides")
        if isinstance(x, (TransposeMark, Nabla)):
            self.fail(x.pos, "this is read only in a superscript (^T) or before a cost (∇_a C)")
        raise AssertionError(f"unexpected node {x!r}")

    def group_value(self, g: Group) -> sp.Expr:
        if len(g.items) != 1:
            self.fail(g.pos, f"a list ({', '.join('…' for _ in g.items)}) is read only as the "
                             "arguments of a function; write one expression")
        return self.after(self.v(g.items[0]), g)

    def after(self, value: sp.Expr, g: Group) -> sp.Expr:
        for kind, payload in g.after:
            if kind == "pow":
                value = self.power(value, payload, g.pos)
            elif kind == "T":
                value = sp.transpose(value, evaluate=False)
            else:
                value = self.counting(sp.factorial(value, evaluate=False), g.pos)
        return value

    # -- relations and arithmetic ----------------------------------------------------------------
    def chain(self, meta, *children):
        if len(children) == 1:
            return children[0]
        sides, rels = [self.v(c) for c in children[0::2]], [RELATIONS[t.value] for t in children[1::2]]
        starts = [meta.start_pos] + [t.end_pos for t in children[1::2]]
        ends = [t.start_pos for t in children[1::2]] + [meta.end_pos]
        for side, (a, b) in enumerate(zip(starts, ends), 1):
            if b - a > MAX_CHARS:
                self.fail(meta, f"side {side} is {b - a} characters long; the limit is {MAX_CHARS}")
        return Chain(sides, rels)

    def add(self, meta, a, op, b):
        return self.sum_of(a, self.v(b))

    def subtract(self, meta, a, op, b):
        return self.sum_of(a, sp.Mul(-1, self.v(b), evaluate=False))

    def sum_of(self, a, term) -> sp.Expr:
        """a + term, one flat sum for a chain x + x + … (as written; a bracket stays a term)."""
        left = self.v(a)
        terms = left.args if isinstance(left, sp.Add) and not isinstance(a, Group) else (left,)
        return sp.Add(*terms, term, evaluate=False)

    def negative(self, meta, op, x):
        if isinstance(x, Numeral):
            return Numeral(-x.value, "-" + x.text, x.pos)
        if isinstance(x, sp.Number):
            return -x
        return sp.Mul(-1, self.v(x), evaluate=False)

    def positive(self, meta, op, x):
        return x

    def multiply(self, meta, a, op, b):
        left = self.v(a)
        factors = left.args if isinstance(left, sp.Mul) and not isinstance(a, Group) \
            and id(left) not in self.juxtaposed and sp.S.NegativeOne not in left.args else (left,)
        return sp.Mul(*factors, self.v(b), evaluate=False)

    def hadamard(self, meta, a, op, b):
        return hadamard(self.v(a), self.v(b), evaluate=False)

    def divide(self, meta, a, op, b):
        if isinstance(a, Differentials) or isinstance(b, Differentials):
            return self.derivative(a, b, op, d_form=False)
        num, den = self.v(a), self.v(b)
        if not isinstance(b, Group) and id(den) in self.juxtaposed:  # R5: a/bc
            first, rest = den.args[0], sp.Mul(*den.args[1:], evaluate=False)
            n, d, f, r = shown(num), shown(den), shown(first), shown(rest)
            self.fail(op, f"'{self.source(meta)}' could be {n}/({d}) or ({n}/{f})·{r}; write "
                          f"{n}/({d}) or ({n}/{f})·{r}")
        return self.quotient(num, den, op)

    def quotient(self, num, den, pos):
        try:
            zero = self.value(den) == 0
        except ReadError as exc:
            self.fail(pos, str(exc).split(": ", 1)[-1])
        if zero:
            self.fail(pos, "division by zero")
        return sp.Mul(num, sp.Pow(den, -1, evaluate=False), evaluate=False)

    def python_power(self, meta, base, op, exponent):
        expo = self.v(exponent)
        if isinstance(base, Group):
            base.after.append(("pow", expo))
            return base
        if isinstance(base, Factors):
            return Factors(base.items[:-1] + [self.power(self.v(base.items[-1]), expo, op)])
        if isinstance(base, KnownFunction):
            self.fail(base.pos, f"a power of {base.shown} is written {base.shown}(z)**2")
        return self.power(self.v(base), expo, op)

    def power(self, base, expo, pos) -> sp.Expr:
        """``base^expo`` as written, refused here (with the position) when its value could not be
        computed exactly: ``10^{10^{10}}``, ``(x^{1000})^{1000}``."""
        try:
            bounded_power(self.value(base), self.value(expo))
        except ReadError as exc:
            self.fail(pos, str(exc).split(": ", 1)[-1])
        return sp.Pow(base, expo, evaluate=False)

    # -- juxtaposition and application (R2, R3, R4) ---------------------------------------------
    def juxtaposition(self, meta, *pieces):
        return self.product(meta, list(pieces))

    def product(self, meta, pieces: list):
        flat = []
        for p in pieces:
            flat.extend(p.items if isinstance(p, Factors) else p.names if isinstance(p, LatexWord) else [p])
        if len(flat) == 1 and isinstance(flat[0], Group) and not flat[0].after:
            return flat[0]  # a bracket on its own stays a list: f((k, 1, n)), \fn{\left(z\right)}
        factors, i = [], 0
        while i < len(flat):
            f, i = self.factor(flat, i, meta)
            factors.append(f)
        if any(isinstance(f, Differential) for f in factors):
            return Differentials(factors, meta)
        if len(factors) == 1:
            return factors[0]
        out = sp.Mul(*factors, evaluate=False)
        self.juxtaposed.add(id(out))
        return out

    def factor(self, pieces: list, i: int, meta):
        """The factor starting at ``pieces[i]`` and the index after it."""
        p = pieces[i]
        nxt = pieces[i + 1] if i + 1 < len(pieces) else None
        if isinstance(p, (Name, MaybeFunction)) and isinstance(nxt, Group) and nxt.bracket == "[" \
                and getattr(p.pos, "end_pos", None) == getattr(nxt.pos, "start_pos", -1):  # R11
            self.fail(nxt.pos, f"'{p.shown}[' reads like indexing; write {p.shown}_0 for an index, "
                               f"or {p.shown}·[…] for a product")
        if isinstance(p, Name):
            p = self.name(p, [], None, 0)
        if isinstance(p, KnownFunction):
            call = self.call_group(nxt)
            if call is not None:
                return self.after(self.call(p, call.items, call.pos), nxt), i + 2
            if p.name in CALLS:
                self.fail(p.pos, f"{p.shown}(…) takes its arguments in parentheses, as in "
                                 f"{p.shown}(sigma(z), z)" if p.name in ("diff", "Derivative")
                          else f"{p.shown}(…) takes its arguments in parentheses")
            if nxt is None:
                self.fail(p.pos, f"{p.shown} is a function: apply it, as in {p.shown}(z)")
            arg, j = self.factor(pieces, i + 1, meta)
            if j < len(pieces):  # R3: \ln x y
                rest = self.v(pieces[j]) if not isinstance(pieces[j], KnownFunction) else None
                later = f"·{shown(rest)}" if rest is not None else " …"
                self.fail(p.pos, f"'{p.shown} {shown(self.v(arg))} …' could be "
                                 f"{p.shown}({shown(self.v(arg))}){later} or {p.shown} of the whole "
                                 f"product; write {p.shown}(…) with parentheses around its argument")
            return self.call(p, (arg,), p.pos), j
        if isinstance(p, MaybeFunction):
            if isinstance(nxt, Group) and nxt.bracket == "(":
                applied = self.undefined_call(p, nxt)
                if applied is not None:
                    return applied, i + 2
            return p.value, i + 1
        if isinstance(p, Partial):
            if nxt is None or isinstance(nxt, Partial):
                return Differential(None, p.order, p.pos), i + 1
            operand, j = self.factor(pieces, i + 1, meta)
            return Differential(self.v(operand), p.order, p.pos), j
        if isinstance(p, Nabla):
            if nxt is None:
                self.fail(p.pos, "∇_a needs what it differentiates after it, as in ∇_a C")
            operand, j = self.factor(pieces, i + 1, meta)
            return gradient(self.v(operand), p.wrt, evaluate=False), j
        return self.v(p), i + 1

    @staticmethod
    def call_group(g) -> Group | None:
        """The brackets of a call: (…), […], \\{…\\}, or SymPy's {\\left(…\\right)}."""
        if not isinstance(g, Group):
            return None
        if g.bracket != "{":
            return g
        if len(g.items) == 1 and isinstance(g.items[0], Group) and g.items[0].bracket == "(" \
                and not g.items[0].after:
            return g.items[0]  # \log{\left(x \right)}^{2}: the power (on the braces) comes after
        return None

    def call(self, f: KnownFunction, items: tuple, pos) -> sp.Expr:
        """A known function applied to ``items``."""
        name = f.name
        if name in ("diff", "Derivative"):
            return self.diff(f, items, pos)
        if name == "Sum":
            return self.sum_call(f, items, pos)
        if len(items) > MAX_ARGS:
            self.fail(pos, f"{f.shown}() has {len(items)} arguments; at most {MAX_ARGS} are read")
        if any(isinstance(i, Group) and len(i.items) > 1 for i in items) and name != "Sum":
            self.fail(pos, f"{f.shown}() takes expressions, not lists")
        args = [self.v(a) for a in items]
        if f.primes:
            if len(args) != 1 or name not in PRIMED:
                self.fail(f.pos, f"prime notation is read for one-argument functions "
                                 f"({', '.join(PRIMED[:8])}, …), as in {f.shown}'(z)")
            if f.primes > MAX_ORDER:
                self.fail(f.pos, f"order {f.primes} is too high (at most {MAX_ORDER})")
            t = PRIME_VARIABLE
            value = sp.Subs(sp.Derivative(FUNCTIONS[name](t), (t, f.primes)), t, args[0])
        elif name == "binomial":
            value = self.counting(sp.binomial(*self.arity(f, args, 2), evaluate=False), pos)
        elif name == "factorial":
            value = self.counting(sp.factorial(*self.arity(f, args, 1), evaluate=False), pos)
        elif name == "sqrt":
            value = sp.Pow(*self.arity(f, args, 1), sp.S.Half, evaluate=False)
        else:
            F = FUNCTIONS[name]
            try:
                value = F(*args, evaluate=False) if isinstance(F, type) else F(*args)
            except (TypeError, ValueError) as exc:
                self.fail(pos, f"{f.shown}() with {len(args)} argument(s) is not read: "
                               f"{' '.join(str(exc).split())[:120]}")
        return value if f.power is None else self.power(value, f.power, f.pos)

    def arity(self, f: KnownFunction, args: list, n: int) -> list:
        if len(args) != n:
            self.fail(f.pos, f"{f.shown}() takes {n} argument{'s' if n > 1 else ''}, not {len(args)}")
        return args

    def undefined_call(self, u: MaybeFunction, g: Group):
        """R4: an undefined function of variables, a product, or refused (both readings named)."""
        items = [self.v(i) for i in g.items]
        variables = all(isinstance(x, sp.Symbol) for x in items) and len(set(items)) == len(items)
        if variables and (u.single or u.explicit):
            F = sp.Function(u.function, real=True)
            if not u.primes:
                return self.after(F(*items), g)
            if len(items) != 1:
                self.fail(u.pos, f"prime notation is read for a function of one variable, as in "
                                 f"{u.function}'(x)")
            t = PRIME_VARIABLE
            return self.after(sp.Subs(sp.Derivative(F(t), (t, u.primes)), t, items[0]), g)
        if u.explicit or (variables and not u.single):
            known = "an undefined function is written with one letter, f(x), or \\operatorname{…}"
            what = (f"an undefined function is read of variables only, as in {u.shown}(u)"
                    if u.explicit else f"unknown function '{u.shown}'; {known}")
            self.fail(u.pos, what)
        inside = ", ".join(shown(x) for x in items)
        if u.single and len(items) == 1 and u.function not in FUNCTION_LETTERS:
            return None  # a product: a(1 − a), η(a − y)
        self.fail(u.pos, f"'{u.shown}({inside})' could be {u.shown}·({inside}) or the function "
                         f"{u.shown} applied to {inside}; write {u.shown}·({inside}) for the "
                         f"product, or apply {u.shown} to a variable defined as {inside}")

    # -- scripts: ^ _ ′ ! and Unicode super- and subscripts (R8) --------------------------------
    def sup(self, meta, tok, arg):
        return ("sup", self.script(arg, tok), tok)

    def sub(self, meta, tok, arg):
        return ("sub", self.script(arg, tok), tok)

    def prime(self, meta, *toks):
        count = sum(1 if t.value == "\\prime" else sum({"'": 1, "′": 1, "″": 2, "‴": 3}[c] for c in t.value)
                    for t in toks if t.type == "PRIMES")
        return ("prime", count, toks[0])

    def usup(self, meta, tok):
        return ("sup", self.unicode_script(tok, SUPERSCRIPT), tok)

    def usub(self, meta, tok):
        return ("sub", self.unicode_script(tok, SUBSCRIPT), tok)

    def utranspose(self, meta, tok):
        return ("sup", Script(None, top=True), tok)

    def factorial(self, meta, tok):
        return ("bang", None, tok)

    def top(self, meta, tok):
        return TransposeMark(tok)

    def script(self, arg, tok) -> Script:
        """What a ^ or _ carries (TeX's rule in LaTeX: one token or a group)."""
        if isinstance(arg, TransposeMark):
            return Script(None, top=True)
        if self.latex and isinstance(arg, Name) and arg.pos.type == "WORD" and len(arg.shown) > 1:
            arg = LatexWord([arg])  # x_max in LaTeX: TeX's x_m·a·x, whatever the word spells
        if isinstance(arg, LatexWord):
            word = "".join(n.shown for n in arg.names)
            self.fail(tok, f"'{tok.value}{word}': TeX puts only '{word[0]}' in the script; write "
                           f"{tok.value}{{{word}}} or {tok.value}{{{word[0]}}}{word[1:]}")
        if isinstance(arg, Numeral):
            if self.latex and len(arg.text.lstrip("-")) > 1 and arg.text.lstrip("-").isdigit():
                self.fail(tok, f"'{tok.value}{arg.text}': TeX puts only '{arg.text[0]}' in the script; "
                               f"write {tok.value}{{{arg.text}}} or {tok.value}{{{arg.text[0]}}}{arg.text[1:]}")
            digits = arg.text if arg.text.isdigit() else None
            return Script(arg.value, tuple(sp.Integer(d) for d in digits) if digits else None, digits)
        if isinstance(arg, Name):
            if arg.name in CONSTANTS and not arg.literal and len(arg.shown) == 1 and arg.name != "E":
                return Script(CONSTANTS[arg.name], text=arg.name)
            letters = tuple(symbol(c) for c in arg.name) if arg.name.isalpha() and len(arg.shown) > 1 \
                and arg.pos.type == "WORD" else None
            return Script(symbol(arg.name), letters, arg.name)
        if isinstance(arg, Group):
            if len(arg.items) > 1:
                return Script(sp.Tuple(*(self.v(i) for i in arg.items)), tuple(self.v(i) for i in arg.items))
            inner = arg.items[0]
            if isinstance(inner, (Name, Numeral, TransposeMark)):
                return self.script(inner, tok)
            value = self.after(self.v(inner), arg)
            items = value.args if id(value) in self.juxtaposed and all(
                isinstance(a, (sp.Symbol, sp.Integer)) for a in value.args) else None
            if arg.bracket == "(" and isinstance(value, sp.Symbol):
                return Script(value)  # x^(T) is a power of T: only ^T and ^{T} transpose
            if isinstance(value, sp.Symbol) and value.name.isalpha() and value.name not in GREEK_WORDS:
                items = tuple(symbol(c) for c in value.name) if len(value.name) > 1 else None
            text = value.name if isinstance(value, sp.Symbol) else str(value) if value.is_Integer \
                and value >= 0 else None
            return Script(value, items, text)
        return Script(self.v(arg))

    def unicode_script(self, tok, table) -> Script:
        """``ˡ⁻¹`` → l−1, ``₀`` → 0, ``ⱼₖ`` → j, k: read as the ASCII they stand for."""
        ascii_ = tok.value.translate(table)
        if ascii_.isdigit():
            return Script(sp.Integer(ascii_), tuple(sp.Integer(d) for d in ascii_), ascii_)
        if ascii_.isalpha():
            return Script(symbol(ascii_), tuple(symbol(c) for c in ascii_) if len(ascii_) > 1 else None,
                          ascii_)
        try:
            sides, relations, _ = Transformer(ascii_, self.latex).reading(parser().parse(ascii_))
        except (ReadError, lark.exceptions.LarkError) as exc:
            why = str(getattr(exc, "orig_exc", exc)).split(": ", 1)[-1].split("\n")[0]
            self.fail(tok, f"'{tok.value}' ({ascii_}) is not read: {why}")
        if relations:
            self.fail(tok, f"'{tok.value}' holds a relation; a script is an expression")
        return Script(sides[0], text=str(sides[0]) if sides[0].is_Integer and sides[0] >= 0 else None)

    def scripted(self, meta, atom, *scripts):
        """An atom and its scripts, in the order written: ``x!^2`` is (x!)², ``x^2!`` is (x²)!."""
        if not scripts:
            return atom
        first_bang = next((i for i, s in enumerate(scripts) if s[0] == "bang"), len(scripts))
        head, tail = scripts[:first_bang], scripts[first_bang:]
        if any(kind in ("sub", "prime") for kind, _, _ in tail):
            self.fail(tail[0][2], f"'{self.source(meta)}': a subscript or prime after '!' is not read")
        value = self.headed(meta, atom, head) if head else atom
        for kind, s, tok in tail:
            if isinstance(value, Group):
                value.after.append(("!", None) if kind == "bang" else
                                   ("T", None) if s.transpose else ("pow", self.exponent(s, meta)))
                continue
            if isinstance(value, KnownFunction):
                self.fail(tok, f"'{self.source(meta)}': write the function's argument before the '!'")
            if isinstance(value, Factors):
                *rest, last = value.items
                value = Factors(rest + [self.scripted(meta, last, (kind, s, tok))])
                continue
            value = self.counting(sp.factorial(self.v(value), evaluate=False), tok) if kind == "bang" \
                else self.raised(self.v(value), [s], meta)
        return value

    def headed(self, meta, atom, scripts):
        """An atom with its scripts before any '!': indices, a layer, powers, primes (R8)."""
        sups = [s for kind, s, _ in scripts if kind == "sup"]
        subs = [s for kind, s, _ in scripts if kind == "sub"]
        primes = sum(n for kind, n, _ in scripts if kind == "prime")
        if len(subs) > 1:
            self.fail(scripts[0][2], f"'{self.source(meta)}' has two subscripts; write them as one, "
                                     "as in w_{jk}")
        if len(sups) > 1 and self.latex:
            self.fail(scripts[0][2], f"'{self.source(meta)}' has two superscripts; write x^{{a^b}} "
                                     "or (x^a)^b")
        sub = subs[0] if subs else None
        if isinstance(atom, LatexWord):
            return Factors(list(atom.names[:-1]) + [self.name(atom.names[-1], sups, sub, primes, meta)])
        if isinstance(atom, Name):
            return self.name(atom, sups, sub, primes, meta)
        if isinstance(atom, KnownFunction):
            return self.function_scripts(atom, sups, sub, primes)
        if isinstance(atom, Partial):
            if sub is not None or primes or len(sups) != 1:
                self.fail(atom.pos, "∂ takes only its order as a superscript, as in ∂^2 C")
            order = sups[0].value
            if not (order is not None and order.is_Integer and 0 < order <= MAX_ORDER):
                self.fail(atom.pos, f"the order of ∂ is a whole number from 1 to {MAX_ORDER}")
            return Partial(int(order), atom.pos)
        if sub is not None or primes:
            what = "subscript" if sub is not None else "prime"
            self.fail(scripts[0][2], f"a {what} on '{self.source(meta)}' is not read; "
                                     "subscripts and primes go on letters and functions")
        if isinstance(atom, Group):
            atom.after.extend(("T", None) if s.transpose else ("pow", self.exponent(s, meta)) for s in sups)
            return atom
        return self.raised(self.v(atom), sups, meta)

    def raised(self, value, sups: list, meta) -> sp.Expr:
        """``value`` with its superscripts: powers (bounded, :meth:`power`) or transposes."""
        for s in sups:
            value = sp.transpose(value, evaluate=False) if s.transpose else \
                self.power(value, self.exponent(s, meta), meta)
        return value

    def exponent(self, s: Script, meta) -> sp.Expr:
        if s.value is None or isinstance(s.value, sp.Tuple):
            self.fail(meta, f"'{self.source(meta)}': the superscript is not an expression")
        return s.value

    def name(self, n: Name, sups: list, sub: Script | None, primes: int, meta=None):
        """A letter or word with its scripts: a known function, a constant, or a quantity (R8)."""
        if not n.literal and (is_known(n.name) or n.name in FUNCTIONS):
            return self.function_scripts(KnownFunction(n.name, n.shown, n.pos), sups, sub, primes)
        shown_ = self.source(meta) if meta is not None else n.shown
        if n.name in CONSTANTS and not n.literal:
            if sub is not None or primes:
                self.fail(n.pos, f"'{n.shown}' is the constant {CONSTANTS[n.name]}; it takes no "
                                 "subscript or prime (write another letter)")
            return self.raised(CONSTANTS[n.name], sups, meta)
        for s in sups:
            if not s.transpose:
                self.exponent(s, meta)
        sup = combined(sups)
        try:
            plain = scripted(n.name, None if primes else sup, sub, shown_)
            if primes:  # w′, C₀′, w′_k: the prime belongs to the name, then the scripts
                primed = n.name + "′" * primes
                value = scripted(plain.name + "′" * primes, sup, None, shown_) \
                    if isinstance(plain, sp.Symbol) else scripted(primed, sup, sub, shown_)
            else:
                value = plain
        except NotationError as exc:
            self.fail(n.pos, str(exc))
        if isinstance(value, sp.Pow):
            value = self.power(value.base, value.exp, n.pos)
        if not isinstance(value, sp.Symbol) or not isinstance(plain, sp.Symbol):
            return value
        return MaybeFunction(plain.name, value, n.shown, n.pos, n.single, n.explicit, primes)

    def counting(self, e: sp.Expr, pos) -> sp.Expr:
        """n! (n ≤ MAX_COUNT) and binomial(n, m) (n ≤ MAX_BITS, as binomial(n, m) < 2ⁿ), refused
        beyond: their exact value would be too large."""
        n = self.value(e.args[0])
        limit = MAX_COUNT if isinstance(e, sp.factorial) else MAX_BITS
        if n.is_Number and abs(n) > limit:
            self.fail(pos, f"{shown(e)} is too large to compute exactly (n at most {limit})")
        return e

    def function_scripts(self, f: KnownFunction, sups: list, sub: Script | None,
                         primes: int) -> KnownFunction:
        """σ′, \\tanh^2, sigma_prime: the scripts a function name may carry (R3)."""
        if sub is not None:
            if sub.text in ("prime", "prime2", "prime3") and f.name in PRIMED:
                primes += int(sub.text[5:] or 1)
            else:
                self.fail(f.pos, f"a subscript on the function {f.shown} is not read (\\log_2 x is "
                                 f"written \\ln x/\\ln 2)")
        power = f.power
        for s in sups:
            v = s.value
            if s.transpose or v is None or not (v.is_Integer and v > 0):
                inverse = v is not None and v == -1
                self.fail(f.pos, f"'{f.shown}^{shown(v) if v is not None else 'T'}' is not read"
                                 + (": it could be the inverse function or 1/" + f.shown +
                                    "; write 1/" + f.shown + "(x) or the inverse by name" if inverse
                                    else f"; write ({f.shown}(x))^{{…}}"))
            power = v if power is None else power * v
        return KnownFunction(f.name, f.shown, f.pos, f.primes + primes, power)

    # -- atoms ------------------------------------------------------------------------------------
    def number(self, meta, tok):
        return Numeral(rational(tok.value, tok, self.latex), tok.value, tok)

    def word(self, meta, tok):
        text = tok.value
        name = canonical(text)
        if not self.latex or len(text) == 1 or is_known(name) or name in CONSTANTS \
                or text in GREEK_WORDS:
            return Name(name, text, tok, single=len(text) == 1 or text in GREEK_WORDS)
        if not text.isalpha():
            self.fail(tok, f"in LaTeX '{text}' is a product of its letters and digits; write "
                           f"{text[0]}_{{{text[1:]}}} or \\mathrm{{{text}}} for a name, or put spaces "
                           "between the factors")
        return LatexWord([Name(c, c, Token.new_borrow_pos("WORD", c, tok) if i == 0 else
                             Token("WORD", c, tok.start_pos + i, tok.line, tok.column + i), single=True)
                       for i, c in enumerate(text)])

    def letter(self, meta, tok):
        return Name(canonical(tok.value), tok.value, tok, single=True)

    def function(self, meta, tok):
        return KnownFunction(canonical(tok.value), tok.value, tok)

    def named(self, meta, tok):
        command, content = re.match(r"\\(\w+)\s*\{(.*)\}$", tok.value, re.S).groups()
        content = content.strip()
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", content):
            self.fail(tok, f"'{tok.value}' is prose, not a name; a name is letters and digits, as in "
                           f"\\{command}{{ReLU}}")
        name = canonical(content)
        if command == "operatorname":
            if not is_known(name) and len(content) > 1:
                self.fail(tok, f"unknown function '{content}'; known functions: "
                               f"{', '.join(sorted(FUNCTIONS))}; an undefined function is one letter, f(x)")
            return Name(name, content, tok, single=True, explicit=not is_known(name))
        if command.startswith("text") and (is_known(name) or name in CONSTANTS):
            self.fail(tok, f"'{tok.value}' names the {'function' if is_known(name) else 'constant'} "
                           f"{content}; write it without \\{command}, or choose another name")
        # \text{…} is a name; \mathrm{…} a known function or constant (\mathrm{e}), else a name
        return Name(name, content, tok, single=len(content) == 1, literal=command.startswith("text"))

    def typeface(self, meta, tok, group):
        inner = self.only(group, tok)
        if isinstance(inner, MaybeFunction) and not inner.primes:
            return Name(inner.function, inner.shown, inner.pos, inner.single)
        return group

    def braces(self, meta, left, items, right):
        return Group(items, "{", left)

    def parens(self, meta, left, items, right):
        return Group(items, "(", left)

    def brackets(self, meta, left, items, right):
        return Group(items, "[", left)

    def set_braces(self, meta, left, items, right):
        return Group(items, "\\{", left)

    def items(self, meta, *children):
        return tuple(c for c in children if not (isinstance(c, Token) and c.type == "COMMA"))

    def abs(self, meta, left, inner, right):
        return sp.Abs(self.v(inner), evaluate=False)

    def norm(self, meta, left, inner, right):
        return norm(self.v(inner), evaluate=False)

    def binom(self, meta, tok, top, bottom):
        return sp.binomial(self.v(self.only(top, tok)), self.v(self.only(bottom, tok)), evaluate=False)

    def root(self, meta, left, degree, right):
        n = self.v(degree)
        if not (n.is_Integer and 2 <= n <= MAX_EXPONENT):
            self.fail(left, f"the degree of a root is a whole number from 2 to {MAX_EXPONENT}")
        return n

    def sqrt(self, meta, tok, *children):
        degree = children[0] if len(children) == 2 else 2
        return sp.Pow(self.v(children[-1]), sp.Rational(1, degree), evaluate=False)

    def partial(self, meta, tok):
        return Partial(1, tok)

    def nabla(self, meta, tok, sub, wrt):
        return Nabla(self.script(wrt, sub).value, tok)



def combined(sups: list) -> Script | None:
    """x^a^b (plain) is x^(a^b), as Python reads 2**3**2."""
    if not sups:
        return None
    if len(sups) == 1:
        return sups[0]
    value = sups[-1].value
    for s in reversed(sups[:-1]):
        value = sp.Pow(s.value, value, evaluate=False)
    return Script(value)
