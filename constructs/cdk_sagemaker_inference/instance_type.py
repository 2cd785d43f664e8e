"""InstanceType: a SageMaker hosting instance type and what its family implies."""

from __future__ import annotations

import re

from aws_cdk import Token

_PARTS = re.compile(r"ml\.([a-z]+)(\d+)([a-z-]*)\.([a-z0-9]+)")
#: Families whose storage is local NVMe although their name has no "d" (REFERENCE.md).
_NVME_WITHOUT_D = ("g5", "g6", "p5", "trn1")


class InstanceType:
    """An ``ml.<family>.<size>`` instance type, e.g. ``InstanceType.of("ml.m5.large")``.

    The family decides what an endpoint allows: GPUs and Inferentia/Trainium chips cannot take an
    Elastic Inference accelerator, burstable ``t`` types cannot autoscale, and families with local
    NVMe storage take no KMS key and no volume size. A token (e.g. a CfnParameter) has no known
    family, and then none of these rules is checked.
    """

    def __init__(self, name: str) -> None:
        """Prefer ``InstanceType.of``. ``name`` is checked by the construct that uses it."""
        self.name = name
        parts = None if Token.is_unresolved(name) else _PARTS.fullmatch(name)
        #: The family, e.g. ``"m5"``, ``"g4dn"``, ``"inf2"``; None for a token or an unknown format.
        self.family: str | None = parts.group(1) + parts.group(2) + parts.group(3) if parts else None
        self._series = parts.group(1) if parts else ""
        self._attributes = parts.group(3) if parts else ""

    @staticmethod
    def of(name: str) -> InstanceType:
        """The instance type named ``name`` (``ml.`` prefix included), or a token."""
        return InstanceType(name)

    @property
    def is_gpu(self) -> bool:
        """An NVIDIA GPU family (``p*``, ``g*``)."""
        return self._series in ("p", "g")

    @property
    def is_aws_accelerator(self) -> bool:
        """An AWS Inferentia or Trainium family (``inf*``, ``trn*``)."""
        return self._series in ("inf", "trn")

    @property
    def is_burstable(self) -> bool:
        """A burstable ``t`` family, which Application Auto Scaling cannot scale."""
        return self._series == "t"

    @property
    def has_local_nvme_storage(self) -> bool:
        """Local NVMe instance storage: a "d" in the family (c5d, m5d, p4d, g4dn) or g5, g6, p5, trn1.

        SageMaker refuses a KMS key and a volume size for these; their storage is encrypted by the
        hardware.
        """
        if self.family is None:
            return False
        return "d" in self._attributes or self.family.startswith(_NVME_WITHOUT_D)

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"InstanceType({self.name!r})"

    # Common types, so that callers need no strings for them.
    T2_MEDIUM: InstanceType
    M5_LARGE: InstanceType
    M5_XLARGE: InstanceType
    C5_LARGE: InstanceType
    C5_XLARGE: InstanceType
    C5D_XLARGE: InstanceType
    G4DN_XLARGE: InstanceType
    G5_XLARGE: InstanceType
    INF2_XLARGE: InstanceType


InstanceType.T2_MEDIUM = InstanceType("ml.t2.medium")
InstanceType.M5_LARGE = InstanceType("ml.m5.large")
InstanceType.M5_XLARGE = InstanceType("ml.m5.xlarge")
InstanceType.C5_LARGE = InstanceType("ml.c5.large")
InstanceType.C5_XLARGE = InstanceType("ml.c5.xlarge")
InstanceType.C5D_XLARGE = InstanceType("ml.c5d.xlarge")
InstanceType.G4DN_XLARGE = InstanceType("ml.g4dn.xlarge")
InstanceType.G5_XLARGE = InstanceType("ml.g5.xlarge")
InstanceType.INF2_XLARGE = InstanceType("ml.inf2.xlarge")
