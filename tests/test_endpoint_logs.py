"""Issue 7 item 11, second half: the execution roles may write the endpoint's own log group, no other.

A model is declared before any endpoint names it, so the log grant belongs to the Endpoint, which
knows its log group: the roles of its config's models (the served-version switch keeps the model's
role) and the config's execution role (inference components) get exactly that group and its streams.
An inference component's containers log to ``/aws/sagemaker/InferenceComponents/<name>``: the
component declares that group the same way and grants it to its model's role and the config's.
"""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template
from cdk_sagemaker_inference import (
    ComputeRequirements,
    Endpoint,
    EndpointConfig,
    InferenceComponent,
    InstanceVariant,
    Model,
    ModelPackageGroup,
    RealtimeEndpoint,
    ServedModelPackage,
)

from .conftest import REPO, build_model, managed_policy, new_app

ACCOUNT = "arn:aws:logs:us-east-1:123456789012"
ACTIONS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]


def log_statement(*endpoint_names: str) -> dict[str, Any]:
    """The one statement an execution role gets for the endpoints ``endpoint_names`` (aws-cdk merges
    statements that differ only in their resources, and sorts those)."""
    groups = [f"{ACCOUNT}:log-group:/aws/sagemaker/Endpoints/{name}" for name in endpoint_names]
    resources = sorted([*groups, *(f"{group}:*" for group in groups)])
    return {"Action": ACTIONS, "Effect": "Allow", "Resource": resources}


def logs_statements(stack: cdk.Stack, policy: iam.ManagedPolicy) -> list[dict[str, Any]]:
    """The statements of ``policy`` (as synthesized) that mention CloudWatch Logs."""
    rendered = Template.from_stack(stack).to_json()["Resources"][stack.get_logical_id(policy.node.default_child)]
    return [s for s in rendered["Properties"]["PolicyDocument"]["Statement"] if "logs:" in json.dumps(s["Action"])]


def endpoint_resource(stack: cdk.Stack, endpoint: Endpoint) -> dict[str, Any]:
    resources = Template.from_stack(stack).to_json()["Resources"]
    return resources[stack.get_logical_id(endpoint.resource)]  # type: ignore[no-any-return]


def test_11_a_models_role_may_write_its_endpoints_log_group_only(regional_stack: cdk.Stack) -> None:
    model = build_model(regional_stack)
    realtime = RealtimeEndpoint(regional_stack, "Realtime", endpoint_name="churn",
                                variants=[InstanceVariant(model=model)])
    # Today's code: the model itself grants /aws/sagemaker/Endpoints/* (any endpoint's logs).
    assert logs_statements(regional_stack, managed_policy(model)) == [log_statement("churn")]
    # SageMaker writes as soon as instances start: the policy is in place before the endpoint.
    policy_id = regional_stack.get_logical_id(managed_policy(model).node.default_child)
    assert policy_id in endpoint_resource(regional_stack, realtime.endpoint)["DependsOn"]


def test_11_a_model_alone_may_write_no_logs(regional_stack: cdk.Stack) -> None:
    model = build_model(regional_stack)
    assert logs_statements(regional_stack, managed_policy(model)) == []


def test_11_each_endpoint_grants_its_own_group_to_each_model_once(regional_stack: cdk.Stack) -> None:
    blue, green = build_model(regional_stack, "Blue"), build_model(regional_stack, "Green")
    RealtimeEndpoint(regional_stack, "Two", endpoint_name="two", deployment=None, variants=[
        InstanceVariant(model=blue, variant_name="Blue"), InstanceVariant(model=green, variant_name="Green"),
        InstanceVariant(model=blue, variant_name="BlueAgain", initial_weight=0)])
    RealtimeEndpoint(regional_stack, "Other", endpoint_name="other", variants=[InstanceVariant(model=blue)])
    assert logs_statements(regional_stack, managed_policy(blue)) == [log_statement("two", "other")]
    assert logs_statements(regional_stack, managed_policy(green)) == [log_statement("two")]


