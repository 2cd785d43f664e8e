"""Access tests: each handler's scenarios run under the policy the template gives its role.

moto enforces identity-based policies once ``set_initial_no_auth_action_count`` is in force: the
scenario's setup runs with the test account's keys, then the handler runs with the keys of a user
holding exactly the role's synthesized policy, so a call the role does not allow fails with
AccessDenied as it would on a real account. Two limits of moto shape the harness:

- moto authorizes most calls against Resource "*" (it does not derive the resource ARN) and
  evaluates no condition key but ``sts:ExternalId``, so every Allow statement is attached with
  Resource "*" and without its Condition. These tests therefore prove that every call a handler
  makes has a granted action; the exact resources and conditions are asserted on the templates.
- CloudFormation's own calls with the *caller's* credentials (resolving SSM-typed parameters,
  passing the stack's role) do not happen in moto: ``CallerCloudFormation`` makes them, with the
  caller's keys, before it forwards UpdateStack.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import aws_cdk as cdk
import boto3
import pytest
from botocore.exceptions import ClientError
from cdk_sagemaker_inference.handlers.approval_deployer import index as deployer
from moto import mock_aws
from moto.core import set_initial_no_auth_action_count

from . import test_approval_handler as approval
from . import test_deployment_monitor as monitoring

T = TypeVar("T")
SWITCH_ROLE = "arn:aws:iam::123456789012:role/served-version-switch"
SSM_TYPED = "AWS::SSM::Parameter::Value<"
BOOTSTRAP_VERSION = "/cdk-bootstrap/hnb659fds/version"


def role_statements(template: dict[str, Any], role_prefix: str) -> list[dict[str, Any]]:
    """Every statement the template grants the role whose logical id starts with ``role_prefix``."""
    resources = template["Resources"]
    (role,) = [name for name, r in resources.items() if r["Type"] == "AWS::IAM::Role" and name.startswith(role_prefix)]
    statements: list[dict[str, Any]] = []
    for resource in resources.values():
        if resource["Type"] in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy") and {"Ref": role} in resource[
                "Properties"].get("Roles", []):
            statements += resource["Properties"]["PolicyDocument"]["Statement"]
    assert statements, f"no policy for {role}"
    return statements


def without_action(statements: list[dict[str, Any]], action: str) -> list[dict[str, Any]]:
    """``statements`` without ``action`` (and without a statement left with no action)."""
    kept = [{**s, "Action": [a for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
                             if a != action]} for s in statements]
    return [s for s in kept if s["Action"]]


def as_moto_policy(statements: list[dict[str, Any]]) -> dict[str, Any]:
    """The statements' actions on Resource "*", without conditions (see the module docstring)."""
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": s["Action"], "Resource": "*"} for s in statements if s["Effect"] == "Allow"]}


class Principal:
    """A moto IAM user holding ``policy``; ``run`` calls a function with its keys enforced."""

    def __init__(self, policy: dict[str, Any]) -> None:
        iam = boto3.client("iam")
        iam.create_user(UserName="handler")
        iam.put_user_policy(UserName="handler", PolicyName="role", PolicyDocument=json.dumps(policy))
        key = iam.create_access_key(UserName="handler")["AccessKey"]
        self.policy = policy
        self.session = boto3.Session(aws_access_key_id=key["AccessKeyId"],
                                     aws_secret_access_key=key["SecretAccessKey"], region_name="us-east-1")

    def client(self, service: str) -> Any:
        return self.session.client(service)

    def allows(self, action: str) -> bool:
        """Whether the policy allows ``action`` (moto has no PassRole check of its own)."""
        return any(fnmatch.fnmatch(action, granted) for statement in self.policy["Statement"]
                   for granted in ([statement["Action"]] if isinstance(statement["Action"], str)
                                   else statement["Action"]))

    @staticmethod
    def run(function: Callable[[], T]) -> T:
        """From here on every request is authenticated and authorized (no free setup calls left)."""
        return set_initial_no_auth_action_count(0)(function)()


