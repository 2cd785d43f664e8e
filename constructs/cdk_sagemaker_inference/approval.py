"""ApprovalDeployment: approving a model package version in the registry deploys it.

Flow: SageMaker emits "SageMaker Model Package State Change" -> an EventBridge rule (this group,
Approved, Rejected or PendingManualApproval: a served version moved back to it stops being served)
-> an encrypted SQS queue -> the ``approval_deployer`` Lambda, which serves
the newest Approved version by changing only the endpoint stack's served-version parameter (or by
starting a pipeline) -> CloudFormation switches the endpoint with its guardrails -> a rule on the
endpoint stack's status changes invokes the ``deployment_monitor`` Lambda, which reports whether the
endpoint really serves the new config. Every outcome goes to the SNS topic; a message that cannot
be handled ends in a dead-letter queue whose alarm notifies the same topic.

A silent rollback (SageMaker kept the old config while the stack update completed) reaches the
deployer through the endpoint itself: before each decision it runs the monitor's check, so the next
approval event of the group, or the same event sent again, redeploys the version (the served
version's redeploy parameter). The monitor only reports; its log line feeds the silent-rollback
alarm, which notifies the topic too.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import jsii
from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from aws_cdk.interfaces.aws_events import IRuleRef
from constructs import Construct

from ._assets import HANDLER_RUNTIME, handler_code
from ._batch import batched
from ._dead_letters import DeadLetters
from ._endpoint_state import SILENT_ROLLBACK
from ._iam import ManagedPolicyRole, allow_network_interfaces
from ._metrics import DEFAULT_PERIOD, Statistic
from ._names import (
    NAME_PATTERN,
    VERSIONS_WILDCARD_REASON,
    lowercase_arn_name,
    model_package_version_arns,
    sagemaker_arn,
)
from ._service_access import EVENTS, SEND_ENCRYPTED_ACTIONS, let_logs_use
from ._stack_env import environment_of
from ._validation import check, check_pattern, check_range, duration_of_seconds, fail, is_token, whole_seconds
from .compliance import acknowledge, acknowledge_wildcard_resource
from .runtime.enums import ModelApprovalStatus
from .served_version_switch import STACK_ID_REASON, ssm_parameter_arns, ssm_typed_parameter_arns, stack_arn

if TYPE_CHECKING:
    # Type hints only: a deployment triggered through its stack does not pay aws_codepipeline's import.
    from aws_cdk import aws_codepipeline as codepipeline

    from .served_version_switch import ServedVersionSwitch

#: The default name of the endpoint stack's parameter that holds the served version's ARN.
DEFAULT_PARAMETER_NAME = "ServedModelPackageArn"

_GROUP_NAME = NAME_PATTERN
_GROUP_NAME_RULE = "1-63 letters, digits and inner hyphens"
_ENDPOINT_NAME = _GROUP_NAME
_STACK_NAME = r"[a-zA-Z][-a-zA-Z0-9]{0,127}"
_STACK_NAME_RULE = "a stack name: 1-128 letters, digits and hyphens, starting with a letter"
#: The package's CDK-free modules a handler imports: the one rule for names in ARNs, and the one
#: check whether an endpoint runs what its stack declares.
_SHARED_MODULES = {"approval_deployer": ("_names.py", "_endpoint_state.py"),
                   "deployment_monitor": ("_names.py", "_endpoint_state.py")}
#: What the monitor logs for a silent rollback (its ``Outcome.SILENT_ROLLBACK``), as a filter term.
_SILENT_ROLLBACK_TERM = f'"{SILENT_ROLLBACK}"'
#: The namespace of the metrics this package derives from its handlers' logs.
METRIC_NAMESPACE = "cdk-sagemaker-inference"
# Durations are made once per process, and their numbers kept here: each Duration, and each
# question asked of one, is a round trip to Node.
_DEPLOYER_TIMEOUT_SECONDS = 60
_DEPLOYER_TIMEOUT = Duration.seconds(_DEPLOYER_TIMEOUT_SECONDS)
_MONITOR_TIMEOUT = Duration.seconds(30)
#: AWS's advice for a Lambda event source: a visibility timeout of at least six times the function's.
_QUEUE_VISIBILITY_TIMEOUT = Duration.seconds(6 * _DEPLOYER_TIMEOUT_SECONDS)
#: EventBridge's maximum: an approval event is retried for a day before it goes to the dead letters.
_EVENT_MAX_AGE = duration_of_seconds(24 * 3600)
#: How long a stack status event may take to reach the monitor and be handled: EventBridge retries
#: delivering it to Lambda (the rule target's retry policy), then Lambda keeps it in the function's
#: asynchronous queue and retries it (EventInvokeConfig: Lambda's own default is six hours on
#: throttles), each for at most this long; then it goes to the monitor's dead-letter queue.
_MONITOR_EVENT_MAX_AGE = Duration.hours(1)
#: Attempts after the first: EventBridge's to deliver an event to the monitor, and Lambda's to run
#: it again after a function error (for Lambda its maximum and its default).
_MONITOR_RETRY_ATTEMPTS = 2
_SILENT_ROLLBACK_PATTERN = logs.FilterPattern.literal(_SILENT_ROLLBACK_TERM)
_SILENT_ROLLBACK_METRIC = {"statistic": Statistic.SUM, "period": DEFAULT_PERIOD}


class IModelPackageGroupRef(Protocol):
    """A model package group, by name: ``ModelPackageGroup`` of ``registry.py`` is one."""

    @property
    def model_package_group_name(self) -> str:
        """The group's name."""