def test_11_the_served_version_switchs_model_keeps_the_grant(regional_stack: cdk.Stack) -> None:
    # The switch replaces the Model with the same role, so the endpoint's grant on that role stays.
    served = ServedModelPackage(regional_stack, "Served",
                                group=ModelPackageGroup(regional_stack, "Group", model_package_group_name="churn"))
    model = build_model(regional_stack, served_package=served)
    served.grant_serving(model, artifacts_bucket=s3.Bucket(regional_stack, "Registry"), prefix="models/")
    RealtimeEndpoint(regional_stack, "Realtime", endpoint_name="served", variants=[InstanceVariant(model=model)])
    assert logs_statements(regional_stack, managed_policy(model)) == [log_statement("served")]


def component_statement(component: InferenceComponent) -> dict[str, Any]:
    group = f"{ACCOUNT}:log-group:/aws/sagemaker/InferenceComponents/{component.inference_component_name}"
    return {"Action": ACTIONS, "Effect": "Allow", "Resource": [group, f"{group}:*"]}


def hosted_component(stack: cdk.Stack, model: Any = None, **props: Any) -> tuple[RealtimeEndpoint, InferenceComponent]:
    realtime = RealtimeEndpoint(stack, "Hosting", endpoint_name="hosting",
                                variants=[InstanceVariant(instance_type="ml.g5.xlarge")])
    component = InferenceComponent(stack, "Component", endpoint=realtime,
                                   model=model or build_model(stack, network_isolation=False),
                                   compute=ComputeRequirements(min_memory_mb=1024, accelerator_devices=1), **props)
    return realtime, component


def test_11_a_component_hosting_endpoint_grants_its_group_to_the_configs_execution_role(
        regional_stack: cdk.Stack) -> None:
    realtime, component = hosted_component(regional_stack)
    role = realtime.endpoint_config.execution_role
    assert role is not None
    policy = role.node.find_child("Policy")
    assert isinstance(policy, iam.ManagedPolicy)
    # The endpoint's group, and the component's (merged into one statement by aws-cdk).
    [statement] = logs_statements(regional_stack, policy)
    assert statement["Resource"] == sorted([*log_statement("hosting")["Resource"],
                                            *component_statement(component)["Resource"]])
    # A component's containers log to its own group, not to the endpoint's.
    assert isinstance(component.model, Model)
    assert logs_statements(regional_stack, managed_policy(component.model)) == [component_statement(component)]


def test_11_a_component_declares_its_log_group_with_the_endpoints_log_key(regional_stack: cdk.Stack) -> None:
    from aws_cdk import aws_logs as logs

    realtime, component = hosted_component(regional_stack, log_retention=logs.RetentionDays.TWO_YEARS)
    template = Template.from_stack(regional_stack)
    key = regional_stack.get_logical_id(realtime.endpoint.log_encryption_key.node.default_child)
    assert component.log_encryption_key is realtime.endpoint.log_encryption_key
    group = regional_stack.get_logical_id(component.log_group.node.default_child)
    assert template.to_json()["Resources"][group] == {
        "Type": "AWS::Logs::LogGroup",
        "Properties": {"LogGroupName": f"/aws/sagemaker/InferenceComponents/{component.inference_component_name}",
                       "RetentionInDays": 731, "KmsKeyId": {"Fn::GetAtt": [key, "Arn"]}},
        "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
    }
    resource = template.to_json()["Resources"][regional_stack.get_logical_id(component.resource)]
    assert group in resource["DependsOn"]


def test_11_a_component_of_an_imported_endpoint_gets_its_own_log_key(regional_stack: cdk.Stack) -> None:
    endpoint = Endpoint.from_endpoint_name(regional_stack, "Existing", "existing")
    component = InferenceComponent(regional_stack, "Component", endpoint=endpoint, model=build_model(regional_stack),
                                   compute=ComputeRequirements(min_memory_mb=1024, accelerator_devices=1))
    assert component.log_encryption_key.node.path == "TestStack/Component/LogsKey"
    assert logs_statements(regional_stack, managed_policy(component.model)) == [  # type: ignore[arg-type]
        component_statement(component)]


