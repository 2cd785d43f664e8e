"""HyperparameterTuning: a SageMaker tuning job run by Step Functions, and the winner into the registry.

CloudFormation has no tuning-job resource, so the construct declares a state machine; each
execution is one tuning job:

1. ``Name`` (Pass): ``<prefix>-<12 hex digits of a UUID>``, at most 32 characters, new for every
   execution and kept in the state, so a retried step reuses it.
2. ``Tune``: ``sagemaker:createHyperParameterTuningJob.sync`` waits until the job ends.
3. ``HasBest`` (Choice): a job whose every training job failed has no ``BestTrainingJob``.
4. With ``registration``: ``DescribeBest`` (the winner's artifacts), ``WriteMetrics`` (a JSON report
   of the objective and the winning hyperparameters, next to the job's output), ``Register``
   (``CreateModelPackage``: PendingManualApproval, the report as model quality metrics, the
   hyperparameters and objective as customer metadata, the job name as idempotency token).
5. ``NotifySuccess`` or ``NotifyFailure``: the outcome as JSON to the SNS topic; any failure ends
   the execution failed.

The steps after the tuning job are direct AWS SDK integrations rather than a Lambda function: the
work is a fixed sequence of three calls with no decision in it, so there is no code to deploy,
patch or test apart from the definition, and every call and its IAM statement are visible in one
template (see README, "Decisions where the issues were silent").
"""

from __future__ import annotations

import abc
import enum
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aws_cdk import Annotations, Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct, IConstruct

from ._batch import batched
from ._iam import ManagedPolicyRole
from ._log_groups import LOG_WRITER_ACTIONS, log_group_arns
from ._names import (
    METADATA_TEXT_PATTERN,
    METADATA_TEXT_RULE,
    NAME_PATTERN,
    model_package_group_arns,
    model_package_version_arns,
    sagemaker_arn,
)
from ._service_access import let_logs_use
from ._stack_env import environment_of
from ._validation import (
    Where,
    check,
    check_count,
    check_integer,
    check_one_of,
    check_pattern,
    is_number,
    take_enum_field,
    to_enum,
)
from .approval import IModelPackageGroupRef
from .compliance import acknowledge, acknowledge_wildcard_resource
from .container_image import ContainerImage, Framework
from .instance_type import InstanceType, InstanceUse, to_instance_type
from .model import ContainerSpec
from .model_package import check_registered_environment, check_supported_types
from .runtime.enums import ModelApprovalStatus

#: At most 32 characters in a tuning job name; the construct appends "-" and 12 hex digits.
JOB_NAME_PREFIX_MAX = 32 - 1 - 12
_JOB_NAME_PREFIX = rf"[a-z0-9](-*[a-z0-9]){{0,{JOB_NAME_PREFIX_MAX - 1}}}"
_HYPERPARAMETER_NAME = r"[a-zA-Z_][a-zA-Z0-9_.:-]{0,255}"
_DEFAULT_JOB_RUNTIME = Duration.hours(1)
_METRICS_REPORT = "best-model-metrics.json"
#: The rule Step Functions creates to learn that a tuning job ended (the ``.sync`` pattern).
_SYNC_RULE = "StepFunctionsGetEventsForSageMakerTuningJobsRule"
_MAX_RANGES = 30
#: Training jobs a tuning job may run (automatic model tuning's limits): 750, or for the Random
#: strategy up to 10000 once the account's quota (750 by default) is raised.
_MAX_JOBS = 750
_MAX_RANDOM_JOBS = 10000
#: Training jobs at a time: up to 100 once the account's quota (10 by default) is raised.
_MAX_PARALLEL_JOBS = 100
_DEFAULT_PARALLEL_JOBS_QUOTA = 10
#: The combinations a Grid search may have: it runs each once.
_MAX_GRID_JOBS = 750
#: Metric definitions a tuning job may have (training jobs alone may have 40).
_MAX_METRIC_DEFINITIONS = 20
#: Hyperband's most resources (e.g. epochs) a training job may use.
_MAX_HYPERBAND_RESOURCE = 20000
#: The static hyperparameters SageMaker infers Hyperband's MaxResource from when it is not given.
HYPERBAND_EPOCH_KEYS = ("epochs", "numepochs", "n-epochs", "n_epochs", "num_epochs")


class ScalingType(enum.Enum):
    """How the tuner searches a numeric range."""

    AUTO = "Auto"
    LINEAR = "Linear"
    #: Only for ranges whose values are all above 0.
    LOGARITHMIC = "Logarithmic"
    #: Only for continuous ranges within 0 <= value < 1.
    REVERSE_LOGARITHMIC = "ReverseLogarithmic"


class TuningStrategy(enum.Enum):
    """How the tuner chooses the next hyperparameters."""

    BAYESIAN = "Bayesian"
    RANDOM = "Random"
    #: Stops weak jobs itself: training-job early stopping must be off.
    HYPERBAND = "Hyperband"
    #: Every combination of categorical values, once: the grid decides the number of jobs.
    GRID = "Grid"


class ObjectiveType(enum.Enum):
    """Whether the tuner looks for the largest or the smallest value of the objective metric."""

    MAXIMIZE = "Maximize"
    MINIMIZE = "Minimize"


class _NumericRange:
    """What a continuous and an integer range share: the scaling, a ``ScalingType`` or its value."""

    scaling: ScalingType | str

    def __post_init__(self) -> None:
        take_enum_field(self, "scaling", ScalingType)

    @property
    def resolved_scaling(self) -> ScalingType:
        """``scaling`` as a ``ScalingType`` (a value given is converted when the range is created)."""
        assert isinstance(self.scaling, ScalingType)
        return self.scaling


@dataclass(frozen=True)
class ContinuousRange(_NumericRange):
    """A real-valued hyperparameter between ``min_value`` and ``max_value``.

    :param scaling: a ``ScalingType`` or its value (``"Logarithmic"``). Default: ``AUTO`` (SageMaker
        chooses).
    """

    name: str
    min_value: float
    max_value: float
    scaling: ScalingType | str = ScalingType.AUTO


@dataclass(frozen=True)
class IntegerRange(_NumericRange):
    """A whole-number hyperparameter between ``min_value`` and ``max_value``.

    :param scaling: a ``ScalingType`` or its value. Default: ``AUTO``. ``REVERSE_LOGARITHMIC`` is
        for continuous ranges only.
    """

    name: str
    min_value: int
    max_value: int
    scaling: ScalingType | str = ScalingType.AUTO


