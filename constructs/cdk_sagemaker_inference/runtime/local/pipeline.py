"""LocalPipeline: a model's containers run in-process with SageMaker's Serial-mode semantics.

A request goes through every container in order: the request's ContentType to the first, each
answer (with the content type that container gave it) to the next, no Accept header between
containers (so each intermediate container answers its ``SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT``),
and the request's Accept to the last. Each container's model.tar.gz is extracted once, into a
temporary folder that stands in for ``/opt/ml/model``.
"""

from __future__ import annotations

import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from ..predictor import MAX_PAYLOAD_BYTES, InvocationValidationError
from ..serializers import CSVDeserializer, CSVSerializer, Deserializer, Serializer
from .cloud_assembly import find_model
from .containers import EmulatedContainer, Response, load_container, precheck
from .errors import UnsupportedContainerError
from .frameworks import LocalContainerSpec, refusal


class LocalPipeline:
    """The containers of one model, loaded and ready to answer requests.

    Example::

        pipeline = LocalPipeline.from_cloud_assembly("cdk.out")     # after `make synth`
        answer = pipeline.invoke(b"17.99,10.38,...", "text/csv", accept="application/json")
    """

    def __init__(self, containers: Sequence[LocalContainerSpec], *, name: str = "model") -> None:
        """Checks every container, then extracts and loads them in order.

        :param containers: the model's containers in order (a list of archives and frameworks).
        :param name: how messages name the model. Default: ``model``.
        :raises UnsupportedContainerError: naming every container that cannot be emulated.
        :raises IncompatibleArtifactError: an artifact from a library release the container cannot load.
        """
        self.name = name
        self.specs = tuple(containers)
        reasons = [
            f"container {index} ({spec.describe()}): {reason}"
            for index, spec in enumerate(self.specs, start=1)
            if (reason := refusal(spec) or precheck(spec)) is not None
        ]
        if not self.specs:
            reasons.append("it has no containers")
        if reasons:
            raise UnsupportedContainerError(reasons)
        self._workdir = tempfile.TemporaryDirectory(prefix="cdk-sagemaker-local-")
        self.containers: list[EmulatedContainer] = []
        for index, spec in enumerate(self.specs, start=1):
            assert spec.archive is not None  # refusal() checked it
            model_dir = Path(self._workdir.name) / str(index)
            model_dir.mkdir()
            with tarfile.open(spec.archive) as archive:
                archive.extractall(model_dir, filter="data")
            self.containers.append(load_container(f"container {index} ({spec.describe()})", spec, model_dir))

    @classmethod
    def from_cloud_assembly(cls, directory: str | Path = "cdk.out", *, model: str | None = None) -> LocalPipeline:
        """The model declared at construct path ``model`` in a synthesized cloud assembly.

        :param directory: the cloud assembly (``cdk synth``'s output). Default: ``cdk.out``.
        :param model: the model's construct path, or its end (``inference-realtime/Model``, ``Model``).
            Default: the assembly's only model (models with identical containers count as one).
        """
        declared = find_model(Path(directory), model)
        return cls(declared.containers, name=declared.path)

    def invoke(
        self, body: bytes, content_type: str | None, accept: str | None = None, *, batch: bool = False,
        environment: Mapping[str, str] | None = None,
    ) -> Response:
        """Sends ``body`` through every container, as InvokeEndpoint does on a Serial pipeline.

        :param content_type: the request's ContentType (the first container's); None sends none (the
            scikit-learn container then reads JSON, the XGBoost container libsvm).
        :param accept: the request's Accept (the last container's). Default: None, the last
            container's ``SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT``.
        :param batch: run as a batch transform does (``SAGEMAKER_BATCH`` set). Default: False.
        :param environment: a batch transform job's Environment, which every container gets under
            its own (a ``SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT`` in it included). Default: none.
        :raises LocalModelError: a container answered an error; it names the container and status.
        """
        response = Response(body, content_type)
        for index, container in enumerate(self.containers):
            last = index == len(self.containers) - 1
            response = container.invoke(response.body, response.content_type, accept if last else None, batch=batch,
                                        environment=environment)
        return response

    def close(self) -> None:
        """Removes the extracted archives (also done when the pipeline is garbage-collected)."""
        self._workdir.cleanup()

    def __enter__(self) -> LocalPipeline:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


class LocalPredictor:
    """The :class:`Predictor` interface over a :class:`LocalPipeline`: the same serializers, no endpoint.

    Example::

        predictor = LocalPredictor(LocalPipeline.from_cloud_assembly(), deserializer=JSONDeserializer())
        predictor.predict([[17.99, 10.38, None, ...]])
    """

    def __init__(
        self,
        pipeline: LocalPipeline,
        *,
        serializer: Serializer | None = None,
        deserializer: Deserializer | None = None,
    ) -> None:
        """
        :param serializer: writes the request body and names its ContentType. Default:
            ``CSVSerializer()``, as the Predictor's.
        :param deserializer: reads the answer and names the Accept type. Default: ``CSVDeserializer()``,
            as the Predictor's.
        """
        self.pipeline = pipeline
        self.serializer = serializer or CSVSerializer()
        self.deserializer = deserializer or CSVDeserializer()

    def predict(self, data: Any) -> Any:
        """Serializes ``data``, runs the pipeline and deserializes the answer, as ``Predictor.predict``.

        :raises InvocationValidationError: a body over InvokeEndpoint's 6 MB, refused before running.
        """
        body = self.serializer.serialize(data)
        if len(body) > MAX_PAYLOAD_BYTES:
            raise InvocationValidationError(
                f"{self.pipeline.name}: the request body is {len(body)} bytes; InvokeEndpoint accepts at most "
                f"{MAX_PAYLOAD_BYTES} (6 MB)"
            )
        response = self.pipeline.invoke(body, self.serializer.content_type, self.deserializer.accept)
        return self.deserializer.deserialize(response.body)
