"""The local runner: parity with the endpoint's answers, batch semantics, filters, refusals, versions."""

from __future__ import annotations

import dataclasses
import importlib.metadata
import io
import json
import math
import pickle
import struct
import tarfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from cdk_sagemaker_inference import CSVSerializer, JSONDeserializer
from cdk_sagemaker_inference.runtime import (
    AssembleWith,
    BatchStrategy,
    CompressionType,
    JoinSource,
    SplitType,
    TransformSettings,
)
from cdk_sagemaker_inference.runtime.local import (
    IncompatibleArtifactError,
    LocalContainerSpec,
    LocalModelError,
    LocalPipeline,
    LocalPredictor,
    LocalRunnerError,
    LocalTransform,
    UnsupportedContainerError,
    find_model,
)
from cdk_sagemaker_inference.runtime.local.jsonpath import JSONPath, JSONPathError

from examples import train

ARTIFACTS = Path(__file__).resolve().parent.parent / "examples" / "artifacts"
CSV = "text/csv"
JSON = "application/json"
SKLEARN_SCRIPT = {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"}


def example_specs() -> list[LocalContainerSpec]:
    """The reference app's three containers (stacks/example_pipeline.py), by archive and framework."""
    return [
        LocalContainerSpec("sklearn", "1.2-1", ARTIFACTS / "preprocessing" / "model.tar.gz",
                           SKLEARN_SCRIPT | {"SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": CSV}),
        LocalContainerSpec("xgboost", "1.7-1", ARTIFACTS / "xgboost" / "model.tar.gz",
                           {"SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": CSV}),
        LocalContainerSpec("sklearn", "1.2-1", ARTIFACTS / "postprocessing" / "model.tar.gz",
                           SKLEARN_SCRIPT | {"SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": JSON}),
    ]


@pytest.fixture(scope="module")
def example() -> train.TrainedExample:
    return train.train()


@pytest.fixture(scope="module")
def pipeline() -> Iterator[LocalPipeline]:
    with LocalPipeline(example_specs()) as loaded:
        yield loaded


def expected_labels(example: train.TrainedExample, rows: np.ndarray) -> list[tuple[str, float]]:
    """What the example answers, computed in-process from the trained models and the threshold."""
    return [
        ("malignant", round(float(score), 4)) if score >= train.THRESHOLD else ("benign", round(1.0 - float(score), 4))
        for score in train.predict_scores(example, rows)
    ]


def nan_as_none(rows: np.ndarray) -> list[list[float | None]]:
    return [[None if math.isnan(value) else value for value in row] for row in rows.tolist()]


def test_local_predictor_answers_the_labels_and_probabilities_the_endpoint_would(
    example: train.TrainedExample, pipeline: LocalPipeline
) -> None:
    rows = example.x_test[:60]
    # The Predictor's own serializers: CSV rows in (an empty field for a missing value), JSON out.
    predictor = LocalPredictor(pipeline, serializer=CSVSerializer(), deserializer=JSONDeserializer())
    answer = predictor.predict([["" if value is None else value for value in row] for row in nan_as_none(rows)])
    got = [(p["label"], p["probability"]) for p in answer["predictions"]]
    assert got == expected_labels(example, rows)
    assert {label for label, _ in got} == {"malignant", "benign"}


def test_accept_reaches_only_the_last_container_and_defaults_to_its_environment(pipeline: LocalPipeline) -> None:
    row = ",".join(["1"] * 30).encode()
    assert pipeline.invoke(row, CSV).content_type == JSON            # postprocessing's default accept
    assert pipeline.invoke(row, CSV, "*/*").content_type == JSON
    csv_answer = pipeline.invoke(row, CSV, CSV)
    assert (csv_answer.content_type, csv_answer.body.count(b"\n")) == (CSV, 1)


def test_a_failing_container_is_named_with_its_status(pipeline: LocalPipeline) -> None:
    with pytest.raises(LocalModelError, match=r"container 1 \(scikit-learn 1.2-1\) answered 500: .*30 fields, got 2"):
        pipeline.invoke(b"1,2", CSV)
    with pytest.raises(LocalModelError, match=r"container 1 \(XGBoost 1.7-1\) answered 415: .*x-image is not"):
        LocalPipeline(example_specs()[1:2]).invoke(b"1,2", "application/x-image")
    with pytest.raises(LocalModelError, match=r"container 1 \(XGBoost 1.7-1\) answered 406: Accept type text/html"):
        LocalPipeline(example_specs()[1:2]).invoke(b"1,2", CSV, "text/html")


def test_xgboost_answers_like_the_container_in_each_format() -> None:
    xgboost = LocalPipeline(example_specs()[1:2])
    features = ",".join(["0.5"] * 30).encode()
    json_answer = json.loads(xgboost.invoke(features + b"\n" + features, CSV, JSON).body)
    assert list(json_answer) == ["predictions"] and len(json_answer["predictions"]) == 2
    score = json_answer["predictions"][0]["score"]
    assert xgboost.invoke(features + b"\n" + features, CSV, CSV).body == f"{score}\n{score}\n".encode()
    libsvm = " ".join(f"{index}:0.5" for index in range(30)).encode()
    assert xgboost.invoke(libsvm, "text/libsvm", CSV).body == f"{score}\n".encode()
    assert xgboost.invoke(features, CSV, JSON, batch=True).body == f"{score}\n".encode()


# --- batch transform ----------------------------------------------------------------------------


def id_rows(example: train.TrainedExample, count: int) -> tuple[list[str], np.ndarray]:
    rows = example.x_test[:count]
    lines = [
        f"{100 + n}," + ",".join("" if value is None else repr(value) for value in row)
        for n, row in enumerate(nan_as_none(rows))
    ]
    return lines, rows


@pytest.mark.parametrize("strategy", [BatchStrategy.SINGLE_RECORD, BatchStrategy.MULTI_RECORD])
def test_batch_output_joins_ids_with_labels_line_by_line(
    example: train.TrainedExample, pipeline: LocalPipeline, tmp_path: Path, strategy: BatchStrategy
) -> None:
    lines, rows = id_rows(example, 25)
    source = tmp_path / "in" / "batch.csv"
    source.parent.mkdir()
    source.write_text("\n".join(lines) + "\n")
    settings = TransformSettings(
        content_type=CSV, accept=CSV, split_type=SplitType.LINE, batch_strategy=strategy,
        assemble_with=AssembleWith.LINE, input_filter="$[1:]", join_source=JoinSource.INPUT,
        output_filter="$[0,-2:]",
    )
    written = LocalTransform(pipeline, settings).run(source.parent, tmp_path / "out")
    assert written == [tmp_path / "out" / "batch.csv.out"]
    labels = expected_labels(example, rows)
    expected = [f"{100 + n},{label},{probability}" for n, (label, probability) in enumerate(labels)]
    assert written[0].read_text().split("\n") == [*expected, ""]


def test_batch_without_join_writes_the_answers_and_keeps_folders(
    example: train.TrainedExample, pipeline: LocalPipeline, tmp_path: Path
) -> None:
    lines, rows = id_rows(example, 5)
    (tmp_path / "in" / "day1").mkdir(parents=True)
    (tmp_path / "in" / "day1" / "a.csv").write_text("\n".join(line.split(",", 1)[1] for line in lines))
    settings = TransformSettings(
        content_type=CSV, accept=CSV, split_type=SplitType.LINE, assemble_with=AssembleWith.LINE
    )
    [written] = LocalTransform(pipeline, settings).run(tmp_path / "in", tmp_path / "out")
    assert written == tmp_path / "out" / "day1" / "a.csv.out"
    assert written.read_text() == "".join(f"{label},{p}\n" for label, p in expected_labels(example, rows))


def test_multi_record_batches_respect_the_payload_limit(pipeline: LocalPipeline, tmp_path: Path) -> None:
    calls: list[int] = []
    original = pipeline.invoke

    def counting(body: bytes, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        calls.append(body.count(b"\n") + 1)
        return original(body, *args, **kwargs)  # type: ignore[arg-type]

    row = ",".join(["1.5"] * 30)
    source = tmp_path / "big.csv"
    source.write_text("\n".join([row] * 20000))  # about 2.4 MB
    settings = TransformSettings(
        content_type=CSV, accept=CSV, split_type=SplitType.LINE, max_payload_in_mb=1, assemble_with=AssembleWith.LINE
    )
    transform = LocalTransform(pipeline, settings)
    pipeline.invoke = counting  # type: ignore[method-assign]
    try:
        output = transform.transform_file(source)
    finally:
        del pipeline.invoke
    assert sum(calls) == 20000 and len(calls) == 3 and all(n * (len(row) + 1) <= 1024 * 1024 + 1 for n in calls)
    assert output.count(b"\n") == 20000


def test_a_failing_input_gets_no_output_and_is_named(pipeline: LocalPipeline, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "good.csv").write_text(",".join(["1"] * 30))
    (tmp_path / "in" / "bad.csv").write_text("1,2,3")
    with pytest.raises(LocalRunnerError, match=r"1 of 2 inputs failed: bad.csv: container 1 .* got 3"):
        settings = TransformSettings(content_type=CSV, accept=CSV)
        LocalTransform(pipeline, settings).run(tmp_path / "in", tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["good.csv.out"]


@pytest.mark.parametrize("output", ["in/out", "in", "in/../in/results"])
def test_an_output_folder_inside_the_input_folder_is_refused_before_any_run(
    pipeline: LocalPipeline, tmp_path: Path, output: str
) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "good.csv").write_text(",".join(["1"] * 30))
    transform = LocalTransform(pipeline, TransformSettings(content_type=CSV, accept=CSV))
    with pytest.raises(LocalRunnerError, match=r"the output folder .* must be outside the input folder .* \(the next "
                                               r"run would transform these results too\)"):
        transform.run(tmp_path / "in", tmp_path / output)
    assert [p.name for p in (tmp_path / "in").rglob("*")] == ["good.csv"]


def make_archive(path: Path, files: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return path


SUM_SCRIPT = b'''
class Summer:
    def predict(self, data):
        return data.sum(axis=-1)


def model_fn(model_dir):
    return Summer()
'''


@pytest.fixture
def summer(tmp_path: Path) -> Iterator[LocalPipeline]:
    """A scikit-learn container with only model_fn: the container's default JSON/CSV handlers."""
    archive = make_archive(tmp_path / "summer.tar.gz", {"code/inference.py": SUM_SCRIPT})
    with LocalPipeline([LocalContainerSpec("sklearn", "1.2-1", archive, dict(SKLEARN_SCRIPT))]) as loaded:
        yield loaded


def test_default_handlers_decode_and_encode_like_the_container(summer: LocalPipeline) -> None:
    assert summer.invoke(b"[[1, 2], [3, 4.5]]", JSON).body == b"[3.0, 7.5]"
    assert summer.invoke(b"1,2\n3,4.5", CSV, CSV).body == b"3.0\n7.5\n"
    with pytest.raises(LocalModelError, match=r"answered 415: Content type text/plain is not supported"):
        summer.invoke(b"1", "text/plain")
    with pytest.raises(LocalModelError, match=r"answered 406: Content type text/html is not supported"):
        summer.invoke(b"[1]", JSON, "text/html")


def test_json_lines_filters_and_join(summer: LocalPipeline, tmp_path: Path) -> None:
    source = tmp_path / "records.jsonl"
    source.write_text('{"id": "a", "features": [1, 2, 3]}\n{"id": "b", "features": [0.5, 0.25]}\n')
    settings = TransformSettings(
        content_type=JSON, accept=JSON, split_type=SplitType.LINE, batch_strategy=BatchStrategy.SINGLE_RECORD,
        assemble_with=AssembleWith.LINE, input_filter="$.features", join_source=JoinSource.INPUT,
        output_filter="$['id','SageMakerOutput']",
    )
    assert LocalTransform(summer, settings).transform_file(source).decode().split("\n") == [
        '{"id": "a", "SageMakerOutput": 6.0}', '{"id": "b", "SageMakerOutput": 0.75}', "",
    ]
    array_input = tmp_path / "arrays.jsonl"
    array_input.write_text("[1, 2]\n")
    wrapped = TransformSettings(
        content_type=JSON, accept=JSON, split_type=SplitType.LINE, join_source=JoinSource.INPUT
    )
    assert LocalTransform(summer, wrapped).transform_file(array_input) == (
        b'{"SageMakerInput": [1, 2], "SageMakerOutput": 3.0}'
    )


@pytest.mark.parametrize(
    ("expression", "record", "selected"),
    [
        ("$", [1, 2], [1, 2]),
        ("$[1:]", ["id", "a", "b"], ["a", "b"]),
        ("$[0,-1]", ["id", "a", "b"], ["id", "b"]),
        ("$[0,5:]", list(range(7)), [0, 5, 6]),
        ("$[:2]", list(range(4)), [0, 1]),
        ("$[2:3]", list(range(4)), [2]),
        ("$[1]", ["a", "b"], "b"),
        ("$.features", {"features": [1], "id": 3}, [1]),
        ("$.a.b", {"a": {"b": 2}}, 2),
        ("$['id','SageMakerOutput']", {"id": 1, "x": 2, "SageMakerOutput": 3}, {"id": 1, "SageMakerOutput": 3}),
        ("$.a.['b','c']", {"a": {"b": 1, "c": 2, "d": 3}}, {"b": 1, "c": 2}),
        ("$['id']", {"id": 1}, 1),
        ("$.record-id", {"record-id": 1}, 1),
        ("$[ 0 , 2: ]", list(range(4)), [0, 2, 3]),
        ("$.*", {"a": 1, "b": 2}, [1, 2]),
        ("$[*]", [1, 2], [1, 2]),
    ],
)
def test_jsonpath_subset(expression: str, record: object, selected: object) -> None:
    assert JSONPath.parse(expression).apply(record) == selected


@pytest.mark.parametrize(
    ("expression", "record", "message"),
    [
        ("$[3]", [1, 2], r"index 3 is outside a record of 2 fields"),
        ("$[0,-3]", [1, 2], r"index -3 is outside"),
        ("$.missing", {"id": 1}, r"the record has no 'missing'"),
        ("$.id", [1], r"needs an object, got an array"),
        ("$[0]", {"id": 1}, r"indexes need an array"),
        ("$..id", {}, r"unsupported syntax at '..id'"),
        ("$[a]", [], r"^'\$\[a\]': \[a\] is not names, indexes or slices$"),
        ("features", {}, r"^'features': it does not start with \$$"),
        ("$." + "a" * 62, {}, r"it has 64 characters; SageMaker allows 63"),
        # What CreateTransformJob refuses: characters outside its operators, letters and digits; two slices.
        ("$.account_id", {}, r"^'\$.account_id': '_' is not allowed, only letters, digits, spaces and \$\[\]\*\.,:-'$"),
        ('$["id"]', {}, r"'\"' is not allowed"),
        ("$[?(@.a)]", [], r"'\?' is not allowed"),
        ("$[0:2,4:]", list(range(6)), r"\[0:2,4:\] has 2 slices; SageMaker takes one a bracket"),
    ],
)
def test_jsonpath_refusals(expression: str, record: object, message: str) -> None:
    with pytest.raises(JSONPathError, match=message):
        JSONPath.parse(expression).apply(record)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"split_type": SplitType.RECORD_IO}, r"SplitType RecordIO is not emulated \(None and Line are\)"),
        ({"content_type": JSON, "accept": JSON, "join_source": JoinSource.INPUT},
         r"JoinSource Input needs SplitType Line"),
        ({"content_type": CSV, "join_source": JoinSource.INPUT, "split_type": SplitType.LINE, "accept": JSON,
          "assemble_with": AssembleWith.LINE}, r"accept must be text/csv, got 'application/json'"),
    ],
)
def test_settings_the_runner_cannot_emulate_are_refused(
    pipeline: LocalPipeline, settings: dict[str, object], message: str
) -> None:
    with pytest.raises(LocalRunnerError, match=message):
        LocalTransform(pipeline, TransformSettings(**settings))  # type: ignore[arg-type]


