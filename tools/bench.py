#!/usr/bin/env python3
"""``make bench``: synth times of this library against an empty app and against aws-sagemaker-alpha.

Each case runs in a fresh Python process (as ``cdk synth`` runs an app), ``--repeat`` times; the
median counts. Cases:

- ``empty``: an App with one empty Stack, the floor every CDK app pays (Python, jsii, Node);
- ``reference``: ``app.py`` as ``make synth`` runs it (three stacks, the compliance gate);
- ``slice-N`` / ``alpha-N``: N "slices" in one stack, written with this library and with
  aws-sagemaker-alpha (plus aws-cdk-lib's L2s where alpha has nothing): a three-container pipeline
  model on an autoscaled, KMS-encrypted endpoint, a model package group, and the approval
  deployment (EventBridge rule -> encrypted queue with a dead-letter queue and its alarms -> the
  deployer Lambda; stack status rule -> the monitor Lambda; outcomes to an encrypted topic).
- ``alphamin-N``: the alpha peer without what our slice adds to a working deployment (``EXTRAS``).

The alpha peer declares the same intent, resource for resource (43 a slice, the same types and
counts; its grants stay in aws-cdk-lib's inline policies where ours are customer-managed): the
handlers' IAM permissions and environment, FIFO queues, the key and topic policies that let
CloudWatch Logs, alarms and EventBridge use the key and the topic, and ``EXTRAS``, which alpha
needs an escape hatch (the endpoint's deployment config) or aws-cdk-lib L2s for. ``alphamin``, a
working deployment without ``EXTRAS`` (28 resources), is printed beside it for comparison.

Rounds are interleaved (every case once per round, every other round in reverse order) so that a
busy neighbour slows all cases alike and no case always runs first;
ratios are taken within a round, and their median and spread printed, raw and above the floor (what
the constructs themselves cost). ``--count`` also prints deterministic proxies of the work: jsii
round trips, constructs and template resources per case (``tests/test_synth_cost.py`` holds a
slice to ceilings on them).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
from typing import Any
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
from aws_cdk import Aws, Duration
from aws_cdk import aws_cloudwatch as cloudwatch, aws_cloudwatch_actions as actions, aws_ecr as ecr
from aws_cdk import aws_events as events, aws_events_targets as targets, aws_iam as iam, aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources, aws_logs as logs, aws_sagemaker as sagemaker
from aws_cdk import aws_sqs as sqs
import aws_cdk.aws_sagemaker_alpha as alpha
# The handler sources by path: importing this library here would charge its import to the peer.
HANDLERS = REPO / "lambda"
# What a working deployment needs and no alpha or aws-cdk-lib L2 adds by itself: CloudWatch Logs may
# use the key for the encrypted log groups, alarms and EventBridge for the topic and the queues, and
# alarms may publish to the topic (its policy replaces SNS's default one once enforce_ssl is set).
key.add_to_resource_policy(iam.PolicyStatement(
    actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
    principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")], resources=["*"]))
key.add_to_resource_policy(iam.PolicyStatement(
    actions=["kms:Decrypt", "kms:GenerateDataKey*"], resources=["*"],
    principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com"), iam.ServicePrincipal("events.amazonaws.com")]))
topic.add_to_resource_policy(iam.PolicyStatement(
    actions=["sns:Publish"], principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
    resources=[topic.topic_arn], conditions={"StringEquals": {"aws:SourceAccount": Aws.ACCOUNT_ID}}))
# ContainerImage.from_dlc names its construct "DlcRepository": two DLC images in one model collide.
def prebuilt(name, tag):
    arn = stack.format_arn(service="ecr", account="683313688378", resource="repository", resource_name=name)
    repository = ecr.Repository.from_repository_attributes(stack, name, repository_arn=arn, repository_name=name)
    return alpha.ContainerImage.from_ecr_repository(repository, tag)
def allow(function, actions, resource):
    function.add_to_role_policy(iam.PolicyStatement(actions=actions, resources=[resource]))
sklearn = prebuilt("sagemaker-scikit-learn", "1.2-1-cpu-py3")
xgboost = prebuilt("sagemaker-xgboost", "1.7-1")
stack_arn = stack.format_arn(service="cloudformation", resource="stack", resource_name="bench-endpoint/*")
RETENTION = Duration.days(14) if SAME_INTENT else None
def alarm(id, metric, threshold, periods=1, action=True, **props):
    created = cloudwatch.Alarm(stack, id, metric=metric, threshold=threshold, evaluation_periods=periods,
                               comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                               treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING, **props)
    if action:
        created.add_alarm_action(actions.SnsAction(topic))
    return created
def dead_letter_alarms(id, queue):
    alarm(f"{id}Depth", queue.metric_approximate_number_of_messages_visible(period=Duration.minutes(1),
                                                                            statistic="Maximum"), 0)
    alarm(f"{id}Age", queue.metric_approximate_age_of_oldest_message(period=Duration.minutes(5),
                                                                     statistic="Maximum"), 864000)
# What our slice declares beyond a working deployment, written with alpha and aws-cdk-lib's L2s.
def same_intent(i, endpoint, model, dead):
    name = f"bench-endpoint-{i}"
    def variant_metric(metric_name, statistic):
        return cloudwatch.Metric(namespace="AWS/SageMaker", metric_name=metric_name, statistic=statistic,
                                 period=Duration.minutes(1),
                                 dimensions_map={"EndpointName": name, "VariantName": "AllTraffic"})
    rollback = [alarm(f"Rollback5xx{i}", variant_metric("Invocation5XXErrors", "Sum"), 1, action=False,
                      alarm_name=f"{name}-5xx"),
                alarm(f"RollbackLatency{i}", variant_metric("ModelLatency", "Average"), 2000000, 3,
                      action=False, alarm_name=f"{name}-latency")]
    # alpha's Endpoint has no deployment config: an escape hatch on its CfnEndpoint.
    cfn_endpoint = next(c for c in endpoint.node.children if isinstance(c, sagemaker.CfnEndpoint))
    cfn_endpoint.add_property_override("DeploymentConfig", {
        "BlueGreenUpdatePolicy": {"TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 300}},
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": a.alarm_name} for a in rollback]}})
    endpoint_logs = logs.LogGroup(stack, f"EndpointLogs{i}", log_group_name=f"/aws/sagemaker/Endpoints/{name}",
                                  encryption_key=key, retention=logs.RetentionDays.ONE_YEAR,
                                  removal_policy=cdk.RemovalPolicy.RETAIN)
    endpoint_logs.grant_write(model)
    # SageMaker reads the rollback alarms as the model's execution role.
    iam.Grant.add_to_principal(grantee=model, actions=["cloudwatch:DescribeAlarms"],
                               resource_arns=[a.alarm_arn for a in rollback])
    dead_letter_alarms(f"DeadLetters{i}", dead)
    event_dead = sqs.Queue(stack, f"EventDead{i}", encryption_master_key=key, enforce_ssl=True,
                           retention_period=RETENTION)
    monitor_dead = sqs.Queue(stack, f"MonitorDead{i}", encryption_master_key=key, enforce_ssl=True,
                             retention_period=RETENTION)
    dead_letter_alarms(f"EventDeadLetters{i}", event_dead)
    dead_letter_alarms(f"MonitorDeadLetters{i}", monitor_dead)
    return {"approval_target": {"dead_letter_queue": event_dead, "retry_attempts": 185,
                                "max_event_age": Duration.hours(24)},
            "monitor_target": {"dead_letter_queue": monitor_dead, "retry_attempts": 2,
                               "max_event_age": Duration.hours(1)}}
def silent_rollbacks(i, monitor):
    metric = logs.MetricFilter(stack, f"SilentRollbackFilter{i}", log_group=monitor.log_group,
                               metric_namespace="cdk-sagemaker-inference", metric_name=f"SilentRollbacks-{i}",
                               filter_pattern=logs.FilterPattern.literal('"silent-rollback"'),
                               metric_value="1").metric(statistic="Sum", period=Duration.minutes(5))
    alarm(f"SilentRollbacks{i}", metric, 0)
for i in range(N):
    model = alpha.Model(stack, f"Model{i}", network_isolation=True, containers=[
        alpha.ContainerDefinition(image=image, model_data=alpha.ModelData.from_asset(archive))
        for image, archive in zip((sklearn, xgboost, sklearn), ARCHIVES)
    ])
    config = alpha.EndpointConfig(stack, f"Config{i}", encryption_key=key, instance_production_variants=[
        alpha.InstanceProductionVariantProps(model=model, variant_name="AllTraffic",
                                             instance_type=alpha.InstanceType.M5_LARGE)])
    endpoint = alpha.Endpoint(stack, f"Endpoint{i}", endpoint_config=config,
                              endpoint_name=f"bench-endpoint-{i}" if SAME_INTENT else None)
    endpoint.find_instance_production_variant("AllTraffic").auto_scale_instance_count(
        min_capacity=1, max_capacity=4).scale_on_invocations("Invocations", max_requests_per_second=3)
    group = sagemaker.CfnModelPackageGroup(stack, f"Group{i}", model_package_group_name=f"bench-{i}")
    dead = sqs.Queue(stack, f"Dead{i}", encryption_master_key=key, enforce_ssl=True, fifo=True,
                     content_based_deduplication=True, retention_period=RETENTION)
    queue = sqs.Queue(stack, f"Queue{i}", encryption_master_key=key, enforce_ssl=True, fifo=True,
                      content_based_deduplication=True, visibility_timeout=Duration.minutes(6),
                      dead_letter_queue=sqs.DeadLetterQueue(queue=dead, max_receive_count=10))
    if not SAME_INTENT:
        cloudwatch.Alarm(stack, f"DeadAlarm{i}", metric=dead.metric_approximate_number_of_messages_visible(),
                         threshold=1, evaluation_periods=1).add_alarm_action(actions.SnsAction(topic))
    extras = same_intent(i, endpoint, model, dead) if SAME_INTENT else {}
    events.Rule(stack, f"Approvals{i}", targets=[targets.SqsQueue(queue, message_group_id=f"bench-{i}",
                                                                  **extras.get("approval_target", {}))],
                event_pattern=events.EventPattern(
        source=["aws.sagemaker"], detail_type=["SageMaker Model Package State Change"],
        detail={"ModelPackageGroupName": [group.model_package_group_name],
                "ModelApprovalStatus": ["Approved", "Rejected", "PendingManualApproval"]}))
    handlers = {}
    for name, source, seconds in (("Deployer", "approval_deployer", 60), ("Monitor", "deployment_monitor", 30)):
        handlers[name] = function = lambda_.Function(
            stack, f"{name}{i}", runtime=lambda_.Runtime.PYTHON_3_14, handler="index.handler",
            code=lambda_.Code.from_asset(str(HANDLERS / source)), timeout=Duration.seconds(seconds),
            environment={"TOPIC_ARN": topic.topic_arn, "STACK_NAME": "bench-endpoint"},
            log_group=logs.LogGroup(stack, f"{name}Logs{i}", encryption_key=key),
            dead_letter_queue=extras.get("monitor_target", {}).get("dead_letter_queue") if name == "Monitor" else None)
        topic.grant_publish(function)
    deployer, monitor = handlers["Deployer"], handlers["Monitor"]
    for variable, value in (("MODEL_PACKAGE_GROUP_NAME", f"bench-{i}"), ("QUEUE_URL", queue.queue_url),
                            ("MODEL_PACKAGE_ARN_PREFIX", stack.format_arn(
                                service="sagemaker", resource="model-package", resource_name="")),
                            ("DEAD_LETTER_QUEUE_URL", dead.queue_url), ("MAX_RECEIVE_COUNT", "10"),
                            ("PARAMETER_NAME", "ServedModelPackageArn")):
        deployer.add_environment(variable, value)
    allow(deployer, ["sagemaker:ListModelPackages"], "*")
    allow(deployer, ["sagemaker:DescribeModelPackage"],
          stack.format_arn(service="sagemaker", resource="model-package", resource_name=f"bench-{i}/*"))
    allow(deployer, ["cloudformation:DescribeStacks", "cloudformation:UpdateStack"], stack_arn)
    dead.grant_send_messages(deployer)
    deployer.add_event_source(sources.SqsEventSource(queue, batch_size=5, report_batch_item_failures=True))
    monitor.add_environment("ENDPOINT_NAME", endpoint.endpoint_name)
    allow(monitor, ["cloudformation:DescribeStacks", "cloudformation:ListStackResources"], stack_arn)
    allow(monitor, ["sagemaker:DescribeEndpoint"], endpoint.endpoint_arn)
    if SAME_INTENT:
        silent_rollbacks(i, monitor)
        monitor.configure_async_invoke(max_event_age=Duration.hours(1), retry_attempts=2)
    events.Rule(stack, f"StackStatus{i}", targets=[targets.LambdaFunction(monitor, **extras.get("monitor_target", {}))],
                event_pattern=events.EventPattern(
        source=["aws.cloudformation"], detail_type=["CloudFormation Stack Status Change"],
        resources=events.Match.prefix(stack.format_arn(service="cloudformation", resource="stack",
                                                       resource_name="bench-endpoint/")),
        detail={"status-details": {"status": ["UPDATE_COMPLETE", "UPDATE_FAILED", "UPDATE_ROLLBACK_COMPLETE",
                                              "UPDATE_ROLLBACK_FAILED"]}}))
app.synth()
"""

