"""The default encoders of SageMaker's scikit-learn container (sagemaker-containers 2.8.6).

The container's default ``input_fn`` and ``output_fn`` decode and encode JSON, CSV and NPY with
these rules; a script that defines its own functions never reaches them. Behaviour kept on purpose:
the content type must match exactly (``text/csv; charset=utf-8`` is unsupported), CSV is parsed
into strings and squeezed, and a one-dimensional array is written as one value a line.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import numpy as np

JSON = "application/json"
CSV = "text/csv"
NPY = "application/x-npy"
#: Request bodies of these types reach ``input_fn`` as text; any other type as bytes.
UTF8_TYPES = (JSON, CSV)


class UnsupportedFormatError(Exception):
    """A content type the default encoders do not handle (the container answers 415 or 406)."""

    def __init__(self, content_type: str) -> None:
        super().__init__(f"Content type {content_type} is not supported by this framework.")


def _text(data: str | bytes) -> str:
    return data.decode("utf-8") if isinstance(data, bytes) else data


def decode(data: str | bytes, content_type: str) -> Any:
    """A request body as a numpy array."""
    if content_type == JSON:
        return np.array(json.loads(_text(data)))
    if content_type == CSV:
        rows = list(csv.reader(io.StringIO(_text(data)), delimiter=",", quotechar='"', doublequote=True, strict=True))
        try:
            return np.array(rows).squeeze()
        except ValueError as error:
            raise ValueError(f"Error while decoding csv: {error}") from None
    if content_type == NPY:
        payload = data.encode("utf-8") if isinstance(data, str) else data
        return np.load(io.BytesIO(payload), allow_pickle=True)
    raise UnsupportedFormatError(content_type)


def _to_list(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def encode(prediction: Any, content_type: str) -> str | bytes:
    """A prediction in ``content_type``."""
    if content_type == JSON:
        return json.dumps(prediction, default=_to_list)
    if content_type == CSV:
        array = np.array(prediction)
        if array.ndim == 1:
            array = array.reshape(array.shape[0], 1)
        stream = io.StringIO()
        csv.writer(stream, lineterminator="\n", delimiter=",", quotechar='"', doublequote=True).writerows(array)
        return stream.getvalue()
    if content_type == NPY:
        buffer = io.BytesIO()
        np.save(buffer, prediction)
        return buffer.getvalue()
    raise UnsupportedFormatError(content_type)
