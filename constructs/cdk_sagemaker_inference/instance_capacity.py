"""What a hosting instance type offers the inference components it hosts (CDK-free data).

Source: the Amazon EC2 instance type specifications (docs.aws.amazon.com/ec2/latest/instancetypes/,
"General purpose", "Compute optimized" and "Accelerated computing" pages); a SageMaker ``ml.<type>``
runs on the EC2 type of the same name. Only the families listed here are known: for any other type
the components' requirements are not checked at synth (SageMaker checks them at deploy time).

SageMaker keeps part of every instance for its own agents, so requirements that fit these figures
are necessary, not sufficient: leave headroom.
"""

from __future__ import annotations

from dataclasses import dataclass

_GIB = 1024


@dataclass(frozen=True)
class InstanceCapacity:
    """The hardware of one instance type."""

    #: Virtual CPUs (what ``NumberOfCpuCoresRequired`` is measured against).
    vcpus: int
    #: Memory in MiB (what ``MinMemoryRequiredInMb`` is measured against).
    memory_mb: int
    #: NVIDIA GPUs (``NumberOfAcceleratorDevicesRequired``); 0 on a CPU type.
    accelerators: int


def _sizes(family: str, rows: list[tuple[str, int, int, int]]) -> dict[str, InstanceCapacity]:
    """``rows`` of (size, vCPUs, memory GiB, GPUs) as ``{"ml.<family>.<size>": capacity}``."""
    return {
        f"ml.{family}.{size}": InstanceCapacity(vcpus=vcpus, memory_mb=memory_gib * _GIB, accelerators=gpus)
        for size, vcpus, memory_gib, gpus in rows
    }


#: Per instance type name; the families SageMaker hosts inference components on most often.
CAPACITIES: dict[str, InstanceCapacity] = {
    # General purpose and compute optimized (CPU only).
    **_sizes("m5", [("large", 2, 8, 0), ("xlarge", 4, 16, 0), ("2xlarge", 8, 32, 0), ("4xlarge", 16, 64, 0),
                    ("12xlarge", 48, 192, 0), ("24xlarge", 96, 384, 0)]),
    **_sizes("c5", [("large", 2, 4, 0), ("xlarge", 4, 8, 0), ("2xlarge", 8, 16, 0), ("4xlarge", 16, 32, 0),
                    ("9xlarge", 36, 72, 0), ("18xlarge", 72, 144, 0)]),
    # NVIDIA T4.
    **_sizes("g4dn", [("xlarge", 4, 16, 1), ("2xlarge", 8, 32, 1), ("4xlarge", 16, 64, 1),
                      ("8xlarge", 32, 128, 1), ("12xlarge", 48, 192, 4), ("16xlarge", 64, 256, 1)]),
    # NVIDIA A10G (g5) and L4 (g6): the same vCPU, memory and GPU counts per size.
    **{
        name: capacity
        for family in ("g5", "g6")
        for name, capacity in _sizes(family, [
            ("xlarge", 4, 16, 1), ("2xlarge", 8, 32, 1), ("4xlarge", 16, 64, 1), ("8xlarge", 32, 128, 1),
            ("12xlarge", 48, 192, 4), ("16xlarge", 64, 256, 1), ("24xlarge", 96, 384, 4),
            ("48xlarge", 192, 768, 8),
        ]).items()
    },
    # NVIDIA L40S.
    **_sizes("g6e", [("xlarge", 4, 32, 1), ("2xlarge", 8, 64, 1), ("4xlarge", 16, 128, 1),
                     ("8xlarge", 32, 256, 1), ("12xlarge", 48, 384, 4), ("16xlarge", 64, 512, 1),
                     ("24xlarge", 96, 768, 4), ("48xlarge", 192, 1536, 8)]),
    # NVIDIA A100 and H100.
    **_sizes("p4d", [("24xlarge", 96, 1152, 8)]),
    **_sizes("p5", [("48xlarge", 192, 2048, 8)]),
}


def capacity_of(instance_type: str) -> InstanceCapacity | None:
    """The capacity of ``instance_type`` (e.g. ``"ml.g5.xlarge"``); None when this table lacks it."""
    return CAPACITIES.get(instance_type)
