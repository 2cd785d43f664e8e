"""The command line: one module per command group, each registering itself on the parser.

::

    cdk-sagemaker-inference predict --endpoint churn --content-type text/csv < rows.csv
    cdk-sagemaker-inference registry list churn
    cdk-sagemaker-inference registry approve churn 3 --reason "AUC 0.91 on holdout"

Exit status 0 on success, 1 with one line on stderr when AWS or the model says no, 2 for usage
errors (argparse). Only boto3 is needed.

A command group is a module of this package with ``register(commands)``, which adds its parser to
the ``commands`` subparsers and sets ``handler`` on it, and ``ERRORS``, the exceptions it reports as
one line rather than a traceback. Add a group by naming its module in :data:`GROUPS`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from types import ModuleType

import boto3

from .base import EXPECTED_ERRORS, PROG

#: The command groups, in the order ``--help`` lists them: one module name a line.
GROUPS = (
    "predict",
    "registry",
    "local",
    "tuning",
    "transform",
)


def _groups() -> list[ModuleType]:
    return [importlib.import_module(f".{name}", __name__) for name in GROUPS]


def build_parser() -> argparse.ArgumentParser:
    """The parser for every command group; each command sets ``handler`` to the function that runs it."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="Call SageMaker endpoints and manage the model registry."
    )
    parser.add_argument("--region", help="AWS region. Default: the AWS CLI's (AWS_REGION, profile).")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in _groups():
        group.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.region:
        boto3.setup_default_session(region_name=args.region)
    handler: Callable[[argparse.Namespace], None] = args.handler
    expected = EXPECTED_ERRORS + tuple(error for group in _groups() for error in group.ERRORS)
    try:
        handler(args)
    except expected as error:
        message = " ".join(str(error).split())
        print(f"{PROG}: error: {message}", file=sys.stderr)
        return 1
    return 0
