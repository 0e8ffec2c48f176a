r"""Proofread a derivation written as plain text, line by line: each step equal to the one before?

The format (the way the notes write a derivation)::

    # the cross-entropy cost of one sigmoid neuron      <- comments and blank lines are skipped
    let z = w*x + b                                     <- definitions, substituted before deciding
    assume 0 < y < 1                                    <- assumptions, restricting the domain
    diff(-(y*log(sigma(z)) + (1 - y)*log(1 - sigma(z))), w)   <- the first expression
      = -(y/sigma(z) - (1 - y)/(1 - sigma(z)))*sigma'(z)*x    # chain rule    <- a step
      = x*(sigma(z) - y)                                # σ′ = σ(1 − σ) cancels

A step is a line whose first non-blank character is ``=``; everything after ``#`` is the step's
reason (so ``#`` cannot appear inside an expression).  A ``let``/``assume`` line may come anywhere before the first
expression (and applies to the whole derivation).  A ``network`` line there (``network
cost=cross_entropy``) decides every step that names a quantity of the book's network (C, a, z, w,
b, δ, y) in that network, by the decider given to :func:`proofread`
(:class:`derive.book.network_claims.InNetwork`); it cannot be combined with ``let`` or ``assume``
lines.

Each step is decided by :func:`derive.claims.verify.verify` against the line before it: proved (with the
method), refuted (exact values of the symbols, both lines' values there) or undecided.  The
definitions and assumptions are read once, and one time limit bounds the whole derivation (see
:func:`proofread`).  The
derivation is *proved* when every step is, *refuted* when some step is (the first such step is
named), else *undecided*.  Bad input raises :class:`ProofreadError` naming the line and column.
"""
from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field

from ..core.deadline import Timeout, check_time_limit, deadline
from ..core.outcome import PROVED, REFUTED, UNDECIDED, Status
from ..core.textfile import read_text
from .parse import parse_claim
from .verify import Context, Verdict, verify_in

__all__ = ["Derivation", "Line", "ProofreadError", "proofread", "proofread_file", "MAX_BYTES",
           "default_time_limit"]

MAX_BYTES = 200_000  #: largest derivation file read
MAX_STEPS = 200  #: most steps in one derivation
MAX_DEFAULT_SECONDS = 300  #: the longest default time limit of a derivation
_LET = re.compile(r"^(let)\s+(.*)$")
_ASSUME = re.compile(r"^(assume)\s+(.*)$")
_NETWORK = re.compile(r"^(network)(?:\s+(.*))?$")


class ProofreadError(ValueError):
    """Bad input: the message names the line (and column) and the problem."""


@dataclass(frozen=True)
class Line:
    """One step: ``text`` on line ``line`` (1-based), its ``reason`` (after ``#``), and the
    ``verdict`` on "this line equals the line before"."""

    line: int
    text: str
    reason: str
    verdict: Verdict

    def as_dict(self) -> dict:
        return {"line": self.line, "text": self.text, "reason": self.reason, **self.verdict.as_dict()}


@dataclass(frozen=True)
class Derivation:
    """A proofread derivation: the first expression, the steps, and the overall verdict."""

    source: str
    first: str
    first_line: int
    steps: tuple[Line, ...]
    lets: tuple[str, ...] = ()
    assumptions: tuple[str, ...] = ()
    seconds: float = field(default=0.0, compare=False)

    @property
    def status(self) -> Status:
        """Refuted when a step is, proved when every step is, else undecided."""
        if any(s.verdict.status is REFUTED for s in self.steps):
            return REFUTED
        if self.steps and all(s.verdict.status is PROVED for s in self.steps):
            return PROVED
        return UNDECIDED

    @property
    def first_wrong(self) -> Line | None:
        """The first refuted step (None when no step is refuted)."""
        return next((s for s in self.steps if s.verdict.status is REFUTED), None)

    @property
    def summary(self) -> str:
        n = len(self.steps)
        proved = sum(s.verdict.status is PROVED for s in self.steps)
        if self.first_wrong is not None:
            return (f"refuted: step {self.steps.index(self.first_wrong) + 1} (line "
                    f"{self.first_wrong.line}) is wrong; {proved} of {n} steps proved")
        if self.status is PROVED:
            return "proved: the one step" if n == 1 else f"proved: all {n} steps"
        return f"undecided: {proved} of {n} steps proved, none refuted"

    def as_dict(self) -> dict:
        wrong = self.first_wrong
        return {"source": self.source, "status": self.status, "summary": self.summary,
                "first": {"line": self.first_line, "text": self.first},
                "let": list(self.lets), "assume": list(self.assumptions),
                "first_wrong_line": wrong.line if wrong else None,
                "steps": [s.as_dict() for s in self.steps], "seconds": round(self.seconds, 3)}


