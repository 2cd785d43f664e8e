"""Inference components and the endpoint configs that host them: exact templates, every validation,
copy-count scaling, metrics, grants, Elastic Inference migration."""

from __future__ import annotations

from typing import Any, cast

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template
from cdk_sagemaker_inference import (
    ComponentRollingUpdate,
    ComputeRequirements,
    ContainerDefinition,
    ContainerImage,
    CopyAutoScaling,
    CopyBatchSize,
    ElasticInferenceAccelerator,
    Endpoint,
    EndpointConfig,
    Framework,
    InferenceComponent,
    InstanceType,
    InstanceVariant,
    ManagedInstanceScaling,
    Model,
    ModelData,
    RealtimeEndpoint,
    RoutingStrategy,
    ValidationError,
)
from cdk_sagemaker_inference.accelerator import accelerator_memory_mb, replacement_declaration
from cdk_sagemaker_inference.instance_capacity import CAPACITIES, capacity_of
from cdk_sagemaker_inference.wiring import Environment, check_wiring
from constructs import Construct

from tests.conftest import describe_alarms

SECONDS = cdk.Duration.seconds
GPU = ComputeRequirements(accelerator_devices=1, min_memory_mb=4096, cpu_cores=2)


def hosting(scope: Construct, instance_type: str = "ml.g5.12xlarge", id: str = "Endpoint") -> Endpoint:
    """A component-hosting endpoint: a config whose one variant has no model."""
    config = EndpointConfig(scope, f"{id}Config", variants=[InstanceVariant(instance_type=instance_type)])
    return Endpoint(scope, id, endpoint_config=config, deployment=None)


def model(scope: Construct, id: str = "Model") -> Model:
    repository = ecr.Repository.from_repository_name(scope, f"{id}Repository", "llm")
    bucket = s3.Bucket.from_bucket_name(scope, f"{id}Artifacts", "artifacts")
    return Model(scope, id, container=ContainerDefinition(
        image=ContainerImage.from_ecr_repository(repository, tag="1.0"),
        model_data=ModelData.from_bucket(bucket, f"{id}/model.tar.gz"),
    ))


def component(stack: cdk.Stack, id: str = "Component", **props: Any) -> InferenceComponent:
    endpoint = props.pop("endpoint", None) or stack.node.try_find_child("Endpoint") or hosting(stack)
    props.setdefault("compute", GPU)
    props.setdefault("model", stack.node.try_find_child("Model") or model(stack))
    return InferenceComponent(stack, id, endpoint=endpoint, **props)


def resources(stack: cdk.Stack, type_: str) -> dict[str, Any]:
    found: dict[str, Any] = Template.from_stack(stack).find_resources(type_)
    return found


def test_declares_the_component_exactly(stack: cdk.Stack) -> None:
    component(stack, copy_count=2,
              model_data_download_timeout=SECONDS(600), container_startup_health_check_timeout=SECONDS(300))
    [(logical_id, ic)] = resources(stack, "AWS::SageMaker::InferenceComponent").items()
    [model_id] = resources(stack, "AWS::SageMaker::Model")
    assert ic["Properties"] == {
        "InferenceComponentName": "TestStack-Component-4D937385",
        "EndpointName": "TestStack-Endpoint-03B36749",
        "VariantName": "AllTraffic",
        "Specification": {
            "ModelName": {"Fn::GetAtt": [model_id, "ModelName"]},
            "ComputeResourceRequirements": {
                "MinMemoryRequiredInMb": 4096,
                "NumberOfAcceleratorDevicesRequired": 1,
                "NumberOfCpuCoresRequired": 2,
            },
            "StartupParameters": {
                "ModelDataDownloadTimeoutInSeconds": 600,
                "ContainerStartupHealthCheckTimeoutInSeconds": 300,
            },
        },
        "RuntimeConfig": {"CopyCount": 2},
    }
    # The endpoint's name is a plain string: the explicit dependency orders creation.
    # (The endpoint construct's log group and its key come along; harmless, they precede the endpoint.)
    # The component's own log group and the policies that let its writers use it come first too.
    assert ic["DependsOn"] == ["ComponentLogsA5C08CC3", "Endpoint", "EndpointLogs88A66289", "EndpointLogsKeyCD40E72E",
                               "EndpointConfigExecutionRolePolicyEC7FF2F5", "ModelPolicy4EDEB0D0"]
    assert logical_id.startswith("Component")


def test_defaults_one_copy_and_no_startup_parameters(stack: cdk.Stack) -> None:
    built = component(stack, compute=ComputeRequirements(min_memory_mb=128))
    [ic] = resources(stack, "AWS::SageMaker::InferenceComponent").values()
    assert ic["Properties"]["RuntimeConfig"] == {"CopyCount": 1}
    assert ic["Properties"]["Specification"]["ComputeResourceRequirements"] == {"MinMemoryRequiredInMb": 128}
    assert "StartupParameters" not in ic["Properties"]["Specification"]
    assert built.scalable_target is None
    assert not resources(stack, "AWS::ApplicationAutoScaling::ScalableTarget")


