"""_stack_env: ARNs formatted in Python are exactly the strings Stack.format_arn returns."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import ArnFormat
from cdk_sagemaker_inference._stack_env import environment_of

FORMS = [
    ({"service": "cloudformation", "resource": "stack", "resource_name": "serving/*"}, {}),
    ({"service": "sagemaker", "resource": "model-package", "resource_name": ""}, {}),
    ({"service": "logs", "resource": "log-group", "resource_name": "/aws/sagemaker/Endpoints/x:*",
      "arn_format": ArnFormat.COLON_RESOURCE_NAME}, {"sep": ":"}),
    ({"service": "s3", "region": "", "account": "", "resource": "bucket", "resource_name": "key/model.tar.gz"},
     {"region": "", "account": ""}),
    ({"service": "iam", "region": "", "resource": "role", "resource_name": "aws-service-role/x"}, {"region": ""}),
    ({"service": "ecr", "account": "683313688378", "resource": "repository", "resource_name": "sagemaker-xgboost"},
     {"account": "683313688378"}),
    ({"service": "events", "resource": "rule", "resource_name": "StepFunctionsGetEventsForSageMakerTransformJobsRule"},
     {}),
]


@pytest.mark.parametrize("stack_fixture", ["stack", "regional_stack"])
@pytest.mark.parametrize(("cdk_form", "ours"), FORMS)
def test_an_arn_is_the_string_format_arn_returns(request: pytest.FixtureRequest, stack_fixture: str,
                                                  cdk_form: dict[str, object], ours: dict[str, str]) -> None:
    stack: cdk.Stack = request.getfixturevalue(stack_fixture)
    expected = stack.format_arn(**cdk_form)  # type: ignore[arg-type]
    actual = environment_of(stack).arn(str(cdk_form["service"]), str(cdk_form["resource"]),
                                       str(cdk_form["resource_name"]), **ours)  # type: ignore[arg-type]
    assert actual == expected


def test_a_scope_and_its_stack_share_one_environment(stack: cdk.Stack) -> None:
    child = cdk.CfnResource(stack, "Thing", type="AWS::SNS::Topic")
    assert environment_of(child) is environment_of(stack)
    assert environment_of(child).stack is stack
