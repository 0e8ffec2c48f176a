"""`gradproof train` and `gradproof bench` through a subprocess: JSON shape, saving, bad input, divergence
(the checks of bad flags, which stop before anything is trained, in this process through the CLI's
``main``)."""
from __future__ import annotations

import json
import os

import pytest

from gradproof.numerics import mnist
from gradproof.numerics.network import Network

from . import run


def gradproof(*args, cwd=None):
    return run.gradproof(*args, env=run.environ(GRADPROOF_DATA=None), cwd=cwd)


def here(*args):
    return run.here(*args, env=run.environ(GRADPROOF_DATA=None))


def test_train_json_and_save(tmp_path):
    path = tmp_path / "net.npz"
    p = gradproof("train", "--data", "sample", "--sizes", "784,16,10", "--cost", "cross_entropy",
                  "--init", "scaled", "--eta", "0.5", "--epochs", "2", "--seed", "7", "--lmbda", "1.0",
                  "--json", "--save", str(path))
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert {"config", "epochs", "best", "final"} <= set(out)
    c = out["config"]
    assert (c["sizes"], c["cost"], c["eta"], c["epochs"], c["seed"], c["lmbda"], c["reg"]) == \
        ([784, 16, 10], "cross_entropy", 0.5, 2, 7, 1.0, "l2")
    assert c["init"] == "scaled" and c["mini_batch_size"] == 10  # the unchanged ch1 defaults
    assert [e["epoch"] for e in out["epochs"]] == [1, 2]
    for e in out["epochs"]:
        assert {"epoch", "seconds", "training_cost", "validation_accuracy", "test_accuracy"} <= set(e)
        assert 0 <= e["validation_accuracy"] <= 1 and 0 <= e["test_accuracy"] <= 1
    assert out["best"]["split"] == "test"
    assert out["best"]["accuracy"] == max(e["test_accuracy"] for e in out["epochs"])
    assert out["final"] == out["epochs"][-1]
    # the saved network is the trained one: its test accuracy is the final epoch's
    net = Network.load(path)
    test = mnist.load("sample").test
    assert net.accuracy(test.X(), test.labels) == pytest.approx(out["final"]["test_accuracy"], abs=1e-12)
    assert sorted(os.listdir(tmp_path)) == ["net.npz"]


def test_train_text_output_names_the_preset_and_the_book():
    p = gradproof("train", "--preset", "nielsen-ch1", "--data", "sample", "--epochs", "1",
                  "--sizes", "784,8,10")
    assert p.returncode == 0, p.stderr
    assert "nielsen-ch1" in p.stdout and "epoch   1/1" in p.stdout and "95.42%" in p.stdout
    assert p.stderr == ""  # not a terminal: no progress bar


