"""derive.core.indexed: the Kronecker collapse and the sum rewrites used by the index-form proofs."""
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from gradproof.derive.core.indexed import (canonical_indices, collapse_checked, collapse_kronecker, index,
                            kronecker_lemma, pull_constants, pull_in)
from gradproof.derive.core.outcome import PROVED

j, k, m, n, p = (index(s) for s in "j k m n p".split())
f = sp.IndexedBase("f")
g = sp.IndexedBase("g")
KD = sp.KroneckerDelta


def test_lemma_is_proved():
    assert kronecker_lemma().status == PROVED


def test_collapse_single_and_nested():
    out, conds = collapse_kronecker(sp.Sum(f[k] * KD(j, k), (k, 1, n)))
    assert out == f[j] and conds
    # BP4's shape: two deltas, the inner sum over m, the outer over k
    e = sp.Sum(g[k] * sp.Sum(KD(k, j) * KD(p, m) * f[m], (m, 1, n)), (k, 1, n))
    out, conds = collapse_kronecker(e)
    assert out == g[j] * f[p] and len(conds) == 2


def test_collapse_keeps_terms_without_a_delta():
    e = sp.Sum(f[k] * KD(j, k) + g[k], (k, 1, n))
    out, _ = collapse_kronecker(e)
    assert out == f[j] + sp.Sum(g[k], (k, 1, n))


def test_collapse_refuses_an_index_clash():
    e = sp.Sum(KD(j, k) * sp.Sum(f[k, j], (j, 1, n)), (k, 1, n))
    with pytest.raises(ValueError, match="index clash"):
        collapse_kronecker(e)


@settings(max_examples=10, deadline=None)
@given(width=st.integers(1, 4), shift=st.integers(0, 2))
def test_collapse_agrees_with_doit_at_concrete_widths(width, shift):
    """The rewrite equals SymPy's own evaluation of the written-out sum, for every j in range."""
    e = sp.Sum(f[k + shift] * KD(k, j) * g[k], (k, 1, n))
    out, ok = collapse_checked(e, {n: width}, {j: n})
    assert ok.status == PROVED and out == f[j + shift] * g[j]
    for jj in range(1, width + 1):
        assert e.xreplace({n: width, j: jj}).doit() == out.xreplace({j: jj})


def test_pull_constants_and_pull_in_are_inverse():
    c = sp.Symbol("c")
    e = sp.Sum(c * f[k] * g[j], (k, 1, n))
    pulled = pull_constants(e)
    assert pulled == c * g[j] * sp.Sum(f[k], (k, 1, n))
    assert canonical_indices(pull_in(pulled)) == canonical_indices(e)
    with pytest.raises(ValueError, match="summation index"):
        pull_in(f[k] * sp.Sum(g[k], (k, 1, n)))


def test_canonical_indices_identifies_renamed_sums_only():
    a = sp.Sum(sp.Sum(f[j] * g[k], (k, 1, n)), (j, 1, n))
    b = sp.Sum(sp.Sum(f[m] * g[p], (p, 1, n)), (m, 1, n))
    c = sp.Sum(sp.Sum(f[p] * g[m], (p, 1, n)), (m, 1, n))  # f and g swap their roles
    assert canonical_indices(a) == canonical_indices(b)
    assert canonical_indices(a) != canonical_indices(c)
