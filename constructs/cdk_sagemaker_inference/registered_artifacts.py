"""RegisteredArtifacts: what an execution role must read to run any version of a model registry.

A model package version names its own ``model.tar.gz`` and images, which are not known at synth
(the version is chosen at deploy time, or approved later), and SageMaker reads them with the
execution role of the model that runs the version. So a model that serves registry versions is
granted the place they are kept, rather than one object.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aws_cdk import aws_iam as iam
from constructs import Construct

from ._iam import ManagedPolicyGrant
from ._validation import check_count
from .compliance import acknowledge_wildcard_resource
from .container_image import ContainerImage

if TYPE_CHECKING:  # aws_s3 costs an app that uses no bucket of its own 0.05-0.1 s to import
    from aws_cdk import aws_s3 as s3


@dataclass(frozen=True)
class RegisteredArtifacts:
    """Where a registry's versions keep their artifacts, and the images they run.

    :param bucket: the bucket of the versions' ``model.tar.gz`` files.
    :param prefix: the key prefix they are under, e.g. ``"models/"`` (1-1024 characters). Required,
        so that a role never reads the whole bucket.
    :param images: the images the versions run; each is granted as it is for a ``Model``.
        Default: none (e.g. AWS's prebuilt images of the declared containers, granted already).
    """

    bucket: s3.IBucket
    prefix: str
    images: Sequence[ContainerImage] = ()

    def grant_read(self, scope: Construct, grantee: iam.IGrantable) -> iam.Grant:
        """Grants ``grantee`` ``s3:GetObject`` under the prefix (and decrypt with the bucket's key,
        if it has one) and pull access to the images; nothing else.

        The one wildcard, ``<bucket>/<prefix>*``, is acknowledged (AwsSolutions-IAM5) on ``grantee``
        for exactly that resource when ``grantee`` is a construct (a Model).

        :param scope: where an image binds its assets, and what an error names.
        :param grantee: a Model or InferencePipelineModel (its grants land in its own managed
            policy), or an execution role.
        """
        check_count(scope, "prefix", self.prefix, 1, 1024)
        # A Model is a Python construct, not a jsii object: jsii gets its principal.
        principal = grantee.grant_principal
        artifacts = self.bucket.arn_for_objects(f"{self.prefix}*")
        grant = ManagedPolicyGrant.add_to_principal(
            grantee=principal, actions=["s3:GetObject"], resource_arns=[artifacts]
        )
        if isinstance(grantee, Construct):
            acknowledge_wildcard_resource(
                grantee,
                artifacts,
                "A registry version names its own model.tar.gz, unknown at synth; the role reads only "
                "objects under the registry's artifacts prefix.",
            )
        if self.bucket.encryption_key is not None:
            grant = grant.combine(self.bucket.encryption_key.grant_decrypt(ManagedPolicyGrant.principal(principal)))
        for image in self.images:
            image.bind(scope, principal)
        return grant
