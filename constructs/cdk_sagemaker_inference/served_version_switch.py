"""ServedVersionSwitch: the CloudFormation service role that switches a stack's served version.

An approval switches the served registry version with ``UpdateStack`` (previous template, one
parameter changed). Whoever may call UpdateStack and pass a role can deploy *any* template with
that role (IAM has no condition key that forces ``UsePreviousTemplate``), so the role passed must
be able to do only what a switch does: replace the Model (and an endpoint's EndpointConfig), update
the Endpoint or the batch transform's state machine that names the model, pass the roles these
use, read the stack's SSM-typed parameters and describe. It must not be the CDK bootstrap
``cfn-exec`` role (AdministratorAccess by default).

How ``cdk deploy`` and the switch share the stack: CloudFormation remembers the role of the last
update. ``cdk deploy`` always passes the bootstrap ``cfn-exec`` role and the switch always passes
this role (the deployer may pass no other, and UpdateStack is conditioned on
``cloudformation:RoleArn``), so each update runs with the role meant for it; a laptop deploy keeps
the served version (``--previous-parameters``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import jsii
from aws_cdk import (
    CfnParameter,
    DefaultStackSynthesizer,
    IListProducer,
    IResolveContext,
    IStableListProducer,
    Lazy,
    Stack,
)
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct, IConstruct

from ._batch import batched
from ._iam import ManagedPolicyRole
from ._names import VERSIONS_WILDCARD_REASON, lowercase_arn_name, model_package_version_arns, sagemaker_arn
from ._stack_env import StackEnvironment, environment_of
from ._validation import fail
from .compliance import acknowledge_wildcard_resources
from .served_version import ServedModelPackage

if TYPE_CHECKING:
    from .transform import BatchTransform

#: The parameter type prefix CloudFormation resolves from SSM with the caller's credentials.
SSM_PARAMETER_TYPE = "AWS::SSM::Parameter::Value<"
_GENERATED_NAMES = ("CloudFormation generates the names of the Models (and EndpointConfigs) it replaces (they are "
                    "immutable and never custom-named), so the switch creates and deletes them by pattern.")
#: What CloudFormation does when a state machine's definition names a new model: the update
#: handler's permissions in the resource's registry schema (its iam:PassRole is granted apart, for
#: the state machine's role only), and DescribeStateMachine, the read handler's.
_STATE_MACHINE_UPDATE_ACTIONS = ["states:UpdateStateMachine", "states:DescribeStateMachine", "states:TagResource",
                                 "states:UntagResource", "states:ListTagsForResource"]


def ssm_typed_parameter_names(stack: Stack) -> list[str]:
    """The SSM parameter names behind ``stack``'s ``AWS::SSM::Parameter::Value<...>`` parameters.

    For a CDK stack this is the synthesizer's ``BootstrapVersion`` (``/cdk-bootstrap/<qualifier>/
    version``, with the qualifier of the stack's own synthesizer), which the synthesizer declares
    only while synthesizing: before that it is derived from the synthesizer's qualifier.
    CloudFormation reads them with the credentials of whoever calls CreateChangeSet or
    UpdateStack, not the stack's role.
    """
    names = set()
    for child in stack.node.find_all():
        if isinstance(child, CfnParameter) and child.type.startswith(SSM_PARAMETER_TYPE):
            default = child.default
            if isinstance(default, str):
                names.add(default)
    synthesizer = stack.synthesizer
    if (not stack.node.try_find_child("BootstrapVersion") and isinstance(synthesizer, DefaultStackSynthesizer)
            and synthesizer.bootstrap_qualifier):
        names.add(f"/cdk-bootstrap/{synthesizer.bootstrap_qualifier}/version")
    return sorted(names)


@jsii.implements(IStableListProducer)
class _SsmParameterArns:
    """The ARNs of stacks' SSM-typed parameters, when the template is rendered (see above)."""

    def __init__(self, targets: Sequence[Stack], scope: Stack) -> None:
        self._targets = targets
        self._scope = scope

    def produce(self) -> list[str] | None:
        names = sorted({name for target in self._targets for name in ssm_typed_parameter_names(target)})
        return ssm_parameter_arns(environment_of(self._scope), names) or None


