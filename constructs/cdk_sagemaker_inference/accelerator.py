"""Elastic Inference accelerators (end of life at AWS) and what replaced them."""

from __future__ import annotations

from ._validation import StrictEnum

#: Why every Elastic Inference variant carries a warning, and what to use instead.
ELASTIC_INFERENCE_RETIRED = (
    "Amazon Elastic Inference reached end of life in April 2024 (no new customers since 2023-04-15); "
    "SageMaker no longer supports AcceleratorType and may refuse the endpoint config. To share an "
    "accelerator today, run several models on one GPU instance as inference components "
    "(AWS::SageMaker::InferenceComponent), or split one GPU into Multi-Instance "
    "GPU partitions (AcceleratorPartitionLayouts, in the SageMaker API only)."
)


class ElasticInferenceAccelerator(StrictEnum):
    """The Elastic Inference accelerator sizes SageMaker accepted (``ProductionVariant.AcceleratorType``).

    EI attached a network-attached GPU slice to a CPU instance, for EI-enabled TensorFlow, MXNet and
    PyTorch images only. It is end of life (see ``ELASTIC_INFERENCE_RETIRED``): kept so that existing
    endpoints can still be declared, each with a warning.
    """

    #: First generation, 1 GB accelerator memory.
    EIA1_MEDIUM = "ml.eia1.medium"
    #: First generation, 2 GB accelerator memory.
    EIA1_LARGE = "ml.eia1.large"
    #: First generation, 4 GB accelerator memory.
    EIA1_XLARGE = "ml.eia1.xlarge"
    #: Second generation, 2 GB accelerator memory.
    EIA2_MEDIUM = "ml.eia2.medium"
    #: Second generation, 4 GB accelerator memory.
    EIA2_LARGE = "ml.eia2.large"
    #: Second generation, 8 GB accelerator memory.
    EIA2_XLARGE = "ml.eia2.xlarge"


#: Accelerator memory of each EI size (the EI developer guide's table), in MB.
_ACCELERATOR_MEMORY_MB = {
    ElasticInferenceAccelerator.EIA1_MEDIUM: 1024,
    ElasticInferenceAccelerator.EIA1_LARGE: 2048,
    ElasticInferenceAccelerator.EIA1_XLARGE: 4096,
    ElasticInferenceAccelerator.EIA2_MEDIUM: 2048,
    ElasticInferenceAccelerator.EIA2_LARGE: 4096,
    ElasticInferenceAccelerator.EIA2_XLARGE: 8192,
}
#: The GPU instance type suggested for the inference components that replace EI: the smallest
#: NVIDIA type (one T4, 16 GB of GPU memory), more than any EI accelerator had.
REPLACEMENT_INSTANCE_TYPE = "ml.g4dn.xlarge"


def accelerator_memory_mb(accelerator: ElasticInferenceAccelerator | str) -> int:
    """The accelerator memory of an EI size, in MB (e.g. 2048 for ``ml.eia2.medium``)."""
    return _ACCELERATOR_MEMORY_MB[ElasticInferenceAccelerator(accelerator)]


def replacement_declaration(model_path: str, accelerator: ElasticInferenceAccelerator | str) -> str:
    """The inference-component declaration that replaces an EI variant serving the model at
    ``model_path`` (its construct path), as the EI warning names it."""
    size = ElasticInferenceAccelerator(accelerator)
    return (
        f"InferenceComponent(scope, id, endpoint=<a component-hosting endpoint on "
        f"{REPLACEMENT_INSTANCE_TYPE}>, model=<{model_path}>, compute=ComputeRequirements("
        f"accelerator_devices=1, min_memory_mb={accelerator_memory_mb(size)})), "
        f"or InferenceComponent.from_elastic_inference_variant(scope, id, variant=<this variant>, endpoint=...)"
    )
