"""``is_token`` answers ``Token.is_unresolved`` without a round trip to Node: the same answers."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import jsii
import pytest
from cdk_sagemaker_inference._validation import is_token


@jsii.implements(cdk.IResolvable)
class _PythonResolvable:
    """A token implemented in Python (is_token asks aws-cdk-lib about objects)."""

    @property
    def creation_stack(self) -> list[str]:
        return []

    def resolve(self, context: cdk.IResolveContext) -> Any:
        return "resolved"

    def to_string(self) -> str:
        return "resolvable"


def _values() -> list[tuple[str, Any]]:
    stack = cdk.Stack(cdk.App(), "Tokens")
    parameter = cdk.CfnParameter(stack, "Count", type="Number")
    number = parameter.value_as_number
    return [
        ("plain string", "ml.m5.large"),
        ("empty string", ""),
        ("marker text, not a token", "Token[TOKEN.1]"),
        ("brackets without a key", "${Token[]}"),
        ("string token", cdk.Aws.REGION),
        ("token inside a string", f"arn:{cdk.Aws.PARTITION}:s3:::bucket"),
        ("joined token", cdk.Fn.join("-", ["a", cdk.Aws.ACCOUNT_ID])),
        ("parameter string", parameter.value_as_string),
        ("number token", number),
        ("number token as a string", cdk.Token.as_string(number)),
        ("number token in a string", f"count {cdk.Token.as_string(number)}"),
        ("number-like text without a marker", "-1.8881545897087626e+289"),
        ("list token", cdk.Fn.split(",", cdk.Aws.REGION)),
        ("string as a list token", cdk.Token.as_list(cdk.Aws.REGION)),
        ("list token element", cdk.Fn.split(",", cdk.Aws.REGION)[0]),
        ("one plain string in a list", ["a"]),
        ("two elements", ["a", cdk.Aws.REGION]),
        ("empty list", []),
        ("zero", 0),
        ("int", 42),
        ("negative float", -1.5),
        ("huge float", 1e300),
        ("most negative double", -1.7976931348623157e308),
        ("bool", True),
        ("none", None),
        ("dict", {"a": cdk.Aws.REGION}),
        ("duration", cdk.Duration.minutes(1)),
        ("lazy", cdk.Lazy.any(producer=_Producer())),
        ("python resolvable", _PythonResolvable()),
    ]


@jsii.implements(cdk.IAnyProducer)
class _Producer:
    def produce(self, context: cdk.IResolveContext) -> Any:
        return 1


VALUES = _values()


@pytest.mark.parametrize(("label", "value"), VALUES, ids=[label for label, _ in VALUES])
def test_is_token_answers_as_aws_cdk_lib(label: str, value: Any) -> None:
    assert is_token(value) is cdk.Token.is_unresolved(value), label
