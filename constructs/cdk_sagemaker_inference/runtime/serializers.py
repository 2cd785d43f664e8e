"""Serializers turn Python data into a request body; deserializers turn a response body back.

A serializer names the ``ContentType`` it writes, a deserializer the ``Accept`` type it asks for,
so a :class:`~cdk_sagemaker_inference.runtime.predictor.Predictor` sends both headers without magic
strings. Only the standard library is used: this module runs in user code and in Lambda.

``ListSerializer`` and ``ListDeserializer`` speak NumPy's ``.npy`` format
(``application/x-npy``, the default input of the SageMaker PyTorch and MXNet serving containers)
for plain, rectangular Python lists of numbers, without needing NumPy.
"""

from __future__ import annotations

import abc
import ast
import csv
import io
import json
import struct
from collections.abc import Sequence
from enum import StrEnum
from typing import Any


class ContentType(StrEnum):
    """The MIME types the built-in serializers and deserializers read and write."""

    CSV = "text/csv"
    JSON = "application/json"
    NPY = "application/x-npy"
    TEXT = "text/plain"
    OCTET_STREAM = "application/octet-stream"
    ANY = "*/*"


class SerializationError(ValueError):
    """Data a serializer cannot write, or a response body a deserializer cannot read."""


class Serializer(abc.ABC):
    """Writes Python data as the body of an InvokeEndpoint request."""

    @property
    @abc.abstractmethod
    def content_type(self) -> str:
        """The ``ContentType`` header sent with the body."""

    @abc.abstractmethod
    def serialize(self, data: Any) -> bytes:
        """The request body for ``data``; raises :class:`SerializationError` for data it cannot write."""


class Deserializer(abc.ABC):
    """Reads the body of an InvokeEndpoint response."""

    @property
    @abc.abstractmethod
    def accept(self) -> str:
        """The ``Accept`` header sent with the request."""

    @abc.abstractmethod
    def deserialize(self, body: bytes) -> Any:
        """The Python value of ``body``; raises :class:`SerializationError` for a body it cannot read."""


def _rows(data: Any) -> list[Sequence[Any]]:
    """``data`` as a list of rows: one row (a flat list) becomes a list of one row."""
    if isinstance(data, str | bytes) or not isinstance(data, Sequence) or not data:
        raise SerializationError(f"data must be a non-empty list of values or of rows, got {data!r:.80}")
    if all(isinstance(row, Sequence) and not isinstance(row, str | bytes) for row in data):
        return list(data)
    if any(isinstance(value, Sequence) and not isinstance(value, str) for value in data):
        raise SerializationError(f"data must be one row or a list of rows, not a mix, got {data!r:.80}")
    return [data]


class CSVSerializer(Serializer):
    """Rows of values as ``text/csv``: one row per line, no header, no trailing newline.

    ``data`` is one row (``[1.0, 2.5]``) or a list of rows (``[[1.0, 2.5], [3.0, 4.5]]``); values
    that contain a comma or a quote are quoted the CSV way.
    """

    @property
    def content_type(self) -> str:
        """``text/csv``."""
        return ContentType.CSV

    def serialize(self, data: Any) -> bytes:
        """The rows of ``data`` joined by newlines."""
        text = io.StringIO()
        csv.writer(text, lineterminator="\n").writerows(_rows(data))
        return text.getvalue().rstrip("\n").encode()


class JSONSerializer(Serializer):
    """Any JSON-serializable value as ``application/json``."""

    @property
    def content_type(self) -> str:
        """``application/json``."""
        return ContentType.JSON

    def serialize(self, data: Any) -> bytes:
        """``data`` as compact JSON."""
        try:
            return json.dumps(data, separators=(",", ":")).encode()
        except (TypeError, ValueError) as error:
            raise SerializationError(f"data must be JSON-serializable: {error}") from error


#: NPY ``descr`` codes this module reads and writes, with their struct format character.
_NPY_TYPES = {"<f8": "d", "<f4": "f", "<i8": "q", "<i4": "i", "|b1": "?"}
_NPY_MAGIC = b"\x93NUMPY"
#: The NPY header is padded with spaces so that the data starts at a multiple of this.
_NPY_ALIGNMENT = 64


def _shape(data: Any) -> tuple[int, ...]:
    """The shape of a rectangular nested list; raises for a ragged one."""
    if not isinstance(data, list):
        return ()
    shapes = {_shape(item) for item in data}
    if len(shapes) > 1:
        raise SerializationError(f"data must be a rectangular list (rows of one shape), got {data!r:.80}")
    return (len(data), *next(iter(shapes), ()))


def _flatten(data: Any) -> list[Any]:
    return [value for item in data for value in _flatten(item)] if isinstance(data, list) else [data]


def _nest(values: list[Any], shape: tuple[int, ...]) -> Any:
    if not shape:
        return values[0]
    step = len(values) // shape[0] if shape[0] else 0
    return [_nest(values[i * step : (i + 1) * step], shape[1:]) for i in range(shape[0])]


