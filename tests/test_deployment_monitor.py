"""deployment_monitor: ``assess`` with plain values; the shell with moto (SageMaker endpoint, stack).

moto's CloudFormation cannot create SageMaker resources from a template, so the stack's endpoint
config is stubbed in ``list_stack_resources``, and its status in ``describe_stacks`` (moto completes
every update at once, so it has no stack that is still updating): precisely these two calls are
replaced.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from cdk_sagemaker_inference.handlers.deployment_monitor import index
from cdk_sagemaker_inference.handlers.deployment_monitor.index import Outcome, StackStatusChange, assess
from moto import mock_aws

STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/inference-realtime/0c8e2c10-aaaa-bbbb-cccc"
ENDPOINT = "inference-endpoint"
NEW = "EndpointConfig-NewAbC"
OLD = "EndpointConfig-OldXyZ"


def arn(config: str) -> str:
    return f"arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/{config.lower()}"


def status_event(status: str, reason: str = "", stack_id: str = STACK_ID, id: str = "1",
                 token: str = "") -> dict[str, Any]:
    return {
        "version": "0",
        "id": id,
        "detail-type": "CloudFormation Stack Status Change",
        "source": "aws.cloudformation",
        "account": "123456789012",
        "time": "2025-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [stack_id],
        "detail": {
            "stack-id": stack_id,
            "status-details": {"status": status, "status-reason": reason},
            "client-request-token": token,
        },
    }


@pytest.mark.parametrize(
    ("status", "serving", "declared", "now", "outcome"),
    [
        ("UPDATE_COMPLETE", NEW, [arn(NEW)], "UPDATE_COMPLETE", Outcome.SERVING),
        ("UPDATE_COMPLETE", NEW, [NEW], "UPDATE_COMPLETE", Outcome.SERVING),
        ("UPDATE_COMPLETE", OLD, [arn(NEW)], "UPDATE_COMPLETE", Outcome.SILENT_ROLLBACK),
        ("UPDATE_COMPLETE", OLD, [], "UPDATE_COMPLETE", Outcome.SILENT_ROLLBACK),
        # The next update has replaced the config while the endpoint still runs the old one.
        ("UPDATE_COMPLETE", OLD, [arn(NEW)], "UPDATE_IN_PROGRESS", Outcome.SUPERSEDED),
        ("UPDATE_COMPLETE", NEW, [arn(NEW)], "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", Outcome.SUPERSEDED),
        ("UPDATE_COMPLETE", OLD, [arn(NEW)], "UPDATE_ROLLBACK_COMPLETE", Outcome.SUPERSEDED),
        ("UPDATE_ROLLBACK_COMPLETE", None, [], None, Outcome.UPDATE_FAILED),
        ("UPDATE_FAILED", None, [], None, Outcome.UPDATE_FAILED),
        ("UPDATE_ROLLBACK_FAILED", None, [], None, Outcome.UPDATE_FAILED),
    ],
)
def test_assess(status: str, serving: str | None, declared: list[str], now: str | None, outcome: Outcome) -> None:
    change = StackStatusChange(STACK_ID, status, "why", "1", "2025-01-01T00:00:00Z")
    stack = None if now is None else {"StackId": STACK_ID, "StackStatus": now}
    assert assess(change, ENDPOINT, serving, declared, stack).outcome == outcome


@pytest.mark.parametrize(("started", "outcome"), [
    # A late delivery: a later update started (and completed) after this event.
    (datetime(2025, 1, 1, 0, 5, tzinfo=UTC), Outcome.SUPERSEDED),
    # This update's own start, before its completion event.
    (datetime(2024, 12, 31, 23, 55, tzinfo=UTC), Outcome.SILENT_ROLLBACK),
])
def test_a_completed_update_is_superseded_by_a_later_one_that_also_completed(started: datetime,
                                                                            outcome: Outcome) -> None:
    change = StackStatusChange(STACK_ID, "UPDATE_COMPLETE", "", "1", "2025-01-01T00:00:00Z")
    stack = {"StackId": STACK_ID, "StackStatus": "UPDATE_COMPLETE", "LastUpdatedTime": started}
    assert assess(change, ENDPOINT, OLD, [arn(NEW)], stack).outcome == outcome
    with pytest.raises(ValueError, match="completed: assessing it needs the stack's DescribeStacks"):
        assess(change, ENDPOINT, OLD, [arn(NEW)], None)


class World:
    def __init__(self) -> None:
        self.sagemaker = boto3.client("sagemaker")
        self.sns = boto3.client("sns")
        self.sqs = boto3.client("sqs")
        self.topic_arn = self.sns.create_topic(Name="notifications")["TopicArn"]
        self.inbox_url = self.sqs.create_queue(QueueName="inbox")["QueueUrl"]
        inbox_arn = self.sqs.get_queue_attributes(QueueUrl=self.inbox_url, AttributeNames=["QueueArn"])
        self.sns.subscribe(
            TopicArn=self.topic_arn, Protocol="sqs", Endpoint=inbox_arn["Attributes"]["QueueArn"]
        )
        self.sagemaker.create_model(
            ModelName="m",
            ExecutionRoleArn="arn:aws:iam::123456789012:role/r",
            PrimaryContainer={"Image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1"},
        )
        for config in (OLD, NEW):
            self.sagemaker.create_endpoint_config(
                EndpointConfigName=config,
                ProductionVariants=[
                    {
                        "VariantName": "AllTraffic",
                        "ModelName": "m",
                        "InitialInstanceCount": 1,
                        "InstanceType": "ml.m5.large",
                    }
                ],
            )
        self.environment = {
            "STACK_NAME": "inference-realtime",
            "ENDPOINT_NAME": ENDPOINT,
            "TOPIC_ARN": self.topic_arn,
        }

    def serve(self, config: str) -> None:
        self.sagemaker.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName=config)

    def stack_declaring(self, config: str, status: str = "UPDATE_COMPLETE") -> Any:
        """Stub of list_stack_resources and describe_stacks: the stack declares ``config`` (moto
        cannot create it) and is in ``status``."""

        class Stack:
            def describe_stacks(self, StackName: str) -> dict[str, Any]:  # noqa: N803 - boto3's name
                assert StackName == STACK_ID
                return {"Stacks": [{"StackName": "inference-realtime", "StackId": STACK_ID, "StackStatus": status}]}

            def get_paginator(self, name: str) -> Any:
                assert name == "list_stack_resources"
                return self

            def paginate(self, StackName: str) -> list[dict[str, Any]]:  # noqa: N803 - boto3's name
                assert StackName == STACK_ID
                return [
                    {
                        "StackResourceSummaries": [
                            {
                                "LogicalResourceId": "Config",
                                "ResourceType": "AWS::SageMaker::EndpointConfig",
                                "PhysicalResourceId": arn(config),
                            },
                            {
                                "LogicalResourceId": "Endpoint",
                                "ResourceType": "AWS::SageMaker::Endpoint",
                                "PhysicalResourceId": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/x",
                            },
                        ]
                    }
                ]

        return Stack()

    def monitor(self, event: dict[str, Any], declared: str = NEW, status: str = "UPDATE_COMPLETE") -> index.Report:
        return index.monitor(
            event, self.environment, self.stack_declaring(declared, status), self.sagemaker, self.sns
        )

    def envelopes(self) -> list[dict[str, Any]]:
        """What SNS delivered: each notification with its subject."""
        received = self.sqs.receive_message(QueueUrl=self.inbox_url, MaxNumberOfMessages=10)
        return [json.loads(m["Body"]) for m in received.get("Messages", [])]

    def notifications(self) -> list[dict[str, Any]]:
        return [json.loads(envelope["Message"]) for envelope in self.envelopes()]


@pytest.fixture
def world() -> Iterator[World]:
    with mock_aws():
        yield World()


def test_update_complete_on_the_declared_config_reports_what_the_endpoint_serves(world: World) -> None:
    world.serve(NEW)
    report = world.monitor(status_event("UPDATE_COMPLETE"))
    assert report.message == f"endpoint {ENDPOINT} now serves {NEW}"
    (note,) = world.notifications()
    assert note["outcome"] == "serving" and note["servingConfig"] == NEW and note["stack"] == STACK_ID


def test_silent_rollback_is_reported_as_a_failure(world: World) -> None:
    world.serve(OLD)  # SageMaker returned the endpoint to InService on the old config
    report = world.monitor(status_event("UPDATE_COMPLETE"), declared=NEW)
    assert report.outcome is Outcome.SILENT_ROLLBACK
    assert f"serves {OLD} while the stack declares {NEW.lower()}" in report.message
    assert world.notifications()[0]["outcome"] == "silent-rollback"


def test_a_silent_rollback_notification_says_what_redeploys_it(world: World) -> None:
    world.serve(OLD)
    world.monitor(status_event("UPDATE_COMPLETE"), declared=NEW)
    (note,) = world.notifications()
    assert note["next"] == index.AFTER_SILENT_ROLLBACK
    assert "Nothing redeploys on its own" in note["next"] and "sent to the approval queue again" in note["next"]


def test_a_silent_rollback_is_logged_with_the_term_the_alarms_metric_counts(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.serve(OLD)
    world.monitor(status_event("UPDATE_COMPLETE"), declared=NEW)
    (line,) = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert line.startswith("silent-rollback: ")


def test_the_monitor_only_reads_and_reports_it_never_redeploys(world: World) -> None:
    """No automatic redeploy loop: the monitor's only write is the notification."""
    world.serve(OLD)
    declared = world.stack_declaring(NEW)
    calls: list[str] = []

    class Only:
        def __init__(self, client: Any, allowed: set[str]) -> None:
            self.client, self.allowed = client, allowed

        def __getattr__(self, name: str) -> Any:
            assert name in self.allowed, f"the monitor called {name}"
            calls.append(name)
            return getattr(self.client, name)

    index.monitor(status_event("UPDATE_COMPLETE"), world.environment,
                  Only(declared, {"get_paginator", "describe_stacks"}),
                  Only(world.sagemaker, {"describe_endpoint"}), Only(world.sns, {"publish"}))
    # The stack's status last: an update that started while the others were read shows in it.
    assert calls == ["describe_endpoint", "get_paginator", "describe_stacks", "publish"]


