"""BatchTransform: the exact state machine (parameters, retries, catch), exact IAM, triggers, validation,
the definition checked by the asl-validator npm package, and the compliance gate."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as events
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Annotations, Match, Template
from cdk_sagemaker_inference import (
    BatchTransform,
    ContainerDefinition,
    ContainerImage,
    Framework,
    InstanceType,
    Model,
    ModelData,
    SharedResources,
    TransformSource,
    ValidationError,
    apply_compliance_gate,
)
from cdk_sagemaker_inference.runtime import JoinSource, SplitType, TransformSettings
from cdk_sagemaker_inference.wiring import check_wiring

from tests.conftest import REPO, new_app

ASL_VALIDATOR = REPO / "node_modules" / ".bin" / "asl-validator"


def model(stack: cdk.Stack, bucket: s3.IBucket, id: str = "Model") -> Model:
    return Model(stack, id, container=ContainerDefinition(
        image=ContainerImage.sagemaker_builtin(Framework.XGBOOST, "1.7-1"),
        model_data=ModelData.from_bucket(bucket, "models/model.tar.gz"),
    ))


def allows(statements: list[dict[str, Any]], action: str, resource: Any, condition: Any = None) -> bool:
    """Some statement allows ``action`` on ``resource`` with exactly ``condition`` (statements may be merged)."""
    def listed(value: Any) -> list[Any]:
        return value if isinstance(value, list) else [value]

    return any(
        statement["Effect"] == "Allow" and action in listed(statement["Action"])
        and resource in listed(statement["Resource"]) and statement.get("Condition") == condition
        for statement in statements
    )


def resolve(node: Any) -> Any:
    """A definition string's Fn::Join with every reference replaced by a readable stand-in."""
    if isinstance(node, dict):
        if "Fn::Join" in node:
            return node["Fn::Join"][0].join(str(resolve(part)) for part in node["Fn::Join"][1])
        if "Ref" in node:
            return {"AWS::Partition": "aws"}.get(node["Ref"], node["Ref"])
        if "Fn::GetAtt" in node:
            return ".".join(node["Fn::GetAtt"])
    return node


def state_machine(template: Template) -> dict[str, Any]:
    (machine,) = template.find_resources("AWS::StepFunctions::StateMachine").values()
    return machine  # type: ignore[no-any-return]


def definition(template: Template) -> dict[str, Any]:
    return json.loads(resolve(state_machine(template)["Properties"]["DefinitionString"]))  # type: ignore[no-any-return]


def logical_id(stack: cdk.Stack, path: str) -> str:
    """The logical id of the resource at ``path`` (relative to the stack)."""
    node = stack.node.find_child(path.split("/")[0])
    for part in path.split("/")[1:]:
        node = node.node.find_child(part)
    resource = node.node.default_child or node
    return stack.resolve(stack.get_logical_id(resource))  # type: ignore[arg-type,no-any-return]


# -- the full-featured transform, built once ------------------------------------------------------


@pytest.fixture(scope="module")
def full() -> tuple[cdk.Stack, BatchTransform, Template]:
    stack = cdk.Stack(new_app(), "Batch")
    bucket = s3.Bucket(stack, "Data", enforce_ssl=True)
    transform = BatchTransform(
        stack, "Scoring",
        model=model(stack, bucket),
        source=TransformSource.s3_prefix(bucket, "batch/input/"),
        output_bucket=bucket, output_prefix="batch/output/",
        instance_type="ml.c5.xlarge", instance_count=2,
        content_type="text/csv", accept="text/csv", split_type="Line", batch_strategy="MultiRecord",
        assemble_with="Line", max_payload_in_mb=5, max_concurrent_transforms=4,
        input_filter="$[1:]", output_filter="$[0,-1]", join_source=JoinSource.INPUT,
        environment={"SAGEMAKER_MODEL_SERVER_TIMEOUT": "300"},
        invocations_timeout=cdk.Duration.minutes(2), invocations_max_retries=1,
        tags={"team": "risk"},
        trigger_on_object_created=True,
        schedule=events.Schedule.cron(hour="2", minute="0"),
        job_name_prefix="scoring",
    )
    return stack, transform, Template.from_stack(stack)


