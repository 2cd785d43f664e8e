"""TransformClient: start a BatchTransform state machine run, read its state, wait for it (boto3 only).

A run is one Step Functions execution whose task creates one SageMaker transform job; the job's
name is generated per execution, so it is read from the execution's history (the scheduled task's
parameters) and its status from ``DescribeTransformJob``. When SageMaker refuses to create the job,
the history's failed task holds why, and no job of that name ever exists.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

#: An input the state machine accepts: an ``s3://bucket/key`` URI.
S3_URI = re.compile(r"s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.*")
#: Execution states after which nothing changes any more.
FINAL_STATES = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})
#: The ``job_status`` of a finished run whose job SageMaker never created (it refused the request).
JOB_NOT_CREATED = "NotCreated"
#: A state machine, or one of its versions (``:1``) or aliases (``:prod``), which StartExecution takes too.
_STATE_MACHINE_ARN = re.compile(r"arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[\w.-]{1,80}(:[\w-]{1,80})?")
_EXECUTION_ARN = re.compile(r"arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[\w.-]{1,80}:[^\s]{1,80}")


class TransformError(Exception):
    """A run that cannot be started or read, or that failed."""


class UnknownRunError(TransformError):
    """No such state machine or execution."""


@dataclass(frozen=True)
class TransformRun:
    """One run: the execution's state and, once the task was scheduled, its transform job's."""

    execution_arn: str
    #: RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED (or PENDING_REDRIVE).
    status: str
    started: datetime
    stopped: datetime | None
    #: The S3 URI the run scores, if the run was given one.
    input: str | None
    #: The transform job's name and status (InProgress, Completed, Failed, Stopping, Stopped, or
    #: ``JOB_NOT_CREATED`` when the run finished without SageMaker having created it); None before
    #: the task is scheduled, and the status None until SageMaker has the job.
    job_name: str | None = None
    job_status: str | None = None
    #: Where results go, once the job is known.
    output_path: str | None = None
    #: Why the run or job failed, in one line.
    failure: str | None = None

    @property
    def finished(self) -> bool:
        """The execution will not change any more."""
        return self.status in FINAL_STATES

    @property
    def succeeded(self) -> bool:
        return self.status == "SUCCEEDED"


class TransformClient:
    """Starts and watches runs of a ``BatchTransform`` state machine.

    :param stepfunctions: a Step Functions client. Default: one from the default session.
    :param sagemaker: a SageMaker client. Default: one from the default session.
    :param sleep: how to wait between polls. Default: ``time.sleep``.
    :param clock: seconds of a monotonic clock, for elapsed times. Default: ``time.monotonic``.
    """

    def __init__(
        self,
        *,
        stepfunctions: Any = None,
        sagemaker: Any = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        # boto3 is imported when a client is made, not with the package (as in predictor.py): every
        # CDK synth imports this package, and boto3 costs it about 0.1 s.
        import boto3

        self._stepfunctions = stepfunctions or boto3.client("stepfunctions")
        self._sagemaker = sagemaker or boto3.client("sagemaker")
        self._sleep = sleep or time.sleep
        self._clock = clock or time.monotonic

    def start(self, state_machine_arn: str, input_uri: str | None = None, *, name: str | None = None) -> str:
        """Starts a run and returns its execution ARN.

        :param input_uri: the ``s3://`` object or prefix to score; it must lie under the transform's
            input location (the state machine refuses anything else). Default: None, the whole location.
        :param name: the execution's name. Default: None, Step Functions names it (a unique id).
        """
        if not _STATE_MACHINE_ARN.fullmatch(state_machine_arn):
            raise TransformError(f"not a state machine ARN: {state_machine_arn!r}")
        if input_uri is not None and not S3_URI.fullmatch(input_uri):
            raise TransformError(f"the input must be an s3://<bucket>/<key> URI, got {input_uri!r}")
        document = {} if input_uri is None else {"input": input_uri}
        try:
            named = {} if name is None else {"name": name}
            answer = self._stepfunctions.start_execution(
                stateMachineArn=state_machine_arn, input=json.dumps(document), **named)
        except ClientError as error:
            raise _translated(error, state_machine_arn) from None
        return str(answer["executionArn"])

    def status(self, execution_arn: str) -> TransformRun:
        """The run's state now, with its job's when the task has been scheduled."""
        if not _EXECUTION_ARN.fullmatch(execution_arn):
            raise TransformError(f"not an execution ARN: {execution_arn!r}")
        try:
            execution = self._stepfunctions.describe_execution(executionArn=execution_arn)
            job_name, task_failure = self._task(execution_arn)
        except ClientError as error:
            raise _translated(error, execution_arn) from None
        status = str(execution["status"])
        job: dict[str, Any] = {}
        job_status = None
        if job_name is not None:
            try:
                job = self._sagemaker.describe_transform_job(TransformJobName=job_name)
                job_status = job.get("TransformJobStatus")
            except ClientError as error:
                # The task is scheduled a moment before SageMaker has the job; once the run is over,
                # the job will never be (SageMaker refused to create it).
                if _code(error) != "ValidationException":
                    raise
                if status in FINAL_STATES:
                    job_status = JOB_NOT_CREATED
        # The most specific reason wins: the job's, then the task's, then the execution's own (which
        # the state machine's Fail state words generically).
        failure = job.get("FailureReason") or task_failure
        if not failure and (execution.get("error") or execution.get("cause")):
            failure = _error_and_cause(execution)
        given = json.loads(execution.get("input") or "{}")
        return TransformRun(
            execution_arn=execution_arn,
            status=status,
            started=execution["startDate"],
            stopped=execution.get("stopDate"),
            input=given.get("input") if isinstance(given, dict) else None,
            job_name=job_name,
            job_status=job_status,
            output_path=job.get("TransformOutput", {}).get("S3OutputPath"),
            failure=" ".join(str(failure).split()) if failure else None,
        )

    def wait(
        self,
        execution_arn: str,
        *,
        poll_seconds: float = 30,
        on_update: Callable[[TransformRun, float], None] | None = None,
    ) -> TransformRun:
        """Polls until the run finishes and returns its final state.

        :param poll_seconds: the pause between polls, at least 1 (0 would call AWS nonstop).
            Default: 30 (a job takes minutes).
        :param on_update: called after every poll with the run and the seconds elapsed since the
            wait began. Default: none.
        :raises ValueError: ``poll_seconds`` below 1 (or not finite).
        """
        if not (math.isfinite(poll_seconds) and poll_seconds >= 1):
            raise ValueError(f"poll_seconds must be a number of seconds of at least 1, got {poll_seconds!r}")
        began = self._clock()
        while True:
            run = self.status(execution_arn)
            if on_update is not None:
                on_update(run, self._clock() - began)
            if run.finished:
                return run
            self._sleep(poll_seconds)

    def _task(self, execution_arn: str) -> tuple[str | None, str | None]:
        """The job name of the newest SageMaker task the execution scheduled (a retry makes a new one),
        and ``error: cause`` if that task failed (SageMaker refused the job, or the job failed)."""
        paginator = self._stepfunctions.get_paginator("get_execution_history")
        name = failure = None
        for page in paginator.paginate(executionArn=execution_arn):
            for event in page["events"]:
                kind = event.get("type")
                if kind not in _EVENT_DETAILS:
                    continue
                details = event.get(_EVENT_DETAILS[kind], {})
                if details.get("resourceType") != "sagemaker":
                    continue
                if kind == "TaskScheduled":
                    name = json.loads(details["parameters"]).get("TransformJobName", name)
                    failure = None
                else:
                    failure = _error_and_cause(details)
        return name, failure


def _error_and_cause(failed: Mapping[str, Any]) -> str:
    """``error: cause`` of a failed execution or task, as Step Functions reports them."""
    return f"{failed.get('error', '')}: {failed.get('cause', '')}"


#: The history events the client reads, and the key of each one's details.
_EVENT_DETAILS = {
    "TaskScheduled": "taskScheduledEventDetails",
    "TaskFailed": "taskFailedEventDetails",
    "TaskSubmitFailed": "taskSubmitFailedEventDetails",
    "TaskTimedOut": "taskTimedOutEventDetails",
}


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _translated(error: ClientError, arn: str) -> Exception:
    if _code(error) in ("StateMachineDoesNotExist", "ExecutionDoesNotExist"):
        return UnknownRunError(f"{arn} does not exist")
    unchanged: Exception = error
    return unchanged
