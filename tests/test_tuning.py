"""HyperparameterTuning: the exact state machine, every IAM statement each call needs, every refusal."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import botocore.session
import pytest
from aws_cdk import Duration
from aws_cdk import aws_ecr as ecr
from aws_cdk.assertions import Annotations, Match, Template
from cdk_sagemaker_inference import ModelPackageGroup, SharedResources, ValidationError, apply_compliance_gate
from cdk_sagemaker_inference.container_image import ContainerImage
from cdk_sagemaker_inference.instance_type import InstanceType
from cdk_sagemaker_inference.model import ContainerSpec
from cdk_sagemaker_inference.tuning import (
    BestModelRegistration,
    CategoricalRange,
    ContinuousRange,
    HyperparameterTuning,
    IntegerRange,
    ScalingType,
    TrainingAlgorithm,
    TrainingData,
    TuningObjective,
    TuningStrategy,
)

from .conftest import REPO, new_app

FIXTURES = Path(__file__).resolve().parent / "fixtures"
XGBOOST_RANGES = [
    ContinuousRange("eta", 0.01, 0.5, ScalingType.LOGARITHMIC),
    IntegerRange("max_depth", 1, 10),
]
STATIC = {"num_round": "100", "objective": "binary:logistic"}
REGISTRATION = BestModelRegistration(
    group="churn", supported_content_types=["text/csv"], supported_response_mime_types=["text/csv"]
)


def _tuning(stack: cdk.Stack, id: str = "Tuning", **overrides: Any) -> HyperparameterTuning:
    shared = stack.node.try_find_child("Shared") or SharedResources(stack, "Shared")
    assert isinstance(shared, SharedResources)
    props: dict[str, Any] = {
        "algorithm": TrainingAlgorithm.builtin_xgboost(),
        "objective": TuningObjective.maximize("validation:auc"),
        "ranges": XGBOOST_RANGES,
        "static_hyperparameters": STATIC,
        "train": TrainingData(shared.artifacts_bucket, "data/train.csv"),
        "validation": TrainingData(shared.artifacts_bucket, "data/validation.csv"),
        "output_bucket": shared.artifacts_bucket,
        "encryption_key": shared.key,
        "topic": shared.notifications_topic,
        "registration": REGISTRATION,
    }
    props.update(overrides)
    return HyperparameterTuning(stack, id, **props)


@pytest.fixture(scope="module")
def template() -> Template:
    stack = cdk.Stack(new_app(), "TestStack")
    _tuning(stack)
    return Template.from_stack(stack)


def _placeholder(token: dict[str, Any]) -> str:
    """A CloudFormation reference inside the definition string, written as ``${...}``."""
    if "Ref" in token:
        return f"${{{token['Ref']}}}"
    if "Fn::GetAtt" in token:
        resource, attribute = token["Fn::GetAtt"]
        return f"${{{resource}.{attribute}}}"
    if "Fn::Sub" in token:
        return str(token["Fn::Sub"])
    if "Fn::GetStackOutput" in token:
        output = token["Fn::GetStackOutput"]
        return f"${{{output['StackName']}.{output['OutputName']}}}"
    mapping, key, attribute = token["Fn::FindInMap"]
    return f"${{{mapping}:{_placeholder(key)}:{attribute}}}"


def definition(template: Template) -> dict[str, Any]:
    """The state machine's definition, parsed, with references as ``${...}`` placeholders."""
    (machine,) = template.find_resources("AWS::StepFunctions::StateMachine").values()
    parts = machine["Properties"]["DefinitionString"]["Fn::Join"][1]
    parsed: dict[str, Any] = json.loads("".join(p if isinstance(p, str) else _placeholder(p) for p in parts))
    return parsed


def _statements(template: Template, prefix: str) -> list[dict[str, Any]]:
    policies = template.find_resources("AWS::IAM::ManagedPolicy")
    (policy,) = [p for name, p in policies.items() if name.startswith(prefix)]
    statements: list[dict[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _arn(service: str, resource: str) -> dict[str, Any]:
    return {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":{service}:", {"Ref": "AWS::Region"}, ":",
                              {"Ref": "AWS::AccountId"}, f":{resource}"]]}


def _bucket_objects(suffix: str) -> dict[str, Any]:
    return {"Fn::Join": ["", [{"Fn::GetAtt": ["SharedArtifacts5222D996", "Arn"]}, suffix]]}


KEY = {"Fn::GetAtt": ["SharedKey204AD1D7", "Arn"]}
BUCKET = {"Fn::GetAtt": ["SharedArtifacts5222D996", "Arn"]}


# --- the definition -----------------------------------------------------------------------------
def test_definition_is_exactly_the_reviewed_one(template: Template) -> None:
    expected = json.loads((FIXTURES / "tuning_state_machine.json").read_text())
    assert definition(template) == expected


