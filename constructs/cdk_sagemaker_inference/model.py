"""Models: IModel, Model (one container) and InferencePipelineModel (2 to 15 containers).

SageMaker models are immutable: any change replaces the ``AWS::SageMaker::Model``. CloudFormation
cannot replace a custom-named resource, so these constructs never set ``ModelName``: with a
generated name a change creates the new model, updates the endpoint and then deletes the old one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypedDict, Unpack

import jsii
from aws_cdk import Annotations, CfnCondition
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct, IConstruct, IDependable, IValidation, Node

from ._batch import batched
from ._iam import ManagedPolicyPrincipal, allow_network_interfaces
from ._names import MODEL_PACKAGE_ARN_PATTERN, MODEL_PACKAGE_ARN_RULE, NAME_PATTERN, sagemaker_arn
from ._stack_env import environment_of
from ._validation import StrictEnum, check, check_count, check_pattern, is_token, to_enum
from .compliance import acknowledge
from .container_image import ContainerImage
from .model_data import ModelData
from .registered_artifacts import RegisteredArtifacts


class IModel(Protocol):
    """A SageMaker model that endpoints and transform jobs can serve.

    A structural interface (jsii's metaclass rules out an ABC next to ``Construct``): any
    construct with these attributes is an IModel. Attributes an endpoint validates against are
    ``None`` when they are unknown (an imported model), and then the endpoint does not check them.
    """

    @property
    def node(self) -> Node:
        """The construct tree node."""

    @property
    def model_name(self) -> str:
        """The model's name (a token for a model this app declares)."""

    @property
    def model_arn(self) -> str:
        """The model's ARN."""

    @property
    def role(self) -> iam.IRole | None:
        """The execution role. Default: None for an imported model."""

    @property
    def elastic_inference_capable(self) -> bool:
        """Every container's image supports an Elastic Inference accelerator."""

    @property
    def container_count(self) -> int | None:
        """How many containers the model runs (None: unknown). More than one is a pipeline."""

    @property
    def network_isolation(self) -> bool | None:
        """The containers run without network access (None: unknown)."""

    @property
    def in_vpc(self) -> bool | None:
        """The model runs in a VPC (None: unknown)."""


class IServedModelPackage(Protocol):
    """A registry version to serve instead of the declared containers, when one is set.

    The registry side (``registry.py``) provides it, typically from a CfnParameter.
    """

    @property
    def model_package_arn(self) -> str:
        """The model package version ARN (a token, e.g. a CfnParameter's value)."""

    @property
    def condition(self) -> CfnCondition:
        """True when a version is set: the model then serves it."""

    def render_model(
        self, resource: sagemaker.CfnModel, containers: list[dict[str, Any]], execution_config: dict[str, str] | None
    ) -> None:
        """Declares on ``resource`` the version when one is set, else ``containers`` (CloudFormation's
        ``ContainerDefinition`` shape) with ``execution_config`` (``InferenceExecutionConfig``)."""

    def is_granted_to(self, grantee: iam.IGrantable) -> bool:
        """``grantee`` may read what every version runs (its artifacts and images)."""


class InferenceExecutionMode(StrictEnum):
    """How an inference pipeline routes a request through its containers."""

    #: Through every container in order: ContentType to the first, Accept to the last.
    SERIAL = "Serial"
    #: To the one container the caller names with ``TargetContainerHostname``.
    DIRECT = "Direct"


def grant_execution_role(
    model: IModel, grant: Callable[[iam.IGrantable], object], unknown: Callable[[str], None]
) -> None:
    """Grants ``model``'s execution role with ``grant``: a Model of this app itself (its grants land
    in its own managed policy), else its role. An imported model's role is unknown: ``unknown`` is
    told why (a warning that says what to grant)."""
    grantee = model if isinstance(model, _ModelBase) else model.role
    if grantee is not None:
        grant(grantee)
    else:
        unknown(f"Model {model.node.path} is imported, so its execution role is unknown")


#: SageMaker's limits on container environments.
MAX_ENVIRONMENT_ENTRIES = 100
MAX_ENVIRONMENT_ENTRY_BYTES = 1024
MAX_ENVIRONMENT_TOTAL_BYTES = 32 * 1024
#: An environment variable's name, in a model's and in a registered container's environment.
ENVIRONMENT_KEY_PATTERN = r"[a-zA-Z_][a-zA-Z0-9_]*"
ENVIRONMENT_KEY_RULE = "letters, digits and '_', not starting with a digit"
#: ``ContainerHostname`` in the SageMaker API.
HOSTNAME_PATTERN = NAME_PATTERN
#: The CloudWatch namespaces SageMaker publishes instance metrics to with the execution role.
METRICS_NAMESPACE_PATTERN = "/aws/sagemaker/*"


@dataclass(frozen=True, kw_only=True)
class ContainerDefinition:
    """One container of a model: an image (with optional artifacts) or a registered model package.

    :param image: the container image. Required unless the container is a model package
        (``ContainerDefinition.from_model_package``).
    :param model_data: the artifacts. Default: none (an image that carries its model).
    :param environment: the container's environment. Default: none. See ``FrameworkEnvironment``.
    :param hostname: the container's hostname. Default: none; required on every container of a
        pipeline in Direct mode, and if one container of a pipeline has one, all must.
    :param model_package_arn: a model package version to run. Default: none; use
        ``from_model_package`` rather than setting it.
    :param registered_artifacts: where the model package keeps its artifacts and images, which the
        model's role is granted. Default: none; see ``from_model_package``.
    """

    image: ContainerImage | None = None
    model_data: ModelData | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    hostname: str | None = None
    model_package_arn: str | None = None
    registered_artifacts: RegisteredArtifacts | None = None

    def __post_init__(self) -> None:
        where = "ContainerDefinition"
        check(where, (self.image is None) != (self.model_package_arn is None), "image or model_package_arn",
              "exactly one of them", (self.image, self.model_package_arn))
        check(where, self.model_package_arn is None or self.model_data is None, "model_data",
              "unset for a model package (the package has its artifacts)", self.model_data)
        check(where, self.model_package_arn is not None or self.registered_artifacts is None, "registered_artifacts",
              "set only for a model package (an image container names its artifacts)", self.registered_artifacts)
        check_pattern(where, "hostname", self.hostname, HOSTNAME_PATTERN,
                      "1-63 letters, digits and inner hyphens")

    @staticmethod
    def from_model_package(
        model_package_arn: str,
        *,
        environment: Mapping[str, str] | None = None,
        hostname: str | None = None,
        registered_artifacts: RegisteredArtifacts | None = None,
    ) -> ContainerDefinition:
        """A container that runs a model package version (its image and artifacts).

        SageMaker reads the version's ``model.tar.gz`` and pulls its images with the model's
        execution role, and neither is known at synth: say where they are.

        :param model_package_arn: the version's ARN; a token (e.g. a CfnParameter) is fine.
        :param environment: variables that override the package's. Default: none.
        :param hostname: see ``ContainerDefinition``. Default: none.
        :param registered_artifacts: where the registry keeps its versions' artifacts and the
            images they run (``RegisteredArtifacts(bucket, "models/")``): the model's role is
            granted them. Default: none, for an AWS Marketplace package (SageMaker reads those
            itself); a model that creates its role then warns that the role may read nothing of
            the version.
        """
        check_pattern("ContainerDefinition.from_model_package", "model_package_arn", model_package_arn,
                      MODEL_PACKAGE_ARN_PATTERN, MODEL_PACKAGE_ARN_RULE)
        return ContainerDefinition(
            model_package_arn=model_package_arn, environment=dict(environment or {}), hostname=hostname,
            registered_artifacts=registered_artifacts,
        )


@dataclass(frozen=True)
class ContainerSpec:
    """A container as declared, after binding: what a model registry registers for the same model."""

    #: The image URI; None for a model package container.
    image_uri: str | None
    #: The artifacts' ``s3://`` URL; None without artifacts.
    model_data_url: str | None
    environment: Mapping[str, str]
    hostname: str | None
    #: The model package version ARN; None for an image container.
    model_package_arn: str | None
    #: The image can use an Elastic Inference accelerator.
    elastic_inference_capable: bool
    #: What must be deployed before anything uses the container, e.g. the copy of a retained archive
    #: (``ModelData.from_asset(..., retained_in=...)``); a registry version of it depends on them too.
    dependencies: Sequence[IDependable] = field(default=(), compare=False)
    #: The image ``image_uri`` was bound from; None for a model package container.
    image: ContainerImage | None = field(default=None, compare=False)

    def image_uri_in(self, scope: IConstruct) -> str | None:
        """``image_uri`` as a resource in ``scope``'s stack should name it: pass this, not
        ``image_uri``, to a resource in another stack than the model's (a registry version of it).
        A prebuilt image's registry account is then looked up in that stack's own mapping; elsewhere
        aws-cdk-lib copies the model stack's mapping and prints an INFO about it on every synth."""
        if self.image is None or self.image_uri is None:
            return self.image_uri
        return self.image.image_uri_in(scope, self.image_uri)

    def to_cloudformation(self) -> dict[str, Any]:
        """The ``ContainerDefinition`` as CloudFormation spells it."""
        rendered = {
            "Image": self.image_uri,
            "ModelDataUrl": self.model_data_url,
            "ModelPackageName": self.model_package_arn,
            "Environment": dict(self.environment) or None,
            "ContainerHostname": self.hostname,
        }
        return {key: value for key, value in rendered.items() if value is not None}

    @staticmethod
    def dependencies_of(specs: Sequence[ContainerSpec]) -> list[IDependable]:
        """What must be deployed before a resource that names ``specs`` (each one's ``dependencies``)."""
        return [d for spec in specs for d in spec.dependencies]


class ModelOptions(TypedDict, total=False):
    """What every model takes besides its containers; the defaults are ``Model``'s.

    :param role: the execution role. Default: a role created with exactly what the containers
        need; a role given is granted the same.
    :param network_isolation: the containers get no network access. Default: True, because
        inference code should not reach the internet; turn it off only for a container that
        downloads at start-up (with it on, the code must sit inside model.tar.gz).
    :param vpc: the VPC the model runs in. Default: none (SageMaker's own network).
    :param vpc_subnets: the subnets in ``vpc``. Default: its private subnets with egress.
    :param security_groups: the model's security groups in ``vpc``. Default: one created with
        HTTPS egress only.
    :param served_package: a registry version to serve instead of the declared containers when
        its condition holds. Default: none (always the declared containers).
    """

    role: iam.IRole | None
    network_isolation: bool
    vpc: ec2.IVpc | None
    vpc_subnets: ec2.SubnetSelection | None
    security_groups: Sequence[ec2.ISecurityGroup] | None
    served_package: IServedModelPackage | None


@jsii.implements(iam.IGrantable, ec2.IConnectable)
class _ModelBase(Construct):
    """What Model and InferencePipelineModel share: role, grants, network, the CfnModel.

    A model is an ``iam.IGrantable`` (``bucket.grant_read(model)`` lands in the model's managed
    policy) and an ``ec2.IConnectable`` (its security groups, for a model in a VPC).
    """

    @batched()
    def _declare(
        self,
        *,
        containers: Sequence[ContainerDefinition],
        mode: InferenceExecutionMode | None,
        role: iam.IRole | None = None,
        network_isolation: bool = True,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] | None = None,
        served_package: IServedModelPackage | None = None,
    ) -> None:
        """Validates, creates the role and grants, and declares the CfnModel (the one constructor path)."""
        self._mode = mode
        _check_environments(self, containers)
        check(self, served_package is None or mode is not InferenceExecutionMode.DIRECT, "mode",
              "Serial with served_package (a registry version's containers run in order, with no hostnames)",
              mode.value if mode is not None else None)
        if vpc is None:
            check(self, vpc_subnets is None and security_groups is None, "vpc",
                  "set when vpc_subnets or security_groups are", None)

        self._role = role or iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description="Execution role of a SageMaker model: its artifacts, images, logs and metrics",
        )
        # Grants go to a customer-managed policy rather than the role's inline DefaultPolicy
        # (the HIPAA, NIST and PCI packs refuse inline policies).
        self._policy = iam.ManagedPolicy(
            self, "Policy", roles=[self._role], description="What this SageMaker model's containers need"
        )
        self._principal = ManagedPolicyPrincipal(self._role, self._policy)
        self._network_isolation = network_isolation
        self._connections = self._configure_network(vpc, security_groups)
        self._containers = [self._bind(container, own_role=role is None) for container in containers]
        self._grant_metrics()
        if served_package is not None and role is None:
            self.node.add_validation(_ServedVersionAccess(self, served_package))

        declared: list[dict[str, Any]] = [spec.to_cloudformation() for spec in self._containers]
        self._resource = sagemaker.CfnModel(
            self,
            "Resource",
            execution_role_arn=self._role.role_arn,
            enable_network_isolation=network_isolation,
            vpc_config=self._vpc_config(vpc, vpc_subnets),
        )
        execution_config = {"Mode": mode.value} if mode is not None else None
        if served_package is not None:
            served_package.render_model(self._resource, declared, execution_config)
        else:
            if len(declared) == 1:
                self._resource.add_property_override("PrimaryContainer", declared[0])
            else:
                self._resource.add_property_override("Containers", declared)
            if execution_config is not None:
                self._resource.add_property_override("InferenceExecutionConfig", execution_config)
        # SageMaker checks the role's permissions when it creates the model: the policy comes first,
        # and the artifacts must be where the model reads them.
        self._resource.node.add_dependency(self._policy, *ContainerSpec.dependencies_of(self._containers))

    def _bind(self, container: ContainerDefinition, *, own_role: bool) -> ContainerSpec:
        image = container.image.bind(self, self._principal) if container.image is not None else None
        data = container.model_data.bind(self, self._principal) if container.model_data is not None else None
        if container.registered_artifacts is not None:
            container.registered_artifacts.grant_read(self, self)
        elif container.model_package_arn is not None and own_role:
            Annotations.of(self).add_warning_v2(
                "cdk-sagemaker-inference:modelPackageAccess",
                f"The model's role may read nothing of model package {container.model_package_arn}: give "
                "from_model_package registered_artifacts= (a version of your registry), unless it is an AWS "
                "Marketplace package, which SageMaker reads itself.",
            )
        return ContainerSpec(
            image_uri=image.image_uri if image is not None else None,
            model_data_url=data.url if data is not None else None,
            environment=dict(container.environment),
            hostname=container.hostname,
            model_package_arn=container.model_package_arn,
            elastic_inference_capable=image is not None and image.elastic_inference_capable,
            dependencies=tuple(data.dependencies) if data is not None else (),
            image=container.image,
        )

    def _grant_metrics(self) -> None:
        grant_metrics(self._principal)
        acknowledge(
            self._policy,
            ["AwsSolutions-IAM5[Resource::*]"],
            "IAM requires Resource '*' for actions without a resource type: cloudwatch:PutMetricData "
            "(limited to the /aws/sagemaker/* namespaces by condition), ecr:GetAuthorizationToken and, "
            "in a VPC, the ec2:Describe* calls SageMaker makes to attach network interfaces.",
        )

    def _configure_network(
        self, vpc: ec2.IVpc | None, security_groups: Sequence[ec2.ISecurityGroup] | None
    ) -> ec2.Connections | None:
        if vpc is None:
            return None
        if security_groups:
            check(self, len(security_groups) <= 5, "security_groups", "at most 5 entries (SageMaker's VpcConfig)",
                  f"{len(security_groups)} entries")
        else:
            group = ec2.SecurityGroup(
                self,
                "SecurityGroup",
                vpc=vpc,
                description="SageMaker model containers: HTTPS out to S3, ECR and CloudWatch only",
                allow_all_outbound=False,
            )
            group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to AWS service endpoints")
            security_groups = [group]
        # SageMaker attaches network interfaces in the VPC with the execution role.
        allow_network_interfaces(
            self._principal, environment_of(self).arn("ec2", "vpc", vpc.vpc_id),
            describe=["ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups",
                      "ec2:DescribeSubnets", "ec2:DescribeVpcs"],
            manage=["ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission",
                    "ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission"],
        )
        return ec2.Connections(security_groups=list(security_groups))

    def _vpc_config(
        self, vpc: ec2.IVpc | None, vpc_subnets: ec2.SubnetSelection | None
    ) -> sagemaker.CfnModel.VpcConfigProperty | None:
        if vpc is None or self._connections is None:
            return None
        subnet_ids = vpc.select_subnets(**_subnet_selection(vpc_subnets)).subnet_ids
        check_count(self, "vpc_subnets", subnet_ids, 1, 16)
        return sagemaker.CfnModel.VpcConfigProperty(
            security_group_ids=[group.security_group_id for group in self._connections.security_groups],
            subnets=subnet_ids,
        )

    @property
    def model_name(self) -> str:
        """The model's name, generated by CloudFormation."""
        return self._resource.attr_model_name

    @property
    def model_arn(self) -> str:
        """The model's ARN."""
        return self._resource.attr_model_arn

    @property
    def inference_execution_mode(self) -> InferenceExecutionMode | None:
        """How requests route through the containers (None for a one-container ``Model``)."""
        return self._mode

    @property
    def role(self) -> iam.IRole:
        """The execution role (the one given, or the least-privilege role created)."""
        return self._role

    @property
    def grant_principal(self) -> iam.IPrincipal:
        """The execution role as a principal whose grants land in the model's managed policy."""
        return self._principal

    @property
    def containers(self) -> list[ContainerSpec]:
        """The declared containers in order, bound (what a registry registers for this model)."""
        return list(self._containers)

    @property
    def elastic_inference_capable(self) -> bool:
        """True only when every container's image supports Elastic Inference."""
        return all(spec.elastic_inference_capable for spec in self._containers)

    @property
    def container_count(self) -> int:
        """How many containers the model declares."""
        return len(self._containers)

    @property
    def network_isolation(self) -> bool:
        """The containers run without network access."""
        return self._network_isolation

    @property
    def in_vpc(self) -> bool:
        """The model runs in a VPC."""
        return self._connections is not None

    @property
    def connections(self) -> ec2.Connections:
        """The model's security groups, to allow its traffic; only for a model in a VPC."""
        check(self, self._connections is not None, "vpc", "set to manage network access", None)
        assert self._connections is not None
        return self._connections

    def add_to_role_policy(self, statement: iam.PolicyStatement) -> None:
        """Adds ``statement`` to the execution role's policy (e.g. a transform job's log group)."""
        self._principal.add_to_principal_policy(statement)


