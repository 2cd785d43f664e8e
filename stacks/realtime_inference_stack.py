"""RealtimeInferenceStack: the example pipeline on an autoscaled, encrypted, guarded endpoint."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from cdk_sagemaker_inference import (
    BlueGreenDeployment,
    DataCapture,
    InstanceType,
    InstanceVariant,
    RealtimeEndpoint,
    ServedVersionSwitch,
    SharedResources,
    TrafficRouting,
    VariantAutoScaling,
)
from constructs import Construct

from .config import AppConfig
from .example_pipeline import RESPONSE_CONTENT_TYPES, ExampleModelStack


class RealtimeInferenceStack(ExampleModelStack):
    """Serves the example pipeline, or the approved registry version once one is set.

    :param shared: the key, artifacts bucket and topic of the SharedResourcesStack.
    :param config: sizes, capture rate and scaling bounds.
    :param registry_group_name: the model package group whose approved version this endpoint
        serves (the ``ServedModelPackageArn`` stack parameter). Default: None, always the example.
    """

    def __init__(
        self, scope: Construct, id: str, *, shared: SharedResources, config: AppConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, id, shared=shared, config=config, **kwargs)
        self.endpoint = RealtimeEndpoint(
            self,
            "Endpoint",
            variants=[InstanceVariant(
                model=self.model,
                instance_type=InstanceType.of(config.endpoint_instance_type),
                initial_instance_count=config.endpoint_initial_instance_count,
                auto_scaling=VariantAutoScaling(
                    min_capacity=config.endpoint_min_capacity,
                    max_capacity=config.endpoint_max_capacity,
                    target_invocations_per_instance=config.endpoint_invocations_per_instance,
                ),
            )],
            encryption_key=shared.key,
            data_capture=DataCapture(
                bucket=shared.artifacts_bucket,
                prefix="data-capture",
                sampling_percentage=config.data_capture_sampling_percentage,
                csv_content_types=["text/csv"],
                json_content_types=[RESPONSE_CONTENT_TYPES[0]],
            ),
            deployment=BlueGreenDeployment(
                traffic_routing=TrafficRouting.canary(percent=10, wait_interval=Duration.minutes(5)),
                termination_wait=Duration.minutes(5),
                maximum_execution_timeout=Duration.hours(1),
            ),
        )
        #: The CloudFormation role an approval switches the served version with (None without a registry).
        self.switch = None
        if self.served_version is not None:
            self.switch = ServedVersionSwitch(
                self, "ServedVersionSwitch", served_package=self.served_version,
                execution_roles=[self.model.role], endpoint_name=self.endpoint.endpoint_name, keys=[shared.key],
            )
