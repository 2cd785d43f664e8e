"""InferenceComponent: one model on a share of a component-hosting endpoint's instances.

Inference components are how several models share accelerator capacity today (Elastic
Inference's successor): the endpoint provides instances, and each component reserves accelerators,
CPU cores and memory on them for every copy of its model. SageMaker packs the copies onto the
instances, and Application Auto Scaling changes the copy count of each component on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from aws_cdk import Annotations, Duration, Names, Resource
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct, Node

from ._batch import batched
from ._iam import ManagedPolicyGrant
from ._log_groups import declare_log_group, grant_log_writing, warn_unknown_writer
from ._metrics import COMPONENT_UTILIZATION_NAMESPACE, NO_CAPACITY_METRIC, Statistic, component_metric
from ._names import NAME_PATTERN, NAME_RULE
from ._validation import check, check_integer, check_pattern, check_seconds, is_token, whole_seconds
from .accelerator import REPLACEMENT_INSTANCE_TYPE, accelerator_memory_mb
from .component_deployment import (
    ComponentRollingUpdate,
    component_rollback_alarms,
    render_rolling_update,
    validate_rolling_update,
)
from .deployment import grant_rollback_alarm_reading, warn_unknown_alarm_reader
from .endpoint import Endpoint, EndpointBase
from .endpoint_config import EndpointConfig, InstanceVariant
from .instance_capacity import InstanceCapacity, capacity_of
from .instance_type import InstanceType, to_instance_type
from .model import IModel, grant_execution_role
from .scaling import CopyAutoScaling, check_target_tracking, scale_component, wake_from_zero

#: ``MinMemoryRequiredInMb`` and ``MaxMemoryRequiredInMb``: at least 128 MB.
MIN_MEMORY_MB = 128
#: ``NumberOfCpuCoresRequired``: at least a quarter of a core.
MIN_CPU_CORES = 0.25
_INVOKE_ACTIONS = ["sagemaker:InvokeEndpoint"]
#: SageMaker writes a component's container logs to ``/aws/sagemaker/InferenceComponents/<name>``.
COMPONENT_LOG_GROUP_PREFIX = "/aws/sagemaker/InferenceComponents/"
_LOG_STREAMS_REASON = ("SageMaker names the streams of a component's log group after its copies; the wildcard "
                       "covers the streams of this component's group only.")
#: The variant name SageMaker's tools give a single variant.
DEFAULT_VARIANT_NAME = "AllTraffic"


@dataclass(frozen=True, kw_only=True)
class ComputeRequirements:
    """What every copy of a component's model reserves on an instance.

    :param min_memory_mb: memory a copy reserves (at least 128 MB): SageMaker places a copy only on
        an instance with this much free.
    :param accelerator_devices: GPUs (or AWS Inferentia devices) a copy reserves (at least 1).
        Default: None, a CPU-only model.
    :param cpu_cores: vCPUs a copy reserves (at least 0.25). Default: None, none are reserved.
    :param max_memory_mb: the most memory a copy may use (at least ``min_memory_mb``).
        Default: None, no limit beyond the instance's.
    """

    min_memory_mb: int
    accelerator_devices: int | None = None
    cpu_cores: float | None = None
    max_memory_mb: int | None = None


class IInferenceComponent(Protocol):
    """An inference component, declared here or imported by name."""

    @property
    def node(self) -> Node:
        """The construct tree node."""

    @property
    def inference_component_name(self) -> str:
        """The component's name: what callers pass as ``InferenceComponentName``."""

    @property
    def endpoint(self) -> sagemaker.IEndpoint:
        """The endpoint that hosts the component."""

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Lets ``grantee`` invoke the component (InvokeEndpoint on its endpoint)."""


class _InferenceComponentBase(Resource):
    """Grants and metrics, for declared and imported components alike."""

    _name: str
    _endpoint: sagemaker.IEndpoint

    @property
    def inference_component_name(self) -> str:
        """The component's name: what callers pass as ``InferenceComponentName``."""
        return self._name

    @property
    def endpoint(self) -> sagemaker.IEndpoint:
        """The endpoint that hosts the component."""
        return self._endpoint

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allows ``grantee`` sagemaker:InvokeEndpoint on the hosting endpoint, in a customer-managed
        policy when ``grantee`` is a role this app declares (see ``ManagedPolicyGrant``).

        The grant is on the endpoint, so ``grantee`` may invoke any of its components.
        """
        return ManagedPolicyGrant.add_to_principal(
            grantee=grantee, actions=_INVOKE_ACTIONS, resource_arns=[self._endpoint.endpoint_arn]
        )

    def metric(self, metric_name: str, **options: Any) -> cloudwatch.Metric:
        """A metric SageMaker publishes for this component in AWS/SageMaker (dimension
        ``InferenceComponentName``).

        :param options: ``cloudwatch.MetricOptions`` keywords. Default: average over 5 minutes.
        """
        return component_metric(self._name, metric_name, Statistic.AVERAGE, **options)

    def metric_invocations(self, **options: Any) -> cloudwatch.Metric:
        """Requests sent to the component. Default: sum over 5 minutes."""
        return component_metric(self._name, "Invocations", Statistic.SUM, **options)

    def metric_invocations_per_copy(self, **options: Any) -> cloudwatch.Metric:
        """Requests per copy, what copy-count autoscaling tracks. Default: sum over 5 minutes."""
        return component_metric(self._name, "InvocationsPerCopy", Statistic.SUM, **options)

    def metric_model_latency(self, **options: Any) -> cloudwatch.Metric:
        """Time the model took to answer, in microseconds. Default: average over 5 minutes."""
        return self.metric("ModelLatency", **options)

    def metric_5xx_errors(self, **options: Any) -> cloudwatch.Metric:
        """Requests the model failed (HTTP 5XX). Default: sum over 5 minutes."""
        return component_metric(self._name, "Invocation5XXErrors", Statistic.SUM, **options)

    def metric_4xx_errors(self, **options: Any) -> cloudwatch.Metric:
        """Requests refused as invalid (HTTP 4XX). Default: sum over 5 minutes."""
        return component_metric(self._name, "Invocation4XXErrors", Statistic.SUM, **options)

    def metric_no_capacity_invocation_failures(self, **options: Any) -> cloudwatch.Metric:
        """Requests that found no copy to serve them (the component was scaled to zero). Default:
        sum over 5 minutes."""
        return component_metric(self._name, NO_CAPACITY_METRIC, Statistic.SUM, **options)

    def metric_gpu_utilization(self, **options: Any) -> cloudwatch.Metric:
        """GPU use as a percentage of the copies' reserved GPUs. Default: average over 5 minutes."""
        return self._utilization("GPUUtilizationNormalized", options)

    def metric_gpu_memory_utilization(self, **options: Any) -> cloudwatch.Metric:
        """GPU memory use as a percentage of the reserved GPUs' memory. Default: average over 5 minutes."""
        return self._utilization("GPUMemoryUtilizationNormalized", options)

    def metric_cpu_utilization(self, **options: Any) -> cloudwatch.Metric:
        """CPU use as a percentage of the reserved cores. Default: average over 5 minutes."""
        return self._utilization("CPUUtilizationNormalized", options)

    def metric_memory_utilization(self, **options: Any) -> cloudwatch.Metric:
        """Memory use as a percentage of the reserved memory. Default: average over 5 minutes."""
        return self._utilization("MemoryUtilizationNormalized", options)

    def _utilization(self, metric_name: str, options: dict[str, Any]) -> cloudwatch.Metric:
        return component_metric(self._name, metric_name, Statistic.AVERAGE,
                                namespace=COMPONENT_UTILIZATION_NAMESPACE, **options)


