"""derive.core.notation: the Unicode text of an expression, whatever the process's SymPy state."""
import sympy as sp
from sympy.printing.pretty.pretty_symbology import pretty_use_unicode

from gradproof.derive.core.notation import pretty


def test_pretty_is_unicode_when_sympys_flag_is_off_and_leaves_the_flag_as_it_was():
    """SymPy sets a process-wide flag from the encoding of standard output when it is first
    imported; with it off, the book's pretty printer raised KeyError('only unicode') inside
    SymPy's symbol tables (`gradproof derive` exited 4 under PYTHONIOENCODING=ascii)."""
    j, n = sp.symbols("j n", integer=True)
    w = sp.IndexedBase("w")
    before = pretty_use_unicode(False)
    try:
        text = pretty(sp.Sum(w[j], (j, 1, n)) + sp.pi)
        assert "π" in text and "╲" in text  # SymPy's Unicode sum sign and the symbol tables'
        assert pretty_use_unicode(False) is False  # the flag is back as it was
    finally:
        pretty_use_unicode(before)
