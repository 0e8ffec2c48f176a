"""Small, real inputs for the report tests: a few identities (one of them false, defined here and
never registered), gradient checks run by numerics.gradcheck on a tiny function, a training record."""
from __future__ import annotations

import os
import shutil

import numpy as np
import pytest
import sympy as sp

from gradproof import derive
from gradproof.derive.core.prover import holds, prove_equal
from gradproof.derive.core.theorem import Derivation, Identity, Step

#: Set by CI (.ci/run): the browser and TeX tests must run, not skip.
REQUIRE_TOOLS = bool(os.environ.get("GRADPROOF_REQUIRE_TOOLS"))


def need(tool: str) -> str:
    """Path of ``tool``; skip the test when it is missing, unless CI requires the tools."""
    from gradproof.reports.browser import find_chromium

    path = find_chromium() if tool == "chromium" else shutil.which(tool)
    if path is None:
        if REQUIRE_TOOLS:
            pytest.fail(f"{tool} is required (GRADPROOF_REQUIRE_TOOLS is set) but not on the PATH")
        pytest.skip(f"{tool} is not on the PATH")
    return path


def overfull_boxes(folder) -> list[tuple[float, str]]:
    """pdflatex once on ``folder/report.tex``; each overfull box of its log as (points, where)."""
    import re
    import subprocess

    from ..limits import HANG_GUARD

    r = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "report.tex"],
                       cwd=folder, capture_output=True, timeout=HANG_GUARD)
    assert r.returncode == 0, r.stdout.decode(errors="replace")[-2000:]
    log = (folder / "report.log").read_text(encoding="latin-1")
    return [(float(w), where) for w, where in
            re.findall(r"Overfull \\[hv]box \(([\d.]+)pt too \w+\) (.*)", log)]


# --- identities ---------------------------------------------------------------------------------

z = sp.Symbol("z", real=True)
SIG = derive.sigmoid(z)
F = 1 / (1 + sp.exp(-z))


def false_identity() -> Identity:
    """σ′ = σ(1 + σ): false; the prover refutes it with an exact counterexample."""
    def build():
        return Derivation(
            statement=[sp.Eq(sp.Derivative(SIG, z), SIG * (1 + SIG))],
            steps=[Step(sp.Eq(sp.Derivative(SIG, z), SIG * (1 + SIG)), "a wrong sign, on purpose")],
            obligations=[lambda: prove_equal(sp.diff(F, z), F * (1 + F), ("expand", "cancel"))],
            assumptions="z real")
    return Identity("test_false_sigmoid_prime", "A FALSE derivative of the sigmoid", "neurons",
                    build, equation="(test)")


def undecided_identity() -> Identity:
    """An exact check that does not hold, so the identity stays undecided."""
    def build():
        return Derivation(statement=[sp.Ge(SIG, 2)], steps=[],
                          obligations=[lambda: holds(lambda: False, "sign", "σ ≥ 2")])
    return Identity("test_undecided", "An undecided claim", "cost", build)


def unrefuted_slip() -> Identity:
    """A 'slip' that is in fact true: expected refuted, but proved."""
    def build():
        return Derivation(statement=[sp.Eq(SIG.rewrite(sp.exp), F)], steps=[],
                          obligations=[lambda: prove_equal(SIG, F, ("structural",),
                                                           lambda e: e.rewrite(sp.exp), "σ→exp")])
    return Identity("test_true_slip", "A slip that is true", "slips", build, expect="refuted")


GOOD_IDS = ["perceptron_bias", "sigmoid_prime"]


def good_identities() -> list[Identity]:
    ids = [derive.REGISTRY[i] for i in GOOD_IDS]
    slips = [i for i in derive.REGISTRY.values() if i.expect == "refuted"][:1]
    return ids + slips


# --- numeric checks: numerics.gradcheck on f(w, b) = Σ tanh(w x + b)² -------------------------------

