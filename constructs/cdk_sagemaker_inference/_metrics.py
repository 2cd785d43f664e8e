"""The CloudWatch metrics SageMaker publishes per endpoint variant and per inference component:
the one place that spells them."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch

NAMESPACE = "AWS/SageMaker"
#: Where SageMaker publishes inference components' CPU, GPU and memory utilization.
COMPONENT_UTILIZATION_NAMESPACE = "/aws/sagemaker/InferenceComponents"
DEFAULT_PERIOD = Duration.minutes(5)
#: The period of alarms that must act within a minute (made once: each Duration is a jsii round trip).
ONE_MINUTE = Duration.minutes(1)
#: What SageMaker counts when a request reaches an inference component that has no copy to serve it.
NO_CAPACITY_METRIC = "NoCapacityInvocationFailures"


class Statistic:
    """The CloudWatch statistics this package uses, spelled as aws-cdk-lib's ``cloudwatch.Stats``
    spells them: each ``Stats`` constant is a round trip to Node."""

    SUM = "Sum"
    AVERAGE = "Average"
    MAXIMUM = "Maximum"


def variant_metric(
    endpoint_name: str, variant_name: str, metric_name: str, default_statistic: str, **options: Any
) -> cloudwatch.Metric:
    """``metric_name`` of one variant; ``options`` are ``cloudwatch.MetricOptions`` keywords.

    The statistic defaults to ``default_statistic`` and the period to 5 minutes, as aws-cdk's
    canned metrics do.
    """
    dimensions = {"EndpointName": endpoint_name, "VariantName": variant_name}
    return _metric(NAMESPACE, dimensions, metric_name, default_statistic, options)


def component_metric(
    component_name: str, metric_name: str, default_statistic: str, *, namespace: str = NAMESPACE, **options: Any
) -> cloudwatch.Metric:
    """``metric_name`` of one inference component (dimension ``InferenceComponentName``): invocation
    metrics are in AWS/SageMaker, utilization in ``COMPONENT_UTILIZATION_NAMESPACE``. Defaults as
    ``variant_metric``."""
    return _metric(namespace, {"InferenceComponentName": component_name}, metric_name, default_statistic, options)


def _metric(
    namespace: str, dimensions: dict[str, str], metric_name: str, default_statistic: str, options: dict[str, Any]
) -> cloudwatch.Metric:
    options.setdefault("statistic", default_statistic)
    options.setdefault("period", DEFAULT_PERIOD)
    return cloudwatch.Metric(namespace=namespace, metric_name=metric_name, dimensions_map=dimensions, **options)