def test_the_transform_state_has_the_exact_api_parameters(full: tuple[cdk.Stack, BatchTransform, Template]) -> None:
    stack, _, template = full
    bucket = logical_id(stack, "Data")
    key = logical_id(stack, "Scoring/Key")
    model_id = logical_id(stack, "Model")
    states = definition(template)["States"]
    assert states["Transform"] == {
        "Type": "Task",
        "Resource": "arn:aws:states:::sagemaker:createTransformJob.sync",
        "Parameters": {
            "TransformJobName.$": "States.Format('scoring-{}', States.Hash(States.Format('{}/{}/{}', "
                                  "$$.Execution.Id, $.attempt, $$.State.RetryCount), 'MD5'))",
            "ModelName": f"{model_id}.ModelName",
            "BatchStrategy": "MultiRecord",
            "MaxPayloadInMB": 5,
            "MaxConcurrentTransforms": 4,
            "Environment": {"SAGEMAKER_MODEL_SERVER_TIMEOUT": "300"},
            "ModelClientConfig": {"InvocationsTimeoutInSeconds": 120, "InvocationsMaxRetries": 1},
            "DataProcessing": {"InputFilter": "$[1:]", "OutputFilter": "$[0,-1]", "JoinSource": "Input"},
            "TransformInput": {
                "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri.$": "$.input"}},
                "ContentType": "text/csv",
                "SplitType": "Line",
            },
            "TransformOutput": {
                "S3OutputPath": f"s3://{bucket}/batch/output/",
                "Accept": "text/csv",
                "AssembleWith": "Line",
                "KmsKeyId": f"{key}.Arn",
            },
            "TransformResources": {"InstanceType": "ml.c5.xlarge", "InstanceCount": 2, "VolumeKmsKeyId": f"{key}.Arn"},
            "Tags": [{"Key": "team", "Value": "risk"},
                     {"Key": "stepfunctions:execution", "Value.$": "$$.Execution.Id"}],
        },
        "ResultSelector": {
            "TransformJobName.$": "$.TransformJobName",
            "TransformJobArn.$": "$.TransformJobArn",
            "TransformJobStatus.$": "$.TransformJobStatus",
            "S3OutputPath.$": "$.TransformOutput.S3OutputPath",
        },
        "ResultPath": "$.job",
        "Retry": [
            {"ErrorEquals": ["SageMaker.ThrottlingException", "SageMaker.AmazonSageMakerException"],
             "IntervalSeconds": 5, "MaxAttempts": 6, "BackoffRate": 2, "MaxDelaySeconds": 60, "JitterStrategy": "FULL"},
            {"ErrorEquals": ["SageMaker.ResourceLimitExceededException"],
             "IntervalSeconds": 60, "MaxAttempts": 5, "BackoffRate": 2, "MaxDelaySeconds": 900,
             "JitterStrategy": "FULL"},
        ],
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "CapacityError?"}],
        "Next": "Done",
    }


def test_the_flow_defaults_checks_input_retries_capacity_and_notifies_before_failing(
    full: tuple[cdk.Stack, BatchTransform, Template],
) -> None:
    stack, _, template = full
    bucket = logical_id(stack, "Data")
    topic = logical_id(stack, "Scoring/Topic")
    machine = definition(template)
    states = machine["States"]
    assert machine["StartAt"] == "InputGiven?"
    assert machine["TimeoutSeconds"] == 86400
    assert states["InputGiven?"] == {"Type": "Choice", "Default": "DefaultInput", "Choices": [
        {"Variable": "$.input", "IsPresent": True, "Next": "InputAllowed?"}]}
    assert states["DefaultInput"] == {"Type": "Pass", "Next": "Transform",
                                      "Parameters": {"input": f"s3://{bucket}/batch/input/", "attempt": 1}}
    assert states["InputAllowed?"] == {"Type": "Choice", "Default": "RefuseInput", "Choices": [{"And": [
        {"Variable": "$.input", "IsString": True},
        {"Variable": "$.input", "StringMatches": f"s3://{bucket}/batch/input/*"},
    ], "Next": "GivenInput"}]}
    assert states["GivenInput"] == {"Type": "Pass", "Next": "Transform",
                                    "Parameters": {"input.$": "$.input", "attempt": 1}}
    assert states["RefuseInput"]["Next"] == "NotifyFailure"
    assert states["RefuseInput"]["Parameters"]["error"]["Error"] == "InputOutsideSource"
    assert states["CapacityError?"] == {"Type": "Choice", "Default": "NotifyFailure", "Choices": [{"And": [
        {"Variable": "$.error.Cause", "IsString": True},
        {"Variable": "$.error.Cause", "StringMatches": "*CapacityError*"},
        {"Variable": "$.attempt", "NumericLessThan": 4},
    ], "Next": "WaitForCapacity"}]}
    assert states["WaitForCapacity"] == {"Type": "Wait", "Seconds": 600, "Next": "NextAttempt"}
    assert states["NextAttempt"] == {"Type": "Pass", "Next": "Transform", "Parameters": {
        "input.$": "$.input", "attempt.$": "States.MathAdd($.attempt, 1)"}}
    assert states["NotifyFailure"] == {
        "Type": "Task", "Resource": "arn:aws:states:::sns:publish", "ResultPath": None, "Next": "Failed",
        "Parameters": {
            "TopicArn": topic,
            "Subject": "Batch transform failed: Scoring",
            "Message": {"transform": "Batch/Scoring", "execution.$": "$$.Execution.Id", "input.$": "$.input",
                        "error.$": "$.error"},
        },
    }
    assert states["Failed"]["Type"] == "Fail" and states["Failed"]["Error"] == "TransformFailed"
    assert states["Done"] == {"Type": "Succeed"}


