"""BatchTransform: a model scores S3 data in bulk, one SageMaker transform job per state machine run.

CloudFormation has no transform job resource, so the job is a Step Functions state machine whose
task is ``sagemaker:createTransformJob.sync``. The task is written as a CustomState with the exact
API parameters: aws-cdk's ``SageMakerCreateTransformJob`` cannot pass ``DataProcessing`` (filters
and joins) and, unless given a role, creates one with SageMaker's broad managed full-access policy.

Flow of one execution::

    input given? --no--> the construct's input location
        |yes: under the input location? --no--> notify --> Fail
    CreateTransformJob.sync (retries: throttling, instance quota)
        --failed with CapacityError--> wait --> again, up to capacity_retries times
        --other failure--> notify (SNS) --> Fail
        --done--> Succeed, with the job's name, status and output path
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from aws_cdk import Annotations, CfnOutput, Duration, Names, RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct, IConstruct

from ._batch import batched
from ._dead_letters import DeadLetters
from ._iam import ManagedPolicyRole
from ._log_groups import log_group_arns
from ._names import METADATA_TEXT_PATTERN, METADATA_TEXT_RULE, SUBJECT_LENGTH, sagemaker_arn
from ._service_access import EVENTS, let_logs_use
from ._stack_env import environment_of
from ._validation import check, check_count, check_pattern, check_range, fail, is_token
from .compliance import acknowledge, acknowledge_wildcard_resource
from .instance_type import InstanceType, InstanceUse, to_instance_type
from .model import IModel
from .runtime.transform_settings import (
    AssembleWith,
    BatchStrategy,
    CompressionType,
    JoinSource,
    SplitType,
    TransformSettings,
    TransformSettingsError,
)

#: Longest job name prefix: the prefix, "-" and a 32-character hash fill SageMaker's 63.
MAX_JOB_NAME_PREFIX = 30
#: SageMaker writes every transform job's container logs to this log group.
TRANSFORM_LOG_GROUP = "/aws/sagemaker/TransformJobs"
#: The rule Step Functions manages to learn when a transform job ends (the .sync pattern).
SYNC_RULE_NAME = "StepFunctionsGetEventsForSageMakerTransformJobsRule"
#: Errors that mean "try again later" when creating the job: throttling arrives as the generic
#: service exception (the SageMaker API models no ThrottlingException), so that one is retried too.
THROTTLING_ERRORS = ("SageMaker.ThrottlingException", "SageMaker.AmazonSageMakerException")
#: The account's instance quota for transform jobs is in use (e.g. by other jobs).
QUOTA_ERRORS = ("SageMaker.ResourceLimitExceededException",)
#: How a job that SageMaker could not find instances for reports it (its FailureReason).
CAPACITY_ERROR_PATTERN = "*CapacityError*"
_CAPACITY_RETRY_INTERVAL = Duration.minutes(10)
_TIMEOUT = Duration.days(1)
_JOB_NAME_PREFIX = r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,29}"
_S3_URI = r"s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(.*)"


class TransformSource:
    """Where a transform job reads its input: an S3 prefix (every object under it) or a manifest.

    An execution may name another input (``{"input": "s3://..."}``) only under ``override_prefix``
    of the same bucket, which is all the model may read.
    """

    def __init__(self, bucket: s3.IBucket, key: str, data_type: str, readable: list[str], override_prefix: str) -> None:
        """Prefer ``s3_prefix`` or ``manifest``."""
        #: The bucket the input is in.
        self.bucket = bucket
        #: The default input's key (a prefix or the manifest's key).
        self.key = key
        #: ``S3Prefix`` or ``ManifestFile``.
        self.data_type = data_type
        #: Key prefixes the model is granted to read.
        self.readable = readable
        #: Key prefix an execution's own input must start with.
        self.override_prefix = override_prefix

    @staticmethod
    def s3_prefix(bucket: s3.IBucket, prefix: str) -> TransformSource:
        """Every object under ``prefix`` (a folder: "" or ending with "/", e.g. ``"batch/input/"``)."""
        return TransformSource(bucket, prefix, "S3Prefix", [prefix], prefix)

    @staticmethod
    def manifest(bucket: s3.IBucket, manifest_key: str, *, data_prefix: str) -> TransformSource:
        """The objects a manifest file lists (``[{"prefix": "s3://bucket/data/"}, "a.csv", ...]``).

        :param manifest_key: the manifest's key; executions may name another manifest in its folder.
        :param data_prefix: the folder the listed objects are in (the model may read only there).
        """
        folder = manifest_key.rsplit("/", 1)[0] + "/" if "/" in manifest_key else ""
        return TransformSource(bucket, manifest_key, "ManifestFile", [folder, data_prefix], folder)

    @property
    def uri(self) -> str:
        """The default input as an ``s3://`` URI."""
        return f"s3://{self.bucket.bucket_name}/{self.key}"


