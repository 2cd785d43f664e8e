"""Serves the newest Approved version of one model package group after an approval changes.

Input: an SQS batch; each message is an EventBridge "SageMaker Model Package State Change" event
of the group. Per message the handler validates the event, reads which version the endpoint
serves and which versions are Approved (newest first), calls the pure ``decide``, acts (one
stack update or one pipeline execution), and publishes the outcome to the SNS topic.

Failures never drop a message silently:

- Bad input (not JSON, not a SageMaker model package event, another group): retrying cannot fix
  it, so the reason is logged, published, and the message is moved to the dead-letter queue at
  once (where the queue's alarm fires).
- A switch that cannot succeed however often it is retried (``cannot_succeed``: CloudFormation
  refuses to update a stack in ROLLBACK_COMPLETE, UPDATE_ROLLBACK_FAILED or another state only an
  operator can leave, the stack lacks the parameter the handler sets, the pipeline refuses the
  execution's variables): the same, at once, with a ``failed`` notification.
- Anything else (throttling, the stack is already updating, a deleted stack, "No updates are to be
  performed", ...): the message is reported as a batch item failure and its visibility timeout set
  to an exponential backoff on its receive count; after ``MAX_RECEIVE_COUNT`` receives SQS moves
  it to the dead-letter queue, and the last attempt publishes a ``failed`` notification.

A silent rollback (SageMaker returned the endpoint to its old EndpointConfig while the stack update
completed, see ``_endpoint_state.py``) is checked before each decision: the version the stack names
is then not served, and the decision is to redeploy it (``Outcome.REDEPLOY``), which sets the stack's
redeploy parameter so that CloudFormation updates the endpoint again. Nothing here runs on its own:
the next approval event of the group, or the same event sent again, redeploys.

Environment: ``MODEL_PACKAGE_GROUP_NAME``, ``TOPIC_ARN``, ``QUEUE_URL``, ``DEAD_LETTER_QUEUE_URL``,
``MAX_RECEIVE_COUNT``, ``ENDPOINT_NAME`` (the endpoint checked for a silent rollback), and either
``STACK_NAME`` + ``PARAMETER_NAME`` (the endpoint stack's parameter that names the served version;
``<PARAMETER_NAME>Redeploy`` redeploys it) and optionally ``ROLE_ARN`` (the CloudFormation role
every update passes) or ``PIPELINE_NAME`` + ``VARIABLE_NAME``.

Other stacks may serve the group too, without an endpoint (a batch transform's stack):
``ALSO_STACK_NAMES``, ``ALSO_PARAMETER_NAMES`` and ``ALSO_ROLE_ARNS``, separated by spaces (no
stack name, parameter name or role ARN holds one), one entry per stack in the same order. Before
its own decision, the handler sends the event to the queue again once for each such stack, marked
with the message attribute ``AlsoServedStack`` and in a message group of that stack's name; such a
message decides and switches that stack only (same rule, its own parameter and role, no
silent-rollback check: it has no endpoint). So each stack is retried on its own: a failing batch
stack neither redecides the endpoint nor holds up the endpoint's message group.

The queue is FIFO with one message group per switched stack: a group's messages arrive in order,
one batch at a time. After a message fails, the rest of its group in the batch is reported failed
unprocessed, so that none overtakes it; each such message is logged with its receive count (every
redelivery counts), and one on its last receive gets the same ``failed`` notification as a failed
message on its last attempt, since SQS then dead-letters it without it ever having run.
"""

from __future__ import annotations

import enum
import hashlib
import json
import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import boto3
from botocore.exceptions import ClientError

try:  # in Lambda the asset's root is on sys.path, with the package's modules copied beside index.py
    from _endpoint_state import (  # type: ignore[import-not-found,unused-ignore]
        described_stack,
        endpoint_state,
        in_progress,
        rolled_back_configs,
    )
    from _names import REDEPLOY_SUFFIX, SUBJECT_LENGTH, arn_name_forms  # type: ignore[import-not-found,unused-ignore]
except ModuleNotFoundError:  # in tests and the wheel: the same modules, from the package
    from cdk_sagemaker_inference._endpoint_state import (
        described_stack,
        endpoint_state,
        in_progress,
        rolled_back_configs,
    )
    from cdk_sagemaker_inference._names import REDEPLOY_SUFFIX, SUBJECT_LENGTH, arn_name_forms

LOGGER = logging.getLogger()
LOGGER.setLevel(logging.INFO)

