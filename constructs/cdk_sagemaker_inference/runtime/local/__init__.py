"""Run a model's containers locally, before deploying: no Docker, no AWS account.

``LocalPipeline`` runs the scikit-learn 1.2-1 and built-in XGBoost 1.7-1 containers of a model
in-process with SageMaker's Serial-mode semantics; ``LocalPredictor`` puts the Predictor's
serializers in front of it; ``LocalTransform`` runs a batch transform over a file or folder
with a job's ``TransformSettings``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..._lazy import lazy_getattr

if TYPE_CHECKING:
    from .cloud_assembly import (
        DeclaredModel,
        DeclaredTransform,
        declared_models,
        declared_transforms,
        find_model,
        find_transform,
    )
    from .containers import Response
    from .errors import IncompatibleArtifactError, LocalModelError, LocalRunnerError, UnsupportedContainerError
    from .frameworks import EMULATED, LocalContainerSpec, identify_image
    from .pipeline import LocalPipeline, LocalPredictor
    from .transform import LocalTransform

#: Each name's module, imported on first use: ``TransformSettings`` checks its filters with
#: ``.jsonpath``, and a synth should not import numpy (``.containers``) for a runner it never starts.
_LAZY = {
    "DeclaredModel": "cloud_assembly",
    "DeclaredTransform": "cloud_assembly",
    "declared_models": "cloud_assembly",
    "declared_transforms": "cloud_assembly",
    "find_model": "cloud_assembly",
    "find_transform": "cloud_assembly",
    "Response": "containers",
    "IncompatibleArtifactError": "errors",
    "LocalModelError": "errors",
    "LocalRunnerError": "errors",
    "UnsupportedContainerError": "errors",
    "EMULATED": "frameworks",
    "LocalContainerSpec": "frameworks",
    "identify_image": "frameworks",
    "LocalPipeline": "pipeline",
    "LocalPredictor": "pipeline",
    "LocalTransform": "transform",
}


__getattr__ = lazy_getattr(__name__, _LAZY, globals())


__all__ = [
    "EMULATED",
    "DeclaredModel",
    "DeclaredTransform",
    "IncompatibleArtifactError",
    "LocalContainerSpec",
    "LocalModelError",
    "LocalPipeline",
    "LocalPredictor",
    "LocalRunnerError",
    "LocalTransform",
    "Response",
    "UnsupportedContainerError",
    "declared_models",
    "declared_transforms",
    "find_model",
    "find_transform",
    "identify_image",
]
