"""``python -m cdk_sagemaker_inference``: the command line of :mod:`cdk_sagemaker_inference.runtime.cli`."""

from __future__ import annotations

import sys

from .runtime import cli


def main() -> int:
    """The console script ``cdk-sagemaker-inference``: runs the command line, returns its exit status."""
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
