r"""How the book writes our symbols: ``latex(expr)`` is the one LaTeX printer every output uses.

SymPy's printer with the book's typography:

* partial derivatives with ∂, as :math:`\partial C/\partial w` when the differentiated thing is a
  name (an undefined function's arguments are dropped: :math:`\partial C_0/\partial w_2`), and
  :math:`\sigma'(z)`, :math:`\sigma''(z)` for an activation of one variable;
* ``ln`` for the natural logarithm, ``sgn`` for the sign, ⊙ for the Hadamard product;
* ``logaddexp(0, z)`` (the stable form numpy evaluates) as the function it is, :math:`\ln(1+e^z)`;
* the Heaviside step as the cases it stands for (``Heaviside(z, 0)``: 1 for z > 0, 0 for z ≤ 0);
* ``And(0 < a, a < 1)`` as the chain :math:`0 < a < 1`;
* code-friendly names (``lmbda``, ``nabla_w``, ``NablaA`` …) as the book's symbols.

Every rule prints the expression it is given; nothing is rewritten before printing, so what is
shown is what SymPy holds.  Display forms (:mod:`derive.core.display`) choose the book's order of terms
by building expressions unevaluated; they print with ``order="none"``.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Mapping

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE
from sympy.printing.pretty.pretty_symbology import pretty_use_unicode

__all__ = ["LATEX_NAMES", "SYMBOL_LATEX", "BookLatexPrinter", "latex", "prime_head", "name_symbols",
           "math_char", "unicode_to_latex", "segments", "MATH_SYMBOLS", "TEXT_SYMBOLS", "plain_math"]

#: Symbol name -> LaTeX, for names SymPy would not print as the book does.
LATEX_NAMES: dict[str, str] = {
    "lmbda": r"\lambda",
    "nabla_w": r"\nabla_w",
    "nabla_b": r"\nabla_b",
    "lse": r"\operatorname{lse}",
}

#: Particular symbols (by value: a MatrixSymbol is its name and shape) -> LaTeX.  Filled by the
#: theorem modules whose code names differ from the book's, through :func:`name_symbols`.
SYMBOL_LATEX: dict[sp.Basic, str] = {}


def name_symbols(names: Mapping[sp.Basic, str]) -> None:
    r"""Print each symbol of ``names`` as its LaTeX, in every output (``NablaA`` ->
    ``\nabla_{A} C``): for a theorem module whose names in code differ from the book's.

    Raises ``ValueError`` when a symbol already has another LaTeX (two modules disagree)."""
    for symbol, tex in names.items():
        if SYMBOL_LATEX.get(symbol, tex) != tex:
            raise ValueError(f"name_symbols: {symbol} is already printed as "
                             f"{SYMBOL_LATEX[symbol]!r}, not {tex!r}")
    SYMBOL_LATEX.update(names)


#: One-variable functions whose derivative the book writes with a prime: class name -> LaTeX head.
_PRIMED = {"sigmoid": r"\sigma", "tanh": r"\tanh", "relu": r"\operatorname{ReLU}",
           "sigma": r"\sigma"}


def prime_head(f: sp.Basic) -> str | None:
    """The LaTeX head (``\\sigma``) of ``f(x)`` when the book writes its derivative ``f'(x)``."""
    if isinstance(f, sp.Function) and len(f.args) == 1:
        return _PRIMED.get(type(f).__name__)
    return None


def _primes(n: int) -> str:
    return "'" * n if n <= 3 else f"^{{({n})}}"


class BookLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with the book's notation (see the module docstring)."""

    printmethod = "_latex"

    # -- names -----------------------------------------------------------------------------------
    def _print_Symbol(self, expr, style="plain"):
        if expr in SYMBOL_LATEX:
            return SYMBOL_LATEX[expr]
        if expr.name in LATEX_NAMES:
            return LATEX_NAMES[expr.name]
        if "/" in expr.name:  # a quotient written as a name (∂C_0/∂w): already LaTeX, keep it whole
            return expr.name
        return super()._print_Symbol(expr, style)

    def _print_MatrixSymbol(self, expr):
        if expr in SYMBOL_LATEX:
            return SYMBOL_LATEX[expr]
        return super()._print_MatrixSymbol(expr)

    def _print_OneMatrix(self, expr):
        # a row of ones is the transpose of the ones column the book writes as 1
        return r"\mathbf{1}^{T}" if expr.rows == 1 and expr.cols != 1 else r"\mathbf{1}"

    def _print_Mul(self, expr):
        # a product written unevaluated as (−1)·2·(y − a): the sign in front, −2 (y − a)
        if expr.args and expr.args[0] == -1 and len(expr.args) > 2 and not expr.is_Number:
            return "- " + self._print(sp.Mul(*expr.args[1:], evaluate=False))
        return super()._print_Mul(expr)

    def _print_MatMul(self, expr):
        # ½ uᵀHu, as the book writes a scalar in front of a matrix product: not (½) uᵀHu
        c, rest = expr.args[0], expr.args[1:]
        if getattr(c, "is_Rational", False) and c not in (1, -1) and rest:
            body = " ".join(self.parenthesize(m, PRECEDENCE["Mul"], strict=False) for m in rest)
            return "%s %s" % (self._print(c), body)
        return super()._print_MatMul(expr)

    def _print_HadamardProduct(self, expr):
        return r" \odot ".join(self.parenthesize(a, PRECEDENCE["Mul"], strict=False)
                               for a in expr.args)

    # -- derivatives -----------------------------------------------------------------------------
    def _head(self, e) -> str | None:
        """LaTeX of what is differentiated when it is a name: C, w_j, C_0 (of any arguments)."""
        if isinstance(e, (sp.Symbol, sp.Indexed, sp.MatrixSymbol)):
            return self._print(e)
        if isinstance(e, AppliedUndef):
            return self._print(sp.Symbol(type(e).__name__))
        return None

    def _print_Derivative(self, expr):
        f = expr.expr
        counts = list(expr.variable_count)
        head = prime_head(f)
        if head is not None and len(counts) == 1 and counts[0][0] == f.args[0]:
            return r"%s%s\left(%s\right)" % (head, _primes(int(counts[0][1])),
                                             self._print(f.args[0]))
        dim = sum(int(n) for _, n in counts)
        den = " ".join(r"\partial %s" % self._print(x) if n == 1 else
                       r"\partial %s^{%s}" % (self.parenthesize_super(self._print(x)), self._print(n))
                       for x, n in counts)
        num = r"\partial" if dim == 1 else r"\partial^{%d}" % dim
        name = self._head(f)
        if name is not None:
            return r"\frac{%s %s}{%s}" % (num, name, den)
        return r"\frac{%s}{%s} %s" % (num, den, self.parenthesize(f, PRECEDENCE["Mul"], strict=True))

    def _print_Subs(self, subs):
        expr, old, new = subs.args
        if isinstance(expr, sp.Derivative) and len(old) == 1:
            f = expr.expr
            counts = list(expr.variable_count)
            head = prime_head(f)
            if head is not None and len(counts) == 1 and counts[0][0] == f.args[0] == old[0]:
                return r"%s%s\left(%s\right)" % (head, _primes(int(counts[0][1])), self._print(new[0]))
        return super()._print_Subs(subs)

    # -- functions -------------------------------------------------------------------------------
    def _print_sign(self, expr, exp=None):
        tex = r"\operatorname{sgn}\left(%s\right)" % self._print(expr.args[0])
        return tex if exp is None else r"\operatorname{sgn}^{%s}\left(%s\right)" % (exp, self._print(expr.args[0]))

    def _print_logaddexp(self, expr, exp=None):
        terms = [sp.S.One if t == 0 else sp.exp(t) for t in expr.args]
        inner = " + ".join(self._print(t) for t in terms)
        tex = r"\ln\left(%s\right)" % inner
        return tex if exp is None else r"\left(%s\right)^{%s}" % (tex, exp)

    def _print_Heaviside(self, expr, exp=None):
        x = self._print(expr.args[0])
        h0 = expr.args[1] if len(expr.args) > 1 else None
        if h0 == 0:
            tex = r"\begin{cases} 1 & %s > 0 \\ 0 & %s \le 0 \end{cases}" % (x, x)
        elif h0 == 1:
            tex = r"\begin{cases} 1 & %s \ge 0 \\ 0 & %s < 0 \end{cases}" % (x, x)
        else:
            return super()._print_Heaviside(expr, exp)
        return tex if exp is None else r"\left(%s\right)^{%s}" % (tex, exp)

    # -- logic -----------------------------------------------------------------------------------
    def _print_And(self, expr):
        args = list(expr.args)
        chain = _chain(args)
        if chain is not None:
            return chain(self)
        return r"\quad\text{and}\quad ".join(self._print(a) for a in args)


