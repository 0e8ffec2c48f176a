"""``gradproof verify LHS RHS [--json]``: decide a claim typed as text.

Exit status: 0 proved, 1 refuted (the counterexample is printed), 3 undecided, 2 bad input.
"""
from __future__ import annotations

import json

from ..errors import UsageError

EXIT = {"proved": 0, "refuted": 1, "undecided": 3}


def register(sub) -> None:
    p = sub.add_parser(
        "verify", help="prove or refute a claim LHS = RHS given in SymPy syntax",
        description="Decide LHS = RHS for real values of every symbol: proved by an exact reduction "
                    "(the method is printed), refuted by exact rational values at which the sides "
                    "differ, or undecided. Functions: sigma/sigmoid, relu, tanh, exp, log/ln, "
                    "sign/sgn, Abs, sqrt, Max, Min, softplus; constants pi, E; every other name is "
                    "a real symbol; ^ is a power. Exit 0 proved, 1 refuted, 3 undecided, 2 bad input.",
        epilog='example: gradproof verify "sigma(z)*(1-sigma(z))" "exp(-z)/(1+exp(-z))^2"; '
               'a side that starts with "-" goes after "--": gradproof verify -- "-x" "x"')
    p.add_argument("lhs", metavar="LHS", help="left-hand side, e.g. 'tanh(z)'")
    p.add_argument("rhs", metavar="RHS", help="right-hand side, e.g. '2*sigma(2*z) - 1'")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--time-limit", type=float, default=30.0, metavar="SECONDS",
                   help="give up (undecided) after this many seconds (default 30)")
    p.set_defaults(func=run)


def run(args) -> int:
    from derive.verify import verify

    if not args.time_limit > 0:
        raise UsageError(f"--time-limit must be positive, not {args.time_limit}")
    try:
        v = verify(args.lhs, args.rhs, time_limit=args.time_limit)
    except ValueError as exc:
        raise UsageError(f"{exc}") from None
    if args.json:
        print(json.dumps(v.as_dict(), ensure_ascii=False))
        return EXIT[v.status]
    print(f"claim:  {v.lhs} = {v.rhs}")
    if v.status == "proved":
        print(f"proved  by {v.method}")
        print(f"        ({v.detail})")
    elif v.status == "refuted":
        print("refuted: the two sides differ at")
        for name, value in (v.counterexample or {}).items():
            print(f"    {name} = {value}")
        if not v.counterexample:
            print("    (no free symbols: the sides are different numbers)")
        print(f"  lhs = {v.lhs_value}")
        print(f"  rhs = {v.rhs_value}")
    else:
        print("undecided: " + v.detail)
    return EXIT[v.status]