def gradient_checks(wrong: bool = False) -> list[dict]:
    """Real check results in the shape of numerics.checks.run_checks (two methods)."""
    from gradproof.numerics.gradcheck import check_gradients, default_rtol

    rng = np.random.default_rng(0)
    x = rng.uniform(size=3)
    params = {"w^2": rng.normal(size=(2, 3)), "b^2": rng.normal(size=2)}

    def f(p):
        return np.sum(np.tanh(p["w^2"] @ x + p["b^2"]) ** 2)

    a = np.tanh(params["w^2"] @ x + params["b^2"])
    delta = 2 * a * (1 - a ** 2)
    grad = {"w^2": np.outer(delta, x), "b^2": delta * (1.5 if wrong else 1.0)}
    out = []
    for method, label in (("complex", "complex_step"), ("central", "central_difference")):
        d = check_gradients(f, grad, params, method, default_rtol(method)).as_dict()
        out.append({"id": f"tanh/quadratic/none/3-2/{label}", "method": label,
                    "activation": "tanh", "cost": "quadratic", "reg": "none", "sizes": [3, 2],
                    "max_rel_error": d["max_rel_error"], "tolerance": d["tolerance"],
                    "passed": d["passed"], "blocks": d["blocks"], "worst": d["worst"]})
    return out


def training_record(epochs: int = 3) -> dict:
    """A record in the shape of numerics.train.run (values made up, not checked against)."""
    recs = [{"epoch": e, "seconds": 1.0, "training_cost": 0.3 / e,
             "validation_accuracy": 0.80 + 0.03 * e, "test_accuracy": 0.79 + 0.03 * e}
            for e in range(1, epochs + 1)]
    return {"preset": "nielsen-ch1",
            "config": {"sizes": [784, 30, 10], "eta": 3.0, "cost": "quadratic",
                       "activation": "sigmoid", "epochs": epochs},
            "epochs": recs, "final": recs[-1],
            "best": {"epoch": epochs, "split": "test", "accuracy": recs[-1]["test_accuracy"]},
            "book": {"set": "test", "accuracy": 0.9542, "epochs": 30, "reference": "ch. 1"}}


def build(identities, *, checks=None, training=None, data=None, kernel=None):
    from gradproof.reports import assemble

    proofs = [i.prove() for i in identities]
    return assemble(identities, proofs,
                    checks={"results": gradient_checks() if checks is None else checks},
                    training=training, data=data or {"kind": "sample", "source": "test <fixture>",
                                                     "digests": {"a & b": "0" * 64}},
                    kernel=kernel, seed=0)


@pytest.fixture(scope="session")
def good_report():
    return build(good_identities(), training=training_record(),
                 kernel={"cost": "quadratic", "activation": "sigmoid", "ran": True,
                         "preset": "nielsen-ch1",
                         "source": "def activation(z):\n    return (1 + np.tanh(z / 2)) / 2  # σ\n"})


@pytest.fixture(scope="session")
def bad_report():
    ids = good_identities() + [false_identity(), undecided_identity(), unrefuted_slip()]
    return build(ids, checks=gradient_checks(wrong=True))


@pytest.fixture(scope="session")
def full_report(cold_report, tmp_path_factory):
    """What `gradproof report` shows (the README's first command): every registered identity
    (read from a copy of the proof cache that the session's cold report wrote, tests/cold.py), the
    numeric checks, the real kernel, two epochs of nielsen-ch1 on the sample and the Hessian
    section's theorems -- for the layout tests (PDF boxes, browser widths) and the reader's-eye
    tests of test_readme_reports."""
    from functools import partial

    from gradproof.reports import gather as g

    from ..cold import warm

    # the Hessian section's product checks, race and exact Newton (25 s) are
    # tests/reports/test_hessian_section's to check; here the section shows its theorems and says
    # that it ran nothing
    with pytest.MonkeyPatch.context() as mp:
        for name, value in warm(cold_report[0], tmp_path_factory.mktemp("warm")).items():
            mp.setenv(name, value)
        mp.setattr(g, "gather_hessian", partial(g.gather_hessian, checks=False, train=False))
        return g.gather(train="nielsen-ch1", data="sample", epochs=2, cache=True)
