"""``registry``: list, describe, approve or reject model package versions."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from ..registry_client import RegistryClient, RegistryError, VersionDetails, VersionSummary

if TYPE_CHECKING:
    from .base import Commands

ERRORS: tuple[type[Exception], ...] = (RegistryError,)


def register(commands: Commands) -> None:
    """Adds ``registry list|describe|approve|reject`` to the command line."""
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


def _version_command(actions: Commands, name: str, help_text: str) -> argparse.ArgumentParser:
    """A ``registry`` subcommand about one version: ``GROUP VERSION`` arguments."""
    command = actions.add_parser(name, help=help_text)
    command.add_argument("group", help="model package group name")
    command.add_argument("version", type=int, help="version number (1, 2, ...)")
    return command
