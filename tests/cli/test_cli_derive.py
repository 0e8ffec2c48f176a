"""``gradproof derive``, run as a user would: ``python -m gradproof derive ...`` in a subprocess."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

from gradproof import derive

from ..limits import HANG_GUARD
from .run import environ, gradproof, here

QUICK = ["perceptron_bias", "sigmoid_output", "slip_l1_update"]
STATUSES = {"proved", "refuted", "undecided"}


def test_derive_json_on_quick_ids():
    r = here("derive", "--json", *QUICK)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert {"identities", "proved", "total", "seconds"} <= set(out)
    assert out["total"] == len(QUICK) == len(out["identities"])
    assert [i["id"] for i in out["identities"]] == QUICK
    for ident in out["identities"]:
        assert {"id", "title", "status", "method", "seconds"} <= set(ident)
        assert ident["status"] in STATUSES
        assert ident["title"] == derive.REGISTRY[ident["id"]].title
        assert ident["seconds"] >= 0
    by_id = {i["id"]: i for i in out["identities"]}
    assert by_id["perceptron_bias"]["status"] == "proved"
    assert by_id["slip_l1_update"]["status"] == "refuted"
    assert by_id["slip_l1_update"]["counterexample"]
    assert out["proved"] == sum(i["status"] == "proved" for i in out["identities"])


@pytest.mark.parametrize("slip", ["slip_l1_update", "slip_newton_step"])
def test_selected_slip_exits_0_because_it_is_refuted_as_expected(slip):
    r = here("derive", slip)
    assert r.returncode == 0, r.stdout + r.stderr
    row = next(line for line in r.stdout.splitlines() if line.startswith(slip))
    assert "refuted" in row and "expected" not in row
    assert "\n1 of 1 recorded slip refuted, in " in r.stdout  # no "0 of 0 identities proved"


def test_unknown_id_is_one_line_exit_2():
    r = here("derive", "perceptron_bias", "no_such_identity")
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "no_such_identity" in lines[0] and "--list" in lines[0]
    assert "Traceback" not in r.stderr


def test_list_shows_every_id_and_proves_nothing():
    r = gradproof("derive", "--list")
    assert r.returncode == 0, r.stderr
    listed = [line.split()[0] for line in r.stdout.splitlines() if line.strip()]
    assert listed == list(derive.REGISTRY)
    slips = [line for line in r.stdout.splitlines() if line.startswith("slip_")]
    assert slips and all(" slips " in line for line in slips)


def test_an_identity_not_ending_as_expected_exits_1():
    # A claim registered as "proved" that is false: derive must say so and exit 1.
    script = textwrap.dedent("""
        import sys, sympy as sp
        from gradproof import derive
        from gradproof.derive.core.theorem import Derivation, theorem
        from gradproof.derive.core.prover import prove_equal
        x = sp.Symbol("x", real=True)

        @theorem("zz_false_claim", "A false claim", "neurons")
        def zz():
            return Derivation([sp.Eq(x**2, x)], [], [lambda: prove_equal(x**2, x)])

        from gradproof.cli import main
        sys.exit(main(["derive", "--json", "zz_false_claim"]))
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                       timeout=HANG_GUARD)
    assert r.returncode == 1, r.stderr
    (ident,) = json.loads(r.stdout)["identities"]
    assert ident["status"] == "refuted" and ident["expected"] == "proved"


def test_derive_mutants_json_counts_every_mutant():
    r = here("derive", "--mutants", "--json", "bp3", "sigmoid_prime")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert [m["id"] for m in out["mutants"]] == ["bp3", "sigmoid_prime"]
    for m in out["mutants"]:
        assert m["tried"] == m["killed"] + m["skipped"] and m["killed"] > 0
        assert m["survivors"] == []
    assert out["tried"] == sum(m["tried"] for m in out["mutants"])


def test_derive_mutants_table_and_unknown_id():
    r = here("derive", "--mutants", "perceptron_bias", "slip_l1_update")
    assert r.returncode == 0, r.stderr
    assert "perceptron_bias" in r.stdout and "killed" in r.stdout
    assert "recorded slip" in r.stdout
    r = here("derive", "--mutants", "no_such_identity")
    assert r.returncode == 2 and "no_such_identity" in r.stderr and "Traceback" not in r.stderr