#: Answers one JSON object a line for application/json, ``score,label`` CSV lines otherwise.
LABELLER_SCRIPT = SUM_SCRIPT + b'''
import json


def output_fn(prediction, accept):
    scores = [float(score) for score in prediction.reshape(-1)]
    if accept == "application/json":
        return "\\n".join(json.dumps({"score": score, "label": "x"}) for score in scores), accept
    return "\\n".join(f"{score},x" for score in scores), accept
'''


@pytest.mark.parametrize(("content_type", "accept", "rows", "output_filter"), [
    (CSV, JSON, "1,2\n3,4\n", "$.score"),
    (JSON, CSV, "[1, 2]\n[3, 4]\n", "$[0]"),
])
def test_the_output_filter_reads_answers_in_the_accept_format(
    tmp_path: Path, content_type: str, accept: str, rows: str, output_filter: str
) -> None:
    """Without a join, OutputFilter selects from the answer, which is in the Accept format, whatever the input's."""
    archive = make_archive(tmp_path / "labeller.tar.gz", {"code/inference.py": LABELLER_SCRIPT})
    (tmp_path / "rows").write_text(rows)
    settings = TransformSettings(
        content_type=content_type, accept=accept, split_type=SplitType.LINE, batch_strategy=BatchStrategy.SINGLE_RECORD,
        assemble_with=AssembleWith.LINE, output_filter=output_filter,
    )
    with LocalPipeline([LocalContainerSpec("sklearn", "1.2-1", archive, dict(SKLEARN_SCRIPT))]) as labeller:
        assert LocalTransform(labeller, settings).transform_file(tmp_path / "rows") == b"3.0\n7.0\n"


