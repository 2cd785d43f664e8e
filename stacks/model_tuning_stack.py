"""ModelTuningStack: tune the example's XGBoost on SageMaker and register the winner for approval."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Stack
from cdk_sagemaker_inference import (
    BestModelRegistration,
    ContinuousRange,
    HyperparameterTuning,
    InstanceType,
    IntegerRange,
    ScalingType,
    SharedResources,
    TrainingAlgorithm,
    TrainingData,
    TuningObjective,
    TuningStrategy,
)
from constructs import Construct

from .example_pipeline import REGISTERED_ARTIFACTS_PREFIX, REQUEST_CONTENT_TYPES, RESPONSE_CONTENT_TYPES
from .realtime_inference_stack import RealtimeInferenceStack

#: The example's split, preprocessed as the endpoint's first container does (tools/tuning_sweep.py).
DATA = Path(__file__).resolve().parent.parent / "examples" / "tuning"

#: The ranges of tools/tuning_sweep.py, except max_depth: the sweep samples the documented 0-10 to
#: show XGBoost refusing 0 with exact trees (which the built-in container picks for data this
#: small); a real tuning job should not pay for those failures, so it starts at 1.
RANGES: list[ContinuousRange | IntegerRange] = [
    ContinuousRange("eta", 0.01, 0.5, ScalingType.LOGARITHMIC),
    ContinuousRange("alpha", 0.001, 100, ScalingType.LOGARITHMIC),
    ContinuousRange("min_child_weight", 0, 20, ScalingType.LINEAR),
    IntegerRange("max_depth", 1, 10, ScalingType.LINEAR),
]


class ModelTuningStack(Stack):
    """One tuning job per execution of its state machine; the best model becomes a version of the
    registry group, PendingManualApproval, in the endpoint's pipeline between its pre- and
    post-processing containers. Approving it deploys it through the registry stack's ApprovalDeployment.

    :param registry: the registry group (declared by the ModelRegistryStack) and the endpoint stack
        whose pipeline containers wrap the tuned model. Default: None, tune and notify only.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        shared: SharedResources,
        instance_type: InstanceType,
        registry: tuple[str, RealtimeInferenceStack] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        registration = None
        if registry is not None:
            group_name, endpoint_stack = registry
            containers = endpoint_stack.model.containers
            registration = BestModelRegistration(
                group=group_name,
                supported_content_types=REQUEST_CONTENT_TYPES,
                supported_response_mime_types=RESPONSE_CONTENT_TYPES,
                containers_before=containers[:1],
                containers_after=containers[2:],
                environment={"SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv"},
                supported_realtime_instance_types=[instance_type],
            )
        self.tuning = HyperparameterTuning(
            self,
            "Tuning",
            algorithm=TrainingAlgorithm.builtin_xgboost("1.7-1"),
            objective=TuningObjective.maximize("validation:auc"),
            ranges=RANGES,
            static_hyperparameters={"objective": "binary:logistic", "eval_metric": "auc", "num_round": "100"},
            train=TrainingData.from_asset(self, "TrainData", str(DATA / "train.csv")),
            validation=TrainingData.from_asset(self, "ValidationData", str(DATA / "validation.csv")),
            strategy=TuningStrategy.BAYESIAN,
            max_jobs=20,
            max_parallel_jobs=2,
            early_stopping=True,
            # Under the prefix the endpoint's model may read, so an approved version can be served.
            output_bucket=shared.artifacts_bucket,
            output_prefix=f"{REGISTERED_ARTIFACTS_PREFIX}tuning/",
            encryption_key=shared.key,
            topic=shared.notifications_topic,
            job_name_prefix="breast-cancer",
            registration=registration,
        )
