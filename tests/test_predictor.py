"""Predictor and its serializers: moto's InvokeEndpoint for the happy paths, a botocore Stubber
for the failures moto cannot produce (ModelError, throttling, an unknown endpoint)."""

from __future__ import annotations

import io
import math
import struct
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError, ParamValidationError, ReadTimeoutError, ResponseStreamingError
from botocore.response import StreamingBody
from botocore.stub import Stubber
from cdk_sagemaker_inference.runtime.predictor import (
    MAX_PAYLOAD_BYTES,
    EndpointNotFoundError,
    InvocationError,
    InvocationValidationError,
    ModelError,
    Predictor,
    ThrottledError,
    backoff_delay,
)
from cdk_sagemaker_inference.runtime.serializers import (
    BytesDeserializer,
    BytesSerializer,
    ContentType,
    CSVDeserializer,
    CSVSerializer,
    JSONDeserializer,
    JSONSerializer,
    ListDeserializer,
    ListSerializer,
    SerializationError,
    StringDeserializer,
)
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sagemakerruntime.models import sagemakerruntime_backends

REGION = "us-east-1"
ENDPOINT = "churn-endpoint"


# --- serializers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "body"),
    [
        ([1, 2.5, "a"], b"1,2.5,a"),
        ([[1, 2], [3, 4]], b"1,2\n3,4"),
        ((1, 2), b"1,2"),
    ],
)
def test_csv_serializer_writes_one_row_or_rows(data: Any, body: bytes) -> None:
    assert CSVSerializer().serialize(data) == body
    assert CSVSerializer().content_type == "text/csv"


def test_csv_serializer_quotes_cells_holding_cr_lf_quotes_or_commas() -> None:
    """A CR, LF, quote or comma inside a cell would split or shift the row at the container."""
    body = CSVSerializer().serialize([["a\rb", "c\nd", 'say "hi"', "x,y", "plain", 1]])
    assert body == b'"a\rb","c\nd","say ""hi""","x,y",plain,1'
    assert CSVDeserializer().deserialize(body) == [["a\rb", "c\nd", 'say "hi"', "x,y", "plain", "1"]]


@pytest.mark.parametrize(
    ("data", "body"),
    [
        ("1,2\n3,4", b"1,2\n3,4"),  # a ready CSV string is sent as it is
        (["1,2", "3,4"], b"1,2\n3,4"),  # a list of CSV lines
        (["cat", "dog"], b"cat\ndog"),  # a list of strings is lines, as in the SDK
        ([["cat", "dog"]], b"cat,dog"),
        (io.StringIO("5,6"), b"5,6"),  # a file-like object
    ],
)
def test_csv_serializer_accepts_a_csv_string_and_csv_lines_as_the_sdk_does(data: Any, body: bytes) -> None:
    assert CSVSerializer().serialize(data) == body


def test_csv_serializer_takes_numpy_arrays_and_rows() -> None:
    numpy = pytest.importorskip("numpy")
    assert CSVSerializer().serialize(numpy.array([[1, 2], [3, 4]])) == b"1,2\n3,4"
    rows = list(numpy.array([[0.3, 12.0, 1.0], [0.9, 3.0, 0.0]]))  # e.g. list(X_test[:2])
    assert CSVSerializer().serialize(rows) == b"0.3,12.0,1.0\n0.9,3.0,0.0"
    assert CSVSerializer().serialize([numpy.float32(0.5), numpy.int64(2)]) == b"0.5,2"  # one row of NumPy numbers


def test_csv_serializer_sends_bytes_as_they_are() -> None:
    assert CSVSerializer().serialize("é,1".encode("latin-1")) == b"\xe9,1"
    assert CSVSerializer().serialize(io.BytesIO(b"\xe9,2")) == b"\xe9,2"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "non-empty list of values or of rows"),
        ("", "must not be empty: it would be sent as an empty body"),
        ([[]], "a row must not be empty"),
        ([[1, 2], []], "a row must not be empty"),
        (["1,2", ""], "a row must not be empty"),
        (42, "non-empty list of values or of rows"),
        ([[1, 2], 3], "a row must be a list of values or a CSV line, got 3"),
    ],
)
def test_csv_serializer_refuses_empty_rows_and_what_is_not_rows(data: Any, message: str) -> None:
    with pytest.raises(SerializationError, match=message):
        CSVSerializer().serialize(data)


