"""Post-processing step of the example pipeline, served by SageMaker's scikit-learn container 1.2-1.

It receives the XGBoost container's scores (text/csv, one probability of "malignant" a line)
and answers a label with its probability, as text/csv ("malignant,0.9731" a line) or
application/json ({"predictions": [{"label": "malignant", "probability": 0.9731}]}).
The threshold and label names come from postprocessing.json, so changing them is a new
model.tar.gz, not new code.

Keep this file compatible with the container's Python 3.9 (numpy is not needed here).
"""

from __future__ import annotations

import json
import os
from typing import NamedTuple

PARAMETERS_FILE = "postprocessing.json"
CSV = "text/csv"
JSON = "application/json"


class Labeller(NamedTuple):
    """Turns a score (the probability of the positive label) into a label."""

    threshold: float
    positive_label: str
    negative_label: str
    decimals: int


class Prediction(NamedTuple):
    """A label and the probability of that label, rounded."""

    label: str
    probability: float


def model_fn(model_dir: str) -> Labeller:
    """Loads postprocessing.json from the extracted model.tar.gz."""
    with open(os.path.join(model_dir, PARAMETERS_FILE), encoding="utf-8") as handle:
        parameters = json.load(handle)
    labeller = Labeller(
        threshold=float(parameters["threshold"]),
        positive_label=str(parameters["positive_label"]),
        negative_label=str(parameters["negative_label"]),
        decimals=int(parameters["decimals"]),
    )
    if not 0.0 < labeller.threshold < 1.0:
        raise ValueError(f"{PARAMETERS_FILE}: threshold must be between 0 and 1, got {labeller.threshold}")
    return labeller


def _media_type(content_type: str | None) -> str:
    """The media type without parameters: 'text/csv; charset=utf-8' -> 'text/csv'."""
    return (content_type or "").split(";")[0].strip().lower()


def _parse_score(line: str, row: int) -> float:
    """One CSV line holding exactly one score between 0 and 1."""
    fields = line.split(",")
    if len(fields) != 1:
        raise ValueError(f"row {row} has {len(fields)} fields, expected 1 score")
    try:
        score = float(fields[0])
    except ValueError:
        raise ValueError(f"row {row}: {fields[0].strip()!r} is not a number") from None
    if not 0.0 <= score <= 1.0:
        raise ValueError(f"row {row}: score {score} is not a probability")
    return score


def input_fn(body: str | bytes, content_type: str) -> list[float]:
    """Parses the XGBoost container's text/csv answer: one score a line."""
    if _media_type(content_type) != CSV:
        raise ValueError(f"unsupported content type {content_type!r}: this model accepts {CSV}")
    text = body.decode("utf-8") if isinstance(body, bytes) else body
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValueError("the request holds no scores")
    return [_parse_score(line, row) for row, line in enumerate(lines, start=1)]


def predict_fn(data: list[float], model: Labeller) -> list[Prediction]:
    """The positive label at or above the threshold, the negative one below, with its probability."""
    return [
        Prediction(model.positive_label, round(score, model.decimals))
        if score >= model.threshold
        else Prediction(model.negative_label, round(1.0 - score, model.decimals))
        for score in data
    ]


def output_fn(prediction: list[Prediction], accept: str) -> tuple[str, str]:
    """text/csv ("label,probability" a line, no header) or application/json."""
    media_type = _media_type(accept)
    if media_type == CSV:
        return "".join(f"{label},{probability}\n" for label, probability in prediction), CSV
    if media_type == JSON:
        body = {"predictions": [{"label": label, "probability": p} for label, p in prediction]}
        return json.dumps(body), JSON
    raise ValueError(f"unsupported accept type {accept!r}: this model answers {CSV} or {JSON}")
