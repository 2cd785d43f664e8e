"""The tuning report on the real sweep's fixtures: files, axis scales, best highlighted, correlations,
paging past 100 jobs, failed and stopped jobs; the CLI; the sweep script reproduces the fixtures."""

from __future__ import annotations

import base64
import csv
import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from cdk_sagemaker_inference.runtime.cli import main
from cdk_sagemaker_inference.runtime.cli.tuning import PageProgress
from cdk_sagemaker_inference.runtime.tuning_report import (
    Hyperparameter,
    TuningReportError,
    TuningResults,
    fetch_responses,
    load_responses,
    png_bytes,
    save_responses,
    scatter,
    spearman,
    write_report,
)
from moto import mock_aws
from scipy.stats import spearmanr

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures" / "tuning"
AUC = FIXTURES / "bc-auc-sweep.json"
RMSE = FIXTURES / "bc-rmse-sweep.json"
REGION = "us-east-1"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def auc() -> TuningResults:
    return TuningResults.from_responses(*load_responses(AUC))


@pytest.fixture(scope="module")
def report(auc: TuningResults, tmp_path_factory: pytest.TempPathFactory) -> Any:
    return write_report(auc, tmp_path_factory.mktemp("report"))


def _hyperparameter(results: TuningResults, name: str) -> Hyperparameter:
    (found,) = [h for h in results.hyperparameters if h.name == name]
    return found


