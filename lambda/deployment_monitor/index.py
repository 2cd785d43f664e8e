"""Reports how an update of the endpoint stack ended, including SageMaker's silent rollbacks.

Input: an EventBridge "CloudFormation Stack Status Change" event of the endpoint stack, invoked
asynchronously. On UPDATE_COMPLETE the endpoint must run the EndpointConfig the stack declares:
SageMaker can roll a blue/green update back on its own and return the endpoint to InService on
the old config, which CloudFormation does not see. On UPDATE_FAILED, UPDATE_ROLLBACK_COMPLETE and
UPDATE_ROLLBACK_FAILED the update failed. Every outcome is published to the SNS topic as JSON,
with the event's ``eventId``, ``eventTime`` and (when CloudFormation has one) ``clientRequestToken``:
EventBridge and Lambda deliver at least once, and a duplicate delivery publishes a notification with
the same ``eventId``, which is what a subscriber deduplicates on.

An update that completed after the next one had started (the approval deployer switches again as
soon as a stack is no longer updating, and the monitor may run late: retries, throttling) is
``superseded``: the endpoint then still runs the config the later update replaces while the stack
already declares the new one, which is no rollback. The stack's status, read after the endpoint and
the stack's resources, tells: when it differs from the event's (``*_IN_PROGRESS`` included) or a later
update started after the event (``LastUpdatedTime``), the monitor
logs the outcome at INFO (no silent-rollback term, so no metric and no alarm) and still publishes
it, so that whoever was told "deploying" hears how that update ended; the later update's own event
gets the check.

The monitor only reads and reports: it never redeploys, so a version whose alarms roll it back is
not deployed again and again. The approval deployer runs the same check (``_endpoint_state``)
before each decision, so the next approval event of the group, or the same event sent again,
redeploys it; the log line of a silent rollback feeds a CloudWatch metric and alarm.

Stacks that serve the same model package group without an endpoint (``ALSO_STACK_NAMES``,
separated by spaces: a batch transform's stack, which the approval deployer switches too) are
reported as well: how their update ended, with no endpoint to check.

Bad input raises: Lambda retries the event twice (not past an hour in its queue), then sends it to
the function's dead-letter queue (where an alarm fires). Environment: ``STACK_NAME``,
``ENDPOINT_NAME``, ``TOPIC_ARN``, ``ALSO_STACK_NAMES`` (optional).
"""

from __future__ import annotations

import enum
import json
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import boto3

try:  # in Lambda the asset's root is on sys.path, with the package's modules copied beside index.py
    from _endpoint_state import (  # type: ignore[import-not-found,unused-ignore]
        SILENT_ROLLBACK,
        described_stack,
        endpoint_state,
        in_progress,
        rolled_back_configs,
    )
    from _names import SUBJECT_LENGTH  # type: ignore[import-not-found,unused-ignore]
except ModuleNotFoundError:  # in tests and the wheel: the same modules, from the package
    from cdk_sagemaker_inference._endpoint_state import (
        SILENT_ROLLBACK,
        described_stack,
        endpoint_state,
        in_progress,
        rolled_back_configs,
    )
    from cdk_sagemaker_inference._names import SUBJECT_LENGTH

LOGGER = logging.getLogger()
LOGGER.setLevel(logging.INFO)

SOURCE = "aws.cloudformation"
DETAIL_TYPE = "CloudFormation Stack Status Change"
FAILED_STATUSES = frozenset({"UPDATE_FAILED", "UPDATE_ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_FAILED"})
COMPLETE = "UPDATE_COMPLETE"
#: What a silent rollback notification says happens next.
AFTER_SILENT_ROLLBACK = (
    "Nothing redeploys on its own. The stack still names the version the endpoint does not run: the next "
    "approval event of the model package group, or the same event sent to the approval queue again, "
    "redeploys it (the served version's redeploy parameter). If the version's alarms roll it back again, "
    "reject it instead."
)


class Outcome(enum.StrEnum):
    """How the update ended; the ``outcome`` field of every notification."""

    SERVING = "serving"
    SILENT_ROLLBACK = SILENT_ROLLBACK
    UPDATE_FAILED = "update-failed"
    #: A stack without an endpoint completed its update.
    UPDATED = "updated"
    #: The endpoint stack completed an update, but a later one has started (or ended) since.
    SUPERSEDED = "superseded"


