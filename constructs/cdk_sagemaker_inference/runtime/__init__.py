"""The CDK-free layer: everything here needs only boto3 (and the standard library).

Calling endpoints (:class:`Predictor` and the serializers), reading and deciding on registry
versions (:class:`RegistryClient`), the prebuilt framework images (:func:`framework_image`), a batch
transform job's semantics (:class:`TransformSettings`), a tuning job's report (:mod:`.tuning_report`,
whose plots also need matplotlib, the ``[report]`` extra) and the command line (:mod:`.cli`). The
constructs may use this layer; it never imports aws-cdk-lib, jsii or cdk-nag, so user code and
Lambda functions import it without starting Node.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_getattr

if TYPE_CHECKING:
    from .enums import ModelApprovalStatus
    from .frameworks import (
        Framework,
        FrameworkImage,
        Processor,
        UnknownFrameworkImageError,
        framework_image,
        framework_versions,
    )
    from .predictor import (
        EndpointNotFoundError,
        InvocationError,
        InvocationValidationError,
        ModelError,
        Predictor,
        ThrottledError,
    )
    from .registry_client import (
        RegistryClient,
        RegistryError,
        UnknownModelPackageGroupError,
        UnknownModelPackageVersionError,
    )
    from .serializers import (
        BytesDeserializer,
        BytesSerializer,
        ContentType,
        CSVDeserializer,
        CSVSerializer,
        Deserializer,
        JSONDeserializer,
        JSONSerializer,
        ListDeserializer,
        ListSerializer,
        SerializationError,
        Serializer,
        StringDeserializer,
    )
    from .transform_client import JOB_NOT_CREATED, TransformClient, TransformError, TransformRun, UnknownRunError
    from .transform_settings import (
        AssembleWith,
        BatchStrategy,
        CompressionType,
        JoinSource,
        SplitType,
        TransformSettings,
        TransformSettingsError,
    )

#: Each name's module, imported on first use: the constructs need only the framework data and
#: enums, and a synth should not import botocore for the Predictor it never calls.
_LAZY = {
    "Framework": "frameworks",
    "FrameworkImage": "frameworks",
    "Processor": "frameworks",
    "UnknownFrameworkImageError": "frameworks",
    "framework_image": "frameworks",
    "framework_versions": "frameworks",
    "EndpointNotFoundError": "predictor",
    "InvocationError": "predictor",
    "InvocationValidationError": "predictor",
    "ModelError": "predictor",
    "Predictor": "predictor",
    "ThrottledError": "predictor",
    "ModelApprovalStatus": "enums",
    "RegistryClient": "registry_client",
    "RegistryError": "registry_client",
    "UnknownModelPackageGroupError": "registry_client",
    "UnknownModelPackageVersionError": "registry_client",
    "BytesDeserializer": "serializers",
    "BytesSerializer": "serializers",
    "ContentType": "serializers",
    "CSVDeserializer": "serializers",
    "CSVSerializer": "serializers",
    "Deserializer": "serializers",
    "JSONDeserializer": "serializers",
    "JSONSerializer": "serializers",
    "ListDeserializer": "serializers",
    "ListSerializer": "serializers",
    "SerializationError": "serializers",
    "Serializer": "serializers",
    "StringDeserializer": "serializers",
    "JOB_NOT_CREATED": "transform_client",
    "TransformClient": "transform_client",
    "TransformError": "transform_client",
    "TransformRun": "transform_client",
    "UnknownRunError": "transform_client",
    "AssembleWith": "transform_settings",
    "BatchStrategy": "transform_settings",
    "CompressionType": "transform_settings",
    "JoinSource": "transform_settings",
    "SplitType": "transform_settings",
    "TransformSettings": "transform_settings",
    "TransformSettingsError": "transform_settings",
}


__getattr__ = lazy_getattr(__name__, _LAZY, globals())


__all__ = [
    "AssembleWith",
    "BatchStrategy",
    "CompressionType",
    "JoinSource",
    "SplitType",
    "TransformSettings",
    "TransformSettingsError",
    "BytesDeserializer",
    "BytesSerializer",
    "CSVDeserializer",
    "CSVSerializer",
    "ContentType",
    "Deserializer",
    "EndpointNotFoundError",
    "Framework",
    "FrameworkImage",
    "InvocationError",
    "InvocationValidationError",
    "JOB_NOT_CREATED",
    "JSONDeserializer",
    "JSONSerializer",
    "ListDeserializer",
    "ListSerializer",
    "ModelApprovalStatus",
    "ModelError",
    "Predictor",
    "Processor",
    "RegistryClient",
    "RegistryError",
    "SerializationError",
    "Serializer",
    "StringDeserializer",
    "ThrottledError",
    "TransformClient",
    "TransformError",
    "TransformRun",
    "UnknownFrameworkImageError",
    "UnknownModelPackageGroupError",
    "UnknownModelPackageVersionError",
    "UnknownRunError",
    "framework_image",
    "framework_versions",
]