@dataclass(frozen=True)
class CategoricalRange:
    """A hyperparameter that takes one of 1-30 ``values``."""

    name: str
    values: Sequence[str]


HyperparameterRange = ContinuousRange | IntegerRange | CategoricalRange


@dataclass(frozen=True)
class TuningObjective:
    """The metric the tuner optimizes and in which direction. Prefer the two factories.

    :param type: an ``ObjectiveType`` or its value (``"Maximize"``).
    """

    metric_name: str
    type: ObjectiveType

    def __post_init__(self) -> None:
        take_enum_field(self, "type", ObjectiveType)

    @staticmethod
    def maximize(metric_name: str) -> TuningObjective:
        """Look for the largest value, e.g. ``validation:auc``."""
        return TuningObjective(metric_name, ObjectiveType.MAXIMIZE)

    @staticmethod
    def minimize(metric_name: str) -> TuningObjective:
        """Look for the smallest value, e.g. ``validation:rmse``."""
        return TuningObjective(metric_name, ObjectiveType.MINIMIZE)


#: The objective metrics SageMaker's built-in XGBoost emits, and which direction is better
#: (SageMaker developer guide, "Tune an XGBoost model"). ``train:`` metrics exist too, but tuning
#: on the training split rewards overfitting.
XGBOOST_OBJECTIVES: Mapping[str, ObjectiveType] = {
    "validation:accuracy": ObjectiveType.MAXIMIZE,
    "validation:auc": ObjectiveType.MAXIMIZE,
    "validation:aucpr": ObjectiveType.MAXIMIZE,
    "validation:error": ObjectiveType.MINIMIZE,
    "validation:f1": ObjectiveType.MAXIMIZE,
    "validation:logloss": ObjectiveType.MINIMIZE,
    "validation:mae": ObjectiveType.MINIMIZE,
    "validation:map": ObjectiveType.MAXIMIZE,
    "validation:merror": ObjectiveType.MINIMIZE,
    "validation:mlogloss": ObjectiveType.MINIMIZE,
    "validation:mse": ObjectiveType.MINIMIZE,
    "validation:ndcg": ObjectiveType.MAXIMIZE,
    "validation:rmse": ObjectiveType.MINIMIZE,
}
#: The hyperparameters of the built-in XGBoost that SageMaker tunes (same source).
XGBOOST_TUNABLE = (
    "alpha", "colsample_bylevel", "colsample_bynode", "colsample_bytree", "eta", "gamma", "lambda",
    "max_delta_step", "max_depth", "min_child_weight", "num_round", "subsample",
)


class TrainingAlgorithm(abc.ABC):
    """What the training jobs run. Create one with the static factories."""

    #: The image the training jobs run.
    image: ContainerImage
    #: Regular expressions SageMaker applies to the logs to find each metric (custom images).
    metric_definitions: Mapping[str, str]

    @staticmethod
    def builtin_xgboost(version: str = "1.7-1") -> TrainingAlgorithm:
        """SageMaker's built-in XGBoost (the same image trains and serves).

        Objectives are checked against the metrics it emits (``XGBOOST_OBJECTIVES``, with their
        direction) and ranges against its tunable hyperparameters (``XGBOOST_TUNABLE``).

        :param version: Default: ``1.7-1``, the image the reference example serves.
        """
        return _BuiltinXGBoost(version)

    @staticmethod
    def from_image(image: ContainerImage, *, metric_definitions: Mapping[str, str]) -> TrainingAlgorithm:
        """Any training image; SageMaker finds the metrics in its logs.

        :param metric_definitions: metric name -> regular expression with one group that captures
            the value, e.g. ``{"validation:auc": r"validation-auc:([0-9.]+)"}``; 1-20 entries (a
            tuning job's limit), and the objective must be one of them.
        """
        return _CustomAlgorithm(image, dict(metric_definitions))

    @abc.abstractmethod
    def validate(self, where: Where, objective: TuningObjective, ranges: Sequence[HyperparameterRange],
                 static: Mapping[str, str]) -> None:
        """Refuses an objective or hyperparameters this algorithm does not have."""


class _BuiltinXGBoost(TrainingAlgorithm):
    def __init__(self, version: str) -> None:
        self.image = ContainerImage.sagemaker_builtin(Framework.XGBOOST, version)
        self.metric_definitions = {}

    def validate(self, where: Where, objective: TuningObjective, ranges: Sequence[HyperparameterRange],
                 static: Mapping[str, str]) -> None:
        check_one_of(where, "objective.metric_name", objective.metric_name, XGBOOST_OBJECTIVES)
        expected = XGBOOST_OBJECTIVES[objective.metric_name]
        check(where, objective.type is expected, "objective.type",
              f"{expected.value} for {objective.metric_name} (the built-in XGBoost's direction)",
              objective.type.value)
        for tuned in ranges:
            check_one_of(where, "ranges name", tuned.name, XGBOOST_TUNABLE)
        tuned_names = {tuned.name for tuned in ranges}
        check(where, "num_round" in static or "num_round" in tuned_names, "static_hyperparameters",
              "a mapping with num_round (the built-in XGBoost requires it) unless num_round is tuned",
              dict(static))


class _CustomAlgorithm(TrainingAlgorithm):
    def __init__(self, image: ContainerImage, metric_definitions: dict[str, str]) -> None:
        self.image = image
        self.metric_definitions = metric_definitions

    def validate(self, where: Where, objective: TuningObjective, ranges: Sequence[HyperparameterRange],
                 static: Mapping[str, str]) -> None:
        check_count(where, "metric_definitions", self.metric_definitions, 1, _MAX_METRIC_DEFINITIONS)
        for name, regex in self.metric_definitions.items():
            check_count(where, "metric_definitions name", name, 1, 255)
            check_count(where, f"metric_definitions[{name!r}]", regex, 1, 500)
            check(where, _capture_groups(regex) != 0, f"metric_definitions[{name!r}]",
                  "a regular expression with a group that captures the value", regex)
        check_one_of(where, "objective.metric_name", objective.metric_name, self.metric_definitions)


def _capture_groups(regex: str) -> int | None:
    """The capturing groups of ``regex``; None when Python's ``re`` cannot read it (SageMaker's
    regular expressions are Java's, which ``re`` does not entirely match: such a one is not judged)."""
    try:
        return re.compile(regex).groups
    except re.error:
        return None


