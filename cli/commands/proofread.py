"""``gradproof proofread FILE [--json] [--html PATH]``: check a derivation line by line, or every
display of notes (``.md``, ``.tex``: :mod:`gradproof.derive.claims.notes`).

Exit status: 0 every step proved, 1 a step refuted (the first is named), 3 undecided, 2 bad input
(naming the line and column), 4 internal error.
"""
from __future__ import annotations

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
    p.add_argument("--time-limit", default=None, metavar="SECONDS",
                   help="bound on the whole derivation, reading included; a step the time does "
                        "not reach is undecided (default 10 s plus 5 s per step, at most 300 s; "
                        "a limit given may be up to 3600 s)")
    p.set_defaults(func=run)


NOTES = (".md", ".markdown", ".tex")


def run(args) -> int:
    if str(args.file).lower().endswith(NOTES):
        return run_notes(args)
    from gradproof.derive.claims.proofread import ProofreadError, proofread_file
    from gradproof.derive.core.deadline import check_time_limit
    from gradproof.derive.core.escape import printable, printable_json
    from gradproof.derive.core.outcome import PROVED, REFUTED, UNDECIDED

    try:
        limit = None if args.time_limit is None else check_time_limit(args.time_limit)
    except ValueError as exc:
        raise UsageError(f"--time-limit: {exc}") from None
    try:
        d = proofread_file(args.file, time_limit=limit, network=in_network())
    except ProofreadError as exc:
        raise UsageError(str(exc)) from None
    if args.html:
        from gradproof.reports.proofread import render_proofread_html

        write_page(args.html, render_proofread_html(d))
    if args.json:
        print(printable_json(d.as_dict()))
        return exit_status(d.status)

    def show(line: str) -> None:  # everything shown passes through the one escaping function
        print(printable(line))

    show(f"{d.source}:{d.first_line}:  {d.first}")
    for i, s in enumerate(d.steps, start=1):
        v = s.verdict
        mark = {PROVED: "proved   ", REFUTED: "REFUTED  ", UNDECIDED: "undecided"}[v.status]
        show(f"{d.source}:{s.line}:  = {s.text}")
        if v.status is PROVED:
            show(f"    step {i}: {mark} by {v.method}")
        elif v.status is REFUTED:
            at = v.counterexample.text() or "everywhere"
            if v.method == "shapes":
                show(f"    step {i}: {mark} {v.detail}")
            else:
                network = (v.detail.split(": the sides differ")[0] + ", "
                           if v.method.startswith("explicit network") else "")
                show(f"    step {i}: {mark} {network}at {at}: previous line = {v.lhs_value}, "
                     f"this line = {v.rhs_value}")
        else:
            show(f"    step {i}: {mark} {v.detail}")
        if s.reason:
            show(f"        ({s.reason})")
        if v.note:
            show(f"        note: {v.note}")
    show(d.summary)
    if args.html:
        show(f"wrote {args.html}")
    return exit_status(d.status)


def run_notes(args) -> int:
    """Proofread notes: one line per display (its line, status, what was read), a line per step
    that is not proved, then the summary."""
    from gradproof.derive.claims.notes import NotesError, proofread_notes_file
    from gradproof.derive.core.escape import printable, printable_json

    try:
        n = proofread_notes_file(args.file, time_limit=10.0 if args.time_limit is None else time_limit(args),
                                 network=in_network())
    except NotesError as exc:
        raise UsageError(str(exc)) from None
    if args.html:
        from gradproof.reports.notes import render_notes_html

        with open(args.file, encoding="utf-8") as f:
            write_page(args.html, render_notes_html(n, f.read()))
    if args.json:
        print(printable_json(n.as_dict()))
        return exit_status(n.status)
    for d in n.displays:
        label = d.kind if d.kind in ("definition", "approximation") else d.status
        print(printable(f"{n.source}:{d.line}: {label.upper() if label == 'refuted' else label:<13} "
                        f"{d.read_as or d.latex}"))
        for s in d.steps:
            if s.status not in ("proved", "definition", "approximation"):
                print(printable(f"    line {s.line}: {s.status}: {s.detail}"))
    s = n.summary
    print(f"{s['status']}: {s['displays']} displays ({s['claims']} claims, {s['definitions']} definitions, "
          f"{s['approximations']} approximations, {s['unread']} not read); steps "
          f"{s['steps']['proved']} proved, {s['steps']['refuted']} refuted, {s['steps']['undecided']} "
          f"undecided" + (f"; {s['skipped']} skipped" if s["skipped"] else ""))
    for i in n.ignored:
        print(printable(f"not applied: {i}"))
    if args.html:
        print(printable(f"wrote {args.html}"))
    return exit_status(n.status)


def in_network():
    """The decider of claims in the book's network, with the theorems it relies on proved once and
    kept in the proof cache (``gradproof derive``'s)."""
    from gradproof.derive import prove
    from gradproof.derive.book.network_claims import InNetwork

    return InNetwork(prove=lambda id: prove(id, cache=True))


def write_page(path: str, page: str) -> None:
    """Write the ``--html`` page through the one escaping function (UsageError, one line, when it
    cannot be written)."""
    from gradproof.derive.core.escape import printable
    from gradproof.numerics.fileio import write_atomic

    try:
        write_atomic(path, printable(page, page=True))
    except OSError as exc:
        raise UsageError(f"--html {printable(path)}: cannot write it ({exc.strerror})") from None
