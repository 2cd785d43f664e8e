"""The bundled example: a breast cancer classifier as a three-container serial pipeline.

The archives come from ``examples/train.py`` (committed under ``examples/artifacts``); see
``examples/README.md`` for what each holds and why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_s3 as s3
from cdk_sagemaker_inference import (
    ContainerDefinition,
    ContainerImage,
    Framework,
    FrameworkEnvironment,
    InferencePipelineModel,
    ModelData,
    ModelPackageGroup,
    ServedModelPackage,
    SharedResources,
)
from constructs import Construct

from .config import AppConfig

ARTIFACTS = Path(__file__).resolve().parent.parent / "examples" / "artifacts"
#: The quality report registered with the example's model package version.
METRICS = ARTIFACTS / "metrics.json"
#: What a caller sends and can ask for.
REQUEST_CONTENT_TYPES = ["text/csv"]
RESPONSE_CONTENT_TYPES = ["application/json", "text/csv"]

#: scikit-learn 1.2-1 serves the numpy pre- and post-processing; XGBoost 1.7-1 matches the
#: xgboost 1.7.6 the model was trained with.
SKLEARN_IMAGE = ContainerImage.sagemaker_builtin(Framework.SKLEARN, "1.2-1")
XGBOOST_IMAGE = ContainerImage.sagemaker_builtin(Framework.XGBOOST, "1.7-1")
IMAGES = [SKLEARN_IMAGE, XGBOOST_IMAGE]
#: Where a training pipeline writes the artifacts of versions it registers.
REGISTERED_ARTIFACTS_PREFIX = "models/"
#: Where the example's archives and metrics report are kept, under their content hash, in the
#: artifacts bucket: inside the registered artifacts prefix, which a served version may read.
RETAINED_ASSETS_PREFIX = f"{REGISTERED_ARTIFACTS_PREFIX}assets/"


def example_containers(artifacts_bucket: s3.IBucket | None = None) -> list[ContainerDefinition]:
    """Preprocessing (CSV in, CSV out) -> XGBoost (CSV scores) -> labels (JSON or CSV).

    :param artifacts_bucket: the app's bucket, where the archives are kept under their content hash
        (``RETAINED_ASSETS_PREFIX``) for as long as a registered version may name them. Default:
        None, the archives stay CDK assets of the bootstrap bucket (for a stack nobody registers).
    """
    def archive(name: str) -> ModelData:
        return ModelData.from_asset(str(ARTIFACTS / name / "model.tar.gz"), retained_in=artifacts_bucket,
                                    retained_prefix=RETAINED_ASSETS_PREFIX)

    return [
        ContainerDefinition(
            image=SKLEARN_IMAGE,
            model_data=archive("preprocessing"),
            environment=FrameworkEnvironment.sklearn(program="inference.py", default_accept="text/csv"),
        ),
        ContainerDefinition(
            image=XGBOOST_IMAGE,
            model_data=archive("xgboost"),
            environment={"SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv"},
        ),
        ContainerDefinition(
            image=SKLEARN_IMAGE,
            model_data=archive("postprocessing"),
            environment=FrameworkEnvironment.sklearn(program="inference.py", default_accept="application/json"),
        ),
    ]


def example_model(
    scope: Construct, *, artifacts_bucket: s3.IBucket, registry_group_name: str | None
) -> tuple[InferencePipelineModel, ServedModelPackage | None]:
    """The example pipeline as a model, serving the group's approved version once one is set.

    :param registry_group_name: the model package group whose version the model serves when the
        stack's ``ServedModelPackageArn`` parameter is set. Default: None, always the example.
    """
    served = None
    if registry_group_name is not None:
        group = ModelPackageGroup.from_model_package_group_name(scope, "Registry", registry_group_name)
        served = ServedModelPackage(scope, "ServedVersion", group=group)
    model = InferencePipelineModel(scope, "Model", containers=example_containers(artifacts_bucket),
                                   served_package=served)
    if served is not None:
        served.grant_serving(model, artifacts_bucket=artifacts_bucket, prefix=REGISTERED_ARTIFACTS_PREFIX,
                             images=IMAGES)
    return model, served


class ExampleModelStack(Stack):
    """A stack that serves the example pipeline (``self.model``) in one way or another.

    Each such stack declares the model again rather than referencing another stack's: a model is
    replaced whenever the served version changes, and a cross-stack reference to its name would
    either block that update (a strong reference) or point at a deleted model (a weak one).

    :param shared: the key, artifacts bucket and topic of the SharedResourcesStack.
    :param config: the app's configuration.
    :param registry_group_name: the model package group whose version the stack's
        ``ServedModelPackageArn`` parameter may name. Default: None, always the example.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        shared: SharedResources,
        config: AppConfig,
        registry_group_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        self.model, self.served_version = example_model(
            self, artifacts_bucket=shared.artifacts_bucket, registry_group_name=registry_group_name
        )
