"""approval_deployer: what happens to a message that fails, or waits behind one that failed.

- A switch that cannot succeed however often it is retried goes to the dead-letter queue at once
  (``cannot_succeed``): the errors are botocore's own ``ClientError`` objects, raised by real
  clients through ``botocore.stub.Stubber`` where moto does not raise them (moto never refuses an
  UpdateStack for the stack's state, nor a pipeline variable the pipeline does not declare).
- A message held back behind a failed one of its group is logged with its receive count, and on
  its last receive reported like a failed message on its last attempt.

The world (moto) is ``test_approval_handler``'s.
"""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from cdk_sagemaker_inference.handlers.approval_deployer import index

from .test_approval_handler import STACK, World, create_pipeline, event, in_group, pipeline_shell
from .test_approval_handler import world as world  # noqa: F401  (the moto fixture)

STACK_ARN = f"arn:aws:cloudformation:us-east-1:123456789012:stack/{STACK}/0b5c1f20-8bfc-11ed-bfee-0a8d0cd556ba"


def not_updatable(status: str) -> str:
    """UpdateStack's ValidationError message for a stack in ``status``."""
    return f"Stack:{STACK_ARN} is in {status} state and can not be updated."


def client_error(operation: str, code: str, message: str) -> ClientError:
    """The ClientError botocore raises for an error response of ``operation``."""
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


# --- which errors cannot succeed: plain values --------------------------------------------------


@pytest.mark.parametrize(("error", "gives_up"), [
    # CloudFormation cannot update the stack until an operator repairs it
    (client_error("UpdateStack", "ValidationError", not_updatable("ROLLBACK_COMPLETE")), True),
    (client_error("UpdateStack", "ValidationError", not_updatable("UPDATE_ROLLBACK_FAILED")), True),
    (client_error("UpdateStack", "ValidationError", not_updatable("ROLLBACK_FAILED")), True),
    # ... or until what runs ends: retried
    (client_error("UpdateStack", "ValidationError", not_updatable("UPDATE_IN_PROGRESS")), False),
    (client_error("UpdateStack", "ValidationError", not_updatable("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")), False),
    (client_error("UpdateStack", "ValidationError", not_updatable("UPDATE_ROLLBACK_IN_PROGRESS")), False),
    # kept as they were: retried
    (client_error("UpdateStack", "ValidationError", "No updates are to be performed."), False),
    (client_error("UpdateStack", "Throttling", "Rate exceeded"), False),
    (client_error("DescribeStacks", "Throttling", "Rate exceeded"), False),
    (client_error("DescribeStacks", "ValidationError", f"Stack with id {STACK} does not exist"), False),
    # the pipeline refuses the execution's variables (one it does not declare): a retry sends the same
    (client_error("StartPipelineExecution", "ValidationException",
                  "Variable ServedModelPackageArnRedeploy is not declared in the pipeline"), True),
    (client_error("StartPipelineExecution", "ConflictException", "an execution with this token exists"), False),
    (client_error("StartPipelineExecution", "PipelineNotFoundException", "no pipeline deploy-endpoint"), False),
    # SageMaker's ValidationException (an endpoint that does not exist yet) is no pipeline's
    (client_error("DescribeEndpoint", "ValidationException", "Could not find endpoint"), False),
    (index.CannotSucceed("stack s has no parameter P"), True),
    (index.NotYetConsistent("not listed yet"), False),
    (RuntimeError("stack s is in UPDATE_IN_PROGRESS state; retrying later"), False),
])
def test_only_errors_no_retry_can_mend_give_up_at_once(error: Exception, gives_up: bool) -> None:
    reason = index.cannot_succeed(error)
    assert (reason is not None) == gives_up
    if reason is not None:
        assert reason.startswith(str(error))


# --- the shell: dead-lettered at once, or retried -------------------------------------------------


class Refusing:
    """The world's CloudFormation, except that UpdateStack gets ``code`` and ``message`` back: a
    real client answers it through a Stubber, so the error is botocore's own (``times`` calls)."""

    def __init__(self, world: World, code: str, message: str, times: int = 1) -> None:
        self._world = world
        self._refusing = boto3.client("cloudformation")
        stubber = Stubber(self._refusing)
        for _ in range(times):
            stubber.add_client_error("update_stack", service_error_code=code, service_message=message,
                                     http_status_code=400)
        stubber.activate()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._world.cloudformation, name)

    def update_stack(self, **kwargs: Any) -> Any:
        return self._refusing.update_stack(**kwargs)


