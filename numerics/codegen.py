r"""Generated kernels: derive's proved expressions, printed as numpy source, compiled once per key.

For each (cost, activation) pair :func:`kernel_source` prints a module; :func:`kernels` compiles it
(``compile(source, "<gradproof kernels: cost/activation>", "exec")``), registers the text with
:mod:`linecache` so tracebacks and ``inspect.getsource`` show it, and caches the module.  Every
mathematical line of the module is printed from a SymPy expression that ``derive`` owns:

=====================================  ===================================================
printed                                 from
=====================================  ===================================================
weighted input z^l (eq. 25)            ``derive.book.backprop.BATCHED["z"]``
hidden activation and σ′               the ``Activation`` (``ACTIVATIONS[name]`` or a user's, by
                                       ``derive.book.custom.get_activation``): .stable / .f, .prime
output activation: elementwise         the cost's output ``Activation`` (``ACTIVATIONS["sigmoid"]``)
output activation: softmax             ``derive.book.softmax.SOFTMAX`` (textbook), ``SOFTMAX_SHIFTED``
log-sum-exp of the stable cost         ``derive.book.softmax.LOGSUMEXP_SHIFTED``
output error δ^L (BP1)                 the ``Cost`` (``COSTS[cost]`` or a user's): ``.delta``
per-neuron cost                        ``COSTS[cost].stable`` (or ``.term`` of the textbook output)
mean cost over the mini-batch          ``BATCHED["mean"]``
BP2, BP3, BP4 over a mini-batch        ``BATCHED["bp2"]``, ``["bp3"]``, ``["bp4"]``
update rules                           ``derive.book.updates.WEIGHT_UPDATES``, ``BIAS_UPDATE``
fused SGD step ``step_<reg>``          the update rules with ∇w, ∇b replaced by ``BATCHED["bp4"]``,
                                       ``BATCHED["bp3"]`` (:mod:`numerics.fused`)
L2 / L1 penalties and their gradient   ``derive.book.regularization.l2_cost``, ``l1_cost``
=====================================  ===================================================

derive.book.softmax writes the softmax and the log-sum-exp in index form over the output row (a ``Sum``
over its neurons); :func:`numerics.printer.row_form` puts them in the row layout (the ``Sum`` as
``rowsum``), and the shift c of the stable forms is the row maximum, as ``derive.book.softmax.SHIFT``
prescribes (theorem ``logsumexp_shift``: every exponent ≤ 0).  The hand-written parts are the
template's (``numerics/templates/kernel.py.j2``, a Jinja2 file shipped as package data) and they are
layout only: the loop over layers, the lists ``zs``/``activations``/``deltas``, and the layout of a
mini-batch as rows; :func:`_context` hands it every mathematical line already printed.

Training calls ``step_<reg>(weights, biases, x, y, eta, lmbda, n)``: steps 1-4 of ``backprop``
verbatim (every δ^l before any weight changes), then the composed rule, so the gradient is never
stored and each weight matrix gets one product subtracted in place, ``w -= delta_eta.T @ a`` with
``delta_eta = (eta/m)*delta``, printed as ``subtract_product(w, delta_eta.T, a)`` (one BLAS gemm,
:func:`numerics.blas.subtract_product`).  ``backprop`` and ``update_<reg>``
stay for the gradient checks and the API.  :mod:`numerics.printer` holds the printer.

Two variants.  The *stable* kernels (training) print the forms that never overflow: σ as
(1 + tanh(z/2))/2, the softmax and the log-sum-exp with the row maximum subtracted, the cross-entropy
through softplus (``numpy.logaddexp``).  The *textbook* kernels print the book's 1/(1+e^{−z}) and
e^{z}/Σe^{z}, and accept complex input (ReLU as ``where(z.real > 0, z, 0)``, |w| as ``w·sgn(Re w)``,
the row maximum of the real parts) so that the complex-step derivative can check them.  A cost whose
proved stable form goes through softplus or the log-sum-exp prints that form there too (softplus
with :func:`numerics.complexsafe.logaddexp`), because the book's form is not accurate in complex
arithmetic at saturation: −[y ln a + (1−y) ln(1−a)] loses ε·e^z to the cancellation in 1 − σ(z)
(the complex step read 7.7e-4 too much at z = 34), and −y ln(e^{z_j}/Σ_k e^{z_k}) takes the log of
a number whose imaginary part, about 1e-20 of it, underflows when it is below 1e-288 (the complex
step read 0 where the derivative is −27).
"""
from __future__ import annotations