def test_a_given_name_is_used(stack: cdk.Stack) -> None:
    built = component(stack, inference_component_name="llm-small")
    assert built.inference_component_name == "llm-small"
    Template.from_stack(stack).has_resource_properties(
        "AWS::SageMaker::InferenceComponent", {"InferenceComponentName": "llm-small"}
    )


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"compute": ComputeRequirements(min_memory_mb=127)},
         r"TestStack/Component: compute.min_memory_mb must be at least 128, got 127"),
        ({"compute": ComputeRequirements(min_memory_mb=512.5)},  # type: ignore[arg-type]
         r"compute.min_memory_mb must be an integer of at least 128, got 512.5"),
        ({"compute": ComputeRequirements(min_memory_mb=1024, max_memory_mb=512)},
         r"compute.max_memory_mb must be at least min_memory_mb \(1024\), got 512"),
        ({"compute": ComputeRequirements(min_memory_mb=1024, accelerator_devices=0)},
         r"compute.accelerator_devices must be at least 1, got 0"),
        ({"compute": ComputeRequirements(min_memory_mb=1024, cpu_cores=0.2)},
         r"compute.cpu_cores must be at least 0.25, got 0.2"),
        ({"copy_count": -1}, r"copy_count must be at least 0, got -1"),
        ({"copy_count": 1.5}, r"copy_count must be an integer of at least 0, got 1.5"),
        ({"variant_name": "Blue"}, r"TestStack/Endpoint: variant_name must be one of AllTraffic, got 'Blue'"),
        ({"inference_component_name": "-x"}, r"inference_component_name must be 1-63 letters"),
        ({"model_data_download_timeout": SECONDS(59)},
         r"model_data_download_timeout \(seconds\) must be between 60 and 3600, got 59"),
        ({"container_startup_health_check_timeout": SECONDS(3601)},
         r"container_startup_health_check_timeout \(seconds\) must be between 60 and 3600, got 3601"),
        ({"auto_scaling": CopyAutoScaling(min_copies=-1, max_copies=2, target_invocations_per_copy=10)},
         r"auto_scaling.min_copies must be at least 0, got -1"),
        ({"auto_scaling": CopyAutoScaling(min_copies=0, max_copies=0, target_invocations_per_copy=10),
          "copy_count": 0},
         r"auto_scaling.max_copies must be at least 1, got 0"),
        ({"auto_scaling": CopyAutoScaling(min_copies=0.5, max_copies=2,  # type: ignore[arg-type]
                                          target_invocations_per_copy=10)},
         r"auto_scaling.min_copies must be an integer of at least 0, got 0.5"),
        ({"auto_scaling": CopyAutoScaling(min_copies=3, max_copies=2, target_invocations_per_copy=10),
          "copy_count": 3},
         r"auto_scaling.max_copies must be at least min_copies \(3\), got 2"),
        ({"auto_scaling": CopyAutoScaling(min_copies=2, max_copies=4, target_invocations_per_copy=10)},
         r"copy_count must be between auto_scaling.min_copies and max_copies \(2-4\), got 1"),
        ({"auto_scaling": CopyAutoScaling(max_copies=4, target_invocations_per_copy=0)},
         r"auto_scaling.target_invocations_per_copy must be a number greater than 0, got 0"),
    ],
)
def test_refuses_what_sagemaker_refuses(stack: cdk.Stack, props: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        component(stack, **props)


@pytest.mark.parametrize(
    ("instance_type", "compute", "message"),
    [
        ("ml.g5.xlarge", ComputeRequirements(accelerator_devices=2, min_memory_mb=1024),
         r"compute.accelerator_devices must be at most 1 \(ml.g5.xlarge has 1 GPUs\), got 2"),
        ("ml.m5.large", ComputeRequirements(accelerator_devices=1, min_memory_mb=1024),
         r"compute.accelerator_devices must be at most 0 \(ml.m5.large has 0 GPUs\), got 1"),
        ("ml.g5.xlarge", ComputeRequirements(min_memory_mb=16385),
         r"compute.min_memory_mb must be at most 16384 \(ml.g5.xlarge has 16384 MB of memory\), got 16385"),
        ("ml.g5.xlarge", ComputeRequirements(min_memory_mb=1024, max_memory_mb=20000),
         r"compute.max_memory_mb must be at most 16384 .*, got 20000"),
        ("ml.g4dn.xlarge", ComputeRequirements(min_memory_mb=1024, cpu_cores=4.5),
         r"compute.cpu_cores must be at most 4 \(ml.g4dn.xlarge has 4 vCPUs\), got 4.5"),
    ],
)
def test_one_copy_must_fit_the_instance_type(
    stack: cdk.Stack, instance_type: str, compute: ComputeRequirements, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        component(stack, endpoint=hosting(stack, instance_type), compute=compute)


def test_a_copy_that_fills_the_instance_exactly_fits(stack: cdk.Stack) -> None:
    built = component(stack, compute=ComputeRequirements(accelerator_devices=4, min_memory_mb=192 * 1024,
                                                         cpu_cores=48))
    assert built.instance_type is not None and built.instance_type.name == "ml.g5.12xlarge"


def test_a_bad_instance_type_is_refused_in_one_line(stack: cdk.Stack) -> None:
    with pytest.raises(ValidationError, match=r"TestStack/Component: instance_type must be .*, got 'g5.xlarge'"):
        component(stack, endpoint=Endpoint.from_endpoint_name(stack, "Shared", "shared"), instance_type="g5.xlarge")


def test_types_the_package_does_not_know_are_not_checked(stack: cdk.Stack) -> None:
    component(stack, endpoint=hosting(stack, "ml.g7e.2xlarge"),
              compute=ComputeRequirements(accelerator_devices=8, min_memory_mb=10**7))


def test_capacity_table() -> None:
    assert capacity_of("ml.g4dn.12xlarge") == capacity_of("ml.g4dn.12xlarge")
    g6e = capacity_of("ml.g6e.xlarge")
    assert g6e is not None and (g6e.vcpus, g6e.memory_mb, g6e.accelerators) == (4, 32 * 1024, 1)
    p4d = capacity_of("ml.p4d.24xlarge")
    assert p4d is not None and (p4d.vcpus, p4d.accelerators) == (96, 8)
    assert capacity_of("ml.g7e.2xlarge") is None
    assert all(name.startswith("ml.") for name in CAPACITIES)
    # Every CPU family has no GPUs, every GPU family has some.
    for name, capacity in CAPACITIES.items():
        assert (capacity.accelerators == 0) == (name.split(".")[1] in ("m5", "c5")), name


def test_copy_count_autoscaling_resources(stack: cdk.Stack) -> None:
    built = component(stack, copy_count=2, auto_scaling=CopyAutoScaling(
        min_copies=1, max_copies=6, target_invocations_per_copy=30,
        scale_in_cooldown=SECONDS(600), scale_out_cooldown=SECONDS(30),
    ))
    assert built.scalable_target is not None
    [(ic_id, _)] = resources(stack, "AWS::SageMaker::InferenceComponent").items()
    [(target_id, target)] = resources(stack, "AWS::ApplicationAutoScaling::ScalableTarget").items()
    assert target["Properties"] == {
        "MaxCapacity": 6,
        "MinCapacity": 1,
        "ResourceId": "inference-component/TestStack-Component-4D937385",
        "RoleARN": {"Fn::Join": ["", [
            "arn:", {"Ref": "AWS::Partition"}, ":iam::", {"Ref": "AWS::AccountId"},
            ":role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
            "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
        ]]},
        "ScalableDimension": "sagemaker:inference-component:DesiredCopyCount",
        "ServiceNamespace": "sagemaker",
    }
    assert target["DependsOn"] == [ic_id]
    [policy] = resources(stack, "AWS::ApplicationAutoScaling::ScalingPolicy").values()
    assert policy["Properties"] == {
        "PolicyName": "TestStackComponentScalingInvocationsPerCopyBBE068BA",
        "PolicyType": "TargetTrackingScaling",
        "ScalingTargetId": {"Ref": target_id},
        "TargetTrackingScalingPolicyConfiguration": {
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "SageMakerInferenceComponentInvocationsPerCopy"
            },
            "ScaleInCooldown": 600,
            "ScaleOutCooldown": 30,
            "TargetValue": 30,
        },
    }


def test_scaling_to_zero_adds_the_step_policy_and_alarm_that_wake_it(stack: cdk.Stack) -> None:
    built = component(stack, copy_count=0, auto_scaling=CopyAutoScaling(
        min_copies=0, max_copies=2, target_invocations_per_copy=5))
    name = built.inference_component_name
    [(target_id, target)] = resources(stack, "AWS::ApplicationAutoScaling::ScalableTarget").items()
    assert (target["Properties"]["MinCapacity"], target["Properties"]["MaxCapacity"]) == (0, 2)
    [ic] = resources(stack, "AWS::SageMaker::InferenceComponent").values()
    assert ic["Properties"]["RuntimeConfig"] == {"CopyCount": 0}
    policies = {p["Properties"]["PolicyType"]: (logical_id, p["Properties"])
                for logical_id, p in resources(stack, "AWS::ApplicationAutoScaling::ScalingPolicy").items()}
    assert sorted(policies) == ["StepScaling", "TargetTrackingScaling"]
    step_id, step = policies["StepScaling"]
    # The policy of SageMaker's guide to scaling to zero: one more copy, at most once a minute.
    assert step == {
        "PolicyName": "TestStackComponentScaleFromZeroFF7058B8",
        "PolicyType": "StepScaling",
        "ScalingTargetId": {"Ref": target_id},
        "StepScalingPolicyConfiguration": {
            "AdjustmentType": "ChangeInCapacity",
            "Cooldown": 60,
            "MetricAggregationType": "Maximum",
            "StepAdjustments": [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}],
        },
    }
    [(alarm_id, alarm)] = resources(stack, "AWS::CloudWatch::Alarm").items()
    assert alarm["Properties"] == {
        "AlarmActions": [{"Ref": step_id}],
        "AlarmDescription": f"Adds a copy of {name} when a request finds none (scaled to zero)",
        "AlarmName": f"{name}-no-capacity",
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "DatapointsToAlarm": 1,
        "Dimensions": [{"Name": "InferenceComponentName", "Value": name}],
        "EvaluationPeriods": 1,
        "MetricName": "NoCapacityInvocationFailures",
        "Namespace": "AWS/SageMaker",
        "Period": 60,
        "Statistic": "Sum",
        "Threshold": 1,
        "TreatMissingData": "notBreaching",
    }
    assert built.scale_from_zero_alarm is not None
    assert stack.resolve(built.scale_from_zero_alarm.alarm_name) == {"Ref": alarm_id}


