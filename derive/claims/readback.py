r"""What was read, shown back in the book's notation (plain Unicode): ``shown(reading)``.

>>> from gradproof.derive.claims.reader import read
>>> shown(read(r"\sigma(z)(1-\sigma(z))"))
'σ(z)·(1 − σ(z))'
>>> shown(read(r"\frac{\partial C}{\partial w^l_{jk}}"))
'∂C/∂w^l_jk'

Every verdict on text is to be preceded by this line (``read as: …``) so that a misreading shows.
It prints the reading as written (the unevaluated expression the reader built: ``x/x`` stays
``x/x``), in the notation of the book's pages: juxtaposition after a number (``2x``), ``·``
between other factors (so ``a·x`` and the name ``ax`` differ on the page), ``−``, superscript
powers ``x²``, ``σ′(z)``, ``∂C/∂w^l_jk``, ``∑_{k=1}^{n}``, ``|x|``, ``‖v‖``, ``(w^{l+1})ᵀ``, ``⊙``,
Greek letters, subscript digits (``C₀``).  The text it prints is plain (no backslash), and reading it
again gives the same expression: the test module holds the two to that.
"""
from __future__ import annotations

import functools
import re

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter

from .quantities import NETWORK, Layer, gradient, hadamard, is_layer, is_unwritten_bound, norm

__all__ = ["shown", "shown_latex", "GREEK"]

#: ASCII names of Greek letters → the letters.
GREEK = {name: chr(code) for name, code in (
    ("alpha", 0x3B1), ("beta", 0x3B2), ("gamma", 0x3B3), ("delta", 0x3B4), ("epsilon", 0x3B5),
    ("zeta", 0x3B6), ("eta", 0x3B7), ("theta", 0x3B8), ("iota", 0x3B9), ("kappa", 0x3BA),
    ("lambda", 0x3BB), ("mu", 0x3BC), ("nu", 0x3BD), ("xi", 0x3BE), ("omicron", 0x3BF),
    ("rho", 0x3C1), ("tau", 0x3C4), ("upsilon", 0x3C5), ("phi", 0x3C6), ("chi", 0x3C7),
    ("psi", 0x3C8), ("omega", 0x3C9), ("Gamma", 0x393), ("Delta", 0x394), ("Theta", 0x398),
    ("Lambda", 0x39B), ("Xi", 0x39E), ("Pi", 0x3A0), ("Upsilon", 0x3A5), ("Phi", 0x3A6),
    ("Psi", 0x3A8), ("Omega", 0x3A9))}

_FUNCTION_NAMES = {"sigmoid": "σ", "relu": "ReLU", "log": "ln", "sign": "sgn", "Max": "max",
                   "Min": "min", "binomial": "binomial"}
_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_PRIMES = {1: "′", 2: "″", 3: "‴"}

_LATEX_RELATIONS = {"=": "=", "<": "<", "≤": r"\le", ">": ">", "≥": r"\ge", "≠": r"\ne",
                    "≈": r"\approx", "≡": r"\equiv", "→": r"\to"}


class _AsWritten(LatexPrinter):
    """SymPy's LaTeX printer on the reader's unevaluated tree, in the order written
    (``order="none"``), ln for log, and a prime for the reader's prime (a ``Subs`` of a derivative
    at a fresh variable): σ′(z), not ``d/dξ σ(ξ)|_{ξ=z}``."""

    def __init__(self):
        super().__init__({"order": "none", "ln_notation": True})

    def _print_Subs(self, expr):
        body, (var,), (point,) = expr.args[0], expr.args[1], expr.args[2]
        if (isinstance(body, sp.Derivative) and all(v == var for v, _ in body.variable_count)
                and isinstance(body.expr, sp.Function) and body.expr.args == (var,)):
            n = body.derivative_count
            primes = "'" * n if n <= 3 else f"^{{({n})}}"
            return rf"{self._function_name(body.expr)}{primes}\left({self._print(point)}\right)"
        return super()._print_Subs(expr)

    def _print_Indexed(self, expr):
        """The network's quantities as the book writes them: w^{l}_{jk}, a^{l-1}_k, \\delta^{L}_j."""
        label = str(expr.base.label)
        letter = NETWORK.get(label)
        indices = list(expr.indices)
        head = r"\delta" if label == "delta" else self._deal_with_super_sub(name(label))
        def text(i) -> str:
            return _index(i).replace("−", "-")
        if letter is not None and letter.layered and len(indices) == letter.neurons[0] + 1:
            layer, *neurons = indices
            sub = "".join(text(i) for i in neurons) if all(len(text(i)) == 1 for i in neurons) \
                else ",".join(text(i) for i in neurons)
            return f"{head}^{{{text(layer)}}}_{{{sub}}}"
        return f"{head}_{{{','.join(text(i) for i in indices)}}}"

    def _print_Derivative(self, expr):
        """∂C/∂w^l_{jk} (the book's partial derivative) when a variable is an indexed quantity."""
        if len(expr.variable_count) == 1 and expr.variable_count[0][1] == 1 \
                and isinstance(expr.variables[0], sp.Indexed):
            var = self._print(expr.variables[0])
            if isinstance(expr.expr, sp.Symbol):
                return rf"\frac{{\partial {self._print(expr.expr)}}}{{\partial {var}}}"
            return rf"\frac{{\partial}}{{\partial {var}}}\left({self._print(expr.expr)}\right)"
        return super()._print_Derivative(expr)

    def _function_name(self, f) -> str:
        name = getattr(f.func, "__name__", str(f.func))
        return {"sigmoid": r"\sigma", "sigma": r"\sigma", "tanh": r"\tanh", "relu": r"\operatorname{ReLU}",
                "exp": r"\exp", "log": r"\ln"}.get(name, self._deal_with_super_sub(name))


