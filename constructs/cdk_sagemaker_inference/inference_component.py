"""InferenceComponent: one model on a share of a component-hosting endpoint's instances.

Inference components are how several models share accelerator capacity today (Elastic
Inference's successor): the endpoint provides instances, and each component reserves accelerators,
CPU cores and memory on them for every copy of its model. SageMaker packs the copies onto the
instances, and Application Auto Scaling changes the copy count of each component on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from aws_cdk import Duration, Names, Resource, Stack
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct, Node

from . import _names
from ._iam import ManagedPolicyGrant
from ._validation import check, check_pattern, check_range, is_token
from .accelerator import REPLACEMENT_INSTANCE_TYPE, ElasticInferenceAccelerator, accelerator_memory_mb
from .instance_capacity import InstanceCapacity, capacity_of
from .instance_type import InstanceType
from .model import IModel

#: SageMaker's pattern for inference component, endpoint and variant names.
NAME_PATTERN = _names.NAME_PATTERN
_NAME_RULE = "1-63 letters, digits and hyphens, starting and ending with a letter or digit"
#: ``MinMemoryRequiredInMb`` and ``MaxMemoryRequiredInMb``: at least 128 MB.
MIN_MEMORY_MB = 128
#: ``NumberOfCpuCoresRequired``: at least a quarter of a core.
MIN_CPU_CORES = 0.25
#: Application Auto Scaling's dimension for a component's copies (botocore's ScalableDimension enum).
COPY_COUNT_DIMENSION = "sagemaker:inference-component:DesiredCopyCount"
#: Invocation metrics (``AWS/SageMaker``) and utilization metrics of components.
INVOCATION_NAMESPACE = "AWS/SageMaker"
UTILIZATION_NAMESPACE = "/aws/sagemaker/InferenceComponents"
# Application Auto Scaling's service-linked role for SageMaker: its policy covers inference
# components (DescribeInferenceComponent, UpdateInferenceComponentRuntimeConfig) as well as variants.
_SCALING_ROLE = (
    "aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
)
_FIVE_MINUTES = Duration.minutes(5)


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


@dataclass(frozen=True, kw_only=True)
class CopyAutoScaling:
    """Target tracking of ``SageMakerInferenceComponentInvocationsPerCopy`` for a component.

    The endpoint's managed instance scaling adds instances when new copies do not fit, and removes
    instances that no copy uses. Scaling to zero copies needs a step-scaling policy on
    ``NoCapacityInvocationFailures`` (target tracking cannot scale out from zero), which this package
    does not declare: ``min_copies`` is at least 1.

    :param max_copies: the most copies (>= min_copies).
    :param target_invocations_per_copy: invocations a minute one copy should get (> 0); measure it
        with a load test.
    :param min_copies: the fewest copies (>= 1). Default: 1.
    :param scale_in_cooldown: Default: 5 minutes, so that a lull does not remove copies at once.
    :param scale_out_cooldown: Default: 1 minute, so that copies follow a surge quickly.
    """

    max_copies: int
    target_invocations_per_copy: float
    min_copies: int = 1
    scale_in_cooldown: Duration = _FIVE_MINUTES
    scale_out_cooldown: Duration = Duration.minutes(1)


class ElasticInferenceVariant(Protocol):
    """What the migration helper reads from an Elastic Inference variant (``InstanceVariant``)."""

    @property
    def model(self) -> IModel:
        """The model the variant serves."""

    @property
    def accelerator(self) -> ElasticInferenceAccelerator | None:
        """The EI accelerator."""

    @property
    def initial_instance_count(self) -> int:
        """The variant's instances: one component copy each."""

    @property
    def model_data_download_timeout(self) -> Duration | None:
        """Carried over to the component."""

    @property
    def container_startup_health_check_timeout(self) -> Duration | None:
        """Carried over to the component."""


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
        """Allows ``grantee`` sagemaker:InvokeEndpoint on the hosting endpoint.

        The grant is on the endpoint, so ``grantee`` may invoke any of its components.
        """
        return ManagedPolicyGrant.add_to_principal(
            grantee=grantee, actions=["sagemaker:InvokeEndpoint"], resource_arns=[self._endpoint.endpoint_arn]
        )

    def metric(
        self,
        metric_name: str,
        *,
        statistic: str = cloudwatch.Stats.AVERAGE,
        period: Duration = _FIVE_MINUTES,
        namespace: str = INVOCATION_NAMESPACE,
    ) -> cloudwatch.Metric:
        """A metric SageMaker publishes for this component (dimension ``InferenceComponentName``).

        :param statistic: Default: average.
        :param period: Default: 5 minutes.
        :param namespace: Default: AWS/SageMaker (invocations); utilization metrics are in
            ``/aws/sagemaker/InferenceComponents``.
        """
        return cloudwatch.Metric(
            namespace=namespace,
            metric_name=metric_name,
            dimensions_map={"InferenceComponentName": self._name},
            statistic=statistic,
            period=period,
        )

    def metric_invocations(self, *, period: Duration = _FIVE_MINUTES) -> cloudwatch.Metric:
        """Requests sent to the component (sum). Default: 5 minutes."""
        return self.metric("Invocations", statistic=cloudwatch.Stats.SUM, period=period)

    def metric_invocations_per_copy(self, *, period: Duration = _FIVE_MINUTES) -> cloudwatch.Metric:
        """Requests per copy (sum), what copy-count autoscaling tracks. Default: 5 minutes."""
        return self.metric("InvocationsPerCopy", statistic=cloudwatch.Stats.SUM, period=period)

    def metric_model_latency(self, *, period: Duration = _FIVE_MINUTES) -> cloudwatch.Metric:
        """Time the model took to answer, in microseconds (average). Default: 5 minutes."""
        return self.metric("ModelLatency", period=period)

    def metric_5xx_errors(self, *, period: Duration = _FIVE_MINUTES) -> cloudwatch.Metric:
        """Requests the model failed (HTTP 5XX, sum). Default: 5 minutes."""
        return self.metric("Invocation5XXErrors", statistic=cloudwatch.Stats.SUM, period=period)

    def metric_4xx_errors(self, *, period: Duration = _FIVE_MINUTES) -> cloudwatch.Metric:
        """Requests refused as invalid (HTTP 4XX, sum). Default: 5 minutes."""
        return self.metric("Invocation4XXErrors", statistic=cloudwatch.Stats.SUM, period=period)

    def metric_gpu_utilization(self, *, period: Duration = _FIVE_MINUTES) -> cloudwatch.Metric:
        """GPU use of the component's copies as a share of their reserved GPUs, in percent (average)."""
        return self.metric("GPUUtilizationNormalized", period=period, namespace=UTILIZATION_NAMESPACE)

    def metric_gpu_memory_utilization(self, *, period: Duration = _FIVE_MINUTES) -> cloudwatch.Metric:
        """GPU memory use as a share of the reserved GPUs' memory, in percent (average)."""
        return self.metric("GPUMemoryUtilizationNormalized", period=period, namespace=UTILIZATION_NAMESPACE)

    def metric_cpu_utilization(self, *, period: Duration = _FIVE_MINUTES) -> cloudwatch.Metric:
        """CPU use as a share of the reserved cores, in percent (average). Default: 5 minutes."""
        return self.metric("CPUUtilizationNormalized", period=period, namespace=UTILIZATION_NAMESPACE)

    def metric_memory_utilization(self, *, period: Duration = _FIVE_MINUTES) -> cloudwatch.Metric:
        """Memory use as a share of the reserved memory, in percent (average). Default: 5 minutes."""
        return self.metric("MemoryUtilizationNormalized", period=period, namespace=UTILIZATION_NAMESPACE)