def test_a_component_that_keeps_a_copy_needs_no_wake_up(stack: cdk.Stack) -> None:
    built = component(stack, auto_scaling=CopyAutoScaling(min_copies=1, max_copies=2, target_invocations_per_copy=5))
    assert built.scale_from_zero_alarm is None
    [policy] = resources(stack, "AWS::ApplicationAutoScaling::ScalingPolicy").values()
    assert policy["Properties"]["PolicyType"] == "TargetTrackingScaling"
    assert resources(stack, "AWS::CloudWatch::Alarm") == {}


def test_a_minimum_known_only_at_deployment_may_be_zero(stack: cdk.Stack) -> None:
    fewest = cdk.CfnParameter(stack, "MinCopies", type="Number").value_as_number
    scaling = CopyAutoScaling(min_copies=cast(int, fewest), max_copies=2, target_invocations_per_copy=5)
    built = component(stack, auto_scaling=scaling)
    assert built.scale_from_zero_alarm is not None
    [target] = resources(stack, "AWS::ApplicationAutoScaling::ScalableTarget").values()
    assert target["Properties"]["MinCapacity"] == {"Ref": "MinCopies"}
    assert sorted(p["Properties"]["PolicyType"]
                  for p in resources(stack, "AWS::ApplicationAutoScaling::ScalingPolicy").values()) == [
        "StepScaling", "TargetTrackingScaling"]
    [alarm] = resources(stack, "AWS::CloudWatch::Alarm").values()
    assert alarm["Properties"]["MetricName"] == "NoCapacityInvocationFailures"


# -- rolling updates ------------------------------------------------------------------------------


