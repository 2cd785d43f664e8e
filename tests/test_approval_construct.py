"""ApprovalDeployment: the rules, queues, alarms, event source and the exact permissions."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Annotations, Match, Template
from cdk_sagemaker_inference import SharedResources, ValidationError, acknowledge, apply_compliance_gate
from cdk_sagemaker_inference.approval import ApprovalDeployment, DeploymentTrigger
from cdk_sagemaker_inference.wiring import check_wiring

from .conftest import new_app

CFN_EXEC_ROLE = "arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-us-east-1"


def _arn(service: str, resource: str) -> dict[str, Any]:
    return {
        "Fn::Join": [
            "",
            [
                "arn:",
                {"Ref": "AWS::Partition"},
                f":{service}:",
                {"Ref": "AWS::Region"},
                ":",
                {"Ref": "AWS::AccountId"},
                f":{resource}",
            ],
        ]
    }


def _deployment(
    stack: cdk.Stack, trigger: DeploymentTrigger | None = None, **props: Any
) -> ApprovalDeployment:
    shared = SharedResources(stack, "Shared")
    return ApprovalDeployment(
        stack,
        "Approval",
        model_package_group="MyGroup",
        trigger=trigger
        or DeploymentTrigger.cloudformation_stack("inference-realtime", execution_role_arn=CFN_EXEC_ROLE),
        topic=shared.notifications_topic,
        key=shared.key,
        endpoint_name="inference-endpoint",
        **props,
    )


@pytest.fixture
def template(stack: cdk.Stack) -> Template:
    _deployment(stack)
    return Template.from_stack(stack)


def _policy(template: Template, role_prefix: str) -> list[dict[str, Any]]:
    policies = template.find_resources("AWS::IAM::ManagedPolicy")
    (policy,) = [p for name, p in policies.items() if name.startswith(f"Approval{role_prefix}RolePolicy")]
    statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def test_approval_rule_forwards_every_approval_change_of_the_group_to_the_queue(
    template: Template,
) -> None:
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {
                "source": ["aws.sagemaker"],
                "detail-type": ["SageMaker Model Package State Change"],
                "detail": {
                    "ModelPackageGroupName": ["MyGroup"],
                    "ModelApprovalStatus": ["PendingManualApproval", "Approved", "Rejected"],
                },
            },
            "Targets": [
                {"Arn": {"Fn::GetAtt": [Match.string_like_regexp("ApprovalQueue"), "Arn"]}, "Id": "Target0"}
            ],
        },
    )


def test_queue_is_encrypted_tls_only_and_redrives_after_max_receive_count(stack: cdk.Stack) -> None:
    _deployment(stack, max_receive_count=4)
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::SQS::Queue",
        {
            "KmsMasterKeyId": {"Fn::GetAtt": [Match.string_like_regexp("SharedKey"), "Arn"]},
            "VisibilityTimeout": 360,
            "RedrivePolicy": {
                "deadLetterTargetArn": {
                    "Fn::GetAtt": [Match.string_like_regexp("ApprovalDeadLetterQueue"), "Arn"]
                },
                "maxReceiveCount": 4,
            },
        },
    )
    template.has_resource_properties(
        "AWS::SQS::Queue",
        {
            "KmsMasterKeyId": {"Fn::GetAtt": [Match.string_like_regexp("SharedKey"), "Arn"]},
            "MessageRetentionPeriod": 1209600,
        },
    )
    template.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Action": "sqs:*",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        ),
                    ]
                )
            }
        },
    )


def test_every_dead_letter_queue_has_an_alarm_that_notifies_the_topic(template: Template) -> None:
    alarms = template.find_resources("AWS::CloudWatch::Alarm", {
        "Properties": {"MetricName": "ApproximateNumberOfMessagesVisible"}})
    assert len(alarms) == 3  # approval events, undeliverable approval events, stack update events
    for alarm in alarms.values():
        (action,) = alarm["Properties"]["AlarmActions"]
        assert action["Ref"].startswith("SharedNotifications")
        assert alarm["Properties"]["Threshold"] == 0
        assert alarm["Properties"]["ComparisonOperator"] == "GreaterThanThreshold"


def test_deployer_consumes_the_queue_with_batch_item_failures_one_at_a_time(template: Template) -> None:
    template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {
            "BatchSize": 5,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
            "EventSourceArn": {"Fn::GetAtt": [Match.string_like_regexp("ApprovalQueue"), "Arn"]},
        },
    )
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Handler": "index.handler",
            "Environment": {
                "Variables": Match.object_like(
                    {
                        "MODEL_PACKAGE_GROUP_NAME": "MyGroup",
                        "STACK_NAME": "inference-realtime",
                        "PARAMETER_NAME": "ServedModelPackageArn",
                        "MAX_RECEIVE_COUNT": "10",
                        "ENDPOINT_STACK_NAME": "inference-realtime",
                        "ENDPOINT_NAME": "inference-endpoint",
                    }
                )
            },
        },
    )
    template.has_resource_properties(
        "AWS::Logs::LogGroup",
        {"KmsKeyId": {"Fn::GetAtt": [Match.string_like_regexp("SharedKey"), "Arn"]}, "RetentionInDays": 365},
    )


def test_deployer_role_may_do_exactly_what_the_switch_needs(template: Template) -> None:
    statements = _policy(template, "Deployer")
    by_action = {str(s["Action"]): s for s in statements}
    stack = _arn("cloudformation", "stack/inference-realtime/*")
    # Describing the stack and listing its endpoint configs: the silent-rollback check (issue 7 item 8).
    assert by_action["['cloudformation:DescribeStacks', 'cloudformation:ListStackResources']"]["Resource"] == stack
    assert by_action["sagemaker:DescribeEndpoint"]["Resource"] == _arn("sagemaker", "endpoint/inference-endpoint")
    assert by_action["cloudformation:UpdateStack"] == {
        "Action": "cloudformation:UpdateStack",
        "Effect": "Allow",
        "Resource": _arn("cloudformation", "stack/inference-realtime/*"),
        "Condition": {"StringEquals": {"cloudformation:RoleArn": CFN_EXEC_ROLE}},
    }
    assert by_action["iam:PassRole"] == {
        "Action": "iam:PassRole",
        "Effect": "Allow",
        "Resource": CFN_EXEC_ROLE,
        "Condition": {"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}},
    }
    assert by_action["sagemaker:ListModelPackages"]["Resource"] == "*"
    # IAM matches the name as given; the lowercased form is listed too, as every registry grant does.
    assert by_action["sagemaker:DescribeModelPackage"]["Resource"] == [
        _arn("sagemaker", "model-package/MyGroup/*"),
        _arn("sagemaker", "model-package/mygroup/*"),
    ]
    assert by_action["sns:Publish"]["Resource"]["Ref"].startswith("SharedNotifications")
    assert by_action["['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']"]["Resource"][
        "Fn::GetAtt"
    ][0].startswith("ApprovalDeadLetterQueue")
    assert by_action[
        "['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', "
        "'sqs:GetQueueUrl', 'sqs:ReceiveMessage']"
    ]["Resource"]["Fn::GetAtt"][0].startswith("ApprovalQueue")
    assert sorted(by_action) == sorted(
        [
            "['logs:CreateLogStream', 'logs:PutLogEvents']",
            "sns:Publish",
            "['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*']",
            "['cloudformation:DescribeStacks', 'cloudformation:ListStackResources']",
            "sagemaker:DescribeEndpoint",
            "cloudformation:UpdateStack",
            "iam:PassRole",
            "sagemaker:ListModelPackages",
            "sagemaker:DescribeModelPackage",
            "['sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:SendMessage']",
            "['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', "
            "'sqs:GetQueueUrl', 'sqs:ReceiveMessage']",
        ]
    )


def test_without_an_execution_role_the_deployer_may_pass_no_role(stack: cdk.Stack) -> None:
    _deployment(stack, DeploymentTrigger.cloudformation_stack("inference-realtime"))
    assert all(s["Action"] != "iam:PassRole" for s in _policy(Template.from_stack(stack), "Deployer"))


def test_monitor_rule_watches_update_results_of_the_endpoint_stack(template: Template) -> None:
    template.has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": {
                "source": ["aws.cloudformation"],
                "detail-type": ["CloudFormation Stack Status Change"],
                "resources": [{"prefix": _arn("cloudformation", "stack/inference-realtime/")}],
                "detail": {
                    "status-details": {
                        "status": [
                            "UPDATE_COMPLETE",
                            "UPDATE_FAILED",
                            "UPDATE_ROLLBACK_COMPLETE",
                            "UPDATE_ROLLBACK_FAILED",
                        ]
                    }
                },
            },
            "Targets": [
                Match.object_like(
                    {
                        "DeadLetterConfig": {
                            "Arn": {
                                "Fn::GetAtt": [
                                    Match.string_like_regexp("ApprovalMonitorDeadLetterQueue"),
                                    "Arn",
                                ]
                            }
                        },
                        "RetryPolicy": {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 2},
                    }
                )
            ],
        },
    )
    # The stack's status too: an update that completed while the next one runs is no silent rollback.
    assert _policy(template, "Monitor") == [
        {"Action": "sqs:SendMessage", "Effect": "Allow",
         "Resource": {"Fn::GetAtt": ["ApprovalMonitorDeadLetterQueueAC9F66A8", "Arn"]}},
        {"Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Effect": "Allow",
         "Resource": {"Fn::GetAtt": ["ApprovalMonitorLogs023DCA86", "Arn"]}},
        {"Action": "sns:Publish", "Effect": "Allow", "Resource": {"Ref": "SharedNotifications7CEDE7F9"}},
        {"Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Effect": "Allow",
         "Resource": {"Fn::GetAtt": ["SharedKey204AD1D7", "Arn"]}},
        {"Action": ["cloudformation:DescribeStacks", "cloudformation:ListStackResources"], "Effect": "Allow",
         "Resource": _arn("cloudformation", "stack/inference-realtime/*")},
        {"Action": "sagemaker:DescribeEndpoint", "Effect": "Allow",
         "Resource": _arn("sagemaker", "endpoint/inference-endpoint")},
    ]


def test_the_monitors_asynchronous_invocations_are_retried_twice_within_an_hour_then_dead_lettered(
        template: Template) -> None:
    """The rule target's retry policy covers only EventBridge's delivery to Lambda; Lambda's own
    retries of the invocation (its defaults: two on errors, six hours on throttles) are set here."""
    functions = template.find_resources("AWS::Lambda::Function")
    (monitor,) = [name for name in functions if name.startswith("ApprovalMonitor")]
    assert template.find_resources("AWS::Lambda::EventInvokeConfig") == {
        "ApprovalMonitorEventInvokeConfigFF64FCD7": {"Type": "AWS::Lambda::EventInvokeConfig", "Properties": {
            "FunctionName": {"Ref": monitor}, "Qualifier": "$LATEST",
            "MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 2}}}
    # No destination: what Lambda discards (retries spent or too old) goes to the function's DLQ.
    assert functions[monitor]["Properties"]["DeadLetterConfig"] == {
        "TargetArn": {"Fn::GetAtt": ["ApprovalMonitorDeadLetterQueueAC9F66A8", "Arn"]}}


def test_code_pipeline_trigger_may_only_start_and_read_that_pipeline(stack: cdk.Stack) -> None:
    pipeline = codepipeline.Pipeline.from_pipeline_arn(
        stack, "Pipeline", "arn:aws:codepipeline:us-east-1:123456789012:deploy-endpoint"
    )
    _deployment(
        stack,
        DeploymentTrigger.code_pipeline(pipeline, variable_name="ModelPackageArn"),
        endpoint_stack_name="inference-realtime",
    )
    template = Template.from_stack(stack)
    (statement,) = [
        s for s in _policy(template, "Deployer") if "codepipeline:StartPipelineExecution" in s["Action"]
    ]
    assert statement["Action"] == [
        "codepipeline:GetPipelineExecution",
        "codepipeline:ListPipelineExecutions",
        "codepipeline:StartPipelineExecution",
    ]
    assert statement["Resource"] == "arn:aws:codepipeline:us-east-1:123456789012:deploy-endpoint"
    assert not [s for s in _policy(template, "Deployer") if "cloudformation:UpdateStack" in s["Action"]]
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Environment": {
                "Variables": Match.object_like(
                    {"PIPELINE_NAME": "deploy-endpoint", "VARIABLE_NAME": "ModelPackageArn",
                     "ENDPOINT_STACK_NAME": "inference-realtime", "ENDPOINT_NAME": "inference-endpoint"}
                )
            }
        },
    )
    # The silent-rollback check reads the endpoint stack the pipeline deploys, and nothing more.
    (stack_read,) = [s for s in _policy(template, "Deployer") if "cloudformation:ListStackResources" in s["Action"]]
    assert stack_read == {"Action": ["cloudformation:DescribeStacks", "cloudformation:ListStackResources"],
                          "Effect": "Allow", "Resource": _arn("cloudformation", "stack/inference-realtime/*")}


def test_silent_rollbacks_the_monitor_logs_are_a_metric_whose_alarm_notifies_the_topic(template: Template) -> None:
    """Issue 7 item 8: a silent rollback pages through the shared topic, also if the publish fails."""
    (log_group,) = [name for name in template.find_resources("AWS::Logs::LogGroup")
                    if name.startswith("ApprovalMonitorLogs")]
    template.has_resource_properties("AWS::Logs::MetricFilter", {
        "LogGroupName": {"Ref": log_group},
        "FilterPattern": '"silent-rollback"',
        "MetricTransformations": [{"MetricNamespace": "cdk-sagemaker-inference",
                                   "MetricName": "SilentRollbacks-inference-realtime", "MetricValue": "1"}],
    })
    (alarm,) = [a for name, a in template.find_resources("AWS::CloudWatch::Alarm").items()
                if name.startswith("ApprovalSilentRollbackAlarm")]
    assert alarm["Properties"] == {
        "AlarmDescription": "SageMaker rolled an update of endpoint inference-endpoint back while stack "
        "inference-realtime completed it: the next approval event of MyGroup, or the same event sent again, "
        "redeploys the version (see the monitor's notification)",
        "Namespace": "cdk-sagemaker-inference",
        "MetricName": "SilentRollbacks-inference-realtime",
        "Statistic": "Sum",
        "Period": 300,
        "Threshold": 0,
        "ComparisonOperator": "GreaterThanThreshold",
        "EvaluationPeriods": 1,
        "TreatMissingData": "notBreaching",
        "AlarmActions": [{"Ref": "SharedNotifications7CEDE7F9"}],
    }


def test_the_monitor_logs_the_term_the_metric_filter_counts() -> None:
    from cdk_sagemaker_inference import approval
    from cdk_sagemaker_inference.handlers.deployment_monitor.index import Outcome

    assert approval._SILENT_ROLLBACK_TERM == f'"{Outcome.SILENT_ROLLBACK}"'  # the log line starts with it


@pytest.mark.parametrize(
    ("props", "message"),
    [
        (
            {"model_package_group": "my_group"},
            r"Approval: model_package_group must be 1-63 letters.*got 'my_group'",
        ),
        ({"endpoint_name": "-endpoint"}, r"Approval: endpoint_name must be .*got '-endpoint'"),
        ({"max_receive_count": 0}, r"Approval: max_receive_count must be between 1 and 1000, got 0"),
        (
            {"trigger": DeploymentTrigger.cloudformation_stack("1stack")},
            r"Approval: endpoint_stack_name must be a stack name.*got '1stack'",
        ),
        (
            {"trigger": DeploymentTrigger.cloudformation_stack("stack", parameter_name="Served_Arn")},
            r"Approval: trigger parameter_name must be a CloudFormation parameter name.*got 'Served_Arn'",
        ),
    ],
)
def test_refuses_invalid_props(stack: cdk.Stack, props: dict[str, Any], message: str) -> None:
    shared = SharedResources(stack, "Shared")
    defaults: dict[str, Any] = {
        "model_package_group": "MyGroup",
        "endpoint_name": "inference-endpoint",
        "trigger": DeploymentTrigger.cloudformation_stack("inference-realtime"),
    }
    with pytest.raises(ValidationError, match=message):
        ApprovalDeployment(
            stack, "Approval", topic=shared.notifications_topic, key=shared.key, **{**defaults, **props}
        )


def test_a_pipeline_trigger_needs_the_endpoint_stack_name(stack: cdk.Stack) -> None:
    pipeline = codepipeline.Pipeline.from_pipeline_arn(
        stack, "Pipeline", "arn:aws:codepipeline:us-east-1:1:p"
    )
    with pytest.raises(
        ValidationError,
        match=r"Approval: endpoint_stack_name must be set when the trigger is a "
        r"pipeline .*got None",
    ):
        _deployment(stack, DeploymentTrigger.code_pipeline(pipeline))


def test_accepts_a_group_object() -> None:
    class Group:
        model_package_group_name = "OtherGroup"

    stack = cdk.Stack(new_app(), "TestStack")
    _deployment_group = SharedResources(stack, "Shared")
    ApprovalDeployment(
        stack,
        "Approval",
        model_package_group=Group(),
        trigger=DeploymentTrigger.cloudformation_stack("inference-realtime"),
        topic=_deployment_group.notifications_topic,
        key=_deployment_group.key,
        endpoint_name="inference-endpoint",
    )
    Template.from_stack(stack).has_resource_properties(
        "AWS::Events::Rule",
        {
            "EventPattern": Match.object_like(
                {"detail": Match.object_like({"ModelPackageGroupName": ["OtherGroup"]})}
            )
        },
    )


def test_compliance_gated_synth_passes(tmp_path: Any) -> None:
    app = new_app()
    apply_compliance_gate(app)
    _deployment(cdk.Stack(app, "ApprovalStack"))
    app.synth()  # raises on any unacknowledged AwsSolutions, HIPAA, NIST or PCI finding


# --- stacks that serve the group without an endpoint (the reference app's batch stack) ------------

def _reference(reference_app: cdk.App, name: str) -> Template:
    return Template.from_json(reference_app.synth().get_stack_by_name(name).template)


def _stack_output(stack: str) -> dict[str, Any]:
    return {"Fn::GetStackOutput": {"StackName": stack, "Region": {"Ref": "AWS::Region"},
                                   "OutputName": "PublishOutputFnGetAttServedVersionSwitchRoleBA860E91Arn1AA92A88"}}


def test_the_batch_stacks_switch_role_may_replace_the_model_and_update_the_transforms_state_machine_only(
        reference_app: cdk.App) -> None:
    batch = _reference(reference_app, "inference-batch")
    (policy,) = [p for name, p in batch.find_resources("AWS::IAM::ManagedPolicy").items()
                 if name.startswith("ServedVersionSwitchRolePolicy")]
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {"Action": ["sagemaker:AddTags", "sagemaker:CreateModel", "sagemaker:DeleteModel", "sagemaker:DescribeModel",
                    "sagemaker:ListTags"], "Effect": "Allow", "Resource": _arn("sagemaker", "model/*")},
        {"Action": ["states:DescribeStateMachine", "states:ListTagsForResource", "states:TagResource",
                    "states:UntagResource", "states:UpdateStateMachine"],
         "Effect": "Allow", "Resource": {"Ref": "TransformStateMachine29402285"}},
        {"Action": "iam:PassRole", "Effect": "Allow", "Resource": {"Fn::GetAtt": ["TransformRole30EB06CF", "Arn"]},
         "Condition": {"StringEquals": {"iam:PassedToService": "states.amazonaws.com"}}},
        {"Action": "sagemaker:DescribeModelPackage", "Effect": "Allow",
         "Resource": _arn("sagemaker", "model-package/inference-breast-cancer/*")},
        {"Action": "iam:PassRole", "Effect": "Allow", "Resource": {"Fn::GetAtt": ["ModelRole3E65CE92", "Arn"]},
         "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}},
        {"Action": ["ssm:GetParameter", "ssm:GetParameters"], "Effect": "Allow",
         "Resource": _arn("ssm", "parameter/cdk-bootstrap/hnb659fds/version")},
        # Its own stack and the one its Fn::GetStackOutput references read, which resolve with this role.
        {"Action": "cloudformation:DescribeStacks", "Effect": "Allow",
         "Resource": [_arn("cloudformation", "stack/inference-batch/*"),
                      _arn("cloudformation", "stack/inference-shared/*")]},
    ]
    # What a switch changes in the batch stack: the model, and the state machine whose definition names it.
    template = batch.to_json()
    dependents = sorted(name for name, resource in template["Resources"].items()
                        if '"Model0301700E"' in json.dumps(resource.get("Properties", {})))
    assert dependents == ["TransformStateMachine29402285"]


def test_the_deployer_switches_the_batch_stack_only_with_its_switch_role(reference_app: cdk.App) -> None:
    registry = _reference(reference_app, "inference-registry")
    statements = [s for name, p in registry.find_resources("AWS::IAM::ManagedPolicy").items()
                  if name.startswith("ApprovalDeploymentDeployerRolePolicy")
                  for s in p["Properties"]["PolicyDocument"]["Statement"]]
    updates = [s for s in statements if s["Action"] == "cloudformation:UpdateStack"]
    assert updates == [
        {"Action": "cloudformation:UpdateStack", "Effect": "Allow",
         "Resource": _arn("cloudformation", f"stack/{stack}/*"),
         "Condition": {"StringEquals": {"cloudformation:RoleArn": _stack_output(stack)}}}
        for stack in ("inference-realtime", "inference-batch")]
    (pass_role,) = [s for s in statements if s["Action"] == "iam:PassRole"]
    assert pass_role["Resource"] == [_stack_output("inference-batch"), _stack_output("inference-realtime")]
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}}
    (describe,) = [s for s in statements if s["Action"] == "cloudformation:DescribeStacks"]
    assert describe["Resource"] == [_arn("cloudformation", "stack/inference-batch/*"),
                                    _arn("cloudformation", "stack/inference-realtime/*")]
    # Both stacks' BootstrapVersion is one SSM parameter: one statement.
    (ssm,) = [s for s in statements if "ssm:GetParameters" in s["Action"]]
    assert ssm["Resource"] == _arn("ssm", "parameter/cdk-bootstrap/hnb659fds/version")
    functions = registry.find_resources("AWS::Lambda::Function")
    (deployer,) = [f for name, f in functions.items() if name.startswith("ApprovalDeploymentDeployer")]
    variables = deployer["Properties"]["Environment"]["Variables"]
    assert {name: variables[name] for name in ("ALSO_STACK_NAMES", "ALSO_PARAMETER_NAMES", "ALSO_ROLE_ARNS")} == {
        "ALSO_STACK_NAMES": "inference-batch", "ALSO_PARAMETER_NAMES": "ServedModelPackageArn",
        "ALSO_ROLE_ARNS": _stack_output("inference-batch")}
    # It sends each event to its own queue again for the batch stack.
    (send,) = [s for s in statements if s["Action"] == ["sqs:GetQueueAttributes", "sqs:GetQueueUrl",
                                                          "sqs:SendMessage"]]
    assert [arn["Fn::GetAtt"][0][:len("ApprovalDeploymentQueue")] for arn in send["Resource"]] == [
        "ApprovalDeploymentDeadL", "ApprovalDeploymentQueue"]


def test_the_monitor_reports_the_update_results_of_the_batch_stack_too(reference_app: cdk.App) -> None:
    registry = _reference(reference_app, "inference-registry")
    registry.has_resource_properties("AWS::Events::Rule", {
        "Description": "Update results of stack inference-realtime and inference-batch",
        "EventPattern": Match.object_like({"resources": [
            {"prefix": _arn("cloudformation", "stack/inference-realtime/")},
            {"prefix": _arn("cloudformation", "stack/inference-batch/")}]})})
    registry.has_resource_properties("AWS::Lambda::Function", {"Environment": {"Variables": Match.object_like({
        "STACK_NAME": "inference-realtime", "ALSO_STACK_NAMES": "inference-batch"})}})


def _served_stack(app: cdk.App, id: str, group: str = "MyGroup") -> Any:
    """A stack with a served version of ``group`` (a model's stand-in role) and nothing else."""
    from aws_cdk import aws_iam as iam
    from cdk_sagemaker_inference import ModelPackageGroup, ServedModelPackage

    stack = cdk.Stack(app, id)
    served = ServedModelPackage(stack, "Served", group=ModelPackageGroup.from_model_package_group_name(
        stack, "Group", group))
    return stack, served, iam.Role(stack, "ModelRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))


def _transform_stand_in(stack: cdk.Stack) -> Any:
    """What a switch reads of a BatchTransform: its state machine's ARN and its role."""
    from types import SimpleNamespace

    from aws_cdk import aws_iam as iam

    role = iam.Role(stack, "TransformRole", assumed_by=iam.ServicePrincipal("states.amazonaws.com"))
    return SimpleNamespace(state_machine=SimpleNamespace(
        state_machine_arn=f"arn:aws:states:us-east-1:123456789012:stateMachine:{stack.node.id}"), role=role)


def test_a_switch_needs_an_endpoint_or_transforms_and_keys_only_with_an_endpoint() -> None:
    from aws_cdk import aws_kms as kms
    from cdk_sagemaker_inference import ServedVersionSwitch

    stack, served, role = _served_stack(new_app(), "Batch")
    with pytest.raises(ValidationError, match="Batch/Switch: endpoint_name or transforms must be given: a switch "
                                              "updates an endpoint or the batch transforms that serve the model, "
                                              "got None"):
        ServedVersionSwitch(stack, "Switch", served_package=served, execution_roles=[role])
    with pytest.raises(ValidationError, match="Batch/Other: keys must be empty without endpoint_name"):
        ServedVersionSwitch(stack, "Other", served_package=served, execution_roles=[role],
                            keys=[kms.Key(stack, "Key")], transforms=[_transform_stand_in(stack)])


def test_a_switch_takes_an_endpoint_name_that_is_a_token() -> None:
    from cdk_sagemaker_inference import ServedVersionSwitch

    stack, served, role = _served_stack(new_app(), "Realtime")
    name = cdk.CfnParameter(stack, "EndpointName", type="String").value_as_string
    switch = ServedVersionSwitch(stack, "Switch", served_package=served, execution_roles=[role], endpoint_name=name)
    statements = Template.from_stack(stack).to_json()["Resources"]
    (policy,) = [r for k, r in statements.items() if k.startswith("SwitchRolePolicy")]
    (update,) = [s for s in policy["Properties"]["PolicyDocument"]["Statement"]
                 if "sagemaker:UpdateEndpoint" in s["Action"]]
    # The name as given (SageMaker lower-cases a literal name in ARNs; a token is left alone).
    (endpoint,) = [r for r in update["Resource"] if ":endpoint/" in json.dumps(r)]
    assert endpoint["Fn::Join"][1][-2:] == [":endpoint/", {"Ref": "EndpointName"}]
    assert switch.endpoint_name == name


def test_the_stacks_that_also_serve_must_be_other_stacks_without_an_endpoint_of_the_same_group() -> None:
    from cdk_sagemaker_inference import ServedVersionSwitch

    app = new_app()
    switches = {}
    for id, group in (("Endpoint", "MyGroup"), ("Batch", "MyGroup"), ("Other", "OtherGroup"),
                      ("SecondEndpoint", "MyGroup")):
        stack, served, role = _served_stack(app, id, group)
        where = ({"endpoint_name": "inference-endpoint"} if id.endswith("Endpoint")
                 else {"transforms": [_transform_stand_in(stack)]})
        switches[id] = ServedVersionSwitch(stack, "Switch", served_package=served, execution_roles=[role], **where)
    for also, message in (
        ([switches["Endpoint"]], "trigger also must be switches of other stacks, each once, got 'Endpoint'"),
        ([switches["Batch"], switches["Batch"]], "trigger also must be switches of other stacks, each once, "
                                                 "got 'Batch'"),
        ([switches["Other"]], "trigger also must be switches serving model package group 'MyGroup', "
                              "got 'OtherGroup'"),
        ([switches["SecondEndpoint"]], r"trigger also must be switches of stacks without an endpoint \(give "
                                       "transforms, not endpoint_name, to the switch of SecondEndpoint\\), "
                                       "got 'inference-endpoint'"),
    ):
        stack = cdk.Stack(app, f"Registry{len(app.node.children)}")
        with pytest.raises(ValidationError, match=message):
            _deployment(stack, DeploymentTrigger.served_version_switch(switches["Endpoint"], also=also))


def test_the_trigger_switch_must_serve_the_group_and_update_the_endpoint_and_stack_the_construct_names() -> None:
    """A contradiction would make the monitor and the deployer's silent-rollback check compare
    another endpoint with what the switched stack declares; a batch stack's switch as the trigger
    would make each of its updates a silent rollback of the endpoint."""
    from cdk_sagemaker_inference import ServedVersionSwitch

    app = new_app()
    switches = {}
    for id, group, endpoint in (("Matching", "MyGroup", "inference-endpoint"),
                                ("OtherEndpoint", "MyGroup", "my-endpoint"),
                                ("OtherGroup", "OtherGroup", "inference-endpoint"), ("Batch", "MyGroup", None)):
        stack, served, role = _served_stack(app, id, group)
        where = {"endpoint_name": endpoint} if endpoint else {"transforms": [_transform_stand_in(stack)]}
        switches[id] = ServedVersionSwitch(stack, "Switch", served_package=served, execution_roles=[role], **where)
    for i, (switch, props, message) in enumerate((
        ("OtherEndpoint", {}, "Registry0/Approval: endpoint_name must be 'my-endpoint', the endpoint the switch "
                              "updates, got 'inference-endpoint'"),
        ("OtherGroup", {}, "Registry1/Approval: model_package_group must be 'OtherGroup', the group the switch "
                           "serves, got 'MyGroup'"),
        ("Matching", {"endpoint_stack_name": "other-stack"}, "Registry2/Approval: endpoint_stack_name must be "
                                                             "'Matching', the stack the switch updates, got "
                                                             "'other-stack'"),
        ("Batch", {}, "Registry3/Approval: trigger must be the switch of a stack with an endpoint (a switch without "
                      "endpoint_name belongs in also), got 'Batch'"),
    )):
        with pytest.raises(ValidationError) as raised:
            _deployment(cdk.Stack(app, f"Registry{i}"), DeploymentTrigger.served_version_switch(switches[switch]),
                        **props)
        assert str(raised.value) == message
    # What agrees, or is a token (resolved by CloudFormation), passes.
    _deployment(cdk.Stack(app, "Agrees"), DeploymentTrigger.served_version_switch(switches["Matching"]),
                endpoint_stack_name="Matching")
    token_stack, served, role = _served_stack(app, "Token")
    name = cdk.CfnParameter(token_stack, "EndpointName", type="String").value_as_string
    token = ServedVersionSwitch(token_stack, "Switch", served_package=served, execution_roles=[role],
                                endpoint_name=name)
    _deployment(cdk.Stack(app, "TokenRegistry"), DeploymentTrigger.served_version_switch(token))


def test_two_stacks_that_also_serve_are_listed_in_order_separated_by_spaces() -> None:
    from cdk_sagemaker_inference import ServedVersionSwitch

    app = new_app()
    switches = []
    for id in ("Endpoint", "BatchA", "BatchB"):
        stack, served, role = _served_stack(app, id)
        where = ({"endpoint_name": "inference-endpoint"} if id == "Endpoint"
                 else {"transforms": [_transform_stand_in(stack)]})
        switches.append(ServedVersionSwitch(stack, "Switch", served_package=served, execution_roles=[role], **where))
    registry = cdk.Stack(app, "Registry")
    _deployment(registry, DeploymentTrigger.served_version_switch(switches[0], also=switches[1:]))
    functions = Template.from_stack(registry).find_resources("AWS::Lambda::Function")
    (deployer,) = [f for name, f in functions.items() if name.startswith("ApprovalDeployer")]
    variables = deployer["Properties"]["Environment"]["Variables"]
    assert (variables["ALSO_STACK_NAMES"], variables["ALSO_PARAMETER_NAMES"]) == (
        "BatchA BatchB", "ServedModelPackageArn ServedModelPackageArn")
    separator, parts = variables["ALSO_ROLE_ARNS"]["Fn::Join"]
    assert separator == ""
    assert [part["Fn::GetStackOutput"]["StackName"] if isinstance(part, dict) else part for part in parts] == [
        "BatchA", " ", "BatchB"]
    # The monitor splits its list as the deployer does (on whitespace): the same string.
    (monitor,) = [f for name, f in functions.items() if name.startswith("ApprovalMonitor")]
    assert monitor["Properties"]["Environment"]["Variables"]["ALSO_STACK_NAMES"] == "BatchA BatchB"


# --- in a VPC, with a topic of another key, with an imported key ------------------------------------

def vpc_deployment(app: cdk.App) -> cdk.Stack:
    """An approval deployment whose handlers run in a VPC (test_checkov scans it too)."""
    stack = cdk.Stack(app, "VpcApproval")
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2, nat_gateways=0, subnet_configuration=[
        ec2.SubnetConfiguration(name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)])
    # The user's VPC, not this construct's: only what the construct adds is under test.
    acknowledge(vpc, ["AwsSolutions-VPC7", "HIPAA.Security-VPCFlowLogsEnabled", "NIST.800.53.R5-VPCFlowLogsEnabled",
                      "PCI.DSS.321-VPCFlowLogsEnabled", "CKV2_AWS_11"],
                "A test VPC without flow logs; the approval deployment's resources in it are under test.")
    _deployment(stack, vpc=vpc)
    return stack


def test_in_a_vpc_both_roles_may_manage_the_functions_network_interfaces_in_that_vpc_only() -> None:
    app = new_app()
    apply_compliance_gate(app)
    vpc_stack = vpc_deployment(app)
    app.synth()  # the gate: no unacknowledged finding (checkov: test_checkov.py)
    template = Template.from_stack(vpc_stack)
    (vpc,) = template.find_resources("AWS::EC2::VPC")
    for role in ("Deployer", "Monitor"):
        statements = _policy(template, role)
        # On "*" (merged with the deployer's sagemaker:ListModelPackages): no resource type.
        (describe,) = [s for s in statements if "ec2:DescribeSubnets" in s["Action"]]
        assert describe["Resource"] == "*" and "Condition" not in describe
        assert {"ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"} <= set(describe["Action"])
        (manage,) = [s for s in statements if "ec2:CreateNetworkInterface" in s["Action"]]
        assert manage["Action"] == ["ec2:AssignPrivateIpAddresses", "ec2:CreateNetworkInterface",
                                    "ec2:DeleteNetworkInterface", "ec2:UnassignPrivateIpAddresses"]
        assert manage["Resource"] == "*"
        (vpc_arn,) = manage["Condition"]["ArnEquals"].values()
        assert list(manage["Condition"]["ArnEquals"]) == ["ec2:Vpc"]
        assert vpc_arn["Fn::Join"][1][-2:] == [":vpc/", {"Ref": vpc}]
    functions = {k: f for k, f in template.find_resources("AWS::Lambda::Function").items() if k.startswith("Approval")}
    assert len(functions) == 2 and all("VpcConfig" in f["Properties"] for f in functions.values())


def test_the_monitor_may_encrypt_dead_letters_when_the_topic_has_another_key(stack: cdk.Stack) -> None:
    key = kms.Key(stack, "QueueKey", enable_key_rotation=True)
    topic = sns.Topic(stack, "Topic", master_key=kms.Key(stack, "TopicKey", enable_key_rotation=True))
    ApprovalDeployment(stack, "Approval", model_package_group="MyGroup",
                       trigger=DeploymentTrigger.cloudformation_stack("inference-realtime"),
                       topic=topic, key=key, endpoint_name="inference-endpoint")
    template = Template.from_stack(stack)
    queue_key = stack.resolve(stack.get_logical_id(key.node.default_child))  # type: ignore[arg-type]
    (encrypt,) = [s for s in _policy(template, "Monitor") if s["Action"] == ["kms:Decrypt", "kms:GenerateDataKey*"]]
    # One statement with the topic's key (publish) and the queue's (dead letters).
    assert {"Fn::GetAtt": [queue_key, "Arn"]} in encrypt["Resource"] and len(encrypt["Resource"]) == 2
    # The check that fails without it: Lambda sends the dead letters with the monitor's role.
    assert check_wiring({"Stack": template.to_json()}) == []


def test_an_imported_key_warns_that_its_owner_must_allow_the_services(stack: cdk.Stack) -> None:
    ApprovalDeployment(stack, "Approval", model_package_group="MyGroup",
                       trigger=DeploymentTrigger.cloudformation_stack("inference-realtime"),
                       topic=SharedResources(stack, "Shared").notifications_topic,
                       key=kms.Key.from_key_arn(stack, "Imported",
                                                "arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab"),
                       endpoint_name="inference-endpoint")
    warnings = Annotations.from_stack(stack).find_warning("/TestStack/Imported", Match.any_value())
    messages = sorted(w.entry.data for w in warnings)  # type: ignore[attr-defined]
    assert [m.split(" [ack:")[0] for m in messages] == [
        "This key is imported: its owner must allow CloudWatch Logs of this account and region to encrypt log "
        "groups in its key policy, or deliveries encrypted with it fail on a real account.",
        "This key is imported: its owner must allow cloudwatch.amazonaws.com and events.amazonaws.com "
        "kms:Decrypt and kms:GenerateDataKey* in its key policy, or deliveries encrypted with it fail on a real "
        "account.",
    ]
