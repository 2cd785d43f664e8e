"""TransformSettings: the CDK-free batch semantics, every SageMaker limit, and the request round trip."""

from __future__ import annotations

from typing import Any

import pytest
from cdk_sagemaker_inference.runtime.transform_settings import (
    AssembleWith,
    BatchStrategy,
    CompressionType,
    JoinSource,
    SplitType,
    TransformSettings,
    TransformSettingsError,
)


def test_defaults_set_nothing() -> None:
    settings = TransformSettings()
    assert settings.to_request() == {}
    assert settings.effective_max_payload_in_mb == 6


def test_every_setting_renders_as_the_api_spells_it() -> None:
    settings = TransformSettings(
        content_type="text/csv",
        accept="text/csv",
        split_type=SplitType.LINE,
        batch_strategy=BatchStrategy.MULTI_RECORD,
        assemble_with=AssembleWith.LINE,
        compression_type=CompressionType.GZIP,
        max_payload_in_mb=4,
        max_concurrent_transforms=25,
        input_filter="$[1:]",
        output_filter="$[0,-1]",
        join_source=JoinSource.INPUT,
        environment={"SAGEMAKER_MODEL_SERVER_TIMEOUT": "300"},
        invocations_timeout_in_seconds=120,
        invocations_max_retries=1,
    )
    assert settings.to_request() == {
        "BatchStrategy": "MultiRecord",
        "MaxPayloadInMB": 4,
        "MaxConcurrentTransforms": 25,
        "Environment": {"SAGEMAKER_MODEL_SERVER_TIMEOUT": "300"},
        "ModelClientConfig": {"InvocationsTimeoutInSeconds": 120, "InvocationsMaxRetries": 1},
        "DataProcessing": {"InputFilter": "$[1:]", "OutputFilter": "$[0,-1]", "JoinSource": "Input"},
        "TransformInput": {"ContentType": "text/csv", "SplitType": "Line", "CompressionType": "Gzip"},
        "TransformOutput": {"Accept": "text/csv", "AssembleWith": "Line"},
    }
    assert TransformSettings.from_request(settings.to_request()) == settings


def test_api_strings_are_accepted_for_enums() -> None:
    settings = TransformSettings(split_type="Line", batch_strategy="SingleRecord", assemble_with="None",
                                 compression_type="None", join_source="Input", content_type=JSON_LINES,
                                 accept=JSON_LINES)
    assert settings.split_type is SplitType.LINE
    assert settings.batch_strategy is BatchStrategy.SINGLE_RECORD
    assert settings.assemble_with is AssembleWith.NONE
    assert settings.join_source is JoinSource.INPUT


def test_from_request_reads_a_describe_answer_and_ignores_other_keys() -> None:
    described = {
        "TransformJobName": "job",
        "TransformInput": {"DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://b/in/"}},
                           "ContentType": "text/csv", "SplitType": "Line"},
        "TransformOutput": {"S3OutputPath": "s3://b/out/", "AssembleWith": "Line"},
        "BatchStrategy": "MultiRecord",
    }
    assert TransformSettings.from_request(described) == TransformSettings(
        content_type="text/csv", split_type=SplitType.LINE, assemble_with=AssembleWith.LINE,
        batch_strategy=BatchStrategy.MULTI_RECORD,
    )


def test_payload_of_zero_means_chunked_and_passes_with_any_concurrency() -> None:
    assert TransformSettings(max_payload_in_mb=0, max_concurrent_transforms=1000).effective_max_payload_in_mb == 0


JSON_LINES = "application/jsonlines"
#: A CSV job that joins its records, as the developer guide has it (ContentType, Accept, SplitType, AssembleWith).
CSV_JOIN: dict[str, Any] = {"content_type": "text/csv", "accept": "text/csv", "split_type": "Line",
                            "assemble_with": "Line", "join_source": "Input"}
FILTER = r"must be a JSONPath starting with '\$', at most 63 characters, in SageMaker's subset"

