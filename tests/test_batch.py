"""_batch: what a construct gathers is applied once per key, in order, when its outermost batch ends."""

from __future__ import annotations

import pytest
from cdk_sagemaker_inference._batch import apply_later, batched


def test_outside_a_batch_each_value_is_applied_at_once() -> None:
    applied: list[tuple[str, list[int]]] = []
    apply_later(lambda key, values: applied.append((key, values)), "policy", 1)
    assert applied == [("policy", [1])]


def test_a_batch_applies_each_keys_values_together_in_order_when_the_outermost_ends() -> None:
    applied: list[tuple[str, list[int]]] = []

    def apply(key: str, values: list[int]) -> None:
        applied.append((key, values))

    with batched():
        apply_later(apply, "deployer", 1)
        with batched():
            apply_later(apply, "monitor", 2)
            apply_later(apply, "deployer", 3)
        assert applied == []  # the inner batch leaves it to the outer one
        apply_later(apply, "deployer", 4)
    assert applied == [("deployer", [1, 3, 4]), ("monitor", [2])]


def test_a_failed_construct_applies_nothing() -> None:
    applied: list[list[int]] = []
    with pytest.raises(ValueError, match="bad prop"), batched():
        apply_later(lambda _, values: applied.append(values), "policy", 1)
        raise ValueError("bad prop")
    assert applied == []
    apply_later(lambda _, values: applied.append(values), "policy", 2)  # no batch is left open
    assert applied == [[2]]
