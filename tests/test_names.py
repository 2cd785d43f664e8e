"""_names: SageMaker's name rule and ARN forms (this module's own unit test, hence the private import)."""

from __future__ import annotations

import re

import pytest
from cdk_sagemaker_inference._names import NAME_PATTERN, arn_name_forms, sagemaker_arn


@pytest.mark.parametrize(("name", "forms"), [
    ("churn", ["churn"]),
    ("Churn-Model", ["Churn-Model", "churn-model"]),
    ("${Token[TOKEN.12]}", ["${Token[TOKEN.12]}"]),
])
def test_arn_name_forms_are_the_name_as_given_and_lowercased(name: str, forms: list[str]) -> None:
    assert arn_name_forms(name) == forms


@pytest.mark.parametrize(("name", "valid"), [
    ("a", True), ("churn-model-2", True), ("a--b", True), ("a" * 63, True),
    ("a-" * 31 + "b", True), ("a" + "-" * 61 + "b", True),
    ("-a", False), ("a-", False), ("a_b", False), ("a" * 64, False), ("", False),
    # hyphens count towards the 63 characters too
    ("a" + "-b" * 31 + "c", False), ("a" + "-" * 62 + "b", False),
])
def test_the_name_rule(name: str, valid: bool) -> None:
    assert bool(re.fullmatch(NAME_PATTERN, name)) is valid


class _Env:
    partition, region, account = "aws", "eu-west-1", "123456789012"


def test_the_arn_form() -> None:
    assert sagemaker_arn(_Env(), "endpoint", "churn") == "arn:aws:sagemaker:eu-west-1:123456789012:endpoint/churn"