def _summaries(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [summary for page in pages for summary in page["TrainingJobSummaries"]]


# --- the fixtures are what the API answers ---------------------------------------------------------
def test_fixtures_hold_more_than_100_jobs_in_pages_of_at_most_100_with_failed_and_stopped_ones() -> None:
    for path in (AUC, RMSE):
        describe, pages = load_responses(path)
        assert [len(page["TrainingJobSummaries"]) for page in pages] == [100, 20]
        assert pages[0]["NextToken"] and "NextToken" not in pages[1]
        statuses = [s["TrainingJobStatus"] for page in pages for s in page["TrainingJobSummaries"]]
        counters = describe["TrainingJobStatusCounters"]
        assert statuses.count("Failed") == counters["NonRetryableError"] > 0
        assert statuses.count("Stopped") == counters["Stopped"] > 0
        assert statuses.count("Completed") == counters["Completed"] > 0


def test_failed_jobs_are_the_ones_xgboost_refused_and_have_no_objective(auc: TuningResults) -> None:
    failed = [job for job in auc.jobs if job.status == "Failed"]
    assert failed and all(job.objective is None for job in failed)
    assert {job.hyperparameters["max_depth"] for job in failed} == {"0"}
    assert all("exact tree method doesn't support unlimited depth" in (job.failure_reason or "") for job in failed)
    assert all(job.objective is not None for job in auc.jobs if job.status == "Stopped")


def test_results_read_the_configuration_and_the_best_job(auc: TuningResults) -> None:
    assert (auc.job_name, auc.strategy, auc.metric_name, auc.objective_type) == (
        "bc-auc-sweep", "Random", "validation:auc", "Maximize")
    assert [(h.name, h.kind, h.scaling) for h in auc.hyperparameters] == [
        ("eta", "Continuous", "Logarithmic"), ("alpha", "Continuous", "Logarithmic"),
        ("min_child_weight", "Continuous", "Linear"), ("max_depth", "Integer", "Linear")]
    assert len(auc.jobs) == 120
    best = auc.best
    assert best is not None and best.name == auc.best_job_name
    assert best.objective == max(job.objective for job in auc.scored if job.objective is not None)


def test_best_of_a_minimized_objective_is_the_smallest() -> None:
    rmse = TuningResults.from_responses(*load_responses(RMSE))
    assert rmse.best is not None
    assert rmse.best.objective == min(job.objective for job in rmse.scored if job.objective is not None)
    without_name = TuningResults(rmse.job_name, rmse.strategy, rmse.metric_name, rmse.objective_type,
                                 rmse.hyperparameters, rmse.jobs, None)
    assert without_name.best == rmse.best


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_a_non_finite_objective_counts_as_none(tmp_path: Path, value: float) -> None:
    describe, pages = load_responses(RMSE)
    del describe["BestTrainingJob"]  # the report picks the best itself
    first = pages[0]["TrainingJobSummaries"][0]
    first["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] = value
    save_responses(tmp_path / "saved.json", describe, pages)
    results = TuningResults.from_responses(*load_responses(tmp_path / "saved.json"))
    assert results == TuningResults.from_responses(describe, pages)
    (job,) = [job for job in results.jobs if job.name == first["TrainingJobName"]]
    assert job.objective is None and job not in results.scored
    assert results.best is not None and results.best.name == "bc-rmse-sweep-095-ebba8b2d"
    objectives = [job.objective for job in results.ordered()]
    assert objectives[-15:] == [None] * 15  # with the 14 failed jobs
    assert objectives[:-15] == sorted(objective for objective in objectives if objective is not None)
    correlations = results.correlations()
    assert all(rho is not None and math.isfinite(rho) for rho in correlations.values())


# --- correlations ----------------------------------------------------------------------------------
def test_correlations_are_spearmans_over_jobs_with_an_objective(auc: TuningResults) -> None:
    scored = auc.scored
    objectives = [job.objective for job in scored]
    correlations = auc.correlations()
    for name in ("eta", "alpha", "min_child_weight", "max_depth"):
        values = [float(job.hyperparameters[name]) for job in scored]
        assert correlations[name] == pytest.approx(spearmanr(values, objectives).statistic, abs=1e-12)
    # What the plots and the README state, from the real sweep.
    assert {name: round(rho or 0, 2) for name, rho in correlations.items()} == {
        "eta": 0.44, "alpha": -0.34, "min_child_weight": 0.30, "max_depth": 0.07}


@pytest.mark.parametrize(
    ("xs", "ys", "expected"),
    [
        ([1, 2, 3, 4], [10, 20, 30, 40], 1.0),
        ([1, 2, 3, 4], [4, 3, 2, 1], -1.0),
        ([1, 2, 2, 3], [1, 3, 2, 4], spearmanr([1, 2, 2, 3], [1, 3, 2, 4]).statistic),  # ties share ranks
        ([1, 1, 1], [1, 2, 3], None),  # a constant series has no rank order
        ([1, 2], [2, 1], None),  # too few pairs
    ],
)
def test_spearman(xs: list[float], ys: list[float], expected: float | None) -> None:
    result = spearman(xs, ys)
    assert result == (None if expected is None else pytest.approx(expected))


def test_spearman_refuses_series_of_different_lengths() -> None:
    with pytest.raises(ValueError, match="different lengths: 3 and 2"):
        spearman([1, 2, 3], [1, 2])


# --- the files -------------------------------------------------------------------------------------
def test_report_writes_a_csv_a_png_per_hyperparameter_and_an_html_page(report: Any, auc: TuningResults) -> None:
    assert report.csv.name == "bc-auc-sweep.csv"
    assert sorted(report.plots) == ["alpha", "eta", "max_depth", "min_child_weight"]
    for name, path in report.plots.items():
        assert path.name == f"bc-auc-sweep-{name}.png"
        assert path.read_bytes().startswith(PNG_SIGNATURE)
    assert report.html.name == "bc-auc-sweep.html"


def test_csv_lists_every_job_best_first_failed_last(report: Any, auc: TuningResults) -> None:
    with report.csv.open() as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["TrainingJobName", "TrainingJobStatus", "validation:auc", "eta", "alpha",
                       "min_child_weight", "max_depth", "FailureReason"]
    assert len(rows) == 121
    assert auc.best is not None and rows[1][0] == auc.best.name and float(rows[1][2]) == auc.best.objective
    values = [float(row[2]) for row in rows[1:] if row[2]]
    assert values == sorted(values, reverse=True)
    failed = [row for row in rows[1:] if row[1] == "Failed"]
    assert failed == rows[-len(failed):]
    assert all(row[2] == "" and row[6] == "0" and "unlimited depth" in row[7] for row in failed)


def test_html_is_self_contained_with_every_plot_inline(report: Any) -> None:
    page = report.html.read_text()
    for path in report.plots.values():
        assert f"data:image/png;base64,{base64.b64encode(path.read_bytes()).decode()}" in page
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert "Spearman" in page and "bc-auc-sweep-004-7f10df5d" in page
    assert page.count("<tr class=best>") == 1


# --- the plots -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "scale"),
    [("eta", "log"), ("alpha", "log"), ("min_child_weight", "linear"), ("max_depth", "linear")],
)
def test_logarithmic_ranges_get_a_logarithmic_axis(auc: TuningResults, name: str, scale: str) -> None:
    (axes,) = scatter(auc, _hyperparameter(auc, name)).axes
    assert axes.get_xscale() == scale


def _collection(axes: Any, gid: str) -> Any:
    (found,) = [c for c in axes.collections if c.get_gid() == gid]
    return found


def test_best_job_is_highlighted(auc: TuningResults) -> None:
    (axes,) = scatter(auc, _hyperparameter(auc, "eta")).axes
    best = _collection(axes, "best")
    assert auc.best is not None
    assert best.get_offsets().tolist() == [[float(auc.best.hyperparameters["eta"]), auc.best.objective]]
    assert best.get_sizes().tolist() == [320]
    assert best.get_label() == "best: bc-auc-sweep-004-7f10df5d"


def test_failed_and_stopped_jobs_are_marked(auc: TuningResults) -> None:
    (axes,) = scatter(auc, _hyperparameter(auc, "max_depth")).axes
    failed = [job for job in auc.jobs if job.status == "Failed"]
    stopped = [job for job in auc.jobs if job.status == "Stopped"]
    marks = _collection(axes, "no-objective-failed")
    assert marks.get_offsets().tolist() == [[0.0, 0.03]] * len(failed)  # along the bottom: AUC is maximized
    assert marks.get_label() == f"no objective: failed ({len(failed)})"
    assert len(_collection(axes, "stopped").get_offsets()) == len(stopped)
    assert len(_collection(axes, "completed").get_offsets()) == 120 - len(failed) - len(stopped)
    # The failed jobs' x (0) is inside the axis although they are drawn in axes coordinates.
    assert axes.get_xlim()[0] < 0


def _axes_fractions(axes: Any, collection: Any) -> Any:
    """Where ``collection``'s points are drawn, as fractions of the axes (0, 0 bottom left)."""
    axes.get_xlim(), axes.get_ylim()  # brings the view limits up to date
    return axes.transAxes.inverted().transform(collection.get_offset_transform().transform(collection.get_offsets()))


@pytest.mark.parametrize(("path", "direction", "worse_at_top"),
                         [(AUC, "higher is better", False), (RMSE, "lower is better", True)],
                         ids=["maximized", "minimized"])
def test_jobs_without_an_objective_are_drawn_along_the_worse_edge(path: Path, direction: str,
                                                                  worse_at_top: bool) -> None:
    results = TuningResults.from_responses(*load_responses(path))
    (axes,) = scatter(results, _hyperparameter(results, "eta")).axes
    assert axes.get_ylabel() == f"{results.metric_name} ({direction})"
    assert not axes.yaxis_inverted()
    failed = _collection(axes, "no-objective-failed")
    assert failed.get_label() == "no objective: failed (14)"
    heights = _axes_fractions(axes, failed)[:, 1].tolist()
    ((_, best),) = _axes_fractions(axes, _collection(axes, "best")).tolist()
    if worse_at_top:
        assert min(heights) > 0.9 and best < 0.5
    else:
        assert max(heights) < 0.1 and best > 0.5


def test_when_every_job_failed_the_x_axis_spans_their_values() -> None:
    describe, pages = load_responses(AUC)
    del describe["BestTrainingJob"]
    for summary in _summaries(pages):
        summary.update(TrainingJobStatus="Failed", ObjectiveStatus="Failed")
        summary.pop("FinalHyperParameterTuningJobObjectiveMetric", None)
    results = TuningResults.from_responses(describe, pages)
    assert results.best is None
    for hyperparameter in results.hyperparameters:  # logarithmic and linear axes
        (axes,) = scatter(results, hyperparameter).axes
        marks = _collection(axes, "no-objective-failed")
        assert marks.get_label() == "no objective: failed (120)"
        xs = [x for x, _ in marks.get_offsets().tolist()]
        low, high = axes.get_xlim()
        assert low < min(xs) and max(xs) < high, hyperparameter.name
        assert list(axes.get_yticks()) == []  # no objective value, no scale


def test_jobs_without_an_objective_are_grouped_by_status() -> None:
    describe, pages = load_responses(RMSE)
    completed = [summary for summary in _summaries(pages) if summary["TrainingJobStatus"] == "Completed"
                 and summary["TrainingJobName"] != describe["BestTrainingJob"]["TrainingJobName"]]
    for summary, status, objective_status in zip(
            completed[:3], ("InProgress", "Stopped", "Completed"), ("Pending", "Failed", "Failed"), strict=True):
        summary.update(TrainingJobStatus=status, ObjectiveStatus=objective_status)
        del summary["FinalHyperParameterTuningJobObjectiveMetric"]
    results = TuningResults.from_responses(describe, pages)
    (axes,) = scatter(results, _hyperparameter(results, "alpha")).axes
    groups = [c for c in axes.collections if c.get_label().startswith("no objective")]
    assert sorted(c.get_label() for c in groups) == [
        "no objective: completed (1)", "no objective: failed (14)", "no objective: in progress (1)",
        "no objective: stopped (1)"]
    assert len({c.get_paths()[0].vertices.tobytes() for c in groups}) == 4  # a marker each
    assert all(height == pytest.approx(0.97) for c in groups for height in _axes_fractions(axes, c)[:, 1])


#: max_depth as a Categorical range: the sweep drew 0-10, so 11 and 12 are declared but never tried.
DEPTHS = [str(d) for d in range(13)]


def _reranged() -> TuningResults:
    """The AUC sweep with eta on a ReverseLogarithmic range and max_depth a Categorical one."""
    describe, pages = load_responses(AUC)
    describe["HyperParameterTuningJobConfig"]["ParameterRanges"] = {
        "ContinuousParameterRanges": [{"Name": "eta", "MinValue": "0.01", "MaxValue": "0.5",
                                       "ScalingType": "ReverseLogarithmic"}],
        "CategoricalParameterRanges": [{"Name": "max_depth", "Values": DEPTHS}],
    }
    return TuningResults.from_responses(describe, pages)


def test_a_categorical_axis_follows_the_declared_values() -> None:
    results = _reranged()
    max_depth = _hyperparameter(results, "max_depth")
    assert max_depth.values == tuple(DEPTHS)
    (axes,) = scatter(results, max_depth).axes
    assert [label.get_text() for label in axes.get_xticklabels()] == DEPTHS  # not the jobs' order
    completed = [job for job in results.jobs if job.status == "Completed"]
    assert [x for x, _ in _collection(axes, "completed").get_offsets().tolist()] == [
        DEPTHS.index(job.hyperparameters["max_depth"]) for job in completed]
    low, high = axes.get_xlim()
    assert low < 0 and high > len(DEPTHS) - 1  # every declared value, tried or not


def test_reverse_logarithmic_and_categorical_ranges_plot() -> None:
    results = _reranged()
    assert results.correlations()["max_depth"] is None
    (axes,) = scatter(results, _hyperparameter(results, "eta")).axes
    assert axes.get_xscale() == "function"
    (axes,) = scatter(results, _hyperparameter(results, "max_depth")).axes
    assert "Spearman" not in axes.get_title()


def test_plots_without_matplotlib_say_which_extra_to_install(
    auc: TuningResults, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(TuningReportError, match=r"pip install 'cdk-sagemaker-inference\[report\]'"):
        scatter(auc, auc.hyperparameters[0])


# --- paging through the API ------------------------------------------------------------------------
class ListStub:
    """Answers ListTrainingJobsForHyperParameterTuningJob from a fixture's pages.

    moto 5.2.5 does not implement this call, so exactly it is stubbed (a botocore ``before-call``
    handler that returns the answer); DescribeHyperParameterTuningJob goes to moto.
    """

    def __init__(self, pages: list[dict[str, Any]]) -> None:
        self.pages = {None: pages[0], **{page["NextToken"]: pages[i + 1]
                                         for i, page in enumerate(pages) if "NextToken" in page}}
        self.requests: list[dict[str, Any]] = []

    def __call__(self, params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]]:
        request = json.loads(params["body"])
        self.requests.append(request)
        return AWSResponse("https://stub", 200, {}, None), self.pages[request.get("NextToken")]

    def install(self, events: Any) -> None:
        events.register("before-call.sagemaker.ListTrainingJobsForHyperParameterTuningJob", self)


def _create_tuning_job(client: Any, name: str) -> None:
    describe, _ = load_responses(AUC)
    client.create_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name,
        HyperParameterTuningJobConfig=describe["HyperParameterTuningJobConfig"],
        TrainingJobDefinition={
            "AlgorithmSpecification": {"TrainingImage": "xgboost:1.7-1", "TrainingInputMode": "File"},
            "RoleArn": "arn:aws:iam::123456789012:role/training",
            "OutputDataConfig": {"S3OutputPath": "s3://bucket/tuning/"},
            "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
            "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
        },
    )


