"""Variant autoscaling: Application Auto Scaling target tracking on an endpoint variant's instance count."""

from __future__ import annotations

import dataclasses

from aws_cdk import Duration, Stack
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_iam as iam
from constructs import Construct, IDependable

from ._validation import check, check_integer, is_token
from .instance_type import InstanceType

# Application Auto Scaling's service-linked role for SageMaker variants: it holds exactly the
# permissions scaling needs, so no construct creates a role of its own.
_SCALING_ROLE = (
    "aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
)
#: What Application Auto Scaling scales on a variant.
INSTANCE_COUNT_DIMENSION = "sagemaker:variant:DesiredInstanceCount"


@dataclasses.dataclass(frozen=True, kw_only=True)
class VariantAutoScaling:
    """Target tracking of ``SageMakerVariantInvocationsPerInstance`` for an instance variant.

    :param max_capacity: the most instances (>= min_capacity).
    :param target_invocations_per_instance: invocations a minute one instance should get (> 0);
        measure it with a load test, it depends on the model.
    :param min_capacity: the fewest instances (>= 1). Default: 1.
    :param scale_in_cooldown: Default: 5 minutes, so that a lull does not remove capacity at once.
    :param scale_out_cooldown: Default: 1 minute, so that capacity follows a surge quickly.
    """

    max_capacity: int
    target_invocations_per_instance: float
    min_capacity: int = 1
    scale_in_cooldown: Duration = Duration.minutes(5)
    scale_out_cooldown: Duration = Duration.minutes(1)


def validate_auto_scaling(
    where: Construct, prop: str, instance_type: InstanceType, scaling: VariantAutoScaling
) -> None:
    """The rules Application Auto Scaling and SageMaker impose on ``scaling`` of a variant of ``instance_type``."""
    check(where, not instance_type.is_burstable, f"{prop}.instance_type",
          "a non-burstable type (not ml.t*) to autoscale", instance_type.name)
    check_integer(where, f"{prop}.auto_scaling.min_capacity", scaling.min_capacity, 1)
    check_integer(where, f"{prop}.auto_scaling.max_capacity", scaling.max_capacity, 1)
    if not (is_token(scaling.min_capacity) or is_token(scaling.max_capacity)):
        check(where, scaling.max_capacity >= scaling.min_capacity, f"{prop}.auto_scaling.max_capacity",
              f"at least min_capacity ({scaling.min_capacity})", scaling.max_capacity)
    if not is_token(scaling.target_invocations_per_instance):
        check(where, scaling.target_invocations_per_instance > 0,
              f"{prop}.auto_scaling.target_invocations_per_instance", "greater than 0",
              scaling.target_invocations_per_instance)


def scale_variant(
    scope: Construct,
    *,
    endpoint_name: str,
    variant_name: str,
    scaling: VariantAutoScaling,
    endpoint: IDependable | None,
) -> appscaling.ScalableTarget:
    """Registers the variant's instance count with Application Auto Scaling (in ``scope``, ids
    ``<variant>-scaling``) and tracks invocations per instance; registered after ``endpoint`` (the
    ``AWS::SageMaker::Endpoint``, None for an imported endpoint) exists."""
    role = iam.Role.from_role_arn(
        scope,
        f"{variant_name}-scaling-role",
        Stack.of(scope).format_arn(service="iam", region="", resource="role", resource_name=_SCALING_ROLE),
        mutable=False,
    )
    target = appscaling.ScalableTarget(
        scope,
        f"{variant_name}-scaling",
        service_namespace=appscaling.ServiceNamespace.SAGEMAKER,
        resource_id=f"endpoint/{endpoint_name}/variant/{variant_name}",
        scalable_dimension=INSTANCE_COUNT_DIMENSION,
        min_capacity=scaling.min_capacity,
        max_capacity=scaling.max_capacity,
        role=role,
    )
    if endpoint is not None:
        target.node.add_dependency(endpoint)
    target.scale_to_track_metric(
        "invocations-per-instance",
        target_value=scaling.target_invocations_per_instance,
        predefined_metric=appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
        scale_in_cooldown=scaling.scale_in_cooldown,
        scale_out_cooldown=scaling.scale_out_cooldown,
    )
    return target
