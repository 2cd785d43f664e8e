"""``local predict`` / ``local transform``: the README's quick start, model by path, one-line errors."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from cdk_sagemaker_inference.runtime.cli import main
from cdk_sagemaker_inference.runtime.local import EMULATED

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "examples" / "artifacts"
QUICK_START_SECTION = re.search(r"## Quick start.*?\n## ", (REPO / "README.md").read_text(), re.DOTALL)
assert QUICK_START_SECTION is not None
#: The quick start's commands and what it shows they print: ``local predict``, then ``local transform``.
QUICK_START = list(
    re.finditer(r"```console\n\$ (?P<command>.*?)\n(?P<output>.*?)```", QUICK_START_SECTION[0], re.DOTALL)
)
EXAMPLE_CONTAINERS = [
    "--container", f"sklearn:1.2-1={ARTIFACTS / 'preprocessing' / 'model.tar.gz'}",
    "--container", f"xgboost:1.7-1={ARTIFACTS / 'xgboost' / 'model.tar.gz'}",
    "--container", f"sklearn:1.2-1={ARTIFACTS / 'postprocessing' / 'model.tar.gz'}",
    "--env", "1:SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT=text/csv",
]


def test_the_readme_quick_start_commands_print_what_the_readme_shows(reference_app: Any, tmp_path: Path) -> None:
    """The exact commands, run by a shell in a checkout after `make synth` (.venv, examples, cdk.out)."""
    assert [block["command"].split()[1:3] for block in QUICK_START] == [["local", "predict"], ["local", "transform"]]
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parent.parent)
    (tmp_path / "examples").symlink_to(REPO / "examples")
    (tmp_path / "cdk.out").symlink_to(reference_app.outdir)
    for block in QUICK_START:
        done = subprocess.run(
            ["bash", "-c", block["command"]], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
        )
        assert (done.returncode, done.stderr) == (0, "")
        assert done.stdout == block["output"]
    # The batch job's output: each sample row, then the label and probability the models give it.
    from examples import train
    from tests.test_local_runner import expected_labels

    rows = (REPO / "examples" / "batch" / "input.csv").read_text().splitlines()
    features = np.array([[float(v) if v else np.nan for v in row.split(",")] for row in rows])
    labels = expected_labels(train.train(), features)
    expected = [f"{row},{label},{p}" for row, (label, p) in zip(rows, labels, strict=True)]
    assert (tmp_path / "batch-out" / "input.csv.out").read_text().splitlines() == expected


def run(argv: list[str], stdin: bytes, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    return main(argv)


def test_local_predict_runs_archives_given_by_path(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    row = (REPO / "examples" / "request.csv").read_bytes()
    status = run(["local", "predict", *EXAMPLE_CONTAINERS, "--content-type", "text/csv", "--accept", "text/csv"],
                 row, capsys, monkeypatch)
    assert (status, capsys.readouterr().out) == (0, "malignant,0.9978\nbenign,0.9972\n")


def test_local_transform_writes_joined_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = (REPO / "examples" / "request.csv").read_text().splitlines()
    (tmp_path / "in.csv").write_text("".join(f"id{n},{row}\n" for n, row in enumerate(rows)))
    status = run(["local", "transform", *EXAMPLE_CONTAINERS, "--input", str(tmp_path / "in.csv"),
                  "--output", str(tmp_path / "out"), "--content-type", "text/csv", "--split-type", "Line",
                  "--accept", "text/csv",
                  "--assemble-with", "Line", "--input-filter", "$[1:]", "--join-source", "Input",
                  "--output-filter", "$[0,-2:]"], b"", capsys, monkeypatch)
    assert (status, capsys.readouterr().out) == (0, f"{tmp_path / 'out' / 'in.csv.out'}\n")
    assert (tmp_path / "out" / "in.csv.out").read_text() == "id0,malignant,0.9978\nid1,benign,0.9972\n"


CSV_LINES = ({"ContentType": "text/csv", "SplitType": "Line"}, {"Accept": "text/csv", "AssembleWith": "Line"})


@pytest.mark.parametrize(
    ("job", "options"),
    [
        # The options override the job file's.
        ({"TransformInput": CSV_LINES[0], "TransformOutput": CSV_LINES[1],
          "DataProcessing": {"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-1]"}},
         ["--output-filter", "$[0,-2]"]),
        # The job joins CSV records but names no Accept nor AssembleWith: the options complete it
        # before its settings are checked.
        ({"TransformInput": CSV_LINES[0],
          "DataProcessing": {"InputFilter": "$[1:]", "JoinSource": "Input", "OutputFilter": "$[0,-2]"}},
         ["--accept", "text/csv", "--assemble-with", "Line"]),
    ],
)
def test_local_transform_takes_a_job_request_and_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, job: dict[str, Any],
    options: list[str],
) -> None:
    rows = (REPO / "examples" / "request.csv").read_text().splitlines()
    (tmp_path / "in.csv").write_text("".join(f"id{n},{row}\n" for n, row in enumerate(rows)))
    (tmp_path / "job.json").write_text(json.dumps(job))
    status = run(["local", "transform", *EXAMPLE_CONTAINERS, "--job", str(tmp_path / "job.json"), *options,
                  "--input", str(tmp_path / "in.csv"), "--output", str(tmp_path / "out")], b"", capsys, monkeypatch)
    assert (status, capsys.readouterr().err) == (0, "")
    assert (tmp_path / "out" / "in.csv.out").read_text() == "id0,malignant\nid1,benign\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["local", "predict", "--container", "pytorch:2.1.0=model.tar.gz", "--content-type", "text/csv"],
         "cannot run this model locally: container 1 (pytorch 2.1.0): the pytorch framework is not emulated"),
        (["local", "predict", "--cdk-out", "nowhere", "--content-type", "text/csv"],
         "nowhere is not a cloud assembly (no manifest.json): run `make synth` first"),
        (["local", "predict", *EXAMPLE_CONTAINERS, "--content-type", "application/json"],
         "container 1 (scikit-learn 1.2-1) answered 500: input_fn: ValueError: unsupported content type"),
        (["local", "predict", "--env", "1:A=b", "--content-type", "text/csv"],
         "--env applies to --container archives"),
        (["local", "transform", "--transform", "Transform", "--env", "1:A=b", "--input", "x", "--output", "y"],
         "--transform brings its model and settings: no --job, --model, --container or --env\n"),
        (["local", "transform", *EXAMPLE_CONTAINERS, "--input", "x", "--output", "y", "--max-payload-in-mb", "101"],
         "TransformSettings: max_payload_in_mb must be a whole number between 0 and 100, got 101"),
        (["local", "transform", *EXAMPLE_CONTAINERS, "--input", "x", "--output", "y", "--split-type", "Line",
          "--join-source", "Input", "--content-type", "text/csv", "--accept", "application/json",
          "--assemble-with", "Line"],
         "no input at x"),
        (["local", "transform", *EXAMPLE_CONTAINERS, "--input", "x", "--output", "y", "--split-type", "Line",
          "--join-source", "Input", "--content-type", "text/csv", "--accept", "text/csv"],
         "TransformSettings: assemble_with must be Line to filter or join text/csv records, got None"),
    ],
)
def test_local_errors_are_one_line_with_status_1(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(argv, b"1,2\n", capsys, monkeypatch) == 1
    error = capsys.readouterr().err
    assert error.startswith(f"cdk-sagemaker-inference: error: {message}") and error.count("\n") == 1


@pytest.mark.parametrize(("job", "message"), [
    ("[]", r"TransformSettings: request must be an object \(a CreateTransformJob request or a DescribeTransformJob "
           r"answer\), got \[\]"),
    ('{"TransformInput": {"ContentType": 5}}', r"TransformSettings: content_type must be a string of at most 256 "
                                               r"characters, got 5"),
    ('{"DataProcessing": null}', r"TransformSettings: DataProcessing must be an object, got None"),
])
def test_a_job_file_of_another_shape_is_one_line_with_status_1(
    job: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "job.json").write_text(job)
    (tmp_path / "in.csv").write_text("1,2\n")
    argv = ["local", "transform", *EXAMPLE_CONTAINERS, "--job", str(tmp_path / "job.json"),
            "--input", str(tmp_path / "in.csv"), "--output", str(tmp_path / "out")]
    assert run(argv, b"", capsys, monkeypatch) == 1
    assert re.fullmatch(rf"cdk-sagemaker-inference: error: {message}\n", capsys.readouterr().err)


def test_an_output_that_is_a_file_is_one_line_with_status_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "in.csv").write_bytes((REPO / "examples" / "request.csv").read_bytes())
    (tmp_path / "taken").write_text("not a folder")
    status = run(["local", "transform", *EXAMPLE_CONTAINERS, "--content-type", "text/csv", "--input",
                  str(tmp_path / "in.csv"), "--output", str(tmp_path / "taken")], b"", capsys, monkeypatch)
    assert status == 1
    assert capsys.readouterr().err == (
        f"cdk-sagemaker-inference: error: cannot write {tmp_path / 'taken' / 'in.csv.out'}: [Errno 17] File exists: "
        f"'{tmp_path / 'taken'}'\n"
    )


@pytest.mark.parametrize("container", ["xgboost=model.tar.gz", "xgboost:1.7-1", ":1.7-1=m.tar.gz"])
def test_a_malformed_container_option_is_a_usage_error(container: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["local", "predict", "--container", container, "--content-type", "text/csv"])
    assert exited.value.code == 2
    assert "expected FRAMEWORK:VERSION=ARCHIVE" in capsys.readouterr().err


def test_the_local_extra_pins_the_versions_the_runner_emulates() -> None:
    extra = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]["local"]
    assert sorted(f"{library}=={version}" for library, version in EMULATED.values()) == sorted(
        pin for pin in extra if not pin.startswith("numpy")
    )


def test_local_predict_runs_without_the_cdk() -> None:
    """The runner is part of the runtime layer: aws-cdk-lib, jsii and cdk-nag never load."""
    from tests.test_runtime import BLOCK_CDK

    script = BLOCK_CDK + (
        "import sys\n"
        "from cdk_sagemaker_inference.runtime.cli import main\n"
        f"sys.exit(main(['local', 'predict', *{EXAMPLE_CONTAINERS!r}, '--content-type', 'text/csv']))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], input=(REPO / "examples" / "request.csv").read_bytes(),
                          capture_output=True, timeout=120, check=False)
    assert (done.returncode, done.stderr) == (0, b"")
    assert done.stdout.startswith(b'{"predictions": [{"label": "malignant"')
