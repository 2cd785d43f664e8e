"""The wiring check: each service-to-service edge fails when the consumer's policies do not admit it.

The reference app's templates pass; each test then removes what admits one edge (a statement of a
topic, queue, bucket or key policy, a Lambda permission, a role's grant), or adds what refuses it (a
Deny, a source ARN of another environment), and expects the finding a real account would show as a
failed delivery.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as events_targets
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from cdk_sagemaker_inference import SharedResources, apply_compliance_gate
from cdk_sagemaker_inference._log_groups import declare_log_group
from cdk_sagemaker_inference._service_access import allow_alarms_to_publish
from cdk_sagemaker_inference.compliance import WIRING_RULE
from cdk_sagemaker_inference.wiring import Environment, check_template_files, check_wiring

from .conftest import new_app

Templates = dict[str, dict[str, Any]]


@pytest.fixture(scope="module")
def reference(reference_app: cdk.App) -> Templates:
    return {path.name.removesuffix(".template.json"): json.loads(path.read_text())
            for path in Path(reference_app.outdir).glob("*.template.json")}


def _resources(templates: Templates, stack: str, type_: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in templates[stack]["Resources"].items() if v["Type"] == type_}


def _without_statements(templates: Templates, stack: str, type_: str,
                        drop: Callable[[dict[str, Any]], bool], document: str = "PolicyDocument") -> Templates:
    changed = copy.deepcopy(templates)
    dropped = 0
    for resource in _resources(changed, stack, type_).values():
        statements = resource["Properties"][document]["Statement"]
        kept = [s for s in statements if not drop(s)]
        dropped += len(statements) - len(kept)
        resource["Properties"][document]["Statement"] = kept
    assert dropped, "the test must remove something"
    return changed


def _without_service(templates: Templates, stack: str, type_: str, service: str, document: str) -> Templates:
    """``service`` taken out of every statement's principal (statements left with none are dropped)."""
    changed = copy.deepcopy(templates)
    for resource in _resources(changed, stack, type_).values():
        kept = []
        for statement in resource["Properties"][document]["Statement"]:
            services = statement.get("Principal", {}).get("Service")
            if isinstance(services, list) and service in services:
                services.remove(service)
                statement["Principal"]["Service"] = services[0] if len(services) == 1 else services
            elif services == service:
                continue
            kept.append(statement)
        resource["Properties"][document]["Statement"] = kept
    return changed


def _principal(statement: dict[str, Any]) -> str:
    return json.dumps(statement.get("Principal", {}))


def test_the_reference_app_is_wired_for_a_real_account(reference: Templates) -> None:
    assert check_wiring(reference) == []


def test_alarms_need_the_topic_policy_to_admit_cloudwatch(reference: Templates) -> None:
    changed = _without_statements(reference, "inference-shared", "AWS::SNS::TopicPolicy",
                                  lambda s: "cloudwatch" in _principal(s))
    findings = check_wiring(changed)
    alarms = [*_resources(reference, "inference-registry", "AWS::CloudWatch::Alarm"),
              # The transform's trigger dead-letter queue alarms on the same topic.
              *_resources(reference, "inference-batch", "AWS::CloudWatch::Alarm")]
    assert len(alarms) == 9
    assert sorted(f.logical_id for f in findings) == sorted(alarms)
    assert {f.reason for f in findings} == {
        "the topic policy does not allow cloudwatch.amazonaws.com sns:Publish with an aws:SourceArn of this "
        "source (a topic policy replaces SNS's default policy)"}


def test_alarms_need_the_topic_key_to_admit_cloudwatch(reference: Templates) -> None:
    changed = _without_service(reference, "inference-shared", "AWS::KMS::Key", "cloudwatch.amazonaws.com",
                               "KeyPolicy")
    reasons = {f.reason for f in check_wiring(changed)}
    assert reasons == {
        "the key policy of inference-shared/SharedNotifications7CEDE7F9's key does not allow "
        f"cloudwatch.amazonaws.com {action}" for action in ("kms:GenerateDataKey", "kms:Decrypt")}


