"""cdk-sagemaker-inference: AWS CDK constructs for serving models on Amazon SageMaker."""

from ._validation import ValidationError
from .compliance import RULE_PACKS, acknowledge, apply_compliance_gate
from .shared_resources import SharedResources

__all__ = [
    "RULE_PACKS",
    "SharedResources",
    "ValidationError",
    "acknowledge",
    "apply_compliance_gate",
]