SOURCE = "aws.sagemaker"
DETAIL_TYPE = "SageMaker Model Package State Change"
#: First retry after 30 s, doubling, at most 15 minutes apart (a blue/green update can take long).
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 900
#: Pipeline executions per ListPipelineExecutions page, and how many pages (newest first) are
#: searched for the run that names the served version: past the limit the version is unknown and
#: the message fails (retried, then dead-lettered) rather than the default model be assumed.
PIPELINE_PAGE_SIZE = 10
PIPELINE_PAGE_LIMIT = 10
#: The message attribute that sends an event to one stack of ``ALSO_STACK_NAMES`` (its name).
ALSO_SERVED_ATTRIBUTE = "AlsoServedStack"
#: The pipeline variable's value in a run no approval started (a code change): such a run kept what
#: the run before it served (the reference app's DeploymentPipelineStack declares it as the default).
KEEP_SERVED_VERSION = "keep"
#: Appended to a redeploy value the redeploy parameter holds already (``redeploy_value``).
REDEPLOY_AGAIN = "-again"
#: The longest value the redeploy parameter takes (its AllowedPattern: a SageMaker name, lowercased).
REDEPLOY_VALUE_MAX_LENGTH = 63
#: UpdateStack's refusal (a ValidationError): "Stack:<arn> is in <STATUS> state and can not be updated."
NOT_UPDATABLE = re.compile(r" is in (?P<status>[A-Z_]+) state and can ?not be updated")


class ApprovalStatus(enum.StrEnum):
    """The approval states the rule forwards."""

    APPROVED = "Approved"
    REJECTED = "Rejected"
    #: Every new version arrives with it; an Approved version moved back to it stops being served.
    PENDING_MANUAL_APPROVAL = "PendingManualApproval"


class Outcome(enum.StrEnum):
    """What a state change led to; the ``outcome`` field of every notification."""

    DEPLOY = "deploy"
    ROLLBACK = "rollback"
    REDEPLOY = "redeploy"
    ALREADY_SERVED = "already-served"
    NO_APPROVED_VERSION = "no-approved-version"
    #: A version not served became PendingManualApproval (a new one, as a rule): nothing to do, and
    #: nothing published, or every registration would notify.
    NOT_SERVED = "not-served"
    REJECTED_EVENT = "rejected-event"
    FAILED = "failed"


class BadEvent(ValueError):
    """The message is not a state change of this group: retrying cannot fix it."""


class NotYetConsistent(RuntimeError):
    """The registry does not list a version the event says is Approved yet: retry later."""


class CannotSucceed(RuntimeError):
    """Acting on a valid event cannot succeed however often it is retried (a stack that lacks the
    parameter the handler sets): the message goes to the dead-letter queue at once."""


@dataclass(frozen=True)
class StateChange:
    """The fields of a model package state change the decision uses."""

    group: str
    model_package_arn: str
    status: ApprovalStatus


@dataclass(frozen=True)
class Action:
    """The decision: which version to serve (``None``: leave the endpoint as it is) and why.

    ``redeploy``: with ``Outcome.REDEPLOY``, the endpoint config SageMaker rolled back, which the
    switch records in the redeploy parameter (a new value, so CloudFormation updates the endpoint).
    """

    outcome: Outcome
    target: str | None
    reason: str
    redeploy: str | None = None


def decide(serving: str | None, approved_newest_first: list[str], event: StateChange,
           rolled_back: str | None = None, server: str = "the endpoint") -> Action:
    """What to serve after ``event``: always the newest Approved version of the group.

    The decision depends on the registry's state, not on the event alone, so a duplicate event,
    two events for one switch, or an approval of an older version change nothing once the newest
    Approved version is served. A version moved back to PendingManualApproval is treated as a
    rejected one when it is served; when it is not (a newly registered version, as a rule) the
    event changes nothing and starts nothing, not even a redeploy.

    :param serving: the version ARN the stack (or pipeline) names as served (None: the bundled
        default model).
    :param approved_newest_first: the group's Approved version ARNs, newest first.
    :param event: the state change that triggered the decision (it only shapes the reason).
    :param rolled_back: the endpoint config of ``serving`` that SageMaker rolled back silently (the
        endpoint runs another one), or None when the endpoint runs what the stack declares.
    :param server: what serves ``serving``, as the reason names it. Default: "the endpoint".
    """
    changed = f"{event.model_package_arn} is {event.status}"
    if event.status is ApprovalStatus.PENDING_MANUAL_APPROVAL and event.model_package_arn != serving:
        return Action(Outcome.NOT_SERVED, None, f"{changed}; it is not served, so nothing changes")
    if not approved_newest_first:
        kept = serving or "the default model"
        if rolled_back is not None:
            kept = f"what it ran before SageMaker rolled back endpoint config {rolled_back} ({kept})"
        return Action(Outcome.NO_APPROVED_VERSION, None,
                      f"{changed}; no Approved version is left in {event.group}, "
                      f"{server} keeps serving {kept}")
    newest = approved_newest_first[0]
    if newest == serving and rolled_back is not None:
        return Action(Outcome.REDEPLOY, newest,
                      f"{changed}; {newest} is the newest Approved version, but SageMaker rolled its deployment "
                      f"back silently (the endpoint does not run endpoint config {rolled_back}): redeploying it",
                      redeploy=rolled_back)
    if newest == serving:
        return Action(Outcome.ALREADY_SERVED, None,
                      f"{changed}; {newest} is the newest Approved version and already served")
    if serving is not None and serving not in approved_newest_first:
        return Action(Outcome.ROLLBACK, newest,
                      f"{changed}; the served {serving} is no longer Approved, rolling back to {newest}, "
                      "the newest Approved version")
    return Action(Outcome.DEPLOY, newest, f"{changed}; deploying {newest}, the newest Approved version")


