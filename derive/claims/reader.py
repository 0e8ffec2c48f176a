r"""The notation reader: the mathematics of the book and the notes, read as they write it.

>>> r = read(r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j")
>>> r.relations, shown(r)
(('=',), '∂C/∂w^l_jk = a^{l−1}_k·δ^l_j')

One grammar (``notation.lark``, LALR) reads LaTeX, Unicode and plain text; a transformer builds
SymPy expressions from its tree, *as written* (unevaluated: ``x/x`` stays a quotient,
``\frac{d}{dz}σ(z)`` stays a derivative, ``σ′(z)`` stays σ′ at z), and :func:`value` evaluates
them.  Nothing is passed to ``eval`` or ``sympify``; every name the text can spell is a symbol, a
known function or refused.

What it reads
    ``\frac`` ``\dfrac`` ``\tfrac``; derivatives ``\frac{d}{dz}(…)``, ``\frac{\partial C}{\partial
    w}``, ``\frac{\partial}{\partial w}(…)``, ``\frac{\partial^2 C}{\partial w^2}``, ``∂C/∂w``,
    ``diff(f, z, 2)``, ``Derivative(f, z)``; ``\sigma`` ``σ`` ``sigma`` and the other functions of
    :data:`derive.core.functions.NAMES` (``\tanh^2 z``, ``\ln``, ``\log``, ``\exp``,
    ``\operatorname{sgn}``, ``\max``...), primes ``σ′(z)`` ``\sigma'(z)`` ``sigma''(z)``;
    ``e^{…}`` (e is Euler's number), ``\sqrt``, ``\sqrt[3]{…}``, ``√``, ``|x|``, ``\|v\|``,
    ``‖v‖``; ``\sum_{k=1}^{n}``, ``\sum_k``, ``Σ_x``, ``Sum(f, (k, 1, n))``; ``\binom``,
    ``binomial``, ``n!``, ``factorial``; ``\cdot`` ``·`` ``\times`` ``×`` ``*`` ``/`` ``÷``
    ``\odot`` ``⊙`` ``**`` ``^`` ``^T`` ``ᵀ``; ``\left( \right)``, ``\big[ \big]`` and the other
    sized delimiters; ``\,`` ``\;`` ``\!`` ``\quad``; ``\mathrm{…}`` ``\text{…}``
    ``\operatorname{…}`` (a name, or a known function), ``\mathbf{…}``; Greek letters as commands,
    characters or words (``\eta`` = ``η`` = ``eta``; ``\lambda`` = ``λ`` = ``lambda`` = ``lmbda``);
    Unicode super- and subscripts (``x²``, ``w₁``, ``aˡ⁻¹ₖ``); relations ``= < > ≤ ≥ ≠ ≈ ≡ →`` and
    chains of them (``A = B ≤ C``).

The rules (each a row of the test module's table of traps)
    R1. *LaTeX or plain.*  Text with a backslash command is LaTeX: as in TeX, ``ax`` is a·x and a
        script carries one token (``x^23`` is refused: TeX sets x²3).  Other text is plain: a word
        is one name (``dC0dw``, ``ax``), and ``x^23`` is x²³, as the plain reader has always read.
    R2. *Juxtaposition is a product:* ``2x``, ``ηλ``, ``w₁x₁``, ``σ(z)(1 − σ(z))``, ``\eta\lambda``.
    R3. *A known function applies* to a bracket after it (``σ(z)``), or, without one, to the one
        factor after it (``\ln x``, ``\tanh^2 z`` = tanh(z)²); ``\ln x y`` is refused (ln(x)·y or
        ln(xy)).  A power on a function (``\tanh^2``) is a power of its value; ``^{-1}`` is refused.
    R4. *A letter before a parenthesis:* with variables only inside, it is an undefined function
        of them (``C₀(w)``, ``C(w, b)``, ``y(x)``); with anything else, a product (``a(1 − a)``,
        ``x_j(σ(z) − y)``), except f, g and h (``f(x + 1)``: refused, both readings named).  A
        longer unknown word before a parenthesis is refused (``foo(x)``: unknown function).
    R5. *Division and juxtaposition:* ``a/bc`` and ``λ/2n`` could be a/(bc) or (a/b)c: refused.
        ``ηλ/n`` is (ηλ)/n either way.
    R6. *Big operators:* ``\sum_k``, and a ``\frac{d}{dz}`` or ``\frac{\partial}{\partial w}``
        followed by terms, take the rest of the product: ``\sum_k a_k b_k + c`` is (∑ a_k b_k) + c.
    R7. *Derivatives:* ``\frac{d…}{d x}`` and ``∂…/∂x`` are derivatives (d is then not a
        variable); ``∂w^2`` in a denominator is the second order in w; ``η ∂C/∂w`` is η·(∂C/∂w).
    R8. *Indices* on the network's letters (:mod:`derive.claims.quantities`): ``w^l_{jk}``,
        ``a^{l-1}_k``, ``δ^L_j``, ``a_j^L`` (either order), ``z^l`` (a whole layer), ``n_l``; a
        superscript is a layer when written with l or L, a power otherwise; ``a^2_j`` is refused
        (layer 2 or a square); ``^T`` is a transpose; ``C_0``, ``w₁`` are the names C0, w1.
    R9. *Bars:* a ``|`` opens after an operator, an opening bracket, a comma or at the start, and
        otherwise closes the one open (``|a|b|c|`` is |a|·b·|c|); ``\left|`` opens, ``\right|``
        closes; ``||x||`` is refused (write ``‖x‖``).
    R10. ``n!=1`` is refused (n! = 1 or n ≠ 1); ``2e-3`` in LaTeX is refused (2·10⁻³ or 2e − 3);
        ``√x²`` is (√x)² (TeX's rule: the root takes one token).
    R11. ``x[0]`` (a name, then ``[`` with no space) is refused: it reads like indexing (Python's
        ``x[0]``); ``x_0`` is an index, ``x·[0]`` or ``x [1 − x]`` a product.

Bounds: the text (:data:`MAX_TEXT`), each side (:data:`~derive.claims.reading.MAX_CHARS`), nesting (:data:`MAX_DEPTH`),
numbers (:data:`MAX_BITS`, :data:`MAX_DECIMAL_EXPONENT`), exponents (:data:`MAX_EXPONENT`),
arguments (:data:`MAX_ARGS`) and derivative orders (:data:`MAX_ORDER`) are today's parser's.  Bad
input raises :class:`ReadError`, one line: ``line:column: what; the fix``.
"""
from __future__ import annotations

