"""The reference app: stacks that compose the constructs of ``cdk_sagemaker_inference``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment
from cdk_sagemaker_inference import InstanceType, apply_compliance_gate

from .config import AppConfig
from .elastic_inference_stack import ElasticInferenceStack
from .model_registry_stack import ModelRegistryStack
from .realtime_inference_stack import RealtimeInferenceStack
from .shared_resources_stack import SharedResourcesStack

CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"


def cdk_json_context() -> dict[str, Any]:
    """The ``context`` of cdk.json: feature flags and the default configuration."""
    context: dict[str, Any] = json.loads(CDK_JSON.read_text())["context"]
    return context


def build_app(context: Mapping[str, Any] | None = None, outdir: str | None = None) -> App:
    """Builds the reference app with the compliance gate applied.

    :param context: the context to build with. Default: none given, so the App reads what the CDK
        CLI passes (cdk.json plus ``-c`` overrides). Tests pass ``cdk_json_context()`` plus overrides.
    :param outdir: the cloud assembly folder. Default: the CLI's, or a temp folder.
    """
    app = App(context=dict(context) if context is not None else None, outdir=outdir)
    config = AppConfig.from_context(app.node.get_all_context())
    apply_compliance_gate(app)
    env = Environment(account=config.account, region=config.region)
    prefix = config.name_prefix

    shared = SharedResourcesStack(
        app, f"{prefix}-shared", env=env,
        description="cdk-sagemaker-inference: KMS key, artifacts bucket, notifications",
    ).resources
    group_name = f"{prefix}-breast-cancer"
    if config.include_realtime:
        realtime = RealtimeInferenceStack(
            app, f"{prefix}-realtime", env=env, shared=shared, config=config,
            registry_group_name=group_name if config.include_registry else None,
            description="cdk-sagemaker-inference: the example pipeline on a real-time endpoint",
        )
        if config.include_registry:
            ModelRegistryStack(
                app, f"{prefix}-registry", env=env, shared=shared, group_name=group_name,
                endpoint_stack=realtime, instance_type=InstanceType.of(config.endpoint_instance_type),
                description="cdk-sagemaker-inference: model registry and approval-triggered deployment",
            )
    if config.include_elastic_inference:
        ElasticInferenceStack(
            app, f"{prefix}-elastic-inference", env=env, shared=shared,
            description="cdk-sagemaker-inference: an Elastic Inference endpoint config (end of life)",
        )
    return app


__all__ = ["AppConfig", "build_app", "cdk_json_context"]
