"""RealtimeEndpoint: variants, KMS, data capture, autoscaling, guardrails, grants, metrics, compliance."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template
from cdk_sagemaker_inference import (
    BlueGreenDeployment,
    DataCapture,
    InstanceType,
    InstanceVariant,
    RealtimeEndpoint,
    ServerlessVariant,
    SharedResources,
    TrafficRouting,
    ValidationError,
    VariantAutoScaling,
    apply_compliance_gate,
)
from constructs import Construct

from tests.conftest import build_model, describe_alarms, managed_policy, new_app

SECONDS = cdk.Duration.seconds


class FakeModel(Construct):
    """An IModel whose attributes a test sets: a pipeline, a model in a VPC."""

    def __init__(self, scope: Construct, id: str, *, container_count: int = 1, in_vpc: bool = False) -> None:
        super().__init__(scope, id)
        self.model_name = "fake-model"
        self.role: iam.IRole | None = None
        self.elastic_inference_capable = False
        self.container_count = container_count
        self.network_isolation = False
        self.in_vpc = in_vpc


def capture_bucket(stack: cdk.Stack) -> s3.Bucket:
    key = kms.Key(stack, "CaptureKey", enable_key_rotation=True)
    return s3.Bucket(stack, "Capture", encryption=s3.BucketEncryption.KMS, encryption_key=key)


def resources(template: Template, type_: str) -> list[dict[str, Any]]:
    return list(template.find_resources(type_).values())


# -- the full-featured endpoint, built once ---------------------------------------------------------


@pytest.fixture(scope="module")
def full() -> tuple[Template, RealtimeEndpoint, cdk.Stack]:
    stack = cdk.Stack(new_app(), "Full")
    bucket = capture_bucket(stack)
    endpoint = RealtimeEndpoint(
        stack,
        "Endpoint",
        variants=[
            InstanceVariant(
                model=build_model(stack, "Blue"),
                variant_name="Blue",
                instance_type=InstanceType.C5_XLARGE,
                initial_instance_count=2,
                initial_weight=3,
                volume_size_gb=30,
                model_data_download_timeout=SECONDS(600),
                container_startup_health_check_timeout=SECONDS(300),
                auto_scaling=VariantAutoScaling(
                    min_capacity=2,
                    max_capacity=6,
                    target_invocations_per_instance=750,
                    scale_in_cooldown=cdk.Duration.minutes(10),
                    scale_out_cooldown=SECONDS(30),
                ),
            ),
            InstanceVariant(model=build_model(stack, "Green"), variant_name="Green", initial_weight=1,
                            initial_instance_count=2),  # a 20% canary needs two instances
        ],
        data_capture=DataCapture(
            bucket=bucket,
            prefix="capture/fraud",
            sampling_percentage=25,
            capture_output=False,
            csv_content_types=["text/csv"],
            json_content_types=["application/json"],
        ),
        deployment=BlueGreenDeployment(
            traffic_routing=TrafficRouting.canary(percent=20, wait_interval=SECONDS(300)),
            maximum_execution_timeout=SECONDS(3600),
            termination_wait=SECONDS(120),
        ),
    )
    caller = iam.Role(stack, "Caller", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    endpoint.grant_invoke(caller)
    return Template.from_stack(stack), endpoint, stack


def test_instance_variants_render_every_prop(full: tuple[Template, RealtimeEndpoint, cdk.Stack]) -> None:
    template, _, _ = full
    template.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {
            "ProductionVariants": [
                {
                    "VariantName": "Blue",
                    "ModelName": {"Fn::GetAtt": [Match.string_like_regexp("^Blue"), "ModelName"]},
                    "InstanceType": "ml.c5.xlarge",
                    "InitialInstanceCount": 2,
                    "InitialVariantWeight": 3,
                    "VolumeSizeInGB": 30,
                    "ModelDataDownloadTimeoutInSeconds": 600,
                    "ContainerStartupHealthCheckTimeoutInSeconds": 300,
                },
                {
                    "VariantName": "Green",
                    "ModelName": {"Fn::GetAtt": [Match.string_like_regexp("^Green"), "ModelName"]},
                    "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": 2,
                    "InitialVariantWeight": 1,
                },
            ],
        },
    )


def test_endpoint_config_keeps_a_generated_name_and_endpoint_gets_a_fixed_one(
    full: tuple[Template, RealtimeEndpoint, cdk.Stack],
) -> None:
    template, endpoint, _ = full
    (config,) = resources(template, "AWS::SageMaker::EndpointConfig")
    assert "EndpointConfigName" not in config["Properties"]
    assert re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", endpoint.endpoint_name)
    template.has_resource_properties(
        "AWS::SageMaker::Endpoint",
        {
            "EndpointName": endpoint.endpoint_name,
            "EndpointConfigName": {
                "Fn::GetAtt": [Match.string_like_regexp("EndpointConfig"), "EndpointConfigName"]
            },
        },
    )
    template.has_output("*", {"Value": endpoint.endpoint_name})


def test_the_endpoint_name_is_the_same_in_every_build() -> None:
    names = []
    for _ in range(2):
        stack = cdk.Stack(new_app(), "Same")
        names.append(
            RealtimeEndpoint(stack, "Endpoint", variants=[InstanceVariant(model=build_model(stack))]).endpoint_name
        )
    assert names[0] == names[1]


def test_a_customer_managed_key_with_rotation_encrypts_the_storage(
    full: tuple[Template, RealtimeEndpoint, cdk.Stack],
) -> None:
    template, endpoint, stack = full
    assert endpoint.encryption_key is not None
    key_id = stack.get_logical_id(endpoint.encryption_key.node.default_child)  # type: ignore[arg-type]
    template.has_resource_properties(
        "AWS::KMS::Key", {"EnableKeyRotation": True, "Description": Match.any_value()}
    )
    template.has_resource_properties(
        "AWS::SageMaker::EndpointConfig", {"KmsKeyId": {"Fn::GetAtt": [key_id, "Arn"]}}
    )


def test_a_given_key_is_used_and_none_is_created(stack: cdk.Stack) -> None:
    key = kms.Key(stack, "Given", enable_key_rotation=True)
    RealtimeEndpoint(stack, "Endpoint", variants=[InstanceVariant(model=build_model(stack))], encryption_key=key)
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::KMS::Key", 1)
    template.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {"KmsKeyId": {"Fn::GetAtt": [stack.get_logical_id(key.node.default_child), "Arn"]}},  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("name", ["ml.c5d.xlarge", "ml.g5.xlarge", "ml.p4d.24xlarge"])
def test_local_nvme_types_get_no_kms_key_and_a_warning(stack: cdk.Stack, name: str) -> None:
    endpoint = RealtimeEndpoint(
        stack, "Endpoint", variants=[InstanceVariant(model=build_model(stack), instance_type=InstanceType.of(name))]
    )
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::SageMaker::EndpointConfig", {"KmsKeyId": Match.absent()})
    # The only key is the one of the endpoint's log group: storage takes none.
    template.resource_count_is("AWS::KMS::Key", 1)
    assert endpoint.encryption_key is None
    assert endpoint.endpoint.log_encryption_key.node.path == "TestStack/Endpoint/Endpoint/LogsKey"
    warnings = Annotations.from_stack(stack).find_warning(
        "/TestStack/Endpoint/EndpointConfig", Match.string_like_regexp("local NVMe instance storage")
    )
    assert len(warnings) == 1 and name in str(warnings[0].entry.data)


def test_data_capture_renders_and_grants_put_on_the_prefix_only(
    full: tuple[Template, RealtimeEndpoint, cdk.Stack],
) -> None:
    template, _, stack = full
    bucket = stack.node.find_child("Capture")
    bucket_id = stack.get_logical_id(bucket.node.default_child)  # type: ignore[arg-type]
    key_id = stack.get_logical_id(stack.node.find_child("CaptureKey").node.default_child)  # type: ignore[arg-type]
    template.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {
            "DataCaptureConfig": {
                "EnableCapture": True,
                "InitialSamplingPercentage": 25,
                "DestinationS3Uri": {"Fn::Join": ["", ["s3://", {"Ref": bucket_id}, "/capture/fraud"]]},
                "CaptureOptions": [{"CaptureMode": "Input"}],
                "KmsKeyId": {"Fn::GetAtt": [key_id, "Arn"]},
                "CaptureContentTypeHeader": {
                    "CsvContentTypes": ["text/csv"],
                    "JsonContentTypes": ["application/json"],
                },
            }
        },
    )
    template.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "PolicyDocument": {
                "Statement": [
                    {
                        "Action": "s3:PutObject",
                        "Effect": "Allow",
                        "Resource": {
                            "Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/capture/fraud/*"]]
                        },
                    },
                    {
                        "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
                        "Effect": "Allow",
                        "Resource": {"Fn::GetAtt": [key_id, "Arn"]},
                    },
                ],
                "Version": "2012-10-17",
            },
            "Roles": [
                {"Ref": Match.string_like_regexp("^BlueRole")},
                {"Ref": Match.string_like_regexp("^GreenRole")},
            ],
        },
    )
    # The config (so the endpoint, which runs it) is created after the grant: SageMaker captures at once.
    (config,) = resources(template, "AWS::SageMaker::EndpointConfig")
    assert any("DataCapturePolicy" in dependency for dependency in config["DependsOn"])


def test_autoscaling_registers_the_variant_and_tracks_invocations_per_instance(
    full: tuple[Template, RealtimeEndpoint, cdk.Stack],
) -> None:
    template, endpoint, _ = full
    template.resource_count_is("AWS::ApplicationAutoScaling::ScalableTarget", 1)
    template.has_resource(
        "AWS::ApplicationAutoScaling::ScalableTarget",
        {
            "Properties": {
                "ServiceNamespace": "sagemaker",
                "ResourceId": f"endpoint/{endpoint.endpoint_name}/variant/Blue",
                "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
                "MinCapacity": 2,
                "MaxCapacity": 6,
                "RoleARN": {
                    "Fn::Join": [
                        "",
                        [
                            "arn:",
                            {"Ref": "AWS::Partition"},
                            ":iam::",
                            {"Ref": "AWS::AccountId"},
                            ":role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
                            "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
                        ],
                    ]
                },
            },
            "DependsOn": [Match.string_like_regexp("^Endpoint")],
        },
    )
    template.has_resource_properties(
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        {
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": {
                "PredefinedMetricSpecification": {
                    "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
                },
                "TargetValue": 750,
                "ScaleInCooldown": 600,
                "ScaleOutCooldown": 30,
            },
        },
    )
    assert list(endpoint.scalable_targets) == ["Blue"]


def test_an_autoscaled_endpoint_retains_instance_counts_across_updates(
    full: tuple[Template, RealtimeEndpoint, cdk.Stack],
) -> None:
    template, _, _ = full
    template.has_resource_properties(
        "AWS::SageMaker::Endpoint",
        {
            "RetainAllVariantProperties": True,
            "ExcludeRetainedVariantProperties": [
                {"VariantPropertyType": "DesiredWeight"},
                {"VariantPropertyType": "DataCaptureConfig"},
            ],
        },
    )


def test_without_autoscaling_variant_properties_follow_the_config(stack: cdk.Stack) -> None:
    RealtimeEndpoint(stack, "Endpoint", variants=[InstanceVariant(model=build_model(stack))])
    Template.from_stack(stack).has_resource_properties(
        "AWS::SageMaker::Endpoint",
        {"RetainAllVariantProperties": Match.absent(), "ExcludeRetainedVariantProperties": Match.absent()},
    )


def test_canary_deployment_config_with_default_alarms(
    full: tuple[Template, RealtimeEndpoint, cdk.Stack],
) -> None:
    template, endpoint, stack = full
    assert [stack.resolve(a.alarm_name) for a in endpoint.rollback_alarms] == [
        {"Ref": stack.get_logical_id(a.node.default_child)}  # type: ignore[attr-defined]
        for a in endpoint.rollback_alarms
    ]
    template.has_resource_properties(
        "AWS::SageMaker::Endpoint",
        {
            "DeploymentConfig": {
                "BlueGreenUpdatePolicy": {
                    "TrafficRoutingConfiguration": {
                        "Type": "CANARY",
                        "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 20},
                        "WaitIntervalInSeconds": 300,
                    },
                    "MaximumExecutionTimeoutInSeconds": 3600,
                    "TerminationWaitInSeconds": 120,
                },
                "AutoRollbackConfiguration": {
                    "Alarms": [
                        {"AlarmName": {"Ref": Match.string_like_regexp(f"^Endpoint{alarm}alarm")}}
                        for alarm in ("Blue5xx", "Bluelatency", "Green5xx", "Greenlatency")
                    ]
                },
            }
        },
    )


def test_default_alarms_watch_each_variant(full: tuple[Template, RealtimeEndpoint, cdk.Stack]) -> None:
    template, endpoint, _ = full
    name = endpoint.endpoint_name
    template.resource_count_is("AWS::CloudWatch::Alarm", 4)
    dimensions = [{"Name": "EndpointName", "Value": name}, {"Name": "VariantName", "Value": "Green"}]
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmName": f"{name}-Green-5xx",
            "Namespace": "AWS/SageMaker",
            "MetricName": "Invocation5XXErrors",
            "Dimensions": dimensions,
            "Statistic": "Sum",
            "Period": 60,
            "Threshold": 1,
            "EvaluationPeriods": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
        },
    )
    template.has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            "AlarmName": f"{name}-Green-latency",
            "Namespace": "AWS/SageMaker",
            "MetricName": "ModelLatency",
            "Dimensions": dimensions,
            "Statistic": "Average",
            "Period": 60,
            "Threshold": 1_000_000,
            "EvaluationPeriods": 3,
        },
    )


def test_given_alarms_replace_the_default_ones_and_linear_routing(stack: cdk.Stack) -> None:
    metric = cloudwatch.Metric(namespace="Custom", metric_name="Errors")
    alarm = cloudwatch.Alarm(
        stack, "Mine", alarm_name="mine", metric=metric, threshold=1, evaluation_periods=1
    )
    endpoint = RealtimeEndpoint(
        stack,
        "Endpoint",
        variants=[InstanceVariant(model=build_model(stack), initial_instance_count=4)],  # 25% steps of 4
        deployment=BlueGreenDeployment(
            traffic_routing=TrafficRouting.linear(percent=25, wait_interval=SECONDS(60)),
            rollback_alarms=[alarm],
        ),
    )
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::CloudWatch::Alarm", 1)
    template.has_resource_properties(
        "AWS::SageMaker::Endpoint",
        {
            "DeploymentConfig": {
                "BlueGreenUpdatePolicy": {
                    "TrafficRoutingConfiguration": {
                        "Type": "LINEAR",
                        "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 25},
                        "WaitIntervalInSeconds": 60,
                    }
                },
                "AutoRollbackConfiguration": {
                    "Alarms": [{"AlarmName": {"Ref": Match.string_like_regexp("^Mine")}}]
                },
            }
        },
    )
    assert endpoint.rollback_alarms == [alarm]


def test_default_deployment_is_all_at_once_and_none_turns_it_off() -> None:
    stack = cdk.Stack(new_app(), "Deploy")
    RealtimeEndpoint(stack, "Standard", variants=[InstanceVariant(model=build_model(stack, "A"))])
    RealtimeEndpoint(stack, "Off", variants=[InstanceVariant(model=build_model(stack, "B"))], deployment=None)
    endpoints = {
        path: props["Properties"]
        for path, props in Template.from_stack(stack).find_resources("AWS::SageMaker::Endpoint").items()
    }
    default = next(p for k, p in endpoints.items() if k.startswith("Standard"))
    off = next(p for k, p in endpoints.items() if k.startswith("Off"))
    assert default["DeploymentConfig"]["BlueGreenUpdatePolicy"] == {
        "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 300}
    }
    assert "DeploymentConfig" not in off


def test_each_models_role_may_read_the_rollback_alarms_and_no_other(regional_stack: cdk.Stack) -> None:
    """SageMaker reads the auto-rollback alarms (cloudwatch:DescribeAlarms) as the execution role."""
    blue, green = build_model(regional_stack, "Blue"), build_model(regional_stack, "Green")
    endpoint = RealtimeEndpoint(regional_stack, "Endpoint", endpoint_name="fraud", variants=[
        InstanceVariant(model=blue, variant_name="Blue"), InstanceVariant(model=green, variant_name="Green"),
    ])
    alarms = [f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:fraud-{variant}-{kind}"
              for variant in ("Blue", "Green") for kind in ("5xx", "latency")]
    for model in (blue, green):
        # One statement for the four alarms, on their ARNs only.
        assert describe_alarms(regional_stack, managed_policy(model)) == [
            {"Action": "cloudwatch:DescribeAlarms", "Effect": "Allow", "Resource": alarms}]
    template = Template.from_stack(regional_stack).to_json()["Resources"]
    # The ARNs name the alarms the endpoint rolls back on.
    assert sorted(r["Properties"]["AlarmName"] for r in template.values() if r["Type"] == "AWS::CloudWatch::Alarm") \
        == sorted(arn.rpartition(":")[2] for arn in alarms)
    # The endpoint is created and updated after the grants.
    rendered = template[regional_stack.get_logical_id(endpoint.endpoint.resource)]
    for model in (blue, green):
        assert regional_stack.get_logical_id(managed_policy(model).node.default_child) in rendered["DependsOn"]


def test_given_rollback_alarms_are_read_by_their_own_arn(stack: cdk.Stack) -> None:
    model = build_model(stack)
    mine = cloudwatch.Alarm(stack, "Mine", alarm_name="mine", threshold=1, evaluation_periods=1,
                            metric=cloudwatch.Metric(namespace="Custom", metric_name="Errors"))
    RealtimeEndpoint(stack, "Endpoint", variants=[InstanceVariant(model=model)],
                     deployment=BlueGreenDeployment(rollback_alarms=[mine]))
    assert describe_alarms(stack, managed_policy(model)) == [{
        "Action": "cloudwatch:DescribeAlarms", "Effect": "Allow",
        "Resource": {"Fn::GetAtt": [stack.get_logical_id(mine.node.default_child), "Arn"]},  # type: ignore[arg-type]
    }]


def test_without_guardrails_no_role_may_read_alarms(stack: cdk.Stack) -> None:
    model = build_model(stack)
    endpoint = RealtimeEndpoint(stack, "Endpoint", variants=[InstanceVariant(model=model)], deployment=None)
    assert describe_alarms(stack, managed_policy(model)) == []
    role = iam.Role(stack, "Other", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    with pytest.raises(ValidationError, match=r"TestStack/Endpoint/Endpoint: deployment must be given \(an "
                       r"endpoint without deployment guardrails has no rollback alarms to read\), got None"):
        endpoint.endpoint.grant_read_rollback_alarms(role)


def test_token_durations_and_weights_pass_to_deploy_time(stack: cdk.Stack) -> None:
    """A token (a parameter, an import) is checked by CloudFormation, not refused as a negative number."""
    cooldown = cdk.Duration.seconds(cdk.Token.as_number(cdk.Fn.import_value("Cooldown")))
    instance(stack, initial_weight=cdk.Token.as_number(cdk.Fn.import_value("Weight")),
             auto_scaling=VariantAutoScaling(max_capacity=2, target_invocations_per_instance=5,
                                             scale_in_cooldown=cooldown))
    [policy] = Template.from_stack(stack).find_resources("AWS::ApplicationAutoScaling::ScalingPolicy").values()
    assert policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]["ScaleInCooldown"] == {
        "Fn::ImportValue": "Cooldown"}


def test_a_serverless_variant_is_not_autoscaled(stack: cdk.Stack) -> None:
    """Its instance count would be registered, and a serverless variant has none."""
    endpoint = serverless(stack)
    with pytest.raises(ValidationError, match=r"^TestStack/Endpoint/Endpoint: variant AllTraffic\.auto_scale must be "
                       r"called on an instance variant \(a serverless variant has no instances to scale; its "
                       r"provisioned concurrency scales instead, which this package does not configure\), got "
                       r"'a serverless variant'$"):
        endpoint.variant().auto_scale(VariantAutoScaling(max_capacity=2, target_invocations_per_instance=10))
    assert not Template.from_stack(stack).find_resources("AWS::ApplicationAutoScaling::ScalableTarget")


def guarded(stack: cdk.Stack, routing: TrafficRouting, *, instances: int = 2, timeout: int,
            termination: int | None = None, scaling: VariantAutoScaling | None = None) -> RealtimeEndpoint:
    return RealtimeEndpoint(
        stack, "Endpoint",
        variants=[InstanceVariant(model=build_model(stack), initial_instance_count=instances, auto_scaling=scaling)],
        deployment=BlueGreenDeployment(
            traffic_routing=routing, maximum_execution_timeout=SECONDS(timeout),
            termination_wait=SECONDS(termination) if termination is not None else None,
        ),
    )


@pytest.mark.parametrize(
    ("routing", "instances", "termination", "timeout", "waits"),
    [
        # All at once: the new fleet bakes once.
        (TrafficRouting.all_at_once(wait_interval=SECONDS(600)), 1, None, 600,
         r"1 traffic-shifting step\(s\) of wait_interval \(600 s\) and termination_wait \(0 s\), 600 s in all"),
        # Canary: the canary bakes, then the whole fleet (the final baking period).
        (TrafficRouting.canary(percent=10, wait_interval=SECONDS(300)), 2, 300, 900,
         r"2 traffic-shifting step\(s\) of wait_interval \(300 s\) and termination_wait \(300 s\), 900 s in all"),
        # Linear: each step bakes; 10% of 10 instances is 10 steps.
        (TrafficRouting.linear(percent=10, wait_interval=SECONDS(600)), 10, None, 3600,
         r"10 traffic-shifting step\(s\) of wait_interval \(600 s\) and termination_wait \(0 s\), 6000 s in all"),
        # 30% of 10 instances is 3 a step, so 4 steps.
        (TrafficRouting.linear(percent=30, wait_interval=SECONDS(300)), 10, 60, 1260,
         r"4 traffic-shifting step\(s\) of wait_interval \(300 s\) and termination_wait \(60 s\), 1260 s in all"),
    ],
)
def test_the_execution_timeout_must_exceed_the_waits_it_covers(
    stack: cdk.Stack, routing: TrafficRouting, instances: int, termination: int | None, timeout: int, waits: str
) -> None:
    """botocore: "the timeout value should be larger than the total waiting time specified in
    TerminationWaitInSeconds and WaitIntervalInSeconds"."""
    with pytest.raises(ValidationError, match=rf"^TestStack/Endpoint: deployment\.maximum_execution_timeout "
                       rf"\(seconds\) must be greater than the waits it covers: {waits}, got {timeout}$"):
        guarded(stack, routing, instances=instances, termination=termination, timeout=timeout)


