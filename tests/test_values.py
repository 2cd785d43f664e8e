"""Props take what their docstrings say (the enum or its string value) or refuse it in one short line."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template
from cdk_sagemaker_inference import (
    BlueGreenDeployment,
    ContainerDefinition,
    ContainerImage,
    DataCapture,
    ElasticInferenceAccelerator,
    InferenceExecutionMode,
    InferencePipelineModel,
    InstanceType,
    InstanceUse,
    InstanceVariant,
    RealtimeEndpoint,
    ServerlessVariant,
    TrafficRouting,
    ValidationError,
    VariantAutoScaling,
)

from tests.conftest import build_model

BOTOCORE_HOSTING_FAMILIES_SAMPLE = ["ml.p6-b200.48xlarge", "ml.p6e-gb200.36xlarge", "ml.g7e.2xlarge", "ml.c8g.large"]


def endpoint(stack: cdk.Stack, **variant: Any) -> RealtimeEndpoint:
    return RealtimeEndpoint(stack, "Endpoint", variants=[InstanceVariant(model=build_model(stack), **variant)])


def assert_one_short_line(error: pytest.ExceptionInfo[ValidationError]) -> None:
    message = str(error.value)
    assert "\n" not in message and len(message) < 300, message
    assert not re.search(r"0x[0-9a-f]{6,}|jsii|\{'", message), message


# -- strings where the docstring says "or its value" ------------------------------------------------


def test_instance_type_and_accelerator_as_strings_from_configuration(stack: cdk.Stack) -> None:
    RealtimeEndpoint(stack, "Endpoint", deployment=None, variants=[
        InstanceVariant(model=build_model(stack, elastic_inference_capable=True), instance_type="ml.m5.large",
                        accelerator="ml.eia2.medium")])
    Template.from_stack(stack).has_resource_properties("AWS::SageMaker::EndpointConfig", {"ProductionVariants": [
        Match.object_like({"InstanceType": "ml.m5.large", "AcceleratorType": "ml.eia2.medium"})]})


def test_pipeline_mode_as_its_value(stack: cdk.Stack) -> None:
    containers = [ContainerDefinition(image=ContainerImage.from_ecr_repository(
        ecr.Repository.from_repository_name(stack, f"R{i}", "r"), tag="1"), hostname=f"h{i}") for i in range(2)]
    pipeline = InferencePipelineModel(stack, "Pipeline", containers=containers, mode="Direct")
    assert pipeline.inference_execution_mode is InferenceExecutionMode.DIRECT


def test_an_unknown_accelerator_lists_the_six_types() -> None:
    six = "'ml.eia1.medium', 'ml.eia1.large', 'ml.eia1.xlarge', 'ml.eia2.medium', 'ml.eia2.large', 'ml.eia2.xlarge'"
    with pytest.raises(ValidationError, match=re.escape(
            f"ElasticInferenceAccelerator: value must be one of {six}, got 'ml.eia3.medium'")) as error:
        ElasticInferenceAccelerator("ml.eia3.medium")
    assert_one_short_line(error)
    with pytest.raises(ValidationError, match=re.escape(f"InstanceVariant 'Blue': accelerator must be one of {six}")):
        InstanceVariant(variant_name="Blue", accelerator="ml.eia3.medium")


@pytest.mark.parametrize(("value", "shown"), [("m5.large", "'m5.large'"), ("ml.x9.large", "'ml.x9.large'"),
                                              (42, "42")])
def test_a_bad_instance_type_is_one_line(value: Any, shown: str) -> None:
    got = re.escape(shown)
    with pytest.raises(ValidationError, match=rf"^InstanceVariant 'AllTraffic': instance_type must be .*, got {got}$") \
            as e:
        InstanceVariant(instance_type=value)
    assert_one_short_line(e)
    with pytest.raises(ValidationError, match=rf"^InstanceType.of: name must be .*, got {re.escape(shown)}$"):
        InstanceType.of(value)


# -- integers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("build", "message"), [
    (lambda s: endpoint(s, initial_instance_count=1.5),
     r"variants\[0\]\.initial_instance_count must be an integer of at least 1, got 1\.5$"),
    (lambda s: endpoint(s, initial_instance_count=True),
     r"variants\[0\]\.initial_instance_count must be an integer of at least 1, got True$"),
    (lambda s: endpoint(s, volume_size_gb=30.5),
     r"variants\[0\]\.volume_size_gb must be an integer between 1 and 512, got 30\.5$"),
    (lambda s: RealtimeEndpoint(s, "Endpoint", variants=[InstanceVariant(model=build_model(s))],
                                data_capture=DataCapture(bucket=s3.Bucket(s, "B"), sampling_percentage=50.5)),
     r"data_capture\.sampling_percentage must be an integer between 0 and 100, got 50\.5$"),
    (lambda s: endpoint(s, auto_scaling=VariantAutoScaling(max_capacity=2.5, target_invocations_per_instance=1)),
     r"variants\[0\]\.auto_scaling\.max_capacity must be an integer of at least 1, got 2\.5$"),
    (lambda s: RealtimeEndpoint(s, "Endpoint", variants=[
        ServerlessVariant(model=build_model(s, network_isolation=False), memory_size_mb=2048.0)]),
     r"variants\[0\]\.memory_size_mb must be an integer of at least 1024, got 2048\.0$"),
    (lambda s: RealtimeEndpoint(s, "Endpoint", variants=[InstanceVariant(model=build_model(s))],
                                deployment=BlueGreenDeployment(traffic_routing=TrafficRouting.canary(percent=12.5))),
     r"deployment\.traffic_routing\.percent \(canary\) must be an integer between 1 and 50, got 12\.5$"),
])
def test_integer_props_refuse_non_integers(stack: cdk.Stack, build: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as error:
        build(stack)
    assert_one_short_line(error)


# -- messages never print a whole object ------------------------------------------------------------


def test_errors_show_objects_by_name_not_by_address(stack: cdk.Stack) -> None:
    image = ContainerImage.from_ecr_repository(ecr.Repository.from_repository_name(stack, "R", "r"), tag="1")
    with pytest.raises(ValidationError) as error:
        ContainerDefinition(image=image, model_package_arn="arn:aws:sagemaker:us-east-1:123456789012:model-package/g/1")
    assert_one_short_line(error)
    assert "got (<_EcrImage>, 'arn:aws:sagemaker:" in str(error.value)
    bucket = s3.Bucket(stack, "Capture")
    with pytest.raises(ValidationError, match=r"data_capture must be None on a serverless endpoint, got "
                                              r"DataCapture\(\.\.\.\)$") as error:
        serverless = ServerlessVariant(model=build_model(stack, network_isolation=False))
        RealtimeEndpoint(stack, "Endpoint", variants=[serverless],
                         data_capture=DataCapture(bucket=bucket))
    assert_one_short_line(error)


# -- instance families ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", BOTOCORE_HOSTING_FAMILIES_SAMPLE)
def test_hyphenated_and_newest_families_are_hosting_types(name: str) -> None:
    assert InstanceType.of(name).name == name


@pytest.mark.parametrize(("name", "nvme"), [
    ("ml.c5d.xlarge", True), ("ml.m6gd.large", True), ("ml.r7gd.large", True), ("ml.g4dn.xlarge", True),
    ("ml.p4de.24xlarge", True), ("ml.g6e.xlarge", True), ("ml.g7e.2xlarge", True), ("ml.p5en.48xlarge", True),
    ("ml.p6-b200.48xlarge", True), ("ml.trn1n.32xlarge", True), ("ml.trn2.48xlarge", True), ("ml.dl1.24xlarge", True),
    ("ml.m5.large", False), ("ml.c7i.large", False), ("ml.inf2.xlarge", False), ("ml.r8g.large", False),
])
def test_local_nvme_families(name: str, nvme: bool) -> None:
    assert InstanceType.of(name).has_local_nvme_storage is nvme


def test_a_hyphenated_local_nvme_family_gets_no_kms_key(stack: cdk.Stack) -> None:
    endpoint(stack, instance_type="ml.p6-b200.48xlarge")
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::SageMaker::EndpointConfig", {"KmsKeyId": Match.absent()})
    # The only key is the one of the endpoint's log group: storage takes none.
    template.resource_count_is("AWS::KMS::Key", 1)


def test_the_instance_type_data_is_the_pinned_botocores() -> None:
    """Each use's types are botocore's enum, as the update tool writes them, and the hosting families
    are the hosting types' families."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
    import update_instance_types

    assert update_instance_types.DATA.read_text("utf-8") == update_instance_types.render(
        update_instance_types.from_botocore())
    hosting = InstanceType.names(InstanceUse.HOSTING)
    assert {name.split(".")[1] for name in hosting} == set(InstanceType.HOSTING_FAMILIES)
    assert "ml.g5.xlarge" in hosting and "ml.g5.large" not in hosting
    assert InstanceType.names(InstanceUse.TRANSFORM) < hosting
    assert "ml.c5n.xlarge" in InstanceType.names(InstanceUse.TRAINING) - hosting


@pytest.mark.parametrize("name", ["ml.g5.large", "ml.m5.medium", "ml.p4d.xlarge", "ml.m5.large.x", "ml.zz9.large"])
def test_a_size_no_use_has_is_refused(name: str) -> None:
    with pytest.raises(ValidationError, match=rf"^InstanceType.of: name must be a SageMaker instance type such as "
                                              rf"ml.m5.large \(InstanceType.names lists them by use\), got '{name}'$"):
        InstanceType.of(name)