def test_each_execution_names_its_job_prefix_dash_last_uuid_group_kept_in_the_state(template: Template) -> None:
    states = definition(template)["States"]
    assert definition(template)["StartAt"] == "Name"
    assert states["Name"]["Parameters"] == {
        "name.$": "States.Format('tuning-{}', States.ArrayGetItem(States.StringSplit(States.UUID(), '-'), 4))"
    }
    assert states["Name"]["ResultPath"] == "$.tuning"
    assert states["Tune"]["Parameters"]["HyperParameterTuningJobName.$"] == "$.tuning.name"
    # The fifth group of a UUID has 12 hex digits: a 19-character prefix makes 32 characters.
    assert len("p" * 19 + "-" + "0123456789ab") == 32


def test_registration_is_pending_manual_approval_idempotent_with_objective_and_hyperparameters(
    template: Template,
) -> None:
    register = definition(template)["States"]["Register"]["Parameters"]
    assert register["ModelApprovalStatus"] == "PendingManualApproval"
    assert register["ClientToken.$"] == "$.tuning.name"
    assert register["CustomerMetadataProperties.$"] == (
        "States.JsonMerge($.tuning.result.BestTrainingJob.TunedHyperParameters, $.metadata, false)")
    assert register["ModelMetrics"]["ModelQuality"]["Statistics"]["S3Uri.$"] == (
        "States.Format('s3://${SharedArtifacts5222D996}/tuning/{}/best-model-metrics.json', $.tuning.name)")
    states = definition(template)["States"]
    assert states["Metadata"]["Parameters"]["objective_value.$"] == (
        "States.Format('{}', $.report.objective_metric.Value)")
    assert states["WriteMetrics"]["Parameters"]["Key.$"] == (
        "States.Format('tuning/{}/best-model-metrics.json', $.tuning.name)")


def test_every_failure_is_published_then_fails_the_execution(template: Template) -> None:
    states = definition(template)["States"]
    for name in ("Tune", "DescribeBest", "WriteMetrics", "Register"):
        assert states[name]["Catch"] == [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error",
                                          "Next": "NotifyFailure"}]
    assert states["NotifyFailure"]["Next"] == "Failed"
    assert states["HasBest"]["Default"] == "NotifyNoBest"
    assert states["NotifyNoBest"]["Next"] == "NoBest"
    assert states["NoBest"]["Type"] == states["Failed"]["Type"] == "Fail"
    assert states["NotifySuccess"]["End"] is True


def test_instance_types_are_training_types_and_tuned_text_is_free_without_registration(stack: cdk.Stack) -> None:
    _tuning(stack, instance_type="ml.c5n.xlarge", registration=None,
            ranges=[CategoricalRange("eta", ["0.1", "0.2 (fast)"])])
    request = definition(Template.from_stack(stack))["States"]["Tune"]["Parameters"]
    assert request["TrainingJobDefinition"]["ResourceConfig"]["InstanceType"] == "ml.c5n.xlarge"
    assert request["HyperParameterTuningJobConfig"]["ParameterRanges"]["CategoricalParameterRanges"] == [
        {"Name": "eta", "Values": ["0.1", "0.2 (fast)"]}]


def test_without_registration_success_is_only_notified() -> None:
    stack = cdk.Stack(new_app(), "TestStack")
    _tuning(stack, registration=None)
    states = definition(Template.from_stack(stack))["States"]
    assert states["HasBest"]["Choices"][0]["Next"] == "NotifySuccess"
    assert states["NotifySuccess"]["Parameters"]["Message"]["outcome"] == "tuned"
    assert not {"DescribeBest", "WriteMetrics", "Register"} & states.keys()


def test_registration_wraps_the_tuned_model_between_pipeline_containers() -> None:
    stack = cdk.Stack(new_app(), "TestStack")
    before = ContainerSpec("pre:1", "s3://b/pre.tar.gz", {"A": "1"}, None, None, False)
    after = ContainerSpec("post:1", None, {}, None, None, False)
    _tuning(stack, registration=BestModelRegistration(
        group="churn", supported_content_types=["text/csv"], supported_response_mime_types=["application/json"],
        containers_before=[before], containers_after=[after], environment={"SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT":
                                                                          "text/csv"},
        supported_realtime_instance_types=[InstanceType.M5_LARGE]))
    specification = definition(Template.from_stack(stack))["States"]["Register"]["Parameters"][
        "InferenceSpecification"]
    image = ("${SageMakerImageXgboost1p7r1:${AWS::Region}:Account}.dkr.ecr.${AWS::Region}."
             "${AWS::URLSuffix}/sagemaker-xgboost:1.7-1")
    assert specification == {
        "Containers": [
            {"Image": "pre:1", "ModelDataUrl": "s3://b/pre.tar.gz", "Environment": {"A": "1"}},
            {"Image": image, "ModelDataUrl.$": "$.best_model.model_data_url",
             "Environment": {"SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv"}},
            {"Image": "post:1"},
        ],
        "SupportedContentTypes": ["text/csv"],
        "SupportedResponseMIMETypes": ["application/json"],
        "SupportedRealtimeInferenceInstanceTypes": ["ml.m5.large"],
    }


