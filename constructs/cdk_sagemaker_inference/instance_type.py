"""InstanceType: a SageMaker instance type, what its family implies, and what SageMaker runs on it."""

from __future__ import annotations

import enum
import json
import re
from importlib.resources import files

from ._validation import Where, fail, is_token

#: ``ml.<family>.<size>``; a family may hold a hyphen (``p6-b200``, ``p6e-gb200``).
_PARTS = re.compile(r"ml\.(([a-z]+)(\d+)([a-z]*)(?:-[a-z0-9]+)?)\.([a-z0-9]+)")


class InstanceUse(enum.Enum):
    """What SageMaker runs on an instance type. Each use takes its own closed list of types (botocore's
    enums, sagemaker 2017-07-24, as shipped with the pinned boto3; ``tools/update_instance_types.py``)."""

    #: Endpoint variants, inference components, a version's real-time types (``ProductionVariantInstanceType``).
    HOSTING = "hosting"
    #: Batch transform jobs and a version's transform types (``TransformInstanceType``).
    TRANSFORM = "transform"
    #: Training and tuning jobs (``TrainingInstanceType``).
    TRAINING = "training"


#: Each use's families and their sizes, in botocore's order.
_SIZES: dict[InstanceUse, dict[str, list[str]]] = {
    InstanceUse(use): families for use, families in json.loads(
        (files(__package__) / "data" / "instance_types.json").read_text("utf-8")).items()
}

#: Every family SageMaker hosts real-time endpoints on.
HOSTING_FAMILIES: frozenset[str] = frozenset(_SIZES[InstanceUse.HOSTING])

#: Families with local NVMe instance storage although their name has no "d" (EC2's instance store
#: table): every G family since g5, P since p5, Trainium, and Gaudi (dl1). SageMaker refuses a
#: KMS key and a volume size for them, as for the "d" families (c5d, m6gd, g4dn, p4de...).
_NVME_WITHOUT_D: frozenset[str] = frozenset({
    "g5", "g6", "g6e", "g7", "g7e", "p5", "p5e", "p5en", "p6-b200", "p6-b300", "p6e-gb200",
    "trn1", "trn1n", "trn2", "dl1",
})
_RULE = "a SageMaker instance type such as ml.m5.large (InstanceType.names lists them by use)"
_EXAMPLE = {InstanceUse.HOSTING: "ml.m5.large", InstanceUse.TRANSFORM: "ml.m5.large",
            InstanceUse.TRAINING: "ml.m5.xlarge"}


def _is_for(use: InstanceUse, name: str) -> bool:
    parts = _PARTS.fullmatch(name)
    return parts is not None and parts.group(5) in _SIZES[use].get(parts.group(1), ())


def _is_known(name: str) -> bool:
    return any(_is_for(use, name) for use in InstanceUse)


def _requirement(use: InstanceUse, name: str) -> str:
    """What ``use`` allows, said for the type ``name`` was meant to be: its family's sizes if the
    use has the family."""
    parts = _PARTS.fullmatch(name)
    family = parts.group(1) if parts else ""
    sizes = _SIZES[use].get(family)
    if sizes:
        return f"a SageMaker {use.value} instance type (ml.{family} sizes: {', '.join(sizes)})"
    return (f"a SageMaker {use.value} instance type such as {_EXAMPLE[use]} "
            f"(InstanceType.names(InstanceUse.{use.name}) lists them)")


