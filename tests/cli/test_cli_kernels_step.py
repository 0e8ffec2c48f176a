"""``gradproof kernels`` prints the fused ``step_<reg>`` kernels that training runs."""
from __future__ import annotations

import numpy as np
import pytest

from .run import here as gradproof


@pytest.mark.parametrize("args", [[], ["--cost", "log_likelihood", "--activation", "relu"]])
def test_kernels_prints_the_fused_steps(args):
    out = gradproof("kernels", *args)
    assert out.returncode == 0, out.stderr
    src = out.stdout
    for reg, tag in (("none", "sgd_minibatch_update"), ("l2", "l2_weight_decay"), ("l1", "l1_update")):
        body = src.split(f"def step_{reg}(weights, biases, x, y, eta, lmbda, n):", 1)[1].split("\ndef ", 1)[0]
        assert body.index("# 4. Backpropagate") < body.index("# 6. Update (eq. ") < body.index("w -= delta_eta.T @ a")
        assert f"[bp4, bp_batched, {tag}]" in body
    module = {}
    exec(compile(src, "<kernels>", "exec"), module)  # the printed text is the module itself
    w, b = [np.ones((2, 3))], [np.zeros(2)]
    module["step_l2"](w, b, np.ones((1, 3)), np.array([[1.0, 0.0]]), 0.5, 1.0, 10)
    assert w[0].shape == (2, 3) and not np.array_equal(w[0], np.ones((2, 3)))
