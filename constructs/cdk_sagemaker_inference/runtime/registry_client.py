"""RegistryClient: read and approve the versions of a model package group at run time.

The construct side of the registry is ``registry.py`` and ``model_package.py``; this is the
operator's side, used by ``python -m cdk_sagemaker_inference registry ...`` and by user code.
Only boto3 is needed. Versions are addressed as (group, version number), the way people talk
about them; the version ARN is ``arn:<partition>:sagemaker:<region>:<account>:model-package/
<group, lower case>/<version>``, built from the group's own ARN.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from .._names import lowercase_arn_name
from .enums import ModelApprovalStatus as ModelApprovalStatus  # the client's callers name it here too
from .enums import enum_member

#: ApprovalDescription's length limit in UpdateModelPackage.
MAX_REASON_LENGTH = 1024
#: ListModelPackages' largest page.
MAX_PAGE_SIZE = 100


class RegistryError(Exception):
    """A registry request that cannot be carried out."""


class UnknownModelPackageGroupError(RegistryError, LookupError):
    """No model package group of that name in this account and region."""


class UnknownModelPackageVersionError(RegistryError, LookupError):
    """The group exists but has no version of that number."""


@dataclass(frozen=True)
class VersionSummary:
    """One version as ListModelPackages reports it.

    :param status: ``ModelPackageStatus`` (Pending, InProgress, Completed, Failed, Deleting), kept
        as SageMaker's text so that a status added later still reads.
    :param approval: a version created without an approval status is pending approval.
    """

    group: str
    version: int
    arn: str
    status: str
    approval: ModelApprovalStatus
    created: datetime
    description: str | None = None

    @classmethod
    def from_api(cls, package: Mapping[str, Any]) -> VersionSummary:
        """From a ModelPackageSummary or a DescribeModelPackage response."""
        return cls(**_summary_fields(package))


@dataclass(frozen=True)
class Container:
    """One serving container of a version (``InferenceSpecification.Containers``)."""

    image: str
    model_data_url: str | None = None
    environment: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class VersionDetails(VersionSummary):
    """One version as DescribeModelPackage reports it.

    :param metrics: each metrics report's S3 URI by ``<section>.<report>``, e.g.
        ``ModelQuality.Statistics``.
    :param metadata: ``MetadataProperties`` (CommitId, Repository, GeneratedBy, ProjectId).
    :param customer_metadata: ``CustomerMetadataProperties``, free key-value pairs.
    """

    approval_description: str | None = None
    containers: tuple[Container, ...] = ()
    content_types: tuple[str, ...] = ()
    response_types: tuple[str, ...] = ()
    metrics: Mapping[str, str] = field(default_factory=dict)
    metadata: Mapping[str, str] = field(default_factory=dict)
    customer_metadata: Mapping[str, str] = field(default_factory=dict)
    last_modified: datetime | None = None

    @classmethod
    def from_api(cls, package: Mapping[str, Any]) -> VersionDetails:
        """From a DescribeModelPackage response."""
        specification = package.get("InferenceSpecification", {})
        return cls(
            **_summary_fields(package),
            approval_description=package.get("ApprovalDescription"),
            containers=tuple(
                Container(
                    image=container["Image"],
                    model_data_url=container.get("ModelDataUrl"),
                    environment=container.get("Environment", {}),
                )
                for container in specification.get("Containers", [])
            ),
            content_types=tuple(specification.get("SupportedContentTypes", [])),
            response_types=tuple(specification.get("SupportedResponseMIMETypes", [])),
            metrics={
                f"{section}.{report}": source["S3Uri"]
                for section, reports in package.get("ModelMetrics", {}).items()
                for report, source in reports.items()
            },
            metadata=package.get("MetadataProperties", {}),
            customer_metadata=package.get("CustomerMetadataProperties", {}),
            last_modified=package.get("LastModifiedTime"),
        )


def _summary_fields(package: Mapping[str, Any]) -> dict[str, Any]:
    approval = package.get("ModelApprovalStatus", ModelApprovalStatus.PENDING_MANUAL_APPROVAL.value)
    return {
        "group": package["ModelPackageGroupName"],
        "version": int(package["ModelPackageVersion"]),
        "arn": package["ModelPackageArn"],
        "status": package["ModelPackageStatus"],
        "approval": ModelApprovalStatus(approval),
        "created": package["CreationTime"],
        "description": package.get("ModelPackageDescription"),
    }


@contextlib.contextmanager
def _missing_raises(error: Callable[[], RegistryError]) -> Iterator[None]:
    """Turns SageMaker's answer for a group or version that does not exist (a ValidationException)
    into ``error()``, built only then (its message may call the API); other errors pass unchanged."""
    try:
        yield
    except ClientError as client_error:
        if client_error.response.get("Error", {}).get("Code") != "ValidationException":
            raise
        raise error() from client_error


class RegistryClient:
    """Lists, describes, approves and rejects the versions of model package groups.

    Example::

        registry = RegistryClient()
        newest = registry.list_versions("churn")[0]
        registry.approve("churn", newest.version, reason="AUC 0.91 on the holdout set")
    """

    def __init__(self, client: Any = None) -> None:
        """:param client: a ``sagemaker`` boto3 client. Default: a new one for the default session."""
        if client is None:
            import boto3  # when a client is made, not when the package is imported (as in predictor.py)

            client = boto3.client("sagemaker")
        #: The sagemaker client the registry client calls.
        self.client = client

    def list_versions(self, group: str, *, page_size: int = MAX_PAGE_SIZE) -> list[VersionSummary]:
        """Every version of ``group``, newest first.

        :param page_size: versions fetched per ListModelPackages call. Default: 100, the maximum.
        :raises UnknownModelPackageGroupError: there is no such group.
        """
        self._group_arn(group)
        pages = self.client.get_paginator("list_model_packages").paginate(
            ModelPackageGroupName=group,
            SortBy="CreationTime",
            SortOrder="Descending",  # ListModelPackages sorts ascending unless told otherwise
            PaginationConfig={"PageSize": page_size},
        )
        return [
            VersionSummary.from_api(summary) for page in pages for summary in page["ModelPackageSummaryList"]
        ]

    def describe(self, group: str, version: int) -> VersionDetails:
        """Containers, metrics, metadata, status and approval of one version.

        :raises UnknownModelPackageGroupError: there is no such group.
        :raises UnknownModelPackageVersionError: the group has no such version.
        """
        arn = self.version_arn(group, version)
        with _missing_raises(lambda: UnknownModelPackageVersionError(
            f"model package group {group} has no version {version} ({self._versions_hint(group)})"
        )):
            package = self.client.describe_model_package(ModelPackageName=arn)
        return VersionDetails.from_api(package)

    def approve(self, group: str, version: int, reason: str) -> VersionDetails:
        """Marks the version Approved, which deployment automation acts on; returns it updated.

        :param reason: why, recorded as the version's ``ApprovalDescription`` (1-1024 characters).
        """
        return self.set_approval(group, version, ModelApprovalStatus.APPROVED, reason)

    def reject(self, group: str, version: int, reason: str) -> VersionDetails:
        """Marks the version Rejected; returns it updated.

        :param reason: why, recorded as the version's ``ApprovalDescription`` (1-1024 characters).
        """
        return self.set_approval(group, version, ModelApprovalStatus.REJECTED, reason)

    def set_approval(
        self, group: str, version: int, status: ModelApprovalStatus | str, reason: str
    ) -> VersionDetails:
        """Sets the version's approval status and reason; returns it updated.

        :param status: a ``ModelApprovalStatus`` or its value (``"Approved"``).
        :raises RegistryError: the status is neither, or the reason is empty or longer than 1024
            characters.
        :raises UnknownModelPackageGroupError: there is no such group.
        :raises UnknownModelPackageVersionError: the group has no such version.
        """
        member = enum_member(ModelApprovalStatus, status)
        if member is None:
            allowed = ", ".join(repr(known.value) for known in ModelApprovalStatus)
            raise RegistryError(f"{group}/{version}: status must be one of {allowed}, got {status!r}")
        if not reason.strip() or len(reason) > MAX_REASON_LENGTH:
            raise RegistryError(
                f"{group}/{version}: reason must be between 1 and {MAX_REASON_LENGTH} characters long "
                f"and not blank, got {len(reason)} characters"
            )
        current = self.describe(group, version)
        self.client.update_model_package(
            ModelPackageArn=current.arn, ModelApprovalStatus=member.value, ApprovalDescription=reason
        )
        return self.describe(group, version)

    def version_arn(self, group: str, version: int) -> str:
        """The ARN of version ``version`` of ``group`` (the group must exist).

        :raises UnknownModelPackageGroupError: there is no such group.
        :raises UnknownModelPackageVersionError: ``version`` is not a positive number.
        """
        if version < 1:
            raise UnknownModelPackageVersionError(
                f"model package group {group}: version must be a positive number, got {version}"
            )
        # A version's ARN names its group lowercased (as SageMaker and moto report it), while the
        # group's ARN keeps the case: the last of the forms the package's one rule lists.
        prefix, _ = self._group_arn(group).split(":model-package-group/")
        return f"{prefix}:model-package/{lowercase_arn_name(group)}/{version}"

    def _group_arn(self, group: str) -> str:
        with _missing_raises(lambda: UnknownModelPackageGroupError(
            f"model package group {group} does not exist in {self.client.meta.region_name}"
        )):
            response = self.client.describe_model_package_group(ModelPackageGroupName=group)
        return str(response["ModelPackageGroupArn"])

    def _versions_hint(self, group: str) -> str:
        """How many versions ``group`` has, in words, for error messages."""
        page = self.client.list_model_packages(
            ModelPackageGroupName=group, SortBy="CreationTime", SortOrder="Descending", MaxResults=1
        )
        newest = page["ModelPackageSummaryList"]
        return f"the newest is {newest[0]['ModelPackageVersion']}" if newest else "it has no versions yet"