def _split_reason(body: str) -> tuple[str, str]:
    """``"expr  # reason"`` → ``("expr", "reason")``."""
    if "#" in body:
        expr, reason = body.split("#", 1)
        return expr.rstrip(), reason.strip()
    return body.rstrip(), ""


def _where(source: str, line: int, col: int) -> str:
    return f"{source}:{line}:{col}"


def default_time_limit(steps: int) -> float:
    """The time limit of a derivation with ``steps`` steps when none is given: 10 s, and 5 s
    more per step, at most :data:`MAX_DEFAULT_SECONDS`."""
    return float(min(10 + 5 * steps, MAX_DEFAULT_SECONDS))


def _layout(text: str, source: str):
    """The lines of ``text`` by kind: ``(lets, assumptions, first, steps)``, each with its line
    and column; :class:`ProofreadError` for lines out of place.  Nothing is parsed here."""
    lets: list[tuple[int, int, str]] = []
    assumptions: list[tuple[int, int, str]] = []
    networks: list[tuple[int, int, str]] = []
    first: tuple[int, int, str] | None = None
    steps: list[tuple[int, int, str, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        col = len(raw) - len(raw.lstrip()) + 1
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("="):
            if first is None:
                raise ProofreadError(f"{_where(source, number, col)}: a step ('= …') before the "
                                     "first expression; start with the expression the steps rewrite")
            body = stripped[1:]
            expr, reason = _split_reason(body)
            ecol = col + 1 + (len(body) - len(body.lstrip()))
            if not expr.strip():
                raise ProofreadError(f"{_where(source, number, ecol)}: the step has no expression "
                                     "after '='")
            steps.append((number, ecol, expr.strip(), reason))
            if len(steps) > MAX_STEPS:
                raise ProofreadError(f"{_where(source, number, col)}: more than {MAX_STEPS} steps")
            continue
        m = _LET.match(stripped) or _ASSUME.match(stripped) or _NETWORK.match(stripped)
        if m:
            if first is not None:
                raise ProofreadError(f"{_where(source, number, col)}: '{m.group(1)}' lines go "
                                     "before the first expression")
            body, _ = _split_reason(m.group(2) or "")
            kcol = col + len(m.group(1)) + 1
            {"let": lets, "assume": assumptions, "network": networks}[m.group(1)].append(
                (number, kcol, body.strip()))
            continue
        if first is not None:
            raise ProofreadError(f"{_where(source, number, col)}: a line after the first "
                                 "expression must be a step starting with '='")
        expr, _ = _split_reason(stripped)
        first = (number, col, expr.strip())
    if first is None:
        raise ProofreadError(f"{source}: no expression found; write the first expression, then "
                             "steps '= …' on the following lines")
    if not steps:
        raise ProofreadError(f"{_where(source, first[0], first[1])}: no steps; write each step on "
                             "its own line, starting with '='")
    if len(networks) > 1:
        raise ProofreadError(f"{_where(source, networks[1][0], networks[1][1])}: a second 'network' "
                             "line; give the network's options on one line")
    for kind, lines in (("let", lets), ("assume", assumptions)):
        if networks and lines:
            raise ProofreadError(f"{_where(source, lines[0][0], lines[0][1])}: '{kind}' lines are not "
                                 "applied in a derivation about the network; write the steps without them")
    return lets, assumptions, first, steps, networks


def _context(lets, assumptions, source: str) -> Context:
    """The definitions, then the assumptions (read with every definition), each read once and
    a bad one named at its own line: reading them is linear in their number."""
    context = Context()
    for read, lines in ((context.define, lets), (context.assume, assumptions)):
        for number, col, body in lines:
            try:
                read(body)
            except ValueError as exc:
                raise ProofreadError(f"{_where(source, number, col)}: {exc}") from None
    return context


def proofread(text: str, *, source: str = "<derivation>", time_limit: float | None = None,
              network=None) -> Derivation:
    """Check every step of the derivation ``text`` (see the module docstring).

    ``time_limit``: seconds for the whole derivation (default :func:`default_time_limit`); each
    step may use its share of what is left (what is left divided by the steps still to decide),
    and a step the time did not reach is *undecided*, saying so.  ``network``: the decider of a
    derivation with a ``network`` line.  Raises :class:`ProofreadError` (one line, naming
    ``source:line:column``) on bad input."""
    lets, assumptions, first, steps, networks = _layout(text, source)
    options = None
    if networks:
        number, col, options = networks[0]
        if network is None:
            raise ProofreadError(f"{_where(source, number, col)}: a 'network' line needs the network "
                                 "decider (gradproof proofread gives it)")
        try:
            network.check(options)
        except ValueError as exc:
            raise ProofreadError(f"{_where(source, number, col)}: {exc}") from None
    limit = default_time_limit(len(steps)) if time_limit is None else check_time_limit(time_limit)
    t0 = time.perf_counter()
    checked: list[Line] = []
    try:
        with deadline(limit):
            context = _context(lets, assumptions, source)
            prev_line, prev_col, prev = first
            try:
                if options is None:
                    parse_claim(prev, "the first expression", context.lets)
            except ValueError as exc:
                raise ProofreadError(f"{_where(source, prev_line, prev_col)}: {exc}") from None
            for k, (number, col, expr, reason) in enumerate(steps):
                share = (limit - (time.perf_counter() - t0)) / (len(steps) - k)
                if share <= 0:
                    break
                try:
                    if options is not None and network.names_quantity(prev, expr):
                        v = network(options, prev, expr, share)
                    else:
                        v = verify_in(context, prev, expr, time_limit=share)
                except ValueError as exc:
                    raise ProofreadError(f"{_where(source, number, col)}: "
                                         f"{str(exc).replace('rhs', 'this step', 1)}") from None
                checked.append(Line(number, expr, reason, v))
                prev = expr
    except Timeout:
        pass
    spent = time.perf_counter() - t0
    for number, col, expr, reason in steps[len(checked):]:  # the time ran out before these
        prev = checked[-1].text if checked else first[2]
        checked.append(Line(number, expr, reason, Verdict(
            status=UNDECIDED, method="none", lhs=prev, rhs=expr, seconds=0.0,
            detail=f"not decided: the derivation's time limit ({limit:g} s) ran out after "
                   f"{spent:.3g} s; give a longer --time-limit")))
    return Derivation(source, first[2], first[0], tuple(checked),
                      tuple(b for _, _, b in lets), tuple(b for _, _, b in assumptions),
                      time.perf_counter() - t0)


def proofread_file(path: str | os.PathLike, *, time_limit: float | None = None,
                   network=None) -> Derivation:
    """:func:`proofread` the file at ``path`` (UTF-8 text, at most :data:`MAX_BYTES`)."""
    text = read_text(path, "a derivation file", MAX_BYTES, ProofreadError)
    return proofread(text, source=str(path), time_limit=time_limit, network=network)
