"""Reads a model's containers from a synthesized cloud assembly (``cdk.out``), without the CDK.

After ``make synth`` (or ``cdk synth``), every ``AWS::SageMaker::Model`` of every stack is in its
template, and the model archives the stacks upload are staged next to it with their S3 keys in the
stack's asset manifest: enough to run the model locally with nothing but the files in ``cdk.out``.
A model that serves a registry version when one is approved (``ServedModelPackage``) runs its
declared containers, the ones it serves before any approval.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import LocalRunnerError
from .frameworks import LocalContainerSpec, identify_image

MODEL_TYPE = "AWS::SageMaker::Model"


@dataclass(frozen=True)
class DeclaredModel:
    """A model found in a cloud assembly: where it is and its containers."""

    #: The construct path, e.g. ``inference-realtime/Model`` (``<stack>/<logical id>`` when the
    #: assembly has no path metadata, as with ``App.synth()`` outside the CDK CLI).
    path: str
    stack: str
    logical_id: str
    containers: tuple[LocalContainerSpec, ...]

    def matches(self, model: str) -> bool:
        """``model`` names this one: its path or the path's end, or a construct path its logical ID comes from."""
        model = model.strip("/").removesuffix("/Resource")
        if self.path == model or self.path.endswith("/" + model):
            return True
        # CDK's logical ID: the construct path below the stack, alphanumerics only, plus an 8-digit hash.
        relative = model.removeprefix(self.stack + "/")
        return re.fullmatch(re.sub(r"[^A-Za-z0-9]", "", relative) + "[0-9A-F]{8}", self.logical_id) is not None


def _literal(value: Any) -> str:
    """A CloudFormation value as text, with ``${...}`` for what only a deployment knows."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
            return str(argument[0]).join(_literal(part) for part in argument[1])
        if function == "Fn::Sub" and isinstance(argument, str):
            return argument
        if function == "Ref":
            return f"${{{argument}}}"
    return "${" + json.dumps(value, separators=(",", ":")) + "}"


def _declared_containers(properties: dict[str, Any]) -> list[dict[str, Any]]:
    containers = properties.get("Containers")
    if isinstance(containers, dict) and "Fn::If" in containers:
        containers = containers["Fn::If"][2]  # the declared containers; the other branch is a registry version
    if containers is None:
        containers = [properties["PrimaryContainer"]] if "PrimaryContainer" in properties else []
    return list(containers)


def _stacks(directory: Path) -> Iterator[tuple[Path, dict[str, Any], dict[str, Any]]]:
    """``(directory, stack artifact, manifest)`` of every stack, nested assemblies (stages) included."""
    manifest_file = directory / "manifest.json"
    if not manifest_file.is_file():
        raise LocalRunnerError(f"{directory} is not a cloud assembly (no manifest.json): run `make synth` first")
    manifest: dict[str, Any] = json.loads(manifest_file.read_text("utf-8"))
    for artifact in manifest.get("artifacts", {}).values():
        if artifact.get("type") == "aws:cloudformation:stack":
            yield directory, artifact, manifest
        elif artifact.get("type") == "cdk:cloud-assembly":
            yield from _stacks(directory / artifact["properties"]["directoryName"])


def _asset_paths(directory: Path, stack: dict[str, Any], manifest: dict[str, Any]) -> dict[str, Path]:
    """S3 object key -> staged file, over the asset manifests the stack depends on."""
    paths: dict[str, Path] = {}
    for dependency in stack.get("dependencies", []):
        artifact = manifest["artifacts"].get(dependency, {})
        if artifact.get("type") != "cdk:asset-manifest":
            continue
        assets = json.loads((directory / artifact["properties"]["file"]).read_text("utf-8"))
        for asset in assets.get("files", {}).values():
            for destination in asset.get("destinations", {}).values():
                paths[destination["objectKey"]] = directory / asset["source"]["path"]
    return paths


def _container(declared: dict[str, Any], assets: dict[str, Path]) -> LocalContainerSpec:
    environment = {key: _literal(value) for key, value in declared.get("Environment", {}).items()}
    if "ModelPackageName" in declared:
        return LocalContainerSpec(None, image=f"model package {_literal(declared['ModelPackageName'])}",
                                  environment=environment)
    image = _literal(declared.get("Image", ""))
    framework, version = identify_image(image) or (None, None)
    archive = None
    if "ModelDataUrl" in declared:
        url = _literal(declared["ModelDataUrl"])
        match = re.match(r"s3://[^/]+/(?P<key>.+)$", url)
        archive = assets.get(match["key"]) if match else None
        if archive is None:
            # Not an asset of this assembly (e.g. a training job's output in a bucket): nothing local to run.
            return LocalContainerSpec(framework, version, None, environment, image=f"{image} with {url}")
    return LocalContainerSpec(framework, version, archive, environment, image=image)


def declared_models(directory: Path) -> list[DeclaredModel]:
    """Every model of the cloud assembly in ``directory``, in manifest and template order."""
    models = []
    for stack_directory, stack, manifest in _stacks(directory):
        template = json.loads((stack_directory / stack["properties"]["templateFile"]).read_text("utf-8"))
        assets = _asset_paths(stack_directory, stack, manifest)
        stack_name = stack.get("displayName") or stack["properties"].get("stackName", "")
        for logical_id, resource in template.get("Resources", {}).items():
            if resource.get("Type") != MODEL_TYPE:
                continue
            path = resource.get("Metadata", {}).get("aws:cdk:path", f"{stack_name}/{logical_id}")
            containers = tuple(_container(c, assets) for c in _declared_containers(resource.get("Properties", {})))
            models.append(DeclaredModel(path.removesuffix("/Resource"), stack_name, logical_id, containers))
    return models


def find_model(directory: Path, model: str | None = None) -> DeclaredModel:
    """The model at construct path ``model`` (or ending with it); without one, the assembly's only model.

    Several models with the same containers (the same pipeline served by two stacks) count as one.
    """
    models = declared_models(directory)
    if model is not None:
        found = [candidate for candidate in models if candidate.matches(model)]
    else:
        found = []
        for candidate in models:
            if all(candidate.containers != other.containers for other in found):
                found.append(candidate)
    if len(found) == 1:
        return found[0]
    known = ", ".join(m.path for m in models) or "none"
    if not found:
        raise LocalRunnerError(f"no model {model!r} in {directory} (models: {known})")
    raise LocalRunnerError(f"{directory} declares several models ({known}): choose one with --model")