DEFAULT_ACCEPT = "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT"


def test_the_job_environment_sets_a_default_accept_the_container_has_not(summer: LocalPipeline, tmp_path: Path) -> None:
    """SageMaker starts each container with the job's Environment: it may name the default Accept."""
    (tmp_path / "rows.csv").write_text("1,2\n3,4\n")
    settings = TransformSettings(content_type=CSV, split_type=SplitType.LINE, assemble_with=AssembleWith.LINE)
    assert LocalTransform(summer, settings).transform_file(tmp_path / "rows.csv") == b"[3.0, 7.0]\n"
    in_csv = dataclasses.replace(settings, environment={DEFAULT_ACCEPT: CSV})
    assert LocalTransform(summer, in_csv).transform_file(tmp_path / "rows.csv") == b"3.0\n7.0\n"


def test_a_container_s_own_default_accept_stays_over_the_job_s() -> None:
    features = ",".join(["0.5"] * 30).encode()
    xgboost_spec = example_specs()[1]
    own = LocalPipeline([xgboost_spec])
    assert own.invoke(features, CSV, environment={DEFAULT_ACCEPT: JSON}).content_type == CSV
    bare = LocalPipeline([dataclasses.replace(xgboost_spec, environment={})])
    assert bare.invoke(features, CSV).content_type == CSV
    assert bare.invoke(features, CSV, environment={DEFAULT_ACCEPT: JSON}).content_type == JSON