#: Outcomes that are what a deployment should end in, or no verdict: logged at INFO, not ERROR.
EXPECTED = frozenset({Outcome.SERVING, Outcome.UPDATED, Outcome.SUPERSEDED})


@dataclass(frozen=True)
class StackStatusChange:
    """The fields of a stack status change the monitor uses."""

    stack_id: str
    status: str
    reason: str
    #: EventBridge's ``id`` of the event (the same in every delivery of it) and its ``time``.
    event_id: str
    time: str
    #: ``detail.client-request-token``: the token of the stack operation, empty if its caller gave none.
    client_request_token: str = ""

    @property
    def event_fields(self) -> dict[str, str]:
        """The notification's fields that name the event: the same in every delivery of it."""
        fields = {"eventId": self.event_id, "eventTime": self.time}
        if self.client_request_token:
            fields["clientRequestToken"] = self.client_request_token
        return fields

    @property
    def stack_name(self) -> str:
        """The name in ``stack_id``."""
        return stack_name_of(self.stack_id)


def stack_name_of(stack_id: str) -> str:
    """The name in a stack id (``arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<uuid>``);
    empty for anything else."""
    _, marker, rest = stack_id.rpartition(":stack/")
    return rest.split("/", 1)[0] if marker else ""


@dataclass(frozen=True)
class Report:
    """What the monitor publishes."""

    outcome: Outcome
    message: str


def parse_event(event: Mapping[str, Any], stack_names: Sequence[str]) -> StackStatusChange:
    """The status change in ``event`` of one of ``stack_names``; raises ValueError naming what is wrong."""
    if event.get("source") != SOURCE or event.get("detail-type") != DETAIL_TYPE:
        raise ValueError(f"source and detail-type must be {SOURCE!r} and {DETAIL_TYPE!r}, "
                         f"got {event.get('source')!r} and {event.get('detail-type')!r}")
    detail = event.get("detail")
    if not isinstance(detail, dict) or not isinstance(detail.get("status-details"), dict):
        raise ValueError("detail.status-details must be an object")
    stack_id = detail.get("stack-id")
    if not isinstance(stack_id, str) or stack_name_of(stack_id) not in stack_names:
        raise ValueError(f"stack-id must be a stack named {' or '.join(map(repr, stack_names))}, got {stack_id!r}")
    status = detail["status-details"].get("status")
    if status != COMPLETE and status not in FAILED_STATUSES:
        raise ValueError(f"status must be {COMPLETE} or one of {sorted(FAILED_STATUSES)}, got {status!r}")
    for field in ("id", "time"):
        if not isinstance(event.get(field), str) or not event[field]:
            raise ValueError(f"{field} must be the EventBridge event's {field}, got {event.get(field)!r}")
    return StackStatusChange(stack_id, status, str(detail["status-details"].get("status-reason") or ""),
                             event["id"], event["time"], str(detail.get("client-request-token") or ""))


def assess_stack(change: StackStatusChange) -> Report:
    """The outcome of an update of a stack without an endpoint (pure): its status says it all."""
    if change.status in FAILED_STATUSES:
        return _failed(change)
    return Report(Outcome.UPDATED, f"stack {change.stack_name} completed its update")


def _failed(change: StackStatusChange) -> Report:
    return Report(Outcome.UPDATE_FAILED,
                  f"the update of {change.stack_id} ended in {change.status}: {change.reason or 'no reason given'}")


def _event_time(change: StackStatusChange) -> datetime:
    """The event's ``time`` (ISO 8601, UTC)."""
    return datetime.fromisoformat(change.time)