class CallerCloudFormation:
    """CloudFormation's UpdateStack as AWS performs it with the caller's credentials: it resolves the
    stack's SSM-typed parameters (``ssm:GetParameters``) and checks that the caller may pass the role
    (``iam:PassRole``), then updates the stack (here with moto, which does neither)."""

    def __init__(self, principal: Principal, admin: Any, stack_name: str) -> None:
        self._principal = principal
        self._cloudformation = principal.client("cloudformation")
        # Read before the caller's keys are enforced: CloudFormation reads its own template.
        body = admin.get_template(StackName=stack_name)["TemplateBody"]
        parameters = (json.loads(body) if isinstance(body, str) else body).get("Parameters", {})
        self._ssm_typed = {key: p["Default"] for key, p in parameters.items() if p["Type"].startswith(SSM_TYPED)}

    def describe_stacks(self, **kwargs: Any) -> Any:
        return self._cloudformation.describe_stacks(**kwargs)

    def update_stack(self, **kwargs: Any) -> Any:
        if self._ssm_typed:
            self._principal.client("ssm").get_parameters(Names=list(self._ssm_typed.values()))
        role = kwargs.get("RoleARN")
        if role is not None and not self._principal.allows("iam:PassRole"):
            raise PermissionError(f"the caller may not pass {role} to CloudFormation")
        # Stub: moto fails on UsePreviousValue for an SSM-typed parameter (KeyError); without it, moto
        # resolves the parameter's default, which is the same SSM parameter.
        parameters = [p for p in kwargs["Parameters"] if p["ParameterKey"] not in self._ssm_typed]
        return self._cloudformation.update_stack(**{**kwargs, "Parameters": parameters})


STAND_IN_TEMPLATE = json.dumps({
    **json.loads(approval.STAND_IN_TEMPLATE),
    "Parameters": {
        **json.loads(approval.STAND_IN_TEMPLATE)["Parameters"],
        # CDK's synthesizer adds this parameter to every stack.
        "BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": BOOTSTRAP_VERSION},
    },
})


@pytest.fixture(scope="module")
def registry_template(reference_app: cdk.App) -> dict[str, Any]:
    return Template(reference_app, "inference-registry")


def Template(app: cdk.App, name: str) -> dict[str, Any]:  # noqa: N802 - reads like aws_cdk.assertions
    return app.synth().get_stack_by_name(name).template  # type: ignore[no-any-return]


class DeployerWorld(approval.World):
    """test_approval_handler's world, with the endpoint stack's BootstrapVersion parameter."""

    def __init__(self) -> None:
        boto3.client("ssm").put_parameter(Name=BOOTSTRAP_VERSION, Value="30", Type="String")
        original = approval.STAND_IN_TEMPLATE
        approval.STAND_IN_TEMPLATE = STAND_IN_TEMPLATE
        try:
            super().__init__()
        finally:
            approval.STAND_IN_TEMPLATE = original


@pytest.fixture
def world() -> Iterator[DeployerWorld]:
    with mock_aws():
        yield DeployerWorld()


def endpoint_state(world: approval.World, principal: Principal) -> deployer.EndpointState:
    """The silent-rollback check with the principal's keys (the declared config stubbed, see there)."""
    cloudformation = principal.client("cloudformation")
    return deployer.EndpointState(approval.DeclaringStack(cloudformation, world, lister=cloudformation),
                                  principal.client("sagemaker"), approval.STACK, approval.ENDPOINT)


def deployer_shell(world: DeployerWorld, principal: Principal) -> deployer.Shell:
    return deployer.Shell(
        deployer.Settings.from_environment(world.environment),
        deployer.StackParameterDeployer(CallerCloudFormation(principal, world.cloudformation, approval.STACK),
                                        approval.STACK, "ServedModelPackageArn", SWITCH_ROLE,
                                        endpoint_state(world, principal)),
        sagemaker=principal.client("sagemaker"), sns=principal.client("sns"), sqs=principal.client("sqs"),
    )


