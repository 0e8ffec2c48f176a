r"""Proofread whole notes: every display of a Markdown or LaTeX file, read as written and checked.

**Displays.**  Markdown: every ``$$ … $$`` (inline ``$…$`` is prose; fenced code is skipped).
LaTeX: ``equation``, ``equation*``, ``align``, ``align*``, ``gather``, ``gather*``, ``\[ … \]`` and
``$$ … $$`` (``%`` comments, ``\label``, ``\tag``, ``\nonumber`` dropped; ``aligned``/``split``
inside a display are its rows).  A display is read as LaTeX (TeX's letters: ``ax`` is a·x).

**Rows and steps.**  Rows are separated by ``\\``; ``&`` is dropped.  A row that starts with a relation
(``&= …``, ``&\le …``) continues the row before it from its last side.  A chain ``A = B ≤ C`` is
checked step by step: ``=`` by :func:`derive.claims.verify.verify`, ``<``/``≤``/``>``/``≥`` by
:mod:`derive.claims.inequality`, ``≈`` is an approximation (reported, not checked), ``≠`` and ``→``
are not checked (undecided).

**Kinds.**  A display whose left side is a single name (or an indexed quantity, ``z^l_j``) not
defined before in its scope, followed by ``=`` or ``≡``, is a *definition*: reported as one and
substituted (before differentiating) in the later displays of its scope; the rest of its chain is
checked.  A display with an ``≈`` and no other relation is an *approximation*; one the reader
cannot read is *unread*, with the reason (its line:column in the file); the rest are *claims*.

**Directives** (Markdown ``<!-- gradproof: … -->``, LaTeX ``% gradproof: …``) hold until the next
heading of the same or a higher level (``#``/``##``…; ``\section``/``\subsection``…):
``let z = w x + b``, ``assume 0 < a < 1``, ``skip`` (the next display) and ``network …`` (the
book's network as context, ``network cost=quadratic``: a step that names a quantity of the network
— C, a, z, w, b, δ, y — is decided by the ``network`` decider given to :func:`proofread_notes`,
:class:`derive.book.network_claims.InNetwork`; without one the directive is recorded as not
applied).  Definitions are not substituted into a step decided in the network: such a step is
undecided, saying so.

Status of the notes: refuted when a step is, undecided when a step is undecided or a display is
unread, else proved (:attr:`Notes.status`; the CLI's exit 1, 3, 0).
"""
from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field

import sympy as sp

from ..core.deadline import check_time_limit
from ..core.outcome import PROVED, REFUTED, UNDECIDED
from ..core.textfile import read_text
from .inequality import decide_inequality
from .meaning import Written, own_dummies, read_definition
from .reader import read
from .readback import shown
from .reading import ReadError
from .verify import verify

__all__ = ["Notes", "Display", "Step", "NotesError", "proofread_notes", "proofread_notes_file",
           "displays_of", "MAX_BYTES"]

MAX_BYTES = 1_000_000  #: largest notes file read
_PREVIOUS = r"\text{gradproofprevious}"  # stands for the row before, in a row '&= …'
_PREVIOUS_SYMBOL = sp.Symbol("gradproofprevious", real=True)
_LATEX_ENVIRONMENTS = ("equation", "equation*", "align", "align*", "gather", "gather*")
_SECTIONS = {"part": 0, "chapter": 1, "section": 2, "subsection": 3, "subsubsection": 4, "paragraph": 5}
_DROP = re.compile(r"\\(label|tag\*?)\s*\{[^{}]*\}|\\nonumber|\\notag|\\(begin|end)\{(aligned|split|gathered)\}")
_TRAILING = re.compile(r"(\s|\\[,;:!]|\\q?quad|[.,;])+$")
_RELATION_START = re.compile(r"^\s*(=|<|>|≤|≥|≈|≠|\\(le|leq|ge|geq|lt|gt|approx|ne|neq|equiv)(?![A-Za-z]))")


class NotesError(ValueError):
    """The file cannot be proofread at all (unreadable, too large, not UTF-8): one line."""


