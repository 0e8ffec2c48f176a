"""``gradproof evaluate MODEL [--data DIR|sample] [--json]``: the accuracy of a network saved with
``gradproof train --save`` on the validation and test images, with a confusion matrix per split."""
from __future__ import annotations

import json
import os

from ..errors import UsageError
from . import load_mnist

SPLITS = ("validation", "test")


def register(sub) -> None:
    p = sub.add_parser(
        "evaluate", help="accuracy and confusion matrix of a saved network",
        description="Load a network saved with `gradproof train --save` and classify the MNIST "
                    "validation and test images: accuracy and the confusion matrix (rows: the true "
                    "digit, columns: the digit predicted) of each. Exit 0, or 2 on bad input.")
    p.add_argument("model", metavar="MODEL", help="a file written by `gradproof train --save`")
    p.add_argument("--data", metavar="DIR|sample", help="MNIST folder, or 'sample' for the bundled "
                   "sample (default: GRADPROOF_DATA, then the cache)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def evaluation(net, data) -> dict:
    """``{split: {"correct", "total", "accuracy", "confusion"}}`` for the validation and test sets."""
    from gradproof.numerics.train import confusion, predict

    out = {}
    for name in SPLITS:
        split = getattr(data, name)
        labels = split.labels
        matrix = confusion(labels, predict(net, split), net.sizes[-1])
        correct, total = int(matrix.trace()), int(matrix.sum())
        out[name] = {"correct": correct, "total": total,
                     "accuracy": correct / total if total else None,
                     "confusion": matrix.tolist()}
    return out


def run(args) -> int:
    if not os.path.exists(args.model):
        raise UsageError(f"{args.model}: no such file; give a network saved with "
                         "`gradproof train --save PATH`")
    if os.path.isdir(args.model):
        raise UsageError(f"{args.model} is a folder; give a network file saved with "
                         "`gradproof train --save PATH`")
    from gradproof.numerics.network import Network  # the kernels' machinery: after the cheap checks

    try:
        net = Network.load(args.model)
    except (ValueError, OSError) as exc:
        raise UsageError(f"{exc}; give a network saved with `gradproof train --save PATH`") from None
    data = load_mnist(args.data, "evaluate")  # the one no-MNIST rule (numerics.mnist)
    n_in = data.test.images.shape[1]
    if net.sizes[0] != n_in or net.sizes[-1] != 10:
        raise UsageError(f"{args.model}: the network is {'-'.join(map(str, net.sizes))}, but MNIST "
                         f"needs {n_in} inputs and 10 outputs; give a network trained on MNIST")
    result = {"model": os.path.abspath(args.model), "network": net.config(),
              "data": {"kind": getattr(data, "kind", None), "source": str(data.source),
                       **{s: len(getattr(data, s)) for s in SPLITS}},
              "splits": evaluation(net, data)}
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(f"gradproof evaluate: {args.model}: {'-'.join(map(str, net.sizes))} {net.activation}/"
          f"{net.cost_name}, {net.dtype.name}; data: {data.source}")
    for name, r in result["splits"].items():
        print(f"\n{name}: {r['correct']:,} of {r['total']:,} images correct "
              f"({r['accuracy']:.2%})" if r["total"] else f"\n{name}: no images")
        if r["total"]:
            print(_table(r["confusion"]))
    return 0


def _table(matrix: list[list[int]]) -> str:
    """The confusion matrix as text: rows are the true digit, columns the digit predicted."""
    k = len(matrix)
    width = max(4, *(len(str(v)) + 1 for row in matrix for v in row))
    head = "true \\ predicted" + "".join(f"{j:>{width}}" for j in range(k))
    rows = [f"{i:>16}" + "".join(f"{v:>{width}}" for v in row) for i, row in enumerate(matrix)]
    return "\n".join([head, *rows])
