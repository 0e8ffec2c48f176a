"""The report's section for a user's own activation and/or cost (``gradproof report --activation …``).

:func:`gather_custom` computes what the section shows — the definitions and what gradproof derived
(f′, f′ through a, the stable forms, δ^L and whether f′ cancels), the theorems proved (rendered by
the report's own :func:`reports.report.identity_facts`), the printed kernel source, the numeric
gradient checks (:func:`numerics.checks.run_checks`) and the overflow probe
(:func:`numerics.checks.safe_range`), and a short training run — and :func:`add_custom_section`
puts it into a :class:`~reports.report.Report` as ``facts["custom"]`` (its problems join the
report's), rendered by ``templates/custom_section.html.j2``.
"""
from __future__ import annotations

import dataclasses
import time
from typing import Callable

import sympy as sp

from .render import expr_latex
from .report import Report, check_facts, identity_facts, worst_by_method

__all__ = ["gather_custom", "add_custom_section", "custom_summary"]


def _eq(lhs: str, rhs: sp.Basic) -> str:
    return f"{lhs} = {expr_latex(rhs)}"


def _shown(e: sp.Basic) -> sp.Basic:
    """For display: the printed σ, (1 + tanh(z/2))/2, as σ(z) again (the same function,
    theorem ``tanh_sigmoid``)."""
    from gradproof.derive.book.activations import sigmoid, z

    return e.xreplace({(1 + sp.tanh(z / 2)) / 2: sigmoid(z)})


def _definitions(act, cost) -> list[dict]:
    from gradproof.derive.book.activations import a, z

    out = []
    if act is not None and act.expr is not None:
        n = r"\operatorname{%s}" % act.name.replace("_", r"\_")
        out.append({"text": f"The activation {act.name}, as defined", "latex": _eq(f"{n}(z)", act.expr)})
        out.append({"text": "its derivative (sympy.diff, exact)", "latex": _eq(f"{n}'(z)", _shown(act.prime_z))})
        if z not in act.prime.free_symbols:
            out.append({"text": "its derivative through a = f(z), which backprop uses",
                        "latex": _eq(f"{n}'", act.prime)})
        if act.stable_id:
            out.append({"text": "the stable form printed into the training kernels",
                        "latex": _eq(f"{n}(z)", act.stable(z))})
    if cost is not None and cost.output_activation is not None:
        out.append({"text": f"The cost {cost.name} of one output neuron, on a {cost.output} output layer",
                    "latex": _eq("c(a, y)", cost.term)})
        out.append({"text": "its output error δᴸ = ∂c/∂a · f′(zᴸ), simplified — the output layer's f′ "
                            + ("cancels" if cost.cancels else "does not cancel"),
                    "latex": _eq(r"\delta^L_j", cost.delta.xreplace({a: sp.Symbol("a^L_j")}))})
        if cost.stable_id == f"{cost.name}_stable":
            out.append({"text": "the cost in z printed into the training kernels",
                        "latex": _eq("c(z, y)", cost.stable)})
    return out


