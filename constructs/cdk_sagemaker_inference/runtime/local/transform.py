"""LocalTransform: a batch transform over a local file or folder, through a LocalPipeline.

It reads the same :class:`TransformSettings` the ``BatchTransform`` construct declares (or a
CreateTransformJob request, through ``TransformSettings.from_request``). What a transform job does,
record by record, with those settings (unset ones take SageMaker's defaults):

1. **Split** each input file (gunzipped first with ``CompressionType.GZIP``): ``SplitType.NONE``
   sends the whole file; ``LINE`` makes each line a record (RecordIO and TFRecord are refused).
2. **InputFilter** selects what the model sees of each record (a CSV line is an array of its fields).
3. **Batch**: ``SINGLE_RECORD`` sends each record alone; ``MULTI_RECORD`` (the default here) as many
   lines as fit in MaxPayloadInMB (6 unless set; 0: no limit) per request, joined by newlines. The
   containers run in batch mode (``SAGEMAKER_BATCH``: the XGBoost container answers one score a
   line), each with the job's Environment under its own (a default Accept included).
4. **JoinSource** ``INPUT`` pairs each answer line with its whole input record: CSV fields are
   appended, a JSON object gets ``SageMakerOutput`` (any other JSON value is wrapped as
   ``{"SageMakerInput": ..., "SageMakerOutput": ...}``). **OutputFilter** then selects from that,
   or from each answer line without a join; answers are read in the Accept format.
5. **AssembleWith** ``LINE`` ends every output record with a newline (every line of a text answer;
   a binary answer, such as ``application/x-npy``, is one record); ``NONE`` concatenates the answers.

Records stay bytes: only the filters and JoinSource read them, as CSV or JSON text, so binary content
types run when neither is set. Each input ``<name>`` gives ``<name>.out`` in the output folder
(keeping sub-folders), written only when every record of it succeeded, as SageMaker does.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..transform_settings import (
    AssembleWith,
    BatchStrategy,
    CompressionType,
    JoinSource,
    SplitType,
    TransformSettings,
)
from .cloud_assembly import find_transform
from .containers import Response, parse_header
from .errors import LocalRunnerError
from .jsonpath import JSONPath, JSONPathError
from .pipeline import LocalPipeline

MEGABYTE = 1024 * 1024
CSV = "text/csv"
JSON_TYPES = ("application/json", "application/jsonlines")


def _data_format(content_type: str | None) -> str:
    """``csv`` or ``json``: how DataProcessing reads a content type (TransformSettings allows no other)."""
    media_type, _ = parse_header(content_type)
    return "csv" if media_type == CSV else "json"


def _is_text(content_type: str | None) -> bool:
    """Whether an answer of this content type is text, made of lines (None: the container named none)."""
    media_type, _ = parse_header(content_type)
    return not media_type or media_type.startswith("text/") or media_type in JSON_TYPES


@dataclass(frozen=True)
class _Formats:
    """How DataProcessing reads the records (ContentType) and the answers (Accept)."""

    record: str
    answer: str


@dataclass(frozen=True)
class _Job:
    """The settings with SageMaker's defaults filled in, checked for what the runner can do."""

    split_type: SplitType
    batch_strategy: BatchStrategy
    #: None: no limit (MaxPayloadInMB 0, chunked requests).
    max_payload_bytes: int | None
    assemble_with: AssembleWith
    join_source: JoinSource
    input_filter: JSONPath
    output_filter: JSONPath
    #: None without DataProcessing: records and answers then stay bytes.
    formats: _Formats | None

    @staticmethod
    def of(settings: TransformSettings) -> _Job:
        split_type = settings.split_type or SplitType.NONE
        if split_type in (SplitType.RECORD_IO, SplitType.TF_RECORD):
            raise LocalRunnerError(f"SplitType {split_type.value} is not emulated (None and Line are)")
        join_source = settings.join_source or JoinSource.NONE
        formats = None
        if settings.processes_records:
            formats = _Formats(_data_format(settings.content_type), _data_format(settings.accept))
            if join_source is JoinSource.INPUT and split_type is not SplitType.LINE:
                raise LocalRunnerError("JoinSource Input needs SplitType Line here: each answer line joins one record")
            if join_source is JoinSource.INPUT and formats.answer != formats.record:
                expected = "text/csv" if formats.record == "csv" else "application/json or application/jsonlines"
                raise LocalRunnerError(
                    f"JoinSource Input joins answers in the input's format: accept must be {expected}, "
                    f"got {settings.accept!r}"
                )
        payload = settings.effective_max_payload_in_mb
        return _Job(
            split_type=split_type,
            # Unset, SageMaker asks the container (GET /execution-parameters): the XGBoost container
            # answers MultiRecord; the scikit-learn one answers only if the script says.
            batch_strategy=settings.batch_strategy or BatchStrategy.MULTI_RECORD,
            max_payload_bytes=payload * MEGABYTE if payload else None,
            assemble_with=settings.assemble_with or AssembleWith.NONE,
            join_source=join_source,
            # TransformSettings parsed both filters already.
            input_filter=JSONPath.parse(settings.input_filter or "$"),
            output_filter=JSONPath.parse(settings.output_filter or "$"),
            formats=formats,
        )


