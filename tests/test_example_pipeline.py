"""The reference example: reproducible artifacts, and the three archives run as SageMaker's serial pipeline.

The containers are stood in for by small functions that do what their serving code does
(sagemaker-scikit-learn-container 1.2-1 over sagemaker-containers 2.8.6, and
sagemaker-xgboost-container 1.7-1's algorithm-mode serve.py), so the test runs offline.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import io
import json
import math
import pickle
import tarfile
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
import xgboost as xgb

from examples import train

ARTIFACTS = Path(__file__).resolve().parent.parent / "examples" / "artifacts"
STEPS = ("preprocessing", "xgboost", "postprocessing")
CSV = "text/csv"
JSON = "application/json"


@pytest.fixture(scope="module")
def example() -> train.TrainedExample:
    """The models trained in-process: the reference the pipeline's answers are compared with."""
    return train.train()


@pytest.fixture(scope="module")
def model_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Each committed model.tar.gz extracted as SageMaker does into /opt/ml/model."""
    dirs = {}
    for step in STEPS:
        target = tmp_path_factory.mktemp(step)
        with tarfile.open(ARTIFACTS / step / "model.tar.gz") as archive:
            archive.extractall(target, filter="data")
        dirs[step] = target
    return dirs


def load_script(model_dir: Path, step: str) -> ModuleType:
    """Imports code/inference.py from an extracted archive (SAGEMAKER_SUBMIT_DIRECTORY=/opt/ml/model/code)."""
    spec = importlib.util.spec_from_file_location(
        f"example_{step}_inference", model_dir / "code" / "inference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class SklearnContainer:
    """The scikit-learn container: model_fn once, then input_fn -> predict_fn -> output_fn a request."""

    def __init__(self, model_dir: Path, step: str) -> None:
        self.script = load_script(model_dir, step)
        self.model = self.script.model_fn(str(model_dir))

    def invoke(self, body: str, content_type: str, accept: str) -> tuple[str, str]:
        """Returns (body, mimetype): sagemaker-containers turns a returned tuple into that response."""
        data = self.script.input_fn(body, content_type)
        result: tuple[str, str] = self.script.output_fn(self.script.predict_fn(data, self.model), accept)
        return result


class XGBoostContainer:
    """The built-in XGBoost 1.7-1 container's serving path (algorithm mode)."""

    def __init__(self, model_dir: Path) -> None:
        # serve_utils.get_loaded_booster: the first file listed, tried as a pickle, then Booster.load_model.
        files = [path for path in model_dir.iterdir() if path.is_file() and not path.name.startswith(".")]
        assert [path.name for path in files] == ["xgboost-model"], (
            "the container would load whichever comes first"
        )
        with pytest.raises(pickle.UnpicklingError):
            pickle.loads(files[0].read_bytes())
        self.booster = xgb.Booster()
        self.booster.load_model(files[0])
        self.booster.set_param("nthread", "1")

    def invoke(self, payload: bytes, content_type: str, accept: str = CSV) -> tuple[bytes, str]:
        """serve.invocations with encoder.csv_to_dmatrix in, sagemaker-containers' array_to_csv out."""
        assert content_type == CSV and accept == CSV
        text = payload.strip().decode("utf-8")
        sniffed = csv.Sniffer().sniff(text.split("\n")[0][:512]).delimiter
        delimiter = "," if sniffed.isalnum() else sniffed
        rows = [
            ["nan" if field == "" else field for field in line.split(delimiter)] for line in text.split("\n")
        ]
        scores = self.booster.predict(xgb.DMatrix(np.array(rows).astype(float)), validate_features=False)
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(np.array(scores.tolist()).reshape(-1, 1))
        return out.getvalue().encode("utf-8"), accept


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
    example: train.TrainedExample, model_dirs: dict[str, Path]
) -> None:
    rows = example.x_test[:40]
    assert np.isnan(rows).any(), "the request must exercise imputation"
    preprocessing = SklearnContainer(model_dirs["preprocessing"], "preprocessing")
    xgboost = XGBoostContainer(model_dirs["xgboost"])
    postprocessing = SklearnContainer(model_dirs["postprocessing"], "postprocessing")

    # Serial mode: ContentType to the first container, each answer (and its mimetype) to the next;
    # the intermediate containers answer SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT=text/csv.
    features, features_type = preprocessing.invoke(raw_csv(rows), CSV, accept=CSV)
    scores, scores_type = xgboost.invoke(features.encode("utf-8"), features_type)
    labels, labels_type = postprocessing.invoke(scores.decode("utf-8"), scores_type, accept=JSON)

    assert (features_type, scores_type, labels_type) == (CSV, CSV, JSON)
    np.testing.assert_array_equal(
        np.array([line.split(",") for line in features.split("\n")], dtype=np.float64),
        example.preprocessing.transform(rows),
    )
    expected_scores = train.predict_scores(example, rows)
    np.testing.assert_array_equal(np.array(scores.decode().split(), dtype=np.float64), expected_scores)
    expected = [
        {"label": "malignant", "probability": round(float(score), 4)}
        if score >= train.THRESHOLD
        else {"label": "benign", "probability": round(1.0 - float(score), 4)}
        for score in expected_scores
    ]
    assert {prediction["label"] for prediction in expected} == {"malignant", "benign"}
    assert json.loads(labels) == {"predictions": expected}


