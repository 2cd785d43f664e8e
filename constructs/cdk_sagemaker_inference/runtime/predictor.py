"""Predictor: real-time inference against a deployed endpoint, like the SageMaker SDK's Predictor.

``predict`` serializes the data (``ContentType`` from the serializer), checks the 6 MB limit before
sending, as it checks the headers against InvokeEndpoint's limits, calls InvokeEndpoint (``Accept``
from the deserializer), retries throttling and SageMaker's own transient failures with bounded
exponential backoff, and deserializes the answer. Failures are typed: :class:`ModelError` (the
container answered with an error), :class:`EndpointNotFoundError` and
:class:`InvocationValidationError` (SageMaker or botocore refused the request, or it would be
refused), :class:`ThrottledError` (still throttled after the last attempt), and
:class:`InvocationError` for anything else, a broken connection or a timeout included. Only boto3
is needed, so it runs in Lambda too.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from .._names import NAME_PATTERN, NAME_RULE
from .serializers import CSVDeserializer, CSVSerializer, Deserializer, Serializer

#: InvokeEndpoint's body limit (the API's ``Body`` max length: 6 MB).
MAX_PAYLOAD_BYTES = 6 * 1024 * 1024
#: Error codes that mean "slow down, or try again": throttling, and SageMaker's own transient
#: failures (a model's error is ``ModelError``, never one of these).
RETRYABLE_ERROR_CODES = frozenset({"ThrottlingException", "ModelNotReadyException", "ServiceUnavailable",
                                   "InternalFailure"})
#: HTTP statuses retried whatever the error code: too many requests, and the gateway's transient
#: failures botocore's own retry modes retry too.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
#: How long the default client waits for an answer: longer than the 60 s a container has to answer,
#: so that SageMaker's own error arrives rather than a client timeout (the SDK waits 80 s too).
READ_TIMEOUT_SECONDS = 80
_ASCII = (r"[\x00-\x7f]*", "ASCII")
_PRINTABLE_ID = (r"\S[\x20-\x7e]*", "printable ASCII, starting with a non-space")
#: InvokeEndpoint's request headers: (longest, pattern, the rule in words), from its API model.
_HEADER_LIMITS: dict[str, tuple[int, str, str]] = {
    "EndpointName": (63, NAME_PATTERN, NAME_RULE),
    "ContentType": (1024, *_ASCII),
    "Accept": (1024, *_ASCII),
    "TargetVariant": (63, NAME_PATTERN, NAME_RULE),
    "InferenceComponentName": (63, NAME_PATTERN, NAME_RULE),
    "TargetContainerHostname": (63, NAME_PATTERN, NAME_RULE),
    "InferenceId": (64, *_PRINTABLE_ID),
    "CustomAttributes": (1024, *_ASCII),
}


class InvocationError(Exception):
    """An InvokeEndpoint call that did not produce a prediction."""


class ModelError(InvocationError):
    """The model container answered with an error (InvokeEndpoint's ``ModelError``, HTTP 424)."""

    def __init__(
        self, endpoint_name: str, message: str, status: int | None = None, log_stream_arn: str | None = None
    ) -> None:
        """:param status: the container's own HTTP status (``OriginalStatusCode``). Default: None.
        :param log_stream_arn: the CloudWatch log stream with the container's output. Default: None.
        """
        where = f"; container logs: {log_stream_arn}" if log_stream_arn else ""
        status_text = f" with status {status}" if status is not None else ""
        super().__init__(f"endpoint {endpoint_name}: the model failed{status_text}: {message}{where}")
        self.endpoint_name = endpoint_name
        self.status = status
        self.log_stream_arn = log_stream_arn


class InvocationValidationError(InvocationError, ValueError):
    """A request SageMaker or botocore refuses, or would refuse (the body's size and every header
    are checked before sending)."""


class EndpointNotFoundError(InvocationValidationError):
    """The endpoint does not exist in this account and region."""


class ThrottledError(InvocationError):
    """Still throttled, or SageMaker still failing transiently, after the last attempt."""


def backoff_delay(retry: int, *, base_seconds: float, cap_seconds: float, jitter: float) -> float:
    """Seconds to wait before retry number ``retry`` (0 for the first retry).

    Exponential (``base_seconds * 2**retry``), capped at ``cap_seconds``, with "equal jitter":
    between half and all of that, as ``jitter`` goes from 0 to 1, so clients do not retry in step.
    """
    ceiling = min(cap_seconds, base_seconds * 2.0**retry)
    return ceiling / 2 + ceiling / 2 * jitter


def _runtime_client() -> Any:
    # botocore's own retries are turned off: the Predictor's backoff is the one retry policy.
    # boto3 is imported when a client is made: a CDK app that imports this package for its
    # constructs does not pay for it on every synth.
    import boto3
    from botocore.config import Config

    return boto3.client("sagemaker-runtime", config=Config(read_timeout=READ_TIMEOUT_SECONDS,
                                                           retries={"total_max_attempts": 1}))


class Predictor:
    """Sends data to a SageMaker real-time endpoint and returns the model's predictions.

    Example::

        predictor = Predictor("churn", serializer=CSVSerializer(), deserializer=CSVDeserializer())
        predictor.predict([[0.3, 12, 1], [0.9, 3, 0]])  # -> [["0.12"], ["0.87"]] (cells as text, as the SDK)
    """

    def __init__(
        self,
        endpoint_name: str,
        *,
        serializer: Serializer | None = None,
        deserializer: Deserializer | None = None,
        client: Any = None,
        target_variant: str | None = None,
        inference_component: str | None = None,
        custom_attributes: str | None = None,
        max_attempts: int = 5,
        backoff_base_seconds: float = 0.2,
        backoff_cap_seconds: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        """
        :param endpoint_name: the endpoint to call.
        :param serializer: writes the request body and names its ``ContentType``.
            Default: ``CSVSerializer()``, the input of SageMaker's built-in algorithms.
        :param deserializer: reads the response and names the ``Accept`` type.
            Default: ``CSVDeserializer()``.
        :param client: a ``sagemaker-runtime`` boto3 client. Default: a new client for the default
            session's region, with botocore's retries turned off (this class retries) and an 80 s
            read timeout. A client you pass keeps its own retry configuration, which multiplies
            with ``max_attempts``.
        :param target_variant: the production variant to send every request to. Default: None
            (SageMaker splits traffic by the variants' weights).
        :param inference_component: the inference component to send every request to
            (``InferenceComponentName``), on an endpoint that hosts components. Default: None, an
            endpoint that serves a model itself.
        :param custom_attributes: the ``CustomAttributes`` header for every request, passed to the
            container as is. Default: None.
        :param max_attempts: attempts in all for one prediction while throttled or failing
            transiently (ThrottlingException, ModelNotReadyException, ServiceUnavailable,
            InternalFailure, or HTTP 429, 500, 502, 503 or 504; a model's error is not retried).
            Default: 5; at least 1.
        :param backoff_base_seconds: the wait before the first retry, doubled for each next one.
            Default: 0.2.
        :param backoff_cap_seconds: the longest wait between two attempts. Default: 5.0, so five
            attempts wait at most about 3 s in all and stay well within a Lambda's timeout.
        :param sleep: how to wait. Default: ``time.sleep``; tests pass a recorder.
        :param jitter: a number in [0, 1] that spreads each wait (see :func:`backoff_delay`).
            Default: ``random.random``.
        """
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be at least 1, got {max_attempts}")
        self.endpoint_name = endpoint_name
        self.serializer = serializer or CSVSerializer()
        self.deserializer = deserializer or CSVDeserializer()
        self.target_variant = target_variant
        self.inference_component = inference_component
        self.custom_attributes = custom_attributes
        self.max_attempts = max_attempts
        #: The sagemaker-runtime client the predictor calls.
        self.client = client if client is not None else _runtime_client()
        self._backoff_base_seconds = backoff_base_seconds
        self._backoff_cap_seconds = backoff_cap_seconds
        self._sleep = sleep
        self._jitter = jitter

    def predict(
        self,
        data: Any,
        *,
        target_variant: str | None = None,
        inference_component: str | None = None,
        inference_id: str | None = None,
        custom_attributes: str | None = None,
        target_container_hostname: str | None = None,
    ) -> Any:
        """The deserialized predictions for ``data``.

        :param target_variant: overrides the predictor's ``target_variant`` for this call.
            Default: None (the predictor's).
        :param inference_component: overrides the predictor's ``inference_component`` for this call.
            Default: None (the predictor's).
        :param inference_id: an id SageMaker records with captured data, to join it with ground
            truth later. Default: None.
        :param custom_attributes: overrides the predictor's ``custom_attributes`` for this call.
            Default: None (the predictor's).
        :param target_container_hostname: the container to send the request to
            (``TargetContainerHostname``), on an inference pipeline in Direct mode. Default: None,
            as a Serial pipeline or a single-container model needs.
        :raises SerializationError: the serializer cannot write ``data``, or the deserializer
            cannot read the answer.
        :raises InvocationValidationError: the body is empty or over 6 MB, a header breaks
            InvokeEndpoint's limits (e.g. ``custom_attributes`` over 1024 ASCII characters, a
            ``target_variant`` that is no SageMaker name), or SageMaker or botocore refused the request.
        :raises EndpointNotFoundError: there is no such endpoint.
        :raises ModelError: the container failed.
        :raises ThrottledError: still throttled after ``max_attempts`` attempts.
        :raises InvocationError: any other failure, such as a connection error or a read timeout.
        """
        body = self.serializer.serialize(data)
        if not body:
            raise InvocationValidationError(f"endpoint {self.endpoint_name}: the request body must not be empty")
        if len(body) > MAX_PAYLOAD_BYTES:
            raise InvocationValidationError(
                f"endpoint {self.endpoint_name}: the request body must be at most {MAX_PAYLOAD_BYTES} "
                f"bytes (6 MB), got {len(body)}; split the data or use batch transform"
            )
        request: dict[str, Any] = {
            "EndpointName": self.endpoint_name,
            "Body": body,
            "ContentType": self.serializer.content_type,
            "Accept": self.deserializer.accept,
        }
        optional = {
            "TargetVariant": target_variant or self.target_variant,
            "InferenceComponentName": inference_component or self.inference_component,
            "InferenceId": inference_id,
            "CustomAttributes": custom_attributes or self.custom_attributes,
            "TargetContainerHostname": target_container_hostname,
        }
        request.update({key: value for key, value in optional.items() if value is not None})
        self._check_headers(request)
        response = self._invoke(request)
        try:
            answer = response["Body"].read()
        except BotoCoreError as error:
            raise InvocationError(f"endpoint {self.endpoint_name}: reading the answer failed: {error}") from error
        return self.deserializer.deserialize(answer)

    def _check_headers(self, request: dict[str, Any]) -> None:
        """Refuses what InvokeEndpoint would refuse (or garble: a header is ASCII) before sending it."""
        for key, (longest, pattern, rule) in _HEADER_LIMITS.items():
            value = request.get(key)
            if value is not None and not (isinstance(value, str) and len(value) <= longest
                                          and re.fullmatch(pattern, value)):
                raise InvocationValidationError(f"endpoint {self.endpoint_name}: {key} must be at most {longest} "
                                                f"characters, {rule}, got {value!r:.80}")

    def _invoke(self, request: dict[str, Any]) -> dict[str, Any]:
        """InvokeEndpoint, retried while throttled; any other failure as a typed error."""
        throttled: ClientError | None = None
        for attempt in range(self.max_attempts):
            if throttled is not None:
                self._sleep(
                    backoff_delay(
                        attempt - 1,
                        base_seconds=self._backoff_base_seconds,
                        cap_seconds=self._backoff_cap_seconds,
                        jitter=self._jitter(),
                    )
                )
            try:
                response: dict[str, Any] = self.client.invoke_endpoint(**request)
                return response
            except ClientError as error:
                if not _is_retryable(error):
                    raise self._typed(error) from error
                throttled = error
            except ParamValidationError as error:
                raise InvocationValidationError(f"endpoint {self.endpoint_name}: request refused: {error}") from error
            except BotoCoreError as error:
                raise InvocationError(f"endpoint {self.endpoint_name}: {type(error).__name__}: {error}") from error
        assert throttled is not None  # max_attempts >= 1, and every attempt was throttled
        raise ThrottledError(
            f"endpoint {self.endpoint_name}: still throttled or unavailable after {self.max_attempts} attempts "
            f"({_code(throttled)}: {_message(throttled)}); send fewer requests at once or add instances"
        ) from throttled

    def _typed(self, error: ClientError) -> InvocationError:
        code, message = _code(error), _message(error)
        if code == "ModelError":
            # botocore puts the modeled fields of an error next to "Error" in the response.
            status = error.response.get("OriginalStatusCode")
            return ModelError(
                self.endpoint_name,
                error.response.get("OriginalMessage") or message,
                int(status) if status is not None else None,
                error.response.get("LogStreamArn"),
            )
        if code == "ValidationError" and "not found" in message.lower():
            return EndpointNotFoundError(f"endpoint {self.endpoint_name}: no such endpoint ({message})")
        if code == "ValidationError":
            return InvocationValidationError(f"endpoint {self.endpoint_name}: request refused: {message}")
        return InvocationError(f"endpoint {self.endpoint_name}: {code}: {message}")


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "Unknown"))


def _message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", ""))


def _is_retryable(error: ClientError) -> bool:
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return _code(error) in RETRYABLE_ERROR_CODES or status in RETRYABLE_STATUSES