@dataclass(frozen=True)
class TrainingData:
    """A training channel's data in S3: one object or every object under a prefix.

    :param bucket: where the data is.
    :param key: an object key, or a prefix ending in ``/``.
    :param content_type: Default: ``text/csv`` (the built-in XGBoost's CSV input: label first,
        no header).
    """

    bucket: s3.IBucket
    key: str
    content_type: str = "text/csv"

    @staticmethod
    def from_asset(scope: Construct, id: str, path: str, *, content_type: str = "text/csv") -> TrainingData:
        """A local file uploaded as a CDK asset (kept as one object, not zipped)."""
        asset = s3_assets.Asset(scope, id, path=path)
        return TrainingData(asset.bucket, asset.s3_object_key, content_type)

    @property
    def s3_uri(self) -> str:
        """``s3://<bucket>/<key>``."""
        return f"s3://{self.bucket.bucket_name}/{self.key}"


@dataclass(frozen=True)
class BestModelRegistration:
    """Registers the best training job's model as a new version of ``group`` after tuning.

    The tuned model becomes one container of the registered version, between
    ``containers_before`` and ``containers_after`` (e.g. an inference pipeline's pre- and
    post-processing: pass a Model's ``containers[0:1]`` and ``containers[2:]``), with the training
    image and ``environment``. The version is PendingManualApproval: a reviewer approves it, and an
    ``ApprovalDeployment`` on the group then deploys it.

    :param group: the model package group, by name or as a ``ModelPackageGroup``.
    :param supported_content_types: request content types, e.g. ``["text/csv"]``.
    :param supported_response_mime_types: response MIME types.
    :param containers_before: image containers before the tuned one. Default: none.
    :param containers_after: image containers after it. Default: none.
    :param environment: the tuned container's environment. Default: none.
    :param supported_realtime_instance_types: instance types or their names. Default: none stated (any).
    """

    group: str | IModelPackageGroupRef
    supported_content_types: Sequence[str]
    supported_response_mime_types: Sequence[str]
    containers_before: Sequence[ContainerSpec] = ()
    containers_after: Sequence[ContainerSpec] = ()
    environment: Mapping[str, str] = field(default_factory=dict)
    supported_realtime_instance_types: Sequence[InstanceType | str] = ()

    @property
    def group_name(self) -> str:
        """The group's name."""
        return self.group if isinstance(self.group, str) else self.group.model_package_group_name


