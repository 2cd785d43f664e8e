"""Issue 8 item 4: every public enum-typed prop takes the enum or its value (as read from configuration),
and refuses anything else in the standard one line naming the prop, the value and what is allowed."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk.assertions import Template
from cdk_sagemaker_inference import (
    ContainerDefinition,
    ContainerImage,
    Framework,
    Model,
    Processor,
    TrafficRouting,
    ValidationError,
)
from cdk_sagemaker_inference.deployment import TrafficRoutingType
from cdk_sagemaker_inference.runtime import UnknownFrameworkImageError, framework_image, framework_versions
from cdk_sagemaker_inference.runtime.registry_client import ModelApprovalStatus, RegistryClient, RegistryError
from cdk_sagemaker_inference.tuning import (
    BestModelRegistration,
    ContinuousRange,
    IntegerRange,
    ObjectiveType,
    ScalingType,
    TuningObjective,
    TuningStrategy,
)

from .conftest import new_app
from .test_registry_client import GROUP, register
from .test_registry_client import sagemaker as sagemaker  # noqa: F401  (the moto fixture)
from .test_tuning import _tuning, definition
from .test_values import assert_one_short_line

FRAMEWORKS = ", ".join(repr(f.value) for f in Framework)


def image_uri(framework: Framework | str, processor: Processor | str) -> Any:
    stack = cdk.Stack(new_app(), "S", env=cdk.Environment(account="123456789012", region="eu-west-1"))
    Model(stack, "M", container=ContainerDefinition(
        image=ContainerImage.sagemaker_builtin(framework, "2.1", processor=processor)), network_isolation=False)
    [model] = Template.from_stack(stack).find_resources("AWS::SageMaker::Model").values()
    return model["Properties"]["PrimaryContainer"]["Image"]


# -- the values work as the members do --------------------------------------------------------------


def test_sagemaker_builtin_takes_framework_and_processor_values() -> None:
    assert image_uri("pytorch", "gpu") == image_uri(Framework.PYTORCH, Processor.GPU) == (
        "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.1.0-gpu-py310")


def test_the_runtime_lookup_takes_the_values_too() -> None:
    assert framework_image("pytorch", "2.1", "gpu") == framework_image(Framework.PYTORCH, "2.1", Processor.GPU)
    assert framework_versions("xgboost") == framework_versions(Framework.XGBOOST)


def test_tuning_props_take_their_values() -> None:
    rendered = []
    for strategy, scaling, objective, instance_type, realtime in (
        (TuningStrategy.RANDOM, ScalingType.LOGARITHMIC, ObjectiveType.MAXIMIZE, "ml.c5.xlarge", "ml.m5.large"),
        ("Random", "Logarithmic", "Maximize", "ml.c5.xlarge", "ml.m5.large"),
    ):
        stack = cdk.Stack(new_app(), "TestStack")
        _tuning(stack, strategy=strategy, instance_type=instance_type,
                objective=TuningObjective("validation:auc", objective),  # type: ignore[arg-type]
                ranges=[ContinuousRange("eta", 0.01, 0.5, scaling), IntegerRange("max_depth", 1, 10, "Linear")],
                registration=BestModelRegistration(group="churn", supported_content_types=["text/csv"],
                                                   supported_response_mime_types=["text/csv"],
                                                   supported_realtime_instance_types=[realtime]))
        rendered.append(definition(Template.from_stack(stack)))
    assert rendered[0] == rendered[1]
    config = rendered[1]["States"]["Tune"]["Parameters"]["HyperParameterTuningJobConfig"]
    assert (config["Strategy"], config["HyperParameterTuningJobObjective"]["Type"]) == ("Random", "Maximize")
    assert [r["ScalingType"] for r in config["ParameterRanges"]["ContinuousParameterRanges"]] == ["Logarithmic"]
    assert [r["ScalingType"] for r in config["ParameterRanges"]["IntegerParameterRanges"]] == ["Linear"]


def test_a_traffic_routing_built_directly_takes_the_value() -> None:
    wait = Duration.minutes(5)
    routing = TrafficRouting("CANARY", 10, wait)  # type: ignore[arg-type]
    assert routing == TrafficRouting.canary(percent=10, wait_interval=wait)
    assert routing.type is TrafficRoutingType.CANARY


def test_set_approval_takes_the_value(sagemaker: Any) -> None:  # noqa: F811
    register(sagemaker)
    updated = RegistryClient(sagemaker).set_approval(GROUP, 1, "Approved", "AUC 0.91 on holdout")
    assert updated.approval is ModelApprovalStatus.APPROVED


# -- anything else: one line naming the prop, the value and what is allowed ---------------------------


def _tuning_with(**overrides: Any) -> Callable[[], Any]:
    return lambda: _tuning(cdk.Stack(new_app(), "TestStack"), **overrides)


@pytest.mark.parametrize(("build", "message"), [
    (lambda: ContainerImage.sagemaker_builtin("torch", "2.1"),  # type: ignore[arg-type]
     f"ContainerImage.sagemaker_builtin: framework must be one of {FRAMEWORKS}, got 'torch'"),
    (lambda: ContainerImage.sagemaker_builtin("PyTorch", "2.1"),  # values are exact, as in the API
     f"ContainerImage.sagemaker_builtin: framework must be one of {FRAMEWORKS}, got 'PyTorch'"),
    (lambda: ContainerImage.sagemaker_builtin(3, "2.1"),  # type: ignore[arg-type]
     f"ContainerImage.sagemaker_builtin: framework must be one of {FRAMEWORKS}, got 3"),
    (lambda: ContainerImage.sagemaker_builtin(Framework.PYTORCH, "2.1", processor="tpu"),
     "ContainerImage.sagemaker_builtin: processor must be one of 'cpu', 'gpu', got 'tpu'"),
    (lambda: ContainerImage.sagemaker_builtin(Framework.PYTORCH, "2.1", processor=None),  # type: ignore[arg-type]
     "ContainerImage.sagemaker_builtin: processor must be one of 'cpu', 'gpu', got None"),
    (lambda: ContinuousRange("eta", 0.01, 0.5, "Log"),
     "ContinuousRange: scaling must be one of 'Auto', 'Linear', 'Logarithmic', 'ReverseLogarithmic', got 'Log'"),
    (lambda: IntegerRange("max_depth", 1, 10, "linear"),
     "IntegerRange: scaling must be one of 'Auto', 'Linear', 'Logarithmic', 'ReverseLogarithmic', got 'linear'"),
    (lambda: TuningObjective("validation:auc", "Max"),  # type: ignore[arg-type]
     "TuningObjective: type must be one of 'Maximize', 'Minimize', got 'Max'"),
    (lambda: TrafficRouting("BLUE_GREEN", None, Duration.minutes(5)),  # type: ignore[arg-type]
     "TrafficRouting: type must be one of 'ALL_AT_ONCE', 'CANARY', 'LINEAR', got 'BLUE_GREEN'"),
    (_tuning_with(strategy="Genetic"),
     "TestStack/Tuning: strategy must be one of 'Bayesian', 'Random', 'Hyperband', 'Grid', got 'Genetic'"),
    (_tuning_with(instance_type="m5.xlarge"),
     "TestStack/Tuning: instance_type must be "),
    (_tuning_with(registration=BestModelRegistration(
        group="churn", supported_content_types=["text/csv"], supported_response_mime_types=["text/csv"],
        supported_realtime_instance_types=["large"])),
     "TestStack/Tuning: registration.supported_realtime_instance_types must be "),
])
def test_a_bad_value_is_refused_in_one_line(build: Callable[[], Any], message: str) -> None:
    with pytest.raises(ValidationError, match="^" + re.escape(message)) as error:
        build()
    assert_one_short_line(error)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: framework_image("torch", "2.1"), f"framework_image: framework must be one of {FRAMEWORKS}, got 'torch'"),
    (lambda: framework_image(Framework.PYTORCH, "2.1", "tpu"),
     "framework_image: processor must be one of 'cpu', 'gpu', got 'tpu'"),
    (lambda: framework_versions("torch"), f"framework_image: framework must be one of {FRAMEWORKS}, got 'torch'"),
])
def test_the_runtime_lookup_refuses_in_its_own_error(call: Callable[[], Any], message: str) -> None:
    with pytest.raises(UnknownFrameworkImageError, match="^" + re.escape(message) + "$"):
        call()


def test_set_approval_refuses_an_unknown_status(sagemaker: Any) -> None:  # noqa: F811
    register(sagemaker)
    with pytest.raises(RegistryError, match=re.escape(
            f"{GROUP}/1: status must be one of 'PendingManualApproval', 'Approved', 'Rejected', got 'Approve'")):
        RegistryClient(sagemaker).set_approval(GROUP, 1, "Approve", "looks good")
