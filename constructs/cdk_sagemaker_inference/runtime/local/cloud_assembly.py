"""Reads a model's containers from a synthesized cloud assembly (``cdk.out``), without the CDK.

After ``make synth`` (or ``cdk synth``), every ``AWS::SageMaker::Model`` of every stack is in its
template, and the model archives the stacks upload are staged next to it with their S3 keys in the
stack's asset manifest: enough to run the model locally with nothing but the files in ``cdk.out``.
An archive kept in a bucket of the app (``RetainedAsset``) is found through the copy's source key.
A model that serves a registry version when one is approved (``ServedModelPackage``) runs its
declared containers, the ones it serves before any approval.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from .errors import LocalRunnerError
from .frameworks import LocalContainerSpec, identify_image

MODEL_TYPE = "AWS::SageMaker::Model"
STATE_MACHINE_TYPE = "AWS::StepFunctions::StateMachine"
#: ``RetainedAsset``'s copy of an asset into a bucket of the app (``retained_asset.RESOURCE_TYPE``).
RETAINED_ASSET_TYPE = "Custom::RetainedAsset"


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
        return _named(self.path, self.stack, self.logical_id, model)


@dataclass(frozen=True)
class DeclaredTransform:
    """A ``BatchTransform`` found in a cloud assembly: its job's parameters and the model it runs."""

    #: The state machine's construct path, e.g. ``inference-batch/Transform/StateMachine``.
    path: str
    stack: str
    logical_id: str
    #: The CreateTransformJob parameters as declared (deploy-time values as placeholders):
    #: ``TransformSettings.from_request`` reads them.
    request: dict[str, Any]
    model: DeclaredModel

    def matches(self, transform: str) -> bool:
        """``transform`` names this one: the BatchTransform's construct path (or its end), or the state machine's."""
        return _named(self.path, self.stack, self.logical_id, transform, nested=True)


def _named(path: str, stack: str, logical_id: str, wanted: str, *, nested: bool = False) -> bool:
    """``wanted`` is the construct at ``path`` (or, ``nested``, a construct holding it), by path or path end,
    or by the logical ID CDK derives from the construct path when the assembly has no path metadata."""
    wanted = wanted.strip("/").removesuffix("/Resource")
    parent = path.rsplit("/", 1)[0] if nested else path
    if wanted in (path, parent) or path.endswith("/" + wanted) or parent.endswith("/" + wanted):
        return True
    # CDK's logical ID: the construct path below the stack, alphanumerics only, plus an 8-digit hash.
    prefix = re.sub(r"[^A-Za-z0-9]", "", wanted.removeprefix(stack + "/"))
    return re.fullmatch(prefix + ("[A-Za-z0-9]*" if nested else "") + "[0-9A-F]{8}", logical_id) is not None


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


def _retained_paths(template: dict[str, Any], assets: dict[str, Path]) -> dict[str, Path]:
    """S3 object key in the app's bucket -> staged file, for every asset a ``RetainedAsset`` copies there."""
    paths: dict[str, Path] = {}
    for resource in template.get("Resources", {}).values():
        if resource.get("Type") == RETAINED_ASSET_TYPE:
            properties = resource.get("Properties", {})
            source = assets.get(_literal(properties.get("SourceKey", "")))
            if source is not None:
                paths[_literal(properties.get("Key", ""))] = source
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


def _resources(directory: Path) -> Iterator[tuple[str, str, str, dict[str, Any], dict[str, Path]]]:
    """``(stack, logical id, construct path, resource, assets)`` of every resource of every stack."""
    for stack_directory, stack, manifest in _stacks(directory):
        template = json.loads((stack_directory / stack["properties"]["templateFile"]).read_text("utf-8"))
        assets = _asset_paths(stack_directory, stack, manifest)
        assets.update(_retained_paths(template, assets))
        stack_name = stack.get("displayName") or stack["properties"].get("stackName", "")
        for logical_id, resource in template.get("Resources", {}).items():
            path = resource.get("Metadata", {}).get("aws:cdk:path", f"{stack_name}/{logical_id}")
            yield stack_name, logical_id, path.removesuffix("/Resource"), resource, assets