class HyperparameterTuning(Construct):
    """A Step Functions state machine whose every execution runs one hyperparameter tuning job.

    Start an execution (no input needed) to tune; with ``registration`` the best model is then
    registered for approval. Outcomes go to ``topic``. Resources: the state machine (logs of every
    event to a KMS-encrypted log group, X-Ray tracing), its role, and the training jobs' role
    (reads the channels, writes under ``output_prefix``, uses ``encryption_key``), each with
    customer-managed policies only.
    """

    @batched()
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        algorithm: TrainingAlgorithm,
        objective: TuningObjective,
        ranges: Sequence[HyperparameterRange],
        train: TrainingData,
        output_bucket: s3.IBucket,
        encryption_key: kms.IKey,
        topic: sns.ITopic,
        validation: TrainingData | None = None,
        static_hyperparameters: Mapping[str, str] | None = None,
        strategy: TuningStrategy | str = TuningStrategy.BAYESIAN,
        max_jobs: int | None = 20,
        max_parallel_jobs: int = 2,
        early_stopping: bool = False,
        hyperband_min_resource: int | None = None,
        hyperband_max_resource: int | None = None,
        instance_type: InstanceType | str = InstanceType.M5_XLARGE,
        instance_count: int = 1,
        volume_size_gb: int = 30,
        max_job_runtime: Duration = _DEFAULT_JOB_RUNTIME,
        output_prefix: str = "tuning/",
        job_name_prefix: str = "tuning",
        network_isolation: bool = True,
        registration: BestModelRegistration | None = None,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
    ) -> None:
        """
        :param algorithm: ``TrainingAlgorithm.builtin_xgboost()`` or ``TrainingAlgorithm.from_image(...)``.
        :param objective: e.g. ``TuningObjective.maximize("validation:auc")``; checked against the
            algorithm (the built-in XGBoost maximizes ``validation:auc`` and minimizes
            ``validation:rmse``: the other direction is refused).
        :param ranges: 1-30 ranges with distinct names, none also static.
        :param train: the ``train`` channel.
        :param output_bucket: where model artifacts and the metrics report go.
        :param encryption_key: encrypts the artifacts, the training volumes (except on instance
            types with local NVMe storage, which SageMaker refuses a key for) and the logs.
        :param topic: receives the outcome of every execution.
        :param validation: the ``validation`` channel. Default: none; required for a ``validation:``
            objective.
        :param static_hyperparameters: fixed hyperparameters, at most 100. Default: none.
        :param strategy: a ``TuningStrategy`` or its value (``"Random"``). Default: ``BAYESIAN``.
            ``GRID`` takes only categorical ranges and no ``max_jobs``; ``HYPERBAND`` no
            ``early_stopping``.
        :param max_jobs: training jobs in total, 1-750 (``RANDOM``: up to 10000, with a warning
            above 750, the account's default quota). Default: 20; ``None`` for ``GRID``, which runs
            each of its at most 750 combinations once.
        :param max_parallel_jobs: training jobs at a time, 1-100 and at most ``max_jobs`` (or the
            grid's combinations), with a warning above 10, the account's default quota. Default: 2,
            because a Bayesian search learns from finished jobs and fewer at a time search better.
        :param early_stopping: SageMaker stops jobs unlikely to beat the finished ones. Default: False.
        :param hyperband_min_resource: ``HYPERBAND`` only: the fewest resources (e.g. epochs) a
            training job gets before it may be stopped, 1 to ``hyperband_max_resource``. Default:
            None, SageMaker's choice.
        :param hyperband_max_resource: ``HYPERBAND`` only: the most resources (e.g. epochs) a training
            job may use, 1-20000. Default: None, which SageMaker infers from a static
            hyperparameter of ``HYPERBAND_EPOCH_KEYS`` (``epochs``...): without one, it is required.
        :param instance_type: an ``InstanceType`` or its name. Default: ``ml.m5.xlarge``.
        :param instance_count: instances per training job, 1-100. Default: 1.
        :param volume_size_gb: storage per instance, 1-16384 GB. Default: 30.
        :param max_job_runtime: per training job, 1 s to 28 days. Default: one hour.
        :param output_prefix: key prefix in ``output_bucket``, ending in ``/``. Default: ``tuning/``.
        :param job_name_prefix: 1-19 lowercase letters, digits and inner hyphens; each execution
            names its job ``<prefix>-<12 hex digits>``. Default: ``tuning``.
        :param network_isolation: training containers get no network access. Default: True (the
            built-in algorithms need none).
        :param registration: register the best model. Default: none (tune and notify only).
        :param log_retention: of the state machine's logs. Default: one year.
        """
        super().__init__(scope, id)
        strategy = to_enum(self, "strategy", strategy, TuningStrategy)
        instance_type = to_instance_type(self, "instance_type", instance_type, InstanceUse.TRAINING)
        static = dict(static_hyperparameters or {})
        self._validate(algorithm, objective, ranges, static, train, validation, strategy, max_jobs,
                       max_parallel_jobs, early_stopping, instance_count, volume_size_gb, max_job_runtime,
                       output_prefix, job_name_prefix)
        hyperband = _hyperband_config(self, strategy, static, hyperband_min_resource, hyperband_max_resource)
        if registration is not None:
            _validate_registration(self, registration, ranges, objective)
        environment = environment_of(self)
        self.job_name_prefix = job_name_prefix
        self.objective = objective

        # The training jobs' role.
        self.training_role = ManagedPolicyRole(
            self, "TrainingRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=f"Training jobs of the tuning jobs {job_name_prefix}-*")
        image_uri = algorithm.image.bind(self, self.training_role).image_uri
        channels = {"train": train} if validation is None else {"train": train, "validation": validation}
        for channel in channels.values():
            self._grant_read(channel)
        output_objects = output_bucket.arn_for_objects(f"{output_prefix}*")
        self.training_role.add_to_principal_policy(iam.PolicyStatement(
            actions=["s3:PutObject"], resources=[output_objects]))
        acknowledge_wildcard_resource(self.training_role, output_objects,
                                      "Training jobs write their model artifacts under the tuning output prefix, "
                                      "in folders named after jobs that do not exist at synth.")
        encryption_key.grant_encrypt_decrypt(self.training_role)
        self.training_role.add_to_principal_policy(iam.PolicyStatement(
            actions=["kms:CreateGrant"], resources=[encryption_key.key_arn],
            conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}}))
        _, training_logs = log_group_arns(environment, "/aws/sagemaker/TrainingJobs")
        self.training_role.add_to_principal_policy(iam.PolicyStatement(
            actions=list(LOG_WRITER_ACTIONS), resources=[training_logs]))
        acknowledge_wildcard_resource(self.training_role, training_logs,
                                      "SageMaker writes training logs to streams of /aws/sagemaker/TrainingJobs "
                                      "named after each training job.")
        self.training_role.add_to_principal_policy(iam.PolicyStatement(
            actions=["cloudwatch:PutMetricData"], resources=["*"],
            conditions={"StringEquals": {"cloudwatch:namespace": "/aws/sagemaker/TrainingJobs"}}))
        acknowledge_wildcard_resource(self.training_role, "*",
                                      "cloudwatch:PutMetricData has no resource type; the condition limits it "
                                      "to the /aws/sagemaker/TrainingJobs namespace.")

        # The state machine's role, its log group and the definition.
        self.role = ManagedPolicyRole(self, "Role", assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
                                      description=f"Runs the tuning jobs {job_name_prefix}-*")
        request = self._tuning_request(algorithm, image_uri, objective, ranges, static, channels, output_bucket,
                                       output_prefix, encryption_key, strategy, max_jobs, max_parallel_jobs,
                                       early_stopping, instance_type, instance_count, volume_size_gb,
                                       max_job_runtime, network_isolation, hyperband)
        self._grant_tuning()
        definition = self._definition(request, topic, output_bucket, output_prefix, registration, image_uri)
        topic.grant_publish(self.role)
        let_logs_use(encryption_key)
        log_group = logs.LogGroup(self, "Logs", encryption_key=encryption_key, retention=log_retention)
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            definition_body=sfn.DefinitionBody.from_chainable(definition),
            role=self.role,
            logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
            tracing_enabled=True,
            comment=f"Tunes {objective.metric_name} ({objective.type.value}); one tuning job per execution",
        )
        # A run registers the other containers' artifacts: they must exist before any run can.
        artifacts = ContainerSpec.dependencies_of(
            [*registration.containers_before, *registration.containers_after]) if registration is not None else []
        if artifacts:
            self.state_machine.node.add_dependency(*artifacts)
        acknowledge(self.role.policy, ["AwsSolutions-IAM5[Resource::*]"],
                    "Step Functions' log delivery (logs:*LogDelivery, logs:Describe*) and X-Ray tracing "
                    "(xray:PutTraceSegments, ...) support no resource-level permissions.")
        acknowledge(self.role.policy, ["AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
                                       "AwsSolutions-IAM5[Action::kms:ReEncrypt*]"],
                    "aws-cdk's grants for the KMS-encrypted topic and report: the actions apply to the keys "
                    "that encrypt them.")
        acknowledge(self.training_role.policy, ["AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
                                                "AwsSolutions-IAM5[Action::kms:ReEncrypt*]"],
                    "aws-cdk's encrypt/decrypt grant: the actions apply to the one key that encrypts the "
                    "artifacts and volumes.")

    # --- validation -------------------------------------------------------------------------
    def _validate(self, algorithm: TrainingAlgorithm, objective: TuningObjective,
                  ranges: Sequence[HyperparameterRange], static: Mapping[str, str], train: TrainingData,
                  validation: TrainingData | None, strategy: TuningStrategy, max_jobs: int | None,
                  max_parallel_jobs: int, early_stopping: bool, instance_count: int, volume_size_gb: int,
                  max_job_runtime: Duration, output_prefix: str, job_name_prefix: str) -> None:
        check_pattern(self, "job_name_prefix", job_name_prefix, _JOB_NAME_PREFIX,
                      f"1-{JOB_NAME_PREFIX_MAX} lowercase letters, digits and inner hyphens (the job name "
                      "adds 13 characters and may have 32)")
        check(self, 1 <= len(ranges) <= _MAX_RANGES, "ranges", f"between 1 and {_MAX_RANGES} entries long",
              len(ranges))
        names = [tuned.name for tuned in ranges]
        check(self, len(set(names)) == len(names), "ranges", "ranges with distinct names", names)
        for tuned in ranges:
            _validate_range(self, tuned)
        check(self, len(static) <= 100, "static_hyperparameters", "at most 100 entries", len(static))
        for name, value in static.items():
            check_pattern(self, "static_hyperparameters name", name, _HYPERPARAMETER_NAME,
                          "a hyperparameter name (letters, digits, _ . : -)")
            check_count(self, f"static_hyperparameters[{name!r}]", value, 0, 2500)
            check(self, name not in names, f"static_hyperparameters[{name!r}]",
                  "a hyperparameter that is not also tuned", value)
        algorithm.validate(self, objective, ranges, static)
        if objective.metric_name.startswith("validation:"):
            check(self, validation is not None, "validation",
                  f"set: the objective {objective.metric_name} is measured on the validation channel", None)
        for prop, channel in (("train", train), ("validation", validation)):
            if channel is not None:
                check_count(self, f"{prop}.key", channel.key, 1, 1024)
                check_count(self, f"{prop}.content_type", channel.content_type, 1, 256)
        jobs = max_jobs
        if strategy is TuningStrategy.GRID:
            check(self, max_jobs is None, "max_jobs", "None with the Grid strategy (the grid decides)", max_jobs)
            check(self, all(isinstance(tuned, CategoricalRange) for tuned in ranges), "ranges",
                  "categorical only with the Grid strategy", names)
            jobs = math.prod(len(tuned.values) for tuned in ranges if isinstance(tuned, CategoricalRange))
            check(self, jobs <= _MAX_GRID_JOBS, "ranges", f"at most {_MAX_GRID_JOBS} combinations of values with "
                  "the Grid strategy (it runs each once)", f"{jobs} combinations")
        else:
            check(self, max_jobs is not None, "max_jobs", f"set with the {strategy.value} strategy", max_jobs)
            random = strategy is TuningStrategy.RANDOM
            check_integer(self, "max_jobs", max_jobs, 1, _MAX_RANDOM_JOBS if random else _MAX_JOBS)
            if random and max_jobs is not None and max_jobs > _MAX_JOBS:
                Annotations.of(self).add_warning_v2(
                    "cdk-sagemaker-inference:maxJobsQuota",
                    f"max_jobs {max_jobs} is above {_MAX_JOBS}, the default quota of training jobs a Random search "
                    "may run: raise it first")
        check_integer(self, "max_parallel_jobs", max_parallel_jobs, 1,
                      min(_MAX_PARALLEL_JOBS, jobs) if jobs is not None else _MAX_PARALLEL_JOBS)
        if max_parallel_jobs > _DEFAULT_PARALLEL_JOBS_QUOTA:
            Annotations.of(self).add_warning_v2(
                "cdk-sagemaker-inference:parallelJobsQuota",
                f"max_parallel_jobs {max_parallel_jobs} is above {_DEFAULT_PARALLEL_JOBS_QUOTA}, the default quota "
                "of parallel training jobs a tuning job may run: raise it first")
        if strategy is TuningStrategy.HYPERBAND:
            check(self, not early_stopping, "early_stopping",
                  "False with the Hyperband strategy (it stops jobs itself)", early_stopping)
        check_integer(self, "instance_count", instance_count, 1, 100)
        check_integer(self, "volume_size_gb", volume_size_gb, 1, 16384)
        runtime, runtime_limit = max_job_runtime.to_seconds(), 28 * 24 * 3600
        check(self, 1 <= runtime <= runtime_limit, "max_job_runtime", f"between 1 and {runtime_limit}", runtime)
        check_pattern(self, "output_prefix", output_prefix, r"([^/\s][^\s]*)?/",
                      "a key prefix ending in '/' (e.g. 'tuning/')")

    # --- IAM --------------------------------------------------------------------------------
    def _grant_read(self, channel: TrainingData) -> None:
        objects = channel.bucket.arn_for_objects(channel.key + ("*" if channel.key.endswith("/") else ""))
        self.training_role.add_to_principal_policy(iam.PolicyStatement(actions=["s3:GetObject"],
                                                                        resources=[objects]))
        # An S3Prefix channel lists the bucket under its key.
        self.training_role.add_to_principal_policy(iam.PolicyStatement(
            actions=["s3:ListBucket"], resources=[channel.bucket.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [channel.key + "*"]}}))
        if channel.key.endswith("/"):
            acknowledge_wildcard_resource(self.training_role, objects,
                                          "A channel given as a prefix reads every object under it.")
        if channel.bucket.encryption_key is not None:
            channel.bucket.encryption_key.grant_decrypt(self.training_role)

    def _job_arn(self, resource: str, suffix: str = "*") -> str:
        return sagemaker_arn(environment_of(self), resource, f"{self.job_name_prefix}-{suffix}")

    def _grant_tuning(self) -> None:
        """What ``createHyperParameterTuningJob.sync`` needs: the job, the role, the rule it polls with."""
        jobs = self._job_arn("hyper-parameter-tuning-job")
        self.role.add_to_principal_policy(iam.PolicyStatement(
            actions=["sagemaker:CreateHyperParameterTuningJob", "sagemaker:DescribeHyperParameterTuningJob",
                     "sagemaker:StopHyperParameterTuningJob", "sagemaker:ListTags"],
            resources=[jobs]))
        acknowledge_wildcard_resource(self.role, jobs, "Each execution names its tuning job <prefix>-<12 hex "
                                      "digits>, unknown at synth; the prefix is this construct's.")
        self.role.add_to_principal_policy(iam.PolicyStatement(
            actions=["iam:PassRole"], resources=[self.training_role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}))
        self.role.add_to_principal_policy(iam.PolicyStatement(
            actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            resources=[environment_of(self).arn("events", "rule", _SYNC_RULE)]))

    # --- the definition ---------------------------------------------------------------------
    def _tuning_request(self, algorithm: TrainingAlgorithm, image_uri: str, objective: TuningObjective,
                        ranges: Sequence[HyperparameterRange], static: Mapping[str, str],
                        channels: Mapping[str, TrainingData], output_bucket: s3.IBucket, output_prefix: str,
                        key: kms.IKey, strategy: TuningStrategy, max_jobs: int | None, max_parallel_jobs: int,
                        early_stopping: bool, instance_type: InstanceType, instance_count: int,
                        volume_size_gb: int, max_job_runtime: Duration, network_isolation: bool,
                        hyperband: Mapping[str, int] | None) -> dict[str, Any]:
        """The CreateHyperParameterTuningJob request, as the state's Parameters."""
        limits: dict[str, Any] = {"MaxParallelTrainingJobs": max_parallel_jobs}
        if max_jobs is not None:
            limits["MaxNumberOfTrainingJobs"] = max_jobs
        algorithm_specification: dict[str, Any] = {"TrainingImage": image_uri, "TrainingInputMode": "File"}
        if algorithm.metric_definitions:
            algorithm_specification["MetricDefinitions"] = [
                {"Name": name, "Regex": regex} for name, regex in algorithm.metric_definitions.items()]
        resources: dict[str, Any] = {"InstanceType": instance_type.name, "InstanceCount": instance_count,
                                     "VolumeSizeInGB": volume_size_gb}
        if instance_type.has_local_nvme_storage:
            # SageMaker refuses a volume key there; the local NVMe storage is encrypted by the hardware.
            Annotations.of(self).add_warning_v2("cdk-sagemaker-inference:trainingVolumeKeyOmitted",
                                     f"{instance_type.name} has local NVMe storage: no VolumeKmsKeyId")
        else:
            resources["VolumeKmsKeyId"] = key.key_arn
        definition: dict[str, Any] = {
            "AlgorithmSpecification": algorithm_specification,
            "RoleArn": self.training_role.role_arn,
            "InputDataConfig": [
                {
                    "ChannelName": name,
                    "ContentType": channel.content_type,
                    "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": channel.s3_uri,
                                                    "S3DataDistributionType": "FullyReplicated"}},
                }
                for name, channel in channels.items()
            ],
            "OutputDataConfig": {"S3OutputPath": f"s3://{output_bucket.bucket_name}/{output_prefix}",
                                 "KmsKeyId": key.key_arn},
            "ResourceConfig": resources,
            "StoppingCondition": {"MaxRuntimeInSeconds": int(max_job_runtime.to_seconds())},
            "EnableNetworkIsolation": network_isolation,
            "EnableInterContainerTrafficEncryption": True,
        }
        if static:
            definition["StaticHyperParameters"] = dict(static)
        config: dict[str, Any] = {
            "Strategy": strategy.value,
            "HyperParameterTuningJobObjective": {"Type": objective.type.value, "MetricName": objective.metric_name},
            "ResourceLimits": limits,
            "ParameterRanges": _render_ranges(ranges),
            "TrainingJobEarlyStoppingType": "Auto" if early_stopping else "Off",
        }
        if hyperband:
            config["StrategyConfig"] = {"HyperbandStrategyConfig": dict(hyperband)}
        return {
            "HyperParameterTuningJobName.$": "$.tuning.name",
            "HyperParameterTuningJobConfig": config,
            "TrainingJobDefinition": definition,
        }

    def _definition(self, request: dict[str, Any], topic: sns.ITopic, output_bucket: s3.IBucket,
                    output_prefix: str, registration: BestModelRegistration | None,
                    image_uri: str) -> sfn.IChainable:
        name = sfn.Pass(self, "Name", comment="A tuning job name of at most 32 characters, new each execution",
                        parameters={"name.$": f"States.Format('{self.job_name_prefix}-{{}}', "
                                              "States.ArrayGetItem(States.StringSplit(States.UUID(), '-'), 4))"},
                        result_path="$.tuning")
        failed = _publish(self, "NotifyFailure", topic, "Tuning failed",
                          {"outcome": "failed", "tuning_job.$": "$.tuning.name", "error.$": "$.error"})
        failed.next(sfn.Fail(self, "Failed", error="TuningFailed",
                             cause="See the execution history and the notification"))
        tune = sfn.CustomState(self, "Tune", state_json={
            "Type": "Task",
            "Resource": f"arn:{environment_of(self).partition}:states:::sagemaker:createHyperParameterTuningJob.sync",
            "Parameters": request,
            # The whole DescribeHyperParameterTuningJob answer: a selector of BestTrainingJob would fail
            # the execution, uncaught, when no training job completed.
            "ResultPath": "$.tuning.result",
        })
        tune.add_catch(failed, errors=["States.ALL"], result_path="$.error")
        no_best = _publish(self, "NotifyNoBest", topic, "Tuning found no model",
                           {"outcome": "no completed training job", "tuning_job.$": "$.tuning.name"})
        no_best.next(sfn.Fail(self, "NoBest", error="NoBestTrainingJob",
                              cause="No training job of the tuning job completed"))
        summary = {
            "tuning_job.$": "$.tuning.name",
            "training_job.$": "$.tuning.result.BestTrainingJob.TrainingJobName",
            "objective.$": "$.tuning.result.BestTrainingJob.FinalHyperParameterTuningJobObjectiveMetric",
            "hyperparameters.$": "$.tuning.result.BestTrainingJob.TunedHyperParameters",
        }
        succeeded: sfn.IChainable
        if registration is None:
            succeeded = _publish(self, "NotifySuccess", topic, "Tuning completed",
                                 {"outcome": "tuned", **summary})
        else:
            succeeded = self._registration(registration, summary, topic, output_bucket, output_prefix,
                                           image_uri, failed)
        has_best = sfn.Choice(self, "HasBest").when(
            sfn.Condition.is_present("$.tuning.result.BestTrainingJob.TrainingJobName"), succeeded).otherwise(no_best)
        return name.next(tune).next(has_best)

    def _registration(self, registration: BestModelRegistration, summary: Mapping[str, str],
                      topic: sns.ITopic, output_bucket: s3.IBucket, output_prefix: str, image_uri: str,
                      failed: sfn.IChainable) -> sfn.IChainable:
        """DescribeBest -> WriteMetrics -> Register -> NotifySuccess, each failure to ``failed``."""
        environment = environment_of(self)
        describe = self._sdk_call("DescribeBest", "sagemaker", "describeTrainingJob",
                                  {"TrainingJobName.$": "$.tuning.result.BestTrainingJob.TrainingJobName"},
                                  result_selector={"model_data_url.$": "$.ModelArtifacts.S3ModelArtifacts"},
                                  result_path="$.best_model")
        self.role.add_to_principal_policy(iam.PolicyStatement(
            actions=["sagemaker:DescribeTrainingJob"], resources=[self._job_arn("training-job")]))
        acknowledge_wildcard_resource(self.role, self._job_arn("training-job"),
                                      "Training jobs are named <tuning job>-<number>-<id> by SageMaker.")
        report_key = f"States.Format('{output_prefix}{{}}/{_METRICS_REPORT}', $.tuning.name)"
        write = self._sdk_call("WriteMetrics", "s3", "putObject", {
            "Bucket": output_bucket.bucket_name,
            "Key.$": report_key,
            "ContentType": "application/json",
            "Body.$": "States.JsonToString($.report)",
        }, result_path=sfn.JsonPath.DISCARD)
        report_objects = output_bucket.arn_for_objects(f"{output_prefix}{self.job_name_prefix}-*/{_METRICS_REPORT}")
        self.role.add_to_principal_policy(iam.PolicyStatement(actions=["s3:PutObject"],
                                                              resources=[report_objects]))
        acknowledge_wildcard_resource(self.role, report_objects,
                                      "The metrics report of each tuning job, in the folder named after it.")
        if output_bucket.encryption_key is not None:
            output_bucket.encryption_key.grant_encrypt(self.role)
        best = "$.tuning.result.BestTrainingJob"
        report = sfn.Pass(self, "Report", comment="The objective and winning hyperparameters, for the registry",
                          parameters={
                              "objective_metric.$": f"{best}.FinalHyperParameterTuningJobObjectiveMetric",
                              "hyperparameters.$": f"{best}.TunedHyperParameters",
                              "tuning_job.$": "$.tuning.name",
                              "training_job.$": "$.tuning.result.BestTrainingJob.TrainingJobName",
                          }, result_path="$.report")
        metadata = sfn.Pass(self, "Metadata", comment="Customer metadata: the objective next to the hyperparameters",
                            parameters={
                                "objective_metric.$": "$.report.objective_metric.MetricName",
                                "objective_value.$": "States.Format('{}', $.report.objective_metric.Value)",
                                "tuning_job.$": "$.tuning.name",
                                "training_job.$": "$.tuning.result.BestTrainingJob.TrainingJobName",
                            }, result_path="$.metadata")
        tuned: dict[str, Any] = {"Image": image_uri, "ModelDataUrl.$": "$.best_model.model_data_url"}
        if registration.environment:
            tuned["Environment"] = dict(registration.environment)
        specification: dict[str, Any] = {
            "Containers": [*(_container(self, c) for c in registration.containers_before), tuned,
                           *(_container(self, c) for c in registration.containers_after)],
            "SupportedContentTypes": list(registration.supported_content_types),
            "SupportedResponseMIMETypes": list(registration.supported_response_mime_types),
        }
        if registration.supported_realtime_instance_types:
            specification["SupportedRealtimeInferenceInstanceTypes"] = [
                to_instance_type(self, "registration.supported_realtime_instance_types", t).name
                for t in registration.supported_realtime_instance_types]
        group = registration.group_name
        register = self._sdk_call("Register", "sagemaker", "createModelPackage", {
            "ModelPackageGroupName": group,
            "ModelPackageDescription.$": "States.Format('Best model of tuning job {}: {} {}', $.tuning.name, "
                                         "$.metadata.objective_metric, $.metadata.objective_value)",
            "ModelApprovalStatus": ModelApprovalStatus.PENDING_MANUAL_APPROVAL.value,
            "InferenceSpecification": specification,
            "ModelMetrics": {"ModelQuality": {"Statistics": {
                "ContentType": "application/json",
                # A bucket name has no quotes or braces: safe inside the intrinsic's literal.
                "S3Uri.$": f"States.Format('s3://{output_bucket.bucket_name}/{output_prefix}{{}}/"
                           f"{_METRICS_REPORT}', $.tuning.name)",
            }}},
            "CustomerMetadataProperties.$": "States.JsonMerge($.tuning.result.BestTrainingJob.TunedHyperParameters, "
                                            "$.metadata, false)",
            # Retries of this step register one version, not several.
            "ClientToken.$": "$.tuning.name",
        }, result_selector={"model_package_arn.$": "$.ModelPackageArn"}, result_path="$.registered")
        versions = [*model_package_group_arns(environment, group), *model_package_version_arns(environment, group)]
        self.role.add_to_principal_policy(iam.PolicyStatement(
            actions=["sagemaker:CreateModelPackage"], resources=versions,
            # Registering can never approve: a reviewer does.
            conditions={"StringEquals": {"sagemaker:ModelApprovalStatus":
                                         ModelApprovalStatus.PENDING_MANUAL_APPROVAL.value}}))
        for arn in versions[len(versions) // 2:]:
            acknowledge_wildcard_resource(self.role, arn, "SageMaker numbers the new version of the group; "
                                          "'/*' covers this group's versions only.")
        notify = _publish(self, "NotifySuccess", topic, "Best model registered for approval", {
            "outcome": "registered", **summary,
            "model_package_group": group, "model_package_arn.$": "$.registered.model_package_arn",
            "approval_status": ModelApprovalStatus.PENDING_MANUAL_APPROVAL.value,
        })
        for step in (describe, write, register):
            step.add_catch(failed, errors=["States.ALL"], result_path="$.error")
        return sfn.Chain.start(describe).next(report).next(metadata).next(write).next(register).next(notify)

    def _sdk_call(self, id: str, service: str, action: str, parameters: Mapping[str, Any], *,
                  result_path: str, result_selector: Mapping[str, str] | None = None) -> sfn.CustomState:
        """A direct AWS SDK integration state, retried on transient errors."""
        state: dict[str, Any] = {
            "Type": "Task",
            "Resource": f"arn:{environment_of(self).partition}:states:::aws-sdk:{service}:{action}",
            "Parameters": dict(parameters),
            "ResultPath": result_path,
            "Retry": [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 5, "MaxAttempts": 3,
                       "BackoffRate": 2}],
        }
        if result_selector is not None:
            state["ResultSelector"] = dict(result_selector)
        return sfn.CustomState(self, id, state_json=state)


