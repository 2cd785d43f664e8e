"""``transform``: start a BatchTransform run (optionally wait for it) and show a run's state.

::

    cdk-sagemaker-inference transform start --state-machine ARN --input s3://bucket/batch/input/x.csv --wait
    cdk-sagemaker-inference transform status EXECUTION_ARN

``start --wait`` prints a line whenever the run or its job changes state, with the elapsed time, and
exits 1 with one line if the run does not succeed.
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import TYPE_CHECKING

from ..transform_client import TransformClient, TransformError, TransformRun

if TYPE_CHECKING:
    from .base import Commands

ERRORS: tuple[type[Exception], ...] = (TransformError,)


def register(commands: Commands) -> None:
    """Adds ``transform start|status`` to the command line."""
    transform = commands.add_parser("transform", help="start a batch transform run or show its state")
    actions = transform.add_subparsers(dest="action", required=True, metavar="ACTION")
    start = actions.add_parser("start", help="start a run of a BatchTransform state machine")
    start.add_argument("--state-machine", required=True, help="the state machine ARN (a stack output)")
    start.add_argument("--input", help="s3:// object or prefix to score. Default: the whole input location")
    start.add_argument("--name", help="the execution's name. Default: Step Functions names it")
    start.add_argument("--wait", action="store_true", help="wait for the run, showing its state and elapsed time")
    start.add_argument("--poll-seconds", type=_poll_seconds, default=30,
                       help="pause between checks, at least 1. Default: 30")
    start.set_defaults(handler=_start)
    status = actions.add_parser("status", help="the state of a run, its job and its output path")
    status.add_argument("execution", help="the execution ARN that start printed")
    status.set_defaults(handler=_status)


def _poll_seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    # Checked before the run starts: a negative pause fails only after it, and 0 polls nonstop.
    if not (math.isfinite(seconds) and seconds >= 1):
        raise argparse.ArgumentTypeError(f"expected a number of seconds of at least 1, got {value!r}")
    return seconds


def format_run(run: TransformRun, elapsed: float | None = None) -> str:
    """One line: execution state, job and its state, elapsed time (mm:ss) when given."""
    parts = [run.status]
    if run.job_name:
        parts.append(f"job {run.job_name} {run.job_status or 'Pending'}")
    if elapsed is not None:
        minutes, seconds = divmod(int(elapsed), 60)
        parts.append(f"{minutes:02d}:{seconds:02d} elapsed")
    return "  ".join(parts)


def _details(run: TransformRun) -> str:
    lines = [
        f"Execution: {run.execution_arn}",
        f"Status:    {run.status}",
        f"Started:   {run.started.isoformat(timespec='seconds')}",
        f"Stopped:   {run.stopped.isoformat(timespec='seconds') if run.stopped else '-'}",
        f"Input:     {run.input or '(the whole input location)'}",
        f"Job:       {run.job_name or '-'}" + (f" ({run.job_status})" if run.job_status else ""),
        f"Output:    {run.output_path or '-'}",
    ]
    if run.failure:
        lines.append(f"Failure:   {run.failure}")
    return "\n".join(lines)


def _finish(run: TransformRun) -> None:
    if not run.succeeded:
        raise TransformError(f"run {run.status.lower()}: {run.failure or 'see the execution history'}")


def _start(args: argparse.Namespace) -> None:
    client = TransformClient()
    execution_arn = client.start(args.state_machine, args.input, name=args.name)
    print(execution_arn, flush=True)
    if not args.wait:
        return
    last: list[tuple[str, str | None]] = []

    def show(run: TransformRun, elapsed: float) -> None:
        state = (run.status, run.job_status)
        if not last or last[-1] != state or run.finished:
            print(format_run(run, elapsed), flush=True)
            last.append(state)
        else:
            # The same state: refresh the elapsed time on the terminal only.
            if sys.stdout.isatty():
                print(format_run(run, elapsed), end="\r", flush=True)

    run = client.wait(execution_arn, poll_seconds=args.poll_seconds, on_update=show)
    if run.output_path and run.succeeded:
        print(f"results under {run.output_path}")
    _finish(run)


def _status(args: argparse.Namespace) -> None:
    run = TransformClient().status(args.execution)
    print(_details(run))
