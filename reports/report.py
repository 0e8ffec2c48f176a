"""The facts of a report: proofs, numeric checks, kernel, data, training, environment.

:func:`assemble` is pure: it turns results that are already computed (identities and their proofs,
check results, a training record, ...) into a :class:`Report`, whose ``facts`` are plain JSON data
(``report.json``) and from which :mod:`reports.html` and :mod:`reports.latex` render the two
documents: a report is data and knows nothing of its renderers.  :func:`reports.gather.gather`
computes those results; :mod:`reports.write` renders and writes the files.  Problems (an identity not as expected, a failed check, a crash) are collected in
``facts["problems"]``, which every output shows first.
"""
from __future__ import annotations

import datetime as _dt
import importlib.metadata
import json
import math
import platform
import re
import shutil
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

from gradproof.derive.core.methods import method_words
from gradproof.derive.core.outcome import PROVED, REFUTED, UNDECIDED, Counterexample

from .render import RenderError, identity_math, latex_to_mathml, unicode_to_latex
from .view import fmt_num

if TYPE_CHECKING:  # pragma: no cover
    from .plots import Figures

__all__ = ["Report", "ReportError", "assemble", "environment", "method_kinds", "identity_facts",
           "check_facts", "worst_by_method", "data_summary", "training_summary", "FORMAT"]

FORMAT = "gradproof-report/1"
_PACKAGES = ["gradproof", "sympy", "numpy", "mpmath", "latex2mathml", "jinja2", "matplotlib"]


class ReportError(RuntimeError):
    """The report could not be made (the message says which part and why)."""


@dataclass
class Report:
    """Everything a report shows.  ``facts`` is JSON data; ``mathml`` maps each LaTeX string of the
    facts to its checked MathML; ``figures`` holds the learning curves (or None)."""

    facts: dict
    mathml: dict[str, str] = field(default_factory=dict)
    figures: "Figures | None" = None
    pictures: dict[str, str] = field(default_factory=dict)  # name -> inline SVG

    @property
    def ok(self) -> bool:
        """True when nothing is flagged: every identity as expected, every numeric check passed."""
        return not self.facts["problems"]

    def to_json(self) -> str:
        """``report.json``: the facts as they are (the HTML and LaTeX documents are rendered from
        them by :func:`reports.html.render_html` and :func:`reports.latex.render_tex`)."""
        return json.dumps(self.facts, indent=1, ensure_ascii=False, allow_nan=False) + "\n"


# --- assembling -----------------------------------------------------------------------------------

