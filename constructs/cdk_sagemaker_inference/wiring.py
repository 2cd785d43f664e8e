"""The wiring check: every service-to-service edge in the templates is allowed where AWS decides.

moto evaluates no resource policies, so a template can pass every test and still fail on a real
account: an alarm that cannot publish to its topic, a rule that cannot deliver to its queue. This
module reads the synthesized templates (plain JSON, no CDK: ``tools/compliance_gate.py`` and the
compliance gate's validation plugin both use it) and, for each edge a template declares, checks
that the consumer admits the producing service, scoped to the producer:

- CloudWatch alarm actions -> SNS topics (``cloudwatch.amazonaws.com``), and -> Application Auto
  Scaling policies, which must be step scaling policies that name their scalable target;
- EventBridge rule targets and their dead-letter queues -> SQS queues, SNS topics, Lambda functions
  (``events.amazonaws.com``);
- SNS subscriptions -> SQS queues and Lambda functions (``sns.amazonaws.com``);
- S3 event notifications -> SQS, SNS, Lambda (``s3.amazonaws.com``) and server access logs -> the
  log bucket (``logging.s3.amazonaws.com``);
- Lambda event source mappings -> the function's role reads the queue (and decrypts it);
- a role that may publish to an encrypted topic or send to an encrypted queue (a Lambda function, a
  state machine's task) may use its key: SNS and SQS call KMS with the sender's credentials;
- a CloudFormation service role a stack declares (to update that stack, e.g. a served-version switch)
  may describe the stacks whose outputs the stack reads with ``Fn::GetStackOutput`` without a
  ``RoleArn``: CloudFormation resolves them with the stack's execution role;
- an endpoint's or inference component's auto-rollback alarms -> SageMaker, which reads them
  (``cloudwatch:DescribeAlarms``) as the execution roles involved: the endpoint config's and each
  model's that these templates declare;
- a log group encrypted with a key of these templates -> CloudWatch Logs
  (``logs.<region>.amazonaws.com``), which the key policy must allow ``kms:Encrypt*``,
  ``kms:Decrypt*`` and ``kms:GenerateDataKey*`` with a ``kms:EncryptionContext:aws:logs:arn``
  condition that covers the group.

"Admits" means: the consumer's resource policy (a topic, queue or bucket policy, or a Lambda
permission) has an Allow for that service principal and action, on a Resource that covers the
consumer, with an ``aws:SourceArn`` that matches the producer (every ``Arn*`` operator, and a
Lambda permission's SourceArn, as a pattern), and no Deny of them that applies. A topic without a
policy keeps SNS's default one, which admits the account's own principals and, of the services,
CloudWatch alarms only. Where the consumer is encrypted with a KMS key, the key policy must allow the
service ``kms:GenerateDataKey*`` and ``kms:Decrypt`` (an AWS-managed key such as ``alias/aws/sns``
never does). References across stacks (``Fn::GetStackOutput``, ``Fn::ImportValue``) are followed.
A literal ARN matches only in the stack's own environment (its manifest's ``aws://account/region``):
in an environment-agnostic stack only the pseudo parameters (``AWS::AccountId`` ...) name it.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

Template = Mapping[str, Any]

_KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")
_ALARM_READ_ACTION = "cloudwatch:DescribeAlarms"
_ALARM_ARN = "arn:<partition>:cloudwatch:<region>:<account>:alarm:{}"
_QUEUE_READ_ACTIONS = ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
#: What a role sends, and to what: an encrypted target needs its key too.
_SENDS = (("sns:Publish", "AWS::SNS::Topic"), ("sqs:SendMessage", "AWS::SQS::Queue"))
_SOURCE_ARN = "aws:sourcearn"
#: The condition operators that admit a request whose key matches (lower case, without ``IfExists``).
_MATCH_OPERATORS = {"arnequals", "arnlike", "stringequals", "stringlike"}
#: The service principal of CloudWatch alarm actions: the one SNS's default topic policy admits.
_CLOUDWATCH = "cloudwatch.amazonaws.com"
#: CloudWatch Logs' principal in a key policy, and what it must be allowed (as ``let_logs_use``
#: grants it), for log groups whose ARN is in the encryption context key.
_LOGS = "logs.<region>.amazonaws.com"
_LOGS_KEY_ACTIONS = ("kms:Encrypt*", "kms:Decrypt*", "kms:GenerateDataKey*")
_LOGS_CONTEXT = "kms:encryptioncontext:aws:logs:arn"
#: A policy's verdict where a Deny applies.
_DENIES = "denies"


@dataclass(frozen=True)
class WiringFinding:
    """An edge a real account would refuse: ``source`` cannot reach ``target`` for ``reason``."""

    stack: str
    logical_id: str
    source: str
    target: str
    reason: str
    #: The template file of ``stack``, when the templates were read from files.
    template: str | None = None

    def __str__(self) -> str:
        return f"{self.stack}/{self.logical_id}: {self.source} -> {self.target}: {self.reason}"


#: Region name prefix -> partition: aws-cdk-lib 2.275's ``region-info`` (every other region is "aws").
_PARTITIONS = (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"), ("us-iso-", "aws-iso"), ("us-isob-", "aws-iso-b"),
               ("us-isof-", "aws-iso-f"), ("eu-isoe-", "aws-iso-e"), ("eusc-de-", "aws-eusc"))


class Environment(NamedTuple):
    """The partition, region and account a stack deploys to, each None where the stack is
    environment-agnostic (its template then names them with ``AWS::Partition`` and the like)."""

    partition: str | None = None
    region: str | None = None
    account: str | None = None

    @staticmethod
    def parse(uri: str | None) -> Environment:
        """A manifest's ``aws://<account>/<region>`` (``unknown-account``, ``unknown-region``: agnostic).

        The manifest names no partition: it is the region's, as aws-cdk-lib's region facts give it
        (and as it writes literal ARNs for a stack of a known region)."""
        match = re.fullmatch(r"aws://([^/]*)/([^/]*)", uri or "")
        if match is None:
            return Environment()
        account = None if match[1] in ("", "unknown-account") else match[1]
        region = None if match[2] in ("", "unknown-region") else match[2]
        partition = None if region is None else next(
            (partition for prefix, partition in _PARTITIONS if region.startswith(prefix)), "aws")
        return Environment(partition, region, account)


def _stack_artifacts(assembly: Path) -> dict[str, tuple[str, Environment]]:
    """Template file name -> (stack name, environment), from the assembly's manifest (empty without one)."""
    manifest = assembly / "manifest.json"
    if not manifest.is_file():
        return {}
    artifacts = json.loads(manifest.read_text()).get("artifacts", {})
    return {artifact["properties"]["templateFile"]: (artifact["properties"].get("stackName", name),
                                                     Environment.parse(artifact.get("environment")))
            for name, artifact in artifacts.items() if artifact.get("type") == "aws:cloudformation:stack"}