import re
import unicodedata

import sympy as sp
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput

from .lexing import CLOSERS, parser
from .readback import shown
from .reading import (MAX_ARGS, MAX_BITS, MAX_DECIMAL_EXPONENT, MAX_DEPTH, MAX_EXPONENT, MAX_ORDER,
                      MAX_TEXT, RELATIONS, Reading, ReadError, deep_recursion, value)
from .transform import Transformer

__all__ = ["read", "shown", "value", "Reading", "ReadError", "parser", "RELATIONS", "MAX_TEXT",
           "MAX_DEPTH", "MAX_BITS", "MAX_DECIMAL_EXPONENT", "MAX_EXPONENT", "MAX_ARGS", "MAX_ORDER"]

_CHARACTER_HINTS = {
    "#": "'#' is not part of an expression (everything after it would be ignored); remove it",
    ";": "';' separates statements; give one expression (or one chain A = B = C)",
    "$": "'$' delimits mathematics in a document; give what is inside the $ … $",
    "∞": "'∞' is not read (no limits or infinite sums); write the bound as a letter",
    "…": "'…' is not read; write the sum with ∑ (\\sum_{k=1}^{n})",
}


def read(text: str, latex: bool | None = None) -> Reading:
    r"""Read ``text`` (LaTeX, Unicode or plain): one expression, or a chain of relations.

    ``latex``: read as LaTeX (TeX's letters: ``ax`` is a·x) or as plain text (``ax`` is a name);
    by default, LaTeX when the text has a backslash.  A display in a document is LaTeX.

    Raises :class:`ReadError` (a ``ValueError``; one line, ``line:column: what; the fix``) for text
    that is not read, and for text that could be read two ways (the rules R1–R11 above).
    """
    if not isinstance(text, str):
        raise TypeError(f"read() takes text, not {type(text).__name__}")
    if not text.strip():
        raise ReadError(1, 1, "the text is empty; give an expression such as σ(z)(1 − σ(z))")
    if len(text) > MAX_TEXT:
        raise ReadError(1, 1, f"the text is {len(text)} characters long; the limit is {MAX_TEXT}")
    latex = "\\" in text if latex is None else latex
    try:
        tree = parser().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    with deep_recursion():
        transformer = Transformer(text, latex)
        sides, relations, values = transformer.reading(tree)
        reading = Reading(text, tuple(sides), tuple(relations), latex, tuple(values), transformer.memo)
        _check_indices(reading)
    return reading