def test_a_rolling_update_with_its_default_alarms_exactly(stack: cdk.Stack) -> None:
    built = component(stack, copy_count=4,
                      deployment=ComponentRollingUpdate(maximum_batch_size=CopyBatchSize.copies(2)))
    name = built.inference_component_name
    alarms = resources(stack, "AWS::CloudWatch::Alarm")
    by_name = {alarm["Properties"]["AlarmName"]: (logical_id, alarm["Properties"])
               for logical_id, alarm in alarms.items()}
    assert sorted(by_name) == [f"{name}-5xx", f"{name}-latency"]
    errors_id, errors = by_name[f"{name}-5xx"]
    latency_id, latency = by_name[f"{name}-latency"]
    assert [stack.resolve(a.alarm_name) for a in built.rollback_alarms] == [{"Ref": errors_id}, {"Ref": latency_id}]
    dimensions = [{"Name": "InferenceComponentName", "Value": name}]
    assert errors == {
        "AlarmName": f"{name}-5xx", "AlarmDescription": f"Rolls back deployments of {name} (5xx)",
        "ComparisonOperator": "GreaterThanOrEqualToThreshold", "Dimensions": dimensions, "EvaluationPeriods": 1,
        "MetricName": "Invocation5XXErrors", "Namespace": "AWS/SageMaker", "Period": 60, "Statistic": "Sum",
        "Threshold": 1, "TreatMissingData": "notBreaching",
    }
    assert latency == {
        "AlarmName": f"{name}-latency", "AlarmDescription": f"Rolls back deployments of {name} (latency)",
        "ComparisonOperator": "GreaterThanOrEqualToThreshold", "Dimensions": dimensions, "EvaluationPeriods": 3,
        "MetricName": "ModelLatency", "Namespace": "AWS/SageMaker", "Period": 60, "Statistic": "Average",
        "Threshold": 1_000_000, "TreatMissingData": "notBreaching",
    }
    [ic] = resources(stack, "AWS::SageMaker::InferenceComponent").values()
    assert ic["Properties"]["DeploymentConfig"] == {
        "RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 2}, "WaitIntervalInSeconds": 300},
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": {"Ref": errors_id}},
                                                 {"AlarmName": {"Ref": latency_id}}]},
    }


def test_a_rolling_update_with_every_option_and_given_alarms(stack: cdk.Stack) -> None:
    given = cloudwatch.Alarm.from_alarm_name(stack, "Given", "errors-of-everything")
    built = component(stack, copy_count=4, deployment=ComponentRollingUpdate(
        maximum_batch_size=CopyBatchSize.percent(25), wait_interval=SECONDS(600),
        maximum_execution_timeout=SECONDS(3600), rollback_maximum_batch_size=CopyBatchSize("COPY_COUNT", 2),
        rollback_alarms=[given]))
    assert built.rollback_alarms == [given]
    assert resources(stack, "AWS::CloudWatch::Alarm") == {}
    [ic] = resources(stack, "AWS::SageMaker::InferenceComponent").values()
    assert ic["Properties"]["DeploymentConfig"] == {
        "RollingUpdatePolicy": {
            "MaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 25},
            "WaitIntervalInSeconds": 600,
            "MaximumExecutionTimeoutInSeconds": 3600,
            "RollbackMaximumBatchSize": {"Type": "COPY_COUNT", "Value": 2},
        },
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "errors-of-everything"}]},
    }


def test_without_a_rolling_update_there_is_no_deployment_config_nor_alarm(stack: cdk.Stack) -> None:
    built = component(stack, copy_count=4)
    assert built.rollback_alarms == []
    [ic] = resources(stack, "AWS::SageMaker::InferenceComponent").values()
    assert "DeploymentConfig" not in ic["Properties"]
    assert resources(stack, "AWS::CloudWatch::Alarm") == {}


ALARMS = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:"


def test_a_rolling_update_lets_the_models_and_the_configs_roles_read_its_alarms_first(
    regional_stack: cdk.Stack,
) -> None:
    """SageMaker reads the auto-rollback alarms as an execution role: which one deploys a
    component is not documented, so the model's and the hosting config's both may, these alarms only."""
    built = component(regional_stack, copy_count=4,
                      deployment=ComponentRollingUpdate(maximum_batch_size=CopyBatchSize.copies(2)))
    name = built.inference_component_name
    statement = {"Action": "cloudwatch:DescribeAlarms", "Effect": "Allow",
                 "Resource": [f"{ALARMS}{name}-5xx", f"{ALARMS}{name}-latency"]}
    model_policy = built.model.node.find_child("Policy")
    hosting_role = cast(Endpoint, built.endpoint).endpoint_config
    assert isinstance(hosting_role, EndpointConfig) and hosting_role.execution_role is not None
    role_policy = hosting_role.execution_role.node.find_child("Policy")
    [ic] = resources(regional_stack, "AWS::SageMaker::InferenceComponent").values()
    for policy in (model_policy, role_policy):
        assert isinstance(policy, iam.ManagedPolicy)
        assert describe_alarms(regional_stack, policy) == [statement]
        # The component is created and updated after the grant.
        assert regional_stack.get_logical_id(policy.node.default_child) in ic["DependsOn"]


def test_the_wiring_check_fails_a_rolling_update_whose_roles_cannot_read_its_alarms(
    regional_stack: cdk.Stack,
) -> None:
    component(regional_stack, copy_count=4, deployment=rolling(CopyBatchSize.copies(2)))
    template = Template.from_stack(regional_stack).to_json()
    # The stack's literal alarm ARNs are its own only where it deploys.
    where = {"TestStack": Environment.parse("aws://123456789012/us-east-1")}
    assert check_wiring({"TestStack": template}, where) == []
    for policy in template["Resources"].values():
        if policy["Type"] == "AWS::IAM::ManagedPolicy":
            document = policy["Properties"]["PolicyDocument"]
            document["Statement"] = [s for s in document["Statement"] if s["Action"] != "cloudwatch:DescribeAlarms"]
    findings = check_wiring({"TestStack": template}, where)
    # The model's role and the hosting config's: which of them SageMaker uses is not documented.
    assert sorted((f.logical_id[:-8], f.target[:-8], f.reason.split(" as ")[0][:-9]) for f in findings) == [
        ("Component", role, f"SageMaker reads the rollback alarm ${{TestStack/Component{alarm}")
        for role in ("TestStack/EndpointConfigExecutionRole", "TestStack/ModelRole")
        for alarm in ("5xxalarm", "latencyalarm")
    ]


def test_given_alarms_are_read_by_their_arn(regional_stack: cdk.Stack) -> None:
    given = cloudwatch.Alarm.from_alarm_name(regional_stack, "Given", "errors-of-everything")
    built = component(regional_stack, copy_count=4,
                      deployment=rolling(CopyBatchSize.percent(50), rollback_alarms=[given]))
    policy = built.model.node.find_child("Policy")
    assert isinstance(policy, iam.ManagedPolicy)
    assert describe_alarms(regional_stack, policy) == [{
        "Action": "cloudwatch:DescribeAlarms", "Effect": "Allow", "Resource": f"{ALARMS}errors-of-everything"}]