class DeploymentTrigger(abc.ABC):
    """How the deployer switches the served version: a stack parameter or a pipeline."""

    #: The endpoint stack the trigger updates, if it knows it (the monitor watches it).
    stack_name: str | None = None
    #: The stacks without an endpoint that the trigger switches after it (the monitor reports them).
    also_stack_names: Sequence[str] = ()

    @staticmethod
    def cloudformation_stack(
        stack_name: str,
        *,
        parameter_name: str = DEFAULT_PARAMETER_NAME,
        execution_role_arn: str | None = None,
        ssm_parameter_names: Sequence[str] = (),
    ) -> DeploymentTrigger:
        """Updates the endpoint stack with its previous template and a new value of one parameter.

        For a stack of this app prefer ``served_version_switch``, which takes the role and the
        SSM-typed parameters from the stack itself.

        :param stack_name: the endpoint stack (in this construct's account and region).
        :param parameter_name: the stack parameter that holds the served version's ARN.
            Default: ``ServedModelPackageArn``, the parameter ``ServedModelPackage`` declares.
        :param execution_role_arn: the CloudFormation service role the switch runs with. The
            deployer passes it in every UpdateStack (``RoleARN``), may pass it to CloudFormation
            and nothing else, and may call UpdateStack only with it (``cloudformation:RoleArn``).
            Give a role that can do only what a switch does (``ServedVersionSwitch``), never the
            bootstrap ``cfn-exec`` role: whoever may pass a role to UpdateStack can deploy any
            template with it. Default: None, CloudFormation acts with the deployer's own role,
            which may only update the stack, so such an update fails: give the role.
        :param ssm_parameter_names: the stack's ``AWS::SSM::Parameter::Value<...>`` parameters'
            SSM names (a CDK stack's ``/cdk-bootstrap/<qualifier>/version``): CloudFormation
            resolves them with the deployer's credentials, so it may read exactly these.
            Default: none.
        """
        return _StackParameterTrigger(stack_name, parameter_name, execution_role_arn, ssm_parameter_names)

    @staticmethod
    def served_version_switch(switch: ServedVersionSwitch, *,
                              also: Sequence[ServedVersionSwitch] = ()) -> DeploymentTrigger:
        """Updates the stack of ``switch`` with ``switch``'s role, reading the SSM-typed parameters
        that stack declares (its synthesizer's ``BootstrapVersion``, with that synthesizer's
        qualifier).

        :param switch: the endpoint stack's switch (declared with ``endpoint_name``): its group,
            endpoint and stack must be the ``ApprovalDeployment``'s ``model_package_group``,
            ``endpoint_name`` and ``endpoint_stack_name``, or the construct refuses it.
        :param also: switches of stacks that serve the same group without an endpoint (a
            ``BatchTransform``'s stack, its switch declared with ``transforms``). After each
            decision for the endpoint stack, each of these stacks is set to the newest Approved
            version the same way, with its own switch's role, and reported on its own; a silent
            rollback concerns only the endpoint. Default: none.
        """
        return _StackParameterTrigger(
            switch.stack_name, switch.parameter_name, switch.role_arn, ssm_parameters_of=switch.stack,
            switch=switch, also=also)

    @staticmethod
    def code_pipeline(
        pipeline: codepipeline.IPipeline, *, variable_name: str = DEFAULT_PARAMETER_NAME
    ) -> DeploymentTrigger:
        """Starts an execution of ``pipeline`` with the version's ARN in a pipeline variable.

        :param pipeline: a V2 pipeline (only V2 pipelines have variables) that declares the variable.
        :param variable_name: the pipeline variable. Default: ``ServedModelPackageArn``.
        """
        return _PipelineTrigger(pipeline, variable_name)

    @abc.abstractmethod
    def bind(self, scope: Construct, role: iam.Role) -> Mapping[str, str]:
        """Validates the trigger, grants ``role`` exactly what the switch needs, and returns the
        handler's environment variables that say where the served version is recorded."""

    def check_settings(self, scope: Construct, group_name: str, endpoint_name: str,
                       endpoint_stack_name: str | None) -> None:
        """Refuses settings of ``scope`` (an ``ApprovalDeployment``) that contradict what the trigger
        itself names. Default: the trigger names nothing to compare."""
        return None


