"""Deployment guardrails: blue/green traffic shifting and the alarms that roll an update back."""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Sequence

from aws_cdk import Annotations, Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from ._metrics import ONE_MINUTE, Statistic, variant_metric
from ._validation import StrictEnum, check, check_integer, check_range, is_token, take_enum_field, whole_seconds
from .compliance import acknowledge
from .endpoint_config import InstanceVariant, Variant

_ALARM_ACTION_RULES = ("HIPAA.Security-CloudWatchAlarmAction", "NIST.800.53.R5-CloudWatchAlarmAction")
_MAX_ROLLBACK_ALARMS = 10
#: Two default alarms a variant: 5XX errors and model latency.
_ALARMS_PER_VARIANT = 2
#: How long a deployment step bakes by default: long enough for a 1-minute 5XX alarm to fire.
DEFAULT_WAIT_INTERVAL = Duration.minutes(5)
#: The default latency rollback alarm's threshold.
DEFAULT_LATENCY_THRESHOLD = Duration.seconds(1)


class TrafficRoutingType(StrictEnum):
    """How a blue/green deployment moves traffic to the new fleet."""

    #: Everything at once, after the new fleet is healthy.
    ALL_AT_ONCE = "ALL_AT_ONCE"
    #: A canary share first, the rest after the wait interval.
    CANARY = "CANARY"
    #: Equal steps, each after the wait interval.
    LINEAR = "LINEAR"


@dataclasses.dataclass(frozen=True)
class TrafficRouting:
    """A traffic-shifting mode; use the factories ``all_at_once``, ``canary`` and ``linear``."""

    #: The mode (a ``TrafficRoutingType``; its value is accepted too).
    type: TrafficRoutingType
    #: Percent of the new fleet's capacity a canary or linear step gets (None for all-at-once).
    step_percent: int | None
    #: How long the deployment bakes before shifting (more) traffic; rollback alarms are watched meanwhile.
    wait_interval: Duration

    def __post_init__(self) -> None:
        take_enum_field(self, "type", TrafficRoutingType)

    @staticmethod
    def all_at_once(*, wait_interval: Duration = DEFAULT_WAIT_INTERVAL) -> TrafficRouting:
        """All traffic moves at once; the old fleet stays ``wait_interval`` (0-3600 s) for a rollback.

        :param wait_interval: Default: 5 minutes, long enough for a 1-minute 5XX alarm to fire.
        """
        return TrafficRouting(TrafficRoutingType.ALL_AT_ONCE, None, wait_interval)

    @staticmethod
    def canary(*, percent: int = 10, wait_interval: Duration = DEFAULT_WAIT_INTERVAL) -> TrafficRouting:
        """``percent`` (1-50) of the capacity first, the rest after ``wait_interval`` (0-3600 s).

        :param percent: Default: 10, a small blast radius that still sees real traffic.
        :param wait_interval: Default: 5 minutes.
        """
        return TrafficRouting(TrafficRoutingType.CANARY, percent, wait_interval)

    @staticmethod
    def linear(*, percent: int = 20, wait_interval: Duration = DEFAULT_WAIT_INTERVAL) -> TrafficRouting:
        """Steps of ``percent`` (10-50) of the capacity, ``wait_interval`` (0-3600 s) apart.

        :param percent: Default: 20, five steps.
        :param wait_interval: Default: 5 minutes.
        """
        return TrafficRouting(TrafficRoutingType.LINEAR, percent, wait_interval)


@dataclasses.dataclass(frozen=True, kw_only=True)
class BlueGreenDeployment:
    """Deployment guardrails: how an update shifts traffic, and which alarms roll it back.

    :param traffic_routing: Default: all at once, the only mode EI and Inf1 variants support.
    :param maximum_execution_timeout: the longest the whole deployment may take (600-28800 s).
        Default: None, SageMaker's own limit.
    :param termination_wait: how long the old fleet is kept after the shift (0-3600 s).
        Default: None, SageMaker terminates it at once.
    :param rollback_alarms: 1-10 alarms that roll the update back while they are in ALARM.
        Default: None, the endpoint creates two a variant (Invocation5XXErrors >= 1 in a minute and
        average ModelLatency above ``model_latency_threshold`` for 3 minutes), so at most 5 variants.
    :param model_latency_threshold: the default latency alarm's threshold. Default: 1 second.
    """

    traffic_routing: TrafficRouting = dataclasses.field(default_factory=TrafficRouting.all_at_once)
    maximum_execution_timeout: Duration | None = None
    termination_wait: Duration | None = None
    rollback_alarms: Sequence[cloudwatch.IAlarm] | None = None
    model_latency_threshold: Duration = DEFAULT_LATENCY_THRESHOLD


