#!/usr/bin/env python3
"""Rewrites the instance types each SageMaker use accepts from the installed botocore's API model.

    python tools/update_instance_types.py

Hosting (endpoints, inference components, a version's real-time types), transform and training
(tuning jobs) each take their own closed list: botocore's ``ProductionVariantInstanceType``,
``TransformInstanceType`` and ``TrainingInstanceType`` enums. The data file keeps them as
family -> sizes, in botocore's order; ``tests/test_values.py`` keeps it equal to the pinned botocore.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import botocore

DATA = Path(__file__).resolve().parent.parent / "constructs/cdk_sagemaker_inference/data/instance_types.json"
#: The data file's key -> botocore's enum shape.
SHAPES = {
    "hosting": "ProductionVariantInstanceType",
    "transform": "TransformInstanceType",
    "training": "TrainingInstanceType",
}


def from_botocore() -> dict[str, dict[str, list[str]]]:
    """Each use's instance types, ``{"hosting": {"m5": ["large", ...], ...}, ...}``."""
    model = Path(botocore.__file__).parent / "data" / "sagemaker" / "2017-07-24" / "service-2.json.gz"
    shapes = json.loads(gzip.decompress(model.read_bytes()))["shapes"]
    data: dict[str, dict[str, list[str]]] = {}
    for use, shape in SHAPES.items():
        families: dict[str, list[str]] = {}
        for name in shapes[shape]["enum"]:
            _, family, size = name.split(".")
            families.setdefault(family, []).append(size)
        data[use] = families
    return data


def render(data: dict[str, dict[str, list[str]]]) -> str:
    """``data`` as JSON with one line per family, so that a new family or size is a one-line diff."""
    uses = ",\n".join(
        f"  {json.dumps(use)}: {{\n" + ",\n".join(f"    {json.dumps(family)}: {json.dumps(sizes)}"
                                                 for family, sizes in families.items()) + "\n  }"
        for use, families in data.items())
    return "{\n" + uses + "\n}\n"


if __name__ == "__main__":
    DATA.parent.mkdir(exist_ok=True)
    DATA.write_text(render(from_botocore()), encoding="utf-8")
