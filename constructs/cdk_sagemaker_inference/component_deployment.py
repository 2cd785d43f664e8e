"""Rolling updates of an inference component: copies replaced in batches, alarms that roll back."""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sagemaker as sagemaker
from constructs import Construct

from ._metrics import component_metric
from ._validation import StrictEnum, check, check_integer, check_seconds, is_token, to_enum, whole_seconds
from .deployment import (
    DEFAULT_LATENCY_THRESHOLD,
    DEFAULT_WAIT_INTERVAL,
    check_rollback_alarm_count,
    check_timeout_covers,
    latency_micros_of,
    rollback_alarm_pair,
)

#: A rolling step replaces 5-50% of the copies (``InferenceComponentRollingUpdatePolicy``).
_MIN_STEP_PERCENT, _MAX_STEP_PERCENT = 5, 50
#: A rollback step may restore everything at once: 100% is SageMaker's default.
_MAX_ROLLBACK_PERCENT = 100


class CopyBatchSizeType(StrictEnum):
    """How a batch of a component's copies is counted."""

    #: A number of copies.
    COPY_COUNT = "COPY_COUNT"
    #: A percentage of the component's copies.
    CAPACITY_PERCENT = "CAPACITY_PERCENT"


@dataclasses.dataclass(frozen=True)
class CopyBatchSize:
    """How many copies one step of a rolling update (or of its rollback) replaces; use the factories
    ``copies`` and ``percent``."""

    #: How ``value`` counts: a ``CopyBatchSizeType`` or its value (``"COPY_COUNT"``), checked by the
    #: component that uses the size.
    type: CopyBatchSizeType | str
    #: Copies, or percent of the copies.
    value: int

    @staticmethod
    def copies(count: int) -> CopyBatchSize:
        """``count`` copies a step."""
        return CopyBatchSize(CopyBatchSizeType.COPY_COUNT, count)

    @staticmethod
    def percent(percent: int) -> CopyBatchSize:
        """``percent`` of the component's copies a step."""
        return CopyBatchSize(CopyBatchSizeType.CAPACITY_PERCENT, percent)


@dataclasses.dataclass(frozen=True, kw_only=True)
class ComponentRollingUpdate:
    """How a stack update that changes an inference component replaces its copies: a batch at a
    time, each batch watched by the rollback alarms for ``wait_interval`` before the next one.

    :param maximum_batch_size: the copies a step replaces, 5-50% of the component's copies:
        ``CopyBatchSize.percent(5..50)``, or ``CopyBatchSize.copies(n)`` within those bounds of the
        fewest copies the component can have at an update (``copy_count``, or autoscaling's
        ``min_copies`` when lower). No default: what fits depends on the copy count.
    :param wait_interval: how long each batch bakes (0-3600 s). Default: 5 minutes, long enough
        for a 1-minute 5XX alarm to fire.
    :param maximum_execution_timeout: the longest the whole update may take (600-28800 s), more
        than its batches' waits: ``wait_interval`` for each batch (the fewest copies divided by a
        batch of copies, rounded up; at least 2). Default: None, SageMaker's own limit.
    :param rollback_maximum_batch_size: the copies a rollback step restores (at least 1 copy, or
        1-100%). Default: None, all of them at once (a blue/green rollback).
    :param rollback_alarms: 1-10 alarms that roll the update back while they are in ALARM.
        Default: None, the component creates two: Invocation5XXErrors >= 1 in a minute and average
        ModelLatency above ``model_latency_threshold`` for 3 minutes.
    :param model_latency_threshold: the default latency alarm's threshold. Default: 1 second.
    """

    maximum_batch_size: CopyBatchSize
    wait_interval: Duration = DEFAULT_WAIT_INTERVAL
    maximum_execution_timeout: Duration | None = None
    rollback_maximum_batch_size: CopyBatchSize | None = None
    rollback_alarms: Sequence[cloudwatch.IAlarm] | None = None
    model_latency_threshold: Duration = DEFAULT_LATENCY_THRESHOLD


