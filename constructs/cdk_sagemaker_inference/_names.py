"""SageMaker name patterns and ARN forms: the one place (CDK-free).

SageMaker names endpoints, endpoint configs, models, variants, container hostnames, model package
groups and inference components with the same rule; the rule and its wording live here so that
every construct refuses a bad name with the same message.
"""

from __future__ import annotations

#: SageMaker's pattern for endpoint, endpoint config, model, variant and container host names.
NAME_PATTERN = r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"
#: ``NAME_PATTERN`` in words, for validation messages.
NAME_RULE = "1-63 letters, digits and hyphens, starting and ending with a letter or digit"

#: How aws-cdk encodes an unresolved string token (``Token.is_unresolved`` without importing CDK).
_TOKEN_MARK = "${Token["


def arn_name_forms(name: str) -> list[str]:
    """A name as it may appear in the ARNs IAM matches: as given and, when it differs, lowercased.

    SageMaker keeps a model package group's case in its ARNs while some tools (moto among them)
    report names lowercased, and IAM matches ARNs case-sensitively: grants list both forms, which
    denote the same resource, so this widens nothing. A token stays as it is.
    """
    if _TOKEN_MARK in name or name == name.lower():
        return [name]
    return [name, name.lower()]
