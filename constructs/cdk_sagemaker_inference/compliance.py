"""The compliance gate: cdk-nag rule packs as validation plugins, and narrow acknowledgments.

cdk-nag 3.x packs are policy-validation plugins of the App, not aspects: an unacknowledged error
or warning makes ``app.synth()`` (and so ``cdk synth``) fail with a report. cdk-nag is imported only
when the gate is applied: acknowledging is aws-cdk-lib's own API, and loading cdk-nag's jsii
assembly costs every synth 0.1-0.4 s.
"""

from __future__ import annotations

import json
import os
import weakref
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import (
    Acknowledgment,
    App,
    CfnResource,
    IPolicyValidationContext,
    IPolicyValidationPlugin,
    PolicyValidationPluginReport,
    PolicyViolatingResource,
    PolicyViolation,
    Stack,
    Validations,
)
from constructs import IConstruct, IValidation

from ._batch import apply_later
from ._stack_env import environment_of
from .checkov_scan import CHECKOV_METADATA_KEY, is_checkov_id, scan_templates
from .wiring import check_template_files

#: The rule packs every app of this project is held to.
RULE_PACKS = ("AwsSolutions", "HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")


def apply_compliance_gate(
    app: App, *, checkov_executable: str | os.PathLike[str] | None = None, checkov_cache_dir: Path | None = None
) -> None:
    """Adds the AwsSolutions, HIPAA Security, NIST 800-53 rev5 and PCI DSS 3.2.1 packs to ``app``,
    and the wiring check (``wiring.py``): every service-to-service edge the templates declare must
    be allowed by the consumer's resource policy and key policy.

    :param checkov_executable: the ``checkov`` program, to run its CloudFormation checks over every
        template in the synth too (``checkov_scan.py``). Default: None, no checkov (it is not a
        dependency of this package: install it in a virtualenv of its own). It adds a few seconds
        to every synth unless ``checkov_cache_dir`` is set.
    :param checkov_cache_dir: where checkov results are kept by template content, so an unchanged
        template is not scanned again. Default: None, no cache.
    """
    from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks

    plugins: list[IPolicyValidationPlugin] = [
        AwsSolutionsChecks(app),
        HIPAASecurityChecks(app),
        NIST80053R5Checks(app),
        PCIDSS321Checks(app),
        WiringPlugin(),
    ]
    if checkov_executable is not None:
        plugins.append(CheckovPlugin(checkov_executable, checkov_cache_dir))
    Validations.of(app).add_plugins(*plugins)


#: The rule name of a wiring finding in the validation report.
WIRING_RULE = "cdk-sagemaker-inference-ServiceWiring"


@jsii.implements(IPolicyValidationPlugin)
class WiringPlugin:
    """The wiring check as a validation plugin: a finding fails the synth like a cdk-nag error."""

    @property
    def name(self) -> str:
        return "cdk-sagemaker-inference wiring check"

    @property
    def rule_ids(self) -> list[str]:
        return [WIRING_RULE]

    @property
    def version(self) -> str | None:
        return None

    def validate(self, context: IPolicyValidationContext) -> PolicyValidationPluginReport:
        return _error_report(
            (WIRING_RULE, f"{finding.source} -> {finding.target}: {finding.reason}", finding.logical_id,
             finding.template or "")
            for finding in check_template_files(context.template_paths)
        )


@jsii.implements(IPolicyValidationPlugin)
class CheckovPlugin:
    """checkov as a validation plugin: a failed check fails the synth like a cdk-nag error.

    :param executable: the ``checkov`` program, installed in a virtualenv of its own.
    :param cache_dir: see ``checkov_scan.scan_templates``. Default: no cache, checkov runs on every synth
        (a few seconds).
    """

    def __init__(self, executable: str | os.PathLike[str], cache_dir: Path | None = None) -> None:
        self._executable = executable
        self._cache_dir = cache_dir

    @property
    def name(self) -> str:
        return "checkov (CloudFormation)"

    @property
    def rule_ids(self) -> list[str] | None:
        return None

    @property
    def version(self) -> str | None:
        return None

    def validate(self, context: IPolicyValidationContext) -> PolicyValidationPluginReport:
        return _error_report(
            (finding.check_id, finding.check_name, finding.logical_id, finding.template)
            for finding in scan_templates(context.template_paths, executable=self._executable,
                                          cache_dir=self._cache_dir)
        )


def _error_report(findings: Iterable[tuple[str, str, str, str]]) -> PolicyValidationPluginReport:
    """A plugin report of (rule, description, logical id, template path) findings, each an error."""
    violations = [
        PolicyViolation(
            rule_name=rule, description=description, severity="error",
            violating_resources=[PolicyViolatingResource(
                resource_logical_id=logical_id, template_path=template, locations=["."])],
        )
        for rule, description, logical_id, template in findings
    ]
    return PolicyValidationPluginReport(success=not violations, violations=violations)


def acknowledge(scope: IConstruct, rule_ids: Sequence[str], reason: str) -> None:
    """Acknowledges findings of ``rule_ids`` on ``scope`` and its children only.

    Put it on the narrowest construct the finding is about, with a reason a reviewer can check:
    ``tests/acknowledgments.json`` lists every acknowledgment in the app.

    checkov ids (``CKV_AWS_117``) are also written into the template ``Metadata`` of ``scope``'s
    CloudFormation resource (``scope`` itself, or its default child), where checkov reads its skips;
    a checkov finding is about one resource, so ``scope`` must have one.
    """
    apply_later(_acknowledge_on, scope, (tuple(rule_ids), reason))