@dataclass(frozen=True)
class Step:
    """One step ``A rel B`` of a display: its ``line`` in the file, ``status`` (proved, refuted,
    undecided, definition, approximation), ``detail`` for the reader, and the verdict (if any)."""

    line: int
    status: str
    detail: str
    relation: str = "="
    verdict: object = None

    def as_dict(self) -> dict:
        return {"line": self.line, "status": self.status, "detail": self.detail}


@dataclass(frozen=True)
class Display:
    """One display: ``line`` (1-based, its first line in the file), ``kind`` (claim, definition,
    approximation, unread), ``status``, the ``latex`` as written, its ``steps``, what was read."""

    line: int
    kind: str
    status: str
    latex: str
    steps: tuple = ()
    read_as: str = ""
    end: int = 0  #: the display's last line in the file
    rows: tuple = ()  #: (line, LaTeX) of each row, as written (``&`` and labels dropped)

    def as_dict(self) -> dict:
        return {"line": self.line, "kind": self.kind, "status": self.status, "latex": self.latex,
                "steps": [s.as_dict() for s in self.steps]}


@dataclass(frozen=True)
class Notes:
    """Proofread notes: every display, in order, and what was skipped or not applied."""

    source: str
    displays: tuple
    skipped: int = 0
    ignored: tuple = ()  #: directives recorded but not applied (with why)
    seconds: float = field(default=0.0, compare=False)

    @property
    def status(self):
        """Refuted when a step is; undecided when a step is or a display is unread; else proved."""
        steps = [s for d in self.displays for s in d.steps]
        if any(s.status == "refuted" for s in steps):
            return REFUTED
        if any(s.status == "undecided" for s in steps) or any(d.kind == "unread" for d in self.displays):
            return UNDECIDED
        return PROVED

    @property
    def summary(self) -> dict:
        steps = [s for d in self.displays for s in d.steps]
        count = {k: sum(d.kind == k for d in self.displays)
                 for k in ("claim", "definition", "approximation", "unread")}
        return {"displays": len(self.displays), **{k + "s" if k != "unread" else k: v for k, v in count.items()},
                "steps": {s: sum(x.status == s for x in steps) for s in ("proved", "refuted", "undecided")},
                "skipped": self.skipped, "status": str(self.status.value),
                "first_refuted_line": next((s.line for s in steps if s.status == "refuted"), None),
                "ignored": list(self.ignored)}

    def as_dict(self) -> dict:
        return {"displays": [d.as_dict() for d in self.displays], "summary": self.summary}


# --- finding the displays ---------------------------------------------------------------------------

@dataclass
class _Raw:
    """A display or a directive or a heading, in file order."""

    kind: str  # "display", "directive", "heading"
    line: int
    text: str
    level: int = 0
    end: int = 0  #: a display's last line


def displays_of(text: str, latex: bool) -> list[_Raw]:
    """The displays, directives and headings of a Markdown (``latex=False``) or LaTeX file."""
    return _latex_items(text) if latex else _markdown_items(text)


def _markdown_items(text: str) -> list[_Raw]:
    out: list[_Raw] = []
    lines = text.split("\n")
    fence = None
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if fence is not None:
            if stripped.startswith(fence):
                fence = None
            i += 1
            continue
        m = re.match(r"^(```+|~~~+)", stripped)
        if m:
            fence = m.group(1)
            i += 1
            continue
        h = re.match(r"^(#{1,6})\s", line)
        if h:
            out.append(_Raw("heading", i + 1, stripped, len(h.group(1))))
        for d in re.finditer(r"<!--\s*gradproof:\s*(.*?)\s*-->", line):
            out.append(_Raw("directive", i + 1, d.group(1)))
        start = line.find("$$")
        if start < 0:
            i += 1
            continue
        body, j = line[start + 2:], i
        end = body.find("$$")
        while end < 0 and j + 1 < len(lines):
            j += 1
            body += "\n" + lines[j]
            end = body.find("$$")
        out.append(_Raw("display", i + 1, body[:end] if end >= 0 else body, end=j + 1))
        rest = body[end + 2:] if end >= 0 else ""
        lines[j] = rest if "$$" in rest else ""  # a second display on the closing line
        i = j if "$$" in rest else j + 1
    return out