class BatchTransform(Construct):
    """A Step Functions state machine that runs a SageMaker batch transform job of ``model``.

    The SageMaker SDK's ``Transformer(model_name, instance_count, instance_type, output_path=...)``
    and its ``transform(data, content_type=..., split_type=...)`` become props here; every run of
    ``state_machine`` is one ``transform()`` call. Results are ``<input key>.out`` objects under the
    output path, written only for inputs that succeed in full.

    Secure by default: the output and the instances' volumes are encrypted with a customer-managed
    key (not the volume on local-NVMe instance types, which SageMaker refuses and encrypts in
    hardware); the state machine's role may only create, watch and stop this construct's jobs and
    pass only the model's role; logs (all events, with execution data) go to an encrypted log group
    that is retained; X-Ray tracing is on. The model's role is granted exactly what the job needs:
    read the input location, write the output location, use the key, write transform job logs.
    With a trigger, a run start EventBridge cannot deliver waits in an encrypted dead-letter queue
    that alarms on ``topic`` instead of being dropped.
    """

    @batched()
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        model: IModel,
        source: TransformSource,
        output_path: str | None = None,
        output_bucket: s3.IBucket | None = None,
        output_prefix: str = "",
        instance_type: InstanceType | str = InstanceType.M5_LARGE,
        instance_count: int = 1,
        content_type: str | None = None,
        accept: str | None = None,
        split_type: SplitType | str | None = None,
        batch_strategy: BatchStrategy | str | None = None,
        assemble_with: AssembleWith | str | None = None,
        compression_type: CompressionType | str | None = None,
        max_payload_in_mb: int | None = None,
        max_concurrent_transforms: int | None = None,
        input_filter: str | None = None,
        output_filter: str | None = None,
        join_source: JoinSource | str | None = None,
        environment: Mapping[str, str] | None = None,
        invocations_timeout: Duration | None = None,
        invocations_max_retries: int | None = None,
        encryption_key: kms.IKey | None = None,
        topic: sns.ITopic | None = None,
        tags: Mapping[str, str] | None = None,
        trigger_on_object_created: bool = False,
        schedule: events.Schedule | None = None,
        job_name_prefix: str | None = None,
        capacity_retries: int = 3,
        capacity_retry_interval: Duration = _CAPACITY_RETRY_INTERVAL,
        timeout: Duration = _TIMEOUT,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        """
        :param model: the model to run (a ``Model`` or ``InferencePipelineModel`` of this app, e.g. the
            very object an endpoint serves); its role is granted what the job needs.
        :param source: the input: ``TransformSource.s3_prefix(bucket, "batch/input/")`` or
            ``TransformSource.manifest(...)`` (the SDK's ``data`` and ``data_type``).
        :param output_path: where results go, ``s3://bucket/prefix`` (the SDK's ``output_path``).
            Give this or ``output_bucket``.
        :param output_bucket: the bucket results go to, with ``output_prefix``.
        :param output_prefix: the key prefix under ``output_bucket``. Default: "" (the bucket's root).
        :param instance_type: an ``InstanceType`` or its name. Default: ``ml.m5.large``.
        :param instance_count: instances, 1-100 (each takes whole input objects). Default: 1.
        :param content_type: see ``TransformSettings``; so are ``accept``, ``split_type``,
            ``batch_strategy``, ``assemble_with``, ``compression_type``, ``max_payload_in_mb``,
            ``max_concurrent_transforms``, ``input_filter``, ``output_filter``, ``join_source``,
            ``environment`` and ``invocations_max_retries``. Default: None each (SageMaker's default).
        :param invocations_timeout: how long one request may take, 1 s to 1 hour, in whole seconds.
            Default: None (SageMaker: 600 s).
        :param encryption_key: encrypts the output, the volumes, the logs and the notifications
            topic it creates. Default: a new key with rotation, retained.
        :param topic: where failures are published. Default: a new topic encrypted with the key.
        :param tags: tags of each transform job, at most 49 (the construct adds one naming the
            execution). Default: none.
        :param trigger_on_object_created: start a run for every non-empty object created under the
            input prefix (S3 -> EventBridge). A bucket declared in this app gets EventBridge
            notifications turned on; an imported one must have them on. Default: False.
        :param schedule: also start a run of the whole input location on this schedule.
            Default: none (on demand only). A start EventBridge cannot deliver for 24 hours (its
            default retries) goes to ``trigger_dead_letter_queue``, whose alarms notify ``topic``,
            with either trigger.
        :param job_name_prefix: 1-30 letters, digits and hyphens; each job is
            ``<prefix>-<32 hex digits>`` hashed from the execution and attempt, unique per execution.
            Default: derived from the construct path.
        :param capacity_retries: how often a job that failed for lack of instances (CapacityError)
            is started again, 0-10. Default: 3.
        :param capacity_retry_interval: the wait before such a retry, 1 minute to 1 day.
            Default: 10 minutes.
        :param timeout: the longest a run may take. Default: 1 day.
        :param log_retention: how long the state machine's logs are kept. Default: one year.
        :param removal_policy: of the key and log group this construct creates. Default: RETAIN.
        """
        super().__init__(scope, id)
        if model.role is None:
            raise fail(self, "model", "a model declared in this app (its role is granted the job's access)",
                       model.node.path)
        self.model = model
        self.source = source
        self.instance_type = to_instance_type(self, "instance_type", instance_type, InstanceUse.TRANSFORM)
        check(self, isinstance(instance_count, int) and not isinstance(instance_count, bool), "instance_count",
              "a whole number", instance_count)
        check_range(self, "instance_count", instance_count, 1, 100)
        self.instance_count = instance_count
        timeout_seconds = None
        if invocations_timeout is not None:
            seconds = invocations_timeout.to_seconds(integral=False)
            check(self, seconds == int(seconds), "invocations_timeout", "whole seconds", seconds)
            timeout_seconds = int(seconds)
        # Enum props may be their API strings: TransformSettings turns them into members (or refuses).
        settings: dict[str, Any] = dict(
            content_type=content_type, accept=accept, split_type=split_type, batch_strategy=batch_strategy,
            assemble_with=assemble_with, compression_type=compression_type,
            max_payload_in_mb=max_payload_in_mb, max_concurrent_transforms=max_concurrent_transforms,
            input_filter=input_filter, output_filter=output_filter, join_source=join_source,
            environment=dict(environment or {}), invocations_timeout_in_seconds=timeout_seconds,
            invocations_max_retries=invocations_max_retries,
        )
        try:
            #: The job's batch semantics as a plain object (what a local runner reads).
            self.settings = TransformSettings(**settings)
        except TransformSettingsError as error:
            raise fail(self, *error.violation) from None
        self._check_source(source)
        self.output_bucket, self.output_prefix = self._output(output_path, output_bucket, output_prefix)
        #: Where results go: ``s3://<bucket>/<prefix>``.
        self.output_path = f"s3://{self.output_bucket.bucket_name}/{self.output_prefix}"
        self._check_output_not_read(trigger_on_object_created)
        self.tags = dict(tags or {})
        self._check_tags()
        check_range(self, "capacity_retries", capacity_retries, 0, 10)
        check_range(self, "capacity_retry_interval (seconds)", capacity_retry_interval.to_seconds(), 60, 86400)
        self.job_name_prefix = job_name_prefix or _default_prefix(self)
        check_pattern(self, "job_name_prefix", self.job_name_prefix, _JOB_NAME_PREFIX,
                      f"1-{MAX_JOB_NAME_PREFIX} letters, digits and inner hyphens")

        self.encryption_key = encryption_key or kms.Key(
            self, "Key", description=f"Encrypts the output, volumes and logs of batch transform {self.node.path}",
            enable_key_rotation=True, removal_policy=removal_policy,
        )
        self.topic = topic or sns.Topic(self, "Topic", display_name="Batch transform failures",
                                        master_key=self.encryption_key, enforce_ssl=True)
        self._grant_model()

        self.role = ManagedPolicyRole(
            self, "Role", assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
            description=f"Runs the transform jobs of {self.node.path}: creates, watches and stops them",
        )
        self._grant_state_machine()
        let_logs_use(self.encryption_key)
        self.log_group = logs.LogGroup(self, "Logs", encryption_key=self.encryption_key,
                                       retention=log_retention, removal_policy=removal_policy)
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            definition_body=sfn.DefinitionBody.from_chainable(self._definition(capacity_retries,
                                                                               capacity_retry_interval)),
            role=self.role,
            timeout=timeout,
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
            comment=f"Batch transform of {model.node.path}: one SageMaker transform job per run",
        )
        acknowledge(
            self.role.policy,
            ["AwsSolutions-IAM5[Resource::*]"],
            "IAM requires Resource '*' for the CloudWatch Logs delivery actions (logs:CreateLogDelivery and "
            "friends) and the X-Ray actions a state machine needs for logging and tracing.",
        )
        CfnOutput(self, "StateMachineArn", value=self.state_machine.state_machine_arn,
                  description=f"Start runs of {self.node.path}: transform start --state-machine <this>")
        self.rules: list[events.Rule] = []
        #: Run starts EventBridge could not deliver (None without triggers).
        self.trigger_dead_letter_queue: sqs.Queue | None = None
        if trigger_on_object_created or schedule is not None:
            self.trigger_dead_letter_queue = DeadLetters(self, key=self.encryption_key, topic=self.topic).queue(
                "TriggerDeadLetterQueue", "run starts EventBridge could not deliver", of_rule_target=True)
        if trigger_on_object_created:
            self._trigger_on_object_created()
        if schedule is not None:
            self._trigger_on_schedule(schedule)

    # -- validation ------------------------------------------------------------------------------

    def _check_source(self, source: TransformSource) -> None:
        for key in dict.fromkeys([source.key, *source.readable]):
            _check_key(self, "source key", key)
        if source.data_type == "S3Prefix":
            check(self, source.key == "" or source.key.endswith("/") or is_token(source.key), "source prefix",
                  "'' or a folder ending with '/' (the input location is a folder)", source.key)

    def _output(
        self, output_path: str | None, output_bucket: s3.IBucket | None, output_prefix: str
    ) -> tuple[s3.IBucket, str]:
        check(self, (output_path is None) != (output_bucket is None), "output_path or output_bucket",
              "exactly one of them", output_path)
        if output_bucket is not None:
            _check_key(self, "output_prefix", output_prefix)
            return output_bucket, output_prefix
        assert output_path is not None
        check_pattern(self, "output_path", output_path, _S3_URI, "an s3://<bucket>/<prefix> URI")
        check_count(self, "output_path", output_path, 6, 1024)
        bucket_name, prefix = output_path[len("s3://"):].split("/", 1)
        check(self, output_prefix == "", "output_prefix", "unset when output_path is set", output_prefix)
        return s3.Bucket.from_bucket_name(self, "OutputBucket", bucket_name), prefix

    def _check_output_not_read(self, trigger_on_object_created: bool) -> None:
        """Results must not land where a run reads its input: with the trigger each result would start
        a run; under an ``S3Prefix`` source each run of the default input (a schedule, a start without
        ``input``) would transform the earlier results too."""
        if trigger_on_object_created:
            read = self.source.override_prefix
            when = "when runs start on object creation (each result would start another run)"
        elif self.source.data_type == "S3Prefix":
            read, when = self.source.key, "(the next run of the input would transform these results too)"
        else:
            return
        same_bucket = self.output_bucket is self.source.bucket or (
            not is_token(self.output_bucket.bucket_name)
            and self.output_bucket.bucket_name == self.source.bucket.bucket_name)
        # SageMaker writes each result in a subfolder of the output path: the path is a folder.
        folder = f"{self.output_prefix.rstrip('/')}/" if self.output_prefix else ""
        check(self, not (same_bucket and folder.startswith(read)), "output location",
              f"outside the input prefix {when}", self.output_prefix)

    def _check_tags(self) -> None:
        check(self, len(self.tags) <= 49, "tags", "at most 49 entries (the construct adds one)",
              f"{len(self.tags)} entries")
        for key, value in self.tags.items():
            check_pattern(self, "tags key", key, rf"(?!aws:){METADATA_TEXT_PATTERN}",
                          f"1-128 {METADATA_TEXT_RULE}, not starting with aws:")
            check_count(self, "tags key", key, 1, 128)
            check_pattern(self, f"tags[{key!r}]", value, METADATA_TEXT_PATTERN, METADATA_TEXT_RULE)
            check_count(self, f"tags[{key!r}]", value, 0, 256)

    # -- grants ------------------------------------------------------------------------------------

    def _grant_model(self) -> None:
        """What SageMaker does with the model's role during the job: read, write, encrypt, log.

        Granted to the model itself (an ``iam.IGrantable``), so the statements land in its managed policy.
        """
        model = cast(iam.IGrantable, self.model)
        bucket = self.source.bucket
        prefixes = list(dict.fromkeys(self.source.readable))
        readable = [bucket.arn_for_objects(f"{prefix}*") for prefix in prefixes]
        outputs = self.output_bucket.arn_for_objects(f"{self.output_prefix}*")
        _, transform_logs = log_group_arns(environment_of(self), TRANSFORM_LOG_GROUP)
        key = self.encryption_key.key_arn
        grants: list[tuple[list[str], list[str], dict[str, Any] | None]] = [
            (["s3:GetObject"], readable, None),
            (["s3:ListBucket"], [bucket.bucket_arn], {"StringLike": {"s3:prefix": [f"{p}*" for p in prefixes]}}),
            (["s3:PutObject", "s3:AbortMultipartUpload"], [outputs], None),
            # SSE-KMS uploads of the output (multipart ones decrypt the parts' data keys).
            (["kms:GenerateDataKey", "kms:Decrypt"], [key], None),
            (["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
             [transform_logs], None),
        ]
        if not self.instance_type.has_local_nvme_storage:
            # SageMaker creates a grant on the key for the instances' encrypted volumes.
            grants.append((["kms:CreateGrant"], [key], {"Bool": {"kms:GrantIsForAWSResource": "true"}}))
        if bucket.encryption_key is not None:
            grants.append((["kms:Decrypt"], [bucket.encryption_key.key_arn], None))
        for actions, resources, conditions in grants:
            iam.Grant.add_to_principal(grantee=model, actions=actions, resource_arns=resources, conditions=conditions)
        for arn, reason in [
            *((arn, "The job reads every object under the input location; their keys are not known at synth.")
              for arn in readable),
            (outputs, "SageMaker names each result after its input (<key>.out) under the output prefix."),
            (transform_logs, "SageMaker writes one log stream per instance and container, named after the "
                             "job, which is named per execution."),
        ]:
            acknowledge_wildcard_resource(cast(IConstruct, self.model), arn, reason)

    def _grant_state_machine(self) -> None:
        """Create, watch and stop this construct's jobs; pass only the model's role; publish failures
        (the SnsPublish task grants sns:Publish alone, while an encrypted topic needs its key too)."""
        self.topic.grant_publish(self.role)
        acknowledge(self.role.policy, ["AwsSolutions-IAM5[Action::kms:GenerateDataKey*]"],
                    "aws-cdk's publish grant for the KMS-encrypted topic: the action applies to the key that "
                    "encrypts it.")
        environment = environment_of(self)
        # SageMaker lower-cases names in ARNs.
        jobs = sagemaker_arn(environment, "transform-job", f"{self.job_name_prefix.lower()}-*")
        self.role.add_to_principal_policy(iam.PolicyStatement(
            actions=["sagemaker:CreateTransformJob", "sagemaker:DescribeTransformJob",
                     "sagemaker:StopTransformJob", "sagemaker:AddTags", "sagemaker:ListTags"],
            resources=[jobs],
        ))
        acknowledge_wildcard_resource(self.role, jobs, "Each run creates a job named <prefix>-<hash of the "
                                      "execution>: the wildcard covers this construct's jobs only.")
        self.role.add_to_principal_policy(iam.PolicyStatement(
            actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            resources=[environment.arn("events", "rule", SYNC_RULE_NAME)],
        ))
        assert self.model.role is not None
        self.role.add_to_principal_policy(iam.PolicyStatement(
            actions=["iam:PassRole"], resources=[self.model.role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        ))

    # -- the state machine ---------------------------------------------------------------------

    def _definition(self, capacity_retries: int, capacity_retry_interval: Duration) -> sfn.IChainable:
        source = self.source
        allowed = f"s3://{source.bucket.bucket_name}/{source.override_prefix}*"
        failed = sfn.Fail(self, "Failed", error="TransformFailed",
                          cause="The transform job failed or was refused: see the notification")
        notify = tasks.SnsPublish(
            self, "NotifyFailure", topic=self.topic,
            subject=f"Batch transform failed: {self.node.id}"[:SUBJECT_LENGTH],
            message=sfn.TaskInput.from_object({
                "transform": self.node.path,
                "execution": sfn.JsonPath.string_at("$$.Execution.Id"),
                "input": sfn.JsonPath.string_at("$.input"),
                "error": sfn.JsonPath.object_at("$.error"),
            }),
            result_path=sfn.JsonPath.DISCARD,
        ).next(failed)
        refuse = sfn.Pass(self, "RefuseInput", parameters={
            "input.$": "$.input",
            "error": {"Error": "InputOutsideSource",
                      "Cause": f"An execution's input must be an s3:// URI matching {allowed}"},
        }).next(notify)
        transform = self._transform_state()
        start = sfn.Pass(self, "GivenInput", parameters={"input.$": "$.input", "attempt": 1}).next(transform)
        default = sfn.Pass(self, "DefaultInput", parameters={"input": source.uri, "attempt": 1}).next(transform)
        next_attempt = sfn.Pass(self, "NextAttempt", parameters={
            "input.$": "$.input", "attempt.$": "States.MathAdd($.attempt, 1)",
        }).next(transform)
        wait = sfn.Wait(self, "WaitForCapacity",
                        time=sfn.WaitTime.duration(capacity_retry_interval)).next(next_attempt)
        after_failure = sfn.Choice(self, "CapacityError?").when(
            sfn.Condition.and_(
                sfn.Condition.is_string("$.error.Cause"),
                sfn.Condition.string_matches("$.error.Cause", CAPACITY_ERROR_PATTERN),
                sfn.Condition.number_less_than("$.attempt", capacity_retries + 1),
            ),
            wait,
        ).otherwise(notify)
        transform.add_retry(errors=list(THROTTLING_ERRORS), interval=Duration.seconds(5), backoff_rate=2,
                            max_attempts=6, max_delay=Duration.minutes(1), jitter_strategy=sfn.JitterType.FULL)
        transform.add_retry(errors=list(QUOTA_ERRORS), interval=Duration.minutes(1), backoff_rate=2,
                            max_attempts=5, max_delay=Duration.minutes(15), jitter_strategy=sfn.JitterType.FULL)
        transform.add_catch(after_failure, errors=["States.ALL"], result_path="$.error")
        transform.next(sfn.Succeed(self, "Done"))
        check_input = sfn.Choice(self, "InputAllowed?").when(
            sfn.Condition.and_(sfn.Condition.is_string("$.input"), sfn.Condition.string_matches("$.input", allowed)),
            start,
        ).otherwise(refuse)
        return sfn.Choice(self, "InputGiven?").when(sfn.Condition.is_present("$.input"), check_input) \
            .otherwise(default)

    def _transform_state(self) -> sfn.CustomState:
        request = self.settings.to_request()
        transform_input = {
            "DataSource": {"S3DataSource": {"S3DataType": self.source.data_type, "S3Uri.$": "$.input"}},
            **request.pop("TransformInput", {}),
        }
        transform_output: dict[str, Any] = {
            "S3OutputPath": self.output_path,
            **request.pop("TransformOutput", {}),
            "KmsKeyId": self.encryption_key.key_arn,
        }
        resources: dict[str, Any] = {"InstanceType": self.instance_type.name, "InstanceCount": self.instance_count}
        if self.instance_type.has_local_nvme_storage:
            Annotations.of(self).add_warning_v2(
                "cdk-sagemaker-inference:transformVolumeKey",
                f"{self.instance_type.name} has local NVMe storage, which SageMaker encrypts in hardware and "
                "refuses a VolumeKmsKeyId for: the volume key is left out (the output is still encrypted).",
            )
        else:
            resources["VolumeKmsKeyId"] = self.encryption_key.key_arn
        tags = [{"Key": key, "Value": value} for key, value in self.tags.items()]
        tags.append({"Key": "stepfunctions:execution", "Value.$": "$$.Execution.Id"})
        parameters = {
            # <prefix>-<MD5 of the execution, the capacity attempt and the retry>: unique per attempt
            # (a retry after the job was created needs a new name), valid and at most 63 characters.
            "TransformJobName.$": (
                f"States.Format('{self.job_name_prefix}-{{}}', States.Hash(States.Format('{{}}/{{}}/{{}}', "
                "$$.Execution.Id, $.attempt, $$.State.RetryCount), 'MD5'))"
            ),
            "ModelName": self.model.model_name,
            **request,
            "TransformInput": transform_input,
            "TransformOutput": transform_output,
            "TransformResources": resources,
            "Tags": tags,
        }
        return sfn.CustomState(self, "Transform", state_json={
            "Type": "Task",
            "Resource": f"arn:{environment_of(self).partition}:states:::sagemaker:createTransformJob.sync",
            "Parameters": parameters,
            "ResultSelector": {
                "TransformJobName.$": "$.TransformJobName",
                "TransformJobArn.$": "$.TransformJobArn",
                "TransformJobStatus.$": "$.TransformJobStatus",
                "S3OutputPath.$": "$.TransformOutput.S3OutputPath",
            },
            "ResultPath": "$.job",
        })

    # -- triggers ------------------------------------------------------------------------------------

    def _start_execution(self, input: events.RuleTargetInput) -> targets.SfnStateMachine:
        """A rule target that starts a run with ``input``, through one role for every rule; what
        EventBridge cannot deliver within its default retries (24 hours, 185 attempts) goes to the
        dead-letter queue."""
        role = self.node.try_find_child("EventsRole")
        if not isinstance(role, ManagedPolicyRole):
            role = ManagedPolicyRole(self, "EventsRole", assumed_by=iam.ServicePrincipal(EVENTS),
                                     description=f"Starts runs of batch transform {self.node.path}")
            self.state_machine.grant_start_execution(role)
        return targets.SfnStateMachine(self.state_machine, role=role, input=input,
                                       dead_letter_queue=self.trigger_dead_letter_queue)

    def _trigger_on_object_created(self) -> None:
        bucket = self.source.bucket
        default_child = bucket.node.default_child
        if isinstance(default_child, s3.CfnBucket):
            default_child.add_property_override(
                "NotificationConfiguration.EventBridgeConfiguration.EventBridgeEnabled", True)
        else:
            Annotations.of(self).add_warning_v2(
                "cdk-sagemaker-inference:transformBucketEvents",
                "The input bucket is imported: turn on its EventBridge notifications, or no run starts.",
            )
        self.rules.append(events.Rule(
            self, "ObjectCreated",
            description=f"Objects created under {self.source.override_prefix or 'the root'} start batch transform "
                        f"{self.node.path}",
            event_pattern=events.EventPattern(
                source=["aws.s3"],
                detail_type=["Object Created"],
                detail={
                    "bucket": {"name": [bucket.bucket_name]},
                    # Folder markers and empty files hold nothing to score.
                    "object": {"key": events.Match.prefix(self.source.override_prefix),
                               "size": events.Match.greater_than(0)},
                },
            ),
            targets=[self._start_execution(events.RuleTargetInput.from_object({
                "input": f"s3://{events.EventField.from_path('$.detail.bucket.name')}/"
                         f"{events.EventField.from_path('$.detail.object.key')}",
            }))],
        ))

    def _trigger_on_schedule(self, schedule: events.Schedule) -> None:
        self.rules.append(events.Rule(
            self, "Schedule", schedule=schedule,
            description=f"Scheduled runs of batch transform {self.node.path} over its whole input location",
            targets=[self._start_execution(events.RuleTargetInput.from_object({}))],
        ))

    # -- grants and metrics ----------------------------------------------------------------------

    def grant_start_execution(self, grantee: iam.IGrantable) -> iam.Grant:
        """Allows ``grantee`` to start runs (``states:StartExecution`` on this state machine only)."""
        return self.state_machine.grant_start_execution(grantee)

    def metric_failed(self, **options: Any) -> cloudwatch.Metric:
        """Runs that failed (``ExecutionsFailed``), summed over 5 minutes unless ``options`` say otherwise."""
        return self.state_machine.metric_failed(**options)


def _check_key(scope: Construct, prop: str, key: str) -> None:
    """An S3 key or key prefix the state machine can match: no leading '/', no wildcard, <= 1024."""
    if is_token(key):
        return
    check(scope, len(key) <= 1024 and not key.startswith("/") and not any(c in key for c in "*?\\"), prop,
          "an S3 key prefix of at most 1024 characters, without a leading '/' or wildcards", key)


def _default_prefix(scope: Construct) -> str:
    """A stable, valid job name prefix from the construct path (at most 30 characters, lower case)."""
    name = Names.unique_resource_name(scope, max_length=MAX_JOB_NAME_PREFIX, separator="-",
                                      allowed_special_characters="-")
    return name.strip("-").lower()

