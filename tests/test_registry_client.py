"""RegistryClient against moto's model registry (groups, versioned packages, approval updates)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from cdk_sagemaker_inference.runtime.registry_client import (
    Container,
    ModelApprovalStatus,
    RegistryClient,
    RegistryError,
    UnknownModelPackageGroupError,
    UnknownModelPackageVersionError,
)
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

REGION = "us-east-1"
GROUP = "Churn-Model"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def register(sagemaker: Any, group: str = GROUP, **extra: Any) -> str:
    """Registers a version of ``group`` the way a training pipeline would; returns its ARN."""
    response = sagemaker.create_model_package(
        ModelPackageGroupName=group,
        InferenceSpecification={
            "Containers": [
                {
                    "Image": IMAGE,
                    "ModelDataUrl": "s3://models/churn/model.tar.gz",
                    "Environment": {"SAGEMAKER_PROGRAM": "inference.py"},
                }
            ],
            "SupportedContentTypes": ["text/csv"],
            "SupportedResponseMIMETypes": ["text/csv"],
        },
        **extra,
    )
    return str(response["ModelPackageArn"])


@pytest.fixture
def sagemaker() -> Iterator[Any]:
    """A moto sagemaker client with an empty model package group ``Churn-Model``."""
    with mock_aws():
        client = boto3.client("sagemaker", region_name=REGION)
        client.create_model_package_group(ModelPackageGroupName=GROUP)
        yield client


def test_list_versions_is_newest_first_across_pages(sagemaker: Any) -> None:
    for approval in ("Approved", "Rejected", "PendingManualApproval"):
        register(sagemaker, ModelApprovalStatus=approval)
    register(sagemaker)  # no status given: pending, as in SageMaker
    calls: list[dict[str, Any]] = []
    sagemaker.meta.events.register(
        "before-parameter-build.sagemaker.ListModelPackages", lambda params, **_: calls.append(dict(params))
    )
    versions = RegistryClient(sagemaker).list_versions(GROUP, page_size=3)
    assert [(v.version, v.approval) for v in versions] == [
        (4, ModelApprovalStatus.PENDING_MANUAL_APPROVAL),
        (3, ModelApprovalStatus.PENDING_MANUAL_APPROVAL),
        (2, ModelApprovalStatus.REJECTED),
        (1, ModelApprovalStatus.APPROVED),
    ]
    assert versions[-1].arn == f"arn:aws:sagemaker:{REGION}:{DEFAULT_ACCOUNT_ID}:model-package/churn-model/1"
    assert {v.status for v in versions} == {"Completed"}
    assert len(calls) == 2
    assert all((c["SortBy"], c["SortOrder"]) == ("CreationTime", "Descending") for c in calls)


def test_list_versions_of_an_empty_group_is_empty(sagemaker: Any) -> None:
    assert RegistryClient(sagemaker).list_versions(GROUP) == []


def test_describe_reports_containers_metrics_metadata_and_status(sagemaker: Any) -> None:
    register(
        sagemaker,
        ModelApprovalStatus="PendingManualApproval",
        ModelPackageDescription="weekly retrain",
        ModelMetrics={
            "ModelQuality": {
                "Statistics": {"ContentType": "application/json", "S3Uri": "s3://reports/quality.json"}
            },
            "Bias": {"Report": {"ContentType": "application/json", "S3Uri": "s3://reports/bias.json"}},
        },
        MetadataProperties={"CommitId": "4f2a9c1", "Repository": "git@example.com:ml/churn.git"},
        CustomerMetadataProperties={"auc": "0.91"},
    )
    details = RegistryClient(sagemaker).describe(GROUP, 1)
    assert (details.version, details.status, details.approval, details.description) == (
        1,
        "Completed",
        ModelApprovalStatus.PENDING_MANUAL_APPROVAL,
        "weekly retrain",
    )
    assert details.containers == (
        Container(IMAGE, "s3://models/churn/model.tar.gz", {"SAGEMAKER_PROGRAM": "inference.py"}),
    )
    assert (details.content_types, details.response_types) == (("text/csv",), ("text/csv",))
    assert details.metrics == {
        "ModelQuality.Statistics": "s3://reports/quality.json",
        "Bias.Report": "s3://reports/bias.json",
    }
    assert details.metadata["CommitId"] == "4f2a9c1"
    assert details.customer_metadata == {"auc": "0.91"}


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (ModelApprovalStatus.APPROVED, RegistryClient.approve),
        (ModelApprovalStatus.REJECTED, RegistryClient.reject),
    ],
)
def test_approve_and_reject_record_status_and_reason(
    sagemaker: Any, status: ModelApprovalStatus, action: Any
) -> None:
    arn = register(sagemaker)
    updated = action(RegistryClient(sagemaker), GROUP, 1, "AUC 0.91 on holdout")
    assert (updated.approval, updated.approval_description) == (status, "AUC 0.91 on holdout")
    stored = sagemaker.describe_model_package(ModelPackageName=arn)
    assert (stored["ModelApprovalStatus"], stored["ApprovalDescription"]) == (
        status.value,
        "AUC 0.91 on holdout",
    )


@pytest.mark.parametrize("call", ["list", "describe", "approve"])
def test_an_unknown_group_is_named_with_the_region(sagemaker: Any, call: str) -> None:
    registry = RegistryClient(sagemaker)
    actions = {
        "list": lambda: registry.list_versions("fraud"),
        "describe": lambda: registry.describe("fraud", 1),
        "approve": lambda: registry.approve("fraud", 1, "ok"),
    }
    with pytest.raises(
        UnknownModelPackageGroupError, match="model package group fraud does not exist in us-east-1"
    ):
        actions[call]()


def test_an_unknown_version_says_which_is_newest(sagemaker: Any) -> None:
    register(sagemaker)
    register(sagemaker)
    with pytest.raises(
        UnknownModelPackageVersionError, match=f"group {GROUP} has no version 7 \\(the newest is 2\\)"
    ):
        RegistryClient(sagemaker).reject(GROUP, 7, "bad drift")


def test_an_unknown_version_of_an_empty_group(sagemaker: Any) -> None:
    with pytest.raises(
        UnknownModelPackageVersionError, match="has no version 1 \\(it has no versions yet\\)"
    ):
        RegistryClient(sagemaker).describe(GROUP, 1)


def test_version_numbers_start_at_1(sagemaker: Any) -> None:
    with pytest.raises(UnknownModelPackageVersionError, match="version must be a positive number, got 0"):
        RegistryClient(sagemaker).describe(GROUP, 0)


@pytest.mark.parametrize("reason", ["", "   ", "x" * 1025])
def test_a_reason_is_required_and_bounded(sagemaker: Any, reason: str) -> None:
    register(sagemaker)
    with pytest.raises(RegistryError, match=f"{GROUP}/1: reason must be between 1 and 1024 characters long"):
        RegistryClient(sagemaker).approve(GROUP, 1, reason)
    assert "ApprovalDescription" not in sagemaker.describe_model_package(
        ModelPackageName=f"arn:aws:sagemaker:{REGION}:{DEFAULT_ACCOUNT_ID}:model-package/churn-model/1"
    )


def test_other_service_errors_pass_through() -> None:
    # moto cannot deny access: a stubbed DescribeModelPackageGroup does.
    client = boto3.client("sagemaker", region_name=REGION)
    with Stubber(client) as stubber:
        stubber.add_client_error("describe_model_package_group", "AccessDeniedException", "not allowed", 400)
        with pytest.raises(ClientError, match="AccessDeniedException"):
            RegistryClient(client).list_versions(GROUP)
