r"""Mini-batch stochastic gradient descent with the generated kernels, the book's presets, a JSON history.

One step on a mini-batch of m examples (eqs. 20-21, 93, 97; the rules are :data:`derive.book.updates.WEIGHT_UPDATES`;
the generated ``step_*`` kernels print them with the batched BP3, BP4 substituted for the gradient):

.. math::

    w \to w - \eta\nabla_w - \begin{cases} 0 & \text{none}\\
          \tfrac{\eta\lambda}{n} w & \text{L2 (eq. 93, as } (1-\eta\lambda/n)w\text{)}\\
          \tfrac{\eta\lambda}{n}\operatorname{sgn}(w) & \text{L1 (eq. 97)}\end{cases}
    \qquad b \to b - \eta\nabla_b

where :math:`\nabla = \frac1m\sum_x \nabla C_x` is the mean gradient of the unregularized cost over the
mini-batch and **n is the size of the training set** (as in the book's ``network2.py``).

Data stay ``uint8``: the shuffled rows are gathered by index and scaled to the training dtype on the
fly, about 100 rows (whole mini-batches) at a time (``X[idx] / 255``,
:func:`numerics.mnist.scale_pixels`), and every evaluation runs over a split in chunks of
:data:`CHUNK` rows, so the training set is never materialized as floats (full MNIST trains in well
under 400 MB).

Training is reproducible: the network's ``seed`` fixes the initial weights, ``seed`` here fixes the
shuffles (``numpy.random.default_rng(seed)``), and the same seeds and BLAS thread count give
bit-identical weights.

Threads: the products of a mini-batch of m rows are small (10×784 by 784×30 at the book's m = 10), so
BLAS threads only add start-up and spinning; the steps run with :func:`blas_threads` ``(m)`` threads
(one below :data:`SMALL_BATCH` rows, else the BLAS default), set with ``threadpoolctl`` for the
epoch's steps and restored afterwards.  The thread count decides the summation order inside BLAS,
so it is part of what makes a run reproducible (``threads=`` fixes it).
"""
from __future__ import annotations

import contextlib
import math
import sys
import time
from typing import Any, Callable, Iterator, Mapping

import numpy as np

from .config import (ACTIVATION_NAMES, COST_NAMES, INITS as _INITS, PRESETS, REGS, SGD, SPLITS,  # noqa: F401
                     Config, ConfigError)
from .mnist import scale_pixels
from .network import Network

__all__ = ["Config", "SGD", "ConfigError", "Diverged", "PRESETS", "CHUNK", "sgd", "evaluate", "run",
           "train", "regularization_term", "make_network", "check_data", "SMALL_BATCH", "blas_threads",
           "blas_limit", "blas_info", "predict", "confusion", "split_arrays", "training_arrays",
           "chance_warning"]

#: Rows per evaluation chunk (accuracy and cost over a split).
CHUNK = 1000
#: Below this many rows a product gains nothing from more BLAS threads (measured on 2 cores: at
#: m = 10 one thread is as fast as two on an idle machine and much faster on a busy one).
SMALL_BATCH = 100
#: Rows of the shuffled training set gathered and scaled at once (whole mini-batches of it): one
#: call for ten mini-batches of the book's instead of one each, and 100 rows of MNIST (627 KB of
#: float64) stay in a core's L2 cache until the steps read them (measured: 100 beat 50, 250, 500).
_GATHER_ROWS = 100
#: How often (in mini-batches) training checks that the parameters are still finite.
_FINITE_EVERY = 250
#: What a configuration may name (:mod:`numerics.config`): the activations, costs and
#: initializations (REGS, SPLITS: imported from there too).
ACTIVATIONS, COSTS, INITS = ACTIVATION_NAMES, COST_NAMES, tuple(_INITS)


class Diverged(ArithmeticError):
    """Training produced NaN or inf (the learning rate is too large); nothing is saved."""



# ---------------------------------------------------------------------------------------------------
# Data: uint8 images, integer labels; scaled per batch / per chunk.