class Resource(NamedTuple):
    """A resource of one of the templates."""

    stack: str
    logical_id: str
    type: str
    properties: Mapping[str, Any]

    @property
    def name(self) -> str:
        return f"{self.stack}/{self.logical_id}"


class Templates:
    """The templates of one app by stack name, with references resolved across stacks."""

    def __init__(self, templates: Mapping[str, Template], paths: Mapping[str, Path] | None = None,
                 environments: Mapping[str, Environment] | None = None) -> None:
        self._templates = templates
        #: Stack name -> its template file, when read from files.
        self.paths = dict(paths or {})
        #: Stack name -> where it deploys; a stack not named here is environment-agnostic.
        self.environments = dict(environments or {})
        self._exports: dict[str, tuple[str, Any]] = {}
        for stack, template in templates.items():
            for output in template.get("Outputs", {}).values():
                export = output.get("Export", {}).get("Name")
                if isinstance(export, str):
                    self._exports[export] = (stack, output["Value"])

    @staticmethod
    def from_paths(paths: Iterable[str | Path]) -> Templates:
        """Templates from a cloud assembly's ``.template.json`` files, by stack name.

        A stack's name comes from the ``manifest.json`` next to its template (a pipeline stage's
        stacks are named ``<stage>-<id>`` while their files are named after the construct path),
        else from the file name; references between stacks name the stack.
        """
        files: dict[str, Path] = {}
        environments: dict[str, Environment] = {}
        for path in map(Path, paths):
            name, environments[name] = _stack_artifacts(path.parent).get(
                path.name, (path.name.removesuffix(".template.json"), Environment()))
            files[name] = path
        return Templates({name: json.loads(path.read_text()) for name, path in files.items()}, files, environments)

    def resources(self, *types: str) -> Iterator[Resource]:
        for stack, template in self._templates.items():
            for logical_id, resource in template.get("Resources", {}).items():
                if not types or resource.get("Type") in types:
                    yield Resource(stack, logical_id, resource["Type"], resource.get("Properties", {}))

    def _output(self, stack: str, expression: Any) -> tuple[str, Any] | None:
        """The (stack, value) a cross-stack reference points at, or None for anything else."""
        if isinstance(expression, dict):
            if "Fn::GetStackOutput" in expression:
                target = expression["Fn::GetStackOutput"]
                template = self._templates.get(target.get("StackName"))
                if template is not None and target.get("OutputName") in template.get("Outputs", {}):
                    return target["StackName"], template["Outputs"][target["OutputName"]]["Value"]
            if "Fn::ImportValue" in expression and isinstance(expression["Fn::ImportValue"], str):
                return self._exports.get(expression["Fn::ImportValue"])
        return None

    def resource(self, stack: str, expression: Any) -> Resource | None:
        """The resource ``expression`` (a Ref, a GetAtt or a cross-stack reference) names."""
        output = self._output(stack, expression)
        if output is not None:
            return self.resource(*output)
        if not isinstance(expression, dict):
            return None
        if "Ref" in expression:
            logical_id = expression["Ref"]
        elif "Fn::GetAtt" in expression:
            logical_id = expression["Fn::GetAtt"][0]
        else:
            return None
        resource = self._templates.get(stack, {}).get("Resources", {}).get(logical_id)
        if resource is None:
            return None
        return Resource(stack, logical_id, resource["Type"], resource.get("Properties", {}))

    def resource_named(self, stack: str, expression: Any, type_: str, name_property: str) -> Resource | None:
        """The resource ``expression`` names: a reference, or the literal name of a ``type_``
        resource of these templates whose ``name_property`` it is (a name given, or one this
        package derives at synth)."""
        if isinstance(expression, str):
            return next((resource for resource in self.resources(type_)
                         if resource.properties.get(name_property) == expression), None)
        return self.resource(stack, expression)

    def render(self, stack: str, expression: Any) -> str:
        """``expression`` as one comparable string: references become ``${stack/Id}`` or
        ``${stack/Id.Attribute}``; ``stack``'s own partition, region and account become
        ``<partition>``, ``<region>`` and ``<account>``, whether pseudo parameters or, where the stack
        is not agnostic, the literals of its environment (other literals stay as written)."""
        return _normalize(self._render(stack, expression), self.environments.get(stack, Environment()))

    def _render(self, stack: str, expression: Any) -> str:
        output = self._output(stack, expression)
        if output is not None:
            return self.render(*output)  # normalized with the environment of the stack it comes from
        if isinstance(expression, str):
            return expression
        if isinstance(expression, dict):
            if "Ref" in expression:
                ref = expression["Ref"]
                return f"${{{ref}}}" if ref.startswith("AWS::") else f"${{{stack}/{ref}}}"
            if "Fn::GetAtt" in expression:
                logical_id, attribute = expression["Fn::GetAtt"]
                return f"${{{stack}/{logical_id}.{attribute}}}"
            if "Fn::Join" in expression:
                delimiter, items = expression["Fn::Join"]
                return str(delimiter).join(self._render(stack, item) for item in items)
        return json.dumps(expression, sort_keys=True)

    def stack_outputs_read(self, stack: str) -> set[str]:
        """The stacks whose outputs ``stack`` reads with ``Fn::GetStackOutput`` and no ``RoleArn``."""
        names: set[str] = set()
        pending: list[Any] = [self._templates.get(stack, {}).get("Resources", {})]
        while pending:
            node = pending.pop()
            if isinstance(node, dict):
                reference = node.get("Fn::GetStackOutput")
                if isinstance(reference, dict) and "RoleArn" not in reference:
                    names.add(self._render(stack, reference.get("StackName")))
                pending.extend(node.values())
            elif isinstance(node, list):
                pending.extend(node)
        return names

    def policies_of(self, resource: Resource, policy_type: str, property_name: str) -> list[Mapping[str, Any]]:
        """Statements of the ``policy_type`` resources whose ``property_name`` lists ``resource``."""
        statements: list[Mapping[str, Any]] = []
        for policy in self.resources(policy_type):
            attached = policy.properties.get(property_name, [])
            attached = attached if isinstance(attached, list) else [attached]
            if any(self.resource(policy.stack, ref) == resource for ref in attached):
                statements.extend(_statements(policy.properties.get("PolicyDocument", {})))
        return statements