def test_derive_json_shows_which_parts_are_general():
    r = here("derive", "--json", "bp1", "perceptron_bias")
    assert r.returncode == 0, r.stderr
    by_id = {i["id"]: i for i in json.loads(r.stdout)["identities"]}
    parts = by_id["bp1"]["parts"]
    assert any(p["general"] for p in parts) and any(not p["general"] and p["checked_at"] for p in parts)
    assert all(set(p) == {"text", "general", "checked_at"} for p in parts)
    assert all(p["general"] for p in by_id["perceptron_bias"]["parts"])


def gradproof_env(*args: str, cache) -> subprocess.CompletedProcess:
    return here(*args, env=environ(XDG_CACHE_HOME=cache))


def test_the_second_run_reads_the_proof_cache_and_no_cache_proves_afresh(tmp_path):
    first = json.loads(gradproof_env("derive", "--json", *QUICK, cache=tmp_path).stdout)
    assert [i["cached"] for i in first["identities"]] == [False] * len(QUICK)
    r = gradproof_env("derive", *QUICK, cache=tmp_path)
    assert r.returncode == 0, r.stderr
    assert f"{len(QUICK)} of {len(QUICK)} outcomes from the proof cache" in r.stdout
    assert all("(cached)" in next(l for l in r.stdout.splitlines() if l.startswith(i)) for i in QUICK)
    second = json.loads(gradproof_env("derive", "--json", *QUICK, cache=tmp_path).stdout)
    for a, b in zip(first["identities"], second["identities"]):
        assert b["cached"] and b["proved_at"] == a["proved_at"]
        assert {k: v for k, v in a.items() if k not in ("cached", "seconds")} == \
            {k: v for k, v in b.items() if k not in ("cached", "seconds")}
    fresh = json.loads(gradproof_env("derive", "--json", "--no-cache", *QUICK, cache=tmp_path).stdout)
    assert not any(i["cached"] for i in fresh["identities"])


def test_ids_are_case_insensitive_and_an_unknown_one_gets_did_you_mean():
    r = here("derive", "--json", "PERCEPTRON_Bias")
    assert r.returncode == 0, r.stderr
    assert [i["id"] for i in json.loads(r.stdout)["identities"]] == ["perceptron_bias"]
    r = here("derive", "sigmoid_prme")
    assert r.returncode == 2 and r.stdout == ""
    assert "did you mean sigmoid_prime" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = here("derive", "qqqqqqqq")
    assert r.returncode == 2 and "did you mean" not in r.stderr and "--list" in r.stderr


def test_jobs_must_be_positive():
    r = here("derive", "--jobs", "0", "perceptron_bias")
    assert r.returncode == 2 and "--jobs" in r.stderr


def test_derive_by_name_prints_the_mathematics_in_unicode():
    r = gradproof("derive", "l2_gradient", "sigmoid_output")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    # the statement as the book writes it, its "checked at" line, every step's reason
    assert "∂C" in out and "∂C₀" in out and "checked for w = w₂" in out
    for st in derive.REGISTRY["l2_gradient"].steps:
        from gradproof.derive.core.notation import plain_text
        assert plain_text(st.reason) in out
    assert "σ" in out and "sigmoid(" not in out
    assert "$" not in out and "\\frac" not in out and "Derivative(" not in out


def test_an_ascii_terminal_gets_the_mathematics_escaped_not_an_internal_error():
    """Under PYTHONIOENCODING=ascii SymPy's process-wide Unicode flag starts off: the book's pretty
    printer met it and `derive` exited 4 (KeyError: 'only unicode')."""
    r = gradproof("derive", "perceptron_bias", "sigmoid_output", env=environ(PYTHONIOENCODING="ascii"))
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert "PROVED" in r.stdout and "\\u03c3" in r.stdout  # σ, escaped for the terminal


def test_derive_json_has_the_statement_and_steps_as_latex():
    r = here("derive", "--json", "sigmoid_prime")
    assert r.returncode == 0, r.stderr
    (ident,) = json.loads(r.stdout)["identities"]
    assert ident["statement"][0].startswith(r"\sigma'\left(z\right) =")
    assert [s["reason"] for s in ident["steps"]] == [s.reason for s in derive.REGISTRY["sigmoid_prime"].steps]
    assert all(s["latex"] and "\\" in s["latex"] for s in ident["steps"])
