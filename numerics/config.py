"""What a training run is, checked before anything is built: :class:`Config` (the network, the SGD
settings, the book's figure), :class:`SGD` (the settings of one mini-batch SGD run), the book's
:data:`PRESETS`, the names a configuration may use and :func:`check_memory`.

NumPy only: the CLI checks every flag of ``train`` and ``report`` here before it loads the kernels
(:mod:`numerics.codegen`, SymPy and the book).  An activation or cost that is not one of the book's
(:data:`ACTIVATION_NAMES`, :data:`COST_NAMES`) is looked up in :mod:`derive.book.custom`, which is
imported then.  :mod:`numerics.codegen` checks that these names are the book's tables'.
"""
from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass
from typing import Any, Sequence

import numpy as np

from gradproof import derive  # names imported on first use: derive.book.custom only for a user's model

__all__ = ["Config", "SGD", "ConfigError", "PRESETS", "ACTIVATION_NAMES", "COST_NAMES", "REGS",
           "INITS", "DTYPES", "SPLITS", "memory_estimate", "check_memory"]

#: What a configuration may name: the activations, costs and regularizations the kernels print, in
#: the order of derive's ACTIVATIONS, COSTS and WEIGHT_UPDATES (numerics.codegen asserts they are
#: those tables' keys), the network's initializations and dtypes, the splits of MNIST.
ACTIVATION_NAMES: tuple[str, ...] = ("sigmoid", "tanh", "relu")
COST_NAMES: tuple[str, ...] = ("quadratic", "cross_entropy", "log_likelihood")
REGS: tuple[str, ...] = ("none", "l2", "l1")
#: Weight initializations: name -> what it draws (biases are always N(0, 1)).
INITS = {"scaled": "w ~ N(0, 1/n_in)", "large": "w ~ N(0, 1)"}
DTYPES = ("float64", "float32")
SPLITS = ("training", "validation", "test")


