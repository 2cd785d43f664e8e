"""The log groups SageMaker writes container logs to: declared encrypted and expiring, and written
only by the execution roles that need them.

Left to itself SageMaker creates ``/aws/sagemaker/Endpoints/<endpoint>`` and
``/aws/sagemaker/InferenceComponents/<component>`` on first write, unencrypted and kept forever.
Whoever knows such a group's name (an ``Endpoint``, an ``InferenceComponent``) declares it and grants
its writers that group only.
"""

from __future__ import annotations

from aws_cdk import Annotations, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct, IConstruct

from ._iam import ManagedPolicyGrant
from ._service_access import let_logs_use
from ._stack_env import StackEnvironment, environment_of
from .compliance import acknowledge_wildcard_resource

#: What SageMaker does in a log group as an execution role: the CloudWatch Logs actions of AWS's
#: execution-role policies for CreateModel, CreateTransformJob and CreateTrainingJob.
LOG_WRITER_ACTIONS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents")


def log_group_arns(environment: StackEnvironment, log_group_name: str) -> tuple[str, str]:
    """The ARNs of log group ``log_group_name`` in ``environment``'s account and region: the group itself
    (``log-group:<name>``, what CreateLogGroup and DescribeLogStreams are authorized on) and its
    streams (``log-group:<name>:*``, CreateLogStream and PutLogEvents; SageMaker names the streams).

    Built from the name rather than read from a ``LogGroup`` so that a role in another stack refers
    to no export.
    """
    return (environment.arn("logs", "log-group", log_group_name, sep=":"),
            environment.arn("logs", "log-group", f"{log_group_name}:*", sep=":"))


def declare_log_group(
    scope: Construct, *, name: str | None, retention: logs.RetentionDays, key: kms.IKey | None, description: str
) -> tuple[logs.LogGroup, kms.IKey]:
    """Log group ``Logs`` named ``name`` (None: CloudFormation names it) in ``scope``, encrypted
    with ``key`` (default: a new key ``LogsKey`` with rotation, described as ``description``), which
    CloudWatch Logs of this account and region may use; it expires after ``retention`` and is
    retained when the stack is deleted (logs are records). Returns the group and its key."""
    key = key or kms.Key(scope, "LogsKey", enable_key_rotation=True, description=description)
    let_logs_use(key)
    group = logs.LogGroup(scope, "Logs", log_group_name=name, retention=retention, encryption_key=key,
                          removal_policy=RemovalPolicy.RETAIN)
    return group, key


def grant_log_writing(grantee: iam.IGrantable, log_group_name: str, *, before: IConstruct, reason: str) -> iam.Grant:
    """Allows ``grantee`` ``LOG_WRITER_ACTIONS`` on log group ``log_group_name`` and its streams only,
    in a customer-managed policy (a Model's own, or ``ManagedGrants`` for a role this app declares),
    before ``before`` is created. The streams' wildcard is acknowledged with ``reason`` on that
    policy (on ``grantee`` for a construct whose policies this app does not own)."""
    group, streams = log_group_arns(environment_of(before), log_group_name)
    grant = ManagedPolicyGrant.add_to_principal(
        grantee=grantee.grant_principal, actions=LOG_WRITER_ACTIONS, resource_arns=[group, streams]
    )
    grant.apply_before(before)
    scope = ManagedPolicyGrant.policy_of(grantee) or (grantee if isinstance(grantee, Construct) else None)
    if scope is not None:
        acknowledge_wildcard_resource(scope, streams, reason)
    return grant


def warn_unknown_writer(scope: IConstruct, why: str, log_group_name: str) -> None:
    """The warning for a writer ``scope`` cannot grant (``why``: whose role is unknown)."""
    Annotations.of(scope).add_warning_v2(
        "cdk-sagemaker-inference:logGrant",
        f"{why}: grant it with grant_write_logs(role), or SageMaker cannot write the containers' logs to "
        f"{log_group_name}.",
    )
