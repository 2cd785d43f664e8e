"""ModelRegistryStack: the example's model package group, its first version, approval -> deploy."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_codepipeline as codepipeline
from cdk_sagemaker_inference import (
    ApprovalDeployment,
    DeploymentTrigger,
    InstanceType,
    MetricsReport,
    ModelMetrics,
    ModelPackageGroup,
    ModelPackageVersion,
    RetainedAsset,
    SharedResources,
)
from constructs import Construct

from .batch_transform_stack import BatchTransformStack
from .example_pipeline import METRICS, REQUEST_CONTENT_TYPES, RESPONSE_CONTENT_TYPES, RETAINED_ASSETS_PREFIX
from .realtime_inference_stack import RealtimeInferenceStack


class ModelRegistryStack(Stack):
    """The group, the example registered as version 1 (pending review), and ApprovalDeployment.

    Approving a version in the group updates ``endpoint_stack`` so it serves that version.

    :param group_name: the model package group's name.
    :param group_exists: import the group by name instead of declaring it (it was retained when an
        earlier registry stack was deleted). Default: False.
    :param endpoint_stack: the stack whose ``ServedModelPackageArn`` parameter approvals set.
    :param batch_stack: a batch transform stack whose ``ServedModelPackageArn`` approvals set too,
        after ``endpoint_stack``'s (with its own switch role). Default: None. With ``pipeline_name``
        the pipeline deploys it with the served version instead.
    :param pipeline_name: a pipeline in this account and region that deploys ``endpoint_stack``:
        an approval starts it with the version's ARN in its ``ServedModelPackageArn`` variable.
        Default: None, an approval updates ``endpoint_stack`` with its ``ServedVersionSwitch`` role.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        shared: SharedResources,
        group_name: str,
        endpoint_stack: RealtimeInferenceStack,
        instance_type: InstanceType,
        batch_stack: BatchTransformStack | None = None,
        pipeline_name: str | None = None,
        group_exists: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        # The group is retained when the stack is deleted; a redeploy imports it (group_exists).
        self.group = (ModelPackageGroup.from_model_package_group_name(self, "Group", group_name) if group_exists
                      else ModelPackageGroup(
                          self, "Group", model_package_group_name=group_name,
                          description="Breast cancer classifiers served by the reference endpoint"))
        # Kept in the app's bucket, as the version's archives are: a registered version outlives templates.
        metrics = RetainedAsset(self, "Metrics", path=str(METRICS), bucket=shared.artifacts_bucket,
                                prefix=RETAINED_ASSETS_PREFIX)
        self.first_version = ModelPackageVersion(
            self,
            "ExampleVersion",
            group=self.group,
            containers=endpoint_stack.model.containers,
            supported_content_types=REQUEST_CONTENT_TYPES,
            supported_response_mime_types=RESPONSE_CONTENT_TYPES,
            supported_realtime_instance_types=[instance_type],
            supported_transform_instance_types=[instance_type],
            model_metrics=ModelMetrics(model_quality_statistics=MetricsReport.from_retained_asset(metrics)),
            customer_metadata={"dataset": "sklearn-breast-cancer", "source": "examples/train.py"},
            description="The bundled example pipeline: preprocessing, XGBoost 1.7-1, labels",
        )
        self.approval = ApprovalDeployment(
            self,
            "ApprovalDeployment",
            model_package_group=self.group,
            trigger=self._trigger(endpoint_stack, batch_stack, pipeline_name),
            topic=shared.notifications_topic,
            key=shared.key,
            endpoint_name=endpoint_stack.endpoint.endpoint_name,
            endpoint_stack_name=endpoint_stack.stack_name,
        )
        # Where an operator sends an approval event again, e.g. to redeploy after a silent rollback.
        CfnOutput(self, "ApprovalQueueUrl", value=self.approval.queue.queue_url,
                  description=f"The approval queue of {group_name} (FIFO, message group {group_name})")

    def _trigger(self, endpoint_stack: RealtimeInferenceStack, batch_stack: BatchTransformStack | None,
                 pipeline_name: str | None) -> DeploymentTrigger:
        if pipeline_name is None:
            assert endpoint_stack.switch is not None, "the endpoint stack serves this registry"
            also = [batch_stack.switch] if batch_stack is not None and batch_stack.switch is not None else []
            return DeploymentTrigger.served_version_switch(endpoint_stack.switch, also=also)
        pipeline = codepipeline.Pipeline.from_pipeline_arn(
            self, "DeploymentPipeline", self.format_arn(service="codepipeline", resource=pipeline_name))
        return DeploymentTrigger.code_pipeline(pipeline)
