"""EndpointConfig: the production variants an endpoint runs, their storage key and data capture.

An endpoint config is immutable: any change replaces it, so it never gets a fixed name (with a
generated one CloudFormation creates the new config, updates the endpoint and deletes the old).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, Required, TypedDict

from aws_cdk import Annotations, Duration, Resource
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct, Node

from ._batch import batched
from ._iam import ManagedPolicyRole
from ._names import NAME_PATTERN, NAME_RULE, sagemaker_arn
from ._stack_env import environment_of
from ._validation import (
    check,
    check_count,
    check_integer,
    check_one_of,
    check_pattern,
    check_seconds,
    fail,
    is_number,
    is_token,
    to_enum,
    whole_seconds,
)
from .accelerator import ELASTIC_INFERENCE_RETIRED, ElasticInferenceAccelerator, replacement_declaration
from .compliance import acknowledge, acknowledge_wildcard_resource
from .instance_type import InstanceType, to_instance_type
from .model import IModel, grant_metrics
from .scaling import VariantAutoScaling, validate_auto_scaling

if TYPE_CHECKING:  # aws_s3 costs an app that uses no bucket of its own 0.05-0.1 s to import
    from aws_cdk import aws_s3 as s3

#: aws-cdk-lib's built-in CloudFormation validation (flag ``@aws-cdk/core:validateAgainstDefaultRules``)
#: rejects ``AcceleratorType``, which its schema no longer lists: "Additional properties are not allowed".
CFN_VALIDATE_ADDITIONAL_PROPERTIES = "CloudFormation-Validate::F3002"
_KMS_RULES = (
    "HIPAA.Security-SageMakerEndpointConfigurationKMSKeyConfigured",
    "NIST.800.53.R5-SageMakerEndpointConfigurationKMSKeyConfigured",
    "PCI.DSS.321-SageMakerEndpointConfigurationKMSKeyConfigured",
)
_SERVERLESS_MEMORY_SIZES = range(1024, 6145, 1024)
_MAX_VARIANTS = 10
#: SageMaker's pattern for a data capture content type (no parameters such as "; charset=utf-8").
_CAPTURE_CONTENT_TYPE = r"[a-zA-Z0-9](-*[a-zA-Z0-9])*/[a-zA-Z0-9](-*[a-zA-Z0-9.])*"


class RoutingStrategy(enum.Enum):
    """How an endpoint picks the instance (and, with inference components, the copy) for a request
    (``ProductionVariant.RoutingConfig``; the values AWS::SageMaker::EndpointConfig accepts without
    further configuration)."""

    #: To the instance with the most spare capacity: steadier latency for uneven request costs.
    LEAST_OUTSTANDING_REQUESTS = "LEAST_OUTSTANDING_REQUESTS"
    #: To a random instance: SageMaker's default.
    RANDOM = "RANDOM"


@dataclasses.dataclass(frozen=True, kw_only=True)
class ManagedInstanceScaling:
    """SageMaker adds instances to a component-hosting variant when its components' copies do not
    fit, and removes instances no copy uses (``ProductionVariant.ManagedInstanceScaling``).

    :param max_instances: the most instances (an integer >= 1, >= min_instances).
    :param min_instances: the fewest instances (an integer >= 0). Default: 1, so that the endpoint
        keeps serving; 0 lets it release every instance when no copy runs.
    """

    max_instances: int
    min_instances: int = 1


@dataclasses.dataclass(frozen=True, kw_only=True)
class InstanceVariant:
    """A production variant on dedicated instances.

    :param model: the model it serves. Default: None, a variant that hosts inference components
        (the endpoint config then has an ``execution_role``, and every variant must be model-less).
    :param instance_type: an ``InstanceType`` or its name (``"ml.g5.xlarge"``). Default: ml.m5.large, the smallest
        general-purpose type that autoscales.
    :param variant_name: Default: "AllTraffic". Keep it stable: guardrails and autoscaling follow the
        name across updates. Several variants need distinct names.
    :param initial_instance_count: instances at creation (an integer >= 1). Default: 1.
    :param initial_weight: relative share of traffic (>= 0). Default: 1.
    :param volume_size_gb: storage volume (1-512 GB); not for types with local NVMe storage.
        Default: None, SageMaker's default for the type.
    :param model_data_download_timeout: 60-3600 s. Default: None, SageMaker's default.
    :param container_startup_health_check_timeout: 60-3600 s. Default: None, SageMaker's default.
    :param accelerator: an ``ElasticInferenceAccelerator`` or its value (``"ml.eia2.medium"``; end of
        life; a CPU type and an
        EI-capable model only). Default: None.
    :param auto_scaling: instance-count autoscaling, applied by each ``Endpoint`` that runs the config.
        Default: None, the instance count stays as deployed.
    :param managed_instance_scaling: instances follow the components' copies (model-less variants
        only). Default: None, the instance count stays as deployed.
    :param routing_strategy: a ``RoutingStrategy`` or its value: how requests are spread over
        instances and copies. Default: None, SageMaker's (random).
    """

    model: IModel | None = None
    instance_type: InstanceType | str = InstanceType.M5_LARGE
    variant_name: str = "AllTraffic"
    initial_instance_count: int = 1
    initial_weight: float = 1.0
    volume_size_gb: int | None = None
    model_data_download_timeout: Duration | None = None
    container_startup_health_check_timeout: Duration | None = None
    accelerator: ElasticInferenceAccelerator | str | None = None
    auto_scaling: VariantAutoScaling | None = None
    managed_instance_scaling: ManagedInstanceScaling | None = None
    routing_strategy: RoutingStrategy | str | None = None

    def __post_init__(self) -> None:
        # Values read from configuration arrive as strings: the enum's value is as good as the enum.
        # No construct holds the variant yet: errors name it by its variant name.
        where = f"InstanceVariant {self.variant_name!r}"
        object.__setattr__(self, "instance_type", to_instance_type(where, "instance_type", self.instance_type))
        if self.accelerator is not None:
            object.__setattr__(
                self, "accelerator", to_enum(where, "accelerator", self.accelerator, ElasticInferenceAccelerator)
            )
        if self.routing_strategy is not None:
            object.__setattr__(
                self, "routing_strategy", to_enum(where, "routing_strategy", self.routing_strategy, RoutingStrategy)
            )

    @property
    def resolved_instance_type(self) -> InstanceType:
        """``instance_type`` as an ``InstanceType`` (a name given is converted when the variant is created)."""
        assert isinstance(self.instance_type, InstanceType)
        return self.instance_type

    @property
    def resolved_accelerator(self) -> ElasticInferenceAccelerator | None:
        """``accelerator`` as an ``ElasticInferenceAccelerator`` (None without one)."""
        assert self.accelerator is None or isinstance(self.accelerator, ElasticInferenceAccelerator)
        return self.accelerator

    @property
    def resolved_routing_strategy(self) -> RoutingStrategy | None:
        """``routing_strategy`` as a ``RoutingStrategy`` (None without one)."""
        assert self.routing_strategy is None or isinstance(self.routing_strategy, RoutingStrategy)
        return self.routing_strategy


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
    :param sampling_percentage: an integer 0-100. Default: 100, so that a monitor sees every request;
        lower it for busy endpoints.
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


class EndpointConfigProps(TypedDict, total=False):
    """What declares an endpoint config, for constructs that declare one (``RealtimeEndpoint``);
    see ``EndpointConfig`` for each prop and its default."""

    variants: Required[Sequence[Variant]]
    encryption_key: kms.IKey | None
    data_capture: DataCapture | None
    execution_role: iam.IRole | None


class IEndpointConfig(Protocol):
    """An endpoint config an ``Endpoint`` can run: declared here or imported by name.

    A structural interface, like ``IModel``. ``variants`` is None for an imported config: an
    endpoint then checks nothing that depends on them.
    """

    @property
    def node(self) -> Node:
        """The construct tree node."""

    @property
    def endpoint_config_name(self) -> str:
        """The endpoint config's name."""

    @property
    def endpoint_config_arn(self) -> str:
        """The endpoint config's ARN."""

    @property
    def variants(self) -> Sequence[Variant] | None:
        """The production variants as declared (None: unknown, an imported config)."""


