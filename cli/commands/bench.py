"""``gradproof bench [--json] [--epochs N] [--data DIR]``: epoch times of four SGD implementations, peak memory."""
from __future__ import annotations

import json
import os
import sys

from ..errors import UsageError
from . import load_mnist


def register(sub) -> None:
    p = sub.add_parser(
        "bench", help="time the generated kernels against numpy by hand, the book's loop, JAX and "
                      "PyTorch, and against the bound of the matrix products alone",
        description="Train 784-30-10 and 784-100-10 (sigmoid, quadratic cost, mini-batch 10, float64) "
                    "with the generated kernels, a hand-written vectorized numpy reference, the book's "
                    "per-example loop, JAX (jit, when installed) and PyTorch CPU eager (when "
                    "installed), and time the epoch's matrix products alone (the bound), in "
                    "interleaved timing windows; report median epoch times, each one's ratio to the "
                    "bound, ratios against the targets, the BLAS kernel and the peak memory of a "
                    "full-MNIST training run. Exit 0 when every target is met, 1 otherwise.")
    p.add_argument("--epochs", type=int, default=5, metavar="N",
                   help="timing windows per contestant (one epoch each; default 5)")
    p.add_argument("--loop-batches", type=int, default=500, metavar="B", dest="loop_batches",
                   help="mini-batches per window of the book's per-example loop (default 500)")
    p.add_argument("--data", metavar="DIR|sample", help="MNIST folder (default: GRADPROOF_DATA, "
                   "then the cache); the targets are meant for the full 50,000 training images")
    p.add_argument("--threads", type=int, default=1, metavar="T",
                   help="BLAS threads for numpy and torch alike (default 1; 0 = leave numpy's as is)")
    p.add_argument("--no-memory", action="store_true", dest="no_memory",
                   help="skip the peak-memory child run")
    p.add_argument("--no-products", action="store_true", dest="no_products",
                   help="skip the timing of one Hessian-vector product against gradients (and JAX's "
                        "jvp of grad)")
    p.add_argument("--no-claims", action="store_true", dest="no_claims",
                   help="skip the claims' targets (a LaTeX verify against a plain one, a cold "
                        "100-display notes file)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def run(args) -> int:
    from gradproof.numerics.bench import bench

    if args.epochs < 1:
        raise UsageError(f"--epochs: must be at least 1, got {args.epochs}")
    if args.loop_batches < 1:
        raise UsageError(f"--loop-batches: must be at least 1, got {args.loop_batches}")
    if args.threads < 0:
        raise UsageError(f"--threads: must be 0 (leave as is) or more, got {args.threads}")
    data = load_mnist(args.data, "bench")  # the one no-MNIST rule (numerics.mnist)
    log = None if args.json else (lambda s: print("  " + s, file=sys.stderr, flush=True))
    result = bench(data, windows=args.epochs, loop_batches=args.loop_batches,
                   memory=not args.no_memory, data_arg=args.data, threads=args.threads or None,
                   progress=log)
    if not args.no_products:  # the R-operator's promise: one Hv against gradients
        result["products"] = _products(data, args.threads or None, log)
        result["passed"] = result["passed"] and result["products"]["passed"]
    if not args.no_claims:  # issue 16's targets: the reader and the notes
        from gradproof.numerics.bench.claims import bench_claims

        result["claims"] = bench_claims()
        result["passed"] = result["passed"] and all(result["claims"]["passed"].values())
    if args.json:
        print(json.dumps(result, indent=1))
        return 0 if result["passed"] else 1
    s = result["setup"]
    blas = s.get("blas") or {}
    print(f"gradproof bench: {s['activation']}/{s['cost']}, mini-batch {s['mini_batch_size']}, "
          f"{s['dtype']}, {s['training_images']} training images ({s['data']}); median of "
          f"{s['windows']} interleaved windows; numpy BLAS threads {s['numpy_threads']} "
          f"(default {s['numpy_threads_default']}), {blas.get('library') or 'BLAS'} "
          f"{blas.get('version') or ''} kernel {blas.get('architecture') or 'unknown'}"
          + (f" (OPENBLAS_CORETYPE={s['OPENBLAS_CORETYPE']})" if s.get("OPENBLAS_CORETYPE") else "")
          + f"; torch {s['torch'] or 'not installed'}"
          + (f" ({s['torch_threads']} threads)" if s["torch"] else "")
          + f"; jax {s.get('jax') or 'not installed'}")
    print(f"  {s['loop_note']}")
    if s.get("load_average"):
        print(f"  statistic: median CPU seconds per epoch (wall seconds in the JSON); load average at "
              f"the start {s['load_average'][0]:.1f} on {os.cpu_count()} cores")
    print("  bound: the epoch's matrix products alone (same shapes, same threads); "
          "x bound: each contestant's epoch time over it")
    for net in result["networks"]:
        med, to_bound = net["median_epoch_seconds"], net.get("ratios_to_bound", {})
        print(f"{'-'.join(map(str, net['sizes']))}: median seconds per epoch: "
              + ", ".join(f"{c} {t:.3f}" + (f" ({to_bound[c]:.2f}x bound)" if c in to_bound else "")
                          for c, t in med.items()))
        for k, r in net["ratios"].items():
            if k not in net["passed"]:
                if k == "jax_vs_generated":
                    print(f"  jax / generated epoch time: {r:.2f} (no target)")
                continue
            what = result["targets"][k]["what"]
            limit = net.get("limits", {}).get(k, result["targets"][k]["limit"])
            op = "<=" if k.startswith("generated_vs") else ">="
            print(f"  {what}: {_beside(r, limit)} (target {op} {limit:g}) "
                  f"{'pass' if net['passed'][k] else 'FAIL'}")
    mem = result.get("memory")
    if mem:
        if "error" in mem:
            print(f"peak memory: {mem['error']}")
        else:
            verdict = {True: "pass", False: "FAIL", None: "n/a"}[mem["passed"]]
            print(f"peak memory of a {mem['kind']}-MNIST training run ({mem['epochs']} epoch of "
                  f"784-100-10): {mem['peak_rss_mb']:.0f} MB (target <= {mem['target_mb']:.0f} MB) "
                  f"{verdict}")
    if "products" in result:
        _print_products(result["products"])
    if "claims" in result:
        c = result["claims"]
        mark = {True: "pass", False: "FAIL"}
        print(f"claims: a LaTeX verify / the same plain one, CPU time (median of 5 each, 3 claims): "
              f"{c['latex_vs_plain']:.2f} (target <= {c['latex_limit']:g}) "
              f"{mark[c['passed']['latex_vs_plain']]}; a {c['notes_displays']}-display notes file, "
              f"cold: {c['notes_cold_seconds']:.1f} s (target <= {c['notes_limit']:g} s) "
              f"{mark[c['passed']['notes_cold']]}")
    print("all targets met" if result["passed"] else "some targets NOT met")
    return 0 if result["passed"] else 1


def _beside(value: float, limit: float) -> str:
    """``value`` with 2 decimals, or as many more (up to 6) as it takes not to print a number equal
    to ``limit`` when it is not: 2.5031 beside a limit of 2.5 is "2.503", never "2.50 ... FAIL"."""
    for digits in range(2, 7):
        text = f"{value:.{digits}f}"
        if value == limit or float(text) != limit:
            return text
    return f"{value:.6f}"

def _products(data, threads, log) -> dict:
    """:func:`numerics.bench.products.bench_products` on the same BLAS threads as the epochs."""
    from gradproof.numerics.bench.products import bench_products
    from gradproof.numerics.bench.threads import pinned

    with pinned(threads):
        return bench_products(data, progress=log)


def _print_products(r: dict) -> None:
    """One line per network: median CPU ms per call and the ratios (target: Hv <= 2.5 gradients)."""
    print(f"one Hessian-vector product on a mini-batch of {r['batch']} images ({r['activation']}/"
          f"{r['cost']}; median CPU ms per call over {r['windows']} windows of {r['calls_per_window']}"
          f" calls; JAX {r['jax'] or 'not installed'}):")
    for net in r["networks"]:
        med, ratio = net["median_cpu_seconds"], net["ratios"]
        print(f"  {'-'.join(map(str, net['sizes']))}: " + ", ".join(f"{k} {v * 1e3:.2f}" for k, v in med.items()))
        print(f"    Hv / gradient {ratio['hv_vs_gradient']:.2f} (target <= {r['limit']:g}) "
              f"{'pass' if net['passed'] else 'FAIL'}; Hv / two gradients "
              f"{ratio['hv_vs_two_gradients']:.2f}; from a kept forward pass: Hv / gradient "
              f"{ratio['hv_at_vs_gradient']:.2f}, Gv / gradient {ratio['gv_at_vs_gradient']:.2f}"
              + (f"; JAX jvp(grad) / JAX grad {ratio['jax_hvp_vs_jax_gradient']:.2f}, Hv / JAX jvp(grad) "
                 f"{ratio['hv_vs_jax_hvp']:.2f}" if "hv_vs_jax_hvp" in ratio else ""))
