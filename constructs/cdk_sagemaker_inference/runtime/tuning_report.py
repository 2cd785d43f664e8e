"""The tuning report: every training job of a tuning job as a table, plots and rank correlations.

``fetch_responses`` pages through ``ListTrainingJobsForHyperParameterTuningJob`` (100 summaries a
page, the API's maximum) after ``DescribeHyperParameterTuningJob``; ``save_responses`` and
``load_responses`` keep those answers in one JSON file, so a report can be drawn offline
(``--from-file``). ``write_report`` writes:

- ``<job>.csv``: one row per training job, best first, jobs without an objective last;
- ``<job>-<hyperparameter>.png``: the hyperparameter against the objective, on a logarithmic axis
  for a Logarithmic range and in the declared order for a Categorical one, the best job highlighted,
  stopped jobs marked; a job without an objective (failed, still running, or one whose objective
  failed) is drawn along the worse edge (the bottom when maximizing, the top when minimizing), a
  marker per training job status;
- ``<job>.html``: one self-contained page with the summary, the correlations, the plots (PNG,
  base64) and the table.

The Spearman rank correlation of each numeric hyperparameter with the objective uses every job
that reported an objective value (completed and stopped ones, as SageMaker's own analytics do); a
non-finite value (NaN, infinity) counts as no objective, since it has no rank;
categorical hyperparameters have no order and get none. Plots need matplotlib (the ``[report]``
extra); everything else only boto3.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: The keys of a saved-responses file (``--from-file``): the two API answers, by operation name.
DESCRIBE = "DescribeHyperParameterTuningJob"
LIST = "ListTrainingJobsForHyperParameterTuningJob"
PAGE_SIZE = 100

#: Called after each page: (pages loaded, training jobs loaded so far).
Progress = Callable[[int, int], None]


class TuningReportError(Exception):
    """A report that cannot be drawn: unreadable saved responses, a tuning job of several algorithms, or
    matplotlib is missing."""


@dataclass(frozen=True)
class Hyperparameter:
    """A tuned hyperparameter: its name, its kind (Continuous, Integer, Categorical), scaling and, for a
    Categorical one, its declared values in their declared order."""

    name: str
    kind: str
    scaling: str = "Linear"
    values: tuple[str, ...] = ()

    @property
    def numeric(self) -> bool:
        """Whether the values have an order (Continuous, Integer), so a rank correlation."""
        return self.kind != "Categorical"


@dataclass(frozen=True)
class TrainingJob:
    """One training job of the tuning job; ``objective`` is None unless it reported a finite value."""

    name: str
    status: str
    objective: float | None
    hyperparameters: Mapping[str, str]
    failure_reason: str | None = None


@dataclass(frozen=True)
class TuningResults:
    """A tuning job's configuration and all its training jobs."""

    job_name: str
    strategy: str
    metric_name: str
    objective_type: str  # Maximize or Minimize
    hyperparameters: Sequence[Hyperparameter]
    jobs: Sequence[TrainingJob]
    best_job_name: str | None

    @staticmethod
    def from_responses(describe: Mapping[str, Any], pages: Sequence[Mapping[str, Any]]) -> TuningResults:
        """Reads the two API answers (boto3's, or as saved by ``save_responses``).

        :raises TuningReportError: a tuning job of several algorithms (``TrainingJobDefinitions``): each
            has its own objective and ranges, and the report draws one of each.
        """
        if "TrainingJobDefinitions" in describe:
            raise TuningReportError(
                f"tuning job {describe['HyperParameterTuningJobName']!r} has TrainingJobDefinitions (several "
                "algorithms); the report supports one TrainingJobDefinition"
            )
        config = describe["HyperParameterTuningJobConfig"]
        objective = config["HyperParameterTuningJobObjective"]
        ranges = config.get("ParameterRanges", {})
        hyperparameters = [
            Hyperparameter(spec["Name"], kind.removesuffix("ParameterRanges"), spec.get("ScalingType", "Linear"),
                           tuple(spec.get("Values", ())))
            for kind in ("ContinuousParameterRanges", "IntegerParameterRanges", "CategoricalParameterRanges")
            for spec in ranges.get(kind, [])
        ]
        jobs = [
            TrainingJob(
                name=summary["TrainingJobName"],
                status=summary["TrainingJobStatus"],
                objective=_objective(summary),
                hyperparameters=dict(summary.get("TunedHyperParameters", {})),
                failure_reason=summary.get("FailureReason"),
            )
            for page in pages
            for summary in page.get("TrainingJobSummaries", [])
        ]
        best = describe.get("BestTrainingJob", {}).get("TrainingJobName")
        return TuningResults(describe["HyperParameterTuningJobName"], config.get("Strategy", "-"),
                             objective["MetricName"], objective["Type"], hyperparameters, jobs, best)

    @property
    def best(self) -> TrainingJob | None:
        """SageMaker's best training job, or the best objective value if SageMaker names none."""
        scored = self.scored
        named = [job for job in scored if job.name == self.best_job_name]
        if named:
            return named[0]
        if not scored:
            return None
        pick = max if self.objective_type == "Maximize" else min
        return pick(scored, key=lambda job: job.objective or 0.0)

    @property
    def scored(self) -> list[TrainingJob]:
        """The jobs that reported an objective value."""
        return [job for job in self.jobs if job.objective is not None]

    def ordered(self) -> list[TrainingJob]:
        """Best objective first, jobs without one last (by name)."""
        sign = -1.0 if self.objective_type == "Maximize" else 1.0
        return sorted(self.jobs, key=lambda job: (job.objective is None,
                                                  sign * job.objective if job.objective is not None else 0.0,
                                                  job.name))

    def values(self, hyperparameter: Hyperparameter, jobs: Sequence[TrainingJob]) -> list[float]:
        """The numeric values of ``hyperparameter`` for ``jobs``."""
        return [float(job.hyperparameters[hyperparameter.name]) for job in jobs]

    def correlations(self) -> dict[str, float | None]:
        """Spearman's rank correlation of each hyperparameter with the objective (None if undefined)."""
        scored = self.scored
        objectives = [job.objective or 0.0 for job in scored]
        return {h.name: spearman(self.values(h, scored), objectives) if h.numeric else None
                for h in self.hyperparameters}