def _latex_items(text: str) -> list[_Raw]:
    out: list[_Raw] = []
    lines = text.split("\n")
    clean = []
    for n, line in enumerate(lines, start=1):
        d = re.match(r"^\s*%\s*gradproof:\s*(.*?)\s*$", line)
        if d:
            out.append(_Raw("directive", n, d.group(1)))
            clean.append("")
            continue
        clean.append(re.sub(r"(?<!\\)%.*$", "", line))
    body = "\n".join(clean)
    pattern = re.compile(r"\\(part|chapter|section|subsection|subsubsection|paragraph)\*?\s*\{"
                         r"|\\begin\{(" + "|".join(re.escape(e) for e in _LATEX_ENVIRONMENTS) + r")\}"
                         r"|\\\[|\$\$")
    pos = 0
    while True:
        m = pattern.search(body, pos)
        if not m:
            break
        line = body.count("\n", 0, m.start()) + 1
        if m.group(1):
            out.append(_Raw("heading", line, m.group(0), _SECTIONS[m.group(1)]))
            pos = m.end()
            continue
        close = {"\\[": "\\]", "$$": "$$"}.get(m.group(0), f"\\end{{{m.group(2)}}}")
        end = body.find(close, m.end())
        end = len(body) if end < 0 else end
        out.append(_Raw("display", line, body[m.end():end], end=body.count("\n", 0, end) + 1))
        pos = end + len(close)
    out.sort(key=lambda r: r.line)
    return out


# --- reading a display's rows ---------------------------------------------------------------------------

def _rows(latex: str, first_line: int) -> list[tuple[int, str]]:
    """The rows of a display (split at ``\\\\``), ``&`` and labels dropped, with their lines."""
    text = _DROP.sub("", latex)
    rows, offset = [], 0
    for piece in re.split(r"\\\\(?:\[[^\]]*\])?", text):
        row = _TRAILING.sub("", piece.replace("&", " ")).strip()
        if row:
            at = offset + len(piece) - len(piece.lstrip())
            rows.append((first_line + text.count("\n", 0, at), row))
        offset += len(piece) + 2
    return rows


def _read_row(row: str, previous):
    """A row's reading: sides and relations; a row starting with a relation continues ``previous``
    (the last side of the row before, as read)."""
    if _RELATION_START.match(row):
        if previous is None:
            raise ReadError(1, 1, "the display starts with a relation; write what it relates first")
        r = read(f"{_PREVIOUS} {row}", latex=True)
        return (previous, *r.sides[1:]), r.relations, r.memo
    r = read(row, latex=True)
    return r.sides, r.relations, r.memo


# --- proofreading ---------------------------------------------------------------------------------------

@dataclass
class _Scope:
    level: int
    lets: list = field(default_factory=list)
    assume: list = field(default_factory=list)
    network: str | None = None  #: the ``network`` directive's options, when one is in force


class _Context:
    """The directives and definitions in force: a stack of scopes, one per heading level."""

    def __init__(self) -> None:
        self.scopes = [_Scope(0)]
        self.decider = None  #: decides a step under a ``network`` directive

    def heading(self, level: int) -> None:
        while len(self.scopes) > 1 and self.scopes[-1].level >= level:
            self.scopes.pop()
        self.scopes.append(_Scope(level))

    @property
    def lets(self) -> list:
        return [x for s in self.scopes for x in s.lets]

    @property
    def assume(self) -> list:
        return [x for s in self.scopes for x in s.assume]

    def defined(self, name) -> bool:
        return any(k == name for k, _ in self.lets)

    @property
    def network(self) -> str | None:
        return next((s.network for s in reversed(self.scopes) if s.network is not None), None)


