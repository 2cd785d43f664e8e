"""The reference app's configuration: one typed, validated view of the CDK context.

Values come from ``cdk.json`` ("context") and from ``cdk synth -c key=value`` (which arrive as
strings). Keys are plain snake_case names; any other snake_case key is a typo and stops synth,
while CDK's own keys (feature flags ``@aws-cdk/...``, ``aws:cdk:...``, lookup caches with ``:``)
are left alone.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cdk_sagemaker_inference._validation import ValidationError, check_one_of, check_pattern, check_range, fail
from cdk_sagemaker_inference.instance_type import InstanceUse, to_instance_type

_WHERE = "config"
_CFNLINT_CONFIG = Path(__file__).resolve().parent.parent / ".cfnlintrc.yaml"
_OUR_KEY = re.compile(r"[a-z][a-z0-9_]*")
_CONNECTION_ARN = (r"arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:"
                   r"connection/[0-9a-f-]{36}")
_REGION = r"[a-z]{2}(-gov|-iso[a-z]?)?-(north|south|east|west|central|northeast|northwest|southeast|southwest)-\d{1,2}"


def _check_region(key: str, region: str | None) -> None:
    """A region the app deploys to: the compliance gate lints only for the supported ones."""
    check_pattern(_WHERE, key, region, _REGION, "an AWS region name such as eu-west-1")
    if region is not None and region not in supported_regions():
        raise fail(_WHERE, key, "a region where every resource type of the app exists (the regions of "
                   ".cfnlintrc.yaml, which the compliance gate lints for)", region)


class PipelineSource(enum.Enum):
    """Where the deployment pipeline reads the app's source."""

    #: A CodeConnections connection to GitHub, Bitbucket or GitLab.
    CODECONNECTIONS = "codeconnections"
    #: A zip object in a versioned S3 bucket, for accounts without outbound access.
    S3 = "s3"


