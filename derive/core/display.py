r"""Display forms: each statement as the book writes it, proved equal to the statement before it is
shown.

SymPy's normal form is for proving: it writes the quadratic cost as
:math:`\sum(-a_i + y_i)^2/2` and an update as :math:`-\eta(\ldots) + w_2`.  A *display form* is
the same mathematics built unevaluated in the book's order and notation --
:math:`\tfrac12\|y - a\|^2`, :math:`w \to w' = w - \eta\,\partial C/\partial w` -- from the
statement's own symbols.  It cannot lie: :func:`shown` proves every display form equal to the
statement relation it stands for (both evaluated, side by side, by the exact prover) and shows the
statement itself whenever that proof does not close.

A display form may *name* a concrete case generally -- the weight :math:`w_2` of the proof's
:math:`C_0(w_1, w_2, w_3, b_1, b_2)` shown as "any weight" :math:`w` -- only through an explicit
renaming that the check undoes first, and that the reader sees as the "checked at" line.

Display-only notation classes (:class:`Update`, :class:`SquaredNorm`) stand for ordinary
expressions (:func:`meaning`); the printers in :mod:`derive.core.notation` show them as the book does.

This module is the machinery only.  Each book module writes the display forms of its theorems
beside them, registered with :func:`display` (``@display("sigmoid_prime")``); importing this
module registers :func:`identity_latex` as the Jupyter view of every identity
(:func:`derive.core.theorem.register_view`).
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Callable, Sequence

import sympy as sp
from sympy.core.function import AppliedUndef

from .methods import method_words
from .notation import latex, math_char, plain_math, plain_text, pretty, segments
from .outcome import PROVED, UNDECIDED, Outcome
from .prover import prove_equal
from .theorem import register_view

__all__ = ["Display", "Shown", "Update", "SquaredNorm", "At", "DISPLAYS", "display", "meaning", "same",
           "shown", "display_latex", "ordered", "book_form", "half", "norm_sq", "symbol_named",
           "identity_latex", "identity_text", "identity_json"]


# --- display-only notation ----------------------------------------------------------------------

class _Joined(sp.Basic):
    r"""Three parts printed as ``first SEP second = third``: the one printing rule of :class:`Update`
    and :class:`At`, each giving its separator for LaTeX, plain text and the pretty printer."""

    _SEPARATOR: tuple[str, str, str]  #: (LaTeX, str, pretty)

    def _latex(self, printer):
        first, second, third = (printer._print(a) for a in self.args)
        return "%s %s %s = %s" % (first, self._SEPARATOR[0], second, third)

    def _sympystr(self, printer):
        first, second, third = (printer._print(a) for a in self.args)
        return f"{first} {self._SEPARATOR[1]} {second} = {third}"

    def _pretty(self, printer):
        from sympy.printing.pretty.stringpict import prettyForm
        first, second, third = (printer._print(a) for a in self.args)
        out = prettyForm(*first.right(self._SEPARATOR[2]))
        out = prettyForm(*out.right(second))
        out = prettyForm(*out.right(" = "))
        return prettyForm(*out.right(third))


class Update(_Joined):
    r"""``Update(w, w', rhs)`` prints :math:`w \to w' = \text{rhs}` (the book's eqs. 10, 20, 93);
    it means ``Eq(w', rhs)``."""

    _SEPARATOR = (r"\to", "->", " → ")

    @property
    def meaning(self) -> sp.Basic:
        old, new, rhs = self.args
        return sp.Eq(new, rhs, evaluate=False)


class At(_Joined):
    r"""``At(relation, x, value)`` prints :math:`\text{relation} \quad\text{at}\quad x = \text{value}`
    (the Newton step's :math:`\nabla C + H\Delta w = 0` at :math:`\Delta w = -H^{-1}\nabla C`, eq. 106);
    it means the relation with ``value`` put for ``x``, unevaluated."""

    _SEPARATOR = (r"\quad \text{at} \quad", "at", "  at  ")

    @property
    def meaning(self) -> sp.Basic:
        rel, x, value = self.args
        return type(rel)(*(side.xreplace({x: value}) for side in rel.args), evaluate=False)


def _vector_of(summand: sp.Expr, index: sp.Symbol) -> sp.Expr:
    """``y_i − a_i`` -> ``y − a``: every ``x[index]`` replaced by the vector ``x``."""
    bad = [e for e in summand.atoms(sp.Indexed) if e.indices != (index,)]
    if bad or index in summand.xreplace({e: sp.Dummy() for e in summand.atoms(sp.Indexed)}).free_symbols:
        raise ValueError(f"SquaredNorm: {summand} is not a combination of vectors indexed by {index}")
    return summand.xreplace({e: sp.Symbol(str(e.base.label)) for e in summand.atoms(sp.Indexed)})


class SquaredNorm(sp.Expr):
    r"""``SquaredNorm(Sum(v_i**2, (i, 1, n)))`` prints :math:`\|v\|^2`; it means the sum.

    Only a sum of squares of a combination of vectors indexed by the summation index can be
    written so (checked when printing)."""

    @property
    def meaning(self) -> sp.Expr:
        return self.args[0]

    def _vector(self) -> sp.Expr:
        s = self.args[0]
        if not (isinstance(s, sp.Sum) and len(s.limits) == 1 and s.function.is_Pow
                and s.function.exp == 2):
            raise ValueError(f"SquaredNorm: {s} is not a sum of squares")
        return _vector_of(s.function.base, s.limits[0][0])

    def _latex(self, printer, exp=None):
        tex = r"\left\|%s\right\|^{2}" % printer._print(self._vector())
        return tex if exp is None else r"\left(%s\right)^{%s}" % (tex, exp)

    def _sympystr(self, printer):
        return f"||{printer._print(self._vector())}||**2"

    def _pretty(self, printer):
        from sympy.printing.pretty.stringpict import prettyForm
        v = printer._print(self._vector())
        out = prettyForm(*v.left("‖"))
        out = prettyForm(*out.right("‖"))
        return out ** prettyForm("2")


def meaning(expr: sp.Basic) -> sp.Basic:
    """``expr`` with every display-only node replaced by what it stands for (relations are
    rebuilt unevaluated, so that ``C >= 0`` stays a relation and does not become ``True``)."""
    if isinstance(expr, (Update, SquaredNorm, At)):
        return meaning(expr.meaning)
    if not expr.args or isinstance(expr, (sp.Symbol, sp.Indexed)):
        return expr
    args = tuple(meaning(a) for a in expr.args)
    if args == expr.args:
        return expr
    if isinstance(expr, sp.core.relational.Relational):
        return type(expr)(*args, evaluate=False)
    return expr.func(*args)


# --- the book's order of terms -----------------------------------------------------------------

def _negative(t: sp.Expr) -> bool:
    return t.could_extract_minus_sign()


def ordered(expr: sp.Expr, first: Sequence[sp.Basic] = ()) -> sp.Expr:
    """``expr`` rebuilt unevaluated in the book's order: in a sum, a term containing one of
    ``first`` (the quantity being updated, say) comes first, then positive terms, then negative
    ones; in a product, numbers, then plain factors, then bracketed sums, then ``first`` (so
    ``(1 − ηλ/n) w``).  The value is unchanged (same arguments, another order)."""
    first = tuple(first)

    def has_first(t):
        return any(t == f or (isinstance(t, sp.Mul) and f in t.args) for f in first)

    def go(e):
        if isinstance(e, sp.core.relational.Relational):
            return type(e)(go(e.lhs), go(e.rhs), evaluate=False)
        if isinstance(e, (sp.Equivalent, sp.And, sp.Or)):
            return type(e)(*[go(a) for a in e.args], evaluate=False)
        if isinstance(e, (Update, SquaredNorm, At, sp.MatrixExpr)):
            return e  # a product of matrices is never reordered, nor a sum of them evaluated
        if not isinstance(e, sp.Expr) or e.is_Atom or isinstance(e, (sp.Indexed, AppliedUndef)):
            return e
        if isinstance(e, sp.Add):
            terms = [go(t) for t in e.as_ordered_terms()]
            terms.sort(key=lambda t: (not has_first(t), _negative(t)))
            return sp.Add(*terms, evaluate=False)
        if isinstance(e, sp.Mul):
            commutative = all(f.is_commutative for f in e.args)
            fs = [go(f) for f in (e.as_ordered_factors() if commutative else e.args)]
            if commutative:  # never reorder a product of matrices
                fs.sort(key=lambda f: _rank(f, first))
            return sp.Mul(*fs, evaluate=False)
        if isinstance(e, sp.Pow):
            return sp.Pow(go(e.base), e.exp, evaluate=False)
        if isinstance(e, sp.Sum):
            return sp.Sum(go(e.function), *e.limits)
        if isinstance(e, sp.Subs):
            return sp.Subs(go(e.expr), e.variables, e.point)
        if isinstance(e, sp.Limit):
            return sp.Limit(go(e.args[0]), *e.args[1:3], str(e.args[3]))
        if isinstance(e, sp.Function) and not isinstance(e, AppliedUndef) and e.args:
            try:
                return e.func(*[go(a) for a in e.args], evaluate=False)
            except TypeError:
                return e
        return e  # derivatives, limits, matrices: as they are

    return go(expr)


def book_form(expr: sp.Basic) -> sp.Basic:
    """:func:`ordered` for a whole relation or expression, with no particular quantity first:
    positive terms before negative ones (``y_i − a_i``, ``w_2 − η ∂C/∂w_2``), numbers and plain
    factors before brackets and functions.  Only the order of commutative arguments changes."""
    try:
        return ordered(expr)
    except Exception:  # noqa: BLE001 - an expression that cannot be rebuilt is shown as it is
        return expr


def _rank(f: sp.Basic, first: Sequence[sp.Basic]) -> int:
    """Where a factor goes in a product as the book writes it: numbers, plain symbols, bracketed
    sums, functions and derivatives, then the updated quantity (``η (1 − y) ln(1 − a)``,
    ``(1 − ηλ/n) w``)."""
    if f.is_Number:
        return 0
    if f in first:
        return 4
    if isinstance(f, sp.Symbol) and "/" not in f.name or isinstance(f, sp.Indexed):
        return 1
    if isinstance(f, sp.Pow) and isinstance(f.base, (sp.Symbol, sp.Indexed)):
        return 1
    if isinstance(f, sp.Add):
        return 2
    return 3


def symbol_named(rel: sp.Basic, name: str) -> sp.Symbol:
    """The one free symbol of ``rel`` called ``name`` (``"lambda"`` also finds the code's
    ``lmbda``), so that a display form is built from its statement's own symbols.

    Raises ``ValueError`` when there is none or more than one (the statement changed shape)."""
    names = {name, "lmbda"} if name == "lambda" else {name}
    found = [s for s in rel.free_symbols if getattr(s, "name", None) in names]
    if len(found) != 1:
        raise ValueError(f"no unique symbol {name!r} in {rel}")
    return found[0]


def half(e: sp.Expr) -> sp.Expr:
    r""":math:`\tfrac12 e`, unevaluated (``\frac{1}{2}`` in front, as the book writes it)."""
    return sp.Mul(sp.UnevaluatedExpr(sp.S.Half), e, evaluate=False)


def norm_sq(s: sp.Sum) -> SquaredNorm:
    r"""A statement's :math:`\sum_i (\ldots)_i^2` as :math:`\|\ldots\|^2`, the positive vector first."""
    (i, lo, hi), = s.limits
    base = s.function.base
    return SquaredNorm(sp.Sum(sp.Pow(ordered(base), 2, evaluate=False), (i, lo, hi)))


# --- registry ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Display:
    """How one identity's statement is shown.

    ``statement``: one entry per statement relation: its display form, or None to show the
    relation as it is.  ``rename``: display symbol -> the statement's expression it names (the
    check substitutes these first).  ``checked_at``: what the renamed symbols stand for, in words
    with inline ``$...$`` mathematics.
    """

    statement: tuple
    rename: dict = field(default_factory=dict)
    checked_at: str = ""


#: identity id -> builder: the statement relations -> :class:`Display`.
DISPLAYS: dict[str, Callable[[Sequence[sp.Basic]], Display]] = {}


def display(id: str) -> Callable:
    """Register the decorated builder as the display of identity ``id``, beside the theorem in the
    book module that defines it.

    A builder takes the statement relations and rebuilds them from their own parts
    (:func:`symbol_named`), so a display form follows its statement; when a statement changes
    shape, the builder fails or the check (:func:`same`) does not close, and the statement is
    shown as it is.  The proof cache leaves builders out of a theorem's key
    (:mod:`derive.core.sources`): rewording a display form proves nothing again."""
    def register(build):
        if id in DISPLAYS:
            raise ValueError(f"display for {id!r} is registered twice")
        DISPLAYS[id] = build
        return build
    return register


# --- the check ------------------------------------------------------------------------------------

_MIRROR = {sp.GreaterThan: sp.LessThan, sp.StrictGreaterThan: sp.StrictLessThan}
_METHODS = ("structural", "doit", "expand", "cancel")


def _parts(r: sp.Basic):
    if isinstance(r, tuple(_MIRROR)):
        return _MIRROR[type(r)], (r.rhs, r.lhs)
    if isinstance(r, sp.core.relational.Relational):
        return type(r), (r.lhs, r.rhs)
    if isinstance(r, sp.logic.boolalg.BooleanFunction):
        return type(r), tuple(r.args)
    return None, (r,)


def _expr_equal(a: sp.Basic, b: sp.Basic) -> Outcome:
    try:
        a, b = a.doit(), b.doit()
    except Exception as exc:  # noqa: BLE001 - a display that cannot be evaluated is not shown
        return Outcome(UNDECIDED, "doit", detail=f"{type(exc).__name__}: {exc}")
    if isinstance(a, sp.MatrixExpr) or isinstance(b, sp.MatrixExpr):
        return Outcome(PROVED, "structural") if a == b or sp.simplify(a - b) == sp.ZeroMatrix(*a.shape) \
            else Outcome(UNDECIDED, "matrix", detail="matrix sides differ")
    return prove_equal(a, b, _METHODS)


def same(shown_: sp.Basic, statement: sp.Basic) -> Outcome:
    """Prove that the display form ``shown_`` states exactly ``statement``: the same relation,
    each side equal (after :func:`meaning` and ``doit``) by the exact prover."""
    d = meaning(shown_)
    td, ad = _parts(d)
    ts, as_ = _parts(statement)
    if td is not ts or len(ad) != len(as_):
        return Outcome(UNDECIDED, "relation", detail=f"a {getattr(td, '__name__', td)} shown for a "
                                                      f"{getattr(ts, '__name__', ts)}")
    if td is not None and issubclass(td, sp.logic.boolalg.BooleanFunction):
        for perm in itertools.permutations(ad):
            outs = [same(x, y) for x, y in zip(perm, as_)]
            if all(o.proved for o in outs):
                return Outcome(PROVED, " + ".join(dict.fromkeys(o.method for o in outs)))
        return Outcome(UNDECIDED, "relation", detail="the parts of the statement differ")
    outs = [_expr_equal(x, y) for x, y in zip(ad, as_)]
    for o in outs:
        if not o.proved:
            return o
    return Outcome(PROVED, " + ".join(dict.fromkeys(o.method for o in outs)))


# --- what the outputs show ------------------------------------------------------------------------

@dataclass(frozen=True)
class Shown:
    """An identity as every output shows it.

    ``statement``: per statement relation, the expression to print; ``is_display``: whether
    that is a display form (proved equal to the relation: ``checks``) or the relation as it is.
    ``checked_at``: the display's renaming in words (else "").  ``problems``: display forms
    that were *not* shown because their check did not close (the statement is shown instead).
    """

    statement: tuple
    is_display: tuple
    checks: tuple
    checked_at: str
    problems: tuple
    general: dict = field(default_factory=dict)  # the statement's concrete symbol -> the display's


def _build(identity) -> Shown:
    stmt = list(identity.statement)
    build = DISPLAYS.get(identity.id)
    if build is None:
        return Shown(tuple(stmt), (False,) * len(stmt), (None,) * len(stmt), "", ())
    try:
        disp = build(stmt)
    except Exception as exc:  # noqa: BLE001 - a statement changed under its display form
        return Shown(tuple(stmt), (False,) * len(stmt), (None,) * len(stmt), "",
                     (f"display form of {identity.id} could not be built: {type(exc).__name__}: {exc}",))
    forms = list(disp.statement) + [None] * (len(stmt) - len(disp.statement))
    out, flags, checks, problems = [], [], [], []
    for k, (s, d) in enumerate(zip(stmt, forms[:len(stmt)])):
        if d is None:
            out.append(s), flags.append(False), checks.append(None)
            continue
        o = same(d.xreplace(disp.rename) if disp.rename else d, s)
        if o.proved:
            out.append(d), flags.append(True), checks.append(o)
        else:
            out.append(s), flags.append(False), checks.append(o)
            problems.append(f"the book's form of part {k + 1} is not shown: the statement as stored "
                            f"is not proved equal to it ({o.status}: {o.detail or o.method})")
    used = any(flags) and disp.rename
    general = {v: k for k, v in disp.rename.items() if isinstance(v, sp.Symbol)} if used else {}
    return Shown(tuple(out), tuple(flags), tuple(checks), disp.checked_at if used else "",
                 tuple(problems), general)


_CACHE: dict[tuple[str, int], Shown] = {}


def shown(identity) -> Shown:
    """The statement of ``identity`` as the outputs show it (display forms checked; cached)."""
    key = (identity.id, id(identity.derivation))
    if key not in _CACHE:
        _CACHE[key] = _build(identity)
    return _CACHE[key]


def display_latex(expr: sp.Basic, is_display: bool = True) -> str:
    """LaTeX of a display form (in the order it was built) or of a statement (in the book's
    order of terms, :func:`book_form`)."""
    return latex(expr if is_display else book_form(expr), order="none")


def unevaluated(expr: sp.Basic) -> bool:
    """True when ``expr`` was built unevaluated somewhere (a sum, product or power that SymPy
    would write otherwise): such a step is printed in the order it was written."""
    for node in sp.preorder_traversal(expr):
        if isinstance(node, (sp.Add, sp.Mul, sp.Pow)) and not isinstance(node, SquaredNorm):
            try:
                if node.func(*node.args) != node:
                    return True
            except Exception:  # noqa: BLE001 - cannot rebuild: treat as written by hand
                return True
        if isinstance(node, (Update, SquaredNorm, At, sp.UnevaluatedExpr)):
            return True
    return False


def step_latex(expr: sp.Basic, identity=None) -> str:
    """LaTeX of a derivation step: in its written order when it was built unevaluated, else in
    the book's order of terms.  With ``identity``, in the names its statement is shown in: a step
    about the proof's w₂ is shown about w when the statement is ("checked for w = w₂"), so that a
    derivation never mixes w′ and w₂."""
    if identity is not None:
        general = shown(identity).general
        if general:
            expr = expr.xreplace(general)
    return display_latex(expr, unevaluated(expr))


def statement_latex(identity) -> list[str]:
    """LaTeX of each statement relation of ``identity`` as shown (display forms checked)."""
    sh = shown(identity)
    return [display_latex(e, d) for e, d in zip(sh.statement, sh.is_display)]


def checked_at(identity) -> list[str]:
    """The "checked at" lines of ``identity``: its display's renaming, and the concrete sizes of
    each part of the statement that is not proved for symbolic sizes (``Derivation.parts``)."""
    lines = []
    sh = shown(identity)
    if sh.checked_at:
        lines.append(sh.checked_at)
    for part in getattr(identity.derivation, "parts", ()) or ():
        where = getattr(part, "checked_at", "")
        if where and not getattr(part, "general", True):
            text = plain_math(getattr(part, "text", ""))  # read as prose, in the book's letters
            where = plain_math(where)
            lines.append(f"{text}: checked at {where}" if text else f"checked at {where}")
    return lines


def _mathjax_text(text: str) -> str:
    """Prose for ``\\text{...}`` in MathJax/amsmath (its specials escaped)."""
    out = []
    for ch in text:
        if ch in "{}$&%#_":
            out.append("\\" + ch)
        elif ch == "\\":
            out.append(r"\backslash ")
        elif ch in "^~":
            out.append({"^": r"\^{}", "~": r"\~{}"}[ch])
        else:
            out.append(ch)
    return "".join(out)


def prose_latex(text: str) -> str:
    """A reason as math-mode LaTeX: ``\\text{prose}`` pieces and the inline mathematics; a
    mathematical character typed in the prose (σ, ≤, ∂) is set as mathematics, so the result is
    ASCII apart from punctuation."""
    out = []
    for kind, piece in segments(text):
        if kind == "math":
            out.append(piece)
            continue
        if kind == "code":
            out.append(r"\texttt{%s}" % _mathjax_text(piece))
            continue
        run = []
        for ch in piece:
            cmd = None if ch.isascii() else math_char(ch)
            if cmd is None:
                run.append(ch)
                continue
            if run:
                out.append(r"\text{%s}" % _mathjax_text("".join(run)))
                run = []
            out.append("{%s}" % cmd)
        if run:
            out.append(r"\text{%s}" % _mathjax_text("".join(run)))
    return "".join(out)


def identity_latex(identity, proof=None) -> str:
    r"""One identity as LaTeX for Jupyter (MathJax): the title, status and method, then
    ``\begin{aligned}`` with the statement and each step beside its reason."""
    head = r"\textbf{%s}" % _mathjax_text(identity.title)
    if identity.equation and not any(c in identity.equation for c in "\\^_"):
        head += r"\text{ — eq. %s}" % _mathjax_text(identity.equation)
    if proof is not None:
        head += r"\quad\text{[%s }%s\text{]}" % (_mathjax_text(proof.status.upper()),
                                                  prose_latex(method_words(proof.method)))
    rows = [f"&{t}" for t in statement_latex(identity)]
    for c in checked_at(identity):
        rows.append(r"&\quad %s" % prose_latex(c))
    rows += [f"&{step_latex(st.expr, identity)} &&{prose_latex(st.reason)}" for st in identity.steps]
    return "$$" + head + r"\\ \begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}$$"


# --- the terminal ----------------------------------------------------------------------------------

def pretty_form(expr: sp.Basic, is_display: bool = True) -> str:
    """Unicode text of a statement relation or step (:func:`derive.core.notation.pretty`)."""
    return pretty(expr if is_display else book_form(expr), order="none")


def identity_text(identity, proof=None) -> str:
    """One identity for the terminal: title, status and method, the statement in Unicode (display
    forms checked), the "checked at" lines, then each step with its reason."""
    head = identity.title + (f" (eq. {identity.equation})" if identity.equation and
                             not any(c in identity.equation for c in "\\^_") else "")
    lines = [f"{identity.id}: {head}"]
    if proof is not None:
        lines.append(f"  {proof.status.upper()} {method_words(proof.method)}" +
                     ("" if proof.ok else f"  (expected {proof.expected})"))
    sh = shown(identity)

    def block(text: str, indent: str) -> list[str]:
        return [indent + row.rstrip() for row in text.splitlines()]

    for e, d in zip(sh.statement, sh.is_display):
        lines += block(pretty_form(e, d), "    ")
        lines.append("")
    for c in checked_at(identity):
        lines.append("  " + ("checked " if c.startswith("for ") else "") + plain_text(c))
    if identity.derivation.assumptions:
        lines.append("  assumptions: " + plain_text(identity.derivation.assumptions))
    for k, st in enumerate(identity.steps, 1):
        lines.append(f"  {k}. {plain_text(st.reason)}")
        expr = st.expr.xreplace(sh.general) if sh.general else st.expr  # w, as in the statement
        lines += block(pretty_form(expr, unevaluated(expr)), "       ")
    return "\n".join(lines)


def identity_json(identity) -> dict:
    """The statement (as shown) and the steps as LaTeX, for ``gradproof derive --json``."""
    return {"statement": statement_latex(identity),
            "steps": [{"latex": step_latex(st.expr, identity), "reason": st.reason} for st in identity.steps],
            "checked_at": checked_at(identity)}


register_view("latex", identity_latex)  # Jupyter shows every identity as this LaTeX (MathJax)
