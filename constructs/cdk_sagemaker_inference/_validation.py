"""The one place that formats validation errors, so every message reads the same way.

Every message is ``<where>: <prop> must be <what is allowed>, got <value>``, where ``<where>`` is
the construct path (or ``config`` for the app configuration). Values that are CDK tokens are
resolved only at deploy time, so they are not checked here.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import struct
import unicodedata
import weakref
from collections.abc import Iterable, Mapping, Sized
from typing import Any, TypeVar, overload

from aws_cdk import Duration, Token
from constructs import Construct, IConstruct

from .runtime.enums import enum_member

Where = IConstruct | str


class ValidationError(ValueError):
    """A prop or configuration value that SageMaker or CloudFormation would refuse."""


def _where(where: Where) -> str:
    if isinstance(where, str):
        return where
    return where.node.path or "App"


def fail(where: Where, prop: str, requirement: str, value: Any) -> ValidationError:
    """The error for ``prop`` at ``where``: raise the returned exception."""
    return ValidationError(f"{_where(where)}: {prop} must be {requirement}, got {describe(value)}")


_MAX_SHOWN_CHARACTERS = 80
_MAX_SHOWN_ITEMS = 10


def describe(value: Any) -> str:
    """``value`` as an error message shows it: short, one line, never a memory address.

    Scalars as Python writes them (long strings cut), enum members by value, constructs by path,
    dataclasses and other objects by class name, collections item by item up to 10.
    """
    if isinstance(value, enum.Enum):
        return describe(value.value)
    if value is None or isinstance(value, bool | int | float):
        return repr(value)
    if isinstance(value, str):
        text = repr(value)
        return text if len(text) <= _MAX_SHOWN_CHARACTERS else text[: _MAX_SHOWN_CHARACTERS - 4] + "...'"
    if isinstance(value, Construct):
        return f"<{value.node.path}>"
    if isinstance(value, Mapping):
        items = [f"{describe(k)}: {describe(v)}" for k, v in list(value.items())[:_MAX_SHOWN_ITEMS]]
        more = ", ..." if len(value) > _MAX_SHOWN_ITEMS else ""
        return "{" + ", ".join(items) + more + "}"
    if isinstance(value, list | tuple):
        items = [describe(item) for item in value[:_MAX_SHOWN_ITEMS]]
        more = ", ..." if len(value) > _MAX_SHOWN_ITEMS else ""
        ends = "()" if isinstance(value, tuple) else "[]"
        return ends[0] + ", ".join(items) + more + ends[1]
    if dataclasses.is_dataclass(value):
        return f"{type(value).__name__}(...)"
    text = repr(value)
    if " object at 0x" in text or "jsii" in text or len(text) > _MAX_SHOWN_CHARACTERS:
        return f"<{type(value).__name__}>"
    return text


#: aws-cdk-lib's token encodings (core/lib/private/encoding.ts): a string token, or a number token
#: in a string; a list token (the one element of an encoded list); a number token's high 16 bits.
_STRING_TOKEN = re.compile(r"\$\{Token\[[a-zA-Z0-9:._-]+\]\}|-1\.\d{10,16}e\+289")
_LIST_TOKEN = re.compile(r"#\{Token\[[a-zA-Z0-9:._-]+\]\}")
_NUMBER_TOKEN_BITS = 0xFBFF0000


def is_token(value: Any) -> bool:
    """True for a value CloudFormation resolves at deploy time (not checkable at synth).

    ``Token.is_unresolved``, answered here for strings, numbers, lists and maps as aws-cdk-lib
    answers it (``unresolved`` in its encoding.ts; ``tests/test_validation_tokens.py`` compares
    the two): every call into aws-cdk-lib is a round trip to Node, and the validations ask this of
    almost every prop. Other objects (a Lazy, an IResolvable) are asked of aws-cdk-lib.
    """
    if isinstance(value, str):
        return "Token[" in value and _STRING_TOKEN.search(value) is not None
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        try:
            high: int = struct.unpack("<II", struct.pack("<d", float(value)))[1]
        except OverflowError:  # an int beyond a double: let aws-cdk-lib say
            return Token.is_unresolved(value)
        return high & 0xFFFF0000 == _NUMBER_TOKEN_BITS
    if isinstance(value, list | tuple):
        return len(value) == 1 and isinstance(value[0], str) and _LIST_TOKEN.search(value[0]) is not None
    if isinstance(value, dict):
        return False
    return Token.is_unresolved(value)


def check_range(where: Where, prop: str, value: float | None, low: float, high: float) -> None:
    """``low <= value <= high``; ``None`` (the prop is not set) and tokens pass."""
    if value is None or is_token(value):
        return
    if not low <= value <= high:
        raise fail(where, prop, f"between {low} and {high}", value)


def check_count(where: Where, prop: str, items: Sized, low: int, high: int) -> None:
    """A list, dict or string with between ``low`` and ``high`` entries or characters; the error
    shows a string (cut if long) and how many entries a collection has."""
    if is_token(items):
        return
    if not low <= len(items) <= high:
        if isinstance(items, str):
            raise fail(where, prop, f"between {low} and {high} characters long", items)
        raise ValidationError(
            f"{_where(where)}: {prop} must be between {low} and {high} entries long, got {len(items)} entries"
        )


def check_description(where: Where, prop: str, value: str | None) -> None:
    """A SageMaker description: at most 1024 characters, none of them a control or format character
    (SageMaker's ``[\\p{L}\\p{M}\\p{Z}\\p{S}\\p{N}\\p{P}]*``: a line break is refused by the API, while
    CloudFormation's unanchored pattern lets it through)."""
    if value is None or is_token(value):
        return
    check_count(where, prop, value, 0, 1024)
    check(where, not any(unicodedata.category(c).startswith("C") for c in value), prop,
          "text without line breaks, tabs or other control characters", value)


def check_integer(where: Where, prop: str, value: float | None, low: int, high: int | None = None) -> None:
    """An integer (not a bool, not 1.5) from ``low`` to ``high`` (no upper bound when None);
    ``None`` (the prop is not set) and tokens pass."""
    if value is None or is_token(value):
        return
    if isinstance(value, bool) or not isinstance(value, int):
        requirement = f"an integer between {low} and {high}" if high is not None else f"an integer of at least {low}"
        raise fail(where, prop, requirement, value)
    if high is None:
        check(where, value >= low, prop, f"at least {low}", value)
    else:
        check_range(where, prop, value, low, high)


EnumValue = TypeVar("EnumValue", bound=enum.Enum)


def to_enum(where: Where, prop: str, value: EnumValue | str, kind: type[EnumValue]) -> EnumValue:
    """``value`` as a member of ``kind``: a member passes, its string value is looked up, anything
    else is refused listing the allowed values."""
    member = enum_member(kind, value)
    if member is None:
        raise fail(where, prop, "one of " + ", ".join(describe(m.value) for m in kind), value)
    return member


def take_enum_field(instance: object, field: str, kind: type[enum.Enum]) -> None:
    """Sets ``field`` of ``instance`` (a frozen dataclass whose field is typed as ``kind``, as the
    factories pass it) to its member: a value read from configuration works as the member does, and
    anything else is refused, naming the class and the field."""
    object.__setattr__(instance, field, to_enum(type(instance).__name__, field, getattr(instance, field), kind))


class StrictEnum(enum.Enum):
    """An enum whose constructor refuses an unknown value listing the known ones, in the one voice."""

    @classmethod
    def _missing_(cls, value: object) -> Any:
        raise fail(cls.__name__, "value", "one of " + ", ".join(describe(m.value) for m in cls), value)


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
        raise fail(where, prop, "one of " + ", ".join(describe(o) for o in options), value)


def check(where: Where, condition: bool, prop: str, requirement: str, value: Any) -> None:
    """A rule that is not a range, count, pattern or choice: ``condition`` must hold."""
    if not condition:
        raise fail(where, prop, requirement, value)


@overload
def whole_seconds(duration: Duration) -> int: ...


@overload
def whole_seconds(duration: Duration | None) -> int | None: ...


def whole_seconds(duration: Duration | None) -> int | None:
    """Whole seconds of ``duration``, as SageMaker's ``...InSeconds`` props take them; None stays None.

    Remembered per Duration object: the defaults are shared constants that every endpoint asks for
    two or three times, and each ``to_seconds`` is a round trip to Node.
    """
    if duration is None:
        return None
    seconds = _WHOLE_SECONDS.get(duration)
    if seconds is None:
        seconds = _WHOLE_SECONDS[duration] = int(duration.to_seconds())
    return seconds


def check_seconds(where: Where, prop: str, duration: Duration | None, low: int, high: int | None = None) -> None:
    """``duration`` must be a ``Duration`` of whole seconds from ``low`` to ``high`` (no upper bound
    when None; the message names ``<prop> (seconds)``); None (the prop is not set) passes."""
    if duration is None:
        return
    if not isinstance(duration, Duration):
        raise fail(where, prop, "a Duration such as Duration.seconds(600)", duration)
    try:
        seconds = whole_seconds(duration)
    except RuntimeError:  # aws-cdk-lib's refusal of a fraction, through jsii (a token's raises again)
        raise fail(where, f"{prop} (seconds)", "a whole number", duration.to_seconds(integral=False)) from None
    check_integer(where, f"{prop} (seconds)", seconds, low, high)


def is_number(value: Any) -> bool:
    """An int or float, not a bool (which Python counts as an int) nor a number written as text."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def duration_of_seconds(seconds: int) -> Duration:
    """``Duration.seconds(seconds)`` whose whole seconds ``whole_seconds`` already knows (a default
    that a construct checks or renders in seconds costs no round trip to ask)."""
    duration = Duration.seconds(seconds)
    _WHOLE_SECONDS[duration] = seconds
    return duration


#: Whole seconds of each Duration asked (weak: a Duration is forgotten when no construct holds it).
_WHOLE_SECONDS: weakref.WeakKeyDictionary[Duration, int] = weakref.WeakKeyDictionary()