@pytest.mark.parametrize("status", ["UPDATE_ROLLBACK_COMPLETE", "UPDATE_FAILED", "UPDATE_ROLLBACK_FAILED"])
def test_failed_updates_are_reported_with_the_reason(world: World, status: str) -> None:
    report = world.monitor(status_event(status, "Resource handler returned message: capacity"))
    assert report.outcome is Outcome.UPDATE_FAILED and "capacity" in report.message
    assert world.notifications()[0]["status"] == status


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({**status_event("UPDATE_COMPLETE"), "source": "aws.s3"}, "source and detail-type must be"),
        ({**status_event("UPDATE_COMPLETE"), "detail": {}}, "detail.status-details must be an object"),
        (
            status_event("UPDATE_COMPLETE", stack_id=STACK_ID.replace("inference-realtime", "other")),
            "stack-id must be a stack named 'inference-realtime'",
        ),
        (status_event("CREATE_COMPLETE"), "status must be UPDATE_COMPLETE or one of"),
        ({**status_event("UPDATE_COMPLETE"), "id": ""}, "id must be the EventBridge event's id, got ''"),
        ({**status_event("UPDATE_COMPLETE"), "time": None}, "time must be the EventBridge event's time, got None"),
    ],
)
def test_bad_input_raises_so_lambda_retries_then_dead_letters_it(
    world: World, event: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        world.monitor(event)
    assert world.notifications() == []


def test_handler_logs_and_reraises(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    for name, value in world.environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValueError):
        index.handler(status_event("CREATE_COMPLETE"), None)
    assert "could not report on event" in caplog.text


# --- stacks that serve the group without an endpoint (a batch transform's) -------------------------

BATCH_STACK_ID = STACK_ID.replace("inference-realtime", "inference-batch")


class Nothing:
    """A client the monitor must not call."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the monitor called {name}")


def test_a_stack_without_an_endpoint_is_reported_from_its_status_alone(world: World) -> None:
    environment = {**world.environment, "ALSO_STACK_NAMES": "inference-batch inference-other"}
    report = index.monitor(status_event("UPDATE_COMPLETE", stack_id=BATCH_STACK_ID), environment,
                           Nothing(), Nothing(), world.sns)
    assert report == index.Report(Outcome.UPDATED, "stack inference-batch completed its update")
    reason = "Resource handler returned message: denied"
    failed = index.monitor(status_event("UPDATE_ROLLBACK_COMPLETE", reason, stack_id=BATCH_STACK_ID), environment,
                           Nothing(), Nothing(), world.sns)
    assert failed.outcome is Outcome.UPDATE_FAILED
    assert failed.message.endswith(f"UPDATE_ROLLBACK_COMPLETE: {reason}")
    event = {"eventId": "1", "eventTime": "2025-01-01T00:00:00Z"}
    assert world.notifications() == [
        {"outcome": "updated", "stack": BATCH_STACK_ID, "stackName": "inference-batch", "status": "UPDATE_COMPLETE",
         **event, "message": report.message},
        {"outcome": "update-failed", "stack": BATCH_STACK_ID, "stackName": "inference-batch",
         "status": "UPDATE_ROLLBACK_COMPLETE", **event, "message": failed.message},
    ]


def test_a_stack_the_environment_does_not_name_is_refused_naming_every_stack(world: World) -> None:
    environment = {**world.environment, "ALSO_STACK_NAMES": "inference-batch"}
    other = status_event("UPDATE_COMPLETE", stack_id=STACK_ID.replace("inference-realtime", "other"))
    with pytest.raises(ValueError, match="must be a stack named 'inference-realtime' or 'inference-batch', got"):
        index.monitor(other, environment, Nothing(), Nothing(), world.sns)


# --- an update that completes while the next one runs (the deployer switched again) ----------------


@pytest.mark.parametrize("now", ["UPDATE_IN_PROGRESS", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
                                 "UPDATE_ROLLBACK_COMPLETE"])
def test_an_update_a_later_one_superseded_is_reported_at_info_with_no_silent_rollback(
    world: World, caplog: pytest.LogCaptureFixture, now: str
) -> None:
    """The next update created its EndpointConfig, the endpoint still runs the previous one: no
    rollback, no alarm (the metric filter counts the silent-rollback term in any log line)."""
    world.serve(OLD)
    report = world.monitor(status_event("UPDATE_COMPLETE"), declared=NEW, status=now)
    assert report.outcome is Outcome.SUPERSEDED
    later = "a later update is under way" if now.endswith("_IN_PROGRESS") else "it has moved on"
    assert report.message == (
        f"the update of {STACK_ID} completed, but the stack is in {now} now ({later}): endpoint {ENDPOINT} "
        f"serves {OLD}, and the monitor reports on the later update when it ends")
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [("INFO", f"superseded: {report.message}")]
    assert index.SILENT_ROLLBACK not in caplog.text
    (envelope,) = world.envelopes()
    assert envelope["Subject"] == f"Endpoint {ENDPOINT}: update superseded by a later one"
    assert json.loads(envelope["Message"]) == {
        "outcome": "superseded", "stack": STACK_ID, "stackName": "inference-realtime", "status": "UPDATE_COMPLETE",
        "eventId": "1", "eventTime": "2025-01-01T00:00:00Z", "endpoint": ENDPOINT, "servingConfig": OLD,
        "declaredConfigs": [arn(NEW)], "stackStatus": now, "message": report.message}


def test_an_update_that_starts_while_the_endpoint_is_read_supersedes_the_completed_one(world: World) -> None:
    """The status is read after the endpoint and the resources: a switch that starts in between
    (its new config already listed, the endpoint read before) is seen, and no rollback is reported."""
    world.serve(OLD)
    listed = world.stack_declaring(NEW)

    class Switching:
        """The stack completed, until the deployer's next UpdateStack starts as its resources are listed."""

        status = "UPDATE_COMPLETE"

        def get_paginator(self, name: str) -> Any:
            self.status = "UPDATE_IN_PROGRESS"
            return listed.get_paginator(name)

        def describe_stacks(self, StackName: str) -> dict[str, Any]:  # noqa: N803 - boto3's name
            return world.stack_declaring(NEW, self.status).describe_stacks(StackName=StackName)

    report = index.monitor(status_event("UPDATE_COMPLETE"), world.environment, Switching(), world.sagemaker,
                           world.sns)
    assert report.outcome is Outcome.SUPERSEDED


# --- duplicate deliveries ---------------------------------------------------------------------------


def test_every_delivery_of_one_event_carries_its_id_time_and_request_token(world: World) -> None:
    """EventBridge and Lambda deliver at least once: a subscriber deduplicates on ``eventId``."""
    world.serve(NEW)
    event = status_event("UPDATE_COMPLETE", id="6a7e8feb-b491-4cf7-a9f1-bf3703467718", token="switch-1")
    for _ in range(2):
        world.monitor(event)
    world.monitor(status_event("UPDATE_COMPLETE", id="another-event"))
    first, second, other = world.notifications()
    assert first == second
    assert (first["eventId"], first["eventTime"], first["clientRequestToken"]) == (
        "6a7e8feb-b491-4cf7-a9f1-bf3703467718", "2025-01-01T00:00:00Z", "switch-1")
    # CloudFormation sends an empty token when the operation's caller gave none.
    assert other["eventId"] == "another-event" and "clientRequestToken" not in other


def test_a_subject_is_cut_to_the_99_characters_sns_takes(world: World) -> None:
    """SNS Publish refuses a subject of 100 characters or more (moto takes 100); a stack name may have 128."""
    name = "b" * 128
    environment = {**world.environment, "ALSO_STACK_NAMES": name}
    index.monitor(status_event("UPDATE_COMPLETE", stack_id=STACK_ID.replace("inference-realtime", name)),
                  environment, Nothing(), Nothing(), world.sns)
    (envelope,) = world.envelopes()
    assert envelope["Subject"] == f"Stack {name} updated"[:99]