def grant_metrics(principal: iam.IPrincipal) -> None:
    """Lets SageMaker publish its metrics as ``principal``: what every use of an execution role
    needs (endpoints, transform jobs). Logs are granted by whoever declares the log group (an
    ``Endpoint``, a ``BatchTransform``), on that group only. ``cloudwatch:PutMetricData`` has no
    resource type, so the statement needs Resource "*": the caller acknowledges
    AwsSolutions-IAM5[Resource::*] on the policy it lands in, with its own reason."""
    # The namespace condition narrows the "*" IAM requires.
    principal.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions={"StringLike": {"cloudwatch:namespace": METRICS_NAMESPACE_PATTERN}},
        )
    )


def _subnet_selection(selection: ec2.SubnetSelection | None) -> dict[str, Any]:
    """``select_subnets`` keywords: the given selection, or the VPC's private subnets."""
    if selection is None:
        return {"subnet_type": ec2.SubnetType.PRIVATE_WITH_EGRESS}
    return {
        "availability_zones": selection.availability_zones,
        "one_per_az": selection.one_per_az,
        "subnet_filters": selection.subnet_filters,
        "subnet_group_name": selection.subnet_group_name,
        "subnets": selection.subnets,
        "subnet_type": selection.subnet_type,
    }


@jsii.implements(IValidation)
class _ServedVersionAccess:
    """Fails synth while a model that serves registry versions, with the role it created, is not
    granted what they run: the first approved version would fail to deploy at the switch."""

    def __init__(self, model: _ModelBase, served_package: IServedModelPackage) -> None:
        self._model = model
        self._served_package = served_package

    def validate(self) -> list[str]:
        if self._served_package.is_granted_to(self._model):
            return []
        # Synth prefixes the construct path.
        return ["served_package must be granted to the model's role with ServedModelPackage.grant_serving(model, "
                "artifacts_bucket=..., prefix=...): SageMaker reads each version's artifacts and images with it"]


