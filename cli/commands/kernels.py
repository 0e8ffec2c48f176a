"""``gradproof kernels [--cost C] [--activation A] [--textbook | --curvature]``: print the generated
kernel source (the gradient kernels, or the Hessian-vector and Gauss-Newton products)."""
from __future__ import annotations

from ..errors import UsageError
from .models import ACTIVATION_HELP, COST_HELP, model


def register(sub) -> None:
    p = sub.add_parser("kernels", help="print the numpy kernels generated from the proved expressions",
                       description="Print the Python module that numerics generates for one cost and "
                                   "hidden activation: feedforward, cost, backprop (the book's algorithm, "
                                   "each line tagged with its theorem) and the update rules.")
    p.add_argument("--cost", default="quadratic", help=COST_HELP + " (default quadratic)")
    p.add_argument("--activation", default="sigmoid", help=ACTIVATION_HELP + " (default sigmoid)")
    p.add_argument("--textbook", action="store_true",
                   help="the textbook forms (complex-safe, used for the complex-step check) instead "
                        "of the stable forms training runs")
    p.add_argument("--curvature", action="store_true",
                   help="the Hessian-vector and Gauss-Newton product kernels (the R-operator "
                        "applied to the forward pass and BP1-BP4) instead of the gradient kernels")
    p.set_defaults(func=run)


def run(args) -> int:
    from gradproof.numerics import codegen

    import sys

    cost, activation = model(args.cost, "cost"), model(args.activation, "activation")
    if args.curvature:
        if args.textbook:
            raise UsageError("--curvature: the curvature kernels have one form (the stable one); "
                             "drop --textbook")
        from gradproof.numerics.curvature import curvature_source

        print(curvature_source(cost, activation), end="")
    else:
        print(codegen.kernel_source(cost, activation, args.textbook), end="")
    for note in (*activation.notes, *cost.notes):  # a user's model: what was (not) found
        print(f"gradproof kernels: note: {note}", file=sys.stderr)
    return 0
