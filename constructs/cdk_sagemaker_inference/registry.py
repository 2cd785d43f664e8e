"""The model registry: ModelPackageGroup, IModelPackageGroup and its importer.

A model package group holds the numbered versions (``ModelPackageVersion``) of one model. The
group is a record of what was trained and approved, so it outlives the stacks that use it.

ARNs keep the group name's case in IAM: SageMaker authorizes ``DescribeModelPackage`` against
``arn:...:model-package/<Name>/<n>`` exactly as the group was named, while some tools (moto among
them) report the name lowercased. IAM ARN matching is case-sensitive, so every grant and the
resource policy list the name as given and, when it differs, lowercased: both denote the same
versions, so this widens nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from aws_cdk import CfnTag, RemovalPolicy, Resource
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct, Node

from ._iam import ManagedPolicyGrant
from ._names import NAME_PATTERN, model_package_group_arns, model_package_version_arns, sagemaker_arn
from ._stack_env import environment_of
from ._validation import check_description, check_pattern

#: ``ModelPackageGroupName`` in the SageMaker API: 1-63 alphanumerics and inner hyphens.
GROUP_NAME_PATTERN = NAME_PATTERN
_GROUP_NAME_RULE = "1-63 letters, digits and inner hyphens (^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$)"
_ACCOUNT_PATTERN = r"[0-9]{12}"
#: The only approval status ``grant_register`` lets a registrant create a version with.
REGISTRABLE_STATUS = "PendingManualApproval"

#: What another account may do with the group: read it and deploy its versions, never write.
#: ``sagemaker:CreateModel`` on a version is what ``CreateModel`` with ``ModelPackageName`` needs.
CROSS_ACCOUNT_GROUP_ACTIONS = ("sagemaker:DescribeModelPackageGroup",)
CROSS_ACCOUNT_VERSION_ACTIONS = (
    "sagemaker:DescribeModelPackage",
    "sagemaker:ListModelPackages",
    "sagemaker:CreateModel",
)


class IModelPackageGroup(Protocol):
    """A model package group, declared here or imported by name.

    A structural interface, like ``IModel``: jsii's metaclass rules out an ABC next to
    ``Construct``.
    """

    @property
    def node(self) -> Node:
        """The construct tree node."""

    @property
    def model_package_group_name(self) -> str:
        """The group's name, as given (versions are addressed by it)."""

    @property
    def model_package_group_arn(self) -> str:
        """The group's ARN."""

    def version_arn(self, version: int | str = "*") -> str:
        """The ARN of version ``version`` of this group; ``"*"`` (default) is every version."""

    def grant_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Lets ``grantee`` describe the group and list and describe its versions."""

    def grant_register(self, grantee: iam.IGrantable) -> iam.Grant:
        """Lets ``grantee`` register new versions in the group and describe them."""

    def grant_approve(self, grantee: iam.IGrantable) -> iam.Grant:
        """Lets ``grantee`` change the approval status of the group's versions."""


class _ModelPackageGroupBase(Resource):
    """ARNs and grants shared by a declared and an imported group."""

    model_package_group_name: str
    model_package_group_arn: str

    def _group_arns(self) -> list[str]:
        return model_package_group_arns(environment_of(self), self.model_package_group_name)

    def _version_arns(self) -> list[str]:
        return model_package_version_arns(environment_of(self), self.model_package_group_name)

    def version_arn(self, version: int | str = "*") -> str:
        """The ARN of version ``version`` of this group: ``arn:<partition>:sagemaker:<region>:
        <account>:model-package/<group name>/<version>``. Default: ``"*"``, every version (a
        pattern for IAM). The name keeps its case, as SageMaker's authorization does.
        """
        return sagemaker_arn(environment_of(self), "model-package", f"{self.model_package_group_name}/{version}")

    def grant_read(self, grantee: iam.IGrantable) -> iam.Grant:
        """Lets ``grantee`` describe the group and list and describe its versions.

        ``sagemaker:ListModelPackages`` supports no resource-level permissions, so it is granted
        on ``*``: it returns only names, ARNs and statuses; the contents of a version
        (``DescribeModelPackage``) stay scoped to this group.
        """
        return (
            self._grant(grantee, ["sagemaker:DescribeModelPackageGroup"], self._group_arns())
            .combine(self._grant(grantee, ["sagemaker:DescribeModelPackage"], self._version_arns()))
            .combine(self._grant(grantee, ["sagemaker:ListModelPackages"], ["*"]))
        )

    def grant_register(self, grantee: iam.IGrantable) -> iam.Grant:
        """Lets ``grantee`` create versions in this group (``sagemaker:CreateModelPackage``, which
        SageMaker authorizes on the group and on the new version) and describe the group and its
        versions. It cannot approve them: that is ``grant_approve``.

        ``CreateModelPackage`` is allowed only with ``ModelApprovalStatus=PendingManualApproval``
        (the condition key ``sagemaker:ModelApprovalStatus``): a registrant cannot register a
        version as Approved and so deploy it unreviewed. The request must name that status (a
        request without it has no value for the key and is denied).
        """
        return ManagedPolicyGrant.add_to_principal(
            grantee=grantee,
            actions=["sagemaker:CreateModelPackage"],
            resource_arns=[*self._group_arns(), *self._version_arns()],
            conditions={"StringEquals": {"sagemaker:ModelApprovalStatus": REGISTRABLE_STATUS}},
        ).combine(
            self._grant(grantee, ["sagemaker:DescribeModelPackageGroup"], self._group_arns())
        ).combine(
            self._grant(grantee, ["sagemaker:DescribeModelPackage"], self._version_arns())
        )

    def grant_approve(self, grantee: iam.IGrantable) -> iam.Grant:
        """Lets ``grantee`` approve or reject this group's versions (``sagemaker:UpdateModelPackage``
        on ``model-package/<group>/*``). Combine with ``grant_read`` to find the versions.
        """
        return self._grant(grantee, ["sagemaker:UpdateModelPackage"], self._version_arns())

    def _grant(self, grantee: iam.IGrantable, actions: Sequence[str], resources: Sequence[str]) -> iam.Grant:
        return ManagedPolicyGrant.add_to_principal(grantee=grantee, actions=actions, resource_arns=resources)


