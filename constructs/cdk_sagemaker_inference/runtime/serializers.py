"""Serializers turn Python data into a request body; deserializers turn a response body back.

A serializer names the ``ContentType`` it writes, a deserializer the ``Accept`` type it asks for,
so a :class:`~cdk_sagemaker_inference.runtime.predictor.Predictor` sends both headers without magic
strings. Only the standard library is used: this module runs in user code and in Lambda.

``ListSerializer`` and ``ListDeserializer`` speak NumPy's ``.npy`` format
(``application/x-npy``, the default input of the SageMaker PyTorch and MXNet serving containers)
for plain, rectangular Python lists of numbers, without needing NumPy (a NumPy array is written
with its own dtype).
"""

from __future__ import annotations

import abc
import ast
import codecs
import csv
import io
import json
import struct
import sys
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


class _GivenContentType(Serializer):
    """A serializer whose ``ContentType`` header is given at construction."""

    def __init__(self, content_type: str) -> None:
        self._content_type = content_type

    @property
    def content_type(self) -> str:
        """The content type given at construction."""
        return self._content_type


class _GivenAccept(Deserializer):
    """A deserializer whose ``Accept`` header is given at construction."""

    def __init__(self, accept: str) -> None:
        self._accept = accept

    @property
    def accept(self) -> str:
        """The accept type given at construction."""
        return self._accept


def _is_row_like(value: Any) -> bool:
    """A value that holds cells (a list, a tuple or a NumPy array), or a ready CSV line (a string)."""
    return (isinstance(value, str) or getattr(value, "ndim", 0) >= 1
            or (isinstance(value, Sequence) and not isinstance(value, bytes | bytearray)))


def _csv_line(row: Any) -> str:
    """One CSV line: a ready line as it is, or the cells of ``row`` quoted the CSV way."""
    if getattr(row, "ndim", 0) >= 1:  # a NumPy row, without importing NumPy
        row = row.tolist()
    if not _is_row_like(row):
        raise SerializationError(f"a row must be a list of values or a CSV line, got {row!r:.80}")
    if not row:
        raise SerializationError("a row must not be empty: it would be sent as an empty line")
    if isinstance(row, str):
        return row
    text = io.StringIO()
    # csv's default "\r\n" terminator makes it quote cells holding CR as well as LF (with "\n"
    # alone a CR passes unquoted and splits the row at the container); it is stripped again below.
    csv.writer(text).writerow(row)
    return text.getvalue()[: -len("\r\n")]


class CSVSerializer(_GivenContentType):
    """Rows of values as ``text/csv``: one row per line, no header, no trailing newline.

    Accepts what the SageMaker SDK's ``CSVSerializer`` accepts: one row (``[1.0, 2.5]``), a list of
    rows (``[[1.0, 2.5], [3.0, 4.5]]``), a ready CSV string (``"1.0,2.5\\n3.0,4.5"``, sent as it
    is), a list of CSV lines (``["1.0,2.5", "3.0,4.5"]``), bytes or a file-like object (its
    ``read()``), sent as they are, a NumPy array (its ``tolist()``) or a list of NumPy rows. Cells
    holding a comma, a quote, CR or LF are quoted the CSV way. A list whose first item is a string
    or a row is a list of rows, as in the SDK: a row of text values is ``[["cat", "dog"]]``. Empty
    data, and an empty row, are refused rather than sent as an empty body or line.
    """

    def __init__(self, content_type: str = ContentType.CSV) -> None:
        """:param content_type: the ``ContentType`` header. Default: ``text/csv``."""
        super().__init__(content_type)

    def serialize(self, data: Any) -> bytes:
        """The rows of ``data`` joined by newlines."""
        if hasattr(data, "read"):
            data = data.read()
        if hasattr(data, "tolist"):  # a NumPy array, without importing NumPy
            data = data.tolist()
        if isinstance(data, bytes | bytearray):
            body = bytes(data)  # a ready body, in whatever encoding the caller chose
        elif isinstance(data, str):
            body = data.encode()
        elif isinstance(data, Sequence) and data:
            rows = data if _is_row_like(data[0]) else [data]
            body = "\n".join(_csv_line(row) for row in rows).encode()
        else:
            raise SerializationError(f"data must be a non-empty list of values or of rows, got {data!r:.80}")
        if not body:
            raise SerializationError("data must not be empty: it would be sent as an empty body")
        return body


