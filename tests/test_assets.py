"""Local images and model archives: one asset per stack and source, published by every stack that uses it."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from cdk_sagemaker_inference import ContainerDefinition, ContainerImage, InferencePipelineModel, Model, ModelData

from tests.conftest import new_app

ENV = cdk.Environment(account="123456789012", region="us-east-1")


def docker_context(path: Path, name: str) -> str:
    folder = path / name
    folder.mkdir()
    (folder / "Dockerfile").write_text(f"FROM public.ecr.aws/docker/library/python:3.12-slim\nLABEL step={name}\n")
    return str(folder)


def manifest(outdir: str, stack: cdk.Stack) -> dict[str, dict[str, object]]:
    data: dict[str, dict[str, object]] = json.loads((Path(outdir) / f"{stack.artifact_id}.assets.json").read_text())
    return data


def test_two_asset_images_in_one_pipeline_are_two_assets(tmp_path: Path) -> None:
    """They collided on one construct id when each was created in the model's scope."""
    app = new_app()
    stack = cdk.Stack(app, "Pipeline", env=ENV)
    first = ContainerImage.from_asset(docker_context(tmp_path, "pre"))
    second = ContainerImage.from_asset(docker_context(tmp_path, "model"))
    pipeline = InferencePipelineModel(stack, "Pipeline", containers=[
        ContainerDefinition(image=first), ContainerDefinition(image=second), ContainerDefinition(image=first)])
    uris = [stack.resolve(spec.image_uri) for spec in pipeline.containers]
    assert uris[0] == uris[2] != uris[1]
    app.synth()
    assert len(manifest(app.outdir, stack)["dockerImages"]) == 2


def test_one_asset_image_and_archive_used_by_two_stacks_are_published_by_both(tmp_path: Path) -> None:
    """Deploying the second stack alone must not reference an image only the first stack pushes."""
    app = new_app()
    archive = tmp_path / "model.tar.gz"
    archive.write_bytes(b"model")
    image = ContainerImage.from_asset(docker_context(tmp_path, "serve"))
    data = ModelData.from_asset(str(archive))
    stacks = [cdk.Stack(app, name, env=ENV) for name in ("Blue", "Green")]
    for stack in stacks:
        Model(stack, "Model", container=ContainerDefinition(image=image, model_data=data))
    app.synth()
    for stack in stacks:
        published = manifest(app.outdir, stack)
        assert len(published["dockerImages"]) == 1
        assert [Path(str(f["source"]["path"])).suffix for f in published["files"].values()  # type: ignore[index]
                if str(f["source"]["path"]).endswith(".gz")] == [".gz"]  # type: ignore[index]


def test_a_handler_with_package_modules_is_staged_whole_once_per_content(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Test workers and `python app.py` synthesize at once: each sees the staged copy complete
    (written aside, then renamed), and a copy of other content gets another folder."""
    import tempfile

    from cdk_sagemaker_inference._assets import handler_code, handler_path

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    first = handler_code("deployment_monitor", ["_endpoint_state.py"])
    again = handler_code("deployment_monitor", ["_endpoint_state.py"])
    assert first.path == again.path
    (staged,) = tmp_path.iterdir()  # no half-written folder left behind
    assert str(staged) == first.path
    assert sorted(p.name for p in staged.iterdir()) == ["__init__.py", "_endpoint_state.py", "index.py"]
    assert (staged / "index.py").read_bytes() == (handler_path("deployment_monitor") / "index.py").read_bytes()
    other = handler_code("deployment_monitor", ["_names.py"])
    assert other.path != first.path
