"""ContainerImage: the image a SageMaker model container runs, and its factories.

The prebuilt images' versions, tags and registry accounts per region are data, resolved by the
CDK-free :mod:`.runtime.frameworks`; nothing here calls AWS at synth.
"""

from __future__ import annotations

import abc
import json
import logging
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import Aws, CfnMapping, Stack, region_info
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_iam as iam
from constructs import Construct, IConstruct

from ._asset_binder import AssetBinder
from ._iam import ManagedPolicyGrant
from ._stack_env import StackEnvironment, environment_of
from ._validation import check, check_one_of, check_pattern, fail, is_token, to_enum
from .runtime.frameworks import (
    Framework,
    FrameworkImage,
    Processor,
    UnknownFrameworkImageError,
    framework_image,
)

__all__ = ["ContainerImage", "ContainerImageConfig", "Framework", "FrameworkEnvironment", "Processor"]


@dataclass(frozen=True)
class ContainerImageConfig:
    """What a model container needs to know about its image after binding."""

    #: The image URI (may hold deploy-time tokens).
    image_uri: str
    #: The image can use an Elastic Inference accelerator.
    elastic_inference_capable: bool


class ContainerImage(abc.ABC):
    """The image of a model container. Create one with the static factories."""

    @staticmethod
    def sagemaker_builtin(
        framework: Framework | str, version: str, *, processor: Processor | str = Processor.CPU
    ) -> ContainerImage:
        """A SageMaker prebuilt inference image, e.g. ``(Framework.SKLEARN, "1.2-1")``.

        :param framework: which prebuilt image: a ``Framework`` or its value (``"sklearn"``).
        :param version: the framework version, full (``"2.1.0"``) or the SageMaker SDK's short form
            (``"2.1"``), which pins the full version the SDK maps it to; the known ones are listed
            in the error otherwise.
        :param processor: the image's processor: a ``Processor`` or its value (``"gpu"``). Default:
            CPU, because every prebuilt image has a CPU build and the Elastic Inference images have
            only that.
        """
        where = "ContainerImage.sagemaker_builtin"
        framework = to_enum(where, "framework", framework, Framework)
        return _BuiltinImage(framework, version, to_enum(where, "processor", processor, Processor))

    @staticmethod
    def from_ecr_repository(
        repository: ecr.IRepository,
        *,
        tag: str | None = None,
        digest: str | None = None,
        elastic_inference_capable: bool = False,
    ) -> ContainerImage:
        """An image in an ECR repository, by ``tag`` or by ``digest`` (exactly one of them).

        :param tag: the image tag. Default: none; a digest pins the image better, since a tag can move.
        :param digest: the image digest, ``sha256:<64 hex digits>``. Default: none.
        :param elastic_inference_capable: the image is built for Elastic Inference. Default: False.
        """
        where = "ContainerImage.from_ecr_repository"
        check(where, (tag is None) != (digest is None), "tag or digest", "exactly one of them", (tag, digest))
        check_pattern(where, "tag", tag, r"[a-zA-Z0-9_][a-zA-Z0-9_.-]{0,127}",
                      "1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'")
        check_pattern(where, "digest", digest, r"sha256:[a-f0-9]{64}", "sha256:<64 lowercase hex digits>")
        return _EcrImage(repository, tag, digest, elastic_inference_capable)

    @staticmethod
    def from_asset(
        directory: str,
        *,
        file: str | None = None,
        build_args: Mapping[str, str] | None = None,
        platform: ecr_assets.Platform | None = None,
        elastic_inference_capable: bool = False,
    ) -> ContainerImage:
        """An image built from ``directory`` by the CDK CLI at deploy (synth only stages the folder).

        :param file: the Dockerfile, relative to ``directory``. Default: ``Dockerfile``.
        :param build_args: ``docker build --build-arg`` values. Default: none.
        :param platform: the build platform. Default: linux/amd64, because SageMaker's x86 instances
            run it and a build on an ARM laptop would otherwise produce an image they cannot run.
        :param elastic_inference_capable: the image is built for Elastic Inference. Default: False.
        """
        # Looked up here, not as the default: asking aws-cdk-lib for it loads aws-ecr-assets in Node,
        # which every synth importing this module would pay.
        platform = platform or ecr_assets.Platform.LINUX_AMD64
        return _AssetImage(directory, file, dict(build_args or {}), platform, elastic_inference_capable)

    @abc.abstractmethod
    def bind(self, scope: Construct, grantee: iam.IGrantable) -> ContainerImageConfig:
        """Grants ``grantee`` (the model's role) pull access to this image and returns its URI.

        :param scope: the model using the image (where errors point and assets are created).
        """

    def image_uri_in(self, scope: IConstruct, bound_uri: str) -> str:
        """``bound_uri`` (what ``bind`` returned) as a resource in ``scope``'s stack should name it,
        e.g. a registry version in another stack than the model's. Default: ``bound_uri``, which
        aws-cdk-lib makes valid in any stack of the app (a reference to another stack becomes an
        export). A prebuilt image looks its registry account up in that stack's own mapping."""
        return bound_uri


