"""``predict``: send stdin to an endpoint and print the answer."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from ..predictor import InvocationError, Predictor
from ..serializers import BytesDeserializer, BytesSerializer, ContentType, SerializationError
from .base import read_request_body, write_answer

if TYPE_CHECKING:
    from .base import Commands

ERRORS: tuple[type[Exception], ...] = (InvocationError, SerializationError)


def _positive(value: str) -> int:
    """A whole number of at least 1, for ``--max-attempts``."""
    if not (value.isascii() and value.isdigit() and int(value) >= 1):
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {value!r}")
    return int(value)


def register(commands: Commands) -> None:
    """Adds ``predict`` to the command line."""
    predict = commands.add_parser(
        "predict",
        help="send stdin to an endpoint and print the answer",
        description="Sends stdin as the request body and writes the response body to stdout.",
    )
    predict.add_argument("--endpoint", required=True, help="endpoint name")
    predict.add_argument("--content-type", required=True, help="ContentType of stdin, e.g. text/csv")
    predict.add_argument(
        "--accept", default=ContentType.ANY, help="Accept type. Default: */* (the container's default)"
    )
    predict.add_argument("--target-variant", help="production variant to call. Default: by weight")
    predict.add_argument(
        "--inference-component", help="inference component to call (InferenceComponentName). Default: none"
    )
    predict.add_argument("--inference-id", help="id recorded with captured data. Default: none")
    predict.add_argument(
        "--custom-attributes", help="CustomAttributes passed to the container. Default: none"
    )
    predict.add_argument(
        "--target-container-hostname",
        help="container of a Direct-mode inference pipeline to call (TargetContainerHostname). Default: none",
    )
    predict.add_argument(
        "--max-attempts", type=_positive, default=5, help="attempts while throttled, at least 1. Default: 5"
    )
    predict.set_defaults(handler=_predict)


def _predict(args: argparse.Namespace) -> None:
    body = read_request_body()
    predictor = Predictor(
        args.endpoint,
        serializer=BytesSerializer(args.content_type),
        deserializer=BytesDeserializer(args.accept),
        target_variant=args.target_variant,
        inference_component=args.inference_component,
        custom_attributes=args.custom_attributes,
        max_attempts=args.max_attempts,
    )
    answer: bytes = predictor.predict(
        body, inference_id=args.inference_id, target_container_hostname=args.target_container_hostname
    )
    write_answer(answer)