#: What our slice declares beyond a working deployment, which ``alpha`` writes by hand and
#: ``alphamin`` leaves out (template resources per slice in brackets).
EXTRAS = (
    "rollback alarms on 5xx errors and latency that the endpoint's blue/green deployment config names [2]",
    "the endpoint's SageMaker log group: KMS-encrypted, one-year retention, retained [1]",
    "a dead-letter queue for events EventBridge cannot deliver to the approval queue, with its policy [2]",
    "a dead-letter queue for the monitor's failed asynchronous invocations, with its policy [2]",
    "alarms on the age of the oldest dead letter (before it expires) and on the two new dead-letter queues [5]",
    "a metric filter on the monitor's log and an alarm on silent rollbacks, notifying the topic [2]",
    "the monitor's asynchronous retries, bounded to two and an hour [1]",
    "and, at no resource cost and not in alpha-N: grants in customer-managed policies instead of inline ones "
    "(HIPAA/NIST/PCI), a queue policy naming only its rule instead of any rule of the account [0]",
)


def _program(case: str, n: int) -> str:
    if case == "empty":
        return EMPTY
    body = OURS if case == "slice" else f"SAME_INTENT = {case == 'alpha'}\n" + ALPHA
    return PROLOGUE.format(repo=str(REPO), n=n) + body