_REL = {sp.StrictLessThan: "<", sp.LessThan: r"\le", sp.StrictGreaterThan: ">",
        sp.GreaterThan: r"\ge"}


def _chain(args):
    """``a < b`` and ``b < c`` (in either order) as the chain ``a < b < c``; None otherwise."""
    if len(args) != 2 or not all(type(a) in _REL for a in args):
        return None
    up = lambda r: (r.lhs, r.rhs, r) if type(r) in (sp.StrictLessThan, sp.LessThan) else (r.rhs, r.lhs, r)  # noqa: E731
    (a1, b1, r1), (a2, b2, r2) = (up(a) for a in args)
    if b1 == a2:
        first, second = (a1, b1, r1), (a2, b2, r2)
    elif b2 == a1:
        first, second = (a2, b2, r2), (a1, b1, r1)
    else:
        return None
    flip = {sp.StrictGreaterThan: "<", sp.GreaterThan: r"\le"}

    def op(r):
        return flip.get(type(r), _REL[type(r)])

    return lambda p: "%s %s %s %s %s" % (p._print(first[0]), op(first[2]), p._print(first[1]),
                                         op(second[2]), p._print(second[1]))


def latex(expr: sp.Basic, **settings) -> str:
    """LaTeX of ``expr`` in the book's notation (:class:`BookLatexPrinter`, ``ln`` for logs),
    ASCII only (Unicode in symbol names spelled as commands, so pdflatex and MathJax read it)."""
    settings.setdefault("ln_notation", True)
    return unicode_to_latex(BookLatexPrinter(settings).doprint(expr))


# --- Unicode -> LaTeX ------------------------------------------------------------------------------

_GREEK_UPPER = {"Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi",
                "Omega"}
_GREEK_FIX = {"lamda": "lambda", "omicron": "o", "final sigma": "varsigma"}

#: Unicode symbols -> LaTeX math commands (used in math mode; wrapped in $...$ in text).
MATH_SYMBOLS: dict[str, str] = {
    "′": "'", "″": "''", "−": "-", "→": r"\to", "←": r"\leftarrow", "↦": r"\mapsto",
    "⇒": r"\Rightarrow", "⇔": r"\Leftrightarrow", "⟺": r"\Leftrightarrow", "∞": r"\infty",
    "≤": r"\le", "≥": r"\ge", "≠": r"\ne", "≈": r"\approx", "≡": r"\equiv", "·": r"\cdot",
    "×": r"\times", "∂": r"\partial", "∑": r"\sum", "∏": r"\prod", "∫": r"\int", "∇": r"\nabla",
    "⊙": r"\odot", "∘": r"\circ", "ℓ": r"\ell", "√": r"\surd", "∈": r"\in", "∉": r"\notin",
    "±": r"\pm", "∓": r"\mp", "∀": r"\forall", "∃": r"\exists", "∧": r"\wedge", "∨": r"\vee",
    "¬": r"\neg", "⊂": r"\subset", "⊆": r"\subseteq", "∪": r"\cup", "∩": r"\cap", "∅": r"\emptyset",
    "ℝ": r"\mathbb{R}", "ℕ": r"\mathbb{N}", "ℤ": r"\mathbb{Z}", "⟨": r"\langle", "⟩": r"\rangle",
    "‖": r"\|", "∼": r"\sim", "≪": r"\ll", "≫": r"\gg", "∝": r"\propto", "°": r"^\circ",
    "…": r"\ldots", "ϵ": r"\epsilon", "ϑ": r"\vartheta", "ϕ": r"\phi", "ℏ": r"\hbar", "⋅": r"\cdot", "∗": "*",
    "⁄": "/",
}
#: Unicode punctuation -> LaTeX text.
TEXT_SYMBOLS: dict[str, str] = {
    "—": "---", "–": "--", "“": "``", "”": "''", "‘": "`", "’": "'", "…": r"\ldots{}",
    "\u00a0": "~", "§": r"\S{}", "¶": r"\P{}", "©": r"\copyright{}", "•": r"\textbullet{}",
    "½": r"$\frac12$", "¼": r"$\frac14$", "¾": r"$\frac34$",
}