def _check_environments(scope: Construct, containers: Sequence[ContainerDefinition]) -> None:
    """SageMaker's environment limits: per entry, per container and across all containers."""
    total = 0
    for index, container in enumerate(containers):
        prop = f"containers[{index}].environment"
        check_count(scope, prop, container.environment, 0, MAX_ENVIRONMENT_ENTRIES)
        for key, value in container.environment.items():
            check_pattern(scope, f"{prop} key", key, ENVIRONMENT_KEY_PATTERN, ENVIRONMENT_KEY_RULE)
            for part, text in (("key", key), (f"[{key!r}]", value)):
                if is_token(text):
                    continue
                size = len(text.encode("utf-8"))
                check(scope, size <= MAX_ENVIRONMENT_ENTRY_BYTES, f"{prop} {part}",
                      f"at most {MAX_ENVIRONMENT_ENTRY_BYTES} bytes", f"{size} bytes")
                total += size
    check(scope, total <= MAX_ENVIRONMENT_TOTAL_BYTES, "environment",
          f"at most {MAX_ENVIRONMENT_TOTAL_BYTES} bytes across all containers", f"{total} bytes")


class Model(_ModelBase):
    """A SageMaker model with one container, served by endpoints and transform jobs.

    Secure by default: network isolation on, and an execution role that can read only its own
    artifacts, pull only its own images and publish SageMaker metrics; each endpoint that serves it
    lets it write that endpoint's log group, and each transform job the transform log group.
    No ``ModelName``: see the module docstring.
    """

    def __init__(
        self, scope: Construct, id: str, *, container: ContainerDefinition, **options: Unpack[ModelOptions]
    ) -> None:
        """
        :param container: the container.
        :param options: role, network isolation, VPC and served package: see ``ModelOptions``.
        """
        super().__init__(scope, id)
        self._declare(containers=[container], mode=None, **options)

    @staticmethod
    def from_model_name(scope: Construct, id: str, model_name: str) -> IModel:
        """An existing model, by name; what is not known about it is None."""
        check_pattern(scope, "model_name", model_name, HOSTNAME_PATTERN,
                      "1-63 letters, digits and inner hyphens")
        return _ImportedModel(scope, id, model_name)


