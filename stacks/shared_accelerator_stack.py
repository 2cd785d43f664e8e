"""SharedAcceleratorStack: three models share one GPU instance type as inference components."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from cdk_sagemaker_inference import (
    ComponentRollingUpdate,
    ComputeRequirements,
    ContainerDefinition,
    ContainerImage,
    CopyAutoScaling,
    CopyBatchSize,
    Endpoint,
    EndpointConfig,
    Framework,
    InferenceComponent,
    InstanceType,
    InstanceVariant,
    ManagedInstanceScaling,
    Model,
    ModelData,
    Processor,
    RoutingStrategy,
    SharedResources,
    acknowledge,
)
from constructs import Construct

#: Where the PyTorch model archives are expected in the artifacts bucket: two models always
#: served, and one served on demand.
MODEL_KEYS = {
    "Classifier": "models/shared-gpu/classifier/model.tar.gz",
    "Embedder": "models/shared-gpu/embedder/model.tar.gz",
    "Reranker": "models/shared-gpu/reranker/model.tar.gz",
}
#: The model that scales to zero copies when no request comes.
ON_DEMAND = "Reranker"
#: Four NVIDIA A10G GPUs, 48 vCPUs and 192 GiB: room for two copies of each always-served model on one instance.
INSTANCE_TYPE = InstanceType.of("ml.g5.12xlarge")
#: What one copy of any of the models reserves.
COPY = ComputeRequirements(accelerator_devices=1, cpu_cores=4, min_memory_mb=8 * 1024)


class SharedAcceleratorStack(Stack):
    """Three PyTorch 2.6 models as inference components of one endpoint on ml.g5.12xlarge.

    What Elastic Inference did for one model on a CPU instance, inference components do for several
    models on GPU instances: each copy of a model reserves one GPU, 4 vCPUs and 8 GB of memory, each
    model scales its copies on its own invocations, and the endpoint adds an instance (up to three)
    when copies no longer fit. The classifier and the embedder keep 2-4 copies; a stack update that
    changes one of them replaces its copies one at a time, and rolls back when the component's 5XX
    or latency alarm fires. The reranker scales to zero copies when idle (its GPU goes back to the
    others) and back to one when a request finds none; that request and those of the next minutes
    fail while the copy starts. Off by default (``include_shared_accelerator``): GPU instances cost
    money while the endpoint exists. Upload the model archives to ``MODEL_KEYS`` first.
    """

    def __init__(self, scope: Construct, id: str, *, shared: SharedResources, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        config = EndpointConfig(
            self,
            "EndpointConfig",
            variants=[InstanceVariant(
                instance_type=INSTANCE_TYPE,
                initial_instance_count=1,
                managed_instance_scaling=ManagedInstanceScaling(min_instances=1, max_instances=3),
                routing_strategy=RoutingStrategy.LEAST_OUTSTANDING_REQUESTS,
            )],
        )
        acknowledge(
            config,
            ["Annotation::cdk-sagemaker-inference:endpointNoKmsKey"],
            "ml.g5 instances keep their storage on local NVMe drives that the hardware encrypts; SageMaker "
            "takes no KMS key for them. The GPU families commonly used for inference components (g5, g6, g6e, p4d, "
            "p5) are built this way.",
        )
        # The models change through their components (rolling, per component); the endpoint itself
        # changes rarely, so it takes no blue/green guardrails of its own.
        self.endpoint = Endpoint(self, "Endpoint", endpoint_config=config, deployment=None)
        #: The three components, by name.
        self.components = {
            name: self._component(name, key, shared) for name, key in MODEL_KEYS.items()
        }

    def _component(self, name: str, key: str, shared: SharedResources) -> InferenceComponent:
        model = Model(self, f"{name}Model", container=ContainerDefinition(
            image=ContainerImage.sagemaker_builtin(Framework.PYTORCH, "2.6.0", processor=Processor.GPU),
            model_data=ModelData.from_bucket(shared.artifacts_bucket, key),
        ))
        if name == ON_DEMAND:
            # No copy until a request comes; one at a time up to two. With no two copies it cannot roll.
            return InferenceComponent(
                self, name, endpoint=self.endpoint, model=model, compute=COPY, copy_count=0,
                auto_scaling=CopyAutoScaling(min_copies=0, max_copies=2, target_invocations_per_copy=100),
            )
        return InferenceComponent(
            self, name, endpoint=self.endpoint, model=model, compute=COPY,
            # Two copies at least: a rolling step replaces at most half of them.
            copy_count=2,
            auto_scaling=CopyAutoScaling(min_copies=2, max_copies=4, target_invocations_per_copy=100),
            deployment=ComponentRollingUpdate(maximum_batch_size=CopyBatchSize.copies(1)),
        )
