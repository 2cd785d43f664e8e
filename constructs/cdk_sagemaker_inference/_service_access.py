"""Resource-policy and key-policy statements that let an AWS service deliver to a resource.

A real account evaluates these; moto does not. An ``AWS::SNS::TopicPolicy`` replaces the topic's
default policy, so a topic with only a TLS-deny statement refuses every service; a KMS-encrypted
topic or queue also needs the producing service in the key policy. ``wiring.py`` checks every such
edge in the synthesized templates.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Annotations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns

from ._batch import first_time
from ._stack_env import environment_of

#: The service principal CloudWatch alarm actions publish with.
CLOUDWATCH = "cloudwatch.amazonaws.com"
#: The service principal EventBridge rules deliver with.
EVENTS = "events.amazonaws.com"
#: What a service needs of the key that encrypts a topic or queue it sends to.
SEND_ENCRYPTED_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey*")

# Every construct that sends to the shared key or topic asks for these statements again, and each
# ask is a dozen calls into jsii for a statement aws-cdk-lib would merge with the one already
# there: each is given once per key or topic (first_time).

def allow_alarms_to_publish(topic: sns.ITopic) -> None:
    """Lets CloudWatch alarms of the topic's account and region publish to ``topic``.

    Scoped with ``aws:SourceAccount`` and ``aws:SourceArn`` (any alarm of that account and region):
    an alarm's ARN holds its name, which may be generated. Adding it twice adds one statement.
    An imported topic has no policy this app owns: a warning says its owner must allow it.
    """
    if not first_time(topic, "alarms"):
        return
    environment = environment_of(topic)
    alarms = environment.arn("cloudwatch", "alarm", "*", sep=":")
    statement = iam.PolicyStatement(
        sid="AllowCloudWatchAlarmsOfThisAccount",
        actions=["sns:Publish"],
        principals=[iam.ServicePrincipal(CLOUDWATCH)],
        resources=[topic.topic_arn],
        conditions={"ArnLike": {"aws:SourceArn": alarms}, "StringEquals": {"aws:SourceAccount": environment.account}},
    )
    if topic.node.try_find_child("Policy") is not None and _has_sid(topic, statement.sid):
        return
    if not topic.add_to_resource_policy(statement).statement_added:
        Annotations.of(topic).add_warning_v2(
            "cdk-sagemaker-inference:topicPolicyNotManaged",
            "This topic is imported: its owner must allow cloudwatch.amazonaws.com sns:Publish (and use of its "
            "KMS key), or alarm actions on it fail on a real account.",
        )


def _has_sid(topic: sns.ITopic, sid: str | None) -> bool:
    policy = topic.node.find_child("Policy")
    document = getattr(policy, "document", None)
    if document is None:
        return False
    statements = environment_of(topic).stack.resolve(document.to_json()).get("Statement", [])
    return any(s.get("Sid") == sid for s in statements)


def let_services_use_key(key: kms.IKey, services: Sequence[str], sid: str) -> None:
    """Lets ``services`` encrypt messages with ``key`` for the topics and queues it encrypts.

    No source condition: the service calls KMS through SNS or SQS on the sender's behalf, and AWS's
    documented key policies for CloudWatch alarms and EventBridge targets name only the principal.
    "*" in a key policy means this key only. Adding the same ``sid`` twice adds one statement.
    """
    if not first_time(key, (sid, *services)):
        return
    statement = iam.PolicyStatement(
        sid=sid,
        actions=list(SEND_ENCRYPTED_ACTIONS),
        principals=[iam.ServicePrincipal(service) for service in services],
        resources=["*"],
    )
    _add_to_key_policy(key, statement, f"{' and '.join(services)} {' and '.join(SEND_ENCRYPTED_ACTIONS)}")


def let_alarms_and_events_deliver(key: kms.IKey, topic: sns.ITopic) -> None:
    """Lets CloudWatch alarms publish to ``topic`` and, with EventBridge, encrypt with ``key`` (alarms
    publish to a topic it encrypts, EventBridge sends to queues it encrypts); a topic encrypted with
    another key gets the alarms' statement on that key."""
    let_services_use_key(key, [CLOUDWATCH, EVENTS], "AllowAlarmsAndEventBridgeToEncrypt")
    topic_key = topic.master_key
    if topic_key is not None and topic_key is not key:
        let_services_use_key(topic_key, [CLOUDWATCH], "AllowAlarmsToEncrypt")
    allow_alarms_to_publish(topic)


def let_logs_use(key: kms.IKey) -> None:
    """Lets CloudWatch Logs of this account and region encrypt log groups with ``key``."""
    if not first_time(key, "logs"):
        return
    environment = environment_of(key)
    _add_to_key_policy(key, iam.PolicyStatement(
        actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        principals=[iam.ServicePrincipal(f"logs.{environment.region}.amazonaws.com")],
        resources=["*"],  # "*" in a key policy means this key only.
        conditions={"ArnLike": {
            "kms:EncryptionContext:aws:logs:arn": environment.arn("logs", "log-group", "*", sep=":")}},
    ), "CloudWatch Logs of this account and region to encrypt log groups")


def _add_to_key_policy(key: kms.IKey, statement: iam.PolicyStatement, allowing: str) -> None:
    """``statement`` in ``key``'s policy; an imported key has no policy this app owns: a warning
    says what its owner must allow."""
    if not key.add_to_resource_policy(statement, allow_no_op=True).statement_added:
        Annotations.of(key).add_warning_v2(
            "cdk-sagemaker-inference:keyPolicyNotManaged",
            f"This key is imported: its owner must allow {allowing} in its key policy, or deliveries "
            "encrypted with it fail on a real account.",
        )
