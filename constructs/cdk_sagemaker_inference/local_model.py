"""local_pipeline and local_transform: declared models and batch transforms, run on this machine.

The CDK side of the local runner (``runtime.local``): it synthesizes the model's app, which stages
the model archives and renders the containers exactly as CloudFormation will get them, and loads
the model from that cloud assembly, as ``cdk-sagemaker-inference local predict`` does after
``make synth``. What runs locally is therefore what deploys.
"""

from __future__ import annotations

from pathlib import Path

from aws_cdk import CfnResource, Stack, Stage

from .model import IModel
from .runtime.local.cloud_assembly import declared_models
from .runtime.local.errors import LocalRunnerError
from .runtime.local.pipeline import LocalPipeline
from .runtime.local.transform import LocalTransform
from .transform import BatchTransform


def local_pipeline(model: IModel) -> LocalPipeline:
    """The containers of ``model``, loaded by the local runner from its synthesized app.

    Synthesizes the model's stage (the App) unless it already was: an app cannot take new
    constructs after that, so call this once the app is complete (in a test, or a script that tries
    the model). Close the pipeline (or use it in a ``with``) to remove its extracted archives.

    :raises LocalRunnerError: an imported model (its containers are unknown here).
    :raises UnsupportedContainerError: naming every container the runner cannot emulate.
    """
    resource = model.node.default_child
    if not isinstance(resource, CfnResource) or resource.cfn_resource_type != "AWS::SageMaker::Model":
        raise LocalRunnerError(f"{model.node.path}: only a model this app declares can run locally (it is imported)")
    stack = Stack.of(resource)
    logical_id = stack.resolve(resource.logical_id)
    stage = Stage.of(resource)
    if stage is None:
        raise LocalRunnerError(f"{model.node.path}: the model is not in an App, so it cannot be synthesized")
    assembly = stage.synth()
    for declared in declared_models(Path(assembly.directory)):
        if declared.logical_id == logical_id and declared.stack in (stack.stack_name, stack.node.path):
            return LocalPipeline(declared.containers, name=model.node.path)
    raise LocalRunnerError(f"{model.node.path}: not found in the synthesized app at {assembly.directory}")


def local_transform(transform: BatchTransform) -> LocalTransform:
    """A ``BatchTransform``'s job run locally: its model (see :func:`local_pipeline`) with its settings.

    ``local_transform(batch).run(Path("input"), Path("output"))`` writes what the job would write
    under its output path. Close it (or use it in a ``with``) to remove the extracted archives.
    """
    return LocalTransform(local_pipeline(transform.model), transform.settings)