def declared_models(directory: Path) -> list[DeclaredModel]:
    """Every model of the cloud assembly in ``directory``, in manifest and template order."""
    return [
        DeclaredModel(path, stack, logical_id,
                      tuple(_container(c, assets) for c in _declared_containers(resource.get("Properties", {}))))
        for stack, logical_id, path, resource, assets in _resources(directory)
        if resource.get("Type") == MODEL_TYPE
    ]


def _transform_request(definition: Any) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The CreateTransformJob task's parameters in a state machine definition, and its placeholders.

    The definition is JSON text joined with deploy-time values (bucket names, the model's name);
    each of those becomes a quote-free placeholder so the text parses.
    """
    parts = definition["Fn::Join"][1] if isinstance(definition, dict) and "Fn::Join" in definition else [definition]
    tokens: dict[str, Any] = {}
    text = ""
    for part in parts:
        if isinstance(part, str):
            text += part
        else:
            placeholder = f"@@token{len(tokens)}@@"
            tokens[placeholder] = part
            text += placeholder
    try:
        states = json.loads(text).get("States", {})
    except ValueError:
        return None
    for state in states.values():
        if "createTransformJob" in str(state.get("Resource", "")):
            return dict(state.get("Parameters", {})), tokens
    return None


def declared_transforms(directory: Path) -> list[DeclaredTransform]:
    """Every BatchTransform (a state machine that creates a transform job of a model of its stack)."""
    models = declared_models(directory)
    transforms = []
    for stack, logical_id, path, resource, _ in _resources(directory):
        if resource.get("Type") != STATE_MACHINE_TYPE:
            continue
        found = _transform_request(resource.get("Properties", {}).get("DefinitionString"))
        if found is None:
            continue
        request, tokens = found
        name = tokens.get(str(request.get("ModelName")), {})
        model_id = name.get("Fn::GetAtt", [None])[0] if isinstance(name, dict) else None
        model = next((m for m in models if m.stack == stack and m.logical_id == model_id), None)
        if model is None:
            raise LocalRunnerError(f"{path}: its model ({request.get('ModelName')}) is not declared in {stack}")
        transforms.append(DeclaredTransform(path, stack, logical_id, request, model))
    return transforms


def find_transform(directory: Path, transform: str | None = None) -> DeclaredTransform:
    """The BatchTransform at construct path ``transform`` (or ending with it); without one, the only one."""
    transforms = declared_transforms(directory)
    found = [t for t in transforms if transform is None or t.matches(transform)]
    return _the_one(found, transforms, directory, transform, "batch transform", "--transform")


def find_model(directory: Path, model: str | None = None) -> DeclaredModel:
    """The model at construct path ``model`` (or ending with it); without one, the assembly's only model.

    Several models with the same containers (the same pipeline served by two stacks, e.g. the
    endpoint's and the batch transform's) count as one: the first is taken.
    """
    models = declared_models(directory)
    found: list[DeclaredModel] = []
    for candidate in models:
        if (model is None or candidate.matches(model)) and all(
            candidate.containers != other.containers for other in found
        ):
            found.append(candidate)
    return _the_one(found, models, directory, model, "model", "--model")


_D = TypeVar("_D", DeclaredModel, DeclaredTransform)


def _the_one(found: list[_D], declared: list[_D], directory: Path, asked: str | None, kind: str, option: str) -> _D:
    """The one ``found`` of the ``declared`` ``kind``s (``asked`` by path, or any): none or several
    is an error listing them all, and ``option``, with which the caller chooses."""
    if len(found) == 1:
        return found[0]
    known = ", ".join(d.path for d in declared) or "none"
    if not found:
        raise LocalRunnerError(f"no {kind} {asked!r} in {directory} ({kind}s: {known})")
    raise LocalRunnerError(f"{directory} declares several {kind}s ({known}): choose one with {option}")