def _publish(scope: Construct, id: str, topic: sns.ITopic, subject: str, message: Mapping[str, Any]) -> sfn.CustomState:
    """An SNS publish of ``message`` (JSONPath values resolved) as JSON."""
    return sfn.CustomState(scope, id, state_json={
        "Type": "Task",
        "Resource": f"arn:{environment_of(scope).partition}:states:::sns:publish",
        "Parameters": {"TopicArn": topic.topic_arn, "Subject": subject, "Message": dict(message)},
        "ResultPath": sfn.JsonPath.DISCARD,
    })


def _container(scope: IConstruct, spec: ContainerSpec) -> dict[str, Any]:
    rendered: dict[str, Any] = {"Image": spec.image_uri_in(scope)}
    if spec.model_data_url is not None:
        rendered["ModelDataUrl"] = spec.model_data_url
    if spec.environment:
        rendered["Environment"] = dict(spec.environment)
    return rendered


def _render_ranges(ranges: Sequence[HyperparameterRange]) -> dict[str, Any]:
    """``ParameterRanges`` as the API spells it (values are strings there)."""
    rendered: dict[str, list[dict[str, Any]]] = {}
    for tuned in ranges:
        if isinstance(tuned, CategoricalRange):
            rendered.setdefault("CategoricalParameterRanges", []).append(
                {"Name": tuned.name, "Values": list(tuned.values)})
        else:
            kind = "IntegerParameterRanges" if isinstance(tuned, IntegerRange) else "ContinuousParameterRanges"
            rendered.setdefault(kind, []).append({
                "Name": tuned.name, "MinValue": _number(tuned.min_value), "MaxValue": _number(tuned.max_value),
                "ScalingType": tuned.resolved_scaling.value,
            })
    return rendered