def test_options_render_as_the_api_spells_them() -> None:
    stack = cdk.Stack(new_app(), "TestStack")
    repository = ecr.Repository.from_repository_name(stack, "Repo", "trainer")
    _tuning(
        stack,
        algorithm=TrainingAlgorithm.from_image(ContainerImage.from_ecr_repository(repository, tag="1"),
                                               metric_definitions={"valid:f1": r"f1=([0-9.]+)"}),
        objective=TuningObjective.maximize("valid:f1"),
        ranges=[CategoricalRange("kernel", ["rbf", "linear"]), ContinuousRange("c", 0.5, 0.99,
                                                                               ScalingType.REVERSE_LOGARITHMIC)],
        static_hyperparameters=None, validation=None, strategy=TuningStrategy.RANDOM, max_jobs=50,
        max_parallel_jobs=10, early_stopping=True, instance_type=InstanceType.G5_XLARGE, instance_count=2,
        volume_size_gb=100, max_job_runtime=Duration.minutes(30), output_prefix="hpo/", job_name_prefix="svm",
        network_isolation=False,
    )
    template = Template.from_stack(stack)
    request = definition(template)["States"]["Tune"]["Parameters"]
    assert request["HyperParameterTuningJobConfig"] == {
        "Strategy": "Random",
        "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "valid:f1"},
        "ResourceLimits": {"MaxParallelTrainingJobs": 10, "MaxNumberOfTrainingJobs": 50},
        "ParameterRanges": {
            "CategoricalParameterRanges": [{"Name": "kernel", "Values": ["rbf", "linear"]}],
            "ContinuousParameterRanges": [{"Name": "c", "MinValue": "0.5", "MaxValue": "0.99",
                                           "ScalingType": "ReverseLogarithmic"}],
        },
        "TrainingJobEarlyStoppingType": "Auto",
    }
    job = request["TrainingJobDefinition"]
    assert job["AlgorithmSpecification"]["MetricDefinitions"] == [{"Name": "valid:f1", "Regex": "f1=([0-9.]+)"}]
    # Local NVMe storage: SageMaker refuses a volume key, so none is sent (and a warning says so).
    assert job["ResourceConfig"] == {"InstanceType": "ml.g5.xlarge", "InstanceCount": 2, "VolumeSizeInGB": 100}
    assert job["StoppingCondition"] == {"MaxRuntimeInSeconds": 1800}
    assert job["EnableNetworkIsolation"] is False
    assert [channel["ChannelName"] for channel in job["InputDataConfig"]] == ["train"]
    assert "StaticHyperParameters" not in job
    assert job["OutputDataConfig"]["S3OutputPath"] == "s3://${SharedArtifacts5222D996}/hpo/"
    warnings = Annotations.from_stack(stack).find_warning("/TestStack/Tuning", Match.string_like_regexp(
        "ml.g5.xlarge has local NVMe storage: no VolumeKmsKeyId"))
    assert len(warnings) == 1


def test_grid_renders_no_job_count() -> None:
    stack = cdk.Stack(new_app(), "TestStack")
    _tuning(stack, strategy=TuningStrategy.GRID, max_jobs=None,
            ranges=[CategoricalRange("max_depth", ["3", "6"]), CategoricalRange("eta", ["0.1", "0.3"])])
    limits = definition(Template.from_stack(stack))["States"]["Tune"]["Parameters"][
        "HyperParameterTuningJobConfig"]["ResourceLimits"]
    assert limits == {"MaxParallelTrainingJobs": 2}


# --- the parameters match the SageMaker and S3 APIs ---------------------------------------------
def _check_shape(shape: Any, value: Any, path: str) -> Iterator[str]:
    """Names in ``value`` that ``shape`` (botocore) does not have, and required members missing."""
    if shape.type_name == "structure" and isinstance(value, dict):
        given = {key.removesuffix(".$"): item for key, item in value.items()}
        for key, item in given.items():
            if key not in shape.members:
                yield f"{path}.{key}: unknown"
            elif not isinstance(item, str) or not item.startswith(("$", "States.")):
                yield from _check_shape(shape.members[key], item, f"{path}.{key}")
        for required in shape.required_members:
            if required not in given:
                yield f"{path}.{required}: required"
    elif shape.type_name == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            yield from _check_shape(shape.member, item, f"{path}[{index}]")
    elif shape.type_name == "string" and isinstance(value, str) and shape.enum:
        if value not in shape.enum:
            yield f"{path}: {value!r} not in {shape.enum}"


def _operation(resource: str) -> tuple[str, str]:
    """(service, operation) of a task's resource ARN."""
    match = re.fullmatch(r"arn:\$\{AWS::Partition\}:states:::(?:aws-sdk:)?([a-z0-9]+):([a-zA-Z]+)(\.sync)?",
                         resource)
    assert match, resource
    return match.group(1), match.group(2)[0].upper() + match.group(2)[1:]


def test_every_task_sends_only_parameters_its_api_has(template: Template) -> None:
    session = botocore.session.get_session()
    tasks = {name: s for name, s in definition(template)["States"].items() if s["Type"] == "Task"}
    assert len(tasks) == 7
    for name, state in tasks.items():
        service, operation = _operation(state["Resource"])
        model = session.get_service_model({"sns": "sns", "s3": "s3", "sagemaker": "sagemaker"}[service])
        problems = list(_check_shape(model.operation_model(operation).input_shape, state["Parameters"], name))
        assert problems == []


