"""numerics.bench.memory: the child really trains the preset (same accuracy as in this process) and
reports its own peak memory; a failing child is one line."""
from __future__ import annotations

from dataclasses import replace

import pytest

from gradproof.numerics import mnist
from gradproof.numerics.bench.memory import peak_memory
from gradproof.numerics.train import PRESETS, train


@pytest.mark.slow
def test_the_child_trains_the_ch3_preset_and_reports_its_peak():
    out = peak_memory("sample", epochs=1)
    data = mnist.load("sample")
    _, result = train(replace(PRESETS["nielsen-ch3"], epochs=1), data)
    assert out["accuracy"] == result["final"]["validation_accuracy"]  # the same run, bit for bit
    assert (out["kind"], out["n_training"], out["sizes"], out["epochs"]) == \
        ("sample", 5000, [784, 100, 10], 1)
    assert out["peak_rss_mb"] == out["vmhwm_kb"] / 1024
    images_mb = data.training.images.nbytes / 2**20
    assert images_mb < out["peak_rss_mb"] < 400  # it holds at least the images, far below the target


def test_a_failing_child_is_one_line(tmp_path):
    with pytest.raises(RuntimeError) as info:
        peak_memory(str(tmp_path / "missing"))
    message = str(info.value)
    assert message.startswith("bench: the memory child failed: ") and "\n" not in message
    assert "missing" in message

