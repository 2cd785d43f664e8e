"""InstanceType: a SageMaker hosting instance type and what its family implies."""

from __future__ import annotations

import re

from ._validation import ValidationError, Where, check, fail, is_token

#: ``ml.<family>.<size>``; a family may hold a hyphen (``p6-b200``, ``p6e-gb200``).
_PARTS = re.compile(r"ml\.(([a-z]+)(\d+)([a-z]*)(?:-[a-z0-9]+)?)\.([a-z0-9]+)")

#: Every family SageMaker hosts real-time endpoints on (botocore's ``ProductionVariantInstanceType``,
#: sagemaker 2017-07-24, as shipped with the pinned boto3). A new family is one line here.
HOSTING_FAMILIES: frozenset[str] = frozenset({
    "c4", "c5", "c5d", "c6g", "c6gd", "c6gn", "c6i", "c6in", "c7g", "c7i", "c8g",
    "m4", "m5", "m5d", "m6g", "m6gd", "m6i", "m7i", "m8g",
    "r5", "r5d", "r6g", "r6gd", "r6i", "r7gd", "r7i", "r8g",
    "t2",
    "g4dn", "g5", "g6", "g6e", "g7", "g7e",
    "p2", "p3", "p4d", "p4de", "p5", "p5e", "p5en", "p6-b200", "p6-b300", "p6e-gb200",
    "inf1", "inf2", "trn1", "trn1n", "trn2", "dl1",
})

#: Families with local NVMe instance storage although their name has no "d" (EC2's instance store
#: table): every G family since g5, P since p5, Trainium, and Gaudi (dl1). SageMaker refuses a
#: KMS key and a volume size for them, as for the "d" families (c5d, m6gd, g4dn, p4de...).
_NVME_WITHOUT_D: frozenset[str] = frozenset({
    "g5", "g6", "g6e", "g7", "g7e", "p5", "p5e", "p5en", "p6-b200", "p6-b300", "p6e-gb200",
    "trn1", "trn1n", "trn2", "dl1",
})
_RULE = "a SageMaker instance type such as ml.m5.large (a family in InstanceType.HOSTING_FAMILIES)"


class InstanceType:
    """An ``ml.<family>.<size>`` hosting instance type, e.g. ``InstanceType.of("ml.m5.large")``.

    The family decides what an endpoint allows: GPUs and Inferentia/Trainium/Gaudi chips cannot take
    an Elastic Inference accelerator, burstable ``t`` types cannot autoscale, and families with local
    NVMe storage take no KMS key and no volume size. A token (e.g. a CfnParameter) has no known
    family, and then none of these rules is checked.
    """

    #: Every family SageMaker hosts endpoints on.
    HOSTING_FAMILIES = HOSTING_FAMILIES

    def __init__(self, name: str) -> None:
        """Prefer ``InstanceType.of``; ``name`` must be a hosting instance type or a token."""
        self.name = name
        token = is_token(name)
        parts = None if token else _PARTS.fullmatch(name)
        if not token:
            check("InstanceType", parts is not None and parts.group(1) in HOSTING_FAMILIES, "name", _RULE, name)
        #: The family, e.g. ``"m5"``, ``"g4dn"``, ``"p6-b200"``; None for a token.
        self.family: str | None = parts.group(1) if parts else None
        self._series = parts.group(2) if parts else ""
        self._attributes = parts.group(4) if parts else ""

    @staticmethod
    def of(name: str | InstanceType) -> InstanceType:
        """The instance type named ``name`` (``ml.`` prefix included), an ``InstanceType`` as it is,
        or a token. Anything else is refused with the standard one-line message."""
        return to_instance_type("InstanceType.of", "name", name)

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


def to_instance_type(where: Where, prop: str, value: str | InstanceType) -> InstanceType:
    """``value`` as an ``InstanceType``, or the standard error naming ``prop`` at ``where``."""
    if isinstance(value, InstanceType):
        return value
    if not isinstance(value, str):
        raise fail(where, prop, "an InstanceType or its name, e.g. 'ml.m5.large'", value)
    try:
        return InstanceType(value)
    except ValidationError:
        raise fail(where, prop, _RULE, value) from None


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