def gather_custom(activation=None, cost=None, *, data=None, train_config=None, epochs: int = 3,
                  seed: int = 0, progress: Callable[[str], None] = lambda s: None) -> tuple[dict, dict, list]:
    """``(facts, mathml, problems)`` of the section for ``activation`` and/or ``cost`` (objects or
    names; the missing one is sigmoid / cross_entropy).  ``data`` (a loaded MNIST) and
    ``train_config`` (a ``numerics.train.Config``, its eta, init and sizes used as they are) enable
    training, with the user's functions substituted into the config, for ``epochs`` epochs; a run
    that stays at chance level is a problem that names the likely fix
    (:func:`numerics.train.chance_warning`), each epoch a line of ``progress``."""
    from gradproof.derive.book import custom as dc
    from gradproof.numerics import codegen
    from gradproof.numerics.checks import run_checks, safe_range

    act = dc.get_activation(activation) if activation is not None else None
    c = dc.get_cost(cost) if cost is not None else None
    A = act or dc.get_activation("sigmoid")
    C = c or dc.get_cost("cross_entropy")
    mathml: dict[str, str] = {}
    problems: list[dict] = []
    facts: dict = {"activation": A.name, "cost": C.name, "output": C.output,
                   "definitions": _definitions(act, c),
                   "notes": [*(act.notes if act else ()), *(c.notes if c else ())],
                   "cancels": C.cancels}
    theorems = [*(act.theorems if act else ()), *(c.theorems if c else ())]
    progress(f"proving the {len(theorems)} theorems of {A.name}/{C.name}")
    t0 = time.perf_counter()
    facts["identities"] = [identity_facts(t, t.prove(), mathml, problems) for t in theorems]
    facts["prove_seconds"] = round(time.perf_counter() - t0, 3)
    facts["kernel"] = {"source": codegen.kernel_source(C, A)}
    progress("checking its gradients")
    checks = check_facts({"results": run_checks(seed, activations=[A], costs=[C])}, problems)
    facts["checks"] = {"passed": sum(bool(r["passed"]) for r in checks["results"]),
                       "total": len(checks["results"]),
                       "worst": worst_by_method(checks["results"])}
    facts["safe_range"] = {"activation": safe_range(A) if act else None,
                           "cost": safe_range(cost=C) if c else None}
    facts["training"] = None
    if data is not None and train_config is not None:
        from gradproof.numerics.train import chance_warning, run

        cfg = dataclasses.replace(train_config, activation=A.name, cost=C.name, epochs=epochs,
                                  seed=seed, must_reach=None, name=None)
        progress(f"training {A.name}/{C.name} ({'-'.join(map(str, cfg.sizes))}, eta {cfg.eta:g}, "
                 f"init {cfg.init}) for {epochs} epoch{'s' * (epochs != 1)}")

        def on_epoch(rec: dict) -> None:
            acc = ", ".join(f"{k.replace('_accuracy', '')} {100 * v:.2f}%" for k, v in rec.items()
                            if k.endswith("_accuracy") and isinstance(v, (int, float)))
            progress(f"  epoch {rec.get('epoch')}/{epochs}: {acc}")

        try:
            facts["training"] = dict(run(cfg, data, on_epoch=on_epoch))
        except Exception as exc:  # noqa: BLE001 - shown in the report
            facts["training"] = {"error": f"training failed: {type(exc).__name__}: {exc}"}
            problems.append({"kind": "training", "id": "custom-training", "message": facts["training"]["error"]})
        else:
            warning = chance_warning(facts["training"], data, cfg)
            if warning:
                facts["training"]["warning"] = warning
                problems.append({"kind": "training", "id": "custom-training",
                                 "message": f"your model {A.name}/{C.name}: {warning}"})
    for d in facts["definitions"]:
        mathml.setdefault(d["latex"], "")
    mathml = {k: v for k, v in mathml.items() if v}
    return facts, mathml, problems


def add_custom_section(report: Report, activation=None, cost=None, **kwargs) -> Report:
    """Add the section (``report.facts["custom"]``) and its problems to ``report``, in place."""
    facts, mathml, problems = gather_custom(activation, cost, **kwargs)
    report.facts["custom"] = facts
    report.mathml.update(mathml)
    report.facts["problems"].extend(problems)
    report.facts["summary"]["ok"] = not report.facts["problems"]
    report.facts["summary"]["custom"] = custom_summary(facts)
    return report


def custom_summary(facts: dict) -> str:
    """One line on the user's model: theorems, checks, and its training (settings, best accuracy,
    or why it failed): ``"swish/tanh_cross_entropy: 6 of 6 theorems proved, ..."``."""
    ids = facts.get("identities") or []
    proved = sum(bool(d.get("ok")) for d in ids)
    ch = facts.get("checks") or {}
    txt = (f"{facts['activation']}/{facts['cost']}: {proved} of {len(ids)} theorems as expected, "
           f"{ch.get('passed', 0)} of {ch.get('total', 0)} numeric checks passed")
    t = facts.get("training")
    if not t:
        return txt + "; not trained (--train none)"
    if t.get("error"):
        return f"{txt}; {t['error']}"
    c, best = t.get("config") or {}, t.get("best") or {}
    txt += (f"; trained {'-'.join(map(str, c.get('sizes', ())))}, eta {c.get('eta', '?'):g}, init "
            f"{c.get('init', '?')}, {len(t.get('epochs') or [])} epochs: best {best.get('split', '?')} "
            f"accuracy {100 * best.get('accuracy', 0):.2f}% (epoch {best.get('epoch', '?')})")
    return txt + (f"; FAILED: {t['warning']}" if t.get("warning") else "")
