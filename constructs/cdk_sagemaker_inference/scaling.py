"""Autoscaling: Application Auto Scaling target tracking on a variant's instance count or an inference
component's copy count, and the step scaling that brings a component back from zero copies."""

from __future__ import annotations

import dataclasses

from aws_cdk import Duration
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from constructs import Construct, IDependable

from ._metrics import NO_CAPACITY_METRIC, ONE_MINUTE, Statistic, component_metric
from ._stack_env import environment_of
from ._validation import check, check_integer, check_seconds, is_number, is_token
from .instance_type import InstanceType

# Application Auto Scaling's service-linked role for SageMaker: it holds exactly the permissions
# scaling needs, for variants and inference components alike (DescribeInferenceComponent,
# UpdateInferenceComponentRuntimeConfig), so no construct creates a role of its own.
_SCALING_ROLE = (
    "aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
)
#: What Application Auto Scaling scales on a variant.
INSTANCE_COUNT_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
#: What it scales on an inference component (botocore's ScalableDimension enum).
COPY_COUNT_DIMENSION = "sagemaker:inference-component:DesiredCopyCount"


@dataclasses.dataclass(frozen=True, kw_only=True)
class _Cooldowns:
    """How long target tracking waits after scaling, the same for instances and copies.

    :param scale_in_cooldown: Default: 5 minutes, so that a lull does not remove capacity at once.
    :param scale_out_cooldown: Default: 1 minute, so that capacity follows a surge quickly.
    """

    scale_in_cooldown: Duration = Duration.minutes(5)
    scale_out_cooldown: Duration = ONE_MINUTE


@dataclasses.dataclass(frozen=True, kw_only=True)
class VariantAutoScaling(_Cooldowns):
    """Target tracking of ``SageMakerVariantInvocationsPerInstance`` for an instance variant.

    :param max_capacity: the most instances (>= min_capacity).
    :param target_invocations_per_instance: invocations a minute one instance should get (> 0);
        measure it with a load test, it depends on the model.
    :param min_capacity: the fewest instances (>= 1). Default: 1.
    :param scale_in_cooldown, scale_out_cooldown: the waits after scaling in and out. Default: 5 minutes
        and 1 minute (a lull does not remove capacity at once; capacity follows a surge quickly).
    """

    max_capacity: int
    target_invocations_per_instance: float
    min_capacity: int = 1


@dataclasses.dataclass(frozen=True, kw_only=True)
class CopyAutoScaling(_Cooldowns):
    """Target tracking of ``SageMakerInferenceComponentInvocationsPerCopy`` for an inference component.

    The endpoint's managed instance scaling adds instances when new copies do not fit, and removes
    instances that no copy uses. With ``min_copies=0`` the copies scale in to zero when no request
    comes; target tracking cannot scale out from zero, so the component also gets a step scaling
    policy that adds a copy, run by an alarm on ``NoCapacityInvocationFailures``. Requests fail
    until a copy has started (several minutes), and CloudWatch runs a scaling action again every
    minute its alarm stays in ALARM, so a wake-up under steady traffic may add up to
    ``max_copies``; target tracking then scales back. With the hosting variant's
    ``ManagedInstanceScaling(min_instances=0)`` the endpoint also releases its last instance.

    :param max_copies: the most copies (>= 1, >= min_copies).
    :param target_invocations_per_copy: invocations a minute one copy should get (> 0); measure it
        with a load test.
    :param min_copies: the fewest copies (>= 0; 0 scales to zero). Default: 1.
    :param scale_in_cooldown, scale_out_cooldown: the waits after scaling in and out. Default: 5 minutes
        and 1 minute (a lull does not remove capacity at once; capacity follows a surge quickly).
    """

    max_copies: int
    target_invocations_per_copy: float
    min_copies: int = 1


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
    check_target_tracking(where, f"{prop}.auto_scaling", scaling, "target_invocations_per_instance",
                          scaling.target_invocations_per_instance)


def check_target_tracking(where: Construct, prop: str, scaling: _Cooldowns, target_prop: str, target: float) -> None:
    """A target value (a number > 0) and cooldowns (whole seconds) Application Auto Scaling takes."""
    if not is_token(target):
        check(where, is_number(target) and target > 0, f"{prop}.{target_prop}", "a number greater than 0", target)
    check_seconds(where, f"{prop}.scale_in_cooldown", scaling.scale_in_cooldown, 0)
    check_seconds(where, f"{prop}.scale_out_cooldown", scaling.scale_out_cooldown, 0)


