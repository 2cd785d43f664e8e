"""The log groups SageMaker writes container logs to, and what an execution role may do in one."""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack

#: What SageMaker does in a log group as an execution role: the CloudWatch Logs actions of AWS's
#: execution-role policies for CreateModel, CreateTransformJob and CreateTrainingJob.
LOG_WRITER_ACTIONS = ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents")


def log_group_arns(stack: Stack, log_group_name: str) -> tuple[str, str]:
    """The ARNs of log group ``log_group_name`` in ``stack``'s account and region: the group itself
    (``log-group:<name>``, what CreateLogGroup and DescribeLogStreams are authorized on) and its
    streams (``log-group:<name>:*``, CreateLogStream and PutLogEvents; SageMaker names the streams).

    Built from the name rather than read from a ``LogGroup`` so that a role in another stack refers
    to no export.
    """
    group, streams = (
        stack.format_arn(service="logs", resource="log-group", resource_name=name,
                         arn_format=ArnFormat.COLON_RESOURCE_NAME)
        for name in (log_group_name, f"{log_group_name}:*")
    )
    return group, streams