def test_rule_to_queue_needs_the_queue_policy_pinned_to_the_rule(reference: Templates) -> None:
    changed = copy.deepcopy(reference)
    for policy in _resources(changed, "inference-registry", "AWS::SQS::QueuePolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if "events" in _principal(statement):
                # What aws-cdk-lib's SqsQueue target writes for an encrypted queue: any rule of the account.
                statement["Condition"] = {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    findings = check_wiring(changed)
    assert {(f.source, f.reason.split(" with")[0]) for f in findings} == {
        ("AWS::Events::Rule", "the queue policy does not allow events.amazonaws.com sqs:SendMessage")}
    assert {f.target.split("/")[1][:-8] for f in findings} == {
        "ApprovalDeploymentQueue", "ApprovalDeploymentEventDeadLetterQueue", "ApprovalDeploymentMonitorDeadLetterQueue"}


def test_rule_to_queue_needs_the_queue_key_to_admit_eventbridge(reference: Templates) -> None:
    changed = _without_service(reference, "inference-shared", "AWS::KMS::Key", "events.amazonaws.com",
                               "KeyPolicy")
    findings = check_wiring(changed)
    assert {f.source for f in findings} == {"AWS::Events::Rule"}
    # The approval rule (queue and dead letters), the stack status rule (dead letters) and the transform trigger.
    assert {(f.stack, f.logical_id[:-8]) for f in findings} == {
        ("inference-registry", "ApprovalDeploymentApprovalRule"),
        ("inference-registry", "ApprovalDeploymentStackStatusRule"),
        ("inference-batch", "TransformObjectCreated"),
    }


def test_the_transform_trigger_needs_its_dead_letter_queue_to_admit_the_rule(reference: Templates) -> None:
    changed = _without_statements(reference, "inference-batch", "AWS::SQS::QueuePolicy",
                                  lambda s: "events" in _principal(s))
    (finding,) = check_wiring(changed)
    assert (finding.stack, finding.source) == ("inference-batch", "AWS::Events::Rule")
    assert finding.logical_id.startswith("TransformObjectCreated")
    assert finding.target.startswith("inference-batch/TransformTriggerDeadLetterQueue")
    assert finding.reason.startswith("the queue policy does not allow events.amazonaws.com sqs:SendMessage")


def test_rule_to_function_needs_a_lambda_permission_for_the_rule(reference: Templates) -> None:
    changed = copy.deepcopy(reference)
    for logical_id in _resources(changed, "inference-registry", "AWS::Lambda::Permission"):
        del changed["inference-registry"]["Resources"][logical_id]
    (finding,) = check_wiring(changed)
    assert finding.source == "AWS::Events::Rule" and "ApprovalDeploymentMonitor" in finding.target
    assert finding.reason.startswith("no AWS::Lambda::Permission lets events.amazonaws.com invoke")


def test_event_source_mapping_needs_the_role_to_read_and_decrypt_the_queue(reference: Templates) -> None:
    changed = _without_statements(reference, "inference-registry", "AWS::IAM::ManagedPolicy",
                                  lambda s: "sqs:ReceiveMessage" in s["Action"] or s["Action"] == "kms:Decrypt"
                                  or "kms:Decrypt" in s["Action"]
                                  # the deployer also sends to its queue (with GetQueueAttributes)
                                  or "sqs:GetQueueAttributes" in s["Action"])
    reasons = sorted(f.reason for f in check_wiring(changed) if f.source == "AWS::Lambda::EventSourceMapping")
    assert reasons == [
        "the function's role does not allow kms:Decrypt on the queue's key",
        "the function's role does not allow sqs:DeleteMessage on the queue",
        "the function's role does not allow sqs:GetQueueAttributes on the queue",
        "the function's role does not allow sqs:ReceiveMessage on the queue",
    ]


def test_a_role_that_publishes_to_an_encrypted_topic_needs_its_key(reference: Templates) -> None:
    """The transform's failure notification: Step Functions' SnsPublish grants sns:Publish alone."""
    changed = _without_statements(reference, "inference-batch", "AWS::IAM::ManagedPolicy",
                                  lambda s: s["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"])
    assert sorted((f.logical_id[:-8], f.target, f.reason) for f in check_wiring(changed)) == [
        ("TransformRole", "inference-shared/SharedNotifications7CEDE7F9",
         f"the role may sns:Publish but not {action} on the key that encrypts it")
        for action in ("kms:Decrypt", "kms:GenerateDataKey")]


def test_a_stacks_service_role_must_describe_the_stacks_whose_outputs_it_reads(reference: Templates) -> None:
    """A served-version switch updates its stack with its own role, which then resolves the stack's
    Fn::GetStackOutput references to the shared stack."""
    changed = reference
    for stack in ("inference-realtime", "inference-batch"):
        changed = _without_statements(changed, stack, "AWS::IAM::ManagedPolicy",
                                      lambda s: s["Action"] == "cloudformation:DescribeStacks")
    assert sorted((f.stack, f.logical_id[:-8], f.target) for f in check_wiring(changed)) == [
        (stack, "ServedVersionSwitchRole", "inference-shared") for stack in ("inference-batch", "inference-realtime")]
    # A reference that names its own role is resolved with that role instead.
    for resource in changed["inference-realtime"]["Resources"].values():
        _name_a_role_in_every_stack_output(resource)
    assert {f.stack for f in check_wiring(changed)} == {"inference-batch"}


def _name_a_role_in_every_stack_output(node: Any) -> None:
    if isinstance(node, dict):
        if "Fn::GetStackOutput" in node:
            node["Fn::GetStackOutput"]["RoleArn"] = "arn:aws:iam::123456789012:role/reader"
        for value in node.values():
            _name_a_role_in_every_stack_output(value)
    elif isinstance(node, list):
        for value in node:
            _name_a_role_in_every_stack_output(value)


def test_rollback_alarms_need_the_execution_role_to_read_them(reference: Templates) -> None:
    """SageMaker reads a blue/green deployment's auto-rollback alarms as the execution role."""
    changed = _without_statements(reference, "inference-realtime", "AWS::IAM::ManagedPolicy",
                                  lambda s: s["Action"] == "cloudwatch:DescribeAlarms")
    assert sorted((f.logical_id[:-8], f.target[:-8], f.reason) for f in check_wiring(changed)) == [
        ("Endpoint", "inference-realtime/ModelRole",
         f"SageMaker reads the rollback alarm ${{inference-realtime/EndpointAllTraffic{alarm}}} as this execution "
         "role, which does not allow cloudwatch:DescribeAlarms on it")
        for alarm in ("5xxalarm6B99C13D", "latencyalarmF3BBC786")]


def test_a_rollback_alarm_named_literally_is_read_by_its_arn(reference: Templates) -> None:
    changed = copy.deepcopy(reference)
    [endpoint] = _resources(changed, "inference-realtime", "AWS::SageMaker::Endpoint").values()
    alarms = endpoint["Properties"]["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]
    alarms[0]["AlarmName"] = "inferencerealtime-Endpoint-60B962BB-AllTraffic-5xx"  # the alarm's own name
    assert check_wiring(changed) == []
    alarms[0]["AlarmName"] = "errors-elsewhere"
    [finding] = check_wiring(changed)
    assert finding.reason.startswith("SageMaker reads the rollback alarm errors-elsewhere as this execution role")


def test_server_access_logs_need_the_log_bucket_to_admit_log_delivery(reference: Templates) -> None:
    changed = _without_statements(reference, "inference-shared", "AWS::S3::BucketPolicy",
                                  lambda s: "logging.s3" in _principal(s))
    (finding,) = check_wiring(changed)
    assert finding.source == "AWS::S3::Bucket" and "SharedAccessLogs" in finding.target
    assert "logging.s3.amazonaws.com s3:PutObject" in finding.reason


# --- edges the reference app does not declare: built here ------------------------------------------


def _templates(app: cdk.App) -> Templates:
    assembly = app.synth()
    return {stack.stack_name: stack.template for stack in assembly.stacks}


def test_subscriptions_to_queues_and_functions_are_admitted_and_checked() -> None:
    app = new_app()
    stack = cdk.Stack(app, "Subscribed")
    key = kms.Key(stack, "QueueKey")
    queue = sqs.Queue(stack, "Inbox", encryption=sqs.QueueEncryption.KMS, encryption_master_key=key)
    function = lambda_.Function(stack, "Fn", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
                                code=lambda_.Code.from_inline("def handler(e, c): pass"))
    SharedResources(stack, "Shared", subscriptions=[
        subscriptions.SqsSubscription(queue), subscriptions.LambdaSubscription(function),
        subscriptions.EmailSubscription("team@example.com"),
        subscriptions.UrlSubscription("https://example.com/hook"),
    ])
    templates = _templates(app)
    assert check_wiring(templates) == []
    changed = _without_statements(templates, "Subscribed", "AWS::SQS::QueuePolicy",
                                  lambda s: "sns" in _principal(s))
    changed = _without_service(changed, "Subscribed", "AWS::KMS::Key", "sns.amazonaws.com", "KeyPolicy")
    for logical_id in _resources(changed, "Subscribed", "AWS::Lambda::Permission"):
        del changed["Subscribed"]["Resources"][logical_id]
    assert sorted(f.reason.split(" with")[0] for f in check_wiring(changed)) == [
        "no AWS::Lambda::Permission lets sns.amazonaws.com invoke the function",
        "the key policy of Subscribed/InboxA8E05DC3's key does not allow sns.amazonaws.com kms:Decrypt",
        "the key policy of Subscribed/InboxA8E05DC3's key does not allow sns.amazonaws.com kms:GenerateDataKey",
        "the queue policy does not allow sns.amazonaws.com sqs:SendMessage",
    ]


def test_a_topic_under_the_aws_managed_key_cannot_take_alarms() -> None:
    app = new_app()
    stack = cdk.Stack(app, "Managed")
    topic = sns.Topic(stack, "Topic", master_key=kms.Alias.from_alias_name(stack, "SnsKey", "alias/aws/sns"))
    queue = sqs.Queue(stack, "Queue", enforce_ssl=True)
    alarm = cloudwatch.Alarm(stack, "Alarm", metric=queue.metric_approximate_age_of_oldest_message(),
                             threshold=60, evaluation_periods=1)
    alarm.add_alarm_action(cloudwatch_actions.SnsAction(topic))
    (finding,) = check_wiring(_templates(app))
    assert finding.reason.startswith("it is encrypted with the AWS-managed key ")
    assert "alias/aws/sns, whose policy cannot allow cloudwatch.amazonaws.com" in finding.reason


def test_alarms_run_only_step_scaling_policies_of_a_registered_target() -> None:
    app = new_app()
    stack = cdk.Stack(app, "Scaled")
    target = appscaling.ScalableTarget(stack, "Target", service_namespace=appscaling.ServiceNamespace.SAGEMAKER,
                                       resource_id="inference-component/ic", min_capacity=0, max_capacity=2,
                                       scalable_dimension="sagemaker:inference-component:DesiredCopyCount")
    step = appscaling.StepScalingAction(stack, "Step", scaling_target=target,
                                        adjustment_type=appscaling.AdjustmentType.CHANGE_IN_CAPACITY)
    step.add_adjustment(adjustment=1, lower_bound=0)
    alarm = cloudwatch.Alarm(stack, "Alarm", threshold=1, evaluation_periods=1, metric=cloudwatch.Metric(
        namespace="AWS/SageMaker", metric_name="NoCapacityInvocationFailures"))
    alarm.add_alarm_action(cloudwatch_actions.ApplicationScalingAction(step))
    templates = _templates(app)
    assert check_wiring(templates) == []
    [policy] = _resources(templates, "Scaled", "AWS::ApplicationAutoScaling::ScalingPolicy").values()
    policy["Properties"]["PolicyType"] = "TargetTrackingScaling"
    del policy["Properties"]["ScalingTargetId"]
    assert sorted(f.reason for f in check_wiring(templates)) == [
        "an alarm runs step scaling policies only (a target tracking policy makes and watches alarms of its own)",
        "the policy names no scalable target (ScalingTargetId, or ResourceId, ScalableDimension and "
        "ServiceNamespace)",
    ]
    policy["Properties"].update(PolicyType="StepScaling", ResourceId="inference-component/ic", ServiceNamespace=
                                "sagemaker", ScalableDimension="sagemaker:inference-component:DesiredCopyCount")
    assert check_wiring(templates) == []
    del policy["Properties"]["ServiceNamespace"]
    (partial,) = check_wiring(templates)
    assert partial.reason.startswith("the policy names no scalable target")
    # A target declared elsewhere (an imported target's id) is named; a resource that is no target is not.
    policy["Properties"]["ScalingTargetId"] = "inference-component/ic|sagemaker:inference-component:DesiredCopyCount|" \
                                              "sagemaker"
    assert check_wiring(templates) == []
    [alarm_id] = _resources(templates, "Scaled", "AWS::CloudWatch::Alarm")
    policy["Properties"]["ScalingTargetId"] = {"Ref": alarm_id}
    (not_a_target,) = check_wiring(templates)
    assert not_a_target.reason == "the policy's ScalingTargetId is not a scalable target (AWS::CloudWatch::Alarm)"


def test_bucket_notifications_need_the_destination_to_admit_s3() -> None:
    app = new_app()
    stack = cdk.Stack(app, "Notifying")
    bucket = s3.Bucket(stack, "Bucket")
    queue = sqs.Queue(stack, "Queue")
    bucket.add_object_created_notification(s3n.SqsDestination(queue))
    templates = _templates(app)
    assert check_wiring(templates) == []
    changed = _without_statements(templates, "Notifying", "AWS::SQS::QueuePolicy", lambda s: "s3" in _principal(s))
    (finding,) = check_wiring(changed)
    assert (finding.source, finding.reason.split(" with")[0]) == (
        "AWS::S3::Bucket", "the queue policy does not allow s3.amazonaws.com sqs:SendMessage")


def test_the_gate_fails_a_synth_whose_alarm_cannot_notify() -> None:
    """Through ``apply_compliance_gate``, as users get it: a TLS-only topic without the CloudWatch grant."""
    app = new_app()
    apply_compliance_gate(app)
    stack = cdk.Stack(app, "Unwired")
    topic = sns.Topic(stack, "Topic", enforce_ssl=True)
    queue = sqs.Queue(stack, "Queue", enforce_ssl=True)
    alarm = cloudwatch.Alarm(stack, "Alarm", metric=queue.metric_approximate_age_of_oldest_message(),
                             threshold=60, evaluation_periods=1)
    alarm.add_alarm_action(cloudwatch_actions.SnsAction(topic))
    with pytest.raises(RuntimeError, match="wiring check"):
        app.synth()
    report = json.loads((Path(app.outdir) / "validation-report.json").read_text())
    wiring = [v for plugin in report["pluginReports"] for v in plugin["violations"] if v["ruleName"] == WIRING_RULE]
    assert [v["description"] for v in wiring] == [
        "AWS::CloudWatch::Alarm -> Unwired/TopicBFC7AF6E: the topic policy does not allow cloudwatch.amazonaws.com "
        "sns:Publish with an aws:SourceArn of this source (a topic policy replaces SNS's default policy)"]


def test_stacks_of_a_pipeline_stage_are_named_from_its_manifest_and_followed_across() -> None:
    """A stage's template files are named after construct paths, its references after stack names."""
    app = new_app()
    stage = cdk.Stage(app, "staging", env=cdk.Environment(account="123456789012", region="eu-west-1"))
    topic_stack = cdk.Stack(stage, "topics")
    topic = sns.Topic(topic_stack, "Topic", enforce_ssl=True)
    alarm_stack = cdk.Stack(stage, "alarms")
    queue = sqs.Queue(alarm_stack, "Queue", enforce_ssl=True)
    alarm = cloudwatch.Alarm(alarm_stack, "Alarm", metric=queue.metric_approximate_age_of_oldest_message(),
                             threshold=60, evaluation_periods=1)
    alarm.add_alarm_action(cloudwatch_actions.SnsAction(topic))
    assembly = Path(app.synth().directory)
    (finding,) = check_template_files(assembly.glob("assembly-staging/*.template.json"))
    assert (finding.stack, finding.target.split("/")[0]) == ("staging-alarms", "staging-topics")
    assert finding.template is not None and finding.template.endswith(".template.json")


# --- literal ARNs: only the stack's own environment matches ------------------------------------------

OTHER_ALARMS = "arn:aws-cn:cloudwatch:cn-north-1:111111111111:alarm:*"


def _with_alarm_source_arn(templates: Templates, source_arn: Any, operator: str = "ArnLike") -> Templates:
    """The shared topic's CloudWatch statement with ``aws:SourceArn`` ``source_arn`` under ``operator``."""
    changed = copy.deepcopy(templates)
    for policy in _resources(changed, "inference-shared", "AWS::SNS::TopicPolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if "cloudwatch" in _principal(statement):
                del statement["Condition"]["ArnLike"]
                statement["Condition"][operator] = {"aws:SourceArn": source_arn}
    return changed


def test_an_agnostic_stack_admits_no_source_arn_of_a_literal_environment(reference: Templates) -> None:
    """The reference stacks are environment-agnostic: a literal partition, region or account is
    another environment's, whatever the pseudo parameters resolve to."""
    findings = check_wiring(_with_alarm_source_arn(reference, OTHER_ALARMS))
    assert len(findings) == 9
    assert {(f.source, f.reason.split(" with")[0]) for f in findings} == {
        ("AWS::CloudWatch::Alarm", "the topic policy does not allow cloudwatch.amazonaws.com sns:Publish")}


@pytest.fixture(scope="module")
def staged_assembly() -> Path:
    """A stage pinned to 123456789012/eu-west-1: aws-cdk-lib writes its ARNs and the CloudWatch Logs
    principal with that environment's literals, which the wiring check reads from the manifest."""
    app = new_app()
    stage = cdk.Stage(app, "staging", env=cdk.Environment(account="123456789012", region="eu-west-1"))
    stack = cdk.Stack(stage, "alarms")
    shared = SharedResources(stack, "Shared")
    queue = sqs.Queue(stack, "Queue", enforce_ssl=True)
    alarm = cloudwatch.Alarm(stack, "Alarm", metric=queue.metric_approximate_age_of_oldest_message(),
                             threshold=60, evaluation_periods=1)
    alarm.add_alarm_action(cloudwatch_actions.SnsAction(shared.notifications_topic))
    declare_log_group(stack, name=None, retention=logs.RetentionDays.ONE_MONTH, key=shared.key, description="logs")
    return Path(app.synth().directory) / "assembly-staging"


def _staged_templates(staged_assembly: Path, tmp_path: Path, edit: Callable[[str], str] = str) -> list[Path]:
    """A copy of the stage's assembly (manifest and templates), each template's text through ``edit``."""
    shutil.copy(staged_assembly / "manifest.json", tmp_path)
    paths = []
    for path in staged_assembly.glob("*.template.json"):
        paths.append(tmp_path / path.name)
        paths[-1].write_text(edit(path.read_text()))
    return paths


@pytest.mark.parametrize("other", ["arn:aws-cn:cloudwatch:eu-west-1:123456789012:alarm:*",
                                   "arn:aws:cloudwatch:us-east-1:123456789012:alarm:*",
                                   "arn:aws:cloudwatch:eu-west-1:111111111111:alarm:*"])
def test_a_stack_of_an_environment_admits_the_literals_of_that_environment_only(
    staged_assembly: Path, tmp_path: Path, other: str
) -> None:
    assert check_template_files(_staged_templates(staged_assembly, tmp_path)) == []
    own = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:*"  # the topic policy's aws:SourceArn
    (finding,) = check_template_files(_staged_templates(staged_assembly, tmp_path,
                                                        lambda text: text.replace(own, other)))
    assert (finding.source, finding.reason.split(" with")[0]) == (
        "AWS::CloudWatch::Alarm", "the topic policy does not allow cloudwatch.amazonaws.com sns:Publish")


@pytest.mark.parametrize(("uri", "environment"), [
    ("aws://123456789012/eu-west-1", Environment("aws", "eu-west-1", "123456789012")),
    ("aws://123456789012/cn-north-1", Environment("aws-cn", "cn-north-1", "123456789012")),
    ("aws://123456789012/us-isob-east-1", Environment("aws-iso-b", "us-isob-east-1", "123456789012")),
    ("aws://unknown-account/unknown-region", Environment()),
])
def test_the_environment_comes_from_the_manifest_with_the_partition_of_its_region(
    uri: str, environment: Environment
) -> None:
    assert Environment.parse(uri) == environment


def test_a_log_group_key_must_admit_cloudwatch_logs_of_the_stacks_region(staged_assembly: Path, tmp_path: Path) -> None:
    """CDK writes the principal as logs.eu-west-1.amazonaws.com in a stack of eu-west-1."""
    paths = _staged_templates(staged_assembly, tmp_path,
                              lambda text: text.replace("logs.eu-west-1.amazonaws.com", "logs.us-east-1.amazonaws.com"))
    assert sorted((f.source, f.reason) for f in check_template_files(paths)) == [
        ("AWS::Logs::LogGroup", f"the key policy does not allow logs.<region>.amazonaws.com {action} with a "
         "kms:EncryptionContext:aws:logs:arn of this log group")
        for action in ("kms:Decrypt*", "kms:Encrypt*", "kms:GenerateDataKey*")]


# --- encrypted log groups --------------------------------------------------------------------------


def _encrypted_log_groups(templates: Templates) -> set[tuple[str, str]]:
    return {(stack, logical_id) for stack in templates
            for logical_id, group in _resources(templates, stack, "AWS::Logs::LogGroup").items()
            if "KmsKeyId" in group["Properties"]}


def test_encrypted_log_groups_need_the_key_to_admit_cloudwatch_logs(reference: Templates) -> None:
    changed = _without_statements(reference, "inference-shared", "AWS::KMS::Key",
                                  lambda s: "logs." in _principal(s), document="KeyPolicy")
    findings = check_wiring(changed)
    groups = _encrypted_log_groups(reference)
    assert len(groups) == 8
    assert {(f.stack, f.logical_id) for f in findings} == groups
    assert {(f.source, f.target[:-8], f.reason) for f in findings} == {
        ("AWS::Logs::LogGroup", "inference-shared/SharedKey", f"the key policy does not allow "
         f"logs.<region>.amazonaws.com {action} with a kms:EncryptionContext:aws:logs:arn of this log group")
        for action in ("kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*")}


def test_the_log_key_statement_must_cover_the_group_and_every_action(reference: Templates) -> None:
    changed = copy.deepcopy(reference)
    (key,) = _resources(changed, "inference-shared", "AWS::KMS::Key").values()
    (logs_statement,) = [s for s in key["Properties"]["KeyPolicy"]["Statement"] if "logs." in _principal(s)]
    logs_statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] = {"Fn::Join": ["", [
        "arn:", {"Ref": "AWS::Partition"}, ":logs:", {"Ref": "AWS::Region"}, ":", {"Ref": "AWS::AccountId"},
        ":log-group:/aws/sagemaker/*"]]}
    # The endpoint's group is the one named under /aws/sagemaker/.
    assert {(f.stack, f.logical_id) for f in check_wiring(changed)} == _encrypted_log_groups(reference) - {
        ("inference-realtime", "EndpointLogsA6E73B06")}
    logs_statement["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] = "*"
    logs_statement["Action"] = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]  # not the families
    assert len(check_wiring(changed)) == 3 * 8
    del logs_statement["Condition"]  # not scoped to log groups: the check requires the scope
    logs_statement["Action"] = "kms:*"
    assert len(check_wiring(changed)) == 3 * 8


# --- conditions and permissions as IAM and Lambda match them ----------------------------------------


@pytest.mark.parametrize("operator", ["ArnEquals", "ArnEqualsIfExists", "ArnLikeIfExists", "StringLike"])
def test_every_arn_operator_takes_a_pattern(reference: Templates, operator: str) -> None:
    any_alarm = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":cloudwatch:", {"Ref": "AWS::Region"}, ":",
                                   {"Ref": "AWS::AccountId"}, ":alarm:*"]]}
    assert check_wiring(_with_alarm_source_arn(reference, any_alarm, operator)) == []
    assert len(check_wiring(_with_alarm_source_arn(reference, OTHER_ALARMS, operator))) == 9


