"""The JSONPath subset SageMaker batch transform accepts in InputFilter and OutputFilter.

Operators (the developer guide's table): ``$`` the root; ``.name`` a child; ``.*`` / ``[*]``
every child; ``['a','b']`` (or ``.['a','b']``) one or several children by name; ``[1]``,
``[1,3,-1]`` elements by index (negative counts from the end); ``[2:5]``, ``[:5]``, ``[2:]`` a slice
(end excluded), also with indexes (``[0,5:]``), at most one a bracket. Only letters, digits, spaces
and ``$[]*.,:-'`` may appear: CreateTransformJob refuses any other character (``_``, ``"``) and a
second slice in a bracket. A CSV record is a JSON array of its fields. An index outside the record
is an error, as in SageMaker; so is an expression over 63 characters.

:class:`TransformSettings` checks its filters with this parser, so what the local runner runs is
what SageMaker accepts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MAX_LENGTH = 63


class JSONPathError(ValueError):
    """An expression outside the supported subset, or one that does not fit the record."""

    def __init__(self, expression: str, reason: str) -> None:
        super().__init__(f"{expression!r}: {reason}")
        #: What is wrong, without the expression.
        self.reason = reason


@dataclass(frozen=True)
class _Names:
    names: tuple[str, ...]


@dataclass(frozen=True)
class _Elements:
    #: Each an ``int`` index or a ``(start, end)`` slice with None for an omitted bound.
    selectors: tuple[int | tuple[int | None, int | None], ...]


@dataclass(frozen=True)
class _Wildcard:
    pass


_Segment = _Names | _Elements | _Wildcard
#: The characters of SageMaker's JSONPath: its operators, and letters and digits for names and indexes.
_FORBIDDEN = re.compile(r"[^A-Za-z0-9$\[\]*.,:' -]")
_TOKEN = re.compile(r"\.(?P<name>[A-Za-z][A-Za-z0-9-]*)|\.\*|\.?\[(?P<bracket>[^\]]*)\]")
_QUOTED = re.compile(r"\s*'([^']*)'\s*")
_INDEX = re.compile(r"\s*(-?\d+)\s*")
_SLICE = re.compile(r"\s*(-?\d+)?\s*:\s*(-?\d+)?\s*")


def _bracket(content: str, expression: str) -> _Segment:
    if content.strip() == "*":
        return _Wildcard()
    parts = content.split(",")
    quoted = [_QUOTED.fullmatch(part) for part in parts]
    if all(quoted):
        return _Names(tuple(match[1] for match in quoted if match))
    selectors: list[int | tuple[int | None, int | None]] = []
    for part in parts:
        if index := _INDEX.fullmatch(part):
            selectors.append(int(index[1]))
        elif span := _SLICE.fullmatch(part):
            selectors.append((int(span[1]) if span[1] else None, int(span[2]) if span[2] else None))
        else:
            raise JSONPathError(expression, f"[{content}] is not names, indexes or slices")
    slices = sum(isinstance(selector, tuple) for selector in selectors)
    if slices > 1:
        raise JSONPathError(expression, f"[{content}] has {slices} slices; SageMaker takes one a bracket")
    return _Elements(tuple(selectors))


@dataclass(frozen=True)
class JSONPath:
    """A parsed expression; ``apply`` selects from one record."""

    expression: str
    segments: tuple[_Segment, ...]

    @staticmethod
    def parse(expression: str) -> JSONPath:
        """Parses ``expression``; raises :class:`JSONPathError` outside the supported subset."""
        if len(expression) > MAX_LENGTH:
            raise JSONPathError(expression, f"it has {len(expression)} characters; SageMaker allows {MAX_LENGTH}")
        if not expression.startswith("$"):
            raise JSONPathError(expression, "it does not start with $")
        if forbidden := _FORBIDDEN.search(expression):
            raise JSONPathError(
                expression, f"{forbidden[0]!r} is not allowed, only letters, digits, spaces and $[]*.,:-'"
            )
        segments: list[_Segment] = []
        position = 1
        while position < len(expression):
            match = _TOKEN.match(expression, position)
            if match is None:
                raise JSONPathError(expression, f"unsupported syntax at {expression[position:]!r}")
            if match["name"] is not None:
                segments.append(_Names((match["name"],)))
            elif match["bracket"] is not None:
                segments.append(_bracket(match["bracket"], expression))
            else:
                segments.append(_Wildcard())
            position = match.end()
        return JSONPath(expression, tuple(segments))

    def apply(self, record: Any) -> Any:
        """The part of ``record`` the expression selects."""
        value = record
        for segment in self.segments:
            value = self._step(segment, value)
        return value

    def _step(self, segment: _Segment, value: Any) -> Any:
        if isinstance(segment, _Wildcard):
            if isinstance(value, dict):
                return list(value.values())
            if isinstance(value, list):
                return value
            raise JSONPathError(self.expression, f"* needs an object or an array, got {_kind(value)}")
        if isinstance(segment, _Names):
            if not isinstance(value, dict):
                raise JSONPathError(self.expression, f"{list(segment.names)} needs an object, got {_kind(value)}")
            missing = [name for name in segment.names if name not in value]
            if missing:
                raise JSONPathError(self.expression, f"the record has no {', '.join(map(repr, missing))}")
            if len(segment.names) == 1:
                return value[segment.names[0]]
            return {name: value[name] for name in segment.names}
        if not isinstance(value, list):
            raise JSONPathError(self.expression, f"indexes need an array, got {_kind(value)}")
        if len(segment.selectors) == 1 and isinstance(segment.selectors[0], int):
            return value[self._index(segment.selectors[0], len(value))]
        selected: list[Any] = []
        for selector in segment.selectors:
            if isinstance(selector, int):
                selected.append(value[self._index(selector, len(value))])
            else:
                selected.extend(value[selector[0]:selector[1]])
        return selected

    def _index(self, index: int, size: int) -> int:
        if not -size <= index < size:
            raise JSONPathError(self.expression, f"index {index} is outside a record of {size} fields")
        return index


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    return "an array" if isinstance(value, list) else f"the value {value!r}"
