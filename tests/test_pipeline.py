"""DeploymentPipelineStack: stages, steps and their commands, approval, IAM, encryption, the gate."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from cdk_sagemaker_inference.handlers.approval_deployer import index as approval_deployer

from stacks import build_app, cdk_json_context
from stacks.deployment_pipeline_stack import (
    CDK_CLI_VERSION,
    KEEP_SERVED_VERSION,
    REDEPLOY_VARIABLE,
    SMOKE_TEST_PAYLOAD,
    SYNTH_COMMAND,
    smoke_test_commands,
)
from tests.conftest import REPO
from tests.test_app import acknowledgments

PIPELINE_ACCOUNT, STAGING_ACCOUNT, PRODUCTION_ACCOUNT = "111111111111", "222222222222", "333333333333"
CONNECTION = "arn:aws:codeconnections:eu-west-1:111111111111:connection/0123abcd-0123-4567-89ab-0123456789ab"
#: The keys README's "Deploying through CodePipeline" sets (the values are examples).
PIPELINE_CONTEXT: dict[str, Any] = {
    "include_pipeline": True,
    "account": PIPELINE_ACCOUNT, "region": "eu-west-1",
    "staging_account": STAGING_ACCOUNT, "staging_region": "eu-west-1",
    "production_account": PRODUCTION_ACCOUNT, "production_region": "eu-central-1",
    "pipeline_connection_arn": CONNECTION,
    "pipeline_repository": "acme/cdk-sagemaker-inference",
}
README = (REPO / "README.md").read_text()
#: Every acknowledgment on the pipeline stack and CodePipeline's support stack (the stages' stacks
#: are the reference app's, reviewed in acknowledgments.json); `tools/update_acknowledgments.py` writes it.
PIPELINE_ACKNOWLEDGMENTS = Path(__file__).with_name("pipeline_acknowledgments.json")


def pipeline_acknowledgments(app: cdk.App) -> dict[str, dict[str, str]]:
    """The acknowledgments outside the stages: construct path -> rule id -> reason."""
    return {path: rules for path, rules in acknowledgments(app).items()
            if not path.startswith(("inference-pipeline/staging/", "inference-pipeline/production/"))}


def cli_context(context: dict[str, Any]) -> dict[str, str]:
    """``context`` as `cdk synth -c key=value` hands it to app.py: every value a string."""
    return {key: str(value).lower() if isinstance(value, bool) else str(value) for key, value in context.items()}


def pipeline_app(outdir: Path, **context: Any) -> cdk.App:
    """The pipeline app as `make synth` builds it with README's keys (and ``context``) given as `-c`."""
    app = build_app({**cdk_json_context(), **cli_context({**PIPELINE_CONTEXT, **context})}, outdir=str(outdir))
    app.synth()
    return app


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> cdk.App:
    """The pipeline app with the compliance gate, synthesized once for this module."""
    return pipeline_app(tmp_path_factory.mktemp("pipeline.out"))


@pytest.fixture(scope="module")
def template(app: cdk.App) -> Template:
    return Template.from_stack(app.node.find_child("inference-pipeline"))  # type: ignore[arg-type]


def pipeline_properties(template: Template) -> dict[str, Any]:
    (pipeline,) = template.find_resources("AWS::CodePipeline::Pipeline").values()
    properties: dict[str, Any] = pipeline["Properties"]
    return properties


def actions(template: Template, stage: str) -> dict[str, dict[str, Any]]:
    (found,) = [s for s in pipeline_properties(template)["Stages"] if s["Name"] == stage]
    return {action["Name"]: action for action in found["Actions"]}


def buildspec(template: Template, project_ref: dict[str, str]) -> dict[str, Any]:
    project = template.find_resources("AWS::CodeBuild::Project")[project_ref["Ref"]]
    spec: dict[str, Any] = json.loads(project["Properties"]["Source"]["BuildSpec"])
    return spec


def commands(template: Template, stage: str, action: str) -> list[str]:
    spec = buildspec(template, actions(template, stage)[action]["Configuration"]["ProjectName"])
    found: list[str] = spec["phases"]["build"]["commands"]
    return found


def statements(template: Template, role_logical_id_prefix: str) -> list[dict[str, Any]]:
    """Every statement of the managed policies attached to the role whose id starts with the prefix."""
    found = []
    for policy in template.find_resources("AWS::IAM::ManagedPolicy").values():
        roles = policy["Properties"].get("Roles", [])
        if any(r.get("Ref", "").startswith(role_logical_id_prefix) for r in roles):
            found.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return found