def _objective(summary: Mapping[str, Any]) -> float | None:
    """The training job's final objective value; None without one, or for NaN or an infinity (a
    diverged job's metric), which would make the best job, the order and the ranks meaningless."""
    metric = summary.get("FinalHyperParameterTuningJobObjectiveMetric")
    if metric is None:
        return None
    value = float(metric["Value"])
    return value if math.isfinite(value) else None


def _ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks, ties sharing their average rank."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and values[order[end + 1]] == values[order[start]]:
            end += 1
        for position in range(start, end + 1):
            ranks[order[position]] = (start + end) / 2 + 1
        start = end + 1
    return ranks


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Spearman's rank correlation: Pearson's correlation of the ranks; None for fewer than 3 pairs or
    a constant series."""
    if len(xs) != len(ys):
        raise ValueError(f"series of different lengths: {len(xs)} and {len(ys)}")
    if len(xs) < 3:
        return None
    rx, ry = _ranks(xs), _ranks(ys)
    mx, my = sum(rx) / len(rx), sum(ry) / len(ry)
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    if sxx == 0 or syy == 0:
        return None
    return sxy / math.sqrt(sxx * syy)


# --- the API answers ------------------------------------------------------------------------------
def fetch_responses(job_name: str, client: Any = None,
                    progress: Progress | None = None) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """DescribeHyperParameterTuningJob, then every page of ListTrainingJobsForHyperParameterTuningJob.

    :param client: a boto3 SageMaker client. Default: a new one (the AWS CLI's region and credentials).
    :param progress: called after each page with (pages, training jobs) loaded so far. Default: none.
    """
    if client is None:
        import boto3

        client = boto3.client("sagemaker")
    describe = _plain(client.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=job_name))
    pages: list[dict[str, Any]] = []
    request: dict[str, Any] = {"HyperParameterTuningJobName": job_name, "MaxResults": PAGE_SIZE}
    loaded = 0
    while True:
        page = _plain(client.list_training_jobs_for_hyper_parameter_tuning_job(**request))
        pages.append(page)
        loaded += len(page.get("TrainingJobSummaries", []))
        if progress is not None:
            progress(len(pages), loaded)
        if not page.get("NextToken"):
            return describe, pages
        request["NextToken"] = page["NextToken"]


def _plain(answer: Mapping[str, Any]) -> dict[str, Any]:
    """An API answer without ResponseMetadata, datetimes as ISO strings: what a saved file holds."""
    def convert(value: Any) -> Any:
        if isinstance(value, datetime | date):
            return value.isoformat()
        if isinstance(value, Mapping):
            return {k: convert(v) for k, v in value.items() if k != "ResponseMetadata"}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value

    converted: dict[str, Any] = convert(answer)
    return converted


def save_responses(path: Path, describe: Mapping[str, Any], pages: Sequence[Mapping[str, Any]]) -> None:
    """Writes the answers as one JSON file that ``load_responses`` (and ``--from-file``) read."""
    path.write_text(json.dumps({DESCRIBE: describe, LIST: list(pages)}, indent=1) + "\n")


def load_responses(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The answers saved in ``path``: ``{"DescribeHyperParameterTuningJob": {...},
    "ListTrainingJobsForHyperParameterTuningJob": [page, ...]}``."""
    try:
        saved = json.loads(path.read_text())
        describe, pages = saved[DESCRIBE], saved[LIST]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise TuningReportError(f"{path}: not a saved tuning job ({DESCRIBE} and {LIST} answers): "
                                f"{type(error).__name__}: {error}") from error
    if not isinstance(describe, dict) or not isinstance(pages, list):
        raise TuningReportError(f"{path}: {DESCRIBE} must be an object and {LIST} a list of pages")
    return describe, pages


# --- the report -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportFiles:
    """What ``write_report`` wrote."""

    csv: Path
    plots: Mapping[str, Path]
    html: Path


_COLORS = {"Completed": "#1f77b4", "Stopped": "#ff7f0e", "Failed": "#d62728", "best": "#2ca02c"}
_MARKERS = {"Completed": "o", "Stopped": "^"}
#: Jobs without an objective, by TrainingJobStatus (a Completed job's objective may have failed).
_NO_OBJECTIVE_MARKERS = {"Failed": "x", "Completed": "+", "Stopped": "1", "Stopping": "2", "InProgress": "d"}


def _objectives(jobs: Sequence[TrainingJob]) -> list[float]:
    return [job.objective for job in jobs if job.objective is not None]


def _status_words(status: str) -> str:
    """``InProgress`` as ``in progress``: a status as a legend says it."""
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", status).lower()


def _matplotlib() -> None:
    try:
        import matplotlib
    except ImportError as error:
        raise TuningReportError("plots need matplotlib: pip install 'cdk-sagemaker-inference[report]'") from error
    # No display: render to files only.
    matplotlib.use("Agg")


def scatter(results: TuningResults, hyperparameter: Hyperparameter) -> Figure:
    """``hyperparameter`` against the objective: completed jobs as dots, stopped as triangles, the best
    job as a large star; jobs without an objective along the worse edge (bottom when maximizing, top
    when minimizing), failed ones as crosses and a marker for each other status; log x axis for a
    Logarithmic range, a Categorical one's values in their declared order."""
    _matplotlib()
    from matplotlib.figure import Figure
    from matplotlib.transforms import blended_transform_factory

    figure = Figure(figsize=(8.4, 4.2), dpi=100)
    axes = figure.add_subplot()
    name = hyperparameter.name

    # A category's position: the declared values in their order (matplotlib's own categories follow
    # the jobs' order), then any value a job has that the range does not declare.
    categories: dict[str, float] = {}
    if not hyperparameter.numeric:
        for value in [*hyperparameter.values, *(job.hyperparameters[name] for job in results.jobs)]:
            categories.setdefault(value, float(len(categories)))

    def x_of(jobs: Sequence[TrainingJob]) -> list[float]:
        if hyperparameter.numeric:
            return results.values(hyperparameter, jobs)
        return [categories[job.hyperparameters[name]] for job in jobs]

    scored = results.scored
    for status in sorted({job.status for job in scored}, key=lambda s: (s not in _MARKERS, s)):
        jobs = [job for job in scored if job.status == status]
        axes.scatter(x_of(jobs), _objectives(jobs), marker=_MARKERS.get(status, "s"), s=24, alpha=0.75,
                     color=_COLORS.get(status, "#7f7f7f"), label=f"{_status_words(status)} ({len(jobs)})",
                     gid=status.lower())
    unscored = [job for job in results.jobs if job.objective is None]
    # No objective: along the worse edge, the top when minimizing as the y axis is not inverted (x in data,
    # y in axes coordinates).
    edge = blended_transform_factory(axes.transData, axes.transAxes)
    worse = 0.03 if results.objective_type == "Maximize" else 0.97
    for status in sorted({job.status for job in unscored}):
        jobs = [job for job in unscored if job.status == status]
        axes.scatter(x_of(jobs), [worse] * len(jobs), marker=_NO_OBJECTIVE_MARKERS.get(status, "x"), s=36,
                     color=_COLORS.get(status, "#7f7f7f"), transform=edge,
                     label=f"no objective: {_status_words(status)} ({len(jobs)})",
                     gid=f"no-objective-{status.lower()}")
    # A blended transform does not widen the x limits: take these jobs' x, and every category, into
    # account (with no job scored, nothing else sets them).
    extent = [*x_of(unscored), *categories.values()]
    if extent:
        axes.update_datalim([(x, 0.0) for x in extent], updatey=False)
        axes.autoscale_view()
    if categories:
        axes.set_xticks(list(categories.values()), labels=list(categories))
    if not scored:
        # No objective value at all: the y axis has no scale to show.
        axes.set_yticks([])
    best = results.best
    if best is not None:
        axes.scatter(x_of([best]), _objectives([best]), marker="*", s=320, color=_COLORS["best"],
                     edgecolors="black", linewidths=0.8, zorder=3, label=f"best: {best.name}", gid="best")
    if hyperparameter.scaling == "Logarithmic":
        axes.set_xscale("log")
    elif hyperparameter.scaling == "ReverseLogarithmic":
        axes.set_xscale("function", functions=(_reverse_log, _reverse_log_inverse))
    rho = results.correlations()[name]
    direction = "higher is better" if results.objective_type == "Maximize" else "lower is better"
    axes.set_xlabel(f"{name} ({hyperparameter.kind.lower()}, {hyperparameter.scaling} scale)")
    axes.set_ylabel(f"{results.metric_name} ({direction})")
    axes.set_title(f"{results.job_name}: {name}" + (f"  (Spearman ρ = {rho:+.2f})" if rho is not None else ""))
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.01, 0.5))
    figure.tight_layout()
    return figure