class JSONSerializer(_GivenContentType):
    """Any JSON-serializable value as ``application/json``; NumPy arrays and numbers, at any depth,
    as their ``tolist()``, and a file-like object's ``read()`` as it is, as the SageMaker SDK's
    ``JSONSerializer`` does."""

    def __init__(self, content_type: str = ContentType.JSON) -> None:
        """:param content_type: the ``ContentType`` header. Default: ``application/json``."""
        super().__init__(content_type)

    def serialize(self, data: Any) -> bytes:
        """``data`` as compact JSON."""
        if hasattr(data, "read"):
            ready = data.read()
            return ready.encode() if isinstance(ready, str) else bytes(ready)
        try:
            return json.dumps(data, separators=(",", ":"), default=_numpy_value).encode()
        except (TypeError, ValueError) as error:
            raise SerializationError(f"data must be JSON-serializable: {error}") from error


def _numpy_value(value: Any) -> Any:
    """``json.dumps``'s fallback: a NumPy array or number as plain Python, anything else refused."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


#: NPY dtypes (``descr`` without its byte order) this module reads, with their struct format
#: character: every integer, float and bool dtype (not complex, text or objects).
_NPY_TYPES = {
    "b1": "?",
    "i1": "b", "u1": "B", "i2": "h", "u2": "H", "i4": "i", "u4": "I", "i8": "q", "u8": "Q",
    "f2": "e", "f4": "f", "f8": "d",
}
#: NPY byte-order characters and struct's: little, big, not applicable (one byte).
_NPY_BYTE_ORDERS = {"<": "<", ">": ">", "|": "<"}
#: The range of the 64-bit integers ListSerializer writes.
_INT64 = (-(2**63), 2**63 - 1)
_FLOAT64_MAX = sys.float_info.max
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
    An integer outside the 64-bit range is refused (never wrapped or rounded), as is one among
    floats beyond float64's range, and an empty array, as the SageMaker SDK's ``NumpySerializer``
    refuses it. A NumPy array keeps its dtype (a float32 image stays float32, as ``np.save`` writes
    it) if it is one ``ListDeserializer`` reads; other dtypes are refused.
    """

    @property
    def content_type(self) -> str:
        """``application/x-npy``."""
        return ContentType.NPY

    def serialize(self, data: Any) -> bytes:
        """``data`` in NumPy's ``.npy`` format, version 1.0, C order."""
        if hasattr(data, "dtype") and hasattr(data, "tobytes"):  # a NumPy array, without importing NumPy
            return _npy_of_array(data)
        if not isinstance(data, list):
            raise SerializationError(f"data must be a list, got {type(data).__name__}")
        shape = _shape(data)
        values = _flatten(data)
        if not values:
            raise SerializationError(f"data must not be an empty array, got shape {shape}")
        if not all(isinstance(value, int | float) for value in values):
            raise SerializationError(f"data must hold only numbers, got {data!r:.80}")
        if all(isinstance(value, bool) for value in values):
            descr = "|b1"
        elif all(isinstance(value, int) and not isinstance(value, bool) for value in values):
            descr = "<i8"
            outside = [value for value in values if not _INT64[0] <= value <= _INT64[1]]
            if outside:
                raise SerializationError(
                    f"integers must be between {_INT64[0]} and {_INT64[1]} (int64), got {outside[0]}"
                )
        else:
            descr = "<f8"
            # Floats are float64 already (inf and nan included); an integer must round to a finite one.
            outside = [value for value in values if isinstance(value, int) and abs(value) > _FLOAT64_MAX]
            if outside:
                raise SerializationError(
                    f"integers among floats must fit float64 (magnitude at most {_FLOAT64_MAX}), "
                    f"got one of {outside[0].bit_length()} bits"
                )
        return _npy(descr, shape, struct.pack(f"<{len(values)}{_NPY_TYPES[descr[1:]]}", *values))


def _npy_of_array(array: Any) -> bytes:
    """A NumPy array in its own dtype and byte order, its values in C order."""
    descr, shape = str(array.dtype.str), tuple(int(dimension) for dimension in array.shape)
    if descr[1:] not in _NPY_TYPES:
        raise SerializationError(f"a NumPy array's dtype must be one of {', '.join(_NPY_TYPES)}, got {descr}")
    if not array.size:
        raise SerializationError(f"data must not be an empty array, got shape {shape}")
    return _npy(descr, shape, array.tobytes(order="C"))


def _npy(descr: str, shape: tuple[int, ...], data: bytes) -> bytes:
    """An ``.npy`` file, version 1.0, of C-ordered ``data``."""
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}"
    # magic (6) + version (2) + header length (2) + header + padding + newline
    padding = -(len(_NPY_MAGIC) + 4 + len(header) + 1) % _NPY_ALIGNMENT
    header_bytes = (header + " " * padding + "\n").encode("latin1")
    return _NPY_MAGIC + b"\x01\x00" + struct.pack("<H", len(header_bytes)) + header_bytes + data