def readme_section(title: str) -> str:
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", README, flags=re.DOTALL | re.MULTILINE)
    assert match, f"README has no section {title!r}"
    return match.group(1)


# -- structure ----------------------------------------------------------------------------------


def test_the_app_is_the_pipeline_stack_with_a_staging_and_a_production_stage(app: cdk.App) -> None:
    stacks = [c.node.id for c in app.node.children if isinstance(c, cdk.Stack)]
    assert stacks[0] == "inference-pipeline"
    stages = [c.node.path for c in app.node.find_all() if isinstance(c, cdk.Stage) and c is not app]
    assert stages == ["inference-pipeline/staging", "inference-pipeline/production"]
    staging = app.node.find_child("inference-pipeline").node.find_child("staging")
    assert [s.stack_name for s in staging.node.children if isinstance(s, cdk.Stack)] == [
        "staging-inference-shared", "staging-inference-realtime", "staging-inference-batch",
        "staging-inference-registry", "staging-inference-smoke-test-access",
    ]
    assert (staging.account, staging.region) == (STAGING_ACCOUNT, "eu-west-1")  # type: ignore[attr-defined]


def test_stages_run_source_synth_self_update_assets_staging_production(template: Template) -> None:
    properties = pipeline_properties(template)
    assert [s["Name"] for s in properties["Stages"]] == [
        "Source", "Build", "UpdatePipeline", "Assets", "staging", "production",
    ]
    assert properties["PipelineType"] == "V2"
    assert properties["RestartExecutionOnUpdate"] is True


def test_source_is_the_codeconnections_connection_of_the_config(template: Template) -> None:
    (source,) = actions(template, "Source").values()
    assert source["ActionTypeId"]["Provider"] == "CodeStarSourceConnection"
    assert source["Configuration"] == {
        "ConnectionArn": CONNECTION, "FullRepositoryId": "acme/cdk-sagemaker-inference", "BranchName": "main",
    }


def test_the_synth_step_runs_the_readme_command_and_outputs_cdk_out(template: Template) -> None:
    spec = buildspec(template, actions(template, "Build")["Synth"]["Configuration"]["ProjectName"])
    assert spec["phases"]["build"]["commands"] == [SYNTH_COMMAND]
    assert spec["artifacts"]["base-directory"] == "cdk.out"
    section = readme_section("Deploying through CodePipeline")
    assert f"the synth step runs `{SYNTH_COMMAND}`" in section
    assert f"{SYNTH_COMMAND}   #" in README  # the command of "Two commands"


def test_the_pipeline_updates_itself_with_the_pinned_cdk_cli(template: Template) -> None:
    spec = buildspec(template, actions(template, "UpdatePipeline")["SelfMutate"]["Configuration"]["ProjectName"])
    assert spec["phases"]["install"]["commands"] == [f"npm install -g aws-cdk@{CDK_CLI_VERSION}"]
    assert json.loads((REPO / "package.json").read_text())["devDependencies"]["aws-cdk"] == CDK_CLI_VERSION


def test_staging_deploys_then_smoke_tests_through_the_predict_cli(template: Template) -> None:
    staging = actions(template, "staging")
    smoke = staging["SmokeTest"]
    last_deploy = max(a["RunOrder"] for name, a in staging.items() if name.endswith(".Deploy"))
    assert smoke["RunOrder"] == last_deploy + 1
    variables = {v["name"]: v["value"] for v in json.loads(smoke["Configuration"]["EnvironmentVariables"])}
    assert re.fullmatch(r"#\{inferencepipelinestaginginferencesmoketestaccess\w+\.EndpointName\}",
                        variables["ENDPOINT_NAME"])
    assert re.fullmatch(r"#\{\w+\.SmokeTestRoleArn\}", variables["SMOKE_TEST_ROLE_ARN"])
    assert commands(template, "staging", "SmokeTest") == smoke_test_commands("eu-west-1")
    predict = [c for c in smoke_test_commands("eu-west-1") if " predict " in c]
    assert predict == [
        'AWS_PROFILE=stage python -m cdk_sagemaker_inference predict --endpoint "$ENDPOINT_NAME" '
        f"--content-type text/csv --accept application/json < {SMOKE_TEST_PAYLOAD} > answer.json"
    ]
    assert (REPO / SMOKE_TEST_PAYLOAD).read_text().count(",") == 29  # one row of the 30 raw features


