"""cdk-sagemaker-inference: AWS CDK constructs for serving models on Amazon SageMaker.

The runtime layer (:mod:`.runtime`: Predictor, RegistryClient, serializers, framework images) needs
only boto3 and is imported at once; the constructs import aws-cdk-lib, which starts jsii on Node, so
they are imported on first use. That keeps ``python -m cdk_sagemaker_inference`` and a Lambda that
uses the Predictor fast and CDK-free.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .runtime import (
    AssembleWith,
    BatchStrategy,
    BytesDeserializer,
    BytesSerializer,
    CompressionType,
    ContentType,
    CSVDeserializer,
    CSVSerializer,
    Deserializer,
    EndpointNotFoundError,
    Framework,
    InvocationError,
    InvocationValidationError,
    JoinSource,
    JSONDeserializer,
    JSONSerializer,
    ListDeserializer,
    ListSerializer,
    ModelApprovalStatus,
    ModelError,
    Predictor,
    Processor,
    RegistryClient,
    RegistryError,
    SerializationError,
    Serializer,
    SplitType,
    StringDeserializer,
    ThrottledError,
    TransformSettings,
    TransformSettingsError,
    UnknownModelPackageGroupError,
    UnknownModelPackageVersionError,
)

if TYPE_CHECKING:
    from ._iam import ManagedPolicyGrant
    from ._validation import ValidationError
    from .accelerator import ElasticInferenceAccelerator
    from .approval import ApprovalDeployment, DeploymentTrigger, IModelPackageGroupRef
    from .compliance import RULE_PACKS, acknowledge, apply_compliance_gate
    from .container_image import (
        ContainerImage,
        ContainerImageConfig,
        FrameworkEnvironment,
    )
    from .deployment import BlueGreenDeployment, TrafficRouting, TrafficRoutingType
    from .endpoint import Endpoint, EndpointBase, EndpointVariant
    from .endpoint_config import (
        DataCapture,
        EndpointConfig,
        IEndpointConfig,
        InstanceVariant,
        ManagedInstanceScaling,
        RoutingStrategy,
        ServerlessVariant,
    )
    from .inference_component import ComputeRequirements, IInferenceComponent, InferenceComponent
    from .instance_type import InstanceType
    from .local_model import local_pipeline, local_transform
    from .model import (
        ContainerDefinition,
        ContainerSpec,
        IModel,
        InferenceExecutionMode,
        InferencePipelineModel,
        IServedModelPackage,
        Model,
        ModelOptions,
    )
    from .model_data import ModelData, ModelDataConfig
    from .model_package import MetricsReport, ModelMetrics, ModelPackageVersion
    from .realtime import RealtimeEndpoint
    from .registry import IModelPackageGroup, ModelPackageGroup
    from .retained_asset import RetainedAsset
    from .scaling import CopyAutoScaling, VariantAutoScaling
    from .served_version import ServedModelPackage
    from .served_version_switch import ServedVersionSwitch
    from .shared_resources import SharedResources
    from .transform import BatchTransform, TransformSource
    from .tuning import (
        BestModelRegistration,
        CategoricalRange,
        ContinuousRange,
        HyperparameterTuning,
        IntegerRange,
        ObjectiveType,
        ScalingType,
        TrainingAlgorithm,
        TrainingData,
        TuningObjective,
        TuningStrategy,
    )

_LAZY = {
    "ValidationError": "_validation",
    "ElasticInferenceAccelerator": "accelerator",
    "ApprovalDeployment": "approval",
    "DeploymentTrigger": "approval",
    "IModelPackageGroupRef": "approval",
    "RULE_PACKS": "compliance",
    "acknowledge": "compliance",
    "apply_compliance_gate": "compliance",
    "ContainerImage": "container_image",
    "ContainerImageConfig": "container_image",
    "FrameworkEnvironment": "container_image",
    "ManagedPolicyGrant": "_iam",
    "BlueGreenDeployment": "deployment",
    "TrafficRouting": "deployment",
    "TrafficRoutingType": "deployment",
    "Endpoint": "endpoint",
    "EndpointBase": "endpoint",
    "EndpointVariant": "endpoint",
    "DataCapture": "endpoint_config",
    "EndpointConfig": "endpoint_config",
    "IEndpointConfig": "endpoint_config",
    "InstanceVariant": "endpoint_config",
    "ManagedInstanceScaling": "endpoint_config",
    "RoutingStrategy": "endpoint_config",
    "ServerlessVariant": "endpoint_config",
    "RealtimeEndpoint": "realtime",
    "VariantAutoScaling": "scaling",
    "ComputeRequirements": "inference_component",
    "CopyAutoScaling": "scaling",
    "IInferenceComponent": "inference_component",
    "InferenceComponent": "inference_component",
    "InstanceType": "instance_type",
    "local_pipeline": "local_model",
    "local_transform": "local_model",
    "ContainerDefinition": "model",
    "ContainerSpec": "model",
    "IModel": "model",
    "IServedModelPackage": "model",
    "InferenceExecutionMode": "model",
    "InferencePipelineModel": "model",
    "Model": "model",
    "ModelOptions": "model",
    "ModelData": "model_data",
    "ModelDataConfig": "model_data",
    "MetricsReport": "model_package",
    "ModelMetrics": "model_package",
    "ModelPackageVersion": "model_package",
    "IModelPackageGroup": "registry",
    "ModelPackageGroup": "registry",
    "RetainedAsset": "retained_asset",
    "ServedModelPackage": "served_version",
    "ServedVersionSwitch": "served_version_switch",
    "SharedResources": "shared_resources",
    "BatchTransform": "transform",
    "TransformSource": "transform",
    "BestModelRegistration": "tuning",
    "CategoricalRange": "tuning",
    "ContinuousRange": "tuning",
    "HyperparameterTuning": "tuning",
    "IntegerRange": "tuning",
    "ObjectiveType": "tuning",
    "ScalingType": "tuning",
    "TrainingAlgorithm": "tuning",
    "TrainingData": "tuning",
    "TuningObjective": "tuning",
    "TuningStrategy": "tuning",
}


def __getattr__(name: str) -> Any:
    """Imports a construct module the first time one of its names is used."""
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "ApprovalDeployment",
    "AssembleWith",
    "BatchStrategy",
    "BatchTransform",
    "BestModelRegistration",
    "BlueGreenDeployment",
    "BytesDeserializer",
    "BytesSerializer",
    "CSVDeserializer",
    "CSVSerializer",
    "CategoricalRange",
    "CompressionType",
    "ComputeRequirements",
    "ContainerDefinition",
    "ContainerImage",
    "ContainerImageConfig",
    "ContainerSpec",
    "ContentType",
    "ContinuousRange",
    "CopyAutoScaling",
    "DataCapture",
    "DeploymentTrigger",
    "Deserializer",
    "ElasticInferenceAccelerator",
    "Endpoint",
    "EndpointBase",
    "EndpointConfig",
    "EndpointNotFoundError",
    "EndpointVariant",
    "Framework",
    "FrameworkEnvironment",
    "HyperparameterTuning",
    "IEndpointConfig",
    "IInferenceComponent",
    "IModel",
    "IModelPackageGroup",
    "IModelPackageGroupRef",
    "IServedModelPackage",
    "InferenceComponent",
    "InferenceExecutionMode",
    "InferencePipelineModel",
    "InstanceType",
    "InstanceVariant",
    "IntegerRange",
    "InvocationError",
    "InvocationValidationError",
    "JSONDeserializer",
    "JSONSerializer",
    "JoinSource",
    "ListDeserializer",
    "ListSerializer",
    "ManagedInstanceScaling",
    "ManagedPolicyGrant",
    "MetricsReport",
    "Model",
    "ModelApprovalStatus",
    "ModelData",
    "ModelDataConfig",
    "ModelError",
    "ModelMetrics",
    "ModelOptions",
    "ModelPackageGroup",
    "ModelPackageVersion",
    "ObjectiveType",
    "Predictor",
    "Processor",
    "RULE_PACKS",
    "RealtimeEndpoint",
    "RegistryClient",
    "RegistryError",
    "RetainedAsset",
    "RoutingStrategy",
    "ScalingType",
    "SerializationError",
    "Serializer",
    "ServedModelPackage",
    "ServedVersionSwitch",
    "ServerlessVariant",
    "SharedResources",
    "SplitType",
    "StringDeserializer",
    "ThrottledError",
    "TransformSettings",
    "TransformSettingsError",
    "TrafficRouting",
    "TrafficRoutingType",
    "TrainingAlgorithm",
    "TrainingData",
    "TransformSource",
    "TuningObjective",
    "TuningStrategy",
    "UnknownModelPackageGroupError",
    "UnknownModelPackageVersionError",
    "ValidationError",
    "VariantAutoScaling",
    "acknowledge",
    "apply_compliance_gate",
    "local_pipeline",
    "local_transform",
]