def memory_estimate(sizes: Sequence[int], dtype="float64", batch: int = 10) -> int:
    r"""Bytes a network of ``sizes`` needs to train: its parameters
    :math:`P = \sum_l n_l (n_{l-1} + 1)` about four times over (the parameters, their gradients,
    the update's temporaries, a copy while saving or loading) and a mini-batch of ``batch``
    activations per layer a few times over.  A lower bound, used to refuse before allocating."""
    itemsize = np.dtype(dtype).itemsize
    params = sum(int(n_out) * (int(n_in) + 1) for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    return itemsize * (4 * params + 4 * batch * sum(int(s) for s in sizes))


def _available_memory() -> int | None:
    """Physical memory, or the address-space limit of this process when that is smaller."""
    limits = []
    try:
        limits.append(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        pass
    try:
        import resource
        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        if soft != resource.RLIM_INFINITY:
            limits.append(soft)
    except (ImportError, OSError, ValueError):
        pass
    return min(limits) if limits else None


def _gib(n: int) -> str:
    if n >= 2**70:  # past what a float shows in GiB without an overflow or a 20-digit figure
        return f"about 2^{n.bit_length() - 1} bytes"
    return f"{n / 2**30:,.1f} GiB" if n >= 2**30 else f"{n / 2**20:,.1f} MiB"


def check_memory(sizes: Sequence[int], dtype="float64", batch: int = 10) -> None:
    """``ValueError`` naming the figure when the network of ``sizes`` cannot fit in this machine's
    memory (:func:`memory_estimate` against the physical memory or the process's limit)."""
    need, have = memory_estimate(sizes, dtype, batch), _available_memory()
    if have is not None and need > have:
        shown = "-".join(map(str, sizes))
        raise ValueError(f"a {shown} network in {np.dtype(dtype).name} needs about {_gib(need)} "
                         f"to train, more than the {_gib(have)} of memory here; choose smaller layers")


class ConfigError(ValueError):
    """A bad training setting; ``field`` names the :class:`Config` field (the CLI maps it to its flag)."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.detail = message


def _positive(value: Any) -> bool:
    return isinstance(value, (int, float, np.number)) and math.isfinite(value) and value > 0


@dataclass(frozen=True)
class SGD:
    r"""The settings of one mini-batch SGD run (:func:`numerics.train.sgd`): what the book's ``network2.SGD`` takes
    as seven flags, named as the book names them, checked when made.

    ``epochs``; ``mini_batch_size`` m; ``eta`` η; ``lmbda`` λ and ``reg`` ("none", "l2" or "l1"; λ = 0
    is no regularization whatever ``reg``) for the update rule of eqs. 20-21, 93, 97; ``seed`` of the
    shuffles (``numpy.random.default_rng(seed)``); ``threads``, the BLAS threads for the steps and
    the evaluations (None: :func:`numerics.train.blas_threads` ``(m)`` for the steps, the evaluations' as they are;
    the count fixes BLAS's summation order, so it is part of what makes a run reproducible);
    ``training_cost``: record the cost over the training set each epoch (False: skip it, the
    benchmark).  A :class:`Config` gives its own with :meth:`Config.sgd`.

    A bad setting is a :class:`ConfigError` naming the field: ``SGD(epochs=1, mini_batch_size=10,
    eta=0)`` raises ``eta: must be a positive number, got 0``.
    """

    epochs: int
    mini_batch_size: int
    eta: float
    lmbda: float = 0.0
    reg: str = "l2"
    seed: int | None = None
    threads: int | None = None
    training_cost: bool = True

    def __post_init__(self):
        for name in ("eta", "mini_batch_size", "epochs"):
            v = getattr(self, name)
            if not _positive(v):
                raise ConfigError(name, f"must be a positive number, got {v!r}")
        for name in ("mini_batch_size", "epochs"):
            if int(getattr(self, name)) != getattr(self, name):
                raise ConfigError(name, f"must be a whole number, got {getattr(self, name)!r}")
        if self.reg not in REGS:
            raise ConfigError("reg", f"unknown reg {self.reg!r}; choose one of " + ", ".join(REGS))
        if not (isinstance(self.lmbda, (int, float, np.number)) and math.isfinite(self.lmbda)
                and self.lmbda >= 0):
            raise ConfigError("lmbda", f"must be a number >= 0, got {self.lmbda!r}")
        if self.seed is not None and not (isinstance(self.seed, (int, np.integer)) and self.seed >= 0):
            raise ConfigError("seed", f"must be a whole number >= 0, got {self.seed!r}")
        if self.threads is not None and not (_positive(self.threads) and int(self.threads) == self.threads):
            raise ConfigError("threads", f"must be a positive whole number or None, got {self.threads!r}")


@dataclass(frozen=True)
class Config:
    """A training run: the network, the SGD settings and, for a preset, the book's figure.

    ``book_accuracy`` (a fraction) is the *best* epoch of the book's run on ``book_split``;
    ``must_reach`` is the accuracy on ``target`` this implementation must reach at its best epoch.
    The SGD settings among the fields are :meth:`sgd`'s.
    """

    sizes: tuple[int, ...] = (784, 30, 10)
    activation: str = "sigmoid"
    cost: str = "quadratic"
    init: str = "scaled"  # N(0, 1/n_in), chapter 3's; the nielsen-ch1 preset keeps chapter 1's N(0, 1)
    eta: float = 3.0
    lmbda: float = 0.0
    reg: str = "none"
    mini_batch_size: int = 10
    epochs: int = 30
    seed: int = 0
    dtype: str = "float64"
    target: str = "test"
    monitor: tuple[str, ...] = ("validation", "test")
    name: str | None = None
    book_accuracy: float | None = None
    book_split: str | None = None
    book_reference: str = ""
    must_reach: float | None = None

    def validate(self) -> "Config":
        """Return self, or raise :class:`ConfigError` naming the field and the fix."""
        if len(self.sizes) < 2 or any(not isinstance(s, (int, np.integer)) or s < 1 for s in self.sizes):
            raise ConfigError("sizes", f"need at least two positive layer sizes, got {list(self.sizes)}; "
                              "give e.g. 784,30,10")
        for name, shipped, get in (("activation", ACTIVATION_NAMES, lambda v: derive.get_activation(v)),
                                   ("cost", COST_NAMES, lambda v: derive.get_cost(v))):
            value = getattr(self, name)
            if value in shipped:  # one of the book's: known without building it (no SymPy)
                continue
            try:  # derive.book.custom's example or one the user defined (imported now)
                get(value)
            except ValueError as exc:
                raise ConfigError(name, str(exc)) from None
        for name, allowed in (("init", INITS),
                              ("reg", REGS), ("dtype", DTYPES), ("target", SPLITS[1:])):
            if getattr(self, name) not in allowed:
                raise ConfigError(name, f"unknown {name} {getattr(self, name)!r}; choose one of "
                                  + ", ".join(allowed))
        self.sgd()  # eta, mini_batch_size, epochs, lmbda, seed: checked by SGD
        if self.seed is None:  # the network's seed too: a run is reproducible
            raise ConfigError("seed", f"must be a whole number >= 0, got {self.seed!r}")
        bad = [s for s in self.monitor if s not in SPLITS]
        if bad:
            raise ConfigError("monitor", f"unknown split {bad[0]!r}; choose from " + ", ".join(SPLITS))
        return self

    def sgd(self, threads: int | None = None, training_cost: bool = True) -> SGD:
        """This run's SGD settings (:class:`SGD`; ``threads`` and ``training_cost`` as there)."""
        return SGD(epochs=self.epochs, mini_batch_size=self.mini_batch_size, eta=self.eta,
                   lmbda=self.lmbda, reg=self.reg, seed=self.seed, threads=threads,
                   training_cost=training_cost)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["sizes"], d["monitor"] = list(self.sizes), list(self.monitor)
        return d


#: The book's runs.  Its figures are the best epoch of one run; ``must_reach`` is ours.
PRESETS: dict[str, Config] = {
    "nielsen-ch1": Config(
        name="nielsen-ch1", sizes=(784, 30, 10), activation="sigmoid", cost="quadratic", init="large",
        eta=3.0, lmbda=0.0, reg="none", mini_batch_size=10, epochs=30, target="test",
        book_accuracy=0.9542, book_split="test", must_reach=0.950,
        book_reference="ch. 1, network.py: 784-30-10, quadratic cost, eta = 3.0, mini-batch 10, "
                       "30 epochs; best epoch 95.42% on the test images"),
    "nielsen-ch3": Config(
        name="nielsen-ch3", sizes=(784, 100, 10), activation="sigmoid", cost="cross_entropy",
        init="scaled", eta=0.1, lmbda=5.0, reg="l2", mini_batch_size=10, epochs=60, target="validation",
        book_accuracy=0.9804, book_split="validation", must_reach=0.980,
        book_reference="ch. 3 (Overfitting and regularization), network2.py: 784-100-10, "
                       "cross-entropy, L2 lmbda = 5.0, eta = 0.1, mini-batch 10, 60 epochs; 98.04% on "
                       "the validation images. The book's run called large_weight_initializer(), "
                       "N(0, 1); this preset keeps network2.py's default N(0, 1/n_in) "
                       "(section Weight initialization)"),
    "softmax": Config(
        name="softmax", sizes=(784, 100, 10), activation="sigmoid", cost="log_likelihood",
        init="scaled", eta=0.1, lmbda=5.0, reg="l2", mini_batch_size=10, epochs=60, target="validation",
        book_accuracy=None, book_split=None, must_reach=0.980,
        book_reference="ch. 3 softmax output layer with log-likelihood cost (eqs. 78-84), the "
                       "nielsen-ch3 settings otherwise; the book gives no figure"),
}