def test_deployer_policy_covers_approve_deploy(world: DeployerWorld, registry_template: dict[str, Any]) -> None:
    principal = Principal(as_moto_policy(role_statements(registry_template, "ApprovalDeploymentDeployerRole")))
    v1 = world.version()
    record = world.record(approval.event(v1))
    shell = deployer_shell(world, principal)
    result = Principal.run(lambda: shell.handle({"Records": [record]}))
    assert result == {"batchItemFailures": []}
    assert world.parameters()["ServedModelPackageArn"] == v1


def test_deployer_policy_covers_rollback_and_an_approval_the_listing_lags(
        world: DeployerWorld, registry_template: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    principal = Principal(as_moto_policy(role_statements(registry_template, "ApprovalDeploymentDeployerRole")))
    v1, v2 = world.version(), world.version()
    # Setup: v2 is served (moto cannot take UsePreviousValue for the SSM-typed parameter, see above).
    world.set_served(v2)
    world.set_status(v2, "Rejected")
    rejected = world.record(approval.event(v2, "Rejected"))
    shell = deployer_shell(world, principal)
    assert Principal.run(lambda: shell.handle({"Records": [rejected]})) == {
        "batchItemFailures": []}
    assert world.parameters()["ServedModelPackageArn"] == v1
    # DescribeModelPackage and the retry's ChangeMessageVisibility are allowed too.
    monkeypatch.setattr(deployer, "approved_newest_first", lambda sagemaker, group: [])
    lagging = world.record(approval.event(v1))
    shell = deployer_shell(world, principal)
    result = Principal.run(lambda: shell.handle({"Records": [lagging]}))
    assert result == {"batchItemFailures": [{"itemIdentifier": lagging["messageId"]}]}


def test_deployer_policy_covers_the_silent_rollback_check_and_the_redeploy(
        world: DeployerWorld, registry_template: dict[str, Any]) -> None:
    """Issue 7 item 8: DescribeStacks, ListStackResources and DescribeEndpoint, then the redeploy."""
    principal = Principal(as_moto_policy(role_statements(registry_template, "ApprovalDeploymentDeployerRole")))
    v1 = world.version()
    # Setup: v1 was deployed, and SageMaker kept the config the endpoint ran before.
    world.set_served(v1)
    world.roll_back_silently("endpointconfig-v1")
    record = world.record(approval.event(v1))
    shell = deployer_shell(world, principal)
    assert Principal.run(lambda: shell.handle({"Records": [record]})) == {"batchItemFailures": []}
    assert world.parameters()["ServedModelPackageArnRedeploy"] == "endpointconfig-v1"
    assert world.notifications()[0]["outcome"] == "redeploy"


@pytest.mark.parametrize("action", ["sagemaker:DescribeEndpoint", "cloudformation:ListStackResources"])
def test_without_the_endpoint_reads_the_deployer_cannot_decide(
        world: DeployerWorld, registry_template: dict[str, Any], action: str) -> None:
    """The harness fails a policy that lacks what the silent-rollback check calls."""
    statements = without_action(role_statements(registry_template, "ApprovalDeploymentDeployerRole"), action)
    principal = Principal(as_moto_policy(statements))
    record = world.record(approval.event(world.version()), receive_count=10)
    shell = deployer_shell(world, principal)
    result = Principal.run(lambda: shell.handle({"Records": [record]}))
    assert result == {"batchItemFailures": [{"itemIdentifier": record["messageId"]}]}
    (note,) = world.notifications()
    assert action.split(":")[1] in note["reason"]


def test_pipeline_deployer_policy_covers_the_silent_rollback_check_and_the_redeploy() -> None:
    """With a CodePipeline trigger the deployer reads the endpoint stack and starts the pipeline."""
    from aws_cdk import aws_codepipeline as codepipeline

    from . import test_approval_construct as construct

    stack = cdk.Stack(construct.new_app(), "TestStack")
    pipeline = codepipeline.Pipeline.from_pipeline_arn(
        stack, "Pipeline", "arn:aws:codepipeline:us-east-1:123456789012:deploy-endpoint")
    construct._deployment(stack, construct.DeploymentTrigger.code_pipeline(pipeline),
                          endpoint_stack_name=approval.STACK)
    template = stack.node.root.synth().get_stack_by_name("TestStack").template
    with mock_aws():
        world = approval.World()
        codepipeline_client = approval.create_pipeline()
        v1 = world.version()
        approval.pipeline_shell(world, codepipeline_client).handle({"Records": [world.record(approval.event(v1))]})
        world.roll_back_silently("endpointconfig-v1")
        principal = Principal(as_moto_policy(role_statements(template, "ApprovalDeployerRole")))
        shell = approval.pipeline_shell(
            world, principal.client("codepipeline"), endpoint=endpoint_state(world, principal),
            sagemaker=principal.client("sagemaker"), sns=principal.client("sns"), sqs=principal.client("sqs"))
        record = world.record(approval.event(v1))
        assert Principal.run(lambda: shell.handle({"Records": [record]})) == {"batchItemFailures": []}
        assert [n["outcome"] for n in world.notifications()] == ["deploy", "redeploy"]


def test_deployer_policy_covers_dead_lettering_a_bad_event(
        world: DeployerWorld, registry_template: dict[str, Any]) -> None:
    principal = Principal(as_moto_policy(role_statements(registry_template, "ApprovalDeploymentDeployerRole")))
    record = world.record("not json")
    shell = deployer_shell(world, principal)
    assert Principal.run(lambda: shell.handle({"Records": [record]})) == {
        "batchItemFailures": []}
    assert len(world.dead_letters()) == 1


def test_without_ssm_get_parameters_cloudformation_refuses_the_callers_update(
        world: DeployerWorld, registry_template: dict[str, Any]) -> None:
    """What the deployer's role lacked before (issue 7, item 2): the harness must catch it."""
    statements = [s for s in role_statements(registry_template, "ApprovalDeploymentDeployerRole")
                  if "ssm:GetParameters" not in s["Action"]]
    principal = Principal(as_moto_policy(statements))
    record = world.record(approval.event(world.version()), receive_count=10)
    shell = deployer_shell(world, principal)
    result = Principal.run(lambda: shell.handle({"Records": [record]}))
    assert result == {"batchItemFailures": [{"itemIdentifier": record["messageId"]}]}
    assert world.parameters()["ServedModelPackageArn"] == ""
    (note,) = world.notifications()
    assert "GetParameters" in note["reason"]


BATCH_SWITCH_ROLE = "arn:aws:iam::123456789012:role/batch-served-version-switch"


def test_deployer_policy_covers_switching_the_batch_stack_too(
        world: DeployerWorld, registry_template: dict[str, Any]) -> None:
    """The reference app's deployer sends the event to its queue again for the batch stack, then
    switches it (describe, the SSM-typed parameter, PassRole, UpdateStack) under the same
    synthesized policy. As everywhere here, this proves the actions; the resources and conditions
    of the batch stack's grants are asserted on the template (test_approval_construct)."""
    batch_template = json.loads(STAND_IN_TEMPLATE)
    batch_template["Resources"]["Served"]["Properties"]["Name"] = "/stand-in/batch-served"
    world.cloudformation.create_stack(
        StackName=approval.BATCH_STACK, TemplateBody=json.dumps(batch_template),
        Parameters=[{"ParameterKey": "InstanceType", "ParameterValue": "ml.m5.large"},
                    {"ParameterKey": "ServedModelPackageArnRedeploy", "ParameterValue": ""}])
    principal = Principal(as_moto_policy(role_statements(registry_template, "ApprovalDeploymentDeployerRole")))
    v1 = world.version()
    record = world.record(approval.event(v1))
    shell = deployer_shell(world, principal)
    shell.also_served = [deployer.StackParameterDeployer(
        CallerCloudFormation(principal, world.cloudformation, approval.BATCH_STACK), approval.BATCH_STACK,
        "ServedModelPackageArn", BATCH_SWITCH_ROLE)]
    assert Principal.run(lambda: shell.handle({"Records": [record]})) == {"batchItemFailures": []}
    (queued,) = world.queued()  # the event again, for the batch stack (sqs:SendMessage to its own queue)
    assert Principal.run(lambda: shell.handle({"Records": [queued]})) == {"batchItemFailures": []}
    batch = world.cloudformation.describe_stacks(StackName=approval.BATCH_STACK)["Stacks"][0]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in batch["Parameters"]}["ServedModelPackageArn"] == v1
    assert [(n["outcome"], n.get("stackName")) for n in world.notifications()] == [
        ("deploy", None), ("deploy", approval.BATCH_STACK)]


