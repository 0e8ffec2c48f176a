r"""The reader's nodes: what a piece of the syntax tree is before it is a SymPy value.

The transformer (:mod:`derive.claims.transform`) builds values bottom up, but some pieces mean
something only with their neighbours: a name waits for its scripts (``w`` in ``w^l_{jk}``), a known
function for its argument (``σ`` in ``σ(z)``), a letter for a parenthesis that may make it a function
(``C₀`` in ``C₀(w)``), a ``∂`` for the other half of its derivative.  These small records carry them.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import sympy as sp
from lark import Token

from ..core.functions import NAMES as FUNCTIONS
from .reading import MAX_BITS, MAX_DECIMAL_EXPONENT, ReadError

__all__ = ["Name", "LatexWord", "Factors", "Numeral", "KnownFunction", "MaybeFunction", "Group", "Partial",
           "Differential", "Differentials", "DerivativeOperator", "SumOperator", "Chain", "TransposeMark",
           "Nabla", "canonical", "is_known", "rational", "CALLS", "FUNCTION_LETTERS", "GREEK_WORDS",
           "SUPERSCRIPT", "SUBSCRIPT"]

CALLS = ("diff", "Derivative", "Sum", "binomial", "factorial")  # functions only called with (…)
FUNCTION_LETTERS = ("f", "g", "h")  # letters of functions: f(x + 1) is never read as f·(x + 1)
_GREEK = {"lmbda": "lambda", "lamda": "lambda", "varepsilon": "epsilon", "vartheta": "theta",
          "varphi": "phi", "varrho": "rho", "ell": "l", "ℓ": "l"}
GREEK_WORDS = frozenset("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda lmbda mu nu "
                         "xi pi rho sigma tau upsilon phi chi psi omega Gamma Delta Theta Lambda Xi "
                         "Pi Upsilon Phi Psi Omega".split())
SUPERSCRIPT = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾ⁱⁿˡᴸʲᵏ", "0123456789+-()inlLjk")
SUBSCRIPT = str.maketrans("₀₁₂₃₄₅₆₇₈₉₊₋₍₎ᵢⱼₖₗₙₓ", "0123456789+-()ijklnx")

@dataclass
class Name:
    """A letter or a word, before its scripts say what it is."""

    name: str  #: canonical: eta for η, \eta and eta; lambda for λ and lmbda
    shown: str
    pos: Token
    single: bool  #: one letter (Latin or Greek)
    literal: bool = False  #: \text{…}: a name, never a function
    explicit: bool = False  #: \operatorname{…}: a function when applied


@dataclass
class LatexWord:
    """A LaTeX word of several letters (R1): a product of them."""

    names: list


@dataclass
class Factors:
    """Several factors from one atom (a split LaTeX word with its scripts)."""

    items: list


@dataclass
class Numeral:
    value: sp.Rational
    text: str
    pos: Token


@dataclass
class KnownFunction:
    """A known function waiting for its argument (R3)."""

    name: str
    shown: str
    pos: Token
    primes: int = 0
    power: sp.Expr | None = None


@dataclass
class MaybeFunction:
    """A name that becomes an undefined function when applied to variables (R4)."""

    function: str
    value: sp.Expr
    shown: str
    pos: Token
    single: bool
    explicit: bool
    primes: int


@dataclass
class Group:
    """A bracketed list, with the scripts written after it (applied after any function)."""

    items: tuple
    bracket: str
    pos: object
    after: list = field(default_factory=list)


@dataclass
class Partial:
    order: int
    pos: Token


@dataclass
class Differential:
    operand: sp.Expr | None
    order: int
    pos: object


@dataclass
class Differentials:
    """A juxtaposition with ∂ in it: the numerator or denominator of a derivative."""

    factors: list
    pos: object


@dataclass
class DerivativeOperator:
    """d/dz, ∂²/∂w²: waiting for what it differentiates (R6)."""

    variables: tuple
    pos: object


@dataclass
class SumOperator:
    limits: list
    pos: object


@dataclass
class Chain:
    sides: list
    relations: list


@dataclass
class TransposeMark:
    pos: Token


@dataclass
class Nabla:
    wrt: sp.Expr
    pos: Token


def canonical(name: str) -> str:
    """One name per letter however it is typed: η, \\eta and eta; λ, \\lambda, lambda and lmbda."""
    name = name.lstrip("\\")
    if len(name) == 1 and not name.isascii():
        uname = unicodedata.name(name, "")
        for prefix in ("GREEK SMALL LETTER ", "GREEK CAPITAL LETTER ", "GREEK ", "SCRIPT SMALL "):
            if uname.startswith(prefix):
                word = uname[len(prefix):].replace(" SYMBOL", "").replace("LUNATE ", "").lower()
                word = _GREEK.get(word, word)
                name = word.capitalize() if "CAPITAL" in uname else word
                break
    return _GREEK.get(name, name)


def is_known(name: str) -> bool:
    return name in FUNCTIONS or name in CALLS


def rational(text: str, pos: Token, latex: bool) -> sp.Rational:
    if latex and any(c in text for c in "eE"):
        raise ReadError(pos.line, pos.column, f"'{text}' could be {text.split('e')[0].split('E')[0]}"
                        f"·10^… or a product with e (Euler's number); write 10^{{…}} or put a space")
    try:
        d = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the grammar only lexes numbers here
        raise ReadError(pos.line, pos.column, f"'{text}' is not a number") from None
    if d != 0 and abs(d.adjusted()) > MAX_DECIMAL_EXPONENT:
        raise ReadError(pos.line, pos.column, f"the number {text} is too large or too small "
                        f"(exponent beyond ±{MAX_DECIMAL_EXPONENT})")
    if len(text) > MAX_BITS * 0.30103 + 2:
        raise ReadError(pos.line, pos.column, f"the number at {pos.line}:{pos.column} has more than "
                        f"{MAX_BITS} bits; use a smaller one")
    return sp.Rational(text)
