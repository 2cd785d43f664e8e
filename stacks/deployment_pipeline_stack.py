"""DeploymentPipelineStack: CDK Pipelines ships the app from source through staging to production.

Source (a CodeConnections connection or an S3 object) -> ``make synth`` (the compliance gate stops a
bad change) -> the pipeline updates itself -> assets -> ``staging`` (the app's stacks, then a smoke
test through the ``predict`` CLI) -> a manual approval -> ``production``.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any, cast

from aws_cdk import ArnFormat, Aws, DefaultStackSynthesizer, Environment, Stack, Stage, pipelines
from aws_cdk import aws_codebuild as codebuild
from aws_cdk import aws_codepipeline as codepipeline
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from cdk_sagemaker_inference import SharedResources
from cdk_sagemaker_inference._iam import ManagedPolicyRole
from cdk_sagemaker_inference._names import REDEPLOY_SUFFIX
from cdk_sagemaker_inference.approval import DEFAULT_PARAMETER_NAME
from cdk_sagemaker_inference.compliance import acknowledge, acknowledge_wildcard_resource
from constructs import Construct, IConstruct

from .config import AppConfig, PipelineSource
from .inference_stage import InferenceStage

REPO = Path(__file__).resolve().parent.parent
#: What the synth step runs: the README's command, so the compliance gate runs in the pipeline.
SYNTH_COMMAND = "make synth"
#: The CDK CLI version the self-mutation step installs: the one package.json pins for `make synth`.
CDK_CLI_VERSION: str = json.loads((REPO / "package.json").read_text())["devDependencies"]["aws-cdk"]
#: The pipeline variable that carries an approved version's ARN (``DeploymentTrigger.code_pipeline``).
SERVED_VERSION_VARIABLE = DEFAULT_PARAMETER_NAME
#: The step before each stage that decides the served version, and the variable it exports.
SERVED_VERSION_STEP = "ServedVersion"
SERVED_VERSION_EXPORT = "SERVED_MODEL_PACKAGE_ARN"
#: Its value when no approval started the execution: every stage keeps the version it serves.
KEEP_SERVED_VERSION = "keep"
#: The variable (and stack parameter) that redeploys the served version after a silent rollback,
#: and what the ServedVersion step exports for it.
REDEPLOY_VARIABLE = SERVED_VERSION_VARIABLE + REDEPLOY_SUFFIX
REDEPLOY_EXPORT = "SERVED_MODEL_PACKAGE_REDEPLOY"
#: The request the smoke test sends: one row of the example's 30 raw features.
SMOKE_TEST_PAYLOAD = "examples/payload.csv"
#: The labels the example answers with.
LABELS = ("malignant", "benign")
#: What the notifications topic hears about: a person must approve, or a run failed (the smoke
#: test, the gate, a deploy) or succeeded.
NOTIFIED_EVENTS = [
    codepipeline.PipelineNotificationEvents.MANUAL_APPROVAL_NEEDED,
    codepipeline.PipelineNotificationEvents.PIPELINE_EXECUTION_FAILED,
    codepipeline.PipelineNotificationEvents.PIPELINE_EXECUTION_SUCCEEDED,
]
#: CodeBuild's image: Python 3.11+ and make for `make synth`, the AWS CLI for the steps.
BUILD_IMAGE = codebuild.LinuxBuildImage.STANDARD_7_0


def smoke_test_commands(region: str) -> list[str]:
    """Calls the endpoint ``$ENDPOINT_NAME`` in ``region`` as ``$SMOKE_TEST_ROLE_ARN`` with the
    example payload through the ``predict`` CLI, and fails unless every answer has a known label."""
    return [
        # The CLI is the package's CDK-free runtime layer: boto3 is all it needs.
        "pip install --quiet boto3 && pip install --quiet --no-deps .",
        *_assume_role_profile("stage", "SMOKE_TEST_ROLE_ARN", region),
        "AWS_PROFILE=stage python -m cdk_sagemaker_inference predict --endpoint \"$ENDPOINT_NAME\" "
        f"--content-type text/csv --accept application/json < {SMOKE_TEST_PAYLOAD} > answer.json",
        "python -c " + shlex.quote(
            "import json; answer = json.load(open('answer.json')); "
            "labels = [p['label'] for p in answer['predictions']]; "
            # The tuple, not a set: a set's printed order changes with the hash seed, and so would the template.
            f"assert labels and set(labels) <= set({LABELS!r}), answer; print('labels:', labels)"
        ),
    ]


def served_version_commands(region: str) -> list[str]:
    """Sets ``SERVED_MODEL_PACKAGE_ARN``: the pipeline variable when an approval started the run,
    else the value the stage's stack ``$STACK_NAME`` has now (empty before its first deploy), read
    with the stage's CDK deploy role ``$DEPLOY_ROLE_ARN``; and ``SERVED_MODEL_PACKAGE_REDEPLOY`` in
    the same way from ``$REQUESTED_REDEPLOY`` and the stack's redeploy parameter (a run keeps it
    unless a redeploy after a silent rollback started it)."""
    return [
        *_assume_role_profile("stage", "DEPLOY_ROLE_ARN", region),
        _requested_or_current("REQUESTED", SERVED_VERSION_EXPORT, DEFAULT_PARAMETER_NAME),
        _requested_or_current("REQUESTED_REDEPLOY", REDEPLOY_EXPORT, REDEPLOY_VARIABLE),
        'echo "serving: ${SERVED_MODEL_PACKAGE_ARN:-the bundled example} '
        '(redeploy: ${SERVED_MODEL_PACKAGE_REDEPLOY:-none})"',
    ]


def _requested_or_current(requested: str, export: str, parameter: str) -> str:
    """Sets ``$export`` to ``$requested`` unless it is ``keep``, else to ``parameter``'s value in the
    stage's stack (empty when the stack or the parameter does not exist; other errors fail the step).
    The query ends in ``|| ''``: the CLI's text output prints a null (a stack that lists no
    parameters) as "None", which would become the parameter's value."""
    return (
        f'if [ "${requested}" != "{KEEP_SERVED_VERSION}" ]; then {export}="${requested}"; '
        'elif OUT=$(AWS_PROFILE=stage aws cloudformation describe-stacks --stack-name "$STACK_NAME" '
        f"--query \"Stacks[0].Parameters[?ParameterKey=='{parameter}'].ParameterValue | [0] || ''\" "
        f'--output text 2>&1); then {export}="$OUT"; '
        f'elif echo "$OUT" | grep -q "does not exist"; then {export}=""; '
        'else echo "$OUT" >&2; exit 1; fi'
    )