def test_without_a_rolling_update_no_role_may_read_alarms(stack: cdk.Stack) -> None:
    built = component(stack, copy_count=4)
    for policy in resources(stack, "AWS::IAM::ManagedPolicy").values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert "cloudwatch:DescribeAlarms" not in [s["Action"] for s in statements]
    with pytest.raises(ValidationError, match=r"TestStack/Component: deployment must be given \(a component without "
                       r"a rolling update has no rollback alarms to read\), got None"):
        built.grant_read_rollback_alarms(built.model)


def test_on_an_imported_endpoint_a_warning_says_to_grant_the_configs_role(regional_stack: cdk.Stack) -> None:
    stack = regional_stack
    built = component(stack, endpoint=Endpoint.from_endpoint_name(stack, "Gpu", "gpu"), copy_count=4,
                      deployment=rolling(CopyBatchSize.percent(50)))
    role = iam.Role(stack, "HostingRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    built.grant_read_rollback_alarms(role)
    policy = role.node.find_child("ManagedGrants")
    assert isinstance(policy, iam.ManagedPolicy)
    name = built.inference_component_name
    assert describe_alarms(stack, policy) == [{"Action": "cloudwatch:DescribeAlarms", "Effect": "Allow",
                                               "Resource": [f"{ALARMS}{name}-5xx", f"{ALARMS}{name}-latency"]}]
    Annotations.from_stack(stack).has_warning("/TestStack/Component", Match.string_like_regexp(
        r"^The hosting endpoint is imported, so its config's execution role is unknown: grant it with "
        r"grant_read_rollback_alarms\(role\)"))


def rolling(size: CopyBatchSize, **props: Any) -> ComponentRollingUpdate:
    return ComponentRollingUpdate(maximum_batch_size=size, **props)


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"deployment": rolling(CopyBatchSize.copies(1))},
         r"TestStack/Component: deployment must be given for a component of at least 2 copies at every update "
         r"\(copy_count, and auto_scaling.min_copies when lower\): a step replaces at most half, got 1"),
        ({"copy_count": 0, "deployment": rolling(CopyBatchSize.percent(50))},
         r"deployment must be given for a component of at least 2 copies .*, got 0"),
        ({"copy_count": 4, "auto_scaling": CopyAutoScaling(min_copies=1, max_copies=4, target_invocations_per_copy=9),
          "deployment": rolling(CopyBatchSize.copies(1))},
         r"deployment must be given for a component of at least 2 copies .*, got 1"),
        ({"copy_count": 4, "auto_scaling": CopyAutoScaling(min_copies=0, max_copies=4, target_invocations_per_copy=9),
          "deployment": rolling(CopyBatchSize.copies(1))},
         r"deployment must be given for a component of at least 2 copies .*, got 0"),
        ({"copy_count": 4, "deployment": rolling(CopyBatchSize.copies(3))},
         r"deployment.maximum_batch_size.value \(copies\) must be between 1 and 2 "
         r"\(5-50% of the 4 copies the component has at least\), got 3"),
        ({"copy_count": 40, "deployment": rolling(CopyBatchSize.copies(1))},
         r"deployment.maximum_batch_size.value \(copies\) must be between 2 and 20 .*, got 1"),
        ({"copy_count": 4, "deployment": rolling(CopyBatchSize.copies(0))},
         r"deployment.maximum_batch_size.value must be at least 1, got 0"),
        ({"copy_count": 4, "deployment": rolling(CopyBatchSize.copies(1.5))},  # type: ignore[arg-type]
         r"deployment.maximum_batch_size.value must be an integer of at least 1, got 1.5"),
        ({"copy_count": 4, "deployment": rolling(CopyBatchSize.percent(4))},
         r"deployment.maximum_batch_size.value \(percent\) must be between 5 and 50, got 4"),
        ({"copy_count": 4, "deployment": rolling(CopyBatchSize.percent(51))},
         r"deployment.maximum_batch_size.value \(percent\) must be between 5 and 50, got 51"),
        ({"copy_count": 4, "deployment": rolling(CopyBatchSize.percent(50),
                                                 rollback_maximum_batch_size=CopyBatchSize.percent(101))},
         r"deployment.rollback_maximum_batch_size.value \(percent\) must be between 1 and 100, got 101"),
        ({"copy_count": 4, "deployment": rolling(CopyBatchSize.percent(50),
                                                 rollback_maximum_batch_size=CopyBatchSize.copies(0))},
         r"deployment.rollback_maximum_batch_size.value \(copies\) must be at least 1, got 0"),
        ({"copy_count": 4, "deployment": rolling(CopyBatchSize.percent(50), wait_interval=SECONDS(3601))},
         r"deployment.wait_interval \(seconds\) must be between 0 and 3600, got 3601"),
        ({"copy_count": 4, "deployment": rolling(CopyBatchSize.percent(50), maximum_execution_timeout=SECONDS(599))},
         r"deployment.maximum_execution_timeout \(seconds\) must be between 600 and 28800, got 599"),
        ({"copy_count": 10, "deployment": rolling(CopyBatchSize.copies(2), maximum_execution_timeout=SECONDS(1500))},
         r"deployment.maximum_execution_timeout \(seconds\) must be greater than the waits it covers: 5 batch\(es\) "
         r"of wait_interval \(300 s\), 1500 s in all, got 1500"),
        ({"copy_count": 40, "deployment": rolling(CopyBatchSize.percent(5), wait_interval=SECONDS(600),
                                                  maximum_execution_timeout=SECONDS(1200))},
         r"deployment.maximum_execution_timeout \(seconds\) must be greater than the waits it covers: 2 batch\(es\) "
         r"of wait_interval \(600 s\), 1200 s in all, got 1200"),
        ({"copy_count": 4, "deployment": rolling(CopyBatchSize.percent(50), rollback_alarms=[])},
         r"deployment.rollback_alarms must be between 1 and 10 entries long, got 0"),
    ],
)
def test_rolling_updates_refuse_what_sagemaker_refuses(stack: cdk.Stack, props: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        component(stack, **props)


def test_a_timeout_longer_than_the_fewest_batches_waits_is_accepted(stack: cdk.Stack) -> None:
    """Autoscaling may leave 4 copies (2 batches of 2, 600 s of waits), so 601 s may be enough."""
    component(stack, copy_count=10, auto_scaling=CopyAutoScaling(min_copies=4, max_copies=10,
                                                                 target_invocations_per_copy=9),
              deployment=rolling(CopyBatchSize.copies(2), maximum_execution_timeout=SECONDS(601)))
    [ic] = resources(stack, "AWS::SageMaker::InferenceComponent").values()
    assert ic["Properties"]["DeploymentConfig"]["RollingUpdatePolicy"]["MaximumExecutionTimeoutInSeconds"] == 601


def test_eleven_rollback_alarms_are_refused(stack: cdk.Stack) -> None:
    alarms = [cloudwatch.Alarm.from_alarm_name(stack, f"A{i}", f"a{i}") for i in range(11)]
    with pytest.raises(ValidationError, match=r"deployment.rollback_alarms must be between 1 and 10 entries long, "
                                              r"got 11"):
        component(stack, copy_count=4, deployment=rolling(CopyBatchSize.percent(50), rollback_alarms=alarms))


def test_a_batch_size_type_is_taken_by_value(stack: cdk.Stack) -> None:
    component(stack, copy_count=4, deployment=rolling(CopyBatchSize("CAPACITY_PERCENT", 50)))
    [ic] = resources(stack, "AWS::SageMaker::InferenceComponent").values()
    policy = ic["Properties"]["DeploymentConfig"]["RollingUpdatePolicy"]
    assert policy["MaximumBatchSize"] == {"Type": "CAPACITY_PERCENT", "Value": 50}


@pytest.mark.parametrize("field", ["maximum_batch_size", "rollback_maximum_batch_size"])
def test_an_unknown_batch_size_type_is_refused_naming_the_component(stack: cdk.Stack, field: str) -> None:
    sizes = {"maximum_batch_size": CopyBatchSize.copies(1), field: CopyBatchSize("COPIES", 1)}
    with pytest.raises(ValidationError, match=rf"TestStack/Component: deployment.{field}.type must be one of "
                                              r"'COPY_COUNT', 'CAPACITY_PERCENT', got 'COPIES'"):
        component(stack, copy_count=4, deployment=ComponentRollingUpdate(**sizes))


def test_a_copy_count_token_leaves_the_step_to_sagemaker(stack: cdk.Stack) -> None:
    count = cdk.CfnParameter(stack, "Copies", type="Number").value_as_number
    component(stack, copy_count=count, deployment=rolling(CopyBatchSize.copies(7)))
    [ic] = resources(stack, "AWS::SageMaker::InferenceComponent").values()
    assert ic["Properties"]["DeploymentConfig"]["RollingUpdatePolicy"]["MaximumBatchSize"]["Value"] == 7


def test_metrics_name_the_component(stack: cdk.Stack) -> None:
    built = component(stack)
    rendered = {
        metric.metric_name: (metric.namespace, metric.statistic, metric.dimensions)
        for metric in (
            built.metric_invocations(), built.metric_invocations_per_copy(), built.metric_model_latency(),
            built.metric_5xx_errors(), built.metric_4xx_errors(), built.metric_gpu_utilization(),
            built.metric_gpu_memory_utilization(), built.metric_cpu_utilization(),
            built.metric_memory_utilization(), built.metric_no_capacity_invocation_failures(),
        )
    }
    dimension = {"InferenceComponentName": "TestStack-Component-4D937385"}
    assert rendered == {
        "Invocations": ("AWS/SageMaker", "Sum", dimension),
        "InvocationsPerCopy": ("AWS/SageMaker", "Sum", dimension),
        "ModelLatency": ("AWS/SageMaker", "Average", dimension),
        "Invocation5XXErrors": ("AWS/SageMaker", "Sum", dimension),
        "Invocation4XXErrors": ("AWS/SageMaker", "Sum", dimension),
        "GPUUtilizationNormalized": ("/aws/sagemaker/InferenceComponents", "Average", dimension),
        "GPUMemoryUtilizationNormalized": ("/aws/sagemaker/InferenceComponents", "Average", dimension),
        "CPUUtilizationNormalized": ("/aws/sagemaker/InferenceComponents", "Average", dimension),
        "MemoryUtilizationNormalized": ("/aws/sagemaker/InferenceComponents", "Average", dimension),
        "NoCapacityInvocationFailures": ("AWS/SageMaker", "Sum", dimension),
    }


def test_grant_invoke_is_on_the_hosting_endpoint(stack: cdk.Stack) -> None:
    built = component(stack)
    caller = iam.Role(stack, "Caller", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    built.grant_invoke(caller)
    Template.from_stack(stack).has_resource_properties("AWS::IAM::ManagedPolicy", {
        "PolicyDocument": {"Statement": [{
            "Action": "sagemaker:InvokeEndpoint", "Effect": "Allow", "Resource": {"Ref": "Endpoint"},
        }]},
    })


def test_import_by_name(stack: cdk.Stack) -> None:
    endpoint = hosting(stack)
    imported = InferenceComponent.from_inference_component_name(stack, "Imported", "llm-large", endpoint=endpoint)
    assert imported.inference_component_name == "llm-large"
    assert imported.endpoint is endpoint
    with pytest.raises(ValidationError, match=r"TestStack: inference_component_name must be 1-63"):
        InferenceComponent.from_inference_component_name(stack, "Bad", "llm_large", endpoint=endpoint)


def test_on_an_imported_endpoint_the_variant_and_type_are_given(stack: cdk.Stack) -> None:
    endpoint = Endpoint.from_endpoint_name(stack, "Shared", "shared-gpu")
    built = component(stack, endpoint=endpoint)
    assert (built.variant_name, built.instance_type) == ("AllTraffic", None)  # nothing to check against
    Template.from_stack(stack).has_resource_properties("AWS::SageMaker::InferenceComponent", {
        "EndpointName": "shared-gpu", "VariantName": "AllTraffic",
    })
    with pytest.raises(ValidationError, match=r"compute.accelerator_devices must be at most 1 \(ml.g6.xlarge"):
        component(stack, "Second", endpoint=endpoint, variant_name="Blue", instance_type="ml.g6.xlarge",
                  compute=ComputeRequirements(accelerator_devices=2, min_memory_mb=1024))


def test_refuses_an_endpoint_whose_variant_serves_a_model(stack: cdk.Stack) -> None:
    config = EndpointConfig(stack, "ModelConfig", variants=[InstanceVariant(model=model(stack))])
    endpoint = Endpoint(stack, "Serving", endpoint_config=config, deployment=None)
    with pytest.raises(ValidationError, match=r"TestStack/Component: endpoint must be an endpoint whose variant "
                       r"AllTraffic hosts inference components \(no model\), got 'TestStack/Serving'"):
        component(stack, endpoint=endpoint, model=model(stack, "Other"))


def test_refuses_a_realtime_endpoint_whose_variant_serves_a_model(stack: cdk.Stack) -> None:
    """The facade is checked through the Endpoint it declares."""
    endpoint = RealtimeEndpoint(stack, "Serving", variants=[InstanceVariant(model=model(stack))])
    with pytest.raises(ValidationError, match=r"TestStack/Component: endpoint must be an endpoint whose variant "
                       r"AllTraffic hosts inference components \(no model\), got 'TestStack/Serving'"):
        component(stack, endpoint=endpoint, model=model(stack, "Other"))


# -- endpoint configs that host components -----------------------------------------------------


def test_a_component_hosting_config_exactly(stack: cdk.Stack) -> None:
    config = EndpointConfig(stack, "Config", variants=[InstanceVariant(
        instance_type="ml.g5.12xlarge", initial_instance_count=2,
        managed_instance_scaling=ManagedInstanceScaling(min_instances=1, max_instances=4),
        routing_strategy="LEAST_OUTSTANDING_REQUESTS",
    )])
    [(config_id, rendered)] = resources(stack, "AWS::SageMaker::EndpointConfig").items()
    assert rendered["Properties"] == {
        "ExecutionRoleArn": {"Fn::GetAtt": ["ConfigExecutionRole0B28499E", "Arn"]},
        "ProductionVariants": [{
            "VariantName": "AllTraffic",
            "InstanceType": "ml.g5.12xlarge",
            "InitialInstanceCount": 2,
            "InitialVariantWeight": 1,
            "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": 1, "MaxInstanceCount": 4},
            "RoutingConfig": {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"},
        }],
    }
    # SageMaker checks the role when it creates the config: the role's policy exists first.
    assert rendered["DependsOn"] == ["ConfigExecutionRolePolicy29CE6104"]
    assert config.execution_role is not None and config_id == "Config"


def test_the_default_execution_role_publishes_metrics_only_until_an_endpoint_grants_its_logs(
        stack: cdk.Stack) -> None:
    EndpointConfig(stack, "Config", variants=[InstanceVariant(instance_type="ml.g5.xlarge")])
    [role] = resources(stack, "AWS::IAM::Role").values()
    assert role["Properties"]["AssumeRolePolicyDocument"]["Statement"] == [{
        "Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"},
    }]
    [policy] = resources(stack, "AWS::IAM::ManagedPolicy").values()
    # The log group is the endpoint's to grant (test_endpoint_logs.py): no endpoint, no logs.
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [{
        "Action": "cloudwatch:PutMetricData", "Effect": "Allow", "Resource": "*",
        "Condition": {"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}},
    }]


def test_a_given_execution_role_is_used(stack: cdk.Stack) -> None:
    role = iam.Role.from_role_arn(stack, "Given", "arn:aws:iam::123456789012:role/hosting", mutable=False)
    config = EndpointConfig(stack, "Config", variants=[InstanceVariant(instance_type="ml.g5.xlarge")],
                            execution_role=role)
    assert config.execution_role is role
    Template.from_stack(stack).has_resource_properties("AWS::SageMaker::EndpointConfig", {
        "ExecutionRoleArn": "arn:aws:iam::123456789012:role/hosting",
    })
    assert not resources(stack, "AWS::IAM::Role")


def test_a_config_that_serves_models_gets_no_execution_role(stack: cdk.Stack) -> None:
    config = EndpointConfig(stack, "Config", variants=[InstanceVariant(model=model(stack))])
    assert config.execution_role is None
    [rendered] = resources(stack, "AWS::SageMaker::EndpointConfig").values()
    assert "ExecutionRoleArn" not in rendered["Properties"]


@pytest.mark.parametrize(
    ("variant", "message"),
    [
        ({"managed_instance_scaling": ManagedInstanceScaling(min_instances=-1, max_instances=2)},
         r"TestStack/Config: variants\[0\].managed_instance_scaling.min_instances must be at least 0, got -1"),
        ({"managed_instance_scaling": ManagedInstanceScaling(max_instances=0, min_instances=0),
          "initial_instance_count": 1},
         r"variants\[0\].managed_instance_scaling.max_instances must be at least 1, got 0"),
        ({"managed_instance_scaling": ManagedInstanceScaling(max_instances=2.5)},  # type: ignore[arg-type]
         r"managed_instance_scaling.max_instances must be an integer of at least 1, got 2.5"),
        ({"managed_instance_scaling": ManagedInstanceScaling(min_instances=3, max_instances=2)},
         r"managed_instance_scaling.max_instances must be at least min_instances \(3\), got 2"),
        ({"managed_instance_scaling": ManagedInstanceScaling(min_instances=2, max_instances=3)},
         r"variants\[0\].initial_instance_count must be between managed_instance_scaling.min_instances and "
         r"max_instances \(2-3\), got 1"),
        ({"routing_strategy": "KV_AWARE"},
         r"InstanceVariant 'AllTraffic': routing_strategy must be one of 'LEAST_OUTSTANDING_REQUESTS', 'RANDOM', "
         r"got 'KV_AWARE'"),
    ],
)
def test_component_hosting_variants_refuse_what_sagemaker_refuses(
    stack: cdk.Stack, variant: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        EndpointConfig(stack, "Config", variants=[InstanceVariant(instance_type="ml.g5.xlarge", **variant)])


def test_managed_instance_scaling_is_for_component_hosting_variants_only(stack: cdk.Stack) -> None:
    with pytest.raises(ValidationError, match=r"variants\[0\].managed_instance_scaling must be None on a variant "
                       r"that serves a model"):
        EndpointConfig(stack, "Config", variants=[InstanceVariant(
            model=model(stack), managed_instance_scaling=ManagedInstanceScaling(max_instances=2))])


def test_routing_applies_to_any_instance_variant(stack: cdk.Stack) -> None:
    EndpointConfig(stack, "Config", variants=[InstanceVariant(model=model(stack),
                                                              routing_strategy=RoutingStrategy.RANDOM)])
    Template.from_stack(stack).has_resource_properties("AWS::SageMaker::EndpointConfig", {
        "ProductionVariants": [Match.object_like({"RoutingConfig": {"RoutingStrategy": "RANDOM"}})],
    })


# -- Elastic Inference migration ---------------------------------------------------------------


def ei_model(scope: Construct) -> Model:
    bucket = s3.Bucket.from_bucket_name(scope, "LegacyArtifacts", "artifacts")
    return Model(scope, "Legacy", container=ContainerDefinition(
        image=ContainerImage.sagemaker_builtin(Framework.PYTORCH_EI, "1.5.1"),
        model_data=ModelData.from_bucket(bucket, "legacy/model.tar.gz"),
    ))


def test_an_ei_variant_warns_with_the_declaration_that_replaces_it(stack: cdk.Stack) -> None:
    EndpointConfig(stack, "Config", variants=[InstanceVariant(
        model=ei_model(stack), accelerator=ElasticInferenceAccelerator.EIA2_MEDIUM)])
    [warning] = Annotations.from_stack(stack).find_warning("/TestStack/Config", Match.any_value())
    text = warning.entry.data
    assert "Elastic Inference reached end of life" in text
    assert ("Replace it with InferenceComponent(scope, id, endpoint=<a component-hosting endpoint on "
            "ml.g4dn.xlarge>, model=<TestStack/Legacy>, compute=ComputeRequirements(accelerator_devices=1, "
            "min_memory_mb=2048)), or InferenceComponent.from_elastic_inference_variant(") in text


def test_an_ei_variant_becomes_a_component_of_the_same_model(stack: cdk.Stack) -> None:
    served = model(stack)
    variant = InstanceVariant(model=served, instance_type=InstanceType.M5_LARGE, initial_instance_count=3,
                              accelerator=ElasticInferenceAccelerator.EIA2_LARGE,
                              container_startup_health_check_timeout=SECONDS(900))
    built = InferenceComponent.from_elastic_inference_variant(
        stack, "Migrated", variant=variant, endpoint=hosting(stack, "ml.g4dn.xlarge")
    )
    assert built.model is served
    assert built.instance_type is not None and built.instance_type.name == "ml.g4dn.xlarge"
    Template.from_stack(stack).has_resource_properties("AWS::SageMaker::InferenceComponent", {
        "Specification": {
            "ModelName": {"Fn::GetAtt": [Match.string_like_regexp("^Model"), "ModelName"]},
            "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 4096, "NumberOfAcceleratorDevicesRequired": 1},
            "StartupParameters": {"ContainerStartupHealthCheckTimeoutInSeconds": 900},
        },
        "RuntimeConfig": {"CopyCount": 3},
    })
    assert not Annotations.from_stack(stack).find_warning("/TestStack/Migrated", Match.any_value())


def test_on_an_imported_endpoint_the_migration_suggests_g4dn(stack: cdk.Stack) -> None:
    variant = InstanceVariant(model=model(stack), accelerator="ml.eia1.medium")
    built = InferenceComponent.from_elastic_inference_variant(
        stack, "Migrated", variant=variant, endpoint=Endpoint.from_endpoint_name(stack, "Gpu", "gpu")
    )
    assert built.instance_type is not None and built.instance_type.name == "ml.g4dn.xlarge"
    assert built.compute == ComputeRequirements(accelerator_devices=1, min_memory_mb=1024)


def test_migrating_an_ei_image_warns_to_switch_to_the_gpu_image(stack: cdk.Stack) -> None:
    variant = InstanceVariant(model=ei_model(stack), accelerator=ElasticInferenceAccelerator.EIA2_MEDIUM)
    InferenceComponent.from_elastic_inference_variant(stack, "Migrated", variant=variant, endpoint=hosting(stack))
    Annotations.from_stack(stack).has_warning(
        "/TestStack/Migrated", Match.string_like_regexp("TestStack/Legacy runs an Elastic Inference image.*GPU image")
    )


def test_the_migration_helper_refuses_a_variant_without_ei(stack: cdk.Stack) -> None:
    variant = InstanceVariant(model=model(stack))
    with pytest.raises(ValidationError, match=r"TestStack: variant.accelerator must be set .*, got None"):
        InferenceComponent.from_elastic_inference_variant(
            stack, "Migrated", variant=variant, endpoint=hosting(stack)
        )


@pytest.mark.parametrize(
    ("accelerator", "memory"),
    [("ml.eia1.medium", 1024), ("ml.eia1.large", 2048), ("ml.eia1.xlarge", 4096),
     ("ml.eia2.medium", 2048), ("ml.eia2.large", 4096), ("ml.eia2.xlarge", 8192)],
)
def test_ei_accelerator_memory(accelerator: str, memory: int) -> None:
    assert accelerator_memory_mb(accelerator) == memory
    assert accelerator_memory_mb(ElasticInferenceAccelerator(accelerator)) == memory


def test_the_replacement_declaration_names_the_model_and_the_memory() -> None:
    text = replacement_declaration("Stack/Model", ElasticInferenceAccelerator.EIA1_XLARGE)
    assert text.startswith("InferenceComponent(scope, id, endpoint=<a component-hosting endpoint on ml.g4dn.xlarge>")
    assert "model=<Stack/Model>" in text
    assert "compute=ComputeRequirements(accelerator_devices=1, min_memory_mb=4096)" in text
    assert "InferenceComponent.from_elastic_inference_variant(" in text