def test_11_a_component_of_an_imported_model_says_whose_role_to_grant(regional_stack: cdk.Stack) -> None:
    model = Model.from_model_name(regional_stack, "Existing", "existing-model")
    _, component = hosted_component(regional_stack, model=model)
    Annotations.from_stack(regional_stack).has_warning("/TestStack/Component", Match.string_like_regexp(
        "^Model TestStack/Existing is imported, so its execution role is unknown: grant it with "
        r"grant_write_logs\(role\), or SageMaker cannot write the containers' logs to "
        f"/aws/sagemaker/InferenceComponents/{component.inference_component_name}."))


def test_11_a_given_execution_role_gets_the_grant_in_a_managed_policy(regional_stack: cdk.Stack) -> None:
    role = iam.Role(regional_stack, "Hosting", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    config = EndpointConfig(regional_stack, "Config", variants=[InstanceVariant(instance_type="ml.g5.xlarge")],
                            execution_role=role)
    endpoint = Endpoint(regional_stack, "Endpoint", endpoint_config=config, endpoint_name="given", deployment=None)
    policy = role.node.find_child("ManagedGrants")
    assert isinstance(policy, iam.ManagedPolicy)
    assert logs_statements(regional_stack, policy) == [log_statement("given")]
    assert Template.from_stack(regional_stack).find_resources("AWS::IAM::Policy") == {}
    assert regional_stack.get_logical_id(policy.node.default_child) in endpoint_resource(
        regional_stack, endpoint)["DependsOn"]


def test_11_an_imported_config_grants_nothing_and_says_whose_roles_to_grant(regional_stack: cdk.Stack) -> None:
    config = EndpointConfig.from_endpoint_config_name(regional_stack, "Imported", "existing-config")
    endpoint = Endpoint(regional_stack, "Endpoint", endpoint_config=config, endpoint_name="imported",
                        deployment=None)
    # The owner of the models grants their role explicitly.
    role = iam.Role(regional_stack, "ModelRole", assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"))
    endpoint.grant_write_logs(role)
    policy = role.node.find_child("ManagedGrants")
    assert isinstance(policy, iam.ManagedPolicy)
    assert list(Template.from_stack(regional_stack).find_resources("AWS::IAM::ManagedPolicy")) == [
        regional_stack.get_logical_id(policy.node.default_child)]
    assert logs_statements(regional_stack, policy) == [log_statement("imported")]
    Annotations.from_stack(regional_stack).has_warning("/TestStack/Endpoint", Match.string_like_regexp(
        "^The endpoint config is imported, so the execution roles of its models are unknown: grant it with "
        r"grant_write_logs\(role\), or SageMaker cannot write the containers' logs to "
        "/aws/sagemaker/Endpoints/imported."))


def test_11_an_imported_model_is_named_in_a_warning(regional_stack: cdk.Stack) -> None:
    model = Model.from_model_name(regional_stack, "Existing", "existing-model")
    RealtimeEndpoint(regional_stack, "Realtime", endpoint_name="legacy", deployment=None,
                     variants=[InstanceVariant(model=model)])
    Annotations.from_stack(regional_stack).has_warning("/TestStack/Realtime/Endpoint", Match.string_like_regexp(
        "^Model TestStack/Existing is imported, so its execution role is unknown: grant it with "
        r"grant_write_logs\(role\)"))


def test_11_a_model_in_another_stack_refers_to_no_export() -> None:
    app = new_app()
    env = cdk.Environment(account="123456789012", region="us-east-1")
    models, endpoints = cdk.Stack(app, "Models", env=env), cdk.Stack(app, "Endpoints", env=env)
    model = build_model(models)
    RealtimeEndpoint(endpoints, "Realtime", endpoint_name="apart", variants=[InstanceVariant(model=model)])
    assert logs_statements(models, managed_policy(model)) == [log_statement("apart")]
    assert "Fn::ImportValue" not in json.dumps(Template.from_stack(models).to_json())


def test_11_the_reference_app_acknowledges_no_endpoint_log_prefix() -> None:
    # Each acknowledged log wildcard is the streams of one declared group, never /aws/sagemaker/Endpoints/*.
    reference = json.loads((REPO / "tests" / "acknowledgments.json").read_text())
    findings = [finding for by_construct in reference.values() for finding in by_construct
                if "/aws/sagemaker/Endpoints/" in finding]
    assert findings == [
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:"
        "/aws/sagemaker/Endpoints/inferencerealtime-Endpoint-60B962BB:*]"
    ]
