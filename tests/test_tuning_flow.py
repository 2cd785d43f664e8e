"""The state machine's data flow, run against moto: each state's parameters resolved as Step Functions
would (JSONPath and the intrinsics the definition uses), each call made with boto3.

moto 5.2.5 runs state machines but forwards SageMaker integrations only for ``.waitForTaskToken``, so
this test walks the definition itself. The ``.sync`` tuning job is created in moto (which checks the
request) and its end is stood in for by the real sweep's DescribeHyperParameterTuningJob answer, whose
best training job is created in moto. What it proves: the paths between the states exist, the
resolved requests are what the APIs take, and the registered version carries the objective and the
winning hyperparameters where the registry CLI reads them.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import aws_cdk as cdk
import boto3
import pytest
from aws_cdk.assertions import Template
from cdk_sagemaker_inference.runtime.registry_client import ModelApprovalStatus, RegistryClient
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from .conftest import new_app
from .test_tuning import _tuning, definition
from .test_tuning_report import AUC

REGION = "us-east-1"
BUCKET = "artifacts-bucket"
IMAGE = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"
ROLE = f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/training"


def _concrete(template: Template, topic_arn: str) -> dict[str, Any]:
    """The definition with each CloudFormation reference replaced by what it resolves to here."""
    values = {"SharedArtifacts5222D996": BUCKET, "SharedNotifications7CEDE7F9": topic_arn,
              "AWS::Partition": "aws", "TuningTrainingRole2F7BB69C.Arn": ROLE,
              "SharedKey204AD1D7.Arn": f"arn:aws:kms:{REGION}:{DEFAULT_ACCOUNT_ID}:key/1234"}
    text = json.dumps(definition(template))
    text = text.replace("${SageMakerImageXgboost1p7r1:${AWS::Region}:Account}.dkr.ecr.${AWS::Region}."
                        "${AWS::URLSuffix}/sagemaker-xgboost:1.7-1", IMAGE)
    concrete: dict[str, Any] = json.loads(re.sub(r"\$\{([^}]+)\}", lambda m: values[m.group(1)], text))
    return concrete


# --- Step Functions' JSONPath and intrinsic functions, as far as the definition uses them ----------
def _split(arguments: str) -> list[str]:
    """Top-level comma-separated arguments (quotes and parentheses respected)."""
    parts, depth, quoted, current = [], 0, False, ""
    for char in arguments:
        if char == "'":
            quoted = not quoted
        elif not quoted and char == "(":
            depth += 1
        elif not quoted and char == ")":
            depth -= 1
        if char == "," and depth == 0 and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current] if current.strip() else parts


def _evaluate(expression: str, data: Any) -> Any:
    expression = expression.strip()
    if expression.startswith("'"):
        return expression[1:-1]
    if expression.startswith("$"):
        node = data
        for part in [p for p in expression[1:].split(".") if p]:
            node = node[part]
        return node
    if expression in ("true", "false"):
        return expression == "true"
    if re.fullmatch(r"-?\d+", expression):
        return int(expression)
    match = re.fullmatch(r"(States\.\w+)\((.*)\)", expression, flags=re.DOTALL)
    assert match, f"not an intrinsic this test knows: {expression}"
    name, arguments = match.group(1), [_evaluate(a, data) for a in _split(match.group(2))]
    if name == "States.Format":
        template, *values = arguments
        for value in values:
            template = template.replace("{}", str(value), 1)
        return template
    functions = {
        "States.JsonMerge": lambda a, b, deep: {**a, **b},
        "States.JsonToString": lambda a: json.dumps(a, separators=(",", ":")),
        "States.UUID": lambda: str(uuid.uuid4()),
        "States.StringSplit": lambda s, separator: s.split(separator),
        "States.ArrayGetItem": lambda items, index: items[index],
    }
    return functions[name](*arguments)


def _resolve(template: Any, data: Any) -> Any:
    if isinstance(template, dict):
        return {(k[:-2] if k.endswith(".$") else k): (_evaluate(v, data) if k.endswith(".$") else _resolve(v, data))
                for k, v in template.items()}
    if isinstance(template, list):
        return [_resolve(item, data) for item in template]
    return template


def _place(data: dict[str, Any], path: str | None, result: Any) -> dict[str, Any]:
    """ResultPath: ``None`` discards the result; ``$.a.b`` sets it there."""
    if path is None:
        return data
    keys = [k for k in path[1:].split(".") if k]
    node = data
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = result
    return data


# --- the run -------------------------------------------------------------------------------------
class Aws:
    def __init__(self) -> None:
        self.sagemaker = boto3.client("sagemaker", region_name=REGION)
        self.s3 = boto3.client("s3", region_name=REGION)
        self.sns = boto3.client("sns", region_name=REGION)
        self.s3.create_bucket(Bucket=BUCKET)
        self.topic_arn = self.sns.create_topic(Name="notifications")["TopicArn"]
        self.sagemaker.create_model_package_group(ModelPackageGroupName="churn")

    def call(self, resource: str, parameters: dict[str, Any]) -> Any:
        service, action = re.fullmatch(r"arn:aws:states:::(?:aws-sdk:)?(\w+):(\w+)(?:\.sync)?", resource).groups()
        if (service, action) == ("sagemaker", "createHyperParameterTuningJob"):
            return self.tune(parameters)
        if (service, action) == ("sns", "publish"):
            parameters = {**parameters, "Message": json.dumps(parameters["Message"])}
        method = re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()
        client = {"sagemaker": self.sagemaker, "s3": self.s3, "sns": self.sns}[service]
        answer = getattr(client, method)(**parameters)
        if service == "s3":
            answer.pop("ResponseMetadata", None)
        return answer

    def tune(self, request: dict[str, Any]) -> dict[str, Any]:
        """Creates the tuning job (moto checks the request) and answers as the sweep's job ended, its
        best training job created in moto under the name SageMaker would give it."""
        self.sagemaker.create_hyper_parameter_tuning_job(**request)
        name = request["HyperParameterTuningJobName"]
        describe = json.loads(AUC.read_text())["DescribeHyperParameterTuningJob"]
        best = {**describe["BestTrainingJob"], "TrainingJobName": f"{name}-004-7f10df5d", "TuningJobName": name}
        job = request["TrainingJobDefinition"]
        self.sagemaker.create_training_job(
            TrainingJobName=best["TrainingJobName"], AlgorithmSpecification=job["AlgorithmSpecification"],
            RoleArn=job["RoleArn"], InputDataConfig=job["InputDataConfig"], OutputDataConfig=job["OutputDataConfig"],
            ResourceConfig=job["ResourceConfig"], StoppingCondition=job["StoppingCondition"],
            HyperParameters={**job["StaticHyperParameters"], **best["TunedHyperParameters"]},
        )
        return {**describe, "HyperParameterTuningJobName": name, "BestTrainingJob": best}


def run(machine: dict[str, Any], aws: Aws) -> tuple[str, dict[str, Any], list[str]]:
    """Walks the definition from StartAt; returns the last state, the data and the states visited."""
    data: dict[str, Any] = {}
    name, visited = machine["StartAt"], []
    while True:
        visited.append(name)
        state = machine["States"][name]
        if state["Type"] == "Pass":
            data = _place(data, state["ResultPath"], _resolve(state["Parameters"], data))
        elif state["Type"] == "Task":
            result = aws.call(state["Resource"], _resolve(state["Parameters"], data))
            if "ResultSelector" in state:
                result = _resolve(state["ResultSelector"], result)
            data = _place(data, state["ResultPath"], result)
        elif state["Type"] == "Choice":
            (choice,) = state["Choices"]
            try:
                _evaluate(choice["Variable"], data)
                name = choice["Next"]
            except KeyError:
                name = state["Default"]
            continue
        else:
            return name, data, visited
        if state.get("End"):
            return name, data, visited
        name = state["Next"]


@pytest.fixture
def aws() -> Iterator[Aws]:
    with mock_aws():
        yield Aws()


@pytest.fixture(scope="module")
def template() -> Template:
    stack = cdk.Stack(new_app(), "TestStack")
    _tuning(stack)
    return Template.from_stack(stack)


def test_a_finished_tuning_job_registers_its_best_model_for_approval_and_notifies(
    template: Template, aws: Aws
) -> None:
    last, data, visited = run(_concrete(template, aws.topic_arn), aws)
    assert visited == ["Name", "Tune", "HasBest", "DescribeBest", "Report", "Metadata", "WriteMetrics", "Register",
                       "NotifySuccess"]
    job = data["tuning"]["name"]
    assert re.fullmatch(r"tuning-[0-9a-f]{12}", job) and len(job) <= 32
    best = f"{job}-004-7f10df5d"

    # The registry, as the approval flow and the registry CLI read it.
    version = RegistryClient(aws.sagemaker).describe("churn", 1)
    assert version.approval is ModelApprovalStatus.PENDING_MANUAL_APPROVAL
    assert version.description == f"Best model of tuning job {job}: validation:auc 0.9974842767295597"
    assert version.customer_metadata == {
        "eta": "0.29927305517224456", "alpha": "0.04510204632998511", "min_child_weight": "7.858846197416833",
        "max_depth": "7", "objective_metric": "validation:auc", "objective_value": "0.9974842767295597",
        "tuning_job": job, "training_job": best,
    }
    assert [c.model_data_url for c in version.containers] == [f"s3://{BUCKET}/tuning/{best}/output/model.tar.gz"]
    report_uri = f"s3://{BUCKET}/tuning/{job}/best-model-metrics.json"
    assert report_uri in version.metrics.values()

    # The metrics report the version points at.
    report = json.loads(aws.s3.get_object(Bucket=BUCKET, Key=f"tuning/{job}/best-model-metrics.json")["Body"].read())
    assert report["objective_metric"] == {"Type": "Maximize", "MetricName": "validation:auc",
                                          "Value": 0.9974842767295597}
    assert report["hyperparameters"]["max_depth"] == "7" and report["training_job"] == best

    # The outcome on the topic.
    ((_, message, subject, _, _),) = sns_backends[DEFAULT_ACCOUNT_ID][REGION].topics[aws.topic_arn].sent_notifications
    assert subject == "Best model registered for approval"
    assert json.loads(message) == {
        "outcome": "registered", "tuning_job": job, "training_job": best,
        "objective": {"Type": "Maximize", "MetricName": "validation:auc", "Value": 0.9974842767295597},
        "hyperparameters": report["hyperparameters"], "model_package_group": "churn",
        "model_package_arn": data["registered"]["model_package_arn"], "approval_status": "PendingManualApproval",
    }


def test_a_tuning_job_without_a_best_training_job_is_notified_and_fails(
    template: Template, aws: Aws, monkeypatch: pytest.MonkeyPatch
) -> None:
    ended = aws.tune
    monkeypatch.setattr(aws, "tune", lambda request: {
        k: v for k, v in ended(request).items() if k != "BestTrainingJob"})
    last, _, visited = run(_concrete(template, aws.topic_arn), aws)
    assert (last, visited[-3:]) == ("NoBest", ["HasBest", "NotifyNoBest", "NoBest"])
    assert aws.sagemaker.list_model_packages(ModelPackageGroupName="churn")["ModelPackageSummaryList"] == []
