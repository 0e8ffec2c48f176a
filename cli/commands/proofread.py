"""``gradproof proofread FILE [--json] [--html PATH]``: check a derivation line by line, or every
display of notes (``.md``, ``.tex``: :mod:`gradproof.derive.claims.notes`).

Exit status: 0 every step proved, 1 a step refuted (the first is named), 3 undecided, 2 bad input
(naming the line and column), 4 internal error.
"""
from __future__ import annotations

import json

from ..errors import UsageError
from .verify import MEANING, SYNTAX, exit_status, time_limit


def register(sub) -> None:
    p = sub.add_parser(
        "proofread", help="check a derivation written as plain text, step by step",
        description="Check a derivation: optional 'let NAME = EXPR' and 'assume RELATION' lines, "
                    "a first expression, then one step per line starting with '=' (a '# reason' "
                    "may follow). Each step is decided against the line before it, as "
                    "`gradproof verify` does. " + MEANING + " " + SYNTAX
                    + " Exit 0 all proved, 1 a step refuted, 3 undecided, 2 bad input, 4 internal error.",
        epilog="examples: gradproof proofread examples/derivations/cross_entropy_sigma_prime.txt; "
               "gradproof proofread examples/notes/chapters-1-3.md --html notes.html. Notes (.md: "
               "every $$ … $$; .tex: equation, align, gather, \\[ \\], $$) are checked display by "
               "display: chains and &= rows step by step, ≈ reported, a new name on the left a "
               "definition, directives <!-- gradproof: let|assume|network|skip --> (% gradproof: in "
               "LaTeX) until the next heading of the same level. Exit 0 nothing refuted or undecided, "
               "1 a step refuted, 3 undecided or unread, 2 bad input.")
    p.add_argument("file", metavar="FILE", help="the derivation (UTF-8 text), or notes (.md, .tex)")
    p.add_argument("--json", action="store_true", help="print one JSON object with every step")
    p.add_argument("--html", metavar="PATH", help="also write the checked derivation as a "
                   "self-contained HTML page (MathML, a badge per step)")
    p.add_argument("--time-limit", default="10", metavar="SECONDS",
                   help="bound on each step's decision (default 10, at most 3600)")
    p.set_defaults(func=run)


NOTES = (".md", ".markdown", ".tex")


def run(args) -> int:
    if str(args.file).lower().endswith(NOTES):
        return run_notes(args)
    from gradproof.derive.claims.proofread import ProofreadError, proofread_file
    from gradproof.derive.core.outcome import PROVED, REFUTED, UNDECIDED

    limit = time_limit(args)
    try:
        d = proofread_file(args.file, time_limit=limit)
    except ProofreadError as exc:
        raise UsageError(str(exc)) from None
    if args.html:
        from gradproof.reports.proofread import render_proofread_html

        write_page(args.html, render_proofread_html(d))
    if args.json:
        print(json.dumps(d.as_dict(), ensure_ascii=False))
        return exit_status(d.status)
    print(f"{d.source}:{d.first_line}:  {d.first}")
    for i, s in enumerate(d.steps, start=1):
        v = s.verdict
        mark = {PROVED: "proved   ", REFUTED: "REFUTED  ", UNDECIDED: "undecided"}[v.status]
        print(f"{d.source}:{s.line}:  = {s.text}")
        if v.status is PROVED:
            print(f"    step {i}: {mark} by {v.method}")
        elif v.status is REFUTED:
            at = v.counterexample.text() or "everywhere"
            print(f"    step {i}: {mark} at {at}: previous line = {v.lhs_value}, this line = {v.rhs_value}")
        else:
            print(f"    step {i}: {mark} {v.detail}")
        if s.reason:
            print(f"        ({s.reason})")
        if v.note:
            print(f"        note: {v.note}")
    print(d.summary)
    if args.html:
        print(f"wrote {args.html}")
    return exit_status(d.status)


def run_notes(args) -> int:
    """Proofread notes: one line per display (its line, status, what was read), a line per step
    that is not proved, then the summary."""
    from gradproof.derive.claims.notes import NotesError, proofread_notes_file

    try:
        n = proofread_notes_file(args.file, time_limit=time_limit(args))
    except NotesError as exc:
        raise UsageError(str(exc)) from None
    if args.html:
        from gradproof.reports.notes import render_notes_html

        with open(args.file, encoding="utf-8") as f:
            write_page(args.html, render_notes_html(n, f.read()))
    if args.json:
        print(json.dumps(n.as_dict(), ensure_ascii=False))
        return exit_status(n.status)
    for d in n.displays:
        label = d.kind if d.kind in ("definition", "approximation") else d.status
        print(f"{n.source}:{d.line}: {label.upper() if label == 'refuted' else label:<13} {d.read_as or d.latex}")
        for s in d.steps:
            if s.status not in ("proved", "definition", "approximation"):
                print(f"    line {s.line}: {s.status}: {s.detail}")
    s = n.summary
    print(f"{s['status']}: {s['displays']} displays ({s['claims']} claims, {s['definitions']} definitions, "
          f"{s['approximations']} approximations, {s['unread']} not read); steps "
          f"{s['steps']['proved']} proved, {s['steps']['refuted']} refuted, {s['steps']['undecided']} "
          f"undecided" + (f"; {s['skipped']} skipped" if s["skipped"] else ""))
    for i in n.ignored:
        print(f"not applied: {i}")
    if args.html:
        print(f"wrote {args.html}")
    return exit_status(n.status)


def write_page(path: str, page: str) -> None:
    """Write the ``--html`` page (UsageError, one line, when it cannot be written)."""
    from gradproof.numerics.fileio import write_atomic

    try:
        write_atomic(path, page)
    except OSError as exc:
        raise UsageError(f"--html {path}: cannot write it ({exc.strerror})") from None
