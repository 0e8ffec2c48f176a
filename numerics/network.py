r"""A feedforward network whose arithmetic is gradproof's generated kernels.

Book notation, rows for examples: a mini-batch ``X`` is ``(m, sizes[0])``, one example per row, and
layer by layer :math:`z^l = a^{l-1}(w^l)^T + b^l`, :math:`a^l = \sigma(z^l)` (eq. 25 with the
column vectors laid down as rows).  ``weights[i]`` is the book's :math:`w^l` with **l = i + 2**
(the book numbers the input layer l = 1 and it has no weights), shaped ``(sizes[i+1], sizes[i])`` so
that ``weights[i][j, k]`` is :math:`w^l_{jk}`; ``biases[i]`` is :math:`b^l`, shaped ``(sizes[i+1],)``.

Nothing here computes an activation, a cost or a gradient: :class:`Network` holds the parameters and
calls the functions :mod:`numerics.codegen` printed from derive's proved expressions.  The methods
check shapes; it does not train itself: the training loop (:mod:`numerics.train`, ``sgd(net,
training, SGD(...))``, which imports this module, not the other way) calls the fused kernel
``net.kernels.step_<reg>`` directly (BP1-BP4 and the update rule in one pass, no checks, no copies);
``backprop`` and ``update_<reg>`` are the same math in two halves, for gradients and checks.
"""
from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Sequence

import numpy as np

from gradproof.derive.book.custom import formula, from_formula
from gradproof.derive.core.deadline import Timeout, default_deadline

from . import codegen
from .config import DTYPES, INITS, check_memory, memory_estimate
from .fileio import loads_json, printable, write_atomic
from .npz import NpzError, read_npz

__all__ = ["Network", "INITS", "FORMAT", "VERSION", "memory_estimate", "check_memory"]

FORMAT = "gradproof-network"  #: the format marker of a saved network's config
VERSION = 1  #: the saved-network format version
_MAX_CONFIG = 1 << 16  # characters of a saved config
MAX_WIDTH = 1 << 31  #: widest layer a saved network may declare (a wider one is refused unread)
_RECREATE_SECONDS = 120.0  #: bound on re-deriving a saved expression activation or cost


def _read_config(path) -> dict:
    """The JSON config of the network file ``path``, checked for the fields a network needs."""
    import zipfile

    with zipfile.ZipFile(path) as z, z.open("config.npy") as m:
        version = np.lib.format.read_magic(m)
        reader = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                  else np.lib.format.read_array_header_2_0)
        _shape, _fortran, dtype = reader(m, max_header_size=10_000)
        text = str(np.frombuffer(m.read(dtype.itemsize), dtype)[0])
    try:
        config = loads_json(text)
    except ValueError as exc:
        raise ValueError(f"not a gradproof network: its 'config' is not readable JSON ({exc})") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ValueError(f"not a gradproof network: format marker is not {FORMAT!r}")
    if config.get("version") != VERSION:
        raise ValueError(f"unsupported version {config.get('version')!r} (this gradproof reads "
                         f"version {VERSION})")
    sizes = config.get("sizes")
    if (not isinstance(sizes, list) or len(sizes) < 2
            or not all(type(n) is int and n > 0 for n in sizes)):
        raise ValueError(f"bad config: sizes must list at least 2 positive layer widths, got "
                         f"{str(sizes)[:80]}")
    if len(sizes) > 1000 or any(n > MAX_WIDTH for n in sizes):
        widest = max(sizes)
        shown = str(widest) if widest < 10**12 else f"a {len(str(widest))}-digit number of"
        raise ValueError(f"bad config: {len(sizes)} layers, the widest {shown} units; a saved "
                         f"network has at most 1000 layers of at most {MAX_WIDTH} units")
    if config.get("dtype") not in DTYPES:
        raise ValueError(f"bad config: dtype must be one of {', '.join(DTYPES)}, got "
                         f"{config.get('dtype')!r}")
    check_memory(sizes, config["dtype"])
    return config


def _models(config: dict) -> dict:
    """``{"activation": ..., "cost": ...}`` for the constructor: the names a config gives, or the
    objects its formulas re-create through the safe reader (bounded in time); ``ValueError``."""
    models = {"activation": config.get("activation"), "cost": config.get("cost")}
    for kind in models:
        saved = config.get(f"{kind}_formula")
        if saved is None:
            continue
        if not isinstance(saved, dict) or saved.get("name") != models[kind]:
            raise ValueError(f"{kind}_formula must describe the {kind} {str(models[kind])[:64]!r}")
        try:
            with default_deadline(_RECREATE_SECONDS):
                models[kind] = from_formula(kind, saved)
        except Timeout:
            raise ValueError(f"re-creating the saved {kind} took longer than "
                             f"{_RECREATE_SECONDS:g} s") from None
        except RecursionError:
            raise ValueError(f"the saved {kind}'s formula is nested too deeply") from None
    return models