def math_char(ch: str) -> str | None:
    r"""The math-mode LaTeX of one non-ASCII character, or None when it has none: ``σ`` ->
    ``\sigma``, ``≤`` -> ``\le``, ``Δ`` -> ``\Delta``, ``²`` -> ``^{2}``, ``ₖ`` -> ``_{k}``
    (:data:`MATH_SYMBOLS`, then the Greek letters and the super- and subscripts by their Unicode
    names)."""
    if ch in MATH_SYMBOLS:
        return MATH_SYMBOLS[ch]
    name = unicodedata.name(ch, "")
    m = re.fullmatch(r"(MATHEMATICAL ITALIC )?GREEK (SMALL|CAPITAL) LETTER ([A-Z ]+)", name)
    if m:
        letter = m.group(3).lower()
        letter = _GREEK_FIX.get(letter, letter)
        if letter == "o":
            return "o" if m.group(2) == "SMALL" else "O"
        if " " in letter:
            return None
        if m.group(2) == "CAPITAL":
            cap = letter.capitalize()
            return "\\" + cap if cap in _GREEK_UPPER else _greek_latin(cap)
        return "\\" + letter
    dec = unicodedata.decomposition(ch)
    kind = re.match(r"<(super|sub)> ([0-9A-F]+)$", dec)
    if kind:
        inner = chr(int(kind.group(2), 16))
        inner = inner if inner.isascii() else (math_char(inner) or "")
        if inner:
            return ("^{%s}" if kind.group(1) == "super" else "_{%s}") % inner
    return None


def _greek_latin(cap: str) -> str:
    """Capital Greek letters LaTeX writes with a Latin letter (Alpha -> A, ...)."""
    return {"Alpha": "A", "Beta": "B", "Epsilon": "E", "Zeta": "Z", "Eta": "H", "Iota": "I",
            "Kappa": "K", "Mu": "M", "Nu": "N", "Rho": "P", "Tau": "T", "Chi": "X"}.get(cap, "?")


def unicode_to_latex(latex: str) -> str:
    """Replace non-ASCII characters of math-mode LaTeX by commands (σ -> ``{\\sigma}``).

    Raises ``ValueError`` for a character with no LaTeX spelling.
    """
    if latex.isascii():
        return latex
    out = []
    for ch in latex:
        if ch.isascii():
            out.append(ch)
            continue
        cmd = math_char(ch)
        if cmd is None:
            raise ValueError(f"no LaTeX for the character {ch!r} (U+{ord(ch):04X}) in {latex!r}")
        out.append("{" + cmd + "}")
    return "".join(out)



# --- prose with inline mathematics ------------------------------------------------------------------

_MARKED = re.compile(r"\$([^$]+)\$|`([^`]+)`")


def segments(text: str) -> list[tuple[str, str]]:
    """A reason or note as ``("text", prose)``, ``("math", latex)`` and ``("code", name)`` pieces:
    ``$...$`` marks inline mathematics (LaTeX, Unicode allowed: it is spelled out), backquotes a
    name from the code (a theorem id); everything else is prose.

    Raises ``ValueError`` for an unmatched ``$`` or backquote."""
    if text.count("$") % 2 or text.count("`") % 2:
        raise ValueError(f"unmatched $ or ` in {text!r}")
    out: list[tuple[str, str]] = []
    pos = 0
    for m in _MARKED.finditer(text):
        if m.start() > pos:
            out.append(("text", text[pos:m.start()]))
        if m.group(1) is not None:
            out.append(("math", unicode_to_latex(m.group(1).strip())))
        else:
            out.append(("code", m.group(2)))
        pos = m.end()
    if pos < len(text):
        out.append(("text", text[pos:]))
    return out


# --- the terminal: SymPy's pretty printer with the same typography ----------------------------------

