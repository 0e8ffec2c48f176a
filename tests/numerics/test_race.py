"""numerics.race: SGD and Newton-CG from the same weights, in passes and seconds."""
from gradproof.numerics import load_mnist
from gradproof.numerics.newton import NewtonCG
from gradproof.numerics.race import race, sgd_points
from gradproof.numerics.train import SGD, Config


def test_sgd_points_accumulate_epochs_and_seconds():
    pts = sgd_points([{"epoch": 1, "seconds": 0.5, "test_accuracy": 0.8},
                      {"epoch": 2, "seconds": 0.25, "test_accuracy": 0.9, "training_cost": 0.3}])
    assert [(p["passes"], p["seconds"]) for p in pts] == [(1.0, 0.5), (2.0, 0.75)]


def test_a_short_race_on_the_sample():
    ds = load_mnist("sample")

    class Data:
        training = (ds.training.images[:1000], ds.training.labels[:1000])
        test = (ds.test.images[:500], ds.test.labels[:500])

    cfg = Config(sizes=(784, 10, 10), cost="cross_entropy", init="scaled", seed=1)
    r = race(cfg, Data, SGD(epochs=2, mini_batch_size=10, eta=0.5, reg="none", seed=1),
             NewtonCG(steps=3, gradient_batch=300, curvature_batch=100, cg_iterations=10), target=0.5)
    for name in ("sgd", "newton_cg"):
        pts = r[name]["points"]
        assert pts[0]["passes"] == 0 and pts[0]["seconds"] == 0
        assert pts[0]["test_accuracy"] == r["sgd"]["points"][0]["test_accuracy"]  # the same start
        assert all(b["passes"] > a["passes"] for a, b in zip(pts, pts[1:]))
        assert r[name]["best"] == max(p["test_accuracy"] for p in pts)
    assert r["sgd"]["points"][-1]["passes"] == 2.0 and r["sgd"]["step_cost"]["examples"] == 10
    assert r["newton_cg"]["step_cost"]["examples"] > 300
    assert r["training_images"] == 1000