def validate_rolling_update(where: Construct, update: ComponentRollingUpdate, fewest_copies: int | None) -> None:
    """SageMaker's limits on ``update`` of a component that has at least ``fewest_copies`` copies
    at any update (None: not known at synth)."""
    step = update.maximum_batch_size
    step_type = _size_type(where, "deployment.maximum_batch_size", step)
    check_integer(where, "deployment.maximum_batch_size.value", step.value, 1)
    if step_type is CopyBatchSizeType.CAPACITY_PERCENT:
        check_integer(where, "deployment.maximum_batch_size.value (percent)", step.value,
                      _MIN_STEP_PERCENT, _MAX_STEP_PERCENT)
    if fewest_copies is not None:
        # Half of one copy is no copy: a single-copy component has no step to roll.
        check(where, fewest_copies >= 2, "deployment", "given for a component of at least 2 copies at every "
              "update (copy_count, and auto_scaling.min_copies when lower): a step replaces at most half",
              fewest_copies)
        if step_type is CopyBatchSizeType.COPY_COUNT and not is_token(step.value):
            low, high = math.ceil(fewest_copies * _MIN_STEP_PERCENT / 100), fewest_copies * _MAX_STEP_PERCENT // 100
            check(where, low <= step.value <= high, "deployment.maximum_batch_size.value (copies)",
                  f"between {low} and {high} (5-50% of the {fewest_copies} copies the component has at least)",
                  step.value)
    rollback = update.rollback_maximum_batch_size
    if rollback is not None:
        rollback_type = _size_type(where, "deployment.rollback_maximum_batch_size", rollback)
        percent = rollback_type is CopyBatchSizeType.CAPACITY_PERCENT
        check_integer(where, f"deployment.rollback_maximum_batch_size.value ({'percent' if percent else 'copies'})",
                      rollback.value, 1, _MAX_ROLLBACK_PERCENT if percent else None)
    check_seconds(where, "deployment.wait_interval", update.wait_interval, 0, 3600)
    check_seconds(where, "deployment.maximum_execution_timeout", update.maximum_execution_timeout, 600, 28800)
    _check_timeout_covers_the_waits(where, update, step_type, fewest_copies)
    if update.rollback_alarms is not None:
        check_rollback_alarm_count(where, update.rollback_alarms)


#: A step replaces at most half of the copies: an update takes at least two batches.
_FEWEST_BATCHES = 2


def _check_timeout_covers_the_waits(
    where: Construct, update: ComponentRollingUpdate, step_type: CopyBatchSizeType, fewest_copies: int | None
) -> None:
    """Each batch of new copies bakes for ``wait_interval`` while the alarms watch it, so an update
    whose ``maximum_execution_timeout`` is not longer than its batches' waits always times out and
    rolls back. The batches counted are the fewest the update can take (a batch of ``n`` copies:
    the fewest copies divided by ``n``, rounded up; a percentage: 2, since how SageMaker rounds it
    to copies is not documented), so that nothing SageMaker could finish in time is refused."""
    timeout = whole_seconds(update.maximum_execution_timeout)
    wait = whole_seconds(update.wait_interval)
    step = update.maximum_batch_size.value
    if timeout is None or any(is_token(value) for value in (timeout, wait, step)):
        return
    batches = _FEWEST_BATCHES
    if step_type is CopyBatchSizeType.COPY_COUNT and fewest_copies is not None:
        batches = max(batches, math.ceil(fewest_copies / step))
    check_timeout_covers(where, timeout, batches * wait, f"{batches} batch(es) of wait_interval ({wait} s)")


def _size_type(where: Construct, prop: str, size: CopyBatchSize) -> CopyBatchSizeType:
    return to_enum(where, f"{prop}.type", size.type, CopyBatchSizeType)


def component_rollback_alarms(
    scope: Construct, *, component_name: str, latency_threshold: Duration
) -> list[cloudwatch.IAlarm]:
    """The component's two default rollback alarms, in ``scope``, named after the component."""
    return rollback_alarm_pair(
        scope,
        id_prefix="",
        alarm_name_prefix=component_name,
        subject=component_name,
        metric=functools.partial(component_metric, component_name),
        latency_micros=latency_micros_of(latency_threshold),
    )


def render_rolling_update(
    update: ComponentRollingUpdate, alarms: Sequence[cloudwatch.IAlarm]
) -> sagemaker.CfnInferenceComponent.InferenceComponentDeploymentConfigProperty:
    """``AWS::SageMaker::InferenceComponent.DeploymentConfig`` for ``update`` rolled back by ``alarms``."""
    component = sagemaker.CfnInferenceComponent
    rollback = update.rollback_maximum_batch_size
    return component.InferenceComponentDeploymentConfigProperty(
        rolling_update_policy=component.InferenceComponentRollingUpdatePolicyProperty(
            maximum_batch_size=_render_size(update.maximum_batch_size),
            wait_interval_in_seconds=whole_seconds(update.wait_interval),
            maximum_execution_timeout_in_seconds=whole_seconds(update.maximum_execution_timeout),
            rollback_maximum_batch_size=_render_size(rollback) if rollback is not None else None,
        ),
        auto_rollback_configuration=component.AutoRollbackConfigurationProperty(
            alarms=[component.AlarmProperty(alarm_name=a.alarm_name) for a in alarms]
        ),
    )


def _render_size(size: CopyBatchSize) -> sagemaker.CfnInferenceComponent.InferenceComponentCapacitySizeProperty:
    return sagemaker.CfnInferenceComponent.InferenceComponentCapacitySizeProperty(
        type=CopyBatchSizeType(size.type).value, value=size.value)