class Visibility:
    """Records the visibility timeouts the handler sets (a retry)."""

    def __init__(self, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
        self.timeouts: list[int] = []
        monkeypatch.setattr(world.sqs, "change_message_visibility",
                            lambda **kwargs: self.timeouts.append(kwargs["VisibilityTimeout"]))


@pytest.mark.parametrize("status", ["ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_FAILED"])
def test_a_stack_cloudformation_cannot_update_goes_to_the_dead_letter_queue_at_once(
        world: World, status: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    visibility = Visibility(world, monkeypatch)
    v1 = world.version()
    record = world.record(event(v1))  # the first attempt
    assert world.handle(record, cloudformation=Refusing(world, "ValidationError", not_updatable(status))) == []
    assert visibility.timeouts == []  # not retried
    (dead,) = world.dead_letters()
    assert dead["Body"] == record["body"]
    reason = dead["MessageAttributes"]["RejectReason"]["StringValue"]
    assert reason.startswith("An error occurred (ValidationError) when calling the UpdateStack operation: "
                             + not_updatable(status))
    assert f"CloudFormation updates no stack in {status} until it is repaired" in reason
    (failed,) = world.notifications()
    assert (failed["outcome"], failed["reason"], failed["attempts"]) == ("failed", reason, 1)
    assert failed["next"] == "the message moved to the dead-letter queue at once: retrying cannot succeed"
    assert f"message {record['messageId']} cannot succeed, moved to the dead-letter queue" in caplog.text


@pytest.mark.parametrize("message", [not_updatable("UPDATE_IN_PROGRESS"), "No updates are to be performed."])
def test_a_stack_update_refused_for_now_is_still_retried(
        world: World, message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    visibility = Visibility(world, monkeypatch)
    v1 = world.version()
    record = world.record(event(v1))
    assert world.handle(record, cloudformation=Refusing(world, "ValidationError", message)) == [record["messageId"]]
    assert visibility.timeouts == [30]
    assert world.dead_letters() == [] and world.notifications() == []


def test_a_message_dead_lettered_at_once_holds_up_nothing_behind_it(world: World) -> None:
    """It is done with: the next message of its group is decided (and here refused the same way)."""
    v1 = world.version()
    refusing = Refusing(world, "ValidationError", not_updatable("UPDATE_ROLLBACK_FAILED"), times=2)
    first, second = in_group(world.record(event(v1))), in_group(world.record(event(v1)))
    assert world.handle(first, second, cloudformation=refusing) == []
    assert len(world.dead_letters()) == 2


def test_a_pipeline_that_refuses_the_executions_variables_goes_to_the_dead_letter_queue_at_once(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """moto starts an execution with any variable; CodePipeline answers ValidationException for one
    the pipeline does not declare (the message's wording is not what the handler matches)."""
    visibility = Visibility(world, monkeypatch)
    codepipeline = create_pipeline()
    refusing = boto3.client("codepipeline")
    stubber = Stubber(refusing)
    stubber.add_client_error("start_pipeline_execution", service_error_code="ValidationException",
                             service_message="Variable ServedModelPackageArn is not declared in the pipeline",
                             http_status_code=400)
    stubber.activate()

    class Undeclared:
        def __getattr__(self, name: str) -> Any:
            return getattr(codepipeline, name)

        def start_pipeline_execution(self, **kwargs: Any) -> Any:
            return refusing.start_pipeline_execution(**kwargs)

    v1 = world.version()
    record = world.record(event(v1))
    assert pipeline_shell(world, Undeclared()).handle({"Records": [record]}) == {"batchItemFailures": []}
    assert visibility.timeouts == []
    (dead,) = world.dead_letters()
    assert "the pipeline refuses the execution's variables" in dead["MessageAttributes"]["RejectReason"]["StringValue"]
    (failed,) = world.notifications()
    assert failed["outcome"] == "failed" and "StartPipelineExecution" in failed["reason"]


# --- messages held back behind a failed one ---------------------------------------------------------


def test_a_message_held_back_behind_a_failed_one_is_logged_with_its_receive_count(
        world: World, caplog: pytest.LogCaptureFixture) -> None:
    v1 = world.version()
    world.cloudformation.delete_stack(StackName=STACK)  # the first message fails (retried)
    first, behind = in_group(world.record(event(v1))), in_group(world.record(event(v1)), receive_count=2)
    assert world.handle(first, behind) == [first["messageId"], behind["messageId"]]
    (held,) = [r for r in caplog.records if r.levelname == "WARNING"]
    assert held.getMessage().startswith(
        f"receive 2 of 3 of message {behind['messageId']}: skipped behind message {first['messageId']} of its "
        "message group, which failed (it must not be overtaken): ")
    assert f"Stack with id {STACK} does not exist" in held.getMessage()
    assert world.notifications() == []  # neither is on its last receive


def test_a_message_held_back_on_its_last_receive_is_reported_as_failed(world: World) -> None:
    """SQS dead-letters it after this receive without it ever having run: the same notification as
    a failed message's last attempt, saying why."""
    v1 = world.version()
    world.cloudformation.delete_stack(StackName=STACK)
    first = in_group(world.record(event(v1)), receive_count=2)
    behind = in_group(world.record(event(v1)), receive_count=3)
    other = in_group(world.record(event(v1)), "inference-batch", receive_count=3)  # another group goes on
    assert world.handle(first, behind, other) == [first["messageId"], behind["messageId"], other["messageId"]]
    notes = world.notifications()
    assert [(n["outcome"], n["messageId"], n["attempts"]) for n in notes] == [
        ("failed", behind["messageId"], 3), ("failed", other["messageId"], 3)]
    assert notes[0]["reason"].startswith(f"skipped behind message {first['messageId']} of its message group")
    assert notes[0]["next"] == "the message moves to the dead-letter queue"
    assert notes[1]["reason"] == f"An error occurred (ValidationError) when calling the DescribeStacks operation: " \
                                 f"Stack with id {STACK} does not exist"
