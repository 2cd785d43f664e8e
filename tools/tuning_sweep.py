"""A real local hyperparameter sweep of the example's XGBoost, saved as SageMaker API responses.

    python tools/tuning_sweep.py                  (writes the files below; about a minute)

Trains XGBoost 1.7.6 on the example data (``examples/train.py``: the breast cancer split, imputed
and scaled by the fitted preprocessing, i.e. exactly what the served XGBoost container receives)
over hyperparameters sampled like SageMaker's Random strategy, and records the true validation
metric of every model:

    tests/fixtures/tuning/bc-auc-sweep.json    classification, binary:logistic, validation:auc (Maximize)
    tests/fixtures/tuning/bc-rmse-sweep.json   regression variant, reg:squarederror on the same 0/1
                                               label, validation:rmse (Minimize)
    examples/tuning/train.csv, validation.csv  the data, label first, no header (the built-in
                                               XGBoost's CSV input; the ModelTuningStack's asset)

Each fixture holds what ``tuning report --from-file`` reads: the DescribeHyperParameterTuningJob
answer and the ListTrainingJobsForHyperParameterTuningJob pages (100 summaries a page, the API's
maximum). Every metric value is measured here. What a local run cannot know is filled by fixed
rules, not measured: ARNs use account 123456789012 and us-east-1, training job names are
``<tuning job>-<3-digit index>-<first 8 hex digits of the SHA-1 of the hyperparameters>``, and
creation times are 2026-01-01T00:00:00Z plus one minute per job.

Statuses come from two documented rules, never chosen by hand:

- **Failed**: ``max_depth`` is sampled from the range SageMaker's XGBoost tuning guide recommends,
  0-10, and XGBoost's exact tree method refuses 0 ("exact tree method doesn't support unlimited
  depth"); the job records XGBoost's own message (its leading ``[hh:mm:ss]`` stamp removed, so the
  file does not change from run to run) as ``AlgorithmError``.
- **Stopped**: SageMaker's early stopping (``TrainingJobEarlyStoppingType: Auto``, "Stop training
  jobs early" in the developer guide): after each boosting round, a job whose metric is worse than
  the median of the running averages of the previous jobs up to that round is stopped. As
  documented choices, the rule starts once 10 jobs have finished and from round 10; a stopped
  job's objective is its metric at the round it was stopped.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import math
import re
import statistics
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import xgboost as xgb
from sklearn.model_selection import train_test_split

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "tuning"
DATA = REPO / "examples" / "tuning"
SEED = 7
JOBS = 120
PAGE_SIZE = 100
NUM_ROUND = 100
#: Early stopping: the rule applies from this round on, and once this many jobs have finished.
STOPPING_FROM_ROUND = 10
STOPPING_AFTER_JOBS = 10
ACCOUNT = "123456789012"
REGION = "us-east-1"
START = datetime(2026, 1, 1, tzinfo=UTC)

#: The ranges, as ParameterRanges in the API (the ModelTuningStack declares the same).
PARAMETER_RANGES: dict[str, list[dict[str, Any]]] = {
    "ContinuousParameterRanges": [
        {"Name": "eta", "MinValue": "0.01", "MaxValue": "0.5", "ScalingType": "Logarithmic"},
        {"Name": "alpha", "MinValue": "0.001", "MaxValue": "100", "ScalingType": "Logarithmic"},
        {"Name": "min_child_weight", "MinValue": "0", "MaxValue": "20", "ScalingType": "Linear"},
    ],
    "IntegerParameterRanges": [
        {"Name": "max_depth", "MinValue": "0", "MaxValue": "10", "ScalingType": "Linear"},
    ],
}


@dataclass(frozen=True)
class Variant:
    """One sweep: an XGBoost objective and the validation metric the tuner optimizes."""

    job_name: str
    xgboost_objective: str
    eval_metric: str
    objective_type: str  # Maximize or Minimize

    @property
    def metric_name(self) -> str:
        return f"validation:{self.eval_metric}"

    def better(self, a: float, b: float) -> bool:
        """``a`` is better than ``b``."""
        return a > b if self.objective_type == "Maximize" else a < b


VARIANTS = (
    Variant("bc-auc-sweep", "binary:logistic", "auc", "Maximize"),
    Variant("bc-rmse-sweep", "reg:squarederror", "rmse", "Minimize"),
)


def _load_example() -> Any:
    spec = importlib.util.spec_from_file_location("example_train", REPO / "examples" / "train.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while they are created
    spec.loader.exec_module(module)
    return module


def example_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The example's split, preprocessed as the served pipeline does: (x_train, y_train, x_valid, y_valid)."""
    example = _load_example()
    features, labels, _ = example.load_data()
    x_train, x_valid, y_train, y_valid = train_test_split(
        features, labels, test_size=example.TEST_FRACTION, random_state=example.SEED, stratify=labels)
    preprocessing = example.fit_preprocessing(x_train)
    return preprocessing.transform(x_train), y_train, preprocessing.transform(x_valid), y_valid


