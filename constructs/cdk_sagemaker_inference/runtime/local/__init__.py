"""Run a model's containers locally, before deploying: no Docker, no AWS account.

``LocalPipeline`` runs the scikit-learn 1.2-1 and built-in XGBoost 1.7-1 containers of a model
in-process with SageMaker's Serial-mode semantics; ``LocalPredictor`` puts the Predictor's
serializers in front of it; ``LocalTransform`` runs a batch transform over a file or folder
with a job's ``TransformSettings``.
"""

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
