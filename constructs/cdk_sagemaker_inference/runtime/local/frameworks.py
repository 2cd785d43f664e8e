"""Which containers the local runner emulates, and how a declared image maps to one of them.

A container is named by the prebuilt image it stands for (framework and version, as in
``ContainerImage.sagemaker_builtin``), its model.tar.gz and its environment. An image URI is
recognised by its ``<repository>:<tag>`` from the same data the constructs resolve images with, so a
region-agnostic image (resolved at deploy time) is recognised too.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..frameworks import Framework, Processor, UnknownFrameworkImageError, framework_image, framework_versions

#: The frameworks the runner emulates, as ``Framework`` spells them.
SKLEARN = Framework.SKLEARN.value
XGBOOST = Framework.XGBOOST.value

#: The containers whose serving code the runner reproduces, with the library version each runs
#: (sagemaker-scikit-learn-container 1.2-1 over sagemaker-containers 2.8.6; sagemaker-xgboost-container
#: 1.7-1's algorithm mode). Another version's serving code has not been checked, so it is refused.
EMULATED: Mapping[tuple[str, str], tuple[str, str]] = {
    (SKLEARN, "1.2-1"): ("scikit-learn", "1.2.1"),
    (XGBOOST, "1.7-1"): ("xgboost", "1.7.6"),
}

_DISPLAY = {SKLEARN: "scikit-learn", XGBOOST: "XGBoost"}


@dataclass(frozen=True)
class LocalContainerSpec:
    """One container of a model, as the local runner needs it.

    :param framework: the prebuilt image's framework, as ``Framework`` spells it (``sklearn``,
        ``xgboost``, ...); None for an image that is not a SageMaker prebuilt one.
    :param version: the framework version, e.g. ``1.2-1``. Default: None (refused).
    :param archive: the model.tar.gz. Default: None (a container without artifacts, refused).
    :param environment: the container's environment. Default: empty.
    :param image: the image as declared, for messages. Default: the framework and version.
    """

    framework: str | None
    version: str | None = None
    archive: Path | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    image: str | None = None

    def describe(self) -> str:
        """``scikit-learn 1.2-1``, or the image for one that is not prebuilt."""
        if self.framework is None:
            return self.image or "an image"
        return f"{_DISPLAY.get(self.framework, self.framework)} {self.version or ''}".strip()


@functools.cache
def _images() -> dict[tuple[str, str], tuple[str, str]]:
    """``(repository, tag) -> (framework, version)`` over every prebuilt image the package knows."""
    known: dict[tuple[str, str], tuple[str, str]] = {}
    for framework in Framework:
        for version in set(framework_versions(framework).values()):
            for processor in Processor:
                try:
                    image = framework_image(framework, version, processor)
                except UnknownFrameworkImageError:
                    continue  # no build for this processor
                known[(image.repository, image.tag)] = (framework.value, version)
    return known


_IMAGE_TAIL = re.compile(r"/(?P<repository>[a-z0-9._-]+):(?P<tag>[A-Za-z0-9_.-]+)$")


def identify_image(image: str) -> tuple[str, str] | None:
    """``(framework, version)`` of a prebuilt image URI such as ``<account>.dkr.ecr.<region>.<suffix>/
    sagemaker-scikit-learn:1.2-1-cpu-py3`` (the host may be a placeholder); None for any other image."""
    match = _IMAGE_TAIL.search(image)
    if match is None:
        return None
    return _images().get((match["repository"], match["tag"]))


def refusal(spec: LocalContainerSpec) -> str | None:
    """Why the runner cannot emulate ``spec`` (None when it can)."""
    if spec.framework is None:
        return "a custom image; only SageMaker's prebuilt scikit-learn and XGBoost images are emulated"
    if spec.framework not in (SKLEARN, XGBOOST):
        return f"the {spec.framework} framework is not emulated"
    if (spec.framework, spec.version) not in EMULATED:
        emulated = ", ".join(v for f, v in EMULATED if f == spec.framework)
        return f"version {spec.version} is not emulated (emulated: {emulated})"
    if spec.archive is None:
        return "no model.tar.gz"
    if not spec.archive.is_file():
        return f"no model.tar.gz at {spec.archive}"
    return None
