"""Elastic Inference on instance variants, and the instance-type family rules behind it."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Annotations, Match, Template
from cdk_sagemaker_inference import (
    ElasticInferenceAccelerator,
    InstanceType,
    InstanceVariant,
    Model,
    RealtimeEndpoint,
    ValidationError,
)
from cdk_sagemaker_inference.accelerator import ELASTIC_INFERENCE_RETIRED

from tests.conftest import build_model, new_app

#: aws-cdk-lib's template validation of AcceleratorType, which its schema no longer lists.
CFN_VALIDATE_ADDITIONAL_PROPERTIES = "CloudFormation-Validate::F3002"


def ei_model(stack: cdk.Stack, *, capable: bool = True) -> Model:
    return build_model(stack, elastic_inference_capable=capable)


def ei_endpoint(stack: cdk.Stack, *, instance_type: InstanceType = InstanceType.M5_LARGE) -> RealtimeEndpoint:
    return RealtimeEndpoint(
        stack,
        "Endpoint",
        variants=[
            InstanceVariant(
                model=ei_model(stack),
                instance_type=instance_type,
                accelerator=ElasticInferenceAccelerator.EIA2_MEDIUM,
            )
        ],
    )


@pytest.fixture(scope="module")
def ei_app() -> tuple[cdk.App, RealtimeEndpoint]:
    """An App with cdk.json's flags (validateAgainstDefaultRules on) and one EI endpoint."""
    app = new_app()
    stack = cdk.Stack(app, "EiStack")
    return app, ei_endpoint(stack)


def acknowledged(root: object) -> dict[str, list[str]]:
    """Acknowledged rule id -> the paths of the constructs it is acknowledged on."""
    found: dict[str, list[str]] = {}
    assert isinstance(root, cdk.App)
    for construct in root.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                for rule in entry.data:
                    found.setdefault(rule, []).append(construct.node.path)
    return found


# -- instance types -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "family", "gpu", "aws_chip", "burstable", "nvme"),
    [
        ("ml.m5.large", "m5", False, False, False, False),
        ("ml.t2.medium", "t2", False, False, True, False),
        ("ml.c5d.xlarge", "c5d", False, False, False, True),
        ("ml.m5d.large", "m5d", False, False, False, True),
        ("ml.p4d.24xlarge", "p4d", True, False, False, True),
        ("ml.g4dn.xlarge", "g4dn", True, False, False, True),
        ("ml.g5.xlarge", "g5", True, False, False, True),
        ("ml.g6.xlarge", "g6", True, False, False, True),
        ("ml.p5.48xlarge", "p5", True, False, False, True),
        ("ml.p3.2xlarge", "p3", True, False, False, False),
        ("ml.inf1.xlarge", "inf1", False, True, False, False),
        ("ml.inf2.xlarge", "inf2", False, True, False, False),
        ("ml.trn1.2xlarge", "trn1", False, True, False, True),
        ("ml.m7i.large", "m7i", False, False, False, False),
    ],
)
def test_instance_type_family_rules(
    name: str, family: str, gpu: bool, aws_chip: bool, burstable: bool, nvme: bool
) -> None:
    instance_type = InstanceType.of(name)
    assert instance_type.family == family
    assert (instance_type.is_gpu, instance_type.is_aws_accelerator) == (gpu, aws_chip)
    assert (instance_type.is_burstable, instance_type.has_local_nvme_storage) == (burstable, nvme)


def test_a_token_instance_type_has_no_family_and_no_rules() -> None:
    stack = cdk.Stack(new_app(), "S")
    token = cdk.CfnParameter(stack, "Type").value_as_string
    instance_type = InstanceType.of(token)
    assert instance_type.family is None
    assert not (instance_type.is_gpu or instance_type.is_burstable or instance_type.has_local_nvme_storage)


def test_the_six_accelerator_types() -> None:
    assert [a.value for a in ElasticInferenceAccelerator] == [
        "ml.eia1.medium",
        "ml.eia1.large",
        "ml.eia1.xlarge",
        "ml.eia2.medium",
        "ml.eia2.large",
        "ml.eia2.xlarge",
    ]


# -- an EI variant --------------------------------------------------------------------------------


