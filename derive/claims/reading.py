r"""A reading and its bounds: :class:`Reading` (what a text says), :class:`ReadError`, :func:`value`.

The bounds are today's parser's (:mod:`derive.claims.parse`), so a text the plain reader refuses as too
large is refused here too, and nothing is computed that could not be computed exactly and quickly.
"""
from __future__ import annotations

import contextlib
import math
import sys
from dataclasses import dataclass, field
from typing import Iterator

import sympy as sp

from .quantities import Layer

__all__ = ["Reading", "ReadError", "value", "bounded_power", "RELATIONS", "PRIME_VARIABLE", "MAX_TEXT",
           "MAX_DEPTH", "MAX_BITS", "MAX_DECIMAL_EXPONENT", "MAX_EXPONENT", "MAX_ARGS", "MAX_ORDER",
           "MAX_COUNT", "MAX_CHARS", "CONSTANTS", "deep_recursion"]

MAX_CHARS = 2000  #: longest side, in characters

MAX_TEXT = 8 * MAX_CHARS  #: longest text read (a chain of sides), in characters
MAX_DEPTH = 256  #: deepest nesting of brackets and bars
MAX_BITS = 10_000  #: largest exact number, in bits (as derive.claims.parse)
MAX_DECIMAL_EXPONENT = 1000  #: largest |e| in a literal like 1.5e400 (as derive.claims.parse)
MAX_EXPONENT = 1000  #: largest |n| in base**n for a non-numeric base (as derive.claims.parse)
MAX_ARGS = 32  #: most arguments of one call (as derive.claims.parse)
MAX_ORDER = 8  #: highest total order of a derivative (as derive.claims.parse)
MAX_COUNT = 1000  #: largest n in n! and binomial(n, m) when n is a number (1000! has 8530 bits)
_RECURSION = 12_000  #: Python recursion limit while reading and deciding (190-level fractions)

#: Named constants; every other bare name is a real symbol.  ``e`` is Euler's number.
CONSTANTS: dict[str, sp.Expr] = {"pi": sp.pi, "π": sp.pi, "E": sp.E, "e": sp.E}

#: Each relation, by every spelling, to the one the reading reports.
RELATIONS = {"=": "=", "==": "=", "<": "<", ">": ">", "<=": "≤", "≤": "≤", "\\le": "≤",
             "\\leq": "≤", ">=": "≥", "≥": "≥", "\\ge": "≥", "\\geq": "≥", "\\lt": "<", "\\gt": ">",
             "≠": "≠", "\\ne": "≠", "\\neq": "≠", "≈": "≈", "\\approx": "≈", "≡": "≡",
             "\\equiv": "≡", "→": "→", "\\to": "→", "\\rightarrow": "→"}

#: The variable of a prime: f′(u) is read Subs(Derivative(f(ξ), ξ), ξ, u) (SymPy's own form).
PRIME_VARIABLE = sp.Symbol("ξ", real=True)  # no text spells this name: ξ is read as 'xi'

@contextlib.contextmanager
def deep_recursion() -> Iterator[None]:
    """Allow deep (but bounded) recursion: a 190-level continued fraction is valid input."""
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, _RECURSION))
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


class ReadError(ValueError):
    """The text could not be read: ``line:column: what; the fix`` (one line)."""

    def __init__(self, line: int, column: int, message: str) -> None:
        self.line, self.column = line, column
        super().__init__(f"{line}:{column}: {' '.join(message.split())}")