def redeploy_value(rolled_back: str, current: str | None) -> str:
    """The value to set the redeploy parameter to after SageMaker rolled back ``rolled_back`` (pure).

    That config's name, unless the parameter holds it already (a second silent rollback can name
    the same config): an UpdateStack with the same value changes nothing ("No updates are to be
    performed") and nothing would redeploy. Then the name with ``REDEPLOY_AGAIN`` appended (cut to
    fit 63 characters), or ``REDEPLOY_AGAIN + "-2"`` when that gives the name itself: a value of the
    parameter's AllowedPattern, always the same for the same name, and never ``current``.

    :param current: the redeploy parameter's value now (None: empty or unknown).
    """
    if rolled_back != current:
        return rolled_back
    candidates = (rolled_back[:REDEPLOY_VALUE_MAX_LENGTH - len(suffix)].rstrip("-") + suffix
                  for suffix in (REDEPLOY_AGAIN, REDEPLOY_AGAIN + "-2"))
    return next(candidate for candidate in candidates if candidate != current)  # they differ: one fits


def cannot_succeed(error: Exception) -> str | None:
    """Why retrying cannot make ``error`` go away, or None when a retry may succeed (pure).

    Cannot succeed: ``CannotSucceed``; UpdateStack's ValidationError for a stack in a state only an
    operator can leave (ROLLBACK_COMPLETE, UPDATE_ROLLBACK_FAILED, ...: any but ``*_IN_PROGRESS``,
    which ends on its own); StartPipelineExecution's ValidationException (the request's variables,
    e.g. one the pipeline does not declare: a retry sends the same ones). Anything else is retried
    as before: throttling, a stack in ``*_IN_PROGRESS`` ("... is in UPDATE_IN_PROGRESS state and can
    not be updated"), "No updates are to be performed" (ValidationErrors too), a deleted stack, ...
    """
    if isinstance(error, CannotSucceed):
        return str(error)
    if not isinstance(error, ClientError):
        return None
    code = error.response.get("Error", {}).get("Code")
    if error.operation_name == "UpdateStack" and code == "ValidationError":
        refusal = NOT_UPDATABLE.search(str(error.response.get("Error", {}).get("Message", "")))
        if refusal is None or refusal["status"].endswith("_IN_PROGRESS"):
            return None
        return (f"{error}; CloudFormation updates no stack in {refusal['status']} until it is repaired "
                "(ContinueUpdateRollback, or delete it and deploy it again): then send the message again "
                "from the dead-letter queue")
    if error.operation_name == "StartPipelineExecution" and code == "ValidationException":
        return (f"{error}; the pipeline refuses the execution's variables (does it declare them?): "
                "fix the pipeline, then send the message again from the dead-letter queue")
    return None


def parse_event(body: str, group: str, arn_prefix: str | None = None) -> StateChange:
    """The state change in an SQS message body; raises BadEvent naming what is wrong.

    :param arn_prefix: ``arn:<partition>:sagemaker:<region>:<account>:model-package/`` of this
        handler: a version of another account, region or partition is refused at once (retrying
        would not make it this group's). Default: not checked.
    """
    try:
        event = json.loads(body)
    except json.JSONDecodeError as error:
        raise BadEvent(f"the message is not JSON: {error}") from None
    if not isinstance(event, dict):
        raise BadEvent(f"the message must be a JSON object, got {type(event).__name__}")
    if event.get("source") != SOURCE or event.get("detail-type") != DETAIL_TYPE:
        raise BadEvent(f"source and detail-type must be {SOURCE!r} and {DETAIL_TYPE!r}, "
                       f"got {event.get('source')!r} and {event.get('detail-type')!r}")
    detail = event.get("detail")
    if not isinstance(detail, dict):
        raise BadEvent("detail must be an object")
    if detail.get("ModelPackageGroupName") != group:
        raise BadEvent(f"ModelPackageGroupName must be {group!r}, "
                       f"got {detail.get('ModelPackageGroupName')!r}")
    arn = detail.get("ModelPackageArn")
    # Versions are .../model-package/<group>/<version>, the group in a form of arn_name_forms (the
    # package's one rule for a name's case in ARNs).
    if not isinstance(arn, str) or not any(f":model-package/{name}/" in arn for name in arn_name_forms(group)):
        raise BadEvent(f"ModelPackageArn must be a version of {group!r}, got {arn!r}")
    if arn_prefix is not None and not arn.startswith(arn_prefix):
        raise BadEvent(f"ModelPackageArn must be in this account, region and partition ({arn_prefix}...), "
                       f"got {arn!r}")
    try:
        status = ApprovalStatus(str(detail.get("ModelApprovalStatus")))
    except ValueError:
        raise BadEvent(f"ModelApprovalStatus must be one of {', '.join(ApprovalStatus)}, "
                       f"got {detail.get('ModelApprovalStatus')!r}") from None
    return StateChange(group=group, model_package_arn=arn, status=status)


