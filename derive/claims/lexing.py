r"""The lexer's side of the reader: ``notation.lark`` built once, and the tokens retyped on the way.

A LaTeX command is lexed whole (``COMMAND``: ``\\left`` is never ``\\le`` + ``ft``) and retyped to the
terminal whose spelling it is, taken from the grammar itself; spacing (``\\,`` ``\\quad``) and sizing
(``\\left`` ``\\big``) commands vanish, the latter after telling which way the next bar faces; a bar
``|`` or ``‖`` becomes opening or closing (rule R9 of :mod:`derive.claims.reader`); nesting is bounded.
"""
from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Iterator

import lark
from lark import Token

from .reading import MAX_DEPTH, ReadError

__all__ = ["parser", "Tokens", "OPENERS", "CLOSERS"]

_COMMAND_HINTS = {
    "\\infty": "\\infty is not read (no limits or infinite sums); write the bound as a letter",
    "\\dots": "\\dots is not read; write the sum with \\sum_{k=1}^{n}",
    "\\pm": "\\pm is not read; write the two claims, one with + and one with -",
    "\\circ": "\\circ (composition) is not read; write f(g(x)), or \\odot for the Hadamard product",
}
_COMMAND_HINTS["\\cdots"] = _COMMAND_HINTS["\\ldots"] = _COMMAND_HINTS["\\dots"]
_COMMAND_HINTS["\\mp"] = _COMMAND_HINTS["\\pm"]


OPENERS = frozenset({"LPAR", "LBRACK", "LBRACE", "LSET", "ABS_OPEN", "NORM_OPEN"})
CLOSERS = frozenset({"RPAR", "RBRACK", "RBRACE", "RSET", "ABS_CLOSE", "NORM_CLOSE"})
_OPERAND_ENDS = frozenset({"NUMBER", "WORD", "LETTER", "NAMED", "PRIMES", "USUP", "USUB", "UTRANSPOSE",
                           "BANG", "TOP", "RPAR", "RBRACK", "RBRACE", "RSET", "ABS_CLOSE", "NORM_CLOSE"})


class Tokens(lark.lark.PostLex):
    """Between lexer and parser: a backslash command becomes the terminal it spells (the grammar's
    own spellings), spacing and sizing commands vanish, bars become opening or closing (R9), and
    nesting is bounded."""

    always_accept = ("COMMAND", "CONTROL", "BAR", "DBAR", "SIZE")

    def __init__(self) -> None:
        self.spelling: dict[str, str] = {}

    def learn(self, terminals) -> None:
        """Take the grammar's spellings (each terminal's pattern) for retyping commands."""
        patterns = [(t.name, re.compile(t.pattern.to_regexp())) for t in terminals
                    if t.name not in ("COMMAND", "CONTROL", "NAMED")]
        self._patterns = patterns

    def kind(self, tok: Token) -> str:
        found = self.spelling.get(tok.value)
        if found is None:
            found = next((name for name, p in self._patterns if p.fullmatch(tok.value)), "")
            self.spelling[tok.value] = found
        if not found:
            hint = _COMMAND_HINTS.get(tok.value) or (
                f"'{tok.value}' is not a command the reader knows; write it in the book's notation "
                "(\\frac, \\partial, \\sum, \\sqrt, \\sigma, \\cdot, …) or as plain text")
            raise ReadError(tok.line, tok.column, hint)
        return found

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        bars: list[str] = []
        depth, prev, facing, sized = 0, None, None, None
        for tok in stream:
            kind = tok.type
            if kind in ("COMMAND", "CONTROL"):
                kind = self.kind(tok)
                if kind in ("SPACE", "WS"):
                    continue
                if kind == "SIZE":
                    v = tok.value
                    facing = "open" if v in ("\\left",) or v.endswith("l") else \
                        "close" if v in ("\\right",) or v.endswith("r") else None
                    sized = tok
                    continue
            if sized is not None:
                if kind not in OPENERS | CLOSERS | {"BAR", "DBAR"}:
                    raise ReadError(sized.line, sized.column,
                                    f"'{sized.value}' must be followed by a delimiter such as ( [ |, "
                                    f"not '{tok.value}'")
                sized = None
            if kind in ("BAR", "DBAR"):
                what = "ABS" if kind == "BAR" else "NORM"
                opens = (facing == "open" or tok.value in ("\\lvert", "\\lVert")) or not (
                    facing == "close" or tok.value in ("\\rvert", "\\rVert")
                    or (bars and bars[-1] == what and prev is not None and prev.type in _OPERAND_ENDS))
                if opens and prev is not None and prev.type == "ABS_OPEN" and what == "ABS":
                    raise ReadError(tok.line, tok.column, "'||' is not read; write ‖x‖ or \\|x\\| "
                                    "for a norm, or |(|x|)| for an absolute value of one")
                kind = f"{what}_OPEN" if opens else f"{what}_CLOSE"
                if opens:
                    bars.append(what)
                elif bars and bars[-1] == what:
                    bars.pop()
            facing = None
            if kind in OPENERS:
                depth += 1
                if depth > MAX_DEPTH:
                    raise ReadError(tok.line, tok.column, f"nested too deeply (more than {MAX_DEPTH} "
                                    "brackets); split it with definitions")
            elif kind in CLOSERS:
                depth -= 1
            if kind == "REL" and tok.value == "=" and prev is not None and prev.type == "BANG" \
                    and prev.end_pos == tok.start_pos:
                raise ReadError(prev.line, prev.column, "'!=' could be 'n! = …' or '≠'; write ≠ "
                                "(or \\neq) for 'not equal', or put a space after the factorial")
            tok = tok if kind == tok.type else Token.new_borrow_pos(kind, tok.value, tok)
            yield tok
            prev = tok


@lru_cache(maxsize=1)
def parser() -> lark.Lark:
    """The LALR parser of ``notation.lark`` (built once per process)."""
    grammar = resources.files(__package__).joinpath("notation.lark").read_text(encoding="utf-8")
    post = Tokens()
    p = lark.Lark(grammar, parser="lalr", lexer="basic", postlex=post, propagate_positions=True,
                  maybe_placeholders=False)
    post.learn(p.terminals)
    return p