def shown_latex(reading) -> str:
    """A reading as LaTeX in the order it was written (for typesetting what the reader typed)."""
    printer = _AsWritten()
    out = printer.doprint(reading.sides[0])
    for rel, side in zip(reading.relations, reading.sides[1:]):
        out += f" {_LATEX_RELATIONS.get(rel, rel)} {printer.doprint(side)}"
    return out


# precedence: how tightly a shown form binds (an operand looser than its place is parenthesized)
_ADD, _MUL, _NEG, _POW, _ATOM = 1, 2, 3, 4, 5


def shown(x) -> str:
    """A reading (its sides and relations) or an expression, in the book's notation."""
    if hasattr(x, "sides") and hasattr(x, "relations"):
        out = _show(x.sides[0])[0]
        for rel, side in zip(x.relations, x.sides[1:]):
            out += f" {rel} {_show(side)[0]}"
        return out
    return _show(sp.sympify(x))[0]


def _wrap(e, prec: int) -> str:
    text, p = _show(e)
    return f"({text})" if p < prec else text


@functools.lru_cache(maxsize=4096)
def _show(e) -> tuple[str, int]:
    """(text, precedence) of ``e`` (cached: a sum asks for a term's precedence and then its text, so
    a 190-level continued fraction would otherwise be shown 2¹⁹⁰ times)."""
    if isinstance(e, sp.Integer):
        return (str(e), _ATOM) if e >= 0 else (f"−{-e}", _NEG)
    if isinstance(e, sp.Rational):
        return (f"{e.p}/{e.q}", _MUL) if e > 0 else (f"−{-e.p}/{e.q}", _NEG)
    if e is sp.E:
        return "e", _ATOM
    if e is sp.pi:
        return "π", _ATOM
    if isinstance(e, sp.Symbol):
        return name(e.name), _ATOM
    if isinstance(e, sp.Indexed):
        return _indexed(e), _ATOM
    if isinstance(e, sp.KroneckerDelta):
        texts = [_index(i) for i in e.args]
        single = all(len(i) == 1 and i.isalpha() for i in texts)
        return "δ" + ("_" + "".join(texts) if single else _subscript(e.args)), _ATOM
    if isinstance(e, Layer):
        return name(e.letter) + _superscript_layer(e.layer), _ATOM
    if isinstance(e, sp.Add):
        return _add(e), _ADD
    if isinstance(e, sp.Mul):
        return _mul(e)
    if isinstance(e, sp.Pow):
        return _pow(e)
    if isinstance(e, sp.Derivative):
        return _derivative(e), _MUL
    if isinstance(e, sp.Subs):
        return _prime(e), _ATOM
    if isinstance(e, sp.Sum):
        return _sum(e), _MUL
    if isinstance(e, sp.Abs):
        return f"|{_show(e.args[0])[0]}|", _ATOM
    if isinstance(e, norm):
        return f"‖{_show(e.args[0])[0]}‖", _ATOM
    if isinstance(e, sp.factorial):
        return _wrap(e.args[0], _ATOM) + "!", _POW
    if isinstance(e, sp.Transpose) or type(e).__name__ == "transpose":
        inner = e.args[0]
        return (_show(inner)[0] if isinstance(inner, sp.Symbol) else f"({_show(inner)[0]})") + "ᵀ", _POW
    if isinstance(e, hadamard):
        return f"{_wrap(e.args[0], _MUL)} ⊙ {_wrap(e.args[1], _MUL + 1)}", _MUL
    if isinstance(e, gradient):
        return f"∇_{_wrap(e.args[1], _ATOM)} {_wrap(e.args[0], _ATOM)}", _MUL
    if isinstance(e, (sp.Function, AppliedUndef)) or isinstance(e, sp.Max) or isinstance(e, sp.Min):
        return _function(e), _ATOM
    return str(e), _ATOM