def test_the_reference_apps_guardrails_fit_their_timeout(stack: cdk.Stack) -> None:
    # stacks/realtime_inference_stack.py with cdk.json's sizes: 2 x 300 s + 300 s is well within an hour.
    guarded(stack, TrafficRouting.canary(percent=10, wait_interval=cdk.Duration.minutes(5)), instances=2,
            termination=300, timeout=3600,
            scaling=VariantAutoScaling(min_capacity=2, max_capacity=4, target_invocations_per_instance=200))


def test_the_timeout_counts_the_fewest_steps_a_linear_update_can_take(stack: cdk.Stack) -> None:
    """30% steps take 2 steps on 4 instances but 4 on 10: an autoscaled 4-10 fleet may take 2, so
    a timeout above two waits is accepted; one at exactly two is not."""
    scaling = VariantAutoScaling(min_capacity=4, max_capacity=10, target_invocations_per_instance=100)
    guarded(stack, TrafficRouting.linear(percent=30, wait_interval=SECONDS(300)), instances=4, timeout=601,
            scaling=scaling)
    with pytest.raises(ValidationError, match=r"2 traffic-shifting step\(s\) .*, 600 s in all, got 600$"):
        guarded(cdk.Stack(new_app(), "Other"), TrafficRouting.linear(percent=30, wait_interval=SECONDS(300)),
                instances=4, timeout=600, scaling=scaling)


