"""``gradproof train [--preset P] [flags] [--json] [--save PATH]``: mini-batch SGD on MNIST."""
from __future__ import annotations

import json
import os
import sys
from dataclasses import replace

from ..errors import UsageError
from . import load_mnist, parse_sizes
from .models import ACTIVATION_HELP, COST_HELP, model
from .optimizers import add_options as add_optimizer_options, check_sgd_flags, run_optimizer

#: Config field -> the flag that sets it (for error messages).
FLAGS = {"sizes": "--sizes", "activation": "--activation", "cost": "--cost", "init": "--init",
         "eta": "--eta", "lmbda": "--lmbda", "reg": "--reg", "mini_batch_size": "--batch-size",
         "epochs": "--epochs", "seed": "--seed", "dtype": "--dtype", "target": "--preset",
         "monitor": "--preset"}


def register(sub) -> None:
    p = sub.add_parser(
        "train", help="train a network on MNIST by mini-batch SGD (the book's presets)",
        description="Train by mini-batch stochastic gradient descent with the generated kernels. "
                    "A preset reproduces a run of the book; any of its settings can be overridden. "
                    "Without --preset the settings are nielsen-ch1's, but with N(0, 1/n_in) "
                    "weights (chapter 3's; --init large: chapter 1's N(0, 1)). Exit 0 on "
                    "success, 1 when training diverges (NaN or inf: use a smaller --eta), 2 on bad "
                    "input.")
    p.add_argument("--preset", metavar="P", help="nielsen-ch1, nielsen-ch3 or softmax "
                   "(`--list-presets` shows them)")
    p.add_argument("--list-presets", action="store_true", help="list the presets and exit")
    p.add_argument("--data", metavar="DIR|sample", help="MNIST folder, or 'sample' for the bundled "
                   "sample (default: GRADPROOF_DATA, then the cache)")
    p.add_argument("--epochs", type=int, metavar="N")
    p.add_argument("--sizes", metavar="784,30,10", help="layer sizes, comma-separated")
    p.add_argument("--activation", metavar="A", help=ACTIVATION_HELP)
    p.add_argument("--cost", metavar="C", help=COST_HELP)
    p.add_argument("--init", metavar="I", help="scaled (N(0, 1/n_in), chapter 3's) or large "
                   "(N(0, 1), chapter 1's); default: scaled, except with --preset nielsen-ch1, "
                   "which keeps the book's large")
    p.add_argument("--eta", type=float, metavar="ETA", help="learning rate")
    p.add_argument("--lmbda", type=float, metavar="LAMBDA", help="regularization parameter")
    p.add_argument("--reg", metavar="l1|l2|none", help="regularization (with --lmbda)")
    p.add_argument("--batch-size", type=int, metavar="M", dest="batch_size", help="mini-batch size")
    p.add_argument("--seed", type=int, metavar="S", help="seed of the initial weights and shuffles")
    p.add_argument("--runs", type=int, default=1, metavar="N",
                   help="train N times, with seeds S, S+1, ..., and report the best epoch over all "
                        "runs, as the book's figures are (default 1); the runs train in parallel "
                        "processes (--jobs), each with one BLAS thread")
    p.add_argument("--jobs", type=int, default=None, metavar="J",
                   help="worker processes for --runs (default: one per core, at most N)")
    p.add_argument("--threads", type=int, default=None, metavar="T",
                   help="BLAS threads (default: the fastest for the mini-batch size, 1 below "
                        "100 rows; 1 per run with --runs; newton-cg: 1)")
    p.add_argument("--dtype", metavar="float64|float32", help="floating type (default float64)")
    p.add_argument("--save", metavar="PATH", help="save the trained network there (atomically)")
    p.add_argument("--json", action="store_true", help="print one JSON object at the end")
    add_optimizer_options(p)  # --optimizer newton-cg|newton and its settings (.optimizers)
    p.set_defaults(func=run)


def _config(args):
    from gradproof.numerics.config import PRESETS

    if args.preset is None:  # nielsen-ch1's settings, but not its book figure, target or N(0, 1)
        config = replace(PRESETS["nielsen-ch1"], name=None, book_accuracy=None, book_split=None,
                         book_reference="", must_reach=None, init="scaled")
    elif args.preset in PRESETS:
        config = PRESETS[args.preset]
    else:
        raise UsageError(f"--preset: unknown preset {args.preset!r}; choose one of "
                         + ", ".join(PRESETS))
    changes = {}
    if args.sizes is not None:
        changes["sizes"] = parse_sizes(args.sizes)
    for kind in ("activation", "cost"):  # a name, or a definition made here (derive.book.custom)
        if getattr(args, kind) is not None:
            changes[kind] = model(getattr(args, kind), kind).name
    for flag, field in (("init", "init"),
                        ("eta", "eta"), ("lmbda", "lmbda"), ("reg", "reg"), ("epochs", "epochs"),
                        ("batch_size", "mini_batch_size"), ("seed", "seed"), ("dtype", "dtype")):
        value = getattr(args, flag)
        if value is not None:
            changes[field] = value.lower() if isinstance(value, str) else value
    if "lmbda" in changes and changes["lmbda"] > 0 and "reg" not in changes and config.reg == "none":
        changes["reg"] = "l2"  # --lmbda alone means the book's L2
    changed = sorted(k for k, v in changes.items() if getattr(config, k) != v)
    if changes:
        config = replace(config, **changes)
    _no_op_flags(args, config)
    return config, changed


