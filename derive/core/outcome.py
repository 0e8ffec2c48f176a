r"""The one result type of gradproof: an :class:`Outcome` with a :class:`Status`.

A theorem's :class:`~derive.core.theorem.Proof`, a claim's :class:`~derive.claims.verify.Verdict`
and every proof obligation are Outcomes: *proved* (an exact method reduced lhs − rhs to 0),
*refuted* (a :class:`Counterexample`: exact rational values at which the two sides certainly
differ) or *undecided* (never "probably true").

>>> o = Outcome(REFUTED, "counterexample", {"x": "1/3", "y": "-2"})
>>> o.status == "refuted", o.counterexample.text()
(True, 'x = 1/3, y = -2')
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Iterable, Mapping, Sequence

import sympy as sp

from .notation import latex, plain_math, pretty

__all__ = ["Status", "PROVED", "REFUTED", "UNDECIDED", "Counterexample", "Outcome", "combine"]


class Status(str, enum.Enum):
    """What an outcome says.  A member is its string (``Status.PROVED == "proved"``) in comparisons,
    hashing (a dict keyed by the strings finds it), ``str()``, ``repr()``, f-strings and JSON, so
    every output reads as it always has; ``Status("proved")`` reads one back."""

    PROVED = "proved"
    REFUTED = "refuted"
    UNDECIDED = "undecided"

    __str__ = str.__str__
    __format__ = str.__format__
    __hash__ = str.__hash__
    __repr__ = str.__repr__  # a tuple or a notebook shows ('proved', ...), as it always did


#: The members by their short names (as ``signal.SIGINT`` is ``signal.Signals.SIGINT``).
PROVED, REFUTED, UNDECIDED = Status.PROVED, Status.REFUTED, Status.UNDECIDED

#: The text of an exact rational in lowest terms: ``"0"``, ``"-3"``, ``"5/11"`` (what ``str`` of a
#: SymPy ``Rational`` or a ``Fraction`` gives), and nothing else.
_RATIONAL = re.compile(r"-?(0|[1-9][0-9]*)(/[1-9][0-9]*)?\Z")


def _rational_text(v) -> str:
    """``v`` (a SymPy Rational, a Fraction, an int, or the text of one) as canonical text;
    ``ValueError`` for anything else.  Text is read by :class:`fractions.Fraction` after a strict
    pattern check: never evaluated."""
    if isinstance(v, str):
        if not _RATIONAL.match(v) or str(Fraction(v)) != v:
            raise ValueError(f"a counterexample value must be an exact rational in lowest terms "
                             f"such as 1/3 or -2, not {v!r}")
        return v
    if isinstance(v, bool):
        raise ValueError(f"a counterexample value must be an exact rational, not {v!r}")
    if isinstance(v, (int, Fraction)):
        return str(Fraction(v))
    if isinstance(v, sp.Basic) and v.is_Rational:
        return str(Fraction(int(v.p), int(v.q)))
    raise ValueError(f"a counterexample value must be an exact rational, not {v!r}")


_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "eta", "theta", "lambda", "lmbda", "mu",
          "sigma", "tau", "phi"}


def _shown_name(name: str) -> str:
    """A symbol's name as text in the book's letters when it is spelled in TeX or is a Greek
    letter's name: ``\\partial C_0/\\partial w`` -> ``∂C₀/∂w``, ``\\nabla{C}_1`` -> ``∇C₁``,
    ``eta`` -> ``η``; any other name (``z_1``, ``a^l_k``: the reader's own) as it is."""
    if "\\" in name:
        return plain_math(name).replace("∂ ", "∂")
    if name in _GREEK:
        return pretty(sp.Symbol(name))
    return name


class Counterexample(dict):
    r"""Exact values of the free symbols at which two sides certainly differ: a read-only
    ``{name: "p/q"}``, each value the text of a rational in lowest terms (``"-5/11"``, ``"3"``).

    It is a ``dict`` so that it compares with one, prints as one and is written to JSON as it is;
    :meth:`exact`
    reads the values back with :class:`fractions.Fraction` (a strict rational parser), and the
    constructor refuses any text that is not such a rational, so nothing here is ever evaluated.
    :meth:`text`, :meth:`describe` and :meth:`latex` are the one way a counterexample is shown, on
    the terminal, in JSON details, and in the HTML and PDF reports.
    """

    def __init__(self, values: Mapping | Iterable = ()):
        super().__init__((str(k), _rational_text(v)) for k, v in dict(values).items())

    def _read_only(self, *args, **kwargs):
        raise TypeError("a Counterexample is read-only")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _read_only
    __ior__ = _read_only

    def __reduce__(self):
        return (Counterexample, (dict(self),))

    def exact(self) -> dict[str, Fraction]:
        """The values as exact fractions."""
        return {k: Fraction(v) for k, v in self.items()}

    def text(self) -> str:
        """``"x = 1/3, y = -2"`` (empty when there are no symbols), each name as the book writes
        it: ``∂C₀/∂w = 1/3, η = 2/7, ∇C₁ = 5/11`` (a name spelled in TeX or Greek, in Unicode)."""
        return ", ".join(f"{_shown_name(k)} = {v}" for k, v in self.items())

    def where(self) -> str:
        """``"at x = 1/3, y = -2"``, or, with no symbols, ``"the sides are different numbers"``."""
        return f"at {self.text()}" if self else "the sides are different numbers"

    def describe(self, lhs_value: str, rhs_value: str, difference: str | None = None) -> str:
        """The one-line detail of a refutation: ``"at x = 1/3: lhs = 1, rhs = 2"``, with
        ``", lhs − rhs = …"`` when ``difference`` is given."""
        tail = f", lhs − rhs = {difference}" if difference else ""
        return f"{self.where()}: lhs = {lhs_value}, rhs = {rhs_value}{tail}"

    def latex(self) -> list[str]:
        r"""One LaTeX equation per symbol, in the book's notation: ``["x = \frac{1}{3}", ...]``."""
        return [latex(sp.Eq(sp.Symbol(k), sp.Rational(q.numerator, q.denominator), evaluate=False))
                for k, q in self.exact().items()]


@dataclass(frozen=True)
class Outcome:
    """The verdict on a claim or an obligation.

    ``status``: a :class:`Status` (a string given is read as one); ``method``: the exact method
    that decided it ("cancel", "rewrite σ→exp, expand", "counterexample", or the rungs tried);
    ``counterexample``: where the sides differ (refuted only; a plain mapping given is checked and
    made a :class:`Counterexample`); ``detail``: one sentence for the reader; ``seconds``: the time
    it took, when measured (not part of equality).
    """

    status: Status
    method: str
    counterexample: Counterexample | None = None
    detail: str = ""
    seconds: float = field(default=0.0, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", Status(self.status))
        cx = self.counterexample
        if cx is not None and not isinstance(cx, Counterexample):
            object.__setattr__(self, "counterexample", Counterexample(cx))

    @property
    def proved(self) -> bool:
        return self.status is PROVED


def combine(outcomes: Sequence[Outcome]) -> Outcome:
    """All obligations of an identity: proved iff each is; refuted if any is refuted."""
    if not outcomes:
        return Outcome(UNDECIDED, "none", detail="the identity has no proof obligations")
    methods = list(dict.fromkeys(o.method for o in outcomes if o.method))
    method = " + ".join(methods)
    for o in outcomes:
        if o.status is REFUTED:
            return Outcome(REFUTED, method, o.counterexample, o.detail)
    for o in outcomes:
        if o.status is UNDECIDED:
            return Outcome(UNDECIDED, method, None, o.detail)
    return Outcome(PROVED, method)
