"""Rewrites tests/acknowledgments.json from the reference app, for review in the diff.

Run it after adding an acknowledgment on purpose: `python tools/update_acknowledgments.py`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from stacks import build_app, cdk_json_context  # noqa: E402
from tests.test_app import ACKNOWLEDGMENTS, acknowledgments  # noqa: E402

if __name__ == "__main__":
    app = build_app(cdk_json_context())
    app.synth()  # some acknowledgments are added while the tree is validated
    ACKNOWLEDGMENTS.write_text(json.dumps(acknowledgments(app), indent=2, sort_keys=True) + "\n")
    print(f"wrote {ACKNOWLEDGMENTS.relative_to(REPO)}")