def _syntax_error(text: str, exc: UnexpectedInput) -> ReadError:
    """A lark error as one line naming the token and a fix."""
    if isinstance(exc, UnexpectedCharacters):
        ch = text[exc.pos_in_stream]
        hint = _CHARACTER_HINTS.get(ch)
        if hint is None:
            name = unicodedata.name(ch, f"U+{ord(ch):04X}")
            plain = unicodedata.normalize("NFKC", ch)
            hint = (f"the character {ch!r} ({name}) is not read"
                    + (f"; type a plain {plain!r}" if plain != ch and plain.isascii() and plain.strip()
                       else "; remove it or write it in the book's notation"))
        return ReadError(exc.line, exc.column, hint)
    if isinstance(exc, UnexpectedEOF) or getattr(exc, "token", None) is not None and exc.token.type == "$END":
        opened = _unclosed(text)
        return ReadError(*_end_position(text), "the text ends too early; " + (
            f"close the '{opened}'" if opened else "an operand is missing at the end"))
    tok = exc.token
    expected = set(getattr(exc, "expected", ()) or ())
    fix = ("a closing bracket is missing before it" if expected & CLOSERS and tok.type in CLOSERS
           else "an operand is missing before it" if tok.type in ("REL", "TIMES", "DIV", "ODOT", "POW",
                                                                   "SUP", "SUB", "COMMA", "BANG")
           else "check the brackets and operators around it")
    return ReadError(tok.line, tok.column, f"'{tok.value}' is not expected here; {fix}")


def _unclosed(text: str) -> str | None:
    depth: list[str] = []
    pairs = {")": "(", "]": "[", "}": "{"}
    for ch in text:
        if ch in "([{":
            depth.append(ch)
        elif ch in pairs and depth and depth[-1] == pairs[ch]:
            depth.pop()
    return depth[-1] if depth else None


def _end_position(text: str) -> tuple[int, int]:
    lines = text.rstrip().split("\n")
    return len(lines), len(lines[-1]) + 1


def _check_indices(r: Reading) -> None:
    """A letter may be an index (a positive integer: the j of a_j) or a number (a real), not both."""
    free = set().union(*(s.free_symbols for s in r.sides))
    indices = {s.name for s in free if isinstance(s, sp.Symbol) and s.is_integer}
    reals = {s.name for s in free if isinstance(s, sp.Symbol) and not s.is_integer}
    both = sorted(indices & reals)
    if both:
        name = both[0]
        m = re.search(rf"(?<![A-Za-z\\]){re.escape(name)}(?![A-Za-z])", r.text)
        col = m.start() + 1 if m else 1
        raise ReadError(1, col, f"'{name}' is used both as an index (as in a_{name}) and as a "
                        f"number; use another letter for one of them")