def storage_key(scope: Construct, variants: Sequence[Variant], description: str) -> kms.IKey | None:
    """A new rotating key ``Key`` in ``scope`` for the variants' storage, or None when a variant's
    type has local NVMe storage (SageMaker refuses a KmsKeyId there: the hardware encrypts it)."""
    if any(v.resolved_instance_type.has_local_nvme_storage for v in variants if isinstance(v, InstanceVariant)):
        return None
    return kms.Key(scope, "Key", enable_key_rotation=True, description=description)


class EndpointConfig(Resource):
    """An ``AWS::SageMaker::EndpointConfig``: 1-10 instance variants or one serverless variant.

    - Storage is encrypted with a customer-managed key, except on types with local NVMe storage,
      which SageMaker refuses a key for (their storage is hardware-encrypted); a warning says so.
    - Variants without a model host inference components; such a config carries an execution role.
    - Data capture grants the models' roles ``s3:PutObject`` on the capture prefix only.
    """

    @batched()
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        variants: Sequence[Variant],
        encryption_key: kms.IKey | None = None,
        data_capture: DataCapture | None = None,
        execution_role: iam.IRole | None = None,
    ) -> None:
        """
        :param variants: 1-10 instance variants, or exactly one serverless variant.
        :param encryption_key: encrypts the instances' storage volumes. Default: a new key with
            rotation, because HIPAA and NIST require a customer-managed key on endpoint configs
            (none on types with local NVMe storage, which refuse a key: one given is refused).
        :param data_capture: Default: None, nothing is recorded (not available on serverless).
        :param execution_role: the role SageMaker uses for the inference components of model-less
            variants (only for them). Default: for model-less variants, a role that may publish
            SageMaker metrics and write the log group of each ``Endpoint`` that runs the config (the
            endpoint grants that), in customer-managed policies; the components' models keep their
            own roles for their artifacts and images.
        """
        super().__init__(scope, id)
        self._variants = list(variants)
        self.execution_role = execution_role
        self._validate(data_capture)
        local_storage = self._local_storage_types()
        if encryption_key is not None and local_storage:
            raise fail(self, "encryption_key", f"None when a variant runs on {', '.join(local_storage)} (local NVMe "
                       "storage, which the hardware encrypts: SageMaker refuses a KmsKeyId for it)",
                       encryption_key.node.path)
        if self.execution_role is None and all(v.model is None for v in self._variants):
            self.execution_role = self._default_execution_role()
        #: The key of the storage volumes (None on types with local NVMe storage).
        self.encryption_key = encryption_key or storage_key(
            self, self._variants, f"Encrypts the storage of endpoint config {id}"
        )
        # "Default" keeps the logical ID a RealtimeEndpoint gave its config before this class existed.
        self._resource = sagemaker.CfnEndpointConfig(
            self,
            "Default",
            production_variants=[_render_variant(v) for v in self._variants],
            kms_key_id=self.encryption_key.key_arn if self.encryption_key else None,
            data_capture_config=_render_data_capture(data_capture) if data_capture else None,
            execution_role_arn=self.execution_role.role_arn if self.execution_role else None,
        )
        if isinstance(self.execution_role, ManagedPolicyRole):
            # SageMaker checks the role when it creates the endpoint config: its policy comes first.
            self._resource.node.add_dependency(self.execution_role.policy)
        self._flag_local_storage(local_storage)
        self._flag_elastic_inference()
        if data_capture:
            policy = self._grant_data_capture(data_capture)
            if policy is not None:
                # SageMaker writes captured data as soon as an endpoint serves: the grant comes first.
                self._resource.node.add_dependency(policy)

    @staticmethod
    def from_endpoint_config_name(scope: Construct, id: str, endpoint_config_name: str) -> IEndpointConfig:
        """An existing endpoint config, by name; its variants are unknown."""
        check_pattern(scope, "endpoint_config_name", endpoint_config_name, NAME_PATTERN, NAME_RULE)
        return _ImportedEndpointConfig(scope, id, endpoint_config_name)

    @property
    def endpoint_config_name(self) -> str:
        """The endpoint config's name, generated by CloudFormation."""
        return self._resource.attr_endpoint_config_name

    @property
    def endpoint_config_arn(self) -> str:
        """The endpoint config's ARN."""
        return self._resource.attr_endpoint_config_arn

    @property
    def variants(self) -> list[Variant]:
        """The production variants as declared."""
        return list(self._variants)

    @property
    def resource(self) -> sagemaker.CfnEndpointConfig:
        """The ``AWS::SageMaker::EndpointConfig``, for overrides."""
        return self._resource

    def _instance_variants(self) -> list[InstanceVariant]:
        return [v for v in self._variants if isinstance(v, InstanceVariant)]

    # -- validation ---------------------------------------------------------------------------

    def _validate(self, data_capture: DataCapture | None) -> None:
        # Not check_count: jsii cannot pass plain Python objects to Token.is_unresolved.
        check(self, 1 <= len(self._variants) <= _MAX_VARIANTS, "variants",
              f"between 1 and {_MAX_VARIANTS} entries long", len(self._variants))
        names = [v.variant_name for v in self._variants]
        check(self, len(set(names)) == len(names), "variants[].variant_name", "unique", names)
        with_model = [v.model is not None for v in self._variants]
        check(self, all(with_model) or not any(with_model), "variants[].model",
              "set on every variant or on none (inference components)", names)
        for index, variant in enumerate(self._variants):
            prop = f"variants[{index}]"
            check_pattern(self, f"{prop}.variant_name", variant.variant_name, NAME_PATTERN, NAME_RULE)
            if isinstance(variant, ServerlessVariant):
                self._validate_serverless(prop, variant, data_capture)
            else:
                self._validate_instance(prop, variant)
        if data_capture:
            _validate_data_capture(self, data_capture)

    def _validate_serverless(self, prop: str, variant: ServerlessVariant, capture: DataCapture | None) -> None:
        check(self, len(self._variants) == 1, "variants", "a single variant when one is serverless",
              [v.variant_name for v in self._variants])
        check_integer(self, f"{prop}.memory_size_mb", variant.memory_size_mb, 1024)
        check_one_of(self, f"{prop}.memory_size_mb", variant.memory_size_mb, _SERVERLESS_MEMORY_SIZES)
        check_integer(self, f"{prop}.max_concurrency", variant.max_concurrency, 1, 200)
        check_integer(self, f"{prop}.provisioned_concurrency", variant.provisioned_concurrency, 1, 200)
        if variant.provisioned_concurrency is not None and not is_token(variant.max_concurrency):
            check(self, variant.provisioned_concurrency <= variant.max_concurrency,
                  f"{prop}.provisioned_concurrency", f"at most max_concurrency ({variant.max_concurrency})",
                  variant.provisioned_concurrency)
        model = variant.model
        if model is None:
            raise fail(self, f"{prop}.model", "a model (a serverless variant cannot host inference components)", model)
        check(self, (model.container_count or 1) == 1, f"{prop}.model.container_count",
              "1 on a serverless variant (no inference pipelines)", model.container_count)
        check(self, not model.in_vpc, f"{prop}.model.in_vpc", "False on a serverless variant", model.in_vpc)
        check(self, not model.network_isolation, f"{prop}.model.network_isolation",
              "False on a serverless variant", model.network_isolation)
        check(self, capture is None, "data_capture", "None on a serverless endpoint", capture)

    def _validate_instance(self, prop: str, variant: InstanceVariant) -> None:
        instance_type = variant.resolved_instance_type
        check_integer(self, f"{prop}.initial_instance_count", variant.initial_instance_count, 1)
        if not is_token(variant.initial_weight):
            check(self, is_number(variant.initial_weight) and variant.initial_weight >= 0, f"{prop}.initial_weight",
                  "a number of at least 0", variant.initial_weight)
        check_integer(self, f"{prop}.volume_size_gb", variant.volume_size_gb, 1, 512)
        if instance_type.has_local_nvme_storage:
            check(self, variant.volume_size_gb is None, f"{prop}.volume_size_gb",
                  f"None on {instance_type.name} (local NVMe storage, no EBS volume)", variant.volume_size_gb)
        for timeout_prop, timeout in (
            ("model_data_download_timeout", variant.model_data_download_timeout),
            ("container_startup_health_check_timeout", variant.container_startup_health_check_timeout),
        ):
            check_seconds(self, f"{prop}.{timeout_prop}", timeout, 60, 3600)
        if variant.accelerator:
            check(self, not (instance_type.is_gpu or instance_type.is_aws_accelerator), f"{prop}.instance_type",
                  "a CPU type (not ml.p*, ml.g*, ml.inf*, ml.trn*) to take an Elastic Inference accelerator",
                  instance_type.name)
            capable = variant.model is not None and variant.model.elastic_inference_capable
            check(self, capable, f"{prop}.model.elastic_inference_capable",
                  "True (EI-enabled TensorFlow, MXNet or PyTorch images) to take an EI accelerator", capable)
        if variant.auto_scaling:
            validate_auto_scaling(self, prop, instance_type, variant.auto_scaling)
        if variant.managed_instance_scaling:
            self._validate_managed_scaling(prop, variant, variant.managed_instance_scaling)

    def _validate_managed_scaling(self, prop: str, variant: InstanceVariant, scaling: ManagedInstanceScaling) -> None:
        check(self, variant.model is None, f"{prop}.managed_instance_scaling",
              "None on a variant that serves a model (it scales the instances of inference components)",
              variant.managed_instance_scaling)
        low, high = scaling.min_instances, scaling.max_instances
        check_integer(self, f"{prop}.managed_instance_scaling.min_instances", low, 0)
        check_integer(self, f"{prop}.managed_instance_scaling.max_instances", high, 1)
        if not (is_token(low) or is_token(high)):
            check(self, high >= low, f"{prop}.managed_instance_scaling.max_instances",
                  f"at least min_instances ({low})", high)
            if not is_token(variant.initial_instance_count):
                check(self, low <= variant.initial_instance_count <= high, f"{prop}.initial_instance_count",
                      f"between managed_instance_scaling.min_instances and max_instances ({low}-{high})",
                      variant.initial_instance_count)

    # -- warnings and acknowledgments -----------------------------------------------------------

    def _local_storage_types(self) -> list[str]:
        """The variants' instance types with local NVMe storage, sorted."""
        return sorted({
            v.resolved_instance_type.name
            for v in self._instance_variants()
            if v.resolved_instance_type.has_local_nvme_storage
        })

    def _flag_local_storage(self, local: list[str]) -> None:
        if not local:
            return
        reason = (
            f"{', '.join(local)} use local NVMe instance storage, which the hardware encrypts; "
            "SageMaker refuses a KmsKeyId for them, so the endpoint config has none."
        )
        Annotations.of(self).add_warning_v2("cdk-sagemaker-inference:endpointNoKmsKey", reason)
        acknowledge(self._resource, _KMS_RULES, reason)

    def _default_execution_role(self) -> iam.IRole:
        """The role of a config whose variants host inference components: SageMaker metrics here, and
        the log group of each ``Endpoint`` that runs the config, granted by that endpoint."""
        role = ManagedPolicyRole(
            self,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="Execution role of an endpoint config that hosts inference components",
        )
        grant_metrics(role)
        acknowledge(
            role.policy,
            ["AwsSolutions-IAM5[Resource::*]"],
            "IAM requires Resource '*' for cloudwatch:PutMetricData, which has no resource type; a "
            "condition limits it to the /aws/sagemaker/* namespaces.",
        )
        return role

    def _flag_elastic_inference(self) -> None:
        ei_variants = [v.variant_name for v in self._instance_variants() if v.accelerator]
        for variant in self._instance_variants():
            accelerator = variant.resolved_accelerator
            if accelerator is None or variant.model is None:
                continue
            Annotations.of(self).add_warning_v2(
                "cdk-sagemaker-inference:elasticInferenceRetired",
                f"Variant {variant.variant_name}: {ELASTIC_INFERENCE_RETIRED} Replace it with "
                f"{replacement_declaration(variant.model.node.path, accelerator)}.",
            )
        if ei_variants:
            acknowledge(
                self._resource,
                [CFN_VALIDATE_ADDITIONAL_PROPERTIES],
                "AcceleratorType is a field the SageMaker API documents as no longer supported, and "
                "CloudFormation's current EndpointConfig schema (which aws-cdk-lib validates against) no "
                "longer lists it. Declared on purpose, for the record and for accounts that used Elastic "
                "Inference before it was retired; the variant carries a retirement warning.",
            )
            # cfn-lint's schema dropped AcceleratorType for the same reason: its E3002 is ignored on
            # this resource only (see .cfnlintrc.yaml).
            self._resource.add_metadata("cfn-lint", {"config": {"ignore_checks": ["E3002"]}})

    # -- grants -------------------------------------------------------------------------------

    def _grant_data_capture(self, capture: DataCapture) -> iam.ManagedPolicy | None:
        """SageMaker writes captured data as the model's role: it may put objects under the prefix only."""
        roles: list[iam.IRole] = [self.execution_role] if self.execution_role is not None else []
        for variant in self._variants:
            if variant.model is None:
                continue
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
                iam.PolicyStatement(actions=["kms:Encrypt", "kms:GenerateDataKey"], resources=[capture.key.key_arn])
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


