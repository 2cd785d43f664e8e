"""The command line against moto: predict (stdin to stdout) and registry list/describe/approve/reject."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from cdk_sagemaker_inference.runtime.cli import main
from cdk_sagemaker_inference.runtime.predictor import MAX_PAYLOAD_BYTES
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sagemakerruntime.models import sagemakerruntime_backends

REGION = "us-east-1"
GROUP = "churn"


class Aws:
    """moto with an endpoint and a model package group; records every InvokeEndpoint request."""

    def __init__(self) -> None:
        self.sagemaker = boto3.client("sagemaker", region_name=REGION)
        self.sagemaker.create_model(
            ModelName="churn",
            ExecutionRoleArn=f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/sagemaker",
            PrimaryContainer={"Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/xgboost:1.7-1"},
        )
        self.sagemaker.create_endpoint_config(
            EndpointConfigName="churn-config",
            ProductionVariants=[
                {
                    "VariantName": "blue",
                    "ModelName": "churn",
                    "InitialInstanceCount": 1,
                    "InstanceType": "ml.m5.large",
                }
            ],
        )
        self.sagemaker.create_endpoint(EndpointName="churn", EndpointConfigName="churn-config")
        self.sagemaker.create_model_package_group(ModelPackageGroupName=GROUP)
        self.invocations: list[dict[str, Any]] = []
        # The CLI makes its clients from the default session: hooks on it reach them.
        boto3.DEFAULT_SESSION.events.register(
            "before-parameter-build.sagemaker-runtime.InvokeEndpoint",
            lambda params, **_: self.invocations.append(dict(params)),
        )

    def register(self, **extra: Any) -> None:
        self.sagemaker.create_model_package(
            ModelPackageGroupName=GROUP,
            InferenceSpecification={
                "Containers": [{"Image": "xgboost:1.7-1", "ModelDataUrl": "s3://models/churn.tar.gz"}],
                "SupportedContentTypes": ["text/csv"],
                "SupportedResponseMIMETypes": ["text/csv"],
            },
            **extra,
        )

    @staticmethod
    def answer(body: str, content_type: str = "text/csv") -> None:
        """Queues moto's next InvokeEndpoint answer: (body, content type, variant, custom attributes)."""
        sagemakerruntime_backends[DEFAULT_ACCOUNT_ID][REGION].results_queue.append(
            (body, content_type, "blue", "")
        )


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)  # a fresh default session, restored afterwards
    with mock_aws():
        boto3.setup_default_session(region_name=REGION)
        yield Aws()


def stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