def sample(random: np.random.RandomState) -> dict[str, str]:
    """One draw of every range, as SageMaker's Random strategy writes TunedHyperParameters (strings)."""
    values: dict[str, str] = {}
    for kind, ranges in PARAMETER_RANGES.items():
        for spec in ranges:
            low, high = float(spec["MinValue"]), float(spec["MaxValue"])
            if kind == "IntegerParameterRanges":
                values[spec["Name"]] = str(random.randint(int(low), int(high) + 1))
            elif spec["ScalingType"] == "Logarithmic":
                values[spec["Name"]] = repr(float(math.exp(random.uniform(math.log(low), math.log(high)))))
            else:
                values[spec["Name"]] = repr(float(random.uniform(low, high)))
    return values


@dataclass
class Outcome:
    status: str  # Completed, Stopped or Failed
    objective: float | None
    curve: list[float]
    failure: str | None = None


def train_one(variant: Variant, hyperparameters: Mapping[str, str], train: xgb.DMatrix, valid: xgb.DMatrix,
              finished: Sequence[list[float]]) -> Outcome:
    """Trains round by round, applying the early-stopping rule against the ``finished`` curves."""
    params = {
        "objective": variant.xgboost_objective, "eval_metric": variant.eval_metric, "tree_method": "exact",
        "seed": SEED, "nthread": 1, "eta": float(hyperparameters["eta"]), "alpha": float(hyperparameters["alpha"]),
        "max_depth": int(hyperparameters["max_depth"]),
        "min_child_weight": float(hyperparameters["min_child_weight"]),
    }
    curve: list[float] = []
    try:
        booster = xgb.Booster(params, [train, valid])
        for round_index in range(NUM_ROUND):
            booster.update(train, round_index)
            value = float(booster.eval(valid).split(":")[-1])
            curve.append(value)
            if _should_stop(variant, curve, finished):
                return Outcome("Stopped", value, curve)
    except xgb.core.XGBoostError as error:
        first_line = str(error).splitlines()[0]
        message = re.sub(r"^\[\d\d:\d\d:\d\d\] ", "", first_line)
        return Outcome("Failed", None, curve, f"AlgorithmError: {message}")
    return Outcome("Completed", curve[-1], curve)


def _should_stop(variant: Variant, curve: list[float], finished: Sequence[list[float]]) -> bool:
    """SageMaker's median rule: worse than the median of earlier jobs' running averages to this round."""
    round_number = len(curve)
    if round_number < STOPPING_FROM_ROUND or len(finished) < STOPPING_AFTER_JOBS or round_number == NUM_ROUND:
        return False
    averages = [sum(earlier[:round_number]) / round_number for earlier in finished if len(earlier) >= round_number]
    if len(averages) < STOPPING_AFTER_JOBS:
        return False
    return variant.better(statistics.median(averages), curve[-1])


def sweep(variant: Variant, data: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
          jobs: int = JOBS) -> dict[str, Any]:
    """The sweep as the two API answers ``tuning report`` reads."""
    x_train, y_train, x_valid, y_valid = data
    train, valid = xgb.DMatrix(x_train, label=y_train), xgb.DMatrix(x_valid, label=y_valid)
    random = np.random.RandomState(SEED)
    summaries: list[dict[str, Any]] = []
    finished: list[list[float]] = []
    for index in range(1, jobs + 1):
        hyperparameters = sample(random)
        outcome = train_one(variant, hyperparameters, train, valid, finished)
        if outcome.status != "Failed":
            finished.append(outcome.curve)
        summaries.append(_summary(variant, index, hyperparameters, outcome))
    return {
        "DescribeHyperParameterTuningJob": _describe(variant, summaries, jobs),
        "ListTrainingJobsForHyperParameterTuningJob": _pages(summaries),
    }


