"""The runtime layer needs only boto3; the construct modules load cdk-nag only for the gate."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import cdk_sagemaker_inference as csi
import pytest
from cdk_sagemaker_inference import runtime

BLOCK_CDK = textwrap.dedent(
    """
    import importlib.abc, sys

    class NoCdk(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {"aws_cdk", "constructs", "jsii", "cdk_nag"}:
                raise ImportError(f"{name} imported")
            return None

    sys.meta_path.insert(0, NoCdk())
    """
)

RUNTIME_USE = BLOCK_CDK + textwrap.dedent(
    """
    import contextlib, io, runpy
    from cdk_sagemaker_inference import CSVSerializer, Framework, Predictor, RegistryClient
    from cdk_sagemaker_inference.runtime import framework_image
    from cdk_sagemaker_inference.runtime.cli import GROUPS, build_parser

    assert CSVSerializer().serialize([[1, 2]]) == b"1,2"
    assert framework_image(Framework.PYTORCH, "2.1").uri("eu-west-1").endswith("pytorch-inference:2.1.0-cpu-py310")
    Predictor("churn", client=object())
    assert RegistryClient
    build_parser()  # every command group registers without the CDK
    out = io.StringIO()
    sys.argv = ["cdk-sagemaker-inference", "--help"]
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        runpy.run_module("cdk_sagemaker_inference", run_name="__main__")
    assert all(group in out.getvalue() for group in GROUPS), out.getvalue()
    """
)


def test_the_runtime_layer_the_package_root_and_the_cli_run_without_the_cdk() -> None:
    """User code and Lambda functions import them: neither aws-cdk-lib, jsii nor cdk-nag may load."""
    result = subprocess.run([sys.executable, "-c", RUNTIME_USE], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-3000:]


NO_GATE_SYNTH = textwrap.dedent(
    """
    import sys
    import aws_cdk as cdk
    import cdk_sagemaker_inference as csi
    from cdk_sagemaker_inference import compliance

    for name in csi.__all__:  # every construct module
        getattr(csi, name)
    app = cdk.App()
    stack = cdk.Stack(app, "Stack")
    shared = csi.SharedResources(stack, "Shared")
    compliance.acknowledge(shared, ["AwsSolutions-S1"], "a reason")
    app.synth()
    assert "cdk_nag" not in sys.modules, "cdk-nag loaded without the gate"
    assert "boto3" not in sys.modules, "boto3 loaded by a synth (it costs every synth about 0.1 s)"
    compliance.apply_compliance_gate(app)
    assert "cdk_nag" in sys.modules
    """
)


def test_constructs_load_cdk_nag_only_when_the_gate_is_applied() -> None:
    result = subprocess.run([sys.executable, "-c", NO_GATE_SYNTH], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-3000:]


CONSTRUCTS_ONLY = textwrap.dedent(
    """
    import sys
    from cdk_sagemaker_inference import (
        ApprovalDeployment, ContainerDefinition, ContainerImage, Framework, InferencePipelineModel, InstanceVariant,
        ModelData, ModelPackageGroup, RealtimeEndpoint,
    )
    loaded = sorted(m for m in sys.modules if m.startswith("cdk_sagemaker_inference.runtime."))
    assert loaded == ["cdk_sagemaker_inference.runtime.enums", "cdk_sagemaker_inference.runtime.frameworks"], loaded
    assert "botocore" not in sys.modules, "botocore loaded for constructs that never call AWS"
    import stacks.composition  # every construct of the reference app: registry versions and tuning too
    assert "botocore" not in sys.modules, "botocore loaded by the reference app's constructs"
    """
)


def test_constructs_import_only_the_runtime_modules_they_use() -> None:
    """The package root and ``runtime`` import each name on first use: a synth does not pay for the
    Predictor's, the registry client's and the transform client's imports (botocore among them)."""
    result = subprocess.run([sys.executable, "-c", CONSTRUCTS_ONLY], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.mark.parametrize("package", [csi, runtime], ids=["root", "runtime"])
def test_each_lazy_name_is_typed_exported_and_imported_from_its_module(package: ModuleType) -> None:
    """The names a package imports on first use stand three times in its ``__init__``: imported for
    type checkers (``TYPE_CHECKING``, each from its module), in ``__all__`` (which mypy --strict needs
    as a literal to re-export them) and in the map the lazy import follows. They must agree."""
    tree = ast.parse(Path(str(package.__file__)).read_text())
    typed = {alias.name: node.module for block in tree.body if isinstance(block, ast.If)
             for node in block.body if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert typed, "no TYPE_CHECKING imports found"
    assert sorted(package.__all__) == sorted(typed)
    for name, module in typed.items():
        assert getattr(package, name) is getattr(importlib.import_module(f".{module}", package.__name__), name)