@dataclass(frozen=True)
class Served:
    """What the deployer finds served: the version its record names, and whether SageMaker kept it."""

    #: The version ARN the stack parameter (or pipeline variable) names; None: the default model.
    version: str | None
    #: The endpoint config of ``version`` SageMaker rolled back silently; None: none was.
    rolled_back: str | None = None
    #: The redeploy parameter's value now (with a pipeline, the redeploy variable's value in the run
    #: that names ``version``); None: empty or unknown. ``redeploy_value`` avoids repeating it.
    last_redeploy: str | None = None


class Deployer(Protocol):
    """Where the served version is recorded and how a switch is started."""

    def served(self) -> Served:
        """The version served (or being deployed) now, and whether SageMaker rolled it back."""

    def deploy(self, model_package_arn: str, redeploy: str | None = None) -> str:
        """Starts serving ``model_package_arn`` (again, with ``redeploy`` set: the redeploy
        parameter's new value); returns what was started (stack or execution id)."""


class EndpointState:
    """Reads whether the endpoint runs an EndpointConfig its stack declares (``_endpoint_state``)."""

    def __init__(self, cloudformation: Any, sagemaker: Any, stack_name: str, endpoint_name: str) -> None:
        self._cloudformation = cloudformation
        self._sagemaker = sagemaker
        self._stack_name = stack_name
        self._endpoint_name = endpoint_name

    @property
    def stack_name(self) -> str:
        """The stack that declares the endpoint."""
        return self._stack_name

    def rolled_back(self, stack: Mapping[str, Any] | None = None) -> str | None:
        """The first declared config the endpoint does not run; None when it runs one, when the
        stack declares none, or while the stack is updating (the endpoint then still runs the
        config being replaced, and the update is the deployment a duplicate event must not repeat).

        :param stack: the endpoint stack as DescribeStacks just returned it, so that a caller who
            read it already does not read it again. Default: None, read here.
        """
        if stack is None:
            stack = described_stack(self._cloudformation, self._stack_name)
        if in_progress(stack):
            return None
        configs = rolled_back_configs(*endpoint_state(self._cloudformation, self._sagemaker, self._stack_name,
                                                      self._endpoint_name))
        return configs[0] if configs else None


class StackParameterDeployer:
    """The served version is a parameter of a stack (the endpoint's, or one that serves the group
    without an endpoint); a switch updates only that value.

    The update reuses the template, every other parameter's value, the stack's capabilities and
    its service role, so CloudFormation (with the endpoint's guardrails) performs the switch. A
    redeploy of the same version changes the redeploy parameter (``<parameter>Redeploy``) instead.
    """

    def __init__(self, cloudformation: Any, stack_name: str, parameter_name: str, role_arn: str | None = None,
                 endpoint: EndpointState | None = None) -> None:
        """:param endpoint: checks for a silent rollback. Default: None, not checked."""
        self._cloudformation = cloudformation
        #: The stack whose parameter names the served version.
        self.stack_name = stack_name
        self._parameter_name = parameter_name
        self._redeploy_parameter = parameter_name + REDEPLOY_SUFFIX
        self._role_arn = role_arn
        self._endpoint = endpoint

    def served(self) -> Served:
        # During UPDATE_IN_PROGRESS the parameter already has the value being deployed, so a
        # duplicate event finds its version served and starts nothing.
        stack = described_stack(self._cloudformation, self.stack_name)
        values = {p["ParameterKey"]: p.get("ParameterValue") or None for p in stack.get("Parameters", [])}
        if self._parameter_name not in values:
            raise CannotSucceed(f"stack {self.stack_name} has no parameter {self._parameter_name}: "
                                "is the deployer's PARAMETER_NAME the stack's ServedModelPackage parameter?")
        return Served(values[self._parameter_name], self._rolled_back(stack), values.get(self._redeploy_parameter))

    def _rolled_back(self, stack: Mapping[str, Any]) -> str | None:
        if self._endpoint is None:
            return None
        # The parameter usually sits on the endpoint's own stack: one DescribeStacks serves both.
        same = stack["StackName"] == self._endpoint.stack_name
        return self._endpoint.rolled_back(stack if same else None)

    def deploy(self, model_package_arn: str, redeploy: str | None = None) -> str:
        stack = described_stack(self._cloudformation, self.stack_name)
        if in_progress(stack):
            raise RuntimeError(f"stack {self.stack_name} is in {stack['StackStatus']} state; retrying later")
        names = [p["ParameterKey"] for p in stack.get("Parameters", [])]
        changed = {self._parameter_name: model_package_arn}
        if redeploy is not None:
            if self._redeploy_parameter not in names:
                raise CannotSucceed(f"stack {self.stack_name} has no parameter {self._redeploy_parameter}: "
                                    f"it cannot redeploy {model_package_arn} (declare it with ServedModelPackage)")
            changed[self._redeploy_parameter] = redeploy
        parameters: list[dict[str, Any]] = [
            {"ParameterKey": name, "UsePreviousValue": True} for name in names if name not in changed]
        parameters += [{"ParameterKey": name, "ParameterValue": value} for name, value in changed.items()]
        # The role is named every time: CloudFormation would otherwise reuse the stack's last role
        # (after a `cdk deploy`, the bootstrap cfn-exec role), which the deployer may not use.
        role = {"RoleARN": self._role_arn} if self._role_arn else {}
        response = self._cloudformation.update_stack(
            StackName=stack["StackId"],
            UsePreviousTemplate=True,
            Parameters=parameters,
            Capabilities=stack.get("Capabilities", []),
            **role,
        )
        return str(response["StackId"])


