"""``gradproof proofread FILE [--json] [--html PATH]``: check a derivation line by line.

Exit status: 0 every step proved, 1 a step refuted (the first is named), 3 undecided, 2 bad input
(naming the line and column), 4 internal error.
"""
from __future__ import annotations

from ..errors import UsageError
from .verify import MEANING, SYNTAX, exit_status


def register(sub) -> None:
    p = sub.add_parser(
        "proofread", help="check a derivation written as plain text, step by step",
        description="Check a derivation: optional 'let NAME = EXPR' and 'assume RELATION' lines, "
                    "a first expression, then one step per line starting with '=' (a '# reason' "
                    "may follow). Each step is decided against the line before it, as "
                    "`gradproof verify` does. " + MEANING + " " + SYNTAX
                    + " Exit 0 all proved, 1 a step refuted, 3 undecided, 2 bad input, 4 internal error.",
        epilog="example: gradproof proofread examples/derivations/cross_entropy_sigma_prime.txt")
    p.add_argument("file", metavar="FILE", help="the derivation (UTF-8 text)")
    p.add_argument("--json", action="store_true", help="print one JSON object with every step")
    p.add_argument("--html", metavar="PATH", help="also write the checked derivation as a "
                   "self-contained HTML page (MathML, a badge per step)")
    p.add_argument("--time-limit", default=None, metavar="SECONDS",
                   help="bound on the whole derivation, reading included; a step the time does "
                        "not reach is undecided (default 10 s plus 5 s per step, at most 300 s; "
                        "a limit given may be up to 3600 s)")
    p.set_defaults(func=run)


def run(args) -> int:
    from gradproof.derive.claims.proofread import ProofreadError, proofread_file
    from gradproof.derive.core.deadline import check_time_limit
    from gradproof.derive.core.escape import printable, printable_json
    from gradproof.derive.core.outcome import PROVED, REFUTED, UNDECIDED

    try:
        limit = None if args.time_limit is None else check_time_limit(args.time_limit)
    except ValueError as exc:
        raise UsageError(f"--time-limit: {exc}") from None
    try:
        d = proofread_file(args.file, time_limit=limit)
    except ProofreadError as exc:
        raise UsageError(str(exc)) from None
    if args.html:
        from gradproof.numerics.fileio import write_atomic
        from gradproof.reports.proofread import render_proofread_html

        try:
            write_atomic(args.html, printable(render_proofread_html(d), page=True))
        except OSError as exc:
            raise UsageError(f"--html {printable(args.html)}: cannot write it ({exc.strerror})") from None
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
            show(f"    step {i}: {mark} at {at}: previous line = {v.lhs_value}, this line = {v.rhs_value}")
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
