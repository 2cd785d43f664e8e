"""The reference app: stacks that compose the constructs of ``cdk_sagemaker_inference``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment
from cdk_sagemaker_inference import InstanceType, apply_compliance_gate

from .composition import add_inference_stacks
from .config import AppConfig
from .deployment_pipeline_stack import DeploymentPipelineStack
from .model_tuning_stack import ModelTuningStack

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
    if config.include_pipeline:
        DeploymentPipelineStack(
            app, f"{config.name_prefix}-pipeline", env=env, config=config,
            description="cdk-sagemaker-inference: CDK Pipelines from source through staging to production",
        )
    else:
        stacks = add_inference_stacks(app, config, env)
        if config.include_tuning:
            # Not a pipeline stage's: tuning is started by hand and registers into the registry,
            # whose approvals then deploy; there is nothing to promote.
            registry = None
            if stacks.realtime is not None and stacks.registry is not None:
                registry = (stacks.registry.group.model_package_group_name, stacks.realtime)
            ModelTuningStack(
                app, f"{config.name_prefix}-tuning", env=env, shared=stacks.shared.resources, registry=registry,
                instance_type=InstanceType.of(config.endpoint_instance_type),
                description="cdk-sagemaker-inference: hyperparameter tuning of the example, the best model into "
                            "the registry",
            )
    return app


__all__ = ["AppConfig", "build_app", "cdk_json_context"]
