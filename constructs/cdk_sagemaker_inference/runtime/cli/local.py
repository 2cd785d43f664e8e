"""The ``local`` command group: run a model's containers on this machine before deploying it.

::

    cdk-sagemaker-inference local predict --content-type text/csv --accept application/json < rows.csv
    cdk-sagemaker-inference local transform --transform inference-batch/Transform --input data/ --output out/
    cdk-sagemaker-inference local transform --input data/ --output out/ --content-type text/csv \\
        --split-type Line --assemble-with Line --join-source Input --output-filter '$[0,-2:]'

The model is the one ``make synth`` wrote to ``cdk.out`` (``--model`` picks one of several; a
``--transform`` brings its own model and job settings), or the archives given with
``--container FRAMEWORK:VERSION=ARCHIVE`` in order. Requests and answers go
through the Predictor's serializers, as ``predict`` against an endpoint.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .base import CommandLineError, read_request_body, write_answer

if TYPE_CHECKING:
    from ..local.pipeline import LocalPipeline
    from .base import Commands


class LocalCommandError(Exception):
    """What the local runner refused or what failed, as the command reports it.

    The runner (numpy, the containers) is imported only when a ``local`` command runs, so the
    other commands start without it; its errors are re-raised as this one.
    """


#: What this group reports as one line on stderr (exit status 1) rather than a traceback.
ERRORS: tuple[type[Exception], ...] = (LocalCommandError,)


def _reported(command: Callable[[argparse.Namespace], None]) -> Callable[[argparse.Namespace], None]:
    def run(args: argparse.Namespace) -> None:
        from ..local.errors import LocalRunnerError

        try:
            command(args)
        except LocalRunnerError as error:
            raise LocalCommandError(str(error)) from error

    return run


def _container(value: str) -> tuple[str, str, Path]:
    framework_version, separator, archive = value.partition("=")
    framework, colon, version = framework_version.partition(":")
    if not (separator and colon and framework and version and archive):
        raise argparse.ArgumentTypeError(
            f"expected FRAMEWORK:VERSION=ARCHIVE, e.g. xgboost:1.7-1=model.tar.gz, got {value!r}"
        )
    return framework, version, Path(archive)


def _environment(value: str) -> tuple[int, str, str]:
    index, colon, assignment = value.partition(":")
    key, equals, setting = assignment.partition("=")
    if not (colon and equals and index.isdigit() and key):
        raise argparse.ArgumentTypeError(f"expected N:KEY=VALUE (N counts containers from 1), got {value!r}")
    return int(index), key, setting


def _pipeline(args: argparse.Namespace) -> LocalPipeline:
    from ..local.errors import LocalRunnerError
    from ..local.frameworks import SKLEARN, LocalContainerSpec
    from ..local.pipeline import LocalPipeline

    if not args.container:
        if args.env:
            raise LocalRunnerError("--env applies to --container archives; a synthesized model has its own")
        return LocalPipeline.from_cloud_assembly(args.cdk_out, model=args.model)
    environments: list[dict[str, str]] = [{} for _ in args.container]
    # An archive given by path runs as FrameworkEnvironment.sklearn declares a script inside it.
    for position, (framework, _, _) in enumerate(args.container):
        if framework == SKLEARN:
            environments[position].update(
                {"SAGEMAKER_PROGRAM": "inference.py", "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code"}
            )
    for index, key, value in args.env:
        if not 1 <= index <= len(args.container):
            raise LocalRunnerError(f"--env {index}:{key}: there are {len(args.container)} containers")
        environments[index - 1][key] = value
    specs = [
        LocalContainerSpec(framework, version, archive, environment, image=f"{framework}:{version}")
        for (framework, version, archive), environment in zip(args.container, environments, strict=True)
    ]
    return LocalPipeline(specs, name="the given archives")


def _predict(args: argparse.Namespace) -> None:
    from ..local.pipeline import LocalPredictor
    from ..serializers import BytesDeserializer, BytesSerializer

    body = read_request_body()
    with _pipeline(args) as pipeline:
        predictor = LocalPredictor(
            pipeline, serializer=BytesSerializer(args.content_type), deserializer=BytesDeserializer(args.accept)
        )
        answer: bytes = predictor.predict(body)
    write_answer(answer)


#: The ``local transform`` options that set a TransformSettings field of the same name.
_SETTINGS = ("content_type", "accept", "split_type", "batch_strategy", "max_payload_in_mb", "assemble_with",
             "input_filter", "output_filter", "join_source")


def _transform(args: argparse.Namespace) -> None:
    from ..local.cloud_assembly import find_transform
    from ..local.pipeline import LocalPipeline
    from ..local.transform import LocalTransform
    from ..transform_settings import TransformSettings, TransformSettingsError

    declared = None
    request: dict[str, Any] = {}
    if args.transform is not None:
        if args.job is not None or args.container or args.model or args.env:
            raise CommandLineError(
                "--transform brings its model and settings: no --job, --model, --container or --env"
            )
        declared = find_transform(args.cdk_out, args.transform)
        request = declared.request
    elif args.job is not None:
        try:
            request = json.loads(args.job.read_text("utf-8"))
        except (OSError, ValueError) as error:
            raise CommandLineError(f"--job {args.job}: not a readable JSON request: {error}") from None
    given = {name: getattr(args, name) for name in _SETTINGS if getattr(args, name) is not None}
    try:
        # Checked with the options in: they may complete the job's settings (an Accept to join, say).
        settings = TransformSettings.from_request(request, **given)
    except TransformSettingsError as error:
        raise CommandLineError(str(error)) from None
    if not args.input.exists():
        raise CommandLineError(f"no input at {args.input}")
    model = LocalPipeline(declared.model.containers, name=declared.model.path) if declared else _pipeline(args)
    with model as pipeline:
        written = LocalTransform(pipeline, settings).run(args.input, args.output)
    for path in written:
        print(path)


def _model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cdk-out", type=Path, default=Path("cdk.out"),
                        help="the synthesized cloud assembly. Default: cdk.out (make synth writes it)")
    parser.add_argument("--model", help="construct path of the model, e.g. inference-realtime/Model. "
                                        "Default: the assembly's only model")
    parser.add_argument("--container", type=_container, action="append", default=[],
                        metavar="FRAMEWORK:VERSION=ARCHIVE",
                        help="run these archives instead, in order (repeat), e.g. sklearn:1.2-1=pre.tar.gz; a "
                             "scikit-learn archive serves code/inference.py")
    parser.add_argument("--env", type=_environment, action="append", default=[], metavar="N:KEY=VALUE",
                        help="an environment variable of container N of --container (repeat)")


def register(commands: Commands) -> None:
    """Adds ``local predict`` and ``local transform`` to the CLI's ``commands`` subparsers."""
    local = commands.add_parser("local", help="run a model's containers on this machine (no Docker, no AWS)")
    actions = local.add_subparsers(dest="action", required=True, metavar="ACTION")

    predict = actions.add_parser("predict", help="send stdin through the model and print the answer",
                                 description="Runs the model's containers in order (Serial mode) on stdin.")
    _model_options(predict)
    predict.add_argument("--content-type", required=True, help="ContentType of stdin, e.g. text/csv")
    predict.add_argument("--accept", default="*/*", help="Accept type. Default: */* (the last container's default)")
    predict.set_defaults(handler=_reported(_predict))

    transform = actions.add_parser("transform", help="a batch transform over a file or folder",
                                   description="Writes <input>.out for each input file, as a transform job does.")
    _model_options(transform)
    transform.add_argument("--input", type=Path, required=True, help="a file, or a folder of files")
    transform.add_argument("--output", type=Path, required=True, help="the folder for the .out files")
    transform.add_argument("--transform", metavar="PATH",
                           help="a BatchTransform of the cloud assembly, e.g. inference-batch/Transform: its model and "
                                "job settings (the options below override them). Default: none")
    transform.add_argument("--job", type=Path, metavar="JSON",
                           help="a CreateTransformJob request or DescribeTransformJob answer whose settings to "
                                "use (the options below override them). Default: none")
    transform.add_argument("--content-type", help="ContentType. Default: none (the container's default)")
    transform.add_argument("--accept", help="Accept. Default: the last container's default")
    transform.add_argument("--split-type", choices=["None", "Line"], help="Default: None")
    transform.add_argument("--batch-strategy", choices=["SingleRecord", "MultiRecord"], help="Default: MultiRecord")
    transform.add_argument("--max-payload-in-mb", type=int, help="MaxPayloadInMB, 0-100 (0: no limit). Default: 6")
    transform.add_argument("--assemble-with", choices=["None", "Line"], help="Default: None")
    transform.add_argument("--input-filter", help="InputFilter JSONPath. Default: $")
    transform.add_argument("--output-filter", help="OutputFilter JSONPath. Default: $")
    transform.add_argument("--join-source", choices=["None", "Input"], help="Default: None")
    transform.set_defaults(handler=_reported(_transform))
