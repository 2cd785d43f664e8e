"""LocalTransform: a batch transform over a local file or folder, through a LocalPipeline.

What a transform job does, record by record, with the settings it declares:

1. **Split** each input file: ``SplitType.NONE`` sends the whole file; ``LINE`` makes each line a record.
2. **InputFilter** selects what the model sees of each record (a CSV line is an array of its fields).
3. **Batch**: ``SINGLE_RECORD`` sends each record alone; ``MULTI_RECORD`` as many lines as fit in
   ``max_payload_mb`` per request, joined by newlines. The containers run in batch mode
   (``SAGEMAKER_BATCH``: the XGBoost container answers one score a line).
4. **JoinSource** ``INPUT`` pairs each answer line with its whole input record: CSV fields are
   appended, a JSON object gets ``SageMakerOutput`` (any other JSON value is wrapped as
   ``{"SageMakerInput": ..., "SageMakerOutput": ...}``). **OutputFilter** then selects from that.
5. **AssembleWith** ``LINE`` ends every output record with a newline; ``NONE`` concatenates the answers.

Each input ``<name>`` gives ``<name>.out`` in the output folder (keeping sub-folders), written only
when every record of it succeeded, as SageMaker does.
"""

from __future__ import annotations

import csv
import enum
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .containers import parse_header
from .errors import LocalRunnerError
from .jsonpath import JSONPath, JSONPathError
from .pipeline import LocalPipeline

MEGABYTE = 1024 * 1024
CSV = "text/csv"
JSON_TYPES = ("application/json", "application/jsonlines")


class SplitType(enum.Enum):
    """How input files are cut into records (``TransformInput.SplitType``)."""

    NONE = "None"
    LINE = "Line"


class BatchStrategy(enum.Enum):
    """How many records go into one request (``BatchStrategy``)."""

    SINGLE_RECORD = "SingleRecord"
    MULTI_RECORD = "MultiRecord"


class AssembleWith(enum.Enum):
    """How answers are written to the output file (``TransformOutput.AssembleWith``)."""

    NONE = "None"
    LINE = "Line"


class JoinSource(enum.Enum):
    """What the answers are joined with (``DataProcessing.JoinSource``)."""

    NONE = "None"
    INPUT = "Input"


@dataclass(frozen=True, kw_only=True)
class BatchSettings:
    """A transform job's data settings, as ``CreateTransformJob`` names them.

    :param content_type: ``TransformInput.ContentType``, the requests' ContentType. Default: ``text/csv``.
    :param accept: ``TransformOutput.Accept``. Default: None (the last container's default).
    :param split_type: Default: ``SplitType.NONE`` (SageMaker's default: one request a file).
    :param batch_strategy: Default: ``MULTI_RECORD``.
    :param max_payload_mb: ``MaxPayloadInMB``, 1-100. Default: 6.
    :param assemble_with: Default: ``AssembleWith.NONE`` (SageMaker's default).
    :param input_filter: ``DataProcessing.InputFilter``. Default: ``$`` (the whole record).
    :param output_filter: ``DataProcessing.OutputFilter``. Default: ``$``.
    :param join_source: ``DataProcessing.JoinSource``. Default: ``JoinSource.NONE``.
    """

    content_type: str = CSV
    accept: str | None = None
    split_type: SplitType = SplitType.NONE
    batch_strategy: BatchStrategy = BatchStrategy.MULTI_RECORD
    max_payload_mb: int = 6
    assemble_with: AssembleWith = AssembleWith.NONE
    input_filter: str = "$"
    output_filter: str = "$"
    join_source: JoinSource = JoinSource.NONE

    def __post_init__(self) -> None:
        if not 1 <= self.max_payload_mb <= 100:
            raise LocalRunnerError(f"max_payload_mb must be between 1 and 100, got {self.max_payload_mb}")
        processing = self.input_filter != "$" or self.output_filter != "$" or self.join_source is JoinSource.INPUT
        if processing and self.record_format is None:
            raise LocalRunnerError(
                f"InputFilter, OutputFilter and JoinSource need CSV or JSON records, got content type "
                f"{self.content_type!r}"
            )
        if self.join_source is JoinSource.INPUT:
            if self.split_type is not SplitType.LINE:
                raise LocalRunnerError("JoinSource Input needs SplitType Line here: each answer line joins one record")
            if self.accept is not None and _record_format(self.accept) != self.record_format:
                raise LocalRunnerError(
                    f"JoinSource Input joins answers in the input's format: accept must be "
                    f"{'text/csv' if self.record_format == 'csv' else 'application/json or application/jsonlines'}, "
                    f"got {self.accept!r}"
                )
        try:
            JSONPath.parse(self.input_filter)
            JSONPath.parse(self.output_filter)
        except JSONPathError as error:
            raise LocalRunnerError(f"invalid filter: {error}") from None

    @property
    def record_format(self) -> str | None:
        """``csv`` or ``json`` for records the filters can read; None for any other content type."""
        return _record_format(self.content_type)


def _record_format(content_type: str) -> str | None:
    media_type, _ = parse_header(content_type)
    return "csv" if media_type == CSV else "json" if media_type in JSON_TYPES else None


def _parse(text: str, record_format: str) -> Any:
    if record_format == "csv":
        return next(csv.reader([text]), [])
    return json.loads(text)


