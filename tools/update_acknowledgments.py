"""Rewrites tests/acknowledgments.json from the reference app, for review in the diff.

Run it after adding an acknowledgment on purpose: `python tools/update_acknowledgments.py`.
It also rewrites tests/pipeline_acknowledgments.json from the app with the deployment pipeline.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from stacks import build_app, cdk_json_context  # noqa: E402
from tests.test_app import ACKNOWLEDGMENTS, acknowledgments  # noqa: E402
from tests.test_pipeline import PIPELINE_ACKNOWLEDGMENTS, PIPELINE_CONTEXT, pipeline_acknowledgments  # noqa: E402


def write_pipeline_acknowledgments() -> None:
    app = build_app({**cdk_json_context(), **PIPELINE_CONTEXT})
    app.synth()
    PIPELINE_ACKNOWLEDGMENTS.write_text(json.dumps(pipeline_acknowledgments(app), indent=2, sort_keys=True) + "\n")
    print(f"wrote {PIPELINE_ACKNOWLEDGMENTS.relative_to(REPO)}")

if __name__ == "__main__":
    app = build_app(cdk_json_context())
    app.synth()  # some acknowledgments are added while the tree is validated
    ACKNOWLEDGMENTS.write_text(json.dumps(acknowledgments(app), indent=2, sort_keys=True) + "\n")
    print(f"wrote {ACKNOWLEDGMENTS.relative_to(REPO)}")
    write_pipeline_acknowledgments()
