"""Trains the reference example and packs it as three SageMaker model archives.

    python examples/train.py --output examples/artifacts      (or: make examples)

From scikit-learn's breast cancer dataset (with a few values removed, so imputation matters)
it fits a preprocessing model with scikit-learn and an XGBoost binary classifier on its
output, then writes, byte for byte reproducibly:

    DIR/preprocessing/model.tar.gz   preprocessing.json + code/inference.py  (scikit-learn container)
    DIR/xgboost/model.tar.gz         xgboost-model                           (built-in XGBoost 1.7-1)
    DIR/postprocessing/model.tar.gz  postprocessing.json + code/inference.py (scikit-learn container)
    DIR/metrics.json                 AUC and accuracy on the held-out split (a model quality report)
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import xgboost as xgb
from sklearn.datasets import load_breast_cancer
from sklearn.impute import SimpleImputer
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

EXAMPLES = Path(__file__).resolve().parent
SEED = 42
MISSING_FRACTION = 0.03
TEST_FRACTION = 0.25
THRESHOLD = 0.5
POSITIVE_LABEL = "malignant"
NEGATIVE_LABEL = "benign"
XGBOOST_PARAMS: dict[str, Any] = {
    "objective": "binary:logistic",
    "eval_metric": "auc",
    "max_depth": 3,
    "eta": 0.1,
    "tree_method": "exact",
    "seed": SEED,
    "nthread": 1,
}
NUM_BOOST_ROUND = 100

Matrix = npt.NDArray[np.float64]
Labels = npt.NDArray[np.int64]


@dataclass(frozen=True)
class TrainedExample:
    """The fitted models and the held-out split they were measured on."""

    feature_names: list[str]
    preprocessing: Pipeline
    booster: xgb.Booster
    x_test: Matrix
    y_test: Labels


def load_data() -> tuple[Matrix, Labels, list[str]]:
    """Features with about 3% of the values set to NaN, and 1 for malignant, 0 for benign."""
    dataset = load_breast_cancer()
    features = np.array(dataset.data, dtype=np.float64)
    features[np.random.RandomState(SEED).random_sample(features.shape) < MISSING_FRACTION] = np.nan
    # scikit-learn codes malignant as 0: flip it, so the score is the probability of malignant.
    labels = (dataset.target == 0).astype(np.int64)
    return features, labels, [str(name) for name in dataset.feature_names]


def fit_preprocessing(x_train: Matrix) -> Pipeline:
    """Median imputation, then standard scaling, fitted on the training split only."""
    pipeline = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    pipeline.fit(x_train)
    return pipeline


def train_booster(features: Matrix, labels: Labels) -> xgb.Booster:
    """A deterministic XGBoost binary classifier (fixed seed, one thread, exact trees)."""
    return xgb.train(XGBOOST_PARAMS, xgb.DMatrix(features, label=labels), num_boost_round=NUM_BOOST_ROUND)


def train() -> TrainedExample:
    """Splits the data, fits the preprocessing, and trains XGBoost on its output."""
    features, labels, names = load_data()
    x_train, x_test, y_train, y_test = train_test_split(
        features, labels, test_size=TEST_FRACTION, random_state=SEED, stratify=labels
    )
    preprocessing = fit_preprocessing(x_train)
    booster = train_booster(preprocessing.transform(x_train), y_train)
    return TrainedExample(names, preprocessing, booster, x_test, y_test)


def predict_scores(example: TrainedExample, features: Matrix) -> npt.NDArray[np.float32]:
    """The probability of malignant for raw feature rows, computed in-process."""
    return example.booster.predict(xgb.DMatrix(example.preprocessing.transform(features)))


def preprocessing_parameters(example: TrainedExample) -> dict[str, Any]:
    """The fitted imputer and scaler as plain numbers, for inference.py to apply with numpy."""
    imputer: SimpleImputer = example.preprocessing.named_steps["impute"]
    scaler: StandardScaler = example.preprocessing.named_steps["scale"]
    medians = imputer.statistics_
    if medians.shape != (len(example.feature_names),) or not np.all(np.isfinite(medians)):
        raise ValueError("every feature needs a finite median: a column is entirely missing")
    return {
        "feature_names": example.feature_names,
        "medians": medians.tolist(),
        "means": scaler.mean_.tolist(),
        "scales": scaler.scale_.tolist(),
    }


def postprocessing_parameters() -> dict[str, Any]:
    """The threshold on the probability of malignant and the label names."""
    return {
        "threshold": THRESHOLD,
        "positive_label": POSITIVE_LABEL,
        "negative_label": NEGATIVE_LABEL,
        "decimals": 4,
    }


def quality_report(example: TrainedExample) -> dict[str, Any]:
    """AUC and accuracy on the held-out split, in the model quality shape the model registry shows."""
    scores = predict_scores(example, example.x_test)
    metrics = {
        "accuracy": accuracy_score(example.y_test, scores >= THRESHOLD),
        "auc": roc_auc_score(example.y_test, scores),
    }
    return {
        "binary_classification_metrics": {
            name: {"value": round(float(value), 4), "standard_deviation": "NaN"}
            for name, value in metrics.items()
        }
    }


def json_bytes(document: Mapping[str, Any]) -> bytes:
    """Stable JSON: sorted keys, two-space indent, trailing newline."""
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8")


def deterministic_tar_gz(files: Mapping[str, bytes]) -> bytes:
    """A model.tar.gz that depends only on its contents: sorted, mtime 0, root-owned, no gzip time."""
    tar_buffer = io.BytesIO()
    with tarfile.open(fileobj=tar_buffer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size = len(files[name])
            info.mode = 0o644
            info.mtime = 0
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            archive.addfile(info, io.BytesIO(files[name]))
    gz_buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=gz_buffer, mtime=0) as compressed:
        compressed.write(tar_buffer.getvalue())
    return gz_buffer.getvalue()


def archives(example: TrainedExample) -> dict[str, bytes]:
    """Every output file, by path relative to the output directory."""
    return {
        "preprocessing/model.tar.gz": deterministic_tar_gz(
            {
                "preprocessing.json": json_bytes(preprocessing_parameters(example)),
                "code/inference.py": (EXAMPLES / "preprocessing" / "inference.py").read_bytes(),
            }
        ),
        # The XGBoost container loads the first file it lists in /opt/ml/model: keep it alone.
        # JSON (XGBoost's stable format) under the name the container expects; 1.7 reads it by content.
        "xgboost/model.tar.gz": deterministic_tar_gz(
            {"xgboost-model": bytes(example.booster.save_raw("json"))}
        ),
        "postprocessing/model.tar.gz": deterministic_tar_gz(
            {
                "postprocessing.json": json_bytes(postprocessing_parameters()),
                "code/inference.py": (EXAMPLES / "postprocessing" / "inference.py").read_bytes(),
            }
        ),
        "metrics.json": json_bytes(quality_report(example)),
    }


def write_artifacts(example: TrainedExample, output: Path) -> list[Path]:
    """Writes the archives and metrics.json under output; returns the paths written."""
    written = []
    for relative, content in archives(example).items():
        path = output / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: --output DIR."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--output", type=Path, required=True, help="directory for the artifacts")
    arguments = parser.parse_args(argv)
    for path in write_artifacts(train(), arguments.output):
        print(f"{path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
