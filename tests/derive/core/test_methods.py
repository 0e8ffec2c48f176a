"""derive.core.methods: a proof's exact method line, read aloud (the issue's own examples)."""
from __future__ import annotations

import re

from gradproof.derive.core.methods import method_words

BP2 = ("Kronecker collapse, constants out of Σ, structural + explicit matrices, every entry, structural "
       "(at n_l = 3, n_{l+1} = 2) + Kronecker collapse, doit + Kronecker collapse, doit (at n_l = 3, "
       "n_{l+1} = 2) + concrete diff [2,3,2],[3,4,4,2],[2,2,2,2,2], atoms→symbols, expand")
BP1_SIGMA = "Kronecker collapse, structural + Function('sigma') on [2,3,2], expand"


def test_bp2_in_words_by_where_each_part_holds():
    words = method_words(BP2)
    assert words.startswith("for any widths, by collapsing the Kronecker delta and taking "
                            "constants out of the sum; ")
    assert "at nₗ = 3, nₗ₊₁ = 2: by the matrix form written out entry by entry" in words
    assert "on the 2-3-2, 3-4-4-2 and 2-2-2-2-2 networks: by differentiating them outright" in words
    assert not re.search(r"\\[A-Za-z]|[_^]\{|structural|atoms|doit", words), words


def test_an_undefined_sigma_and_plain_algebra():
    assert method_words(BP1_SIGMA) == ("for any widths, by collapsing the Kronecker delta; on the "
                                       "2-3-2 network: by differentiating it with σ left undefined")
    assert method_words("cancel + expand") == "by cancelling and expanding"  # no other idea: the algebra
    assert method_words("rewrite σ→exp, doit, cancel") == "by rewriting σ→exp"
    assert method_words("counterexample") == "by an exact counterexample"
    assert method_words("") == ""


def test_an_unknown_rung_is_kept_not_dropped():
    assert method_words("the triangle inequality, structural") == "by the triangle inequality"