@dataclasses.dataclass(frozen=True)
class AppConfig:
    """What the reference app deploys. Every field is a context key of the same name."""

    #: Prefix of stack names and of the names SageMaker resources are given. 1-20 characters,
    #: letters, digits and hyphens, starting with a letter.
    name_prefix: str = "inference"
    #: Target account (12 digits). Default: none, the stacks are environment-agnostic.
    account: str | None = None
    #: Target region, e.g. ``eu-west-1``. Default: none, the stacks are environment-agnostic.
    region: str | None = None
    #: Deploy the RealtimeInferenceStack that serves the bundled example pipeline.
    include_realtime: bool = True
    #: Deploy the ElasticInferenceStack (EI is end-of-life at AWS). Default: false.
    include_elastic_inference: bool = False
    #: Deploy the SharedAcceleratorStack (three models on one GPU instance type). Default: false.
    include_shared_accelerator: bool = False
    #: Deploy the ModelRegistryStack and approval-triggered deployment.
    include_registry: bool = True
    #: The model package group already exists (a previous deployment's, retained when its stack was
    #: deleted): the registry stack imports it by name instead of declaring it, since CloudFormation
    #: cannot create a group whose name is taken. Default: false.
    registry_group_exists: bool = False
    #: Deploy the ModelTuningStack: a state machine that tunes the example's XGBoost and, with the
    #: registry, registers the best model for approval. Costs nothing until an execution starts.
    include_tuning: bool = True
    #: Instance type of the real-time endpoint.
    endpoint_instance_type: str = "ml.m5.large"
    #: Instances the endpoint starts with (1-100).
    endpoint_initial_instance_count: int = 2
    #: Autoscaling bounds of the endpoint (1-100, min <= max).
    endpoint_min_capacity: int = 2
    endpoint_max_capacity: int = 4
    #: Invocations a minute one instance should take before autoscaling adds one (1-100000).
    endpoint_invocations_per_instance: int = 200
    #: Percentage of requests data capture records (0-100).
    data_capture_sampling_percentage: int = 20
    #: Deploy the BatchTransformStack: the example scores CSV files created under ``batch/input/``.
    include_batch_transform: bool = True
    #: Instance type of the batch transform jobs.
    batch_instance_type: str = "ml.m5.large"
    #: Ship the app through the DeploymentPipelineStack (CDK Pipelines) instead of deploying the
    #: stacks directly; the pipeline lives in ``account``/``region``. Default: false.
    include_pipeline: bool = False
    #: Where the pipeline gets the source: ``codeconnections`` (GitHub, Bitbucket, GitLab through
    #: a CodeConnections connection) or ``s3`` (a zip object, for accounts without outbound access).
    pipeline_source: str = PipelineSource.CODECONNECTIONS.value
    #: The CodeConnections connection's ARN (``codeconnections`` or ``codestar-connections``).
    pipeline_connection_arn: str | None = None
    #: The repository as ``owner/name``, and the branch whose pushes start the pipeline.
    pipeline_repository: str | None = None
    pipeline_branch: str = "main"
    #: The bucket and key of the source zip (``s3`` source); the bucket must be versioned.
    pipeline_source_bucket: str | None = None
    pipeline_source_key: str = "source.zip"
    #: The staging and production environments the pipeline deploys to.
    staging_account: str | None = None
    staging_region: str | None = None
    production_account: str | None = None
    production_region: str | None = None
    #: Model approvals start the pipeline (the version ARN as a pipeline variable) instead of
    #: updating a stack directly, so every model switch passes staging, the smoke test and the
    #: manual approval. Needs ``include_pipeline`` and ``include_registry``. Default: false.
    pipeline_model_approvals: bool = False
    #: An email address subscribed to the notifications topic (alarms, deployment outcomes); it must
    #: confirm the subscription. Default: none, nobody is notified until someone subscribes.
    notification_email: str | None = None

    @classmethod
    def from_context(cls, context: Mapping[str, Any]) -> AppConfig:
        """Reads and validates the config; raises ValidationError naming the key, value and rule."""
        fields = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in context.items():
            if not _OUR_KEY.fullmatch(key):
                continue
            if key not in fields:
                raise fail(_WHERE, key, "a known key: " + ", ".join(sorted(fields)), raw)
            values[key] = _coerce(key, raw, fields[key].type)
        config = cls(**values)
        config._validate()
        return config

    def _validate(self) -> None:
        check_pattern(_WHERE, "name_prefix", self.name_prefix, r"[a-zA-Z][a-zA-Z0-9-]{0,19}",
                      "1-20 letters, digits or hyphens starting with a letter (SageMaker names allow no '_')")
        check_pattern(_WHERE, "account", self.account, r"\d{12}", "a 12-digit AWS account ID")
        _check_region("region", self.region)
        to_instance_type(_WHERE, "endpoint_instance_type", self.endpoint_instance_type, InstanceUse.HOSTING)
        check_range(_WHERE, "endpoint_initial_instance_count", self.endpoint_initial_instance_count, 1, 100)
        check_range(_WHERE, "endpoint_min_capacity", self.endpoint_min_capacity, 1, 100)
        check_range(_WHERE, "endpoint_max_capacity", self.endpoint_max_capacity, self.endpoint_min_capacity, 100)
        check_range(_WHERE, "endpoint_invocations_per_instance", self.endpoint_invocations_per_instance, 1, 100000)
        if self.include_registry and not self.include_realtime:
            raise fail(_WHERE, "include_registry", "false when include_realtime is false (approvals deploy "
                       "to the real-time endpoint)", self.include_registry)
        check_range(_WHERE, "data_capture_sampling_percentage", self.data_capture_sampling_percentage, 0, 100)
        check_pattern(_WHERE, "notification_email", self.notification_email, r"[^@\s]+@[^@\s]+\.[^@\s]+",
                      "an email address such as team@example.com")
        to_instance_type(_WHERE, "batch_instance_type", self.batch_instance_type, InstanceUse.TRANSFORM)
        self._validate_pipeline()

    def _validate_pipeline(self) -> None:
        """The pipeline's keys; a pipeline needs every environment and a complete source."""
        check_one_of(_WHERE, "pipeline_source", self.pipeline_source, [s.value for s in PipelineSource])
        check_pattern(_WHERE, "pipeline_connection_arn", self.pipeline_connection_arn, _CONNECTION_ARN,
                      "a CodeConnections connection ARN such as "
                      "arn:aws:codeconnections:eu-west-1:123456789012:connection/<id>")
        check_pattern(_WHERE, "pipeline_repository", self.pipeline_repository, r"[\w.-]+(/[\w.-]+)+",
                      "owner/name of a repository")
        check_pattern(_WHERE, "pipeline_branch", self.pipeline_branch, r"[^\s~^:?*\[\\]{1,255}",
                      "a git branch name")
        check_pattern(_WHERE, "pipeline_source_bucket", self.pipeline_source_bucket,
                      r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", "an S3 bucket name")
        check_pattern(_WHERE, "pipeline_source_key", self.pipeline_source_key, r"\S.{0,1023}", "an S3 object key")
        for stage in ("staging", "production"):
            check_pattern(_WHERE, f"{stage}_account", getattr(self, f"{stage}_account"), r"\d{12}",
                          "a 12-digit AWS account ID")
            _check_region(f"{stage}_region", getattr(self, f"{stage}_region"))
        if self.pipeline_model_approvals and not self.include_pipeline:
            raise fail(_WHERE, "pipeline_model_approvals", "false when include_pipeline is false",
                       self.pipeline_model_approvals)
        if not self.include_pipeline:
            return
        # CDK Pipelines deploys across accounts only from a pipeline stack with a concrete environment.
        for key in ("account", "region", "staging_account", "staging_region", "production_account",
                    "production_region"):
            _require(key, getattr(self, key), "set when include_pipeline is true")
        if self.pipeline_source == PipelineSource.CODECONNECTIONS.value:
            for key in ("pipeline_connection_arn", "pipeline_repository"):
                _require(key, getattr(self, key), "set when pipeline_source is codeconnections")
        else:
            _require("pipeline_source_bucket", self.pipeline_source_bucket, "set when pipeline_source is s3")
        staging = (self.staging_account, self.staging_region)
        if self.include_registry and not self.pipeline_model_approvals and staging == (
                self.production_account, self.production_region):
            # Each stage declares its registry then, and a group's name is unique in an account and region.
            raise fail(_WHERE, "production_account and production_region",
                       "another account or region than staging's when include_registry is true (both stages would "
                       f"declare the model package group {self.name_prefix}-breast-cancer), unless "
                       "pipeline_model_approvals is true (one registry, whose approvals start the pipeline)",
                       "/".join(str(part) for part in staging))
        if self.pipeline_model_approvals:
            if not self.include_registry:
                raise fail(_WHERE, "pipeline_model_approvals", "false when include_registry is false "
                           "(approvals come from the registry)", self.pipeline_model_approvals)
            # A version ARN names one account and region, and the served-version parameter accepts
            # only versions of the stack's own account and region.
            for stage in ("staging", "production"):
                where = (getattr(self, f"{stage}_account"), getattr(self, f"{stage}_region"))
                if where != (self.account, self.region):
                    raise fail(_WHERE, "pipeline_model_approvals",
                               f"false when {stage} is not the pipeline's account and region (a version ARN "
                               f"names one account and region)", self.pipeline_model_approvals)

    @property
    def pipeline_source_kind(self) -> PipelineSource:
        """``pipeline_source`` as the enum."""
        return PipelineSource(self.pipeline_source)


@functools.cache
def supported_regions() -> tuple[str, ...]:
    """The regions the app accepts: the ``regions`` of ``.cfnlintrc.yaml`` (see its comment), read once."""
    import yaml  # type: ignore[import-untyped]  # cfn-lint's dependency, installed with the gate

    return tuple(yaml.safe_load(_CFNLINT_CONFIG.read_text())["regions"])


def _require(key: str, value: Any, when: str) -> None:
    if value is None:
        raise fail(_WHERE, key, when, value)


def _coerce(key: str, raw: Any, annotation: Any) -> Any:
    """Turns a context value (typed from cdk.json, a string from ``-c``) into the field's type."""
    kind = str(annotation)
    if kind == "bool":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        raise fail(_WHERE, key, "true or false", raw)
    if kind == "int":
        if isinstance(raw, int) and not isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and re.fullmatch(r"-?\d+", raw):
            return int(raw)
        raise fail(_WHERE, key, "a whole number", raw)
    if raw is None and "None" in kind:
        return None
    if isinstance(raw, str):
        return raw
    raise fail(_WHERE, key, "a string", raw)


__all__ = ["AppConfig", "PipelineSource", "ValidationError"]
