"""The README's two reports as a reader sees them: ``gradproof report`` and ``gradproof report
--activation "swish=z*sigma(z)" --cost tanh_cross_entropy``, rendered once per session (two
epochs on the sample: the checks look at the page, not the accuracy), read in headless Chromium
and compiled by pdflatex.  Chromium's rendered text and pdflatex's log are the oracles.

Also: a run that stays at chance level is a problem that names the fix, never "as expected".
"""
from __future__ import annotations

import copy
import dataclasses
import json

import pytest

from gradproof.reports.write import write_report

from ..limits import HANG_GUARD
from .conftest import need, overfull_boxes

#: What a reader sees in the page: every text node outside <math>, <pre> and <code> that holds
#: raw TeX; every text outside <pre> and <code> (mathematics included) that names an internal
#: symbol; every displayed statement or step that reads "0 = 0".
SEEN = r"""
(() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const out = {tex: [], names: [], zero: []};
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let n;
  while ((n = walk.nextNode())) {
    const p = n.parentElement;
    if (p.closest('pre, code, style')) continue;
    const t = n.textContent, where = (p.closest('[id]') || {}).id || '?';
    if (!p.closest('math') && /\\[A-Za-z]+|\^\{|_\{/.test(t)) out.tex.push(where + ': ' + t.trim().slice(0, 120));
    if (/sigma_prime|NablaA|Function\(/.test(t)) out.names.push(where + ': ' + t.trim().slice(0, 120));
  }
  for (const m of document.querySelectorAll('.statement math, ol.steps .m math')) {
    if (m.textContent.replace(/\s/g, '') === '0=0') out.zero.push((m.closest('[id]') || {}).id || '?');
  }
  return out;
})()
"""


def _seen(page):
    from gradproof.reports.browser import evaluate

    return evaluate(page, SEEN, width=1280, height=1000, timeout=HANG_GUARD)


def test_the_oracle_finds_raw_tex_internal_names_and_0_eq_0(tmp_path):
    need("chromium")
    page = tmp_path / "t.html"
    page.write_text('<!DOCTYPE html><html><body><article id="a"><p>at \\partial C_0 = 1, n_{l+1}</p>'
                    '<code>\\partial ok</code><p>sigma_prime(z)</p><div class="statement"><math>'
                    '<mn>0</mn><mo>=</mo><mn>0</mn></math></div></article>'
                    '<article id="b"><p>∂C₀/∂w = 1/3</p></article></body></html>', encoding="utf-8")
    found = _seen(page)
    assert [f.split(":")[0] for f in found["tex"]] == ["a"] and found["zero"] == ["a"]
    assert found["names"] == ["a: sigma_prime(z)"]


@pytest.fixture(scope="session")
def readme_reports(tmp_path_factory, full_report):
    """The default report (conftest's ``full_report``) and the README's custom-model report, the
    same with the section for swish and tanh_cross_entropy added, as HTML and LaTeX."""
    from gradproof.derive.book.custom import from_text
    from gradproof.numerics import mnist
    from gradproof.reports.custom import add_custom_section
    from gradproof.reports.defaults import CUSTOM_ETA, CUSTOM_INIT
    from gradproof.reports.gather import presets

    out = tmp_path_factory.mktemp("readme")
    custom = copy.deepcopy(full_report)
    write_report(full_report, out / "default", pdf=False)
    cfg = dataclasses.replace(presets()["nielsen-ch1"], eta=CUSTOM_ETA, init=CUSTOM_INIT)
    add_custom_section(custom, from_text("swish=z*sigma(z)", "activation"), "tanh_cross_entropy",
                       data=mnist.load("sample"), train_config=cfg, epochs=2)
    write_report(custom, out / "custom", pdf=False)
    return {"default": (out / "default", full_report), "custom": (out / "custom", custom)}


@pytest.mark.slow
@pytest.mark.parametrize("which", ["default", "custom"])
def test_a_reader_sees_no_tex_no_internal_names_no_0_eq_0(readme_reports, which):
    need("chromium")
    folder, report = readme_reports[which]
    assert report.ok, report.facts["problems"]  # the README's commands are as expected...
    found = _seen(folder / "report.html")
    assert found == {"tex": [], "names": [], "zero": []}, found  # ...and read as the book does


@pytest.mark.slow
def test_the_custom_pdf_has_no_box_wider_than_10pt(readme_reports):
    """(The default report's PDF: test_latex's test_no_box_wider_than_10pt_and_no_wrapped_code.)"""
    need("pdflatex")
    wide = overfull_boxes(readme_reports["custom"][0])
    assert not [w for w in wide if w[0] > 10], wide


@pytest.mark.slow
def test_the_section_for_the_readmes_model_proves_checks_trains_and_shows_it(readme_reports):
    """reports.custom's section for swish = z σ(z) (the README's formula, read by the safe reader)
    and tanh_cross_entropy: six theorems proved by exact methods (each backprop also on the concrete
    networks), the 18 kernel checks passed, σ′ cancelling, the safe range probed, two epochs
    trained, the kernel shown, in a page that parses."""
    import html5lib

    folder, report = readme_reports["custom"]
    u = report.facts["custom"]
    assert [d["status"] for d in u["identities"]] == ["proved"] * 6
    assert not any("numer" in d["method"] for d in u["identities"])  # exact methods only
    methods = {d["id"]: d["method"] for d in u["identities"]}
    for i in ("swish_backprop", "tanh_cross_entropy_backprop"):
        assert "concrete diff [2,3,2]" in methods[i], (i, methods[i])
    assert u["checks"]["passed"] == u["checks"]["total"] == 18 and u["cancels"] is True
    assert u["safe_range"]["activation"]["whole_probe"] and len(u["training"]["epochs"]) == 2
    assert "def backprop" in u["kernel"]["source"] and not report.facts["problems"]
    page = (folder / "report.html").read_text(encoding="utf-8")
    html5lib.HTMLParser(strict=False).parse(page)
    section = page[page.index('<section id="custom">'):]
    assert "Your model: activation <code>swish</code>" in section and "<math" in section
    assert section.count('class="badge proved"') == 6
    json.loads(report.to_json())


def test_a_run_at_chance_is_a_problem_that_names_the_fix():
    """η = 1000 with N(0, 1) weights saturates every sigmoid: the section says what failed and
    how to fix it, the report is not "as expected", and the summary line says FAILED."""
    from gradproof.numerics import mnist
    from gradproof.numerics.train import Config
    from gradproof.reports.custom import add_custom_section
    from gradproof.reports.html import render_html
    from gradproof.reports.report import assemble

    report = assemble([], [], checks={"results": []})
    add_custom_section(report, None, "quadratic", data=mnist.load("sample"), epochs=1,
                       train_config=Config(sizes=(784, 10, 10), eta=1000.0, init="large"))
    assert not report.ok
    (problem,) = report.facts["problems"]
    assert "chance level" in problem["message"] and "smaller --eta than 1000" in problem["message"]
    assert "--init scaled" in problem["message"]
    assert "FAILED" in report.facts["summary"]["custom"]
    page = render_html(report)
    assert "Everything as expected" not in page and "Not as expected: accuracy stayed" in page
