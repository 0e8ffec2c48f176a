"""``gradproof verify LHS RHS`` or ``gradproof verify "LHS = RHS"`` (``[--let NAME=EXPR]...
[--assume REL]... [--json]``): decide a claim, after printing what was read (``read as: …``, in the
book's notation, so that a misreading shows).

Exit status: 0 proved, 1 refuted (the counterexample is printed), 3 undecided, 2 bad input,
4 internal error (never 0, 1 or 3).
"""
from __future__ import annotations

import argparse

from ..errors import UsageError



def exit_status(status) -> int:
    """The exit status of a verdict: 0 proved, 1 refuted, 3 undecided."""
    from gradproof.derive.core.outcome import PROVED, REFUTED, UNDECIDED

    return {PROVED: 0, REFUTED: 1, UNDECIDED: 3}[status]

#: What a verdict means, said once for ``--help`` and the docs.
MEANING = ("Proved means: LHS = RHS for every real value of the symbols (within the assumptions) "
           "at which both sides are defined, by an exact reduction (the method is printed). "
           "Refuted means: exact rational values of the symbols at which every subexpression of "
           "both sides is real and defined and the sides differ (certified, then re-evaluated "
           "independently at high precision). Anything else is undecided.")
SYNTAX = ("Plain text, Unicode or LaTeX (\\frac{1}{1+e^{-z}}, \\sigma'(z), \\eta\\lambda, w^l_{jk}, "
          "\\sum_{k=1}^{n}, \\binom{n}{m}); juxtaposition is a product (2x, σ(z)(1 − σ(z)), ηλ); "
          "sums Sum(f, (k, 1, n)), binomial(n, m), factorial(n) or n!. "
          "Functions: sigma/sigmoid/σ, relu, tanh, exp, log/ln, sign/sgn, Abs or |x|, sqrt, Max, "
          "Min, softplus, Heaviside, sin, cos, tan, sinh, cosh, atan, asin, acos, atanh; derivatives "
          "diff(f, z), diff(f, z, 2), "
          "diff(f, x, y), Derivative(f, z), and sigma'(z), σ′(z), tanh'(z), softplus'(z), relu'(z) "
          "(ReLU′(0) = 0). Constants: pi/π and e = E, Euler's number (e^z is the exponential, so "
          "no symbol can be called e). Every other name is a real symbol; ^ or ** is a power; "
          "x², −, · and × are read as written.")


class _ExpressionArgs(argparse.ArgumentParser):
    """Reads a positional that starts with '-' (``-x``, ``-(a - y)``) as an expression, not an
    option: only the options this command defines are options."""

    def _parse_optional(self, arg_string):
        if (arg_string.startswith("-") and not arg_string.startswith("--")
                and arg_string not in self._option_string_actions):
            return None
        return super()._parse_optional(arg_string)


