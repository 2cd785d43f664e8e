"""The reference example: reproducible artifacts, and the three archives run as SageMaker's serial pipeline.

The containers run in the local runner (``cdk_sagemaker_inference.runtime.local``), which does
what their serving code does (sagemaker-scikit-learn-container 1.2-1 over sagemaker-containers
2.8.6, and sagemaker-xgboost-container 1.7-1's algorithm-mode serve.py), so the test runs offline.
"""

from __future__ import annotations

import gzip
import io
import json
import math
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from cdk_sagemaker_inference.runtime.local import LocalContainerSpec, LocalModelError, LocalPipeline
from cdk_sagemaker_inference.runtime.local.containers import EmulatedContainer

from examples import train

ARTIFACTS = Path(__file__).resolve().parent.parent / "examples" / "artifacts"
STEPS = ("preprocessing", "xgboost", "postprocessing")
CSV = "text/csv"
JSON = "application/json"


@pytest.fixture(scope="module")
def example() -> train.TrainedExample:
    """The models trained in-process: the reference the pipeline's answers are compared with."""
    return train.train()


def step_spec(step: str) -> LocalContainerSpec:
    """One step of the example as the reference app declares it (image, archive, environment)."""
    framework, version = ("xgboost", "1.7-1") if step == "xgboost" else ("sklearn", "1.2-1")
    environment = {"SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": JSON if step == "postprocessing" else CSV}
    if framework == "sklearn":
        environment |= {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"}
    return LocalContainerSpec(framework, version, ARTIFACTS / step / "model.tar.gz", environment)


@pytest.fixture(scope="module")
def pipeline() -> Iterator[LocalPipeline]:
    """The three archives in SageMaker's serial order, run by the local runner."""
    with LocalPipeline([step_spec(step) for step in STEPS]) as loaded:
        yield loaded


@pytest.fixture(scope="module")
def steps(pipeline: LocalPipeline) -> dict[str, EmulatedContainer]:
    """Each container of the pipeline on its own, to call one step at a time."""
    return dict(zip(STEPS, pipeline.containers, strict=True))


def raw_csv(rows: np.ndarray[Any, np.dtype[np.float64]]) -> str:
    """Raw feature rows as the client sends them: no header, an empty field for a missing value."""
    return "\n".join(
        ",".join("" if math.isnan(value) else repr(value) for value in row) for row in rows.tolist()
    )


@pytest.mark.slow
def test_train_rebuilds_the_committed_artifacts_byte_for_byte(tmp_path: Path) -> None:
    assert train.main(["--output", str(tmp_path)]) == 0
    built = sorted(path.relative_to(tmp_path) for path in tmp_path.rglob("*") if path.is_file())
    committed = sorted(path.relative_to(ARTIFACTS) for path in ARTIFACTS.rglob("*") if path.is_file())
    assert built == committed
    for relative in built:
        assert (tmp_path / relative).read_bytes() == (ARTIFACTS / relative).read_bytes(), (
            f"{relative} differs"
        )


@pytest.mark.parametrize("step", STEPS)
def test_archives_are_small_and_carry_no_time_or_owner(step: str) -> None:
    content = (ARTIFACTS / step / "model.tar.gz").read_bytes()
    assert len(content) < 50_000
    assert content[4:8] == b"\0\0\0\0", "gzip header mtime must be 0"
    with tarfile.open(fileobj=io.BytesIO(content)) as archive:
        members = archive.getmembers()
    assert [member.name for member in members] == sorted(member.name for member in members)
    for member in members:
        assert (member.mtime, member.uid, member.gid, member.uname, member.gname) == (0, 0, 0, "", "")
    assert gzip.decompress(content)  # a well-formed stream end to end


def test_the_serial_pipeline_answers_what_the_models_predict_in_process(
    example: train.TrainedExample, steps: dict[str, EmulatedContainer], pipeline: LocalPipeline
) -> None:
    rows = example.x_test[:40]
    assert np.isnan(rows).any(), "the request must exercise imputation"

    # Serial mode, one step at a time: ContentType to the first container, each answer (and its
    # content type) to the next; the intermediate containers answer SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT.
    features = steps["preprocessing"].invoke(raw_csv(rows).encode(), CSV, None)
    scores = steps["xgboost"].invoke(features.body, features.content_type, None)
    labels = steps["postprocessing"].invoke(scores.body, scores.content_type, JSON)

    assert (features.content_type, scores.content_type, labels.content_type) == (CSV, CSV, JSON)
    np.testing.assert_array_equal(
        np.array([line.split(",") for line in features.body.decode().split("\n")], dtype=np.float64),
        example.preprocessing.transform(rows),
    )
    expected_scores = train.predict_scores(example, rows)
    np.testing.assert_array_equal(np.array(scores.body.decode().split(), dtype=np.float64), expected_scores)
    expected = [
        {"label": "malignant", "probability": round(float(score), 4)}
        if score >= train.THRESHOLD
        else {"label": "benign", "probability": round(1.0 - float(score), 4)}
        for score in expected_scores
    ]
    assert {prediction["label"] for prediction in expected} == {"malignant", "benign"}
    assert json.loads(labels.body) == {"predictions": expected}
    # The whole pipeline in one call answers the same.
    assert pipeline.invoke(raw_csv(rows).encode(), CSV, JSON) == labels


def test_postprocessing_answers_csv_lines_of_label_and_probability(steps: dict[str, EmulatedContainer]) -> None:
    answer = steps["postprocessing"].invoke(b"0.9731\n0.0125\n0.5\n", CSV, CSV)
    assert (answer.body, answer.content_type) == (b"malignant,0.9731\nbenign,0.9875\nmalignant,0.5\n", CSV)


@pytest.mark.parametrize(
    ("step", "valid_body"), [("preprocessing", "1," * 29 + "1"), ("postprocessing", "0.5")]
)
def test_unsupported_content_and_accept_types_are_refused_by_name(
    steps: dict[str, EmulatedContainer], step: str, valid_body: str
) -> None:
    container = steps[step]
    with pytest.raises(
        LocalModelError, match=r"unsupported content type 'application/json': this model accepts text/csv"
    ):
        container.invoke(b'{"instances": []}', JSON, CSV)
    with pytest.raises(LocalModelError, match=r"answered 500: output_fn: ValueError: unsupported accept type 'text/h"):
        container.invoke(valid_body.encode(), CSV, "text/html")


def test_csv_content_type_parameters_and_bytes_bodies_are_accepted(steps: dict[str, EmulatedContainer]) -> None:
    # "text/csv; charset=utf-8" is not one of the container's text types: the script gets bytes.
    answer = steps["preprocessing"].invoke(("1," * 29 + "\n").encode("utf-8"), "text/csv; charset=utf-8", CSV)
    assert len(answer.body.decode().split(",")) == 30


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("1," * 28 + "1", r"each row must have 30 fields, got 29"),
        ("1," * 30 + "1", r"each row must have 30 fields, got 31"),
        ("1," * 29 + "1\n" + "1," * 28 + "1", r"row 2 has 29 fields, row 1 has 30"),
        ("1," * 29 + "x", r"row 1, field 30: 'x' is not a number"),
        ("\n", r"no CSV rows"),
    ],
)
def test_malformed_preprocessing_rows_are_refused_clearly(
    steps: dict[str, EmulatedContainer], body: str, message: str
) -> None:
    with pytest.raises(LocalModelError, match=message):
        steps["preprocessing"].invoke(body.encode(), CSV, CSV)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("0.1,0.2", r"row 1 has 2 fields, expected 1 score"),
        ("0.1\n1.5", r"row 2: score 1.5 is not a probability"),
        ("abc", r"row 1: 'abc' is not a number"),
    ],
)
def test_malformed_scores_are_refused_clearly(
    steps: dict[str, EmulatedContainer], body: str, message: str
) -> None:
    with pytest.raises(LocalModelError, match=message):
        steps["postprocessing"].invoke(body.encode(), CSV, JSON)