class _StackParameterTrigger(DeploymentTrigger):
    def __init__(self, stack_name: str, parameter_name: str, execution_role_arn: str | None,
                 ssm_parameter_names: Sequence[str] = (), ssm_parameters_of: Stack | None = None,
                 switch: ServedVersionSwitch | None = None, also: Sequence[ServedVersionSwitch] = ()) -> None:
        self.stack_name = self._stack = stack_name
        self.parameter_name = parameter_name
        self.execution_role_arn = execution_role_arn
        self.ssm_parameter_names = list(ssm_parameter_names)
        self._ssm_parameters_of = ssm_parameters_of
        self._switch = switch
        self._group_name = None if switch is None else switch.model_package_group_name
        self._also = list(also)
        self.also_stack_names = [switch.stack_name for switch in self._also]

    def bind(self, scope: Construct, role: iam.Role) -> Mapping[str, str]:
        check_pattern(scope, "trigger stack_name", self._stack, _STACK_NAME, _STACK_NAME_RULE)
        check_pattern(scope, "trigger parameter_name", self.parameter_name, r"[a-zA-Z0-9]{1,255}",
                      "a CloudFormation parameter name: 1-255 letters and digits")
        for switch in self._also:
            self._check_also(scope, switch)
        here = environment_of(scope)
        ssm_parameters = None
        if self._ssm_parameters_of is not None:
            # One statement for every stack's SSM-typed parameters (a CDK stack's BootstrapVersion is
            # the same parameter in each stack of one qualifier).
            stacks = [self._ssm_parameters_of, *(switch.stack for switch in self._also)]
            ssm_parameters = ssm_typed_parameter_arns(stacks, here.stack)
        elif self.ssm_parameter_names:
            ssm_parameters = ssm_parameter_arns(here, self.ssm_parameter_names)
        _let_update(scope, role, self._stack, self.execution_role_arn, ssm_parameters)
        environment = {"STACK_NAME": self._stack, "PARAMETER_NAME": self.parameter_name}
        if self.execution_role_arn is not None:
            environment["ROLE_ARN"] = self.execution_role_arn
        if not self._also:
            return environment
        for switch in self._also:
            _let_update(scope, role, switch.stack_name, switch.role_arn)
        # Lists in one variable each, separated by spaces, which no stack name, parameter name or
        # role ARN holds (a role name may hold a comma); a role ARN is a token, joined by CloudFormation.
        return {**environment,
                "ALSO_STACK_NAMES": " ".join(self.also_stack_names),
                "ALSO_PARAMETER_NAMES": " ".join(switch.parameter_name for switch in self._also),
                "ALSO_ROLE_ARNS": " ".join(switch.role_arn for switch in self._also)}

    def check_settings(self, scope: Construct, group_name: str, endpoint_name: str,
                       endpoint_stack_name: str | None) -> None:
        """A switch must update the endpoint the construct watches, in its stack, for its group: the
        monitor and the deployer's silent-rollback check would otherwise compare another endpoint
        with what this stack declares (tokens are left to CloudFormation)."""
        switch = self._switch
        if switch is None:
            return
        if switch.endpoint_name is None:
            # A batch stack's switch: each update would look like a silent rollback of the endpoint.
            raise fail(scope, "trigger", "the switch of a stack with an endpoint (a switch without endpoint_name "
                       "belongs in also)", switch.stack_name)
        for prop, value, given, what in (
                ("model_package_group", group_name, switch.model_package_group_name, "group the switch serves"),
                ("endpoint_name", endpoint_name, switch.endpoint_name, "endpoint the switch updates"),
                ("endpoint_stack_name", endpoint_stack_name, switch.stack_name, "stack the switch updates")):
            check(scope, value is None or is_token(value) or is_token(given) or value == given, prop,
                  f"{given!r}, the {what}", value)

    def _check_also(self, scope: Construct, switch: ServedVersionSwitch) -> None:
        """A stack that also serves must be another stack without an endpoint, serving the same group."""
        if switch.stack_name == self._stack or self.also_stack_names.count(switch.stack_name) > 1:
            raise fail(scope, "trigger also", "switches of other stacks, each once", switch.stack_name)
        if switch.endpoint_name is not None:
            # Its endpoint would get no silent-rollback check and no monitoring of what it serves.
            raise fail(scope, "trigger also", "switches of stacks without an endpoint (give transforms, not "
                       f"endpoint_name, to the switch of {switch.stack_name})", switch.endpoint_name)
        group = switch.model_package_group_name
        if self._group_name is not None and not is_token(group) and not is_token(self._group_name) and (
                group != self._group_name):
            raise fail(scope, "trigger also", f"switches serving model package group {self._group_name!r}", group)


