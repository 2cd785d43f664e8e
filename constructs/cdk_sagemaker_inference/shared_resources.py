"""SharedResources: the encryption key, artifacts bucket and notification topic other stacks use."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from ._batch import batched
from ._service_access import let_alarms_and_events_deliver
from .compliance import acknowledge

_REPLICATION_RULES = ["HIPAA.Security-S3BucketReplicationEnabled", "NIST.800.53.R5-S3BucketReplicationEnabled",
                      "PCI.DSS.321-S3BucketReplicationEnabled"]
_ARTIFACTS_NOT_REPLICATED = (
    "Cross-region replication is a disaster-recovery choice of the account owner, who decides where "
    "data may be copied: besides model artifacts (reproducible from training) this bucket holds records "
    "(captured requests and answers, batch outputs). Versioning keeps overwritten and deleted objects."
)
_ACCESS_LOGS_NOT_REPLICATED = (
    "Cross-region replication of these server access logs (audit records of the artifacts bucket) "
    "is a disaster-recovery choice of the account owner; versioning keeps them from being overwritten."
)

_NONCURRENT_VERSIONS_KEPT = Duration.days(90)


class SharedResources(Construct):
    """A customer-managed KMS key, an encrypted artifacts bucket and an encrypted SNS topic.

    - ``key``: rotation on, RETAIN (data encrypted with it outlives the stack).
    - ``artifacts_bucket``: KMS-encrypted with ``key``, TLS-only, versioned, no public access,
      server access logs to ``access_logs_bucket``.
    - ``notifications_topic``: KMS-encrypted with ``key``, TLS-only publishes; CloudWatch alarms of
      this account may publish to it (a topic policy replaces SNS's default one, so without that
      statement no alarm action on it could notify anyone), and EventBridge and CloudWatch may use
      ``key`` for it. Subscribe people and systems with ``subscriptions`` or ``add_subscription``.
    """

    @batched()
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
        noncurrent_version_expiration: Duration = _NONCURRENT_VERSIONS_KEPT,
        subscriptions: Sequence[sns.ITopicSubscription] = (),
    ) -> None:
        """
        :param removal_policy: what happens to the key and buckets when the stack is deleted.
            Default: RETAIN, because model artifacts and captured data are records.
        :param noncurrent_version_expiration: how long overwritten artifact versions are kept.
            Default: 90 days.
        :param subscriptions: who receives the notifications, e.g.
            ``aws_sns_subscriptions.EmailSubscription("team@example.com")``, ``UrlSubscription``
            (HTTPS), ``SqsSubscription`` or ``LambdaSubscription`` (aws-cdk-lib lets the topic use
            the queue's key and invoke the function). Email and HTTPS endpoints must confirm.
            Default: none; without one, alarms and deployment outcomes reach nobody.
        """
        super().__init__(scope, id)

        self.key = kms.Key(
            self,
            "Key",
            description="Encrypts SageMaker model artifacts, endpoint storage, captured data and messages",
            enable_key_rotation=True,
            removal_policy=removal_policy,
        )
        # Server access logs cannot be delivered to a bucket encrypted with a customer-managed key:
        # S3 log delivery supports only SSE-S3 on the target bucket.
        self.access_logs_bucket = s3.Bucket(
            self,
            "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            # No object_ownership: aws-cdk-lib picks it from how log delivery is granted (a bucket
            # policy with @aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy, else the log-delivery
            # ACL, which needs ObjectWriter), so the construct works in apps without that flag.
            removal_policy=removal_policy,
            lifecycle_rules=[s3.LifecycleRule(expiration=Duration.days(365))],
        )
        acknowledge(
            self.access_logs_bucket,
            ["AwsSolutions-S1", "HIPAA.Security-S3BucketLoggingEnabled",
             "NIST.800.53.R5-S3BucketLoggingEnabled", "PCI.DSS.321-S3BucketLoggingEnabled", "CKV_AWS_18"],
            "This bucket is the server access log destination; logging it would log its own log delivery.",
        )
        acknowledge(
            self.access_logs_bucket,
            ["HIPAA.Security-S3DefaultEncryptionKMS", "NIST.800.53.R5-S3DefaultEncryptionKMS",
             "PCI.DSS.321-S3DefaultEncryptionKMS"],
            "S3 server access log delivery supports only SSE-S3 on the destination bucket.",
        )
        self.artifacts_bucket = s3.Bucket(
            self,
            "Artifacts",
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            enforce_ssl=True,
            versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_logs_bucket,
            server_access_logs_prefix="artifacts/",
            removal_policy=removal_policy,
            lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=noncurrent_version_expiration)],
        )
        for bucket, not_replicated in ((self.access_logs_bucket, _ACCESS_LOGS_NOT_REPLICATED),
                                       (self.artifacts_bucket, _ARTIFACTS_NOT_REPLICATED)):
            # A retained bucket keeps its policy: without it the data left behind loses TLS-only
            # access (and the log bucket its log-delivery grant) once the stack is deleted.
            assert bucket.policy is not None  # enforce_ssl declares it
            bucket.policy.apply_removal_policy(removal_policy)
            acknowledge(bucket, _REPLICATION_RULES, not_replicated)

        self.notifications_topic = sns.Topic(
            self,
            "Notifications",
            display_name="SageMaker inference notifications",
            master_key=self.key,
            enforce_ssl=True,
        )
        # CloudWatch alarms publish to the topic; EventBridge rules deliver to queues under this key.
        let_alarms_and_events_deliver(self.key, self.notifications_topic)
        for subscription in subscriptions:
            self.add_subscription(subscription)

    def add_subscription(self, subscription: sns.ITopicSubscription) -> sns.Subscription:
        """Subscribes ``subscription`` (email, HTTPS, SQS, Lambda, ...) to the notifications topic."""
        return self.notifications_topic.add_subscription(subscription)