import functools
import linecache
import types

import jinja2
import sympy as sp
from sympy.codegen.numpy_nodes import logaddexp

from gradproof.derive.book import backprop
from gradproof.derive.book import regularization as _reg
from gradproof.derive.book import softmax as _softmax
from gradproof.derive.book import updates as _upd
from gradproof.derive.book.activations import ACTIVATIONS, Activation, a, z
from gradproof.derive.book.costs import COSTS, Cost, lse
from gradproof.derive.book.custom import get_activation, get_cost
from gradproof.derive.book.registry import REGISTRY  # complete: every chapter registered

from .config import ACTIVATION_NAMES, COST_NAMES, REGS
from .fused import step_update
from .printer import (BP_NAMES, BP_THEOREM, KernelPrinter, enclosed, indent, lines, pretty, ret,
                      row_form, rowmax)

__all__ = ["ACTIVATION_NAMES", "COST_NAMES", "REGS", "kernel_source", "kernels", "filename", "resolve"]

# The names a training configuration may use are checked without SymPy (numerics.config): they
# must be the book's tables', in their order.
assert (ACTIVATION_NAMES, COST_NAMES, REGS) == (tuple(ACTIVATIONS), tuple(COSTS), tuple(_upd.WEIGHT_UPDATES)), \
    "numerics.config's names are not derive.book's ACTIVATIONS, COSTS and WEIGHT_UPDATES"


def _row(expr: sp.Expr) -> sp.Expr:
    """A ``derive.book.softmax`` expression of the output row z^L in the row layout: Σ_k → ``rowsum``,
    z^L_j → ``z``, and the shift c (``derive.book.softmax.SHIFT``) → max_k z_k, ``rowmax(z)``."""
    return row_form(expr, _softmax.z).xreplace({_softmax.SHIFT: rowmax(z)})


def _penalty(reg: str) -> sp.Expr:
    r"""The per-weight penalty of ``derive.book.regularization``: λw²/(2n) (l2), λ|w|/n (l1), 0 (none)."""
    if reg == "none":
        return sp.S.Zero
    full = {"l2": _reg.l2_cost, "l1": _reg.l1_cost}[reg]() - _reg.C0
    w1, *others = _reg.WEIGHTS
    one = full.subs({o: 0 for o in others})  # one weight's share of the sum
    return one.xreplace({w1: _upd.w, _reg.lmbda: _upd.lmbda, _reg.n: _upd.n})


def _complex_safe_stable(cost: Cost) -> bool:
    """True when the textbook (complex-step) kernels print ``cost``'s proved stable form rather
    than its book form: when derive marks it complex-safe, or it is written through softplus
    (``logaddexp``: the book's ln(1 − σ(z)) cancels as σ saturates) or the log-sum-exp (``lse``:
    the book's ln e^{z_j}/Σ_k e^{z_k} underflows)."""
    return cost.stable_id is not None and (cost.complex_safe is not None or cost.stable.has(logaddexp)
                                           or lse in cost.stable.free_symbols)