def _acknowledge_on(scope: IConstruct, acknowledgments: list[tuple[tuple[str, ...], str]]) -> None:
    """Every (rule ids, reason) given for ``scope``: one call for the rules, one for checkov's skips."""
    reasons = [(rule_id, reason) for rule_ids, reason in acknowledgments for rule_id in rule_ids]
    checkov = [(rule_id, reason) for rule_id, reason in reasons if is_checkov_id(rule_id)]
    if checkov:
        _skip_checkov(scope, checkov)
    _acknowledge_each(scope, reasons)


def _acknowledge_each(scope: IConstruct, reasons: Sequence[tuple[str, str]]) -> None:
    """Acknowledges each (rule id, reason) on ``scope``."""
    # One call for all rules: each call into aws-cdk-lib is a round trip to Node.
    Validations.of(scope).acknowledge(*(Acknowledgment(id=rule_id, reason=reason) for rule_id, reason in reasons))


def _skip_checkov(scope: IConstruct, skips: Sequence[tuple[str, str]]) -> None:
    """Adds the (check id, reason) ``skips`` to the checkov skips in the template Metadata of
    ``scope``'s resource.

    The skips of each resource are kept here, so that the Metadata entry is rewritten whole, with
    the skips of every scope whose resource it is. ``acknowledge`` owns the resource's ``checkov`` entry.
    """
    resource = scope if isinstance(scope, CfnResource) else scope.node.default_child
    if not isinstance(resource, CfnResource):
        raise ValueError(f"{scope.node.path}: checkov acknowledgments {', '.join(i for i, _ in skips)} need a "
                         "CloudFormation resource: acknowledge on the resource or a construct whose default "
                         "child is one")
    # jsii hands out a new Python object each time it returns the same resource; its reference in
    # Node (unique in the process) names it.
    written = _CHECKOV_SKIPS.setdefault(resource.__jsii_ref__.ref, [])  # type: ignore[attr-defined]
    written.extend({"id": check_id, "comment": reason} for check_id, reason in skips)
    resource.add_metadata(CHECKOV_METADATA_KEY, {"skip": written})


#: The checkov skips of each resource, by its jsii reference.
_CHECKOV_SKIPS: dict[str, list[dict[str, str]]] = {}


def acknowledge_wildcard_resource(scope: IConstruct, resource_arn: str, reason: str) -> None:
    """Acknowledges AwsSolutions-IAM5 on ``scope`` for exactly the wildcard ARN ``resource_arn``.

    cdk-nag names the finding after the resolved ARN, which is final only once cross-stack
    references are (a bucket in another stack becomes a stack-output reference), so the
    acknowledgment is added when the construct tree is validated, before the rule packs run.
    A stack's wildcard ARNs are resolved together, by one validation, and each scope's are
    acknowledged in one call.
    """
    acknowledge_wildcard_resources(scope, [resource_arn], reason)


def acknowledge_wildcard_resources(scope: IConstruct, resource_arns: Sequence[str], reason: str) -> None:
    """``acknowledge_wildcard_resource`` for each of ``resource_arns``, which may be a list token
    (``Lazy.list``) produced once cross-stack references are resolved."""
    stack = environment_of(scope).stack
    pending = _WILDCARDS.get(stack)
    if pending is None:
        pending = _WILDCARDS[stack] = _WildcardResourceAcknowledgments(stack)
        stack.node.add_validation(pending)
    pending.add(scope, resource_arns, reason)


@jsii.implements(IValidation)
class _WildcardResourceAcknowledgments:
    """An ``IValidation`` of a stack that adds the acknowledgments and reports no error of its own."""

    def __init__(self, stack: Stack) -> None:
        self._stack = stack
        self._arns: list[tuple[IConstruct, Sequence[str], str]] = []

    def add(self, scope: IConstruct, resource_arns: Sequence[str], reason: str) -> None:
        self._arns.append((scope, resource_arns, reason))

    def validate(self) -> list[str]:
        resolved = self._stack.resolve([list(arns) for _, arns, _ in self._arns])
        by_scope: dict[IConstruct, list[tuple[str, str]]] = {}
        for arns, (scope, _, reason) in zip(resolved, self._arns, strict=True):
            by_scope.setdefault(scope, []).extend(
                (f"AwsSolutions-IAM5[Resource::{nag_form(arn)}]", reason) for arn in arns)
        for scope, reasons in by_scope.items():
            _acknowledge_each(scope, reasons)
        return []


#: The pending wildcard acknowledgments of each stack (weak: a stack is forgotten with its app).
_WILDCARDS: weakref.WeakKeyDictionary[Stack, _WildcardResourceAcknowledgments] = weakref.WeakKeyDictionary()


def nag_form(node: Any) -> str:
    """A resolved CloudFormation value as cdk-nag spells it in a finding (its ``flattenCfnReference``)."""
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict):
        if "Fn::Join" in node:
            delimiter, items = node["Fn::Join"]
            return str(delimiter).join(nag_form(item) for item in items)
        if "Fn::Sub" in node:
            return nag_form(node["Fn::Sub"])
        if "Fn::GetAtt" in node:
            resource, attribute = node["Fn::GetAtt"]
            return f"<{nag_form(resource)}.{nag_form(attribute)}>"
        if "Fn::ImportValue" in node:
            return nag_form(node["Fn::ImportValue"])
        if "Ref" in node:
            return f"<{nag_form(node['Ref'])}>"
    return json.dumps(node, separators=(",", ":"))