def test_predict_sends_stdin_and_prints_the_answer(
    aws: Aws, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    aws.answer("0.12\n0.87")
    stdin(monkeypatch, b"0.3,12,1\n0.9,3,0\n")
    assert main(["predict", "--endpoint", "churn", "--content-type", "text/csv"]) == 0
    assert capsys.readouterr().out == "0.12\n0.87\n"
    (request,) = aws.invocations
    assert (request["Body"], request["ContentType"], request["Accept"]) == (
        b"0.3,12,1\n0.9,3,0\n",
        "text/csv",
        "*/*",
    )
    assert "TargetVariant" not in request


def test_predict_passes_accept_variant_and_inference_id(
    aws: Aws, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    aws.answer('{"scores": [0.5]}\n', "application/json")
    stdin(monkeypatch, b'{"instances": [[1, 2]]}')
    argv = ["predict", "--endpoint", "churn", "--content-type", "application/json"]
    argv += ["--accept", "application/json", "--target-variant", "blue", "--inference-id", "req-1"]
    argv += ["--inference-component", "classifier"]
    assert main(argv) == 0
    assert capsys.readouterr().out == '{"scores": [0.5]}\n'
    (request,) = aws.invocations
    assert (request["Accept"], request["TargetVariant"], request["InferenceId"]) == (
        "application/json",
        "blue",
        "req-1",
    )
    assert request["InferenceComponentName"] == "classifier"


def test_predict_calls_the_target_container_of_a_direct_pipeline(
    aws: Aws, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    aws.answer("0.5")
    stdin(monkeypatch, b"1,2")
    argv = ["predict", "--endpoint", "churn", "--content-type", "text/csv", "--target-container-hostname", "scorer"]
    assert main(argv) == 0
    (request,) = aws.invocations
    assert request["TargetContainerHostname"] == "scorer"


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_predict_max_attempts_below_1_is_a_usage_error(
    aws: Aws, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    stdin(monkeypatch, b"1,2")
    with pytest.raises(SystemExit) as exit_info:
        main(["predict", "--endpoint", "churn", "--content-type", "text/csv", "--max-attempts", value])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (
        f"cdk-sagemaker-inference predict: error: argument --max-attempts: "
        f"expected a whole number of at least 1, got '{value}'"
    )
    assert aws.invocations == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "no request body on stdin"),
        (b"x" * (MAX_PAYLOAD_BYTES + 1), "request body must be at most 6291456 bytes"),
    ],
)
def test_predict_errors_are_one_line_on_stderr(
    aws: Aws, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], body: bytes, message: str
) -> None:
    stdin(monkeypatch, body)
    assert main(["predict", "--endpoint", "churn", "--content-type", "text/csv"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("cdk-sagemaker-inference: error: ") and message in err
    assert err.count("\n") == 1
    assert aws.invocations == []


def test_predict_refuses_a_terminal_as_stdin(
    aws: Aws, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdin", type("Tty", (), {"isatty": lambda self: True})())
    assert main(["predict", "--endpoint", "churn", "--content-type", "text/csv"]) == 1
    assert "pipe the request body on stdin" in capsys.readouterr().err


@pytest.fixture
def no_region(monkeypatch: pytest.MonkeyPatch) -> None:
    """No region from the environment or a config file, and a fresh default session."""
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")


@pytest.mark.usefixtures("no_region")
def test_missing_region_is_one_line_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["registry", "list", GROUP]) == 1
    assert capsys.readouterr().err == "cdk-sagemaker-inference: error: You must specify a region.\n"


@pytest.mark.usefixtures("no_region")
def test_region_option_picks_the_region(capsys: pytest.CaptureFixture[str]) -> None:
    with mock_aws():
        boto3.client("sagemaker", region_name="eu-west-1").create_model_package_group(
            ModelPackageGroupName=GROUP
        )
        assert main(["--region", "eu-west-1", "registry", "list", GROUP]) == 0
    assert capsys.readouterr().out.startswith("VERSION")


def test_registry_list_prints_versions_newest_first(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    aws.register(ModelApprovalStatus="Approved", ModelPackageDescription="first")
    aws.register(ModelApprovalStatus="Rejected")
    aws.register()
    assert main(["registry", "list", GROUP]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["VERSION", "STATUS", "APPROVAL", "CREATED", "DESCRIPTION"]
    assert [line.split()[:3] for line in lines[1:]] == [
        ["3", "Completed", "PendingManualApproval"],
        ["2", "Completed", "Rejected"],
        ["1", "Completed", "Approved"],
    ]
    assert lines[3].endswith("first")


def test_registry_describe_prints_the_version(aws: Aws, capsys: pytest.CaptureFixture[str]) -> None:
    aws.register(
        ModelMetrics={
            "ModelQuality": {"Statistics": {"ContentType": "application/json", "S3Uri": "s3://r/q.json"}}
        },
        CustomerMetadataProperties={"auc": "0.91"},
    )
    assert main(["registry", "describe", GROUP, "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"churn/1  arn:aws:sagemaker:{REGION}:{DEFAULT_ACCOUNT_ID}:model-package/churn/1\n")
    for line in (
        "Approval:       PendingManualApproval",
        "Content types:  text/csv",
        "Container 1:    xgboost:1.7-1",
        "  model data:   s3://models/churn.tar.gz",
        "  ModelQuality.Statistics: s3://r/q.json",
        "  auc: 0.91",
    ):
        assert line in out.splitlines()


@pytest.mark.parametrize(("action", "status"), [("approve", "Approved"), ("reject", "Rejected")])
def test_registry_approve_and_reject(
    aws: Aws, capsys: pytest.CaptureFixture[str], action: str, status: str
) -> None:
    aws.register()
    assert main(["registry", action, GROUP, "1", "--reason", "AUC 0.91 on holdout"]) == 0
    assert capsys.readouterr().out == f"churn/1 is now {status}: AUC 0.91 on holdout\n"
    main(["registry", "describe", GROUP, "1"])
    assert f"Approval:       {status} (AUC 0.91 on holdout)" in capsys.readouterr().out.splitlines()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["registry", "list", "fraud"], "model package group fraud does not exist in us-east-1"),
        (
            ["registry", "describe", GROUP, "4"],
            "model package group churn has no version 4 (it has no versions yet)",
        ),
        (
            ["registry", "approve", GROUP, "1", "--reason", " "],
            "reason must be between 1 and 1024 characters",
        ),
    ],
)
def test_registry_errors_are_one_line_on_stderr(
    aws: Aws, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(argv) == 1
    out, err = capsys.readouterr()
    assert out == "" and message in err and err.count("\n") == 1


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["registry"],
        ["registry", "approve", GROUP, "1"],
        ["registry", "describe", GROUP, "one"],
        ["predict"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "usage: cdk-sagemaker-inference" in capsys.readouterr().err


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cdk_sagemaker_inference", "registry", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "usage: cdk-sagemaker-inference registry" in result.stdout
    for action in ("list", "describe", "approve", "reject"):
        assert action in result.stdout