class PipelineDeployer:
    """A pipeline deploys: a switch starts an execution with the version in a pipeline variable.

    The served version is the variable's value in the newest execution that is running or
    succeeded (a failed execution served nothing) and that names a version: a run a code change
    started carries ``KEEP_SERVED_VERSION`` and kept what the run before it served, so the search
    reads on past such runs, page after page, up to ``PIPELINE_PAGE_LIMIT`` pages. A redeploy
    starts an execution with the same version and ``<variable>Redeploy`` set (the pipeline passes
    it to the stages' redeploy parameter); while an execution runs, nothing is taken for rolled back.
    """

    def __init__(self, codepipeline: Any, pipeline_name: str, variable_name: str,
                 endpoint: EndpointState | None = None) -> None:
        """:param endpoint: checks the (production) endpoint for a silent rollback. Default: None."""
        self._codepipeline = codepipeline
        self._pipeline_name = pipeline_name
        self._variable_name = variable_name
        self._endpoint = endpoint

    def served(self) -> Served:
        """The version of the newest run that names one; Served(None) (the default model) only when
        the whole history was read and no run names one. Raises (the message is retried) when
        ``PIPELINE_PAGE_LIMIT`` pages hold none: the served version is then unknown."""
        more: dict[str, str] = {}
        for _ in range(PIPELINE_PAGE_LIMIT):
            page = self._codepipeline.list_pipeline_executions(
                pipelineName=self._pipeline_name, maxResults=PIPELINE_PAGE_SIZE, **more)
            for summary in page["pipelineExecutionSummaries"]:
                served = self._served_by(summary)
                if served is not None:
                    return served
            if not page.get("nextToken"):
                return Served(None)
            more = {"nextToken": page["nextToken"]}
        raise RuntimeError(
            f"none of the newest {PIPELINE_PAGE_LIMIT * PIPELINE_PAGE_SIZE} executions of pipeline "
            f"{self._pipeline_name} names a version in {self._variable_name} (code-change runs carry "
            f"{KEEP_SERVED_VERSION!r}): the served version is unknown, so nothing is decided; start the pipeline "
            f"with {self._variable_name} set to the version it serves, and this message's next attempt finds it")

    def _served_by(self, summary: Mapping[str, Any]) -> Served | None:
        """What ``summary``'s execution served; None: it served nothing of its own (it failed, or a
        code change started it and it kept what the run before it served)."""
        if summary["status"] not in ("InProgress", "Succeeded"):
            return None
        execution = self._codepipeline.get_pipeline_execution(
            pipelineName=self._pipeline_name, pipelineExecutionId=summary["pipelineExecutionId"])
        variables = execution["pipelineExecution"].get("variables", [])

        def values(name: str) -> list[str]:
            return [str(v["resolvedValue"]) for v in variables if v["name"] == name]

        version = values(self._variable_name)
        if version == [KEEP_SERVED_VERSION]:
            return None
        redeploy = values(self._variable_name + REDEPLOY_SUFFIX)
        running = summary["status"] == "InProgress"
        return Served(version[0] if version and version[0] else None,
                      None if running or self._endpoint is None else self._endpoint.rolled_back(),
                      redeploy[0] if redeploy and redeploy[0] != KEEP_SERVED_VERSION else None)

    def deploy(self, model_package_arn: str, redeploy: str | None = None) -> str:
        variables = [{"name": self._variable_name, "value": model_package_arn}]
        if redeploy is not None:
            variables.append({"name": self._variable_name + REDEPLOY_SUFFIX, "value": redeploy})
        response = self._codepipeline.start_pipeline_execution(name=self._pipeline_name, variables=variables)
        return str(response["pipelineExecutionId"])


def approved_newest_first(sagemaker: Any, group: str) -> list[str]:
    """The group's Approved version ARNs, newest first (ListModelPackages sorts ascending by default)."""
    arns: list[str] = []
    paginator = sagemaker.get_paginator("list_model_packages")
    for page in paginator.paginate(ModelPackageGroupName=group, ModelApprovalStatus="Approved",
                                   SortBy="CreationTime", SortOrder="Descending"):
        arns.extend(summary["ModelPackageArn"] for summary in page["ModelPackageSummaryList"])
    return arns


