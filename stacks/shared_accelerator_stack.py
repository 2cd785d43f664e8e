"""SharedAcceleratorStack: three models share one GPU instance type as inference components."""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class ServedModel:
    """A model of the stack: where its archive is in the artifacts bucket, its copy range, and how
    an update replaces its copies (None: SageMaker's own way)."""

    key: str
    min_copies: int
    max_copies: int
    deployment: ComponentRollingUpdate | None = None


#: One copy at a time, rolled back by the component's 5XX and latency alarms.
_ONE_COPY_AT_A_TIME = ComponentRollingUpdate(maximum_batch_size=CopyBatchSize.copies(1))
#: Two models always served (2-4 copies, at least two so that an update can roll), and a reranker
#: served on demand (0-2 copies: none while idle, so it cannot roll).
MODELS = {
    "Classifier": ServedModel("models/shared-gpu/classifier/model.tar.gz", 2, 4, _ONE_COPY_AT_A_TIME),
    "Embedder": ServedModel("models/shared-gpu/embedder/model.tar.gz", 2, 4, _ONE_COPY_AT_A_TIME),
    "Reranker": ServedModel("models/shared-gpu/reranker/model.tar.gz", 0, 2),
}
#: Four NVIDIA A10G GPUs, 48 vCPUs and 192 GiB: room for two copies of each always-served model on one instance.
INSTANCE_TYPE = InstanceType.of("ml.g5.12xlarge")


class SharedAcceleratorStack(Stack):
    """Three PyTorch 2.6 models as inference components of one endpoint on ml.g5.12xlarge.

    What Elastic Inference did for one model on a CPU instance, inference components do for several
    models on GPU instances: each copy of a model reserves one GPU, 4 vCPUs and 8 GB of memory, each
    model scales its copies on its own invocations, and the endpoint adds an instance (up to three)
    when copies no longer fit. The classifier and the embedder keep 2-4 copies; a stack update that
    changes one of them replaces its copies one at a time, and rolls back when the component's 5XX
    or latency alarm fires. The reranker scales to zero copies when idle (its GPU goes back to the
    others) and out again when requests find none; they fail for the minutes a copy takes to start.
    A stack update that changes the reranker also sets it back to zero copies (its ``copy_count``).
    Off by default (``include_shared_accelerator``): GPU instances cost money while the endpoint
    exists. Upload the model archives to the keys of ``MODELS`` first.
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
        self.components = {name: self._component(name, served, shared) for name, served in MODELS.items()}

    def _component(self, name: str, served: ServedModel, shared: SharedResources) -> InferenceComponent:
        return InferenceComponent(
            self,
            name,
            endpoint=self.endpoint,
            model=Model(self, f"{name}Model", container=ContainerDefinition(
                image=ContainerImage.sagemaker_builtin(Framework.PYTORCH, "2.6.0", processor=Processor.GPU),
                model_data=ModelData.from_bucket(shared.artifacts_bucket, served.key),
            )),
            compute=ComputeRequirements(accelerator_devices=1, cpu_cores=4, min_memory_mb=8 * 1024),
            copy_count=served.min_copies,
            auto_scaling=CopyAutoScaling(
                min_copies=served.min_copies, max_copies=served.max_copies, target_invocations_per_copy=100
            ),
            deployment=served.deployment,
        )
