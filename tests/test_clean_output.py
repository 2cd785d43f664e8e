"""A clean build prints the summary and nothing a user must wonder about (issue 8, item 11)."""

from __future__ import annotations

import tomllib

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template
from aws_cdk.cx_api import SynthesisMessageLevel
from cdk_sagemaker_inference import (
    ContainerDefinition,
    ContainerImage,
    Framework,
    Model,
    ModelData,
    ModelPackageGroup,
    ModelPackageVersion,
)

from tests.conftest import REPO, build_model, new_app


def test_the_reference_app_synthesizes_without_info_messages(reference_app: cdk.App) -> None:
    """aws-cdk-lib printed an INFO about a copied CfnMapping in the registry stack on every synth."""
    messages = [
        (stack.stack_name, message.level, message.entry.data)
        for stack in reference_app.synth().stacks_recursively
        for message in stack.messages
        if message.level != SynthesisMessageLevel.WARNING  # deliberate ones (EI) are counted in the summary
    ]
    assert messages == []


def test_a_prebuilt_image_used_in_another_stack_gets_that_stacks_own_mapping() -> None:
    """A registry version in stack B registers a model of stack A: B resolves the image against its
    own mapping (only the images B uses), not against a copy aws-cdk-lib makes of A's."""
    app = new_app()
    serving, registry = cdk.Stack(app, "Serving"), cdk.Stack(app, "Registry")
    bucket = s3.Bucket.from_bucket_name(serving, "Artifacts", "artifacts")
    model = Model(serving, "Model", container=ContainerDefinition(
        image=ContainerImage.sagemaker_builtin(Framework.XGBOOST, "1.7-1"),
        model_data=ModelData.from_bucket(bucket, "model.tar.gz"),
    ), role=iam.Role(serving, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com")))
    group = ModelPackageGroup(registry, "Group", model_package_group_name="churn")
    ModelPackageVersion(registry, "Version", group=group, containers=model.containers,
                        supported_content_types=["text/csv"], supported_response_mime_types=["text/csv"])
    mappings = Template.from_stack(registry).to_json()["Mappings"]
    assert list(mappings) == ["SageMakerImageXgboost1p7r1"]
    assert mappings["SageMakerImageXgboost1p7r1"]["eu-west-1"] == {"Account": "141502667606"}
    (package,) = Template.from_stack(registry).find_resources("AWS::SageMaker::ModelPackage").values()
    image = package["Properties"]["InferenceSpecification"]["Containers"][0]["Image"]
    assert image["Fn::Join"][1][0] == {
        "Fn::FindInMap": ["SageMakerImageXgboost1p7r1", {"Ref": "AWS::Region"}, "Account"]}
    assert not [m for s in app.synth().stacks for m in s.messages if m.level == SynthesisMessageLevel.INFO]


def test_a_container_spec_names_its_image_as_each_stack_should() -> None:
    """In the model's stack ``image_uri_in`` is the bound URI; in another stack a prebuilt image looks
    its account up in that stack's own mapping, and an ECR image is the bound URI (aws-cdk-lib makes
    the reference valid there)."""
    app = new_app()
    serving, registry = cdk.Stack(app, "Serving"), cdk.Stack(app, "Registry")
    bucket = s3.Bucket.from_bucket_name(serving, "Artifacts", "artifacts")
    builtin_model = Model(serving, "Builtin", container=ContainerDefinition(
        image=ContainerImage.sagemaker_builtin(Framework.XGBOOST, "1.7-1"),
        model_data=ModelData.from_bucket(bucket, "model.tar.gz")))
    ecr_model = build_model(serving, "Ecr")
    (builtin,), (ecr_image,) = builtin_model.containers, ecr_model.containers
    assert builtin.image_uri_in(builtin_model) == builtin.image_uri
    assert ecr_image.image_uri_in(registry) == ecr_image.image_uri
    assert registry.resolve(builtin.image_uri_in(registry))["Fn::Join"][1][0] == {
        "Fn::FindInMap": ["SageMakerImageXgboost1p7r1", {"Ref": "AWS::Region"}, "Account"]}


def test_the_license_is_an_spdx_string() -> None:
    """setuptools deprecates project.license as a table (refused after 2027-02-18)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0"