def test_predictor_refuses_an_empty_body_before_sending() -> None:
    predictor = Predictor(ENDPOINT, client=object(), serializer=BytesSerializer())
    with pytest.raises(InvocationValidationError, match="request body must not be empty"):
        predictor.predict(b"")


def test_json_serializer_round_trips_through_json_deserializer() -> None:
    data = {"instances": [[1.0, 2.0]], "configuration": {"k": 3}}
    body = JSONSerializer().serialize(data)
    assert JSONSerializer().content_type == JSONDeserializer().accept == "application/json"
    assert JSONDeserializer().deserialize(body) == data


def test_json_serializer_refuses_what_json_cannot_write() -> None:
    with pytest.raises(SerializationError, match="data must be JSON-serializable: .*set"):
        JSONSerializer().serialize({1, 2})
    with pytest.raises(SerializationError, match="data must be JSON-serializable: Object of type object is not"):
        JSONSerializer().serialize({"instances": [object()]})


def test_json_serializer_writes_numpy_values_and_sends_files_as_the_sdk_does() -> None:
    numpy = pytest.importorskip("numpy")
    assert JSONSerializer().serialize(numpy.array([[1, 2]])) == b"[[1,2]]"
    assert JSONSerializer().serialize({"instances": numpy.array([0.5]), "k": numpy.float32(0.25)}) == \
        b'{"instances":[0.5],"k":0.25}'
    assert JSONSerializer().serialize(io.StringIO('{"a": 1}')) == b'{"a": 1}'
    assert JSONSerializer().serialize(io.BytesIO(b"[1]")) == b"[1]"


@pytest.mark.parametrize("data", [[1, 2, 3], [[1.5, 2.0], [3.0, 4.0]], [[True], [False]], [[[7]]], [2**63 - 1]])
def test_list_serializer_writes_npy_that_numpy_reads(data: list[Any]) -> None:
    numpy = pytest.importorskip("numpy")
    body = ListSerializer().serialize(data)
    array = numpy.load(io.BytesIO(body))
    assert array.tolist() == data
    assert ListDeserializer().deserialize(body) == data
    assert ListSerializer().content_type == "application/x-npy"


NUMERIC_DTYPES = ["bool", "uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64",
                  "float16", "float32", "float64", ">i4", ">f8", ">u2"]


@pytest.mark.parametrize(("dtype", "message"), [
    ("complex64", "<c8"), ("object", "|O"), ("<U3", "<U3"), ("datetime64[s]", "<M8"),
])
def test_list_serializer_refuses_numpy_dtypes_it_cannot_read_back(dtype: str, message: str) -> None:
    numpy = pytest.importorskip("numpy")
    with pytest.raises(SerializationError, match=rf"^a NumPy array's dtype must be one of b1, i1, .*, got {message}"):
        ListSerializer().serialize(numpy.array([1], dtype=dtype))


def test_list_serializer_refuses_an_empty_numpy_array() -> None:
    numpy = pytest.importorskip("numpy")
    with pytest.raises(SerializationError, match=r"^data must not be an empty array, got shape \(2, 0\)$"):
        ListSerializer().serialize(numpy.zeros((2, 0), dtype="float32"))


@pytest.mark.parametrize("dtype", NUMERIC_DTYPES)
def test_numpy_arrays_of_every_numeric_dtype_are_written_and_read_as_np_save_writes_them(dtype: str) -> None:
    """The serializer keeps the dtype (a float32 tensor is not widened to float64, nor a uint8 image
    to 8x its size) and the deserializer reads every dtype."""
    numpy = pytest.importorskip("numpy")
    array = numpy.array([[1, 0, 1], [0, 1, 1]], dtype=dtype)
    buffer = io.BytesIO()
    numpy.save(buffer, array)
    assert ListDeserializer().deserialize(buffer.getvalue()) == array.tolist()
    assert ListSerializer().serialize(array) == buffer.getvalue()
    assert ListSerializer().serialize(numpy.asfortranarray(array.T)) == ListSerializer().serialize(array.T.copy())


