"""``gradproof evaluate MODEL``: a network saved by ``train --save``, classified on the validation and
test images.  Oracle: Network.accuracy on the whole split and a per-image count of the confusion."""
from __future__ import annotations

import json

import numpy as np
import pytest

from gradproof.numerics import mnist
from gradproof.numerics.network import Network
from gradproof.numerics.train import confusion, predict

from . import run


def gradproof(*args):
    """``gradproof ARGS`` in this process (:func:`run.here`), without GRADPROOF_DATA."""
    return run.here(*args, env=run.environ(GRADPROOF_DATA=None))


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "net.npz"
    r = run.gradproof("train", "--data", "sample", "--sizes", "784,16,10", "--epochs", "1", "--save",
                      str(path), env=run.environ(GRADPROOF_DATA=None))  # a child trains
    assert r.returncode == 0, r.stderr
    return path


def test_accuracy_and_confusion_match_the_network(model):
    r = gradproof("evaluate", str(model), "--data", "sample", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    net, data = Network.load(model), mnist.load("sample")
    assert out["network"]["sizes"] == [784, 16, 10]
    for name in ("validation", "test"):
        split, got = getattr(data, name), out["splits"][name]
        assert got["accuracy"] == pytest.approx(net.accuracy(split.X(), split.labels), abs=1e-12)
        expect = np.zeros((10, 10), dtype=int)
        for true, pred in zip(split.labels, net.feedforward(split.X()).argmax(axis=1)):
            expect[true, pred] += 1  # one image at a time
        assert got["confusion"] == expect.tolist()
        assert got["correct"] == np.trace(expect) and got["total"] == len(split.labels)


def test_text_output_shows_both_splits_and_their_matrices(model):
    r = gradproof("evaluate", str(model), "--data", "sample")
    assert r.returncode == 0, r.stderr
    assert "validation:" in r.stdout and "test:" in r.stdout
    assert r.stdout.count("true \\ predicted") == 2


@pytest.mark.parametrize("kind", ["missing", "folder", "not npz"])
def test_bad_model_is_one_line_exit_2(tmp_path, kind):
    path = {"missing": tmp_path / "nope.npz", "folder": tmp_path, "not npz": tmp_path / "x.npz"}[kind]
    if kind == "not npz":
        path.write_text("hello")
    r = gradproof("evaluate", str(path), "--data", "sample")
    assert r.returncode == 2 and r.stdout == ""
    line, = r.stderr.strip().splitlines()
    assert str(path) in line and "--save" in line


def test_a_network_that_does_not_fit_mnist_is_refused(tmp_path):
    path = tmp_path / "small.npz"
    Network([6, 3, 10]).save(path)
    r = gradproof("evaluate", str(path), "--data", "sample")
    assert r.returncode == 2 and "784 inputs" in r.stderr


def test_confusion_counts_pairs_and_checks_its_input():
    m = confusion(np.array([0, 1, 1, 2]), np.array([0, 2, 1, 2]), 3)
    assert m.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    with pytest.raises(ValueError, match="0..2"):
        confusion(np.array([3]), np.array([0]), 3)


def test_predict_in_chunks_equals_the_whole_split():
    data = mnist.load("sample")
    net = Network([784, 8, 10], seed=1)
    whole = net.feedforward(data.test.X()).argmax(axis=1)
    assert np.array_equal(predict(net, data.test, chunk=333), whole)