def test_gzip_input_and_no_payload_limit(summer: LocalPipeline, tmp_path: Path) -> None:
    import gzip

    source = tmp_path / "rows.csv.gz"
    source.write_bytes(gzip.compress(b"1,2\n3,4\n"))
    settings = TransformSettings(
        content_type=CSV, accept=CSV, split_type=SplitType.LINE, compression_type=CompressionType.GZIP,
        max_payload_in_mb=0, assemble_with=AssembleWith.LINE,
    )
    assert LocalTransform(summer, settings).transform_file(source) == b"3.0\n7.0\n"


def npy(array: object) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.array(array))
    return buffer.getvalue()


@pytest.mark.parametrize(("assemble_with", "line_end"), [(AssembleWith.NONE, b""), (AssembleWith.LINE, b"\n")])
def test_binary_records_are_sent_and_written_as_bytes(
    summer: LocalPipeline, tmp_path: Path, assemble_with: AssembleWith, line_end: bytes
) -> None:
    (crlf,) = struct.unpack("<d", b"\r\n\r\n\x00\x00\xf0?")  # a float64 whose bytes hold CR LF twice
    source = tmp_path / "rows.npy"
    source.write_bytes(npy([[crlf, 0.0], [crlf, 1.0]]))
    settings = TransformSettings(
        content_type="application/x-npy", accept="application/x-npy", assemble_with=assemble_with
    )
    assert LocalTransform(summer, settings).transform_file(source) == npy([crlf, crlf + 1.0]) + line_end


