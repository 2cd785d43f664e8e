"""The compliance gate: cdk-nag rule packs as validation plugins, and narrow acknowledgments.

cdk-nag 3.x packs are policy-validation plugins of the App, not aspects: an unacknowledged error
or warning makes ``app.synth()`` (and so ``cdk synth``) fail with a report.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks
from constructs import IConstruct

#: The rule packs every app of this project is held to.
RULE_PACKS = ("AwsSolutions", "HIPAA.Security", "NIST.800.53.R5", "PCI.DSS.321")


def apply_compliance_gate(app: App) -> None:
    """Adds the AwsSolutions, HIPAA Security, NIST 800-53 rev5 and PCI DSS 3.2.1 packs to ``app``."""
    Validations.of(app).add_plugins(
        AwsSolutionsChecks(app),
        HIPAASecurityChecks(app),
        NIST80053R5Checks(app),
        PCIDSS321Checks(app),
    )


def acknowledge(scope: IConstruct, rule_ids: Sequence[str], reason: str) -> None:
    """Acknowledges findings of ``rule_ids`` on ``scope`` and its children only.

    Put it on the narrowest construct the finding is about, with a reason a reviewer can check:
    ``tests/test_compliance.py`` lists every acknowledgment in the app.
    """
    for rule_id in rule_ids:
        Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))
