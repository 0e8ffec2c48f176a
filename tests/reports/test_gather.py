"""reports.gather: what it is asked to prove (the whole report is tests/cli/test_cli_report's)."""
import pytest


def test_an_unknown_id_is_refused_before_anything_is_computed():
    from gradproof.reports.gather import gather  # not when collected: it loads matplotlib

    said = []
    with pytest.raises(KeyError, match="unknown identity 'no_such_identity'"):
        gather(train=None, data="sample", ids=["perceptron_bias", "no_such_identity"],
               progress=said.append)
    assert said == []