#: The IAM actions a task's integration calls (Step Functions' documented policies).
_SYNC_ACTIONS = {
    "sagemaker:CreateHyperParameterTuningJob": [
        "sagemaker:CreateHyperParameterTuningJob", "sagemaker:DescribeHyperParameterTuningJob",
        "sagemaker:StopHyperParameterTuningJob", "sagemaker:ListTags",
    ],
}


def test_the_role_allows_every_call_a_task_makes(template: Template) -> None:
    allowed = {action for statement in _statements(template, "TuningRolePolicy")
               for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])}
    for state in definition(template)["States"].values():
        if state["Type"] != "Task":
            continue
        service, operation = _operation(state["Resource"])
        action = f"{service}:{operation}"
        for needed in _SYNC_ACTIONS.get(action, [action]):
            assert needed in allowed, f"{needed} ({state['Resource']}) is not allowed"


# --- IAM, exactly ---------------------------------------------------------------------------------
def test_state_machine_role_policy_is_exactly_what_the_steps_need(template: Template) -> None:
    assert _statements(template, "TuningRolePolicy") == [
        {"Action": ["sagemaker:CreateHyperParameterTuningJob", "sagemaker:DescribeHyperParameterTuningJob",
                    "sagemaker:ListTags", "sagemaker:StopHyperParameterTuningJob"],
         "Effect": "Allow", "Resource": _arn("sagemaker", "hyper-parameter-tuning-job/tuning-*")},
        {"Action": "iam:PassRole", "Condition": {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
         "Effect": "Allow", "Resource": {"Fn::GetAtt": ["TuningTrainingRole2F7BB69C", "Arn"]}},
        {"Action": ["events:DescribeRule", "events:PutRule", "events:PutTargets"], "Effect": "Allow",
         "Resource": _arn("events", "rule/StepFunctionsGetEventsForSageMakerTuningJobsRule")},
        {"Action": "sagemaker:DescribeTrainingJob", "Effect": "Allow",
         "Resource": _arn("sagemaker", "training-job/tuning-*")},
        {"Action": "s3:PutObject", "Effect": "Allow",
         "Resource": _bucket_objects("/tuning/tuning-*/best-model-metrics.json")},
        {"Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"], "Effect": "Allow",
         "Resource": KEY},
        {"Action": "sagemaker:CreateModelPackage",
         "Condition": {"StringEquals": {"sagemaker:ModelApprovalStatus": "PendingManualApproval"}},
         "Effect": "Allow",
         "Resource": [_arn("sagemaker", "model-package-group/churn"), _arn("sagemaker", "model-package/churn/*")]},
        {"Action": "sns:Publish", "Effect": "Allow", "Resource": {"Ref": "SharedNotifications7CEDE7F9"}},
        {"Action": ["logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:DescribeLogGroups",
                    "logs:DescribeResourcePolicies", "logs:GetLogDelivery", "logs:ListLogDeliveries",
                    "logs:PutResourcePolicy", "logs:UpdateLogDelivery", "xray:GetSamplingRules",
                    "xray:GetSamplingTargets", "xray:PutTelemetryRecords", "xray:PutTraceSegments"],
         "Effect": "Allow", "Resource": "*"},
    ]


def test_training_role_policy_reads_the_channels_writes_the_output_and_nothing_else(template: Template) -> None:
    assert _statements(template, "TuningTrainingRolePolicy") == [
        {"Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], "Effect": "Allow",
         "Resource": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":ecr:", {"Ref": "AWS::Region"}, ":",
                                        {"Fn::FindInMap": ["SageMakerImageXgboost1p7r1",
                                                           {"Ref": "AWS::Region"}, "Account"]},
                                        ":repository/sagemaker-xgboost"]]}},
        {"Action": "ecr:GetAuthorizationToken", "Effect": "Allow", "Resource": "*"},
        {"Action": "s3:GetObject", "Effect": "Allow",
         "Resource": [_bucket_objects("/data/train.csv"), _bucket_objects("/data/validation.csv")]},
        {"Action": "s3:ListBucket", "Condition": {"StringLike": {"s3:prefix": ["data/train.csv*"]}},
         "Effect": "Allow", "Resource": BUCKET},
        {"Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"], "Effect": "Allow",
         "Resource": KEY},
        {"Action": "s3:ListBucket", "Condition": {"StringLike": {"s3:prefix": ["data/validation.csv*"]}},
         "Effect": "Allow", "Resource": BUCKET},
        {"Action": "s3:PutObject", "Effect": "Allow", "Resource": _bucket_objects("/tuning/*")},
        {"Action": "kms:CreateGrant", "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
         "Effect": "Allow", "Resource": KEY},
        {"Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
         "Effect": "Allow", "Resource": _arn("logs", "log-group:/aws/sagemaker/TrainingJobs:*")},
        {"Action": "cloudwatch:PutMetricData",
         "Condition": {"StringEquals": {"cloudwatch:namespace": "/aws/sagemaker/TrainingJobs"}},
         "Effect": "Allow", "Resource": "*"},
    ]


