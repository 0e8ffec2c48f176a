"""numerics.blas.subtract_product: ``c -= a @ b`` in one gemm, bit for bit what numpy computes.
Oracle: numpy's own ``c -= a @ b`` on a copy (the same bits, not merely close)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from gradproof.numerics import blas
from gradproof.numerics.blas import subtract_product
from gradproof.numerics.network import Network


def numpy_way(c, a, b):
    out = c.copy()
    out -= a @ b
    return out


@settings(max_examples=25, deadline=None)
@given(rows=st.integers(50, 130), cols=st.sampled_from([784, 800, 1000]), k=st.integers(1, 128),
       seed=st.integers(0, 2**16), transposed=st.booleans())
def test_same_bits_as_numpy_for_the_update_shapes(rows, cols, k, seed, transposed):
    rng = np.random.default_rng(seed)
    c = rng.standard_normal((rows, cols))
    delta = rng.standard_normal((k, rows)) * 1e-2
    a = delta.T if transposed else np.ascontiguousarray(delta.T)  # δᵀ: a view, as the kernel has it
    b = rng.random((k, cols))
    expect = numpy_way(c, a, b)
    subtract_product(c, a, b)
    assert c.tobytes() == expect.tobytes()


@pytest.mark.parametrize("case", ["small", "float32", "strided", "aliased", "inner too long"])
def test_every_other_case_falls_back_to_numpy(case):
    rng = np.random.default_rng(0)
    c, a, b = rng.standard_normal((100, 784)), rng.standard_normal((100, 10)), rng.random((10, 784))
    if case == "small":
        c, b = c[:, :8].copy(), b[:, :8].copy()
    elif case == "float32":
        c, a, b = (x.astype(np.float32) for x in (c, a, b))
    elif case == "strided":
        b = rng.random((10, 1568))[:, ::2]
    elif case == "aliased":
        a = c[:, :10]
        b = rng.random((10, 784))
    elif case == "inner too long":
        a, b = rng.standard_normal((100, 300)), rng.random((300, 784))
    expect = numpy_way(c, a, b)
    subtract_product(c, a, b)
    np.testing.assert_array_equal(c, expect)


def test_gemm_is_found_for_numpys_openblas():
    from threadpoolctl import threadpool_info
    if not any(i.get("internal_api") == "openblas" for i in threadpool_info()):
        pytest.skip("numpy's BLAS is not OpenBLAS here: subtract_product uses numpy")
    assert blas.available()


def test_training_steps_are_those_of_w_minus_equals_the_product(monkeypatch):
    """The generated step at 784-100-10 (gemm path) gives the bits of the same kernel with
    ``w -= p @ q``: the kernel's name resolves in its module, so a numpy stand-in replaces it."""
    rng = np.random.default_rng(3)
    x, y = rng.random((10, 784)), np.eye(10)[rng.integers(0, 10, 10)]
    fast, slow = Network([784, 100, 10], seed=0), Network([784, 100, 10], seed=0)
    module = fast.kernels
    assert module is slow.kernels and module.subtract_product is subtract_product
    for _ in range(20):
        module.step_l2(fast.weights, fast.biases, x, y, 0.5, 5.0, 50000)
    monkeypatch.setattr(module, "subtract_product", lambda c, a, b: c.__isub__(a @ b))
    for _ in range(20):
        module.step_l2(slow.weights, slow.biases, x, y, 0.5, 5.0, 50000)
    for p, q in zip(fast.parameters(), slow.parameters()):
        assert p.tobytes() == q.tobytes()
