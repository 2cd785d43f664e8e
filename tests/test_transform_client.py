"""TransformClient and ``transform start|status`` against moto.

moto runs no SageMaker task inside a state machine (it forwards only ``.waitForTaskToken``
integrations) and never finishes an execution by itself: each test sets what the real service would
record, the execution's status and its task events, on moto's execution, and creates the transform
job the task would have created. moto returns the history in one page: paging is played by a
Stubber, as are ARNs moto does not know (state machine versions and aliases).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from cdk_sagemaker_inference.runtime import JOB_NOT_CREATED, TransformClient, TransformError, UnknownRunError
from cdk_sagemaker_inference.runtime.cli import main
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.stepfunctions.models import Execution, stepfunctions_backends

REGION = "us-east-1"
ROLE = f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/transform"
INPUT = "s3://artifacts/batch/input/rows.csv"
#: What Step Functions records when SageMaker refuses CreateTransformJob (aws/aws-sdk#184).
REFUSED = ("SageMaker.AmazonSageMakerException",
           "Invalid OutputFilter: \"$['account_id']\". Unexpected \"_\" in JsonPath. (Service: AmazonSageMaker)")


class Aws:
    """moto with a state machine, a model, and a way to play what the task and the job do."""

    def __init__(self) -> None:
        self.sfn = boto3.client("stepfunctions", region_name=REGION)
        self.sagemaker = boto3.client("sagemaker", region_name=REGION)
        self.state_machine_arn = self.sfn.create_state_machine(
            name="batch", definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
            roleArn=ROLE,
        )["stateMachineArn"]
        self.sagemaker.create_model(ModelName="example", ExecutionRoleArn=ROLE,
                                    PrimaryContainer={"Image": "xgboost:1.7-1"})
        self.histories: dict[str, list[dict[str, Any]]] = {}

    def execution(self, arn: str) -> Execution:
        return stepfunctions_backends[DEFAULT_ACCOUNT_ID][REGION].describe_execution(arn)

    def schedule_task(self, execution_arn: str, job_name: str) -> None:
        """The createTransformJob.sync task's TaskScheduled event."""
        parameters = {"TransformJobName": job_name, "ModelName": "example"}
        self.histories.setdefault(execution_arn, []).append(
            task_event("TaskScheduled", region=REGION, parameters=json.dumps(parameters)))

    def fail_task(self, execution_arn: str, error: str, cause: str) -> None:
        self.histories[execution_arn].append(task_event("TaskFailed", error=error, cause=cause))

    def schedule_job(self, execution_arn: str, job_name: str) -> None:
        """What the createTransformJob.sync task does: a TaskScheduled event, then the job."""
        self.schedule_task(execution_arn, job_name)
        self.sagemaker.create_transform_job(
            TransformJobName=job_name, ModelName="example",
            TransformInput={"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": INPUT}}},
            TransformOutput={"S3OutputPath": "s3://artifacts/batch/output/"},
            TransformResources={"InstanceType": "ml.m5.large", "InstanceCount": 1},
        )

    def finish(self, execution_arn: str, status: str, error: str | None = None, cause: str | None = None) -> None:
        execution = self.execution(execution_arn)
        execution.status = status
        execution.stop_date = datetime.now(UTC)
        execution.error, execution.cause = error, cause


def task_event(kind: str, resource_type: str = "sagemaker", **details: str) -> dict[str, Any]:
    """A history event of a task: ``TaskScheduled``, ``TaskFailed``, ``TaskSubmitFailed``..."""
    key = kind[0].lower() + kind[1:] + "EventDetails"
    return {"timestamp": datetime.now(UTC), "type": kind, "id": 2, "previousEventId": 1,
            key: {"resourceType": resource_type, "resource": "createTransformJob.sync", **details}}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    with mock_aws():
        boto3.setup_default_session(region_name=REGION)
        fake = Aws()
        # moto's history is a fixed sample of Lambda events; the real one lists the task scheduled.
        monkeypatch.setattr(Execution, "get_execution_history",
                            lambda execution, role_arn: fake.histories.get(execution.execution_arn, []))
        yield fake


