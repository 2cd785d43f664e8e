"""Model and InferencePipelineModel: template shape, least-privilege role, limits, served packages, gate."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template
from cdk_sagemaker_inference import (
    ContainerDefinition,
    ContainerImage,
    Framework,
    FrameworkEnvironment,
    InferenceExecutionMode,
    InferencePipelineModel,
    Model,
    ModelData,
    ModelPackageGroup,
    ServedModelPackage,
    SharedResources,
    ValidationError,
    apply_compliance_gate,
)

from tests.conftest import new_app

ENV = cdk.Environment(account="123456789012", region="us-east-1")
SKLEARN_URI = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3"
XGBOOST_URI = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"


def xgboost(**kwargs: Any) -> ContainerDefinition:
    return ContainerDefinition(image=ContainerImage.sagemaker_builtin(Framework.XGBOOST, "1.7-1"), **kwargs)


def sklearn(**kwargs: Any) -> ContainerDefinition:
    return ContainerDefinition(
        image=ContainerImage.sagemaker_builtin(Framework.SKLEARN, "1.2-1"),
        environment=FrameworkEnvironment.sklearn(program="inference.py", default_accept="text/csv"),
        **kwargs,
    )


def _only(template: Template, type: str) -> dict[str, Any]:
    (resource,) = template.find_resources(type).values()
    return resource


@pytest.fixture(scope="module")
def single() -> tuple[cdk.Stack, Model, Template]:
    stack = cdk.Stack(new_app(), "Single", env=ENV)
    shared = SharedResources(stack, "Shared")
    model = Model(stack, "Model", container=xgboost(
        model_data=ModelData.from_bucket(shared.artifacts_bucket, "xgb/model.tar.gz")))
    return stack, model, Template.from_stack(stack)


def test_model_renders_one_primary_container_isolated_without_a_name(single):
    stack, model, template = single
    resource = _only(template, "AWS::SageMaker::Model")
    shared = model.node.scope.node.find_child("Shared")
    bucket = stack.get_logical_id(shared.artifacts_bucket.node.default_child)
    role = stack.get_logical_id(model.role.node.default_child)
    policy = stack.get_logical_id(model.node.find_child("Policy").node.default_child)
    assert resource["Properties"] == {
        "PrimaryContainer": {
            "Image": XGBOOST_URI,
            "ModelDataUrl": {"Fn::Join": ["", ["s3://", {"Ref": bucket}, "/xgb/model.tar.gz"]]},
        },
        "EnableNetworkIsolation": True,
        "ExecutionRoleArn": {"Fn::GetAtt": [role, "Arn"]},
    }
    assert resource["DependsOn"] == [policy]  # the role is already ordered by the GetAtt


def test_model_role_trusts_sagemaker_and_has_no_managed_or_inline_policies(single):
    _, _, template = single
    assert _only(template, "AWS::IAM::Role")["Properties"] == {
        "AssumeRolePolicyDocument": {
            "Statement": [{
                "Action": "sts:AssumeRole",
                "Effect": "Allow",
                "Principal": {"Service": "sagemaker.amazonaws.com"},
            }],
            "Version": "2012-10-17",
        },
        "Description": "Execution role of a SageMaker model: its artifacts, images, logs and metrics",
    }
    assert template.find_resources("AWS::IAM::Policy") == {}


def test_model_policy_statements_exactly(single):
    stack, model, template = single
    shared = model.node.scope.node.find_child("Shared")
    bucket = stack.get_logical_id(shared.artifacts_bucket.node.default_child)
    key = stack.get_logical_id(shared.key.node.default_child)
    policy = _only(template, "AWS::IAM::ManagedPolicy")["Properties"]
    assert policy["Roles"] == [{"Ref": stack.get_logical_id(model.role.node.default_child)}]
    assert policy["PolicyDocument"]["Statement"] == [
        {
            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            "Effect": "Allow",
            "Resource": "arn:aws:ecr:us-east-1:683313688378:repository/sagemaker-xgboost",
        },
        {"Action": "ecr:GetAuthorizationToken", "Effect": "Allow", "Resource": "*"},
        {
            "Action": "s3:GetObject",
            "Effect": "Allow",
            "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, "/xgb/model.tar.gz"]]},
        },
        {"Action": "kms:Decrypt", "Effect": "Allow", "Resource": {"Fn::GetAtt": [key, "Arn"]}},
        # No logs: each endpoint that serves the model grants its own log group (test_endpoint_logs.py).
        {
            "Action": "cloudwatch:PutMetricData",
            "Condition": {"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}},
            "Effect": "Allow",
            "Resource": "*",
        },
    ]


def test_model_attributes_for_endpoints_and_registries(single):
    stack, model, _ = single
    resource = stack.get_logical_id(model.node.find_child("Resource"))
    assert stack.resolve(model.model_name) == {"Fn::GetAtt": [resource, "ModelName"]}
    assert model.container_count == 1
    assert model.network_isolation is True
    assert model.in_vpc is False
    assert model.elastic_inference_capable is False
    (spec,) = model.containers
    assert (spec.image_uri, spec.hostname, spec.model_package_arn, dict(spec.environment)) == (
        XGBOOST_URI, None, None, {})
    assert stack.resolve(spec.model_data_url)["Fn::Join"][1][-1] == "/xgb/model.tar.gz"


@pytest.fixture(scope="module")
def pipelines() -> tuple[cdk.Stack, Template]:
    stack = cdk.Stack(new_app(), "Pipelines", env=ENV)
    InferencePipelineModel(stack, "Serial", containers=[sklearn(), xgboost()])
    InferencePipelineModel(stack, "Direct", mode=InferenceExecutionMode.DIRECT,
                           containers=[sklearn(hostname="preprocess"), xgboost(hostname="predict")])
    return stack, Template.from_stack(stack)


def _model_properties(stack: cdk.Stack, template: Template, id: str) -> dict[str, Any]:
    logical_id = stack.get_logical_id(stack.node.find_child(id).node.find_child("Resource"))
    properties: dict[str, Any] = template.to_json()["Resources"][logical_id]["Properties"]
    return properties


def test_pipeline_keeps_container_order_in_serial_mode(pipelines):
    stack, template = pipelines
    properties = _model_properties(stack, template, "Serial")
    assert properties["Containers"] == [
        {"Image": SKLEARN_URI, "Environment": {
            "SAGEMAKER_PROGRAM": "inference.py",
            "SAGEMAKER_SUBMIT_DIRECTORY": "/opt/ml/model/code",
            "SAGEMAKER_CONTAINER_LOG_LEVEL": "20",
            "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv",
        }},
        {"Image": XGBOOST_URI},
    ]
    assert properties["InferenceExecutionConfig"] == {"Mode": "Serial"}
    assert "PrimaryContainer" not in properties


def test_pipeline_direct_mode_names_every_container(pipelines):
    stack, template = pipelines
    properties = _model_properties(stack, template, "Direct")
    assert [c["ContainerHostname"] for c in properties["Containers"]] == ["preprocess", "predict"]
    assert properties["InferenceExecutionConfig"] == {"Mode": "Direct"}


@pytest.mark.parametrize("count", [1, 16])
def test_pipeline_refuses_container_counts_outside_2_to_15(stack, count):
    with pytest.raises(ValidationError, match=rf"TestStack/P: containers must be between 2 and 15 entries "
                                              rf"long, got {count}"):
        InferencePipelineModel(stack, "P", containers=[xgboost()] * count)


@pytest.mark.parametrize(("mode", "hostnames", "message"), [
    (InferenceExecutionMode.DIRECT, ["a", None], r"hostname must be set on every container in Direct mode, "
                                                 r"got \['a', None\]"),
    (InferenceExecutionMode.DIRECT, [None, None], r"hostname must be set on every container in Direct mode"),
    (InferenceExecutionMode.SERIAL, ["a", None], r"hostname must be set on all containers or on none, "
                                                 r"got \['a', None\]"),
    (InferenceExecutionMode.SERIAL, ["a", "a"], r"hostname must be unique across containers, "
                                                r"got \['a', 'a'\]"),
])
def test_pipeline_hostname_rules(stack, mode, hostnames, message):
    with pytest.raises(ValidationError, match=r"TestStack/P: " + message):
        InferencePipelineModel(stack, "P", mode=mode, containers=[xgboost(hostname=h) for h in hostnames])


def test_hostname_pattern():
    message = r"ContainerDefinition: hostname must be 1-63 letters, digits and inner hyphens, got '-bad'"
    with pytest.raises(ValidationError, match=message):
        xgboost(hostname="-bad")


@pytest.mark.parametrize(("environments", "message"), [
    ([{f"K{i}": "v" for i in range(101)}],
     r"containers\[0\].environment must be between 0 and 100 entries long"),
    ([{"1KEY": "v"}], r"containers\[0\].environment key must be letters, digits and '_', not starting with "
                      r"a digit, got '1KEY'"),
    ([{"K" * 1025: "v"}], r"containers\[0\].environment key must be at most 1024 bytes, got '1025 bytes'"),
    ([{}, {"KEY": "é" * 513}], r"containers\[1\].environment \['KEY'\] must be at most 1024 bytes, "
                               r"got '1026 bytes'"),
    ([{f"K{i}": "v" * 1000 for i in range(17)}, {f"K{i}": "v" * 1000 for i in range(17)}],
     r"environment must be at most 32768 bytes across all containers, got '34\d+ bytes'"),
])
def test_environment_limits(stack, environments, message):
    with pytest.raises(ValidationError, match=r"TestStack/P: " + message):
        InferencePipelineModel(stack, "P", containers=[xgboost(environment=e) for e in environments]
                               + [xgboost()] * (2 - len(environments)))


def test_environment_tokens_are_not_measured(stack):
    token = cdk.CfnParameter(stack, "Big", type="String").value_as_string
    Model(stack, "M", container=xgboost(environment={"BIG": token}))


def test_vpc_settings_need_a_vpc(stack):
    with pytest.raises(ValidationError, match=r"TestStack/M: vpc must be set when vpc_subnets or "
                                              r"security_groups are, got None"):
        Model(stack, "M", container=xgboost(),
              vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PUBLIC))
    with pytest.raises(ValidationError, match=r"TestStack/N: vpc must be set to manage network access"):
        _ = Model(stack, "N", container=xgboost()).connections


def test_imported_model_name_checked_and_attributes_unknown(stack):
    imported = Model.from_model_name(stack, "Imported", "churn-model-1")
    assert (imported.model_name, imported.role, imported.container_count, imported.network_isolation,
            imported.in_vpc, imported.elastic_inference_capable) == (
        "churn-model-1", None, None, None, None, False)
    with pytest.raises(ValidationError, match=r"TestStack: model_name must be 1-63 letters, digits and inner "
                                              r"hyphens, got 'churn_model'"):
        Model.from_model_name(stack, "Bad", "churn_model")


def test_model_in_a_vpc(regional_stack):
    vpc = ec2.Vpc(regional_stack, "Vpc", max_azs=2, nat_gateways=0, subnet_configuration=[
        ec2.SubnetConfiguration(name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)])
    model = Model(regional_stack, "M", container=xgboost(), vpc=vpc,
                  vpc_subnets=ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED))
    assert model.in_vpc is True
    (group,) = model.connections.security_groups
    template = Template.from_stack(regional_stack)
    template.has_resource_properties("AWS::EC2::SecurityGroup", {
        "SecurityGroupEgress": [{
            "CidrIp": "0.0.0.0/0", "Description": "HTTPS to AWS service endpoints",
            "FromPort": 443, "IpProtocol": "tcp", "ToPort": 443,
        }],
    })
    properties = _only(template, "AWS::SageMaker::Model")["Properties"]
    assert properties["VpcConfig"] == {
        "SecurityGroupIds": [
            {"Fn::GetAtt": [regional_stack.get_logical_id(group.node.default_child), "GroupId"]}],
        "Subnets": regional_stack.resolve(vpc.select_subnets(
            subnet_type=ec2.SubnetType.PRIVATE_ISOLATED).subnet_ids),
    }
    statements = _only(template, "AWS::IAM::ManagedPolicy")["Properties"]["PolicyDocument"]["Statement"]
    assert statements[0] == {
        "Action": ["ec2:DescribeDhcpOptions", "ec2:DescribeNetworkInterfaces", "ec2:DescribeSecurityGroups",
                   "ec2:DescribeSubnets", "ec2:DescribeVpcs", "ecr:GetAuthorizationToken"],
        "Effect": "Allow",
        "Resource": "*",
    }
    vpc_id = {"Ref": regional_stack.get_logical_id(vpc.node.default_child)}
    assert statements[1]["Condition"] == {"ArnEquals": {"ec2:Vpc": {"Fn::Join": ["", [
        "arn:aws:ec2:us-east-1:123456789012:vpc/", vpc_id]]}}}


#: The served version's container: a redeploy after a silent rollback adds SERVED_VERSION_REDEPLOY.
PACKAGED = {"ModelPackageName": {"Ref": "ServedModelPackageArn"}, "Environment": {"Fn::If": [
    "ServedModelPackageArnRedeployIsSet", {"SERVED_VERSION_REDEPLOY": {"Ref": "ServedModelPackageArnRedeploy"}},
    {"Ref": "AWS::NoValue"}]}}


def _Served(stack: cdk.Stack) -> ServedModelPackage:
    """A served version parameter ("" by default) of an imported group."""
    group = ModelPackageGroup.from_model_package_group_name(stack, "Group", "churn")
    return ServedModelPackage(stack, "Served", group=group)


def _grant(served: ServedModelPackage, model: iam.IGrantable) -> None:
    """What every model that serves versions needs: their artifacts (the synth fails without)."""
    bucket = s3.Bucket.from_bucket_name(served, "Artifacts", "my-artifacts")
    served.grant_serving(model, artifacts_bucket=bucket, prefix="models/")


def test_served_package_replaces_the_declared_containers_when_set(regional_stack):
    served = _Served(regional_stack)
    _grant(served, InferencePipelineModel(regional_stack, "P", served_package=served,
                                          containers=[sklearn(hostname="a"), xgboost(hostname="b")]))
    properties = _only(Template.from_stack(regional_stack), "AWS::SageMaker::Model")["Properties"]
    assert properties["Containers"] == {"Fn::If": [
        "ServedModelPackageArnIsSet",
        [PACKAGED],
        [
            {"Image": SKLEARN_URI, "ContainerHostname": "a",
             "Environment": FrameworkEnvironment.sklearn(program="inference.py", default_accept="text/csv")},
            {"Image": XGBOOST_URI, "ContainerHostname": "b"},
        ],
    ]}
    assert properties["InferenceExecutionConfig"] == {"Fn::If": [
        "ServedModelPackageArnIsSet", {"Ref": "AWS::NoValue"}, {"Mode": "Serial"}]}
    assert "PrimaryContainer" not in properties and "ModelName" not in properties


def test_a_served_package_runs_serially_so_direct_mode_is_refused(stack):
    with pytest.raises(ValidationError, match=r"^TestStack/P: mode must be Serial with served_package \(a registry "
                       r"version's containers run in order, with no hostnames\), got 'Direct'$"):
        InferencePipelineModel(stack, "P", mode="Direct", served_package=_Served(stack),
                               containers=[sklearn(hostname="a"), xgboost(hostname="b")])


def test_a_served_model_whose_role_may_not_read_the_versions_fails_the_synth(stack):
    Model(stack, "M", container=xgboost(), served_package=_Served(stack))
    with pytest.raises(RuntimeError, match=r"\[TestStack/M\] served_package must be granted to the model's role "
                       r"with ServedModelPackage.grant_serving\(model, artifacts_bucket=..., prefix=...\)"):
        Template.from_stack(stack)


def test_a_served_model_may_be_granted_through_its_role(regional_stack):
    """grant_serving takes the model or its role, as its docstring says: either satisfies the check."""
    served = _Served(regional_stack)
    model = Model(regional_stack, "M", container=xgboost(), served_package=served)
    _grant(served, model.role)
    Template.from_stack(regional_stack).resource_count_is("AWS::SageMaker::Model", 1)


def test_a_served_model_with_a_role_of_its_own_is_not_checked(stack):
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    Model(stack, "M", container=xgboost(), served_package=_Served(stack), role=role)
    Template.from_stack(stack).resource_count_is("AWS::SageMaker::Model", 1)


def test_single_model_with_served_package_uses_containers(regional_stack):
    served = _Served(regional_stack)
    _grant(served, Model(regional_stack, "M", container=xgboost(), served_package=served))
    properties = _only(Template.from_stack(regional_stack), "AWS::SageMaker::Model")["Properties"]
    assert properties["Containers"] == {"Fn::If": [
        "ServedModelPackageArnIsSet",
        [PACKAGED],
        [{"Image": XGBOOST_URI}],
    ]}
    assert "InferenceExecutionConfig" not in properties


def test_elastic_inference_only_when_every_image_is_capable(stack):
    ei = ContainerDefinition(image=ContainerImage.sagemaker_builtin(Framework.PYTORCH_EI, "1.5.1"))
    assert Model(stack, "Ei", container=ei).elastic_inference_capable is True
    mixed = InferencePipelineModel(stack, "Mixed", containers=[sklearn(), ei])
    assert mixed.elastic_inference_capable is False
    arn = "arn:aws:sagemaker:us-east-1:123456789012:model-package/g/1"
    package = ContainerDefinition.from_model_package(arn)
    assert Model(stack, "Package", container=package).elastic_inference_capable is False


def test_given_role_gets_the_same_grants(stack):
    role = iam.Role(stack, "Given", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    model = Model(stack, "M", container=xgboost(), role=role)
    assert model.role is role
    Template.from_stack(stack).has_resource_properties("AWS::IAM::ManagedPolicy", {
        "Roles": [{"Ref": stack.get_logical_id(role.node.default_child)}]})


def test_models_pass_the_compliance_gate():
    app = new_app()
    apply_compliance_gate(app)
    stack = cdk.Stack(app, "Gate", env=ENV)
    shared = SharedResources(stack, "Shared")
    data = ModelData.from_bucket(shared.artifacts_bucket, "xgb/model.tar.gz")
    Model(stack, "Model", container=xgboost(model_data=data))
    InferencePipelineModel(stack, "Pipeline", containers=[sklearn(model_data=data), xgboost(model_data=data)])
    vpc = ec2.Vpc.from_vpc_attributes(stack, "Vpc", vpc_id="vpc-0123456789abcdef0",
                                      availability_zones=["us-east-1a"],
                                      private_subnet_ids=["subnet-0123456789abcdef0"],
                                      private_subnet_route_table_ids=["rtb-0123456789abcdef0"])
    Model(stack, "InVpc", container=xgboost(model_data=data), vpc=vpc,
          vpc_subnets=ec2.SubnetSelection(subnets=vpc.private_subnets))
    agnostic = cdk.Stack(app, "Agnostic")
    served = _Served(agnostic)
    _grant(served, Model(agnostic, "Model", container=xgboost(), served_package=served))
    app.synth()  # raises on any unacknowledged finding


def test_a_vpc_config_within_sagemakers_limits_of_5_security_groups_and_16_subnets(stack):
    subnets = [f"subnet-{index:017x}" for index in range(17)]
    vpc = ec2.Vpc.from_vpc_attributes(stack, "Vpc", vpc_id="vpc-0123456789abcdef0", availability_zones=["us-east-1a"],
                                      private_subnet_ids=subnets)
    groups = [ec2.SecurityGroup.from_security_group_id(stack, f"Group{index}", f"sg-{index:017x}")
              for index in range(6)]
    with pytest.raises(ValidationError, match=r"^TestStack/Groups: security_groups must be at most 5 entries "
                                              r"\(SageMaker's VpcConfig\), got '6 entries'$"):
        Model(stack, "Groups", container=xgboost(), vpc=vpc, security_groups=groups,
              vpc_subnets=ec2.SubnetSelection(subnets=vpc.private_subnets[:16]))
    with pytest.raises(ValidationError, match=r"^TestStack/Subnets: vpc_subnets must be between 1 and 16 entries "
                                              r"long, got 17 entries$"):
        Model(stack, "Subnets", container=xgboost(), vpc=vpc, security_groups=groups[:5])
    Model(stack, "Fits", container=xgboost(), vpc=vpc, security_groups=groups[:5],
          vpc_subnets=ec2.SubnetSelection(subnets=vpc.private_subnets[:16]))