def validate_deployment(where: Construct, deployment: BlueGreenDeployment, variants: Sequence[Variant] | None) -> None:
    """SageMaker's limits on ``deployment`` of an endpoint with ``variants`` (None: unknown, imported)."""
    routing = deployment.traffic_routing
    if routing.type is TrafficRoutingType.CANARY:
        check_integer(where, "deployment.traffic_routing.percent (canary)", routing.step_percent, 1, 50)
    if routing.type is TrafficRoutingType.LINEAR:
        check_integer(where, "deployment.traffic_routing.percent (linear)", routing.step_percent, 10, 50)
    if routing.step_percent is not None and variants is not None:
        _check_step_fits_fleet(where, routing, variants)
    check_range(where, "deployment.traffic_routing.wait_interval (seconds)",
                whole_seconds(routing.wait_interval), 0, 3600)
    check_range(where, "deployment.maximum_execution_timeout (seconds)",
                whole_seconds(deployment.maximum_execution_timeout), 600, 28800)
    check_range(where, "deployment.termination_wait (seconds)", whole_seconds(deployment.termination_wait), 0, 3600)
    if deployment.rollback_alarms is not None:
        check_rollback_alarm_count(where, deployment.rollback_alarms)
    elif variants is None:
        check(where, False, "deployment.rollback_alarms", "given for an imported endpoint config", None)
    else:
        check(where, _ALARMS_PER_VARIANT * len(variants) <= _MAX_ROLLBACK_ALARMS, "deployment.rollback_alarms",
              "given for more than 5 variants (the default is 2 alarms a variant, at most 10)", None)


def check_rollback_alarm_count(where: Construct, alarms: Sequence[cloudwatch.IAlarm]) -> None:
    """SageMaker watches 1-10 rollback alarms (``AutoRollbackConfiguration.Alarms``)."""
    check(where, 1 <= len(alarms) <= _MAX_ROLLBACK_ALARMS, "deployment.rollback_alarms",
          f"between 1 and {_MAX_ROLLBACK_ALARMS} entries long", len(alarms))


def _check_step_fits_fleet(where: Construct, routing: TrafficRouting, variants: Sequence[Variant]) -> None:
    """A canary or linear step must be at most half of each variant's fleet: SageMaker rounds the
    share up to whole instances, so a percentage step on a one-instance fleet is the whole fleet and
    the deployment cannot start. The fleet at an update is the smallest it can be: the initial
    count, or autoscaling's minimum when that is lower."""
    percent = routing.step_percent
    assert percent is not None
    for variant in variants:
        if not isinstance(variant, InstanceVariant) or is_token(variant.initial_instance_count):
            continue
        fleet = variant.initial_instance_count
        if variant.auto_scaling is not None and not is_token(variant.auto_scaling.min_capacity):
            fleet = min(fleet, variant.auto_scaling.min_capacity)
        step = math.ceil(percent * fleet / 100)
        check(where, 2 * step <= fleet, f"deployment.traffic_routing.percent ({routing.type.value})",
              f"at most half of variant {variant.variant_name}'s fleet of {fleet} instance(s) when rounded up to "
              f"whole instances ({step}); use at least 2 instances or all-at-once routing", percent)


def warn_all_at_once_fallback(where: Construct, deployment: BlueGreenDeployment, variants: Sequence[Variant]) -> None:
    """SageMaker shifts EI and Inf1 variants all at once whatever the routing says: a warning says so."""
    routing = deployment.traffic_routing
    fallback = [
        v.variant_name
        for v in variants
        if isinstance(v, InstanceVariant)
        and (v.accelerator or (v.resolved_instance_type.family or "").startswith("inf1"))
    ]
    if fallback and routing.type is not TrafficRoutingType.ALL_AT_ONCE:
        Annotations.of(where).add_warning_v2(
            "cdk-sagemaker-inference:endpointAllAtOnceFallback",
            f"Variants {', '.join(fallback)} use Elastic Inference or Inf1: SageMaker shifts traffic "
            f"all at once, not {routing.type.value}.",
        )