@dataclass(frozen=True)
class Settings:
    """The handler's configuration, from its environment."""

    group: str
    topic_arn: str
    queue_url: str
    dead_letter_queue_url: str
    max_receive_count: int
    #: ``arn:<partition>:sagemaker:<region>:<account>:model-package/``; None: not checked.
    arn_prefix: str | None = None

    @classmethod
    def from_environment(cls, environment: Mapping[str, str]) -> Settings:
        return cls(
            group=environment["MODEL_PACKAGE_GROUP_NAME"],
            topic_arn=environment["TOPIC_ARN"],
            queue_url=environment["QUEUE_URL"],
            dead_letter_queue_url=environment["DEAD_LETTER_QUEUE_URL"],
            max_receive_count=int(environment["MAX_RECEIVE_COUNT"]),
            arn_prefix=environment.get("MODEL_PACKAGE_ARN_PREFIX"),
        )


def also_served_from_environment(environment: Mapping[str, str], cloudformation: Any) -> list[StackParameterDeployer]:
    """A deployer for each stack of ``ALSO_STACK_NAMES`` (none when it is unset or empty): its
    parameter in ``ALSO_PARAMETER_NAMES`` and its role in ``ALSO_ROLE_ARNS``, at the same position."""
    names, parameters, roles = (environment.get(variable, "").split()
                                for variable in ("ALSO_STACK_NAMES", "ALSO_PARAMETER_NAMES", "ALSO_ROLE_ARNS"))
    if not len(names) == len(parameters) == len(roles):
        raise ValueError(f"ALSO_STACK_NAMES, ALSO_PARAMETER_NAMES and ALSO_ROLE_ARNS must list as many entries, "
                         f"got {len(names)}, {len(parameters)} and {len(roles)}")
    return [StackParameterDeployer(cloudformation, name, parameter, role)
            for name, parameter, role in zip(names, parameters, roles, strict=True)]


def deployer_from_environment(environment: Mapping[str, str], sagemaker: Any, cloudformation: Any) -> Deployer:
    """The stack-parameter deployer if ``STACK_NAME`` is set, else the pipeline deployer; both check
    endpoint ``ENDPOINT_NAME`` of stack ``ENDPOINT_STACK_NAME`` for a silent rollback."""
    endpoint = EndpointState(cloudformation, sagemaker, environment["ENDPOINT_STACK_NAME"],
                             environment["ENDPOINT_NAME"])
    if "STACK_NAME" in environment:
        return StackParameterDeployer(cloudformation, environment["STACK_NAME"], environment["PARAMETER_NAME"],
                                      environment.get("ROLE_ARN"), endpoint)
    return PipelineDeployer(boto3.client("codepipeline"), environment["PIPELINE_NAME"],
                            environment["VARIABLE_NAME"], endpoint)


def backoff_seconds(receive_count: int) -> int:
    """Visibility timeout before the next attempt: 30 s, 60 s, 120 s, ... at most 15 minutes."""
    return int(min(BACKOFF_BASE_SECONDS * 2 ** max(receive_count - 1, 0), BACKOFF_MAX_SECONDS))


def publish(sns: Any, topic_arn: str, subject: str, message: Mapping[str, Any]) -> None:
    """Publishes ``message`` as JSON, with ``subject`` cut to what SNS takes (``SUBJECT_LENGTH``)."""
    sns.publish(TopicArn=topic_arn, Subject=subject[:SUBJECT_LENGTH], Message=json.dumps(message, default=str))


def fifo_parameters(queue_url: str, group: str, deduplication_id: str) -> dict[str, str]:
    """What a send to ``queue_url`` needs if it is a FIFO queue (a message group and, since a retry
    may send again, an explicit deduplication id); nothing for a standard queue."""
    if not queue_url.endswith(".fifo"):
        return {}
    return {"MessageGroupId": group, "MessageDeduplicationId": deduplication_id}


def version_label(arn: str) -> str:
    """``<group>/<version>`` of a version ARN, short enough for a subject."""
    return arn.rsplit(":model-package/", 1)[-1]


def subject(action: Action, serving: str | None, group: str, stack_name: str | None = None) -> str:
    """The notification's subject; for a stack without an endpoint (``stack_name``) the version is
    named by group and number, since a subject must be shorter than 100 characters."""
    if stack_name is None:
        target = action.target
        subjects = {
            Outcome.DEPLOY: f"Deploying {target}",
            Outcome.ROLLBACK: f"Rolling back to {target}",
            Outcome.REDEPLOY: f"Redeploying {target} after a silent rollback",
            Outcome.ALREADY_SERVED: f"Nothing to do: {serving} is served",
            Outcome.NO_APPROVED_VERSION: f"No Approved version left in {group}",
        }
    else:
        target = version_label(action.target) if action.target else None
        subjects = {
            Outcome.DEPLOY: f"Deploying {target} to {stack_name}",
            Outcome.ROLLBACK: f"Rolling {stack_name} back to {target}",
            Outcome.REDEPLOY: f"Redeploying {target} to {stack_name}",
            Outcome.ALREADY_SERVED: f"Nothing to do for {stack_name}",
            Outcome.NO_APPROVED_VERSION: f"{stack_name} keeps its version: none is Approved",
        }
    return subjects[action.outcome]