class InferenceComponent(_InferenceComponentBase):
    """An ``AWS::SageMaker::InferenceComponent``: ``model`` on a variant of ``endpoint``, ``copy_count`` times.

    - The endpoint must be a component-hosting one (its config's variant has no model and the config
      has an execution role); each copy reserves ``compute`` on one of its instances.
    - When ``instance_type`` (the hosting variant's) is known to the package (``instance_capacity``),
      one copy's requirements are checked against that type's vCPUs, memory and GPUs at synth.
    - The name is fixed, derived from the construct path: Application Auto Scaling addresses the
      component by name, and CloudFormation returns only its ARN. A component is updated in place
      (model, requirements and copy count), so a fixed name is safe.
    - With ``auto_scaling``, a stack update that changes the component sets the copy count back to
      ``copy_count``; scaling then adjusts it again.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        endpoint: sagemaker.IEndpoint,
        model: IModel,
        compute: ComputeRequirements,
        variant_name: str = "AllTraffic",
        instance_type: InstanceType | str | None = None,
        copy_count: int = 1,
        model_data_download_timeout: Duration | None = None,
        container_startup_health_check_timeout: Duration | None = None,
        auto_scaling: CopyAutoScaling | None = None,
        inference_component_name: str | None = None,
    ) -> None:
        """
        :param endpoint: the component-hosting endpoint; a construct of this app is deployed first.
        :param model: the model every copy runs.
        :param compute: what one copy reserves on an instance.
        :param variant_name: the endpoint's variant that hosts the component. Default: "AllTraffic".
        :param instance_type: the hosting variant's instance type, to check ``compute`` against.
            Default: None, not checked at synth.
        :param copy_count: copies at creation (>= 0; 0 keeps the component declared but idle).
            Default: 1.
        :param model_data_download_timeout: 60-3600 s. Default: None, SageMaker's default.
        :param container_startup_health_check_timeout: 60-3600 s. Default: None, SageMaker's default.
        :param auto_scaling: copy-count autoscaling. Default: None, the copy count stays as deployed.
        :param inference_component_name: Default: derived from the construct path (unique in the account).
        """
        super().__init__(scope, id)
        self._name = inference_component_name or Names.unique_resource_name(self, max_length=63, separator="-")
        self._endpoint = endpoint
        #: The model every copy runs.
        self.model = model
        #: What one copy reserves.
        self.compute = compute
        #: The hosting variant's instance type (None: not known here).
        self.instance_type = InstanceType.of(instance_type) if isinstance(instance_type, str) else instance_type
        self._validate(variant_name, copy_count, auto_scaling, model_data_download_timeout,
                       container_startup_health_check_timeout)

        startup = None
        if model_data_download_timeout or container_startup_health_check_timeout:
            startup = sagemaker.CfnInferenceComponent.InferenceComponentStartupParametersProperty(
                model_data_download_timeout_in_seconds=_seconds(model_data_download_timeout),
                container_startup_health_check_timeout_in_seconds=_seconds(container_startup_health_check_timeout),
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
        )
        # The endpoint's name may be a plain string (no reference): the endpoint must exist first.
        self.resource.node.add_dependency(endpoint)
        #: The component's ARN.
        self.inference_component_arn = self.resource.attr_inference_component_arn
        #: The copy-count scalable target (None without ``auto_scaling``).
        self.scalable_target = self._auto_scale(auto_scaling) if auto_scaling else None

    @staticmethod
    def from_inference_component_name(
        scope: Construct, id: str, inference_component_name: str, *, endpoint: sagemaker.IEndpoint
    ) -> IInferenceComponent:
        """An existing component of ``endpoint``, by name (for grants and metrics)."""
        check_pattern(scope, "inference_component_name", inference_component_name, NAME_PATTERN, _NAME_RULE)
        return _ImportedInferenceComponent(scope, id, inference_component_name, endpoint)

    @staticmethod
    def from_elastic_inference_variant(
        scope: Construct,
        id: str,
        *,
        variant: ElasticInferenceVariant,
        endpoint: sagemaker.IEndpoint,
        variant_name: str = "AllTraffic",
        instance_type: InstanceType | str = REPLACEMENT_INSTANCE_TYPE,
        cpu_cores: float | None = None,
    ) -> InferenceComponent:
        """The component that replaces an Elastic Inference variant: the same model, one copy per
        instance the variant had, each with one GPU and as much memory as the EI accelerator had
        (1-8 GB), and the variant's start-up timeouts.

        :param variant: the EI variant (an ``InstanceVariant`` with an ``accelerator``).
        :param endpoint: the component-hosting endpoint that takes over.
        :param variant_name: the endpoint's hosting variant. Default: "AllTraffic".
        :param instance_type: the hosting variant's type. Default: ml.g4dn.xlarge, the smallest
            NVIDIA type, whose one T4 has more memory than any EI accelerator.
        :param cpu_cores: vCPUs a copy reserves. Default: None, none reserved.
        """
        check(scope, variant.accelerator is not None, "variant.accelerator",
              "set (an Elastic Inference variant)", variant.accelerator)
        assert variant.accelerator is not None
        return InferenceComponent(
            scope,
            id,
            endpoint=endpoint,
            model=variant.model,
            compute=ComputeRequirements(
                accelerator_devices=1,
                min_memory_mb=accelerator_memory_mb(variant.accelerator),
                cpu_cores=cpu_cores,
            ),
            variant_name=variant_name,
            instance_type=instance_type,
            copy_count=variant.initial_instance_count,
            model_data_download_timeout=variant.model_data_download_timeout,
            container_startup_health_check_timeout=variant.container_startup_health_check_timeout,
        )

    # -- validation ---------------------------------------------------------------------------

    def _validate(
        self,
        variant_name: str,
        copy_count: int,
        scaling: CopyAutoScaling | None,
        download_timeout: Duration | None,
        health_check_timeout: Duration | None,
    ) -> None:
        check_pattern(self, "inference_component_name", self._name, NAME_PATTERN, _NAME_RULE)
        check_pattern(self, "variant_name", variant_name, NAME_PATTERN, _NAME_RULE)
        _check_integer(self, "copy_count", copy_count, 0)
        compute = self.compute
        _check_integer(self, "compute.min_memory_mb", compute.min_memory_mb, MIN_MEMORY_MB)
        if compute.max_memory_mb is not None:
            _check_integer(self, "compute.max_memory_mb", compute.max_memory_mb, MIN_MEMORY_MB)
            if not (is_token(compute.max_memory_mb) or is_token(compute.min_memory_mb)):
                check(self, compute.max_memory_mb >= compute.min_memory_mb, "compute.max_memory_mb",
                      f"at least min_memory_mb ({compute.min_memory_mb})", compute.max_memory_mb)
        if compute.accelerator_devices is not None:
            _check_integer(self, "compute.accelerator_devices", compute.accelerator_devices, 1)
        if compute.cpu_cores is not None and not is_token(compute.cpu_cores):
            check(self, compute.cpu_cores >= MIN_CPU_CORES, "compute.cpu_cores", f"at least {MIN_CPU_CORES}",
                  compute.cpu_cores)
        for prop, timeout in (
            ("model_data_download_timeout", download_timeout),
            ("container_startup_health_check_timeout", health_check_timeout),
        ):
            check_range(self, f"{prop} (seconds)", _seconds(timeout), 60, 3600)
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
        _check_integer(self, "auto_scaling.min_copies", scaling.min_copies, 1)
        _check_integer(self, "auto_scaling.max_copies", scaling.max_copies, 1)
        low, high = scaling.min_copies, scaling.max_copies
        if is_token(low) or is_token(high):
            return
        check(self, high >= low, "auto_scaling.max_copies", f"at least min_copies ({low})", high)
        if not is_token(copy_count):
            check(self, low <= copy_count <= high, "copy_count",
                  f"between auto_scaling.min_copies and max_copies ({low}-{high})", copy_count)
        if not is_token(scaling.target_invocations_per_copy):
            check(self, scaling.target_invocations_per_copy > 0, "auto_scaling.target_invocations_per_copy",
                  "greater than 0", scaling.target_invocations_per_copy)

    # -- scaling ------------------------------------------------------------------------------

    def _auto_scale(self, scaling: CopyAutoScaling) -> appscaling.ScalableTarget:
        role = iam.Role.from_role_arn(
            self,
            "ScalingRole",
            Stack.of(self).format_arn(service="iam", region="", resource="role", resource_name=_SCALING_ROLE),
            mutable=False,
        )
        target = appscaling.ScalableTarget(
            self,
            "Scaling",
            service_namespace=appscaling.ServiceNamespace.SAGEMAKER,
            resource_id=f"inference-component/{self._name}",
            scalable_dimension=COPY_COUNT_DIMENSION,
            min_capacity=scaling.min_copies,
            max_capacity=scaling.max_copies,
            role=role,
        )
        # Application Auto Scaling registers only an existing component.
        target.node.add_dependency(self.resource)
        target.scale_to_track_metric(
            "InvocationsPerCopy",
            target_value=scaling.target_invocations_per_copy,
            predefined_metric=appscaling.PredefinedMetric.SAGEMAKER_INFERENCE_COMPONENT_INVOCATIONS_PER_COPY,
            scale_in_cooldown=scaling.scale_in_cooldown,
            scale_out_cooldown=scaling.scale_out_cooldown,
        )
        return target


class _ImportedInferenceComponent(_InferenceComponentBase):
    """A component declared elsewhere: its name and endpoint are known."""

    def __init__(self, scope: Construct, id: str, name: str, endpoint: sagemaker.IEndpoint) -> None:
        super().__init__(scope, id)
        self._name = name
        self._endpoint = endpoint


def _check_integer(where: Construct, prop: str, value: float, low: int) -> None:
    """A whole number of at least ``low`` (SageMaker's integer fields refuse 1.5); tokens pass."""
    if is_token(value):
        return
    check(where, isinstance(value, int) and not isinstance(value, bool) and value >= low, prop,
          f"a whole number of at least {low}", value)


def _seconds(duration: Duration | None) -> int | None:
    """Whole seconds of ``duration``; None stays None (the prop is not set)."""
    return None if duration is None else int(duration.to_seconds())
