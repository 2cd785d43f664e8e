"""The two containers the local runner emulates, each loaded once from an extracted model.tar.gz.

* scikit-learn 1.2-1 (sagemaker-scikit-learn-container over sagemaker-containers 2.8.6): imports
  ``SAGEMAKER_PROGRAM`` from ``SAGEMAKER_SUBMIT_DIRECTORY`` inside the archive, calls ``model_fn``
  once, then ``input_fn`` -> ``predict_fn`` -> ``output_fn`` a request, with the container's default
  handlers for any the script does not define (there is no default ``model_fn``).
* built-in XGBoost 1.7-1 (algorithm mode): loads every model file of the archive (an ensemble when
  there are several), tried as a pickle and then with ``Booster.load_model``; serves text/csv and
  text/libsvm; answers text/csv (one score a line), application/json (``{"predictions": [{"score":
  ...}]}``), or, in a batch transform, one score a line whatever the Accept.

Each container gets its own environment while it runs (``os.environ`` is patched for the call),
over a batch transform job's Environment, and its failures carry the HTTP status the real container
would answer with.
"""

from __future__ import annotations

import abc
import contextlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import pickle
import re
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Any

import numpy as np

from . import encoders
from .errors import IncompatibleArtifactError, LocalModelError, LocalRunnerError
from .frameworks import EMULATED, SKLEARN, XGBOOST, LocalContainerSpec

LOG = logging.getLogger(__name__)

#: Where SageMaker extracts model.tar.gz in the container.
MODEL_DIR = PurePosixPath("/opt/ml/model")
LOCAL_EXTRA = "pip install 'cdk-sagemaker-inference[local]'"

PROGRAM = "SAGEMAKER_PROGRAM"
SUBMIT_DIRECTORY = "SAGEMAKER_SUBMIT_DIRECTORY"
DEFAULT_ACCEPT = "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT"
MULTI_MODEL = "SAGEMAKER_MULTI_MODEL"
INFERENCE_OUTPUT = "SAGEMAKER_INFERENCE_OUTPUT"
INFERENCE_ENSEMBLE = "SAGEMAKER_INFERENCE_ENSEMBLE"

#: What Flask answers when a view returns a bare body: the sklearn container's mimetype for it.
FLASK_DEFAULT_MIMETYPE = "text/html"


@dataclass(frozen=True)
class Response:
    """A container's answer: the body and its content type (the next container's ContentType)."""

    body: bytes
    content_type: str | None


def parse_header(value: str | None) -> tuple[str, dict[str, str]]:
    """``'text/csv; label_size=1'`` -> ``('text/csv', {'label_size': '1'})``, lowercased (cgi.parse_header)."""
    parts = (value or "").split(";")
    parameters = {}
    for part in parts[1:]:
        key, _, parameter = part.partition("=")
        if key.strip():
            parameters[key.strip().lower()] = parameter.strip().strip('"')
    return parts[0].strip().lower(), parameters


def library_version(distribution: str) -> str | None:
    """The installed version of ``distribution``, or None."""
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def same_minor(left: str, right: str) -> bool:
    """``1.7.6`` and ``1.7.4`` are the same minor release."""
    return left.split(".")[:2] == right.split(".")[:2]


