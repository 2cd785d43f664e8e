"""SharedResourcesStack: the KMS key, artifacts bucket and notification topic the other stacks use."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_sns_subscriptions as subscriptions
from cdk_sagemaker_inference import SharedResources
from constructs import Construct


class SharedResourcesStack(Stack):
    """Declares :class:`SharedResources`; later stacks take ``resources`` as a prop."""

    def __init__(self, scope: Construct, id: str, *, notification_email: str | None = None, **kwargs: Any) -> None:
        """
        :param notification_email: subscribed to the notifications topic. Default: none.
        """
        super().__init__(scope, id, **kwargs)
        self.resources = SharedResources(
            self, "Shared",
            subscriptions=[subscriptions.EmailSubscription(notification_email)] if notification_email else [],
        )
