"""RealtimeEndpoint: an endpoint config and an endpoint, with variants, scaling and deployment guardrails."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence

from aws_cdk import Annotations, CfnOutput, Duration, Names, Stack
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from ._validation import check, check_count, check_one_of, check_pattern, check_range, is_token
from .accelerator import ELASTIC_INFERENCE_RETIRED, ElasticInferenceAccelerator
from .compliance import acknowledge, acknowledge_wildcard_resource
from .instance_type import InstanceType
from .model import IModel

#: SageMaker's pattern for endpoint and variant names.
NAME_PATTERN = r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
_NAME_RULE = "1-63 letters, digits and hyphens, starting and ending with a letter or digit"
#: aws-cdk-lib's built-in CloudFormation validation (flag ``@aws-cdk/core:validateAgainstDefaultRules``)
#: rejects ``AcceleratorType``, which its schema no longer lists: "Additional properties are not allowed".
CFN_VALIDATE_ADDITIONAL_PROPERTIES = "CloudFormation-Validate::F3002"
_ENDPOINT_CONFIG_KMS_RULES = (
    "HIPAA.Security-SageMakerEndpointConfigurationKMSKeyConfigured",
    "NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured",
    "PCI.DSS.321-SageMakerEndpointConfigurationKMSKeyConfigured",
)
_ALARM_ACTION_RULES = ("HIPAA.Security-CloudWatchAlarmAction", "NIST.800.53.R5-CloudWatchAlarmAction")
_NAMESPACE = "AWS/SageMaker"
# Application Auto Scaling's service-linked role for SageMaker variants: it holds exactly the
# permissions scaling needs, so the construct creates no role of its own.
_SCALING_ROLE = (
    "aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
)
_SERVERLESS_MEMORY_SIZES = range(1024, 6145, 1024)
_MAX_ROLLBACK_ALARMS = 10
_FIVE_MINUTES = Duration.minutes(5)


class TrafficRoutingType(enum.Enum):
    """How a blue/green deployment moves traffic to the new fleet."""

    #: Everything at once, after the new fleet is healthy.
    ALL_AT_ONCE = "ALL_AT_ONCE"
    #: A canary share first, the rest after the wait interval.
    CANARY = "CANARY"
    #: Equal steps, each after the wait interval.
    LINEAR = "LINEAR"


@dataclasses.dataclass(frozen=True)
class TrafficRouting:
    """A traffic-shifting mode; use the factories ``all_at_once``, ``canary`` and ``linear``."""

    #: The mode.
    type: TrafficRoutingType
    #: Percent of the new fleet's capacity a canary or linear step gets (None for all-at-once).
    step_percent: int | None
    #: How long the deployment bakes before shifting (more) traffic; rollback alarms are watched meanwhile.
    wait_interval: Duration

    @staticmethod
    def all_at_once(*, wait_interval: Duration = _FIVE_MINUTES) -> TrafficRouting:
        """All traffic moves at once; the old fleet stays ``wait_interval`` (0-3600 s) for a rollback.

        :param wait_interval: Default: 5 minutes, long enough for a 1-minute 5XX alarm to fire.
        """
        return TrafficRouting(TrafficRoutingType.ALL_AT_ONCE, None, wait_interval)

    @staticmethod
    def canary(*, percent: int = 10, wait_interval: Duration = _FIVE_MINUTES) -> TrafficRouting:
        """``percent`` (1-50) of the capacity first, the rest after ``wait_interval`` (0-3600 s).

        :param percent: Default: 10, a small blast radius that still sees real traffic.
        :param wait_interval: Default: 5 minutes.
        """
        return TrafficRouting(TrafficRoutingType.CANARY, percent, wait_interval)

    @staticmethod
    def linear(*, percent: int = 20, wait_interval: Duration = _FIVE_MINUTES) -> TrafficRouting:
        """Steps of ``percent`` (10-50) of the capacity, ``wait_interval`` (0-3600 s) apart.

        :param percent: Default: 20, five steps.
        :param wait_interval: Default: 5 minutes.
        """
        return TrafficRouting(TrafficRoutingType.LINEAR, percent, wait_interval)


@dataclasses.dataclass(frozen=True, kw_only=True)
class BlueGreenDeployment:
    """Deployment guardrails: how an update shifts traffic, and which alarms roll it back.

    :param traffic_routing: Default: all at once, the only mode EI and Inf1 variants support.
    :param maximum_execution_timeout: the longest the whole deployment may take (600-28800 s).
        Default: None, SageMaker's own limit.
    :param termination_wait: how long the old fleet is kept after the shift (0-3600 s).
        Default: None, SageMaker terminates it at once.
    :param rollback_alarms: 1-10 alarms that roll the update back while they are in ALARM.
        Default: None, the endpoint creates two a variant (Invocation5XXErrors >= 1 in a minute and
        average ModelLatency above ``model_latency_threshold`` for 3 minutes), so at most 5 variants.
    :param model_latency_threshold: the default latency alarm's threshold. Default: 1 second.
    """

    traffic_routing: TrafficRouting = dataclasses.field(default_factory=TrafficRouting.all_at_once)
    maximum_execution_timeout: Duration | None = None
    termination_wait: Duration | None = None
    rollback_alarms: Sequence[cloudwatch.IAlarm] | None = None
    model_latency_threshold: Duration = Duration.seconds(1)


@dataclasses.dataclass(frozen=True, kw_only=True)
class VariantAutoScaling:
    """Target tracking of ``SageMakerVariantInvocationsPerInstance`` for an instance variant.

    :param max_capacity: the most instances (>= min_capacity).
    :param target_invocations_per_instance: invocations a minute one instance should get (> 0);
        measure it with a load test, it depends on the model.
    :param min_capacity: the fewest instances (>= 1). Default: 1.
    :param scale_in_cooldown: Default: 5 minutes, so that a lull does not remove capacity at once.
    :param scale_out_cooldown: Default: 1 minute, so that capacity follows a surge quickly.
    """

    max_capacity: int
    target_invocations_per_instance: float
    min_capacity: int = 1
    scale_in_cooldown: Duration = _FIVE_MINUTES
    scale_out_cooldown: Duration = Duration.minutes(1)


@dataclasses.dataclass(frozen=True, kw_only=True)
class InstanceVariant:
    """A production variant on dedicated instances.

    :param model: the model it serves.
    :param instance_type: Default: ml.m5.large, the smallest general-purpose type that autoscales.
    :param variant_name: Default: "AllTraffic". Keep it stable: guardrails and autoscaling follow the
        name across updates. Several variants need distinct names.
    :param initial_instance_count: instances at creation (>= 1). Default: 1.
    :param initial_weight: relative share of traffic (>= 0). Default: 1.
    :param volume_size_gb: storage volume (1-512 GB); not for types with local NVMe storage.
        Default: None, SageMaker's default for the type.
    :param model_data_download_timeout: 60-3600 s. Default: None, SageMaker's default.
    :param container_startup_health_check_timeout: 60-3600 s. Default: None, SageMaker's default.
    :param accelerator: an Elastic Inference accelerator (end of life; a CPU type and an EI-capable
        model only). Default: None.
    :param auto_scaling: Default: None, the instance count stays as deployed.
    """

    model: IModel
    instance_type: InstanceType = InstanceType.M5_LARGE
    variant_name: str = "AllTraffic"
    initial_instance_count: int = 1
    initial_weight: float = 1.0
    volume_size_gb: int | None = None
    model_data_download_timeout: Duration | None = None
    container_startup_health_check_timeout: Duration | None = None
    accelerator: ElasticInferenceAccelerator | None = None
    auto_scaling: VariantAutoScaling | None = None


@dataclasses.dataclass(frozen=True, kw_only=True)
class ServerlessVariant:
    """The one variant of a serverless endpoint: no VPC, network isolation, pipelines or data capture.

    :param model: a single-container model outside a VPC, without network isolation.
    :param memory_size_mb: 1024-6144 in steps of 1024. Default: 2048, the SageMaker SDK's default.
    :param max_concurrency: concurrent invocations (1-200). Default: 5, the SageMaker SDK's default.
    :param provisioned_concurrency: warm capacity (1-200, <= max_concurrency). Default: None, cold starts
        are accepted and nothing is paid while idle.
    :param variant_name: Default: "AllTraffic".
    """

    model: IModel
    memory_size_mb: int = 2048
    max_concurrency: int = 5
    provisioned_concurrency: int | None = None
    variant_name: str = "AllTraffic"


@dataclasses.dataclass(frozen=True, kw_only=True)
class DataCapture:
    """Records requests and responses to S3, e.g. for Model Monitor.

    :param bucket: where captured data goes; the models' roles get s3:PutObject on ``prefix/*`` only.
    :param prefix: S3 key prefix, without leading or trailing "/". Default: "data-capture".
    :param sampling_percentage: 0-100. Default: 100, so that a monitor sees every request; lower it
        for busy endpoints.
    :param capture_input: Default: True.
    :param capture_output: Default: True.
    :param encryption_key: encrypts the captured objects. Default: None, the bucket's key (if any).
    :param csv_content_types: 1-10 content types recorded as CSV. Default: None, SageMaker's detection.
    :param json_content_types: 1-10 content types recorded as JSON. Default: None.
    """

    bucket: s3.IBucket
    prefix: str = "data-capture"
    sampling_percentage: int = 100
    capture_input: bool = True
    capture_output: bool = True
    encryption_key: kms.IKey | None = None
    csv_content_types: Sequence[str] | None = None
    json_content_types: Sequence[str] | None = None

    @property
    def key(self) -> kms.IKey | None:
        """The key that encrypts captured objects: the given one, else the bucket's."""
        return self.encryption_key or self.bucket.encryption_key


