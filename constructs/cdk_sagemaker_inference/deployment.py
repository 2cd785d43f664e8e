"""Deployment guardrails: blue/green traffic shifting and the alarms that roll an update back."""

from __future__ import annotations

import dataclasses
import functools
import math
import weakref
from collections.abc import Callable, Iterator, Sequence

from aws_cdk import Annotations, Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct, IConstruct

from ._iam import ManagedPolicyGrant
from ._metrics import ONE_MINUTE, Statistic, variant_metric
from ._stack_env import StackEnvironment, environment_of
from ._validation import (
    StrictEnum,
    check,
    check_integer,
    check_seconds,
    is_token,
    take_enum_field,
    whole_seconds,
)
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
#: What SageMaker does with the rollback alarms, as the execution role of what it deploys ("Ensure
#: that your IAM execution role has permission to perform the cloudwatch:DescribeAlarms action on
#: the auto-rollback alarms you specify", in the guide's "Auto-Rollback Configuration and Monitoring").
ROLLBACK_ALARM_READER_ACTIONS = ("cloudwatch:DescribeAlarms",)
#: The names of the rollback alarms this package declares, known in Python (weak: an alarm is
#: forgotten with its app), so that their ARNs cost no round trip and refer to no other stack.
_DECLARED_ALARM_NAMES: weakref.WeakKeyDictionary[cloudwatch.IAlarm, str] = weakref.WeakKeyDictionary()


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
    :param maximum_execution_timeout: the longest the whole deployment may take (600-28800 s),
        more than its waits: ``wait_interval`` after each traffic-shifting step (all at once 1,
        canary 2, linear one a step, at least 2) plus ``termination_wait``. Default: None,
        SageMaker's own limit.
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
    check_seconds(where, "deployment.traffic_routing.wait_interval", routing.wait_interval, 0, 3600)
    check_seconds(where, "deployment.maximum_execution_timeout", deployment.maximum_execution_timeout, 600, 28800)
    check_seconds(where, "deployment.termination_wait", deployment.termination_wait, 0, 3600)
    _check_timeout_covers_the_waits(where, deployment, variants)
    if deployment.rollback_alarms is not None:
        check_rollback_alarm_count(where, deployment.rollback_alarms)
    elif variants is None:
        check(where, False, "deployment.rollback_alarms", "given for an imported endpoint config", None)
    else:
        check(where, _ALARMS_PER_VARIANT * len(variants) <= _MAX_ROLLBACK_ALARMS, "deployment.rollback_alarms",
              "given for more than 5 variants (the default is 2 alarms a variant, at most 10)", None)


def _check_timeout_covers_the_waits(
    where: Construct, deployment: BlueGreenDeployment, variants: Sequence[Variant] | None
) -> None:
    """SageMaker wants ``MaximumExecutionTimeoutInSeconds`` "larger than the total waiting time
    specified in TerminationWaitInSeconds and WaitIntervalInSeconds": every traffic-shifting step
    bakes for the wait interval (all at once: one step; canary: the canary and the final step;
    linear: one a step), and the old fleet then waits ``termination_wait``. The steps counted are
    the fewest the update can take, so that nothing SageMaker could finish in time is refused."""
    timeout = whole_seconds(deployment.maximum_execution_timeout)
    routing = deployment.traffic_routing
    wait = whole_seconds(routing.wait_interval)
    termination = whole_seconds(deployment.termination_wait)
    if timeout is None or any(is_token(seconds) for seconds in (timeout, wait, termination)):
        return
    steps = _fewest_traffic_steps(routing, variants)
    waits = steps * wait + (termination or 0)
    check_timeout_covers(where, timeout, waits, f"{steps} traffic-shifting step(s) of wait_interval ({wait} s) "
                         f"and termination_wait ({termination or 0} s)")


def check_timeout_covers(where: Construct, timeout: int, waits: int, waits_described: str) -> None:
    """``maximum_execution_timeout`` must be longer than the waits of the update it bounds."""
    check(where, timeout > waits, "deployment.maximum_execution_timeout (seconds)",
          f"greater than the waits it covers: {waits_described}, {waits} s in all", timeout)


#: A linear step is at most half of the fleet (10-50%, rounded up to whole instances): at least two steps.
_FEWEST_LINEAR_STEPS = 2
#: The most fleet sizes of an autoscaled variant counted one by one for the linear steps; beyond it
#: the variant counts as the fewest steps any fleet can take.
_MAX_FLEET_SIZES_COUNTED = 1000