#: Why a grant on ``stack_arn`` ends in a wildcard.
STACK_ID_REASON = ("A stack's ARN ends with an id CloudFormation assigns at creation: '/*' stands for the "
                   "id of the one stack of that name.")


def stack_arn(scope: IConstruct, stack_name: str, stack_id: str = "*") -> str:
    """The ARN of stack ``stack_name``; its id, which CloudFormation assigns, is "*" by default."""
    return environment_of(scope).arn("cloudformation", "stack", f"{stack_name}/{stack_id}")


@jsii.implements(IListProducer)
class _ReferencedStackArns:
    """``stack``'s own ARN and those of the stacks it depends on, when the template is rendered: by
    then every cross-stack reference (``Fn::GetStackOutput``) has made its stack a dependency.
    Uncached: aws-cdk resolves every value once while it looks for those references, before it adds
    the dependencies."""

    def __init__(self, stack: Stack) -> None:
        self._stack = stack

    def produce(self, context: IResolveContext) -> list[str]:
        return [stack_arn(self._stack, stack.stack_name) for stack in (self._stack, *self._stack.dependencies)]


def ssm_parameter_arns(environment: StackEnvironment, names: Sequence[str]) -> list[str]:
    """ARNs of SSM parameters ``names`` in ``environment``'s account and region."""
    return [environment.arn("ssm", "parameter", name.lstrip("/")) for name in names]


def ssm_typed_parameter_arns(targets: Sequence[Stack], scope: Stack) -> list[str]:
    """A lazy list of the ARNs (in ``scope``'s account and region) of the SSM-typed parameters of
    the stacks ``targets``, each once, resolved when the template is rendered."""
    return Lazy.list(_SsmParameterArns(targets, scope))


