r"""The network's letters as the notation reader reads them: indices, layers, whole layers.

Chapter 2 names a network's quantities with one letter, a layer written as a superscript and neuron
indices written as a subscript: :math:`w^l_{jk}`, :math:`a^{l-1}_k`, :math:`\delta^L_j`,
:math:`z^l` (the whole layer), :math:`n_l` (its width).  The reader keeps what was written, and
nothing more, in plain SymPy objects:

=========================  ===============================================  ========================
written                    read as                                          why
=========================  ===============================================  ========================
``w^l_{jk}``, ``a_j^L``    ``Indexed(IndexedBase("w"), l, j, k)``: the       the layer is an index
                           layer (when written) first, then the neuron      like the others, so
                           indices; indices are positive-integer symbols    ∂w^l_jk/∂w^m_pq =
                           (``derive.core.indexed.index``)                  δ_lm δ_jp δ_kq, and an
                                                                            explicit network is one
                                                                            ``xreplace`` (l → 2)
``a_j``, ``w_{jk}``        the same without the layer slot                  the layer is not guessed
``z^l``, ``(w^{l+1})^T``   :class:`Layer` (a non-commutative ``Expr``),      the order of a matrix
                           ``transpose`` of it, ``⊙`` as :class:`hadamard`   product is kept; shapes
                                                                            come from the network
                                                                            context, not the reader
``n_l``                    ``Indexed(IndexedBase("n", integer, positive),   a width, by layer
                           l)``
``δ_{jk}``                 ``KroneckerDelta(j, k)``                         as derive.core.indexed
``∑_k`` (no bounds)        ``Sum(f, (k, 1, unwritten_bound(k)))``           the range is not guessed
``C_0``, ``w_1``, ``x₁``   the names ``C0``, ``w1``, ``x1``                 as ``C₀`` has always read
=========================  ===============================================  ========================

A network letter is one of :data:`NETWORK`; its superscript is its layer when written with the
layer letters l or L (``l``, ``l-1``, ``l+1``, ``L``, ``L-1``), and a power otherwise (``w^2`` in
:math:`\sum_w w^2`).  A number as superscript together with a subscript on a layered letter
(``a^2_j``, ``w_j^2``) could be the layer or a square, so it is refused (:func:`scripted`).  On
every other letter a superscript is a power; ``^T`` is a transpose on any letter.
"""
from __future__ import annotations

from dataclasses import dataclass

import sympy as sp
from sympy.core.symbol import Str

from ..core.indexed import index

__all__ = ["Letter", "NETWORK", "LAYER_LETTERS", "Layer", "hadamard", "norm", "gradient",
           "Script", "NotationError", "scripted", "is_layer", "as_index", "unwritten_bound", "is_unwritten_bound",
           "width", "symbol"]

#: Letters that name a layer in a superscript.
LAYER_LETTERS = ("l", "L")


@dataclass(frozen=True)
class Letter:
    """A letter of the book's network: does it take a layer, and how many neuron indices."""

    name: str
    meaning: str
    layered: bool
    neurons: tuple[int, ...]  #: accepted numbers of neuron indices (w: 2; 1 in chapter 1's w_j)


#: The book's network (chapter 2): C, a^l_j, z^l_j, w^l_{jk}, b^l_j, δ^l_j, x_j, y_j and n_l.
NETWORK: dict[str, Letter] = {letter.name: letter for letter in (
    Letter("a", "activation", True, (1,)),
    Letter("z", "weighted input", True, (1,)),
    Letter("b", "bias", True, (1,)),
    Letter("delta", "error ∂C/∂z", True, (1,)),
    Letter("w", "weight", True, (2, 1)),
    Letter("x", "input", False, (1,)),
    Letter("y", "desired output", False, (1,)),
    Letter("C", "cost", False, (1,)),
    Letter("n", "width n_l of layer l", False, (1,)),
)}