def test_job_names_fit_sagemaker_for_the_longest_prefix() -> None:
    # <prefix: 30>-<MD5: 32 hex digits> is SageMaker's maximum of 63 characters.
    assert 30 + 1 + 32 == 63


def test_the_definition_passes_the_asl_validator(full: tuple[cdk.Stack, BatchTransform, Template],
                                                 tmp_path: Path) -> None:
    path = tmp_path / "definition.json"
    path.write_text(json.dumps(definition(full[2])))
    result = subprocess.run([str(ASL_VALIDATOR), "--json-path", str(path)], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_asl_validator_refuses_a_broken_definition(full: tuple[cdk.Stack, BatchTransform, Template],
                                                       tmp_path: Path) -> None:
    broken = definition(full[2])
    broken["States"]["Transform"]["Next"] = "Nowhere"
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken))
    result = subprocess.run([str(ASL_VALIDATOR), "--json-path", str(path)], capture_output=True, text=True,
                            check=False)
    assert result.returncode != 0


def test_logs_tracing_and_timeout(full: tuple[cdk.Stack, BatchTransform, Template]) -> None:
    stack, _, template = full
    key = logical_id(stack, "Scoring/Key")
    properties = state_machine(template)["Properties"]
    assert properties["TracingConfiguration"] == {"Enabled": True}
    assert properties["LoggingConfiguration"]["Level"] == "ALL"
    assert properties["LoggingConfiguration"]["IncludeExecutionData"] is True
    template.has_resource("AWS::Logs::LogGroup", {
        "Properties": {"KmsKeyId": {"Fn::GetAtt": [key, "Arn"]}, "RetentionInDays": 365},
        "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
    })
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


def test_the_state_machine_role_may_run_only_its_jobs_and_pass_only_the_models_role(
    full: tuple[cdk.Stack, BatchTransform, Template],
) -> None:
    stack, transform, template = full
    role = logical_id(stack, "Scoring/Role")
    model_role = logical_id(stack, "Model/Role")
    (policy,) = [p for p in template.find_resources("AWS::IAM::ManagedPolicy").values()
                 if p["Properties"].get("Roles") == [{"Ref": role}]]
    statements = stack.resolve(policy["Properties"]["PolicyDocument"]["Statement"])
    jobs = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":sagemaker:", {"Ref": "AWS::Region"}, ":",
                              {"Ref": "AWS::AccountId"}, ":transform-job/scoring-*"]]}
    for action in ["sagemaker:CreateTransformJob", "sagemaker:DescribeTransformJob", "sagemaker:StopTransformJob",
                   "sagemaker:AddTags", "sagemaker:ListTags"]:
        assert allows(statements, action, jobs), action
    sync_rule = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":events:", {"Ref": "AWS::Region"}, ":",
                                   {"Ref": "AWS::AccountId"},
                                   ":rule/StepFunctionsGetEventsForSageMakerTransformJobsRule"]]}
    for action in ["events:PutTargets", "events:PutRule", "events:DescribeRule"]:
        assert allows(statements, action, sync_rule), action
    assert allows(statements, "iam:PassRole", {"Fn::GetAtt": [model_role, "Arn"]},
                  {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}})
    passes = [s for s in statements if "iam:PassRole" in s["Action"]]
    assert len(passes) == 1 and passes[0]["Resource"] == {"Fn::GetAtt": [model_role, "Arn"]}
    actions = {action for s in statements for action in ([s["Action"]] if isinstance(s["Action"], str)
                                                           else s["Action"])}
    # Publishing the failure, logging and tracing, and nothing else.
    assert actions - {
        "sagemaker:CreateTransformJob", "sagemaker:DescribeTransformJob", "sagemaker:StopTransformJob",
        "sagemaker:AddTags", "sagemaker:ListTags", "events:PutTargets", "events:PutRule", "events:DescribeRule",
        "iam:PassRole", "sns:Publish", "kms:Decrypt", "kms:GenerateDataKey*",
    } <= {"logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery", "logs:DeleteLogDelivery",
          "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies",
          "logs:DescribeLogGroups", "xray:PutTraceSegments", "xray:PutTelemetryRecords",
          "xray:GetSamplingRules", "xray:GetSamplingTargets"}
    assert not [name for name in template.find_resources("AWS::IAM::Policy")]
    assert "AmazonSageMakerFullAccess" not in json.dumps(template.to_json())
    assert transform.role.role_arn