def test_the_template_declares_the_accelerator_type_exactly(ei_app: tuple[cdk.App, RealtimeEndpoint]) -> None:
    _, endpoint = ei_app
    Template.from_stack(cdk.Stack.of(endpoint)).has_resource_properties(
        "AWS::SageMaker::EndpointConfig",
        {
            "ProductionVariants": [
                {
                    "VariantName": "AllTraffic",
                    "ModelName": Match.any_value(),
                    "InstanceType": "ml.m5.large",
                    "InitialInstanceCount": 1,
                    "InitialVariantWeight": 1,
                    "AcceleratorType": "ml.eia2.medium",
                }
            ]
        },
    )


def test_every_ei_variant_warns_that_ei_is_retired(ei_app: tuple[cdk.App, RealtimeEndpoint]) -> None:
    _, endpoint = ei_app
    warnings = Annotations.from_stack(cdk.Stack.of(endpoint)).find_warning(
        "/EiStack/Endpoint/EndpointConfig", Match.string_like_regexp("Elastic Inference reached end of life")
    )
    assert len(warnings) == 1
    message = str(warnings[0].entry.data)
    assert "Variant AllTraffic" in message and "cdk-sagemaker-inference:elasticInferenceRetired" in message
    assert "inference components" in ELASTIC_INFERENCE_RETIRED
    assert "Multi-Instance GPU" in ELASTIC_INFERENCE_RETIRED


def test_built_in_validation_rule_is_acknowledged_on_the_endpoint_config_only(
    ei_app: tuple[cdk.App, RealtimeEndpoint],
) -> None:
    app, endpoint = ei_app
    app.synth()  # would raise ValidationFailed (CloudFormation-Validate::F3002) without the acknowledgment
    assert acknowledged(app)[CFN_VALIDATE_ADDITIONAL_PROPERTIES] == [endpoint.endpoint_config.resource.node.path]


def test_without_ei_nothing_is_acknowledged_or_warned(stack: cdk.Stack) -> None:
    RealtimeEndpoint(stack, "Endpoint", variants=[InstanceVariant(model=ei_model(stack))])
    assert CFN_VALIDATE_ADDITIONAL_PROPERTIES not in acknowledged(stack.node.root)
    retired = Match.string_like_regexp("Elastic Inference")
    assert Annotations.from_stack(stack).find_warning("*", retired) == []


@pytest.mark.parametrize("name", ["ml.g4dn.xlarge", "ml.p3.2xlarge", "ml.inf1.xlarge", "ml.trn1.2xlarge"])
def test_ei_is_refused_on_gpu_inferentia_and_trainium(stack: cdk.Stack, name: str) -> None:
    with pytest.raises(
        ValidationError,
        match=r"EndpointConfig: variants\[0\]\.instance_type must be a CPU type \(not ml\.p\*, ml\.g\*, ml\.inf\*, "
        rf"ml\.trn\*\) to take an Elastic Inference accelerator, got '{name}'",
    ):
        ei_endpoint(stack, instance_type=InstanceType.of(name))


def test_ei_is_refused_for_a_model_whose_image_cannot_use_it(stack: cdk.Stack) -> None:
    with pytest.raises(
        ValidationError,
        match=r"variants\[0\]\.model\.elastic_inference_capable must be True \(EI-enabled TensorFlow, "
        r"MXNet or PyTorch images\) to take an EI accelerator, got False",
    ):
        RealtimeEndpoint(
            stack,
            "Endpoint",
            variants=[
                InstanceVariant(
                    model=ei_model(stack, capable=False), accelerator=ElasticInferenceAccelerator.EIA1_LARGE
                )
            ],
        )


def test_ei_is_refused_for_an_imported_model_which_cannot_be_verified(stack: cdk.Stack) -> None:
    imported = Model.from_model_name(stack, "Imported", "legacy-ei-model")
    with pytest.raises(ValidationError, match=r"elastic_inference_capable must be True .*, got False"):
        RealtimeEndpoint(
            stack,
            "Endpoint",
            variants=[InstanceVariant(model=imported, accelerator=ElasticInferenceAccelerator.EIA1_MEDIUM)],
        )