def _validate_data_capture(where: Construct, capture: DataCapture) -> None:
    check_integer(where, "data_capture.sampling_percentage", capture.sampling_percentage, 0, 100)
    for flag, value in (("capture_input", capture.capture_input), ("capture_output", capture.capture_output)):
        check(where, isinstance(value, bool), f"data_capture.{flag}", "True or False", value)
    check(where, capture.capture_input or capture.capture_output, "data_capture.capture_input/capture_output",
          "True for at least one of them", (capture.capture_input, capture.capture_output))
    check_pattern(where, "data_capture.prefix", capture.prefix, r"[^/]+(/[^/]+)*",
                  "an S3 key prefix without leading, trailing or double slashes")
    # DestinationS3Uri, s3://<bucket>/<prefix>, is at most 512 characters; a bucket name at most 63.
    bucket_name = capture.bucket.bucket_name
    bucket_length = 63 if is_token(bucket_name) else len(bucket_name)
    check_count(where, "data_capture.prefix", capture.prefix, 1, 512 - len("s3:///") - bucket_length)
    for prop, types in (
        ("csv_content_types", capture.csv_content_types),
        ("json_content_types", capture.json_content_types),
    ):
        if types is not None:
            check_count(where, f"data_capture.{prop}", types, 1, 10)
            for content_type in types:
                check_pattern(where, f"data_capture.{prop}", content_type, _CAPTURE_CONTENT_TYPE,
                              "content types like 'text/csv' (letters, digits and hyphens, no parameters)")
                check_count(where, f"data_capture.{prop}", content_type, 1, 256)


