"""Models: IModel, Model (one container) and InferencePipelineModel (2 to 15 containers)."""

from __future__ import annotations

from typing import Protocol

from aws_cdk import aws_iam as iam
from constructs import Node


class IModel(Protocol):
    """A SageMaker model that endpoints and transform jobs can serve.

    A structural interface (jsii's metaclass rules out an ABC next to ``Construct``): any
    construct with these attributes is an IModel. Attributes an endpoint validates against are
    ``None`` when they are unknown (an imported model), and then the endpoint does not check them.
    """

    @property
    def node(self) -> Node:
        """The construct tree node."""

    @property
    def model_name(self) -> str:
        """The model's name (a token for a model this app declares)."""

    @property
    def role(self) -> iam.IRole | None:
        """The execution role. Default: None for an imported model."""

    @property
    def elastic_inference_capable(self) -> bool:
        """Every container's image supports an Elastic Inference accelerator."""

    @property
    def container_count(self) -> int | None:
        """How many containers the model runs (None: unknown). More than one is a pipeline."""

    @property
    def network_isolation(self) -> bool | None:
        """The containers run without network access (None: unknown)."""

    @property
    def in_vpc(self) -> bool | None:
        """The model runs in a VPC (None: unknown)."""
