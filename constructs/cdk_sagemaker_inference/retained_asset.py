"""RetainedAsset: a local file kept in a bucket of the app under its content hash, never deleted.

What a registered model version points at (its ``ModelDataUrl``s, its metrics reports) must outlive
every template that mentions it: a rollback may serve that version months later. A CDK file asset
lives in the bootstrap bucket, where ``cdk gc`` deletes objects no current template references.
``RetainedAsset`` publishes the file as a CDK asset as usual and then copies it, at deploy time and
server-side, into a bucket the app declares (retained, versioned, encrypted), under
``<prefix><sha256 of the content>/<file name>``: a new version of the file gets a new key, so an
older version's object is never overwritten, and nothing ever deletes it.

The copy is a custom resource (``Custom::RetainedAsset``) served by one small function per stack and
destination bucket, whose role may read exactly the assets it copies, write exactly their keys, list
exactly those keys (to skip a copy that is already there) and use the bucket's key through S3 only:
no delete, no other object. CloudFormation cannot change a custom resource's ``ServiceToken``, so the
copy's logical id names its function: another bucket is another copy (the old one is retained).
CloudFormation invokes the function asynchronously; the function answers FAILED before its own
timeout, and the copy's ``ServiceTimeout`` fails the resource soon after it if no answer came at all.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from aws_cdk import CustomResource, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from ._asset_binder import AssetBinder
from ._assets import HANDLER_RUNTIME, handler_code
from ._batch import batched
from ._iam import ManagedPolicyRole
from ._log_groups import declare_log_group
from ._stack_env import environment_of
from ._validation import check, check_pattern
from .compliance import acknowledge

#: The CloudFormation type of the copy; the local runner maps it back to the staged file
#: (``runtime.local.cloud_assembly.RETAINED_ASSET_TYPE``, which must stay CDK-free).
RESOURCE_TYPE = "Custom::RetainedAsset"
#: The kind of the copier in the stack's ``AssetBinder``: its construct id is this and a digest of the bucket.
_COPIER_KIND = "RetainedAssetCopier"
#: The copier's timeout: a server-side multipart copy of a large archive takes minutes; Lambda's maximum.
_FUNCTION_MINUTES = 15
_FUNCTION_TIMEOUT = Duration.minutes(_FUNCTION_MINUTES)
#: How long CloudFormation waits for an answer (1 s-1 h, default 1 h): the function answers before its own
#: timeout; the extra minute covers a late start from Lambda's asynchronous queue.
_SERVICE_MINUTES = _FUNCTION_MINUTES + 1
_SERVICE_TIMEOUT = Duration.minutes(_SERVICE_MINUTES)
_PREFIX_RULE = "empty or up to 512 characters ending with '/', not starting with '/'"


class RetainedAsset(Construct):
    """A local file copied at deploy into ``bucket`` under its content hash, and kept there.

    ``s3_object_url`` is what a model version registers (``ModelData.from_asset(path, retained_in=bucket)``
    does this for model archives; pass ``MetricsReport.from_retained_asset(asset)`` for reports).
    Anything that uses the object must depend on this construct (those two do it for you): a
    dependency on it in another stack makes that stack deploy after this one.

    The copy is retained (CloudFormation never asks to delete it, and the function would not), the
    function's role cannot delete, and an object already under the key with the file's size is left
    as it is. The bucket should be retained and versioned, with its policy retained too:
    ``SharedResources.artifacts_bucket`` is.
    """

    def __init__(self, scope: Construct, id: str, *, path: str, bucket: s3.IBucket, prefix: str = "assets/") -> None:
        """
        :param path: the local file.
        :param bucket: where the file is kept. Its KMS key (``bucket.encryption_key``, None for a
            bucket imported without one) is used through S3 for the copy and encrypts the copier's logs;
            an imported bucket with a customer-managed key must let the copier's role use it.
        :param prefix: where under the bucket. Default: ``assets/``. The key is
            ``<prefix><sha256 of the file>/<file name>``.
        """
        super().__init__(scope, id)
        check(self, Path(path).is_file(), "path", "an existing file", path)
        check_pattern(self, "prefix", prefix, r"(?!/).{0,511}/|", _PREFIX_RULE)
        #: The SHA-256 of the file's content, hex (``sha256sum`` prints the same).
        with Path(path).open("rb") as file:
            self.sha256 = hashlib.file_digest(file, "sha256").hexdigest()
        #: The bucket the file is kept in.
        self.bucket = bucket
        #: ``<prefix><sha256>/<file name>``.
        self.object_key = f"{prefix}{self.sha256}/{Path(path).name}"
        source = AssetBinder.of(self).file(path)
        copier = AssetBinder.of(self).once(_COPIER_KIND, {"bucket": bucket.node.path},
                                           lambda scope, id: _Copier(scope, id, bucket=bucket))
        copier.allow(source, self.object_key)
        self._resource = CustomResource(
            self,
            # The copier's digest in the id: CloudFormation refuses to change a custom resource's
            # ServiceToken, so another copier (another bucket) must make another logical id.
            f"Copy{copier.digest}",
            service_token=copier.function.function_arn,
            service_timeout=_SERVICE_TIMEOUT,
            resource_type=RESOURCE_TYPE,
            properties={"SourceBucket": source.s3_bucket_name, "SourceKey": source.s3_object_key,
                        "Bucket": bucket.bucket_name, "Key": self.object_key},
            removal_policy=RemovalPolicy.RETAIN,
        )
        # The function runs with its role as soon as CloudFormation creates the copy: the grants come first.
        self._resource.node.add_dependency(copier.role.policy)

    @property
    def s3_object_url(self) -> str:
        """``s3://<bucket>/<object_key>``."""
        return self.bucket.s3_url_for_object(self.object_key)