@dataclass(frozen=True)
class Timing:
    """Seconds of one synth: wall clock, and CPU of the process and its Node child (user + system).

    CPU time is what the ratios use: on a shared machine wall time mostly measures the neighbours.
    """

    wall: float
    cpu: float


def _time(case: str, n: int) -> Timing:
    """One fresh-process synth of ``case``: ``app.py`` for ``reference``, else ``_program``."""
    with tempfile.TemporaryDirectory() as outdir:
        env = {**os.environ, "CDK_OUTDIR": outdir}
        if case == "reference":
            command = [sys.executable, "app.py"]
            # What the CDK CLI hands app.py: cdk.json's context.
            env["CDK_CONTEXT_JSON"] = json.dumps(json.loads((REPO / "cdk.json").read_text())["context"])
        else:
            command = [sys.executable, "-c", _program(case, n)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise SystemExit(f"{case}-{n} failed:\n{result.stderr[-3000:]}")
    return Timing(wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime))


@dataclass(frozen=True)
class Counts:
    """Deterministic proxies of a synth's work: calls into jsii (Python to Node round trips, the
    answers to Node's callbacks included, loading assemblies not), constructs, template resources."""

    jsii_calls: int
    constructs: int
    resources: int


def count(case: str, n: int) -> Counts:
    """Synthesizes ``case`` in this process, counting what crosses to Node (the constructs are
    counted after the synth, so the count of calls does not include that walk)."""
    from jsii._kernel.providers import process

    calls: collections.Counter[str] = collections.Counter()
    send = process._NodeProcess.send

    def counting_send(self: Any, request: Any, response_type: Any) -> Any:
        calls[type(request).__name__] += 1
        return send(self, request, response_type)

    namespace: dict[str, Any] = {"__name__": "__bench__"}
    process._NodeProcess.send = counting_send  # type: ignore[method-assign]
    try:
        # Node's outdir: CDK_OUTDIR as the process started, or a temporary folder.
        exec(compile(_program(case, n), f"<{case}-{n}>", "exec"), namespace)
    finally:
        process._NodeProcess.send = send  # type: ignore[method-assign]
    app = namespace["app"]
    stack = app.synth().stacks[0]  # the assembly of the synth above, not a second synth
    resources = len(stack.template.get("Resources", {}))
    jsii_calls = sum(number for kind, number in calls.items() if kind != "LoadRequest")
    return Counts(jsii_calls, len(app.node.find_all()), resources)