class InferenceComponent(_InferenceComponentBase):
    """An ``AWS::SageMaker::InferenceComponent``: ``model`` on a variant of ``endpoint``, ``copy_count`` times.

    - The endpoint must be a component-hosting one (its config's variants have no model and the
      config has an execution role); each copy reserves ``compute`` on one of its instances. An
      ``Endpoint`` or ``RealtimeEndpoint`` of this app is checked for that, and its variant's instance type is known.
    - When the hosting instance type is known to the package (``instance_capacity``), one copy's
      requirements are checked against that type's vCPUs, memory and GPUs at synth.
    - The name is fixed, derived from the construct path: Application Auto Scaling addresses the
      component by name, and CloudFormation returns only its ARN. A component is updated in place
      (model, requirements and copy count), so a fixed name is safe.
    - With ``auto_scaling``, a stack update that changes the component sets the copy count back to
      ``copy_count``; scaling then adjusts it again. With ``min_copies=0`` it scales to zero copies
      and back: requests that find no copy fail and make an alarm add copies.
    - With ``deployment``, such an update replaces the copies a batch at a time and rolls back
      when a rollback alarm fires (two alarms of the component's own by default). Its model's role
      and the hosting config's execution role may read those alarms (cloudwatch:DescribeAlarms),
      as SageMaker does while it deploys.
    - It declares the log group SageMaker writes its copies' logs to
      (``/aws/sagemaker/InferenceComponents/<name>``), encrypted, expiring and retained, and lets its
      model's role and the hosting config's execution role write that group only.
    """

    @batched()
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        endpoint: sagemaker.IEndpoint,
        model: IModel,
        compute: ComputeRequirements,
        variant_name: str | None = None,
        instance_type: InstanceType | str | None = None,
        copy_count: int = 1,
        model_data_download_timeout: Duration | None = None,
        container_startup_health_check_timeout: Duration | None = None,
        auto_scaling: CopyAutoScaling | None = None,
        deployment: ComponentRollingUpdate | None = None,
        inference_component_name: str | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        log_encryption_key: kms.IKey | None = None,
    ) -> None:
        """
        :param endpoint: the component-hosting endpoint; a construct of this app is deployed first.
        :param model: the model every copy runs.
        :param compute: what one copy reserves on an instance.
        :param variant_name: the endpoint's variant that hosts the component. Default: the first
            variant of an endpoint declared here, else "AllTraffic" (SageMaker's usual name).
        :param instance_type: the hosting variant's instance type, to check ``compute`` against.
            Default: the variant's, for an endpoint declared here; else not checked at synth.
        :param copy_count: copies at creation (>= 0; 0 keeps the component declared but idle).
            Default: 1.
        :param model_data_download_timeout: 60-3600 s. Default: None, SageMaker's default.
        :param container_startup_health_check_timeout: 60-3600 s. Default: None, SageMaker's default.
        :param auto_scaling: copy-count autoscaling; ``min_copies=0`` scales to zero. Default: None,
            the copy count stays as deployed.
        :param deployment: how an update replaces the copies (a rolling update with rollback alarms).
            Default: None, no deployment config: SageMaker's own way, with no alarms watched.
        :param inference_component_name: Default: derived from the construct path (unique in the account).
        :param log_retention: how long the component's log group keeps its containers' logs.
            Default: one year (HIPAA, NIST and PCI require a retention).
        :param log_encryption_key: encrypts the component's log group. Default: the hosting
            endpoint's log key for an endpoint declared here, else a new key with rotation.
        """
        super().__init__(scope, id)
        self._name = inference_component_name or Names.unique_resource_name(self, max_length=63, separator="-")
        self._endpoint = endpoint
        #: The model every copy runs.
        self.model = model
        #: What one copy reserves.
        self.compute = compute
        variant_name, known_type = self._hosting_variant(endpoint, variant_name)
        #: The hosting variant's name.
        self.variant_name = variant_name
        #: The hosting variant's instance type (None: not known here).
        self.instance_type = (
            to_instance_type(self, "instance_type", instance_type) if instance_type is not None else known_type
        )
        self._validate(copy_count, auto_scaling, model_data_download_timeout, container_startup_health_check_timeout)
        #: The alarms that roll an update back (empty without ``deployment``).
        self.rollback_alarms: list[cloudwatch.IAlarm] = []
        if deployment is not None:
            validate_rolling_update(self, deployment, _fewest_copies(copy_count, auto_scaling))
            self.rollback_alarms = list(deployment.rollback_alarms or component_rollback_alarms(
                self, component_name=self._name, latency_threshold=deployment.model_latency_threshold))

        startup = None
        if model_data_download_timeout or container_startup_health_check_timeout:
            startup = sagemaker.CfnInferenceComponent.InferenceComponentStartupParametersProperty(
                model_data_download_timeout_in_seconds=whole_seconds(model_data_download_timeout),
                container_startup_health_check_timeout_in_seconds=whole_seconds(container_startup_health_check_timeout),
            )
        #: The AWS::SageMaker::InferenceComponent.
        self.resource = sagemaker.CfnInferenceComponent(
            self,
            "Resource",
            inference_component_name=self._name,
            endpoint_name=endpoint.endpoint_name,
            variant_name=variant_name,
            specification=sagemaker.CfnInferenceComponent.InferenceComponentSpecificationProperty(
                model_name=model.model_name,
                compute_resource_requirements=(
                    sagemaker.CfnInferenceComponent.InferenceComponentComputeResourceRequirementsProperty(
                        min_memory_required_in_mb=compute.min_memory_mb,
                        max_memory_required_in_mb=compute.max_memory_mb,
                        number_of_accelerator_devices_required=compute.accelerator_devices,
                        number_of_cpu_cores_required=compute.cpu_cores,
                    )
                ),
                startup_parameters=startup,
            ),
            runtime_config=sagemaker.CfnInferenceComponent.InferenceComponentRuntimeConfigProperty(
                copy_count=copy_count
            ),
            deployment_config=(
                render_rolling_update(deployment, self.rollback_alarms) if deployment is not None else None
            ),
        )
        # The endpoint's name may be a plain string (no reference): the endpoint must exist first.
        self.resource.node.add_dependency(endpoint)
        hosting = endpoint._declared_endpoint if isinstance(endpoint, EndpointBase) else None
        group, key = declare_log_group(
            self, name=self.log_group_name, retention=log_retention,
            key=log_encryption_key or (hosting.log_encryption_key if hosting is not None else None),
            description=f"Encrypts the logs of inference component {id}",
        )
        #: The log group SageMaker writes the copies' container logs to; declared so that it is
        #: encrypted and expires (SageMaker would create it unencrypted and keep it forever).
        self.log_group: logs.LogGroup = group
        #: The key that encrypts the component's log group.
        self.log_encryption_key: kms.IKey = key
        self.resource.node.add_dependency(group)
        self._grant_log_writers(hosting, model)
        if self.rollback_alarms:
            self._grant_alarm_readers(hosting, model)
        #: The component's ARN.
        self.inference_component_arn = self.resource.attr_inference_component_arn
        #: The copy-count scalable target (None without ``auto_scaling``).
        self.scalable_target: appscaling.ScalableTarget | None = None
        #: The alarm that adds a copy when a request finds none (None unless ``min_copies`` may be 0).
        self.scale_from_zero_alarm: cloudwatch.Alarm | None = None
        if auto_scaling:
            self.scalable_target = scale_component(
                self, component_name=self._name, scaling=auto_scaling, component=self.resource
            )
            # A token may be 0 once deployed: only a known minimum of one copy or more can do without.
            if is_token(auto_scaling.min_copies) or auto_scaling.min_copies == 0:
                self.scale_from_zero_alarm = wake_from_zero(
                    self, component_name=self._name, target=self.scalable_target
                )

    @property
    def log_group_name(self) -> str:
        """``/aws/sagemaker/InferenceComponents/<component name>``, where SageMaker writes its logs."""
        return COMPONENT_LOG_GROUP_PREFIX + self._name

    def grant_write_logs(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allows ``grantee`` to write the component's log group and no other, before the component
        is created (see ``Endpoint.grant_write_logs``). The component grants this itself to its
        model's role and to the hosting config's execution role when they are known here."""
        return grant_log_writing(grantee, self.log_group_name, before=self.resource, reason=_LOG_STREAMS_REASON)

    def _grant_log_writers(self, hosting: Endpoint | None, model: IModel) -> None:
        """SageMaker writes a copy's logs as the model's execution role or as the hosting config's
        (which role is not documented): each may write this component's group only."""
        grant_execution_role(model, self.grant_write_logs,
                             lambda why: warn_unknown_writer(self, why, self.log_group_name))
        role = _config_execution_role(hosting)
        if role is not None:
            self.grant_write_logs(role)

    def grant_read_rollback_alarms(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allows ``grantee`` cloudwatch:DescribeAlarms on the component's rollback alarms and no
        others, before the component is created or updated (see ``Endpoint.grant_read_rollback_alarms``).
        The component grants this itself to its model's role and to the hosting config's execution
        role when they are known here (a warning says when not); it needs a ``deployment``."""
        check(self, bool(self.rollback_alarms), "deployment", "given (a component without a rolling update has "
              "no rollback alarms to read)", None)
        return grant_rollback_alarm_reading(grantee, self.rollback_alarms, before=self.resource)

    def _grant_alarm_readers(self, hosting: Endpoint | None, model: IModel) -> None:
        """SageMaker reads the rollback alarms as one of the roles it deploys the component with
        (which is not documented): the model's and the hosting config's may both read them."""
        grant_execution_role(model, self.grant_read_rollback_alarms, lambda why: warn_unknown_alarm_reader(self, why))
        role = _config_execution_role(hosting)
        if role is not None:
            self.grant_read_rollback_alarms(role)
        elif hosting is None:
            warn_unknown_alarm_reader(self, "The hosting endpoint is imported, so its config's execution role is "
                                      "unknown")

    @staticmethod
    def from_inference_component_name(
        scope: Construct, id: str, inference_component_name: str, *, endpoint: sagemaker.IEndpoint
    ) -> IInferenceComponent:
        """An existing component of ``endpoint``, by name (for grants and metrics)."""
        check_pattern(scope, "inference_component_name", inference_component_name, NAME_PATTERN, NAME_RULE)
        return _ImportedInferenceComponent(scope, id, inference_component_name, endpoint)

    @staticmethod
    def from_elastic_inference_variant(
        scope: Construct,
        id: str,
        *,
        variant: InstanceVariant,
        endpoint: sagemaker.IEndpoint,
        variant_name: str | None = None,
        instance_type: InstanceType | str | None = None,
        cpu_cores: float | None = None,
    ) -> InferenceComponent:
        """The component that replaces an Elastic Inference variant: the same model, one copy per
        instance the variant had, each with one GPU and as much memory as the EI accelerator had
        (1-8 GB), and the variant's start-up timeouts.

        :param variant: the EI variant (an ``InstanceVariant`` with an ``accelerator``).
        :param endpoint: the component-hosting endpoint that takes over.
        :param variant_name: the endpoint's hosting variant. Default: as ``InferenceComponent``.
        :param instance_type: the hosting variant's type. Default: the variant's for an endpoint
            declared here, else ml.g4dn.xlarge, the smallest NVIDIA type (the suggested replacement),
            whose one T4 has more memory than any EI accelerator.
        :param cpu_cores: vCPUs a copy reserves. Default: None, none reserved.
        """
        accelerator, model = variant.resolved_accelerator, variant.model
        check(scope, accelerator is not None, "variant.accelerator", "set (an Elastic Inference variant)", accelerator)
        check(scope, model is not None, "variant.model", "set (the model the component takes over)", model)
        assert accelerator is not None and model is not None
        component = InferenceComponent(
            scope,
            id,
            endpoint=endpoint,
            model=model,
            compute=ComputeRequirements(
                accelerator_devices=1,
                min_memory_mb=accelerator_memory_mb(accelerator),
                cpu_cores=cpu_cores,
            ),
            variant_name=variant_name,
            instance_type=instance_type or (
                None if isinstance(endpoint, EndpointBase) and endpoint.variants else REPLACEMENT_INSTANCE_TYPE
            ),
            copy_count=variant.initial_instance_count,
            model_data_download_timeout=variant.model_data_download_timeout,
            container_startup_health_check_timeout=variant.container_startup_health_check_timeout,
        )
        if model.elastic_inference_capable:
            Annotations.of(component).add_warning_v2(
                "cdk-sagemaker-inference:elasticInferenceImage",
                f"{model.node.path} runs an Elastic Inference image, which does not use a local GPU: "
                "serve the same artifacts with the framework's GPU image (e.g. "
                "ContainerImage.sagemaker_builtin(Framework.PYTORCH, version, processor=Processor.GPU)).",
            )
        return component

    # -- validation ---------------------------------------------------------------------------

    def _hosting_variant(
        self, endpoint: sagemaker.IEndpoint, variant_name: str | None
    ) -> tuple[str, InstanceType | None]:
        """The hosting variant's name and instance type; a declared endpoint's variant must host components."""
        if not isinstance(endpoint, EndpointBase):
            name = variant_name or DEFAULT_VARIANT_NAME
            check_pattern(self, "variant_name", name, NAME_PATTERN, NAME_RULE)
            return name, None
        handle = endpoint.variant(variant_name or (None if endpoint.variants else DEFAULT_VARIANT_NAME))
        # A RealtimeEndpoint (the facade) is checked through the Endpoint it declares.
        hosting = endpoint._declared_endpoint
        if hosting is not None and hosting.endpoint_config.variants is not None:
            [declared] = [v for v in hosting.endpoint_config.variants if v.variant_name == handle.variant_name]
            check(self, declared.model is None, "endpoint", f"an endpoint whose variant {handle.variant_name} "
                  "hosts inference components (no model)", endpoint.node.path)
        return handle.variant_name, handle.instance_type

    def _validate(
        self,
        copy_count: int,
        scaling: CopyAutoScaling | None,
        download_timeout: Duration | None,
        health_check_timeout: Duration | None,
    ) -> None:
        check_pattern(self, "inference_component_name", self._name, NAME_PATTERN, NAME_RULE)
        check_integer(self, "copy_count", copy_count, 0)
        compute = self.compute
        check_integer(self, "compute.min_memory_mb", compute.min_memory_mb, MIN_MEMORY_MB)
        if compute.max_memory_mb is not None:
            check_integer(self, "compute.max_memory_mb", compute.max_memory_mb, MIN_MEMORY_MB)
            if not (is_token(compute.max_memory_mb) or is_token(compute.min_memory_mb)):
                check(self, compute.max_memory_mb >= compute.min_memory_mb, "compute.max_memory_mb",
                      f"at least min_memory_mb ({compute.min_memory_mb})", compute.max_memory_mb)
        if compute.accelerator_devices is not None:
            check_integer(self, "compute.accelerator_devices", compute.accelerator_devices, 1)
        if compute.cpu_cores is not None and not is_token(compute.cpu_cores):
            check(self, compute.cpu_cores >= MIN_CPU_CORES, "compute.cpu_cores", f"at least {MIN_CPU_CORES}",
                  compute.cpu_cores)
        for prop, timeout in (
            ("model_data_download_timeout", download_timeout),
            ("container_startup_health_check_timeout", health_check_timeout),
        ):
            check_seconds(self, prop, timeout, 60, 3600)
        if self.instance_type is not None:
            capacity = capacity_of(self.instance_type.name)
            if capacity is not None:
                self._check_fits(self.instance_type.name, capacity)
        if scaling is not None:
            self._validate_scaling(scaling, copy_count)

    def _check_fits(self, instance_type: str, capacity: InstanceCapacity) -> None:
        """One copy must fit on one instance of the hosting type."""
        compute = self.compute
        for prop, wanted, available, unit in (
            ("compute.min_memory_mb", compute.min_memory_mb, capacity.memory_mb, "MB of memory"),
            ("compute.max_memory_mb", compute.max_memory_mb, capacity.memory_mb, "MB of memory"),
            ("compute.cpu_cores", compute.cpu_cores, capacity.vcpus, "vCPUs"),
            ("compute.accelerator_devices", compute.accelerator_devices, capacity.accelerators, "GPUs"),
        ):
            if wanted is None or is_token(wanted):
                continue
            check(self, wanted <= available, prop,
                  f"at most {available} ({instance_type} has {available} {unit})", wanted)

    def _validate_scaling(self, scaling: CopyAutoScaling, copy_count: int) -> None:
        check_integer(self, "auto_scaling.min_copies", scaling.min_copies, 0)
        check_integer(self, "auto_scaling.max_copies", scaling.max_copies, 1)
        check_target_tracking(self, "auto_scaling", scaling, "target_invocations_per_copy",
                              scaling.target_invocations_per_copy)
        low, high = scaling.min_copies, scaling.max_copies
        if is_token(low) or is_token(high):
            return
        check(self, high >= low, "auto_scaling.max_copies", f"at least min_copies ({low})", high)
        if not is_token(copy_count):
            check(self, low <= copy_count <= high, "copy_count",
                  f"between auto_scaling.min_copies and max_copies ({low}-{high})", copy_count)


def _fewest_copies(copy_count: int, scaling: CopyAutoScaling | None) -> int | None:
    """The fewest copies the component can have at an update (None: a token, not known at synth)."""
    counts = [copy_count] + ([scaling.min_copies] if scaling is not None else [])
    return None if any(is_token(c) for c in counts) else min(counts)


class _ImportedInferenceComponent(_InferenceComponentBase):
    """A component declared elsewhere: its name and endpoint are known."""

    def __init__(self, scope: Construct, id: str, name: str, endpoint: sagemaker.IEndpoint) -> None:
        super().__init__(scope, id)
        self._name = name
        self._endpoint = endpoint


def _config_execution_role(hosting: Endpoint | None) -> iam.IRole | None:
    """The execution role of the config ``hosting`` runs, when this app declares both."""
    if hosting is not None and isinstance(hosting.endpoint_config, EndpointConfig):
        return hosting.endpoint_config.execution_role
    return None