def _choice(what: str, value: str, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ValueError(f"Network: unknown {what} {value!r}; choose one of {', '.join(choices)}")
    return value


class Network:
    r"""A fully connected network: hidden layers of ``activation``, an output layer fixed by ``cost``.

    ``cost``: ``quadratic`` (:math:`C_x = \tfrac12\|y-a^L\|^2`, sigmoid outputs), ``cross_entropy``
    (summed over the output neurons, sigmoid outputs) or ``log_likelihood``
    (:math:`-\sum_j y_j\ln a^L_j`, softmax outputs).  ``activation`` (hidden layers): ``sigmoid``,
    ``tanh`` or ``relu``.  Either may also be a name or object from :mod:`derive.book.custom`
    (``derive.activation("softplus", "log(1 + exp(z))")``): the same kernels are printed for it.  ``init``: ``scaled`` (:math:`w\sim N(0, 1/n_{in})`, the default) or
    ``large`` (:math:`N(0,1)`); biases :math:`N(0,1)`, drawn from ``np.random.default_rng(seed)``,
    so one seed gives bit-identical parameters.  ``dtype``: float64 (default) or float32.

    Attributes: ``sizes``, ``activation``, ``cost_name`` (``cost`` is the method; names, with the
    objects in ``activation_def``, ``cost_def``), ``init``,
    ``dtype``, ``weights``, ``biases`` (lists of arrays, which may be changed in place) and
    ``kernels`` (the compiled stable kernel module).
    """

    def __init__(self, sizes: Sequence[int], activation="sigmoid", cost="quadratic",
                 init: str = "scaled", seed: int | None = None, dtype=np.float64):
        sizes = list(sizes)
        if len(sizes) < 2 or not all(isinstance(s, (int, np.integer)) and s > 0 for s in sizes):
            raise ValueError(f"Network: sizes must list at least 2 positive layer widths "
                             f"(input ... output), got {sizes!r}")
        self.sizes = [int(s) for s in sizes]
        try:
            self.cost_def, self.activation_def = codegen.resolve(cost, activation)
        except ValueError as exc:
            raise ValueError(f"Network: {exc}") from None
        self.activation, self.cost_name = self.activation_def.name, self.cost_def.name
        self.init = _choice("init", init, tuple(INITS))
        try:
            self.dtype = np.dtype(dtype)
        except TypeError:
            self.dtype = None
        if self.dtype is None or self.dtype.name not in DTYPES:
            raise ValueError(f"Network: unknown dtype {dtype!r}; choose one of {', '.join(DTYPES)}")
        rng = np.random.default_rng(seed)
        self.weights: list[np.ndarray] = []
        self.biases: list[np.ndarray] = []
        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:]):
            scale = 1 / np.sqrt(n_in) if init == "scaled" else 1.0
            self.weights.append((rng.standard_normal((n_out, n_in)) * scale).astype(self.dtype))
            self.biases.append(rng.standard_normal(n_out).astype(self.dtype))
        self._bind()

    def _bind(self) -> None:
        #: the generated stable kernels (a module); training calls these functions directly
        self.kernels = codegen.kernels(self.cost_def, self.activation_def)
        k = self.kernels
        self._feedforward, self._cost, self._backprop = k.feedforward, k.cost, k.backprop

    # -- evaluation ---------------------------------------------------------------------------
    @property
    def num_layers(self) -> int:
        """L, the number of layers including the input layer (the book's L)."""
        return len(self.sizes)

    def _floats(self, X) -> np.ndarray:
        """X as an array of the network's dtype; raw uint8 pixels are refused, not cast unscaled."""
        if getattr(X, "dtype", None) == np.uint8:
            raise ValueError("Network: X is uint8 (raw pixels 0..255?); scale it to [0, 1] first, "
                             "e.g. split.X() or numerics.mnist.scale_pixels(images)")
        return np.asarray(X, dtype=self.dtype)

    def _check(self, X: np.ndarray, Y: np.ndarray | None = None) -> None:
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise ValueError(f"Network: X must be (m, {self.sizes[0]}), one example per row; "
                             f"got shape {X.shape}")
        if Y is not None and Y.shape != (X.shape[0], self.sizes[-1]):
            raise ValueError(f"Network: Y must be (m, {self.sizes[-1]}) = ({X.shape[0]}, "
                             f"{self.sizes[-1]}) to match X; got shape {Y.shape}")

    def feedforward(self, X: np.ndarray) -> np.ndarray:
        """The output activations :math:`a^L`: X (m, sizes[0]) -> (m, sizes[-1]); a 1-d X is one row."""
        X = self._floats(X)
        if X.ndim == 1:
            return self.feedforward(X[None, :])[0]
        self._check(X)
        return self._feedforward(self.weights, self.biases, X)

    def cost(self, X: np.ndarray, Y: np.ndarray) -> float:
        r"""The mean per-example cost :math:`\frac1m\sum_x C_x` over the rows, without regularization."""
        X, Y = self._floats(X), np.asarray(Y, dtype=self.dtype)
        self._check(X, Y)
        return float(self._cost(self.weights, self.biases, X, Y))

    def gradients(self, X: np.ndarray, Y: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        r"""``(nabla_w, nabla_b)``, the gradient of :meth:`cost` (BP1-BP4), shaped like the parameters."""
        X, Y = self._floats(X), np.asarray(Y, dtype=self.dtype)
        self._check(X, Y)
        return self._backprop(self.weights, self.biases, X, Y)

    def regularized_cost(self, X: np.ndarray, Y: np.ndarray, lmbda: float, n: int,
                         reg: str = "l2") -> float:
        r""":meth:`cost` plus the penalty: :math:`\frac{\lambda}{2n}\sum w^2` (l2, eq. 85) or
        :math:`\frac{\lambda}{n}\sum|w|` (l1, eq. 95); ``reg="none"`` adds nothing."""
        penalty = getattr(self.kernels, f"penalty_{_choice('reg', reg, codegen.REGS)}")
        return self.cost(X, Y) + float(penalty(self.weights, lmbda, n))

    def regularized_gradients(self, X: np.ndarray, Y: np.ndarray, lmbda: float, n: int,
                              reg: str = "l2") -> tuple[list[np.ndarray], list[np.ndarray]]:
        """The gradient of :meth:`regularized_cost` (biases are not regularized)."""
        grad = getattr(self.kernels, f"penalty_gradient_{_choice('reg', reg, codegen.REGS)}")
        nabla_w, nabla_b = self.gradients(X, Y)
        return [nw + g for nw, g in zip(nabla_w, grad(self.weights, lmbda, n))], nabla_b

    def update(self, nabla_w: Sequence[np.ndarray], nabla_b: Sequence[np.ndarray], eta: float,
               lmbda: float = 0.0, n: int = 1, reg: str = "none") -> None:
        """One gradient-descent step in place, by the derived rule for ``reg`` (none, l2, l1);
        ``nabla_w``, ``nabla_b`` are consumed (scaled by η in place)."""
        update = getattr(self.kernels, f"update_{_choice('reg', reg, codegen.REGS)}")
        update(self.weights, self.biases, nabla_w, nabla_b, eta, lmbda, n)

    def accuracy(self, X: np.ndarray, labels: np.ndarray) -> float:
        """The fraction of rows whose largest output is the label (ints (m,), or one-hot rows (m, k))."""
        labels = np.asarray(labels)
        if labels.ndim == 2:
            labels = labels.argmax(axis=1)
        out = self.feedforward(X)
        if len(labels) != len(out):
            raise ValueError(f"Network.accuracy: {len(labels)} labels for {len(out)} rows of X")
        return float(np.mean(out.argmax(axis=1) == labels)) if len(out) else 0.0

    # -- parameters as one list of blocks (for gradient checks and reports) -----------------------
    def parameter_names(self) -> list[str]:
        """Block names in the book's layer numbering: ``w^2 ... w^L, b^2 ... b^L``."""
        layers = range(2, self.num_layers + 1)
        return [f"w^{l}" for l in layers] + [f"b^{l}" for l in layers]

    def parameters(self) -> list[np.ndarray]:
        """``weights + biases`` (the arrays themselves, not copies), in :meth:`parameter_names` order."""
        return [*self.weights, *self.biases]

    def split(self, params: Sequence[np.ndarray]) -> tuple[list, list]:
        """Inverse of :meth:`parameters`: ``(weights, biases)``."""
        k = self.num_layers - 1
        return list(params[:k]), list(params[k:])

    def cost_function(self, X: np.ndarray, Y: np.ndarray, lmbda: float = 0.0, n: int = 1,
                      reg: str = "none", textbook: bool = False):
        r"""``f(params) -> float``: the (regularized) mean cost as a function of a parameter list.

        ``params`` is laid out like :meth:`parameters`.  With ``textbook=True`` ``f`` runs the
        textbook kernels, which accept complex parameters (for the complex-step derivative).
        """
        k = codegen.kernels(self.cost_def, self.activation_def, textbook)
        cost = k.cost
        penalty = getattr(k, f"penalty_{_choice('reg', reg, codegen.REGS)}")
        X, Y = np.asarray(X), np.asarray(Y)
        self._check(X, Y)
        split = self.split

        def f(params):
            weights, biases = split(params)
            return cost(weights, biases, X, Y) + penalty(weights, lmbda, n)

        return f

    # -- saving ----------------------------------------------------------------------------------
    def config(self) -> dict:
        """What a saved file records besides the arrays: the sizes, the names and, for an
        activation or cost defined by an expression (``--activation "swish=z*sigma(z)"``), its
        formula (:func:`derive.book.custom.formula`), so that the file describes itself."""
        described = {k: f for k, f in (("activation_formula", formula(self.activation_def)),
                                         ("cost_formula", formula(self.cost_def))) if f}
        return {"format": FORMAT, "version": VERSION, "sizes": self.sizes,
                "activation": self.activation, "cost": self.cost_name, "init": self.init,
                "dtype": self.dtype.name, **described}

    def save(self, path: str | os.PathLike) -> None:
        """Write ``path`` (an ``.npz``: arrays ``w0.., b0..`` and a JSON ``config``) atomically."""
        path = Path(path)
        arrays = {f"w{i}": w for i, w in enumerate(self.weights)}
        arrays.update({f"b{i}": b for i, b in enumerate(self.biases)})
        arrays["config"] = np.array(json.dumps(self.config()))
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        write_atomic(path, buf.getvalue())

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Network":
        """Read a file written by :meth:`save`; anything else is a one-line ``ValueError``.

        Nothing is allocated before the file is known to fit: the config is parsed first (bounded
        size and nesting), the network it describes must fit in memory (:func:`check_memory`), and
        every stored array's declared shape and type must be the config's (:mod:`numerics.npz`)."""
        def bad(problem: str) -> ValueError:
            return ValueError(f"Network.load: {printable(path)}: {problem}")

        state: dict = {}

        def check(declared) -> None:
            state["checking"] = True
            shape, dtype = declared.get("config", ((-1,), None))
            if shape != () or dtype.kind != "U" or dtype.itemsize > 4 * _MAX_CONFIG:
                raise ValueError("not a gradproof network: no readable JSON 'config'")
            # the config is small: read it now, to know what the other arrays must be
            state["config"] = config = _read_config(path)
            try:  # the names the config gives, checked by the constructor itself on a tiny network
                state["models"] = models = _models(config)
                cls([1, 1], **models, init=config.get("init"), seed=0, dtype=config["dtype"])
            except (ValueError, TypeError) as exc:
                raise ValueError(f"bad config: {exc}") from None
            sizes, dt = config["sizes"], np.dtype(config["dtype"]).newbyteorder("<")
            want = {"config": None}
            for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
                want[f"w{i}"], want[f"b{i}"] = ((n_out, n_in), dt), ((n_out,), dt)
            for key in sorted(want.keys() - declared.keys()):
                raise ValueError(f"array {key!r} is missing")
            for key in sorted(declared.keys() - want.keys()):
                raise ValueError(f"it holds an array {key!r} that a network of sizes {sizes} has not")
            for key, target in want.items():
                if target is not None and declared[key] != target:
                    raise ValueError(f"array {key!r} is {declared[key][1]} {declared[key][0]}, the "
                                     f"config needs {target[1]} {target[0]}")

        try:
            arrays = read_npz(path, check)
        except NpzError as exc:
            raise bad(str(exc) if state.get("checking")
                      else f"not a gradproof network (.npz) file: {exc}") from None
        config = state["config"]
        for key in sorted(arrays):
            if key != "config" and not np.isfinite(arrays[key]).all():
                raise bad(f"array {key!r} holds NaN or infinite values (a training run that "
                          "diverged?); train again, e.g. with a smaller --eta")
        try:
            net = cls(config["sizes"], **state["models"], init=config["init"], seed=0,
                      dtype=config["dtype"])
        except (KeyError, ValueError, TypeError) as exc:
            raise bad(f"bad config: {exc}") from None
        for name, target in (("w", net.weights), ("b", net.biases)):
            for i in range(len(target)):
                target[i] = arrays[f"{name}{i}"].astype(net.dtype)  # a writable copy, native order
        return net

    def __repr__(self) -> str:
        return (f"Network({self.sizes}, activation={self.activation!r}, cost={self.cost_name!r}, "
                f"init={self.init!r}, dtype={self.dtype.name})")
