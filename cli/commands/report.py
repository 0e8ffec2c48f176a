"""``gradproof report [--out DIR] [--train PRESET|none] [--data DIR|sample] [--epochs N]``.

Proves every identity, runs the numeric gradient checks, trains a preset as the book does, and writes
report.html (self-contained), report.tex (+ report.pdf when pdflatex is on the PATH) and report.json.
Exit 0 when everything is as expected, 1 when the report flags a problem, 2 on bad input.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from ..errors import UsageError
from . import load_mnist, parse_sizes
from .derive import cache_note
from .models import ACTIVATION_HELP, COST_HELP, model


def register(sub) -> None:
    from gradproof.reports.defaults import CUSTOM_ETA, CUSTOM_INIT, DEFAULT_PRESET

    p = sub.add_parser(
        "report", help="write the HTML, LaTeX/PDF and JSON report",
        description="Prove every identity, check the generated kernels against numeric gradients, "
                    "train briefly on MNIST, and write report.html (one self-contained file: "
                    "MathML, inline SVG, no scripts), report.tex (+ report.pdf when pdflatex is on "
                    "the PATH) and report.json into --out. Exit 0 when everything is as expected, "
                    "1 when the report flags a problem (shown at its top), 2 on bad input.")
    p.add_argument("--out", default="gradproof-report", metavar="DIR",
                   help="output folder, created if needed (default: gradproof-report)")
    p.add_argument("--train", default=None, metavar="PRESET|none",
                   help=f"training preset to run, or 'none' to skip training "
                        f"(default: {DEFAULT_PRESET})")
    p.add_argument("--data", default=None, metavar="DIR|sample",
                   help="MNIST folder, or 'sample' for the bundled sample (default: the full MNIST "
                        "when it is found, else the sample)")
    p.add_argument("--epochs", type=_positive, default=None, metavar="N",
                   help="epochs to train (default: the preset's, as in the book)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    p.add_argument("--no-pdf", action="store_true", help="do not run pdflatex")
    p.add_argument("--no-cache", action="store_true", dest="no_cache",
                   help="prove every identity afresh instead of reusing the proof cache "
                        "($XDG_CACHE_HOME/gradproof/proofs)")
    p.add_argument("--activation", metavar="A", help="add a section for this activation (derived, "
                   "proved, printed, checked, trained): " + ACTIVATION_HELP)
    p.add_argument("--cost", metavar="C", help="add a section for this cost: " + COST_HELP)
    p.add_argument("--eta", type=float, metavar="ETA", help="learning rate of your model's "
                   f"training (with --activation or --cost; default {CUSTOM_ETA:g}: chapter 1's 3.0 "
                   "saturates most activations other than the sigmoid)")
    p.add_argument("--init", metavar="I", choices=("scaled", "large"),
                   help=f"initial weights of your model: scaled, N(0, 1/n_in), or large, N(0, 1) "
                        f"(default {CUSTOM_INIT}; the nielsen-ch1 preset itself keeps the book's large)")
    p.add_argument("--sizes", metavar="784,30,10",
                   help="layer sizes of your model (default: the preset's)")
    p.set_defaults(func=run)


def _positive(text: str) -> int:
    import argparse

    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--epochs must be a whole number, not {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"--epochs must be at least 1, not {n}")
    return n


def _resolve_train(name: str | None) -> str | None:
    from gradproof.numerics.config import PRESETS
    from gradproof.reports.defaults import DEFAULT_PRESET

    if name is None:
        return DEFAULT_PRESET if DEFAULT_PRESET in PRESETS else None
    if name.lower() == "none":
        return None
    if name not in PRESETS:
        raise UsageError(f"unknown training preset {name!r}; use one of "
                         f"{', '.join(sorted(PRESETS))}, or none")
    return name


def _custom_config(args, train, act, cost):
    """The training settings of the user's model: the report's preset with ``--eta``, ``--init``,
    ``--sizes`` (defaults :data:`reports.defaults.CUSTOM_ETA`, ``CUSTOM_INIT``), checked before
    anything is computed; None without a model or training."""
    from dataclasses import replace

    from gradproof.numerics.config import PRESETS, ConfigError
    from gradproof.reports.defaults import CUSTOM_ETA, CUSTOM_INIT

    flags = [f"--{k}" for k in ("eta", "init", "sizes") if getattr(args, k) is not None]
    if flags and act is None and cost is None:
        raise UsageError(f"{', '.join(flags)}: set the training of your own model; give --activation "
                         "or --cost too (the book's preset keeps its own settings)")
    if (act is None and cost is None) or train is None:
        return None
    cfg = replace(PRESETS[train], activation=act.name if act else "sigmoid",
                  cost=cost.name if cost else "cross_entropy",
                  eta=CUSTOM_ETA if args.eta is None else args.eta, init=args.init or CUSTOM_INIT,
                  sizes=parse_sizes(args.sizes) if args.sizes else PRESETS[train].sizes)
    try:
        return cfg.validate()
    except ConfigError as exc:
        flag = {"eta": "--eta", "sizes": "--sizes", "init": "--init"}.get(exc.field, "--" + exc.field)
        raise UsageError(f"{flag}: {exc.detail}") from None


def _add_custom(report, act, cost, args, cfg, epochs, progress, data) -> None:
    """The section for the user's model, trained with ``cfg`` (:func:`_custom_config`; None: not
    trained) on the data the report loaded (``data``)."""
    from gradproof.reports.custom import add_custom_section

    add_custom_section(report, act, cost, data=data if cfg is not None else None, train_config=cfg,
                       epochs=epochs or (cfg.epochs if cfg else 1), seed=args.seed, progress=progress)


def run(args) -> int:
    from gradproof.numerics.fileio import printable
    from gradproof.reports.defaults import DEFAULT_EPOCHS
    from gradproof.reports.folder import check_out_dir

    t0 = time.perf_counter()
    if args.seed < 0:
        raise UsageError(f"--seed must be a whole number >= 0, got {args.seed}")
    train = _resolve_train(args.train)  # validate every flag before creating the output folder
    user_act, user_cost = model(args.activation, "activation"), model(args.cost, "cost")
    custom_cfg = _custom_config(args, train, user_act, user_cost)
    data = load_mnist(args.data, "report", note=False)  # before the output folder is created
    if custom_cfg is not None:
        from gradproof.numerics.config import ConfigError
        from gradproof.numerics.train import check_data

        try:
            check_data(custom_cfg, data)
        except ConfigError as exc:
            raise UsageError(f"--{exc.field}: {exc.detail}") from None
    try:
        out = check_out_dir(Path(args.out))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if data.note:  # after every check, so that a bad flag is the one line printed
        print(f"gradproof report: note: {data.note}", file=sys.stderr)
    # what proves, trains and renders: loaded once every flag and the folder are known to be good
    from gradproof.reports.gather import gather
    from gradproof.reports.report import ReportError
    from gradproof.reports.write import write_report

    epochs = args.epochs or DEFAULT_EPOCHS
    if args.epochs and train is None:
        print(f"gradproof report: warning: --epochs {args.epochs} does nothing with --train none "
              "(nothing is trained); drop it, or name a preset with --train", file=sys.stderr)

    def progress(msg: str) -> None:
        print(f"gradproof report: {msg}", file=sys.stderr, flush=True)

    if not args.no_cache:
        cache_note("report")

    try:
        report = gather(train=train, data=data, epochs=epochs, seed=args.seed,
                        progress=progress, cache=not args.no_cache)
    except ReportError as exc:
        raise UsageError(str(exc)) from None
    if user_act is not None or user_cost is not None:
        _add_custom(report, user_act, user_cost, args, custom_cfg, epochs, progress, data)
    try:
        result = write_report(report, out, pdf=not args.no_pdf)
    except ReportError as exc:  # pdflatex failed: the other files are written
        print(f"gradproof report: error: {exc}; report.html, report.tex and report.json are in "
              f"{printable(out)}", file=sys.stderr)
        return 1
    except OSError as exc:
        raise UsageError(f"cannot write the report into {printable(out)}: {exc.strerror or exc}; "
                         "choose a writable folder with --out") from None
    for p in result.paths:
        print(printable(p))
    if result.note:
        print(f"gradproof report: note: {result.note}", file=sys.stderr)
    facts = report.facts
    s = facts["summary"]
    print(f"{s['proved']} of {s['identities']} identities proved, {s['slips_refuted']} of "
          f"{s['slips']} slips refuted, {s['checks_passed']} of {s['checks']} numeric checks "
          f"passed; data: {s['data']}; training: {s['training']}; "
          f"{time.perf_counter() - t0:.1f} s in all", file=sys.stderr)
    if s.get("custom"):
        print(f"your model: {s['custom']}", file=sys.stderr)
    if facts["problems"]:
        print(f"gradproof report: NOT AS EXPECTED ({len(facts['problems'])}): "
              + "; ".join(p["message"] for p in facts["problems"]), file=sys.stderr)
        return 1
    return 0
