"""Dead-letter queues that page someone: where a construct's undeliverable events and failed messages
wait, with alarms on a topic.

A message in a dead-letter queue is work that did not happen; nobody looks at a queue by itself, so
each queue here has two alarms: any visible message (depth), and a message older than 10 days (it
expires after 14, and an alarm already in ALARM state does not notify again when more arrive, so
the age alarm is the reminder).
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from ._metrics import DEFAULT_PERIOD, ONE_MINUTE, Statistic
from ._service_access import let_alarms_and_events_deliver
from .compliance import acknowledge

#: Dead-letter queues keep messages 14 days (SQS's maximum); the age alarm leaves 4 days to act.
RETENTION_DAYS = 14
AGE_ALARM_DAYS = 10
_RETENTION = Duration.days(RETENTION_DAYS)
_AGE_THRESHOLD_SECONDS = AGE_ALARM_DAYS * 86400
_AGE_WORDS = f"a dead letter is {AGE_ALARM_DAYS} days old and expires after {RETENTION_DAYS}"


class DeadLetters:
    """The dead-letter queues and alarms of one construct: queues encrypted with ``key``, alarms
    that notify ``topic``.

    Lets CloudWatch alarms publish to ``topic`` (its policy) and encrypt with the key that encrypts
    it, and EventBridge, which sends to the queues, encrypt with ``key`` (the keys' policies).
    """

    def __init__(self, scope: Construct, *, key: kms.IKey, topic: sns.ITopic) -> None:
        self._scope = scope
        self._key = key
        self._path = scope.node.path
        # One action for every alarm (it only names the topic).
        self._action = cloudwatch_actions.SnsAction(topic)
        let_alarms_and_events_deliver(key, topic)

    def queue(self, id: str, what: str, *, fifo: bool = False, of_rule_target: bool = False) -> sqs.Queue:
        """An encrypted, TLS-only queue kept 14 days, with its depth and age alarms.

        :param what: what waits in it, for the alarms' descriptions ("approval events").
        :param fifo: the dead-letter queue of a FIFO queue, which must be FIFO too.
        :param of_rule_target: the ``DeadLetterConfig`` of EventBridge rule targets, which cdk-nag
            does not recognise as a dead-letter queue (it knows only SQS redrive targets).
        """
        queue = sqs.Queue(
            self._scope,
            id,
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self._key,
            enforce_ssl=True,
            retention_period=_RETENTION,
            fifo=fifo or None,
            content_based_deduplication=fifo or None,
        )
        if of_rule_target:
            acknowledge(queue, ["AwsSolutions-SQS3"],
                        "This queue is an EventBridge rule target's dead-letter queue (DeadLetterConfig), which "
                        "the rule checks do not recognise as one; a dead-letter queue needs no dead-letter queue.")
        where = f"{what.capitalize()} of {self._path}"
        self.alarm(f"{id}Alarm", f"{where} could not be handled: see the dead-letter queue",
                   queue.metric_approximate_number_of_messages_visible(period=ONE_MINUTE, statistic=Statistic.MAXIMUM),
                   0)
        self.alarm(f"{id}AgeAlarm", f"{where}: {_AGE_WORDS}",
                   queue.metric_approximate_age_of_oldest_message(period=DEFAULT_PERIOD, statistic=Statistic.MAXIMUM),
                   _AGE_THRESHOLD_SECONDS)
        return queue

    def alarm(self, id: str, description: str, metric: cloudwatch.IMetric, threshold: float) -> cloudwatch.Alarm:
        """An alarm on ``metric`` above ``threshold`` in one period (no data is not a breach) that
        notifies the topic."""
        alarm = cloudwatch.Alarm(
            self._scope,
            id,
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(self._action)
        return alarm
