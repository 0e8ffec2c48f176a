"""``gradproof kernels [--cost C] [--activation A] [--textbook]``: print the generated kernel source."""
from __future__ import annotations

from ..errors import UsageError


def register(sub) -> None:
    p = sub.add_parser("kernels", help="print the numpy kernels generated from the proved expressions",
                       description="Print the Python module that numerics generates for one cost and "
                                   "hidden activation: feedforward, cost, backprop (the book's algorithm, "
                                   "each line tagged with its theorem) and the update rules.")
    p.add_argument("--cost", default="quadratic",
                   help="quadratic (default), cross_entropy or log_likelihood")
    p.add_argument("--activation", default="sigmoid", help="sigmoid (default), tanh or relu")
    p.add_argument("--textbook", action="store_true",
                   help="the textbook forms (complex-safe, used for the complex-step check) instead "
                        "of the stable forms training runs")
    p.set_defaults(func=run)


def run(args) -> int:
    from numerics import codegen

    if args.cost not in codegen.COST_NAMES:
        raise UsageError(f"unknown --cost {args.cost!r}; choose one of {', '.join(codegen.COST_NAMES)}")
    if args.activation not in codegen.ACTIVATION_NAMES:
        raise UsageError(f"unknown --activation {args.activation!r}; choose one of "
                         f"{', '.join(codegen.ACTIVATION_NAMES)}")
    print(codegen.kernel_source(args.cost, args.activation, args.textbook), end="")
    return 0