class ListSerializer(Serializer):
    """A plain, rectangular Python list of numbers as ``application/x-npy``, without NumPy.

    Integers (and only integers) are written as 64-bit integers, anything else numeric as 64-bit
    floats; booleans as booleans. A list of any depth works: ``[1, 2]``, ``[[1.0, 2.0], [3.0, 4.0]]``.
    """

    @property
    def content_type(self) -> str:
        """``application/x-npy``."""
        return ContentType.NPY

    def serialize(self, data: Any) -> bytes:
        """``data`` in NumPy's ``.npy`` format, version 1.0, C order."""
        if not isinstance(data, list):
            raise SerializationError(f"data must be a list, got {type(data).__name__}")
        shape = _shape(data)
        values = _flatten(data)
        if not all(isinstance(value, int | float) for value in values):
            raise SerializationError(f"data must hold only numbers, got {data!r:.80}")
        if values and all(isinstance(value, bool) for value in values):
            descr = "|b1"
        elif all(isinstance(value, int) and not isinstance(value, bool) for value in values):
            descr = "<i8"
        else:
            descr = "<f8"
        header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}"
        # magic (6) + version (2) + header length (2) + header + padding + newline
        padding = -(len(_NPY_MAGIC) + 4 + len(header) + 1) % _NPY_ALIGNMENT
        header_bytes = (header + " " * padding + "\n").encode("latin1")
        body = struct.pack(f"<{len(values)}{_NPY_TYPES[descr]}", *values)
        return _NPY_MAGIC + b"\x01\x00" + struct.pack("<H", len(header_bytes)) + header_bytes + body


class BytesSerializer(Serializer):
    """Bytes sent as they are, with the content type the caller names (e.g. ``image/jpeg``)."""

    def __init__(self, content_type: str = ContentType.OCTET_STREAM) -> None:
        """:param content_type: the ``ContentType`` header. Default: ``application/octet-stream``."""
        self._content_type = content_type

    @property
    def content_type(self) -> str:
        """The content type given at construction."""
        return self._content_type

    def serialize(self, data: Any) -> bytes:
        """``data`` itself, which must be ``bytes``, ``bytearray`` or ``memoryview``."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise SerializationError(f"data must be bytes, got {type(data).__name__}")
        return bytes(data)


def _number_or_text(cell: str) -> float | str:
    try:
        return float(cell)
    except ValueError:
        return cell


class CSVDeserializer(Deserializer):
    """A ``text/csv`` body as a list of rows; cells that parse as numbers become floats."""

    @property
    def accept(self) -> str:
        """``text/csv``."""
        return ContentType.CSV

    def deserialize(self, body: bytes) -> list[list[float | str]]:
        """One list per non-empty line, e.g. ``b"0.9,cat\\n0.1,dog"`` -> ``[[0.9, "cat"], [0.1, "dog"]]``."""
        try:
            reader = csv.reader(io.StringIO(body.decode()))
        except UnicodeDecodeError as error:
            raise SerializationError(f"response is not UTF-8 CSV: {error}") from error
        return [[_number_or_text(cell) for cell in row] for row in reader if row]


class JSONDeserializer(Deserializer):
    """An ``application/json`` body as the Python value it encodes."""

    @property
    def accept(self) -> str:
        """``application/json``."""
        return ContentType.JSON

    def deserialize(self, body: bytes) -> Any:
        """``json.loads`` of the body."""
        try:
            return json.loads(body)
        except ValueError as error:
            raise SerializationError(f"response is not valid JSON: {error}; body: {body[:80]!r}") from error


class ListDeserializer(Deserializer):
    """An ``application/x-npy`` body (C order, float, int or bool) as a nested Python list."""

    @property
    def accept(self) -> str:
        """``application/x-npy``."""
        return ContentType.NPY

    def deserialize(self, body: bytes) -> Any:
        """The array as nested lists (a 0-d array as a plain number)."""
        if not body.startswith(_NPY_MAGIC) or len(body) < 10:
            raise SerializationError(f"response is not an .npy array; body starts {body[:80]!r}")
        major = body[6]
        length_format, start = ("<H", 10) if major == 1 else ("<I", 12)
        (header_length,) = struct.unpack_from(length_format, body, start - struct.calcsize(length_format))
        header = ast.literal_eval(body[start : start + header_length].decode("latin1"))
        descr, shape = header["descr"], tuple(header["shape"])
        if descr not in _NPY_TYPES or header["fortran_order"]:
            raise SerializationError(
                f"response array must be C-ordered with dtype one of {', '.join(_NPY_TYPES)}, got {header}"
            )
        count = 1
        for dimension in shape:
            count *= dimension
        values = list(struct.unpack_from(f"<{count}{_NPY_TYPES[descr]}", body, start + header_length))
        return _nest(values, shape)


class BytesDeserializer(Deserializer):
    """The body as ``bytes``, unchanged."""

    def __init__(self, accept: str = ContentType.ANY) -> None:
        """:param accept: the ``Accept`` header. Default: ``*/*`` (the container's default output)."""
        self._accept = accept

    @property
    def accept(self) -> str:
        """The accept type given at construction."""
        return self._accept

    def deserialize(self, body: bytes) -> bytes:
        """``body`` itself."""
        return body


class StringDeserializer(Deserializer):
    """The body decoded as text."""

    def __init__(self, accept: str = ContentType.TEXT, encoding: str = "utf-8") -> None:
        """:param accept: the ``Accept`` header. Default: ``text/plain``.
        :param encoding: how the body is decoded. Default: ``utf-8``.
        """
        self._accept = accept
        self._encoding = encoding

    @property
    def accept(self) -> str:
        """The accept type given at construction."""
        return self._accept

    def deserialize(self, body: bytes) -> str:
        """``body`` decoded."""
        try:
            return body.decode(self._encoding)
        except UnicodeDecodeError as error:
            raise SerializationError(f"response is not {self._encoding} text: {error}") from error