REFUSED: list[tuple[dict[str, Any], str]] = [
    ({"max_payload_in_mb": 101}, r"max_payload_in_mb must be a whole number between 0 and 100, got 101"),
    ({"max_payload_in_mb": -1}, r"max_payload_in_mb must be a whole number between 0 and 100, got -1"),
    ({"max_payload_in_mb": 6.5}, r"max_payload_in_mb must be a whole number between 0 and 100, got 6.5"),
    ({"max_payload_in_mb": True}, r"max_payload_in_mb must be a whole number between 0 and 100, got True"),
    ({"max_concurrent_transforms": -1}, r"max_concurrent_transforms must be a whole number of at least 0"),
    ({"max_concurrent_transforms": 10, "max_payload_in_mb": 11},
     r"max_concurrent_transforms \* max_payload_in_mb must be at most 100 .*, got 110"),
    # Unset, the payload is SageMaker's default of 6 MB: 17 * 6 = 102.
    ({"max_concurrent_transforms": 17}, r"max_concurrent_transforms \* max_payload_in_mb must be at most 100"),
    ({"batch_strategy": "MultiRecord"},
     r"batch_strategy must be unset unless split_type is Line, RecordIO or TFRecord, got 'MultiRecord'"),
    ({"batch_strategy": BatchStrategy.SINGLE_RECORD, "split_type": SplitType.NONE},
     r"batch_strategy must be unset unless split_type is Line, RecordIO or TFRecord, got 'SingleRecord'"),
    ({"split_type": "Lines"}, r"split_type must be one of 'None', 'Line', 'RecordIO', 'TFRecord', got 'Lines'"),
    ({"batch_strategy": "Multi"}, r"batch_strategy must be one of 'MultiRecord', 'SingleRecord', got 'Multi'"),
    ({"assemble_with": "Newline"}, r"assemble_with must be one of 'None', 'Line', got 'Newline'"),
    ({"join_source": "Output"}, r"join_source must be one of 'None', 'Input', got 'Output'"),
    ({"compression_type": "Zip"}, r"compression_type must be one of 'None', 'Gzip', got 'Zip'"),
    ({"input_filter": "$" + "[1]" * 21}, rf"input_filter {FILTER} \(it has 64 characters; SageMaker allows 63\)"),
    ({"output_filter": "[0]"}, rf"output_filter {FILTER} \(it does not start with \$\), got '\[0\]'"),
    # CreateTransformJob refuses these: "Unexpected "_" in JsonPath", "only single range filters are supported".
    ({**CSV_JOIN, "content_type": JSON_LINES, "accept": JSON_LINES,
      "output_filter": "$['account_id','SageMakerOutput']"},
     rf"output_filter {FILTER} \('_' is not allowed, only letters, digits, spaces and \$\[\]\*\.,:-'\), "
     r"got \"\$\['account_id','SageMakerOutput'\]\""),
    ({**CSV_JOIN, "output_filter": '$["id"]'}, rf"output_filter {FILTER} \('\"' is not allowed, "),
    ({**CSV_JOIN, "output_filter": "$.id_1"}, rf"output_filter {FILTER} \('_' is not allowed, "),
    ({**CSV_JOIN, "output_filter": "$[0:2,246:]"},
     rf"output_filter {FILTER} \(\[0:2,246:\] has 2 slices; SageMaker takes one a bracket\), got '\$\[0:2,246:\]'"),
    ({**CSV_JOIN, "input_filter": "$..id"}, rf"input_filter {FILTER} \(unsupported syntax at '..id'\)"),
    ({**CSV_JOIN, "input_filter": "$" + "x" * 62}, rf"input_filter {FILTER} \(unsupported syntax at 'xxx"),
    ({**CSV_JOIN, "input_filter": 1}, rf"input_filter {FILTER} \(not a string\), got 1"),
    ({"join_source": "Input", "content_type": "application/x-image"},
     r"content_type must be one of text/csv, application/json, application/jsonlines to filter or join records"),
    ({"input_filter": "$[1:]", "content_type": "application/x-recordio-protobuf"},
     r"content_type must be one of .* to filter or join records"),
    # The developer guide's rules for filtering and joining records.
    ({**CSV_JOIN, "content_type": None}, r"content_type must be one of .* to filter or join records, got None"),
    ({**CSV_JOIN, "accept": None}, r"accept must be one of .* to filter or join records, got None"),
    ({**CSV_JOIN, "join_source": None, "output_filter": "$[0]", "accept": "application/x-npy"},
     r"accept must be one of text/csv, application/json, application/jsonlines to filter or join records, "
     r"got 'application/x-npy'"),
    ({**CSV_JOIN, "split_type": None, "batch_strategy": None},
     r"split_type must be Line to filter or join text/csv records, got None"),
    ({**CSV_JOIN, "assemble_with": None}, r"assemble_with must be Line to filter or join text/csv records, got None"),
    ({**CSV_JOIN, "assemble_with": "None"},
     r"assemble_with must be Line to filter or join text/csv records, got 'None'"),
    # CSV answers of JSON records are lines too.
    ({**CSV_JOIN, "join_source": None, "output_filter": "$[0]", "content_type": JSON_LINES, "assemble_with": None},
     r"assemble_with must be Line to filter or join text/csv records, got None"),
    ({"content_type": "x" * 257}, r"content_type must be a string of at most 256 characters"),
    ({"accept": "x" * 257}, r"accept must be a string of at most 256 characters"),
    ({"content_type": 5}, r"content_type must be a string of at most 256 characters, got 5"),
    ({"environment": {f"K{i}": "v" for i in range(17)}}, r"environment must be at most 16 entries, got '17 entries'"),
    ({"environment": {"1KEY": "v"}},
     r"environment key must be 1-1024 letters, digits and '_', not starting with a digit"),
    ({"environment": {"KEY-1": "v"}}, r"environment key must be .*, got 'KEY-1'"),
    ({"environment": {"KEY": "v" * 10241}},
     r"environment\['KEY'\] must be a string of at most 10240 characters, got '10241 characters'"),
    ({"environment": {"KEY": 1}}, r"environment\['KEY'\] must be a string of at most 10240 characters, got 1"),
    ({"invocations_timeout_in_seconds": 0},
     r"invocations_timeout_in_seconds must be a whole number between 1 and 3600"),
    ({"invocations_timeout_in_seconds": 3601}, r"invocations_timeout_in_seconds must be .*, got 3601"),
    ({"invocations_max_retries": 4}, r"invocations_max_retries must be a whole number between 0 and 3, got 4"),
]


