"""The command line: ``predict`` against an endpoint, ``registry`` to read and approve versions.

::

    cdk-sagemaker-inference predict --endpoint churn --content-type text/csv < rows.csv
    cdk-sagemaker-inference registry list churn
    cdk-sagemaker-inference registry describe churn 3
    cdk-sagemaker-inference registry approve churn 3 --reason "AUC 0.91 on holdout"
    cdk-sagemaker-inference registry reject churn 3 --reason "drift on feature x"

Exit status 0 on success, 1 with one line on stderr when AWS or the model says no, 2 for usage
errors (argparse). Only boto3 is needed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from datetime import datetime

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from .predictor import InvocationError, Predictor
from .registry_client import RegistryClient, RegistryError, VersionDetails, VersionSummary
from .serializers import BytesDeserializer, BytesSerializer, ContentType, SerializationError

PROG = "cdk-sagemaker-inference"


class CommandLineError(Exception):
    """A command that cannot run as given (e.g. nothing on stdin to predict)."""


#: Failures reported as one line on stderr with exit status 1; anything else is a bug and raises.
EXPECTED_ERRORS = (
    CommandLineError,
    InvocationError,
    SerializationError,
    RegistryError,
    ClientError,
    BotoCoreError,
)


def _predict(args: argparse.Namespace) -> None:
    if sys.stdin.isatty():
        raise CommandLineError("pipe the request body on stdin, e.g. < rows.csv")
    body = sys.stdin.buffer.read()
    if not body:
        raise CommandLineError("no request body on stdin")
    predictor = Predictor(
        args.endpoint,
        serializer=BytesSerializer(args.content_type),
        deserializer=BytesDeserializer(args.accept),
        target_variant=args.target_variant,
        custom_attributes=args.custom_attributes,
        max_attempts=args.max_attempts,
    )
    answer: bytes = predictor.predict(body, inference_id=args.inference_id)
    sys.stdout.buffer.write(answer if answer.endswith(b"\n") else answer + b"\n")
    sys.stdout.flush()


def _when(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else "-"


def format_versions(versions: Sequence[VersionSummary]) -> str:
    """An aligned table of versions, one line each, with a header line."""
    rows = [("VERSION", "STATUS", "APPROVAL", "CREATED", "DESCRIPTION")]
    rows += [
        (str(v.version), v.status, v.approval.value, _when(v.created), v.description or "") for v in versions
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows
    )


def format_details(details: VersionDetails) -> str:
    """Everything ``registry describe`` shows about a version, one fact a line."""
    approval = details.approval.value
    if details.approval_description:
        approval += f" ({details.approval_description})"
    lines = [
        f"{details.group}/{details.version}  {details.arn}",
        f"Status:         {details.status}",
        f"Approval:       {approval}",
        f"Created:        {_when(details.created)}",
        f"Modified:       {_when(details.last_modified)}",
        f"Description:    {details.description or '-'}",
        f"Content types:  {', '.join(details.content_types) or '-'}",
        f"Response types: {', '.join(details.response_types) or '-'}",
    ]
    for index, container in enumerate(details.containers, start=1):
        lines.append(f"Container {index}:    {container.image}")
        lines.append(f"  model data:   {container.model_data_url or '-'}")
        lines += [f"  {key}={value}" for key, value in sorted(container.environment.items())]
    for title, entries in (
        ("Metrics", details.metrics),
        ("Metadata", {**details.metadata, **details.customer_metadata}),
    ):
        lines.append(f"{title}:" + ("" if entries else " -"))
        lines += [f"  {key}: {value}" for key, value in sorted(entries.items())]
    return "\n".join(lines)


def _registry_list(args: argparse.Namespace) -> None:
    print(format_versions(RegistryClient().list_versions(args.group)))


def _registry_describe(args: argparse.Namespace) -> None:
    print(format_details(RegistryClient().describe(args.group, args.version)))


def _decision(
    decide: Callable[[RegistryClient, str, int, str], VersionDetails],
) -> Callable[[argparse.Namespace], None]:
    def run(args: argparse.Namespace) -> None:
        details = decide(RegistryClient(), args.group, args.version, args.reason)
        print(f"{details.group}/{details.version} is now {details.approval.value}: {args.reason}")

    return run


def _version_command(
    actions: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help_text: str
) -> argparse.ArgumentParser:
    """A ``registry`` subcommand about one version: ``GROUP VERSION`` arguments."""
    command = actions.add_parser(name, help=help_text)
    command.add_argument("group", help="model package group name")
    command.add_argument("version", type=int, help="version number (1, 2, ...)")
    return command


def build_parser() -> argparse.ArgumentParser:
    """The parser for every subcommand; each sets ``handler`` to the function that runs it."""
    parser = argparse.ArgumentParser(
        prog=PROG, description="Call SageMaker endpoints and manage the model registry."
    )
    parser.add_argument("--region", help="AWS region. Default: the AWS CLI's (AWS_REGION, profile).")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    predict = commands.add_parser(
        "predict",
        help="send stdin to an endpoint and print the answer",
        description="Sends stdin as the request body and writes the response body to stdout.",
    )
    predict.add_argument("--endpoint", required=True, help="endpoint name")
    predict.add_argument("--content-type", required=True, help="ContentType of stdin, e.g. text/csv")
    predict.add_argument(
        "--accept", default=ContentType.ANY, help="Accept type. Default: */* (the container's default)"
    )
    predict.add_argument("--target-variant", help="production variant to call. Default: by weight")
    predict.add_argument("--inference-id", help="id recorded with captured data. Default: none")
    predict.add_argument(
        "--custom-attributes", help="CustomAttributes passed to the container. Default: none"
    )
    predict.add_argument("--max-attempts", type=int, default=5, help="attempts while throttled. Default: 5")
    predict.set_defaults(handler=_predict)

    registry = commands.add_parser(
        "registry", help="list, describe, approve or reject model package versions"
    )
    actions = registry.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="versions of a group, newest first")
    listing.add_argument("group", help="model package group name")
    listing.set_defaults(handler=_registry_list)
    _version_command(
        actions, "describe", "containers, metrics, metadata and status of a version"
    ).set_defaults(handler=_registry_describe)
    for name, decide, help_text in (
        ("approve", RegistryClient.approve, "mark a version Approved (deployment automation serves it)"),
        ("reject", RegistryClient.reject, "mark a version Rejected"),
    ):
        decision = _version_command(actions, name, help_text)
        decision.add_argument("--reason", required=True, help="why; recorded as the ApprovalDescription")
        decision.set_defaults(handler=_decision(decide))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.region:
        boto3.setup_default_session(region_name=args.region)
    handler: Callable[[argparse.Namespace], None] = args.handler
    try:
        handler(args)
    except EXPECTED_ERRORS as error:
        message = " ".join(str(error).split())
        print(f"{PROG}: error: {message}", file=sys.stderr)
        return 1
    return 0
