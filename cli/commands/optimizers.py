"""``gradproof train --optimizer newton-cg|newton``: Newton's method, the book's Hessian technique used.

``newton-cg`` trains by truncated Newton steps solved with conjugate gradients on Gauss–Newton
products (:func:`numerics.newton.newton_cg`); ``newton`` forms H for a network small enough and
takes exact Newton steps on a fixed batch (:func:`numerics.newton.exact_newton`), showing the
quadratic convergence of the iterates.  ``sgd`` (the default) is :mod:`.train`'s own.
"""
from __future__ import annotations

import json
import sys
from dataclasses import asdict, replace

from ..errors import UsageError

OPTIMIZERS = ("sgd", "newton-cg", "newton")
#: What Newton-CG trains when no preset names a network: the issue's 784-30-10 with cross-entropy.
NEWTON_CG_NETWORK = {"sizes": (784, 30, 10), "cost": "cross_entropy", "init": "scaled"}
#: ... and exact Newton: a network whose Hessian fits, on the images averaged over 4 × 4 blocks (49
#: inputs; 500 parameters), with L2 so that the minimum is strict, on a fixed batch of EXACT_BATCH
#: training images.  (A first size of 784, 196, 49, 16 or 4 picks the blocks: 1, 2, 4, 7, 14.)
NEWTON_NETWORK = {"sizes": (49, 10), "cost": "cross_entropy", "init": "scaled", "lmbda": 1.0}
EXACT_BATCH = 1000
_POOL = {784: 1, 196: 2, 49: 4, 16: 7, 4: 14}


def add_options(p) -> None:
    """The optimizer flags of ``gradproof train``."""
    g = p.add_argument_group("Newton's method (--optimizer newton-cg or newton)")
    g.add_argument("--optimizer", default="sgd", choices=OPTIMIZERS,
                   help="sgd (default): mini-batch SGD; newton-cg: truncated Newton, (G + λI)Δw = −∇C "
                        "by conjugate gradients on Gauss-Newton products, Martens' damping; newton: "
                        "exact Newton with H formed, for a small network (49,10 on the images "
                        "averaged over 4x4 blocks by default)")
    g.add_argument("--steps", type=int, metavar="N", help="Newton steps (default 60 for newton-cg, "
                   "30 for newton)")
    g.add_argument("--gradient-batch", type=int, metavar="B", dest="gradient_batch",
                   help="newton-cg: examples per gradient and cost at the first step, growing 5%% "
                        "a step (default 1000; 0: all)")
    g.add_argument("--curvature-batch", type=int, metavar="B", dest="curvature_batch",
                   help="newton-cg: examples per Gauss-Newton product at the first step (default "
                        f"250); newton: the fixed batch (default {EXACT_BATCH})")
    g.add_argument("--cg-iterations", type=int, metavar="K", dest="cg_iterations",
                   help="newton-cg: at most K products per step (default 50)")
    g.add_argument("--damping", type=float, metavar="LAMBDA0",
                   help="newton-cg: Martens' initial damping λ (default 0.1)")
    g.add_argument("--target", type=float, metavar="ACC",
                   help="newton-cg: stop once the monitored accuracy reaches ACC (e.g. 0.95)")


def check_sgd_flags(args) -> None:
    """With ``--optimizer sgd`` the Newton flags mean nothing: say so (one line, exit 2)."""
    given = [f for f in ("steps", "gradient_batch", "curvature_batch", "cg_iterations", "damping", "target")
             if getattr(args, f, None) is not None]
    if args.optimizer == "sgd" and given:
        flag = "--" + given[0].replace("_", "-")
        raise UsageError(f"{flag}: a Newton setting; give --optimizer newton-cg or newton too")


def _sgd_only(args) -> None:
    for flag, value in (("--eta", args.eta), ("--batch-size", args.batch_size), ("--epochs", args.epochs)):
        if value is not None:
            raise UsageError(f"{flag}: an SGD setting, nothing with --optimizer {args.optimizer} "
                             "(use --steps, --gradient-batch, --curvature-batch)")
    if args.runs != 1:
        raise UsageError(f"--runs: one run at a time with --optimizer {args.optimizer}")
    if args.reg is not None and args.reg.lower() == "l1":
        raise UsageError(f"--reg l1: --optimizer {args.optimizer} takes L2 (--lmbda) or none")