def test_list_deserializer_keeps_extreme_values_exactly() -> None:
    numpy = pytest.importorskip("numpy")
    for array in (numpy.array([0, 2**64 - 1], dtype="uint64"), numpy.array([-(2**63), 2**63 - 1], dtype="int64"),
                  numpy.array([0.5, 65504.0], dtype="float16"), numpy.array([-128, 127], dtype="int8")):
        buffer = io.BytesIO()
        numpy.save(buffer, array)
        assert ListDeserializer().deserialize(buffer.getvalue()) == array.tolist()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ((1, 2), "data must be a list, got tuple"),
        ([[1, 2], [3]], "rectangular list"),
        ([1, "two"], "only numbers"),
        ([], r"must not be an empty array, got shape \(0,\)"),
        ([[], []], r"must not be an empty array, got shape \(2, 0\)"),
        ([1, 2**63], r"integers must be between -9223372036854775808 and 9223372036854775807 \(int64\), got "),
        ([-(2**63) - 1], "integers must be between"),
        ([10**400, 1.5], r"^integers among floats must fit float64 \(magnitude at most 1.7976931348623157e\+308\), "
                         r"got one of 1329 bits$"),
    ],
)
def test_list_serializer_refuses_what_npy_cannot_hold(data: Any, message: str) -> None:
    """Integers beyond int64 are refused, never wrapped; an empty array is refused as the SDK does."""
    with pytest.raises(SerializationError, match=message):
        ListSerializer().serialize(data)


def _npy(descr: str, fortran_order: bool = False, shape: str = "(1,)", shape_key: str = "shape") -> bytes:
    header = f"{{'descr': '{descr}', 'fortran_order': {fortran_order}, '{shape_key}': {shape}, }}".encode()
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + b"abc"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not an array", "not an .npy array"),
        (_npy("<U3"), "dtype one of b1, i1, u1, i2, u2, i4, u4, i8, u8, f2, f4, f8"),
        (_npy("<c16"), "dtype one of"),
        (_npy("<f8").replace(b"(1,)", b"(9,)"), r"shorter than its shape \(9,\)"),
        (_npy("<f8", fortran_order=True), "must be C-ordered"),
        (b"\x93NUMPY\x01\x00\x20\x00{'descr': '<f8', 'fortran",
         r"^response has no readable .npy header: SyntaxError: unterminated string literal "),
        (_npy("<f8", shape_key="dims"), r"^response has no readable .npy header: KeyError: 'shape'$"),
        (b"\x93NUMPY\x02\x00\x20\x00", r"^response has no readable .npy header: error: unpack_from requires"),
        (_npy("<f8", shape="(-1,)"), r"^response array shape must be whole numbers, got \(-1,\)$"),
        (_npy("<f8", shape="'ab'"), r"^response array shape must be whole numbers, got \('a', 'b'\)$"),
    ],
)
def test_list_deserializer_refuses_other_bodies(body: bytes, message: str) -> None:
    with pytest.raises(SerializationError, match=message):
        ListDeserializer().deserialize(body)


def test_bytes_serializer_sends_bytes_with_the_given_content_type() -> None:
    serializer = BytesSerializer("image/jpeg")
    assert serializer.content_type == "image/jpeg"
    assert serializer.serialize(bytearray(b"\xff\xd8")) == b"\xff\xd8"
    assert BytesSerializer().content_type == ContentType.OCTET_STREAM


def test_bytes_serializer_refuses_text() -> None:
    with pytest.raises(SerializationError, match="data must be bytes, got str"):
        BytesSerializer().serialize("text")


def test_csv_deserializer_loses_no_data() -> None:
    """Cells stay the strings the container wrote, as in the SageMaker SDK: no zeros dropped, no
    integer rounded to a float, no ``1_000`` or ``Infinity`` turned into a number."""
    body = b'007,9007199254740993,1_000,Infinity,nan,0.10,-0\n\n"two\nlines",cat\r\nlast,"x,y"\n'
    assert CSVDeserializer().deserialize(body) == [
        ["007", "9007199254740993", "1_000", "Infinity", "nan", "0.10", "-0"],
        [],  # an empty answer line is an empty row, as in the SDK: rows stay aligned with the records
        ["two\nlines", "cat"],
        ["last", "x,y"],
    ]


def test_csv_deserializer_encoding_and_accept_as_the_sdk() -> None:
    deserializer = CSVDeserializer(encoding="latin-1", accept="text/csv; charset=latin-1")
    assert deserializer.accept == "text/csv; charset=latin-1"
    assert deserializer.deserialize("é,1".encode("latin-1")) == [["é", "1"]]