class Layer(sp.Expr):
    r"""A whole layer's quantity as written, :math:`z^l` or :math:`w^{l+1}`: a vector or a matrix
    whose shape the network context gives.  Non-commutative, so ``(w^{l+1})^T δ^{l+1}`` keeps its
    order; ``transpose`` of it stays unevaluated."""

    is_commutative = False

    def __new__(cls, letter, layer):
        letter = letter if isinstance(letter, Str) else Str(letter)
        return sp.Expr.__new__(cls, letter, sp.sympify(layer))

    @property
    def letter(self) -> str:
        return self.args[0].name

    @property
    def layer(self) -> sp.Expr:
        return self.args[1]

    def _eval_transpose(self):
        return None

    @property
    def _diff_wrt(self) -> bool:  # ∂C/∂w^l: the matrix of ∂C/∂w^l_jk (the network context's)
        return True


class hadamard(sp.Function):
    r"""The Hadamard (elementwise) product :math:`u \odot v`; of two scalars it is their product."""

    nargs = 2

    @classmethod
    def eval(cls, u, v):
        if u.is_commutative and v.is_commutative:
            return u * v
        return None

    def _eval_is_commutative(self):
        return all(a.is_commutative for a in self.args)


class norm(sp.Function):
    r"""The Euclidean norm :math:`\|v\|`; of a scalar it is :math:`|v|`."""

    nargs = 1

    @classmethod
    def eval(cls, v):
        if v.is_commutative:
            return sp.Abs(v)
        return None


class gradient(sp.Function):
    r""":math:`\nabla_a C`, the vector of partial derivatives :math:`\partial C/\partial a_j`
    (the network context says which a); unevaluated."""

    nargs = 2
    is_commutative = False


def unwritten_bound(k: sp.Symbol) -> sp.Symbol:
    r"""The upper end of :math:`\sum_k`'s range when the text does not write it (a name no text can
    spell): the network context says what it is (``n_{l-1}`` for the k of :math:`w^l_{jk}`)."""
    return sp.Symbol(f"…{k.name}", integer=True, positive=True)


def is_unwritten_bound(e: sp.Basic) -> bool:
    return isinstance(e, sp.Symbol) and e.name.startswith("…")


def symbol(name: str) -> sp.Symbol:
    """A name as a real symbol, as the plain reader has always made it."""
    return sp.Symbol(name, real=True)


def as_index(e: sp.Expr) -> sp.Expr:
    """An index or layer expression with its letters made positive-integer index symbols."""
    e = sp.sympify(e)
    return e.xreplace({s: index(s.name) for s in e.free_symbols
                       if isinstance(s, sp.Symbol) and not s.is_integer})


def is_layer(e: sp.Expr) -> bool:
    """``l``, ``L``, ``l-1``, ``L+2``...: one layer letter plus an integer."""
    e = sp.sympify(e)
    free = e.free_symbols
    if len(free) != 1:
        return False
    (s,) = free
    return (isinstance(s, sp.Symbol) and s.name in LAYER_LETTERS and (e - s).is_Integer)


def width(layer: sp.Expr) -> sp.Expr:
    """:math:`n_l`, the number of neurons in layer ``layer``."""
    return sp.IndexedBase("n", integer=True, positive=True)[as_index(layer)]


@dataclass(frozen=True)
class Script:
    """What a ^ or _ carries, as written: its ``value``; ``items`` when it is a list of indices
    (``{jk}`` in LaTeX, ``{j,k}``, the letters of a plain ``jk``, the digits of ``24``); ``text``
    when it is one plain word or numeral (``max`` in ``x_max``, ``0`` in ``C_0``)."""

    value: sp.Expr | None
    items: tuple | None = None
    text: str | None = None
    top: bool = False  #: ^T, ^\top: a transpose

    @property
    def numeral(self) -> bool:
        return self.text is not None and self.text.isdigit()

    @property
    def transpose(self) -> bool:
        return self.top or self.text == "T"


class NotationError(ValueError):
    """A reading refused: ``what; the fix`` (the reader adds the line and column)."""


