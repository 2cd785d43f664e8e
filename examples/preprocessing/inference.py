"""Preprocessing step of the example pipeline, served by SageMaker's scikit-learn container 1.2-1.

The container calls model_fn once, then input_fn -> predict_fn -> output_fn per request.
It imputes missing values with the training medians and standardizes every feature, using
only numpy and the parameters in preprocessing.json: a scikit-learn pickle written by a newer
scikit-learn is not safe to load with the container's scikit-learn 1.2.1.

Keep this file compatible with the container's Python 3.9 and numpy 1.24.
"""

from __future__ import annotations

import json
import math
import os
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

PARAMETERS_FILE = "preprocessing.json"
CSV = "text/csv"

Matrix = npt.NDArray[np.float64]


class Preprocessor(NamedTuple):
    """The fitted imputation and scaling parameters, one value per feature."""

    feature_names: list[str]
    medians: Matrix
    means: Matrix
    scales: Matrix


def model_fn(model_dir: str) -> Preprocessor:
    """Loads preprocessing.json from the extracted model.tar.gz."""
    with open(os.path.join(model_dir, PARAMETERS_FILE), encoding="utf-8") as handle:
        parameters = json.load(handle)
    names = list(parameters["feature_names"])
    vectors = {key: np.asarray(parameters[key], dtype=np.float64) for key in ("medians", "means", "scales")}
    for key, vector in vectors.items():
        if vector.shape != (len(names),) or not np.all(np.isfinite(vector)):
            raise ValueError(f"{PARAMETERS_FILE}: {key} must hold {len(names)} finite numbers")
    return Preprocessor(names, vectors["medians"], vectors["means"], vectors["scales"])


def _media_type(content_type: str | None) -> str:
    """The media type without parameters: 'text/csv; charset=utf-8' -> 'text/csv'."""
    return (content_type or "").split(";")[0].strip().lower()


def _parse_field(field: str, row: int, column: int) -> float:
    """One CSV field as a float; an empty field is a missing value (NaN)."""
    text = field.strip()
    if not text:
        return math.nan
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"row {row}, field {column}: {text!r} is not a number") from None


def input_fn(body: str | bytes, content_type: str) -> Matrix:
    """Parses text/csv: one row of raw features a line, no header, missing values as empty fields.

    The number of fields is checked against the model in predict_fn.
    """
    if _media_type(content_type) != CSV:
        raise ValueError(f"unsupported content type {content_type!r}: this model accepts {CSV}")
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValueError("the request holds no CSV rows")
    rows = [
        [_parse_field(field, row, column) for column, field in enumerate(line.split(","), start=1)]
        for row, line in enumerate(lines, start=1)
    ]
    for number, row in enumerate(rows, start=1):
        if len(row) != len(rows[0]):
            raise ValueError(f"row {number} has {len(row)} fields, row 1 has {len(rows[0])}")
    return np.asarray(rows, dtype=np.float64)


def predict_fn(data: Matrix, model: Preprocessor) -> Matrix:
    """Replaces missing values with the medians, then standardizes: (x - mean) / scale."""
    expected = len(model.feature_names)
    if data.shape[1] != expected:
        raise ValueError(f"each row must have {expected} fields, got {data.shape[1]}")
    imputed = np.where(np.isnan(data), model.medians, data)
    return (imputed - model.means) / model.scales


def output_fn(prediction: Matrix, accept: str) -> tuple[str, str]:
    """CSV without header for the XGBoost container; every float written exactly (shortest repr)."""
    if _media_type(accept) != CSV:
        raise ValueError(f"unsupported accept type {accept!r}: this model answers {CSV}")
    body = "\n".join(",".join(repr(value) for value in row) for row in prediction.tolist())
    return body, CSV
