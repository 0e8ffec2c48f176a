"""``--activation`` and ``--cost`` of every command: a name, ``name=expr``, or an expression.

A name is a shipped one (sigmoid, quadratic, ...), one of ``derive.book.custom``'s examples (softplus,
log_cosh, ...) or one defined earlier in the process; anything else is defined on the spot by
``derive.book.custom.from_text`` (an expression in z for an activation; in a and y for a cost, optionally
ending in ``@output`` to name its output layer, default sigmoid).  Bad definitions are a one-line
:class:`~gradproof.errors.UsageError` (exit 2).
"""
from __future__ import annotations

from ..errors import UsageError

ACTIVATION_HELP = ("hidden activation: sigmoid, tanh, relu, an example (softplus, leaky_relu, silu, "
                   "elu), an expression in z ('z*sigma(z)') or name=expr")
COST_HELP = ("cost: quadratic, cross_entropy, log_likelihood, an example (log_cosh, "
             "tanh_cross_entropy), an expression in a and y, or name=expr; end it with @OUTPUT "
             "for its output layer (default sigmoid), e.g. 'lc=log(cosh(a - y))@tanh'")


def model(text: str | None, kind: str):
    """The ``Activation``/``Cost`` that ``--activation``/``--cost`` ``text`` means (None: None)."""
    if text is None:
        return None
    from gradproof.derive.book.custom import from_text  # SymPy and the book: only for a model given

    try:
        return from_text(text, kind)
    except ValueError as exc:
        raise UsageError(f"--{kind}: {exc}") from None
