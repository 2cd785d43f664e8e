"""Grants into customer-managed policies.

The HIPAA, NIST and PCI packs refuse inline policies (a role's DefaultPolicy), so every role this
package grants to collects its statements in an ``AWS::IAM::ManagedPolicy`` instead. Two shapes,
for the two ways a construct holds a role.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jsii
from aws_cdk import aws_iam as iam
from constructs import Construct

from ._batch import apply_later, first_time


class ManagedPolicyRole(iam.Role):
    """A role the construct creates, whose grants all go to its managed policy ``policy``, including
    those aws-cdk-lib makes itself (e.g. for a Lambda function that is given the role)."""

    def __init__(self, scope: Construct, id: str, *, assumed_by: iam.IPrincipal, description: str) -> None:
        super().__init__(scope, id, assumed_by=assumed_by, description=description)
        self.policy = iam.ManagedPolicy(self, "Policy", roles=[self], description=description)

    def add_to_principal_policy(self, statement: iam.PolicyStatement) -> iam.AddToPrincipalPolicyResult:
        return _add_to_policy(self.policy, statement)


@jsii.implements(iam.IPrincipal)
class ManagedPolicyPrincipal:
    """``role``, except that statements granted to it are added to ``policy``.

    For a role the construct does not own (a role the user passes in): grants made through this
    principal land in the construct's own managed policy attached to that role.
    """

    def __init__(self, role: iam.IRole, policy: iam.ManagedPolicy) -> None:
        self._role = role
        self.policy = policy

    @property
    def grant_principal(self) -> iam.IPrincipal:
        return self

    @property
    def assume_role_action(self) -> str:
        return self._role.assume_role_action

    @property
    def policy_fragment(self) -> iam.PrincipalPolicyFragment:
        return self._role.policy_fragment

    @property
    def principal_account(self) -> str | None:
        return self._role.principal_account

    def add_to_principal_policy(self, statement: iam.PolicyStatement) -> iam.AddToPrincipalPolicyResult:
        return _add_to_policy(self.policy, statement)


def _add_to_policy(policy: iam.ManagedPolicy, statement: iam.PolicyStatement) -> iam.AddToPrincipalPolicyResult:
    """``statement`` added to ``policy`` with the batch's others (see _batch.py), as a principal reports it."""
    apply_later(_add_statements, policy, statement)
    return iam.AddToPrincipalPolicyResult(statement_added=True, policy_dependable=policy)


def _add_statements(policy: iam.ManagedPolicy, statements: list[iam.PolicyStatement]) -> None:
    """All of a batch's statements for ``policy`` in one call (see _batch.py)."""
    policy.add_statements(*statements)


#: The id of the customer-managed policy ``ManagedPolicyGrant`` adds to a role this app declares.
_GRANTS_POLICY_ID = "ManagedGrants"


class ManagedPolicyGrant:
    """``iam.Grant.add_to_principal``, but into a customer-managed policy.

    aws-cdk's grants add statements to a role's inline ``DefaultPolicy``, which the HIPAA, NIST and
    PCI packs refuse. Every ``grant_*`` of this package goes through here instead.
    """

    @staticmethod
    def add_to_principal(
        *,
        grantee: iam.IGrantable,
        actions: Sequence[str],
        resource_arns: Sequence[str],
        conditions: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> iam.Grant:
        """Allows ``grantee`` ``actions`` on ``resource_arns``.

        A role this app declares (``iam.Role``) gets the statement in its customer-managed policy
        ``ManagedGrants`` (created on first use, attached to the role, one per role). A principal
        that already collects its grants in a managed policy (a Model, a ``ManagedPolicyRole``)
        keeps doing so. Anything else (an imported role, a user, a service principal) is granted
        as ``iam.Grant.add_to_principal`` would: this app does not own its policies.
        """
        return iam.Grant.add_to_principal(
            grantee=ManagedPolicyGrant.principal(grantee),
            actions=list(actions),
            resource_arns=list(resource_arns),
            conditions=dict(conditions) if conditions is not None else None,
        )

    @staticmethod
    def add_statement(
        *,
        grantee: iam.IGrantable,
        actions: Sequence[str],
        resource_arns: Sequence[str],
        conditions: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        """``add_to_principal`` for a caller that does not need the ``iam.Grant`` back: the same
        statement, added straight to the managed policy when it lands in one of this package
        (a Model, a ``ManagedPolicyRole``, a role's ``ManagedGrants``).

        Two calls into jsii instead of about seven: aws-cdk-lib's ``Grant`` calls back into Python
        for the principal and for its policy, and jsii creates a Python principal anew in Node
        each time it crosses. Anything else is granted as ``add_to_principal`` grants it.
        """
        principal = ManagedPolicyGrant.principal(grantee).grant_principal
        if isinstance(principal, ManagedPolicyPrincipal | ManagedPolicyRole):
            # A statement already there is left out here rather than by aws-cdk-lib after the
            # synth resolved it again (two containers of one image grant the same pull). Keyed by
            # the policy: a role's ManagedPolicyPrincipal is made anew for each grant.
            if not first_time(principal.policy, (tuple(actions), tuple(resource_arns), repr(conditions))):
                return
            principal.add_to_principal_policy(iam.PolicyStatement(
                actions=list(actions),
                resources=list(resource_arns),
                conditions=dict(conditions) if conditions is not None else None,
            ))
        else:
            ManagedPolicyGrant.add_to_principal(
                grantee=grantee, actions=actions, resource_arns=resource_arns, conditions=conditions
            )

    @staticmethod
    def policy_of(grantee: iam.IGrantable) -> iam.ManagedPolicy | None:
        """The customer-managed policy ``add_to_principal`` writes ``grantee``'s statements to (None:
        a principal whose policies this app does not own)."""
        principal = ManagedPolicyGrant.principal(grantee).grant_principal
        return principal.policy if isinstance(principal, ManagedPolicyPrincipal | ManagedPolicyRole) else None

    @staticmethod
    def principal(grantee: iam.IGrantable) -> iam.IGrantable:
        """``grantee``, except that a role this app declares becomes itself with its grants going to
        its ``ManagedGrants`` policy: pass the result to aws-cdk's own ``grant_*`` methods
        (``repository.grant_pull``, ``key.grant_decrypt``...) to keep their statements out of the
        inline ``DefaultPolicy`` too."""
        principal = grantee.grant_principal
        if not isinstance(principal, iam.Role) or isinstance(principal, ManagedPolicyRole):
            return grantee
        policy = principal.node.try_find_child(_GRANTS_POLICY_ID)
        if not isinstance(policy, iam.ManagedPolicy):
            policy = iam.ManagedPolicy(
                principal,
                _GRANTS_POLICY_ID,
                roles=[principal],
                description="Grants made by cdk-sagemaker-inference constructs",
            )
        return ManagedPolicyPrincipal(principal, policy)


def allow_network_interfaces(
    principal: iam.IGrantable, vpc_arn: str, *, describe: Sequence[str], manage: Sequence[str]
) -> None:
    """Lets a service attach network interfaces in one VPC with ``principal``'s permissions.

    ``describe`` actions have no resource type ("*" is required); ``manage`` actions act on
    interfaces whose ids are not known at synth, so they are on "*" limited to the VPC by
    ``ec2:Vpc`` (the interfaces, subnets and security groups they name all carry that key).
    """
    ManagedPolicyGrant.add_statement(grantee=principal, actions=describe, resource_arns=["*"])
    ManagedPolicyGrant.add_statement(grantee=principal, actions=manage, resource_arns=["*"],
                                     conditions={"ArnEquals": {"ec2:Vpc": vpc_arn}})