def test_a_lambda_permission_source_arn_is_a_pattern(reference: Templates) -> None:
    def with_source_arn(rules: str) -> Templates:
        changed = copy.deepcopy(reference)
        for permission in _resources(changed, "inference-registry", "AWS::Lambda::Permission").values():
            permission["Properties"]["SourceArn"] = {"Fn::Join": ["", [
                "arn:", {"Ref": "AWS::Partition"}, ":events:", {"Ref": "AWS::Region"}, ":",
                {"Ref": "AWS::AccountId"}, f":rule/{rules}"]]}
        return changed

    assert check_wiring(with_source_arn("*")) == []
    (finding,) = check_wiring(with_source_arn("other-*"))
    assert finding.reason.startswith("no AWS::Lambda::Permission lets events.amazonaws.com invoke")


# --- topics without a policy: SNS's default policy admits CloudWatch alarms only ---------------------


def test_only_alarms_publish_to_a_topic_without_a_topic_policy() -> None:
    app = new_app()
    stack = cdk.Stack(app, "Published")
    topic = sns.Topic(stack, "Topic")
    events.Rule(stack, "Rule", event_pattern=events.EventPattern(source=["aws.sagemaker"]),
                targets=[events_targets.SnsTopic(topic)])
    s3.Bucket(stack, "Bucket").add_object_created_notification(s3n.SnsDestination(topic))
    queue = sqs.Queue(stack, "Queue", enforce_ssl=True)
    cloudwatch.Alarm(stack, "Alarm", metric=queue.metric_approximate_age_of_oldest_message(), threshold=60,
                     evaluation_periods=1).add_alarm_action(cloudwatch_actions.SnsAction(topic))
    allow_alarms_to_publish(topic)
    templates = _templates(app)
    (policy,) = _resources(templates, "Published", "AWS::SNS::TopicPolicy").values()
    (rule_id,) = _resources(templates, "Published", "AWS::Events::Rule")
    for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
        if "events" in _principal(statement):  # aws-cdk-lib's SnsTopic target scopes it to no rule
            statement["Condition"] = {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [rule_id, "Arn"]}}}
    assert check_wiring(templates) == []
    del templates["Published"]["Resources"][next(iter(_resources(templates, "Published", "AWS::SNS::TopicPolicy")))]
    assert sorted((f.source, f.reason) for f in check_wiring(templates)) == [
        (source, "the topic has no topic policy, and SNS's default policy admits no service but CloudWatch "
         f"alarms: a topic policy must allow {service} sns:Publish with an aws:SourceArn of this source")
        for source, service in (("AWS::Events::Rule", "events.amazonaws.com"), ("AWS::S3::Bucket", "s3.amazonaws.com"))]


