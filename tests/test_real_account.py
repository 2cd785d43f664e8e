"""Issue 7, "works on a real account": one test (or more) per defect, each failing on the code before it.

moto enforces no resource policies and, by default, no IAM, so these tests read the templates
for what a real account evaluates: topic, queue and key policies, conditions, targets, alarms.
Handler access under the template's own policies is in ``test_handler_access.py``; the wiring
check over every edge in ``test_wiring.py``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Annotations, Match, Template
from cdk_sagemaker_inference import ModelPackageGroup, SharedResources, ValidationError
from cdk_sagemaker_inference.approval import ApprovalDeployment, DeploymentTrigger

from stacks import build_app, cdk_json_context

from .conftest import new_app

CFN_EXEC_ROLE = "arn:aws:iam::123456789012:role/cdk-hnb659fds-cfn-exec-role-123456789012-us-east-1"
ALARMS_OF_THIS_ACCOUNT = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":cloudwatch:", {"Ref": "AWS::Region"},
                                            ":", {"Ref": "AWS::AccountId"}, ":alarm:*"]]}
CLOUDWATCH_MAY_PUBLISH = {
    "Sid": "AllowCloudWatchAlarmsOfThisAccount",
    "Effect": "Allow",
    "Action": "sns:Publish",
    "Principal": {"Service": "cloudwatch.amazonaws.com"},
    "Resource": Match.any_value(),
    "Condition": {"ArnLike": {"aws:SourceArn": ALARMS_OF_THIS_ACCOUNT},
                  "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}},
}


def _deployment(stack: cdk.Stack, topic: sns.ITopic | None = None, **props: Any) -> ApprovalDeployment:
    shared = SharedResources(stack, "Shared")
    return ApprovalDeployment(
        stack, "Approval", model_package_group="MyGroup",
        trigger=DeploymentTrigger.cloudformation_stack("inference-realtime", execution_role_arn=CFN_EXEC_ROLE),
        topic=topic or shared.notifications_topic, key=shared.key, endpoint_name="inference-endpoint", **props,
    )


@pytest.fixture(scope="module")
def approval() -> Template:
    stack = cdk.Stack(new_app(), "TestStack")
    _deployment(stack)
    return Template.from_stack(stack)


# --- 1. Alarms can notify, and somebody is subscribed ------------------------------------------------


def test_1_the_shared_topic_lets_this_accounts_alarms_publish(stack: cdk.Stack) -> None:
    SharedResources(stack, "Shared")
    Template.from_stack(stack).has_resource_properties("AWS::SNS::TopicPolicy", {
        "PolicyDocument": {"Statement": Match.array_with([CLOUDWATCH_MAY_PUBLISH])}})


def test_1_a_topic_handed_to_approval_deployment_lets_alarms_publish_once(stack: cdk.Stack) -> None:
    own = sns.Topic(stack, "OwnTopic", enforce_ssl=True)
    _deployment(stack, topic=own)
    policies = Template.from_stack(stack).find_resources("AWS::SNS::TopicPolicy")
    (own_policy,) = [p for name, p in policies.items() if name.startswith("OwnTopic")]
    statements = own_policy["Properties"]["PolicyDocument"]["Statement"]
    assert [s["Sid"] for s in statements if s.get("Sid") == "AllowCloudWatchAlarmsOfThisAccount"] == [
        "AllowCloudWatchAlarmsOfThisAccount"]


def test_1_an_imported_topic_is_flagged_since_its_owner_must_allow_alarms(stack: cdk.Stack) -> None:
    imported = sns.Topic.from_topic_arn(stack, "Imported", "arn:aws:sns:us-east-1:123456789012:ops")
    _deployment(stack, topic=imported)
    Annotations.from_stack(stack).has_warning(
        "/TestStack/Imported", Match.string_like_regexp("its owner must allow cloudwatch.amazonaws.com sns:Publish"))


def test_1_the_key_lets_alarms_and_eventbridge_encrypt(approval: Template) -> None:
    approval.has_resource_properties("AWS::KMS::Key", {"KeyPolicy": {"Statement": Match.array_with([{
        "Sid": "AllowAlarmsAndEventBridgeToEncrypt",
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Principal": {"Service": ["cloudwatch.amazonaws.com", "events.amazonaws.com"]},
        "Resource": "*",
    }])}})


def test_1_shared_resources_subscribes_email_https_sqs_and_lambda(stack: cdk.Stack) -> None:
    from aws_cdk import aws_lambda as lambda_
    from aws_cdk import aws_sns_subscriptions as subscriptions
    from aws_cdk import aws_sqs as sqs

    queue = sqs.Queue(stack, "Inbox")
    function = lambda_.Function(stack, "Fn", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
                                code=lambda_.Code.from_inline("def handler(e, c): pass"))
    shared = SharedResources(stack, "Shared", subscriptions=[
        subscriptions.EmailSubscription("team@example.com"),
        subscriptions.UrlSubscription("https://example.com/hook")])
    shared.add_subscription(subscriptions.SqsSubscription(queue))
    shared.add_subscription(subscriptions.LambdaSubscription(function))
    protocols = sorted(s["Properties"]["Protocol"]
                       for s in Template.from_stack(stack).find_resources("AWS::SNS::Subscription").values())
    assert protocols == ["email", "https", "lambda", "sqs"]


def test_1_the_reference_app_subscribes_notification_email() -> None:
    app = build_app({**cdk_json_context(), "notification_email": "ops@example.com"})
    shared = Template.from_stack(app.node.find_child("inference-shared"))  # type: ignore[arg-type]
    shared.has_resource_properties("AWS::SNS::Subscription", {"Protocol": "email", "Endpoint": "ops@example.com"})


def test_1_notification_email_is_validated() -> None:
    with pytest.raises(ValidationError, match=r"config: notification_email must be an email address .*got 'ops'"):
        build_app({**cdk_json_context(), "notification_email": "ops"})


# --- 5. A registrant cannot self-approve -------------------------------------------------------------


def test_5_grant_register_allows_create_only_pending_manual_approval(stack: cdk.Stack) -> None:
    group = ModelPackageGroup(stack, "Group", model_package_group_name="churn")
    role = iam.Role(stack, "Registrant", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    group.grant_register(role)
    (policy,) = Template.from_stack(stack).find_resources("AWS::IAM::ManagedPolicy").values()
    (create,) = [s for s in policy["Properties"]["PolicyDocument"]["Statement"]
                 if s["Action"] == "sagemaker:CreateModelPackage"]
    assert create["Condition"] == {"StringEquals": {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}}


# --- 7. EventBridge to SQS cannot drop events --------------------------------------------------------


def test_7_the_approval_rule_target_has_a_dead_letter_queue_retries_and_a_maximum_age(approval: Template) -> None:
    approval.has_resource_properties("AWS::Events::Rule", {
        "EventPattern": Match.object_like({"source": ["aws.sagemaker"]}),
        "Targets": [{
            "Arn": {"Fn::GetAtt": [Match.string_like_regexp("ApprovalQueue"), "Arn"]},
            "Id": "Target0",
            "DeadLetterConfig": {"Arn": {"Fn::GetAtt": [Match.string_like_regexp("ApprovalEventDeadLetterQueue"),
                                                        "Arn"]}},
            "RetryPolicy": {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 86400},
        }],
    })


def test_7_the_approval_queue_admits_only_the_approval_rule(approval: Template) -> None:
    rules = approval.find_resources("AWS::Events::Rule", {
        "Properties": {"EventPattern": Match.object_like({"source": ["aws.sagemaker"]})}})
    (rule,) = rules
    queues = [name for name in approval.find_resources("AWS::SQS::Queue")
              if name.startswith(("ApprovalQueue", "ApprovalEventDeadLetterQueue"))]
    assert len(queues) == 2
    for policy in approval.find_resources("AWS::SQS::QueuePolicy").values():
        if policy["Properties"]["Queues"][0]["Ref"] not in queues:
            continue
        events = [s for s in policy["Properties"]["PolicyDocument"]["Statement"]
                  if s.get("Principal") == {"Service": "events.amazonaws.com"}]
        assert [s["Condition"] for s in events] == [{"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [rule, "Arn"]}}}]


def test_7_every_dead_letter_queue_alarms_on_depth_and_on_age(approval: Template) -> None:
    alarms = approval.find_resources("AWS::CloudWatch::Alarm")
    by_queue: dict[str, set[str]] = {}
    for name, alarm in alarms.items():
        properties = alarm["Properties"]
        if name.startswith("ApprovalSilentRollbackAlarm"):  # not a queue's (issue 7 item 8)
            continue
        (dimension,) = properties["Dimensions"]
        by_queue.setdefault(dimension["Value"]["Fn::GetAtt"][0][:-8], set()).add(properties["MetricName"])
        assert properties["AlarmActions"][0]["Ref"].startswith("SharedNotifications")
        if properties["MetricName"] == "ApproximateAgeOfOldestMessage":
            assert properties["Threshold"] == 864000  # 10 days of the 14 a message is kept
    assert by_queue == {queue: {"ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"}
                        for queue in ("ApprovalDeadLetterQueue", "ApprovalEventDeadLetterQueue",
                                      "ApprovalMonitorDeadLetterQueue")}


@pytest.mark.parametrize(("props", "message"), [
    ({"event_retry_attempts": 186}, r"event_retry_attempts must be between 0 and 185, got 186"),
    ({"event_max_age": cdk.Duration.hours(25)}, r"event_max_age \(seconds\) must be between 60 and 86400, got 90000"),
])
def test_7_event_delivery_limits_are_validated(stack: cdk.Stack, props: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _deployment(stack, **props)


# --- 2. The approval-triggered UpdateStack can resolve the SSM-typed parameters -----------------------


def _switch_stacks(qualifier: str | None = None) -> tuple[cdk.Stack, cdk.Stack, Any]:
    from aws_cdk import aws_kms as kms
    from cdk_sagemaker_inference import ServedModelPackage, ServedVersionSwitch

    app = new_app()
    synthesizer = cdk.DefaultStackSynthesizer(qualifier=qualifier) if qualifier else None
    endpoint_stack = cdk.Stack(app, "EndpointStack", synthesizer=synthesizer)
    group = ModelPackageGroup.from_model_package_group_name(endpoint_stack, "Group", "MyGroup")
    served = ServedModelPackage(endpoint_stack, "Served", group=group)
    model_role = iam.Role(endpoint_stack, "ModelRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    switch = ServedVersionSwitch(endpoint_stack, "Switch", served_package=served, execution_roles=[model_role],
                                 endpoint_name="My-Endpoint", keys=[kms.Key(endpoint_stack, "Key")])
    registry_stack = cdk.Stack(app, "RegistryStack")
    shared = SharedResources(registry_stack, "Shared")
    ApprovalDeployment(registry_stack, "Approval", model_package_group="MyGroup",
                       trigger=DeploymentTrigger.served_version_switch(switch), topic=shared.notifications_topic,
                       key=shared.key, endpoint_name="My-Endpoint")
    return endpoint_stack, registry_stack, switch


def _statements(stack: cdk.Stack, prefix: str) -> list[dict[str, Any]]:
    policies = Template.from_stack(stack).find_resources("AWS::IAM::ManagedPolicy")
    (policy,) = [p for name, p in policies.items() if name.startswith(prefix)]
    statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _ssm_resource(qualifier: str) -> dict[str, Any]:
    return {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":ssm:", {"Ref": "AWS::Region"}, ":",
                              {"Ref": "AWS::AccountId"}, f":parameter/cdk-bootstrap/{qualifier}/version"]]}


@pytest.mark.parametrize("qualifier", [None, "custom123"])
def test_2_the_deployer_may_read_exactly_the_ssm_typed_parameters_of_the_endpoint_stack(qualifier: str | None) -> None:
    endpoint_stack, registry_stack, _ = _switch_stacks(qualifier)
    expected = _ssm_resource(qualifier or "hnb659fds")
    for stack, prefix in ((registry_stack, "ApprovalDeployerRolePolicy"), (endpoint_stack, "SwitchRolePolicy")):
        (ssm,) = [s for s in _statements(stack, prefix) if "ssm:GetParameters" in s["Action"]]
        assert ssm == {"Action": ["ssm:GetParameter", "ssm:GetParameters"], "Effect": "Allow", "Resource": expected}
    bootstrap = Template.from_stack(endpoint_stack).to_json()["Parameters"]["BootstrapVersion"]
    assert bootstrap["Default"] == f"/cdk-bootstrap/{qualifier or 'hnb659fds'}/version"


# --- 3. The deployer is not an administrator --------------------------------------------------------


def test_3_the_switch_role_may_do_only_what_a_switch_does() -> None:
    endpoint_stack, _, _ = _switch_stacks()
    actions = sorted(a for s in _statements(endpoint_stack, "SwitchRolePolicy")
                     for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"]))
    assert actions == sorted([
        "sagemaker:AddTags", "sagemaker:CreateEndpointConfig", "sagemaker:CreateModel",
        "sagemaker:DeleteEndpointConfig", "sagemaker:DeleteModel", "sagemaker:DescribeEndpointConfig",
        "sagemaker:DescribeModel", "sagemaker:ListTags",
        "sagemaker:AddTags", "sagemaker:DescribeEndpoint", "sagemaker:ListTags", "sagemaker:UpdateEndpoint",
        "sagemaker:DescribeModelPackage", "iam:PassRole", "kms:CreateGrant", "kms:DescribeKey",
        "ssm:GetParameter", "ssm:GetParameters", "cloudformation:DescribeStacks"])
    (describe,) = [s for s in _statements(endpoint_stack, "SwitchRolePolicy")
                   if s["Action"] == "cloudformation:DescribeStacks"]
    # The endpoint stack reads no other stack's outputs: it may describe itself only.
    assert describe["Resource"]["Fn::Join"][1][-1] == ":stack/EndpointStack/*"
    (pass_role,) = [s for s in _statements(endpoint_stack, "SwitchRolePolicy") if s["Action"] == "iam:PassRole"]
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    assert pass_role["Resource"]["Fn::GetAtt"][0].startswith("ModelRole")
    (endpoint,) = [s for s in _statements(endpoint_stack, "SwitchRolePolicy")
                   if "sagemaker:UpdateEndpoint" in s["Action"]]
    assert sorted(r["Fn::Join"][1][-1] for r in endpoint["Resource"]) == [":endpoint-config/*", ":endpoint/my-endpoint"]
    Template.from_stack(endpoint_stack).has_resource_properties("AWS::IAM::Role", {
        "AssumeRolePolicyDocument": {"Statement": [{
            "Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "cloudformation.amazonaws.com"},
            "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}}]}})


def test_3_the_deployer_may_update_the_stack_only_with_the_switch_role_and_pass_only_it() -> None:
    _, registry_stack, _ = _switch_stacks()
    statements = _statements(registry_stack, "ApprovalDeployerRolePolicy")
    (update,) = [s for s in statements if s["Action"] == "cloudformation:UpdateStack"]
    (pass_role,) = [s for s in statements if s["Action"] == "iam:PassRole"]
    switch_role = update["Condition"]["StringEquals"]["cloudformation:RoleArn"]
    assert switch_role["Fn::GetStackOutput"]["StackName"] == "EndpointStack"
    assert "SwitchRole" in switch_role["Fn::GetStackOutput"]["OutputName"]
    assert pass_role == {"Action": "iam:PassRole", "Effect": "Allow", "Resource": switch_role,
                         "Condition": {"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}}}
    (deployer,) = [f for name, f in Template.from_stack(registry_stack).find_resources("AWS::Lambda::Function").items()
                   if name.startswith("ApprovalDeployer")]
    assert deployer["Properties"]["Environment"]["Variables"]["ROLE_ARN"] == switch_role


def test_3_the_reference_app_never_passes_the_bootstrap_cfn_exec_role(reference_app: cdk.App) -> None:
    for stack in ("inference-registry", "inference-realtime"):
        text = json.dumps(reference_app.synth().get_stack_by_name(stack).template)
        assert "cfn-exec-role" not in text


# --- 4. No reserved concurrency: a FIFO queue with one message group serializes deployments ----------


def test_4_no_function_reserves_concurrency(reference_app: cdk.App) -> None:
    for stack in reference_app.synth().stacks:
        for function in Template.from_json(stack.template).find_resources("AWS::Lambda::Function").values():
            assert "ReservedConcurrentExecutions" not in function["Properties"]


def test_4_the_approval_queue_is_fifo_with_one_message_group(approval: Template) -> None:
    queues = approval.find_resources("AWS::SQS::Queue")
    fifo = sorted(name[:-8] for name, q in queues.items() if q["Properties"].get("FifoQueue"))
    assert fifo == ["ApprovalDeadLetterQueue", "ApprovalQueue"]
    for name in queues:
        if name.startswith(("ApprovalQueue", "ApprovalDeadLetterQueue")):
            assert queues[name]["Properties"]["ContentBasedDeduplication"] is True
    approval.has_resource_properties("AWS::Events::Rule", {
        "Targets": [Match.object_like({"SqsParameters": {"MessageGroupId": "MyGroup"}})]})


@pytest.fixture
def world() -> Iterator[Any]:
    from moto import mock_aws

    from . import test_approval_handler as approval_handler

    with mock_aws():
        yield approval_handler.World()


def test_3_the_deployer_names_the_switch_role_in_every_update(world: Any) -> None:
    from cdk_sagemaker_inference.handlers.approval_deployer import index

    from . import test_approval_handler as approval_handler

    recording = approval_handler.RecordingCloudFormation(world)
    shell = index.Shell(index.Settings.from_environment(world.environment),
                        index.StackParameterDeployer(recording, approval_handler.STACK, "ServedModelPackageArn",
                                                     "arn:aws:iam::123456789012:role/switch"),
                        sagemaker=world.sagemaker, sns=world.sns, sqs=world.sqs)
    shell.handle({"Records": [world.record(approval_handler.event(world.version()))]})
    assert [call["RoleARN"] for call in recording.calls] == ["arn:aws:iam::123456789012:role/switch"]


def test_4_after_a_failed_message_the_rest_of_the_batch_waits_its_turn(world: Any) -> None:
    from . import test_approval_handler as approval_handler

    v1 = world.version()
    world.cloudformation.delete_stack(StackName=approval_handler.STACK)  # the first attempt fails
    first, second = world.record(approval_handler.event(v1)), world.record(approval_handler.event(v1))
    assert world.handle(first, second) == [first["messageId"], second["messageId"]]
    assert world.notifications() == []  # the second was not processed


def test_4_a_bad_event_goes_to_the_fifo_dead_letter_queue_in_the_groups_order(world: Any) -> None:
    fifo = world.sqs.create_queue(QueueName="approvals-dlq.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    world.environment["DEAD_LETTER_QUEUE_URL"] = fifo
    record = world.record("not json")
    assert world.handle(record) == []
    (dead,) = world.sqs.receive_message(QueueUrl=fifo, AttributeNames=["All"])["Messages"]
    assert dead["Attributes"]["MessageGroupId"] == "MyGroup"
    assert dead["Attributes"]["MessageDeduplicationId"] == record["messageId"]


# --- 10. A canary that cannot run is refused; the reference defaults deploy ---------------------------


@pytest.mark.parametrize(("routing", "count", "min_capacity", "ok"), [
    ("canary", 1, None, False),   # 10% of one instance rounds up to the whole fleet
    ("canary", 2, None, True),
    ("canary", 2, 1, False),      # autoscaling may shrink the fleet to one before an update
    ("canary", 3, 3, True),
    ("linear", 1, None, False),
    ("linear", 4, None, True),
])
def test_10_a_canary_or_linear_step_must_be_at_most_half_the_fleet(
        stack: cdk.Stack, routing: str, count: int, min_capacity: int | None, ok: bool) -> None:
    from cdk_sagemaker_inference import (
        BlueGreenDeployment,
        InstanceType,
        InstanceVariant,
        RealtimeEndpoint,
        TrafficRouting,
        VariantAutoScaling,
    )

    from .conftest import build_model as model

    traffic = TrafficRouting.canary(percent=10) if routing == "canary" else TrafficRouting.linear(percent=20)
    scaling = (VariantAutoScaling(min_capacity=min_capacity, max_capacity=4, target_invocations_per_instance=100)
               if min_capacity else None)

    def build() -> None:
        RealtimeEndpoint(stack, "Endpoint", variants=[InstanceVariant(
            model=model(stack), instance_type=InstanceType.M5_LARGE, initial_instance_count=count,
            auto_scaling=scaling)], deployment=BlueGreenDeployment(traffic_routing=traffic))

    if ok:
        build()
    else:
        with pytest.raises(ValidationError, match=rf"deployment.traffic_routing.percent \({routing.upper()}\) must be "
                                                  r"at most half of variant AllTraffic's fleet"):
            build()


def test_10_the_reference_defaults_give_the_canary_two_instances(reference_app: cdk.App) -> None:
    template = Template.from_json(reference_app.synth().get_stack_by_name("inference-realtime").template)
    template.has_resource_properties("AWS::SageMaker::EndpointConfig", {
        "ProductionVariants": [Match.object_like({"InitialInstanceCount": 2})]})
    template.has_resource_properties("AWS::ApplicationAutoScaling::ScalableTarget", {"MinCapacity": 2})


def test_10_a_one_instance_reference_endpoint_is_refused_at_synth() -> None:
    with pytest.raises(ValidationError, match=r"at most half of variant AllTraffic's fleet of 1 instance"):
        build_app({**cdk_json_context(), "endpoint_initial_instance_count": 1, "endpoint_min_capacity": 1})


# --- 6. Stack order -------------------------------------------------------------------------------------


def test_6_the_registry_stack_deploys_after_the_stack_that_publishes_its_artifacts(reference_app: cdk.App) -> None:
    registry = reference_app.node.find_child("inference-registry")
    assert "inference-realtime" in [s.stack_name for s in registry.dependencies]  # type: ignore[attr-defined]


# --- 9. Retention ------------------------------------------------------------------------------------


def test_9_retained_buckets_keep_their_tls_only_policies(stack: cdk.Stack) -> None:
    SharedResources(stack, "Shared")
    policies = Template.from_stack(stack).find_resources("AWS::S3::BucketPolicy")
    assert len(policies) == 2
    assert {(p.get("DeletionPolicy"), p.get("UpdateReplacePolicy")) for p in policies.values()} == {
        ("Retain", "Retain")}


def test_9_a_redeploy_imports_the_retained_group_by_name() -> None:
    app = build_app({**cdk_json_context(), "registry_group_exists": True})
    registry = Template.from_stack(app.node.find_child("inference-registry"))  # type: ignore[arg-type]
    assert registry.find_resources("AWS::SageMaker::ModelPackageGroup") == {}
    registry.has_resource_properties("AWS::SageMaker::ModelPackage", {
        "ModelPackageGroupName": "inference-breast-cancer"})
    registry.has_resource_properties("AWS::Events::Rule", {"EventPattern": Match.object_like({
        "detail": Match.object_like({"ModelPackageGroupName": ["inference-breast-cancer"]})})})


# --- 12. Elastic Inference, honestly -------------------------------------------------------------------


def test_12_no_document_claims_cloudformation_or_sagemaker_still_accept_accelerator_type() -> None:
    from .conftest import REPO

    texts = {path: path.read_text() for path in [
        REPO / "README.md", REPO / ".cfnlintrc.yaml", *REPO.glob("constructs/cdk_sagemaker_inference/*.py"),
        *REPO.glob("stacks/*.py")]}
    for path, text in texts.items():
        flat = " ".join(text.split())
        for claim in ("still accept", "still in the SageMaker API", "is still in the resource"):
            assert claim not in flat, f"{path.name}: {claim!r}"
    readme = " ".join(texts[REPO / "README.md"].split())
    assert ("**What deploys today:** nothing with `AcceleratorType` in an account that never used Elastic "
            "Inference.") in readme
    assert "documents it as no longer supported" in " ".join(texts[REPO / ".cfnlintrc.yaml"].split())


# --- 11. Endpoint logs: declared, encrypted, expiring ----------------------------------------------------


def _realtime(stack: cdk.Stack) -> Any:
    from cdk_sagemaker_inference import InstanceType, InstanceVariant, RealtimeEndpoint

    from .conftest import build_model

    return RealtimeEndpoint(stack, "Realtime", endpoint_name="my-endpoint", variants=[InstanceVariant(
        model=build_model(stack), instance_type=InstanceType.of("ml.m5.large"))])


def _endpoint_logs(stack: cdk.Stack) -> tuple[Template, Any]:
    endpoint = _realtime(stack)
    return Template.from_stack(stack), endpoint


def test_11_the_endpoint_declares_its_log_group_encrypted_with_the_configs_key_for_a_year(stack: cdk.Stack) -> None:
    template, endpoint = _endpoint_logs(stack)
    key = stack.get_logical_id(endpoint.encryption_key.node.default_child)
    (name,) = template.find_resources("AWS::Logs::LogGroup")
    template.has_resource("AWS::Logs::LogGroup", {
        "Properties": {"LogGroupName": "/aws/sagemaker/Endpoints/my-endpoint", "RetentionInDays": 365,
                       "KmsKeyId": {"Fn::GetAtt": [key, "Arn"]}},
        "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})
    (endpoint_resource,) = template.find_resources("AWS::SageMaker::Endpoint").values()
    assert name in endpoint_resource["DependsOn"]
    assert endpoint.endpoint.log_encryption_key is endpoint.encryption_key


def test_11_the_key_lets_cloudwatch_logs_of_this_region_encrypt_log_groups(stack: cdk.Stack) -> None:
    template, _ = _endpoint_logs(stack)
    (key,) = template.find_resources("AWS::KMS::Key").values()
    logs_statement = {
        "Effect": "Allow",
        "Action": ["kms:Decrypt*", "kms:Describe*", "kms:Encrypt*", "kms:GenerateDataKey*", "kms:ReEncrypt*"],
        "Principal": {"Service": {"Fn::Join": ["", ["logs.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}},
        "Resource": "*",
        "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": {"Fn::Join": ["", [
            "arn:", {"Ref": "AWS::Partition"}, ":logs:", {"Ref": "AWS::Region"}, ":", {"Ref": "AWS::AccountId"},
            ":log-group:*"]]}}},
    }
    assert logs_statement in key["Properties"]["KeyPolicy"]["Statement"]


def test_11_the_log_retention_is_a_prop(stack: cdk.Stack) -> None:
    from aws_cdk import aws_logs as logs
    from cdk_sagemaker_inference import Endpoint

    endpoint = _realtime(stack)
    Endpoint(stack, "Plain", endpoint_config=endpoint.endpoint_config, endpoint_name="plain",
             log_retention=logs.RetentionDays.TWO_YEARS, deployment=None)
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::Logs::LogGroup", {
        "LogGroupName": "/aws/sagemaker/Endpoints/plain", "RetentionInDays": 731,
        "KmsKeyId": {"Fn::GetAtt": [Match.string_like_regexp("^PlainLogsKey"), "Arn"]}})


# --- 8. Approval handler decisions ----------------------------------------------------------------------


def test_8_a_rejection_the_listing_does_not_show_yet_is_retried_not_taken_as_already_served(
        world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from cdk_sagemaker_inference.handlers.approval_deployer import index

    from . import test_approval_handler as approval_handler

    v1, v2 = world.version(), world.version()
    world.handle(world.record(approval_handler.event(v2)))
    world.set_status(v2, "Rejected")
    # Stub: moto's listing is always consistent; this one still lists the rejected v2 as Approved.
    monkeypatch.setattr(index, "approved_newest_first", lambda sagemaker, group: [v2, v1])
    record = world.record(approval_handler.event(v2, "Rejected"))
    assert world.handle(record) == [record["messageId"]]
    assert [n["outcome"] for n in world.notifications()] == ["deploy"]  # no "already-served"
    monkeypatch.undo()
    assert world.handle(world.record(approval_handler.event(v2, "Rejected"))) == []
    assert world.parameters()["ServedModelPackageArn"] == v1


@pytest.mark.parametrize("arn", [
    "arn:aws:sagemaker:us-east-1:999999999999:model-package/mygroup/1",   # another account
    "arn:aws:sagemaker:eu-west-1:123456789012:model-package/mygroup/1",   # another region
    "arn:aws-cn:sagemaker:us-east-1:123456789012:model-package/mygroup/1",  # another partition
])
def test_8_an_event_of_another_account_region_or_partition_is_dead_lettered_at_once(world: Any, arn: str) -> None:
    from . import test_approval_handler as approval_handler

    world.environment["MODEL_PACKAGE_ARN_PREFIX"] = "arn:aws:sagemaker:us-east-1:123456789012:model-package/"
    for status in ("Approved", "Rejected", "PendingManualApproval"):
        record = world.record(approval_handler.event(arn, status))
        assert world.handle(record) == []  # not retried
    reasons = [m["MessageAttributes"]["RejectReason"]["StringValue"] for m in world.dead_letters()]
    assert len(reasons) == 3 and all("must be in this account, region and partition" in r for r in reasons)


def test_8_the_deployer_knows_its_arn_prefix_and_ships_the_names_rule(approval: Template) -> None:
    (deployer,) = [f for name, f in approval.find_resources("AWS::Lambda::Function").items()
                   if name.startswith("ApprovalDeployer")]
    prefix = deployer["Properties"]["Environment"]["Variables"]["MODEL_PACKAGE_ARN_PREFIX"]
    assert prefix["Fn::Join"][1][-1] == ":model-package/"


def test_8_the_deployer_asset_carries_the_names_module(reference_app: cdk.App) -> None:

    assembly = Path(reference_app.outdir)
    handlers = [p.parent for p in assembly.glob("asset.*/index.py") if "approval changes" in p.read_text()
                or "Serves the newest Approved version" in p.read_text()]
    assert handlers and all((h / "_names.py").is_file() for h in handlers)


def test_8_both_handler_assets_carry_the_one_silent_rollback_check(reference_app: cdk.App) -> None:
    """The deployer and the monitor decide "rolled back silently" with the same module."""

    from cdk_sagemaker_inference import _endpoint_state

    assembly = Path(reference_app.outdir)
    handlers = [p.parent for p in assembly.glob("asset.*/index.py") if "_endpoint_state" in p.read_text()]
    assert len(handlers) == 2
    for handler in handlers:
        assert (handler / "_endpoint_state.py").read_text() == Path(_endpoint_state.__file__).read_text()


@pytest.mark.parametrize(("group", "forms"), [
    ("churn", ["churn"]),
    ("Churn", ["Churn", "churn"]),
    ("Churn-Model-V2", ["Churn-Model-V2", "churn-model-v2"]),
])
def test_8_one_rule_for_a_group_names_case_in_arns_everywhere(stack: cdk.Stack, group: str, forms: list[str]) -> None:
    """Every place that writes or reads a version ARN of a mixed-case group uses ``arn_name_forms``."""
    from cdk_sagemaker_inference._names import arn_name_forms
    from cdk_sagemaker_inference.handlers.approval_deployer import index

    assert arn_name_forms(group) == forms
    arn = "arn:aws:sagemaker:us-east-1:123456789012:model-package/{}/3"
    # the handler accepts every form and nothing else
    for form in forms:
        body = json.dumps({"source": "aws.sagemaker", "detail-type": "SageMaker Model Package State Change",
                           "detail": {"ModelPackageGroupName": group, "ModelPackageArn": arn.format(form),
                                      "ModelApprovalStatus": "Approved"}})
        assert index.parse_event(body, group).model_package_arn == arn.format(form)
    with pytest.raises(index.BadEvent):
        index.parse_event(json.dumps({"source": "aws.sagemaker", "detail-type": "SageMaker Model Package State Change",
                                      "detail": {"ModelPackageGroupName": group, "ModelApprovalStatus": "Approved",
                                                 "ModelPackageArn": arn.format(group.upper() + "X")}}), group)
    # the registry's grants, the deployer's, the switch's, and the served version's allowed pattern
    registry_group = ModelPackageGroup(stack, "Group", model_package_group_name=group)
    reader = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    registry_group.grant_read(reader)
    from cdk_sagemaker_inference import ServedModelPackage

    served = ServedModelPackage(stack, "Served", group=registry_group)
    template = Template.from_stack(stack).to_json()
    text = json.dumps(template)
    for form in forms:
        assert f":model-package/{form}/*" in text
    pattern = template["Parameters"]["ServedModelPackageArn"]["AllowedPattern"]
    assert f"model-package/({'|'.join(forms)})/" in pattern
    # the registry client writes the version ARN in the lowercased form
    assert served.group.model_package_group_name == group
    assert arn_name_forms(group)[-1] == group.lower()


# --- cfn-lint across regions: the app accepts only regions where every resource type exists -------------


def test_the_accepted_regions_are_exactly_those_where_every_resource_type_exists(
    reference_app: cdk.App, tmp_path: Path
) -> None:
    import re
    import subprocess
    import sys

    from cfnlint.helpers import REGIONS

    from stacks.config import supported_regions

    from .conftest import REPO
    from .test_pipeline import PIPELINE_CONTEXT

    # Every resource the apps declare is a CfnResource of their trees once built (the pipeline builds
    # its CodePipeline in its stack's constructor): no synth needed.
    types: set[str] = set()
    for context in ({"include_shared_accelerator": True, "include_elastic_inference": True}, PIPELINE_CONTEXT):
        app = build_app({**cdk_json_context(), **context})
        types.update(c.cfn_resource_type for c in app.node.find_all() if isinstance(c, cdk.CfnResource))
    # E3006 depends on the type alone, so one template with one resource of each type the app can
    # declare finds the same regions as linting every template for every region, in a third of the time.
    every_type = tmp_path / "every-type.template.json"
    every_type.write_text(json.dumps({"Resources": {f"R{i}": {"Type": t} for i, t in enumerate(sorted(types))}}))
    result = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), "--config-file",
                             str(REPO / ".cfnlintrc.yaml"), "--format", "parseable", "--regions", "ALL_REGIONS",
                             "--", str(every_type)], capture_output=True, text=True, check=False)
    missing = set(re.findall(r"E3006:Resource type '[^']+' does not exist in '([a-z0-9-]+)'", result.stdout))
    assert missing  # the check would mean nothing if every region had every type
    assert sorted(supported_regions()) == sorted(set(REGIONS) - missing)


@pytest.mark.parametrize("region", ["me-central-1", "cn-north-1", "us-gov-east-1"])
def test_the_config_refuses_a_region_that_lacks_a_resource_type(region: str) -> None:
    with pytest.raises(ValidationError, match=rf"config: region must be a region where every resource type of the "
                                              rf"app exists .*got '{region}'"):
        build_app({**cdk_json_context(), "region": region})
