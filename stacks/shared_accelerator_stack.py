"""SharedAcceleratorStack: two models share one GPU instance type as inference components."""

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

#: Where the two PyTorch model archives are expected in the artifacts bucket.
MODEL_KEYS = {
    "Classifier": "models/shared-gpu/classifier/model.tar.gz",
    "Embedder": "models/shared-gpu/embedder/model.tar.gz",
}
#: Four NVIDIA A10G GPUs, 48 vCPUs and 192 GiB: room for two copies of each model on one instance.
INSTANCE_TYPE = InstanceType.of("ml.g5.12xlarge")


class SharedAcceleratorStack(Stack):
    """Two PyTorch 2.6 models as inference components of one endpoint on ml.g5.12xlarge.

    What Elastic Inference did for one model on a CPU instance, inference components do for several
    models on GPU instances: each copy of a model reserves one GPU, 4 vCPUs and 8 GB of memory,
    each model scales its copies (2-4) on its own invocations, and the endpoint adds an instance (up
    to two) when copies no longer fit. A stack update that changes a model replaces its copies one
    at a time, and rolls back when the component's 5XX or latency alarm fires. Off by default
    (``include_shared_accelerator``): GPU instances cost money while the endpoint exists. Upload the
    model archives to ``MODEL_KEYS`` first.
    """

    def __init__(self, scope: Construct, id: str, *, shared: SharedResources, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        config = EndpointConfig(
            self,
            "EndpointConfig",
            variants=[InstanceVariant(
                instance_type=INSTANCE_TYPE,
                initial_instance_count=1,
                managed_instance_scaling=ManagedInstanceScaling(min_instances=1, max_instances=2),
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
        #: The two components, by name.
        self.components = {
            name: InferenceComponent(
                self,
                name,
                endpoint=self.endpoint,
                model=Model(self, f"{name}Model", container=ContainerDefinition(
                    image=ContainerImage.sagemaker_builtin(Framework.PYTORCH, "2.6.0", processor=Processor.GPU),
                    model_data=ModelData.from_bucket(shared.artifacts_bucket, key),
                )),
                compute=ComputeRequirements(accelerator_devices=1, cpu_cores=4, min_memory_mb=8 * 1024),
                # Two copies at least: a rolling step replaces at most half of them.
                copy_count=2,
                auto_scaling=CopyAutoScaling(min_copies=2, max_copies=4, target_invocations_per_copy=100),
                deployment=ComponentRollingUpdate(maximum_batch_size=CopyBatchSize.copies(1)),
            )
            for name, key in MODEL_KEYS.items()
        }