def test_the_model_is_granted_exactly_the_jobs_access(full: tuple[cdk.Stack, BatchTransform, Template]) -> None:
    stack, _, template = full
    bucket = logical_id(stack, "Data")
    key = logical_id(stack, "Scoring/Key")
    model_role = logical_id(stack, "Model/Role")
    (policy,) = [p for p in template.find_resources("AWS::IAM::ManagedPolicy").values()
                 if p["Properties"].get("Roles") == [{"Ref": model_role}]]
    statements = stack.resolve(policy["Properties"]["PolicyDocument"]["Statement"])

    def objects(prefix: str) -> dict[str, Any]:
        return {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, f"/{prefix}*"]]}

    key_arn = {"Fn::GetAtt": [key, "Arn"]}
    transform_logs = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":logs:", {"Ref": "AWS::Region"}, ":",
                                        {"Ref": "AWS::AccountId"}, ":log-group:/aws/sagemaker/TransformJobs:*"]]}
    assert allows(statements, "s3:GetObject", objects("batch/input/"))
    assert allows(statements, "s3:ListBucket", {"Fn::GetAtt": [bucket, "Arn"]},
                  {"StringLike": {"s3:prefix": ["batch/input/*"]}})
    assert allows(statements, "s3:PutObject", objects("batch/output/"))
    assert allows(statements, "s3:AbortMultipartUpload", objects("batch/output/"))
    assert allows(statements, "kms:GenerateDataKey", key_arn)
    assert allows(statements, "kms:Decrypt", key_arn)
    assert allows(statements, "kms:CreateGrant", key_arn, {"Bool": {"kms:GrantIsForAWSResource": "true"}})
    for action in ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]:
        assert allows(statements, action, transform_logs), action
    # Reads only the input location, writes only the output location.
    assert not allows(statements, "s3:GetObject", objects("batch/output/"))
    assert not allows(statements, "s3:PutObject", objects("batch/input/"))


def test_object_created_under_the_prefix_starts_a_run(full: tuple[cdk.Stack, BatchTransform, Template]) -> None:
    stack, _, template = full
    bucket = logical_id(stack, "Data")
    machine = logical_id(stack, "Scoring/StateMachine")
    events_role = logical_id(stack, "Scoring/EventsRole")
    dead_letters = logical_id(stack, "Scoring/TriggerDeadLetterQueue")
    template.has_resource_properties("AWS::S3::Bucket", {
        "NotificationConfiguration": {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}})
    template.has_resource_properties("AWS::Events::Rule", {
        "EventPattern": {
            "source": ["aws.s3"],
            "detail-type": ["Object Created"],
            "detail": {"bucket": {"name": [{"Ref": bucket}]},
                       "object": {"key": [{"prefix": "batch/input/"}], "size": [{"numeric": [">", 0]}]}},
        },
        "Targets": [{
            "Arn": {"Ref": machine},
            "Id": Match.any_value(),
            "RoleArn": {"Fn::GetAtt": [events_role, "Arn"]},
            "InputTransformer": {
                "InputPathsMap": {"detail-bucket-name": "$.detail.bucket.name",
                                  "detail-object-key": "$.detail.object.key"},
                "InputTemplate": '{"input":"s3://<detail-bucket-name>/<detail-object-key>"}',
            },
            "DeadLetterConfig": {"Arn": {"Fn::GetAtt": [dead_letters, "Arn"]}},
        }],
    })
    template.has_resource_properties("AWS::Events::Rule", {
        "ScheduleExpression": "cron(0 2 * * ? *)",
        "Targets": [{"Arn": {"Ref": machine}, "Id": Match.any_value(), "Input": "{}",
                     "RoleArn": {"Fn::GetAtt": [events_role, "Arn"]},
                     "DeadLetterConfig": {"Arn": {"Fn::GetAtt": [dead_letters, "Arn"]}}}],
    })