class ModelPackageGroup(_ModelPackageGroupBase):
    """``AWS::SageMaker::ModelPackageGroup``: a versioned group of models in the registry.

    Retained when the stack is deleted by default. Optionally shared read-only with other
    accounts through the group's resource policy.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        model_package_group_name: str,
        description: str | None = None,
        cross_account_ids: Sequence[str] = (),
        tags: Mapping[str, str] | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        """
        :param model_package_group_name: the group's name, 1-63 letters, digits and inner hyphens.
            Required: versions, approval rules and IAM grants address the group by name, and
            CloudFormation requires it. Changing it replaces the group.
        :param description: what the group holds, at most 1024 characters. Default: none.
        :param cross_account_ids: 12-digit AWS account IDs that may describe the group, list and
            describe its versions and create models from them (``CreateModel`` with the version
            ARN) through the group's resource policy; nothing that writes. Those accounts still
            need read access to the artifacts' bucket and key and pull access to the images.
            Default: none, the group stays private to this account.
        :param tags: tags on the group. Default: none.
        :param removal_policy: what happens to the group when it leaves the stack. Default:
            RETAIN, because the registry is a record of what was trained and approved and
            outlives the stacks that serve from it.
        """
        super().__init__(scope, id, physical_name=model_package_group_name)
        check_pattern(self, "model_package_group_name", model_package_group_name,
                      GROUP_NAME_PATTERN, _GROUP_NAME_RULE)
        check_description(self, "description", description)
        for account in cross_account_ids:
            check_pattern(self, "cross_account_ids", account, _ACCOUNT_PATTERN, "12-digit AWS account IDs")

        self.model_package_group_name = model_package_group_name
        self._resource = sagemaker.CfnModelPackageGroup(
            self,
            "Resource",
            model_package_group_name=model_package_group_name,
            model_package_group_description=description,
            model_package_group_policy=self._cross_account_policy(cross_account_ids),
            tags=[CfnTag(key=key, value=value) for key, value in (tags or {}).items()] or None,
        )
        self._resource.apply_removal_policy(removal_policy)
        self.model_package_group_arn = self._resource.attr_model_package_group_arn

    def _cross_account_policy(self, accounts: Sequence[str]) -> iam.PolicyDocument | None:
        # The policy is a property of the group itself, so it names the group's ARN by format,
        # not by reference (a reference to its own attribute would be circular).
        if not accounts:
            return None
        principals = [iam.AccountPrincipal(account) for account in accounts]
        return iam.PolicyDocument(
            statements=[
                iam.PolicyStatement(
                    sid="CrossAccountDescribeGroup",
                    principals=principals,
                    actions=list(CROSS_ACCOUNT_GROUP_ACTIONS),
                    resources=self._group_arns(),
                ),
                iam.PolicyStatement(
                    sid="CrossAccountUseVersions",
                    principals=principals,
                    actions=list(CROSS_ACCOUNT_VERSION_ACTIONS),
                    resources=self._version_arns(),
                ),
            ]
        )

    @staticmethod
    def from_model_package_group_name(
        scope: Construct, id: str, model_package_group_name: str
    ) -> IModelPackageGroup:
        """A group that exists already (another stack or account region), by name, in the
        account and region of ``scope``'s stack.
        """
        return _ImportedModelPackageGroup(scope, id, model_package_group_name)


class _ImportedModelPackageGroup(_ModelPackageGroupBase):
    def __init__(self, scope: Construct, id: str, model_package_group_name: str) -> None:
        super().__init__(scope, id)
        check_pattern(self, "model_package_group_name", model_package_group_name,
                      GROUP_NAME_PATTERN, _GROUP_NAME_RULE)
        self.model_package_group_name = model_package_group_name
        self.model_package_group_arn = self._group_arns()[0]
