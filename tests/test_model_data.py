"""ModelData: S3 objects and local archives, read access to exactly that object; model packages."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from aws_cdk.assertions import Annotations, Match, Template
from cdk_sagemaker_inference import (
    ContainerDefinition,
    ContainerImage,
    Framework,
    Model,
    ModelData,
    RegisteredArtifacts,
    ValidationError,
)


def _bind(stack: cdk.Stack, data: ModelData) -> tuple[object, list[object]]:
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    url = stack.resolve(data.bind(stack, role).url)
    (policy,) = Template.from_stack(stack).find_resources("AWS::IAM::ManagedPolicy").values()
    return url, policy["Properties"]["PolicyDocument"]["Statement"]


def test_bucket_object_read_and_decrypt(stack):
    key = kms.Key(stack, "Key", enable_key_rotation=True)
    bucket = s3.Bucket(stack, "Bucket", encryption_key=key)
    url, statements = _bind(stack, ModelData.from_bucket(bucket, "xgb/model.tar.gz"))
    bucket_ref = {"Ref": stack.get_logical_id(bucket.node.default_child)}
    assert url == {"Fn::Join": ["", ["s3://", bucket_ref, "/xgb/model.tar.gz"]]}
    assert statements == [
        {
            "Action": "s3:GetObject",
            "Effect": "Allow",
            "Resource": {"Fn::Join": ["", [
                {"Fn::GetAtt": [bucket_ref["Ref"], "Arn"]}, "/xgb/model.tar.gz"]]},
        },
        {
            "Action": "kms:Decrypt",
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [stack.get_logical_id(key.node.default_child), "Arn"]},
        },
    ]


def test_unencrypted_imported_bucket_needs_no_key(stack):
    bucket = s3.Bucket.from_bucket_name(stack, "Imported", "artifacts")
    url, statements = _bind(stack, ModelData.from_bucket(bucket, "m.tar.gz"))
    assert url == "s3://artifacts/m.tar.gz"
    assert statements == [{
        "Action": "s3:GetObject",
        "Effect": "Allow",
        "Resource": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::artifacts/m.tar.gz"]]},
    }]


@pytest.mark.parametrize("key", ["", "/model.tar.gz"])
def test_bucket_key_refused(stack, key):
    bucket = s3.Bucket(stack, "Bucket")
    message = rf"ModelData.from_bucket: key must be 1 to 1024 characters, not starting with '/', got '{key}'"
    with pytest.raises(ValidationError, match=message):
        ModelData.from_bucket(bucket, key)


def test_asset_reads_only_its_own_object(regional_stack, tmp_path: Path):
    archive = tmp_path / "model.tar.gz"
    archive.write_bytes(b"not really a tarball")
    url, statements = _bind(regional_stack, ModelData.from_asset(str(archive)))
    assert "cdk-hnb659fds-assets-123456789012-us-east-1" in str(url)
    (statement,) = statements
    assert statement["Action"] == "s3:GetObject"
    assert str(statement["Resource"]).endswith(".gz")


def test_asset_refuses_other_files(tmp_path: Path):
    with pytest.raises(ValidationError, match=r"from_asset: path must be a .tar.gz file, got .m.zip."):
        ModelData.from_asset("m.zip")
    missing = str(tmp_path / "missing.tar.gz")
    with pytest.raises(ValidationError, match=r"ModelData.from_asset: path must be an existing file, got '/"):
        ModelData.from_asset(missing)


def test_model_package_container_takes_a_token(stack):
    parameter = cdk.CfnParameter(stack, "Version", type="String")
    container = ContainerDefinition.from_model_package(parameter.value_as_string, hostname="served")
    assert container.model_package_arn == parameter.value_as_string
    assert container.image is None


@pytest.mark.parametrize("arn", [
    "my-package",
    "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/latest",  # a version is a number
    "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-/3",
    "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/1234567890",
    "arn:aws:sagemaker:us-east-1:123456789012:model-package/" + "a" * 64,
])
def test_model_package_arn_refused(arn: str):
    with pytest.raises(ValidationError, match=r"ContainerDefinition.from_model_package: model_package_arn "
                                              r"must be a model package ARN .* of at most 176 characters, got '"):
        ContainerDefinition.from_model_package(arn)


@pytest.mark.parametrize("arn", [
    "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/3",
    "arn:aws-cn:sagemaker:cn-north-1:123456789012:model-package/Churn-Model/123456789",
    # An AWS Marketplace package has no version.
    "arn:aws:sagemaker:us-east-1:865070037744:model-package/sentiment-analysis-8a2c0e1b2b5b3f6c9d0e1f2a3b4c5d6e",
])
def test_model_package_arns_of_versions_and_marketplace_packages_are_taken(arn: str):
    assert ContainerDefinition.from_model_package(arn).model_package_arn == arn


PACKAGE_ARN = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/3"


def test_a_model_package_container_is_granted_the_registered_artifacts_and_images(stack):
    bucket = s3.Bucket(stack, "Registry", encryption=s3.BucketEncryption.KMS)
    repository = ecr.Repository(stack, "Images")
    Model(stack, "M", container=ContainerDefinition.from_model_package(
        PACKAGE_ARN, registered_artifacts=RegisteredArtifacts(
            bucket, "models/", images=[ContainerImage.from_ecr_repository(repository, tag="1")])))
    template = Template.from_stack(stack)
    (policy,) = [p for k, p in template.find_resources("AWS::IAM::ManagedPolicy").items() if k.startswith("MPolicy")]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    by_action = {json.dumps(s["Action"]): s["Resource"] for s in statements}
    bucket_id = stack.resolve(stack.get_logical_id(bucket.node.default_child))
    assert by_action['"s3:GetObject"'] == {"Fn::Join": ["", [{"Fn::GetAtt": [bucket_id, "Arn"]}, "/models/*"]]}
    assert by_action['"kms:Decrypt"'] == {"Fn::GetAtt": [stack.resolve(stack.get_logical_id(
        bucket.encryption_key.node.default_child)), "Arn"]}
    assert any("ecr:BatchGetImage" in action for action in by_action)
    Annotations.from_stack(stack).has_no_warning("*", Match.string_like_regexp("modelPackageAccess"))


def test_a_model_package_container_without_its_artifacts_warns(stack):
    Model(stack, "M", container=ContainerDefinition.from_model_package(PACKAGE_ARN))
    (warning,) = Annotations.from_stack(stack).find_warning("/TestStack/M", Match.any_value())
    assert str(warning.entry.data).startswith(
        f"The model's role may read nothing of model package {PACKAGE_ARN}: give from_model_package "
        "registered_artifacts= (a version of your registry), unless it is an AWS Marketplace package")


def test_registered_artifacts_need_a_prefix_and_a_model_package(stack):
    bucket = s3.Bucket(stack, "Registry")
    with pytest.raises(ValidationError, match=r"^TestStack/M: prefix must be between 1 and 1024 characters long"):
        Model(stack, "M", container=ContainerDefinition.from_model_package(
            PACKAGE_ARN, registered_artifacts=RegisteredArtifacts(bucket, "")))
    with pytest.raises(ValidationError, match=r"ContainerDefinition: registered_artifacts must be set only for a "
                                              r"model package"):
        ContainerDefinition(image=ContainerImage.sagemaker_builtin(Framework.XGBOOST, "1.7-1"),
                            registered_artifacts=RegisteredArtifacts(bucket, "models/"))


def test_container_needs_exactly_one_source(stack):
    image = ContainerImage.sagemaker_builtin(Framework.XGBOOST, "1.7-1")
    arn = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/3"
    with pytest.raises(ValidationError, match=r"ContainerDefinition: image or model_package_arn must be "
                                              r"exactly one of them, got \(None, None\)"):
        ContainerDefinition()
    with pytest.raises(ValidationError, match=r"image or model_package_arn must be exactly one of them"):
        ContainerDefinition(image=image, model_package_arn=arn)
    data = ModelData.from_bucket(s3.Bucket(stack, "Bucket"), "m.tar.gz")
    with pytest.raises(ValidationError, match=r"ContainerDefinition: model_data must be unset for a model"):
        ContainerDefinition(model_package_arn=arn, model_data=data)


def test_a_pipeline_binds_several_asset_files_once_each(regional_stack, tmp_path: Path):
    """Two archives in one pipeline get one asset each; a file used twice stays one asset."""
    from cdk_sagemaker_inference import InferencePipelineModel

    first, second = tmp_path / "a.tar.gz", tmp_path / "b.tar.gz"
    first.write_bytes(b"first")
    second.write_bytes(b"second")
    image = ContainerImage.sagemaker_builtin(Framework.SKLEARN, "1.2-1")
    shared = ModelData.from_asset(str(first))
    pipeline = InferencePipelineModel(regional_stack, "Pipeline", containers=[
        ContainerDefinition(image=image, model_data=shared),
        ContainerDefinition(image=image, model_data=ModelData.from_asset(str(second))),
        ContainerDefinition(image=image, model_data=shared),
    ])
    urls = [spec.model_data_url for spec in pipeline.containers]
    resolved = [regional_stack.resolve(url) for url in urls]
    assert resolved[0] == resolved[2] != resolved[1]
    assets = [c for c in regional_stack.node.find_all() if isinstance(c, s3_assets.Asset)]
    assert len(assets) == 2
