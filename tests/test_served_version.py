"""ServedModelPackage: the parameter and condition, the serving grants, and the compliance gate."""

from __future__ import annotations

import re
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template
from cdk_sagemaker_inference import (
    ContainerDefinition,
    ContainerImage,
    Framework,
    Model,
    ModelData,
    ModelPackageGroup,
    ModelPackageVersion,
    ServedModelPackage,
    SharedResources,
    ValidationError,
    apply_compliance_gate,
)

from tests.conftest import new_app

DESCRIPTION = (
    "The model package version this stack serves; empty serves the bundled default model. "
    "Set by the approval handler; `cdk deploy` keeps the previous value."
)


def served(stack: cdk.Stack, name: str = "Churn", **props: Any) -> ServedModelPackage:
    """A ServedModelPackage, and a resource that uses its condition (a template with only
    parameters and an unused condition is refused by CloudFormation's validator)."""
    group = ModelPackageGroup.from_model_package_group_name(stack, "Group", name)
    package = ServedModelPackage(stack, "Served", group=group, **props)
    user = cdk.CfnWaitConditionHandle(stack, "ConditionUser")
    user.cfn_options.condition = package.condition
    return package


def test_parameter_and_condition_in_an_environment_agnostic_stack(stack: cdk.Stack) -> None:
    package = served(stack)

    template = Template.from_stack(stack).to_json()
    assert template["Parameters"]["ServedModelPackageArn"] == {
        "Type": "String",
        "Default": "",
        "AllowedPattern": r"^(arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package/(Churn|churn)"
        r"/[1-9][0-9]{0,8})?$",
        "ConstraintDescription": "empty (serve the bundled default model) or the ARN of a version of model "
        "package group Churn in this account and region",
        "Description": DESCRIPTION,
    }
    assert template["Conditions"] == {
        "ServedModelPackageArnIsSet": {"Fn::Not": [{"Fn::Equals": [{"Ref": "ServedModelPackageArn"}, ""]}]},
        "ServedModelPackageArnRedeployIsSet": {
            "Fn::Not": [{"Fn::Equals": [{"Ref": "ServedModelPackageArnRedeploy"}, ""]}]},
    }
    assert stack.resolve(package.model_package_arn) == {"Ref": "ServedModelPackageArn"}
    assert stack.resolve(package.condition.logical_id) == "ServedModelPackageArnIsSet"
    assert package.parameter_name == "ServedModelPackageArn"


def test_a_redeploy_parameter_beside_it_takes_an_endpoint_config_name(stack: cdk.Stack) -> None:
    """Issue 7 item 8: the deployer sets it to redeploy the same version after a silent rollback."""
    package = served(stack, parameter_name="ChurnVersion")

    parameters = Template.from_stack(stack).to_json()["Parameters"]
    assert parameters["ChurnVersionRedeploy"] == {
        "Type": "String",
        "Default": "",
        "AllowedPattern": r"^([a-z0-9](-*[a-z0-9]){0,62})?$",
        "ConstraintDescription": "empty, or the name of the endpoint config SageMaker rolled back",
        "Description": "Set by the approval handler to redeploy ChurnVersion after SageMaker rolled its deployment "
        "back: the name of the endpoint config it did not keep. Empty: no redeploy asked.",
    }
    assert package.redeploy_parameter_name == "ChurnVersionRedeploy"
    pattern = parameters["ChurnVersionRedeploy"]["AllowedPattern"]
    for value in ["", "endpointconfig-abcdef123456", "a" * 63]:
        assert re.fullmatch(pattern, value), value
    for value in ["EndpointConfig-Abc", "-x", "a" * 64, "config_1"]:
        assert not re.fullmatch(pattern, value), value


