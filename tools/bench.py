#!/usr/bin/env python3
"""``make bench``: synth times of this library against an empty app and against aws-sagemaker-alpha.

Each case runs in a fresh Python process (as ``cdk synth`` runs an app), ``--repeat`` times; the
median counts. Cases:

- ``empty``: an App with one empty Stack, the floor every CDK app pays (Python, jsii, Node);
- ``reference``: ``app.py`` as ``make synth`` runs it (three stacks, the compliance gate);
- ``slice-N`` / ``alpha-N``: N "slices" in one stack, written with this library and with
  aws-sagemaker-alpha (plus aws-cdk-lib's L2s where alpha has nothing): a three-container pipeline
  model on an autoscaled, KMS-encrypted endpoint, a model package group, and the approval
  deployment (EventBridge rule -> encrypted queue with a dead-letter queue and its alarm -> the
  deployer Lambda; stack status rule -> the monitor Lambda; outcomes to an encrypted topic).

Ratios are printed raw and above the floor (what the constructs themselves cost).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

EMPTY = """
import aws_cdk as cdk
app = cdk.App()
cdk.Stack(app, "Empty")
app.synth()
"""

#: What both slice programs share: the app, one stack, the example's three archives.
PROLOGUE = """
import json
from pathlib import Path
import aws_cdk as cdk
from aws_cdk import aws_kms as kms, aws_sns as sns
REPO = Path({repo!r})
ARTIFACTS = REPO / "examples" / "artifacts"
N = {n}
app = cdk.App(context=json.loads((REPO / "cdk.json").read_text())["context"])
stack = cdk.Stack(app, "Bench")
key = kms.Key(stack, "Key", enable_key_rotation=True)
topic = sns.Topic(stack, "Topic", master_key=key, enforce_ssl=True)
ARCHIVES = [str(ARTIFACTS / part / "model.tar.gz") for part in ("preprocessing", "xgboost", "postprocessing")]
"""

OURS = """
from cdk_sagemaker_inference import (
    ApprovalDeployment, ContainerDefinition, ContainerImage, DeploymentTrigger, Framework, InferencePipelineModel,
    InstanceType, InstanceVariant, ModelData, ModelPackageGroup, RealtimeEndpoint, VariantAutoScaling,
)
sklearn = ContainerImage.sagemaker_builtin(Framework.SKLEARN, "1.2-1")
xgboost = ContainerImage.sagemaker_builtin(Framework.XGBOOST, "1.7-1")
for i in range(N):
    model = InferencePipelineModel(stack, f"Model{i}", containers=[
        ContainerDefinition(image=image, model_data=ModelData.from_asset(archive))
        for image, archive in zip((sklearn, xgboost, sklearn), ARCHIVES)
    ])
    endpoint = RealtimeEndpoint(stack, f"Endpoint{i}", encryption_key=key, variants=[InstanceVariant(
        model=model, instance_type=InstanceType.of("ml.m5.large"), initial_instance_count=1,
        auto_scaling=VariantAutoScaling(min_capacity=1, max_capacity=4, target_invocations_per_instance=200),
    )])
    group = ModelPackageGroup(stack, f"Group{i}", model_package_group_name=f"bench-{i}")
    ApprovalDeployment(stack, f"Approval{i}", model_package_group=group,
                       trigger=DeploymentTrigger.cloudformation_stack("bench-endpoint"),
                       topic=topic, key=key, endpoint_name=endpoint.endpoint_name)
app.synth()
"""

ALPHA = """
from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch, aws_cloudwatch_actions as actions, aws_events as events
from aws_cdk import aws_events_targets as targets, aws_iam as iam, aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources, aws_logs as logs, aws_sagemaker as sagemaker
from aws_cdk import aws_sqs as sqs
import aws_cdk.aws_sagemaker_alpha as alpha
from cdk_sagemaker_inference import handlers
HANDLERS = handlers.__path__[0]
from aws_cdk import aws_ecr as ecr
# ContainerImage.from_dlc names its construct "DlcRepository": two DLC images in one model collide.
def prebuilt(name, tag):
    arn = stack.format_arn(service="ecr", account="683313688378", resource="repository", resource_name=name)
    repository = ecr.Repository.from_repository_attributes(stack, name, repository_arn=arn, repository_name=name)
    return alpha.ContainerImage.from_ecr_repository(repository, tag)
