"""ModelPackageGroup: template, retention, cross-account policy, grants, importer, validation."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template
from cdk_sagemaker_inference import (
    ModelPackageGroup,
    ValidationError,
)

ARN = "arn:aws:sagemaker:us-east-1:123456789012"
VERSIONS = f"{ARN}:model-package/churn/*"


def lambda_role(stack: cdk.Stack) -> iam.Role:
    return iam.Role(stack, "Handler", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))


def policy_statements(stack: cdk.Stack) -> list[dict[str, Any]]:
    policies = Template.from_stack(stack).find_resources("AWS::IAM::ManagedPolicy")
    (policy,) = policies.values()
    statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def test_group_is_retained_and_named(stack: cdk.Stack) -> None:
    ModelPackageGroup(stack, "Group", model_package_group_name="churn-model")

    template = Template.from_stack(stack)
    template.resource_count_is("AWS::SageMaker::ModelPackageGroup", 1)
    template.has_resource(
        "AWS::SageMaker::ModelPackageGroup",
        {
            "Properties": {"ModelPackageGroupName": "churn-model"},
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )
    (group,) = template.find_resources("AWS::SageMaker::ModelPackageGroup").values()
    assert group["Properties"] == {"ModelPackageGroupName": "churn-model"}


def test_group_description_tags_and_removal_policy(stack: cdk.Stack) -> None:
    ModelPackageGroup(
        stack,
        "Group",
        model_package_group_name="churn-model",
        description="Churn classifiers",
        tags={"team": "ml"},
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )

    Template.from_stack(stack).has_resource(
        "AWS::SageMaker::ModelPackageGroup",
        {
            "Properties": {
                "ModelPackageGroupName": "churn-model",
                "ModelPackageGroupDescription": "Churn classifiers",
                "Tags": [{"Key": "team", "Value": "ml"}],
            },
            "DeletionPolicy": "Delete",
            "UpdateReplacePolicy": "Delete",
        },
    )


def test_cross_account_policy_is_read_and_deploy_only(regional_stack: cdk.Stack) -> None:
    ModelPackageGroup(
        regional_stack,
        "Group",
        model_package_group_name="Churn",
        cross_account_ids=["111111111111", "222222222222"],
    )

    principals = {"AWS": ["arn:aws:iam::111111111111:root", "arn:aws:iam::222222222222:root"]}
    template = Template.from_stack(regional_stack)
    (group,) = template.find_resources("AWS::SageMaker::ModelPackageGroup").values()
    assert group["Properties"] == (
        {
            "ModelPackageGroupName": "Churn",
            "ModelPackageGroupPolicy": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "CrossAccountDescribeGroup",
                        "Effect": "Allow",
                        "Principal": principals,
                        "Action": "sagemaker:DescribeModelPackageGroup",
                        "Resource": [
                            f"{ARN}:model-package-group/Churn",
                            f"{ARN}:model-package-group/churn",
                        ],
                    },
                    {
                        "Sid": "CrossAccountUseVersions",
                        "Effect": "Allow",
                        "Principal": principals,
                        "Action": [
                            "sagemaker:CreateModel",
                            "sagemaker:DescribeModelPackage",
                            "sagemaker:ListModelPackages",
                        ],
                        "Resource": [f"{ARN}:model-package/Churn/*", f"{ARN}:model-package/churn/*"],
                    },
                ],
            },
        }
    )


def test_arns(regional_stack: cdk.Stack) -> None:
    group = ModelPackageGroup(regional_stack, "Group", model_package_group_name="Churn")
    imported = ModelPackageGroup.from_model_package_group_name(regional_stack, "Imported", "other-model")

    assert regional_stack.resolve(group.model_package_group_arn) == {
        "Fn::GetAtt": ["GroupC77FDACD", "ModelPackageGroupArn"]
    }
    assert group.model_package_group_name == "Churn"
    assert group.version_arn(3) == f"{ARN}:model-package/Churn/3"
    assert group.version_arn() == f"{ARN}:model-package/Churn/*"
    assert imported.model_package_group_name == "other-model"
    assert imported.model_package_group_arn == f"{ARN}:model-package-group/other-model"
    assert imported.version_arn(1) == f"{ARN}:model-package/other-model/1"


def test_grant_read(regional_stack: cdk.Stack) -> None:
    group = ModelPackageGroup.from_model_package_group_name(regional_stack, "Group", "churn")
    group.grant_read(lambda_role(regional_stack))

    assert policy_statements(regional_stack) == [
        {
            "Action": "sagemaker:DescribeModelPackageGroup",
            "Effect": "Allow",
            "Resource": f"{ARN}:model-package-group/churn",
        },
        {"Action": "sagemaker:DescribeModelPackage", "Effect": "Allow", "Resource": VERSIONS},
        {"Action": "sagemaker:ListModelPackages", "Effect": "Allow", "Resource": "*"},
    ]


def test_grant_register_names_both_cases_of_a_mixed_case_group(regional_stack: cdk.Stack) -> None:
    group = ModelPackageGroup(regional_stack, "Group", model_package_group_name="Churn")
    group.grant_register(lambda_role(regional_stack))

    groups = [f"{ARN}:model-package-group/Churn", f"{ARN}:model-package-group/churn"]
    versions = [f"{ARN}:model-package/Churn/*", f"{ARN}:model-package/churn/*"]
    assert policy_statements(regional_stack) == [
        {"Action": "sagemaker:CreateModelPackage", "Effect": "Allow", "Resource": groups + versions,
         "Condition": {"StringEquals": {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}}},
        {"Action": "sagemaker:DescribeModelPackageGroup", "Effect": "Allow", "Resource": groups},
        {"Action": "sagemaker:DescribeModelPackage", "Effect": "Allow", "Resource": versions},
    ]


def test_grant_approve(regional_stack: cdk.Stack) -> None:
    group = ModelPackageGroup.from_model_package_group_name(regional_stack, "Group", "churn")
    group.grant_approve(lambda_role(regional_stack))

    assert policy_statements(regional_stack) == [
        {"Action": "sagemaker:UpdateModelPackage", "Effect": "Allow", "Resource": VERSIONS},
    ]


@pytest.mark.parametrize("name", ["-churn", "churn-", "churn_model", "a" * 64, ""])
def test_group_refuses_invalid_names(stack: cdk.Stack, name: str) -> None:
    with pytest.raises(
        ValidationError,
        match=r"TestStack/Group: model_package_group_name must be 1-63 letters, digits and inner hyphens "
        rf".*, got '{name}'",
    ):
        ModelPackageGroup(stack, "Group", model_package_group_name=name)


def test_import_refuses_invalid_name(stack: cdk.Stack) -> None:
    with pytest.raises(ValidationError,
                       match=r"TestStack/Group: model_package_group_name must be 1-63 .*, got 'a b'"):
        ModelPackageGroup.from_model_package_group_name(stack, "Group", "a b")


def test_group_refuses_long_description(stack: cdk.Stack) -> None:
    with pytest.raises(
        ValidationError,
        match=r"TestStack/Group: description must be between 0 and 1024 characters long, got 'xxx",
    ):
        ModelPackageGroup(stack, "Group", model_package_group_name="churn", description="x" * 1025)
    with pytest.raises(ValidationError, match=r"TestStack/Other: description must be text without line breaks"):
        ModelPackageGroup(stack, "Other", model_package_group_name="churn", description="Churn\tclassifiers")


@pytest.mark.parametrize("account", ["12345678901", "1234567890123", "abcdefghijkl"])
def test_group_refuses_invalid_account_ids(stack: cdk.Stack, account: str) -> None:
    with pytest.raises(
        ValidationError,
        match=rf"TestStack/Group: cross_account_ids must be 12-digit AWS account IDs, got '{account}'",
    ):
        ModelPackageGroup(stack, "Group", model_package_group_name="churn", cross_account_ids=[account])