def scripted(name: str, sup: Script | None, sub: Script | None, shown: str) -> sp.Expr:
    """The quantity a letter (or a name) with a superscript and a subscript stands for.

    ``name``: the canonical name (``w``, ``delta``, ``eta``, ``dC0dw``); ``shown``: how the text
    wrote it, for messages.  Raises :class:`NotationError` for a reading that could go two ways.
    """
    if sub is not None and (sub.top or sub.value is None):
        raise NotationError(f"'{shown}': a transpose mark as a subscript is not read; write the "
                            f"transpose as a superscript, {_book(name)}^T")
    if sup is not None and sup.transpose:
        return sp.transpose(scripted(name, None, sub, shown), evaluate=False)
    letter = NETWORK.get(name)
    if letter is None:
        return _power(symbol(name) if sub is None else _other(name, sub, shown), sup)
    layer = as_index(sup.value) if letter.layered and sup is not None and is_layer(sup.value) else None
    if letter.layered and layer is None and sup is not None and sub is not None and sup.value.is_Number:
        raise NotationError(
            f"'{shown}' could be layer {sup.value}'s {_book(name)} or the power "
            f"({_book(name)}_…)^{sup.value}; write the power with parentheses, or the layer "
            f"with its letter ({_book(name)}^l, {_book(name)}^{{l-1}}, {_book(name)}^L)")
    if sub is None:
        base = Layer(name, layer) if layer is not None else symbol(name)
    else:
        base = _network(name, letter, layer, sub, shown)
    return base if layer is not None else _power(base, sup)


def _book(name: str) -> str:
    return "δ" if name == "delta" else name


def _power(base: sp.Expr, sup: Script | None) -> sp.Expr:
    return base if sup is None else sp.Pow(base, sup.value, evaluate=False)


def _indices(sub: Script) -> tuple:
    items = sub.items if sub.items is not None else (sub.value,)
    return tuple(as_index(i) for i in items)


def _other(name: str, sub: Script, shown: str) -> sp.Expr:
    """A subscript on a letter outside the network (v_k, η_j) or on a longer name (nabla_w)."""
    if sub.numeral:
        return symbol(name + sub.text)  # x₁ → x1, C₀ → C0, as the plain reader has always read
    if sub.text is not None and (len(name) > 1 or len(sub.text) > 1):
        return symbol(f"{name}_{sub.text}")  # nabla_w, v_max: one name, as before
    if len(name) > 1:
        raise NotationError(f"'{shown}': an index on the name {name} is not read; use a single "
                            f"letter ({name[0]}_…) or make it one name ({name}_{{…}} with a word)")
    return sp.IndexedBase(name, real=True)[_indices(sub)]


def _network(name: str, letter: Letter, layer, sub: Script, shown: str) -> sp.Expr:
    """The subscript of a network letter: its neuron indices (or, on n, the layer of a width)."""
    if name == "n" and is_layer(sub.value):
        return width(sub.value)
    if sub.numeral and layer is None:
        if name == "w" and len(sub.text) > 1:
            pair = ",".join(sub.text)
            raise NotationError(f"'{shown}' could be w_{{{pair}}} or the name w{sub.text}; write "
                                f"w_{{{pair}}} for the indices or w{sub.text} for the name")
        return symbol(name + sub.text)  # w₁ → w1 (chapter 1's w₁x₁), C_0 → C0
    if sub.numeral:  # w^l_{24}: one digit per index, as the book writes it
        digits = tuple(sp.Integer(d) for d in sub.text)
        idx = digits if len(digits) == letter.neurons[0] else (sp.Integer(sub.text),)
    else:
        idx = _indices(sub)
    if name == "delta" and layer is None and len(idx) == 2:
        return sp.KroneckerDelta(*idx)
    fits = len(idx) in letter.neurons if layer is None else len(idx) == letter.neurons[0]
    if fits:
        base = sp.IndexedBase(name, real=True)
        return base[(layer, *idx)] if layer is not None else base[idx]
    if sub.text is not None and layer is None:
        return symbol(f"{name}_{sub.text}")  # x_max: more letters than x has indices, a name
    want = " or ".join(str(k) for k in letter.neurons)
    example = "w^l_{jk}" if name == "w" else f"{_book(name)}^l_j" if letter.layered else f"{name}_j"
    raise NotationError(f"'{shown}': {_book(name)} ({letter.meaning}) takes {want} neuron "
                        f"index{'es' if letter.neurons[0] > 1 else ''}, not {len(idx)}; write e.g. "
                        f"{example}")