@contextlib.contextmanager
def container_environment(variables: Mapping[str, str]) -> Iterator[None]:
    """The container's environment variables in ``os.environ`` while its code runs."""
    saved = {key: os.environ.get(key) for key in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class EmulatedContainer(abc.ABC):
    """One loaded container: ``invoke`` is one POST /invocations."""

    def __init__(self, name: str, spec: LocalContainerSpec, model_dir: Path) -> None:
        """:param name: how messages name it, e.g. ``container 2 (XGBoost 1.7-1)``."""
        self.name = name
        self.spec = spec
        self.model_dir = model_dir

    @abc.abstractmethod
    def invoke(
        self, body: bytes, content_type: str | None, accept: str | None, *, batch: bool = False,
        environment: Mapping[str, str] | None = None,
    ) -> Response:
        """Answers one request; raises :class:`LocalModelError` where the container answers an error.

        :param accept: the Accept header; None (or ``*/*``) means the container's default
            (``SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT`` of :meth:`process_environment`).
        :param batch: the request comes from a batch transform (SageMaker sets ``SAGEMAKER_BATCH``).
        :param environment: a batch transform job's Environment. Default: none.
        """

    def process_environment(self, job_environment: Mapping[str, str] | None) -> dict[str, str]:
        """The container's process environment: a job's Environment, under the container's own."""
        return {**(job_environment or {}), **self.spec.environment}


def precheck(spec: LocalContainerSpec) -> str | None:
    """Why a container of an emulated image still cannot run locally, from its environment alone."""
    environment = spec.environment
    if spec.framework == SKLEARN:
        if MULTI_MODEL in environment:
            return "multi-model serving is not emulated"
        if PROGRAM not in environment:
            return f"{PROGRAM} is not set: the container has no script to serve"
        submit = environment.get(SUBMIT_DIRECTORY)
        if submit is None or not PurePosixPath(submit).is_relative_to(MODEL_DIR):
            return (f"{SUBMIT_DIRECTORY} must be inside the model archive ({MODEL_DIR}/...), got {submit!r}: "
                    "code elsewhere cannot be loaded locally (nor by a network-isolated model)")
    if spec.framework == XGBOOST:
        if PROGRAM in environment:
            return "script mode (a user script in the XGBoost container) is not emulated"
        if INFERENCE_OUTPUT in environment:
            return f"selectable inference output ({INFERENCE_OUTPUT}) is not emulated"
    return None


def load_container(name: str, spec: LocalContainerSpec, model_dir: Path) -> EmulatedContainer:
    """Starts the container of ``spec`` over the extracted archive ``model_dir``."""
    if spec.framework == SKLEARN:
        return SklearnContainer(name, spec, model_dir)
    return XGBoostContainer(name, spec, model_dir)


# --- scikit-learn -----------------------------------------------------------------------------


def _default_input_fn(data: str | bytes, content_type: str) -> Any:
    array = encoders.decode(data, content_type)
    return array.astype(np.float32) if content_type in encoders.UTF8_TYPES else array


def _default_predict_fn(data: Any, model: Any) -> Any:
    return model.predict(data)


def _default_output_fn(prediction: Any, accept: str) -> tuple[str | bytes, str]:
    return encoders.encode(prediction, accept), accept


def _import_script(script: Path, module_name: str) -> ModuleType:
    """Imports ``script`` with its folder on ``sys.path`` (so it can import its neighbours)."""
    spec = importlib.util.spec_from_file_location(module_name, script)
    if spec is None or spec.loader is None:
        raise LocalRunnerError(f"cannot import {script}")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(script.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(script.parent))
    return module


class SklearnContainer(EmulatedContainer):
    """SageMaker's scikit-learn 1.2-1 serving container running the archive's script."""

    def __init__(self, name: str, spec: LocalContainerSpec, model_dir: Path) -> None:
        super().__init__(name, spec, model_dir)
        environment = dict(spec.environment)
        code_dir = model_dir / PurePosixPath(environment[SUBMIT_DIRECTORY]).relative_to(MODEL_DIR)
        program = environment[PROGRAM]
        script = code_dir / program
        if not script.is_file():
            raise LocalRunnerError(
                f"{name}: {PROGRAM}={program} is not in the archive (looked for "
                f"{MODEL_DIR / script.relative_to(model_dir)})"
            )
        if (code_dir / "requirements.txt").is_file():
            LOG.warning("%s: requirements.txt is not installed locally; the current environment serves it", name)
        try:
            with container_environment(environment):
                module = _import_script(script, f"_local_{abs(hash((str(model_dir), program)))}")
        except Exception as error:
            raise LocalRunnerError(f"{name}: importing {program} failed: {type(error).__name__}: {error}") from error
        _check_sklearn_pickles(name, model_dir)
        model_fn = getattr(module, "model_fn", None)
        if model_fn is None:
            raise LocalRunnerError(f"{name}: {program} defines no model_fn (the container has no default one)")
        self._input_fn: Callable[[Any, str], Any] = getattr(module, "input_fn", _default_input_fn)
        self._predict_fn: Callable[[Any, Any], Any] = getattr(module, "predict_fn", _default_predict_fn)
        self._output_fn: Callable[[Any, str], Any] = getattr(module, "output_fn", _default_output_fn)
        with container_environment(environment), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                self.model = model_fn(str(model_dir))
            except Exception as error:
                raise LocalRunnerError(f"{name}: model_fn failed: {type(error).__name__}: {error}") from error
        _check_sklearn_model(name, [str(warning.message) for warning in caught])

    def invoke(
        self, body: bytes, content_type: str | None, accept: str | None, *, batch: bool = False,
        environment: Mapping[str, str] | None = None,
    ) -> Response:
        # sagemaker-containers' Request: JSON and CSV bodies as text, anything else as bytes; no
        # Accept (or */*) means SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT, which defaults to JSON.
        variables = self.process_environment(environment)
        accept = variables.get(DEFAULT_ACCEPT, encoders.JSON) if not accept or accept == "*/*" else accept
        content_type = content_type or encoders.JSON  # no ContentType header: sagemaker-containers assumes JSON
        content: str | bytes = body.decode("utf-8", "replace") if content_type in encoders.UTF8_TYPES else body
        with container_environment(variables):
            data = self._call("input_fn", self._input_fn, content, content_type, unsupported=415)
            prediction = self._call("predict_fn", self._predict_fn, data, self.model, unsupported=500)
            result = self._call("output_fn", self._output_fn, prediction, accept, unsupported=406)
        if isinstance(result, tuple):
            answer, mimetype = result[0], str(result[1])
        else:
            answer, mimetype = result, FLASK_DEFAULT_MIMETYPE
        if isinstance(answer, str):
            answer = answer.encode("utf-8")
        if not isinstance(answer, bytes):
            raise LocalModelError(
                self.name, 500, f"output_fn returned a {type(answer).__name__}; return str, bytes or (body, type)"
            )
        return Response(answer, mimetype)

    def _call(self, function: str, handler: Callable[[Any, Any], Any], first: Any, second: Any,
              *, unsupported: int) -> Any:
        try:
            return handler(first, second)
        except encoders.UnsupportedFormatError as error:
            raise LocalModelError(self.name, unsupported, str(error)) from error
        except Exception as error:
            raise LocalModelError(self.name, 500, f"{function}: {type(error).__name__}: {error}") from error


#: Where a pickled scikit-learn estimator records the release that wrote it (its state's
#: ``_sklearn_version``), found without unpickling anything.
_PICKLED_SKLEARN_VERSION = re.compile(rb"_sklearn_version.{1,12}?(\d+\.\d+(?:\.\d+)?(?:\.?[a-z]+\d*)?)", re.DOTALL)


def _pickled_sklearn_versions(model_dir: Path) -> dict[str, str]:
    """``file -> scikit-learn release`` for every pickle (or uncompressed joblib file) in the archive."""
    found = {}
    for path in sorted(model_dir.rglob("*")):
        if path.is_file() and path.suffix != ".py":
            match = _PICKLED_SKLEARN_VERSION.search(path.read_bytes())
            if match:
                found[str(path.relative_to(model_dir))] = match[1].decode("ascii")
    return found


def _check_sklearn_pickles(name: str, model_dir: Path) -> None:
    """Refuses scikit-learn pickles from another release than the container's 1.2.1.

    scikit-learn supports a pickle only in the release that wrote it, and the container loads it
    with 1.2.1 whatever this machine has installed; loading it here needs 1.2.1 too.
    """
    _, container_version = EMULATED[(SKLEARN, "1.2-1")]
    pickles = _pickled_sklearn_versions(model_dir)
    for file, version in pickles.items():
        if not same_minor(version, container_version):
            raise IncompatibleArtifactError(
                f"{name}: {file} was pickled by scikit-learn {version}; the container runs scikit-learn "
                f"{container_version}, which cannot load it reliably: refit and pickle it with {container_version}"
            )
    installed = library_version("scikit-learn")
    if pickles and (installed is None or not same_minor(installed, container_version)):
        raise IncompatibleArtifactError(
            f"{name}: {', '.join(pickles)} holds scikit-learn {container_version} objects and this environment "
            f"has scikit-learn {installed or '(none)'}: {LOCAL_EXTRA}"
        )


def _check_sklearn_model(name: str, warning_messages: list[str]) -> None:
    """Refuses what scikit-learn itself warned about while model_fn unpickled (e.g. a compressed joblib)."""
    unpickled = [message for message in warning_messages if "unpickle estimator" in message]
    if unpickled:
        raise IncompatibleArtifactError(f"{name}: model_fn loaded a pickle from another release: {unpickled[0]}")


# --- XGBoost ----------------------------------------------------------------------------------

CSV_TYPES = ("csv", "text/csv")
LIBSVM_TYPES = ("libsvm", "text/libsvm", "text/x-libsvm")
RECORDIO_PROTOBUF = "application/x-recordio-protobuf"
SUPPORTED_ACCEPTS = ("application/json", "application/jsonlines", RECORDIO_PROTOBUF, "text/csv")
#: Objectives whose ensemble predictions are a vote rather than a mean.
VOTING_OBJECTIVES = ("multi:softmax", "binary:hinge")


def _import_xgboost(name: str) -> Any:
    _, container_version = EMULATED[(XGBOOST, "1.7-1")]
    installed = library_version("xgboost")
    if installed is None or not same_minor(installed, container_version):
        raise LocalRunnerError(
            f"{name}: emulating it needs xgboost {'.'.join(container_version.split('.')[:2])}, the container's "
            f"release; this environment has {installed or 'none'}: {LOCAL_EXTRA}"
        )
    import xgboost

    return xgboost


def _check_saved_version(name: str, path: Path) -> None:
    """Refuses a JSON model saved by an xgboost newer than the container's (it cannot load it)."""
    content = path.read_bytes()
    if not content.startswith(b"{"):
        return
    try:
        version = json.loads(content).get("version")
    except (ValueError, AttributeError):
        return  # UBJSON or not a JSON object: xgboost decides
    _, container_version = EMULATED[(XGBOOST, "1.7-1")]
    supported = tuple(int(part) for part in container_version.split(".")[:2])
    if isinstance(version, list) and len(version) >= 2 and tuple(version[:2]) > supported:
        saved = ".".join(str(part) for part in version)
        raise IncompatibleArtifactError(
            f"{name}: {path.name} was saved by xgboost {saved}; the container runs xgboost {container_version}, "
            f"which cannot load models from newer releases: save it with xgboost "
            f"{'.'.join(container_version.split('.')[:2])} ({LOCAL_EXTRA})"
        )


class XGBoostContainer(EmulatedContainer):
    """SageMaker's built-in XGBoost 1.7-1 container in algorithm mode."""

    def __init__(self, name: str, spec: LocalContainerSpec, model_dir: Path) -> None:
        super().__init__(name, spec, model_dir)
        self._xgb = _import_xgboost(name)
        files = sorted(path for path in model_dir.iterdir() if path.is_file() and not path.name.startswith("."))
        if not files:
            raise LocalRunnerError(f"{name}: the archive holds no model file")
        if spec.environment.get(INFERENCE_ENSEMBLE, "true") != "true" and len(files) > 1:
            raise LocalRunnerError(
                f"{name}: with {INFERENCE_ENSEMBLE} off the container loads whichever of "
                f"{', '.join(path.name for path in files)} the file system lists first: keep one model file"
            )
        self._boosters = [self._load(path) for path in files]
        config = json.loads(self._boosters[0][0].save_config())
        self.objective: str = config["learner"]["objective"]["name"]

    def _load(self, path: Path) -> tuple[Any, bool]:
        """A booster and whether it was a pickle (serve_utils.get_loaded_booster)."""
        _check_saved_version(self.name, path)
        try:
            booster, pickled = pickle.loads(path.read_bytes()), True
        except Exception as pickle_error:
            try:
                booster, pickled = self._xgb.Booster(), False
                booster.load_model(str(path))
            except Exception as xgb_error:
                raise LocalRunnerError(
                    f"{self.name}: {path.name} cannot be loaded: as a pickle: {pickle_error}; "
                    f"with Booster.load_model: {xgb_error}"
                ) from xgb_error
        booster.set_param("nthread", 1)
        return booster, pickled

    def _dmatrix(self, body: bytes, content_type: str | None) -> tuple[Any, str]:
        kind, parameters = parse_header(content_type)
        if kind in CSV_TYPES:
            if parameters.get("label_size", "1") != "1":
                raise ValueError(f"{content_type} is not an accepted csv ContentType: label_size must be 1")
            return self._csv(body.strip().decode("utf-8")), "csv"
        if kind in LIBSVM_TYPES or not content_type:
            return self._libsvm(body.strip().decode("utf-8")), "libsvm"
        if kind == RECORDIO_PROTOBUF:
            raise LocalRunnerError(f"{self.name}: {RECORDIO_PROTOBUF} requests are not emulated")
        raise ValueError(f"Content-type {content_type} is not supported.")

    def _csv(self, text: str) -> Any:
        import csv

        sniffed = csv.Sniffer().sniff(text.split("\n")[0][:512]).delimiter
        delimiter = "," if sniffed.isalnum() else sniffed
        rows = [["nan" if field == "" else field for field in line.split(delimiter)] for line in text.split("\n")]
        return self._xgb.DMatrix(np.array(rows).astype(float))

    def _libsvm(self, text: str) -> Any:
        from scipy.sparse import csr_matrix

        rows, columns, values = [], [], []
        for row, line in enumerate(text.split("\n")):
            for item in line.split(" "):
                if ":" in item:
                    column, value = item.split(":")[:2]
                    rows.append(row)
                    columns.append(int(column))
                    values.append(float(value))
        return self._xgb.DMatrix(csr_matrix((values, (rows, columns))))

    def _predict(self, dmatrix: Any, kind: str) -> Any:
        first, pickled = self._boosters[0]
        if pickled:
            expected, given = first.num_features(), dmatrix.num_col()
            if kind == "libsvm" and given > expected + 1:
                raise ValueError(f"Feature size of libsvm inference data {given} is larger than "
                                 f"feature size of trained model {expected}.")
            if kind == "csv" and given not in (expected, expected - 1):
                raise ValueError(f"Feature size of {kind} inference data {given} is not consistent "
                                 f"with feature size of trained model {expected}.")
        predictions = []
        for booster, _ in self._boosters:
            # The container passes ntree_limit=best_ntree_limit (0, all trees, unless a pickled
            # early-stopped model says otherwise); xgboost 1.7 warns that the argument is deprecated.
            limit = getattr(booster, "best_ntree_limit", 0)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                extra = {"ntree_limit": limit} if limit else {}
                predictions.append(booster.predict(dmatrix, validate_features=False, **extra))
        if len(predictions) == 1:
            return predictions[0]
        if self.objective in VOTING_OBJECTIVES:
            stacked = np.stack(predictions)
            return np.array([_mode(column) for column in stacked.T])
        return np.mean(predictions, axis=0)

    def invoke(
        self, body: bytes, content_type: str | None, accept: str | None, *, batch: bool = False,
        environment: Mapping[str, str] | None = None,
    ) -> Response:
        if not body:
            return Response(b"", FLASK_DEFAULT_MIMETYPE)  # 204 No Content
        try:
            dmatrix, kind = self._dmatrix(body, content_type)
        except LocalRunnerError:
            raise
        except Exception as error:
            raise LocalModelError(self.name, 415, f"{type(error).__name__}: {error}") from error
        try:
            predictions = self._predict(dmatrix, kind).tolist()
        except Exception as error:
            raise LocalModelError(self.name, 400, f"Unable to evaluate payload provided: {error}") from error
        media_type, _ = parse_header(accept)
        if not media_type or media_type == "*/*":
            media_type = self.process_environment(environment).get(DEFAULT_ACCEPT, "text/csv")
        elif media_type not in SUPPORTED_ACCEPTS:
            raise LocalModelError(self.name, 406, f"Accept type {accept} is not supported. "
                                                  f"Please use supported accept types: {list(SUPPORTED_ACCEPTS)}.")
        if batch:
            answer: str | bytes = "\n".join(map(str, predictions)) + "\n"
        elif media_type == encoders.JSON:
            answer = json.dumps({"predictions": [{"score": score} for score in predictions]})
        else:
            try:
                answer = encoders.encode(predictions, media_type)
            except encoders.UnsupportedFormatError as error:
                raise LocalModelError(self.name, 500, str(error)) from error
        return Response(answer.encode("utf-8") if isinstance(answer, str) else answer, media_type)


def _mode(values: Any) -> Any:
    """The most common value, the smallest on a tie (scipy.stats.mode)."""
    distinct, counts = np.unique(values, return_counts=True)
    return distinct[int(np.argmax(counts))]