Variant = InstanceVariant | ServerlessVariant


class RealtimeEndpoint(Construct):
    """A real-time SageMaker endpoint: its endpoint config (``endpoint_config``) and endpoint (``endpoint``).

    - The endpoint config keeps a generated name (it is replaced on every change); the endpoint gets a
      deterministic name derived from the construct path, because the rollback alarms name it while
      it names them (a fixed name breaks that cycle; an endpoint is updated in place, so it is safe).
    - Storage is encrypted with a customer-managed key, except on types with local NVMe storage,
      which SageMaker refuses a key for (their storage is hardware-encrypted); a warning says so.
    - Updates are blue/green with rollback alarms unless ``deployment`` is None.
    - When a variant autoscales, the endpoint retains instance counts across updates
      (RetainAllVariantProperties, excluding weights and data capture), so that a deployment does not
      shrink a scaled-out fleet back to ``initial_instance_count``. To change the instance type of an
      autoscaled variant, remove its ``auto_scaling`` in one deployment and change the type in the next.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        variants: Sequence[Variant],
        encryption_key: kms.IKey | None = None,
        data_capture: DataCapture | None = None,
        deployment: BlueGreenDeployment | None = BlueGreenDeployment(),
        endpoint_name: str | None = None,
        output_endpoint_name: bool = True,
    ) -> None:
        """
        :param variants: 1-10 instance variants, or exactly one serverless variant.
        :param encryption_key: encrypts the instances' storage volumes. Default: a new key with
            rotation, because HIPAA and NIST require a customer-managed key on endpoint configs.
        :param data_capture: Default: None, nothing is recorded (not available on serverless).
        :param deployment: Default: blue/green all at once with default rollback alarms. None: no
            DeploymentConfig, SageMaker's all-at-once without alarms.
        :param endpoint_name: Default: derived from the construct path (unique in the account).
        :param output_endpoint_name: Default: True, a stack output with the name, for callers.
        """
        super().__init__(scope, id)
        self._variants = list(variants)
        self.endpoint_name = endpoint_name or Names.unique_resource_name(self, max_length=63, separator="-")
        self._validate(data_capture, deployment)

        needs_no_key = [v for v in self._instance_variants() if v.instance_type.has_local_nvme_storage]
        #: The key of the storage volumes (None on types with local NVMe storage).
        self.encryption_key: kms.IKey | None = None
        if not needs_no_key:
            self.encryption_key = encryption_key or kms.Key(
                self, "Key", enable_key_rotation=True, description=f"Encrypts the storage of endpoint {id}"
            )
        #: The AWS::SageMaker::EndpointConfig (generated name: it is replaced on every change).
        self.endpoint_config = sagemaker.CfnEndpointConfig(
            self,
            "EndpointConfig",
            production_variants=[self._render_variant(v) for v in self._variants],
            kms_key_id=self.encryption_key.key_arn if self.encryption_key else None,
            data_capture_config=self._render_data_capture(data_capture) if data_capture else None,
        )
        if needs_no_key:
            types = sorted({v.instance_type.name for v in needs_no_key})
            reason = (
                f"{', '.join(types)} use local NVMe instance storage, which the hardware encrypts; "
                "SageMaker refuses a KmsKeyId for them, so the endpoint config has none."
            )
            Annotations.of(self.endpoint_config).add_warning_v2(
                "cdk-sagemaker-inference:endpointNoKmsKey", reason
            )
            acknowledge(self.endpoint_config, _ENDPOINT_CONFIG_KMS_RULES, reason)
        self._warn_elastic_inference()
        capture_policy = self._grant_data_capture(data_capture) if data_capture else None

        #: The alarms that roll a deployment back (empty without ``deployment``).
        self.rollback_alarms: list[cloudwatch.IAlarm] = []
        if deployment:
            self.rollback_alarms = list(deployment.rollback_alarms or self._default_alarms(deployment))
        scaled = any(v.auto_scaling for v in self._instance_variants())
        #: The AWS::SageMaker::Endpoint.
        self.endpoint = sagemaker.CfnEndpoint(
            self,
            "Endpoint",
            endpoint_name=self.endpoint_name,
            endpoint_config_name=self.endpoint_config.attr_endpoint_config_name,
            deployment_config=self._deployment_config(deployment) if deployment else None,
            retain_all_variant_properties=True if scaled else None,
            exclude_retained_variant_properties=[
                sagemaker.CfnEndpoint.VariantPropertyProperty(variant_property_type=kind)
                for kind in ("DesiredWeight", "DataCaptureConfig")
            ]
            if scaled
            else None,
        )
        if capture_policy:
            # SageMaker writes captured data as soon as the endpoint serves: the grant comes first.
            self.endpoint.node.add_dependency(capture_policy)
        #: The endpoint's ARN.
        self.endpoint_arn = self.endpoint.ref
        #: The scalable target of each autoscaled variant, by variant name.
        self.scalable_targets = {
            v.variant_name: self._auto_scale(v, v.auto_scaling)
            for v in self._instance_variants()
            if v.auto_scaling
        }
        if output_endpoint_name:
            CfnOutput(
                self, "EndpointName", value=self.endpoint_name, description="The SageMaker endpoint's name"
            )

    # -- validation ---------------------------------------------------------------------------

    def _instance_variants(self) -> list[InstanceVariant]:
        return [v for v in self._variants if isinstance(v, InstanceVariant)]

    def _validate(self, data_capture: DataCapture | None, deployment: BlueGreenDeployment | None) -> None:
        # Not check_count: jsii cannot pass plain Python objects to Token.is_unresolved.
        check(
            self,
            1 <= len(self._variants) <= 10,
            "variants",
            "between 1 and 10 entries long",
            len(self._variants),
        )
        check_pattern(self, "endpoint_name", self.endpoint_name, NAME_PATTERN, _NAME_RULE)
        names = [v.variant_name for v in self._variants]
        check(self, len(set(names)) == len(names), "variants[].variant_name", "unique", names)
        for index, variant in enumerate(self._variants):
            prop = f"variants[{index}]"
            check_pattern(self, f"{prop}.variant_name", variant.variant_name, NAME_PATTERN, _NAME_RULE)
            if isinstance(variant, ServerlessVariant):
                self._validate_serverless(prop, variant, data_capture)
            else:
                self._validate_instance(prop, variant)
        if data_capture:
            self._validate_data_capture(data_capture)
        if deployment:
            self._validate_deployment(deployment)

    def _validate_serverless(
        self, prop: str, variant: ServerlessVariant, data_capture: DataCapture | None
    ) -> None:
        check(
            self,
            len(self._variants) == 1,
            "variants",
            "a single variant when one is serverless",
            [v.variant_name for v in self._variants],
        )
        check_one_of(self, f"{prop}.memory_size_mb", variant.memory_size_mb, _SERVERLESS_MEMORY_SIZES)
        check_range(self, f"{prop}.max_concurrency", variant.max_concurrency, 1, 200)
        check_range(self, f"{prop}.provisioned_concurrency", variant.provisioned_concurrency, 1, 200)
        if variant.provisioned_concurrency is not None and not is_token(variant.max_concurrency):
            check(
                self,
                variant.provisioned_concurrency <= variant.max_concurrency,
                f"{prop}.provisioned_concurrency",
                f"at most max_concurrency ({variant.max_concurrency})",
                variant.provisioned_concurrency,
            )
        model = variant.model
        check(
            self,
            (model.container_count or 1) == 1,
            f"{prop}.model.container_count",
            "1 on a serverless variant (no inference pipelines)",
            model.container_count,
        )
        check(self, not model.in_vpc, f"{prop}.model.in_vpc", "False on a serverless variant", model.in_vpc)
        check(
            self,
            not model.network_isolation,
            f"{prop}.model.network_isolation",
            "False on a serverless variant",
            model.network_isolation,
        )
        check(self, data_capture is None, "data_capture", "None on a serverless endpoint", data_capture)

    def _validate_instance(self, prop: str, variant: InstanceVariant) -> None:
        instance_type = variant.instance_type
        check_pattern(
            self,
            f"{prop}.instance_type",
            instance_type.name,
            r"ml\.[a-z0-9-]+\.[a-z0-9]+",
            "an instance type like ml.m5.large",
        )
        if not is_token(variant.initial_instance_count):
            check(
                self,
                variant.initial_instance_count >= 1,
                f"{prop}.initial_instance_count",
                "at least 1",
                variant.initial_instance_count,
            )
        if not is_token(variant.initial_weight):
            check(
                self,
                variant.initial_weight >= 0,
                f"{prop}.initial_weight",
                "at least 0",
                variant.initial_weight,
            )
        check_range(self, f"{prop}.volume_size_gb", variant.volume_size_gb, 1, 512)
        if instance_type.has_local_nvme_storage:
            check(
                self,
                variant.volume_size_gb is None,
                f"{prop}.volume_size_gb",
                f"None on {instance_type.name} (local NVMe storage, no EBS volume)",
                variant.volume_size_gb,
            )
        for timeout_prop, timeout in (
            ("model_data_download_timeout", variant.model_data_download_timeout),
            ("container_startup_health_check_timeout", variant.container_startup_health_check_timeout),
        ):
            check_range(self, f"{prop}.{timeout_prop} (seconds)", _seconds(timeout), 60, 3600)
        if variant.accelerator:
            check(
                self,
                not (instance_type.is_gpu or instance_type.is_aws_accelerator),
                f"{prop}.instance_type",
                "a CPU type (not ml.p*, ml.g*, ml.inf*, ml.trn*) to take an Elastic Inference accelerator",
                instance_type.name,
            )
            check(
                self,
                variant.model.elastic_inference_capable,
                f"{prop}.model.elastic_inference_capable",
                "True (EI-enabled TensorFlow, MXNet or PyTorch images) to take an EI accelerator",
                variant.model.elastic_inference_capable,
            )
        if variant.auto_scaling:
            self._validate_auto_scaling(prop, instance_type, variant.auto_scaling)

    def _validate_auto_scaling(
        self, prop: str, instance_type: InstanceType, scaling: VariantAutoScaling
    ) -> None:
        check(
            self,
            not instance_type.is_burstable,
            f"{prop}.instance_type",
            "a non-burstable type (not ml.t*) to autoscale",
            instance_type.name,
        )
        if not is_token(scaling.min_capacity):
            check(
                self,
                scaling.min_capacity >= 1,
                f"{prop}.auto_scaling.min_capacity",
                "at least 1",
                scaling.min_capacity,
            )
        if not (is_token(scaling.min_capacity) or is_token(scaling.max_capacity)):
            check(
                self,
                scaling.max_capacity >= scaling.min_capacity,
                f"{prop}.auto_scaling.max_capacity",
                f"at least min_capacity ({scaling.min_capacity})",
                scaling.max_capacity,
            )
        if not is_token(scaling.target_invocations_per_instance):
            check(
                self,
                scaling.target_invocations_per_instance > 0,
                f"{prop}.auto_scaling.target_invocations_per_instance",
                "greater than 0",
                scaling.target_invocations_per_instance,
            )

    def _validate_data_capture(self, capture: DataCapture) -> None:
        check_range(self, "data_capture.sampling_percentage", capture.sampling_percentage, 0, 100)
        check(
            self,
            capture.capture_input or capture.capture_output,
            "data_capture.capture_input/capture_output",
            "True for at least one of them",
            (capture.capture_input, capture.capture_output),
        )
        check_pattern(
            self,
            "data_capture.prefix",
            capture.prefix,
            r"[^/]+(/[^/]+)*",
            "an S3 key prefix without leading, trailing or double slashes",
        )
        for prop, types in (
            ("csv_content_types", capture.csv_content_types),
            ("json_content_types", capture.json_content_types),
        ):
            if types is not None:
                check_count(self, f"data_capture.{prop}", types, 1, 10)

    def _validate_deployment(self, deployment: BlueGreenDeployment) -> None:
        routing = deployment.traffic_routing
        if routing.type is TrafficRoutingType.CANARY:
            check_range(self, "deployment.traffic_routing.percent (canary)", routing.step_percent, 1, 50)
        if routing.type is TrafficRoutingType.LINEAR:
            check_range(self, "deployment.traffic_routing.percent (linear)", routing.step_percent, 10, 50)
        check_range(
            self,
            "deployment.traffic_routing.wait_interval (seconds)",
            _seconds(routing.wait_interval),
            0,
            3600,
        )
        check_range(
            self,
            "deployment.maximum_execution_timeout (seconds)",
            _seconds(deployment.maximum_execution_timeout),
            600,
            28800,
        )
        check_range(
            self, "deployment.termination_wait (seconds)", _seconds(deployment.termination_wait), 0, 3600
        )
        if deployment.rollback_alarms is not None:
            alarms = deployment.rollback_alarms
            check(
                self,
                1 <= len(alarms) <= _MAX_ROLLBACK_ALARMS,
                "deployment.rollback_alarms",
                f"between 1 and {_MAX_ROLLBACK_ALARMS} entries long",
                len(alarms),
            )
        else:
            check(
                self,
                2 * len(self._variants) <= _MAX_ROLLBACK_ALARMS,
                "deployment.rollback_alarms",
                "given for more than 5 variants (the default is 2 alarms a variant, at most 10)",
                None,
            )
        fallback = [
            v.variant_name
            for v in self._instance_variants()
            if v.accelerator or (v.instance_type.family or "").startswith("inf1")
        ]
        if fallback and routing.type is not TrafficRoutingType.ALL_AT_ONCE:
            Annotations.of(self).add_warning_v2(
                "cdk-sagemaker-inference:endpointAllAtOnceFallback",
                f"Variants {', '.join(fallback)} use Elastic Inference or Inf1: SageMaker shifts traffic "
                f"all at once, not {routing.type.value}.",
            )

    # -- rendering ----------------------------------------------------------------------------

    def _render_variant(self, variant: Variant) -> sagemaker.CfnEndpointConfig.ProductionVariantProperty:
        if isinstance(variant, ServerlessVariant):
            return sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                variant_name=variant.variant_name,
                model_name=variant.model.model_name,
                serverless_config=sagemaker.CfnEndpointConfig.ServerlessConfigProperty(
                    memory_size_in_mb=variant.memory_size_mb,
                    max_concurrency=variant.max_concurrency,
                    provisioned_concurrency=variant.provisioned_concurrency,
                ),
            )
        return sagemaker.CfnEndpointConfig.ProductionVariantProperty(
            variant_name=variant.variant_name,
            model_name=variant.model.model_name,
            instance_type=variant.instance_type.name,
            initial_instance_count=variant.initial_instance_count,
            initial_variant_weight=variant.initial_weight,
            volume_size_in_gb=variant.volume_size_gb,
            model_data_download_timeout_in_seconds=_seconds(variant.model_data_download_timeout),
            container_startup_health_check_timeout_in_seconds=_seconds(
                variant.container_startup_health_check_timeout
            ),
            accelerator_type=variant.accelerator.value if variant.accelerator else None,
        )

    def _warn_elastic_inference(self) -> None:
        ei_variants = [v.variant_name for v in self._instance_variants() if v.accelerator]
        for name in ei_variants:
            Annotations.of(self.endpoint_config).add_warning_v2(
                "cdk-sagemaker-inference:elasticInferenceRetired",
                f"Variant {name}: {ELASTIC_INFERENCE_RETIRED}",
            )
        if ei_variants:
            acknowledge(
                self.endpoint_config,
                [CFN_VALIDATE_ADDITIONAL_PROPERTIES],
                "AcceleratorType is still in the SageMaker API and in AWS::SageMaker::EndpointConfig; "
                "the schema aws-cdk-lib validates against dropped it when Elastic Inference was retired. "
                "Declared on purpose for an EI variant, which also carries a retirement warning.",
            )
            # cfn-lint's schema dropped AcceleratorType for the same reason: its E3002 is ignored on
            # this resource only (see .cfnlintrc.yaml).
            self.endpoint_config.add_metadata("cfn-lint", {"config": {"ignore_checks": ["E3002"]}})

    def _render_data_capture(
        self, capture: DataCapture
    ) -> sagemaker.CfnEndpointConfig.DataCaptureConfigProperty:
        options = [
            mode for mode, on in (("Input", capture.capture_input), ("Output", capture.capture_output)) if on
        ]
        header = None
        if capture.csv_content_types or capture.json_content_types:
            header = sagemaker.CfnEndpointConfig.CaptureContentTypeHeaderProperty(
                csv_content_types=capture.csv_content_types, json_content_types=capture.json_content_types
            )
        return sagemaker.CfnEndpointConfig.DataCaptureConfigProperty(
            enable_capture=True,
            initial_sampling_percentage=capture.sampling_percentage,
            destination_s3_uri=capture.bucket.s3_url_for_object(capture.prefix),
            capture_options=[
                sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode=m) for m in options
            ],
            kms_key_id=capture.key.key_arn if capture.key else None,
            capture_content_type_header=header,
        )

    def _grant_data_capture(self, capture: DataCapture) -> iam.ManagedPolicy | None:
        """SageMaker writes captured data as the model's role: it may put objects under the prefix only."""
        roles: list[iam.IRole] = []
        for variant in self._variants:
            role = variant.model.role
            if role is None:
                Annotations.of(self).add_warning_v2(
                    "cdk-sagemaker-inference:endpointDataCaptureGrant",
                    f"Variant {variant.variant_name}: the model has no known role; grant it s3:PutObject on "
                    f"{capture.prefix}/* of the capture bucket yourself.",
                )
            elif all(role is not known for known in roles):
                roles.append(role)
        if not roles:
            return None
        capture_objects = capture.bucket.arn_for_objects(f"{capture.prefix}/*")
        statements = [iam.PolicyStatement(actions=["s3:PutObject"], resources=[capture_objects])]
        if capture.key:
            statements.append(
                iam.PolicyStatement(
                    actions=["kms:Encrypt", "kms:GenerateDataKey"], resources=[capture.key.key_arn]
                )
            )
        policy = iam.ManagedPolicy(
            self,
            "DataCapturePolicy",
            statements=statements,
            roles=roles,
            description="SageMaker writes captured requests and responses as the model's role",
        )
        acknowledge_wildcard_resource(
            policy, capture_objects,
            "SageMaker generates the captured objects' keys; the wildcard covers the capture prefix only.",
        )
        return policy

    def _deployment_config(
        self, deployment: BlueGreenDeployment
    ) -> sagemaker.CfnEndpoint.DeploymentConfigProperty:
        routing = deployment.traffic_routing
        size = None
        if routing.step_percent is not None:
            size = sagemaker.CfnEndpoint.CapacitySizeProperty(
                type="CAPACITY_PERCENT", value=routing.step_percent
            )
        return sagemaker.CfnEndpoint.DeploymentConfigProperty(
            blue_green_update_policy=sagemaker.CfnEndpoint.BlueGreenUpdatePolicyProperty(
                traffic_routing_configuration=sagemaker.CfnEndpoint.TrafficRoutingConfigProperty(
                    type=routing.type.value,
                    wait_interval_in_seconds=_seconds(routing.wait_interval),
                    canary_size=size if routing.type is TrafficRoutingType.CANARY else None,
                    linear_step_size=size if routing.type is TrafficRoutingType.LINEAR else None,
                ),
                maximum_execution_timeout_in_seconds=_seconds(deployment.maximum_execution_timeout),
                termination_wait_in_seconds=_seconds(deployment.termination_wait),
            ),
            auto_rollback_configuration=sagemaker.CfnEndpoint.AutoRollbackConfigProperty(
                alarms=[
                    sagemaker.CfnEndpoint.AlarmProperty(alarm_name=a.alarm_name) for a in self.rollback_alarms
                ]
            ),
        )

    def _default_alarms(self, deployment: BlueGreenDeployment) -> list[cloudwatch.IAlarm]:
        """Two alarms a variant, with names fixed from the endpoint's (no reference, so no cycle)."""
        alarms: list[cloudwatch.IAlarm] = []
        latency_micros = deployment.model_latency_threshold.to_milliseconds() * 1000
        for variant in self._variants:
            name = variant.variant_name
            for suffix, metric, threshold, periods in (
                ("5xx", self.metric_5xx_errors(variant_name=name, period=Duration.minutes(1)), 1, 1),
                (
                    "latency",
                    self.metric_model_latency(variant_name=name, period=Duration.minutes(1)),
                    latency_micros,
                    3,
                ),
            ):
                alarm = cloudwatch.Alarm(
                    self,
                    f"{name}-{suffix}-alarm",
                    alarm_name=f"{self.endpoint_name}-{name}-{suffix}",
                    alarm_description=f"Rolls back deployments of {self.endpoint_name} ({name}, {suffix})",
                    metric=metric,
                    threshold=threshold,
                    evaluation_periods=periods,
                    comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                    treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                )
                acknowledge(
                    alarm,
                    _ALARM_ACTION_RULES,
                    "SageMaker's deployment guardrails watch this alarm to roll an update back; "
                    "it needs no action of its own.",
                )
                alarms.append(alarm)
        return alarms

    def _auto_scale(self, variant: InstanceVariant, scaling: VariantAutoScaling) -> appscaling.ScalableTarget:
        name = variant.variant_name
        role = iam.Role.from_role_arn(
            self,
            f"{name}-scaling-role",
            Stack.of(self).format_arn(service="iam", region="", resource="role", resource_name=_SCALING_ROLE),
            mutable=False,
        )
        target = appscaling.ScalableTarget(
            self,
            f"{name}-scaling",
            service_namespace=appscaling.ServiceNamespace.SAGEMAKER,
            resource_id=f"endpoint/{self.endpoint_name}/variant/{name}",
            scalable_dimension="sagemaker:variant:DesiredInstanceCount",
            min_capacity=scaling.min_capacity,
            max_capacity=scaling.max_capacity,
            role=role,
        )
        target.node.add_dependency(self.endpoint)
        target.scale_to_track_metric(
            "invocations-per-instance",
            target_value=scaling.target_invocations_per_instance,
            predefined_metric=appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
            scale_in_cooldown=scaling.scale_in_cooldown,
            scale_out_cooldown=scaling.scale_out_cooldown,
        )
        return target

    # -- grants and metrics -------------------------------------------------------------------

    def grant_invoke(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allows ``grantee`` sagemaker:InvokeEndpoint on this endpoint only."""
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=["sagemaker:InvokeEndpoint"], resource_arns=[self.endpoint_arn]
        )

    def metric(
        self,
        metric_name: str,
        *,
        variant_name: str | None = None,
        statistic: str = cloudwatch.Stats.AVERAGE,
        period: Duration = _FIVE_MINUTES,
    ) -> cloudwatch.Metric:
        """A metric of namespace AWS/SageMaker for one variant of this endpoint.

        :param variant_name: Default: the first variant (SageMaker publishes per variant).
        :param statistic: Default: average.
        :param period: Default: 5 minutes.
        """
        return cloudwatch.Metric(
            namespace=_NAMESPACE,
            metric_name=metric_name,
            dimensions_map={
                "EndpointName": self.endpoint_name,
                "VariantName": variant_name or self._variants[0].variant_name,
            },
            statistic=statistic,
            period=period,
        )

    def metric_invocations(
        self, *, variant_name: str | None = None, period: Duration = _FIVE_MINUTES
    ) -> cloudwatch.Metric:
        """Requests sent to the variant (sum). Default: the first variant, 5 minutes."""
        return self.metric(
            "Invocations", variant_name=variant_name, statistic=cloudwatch.Stats.SUM, period=period
        )

    def metric_invocations_per_instance(
        self, *, variant_name: str | None = None, period: Duration = _FIVE_MINUTES
    ) -> cloudwatch.Metric:
        """Requests per instance (sum), what autoscaling tracks. Default: the first variant, 5 minutes."""
        return self.metric(
            "InvocationsPerInstance", variant_name=variant_name, statistic=cloudwatch.Stats.SUM, period=period
        )

    def metric_model_latency(
        self, *, variant_name: str | None = None, period: Duration = _FIVE_MINUTES
    ) -> cloudwatch.Metric:
        """Time the model took to answer, in microseconds (average). Default: the first variant, 5 minutes."""
        return self.metric(
            "ModelLatency", variant_name=variant_name, statistic=cloudwatch.Stats.AVERAGE, period=period
        )

    def metric_5xx_errors(
        self, *, variant_name: str | None = None, period: Duration = _FIVE_MINUTES
    ) -> cloudwatch.Metric:
        """Requests the model failed (HTTP 5XX, sum). Default: the first variant, 5 minutes."""
        return self.metric(
            "Invocation5XXErrors", variant_name=variant_name, statistic=cloudwatch.Stats.SUM, period=period
        )

    def metric_4xx_errors(
        self, *, variant_name: str | None = None, period: Duration = _FIVE_MINUTES
    ) -> cloudwatch.Metric:
        """Requests refused as invalid (HTTP 4XX, sum). Default: the first variant, 5 minutes."""
        return self.metric(
            "Invocation4XXErrors", variant_name=variant_name, statistic=cloudwatch.Stats.SUM, period=period
        )


def _seconds(duration: Duration | None) -> int | None:
    """Whole seconds of ``duration``; None stays None (the prop is not set)."""
    return None if duration is None else int(duration.to_seconds())