@dataclass(frozen=True)
class Reading:
    r"""What a text says: one expression, or a chain of relations between expressions.

    ``sides`` as written (unevaluated SymPy; :func:`value` evaluates one), ``relations`` between
    consecutive sides (``=``, ``<``, ``≤``, ``>``, ``≥``, ``≠``, ``≈``, ``≡``, ``→``), and whether
    the text was read as LaTeX."""

    text: str
    sides: tuple
    relations: tuple = ()
    latex: bool = False
    evaluated: tuple = ()  #: the sides' values, computed once by the reader (:func:`value`)
    memo: dict = field(default_factory=dict, compare=False, repr=False)  #: every part's value (by node)

    @property
    def expr(self) -> sp.Expr:
        """The one expression; ``ValueError`` when the text is a relation."""
        if self.relations:
            raise ValueError(f"expected one expression, got a relation ({self.relations[0]})")
        return self.sides[0]

    @property
    def steps(self) -> list[tuple[sp.Expr, str, sp.Expr]]:
        """``A = B ≤ C`` → ``[(A, '=', B), (B, '≤', C)]``."""
        return [(a, r, b) for a, r, b in zip(self.sides, self.relations, self.sides[1:])]

    def values(self) -> tuple:
        """Every side evaluated (:func:`value`)."""
        return self.evaluated or tuple(value(s) for s in self.sides)


# --- evaluation -------------------------------------------------------------------------------

def value(expr: sp.Basic, memo: dict | None = None) -> sp.Basic:
    r"""The reading evaluated: arithmetic done as SymPy does it (``x/x`` → 1, ``2x + x`` → 3x),
    derivatives, sums and primes left unevaluated (``doit`` takes them), every power bounded as
    in today's parser (``10^{10^{10}}`` is refused, not computed).  ``memo`` (by node) lets a
    reader that evaluates growing parts of one tree do each part once."""
    with deep_recursion():
        return _evaluated(expr, {} if memo is None else memo)


def _evaluated(e: sp.Basic, memo: dict) -> sp.Basic:
    if not e.args or isinstance(e, (sp.Symbol, sp.Number, Layer, sp.IndexedBase)):
        return e
    known = memo.get(id(e))
    if known is not None and known[0] is e:
        return known[1]
    if isinstance(e, (sp.Add, sp.Mul)):  # one flat sum or product, as SymPy builds a*b*c
        out = type(e)(*(_evaluated(a, memo) for a in _flat(e, type(e))))
    else:
        args = [_evaluated(a, memo) for a in e.args]
        out = bounded_power(*args) if isinstance(e, sp.Pow) else e.func(*args)
    memo[id(e)] = (e, out)
    return out


def _flat(e: sp.Basic, kind: type) -> list:
    out = []
    for a in e.args:
        out.extend(_flat(a, kind) if type(a) is kind else [a])
    return out


def bounded_power(base: sp.Expr, expo: sp.Expr) -> sp.Expr:
    """``base**expo``, refusing a power whose exact value or expansion would be enormous."""
    if expo.is_Rational and not expo.is_Integer and abs(expo.p) > MAX_EXPONENT:
        raise ReadError(1, 1, f"the exponent {expo} is too large (numerator beyond {MAX_EXPONENT})")
    if expo.is_Rational and base.is_Rational:
        size = math.log2(max(abs(base.p), base.q)) if base != 0 else 0.0
        if size > 0 and float(abs(expo)) * size > MAX_BITS:
            raise ReadError(1, 1, f"the power {base}^{expo} is too large to compute exactly (more "
                            f"than {MAX_BITS} bits); use a smaller one")
    elif expo.is_Rational and abs(expo) > MAX_EXPONENT:
        raise ReadError(1, 1, f"the exponent {expo} is too large (at most ±{MAX_EXPONENT} for a "
                        "symbolic base)")
    if expo.is_Rational and expo < 0 and base == 0:
        raise ReadError(1, 1, "division by zero (0 to a negative power)")
    result = base**expo
    if isinstance(result, sp.Pow) and result.base is base and result.exp is expo:
        return result  # nothing combined
    for p in result.atoms(sp.Pow):  # (x**a)**b may combine into x**(a*b)
        if p.exp.is_Rational and not p.base.is_Rational and abs(p.exp) > MAX_EXPONENT:
            raise ReadError(1, 1, f"the exponent {p.exp} is too large (at most ±{MAX_EXPONENT} for "
                            "a symbolic base)")
    return result