@pytest.fixture
def sagemaker() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("sagemaker", region_name=REGION)


def test_fetch_pages_past_100_jobs_with_progress(sagemaker: Any) -> None:
    _create_tuning_job(sagemaker, "bc-auc-sweep")
    stub = ListStub(load_responses(AUC)[1])
    stub.install(sagemaker.meta.events)
    seen: list[tuple[int, int]] = []
    describe, pages = fetch_responses("bc-auc-sweep", sagemaker, progress=lambda p, j: seen.append((p, j)))
    assert stub.requests == [
        {"HyperParameterTuningJobName": "bc-auc-sweep", "MaxResults": 100},
        {"HyperParameterTuningJobName": "bc-auc-sweep", "MaxResults": 100, "NextToken": "page-2"},
    ]
    assert seen == [(1, 100), (2, 120)]
    results = TuningResults.from_responses(describe, pages)
    assert len(results.jobs) == 120 and results.metric_name == "validation:auc"


def test_saved_answers_round_trip(sagemaker: Any, tmp_path: Path) -> None:
    _create_tuning_job(sagemaker, "bc-auc-sweep")
    ListStub(load_responses(AUC)[1]).install(sagemaker.meta.events)
    describe, pages = fetch_responses("bc-auc-sweep", sagemaker)
    assert isinstance(describe["CreationTime"], str)  # datetimes saved as ISO strings
    save_responses(tmp_path / "saved.json", describe, pages)
    assert load_responses(tmp_path / "saved.json") == (describe, pages)