def test_serverless_variant(stack: cdk.Stack) -> None:
    endpoint = RealtimeEndpoint(
        stack,
        "Endpoint",
        variants=[
            ServerlessVariant(
                model=build_model(stack, network_isolation=False),
                memory_size_mb=4096,
                max_concurrency=50,
                provisioned_concurrency=10,
            )
        ],
        output_endpoint_name=False,
    )
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {
            "ProductionVariants": [
                {
                    "VariantName": "AllTraffic",
                    "ModelName": Match.any_value(),
                    "ServerlessConfig": {
                        "MemorySizeInMB": 4096,
                        "MaxConcurrency": 50,
                        "ProvisionedConcurrency": 10,
                    },
                }
            ],
            "KmsKeyId": Match.any_value(),
        },
    )
    assert template.find_outputs("*") == {}
    assert endpoint.scalable_targets == {}


def test_grant_invoke_allows_invoke_endpoint_on_this_endpoint_only_in_a_managed_policy(
    full: tuple[Template, RealtimeEndpoint, cdk.Stack],
) -> None:
    """The HIPAA, NIST and PCI packs refuse inline policies: the grant lands in a managed one."""
    template, _, _ = full
    template.resource_count_is("AWS::IAM::Policy", 0)
    template.has_resource_properties(
        "AWS::IAM::ManagedPolicy",
        {
            "PolicyDocument": {
                "Statement": [
                    {
                        "Action": "sagemaker:InvokeEndpoint",
                        "Effect": "Allow",
                        "Resource": {"Ref": Match.string_like_regexp("^Endpoint")},
                    }
                ],
                "Version": "2012-10-17",
            },
            "Roles": [{"Ref": Match.string_like_regexp("^Caller")}],
        },
    )