def _render_variant(variant: Variant) -> sagemaker.CfnEndpointConfig.ProductionVariantProperty:
    model_name = variant.model.model_name if variant.model is not None else None
    if isinstance(variant, ServerlessVariant):
        return sagemaker.CfnEndpointConfig.ProductionVariantProperty(
            variant_name=variant.variant_name,
            model_name=model_name,
            serverless_config=sagemaker.CfnEndpointConfig.ServerlessConfigProperty(
                memory_size_in_mb=variant.memory_size_mb,
                max_concurrency=variant.max_concurrency,
                provisioned_concurrency=variant.provisioned_concurrency,
            ),
        )
    accelerator = variant.resolved_accelerator
    return sagemaker.CfnEndpointConfig.ProductionVariantProperty(
        variant_name=variant.variant_name,
        model_name=model_name,
        instance_type=variant.resolved_instance_type.name,
        initial_instance_count=variant.initial_instance_count,
        initial_variant_weight=variant.initial_weight,
        volume_size_in_gb=variant.volume_size_gb,
        model_data_download_timeout_in_seconds=whole_seconds(variant.model_data_download_timeout),
        container_startup_health_check_timeout_in_seconds=whole_seconds(
            variant.container_startup_health_check_timeout
        ),
        accelerator_type=accelerator.value if accelerator else None,
        managed_instance_scaling=_render_managed_scaling(variant.managed_instance_scaling),
        routing_config=sagemaker.CfnEndpointConfig.RoutingConfigProperty(
            routing_strategy=variant.resolved_routing_strategy.value
        ) if variant.resolved_routing_strategy else None,
    )