@dataclasses.dataclass(frozen=True)
class _Scaled:
    """What Application Auto Scaling scales on a kind of SageMaker resource, and on which metric."""

    dimension: str
    policy_id: str
    metric: appscaling.PredefinedMetric


_VARIANT = _Scaled(INSTANCE_COUNT_DIMENSION, "invocations-per-instance",
                   appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE)
_COMPONENT = _Scaled(COPY_COUNT_DIMENSION, "InvocationsPerCopy",
                     appscaling.PredefinedMetric.SAGEMAKER_INFERENCE_COMPONENT_INVOCATIONS_PER_COPY)


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
    bounds = (scaling.min_capacity, scaling.max_capacity, scaling.target_invocations_per_instance)
    resource_id = f"endpoint/{endpoint_name}/variant/{variant_name}"
    return _track(scope, f"{variant_name}-scaling", _VARIANT, resource_id, bounds, scaling, endpoint)


def scale_component(
    scope: Construct, *, component_name: str, scaling: CopyAutoScaling, component: IDependable
) -> appscaling.ScalableTarget:
    """Registers a component's copy count with Application Auto Scaling (in ``scope``, id
    ``Scaling``) and tracks invocations per copy; registered after ``component`` (the
    ``AWS::SageMaker::InferenceComponent``) exists."""
    bounds = (scaling.min_copies, scaling.max_copies, scaling.target_invocations_per_copy)
    return _track(scope, "Scaling", _COMPONENT, f"inference-component/{component_name}", bounds, scaling, component)


def wake_from_zero(
    scope: Construct, *, component_name: str, target: appscaling.ScalableTarget
) -> cloudwatch.Alarm:
    """Adds a copy to ``target`` when a request finds none: a step scaling policy (in ``scope``, id
    ``ScaleFromZero``) run by an alarm (``no-capacity-alarm``, named ``<component>-no-capacity``)
    on the component's ``NoCapacityInvocationFailures``. The policy and the metric's one-minute
    period are those of SageMaker's guide to scaling to zero; the alarm fires on the first failed
    request of a minute (the guide's example waits for a second one). CloudWatch runs the policy
    again every minute the alarm stays in ALARM (the cooldown is a minute too), so requests that
    keep failing while copies start add a copy a minute, up to the target's maximum."""
    wake = appscaling.StepScalingAction(
        scope,
        "ScaleFromZero",
        scaling_target=target,
        adjustment_type=appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
        metric_aggregation_type=appscaling.MetricAggregationType.MAXIMUM,
        cooldown=ONE_MINUTE,  # the guide's: a minute before it may add another copy
    )
    wake.add_adjustment(adjustment=1, lower_bound=0)
    alarm = cloudwatch.Alarm(
        scope,
        "no-capacity-alarm",
        alarm_name=f"{component_name}-no-capacity",
        alarm_description=f"Adds a copy of {component_name} when a request finds none (scaled to zero)",
        metric=component_metric(component_name, NO_CAPACITY_METRIC, Statistic.SUM, period=ONE_MINUTE),
        threshold=1,
        evaluation_periods=1,
        datapoints_to_alarm=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
    alarm.add_alarm_action(cloudwatch_actions.ApplicationScalingAction(wake))
    return alarm


def _track(
    scope: Construct,
    id: str,
    scaled: _Scaled,
    resource_id: str,
    bounds: tuple[int, int, float],
    cooldowns: _Cooldowns,
    after: IDependable | None,
) -> appscaling.ScalableTarget:
    """A scalable target ``id`` of ``resource_id`` between ``bounds`` (min, max) with the
    service-linked role, tracking ``scaled.metric`` at ``bounds[2]`` with the cooldowns of ``cooldowns``."""
    role = iam.Role.from_role_arn(
        scope,
        f"{id}-role",
        environment_of(scope).arn("iam", "role", _SCALING_ROLE, region=""),
        mutable=False,
    )
    target = appscaling.ScalableTarget(
        scope,
        id,
        service_namespace=appscaling.ServiceNamespace.SAGEMAKER,
        resource_id=resource_id,
        scalable_dimension=scaled.dimension,
        min_capacity=bounds[0],
        max_capacity=bounds[1],
        role=role,
    )
    # Application Auto Scaling registers only a resource that exists.
    if after is not None:
        target.node.add_dependency(after)
    target.scale_to_track_metric(
        scaled.policy_id,
        target_value=bounds[2],
        predefined_metric=scaled.metric,
        scale_in_cooldown=cooldowns.scale_in_cooldown,
        scale_out_cooldown=cooldowns.scale_out_cooldown,
    )
    return target