def proofread_notes(text: str, *, latex: bool = False, source: str = "<notes>",
                    time_limit: float = 10.0, network=None) -> Notes:
    """Check every display of the notes ``text`` (Markdown, or LaTeX when ``latex``); see the
    module docstring.  ``time_limit``: seconds per step; ``network``: the decider of the steps
    under a ``network`` directive (see the module docstring)."""
    time_limit = check_time_limit(time_limit)
    t0 = time.perf_counter()
    context = _Context()
    context.decider = network
    displays: list[Display] = []
    skip, skipped, ignored = False, 0, []
    for item in displays_of(text, latex):
        if item.kind == "heading":
            context.heading(item.level)
        elif item.kind == "directive":
            problem = _directive(item.text, context)
            if problem == "skip":
                skip = True
            elif problem:
                ignored.append(f"line {item.line}: {problem}")
        elif skip:
            skip, skipped = False, skipped + 1
        else:
            displays.append(_display(item, context, time_limit))
    return Notes(source, tuple(displays), skipped, tuple(ignored), time.perf_counter() - t0)


def _directive(text: str, context: _Context) -> str:
    """Apply a directive; '' when applied, 'skip', or why it is not."""
    word, _, rest = text.strip().partition(" ")
    rest = rest.strip()
    if word == "skip":
        return "skip"
    if word == "let":
        try:
            name, body = read_definition(rest, "let")  # plain text unless it has a backslash
        except ValueError as exc:
            return str(exc)
        context.scopes[-1].lets.append((name, body))
        return ""
    if word == "assume":
        try:
            verify("0", "0", assume=[rest])
        except ValueError as exc:
            return str(exc)
        context.scopes[-1].assume.append(rest)
        return ""
    if word == "network":
        if context.decider is None:
            return (f"network {rest}: no network decider was given; its claims are checked "
                    "without the network").replace("  ", " ")
        try:
            context.decider.check(rest)
        except ValueError as exc:
            return str(exc)
        context.scopes[-1].network = rest
        return ""
    return f"unknown directive '{word}' (let, assume, network, skip)"


def _display(item: _Raw, context: _Context, time_limit: float) -> Display:
    latex = item.text.strip()
    rows = _rows(item.text, item.line)
    steps: list[Step] = []
    kind, read_as, previous = "claim", [], None  # a definition when every step is one
    try:
        for line, row in rows:
            fresh = not _RELATION_START.match(row)
            sides, relations, memo = _read_row(row, previous)
            if fresh or not read_as:
                read_as.append(shown(_Shown(sides, relations)))
            else:  # a row '&= …' continues the chain shown so far
                read_as[-1] += "".join(f" {rel} {shown(side)}" for rel, side in zip(relations, sides[1:]))
            previous = sides[-1]
            start = 0
            if fresh and relations and relations[0] in ("=", "≡") and _is_new_name(sides[0], sides[1], context) \
                    and not (context.network is not None and context.decider.names_quantity(sides[0])):
                start = 1
                context.scopes[-1].lets.append((sides[0], Written(own_dummies(sides[1]), {})))
                steps.append(Step(line, "definition", f"defines {shown(sides[0])}", relations[0]))
            for a, rel, b in list(zip(sides, relations, sides[1:]))[start:]:
                steps.append(_step(line, Written(a, memo), rel, Written(b, memo), context, time_limit))
    except (ReadError, ValueError) as exc:
        where = _shift(exc, item.line) if isinstance(exc, ReadError) else str(exc)
        return Display(item.line, "unread", "unread", latex,
                       (Step(item.line, "unread", where),), " ; ".join(read_as), item.end, tuple(rows))
    if not steps:
        return Display(item.line, "claim", "undecided", latex,
                       (Step(item.line, "undecided", "an expression without a relation: nothing to check"),),
                       " ; ".join(read_as), item.end, tuple(rows))
    if all(s.status == "definition" for s in steps):
        kind = "definition"
    elif all(s.status in ("approximation", "definition") for s in steps):
        kind = "approximation"
    return Display(item.line, kind, _status(kind, steps), latex, tuple(steps), " ; ".join(read_as),
                   item.end, tuple(rows))


@dataclass(frozen=True)
class _Shown:
    sides: tuple
    relations: tuple


def _is_new_name(side, body, context: _Context) -> bool:
    """A name (or indexed quantity) not defined before, and not in its own right side (y = y)."""
    return isinstance(side, (sp.Symbol, sp.Indexed)) and not getattr(side, "is_integer", False) \
        and not context.defined(side) and not body.has(side)