def test_start_sends_the_input_and_returns_the_execution(aws: Aws) -> None:
    arn = TransformClient().start(aws.state_machine_arn, INPUT, name="nightly-1")
    execution = aws.sfn.describe_execution(executionArn=arn)
    assert execution["name"] == "nightly-1"
    assert json.loads(execution["input"]) == {"input": INPUT}
    default = TransformClient().start(aws.state_machine_arn)
    assert json.loads(aws.sfn.describe_execution(executionArn=default)["input"]) == {}


@pytest.mark.parametrize("qualifier", ["", ":1", ":prod"])
def test_an_unnamed_run_is_named_by_step_functions(qualifier: str) -> None:
    """No name of ours: the client makes no uuid (and nothing at synth ever does); a state machine
    may be named with its version or alias, as StartExecution takes it."""
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = f"arn:aws:states:{REGION}:123456789012:stateMachine:batch{qualifier}"
    with Stubber(sfn) as stub:
        stub.add_response("start_execution", {"executionArn": f"arn:aws:states:{REGION}:123456789012:execution:batch:x",
                                              "startDate": datetime(2026, 1, 1)},
                          {"stateMachineArn": arn, "input": "{}"})
        TransformClient(stepfunctions=sfn).start(arn)


def test_status_reads_the_job_from_the_history(aws: Aws) -> None:
    client = TransformClient()
    arn = client.start(aws.state_machine_arn, INPUT)
    before = client.status(arn)
    assert (before.status, before.job_name, before.input) == ("RUNNING", None, INPUT)
    aws.schedule_job(arn, "inference-batch-0123abcd")
    run = client.status(arn)
    assert run.job_name == "inference-batch-0123abcd"
    assert run.job_status == "Completed"
    assert run.output_path == "s3://artifacts/batch/output/"
    assert not run.finished


def test_status_takes_the_newest_task_after_a_retry(aws: Aws) -> None:
    client = TransformClient()
    arn = client.start(aws.state_machine_arn, INPUT)
    aws.schedule_job(arn, "inference-batch-first")
    aws.fail_task(arn, "SageMaker.CapacityError", "no ml.m5.large capacity")
    aws.schedule_job(arn, "inference-batch-second")
    run = client.status(arn)
    assert (run.job_name, run.failure) == ("inference-batch-second", None)


def test_a_refused_job_is_never_created_and_the_failed_task_says_why(aws: Aws) -> None:
    client = TransformClient()
    arn = client.start(aws.state_machine_arn, INPUT)
    aws.schedule_task(arn, "inference-batch-0123")
    aws.fail_task(arn, *REFUSED)
    # Running, the job may yet appear (moto's DescribeTransformJob answers ValidationException meanwhile).
    running = client.status(arn)
    assert (running.job_name, running.job_status) == ("inference-batch-0123", None)
    aws.finish(arn, "FAILED", "TransformFailed", "The transform job failed or was refused: see the notification")
    run = client.status(arn)
    assert (run.job_name, run.job_status) == ("inference-batch-0123", JOB_NOT_CREATED)
    assert run.failure == ": ".join(REFUSED)


@pytest.mark.parametrize("kind", ["TaskFailed", "TaskSubmitFailed", "TaskTimedOut"])
def test_the_newest_sagemaker_task_failure_is_read_from_every_history_page(kind: str) -> None:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    arn = f"arn:aws:states:{REGION}:123456789012:execution:batch:nightly"

    def scheduled(job_name: str) -> dict[str, Any]:
        return task_event("TaskScheduled", region=REGION, parameters=json.dumps({"TransformJobName": job_name}))

    first_page = [scheduled("inference-batch-1"), task_event("TaskFailed", error="SageMaker.CapacityError", cause="x")]
    second_page = [
        scheduled("inference-batch-2"),
        task_event(kind, error=REFUSED[0], cause=REFUSED[1].replace(" (", "\n  (")),
        # The failure notification's own failure is not the run's reason.
        task_event("TaskFailed", resource_type="sns", error="SNS.KMSAccessDeniedException", cause="no key"),
    ]
    with Stubber(sfn) as stepfunctions, Stubber(sagemaker) as sagemaker_stub:
        stepfunctions.add_response("describe_execution", {
            "executionArn": arn, "stateMachineArn": arn.replace("execution:batch:nightly", "stateMachine:batch"),
            "status": "FAILED", "startDate": datetime(2026, 1, 1), "error": "TransformFailed", "cause": "see it",
        }, {"executionArn": arn})
        stepfunctions.add_response("get_execution_history", {"events": first_page, "nextToken": "page-2"},
                                   {"executionArn": arn})
        stepfunctions.add_response("get_execution_history", {"events": second_page},
                                   {"executionArn": arn, "nextToken": "page-2"})
        sagemaker_stub.add_client_error("describe_transform_job", "ValidationException",
                                        "Could not find requested job with name inference-batch-2",
                                        expected_params={"TransformJobName": "inference-batch-2"})
        run = TransformClient(stepfunctions=sfn, sagemaker=sagemaker).status(arn)
    assert (run.job_name, run.job_status) == ("inference-batch-2", JOB_NOT_CREATED)
    assert run.failure == ": ".join(REFUSED)