@pytest.mark.parametrize("content", ["not json", "{}", '{"DescribeHyperParameterTuningJob": [], '
                                                      '"ListTrainingJobsForHyperParameterTuningJob": {}}'])
def test_unreadable_saved_answers_are_refused(tmp_path: Path, content: str) -> None:
    path = tmp_path / "saved.json"
    path.write_text(content)
    with pytest.raises(TuningReportError, match="saved.json"):
        load_responses(path)


def test_a_tuning_job_of_several_algorithms_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    describe, pages = load_responses(AUC)
    config = {key: value for key, value in describe["HyperParameterTuningJobConfig"].items()
              if key not in ("HyperParameterTuningJobObjective", "ParameterRanges")}
    definitions = [{"DefinitionName": name, "TuningObjective": {"Type": "Maximize", "MetricName": "validation:auc"},
                    "HyperParameterRanges": {}} for name in ("xgboost", "linear")]
    multi = {**describe, "HyperParameterTuningJobConfig": config, "TrainingJobDefinitions": definitions}
    message = ("tuning job 'bc-auc-sweep' has TrainingJobDefinitions (several algorithms); "
               "the report supports one TrainingJobDefinition")
    with pytest.raises(TuningReportError) as refused:
        TuningResults.from_responses(multi, pages)
    assert str(refused.value) == message
    save_responses(tmp_path / "multi.json", multi, pages)
    assert main(["tuning", "report", "--from-file", str(tmp_path / "multi.json"), "--out", str(tmp_path)]) == 1
    assert capsys.readouterr().err == f"cdk-sagemaker-inference: error: {message}\n"


