"""Compute what a report shows: prove every identity, run the numeric checks, load MNIST, train.

The numerics modules are imported when they are there (a partial build reports what is missing
instead of crashing); a part that fails (a crashing check, a diverging run) becomes a problem in
the report.  Only what stops the run (no data to train on, an unknown preset) raises
:class:`~reports.report.ReportError`.
"""
from __future__ import annotations

import dataclasses
import importlib
import time
from typing import Callable, Sequence

from gradproof.numerics.config import PRESETS
from gradproof.numerics.fileio import printable

from .defaults import DEFAULT_EPOCHS, DEFAULT_PRESET
from .hessian import add_hessian_section, gather_hessian
from .report import Report, ReportError, assemble, data_summary, training_summary

__all__ = ["gather", "presets", "book_figure", "samples"]


def _optional(module: str):
    """Import a numerics module, or None when it is not there (a partial build)."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and (exc.name == module or module.startswith(exc.name + ".")):
            return None
        raise


def presets() -> dict:
    """The training presets: :data:`numerics.config.PRESETS`, the table the CLI checks ``--train``
    against."""
    return dict(PRESETS)


def book_figure(preset: str) -> dict | None:
    """The book's published accuracy for ``preset``: ``{"set", "accuracy", "epochs", "reference"}``
    (the best epoch of the book's run of ``epochs`` epochs), or None when the book gives none."""
    cfg = presets().get(preset)
    if cfg is None or getattr(cfg, "book_accuracy", None) is None:
        return None
    return {"set": cfg.book_split, "accuracy": cfg.book_accuracy, "epochs": cfg.epochs,
            "reference": getattr(cfg, "book_reference", "")}


def _kernel(cost: str, activation: str) -> dict | None:
    codegen = _optional("gradproof.numerics.codegen")
    fn = getattr(codegen, "kernel_source", None) if codegen else None
    if fn is None:
        return None
    return {"cost": cost, "activation": activation, "source": fn(cost, activation)}


#: Why the bundled sample was used, beside its name in the report's data line.
_FALLBACK_NOTE = "used because no full MNIST was found (`gradproof data --download` fetches it)"


def _load_data(mnist, data: str | None):
    """MNIST by the search order of :mod:`numerics.mnist`; the bundled sample when none is found."""
    if isinstance(data, mnist.MNIST):  # loaded (and checked) by the caller before any proving
        return data, _FALLBACK_NOTE if data.note else ""
    note = ""
    if data is None:
        path, _how = mnist.find_data(None)
        if path is None:
            data, note = "sample", _FALLBACK_NOTE
    return mnist.load(data), note


def samples(ds, net=None, *, digits: int = 24, mistakes: int = 24, chunk: int = 2000) -> dict:
    """What the report's pictures show: the first ``digits`` training images of ``ds``; with a
    trained ``net``, its guesses on every test image, the first ``mistakes`` it gets wrong and the
    10×10 confusion matrix (rows: true digit, columns: guess)."""
    import numpy as np

    out: dict = {}
    tr = ds.training
    k = min(digits, len(tr))
    out["digits"] = {"images": np.asarray(tr.images[:k]), "labels": np.asarray(tr.labels[:k]),
                     "split": "training"}
    if net is None:
        return out
    test = ds.test
    guesses = np.concatenate([net.feedforward(test.X(slice(s, s + chunk))).argmax(axis=1)
                              for s in range(0, len(test), chunk)]) if len(test) else np.zeros(0, int)
    labels = np.asarray(test.labels, dtype=np.int64)
    wrong = np.flatnonzero(guesses != labels)
    shown = wrong[:mistakes]
    out["mistakes"] = {"images": np.asarray(test.images[shown]), "labels": labels[shown],
                       "guesses": guesses[shown], "indices": shown, "wrong": len(wrong),
                       "of": len(labels), "split": "test"}
    confusion = np.zeros((10, 10), dtype=np.int64)
    np.add.at(confusion, (labels, guesses), 1)
    out["confusion"] = confusion
    return out


def gather(*, train: str | None = DEFAULT_PRESET, data: str | None = None,
           epochs: int | None = DEFAULT_EPOCHS, seed: int = 0,
           progress: Callable[[str], None] = lambda s: None, cache: bool = False,
           ids: Sequence[str] | None = None) -> Report:
    """Prove every identity (or those of ``ids``, in the registry's order), run the numeric checks, load MNIST, train preset ``train`` (None: no
    training) for ``epochs`` epochs (None: the preset's), and :func:`assemble` the report.
    ``cache``: reuse the valid outcomes of the proof cache (``derive.core.cache``; the rest are proved
    in parallel processes and stored); False proves every identity afresh.

    Raises :class:`ReportError` when the data cannot be loaded for training or the preset is
    not available.  Failures inside a part (a crashing check, a diverging run) are reported in
    the report's problems instead.
    """
    from gradproof import derive

    t_all = time.perf_counter()
    timings: dict[str, float] = {}
    chosen = None if ids is None else {derive.get(i).id for i in ids}  # KeyError: not an id
    identities = [i for i in derive.REGISTRY.values() if chosen is None or i.id in chosen]
    progress(f"proving {len(identities)} identities")
    t0 = time.perf_counter()
    proofs = derive.prove_all([i.id for i in identities], cache=cache, jobs=None)
    timings["derive"] = time.perf_counter() - t0
    cached = sum(p.cached for p in proofs)
    progress(f"  {sum(p.ok for p in proofs)} of {len(proofs)} as expected in {timings['derive']:.1f} s"
             + (f" ({cached} from the proof cache; --no-cache proves afresh)" if cached else ""))

    checks_mod = _optional("gradproof.numerics.checks")
    if checks_mod is None:
        checks = {"available": False, "results": [],
                  "note": "numerics.checks is not part of this build; no numeric checks were run"}
    else:
        progress("running the numeric gradient checks")
        t0 = time.perf_counter()
        try:
            checks = {"results": list(checks_mod.run_checks(seed=seed))}
        except Exception as exc:  # noqa: BLE001 - shown loudly in the report
            checks = {"results": [], "error": f"the numeric checks crashed: {type(exc).__name__}: "
                                              f"{exc}"}
        timings["checks"] = checks["seconds"] = time.perf_counter() - t0
        progress(f"  {sum(bool(r.get('passed')) for r in checks['results'])} of "
                 f"{len(checks['results'])} passed in {timings['checks']:.1f} s")

    data_info, ds = None, None
    mnist = _optional("gradproof.numerics.mnist")
    if mnist is not None:
        t0 = time.perf_counter()
        try:
            ds, note = _load_data(mnist, data)
            data_info = {"kind": ds.kind, "source": str(ds.source), "path": printable(ds.path),
                         "digests": dict(ds.digests), "note": note,
                         "sizes": {k: len(getattr(ds, k)) for k in ("training", "validation", "test")}}
        except Exception as exc:  # noqa: BLE001 - DataError and friends carry one line
            if train is not None:
                raise ReportError(f"could not load MNIST: {exc}") from None
            data_info = {"error": f"{exc}"}
        timings["data"] = time.perf_counter() - t0
        progress(f"data: {data_summary(data_info)}")

    training, net = None, None
    cfg = presets().get(train or DEFAULT_PRESET)
    if train is not None:
        tr = _optional("gradproof.numerics.train")
        if tr is None or cfg is None:
            raise ReportError(f"training preset {train!r} is not available in this build; "
                              "use --train none")
        cfg = dataclasses.replace(cfg, epochs=epochs or DEFAULT_EPOCHS or cfg.epochs, seed=seed)
        if "validation" in cfg.monitor and "training" not in cfg.monitor:
            # the training accuracy beside the validation accuracy: the chapter 3 overfitting plot
            cfg = dataclasses.replace(cfg, monitor=("training", *cfg.monitor))
        progress(f"training {train} for {cfg.epochs} epoch(s) on the {ds.kind} data")
        t0 = time.perf_counter()

        def on_epoch(rec: dict) -> None:
            acc = ", ".join(f"{k.replace('_accuracy', '')} {100 * v:.2f}%" for k, v in rec.items()
                            if k.endswith("_accuracy") and isinstance(v, (int, float)))
            progress(f"  epoch {rec.get('epoch')}: {acc}")

        try:
            net, result = tr.train(cfg, ds, progress=None, on_epoch=on_epoch)
            training = dict(result)
            warning = tr.chance_warning(training, ds, cfg)
            if warning:  # a run that learned nothing is never "as expected"
                training["warning"] = f"{train}: {warning}"
        except Exception as exc:  # noqa: BLE001 - shown loudly in the report
            training = {"error": f"training failed: {type(exc).__name__}: {exc}", "epochs": []}
        training["preset"] = train
        training["book"] = book_figure(train)
        timings["training"] = time.perf_counter() - t0
        progress(f"  {training_summary(training)} ({timings['training']:.1f} s)")

    kernel = None
    if cfg is not None:
        try:
            kernel = _kernel(cfg.cost, cfg.activation)
        except Exception as exc:  # noqa: BLE001 - shown in the report
            kernel = {"cost": cfg.cost, "activation": cfg.activation, "source": "",
                      "error": f"{type(exc).__name__}: {exc}"}
        if kernel is not None:
            kernel["ran"] = bool(training) and not training.get("error")
            kernel["preset"] = train or DEFAULT_PRESET

    pictures = None
    if ds is not None:
        try:
            pictures = samples(ds, net if training and not training.get("error") else None)
        except Exception as exc:  # noqa: BLE001 - a picture is not worth a failed report
            progress(f"  no pictures: {type(exc).__name__}: {exc}")
    hessian = None
    if ds is not None:  # the section "The Hessian technique, used" (reports.hessian)
        t0 = time.perf_counter()
        hessian = gather_hessian(ds, seed=seed, progress=progress, train=train is not None)
        pictures = {**(pictures or {}), "extra": hessian.figures}
        timings["hessian"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    report = assemble(identities, proofs, checks=checks, training=training, data=data_info,
                      kernel=kernel, seed=seed, timings=timings, samples=pictures)
    if hessian is not None:
        add_hessian_section(report, hessian)
    # how general the proved statements are (derive.Part); the mutation test is not run here
    # (`gradproof derive --mutants`, ~10 s more), so the report says where to find it
    report.facts["summary"]["generality"] = derive.generality_summary(proofs)
    report.facts["timings"]["render"] = round(time.perf_counter() - t0, 3)
    report.facts["timings"]["total"] = round(time.perf_counter() - t_all, 3)
    return report