def _render(value: Any, record_format: str) -> str:
    if record_format == "csv":
        stream = io.StringIO()
        csv.writer(stream, lineterminator="").writerow(value if isinstance(value, list) else [value])
        return stream.getvalue()
    return json.dumps(value)


def _lines(text: str) -> list[str]:
    """Records of a text cut at newlines; a final newline ends the last record rather than adding one."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


class LocalTransform:
    """Runs ``settings`` over files with a loaded pipeline (its containers in batch mode)."""

    def __init__(self, pipeline: LocalPipeline, settings: BatchSettings) -> None:
        self.pipeline = pipeline
        self.settings = settings
        self._input_filter = JSONPath.parse(settings.input_filter)
        self._output_filter = JSONPath.parse(settings.output_filter)

    def transform_file(self, source: Path) -> bytes:
        """The ``.out`` content for one input file; raises naming the file and record on failure."""
        text = source.read_bytes().decode("utf-8")
        records = [text] if self.settings.split_type is SplitType.NONE else _lines(text)
        output: list[str] = []
        for first, batch in self._batches(source, records):
            model_input = "\n".join(self._filter_input(source, first + n, r) for n, r in enumerate(batch))
            answer = self.pipeline.invoke(
                model_input.encode("utf-8"), self.settings.content_type, self.settings.accept, batch=True
            ).body.decode("utf-8")
            output.extend(self._assemble(source, first, batch, answer))
        return "".join(output).encode("utf-8")

    def run(self, source: Path, destination: Path) -> list[Path]:
        """Transforms a file or every file under a folder into ``destination``; returns the outputs.

        :raises LocalRunnerError: listing the inputs that failed (their ``.out`` is not written).
        """
        inputs = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
        if not inputs:
            raise LocalRunnerError(f"no input files at {source}")
        written, failures = [], []
        for path in inputs:
            relative = path.name if source.is_file() else str(path.relative_to(source))
            try:
                content = self.transform_file(path)
            except LocalRunnerError as error:
                failures.append(f"{relative}: {error}")
                continue
            target = destination / f"{relative}.out"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
            written.append(target)
        if failures:
            raise LocalRunnerError(f"{len(failures)} of {len(inputs)} inputs failed: " + "; ".join(failures))
        return written

    def _batches(self, source: Path, records: list[str]) -> Iterator[tuple[int, list[str]]]:
        """``(index of the first record, records)`` a request."""
        if self.settings.batch_strategy is BatchStrategy.SINGLE_RECORD or self.settings.split_type is SplitType.NONE:
            for index, record in enumerate(records):
                self._check_size(source, index, len(record.encode("utf-8")))
                yield index, [record]
            return
        limit = self.settings.max_payload_mb * MEGABYTE
        batch: list[str] = []
        start, size = 0, 0
        for index, record in enumerate(records):
            length = len(record.encode("utf-8"))
            self._check_size(source, index, length)
            if batch and size + 1 + length > limit:
                yield start, batch
                batch, start, size = [], index, 0
            size += length + (1 if batch else 0)
            batch.append(record)
        if batch:
            yield start, batch

    def _check_size(self, source: Path, index: int, length: int) -> None:
        if length > self.settings.max_payload_mb * MEGABYTE:
            raise LocalRunnerError(
                f"{source.name}, record {index + 1}: {length} bytes is over MaxPayloadInMB "
                f"({self.settings.max_payload_mb} MB)"
            )

    def _filter_input(self, source: Path, index: int, record: str) -> str:
        if self.settings.input_filter == "$":
            return record
        record_format = self.settings.record_format
        assert record_format is not None  # BatchSettings checked it
        try:
            return _render(self._input_filter.apply(_parse(record, record_format)), record_format)
        except (JSONPathError, ValueError) as error:
            raise LocalRunnerError(f"{source.name}, record {index + 1}: InputFilter: {error}") from None

    def _assemble(self, source: Path, first: int, batch: list[str], answer: str) -> list[str]:
        settings = self.settings
        line_end = "\n" if settings.assemble_with is AssembleWith.LINE else ""
        joining = settings.join_source is JoinSource.INPUT
        if not joining and settings.output_filter == "$":
            return [line + line_end for line in _lines(answer)] if line_end else [answer]
        record_format = settings.record_format
        assert record_format is not None  # BatchSettings checked it
        answers = _lines(answer)
        if joining and len(answers) != len(batch):
            raise LocalRunnerError(
                f"{source.name}, records {first + 1}-{first + len(batch)}: the model answered {len(answers)} lines "
                f"for {len(batch)} records; JoinSource Input needs one answer line a record"
            )
        records = []
        for offset, line in enumerate(answers):
            try:
                value = _parse(line, record_format)
                if joining:
                    value = self._join(_parse(batch[offset], record_format), value, record_format)
                records.append(_render(self._output_filter.apply(value), record_format) + line_end)
            except (JSONPathError, ValueError) as error:
                raise LocalRunnerError(f"{source.name}, record {first + offset + 1}: OutputFilter: {error}") from None
        return records

    @staticmethod
    def _join(record: Any, answer: Any, record_format: str) -> Any:
        if record_format == "csv":
            return list(record) + (list(answer) if isinstance(answer, list) else [answer])
        if isinstance(record, dict):
            return {**record, "SageMakerOutput": answer}
        return {"SageMakerInput": record, "SageMakerOutput": answer}