def test_csv_deserializer_refuses_binary() -> None:
    with pytest.raises(SerializationError, match="not utf-8 CSV"):
        CSVDeserializer().deserialize(b"\xff\xfe")


def test_json_deserializer_refuses_invalid_json() -> None:
    with pytest.raises(SerializationError, match="response is not valid JSON.*b'<html>'"):
        JSONDeserializer().deserialize(b"<html>")


def test_bytes_and_string_deserializers() -> None:
    assert BytesDeserializer().deserialize(b"\x00\x01") == b"\x00\x01"
    assert BytesDeserializer().accept == "*/*"
    assert StringDeserializer().deserialize("héllo".encode()) == "héllo"
    assert StringDeserializer(accept="application/jsonlines").accept == "application/jsonlines"
    latin = StringDeserializer("latin-1", "text/plain; charset=latin-1")  # the SDK's order: encoding, accept
    assert (latin.deserialize(b"\xe9"), latin.accept) == ("é", "text/plain; charset=latin-1")
    with pytest.raises(SerializationError, match=r"^encoding must be a Python codec name such as utf-8, got "
                                                 r"'application/jsonlines' \(the Accept type is the second"):
        StringDeserializer("application/jsonlines")
    with pytest.raises(SerializationError, match="response is not utf-8 text"):
        StringDeserializer().deserialize(b"\xff")


# --- Predictor against moto ----------------------------------------------------------------------


class Endpoint:
    """A moto client for an InService endpoint, and the InvokeEndpoint parameters of every call."""

    def __init__(self) -> None:
        self.client = boto3.client("sagemaker-runtime", region_name=REGION)
        self.calls: list[dict[str, Any]] = []
        self.client.meta.events.register(
            "before-parameter-build.sagemaker-runtime.InvokeEndpoint",
            lambda params, **_: self.calls.append(dict(params)),
        )

    def predictor(self, **options: Any) -> Predictor:
        return Predictor(ENDPOINT, client=self.client, **options)


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    """An endpoint with two variants in moto sagemaker (moto's runtime answers from a queue)."""
    with mock_aws():
        sagemaker = boto3.client("sagemaker", region_name=REGION)
        sagemaker.create_model(
            ModelName="churn",
            ExecutionRoleArn=f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/sagemaker",
            PrimaryContainer={"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgboost:1.7-1"},
        )
        sagemaker.create_endpoint_config(
            EndpointConfigName="churn-config",
            ProductionVariants=[
                {
                    "VariantName": name,
                    "ModelName": "churn",
                    "InitialInstanceCount": 1,
                    "InstanceType": "ml.m5.large",
                }
                for name in ("blue", "green")
            ],
        )
        sagemaker.create_endpoint(EndpointName=ENDPOINT, EndpointConfigName="churn-config")
        yield Endpoint()


def queue_result(body: str, content_type: str = "text/csv", variant: str = "blue") -> None:
    """The next InvokeEndpoint answer moto gives: (body, content type, variant, custom attributes)."""
    backend = sagemakerruntime_backends[DEFAULT_ACCOUNT_ID][REGION]
    backend.results_queue.append((body, content_type, variant, ""))


def test_predict_sends_csv_and_reads_csv(endpoint: Endpoint) -> None:
    queue_result("0.12\n0.87")
    predictions = endpoint.predictor().predict([[0.3, 12, 1], [0.9, 3, 0]])
    assert predictions == [["0.12"], ["0.87"]]
    (call,) = endpoint.calls
    assert call["Body"] == b"0.3,12,1\n0.9,3,0"
    assert (call["ContentType"], call["Accept"]) == ("text/csv", "text/csv")
    assert "TargetVariant" not in call and "InferenceId" not in call


def test_predict_sends_json_and_reads_json(endpoint: Endpoint) -> None:
    queue_result('{"predictions": [0.5]}', "application/json")
    predictor = endpoint.predictor(serializer=JSONSerializer(), deserializer=JSONDeserializer())
    assert predictor.predict({"instances": [[1, 2]]}) == {"predictions": [0.5]}
    assert (endpoint.calls[0]["ContentType"], endpoint.calls[0]["Accept"]) == (
        "application/json",
        "application/json",
    )