def test_undecodable_unzippable_and_multi_line_inputs_fail_alone(summer: LocalPipeline, tmp_path: Path) -> None:
    import gzip

    (tmp_path / "in").mkdir()
    for name, content in {
        "good.csv.gz": gzip.compress(b"9,1,2"),
        "latin1.csv.gz": gzip.compress(b"\xe9,1,2"),
        "plain.csv.gz": b"9,1,2",
        "truncated.csv.gz": gzip.compress(b"9,1,2")[:-4],
        "carriage-return.csv.gz": gzip.compress(b"9,1,2\r9,3,4\n"),
    }.items():
        (tmp_path / "in" / name).write_bytes(content)
    settings = TransformSettings(
        content_type=CSV, accept=JSON, split_type=SplitType.LINE, assemble_with=AssembleWith.LINE,
        compression_type=CompressionType.GZIP, input_filter="$[1:]"
    )
    with pytest.raises(LocalRunnerError) as failure:
        LocalTransform(summer, settings).run(tmp_path / "in", tmp_path / "out")
    assert str(failure.value) == (
        "4 of 5 inputs failed: "
        "carriage-return.csv.gz: record 1: InputFilter: a CSV record is one line, this one has 2 "
        "(CSV records cannot embed line breaks); "
        "latin1.csv.gz: record 1: InputFilter: 'utf-8' codec can't decode byte 0xe9 in position 0: "
        "invalid continuation byte; "
        "plain.csv.gz: CompressionType Gzip: Not a gzipped file (b'9,'); "
        "truncated.csv.gz: CompressionType Gzip: Compressed file ended before the end-of-stream marker was reached"
    )
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["good.csv.gz.out"]
    assert (tmp_path / "out" / "good.csv.gz.out").read_bytes() == b"3.0\n"


