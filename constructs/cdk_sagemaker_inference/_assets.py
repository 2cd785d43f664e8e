"""Where the package's Lambda handler sources are, installed (wheel) or from the repo (editable)."""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

from aws_cdk import aws_lambda as lambda_

#: The Lambda runtime of every handler: the newest Python that aws-cdk-lib 2.275 knows
#: (cdk-nag's AwsSolutions-L1 asks for the latest runtime of the family).
HANDLER_RUNTIME = lambda_.Runtime.PYTHON_3_14

# Byte-compiled files differ between machines and would change the asset hash, so the
# template, from run to run: they are never part of the asset.
_EXCLUDE = ["__pycache__", "*.pyc"]


def handler_path(name: str) -> Path:
    """The folder of handler ``name`` (``lambda/<name>`` in the repo)."""
    with as_file(files("cdk_sagemaker_inference.handlers") / name) as path:
        if not (path / "index.py").is_file():
            raise FileNotFoundError(f"no handler {name!r}: {path / 'index.py'} is missing")
        return Path(path)


def handler_code(name: str) -> lambda_.Code:
    """The Lambda code asset of handler ``name``; its entry point is ``index.handler``."""
    return lambda_.Code.from_asset(str(handler_path(name)), exclude=_EXCLUDE)