def _let_update(scope: Construct, role: iam.Role, stack_name: str, execution_role_arn: str | None,
                ssm_parameter_arns: list[str] | None = None) -> None:
    """Lets ``role`` describe stack ``stack_name`` and update it, passing ``execution_role_arn`` only,
    and read the SSM parameters ``ssm_parameter_arns`` (CloudFormation resolves a stack's SSM-typed
    parameters with the caller's credentials). Default: None, no SSM parameter."""
    stack = stack_arn(scope, stack_name)
    _allow(role, ["cloudformation:DescribeStacks"], stack, STACK_ID_REASON)
    if ssm_parameter_arns is not None:
        role.add_to_principal_policy(iam.PolicyStatement(
            actions=["ssm:GetParameters", "ssm:GetParameter"], resources=ssm_parameter_arns))
    if execution_role_arn is None:
        _allow(role, ["cloudformation:UpdateStack"], stack, STACK_ID_REASON)
        return
    # IAM cannot force UsePreviousTemplate: an UpdateStack that names no role, or another
    # one, would run with a role the switch was not meant to have (e.g. the stack's last).
    role.add_to_principal_policy(iam.PolicyStatement(
        actions=["cloudformation:UpdateStack"], resources=[stack],
        conditions={"StringEquals": {"cloudformation:RoleArn": execution_role_arn}},
    ))
    role.add_to_principal_policy(iam.PolicyStatement(
        actions=["iam:PassRole"],
        resources=[execution_role_arn],
        conditions={"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}},
    ))


class _PipelineTrigger(DeploymentTrigger):
    def __init__(self, pipeline: codepipeline.IPipeline, variable_name: str) -> None:
        self.pipeline = pipeline
        self.variable_name = variable_name

    def bind(self, scope: Construct, role: iam.Role) -> Mapping[str, str]:
        check_pattern(scope, "trigger variable_name", self.variable_name, r"[A-Za-z0-9@\-_]{1,128}",
                      "a pipeline variable name: 1-128 letters, digits, @, - and _")
        role.add_to_principal_policy(iam.PolicyStatement(
            actions=["codepipeline:StartPipelineExecution", "codepipeline:ListPipelineExecutions",
                     "codepipeline:GetPipelineExecution"],
            resources=[self.pipeline.pipeline_arn],
        ))
        return {"PIPELINE_NAME": self.pipeline.pipeline_name, "VARIABLE_NAME": self.variable_name}


def _allow(role: iam.Role, actions: list[str], resource: str, reason: str) -> None:
    """Allows ``actions`` on ``resource``, an ARN ending in a wildcard for the ``reason`` given."""
    role.add_to_principal_policy(iam.PolicyStatement(actions=actions, resources=[resource]))
    acknowledge_wildcard_resource(role, resource, reason)


class ApprovalDeployment(Construct):
    """Approving (or rejecting) a model package version switches the endpoint to the newest Approved one.

    Resources: an EventBridge rule on the group's approval changes, an SQS queue (KMS, TLS only)
    with a dead-letter queue, the ``approval_deployer`` Lambda consuming it one at a time; a rule on
    the endpoint stack's update results that invokes the ``deployment_monitor`` Lambda, with its own
    dead-letter queue. Each dead-letter queue has an alarm that notifies ``topic``, and every
    outcome (deploying, rolled back, nothing to do, rejected event, failed, silent rollback) is
    published to ``topic`` as JSON.

    Stacks that serve the group without an endpoint (the trigger's ``also``): the deployer sends
    each event to the queue again for each of them, in a message group of the stack's name, so
    each is decided, switched and retried on its own; the monitor reports their update results.

    Retries: a failed attempt (throttling, the stack is updating, ...) is retried after 30 s, 60 s,
    120 s ... at most 15 minutes apart; after ``max_receive_count`` receives the message moves to
    the dead-letter queue. An event that is not a state change of the group is moved there at once.
    """

    @batched()
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        model_package_group: str | IModelPackageGroupRef,
        trigger: DeploymentTrigger,
        topic: sns.ITopic,
        key: kms.IKey,
        endpoint_name: str,
        endpoint_stack_name: str | None = None,
        event_retry_attempts: int = 185,
        event_max_age: Duration = _EVENT_MAX_AGE,
        max_receive_count: int = 10,
        log_retention: logs.RetentionDays = logs.RetentionDays.ONE_YEAR,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
    ) -> None:
        """
        :param model_package_group: the registry group whose approvals deploy, by name or object
            (with ``DeploymentTrigger.served_version_switch``, the group the switch serves).
        :param trigger: how a switch happens: ``DeploymentTrigger.cloudformation_stack(...)`` or
            ``DeploymentTrigger.code_pipeline(...)``.
        :param topic: where outcomes and alarms go (the shared notifications topic). This construct
            lets CloudWatch alarms of this account publish to it (a topic policy replaces SNS's
            default one); an imported topic gets a warning, since its owner must allow that.
        :param key: encrypts the queues and the log groups (the shared key). This construct lets
            EventBridge and CloudWatch alarms encrypt with it, and CloudWatch Logs of this account
            and region.
        :param endpoint_name: the endpoint whose config the monitor checks after an update (with
            ``DeploymentTrigger.served_version_switch``, the endpoint the switch updates).
        :param endpoint_stack_name: the stack that declares the endpoint. Default: the trigger's
            stack (with ``DeploymentTrigger.served_version_switch``, no other may be given);
            required with a CodePipeline trigger.
        :param event_retry_attempts: how often EventBridge retries delivering an approval event to
            the queue, 0-185. Default: 185 (EventBridge's maximum); then the event goes to the
            rule's own dead-letter queue, which alarms, instead of being dropped.
        :param event_max_age: how long EventBridge keeps retrying, 1 minute to 24 hours. Default:
            24 hours (EventBridge's maximum).
        :param max_receive_count: attempts per message before it moves to the dead-letter queue,
            1-1000. Default: 10 (with the backoff about 1.5 hours: long enough for a blue/green
            update in progress to finish, and for Lambda throttles, which also count).
        :param log_retention: how long the handlers' logs are kept. Default: one year.
        :param vpc: run the handlers in this VPC (it then needs a NAT gateway or interface
            endpoints for SageMaker, CloudFormation or CodePipeline, SNS, SQS, KMS and Logs).
            Default: none; the handlers only call AWS APIs, over TLS with IAM authentication.
        :param vpc_subnets: the subnets within ``vpc``. Default: the private subnets.
        """
        super().__init__(scope, id)
        group_name = (model_package_group if isinstance(model_package_group, str)
                      else model_package_group.model_package_group_name)
        check_pattern(self, "model_package_group", group_name, _GROUP_NAME, _GROUP_NAME_RULE)
        check_pattern(self, "endpoint_name", endpoint_name, _ENDPOINT_NAME, _GROUP_NAME_RULE)
        trigger.check_settings(self, group_name, endpoint_name, endpoint_stack_name)
        check_range(self, "max_receive_count", max_receive_count, 1, 1000)
        check_range(self, "event_retry_attempts", event_retry_attempts, 0, 185)
        event_max_age_seconds = whole_seconds(event_max_age)
        check_range(self, "event_max_age (seconds)", event_max_age_seconds, 60, 86400)
        watched_stack = endpoint_stack_name or trigger.stack_name
        if watched_stack is None:
            raise fail(self, "endpoint_stack_name",
                       "set when the trigger is a pipeline (the monitor watches the endpoint stack)", None)
        check_pattern(self, "endpoint_stack_name", watched_stack, _STACK_NAME, _STACK_NAME_RULE)
        self.model_package_group_name = group_name
        self._key = key
        self._topic = topic
        self._topic_arn = topic.topic_arn
        self._log_retention = log_retention
        self._vpc = vpc
        self._vpc_subnets = vpc_subnets
        let_logs_use(key)
        self._dead_letters = DeadLetters(self, key=key, topic=topic)

        # Approval changes -> queue -> deployer.
        self.dead_letter_queue = self._dead_letters.queue("DeadLetterQueue", "approval events", fifo=True)
        # FIFO with one message group per switched stack (the group's name for the endpoint stack,
        # a stack's name for each stack that also serves): SQS hands the deployer one batch of a
        # group at a time, in order, so deployments of one stack never overlap without reserved
        # concurrency (a reservation can fail the deploy in an account with a low concurrency quota,
        # and throttled receives would count toward max_receive_count). A failed message holds its
        # group until it succeeds or is dead-lettered.
        self.queue = sqs.Queue(
            self,
            "Queue",
            fifo=True,
            # EventBridge may deliver an event twice: the same event within 5 minutes is one message.
            content_based_deduplication=True,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=key,
            enforce_ssl=True,
            visibility_timeout=_QUEUE_VISIBILITY_TIMEOUT,
            dead_letter_queue=sqs.DeadLetterQueue(queue=self.dead_letter_queue,
                                                  max_receive_count=max_receive_count),
        )
        self.deployer, self.deployer_role, _ = self._function(
            "Deployer", "approval_deployer", _DEPLOYER_TIMEOUT,
            "Serves the newest Approved model package version of " + group_name,
            environment={
                "MODEL_PACKAGE_GROUP_NAME": group_name,
                # Events of another account, region or partition are refused: this group's versions only.
                "MODEL_PACKAGE_ARN_PREFIX": sagemaker_arn(environment_of(self), "model-package", ""),
                "QUEUE_URL": self.queue.queue_url,
                "DEAD_LETTER_QUEUE_URL": self.dead_letter_queue.queue_url,
                "MAX_RECEIVE_COUNT": str(max_receive_count),
                # Before each decision the deployer checks the endpoint for a silent rollback, as the monitor does.
                "ENDPOINT_STACK_NAME": watched_stack,
                "ENDPOINT_NAME": endpoint_name,
            })
        acknowledge(self.deployer, ["HIPAA.Security-LambdaDLQ", "NIST.800.53.R5-LambdaDLQ", "CKV_AWS_116"],
                    "The SQS event source invokes this function synchronously, so a function DLQ would never "
                    "receive anything; failed messages go to the queue's redrive dead-letter queue.")
        trigger_environment = trigger.bind(self, self.deployer_role)
        for name, value in trigger_environment.items():
            self.deployer.add_environment(name, value)
        if trigger.also_stack_names:
            # The deployer sends each event to this queue again, once for each stack that also serves.
            self.queue.grant_send_messages(self.deployer)
        # The silent-rollback check reads the stack's status too: the deployer trusts its record while it updates.
        endpoint_state = (stack_arn(self, watched_stack),
                          sagemaker_arn(environment_of(self), "endpoint", lowercase_arn_name(endpoint_name)))
        self._let_read_endpoint_state(self.deployer_role, *endpoint_state)
        _allow(self.deployer_role, ["sagemaker:ListModelPackages"], "*",
               "IAM requires Resource '*' for sagemaker:ListModelPackages, which has no resource type; "
               "the handler lists only its group's versions.")
        for versions in model_package_version_arns(environment_of(self), group_name):
            _allow(self.deployer_role, ["sagemaker:DescribeModelPackage"], versions,
                   VERSIONS_WILDCARD_REASON)
        # Bad events are moved to the dead-letter queue by the handler itself.
        self.dead_letter_queue.grant_send_messages(self.deployer)
        self.deployer.add_event_source(event_sources.SqsEventSource(
            self.queue,
            # Small batches, handled in order within each message group (one a stack it switches).
            batch_size=5,
            report_batch_item_failures=True,
        ))
        # Events EventBridge could not deliver to the queue (retries exhausted or too old).
        self.event_dead_letter_queue = self._dead_letters.queue(
            "EventDeadLetterQueue", "approval events EventBridge could not deliver", of_rule_target=True)
        self.approval_rule = events.Rule(
            self,
            "ApprovalRule",
            description=f"Approval changes of model package group {group_name}",
            event_pattern=events.EventPattern(
                source=["aws.sagemaker"],
                detail_type=["SageMaker Model Package State Change"],
                detail={
                    "ModelPackageGroupName": [group_name],
                    "ModelApprovalStatus": [status.value for status in ModelApprovalStatus],
                },
            ),
            targets=[_PinnedQueueTarget(
                self.queue,
                message_group_id=group_name,
                dead_letter_queue=self.event_dead_letter_queue,
                retry_attempts=event_retry_attempts,
                max_event_age_seconds=event_max_age_seconds,
            )],
        )

        # Update results of the endpoint stack (and the stacks that also serve) -> monitor
        # (asynchronous invocation: delivery and function errors each retried twice, within an hour).
        self.monitor_dead_letter_queue = self._dead_letters.queue("MonitorDeadLetterQueue",
                                                                  "stack update events")
        self.monitor, self.monitor_role, monitor_logs = self._function(
            "Monitor", "deployment_monitor", _MONITOR_TIMEOUT,
            f"Reports whether endpoint {endpoint_name} serves what its stack declares",
            dead_letter_queue=self.monitor_dead_letter_queue,
            environment={"STACK_NAME": watched_stack, "ENDPOINT_NAME": endpoint_name,
                         # The deployer's list, as its trigger wrote it (the handlers split both alike).
                         **({"ALSO_STACK_NAMES": trigger_environment["ALSO_STACK_NAMES"]}
                            if trigger.also_stack_names else {})})
        # The function's dead-letter queue (DeadLetterConfig) keeps what this config discards.
        self.monitor.configure_async_invoke(max_event_age=_MONITOR_EVENT_MAX_AGE,
                                            retry_attempts=_MONITOR_RETRY_ATTEMPTS)
        self._let_read_endpoint_state(self.monitor_role, *endpoint_state)
        # The monitor logs each silent rollback before it publishes: a metric and an alarm on the
        # topic (a person is paged even if the publish failed, and the alarm's state is visible).
        self._silent_rollback_metric_name = f"SilentRollbacks-{watched_stack}"
        logs.MetricFilter(
            self, "SilentRollbackMetricFilter",
            log_group=monitor_logs,
            metric_namespace=METRIC_NAMESPACE,
            metric_name=self._silent_rollback_metric_name,
            filter_pattern=_SILENT_ROLLBACK_PATTERN,
            metric_value="1",
        )
        self.silent_rollback_alarm = self._dead_letters.alarm(
            "SilentRollbackAlarm",
            f"SageMaker rolled an update of endpoint {endpoint_name} back while stack {watched_stack} completed "
            f"it: the next approval event of {group_name}, or the same event sent again, redeploys the version "
            "(see the monitor's notification)",
            self.metric_silent_rollbacks(), 0,
        )
        reported_stacks = [watched_stack, *trigger.also_stack_names]
        self.stack_status_rule = events.Rule(
            self,
            "StackStatusRule",
            description=f"Update results of stack {' and '.join(reported_stacks)}",
            event_pattern=events.EventPattern(
                source=["aws.cloudformation"],
                detail_type=["CloudFormation Stack Status Change"],
                # Stack ids end with a unique id: match every id of a stack of that name.
                resources=events.Match.any_of(*(events.Match.prefix(stack_arn(self, name, ""))
                                                for name in reported_stacks)),
                detail={"status-details": {"status": [
                    "UPDATE_COMPLETE", "UPDATE_FAILED", "UPDATE_ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_FAILED",
                ]}},
            ),
            targets=[targets.LambdaFunction(self.monitor, dead_letter_queue=self.monitor_dead_letter_queue,
                                            retry_attempts=_MONITOR_RETRY_ATTEMPTS,
                                            max_event_age=_MONITOR_EVENT_MAX_AGE)],
        )

    def metric_silent_rollbacks(self, **options: Any) -> cloudwatch.Metric:
        """Silent rollbacks the monitor found (namespace ``cdk-sagemaker-inference``, metric
        ``SilentRollbacks-<endpoint stack>``, from the monitor's log). Default: sum over 5 minutes.

        :param options: ``cloudwatch.MetricOptions`` keywords (period, statistic, label...).
        """
        return cloudwatch.Metric(namespace=METRIC_NAMESPACE, metric_name=self._silent_rollback_metric_name,
                                 **{**_SILENT_ROLLBACK_METRIC, **options})

    def _let_read_endpoint_state(self, role: iam.Role, stack_arn: str, endpoint_arn: str) -> None:
        """Lets ``role`` read what ``_endpoint_state`` compares: the stack's endpoint configs and its
        status (no check while it updates), and the endpoint's current config."""
        # Identical grants on the trigger's stack merge into one statement (aws-cdk minimizes policies).
        _allow(role, ["cloudformation:DescribeStacks", "cloudformation:ListStackResources"], stack_arn,
               STACK_ID_REASON)
        role.add_to_principal_policy(iam.PolicyStatement(actions=["sagemaker:DescribeEndpoint"],
                                                         resources=[endpoint_arn]))

    def _function(self, id: str, handler: str, timeout: Duration, description: str,
                  dead_letter_queue: sqs.IQueue | None = None,
                  environment: Mapping[str, str] | None = None,
                  ) -> tuple[lambda_.Function, iam.Role, logs.LogGroup]:
        """A handler with its own role and encrypted log group (no reserved concurrency: see the queue),
        and ``environment`` besides ``TOPIC_ARN`` (given at creation: each later variable is a jsii call)."""
        log_group = logs.LogGroup(self, f"{id}Logs", encryption_key=self._key, retention=self._log_retention)
        role = ManagedPolicyRole(self, f"{id}Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                                  description=description)
        function = lambda_.Function(
            self,
            id,
            description=description,
            runtime=HANDLER_RUNTIME,
            code=handler_code(handler, _SHARED_MODULES.get(handler, ())),
            handler="index.handler",
            timeout=timeout,
            role=role,
            log_group=log_group,
            dead_letter_queue=dead_letter_queue,
            environment={"TOPIC_ARN": self._topic_arn, **(environment or {})},
            vpc=self._vpc,
            vpc_subnets=self._vpc_subnets,
        )
        acknowledge(function, ["HIPAA.Security-LambdaConcurrency", "NIST.800.53.R5-LambdaConcurrency", "CKV_AWS_115"],
                    "No reserved concurrency on purpose: a reservation must leave the account's unreserved minimum "
                    "and can fail the deploy; the approval queue is FIFO with one message group, which serializes "
                    "deployments, and the monitor only reads and reports.")
        acknowledge(function, ["CKV_AWS_173"],
                    "The environment holds only names, URLs and ARNs, no secret; Lambda encrypts it at rest with "
                    "an AWS-managed key, and a customer-managed one would add a KMS grant to every deploy.")
        log_group.grant_write(role)
        self._topic.grant_publish(role)
        if dead_letter_queue is not None and self._topic.master_key is not self._key:
            # Lambda sends dead letters with the function's role, and aws-cdk-lib grants only
            # sqs:SendMessage; the topic's grant covers the queue's key only when it is the same key.
            self._key.grant(role, *SEND_ENCRYPTED_ACTIONS)
        acknowledge(role.policy, ["AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
                                  "AwsSolutions-IAM5[Action::kms:ReEncrypt*]"],
                    "aws-cdk's grants for a KMS-encrypted topic or queue: the actions apply to the one "
                    "key that encrypts them.")
        if self._vpc is not None:
            # Lambda manages the function's network interfaces with the function's role, and checks it
            # can when the function is created; aws-cdk-lib adds AWSLambdaVPCAccessExecutionRole only
            # to a role it creates itself.
            allow_network_interfaces(
                role, environment_of(self).arn("ec2", "vpc", self._vpc.vpc_id),
                describe=["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"],
                manage=["ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface",
                        "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"],
            )
            acknowledge(role.policy, ["AwsSolutions-IAM5[Resource::*]"],
                        "IAM requires Resource '*' for ec2:DescribeNetworkInterfaces and ec2:DescribeSubnets; the "
                        "network interface actions are on '*' limited to the function's VPC by ec2:Vpc, since "
                        "Lambda names the interfaces when it creates them.")
        else:
            acknowledge(function, ["HIPAA.Security-LambdaInsideVPC", "NIST.800.53.R5-LambdaInsideVPC",
                                   "PCI.DSS.321-LambdaInsideVPC", "CKV_AWS_117"],
                        "The handler only calls AWS APIs (TLS, IAM-authenticated) and reaches no private "
                        "resource; pass vpc to ApprovalDeployment to run it in a VPC.")
        return function, role, log_group


@jsii.implements(events.IRuleTarget)
class _PinnedQueueTarget:
    """An SQS target whose queue policy admits only this rule (``aws:SourceArn``).

    aws-cdk-lib's ``SqsQueue`` target admits any rule of the account for a KMS-encrypted queue
    (``aws:SourceAccount``), to avoid a dependency cycle through the key policy; the rule's ARN in
    the queue policy makes no cycle, since the key policy does not name the rule.
    """

    def __init__(self, queue: sqs.IQueue, *, message_group_id: str, dead_letter_queue: sqs.IQueue,
                 retry_attempts: int, max_event_age_seconds: int) -> None:
        self._queue = queue
        self._message_group_id = message_group_id
        self._dead_letter_queue = dead_letter_queue
        self._retry_attempts = retry_attempts
        self._max_event_age_seconds = max_event_age_seconds

    def bind(self, rule: IRuleRef, id: str | None = None) -> events.RuleTargetConfig:
        # Worked out once for both queues (each is a jsii round trip).
        sid = f"AllowEventBridgeRule{rule.node.id}"
        rule_arn = rule.rule_ref.rule_arn
        events_principal = iam.ServicePrincipal(EVENTS)
        queue_arn, dead_letter_queue_arn = self._queue.queue_arn, self._dead_letter_queue.queue_arn
        for queue, arn in ((self._queue, queue_arn), (self._dead_letter_queue, dead_letter_queue_arn)):
            queue.add_to_resource_policy(iam.PolicyStatement(
                sid=sid,
                actions=["sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"],
                principals=[events_principal],
                resources=[arn],
                conditions={"ArnEquals": {"aws:SourceArn": rule_arn}},
            ))
        return events.RuleTargetConfig(
            arn=queue_arn,
            sqs_parameters=events.CfnRule.SqsParametersProperty(message_group_id=self._message_group_id),
            dead_letter_config=events.CfnRule.DeadLetterConfigProperty(arn=dead_letter_queue_arn),
            retry_policy=events.CfnRule.RetryPolicyProperty(
                maximum_retry_attempts=self._retry_attempts,
                maximum_event_age_in_seconds=self._max_event_age_seconds,
            ),
        )