def test_allowed_pattern_names_the_stack_environment_and_accepts_empty(regional_stack: cdk.Stack) -> None:
    served(regional_stack, name="churn", parameter_name="ChurnVersion")

    parameter = Template.from_stack(regional_stack).to_json()["Parameters"]["ChurnVersion"]
    pattern = parameter["AllowedPattern"]
    assert pattern == r"^(arn:aws:sagemaker:us-east-1:123456789012:model-package/(churn)/[1-9][0-9]{0,8})?$"
    arn = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn"
    for value in ["", f"{arn}/1", f"{arn}/42"]:
        assert re.fullmatch(pattern, value), value
    elsewhere = arn.replace("us-east-1", "eu-west-1")
    for value in [f"{arn}/0", f"{arn}/", "churn/1", f"{arn}-other/1", f"{elsewhere}/1", f"{arn}/1234567890"]:
        assert not re.fullmatch(pattern, value), value


@pytest.mark.parametrize(("parameter_name", "message"), [
    ("Served-Arn", r"TestStack/Served: parameter_name must be a CloudFormation logical ID \(1-242 letters and "
                   r"digits\), got 'Served-Arn'"),
    ("A" * 243, r"parameter_name must be a CloudFormation logical ID"),
])
def test_parameter_name_must_be_a_logical_id(stack: cdk.Stack, parameter_name: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        served(stack, parameter_name=parameter_name)


def test_grant_serving_reads_the_prefix_decrypts_and_pulls(regional_stack: cdk.Stack) -> None:
    package = served(regional_stack)
    key = kms.Key(regional_stack, "Key")
    bucket = s3.Bucket(regional_stack, "Artifacts", encryption_key=key)
    repository = ecr.Repository.from_repository_name(regional_stack, "Repo", "churn")
    role = iam.Role(regional_stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))

    package.grant_serving(
        role,
        artifacts_bucket=bucket,
        prefix="models/churn/",
        images=[ContainerImage.from_ecr_repository(repository, tag="1")],
    )

    (policy,) = Template.from_stack(regional_stack).find_resources("AWS::IAM::ManagedPolicy").values()
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Action": "s3:GetObject",
            "Effect": "Allow",
            "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": ["Artifacts82DD59A1", "Arn"]}, "/models/churn/*"]]},
        },
        {"Action": "kms:Decrypt", "Effect": "Allow", "Resource": {"Fn::GetAtt": ["Key961B73FD", "Arn"]}},
        {
            "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            "Effect": "Allow",
            "Resource": "arn:aws:ecr:us-east-1:123456789012:repository/churn",
        },
        {"Action": "ecr:GetAuthorizationToken", "Effect": "Allow", "Resource": "*"},
    ]


def test_grant_serving_needs_a_prefix(stack: cdk.Stack) -> None:
    bucket = s3.Bucket(stack, "Artifacts")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    with pytest.raises(
        ValidationError, match=r"TestStack/Served: prefix must be between 1 and 1024 characters long, got ''"
    ):
        served(stack).grant_serving(role, artifacts_bucket=bucket, prefix="")


def test_registry_and_served_model_pass_the_compliance_gate() -> None:
    app = new_app()
    apply_compliance_gate(app)
    stack = cdk.Stack(app, "Registry", env=cdk.Environment(account="123456789012", region="us-east-1"))
    shared = SharedResources(stack, "Shared")
    group = ModelPackageGroup(
        stack, "Group", model_package_group_name="churn", cross_account_ids=["111111111111"]
    )
    package = ServedModelPackage(stack, "Served", group=group)
    model = Model(
        stack,
        "Model",
        container=ContainerDefinition(
            image=ContainerImage.sagemaker_builtin(Framework.XGBOOST, "1.7-1"),
            model_data=ModelData.from_bucket(shared.artifacts_bucket, "models/default/model.tar.gz"),
        ),
        served_package=package,
    )
    package.grant_serving(model, artifacts_bucket=shared.artifacts_bucket, prefix="models/")
    ModelPackageVersion(
        stack,
        "Version",
        group=group,
        containers=model.containers,
        supported_content_types=["text/csv"],
        supported_response_mime_types=["text/csv"],
    )

    app.synth()