def _status(kind: str, steps: list[Step]) -> str:
    checked = [s.status for s in steps if s.status not in ("definition", "approximation")]
    if "refuted" in checked:
        return "refuted"
    if "undecided" in checked:
        return "undecided"
    if checked:
        return "proved"
    return kind  # a definition or an approximation alone


def _step(line: int, a: Written, rel: str, b: Written, context: _Context, time_limit: float) -> Step:
    if rel == "≈":
        return Step(line, "approximation", "an approximation: reported, not checked", rel)
    if rel in ("≠", "→"):
        return Step(line, "undecided", f"'{rel}' is not checked", rel)
    if rel in ("<", "≤", ">", "≥"):
        status, detail = decide_inequality(a, rel, b, let=context.lets, assume=context.assume,
                                           time_limit=time_limit)
        return Step(line, status, detail, rel)
    if context.network is not None and context.decider.names_quantity(a, b):
        return _network_step(line, a, rel, b, context, time_limit)
    v = verify(a, b, let=context.lets, assume=context.assume, time_limit=time_limit)
    return Step(line, str(v.status.value), _detail(v), rel, v)


def _network_step(line: int, a: Written, rel: str, b: Written, context: _Context,
                  time_limit: float) -> Step:
    """A step about the network, decided in it (definitions are not substituted there)."""
    names = {k for k, _ in context.lets}
    if names and any(names & _named_in(side.expr) for side in (a, b)):
        return Step(line, "undecided", "a definition is used in a step about the network; "
                    "definitions are not substituted there (write the step without it)", rel)
    assumed = _assumed_names(context.assume)
    if assumed is None or any({s.name for s in _named_in(side.expr) if isinstance(s, sp.Symbol)} & assumed
                              for side in (a, b)):
        return Step(line, "undecided", "an assumption is about a name of a step about the network; "
                    "assumptions are not applied there (write the step without it)", rel)
    v = context.decider(context.network, a, b, time_limit)
    detail = _detail(v)
    if v.status is REFUTED and v.detail:
        detail = v.detail + (f"; at {v.counterexample.text()}" if v.counterexample else "")
    return Step(line, str(v.status.value), f"in the network: {detail}", rel, v)


def _assumed_names(assumptions: list) -> set | None:
    """The names the assumptions in force are about (None when one cannot be read)."""
    names: set = set()
    for text in assumptions:
        try:
            reading = read(text.replace(" integer", ""))
        except ReadError:
            return None
        names |= {s.name for side in reading.sides for s in side.free_symbols if isinstance(s, sp.Symbol)}
    return names


def _named_in(e: sp.Expr) -> set:
    """The names a side uses: its bare symbols and indexed quantities (not an indexed quantity's
    letter: z^L_j does not use a definition of z)."""
    indexed = e.atoms(sp.Indexed)
    return indexed | e.xreplace({q: sp.Dummy() for q in indexed}).free_symbols


def _detail(v) -> str:
    if v.status is PROVED:
        text = f"by {v.method}"
    elif v.status is REFUTED:
        at = v.counterexample.text() if v.counterexample else "every value"
        text = f"at {at}: left = {v.lhs_value}, right = {v.rhs_value}"
        if v.detail.startswith("taking"):
            text += f" ({v.detail.split(' (', 1)[0]})"
    else:
        text = v.detail
    return f"{text}; note: {v.note}" if v.note else text


def _shift(exc: ReadError, first_line: int) -> str:
    """A reading error's line:column, as a line in the file."""
    message = str(exc).split(": ", 1)[-1]
    return f"line {first_line + exc.line - 1}, column {exc.column} of the display: {message}"


def proofread_notes_file(path: str | os.PathLike, *, time_limit: float = 10.0, network=None) -> Notes:
    """:func:`proofread_notes` of a ``.md`` (Markdown) or ``.tex`` (LaTeX) file (UTF-8, at most
    :data:`MAX_BYTES`); ``NotesError`` (one line) when it cannot be read."""
    text = read_text(path, "a notes file", MAX_BYTES, NotesError)
    return proofread_notes(text, latex=str(path).endswith(".tex"), source=os.path.basename(path),
                           time_limit=time_limit, network=network)
