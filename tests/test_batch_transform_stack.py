"""The reference BatchTransformStack: the real-time model's definition scores batch/input/ CSV files,
joined to their input rows, and the shipped sample runs through the local runner with the construct's settings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from cdk_sagemaker_inference import ValidationError
from cdk_sagemaker_inference.runtime.local import LocalPipeline
from cdk_sagemaker_inference.runtime.local.transform import LocalTransform

from stacks import build_app, cdk_json_context
from stacks.batch_transform_stack import INPUT_PREFIX, OUTPUT_PREFIX, BatchTransformStack

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "batch" / "input.csv"


def _template(app: cdk.App, name: str) -> Template:
    return Template.from_stack(app.node.find_child(name))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def batch(reference_app: cdk.App) -> Template:
    return _template(reference_app, "inference-batch")


def _transform_state(template: Template) -> dict[str, Any]:
    (machine,) = template.find_resources("AWS::StepFunctions::StateMachine").values()
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    text = "".join(part if isinstance(part, str) else "<ref>" for part in parts)
    return json.loads(text)["States"]["Transform"]  # type: ignore[no-any-return]


def test_the_batch_model_is_the_very_definition_the_endpoint_serves(reference_app: cdk.App, batch: Template) -> None:
    (realtime_model,) = _template(reference_app, "inference-realtime").find_resources("AWS::SageMaker::Model").values()
    (batch_model,) = batch.find_resources("AWS::SageMaker::Model").values()
    assert batch_model["Properties"]["Containers"] == realtime_model["Properties"]["Containers"]
    assert batch_model["Properties"]["EnableNetworkIsolation"] is True
    # The approved registry version, when this stack's parameter names one.
    assert "ServedModelPackageArn" in batch.to_json()["Parameters"]


def test_csv_under_batch_input_is_scored_and_joined_to_its_rows(batch: Template) -> None:
    parameters = _transform_state(batch)["Parameters"]
    assert parameters["TransformInput"] == {
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri.$": "$.input"}},
        "ContentType": "text/csv", "SplitType": "Line",
    }
    assert parameters["TransformOutput"] == {"S3OutputPath": f"s3://<ref>/{OUTPUT_PREFIX}", "Accept": "text/csv",
                                             "AssembleWith": "Line", "KmsKeyId": "<ref>"}
    assert parameters["BatchStrategy"] == "MultiRecord"
    assert parameters["DataProcessing"] == {"JoinSource": "Input"}
    assert parameters["TransformResources"]["InstanceType"] == "ml.m5.large"
    rules = batch.find_resources("AWS::Events::Rule")
    (rule,) = rules.values()
    assert rule["Properties"]["EventPattern"]["detail"]["object"]["key"] == [{"prefix": INPUT_PREFIX}]


def test_the_artifacts_bucket_sends_its_events_to_eventbridge(reference_app: cdk.App) -> None:
    _template(reference_app, "inference-shared").has_resource_properties("AWS::S3::Bucket", {
        "NotificationConfiguration": {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}})


def test_the_batch_stack_is_a_config_toggle() -> None:
    app = build_app({**cdk_json_context(), "include_batch_transform": "false"})
    assert app.node.try_find_child("inference-batch") is None
    app = build_app({**cdk_json_context(), "batch_instance_type": "ml.c5.xlarge", "include_registry": False})
    stack = app.node.find_child("inference-batch")
    assert isinstance(stack, BatchTransformStack) and stack.served_version is None
    assert _transform_state(Template.from_stack(stack))["Parameters"]["TransformResources"]["InstanceType"] == \
        "ml.c5.xlarge"


def test_a_bad_batch_instance_type_is_refused() -> None:
    with pytest.raises(ValidationError,
                       match=r"^config: batch_instance_type must be a SageMaker transform instance type"):
        build_app({**cdk_json_context(), "batch_instance_type": "m5.large"})


def test_the_sample_input_runs_through_the_batch_model_as_the_job_would(
    reference_app: cdk.App, tmp_path: Path,
) -> None:
    """The batch stack's own synthesized model, run locally with the construct's batch settings:
    each output line is its input row followed by the label and its probability."""
    stack = reference_app.node.find_child("inference-batch")
    assert isinstance(stack, BatchTransformStack)
    rows = SAMPLE.read_text().splitlines()
    assert len(rows) == 12 and all(len(row.split(",")) == 30 for row in rows)
    assert any(",," in row for row in rows), "the sample must exercise imputation"
    outdir = reference_app.synth().directory
    with LocalPipeline.from_cloud_assembly(outdir, model="inference-batch/Model") as pipeline:
        (written,) = LocalTransform(pipeline, stack.transform.settings).run(SAMPLE, tmp_path)
    assert written.name == "input.csv.out"
    joined = written.read_text().splitlines()
    assert [line.split(",")[:30] for line in joined] == [row.split(",") for row in rows]
    assert {line.split(",")[30] for line in joined} == {"malignant", "benign"}
    assert all(len(line.split(",")) == 32 and 0.5 <= float(line.split(",")[31]) <= 1.0 for line in joined)
