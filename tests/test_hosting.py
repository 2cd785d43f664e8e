"""EndpointConfig and Endpoint as resources of their own; models as principals; aws-cdk interop."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template
from cdk_sagemaker_inference import (
    BlueGreenDeployment,
    ContainerDefinition,
    ContainerImage,
    Endpoint,
    EndpointConfig,
    InferenceExecutionMode,
    InferencePipelineModel,
    InstanceType,
    InstanceVariant,
    ManagedPolicyGrant,
    Model,
    RealtimeEndpoint,
    ServerlessVariant,
    ValidationError,
    VariantAutoScaling,
)
from constructs import Construct

from tests.conftest import ModelFactory, build_model, describe_alarms, managed_policy, new_app

ENV = cdk.Environment(account="123456789012", region="us-east-1")


def managed_policies_granting(template: Template, action: str) -> list[dict[str, object]]:
    return [
        policy for policy in template.find_resources("AWS::IAM::ManagedPolicy").values()
        if any(statement["Action"] == action for statement in policy["Properties"]["PolicyDocument"]["Statement"])
    ]


# -- models as principals ----------------------------------------------------------------------------


def test_bucket_grant_read_of_a_model_lands_in_the_models_managed_policy(
    stack: cdk.Stack, model_factory: ModelFactory
) -> None:
    bucket = s3.Bucket(stack, "Features", enforce_ssl=True)
    served = model_factory(stack)
    bucket.grant_read(served)
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::IAM::Policy", 0)
    template.has_resource_properties("AWS::IAM::ManagedPolicy", {
        "PolicyDocument": {"Statement": Match.array_with([Match.object_like({
            "Action": ["s3:GetBucket*", "s3:GetObject*", "s3:List*"],
            "Resource": Match.array_with([{"Fn::GetAtt": [Match.string_like_regexp("^Features"), "Arn"]}]),
        })])},
        "Roles": [{"Ref": Match.string_like_regexp("^ModelRole")}],
    })


def test_a_model_in_a_vpc_is_connectable(stack: cdk.Stack, model_factory: ModelFactory) -> None:
    vpc = ec2.Vpc(stack, "Vpc", max_azs=2)
    served = model_factory(stack, vpc=vpc)
    database = ec2.SecurityGroup(stack, "Database", vpc=vpc)
    database.connections.allow_from(served, ec2.Port.tcp(5432))
    Template.from_stack(stack).has_resource_properties("AWS::EC2::SecurityGroupIngress", {
        "FromPort": 5432,
        "SourceSecurityGroupId": {"Fn::GetAtt": [Match.string_like_regexp("^ModelSecurityGroup"), "GroupId"]},
    })


def test_models_expose_their_arn_and_execution_mode(stack: cdk.Stack, model_factory: ModelFactory) -> None:
    single = model_factory(stack)
    pipeline = InferencePipelineModel(stack, "Pipeline", containers=[
        ContainerDefinition(image=ContainerImage.from_ecr_repository(
            ecr.Repository.from_repository_name(stack, f"R{i}", "r"), tag="1")) for i in range(2)
    ])
    assert single.inference_execution_mode is None
    assert pipeline.inference_execution_mode is InferenceExecutionMode.SERIAL
    assert stack.resolve(single.model_arn) == {"Fn::GetAtt": [Match.string_like_regexp("Model"), "ModelArn"]} or \
        stack.resolve(single.model_arn)["Fn::GetAtt"][1] == "ModelArn"
    imported = Model.from_model_name(stack, "Imported", "churn")
    assert stack.resolve(imported.model_arn)["Fn::Join"][1][-1] == ":model/churn"


# -- EndpointConfig and Endpoint on their own ------------------------------------------------------


def test_endpoint_config_and_endpoint_compose_and_the_endpoint_is_an_aws_sagemaker_iendpoint(
    stack: cdk.Stack,
) -> None:
    config = EndpointConfig(stack, "Config", variants=[InstanceVariant(model=build_model(stack))])
    endpoint = Endpoint(stack, "Endpoint", endpoint_config=config, deployment=None)
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::SageMaker::Endpoint", {
        "EndpointName": endpoint.endpoint_name,
        "EndpointConfigName": {"Fn::GetAtt": [Match.string_like_regexp("^Config"), "EndpointConfigName"]},
        "DeploymentConfig": Match.absent(),
    })
    template.has_resource_properties("AWS::SageMaker::EndpointConfig", {"KmsKeyId": Match.any_value()})


def test_an_endpoint_config_for_inference_components_has_variants_without_a_model(stack: cdk.Stack) -> None:
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    EndpointConfig(stack, "Config", execution_role=role,
                   variants=[InstanceVariant(instance_type=InstanceType.G5_XLARGE, initial_instance_count=2)])
    Template.from_stack(stack).has_resource_properties("AWS::SageMaker::EndpointConfig", {
        "ExecutionRoleArn": {"Fn::GetAtt": [Match.string_like_regexp("^Role"), "Arn"]},
        "ProductionVariants": [{"VariantName": "AllTraffic", "InstanceType": "ml.g5.xlarge",
                                "InitialInstanceCount": 2, "InitialVariantWeight": 1}],
    })


def test_model_less_variants_are_refused_mixed(stack: cdk.Stack) -> None:
    # Without a role given, a model-less config gets a default one (tests/test_inference_component.py).
    mixed = [InstanceVariant(), InstanceVariant(model=build_model(stack), variant_name="B")]
    with pytest.raises(ValidationError, match=r"Config: variants\[\]\.model must be set on every variant or on "
                       r"none \(inference components\)"):
        EndpointConfig(stack, "Config", variants=mixed)


def test_imported_config_and_endpoints(stack: cdk.Stack) -> None:
    config = EndpointConfig.from_endpoint_config_name(stack, "Config", "churn-config")
    with pytest.raises(ValidationError, match=r"deployment\.rollback_alarms must be given for an imported"):
        Endpoint(stack, "Endpoint", endpoint_config=config)
    by_name = Endpoint.from_endpoint_name(stack, "ByName", "Churn")
    by_arn = Endpoint.from_endpoint_arn(stack, "ByArn", "arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn")
    assert by_arn.endpoint_name == "churn"
    role = iam.Role(stack, "Caller", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    by_name.grant_invoke(role)
    (policy,) = managed_policies_granting(Template.from_stack(stack), "sagemaker:InvokeEndpoint")
    resources = stack.resolve(policy["Properties"]["PolicyDocument"]["Statement"][0]["Resource"])  # type: ignore[index]
    # The name as given and lowercased, as SageMaker may spell it in the ARN.
    assert [r["Fn::Join"][1][-1] for r in resources] == [":endpoint/Churn", ":endpoint/churn"]
    assert by_name.variant("Blue").metric_invocations().dimensions == {"EndpointName": "Churn", "VariantName": "Blue"}


def test_variant_handles_carry_metrics_options_and_autoscaling(
    stack: cdk.Stack, model_factory: ModelFactory
) -> None:
    config = EndpointConfig(stack, "Config", variants=[
        InstanceVariant(model=model_factory(stack, "A"), variant_name="Blue"),
        InstanceVariant(model=model_factory(stack, "B"), variant_name="Green"),
    ])
    endpoint = Endpoint(stack, "Endpoint", endpoint_config=config)
    green = endpoint.variant("Green")
    latency = green.metric_model_latency(period=cdk.Duration.minutes(1), statistic="p99", label="p99 latency")
    assert (latency.statistic, latency.period.to_seconds(), latency.label) == ("p99", 60, "p99 latency")
    assert [v.variant_name for v in endpoint.variants] == ["Blue", "Green"]
    green.auto_scale(VariantAutoScaling(max_capacity=3, target_invocations_per_instance=100))
    assert green.scalable_target is not None and endpoint.variant("Blue").scalable_target is None
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::ApplicationAutoScaling::ScalableTarget", {
        "ResourceId": f"endpoint/{endpoint.endpoint_name}/variant/Green", "MaxCapacity": 3})
    template.has_resource_properties("AWS::SageMaker::Endpoint", {"RetainAllVariantProperties": True})
    with pytest.raises(ValidationError, match=r"variant_name must be one of Blue, Green, got 'Red'"):
        endpoint.variant("Red")


# -- what an Endpoint does for the config it runs ----------------------------------------------------

ALARMS = "arn:aws:cloudwatch:us-east-1:123456789012:alarm:"


def resource_of(stack: cdk.Stack, construct: Any) -> dict[str, Any]:
    """The synthesized resource of ``construct`` (a CfnResource, or a construct whose default child is one)."""
    resource = construct if isinstance(construct, cdk.CfnResource) else construct.node.default_child
    rendered: dict[str, Any] = Template.from_stack(stack).to_json()["Resources"][stack.get_logical_id(resource)]
    return rendered


def assert_reads_alarms_before(stack: cdk.Stack, owner: Construct, endpoint: Endpoint, alarms: list[str]) -> None:
    """``owner``'s managed policy (a model's, a role's) allows reading exactly ``alarms``, before ``endpoint``."""
    policy = managed_policy(owner)
    assert describe_alarms(stack, policy) == [{
        "Action": "cloudwatch:DescribeAlarms", "Effect": "Allow", "Resource": [f"{ALARMS}{name}" for name in alarms],
    }]
    assert stack.get_logical_id(policy.node.default_child) in resource_of(stack, endpoint.resource)["DependsOn"]