# -- the pieces of one module ---------------------------------------------------------------------
class _Spec:
    """Everything the template needs for one (cost, activation, variant), as printed code lines."""

    def __init__(self, cost: Cost, activation: Activation, textbook: bool):
        self.cost, self.activation, self.textbook = cost.name, activation.name, textbook
        self.sigma, self.cost_eq = activation.display, cost.equation
        self.p = KernelPrinter(textbook)
        act, c = activation, cost
        form = (lambda f: f.f) if textbook else (lambda f: f.stable)
        self.act_id = act.source if textbook else (act.stable_id or act.source)
        self.hidden = form(act)(z)
        self.prime, self.prime_id = act.prime, act.prime_id
        self.needs_z = z in act.prime.free_symbols  # keep the zs only when σ′ is written through z
        self.delta, self.delta_id = c.delta, c.delta_id
        self.output = c.output
        if c.output != "softmax":  # elementwise: the cost's output activation
            sig = c.output_activation or ACTIVATIONS[c.output]
            self.output = sig.display
            self.out_act = form(sig)(z)
            self.out_id = sig.source if textbook else (sig.stable_id or sig.source)
            self.lse = None
            # The complex step inherits the cancellation of the book's ln(1 − σ(z)) as σ saturates
            # (an error of ε·e^z); the proved stable form through softplus has none, and printed
            # with complex-safe logaddexp (numerics.complexsafe) it is analytic: the textbook
            # kernels use it whenever the cost has one.
            book = c.term.xreplace({a: self.out_act})
            self.term = c.stable if not textbook or _complex_safe_stable(c) else book
        else:  # softmax
            if textbook:  # eq. (78), e^{z_j}/Σ_k e^{z_k}
                self.out_act = _row(_softmax.SOFTMAX)
                self.out_id = "eq. (78), softmax_normalised"
                # the cost: the book's −y ln(e^{z_j}/Σ_k e^{z_k}) takes the log of e^{z_j − max z},
                # whose imaginary part underflows below 1e-288 (the complex step read 0 for −27);
                # −y (z_j − lse), lse shifted by the largest real part, never forms it
                self.lse = _row(_softmax.LOGSUMEXP_SHIFTED) if _complex_safe_stable(c) else None
                self.term = c.stable if self.lse is not None else c.term.xreplace({a: self.out_act})
            else:  # e^{z_j − c}/Σ_k e^{z_k − c} and lse = c + ln Σ_k e^{z_k − c}, c = max_k z_k
                self.out_act = _row(_softmax.SOFTMAX_SHIFTED)
                self.out_id = "eq. (78), logsumexp_shift"
                self.lse = _row(_softmax.LOGSUMEXP_SHIFTED)
                self.term = c.stable
        self.term_id = (c.equation if textbook and not _complex_safe_stable(c)
                        else (c.stable_id or c.equation))
        #: the textbook kernels call numerics.complexsafe.logaddexp (imported only then)
        self.complex_logaddexp = textbook and any(
            e.has(logaddexp) for e in (self.hidden, self.out_act, self.term, self.prime, self.delta))

    def output_lines(self) -> list[str]:
        """``a = a^L`` from ``z = z^L`` (with ``lse`` first for the stable softmax)."""
        out = []
        out += lines("a", self.out_act, self.p, f"a^L = {self.output}(z^L)  [{self.out_id}]")
        return out

    def term_lines(self, target: str) -> list[str]:
        out = []
        if self.lse is not None and lse in self.term.free_symbols:
            out += lines("lse", self.lse, self.p, "lse = ln Σ_k e^(z_k), max subtracted  [logsumexp_shift]")
        return out + lines(target, self.term, self.p, f"c(z^L_j, y_j)  [{self.term_id}]")


def filename(cost, activation, textbook: bool = False) -> str:
    """The pseudo file name of a kernel module (as tracebacks show it)."""
    cost, activation = getattr(cost, "name", cost), getattr(activation, "name", activation)
    return f"<gradproof kernels: {cost}/{activation}{'/textbook' if textbook else ''}>"


def resolve(cost, activation) -> tuple[Cost, Activation]:
    """``(Cost, Activation)`` from names (shipped, ``derive.book.custom``'s examples or a user's) or the
    objects themselves; ``ValueError`` naming the choices for an unknown name."""
    return get_cost(cost), get_activation(activation)


def kernel_source(cost, activation, textbook: bool = False) -> str:
    """The Python source of the kernel module for ``(cost, activation)`` (see the module docstring);
    each a name or a ``Cost``/``Activation`` object."""
    return _kernel_source(*resolve(cost, activation), bool(textbook))


@functools.lru_cache(maxsize=None)
def _kernel_source(cost: Cost, activation: Activation, textbook: bool) -> str:
    s = _Spec(cost, activation, textbook)
    return _render(s, _bp_code(s), _updates(s.p), _penalties(s.p),
                   {reg: step_update(s.textbook, reg) for reg in REGS})


# printing afresh, past the cache (as functools' ``__wrapped__`` of a cached function)
kernel_source.__wrapped__ = lambda cost, activation, textbook=False: _kernel_source.__wrapped__(
    *resolve(cost, activation), bool(textbook))


