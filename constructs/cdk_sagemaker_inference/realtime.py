"""RealtimeEndpoint: the convenience facade over EndpointConfig, Endpoint, guardrails and scaling."""

from __future__ import annotations

from typing import Unpack

import jsii
from aws_cdk import CfnOutput, Names, RemovalPolicy
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from ._batch import batched
from .deployment import DEFAULT_DEPLOYMENT, BlueGreenDeployment
from .endpoint import Endpoint, EndpointBase
from .endpoint_config import EndpointConfig, EndpointConfigProps, storage_key


@jsii.implements(sagemaker.IEndpoint)
class RealtimeEndpoint(EndpointBase):
    """A real-time SageMaker endpoint: an ``EndpointConfig`` (``endpoint_config``), an ``Endpoint``
    (``endpoint``), rollback alarms and variant autoscaling, declared together.

    It is an ``aws_sagemaker.IEndpoint`` itself (``apigateway.SagemakerIntegration(endpoint)``);
    grants and metrics are the endpoint's. See ``EndpointConfig`` and ``Endpoint`` for the defaults:
    a customer-managed key on the config (none on local-NVMe types, with a warning), blue/green
    updates with rollback alarms unless ``deployment`` is None, a path-derived endpoint name. When
    a variant autoscales the endpoint retains instance counts across updates; to change the
    instance type of an autoscaled variant, remove its ``auto_scaling`` in one deployment and
    change the type in the next.
    """

    @batched()
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        deployment: BlueGreenDeployment | None = DEFAULT_DEPLOYMENT,
        endpoint_name: str | None = None,
        output_endpoint_name: bool = True,
        **config: Unpack[EndpointConfigProps],
    ) -> None:
        """
        :param config: the endpoint config: ``variants`` (1-10 instance variants, or exactly one
            serverless variant), ``encryption_key`` (Default: a new key with rotation, because HIPAA
            and NIST require a customer-managed key on endpoint configs), ``data_capture`` (Default:
            None), ``execution_role`` (for inference components); see ``EndpointConfig``.
        :param deployment: Default: blue/green all at once with default rollback alarms. None: no
            DeploymentConfig, SageMaker's all-at-once without alarms.
        :param endpoint_name: Default: derived from the construct path (unique in the account).
        :param output_endpoint_name: Default: True, a stack output with the name, for callers.
        """
        super().__init__(scope, id)
        # Every child keeps the id it had when this class declared the resources itself, so that
        # deployed stacks keep their logical IDs (alarms and scalable targets have fixed names).
        name = endpoint_name or Names.unique_resource_name(self, max_length=63, separator="-")
        variants = config["variants"]
        # The key stays a child of this construct, where it was before EndpointConfig existed.
        config["encryption_key"] = config.get("encryption_key") or storage_key(
            self, variants, f"Encrypts the storage of endpoint {id}"
        )
        #: The endpoint config.
        self.endpoint_config = EndpointConfig(self, "EndpointConfig", **config)
        #: The key of the storage volumes (None on types with local NVMe storage).
        self.encryption_key: kms.IKey | None = self.endpoint_config.encryption_key
        #: The endpoint.
        self.endpoint = Endpoint(
            self, "Endpoint", endpoint_config=self.endpoint_config, endpoint_name=name, deployment=deployment,
            # One key for the storage and the logs (None on local NVMe types: the endpoint makes one).
            log_encryption_key=self.encryption_key,
            # The scalable targets and default alarms stay children of this construct (their ids
            # and so the templates' logical ids are kept), and errors name it.
            facade_scope=self,
        )
        # Grants, metrics and variant handles are the endpoint's.
        self._adopt(self.endpoint)
        #: The alarms that roll a deployment back (empty without ``deployment``).
        self.rollback_alarms: list[cloudwatch.IAlarm] = self.endpoint.rollback_alarms
        #: The scalable target of each variant declared with ``auto_scaling``, by variant name (a
        #: later ``variant(name).auto_scale(...)`` returns its own, kept at ``variant(name).scalable_target``).
        self.scalable_targets: dict[str, appscaling.ScalableTarget] = self.endpoint.scalable_targets
        if output_endpoint_name:
            CfnOutput(self, "EndpointName", value=self.endpoint_name, description="The SageMaker endpoint's name")

    def apply_removal_policy(self, policy: RemovalPolicy) -> None:
        """Applies ``policy`` to the ``AWS::SageMaker::Endpoint``."""
        self.endpoint.apply_removal_policy(policy)