def test_an_endpoint_lets_its_configs_models_read_its_rollback_alarms_before_it_deploys() -> None:
    stack = cdk.Stack(new_app(), "Hosting", env=ENV)
    model = build_model(stack)
    config = EndpointConfig(stack, "Config", variants=[InstanceVariant(model=model, variant_name="Blue")])
    endpoint = Endpoint(stack, "Endpoint", endpoint_config=config, endpoint_name="churn")
    assert_reads_alarms_before(stack, model, endpoint, ["churn-Blue-5xx", "churn-Blue-latency"])


def test_a_component_hosting_endpoint_lets_the_configs_execution_role_read_its_rollback_alarms() -> None:
    stack = cdk.Stack(new_app(), "Hosting", env=ENV)
    config = EndpointConfig(stack, "Config", variants=[InstanceVariant(instance_type="ml.g5.xlarge")])
    endpoint = Endpoint(stack, "Endpoint", endpoint_config=config, endpoint_name="gpu",
                        deployment=BlueGreenDeployment())
    assert isinstance(config.execution_role, iam.Role)
    assert_reads_alarms_before(stack, config.execution_role, endpoint, ["gpu-AllTraffic-5xx", "gpu-AllTraffic-latency"])


def test_a_model_in_another_stack_reads_the_rollback_alarms_by_name_without_an_export() -> None:
    app = new_app()
    models, endpoints = cdk.Stack(app, "Models", env=ENV), cdk.Stack(app, "Endpoints", env=ENV)
    model = build_model(models)
    config = EndpointConfig(endpoints, "Config", variants=[InstanceVariant(model=model)])
    Endpoint(endpoints, "Endpoint", endpoint_config=config, endpoint_name="apart")
    assert describe_alarms(models, managed_policy(model))[0]["Resource"] == [
        f"{ALARMS}apart-AllTraffic-5xx", f"{ALARMS}apart-AllTraffic-latency"]
    assert "Fn::ImportValue" not in json.dumps(Template.from_stack(models).to_json())