def _no_op_flags(args, config) -> None:
    """A flag that would change nothing is an error: regularization needs both a kind and a λ."""
    reg = args.reg.lower() if isinstance(args.reg, str) else None
    if reg is not None and reg != "none" and config.lmbda == 0:
        raise UsageError(f"--reg {reg}: does nothing with lmbda = 0 (the "
                         f"{'preset' if args.preset else 'default'}'s); give --lmbda too, "
                         f"e.g. --reg {reg} --lmbda 5")
    if args.lmbda is not None and args.lmbda > 0 and config.reg == "none":
        raise UsageError(f"--lmbda {args.lmbda:g}: does nothing with --reg none; drop --reg none "
                         "(--lmbda alone means L2) or drop --lmbda")


def _validated(config, data=None):
    """``config``, checked (numerics.config: no kernels, no SymPy) and, with ``data``, checked
    against the data (numerics.train, loaded then: training follows)."""
    from gradproof.numerics.config import ConfigError, check_memory

    try:
        config.validate()
        check_memory(config.sizes, config.dtype, config.mini_batch_size)
        if data is not None:
            from gradproof.numerics.train import check_data

            check_data(config, data)
    except ConfigError as exc:
        raise UsageError(f"{FLAGS.get(exc.field, exc.field)}: {exc.detail}") from None
    except ValueError as exc:  # the network would not fit in memory
        raise UsageError(f"--sizes: {exc}") from None
    return config


def _line(record: dict, epochs: int) -> str:
    acc = "  ".join(f"{k[:-9]} {v:.2%}" for k, v in record.items() if k.endswith("_accuracy"))
    cost = f"cost {record['training_cost']:.4f}  " if "training_cost" in record else ""
    return f"epoch {record['epoch']:3d}/{epochs}  {record['seconds']:6.2f} s  {cost}{acc}"


def _header(config, changed: list[str], data) -> str:
    name = config.name or "custom"
    if config.name and changed:
        name += f" (changed: {', '.join(changed)})"
    reg = ("no regularization" if config.lmbda == 0 or config.reg == "none"
           else f"{config.reg.upper()} lmbda {config.lmbda:g}")
    epochs = f"{config.epochs} epoch" + "s" * (config.epochs != 1)
    return (f"gradproof train: {name}: {'-'.join(map(str, config.sizes))} {config.activation}/"
            f"{config.cost}, init {config.init}, eta {config.eta:g}, {reg}, mini-batch "
            f"{config.mini_batch_size}, {epochs}, {config.dtype}, seed {config.seed}; "
            f"data: {data.source} ({len(data.training)} training images)")


def run(args) -> int:
    from gradproof.numerics.config import PRESETS

    if args.list_presets:
        for name, c in PRESETS.items():
            book = (f"book {c.book_accuracy:.2%} {c.book_split}" if c.book_accuracy else "book: —")
            print(f"{name:12} {'-'.join(map(str, c.sizes)):11} {c.cost:14} eta={c.eta:g} "
                  f"lmbda={c.lmbda:g} {c.epochs} epochs; {book}; must reach "
                  f"{c.must_reach:.1%} {c.target}")
        return 0
    if args.runs < 1:
        raise UsageError(f"--runs: {args.runs} is not a number of runs; give 1 or more")
    if args.runs > 1 and args.save:
        raise UsageError("--save: saving needs a single run; drop --runs or --save")
    if args.jobs is not None and args.jobs < 1:
        raise UsageError(f"--jobs: {args.jobs} is not a number of processes; give 1 or more")
    if args.threads is not None and args.threads < 1:
        raise UsageError(f"--threads: {args.threads} is not a number of threads; give 1 or more")
    if args.jobs is not None and args.runs == 1:
        print("gradproof train: warning: --jobs does nothing without --runs N (N > 1)",
              file=sys.stderr)
    check_sgd_flags(args)
    if args.optimizer != "sgd":  # Newton's method (.optimizers)
        return run_optimizer(args, _config(args)[0], _validated, load_mnist)
    config, changed = _config(args)
    _validated(config)
    if args.save is not None:  # before training, so that a long run is never lost at the end
        from gradproof.numerics.fileio import check_target

        try:
            check_target(args.save, "--save")
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    data = load_mnist(args.data, "train")  # the one no-MNIST rule (numerics.mnist)
    _validated(config, data)

    configs = [replace(config, seed=config.seed + k) for k in range(args.runs)]
    if args.runs == 1:
        runs = [_one_run(args, configs[0], changed, data)]
    else:
        runs = _many_runs(args, configs, changed, data)
    for status, _ in runs:
        if status:
            return status
    results = [r for _, r in runs]
    if args.runs == 1:
        result = results[0]
    else:
        best = max(results, key=lambda r: (r["best"]["accuracy"], -r["config"]["seed"]))
        result = {"config": {k: v for k, v in best["config"].items() if k != "seed"},
                  "seeds": [r["config"]["seed"] for r in results],
                  "runs": results,
                  "best": {**best["best"], "seed": best["config"]["seed"]},
                  "book": best["book"], "must_reach": best["must_reach"],
                  "reached": (None if best["must_reach"] is None
                              else best["best"]["accuracy"] >= best["must_reach"]),
                  "changed": changed,
                  "seconds": sum(r["seconds"] for r in results)}
    if args.json:
        print(json.dumps(result, indent=1))
    elif args.runs > 1:
        each = ", ".join(f"seed {r['config']['seed']}: {r['best']['accuracy']:.2%}" for r in results)
        print(f"best {result['best']['split']} accuracy over {args.runs} runs "
              f"{result['best']['accuracy']:.2%} (seed {result['best']['seed']}, epoch "
              f"{result['best']['epoch']}){_verdict(result)}; each run's best: {each}")
    return 0