@pytest.mark.parametrize(("settings", "message"), REFUSED, ids=[message[:40] for _, message in REFUSED])
def test_settings_sagemaker_refuses_are_refused(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(TransformSettingsError, match=r"^TransformSettings: " + message) as raised:
        TransformSettings(**settings)
    assert raised.value.violation.prop in str(raised.value)


def test_limits_themselves_pass() -> None:
    TransformSettings(
        max_payload_in_mb=100, max_concurrent_transforms=1, input_filter="$." + "x" * 61,
        environment={f"K{i}": "v" * 10240 for i in range(16)}, invocations_timeout_in_seconds=3600,
        invocations_max_retries=0, content_type="application/jsonlines; charset=utf-8", accept=JSON_LINES,
        join_source="Input",
    )


@pytest.mark.parametrize("path", [
    "$", "$[1:]", "$[0,-1]", "$[0,5:]", "$[:5]", "$[ 1 , -2 ]", "$.features", "$.id.*", "$[*]",
    "$['id','SageMakerOutput']", "$['account id']", "$.field1.['child1','child2']", "$.record-id",
])
def test_filters_of_sagemakers_subset_pass(path: str) -> None:
    """The developer guide's operators and examples, a JSON record's or a CSV record's."""
    TransformSettings(**CSV_JOIN, input_filter=path, output_filter=path)


def test_a_json_job_may_leave_splitting_and_assembling_unset() -> None:
    """Only CSV records must be lines: a JSON document per object is one record."""
    TransformSettings(content_type="application/json", accept="application/json", join_source="Input")


@pytest.mark.parametrize(("request_", "message"), [
    ([], r"request must be an object \(a CreateTransformJob request or a DescribeTransformJob answer\), got \[\]"),
    ({"DataProcessing": None}, r"DataProcessing must be an object, got None"),
    ({"TransformInput": "text/csv"}, r"TransformInput must be an object, got 'text/csv'"),
    ({"TransformOutput": [], "TransformInput": {}}, r"TransformOutput must be an object, got \[\]"),
    ({"ModelClientConfig": 3}, r"ModelClientConfig must be an object, got 3"),
    ({"Environment": ["A=b"]}, r"Environment must be an object, got \['A=b'\]"),
    ({"TransformInput": {"ContentType": 5}}, r"content_type must be a string of at most 256 characters, got 5"),
])
def test_a_request_of_another_shape_is_refused_naming_the_part(request_: Any, message: str) -> None:
    """A request read from a JSON file may be anything JSON is."""
    with pytest.raises(TransformSettingsError, match=r"^TransformSettings: " + message + "$"):
        TransformSettings.from_request(request_)


def test_from_request_checks_the_settings_with_the_overrides_in() -> None:
    """A job's settings that are whole only with the overrides (here an Accept and AssembleWith) pass."""
    request = {"TransformInput": {"ContentType": "text/csv", "SplitType": "Line"},
               "DataProcessing": {"JoinSource": "Input"}}
    with pytest.raises(TransformSettingsError, match=r"accept must be one of"):
        TransformSettings.from_request(request)
    settings = TransformSettings.from_request(request, accept="text/csv", assemble_with="Line")
    assert settings == TransformSettings(**CSV_JOIN)