def assess(change: StackStatusChange, endpoint: str, serving_config: str | None,
           declared_configs: Iterable[str], stack: Mapping[str, Any] | None) -> Report:
    """The outcome of an update (pure): did the endpoint end on a config the stack declares?

    :param serving_config: ``DescribeEndpoint.EndpointConfigName`` (None for a failed update,
        where it is not read).
    :param declared_configs: physical ids of the stack's AWS::SageMaker::EndpointConfig resources.
    :param stack: the stack as DescribeStacks returned it after the two reads above (None for a
        failed update). In any other status than the event's, or with a ``LastUpdatedTime`` after
        the event's time (a later update started, and may have completed too, before this late
        delivery), the endpoint and the declared configs need not match: the outcome is ``superseded``.
    """
    if change.status in FAILED_STATUSES:
        return _failed(change)
    if stack is None:
        raise ValueError(f"the update of {change.stack_id} completed: assessing it needs the stack's DescribeStacks")
    now = str(stack["StackStatus"])
    started = stack.get("LastUpdatedTime")
    if now != change.status or (isinstance(started, datetime) and started > _event_time(change)):
        later = "a later update is under way" if in_progress(stack) else "it has moved on"
        return Report(Outcome.SUPERSEDED,
                      f"the update of {change.stack_id} completed, but the stack is in {now} now ({later}): "
                      f"endpoint {endpoint} serves {serving_config}, and the monitor reports on the later update "
                      "when it ends")
    declared = rolled_back_configs(serving_config, declared_configs)
    if declared is None:
        return Report(Outcome.SERVING, f"endpoint {endpoint} now serves {serving_config}")
    return Report(Outcome.SILENT_ROLLBACK,
                  f"the stack update completed but endpoint {endpoint} serves {serving_config} "
                  f"while the stack declares {', '.join(declared) or 'no endpoint config'}: "
                  "SageMaker rolled the update back")


def monitor(event: Mapping[str, Any], environment: Mapping[str, str], cloudformation: Any, sagemaker: Any,
            sns: Any) -> Report:
    """Validates ``event``, reads the endpoint and the stack, publishes and returns the report."""
    endpoint = environment["ENDPOINT_NAME"]
    change = parse_event(event, [environment["STACK_NAME"], *environment.get("ALSO_STACK_NAMES", "").split()])
    message: dict[str, Any] = {"stack": change.stack_id, "stackName": change.stack_name, "status": change.status,
                               **change.event_fields}
    if change.stack_name != environment["STACK_NAME"]:
        report = assess_stack(change)
        subject = (f"Stack {change.stack_name} updated" if report.outcome is Outcome.UPDATED
                   else f"Stack {change.stack_name} update failed: {change.status}")
        return _publish(report, subject, message, environment["TOPIC_ARN"], sns)
    serving_config: str | None = None
    declared: list[str] = []
    stack: Mapping[str, Any] | None = None
    if change.status == COMPLETE:
        serving_config, declared = endpoint_state(cloudformation, sagemaker, change.stack_id, endpoint)
        # Read last: an update that started while the endpoint and the resources were read shows here.
        stack = described_stack(cloudformation, change.stack_id)
    report = assess(change, endpoint, serving_config, declared, stack)
    subject = {
        Outcome.SERVING: f"Endpoint {endpoint} updated",
        Outcome.SILENT_ROLLBACK: f"Endpoint {endpoint} rolled back",
        Outcome.UPDATE_FAILED: f"Endpoint stack update failed: {change.status}",
        Outcome.SUPERSEDED: f"Endpoint {endpoint}: update superseded by a later one",
    }[report.outcome]
    message.update(endpoint=endpoint, servingConfig=serving_config, declaredConfigs=declared,
                   stackStatus=None if stack is None else stack["StackStatus"])
    if report.outcome is Outcome.SILENT_ROLLBACK:
        message["next"] = AFTER_SILENT_ROLLBACK
    return _publish(report, subject, message, environment["TOPIC_ARN"], sns)


def _publish(report: Report, subject: str, message: dict[str, Any], topic_arn: str, sns: Any) -> Report:
    """Logs ``report`` (an error unless the update went as planned) and publishes it with ``message``."""
    log = LOGGER.info if report.outcome in EXPECTED else LOGGER.error
    log("%s: %s", report.outcome, report.message)
    sns.publish(TopicArn=topic_arn, Subject=subject[:SUBJECT_LENGTH],
                Message=json.dumps({"outcome": report.outcome, **message, "message": report.message}))
    return report


def handler(event: Mapping[str, Any], context: object) -> None:
    """Lambda entry point (EventBridge, asynchronous invocation)."""
    try:
        monitor(event, os.environ,
                boto3.client("cloudformation"), boto3.client("sagemaker"), boto3.client("sns"))
    except Exception:
        LOGGER.exception("could not report on event %s", json.dumps(event, default=str))
        raise
