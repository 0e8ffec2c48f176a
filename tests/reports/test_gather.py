"""reports.gather: what it is asked to prove (the whole report is tests/cli/test_cli_report's)."""
import pytest

from gradproof.reports.gather import gather


def test_an_unknown_id_is_refused_before_anything_is_computed():
    said = []
    with pytest.raises(KeyError, match="unknown identity 'no_such_identity'"):
        gather(train=None, data="sample", ids=["perceptron_bias", "no_such_identity"],
               progress=said.append)
    assert said == []
