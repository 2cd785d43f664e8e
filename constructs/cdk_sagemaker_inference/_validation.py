"""The one place that formats validation errors, so every message reads the same way.

Every message is ``<where>: <prop> must be <what is allowed>, got <value>``, where ``<where>`` is
the construct path (or ``config`` for the app configuration). Values that are CDK tokens are
resolved only at deploy time, so they are not checked here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sized
from typing import Any

from aws_cdk import Duration, Token
from constructs import IConstruct

Where = IConstruct | str


class ValidationError(ValueError):
    """A prop or configuration value that SageMaker or CloudFormation would refuse."""


def _where(where: Where) -> str:
    if isinstance(where, str):
        return where
    return where.node.path or "App"


def fail(where: Where, prop: str, requirement: str, value: Any) -> ValidationError:
    """The error for ``prop`` at ``where``: raise the returned exception."""
    return ValidationError(f"{_where(where)}: {prop} must be {requirement}, got {value!r}")


def is_token(value: Any) -> bool:
    """True for a value CloudFormation resolves at deploy time (not checkable at synth)."""
    return Token.is_unresolved(value)


def check_range(where: Where, prop: str, value: float | None, low: float, high: float) -> None:
    """``low <= value <= high``; ``None`` (the prop is not set) and tokens pass."""
    if value is None or is_token(value):
        return
    if not low <= value <= high:
        raise fail(where, prop, f"between {low} and {high}", value)


def check_count(where: Where, prop: str, items: Sized, low: int, high: int) -> None:
    """A list, dict or string with between ``low`` and ``high`` entries or characters."""
    if is_token(items):
        return
    if not low <= len(items) <= high:
        unit = "characters" if isinstance(items, str) else "entries"
        raise fail(where, prop, f"between {low} and {high} {unit} long", items)


def check_pattern(where: Where, prop: str, value: str | None, pattern: str, description: str) -> None:
    """``value`` matches ``pattern`` in full; ``description`` says in words what is allowed."""
    if value is None or is_token(value):
        return
    if not re.fullmatch(pattern, value):
        raise fail(where, prop, description, value)


def check_one_of(where: Where, prop: str, value: Any, allowed: Iterable[Any]) -> None:
    """``value`` is one of ``allowed``."""
    if value is None or is_token(value):
        return
    options = list(allowed)
    if value not in options:
        raise fail(where, prop, "one of " + ", ".join(repr(o) for o in options), value)


def check(where: Where, condition: bool, prop: str, requirement: str, value: Any) -> None:
    """A rule that is not a range, count, pattern or choice: ``condition`` must hold."""
    if not condition:
        raise fail(where, prop, requirement, value)


def whole_seconds(duration: Duration | None) -> int | None:
    """Whole seconds of ``duration``, as SageMaker's ``...InSeconds`` props take them; None stays None."""
    return None if duration is None else int(duration.to_seconds())