class InferencePipelineModel(_ModelBase):
    """A SageMaker model with 2 to 15 containers in order (an inference pipeline).

    Typical: a scikit-learn preprocessing container (``FrameworkEnvironment.sklearn(...,
    default_accept="text/csv")``) that hands CSV to an XGBoost container. The containers run on the
    same instance and talk plain HTTP there. Same defaults as ``Model``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        containers: Sequence[ContainerDefinition],
        mode: InferenceExecutionMode | str = InferenceExecutionMode.SERIAL,
        **options: Unpack[ModelOptions],
    ) -> None:
        """
        :param containers: 2 to 15 containers, in request order (the API allows 15; older docs say 5).
        :param mode: an ``InferenceExecutionMode`` or its value ("Serial", "Direct"). Default: SERIAL,
            every request through every container in order. DIRECT lets
            the caller pick one container by hostname, so every container needs a hostname.
        :param options: as for ``Model`` (see ``ModelOptions``); the execution config is dropped
            while a served package is served.
        """
        super().__init__(scope, id)
        mode = to_enum(self, "mode", mode, InferenceExecutionMode)
        # Not check_count: jsii cannot pass these plain Python objects to Token.is_unresolved.
        check(self, 2 <= len(containers) <= 15, "containers", "between 2 and 15 entries long",
              len(containers))
        hostnames = [container.hostname for container in containers]
        named = [hostname for hostname in hostnames if hostname is not None]
        if mode is InferenceExecutionMode.DIRECT:
            check(self, len(named) == len(hostnames), "hostname",
                  "set on every container in Direct mode", hostnames)
        check(self, len(named) in (0, len(hostnames)), "hostname",
              "set on all containers or on none", hostnames)
        check(self, len(set(named)) == len(named), "hostname", "unique across containers", hostnames)
        self._declare(containers=containers, mode=mode, **options)


class _ImportedModel(Construct):
    """A model declared elsewhere: only its name is known."""

    def __init__(self, scope: Construct, id: str, model_name: str) -> None:
        super().__init__(scope, id)
        self._model_name = model_name

    @property
    def model_name(self) -> str:
        return self._model_name

    @property
    def model_arn(self) -> str:
        return sagemaker_arn(environment_of(self), "model", self._model_name)

    @property
    def role(self) -> iam.IRole | None:
        return None

    @property
    def elastic_inference_capable(self) -> bool:
        return False

    @property
    def container_count(self) -> int | None:
        return None

    @property
    def network_isolation(self) -> bool | None:
        return None

    @property
    def in_vpc(self) -> bool | None:
        return None
