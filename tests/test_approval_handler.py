"""approval_deployer: ``decide`` exhaustively with plain values, the shell in-process with moto.

moto has CloudFormation, SageMaker model packages, SQS, SNS and CodePipeline, but approval
changes emit no EventBridge event there: events are built by hand in the documented shape. The
endpoint stack is a stand-in with the ``ServedModelPackageArn`` parameter (and its redeploy
parameter) and an SSM parameter; moto's CloudFormation cannot create SageMaker resources, so the
endpoint config it declares is stubbed in ``list_stack_resources`` (``DeclaringStack``), and the
endpoint itself is moto's.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from cdk_sagemaker_inference import ModelApprovalStatus
from cdk_sagemaker_inference.handlers.approval_deployer import index
from cdk_sagemaker_inference.handlers.approval_deployer.index import (
    Action,
    ApprovalStatus,
    Outcome,
    StateChange,
    decide,
)
from moto import mock_aws

GROUP = "MyGroup"
STACK = "inference-realtime"
ENDPOINT = "inference-endpoint"
V = [f"arn:aws:sagemaker:us-east-1:123456789012:model-package/mygroup/{n}" for n in range(1, 6)]


def change(arn: str, status: ApprovalStatus = ApprovalStatus.APPROVED) -> StateChange:
    return StateChange(group=GROUP, model_package_arn=arn, status=status)


# --- decide: plain values -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("serving", "approved", "event", "outcome", "target"),
    [
        # approve -> deploy (from the default model, and from an older version)
        (None, [V[0]], change(V[0]), Outcome.DEPLOY, V[0]),
        (V[0], [V[1], V[0]], change(V[1]), Outcome.DEPLOY, V[1]),
        # the same event twice, or a second event for one switch: already served
        (V[1], [V[1], V[0]], change(V[1]), Outcome.ALREADY_SERVED, None),
        # approving an older version while a newer one is served changes nothing
        (V[2], [V[2], V[1], V[0]], change(V[0]), Outcome.ALREADY_SERVED, None),
        # rejecting the serving version rolls back to the newest remaining approved
        (V[2], [V[1], V[0]], change(V[2], ApprovalStatus.REJECTED), Outcome.ROLLBACK, V[1]),
        # rejecting a version that is not served changes nothing
        (V[2], [V[2], V[0]], change(V[1], ApprovalStatus.REJECTED), Outcome.ALREADY_SERVED, None),
        # rejecting the last approved: the endpoint stays as it is
        (V[0], [], change(V[0], ApprovalStatus.REJECTED), Outcome.NO_APPROVED_VERSION, None),
        (None, [], change(V[0], ApprovalStatus.REJECTED), Outcome.NO_APPROVED_VERSION, None),
        # the served version was withdrawn and a newer one is approved: serve the newer one
        (V[1], [V[3], V[0]], change(V[3]), Outcome.ROLLBACK, V[3]),
        # the served version is moved back to pending: as if rejected
        (V[1], [V[0]], change(V[1], ApprovalStatus.PENDING_MANUAL_APPROVAL), Outcome.ROLLBACK, V[0]),
        (V[1], [], change(V[1], ApprovalStatus.PENDING_MANUAL_APPROVAL), Outcome.NO_APPROVED_VERSION, None),
        # another version is pending (a new one): nothing, even when the registry has moved on
        (V[1], [V[1]], change(V[2], ApprovalStatus.PENDING_MANUAL_APPROVAL), Outcome.NOT_SERVED, None),
        (V[1], [V[3], V[1]], change(V[2], ApprovalStatus.PENDING_MANUAL_APPROVAL), Outcome.NOT_SERVED, None),
        (None, [V[0]], change(V[2], ApprovalStatus.PENDING_MANUAL_APPROVAL), Outcome.NOT_SERVED, None),
    ],
)
def test_decide(
    serving: str | None, approved: list[str], event: StateChange, outcome: Outcome, target: str | None
) -> None:
    action = decide(serving, approved, event)
    assert (action.outcome, action.target) == (outcome, target)
    assert event.model_package_arn in action.reason


def test_the_deployer_knows_every_status_the_rule_forwards() -> None:
    """The rule forwards every ModelApprovalStatus; the handler (shipped without the package)
    dead-letters a status it does not know."""
    assert {status.value for status in ModelApprovalStatus} == set(ApprovalStatus)


ROLLED_BACK = "endpointconfig-v2"


@pytest.mark.parametrize(
    ("serving", "approved", "event", "outcome", "target", "redeploy"),
    [
        # the served version's deployment was rolled back silently: the same version again
        (V[1], [V[1], V[0]], change(V[1]), Outcome.REDEPLOY, V[1], ROLLED_BACK),
        (V[1], [V[1], V[0]], change(V[0]), Outcome.REDEPLOY, V[1], ROLLED_BACK),
        (V[1], [V[1]], change(V[3], ApprovalStatus.REJECTED), Outcome.REDEPLOY, V[1], ROLLED_BACK),
        # a newer version is approved meanwhile: it deploys (its ARN is the change)
        (V[1], [V[2], V[1]], change(V[2]), Outcome.DEPLOY, V[2], None),
        # the rolled-back version is rejected: back to the newest remaining approved
        (V[1], [V[0]], change(V[1], ApprovalStatus.REJECTED), Outcome.ROLLBACK, V[0], None),
        # nothing approved: nothing to redeploy
        (V[1], [], change(V[1], ApprovalStatus.REJECTED), Outcome.NO_APPROVED_VERSION, None, None),
    ],
)
def test_decide_after_a_silent_rollback(
    serving: str, approved: list[str], event: StateChange, outcome: Outcome, target: str | None,
    redeploy: str | None,
) -> None:
    action = decide(serving, approved, event, rolled_back=ROLLED_BACK)
    assert (action.outcome, action.target, action.redeploy) == (outcome, target, redeploy)


def test_decide_names_the_silent_rollback_in_its_reason() -> None:
    assert decide(V[1], [V[1]], change(V[1]), rolled_back=ROLLED_BACK) == Action(
        Outcome.REDEPLOY, V[1],
        f"{V[1]} is Approved; {V[1]} is the newest Approved version, but SageMaker rolled its deployment back "
        f"silently (the endpoint does not run endpoint config {ROLLED_BACK}): redeploying it",
        redeploy=ROLLED_BACK,
    )
    assert ROLLED_BACK in decide(V[1], [], change(V[1], ApprovalStatus.REJECTED), rolled_back=ROLLED_BACK).reason


def test_decide_says_what_the_endpoint_keeps_serving_when_nothing_is_approved() -> None:
    assert decide(V[0], [], change(V[0], ApprovalStatus.REJECTED)) == Action(
        Outcome.NO_APPROVED_VERSION,
        None,
        f"{V[0]} is Rejected; no Approved version is left in {GROUP}, the endpoint keeps serving {V[0]}",
    )


# --- the shell, with moto -------------------------------------------------------------------------

STAND_IN_TEMPLATE = json.dumps(
    {
        "Parameters": {
            "ServedModelPackageArn": {"Type": "String", "Default": ""},
            "ServedModelPackageArnRedeploy": {"Type": "String", "Default": ""},
            "InstanceType": {"Type": "String", "Default": "ml.m5.large"},
        },
        "Resources": {
            "Served": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {
                    "Name": "/stand-in/served",
                    "Type": "String",
                    "Value": {"Fn::Join": ["", ["served:", {"Ref": "ServedModelPackageArn"}]]},
                },
            }
        },
    }
)


class DeclaringStack:
    """Stub: CloudFormation as ``cloudformation`` answers, except that the stand-in stack lists the
    endpoint config ``world.declared`` (moto cannot create it). The real ListStackResources is
    still called first (with ``lister``, default the world's client), so a caller the policy does
    not allow is refused."""

    def __init__(self, cloudformation: Any, world: World, lister: Any = None) -> None:
        self._cloudformation = cloudformation
        self._world = world
        self._lister = lister or world.cloudformation

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cloudformation, name)

    def get_paginator(self, name: str) -> Any:
        assert name == "list_stack_resources"
        return self

    def paginate(self, StackName: str) -> list[dict[str, Any]]:  # noqa: N803 - boto3's name
        self._lister.list_stack_resources(StackName=StackName)
        config = f"arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/{self._world.declared}"
        return [{"StackResourceSummaries": [
            {"LogicalResourceId": "Config", "ResourceType": "AWS::SageMaker::EndpointConfig",
             "PhysicalResourceId": config}]}]


class World:
    """The moto account: a group, the stand-in stack, its endpoint, the queues and a subscribed topic."""

    def __init__(self) -> None:
        self.sagemaker = boto3.client("sagemaker")
        self.cloudformation = boto3.client("cloudformation")
        self.sqs = boto3.client("sqs")
        self.sns = boto3.client("sns")
        self.sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
        self.stack_id = self.cloudformation.create_stack(
            StackName=STACK,
            TemplateBody=STAND_IN_TEMPLATE,
            # Stub: moto resolves UsePreviousValue only for parameters given at creation.
            Parameters=[{"ParameterKey": "InstanceType", "ParameterValue": "ml.c5.xlarge"},
                        {"ParameterKey": "ServedModelPackageArnRedeploy", "ParameterValue": ""}],
        )["StackId"]
        self.queue_url = self.sqs.create_queue(QueueName="approvals")["QueueUrl"]
        self.dlq_url = self.sqs.create_queue(QueueName="approvals-dlq")["QueueUrl"]
        self.inbox_url = self.sqs.create_queue(QueueName="inbox")["QueueUrl"]
        self.topic_arn = self.sns.create_topic(Name="notifications")["TopicArn"]
        inbox_arn = self.sqs.get_queue_attributes(QueueUrl=self.inbox_url, AttributeNames=["QueueArn"])
        self.sns.subscribe(
            TopicArn=self.topic_arn, Protocol="sqs", Endpoint=inbox_arn["Attributes"]["QueueArn"]
        )
        self.environment = {
            "MODEL_PACKAGE_GROUP_NAME": GROUP,
            "TOPIC_ARN": self.topic_arn,
            "QUEUE_URL": self.queue_url,
            "DEAD_LETTER_QUEUE_URL": self.dlq_url,
            "MAX_RECEIVE_COUNT": "3",
            "STACK_NAME": STACK,
            "PARAMETER_NAME": "ServedModelPackageArn",
            "ENDPOINT_STACK_NAME": STACK,
            "ENDPOINT_NAME": ENDPOINT,
        }
        self.messages = 0
        self.sagemaker.create_model(ModelName="m", ExecutionRoleArn="arn:aws:iam::123456789012:role/r",
                                    PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1"})
        #: The endpoint config the stack declares (the endpoint runs it unless rolled back).
        self.declared: str
        self.update_completes("endpointconfig-first")

    def serve(self, config: str) -> None:
        """The endpoint runs ``config`` (moto has no UpdateEndpoint: it is created again)."""
        self.sagemaker.create_endpoint_config(EndpointConfigName=config, ProductionVariants=[{
            "VariantName": "AllTraffic", "ModelName": "m", "InitialInstanceCount": 1, "InstanceType": "ml.m5.large"}])
        if self.sagemaker.list_endpoints()["Endpoints"]:
            self.sagemaker.delete_endpoint(EndpointName=ENDPOINT)
        self.sagemaker.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName=config)

    def set_served(self, arn: str) -> None:
        """Setup: the stack names ``arn``, as a switch leaves it (moto completes updates at once)."""
        self.cloudformation.update_stack(StackName=STACK, UsePreviousTemplate=True, Parameters=[
            {"ParameterKey": "ServedModelPackageArn", "ParameterValue": arn},
            {"ParameterKey": "ServedModelPackageArnRedeploy", "UsePreviousValue": True},
            {"ParameterKey": "InstanceType", "UsePreviousValue": True}])

    def roll_back_silently(self, declared: str) -> None:
        """The stack update to ``declared`` completed, but SageMaker returned the endpoint to the
        config it ran before (its auto-rollback alarm fired)."""
        before = self.sagemaker.describe_endpoint(EndpointName=ENDPOINT)["EndpointConfigName"]
        self.declared = declared
        self.sagemaker.delete_endpoint(EndpointName=ENDPOINT)
        self.sagemaker.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName=before)

    def update_completes(self, declared: str) -> None:
        """A stack update replaced the endpoint config with ``declared`` and the endpoint runs it."""
        self.declared = declared
        self.serve(declared)

    def version(self, status: str = "Approved") -> str:
        arn: str = self.sagemaker.create_model_package(
            ModelPackageGroupName=GROUP,
            ModelApprovalStatus=status,
            InferenceSpecification={
                "Containers": [{"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
        )["ModelPackageArn"]
        return arn

    def set_status(self, arn: str, status: str) -> None:
        self.sagemaker.update_model_package(ModelPackageArn=arn, ModelApprovalStatus=status)

    def parameters(self) -> dict[str, str]:
        stack = self.cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]
        return {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}

    def record(self, body: Any, receive_count: int = 1) -> dict[str, Any]:
        """An SQS event-source record: the message is really sent, so its receipt handle is real."""
        text = body if isinstance(body, str) else json.dumps(body)
        self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=text)
        (message,) = self.sqs.receive_message(QueueUrl=self.queue_url)["Messages"]
        self.messages += 1
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": text,
            "attributes": {"ApproximateReceiveCount": str(receive_count)},
        }

    def queued(self) -> list[dict[str, Any]]:
        """The messages waiting in the queue, as SQS event-source records (attributes included)."""
        received = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                            MessageAttributeNames=["All"])
        return [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                 "attributes": {"ApproximateReceiveCount": "1"},
                 "messageAttributes": {name: {"stringValue": value["StringValue"], "dataType": value["DataType"]}
                                       for name, value in m.get("MessageAttributes", {}).items()}}
                for m in received.get("Messages", [])]

    def notifications(self) -> list[dict[str, Any]]:
        received = self.sqs.receive_message(QueueUrl=self.inbox_url, MaxNumberOfMessages=10)
        return [json.loads(json.loads(m["Body"])["Message"]) for m in received.get("Messages", [])]

    def dead_letters(self) -> list[dict[str, Any]]:
        received = self.sqs.receive_message(
            QueueUrl=self.dlq_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        )
        messages: list[dict[str, Any]] = received.get("Messages", [])
        return messages

    def endpoint(self, cloudformation: Any = None) -> index.EndpointState:
        return index.EndpointState(DeclaringStack(cloudformation or self.cloudformation, self), self.sagemaker,
                                   STACK, ENDPOINT)

    def shell(self, cloudformation: Any = None) -> index.Shell:
        return index.Shell(
            index.Settings.from_environment(self.environment),
            index.StackParameterDeployer(
                cloudformation or self.cloudformation, STACK, "ServedModelPackageArn",
                endpoint=self.endpoint(cloudformation),
            ),
            sagemaker=self.sagemaker,
            sns=self.sns,
            sqs=self.sqs,
        )

    def handle(self, *records: dict[str, Any], cloudformation: Any = None) -> list[str]:
        result = self.shell(cloudformation).handle({"Records": list(records)})
        return [failure["itemIdentifier"] for failure in result["batchItemFailures"]]


def event(arn: str, status: str = "Approved", group: str = GROUP) -> dict[str, Any]:
    """A "SageMaker Model Package State Change" event as EventBridge delivers it."""
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "SageMaker Model Package State Change",
        "source": "aws.sagemaker",
        "account": "123456789012",
        "time": "2025-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [arn],
        "detail": {
            "ModelPackageGroupName": group,
            "ModelPackageArn": arn,
            "ModelApprovalStatus": status,
            "ModelPackageVersion": int(arn.rsplit("/", 1)[1]),
            "ModelPackageStatus": "Completed",
        },
    }


def in_group(record: dict[str, Any], group: str = GROUP, receive_count: int = 1) -> dict[str, Any]:
    """``record`` as a FIFO queue delivers it: in message group ``group``, received ``receive_count`` times."""
    return {**record, "attributes": {"ApproximateReceiveCount": str(receive_count), "MessageGroupId": group}}


@pytest.fixture
def world() -> Iterator[World]:
    with mock_aws():
        yield World()


def test_approve_deploys_by_updating_only_the_served_parameter(world: World) -> None:
    v1 = world.version()
    assert world.handle(world.record(event(v1))) == []
    assert world.parameters() == {"ServedModelPackageArn": v1, "ServedModelPackageArnRedeploy": "",
                                  "InstanceType": "ml.c5.xlarge"}
    (note,) = world.notifications()
    assert note["outcome"] == "deploy" and note["target"] == v1 and note["servedBefore"] is None


class RecordingCloudFormation:
    """The world's CloudFormation client, recording every UpdateStack call in ``calls`` and counting
    DescribeStacks calls in ``described``. A RoleARN is recorded but not passed on: moto would try
    to use a role that does not exist."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.calls: list[dict[str, Any]] = []
        self.described = 0

    def describe_stacks(self, **kwargs: Any) -> Any:
        self.described += 1
        return self.world.cloudformation.describe_stacks(**kwargs)

    def update_stack(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        return self.world.cloudformation.update_stack(**{k: v for k, v in kwargs.items() if k != "RoleARN"})


def update_on_previous_template(world: World, parameters: list[dict[str, Any]]) -> dict[str, Any]:
    """The UpdateStack call the deployer makes: the stack's previous template and no new capability,
    with ``parameters`` (what each test checks)."""
    return {"StackName": world.stack_id, "UsePreviousTemplate": True, "Capabilities": [], "Parameters": parameters}


def test_update_reuses_the_template_every_other_value_and_the_capabilities(world: World) -> None:
    v1 = world.version()
    recording = RecordingCloudFormation(world)
    world.handle(world.record(event(v1)), cloudformation=recording)
    assert recording.calls == [update_on_previous_template(world, [
        {"ParameterKey": "ServedModelPackageArnRedeploy", "UsePreviousValue": True},
        {"ParameterKey": "InstanceType", "UsePreviousValue": True},
        {"ParameterKey": "ServedModelPackageArn", "ParameterValue": v1},
    ])]


def test_a_duplicate_event_starts_nothing(world: World) -> None:
    v1 = world.version()
    world.handle(world.record(event(v1)))
    stack_before = world.cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]
    assert world.handle(world.record(event(v1))) == []
    assert world.cloudformation.describe_stacks(StackName=STACK)["Stacks"][0] == stack_before
    assert [n["outcome"] for n in world.notifications()] == ["deploy", "already-served"]


def test_approving_an_older_version_changes_nothing(world: World) -> None:
    v1, v2 = world.version("PendingManualApproval"), world.version()
    world.handle(world.record(event(v2)))
    world.set_status(v1, "Approved")
    assert world.handle(world.record(event(v1))) == []
    assert world.parameters()["ServedModelPackageArn"] == v2
    assert [n["outcome"] for n in world.notifications()] == ["deploy", "already-served"]


@pytest.mark.parametrize("status", ["Rejected", "PendingManualApproval"])
def test_withdrawing_the_served_version_rolls_back_to_the_newest_remaining_approved(
    world: World, status: str
) -> None:
    """Rejected, or moved back to PendingManualApproval: either way it is no longer Approved."""
    v1, v2 = world.version(), world.version()
    world.handle(world.record(event(v2)))
    world.set_status(v2, status)
    assert world.handle(world.record(event(v2, status))) == []
    assert world.parameters()["ServedModelPackageArn"] == v1
    notes = world.notifications()
    assert [n["outcome"] for n in notes] == ["deploy", "rollback"]
    assert notes[1]["servedBefore"] == v2 and notes[1]["target"] == v1
    assert notes[1]["reason"] == (f"{v2} is {status}; the served {v2} is no longer Approved, "
                                  f"rolling back to {v1}, the newest Approved version")


def test_rejecting_the_last_approved_version_leaves_the_endpoint_and_says_so(world: World) -> None:
    v1 = world.version()
    world.handle(world.record(event(v1)))
    world.set_status(v1, "Rejected")
    assert world.handle(world.record(event(v1, "Rejected"))) == []
    assert world.parameters()["ServedModelPackageArn"] == v1
    assert world.notifications()[1]["outcome"] == "no-approved-version"


def test_a_new_version_pending_approval_changes_nothing_and_notifies_nobody(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    v1 = world.version()
    world.handle(world.record(event(v1)))
    stack_before = world.cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]
    v2 = world.version("PendingManualApproval")
    with caplog.at_level(logging.INFO):
        assert world.handle(world.record(event(v2, "PendingManualApproval"))) == []
    assert world.cloudformation.describe_stacks(StackName=STACK)["Stacks"][0] == stack_before
    assert [n["outcome"] for n in world.notifications()] == ["deploy"]
    assert f"{v2} is PendingManualApproval; it is not served, so nothing changes" in caplog.text
    assert world.dead_letters() == []


def test_a_new_version_pending_approval_does_not_redeploy_after_a_silent_rollback(world: World) -> None:
    """A redeploy waits for an approval event (or the same event sent again), not a registration."""
    deployed_then_rolled_back(world)
    stack_before = world.cloudformation.describe_stacks(StackName=STACK)["Stacks"][0]
    pending = world.version("PendingManualApproval")
    assert world.handle(world.record(event(pending, "PendingManualApproval"))) == []
    assert world.cloudformation.describe_stacks(StackName=STACK)["Stacks"][0] == stack_before


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("not json", "the message is not JSON"),
        ([1, 2], "the message must be a JSON object, got list"),
        ({**event(V[0]), "source": "aws.s3"}, "source and detail-type must be 'aws.sagemaker'"),
        ({**event(V[0]), "detail": "x"}, "detail must be an object"),
        (event(V[0], group="OtherGroup"), "ModelPackageGroupName must be 'MyGroup', got 'OtherGroup'"),
        (event(V[0].replace("mygroup", "othergroup")), "ModelPackageArn must be a version of 'MyGroup'"),
        (event(V[0], status="Deleted"),
         "ModelApprovalStatus must be one of Approved, Rejected, PendingManualApproval, got 'Deleted'"),
    ],
)
def test_bad_input_goes_to_the_dead_letter_queue_at_once_with_the_reason(
    world: World, body: Any, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    record = world.record(body)
    assert world.handle(record) == []  # not retried: retrying cannot fix it
    (dead,) = world.dead_letters()
    assert dead["Body"] == record["body"]
    assert reason in dead["MessageAttributes"]["RejectReason"]["StringValue"]
    assert reason in caplog.text
    (note,) = world.notifications()
    assert note["outcome"] == "rejected-event" and reason in note["reason"]
    assert world.parameters()["ServedModelPackageArn"] == ""


class Throttled:
    """Stub: describe_stacks raises Throttling once, then calls moto (moto never throttles)."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.throttled = False

    def describe_stacks(self, **kwargs: Any) -> Any:
        if not self.throttled:
            self.throttled = True
            raise ClientError({"Error": {"Code": "Throttling", "Message": "Rate exceeded"}}, "DescribeStacks")
        return self.real.describe_stacks(**kwargs)

    def update_stack(self, **kwargs: Any) -> Any:
        return self.real.update_stack(**kwargs)


def test_throttling_is_retried_with_backoff_then_succeeds(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    v1 = world.version()
    visibility: list[int] = []
    monkeypatch.setattr(
        world.sqs,
        "change_message_visibility",
        lambda **kwargs: visibility.append(kwargs["VisibilityTimeout"]),
    )
    throttled = Throttled(world.cloudformation)
    record = world.record(event(v1))
    assert world.handle(record, cloudformation=throttled) == [record["messageId"]]
    assert visibility == [30]
    assert world.parameters()["ServedModelPackageArn"] == ""
    assert (
        world.handle({**record, "attributes": {"ApproximateReceiveCount": "2"}}, cloudformation=throttled)
        == []
    )
    assert world.parameters()["ServedModelPackageArn"] == v1


def test_backoff_doubles_up_to_fifteen_minutes() -> None:
    assert [index.backoff_seconds(n) for n in (1, 2, 3, 4, 5, 6, 10)] == [30, 60, 120, 240, 480, 900, 900]


class Updating:
    """Stub: the stack is UPDATE_IN_PROGRESS (moto completes updates at once); no update may start."""

    def __init__(self, world: World) -> None:
        self.world = world

    def describe_stacks(self, **kwargs: Any) -> Any:
        response = self.world.cloudformation.describe_stacks(**kwargs)
        response["Stacks"][0]["StackStatus"] = "UPDATE_IN_PROGRESS"
        return response

    def update_stack(self, **kwargs: Any) -> Any:
        raise AssertionError("must not update a stack in progress")


def test_a_stack_already_updating_is_retried_later(world: World) -> None:
    v1, v2 = world.version(), world.version()
    world.set_served(v1)
    # v1 is being deployed; the approval of v2 must wait; a duplicate of v1 is a no-op meanwhile.
    record = world.record(event(v2))
    assert world.handle(record, cloudformation=Updating(world)) == [record["messageId"]]
    world.set_status(v2, "Rejected")
    assert world.handle(world.record(event(v1)), cloudformation=Updating(world)) == []


def test_a_deleted_stack_is_retried(world: World) -> None:
    v1 = world.version()
    world.cloudformation.delete_stack(StackName=STACK)
    record = world.record(event(v1))
    assert world.handle(record) == [record["messageId"]]


def test_the_last_attempt_reports_the_failure_and_leaves_the_message_to_the_redrive(world: World) -> None:
    v1 = world.version()
    world.cloudformation.delete_stack(StackName=STACK)
    record = world.record(event(v1), receive_count=3)  # MAX_RECEIVE_COUNT
    assert world.handle(record) == [record["messageId"]]
    (note,) = world.notifications()
    assert note["outcome"] == "failed" and note["attempts"] == 3
    assert "dead-letter queue" in note["next"]


def test_retries_exhausted_the_queue_redrives_to_the_dead_letter_queue(world: World) -> None:
    """SQS, not the handler, moves the message after maxReceiveCount receives (simulated in moto)."""
    v1 = world.version()
    world.cloudformation.delete_stack(StackName=STACK)
    dlq_arn = world.sqs.get_queue_attributes(QueueUrl=world.dlq_url, AttributeNames=["QueueArn"])
    world.sqs.set_queue_attributes(
        QueueUrl=world.queue_url,
        Attributes={
            "VisibilityTimeout": "0",
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dlq_arn["Attributes"]["QueueArn"], "maxReceiveCount": "3"}
            ),
        },
    )
    world.sqs.send_message(QueueUrl=world.queue_url, MessageBody=json.dumps(event(v1)))
    for _ in range(4):
        for message in world.sqs.receive_message(QueueUrl=world.queue_url, AttributeNames=["All"]).get(
            "Messages", []
        ):
            record = {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": message["Attributes"],
            }
            world.shell().handle({"Records": [record]})
            world.sqs.change_message_visibility(
                QueueUrl=world.queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
    (dead,) = world.dead_letters()
    assert json.loads(dead["Body"])["detail"]["ModelPackageArn"] == v1


def test_an_approval_the_registry_does_not_list_yet_is_retried(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    v1 = world.version()
    # Stub: moto's listing is always consistent; simulate a listing that lags behind the event.
    monkeypatch.setattr(index, "approved_newest_first", lambda sagemaker, group: [])
    record = world.record(event(v1))
    assert world.handle(record) == [record["messageId"]]


def create_pipeline() -> Any:
    """A V2 pipeline in moto that declares the served-version variables; returns its client."""
    role_arn = boto3.client("iam").create_role(
        RoleName="pipeline",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "sts:AssumeRole",
                        "Principal": {"Service": "codepipeline.amazonaws.com"},
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    codepipeline = boto3.client("codepipeline")
    codepipeline.create_pipeline(
        pipeline={
            "name": "deploy-endpoint",
            "roleArn": role_arn,
            "pipelineType": "V2",
            "variables": [{"name": "ServedModelPackageArn", "defaultValue": "keep"},
                          {"name": "ServedModelPackageArnRedeploy", "defaultValue": "keep"}],
            "artifactStore": {"type": "S3", "location": "artifacts"},
            "stages": [
                {
                    "name": "Source",
                    "actions": [
                        {
                            "name": "S",
                            "actionTypeId": {
                                "category": "Source",
                                "owner": "AWS",
                                "provider": "S3",
                                "version": "1",
                            },
                            "outputArtifacts": [{"name": "out"}],
                            "configuration": {"S3Bucket": "b", "S3ObjectKey": "k"},
                        }
                    ],
                },
                {
                    "name": "Deploy",
                    "actions": [
                        {
                            "name": "D",
                            "actionTypeId": {
                                "category": "Deploy",
                                "owner": "AWS",
                                "provider": "CloudFormation",
                                "version": "1",
                            },
                            "inputArtifacts": [{"name": "out"}],
                            "configuration": {},
                        }
                    ],
                },
            ],
        }
    )
    return codepipeline


def pipeline_shell(world: World, codepipeline: Any, *, endpoint: index.EndpointState | None = None,
                   sagemaker: Any = None, sns: Any = None, sqs: Any = None) -> index.Shell:
    """The shell with a pipeline trigger (pipeline ``deploy-endpoint``); the clients and the endpoint
    check default to the world's."""
    return index.Shell(
        index.Settings.from_environment(world.environment),
        index.PipelineDeployer(codepipeline, "deploy-endpoint", "ServedModelPackageArn",
                               endpoint or world.endpoint()),
        sagemaker=sagemaker or world.sagemaker,
        sns=sns or world.sns,
        sqs=sqs or world.sqs,
    )


def executions(codepipeline: Any) -> list[list[dict[str, str]]]:
    """The variables of each execution, newest first."""
    return [codepipeline.get_pipeline_execution(pipelineName="deploy-endpoint", pipelineExecutionId=summary[
        "pipelineExecutionId"])["pipelineExecution"]["variables"]
        for summary in codepipeline.list_pipeline_executions(pipelineName="deploy-endpoint")[
            "pipelineExecutionSummaries"]]


def test_code_pipeline_trigger_starts_an_execution_with_the_variable(world: World) -> None:
    codepipeline = create_pipeline()
    v1 = world.version()
    shell = pipeline_shell(world, codepipeline)
    for _ in range(2):  # the second delivery finds v1 served by the last execution
        assert shell.handle({"Records": [world.record(event(v1))]}) == {"batchItemFailures": []}
    (variables,) = executions(codepipeline)
    assert variables == [{"name": "ServedModelPackageArn", "resolvedValue": v1}]
    assert [n["outcome"] for n in world.notifications()] == ["deploy", "already-served"]


class Paged:
    """moto's CodePipeline, with the paging of ListPipelineExecutions that moto lacks (it cuts the
    list at maxResults and returns no nextToken); counts the pages listed and records the
    executions started (and starts them in moto)."""

    def __init__(self, codepipeline: Any) -> None:
        self._codepipeline = codepipeline
        self.pages = 0
        self.started: list[dict[str, Any]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._codepipeline, name)

    def list_pipeline_executions(self, pipelineName: str, maxResults: int,  # noqa: N803 - boto3's names
                                 nextToken: str = "0") -> dict[str, Any]:
        self.pages += 1
        every = self._codepipeline.list_pipeline_executions(pipelineName=pipelineName)["pipelineExecutionSummaries"]
        start = int(nextToken)
        page: dict[str, Any] = {"pipelineExecutionSummaries": every[start:start + maxResults]}
        if start + maxResults < len(every):
            page["nextToken"] = str(start + maxResults)
        return page

    def start_pipeline_execution(self, **kwargs: Any) -> Any:
        self.started.append(kwargs)
        return self._codepipeline.start_pipeline_execution(**kwargs)


def run(codepipeline: Any, value: str, count: int = 1) -> None:
    """Setup: ``count`` executions of the pipeline with ``value`` in its served-version variable
    (``keep``: a code change started them). moto's executions succeed at once."""
    for _ in range(count):
        codepipeline.start_pipeline_execution(name="deploy-endpoint",
                                              variables=[{"name": "ServedModelPackageArn", "value": value}])


def test_code_pipeline_trigger_reads_the_served_version_past_pages_of_code_change_runs(world: World) -> None:
    """11 code pushes since the approval of v2: the run that names v2 is on the second page."""
    codepipeline = create_pipeline()
    v1, v2 = world.version(), world.version()
    run(codepipeline, v2)
    run(codepipeline, "keep", 11)
    paged = Paged(codepipeline)
    shell = pipeline_shell(world, paged)
    for approved in (v2, v1):  # a duplicate event, and the approval of an older version
        assert shell.handle({"Records": [world.record(event(approved))]}) == {"batchItemFailures": []}
    assert paged.started == []
    assert paged.pages == 4  # two pages a message
    assert [n["outcome"] for n in world.notifications()] == ["already-served", "already-served"]


def test_code_pipeline_trigger_takes_the_default_model_only_after_reading_the_whole_history(world: World) -> None:
    codepipeline = create_pipeline()
    run(codepipeline, "keep", 12)
    paged = Paged(codepipeline)
    deployer = index.PipelineDeployer(paged, "deploy-endpoint", "ServedModelPackageArn", world.endpoint())
    assert deployer.served() == index.Served(None)
    assert paged.pages == 2


def test_code_pipeline_trigger_fails_past_its_page_limit_rather_than_assume_the_default_model(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(index, "PIPELINE_PAGE_LIMIT", 2)
    codepipeline = create_pipeline()
    v1 = world.version()
    run(codepipeline, v1)
    run(codepipeline, "keep", 20)
    paged = Paged(codepipeline)
    record = world.record(event(v1), receive_count=3)  # MAX_RECEIVE_COUNT: the last attempt reports
    assert pipeline_shell(world, paged).handle({"Records": [record]}) == {
        "batchItemFailures": [{"itemIdentifier": record["messageId"]}]}
    assert (paged.started, paged.pages) == ([], 2)
    (failed,) = world.notifications()
    assert failed["outcome"] == "failed"
    assert failed["reason"].startswith("none of the newest 20 executions of pipeline deploy-endpoint names a "
                                       "version in ServedModelPackageArn (code-change runs carry 'keep')")


def test_handler_reads_its_configuration_from_the_environment(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    v1 = world.version()
    for name, value in world.environment.items():
        monkeypatch.setenv(name, value)
    assert index.handler({"Records": [world.record(event(v1))]}, None) == {"batchItemFailures": []}
    assert world.parameters()["ServedModelPackageArn"] == v1


# --- after a silent rollback (issue 7, item 8) ------------------------------------------------------


def deployed_then_rolled_back(world: World) -> str:
    """v1 is approved and deployed; the update completes, but SageMaker keeps the old config."""
    v1 = world.version()
    world.handle(world.record(event(v1)))
    world.roll_back_silently("endpointconfig-v1")
    return v1


def test_after_a_silent_rollback_the_same_event_again_redeploys_the_version(world: World) -> None:
    v1 = deployed_then_rolled_back(world)
    # A redriven or re-sent message, or any later approval event of the group:
    assert world.handle(world.record(event(v1))) == []
    assert world.parameters() == {"ServedModelPackageArn": v1, "ServedModelPackageArnRedeploy": "endpointconfig-v1",
                                  "InstanceType": "ml.c5.xlarge"}
    deployed, redeployed = world.notifications()
    assert deployed["outcome"] == "deploy"
    assert redeployed["outcome"] == "redeploy" and redeployed["target"] == v1 and redeployed["servedBefore"] == v1
    assert redeployed["silentRollback"] == "endpointconfig-v1"
    assert "SageMaker rolled its deployment back silently" in redeployed["reason"]


def test_a_redeploy_changes_the_redeploy_parameter_with_the_previous_template(world: World) -> None:
    v1 = deployed_then_rolled_back(world)
    recording = RecordingCloudFormation(world)
    world.handle(world.record(event(v1)), cloudformation=recording)
    assert recording.calls == [update_on_previous_template(world, [
        {"ParameterKey": "InstanceType", "UsePreviousValue": True},
        {"ParameterKey": "ServedModelPackageArn", "ParameterValue": v1},
        {"ParameterKey": "ServedModelPackageArnRedeploy", "ParameterValue": "endpointconfig-v1"},
    ])]


def test_a_duplicate_while_the_redeploy_runs_starts_nothing(world: World) -> None:
    v1 = deployed_then_rolled_back(world)
    world.handle(world.record(event(v1)))
    # The endpoint still runs the old config while the redeploy is in progress.
    assert world.handle(world.record(event(v1)), cloudformation=Updating(world)) == []
    assert [n["outcome"] for n in world.notifications()] == ["deploy", "redeploy", "already-served"]


def test_once_the_redeploy_is_served_the_version_is_served(world: World) -> None:
    v1 = deployed_then_rolled_back(world)
    world.handle(world.record(event(v1)))
    world.update_completes("endpointconfig-v1-again")
    assert world.handle(world.record(event(v1))) == []
    assert [n["outcome"] for n in world.notifications()] == ["deploy", "redeploy", "already-served"]


def test_the_served_version_and_the_rollback_check_read_the_endpoint_stack_once(world: World) -> None:
    v1 = deployed_then_rolled_back(world)
    counting = RecordingCloudFormation(world)
    deployer = world.shell(counting).deployer
    assert deployer.served() == index.Served(v1, "endpointconfig-v1")
    assert counting.described == 1


def test_the_rollback_check_reads_its_own_stack_when_it_is_not_the_parameters(world: World) -> None:
    """The endpoint stack named otherwise than the parameter's stack (here by its id) is read itself."""
    v1 = deployed_then_rolled_back(world)
    counting = RecordingCloudFormation(world)
    endpoint = index.EndpointState(DeclaringStack(counting, world), world.sagemaker, world.stack_id, ENDPOINT)
    deployer = index.StackParameterDeployer(counting, STACK, "ServedModelPackageArn", endpoint=endpoint)
    assert deployer.served() == index.Served(v1, "endpointconfig-v1")
    assert counting.described == 2


def test_a_redeploy_rolled_back_again_waits_for_the_next_event_and_gets_a_new_value(world: World) -> None:
    """No loop: nothing redeploys without an event; each event after a rollback is one more attempt."""
    v1 = deployed_then_rolled_back(world)
    world.handle(world.record(event(v1)))
    world.roll_back_silently("endpointconfig-v1-again")
    assert world.parameters()["ServedModelPackageArnRedeploy"] == "endpointconfig-v1"
    world.handle(world.record(event(v1)))
    assert world.parameters()["ServedModelPackageArnRedeploy"] == "endpointconfig-v1-again"


#: The redeploy parameter's AllowedPattern (``ServedModelPackage``).
REDEPLOY_PATTERN = re.compile(r"^([a-z0-9](-*[a-z0-9]){0,62})?$")


@pytest.mark.parametrize(("rolled_back", "current", "value"), [
    ("endpointconfig-v1", None, "endpointconfig-v1"),
    ("endpointconfig-v1", "endpointconfig-v0", "endpointconfig-v1"),
    ("endpointconfig-v1-again", "endpointconfig-v1", "endpointconfig-v1-again"),
    # the parameter holds the config's name already: another value, the same for the same name
    ("endpointconfig-v1", "endpointconfig-v1", "endpointconfig-v1-again"),
    ("endpointconfig-v1-again", "endpointconfig-v1-again", "endpointconfig-v1-again-again"),
    # at most 63 characters, cut before a hyphen
    ("a" * 63, "a" * 63, "a" * 57 + "-again"),
    ("a" * 56 + "-" + "b" * 6, "a" * 56 + "-" + "b" * 6, "a" * 56 + "-again"),
    # the cut name plus the suffix is the name itself: the second suffix
    ("a" * 57 + "-again", "a" * 57 + "-again", "a" * 55 + "-again-2"),
])
def test_a_redeploy_value_never_repeats_the_parameters_value(rolled_back: str, current: str | None,
                                                              value: str) -> None:
    assert index.redeploy_value(rolled_back, current) == value
    assert value != current and REDEPLOY_PATTERN.match(value)


def test_a_second_rollback_of_the_same_config_redeploys_with_another_value(world: World) -> None:
    """The stack declares the same config again after a redeploy rolled back: UpdateStack with the
    parameter's value unchanged would be "No updates are to be performed" (dead-lettered, never
    redeployed); the deployer sets another value instead, and the next rollback the name again."""
    v1 = deployed_then_rolled_back(world)
    world.handle(world.record(event(v1)))
    assert world.parameters()["ServedModelPackageArnRedeploy"] == "endpointconfig-v1"
    world.roll_back_silently("endpointconfig-v1")
    recording = RecordingCloudFormation(world)
    assert world.handle(world.record(event(v1)), cloudformation=recording) == []
    (update,) = recording.calls
    assert update["Parameters"][-1] == {"ParameterKey": "ServedModelPackageArnRedeploy",
                                        "ParameterValue": "endpointconfig-v1-again"}
    redeployed = world.notifications()[-1]
    assert (redeployed["outcome"], redeployed["silentRollback"], redeployed["redeployValue"]) == (
        "redeploy", "endpointconfig-v1", "endpointconfig-v1-again")
    world.roll_back_silently("endpointconfig-v1")
    world.handle(world.record(event(v1)))
    assert world.parameters()["ServedModelPackageArnRedeploy"] == "endpointconfig-v1"


def test_code_pipeline_trigger_redeploys_a_second_rollback_of_the_same_config_with_another_value(
        world: World) -> None:
    """The run that serves the version carries the redeploy value the stage's stack holds."""
    codepipeline = create_pipeline()
    v1 = world.version()
    shell = pipeline_shell(world, codepipeline)
    shell.handle({"Records": [world.record(event(v1))]})
    for _ in range(2):  # the redeploy's stack update completes, and SageMaker rolls back the same config
        world.roll_back_silently("endpointconfig-v1")
        assert shell.handle({"Records": [world.record(event(v1))]}) == {"batchItemFailures": []}
    assert [variables[-1]["resolvedValue"] for variables in executions(codepipeline)[:2]] == [
        "endpointconfig-v1-again", "endpointconfig-v1"]


def test_a_stack_without_the_redeploy_parameter_cannot_redeploy_and_is_dead_lettered_at_once(world: World) -> None:
    v1 = deployed_then_rolled_back(world)

    class Older:
        """Stub: a stack declared before the redeploy parameter (moto keeps parameters an update drops)."""

        def describe_stacks(self, **kwargs: Any) -> Any:
            response = world.cloudformation.describe_stacks(**kwargs)
            parameters = response["Stacks"][0]["Parameters"]
            response["Stacks"][0]["Parameters"] = [
                p for p in parameters if p["ParameterKey"] != "ServedModelPackageArnRedeploy"]
            return response

        def update_stack(self, **kwargs: Any) -> Any:
            raise AssertionError("an update with the same parameters changes nothing")

    record = world.record(event(v1))  # the first attempt: no retry can add the parameter
    assert world.handle(record, cloudformation=Older()) == []
    reason = f"has no parameter ServedModelPackageArnRedeploy: it cannot redeploy {v1}"
    (dead,) = world.dead_letters()
    assert dead["Body"] == record["body"] and reason in dead["MessageAttributes"]["RejectReason"]["StringValue"]
    failed = world.notifications()[-1]
    assert (failed["outcome"], failed["attempts"]) == ("failed", 1) and reason in failed["reason"]
    assert failed["next"] == "the message moved to the dead-letter queue at once: retrying cannot succeed"


def test_a_stack_without_the_served_parameter_is_dead_lettered_at_once(world: World) -> None:
    v1 = world.version()
    shell = world.shell()
    shell.deployer = index.StackParameterDeployer(world.cloudformation, STACK, "Misspelt")
    assert shell.handle({"Records": [world.record(event(v1))]}) == {"batchItemFailures": []}
    (dead,) = world.dead_letters()
    assert dead["MessageAttributes"]["RejectReason"]["StringValue"].startswith(
        f"stack {STACK} has no parameter Misspelt: is the deployer's PARAMETER_NAME")
    assert world.notifications()[-1]["outcome"] == "failed"


def test_code_pipeline_trigger_redeploys_with_the_redeploy_variable(world: World) -> None:
    codepipeline = create_pipeline()
    v1 = world.version()
    shell = pipeline_shell(world, codepipeline)
    shell.handle({"Records": [world.record(event(v1))]})
    world.roll_back_silently("endpointconfig-v1")  # the stage's stack update completed, SageMaker rolled back
    assert shell.handle({"Records": [world.record(event(v1))]}) == {"batchItemFailures": []}
    assert executions(codepipeline)[0] == [
        {"name": "ServedModelPackageArn", "resolvedValue": v1},
        {"name": "ServedModelPackageArnRedeploy", "resolvedValue": "endpointconfig-v1"},
    ]
    assert [n["outcome"] for n in world.notifications()] == ["deploy", "redeploy"]


def test_code_pipeline_trigger_takes_nothing_for_rolled_back_while_an_execution_runs(world: World) -> None:
    codepipeline = create_pipeline()
    v1 = world.version()
    pipeline_shell(world, codepipeline).handle({"Records": [world.record(event(v1))]})
    world.roll_back_silently("endpointconfig-v1")  # what the endpoint shows while a run deploys

    class Running:
        """Stub: moto's executions succeed at once; this one is still running."""

        def __getattr__(self, name: str) -> Any:
            return getattr(codepipeline, name)

        def list_pipeline_executions(self, **kwargs: Any) -> Any:
            response = codepipeline.list_pipeline_executions(**kwargs)
            response["pipelineExecutionSummaries"][0]["status"] = "InProgress"
            return response

    assert pipeline_shell(world, Running()).handle({"Records": [world.record(event(v1))]}) == {
        "batchItemFailures": []}
    assert len(executions(codepipeline)) == 1
    assert [n["outcome"] for n in world.notifications()] == ["deploy", "already-served"]


def test_the_readmes_command_to_send_an_event_again_redeploys(world: World) -> None:
    """README, "After a silent rollback": the message body its `aws sqs send-message` builds (the
    query run on DescribeModelPackage's answer, as the AWS CLI does) is an event the deployer takes."""
    import re

    import jmespath

    from tests.conftest import REPO

    (command,) = re.findall(r"```bash\n(aws sqs send-message .*?)```", (REPO / "README.md").read_text(), re.DOTALL)
    match = re.search(r"--query '([^']*)'", command)
    assert match and "--message-group-id <group>" in command
    v1 = deployed_then_rolled_back(world)
    body = jmespath.search(match.group(1), world.sagemaker.describe_model_package(ModelPackageName=v1))
    assert world.handle(world.record(json.dumps(body))) == []
    assert world.notifications()[-1]["outcome"] == "redeploy"
    assert world.parameters()["ServedModelPackageArnRedeploy"] == "endpointconfig-v1"


# --- stacks that serve the group without an endpoint (a batch transform's) -------------------------

BATCH_STACK = "inference-batch"
BATCH_ROLE = "arn:aws:iam::123456789012:role/batch-switch"
BATCH_TEMPLATE = json.dumps({**json.loads(STAND_IN_TEMPLATE), "Resources": {"Served": {
    "Type": "AWS::SSM::Parameter",
    "Properties": {"Name": "/stand-in/batch-served", "Type": "String",
                   "Value": {"Fn::Join": ["", ["served:", {"Ref": "ServedModelPackageArn"}]]}}}}})


class BatchWorld(World):
    """The world, with a second stand-in stack that serves the group without an endpoint.

    ``handle`` delivers what the handler sent to the queue for that stack as Lambda would: as
    records of their own, after the batch (moto's queue here is not FIFO, so no group is set).
    """

    def __init__(self) -> None:
        super().__init__()
        self.cloudformation.create_stack(
            StackName=BATCH_STACK, TemplateBody=BATCH_TEMPLATE,
            Parameters=[{"ParameterKey": "InstanceType", "ParameterValue": "ml.m5.large"},
                        {"ParameterKey": "ServedModelPackageArnRedeploy", "ParameterValue": ""}])
        self.batch_cloudformation = RecordingCloudFormation(self)
        self.environment = {**self.environment, "ALSO_STACK_NAMES": BATCH_STACK,
                            "ALSO_PARAMETER_NAMES": "ServedModelPackageArn", "ALSO_ROLE_ARNS": BATCH_ROLE}

    def shell(self, cloudformation: Any = None, batch_cloudformation: Any = None) -> index.Shell:
        shell = super().shell(cloudformation)
        shell.also_served = [index.StackParameterDeployer(
            batch_cloudformation or self.batch_cloudformation, BATCH_STACK, "ServedModelPackageArn", BATCH_ROLE)]
        return shell

    def handle(self, *records: dict[str, Any], cloudformation: Any = None,
               batch_cloudformation: Any = None) -> list[str]:
        shell = self.shell(cloudformation, batch_cloudformation)
        failed = [f["itemIdentifier"] for f in shell.handle({"Records": list(records)})["batchItemFailures"]]
        for record in self.queued():
            failed += [f["itemIdentifier"] for f in shell.handle({"Records": [record]})["batchItemFailures"]]
        return failed

    def batch_served(self) -> str:
        stack = self.cloudformation.describe_stacks(StackName=BATCH_STACK)["Stacks"][0]
        return {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}["ServedModelPackageArn"]


@pytest.fixture
def batch_world() -> Iterator[BatchWorld]:
    with mock_aws():
        yield BatchWorld()


def test_an_approval_switches_the_endpoint_stack_and_each_stack_that_also_serves(batch_world: BatchWorld) -> None:
    world = batch_world
    v1 = world.version()
    record = world.record(event(v1))
    shell = world.shell()
    assert shell.handle({"Records": [record]}) == {"batchItemFailures": []}
    # The event goes back to the queue for the batch stack, marked with its name, with the same body.
    (queued,) = world.queued()
    assert queued["body"] == record["body"]
    assert queued["messageAttributes"] == {"AlsoServedStack": {"stringValue": BATCH_STACK, "dataType": "String"}}
    assert world.batch_served() == ""
    assert shell.handle({"Records": [queued]}) == {"batchItemFailures": []}
    assert (world.parameters()["ServedModelPackageArn"], world.batch_served()) == (v1, v1)
    # The batch stack's update passes its own switch role and changes only its served version.
    (update,) = world.batch_cloudformation.calls
    assert update["RoleARN"] == BATCH_ROLE and update["UsePreviousTemplate"] is True
    assert update["Parameters"][-1] == {"ParameterKey": "ServedModelPackageArn", "ParameterValue": v1}
    endpoint, batch = world.notifications()
    assert (endpoint["outcome"], endpoint["target"], "stackName" in endpoint) == ("deploy", v1, False)
    assert (batch["outcome"], batch["target"], batch["stackName"]) == ("deploy", v1, BATCH_STACK)


def test_on_a_fifo_queue_each_stack_has_its_message_group_and_a_deduplication_id_per_record(
        batch_world: BatchWorld) -> None:
    world = batch_world
    sent: list[dict[str, Any]] = []
    shell = world.shell()
    shell.sqs = type("Recording", (), {"send_message": lambda self, **kwargs: sent.append(kwargs)})()
    shell.settings = dataclasses.replace(shell.settings, queue_url="https://sqs/approvals.fifo")
    record = {"messageId": "m-1", "body": "{}"}
    shell.send_to_also_served(record)
    shell.send_to_also_served(record)  # a retry of the record sends the same deduplication id
    assert sent[0] == sent[1]
    assert sent[0]["MessageGroupId"] == BATCH_STACK
    assert sent[0]["MessageDeduplicationId"] == index.hashlib.sha256(f"m-1/{BATCH_STACK}".encode()).hexdigest()


def test_a_duplicate_event_switches_no_stack(batch_world: BatchWorld) -> None:
    world = batch_world
    v1 = world.version()
    world.handle(world.record(event(v1)))
    assert world.handle(world.record(event(v1))) == []
    assert len(world.batch_cloudformation.calls) == 1
    assert [(n["outcome"], n.get("stackName")) for n in world.notifications()] == [
        ("deploy", None), ("deploy", BATCH_STACK), ("already-served", None), ("already-served", BATCH_STACK)]


def test_rejecting_the_served_version_rolls_every_stack_back(batch_world: BatchWorld) -> None:
    world = batch_world
    v1, v2 = world.version(), world.version()
    world.handle(world.record(event(v2)))
    world.set_status(v2, "Rejected")
    assert world.handle(world.record(event(v2, "Rejected"))) == []
    assert (world.parameters()["ServedModelPackageArn"], world.batch_served()) == (v1, v1)
    assert [n["outcome"] for n in world.notifications()] == ["deploy", "deploy", "rollback", "rollback"]


def test_a_stack_that_also_serves_keeps_its_version_when_none_is_approved_and_says_which(
        batch_world: BatchWorld) -> None:
    world = batch_world
    v1 = world.version()
    world.handle(world.record(event(v1)))
    world.set_status(v1, "Rejected")
    world.handle(world.record(event(v1, "Rejected")))
    assert world.batch_served() == v1
    batch = world.notifications()[-1]
    assert batch["outcome"] == "no-approved-version"
    assert batch["reason"].endswith(f"stack {BATCH_STACK} keeps serving {v1}")


def test_a_failing_stack_that_also_serves_is_retried_alone_and_never_redecides_the_endpoint(
        batch_world: BatchWorld) -> None:
    """The endpoint's message succeeds; the batch stack's own message is retried. Meanwhile SageMaker
    rolls the endpoint back silently: no retry redeploys it (only a new event does)."""
    world = batch_world
    v1 = world.version()
    endpoint_record = world.record(event(v1))
    shell = world.shell(batch_cloudformation=Updating(world))  # a `cdk deploy` of the batch stack runs
    assert shell.handle({"Records": [endpoint_record]}) == {"batchItemFailures": []}
    (batch_record,) = world.queued()
    assert shell.handle({"Records": [batch_record]}) == {"batchItemFailures": [
        {"itemIdentifier": batch_record["messageId"]}]}
    world.roll_back_silently("endpointconfig-v1")
    recording = RecordingCloudFormation(world)
    retry = {**batch_record, "attributes": {"ApproximateReceiveCount": "2"}}
    assert world.shell(cloudformation=recording).handle({"Records": [retry]}) == {"batchItemFailures": []}
    assert world.batch_served() == v1
    assert recording.calls == [] and recording.described == 0
    assert world.parameters()["ServedModelPackageArnRedeploy"] == ""
    assert [(n["outcome"], n.get("stackName")) for n in world.notifications()] == [
        ("deploy", None), ("deploy", BATCH_STACK)]


def test_a_failure_holds_back_only_the_rest_of_its_own_message_group(batch_world: BatchWorld) -> None:
    """In one batch: the batch stack's message fails, the endpoint group's next approval is still
    decided, and a later message of the batch stack's group is returned unprocessed (in order)."""
    world = batch_world
    v1 = world.version()
    shell = world.shell(batch_cloudformation=Updating(world))  # a `cdk deploy` of the batch stack runs
    assert shell.handle({"Records": [world.record(event(v1))]}) == {"batchItemFailures": []}
    (batch_record,) = world.queued()
    v2 = world.version()

    failing, endpoint_record, later = (in_group(batch_record, BATCH_STACK), in_group(world.record(event(v2)), GROUP),
                                       in_group(batch_record, BATCH_STACK) | {"messageId": "later"})
    result = shell.handle({"Records": [failing, endpoint_record, later]})
    assert result == {"batchItemFailures": [{"itemIdentifier": failing["messageId"]}, {"itemIdentifier": "later"}]}
    assert world.parameters()["ServedModelPackageArn"] == v2


def test_the_last_failed_attempt_of_a_stack_that_also_serves_names_the_stack(batch_world: BatchWorld) -> None:
    world = batch_world
    v1 = world.version()
    shell = world.shell(batch_cloudformation=Updating(world))
    shell.handle({"Records": [world.record(event(v1))]})
    (batch_record,) = world.queued()
    last = {**batch_record, "attributes": {"ApproximateReceiveCount": "3"}}  # MAX_RECEIVE_COUNT
    assert shell.handle({"Records": [last]})["batchItemFailures"] == [{"itemIdentifier": last["messageId"]}]
    failed = world.notifications()[-1]
    assert (failed["outcome"], failed["stackName"]) == ("failed", BATCH_STACK)
    assert "inference-batch is in UPDATE_IN_PROGRESS state" in failed["reason"]


def test_a_message_for_a_stack_the_handler_does_not_serve_goes_to_the_dead_letter_queue(
        batch_world: BatchWorld) -> None:
    world = batch_world
    v1 = world.version()
    record = {**world.record(event(v1)),
              "messageAttributes": {"AlsoServedStack": {"stringValue": "other", "dataType": "String"}}}
    assert world.shell().handle({"Records": [record]}) == {"batchItemFailures": []}
    (dead,) = world.dead_letters()
    assert dead["MessageAttributes"]["RejectReason"]["StringValue"] == (
        f"AlsoServedStack must name one of ['{BATCH_STACK}'], got 'other'")
    assert (world.parameters()["ServedModelPackageArn"], world.batch_served()) == ("", "")


def test_a_silent_rollback_redeploys_the_endpoint_stack_only(batch_world: BatchWorld) -> None:
    world = batch_world
    v1 = deployed_then_rolled_back(world)
    assert world.handle(world.record(event(v1))) == []
    assert world.parameters()["ServedModelPackageArnRedeploy"] == "endpointconfig-v1"
    assert len(world.batch_cloudformation.calls) == 1
    assert [n["outcome"] for n in world.notifications()][-2:] == ["redeploy", "already-served"]


def test_the_stacks_that_also_serve_come_from_the_environment(batch_world: BatchWorld) -> None:
    world = batch_world
    environment = {**world.environment, "ALSO_STACK_NAMES": f"{BATCH_STACK} other",
                   "ALSO_PARAMETER_NAMES": "ServedModelPackageArn Served", "ALSO_ROLE_ARNS": f"{BATCH_ROLE} r2"}
    deployers = index.also_served_from_environment(environment, world.cloudformation)
    assert [d.stack_name for d in deployers] == [BATCH_STACK, "other"]
    assert index.also_served_from_environment({}, world.cloudformation) == []
    with pytest.raises(ValueError, match="must list as many entries, got 2, 2 and 1"):
        index.also_served_from_environment({**environment, "ALSO_ROLE_ARNS": BATCH_ROLE}, world.cloudformation)


def test_subjects_of_a_stack_that_also_serves_name_the_version_by_group_and_number() -> None:
    deploy = Action(Outcome.DEPLOY, V[0], "why")
    assert index.subject(deploy, None, GROUP) == f"Deploying {V[0]}"
    assert index.subject(deploy, None, GROUP, BATCH_STACK) == f"Deploying mygroup/1 to {BATCH_STACK}"
    assert index.subject(Action(Outcome.ROLLBACK, V[0], "why"), V[1], GROUP, BATCH_STACK) == (
        f"Rolling {BATCH_STACK} back to mygroup/1")
    assert index.subject(Action(Outcome.ALREADY_SERVED, None, "why"), V[0], GROUP, BATCH_STACK) == (
        f"Nothing to do for {BATCH_STACK}")
    for outcome in (Outcome.DEPLOY, Outcome.ROLLBACK, Outcome.REDEPLOY, Outcome.ALREADY_SERVED,
                    Outcome.NO_APPROVED_VERSION):
        assert len(index.subject(Action(outcome, V[0], "why"), V[0], GROUP, "s" * 64)) <= 100


def test_a_subject_is_cut_to_the_99_characters_sns_takes(world: World) -> None:
    """SNS Publish refuses a subject of 100 characters or more (moto takes 100): a stack name may
    have 128."""
    stack = "s" * 128
    subject = index.subject(Action(Outcome.DEPLOY, V[0], "why"), None, GROUP, stack)
    index.publish(world.sns, world.topic_arn, subject, {"stackName": stack})
    (received,) = world.sqs.receive_message(QueueUrl=world.inbox_url)["Messages"]
    assert json.loads(received["Body"])["Subject"] == f"Deploying mygroup/1 to {stack}"[:99]


def test_the_handler_switches_the_stacks_its_environment_names(
        batch_world: BatchWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    world = batch_world
    boto3.client("iam").create_role(RoleName="batch-switch", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "cloudformation.amazonaws.com"}}]}))
    v1 = world.version()
    for name, value in world.environment.items():
        monkeypatch.setenv(name, value)
    assert index.handler({"Records": [world.record(event(v1))]}, None) == {"batchItemFailures": []}
    assert index.handler({"Records": world.queued()}, None) == {"batchItemFailures": []}
    assert (world.parameters()["ServedModelPackageArn"], world.batch_served()) == (v1, v1)