_PSEUDO = {"${AWS::Partition}": "<partition>", "${AWS::Region}": "<region>", "${AWS::AccountId}": "<account>"}


def _normalize(text: str, environment: Environment) -> str:
    """``text`` with ``environment``'s partition, region and account as placeholders: the pseudo
    parameters anywhere, and the literal fields of an ARN or the region of a regional service
    principal (``logs.<region>.amazonaws.com``) equal to the environment's. A literal of another
    environment stays as written, so it does not match what the stack declares."""
    for pseudo, placeholder in _PSEUDO.items():
        text = text.replace(pseudo, placeholder)
    # Each field's own literal -> its placeholder (Environment's fields are in _PSEUDO's order).
    partition, region, account = (
        {value: placeholder} if value else {} for value, placeholder in zip(environment, _PSEUDO.values(), strict=True))
    text = re.sub(r"arn:([^:]*):([^:]*):([^:]*):([^:]*):", lambda m: (
        f"arn:{partition.get(m[1], m[1])}:{m[2]}:{region.get(m[3], m[3])}:{account.get(m[4], m[4])}:"), text)
    return re.sub(r"^([a-z0-9-]+)\.([a-z0-9-]+)\.amazonaws\.com$",
                  lambda m: f"{m[1]}.{region.get(m[2], m[2])}.amazonaws.com", text)


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = document.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _allows_action(statement: Mapping[str, Any], action: str) -> bool:
    return any(fnmatch.fnmatch(action.lower(), str(a).lower()) for a in _as_list(statement.get("Action", [])))


