"""The reference app's stacks: what the example endpoint, the registry and the EI stack declare."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Annotations, Match, Template

from stacks import build_app, cdk_json_context
from stacks.realtime_inference_stack import RealtimeInferenceStack

from .test_model import PACKAGED
from .test_pipeline import statements


def _template(app: cdk.App, name: str) -> Template:
    return Template.from_stack(app.node.find_child(name))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def realtime(reference_app: cdk.App) -> Template:
    return _template(reference_app, "inference-realtime")


@pytest.fixture(scope="module")
def registry(reference_app: cdk.App) -> Template:
    return _template(reference_app, "inference-registry")


def test_the_example_pipeline_runs_three_isolated_containers_in_order(realtime: Template) -> None:
    (model,) = realtime.find_resources("AWS::SageMaker::Model").values()
    condition, packaged, declared = model["Properties"]["Containers"]["Fn::If"]
    assert condition == "ServedModelPackageArnIsSet"
    assert packaged == [PACKAGED]
    images = [c["Image"]["Fn::Join"][1][-1] for c in declared]
    assert images == ["/sagemaker-scikit-learn:1.2-1-cpu-py3", "/sagemaker-xgboost:1.7-1",
                      "/sagemaker-scikit-learn:1.2-1-cpu-py3"]
    assert [c["Environment"]["SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT"] for c in declared] == [
        "text/csv", "text/csv", "application/json"]
    assert declared[0]["Environment"]["SAGEMAKER_SUBMIT_DIRECTORY"] == "/opt/ml/model/code"
    assert model["Properties"]["EnableNetworkIsolation"] is True
    assert model["Properties"]["InferenceExecutionConfig"] == {
        "Fn::If": ["ServedModelPackageArnIsSet", {"Ref": "AWS::NoValue"}, {"Mode": "Serial"}]}


def test_the_served_version_is_a_parameter_that_defaults_to_the_example(realtime: Template) -> None:
    parameter = realtime.to_json()["Parameters"]["ServedModelPackageArn"]
    assert parameter["Default"] == ""
    assert "model-package/(inference-breast-cancer)/" in parameter["AllowedPattern"]


def test_the_endpoint_config_is_encrypted_and_captures_data(realtime: Template) -> None:
    shared_key = Match.object_like({"Fn::GetStackOutput": Match.object_like({"StackName": "inference-shared"})})
    realtime.has_resource_properties("AWS::SageMaker::EndpointConfig", {
        "KmsKeyId": shared_key,
        "ProductionVariants": [Match.object_like({
            "InstanceType": "ml.m5.large", "InitialInstanceCount": 2, "VariantName": "AllTraffic",
        })],
        "DataCaptureConfig": Match.object_like({
            "EnableCapture": True, "InitialSamplingPercentage": 20, "KmsKeyId": shared_key,
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        }),
    })


def test_the_endpoint_deploys_by_canary_with_rollback_alarms(realtime: Template) -> None:
    realtime.has_resource_properties("AWS::SageMaker::Endpoint", {
        "DeploymentConfig": {
            "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": Match.any_value()}] * 2},
            "BlueGreenUpdatePolicy": {
                "MaximumExecutionTimeoutInSeconds": 3600,
                "TerminationWaitInSeconds": 300,
                "TrafficRoutingConfiguration": {
                    "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
                    "Type": "CANARY",
                    "WaitIntervalInSeconds": 300,
                },
            },
        },
        "RetainAllVariantProperties": True,
    })
    metrics = sorted(a["Properties"]["MetricName"] for a in realtime.find_resources("AWS::CloudWatch::Alarm").values())
    assert metrics == ["Invocation5XXErrors", "ModelLatency"]


def test_the_endpoint_autoscales_on_invocations_per_instance(realtime: Template) -> None:
    realtime.has_resource_properties("AWS::ApplicationAutoScaling::ScalableTarget", {
        "MinCapacity": 2, "MaxCapacity": 4, "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
    })
    realtime.has_resource_properties("AWS::ApplicationAutoScaling::ScalingPolicy", {
        "TargetTrackingScalingPolicyConfiguration": Match.object_like({
            "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
            "TargetValue": 200,
        }),
    })


def test_the_registry_holds_the_example_as_a_pending_first_version(registry: Template) -> None:
    registry.has_resource("AWS::SageMaker::ModelPackageGroup", {
        "Properties": Match.object_like({"ModelPackageGroupName": "inference-breast-cancer"}),
        "DeletionPolicy": "Retain",
    })
    (version,) = registry.find_resources("AWS::SageMaker::ModelPackage").values()
    properties = version["Properties"]
    assert properties["ModelApprovalStatus"] == "PendingManualApproval"
    assert len(properties["InferenceSpecification"]["Containers"]) == 3
    assert properties["InferenceSpecification"]["SupportedContentTypes"] == ["text/csv"]
    assert properties["InferenceSpecification"]["SupportedResponseMIMETypes"] == ["application/json", "text/csv"]
    assert properties["ModelMetrics"]["ModelQuality"]["Statistics"]["ContentType"] == "application/json"
    assert properties["CustomerMetadataProperties"] == {
        "dataset": "sklearn-breast-cancer", "source": "examples/train.py"}


def test_approvals_of_the_group_redeploy_the_realtime_stack(registry: Template) -> None:
    registry.has_resource_properties("AWS::Events::Rule", {"EventPattern": {
        "detail": {
            "ModelPackageGroupName": ["inference-breast-cancer"],
            "ModelApprovalStatus": ["PendingManualApproval", "Approved", "Rejected"],
        },
        "detail-type": ["SageMaker Model Package State Change"],
        "source": ["aws.sagemaker"],
    }})
    deployer = [f for f in registry.find_resources("AWS::Lambda::Function").values()
                if "STACK_NAME" in str(f["Properties"].get("Environment"))]
    assert deployer, "no deployer function names the endpoint stack"
    assert "inference-realtime" in str(deployer[0]["Properties"]["Environment"])


def test_without_the_registry_the_endpoint_always_serves_the_example() -> None:
    app = build_app({**cdk_json_context(), "include_registry": False, "include_tuning": False,
                     "include_batch_transform": False})
    names = [child.node.id for child in app.node.children if isinstance(child, cdk.Stack)]
    assert names == ["inference-shared", "inference-realtime"]
    stack = app.node.find_child("inference-realtime")
    assert isinstance(stack, RealtimeInferenceStack) and stack.served_version is None
    template = Template.from_stack(stack).to_json()
    assert "Parameters" not in template or "ServedModelPackageArn" not in template["Parameters"]
    (model,) = (r for r in template["Resources"].values() if r["Type"] == "AWS::SageMaker::Model")
    assert len(model["Properties"]["Containers"]) == 3


def test_the_elastic_inference_stack_declares_the_accelerator_and_flags_it() -> None:
    app = build_app({**cdk_json_context(), "include_elastic_inference": "true", "include_registry": False})
    stack = app.node.find_child("inference-elastic-inference")
    Template.from_stack(stack).has_resource_properties(  # type: ignore[arg-type]
        "AWS::SageMaker::EndpointConfig",
        {"ProductionVariants": [
            Match.object_like({"AcceleratorType": "ml.eia2.medium", "InstanceType": "ml.m5.large"}),
        ]},
    )
    Annotations.from_stack(stack).has_warning(  # type: ignore[arg-type]
        "/inference-elastic-inference/Endpoint/EndpointConfig",
        Match.string_like_regexp("Elastic Inference reached end of life in April 2024.*inference components"),
    )
    app.synth()  # the compliance gate passes with the EI stack in the app


def test_the_registry_stack_outputs_the_approval_queue_where_an_operator_sends_an_event_again(
        registry: Template) -> None:
    """Issue 7 item 8: README's command to redeploy after a silent rollback sends to this queue."""
    (queue,) = [name for name in registry.find_resources("AWS::SQS::Queue")
                if name.startswith("ApprovalDeploymentQueue")]
    output = registry.to_json()["Outputs"]["ApprovalQueueUrl"]
    assert output["Value"] == {"Ref": queue}
    assert output["Description"] == ("The approval queue of inference-breast-cancer (FIFO, message group "
                                     "inference-breast-cancer)")


def test_a_redeploy_replaces_only_what_the_served_version_switch_role_may_replace(realtime: Template) -> None:
    """Issue 7 item 8: ServedModelPackageArnRedeploy reaches the Model alone (its replacement is a new
    EndpointConfig and an Endpoint update), and the switch role may create, delete and update those."""
    import json

    resources = realtime.to_json()["Resources"]
    users = {resource["Type"] for resource in resources.values()
             if "ServedModelPackageArnRedeploy" in json.dumps(resource)}
    assert users == {"AWS::SageMaker::Model"}
    actions = {action for statement in statements(realtime, "ServedVersionSwitchRole")
               for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])}
    assert {"sagemaker:CreateModel", "sagemaker:DeleteModel", "sagemaker:CreateEndpointConfig",
            "sagemaker:DeleteEndpointConfig", "sagemaker:UpdateEndpoint", "sagemaker:DescribeModelPackage",
            "iam:PassRole"} <= actions