def test_settings_of_a_create_transform_job_request_run_as_declared(
    example: train.TrainedExample, pipeline: LocalPipeline, tmp_path: Path
) -> None:
    request = {
        "BatchStrategy": "MultiRecord", "MaxPayloadInMB": 6,
        "TransformInput": {"ContentType": CSV, "SplitType": "Line"},
        "TransformOutput": {"Accept": CSV, "AssembleWith": "Line"},
        "DataProcessing": {"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-2]"},
    }
    lines, rows = id_rows(example, 4)
    (tmp_path / "in.csv").write_text("\n".join(lines))
    output = LocalTransform(pipeline, TransformSettings.from_request(request)).transform_file(tmp_path / "in.csv")
    labels = expected_labels(example, rows)
    assert output.decode().splitlines() == [f"{100 + n},{label}" for n, (label, _) in enumerate(labels)]


# --- refusals and versions ----------------------------------------------------------------------


def test_every_container_it_cannot_emulate_is_named() -> None:
    archive = ARTIFACTS / "xgboost" / "model.tar.gz"
    with pytest.raises(UnsupportedContainerError) as refused:
        LocalPipeline([
            LocalContainerSpec(None, image="123456789012.dkr.ecr.eu-west-1.amazonaws.com/fraud:1.0"),
            LocalContainerSpec("pytorch", "2.1.0", archive),
            LocalContainerSpec("sklearn", "1.0-1", archive, dict(SKLEARN_SCRIPT)),
            LocalContainerSpec("xgboost", "1.7-1", archive, {"SAGEMAKER_PROGRAM": "serve.py"}),
            LocalContainerSpec("sklearn", "1.2-1", archive, {"SAGEMAKER_PROGRAM": "inference.py",
                                                             "SAGEMAKER_SUBMIT_DIRECTORY": "s3://code/src.tar.gz"}),
            LocalContainerSpec("xgboost", "1.7-1", None),
            LocalContainerSpec("xgboost", "1.7-1", archive),
        ])
    assert refused.value.reasons == [
        "container 1 (123456789012.dkr.ecr.eu-west-1.amazonaws.com/fraud:1.0): a custom image; only SageMaker's "
        "prebuilt scikit-learn and XGBoost images are emulated",
        "container 2 (pytorch 2.1.0): the pytorch framework is not emulated",
        "container 3 (scikit-learn 1.0-1): version 1.0-1 is not emulated (emulated: 1.2-1)",
        "container 4 (XGBoost 1.7-1): script mode (a user script in the XGBoost container) is not emulated",
        "container 5 (scikit-learn 1.2-1): SAGEMAKER_SUBMIT_DIRECTORY must be inside the model archive "
        "(/opt/ml/model/...), got 's3://code/src.tar.gz': code elsewhere cannot be loaded locally (nor by a "
        "network-isolated model)",
        "container 6 (XGBoost 1.7-1): no model.tar.gz",
    ]
    assert str(refused.value).startswith("cannot run this model locally: container 1 (")


def test_an_xgboost_model_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    with tarfile.open(ARTIFACTS / "xgboost" / "model.tar.gz") as archive:
        member = archive.extractfile("xgboost-model")
        assert member is not None
        model = json.loads(member.read())
    assert model["version"][:2] == [1, 7]
    model["version"] = [2, 1, 4]
    archive_path = make_archive(tmp_path / "model.tar.gz", {"xgboost-model": json.dumps(model).encode()})
    with pytest.raises(IncompatibleArtifactError, match=(
        r"container 1 \(XGBoost 1.7-1\): xgboost-model was saved by xgboost 2.1.4; the container runs xgboost "
        r"1.7.6, which cannot load models from newer releases: save it with xgboost 1.7 \(pip install "
        r"'cdk-sagemaker-inference\[local\]'\)"
    )):
        LocalPipeline([LocalContainerSpec("xgboost", "1.7-1", archive_path)])


def test_a_scikit_learn_pickle_from_another_release_is_refused(tmp_path: Path) -> None:
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit([[1.0], [3.0]])
    script = (
        b"import os, pickle\n\n"
        b"def model_fn(model_dir):\n    return pickle.load(open(os.path.join(model_dir, 'm.pkl'), 'rb'))\n"
    )
    archive = make_archive(tmp_path / "model.tar.gz", {"code/inference.py": script, "m.pkl": pickle.dumps(scaler)})
    import sklearn

    with pytest.raises(IncompatibleArtifactError, match=(
        rf"container 1 \(scikit-learn 1.2-1\): m.pkl was pickled by scikit-learn {sklearn.__version__}; "
        r"the container runs scikit-learn 1.2.1, which cannot load it reliably: refit and pickle it with 1.2.1"
    )):
        LocalPipeline([LocalContainerSpec("sklearn", "1.2-1", archive, dict(SKLEARN_SCRIPT))])