class BytesSerializer(_GivenContentType):
    """Bytes sent as they are, with the content type the caller names (e.g. ``image/jpeg``)."""

    def __init__(self, content_type: str = ContentType.OCTET_STREAM) -> None:
        """:param content_type: the ``ContentType`` header. Default: ``application/octet-stream``."""
        super().__init__(content_type)

    def serialize(self, data: Any) -> bytes:
        """``data`` itself, which must be ``bytes``, ``bytearray`` or ``memoryview``."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise SerializationError(f"data must be bytes, got {type(data).__name__}")
        return bytes(data)


class CSVDeserializer(_GivenAccept):
    """A ``text/csv`` body as a list of rows of strings, as the SageMaker SDK's ``CSVDeserializer``.

    Cells stay text: any number parsing would change some data (``007`` loses its zeros, an id
    beyond 2**53 its last digits as a float, Python reads ``1_000`` and ``Infinity`` as numbers);
    convert the columns you know. Quoted cells may hold commas, quotes, CR and LF. An empty line is
    an empty row, as in the SDK, so that rows stay aligned with the records sent.
    """

    def __init__(self, encoding: str = "utf-8", accept: str = ContentType.CSV) -> None:
        """:param encoding: how the body is decoded. Default: ``utf-8``.
        :param accept: the ``Accept`` header. Default: ``text/csv``.
        """
        super().__init__(accept)
        self._encoding = encoding

    def deserialize(self, body: bytes) -> list[list[str]]:
        """One list per line, e.g. ``b"0.9,cat\\n0.1,dog\\n"`` -> ``[["0.9", "cat"], ["0.1", "dog"]]``."""
        try:
            text = body.decode(self._encoding)
        except UnicodeDecodeError as error:
            raise SerializationError(f"response is not {self._encoding} CSV: {error}") from error
        return list(csv.reader(io.StringIO(text, newline="")))


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
    """An ``application/x-npy`` body as a nested Python list.

    Reads C-ordered arrays of every integer (``int8`` to ``int64``, ``uint8`` to ``uint64``), float
    (``float16``, ``float32``, ``float64``) and bool dtype, in either byte order.
    """

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
        try:
            (header_length,) = struct.unpack_from(length_format, body, start - struct.calcsize(length_format))
            header = ast.literal_eval(body[start : start + header_length].decode("latin1"))
            descr, shape, fortran_order = str(header["descr"]), tuple(header["shape"]), header["fortran_order"]
        except (struct.error, SyntaxError, ValueError, TypeError, KeyError) as error:
            reason = f"{type(error).__name__}: {error}"
            raise SerializationError(f"response has no readable .npy header: {reason}") from error
        if not all(isinstance(dimension, int) and dimension >= 0 for dimension in shape):
            raise SerializationError(f"response array shape must be whole numbers, got {shape}")
        order, dtype = descr[:1], descr[1:]
        if order not in _NPY_BYTE_ORDERS or dtype not in _NPY_TYPES or fortran_order:
            raise SerializationError(
                f"response array must be C-ordered with dtype one of {', '.join(_NPY_TYPES)}, got {header}"
            )
        count = 1
        for dimension in shape:
            count *= dimension
        layout = f"{_NPY_BYTE_ORDERS[order]}{count}{_NPY_TYPES[dtype]}"
        try:
            values = list(struct.unpack_from(layout, body, start + header_length))
        except struct.error as error:
            raise SerializationError(f"response array is shorter than its shape {shape}: {error}") from error
        return _nest(values, shape)


class BytesDeserializer(_GivenAccept):
    """The body as ``bytes``, unchanged."""

    def __init__(self, accept: str = ContentType.ANY) -> None:
        """:param accept: the ``Accept`` header. Default: ``*/*`` (the container's default output)."""
        super().__init__(accept)

    def deserialize(self, body: bytes) -> bytes:
        """``body`` itself."""
        return body


class StringDeserializer(_GivenAccept):
    """The body decoded as text; its arguments in the SageMaker SDK's order, as ``CSVDeserializer``'s."""

    def __init__(self, encoding: str = "utf-8", accept: str = ContentType.TEXT) -> None:
        """:param encoding: how the body is decoded, a Python codec name. Default: ``utf-8``.
        :param accept: the ``Accept`` header. Default: ``text/plain``.
        """
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise SerializationError(f"encoding must be a Python codec name such as utf-8, got {encoding!r} "
                                     "(the Accept type is the second argument, or accept=)") from None
        super().__init__(accept)
        self._encoding = encoding

    def deserialize(self, body: bytes) -> str:
        """``body`` decoded."""
        try:
            return body.decode(self._encoding)
        except UnicodeDecodeError as error:
            raise SerializationError(f"response is not {self._encoding} text: {error}") from error