def _pretty_printer():
    from sympy.core.function import AppliedUndef as _Undef
    from sympy.printing.pretty.pretty import PrettyPrinter
    from sympy.printing.pretty.stringpict import prettyForm, stringPict

    class BookPrettyPrinter(PrettyPrinter):
        """Unicode pretty printing as the book writes it: ∂ for every derivative (``∂C/∂w``),
        σ′(z) for an activation, ln, sgn, ln(1 + eᶻ) for logaddexp, the step function's cases."""

        def _print_Derivative(self, deriv):
            f = deriv.expr
            counts = list(deriv.variable_count)
            head = _PRETTY_PRIMED.get(type(f).__name__) if isinstance(f, sp.Function) and len(f.args) == 1 else None
            if head and len(counts) == 1 and counts[0][0] == f.args[0] and counts[0][1] <= 3:
                arg = self._print(f.args[0]).parens()
                return prettyForm(*prettyForm(head + "′" * int(counts[0][1])).right(prettyForm(*arg)))
            den = None
            total = 0
            for sym, num in reversed(counts):
                ds = prettyForm(*self._print(sym).left("∂"))
                total += num
                if num != 1:
                    ds = ds ** prettyForm(str(num))
                den = ds if den is None else prettyForm(*prettyForm(*den.right(" ")).right(ds))
            num = prettyForm("∂") if total == 1 else prettyForm("∂") ** prettyForm(str(total))
            if isinstance(f, (sp.Symbol, sp.Indexed, _Undef)):
                name = self._print(sp.Symbol(type(f).__name__)) if isinstance(f, _Undef) else self._print(f)
                num = prettyForm(*num.right(name))
                return num / den
            frac = num / den
            return prettyForm(*stringPict.next(frac, prettyForm(binding=prettyForm.FUNC,
                                                                *self._print(f).parens())))

        def _print_Subs(self, e):
            expr, old, new = e.args
            if isinstance(expr, sp.Derivative) and len(old) == 1 and isinstance(expr.expr, sp.Function) \
                    and len(expr.expr.args) == 1 and expr.expr.args[0] == old[0] \
                    and type(expr.expr).__name__ in _PRETTY_PRIMED and len(expr.variable_count) == 1:
                n = int(expr.variable_count[0][1])
                head = _PRETTY_PRIMED[type(expr.expr).__name__] + "′" * n
                return prettyForm(*prettyForm(head).right(prettyForm(*self._print(new[0]).parens())))
            return super()._print_Subs(e)

        def _print_log(self, e):
            return self._print_Function(sp.Function("ln")(*e.args))

        def _print_sign(self, e):
            return self._print_Function(sp.Function("sgn")(*e.args))

        def _print_logaddexp(self, e):
            terms = [sp.S.One if t == 0 else sp.exp(t) for t in e.args]
            return self._print_Function(sp.Function("ln")(sp.Add(*terms, evaluate=False)))

        def _print_Heaviside(self, e):
            x = e.args[0]
            if len(e.args) > 1 and e.args[1] == 0:
                return self._print(sp.Piecewise((1, x > 0), (0, True)))
            return super()._print_Heaviside(e)

        def _print_Symbol(self, e, bold_name=False):
            if e in SYMBOL_LATEX or e.name in LATEX_NAMES or any(c in e.name for c in "\\{"):
                return prettyForm(_plain(SYMBOL_LATEX.get(e, LATEX_NAMES.get(e.name, e.name))))
            return super()._print_Symbol(e, bold_name)

        def _print_MatrixSymbol(self, e):
            if e in SYMBOL_LATEX or any(c in e.name for c in "\\{"):
                return prettyForm(_plain(SYMBOL_LATEX.get(e, e.name)))
            return super()._print_MatrixSymbol(e)

        def _print_Indexed(self, e):
            if all(isinstance(i, (sp.Symbol, sp.Integer)) for i in e.indices):
                base = str(e.base.label)
                idx = "".join(str(i) for i in e.indices)
                return prettyForm(_plain(f"{{{base}}}_{{{idx}}}"))
            return super()._print_Indexed(e)

        def _print_Function(self, e, sort=False, func_name=None, left="(", right=")"):
            name = _PRETTY_PRIMED.get(type(e).__name__)
            if name is not None and func_name is None:
                return super()._print_Function(e, sort, name, left, right)
            return super()._print_Function(e, sort, func_name, left, right)

        def _print_ZeroMatrix(self, e):  # the zero vector, written 0 as the book does (not 𝟘)
            return prettyForm("0")

        def _print_Max(self, e):
            return self._print_Function(e, func_name="max")

        def _print_Min(self, e):
            return self._print_Function(e, func_name="min")

    return BookPrettyPrinter


_PRETTY_PRIMED = {"sigmoid": "σ", "tanh": "tanh", "relu": "ReLU", "sigma": "σ"}
_PRETTY_CLASS = None