def test_a_script_without_model_fn_is_refused(tmp_path: Path) -> None:
    script = b"def predict_fn(data, model):\n    return data\n"
    archive = make_archive(tmp_path / "model.tar.gz", {"code/inference.py": script})
    with pytest.raises(LocalRunnerError, match=r"inference.py defines no model_fn \(the container has no default"):
        LocalPipeline([LocalContainerSpec("sklearn", "1.2-1", archive, dict(SKLEARN_SCRIPT))])
    with pytest.raises(LocalRunnerError, match=r"SAGEMAKER_PROGRAM=serve.py is not in the archive"):
        other_program = SKLEARN_SCRIPT | {"SAGEMAKER_PROGRAM": "serve.py"}
        LocalPipeline([LocalContainerSpec("sklearn", "1.2-1", archive, other_program)])


# --- models declared in a cloud assembly --------------------------------------------------------


def test_the_reference_app_pipeline_runs_from_its_cloud_assembly(
    reference_app: object, example: train.TrainedExample
) -> None:
    outdir = Path(reference_app.outdir)  # type: ignore[attr-defined]
    declared = find_model(outdir)
    assert (declared.stack, find_model(outdir, "inference-realtime/Model")) == ("inference-realtime", declared)
    assert find_model(outdir, "Model") == declared, "the batch stack's identical Model counts as the same one"
    assert [(c.framework, c.version) for c in declared.containers] == [
        ("sklearn", "1.2-1"), ("xgboost", "1.7-1"), ("sklearn", "1.2-1")
    ]
    assert [c.archive.read_bytes() for c in declared.containers if c.archive] == [
        (ARTIFACTS / step / "model.tar.gz").read_bytes() for step in ("preprocessing", "xgboost", "postprocessing")
    ]
    rows = example.x_test[:10]
    with LocalPipeline.from_cloud_assembly(outdir, model="inference-realtime/Model") as pipeline:
        predictor = LocalPredictor(pipeline, deserializer=JSONDeserializer())
        answer = predictor.predict([["" if v is None else v for v in row] for row in nan_as_none(rows)])
    assert [(p["label"], p["probability"]) for p in answer["predictions"]] == expected_labels(example, rows)


def write_assembly(directory: Path, containers: list[dict[str, object]]) -> Path:
    directory.mkdir()
    template = {"Resources": {"Model": {"Type": "AWS::SageMaker::Model", "Properties": {"Containers": containers},
                                        "Metadata": {"aws:cdk:path": "app/Custom/Resource"}}}}
    (directory / "app.template.json").write_text(json.dumps(template))
    manifest = {"artifacts": {"app": {"type": "aws:cloudformation:stack", "displayName": "app",
                                      "properties": {"templateFile": "app.template.json"}}}}
    (directory / "manifest.json").write_text(json.dumps(manifest))
    return directory


def test_a_cloud_assembly_model_it_cannot_run_is_refused_naming_each_container(tmp_path: Path) -> None:
    assembly = write_assembly(tmp_path / "cdk.out", [
        {"Image": {"Fn::Join": ["", [{"Ref": "AWS::AccountId"}, ".dkr.ecr.eu-west-1.amazonaws.com/fraud:1.0"]]}},
        {"Image": "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310",
         "ModelDataUrl": "s3://models/pytorch/model.tar.gz"},
    ])
    with pytest.raises(UnsupportedContainerError) as refused:
        LocalPipeline.from_cloud_assembly(assembly)
    assert refused.value.reasons == [
        "container 1 (${AWS::AccountId}.dkr.ecr.eu-west-1.amazonaws.com/fraud:1.0): a custom image; only "
        "SageMaker's prebuilt scikit-learn and XGBoost images are emulated",
        "container 2 (pytorch 2.1.0): the pytorch framework is not emulated",
    ]
    with pytest.raises(LocalRunnerError, match=r"no model 'Other' in .* \(models: app/Custom\)"):
        find_model(assembly, "Other")
    with pytest.raises(LocalRunnerError, match=r"is not a cloud assembly \(no manifest.json\): run `make synth` first"):
        find_model(tmp_path)


