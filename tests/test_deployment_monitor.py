"""deployment_monitor: ``assess`` with plain values; the shell with moto (SageMaker endpoint, stack).

moto's CloudFormation cannot create SageMaker resources from a template, so the stack's endpoint
config is stubbed in ``list_stack_resources``: precisely that one call is replaced.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
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


def status_event(status: str, reason: str = "", stack_id: str = STACK_ID) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "1",
        "detail-type": "CloudFormation Stack Status Change",
        "source": "aws.cloudformation",
        "account": "123456789012",
        "time": "2025-01-01T00:00:00Z",
        "region": "us-east-1",
        "resources": [stack_id],
        "detail": {
            "stack-id": stack_id,
            "status-details": {"status": status, "status-reason": reason},
            "client-request-token": "",
        },
    }


@pytest.mark.parametrize(
    ("status", "serving", "declared", "outcome"),
    [
        ("UPDATE_COMPLETE", NEW, [arn(NEW)], Outcome.SERVING),
        ("UPDATE_COMPLETE", NEW, [NEW], Outcome.SERVING),
        ("UPDATE_COMPLETE", OLD, [arn(NEW)], Outcome.SILENT_ROLLBACK),
        ("UPDATE_COMPLETE", OLD, [], Outcome.SILENT_ROLLBACK),
        ("UPDATE_ROLLBACK_COMPLETE", None, [], Outcome.UPDATE_FAILED),
        ("UPDATE_FAILED", None, [], Outcome.UPDATE_FAILED),
        ("UPDATE_ROLLBACK_FAILED", None, [], Outcome.UPDATE_FAILED),
    ],
)
def test_assess(status: str, serving: str | None, declared: list[str], outcome: Outcome) -> None:
    assert assess(StackStatusChange(STACK_ID, status, "why"), ENDPOINT, serving, declared).outcome == outcome


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

    def stack_declaring(self, config: str) -> Any:
        """Stub of list_stack_resources: the stack declares ``config`` (moto cannot create it)."""

        class Stack:
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

    def monitor(self, event: dict[str, Any], declared: str = NEW) -> index.Report:
        return index.monitor(
            event, self.environment, self.stack_declaring(declared), self.sagemaker, self.sns
        )

    def notifications(self) -> list[dict[str, Any]]:
        received = self.sqs.receive_message(QueueUrl=self.inbox_url, MaxNumberOfMessages=10)
        return [json.loads(json.loads(m["Body"])["Message"]) for m in received.get("Messages", [])]


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

    index.monitor(status_event("UPDATE_COMPLETE"), world.environment, Only(declared, {"get_paginator"}),
                  Only(world.sagemaker, {"describe_endpoint"}), Only(world.sns, {"publish"}))
    assert calls == ["describe_endpoint", "get_paginator", "publish"]


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
    assert world.notifications() == [
        {"outcome": "updated", "stack": BATCH_STACK_ID, "stackName": "inference-batch", "status": "UPDATE_COMPLETE",
         "message": report.message},
        {"outcome": "update-failed", "stack": BATCH_STACK_ID, "stackName": "inference-batch",
         "status": "UPDATE_ROLLBACK_COMPLETE", "message": failed.message},
    ]


def test_a_stack_the_environment_does_not_name_is_refused_naming_every_stack(world: World) -> None:
    environment = {**world.environment, "ALSO_STACK_NAMES": "inference-batch"}
    other = status_event("UPDATE_COMPLETE", stack_id=STACK_ID.replace("inference-realtime", "other"))
    with pytest.raises(ValueError, match="must be a stack named 'inference-realtime' or 'inference-batch', got"):
        index.monitor(other, environment, Nothing(), Nothing(), world.sns)
