#!/usr/bin/env python3
"""Refreshes the regions and short versions of the prebuilt framework images from the SageMaker SDK.

    python tools/update_framework_images.py /path/to/sagemaker-python-sdk/.../image_uri_config

The versions we serve and their tags are curated in the data file itself; this tool rewrites, for
each of them, the regions where that version is published (the SDK's per-version ``registries``,
minus regions outside the data file's registry tables, e.g. the ISO partitions) and the SDK's short
versions (``version_aliases``) that point at a version we serve.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / (
    "constructs/cdk_sagemaker_inference/runtime/data/framework_images.json"
)
#: Our framework -> (SDK config file, scope in it); sparkml-serving has no scopes.
SDK_SOURCE = {
    "xgboost": ("xgboost", "inference"),
    "sklearn": ("sklearn", "inference"),
    "sparkml-serving": ("sparkml-serving", None),
    "pytorch": ("pytorch", "inference"),
    "tensorflow": ("tensorflow", "inference"),
    "mxnet": ("mxnet", "inference"),
    "pytorch-eia": ("pytorch", "eia"),
    "tensorflow-eia": ("tensorflow", "eia"),
    "mxnet-eia": ("mxnet", "eia"),
}


def refresh(data: dict[str, Any], sdk_dir: Path) -> dict[str, Any]:
    """``data`` with every served version's regions and aliases taken from the SDK's configs."""
    for name, framework in data["frameworks"].items():
        file, scope = SDK_SOURCE[name]
        config = json.loads((sdk_dir / f"{file}.json").read_text("utf-8"))
        sdk = config[scope] if scope else config
        accounts: dict[str, str] = data["registries"][framework["registry"]]
        for version, spec in framework["versions"].items():
            published: dict[str, str] = sdk["versions"][version]["registries"]
            mismatched = {r for r, a in published.items() if r in accounts and accounts[r] != a}
            if mismatched:
                raise SystemExit(f"{name} {version}: registry accounts differ in {sorted(mismatched)}")
            if sdk["versions"][version]["repository"] != framework["repository"]:
                raise SystemExit(f"{name} {version}: repository {sdk['versions'][version]['repository']}")
            spec["regions"] = sorted(set(published) & set(accounts))
        aliases = sdk.get("version_aliases", {})
        framework["aliases"] = {a: v for a, v in sorted(aliases.items()) if v in framework["versions"]}
    return data


if __name__ == "__main__":
    refreshed = refresh(json.loads(DATA.read_text("utf-8")), Path(sys.argv[1]))
    DATA.write_text(json.dumps(refreshed, indent=2, sort_keys=False) + "\n", encoding="utf-8")