def _number(value: float) -> str:
    """A range bound as the API takes it: a string, without a trailing '.0' for whole numbers."""
    return repr(value) if isinstance(value, float) and not value.is_integer() else str(int(value))


def _hyperband_config(where: Where, strategy: TuningStrategy, static: Mapping[str, str], min_resource: int | None,
                     max_resource: int | None) -> dict[str, int] | None:
    """``HyperbandStrategyConfig`` (None: not Hyperband, or nothing to say)."""
    if strategy is not TuningStrategy.HYPERBAND:
        for prop, value in (("hyperband_min_resource", min_resource), ("hyperband_max_resource", max_resource)):
            check(where, value is None, prop, "None unless the strategy is Hyperband", value)
        return None
    check_integer(where, "hyperband_max_resource", max_resource, 1, _MAX_HYPERBAND_RESOURCE)
    check(where, max_resource is not None or any(key in static for key in HYPERBAND_EPOCH_KEYS),
          "hyperband_max_resource", "set with the Hyperband strategy unless static_hyperparameters has one of "
          f"{', '.join(HYPERBAND_EPOCH_KEYS)} (SageMaker refuses the job otherwise)", None)
    check_integer(where, "hyperband_min_resource", min_resource, 1, max_resource or _MAX_HYPERBAND_RESOURCE)
    config = {"MinResource": min_resource, "MaxResource": max_resource}
    return {key: value for key, value in config.items() if value is not None} or None