def test_roles_trust_only_their_service_and_have_no_inline_policy(template: Template) -> None:
    roles = template.find_resources("AWS::IAM::Role")
    services = sorted(r["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"]
                      for r in roles.values())
    assert services == ["sagemaker.amazonaws.com", "states.amazonaws.com"]
    assert template.find_resources("AWS::IAM::Policy") == {}


def test_state_machine_logs_everything_encrypted_and_traces(template: Template) -> None:
    template.has_resource_properties("AWS::StepFunctions::StateMachine", {
        "LoggingConfiguration": {"IncludeExecutionData": True, "Level": "ALL",
                                 "Destinations": [{"CloudWatchLogsLogGroup": {"LogGroupArn": {
                                     "Fn::GetAtt": [template.find_resources("AWS::Logs::LogGroup").popitem()[0],
                                                    "Arn"]}}}]},
        "TracingConfiguration": {"Enabled": True},
    })
    template.has_resource_properties("AWS::Logs::LogGroup", {"KmsKeyId": KEY, "RetentionInDays": 365})


# --- every refusal ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"job_name_prefix": "a" * 20}, r"job_name_prefix must be 1-19 lowercase letters.*got 'aaaaaaaaaaaaaaaaaaaa'"),
        ({"job_name_prefix": "Tuning"}, r"job_name_prefix must be 1-19 lowercase"),
        ({"job_name_prefix": "tuning-"}, r"job_name_prefix must be 1-19 lowercase"),
        ({"ranges": []}, r"ranges must be between 1 and 30 entries long, got 0"),
        ({"ranges": [ContinuousRange(f"p{i}", 0, 1) for i in range(31)]}, r"ranges must be between 1 and 30"),
        ({"ranges": [IntegerRange("max_depth", 1, 5), IntegerRange("max_depth", 2, 6)]},
         r"ranges must be ranges with distinct names"),
        ({"ranges": [ContinuousRange("eta", 0.5, 0.1)]}, r"ranges\['eta'\] must be a range whose min_value is below"),
        ({"ranges": [IntegerRange("max_depth", 3, 3)]}, r"ranges\['max_depth'\] must be a range whose min_value"),
        ({"ranges": [ContinuousRange("alpha", 0, 10, ScalingType.LOGARITHMIC)]},
         r"ranges\['alpha'\].min_value must be above 0 with Logarithmic scaling, got 0"),
        ({"ranges": [ContinuousRange("subsample", 0.5, 1.0, ScalingType.REVERSE_LOGARITHMIC)]},
         r"ranges\['subsample'\] must be within 0 <= value < 1 with ReverseLogarithmic scaling, got \(0.5, 1.0\)"),
        ({"ranges": [IntegerRange("max_depth", 1, 5, ScalingType.REVERSE_LOGARITHMIC)]},
         r"ranges\['max_depth'\].scaling must be Auto, Linear or Logarithmic for an integer range, "
         r"got 'ReverseLogarithmic'"),
        ({"ranges": [IntegerRange("max_depth", 1, 5.5)]},  # type: ignore[arg-type]
         r"ranges\['max_depth'\] must be whole-number bounds"),
        ({"ranges": [CategoricalRange("eta", [])]}, r"ranges\['eta'\].values must be between 1 and 30 entries long"),
        ({"ranges": [CategoricalRange("eta", ["0.1", "0.1"])]}, r"ranges\['eta'\].values must be distinct values"),
        ({"ranges": [ContinuousRange("bad name", 0, 1)]}, r"ranges name must be a hyperparameter name"),
        ({"ranges": [ContinuousRange("learning_rate", 0.1, 0.5)]}, r"ranges name must be one of 'alpha'"),
        ({"static_hyperparameters": {"objective": "binary:logistic"}},
         r"static_hyperparameters must be a mapping with num_round"),
        ({"static_hyperparameters": {**STATIC, "eta": "0.1"}},
         r"static_hyperparameters\['eta'\] must be a hyperparameter that is not also tuned"),
        ({"static_hyperparameters": {**STATIC, "bad key": "1"}},
         r"static_hyperparameters name must be a hyperparameter name \(letters, digits, _ . : -\), got 'bad key'"),
        ({"static_hyperparameters": {**STATIC, "objective": "x" * 2501}},
         r"static_hyperparameters\['objective'\] must be between 0 and 2500 characters long"),
        ({"ranges": [CategoricalRange("eta", ["x" * 257])]},
         r"ranges\['eta'\].values must be between 1 and 256 characters long"),
        ({"static_hyperparameters": {f"k{i}": "1" for i in range(101)}},
         r"static_hyperparameters must be at most 100 entries, got 101"),
        ({"objective": TuningObjective.minimize("validation:auc")},
         r"objective.type must be Maximize for validation:auc \(the built-in XGBoost's direction\), got 'Minimize'"),
        ({"objective": TuningObjective.maximize("validation:rmse")},
         r"objective.type must be Minimize for validation:rmse.*got 'Maximize'"),
        ({"objective": TuningObjective.maximize("validation:accuracy_score")},
         r"objective.metric_name must be one of 'validation:accuracy'"),
        ({"validation": None}, r"validation must be set: the objective validation:auc is measured on the validation"),
        ({"strategy": TuningStrategy.GRID}, r"max_jobs must be None with the Grid strategy"),
        ({"strategy": TuningStrategy.GRID, "max_jobs": None}, r"ranges must be categorical only with the Grid"),
        ({"max_jobs": None}, r"max_jobs must be set with the Bayesian strategy"),
        ({"max_jobs": 0}, r"max_jobs must be between 1 and 750, got 0"),
        ({"max_jobs": 751}, r"max_jobs must be between 1 and 750, got 751"),
        ({"max_jobs": 5, "max_parallel_jobs": 6}, r"max_parallel_jobs must be between 1 and 5, got 6"),
        ({"max_jobs": 500, "max_parallel_jobs": 101}, r"max_parallel_jobs must be between 1 and 100, got 101"),
        ({"max_parallel_jobs": 0}, r"max_parallel_jobs must be between 1 and 20, got 0"),
        ({"strategy": TuningStrategy.HYPERBAND, "early_stopping": True},
         r"early_stopping must be False with the Hyperband strategy"),
        ({"strategy": TuningStrategy.HYPERBAND},
         r"hyperband_max_resource must be set with the Hyperband strategy unless static_hyperparameters has one of "
         r"epochs, numepochs, n-epochs, n_epochs, num_epochs \(SageMaker refuses the job otherwise\), got None"),
        ({"hyperband_max_resource": 10},
         r"hyperband_max_resource must be None unless the strategy is Hyperband, got 10"),
        ({"strategy": TuningStrategy.HYPERBAND, "hyperband_max_resource": 20001},
         r"hyperband_max_resource must be between 1 and 20000, got 20001"),
        ({"strategy": TuningStrategy.HYPERBAND, "hyperband_max_resource": 10, "hyperband_min_resource": 11},
         r"hyperband_min_resource must be between 1 and 10, got 11"),
        ({"strategy": TuningStrategy.GRID, "max_jobs": None,
          "ranges": [CategoricalRange("max_depth", [str(i) for i in range(30)]),
                     CategoricalRange("eta", [str(i) for i in range(30)])]},
         r"ranges must be at most 750 combinations of values with the Grid strategy \(it runs each once\), "
         r"got '900 combinations'"),
        ({"strategy": TuningStrategy.GRID, "max_jobs": None, "max_parallel_jobs": 3,
          "ranges": [CategoricalRange("max_depth", ["3", "6"])]}, r"max_parallel_jobs must be between 1 and 2, got 3"),
        ({"strategy": TuningStrategy.RANDOM, "max_jobs": 10001}, r"max_jobs must be between 1 and 10000, got 10001"),
        ({"ranges": [ContinuousRange("eta", "0.1", "0.5")]},  # type: ignore[arg-type]
         r"ranges\['eta'\] must be finite numbers as bounds, got \('0.1', '0.5'\)"),
        ({"ranges": [ContinuousRange("alpha", 0, float("inf"))]},
         r"ranges\['alpha'\] must be finite numbers as bounds"),
        ({"ranges": [CategoricalRange("max_depth", [3, 6])]},  # type: ignore[list-item]
         r"ranges\['max_depth'\].values must be a list of strings \(the API's values are strings\), got \[3, 6\]"),
        ({"ranges": [CategoricalRange("max_depth", "36")]},
         r"ranges\['max_depth'\].values must be a list of strings"),
        ({"instance_count": 0}, r"instance_count must be between 1 and 100, got 0"),
        ({"instance_count": 1.5}, r"instance_count must be an integer between 1 and 100, got 1.5"),
        ({"ranges": [CategoricalRange("eta", ["0.1", "0.2 (fast)"])]},
         r"ranges\['eta'\].values must be letters, digits, spaces and _.:/=\+-@ when registration is set \(tuned "
         r"values become the version's customer metadata\), got '0.2 \(fast\)'$"),
        ({"instance_type": "ml.c5.large"}, r"instance_type must be a SageMaker training instance type \(ml.c5 sizes: "
                                           r"xlarge, .*\), got 'ml.c5.large'"),
        ({"instance_type": InstanceType.INF2_XLARGE},
         r"instance_type must be a SageMaker training instance type such as ml.m5.xlarge .*, got 'ml.inf2.xlarge'"),
        ({"volume_size_gb": 0}, r"volume_size_gb must be between 1 and 16384, got 0"),
        ({"max_job_runtime": Duration.days(29)}, r"max_job_runtime must be between 1 and 2419200, got 2505600"),
        ({"output_prefix": "tuning"}, r"output_prefix must be a key prefix ending in '/'"),
        ({"registration": BestModelRegistration(group="bad_name", supported_content_types=["text/csv"],
                                                supported_response_mime_types=["text/csv"])},
         r"registration.group must be 1-63 letters, digits and inner hyphens, got 'bad_name'"),
        ({"registration": BestModelRegistration(group="g", supported_content_types=[],
                                                supported_response_mime_types=["text/csv"])},
         r"registration.supported_content_types must be at least one entry"),
        ({"registration": BestModelRegistration(group="g", supported_content_types=["text/csv"],
                                                supported_response_mime_types=["csv"])},
         r"registration.supported_response_mime_types must be MIME types like 'text/csv', got 'csv'"),
        ({"registration": BestModelRegistration(group="g", supported_content_types=["text/csv"],
                                                supported_response_mime_types=["text/csv"],
                                                environment={"BAD-KEY": "1"})},
         r"registration.environment key must be letters, digits and '_', not starting with a digit, got 'BAD-KEY'"),
        ({"registration": BestModelRegistration(group="g", supported_content_types=["text/csv"],
                                                supported_response_mime_types=["text/csv"],
                                                environment={f"K{i}": "1" for i in range(17)})},
         r"registration.environment must be at most 16 entries \(a registered container's limit\)"),
        ({"registration": BestModelRegistration(
            group="g", supported_content_types=["text/csv"], supported_response_mime_types=["text/csv"],
            containers_before=[ContainerSpec("i", None, {}, None, None, False)] * 15)},
         r"registration containers must be at most 15 in all, the tuned one included, got 16"),
        ({"registration": BestModelRegistration(
            group="g", supported_content_types=["text/csv"], supported_response_mime_types=["text/csv"],
            containers_after=[ContainerSpec(None, None, {}, None, "arn:pkg", False)])},
         r"registration containers must be image containers"),
    ],
)
def test_refuses(stack: cdk.Stack, overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=r"^TestStack/Tuning: " + message):
        _tuning(stack, **overrides)


