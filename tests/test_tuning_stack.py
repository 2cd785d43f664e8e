"""ModelTuningStack in the reference app: the example's data as assets, the registry's pipeline, the gate."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from stacks import build_app, cdk_json_context
from stacks.model_tuning_stack import RANGES
from tests.test_tuning import definition
from tests.test_tuning_report import AUC

from .conftest import REPO


@pytest.fixture(scope="module")
def tuning(reference_app: cdk.App) -> Template:
    return Template.from_stack(reference_app.node.find_child("inference-tuning"))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def states(tuning: Template) -> dict[str, Any]:
    states: dict[str, Any] = definition(tuning)["States"]
    return states


def test_tuning_is_in_the_reference_app_by_default(reference_app: cdk.App) -> None:
    assert reference_app.node.try_find_child("inference-tuning") is not None
    assert cdk_json_context()["include_tuning"] is True


def test_ranges_are_the_sweeps_except_max_depth_which_starts_at_1(states: dict[str, Any]) -> None:
    swept = json.loads(AUC.read_text())["DescribeHyperParameterTuningJob"]["HyperParameterTuningJobConfig"][
        "ParameterRanges"]
    declared = states["Tune"]["Parameters"]["HyperParameterTuningJobConfig"]["ParameterRanges"]
    swept["IntegerParameterRanges"][0]["MinValue"] = "1"
    assert declared == swept
    assert len(RANGES) == 4


def test_the_example_data_is_uploaded_as_csv_assets(states: dict[str, Any]) -> None:
    channels = states["Tune"]["Parameters"]["TrainingJobDefinition"]["InputDataConfig"]
    assert [c["ChannelName"] for c in channels] == ["train", "validation"]
    for channel in channels:
        uri = channel["DataSource"]["S3DataSource"]["S3Uri"]
        assert uri.startswith("s3://cdk-hnb659fds-assets-${AWS::AccountId}-${AWS::Region}/") and uri.endswith(".csv")
        assert channel["ContentType"] == "text/csv"
    assert (REPO / "examples" / "tuning" / "train.csv").read_text().startswith(("0,", "1,"))


def test_best_model_joins_the_endpoints_pipeline_in_the_registry_group(states: dict[str, Any]) -> None:
    register = states["Register"]["Parameters"]
    assert register["ModelPackageGroupName"] == "inference-breast-cancer"
    containers = register["InferenceSpecification"]["Containers"]
    assert [c["Image"].rsplit("/", 1)[-1] for c in containers] == [
        "sagemaker-scikit-learn:1.2-1-cpu-py3", "sagemaker-xgboost:1.7-1", "sagemaker-scikit-learn:1.2-1-cpu-py3"]
    assert containers[1]["ModelDataUrl.$"] == "$.best_model.model_data_url"
    assert [c["Environment"]["SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT"] for c in containers] == [
        "text/csv", "text/csv", "application/json"]
    assert register["InferenceSpecification"]["SupportedResponseMIMETypes"] == ["application/json", "text/csv"]


def test_artifacts_go_where_the_endpoint_may_read_registered_versions(states: dict[str, Any]) -> None:
    output = states["Tune"]["Parameters"]["TrainingJobDefinition"]["OutputDataConfig"]["S3OutputPath"]
    assert output.endswith("/models/tuning/")
    assert states["Tune"]["Parameters"]["HyperParameterTuningJobConfig"]["TrainingJobEarlyStoppingType"] == "Auto"


def test_without_the_registry_the_stack_tunes_and_notifies_only() -> None:
    app = build_app({**cdk_json_context(), "include_registry": False})
    states = definition(Template.from_stack(app.node.find_child("inference-tuning")))["States"]  # type: ignore[arg-type]
    assert "Register" not in states and states["NotifySuccess"]["Parameters"]["Message"]["outcome"] == "tuned"


def test_tuning_can_be_left_out() -> None:
    app = build_app({**cdk_json_context(), "include_tuning": "false"})
    assert app.node.try_find_child("inference-tuning") is None