def _update_lines(new: sp.Expr, var: sp.Symbol, grad: sp.Symbol, theorem: str,
                  printer: KernelPrinter) -> list[str]:
    """In-place statements for the rule ``var → new`` without a temporary of ``var``'s size
    where possible: ``new`` is split exactly into ``scale·var − Σ_k c_k X_k`` (a linear combination
    of the gradient and functions of ``var`` such as sgn(var)); then every X_k that depends on
    ``var`` is computed first (``t = X; t *= c``), the gradient is scaled in place (it is consumed),
    and ``var *= scale; var -= t; var -= n<var>`` follow."""
    ng = sp.Symbol("n" + var.name)  # the gradient block, as the template's loop names it
    new_ng = new.xreplace({grad: ng})
    parts = sp.collect(sp.expand(new_ng), [var, ng, sp.sign(var)], evaluate=False)
    if sp.expand(sum(k * v for k, v in parts.items()) - new_ng) != 0 or sp.S.One in parts:
        raise AssertionError(f"update rule {new} is not linear in {var}, {grad}")
    scale = parts.pop(var, sp.S.Zero)
    rest = {k: -v for k, v in parts.items()}  # new = scale·var − Σ rest[X]·X
    if any(c.free_symbols & {var, ng} for c in rest.values()):
        raise AssertionError(f"update rule {new}: a coefficient depends on {var} or {grad}")
    out, subtract = [f"# {var} → {pretty(new)}  [{theorem}]"], []
    for i, (atom, coeff) in enumerate(sorted(rest.items(), key=lambda kv: kv[0] == ng)):
        if atom == ng:
            if coeff != 1:
                out.append(f"{ng} *= {printer.scalar(coeff)}")
            subtract.append(str(ng))
        else:  # a function of var: evaluate it before var changes
            t = f"t{i}"
            out.append(f"{t} = {printer.doprint(atom)}")
            if coeff != 1:
                out.append(f"{t} *= {printer.scalar(coeff)}")
            subtract.append(t)
    if scale != 1:
        out.append(f"{var} *= {printer.scalar(scale)}")
    out += [f"{var} -= {s}" for s in subtract]
    return out


def _updates(printer: KernelPrinter) -> dict[str, tuple[list[str], list[str], str, str]]:
    """reg -> (weight statements, bias statements, weight theorem, bias theorem)."""
    bias_new, bias_id = _upd.BIAS_UPDATE
    bias = _update_lines(bias_new, _upd.b, _upd.nabla_b, bias_id, printer)
    return {reg: (_update_lines(new, _upd.w, _upd.nabla_w, tid, printer), bias, tid, bias_id)
            for reg, (new, tid) in _upd.WEIGHT_UPDATES.items()}


def _penalties(printer: KernelPrinter) -> dict[str, tuple[str, str]]:
    """reg -> (printed per-weight penalty, printed per-weight gradient of it)."""
    return {reg: (printer.doprint(_penalty(reg)), printer.doprint(sp.diff(_penalty(reg), _upd.w)))
            for reg in REGS}


def kernels(cost, activation, textbook: bool = False) -> types.ModuleType:
    """The compiled kernel module for ``(cost, activation)`` (names or objects), cached; its text
    is in linecache."""
    return _kernels(*resolve(cost, activation), bool(textbook))


@functools.lru_cache(maxsize=None)
def _kernels(cost: Cost, activation: Activation, textbook: bool) -> types.ModuleType:
    source = _kernel_source(cost, activation, textbook)
    name = filename(cost, activation, textbook)
    code = compile(source, name, "exec")
    linecache.cache[name] = (len(source), None, source.splitlines(True), name)
    cost, activation = cost.name, activation.name
    module = types.ModuleType(f"gradproof_kernels_{cost}_{activation}" + ("_textbook" if textbook else ""))
    module.__file__ = name
    exec(code, module.__dict__)
    return module