def _fewest_traffic_steps(routing: TrafficRouting, variants: Sequence[Variant] | None) -> int:
    """The fewest traffic-shifting steps (each followed by a bake) an update with ``routing`` takes.

    A linear step is ``percent`` of a variant's fleet rounded up to whole instances, so its step
    count depends on the fleet (30% of 4 instances is 2 steps, of 10 instances 4): it is counted for
    every fleet size a variant can have at an update (its instance count, or anything autoscaling
    may leave between min and max), the fewest of them; the update lasts as long as its slowest
    variant. A fleet not known at synth counts as the fewest steps possible, 2.
    """
    if routing.type is TrafficRoutingType.ALL_AT_ONCE:
        return 1
    if routing.type is TrafficRoutingType.CANARY:
        return 2
    percent = routing.step_percent
    if percent is None or is_token(percent):
        return _FEWEST_LINEAR_STEPS
    fewest = _FEWEST_LINEAR_STEPS
    for fleets in _fleet_sizes(variants or []):
        fewest = max(fewest, min(math.ceil(fleet / math.ceil(percent * fleet / 100)) for fleet in fleets))
    return fewest


def _fleet_bounds(variants: Sequence[Variant]) -> Iterator[tuple[InstanceVariant, int, int | None]]:
    """Each instance variant whose instance count is known at synth, with the fewest instances it can
    have at an update (autoscaling's known minimum when lower) and the most (None: not known)."""
    for variant in variants:
        if not isinstance(variant, InstanceVariant) or is_token(variant.initial_instance_count):
            continue
        low = variant.initial_instance_count
        high: int | None = low
        scaling = variant.auto_scaling
        if scaling is not None:
            if not is_token(scaling.min_capacity):
                low = min(low, scaling.min_capacity)
            high = None if is_token(scaling.min_capacity) or is_token(scaling.max_capacity) \
                else max(variant.initial_instance_count, scaling.max_capacity)
        yield variant, low, high


def _fleet_sizes(variants: Sequence[Variant]) -> list[range]:
    """The fleet sizes each instance variant can have at an update, where they are known at synth."""
    return [range(low, high + 1) for _, low, high in _fleet_bounds(variants)
            if high is not None and low >= 1 and high - low < _MAX_FLEET_SIZES_COUNTED]


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
    for variant, fleet, _ in _fleet_bounds(variants):
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
        alarm_name = f"{alarm_name_prefix}-{suffix}"
        alarm = cloudwatch.Alarm(
            scope,
            f"{id_prefix}{suffix}-alarm",
            alarm_name=alarm_name,
            alarm_description=f"Rolls back deployments of {subject} ({qualifier}{suffix})",
            metric=metric(metric_name, statistic, period=ONE_MINUTE),
            threshold=threshold,
            evaluation_periods=periods,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        _DECLARED_ALARM_NAMES[alarm] = alarm_name
        acknowledge(
            alarm,
            _ALARM_ACTION_RULES,
            "SageMaker's deployment guardrails watch this alarm to roll an update back; "
            "it needs no action of its own.",
        )
        alarms.append(alarm)
    return alarms


def _rollback_alarm_arns(environment: StackEnvironment, alarms: Sequence[cloudwatch.IAlarm]) -> list[str]:
    """The ARNs of ``alarms`` (``arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>``): formatted
    from the name in ``environment`` for an alarm of this package, so that a role in another stack
    refers to no export; asked of aws-cdk-lib for an alarm given."""
    return [
        environment.arn("cloudwatch", "alarm", name, sep=":") if name is not None else alarm.alarm_arn
        for alarm in alarms
        for name in [_DECLARED_ALARM_NAMES.get(alarm)]
    ]


def grant_rollback_alarm_reading(
    grantee: iam.IGrantable, alarms: Sequence[cloudwatch.IAlarm], *, before: IConstruct
) -> iam.Grant:
    """Allows ``grantee`` ``ROLLBACK_ALARM_READER_ACTIONS`` on ``alarms`` only, in a
    customer-managed policy (a Model's own, or ``ManagedGrants`` for a role this app declares),
    before ``before`` (what SageMaker deploys with the alarms) is created or updated.

    One statement for all the alarms. DescribeAlarms takes alarm ARNs as resources, so no wildcard
    is needed; a composite alarm, though, is described only to a caller allowed "*", so this
    grant does not cover one given as a rollback alarm.
    """
    grant = ManagedPolicyGrant.add_to_principal(
        grantee=grantee.grant_principal, actions=ROLLBACK_ALARM_READER_ACTIONS,
        resource_arns=_rollback_alarm_arns(environment_of(before), alarms),
    )
    grant.apply_before(before)
    return grant


def warn_unknown_alarm_reader(scope: IConstruct, why: str) -> None:
    """The warning for an execution role ``scope`` cannot grant the rollback alarms (``why``: whose role is unknown)."""
    Annotations.of(scope).add_warning_v2(
        "cdk-sagemaker-inference:rollbackAlarmGrant",
        f"{why}: grant it with grant_read_rollback_alarms(role), or SageMaker cannot read the alarms that "
        "roll a deployment back (cloudwatch:DescribeAlarms).",
    )


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
