"""SharedAcceleratorStack: off by default; when enabled, three components on one GPU endpoint pass the gate."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from stacks import build_app, cdk_json_context
from tests.conftest import REPO
from tests.test_app import acknowledgments

STACK = "inference-shared-accelerator"
_LOG_GROUP = "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:"
#: The streams of the endpoint's own log group, granted by the endpoint to the config's execution role.
_LOGS = f"{_LOG_GROUP}/aws/sagemaker/Endpoints/inferencesharedaccelerator-Endpoint-D905760B:*]"
#: The components' names: two always keep two copies or more, one scales to zero.
CLASSIFIER = "inferencesharedaccelerator-Classifier-97801EDF"
EMBEDDER = "inferencesharedaccelerator-Embedder-60046B67"
ON_DEMAND = "inferencesharedaccelerator-Reranker-8AC48E4B"
ALWAYS_SERVED = (CLASSIFIER, EMBEDDER)


def _component_logs(name: str) -> str:
    """The streams of a component's log group, granted by the component to its model and the config's role."""
    return f"{_LOG_GROUP}/aws/sagemaker/InferenceComponents/{name}:*]"


_CLASSIFIER_LOGS, _EMBEDDER_LOGS, _RERANKER_LOGS = map(_component_logs, (CLASSIFIER, EMBEDDER, ON_DEMAND))
_KMS = [f"{pack}-SageMakerEndpointConfigurationKMSKeyConfigured" for pack in ("HIPAA.Security", "NIST.800.53.R5",
                                                                            "PCI.DSS.321")]
#: The rollback alarms only roll updates back; they notify no one.
_ALARM_ACTION = ["HIPAA.Security-CloudWatchAlarmAction", "NIST.800.53.R5-CloudWatchAlarmAction"]
#: Every acknowledgment in the stack, by construct path: a new one must be added here on purpose.
REVIEWED = {
    # Each log-stream wildcard on the managed policy that holds the statement.
    f"{STACK}/EndpointConfig/ExecutionRole/Policy": ["AwsSolutions-IAM5[Resource::*]", _LOGS, _CLASSIFIER_LOGS,
                                                     _EMBEDDER_LOGS, _RERANKER_LOGS],
    f"{STACK}/EndpointConfig/Default": _KMS,  # ml.g5 has local NVMe storage: SageMaker refuses a key
    f"{STACK}/EndpointConfig": ["cdk-sagemaker-inference:endpointNoKmsKey"],
    f"{STACK}/ClassifierModel/Policy": ["AwsSolutions-IAM5[Resource::*]", _CLASSIFIER_LOGS],
    f"{STACK}/EmbedderModel/Policy": ["AwsSolutions-IAM5[Resource::*]", _EMBEDDER_LOGS],
    f"{STACK}/RerankerModel/Policy": ["AwsSolutions-IAM5[Resource::*]", _RERANKER_LOGS],
    **{f"{STACK}/{component}/{alarm}-alarm": _ALARM_ACTION for component in ("Classifier", "Embedder")
       for alarm in ("5xx", "latency")},
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> cdk.App:
    """The reference app with the shared-accelerator stack only (and shared resources), gated and synthesized."""
    context = {**cdk_json_context(), "include_shared_accelerator": "true", "include_realtime": False,
               "include_registry": False}
    built = build_app(context, outdir=str(tmp_path_factory.mktemp("cdk.out")))
    built.synth()  # the compliance gate passes with the stack in the app
    return built


@pytest.fixture(scope="module")
def template(app: cdk.App) -> Template:
    return Template.from_stack(app.node.find_child(STACK))  # type: ignore[arg-type]


def test_the_stack_is_off_by_default(reference_app: cdk.App) -> None:
    assert reference_app.node.try_find_child(STACK) is None


def test_one_model_less_gpu_variant_with_managed_scaling(template: Template) -> None:
    [config] = template.find_resources("AWS::SageMaker::EndpointConfig").values()
    [variant] = config["Properties"]["ProductionVariants"]
    assert variant == {
        "VariantName": "AllTraffic",
        "InstanceType": "ml.g5.12xlarge",
        "InitialInstanceCount": 1,
        "InitialVariantWeight": 1,
        "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": 1, "MaxInstanceCount": 3},
        "RoutingConfig": {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"},
    }
    assert "ExecutionRoleArn" in config["Properties"]


def test_three_components_share_the_endpoint(template: Template) -> None:
    components: dict[str, Any] = template.find_resources("AWS::SageMaker::InferenceComponent")
    endpoints = template.find_resources("AWS::SageMaker::Endpoint")
    [(endpoint_id, endpoint)] = endpoints.items()
    models = {props["Properties"]["Specification"]["ModelName"]["Fn::GetAtt"][0] for props in components.values()}
    assert len(models) == 3
    copies = {}
    for component in components.values():
        properties = component["Properties"]
        assert properties["EndpointName"] == endpoint["Properties"]["EndpointName"]
        assert endpoint_id in component["DependsOn"]
        assert properties["Specification"]["ComputeResourceRequirements"] == {
            "MinMemoryRequiredInMb": 8192, "NumberOfAcceleratorDevicesRequired": 1, "NumberOfCpuCoresRequired": 4,
        }
        copies[properties["InferenceComponentName"]] = properties["RuntimeConfig"]["CopyCount"]
    assert copies == {**dict.fromkeys(ALWAYS_SERVED, 2), ON_DEMAND: 0}


def test_the_always_served_components_roll_their_updates_one_copy_at_a_time(template: Template) -> None:
    alarms = {alarm["Properties"]["AlarmName"]: (logical_id, alarm["Properties"])
              for logical_id, alarm in template.find_resources("AWS::CloudWatch::Alarm").items()}
    for component in ALWAYS_SERVED:
        (errors, errors_alarm), (latency, _) = alarms[f"{component}-5xx"], alarms[f"{component}-latency"]
        template.has_resource_properties("AWS::SageMaker::InferenceComponent", {
            "InferenceComponentName": component,
            "DeploymentConfig": {
                "RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1},
                                        "WaitIntervalInSeconds": 300},
                "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": {"Ref": errors}},
                                                         {"AlarmName": {"Ref": latency}}]},
            },
        })
        assert errors_alarm["Dimensions"] == [{"Name": "InferenceComponentName", "Value": component}]
        assert errors_alarm["MetricName"] == "Invocation5XXErrors"
    assert sorted(alarms) == sorted([f"{c}-{s}" for c in ALWAYS_SERVED for s in ("5xx", "latency")]
                                    + [f"{ON_DEMAND}-no-capacity"])


def test_each_component_scales_its_copies_and_the_reranker_scales_to_zero(template: Template) -> None:
    targets = template.find_resources("AWS::ApplicationAutoScaling::ScalableTarget")
    bounds = {t["Properties"]["ResourceId"]: (t["Properties"]["MinCapacity"], t["Properties"]["MaxCapacity"])
              for t in targets.values()}
    assert bounds == {**{f"inference-component/{c}": (2, 4) for c in ALWAYS_SERVED},
                      f"inference-component/{ON_DEMAND}": (0, 2)}
    template.resource_properties_count_is("AWS::ApplicationAutoScaling::ScalingPolicy", {
        "TargetTrackingScalingPolicyConfiguration": Match.object_like({
            "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerInferenceComponentInvocationsPerCopy"},
            "TargetValue": 100,
        }),
    }, 3)
    [(wake_id, wake)] = template.find_resources("AWS::ApplicationAutoScaling::ScalingPolicy", {
        "Properties": {"PolicyType": "StepScaling"}}).items()
    [on_demand_target] = [k for k, t in targets.items() if t["Properties"]["MinCapacity"] == 0]
    assert wake["Properties"]["ScalingTargetId"] == {"Ref": on_demand_target}
    template.has_resource_properties("AWS::CloudWatch::Alarm", {
        "AlarmName": f"{ON_DEMAND}-no-capacity", "AlarmActions": [{"Ref": wake_id}],
        "MetricName": "NoCapacityInvocationFailures",
        "Dimensions": [{"Name": "InferenceComponentName", "Value": ON_DEMAND}],
    })


def test_the_models_run_pytorch_gpu_images_in_isolation(template: Template) -> None:
    models = template.find_resources("AWS::SageMaker::Model")
    assert len(models) == 3
    for model in models.values():
        assert model["Properties"]["EnableNetworkIsolation"] is True
        image = model["Properties"]["PrimaryContainer"]["Image"]
        assert "pytorch-inference:2.6.0-gpu-py312" in str(image)


def test_cfn_lint_passes_and_the_acknowledgments_are_the_reviewed_ones(app: cdk.App) -> None:
    sys.path.insert(0, str(REPO / "tools"))
    import compliance_gate

    outdir = Path(app.outdir)
    assert compliance_gate.validation_findings(outdir) == 0
    assert compliance_gate.cfn_lint([outdir / f"{STACK}.template.json"]) == []
    found = {path: rules for path, rules in acknowledgments(app).items() if path.startswith(f"{STACK}/")}
    assert {path: sorted(rules) for path, rules in found.items()} == {p: sorted(r) for p, r in REVIEWED.items()}
    assert all(len(reason) >= 40 for rules in found.values() for reason in rules.values())