@pytest.mark.parametrize(
    ("answer", "passes"),
    [
        ({"predictions": [{"label": "malignant", "probability": 0.97}]}, True),
        ({"predictions": [{"label": "benign", "probability": 0.02}]}, True),
        ({"predictions": []}, False),
        ({"predictions": [{"label": "maybe", "probability": 0.5}]}, False),
        ({"error": "ModelError"}, False),
    ],
)
def test_the_smoke_test_passes_only_when_a_known_label_comes_back(
    tmp_path: Path, answer: dict[str, Any], passes: bool
) -> None:
    (tmp_path / "answer.json").write_text(json.dumps(answer))
    (check,) = [c for c in smoke_test_commands("eu-west-1") if c.startswith("python -c ")]
    result = subprocess.run(["bash", "-c", check.replace("python ", f"{sys.executable} ", 1)], cwd=tmp_path,
                            capture_output=True, text=True, check=False)
    assert (result.returncode == 0) is passes, result.stderr


def test_the_smoke_test_is_written_alike_whatever_the_hash_seed() -> None:
    """The buildspec is part of the pipeline's template: a different text each synth would update the
    pipeline stack on every self-mutation."""
    code = "from stacks.deployment_pipeline_stack import smoke_test_commands; print(smoke_test_commands('eu-west-1'))"
    written = {subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONHASHSEED": seed},
                              capture_output=True, text=True, check=True, cwd=REPO).stdout
               for seed in ("1", "3")}  # a set of the labels prints in another order under each of these
    assert len(written) == 1


def test_production_waits_for_a_manual_approval_after_staging(template: Template) -> None:
    production = actions(template, "production")
    approval = production["PromoteToProduction"]
    assert approval["ActionTypeId"] == {"Category": "Approval", "Owner": "AWS", "Provider": "Manual", "Version": "1"}
    assert approval["RunOrder"] == 1
    assert min(a["RunOrder"] for name, a in production.items() if name != "PromoteToProduction") == 2
    assert "SmokeTest" not in production


def test_artifacts_are_encrypted_with_the_customer_managed_key(template: Template) -> None:
    stores = {s["Region"]: s["ArtifactStore"] for s in pipeline_properties(template)["ArtifactStores"]}
    home = stores["eu-west-1"]
    assert home["EncryptionKey"]["Type"] == "KMS"
    assert home["EncryptionKey"]["Id"]["Fn::GetAtt"][0].startswith("SharedKey")
    assert home["Location"]["Ref"].startswith("SharedArtifacts")
    # Production's region gets CodePipeline's replication bucket, with its own KMS key.
    assert stores["eu-central-1"]["EncryptionKey"]["Type"] == "KMS"


def test_the_artifact_keys_let_the_stage_accounts_deploy_roles_decrypt(app: cdk.App, template: Template) -> None:
    """Staging (the pipeline's region) reads the artifact store; production (another region) the
    replication bucket of CodePipeline's support stack."""
    support = Template.from_stack(app.node.find_child(f"cross-region-stack-{PIPELINE_ACCOUNT}:eu-central-1"))  # type: ignore[arg-type]
    stages = ((template, STAGING_ACCOUNT, "eu-west-1"), (support, PRODUCTION_ACCOUNT, "eu-central-1"))
    for keys, account, region in stages:
        (key,) = keys.find_resources("AWS::KMS::Key").values()
        assert f":iam::{account}:role/cdk-hnb659fds-deploy-role-{account}-{region}" in json.dumps(
            key["Properties"]["KeyPolicy"])
    (bucket,) = support.find_resources("AWS::S3::Bucket").values()
    assert bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}


def test_approvals_needed_and_run_results_reach_the_encrypted_topic(template: Template) -> None:
    (rule,) = template.find_resources("AWS::CodeStarNotifications::NotificationRule").values()
    assert rule["Properties"]["EventTypeIds"] == [
        "codepipeline-pipeline-manual-approval-needed", "codepipeline-pipeline-pipeline-execution-failed",
        "codepipeline-pipeline-pipeline-execution-succeeded",
    ]
    assert rule["Properties"]["Targets"] == [
        {"TargetAddress": {"Ref": rule["Properties"]["Targets"][0]["TargetAddress"]["Ref"]}, "TargetType": "SNS"}]
    assert rule["Properties"]["Targets"][0]["TargetAddress"]["Ref"].startswith("SharedNotifications")
    (key,) = template.find_resources("AWS::KMS::Key").values()
    assert {
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"], "Effect": "Allow",
        "Principal": {"Service": "codestar-notifications.amazonaws.com"}, "Resource": "*",
        "Condition": {"StringEquals": {"kms:ViaService": "sns.eu-west-1.amazonaws.com"}},
    } in key["Properties"]["KeyPolicy"]["Statement"]