def also_served_stack(record: Mapping[str, Any]) -> str | None:
    """The stack a message is for (its ``AlsoServedStack`` attribute); None: the endpoint's."""
    attribute = record.get("messageAttributes", {}).get(ALSO_SERVED_ATTRIBUTE)
    return None if attribute is None else str(attribute.get("stringValue"))


class Shell:
    """Gathers the inputs of ``decide``, acts on its answer and reports, one message at a time.

    :param also_served: stacks that serve the group without an endpoint: each gets the event as a
        message of its own (see the module docstring). Default: none.
    """

    def __init__(self, settings: Settings, deployer: Deployer, sagemaker: Any, sns: Any, sqs: Any,
                 also_served: Sequence[StackParameterDeployer] = ()) -> None:
        self.settings = settings
        self.deployer = deployer
        self.sagemaker = sagemaker
        self.sns = sns
        self.sqs = sqs
        self.also_served = also_served

    def process(self, event: StateChange, stack_name: str | None = None) -> Action:
        """Decides and acts for one valid state change, for the endpoint stack or for the stack
        ``stack_name`` of ``also_served``; raises on any failure (to be retried)."""
        deployer: Deployer = self.deployer
        if stack_name is not None:
            by_name = {stack.stack_name: stack for stack in self.also_served}
            if stack_name not in by_name:
                raise BadEvent(f"{ALSO_SERVED_ATTRIBUTE} must name one of {sorted(by_name)}, got {stack_name!r}")
            deployer = by_name[stack_name]
        approved = approved_newest_first(self.sagemaker, event.group)
        listed = event.model_package_arn in approved
        # The registry's listing is eventually consistent: when it disagrees with the event, the
        # version's own status decides. If it still has the event's status, the listing lags: retry
        # (a Rejected version listed as Approved would otherwise be "already served" and keep serving).
        if listed != (event.status is ApprovalStatus.APPROVED):
            current = self.sagemaker.describe_model_package(ModelPackageName=event.model_package_arn)
            if current["ModelApprovalStatus"] == event.status:
                raise NotYetConsistent(f"ListModelPackages does not list {event.model_package_arn} as "
                                       f"{event.status} yet")
        served = deployer.served()
        serving = served.version
        action = decide(serving, approved, event, served.rolled_back,
                        "the endpoint" if stack_name is None else f"stack {stack_name}")
        LOGGER.info("decision%s: %s", "" if stack_name is None else f" for stack {stack_name}", action)
        if action.outcome is Outcome.NOT_SERVED:
            return action
        message: dict[str, Any] = {
            "outcome": action.outcome, "modelPackageGroup": event.group,
            "event": {"modelPackageArn": event.model_package_arn, "status": event.status},
            "servedBefore": serving, "target": action.target, "reason": action.reason,
        }
        if stack_name is not None:
            message["stackName"] = stack_name
        if served.rolled_back is not None:
            message["silentRollback"] = served.rolled_back
        title = subject(action, serving, event.group, stack_name)
        redeploy = None
        if action.redeploy is not None:
            redeploy = redeploy_value(action.redeploy, served.last_redeploy)
            if redeploy != action.redeploy:
                LOGGER.info("the redeploy parameter holds %s already: setting it to %s", action.redeploy, redeploy)
                message["redeployValue"] = redeploy
        if action.target is not None:
            message["started"] = deployer.deploy(action.target, redeploy)
        publish(self.sns, self.settings.topic_arn, title, message)
        return action

    def send_to_also_served(self, record: Mapping[str, Any]) -> None:
        """Sends the event in ``record`` to the queue again for each stack of ``also_served``.

        Each message is deduplicated by the record and the stack: sent again by a retry of the
        record, SQS drops it within five minutes, and after that the stack's decision finds its
        version served.
        """
        for stack in self.also_served:
            key = hashlib.sha256(f"{record['messageId']}/{stack.stack_name}".encode()).hexdigest()
            self.sqs.send_message(
                QueueUrl=self.settings.queue_url,
                MessageBody=record["body"],
                MessageAttributes={ALSO_SERVED_ATTRIBUTE: {"DataType": "String", "StringValue": stack.stack_name}},
                **fifo_parameters(self.settings.queue_url, stack.stack_name, key),
            )

    def dead_letter(self, record: Mapping[str, Any], reason: str) -> None:
        """Moves a message to the dead-letter queue at once, with the reason as ``RejectReason``."""
        # The message id makes the send idempotent.
        self.sqs.send_message(
            QueueUrl=self.settings.dead_letter_queue_url,
            MessageBody=record["body"] or "(empty message)",
            MessageAttributes={"RejectReason": {"DataType": "String", "StringValue": reason}},
            **fifo_parameters(self.settings.dead_letter_queue_url, self.settings.group, record["messageId"]),
        )

    def reject(self, record: Mapping[str, Any], reason: str) -> None:
        """Moves a bad message to the dead-letter queue at once, with the reason, and reports it."""
        LOGGER.error("rejected message %s: %s", record["messageId"], reason)
        self.dead_letter(record, reason)
        publish(self.sns, self.settings.topic_arn, f"Rejected an event for {self.settings.group}",
                {"outcome": Outcome.REJECTED_EVENT, "modelPackageGroup": self.settings.group,
                 "messageId": record["messageId"], "reason": reason})

    def give_up(self, record: Mapping[str, Any], error: Exception, reason: str) -> None:
        """Moves a message whose switch cannot succeed (``cannot_succeed``) to the dead-letter queue
        at once, with the reason, and reports the failure."""
        LOGGER.error("message %s cannot succeed, moved to the dead-letter queue: %s", record["messageId"], reason,
                     exc_info=error)
        self.dead_letter(record, reason)
        self.report_failure(record, reason, "the message moved to the dead-letter queue at once: retrying "
                            "cannot succeed")

    def report_failure(self, record: Mapping[str, Any], reason: str,
                       next_step: str = "the message moves to the dead-letter queue") -> None:
        """Publishes the ``failed`` notification of ``record``."""
        stack_name = also_served_stack(record)
        where = self.settings.group if stack_name is None else f"{self.settings.group} in {stack_name}"
        message = {"outcome": Outcome.FAILED, "modelPackageGroup": self.settings.group,
                   "messageId": record["messageId"],
                   "attempts": int(record["attributes"]["ApproximateReceiveCount"]), "reason": reason,
                   "next": next_step}
        if stack_name is not None:
            message["stackName"] = stack_name
        publish(self.sns, self.settings.topic_arn, f"Deployment failed for {where}", message)

    def hold_back(self, record: Mapping[str, Any], failed_message_id: str, error: Exception) -> None:
        """Logs a message returned unprocessed behind the failed ``failed_message_id`` of its group;
        on its last receive (SQS then dead-letters it unprocessed), reports it as failed."""
        receive_count = int(record["attributes"]["ApproximateReceiveCount"])
        reason = (f"skipped behind message {failed_message_id} of its message group, which failed "
                  f"(it must not be overtaken): {error}")
        LOGGER.warning("receive %d of %d of message %s: %s", receive_count, self.settings.max_receive_count,
                       record["messageId"], reason)
        if receive_count >= self.settings.max_receive_count:
            self.report_failure(record, reason)

    def retry_later(self, record: Mapping[str, Any], error: Exception) -> None:
        """Delays the message's next attempt; on the last attempt, reports the failure."""
        receive_count = int(record["attributes"]["ApproximateReceiveCount"])
        LOGGER.error("attempt %d of message %s failed: %s", receive_count, record["messageId"], error,
                     exc_info=error)
        if receive_count >= self.settings.max_receive_count:
            self.report_failure(record, str(error))
            return
        self.sqs.change_message_visibility(QueueUrl=self.settings.queue_url,
                                           ReceiptHandle=record["receiptHandle"],
                                           VisibilityTimeout=backoff_seconds(receive_count))

    def handle(self, batch: Mapping[str, Any]) -> dict[str, list[dict[str, str]]]:
        """Processes a batch in order; returns the messages to retry (ReportBatchItemFailures).

        After a failure the remaining messages of its message group are returned unprocessed (and
        logged, see ``hold_back``): a later approval must not be decided before an earlier one.
        Other groups (the other stacks that serve) go on: one stack's failure must not hold up, nor
        use up the attempts of, another's. A message dead-lettered at once (bad, or its switch
        cannot succeed) holds nothing up: it is done with.
        """
        failures: list[dict[str, str]] = []
        #: Each failed group's failed message: its id and error.
        failed_groups: dict[str | None, tuple[str, Exception]] = {}
        for record in batch["Records"]:
            group = record["attributes"].get("MessageGroupId")
            if group in failed_groups:
                failures.append({"itemIdentifier": record["messageId"]})
                self.hold_back(record, *failed_groups[group])
                continue
            try:
                stack_name = also_served_stack(record)
                try:
                    event = parse_event(record["body"], self.settings.group, self.settings.arn_prefix)
                    if stack_name is None:
                        self.send_to_also_served(record)
                    self.process(event, stack_name)
                except BadEvent as bad:
                    self.reject(record, str(bad))
                except Exception as error:
                    reason = cannot_succeed(error)
                    if reason is None:
                        raise
                    self.give_up(record, error, reason)
            except Exception as error:  # any other failure: retried with backoff, then dead-lettered
                failures.append({"itemIdentifier": record["messageId"]})
                failed_groups[group] = (record["messageId"], error)
                self.retry_later(record, error)
        return {"batchItemFailures": failures}


def handler(event: Mapping[str, Any], context: object) -> dict[str, list[dict[str, str]]]:
    """Lambda entry point (SQS event source with ReportBatchItemFailures)."""
    sagemaker = boto3.client("sagemaker")
    cloudformation = boto3.client("cloudformation")
    shell = Shell(
        Settings.from_environment(os.environ),
        deployer_from_environment(os.environ, sagemaker, cloudformation),
        sagemaker=sagemaker,
        sns=boto3.client("sns"),
        sqs=boto3.client("sqs"),
        also_served=also_served_from_environment(os.environ, cloudformation),
    )
    return shell.handle(event)
