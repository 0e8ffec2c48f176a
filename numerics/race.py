r"""SGD against Newton-CG on the same network, from the same initial weights, in the same units.

:func:`race` trains one network twice — by mini-batch SGD (:func:`numerics.train.sgd`) and by
Newton-CG (:func:`numerics.newton.newton_cg`) — and returns both histories as points
``{"passes", "seconds", "training_cost", "test_accuracy"}``: **passes** count every example a
gradient (SGD: each example once per epoch) or a cost or a curvature product (Newton-CG) touches,
over the training-set size; **seconds** are the optimizer's own, evaluations excluded.  For each
optimizer it gives where the curve first reaches ``target`` (:func:`numerics.newton.passes_to`) and
what one step costs.
"""
from __future__ import annotations

import time
from dataclasses import asdict
from typing import Any, Callable

from .newton import NewtonCG, newton_cg, passes_to
from .train import SGD, evaluate, make_network, sgd, split_arrays


__all__ = ["race", "sgd_points"]


def sgd_points(history: list[dict]) -> list[dict]:
    """SGD's epoch records as race points: cumulative passes (epochs) and seconds."""
    points, seconds = [], 0.0
    for r in history:
        seconds += r["seconds"]
        points.append({"passes": float(r["epoch"]), "seconds": seconds, "epoch": r["epoch"],
                       "training_cost": r.get("training_cost"), "test_accuracy": r.get("test_accuracy")})
    return points


def race(config, data, sgd_settings: SGD, newton: NewtonCG, target: float = 0.95,
         progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Train the network of ``config`` (a :class:`numerics.train.Config`: sizes, activation, cost,
    init, seed) on ``data`` by SGD with ``sgd_settings`` and by Newton-CG with ``newton`` (its
    ``target`` left as given), each from the initial weights ``config.seed`` draws; monitor the test
    images.  Returns ``{"sgd": {...}, "newton_cg": {...}, "target", "network"}``, each optimizer with
    ``points`` (see the module docstring; a point 0 before training), ``reached`` (the first point
    at ``target`` test accuracy, or None), ``best`` test accuracy, ``settings`` and ``step_cost``
    (examples and seconds per step: an SGD mini-batch; a Newton step with its CG products)."""
    say = progress or (lambda s: None)
    monitor = {"training": data.training, "test": data.test}
    net = make_network(config)
    start = {"passes": 0.0, "seconds": 0.0, "training_cost": evaluate(net, data.training, cost=True,
                                                                       accuracy=False)["cost"],
             "test_accuracy": evaluate(net, data.test)["accuracy"]}
    say(f"SGD: {sgd_settings.epochs} epochs, mini-batch {sgd_settings.mini_batch_size}, eta {sgd_settings.eta:g}")
    t0 = time.perf_counter()
    history = sgd(net, data.training, sgd_settings, monitor={"test": data.test})
    say(f"  {time.perf_counter() - t0:.1f} s")
    s_points = [dict(start, epoch=0)] + sgd_points(history)
    n = len(split_arrays(data.training)[1])
    steps_per_epoch = -(-n // sgd_settings.mini_batch_size)
    sgd_seconds = sum(r["seconds"] for r in history)
    net = make_network(config)
    say(f"Newton-CG: at most {newton.steps} steps")
    t0 = time.perf_counter()
    records = newton_cg(net, data.training, newton, monitor=monitor)
    say(f"  {time.perf_counter() - t0:.1f} s")
    n_points = [{"passes": r["passes"], "seconds": r["seconds"], "step": r["step"],
                 "training_cost": r.get("training_cost"), "test_accuracy": r.get("test_accuracy"),
                 "damping": r.get("damping"), "cg_iterations": r.get("cg_iterations")} for r in records]
    steps = max(1, records[-1]["step"])
    cg = [r["cg_iterations"] for r in records[1:]] or [0]
    return {
        "target": target, "network": {"sizes": list(config.sizes), "activation": config.activation,
                                      "cost": config.cost, "init": config.init, "seed": config.seed},
        "training_images": n,
        "sgd": {"points": s_points, "reached": passes_to(s_points, "test_accuracy", target),
                "best": max(p["test_accuracy"] for p in s_points), "settings": asdict(sgd_settings),
                "step_cost": {"examples": sgd_settings.mini_batch_size,
                              "seconds": sgd_seconds / max(1, steps_per_epoch * len(history))}},
        "newton_cg": {"points": n_points, "reached": passes_to(n_points, "test_accuracy", target),
                      "best": max(p["test_accuracy"] for p in n_points), "settings": asdict(newton),
                      "step_cost": {"examples": records[-1]["passes"] * n / steps,
                                    "seconds": records[-1]["seconds"] / steps,
                                    "cg_iterations": sum(cg) / len(cg)}},
    }