def default_rollback_alarms(
    scope: Construct, *, endpoint_name: str, variant_names: Sequence[str], latency_threshold: Duration
) -> list[cloudwatch.IAlarm]:
    """Two alarms a variant in ``scope``, with names fixed from the endpoint's (no reference, so no
    cycle between the endpoint's deployment config and the alarms)."""
    latency_micros = latency_micros_of(latency_threshold)
    return [
        alarm
        for name in variant_names
        for alarm in rollback_alarm_pair(
            scope,
            id_prefix=f"{name}-",
            alarm_name_prefix=f"{endpoint_name}-{name}",
            subject=endpoint_name,
            qualifier=f"{name}, ",
            metric=functools.partial(variant_metric, endpoint_name, name),
            latency_micros=latency_micros,
        )
    ]


def latency_micros_of(threshold: Duration) -> float:
    """A latency threshold in ModelLatency's unit, microseconds (one round trip: ask it once)."""
    return threshold.to_milliseconds() * 1000


def rollback_alarm_pair(
    scope: Construct,
    *,
    id_prefix: str,
    alarm_name_prefix: str,
    subject: str,
    qualifier: str = "",
    metric: Callable[..., cloudwatch.Metric],
    latency_micros: float,
) -> list[cloudwatch.IAlarm]:
    """The two alarms that roll a deployment back, on one-minute metrics that
    ``metric(metric_name, statistic, period=...)`` makes: Invocation5XXErrors at least 1 in a
    minute, and average ModelLatency at least ``latency_micros`` for 3 minutes. Each is named
    ``<alarm_name_prefix>-5xx`` / ``-latency`` and described as rolling back deployments of
    ``subject`` (``qualifier`` before the suffix in the parentheses)."""
    alarms: list[cloudwatch.IAlarm] = []
    for suffix, metric_name, statistic, threshold, periods in (
        ("5xx", "Invocation5XXErrors", Statistic.SUM, 1, 1),
        ("latency", "ModelLatency", Statistic.AVERAGE, latency_micros, 3),
    ):
        alarm = cloudwatch.Alarm(
            scope,
            f"{id_prefix}{suffix}-alarm",
            alarm_name=f"{alarm_name_prefix}-{suffix}",
            alarm_description=f"Rolls back deployments of {subject} ({qualifier}{suffix})",
            metric=metric(metric_name, statistic, period=ONE_MINUTE),
            threshold=threshold,
            evaluation_periods=periods,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        acknowledge(
            alarm,
            _ALARM_ACTION_RULES,
            "SageMaker's deployment guardrails watch this alarm to roll an update back; "
            "it needs no action of its own.",
        )
        alarms.append(alarm)
    return alarms


def render_deployment_config(
    deployment: BlueGreenDeployment, alarms: Sequence[cloudwatch.IAlarm]
) -> sagemaker.CfnEndpoint.DeploymentConfigProperty:
    """``AWS::SageMaker::Endpoint.DeploymentConfig`` for ``deployment`` rolled back by ``alarms``."""
    routing = deployment.traffic_routing
    size = None
    if routing.step_percent is not None:
        size = sagemaker.CfnEndpoint.CapacitySizeProperty(type="CAPACITY_PERCENT", value=routing.step_percent)
    return sagemaker.CfnEndpoint.DeploymentConfigProperty(
        blue_green_update_policy=sagemaker.CfnEndpoint.BlueGreenUpdatePolicyProperty(
            traffic_routing_configuration=sagemaker.CfnEndpoint.TrafficRoutingConfigProperty(
                type=routing.type.value,
                wait_interval_in_seconds=whole_seconds(routing.wait_interval),
                canary_size=size if routing.type is TrafficRoutingType.CANARY else None,
                linear_step_size=size if routing.type is TrafficRoutingType.LINEAR else None,
            ),
            maximum_execution_timeout_in_seconds=whole_seconds(deployment.maximum_execution_timeout),
            termination_wait_in_seconds=whole_seconds(deployment.termination_wait),
        ),
        auto_rollback_configuration=sagemaker.CfnEndpoint.AutoRollbackConfigProperty(
            alarms=[sagemaker.CfnEndpoint.AlarmProperty(alarm_name=a.alarm_name) for a in alarms]
        ),
    )


#: The default guardrails of an endpoint: blue/green all at once with default rollback alarms.
DEFAULT_DEPLOYMENT = BlueGreenDeployment()
