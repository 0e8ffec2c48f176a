"""reports.hessian: the section "The Hessian technique, used", gathered on the bundled sample and
rendered in both outputs."""
from __future__ import annotations

import pytest

from gradproof import derive
from gradproof.numerics import load_mnist
from gradproof.reports import assemble
from gradproof.reports.html import render_html
from gradproof.reports.latex import render_tex

from .conftest import gradient_checks


@pytest.fixture(scope="module")
def H():
    """reports.hessian, imported when a test uses it: it loads matplotlib, which every pytest-xdist
    worker would load when it collects the tests."""
    from gradproof.reports import hessian

    return hessian


@pytest.fixture(scope="module")
def section(H):
    return H.gather_hessian(load_mnist("sample"), seed=0, checks=False)


@pytest.fixture(scope="module")
def report(section, H):
    ids = [derive.REGISTRY[i] for i in ("perceptron_bias", "r_forward", "r_bp2")]
    rep = assemble(ids, [i.prove() for i in ids], checks={"results": gradient_checks()},
                   data={"kind": "sample", "source": "test", "digests": {}}, seed=0,
                   samples={"extra": section.figures})
    H.add_hessian_section(rep, section)
    return rep


def test_the_section_holds_the_race_and_exact_newton(section, H):
    f = section.facts
    assert not section.problems and "checks" not in f
    race = f["race"]
    assert race["network"]["sizes"] == [784, 30, 10] and race["training_images"] == 5000
    assert race["sgd"]["points"][0]["test_accuracy"] == race["newton_cg"]["points"][0]["test_accuracy"]
    assert race["verdict"] == H.verdict(race)
    ex = f["exact"]
    assert ex["parameters"] == 500 and ex["records"][-1]["gradient_norm"] < 1e-10 and ex["rates"]
    for build in section.figures.values():
        assert build().axes  # the figures draw


def test_both_outputs_show_the_section_with_its_figures(report):
    assert [t["id"] for t in report.facts["hessian"]["theorems"]] == ["r_forward", "r_bp2"]
    pages = report.facts["pictures"]["pages"]
    assert {"hessian_race", "hessian_exact"} <= set(pages)
    html = render_html(report)
    assert '<section id="hessian-used">' in html and 'href="#id-r_forward"' in html
    assert html.count('aria-label="hessian race"') == 1 and "SGD against Newton-CG" in html
    tex = render_tex(report)
    assert r"\section{The Hessian technique, used}" in tex
    assert f"page={pages['hessian_exact']}]" in tex and "e_{k+1}/e_k^2" in tex


def test_a_failing_part_is_a_problem_not_a_crash(monkeypatch, H):
    def boom(ds, seed, say):
        raise RuntimeError("no data")
    monkeypatch.setattr(H, "_race", boom)
    monkeypatch.setattr(H, "_exact", lambda ds, seed: {"records": [], "rates": []})
    s = H.gather_hessian(load_mnist("sample"), checks=False)
    assert s.facts["race"] == {"error": "RuntimeError: no data"}
    assert [p["id"] for p in s.problems] == ["hessian-race"] and "hessian_race" not in s.figures


def _race(sgd, newton):
    point = lambda p, s: None if p is None else {"passes": p, "seconds": s}  # noqa: E731
    return {"target": 0.9,
            "sgd": {"reached": point(*sgd), "step_cost": {"examples": 10, "seconds": 2e-4}},
            "newton_cg": {"reached": point(*newton), "step_cost": {"examples": 5000, "seconds": 0.3,
                                                                   "cg_iterations": 20}}}


@pytest.mark.parametrize("sgd,newton,start", [
    ((2, 0.5), (10, 3.0), "SGD wins"), ((10, 3.0), (2, 0.5), "Newton-CG wins"),
    ((2, 3.0), (10, 0.5), "90% test accuracy: SGD"), ((None, None), (None, None), "Neither"),
    ((2, 0.5), (None, None), "SGD reached")])
def test_the_verdict_follows_the_numbers(sgd, newton, start, H):
    assert H.verdict(_race(sgd, newton)).startswith(start)


def test_a_report_that_trains_nothing_races_nothing(H):
    ids = [derive.REGISTRY["r_forward"]]
    s = H.gather_hessian(load_mnist("sample"), checks=False, train=False)
    assert "race" not in s.facts and "exact" not in s.facts and not s.figures
    rep = assemble(ids, [i.prove() for i in ids], checks={"results": gradient_checks()},
                   data={"kind": "sample", "source": "test", "digests": {}}, seed=0)
    H.add_hessian_section(rep, s)
    assert "runs Newton-CG" in render_html(rep) and "runs exact Newton" in render_tex(rep)
