"""numerics.bench.products: the table of what is timed and the shape of the result (no timing
target is asserted here: the median in `gradproof bench` is the measurement)."""
import numpy as np

from gradproof.numerics import load_mnist
from gradproof.numerics.bench import products as P


def test_every_contestant_computes_what_it_names():
    ds = load_mnist("sample")
    W, B, V, x, y = P._case((784, 5, 10), np.asarray(ds.training.images), np.asarray(ds.training.labels), 50)
    calls = {n: P.PRODUCTS[n].make(W, B, V, x, y) for n in ("gradient", "hv", "hv_at", "gv_at")}
    nw, nb = calls["gradient"]()
    assert [w.shape for w in nw] == [w.shape for w in W]
    hv, hv_at = calls["hv"](), calls["hv_at"]()
    for u, v in zip([*hv[0], *hv[1]], [*hv_at[0], *hv_at[1]]):
        assert np.array_equal(u, v)  # the kept forward pass changes nothing


def test_the_result_reports_medians_ratios_and_the_target():
    r = P.bench_products(load_mnist("sample"), sizes=((784, 5, 10),), batch=50, windows=1, calls=1)
    (net,) = r["networks"]
    assert {"gradient", "two_gradients", "hv", "hv_at", "gv_at"} <= set(net["median_cpu_seconds"])
    assert net["passed"] == (net["ratios"]["hv_vs_gradient"] <= P.HV_LIMIT) and r["limit"] == 2.5
    assert ("hv_vs_jax_hvp" in net["ratios"]) == bool(r["jax"])