def name(text: str) -> str:
    """A symbol's name as the book writes it: η for eta, C₀ for C0, w′ for w′."""
    if text in GREEK:
        return GREEK[text]
    m = re.fullmatch(r"([A-Za-z]+?)(\d+)", text)
    if m and (len(m.group(1)) == 1 or m.group(1) in GREEK):
        return name(m.group(1)) + m.group(2).translate(_SUBSCRIPTS)
    return text


def _index(i) -> str:
    """An index or a layer: ``l−1`` (the letter first), ``j``, ``2``."""
    if isinstance(i, sp.Add) and len(i.args) == 2 and i.args[0].is_Integer and not i.args[1].is_Number:
        i = sp.Add(i.args[1], i.args[0], evaluate=False)
    return _show(i)[0].replace(" ", "")


def _subscript(indices) -> str:
    texts = [_index(i) for i in indices]
    if len(texts) == 1:
        return f"_{texts[0]}" if len(texts[0]) == 1 else f"_{{{texts[0]}}}"
    return "_{" + ",".join(texts) + "}"


def _superscript_layer(layer) -> str:
    text = _index(layer)
    return f"^{text}" if len(text) == 1 else f"^{{{text}}}"


def _indexed(e: sp.Indexed) -> str:
    label = str(e.base.label)
    letter = NETWORK.get(label)
    indices = list(e.indices)
    head = "δ" if label == "delta" else name(label)
    if letter is not None and letter.layered and len(indices) == letter.neurons[0] + 1:
        layer, *neurons = indices
        head += _superscript_layer(layer)
        if label == "w" and all(len(_index(i)) == 1 and not _index(i).isdigit() for i in neurons):
            return head + "_" + "".join(_index(i) for i in neurons)
        return head + _subscript(neurons)
    if label == "w" and len(indices) == 2 and all(len(_index(i)) == 1 and not _index(i).isdigit()
                                                  for i in indices):
        return head + "_{" + ",".join(_index(i) for i in indices) + "}"
    return head + _subscript(indices)


def _negated(term) -> sp.Expr | None:
    """``term`` without its minus sign, or None when it has none."""
    if term.is_Number and term < 0:
        return -term
    if isinstance(term, sp.Mul) and term.args and term.args[0].is_Number and term.args[0] < 0:
        rest = term.args[1:]
        c = -term.args[0]
        factors = rest if c == 1 else (c, *rest)
        return factors[0] if len(factors) == 1 else sp.Mul(*factors, evaluate=False)
    return None


def _add(e: sp.Add) -> str:
    out = ""
    for i, term in enumerate(e.args):
        neg = _negated(term)
        if i == 0:
            out = f"−{_wrap(neg, _MUL)}" if neg is not None else _wrap(term, _ADD)
        elif neg is not None:
            out += f" − {_wrap(neg, _MUL)}"
        else:
            out += f" + {_wrap(term, _MUL if _show(term)[1] == _NEG else _ADD)}"
    return out


def _mul(e: sp.Mul) -> tuple[str, int]:
    neg = _negated(e)
    if neg is not None:
        return f"−{_wrap(neg, _POW)}", _NEG
    num, den = [], []
    for f in _factors(e):
        if isinstance(f, sp.Pow) and f.exp.is_Number and f.exp < 0:
            den.append(f.base if f.exp == -1 else sp.Pow(f.base, -f.exp, evaluate=False))
        elif isinstance(f, sp.Rational) and not f.is_Integer:
            if f.p != 1:
                num.append(sp.Integer(f.p))
            den.append(sp.Integer(f.q))
        else:
            num.append(f)
    top = _product(num) if num else "1"
    if not den:
        return top, _MUL
    bottom = _wrap(den[0], _ATOM) if len(den) == 1 else f"({_product(den)})"
    return f"{top}/{bottom}", _MUL