def _parse(record: bytes, record_format: str) -> Any:
    """A record's (or an answer line's) CSV fields or JSON value; raises ValueError for anything else
    (UnicodeDecodeError is one)."""
    text = record.decode("utf-8")
    if record_format == "json":
        return json.loads(text)
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise ValueError(f"not a CSV record: {error}") from None
    if len(rows) > 1:
        raise ValueError(f"a CSV record is one line, this one has {len(rows)} (CSV records cannot embed line breaks)")
    return rows[0] if rows else []


def _render(value: Any, record_format: str) -> str:
    if record_format == "csv":
        stream = io.StringIO()
        csv.writer(stream, lineterminator="").writerow(value if isinstance(value, list) else [value])
        return stream.getvalue()
    return json.dumps(value)


def _lines(content: bytes) -> list[bytes]:
    """Records of a content cut at newlines; a final newline ends the last record rather than adding one."""
    lines = content.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return [line.removesuffix(b"\r") for line in lines]


class LocalTransform:
    """Runs a transform job's settings over files with a loaded pipeline (its containers in batch mode)."""

    def __init__(self, pipeline: LocalPipeline, settings: TransformSettings) -> None:
        """:param settings: the job's settings, e.g. ``BatchTransform.settings`` or
            ``TransformSettings.from_request(describe_transform_job_answer)``.
        :raises LocalRunnerError: settings the runner cannot emulate (RecordIO, TFRecord) or that
            cannot pair answers with records.
        """
        self.pipeline = pipeline
        self.settings = settings
        self._job = _Job.of(settings)

    @classmethod
    def from_cloud_assembly(cls, directory: str | Path = "cdk.out", *, transform: str | None = None) -> LocalTransform:
        """The ``BatchTransform`` at construct path ``transform`` in a synthesized cloud assembly: the
        model it runs and its job's settings, as the state machine will pass them to CreateTransformJob.

        :param transform: the BatchTransform's construct path, or its end. Default: the only one.
        Close it (or use it in a ``with``) to remove the model's extracted archives.
        """
        declared = find_transform(Path(directory), transform)
        pipeline = LocalPipeline(declared.model.containers, name=declared.model.path)
        try:
            return cls(pipeline, TransformSettings.from_request(declared.request))
        except Exception:
            pipeline.close()
            raise

    def __enter__(self) -> LocalTransform:
        return self

    def __exit__(self, *_: object) -> None:
        self.pipeline.close()

    def transform_file(self, source: Path) -> bytes:
        """The ``.out`` content for one input file.

        :raises LocalRunnerError: naming the record when one failed (``run`` adds the file's name).
        """
        content = source.read_bytes()
        if self.settings.compression_type is CompressionType.GZIP:
            try:
                content = gzip.decompress(content)
            except (OSError, EOFError, zlib.error) as error:
                raise LocalRunnerError(f"CompressionType Gzip: {error}") from None
        records = [content] if self._job.split_type is SplitType.NONE else _lines(content)
        output: list[bytes] = []
        for first, batch in self._batches(records):
            model_input = b"\n".join(self._filter_input(first + n, r) for n, r in enumerate(batch))
            answer = self.pipeline.invoke(model_input, self.settings.content_type, self.settings.accept, batch=True,
                                          environment=self.settings.environment)
            output.extend(self._assemble(first, batch, answer))
        return b"".join(output)

    def run(self, source: Path, destination: Path) -> list[Path]:
        """Transforms a file or every file under a folder into ``destination``; returns the outputs.

        :raises LocalRunnerError: listing the inputs that failed (their ``.out`` is not written),
            naming the output that cannot be written (e.g. ``destination`` is a file), or when
            ``destination`` is inside the folder ``source``, which a job's output may not be either.
        """
        if source.is_dir() and destination.resolve().is_relative_to(source.resolve()):
            raise LocalRunnerError(f"the output folder {destination} must be outside the input folder {source} "
                                   "(the next run would transform these results too)")
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
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
            except OSError as error:
                raise LocalRunnerError(f"cannot write {target}: {error}") from None
            written.append(target)
        if failures:
            raise LocalRunnerError(f"{len(failures)} of {len(inputs)} inputs failed: " + "; ".join(failures))
        return written

    def _batches(self, records: list[bytes]) -> Iterator[tuple[int, list[bytes]]]:
        """``(index of the first record, records)`` a request."""
        if self._job.batch_strategy is BatchStrategy.SINGLE_RECORD or self._job.split_type is SplitType.NONE:
            for index, record in enumerate(records):
                self._check_size(index, len(record))
                yield index, [record]
            return
        limit = self._job.max_payload_bytes
        batch: list[bytes] = []
        start, size = 0, 0
        for index, record in enumerate(records):
            length = len(record)
            self._check_size(index, length)
            if batch and limit is not None and size + 1 + length > limit:
                yield start, batch
                batch, start, size = [], index, 0
            size += length + (1 if batch else 0)
            batch.append(record)
        if batch:
            yield start, batch

    def _check_size(self, index: int, length: int) -> None:
        limit = self._job.max_payload_bytes
        if limit is not None and length > limit:
            raise LocalRunnerError(
                f"record {index + 1}: {length} bytes is over MaxPayloadInMB ({limit // MEGABYTE} MB)"
            )

    def _filter_input(self, index: int, record: bytes) -> bytes:
        formats = self._job.formats
        if formats is None or not self._job.input_filter.segments:
            return record
        try:
            return _render(self._job.input_filter.apply(_parse(record, formats.record)), formats.record).encode("utf-8")
        except (JSONPathError, ValueError) as error:
            raise LocalRunnerError(f"record {index + 1}: InputFilter: {error}") from None

    def _assemble(self, first: int, batch: list[bytes], answer: Response) -> list[bytes]:
        job = self._job
        line_end = b"\n" if job.assemble_with is AssembleWith.LINE else b""
        joining = job.join_source is JoinSource.INPUT
        formats = job.formats
        if formats is None or (not joining and not job.output_filter.segments):
            if not line_end or not _is_text(answer.content_type):
                return [answer.body + line_end]
            return [line + line_end for line in _lines(answer.body)]
        answers = _lines(answer.body)
        if joining and len(answers) != len(batch):
            raise LocalRunnerError(
                f"records {first + 1}-{first + len(batch)}: the model answered {len(answers)} lines "
                f"for {len(batch)} records; JoinSource Input needs one answer line a record"
            )
        records = []
        for offset, line in enumerate(answers):
            try:
                # SageMaker reads answers in the Accept format (a join needs the records' own).
                value = _parse(line, formats.answer)
                if joining:
                    value = self._join(_parse(batch[offset], formats.record), value, formats.record)
                records.append(_render(job.output_filter.apply(value), formats.answer).encode("utf-8") + line_end)
            except (JSONPathError, ValueError) as error:
                raise LocalRunnerError(f"record {first + offset + 1}: OutputFilter: {error}") from None
        return records

    @staticmethod
    def _join(record: Any, answer: Any, record_format: str) -> Any:
        if record_format == "csv":
            return list(record) + (list(answer) if isinstance(answer, list) else [answer])
        if isinstance(record, dict):
            return {**record, "SageMakerOutput": answer}
        return {"SageMakerInput": record, "SageMakerOutput": answer}
