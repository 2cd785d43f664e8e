"""SageMaker name patterns and ARN forms: the one place (CDK-free).

SageMaker names endpoints, endpoint configs, models, variants, container hostnames, model package
groups and inference components with the same rule; the rule and its wording live here so that
every construct refuses a bad name with the same message.
"""

from __future__ import annotations

from typing import Protocol

#: SageMaker's pattern for endpoint, endpoint config, model, variant and container host names, with
#: their 63-character limit: its ``[a-zA-Z0-9](-*[a-zA-Z0-9])*`` bounded without a lookahead, so that
#: it also works inside a larger pattern (a CloudFormation ``AllowedPattern`` of ARNs).
NAME_PATTERN = r"[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
#: ``NAME_PATTERN`` in words, for validation messages.
NAME_RULE = "1-63 letters, digits and hyphens, starting and ending with a letter or digit"

#: SageMaker's ``[\p{L}\p{Z}\p{N}_.:/=+\-@]*`` for tags and a version's customer metadata: Python's
#: ``\w`` is letters, digits and ``_``; the Unicode separators are listed (``\s`` would take tabs and
#: newlines too).
METADATA_TEXT_PATTERN = r"[\w.:/=+\-@ \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*"
#: ``METADATA_TEXT_PATTERN`` in words.
METADATA_TEXT_RULE = "letters, digits, spaces and _.:/=+-@"

#: The suffix of the parameter (or pipeline variable) that redeploys the served version:
#: ``<name>Redeploy`` (``ServedModelPackage`` declares it; the approval deployer sets it).
REDEPLOY_SUFFIX = "Redeploy"

#: SNS Publish takes subjects of fewer than 100 characters (the handlers and the transform's
#: failure notification cut theirs to this).
SUBJECT_LENGTH = 99

#: How aws-cdk encodes an unresolved string token (``Token.is_unresolved`` without importing CDK).
_TOKEN_MARK = "${Token["


def arn_name_forms(name: str) -> list[str]:
    """A name as it may appear in the ARNs IAM matches: as given and, when it differs, lowercased.

    SageMaker keeps a model package group's case in its ARNs while some tools (moto among them)
    report names lowercased, and IAM matches ARNs case-sensitively: grants list both forms, which
    denote the same resource, so this widens nothing. A token stays as it is.
    """
    lowered = lowercase_arn_name(name)
    return [name] if lowered == name else [name, lowered]


def lowercase_arn_name(name: str) -> str:
    """A name as SageMaker writes it in the ARNs of endpoints, models and jobs: lowercased (a token
    is left as it is)."""
    return name if _TOKEN_MARK in name else name.lower()


#: A model package version ARN, as ``ContainerDefinition.from_model_package`` takes it.
#: SageMaker's ``VersionedArnOrName`` in ARN form: a group's version (``<group>/<n>``) or an
#: unversioned package (an AWS Marketplace one), at most 176 characters long.
MODEL_PACKAGE_ARN_PATTERN = (r"(?=.{1,176}\Z)arn:aws[a-z\-]*:sagemaker:[a-z0-9\-]+:[0-9]{12}:model-package/"
                             r"[a-zA-Z0-9][a-zA-Z0-9-]{0,62}(?<!-)(/[0-9]{1,9})?")
#: ``MODEL_PACKAGE_ARN_PATTERN`` in words.
MODEL_PACKAGE_ARN_RULE = ("a model package ARN (arn:<partition>:sagemaker:<region>:<account>:model-package/<name>"
                          "[/<version>]) of at most 176 characters")


class Environment(Protocol):
    """Where ARNs point: an aws-cdk ``Stack`` is one (its values may be tokens)."""

    @property
    def partition(self) -> str:
        """The partition, e.g. ``aws``."""

    @property
    def region(self) -> str:
        """The region, e.g. ``eu-west-1``."""

    @property
    def account(self) -> str:
        """The 12-digit account ID."""


def model_package_group_arns(env: Environment, group_name: str) -> list[str]:
    """The group's ARN in each form of its name IAM may match (``arn_name_forms``)."""
    return [sagemaker_arn(env, "model-package-group", name) for name in arn_name_forms(group_name)]


def model_package_version_arns(env: Environment, group_name: str) -> list[str]:
    """Every version of the group (``model-package/<group>/*``), in each form of its name."""
    return [sagemaker_arn(env, "model-package", f"{name}/*") for name in arn_name_forms(group_name)]


#: Why a grant on ``model_package_version_arns`` ends in a wildcard.
VERSIONS_WILDCARD_REASON = "Versions are model-package/<group>/<version>: '/*' covers the versions of this group only."


def sagemaker_arn(env: Environment, resource_type: str, resource_name: str) -> str:
    """``arn:<partition>:sagemaker:<region>:<account>:<resource_type>/<resource_name>``, the form of
    every SageMaker resource ARN (endpoint, endpoint-config, model, model-package-group,
    model-package, inference-component)."""
    return f"arn:{env.partition}:sagemaker:{env.region}:{env.account}:{resource_type}/{resource_name}"
