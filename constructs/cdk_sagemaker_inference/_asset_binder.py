"""One binder for the local sources models use: container images and model data, per stack and source.

An asset belongs to the stack whose asset manifest publishes it. Created where a model first binds
it, an asset shared by two stacks was published only with the first (deploying the second alone
referenced an image never pushed), and two sources bound by one model collided on one construct id.
Here every stack gets its own asset per source, under one ``SageMakerAssets`` construct, with an id
derived from the source, so the same source in the same stack is one asset and anything else is not.
"""

from __future__ import annotations

import hashlib
import json
import os
import weakref
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from aws_cdk import Stack
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from ._stack_env import environment_of

_BINDER_ID = "SageMakerAssets"
#: Each stack's binder (weak: a stack is forgotten with its app).
_BINDERS: weakref.WeakKeyDictionary[Stack, AssetBinder] = weakref.WeakKeyDictionary()
_T = TypeVar("_T", bound=Construct)


class AssetBinder(Construct):
    """The assets of one stack, keyed by source. Get it with ``AssetBinder.of(scope)``."""

    def __init__(self, scope: Construct, id: str) -> None:
        """Prefer ``AssetBinder.of``."""
        super().__init__(scope, id)
        # Sources bound here, by construct id: each lookup in the tree is a round trip to Node.
        self._assets: dict[str, Construct] = {}

    @staticmethod
    def of(scope: Construct) -> AssetBinder:
        """The binder of ``scope``'s stack (created on first use)."""
        stack = environment_of(scope).stack
        binder = _BINDERS.get(stack)
        if binder is None:
            binder = _BINDERS[stack] = AssetBinder(stack, _BINDER_ID)
        return binder

    def once(self, kind: str, source: Mapping[str, Any], create: Callable[[Construct, str], _T]) -> _T:
        """The construct of ``kind`` for ``source`` in this stack: ``create(binder, id)`` on first use."""
        id = _id(kind, source)
        existing = self._assets.get(id)
        if existing is None:
            self._assets[id] = existing = create(self, id)
        return existing  # type: ignore[return-value]  # only create() makes the construct of this id

    def image(
        self, *, directory: str, file: str | None, build_args: Mapping[str, str], platform: ecr_assets.Platform
    ) -> ecr_assets.DockerImageAsset:
        """The image built from ``directory`` with these options, one per stack."""
        source = {"directory": source_path(directory), "file": file, "build_args": dict(build_args),
                  "platform": platform.platform}
        return self.once("Image", source, lambda scope, id: ecr_assets.DockerImageAsset(
            scope, id, directory=directory, file=file, build_args=dict(build_args) or None, platform=platform
        ))

    def file(self, path: str) -> s3_assets.Asset:
        """The file at ``path`` uploaded to the stack's assets bucket, one per stack."""
        return self.once("File", {"path": source_path(path)},
                         lambda scope, id: s3_assets.Asset(scope, id, path=path))


def source_path(path: str) -> str:
    """``path`` relative to the working directory, as a source key and so in construct ids.

    The CDK CLI runs the app from the project's root, so a relative key is the same in every clone:
    an absolute one would give each checkout (a CI build, a colleague's laptop) other logical ids,
    and CloudFormation would replace what they name.
    """
    return Path(os.path.relpath(Path(path).resolve(), Path.cwd().resolve())).as_posix()


def _id(kind: str, source: Mapping[str, Any]) -> str:
    """A construct id from the source: equal sources, equal ids (no timestamps, no counters)."""
    digest = hashlib.sha256(json.dumps(source, sort_keys=True).encode()).hexdigest()[:16]
    return f"{kind}{digest}"