def test_predict_routes_and_tags_requests(endpoint: Endpoint) -> None:
    queue_result("1")
    queue_result("2", variant="green")
    predictor = endpoint.predictor(target_variant="blue", custom_attributes="trace=1")
    predictor.predict([1])
    predictor.predict([2], target_variant="green", inference_id="req-42", custom_attributes="trace=2")
    first, second = endpoint.calls
    assert (first["TargetVariant"], first["CustomAttributes"]) == ("blue", "trace=1")
    assert (second["TargetVariant"], second["CustomAttributes"], second["InferenceId"]) == (
        "green",
        "trace=2",
        "req-42",
    )


def test_predict_targets_an_inference_component_in_its_header(endpoint: Endpoint) -> None:
    """InvokeEndpoint carries InferenceComponentName as the X-Amzn-SageMaker-Inference-Component header."""
    headers: list[dict[str, str]] = []
    endpoint.client.meta.events.register(
        "request-created.sagemaker-runtime.InvokeEndpoint",
        lambda request, **_: headers.append(dict(request.headers)),
    )
    queue_result("1")
    queue_result("2")
    predictor = endpoint.predictor(inference_component="classifier")
    predictor.predict([1])
    predictor.predict([2], inference_component="embedder")
    assert [call["InferenceComponentName"] for call in endpoint.calls] == ["classifier", "embedder"]
    assert [h["X-Amzn-SageMaker-Inference-Component"] for h in headers] == ["classifier", "embedder"]