def _finite(x):
    """JSON has no NaN/inf: write them as strings so they are seen, not silently dropped."""
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    if isinstance(x, dict):
        return {str(k): _finite(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_finite(v) for v in x]
    if hasattr(x, "item") and callable(x.item):  # numpy scalars
        try:
            return _finite(x.item())
        except (TypeError, ValueError):
            pass
    return x


def _method_parts(method: str) -> list[str]:
    return [m.strip() for m in method.split(" + ") if m.strip()] or ["none"]


_LADDER = ("structural", "doit", "expand", "cancel", "simplify")


def method_kinds(methods: Sequence[str]) -> dict:
    """Tally the obligations of proved identities by how each was closed.

    ``reductions``: ladder method -> count (``lhs - rhs`` reduced to exactly 0), ``rewritten``: how
    many of those after a targeted rewrite; ``checks``: other exact checks (limit, sign, solve, ...)
    by their name without the details in brackets.
    """
    reductions: dict[str, int] = {}
    checks: dict[str, int] = {}
    rewritten = 0
    for method in methods:
        for part in _method_parts(method):
            part = re.sub(r"\s*\(at [^)]*\)$", "", part)  # "(at n = 2, 3, 4)": where, not how
            last = part.rsplit(", ", 1)[-1]
            if last in _LADDER:
                reductions[last] = reductions.get(last, 0) + 1
                rewritten += part != last
            else:
                name = re.split(r" \(| \[| at | on | m=", part, maxsplit=1)[0].strip() or part
                checks[name] = checks.get(name, 0) + 1
    order = lambda d: dict(sorted(d.items(), key=lambda kv: (-kv[1], kv[0])))  # noqa: E731
    return {"reductions": order(reductions), "rewritten": rewritten, "checks": order(checks)}


def _cache_summary(ids: list[dict]) -> dict:
    """How many outcomes came from the proof cache (derive.core.cache), and when those were proved."""
    times = sorted(d["proved_at"] for d in ids if d["cached"] and d["proved_at"])
    return {"cached": sum(bool(d["cached"]) for d in ids), "total": len(ids),
            "earliest": times[0] if times else None, "latest": times[-1] if times else None}


def identity_facts(identity, proof, mathml: dict[str, str], problems: list[dict]) -> dict:
    """The JSON facts of one identity and its proof: statement, steps and reasons as LaTeX (their
    MathML added to ``mathml``), status, method, counterexample.  A derivation that cannot be
    rendered, or an outcome not as expected, is appended to ``problems`` (never raised)."""
    d = {"id": identity.id, "title": identity.title, "group": identity.group,
         "equation": identity.equation, "expect": identity.expect, "note": identity.note,
         "status": proof.status, "method": proof.method, "method_words": method_words(proof.method),
         "seconds": round(proof.seconds, 4),
         "ok": proof.ok, "counterexample": proof.counterexample, "detail": proof.detail,
         "assumptions": "", "statement": [], "steps": [], "render_error": None,
         "checked_at": [], "display_notes": [],
         "cached": getattr(proof, "cached", False), "proved_at": getattr(proof, "proved_at", None)}
    try:
        math_ = identity_math(identity)
        d["assumptions"] = identity.derivation.assumptions
        d["statement"] = list(math_.statement)
        d["steps"] = [{"latex": t, "reason": r} for t, r in math_.steps]
        d["checked_at"] = list(math_.checked_at)
        d["display_notes"] = list(math_.notes)
        mathml.update(math_.mathml)
    except RenderError as exc:
        d["render_error"] = str(exc)
        problems.append({"kind": "render", "id": identity.id,
                         "message": f"{identity.id}: its mathematics could not be rendered: {exc}"})
    except Exception as exc:  # noqa: BLE001 - a broken derivation is reported, not a crash
        d["render_error"] = f"{type(exc).__name__}: {exc}"
        problems.append({"kind": "render", "id": identity.id,
                         "message": f"{identity.id}: building its derivation failed: "
                                    f"{type(exc).__name__}: {exc}"})
    d["equation_latex"] = _equation_latex(identity.equation)
    d["counterexample_latex"] = _counterexample_latex(proof.counterexample)
    d["detail_values"] = _values_of(proof.detail, proof.counterexample)
    if not proof.ok:
        what = ("was refuted" if proof.status is REFUTED else
                "is undecided" if proof.status is UNDECIDED else f"ended {proof.status}")
        if identity.expect is REFUTED:
            what = f"is a recorded slip but was not refuted ({proof.status})"
        problems.append({"kind": "identity", "id": identity.id,
                         "message": f"{identity.id} ({identity.title}) {what}"
                                    + (f": {proof.detail}" if proof.detail else "")})
    return d


def _equation_latex(equation: str | None) -> str | None:
    """The book-equation field as LaTeX when it is a formula (``\\delta^L = a^L - y``) that renders
    cleanly; None for a label such as ``(2)`` or plain text, which the templates print as text."""
    if not equation or not any(c in equation for c in "\\^_"):
        return None
    try:
        tex = unicode_to_latex(equation)
        latex_to_mathml(tex, False)
    except RenderError:
        return None
    return tex


def _values_of(detail: str, point: Counterexample | None) -> str:
    """A refutation's detail without the point it names (the report shows that point as
    mathematics): ``"at x = 1/3: lhs = 1, rhs = 2"`` -> ``"lhs = 1, rhs = 2"``,
    ``"statement part 1: at x = 1/3: lhs = 1, rhs = 2"`` -> ``"statement part 1: lhs = 1, rhs = 2"``."""
    if not detail or not point:
        return detail or ""
    return detail.replace(point.where() + ": ", "", 1)  # also after "statement part 1: "


def _counterexample_latex(point: Counterexample | None) -> list[str] | None:
    """The point as LaTeX equations (:meth:`Counterexample.latex`: ``x = \\frac{1}{3}``, ...), or
    None when one of them does not render cleanly (the templates then print the values as text)."""
    if not point:
        return None
    try:
        out = point.latex()
        for tex in out:
            latex_to_mathml(tex, False)
    except (RenderError, ValueError):
        return None
    return out


def check_facts(checks: dict | None, problems: list[dict]) -> dict:
    """The JSON facts of the numeric gradient checks (``{"results": [...], "seconds", "note",
    "error"}`` or None: not run); each failed check, and a crash, is appended to ``problems``."""
    if checks is None:
        return {"available": False, "note": "numeric checks were not run", "results": []}
    results = _finite(list(checks.get("results") or []))
    for r in results:
        if not r.get("passed", False):
            worst = r.get("worst") or {}
            where = (f"; worst at {worst['where']}: analytic {worst.get('analytic')!r} vs numeric "
                     f"{worst.get('numeric')!r}" if worst.get("where") else "")
            problems.append({"kind": "check", "id": str(r.get("id", "?")),
                             "message": f"numeric check {r.get('id', '?')} failed: max relative "
                                        f"error {fmt_num(r.get('max_rel_error'))} > tolerance "
                                        f"{fmt_num(r.get('tolerance'))}{where}"})
    if checks.get("error"):
        problems.append({"kind": "check", "id": "checks", "message": checks["error"]})
    return {"available": checks.get("available", True), "note": checks.get("note", ""),
            "results": results, "seconds": checks.get("seconds")}


def worst_by_method(results: list[dict]) -> dict[str, dict]:
    """For each numeric method of ``results``, its largest relative error (``value``, the check's
    ``id``) and the method's tolerance."""
    out: dict[str, dict] = {}
    for r in results:
        m = r.get("method", "?")
        w = _worst([x for x in results if x.get("method", "?") == m])
        if w is not None:
            out[m] = {**w, "tolerance": r.get("tolerance")}
    return out


def _worst(results: list[dict]) -> dict | None:
    vals = [(r.get("max_rel_error"), r) for r in results
            if isinstance(r.get("max_rel_error"), (int, float))]
    if not vals:
        return None
    v, r = max(vals, key=lambda p: p[0])
    return {"value": v, "id": r.get("id"), "method": r.get("method")}


def training_summary(training: dict | None) -> str:
    """One line: the preset, the epochs, the final and best accuracy, and the book's figure beside
    them (with why it does not apply to a run on the sample)."""
    if not training:
        return "not run"
    if training.get("error"):
        return "failed: " + training["error"]
    if training.get("warning"):
        return "FAILED: " + training["warning"]
    final, best, book = training.get("final") or {}, training.get("best") or {}, training.get("book")
    n = len(training.get("epochs") or [])
    split = best.get("split") or (book or {}).get("set") or "test"
    key = f"{split}_accuracy"
    txt = f"{training.get('preset', '?')}, {n} epoch{'s' * (n != 1)}"
    if final.get(key) is not None:
        txt += f": final {split} accuracy {100 * final[key]:.2f}%"
        if best.get("accuracy") is not None:
            txt += f" (best {100 * best['accuracy']:.2f}% at epoch {best.get('epoch', '?')})"
    if book and book.get("accuracy") is not None:
        txt += (f"; the book reports {100 * book['accuracy']:.2f}% {book.get('set', '')} after "
                f"{book.get('epochs', '?')} epochs on the full MNIST")
        if training.get("data_kind") not in (None, "full"):
            txt += (f" (this run trained on the {training['data_kind']} data, so the book's figure "
                    "does not apply to it)")
        elif n < (book.get("epochs") or 0):
            txt += " (this is a short run)"
    return txt


def _versions() -> dict[str, str]:
    out = {}
    for p in _PACKAGES:
        try:
            out[p] = importlib.metadata.version(p)
        except importlib.metadata.PackageNotFoundError:
            out[p] = "not installed"
    return out


def environment(seed: int | None = None) -> dict:
    """Python, platform, package versions, pdflatex and the seed."""
    return {"python": platform.python_version(), "implementation": platform.python_implementation(),
            "platform": platform.platform(), "packages": _versions(),
            "pdflatex": shutil.which("pdflatex") or "not found", "seed": seed}


def assemble(identities: Sequence, proofs: Sequence, *, groups: dict[str, str] | None = None,
             checks: dict | None = None, training: dict | None = None, data: dict | None = None,
             kernel: dict | None = None, seed: int | None = None,
             timings: dict[str, float] | None = None, samples: dict | None = None) -> Report:
    """Build a :class:`Report` from computed results.

    ``identities``/``proofs``: parallel sequences (``derive.Identity``, ``derive.Proof``).
    ``checks``: ``{"results": run_checks(...), "seconds": s, "note": ...}`` or None.
    ``training``: a ``gradproof train --json`` object plus ``"preset"`` and ``"book"``
    (``{"set", "accuracy", "epochs"}`` or None), or ``{"error": ...}``, or None.
    ``data``: ``{"kind", "source", "digests"}``.  ``kernel``: ``{"cost", "activation", "source"}``.
    ``samples``: pictures of the data and the trained network (:func:`reports.gather.samples`):
    ``{"digits": {"images", "labels", "split"}, "mistakes": {"images", "labels", "guesses",
    "indices", "wrong", "of"}, "confusion": 10×10 counts}``, each part optional.
    """
    if len(identities) != len(proofs):
        raise ValueError(f"assemble: {len(identities)} identities but {len(proofs)} proofs")
    if groups is None:
        from gradproof.derive.core.theorem import GROUPS as groups  # noqa: N811
    problems: list[dict] = []
    mathml: dict[str, str] = {}
    ids = [identity_facts(i, p, mathml, problems) for i, p in zip(identities, proofs)]
    order = {g: k for k, g in enumerate(groups)}
    grouped = [{"key": g, "heading": groups[g], "ids": [d["id"] for d in ids if d["group"] == g]}
               for g in groups]
    stray = [d["id"] for d in ids if d["group"] not in order]
    if stray:
        grouped.append({"key": "other", "heading": "Other identities", "ids": stray})
    grouped = [g for g in grouped if g["ids"]]

    checked = check_facts(checks, problems)
    if training and (training.get("error") or training.get("warning")):
        problems.append({"kind": "training", "id": "training",
                         "message": training.get("error") or training["warning"]})
    training = _finite(training) if training else None
    if training is not None:
        training["data_kind"] = (data or {}).get("kind")

    real = [d for d in ids if d["expect"] != REFUTED]
    slips = [d for d in ids if d["expect"] == REFUTED]
    methods: dict[str, int] = {}
    for d in real:
        if d["status"] == PROVED:
            for m in _method_parts(d["method"]):
                methods[m] = methods.get(m, 0) + 1
    results = checked["results"]
    summary = {
        "identities": len(real), "proved": sum(d["status"] == PROVED for d in real),
        "refuted": sum(d["status"] == REFUTED for d in real),
        "undecided": sum(d["status"] == UNDECIDED for d in real),
        "methods": dict(sorted(methods.items(), key=lambda kv: (-kv[1], kv[0]))),
        "method_kinds": method_kinds([d["method"] for d in real if d["status"] == PROVED]),
        "slips": len(slips), "slips_refuted": sum(d["status"] == REFUTED for d in slips),
        "not_as_expected": [d["id"] for d in ids if not d["ok"]],
        "checks": len(results), "checks_passed": sum(bool(r.get("passed")) for r in results),
        "worst_rel_error": _worst(results),
        "worst_rel_error_by_method": worst_by_method(results),
        "data": data_summary(data), "training": training_summary(training),
        "ok": not problems,
        "cache": _cache_summary(ids),
    }
    timings = {k: round(v, 3) for k, v in (timings or {}).items()}
    timings.setdefault("derive", round(sum(p.seconds for p in proofs), 3))
    facts = {
        "format": FORMAT,
        "generated": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "summary": summary, "problems": problems, "groups": grouped, "identities": ids,
        "slips": [d["id"] for d in slips], "checks": checked, "kernel": kernel,
        "data": _finite(data), "training": training,
        "environment": environment(seed), "timings": timings,
    }
    figures, pics = _pictures(training, samples or {})
    facts["pictures"] = _picture_facts(samples or {}, pics)
    return Report(facts, mathml, figures, pics.svg if pics else {})


def _pictures(training: dict | None, samples: dict):
    """The report's figures, one multi-page PDF (``Figures.pdf``; ``Figures.svg`` the curves)."""
    from . import plots

    build = {}
    if training and training.get("epochs"):
        build["curves"] = lambda: plots.curves_figure(training, training.get("book"))
    d = samples.get("digits")
    if d is not None and len(d["labels"]):
        build["digits"] = lambda: plots.digit_grid(d["images"], d["labels"])
    mk = samples.get("mistakes")
    if mk is not None and len(mk["labels"]):
        build["mistakes"] = lambda: plots.mistakes_grid(mk["images"], mk["labels"], mk["guesses"])
    if samples.get("confusion") is not None:
        build["confusion"] = lambda: plots.confusion_figure(samples["confusion"])
    build.update(samples.get("extra") or {})  # a section's own figures (reports.hessian)
    if not build:
        return None, None
    pics = plots.pictures(build)
    return plots.Figures(pics.svg.get("curves", ""), pics.pdf), pics


def _picture_facts(samples: dict, pics) -> dict:
    """What the pictures show, as JSON: page numbers in the figure PDF, the misread test images
    (index, label, guess) and the confusion matrix."""
    out: dict = {"pages": {n: k + 1 for k, n in enumerate(pics.pages)} if pics else {}}
    d = samples.get("digits")
    if d is not None:
        out["digits"] = {"split": d.get("split"), "count": int(len(d["labels"]))}
    mk = samples.get("mistakes")
    if mk is not None:
        out["mistakes"] = {"wrong": int(mk["wrong"]), "of": int(mk["of"]), "split": mk.get("split", "test"),
                           "shown": [{"index": int(i), "label": int(a), "guess": int(g)}
                                     for i, a, g in zip(mk["indices"], mk["labels"], mk["guesses"])]}
    if samples.get("confusion") is not None:
        out["confusion"] = [[int(v) for v in row] for row in samples["confusion"]]
    return out


def data_summary(data: dict | None) -> str:
    """One line: which data, how big, where it was found (and why, for the fallback sample)."""
    if not data:
        return "no data loaded"
    if data.get("error"):
        return "could not load MNIST: " + data["error"]
    kind = data.get("kind")
    sizes = data.get("sizes") or {}
    counts = " / ".join(f"{n:,} {k}" for k, n in sizes.items())
    if kind == "full":
        text = "the full MNIST"
    elif kind == "sample":
        text = "the bundled MNIST sample, a small subset (not the full data set)"
    else:
        text = f"MNIST ({kind})"
    if counts:
        text += f": {counts} images"
    source = str(data.get("source", "?"))
    if kind == "sample" and source.startswith("bundled sample"):  # said once, not twice
        source = source[len("bundled sample"):].strip(" ()")
    if source:
        text += f"; {source}"
    return f"{text}; {data['note']}" if data.get("note") else text