class InstanceType:
    """An ``ml.<family>.<size>`` instance type, e.g. ``InstanceType.of("ml.m5.large")``: one that SageMaker
    hosts, transforms or trains on (each prop checks its own use, ``InstanceUse``).

    The family decides what an endpoint allows: GPUs and Inferentia/Trainium/Gaudi chips cannot take
    an Elastic Inference accelerator, burstable ``t`` types cannot autoscale, and families with local
    NVMe storage take no KMS key and no volume size. A token (e.g. a CfnParameter) has no known
    family, and then none of these rules is checked.
    """

    #: Every family SageMaker hosts endpoints on.
    HOSTING_FAMILIES = HOSTING_FAMILIES

    def __init__(self, name: str) -> None:
        """Prefer ``InstanceType.of``; ``name`` must be an instance type of some ``InstanceUse``, or a token."""
        self.name = name
        token = is_token(name)
        if not (token or _is_known(name)):
            raise fail("InstanceType", "name", _RULE, name)
        parts = None if token else _PARTS.fullmatch(name)
        #: The family, e.g. ``"m5"``, ``"g4dn"``, ``"p6-b200"``; None for a token.
        self.family: str | None = parts.group(1) if parts else None
        self._series = parts.group(2) if parts else ""
        self._attributes = parts.group(4) if parts else ""

    @staticmethod
    def of(name: str | InstanceType) -> InstanceType:
        """The instance type named ``name`` (``ml.`` prefix included), an ``InstanceType`` as it is,
        or a token. Anything else is refused with the standard one-line message."""
        return to_instance_type("InstanceType.of", "name", name, None)

    @staticmethod
    def names(use: InstanceUse) -> frozenset[str]:
        """Every instance type name SageMaker takes for ``use``."""
        return frozenset(f"ml.{family}.{size}" for family, sizes in _SIZES[use].items() for size in sizes)

    @property
    def is_gpu(self) -> bool:
        """An NVIDIA GPU family (``p*``, ``g*``)."""
        return self._series in ("p", "g")

    @property
    def is_aws_accelerator(self) -> bool:
        """An AWS Inferentia or Trainium family (``inf*``, ``trn*``), or Gaudi (``dl1``)."""
        return self._series in ("inf", "trn", "dl")

    @property
    def is_burstable(self) -> bool:
        """A burstable ``t`` family, which Application Auto Scaling cannot scale."""
        return self._series == "t"

    @property
    def has_local_nvme_storage(self) -> bool:
        """Local NVMe instance storage: a "d" in the family (c5d, m5d, p4d, g4dn) or one of the
        newer families that have it anyway (g5 and later G, p5 and later P, trn*, dl1).

        SageMaker refuses a KMS key and a volume size for these; their storage is encrypted by the
        hardware.
        """
        if self.family is None:
            return False
        return "d" in self._attributes or self.family in _NVME_WITHOUT_D

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"InstanceType({self.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, InstanceType) and other.name == self.name

    def __hash__(self) -> int:
        return hash(self.name)

    # Common types, so that callers need no strings for them.
    T2_MEDIUM: InstanceType
    M5_LARGE: InstanceType
    M5_XLARGE: InstanceType
    C5_LARGE: InstanceType
    C5_XLARGE: InstanceType
    C5D_XLARGE: InstanceType
    G4DN_XLARGE: InstanceType
    G5_XLARGE: InstanceType
    G6_XLARGE: InstanceType
    INF2_XLARGE: InstanceType
    P5_48XLARGE: InstanceType


def to_instance_type(where: Where, prop: str, value: str | InstanceType,
                     use: InstanceUse | None = InstanceUse.HOSTING) -> InstanceType:
    """``value`` as an ``InstanceType`` that SageMaker takes for ``use`` (None: for any use), or the
    standard error naming ``prop`` at ``where``."""
    if not isinstance(value, (InstanceType, str)):
        raise fail(where, prop, "an InstanceType or its name, e.g. 'ml.m5.large'", value)
    name = value.name if isinstance(value, InstanceType) else value
    taken = _is_known(name) if use is None else _is_for(use, name)
    if not (taken or is_token(name)):
        raise fail(where, prop, _RULE if use is None else _requirement(use, name), name)
    return value if isinstance(value, InstanceType) else InstanceType(name)


InstanceType.T2_MEDIUM = InstanceType("ml.t2.medium")
InstanceType.M5_LARGE = InstanceType("ml.m5.large")
InstanceType.M5_XLARGE = InstanceType("ml.m5.xlarge")
InstanceType.C5_LARGE = InstanceType("ml.c5.large")
InstanceType.C5_XLARGE = InstanceType("ml.c5.xlarge")
InstanceType.C5D_XLARGE = InstanceType("ml.c5d.xlarge")
InstanceType.G4DN_XLARGE = InstanceType("ml.g4dn.xlarge")
InstanceType.G5_XLARGE = InstanceType("ml.g5.xlarge")
InstanceType.G6_XLARGE = InstanceType("ml.g6.xlarge")
InstanceType.INF2_XLARGE = InstanceType("ml.inf2.xlarge")
InstanceType.P5_48XLARGE = InstanceType("ml.p5.48xlarge")