def _verdict(result: dict) -> str:
    book = result["book"]
    reached = ("" if result["must_reach"] is None else
               f" (target {result['must_reach']:.1%}: {'reached' if result['reached'] else 'NOT reached'})")
    vs = (f"; the book: {book['accuracy']:.2%} on {book['split']}" if book["accuracy"] else "")
    if result["changed"] and (vs or result["must_reach"] is not None):
        vs += f" (with the preset's settings; changed here: {', '.join(result['changed'])})"
    return reached + vs


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


#: What a forked worker of --runs needs (set before the pool forks; read-only there).
_WORK: dict = {}


def _worker(config):
    args, changed, data = _WORK["args"], _WORK["changed"], _WORK["data"]
    return _one_run(args, config, changed, data, threads=args.threads or 1,
                    prefix=f"seed {config.seed}: ", bar=False)


def _many_runs(args, configs, changed, data) -> list[tuple[int, dict | None]]:
    """The runs of --runs: in ``--jobs`` forked processes (one per core by default), each with
    one BLAS thread unless --threads, so that the results equal those of the runs one after the
    other (``--jobs 1``); the results come back in seed order."""
    import multiprocessing as mp

    jobs = min(args.jobs or _cores(), len(configs))
    if jobs == 1 or "fork" not in mp.get_all_start_methods():
        return [_one_run(args, c, changed, data, threads=args.threads or 1,
                         prefix=f"seed {c.seed}: ", bar=False) for c in configs]
    if not args.json:
        print(f"gradproof train: {len(configs)} runs (seeds {configs[0].seed}..{configs[-1].seed}) "
              f"in {jobs} parallel processes, {args.threads or 1} BLAS thread(s) each", flush=True)
    _WORK.update(args=args, changed=changed, data=data)
    try:
        with mp.get_context("fork").Pool(jobs) as pool:
            return pool.map(_worker, configs, chunksize=1)
    finally:
        _WORK.clear()


def _one_run(args, config, changed: list[str], data, threads: int | None = None, prefix: str = "",
             bar: bool = True) -> tuple[int, dict | None]:
    """Train once; (exit status, the JSON object of the run).  ``prefix`` starts each line (the
    run's seed, with --runs); ``bar``: a progress bar when stderr is a terminal."""
    from gradproof.numerics.train import Diverged, chance_warning, train

    tty = sys.stderr.isatty() and bar
    if args.json:
        on_epoch = None
    else:
        print(_header(config, changed, data), flush=True)  # it names the seed

        def on_epoch(record):
            line = prefix + _line(record, config.epochs)
            if tty:
                from tqdm import tqdm
                tqdm.write(line, file=sys.stdout)
            else:
                print(line, flush=True)
    try:
        net, result = train(config, data, progress=tty, on_epoch=on_epoch,
                            threads=args.threads if threads is None else threads)
    except Diverged as exc:
        print(f"gradproof train: error: {prefix}{exc}" + ("; nothing saved" if args.save else ""),
              file=sys.stderr)
        return 1, None
    if args.save:
        from gradproof.numerics.fileio import printable

        try:
            net.save(args.save)
        except OSError as exc:
            raise UsageError(f"--save: cannot write {printable(args.save)}: {exc.strerror or exc}; "
                             "choose a writable path") from None
        result["saved"] = os.path.abspath(args.save)
    result["changed"] = changed  # preset settings the flags changed (the book's figure is for none)
    warning = chance_warning(result, data, config)
    if warning:
        result["warning"] = warning
        print(f"gradproof train: warning: {warning}", file=sys.stderr)
    if not args.json:
        best = result["best"]
        print(f"{prefix}best {best['split']} accuracy {best['accuracy']:.2%} at epoch {best['epoch']}"
              f"{_verdict(result)}; {result['seconds']:.1f} s"
              + (f"; saved to {args.save}" if args.save else ""))
    return 0, result