class _BuiltinImage(ContainerImage):
    def __init__(self, framework: Framework, version: str, processor: Processor) -> None:
        try:
            self._image = framework_image(framework, version, processor)
        except UnknownFrameworkImageError as error:
            where = f"ContainerImage.sagemaker_builtin(Framework.{framework.name})"
            raise fail(where, error.prop, "one of " + ", ".join(map(repr, error.allowed)), error.value) from None
        # The URI and the repository's ARN in each stack that uses the image: every container of
        # every model there shares them (each is a few jsii round trips to work out).
        # Weak: an image (often a module constant) must not keep every stack, and its app, alive.
        self._by_stack: weakref.WeakKeyDictionary[Stack, tuple[str, str]] = weakref.WeakKeyDictionary()

    def bind(self, scope: Construct, grantee: iam.IGrantable) -> ContainerImageConfig:
        uri, repository_arn = self._in_stack_of(scope)
        ManagedPolicyGrant.add_statement(
            grantee=grantee,
            actions=["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            resource_arns=[repository_arn],
        )
        # ecr.AuthorizationToken.grant_read's statement (the token has no resource type), added
        # without its round trips through jsii.
        ManagedPolicyGrant.add_statement(grantee=grantee, actions=["ecr:GetAuthorizationToken"], resource_arns=["*"])
        return ContainerImageConfig(image_uri=uri, elastic_inference_capable=self._image.elastic_inference)

    def image_uri_in(self, scope: IConstruct, bound_uri: str) -> str:
        """The URI that looks the registry account up in ``scope``'s stack's own mapping."""
        return self._in_stack_of(scope)[0]

    def _in_stack_of(self, scope: IConstruct) -> tuple[str, str]:
        environment = environment_of(scope)
        located = self._by_stack.get(environment.stack)
        if located is None:
            located = self._by_stack[environment.stack] = self._locate(scope, environment)
        return located

    def _locate(self, scope: IConstruct, environment: StackEnvironment) -> tuple[str, str]:
        """The image's URI and its repository's ARN for models in ``environment``'s stack."""
        image, region = self._image, environment.region
        if is_token(region):
            account = _registry_account(environment.stack, image)
            host = f"{account}.dkr.ecr.{Aws.REGION}.{Aws.URL_SUFFIX}"
        else:
            check(scope, region in image.accounts, "region",
                  f"one of {', '.join(image.regions)} (where {image.repository}:{image.tag} is published)",
                  region)
            account = image.accounts[region]
            suffix = region_info.RegionInfo.get(region).domain_suffix
            host = f"{account}.dkr.ecr.{region}.{suffix}"
        repository_arn = environment.arn("ecr", "repository", image.repository, account=account)
        return f"{host}/{image.repository}:{image.tag}", repository_arn


def _registry_account(stack: Stack, image: FrameworkImage) -> str:
    """``image``'s registry account in ``stack``'s deploy-time region: ``Fn::FindInMap`` on a mapping
    of that stack, ``SageMakerImage<Framework><Version>``, which holds only the regions where that
    version is published. Deploying to any other region fails at ``Fn::FindInMap`` before a resource
    is created, instead of pointing a model at an image that does not exist there.

    One mapping per image and stack, written whole when it is created (one call into jsii, where
    adding an image to a shared mapping is a call per region). A stack that uses an image declared
    in another stack (a registry version of its model) resolves it against a mapping of its own
    (``ContainerSpec.image_uri_in``), not a copy aws-cdk-lib would make and report on every synth.
    """
    accounts = _ACCOUNTS.setdefault(stack, {})
    # CloudFormation allows only letters and digits here: 2.1.0 -> 2p1p0, 1.7-1 -> 1p7r1 (one-to-one).
    framework = "".join(word.title() for word in image.framework.value.split("-"))
    key = framework + image.version.replace(".", "p").replace("-", "r")
    if key not in accounts:
        # lazy=False said explicitly: the mapping is always rendered (without it aws-cdk-lib
        # prints an INFO suggesting lazy mappings).
        mapping = CfnMapping(stack, f"SageMakerImage{key}", lazy=False, mapping={
            region: {_ACCOUNT_KEY: account} for region, account in image.accounts.items()})
        accounts[key] = mapping.find_in_map(Aws.REGION, _ACCOUNT_KEY)
    return accounts[key]


_ACCOUNT_KEY = "Account"
#: The registry-account lookup of each image (by its mapping key) in each stack (weak: a stack is
#: forgotten with its app).
_ACCOUNTS: weakref.WeakKeyDictionary[Stack, dict[str, str]] = weakref.WeakKeyDictionary()


class _EcrImage(ContainerImage):
    def __init__(
        self, repository: ecr.IRepository, tag: str | None, digest: str | None, elastic_inference: bool
    ) -> None:
        self._repository = repository
        self._tag_or_digest = tag or digest
        self._elastic_inference = elastic_inference

    def bind(self, scope: Construct, grantee: iam.IGrantable) -> ContainerImageConfig:
        self._repository.grant_pull(ManagedPolicyGrant.principal(grantee))
        return ContainerImageConfig(
            image_uri=self._repository.repository_uri_for_tag_or_digest(self._tag_or_digest),
            elastic_inference_capable=self._elastic_inference,
        )


class _AssetImage(ContainerImage):
    def __init__(
        self,
        directory: str,
        file: str | None,
        build_args: dict[str, str],
        platform: ecr_assets.Platform,
        elastic_inference: bool,
    ) -> None:
        self._props: dict[str, Any] = {
            "directory": directory, "file": file, "build_args": build_args, "platform": platform
        }
        self._elastic_inference = elastic_inference

    def bind(self, scope: Construct, grantee: iam.IGrantable) -> ContainerImageConfig:
        # One asset per stack and source, however many models there use it (see _asset_binder.py).
        asset = AssetBinder.of(scope).image(**self._props)
        asset.repository.grant_pull(ManagedPolicyGrant.principal(grantee))
        return ContainerImageConfig(image_uri=asset.image_uri, elastic_inference_capable=self._elastic_inference)


class FrameworkEnvironment:
    """Environment variables SageMaker's prebuilt serving containers read."""

    @staticmethod
    def sklearn(
        *,
        program: str,
        submit_directory: str = "/opt/ml/model/code",
        default_accept: str | None = None,
        log_level: int = logging.INFO,
        region: str | None = None,
    ) -> dict[str, str]:
        """The scikit-learn (and XGBoost framework-mode) serving container's variables.

        :param program: the entry script, e.g. ``inference.py``.
        :param submit_directory: where the code is. Default: ``/opt/ml/model/code``, the code inside
            model.tar.gz, because with network isolation the container cannot download a sourcedir.
        :param default_accept: the response type when a request has no Accept header. Default: none
            (the container's own, JSON); set ``text/csv`` so a pipeline's next container gets CSV.
        :param log_level: a ``logging`` level. Default: ``logging.INFO``.
        :param region: ``SAGEMAKER_REGION``. Default: unset; the container finds its region itself.
        """
        where = "FrameworkEnvironment.sklearn"
        check_pattern(where, "program", program, r"[^/\s][^\s]*", "a script file name without spaces")
        check_one_of(where, "log_level", log_level,
                     [logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL])
        environment = {
            "SAGEMAKER_PROGRAM": program,
            "SAGEMAKER_SUBMIT_DIRECTORY": submit_directory,
            "SAGEMAKER_CONTAINER_LOG_LEVEL": str(log_level),
        }
        if default_accept is not None:
            environment["SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT"] = default_accept
        if region is not None:
            environment["SAGEMAKER_REGION"] = region
        return environment

    @staticmethod
    def sparkml(schema: Mapping[str, Any]) -> dict[str, str]:
        """The SparkML serving container's ``SAGEMAKER_SPARKML_SCHEMA``.

        :param schema: ``{"input": [{"name", "type"}...], "output": {"name", "type"[, "struct"]}}``.
        """
        where = "FrameworkEnvironment.sparkml"
        inputs = schema.get("input")
        check(where, isinstance(inputs, list) and len(inputs) > 0, "schema['input']",
              "a non-empty list of {'name', 'type'} columns", inputs)
        output = schema.get("output")
        if not (isinstance(output, Mapping) and {"name", "type"} <= output.keys()):
            raise fail(where, "schema['output']", "a {'name', 'type'} column", output)
        return {"SAGEMAKER_SPARKML_SCHEMA": json.dumps(schema, separators=(",", ":"))}