def test_wait_polls_until_the_run_finishes(aws: Aws) -> None:
    updates: list[tuple[str, float]] = []
    ticks = iter(range(0, 1000, 30))
    arn = TransformClient().start(aws.state_machine_arn, INPUT)

    def sleep(seconds: float) -> None:
        assert seconds == 5
        if not aws.histories:
            aws.schedule_job(arn, "inference-batch-0123abcd")
        else:
            aws.finish(arn, "SUCCEEDED")

    client = TransformClient(sleep=sleep, clock=lambda: float(next(ticks)))
    run = client.wait(arn, poll_seconds=5, on_update=lambda r, elapsed: updates.append((r.status, elapsed)))
    assert run.succeeded and run.finished and run.job_status == "Completed"
    assert updates == [("RUNNING", 30.0), ("RUNNING", 60.0), ("SUCCEEDED", 90.0)]


@pytest.mark.parametrize(("call", "message"), [
    (lambda c: c.start("not-an-arn"), r"not a state machine ARN: 'not-an-arn'"),
    (lambda c: c.status("arn:aws:states:us-east-1:123456789012:stateMachine:batch"), r"not an execution ARN"),
])
def test_bad_arns_are_refused(aws: Aws, call: Any, message: str) -> None:
    with pytest.raises(TransformError, match=message):
        call(TransformClient())


def test_a_bad_input_is_refused_before_anything_starts(aws: Aws) -> None:
    with pytest.raises(TransformError, match=r"the input must be an s3://<bucket>/<key> URI, got 'rows.csv'"):
        TransformClient().start(aws.state_machine_arn, "rows.csv")
    assert aws.sfn.list_executions(stateMachineArn=aws.state_machine_arn)["executions"] == []


def test_unknown_state_machines_and_executions_are_named(aws: Aws) -> None:
    missing = aws.state_machine_arn.replace(":batch", ":gone")
    with pytest.raises(UnknownRunError, match=rf"{missing} does not exist"):
        TransformClient().start(missing)
    execution = aws.state_machine_arn.replace(":stateMachine:", ":execution:") + ":nothing"
    with pytest.raises(UnknownRunError, match="does not exist"):
        TransformClient().status(execution)


# -- the command line ---------------------------------------------------------------------------------


def test_cli_start_prints_the_execution(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["transform", "start", "--state-machine", aws.state_machine_arn, "--input", INPUT]) == 0
    (arn,) = capsys.readouterr().out.split()
    assert json.loads(aws.sfn.describe_execution(executionArn=arn)["input"]) == {"input": INPUT}


@pytest.mark.parametrize("poll_seconds", [0, 0.5, -1, float("nan"), float("inf")])
def test_wait_refuses_a_pause_that_would_poll_nonstop(poll_seconds: float) -> None:
    client = TransformClient(stepfunctions=object(), sagemaker=object())  # any AWS call would fail
    with pytest.raises(ValueError, match=r"^poll_seconds must be a number of seconds of at least 1, got "):
        client.wait("arn", poll_seconds=poll_seconds)


