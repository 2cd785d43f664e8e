"""SharedResourcesStack: the KMS key, artifacts bucket and notification topic the other stacks use."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from cdk_sagemaker_inference import SharedResources
from constructs import Construct


class SharedResourcesStack(Stack):
    """Declares :class:`SharedResources`; later stacks take ``resources`` as a prop."""

    def __init__(self, scope: Construct, id: str, **kwargs: Any) -> None:
        super().__init__(scope, id, **kwargs)
        self.resources = SharedResources(self, "Shared")
