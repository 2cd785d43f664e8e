"""ModelPackageVersion: one registered, numbered version of a model in a ModelPackageGroup."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, TypeVar

from aws_cdk import RemovalPolicy, Resource
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct, IConstruct, IDependable

from ._batch import batched
from ._names import METADATA_TEXT_PATTERN, METADATA_TEXT_RULE
from ._validation import Where, check, check_count, check_description, check_pattern, to_enum
from .instance_type import InstanceType, InstanceUse, to_instance_type
from .model import ENVIRONMENT_KEY_PATTERN, ENVIRONMENT_KEY_RULE, ContainerSpec
from .registry import IModelPackageGroup
from .runtime.enums import ModelApprovalStatus

if TYPE_CHECKING:  # it loads aws_s3, aws_lambda and aws_logs, which a version without one does not need
    from .retained_asset import RetainedAsset

_MIME_TYPE_PATTERN = r"[-\w]+/.+"
_S3_URI_PATTERN = r"(https|s3)://([^/]+)/?(.*)"
_T = TypeVar("_T")
_Source = sagemaker.CfnModelPackage.MetricsSourceProperty
_Container = sagemaker.CfnModelPackage.ModelPackageContainerDefinitionProperty


#: A model's container may have 100 variables; a registered one only 16.
MAX_REGISTERED_ENVIRONMENT_ENTRIES = 16


def check_registered_environment(where: Where, prop: str, environment: Mapping[str, str]) -> None:
    """SageMaker's limits on a registered container's ``Environment``."""
    check(where, len(environment) <= MAX_REGISTERED_ENVIRONMENT_ENTRIES, prop,
          f"at most {MAX_REGISTERED_ENVIRONMENT_ENTRIES} entries (a registered container's limit)",
          f"{len(environment)} entries")
    for key in environment:
        check_pattern(where, f"{prop} key", key, ENVIRONMENT_KEY_PATTERN, ENVIRONMENT_KEY_RULE)


def check_supported_types(where: Where, prefix: str, content_types: Sequence[str], mime_types: Sequence[str]) -> None:
    """SageMaker's limits on a registered version's ``SupportedContentTypes`` and
    ``SupportedResponseMIMETypes`` (``prefix``: what the props' names start with, e.g. ``registration.``)."""
    for prop, types in (("supported_content_types", content_types), ("supported_response_mime_types", mime_types)):
        check(where, len(types) >= 1, f"{prefix}{prop}", "at least one entry", list(types))
    for content_type in content_types:
        check_count(where, f"{prefix}supported_content_types", content_type, 1, 256)
    for mime_type in mime_types:
        check_pattern(where, f"{prefix}supported_response_mime_types", mime_type, _MIME_TYPE_PATTERN,
                      "MIME types like 'text/csv'")


@dataclass(frozen=True)
class MetricsReport:
    """A metrics or baseline file in S3 (``{ContentType, S3Uri}`` in the API).

    :param s3_uri: ``s3://bucket/key`` of the report.
    :param content_type: its MIME type. Default: ``application/json``, what SageMaker Clarify and
        Model Monitor write.
    :param dependencies: what must be deployed before the report is registered. Default: none.
    """

    s3_uri: str
    content_type: str = "application/json"
    dependencies: Sequence[IDependable] = field(default=(), compare=False)

    @staticmethod
    def from_retained_asset(asset: RetainedAsset, content_type: str = "application/json") -> MetricsReport:
        """The report ``asset`` keeps in a bucket of the app; a version registering it waits for the copy.

        A report in the CDK assets bucket could be deleted by ``cdk gc`` while the version still names it.
        """
        return MetricsReport(asset.s3_object_url, content_type, dependencies=(asset,))

    def _render(self, where: Where, prop: str) -> _Source:
        check_pattern(where, f"{prop}.s3_uri", self.s3_uri, _S3_URI_PATTERN, "an s3:// or https:// URI")
        check_count(where, f"{prop}.content_type", self.content_type, 1, 256)
        return _Source(s3_uri=self.s3_uri, content_type=self.content_type)


@dataclass(frozen=True)
class ModelMetrics:
    """The evaluation reports of a version, shown in the registry next to the approval decision.

    Every report is optional. Default for each: none.
    """

    model_quality_statistics: MetricsReport | None = None
    model_quality_constraints: MetricsReport | None = None
    model_data_quality_statistics: MetricsReport | None = None
    model_data_quality_constraints: MetricsReport | None = None
    bias_report: MetricsReport | None = None
    bias_pre_training_report: MetricsReport | None = None
    bias_post_training_report: MetricsReport | None = None
    explainability_report: MetricsReport | None = None

    def _dependencies(self) -> list[IDependable]:
        reports = (getattr(self, f.name) for f in fields(self))
        return [d for report in reports if report is not None for d in report.dependencies]

    def _render(self, where: Where) -> sagemaker.CfnModelPackage.ModelMetricsProperty:
        def source(prop: str) -> _Source | None:
            report: MetricsReport | None = getattr(self, prop)
            return report._render(where, f"model_metrics.{prop}") if report else None

        Cfn = sagemaker.CfnModelPackage
        return Cfn.ModelMetricsProperty(
            model_quality=_some(Cfn.ModelQualityProperty, statistics=source("model_quality_statistics"),
                                constraints=source("model_quality_constraints")),
            model_data_quality=_some(Cfn.ModelDataQualityProperty,
                                     statistics=source("model_data_quality_statistics"),
                                     constraints=source("model_data_quality_constraints")),
            bias=_some(Cfn.BiasProperty, report=source("bias_report"),
                       pre_training_report=source("bias_pre_training_report"),
                       post_training_report=source("bias_post_training_report")),
            explainability=_some(Cfn.ExplainabilityProperty, report=source("explainability_report")),
        )


def _some(kind: Callable[..., _T], **sources: _Source | None) -> _T | None:
    """``kind(**sources)``, or None when no report of the kind is given (CloudFormation refuses
    an empty report group)."""
    return kind(**sources) if any(source is not None for source in sources.values()) else None


class ModelPackageVersion(Resource):
    """``AWS::SageMaker::ModelPackage``: a new version in a model package group.

    SageMaker numbers the version (1, 2, ...) when CloudFormation creates it. In CloudFormation
    the inference specification (containers, content types, instance types) and the metrics are
    create-only: changing them registers a new version (the old one is retained by default).
    The approval status, customer metadata and description update the version in place.
    """

    @batched()
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        group: IModelPackageGroup,
        containers: Sequence[ContainerSpec],
        supported_content_types: Sequence[str],
        supported_response_mime_types: Sequence[str],
        supported_realtime_instance_types: Sequence[InstanceType | str] = (),
        supported_transform_instance_types: Sequence[InstanceType | str] = (),
        approval_status: ModelApprovalStatus | str = ModelApprovalStatus.PENDING_MANUAL_APPROVAL,
        model_metrics: ModelMetrics | None = None,
        customer_metadata: Mapping[str, str] | None = None,
        description: str | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        """
        :param group: the group the version is registered in.
        :param containers: 1-15 image containers, as a Model or an inference pipeline runs them:
            pass ``model.containers`` so that the registry holds exactly what the model serves
            (images, artifacts, environment, hostnames). Create-only.
        :param supported_content_types: the request content types the version accepts, e.g.
            ``["text/csv"]``; at least one. Create-only.
        :param supported_response_mime_types: the response MIME types it returns (``type/subtype``);
            at least one. Create-only.
        :param supported_realtime_instance_types: instance types (or their names) the version is tested on for
            endpoints. Default: none stated (any). Create-only.
        :param supported_transform_instance_types: instance types for batch transform.
            Default: none stated (any). Create-only.
        :param approval_status: a ``ModelApprovalStatus`` or its value (``"Approved"``...). Default:
            ``PENDING_MANUAL_APPROVAL``, so that registering never deploys by itself: a reviewer
            approves. Updates in place.
        :param model_metrics: evaluation reports in S3. Default: none. Create-only.
        :param customer_metadata: 1-50 free-form entries, keys at most 128 and values at most 256
            characters (e.g. the training job or commit). Default: none. Updates in place.
        :param description: at most 1024 characters. Default: none.
        :param removal_policy: Default: RETAIN, because a registered version is a record that may
            be serving (an approved version) even after the stack that registered it is gone.
        """
        super().__init__(scope, id)
        # Not check_count: jsii cannot pass these plain Python objects to Token.is_unresolved.
        check(self, 1 <= len(containers) <= 15, "containers", "between 1 and 15 entries long",
              len(containers))
        for index, container in enumerate(containers):
            check(self, container.image_uri is not None, f"containers[{index}]",
                  "an image container (a version cannot wrap another model package)",
                  container.model_package_arn)
            check_registered_environment(self, f"containers[{index}].environment", container.environment)
        check_supported_types(self, "", supported_content_types, supported_response_mime_types)
        # Each name is checked (an InstanceType is taken as it is).
        realtime = [to_instance_type(self, "supported_realtime_instance_types", t).name
                    for t in supported_realtime_instance_types]
        transform = [to_instance_type(self, "supported_transform_instance_types", t, InstanceUse.TRANSFORM).name
                     for t in supported_transform_instance_types]
        if customer_metadata is not None:
            check_count(self, "customer_metadata", customer_metadata, 1, 50)
            for key, value in customer_metadata.items():
                check_count(self, "customer_metadata key", key, 1, 128)
                check_pattern(self, "customer_metadata key", key, METADATA_TEXT_PATTERN, METADATA_TEXT_RULE)
                check_count(self, f"customer_metadata[{key!r}]", value, 1, 256)
                check_pattern(self, f"customer_metadata[{key!r}]", value, METADATA_TEXT_PATTERN, METADATA_TEXT_RULE)
        check_description(self, "description", description)

        self.group = group
        self._resource = sagemaker.CfnModelPackage(
            self,
            "Resource",
            model_package_group_name=group.model_package_group_name,
            model_package_description=description,
            model_approval_status=to_enum(self, "approval_status", approval_status, ModelApprovalStatus).value,
            customer_metadata_properties=dict(customer_metadata) if customer_metadata else None,
            model_metrics=model_metrics._render(self) if model_metrics else None,
            inference_specification=sagemaker.CfnModelPackage.InferenceSpecificationProperty(
                containers=[_package_container(self, container) for container in containers],
                supported_content_types=list(supported_content_types),
                supported_response_mime_types=list(supported_response_mime_types),
                supported_realtime_inference_instance_types=realtime or None,
                supported_transform_instance_types=transform or None,
            ),
        )
        self._resource.apply_removal_policy(removal_policy)
        # A group declared in this app must exist before a version is registered in it, and so must
        # the objects the version names (kept in the app's bucket by another stack, possibly).
        self.node.add_dependency(group)
        artifacts = ContainerSpec.dependencies_of(containers)
        artifacts += model_metrics._dependencies() if model_metrics else []
        if artifacts:
            self._resource.node.add_dependency(*artifacts)
        #: The version's ARN, ``arn:...:model-package/<group>/<n>``.
        self.model_package_arn = self._resource.attr_model_package_arn


def _package_container(scope: IConstruct, spec: ContainerSpec) -> _Container:
    return _Container(
        image=str(spec.image_uri_in(scope)),  # never None: the construct checks it
        model_data_url=spec.model_data_url,
        environment=dict(spec.environment) or None,
        container_hostname=spec.hostname,
    )