# -- IAM ----------------------------------------------------------------------------------------


def test_the_smoke_test_may_only_assume_the_staging_smoke_test_role(template: Template) -> None:
    template.has_resource_properties("AWS::IAM::Role", {"RoleName": "inference-pipeline-smoke-test"})
    assume = [s for s in statements(template, "SmokeTestRole") if s["Action"] == "sts:AssumeRole"]
    assert assume == [{
        "Action": "sts:AssumeRole", "Effect": "Allow",
        "Resource": {"Fn::Join": ["", [
            "arn:", {"Ref": "AWS::Partition"}, f":iam::{STAGING_ACCOUNT}:role/inference-staging-smoke-test"]]},
    }]


def test_the_stage_smoke_test_role_trusts_only_the_pipeline_smoke_test_and_only_invokes(app: cdk.App) -> None:
    stack = app.node.find_child("inference-pipeline").node.find_child("staging").node.find_child(
        "inference-smoke-test-access")
    access = Template.from_stack(stack)  # type: ignore[arg-type]
    access.has_resource_properties("AWS::IAM::Role", {
        "RoleName": "inference-staging-smoke-test",
        "AssumeRolePolicyDocument": {"Statement": [{
            "Action": "sts:AssumeRole", "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{PIPELINE_ACCOUNT}:root"},
            "Condition": {"ArnEquals": {"aws:PrincipalArn": {"Fn::Join": ["", [
                "arn:", {"Ref": "AWS::Partition"}, f":iam::{PIPELINE_ACCOUNT}:role/inference-pipeline-smoke-test"]]}}},
        }], "Version": "2012-10-17"},
    })
    endpoint_name = app.node.find_child("inference-pipeline").node.find_child("staging").node.find_child(
        "inference-realtime").endpoint.endpoint_name  # type: ignore[attr-defined]
    access.has_resource_properties("AWS::IAM::ManagedPolicy", {"PolicyDocument": {"Statement": [{
        "Action": "sagemaker:InvokeEndpoint", "Effect": "Allow",
        "Resource": f"arn:aws:sagemaker:eu-west-1:{STAGING_ACCOUNT}:endpoint/{endpoint_name.lower()}",
    }], "Version": "2012-10-17"}})
    assert set(access.find_resources("AWS::IAM::Policy")) == set()  # no inline policy


@pytest.mark.parametrize(("stage", "account", "region"), [
    ("staging", STAGING_ACCOUNT, "eu-west-1"), ("production", PRODUCTION_ACCOUNT, "eu-central-1"),
])
def test_the_served_version_step_may_only_assume_its_stage_deploy_role(
    template: Template, stage: str, account: str, region: str
) -> None:
    assume = [s for s in statements(template, f"{stage}ServedVersionRole") if s["Action"] == "sts:AssumeRole"]
    assert assume == [{
        "Action": "sts:AssumeRole", "Effect": "Allow",
        "Resource": {"Fn::Join": ["", [
            "arn:", {"Ref": "AWS::Partition"}, f":iam::{account}:role/cdk-hnb659fds-deploy-role-{account}-{region}"]]},
    }]


