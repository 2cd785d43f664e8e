"""Endpoint: an ``AWS::SageMaker::Endpoint`` (an ``aws_sagemaker.IEndpoint``), its variants, grants and metrics."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jsii
from aws_cdk import Arn, ArnFormat, Names, RemovalPolicy, Resource
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sagemaker as sagemaker
from aws_cdk.interfaces import aws_sagemaker as sagemaker_refs
from constructs import Construct

from ._batch import batched
from ._iam import ManagedPolicyGrant
from ._log_groups import declare_log_group, grant_log_writing, warn_unknown_writer
from ._metrics import Statistic, variant_metric
from ._names import NAME_PATTERN, NAME_RULE, arn_name_forms, sagemaker_arn
from ._stack_env import environment_of
from ._validation import check, check_pattern, fail
from .deployment import (
    DEFAULT_DEPLOYMENT,
    BlueGreenDeployment,
    default_rollback_alarms,
    grant_rollback_alarm_reading,
    render_deployment_config,
    validate_deployment,
    warn_all_at_once_fallback,
    warn_unknown_alarm_reader,
)
from .endpoint_config import EndpointConfig, IEndpointConfig, InstanceVariant, ServerlessVariant, Variant
from .instance_type import InstanceType
from .model import IModel, grant_execution_role
from .scaling import VariantAutoScaling, scale_variant, validate_auto_scaling

_INVOKE_ACTIONS = ["sagemaker:InvokeEndpoint"]
#: SageMaker writes an endpoint's container logs to ``/aws/sagemaker/Endpoints/<endpoint name>``.
ENDPOINT_LOG_GROUP_PREFIX = "/aws/sagemaker/Endpoints/"
_LOG_STREAMS_REASON = ("SageMaker names the streams of an endpoint's log group after its variants and "
                       "instances; the wildcard covers the streams of this endpoint's group only.")


class EndpointVariant:
    """One production variant of an endpoint: its metrics and its autoscaling.

    Get one with ``endpoint.variant(name)``.
    """

    def __init__(
        self, endpoint: EndpointBase, variant_name: str, instance_type: InstanceType | None, *, serverless: bool = False
    ) -> None:
        #: The endpoint it belongs to.
        self.endpoint = endpoint
        #: The variant's name.
        self.variant_name = variant_name
        #: The instance type (None: serverless, or unknown on an imported endpoint).
        self.instance_type = instance_type
        #: True for a declared serverless variant (False: instances, or unknown on an imported endpoint).
        self.serverless = serverless
        #: The scalable target once ``auto_scale`` was called, else None.
        self.scalable_target: appscaling.ScalableTarget | None = None

    def auto_scale(self, scaling: VariantAutoScaling, *, scope: Construct | None = None) -> appscaling.ScalableTarget:
        """Tracks invocations per instance with Application Auto Scaling; once per variant.

        A declared endpoint then retains instance counts across updates (RetainAllVariantProperties,
        excluding weights and data capture), so that a deployment does not shrink a scaled-out fleet.
        A variant declared with ``auto_scaling`` is scaled by its endpoint already. A serverless
        variant is refused: it has no instance count to scale.
        :param scope: where the scalable target is created. Default: the endpoint.
        """
        where = scope or self.endpoint
        if self.scalable_target is not None:
            raise fail(where, f"variant {self.variant_name}.auto_scale", "called once (a variant declared with "
                       "auto_scaling is scaled by its endpoint already)", "a second call")
        # Application Auto Scaling would register DesiredInstanceCount, which a serverless variant
        # does not have; it scales provisioned concurrency instead, which this package does not configure.
        check(where, not self.serverless, f"variant {self.variant_name}.auto_scale",
              "called on an instance variant (a serverless variant has no instances to scale; its provisioned "
              "concurrency scales instead, which this package does not configure)", "a serverless variant")
        if self.instance_type is not None:
            validate_auto_scaling(where, f"variant {self.variant_name}", self.instance_type, scaling)
        return self._scale(scaling, where)

    def _scale(self, scaling: VariantAutoScaling, where: Construct) -> appscaling.ScalableTarget:
        """``auto_scale`` without its checks: a variant declared with ``auto_scaling`` was checked by its config."""
        self.scalable_target = scale_variant(
            where,
            endpoint_name=self.endpoint.endpoint_name,
            variant_name=self.variant_name,
            scaling=scaling,
            # The resource, not the construct: a target created inside the endpoint would depend on itself.
            endpoint=self.endpoint.node.default_child,
        )
        self.endpoint._retain_instance_counts()
        return self.scalable_target

    def metric(self, metric_name: str, **options: Any) -> cloudwatch.Metric:
        """A metric of namespace AWS/SageMaker for this variant.

        :param options: ``cloudwatch.MetricOptions`` keywords. Default: average over 5 minutes.
        """
        return variant_metric(
            self.endpoint.endpoint_name, self.variant_name, metric_name, Statistic.AVERAGE, **options
        )

    def metric_invocations(self, **options: Any) -> cloudwatch.Metric:
        """Requests sent to the variant. Default: sum over 5 minutes."""
        return self._sum("Invocations", options)

    def metric_invocations_per_instance(self, **options: Any) -> cloudwatch.Metric:
        """Requests per instance, what autoscaling tracks. Default: sum over 5 minutes."""
        return self._sum("InvocationsPerInstance", options)

    def metric_model_latency(self, **options: Any) -> cloudwatch.Metric:
        """Time the model took to answer, in microseconds. Default: average over 5 minutes."""
        return self.metric("ModelLatency", **options)

    def metric_5xx_errors(self, **options: Any) -> cloudwatch.Metric:
        """Requests the model failed (HTTP 5XX). Default: sum over 5 minutes."""
        return self._sum("Invocation5XXErrors", options)

    def metric_4xx_errors(self, **options: Any) -> cloudwatch.Metric:
        """Requests refused as invalid (HTTP 4XX). Default: sum over 5 minutes."""
        return self._sum("Invocation4XXErrors", options)

    def _sum(self, metric_name: str, options: dict[str, Any]) -> cloudwatch.Metric:
        return variant_metric(
            self.endpoint.endpoint_name, self.variant_name, metric_name, Statistic.SUM, **options
        )


class EndpointBase(Resource):
    """What a declared and an imported endpoint share: grants, variants and metrics."""

    _name: str
    _arn: str
    #: The declared ``Endpoint`` behind this handle: itself, the one a facade adopted, or None for an
    #: imported endpoint (what an inference component on it may ask of its config and logs).
    _declared_endpoint: Endpoint | None = None

    @property
    def endpoint_name(self) -> str:
        """The endpoint's name."""
        return self._name

    @property
    def endpoint_arn(self) -> str:
        """The endpoint's ARN."""
        return self._arn

    def _init_variants(self, variants: Sequence[Variant] | None) -> None:
        self._known_variants = variants is not None
        self._variants: dict[str, EndpointVariant] = {
            v.variant_name: EndpointVariant(
                self, v.variant_name, v.resolved_instance_type if isinstance(v, InstanceVariant) else None,
                serverless=isinstance(v, ServerlessVariant),
            )
            for v in variants or []
        }

    def _adopt(self, endpoint: EndpointBase) -> None:
        """Takes ``endpoint``'s name, ARN and variant handles: a facade over it grants and measures the same."""
        self._name = endpoint.endpoint_name
        self._arn = endpoint.endpoint_arn
        self._known_variants = endpoint._known_variants
        self._variants = endpoint._variants
        self._declared_endpoint = endpoint._declared_endpoint

    @property
    def endpoint_ref(self) -> sagemaker_refs.EndpointReference:
        """A reference to this endpoint, for aws-cdk-lib's ``IEndpointRef`` consumers."""
        return sagemaker_refs.EndpointReference(endpoint_arn=self.endpoint_arn)

    @property
    def variants(self) -> list[EndpointVariant]:
        """The variants as declared (empty for an imported endpoint: ask ``variant(name)``)."""
        return list(self._variants.values())

    def variant(self, variant_name: str | None = None) -> EndpointVariant:
        """The handle of variant ``variant_name``.

        :param variant_name: Default: the first variant. On an imported endpoint any name is
            accepted (and required); on a declared one it must be one of its variants.
        """
        if variant_name is None:
            if not self._variants:
                raise fail(self, "variant_name", "given for an imported endpoint", None)
            return next(iter(self._variants.values()))
        if variant_name not in self._variants:
            if self._known_variants:
                raise fail(self, "variant_name", "one of " + ", ".join(self._variants), variant_name)
            self._variants[variant_name] = EndpointVariant(self, variant_name, None)
        return self._variants[variant_name]

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allows ``grantee`` sagemaker:InvokeEndpoint on this endpoint only, in a customer-managed
        policy when ``grantee`` is a role this app declares (see ``ManagedPolicyGrant``)."""
        return ManagedPolicyGrant.add_to_principal(
            grantee=grantee, actions=_INVOKE_ACTIONS, resource_arns=self._arns()
        )

    def metric(self, metric_name: str, *, variant_name: str | None = None, **options: Any) -> cloudwatch.Metric:
        """A metric of namespace AWS/SageMaker for one variant of this endpoint.

        :param variant_name: Default: the first variant (SageMaker publishes per variant).
        :param options: ``cloudwatch.MetricOptions`` keywords. Default: average over 5 minutes.
        """
        return self.variant(variant_name).metric(metric_name, **options)

    def metric_invocations(self, *, variant_name: str | None = None, **options: Any) -> cloudwatch.Metric:
        """Requests sent to the variant (sum). Default: the first variant, 5 minutes."""
        return self.variant(variant_name).metric_invocations(**options)

    def metric_invocations_per_instance(self, *, variant_name: str | None = None, **options: Any) -> cloudwatch.Metric:
        """Requests per instance (sum), what autoscaling tracks. Default: the first variant, 5 minutes."""
        return self.variant(variant_name).metric_invocations_per_instance(**options)

    def metric_model_latency(self, *, variant_name: str | None = None, **options: Any) -> cloudwatch.Metric:
        """Time the model took to answer, in microseconds (average). Default: the first variant, 5 minutes."""
        return self.variant(variant_name).metric_model_latency(**options)

    def metric_5xx_errors(self, *, variant_name: str | None = None, **options: Any) -> cloudwatch.Metric:
        """Requests the model failed (HTTP 5XX, sum). Default: the first variant, 5 minutes."""
        return self.variant(variant_name).metric_5xx_errors(**options)

    def metric_4xx_errors(self, *, variant_name: str | None = None, **options: Any) -> cloudwatch.Metric:
        """Requests refused as invalid (HTTP 4XX, sum). Default: the first variant, 5 minutes."""
        return self.variant(variant_name).metric_4xx_errors(**options)

    def _arns(self) -> list[str]:
        return [self.endpoint_arn]

    def _retain_instance_counts(self) -> None:
        """Called when a variant autoscales; only a declared endpoint can act on it."""


@jsii.implements(sagemaker.IEndpoint)
class Endpoint(EndpointBase):
    """An ``AWS::SageMaker::Endpoint`` running an endpoint config, with blue/green guardrails.

    The endpoint gets a deterministic name derived from the construct path unless one is given,
    because the rollback alarms name it while it names them (a fixed name breaks that cycle; an
    endpoint is updated in place, so a name is safe). Usable wherever aws-cdk-lib wants an
    ``aws_sagemaker.IEndpoint``, e.g. ``apigateway.SagemakerIntegration(endpoint)``.

    It also declares the log group SageMaker writes the containers' logs to
    (``/aws/sagemaker/Endpoints/<name>``), encrypted and with a retention, retained on deletion;
    left to SageMaker it would be unencrypted and kept forever. The execution roles of its config
    (each variant's model's, the config's own) may write that group and read the rollback alarms,
    which SageMaker does as them; the variants declared with ``auto_scaling`` are autoscaled.
    """

    @batched()
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        endpoint_config: IEndpointConfig,
        endpoint_name: str | None = None,
        deployment: BlueGreenDeployment | None = DEFAULT_DEPLOYMENT,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        log_encryption_key: kms.IKey | None = None,
        facade_scope: Construct | None = None,
    ) -> None:
        """
        :param endpoint_config: what the endpoint runs.
        :param endpoint_name: Default: derived from the construct path (unique in the account).
        :param deployment: Default: blue/green all at once with two rollback alarms a variant
            (an imported config needs ``rollback_alarms``). None: no DeploymentConfig, SageMaker's
            all-at-once without alarms.
        :param log_retention: how long the endpoint's log group keeps the containers' logs.
            Default: one year (HIPAA, NIST and PCI require a retention).
        :param log_encryption_key: encrypts the endpoint's log group; CloudWatch Logs of this
            account and region is allowed to use it. Default: a new key with rotation, because
            HIPAA, NIST and PCI require encrypted log groups.
        :param facade_scope: a construct that wraps this endpoint (``RealtimeEndpoint``), under
            which the scalable targets of the variants declared with ``auto_scaling`` (ids
            ``<variant>-scaling``) and the default rollback alarms are created, and which validation
            errors name. Default: the endpoint.
        """
        super().__init__(scope, id)
        # Properties, not attributes: jsii reads them when aws-cdk-lib uses this IEndpoint.
        self._name = endpoint_name or Names.unique_resource_name(self, max_length=63, separator="-")
        check_pattern(self, "endpoint_name", self.endpoint_name, NAME_PATTERN, NAME_RULE)
        #: What the endpoint runs.
        self.endpoint_config = endpoint_config
        variants = endpoint_config.variants
        self._init_variants(variants)
        self._declared_endpoint = self
        #: The alarms that roll a deployment back (empty without ``deployment``).
        self.rollback_alarms: list[cloudwatch.IAlarm] = []
        if deployment:
            validate_deployment(facade_scope or self, deployment, variants)
            if variants is not None:
                warn_all_at_once_fallback(self, deployment, variants)
            self.rollback_alarms = list(deployment.rollback_alarms or default_rollback_alarms(
                facade_scope or self,
                endpoint_name=self.endpoint_name,
                variant_names=[v.variant_name for v in variants or []],
                latency_threshold=deployment.model_latency_threshold,
            ))
        group, key = declare_log_group(self, name=self.log_group_name, retention=log_retention,
                                       key=log_encryption_key, description=f"Encrypts the logs of endpoint {id}")
        #: The log group SageMaker writes to; declared so that it is encrypted and expires.
        self.log_group: logs.LogGroup = group
        #: The key that encrypts the endpoint's log group.
        self.log_encryption_key: kms.IKey = key
        # "Default" keeps the logical ID a RealtimeEndpoint gave its endpoint before this class existed.
        self._resource = sagemaker.CfnEndpoint(
            self,
            "Default",
            endpoint_name=self.endpoint_name,
            endpoint_config_name=endpoint_config.endpoint_config_name,
            deployment_config=render_deployment_config(deployment, self.rollback_alarms) if deployment else None,
        )
        # SageMaker creates the group on first write if it is missing; it must exist before.
        self._resource.node.add_dependency(self.log_group)
        self._arn = self._resource.ref
        self._grant_log_writers(endpoint_config)
        if self.rollback_alarms:
            self._grant_alarm_readers(endpoint_config)
        #: The scalable target of each variant declared with ``auto_scaling``, by variant name.
        self.scalable_targets: dict[str, appscaling.ScalableTarget] = {
            v.variant_name: self.variant(v.variant_name)._scale(v.auto_scaling, facade_scope or self)
            for v in variants or []
            if isinstance(v, InstanceVariant) and v.auto_scaling
        }

    @staticmethod
    def from_endpoint_name(scope: Construct, id: str, endpoint_name: str) -> EndpointBase:
        """An existing endpoint, by name (an ``aws_sagemaker.IEndpoint``)."""
        check_pattern(scope, "endpoint_name", endpoint_name, NAME_PATTERN, NAME_RULE)
        return _ImportedEndpoint(scope, id, endpoint_name)

    @staticmethod
    def from_endpoint_arn(scope: Construct, id: str, endpoint_arn: str) -> EndpointBase:
        """An existing endpoint, by ARN (``arn:<partition>:sagemaker:<region>:<account>:endpoint/<name>``)."""
        name = Arn.split(endpoint_arn, ArnFormat.SLASH_RESOURCE_NAME).resource_name
        if name is None:
            raise fail(scope, "endpoint_arn", "an endpoint ARN (...:endpoint/<name>)", endpoint_arn)
        return _ImportedEndpoint(scope, id, name, endpoint_arn)

    @property
    def resource(self) -> sagemaker.CfnEndpoint:
        """The ``AWS::SageMaker::Endpoint``, for overrides."""
        return self._resource

    def grant_write_logs(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allows ``grantee`` to write the endpoint's log group and no other: what SageMaker does as
        the execution role of what the endpoint runs. The statement goes to a customer-managed
        policy: a Model's own, or ``ManagedGrants`` for a role this app declares (see
        ``ManagedPolicyGrant``); the endpoint is created after it.

        The endpoint grants this itself to the roles of its config's models and to the config's
        execution role. Call it for the roles it cannot know (a warning says when): those of an
        imported endpoint config's models, or of an imported model.
        """
        return grant_log_writing(grantee, self.log_group_name, before=self._resource, reason=_LOG_STREAMS_REASON)

    def _grant_log_writers(self, config: IEndpointConfig) -> None:
        """SageMaker writes the containers' logs as the execution role of each variant's model, and
        as the config's execution role for inference components: each may write this endpoint's
        group, granted here because only the endpoint knows the group's name."""
        self._grant_execution_roles(config, self.grant_write_logs,
                                    lambda why: warn_unknown_writer(self, why, self.log_group_name))

    def _grant_execution_roles(self, config: IEndpointConfig, grant: Callable[[iam.IGrantable], object],
                               unknown: Callable[[str], None]) -> None:
        """``grant`` to the config's execution role and each variant's model's (``unknown`` says why not)."""
        if config.variants is None:
            unknown("The endpoint config is imported, so the execution roles of its models are unknown")
            return
        if isinstance(config, EndpointConfig) and config.execution_role is not None:
            grant(config.execution_role)
        for model in _models_of(config.variants):
            grant_execution_role(model, grant, unknown)

    def grant_read_rollback_alarms(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allows ``grantee`` cloudwatch:DescribeAlarms on the endpoint's rollback alarms and no
        others: what SageMaker does as the execution role of what the endpoint runs while it
        deploys an update. The statement goes to a customer-managed policy (see
        ``grant_write_logs``); the endpoint is created and updated after it.

        The endpoint grants this itself to the roles it grants its logs to. Call it for the roles
        it cannot know (a warning says when); it needs a ``deployment``.
        """
        check(self, bool(self.rollback_alarms), "deployment", "given (an endpoint without deployment guardrails "
              "has no rollback alarms to read)", None)
        return grant_rollback_alarm_reading(grantee, self.rollback_alarms, before=self._resource)

    def _grant_alarm_readers(self, config: IEndpointConfig) -> None:
        """SageMaker reads the rollback alarms as the roles it writes the logs as (``_grant_log_writers``)."""
        self._grant_execution_roles(config, self.grant_read_rollback_alarms,
                                    lambda why: warn_unknown_alarm_reader(self, why))

    @property
    def log_group_name(self) -> str:
        """The name of the endpoint's log group, ``/aws/sagemaker/Endpoints/<endpoint name>``."""
        return ENDPOINT_LOG_GROUP_PREFIX + self.endpoint_name

    def apply_removal_policy(self, policy: RemovalPolicy) -> None:
        """Applies ``policy`` to the ``AWS::SageMaker::Endpoint``."""
        self._resource.apply_removal_policy(policy)

    def _retain_instance_counts(self) -> None:
        # Without this a stack update resets the instance counts autoscaling changed.
        self._resource.retain_all_variant_properties = True
        self._resource.exclude_retained_variant_properties = [
            sagemaker.CfnEndpoint.VariantPropertyProperty(variant_property_type=kind)
            for kind in ("DesiredWeight", "DataCaptureConfig")
        ]


def _models_of(variants: Sequence[Variant]) -> list[IModel]:
    """The models ``variants`` serve, each once (two variants may serve one model)."""
    models: list[IModel] = []
    for variant in variants:
        if variant.model is not None and all(variant.model is not known for known in models):
            models.append(variant.model)
    return models


@jsii.implements(sagemaker.IEndpoint)
class _ImportedEndpoint(EndpointBase):
    """An endpoint declared elsewhere: its name and ARN; its variants are named on use."""

    def __init__(self, scope: Construct, id: str, endpoint_name: str, endpoint_arn: str | None = None) -> None:
        super().__init__(scope, id)
        self._name = endpoint_name
        self._given_arn = endpoint_arn
        self._arn = endpoint_arn or self._format_arn(endpoint_name)
        self._init_variants(None)

    def _format_arn(self, name: str) -> str:
        return sagemaker_arn(environment_of(self), "endpoint", name)

    def _arns(self) -> list[str]:
        # A name imported by the user may differ in case from the one in SageMaker's ARN.
        if self._given_arn is not None:
            return [self._given_arn]
        return [self._format_arn(name) for name in arn_name_forms(self.endpoint_name)]
