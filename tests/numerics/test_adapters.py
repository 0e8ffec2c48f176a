"""The README's adapters: a PyTorch or JAX gradient checked by assert_gradients_match.

The adapters are run as the README prints them.  Each test runs when its framework is installed
and is skipped otherwise (neither is a dependency of gradproof).  The oracle is the numeric
gradient; the gradients under test are hand-written backward passes, right and with a planted bug
(σ′ where σ was meant, 1 − y where 1 − y² was meant).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gradproof.numerics.gradcheck import GradientMismatch
from gradproof.numerics.testing import assert_gradients_match

README = Path(__file__).resolve().parents[2] / "README.md"
RNG = np.random.default_rng(0)
W, B, X = RNG.standard_normal((3, 4)), RNG.standard_normal(3), RNG.standard_normal(4)


def readme_adapters(marker: str) -> dict:
    """The README's python block that contains ``marker``, run; its namespace."""
    blocks = [b.split("```", 1)[0] for b in README.read_text().split("```python\n")[1:]]
    (block,) = [b for b in blocks if marker in b]
    ns: dict = {}
    exec(compile(block, f"README.md ({marker})", "exec"), ns)
    return ns


def failing_blocks(exc: GradientMismatch) -> set[str]:
    return {k for k, b in exc.comparison.blocks.items() if not b.passed}


# -- PyTorch ----------------------------------------------------------------------------------------------
def torch_softplus(torch, right: bool):
    """ln(1 + e^u) with a hand-written backward: σ(u) (right) or σ′(u) (the bug)."""
    class Softplus(torch.autograd.Function):
        @staticmethod
        def forward(ctx, u):
            ctx.save_for_backward(u)
            return torch.log1p(torch.exp(u))

        @staticmethod
        def backward(ctx, g):
            (u,) = ctx.saved_tensors
            s = torch.sigmoid(u)
            return g * (s if right else s * (1 - s))

    return Softplus.apply


def test_a_pytorch_function_and_its_backward():
    torch = pytest.importorskip("torch")
    torch_fn = readme_adapters("import torch")["torch_fn"]
    x = torch.as_tensor(X)
    for right in (True, False):
        softplus = torch_softplus(torch, right)
        f, g = torch_fn(lambda p: (softplus(p[0] @ x + p[1]) ** 2).sum())
        if right:
            assert assert_gradients_match(f, g, [W, B], "central", names=["w", "b"]).passed
        else:
            with pytest.raises(GradientMismatch) as err:
                assert_gradients_match(f, g, [W, B], "central", names=["w", "b"])
            assert failing_blocks(err.value) == {"w", "b"}
    with pytest.raises(GradientMismatch, match="f refuses complex parameters .RuntimeError: .*central"):
        assert_gradients_match(f, g, [W, B], "complex")  # torch: a complex w times a real x


def test_a_pytorch_module_and_a_layer_with_a_wrong_backward():
    torch = pytest.importorskip("torch")
    torch_module = readme_adapters("import torch")["torch_module"]

    class Tanh(torch.autograd.Function):  # d tanh = 1 − y², written 1 − y
        @staticmethod
        def forward(ctx, u):
            y = torch.tanh(u)
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * (1 - y)

    class WrongTanh(torch.nn.Module):
        def forward(self, u):
            return Tanh.apply(u)

    torch.manual_seed(0)
    x, y = torch.randn(6, 4, dtype=torch.float64), torch.randn(6, 3, dtype=torch.float64)
    for layer, right in ((torch.nn.Tanh(), True), (WrongTanh(), False)):
        net = torch.nn.Sequential(torch.nn.Linear(4, 5), layer, torch.nn.Linear(5, 3))
        f, g, params = torch_module(net, torch.nn.functional.mse_loss, x, y)
        assert set(params) == {"0.weight", "0.bias", "2.weight", "2.bias"}
        if right:
            assert assert_gradients_match(f, g, params, method="central").passed
        else:  # the layer's backward feeds the first Linear's gradient only
            with pytest.raises(GradientMismatch) as err:
                assert_gradients_match(f, g, params, method="central")
            assert failing_blocks(err.value) == {"0.weight", "0.bias"}


# -- JAX -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["complex", "central"])
def test_a_jax_function_and_its_custom_vjp(method):
    jax = pytest.importorskip("jax")
    jnp = pytest.importorskip("jax.numpy")
    jax_fn = readme_adapters("import jax")["jax_fn"]

    for right in (True, False):
        @jax.custom_vjp
        def softplus(u):
            return jnp.log1p(jnp.exp(u))

        def forward(u):
            return softplus(u), u

        def backward(u, g, right=right):
            s = jax.nn.sigmoid(u)
            return (g * (s if right else s * (1 - s)),)

        softplus.defvjp(forward, backward)
        f, g = jax_fn(lambda p: (softplus(p[0] @ jnp.asarray(X) + p[1]) ** 2).sum())
        if right:
            assert assert_gradients_match(f, g, [W, B], method, names=["w", "b"]).passed
        else:
            with pytest.raises(GradientMismatch) as err:
                assert_gradients_match(f, g, [W, B], method, names=["w", "b"])
            assert failing_blocks(err.value) == {"w", "b"}
