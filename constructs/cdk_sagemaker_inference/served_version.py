"""ServedModelPackage: which registry version an endpoint serves, as a stack parameter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from aws_cdk import Aws, CfnCondition, CfnParameter, Fn
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from ._names import REDEPLOY_SUFFIX
from ._stack_env import environment_of
from ._validation import check_pattern, is_token
from .compliance import acknowledge
from .container_image import ContainerImage
from .registered_artifacts import RegisteredArtifacts
from .registry import GROUP_NAME_PATTERN, IModelPackageGroup

if TYPE_CHECKING:  # aws_s3 costs an app that uses no bucket of its own 0.05-0.1 s to import
    from aws_cdk import aws_s3 as s3

#: The stack parameter an approval handler updates. ``[A-Za-z0-9]+``: a CloudFormation logical ID.
DEFAULT_PARAMETER_NAME = "ServedModelPackageArn"
#: The served version's container variable that carries the redeploy parameter, when it is set.
REDEPLOY_ENVIRONMENT = "SERVED_VERSION_REDEPLOY"
#: Logical IDs are at most 255 characters; the longest one derived is ``<name>RedeployIsSet``.
_LOGICAL_ID_PATTERN = r"[A-Za-z0-9]{1,242}"


class ServedModelPackage(Construct):
    """The model package version an endpoint serves, held outside the template as a parameter.

    Declares a ``String`` CfnParameter (``ServedModelPackageArn`` by default, default ``""``)
    and a CfnCondition that holds when it is set. It is an ``IServedModelPackage``: a Model or
    InferencePipelineModel built with ``served_package=`` runs the version when the parameter is
    set and its declared containers otherwise.

    Why a stack parameter rather than, say, a custom resource or an SDK call:

    - CloudFormation alone creates and replaces the Model, EndpointConfig and Endpoint, so there is
      no drift and the endpoint's blue/green guardrails (auto-rollback alarms) apply to every
      switch of version.
    - An approval handler switches versions by updating the endpoint stack with
      ``UsePreviousTemplate`` and only this parameter changed.
    - A later ``cdk deploy`` from a laptop keeps the parameter's previous value (the CDK CLI's
      ``--previous-parameters`` defaults to true), so it keeps serving the last approved version.
    - Before any approval the default ``""`` serves the bundled default model, and synth never
      needs AWS (nothing is looked up).

    The parameter accepts ``""`` or the ARN of a version of ``group`` in the stack's account and
    region (the group name as given or lowercased, see ``registry.py``).

    A second parameter, ``<parameter_name>Redeploy`` (default ``""``), redeploys the same version:
    SageMaker can roll an endpoint update back on its own (an auto-rollback alarm fired) while the
    stack update completes, and then the stack names a version the endpoint does not serve; an
    UpdateStack with the same version changes nothing ("No updates are to be performed"). When
    the approval handler finds such a rollback it sets this parameter to the name of the endpoint
    config SageMaker did not keep: the served version's container gets it as
    ``SERVED_VERSION_REDEPLOY``, so CloudFormation replaces the Model and EndpointConfig and updates
    the Endpoint again, with the same guardrails. Empty, the container has no such variable.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        group: IModelPackageGroup,
        parameter_name: str = DEFAULT_PARAMETER_NAME,
    ) -> None:
        """
        :param group: the group whose versions the endpoint may serve.
        :param parameter_name: the parameter's logical ID, which the approval handler updates.
            Default: ``ServedModelPackageArn``. Fixed, not generated from the construct path,
            because the handler and operators refer to it by name. One per stack. At most 242
            characters: the redeploy parameter and the conditions derive their IDs from it.
        """
        super().__init__(scope, id)
        check_pattern(self, "parameter_name", parameter_name, _LOGICAL_ID_PATTERN,
                      "a CloudFormation logical ID (1-242 letters and digits)")
        self.group = group
        self.parameter = CfnParameter(
            self,
            "Parameter",
            type="String",
            default="",
            allowed_pattern=self._allowed_pattern(),
            constraint_description=(
                f"empty (serve the bundled default model) or the ARN of a version of model package "
                f"group {group.model_package_group_name} in this account and region"
            ),
            description=(
                "The model package version this stack serves; empty serves the bundled default model. "
                "Set by the approval handler; `cdk deploy` keeps the previous value."
            ),
        )
        self.parameter.override_logical_id(parameter_name)
        #: The parameter's logical ID, the key to pass in an UpdateStack call.
        self.parameter_name = parameter_name
        self._condition_id = f"{parameter_name}IsSet"
        # The token is kept in Python: each read would be a jsii call.
        self._value = self.parameter.value_as_string
        self._condition = self._is_set("IsSet", self._value, self._condition_id)
        self.redeploy_parameter = CfnParameter(
            self,
            REDEPLOY_SUFFIX,
            type="String",
            default="",
            # An endpoint config's name as SageMaker reports it in ARNs (lowercased).
            allowed_pattern=r"^([a-z0-9](-*[a-z0-9]){0,62})?$",
            constraint_description="empty, or the name of the endpoint config SageMaker rolled back",
            description=(
                f"Set by the approval handler to redeploy {parameter_name} after SageMaker rolled its deployment "
                "back: the name of the endpoint config it did not keep. Empty: no redeploy asked."
            ),
        )
        #: The redeploy parameter's logical ID.
        self.redeploy_parameter_name = f"{parameter_name}{REDEPLOY_SUFFIX}"
        self.redeploy_parameter.override_logical_id(self.redeploy_parameter_name)
        self._redeploy_value = self.redeploy_parameter.value_as_string
        self._redeploy_condition_id = f"{self.redeploy_parameter_name}IsSet"
        self._is_set("RedeployIsSet", self._redeploy_value, self._redeploy_condition_id)
        self._granted: list[iam.IPrincipal] = []

    def _is_set(self, id: str, value: str, logical_id: str) -> CfnCondition:
        """A condition, ``logical_id`` in the template, that ``value`` (a parameter's) is not empty."""
        condition = CfnCondition(self, id, expression=Fn.condition_not(Fn.condition_equals(value, "")))
        condition.override_logical_id(logical_id)
        return condition

    @property
    def model_package_arn(self) -> str:
        """The parameter's value: a version ARN, or ``""`` for the bundled default model."""
        return self._value

    @property
    def condition(self) -> CfnCondition:
        """True when the parameter is set: the model serves the version."""
        return self._condition

    def render_model(
        self, resource: sagemaker.CfnModel, containers: list[dict[str, Any]], execution_config: dict[str, str] | None
    ) -> None:
        """Declares on ``resource`` the version when the parameter is set, else ``containers`` with
        ``execution_config`` (a model package carries its own containers and runs them serially)."""
        condition = self._condition_id
        # A redeploy changes the Model (create-only containers), hence the EndpointConfig and Endpoint.
        redeploy = Fn.condition_if(self._redeploy_condition_id, {REDEPLOY_ENVIRONMENT: self._redeploy_value},
                                   Aws.NO_VALUE)
        packaged = [{"ModelPackageName": self.model_package_arn, "Environment": redeploy}]
        resource.add_property_override("Containers", Fn.condition_if(condition, packaged, containers))
        # The template validator checks both branches with the parameter's default (often "", "no
        # version"); the package branch is taken only when the condition says a version is set.
        acknowledge(
            resource,
            ["CloudFormation-Validate::F3031", "CloudFormation-Validate::F3033"],
            "ModelPackageName is used only when the served-package condition holds, i.e. a version "
            "ARN is set; the validator substitutes the parameter's empty default into that branch.",
        )
        if execution_config is not None:
            resource.add_property_override(
                "InferenceExecutionConfig", Fn.condition_if(condition, Aws.NO_VALUE, execution_config)
            )

    def _allowed_pattern(self) -> str:
        """``""`` or ``arn:<partition>:sagemaker:<region>:<account>:model-package/<group>/<n>``,
        with this stack's partition, region and account when they are known at synth and any
        when they are tokens (a parameter's pattern cannot hold intrinsic functions).
        """
        environment = environment_of(self)
        partition = r"aws[a-z-]*" if is_token(environment.partition) else environment.partition
        region = r"[a-z0-9-]+" if is_token(environment.region) else environment.region
        account = r"[0-9]{12}" if is_token(environment.account) else environment.account
        name = self.group.model_package_group_name
        names = GROUP_NAME_PATTERN if is_token(name) else "|".join(dict.fromkeys([name, name.lower()]))
        return rf"^(arn:{partition}:sagemaker:{region}:{account}:model-package/({names})/[1-9][0-9]{{0,8}})?$"

    def grant_serving(
        self,
        grantee: iam.IGrantable,
        *,
        artifacts_bucket: s3.IBucket,
        prefix: str,
        images: Sequence[ContainerImage] = (),
    ) -> iam.Grant:
        """Grants a model's execution role what serving any version of the group needs.

        A version's containers name their own images and artifacts, unknown at synth, so the
        role gets ``s3:GetObject`` under ``prefix`` of ``artifacts_bucket`` (and decrypt with the
        bucket's key, if it has one) and pull access to ``images``; nothing else. The one wildcard
        this adds, ``<bucket>/<prefix>*``, is acknowledged (AwsSolutions-IAM5) on ``grantee`` for
        exactly that resource when ``grantee`` is a construct.

        :param grantee: the Model or InferencePipelineModel built with ``served_package=self`` (its
            grants land in its own managed policy), or an execution role.
        :param artifacts_bucket: where the registered versions' ``model.tar.gz`` files are.
        :param prefix: the key prefix under which they are, e.g. ``"models/"``. Required, so
            that the role never reads the whole bucket.
        :param images: the images the versions run; each grants pull as it does for a Model.
            Default: none (the images of the declared containers are granted already).
        :returns: the grant on the artifacts.
        """
        self._granted.append(grantee.grant_principal)
        return RegisteredArtifacts(artifacts_bucket, prefix, tuple(images)).grant_read(self, grantee)

    def is_granted_to(self, grantee: iam.IGrantable) -> bool:
        """``grant_serving`` was called for ``grantee`` (a model) or for its role."""
        # A model's principal wraps its role (its grants go to the model's policy): either was granted.
        principals = (grantee.grant_principal, getattr(grantee, "role", None))
        return any(granted is principal for granted in self._granted for principal in principals)