def network_config(args, config):
    """The network to train: the preset's (or the flags'), or, with no preset, the optimizer's own
    (:data:`NEWTON_CG_NETWORK`, :data:`NEWTON_NETWORK`) for what the flags leave open."""
    if args.preset is not None:
        return config
    own = NEWTON_CG_NETWORK if args.optimizer == "newton-cg" else NEWTON_NETWORK
    flags = {"sizes": args.sizes, "cost": args.cost, "init": args.init, "lmbda": args.lmbda}
    changes = {k: v for k, v in own.items() if flags.get(k) is None}
    if changes.get("lmbda"):
        changes["reg"] = "l2"
    return replace(config, **changes)


def run_optimizer(args, config, validated, load_mnist) -> int:
    """``gradproof train --optimizer newton-cg|newton``: ``config`` from the preset and flags,
    ``validated(config, data=None)`` the train command's checks, ``load_mnist`` its data rule."""
    from gradproof.numerics.config import ConfigError

    _sgd_only(args)
    config = network_config(args, config)
    validated(config)
    if args.save is not None:
        from gradproof.numerics.fileio import check_target

        try:
            check_target(args.save, "--save")
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    data = load_mnist(args.data, "train")
    if args.optimizer == "newton":  # the images averaged over blocks: the first size picks them
        if config.sizes[0] not in _POOL or config.sizes[-1] != 10:
            raise UsageError(f"--sizes: exact Newton takes the images averaged over k × k blocks, "
                             f"so the first size must be one of {', '.join(map(str, _POOL))} and the "
                             f"last 10; e.g. --sizes 49,10 or 49,8,10")
    else:
        validated(config, data)
    try:
        if args.optimizer == "newton-cg":
            net, result = _newton_cg(args, config, data)
        else:
            net, result = _exact(args, config, data)
    except ConfigError as exc:
        raise UsageError(f"--{exc.field.replace('_', '-')}: {exc.detail}") from None
    except ValueError as exc:  # exact Newton: H would not fit
        raise UsageError(f"--sizes: {exc}") from None
    if args.save:
        net.save(args.save)
        result["saved"] = args.save
    if args.json:
        print(json.dumps(result, indent=1))
    return 0


def _header(args, config, data, what: str) -> None:
    if not args.json:
        print(f"gradproof train: {args.optimizer}: {'-'.join(map(str, config.sizes))} "
              f"{config.activation}/{config.cost}, init {config.init}, {what}, seed {config.seed}; "
              f"data: {data.source} ({len(data.training)} training images)", flush=True)


