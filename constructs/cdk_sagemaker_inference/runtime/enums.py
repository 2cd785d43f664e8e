"""Enum props that also take their values: what is read from configuration arrives as text.

Boto3-only code and the constructs share the lookup; each caller words the refusal its own way.
"""

from __future__ import annotations

import enum
from typing import TypeVar

_E = TypeVar("_E", bound=enum.Enum)


class ModelApprovalStatus(enum.Enum):
    """Whether a version may be deployed. Deployment automation acts on ``APPROVED`` only.

    Here rather than with the registry client (which re-exports it) so that constructs that declare
    versions import no botocore."""

    PENDING_MANUAL_APPROVAL = "PendingManualApproval"
    APPROVED = "Approved"
    REJECTED = "Rejected"


def enum_member(kind: type[_E], value: object) -> _E | None:
    """``value`` as a member of ``kind``: a member itself, or the member whose value it is; None
    for anything else (the caller refuses it, listing ``kind``'s values)."""
    if isinstance(value, kind):
        return value
    return next((member for member in kind if member.value == value), None)
