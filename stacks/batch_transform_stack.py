"""BatchTransformStack: the example pipeline scores CSV files dropped under batch/input/."""

from __future__ import annotations

from typing import Any

from cdk_sagemaker_inference import (
    AssembleWith,
    BatchStrategy,
    BatchTransform,
    JoinSource,
    ServedVersionSwitch,
    SharedResources,
    SplitType,
    TransformSource,
)
from constructs import Construct

from .config import AppConfig
from .example_pipeline import ExampleModelStack

#: Where CSV files to score go, and where their results appear, in the artifacts bucket.
INPUT_PREFIX = "batch/input/"
OUTPUT_PREFIX = "batch/output/"


class BatchTransformStack(ExampleModelStack):
    """Scores every CSV file created under ``batch/input/`` of the artifacts bucket.

    The model is the very definition the real-time stack serves (``example_model``), declared again
    here: a model is replaced whenever the served version changes, and a cross-stack reference to its
    name would either block that update (a strong reference) or point at a deleted model (a weak one).
    With the registry included, the ``ServedModelPackageArn`` parameter of this stack serves a
    registry version instead, and approvals set it with this stack's ``switch`` after the real-time
    stack's (the registry stack's ``ApprovalDeployment``). Each input row gets its label and probability appended
    (``JoinSource=Input``) in ``batch/output/<key>.out``.

    :param shared: the key, artifacts bucket and topic of the SharedResourcesStack.
    :param config: the instance type.
    :param registry_group_name: the model package group whose version ``ServedModelPackageArn``
        may name. Default: None, always the example.
    """

    def __init__(
        self, scope: Construct, id: str, *, shared: SharedResources, config: AppConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, id, shared=shared, config=config, **kwargs)
        self.transform = BatchTransform(
            self,
            "Transform",
            model=self.model,
            source=TransformSource.s3_prefix(shared.artifacts_bucket, INPUT_PREFIX),
            output_bucket=shared.artifacts_bucket,
            output_prefix=OUTPUT_PREFIX,
            instance_type=config.batch_instance_type,
            # CSV rows in, one "label,probability" line per row out, appended to its input row.
            content_type="text/csv",
            accept="text/csv",
            split_type=SplitType.LINE,
            batch_strategy=BatchStrategy.MULTI_RECORD,
            assemble_with=AssembleWith.LINE,
            join_source=JoinSource.INPUT,
            encryption_key=shared.key,
            topic=shared.notifications_topic,
            trigger_on_object_created=True,
        )
        #: The CloudFormation role an approval switches the served version with (None without a registry).
        self.switch = None
        if self.served_version is not None:
            self.switch = ServedVersionSwitch(
                self, "ServedVersionSwitch", served_package=self.served_version,
                execution_roles=[self.model.role], transforms=[self.transform],
            )