class _Copier(Construct):
    """The function that serves every ``RetainedAsset`` of one stack into one bucket, and its role."""

    @batched()
    def __init__(self, scope: Construct, id: str, *, bucket: s3.IBucket) -> None:
        super().__init__(scope, id)
        #: The digest of the bucket in this copier's id: the copies it serves carry it in theirs.
        self.digest = id.removeprefix(_COPIER_KIND)
        self._bucket = bucket
        description = "Copies CDK file assets into a bucket of the app under their content hash (never deletes)"
        self.role = ManagedPolicyRole(self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                                      description=description)
        key = bucket.encryption_key
        log_group, _ = declare_log_group(self, name=None, retention=logs.RetentionDays.ONE_YEAR, key=key,
                                         description="Encrypts the logs of the asset copier")
        log_group.grant_write(self.role)
        self.function = lambda_.Function(
            self,
            "Function",
            description=description,
            runtime=HANDLER_RUNTIME,
            code=handler_code("retained_asset_copier"),
            handler="index.handler",
            timeout=_FUNCTION_TIMEOUT,
            role=self.role,
            log_group=log_group,
        )
        acknowledge(self.function, ["HIPAA.Security-LambdaConcurrency", "NIST.800.53.R5-LambdaConcurrency",
                                    "CKV_AWS_115"],
                    "CloudFormation invokes this custom resource function only while deploying the stack; "
                    "a reservation would only take from the account's unreserved concurrency.")
        acknowledge(self.function, ["HIPAA.Security-LambdaDLQ", "NIST.800.53.R5-LambdaDLQ", "CKV_AWS_116"],
                    "CloudFormation invokes this custom resource function asynchronously. The function answers every "
                    "request, failures included, and answers FAILED a minute before its own timeout; a request left "
                    "unanswered (every attempt crashed or was throttled) fails its resource at the custom resource's "
                    f"{_SERVICE_MINUTES}-minute ServiceTimeout, shown in the stack's events, and the function's logs "
                    "keep the error: a dead-letter queue would only hold requests whose operation CloudFormation has "
                    "already failed.")
        acknowledge(self.function, ["HIPAA.Security-LambdaInsideVPC", "NIST.800.53.R5-LambdaInsideVPC",
                                    "PCI.DSS.321-LambdaInsideVPC", "CKV_AWS_117"],
                    "The function only calls S3 (TLS, IAM-authenticated) and CloudFormation's pre-signed response "
                    "URL; it reaches no private resource.")
        if key is not None:
            # CopyObject encrypts under the bucket's key (GenerateDataKey); a multipart copy also
            # decrypts the data key for each part (Decrypt). Only through S3.
            self.role.add_to_principal_policy(iam.PolicyStatement(
                actions=["kms:GenerateDataKey", "kms:Decrypt"],
                resources=[key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"s3.{environment_of(self).region}.amazonaws.com"}},
            ))

    def allow(self, source: s3_assets.Asset, key: str) -> None:
        """Lets the function copy ``source`` to ``key`` of the bucket, and nothing else of it.

        The assets bucket's key (the bootstrap template's) lets principals of the account use it
        through S3, so reading the source needs no KMS grant.
        """
        self.role.add_to_principal_policy(iam.PolicyStatement(
            actions=["s3:GetObject"], resources=[source.bucket.arn_for_objects(source.s3_object_key)]))
        self.role.add_to_principal_policy(iam.PolicyStatement(
            actions=["s3:PutObject", "s3:AbortMultipartUpload"], resources=[self._bucket.arn_for_objects(key)]))
        # Listing the one key tells "not there yet" from "not allowed" (HeadObject cannot without s3:ListBucket).
        self.role.add_to_principal_policy(iam.PolicyStatement(
            actions=["s3:ListBucket"], resources=[self._bucket.bucket_arn],
            conditions={"StringEquals": {"s3:prefix": key}}))