def test_roles_an_endpoint_cannot_know_are_named_in_a_warning_and_granted_by_hand() -> None:
    stack = cdk.Stack(new_app(), "Hosting", env=ENV)
    config = EndpointConfig.from_endpoint_config_name(stack, "Config", "existing-config")
    given = cloudwatch.Alarm.from_alarm_name(stack, "Given", "errors")
    endpoint = Endpoint(stack, "Endpoint", endpoint_config=config, endpoint_name="imported",
                        deployment=BlueGreenDeployment(rollback_alarms=[given]))
    role = iam.Role(stack, "ModelRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    endpoint.grant_read_rollback_alarms(role)
    policy = role.node.find_child("ManagedGrants")
    assert isinstance(policy, iam.ManagedPolicy)
    assert describe_alarms(stack, policy) == [
        {"Action": "cloudwatch:DescribeAlarms", "Effect": "Allow", "Resource": f"{ALARMS}errors"}]
    assert stack.get_logical_id(policy.node.default_child) in resource_of(stack, endpoint.resource)["DependsOn"]
    Annotations.from_stack(stack).has_warning("/Hosting/Endpoint", Match.string_like_regexp(
        r"^The endpoint config is imported, so the execution roles of its models are unknown: grant it with "
        r"grant_read_rollback_alarms\(role\), or SageMaker cannot read the alarms that roll a deployment back"))


def test_an_endpoint_autoscales_the_variants_its_config_declares_with_auto_scaling() -> None:
    stack = cdk.Stack(new_app(), "Hosting", env=ENV)
    scaling = VariantAutoScaling(min_capacity=2, max_capacity=5, target_invocations_per_instance=300)
    config = EndpointConfig(stack, "Config", variants=[
        InstanceVariant(model=build_model(stack, "A"), variant_name="Blue", initial_instance_count=2,
                        auto_scaling=scaling),
        InstanceVariant(model=build_model(stack, "B"), variant_name="Green"),
    ])
    endpoint = Endpoint(stack, "Endpoint", endpoint_config=config, endpoint_name="scaled")
    assert list(endpoint.scalable_targets) == ["Blue"]
    assert endpoint.variant("Blue").scalable_target is endpoint.scalable_targets["Blue"]
    assert endpoint.variant("Green").scalable_target is None
    target = resource_of(stack, endpoint.scalable_targets["Blue"])
    assert target["Properties"] == {
        "MaxCapacity": 5, "MinCapacity": 2, "ResourceId": "endpoint/scaled/variant/Blue",
        "RoleARN": "arn:aws:iam::123456789012:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
                   "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
        "ScalableDimension": "sagemaker:variant:DesiredInstanceCount", "ServiceNamespace": "sagemaker",
    }
    assert target["DependsOn"] == [stack.get_logical_id(endpoint.resource)]
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::ApplicationAutoScaling::ScalingPolicy", {
        "ScalingTargetId": {"Ref": stack.get_logical_id(endpoint.scalable_targets["Blue"].node.default_child)},
        "TargetTrackingScalingPolicyConfiguration": Match.object_like({"TargetValue": 300}),
    })
    template.has_resource_properties("AWS::SageMaker::Endpoint", {"RetainAllVariantProperties": True})
    # Declared once is scaled once.
    with pytest.raises(ValidationError, match=r"^Hosting/Endpoint: variant Blue\.auto_scale must be called once \(a "
                       r"variant declared with auto_scaling is scaled by its endpoint already\), got 'a second call'$"):
        endpoint.variant("Blue").auto_scale(scaling)