sklearn = prebuilt("sagemaker-scikit-learn", "1.2-1-cpu-py3")
xgboost = prebuilt("sagemaker-xgboost", "1.7-1")
for i in range(N):
    model = alpha.Model(stack, f"Model{i}", network_isolation=True, containers=[
        alpha.ContainerDefinition(image=image, model_data=alpha.ModelData.from_asset(archive))
        for image, archive in zip((sklearn, xgboost, sklearn), ARCHIVES)
    ])
    config = alpha.EndpointConfig(stack, f"Config{i}", encryption_key=key, instance_production_variants=[
        alpha.InstanceProductionVariantProps(model=model, variant_name="AllTraffic",
                                             instance_type=alpha.InstanceType.M5_LARGE)])
    endpoint = alpha.Endpoint(stack, f"Endpoint{i}", endpoint_config=config)
    endpoint.find_instance_production_variant("AllTraffic").auto_scale_instance_count(
        min_capacity=1, max_capacity=4).scale_on_invocations("Invocations", max_requests_per_second=3)
    group = sagemaker.CfnModelPackageGroup(stack, f"Group{i}", model_package_group_name=f"bench-{i}")
    dead = sqs.Queue(stack, f"Dead{i}", encryption_master_key=key, enforce_ssl=True)
    queue = sqs.Queue(stack, f"Queue{i}", encryption_master_key=key, enforce_ssl=True,
                      visibility_timeout=Duration.minutes(6),
                      dead_letter_queue=sqs.DeadLetterQueue(queue=dead, max_receive_count=10))
    cloudwatch.Alarm(stack, f"DeadAlarm{i}", metric=dead.metric_approximate_number_of_messages_visible(),
                     threshold=1, evaluation_periods=1).add_alarm_action(actions.SnsAction(topic))
    events.Rule(stack, f"Approvals{i}", targets=[targets.SqsQueue(queue)], event_pattern=events.EventPattern(
        source=["aws.sagemaker"], detail_type=["SageMaker Model Package State Change"],
        detail={"ModelPackageGroupName": [group.model_package_group_name],
                "ModelApprovalStatus": ["Approved", "Rejected"]}))
    for name, source in (("Deployer", "approval_deployer"), ("Monitor", "deployment_monitor")):
        function = lambda_.Function(stack, f"{name}{i}", runtime=lambda_.Runtime.PYTHON_3_12,
                                    handler="index.handler", code=lambda_.Code.from_asset(f"{HANDLERS}/{source}"),
                                    environment={"TOPIC_ARN": topic.topic_arn, "ENDPOINT": endpoint.endpoint_name},
                                    log_group=logs.LogGroup(stack, f"{name}Logs{i}", encryption_key=key))
        topic.grant_publish(function)
        function.add_to_role_policy(iam.PolicyStatement(actions=["sagemaker:ListModelPackages"],
                                                        resources=[group.attr_model_package_group_arn]))
        if name == "Deployer":
            function.add_event_source(sources.SqsEventSource(queue, report_batch_item_failures=True))
        else:
            events.Rule(stack, f"StackStatus{i}", targets=[targets.LambdaFunction(function)],
                        event_pattern=events.EventPattern(source=["aws.cloudformation"]))
app.synth()
"""


def _program(case: str, n: int) -> str:
    if case == "empty":
        return EMPTY
    body = OURS if case == "slice" else ALPHA
    return textwrap.dedent(PROLOGUE.format(repo=str(REPO), n=n)) + textwrap.dedent(body)


def _time(command: list[str], env: dict[str, str]) -> Timing:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command[:2])} failed:\n{result.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(wall, cpu)


@dataclass(frozen=True)
class Timing:
    """Seconds of one synth: wall clock, and CPU of the process and its Node child (user + system).

    CPU time is what the ratios use: on a shared machine wall time mostly measures the neighbours.
    """

    wall: float
    cpu: float


def measure(case: str, n: int, repeat: int) -> Timing:
    """The medians of ``repeat`` fresh-process synths of ``case``."""
    times: list[Timing] = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as outdir:
            env = {**os.environ, "CDK_OUTDIR": outdir}
            if case == "reference":
                command = [sys.executable, "app.py"]
                # What the CDK CLI hands app.py: cdk.json's context.
                env["CDK_CONTEXT_JSON"] = json.dumps(json.loads((REPO / "cdk.json").read_text())["context"])
            else:
                command = [sys.executable, "-c", _program(case, n)]
            times.append(_time(command, env))
    return Timing(statistics.median(t.wall for t in times), statistics.median(t.cpu for t in times))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (median). Default: 3")
    args = parser.parse_args(argv)
    cases = [("empty", 0), ("reference", 0), ("slice", 1), ("alpha", 1), ("slice", 10), ("alpha", 10)]
    results: dict[str, Timing] = {}
    print(f"{'case':<10} {'wall':>7} {'cpu':>7}   (medians of {args.repeat} fresh-process synths)")
    for case, n in cases:
        label = case if n == 0 else f"{case}-{n}"
        results[label] = timing = measure(case, n, args.repeat)
        print(f"{label:<10} {timing.wall:6.2f}s {timing.cpu:6.2f}s", flush=True)
    floor = results["empty"].cpu
    print(f"\nratios of CPU time; floor (the empty app) {floor:.2f}s")
    for n in (1, 10):
        ours, alpha = results[f"slice-{n}"].cpu, results[f"alpha-{n}"].cpu
        above = (ours - floor) / (alpha - floor)
        print(f"slice-{n:<3} / alpha-{n:<3} {ours / alpha:5.2f}x raw, {above:5.2f}x above the floor")
    print(f"reference / empty     {results['reference'].cpu / floor:5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