def test_metrics_are_variant_scoped(full: tuple[Template, RealtimeEndpoint, cdk.Stack]) -> None:
    _, endpoint, stack = full
    expected = {
        endpoint.metric_invocations(): ("Invocations", "Sum"),
        endpoint.metric_invocations_per_instance(): ("InvocationsPerInstance", "Sum"),
        endpoint.metric_model_latency(): ("ModelLatency", "Average"),
        endpoint.metric_5xx_errors(): ("Invocation5XXErrors", "Sum"),
        endpoint.metric_4xx_errors(): ("Invocation4XXErrors", "Sum"),
    }
    for metric, (name, statistic) in expected.items():
        assert (metric.namespace, metric.metric_name, metric.statistic) == ("AWS/SageMaker", name, statistic)
        assert metric.dimensions == {"EndpointName": endpoint.endpoint_name, "VariantName": "Blue"}
    green = endpoint.metric("OverheadLatency", variant_name="Green", period=SECONDS(60))
    assert green.dimensions["VariantName"] == "Green" and green.period.to_seconds() == 60


# -- compliance --------------------------------------------------------------------------------------


def test_a_compliance_gated_app_with_endpoints_synthesizes() -> None:
    """All four cdk-nag packs, cdk.json's flags, and the capture bucket in another stack."""
    app = new_app()
    apply_compliance_gate(app)
    env = cdk.Environment(account="123456789012", region="us-east-1")
    shared_stack = cdk.Stack(app, "Shared", env=env)
    shared = SharedResources(shared_stack, "Shared")
    stack = cdk.Stack(app, "Serving", env=env)
    RealtimeEndpoint(
        stack,
        "Endpoint",
        variants=[
            InstanceVariant(
                model=build_model(stack),
                auto_scaling=VariantAutoScaling(max_capacity=4, target_invocations_per_instance=100),
            )
        ],
        data_capture=DataCapture(bucket=shared.artifacts_bucket, sampling_percentage=20),
    )
    RealtimeEndpoint(
        stack,
        "LocalStorage",
        variants=[InstanceVariant(model=build_model(stack, "Gpu"), instance_type=InstanceType.G5_XLARGE)],
        data_capture=DataCapture(bucket=shared.artifacts_bucket, prefix="gpu-capture"),
    )
    app.synth()  # raises ValidationFailed on any unacknowledged finding