def _time(minutes: int) -> str:
    return (START + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def _summary(variant: Variant, index: int, hyperparameters: Mapping[str, str], outcome: Outcome) -> dict[str, Any]:
    digest = hashlib.sha1(json.dumps(hyperparameters, sort_keys=True).encode()).hexdigest()[:8]
    name = f"{variant.job_name}-{index:03d}-{digest}"
    summary: dict[str, Any] = {
        "TrainingJobName": name,
        "TrainingJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:training-job/{name}",
        "TuningJobName": variant.job_name,
        "CreationTime": _time(index),
        "TrainingJobStatus": outcome.status,
        "TunedHyperParameters": dict(hyperparameters),
        "ObjectiveStatus": "Failed" if outcome.objective is None else "Succeeded",
    }
    if outcome.failure is not None:
        summary["FailureReason"] = outcome.failure
    if outcome.objective is not None:
        summary["FinalHyperParameterTuningJobObjectiveMetric"] = {
            "Type": variant.objective_type, "MetricName": variant.metric_name, "Value": outcome.objective}
    return summary


def _describe(variant: Variant, summaries: Sequence[dict[str, Any]], jobs: int) -> dict[str, Any]:
    scored = [s for s in summaries if "FinalHyperParameterTuningJobObjectiveMetric" in s]
    best = scored[0]
    for candidate in scored[1:]:
        if variant.better(candidate["FinalHyperParameterTuningJobObjectiveMetric"]["Value"],
                          best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]):
            best = candidate
    statuses = [s["TrainingJobStatus"] for s in summaries]
    return {
        "HyperParameterTuningJobName": variant.job_name,
        "HyperParameterTuningJobArn": f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:hyper-parameter-tuning-job/"
                                      f"{variant.job_name}",
        "HyperParameterTuningJobConfig": {
            "Strategy": "Random",
            "HyperParameterTuningJobObjective": {"Type": variant.objective_type, "MetricName": variant.metric_name},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": jobs, "MaxParallelTrainingJobs": 1},
            "ParameterRanges": PARAMETER_RANGES,
            "TrainingJobEarlyStoppingType": "Auto",
        },
        "HyperParameterTuningJobStatus": "Completed",
        "CreationTime": _time(0),
        "TrainingJobStatusCounters": {
            "Completed": statuses.count("Completed"), "InProgress": 0, "RetryableError": 0,
            "NonRetryableError": statuses.count("Failed"), "Stopped": statuses.count("Stopped"),
        },
        "ObjectiveStatusCounters": {"Succeeded": len(scored), "Pending": 0, "Failed": len(summaries) - len(scored)},
        "BestTrainingJob": best,
    }


def _pages(summaries: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The summaries newest first (the API's default order, by CreationTime), 100 a page."""
    ordered = list(reversed(summaries))
    pages = []
    for start in range(0, len(ordered), PAGE_SIZE):
        page: dict[str, Any] = {"TrainingJobSummaries": ordered[start:start + PAGE_SIZE]}
        if start + PAGE_SIZE < len(ordered):
            page["NextToken"] = f"page-{start // PAGE_SIZE + 2}"
        pages.append(page)
    return pages


def write_csv(path: Path, features: np.ndarray, labels: np.ndarray) -> None:
    """The built-in XGBoost's CSV: label first, no header, each float in its shortest exact form."""
    lines = [",".join([str(int(label)), *(repr(float(value)) for value in row)])
             for label, row in zip(labels, features, strict=True)]
    path.write_text("\n".join(lines) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: optional --jobs N (default 120)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=JOBS, help=f"training jobs per sweep. Default: {JOBS}")
    arguments = parser.parse_args(argv)
    data = example_data()
    DATA.mkdir(parents=True, exist_ok=True)
    write_csv(DATA / "train.csv", data[0], data[1])
    write_csv(DATA / "validation.csv", data[2], data[3])
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for variant in VARIANTS:
        responses = sweep(variant, data, arguments.jobs)
        path = FIXTURES / f"{variant.job_name}.json"
        path.write_text(json.dumps(responses, indent=1) + "\n")
        counters = responses["DescribeHyperParameterTuningJob"]["TrainingJobStatusCounters"]
        best = responses["DescribeHyperParameterTuningJob"]["BestTrainingJob"]
        print(f"{path.relative_to(REPO)}: {counters}, best {best['TrainingJobName']} "
              f"{best['FinalHyperParameterTuningJobObjectiveMetric']['Value']:.6f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