def _touches_action(statement: Mapping[str, Any], action: str) -> bool:
    """The statement names ``action`` or part of it, where ``action`` is a family (``kms:Decrypt*``):
    a Deny of one member leaves the service without the family."""
    return _allows_action(statement, action) or any(
        fnmatch.fnmatch(str(a).lower(), action.lower()) for a in _as_list(statement.get("Action", [])))


def _names_service(templates: Templates, stack: str, statement: Mapping[str, Any], service: str, *,
                   or_everyone: bool = False) -> bool:
    """The statement's principal is ``service`` (or, with ``or_everyone``, ``*``, which includes it)."""
    principal = statement.get("Principal", {})
    if or_everyone and principal in ("*", {"AWS": "*"}):
        return True
    if not isinstance(principal, dict):
        return False
    services = [templates.render(stack, s) for s in _as_list(principal.get("Service", []))]
    return service in services


def _takes_pattern(operator: str) -> bool | None:
    """Whether a condition operator that requires a key to match a value takes a pattern; None for
    any other operator (a negated one, a Bool). IAM's ARN operators all take wildcards (ArnEquals
    like ArnLike); ``...IfExists`` matches alike when the key is present, as ``aws:SourceArn`` is on
    a service's request."""
    base = operator.lower().removesuffix("ifexists")
    return base.startswith("arn") or base.endswith("like") if base in _MATCH_OPERATORS else None


def _condition_values(templates: Templates, stack: str, statement: Mapping[str, Any],
                      condition_key: str) -> list[tuple[str, bool]]:
    """The values a statement requires of ``condition_key`` (e.g. ``aws:SourceArn``), each with
    whether it is a pattern."""
    values: list[tuple[str, bool]] = []
    for operator, conditions in statement.get("Condition", {}).items():
        is_pattern = _takes_pattern(operator)
        if is_pattern is None:
            continue
        for key, value in conditions.items():
            if key.lower() == condition_key:
                values.extend((templates.render(stack, v), is_pattern) for v in _as_list(value))
    return values


def _matches_source(source_arns: list[tuple[str, bool]], source_forms: set[str]) -> bool:
    for value, is_pattern in source_arns:
        if value in source_forms:
            return True
        if is_pattern and any(fnmatch.fnmatchcase(form, value) for form in source_forms):
            return True
    return False


def _only_condition_on(statement: Mapping[str, Any], condition_key: str) -> bool:
    """Every condition of the statement requires ``condition_key`` to match (none negated, none on
    another key): where it matches the source, the statement applies."""
    return all(_takes_pattern(operator) is not None and key.lower() == condition_key
               for operator, conditions in statement.get("Condition", {}).items() for key in conditions)


#: ``resource.type`` -> its ARN, with ``{}`` for its name, and the property a given name is in.
_SERVICE_ARNS = {
    "AWS::CloudWatch::Alarm": (_ALARM_ARN, "AlarmName"),
    "AWS::Events::Rule": ("arn:<partition>:events:<region>:<account>:rule/{}", "Name"),
    "AWS::S3::Bucket": ("arn:<partition>:s3:::{}", "BucketName"),
    "AWS::Logs::LogGroup": ("arn:<partition>:logs:<region>:<account>:log-group:{}", "LogGroupName"),
}


def _arn_forms(templates: Templates, resource: Resource) -> set[str]:
    """The strings ``resource``'s ARN may be written as in a policy, as ``render`` writes them."""
    ref = f"${{{resource.name}}}"
    forms = {f"${{{resource.name}.Arn}}", ref}
    if resource.type in _SERVICE_ARNS:
        arn, name_property = _SERVICE_ARNS[resource.type]
        forms.add(arn.format(ref))
        name = resource.properties.get(name_property)
        if isinstance(name, str):
            forms.add(arn.format(name))
    return forms