# --- what a statement applies to: explicit Denies and the Resource ------------------------------------


def _with_statement(templates: Templates, stack: str, type_: str, statement: dict[str, Any],
                    document: str = "PolicyDocument") -> Templates:
    changed = copy.deepcopy(templates)
    for resource in _resources(changed, stack, type_).values():
        resource["Properties"][document]["Statement"].append(statement)
    return changed


def test_an_explicit_deny_of_the_service_overrides_the_allow(reference: Templates) -> None:
    deny = {"Effect": "Deny", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage",
            "Resource": "*"}
    (finding,) = check_wiring(_with_statement(reference, "inference-batch", "AWS::SQS::QueuePolicy", deny))
    assert finding.reason == ("the queue policy denies events.amazonaws.com sqs:SendMessage (an explicit Deny "
                              "overrides any Allow)")
    # Denied to another rule only, or on a condition this check does not evaluate: the Allow stands.
    other_rule = {"ArnEquals": {"aws:SourceArn": "arn:aws:events:us-east-1:111111111111:rule/other"}}
    assert check_wiring(_with_statement(reference, "inference-batch", "AWS::SQS::QueuePolicy",
                                        {**deny, "Condition": other_rule})) == []
    # Everyone denied one key action: every service that encrypts with the shared key loses it.
    key_deny = {"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
    denied = check_wiring(_with_statement(reference, "inference-shared", "AWS::KMS::Key", key_deny, "KeyPolicy"))
    assert {(f.source, f.target[:-8], f.reason[f.reason.index("denies"):]) for f in denied} == {
        ("AWS::CloudWatch::Alarm", "inference-shared/SharedKey", "denies cloudwatch.amazonaws.com kms:Decrypt"),
        ("AWS::Events::Rule", "inference-shared/SharedKey", "denies events.amazonaws.com kms:Decrypt"),
        ("AWS::Logs::LogGroup", "inference-shared/SharedKey", "denies logs.<region>.amazonaws.com kms:Decrypt* with a "
         "kms:EncryptionContext:aws:logs:arn of this log group"),
    }


def test_an_allow_counts_only_for_the_resources_it_names(reference: Templates) -> None:
    changed = copy.deepcopy(reference)
    for policy in _resources(changed, "inference-batch", "AWS::SQS::QueuePolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            statement["Resource"] = "arn:aws:sqs:us-east-1:111111111111:another-queue"
    (finding,) = check_wiring(changed)
    assert finding.reason.startswith("the queue policy does not allow events.amazonaws.com sqs:SendMessage")
    # Server access logs are written under the source bucket's LogFilePrefix.
    changed = copy.deepcopy(reference)
    for policy in _resources(changed, "inference-shared", "AWS::S3::BucketPolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if "logging.s3" in _principal(statement):
                statement["Resource"]["Fn::Join"][1][-1] = "/other/*"
    (finding,) = check_wiring(changed)
    assert finding.reason == ("the log bucket's policy does not allow logging.s3.amazonaws.com s3:PutObject with an "
                              "aws:SourceArn of this bucket")