def expression_arguments(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Let ``p`` accept expressions starting with '-' as positionals (used by proofread too)."""
    p.__class__ = type("ExpressionArgs", (_ExpressionArgs, type(p)), {})
    return p


def add_claim_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--let", action="append", default=[], metavar="NAME=EXPR",
                   help="a definition substituted before deciding, e.g. --let 'z = w*x + b' "
                        "(repeatable; later ones may use earlier ones)")
    p.add_argument("--assume", action="append", default=[], metavar="RELATION",
                   help="restrict the domain of the proof and of the counterexample search, e.g. "
                        "--assume '0 < a < 1', --assume 'w != 0', --assume 'n > 0', "
                        "--assume 'n integer' (repeatable)")
    p.add_argument("--time-limit", default="30", metavar="SECONDS",
                   help="bound on the whole decision; undecided when it runs out (default 30, "
                        "at most 3600)")


def register(sub) -> None:
    p = sub.add_parser(
        "verify", help="prove or refute a claim LHS = RHS (algebra and derivatives)",
        description="Decide LHS = RHS: proved, refuted with exact values, or undecided. "
                    + MEANING + " " + SYNTAX
                    + " Exit 0 proved, 1 refuted, 3 undecided, 2 bad input, 4 internal error.",
        epilog='examples: gradproof verify "sigma(z)*(1-sigma(z))" "exp(-z)/(1+exp(-z))^2"; '
               'gradproof verify "\\frac{d}{dz}\\sigma(z) = \\sigma(z)(1-\\sigma(z))"; '
               'gradproof verify "sigma\'(z)" "sigma(z)*(1 - sigma(z))"; '
               'gradproof verify --let "z = w*x + b" '
               '"diff(-(y*log(sigma(z)) + (1-y)*log(1-sigma(z))), w)" "x*(sigma(z) - y)"')
    expression_arguments(p)
    p.add_argument("lhs", metavar="LHS", help="left-hand side, e.g. 'tanh(z)', or the whole "
                   "equation 'tanh(z) = 2σ(2z) − 1'")
    p.add_argument("rhs", metavar="RHS", nargs="?", default=None,
                   help="right-hand side, e.g. '2*sigma(2*z) - 1' (may start with '-'); omit it "
                        "when LHS is an equation")
    add_claim_options(p)
    p.add_argument("--network", action="store_true",
                   help="decide the claim in the book's network of chapter 2 (any depth L and "
                        "widths n_l): C, a^l_j, z^l_j, w^l_jk, b^l_j, δ^l_j, y, whole layers z^l, "
                        "(w^{l+1})^T, ⊙ and ∇_a C mean what the book means; proved for every "
                        "depth and width by the book's theorems BP1-BP4, refuted with an explicit "
                        "small network, or 'holds at the sizes checked'")
    p.add_argument("--cost", default=None, metavar="NAME",
                   help="with --network: the cost, any (default), quadratic, cross_entropy or "
                        "log_likelihood")
    p.add_argument("--output", default=None, metavar="NAME",
                   help="with --network: the output layer, any (σ any differentiable "
                        "activation), sigmoid (σ the logistic function; the default for "
                        "cross_entropy) or softmax (the default, and only one, for log_likelihood)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def time_limit(args) -> float:
    from gradproof.derive.core.deadline import check_time_limit

    try:
        return check_time_limit(args.time_limit)
    except ValueError as exc:
        raise UsageError(f"--time-limit: {exc}") from None


def _in_network(args, limit: float):
    from gradproof.derive import prove
    from gradproof.derive.book.network_claims import verify_in_network

    if args.let or args.assume:
        raise UsageError("--let and --assume are not read with --network; write the claim with "
                         "the network's own quantities")
    options = " ".join(f"{k}={v}" for k, v in (("cost", args.cost), ("output", args.output)) if v)
    return verify_in_network(args.lhs, args.rhs, network=options, time_limit=limit,
                             prove=lambda id: prove(id, cache=True))


def run(args) -> int:
    from gradproof.derive.claims.verify import verify
    from gradproof.derive.core.escape import printable, printable_json
    from gradproof.derive.core.outcome import PROVED, REFUTED

    limit = time_limit(args)
    try:
        if args.network or args.cost or args.output:
            v = _in_network(args, limit)
        else:
            v = verify(args.lhs, args.rhs, time_limit=limit, let=args.let, assume=args.assume)
    except ValueError as exc:
        raise UsageError(f"{exc}") from None
    except RecursionError:
        raise UsageError("the claim is nested too deeply to handle; split it with --let") from None
    if args.json:
        print(printable_json(v.as_dict()))
        return exit_status(v.status)

    def show(line: str) -> None:  # everything shown passes through the one escaping function
        print(printable(line))

    if v.read_as:
        show(f"read as: {v.read_as}")
    show(f"claim:  {v.lhs} = {v.rhs}")
    if v.domain:  # none when the time ran out while the claim was read
        show(f"domain: {v.domain}")
    if v.status is PROVED:
        show(f"proved  by {v.method}")
        show(f"        ({v.detail})")
    elif v.status is REFUTED and v.method == "shapes":
        show(v.detail)
    elif v.status is REFUTED:
        network, _, more = v.detail.partition(": the sides differ")
        if v.method.startswith("explicit network"):
            show(f"refuted {network}: the two sides differ at")
        else:
            show("refuted: the two sides differ at")
        for name, value in (v.counterexample or {}).items():
            show(f"    {name} = {value}")
        if not v.counterexample:
            show("    (no free symbols: the sides are different numbers)")
        show(f"  lhs = {v.lhs_value}")
        show(f"  rhs = {v.rhs_value}")
        if v.difference:
            show(f"  lhs − rhs = {v.difference}")
        if " (and refuted on the shapes: " in more:
            show("  and " + more.split(" (and ", 1)[1][:-1])
    else:
        show("undecided: " + v.detail)
    if v.note:
        show(f"note:   {v.note}")
    return exit_status(v.status)