class WiringCheck:
    """Runs every edge check over ``templates``; ``findings()`` lists what a real account refuses."""

    def __init__(self, templates: Templates) -> None:
        self.templates = templates
        self._findings: list[WiringFinding] = []

    def findings(self) -> list[WiringFinding]:
        self._findings = []
        self._alarm_actions()
        self._rule_targets()
        self._subscriptions()
        self._bucket_edges()
        self._encrypted_log_groups()
        self._event_source_mappings()
        self._encrypted_sends()
        self._stack_output_reads()
        self._rollback_alarm_reads()
        return sorted(set(self._findings), key=str)

    def _fail(self, source: Resource, target: Resource | str, reason: str) -> None:
        target_name = target.name if isinstance(target, Resource) else target
        path = self.templates.paths.get(source.stack)
        self._findings.append(WiringFinding(source.stack, source.logical_id, source.type, target_name, reason,
                                            str(path) if path else None))

    # -- the edges ------------------------------------------------------------------------------

    def _alarm_actions(self) -> None:
        for alarm in self.templates.resources("AWS::CloudWatch::Alarm"):
            for key in ("AlarmActions", "OKActions", "InsufficientDataActions"):
                for action in alarm.properties.get(key, []):
                    target = self.templates.resource(alarm.stack, action)
                    if target is not None and target.type == "AWS::SNS::Topic":
                        self._deliver(alarm, target, "cloudwatch.amazonaws.com")
                    elif target is not None and target.type == "AWS::ApplicationAutoScaling::ScalingPolicy":
                        self._scale(alarm, target)

    def _rule_targets(self) -> None:
        for rule in self.templates.resources("AWS::Events::Rule"):
            for rule_target in rule.properties.get("Targets", []):
                arns = [rule_target.get("Arn"), rule_target.get("DeadLetterConfig", {}).get("Arn")]
                for arn in arns:
                    target = self.templates.resource(rule.stack, arn) if arn is not None else None
                    if target is not None:
                        self._deliver(rule, target, "events.amazonaws.com")

    def _subscriptions(self) -> None:
        for subscription in self.templates.resources("AWS::SNS::Subscription"):
            topic = self.templates.resource(subscription.stack, subscription.properties.get("TopicArn"))
            target = self.templates.resource(subscription.stack, subscription.properties.get("Endpoint"))
            if topic is not None and target is not None:
                self._deliver(topic, target, "sns.amazonaws.com")

    def _bucket_edges(self) -> None:
        for bucket in self.templates.resources("AWS::S3::Bucket"):
            self._notifications(bucket, bucket.properties.get("NotificationConfiguration", {}))
            logging = bucket.properties.get("LoggingConfiguration", {})
            destination = self.templates.resource(bucket.stack, logging.get("DestinationBucketName"))
            if destination is not None:
                self._log_delivery(bucket, destination, self.templates.render(bucket.stack,
                                                                              logging.get("LogFilePrefix", "")))
        for custom in self.templates.resources("Custom::S3BucketNotifications"):
            notified = self.templates.resource(custom.stack, custom.properties.get("BucketName"))
            if notified is not None:
                self._notifications(notified, custom.properties.get("NotificationConfiguration", {}))

    def _notifications(self, bucket: Resource, configuration: Mapping[str, Any]) -> None:
        for key, arn_key in (("TopicConfigurations", "Topic"), ("QueueConfigurations", "Queue"),
                             ("LambdaConfigurations", "Function"), ("LambdaFunctionConfigurations",
                                                                    "LambdaFunctionArn"),
                             ("QueueConfigurations", "QueueArn"), ("TopicConfigurations", "TopicArn")):
            for notification in configuration.get(key, []):
                target = self.templates.resource(bucket.stack, notification.get(arn_key))
                if target is not None:
                    self._deliver(bucket, target, "s3.amazonaws.com")

    def _log_delivery(self, bucket: Resource, destination: Resource, prefix: str) -> None:
        """``bucket``'s server access logs go to ``destination`` as objects under ``prefix``."""
        if destination.properties.get("AccessControl") == "LogDeliveryWrite":
            return  # the legacy ACL grant: the log delivery group may write
        statements = self.templates.policies_of(destination, "AWS::S3::BucketPolicy", "Bucket")
        objects = {f"{form}/{prefix}<key>" for form in _arn_forms(self.templates, destination)}
        self._policy_admits(bucket, destination, "the log bucket's policy", statements, "logging.s3.amazonaws.com",
                            "s3:PutObject", objects, of_this="bucket")

    def _encrypted_log_groups(self) -> None:
        """CloudWatch Logs uses a log group's key as ``logs.<region>.amazonaws.com``, with the
        group's ARN in the encryption context: the key policy must allow it for that group."""
        for group in self.templates.resources("AWS::Logs::LogGroup"):
            key = self.templates.resource(group.stack, group.properties.get("KmsKeyId"))
            if key is None or key.type != "AWS::KMS::Key":
                continue
            statements = _statements(key.properties.get("KeyPolicy", {}))
            condition = (_LOGS_CONTEXT, _arn_forms(self.templates, group))
            for action in _LOGS_KEY_ACTIONS:
                verdict = self._verdict(statements, key.stack, _LOGS, action, condition=condition)
                if verdict is not None:
                    self._fail(group, key, f"the key policy {verdict} {_LOGS} {action} with a "
                               "kms:EncryptionContext:aws:logs:arn of this log group")

    def _event_source_mappings(self) -> None:
        for mapping in self.templates.resources("AWS::Lambda::EventSourceMapping"):
            queue = self.templates.resource(mapping.stack, mapping.properties.get("EventSourceArn"))
            function = self.templates.resource(mapping.stack, mapping.properties.get("FunctionName"))
            if queue is None or function is None or queue.type != "AWS::SQS::Queue":
                continue
            role = self.templates.resource(function.stack, function.properties.get("Role"))
            if role is None:
                continue
            statements = self._role_statements(role)
            for action in _QUEUE_READ_ACTIONS:
                if not self._identity_allows(statements, role.stack, action, queue):
                    self._fail(mapping, queue, f"the function's role does not allow {action} on the queue")
            key = self.templates.resource(queue.stack, queue.properties.get("KmsMasterKeyId"))
            if key is not None and not self._identity_allows(statements, role.stack, "kms:Decrypt", key):
                self._fail(mapping, key, "the function's role does not allow kms:Decrypt on the queue's key")

    def _encrypted_sends(self) -> None:
        for role in self.templates.resources("AWS::IAM::Role"):
            statements = self._role_statements(role)
            for action, target in self._sends(role.stack, statements):
                key = self.templates.resource(target.stack, target.properties.get("KmsMasterKeyId"))
                if key is None:
                    continue
                for key_action in _KEY_ACTIONS:
                    if not self._identity_allows(statements, role.stack, key_action, key):
                        self._fail(role, target, f"the role may {action} but not {key_action} on the key "
                                   "that encrypts it")

    def _sends(self, stack: str, statements: list[Mapping[str, Any]]) -> Iterator[tuple[str, Resource]]:
        """(action, topic or queue) for each send ``statements`` allow to a resource of the templates."""
        for statement in statements:
            for action, target_type in _SENDS:
                if statement.get("Effect") != "Allow" or not _allows_action(statement, action):
                    continue
                for reference in _as_list(statement.get("Resource", [])):
                    target = self.templates.resource(stack, reference)
                    if target is not None and target.type == target_type:
                        yield action, target

    def _stack_output_reads(self) -> None:
        for role in self.templates.resources("AWS::IAM::Role"):
            trust = _statements(role.properties.get("AssumeRolePolicyDocument", {}))
            if not any(_names_service(self.templates, role.stack, s, "cloudformation.amazonaws.com") for s in trust):
                continue
            statements = self._role_statements(role)
            for read in sorted(self.templates.stack_outputs_read(role.stack)):
                stack_arn = f"arn:<partition>:cloudformation:<region>:<account>:stack/{read}/*"
                if not self._identity_allows(statements, role.stack, "cloudformation:DescribeStacks", stack_arn):
                    self._fail(role, read, "the stack's Fn::GetStackOutput references resolve with this role, "
                               "which does not allow cloudformation:DescribeStacks on that stack")

    def _rollback_alarm_reads(self) -> None:
        for deployed in self.templates.resources("AWS::SageMaker::Endpoint", "AWS::SageMaker::InferenceComponent"):
            rollback = deployed.properties.get("DeploymentConfig", {}).get("AutoRollbackConfiguration", {})
            alarms = [alarm.get("AlarmName") for alarm in rollback.get("Alarms", [])]
            if not alarms:
                continue
            for role in self._execution_roles(deployed):
                statements = self._role_statements(role)
                for alarm in alarms:
                    if not self._identity_allows(statements, role.stack, _ALARM_READ_ACTION,
                                                 self._alarm_arn_forms(deployed.stack, alarm)):
                        self._fail(deployed, role, f"SageMaker reads the rollback alarm "
                                   f"{self.templates.render(deployed.stack, alarm)} as this execution role, "
                                   f"which does not allow {_ALARM_READ_ACTION} on it")

    def _execution_roles(self, deployed: Resource) -> list[Resource]:
        """The roles of these templates SageMaker may act as for an endpoint (its config's and its
        variants' models') or an inference component (its model's and its endpoint config's)."""
        properties = deployed.properties
        holders: list[Resource | None] = []
        if deployed.type == "AWS::SageMaker::InferenceComponent":
            holders.append(self.templates.resource_named(deployed.stack, properties.get("Specification", {}).get(
                "ModelName"), "AWS::SageMaker::Model", "ModelName"))
            endpoint = self.templates.resource_named(deployed.stack, properties.get("EndpointName"),
                                                     "AWS::SageMaker::Endpoint", "EndpointName")
            config = (self.templates.resource_named(endpoint.stack, endpoint.properties.get("EndpointConfigName"),
                                                    "AWS::SageMaker::EndpointConfig", "EndpointConfigName")
                      if endpoint is not None else None)
        else:
            config = self.templates.resource_named(deployed.stack, properties.get("EndpointConfigName"),
                                                   "AWS::SageMaker::EndpointConfig", "EndpointConfigName")
        if config is not None:
            holders.append(config)
            for variant in (*config.properties.get("ProductionVariants", []),
                            *config.properties.get("ShadowProductionVariants", [])):
                holders.append(self.templates.resource_named(config.stack, variant.get("ModelName"),
                                                             "AWS::SageMaker::Model", "ModelName"))
        roles = (self.templates.resource(holder.stack, holder.properties.get("ExecutionRoleArn"))
                 for holder in holders if holder is not None)
        return list({role.name: role for role in roles if role is not None and role.type == "AWS::IAM::Role"}.values())

    def _alarm_arn_forms(self, stack: str, alarm_name: Any) -> set[str]:
        """The ARNs an alarm named by ``alarm_name`` (a name, or a ``Ref`` to the alarm) may be written as."""
        alarm = self.templates.resource(stack, alarm_name)
        if alarm is None:
            return {_ALARM_ARN.format(self.templates.render(stack, alarm_name))}
        return _arn_forms(self.templates, alarm) - {f"${{{alarm.name}}}"}

    # -- the rules ------------------------------------------------------------------------------

    def _deliver(self, source: Resource, target: Resource, service: str) -> None:
        """``service`` sends what ``source`` produces to ``target`` (a topic, queue or function)."""
        if target.type == "AWS::SNS::Topic":
            self._publish(source, target, service)
            self._key_admits(source, target, target.properties.get("KmsMasterKeyId"), service)
        elif target.type == "AWS::SQS::Queue":
            statements = self.templates.policies_of(target, "AWS::SQS::QueuePolicy", "Queues")
            self._policy_admits(source, target, "the queue policy", statements, service, "sqs:SendMessage",
                                _arn_forms(self.templates, target))
            self._key_admits(source, target, target.properties.get("KmsMasterKeyId"), service)
        elif target.type == "AWS::Lambda::Function":
            if not any(self._permits(permission, target, service, source)
                       for permission in self.templates.resources("AWS::Lambda::Permission")):
                self._fail(source, target, f"no AWS::Lambda::Permission lets {service} invoke the function with "
                           "a SourceArn of this source")

    def _publish(self, source: Resource, topic: Resource, service: str) -> None:
        statements = self.templates.policies_of(topic, "AWS::SNS::TopicPolicy", "Topics")
        if statements:
            self._policy_admits(source, topic, "the topic policy", statements, service, "sns:Publish",
                                _arn_forms(self.templates, topic),
                                of_this="source (a topic policy replaces SNS's default policy)")
        elif service != _CLOUDWATCH:
            # SNS's default policy admits the account's own principals (AWS:SourceOwner); of the
            # services, only CloudWatch alarms are documented to publish under it.
            self._fail(source, topic, f"the topic has no topic policy, and SNS's default policy admits no "
                       f"service but CloudWatch alarms: a topic policy must allow {service} sns:Publish with an "
                       "aws:SourceArn of this source")

    def _scale(self, alarm: Resource, policy: Resource) -> None:
        """``alarm`` runs ``policy``. No resource policy is involved (Application Auto Scaling acts
        with the service's service-linked role), but CloudWatch runs only step (and simple) scaling
        policies from an alarm, and a policy acts on the scalable target it names: by
        ``ScalingTargetId`` (a target these templates declare, or one they do not, such as an
        imported target's id), or by ``ResourceId``, ``ScalableDimension`` and ``ServiceNamespace``."""
        properties = policy.properties
        if properties.get("PolicyType") != "StepScaling":
            self._fail(alarm, policy, "an alarm runs step scaling policies only (a target tracking policy "
                       "makes and watches alarms of its own)")
        target_id = properties.get("ScalingTargetId")
        if target_id is not None:
            target = self.templates.resource(policy.stack, target_id)
            if target is not None and target.type != "AWS::ApplicationAutoScaling::ScalableTarget":
                self._fail(alarm, policy, f"the policy's ScalingTargetId is not a scalable target ({target.type})")
        elif not all(properties.get(key) for key in ("ResourceId", "ScalableDimension", "ServiceNamespace")):
            self._fail(alarm, policy, "the policy names no scalable target (ScalingTargetId, or ResourceId, "
                       "ScalableDimension and ServiceNamespace)")

    def _policy_admits(self, source: Resource, consumer: Resource, policy: str, statements: list[Mapping[str, Any]],
                       service: str, action: str, covers: set[str], of_this: str = "source") -> None:
        """``statements``, ``policy`` of ``consumer``, let ``service`` do ``action`` on one of
        ``covers`` with an ``aws:SourceArn`` of ``source``; else a finding."""
        verdict = self._verdict(statements, consumer.stack, service, action, covers=covers,
                                condition=(_SOURCE_ARN, _arn_forms(self.templates, source)))
        if verdict == _DENIES:
            self._fail(source, consumer, f"{policy} denies {service} {action} (an explicit Deny overrides any Allow)")
        elif verdict is not None:
            self._fail(source, consumer, f"{policy} does not allow {service} {action} with an aws:SourceArn of "
                       f"this {of_this}")

    def _verdict(self, statements: list[Mapping[str, Any]], stack: str, service: str, action: str, *,
                 covers: set[str] | None = None, condition: tuple[str, set[str]] | None = None) -> str | None:
        """None when ``statements`` (a resource or key policy) let ``service`` do ``action``, else
        why not: ``_DENIES`` (a Deny that applies overrides every Allow) or "does not allow".

        A statement counts only where its Resource covers one of ``covers`` (None: any, as a key
        policy's "*" means the key). An Allow counts only where it requires the key of
        ``condition`` (e.g. ``aws:SourceArn``) to match one of its forms; a Deny applies without
        conditions or with only matching ones on that key (a Deny on anything else, such as the
        TLS-only Deny, is not evaluated here and taken not to apply)."""
        relevant = [s for s in statements if covers is None or self._covers(stack, s, covers)]
        if any(s.get("Effect") == "Deny" and _touches_action(s, action)
               and _names_service(self.templates, stack, s, service, or_everyone=True)
               and self._deny_applies(stack, s, condition) for s in relevant):
            return _DENIES
        if any(s.get("Effect") == "Allow" and _allows_action(s, action)
               and _names_service(self.templates, stack, s, service)
               and (condition is None or self._requires(stack, s, condition)) for s in relevant):
            return None
        return "does not allow"

    def _requires(self, stack: str, statement: Mapping[str, Any], condition: tuple[str, set[str]]) -> bool:
        """``statement`` requires the key of ``condition`` to match one of its forms."""
        key, forms = condition
        return _matches_source(_condition_values(self.templates, stack, statement, key), forms)

    def _deny_applies(self, stack: str, statement: Mapping[str, Any], condition: tuple[str, set[str]] | None) -> bool:
        if not statement.get("Condition"):
            return True
        return (condition is not None and _only_condition_on(statement, condition[0])
                and self._requires(stack, statement, condition))

    def _covers(self, stack: str, statement: Mapping[str, Any], forms: set[str]) -> bool:
        """``statement``'s Resource (patterns) covers one of ``forms``."""
        resources = [self.templates.render(stack, r) for r in _as_list(statement.get("Resource", []))]
        return any(fnmatch.fnmatchcase(form, pattern) for form in forms for pattern in resources)

    def _permits(self, permission: Resource, function: Resource, service: str, source: Resource) -> bool:
        properties = permission.properties
        # Lambda matches a permission's SourceArn as a pattern (ArnLike), e.g. any rule: rule/*.
        source_arn = self.templates.render(permission.stack, properties.get("SourceArn"))
        return (
            self.templates.resource(permission.stack, properties.get("FunctionName")) == function
            and properties.get("Action") in ("lambda:InvokeFunction", "lambda:*")
            and self.templates.render(permission.stack, properties.get("Principal")) == service
            and _matches_source([(source_arn, True)], _arn_forms(self.templates, source))
        )

    def _key_admits(self, source: Resource, target: Resource, key_reference: Any, service: str) -> None:
        if key_reference is None:
            return
        key = self.templates.resource(target.stack, key_reference)
        if key is None:
            rendered = self.templates.render(target.stack, key_reference)
            if rendered.startswith("alias/aws/") or ":alias/aws/" in rendered:
                self._fail(source, target, f"it is encrypted with the AWS-managed key {rendered}, whose policy "
                           f"cannot allow {service}: use a customer-managed key")
            return
        statements = _statements(key.properties.get("KeyPolicy", {}))
        for action in _KEY_ACTIONS:
            verdict = self._verdict(statements, key.stack, service, action)
            if verdict is not None:
                self._fail(source, key, f"the key policy of {target.name}'s key {verdict} {service} {action}")

    def _role_statements(self, role: Resource) -> list[Mapping[str, Any]]:
        statements = [s for policy in role.properties.get("Policies", [])
                      for s in _statements(policy.get("PolicyDocument", {}))]
        statements += self.templates.policies_of(role, "AWS::IAM::Policy", "Roles")
        statements += self.templates.policies_of(role, "AWS::IAM::ManagedPolicy", "Roles")
        for arn in role.properties.get("ManagedPolicyArns", []):
            policy = self.templates.resource(role.stack, arn)
            if policy is not None:
                statements += _statements(policy.properties.get("PolicyDocument", {}))
        return statements

    def _identity_allows(self, statements: list[Mapping[str, Any]], stack: str, action: str,
                         resource: Resource | str | set[str]) -> bool:
        """An Allow of ``action`` on ``resource`` (a template's resource, or an ARN or the set of
        ARNs it may be written as, as ``render`` writes them) among ``statements``, whose resources
        may be patterns."""
        if isinstance(resource, Resource):
            forms = _arn_forms(self.templates, resource)
        else:
            forms = {resource} if isinstance(resource, str) else resource
        return any(statement.get("Effect") == "Allow" and _allows_action(statement, action)
                   and self._covers(stack, statement, forms) for statement in statements)


def check_wiring(templates: Mapping[str, Template],
                 environments: Mapping[str, Environment] | None = None) -> list[WiringFinding]:
    """What a real account would refuse among the edges of ``templates`` (stack name -> template),
    each stack deployed to its environment in ``environments`` (default: agnostic)."""
    return WiringCheck(Templates(templates, environments=environments)).findings()


def check_template_files(paths: Iterable[str | Path]) -> list[WiringFinding]:
    """The same over template files: each cloud assembly (the app's, each pipeline stage's, which
    deploys to its own environment) on its own, since references between stacks stay within one."""
    by_assembly: dict[Path, list[Path]] = {}
    for path in map(Path, paths):
        by_assembly.setdefault(path.parent, []).append(path)
    return [finding for files in by_assembly.values()
            for finding in WiringCheck(Templates.from_paths(files)).findings()]