def test_custom_image_objective_must_be_a_defined_metric(stack: cdk.Stack) -> None:
    repository = ecr.Repository.from_repository_name(stack, "Repo", "trainer")
    image = ContainerImage.from_ecr_repository(repository, tag="1")
    with pytest.raises(ValidationError, match=r"objective.metric_name must be one of 'loss', got 'validation:auc'"):
        _tuning(stack, algorithm=TrainingAlgorithm.from_image(image, metric_definitions={"loss": "loss=(.*)"}))
    with pytest.raises(ValidationError, match=r"metric_definitions must be between 1 and 20 entries long"):
        _tuning(stack, id="Other", algorithm=TrainingAlgorithm.from_image(image, metric_definitions={}))


def test_refuses_channels_without_a_key_or_content_type(stack: cdk.Stack) -> None:
    bucket = SharedResources(stack, "Shared").artifacts_bucket
    with pytest.raises(ValidationError, match=r"train.key must be between 1 and 1024 characters long, got ''"):
        _tuning(stack, train=TrainingData(bucket, ""))
    with pytest.raises(ValidationError, match=r"validation.content_type must be between 1 and 256 characters long"):
        _tuning(stack, id="Other", validation=TrainingData(bucket, "v.csv", content_type=""))


def test_custom_metric_definitions_are_checked(stack: cdk.Stack) -> None:
    image = ContainerImage.from_ecr_repository(ecr.Repository.from_repository_name(stack, "Repo", "t"), tag="1")
    for index, (definitions, message) in enumerate([
        ({"loss": "x" * 501}, r"metric_definitions\['loss'\] must be between 1 and 500 characters long"),
        ({"l" * 256: "(.*)"}, r"metric_definitions name must be between 1 and 255 characters long"),
        ({"loss": "loss=[0-9.]+"},
         r"metric_definitions\['loss'\] must be a regular expression with a group that captures the value"),
        ({f"m{i}": "(.*)" for i in range(21)}, r"metric_definitions must be between 1 and 20 entries long, got 21"),
    ]):
        with pytest.raises(ValidationError, match=message):
            _tuning(stack, id=f"T{index}", objective=TuningObjective.minimize("loss"),
                    algorithm=TrainingAlgorithm.from_image(image, metric_definitions=definitions))