def _factors(e: sp.Mul) -> list:
    """The factors of a product, nested products (as written: ηλ·w) flattened."""
    out = []
    for f in e.args:
        pure = isinstance(f, sp.Mul) and _negated(f) is None and not any(
            isinstance(g, sp.Pow) and g.exp.is_Number and g.exp < 0 or isinstance(g, sp.Rational)
            and not g.is_Integer for g in f.args)
        out.extend(_factors(f) if pure else [f])
    return out


def _product(factors: list) -> str:
    out = ""
    for i, f in enumerate(factors):
        text, p = _show(f)
        if p < _MUL or p == _NEG or (p == _MUL and i > 0) or isinstance(f, (sp.Derivative, sp.Sum)):
            text = f"({text})"
        if i == 0:
            out = text
        elif factors[i - 1].is_Number and not f.is_Number and not text[0].isdigit():
            out += text
        else:
            out += "·" + text
    return out


def _pow(e: sp.Pow) -> tuple[str, int]:
    base, expo = e.args
    if expo == sp.S.Half:
        return f"√{_wrap(base, _ATOM)}", _POW
    text, p = _show(base)
    layered = isinstance(base, sp.Symbol) and base.name in NETWORK and NETWORK[base.name].layered \
        and is_layer(expo)
    if p < _ATOM or isinstance(base, (sp.Indexed, Layer, sp.Rational)) and not base.is_Integer \
            or isinstance(base, sp.Integer) and base < 0 or layered \
            or isinstance(base, (sp.Derivative, sp.Sum)):
        text = f"({text})"
    if expo.is_Integer and -99 <= expo <= 99:
        return text + str(expo).translate(_SUPERSCRIPTS), _POW
    etext, ep = _show(expo)
    single = ep == _ATOM and re.fullmatch(r"[A-Za-z]+|[^\W\d_]|\d+", etext) and etext != "T"
    return f"{text}^{etext}" if single else f"{text}^({etext})", _POW


def _function(e) -> str:
    fname = type(e).__name__
    if isinstance(e, AppliedUndef):
        fname = name(fname)
    else:
        fname = _FUNCTION_NAMES.get(fname, fname)
    return f"{fname}({', '.join(_show(a)[0] for a in e.args)})"


def _prime(e: sp.Subs) -> str:
    d, (t,), (point,) = e.args
    f = d.expr
    order = d.derivative_count
    head = _function(f.func(t)).split("(")[0]
    return f"{head}{_PRIMES.get(order, '′' * order)}({_show(point)[0]})"


def _derivative(e: sp.Derivative) -> str:
    order = e.derivative_count
    top = "∂" + (str(order).translate(_SUPERSCRIPTS) if order > 1 else "")
    bottom = " ".join(f"∂{_wrap(v, _ATOM) if isinstance(v, sp.Indexed) and c > 1 else _show(v)[0]}"
                      f"{str(c).translate(_SUPERSCRIPTS) if c > 1 else ''}"
                      for v, c in e.variable_count)
    f = e.expr
    if isinstance(f, (sp.Symbol, sp.Indexed)) or (isinstance(f, AppliedUndef)
                                                    and all(isinstance(a, sp.Symbol) for a in f.args)):
        return f"{top}{_show(f)[0]}/{bottom}"
    return f"{top}/{bottom} ({_show(f)[0]})"


def _sum(e: sp.Sum) -> str:
    body = _wrap(e.function, _MUL)
    if len(e.limits) > 1 and all(is_unwritten_bound(hi) and lo == 1 for _, lo, hi in e.limits):
        return "∑_{" + ",".join(_show(k)[0] for k, _, _ in e.limits) + "} " + body
    out = ""
    for k, lo, hi in reversed(e.limits):
        if is_unwritten_bound(hi) and lo == 1 and any(c.isdigit() for c in k.name):
            out += f"∑_{{{k.name}}} "  # A0, not A₀: a subscript digit would not read back as the index
        elif is_unwritten_bound(hi) and lo == 1:
            out += f"∑_{_wrap(k, _ATOM)} "
        elif is_unwritten_bound(hi):
            out += f"∑_{{{_show(k)[0]}={_show(lo)[0]}}} "
        else:
            out += f"∑_{{{_show(k)[0]}={_show(lo)[0]}}}^{{{_show(hi)[0]}}} "
    return out + body