@pytest.mark.parametrize("args, flag", [
    (["--preset", "nielsen-ch9"], "--preset"),
    (["--cost", "hinge"], "--cost"),
    (["--activation", "gelu"], "--activation"),
    (["--sizes", "700,30,10"], "--sizes"),
    (["--sizes", "784,30,9"], "--sizes"),
    (["--sizes", "784,x,10"], "--sizes"),
    (["--eta", "-1"], "--eta"),
    (["--eta", "0"], "--eta"),
    (["--batch-size", "0"], "--batch-size"),
    (["--epochs", "0"], "--epochs"),
    (["--epochs", "two"], "--epochs"),
    (["--reg", "l3"], "--reg"),
    (["--dtype", "float16"], "--dtype"),
    (["--data", "/nonexistent/mnist"], "--data"),
    (["--seed", "-1"], "--seed"),
    (["--runs", "0"], "--runs"),
])
def test_bad_flags_exit_2_with_one_line(args, flag):
    p = here("train", "--data", "sample", *args)
    assert p.returncode == 2, (p.stdout, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and flag in lines[0] and "Traceback" not in p.stderr, p.stderr
    assert p.stdout == ""


def test_divergence_stops_and_saves_nothing(tmp_path):
    path = tmp_path / "net.npz"
    p = gradproof("train", "--data", "sample", "--sizes", "784,10,10", "--cost", "cross_entropy",
                  "--activation", "relu", "--eta", "1e300", "--init", "large", "--epochs", "3",
                  "--save", str(path))
    assert p.returncode == 1, (p.stdout, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "smaller" in lines[0] and "Traceback" not in p.stderr
    assert os.listdir(tmp_path) == []


def test_bench_json_on_the_sample():
    p = gradproof("bench", "--data", "sample", "--epochs", "1", "--loop-batches", "20", "--no-memory",
                  "--no-products", "--no-claims", "--json")  # those parts: test_bench*.py
    out = json.loads(p.stdout)
    # the exit status says whether every target was met (they may be missed on this tiny run)
    assert p.returncode == (0 if out["passed"] else 1), p.stderr
    assert [n["sizes"] for n in out["networks"]] == [[784, 30, 10], [784, 100, 10]]
    for net in out["networks"]:
        med = net["median_epoch_seconds"]
        assert {"bound", "generated", "numpy", "loop"} <= set(med) and all(t > 0 for t in med.values())
        assert net["ratios"]["generated_vs_numpy"] == pytest.approx(med["generated"] / med["numpy"])
        assert set(net["median_wall_seconds"]) == set(med)  # CPU medians drive the ratios; wall too
        assert all(len(v) == 1 for v in net["epoch_cpu_seconds"].values())
        for c, r in net["ratios_to_bound"].items():  # every contestant against the bound
            assert r == pytest.approx(med[c] / med["bound"])
        assert net["ratios"]["generated_vs_bound"] == net["ratios_to_bound"]["generated"]
        assert net["limits"]["generated_vs_bound"] == {(784, 30, 10): 2.5, (784, 100, 10): 1.6}[tuple(net["sizes"])]
        assert set(net["passed"]) == set(net["ratios"]) - {"jax_vs_generated"}
        assert ("jax_vs_generated" in net["ratios"]) == ("jax" in med)
    assert out["passed"] == all(ok for net in out["networks"] for ok in net["passed"].values())
    assert out["setup"]["training_images"] == 5000
    assert "architecture" in out["setup"]["blas"] and out["setup"]["numpy_threads"] in (1, None)


def test_runs_report_the_best_epoch_over_seeds():
    """--runs N is the book's protocol (best epoch of its runs); each run is the single run with
    its seed, and the best is the largest of theirs."""
    args = ("train", "--data", "sample", "--sizes", "784,12,10", "--epochs", "2", "--seed", "3",
            "--json")
    many = json.loads(gradproof(*args, "--runs", "2").stdout)
    assert many["seeds"] == [3, 4] and len(many["runs"]) == 2
    single = json.loads(gradproof(*args[:-3], "--seed", "4", "--json").stdout)
    timeless = lambda run: [{k: v for k, v in e.items() if "seconds" not in k}  # noqa: E731
                            for e in run["epochs"]]
    assert timeless(many["runs"][1]) == timeless(single)
    best = max(r["best"]["accuracy"] for r in many["runs"])
    assert many["best"]["accuracy"] == best
    assert many["best"]["seed"] in (3, 4)


@pytest.mark.parametrize("extra, flag", [(("--runs", "0"), "--runs"),
                                         (("--runs", "2", "--save", "x.npz"), "--save")])
def test_runs_bad_input(extra, flag, tmp_path):
    p = gradproof("train", "--data", "sample", *extra, cwd=tmp_path)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and flag in p.stderr
    assert "Traceback" not in p.stderr and not (tmp_path / "x.npz").exists()


def _no_seconds(run):
    return [{k: v for k, v in e.items() if "seconds" not in k} for e in run["epochs"]]


def test_parallel_runs_equal_the_runs_one_after_the_other():
    args = ["train", "--data", "sample", "--sizes", "784,12,10", "--epochs", "2", "--runs", "2",
            "--seed", "3"]
    par = gradproof(*args, "--jobs", "2", "--json")
    seq = gradproof(*args, "--jobs", "1", "--json")
    assert par.returncode == seq.returncode == 0, par.stderr + seq.stderr
    par, seq = json.loads(par.stdout), json.loads(seq.stdout)
    assert par["seeds"] == seq["seeds"] == [3, 4]
    assert [_no_seconds(r) for r in par["runs"]] == [_no_seconds(r) for r in seq["runs"]]
    assert _no_seconds(par["runs"][0]) != _no_seconds(par["runs"][1])  # two seeds, two runs
    assert all(r["blas"]["threads"] in (1, None) for r in par["runs"])
    text = gradproof(*args, "--jobs", "2")
    assert text.returncode == 0, text.stderr
    for seed in (3, 4):  # per-run progress, each line naming its run
        assert f"seed {seed}: epoch   2/2" in text.stdout and f"seed {seed}: best test accuracy" in text.stdout
    assert "in 2 parallel processes" in text.stdout


def test_threads_flag_fixes_the_blas_threads():
    p = gradproof("train", "--data", "sample", "--sizes", "784,8,10", "--epochs", "1", "--threads",
                  "1", "--json")
    assert p.returncode == 0, p.stderr
    blas = json.loads(p.stdout)["blas"]
    assert blas["chosen"] == "given" and blas["threads"] in (1, None)
    p = gradproof("train", "--data", "sample", "--sizes", "784,8,10", "--epochs", "1", "--json")
    assert json.loads(p.stdout)["blas"]["chosen"] == "for mini-batch 10"


@pytest.mark.parametrize("args, words", [
    (["--reg", "l1"], ["--reg l1", "lmbda = 0", "--lmbda"]),
    (["--reg", "L2", "--lmbda", "0"], ["--reg l2", "--lmbda"]),
    (["--reg", "none", "--lmbda", "5"], ["--lmbda 5", "--reg none"]),
    (["--threads", "0"], ["--threads"]),
    (["--runs", "2", "--jobs", "0"], ["--jobs"]),
])
def test_flags_that_would_do_nothing_or_are_bad_are_errors(args, words):
    p = here("train", "--data", "sample", "--epochs", "1", *args)
    assert p.returncode == 2 and p.stdout == ""
    line, = p.stderr.strip().splitlines()
    assert all(w in line for w in words), line


def test_jobs_without_runs_is_a_warning():
    p = gradproof("train", "--data", "sample", "--sizes", "784,8,10", "--epochs", "1", "--jobs", "2")
    assert p.returncode == 0
    assert "warning: --jobs does nothing without --runs" in p.stderr


def test_the_default_init_is_scaled_except_in_the_chapter_1_preset():
    """N(0, 1/n_in) outside nielsen-ch1 (said in --help); the preset keeps the book's N(0, 1)."""
    mine = gradproof("train", "--data", "sample", "--epochs", "1", "--sizes", "784,10,10", "--json")
    book = gradproof("train", "--data", "sample", "--epochs", "1", "--preset", "nielsen-ch1",
                     "--sizes", "784,10,10", "--json")
    assert mine.returncode == 0 and book.returncode == 0, (mine.stderr, book.stderr)
    assert json.loads(mine.stdout)["config"]["init"] == "scaled"
    assert json.loads(book.stdout)["config"]["init"] == "large"
    assert "default: scaled, except with --preset nielsen-ch1" in " ".join(
        gradproof("train", "--help").stdout.split())