def test_a_declared_pipeline_model_runs_locally_as_it_synthesizes(example: train.TrainedExample) -> None:
    import aws_cdk as cdk
    from cdk_sagemaker_inference import InferencePipelineModel, Model, local_pipeline

    from stacks.example_pipeline import example_containers
    from tests.conftest import new_app

    stack = cdk.Stack(new_app(), "Local")
    model = InferencePipelineModel(stack, "Pipeline", containers=example_containers())
    imported = Model.from_model_name(stack, "Imported", "churn")
    rows = example.x_test[:8]
    with local_pipeline(model) as pipeline:
        assert pipeline.name == "Local/Pipeline"
        answer = LocalPredictor(pipeline, deserializer=JSONDeserializer()).predict(
            [["" if v is None else v for v in row] for row in nan_as_none(rows)]
        )
    assert [(p["label"], p["probability"]) for p in answer["predictions"]] == expected_labels(example, rows)
    with pytest.raises(LocalRunnerError, match=r"Local/Imported: only a model this app declares can run locally"):
        local_pipeline(imported)  # type: ignore[arg-type]


def test_a_container_release_pickle_needs_that_release_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The environment of a user without the [local] extra: scikit-learn 1.9.1, whatever this one has.
    installed = importlib.metadata.version
    monkeypatch.setattr(
        importlib.metadata, "version", lambda name: "1.9.1" if name == "scikit-learn" else installed(name)
    )
    # The state of an estimator pickled by scikit-learn 1.2.1 (only its version is read, nothing is unpickled).
    pickled = b"\x80\x04\x95\x30\x00\x00\x00\x00\x00\x00\x00\x8c\x10_sklearn_version\x94\x8c\x051.2.1\x94."
    script = b"def model_fn(model_dir):\n    return None\n"
    archive = make_archive(tmp_path / "model.tar.gz", {"code/inference.py": script, "model.joblib": pickled})
    with pytest.raises(IncompatibleArtifactError, match=(
        r"model.joblib holds scikit-learn 1.2.1 objects and this environment has scikit-learn 1.9.1: "
        r"pip install 'cdk-sagemaker-inference\[local\]'"
    )):
        LocalPipeline([LocalContainerSpec("sklearn", "1.2-1", archive, dict(SKLEARN_SCRIPT))])


@pytest.fixture(scope="module")
def declared_batch() -> tuple[object, Path]:
    """A BatchTransform of the example pipeline (CSV rows with an ID, joined to their labels), synthesized."""
    import aws_cdk as cdk
    from aws_cdk import aws_s3 as s3
    from cdk_sagemaker_inference import BatchTransform, InferencePipelineModel, TransformSource

    from stacks.example_pipeline import example_containers
    from tests.conftest import new_app

    app = new_app()
    stack = cdk.Stack(app, "Batch")
    bucket = s3.Bucket(stack, "Data", enforce_ssl=True)
    model = InferencePipelineModel(stack, "Model", containers=example_containers())
    transform = BatchTransform(
        stack, "Transform", model=model, source=TransformSource.s3_prefix(bucket, "in/"), output_bucket=bucket,
        output_prefix="out/", content_type=CSV, accept=CSV, split_type="Line", batch_strategy="MultiRecord",
        assemble_with="Line", input_filter="$[1:]", join_source="Input", output_filter="$[0,-2:]",
    )
    return transform, Path(app.synth().directory)


def test_a_declared_batch_transform_runs_locally_with_its_model_and_settings(
    declared_batch: tuple[object, Path], example: train.TrainedExample, tmp_path: Path
) -> None:
    from cdk_sagemaker_inference import local_transform
    from cdk_sagemaker_inference.runtime.cli import main

    construct, assembly = declared_batch
    lines, rows = id_rows(example, 6)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "rows.csv").write_text("\n".join(lines) + "\n")
    expected = "".join(f"{100 + n},{label},{p}\n" for n, (label, p) in enumerate(expected_labels(example, rows)))

    with LocalTransform.from_cloud_assembly(assembly, transform="Batch/Transform") as from_assembly:
        assert from_assembly.settings == construct.settings  # type: ignore[attr-defined]
        [written] = from_assembly.run(tmp_path / "in", tmp_path / "out")
    assert written.read_text() == expected
    with local_transform(construct) as from_construct:  # type: ignore[arg-type]
        assert from_construct.transform_file(tmp_path / "in" / "rows.csv").decode() == expected
    assert main(["local", "transform", "--cdk-out", str(assembly), "--transform", "Transform",
                 "--input", str(tmp_path / "in"), "--output", str(tmp_path / "cli")]) == 0
    assert (tmp_path / "cli" / "rows.csv.out").read_text() == expected
    with pytest.raises(LocalRunnerError, match=r"no batch transform 'Other' in .* \(batch transforms: Batch/Transf"):
        LocalTransform.from_cloud_assembly(assembly, transform="Other")
