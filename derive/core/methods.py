"""What proved a statement, in words: the prover's exact method line read aloud.

A proof's ``method`` is exact and terse, the rungs of each obligation joined by ``" + "``
(``"Kronecker collapse, structural + explicit matrices, every entry, structural (at n_l = 3) +
concrete diff [2,3,2],[3,4,4,2], atoms→symbols, expand"``): right for ``--json`` and for a test,
jargon for a reader.  :func:`method_words` says the same in the book's words, grouped by where each
part holds -- in general, at stated sizes, or on the concrete networks::

    for any sizes, by collapsing the Kronecker delta; at nₗ = 3: the matrix form, entry by entry;
    on the 2-3-2 and 3-4-4-2 networks: by differentiating them outright and expanding

A rung it does not know is kept as it is (its mathematics in Unicode), never dropped.
"""
from __future__ import annotations

import re

from .notation import plain_math

__all__ = ["method_words"]

#: A rung -> its words ("" drops it: bookkeeping that says nothing about why the sides agree).
_WORDS = {
    "structural": "", "atoms→symbols": "", "every entry": "",
    "doit": "evaluating", "expand": "expanding", "cancel": "cancelling", "simplify": "simplifying",
    "together": "combining fractions", "factor": "factoring", "factor_terms": "factoring out common terms",
    "expand_log": "expanding the logarithms", "combsimp": "simplifying the factorials",
    "Kronecker collapse": "collapsing the Kronecker delta", "constants out of Σ":
    "taking constants out of the sum", "explicit matrices": "the matrix form written out entry by entry",
    "matrix algebra": "matrix algebra", "H symmetric": "using that H is symmetric", "diff": "differentiating",
    "counterexample": "an exact counterexample", "sign": "a sign argument", "limit": "a limit",
    "solve": "solving", "solveset": "solving", "enumeration": "checking every case",
    "exp → symbols": "treating the exponentials as symbols", "k ≠ j": "for k ≠ j",
    "one nest of sums (pull_in)": "merging the sums into one", "one nest of sums": "merging the sums",
    "doit (Kronecker δ, 1 ≤ j ≤ n)": "evaluating the Kronecker delta for 1 ≤ j ≤ n",
    "z > 0 / z < 0": "taking z > 0 and z < 0 apart", "the claim": "the claim itself",
    "the claim at l+1": "the claim at layer l+1",
}
_AT = re.compile(r"\s*\(at ([^)]*)\)$")
_NETWORKS_IN = re.compile(r"concrete diff (\[[\d,]+\](?:,\[[\d,]+\])*)")
_ON = re.compile(r"Function\('(\w+)'\) on (\[[\d,]+\])")


def _nets(text: str) -> str:
    """``[2,3,2],[3,4,4,2]`` -> ``2-3-2 and 3-4-4-2``."""
    nets = ["-".join(n.split(",")) for n in re.findall(r"\[([\d,]+)\]", text)]
    return ", ".join(nets[:-1]) + " and " + nets[-1] if len(nets) > 1 else "".join(nets)


def _rung(token: str) -> str:
    """One rung in words ("" for bookkeeping)."""
    if token == "concrete diff":
        return "differentiating them outright"
    if token.endswith(" undefined") and " " not in token[:-len(" undefined")]:
        return f"differentiating it with {token[:-len(' undefined')].replace('sigma', 'σ')} left undefined"
    head, paren, rest = token.partition(" (")
    if token not in _WORDS and head in _WORDS and paren:
        return f"{_WORDS[head]} ({plain_math(rest.rstrip(')'))})"
    if token in _WORDS:
        return _WORDS[token]
    if token.startswith("rewrite "):
        return "rewriting " + plain_math(token[len("rewrite "):])
    if re.fullmatch(r"BP\d", token) or "=" in token:
        return f"using {plain_math(token)}"
    return plain_math(token)


def _and(words: list[str]) -> str:
    return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else "".join(words)


_LADDER = {"evaluating", "expanding", "cancelling", "simplifying", "combining fractions", "factoring"}


def method_words(method: str) -> str:
    """``method`` (a proof's exact method line) in words, grouped by where each part holds: in
    general ("for any widths", said only when another part is at stated sizes), "at <sizes>", "on
    the <networks> networks"; within a scope, the ideas that did the work, each once (the algebra
    that closed each obligation -- expanding, cancelling -- only when there is no other idea)."""
    scopes: dict[str, list[str]] = {}
    for part in (p.strip() for p in method.split(" + ")):
        if not part:
            continue
        at = _AT.search(part)
        scope = f"at {plain_math(at.group(1))}" if at else ""
        part = _AT.sub("", part)
        nets = _NETWORKS_IN.search(part) or _ON.search(part)
        if nets:
            scope = f"on the {_nets(nets.group(nets.re.groups))} network" + "s" * ("],[" in nets.group(0))
            part = _NETWORKS_IN.sub("concrete diff", _ON.sub(r"\1 undefined", part))
        bucket = scopes.setdefault(scope, [])
        for token in (t.strip() for t in re.split(r",\s*(?![^()]*\))(?![^\[]*\])", part)):
            words = _rung(token)
            if words and words not in bucket:
                bucket.append(words)
    out = []
    for scope, ideas in scopes.items():
        main = [w for w in ideas if w not in _LADDER] or ideas
        how = "by " + _and(main) if main else "comparing the two sides term by term"
        if scope:
            out.append(f"{scope}: {how}")
        else:
            out.append(("for any widths, " if len(scopes) > 1 else "") + how)
    return "; ".join(out)
