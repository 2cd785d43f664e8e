"""ElasticInferenceStack: an endpoint config with an Elastic Inference accelerator (end of life)."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from cdk_sagemaker_inference import (
    ContainerDefinition,
    ContainerImage,
    ElasticInferenceAccelerator,
    Framework,
    InstanceType,
    InstanceVariant,
    Model,
    ModelData,
    RealtimeEndpoint,
    SharedResources,
)
from constructs import Construct

#: Where the PyTorch model for the EI endpoint is expected in the artifacts bucket.
EI_MODEL_KEY = "models/pytorch-ei/model.tar.gz"


class ElasticInferenceStack(Stack):
    """A PyTorch 1.5.1 EI model on ml.m5.large with an ml.eia2.medium accelerator.

    Off by default (``include_elastic_inference``): SageMaker retired Elastic Inference in April
    2024, CloudFormation's current EndpointConfig schema no longer lists ``AcceleratorType`` and the
    SageMaker API documents it as no longer supported, so this stack does not deploy in an account
    that never used EI. It is kept as a record: the template declares ``AcceleratorType`` exactly
    and synth warns with the modern alternatives.
    Upload the TorchScript model archive to ``EI_MODEL_KEY`` in the artifacts bucket first.
    """

    def __init__(self, scope: Construct, id: str, *, shared: SharedResources, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        model = Model(
            self,
            "Model",
            container=ContainerDefinition(
                image=ContainerImage.sagemaker_builtin(Framework.PYTORCH_EI, "1.5.1"),
                model_data=ModelData.from_bucket(shared.artifacts_bucket, EI_MODEL_KEY),
            ),
        )
        self.endpoint = RealtimeEndpoint(
            self,
            "Endpoint",
            variants=[InstanceVariant(
                model=model,
                instance_type=InstanceType.M5_LARGE,
                accelerator=ElasticInferenceAccelerator.EIA2_MEDIUM,
            )],
            encryption_key=shared.key,
            # EI variants fall back to all-at-once updates: guardrails would promise what they can't do.
            deployment=None,
        )