def test_the_synth_step_reaches_no_other_account(template: Template) -> None:
    """The synth runs the repository's code: it may read and write artifacts and logs, nothing else."""
    actions_granted = {a for s in statements(template, "SynthRole") for a in (
        s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
    assert {a.split(":")[0] for a in actions_granted} == {"s3", "kms", "logs", "codebuild"}
    assert not any(a.startswith(("sts:", "iam:", "cloudformation:")) for a in actions_granted)


def test_codebuild_roles_keep_their_grants_in_managed_policies(template: Template) -> None:
    roles = template.find_resources("AWS::CodeBuild::Project")
    ours = [p for p in roles.values()
            if not re.search("SelfMutation|AssetsFileRole", json.dumps(p["Properties"]["ServiceRole"]))]
    assert len(ours) == 4  # synth, two served-version steps, smoke test
    inline_roles = json.dumps([p["Properties"]["Roles"] for p in template.find_resources("AWS::IAM::Policy").values()])
    for project in ours:
        assert project["Properties"]["ServiceRole"]["Fn::GetAtt"][0] not in inline_roles


# -- the served version travels ---------------------------------------------------------------


def test_the_pipeline_declares_the_served_version_variable(template: Template) -> None:
    assert pipeline_properties(template)["Variables"] == [{
        "Name": "ServedModelPackageArn", "DefaultValue": "keep",
        "Description": "The model package version ARN to serve; 'keep': what each stage serves",
    }, {
        # The approval deployer sets it to redeploy a version SageMaker rolled back (issue 7 item 8).
        "Name": "ServedModelPackageArnRedeploy", "DefaultValue": "keep",
        "Description": "The endpoint config SageMaker rolled back, to redeploy the same version; "
        "'keep': what each stage has",
    }]


@pytest.mark.parametrize("stage", ["staging", "production"])
def test_each_stage_deploys_the_realtime_stack_with_the_decided_version(template: Template, stage: str) -> None:
    stage_actions = actions(template, stage)
    decide = stage_actions["ServedVersion"]
    assert decide["Namespace"] == f"{stage}-ServedVersion"
    assert json.loads(decide["Configuration"]["EnvironmentVariables"]) == [
        {"name": "REQUESTED", "type": "PLAINTEXT", "value": "#{variables.ServedModelPackageArn}"},
        {"name": "REQUESTED_REDEPLOY", "type": "PLAINTEXT", "value": "#{variables.ServedModelPackageArnRedeploy}"}]
    prepare = stage_actions["inference-realtime.Prepare"]
    assert json.loads(prepare["Configuration"]["ParameterOverrides"]) == {
        "ServedModelPackageArn": f"#{{{stage}-ServedVersion.SERVED_MODEL_PACKAGE_ARN}}",
        "ServedModelPackageArnRedeploy": f"#{{{stage}-ServedVersion.SERVED_MODEL_PACKAGE_REDEPLOY}}"}
    assert decide["RunOrder"] < prepare["RunOrder"]
    spec = buildspec(template, decide["Configuration"]["ProjectName"])
    assert spec["env"]["exported-variables"] == ["SERVED_MODEL_PACKAGE_ARN", "SERVED_MODEL_PACKAGE_REDEPLOY"]
    # The batch stack serves the same version (a pipeline run would otherwise reset it to the example).
    batch = stage_actions["inference-batch.Prepare"]
    assert json.loads(batch["Configuration"]["ParameterOverrides"]) == {
        "ServedModelPackageArn": f"#{{{stage}-ServedVersion.SERVED_MODEL_PACKAGE_ARN}}"}
    assert decide["RunOrder"] < batch["RunOrder"]
    served = ("inference-realtime.Prepare", "inference-batch.Prepare")
    others = [a for n, a in stage_actions.items() if n.endswith(".Prepare") and n not in served]
    assert others and all("ParameterOverrides" not in a["Configuration"] for a in others)


def fake_aws(tmp_path: Path, describe: str, status: int) -> dict[str, str]:
    """A PATH whose `aws` accepts `configure set` and answers describe-stacks with ``describe``."""
    script = tmp_path / "aws"
    script.write_text(
        "#!/bin/bash\n"
        'if [ "$1" = configure ]; then exit 0; fi\n'
        f"echo {json.dumps(describe)}\nexit {status}\n"
    )
    script.chmod(0o755)
    return {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}


ARN = f"arn:aws:sagemaker:eu-west-1:{STAGING_ACCOUNT}:model-package/inference-breast-cancer/3"


@pytest.mark.parametrize(
    ("requested", "describe", "status", "served"),
    [
        (ARN, "not called", 0, ARN),                                         # an approval (or a redeploy) names it
        ("keep", ARN, 0, ARN),                                               # any other run keeps the stack's value
        ("keep", "", 0, ""),                                                 # the bundled example / never redeployed
        ("keep", "An error occurred (ValidationError): Stack with id x does not exist", 254, ""),  # first deploy
    ],
)
@pytest.mark.parametrize("variable", ["SERVED_MODEL_PACKAGE_ARN", "SERVED_MODEL_PACKAGE_REDEPLOY"])
def test_the_served_version_step_keeps_what_is_served_unless_an_approval_names_a_version(
    tmp_path: Path, template: Template, requested: str, describe: str, status: int, served: str, variable: str
) -> None:
    """The version and its redeploy value alike (issue 7 item 8: only a redeploy run changes the
    latter, so no other run updates the endpoint for it); each is read from its own parameter."""
    steps = commands(template, "staging", "ServedVersion")
    script = "\n".join([*steps, f'printf "%s" "${variable}" > out'])
    env = {**fake_aws(tmp_path, describe, status), "REQUESTED": requested, "REQUESTED_REDEPLOY": requested,
           "STACK_NAME": "s", "DEPLOY_ROLE_ARN": "r"}
    subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env, check=True, capture_output=True)
    assert (tmp_path / "out").read_text() == served
    parameter = "ServedModelPackageArnRedeploy" if variable.endswith("REDEPLOY") else "ServedModelPackageArn'"
    assert parameter in next(c for c in steps if f"{variable}=" in c)


@pytest.mark.parametrize(("stack", "value"), [
    ({"Parameters": [{"ParameterKey": "ServedModelPackageArn", "ParameterValue": ARN}]}, ARN),
    ({"Parameters": [{"ParameterKey": "Other", "ParameterValue": "x"}]}, ""),
    ({"Parameters": None}, ""),  # the CLI's text output would print a null as "None"
    ({}, ""),
])
def test_the_served_version_query_reads_the_value_or_nothing(
        template: Template, stack: dict[str, Any], value: str) -> None:
    import jmespath  # boto3's, as the AWS CLI's

    step = next(c for c in commands(template, "staging", "ServedVersion") if "SERVED_MODEL_PACKAGE_ARN=" in c)
    query = re.search(r'--query "([^"]+)"', step)
    assert query is not None
    assert jmespath.search(query[1], {"Stacks": [stack]}) == value


def test_the_served_version_step_fails_rather_than_reset_the_version_on_other_errors(
    tmp_path: Path, template: Template
) -> None:
    script = "\n".join(commands(template, "staging", "ServedVersion"))
    env = {**fake_aws(tmp_path, "An error occurred (AccessDenied)", 254), "REQUESTED": "keep",
           "REQUESTED_REDEPLOY": "keep", "STACK_NAME": "s", "DEPLOY_ROLE_ARN": "r"}
    result = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 1 and "AccessDenied" in result.stderr


# -- the gate ---------------------------------------------------------------------------------


def test_the_gate_passes_on_every_stack_of_the_pipeline_app(app: cdk.App) -> None:
    sys.path.insert(0, str(REPO / "tools"))
    import compliance_gate

    outdir = Path(app.outdir)
    summaries = compliance_gate.stack_summaries(outdir)
    assert {s.name for s in summaries} >= {
        "inference-pipeline", "inference-pipeline/staging/inference-realtime",
        "inference-pipeline/production/inference-registry",
    }
    assert compliance_gate.validation_findings(outdir) == 0  # cfn-lint and checkov: the gate test below
    expected = json.loads(PIPELINE_ACKNOWLEDGMENTS.read_text())
    assert pipeline_acknowledgments(app) == expected
    for rules in expected.values():
        for rule, reason in rules.items():
            assert len(reason) >= 40, f"{rule}: an acknowledgment needs a specific reason, got {reason!r}"


def test_the_make_synth_gate_is_clean_on_every_template_of_the_pipeline_app(app: cdk.App) -> None:
    """The gate `make synth` runs after the CLI (cfn-lint and checkov too), over the pipeline app built
    from `-c` strings. The CLI itself runs in test_app.py's other-checkout synth, on the reference app."""
    gate = subprocess.run([sys.executable, "tools/compliance_gate.py", app.outdir],
                          cwd=REPO, capture_output=True, text=True, check=False)
    assert gate.returncode == 0, gate.stdout
    assert "\ninference-pipeline " in gate.stdout
    assert "inference-pipeline/production/inference-realtime" in gate.stdout
    assert "0 findings; cfn-lint: 0 findings" in gate.stdout
    # checkov too, over every template of the assembly (the stages' and CodePipeline's support stack).
    assert "checkov: 0 findings (" in gate.stdout


# -- README -------------------------------------------------------------------------------------


def test_the_readme_configuration_is_the_one_these_tests_synthesize() -> None:
    (block,) = re.findall(r"```json\n(.*?)```", readme_section("Deploying through CodePipeline"), flags=re.DOTALL)
    assert json.loads(block) == PIPELINE_CONTEXT


def test_the_readme_bootstraps_each_stage_with_trust_for_the_pipeline_account() -> None:
    lines = [line for line in readme_section("Deploying through CodePipeline").splitlines()
             if line.startswith("node_modules/.bin/cdk bootstrap")]
    c = PIPELINE_CONTEXT
    assert lines[0] == f"node_modules/.bin/cdk bootstrap aws://{c['account']}/{c['region']} --no-notices"
    for line, stage in zip(lines[1:], ("staging", "production"), strict=True):
        account, region = c[f"{stage}_account"], c[f"{stage}_region"]
        assert line == (
            f"node_modules/.bin/cdk bootstrap aws://{account}/{region} --no-notices --trust {c['account']} "
            f"--cloudformation-execution-policies arn:aws:iam::{account}:policy/inference-cfn-execution"
        )
    # The pipeline assumes the deploy roles of the default bootstrap qualifier.
    assert "--qualifier" not in README and cdk.DefaultStackSynthesizer.DEFAULT_QUALIFIER == "hnb659fds"


def test_the_readme_names_the_variable_and_its_default_the_pipeline_declares(template: Template) -> None:
    section = readme_section("Deploying through CodePipeline")
    variable, redeploy = pipeline_properties(template)["Variables"]
    assert f"`{redeploy['Name']}` (default `{redeploy['DefaultValue']}`)" in section
    assert f"declares the variable `{variable['Name']}`\n(default `{variable['DefaultValue']}`)" in section
    assert f"`{variable['Name']}=<version ARN>`" in section
    name = pipeline_properties(template)["Name"]
    assert (f"`aws codepipeline start-pipeline-execution --name {name} "
            f"--variables name={variable['Name']},value=<version ARN>`") in section


def test_the_readme_first_deploy_names_the_pipeline_stack(app: cdk.App) -> None:
    section = readme_section("Deploying through CodePipeline")
    (deploy,) = re.findall(r"^node_modules/.bin/cdk deploy (\S+) --no-notices$", section, flags=re.MULTILINE)
    assert deploy == app.node.find_child("inference-pipeline").stack_name  # type: ignore[attr-defined]
    assert f"\n{SYNTH_COMMAND}\nnode_modules/.bin/cdk deploy" in section


# -- model approvals through the pipeline ------------------------------------------------------

ONE_ACCOUNT = {"staging_account": PIPELINE_ACCOUNT, "production_account": PIPELINE_ACCOUNT,
               "production_region": "eu-west-1", "pipeline_model_approvals": True}


@pytest.fixture(scope="module")
def approvals_app(tmp_path_factory: pytest.TempPathFactory) -> cdk.App:
    """Approvals start the pipeline: every stage in the pipeline's account and region (gate applied)."""
    return pipeline_app(tmp_path_factory.mktemp("approvals.out"), **ONE_ACCOUNT)


def stage_stack(app: cdk.App, stage: str, stack: str) -> cdk.Stack:
    found = app.node.find_child("inference-pipeline").node.find_child(stage).node.try_find_child(stack)
    assert isinstance(found, cdk.Stack) or found is None
    return found  # type: ignore[return-value]


def test_an_approval_starts_the_pipeline_with_the_version_in_its_variable(approvals_app: cdk.App) -> None:
    registry = Template.from_stack(stage_stack(approvals_app, "production", "inference-registry"))
    registry.has_resource_properties("AWS::Lambda::Function", {"Environment": {"Variables": {
        "PIPELINE_NAME": "inference-deployment", "VARIABLE_NAME": "ServedModelPackageArn",
        "MODEL_PACKAGE_GROUP_NAME": "inference-breast-cancer",
    }}})
    starts = [s for p in registry.find_resources("AWS::IAM::ManagedPolicy").values()
              for s in p["Properties"]["PolicyDocument"]["Statement"]
              if "codepipeline:StartPipelineExecution" in s["Action"]]
    assert starts == [{
        "Action": ["codepipeline:GetPipelineExecution", "codepipeline:ListPipelineExecutions",
                   "codepipeline:StartPipelineExecution"],
        "Effect": "Allow",
        "Resource": f"arn:aws:codepipeline:eu-west-1:{PIPELINE_ACCOUNT}:inference-deployment",
    }]
    # The monitor watches production's endpoint stack.
    registry.has_resource_properties("AWS::Lambda::Function", {"Environment": {"Variables": {
        "STACK_NAME": "production-inference-realtime"}}})
    pipeline = Template.from_stack(approvals_app.node.find_child("inference-pipeline"))  # type: ignore[arg-type]
    assert pipeline_properties(pipeline)["Name"] == "inference-deployment"
    assert pipeline_properties(pipeline)["Variables"][0]["Name"] == "ServedModelPackageArn"


def test_staging_serves_the_production_registry_without_one_of_its_own(approvals_app: cdk.App) -> None:
    assert stage_stack(approvals_app, "staging", "inference-registry") is None
    realtime = Template.from_stack(stage_stack(approvals_app, "staging", "inference-realtime"))
    pattern = realtime.to_json()["Parameters"]["ServedModelPackageArn"]["AllowedPattern"]
    arn = f"arn:aws:sagemaker:eu-west-1:{PIPELINE_ACCOUNT}:model-package/inference-breast-cancer/7"
    assert re.fullmatch(pattern, arn) and re.fullmatch(pattern, "")


def test_with_approvals_through_the_pipeline_both_stages_take_the_decided_version(approvals_app: cdk.App) -> None:
    template = Template.from_stack(approvals_app.node.find_child("inference-pipeline"))  # type: ignore[arg-type]
    for stage in ("staging", "production"):
        prepare = actions(template, stage)["inference-realtime.Prepare"]
        assert json.loads(prepare["Configuration"]["ParameterOverrides"]) == {
            "ServedModelPackageArn": f"#{{{stage}-ServedVersion.SERVED_MODEL_PACKAGE_ARN}}",
            "ServedModelPackageArnRedeploy": f"#{{{stage}-ServedVersion.SERVED_MODEL_PACKAGE_REDEPLOY}}"}
        batch = actions(template, stage)["inference-batch.Prepare"]
        assert json.loads(batch["Configuration"]["ParameterOverrides"]) == {
            "ServedModelPackageArn": f"#{{{stage}-ServedVersion.SERVED_MODEL_PACKAGE_ARN}}"}


class Executions:
    """A CodePipeline client's two read calls over executions given newest first (status, variable)."""

    def __init__(self, *executions: tuple[str, str]) -> None:
        self._executions = {str(n): e for n, e in enumerate(executions)}

    def list_pipeline_executions(self, pipelineName: str, maxResults: int) -> dict[str, Any]:  # noqa: N803
        return {"pipelineExecutionSummaries": [
            {"pipelineExecutionId": n, "status": status} for n, (status, _) in self._executions.items()]}

    def get_pipeline_execution(self, pipelineName: str, pipelineExecutionId: str) -> dict[str, Any]:  # noqa: N803
        _, value = self._executions[pipelineExecutionId]
        return {"pipelineExecution": {"variables": [{"name": "ServedModelPackageArn", "resolvedValue": value}]}}


@pytest.mark.parametrize(
    ("executions", "served"),
    [
        ((("Succeeded", ARN),), ARN),
        ((("Succeeded", KEEP_SERVED_VERSION), ("Succeeded", ARN)), ARN),    # a code change kept ARN
        ((("InProgress", KEEP_SERVED_VERSION), ("Failed", "other"), ("Succeeded", ARN)), ARN),
        ((("Succeeded", KEEP_SERVED_VERSION),), None),                      # never an approved version
    ],
)
def test_the_approval_deployer_reads_through_runs_a_code_change_started(
    executions: tuple[tuple[str, str], ...], served: str | None
) -> None:
    """The deployer and the pipeline agree on the word for "keep what is served"."""
    assert approval_deployer.KEEP_SERVED_VERSION == KEEP_SERVED_VERSION
    deployer = approval_deployer.PipelineDeployer(Executions(*executions), "p", "ServedModelPackageArn")
    assert deployer.served() == approval_deployer.Served(served)
    # ... and on the name of the variable that redeploys after a silent rollback.
    assert "ServedModelPackageArn" + approval_deployer.REDEPLOY_SUFFIX == REDEPLOY_VARIABLE


# -- an S3 source ---------------------------------------------------------------------------------


def test_an_s3_object_can_be_the_source(tmp_path: Path) -> None:
    app = pipeline_app(tmp_path, pipeline_source="s3", pipeline_source_bucket="acme-source",
                       pipeline_source_key="app/source.zip", include_realtime=False, include_registry=False,
                       include_batch_transform=False)
    template = Template.from_stack(app.node.find_child("inference-pipeline"))  # type: ignore[arg-type]
    (source,) = actions(template, "Source").values()
    assert source["ActionTypeId"]["Provider"] == "S3"
    assert source["Configuration"] == {"S3Bucket": "acme-source", "S3ObjectKey": "app/source.zip"}
    # Without an endpoint there is nothing to smoke-test and no served version to decide.
    assert set(actions(template, "staging")) == {"Prepare", "Deploy"}  # one stack: the shared one