def test_an_endpoint_refuses_to_autoscale_a_serverless_variant(stack: cdk.Stack) -> None:
    config = EndpointConfig(stack, "Config",
                            variants=[ServerlessVariant(model=build_model(stack, network_isolation=False))])
    endpoint = Endpoint(stack, "Endpoint", endpoint_config=config)
    with pytest.raises(ValidationError, match=r"^TestStack/Endpoint: variant AllTraffic\.auto_scale must be called on "
                       r"an instance variant \(a serverless variant has no instances to scale; .*\), got 'a "
                       r"serverless variant'$"):
        endpoint.variant().auto_scale(VariantAutoScaling(max_capacity=2, target_invocations_per_instance=10))


# -- aws-cdk interop and grants that pass the gate -----------------------------------------------------


def test_api_gateway_sagemaker_integration_takes_a_realtime_endpoint_without_an_inline_policy() -> None:
    # No gate here: the REST API's own findings (request validation, authorizer) are not this test's.
    stack = cdk.Stack(new_app(), "Api", env=ENV)
    endpoint = RealtimeEndpoint(stack, "Endpoint", variants=[InstanceVariant(model=build_model(stack))],
                                deployment=BlueGreenDeployment())
    integration = apigateway.SagemakerIntegration(endpoint)
    api = apigateway.RestApi(stack, "Api", deploy=False)
    api.root.add_method("POST", integration, authorization_type=apigateway.AuthorizationType.IAM)
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::IAM::Policy", 0)
    (policy,) = managed_policies_granting(template, "sagemaker:InvokeEndpoint")
    assert policy["Properties"]["Roles"] == [{"Ref": Match.string_like_regexp("SagemakerRole")}] or \
        "SagemakerRole" in policy["Properties"]["Roles"][0]["Ref"]  # type: ignore[index]
    template.has_resource_properties("AWS::ApiGateway::Method", {"Integration": Match.object_like({
        "Uri": f"arn:aws:apigateway:us-east-1:runtime.sagemaker:path/endpoints/{endpoint.endpoint_name}/invocations",
    })})


def test_managed_policy_grant_is_public_and_reuses_one_policy_a_role() -> None:
    stack = cdk.Stack(new_app(), "Grants")
    role = iam.Role(stack, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    for arn in ("arn:aws:sqs:us-east-1:123456789012:a", "arn:aws:sqs:us-east-1:123456789012:b"):
        ManagedPolicyGrant.add_to_principal(grantee=role, actions=["sqs:SendMessage"], resource_arns=[arn])
    # A role the app does not own, and may not change, is left alone as aws-cdk would.
    imported = iam.Role.from_role_name(stack, "Imported", "someone-elses", mutable=False)
    ManagedPolicyGrant.add_to_principal(grantee=imported, actions=["sqs:SendMessage"], resource_arns=["*"])
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::IAM::Policy", 0)
    template.resource_count_is("AWS::IAM::ManagedPolicy", 1)