def _render_managed_scaling(
    scaling: ManagedInstanceScaling | None,
) -> sagemaker.CfnEndpointConfig.ManagedInstanceScalingProperty | None:
    if scaling is None:
        return None
    return sagemaker.CfnEndpointConfig.ManagedInstanceScalingProperty(
        status="ENABLED", min_instance_count=scaling.min_instances, max_instance_count=scaling.max_instances
    )


def _render_data_capture(capture: DataCapture) -> sagemaker.CfnEndpointConfig.DataCaptureConfigProperty:
    options = [mode for mode, on in (("Input", capture.capture_input), ("Output", capture.capture_output)) if on]
    header = None
    if capture.csv_content_types or capture.json_content_types:
        header = sagemaker.CfnEndpointConfig.CaptureContentTypeHeaderProperty(
            csv_content_types=capture.csv_content_types, json_content_types=capture.json_content_types
        )
    return sagemaker.CfnEndpointConfig.DataCaptureConfigProperty(
        enable_capture=True,
        initial_sampling_percentage=capture.sampling_percentage,
        destination_s3_uri=capture.bucket.s3_url_for_object(capture.prefix),
        capture_options=[sagemaker.CfnEndpointConfig.CaptureOptionProperty(capture_mode=m) for m in options],
        kms_key_id=capture.key.key_arn if capture.key else None,
        capture_content_type_header=header,
    )


class _ImportedEndpointConfig(Resource):
    """An endpoint config declared elsewhere: only its name is known."""

    def __init__(self, scope: Construct, id: str, endpoint_config_name: str) -> None:
        super().__init__(scope, id)
        self._name = endpoint_config_name

    @property
    def endpoint_config_name(self) -> str:
        return self._name

    @property
    def endpoint_config_arn(self) -> str:
        return sagemaker_arn(environment_of(self), "endpoint-config", self._name)

    @property
    def variants(self) -> None:
        return None