def test_cli_start_wait_shows_state_changes_with_elapsed_time(
    aws: Aws, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    def sleep(seconds: float) -> None:
        (execution,) = aws.sfn.list_executions(stateMachineArn=aws.state_machine_arn)["executions"]
        if not aws.histories:
            aws.schedule_job(execution["executionArn"], "inference-batch-0123abcd")
        else:
            aws.finish(execution["executionArn"], "SUCCEEDED")

    ticks = iter([0.0, 1.0, 75.0, 200.0])
    monkeypatch.setattr("time.sleep", sleep)
    monkeypatch.setattr("time.monotonic", lambda: next(ticks))
    assert main(["transform", "start", "--state-machine", aws.state_machine_arn, "--wait", "--poll-seconds", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:] == [
        "RUNNING  00:01 elapsed",
        "RUNNING  job inference-batch-0123abcd Completed  01:15 elapsed",
        "SUCCEEDED  job inference-batch-0123abcd Completed  03:20 elapsed",
        "results under s3://artifacts/batch/output/",
    ]


def test_cli_start_wait_exits_1_with_one_line_when_the_run_fails(
    aws: Aws, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    def sleep(seconds: float) -> None:
        (execution,) = aws.sfn.list_executions(stateMachineArn=aws.state_machine_arn)["executions"]
        aws.finish(execution["executionArn"], "FAILED", "TransformFailed",
                   "The transform job failed or was refused:\n see the notification")

    monkeypatch.setattr("time.sleep", sleep)
    assert main(["transform", "start", "--state-machine", aws.state_machine_arn, "--wait"]) == 1
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "cdk-sagemaker-inference: error: run failed: TransformFailed: The transform job failed or was refused: "
        "see the notification"]


def test_cli_start_wait_reports_a_refused_job_as_never_created_with_the_reason(
    aws: Aws, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    def sleep(seconds: float) -> None:
        (execution,) = aws.sfn.list_executions(stateMachineArn=aws.state_machine_arn)["executions"]
        aws.schedule_task(execution["executionArn"], "inference-batch-0123abcd")
        aws.fail_task(execution["executionArn"], *REFUSED)
        aws.finish(execution["executionArn"], "FAILED", "TransformFailed", "The transform job failed or was refused")

    monkeypatch.setattr("time.sleep", sleep)
    monkeypatch.setattr("time.monotonic", iter([0.0, 1.0, 75.0]).__next__)
    assert main(["transform", "start", "--state-machine", aws.state_machine_arn, "--wait"]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines()[1:] == [
        "RUNNING  00:01 elapsed", "FAILED  job inference-batch-0123abcd NotCreated  01:15 elapsed"]
    assert captured.err == f"cdk-sagemaker-inference: error: run failed: {': '.join(REFUSED)}\n"


def test_cli_status_shows_the_run(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    arn = TransformClient().start(aws.state_machine_arn, INPUT)
    aws.schedule_job(arn, "inference-batch-0123abcd")
    aws.finish(arn, "SUCCEEDED")
    assert main(["transform", "status", arn]) == 0
    out = capsys.readouterr().out
    assert f"Execution: {arn}" in out
    assert "Status:    SUCCEEDED" in out
    assert f"Input:     {INPUT}" in out
    assert "Job:       inference-batch-0123abcd (Completed)" in out
    assert "Output:    s3://artifacts/batch/output/" in out


def test_cli_errors_are_one_line_with_status_1(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["transform", "status", "nope"]) == 1
    assert capsys.readouterr().err == "cdk-sagemaker-inference: error: not an execution ARN: 'nope'\n"
    assert main(["transform", "start", "--state-machine", aws.state_machine_arn, "--input", "x"]) == 1
    assert "the input must be an s3://<bucket>/<key> URI" in capsys.readouterr().err


def test_cli_usage_errors_exit_2(aws: Aws) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["transform", "start"])
    assert exited.value.code == 2


@pytest.mark.parametrize("seconds", ["-5", "0", "0.5", "inf", "nan", "soon"])
def test_cli_poll_seconds_must_be_a_finite_number_of_at_least_1(
    aws: Aws, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, seconds: str
) -> None:
    def sleep(seconds: float) -> None:
        raise AssertionError(f"the run started and is polled every {seconds} s")

    monkeypatch.setattr("time.sleep", sleep)
    with pytest.raises(SystemExit) as exited:
        main(["transform", "start", "--state-machine", aws.state_machine_arn, "--wait", "--poll-seconds", seconds])
    assert exited.value.code == 2
    assert f"expected a number of seconds of at least 1, got '{seconds}'" in capsys.readouterr().err
    assert aws.sfn.list_executions(stateMachineArn=aws.state_machine_arn)["executions"] == []
