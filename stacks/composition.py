"""The reference app's stacks, composed once: the App (laptop deploys) and every pipeline Stage use it."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Environment
from cdk_sagemaker_inference import InstanceType
from constructs import Construct

from .batch_transform_stack import BatchTransformStack
from .config import AppConfig
from .elastic_inference_stack import ElasticInferenceStack
from .model_registry_stack import ModelRegistryStack
from .realtime_inference_stack import RealtimeInferenceStack
from .shared_accelerator_stack import SharedAcceleratorStack
from .shared_resources_stack import SharedResourcesStack


@dataclass(frozen=True)
class InferenceStacks:
    """The stacks :func:`add_inference_stacks` declared (None for those the config leaves out)."""

    shared: SharedResourcesStack
    realtime: RealtimeInferenceStack | None
    registry: ModelRegistryStack | None
    elastic_inference: ElasticInferenceStack | None
    shared_accelerator: SharedAcceleratorStack | None = None
    batch: BatchTransformStack | None = None


def add_inference_stacks(
    scope: Construct,
    config: AppConfig,
    env: Environment,
    *,
    pipeline_name: str | None = None,
    include_registry: bool | None = None,
) -> InferenceStacks:
    """Declares the shared, real-time, registry, batch transform and Elastic Inference stacks the config asks for.

    :param scope: the App, or a Stage of the deployment pipeline.
    :param env: the account and region of every stack.
    :param pipeline_name: the deployment pipeline that approvals start (in the registry's account and
        region). Default: None, an approval updates the real-time stack's ``ServedModelPackageArn``.
    :param include_registry: declare the registry stack here. Default: None, as ``config.include_registry``
        says (a pipeline's staging stage serves the production registry's versions without its own).
    """
    prefix = config.name_prefix
    shared = SharedResourcesStack(
        scope, f"{prefix}-shared", env=env, notification_email=config.notification_email,
        description="cdk-sagemaker-inference: KMS key, artifacts bucket, notifications",
    )
    group_name = f"{prefix}-breast-cancer"
    realtime = registry = elastic_inference = None
    if config.include_realtime:
        realtime = RealtimeInferenceStack(
            scope, f"{prefix}-realtime", env=env, shared=shared.resources, config=config,
            registry_group_name=group_name if config.include_registry else None,
            description="cdk-sagemaker-inference: the example pipeline on a real-time endpoint",
        )
    # Before the registry, whose approvals switch this stack too.
    batch = None
    if config.include_batch_transform:
        batch = BatchTransformStack(
            scope, f"{prefix}-batch", env=env, shared=shared.resources, config=config,
            registry_group_name=group_name if config.include_registry else None,
            description="cdk-sagemaker-inference: the example pipeline scores CSV files in batch",
        )
    if realtime is not None and (config.include_registry if include_registry is None else include_registry):
        registry = ModelRegistryStack(
            scope, f"{prefix}-registry", env=env, shared=shared.resources, group_name=group_name,
            endpoint_stack=realtime, batch_stack=batch,
            instance_type=InstanceType.of(config.endpoint_instance_type),
            pipeline_name=pipeline_name, group_exists=config.registry_group_exists,
            description="cdk-sagemaker-inference: model registry and approval-triggered deployment",
        )
        # The first version points at the model archives the realtime stack publishes: deploying
        # the registry alone (or with --concurrency) must not register a version before they exist.
        registry.add_stack_dependency(realtime, "registers a version whose artifacts the realtime stack publishes")
    if config.include_elastic_inference:
        elastic_inference = ElasticInferenceStack(
            scope, f"{prefix}-elastic-inference", env=env, shared=shared.resources,
            description="cdk-sagemaker-inference: an Elastic Inference endpoint config (end of life)",
        )
    shared_accelerator = None
    if config.include_shared_accelerator:
        shared_accelerator = SharedAcceleratorStack(
            scope, f"{prefix}-shared-accelerator", env=env, shared=shared.resources,
            description="cdk-sagemaker-inference: three models sharing a GPU instance type as inference components",
        )
    return InferenceStacks(shared, realtime, registry, elastic_inference, shared_accelerator, batch)