def test_a_registered_objective_must_be_metadata_text(stack: cdk.Stack) -> None:
    """The objective's name becomes the version's customer metadata, which CreateModelPackage checks
    only once the tuning job has run."""
    image = ContainerImage.from_ecr_repository(ecr.Repository.from_repository_name(stack, "Repo", "t"), tag="1")
    algorithm = TrainingAlgorithm.from_image(image, metric_definitions={"val loss (avg)": r"loss=([0-9.]+)"})
    with pytest.raises(ValidationError, match=r"objective.metric_name must be letters, digits, spaces and "
                                              r"_.:/=\+-@ when registration is set .*, got 'val loss \(avg\)'"):
        _tuning(stack, algorithm=algorithm, objective=TuningObjective.minimize("val loss (avg)"))
    _tuning(stack, id="Unregistered", algorithm=algorithm, objective=TuningObjective.minimize("val loss (avg)"),
            registration=None)


def test_a_java_pattern_python_cannot_read_is_not_judged(stack: cdk.Stack) -> None:
    image = ContainerImage.from_ecr_repository(ecr.Repository.from_repository_name(stack, "Repo", "t"), tag="1")
    # \p{javaLowerCase} is Java's; Python's re refuses it.
    _tuning(stack, objective=TuningObjective.minimize("loss"), algorithm=TrainingAlgorithm.from_image(
        image, metric_definitions={"loss": r"\p{javaLowerCase}+=([0-9.]+)"}))


