"""A scope's stack and its partition, region and account, asked of aws-cdk-lib once per scope and stack.

``Stack.of``, ``stack.format_arn`` and each of ``partition``, ``region`` and ``account`` is a round
trip to Node, and a construct asks for them again and again. The ARN is formatted here exactly as
``Stack.format_arn`` joins it (the same strings, tokens included): the template does not change.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from aws_cdk import Stack
from constructs import IConstruct


@dataclass(frozen=True)
class StackEnvironment:
    """``stack`` with its ``partition``, ``region`` and ``account`` (tokens in an agnostic stack)."""

    stack: Stack
    partition: str
    region: str
    account: str

    def arn(
        self,
        service: str,
        resource: str,
        resource_name: str | None = None,
        *,
        sep: str = "/",
        region: str | None = None,
        account: str | None = None,
    ) -> str:
        """``stack.format_arn(service=, resource=, resource_name=)``: ``<resource><sep><resource_name>``
        (``sep=":"`` is ``ArnFormat.COLON_RESOURCE_NAME``); ``region`` and ``account`` default to
        the stack's (``""`` for a global resource, as ``format_arn`` takes it)."""
        region = self.region if region is None else region
        account = self.account if account is None else account
        suffix = "" if resource_name is None else f"{sep}{resource_name}"
        return f"arn:{self.partition}:{service}:{region}:{account}:{resource}{suffix}"


def environment_of(scope: IConstruct) -> StackEnvironment:
    """The environment of ``scope``'s stack (remembered for the scope and for the stack)."""
    environment = _BY_SCOPE.get(scope)
    if environment is None:
        stack = scope if isinstance(scope, Stack) else Stack.of(scope)
        environment = _BY_STACK.get(stack)
        if environment is None:
            environment = _BY_STACK[stack] = StackEnvironment(stack, stack.partition, stack.region, stack.account)
        _BY_SCOPE[scope] = environment
    return environment


# Weak: a scope and a stack are forgotten with their app.
_BY_SCOPE: weakref.WeakKeyDictionary[IConstruct, StackEnvironment] = weakref.WeakKeyDictionary()
_BY_STACK: weakref.WeakKeyDictionary[Stack, StackEnvironment] = weakref.WeakKeyDictionary()