# -- eq. (25), the mean cost, BP2-BP4 -----------------------------------------------------------------
def _bp_code(s: _Spec) -> dict[str, str]:
    """The template's batched code from ``derive.book.backprop.BATCHED``.

    ``"z"``: z^l = w^l a^(l-1) + b^l as ``a @ w.T + b`` (``"z_last"``: the same for the output layer,
    w^L = ``weights[-1]``, b^L = ``biases[-1]``); ``"mean"``: the mean of the per-neuron costs ``c``
    over the m rows; ``"bp2"``: Δ^l from Δ^{l+1}, printed with σ′ the activation's ``prime``
    (through ``a``, ``z``).  BP3 and BP4 share the scalar factor 1/m; it is applied once, to Δ^l
    (``"scale"``: ``delta_m = (1/m)*delta``), and ``"bp3"``, ``"bp4"`` are the remaining products of
    ``delta_m``.
    """
    bp = backprop.BATCHED
    prime = KernelPrinter(s.textbook).doprint(s.prime)
    names = dict(BP_NAMES, SigmaPrime=prime if enclosed(prime) else f"({prime})")
    printer = KernelPrinter(s.textbook, names)
    out = {"z": printer.doprint(bp["z"]),
           "z_last": KernelPrinter(s.textbook, dict(names, W="weights[-1]", b="biases[-1]")).doprint(bp["z"]),
           "mean": printer.doprint(bp["mean"]),
           "bp2": printer.doprint(bp["bp2"])}
    (c3, f3), (c4, f4) = bp["bp3"].as_coeff_matrices(), bp["bp4"].as_coeff_matrices()
    if c3 == c4 and c3 != 1:  # common factor: Δ^l/m once
        scaled = KernelPrinter(s.textbook, dict(names, Delta="delta_m"))
        out["scale"] = f"delta_m = {scaled.scalar(c3)}*delta"
        out["bp3"], out["bp4"] = scaled.doprint(sp.MatMul(*f3)), scaled.doprint(sp.MatMul(*f4))
    else:
        out["scale"] = "delta_m = delta"
        out["bp3"], out["bp4"] = (KernelPrinter(s.textbook, dict(names, Delta="delta_m")).doprint(bp[k])
                                  for k in ("bp3", "bp4"))
    return out


# -- the module template ---------------------------------------------------------------------------
_PENALTY_ID = {"none": "", "l2": "l2_gradient", "l1": "l1_gradient"}
_PENALTY_TEXT = {"none": "0", "l2": "λ/(2n) Σ_w w²  (eq. 87)", "l1": "λ/n Σ_w |w|  (eq. 95)"}

#: The template of a kernel module (``templates/kernel.py.j2``, package data): the layout only.
#: Undefined names are errors; a block tag leaves no line behind.
_TEMPLATES = jinja2.Environment(loader=jinja2.PackageLoader("gradproof.numerics", "templates"),
                                undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                                trim_blocks=True, lstrip_blocks=True, autoescape=False)
_TEMPLATES.filters["indented"] = indent  # a list of code lines, each indented by n spaces


def _render(s: _Spec, bp: dict, updates: dict, penalties: dict, steps: dict) -> str:
    """The module's source: ``templates/kernel.py.j2`` filled with the printed code of ``s``."""
    return _TEMPLATES.get_template("kernel.py.j2").render(_context(s, bp, updates, penalties, steps))


def _context(s: _Spec, bp: dict, updates: dict, penalties: dict, steps: dict) -> dict:
    """What the template shows, every mathematical line already printed: strings, and lists of
    lines for a statement printed with its common subexpressions."""
    regs = []
    for reg in REGS:
        w_lines, b_lines, w_id, b_id = updates[reg]
        (body, rule), (term, grad) = steps[reg], penalties[reg]
        regs.append({"name": reg, "w_lines": w_lines, "b_lines": b_lines, "w_id": w_id, "b_id": b_id,
                     "step": body, "rule": rule, "equation": REGISTRY[w_id].equation,
                     "penalty": term, "penalty_gradient": grad, "penalty_id": _PENALTY_ID[reg],
                     "penalty_text": _PENALTY_TEXT[reg]})
    return {"cost": s.cost, "activation": s.activation, "textbook": s.textbook, "sigma": s.sigma,
            "act_id": s.act_id, "prime_id": s.prime_id, "out_id": s.out_id, "delta_id": s.delta_id,
            "term_id": s.term_id, "cost_eq": s.cost_eq, "bp_theorem": BP_THEOREM, "bp": bp,
            "hidden": lines("a", s.hidden, s.p, f"a^l = {s.sigma}(z^l)  [{s.act_id}]"),
            "hidden_return": ret(s.hidden, s.p), "prime": s.p.doprint(s.prime),
            "output": s.output_lines(), "terms": s.term_lines("c"),
            "delta": s.p.doprint(s.delta), "delta_shown": pretty(s.delta, {"a": "a^L", "z": "z^L"}),
            "needs_z": s.needs_z, "complex_logaddexp": s.complex_logaddexp, "regs": regs}