@pytest.fixture
def monitor_world() -> Iterator[monitoring.World]:
    with mock_aws():
        yield monitoring.World()


class AuthorizedStack:
    """The monitor test's stub stack (moto cannot create its endpoint config, nor keep it updating),
    answering after the real call is authorized with the principal's keys."""

    def __init__(self, principal: Principal, declared: Any) -> None:
        self._cloudformation = principal.client("cloudformation")
        self._declared = declared

    def _authorize(self, call: Callable[..., Any]) -> None:
        try:
            call(StackName=monitoring.STACK_ID)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ValidationError":  # authorized, moto only lacks the stack
                raise

    def get_paginator(self, name: str) -> Any:
        self._authorize(self._cloudformation.list_stack_resources)
        return self._declared.get_paginator(name)

    def describe_stacks(self, **kwargs: Any) -> Any:
        self._authorize(self._cloudformation.describe_stacks)
        return self._declared.describe_stacks(**kwargs)


def run_monitor(world: monitoring.World, statements: list[dict[str, Any]], status: str,
                stack_status: str = "UPDATE_COMPLETE") -> monitoring.index.Report:
    """The monitor on a status change of the endpoint stack, with the keys of a principal holding ``statements``."""
    principal = Principal(as_moto_policy(statements))
    stack = AuthorizedStack(principal, world.stack_declaring(monitoring.NEW, stack_status))
    return Principal.run(lambda: monitoring.index.monitor(
        monitoring.status_event(status), world.environment, stack, principal.client("sagemaker"),
        principal.client("sns")))