def test_predict_sends_no_component_header_by_default(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_response("invoke_endpoint", ok(), expected_params={
        "EndpointName": ENDPOINT, "Body": b"1", "ContentType": "text/csv", "Accept": "text/csv",
    })
    assert Predictor(ENDPOINT, client=client).predict([1]) == [["0.5"]]


def test_predict_names_the_component_exactly(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_response("invoke_endpoint", ok(), expected_params={
        "EndpointName": ENDPOINT, "Body": b"1", "ContentType": "text/csv", "Accept": "text/csv",
        "InferenceComponentName": "classifier",
    })
    assert Predictor(ENDPOINT, client=client, inference_component="classifier").predict([1]) == [["0.5"]]


def test_predict_names_the_target_container_of_a_direct_pipeline_exactly(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_response("invoke_endpoint", ok(), expected_params={
        "EndpointName": ENDPOINT, "Body": b"1", "ContentType": "text/csv", "Accept": "text/csv",
        "TargetContainerHostname": "postprocessing",
    })
    stubber.add_response("invoke_endpoint", ok(), expected_params={
        "EndpointName": ENDPOINT, "Body": b"2", "ContentType": "text/csv", "Accept": "text/csv",
    })
    predictor = Predictor(ENDPOINT, client=client)
    assert predictor.predict([1], target_container_hostname="postprocessing") == [["0.5"]]
    assert predictor.predict([2]) == [["0.5"]]


def test_predict_refuses_a_body_over_6_mb_before_sending(endpoint: Endpoint) -> None:
    predictor = endpoint.predictor(serializer=BytesSerializer(), deserializer=BytesDeserializer())
    predictor.predict(b"x" * MAX_PAYLOAD_BYTES)  # the limit itself is fine
    with pytest.raises(
        InvocationValidationError, match=r"body must be at most 6291456 bytes \(6 MB\), got 6291457"
    ):
        predictor.predict(b"x" * (MAX_PAYLOAD_BYTES + 1))
    assert len(endpoint.calls) == 1


def test_default_client_leaves_retries_to_the_predictor_and_outwaits_the_container() -> None:
    config = Predictor(ENDPOINT).client.meta.config
    assert (config.retries["total_max_attempts"], config.read_timeout) == (1, 80)


@pytest.mark.parametrize(("call", "message"), [
    ({"custom_attributes": "x" * 1025}, r"CustomAttributes must be at most 1024 characters, ASCII, got 'xxx"),
    ({"custom_attributes": "trace=日本"}, r"CustomAttributes must be at most 1024 characters, ASCII, got 'trace=日本'"),
    ({"target_variant": "blue_v2"}, r"TargetVariant must be at most 63 characters, 1-63 letters, digits and hyphens"),
    ({"target_variant": "b" * 64}, r"TargetVariant must be at most 63 characters"),
    ({"inference_component": "-component"}, r"InferenceComponentName must be at most 63 characters, 1-63 letters"),
    ({"target_container_hostname": "pre.processing"}, r"TargetContainerHostname must be at most 63 characters"),
    ({"inference_id": ""}, r"InferenceId must be at most 64 characters, printable ASCII, starting with a non-space, "
                           r"got ''"),
    ({"inference_id": " req-1"}, r"InferenceId must be .*, got ' req-1'"),
    ({"inference_id": "r" * 65}, r"InferenceId must be at most 64 characters"),
    ({"custom_attributes": 5}, r"CustomAttributes must be at most 1024 characters, ASCII, got 5$"),
])
def test_predict_refuses_headers_invoke_endpoint_refuses_before_sending(
    stubbed: tuple[Any, Stubber], call: dict[str, Any], message: str
) -> None:
    client, _ = stubbed  # no response queued: a request sent would fail the stubber
    with pytest.raises(InvocationValidationError, match=rf"^endpoint {ENDPOINT}: {message}"):
        Predictor(ENDPOINT, client=client).predict([1], **call)


def test_predict_refuses_an_endpoint_name_sagemaker_cannot_have(stubbed: tuple[Any, Stubber]) -> None:
    client, _ = stubbed
    with pytest.raises(InvocationValidationError, match=r"^endpoint churn_endpoint: EndpointName must be at most 63 "
                                                        r"characters, 1-63 letters, digits and hyphens"):
        Predictor("churn_endpoint", client=client).predict([1])


def test_predict_sends_headers_at_their_limits(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    expected = {"EndpointName": "e" * 63, "Body": b"1", "ContentType": "text/csv", "Accept": "text/csv",
                "CustomAttributes": "a=1;" * 256, "InferenceId": "i" * 64, "TargetVariant": "v-" * 31 + "v"}
    stubber.add_response("invoke_endpoint", ok(), expected)
    Predictor("e" * 63, client=client).predict([1], custom_attributes="a=1;" * 256, inference_id="i" * 64,
                                                 target_variant="v-" * 31 + "v")


class Failing:
    """A client whose InvokeEndpoint, or the reading of its answer, raises ``error``."""

    def __init__(self, error: Exception, *, on_read: bool = False) -> None:
        self.error, self.on_read = error, on_read

    def invoke_endpoint(self, **_: Any) -> dict[str, Any]:
        if not self.on_read:
            raise self.error
        return {"Body": self}

    def read(self) -> bytes:
        raise self.error


@pytest.mark.parametrize(("client", "kind", "message"), [
    (Failing(ReadTimeoutError(endpoint_url="https://runtime")), InvocationError,
     r"ReadTimeoutError: Read timeout on endpoint URL: \"https://runtime\""),
    (Failing(EndpointConnectionError(endpoint_url="https://runtime")), InvocationError,
     r"EndpointConnectionError: Could not connect to the endpoint URL"),
    (Failing(ParamValidationError(report="Invalid type for parameter Body")), InvocationValidationError,
     r"request refused: Parameter validation failed:\nInvalid type for parameter Body"),
    (Failing(ResponseStreamingError(error="connection reset"), on_read=True), InvocationError,
     r"reading the answer failed: An error occurred while reading from response stream: connection reset"),
], ids=["read timeout", "no connection", "botocore refused", "answer cut off"])
def test_botocore_failures_are_typed(client: Failing, kind: type[InvocationError], message: str) -> None:
    sleep = Recorder()
    with pytest.raises(kind, match=rf"^endpoint {ENDPOINT}: {message}"):
        Predictor(ENDPOINT, client=client, sleep=sleep).predict([1])
    assert sleep.waits == []


def test_a_model_error_needs_only_the_endpoint_and_message() -> None:
    error = ModelError(ENDPOINT, "boom")
    assert (str(error), error.status, error.log_stream_arn) == (f"endpoint {ENDPOINT}: the model failed: boom", None,
                                                                None)


# --- Predictor against a stubbed client: moto cannot produce these errors ----------------------


class Recorder:
    """A ``sleep`` that records how long it was asked to wait."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    """A sagemaker-runtime client whose InvokeEndpoint answers are stubbed (moto has no error mode)."""
    client = boto3.client("sagemaker-runtime", region_name=REGION)
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def ok(body: bytes = b"0.5") -> dict[str, Any]:
    return {"Body": StreamingBody(io.BytesIO(body), len(body)), "ContentType": "text/csv"}


def test_model_error_carries_status_message_and_log_stream(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    log_stream = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/churn"
    stubber.add_client_error(
        "invoke_endpoint",
        service_error_code="ModelError",
        service_message="Received client error (400) from primary",
        http_status_code=424,
        modeled_fields={
            "OriginalStatusCode": 400,
            "OriginalMessage": "could not convert 'abc'",
            "LogStreamArn": log_stream,
        },
    )
    with pytest.raises(
        ModelError,
        match=r"the model failed with status 400: could not convert 'abc'; container logs: arn:aws:logs",
    ) as caught:
        Predictor(ENDPOINT, client=client).predict([["abc"]])
    assert (caught.value.status, caught.value.log_stream_arn) == (400, log_stream)


def test_model_error_without_details_uses_the_service_message(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_client_error("invoke_endpoint", "ModelError", "container crashed", 424)
    with pytest.raises(ModelError, match=r"the model failed: container crashed$") as caught:
        Predictor(ENDPOINT, client=client).predict([1])
    assert (caught.value.status, caught.value.log_stream_arn) == (None, None)


def test_unknown_endpoint_is_endpoint_not_found(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_client_error(
        "invoke_endpoint", "ValidationError", "Endpoint nope of account 123456789012 not found.", 400
    )
    with pytest.raises(EndpointNotFoundError, match="endpoint nope: no such endpoint"):
        Predictor("nope", client=client).predict([1])


def test_other_validation_errors_are_invocation_validation_errors(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_client_error("invoke_endpoint", "ValidationError", "Inference id is invalid", 400)
    with pytest.raises(InvocationValidationError, match="request refused: Inference id is invalid") as caught:
        Predictor(ENDPOINT, client=client).predict([1], inference_id="bad")
    assert not isinstance(caught.value, EndpointNotFoundError)


def test_other_failures_are_not_retried(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_client_error("invoke_endpoint", "InternalDependencyException", "boom", 530)
    sleep = Recorder()
    with pytest.raises(InvocationError, match="InternalDependencyException: boom"):
        Predictor(ENDPOINT, client=client, sleep=sleep).predict([1])
    assert sleep.waits == []


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ThrottlingException", 400),
        ("ServiceUnavailable", 503),
        ("ModelNotReadyException", 429),
        ("TooManyRequests", 429),
        ("InternalFailure", 500),
        ("BadGateway", 502),
        ("GatewayTimeout", 504),
    ],
)
def test_throttling_is_retried_with_exponential_backoff(
    stubbed: tuple[Any, Stubber], code: str, status: int
) -> None:
    client, stubber = stubbed
    stubber.add_client_error("invoke_endpoint", code, "slow down", status)
    stubber.add_client_error("invoke_endpoint", code, "slow down", status)
    stubber.add_response("invoke_endpoint", ok(b"0.5"))
    sleep = Recorder()
    predictor = Predictor(ENDPOINT, client=client, sleep=sleep, jitter=lambda: 1.0)
    assert predictor.predict([1]) == [["0.5"]]
    assert sleep.waits == [0.2, 0.4]


def test_throttling_gives_up_after_max_attempts(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    for _ in range(3):
        stubber.add_client_error("invoke_endpoint", "ThrottlingException", "Rate exceeded", 400)
    sleep = Recorder()
    predictor = Predictor(ENDPOINT, client=client, max_attempts=3, sleep=sleep, jitter=lambda: 0.0)
    with pytest.raises(
        ThrottledError, match=r"still throttled or unavailable after 3 attempts \(ThrottlingException: Rate exceeded\)"
    ):
        predictor.predict([1])
    assert sleep.waits == [0.1, 0.2]


def test_backoff_is_capped_and_jittered() -> None:
    assert backoff_delay(0, base_seconds=0.2, cap_seconds=5.0, jitter=1.0) == 0.2
    assert backoff_delay(10, base_seconds=0.2, cap_seconds=5.0, jitter=1.0) == 5.0
    assert backoff_delay(10, base_seconds=0.2, cap_seconds=5.0, jitter=0.0) == 2.5
    assert math.isclose(backoff_delay(2, base_seconds=0.2, cap_seconds=5.0, jitter=0.5), 0.6)


def test_max_attempts_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_attempts must be at least 1, got 0"):
        Predictor(ENDPOINT, client=object(), max_attempts=0)
