"""What every command group shares: the program name, the usage error, the errors shown as one line."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TypeAlias

from botocore.exceptions import BotoCoreError, ClientError

PROG = "cdk-sagemaker-inference"

if TYPE_CHECKING:
    #: The ``commands`` a group's ``register`` receives: argparse's subparsers action, which has
    #: no public name (and is generic only in the type stubs, hence annotations only).
    Commands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]


class CommandLineError(Exception):
    """A command that cannot run as given (e.g. nothing on stdin to predict)."""


#: Failures of any group reported as one line on stderr with exit status 1 (a group adds its own
#: in its ``ERRORS``); anything else is a bug and raises.
EXPECTED_ERRORS: tuple[type[Exception], ...] = (CommandLineError, ClientError, BotoCoreError)


def read_request_body() -> bytes:
    """The request body piped on stdin; a terminal or an empty body is a usage error, never sent."""
    if sys.stdin.isatty():
        raise CommandLineError("pipe the request body on stdin, e.g. < rows.csv")
    body = sys.stdin.buffer.read()
    if not body:
        raise CommandLineError("no request body on stdin")
    return body


def write_answer(answer: bytes) -> None:
    """Writes ``answer`` to stdout as it came, ending in one newline so that shells show it whole."""
    sys.stdout.buffer.write(answer if answer.endswith(b"\n") else answer + b"\n")
    sys.stdout.flush()