def test_a_start_eventbridge_cannot_deliver_waits_in_an_encrypted_queue_that_alarms(
    full: tuple[cdk.Stack, BatchTransform, Template],
) -> None:
    stack, transform, template = full
    dead_letters = logical_id(stack, "Scoring/TriggerDeadLetterQueue")
    key, topic = logical_id(stack, "Scoring/Key"), logical_id(stack, "Scoring/Topic")
    assert transform.trigger_dead_letter_queue is not None
    rules = template.find_resources("AWS::Events::Rule")
    assert len(rules) == 2
    for rule in rules.values():
        (target,) = rule["Properties"]["Targets"]
        # EventBridge's default retries (24 hours, 185 attempts), then the queue.
        assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [dead_letters, "Arn"]}}
        assert "RetryPolicy" not in target
    template.has_resource("AWS::SQS::Queue", {
        "Properties": {"KmsMasterKeyId": {"Fn::GetAtt": [key, "Arn"]}, "MessageRetentionPeriod": 1209600},
        "UpdateReplacePolicy": "Delete", "DeletionPolicy": "Delete",
    })
    # Only these two rules may send to it.
    (policy,) = template.find_resources("AWS::SQS::QueuePolicy").values()
    sends = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert sorted(json.dumps(s["Condition"], sort_keys=True) for s in sends) == sorted(
        json.dumps({"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [rule, "Arn"]}}}, sort_keys=True) for rule in rules)
    assert {(s["Action"], json.dumps(s["Principal"])) for s in sends} == {
        ("sqs:SendMessage", '{"Service": "events.amazonaws.com"}')}
    alarms = template.find_resources("AWS::CloudWatch::Alarm")
    assert {(a["Properties"]["MetricName"], a["Properties"]["Threshold"], json.dumps(a["Properties"]["AlarmActions"]))
            for a in alarms.values()} == {
        ("ApproximateNumberOfMessagesVisible", 0, json.dumps([{"Ref": topic}])),
        ("ApproximateAgeOfOldestMessage", 864000, json.dumps([{"Ref": topic}])),
    }
    # The alarms publish to the topic, EventBridge sends to the queue: both encrypted with the key.
    (key_resource,) = template.find_resources("AWS::KMS::Key").values()
    assert {"Sid": "AllowAlarmsAndEventBridgeToEncrypt", "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Resource": "*",
            "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]}} in \
        key_resource["Properties"]["KeyPolicy"]["Statement"]
    (topic_policy,) = template.find_resources("AWS::SNS::TopicPolicy").values()
    assert "AllowCloudWatchAlarmsOfThisAccount" in {s.get("Sid") for s in
                                                    topic_policy["Properties"]["PolicyDocument"]["Statement"]}


def test_alarms_may_use_the_key_of_a_topic_encrypted_with_another_key(stack: cdk.Stack) -> None:
    bucket = s3.Bucket(stack, "Data")
    topic_key = kms.Key(stack, "TopicKey", enable_key_rotation=True)
    BatchTransform(stack, "Batch", model=model(stack, bucket), source=TransformSource.s3_prefix(bucket, "in/"),
                   output_path="s3://results/scores/", trigger_on_object_created=True,
                   topic=sns.Topic(stack, "Topic", master_key=topic_key))
    template = Template.from_stack(stack)
    statements = template.find_resources("AWS::KMS::Key")[logical_id(stack, "TopicKey")]["Properties"]["KeyPolicy"][
        "Statement"]
    assert {"Sid": "AllowAlarmsToEncrypt", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
            "Resource": "*", "Principal": {"Service": "cloudwatch.amazonaws.com"}} in statements
    assert check_wiring({"Stack": json.loads(json.dumps(template.to_json()))}) == []


def test_settings_are_exposed_as_the_plain_object(full: tuple[cdk.Stack, BatchTransform, Template]) -> None:
    _, transform, template = full
    assert isinstance(transform.settings, TransformSettings)
    assert transform.settings.split_type is SplitType.LINE
    parameters = definition(template)["States"]["Transform"]["Parameters"]
    assert TransformSettings.from_request(parameters) == transform.settings


def test_defaults_create_a_key_and_topic_and_leave_settings_to_sagemaker(stack: cdk.Stack) -> None:
    bucket = s3.Bucket(stack, "Data")
    transform = BatchTransform(stack, "Batch", model=model(stack, bucket),
                               source=TransformSource.s3_prefix(bucket, ""), output_path="s3://results/scores/")
    template = Template.from_stack(stack)
    parameters = definition(template)["States"]["Transform"]["Parameters"]
    assert set(parameters) == {"TransformJobName.$", "ModelName", "TransformInput", "TransformOutput",
                               "TransformResources", "Tags"}
    assert parameters["TransformOutput"]["S3OutputPath"] == "s3://results/scores/"
    assert parameters["TransformResources"]["InstanceType"] == "ml.m5.large"
    assert re.fullmatch(r"teststack-batch-[0-9a-f]{8}", transform.job_name_prefix)
    template.resource_count_is("AWS::SNS::Topic", 1)
    template.resource_count_is("AWS::Events::Rule", 0)
    assert transform.trigger_dead_letter_queue is None
    template.resource_count_is("AWS::SQS::Queue", 0)
    # The failure notification: the topic is encrypted, so publishing needs its key too.
    (policy,) = [p for name, p in template.find_resources("AWS::IAM::ManagedPolicy").items()
                 if name.startswith("BatchRolePolicy")]
    (topic,) = template.find_resources("AWS::SNS::Topic")
    (key,) = template.find_resources("AWS::KMS::Key")
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert {"Action": "sns:Publish", "Effect": "Allow", "Resource": {"Ref": topic}} in statements
    assert {"Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [key, "Arn"]}} in statements


def test_local_nvme_instances_get_no_volume_key_and_a_warning(stack: cdk.Stack) -> None:
    bucket = s3.Bucket(stack, "Data")
    BatchTransform(stack, "Batch", model=model(stack, bucket), source=TransformSource.s3_prefix(bucket, "in/"),
                   output_bucket=bucket, output_prefix="out/", instance_type=InstanceType.G5_XLARGE)
    template = Template.from_stack(stack)
    resources = definition(template)["States"]["Transform"]["Parameters"]["TransformResources"]
    assert resources == {"InstanceType": "ml.g5.xlarge", "InstanceCount": 1}
    assert "kms:CreateGrant" not in json.dumps(template.to_json())
    Annotations.from_stack(stack).has_warning("/TestStack/Batch", Match.string_like_regexp("local NVMe"))


def test_a_manifest_reads_its_folder_and_data_prefix(stack: cdk.Stack) -> None:
    bucket = s3.Bucket(stack, "Data")
    BatchTransform(stack, "Batch", model=model(stack, bucket),
                   source=TransformSource.manifest(bucket, "manifests/today.manifest", data_prefix="data/"),
                   output_bucket=bucket, output_prefix="out/")
    template = Template.from_stack(stack)
    states = definition(template)["States"]
    source = states["Transform"]["Parameters"]["TransformInput"]["DataSource"]["S3DataSource"]
    assert source == {"S3DataType": "ManifestFile", "S3Uri.$": "$.input"}
    assert states["DefaultInput"]["Parameters"]["input"].endswith("/manifests/today.manifest")
    assert states["InputAllowed?"]["Choices"][0]["And"][1]["StringMatches"].endswith("/manifests/*")
    text = json.dumps(template.to_json())
    assert '"/manifests/*"' in text and '"/data/*"' in text


def test_an_imported_bucket_warns_that_its_events_must_be_on(stack: cdk.Stack) -> None:
    bucket = s3.Bucket.from_bucket_name(stack, "Data", "data")
    BatchTransform(stack, "Batch", model=model(stack, bucket), source=TransformSource.s3_prefix(bucket, "in/"),
                   output_bucket=bucket, output_prefix="out/", trigger_on_object_created=True)
    Annotations.from_stack(stack).has_warning("/TestStack/Batch", Match.string_like_regexp("EventBridge"))


def test_the_construct_passes_the_compliance_gate() -> None:
    app = new_app()
    apply_compliance_gate(app)
    shared = SharedResources(cdk.Stack(app, "Shared"), "Shared")
    stack = cdk.Stack(app, "Batch")
    BatchTransform(stack, "Batch", model=model(stack, shared.artifacts_bucket),
                   source=TransformSource.s3_prefix(shared.artifacts_bucket, "batch/input/"),
                   output_bucket=shared.artifacts_bucket, output_prefix="batch/output/",
                   trigger_on_object_created=True, schedule=events.Schedule.rate(cdk.Duration.days(1)))
    BatchTransform(stack, "Own", model=model(stack, shared.artifacts_bucket, "Other"),
                   source=TransformSource.s3_prefix(shared.artifacts_bucket, "other/"),
                   output_path="s3://elsewhere/out/", encryption_key=kms.Key(stack, "Key", enable_key_rotation=True))
    app.synth()


# -- validation ---------------------------------------------------------------------------------------


REFUSED: list[tuple[dict[str, Any], str]] = [
    ({"instance_count": 0}, r"instance_count must be between 1 and 100, got 0"),
    ({"instance_count": 101}, r"instance_count must be between 1 and 100, got 101"),
    ({"instance_count": 1.5}, r"instance_count must be a whole number, got 1.5"),
    ({"instance_type": "m5.large"}, r"instance_type must be a SageMaker transform instance type such as ml.m5.large"),
    ({"instance_type": "ml.c5.large"},
     r"instance_type must be a SageMaker transform instance type \(ml.c5 sizes: xlarge, 2xlarge, 4xlarge, 9xlarge, "
     r"18xlarge\), got 'ml.c5.large'"),
    ({"instance_type": "ml.t2.medium"},
     r"instance_type must be a SageMaker transform instance type such as ml.m5.large"),
    ({"tags": {"team": "a\tb"}}, r"tags\['team'\] must be letters, digits, spaces and _.:/=\+-@, got 'a\\tb'"),
    ({"max_payload_in_mb": 101}, r"max_payload_in_mb must be a whole number between 0 and 100, got 101"),
    ({"max_payload_in_mb": 20, "max_concurrent_transforms": 6},
     r"max_concurrent_transforms \* max_payload_in_mb must be at most 100 .*, got 120"),
    ({"batch_strategy": "MultiRecord"}, r"batch_strategy must be unset unless split_type is Line, RecordIO"),
    ({"input_filter": "$" + "x" * 63}, r"input_filter must be a JSONPath starting with '\$', at most 63 characters"),
    ({"output_filter": "x"}, r"output_filter must be a JSONPath"),
    ({"join_source": "Both"}, r"join_source must be one of 'None', 'Input', got 'Both'"),
    ({"environment": {f"K{i}": "v" for i in range(17)}}, r"environment must be at most 16 entries"),
    ({"invocations_timeout": cdk.Duration.hours(2)},
     r"invocations_timeout_in_seconds must be a whole number between 1 and 3600, got 7200"),
    ({"invocations_timeout": cdk.Duration.millis(1500)}, r"invocations_timeout must be whole seconds, got 1.5"),
    ({"invocations_max_retries": 4}, r"invocations_max_retries must be a whole number between 0 and 3, got 4"),
    ({"output_bucket": None, "output_prefix": ""}, r"output_path or output_bucket must be exactly one of them"),
    ({"output_bucket": None, "output_path": "https://bucket/out/"},
     r"output_path must be an s3://<bucket>/<prefix> URI, got 'https://bucket/out/'"),
    ({"output_bucket": None, "output_path": "s3://bucket"}, r"output_path must be an s3://<bucket>/<prefix> URI"),
    ({"output_bucket": None, "output_path": "s3://bucket/" + "k" * 1020}, r"output_path must be between 6 and 1024"),
    ({"output_bucket": None, "output_path": "s3://bucket/out/", "output_prefix": "x/"},
     r"output_prefix must be unset when output_path is set"),
    ({"output_prefix": "/out/"}, r"output_prefix must be an S3 key prefix .* without a leading '/' or wildcards"),
    ({"output_prefix": "out*/"}, r"output_prefix must be an S3 key prefix"),
    ({"output_prefix": "batch/input/results/", "trigger_on_object_created": True},
     r"output location must be outside the input prefix when runs start on object creation"),
    ({"output_prefix": "batch/input/results/"},
     r"output location must be outside the input prefix \(the next run of the input would transform these "
     r"results too\), got 'batch/input/results/'"),
    ({"output_prefix": "batch/input"}, r"output location must be outside the input prefix \(the next run"),
    ({"tags": {f"k{i}": "v" for i in range(50)}}, r"tags must be at most 49 entries"),
    ({"tags": {"aws:owner": "me"}}, r"tags key must be .* not starting with aws:, got 'aws:owner'"),
    ({"tags": {"k" * 129: "v"}}, r"tags key must be between 1 and 128 characters long"),
    ({"tags": {"team": "a*b"}}, r"tags\['team'\] must be letters, digits, spaces and _.:/=\+-@, got 'a\*b'"),
    ({"tags": {"team": "v" * 257}}, r"tags\['team'\] must be between 0 and 256 characters long"),
    ({"job_name_prefix": "scoring_jobs"}, r"job_name_prefix must be 1-30 letters, digits and inner hyphens"),
    ({"job_name_prefix": "x" * 31}, r"job_name_prefix must be 1-30 letters"),
    ({"capacity_retries": 11}, r"capacity_retries must be between 0 and 10, got 11"),
    ({"capacity_retry_interval": cdk.Duration.seconds(30)},
     r"capacity_retry_interval \(seconds\) must be between 60 and 86400, got 30"),
]


@pytest.mark.parametrize(("props", "message"), REFUSED, ids=[message[:50] for _, message in REFUSED])
def test_invalid_props_are_refused_with_the_standard_message(stack: cdk.Stack, props: dict[str, Any],
                                                             message: str) -> None:
    bucket = s3.Bucket(stack, "Data")
    arguments: dict[str, Any] = {"output_bucket": bucket, "output_prefix": "batch/output/", **props}
    with pytest.raises(ValidationError, match=r"^TestStack/Batch: " + message):
        BatchTransform(stack, "Batch", model=model(stack, bucket),
                       source=TransformSource.s3_prefix(bucket, "batch/input/"), **arguments)


@pytest.mark.parametrize(("source_of", "output_prefix"), [
    (lambda bucket: TransformSource.s3_prefix(bucket, "batch/input/"), "batch/inputs/"),
    (lambda bucket: TransformSource.manifest(bucket, "manifests/today.manifest", data_prefix="data/"), "data/out/"),
    (lambda bucket: TransformSource.s3_prefix(s3.Bucket.from_bucket_name(bucket, "Other", "other"), ""), "out/"),
], ids=["beside the input", "among a manifest's data", "another bucket"])
def test_results_may_go_where_no_run_reads(stack: cdk.Stack, source_of: Callable[[s3.IBucket], TransformSource],
                                           output_prefix: str) -> None:
    bucket = s3.Bucket(stack, "Data")
    batch = BatchTransform(stack, "Batch", model=model(stack, bucket), source=source_of(bucket),
                           output_bucket=bucket, output_prefix=output_prefix)
    assert batch.output_prefix == output_prefix


@pytest.mark.parametrize("prefix", ["batch/input", "/batch/", "in*/"])
def test_the_input_must_be_a_folder_without_wildcards(stack: cdk.Stack, prefix: str) -> None:
    bucket = s3.Bucket(stack, "Data")
    with pytest.raises(ValidationError, match=r"^TestStack/Batch: source (key|prefix) must be"):
        BatchTransform(stack, "Batch", model=model(stack, bucket), source=TransformSource.s3_prefix(bucket, prefix),
                       output_path="s3://out/x/")


def test_an_imported_model_is_refused(stack: cdk.Stack) -> None:
    bucket = s3.Bucket(stack, "Data")
    imported = Model.from_model_name(stack, "Imported", "churn")
    with pytest.raises(ValidationError, match=r"^TestStack/Batch: model must be a model declared in this app"):
        BatchTransform(stack, "Batch", model=imported, source=TransformSource.s3_prefix(bucket, "in/"),
                       output_path="s3://out/x/")
