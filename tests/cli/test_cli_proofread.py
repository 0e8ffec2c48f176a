"""``gradproof proofread FILE``: exit 0 all proved, 1 a step refuted, 3 undecided, 2 bad input (in this
process through the CLI's ``main``; the first test runs ``python -m gradproof`` as a user does)."""
from __future__ import annotations

import html5lib
import json
import subprocess
from pathlib import Path

from . import run

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "derivations"


def gradproof(*args: str) -> subprocess.CompletedProcess:
    return run.here("proofread", *args)


def test_all_proved_exit_0():
    r = run.gradproof("proofread", EXAMPLES / "cross_entropy_sigma_prime.txt")  # a child process
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.splitlines()[-1] == "proved: all 4 steps"


def test_refuted_exit_1_names_the_first_wrong_step_json(tmp_path):
    page = tmp_path / "l1.html"
    r = gradproof(str(EXAMPLES / "slip_l1_update.txt"), "--json", "--html", str(page))
    assert r.returncode == 1, r.stderr
    out = json.loads(r.stdout)
    assert out["status"] == "refuted" and out["first_wrong_line"] == 10
    assert [s["status"] for s in out["steps"]] == ["proved", "refuted"]
    text = page.read_text(encoding="utf-8")
    html5lib.HTMLParser(strict=False).parse(text)
    assert "<script" not in text and "http://" not in text.replace("http://www.w3.org/1998/Math/MathML", "")
    assert text.count('class="badge proved"') == 1 and text.count('class="badge refuted"') == 1
    assert "<math" in text


def test_undecided_exit_3(tmp_path):
    f = tmp_path / "d.txt"
    f.write_text("log(x**2)\n  = 2*log(Abs(x))\n", encoding="utf-8")
    r = gradproof(str(f))
    assert r.returncode == 3, r.stdout + r.stderr
    assert r.stdout.splitlines()[-1].startswith("undecided")


def test_bad_input_exit_2_names_line_and_column(tmp_path):
    f = tmp_path / "d.txt"
    f.write_text("x\n  = foo(x)\n", encoding="utf-8")
    r = gradproof(str(f))
    assert r.returncode == 2 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{f}:2:5" in lines[0] and "Traceback" not in r.stderr
    missing = gradproof(str(tmp_path / "none.txt"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_a_derivation_with_a_network_line_is_decided_in_the_books_network(tmp_path):
    f = tmp_path / "bp4.txt"
    f.write_text("network cost=quadratic\n"
                 "diff(C, w^l_{jk})\n"
                 "  = a^{l-1}_k delta^l_j      # BP4\n"
                 "  = a^{l-1}_k diff(C, b^l_j) # BP3\n"
                 "  = a^l_k delta^l_j          # a slip: the wrong layer\n", encoding="utf-8")
    r = run.here("proofread", f, "--json")
    assert r.returncode == 1, r.stderr
    steps = json.loads(r.stdout)["steps"]
    assert [s["status"] for s in steps] == ["proved", "proved", "refuted"]
    assert "bp4" in steps[0]["method"] and steps[2]["method"].startswith("explicit network")


def test_a_network_line_with_let_lines_is_refused_at_its_line(tmp_path):
    f = tmp_path / "d.txt"
    f.write_text("network\nlet z = w*x + b\nC\n  = C\n", encoding="utf-8")
    r = run.gradproof("proofread", f)
    assert r.returncode == 2 and "d.txt:2:" in r.stderr and "not applied" in r.stderr, r.stderr