def test_postprocessing_answers_csv_lines_of_label_and_probability(model_dirs: dict[str, Path]) -> None:
    postprocessing = SklearnContainer(model_dirs["postprocessing"], "postprocessing")
    assert postprocessing.invoke("0.9731\n0.0125\n0.5\n", CSV, accept=CSV) == (
        "malignant,0.9731\nbenign,0.9875\nmalignant,0.5\n",
        CSV,
    )


@pytest.mark.parametrize(
    ("step", "valid_body"), [("preprocessing", "1," * 29 + "1"), ("postprocessing", "0.5")]
)
def test_unsupported_content_and_accept_types_are_refused_by_name(
    model_dirs: dict[str, Path], step: str, valid_body: str
) -> None:
    container = SklearnContainer(model_dirs[step], step)
    with pytest.raises(
        ValueError, match=r"unsupported content type 'application/json': this model accepts text/csv"
    ):
        container.invoke('{"instances": []}', JSON, accept=CSV)
    with pytest.raises(ValueError, match=r"unsupported accept type 'text/html'"):
        container.invoke(valid_body, CSV, accept="text/html")


def test_csv_content_type_parameters_and_bytes_bodies_are_accepted(model_dirs: dict[str, Path]) -> None:
    preprocessing = SklearnContainer(model_dirs["preprocessing"], "preprocessing")
    data = preprocessing.script.input_fn(("1," * 29 + "\n").encode("utf-8"), "text/csv; charset=utf-8")
    assert data.shape == (1, 30) and np.isnan(data[0, 29])


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
    model_dirs: dict[str, Path], body: str, message: str
) -> None:
    preprocessing = SklearnContainer(model_dirs["preprocessing"], "preprocessing")
    with pytest.raises(ValueError, match=message):
        preprocessing.invoke(body, CSV, accept=CSV)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("0.1,0.2", r"row 1 has 2 fields, expected 1 score"),
        ("0.1\n1.5", r"row 2: score 1.5 is not a probability"),
        ("abc", r"row 1: 'abc' is not a number"),
    ],
)
def test_malformed_scores_are_refused_clearly(model_dirs: dict[str, Path], body: str, message: str) -> None:
    postprocessing = SklearnContainer(model_dirs["postprocessing"], "postprocessing")
    with pytest.raises(ValueError, match=message):
        postprocessing.invoke(body, CSV, accept=JSON)
