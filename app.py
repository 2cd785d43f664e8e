#!/usr/bin/env python3
"""The reference app. `make synth` runs it through the CDK CLI; `python app.py` works too."""

import sys

from cdk_sagemaker_inference import ValidationError

from stacks import build_app

try:
    app = build_app()
except ValidationError as error:
    # A bad configuration is the user's input, not a bug: one line, no traceback, non-zero exit.
    print(f"error: {error}", file=sys.stderr)
    sys.exit(1)
app.synth()