def _count_in_fresh_process(case: str, n: int) -> Counts:
    code = f"import sys; sys.path.insert(0, {str(REPO / 'tools')!r}); import bench, dataclasses, json; " \
           f"print(json.dumps(dataclasses.asdict(bench.count({case!r}, {n}))))"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise SystemExit(f"counting {case}-{n} failed:\n{result.stderr[-3000:]}")
    return Counts(**json.loads(result.stdout.strip().splitlines()[-1]))


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):5.2f} ({min(values):.2f}-{max(values):.2f})"


#: Resamples behind ``median_interval``; the seed makes a run's interval reproducible from its ratios.
_RESAMPLES = 2000
_SEED = 8


def median_interval(values: list[float], confidence: float = 0.95) -> tuple[float, float]:
    """A bootstrap ``confidence`` interval of the median of ``values`` (percentiles of the medians of
    resamples with replacement): whether a ratio's median is under 1.0 beyond the round-to-round
    spread of a shared machine, which min-max does not say."""
    draw = random.Random(_SEED)
    medians = sorted(statistics.median(draw.choices(values, k=len(values))) for _ in range(_RESAMPLES))
    tail = int(_RESAMPLES * (1 - confidence) / 2)
    return medians[tail], medians[-tail - 1]


CASES = [("empty", 0), ("reference", 0), ("slice", 1), ("alpha", 1), ("alphamin", 1), ("slice", 10), ("alpha", 10),
         ("alphamin", 10)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds, every case once a round. Default: 3")
    parser.add_argument("--count", action="store_true", help="also count jsii calls, constructs, resources")
    args = parser.parse_args(argv)
    labels = [case if n == 0 else f"{case}-{n}" for case, n in CASES]
    rounds: list[dict[str, Timing]] = []
    for number in range(args.repeat):
        # Every other round runs the cases in reverse: of two synths in a row the first tends to
        # cost more (measured 1.12x slice-first, 1.00x alpha-first), which a fixed order charges
        # to the same case every round.
        order = list(zip(labels, CASES, strict=True))[:: -1 if number % 2 else 1]
        timings = {label: _time(case, n) for label, (case, n) in order}
        rounds.append({label: timings[label] for label in labels})
        cpu = " ".join(f"{label} {timing.cpu:.2f}" for label, timing in rounds[-1].items())
        print(f"round {number + 1}/{args.repeat}, CPU s: {cpu}", flush=True)
    print(f"\n{'case':<10} {'wall':>18} {'cpu':>18}   (median (min-max) of {args.repeat} rounds)")
    for label in labels:
        walls, cpus = [r[label].wall for r in rounds], [r[label].cpu for r in rounds]
        print(f"{label:<10} {_spread(walls):>18} {_spread(cpus):>18}")
    print("\nratios of CPU time within a round, median (min-max), with a bootstrap 95% interval of the raw")
    print("median; the floor is the empty app;")
    print("best: the ratio of each case's least CPU time (the run least slowed by neighbours)")
    for peer in ("alpha", "alphamin"):
        for n in (1, 10):
            ours, theirs = f"slice-{n}", f"{peer}-{n}"
            raw = [r[ours].cpu / r[theirs].cpu for r in rounds]
            above = [(r[ours].cpu - r["empty"].cpu) / (r[theirs].cpu - r["empty"].cpu) for r in rounds]
            best = min(r[ours].cpu for r in rounds) / min(r[theirs].cpu for r in rounds)
            low, high = median_interval(raw)
            print(f"{ours:<9} / {theirs:<11} {_spread(raw)}x raw (median 95% CI {low:.2f}-{high:.2f}), "
                  f"{_spread(above)}x above the floor, {best:.2f}x best")
    print(f"reference / empty     {_spread([r['reference'].cpu / r['empty'].cpu for r in rounds])}x")
    if args.count:
        print(f"\n{'case':<10} {'jsii calls':>10} {'constructs':>10} {'resources':>10}")
        for label, (case, n) in zip(labels, CASES, strict=True):
            if case != "reference":
                counts = _count_in_fresh_process(case, n)
                print(f"{label:<10} {counts.jsii_calls:>10} {counts.constructs:>10} {counts.resources:>10}")
    print("\nWhat a slice declares beyond a working deployment, which alpha-N writes by hand and alphamin-N")
    print("leaves out (resources per slice):")
    for extra in EXTRAS:
        print(f"- {extra}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