def _reverse_log(values: Any) -> Any:
    import numpy as np

    with np.errstate(divide="ignore"):  # the axis may reach 1, where the scale is infinite
        return -np.log10(1 - np.asarray(values))


def _reverse_log_inverse(values: Any) -> Any:
    import numpy as np

    return 1 - np.power(10.0, -np.asarray(values))


def png_bytes(figure: Figure) -> bytes:
    """The figure as PNG, without the software-version metadata (the same plot gives the same bytes)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def write_csv(results: TuningResults, path: Path) -> None:
    """One row per training job, best first: name, status, objective, each hyperparameter, failure."""
    names = [h.name for h in results.hyperparameters]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["TrainingJobName", "TrainingJobStatus", results.metric_name, *names, "FailureReason"])
        for job in results.ordered():
            writer.writerow([job.name, job.status, "" if job.objective is None else repr(job.objective),
                             *(job.hyperparameters.get(name, "") for name in names), job.failure_reason or ""])


def write_report(results: TuningResults, out: Path) -> ReportFiles:
    """Writes the CSV, one PNG per hyperparameter and the HTML page into ``out`` (created if needed)."""
    out.mkdir(parents=True, exist_ok=True)
    table = out / f"{results.job_name}.csv"
    write_csv(results, table)
    plots: dict[str, Path] = {}
    images: dict[str, bytes] = {}
    for hyperparameter in results.hyperparameters:
        image = png_bytes(scatter(results, hyperparameter))
        path = out / f"{results.job_name}-{hyperparameter.name}.png"
        path.write_bytes(image)
        plots[hyperparameter.name], images[hyperparameter.name] = path, image
    page = out / f"{results.job_name}.html"
    page.write_text(render_html(results, images))
    return ReportFiles(table, plots, page)


def render_html(results: TuningResults, images: Mapping[str, bytes]) -> str:
    """One self-contained page: summary, correlations, the plots inline (base64 PNG), the table."""
    e = html.escape
    best = results.best
    counts: dict[str, int] = {}
    for job in results.jobs:
        counts[job.status] = counts.get(job.status, 0) + 1
    correlations = results.correlations()
    rows = "".join(
        f"<tr><td>{e(name)}</td><td>{'-' if rho is None else f'{rho:+.3f}'}</td></tr>"
        for name, rho in correlations.items())
    names = [h.name for h in results.hyperparameters]
    jobs = "".join(
        f"<tr{' class=best' if best is not None and job.name == best.name else ''}><td>{e(job.name)}</td>"
        f"<td>{e(job.status)}</td><td>{'' if job.objective is None else f'{job.objective:.6g}'}</td>"
        + "".join(f"<td>{e(job.hyperparameters.get(name, ''))}</td>" for name in names)
        + f"<td>{e(job.failure_reason or '')}</td></tr>"
        for job in results.ordered())
    plots = "".join(
        f'<figure><img alt="{e(name)} against {e(results.metric_name)}" '
        f'src="data:image/png;base64,{base64.b64encode(image).decode()}"></figure>'
        for name, image in images.items())
    headers = "".join(f"<th>{e(n)}</th>" for n in names)
    best_text = ("none: no training job reported an objective" if best is None else
                 f"{e(best.name)}: {e(results.metric_name)} = {best.objective:.6g}, "
                 + ", ".join(f"{e(k)} = {e(v)}" for k, v in best.hyperparameters.items()))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Tuning job {e(results.job_name)}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;
padding:2px 6px;text-align:left}}tr.best{{background:#d9f2d9}}figure{{display:inline-block;margin:0.5em}}</style>
</head><body>
<h1>Tuning job {e(results.job_name)}</h1>
<p>Strategy {e(results.strategy)}; objective {e(results.metric_name)} ({e(results.objective_type)});
{len(results.jobs)} training jobs: {e(", ".join(f"{n} {_status_words(s)}" for s, n in sorted(counts.items())))}.</p>
<p><strong>Best:</strong> {best_text}</p>
<h2>Rank correlation with the objective (Spearman)</h2>
<table><tr><th>hyperparameter</th><th>ρ</th></tr>{rows}</table>
<h2>Each hyperparameter against the objective</h2>
{plots}
<h2>Training jobs, best first</h2>
<table><tr><th>training job</th><th>status</th><th>{e(results.metric_name)}</th>{headers}
<th>failure</th></tr>{jobs}</table>
</body></html>
"""