def _newton_cg(args, config, data):
    from gradproof.numerics.newton import NewtonCG, newton_cg, passes_to
    from gradproof.numerics.train import make_network

    defaults = NewtonCG()
    settings = NewtonCG(steps=args.steps or defaults.steps,
                        gradient_batch=defaults.gradient_batch if args.gradient_batch is None
                        else args.gradient_batch,
                        curvature_batch=args.curvature_batch or defaults.curvature_batch,
                        cg_iterations=args.cg_iterations or defaults.cg_iterations,
                        damping=args.damping or defaults.damping,
                        lmbda=config.lmbda if config.reg == "l2" else 0.0, seed=config.seed,
                        threads=defaults.threads if args.threads is None else args.threads, target=args.target)
    _header(args, config, data, f"{settings.steps} steps, gradient batch {settings.gradient_batch or 'all'}, "
                                f"curvature batch {settings.curvature_batch}, at most "
                                f"{settings.cg_iterations} CG products per step, damping {settings.damping:g}"
                                + (f", L2 lmbda {settings.lmbda:g}" if settings.lmbda else ""))
    net = make_network(config)
    monitor = {s: getattr(data, s) for s in dict.fromkeys((*config.monitor, config.target))}
    tty = sys.stderr.isatty() and not args.json

    def show(r: dict) -> None:
        if args.json:
            return
        acc = "  ".join(f"{k[:-9]} {v:.2%}" for k, v in r.items() if k.endswith("_accuracy"))
        line = (f"step {r['step']:3d}  {r['passes']:6.2f} passes  {r['seconds']:7.2f} s  damping "
                f"{r['damping']:.3g}  CG {r['cg_iterations']:2d}  {acc}")
        if tty:
            from tqdm import tqdm
            tqdm.write(line, file=sys.stdout)
        else:
            print(line, flush=True)

    records = newton_cg(net, data.training, settings, monitor=monitor, progress=tty, on_record=show)
    key = f"{config.target}_accuracy"
    best = max(records, key=lambda r: (r.get(key, 0), -r["step"]))
    reached = passes_to(records, key, args.target) if args.target else None
    result = {"optimizer": "newton-cg", "config": config.as_dict(), "settings": asdict(settings),
              "records": records, "best": {"step": best["step"], "split": config.target,
                                           "accuracy": best[key], "passes": best["passes"],
                                           "seconds": best["seconds"]},
              "reached": reached, "data": {"kind": data.kind, "training": len(data.training)}}
    if not args.json:
        print(f"best {config.target} accuracy {best[key]:.2%} at step {best['step']} "
              f"({best['passes']:.1f} passes over the data, {best['seconds']:.1f} s)"
              + (f"; {args.target:.0%} reached at step {reached['step']}, {reached['passes']:.1f} "
                 f"passes, {reached['seconds']:.1f} s" if reached else
                 (f"; {args.target:.0%} NOT reached" if args.target else "")))
    return net, result


def _exact(args, config, data):
    import numpy as np

    from gradproof.numerics.newton import ExactNewton, exact_newton, pool_pixels, quadratic_rates
    from gradproof.numerics.train import make_network

    batch = min(args.curvature_batch or EXACT_BATCH, len(data.training))
    k = _POOL[config.sizes[0]]
    settings = ExactNewton(steps=args.steps or 30, lmbda=config.lmbda if config.reg == "l2" else 0.0)
    net = make_network(config)
    P = sum(p.size for p in net.parameters())
    _header(args, config, data, f"exact Newton, H {P} × {P}, on the first {batch} training images "
                                f"averaged over {k} × {k} blocks, L2 lmbda {settings.lmbda:g}, at "
                                f"most {settings.steps} steps")
    X = pool_pixels(data.training.images[:batch], k)
    Y = np.eye(config.sizes[-1])[data.training.labels[:batch]]

    def show(r: dict) -> None:
        if not args.json:
            kind = "" if r["newton"] is None else ("Newton step" if r["newton"] else
                                                   f"damped step, μ = {r['mu']:.3g}")
            print(f"step {r['step']:3d}  cost {r['cost']:.15f}  |∇C| {r['gradient_norm']:.3e}  "
                  f"|Δw| {r['step_norm']:.3e}  {kind}", flush=True)

    records = exact_newton(net, X, Y, settings, on_step=show)
    acc = net.accuracy(pool_pixels(data.test.images, k), data.test.labels)
    rates = quadratic_rates(records)
    result = {"optimizer": "newton", "config": config.as_dict(), "parameters": P, "batch": batch,
              "pool": k, "settings": asdict(settings), "records": records, "test_accuracy": acc,
              "quadratic_rates": rates}
    if not args.json:
        print(f"{len(records) - 1} steps; |∇C| = {records[-1]['gradient_norm']:.2e} at the end; "
              f"test accuracy {acc:.2%}")
        print("errors |w_k − w_last|: " + ", ".join(f"{r['error']:.2e}" for r in records[:-1]))
        if rates:
            print("quadratic convergence: e_(k+1) / e_k² over the pure Newton steps: "
                  + ", ".join(f"{r:.3g}" for r in rates) + " (bounded: the digits double each step)")
    return net, result
