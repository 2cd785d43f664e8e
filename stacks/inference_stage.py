"""InferenceStage: one environment of the deployment pipeline, with the app's own stacks."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Environment, Stack, Stage
from aws_cdk import aws_iam as iam
from constructs import Construct

from .composition import InferenceStacks, add_inference_stacks
from .config import AppConfig


class SmokeTestAccessStack(Stack):
    """A role the pipeline's smoke test assumes to call this stage's endpoint, and nothing else.

    :param endpoint_name: the endpoint the role may invoke.
    :param role_name: the role's name (fixed: the pipeline's smoke test assumes it by ARN).
    :param smoke_test_role_arn: the pipeline account's smoke-test CodeBuild role, the only principal
        that may assume this role.
    """

    def __init__(self, scope: Construct, id: str, *, endpoint_name: str, role_name: str,
                 smoke_test_role_arn: str, pipeline_account: str, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        self.role_name = role_name
        self.role = iam.Role(
            self, "SmokeTestRole",
            role_name=role_name,
            description=f"The deployment pipeline's smoke test calls endpoint {endpoint_name}",
            assumed_by=iam.AccountPrincipal(pipeline_account).with_conditions(
                {"ArnEquals": {"aws:PrincipalArn": smoke_test_role_arn}}),
        )
        iam.ManagedPolicy(self, "InvokeEndpoint", roles=[self.role], statements=[iam.PolicyStatement(
            actions=["sagemaker:InvokeEndpoint"],
            resources=[self.format_arn(service="sagemaker", resource="endpoint",
                                       resource_name=endpoint_name.lower())],
        )])
        self.endpoint_name_output = CfnOutput(self, "EndpointName", value=endpoint_name,
                                              description="The endpoint the smoke test calls")
        self.role_arn_output = CfnOutput(self, "SmokeTestRoleArn", value=self.role.role_arn,
                                         description="The role the smoke test assumes")


class InferenceStage(Stage):
    """One environment of the pipeline: the app's stacks (the same composition as ``cdk deploy``)
    plus the smoke test's access role.

    :param smoke_test_role_arn: the pipeline's smoke-test role, which may call this stage's
        endpoint. Default: None, no smoke test calls this stage.
    :param pipeline_name: with approvals through the pipeline, the pipeline the registry's
        approvals start. Default: None, approvals update this stage's endpoint stack directly.
    :param include_registry: see :func:`add_inference_stacks`.
    """

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, env: Environment,
                 smoke_test_role_arn: str | None = None, pipeline_name: str | None = None,
                 include_registry: bool | None = None) -> None:
        super().__init__(scope, id, env=env)
        #: The variable namespace of the step that decides the served version of this stage.
        self.served_version_namespace: str | None = None
        self.stacks: InferenceStacks = add_inference_stacks(
            self, config, env, pipeline_name=pipeline_name, include_registry=include_registry)
        self.smoke_test_access: SmokeTestAccessStack | None = None
        if self.stacks.realtime is not None and smoke_test_role_arn is not None:
            self.smoke_test_access = SmokeTestAccessStack(
                self, f"{config.name_prefix}-smoke-test-access", env=env,
                endpoint_name=self.stacks.realtime.endpoint.endpoint_name,
                role_name=f"{config.name_prefix}-{id}-smoke-test",
                smoke_test_role_arn=smoke_test_role_arn, pipeline_account=str(config.account),
                description="cdk-sagemaker-inference: the deployment pipeline's smoke-test role",
            )
