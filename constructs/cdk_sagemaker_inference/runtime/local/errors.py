"""What the local runner reports when it cannot, or will not, run a pipeline or a request."""

from __future__ import annotations

from collections.abc import Sequence


class LocalRunnerError(Exception):
    """Anything the local runner refuses or that fails while it runs."""


class UnsupportedContainerError(LocalRunnerError):
    """Containers the local runner cannot emulate; the message names every one of them."""

    def __init__(self, reasons: Sequence[str]) -> None:
        """:param reasons: one ``container N (<what>): <why>`` sentence a refused container."""
        super().__init__(
            "cannot run this model locally: " + "; ".join(reasons)
            + ". The local runner emulates the scikit-learn 1.2-1 container (an inference.py in the archive)"
            " and the built-in XGBoost 1.7-1 container."
        )
        self.reasons = list(reasons)


class IncompatibleArtifactError(LocalRunnerError):
    """An artifact written by a library version the container's own version cannot load."""


class LocalModelError(LocalRunnerError):
    """A container answered a request with an error, as the endpoint would (it then returns HTTP 424).

    :ivar container: the container's 1-based position and name, e.g. ``container 2 (XGBoost 1.7-1)``.
    :ivar status: the container's HTTP status (415 unsupported content type, 406 unsupported accept,
        400 bad payload, 500 a failing script).
    """

    def __init__(self, container: str, status: int, message: str) -> None:
        super().__init__(f"{container} answered {status}: {message}")
        self.container = container
        self.status = status