# --- the command line ------------------------------------------------------------------------------
def test_cli_report_from_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tuning", "report", "--from-file", str(RMSE), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "120 training jobs; best: bc-rmse-sweep-095-ebba8b2d (validation:rmse = 0.156518)" in out
    assert "Spearman eta: -0.525" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "bc-rmse-sweep-alpha.png", "bc-rmse-sweep-eta.png", "bc-rmse-sweep-max_depth.png",
        "bc-rmse-sweep-min_child_weight.png", "bc-rmse-sweep.csv", "bc-rmse-sweep.html"]


@pytest.fixture
def default_session(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # a fresh default session, restored afterwards
    with mock_aws():
        boto3.setup_default_session(region_name=REGION)
        yield boto3.DEFAULT_SESSION


def test_cli_report_from_the_api_shows_progress_and_saves(
    default_session: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _create_tuning_job(boto3.client("sagemaker"), "bc-auc-sweep")
    ListStub(load_responses(AUC)[1]).install(default_session.events)
    saved = tmp_path / "saved.json"
    assert main(["tuning", "report", "--job", "bc-auc-sweep", "--out", str(tmp_path), "--save", str(saved)]) == 0
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "loading training jobs of bc-auc-sweep: 1 page, 100 jobs",
        "loading training jobs of bc-auc-sweep: 2 pages, 120 jobs",
    ]
    # moto answers Describe without BestTrainingJob: the report picks the best objective itself.
    assert "(validation:auc = 0.997484)" in captured.out
    assert len(load_responses(saved)[1]) == 2


def test_progress_rewrites_one_line_on_a_terminal() -> None:
    class Terminal:
        def __init__(self) -> None:
            self.text = ""

        def isatty(self) -> bool:
            return True

        def write(self, text: str) -> None:
            self.text += text

        def flush(self) -> None:
            pass

    terminal = Terminal()
    progress = PageProgress("job", terminal)  # type: ignore[arg-type]
    progress(1, 100)
    progress(2, 120)
    progress.done()
    assert terminal.text == ("\rloading training jobs of job: 1 page, 100 jobs"
                             "\rloading training jobs of job: 2 pages, 120 jobs\n")


@pytest.mark.parametrize(
    ("argv", "error"),
    [
        (["tuning", "report"], "give --job NAME, or --from-file FILE to work offline"),
        (["tuning", "report", "--job", "other", "--from-file", str(AUC)],
         "holds tuning job 'bc-auc-sweep', not 'other'"),
        (["tuning", "report", "--from-file", "/nonexistent.json"], "/nonexistent.json: not a saved tuning job"),
    ],
)
def test_cli_errors_are_one_line(argv: list[str], error: str, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*argv, "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("cdk-sagemaker-inference: error: ") and error in err and err.count("\n") == 1


# --- the fixtures come from the sweep script -------------------------------------------------------
@pytest.mark.slow
def test_sweep_script_reproduces_the_fixtures_and_the_data(tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO / "tools"))
    try:
        import tuning_sweep
    finally:
        sys.path.remove(str(REPO / "tools"))
    data = tuning_sweep.example_data()
    for name, features, labels in (("train.csv", data[0], data[1]), ("validation.csv", data[2], data[3])):
        tuning_sweep.write_csv(tmp_path / name, features, labels)
        assert (tmp_path / name).read_bytes() == (REPO / "examples" / "tuning" / name).read_bytes()
    for variant, path in zip(tuning_sweep.VARIANTS, (AUC, RMSE), strict=True):
        # The first jobs of a sweep depend only on the jobs before them: rerun 12 and compare.
        rerun = tuning_sweep.sweep(variant, data, jobs=12)
        summaries = rerun["ListTrainingJobsForHyperParameterTuningJob"][0]["TrainingJobSummaries"]
        committed = load_responses(path)[1][-1]["TrainingJobSummaries"][-12:]
        assert summaries == committed


@pytest.mark.parametrize("name", ["eta", "alpha"])
def test_readme_plots_are_what_the_report_draws_from_the_fixture(auc: TuningResults, name: str) -> None:
    committed = (REPO / "docs" / f"bc-auc-sweep-{name}.png").read_bytes()
    assert png_bytes(scatter(auc, _hyperparameter(auc, name))) == committed