def _validate_range(where: Where, tuned: HyperparameterRange) -> None:
    prop = f"ranges[{tuned.name!r}]"
    check_pattern(where, "ranges name", tuned.name, _HYPERPARAMETER_NAME,
                  "a hyperparameter name (letters, digits, _ . : -)")
    if isinstance(tuned, CategoricalRange):
        check(where, not isinstance(tuned.values, str) and all(isinstance(v, str) for v in tuned.values),
              f"{prop}.values", "a list of strings (the API's values are strings)", tuned.values)
        check(where, 1 <= len(tuned.values) <= 30, f"{prop}.values", "between 1 and 30 entries long",
              list(tuned.values))
        check(where, len(set(tuned.values)) == len(tuned.values), f"{prop}.values", "distinct values",
              list(tuned.values))
        for value in tuned.values:
            check_count(where, f"{prop}.values", value, 1, 256)
        return
    bounds = (tuned.min_value, tuned.max_value)
    check(where, all(is_number(bound) and math.isfinite(bound) for bound in bounds), prop,
          "finite numbers as bounds", bounds)
    if isinstance(tuned, IntegerRange):
        check(where, all(isinstance(bound, int) for bound in bounds), prop, "whole-number bounds", bounds)
        check(where, tuned.resolved_scaling is not ScalingType.REVERSE_LOGARITHMIC, f"{prop}.scaling",
              "Auto, Linear or Logarithmic for an integer range", tuned.scaling)
    check(where, tuned.min_value < tuned.max_value, prop, "a range whose min_value is below max_value",
          (tuned.min_value, tuned.max_value))
    if tuned.resolved_scaling is ScalingType.LOGARITHMIC:
        check(where, tuned.min_value > 0, f"{prop}.min_value", "above 0 with Logarithmic scaling",
              tuned.min_value)
    if tuned.resolved_scaling is ScalingType.REVERSE_LOGARITHMIC:
        check(where, 0 <= tuned.min_value and tuned.max_value < 1, prop,
              "within 0 <= value < 1 with ReverseLogarithmic scaling", (tuned.min_value, tuned.max_value))


