"""The wheel carries the constructs and the Lambda sources: a third-party app synthesizes from it."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

THIRD_PARTY_APP = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    import aws_cdk as cdk
    import cdk_sagemaker_inference
    from cdk_sagemaker_inference import ApprovalDeployment, DeploymentTrigger, SharedResources

    assert "site-packages" in cdk_sagemaker_inference.__file__, cdk_sagemaker_inference.__file__
    app = cdk.App(outdir=sys.argv[1])
    stack = cdk.Stack(app, "ThirdParty")
    shared = SharedResources(stack, "Shared")
    ApprovalDeployment(
        stack, "Approval",
        model_package_group="fraud-detector",
        trigger=DeploymentTrigger.cloudformation_stack("fraud-endpoint"),
        topic=shared.notifications_topic,
        key=shared.key,
        endpoint_name="fraud-endpoint",
    )
    app.synth()
    print(json.dumps([Path(cdk_sagemaker_inference.__file__).parent.as_posix()]))
    """
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(REPO)],
        check=True, capture_output=True,
    )
    (built,) = dist.glob("cdk_sagemaker_inference-*.whl")
    return built


def test_wheel_ships_every_module_of_the_package(wheel: Path) -> None:
    """Every module under constructs/ (an editable install finds them all, so only the wheel can show
    one left out of pyproject's package list: the local runner once was)."""
    names = set(zipfile.ZipFile(wheel).namelist())
    source = REPO / "constructs"
    modules = sorted(path.relative_to(source).as_posix() for path in source.rglob("*.py")
                     if "__pycache__" not in path.parts)
    assert "cdk_sagemaker_inference/runtime/local/pipeline.py" in modules
    assert [module for module in modules if module not in names] == []


def test_wheel_ships_package_data_and_every_handler(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    handlers = sorted(p.parent.name for p in (REPO / "lambda").glob("*/index.py"))
    assert handlers, "lambda/ has no handler folders"
    for handler in handlers:
        assert f"cdk_sagemaker_inference/handlers/{handler}/index.py" in names
    assert "cdk_sagemaker_inference/py.typed" in names
    assert "cdk_sagemaker_inference/runtime/data/framework_images.json" in names
    assert "cdk_sagemaker_inference/runtime/cli/predict.py" in names
    assert not [name for name in names if name.startswith("constructs/") or "__pycache__" in name]


@pytest.mark.slow
def test_a_third_party_app_synthesizes_from_the_installed_wheel(wheel: Path, tmp_path: Path) -> None:
    """A fresh venv gets only the wheel; its dependencies come from this venv through a .pth line
    (installing aws-cdk-lib again would cost a minute of downloads and prove nothing about us)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    fresh_python = venv / "bin" / "python"
    fresh_site = Path(subprocess.run(
        [str(fresh_python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip())
    # Only the dependencies: the editable install of this repo is a .pth hook there, and .pth files
    # in a folder added by a .pth line are not run, so the package can only come from the wheel.
    (fresh_site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
         "--target", str(fresh_site), str(wheel)],
        check=True, capture_output=True,
    )
    app_dir = tmp_path / "third-party-app"
    app_dir.mkdir()
    (app_dir / "app.py").write_text(THIRD_PARTY_APP)

    result = subprocess.run(
        [str(fresh_python), "app.py", str(tmp_path / "cdk.out")],
        cwd=app_dir, capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONPATH": ""},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert str(fresh_site) in result.stdout
    assets = list((tmp_path / "cdk.out").glob("asset.*/index.py"))
    assert assets, "the Lambda asset from the wheel's handlers/ folder is missing"
