"""TransformSettings: how a batch transform job splits, batches, filters, joins and assembles records.

A plain, frozen, CDK-free description of a transform job's batch semantics (the SageMaker SDK's
``Transformer(strategy=, assemble_with=, accept=, max_payload=, max_concurrent_transforms=, env=)``
and ``transform(content_type=, split_type=, compression_type=, input_filter=, output_filter=,
join_source=, model_client_config=)``). ``BatchTransform`` renders it into the CreateTransformJob
parameters of its state machine; a local runner reads the same object to emulate the job. It checks
every limit of the SageMaker API (botocore's ``CreateTransformJob`` shapes), the JSONPath subset of
the filters, and the developer guide's rules for filtering and joining records when it is created.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypeVar

from .enums import enum_member
from .local.jsonpath import MAX_LENGTH, JSONPath, JSONPathError

#: SageMaker's default MaxPayloadInMB when the job does not set it.
DEFAULT_MAX_PAYLOAD_IN_MB = 6
#: MaxPayloadInMB, and MaxConcurrentTransforms * MaxPayloadInMB, may not exceed this.
MAX_PAYLOAD_IN_MB = 100
MAX_ENVIRONMENT_ENTRIES = 16
MAX_ENVIRONMENT_VALUE_CHARACTERS = 10240
MAX_FILTER_CHARACTERS = MAX_LENGTH
MAX_CONTENT_TYPE_CHARACTERS = 256
#: Content types whose records SageMaker can filter and join (DataProcessing).
DATA_PROCESSING_CONTENT_TYPES = ("text/csv", "application/json", "application/jsonlines")
_ENVIRONMENT_KEY = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]{0,1023}")


class SplitType(enum.Enum):
    """How input objects are cut into records. ``NONE`` (SageMaker's default): one object, one request."""

    NONE = "None"
    #: One record a line (CSV, JSON Lines).
    LINE = "Line"
    RECORD_IO = "RecordIO"
    TF_RECORD = "TFRecord"


class BatchStrategy(enum.Enum):
    """How many records go into one request (needs a SplitType other than None)."""

    #: As many records as fit in MaxPayloadInMB.
    MULTI_RECORD = "MultiRecord"
    #: One record a request.
    SINGLE_RECORD = "SingleRecord"


class AssembleWith(enum.Enum):
    """How the results of one input object are put together into its ``.out`` object."""

    #: Concatenated as returned (binary formats).
    NONE = "None"
    #: A newline after every result.
    LINE = "Line"


class JoinSource(enum.Enum):
    """What is joined with each result (DataProcessing)."""

    #: Nothing: the output holds the results only (SageMaker's default).
    NONE = "None"
    #: The input record: a CSV row gets the result appended, a JSON object a ``SageMakerOutput`` key.
    INPUT = "Input"


class CompressionType(enum.Enum):
    """Compression of the input objects, which SageMaker undoes before splitting."""

    NONE = "None"
    GZIP = "Gzip"


class Violation(NamedTuple):
    """One broken rule: ``<prop> must be <requirement>, got <value>``."""

    prop: str
    requirement: str
    value: Any


class TransformSettingsError(ValueError):
    """Settings SageMaker would refuse; ``violation`` says which rule, for callers that re-word it."""

    def __init__(self, violation: Violation, where: str = "TransformSettings") -> None:
        super().__init__(f"{where}: {violation.prop} must be {violation.requirement}, got {violation.value!r}")
        self.violation = violation


_E = TypeVar("_E", bound=enum.Enum)


@dataclass(frozen=True, kw_only=True)
class TransformSettings:
    """A transform job's batch semantics; each field is the API's parameter of the same meaning.

    Enum fields accept the enum or its API string (``"Line"``). ``None`` leaves a parameter unset,
    so SageMaker applies its default (stated on each field). Creating settings SageMaker would
    refuse, or that its developer guide rules out, raises :class:`TransformSettingsError`.

    Filtering or joining records (any of ``input_filter``, ``output_filter``, ``join_source`` set)
    needs ``content_type`` and ``accept`` each ``text/csv``, ``application/json`` or
    ``application/jsonlines``; with ``text/csv`` records, ``split_type`` and ``assemble_with`` Line.

    :param content_type: MIME type of the input records (``TransformInput.ContentType``), e.g.
        ``text/csv``. Default: None (the container's default).
    :param accept: MIME type of the results (``TransformOutput.Accept``). Default: None (the
        container's default).
    :param split_type: how input objects are cut into records. Default: None (SageMaker: ``None``,
        each object is one request).
    :param batch_strategy: records per request. Default: None (SageMaker picks from the container's
        execution parameters); needs ``split_type`` Line, RecordIO or TFRecord.
    :param assemble_with: how results are assembled. Default: None (SageMaker: ``None``).
    :param compression_type: compression of the input. Default: None (SageMaker: ``None``).
    :param max_payload_in_mb: largest request, 0-100 MB (0: chunked encoding, for containers that
        support it). Default: None (SageMaker: 6).
    :param max_concurrent_transforms: parallel requests per instance, >= 0; times the payload at
        most 100. Default: None (SageMaker asks the container, else 1).
    :param input_filter: JSONPath selecting what of each record the model gets, e.g. ``$[1:]``
        (at most 63 characters of SageMaker's subset: see ``runtime.local.jsonpath``). Default: None
        (``$``, everything).
    :param output_filter: JSONPath selecting what of the joined record (or of the result, without
        a join) is written, e.g. ``$[0,-1]`` (as ``input_filter``). Default: None (``$``).
    :param join_source: join the input record with its result. Default: None (SageMaker: ``None``).
    :param environment: the containers' environment for the job, at most 16 entries.
        Default: none.
    :param invocations_timeout_in_seconds: how long one request may take, 1-3600.
        Default: None (SageMaker: 600).
    :param invocations_max_retries: retries of a failed request, 0-3. Default: None (SageMaker: 3).
    """

    content_type: str | None = None
    accept: str | None = None
    split_type: SplitType | None = None
    batch_strategy: BatchStrategy | None = None
    assemble_with: AssembleWith | None = None
    compression_type: CompressionType | None = None
    max_payload_in_mb: int | None = None
    max_concurrent_transforms: int | None = None
    input_filter: str | None = None
    output_filter: str | None = None
    join_source: JoinSource | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    invocations_timeout_in_seconds: int | None = None
    invocations_max_retries: int | None = None

    def __post_init__(self) -> None:
        for name, kind in _ENUM_FIELDS.items():
            object.__setattr__(self, name, _coerce(kind, name, getattr(self, name)))
        object.__setattr__(self, "environment", dict(self.environment))
        violation = next(iter(self._violations()), None)
        if violation is not None:
            raise TransformSettingsError(violation)

    def _violations(self) -> list[Violation]:
        """Every rule of the API (or of its developer guide) these settings break, in the order of the fields."""
        found: list[Violation] = []

        def need(condition: bool, prop: str, requirement: str, value: Any) -> None:
            if not condition:
                found.append(Violation(prop, requirement, value))

        for prop in ("content_type", "accept"):
            text = getattr(self, prop)
            need(text is None or (isinstance(text, str) and len(text) <= MAX_CONTENT_TYPE_CHARACTERS), prop,
                 f"a string of at most {MAX_CONTENT_TYPE_CHARACTERS} characters", text)
        if self.batch_strategy is not None:
            need(self.split_type not in (None, SplitType.NONE), "batch_strategy",
                 "unset unless split_type is Line, RecordIO or TFRecord", self.batch_strategy.value)
        for prop, low, high in (
            ("max_payload_in_mb", 0, MAX_PAYLOAD_IN_MB),
            ("max_concurrent_transforms", 0, None),
            ("invocations_timeout_in_seconds", 1, 3600),
            ("invocations_max_retries", 0, 3),
        ):
            value = getattr(self, prop)
            if value is None:
                continue
            whole = isinstance(value, int) and not isinstance(value, bool)
            requirement = f"a whole number between {low} and {high}" if high is not None else \
                f"a whole number of at least {low}"
            need(whole and low <= value and (high is None or value <= high), prop, requirement, value)
        if not found and self.max_concurrent_transforms:
            product = self.max_concurrent_transforms * self.effective_max_payload_in_mb
            need(product <= MAX_PAYLOAD_IN_MB, "max_concurrent_transforms * max_payload_in_mb",
                 f"at most {MAX_PAYLOAD_IN_MB} (max_payload_in_mb defaults to {DEFAULT_MAX_PAYLOAD_IN_MB})",
                 product)
        for prop in ("input_filter", "output_filter"):
            path = getattr(self, prop)
            problem = None if path is None else _filter_problem(path)
            if problem is not None:
                found.append(Violation(prop, f"a JSONPath starting with '$', at most {MAX_FILTER_CHARACTERS} "
                                             f"characters, in SageMaker's subset ({problem})", path))
        if self.processes_records:
            # The developer guide ("Associate Prediction Results with Input Records") rules these.
            media_types = {prop: _media_type(getattr(self, prop)) for prop in ("content_type", "accept")}
            for prop, media_type in media_types.items():
                need(media_type in DATA_PROCESSING_CONTENT_TYPES, prop,
                     "one of " + ", ".join(DATA_PROCESSING_CONTENT_TYPES) + " to filter or join records",
                     getattr(self, prop))
            if "text/csv" in media_types.values():
                for prop, line in (("split_type", SplitType.LINE), ("assemble_with", AssembleWith.LINE)):
                    need(getattr(self, prop) is line, prop, "Line to filter or join text/csv records",
                         _value(getattr(self, prop)))
        need(len(self.environment) <= MAX_ENVIRONMENT_ENTRIES, "environment",
             f"at most {MAX_ENVIRONMENT_ENTRIES} entries", f"{len(self.environment)} entries")
        for key, value in self.environment.items():
            need(isinstance(key, str) and bool(_ENVIRONMENT_KEY.fullmatch(key)), "environment key",
                 "1-1024 letters, digits and '_', not starting with a digit", key)
            need(isinstance(value, str) and len(value) <= MAX_ENVIRONMENT_VALUE_CHARACTERS,
                 f"environment[{key!r}]", f"a string of at most {MAX_ENVIRONMENT_VALUE_CHARACTERS} characters",
                 value if not isinstance(value, str) else f"{len(value)} characters")
        return found

    @property
    def processes_records(self) -> bool:
        """Whether SageMaker reads the records themselves: a filter, or a join with the input."""
        return self.input_filter is not None or self.output_filter is not None or self.join_source is JoinSource.INPUT

    @property
    def effective_max_payload_in_mb(self) -> int:
        """The largest request SageMaker sends: ``max_payload_in_mb`` or its default, 6."""
        return DEFAULT_MAX_PAYLOAD_IN_MB if self.max_payload_in_mb is None else self.max_payload_in_mb

    def to_request(self) -> dict[str, Any]:
        """The CreateTransformJob parameters these settings set (unset ones are left out).

        ``TransformInput`` and ``TransformOutput`` hold only the settings' own keys: the caller adds
        ``DataSource``, ``S3OutputPath`` and ``KmsKeyId``.
        """
        data_processing = _present({
            "InputFilter": self.input_filter,
            "OutputFilter": self.output_filter,
            "JoinSource": _value(self.join_source),
        })
        client = _present({
            "InvocationsTimeoutInSeconds": self.invocations_timeout_in_seconds,
            "InvocationsMaxRetries": self.invocations_max_retries,
        })
        return _present({
            "BatchStrategy": _value(self.batch_strategy),
            "MaxPayloadInMB": self.max_payload_in_mb,
            "MaxConcurrentTransforms": self.max_concurrent_transforms,
            "Environment": dict(self.environment) or None,
            "ModelClientConfig": client or None,
            "DataProcessing": data_processing or None,
            "TransformInput": _present({
                "ContentType": self.content_type,
                "SplitType": _value(self.split_type),
                "CompressionType": _value(self.compression_type),
            }),
            "TransformOutput": _present({
                "Accept": self.accept,
                "AssembleWith": _value(self.assemble_with),
            }),
        })

    @staticmethod
    def from_request(request: Mapping[str, Any], **overrides: Any) -> TransformSettings:
        """The settings of a CreateTransformJob request or a DescribeTransformJob answer.

        The inverse of :meth:`to_request`: a local runner reads a job (or a state machine's task
        parameters) with it. Keys the settings do not describe are ignored.

        :param request: the request, e.g. parsed from JSON; it and its ``TransformInput``,
            ``TransformOutput``, ``DataProcessing``, ``ModelClientConfig`` and ``Environment`` must be
            objects (a mapping), or :class:`TransformSettingsError` names the one that is not.
        :param overrides: fields that replace the request's, e.g. a command line's options; the
            settings are checked once they are in. Default: none.
        """
        if not isinstance(request, Mapping):
            raise TransformSettingsError(Violation(
                "request", "an object (a CreateTransformJob request or a DescribeTransformJob answer)", request))
        transform_input, transform_output, processing, client, environment = (
            _object(request, key)
            for key in ("TransformInput", "TransformOutput", "DataProcessing", "ModelClientConfig", "Environment")
        )
        fields: dict[str, Any] = dict(
            content_type=transform_input.get("ContentType"),
            accept=transform_output.get("Accept"),
            split_type=transform_input.get("SplitType"),
            batch_strategy=request.get("BatchStrategy"),
            assemble_with=transform_output.get("AssembleWith"),
            compression_type=transform_input.get("CompressionType"),
            max_payload_in_mb=request.get("MaxPayloadInMB"),
            max_concurrent_transforms=request.get("MaxConcurrentTransforms"),
            input_filter=processing.get("InputFilter"),
            output_filter=processing.get("OutputFilter"),
            join_source=processing.get("JoinSource"),
            environment=environment,
            invocations_timeout_in_seconds=client.get("InvocationsTimeoutInSeconds"),
            invocations_max_retries=client.get("InvocationsMaxRetries"),
        )
        return TransformSettings(**{**fields, **overrides})


_ENUM_FIELDS: dict[str, type[enum.Enum]] = {
    "split_type": SplitType,
    "batch_strategy": BatchStrategy,
    "assemble_with": AssembleWith,
    "compression_type": CompressionType,
    "join_source": JoinSource,
}


def _coerce(kind: type[_E], prop: str, value: Any) -> _E | None:
    """The enum member for ``value`` (a member or its API string); anything else is refused."""
    member = enum_member(kind, value)
    if member is None and value is not None:
        allowed = ", ".join(repr(known.value) for known in kind)
        raise TransformSettingsError(Violation(prop, f"one of {allowed}", value))
    return member


def _object(request: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """``request[key]``, which must be an object when present (absent, an empty one)."""
    value = request.get(key, {})
    if not isinstance(value, Mapping):
        raise TransformSettingsError(Violation(key, "an object", value))
    return value


def _filter_problem(path: Any) -> str | None:
    """Why SageMaker refuses ``path`` as an InputFilter or OutputFilter; None when it takes it."""
    if not isinstance(path, str):
        return "not a string"
    try:
        JSONPath.parse(path)
    except JSONPathError as error:
        return error.reason
    return None


def _media_type(content_type: Any) -> str | None:
    """``text/csv`` of ``'text/csv; charset=utf-8'``; None for no content type (or not a string)."""
    return content_type.split(";")[0].strip().lower() if isinstance(content_type, str) else None


def _value(member: enum.Enum | None) -> Any:
    return None if member is None else member.value


def _present(values: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None and value != {}}
