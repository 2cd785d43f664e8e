"""ContainerImage: prebuilt image URIs per region (pinned and mapped), ECR and asset images, grants."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template
from cdk_sagemaker_inference import ContainerImage, Framework, FrameworkEnvironment, Processor, ValidationError
from cdk_sagemaker_inference.runtime import framework_image

from tests.conftest import new_app

ALGORITHMS = "683313688378.dkr.ecr.us-east-1.amazonaws.com"
DLC = "763104351884.dkr.ecr.us-east-1.amazonaws.com"

BUILTIN = [
    (Framework.XGBOOST, "1.7-1", f"{ALGORITHMS}/sagemaker-xgboost:1.7-1", False),
    (Framework.SKLEARN, "1.2-1", f"{ALGORITHMS}/sagemaker-scikit-learn:1.2-1-cpu-py3", False),
    (Framework.SPARKML_SERVING, "3.3", f"{ALGORITHMS}/sagemaker-sparkml-serving:3.3", False),
    (Framework.PYTORCH, "2.1.0", f"{DLC}/pytorch-inference:2.1.0-cpu-py310", False),
    (Framework.TENSORFLOW, "2.13.0", f"{DLC}/tensorflow-inference:2.13.0-cpu", False),
    (Framework.MXNET, "1.9.0", f"{DLC}/mxnet-inference:1.9.0-cpu-py38", False),
    (Framework.PYTORCH_EI, "1.5.1", f"{DLC}/pytorch-inference-eia:1.5.1-cpu-py3", True),
    (Framework.TENSORFLOW_EI, "2.3.0", f"{DLC}/tensorflow-inference-eia:2.3.0-cpu", True),
    (Framework.MXNET_EI, "1.7.0", f"{DLC}/mxnet-inference-eia:1.7.0-cpu-py3", True),
]


def _role(stack: cdk.Stack, id: str = "Role") -> iam.Role:
    return iam.Role(stack, id, assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))


def _policy_statements(stack: cdk.Stack) -> list[object]:
    policies = Template.from_stack(stack).find_resources("AWS::IAM::ManagedPolicy")
    (policy,) = policies.values()
    statements: list[object] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


@pytest.mark.parametrize(("framework", "version", "uri", "elastic_inference"), BUILTIN)
def test_builtin_image_uri_in_a_pinned_region(regional_stack, framework, version, uri, elastic_inference):
    config = ContainerImage.sagemaker_builtin(framework, version).bind(regional_stack, _role(regional_stack))
    assert config.image_uri == uri
    assert config.elastic_inference_capable is elastic_inference


def _mapping_key(framework: Framework, version: str) -> str:
    return "".join(word.title() for word in framework.value.split("-")) + version.replace(".", "p").replace("-", "r")


@pytest.mark.parametrize(("framework", "version", "uri", "elastic_inference"), BUILTIN)
def test_builtin_image_uri_in_an_agnostic_stack_maps_the_region(stack, framework, version, uri,
                                                                 elastic_inference):
    config = ContainerImage.sagemaker_builtin(framework, version).bind(stack, _role(stack))
    mapping = "SageMakerImage" + _mapping_key(framework, version)
    assert stack.resolve(config.image_uri) == {"Fn::Join": ["", [
        {"Fn::FindInMap": [mapping, {"Ref": "AWS::Region"}, "Account"]},
        ".dkr.ecr.", {"Ref": "AWS::Region"}, ".", {"Ref": "AWS::URLSuffix"},
        uri[uri.index("/"):],
    ]]}
    account = uri.split(".")[0]
    mappings = Template.from_stack(stack).to_json()["Mappings"]
    assert mappings[mapping]["us-east-1"] == {"Account": account}
    assert sorted(mappings[mapping]) == framework_image(framework, version).regions


def test_one_mapping_per_image_per_stack_whatever_the_number_of_bindings(stack):
    role = _role(stack)
    for framework, version in [(Framework.XGBOOST, "1.7-1"), (Framework.SKLEARN, "1.2-1"),
                               (Framework.PYTORCH, "2.1.0"), (Framework.TENSORFLOW, "2.13.0"),
                               (Framework.PYTORCH, "2.1"), (Framework.XGBOOST, "1.7-1")]:
        ContainerImage.sagemaker_builtin(framework, version).bind(stack, role)
    mappings = Template.from_stack(stack).to_json()["Mappings"]
    assert list(mappings) == ["SageMakerImageXgboost1p7r1", "SageMakerImageSklearn1p2r1",
                              "SageMakerImagePytorch2p1p0", "SageMakerImageTensorflow2p13p0"]
    assert {name: entries["us-east-1"] for name, entries in mappings.items()} == {
        "SageMakerImageXgboost1p7r1": {"Account": "683313688378"},
        "SageMakerImageSklearn1p2r1": {"Account": "683313688378"},
        "SageMakerImagePytorch2p1p0": {"Account": "763104351884"},
        "SageMakerImageTensorflow2p13p0": {"Account": "763104351884"},
    }


def test_a_stacks_image_mapping_is_written_whole_when_a_model_binds_the_image(stack):
    """Written when a token was resolved, the entries followed the resolution order, which changed from
    process to process (two syntheses of the reference app listed XGBoost and scikit-learn in either order)."""
    role = _role(stack)
    for framework, version in [(Framework.XGBOOST, "1.7-1"), (Framework.SKLEARN, "1.2-1")]:
        ContainerImage.sagemaker_builtin(framework, version).bind(stack, role)
        mapping = stack.node.try_find_child("SageMakerImage" + _mapping_key(framework, version))
        assert isinstance(mapping, cdk.CfnMapping)  # before any synth
    mappings = Template.from_stack(stack).to_json()["Mappings"]
    assert list(mappings) == ["SageMakerImageXgboost1p7r1", "SageMakerImageSklearn1p2r1"]


def test_elastic_inference_image_maps_only_the_regions_where_that_version_exists(stack):
    """pytorch-eia 1.5.1 is published in 12 regions, 1.3.1 in 21: an agnostic stack must not map
    1.5.1 to a registry in a region where it does not exist (deploying there fails at FindInMap)."""
    role = _role(stack)
    ContainerImage.sagemaker_builtin(Framework.PYTORCH_EI, "1.5.1").bind(stack, role)
    ContainerImage.sagemaker_builtin(Framework.PYTORCH_EI, "1.3").bind(stack, role)
    mappings = Template.from_stack(stack).to_json()["Mappings"]
    with_151 = sorted(mappings["SageMakerImagePytorchEia1p5p1"])
    with_131 = sorted(mappings["SageMakerImagePytorchEia1p3p1"])
    assert len(with_151) == 12 and "eu-west-1" in with_151
    assert "eu-central-1" not in with_151 and "eu-central-1" in with_131
    assert len(with_131) == 21


@pytest.mark.parametrize(("framework", "short", "full", "tag"), [
    (Framework.PYTORCH, "2.1", "2.1.0", "2.1.0-cpu-py310"),
    (Framework.PYTORCH, "2.5", "2.5.1", "2.5.1-cpu-py311"),
    (Framework.TENSORFLOW, "2.14", "2.14.1", "2.14.1-cpu"),
    (Framework.MXNET, "1.9", "1.9.0", "1.9.0-cpu-py38"),
    (Framework.PYTORCH_EI, "1.5", "1.5.1", "1.5.1-cpu-py3"),
    (Framework.TENSORFLOW_EI, "2.3", "2.3.0", "2.3.0-cpu"),
])
def test_short_versions_resolve_to_the_pinned_full_version_as_the_sdk_does(regional_stack, framework, short,
                                                                           full, tag):
    config = ContainerImage.sagemaker_builtin(framework, short).bind(regional_stack, _role(regional_stack))
    assert config.image_uri.endswith(f":{tag}")
    assert framework_image(framework, short).version == full


@pytest.mark.parametrize(("framework", "version", "region"), [
    # sparkml-serving 3.3 is published in ap-northeast-3, 2.4 is not: one list per framework refused 3.3.
    (Framework.SPARKML_SERVING, "3.3", "ap-northeast-3"),
    (Framework.PYTORCH_EI, "1.3.1", "eu-central-1"),
])
def test_a_version_resolves_wherever_that_version_is_published(framework, version, region):
    stack = cdk.Stack(new_app(), "There", env=cdk.Environment(account="123456789012", region=region))
    config = ContainerImage.sagemaker_builtin(framework, version).bind(stack, _role(stack))
    assert f".dkr.ecr.{region}.amazonaws.com/" in config.image_uri


def test_gpu_image_and_china_domain():
    stack = cdk.Stack(new_app(), "China", env=cdk.Environment(account="123456789012", region="cn-north-1"))
    config = ContainerImage.sagemaker_builtin(Framework.PYTORCH, "2.1.0", processor=Processor.GPU).bind(
        stack, _role(stack))
    assert config.image_uri == (
        "727897471807.dkr.ecr.cn-north-1.amazonaws.com.cn/pytorch-inference:2.1.0-gpu-py310")


def test_builtin_grants_pull_on_exactly_that_repository(regional_stack):
    ContainerImage.sagemaker_builtin(Framework.XGBOOST, "1.7-1").bind(regional_stack, _role(regional_stack))
    assert _policy_statements(regional_stack) == [
        {
            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            "Effect": "Allow",
            "Resource": "arn:aws:ecr:us-east-1:683313688378:repository/sagemaker-xgboost",
        },
        {"Action": "ecr:GetAuthorizationToken", "Effect": "Allow", "Resource": "*"},
    ]


def test_unknown_version_lists_the_known_ones():
    with pytest.raises(ValidationError, match=(
        r"ContainerImage.sagemaker_builtin\(Framework.XGBOOST\): version must be one of '1.0-1', '1.2-1', "
        r".*'3.0-5', got '9.9'")):
        ContainerImage.sagemaker_builtin(Framework.XGBOOST, "9.9")


def test_processor_the_image_is_not_built_for():
    with pytest.raises(ValidationError, match=r"processor must be one of 'cpu', got 'gpu'"):
        ContainerImage.sagemaker_builtin(Framework.SKLEARN, "1.2-1", processor=Processor.GPU)


@pytest.mark.parametrize(("framework", "version", "region"), [
    (Framework.XGBOOST, "1.7-1", "xx-nowhere-1"),
    (Framework.PYTORCH_EI, "1.5.1", "eu-west-2"),
    (Framework.PYTORCH_EI, "1.5.1", "eu-central-1"),
    (Framework.SPARKML_SERVING, "2.4", "ap-northeast-3"),
])
def test_region_without_the_image(framework, version, region):
    stack = cdk.Stack(new_app(), "Elsewhere", env=cdk.Environment(account="123456789012", region=region))
    message = rf"Elsewhere: region must be one of .*us-east-1.*, got '{region}'"
    with pytest.raises(ValidationError, match=message):
        ContainerImage.sagemaker_builtin(framework, version).bind(stack, _role(stack))


@pytest.fixture
def repository(regional_stack):
    return ecr.Repository(regional_stack, "Repo", repository_name="inference")


def test_ecr_image_by_tag_grants_pull(regional_stack, repository):
    image = ContainerImage.from_ecr_repository(repository, tag="v1")
    config = image.bind(regional_stack, _role(regional_stack))
    assert regional_stack.resolve(config.image_uri) == regional_stack.resolve(
        repository.repository_uri_for_tag("v1"))
    assert config.elastic_inference_capable is False
    assert _policy_statements(regional_stack) == [
        {
            "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            "Effect": "Allow",
            "Resource": {"Fn::GetAtt": [regional_stack.get_logical_id(repository.node.default_child), "Arn"]},
        },
        {"Action": "ecr:GetAuthorizationToken", "Effect": "Allow", "Resource": "*"},
    ]


def test_ecr_image_by_digest_marked_elastic_inference(regional_stack, repository):
    digest = "sha256:" + "a" * 64
    image = ContainerImage.from_ecr_repository(repository, digest=digest, elastic_inference_capable=True)
    config = image.bind(regional_stack, _role(regional_stack))
    assert regional_stack.resolve(config.image_uri) == regional_stack.resolve(
        repository.repository_uri_for_digest(digest))
    assert config.elastic_inference_capable is True


@pytest.mark.parametrize(("kwargs", "message"), [
    ({}, r"tag or digest must be exactly one of them, got \(None, None\)"),
    ({"tag": "v1", "digest": "sha256:" + "a" * 64}, r"tag or digest must be exactly one of them"),
    ({"tag": "-bad"}, r"tag must be 1 to 128 letters, digits, .*, got '-bad'"),
    ({"digest": "sha256:xyz"}, r"digest must be sha256:<64 lowercase hex digits>, got 'sha256:xyz'"),
])
def test_ecr_image_refuses(repository, kwargs, message):
    with pytest.raises(ValidationError, match=r"ContainerImage.from_ecr_repository: " + message):
        ContainerImage.from_ecr_repository(repository, **kwargs)


def test_asset_image_is_staged_once_and_pullable(regional_stack, tmp_path: Path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    image = ContainerImage.from_asset(str(tmp_path), elastic_inference_capable=True)
    first = image.bind(regional_stack, _role(regional_stack, "One"))
    second = image.bind(regional_stack, _role(regional_stack, "Two"))
    assert first.image_uri == second.image_uri
    assert "container-assets" in str(regional_stack.resolve(first.image_uri))
    assert first.elastic_inference_capable is True
    assembly = regional_stack.node.root.synth()  # stages the folder; never runs docker
    manifest = json.loads((Path(assembly.directory) / "TestStack.assets.json").read_text())
    assert len(manifest["dockerImages"]) == 1
    assert len(Template.from_stack(regional_stack).find_resources("AWS::IAM::ManagedPolicy")) == 2


def test_sklearn_environment():
    assert FrameworkEnvironment.sklearn(program="inference.py", default_accept="text/csv",
                                        log_level=logging.WARNING, region="eu-west-1") == {
        "SAGEMAKER_PROGRAM": "inference.py",
        "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
        "SAGEMAKER_CONTAINER_LOG_LEVEL": "30",
        "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv",
        "SAGEMAKER_REGION": "eu-west-1",
    }


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"program": "my script.py"}, r"program must be a script file name without spaces, got 'my script.py'"),
    ({"program": "inference.py", "log_level": 25}, r"log_level must be one of 10, 20, 30, 40, 50, got 25"),
])
def test_sklearn_environment_refuses(kwargs, message):
    with pytest.raises(ValidationError, match=r"FrameworkEnvironment.sklearn: " + message):
        FrameworkEnvironment.sklearn(**kwargs)


def test_sparkml_environment():
    schema = {"input": [{"name": "x", "type": "double"}], "output": {"name": "features", "type": "double",
                                                                   "struct": "vector"}}
    assert FrameworkEnvironment.sparkml(schema) == {"SAGEMAKER_SPARKML_SCHEMA": (
        '{"input":[{"name":"x","type":"double"}],"output":{"name":"features","type":"double","struct":"vector"}}')}


@pytest.mark.parametrize(("schema", "message"), [
    ({"output": {"name": "y", "type": "double"}}, r"schema\['input'\] must be a non-empty list"),
    ({"input": [{"name": "x", "type": "double"}], "output": {"name": "y"}}, r"schema\['output'\] must be a"),
])
def test_sparkml_environment_refuses(schema, message):
    with pytest.raises(ValidationError, match=r"FrameworkEnvironment.sparkml: " + message):
        FrameworkEnvironment.sparkml(schema)
