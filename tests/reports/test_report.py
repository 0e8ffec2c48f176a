"""reports.report: the facts, problems flagged loudly, atomic writing."""
import json
import os
import re

import html5lib
import pytest

from gradproof import derive
from gradproof.reports.html import render_html
from gradproof.reports.latex import render_tex
from gradproof.reports.report import ReportError
from gradproof.reports.write import check_out_dir, write_report

from .conftest import GOOD_IDS, build, false_identity, good_identities, gradient_checks


def test_facts_match_the_proofs(good_report):
    f = good_report.facts
    ids = good_identities()
    proofs = {i.id: i.prove() for i in ids}
    assert [d["id"] for d in f["identities"]] == [i.id for i in ids]
    for d in f["identities"]:
        assert d["status"] == proofs[d["id"]].status
        assert d["method"] == proofs[d["id"]].method
        assert d["statement"] and all(isinstance(t, str) for t in d["statement"])
    s = f["summary"]
    assert s["identities"] == len(GOOD_IDS) and s["proved"] == len(GOOD_IDS)
    assert s["slips"] == s["slips_refuted"] == 1
    assert s["checks"] == 2 and s["checks_passed"] == 2
    worst = max(r["max_rel_error"] for r in f["checks"]["results"])
    assert s["worst_rel_error"]["value"] == worst
    assert f["problems"] == [] and good_report.ok


def test_json_is_the_same_facts(good_report):
    data = json.loads(good_report.to_json())
    assert data == json.loads(json.dumps(good_report.facts))
    assert data["format"] == "gradproof-report/1"
    assert {"identities", "checks", "training", "environment", "timings", "summary"} <= set(data)


def test_groups_follow_the_book(good_report):
    keys = [g["key"] for g in good_report.facts["groups"]]
    order = list(derive.GROUPS)
    assert keys == sorted(keys, key=order.index)


def test_false_identity_is_shown_failed_loudly_at_the_top(bad_report):
    """An identity changed into a false one: refuted, flagged first thing in every output."""
    f = bad_report.facts
    false_id = false_identity().id
    d = next(d for d in f["identities"] if d["id"] == false_id)
    assert d["status"] == "refuted" and not d["ok"] and d["counterexample"]
    flagged = {p["id"] for p in f["problems"]}
    assert {false_id, "test_undecided", "test_true_slip"} <= flagged
    assert any(p["kind"] == "check" for p in f["problems"])  # the wrong gradient
    assert not bad_report.ok

    page = render_html(bad_report)
    doc = html5lib.parse(page, namespaceHTMLElements=False)
    body = doc.find("body")
    first_section = body.find("section")
    assert first_section.get("id") == "problems" and "alarm" in first_section.get("class")
    alarm = "".join(first_section.itertext())
    assert "NOT AS EXPECTED" in alarm.upper()
    for i in (false_id, "test_undecided", "test_true_slip"):
        assert i in alarm
    # the alarm comes before the summary and every identity
    assert page.index('id="problems"') < page.index('id="summary"') < page.index(f'id="id-{false_id}"')
    assert "NOT AS EXPECTED" in page[: page.index("<body")].upper()  # the <title> says so too

    tex = render_tex(bad_report)
    begin = tex.index(r"\begin{document}")
    assert begin < tex.index("NOT AS EXPECTED") < tex.index(r"\section*{Summary}")
    assert false_id.replace("_", r"\_") in tex[: tex.index(r"\section*{Summary}")]


def test_everything_as_expected_is_said_when_true(good_report):
    page = render_html(good_report)
    assert 'id="problems"' not in page and "Everything as expected" in page


def test_outside_text_is_escaped_in_both_outputs():
    evil = '<script>alert(1)</script> \\input{/etc/passwd} $x$ 100% #1 ~/a_b'
    r = build(good_identities()[:1], data={"kind": "full", "source": evil,
                                           "digests": {evil: "ab" * 32}})
    page = render_html(r)
    assert "<script>" not in page and "&lt;script&gt;" in page
    tex = render_tex(r)
    assert r"\input{" not in tex and r"\textbackslash{}input\{/etc/passwd\}" in tex
    assert r"100\%" in tex and r"\#1" in tex


def test_write_report_writes_atomically(tmp_path, good_report, monkeypatch):
    out = tmp_path / "rep"
    res = write_report(good_report, out, pdf=False)
    names = sorted(p.name for p in res.paths)
    assert names == ["curves.pdf", "report.html", "report.json", "report.tex"]
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    # a run that fails while rendering leaves the earlier report untouched, and no temp files
    def boom(report):
        raise RuntimeError("rendering failed")
    monkeypatch.setattr("gradproof.reports.write.render_tex", boom)
    with pytest.raises(RuntimeError):
        write_report(good_report, out, pdf=False)
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert after == before


def test_out_dir_errors(tmp_path):
    f = tmp_path / "afile"
    f.write_text("x")
    with pytest.raises(ValueError, match="existing file"):
        check_out_dir(f)
    with pytest.raises(ValueError, match="cannot write"):
        check_out_dir(f / "sub")
    assert check_out_dir(tmp_path / "new" / "dir").is_dir()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in read-only folders")