def _assume_role_profile(profile: str, role_variable: str, region: str) -> list[str]:
    """An AWS CLI/boto3 profile that assumes the role in ``$role_variable`` from CodeBuild's credentials."""
    return [
        f'aws configure set profile.{profile}.role_arn "${role_variable}"',
        f"aws configure set profile.{profile}.credential_source EcsContainer",
        f"aws configure set profile.{profile}.region {region}",
    ]


def _role_arn(partition: str, account: str, name: str) -> str:
    return f"arn:{partition}:iam::{account}:role/{name}"


def cdk_deploy_role_arn(partition: str, env: Environment) -> str:
    """The deploy role `cdk bootstrap` creates in ``env`` (CDK Pipelines assumes it to deploy)."""
    qualifier = DefaultStackSynthesizer.DEFAULT_QUALIFIER
    return _role_arn(partition, str(env.account), f"cdk-{qualifier}-deploy-role-{env.account}-{env.region}")


class DeploymentPipelineStack(Stack):
    """A self-mutating CDK pipeline: source, ``make synth``, staging + smoke test, approval, production.

    Artifacts are encrypted with the customer-managed key of this stack's ``SharedResources``
    (its KMS-encrypted, TLS-only, logged bucket is the artifact store); the key policy lets the
    staging and production accounts' deploy roles use it. The V2 pipeline declares the variable
    ``ServedModelPackageArn``; each stage's real-time stack is deployed with that version, or with
    the one it serves already when a code change started the run.

    :param config: the app's configuration: the pipeline's source, the staging and production
        environments (``include_pipeline`` validated them), and what the stages deploy. The
        pipeline itself lives in the stack's ``env`` (``account``/``region``).
    """

    def __init__(self, scope: Construct, id: str, *, config: AppConfig, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        prefix = config.name_prefix
        self.pipeline_name = f"{prefix}-deployment"
        self.shared = SharedResources(self, "Shared")
        self._steps: list[pipelines.CodeBuildStep] = []
        self.variable = codepipeline.Variable(
            variable_name=SERVED_VERSION_VARIABLE, default_value=KEEP_SERVED_VERSION,
            description=f"The model package version ARN to serve; '{KEEP_SERVED_VERSION}': what each stage serves",
        )
        #: Set (by the approval deployer) to redeploy the same version after a silent rollback.
        self.redeploy_variable = codepipeline.Variable(
            variable_name=REDEPLOY_VARIABLE, default_value=KEEP_SERVED_VERSION,
            description=("The endpoint config SageMaker rolled back, to redeploy the same version; "
                         f"'{KEEP_SERVED_VERSION}': what each stage has"),
        )
        self.code_pipeline = codepipeline.Pipeline(
            self, "Pipeline",
            pipeline_name=self.pipeline_name,
            pipeline_type=codepipeline.PipelineType.V2,
            artifact_bucket=self.shared.artifacts_bucket,
            # The replication buckets of other regions' support stacks get keys too.
            cross_account_keys=True,
            enable_key_rotation=True,
            restart_execution_on_update=True,
            variables=[self.variable, self.redeploy_variable],
            role=ManagedPolicyRole(self, "PipelineRole",
                                   assumed_by=iam.ServicePrincipal("codepipeline.amazonaws.com"),
                                   description=f"CodePipeline {self.pipeline_name}"),
        )
        source = self._source(config)
        self.synth = pipelines.CodeBuildStep(
            "Synth",
            input=source,
            commands=[SYNTH_COMMAND],
            primary_output_directory="cdk.out",
            role=self._codebuild_role("SynthRole", "the synth step (make synth)"),
        )
        self.pipeline = pipelines.CodePipeline(
            self, "Deployment",
            code_pipeline=self.code_pipeline,
            synth=self.synth,
            self_mutation=True,
            cli_version=CDK_CLI_VERSION,
            publish_assets_in_parallel=False,
            code_build_defaults=pipelines.CodeBuildOptions(
                build_environment=codebuild.BuildEnvironment(build_image=BUILD_IMAGE)),
        )
        smoke_test_role_name = f"{prefix}-pipeline-smoke-test"
        smoke_test_role_arn = _role_arn(Aws.PARTITION, str(config.account), smoke_test_role_name)
        pipeline_name = self.pipeline_name if config.pipeline_model_approvals else None

        self.staging = InferenceStage(
            self, "staging", config=config, smoke_test_role_arn=smoke_test_role_arn,
            env=Environment(account=config.staging_account, region=config.staging_region),
            # With approvals through the pipeline, production's registry is the one registry.
            include_registry=False if config.pipeline_model_approvals else None,
        )
        staging = self.pipeline.add_stage(self.staging, pre=self._served_version_steps(self.staging))
        if self.staging.smoke_test_access is not None:
            access = self.staging.smoke_test_access
            smoke_test_role = self._codebuild_role("SmokeTestRole", "the smoke test", role_name=smoke_test_role_name)
            staging.add_post(self._step(
                "SmokeTest",
                input=source,
                commands=smoke_test_commands(str(config.staging_region)),
                env_from_cfn_outputs={"ENDPOINT_NAME": access.endpoint_name_output,
                                      "SMOKE_TEST_ROLE_ARN": access.role_arn_output},
                role=smoke_test_role,
            ))
            smoke_test_role.add_to_principal_policy(iam.PolicyStatement(
                actions=["sts:AssumeRole"],
                resources=[_role_arn(Aws.PARTITION, str(config.staging_account), access.role_name)],
            ))
        self.production = InferenceStage(
            self, "production", config=config,
            env=Environment(account=config.production_account, region=config.production_region),
            pipeline_name=pipeline_name,
        )
        self.approval = pipelines.ManualApprovalStep(
            "PromoteToProduction",
            comment="Staging passed the smoke test. Approve to deploy the same change to production.",
        )
        self.pipeline.add_stage(self.production,
                                pre=[self.approval, *self._served_version_steps(self.production, self.approval)])
        self.pipeline.build_pipeline()
        self._notify()
        self._pass_served_version(self.staging)
        self._pass_served_version(self.production)
        self._comply()

    def _notify(self) -> None:
        """Failed runs and waiting approvals go to the pipeline stack's (KMS-encrypted) topic."""
        topic = self.shared.notifications_topic
        self.code_pipeline.notify_on("Notifications", topic, events=NOTIFIED_EVENTS)
        # CodeStar Notifications publishes to an encrypted topic only if the key lets it, through SNS.
        self.shared.key.add_to_resource_policy(iam.PolicyStatement(
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            principals=[iam.ServicePrincipal("codestar-notifications.amazonaws.com")],
            resources=["*"],  # "*" in a key policy means this key only.
            conditions={"StringEquals": {"kms:ViaService": f"sns.{self.region}.amazonaws.com"}},
        ))

    def _step(self, id: str, **props: Any) -> pipelines.CodeBuildStep:
        """A CodeBuild step whose project's grants are acknowledged once the pipeline is built."""
        step = pipelines.CodeBuildStep(id, **props)
        self._steps.append(step)
        return step

    def _source(self, config: AppConfig) -> pipelines.CodePipelineSource:
        if config.pipeline_source_kind is PipelineSource.S3:
            bucket = s3.Bucket.from_bucket_name(self, "SourceBucket", str(config.pipeline_source_bucket))
            return pipelines.CodePipelineSource.s3(bucket, config.pipeline_source_key)
        return pipelines.CodePipelineSource.connection(
            str(config.pipeline_repository), config.pipeline_branch,
            connection_arn=str(config.pipeline_connection_arn),
        )

    def _codebuild_role(self, id: str, what: str, role_name: str | None = None) -> iam.Role:
        role = ManagedPolicyRole(self, id, assumed_by=iam.ServicePrincipal("codebuild.amazonaws.com"),
                                 description=f"CodeBuild: {what} of {self.pipeline_name}")
        if role_name is not None:
            # A fixed name: the stages' smoke-test roles trust exactly this principal.
            cast(iam.CfnRole, role.node.default_child).role_name = role_name
        return role

    def _served_version_steps(self, stage: InferenceStage, after: pipelines.Step | None = None) -> list[pipelines.Step]:
        """Before a stage (and after ``after``, so a version approved while the run waited is kept):
        which version its real-time stack is deployed with (see :func:`served_version_commands`).
        None when the stack serves no registry version."""
        realtime = stage.stacks.realtime
        if realtime is None or realtime.served_version is None:
            return []
        env = Environment(account=stage.account, region=stage.region)
        deploy_role = cdk_deploy_role_arn(Aws.PARTITION, env)
        role = self._codebuild_role(f"{stage.stage_name}ServedVersionRole",
                                    f"reading the served version of {stage.stage_name}")
        role.add_to_principal_policy(iam.PolicyStatement(actions=["sts:AssumeRole"], resources=[deploy_role]))
        step = self._step(
            SERVED_VERSION_STEP,
            commands=served_version_commands(str(stage.region)),
            partial_build_spec=codebuild.BuildSpec.from_object(
                {"env": {"exported-variables": [SERVED_VERSION_EXPORT, REDEPLOY_EXPORT]}}),
            env={"REQUESTED": self.variable.reference(), "REQUESTED_REDEPLOY": self.redeploy_variable.reference(),
                 "STACK_NAME": realtime.stack_name, "DEPLOY_ROLE_ARN": deploy_role},
            role=role,
        )
        if after is not None:
            step.add_step_dependency(after)
        stage.served_version_namespace = f"{stage.stage_name}-{SERVED_VERSION_STEP}"
        return [step]

    def _pass_served_version(self, stage: InferenceStage) -> None:
        """Gives the real-time stack's change set the served version as a parameter override, and
        the batch stack's too (it serves what the stage's endpoint serves, and a silent rollback's
        redeploy concerns only the endpoint).

        CDK Pipelines has no parameter overrides, and CodePipeline's CloudFormation action would
        otherwise reset ``ServedModelPackageArn`` to its default (the bundled example) on every run,
        and ``ServedModelPackageArnRedeploy`` to ``""`` (a needless endpoint update after a redeploy).
        CDK Pipelines also names a step's variables only for steps that consume them, so the
        namespace of the ServedVersion action is set here too.
        """
        realtime = stage.stacks.realtime
        namespace = stage.served_version_namespace
        if realtime is None or namespace is None:
            return
        cfn = cast(codepipeline.CfnPipeline, self.code_pipeline.node.default_child)
        overrides = {
            SERVED_VERSION_STEP: ("Namespace", namespace),
            f"{realtime.node.id}.Prepare": ("Configuration.ParameterOverrides", json.dumps(
                {DEFAULT_PARAMETER_NAME: f"#{{{namespace}.{SERVED_VERSION_EXPORT}}}",
                 REDEPLOY_VARIABLE: f"#{{{namespace}.{REDEPLOY_EXPORT}}}"})),
        }
        batch = stage.stacks.batch
        if batch is not None and batch.served_version is not None:
            overrides[f"{batch.node.id}.Prepare"] = ("Configuration.ParameterOverrides", json.dumps(
                {DEFAULT_PARAMETER_NAME: f"#{{{namespace}.{SERVED_VERSION_EXPORT}}}"}))
        stage_index = [s.stage_name for s in self.code_pipeline.stages].index(stage.stage_name)
        actions = [a.action_properties.action_name for a in self.code_pipeline.stages[stage_index].actions]
        for action_name, (path, value) in overrides.items():
            cfn.add_property_override(f"Stages.{stage_index}.Actions.{actions.index(action_name)}.{path}", value)

    # -- compliance ------------------------------------------------------------------------------

    def _comply(self) -> None:
        """Makes the generated parts pass the gate where they can, and acknowledges, on each
        generated construct, what CDK Pipelines and CodePipeline decide themselves."""
        # cfn-lint checks an action's RoleArn as a literal ARN; CDK Pipelines builds the stages' CDK
        # bootstrap role ARNs with Fn::Join over AWS::Partition, which it cannot read (listed in .cfnlintrc.yaml).
        cast(codepipeline.CfnPipeline, self.code_pipeline.node.default_child).add_metadata(
            "cfn-lint", {"config": {"ignore_checks": ["E3703"]}})
        for support in self.code_pipeline.cross_region_support.values():
            _version_and_acknowledge(support)
        for project in (self.synth.project, *(step.project for step in self._steps),
                        self.pipeline.self_mutation_project):
            self._acknowledge_build_logs(project)
        artifacts = self.shared.artifacts_bucket
        for construct in self._own_constructs():
            if isinstance(construct, codebuild.CfnProject):
                acknowledge(construct, ["HIPAA.Security-CodeBuildProjectSourceRepoUrl",
                                        "PCI.DSS.321-CodeBuildProjectSourceRepoUrl"],
                            "The project's source is the pipeline's artifact (type CODEPIPELINE): it connects to "
                            "no repository, so it has no OAuth; the pipeline reaches the repository through "
                            "the CodeConnections connection or S3.")
            if isinstance(construct, (iam.CfnPolicy, iam.CfnManagedPolicy)):
                policy = construct.node.scope
                assert policy is not None
                self._acknowledge_grants(policy, artifacts)
        for role in self._generated_roles():
            acknowledge(role, ["HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy",
                               "PCI.DSS.321-IAMNoInlinePolicy"],
                        "CDK Pipelines creates this role for one of its own actions and writes the grants it "
                        "needs as the role's inline default policy; no other principal uses the policy.")
        acknowledge(self.code_pipeline.role.node.find_child("Policy"),
                    ["AwsSolutions-IAM5[Resource::*]", "CKV_AWS_111"],
                    "CodePipeline's grant on the cross-region replication buckets' keys: a key in another "
                    "region's support stack cannot be referenced here, and each key's policy names its users.")
        acknowledge(self.pipeline.node.find_child("UpdatePipeline").node.find_child("SelfMutation"),
                    ["AwsSolutions-IAM5[Resource::*]", "AwsSolutions-IAM5[Resource::arn:*:iam::"
                     f"{self.account}:role/*]"],
                    "CDK Pipelines' self-mutation: DescribeStacks and ListBucket on '*', and AssumeRole on "
                    "this account's roles only where they carry the aws-cdk:bootstrap-role tag (deploy, "
                    "file- and image-publishing).")
        assets = self.pipeline.node.try_find_child("Assets")  # none when no stack has assets
        if assets is None:
            return
        acknowledge(assets, [
            "AwsSolutions-IAM5[Resource::*]",
            f"AwsSolutions-IAM5[Resource::arn:{self.partition}:logs:{self.region}:{self.account}:"
            "log-group:/aws/codebuild/*]",
            f"AwsSolutions-IAM5[Resource::arn:{self.partition}:codebuild:{self.region}:{self.account}:"
            "report-group/*]",
        ], "CDK Pipelines' one asset-publishing role serves every asset project it creates, so its CodeBuild "
           "log and report grants name all projects of this account and region.")
        acknowledge(assets.node.find_child("FileRole").node.find_child("DefaultPolicy"), ["CKV_AWS_111"],
                    "CDK Pipelines' one asset-publishing role starts and stops the builds of every asset project "
                    "it creates (codebuild:StartBuild on '*'), and writes only to CodeBuild logs and reports.")

    def _generated_roles(self) -> list[IConstruct]:
        """The roles CDK Pipelines and CodePipeline create themselves (with inline policies)."""
        return [c for c in self._own_constructs() if isinstance(c, iam.Role) and not isinstance(c, ManagedPolicyRole)]

    def _own_constructs(self) -> list[IConstruct]:
        """This stack's constructs, without the stages' (their stacks pass the gate on their own)."""
        found: list[IConstruct] = []
        pending: list[IConstruct] = [self]
        while pending:
            construct = pending.pop()
            found.append(construct)
            pending.extend(c for c in construct.node.children if not isinstance(c, Stage))
        return found

    def _acknowledge_grants(self, policy: IConstruct, artifacts: s3.IBucket) -> None:
        """The wildcards of aws-cdk-lib's grants on the artifact store and on CodeBuild's logs."""
        acknowledge(policy, [f"AwsSolutions-IAM5[Action::{action}]" for action in (
            "s3:Abort*", "s3:DeleteObject*", "s3:GetBucket*", "s3:GetObject*", "s3:List*",
            "kms:GenerateDataKey*", "kms:ReEncrypt*")],
            "aws-cdk-lib's read/write grants on the pipeline's artifact bucket and its key: the actions apply "
            "to that one bucket's objects and that one key.")
        acknowledge_wildcard_resource(policy, artifacts.arn_for_objects("*"),
                                      "The artifact store holds only this pipeline's execution artifacts.")
        for support in self.code_pipeline.cross_region_support.values():
            acknowledge_wildcard_resource(policy, support.replication_bucket.arn_for_objects("*"),
                                          "The replication bucket holds only this pipeline's artifacts.")

    def _acknowledge_build_logs(self, project: codebuild.IProject) -> None:
        """aws-cdk-lib's grants to a project's role on the project's own log groups and report groups."""
        name = project.project_name
        reason = "CodeBuild names log streams and reports at run time: the grant covers this project's own only."
        logs = self.format_arn(service="logs", resource="log-group", resource_name=f"/aws/codebuild/{name}",
                               arn_format=ArnFormat.COLON_RESOURCE_NAME)
        assert project.role is not None
        acknowledge_wildcard_resource(project.role, f"{logs}:*", reason)
        acknowledge_wildcard_resource(project.role, self.format_arn(
            service="codebuild", resource="report-group", resource_name=f"{name}-*"), reason)


def _version_and_acknowledge(support: codepipeline.CrossRegionSupport) -> None:
    """CodePipeline's replication bucket in another region: versioned, and what it cannot be."""
    bucket = support.replication_bucket
    cast(s3.CfnBucket, bucket.node.default_child).versioning_configuration = (
        s3.CfnBucket.VersioningConfigurationProperty(status="Enabled"))
    acknowledge(bucket, ["AwsSolutions-S1", "HIPAA.Security-S3BucketLoggingEnabled",
                         "NIST.800.53.R5-S3BucketLoggingEnabled", "PCI.DSS.321-S3BucketLoggingEnabled", "CKV_AWS_18",
                         "HIPAA.Security-S3BucketReplicationEnabled", "NIST.800.53.R5-S3BucketReplicationEnabled",
                         "PCI.DSS.321-S3BucketReplicationEnabled"],
                "CodePipeline's cross-region replication bucket, in its generated support stack: it holds "
                "copies of this pipeline's artifacts for actions in that region, while the originals sit in "
                "the logged artifact store; replicating a replica adds nothing.")