def test_hyperband_renders_its_resources() -> None:
    stack = cdk.Stack(new_app(), "TestStack")
    _tuning(stack, strategy=TuningStrategy.HYPERBAND, hyperband_min_resource=2, hyperband_max_resource=50)
    config = definition(Template.from_stack(stack))["States"]["Tune"]["Parameters"]["HyperParameterTuningJobConfig"]
    assert config["Strategy"] == "Hyperband"
    assert config["StrategyConfig"] == {"HyperbandStrategyConfig": {"MinResource": 2, "MaxResource": 50}}


def test_hyperband_may_infer_its_most_resources_from_static_epochs() -> None:
    stack = cdk.Stack(new_app(), "TestStack")
    image = ContainerImage.from_ecr_repository(ecr.Repository.from_repository_name(stack, "Repo", "t"), tag="1")
    _tuning(stack, strategy=TuningStrategy.HYPERBAND, static_hyperparameters={"epochs": "30"},
            objective=TuningObjective.minimize("loss"),
            algorithm=TrainingAlgorithm.from_image(image, metric_definitions={"loss": r"loss=([0-9.]+)"}))
    config = definition(Template.from_stack(stack))["States"]["Tune"]["Parameters"]["HyperParameterTuningJobConfig"]
    assert "StrategyConfig" not in config


def test_jobs_above_the_default_quotas_are_warned_about() -> None:
    stack = cdk.Stack(new_app(), "TestStack")
    _tuning(stack, strategy=TuningStrategy.RANDOM, max_jobs=1000, max_parallel_jobs=11)
    annotations = Annotations.from_stack(stack)
    annotations.has_warning("/TestStack/Tuning", Match.string_like_regexp(
        r"^max_jobs 1000 is above 750, the default quota of training jobs a Random search may run: raise it first"))
    annotations.has_warning("/TestStack/Tuning", Match.string_like_regexp(
        r"^max_parallel_jobs 11 is above 10, the default quota of parallel training jobs"))
    limits = definition(Template.from_stack(stack))["States"]["Tune"]["Parameters"][
        "HyperParameterTuningJobConfig"]["ResourceLimits"]
    assert limits == {"MaxParallelTrainingJobs": 11, "MaxNumberOfTrainingJobs": 1000}


def test_accepts_the_largest_prefix_and_the_documented_ranges(stack: cdk.Stack) -> None:
    tuning = _tuning(stack, job_name_prefix="a" * 19, ranges=[
        ContinuousRange("eta", 0.1, 0.5), ContinuousRange("alpha", 0, 1000), IntegerRange("max_depth", 0, 10),
        ContinuousRange("min_child_weight", 0, 120)])
    assert tuning.job_name_prefix == "a" * 19


def test_passes_the_compliance_gate() -> None:
    app = new_app()
    apply_compliance_gate(app)
    _tuning(cdk.Stack(app, "Gated"))
    app.synth()  # raises on any unacknowledged finding of the four rule packs


def _asl_validate(definition_: dict[str, Any], path: Path) -> subprocess.CompletedProcess[str]:
    # A partition the validator's ARN patterns know, in place of the reference.
    path.write_text(json.dumps(definition_).replace("${AWS::Partition}", "aws"))
    return subprocess.run([str(REPO / "node_modules" / ".bin" / "asl-validator"), "--json-path", str(path)],
                          capture_output=True, text=True, check=False)


def test_the_definition_passes_the_asl_validator(template: Template, tmp_path: Path) -> None:
    result = _asl_validate(definition(template), tmp_path / "definition.json")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_asl_validator_refuses_a_broken_definition(template: Template, tmp_path: Path) -> None:
    broken = definition(template)
    broken["States"]["Tune"]["Next"] = "Nowhere"
    assert _asl_validate(broken, tmp_path / "broken.json").returncode != 0


def test_registration_takes_a_declared_group(stack: cdk.Stack) -> None:
    group = ModelPackageGroup(stack, "Group", model_package_group_name="Churn")
    _tuning(stack, registration=BestModelRegistration(
        group=group, supported_content_types=["text/csv"], supported_response_mime_types=["text/csv"]))
    template = Template.from_stack(stack)
    assert definition(template)["States"]["Register"]["Parameters"]["ModelPackageGroupName"] == "Churn"
    statements = _statements(template, "TuningRolePolicy")
    (register,) = [s for s in statements if s["Action"] == "sagemaker:CreateModelPackage"]
    # IAM matches ARNs case-sensitively: the name as given and lowercased (see registry.py).
    assert register["Resource"] == [
        _arn("sagemaker", "model-package-group/Churn"), _arn("sagemaker", "model-package-group/churn"),
        _arn("sagemaker", "model-package/Churn/*"), _arn("sagemaker", "model-package/churn/*")]