def test_read_only_out_dir(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(ValueError, match="cannot write"):
            check_out_dir(ro)
    finally:
        ro.chmod(0o755)


def test_missing_pdflatex_is_a_note(tmp_path, good_report, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    (tmp_path / "out").mkdir()  # an earlier report (of a gradproof that did not list its files)
    (tmp_path / "out" / "report.json").write_text('{"format": "gradproof-report/1"}')
    (tmp_path / "out" / "report.pdf").write_bytes(b"%PDF stale")
    res = write_report(good_report, tmp_path / "out")
    assert res.pdf is None and "pdflatex" in res.note
    assert not (tmp_path / "out" / "report.pdf").exists()  # no stale PDF beside a new report


def test_failing_checks_are_counted(bad_report):
    s = bad_report.facts["summary"]
    results = gradient_checks(wrong=True)
    assert s["checks"] == len(results)
    assert s["checks_passed"] == sum(r["passed"] for r in results) < len(results)
    assert re.search(r"failed: max relative error", bad_report.facts["problems"][-1]["message"])


def test_pdflatex_failure_is_reported(tmp_path, good_report):
    from .conftest import need
    from gradproof.reports.write import compile_pdf

    need("pdflatex")
    with pytest.raises(ReportError, match="pdflatex failed"):
        compile_pdf(r"\documentclass{article}\begin{document}\undefinedcommand\end{document}",
                    None, tmp_path)
    assert list(tmp_path.iterdir()) == []  # its private folder is gone


def test_method_kinds_count_every_obligation():
    from gradproof.reports.report import method_kinds

    methods = ["expand", "rewrite σ→exp, cancel + limit + sign", "doit (Kronecker δ, 1 ≤ j ≤ n), structural",
               "concrete diff [2,3,2] (atoms→symbols, expand) + matrix form checked at 3,2"]
    k = method_kinds(methods)
    assert k["reductions"] == {"cancel": 1, "expand": 1, "structural": 1}
    assert k["rewritten"] == 2
    assert k["checks"] == {"concrete diff": 1, "limit": 1, "matrix form checked": 1, "sign": 1}
    parts = sum(len(m.split(" + ")) for m in methods)
    assert sum(k["reductions"].values()) + sum(k["checks"].values()) == parts


def test_summary_says_how_general_the_proofs_are():
    """gather() adds derive.generality_summary to the summary; both outputs show it."""
    ids = good_identities()
    proofs = [i.prove() for i in ids]
    report = build(ids)
    report.facts["summary"]["generality"] = derive.generality_summary(proofs)
    g = report.facts["summary"]["generality"]
    assert g["proved"] == len(GOOD_IDS) and g["general"] + g["at_sizes"] == g["proved"]
    text = "".join(html5lib.parse(render_html(report), namespaceHTMLElements=False).itertext())
    assert f"{g['general']} of {g['proved']} proved statements hold in full generality" in text
    assert "gradproof derive --mutants" in text
    assert "in full generality" in render_tex(report)


def test_the_books_full_mnist_figure_is_not_held_against_the_sample():
    from .conftest import build, good_identities, training_record

    sample = build(good_identities()[:1], training=training_record(),
                   data={"kind": "sample", "source": "bundled", "digests": {}})
    full = build(good_identities()[:1], training=training_record(),
                 data={"kind": "full", "source": "x", "digests": {}})
    assert "does not apply" in sample.facts["summary"]["training"]
    assert "does not apply" not in full.facts["summary"]["training"]
    page = render_html(sample)
    assert "the figure applies to the full data only" in page and "NOT reached" not in page
    assert "the figure applies to the full data only" not in render_html(full)


def test_generality_parts_and_cache_fields_are_shown_when_present():
    """The agreed interfaces of issues 11 and 12, as far as they exist here: a derivation's
    ``parts`` give "checked at" lines, a proof's ``cached``/``proved_at`` a cache note."""
    import dataclasses

    from gradproof import derive
    from gradproof.reports import assemble

    idy = derive.REGISTRY["bp_batched"]
    real = idy.prove()

    from gradproof.derive.core.theorem import Part

    d = idy.derivation
    original = d.parts
    object.__setattr__(d, "parts", (Part("the batched forms", False, "m = 2, 3 examples"),
                                    Part("row by row", True)))
    try:
        proof = dataclasses.replace(real, cached=True, proved_at="2026-12-01T20:00:00+00:00")
        rep = assemble([idy], [proof], checks={"results": []})
        facts = rep.facts["identities"][0]
        assert facts["checked_at"] == ["the batched forms: checked at m = 2, 3 examples"]
        assert facts["cached"] is True and facts["proved_at"] == "2026-12-01T20:00:00+00:00"
        page = render_html(rep)
        assert "checked at m = 2, 3 examples" in page
        assert "from the proof cache (proved 2026-12-01T20:00:00+00:00)" in page
        assert "from the proof cache" in render_tex(rep)
    finally:
        object.__setattr__(d, "parts", original)
        from gradproof.derive.core import display
        display._CACHE.clear()


def test_the_sample_is_named_once_in_the_data_line():
    from gradproof.reports.report import data_summary

    line = data_summary({"kind": "sample", "source": "bundled sample (--data sample)",
                         "sizes": {"training": 5000, "validation": 1000, "test": 1000}})
    assert line.count("bundled") == 1 and line.endswith("; --data sample"), line