# -- invalid input ----------------------------------------------------------------------------------

Build = Callable[[cdk.Stack], object]


def instance(stack: cdk.Stack, **props: Any) -> RealtimeEndpoint:
    return RealtimeEndpoint(stack, "Endpoint", variants=[InstanceVariant(model=build_model(stack), **props)])


def serverless(stack: cdk.Stack, model_: Any = None, **props: Any) -> RealtimeEndpoint:
    chosen = model_ if model_ is not None else build_model(stack, network_isolation=False)
    return RealtimeEndpoint(stack, "Endpoint", variants=[ServerlessVariant(model=chosen, **props)])


def scaled(
    stack: cdk.Stack, instance_type: InstanceType = InstanceType.M5_LARGE, **props: Any
) -> RealtimeEndpoint:
    scaling = VariantAutoScaling(**{"max_capacity": 2, "target_invocations_per_instance": 100, **props})
    return instance(stack, instance_type=instance_type, auto_scaling=scaling)


def captured(stack: cdk.Stack, **props: Any) -> RealtimeEndpoint:
    return RealtimeEndpoint(
        stack,
        "Endpoint",
        variants=[InstanceVariant(model=build_model(stack))],
        data_capture=DataCapture(bucket=capture_bucket(stack), **props),
    )


def deployed(stack: cdk.Stack, variant_count: int = 1, **props: Any) -> RealtimeEndpoint:
    variants = [
        InstanceVariant(model=build_model(stack, f"M{i}"), variant_name=f"V{i}") for i in range(variant_count)
    ]
    return RealtimeEndpoint(stack, "Endpoint", variants=variants, deployment=BlueGreenDeployment(**props))


