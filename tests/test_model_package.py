"""ModelPackageVersion: inference specification, metrics, metadata, approval status, validation."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template
from cdk_sagemaker_inference import (
    ContainerDefinition,
    ContainerImage,
    ContainerSpec,
    Framework,
    IModelPackageGroup,
    InstanceType,
    MetricsReport,
    Model,
    ModelApprovalStatus,
    ModelData,
    ModelMetrics,
    ModelPackageGroup,
    ModelPackageVersion,
    ValidationError,
)

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/churn:1"
DATA = "s3://artifacts/models/churn/model.tar.gz"


def spec(**overrides: Any) -> ContainerSpec:
    values: dict[str, Any] = dict(
        image_uri=IMAGE, model_data_url=DATA, environment={}, hostname=None, model_package_arn=None,
        elastic_inference_capable=False,
    )
    return ContainerSpec(**{**values, **overrides})


def group(stack: cdk.Stack) -> IModelPackageGroup:
    return ModelPackageGroup.from_model_package_group_name(stack, "Group", "churn")


def version(stack: cdk.Stack, **overrides: Any) -> ModelPackageVersion:
    props: dict[str, Any] = dict(
        group=group(stack),
        containers=[spec()],
        supported_content_types=["text/csv"],
        supported_response_mime_types=["text/csv"],
    )
    return ModelPackageVersion(stack, "Version", **{**props, **overrides})


def assert_refused(stack: cdk.Stack, message: str, **overrides: Any) -> None:
    """Declaring a version with ``overrides`` fails with ``message`` (a regex) at its path."""
    with pytest.raises(ValidationError, match=f"TestStack/Version: {message}"):
        version(stack, **overrides)


def package_properties(stack: cdk.Stack) -> dict[str, Any]:
    (package,) = Template.from_stack(stack).find_resources("AWS::SageMaker::ModelPackage").values()
    properties: dict[str, Any] = package["Properties"]
    return properties


def test_minimal_version_is_pending_and_retained(stack: cdk.Stack) -> None:
    version(stack)

    Template.from_stack(stack).has_resource(
        "AWS::SageMaker::ModelPackage", {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
    )
    assert package_properties(stack) == {
        "ModelPackageGroupName": "churn",
        "ModelApprovalStatus": "PendingManualApproval",
        "InferenceSpecification": {
            "Containers": [{"Image": IMAGE, "ModelDataUrl": DATA}],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
    }


def test_full_version(stack: cdk.Stack) -> None:
    version(
        stack,
        containers=[
            spec(hostname="preprocess", environment={"SAGEMAKER_PROGRAM": "inference.py"}),
            spec(hostname="xgboost", model_data_url=None),
        ],
        supported_content_types=["text/csv", "application/json"],
        supported_response_mime_types=["text/csv"],
        supported_realtime_instance_types=[InstanceType.of("ml.m5.large"), InstanceType.of("ml.c5.xlarge")],
        supported_transform_instance_types=[InstanceType.of("ml.m5.xlarge")],
        approval_status=ModelApprovalStatus.APPROVED,
        model_metrics=ModelMetrics(
            model_quality_statistics=MetricsReport("s3://artifacts/eval/statistics.json"),
            bias_report=MetricsReport("s3://artifacts/clarify/bias.json"),
            explainability_report=MetricsReport("s3://artifacts/clarify/shap.csv", content_type="text/csv"),
        ),
        customer_metadata={"training_job": "churn-2024-05-01", "commit": "abc123"},
        description="Churn classifier trained on May data",
    )

    assert package_properties(stack) == {
        "ModelPackageGroupName": "churn",
        "ModelPackageDescription": "Churn classifier trained on May data",
        "ModelApprovalStatus": "Approved",
        "CustomerMetadataProperties": {"training_job": "churn-2024-05-01", "commit": "abc123"},
        "ModelMetrics": {
            "ModelQuality": {
                "Statistics": {"ContentType": "application/json", "S3Uri": "s3://artifacts/eval/statistics.json"}
            },
            "Bias": {"Report": {"ContentType": "application/json", "S3Uri": "s3://artifacts/clarify/bias.json"}},
            "Explainability": {"Report": {"ContentType": "text/csv", "S3Uri": "s3://artifacts/clarify/shap.csv"}},
        },
        "InferenceSpecification": {
            "Containers": [
                {
                    "Image": IMAGE,
                    "ModelDataUrl": DATA,
                    "Environment": {"SAGEMAKER_PROGRAM": "inference.py"},
                    "ContainerHostname": "preprocess",
                },
                {"Image": IMAGE, "ContainerHostname": "xgboost"},
            ],
            "SupportedContentTypes": ["text/csv", "application/json"],
            "SupportedResponseMIMETypes": ["text/csv"],
            "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large", "ml.c5.xlarge"],
            "SupportedTransformInstanceTypes": ["ml.m5.xlarge"],
        },
    }


def test_version_registers_the_containers_of_a_model(regional_stack: cdk.Stack) -> None:
    bucket = s3.Bucket.from_bucket_name(regional_stack, "Artifacts", "artifacts")
    model = Model(
        regional_stack,
        "Model",
        container=ContainerDefinition(
            image=ContainerImage.sagemaker_builtin(Framework.XGBOOST, "1.7-1"),
            model_data=ModelData.from_bucket(bucket, "models/churn/model.tar.gz"),
        ),
    )
    version(regional_stack, containers=model.containers)

    (container,) = package_properties(regional_stack)["InferenceSpecification"]["Containers"]
    expected = model.containers[0].to_cloudformation()
    assert regional_stack.resolve(container) == regional_stack.resolve(expected)


def test_version_depends_on_a_group_of_the_same_stack(stack: cdk.Stack) -> None:
    declared = ModelPackageGroup(stack, "Declared", model_package_group_name="churn")
    version(stack, group=declared)

    (package,) = Template.from_stack(stack).find_resources("AWS::SageMaker::ModelPackage").values()
    assert package["DependsOn"] == ["DeclaredE7B82A0D"]


def test_version_arn_is_the_resource_attribute(stack: cdk.Stack) -> None:
    registered = version(stack)

    arn = stack.resolve(registered.model_package_arn)
    assert arn == {"Fn::GetAtt": ["Version6A868472", "ModelPackageArn"]}


@pytest.mark.parametrize("count", [0, 16])
def test_version_refuses_container_counts_outside_1_to_15(stack: cdk.Stack, count: int) -> None:
    assert_refused(stack, rf"containers must be between 1 and 15 entries long, got {count}",
                   containers=[spec()] * count)


def test_version_refuses_a_model_package_container(stack: cdk.Stack) -> None:
    arn = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/1"
    assert_refused(
        stack,
        r"containers\[0\] must be an image container \(a version cannot wrap another model package\), "
        rf"got '{arn}'",
        containers=[spec(image_uri=None, model_data_url=None, model_package_arn=arn)],
    )


@pytest.mark.parametrize("prop", ["supported_content_types", "supported_response_mime_types"])
def test_version_needs_content_types(stack: cdk.Stack, prop: str) -> None:
    assert_refused(stack, rf"{prop} must be at least one entry, got \[\]", **{prop: []})


def test_version_refuses_long_content_types(stack: cdk.Stack) -> None:
    assert_refused(stack, r"supported_content_types must be between 1 and 256 characters long, got 'xxx",
                   supported_content_types=["x" * 257])


def test_version_refuses_malformed_mime_types(stack: cdk.Stack) -> None:
    assert_refused(stack, r"supported_response_mime_types must be MIME types like 'text/csv', got 'csv'",
                   supported_response_mime_types=["csv"])


@pytest.mark.parametrize(("prop", "use"), [("supported_realtime_instance_types", "hosting"),
                                           ("supported_transform_instance_types", "transform")])
def test_version_refuses_instance_types_without_ml_prefix(stack: cdk.Stack, prop: str, use: str) -> None:
    assert_refused(stack, rf"{prop} must be a SageMaker {use} instance type such as ml.m5.large.*, "
                   r"got 'm5.large'", **{prop: ["m5.large"]})


def test_version_refuses_a_transform_type_that_only_hosts(stack: cdk.Stack) -> None:
    assert_refused(stack, r"supported_transform_instance_types must be a SageMaker transform instance type such as "
                   r"ml.m5.large .*, got 'ml.t2.medium'", supported_transform_instance_types=["ml.t2.medium"])


@pytest.mark.parametrize(("metadata", "prop", "value"), [
    ({"metrics": "auc=0.93, f1=0.88"}, r"customer_metadata\['metrics'\]", "'auc=0.93, f1=0.88'"),
    ({"repo#sha": "abc"}, "customer_metadata key", "'repo#sha'"),
    ({"note": "tab\there"}, r"customer_metadata\['note'\]", r"'tab\\there'"),
])
def test_version_refuses_customer_metadata_outside_sagemakers_characters(
        stack: cdk.Stack, metadata: dict[str, str], prop: str, value: str) -> None:
    assert_refused(stack, rf"{prop} must be letters, digits, spaces and _.:/=\+-@, got {value}$",
                   customer_metadata=metadata)


@pytest.mark.parametrize("count", [0, 51])
def test_version_refuses_customer_metadata_counts_outside_1_to_50(stack: cdk.Stack, count: int) -> None:
    assert_refused(stack, rf"customer_metadata must be between 1 and 50 entries long, got {count} entries$",
                   customer_metadata={f"key{i}": "value" for i in range(count)})


def test_version_refuses_long_metadata_keys(stack: cdk.Stack) -> None:
    assert_refused(stack, r"customer_metadata key must be between 1 and 128 characters long, got 'kkk",
                   customer_metadata={"k" * 129: "value"})


def test_version_refuses_long_metadata_values(stack: cdk.Stack) -> None:
    assert_refused(stack, r"customer_metadata\['key'\] must be between 1 and 256 characters long, got 'vvv",
                   customer_metadata={"key": "v" * 257})


def test_version_refuses_long_description(stack: cdk.Stack) -> None:
    assert_refused(stack, r"description must be between 0 and 1024 characters long, got 'xxx",
                   description="x" * 1025)


def test_version_refuses_a_description_with_a_line_break(stack: cdk.Stack) -> None:
    # SageMaker's pattern has no control characters; CloudFormation's unanchored one lets this through.
    assert_refused(stack, r"description must be text without line breaks, tabs or other control characters, "
                          r"got 'line one\\nline two'", description="line one\nline two")


def test_version_refuses_more_than_16_variables_in_a_container(stack: cdk.Stack) -> None:
    environment = {f"VARIABLE_{index}": "1" for index in range(17)}
    assert_refused(stack, r"containers\[0\].environment must be at most 16 entries \(a registered container's "
                          r"limit\), got '17 entries'", containers=[spec(environment=environment)])
    sixteen = cdk.Stack(cdk.App(), "Sixteen")
    version(sixteen, containers=[spec(environment=dict(list(environment.items())[:16]))])


def test_version_refuses_malformed_metrics_uri(stack: cdk.Stack) -> None:
    assert_refused(
        stack,
        r"model_metrics.bias_report.s3_uri must be an s3:// or https:// URI, got 'artifacts/bias.json'",
        model_metrics=ModelMetrics(bias_report=MetricsReport("artifacts/bias.json")),
    )


def test_version_refuses_empty_metrics_content_type(stack: cdk.Stack) -> None:
    assert_refused(
        stack,
        r"model_metrics.explainability_report.content_type must be between 1 and 256 characters long, got ''",
        model_metrics=ModelMetrics(explainability_report=MetricsReport("s3://a/b", content_type="")),
    )


def test_approval_status_takes_its_value_or_refuses_listing_the_statuses(stack: cdk.Stack) -> None:
    version(stack, approval_status="Approved")
    assert package_properties(stack)["ModelApprovalStatus"] == "Approved"
    assert_refused(cdk.Stack(cdk.App(), "TestStack"), r"approval_status must be one of 'PendingManualApproval', "
                   r"'Approved', 'Rejected', got 'Approve'$", approval_status="Approve")