@pytest.mark.parametrize(("status", "serving", "stack_status"), [
    ("UPDATE_COMPLETE", monitoring.NEW, "UPDATE_COMPLETE"),
    ("UPDATE_COMPLETE", monitoring.OLD, "UPDATE_COMPLETE"),
    ("UPDATE_COMPLETE", monitoring.OLD, "UPDATE_IN_PROGRESS"),
    ("UPDATE_ROLLBACK_COMPLETE", monitoring.OLD, "UPDATE_ROLLBACK_COMPLETE")])
def test_monitor_policy_covers_every_outcome(monitor_world: monitoring.World, registry_template: dict[str, Any],
                                             status: str, serving: str, stack_status: str) -> None:
    monitor_world.serve(serving)
    report = run_monitor(monitor_world, role_statements(registry_template, "ApprovalDeploymentMonitorRole"), status,
                         stack_status)
    assert report.outcome in set(monitoring.Outcome)
    assert len(monitor_world.notifications()) == 1


@pytest.mark.parametrize("action", ["cloudformation:DescribeStacks", "cloudformation:ListStackResources",
                                    "sagemaker:DescribeEndpoint"])
def test_without_the_stack_and_endpoint_reads_the_monitor_cannot_report(
        monitor_world: monitoring.World, registry_template: dict[str, Any], action: str) -> None:
    """The harness fails a monitor policy that lacks what an UPDATE_COMPLETE makes it read."""
    statements = without_action(role_statements(registry_template, "ApprovalDeploymentMonitorRole"), action)
    monitor_world.serve(monitoring.NEW)
    with pytest.raises(ClientError, match="AccessDenied"):
        run_monitor(monitor_world, statements, "UPDATE_COMPLETE")
    assert monitor_world.notifications() == []
