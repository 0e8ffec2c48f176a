"""numerics.config: what a training run may name is the book's, a name that is not shipped is asked
of derive.book.custom, and the memory a network needs is counted before anything is allocated.
(That the module loads no SymPy is tests/test_imports.py's; Config's fields: test_train.py's.)"""
from __future__ import annotations

from dataclasses import replace

import pytest

from gradproof.derive.book import custom, updates
from gradproof.derive.book.activations import ACTIVATIONS
from gradproof.derive.book.costs import COSTS
from gradproof.numerics import config
from gradproof.numerics.config import Config, ConfigError, check_memory, memory_estimate


def test_the_names_a_config_may_use_are_the_books_tables_in_their_order():
    assert config.ACTIVATION_NAMES == tuple(ACTIVATIONS)
    assert config.COST_NAMES == tuple(COSTS)
    assert config.REGS == tuple(updates.WEIGHT_UPDATES)


@pytest.mark.parametrize("field, value", [("activation", "softplus"), ("cost", "log_cosh")])
def test_an_example_that_is_not_shipped_validates_through_custom(field, value):
    assert value not in config.ACTIVATION_NAMES + config.COST_NAMES
    cfg = replace(Config(), **{field: value})
    assert cfg.validate() is cfg


@pytest.mark.parametrize("field, value, get", [("activation", "gelu_x", custom.get_activation),
                                               ("cost", "hinge_x", custom.get_cost)])
def test_an_unknown_name_is_refused_with_customs_own_message(field, value, get):
    with pytest.raises(ValueError) as expected:
        get(value)
    with pytest.raises(ConfigError) as info:
        replace(Config(), **{field: value}).validate()
    assert info.value.field == field and info.value.detail == str(expected.value)


def test_memory_estimate_counts_parameters_and_a_mini_batch():
    # 2-3-1: P = 3·(2+1) + 1·(3+1) = 13 parameters; 6 units; 8 bytes each (float64), 4 bytes (float32)
    assert memory_estimate((2, 3, 1)) == 8 * (4 * 13 + 4 * 10 * 6)
    assert memory_estimate((2, 3, 1), "float32", batch=1) == 4 * (4 * 13 + 4 * 1 * 6)


def test_check_memory_refuses_a_network_no_machine_holds_and_passes_the_books():
    check_memory((784, 30, 10))
    with pytest.raises(ValueError, match=r"784-1000000000-10 network in float64 needs about .* choose smaller layers"):
        check_memory((784, 10**9, 10))
