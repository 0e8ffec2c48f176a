"""`gradproof train` and `gradproof bench` through a subprocess: JSON shape, saving, bad input, divergence."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from numerics import mnist
from numerics.network import Network


def gradproof(*args, cwd=None):
    env = {k: v for k, v in os.environ.items() if k != "GRADPROOF_DATA"}
    return subprocess.run([sys.executable, "-m", "gradproof", *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300)


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
    p = gradproof("train", "--data", "sample", *args)
    assert p.returncode == 2, (p.stdout, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and flag in lines[0] and "Traceback" not in p.stderr, p.stderr
    assert p.stdout == ""


def test_divergence_stops_and_saves_nothing(tmp_path):
    path = tmp_path / "net.npz"
    p = gradproof("train", "--data", "sample", "--sizes", "784,10,10", "--cost", "cross_entropy",
                  "--activation", "relu", "--eta", "1e300", "--epochs", "3", "--save", str(path))
    assert p.returncode == 1, (p.stdout, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "smaller" in lines[0] and "Traceback" not in p.stderr
    assert os.listdir(tmp_path) == []


def test_bench_json_on_the_sample():
    p = gradproof("bench", "--data", "sample", "--epochs", "1", "--loop-batches", "20", "--no-memory",
                  "--json")
    out = json.loads(p.stdout)
    # the exit status says whether every target was met (they may be missed on this tiny run)
    assert p.returncode == (0 if out["passed"] else 1), p.stderr
    assert [n["sizes"] for n in out["networks"]] == [[784, 30, 10], [784, 100, 10]]
    for net in out["networks"]:
        med = net["median_epoch_seconds"]
        assert {"generated", "numpy", "loop"} <= set(med) and all(t > 0 for t in med.values())
        assert net["ratios"]["generated_vs_numpy"] == pytest.approx(med["generated"] / med["numpy"])
        assert set(net["passed"]) == set(net["ratios"])
    assert out["passed"] == all(ok for net in out["networks"] for ok in net["passed"].values())
    assert out["setup"]["training_images"] == 5000


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