def pretty(expr: sp.Basic, **settings) -> str:
    """``expr`` as Unicode text (SymPy's pretty printer with the book's typography).  SymPy's
    symbol tables also read a flag of the process, which it sets from the encoding of standard
    output when it is first imported (ASCII under ``PYTHONIOENCODING=ascii``): it is set as
    ``use_unicode`` says for the call, as ``sympy.pretty`` does."""
    global _PRETTY_CLASS
    if _PRETTY_CLASS is None:
        _PRETTY_CLASS = _pretty_printer()
    settings.setdefault("use_unicode", True)
    settings.setdefault("wrap_line", False)
    before = pretty_use_unicode(settings["use_unicode"])
    try:
        return _PRETTY_CLASS(settings).doprint(expr)
    finally:
        pretty_use_unicode(before)


_SUPER = str.maketrans("0123456789+-=()nijklTLx", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱʲᵏˡᵀᴸˣ")
_SUB = str.maketrans("0123456789+-=()aeijklmnopqrstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑᵢⱼₖₗₘₙₒₚqᵣₛₜᵤᵥₓ")
_COMMANDS = {r"\sum": "Σ", r"\ln": "ln", r"\max": "max", r"\to": "→", r"\cdot": "·", r"\,": "",
             r"\{": "\x01", r"\}": "\x02", r"\ldots": "…", r"\odot": "⊙", r"\nabla": "∇", r"\partial": "∂",
             r"\le": "≤", r"\ge": "≥", r"\ne": "≠", r"\infty": "∞", r"\in": "∈", r"\times": "×",
             r"\prime": "′", r"\quad": " "}


def _plain(tex: str) -> str:
    """Inline LaTeX as readable Unicode text: \\frac{a}{b} -> a/b, x^{2} -> x², \\sigma -> σ."""
    s = tex
    for _ in range(3):
        s = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", lambda m: f"{_wrap(m.group(1))}/{_wrap(m.group(2))}", s)
        s = re.sub(r"\\(?:operatorname|mathrm|mathbf|text|hat|bar)\{([^{}]*)\}", r"\1", s)
    s = re.sub(r"\\left|\\right", "", s)
    for cmd, u in sorted(_COMMANDS.items(), key=lambda kv: -len(kv[0])):
        # a named command (\sum) must end where a letter does not follow; \{ and \, end by themselves
        s = re.sub(re.escape(cmd) + (r"(?![A-Za-z])" if cmd[1:].isalpha() else ""), u, s)

    def greek(m):
        name = {"lambda": "lamda", "Lambda": "Lamda"}.get(m.group(1), m.group(1))
        try:
            return unicodedata.lookup(f"GREEK {'CAPITAL' if name[0].isupper() else 'SMALL'} LETTER {name.upper()}")
        except KeyError:
            return m.group(0)
    s = re.sub(r"\\([A-Za-z]+)", greek, s)

    def script(m):
        table = _SUPER if m.group(1) == "^" else _SUB
        body = m.group(2) if m.group(2) is not None else m.group(3)
        t = body.translate(table)
        if all(ord(c) > 127 or c == " " for c in t):
            return t
        return ("^" if m.group(1) == "^" else "_") + (body if len(body) == 1 else f"({body})")
    s = re.sub(r"([\^_])(?:\{([^{}]*)\}|([A-Za-z0-9]))", script, s)
    # grouping braces go; a brace the text asked for (\{, \}) stays; one prime: σ′, w′
    return s.replace("{", "").replace("}", "").replace("\x01", "{").replace("\x02", "}").replace("'", "′")


def plain_math(tex: str) -> str:
    """Loose inline LaTeX (``n_{l+1} = 2``, ``δ^L = ∇_a C``) as Unicode text (``nₗ₊₁ = 2``, ``δᴸ = ∇ₐ C``),
    for prose that must read without a math renderer."""
    return _plain(tex)


def _wrap(s: str) -> str:
    return s if re.fullmatch(r"[\w∂′^_{}]+", s) else f"({s})"


def plain_text(text: str) -> str:
    """A reason with ``$...$`` mathematics as terminal text (the mathematics in Unicode)."""
    return _MARKED.sub(lambda m: _plain(m.group(1)) if m.group(1) is not None else m.group(2), text)
