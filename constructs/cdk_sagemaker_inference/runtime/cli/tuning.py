"""``tuning``: ``tuning report`` draws the report of a tuning job.

::

    cdk-sagemaker-inference tuning report --job churn-3f2a9c1b7d4e --out report/
    cdk-sagemaker-inference tuning report --job churn-3f2a9c1b7d4e --save churn.json   # keep the answers
    cdk-sagemaker-inference tuning report --from-file churn.json --out report/         # offline
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ..tuning_report import (
    TuningReportError,
    TuningResults,
    fetch_responses,
    load_responses,
    save_responses,
    write_report,
)

if TYPE_CHECKING:
    from .base import Commands

#: Failures reported as one line with exit status 1.
ERRORS: tuple[type[Exception], ...] = (TuningReportError,)


class PageProgress:
    """Shows how many pages and training jobs have loaded: in place on a terminal, a line a page otherwise."""

    def __init__(self, job: str, stream: TextIO | None = None) -> None:
        self._job = job
        self._stream = stream or sys.stderr
        self._in_place = self._stream.isatty()

    def __call__(self, pages: int, jobs: int) -> None:
        line = f"loading training jobs of {self._job}: {pages} page{'s' if pages != 1 else ''}, {jobs} jobs"
        self._stream.write(f"\r{line}" if self._in_place else f"{line}\n")
        self._stream.flush()

    def done(self) -> None:
        """Ends the in-place line."""
        if self._in_place:
            self._stream.write("\n")
            self._stream.flush()


def _report(args: argparse.Namespace) -> None:
    if args.from_file is not None:
        describe, pages = load_responses(args.from_file)
        if args.job is not None and describe.get("HyperParameterTuningJobName") != args.job:
            raise TuningReportError(f"{args.from_file} holds tuning job "
                                    f"{describe.get('HyperParameterTuningJobName')!r}, not {args.job!r}")
    elif args.job is not None:
        progress = PageProgress(args.job)
        describe, pages = fetch_responses(args.job, progress=progress)
        progress.done()
    else:
        raise TuningReportError("give --job NAME, or --from-file FILE to work offline")
    if args.save is not None:
        save_responses(args.save, describe, pages)
        print(f"saved the API answers to {args.save}")
    results = TuningResults.from_responses(describe, pages)
    files = write_report(results, args.out)
    best = results.best
    print(f"{len(results.jobs)} training jobs; best: "
          + (f"{best.name} ({results.metric_name} = {best.objective:.6g})" if best else "none"))
    for rho_name, rho in results.correlations().items():
        print(f"  Spearman {rho_name}: {'-' if rho is None else f'{rho:+.3f}'}")
    for path in (files.csv, *files.plots.values(), files.html):
        print(path)


def register(commands: Commands) -> None:
    """Adds ``tuning report`` to ``commands``."""
    tuning = commands.add_parser("tuning", help="reports of hyperparameter tuning jobs")
    actions = tuning.add_subparsers(dest="action", required=True, metavar="ACTION")
    report = actions.add_parser(
        "report",
        help="CSV, a plot per hyperparameter, rank correlations and an HTML page of a tuning job",
        description="Pages through ListTrainingJobsForHyperParameterTuningJob and writes <job>.csv, "
                    "<job>-<hyperparameter>.png and <job>.html into --out.",
    )
    report.add_argument("--job", help="tuning job name (optional with --from-file)")
    report.add_argument("--out", type=Path, default=Path("tuning-report"),
                        help="directory for the files. Default: ./tuning-report")
    report.add_argument("--from-file", type=Path,
                        help="draw offline from API answers saved with --save (no AWS call)")
    report.add_argument("--save", type=Path, help="also save the API answers to this JSON file")
    report.set_defaults(handler=_report)
