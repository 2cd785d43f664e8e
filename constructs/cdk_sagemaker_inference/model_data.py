"""ModelData: where a model container's artifacts (model.tar.gz) are."""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from aws_cdk import aws_iam as iam
from constructs import Construct, IDependable

from ._asset_binder import AssetBinder, source_path
from ._iam import ManagedPolicyGrant
from ._stack_env import environment_of
from ._validation import check, check_pattern

if TYPE_CHECKING:  # aws_s3 costs an app that uses no bucket of its own 0.05-0.1 s to import
    from aws_cdk import aws_s3 as s3


@dataclass(frozen=True)
class ModelDataConfig:
    """What a model container needs to know about its artifacts after binding."""

    #: ``s3://<bucket>/<key>`` (may hold deploy-time tokens).
    url: str
    #: What must be deployed before anything uses the artifacts (the copy of a retained asset).
    dependencies: Sequence[IDependable] = ()


class ModelData(abc.ABC):
    """The artifacts of a model container. Create one with the static factories."""

    @staticmethod
    def from_bucket(bucket: s3.IBucket, key: str) -> ModelData:
        """The object ``key`` in ``bucket``, e.g. a training job's ``output/model.tar.gz``.

        Overwriting the object later changes nothing in the template, so nothing redeploys:
        give every artifact a new key.
        """
        check_pattern("ModelData.from_bucket", "key", key, r"[^/].{0,1023}",
                      "1 to 1024 characters, not starting with '/'")
        return _BucketModelData(bucket, key)

    @staticmethod
    def from_asset(path: str, *, retained_in: s3.IBucket | None = None, retained_prefix: str = "assets/") -> ModelData:
        """A local ``.tar.gz`` file, uploaded to the CDK assets bucket at deploy.

        :param retained_in: a bucket of the app to keep the archive in, under its content hash
            (``<retained_prefix><sha256>/<file name>``, see ``RetainedAsset``); the model then reads it
            from there. Use it for any model you register in a model package group: a registered
            version may be served again long after, and ``cdk gc`` deletes assets of the bootstrap
            bucket that no current template references. Default: None, the bootstrap bucket's asset.
        :param retained_prefix: where under ``retained_in``. Default: ``assets/``.
        """
        where = "ModelData.from_asset"
        check(where, path.endswith(".tar.gz"), "path", "a .tar.gz file", path)
        check(where, Path(path).is_file(), "path", "an existing file", path)
        if retained_in is not None:
            return _RetainedModelData(path, retained_in, retained_prefix)
        return _AssetModelData(path)

    @abc.abstractmethod
    def bind(self, scope: Construct, grantee: iam.IGrantable) -> ModelDataConfig:
        """Grants ``grantee`` (the model's role) read on exactly this object and returns its URL.

        :param scope: the model using the artifacts (where assets are created).
        """


class _BucketModelData(ModelData):
    def __init__(self, bucket: s3.IBucket, key: str) -> None:
        self._bucket = bucket
        self._key = key

    def bind(self, scope: Construct, grantee: iam.IGrantable) -> ModelDataConfig:
        # s3:GetObject on the one object, not bucket.grant_read's GetBucket*/List* on the bucket:
        # SageMaker only downloads the artifact.
        ManagedPolicyGrant.add_statement(
            grantee=grantee, actions=["s3:GetObject"], resource_arns=[self._bucket.arn_for_objects(self._key)]
        )
        if self._bucket.encryption_key is not None:
            self._bucket.encryption_key.grant_decrypt(ManagedPolicyGrant.principal(grantee))
        return ModelDataConfig(url=self._bucket.s3_url_for_object(self._key))


class _AssetModelData(ModelData):
    def __init__(self, path: str) -> None:
        self._path = path

    def bind(self, scope: Construct, grantee: iam.IGrantable) -> ModelDataConfig:
        # One asset per stack and file, however many models there use it (see _asset_binder.py).
        asset = AssetBinder.of(scope).file(self._path)
        # The object's ARN and URL from the asset's bucket name and key, as the bucket's
        # arn_for_objects and s3_url_for_object spell them; not asset.bucket, whose proxy
        # imports aws_s3 (the assets bucket has no key this app could grant).
        bucket, key = asset.s3_bucket_name, asset.s3_object_key
        arn = environment_of(scope).arn("s3", bucket, key, region="", account="")
        ManagedPolicyGrant.add_statement(grantee=grantee, actions=["s3:GetObject"], resource_arns=[arn])
        return ModelDataConfig(url=f"s3://{bucket}/{key}")


class _RetainedModelData(ModelData):
    def __init__(self, path: str, bucket: s3.IBucket, prefix: str) -> None:
        self._path = path
        self._bucket = bucket
        self._prefix = prefix

    def bind(self, scope: Construct, grantee: iam.IGrantable) -> ModelDataConfig:
        # Imported here: it loads aws_s3, which an app without a retained asset does not need.
        from .retained_asset import RetainedAsset

        # One copy per stack, file and place (the models of a stack share it; another stack makes its
        # own, which finds the object already there).
        source = {"path": source_path(self._path), "bucket": self._bucket.node.path, "prefix": self._prefix}
        retained = AssetBinder.of(scope).once("Retained", source, lambda binder, id: RetainedAsset(
            binder, id, path=self._path, bucket=self._bucket, prefix=self._prefix))
        config = _BucketModelData(self._bucket, retained.object_key).bind(scope, grantee)
        return ModelDataConfig(url=config.url, dependencies=(retained,))