def alarms(stack: cdk.Stack, count: int) -> list[cloudwatch.IAlarm]:
    metric = cloudwatch.Metric(namespace="Custom", metric_name="Errors")
    return [
        cloudwatch.Alarm(stack, f"A{i}", metric=metric, threshold=1, evaluation_periods=1)
        for i in range(count)
    ]


INVALID: list[tuple[str, Build, str]] = [
    (
        "no variants",
        lambda s: RealtimeEndpoint(s, "Endpoint", variants=[]),
        r"Endpoint/EndpointConfig: variants must be between 1 and 10 entries long, got 0",
    ),
    ("11 variants", lambda s: deployed(s, 11), r"variants must be between 1 and 10 entries long, got 11"),
    (
        "duplicate names",
        lambda s: RealtimeEndpoint(
            s,
            "Endpoint",
            variants=[InstanceVariant(model=build_model(s, "A")), InstanceVariant(model=build_model(s, "B"))],
        ),
        r"variants\[\]\.variant_name must be unique, got \['AllTraffic', 'AllTraffic'\]",
    ),
    (
        "variant name",
        lambda s: instance(s, variant_name="All_Traffic"),
        r"variants\[0\]\.variant_name must be 1-63 letters, digits and hyphens.*, got 'All_Traffic'",
    ),
    (
        "endpoint name",
        lambda s: RealtimeEndpoint(
            s, "Endpoint", variants=[InstanceVariant(model=build_model(s))], endpoint_name="-bad"
        ),
        r"endpoint_name must be 1-63 letters, digits and hyphens.*, got '-bad'",
    ),
    (
        "instance type",
        lambda s: instance(s, instance_type="m5.large"),
        r"^InstanceVariant 'AllTraffic': instance_type must be a SageMaker hosting instance type such as ml\.m5\.large "
        r"\(InstanceType\.names\(InstanceUse\.HOSTING\) lists them\), got 'm5\.large'$",
    ),
    (
        "instance size",
        lambda s: instance(s, instance_type="ml.g5.large"),
        r"^InstanceVariant 'AllTraffic': instance_type must be a SageMaker hosting instance type \(ml\.g5 sizes: "
        r"xlarge, 2xlarge, .*48xlarge\), got 'ml\.g5\.large'$",
    ),
    (
        "training-only instance type",
        lambda s: instance(s, instance_type="ml.c5n.xlarge"),
        r"^InstanceVariant 'AllTraffic': instance_type must be a SageMaker hosting instance type such as ml\.m5\.large",
    ),
    (
        "instance count",
        lambda s: instance(s, initial_instance_count=0),
        r"variants\[0\]\.initial_instance_count must be at least 1, got 0",
    ),
    (
        "weight",
        lambda s: instance(s, initial_weight=-1.0),
        r"variants\[0\]\.initial_weight must be a number of at least 0, got -1\.0",
    ),
    (
        "volume 0",
        lambda s: instance(s, volume_size_gb=0),
        r"variants\[0\]\.volume_size_gb must be between 1 and 512, got 0",
    ),
    (
        "volume 513",
        lambda s: instance(s, volume_size_gb=513),
        r"variants\[0\]\.volume_size_gb must be between 1 and 512, got 513",
    ),
    (
        "volume on NVMe",
        lambda s: instance(s, instance_type=InstanceType.C5D_XLARGE, volume_size_gb=30),
        r"variants\[0\]\.volume_size_gb must be None on ml\.c5d\.xlarge \(local NVMe storage, no"
        r" EBS volume\), got 30",
    ),
    (
        "download timeout",
        lambda s: instance(s, model_data_download_timeout=SECONDS(59)),
        r"variants\[0\]\.model_data_download_timeout \(seconds\) must be between 60 and 3600, got 59",
    ),
    (
        "startup timeout",
        lambda s: instance(s, container_startup_health_check_timeout=SECONDS(3601)),
        r"variants\[0\]\.container_startup_health_check_timeout \(seconds\) must be between 60 and"
        r" 3600, got 3601",
    ),
    (
        "serverless memory",
        lambda s: serverless(s, memory_size_mb=1500),
        r"variants\[0\]\.memory_size_mb must be one of 1024, 2048, 3072, 4096, 5120, 6144, got 1500",
    ),
    (
        "serverless memory 7168",
        lambda s: serverless(s, memory_size_mb=7168),
        r"variants\[0\]\.memory_size_mb must be one of .*, got 7168",
    ),
    (
        "max concurrency",
        lambda s: serverless(s, max_concurrency=201),
        r"variants\[0\]\.max_concurrency must be between 1 and 200, got 201",
    ),
    (
        "provisioned concurrency",
        lambda s: serverless(s, provisioned_concurrency=0),
        r"variants\[0\]\.provisioned_concurrency must be between 1 and 200, got 0",
    ),
    (
        "provisioned above max",
        lambda s: serverless(s, max_concurrency=5, provisioned_concurrency=10),
        r"variants\[0\]\.provisioned_concurrency must be at most max_concurrency \(5\), got 10",
    ),
    (
        "serverless multi-variant",
        lambda s: RealtimeEndpoint(
            s,
            "Endpoint",
            variants=[
                ServerlessVariant(model=build_model(s, "A", network_isolation=False)),
                InstanceVariant(model=build_model(s, "B"), variant_name="Other"),
            ],
        ),
        r"variants must be a single variant when one is serverless, got \['AllTraffic', 'Other'\]",
    ),
    (
        "serverless isolation",
        lambda s: serverless(s, build_model(s)),
        r"variants\[0\]\.model\.network_isolation must be False on a serverless variant, got True",
    ),
    (
        "serverless pipeline",
        lambda s: serverless(s, FakeModel(s, "Pipeline", container_count=3)),
        r"variants\[0\]\.model\.container_count must be 1 on a serverless variant \(no inference"
        r" pipelines\), got 3",
    ),
    (
        "serverless VPC",
        lambda s: serverless(s, FakeModel(s, "InVpc", in_vpc=True)),
        r"variants\[0\]\.model\.in_vpc must be False on a serverless variant, got True",
    ),
    (
        "serverless capture",
        lambda s: RealtimeEndpoint(
            s,
            "Endpoint",
            variants=[ServerlessVariant(model=build_model(s, network_isolation=False))],
            data_capture=DataCapture(bucket=capture_bucket(s)),
        ),
        r"data_capture must be None on a serverless endpoint, got DataCapture\(",
    ),
    (
        "burstable scaling",
        lambda s: scaled(s, InstanceType.T2_MEDIUM),
        r"variants\[0\]\.instance_type must be a non-burstable type \(not ml\.t\*\) to autoscale,"
        r" got 'ml\.t2\.medium'",
    ),
    (
        "min capacity",
        lambda s: scaled(s, min_capacity=0),
        r"variants\[0\]\.auto_scaling\.min_capacity must be at least 1, got 0",
    ),
    (
        "max below min",
        lambda s: scaled(s, min_capacity=3, max_capacity=2),
        r"variants\[0\]\.auto_scaling\.max_capacity must be at least min_capacity \(3\), got 2",
    ),
    (
        "scaling target",
        lambda s: scaled(s, target_invocations_per_instance=0),
        r"variants\[0\]\.auto_scaling\.target_invocations_per_instance must be a number greater than 0, got 0",
    ),
    (
        "sampling",
        lambda s: captured(s, sampling_percentage=101),
        r"data_capture\.sampling_percentage must be between 0 and 100, got 101",
    ),
    (
        "capture nothing",
        lambda s: captured(s, capture_input=False, capture_output=False),
        r"data_capture\.capture_input/capture_output must be True for at least one of them, got"
        r" \(False, False\)",
    ),
    (
        "capture prefix",
        lambda s: captured(s, prefix="/capture/"),
        r"data_capture\.prefix must be an S3 key prefix without leading, trailing or double"
        r" slashes, got '/capture/'",
    ),
    (
        "content types",
        lambda s: captured(s, csv_content_types=[f"text/csv{i}" for i in range(11)]),
        r"data_capture\.csv_content_types must be between 1 and 10 entries long",
    ),
    (
        "content type with parameters",
        lambda s: captured(s, json_content_types=["application/json; charset=utf-8"]),
        r"data_capture\.json_content_types must be content types like 'text/csv' \(letters, digits and hyphens, no "
        r"parameters\), got 'application/json; charset=utf-8'$",
    ),
    (
        "capture destination",
        lambda s: captured(s, prefix="p" * 444),
        # s3://<bucket>/<prefix> is at most 512 characters; the bucket's generated name may take 63.
        r"data_capture\.prefix must be between 1 and 443 characters long, got 'p{75}\.\.\.'$",
    ),
    (
        "canary size",
        lambda s: deployed(s, traffic_routing=TrafficRouting.canary(percent=60)),
        r"deployment\.traffic_routing\.percent \(canary\) must be between 1 and 50, got 60",
    ),
    (
        "linear step",
        lambda s: deployed(s, traffic_routing=TrafficRouting.linear(percent=5)),
        r"deployment\.traffic_routing\.percent \(linear\) must be between 10 and 50, got 5",
    ),
    (
        "wait interval",
        lambda s: deployed(s, traffic_routing=TrafficRouting.all_at_once(wait_interval=SECONDS(3601))),
        r"deployment\.traffic_routing\.wait_interval \(seconds\) must be between 0 and 3600, got 3601",
    ),
    (
        "execution timeout",
        lambda s: deployed(s, maximum_execution_timeout=SECONDS(599)),
        r"deployment\.maximum_execution_timeout \(seconds\) must be between 600 and 28800, got 599",
    ),
    (
        "termination wait",
        lambda s: deployed(s, termination_wait=SECONDS(3601)),
        r"deployment\.termination_wait \(seconds\) must be between 0 and 3600, got 3601",
    ),
    (
        "no alarms",
        lambda s: deployed(s, rollback_alarms=[]),
        r"deployment\.rollback_alarms must be between 1 and 10 entries long, got 0",
    ),
    (
        "11 alarms",
        lambda s: deployed(s, rollback_alarms=alarms(s, 11)),
        r"deployment\.rollback_alarms must be between 1 and 10 entries long, got 11",
    ),
    (
        "hyphenated endpoint name of 64 characters",
        lambda s: RealtimeEndpoint(s, "Endpoint", variants=[InstanceVariant(model=build_model(s))],
                                   endpoint_name="a" + "-b" * 31 + "c"),
        r"endpoint_name must be 1-63 letters, digits and hyphens.*, got 'a-b-b",
    ),
    (
        "key on local NVMe storage",
        lambda s: RealtimeEndpoint(s, "Endpoint", variants=[InstanceVariant(model=build_model(s),
                                                                            instance_type="ml.g5.xlarge")],
                                   encryption_key=kms.Key(s, "Mine")),
        r"^TestStack/Endpoint/EndpointConfig: encryption_key must be None when a variant runs on ml\.g5\.xlarge "
        r"\(local NVMe storage, which the hardware encrypts: SageMaker refuses a KmsKeyId for it\), got "
        r"'TestStack/Mine'$",
    ),
    (
        "serverless variant without a model",
        lambda s: RealtimeEndpoint(s, "Endpoint", variants=[ServerlessVariant(model=None)]),
        r"^TestStack/Endpoint/EndpointConfig: variants\[0\]\.model must be a model \(a serverless variant cannot "
        r"host inference components\), got None$",
    ),
    ("weight as text", lambda s: instance(s, initial_weight="1"),
     r"variants\[0\]\.initial_weight must be a number of at least 0, got '1'$"),
    ("weight as a bool", lambda s: instance(s, initial_weight=True),
     r"variants\[0\]\.initial_weight must be a number of at least 0, got True$"),
    ("timeout as a number", lambda s: instance(s, model_data_download_timeout=600),
     r"variants\[0\]\.model_data_download_timeout must be a Duration such as Duration\.seconds\(600\), got 600$"),
    ("timeout in fractions", lambda s: instance(s, container_startup_health_check_timeout=SECONDS(90.5)),
     r"variants\[0\]\.container_startup_health_check_timeout \(seconds\) must be a whole number, got 90\.5$"),
    ("target as text", lambda s: instance(s, auto_scaling=VariantAutoScaling(max_capacity=2,
                                                                           target_invocations_per_instance="5")),
     r"variants\[0\]\.auto_scaling\.target_invocations_per_instance must be a number greater than 0, got '5'$"),
    ("cooldown in fractions", lambda s: instance(s, auto_scaling=VariantAutoScaling(
        max_capacity=2, target_invocations_per_instance=5, scale_in_cooldown=cdk.Duration.millis(1500))),
     r"variants\[0\]\.auto_scaling\.scale_in_cooldown \(seconds\) must be a whole number, got 1\.5$"),
    ("capture flag as text", lambda s: captured(s, capture_input="false"),
     r"data_capture\.capture_input must be True or False, got 'false'$"),
    (
        "default alarms for 6 variants",
        lambda s: deployed(s, 6),
        r"deployment\.rollback_alarms must be given for more than 5 variants \(the default is 2"
        r" alarms a variant",
    ),
]


@pytest.mark.parametrize(
    ("build", "message"), [(b, m) for _, b, m in INVALID], ids=[i for i, _, _ in INVALID]
)
def test_invalid_input_is_refused_with_a_clear_message(stack: cdk.Stack, build: Build, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        build(stack)