def split_arrays(split: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(images (n, 784), labels (n,))`` from a split object (``.images``/``.labels``) or a pair."""
    if isinstance(split, (tuple, list)) and len(split) == 2:
        images, labels = split
    else:
        images, labels = split.images, split.labels
    images, labels = np.asarray(images), np.asarray(labels)
    if images.ndim != 2 or labels.shape != (images.shape[0],):
        raise ValueError(f"training data: images must be (n, n_in) and labels (n,), got "
                         f"{images.shape} and {labels.shape}; pass a split of numerics.mnist.load()")
    return images, labels


def _one_hot(labels: np.ndarray, k: int, dtype: np.dtype) -> np.ndarray:
    """labels (n,) -> (n, k) unit vectors y(x) (the book's ``vectorized_result``)."""
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        raise ValueError(f"training data: labels must lie in 0..{k - 1} for a {k}-neuron output "
                         f"layer, got {labels.min()}..{labels.max()}; set the last size to the number "
                         "of classes")
    return np.eye(k, dtype=dtype)[labels]


def training_arrays(net, training: Any, who: str) -> tuple[np.ndarray, np.ndarray]:
    """``(images, labels)`` of ``training`` (a split or a pair) for training ``net``; a one-line
    ``ValueError`` naming ``who`` for an empty set or images that do not fit the input layer."""
    images, labels = split_arrays(training)
    if len(labels) == 0:
        raise ValueError(f"{who}: the training set is empty; pass at least one example")
    if images.shape[1] != net.sizes[0]:
        raise ValueError(f"{who}: the images have {images.shape[1]} pixels but the input layer has "
                         f"{net.sizes[0]} neurons; make the first size {images.shape[1]}")
    return images, labels


def _dtype(net) -> np.dtype:
    return np.dtype(net.weights[0].dtype)


def regularization_term(net, lmbda: float, reg: str, n: int) -> float:
    r"""The penalty added to the cost, by the generated ``penalty_<reg>`` kernel:
    :math:`\frac{\lambda}{2n}\sum w^2` (L2, eq. 85) or :math:`\frac{\lambda}{n}\sum |w|` (L1, eq. 95);
    biases are not regularized; n is the size of the training set."""
    if reg not in REGS:
        raise ValueError(f"regularization: unknown reg {reg!r}; choose none, l2 or l1")
    if reg == "none" or lmbda == 0:
        return 0.0
    return float(getattr(net.kernels, f"penalty_{reg}")(net.weights, lmbda, n))


def evaluate(net, split: Any, cost: bool = False, accuracy: bool = True,
             chunk: int = CHUNK) -> dict[str, float]:
    """Accuracy (fraction correct, argmax of the output) and/or mean unregularized cost over a split,
    computed ``chunk`` rows at a time from the uint8 images."""
    images, labels = split_arrays(split)
    dtype, k = _dtype(net), net.sizes[-1]
    n = len(labels)
    correct, total = 0, 0.0
    for s in range(0, n, chunk):
        x = scale_pixels(images[s:s + chunk], dtype)
        lab = labels[s:s + chunk]
        if accuracy:
            correct += int(np.count_nonzero(np.argmax(net.feedforward(x), axis=1) == lab))
        if cost:
            total += float(net.cost(x, _one_hot(lab, k, dtype))) * len(lab)
        del x  # before the next chunk is made: one chunk alive at a time
    out = {}
    if accuracy:
        out["accuracy"] = correct / n if n else float("nan")
    if cost:
        out["cost"] = total / n if n else float("nan")
    return out


def predict(net, split: Any, chunk: int = CHUNK) -> np.ndarray:
    """The digit each image is classified as (argmax of the output a^L), ``chunk`` rows at a time
    from the uint8 images: ints (n,)."""
    images, _ = split_arrays(split)
    dtype = _dtype(net)
    out = np.empty(len(images), dtype=np.int64)
    for s in range(0, len(images), chunk):
        out[s:s + chunk] = np.argmax(net.feedforward(scale_pixels(images[s:s + chunk], dtype)), axis=1)
    return out


def confusion(labels: np.ndarray, predicted: np.ndarray, k: int) -> np.ndarray:
    """The k×k confusion matrix: entry [i, j] counts the images of digit i classified as j (the
    diagonal counts the correct ones)."""
    labels, predicted = np.asarray(labels, dtype=np.int64), np.asarray(predicted, dtype=np.int64)
    if labels.shape != predicted.shape:
        raise ValueError(f"confusion: {labels.shape} labels for {predicted.shape} predictions")
    if labels.size and (labels.min() < 0 or labels.max() >= k or predicted.min() < 0
                        or predicted.max() >= k):
        raise ValueError(f"confusion: labels and predictions must lie in 0..{k - 1}")
    return np.bincount(labels * k + predicted, minlength=k * k).reshape(k, k)


# ---------------------------------------------------------------------------------------------------
# BLAS threads.

def blas_threads(rows: int) -> int | None:
    """The BLAS thread count for products with ``rows`` rows: 1 below :data:`SMALL_BATCH`,
    else None (the BLAS default: large products gain from the cores)."""
    return 1 if rows < SMALL_BATCH else None


@contextlib.contextmanager
def blas_limit(threads: int | None) -> Iterator[None]:
    """Run the block with ``threads`` BLAS threads (None: as they are), restored afterwards."""
    if threads is None:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=int(threads), user_api="blas"):
        yield


def blas_info() -> dict[str, Any]:
    """numpy's BLAS as threadpoolctl sees it now: library, version, kernel (architecture), threads."""
    from threadpoolctl import threadpool_info

    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    if not blas:
        return {"library": None, "threads": None, "architecture": None, "version": None}
    b = blas[0]
    return {"library": b.get("internal_api"), "version": b.get("version"),
            "architecture": b.get("architecture"), "threads": b.get("num_threads")}


# ---------------------------------------------------------------------------------------------------
# SGD.

def _step(net, reg: str, eta: float, lmbda: float, n: int) -> Callable[[np.ndarray, np.ndarray], None]:
    """One in-place SGD step ``step(x (m, n_in), y (m, n_out))``: the generated ``step_<reg>`` kernel,
    ``backprop`` and ``update_<reg>`` fused (the update rule with the batched BP3, BP4 substituted,
    so the gradient is never stored)."""
    fused = getattr(net.kernels, f"step_{'none' if lmbda == 0 else reg}")
    weights, biases = net.weights, net.biases

    def step(x, y):
        fused(weights, biases, x, y, eta, lmbda, n)
    return step


def _finite(net) -> bool:
    return all(np.isfinite(p).all() for p in (*net.weights, *net.biases))


def _diverged(epoch: int, what: str, eta: float) -> Diverged:
    return Diverged(f"training diverged in epoch {epoch}: {what} is not finite (NaN or inf); "
                    f"the learning rate eta = {eta:g} is too large, try a smaller one (e.g. {eta / 10:g})")


def sgd(net, training: Any, settings: SGD, monitor: Mapping[str, Any] | None = None,
        progress: bool | Callable[[dict], None] | None = None,
        on_epoch: Callable[[dict], None] | None = None) -> list[dict[str, Any]]:
    r"""Train ``net`` in place by mini-batch SGD with ``settings`` (:class:`SGD`); return one record
    per epoch.

    ``training``: a split (``.images`` uint8 (n, n_in), ``.labels`` (n,)) or a pair ``(images, labels)``.
    Each epoch shuffles with ``numpy.random.default_rng(settings.seed)``, cuts ``n // m`` mini-batches
    of ``m = settings.mini_batch_size`` (the last, shorter one too if m does not divide n, as the book
    does) and applies the update rule of ``settings.reg`` (eqs. 20-21, 93, 97) with n = len(training).

    A record holds ``epoch``, ``seconds`` (the SGD steps), ``eval_seconds``, ``training_cost`` (mean
    cost over the training set plus :func:`regularization_term`; not with
    ``settings.training_cost=False``), ``<name>_cost`` (the same on a monitored split) and
    ``<name>_accuracy`` for each split of ``monitor`` (a mapping name -> split), as fractions.
    ``progress=True`` draws a tqdm bar on stderr; ``on_epoch`` (or a callable ``progress``) is called
    with each record as it is made.  Raises :class:`Diverged` when a parameter or the cost becomes
    NaN or inf; the network is then left as it was when that was noticed.  The BLAS thread count
    before the call is restored on return.
    """
    if not isinstance(settings, SGD):
        raise TypeError(f"sgd: settings must be a numerics.train.SGD, e.g. SGD(epochs=30, "
                        f"mini_batch_size=10, eta=3.0), got {type(settings).__name__}")
    images, labels = training_arrays(net, training, "sgd")
    n = len(labels)
    epochs, eta, threads = int(settings.epochs), settings.eta, settings.threads
    m = int(settings.mini_batch_size)
    dtype = _dtype(net)
    Y = _one_hot(labels, net.sizes[-1], dtype)  # (n, 10): 4 MB for MNIST; gathered per batch
    rng = np.random.default_rng(settings.seed)
    step = _step(net, settings.reg, float(eta), float(settings.lmbda), n)
    monitor = dict(monitor or {})
    if callable(progress):
        progress, on_epoch = None, progress
    bar = None
    if progress is True:
        from tqdm import tqdm
        bar = tqdm(total=epochs * -(-n // m), unit="batch", file=sys.stderr, leave=False,
                   dynamic_ncols=True, mininterval=0.5)
    history: list[dict[str, Any]] = []
    step_threads = blas_threads(m) if threads is None else int(threads)
    block = max(1, _GATHER_ROWS // m) * m  # whole mini-batches: the same batches, fewer calls
    # overflow is not warned about: a NaN or inf it leads to is caught below and stops training
    with np.errstate(over="ignore", invalid="ignore"), blas_limit(threads):
        try:
            for epoch in range(1, int(epochs) + 1):
                if bar is not None:
                    bar.set_description(f"epoch {epoch}/{epochs}")
                t0 = time.perf_counter()
                order = rng.permutation(n)
                j = 0
                with blas_limit(step_threads):
                    for s0 in range(0, n, block):  # gather and scale `block` rows at once
                        rows = order[s0:s0 + block]
                        xs, ys = scale_pixels(images[rows], dtype), Y[rows]
                        for s in range(0, len(rows), m):
                            step(xs[s:s + m], ys[s:s + m])
                            j += 1
                            if j % _FINITE_EVERY == 0:
                                if not _finite(net):
                                    raise _diverged(epoch, "a weight or bias", eta)
                                if bar is not None:
                                    bar.update(_FINITE_EVERY)
                        del xs, ys  # one block alive at a time, none during the evaluation
                seconds = time.perf_counter() - t0
                if bar is not None:
                    bar.update(j % _FINITE_EVERY)
                if not _finite(net):
                    raise _diverged(epoch, "a weight or bias", eta)
                record = _record(net, settings, epoch, seconds, (images, labels), monitor)
                history.append(record)
                if bar is not None:
                    bar.set_postfix({k.replace("_accuracy", ""): f"{v:.4f}" for k, v in record.items()
                                     if k.endswith("_accuracy")})
                if on_epoch is not None:
                    on_epoch(record)
        finally:
            if bar is not None:
                bar.close()
    return history


def _record(net, settings: SGD, epoch: int, seconds: float, training: tuple[np.ndarray, np.ndarray],
            monitor: Mapping[str, Any]) -> dict[str, Any]:
    """The record of one epoch (:func:`sgd`): the training cost and each monitored split's accuracy
    and cost, every cost with the regularization term; :class:`Diverged` for a cost that is not finite."""
    t1 = time.perf_counter()
    n = len(training[1])
    penalty = regularization_term(net, settings.lmbda, settings.reg, n) if settings.training_cost else 0.0
    record: dict[str, Any] = {"epoch": epoch, "seconds": seconds}
    if settings.training_cost:
        c = evaluate(net, training, cost=True, accuracy=False)["cost"] + penalty
        if not math.isfinite(c):
            raise _diverged(epoch, "the training cost", settings.eta)
        record["training_cost"] = c
    for name, split in monitor.items():  # the chapter-3 overfitting picture
        cost = settings.training_cost and name != "training"  # training's is recorded above
        ev = evaluate(net, split, cost=cost)
        record[f"{name}_accuracy"] = ev["accuracy"]
        if cost:  # the same cost as training's (regularization included), on this split
            record[f"{name}_cost"] = ev["cost"] + penalty
    record["eval_seconds"] = time.perf_counter() - t1
    return record


# ---------------------------------------------------------------------------------------------------
# A whole run from a Config: the JSON object of ``gradproof train --json`` and of the report.

def make_network(config: Config):
    """The untrained network of ``config`` (weights seeded by ``config.seed``)."""
    return Network(list(config.sizes), activation=config.activation, cost=config.cost,
                   init=config.init, seed=config.seed, dtype=np.dtype(config.dtype))


def check_data(config: Config, data) -> None:
    """:class:`ConfigError` (field ``sizes``) unless the network of ``config`` fits ``data``: as many
    inputs as an image has pixels, ten outputs (one per digit)."""
    images, labels = split_arrays(data.training)
    if config.sizes[0] != images.shape[1]:
        raise ConfigError("sizes", f"the first size must be {images.shape[1]} (the pixels of an image), "
                          f"got {config.sizes[0]}; e.g. {images.shape[1]},30,10")
    k = int(labels.max()) + 1 if labels.size else 0
    if config.sizes[-1] != 10 or config.sizes[-1] < k:
        raise ConfigError("sizes", f"the last size must be 10 (one output neuron per digit), got "
                          f"{config.sizes[-1]}; e.g. {config.sizes[0]},30,10")


def train(config: Config, data, progress: bool | Callable[[dict], None] | None = None,
          on_epoch: Callable[[dict], None] | None = None, threads: int | None = None):
    """Train the network of ``config`` on ``data`` (``.training``, ``.validation``, ``.test``);
    return ``(network, result)`` with ``result`` as :func:`run` describes.  ``threads``: as for
    :class:`SGD` (None: chosen for the mini-batch size)."""
    config.validate()
    check_data(config, data)
    monitor = tuple(dict.fromkeys((*config.monitor, config.target)))
    net = make_network(config)
    t0 = time.perf_counter()
    history = sgd(net, data.training, config.sgd(threads), monitor={s: getattr(data, s) for s in monitor},
                  progress=progress, on_epoch=on_epoch)
    total = time.perf_counter() - t0
    step_threads = blas_threads(config.mini_batch_size) if threads is None else threads
    with blas_limit(step_threads):
        blas = blas_info()
    key = f"{config.target}_accuracy"
    best = max(history, key=lambda r: (r[key], -r["epoch"]))  # earliest epoch among ties
    n = len(split_arrays(data.training)[1])
    penalty = {"none": "none", "l2": f"lmbda/(2n) * sum of w^2, n = {n}",
               "l1": f"lmbda/n * sum of |w|, n = {n}"}["none" if config.lmbda == 0 else config.reg]
    result = {
        "config": config.as_dict(),
        "data": {"kind": getattr(data, "kind", None), "source": str(getattr(data, "source", "")),
                 "training": n, **{s: len(split_arrays(getattr(data, s))[1]) for s in monitor}},
        "training_cost_definition": f"mean cost over the {n} training images + regularization "
                                    f"({penalty})",
        "epochs": history,
        "best": {"epoch": best["epoch"], "split": config.target, "accuracy": best[key]},
        "final": history[-1],
        "book": {"accuracy": config.book_accuracy, "split": config.book_split,
                 "reference": config.book_reference},
        "must_reach": config.must_reach,
        "reached": None if config.must_reach is None else best[key] >= config.must_reach,
        "seconds": total,
        "blas": {**blas, "threads": blas["threads"] if blas["threads"] is not None else step_threads,
                 "chosen": "given" if threads is not None else
                           f"for mini-batch {config.mini_batch_size}"},
    }
    return net, result


def run(config: Config, data, progress: bool | Callable[[dict], None] | None = None,
        on_epoch: Callable[[dict], None] | None = None, threads: int | None = None) -> dict[str, Any]:
    """Train and return the JSON object of ``gradproof train --json``: ``config``, ``data``, ``epochs``
    (one record per epoch; accuracies as fractions), ``best`` (epoch and accuracy on ``config.target``),
    ``final`` (the last record), ``book`` (the book's figure and split), ``must_reach``, ``reached``."""
    return train(config, data, progress, on_epoch, threads)[1]


def chance_warning(result: dict, data, config: Config) -> str:
    """Why a run learned nothing, or "": the best accuracy (``result["best"]``) is no better than
    always guessing the commonest digit of that split, plus 5 points, and the likely fixes: a
    smaller eta (the sigmoid saturates, or a user's activation explodes), and N(0, 1/n_in) weights
    when the run drew N(0, 1)."""
    split = getattr(data, result["best"]["split"], None)
    if split is None or not len(split):
        return ""
    chance = float(split.counts().max()) / len(split)
    best = result["best"]["accuracy"]
    if best > chance + 0.05:
        return ""
    fix = f"try a smaller --eta than {config.eta:g}"
    if config.init != "scaled":
        fix += " and --init scaled (N(0, 1/n_in) weights)"
    return (f"accuracy stayed at chance level ({best:.2%} on {result['best']['split']}, where "
            f"always guessing the commonest digit scores {chance:.2%}): the network learned "
            f"nothing; {fix}")