def _validate_registration(where: Where, registration: BestModelRegistration,
                           ranges: Sequence[HyperparameterRange], objective: TuningObjective) -> None:
    """What ``CreateModelPackage`` refuses, checked now rather than after the tuning job has run."""
    check_pattern(where, "registration.group", registration.group_name, NAME_PATTERN,
                  "1-63 letters, digits and inner hyphens")
    check_registered_environment(where, "registration.environment", registration.environment)
    check_supported_types(where, "registration.", registration.supported_content_types,
                          registration.supported_response_mime_types)
    check_pattern(where, "objective.metric_name", objective.metric_name, METADATA_TEXT_PATTERN,
                  f"{METADATA_TEXT_RULE} when registration is set (it becomes the version's customer metadata)")
    containers = len(registration.containers_before) + 1 + len(registration.containers_after)
    check(where, containers <= 15, "registration containers", "at most 15 in all, the tuned one included",
          containers)
    for container in (*registration.containers_before, *registration.containers_after):
        check(where, container.image_uri is not None, "registration containers",
              "image containers (a version cannot wrap another model package)", container.model_package_arn)
    # The best job's tuned values become the registered version's customer metadata.
    for tuned in ranges:
        for value in tuned.values if isinstance(tuned, CategoricalRange) else ():
            check_pattern(where, f"ranges[{tuned.name!r}].values", value, METADATA_TEXT_PATTERN,
                          f"{METADATA_TEXT_RULE} when registration is set (tuned values become the version's "
                          "customer metadata)")


__all__ = [
    "BestModelRegistration",
    "CategoricalRange",
    "ContinuousRange",
    "HyperparameterRange",
    "HYPERBAND_EPOCH_KEYS",
    "HyperparameterTuning",
    "IntegerRange",
    "ObjectiveType",
    "ScalingType",
    "TrainingAlgorithm",
    "TrainingData",
    "TuningObjective",
    "TuningStrategy",
    "XGBOOST_OBJECTIVES",
    "XGBOOST_TUNABLE",
]
