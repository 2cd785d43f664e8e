"""SageMaker's prebuilt inference images: which versions exist, where, and their URIs (no AWS call).

The facts live in ``data/framework_images.json`` (read once per process): for each framework the
versions served, their tags per processor and the regions where *that version* is published, and the
SageMaker SDK's short versions (``"2.1"`` -> ``"2.1.0"``). The constructs resolve images from here;
so can any boto3-only code (a local runner, a CLI)::

    image = framework_image(Framework.PYTORCH, "2.1")
    image.version             # "2.1.0", the pinned full version
    image.uri("eu-west-1")    # "763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310"
"""

from __future__ import annotations

import enum
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files
from typing import Any, TypeVar

from .enums import enum_member

_E = TypeVar("_E", bound=enum.Enum)


class Framework(enum.Enum):
    """SageMaker's prebuilt inference images (the ``-EI`` ones run with an Elastic Inference accelerator)."""

    XGBOOST = "xgboost"
    SKLEARN = "sklearn"
    SPARKML_SERVING = "sparkml-serving"
    PYTORCH = "pytorch"
    TENSORFLOW = "tensorflow"
    MXNET = "mxnet"
    PYTORCH_EI = "pytorch-eia"
    TENSORFLOW_EI = "tensorflow-eia"
    MXNET_EI = "mxnet-eia"


class Processor(enum.Enum):
    """The processor a prebuilt image is built for."""

    CPU = "cpu"
    GPU = "gpu"


class UnknownFrameworkImageError(ValueError):
    """A framework version, processor or region for which no prebuilt image is published.

    ``prop`` names what is wrong (``version``, ``processor`` or ``region``), ``allowed`` lists what
    would work, ``value`` is what was asked for: callers can word the error their own way.
    """

    def __init__(self, image: str, prop: str, allowed: list[str], value: object) -> None:
        """:param image: the framework, and its version once that is known, e.g. ``pytorch 2.1.0``."""
        super().__init__(f"{image}: {prop} must be one of {', '.join(map(repr, allowed))}, got {value!r}")
        self.image = image
        self.prop = prop
        self.allowed = allowed
        self.value = value


@dataclass(frozen=True)
class FrameworkImage:
    """One prebuilt image: a framework at a pinned version, for one processor."""

    framework: Framework
    #: The full version the image is built from (a short version resolves to it).
    version: str
    processor: Processor
    #: The ECR repository name, e.g. ``pytorch-inference``.
    repository: str
    tag: str
    #: Which of SageMaker's registries holds it (``algorithms`` or ``deep-learning-containers``).
    registry: str
    #: The registry account per region, only for regions where this version is published.
    accounts: Mapping[str, str]
    #: The image can use an Elastic Inference accelerator.
    elastic_inference: bool

    @property
    def regions(self) -> list[str]:
        """The regions where this version is published, sorted."""
        return sorted(self.accounts)

    def uri(self, region: str) -> str:
        """The image URI in ``region``; raises :class:`UnknownFrameworkImageError` where it is not published."""
        if region not in self.accounts:
            raise UnknownFrameworkImageError(f"{self.framework.value} {self.version}", "region", self.regions, region)
        suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
        return f"{self.accounts[region]}.dkr.ecr.{region}.{suffix}/{self.repository}:{self.tag}"


@functools.cache
def _data() -> dict[str, Any]:
    """The data file, read once per process."""
    text = (files(__package__) / "data" / "framework_images.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def framework_versions(framework: Framework | str) -> dict[str, str]:
    """Every version ``framework`` (a ``Framework`` or its value, ``"pytorch"``) accepts -> the full
    version it pins: full ones, then short ones.

    :raises UnknownFrameworkImageError: ``framework`` is neither.
    """
    spec = _data()["frameworks"][_member(Framework, "framework", framework).value]
    return {**{version: version for version in spec["versions"]}, **spec["aliases"]}


def framework_image(
    framework: Framework | str, version: str, processor: Processor | str = Processor.CPU
) -> FrameworkImage:
    """The prebuilt image of ``framework`` at ``version`` (full, or the SDK's short form) for ``processor``.

    :param framework: a ``Framework`` or its value (``"pytorch"``).
    :param processor: a ``Processor`` or its value (``"gpu"``). Default: CPU, because every prebuilt
        image has a CPU build and the Elastic Inference images have only that.
    :raises UnknownFrameworkImageError: no such framework or processor, no such version, or no build
        for that processor.
    """
    framework = _member(Framework, "framework", framework)
    processor = _member(Processor, "processor", processor)
    versions = framework_versions(framework)
    if version not in versions:
        raise UnknownFrameworkImageError(framework.value, "version", list(versions), version)
    spec = _data()["frameworks"][framework.value]
    full = versions[version]
    tags: dict[str, str] = spec["versions"][full]["tags"]
    if processor.value not in tags:
        raise UnknownFrameworkImageError(f"{framework.value} {full}", "processor", list(tags), processor.value)
    accounts: dict[str, str] = _data()["registries"][spec["registry"]]
    return FrameworkImage(
        framework=framework,
        version=full,
        processor=processor,
        repository=spec["repository"],
        tag=tags[processor.value],
        registry=spec["registry"],
        accounts={region: accounts[region] for region in spec["versions"][full]["regions"]},
        elastic_inference=spec["elastic_inference"],
    )


def _member(kind: type[_E], prop: str, value: object) -> _E:
    """``value`` as a member of ``kind`` (see ``enum_member``), else the error listing its values."""
    member = enum_member(kind, value)
    if member is None:
        raise UnknownFrameworkImageError("framework_image", prop, [known.value for known in kind], value)
    return member
