"""Does an endpoint run what its stack declares? The one check (CDK-free), for both handlers.

SageMaker can roll a blue/green update back on its own (an auto-rollback alarm fired) and return
the endpoint to InService on the old EndpointConfig; CloudFormation does not see it and completes
the update. The ``deployment_monitor`` reports it when the update ends; the ``approval_deployer``
asks the same question before it decides, so a version whose deployment was rolled back silently
is not taken for served. Neither trusts the check while the stack is updating (``in_progress``):
the endpoint then still runs the config the update replaces. Both handlers ship this module beside
their ``index.py``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

ENDPOINT_CONFIG_TYPE = "AWS::SageMaker::EndpointConfig"
#: The monitor's outcome for a silent rollback: its log lines start with it, and the construct's
#: metric filter counts them by it.
SILENT_ROLLBACK = "silent-rollback"


def config_name(physical_id: str) -> str:
    """An EndpointConfig's name from its physical id (its ARN, where SageMaker lower-cases the name)."""
    return physical_id.rsplit("endpoint-config/", 1)[-1].lower()


def rolled_back_configs(serving_config: str | None, declared_configs: Iterable[str]) -> list[str] | None:
    """The declared configs the endpoint does not run (pure): None when it runs one of them.

    :param serving_config: ``DescribeEndpoint.EndpointConfigName`` (None: unknown).
    :param declared_configs: physical ids (ARNs or names) of the stack's endpoint configs.
    :returns: None when the endpoint runs a declared config; otherwise the declared configs' names,
        sorted (empty when the stack declares none), which SageMaker did not keep.
    """
    declared = sorted(config_name(physical_id) for physical_id in declared_configs)
    if serving_config is not None and serving_config.lower() in declared:
        return None
    return declared


def described_stack(cloudformation: Any, stack: str) -> Mapping[str, Any]:
    """Stack ``stack`` (name or id) as DescribeStacks returns it."""
    described: Mapping[str, Any] = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    return described


def in_progress(stack: Mapping[str, Any]) -> bool:
    """Whether a stack (as DescribeStacks returns it) is being created, updated or deleted: its
    endpoint may then still run the config the update replaces, so no check of it means anything."""
    return str(stack["StackStatus"]).endswith("_IN_PROGRESS")


def endpoint_state(cloudformation: Any, sagemaker: Any, stack: str, endpoint: str) -> tuple[str, list[str]]:
    """What ``rolled_back_configs`` compares: the config endpoint ``endpoint`` runs
    (DescribeEndpoint, read first), and the physical ids of those stack ``stack`` declares."""
    serving: str = sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
    return serving, declared_endpoint_configs(cloudformation, stack)


def declared_endpoint_configs(cloudformation: Any, stack: str) -> list[str]:
    """Physical ids of the endpoint configs stack ``stack`` (name or id) declares."""
    paginator = cloudformation.get_paginator("list_stack_resources")
    return [
        summary["PhysicalResourceId"]
        for page in paginator.paginate(StackName=stack)
        for summary in page["StackResourceSummaries"]
        if summary["ResourceType"] == ENDPOINT_CONFIG_TYPE and summary.get("PhysicalResourceId")
    ]
