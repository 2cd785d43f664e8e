"""The CloudWatch metrics SageMaker publishes per endpoint variant: the one place that spells them."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch

NAMESPACE = "AWS/SageMaker"
DEFAULT_PERIOD = Duration.minutes(5)


def variant_metric(
    endpoint_name: str, variant_name: str, metric_name: str, default_statistic: str, **options: Any
) -> cloudwatch.Metric:
    """``metric_name`` of one variant; ``options`` are ``cloudwatch.MetricOptions`` keywords.

    The statistic defaults to ``default_statistic`` and the period to 5 minutes, as aws-cdk's
    canned metrics do.
    """
    options.setdefault("statistic", default_statistic)
    options.setdefault("period", DEFAULT_PERIOD)
    return cloudwatch.Metric(
        namespace=NAMESPACE,
        metric_name=metric_name,
        dimensions_map={"EndpointName": endpoint_name, "VariantName": variant_name},
        **options,
    )