class ServedVersionSwitch(Construct):
    """A CloudFormation service role for switching the served version of one stack: an endpoint's,
    or one whose batch transforms serve the model.

    Declare it in that stack, after the models and the endpoint or transforms; hand it to
    ``DeploymentTrigger.served_version_switch(switch)`` (an endpoint stack's), or in its ``also``
    (a stack without an endpoint, switched after the endpoint stack). The role may:

    - create, describe and delete Models (generated names: ``model/*``), tag them, and create a
      Model from a version of ``served_package``'s group (``DescribeModelPackage``);
    - pass the models' execution roles, to SageMaker only;
    - with ``endpoint_name``: create, describe and delete EndpointConfigs (``endpoint-config/*``),
      update and describe that one endpoint, and let SageMaker use ``keys`` for the new endpoint
      config (``kms:CreateGrant`` for AWS resources, ``kms:DescribeKey``);
    - with ``transforms``: update, describe and tag each transform's state machine (its definition
      names the model), passing the state machine's role to Step Functions only;
    - read the stack's SSM-typed parameters, and describe the stack and the stacks it depends on
      (its ``Fn::GetStackOutput`` references resolve with this role).

    Nothing else: not IAM, not the alarms or scaling policies (a switch leaves them unchanged).
    """

    @batched()
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        served_package: ServedModelPackage,
        execution_roles: Sequence[iam.IRole],
        endpoint_name: str | None = None,
        keys: Sequence[kms.IKey] = (),
        transforms: Sequence[BatchTransform] = (),
    ) -> None:
        """
        :param served_package: the stack parameter a switch changes.
        :param execution_roles: the execution roles of the models the switch replaces.
        :param endpoint_name: the endpoint the switch updates. Default: None, the stack has no
            endpoint that serves the model (give ``transforms``).
        :param keys: the keys of the endpoint config (storage, data capture). Default: none.
        :param transforms: the batch transforms of the stack that serve the model. Default: none.
        """
        super().__init__(scope, id)
        if endpoint_name is None and not transforms:
            raise fail(self, "endpoint_name or transforms",
                       "given: a switch updates an endpoint or the batch transforms that serve the model", None)
        if endpoint_name is None and keys:
            raise fail(self, "keys", "empty without endpoint_name (they are the endpoint config's keys)", keys)
        environment = environment_of(self)
        stack = environment.stack
        #: The stack the switch updates.
        self.stack = stack
        self.stack_name = stack.stack_name
        self.parameter_name = served_package.parameter_name
        #: The model package group whose versions the switch serves.
        self.model_package_group_name = served_package.group.model_package_group_name
        #: The endpoint the switch updates; None for a stack whose transforms serve the model.
        self.endpoint_name = endpoint_name
        self.role = ManagedPolicyRole(
            self, "Role",
            assumed_by=iam.ServicePrincipal("cloudformation.amazonaws.com", conditions={
                "StringEquals": {"aws:SourceAccount": environment.account}}),
            description=f"CloudFormation service role that switches the served model version of {stack.stack_name}",
        )

        generated = [sagemaker_arn(environment, "model", "*")]
        if endpoint_name is not None:
            generated.append(sagemaker_arn(environment, "endpoint-config", "*"))
        self._allow(["sagemaker:CreateModel", "sagemaker:DescribeModel", "sagemaker:DeleteModel",
                     *(["sagemaker:CreateEndpointConfig", "sagemaker:DescribeEndpointConfig",
                        "sagemaker:DeleteEndpointConfig"] if endpoint_name is not None else []),
                     "sagemaker:AddTags", "sagemaker:ListTags"], generated)
        if endpoint_name is not None:
            endpoint = sagemaker_arn(environment, "endpoint", lowercase_arn_name(endpoint_name))
            # UpdateEndpoint is authorized on the endpoint and on the config it moves to.
            self._allow(["sagemaker:UpdateEndpoint", "sagemaker:DescribeEndpoint", "sagemaker:AddTags",
                         "sagemaker:ListTags"], [endpoint, generated[1]])
        if transforms:
            self._allow(_STATE_MACHINE_UPDATE_ACTIONS,
                        [transform.state_machine.state_machine_arn for transform in transforms])
            self.role.add_to_principal_policy(iam.PolicyStatement(
                actions=["iam:PassRole"], resources=[transform.role.role_arn for transform in transforms],
                conditions={"StringEquals": {"iam:PassedToService": "states.amazonaws.com"}},
            ))
        versions = model_package_version_arns(environment, served_package.group.model_package_group_name)
        self._allow(["sagemaker:DescribeModelPackage"], versions)
        acknowledge_wildcard_resources(self.role.policy, generated, _GENERATED_NAMES)
        acknowledge_wildcard_resources(self.role.policy, versions, VERSIONS_WILDCARD_REASON)
        self.role.add_to_principal_policy(iam.PolicyStatement(
            actions=["iam:PassRole"], resources=[role.role_arn for role in execution_roles],
            conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        ))
        if keys:
            self.role.add_to_principal_policy(iam.PolicyStatement(
                actions=["kms:CreateGrant", "kms:DescribeKey"], resources=[key.key_arn for key in keys],
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            ))
        self._allow(["ssm:GetParameters", "ssm:GetParameter"], ssm_typed_parameter_arns([stack], stack))
        # An Fn::GetStackOutput without a RoleArn is resolved with the stack's execution role: in a
        # switch, this one.
        referenced_stacks = Lazy.uncached_list(_ReferencedStackArns(stack))
        self._allow(["cloudformation:DescribeStacks"], referenced_stacks)
        acknowledge_wildcard_resources(self.role.policy, referenced_stacks, STACK_ID_REASON)

    def _allow(self, actions: list[str], resources: list[str]) -> None:
        self.role.add_to_principal_policy(iam.PolicyStatement(actions=actions, resources=resources))

    @property
    def role_arn(self) -> str:
        """The role's ARN, which the deployer passes in UpdateStack (``RoleARN``)."""
        return self.role.role_arn
