"""Errors of the Kubernetes API, free of the client's types so callers need not import `kubernetes`."""

from __future__ import annotations


class KubeError(Exception):
    """Anything that went wrong talking to a cluster."""


class ConnectionFailed(KubeError):
    """The API server could not be reached, or the connection broke mid-response (retry with back-off)."""


class ApiError(KubeError):
    """The API server answered with an error Status (`code` is the HTTP status)."""

    def __init__(self, code: int, reason: str = "", message: str = "") -> None:
        self.code = code
        self.reason = reason
        self.message = message
        super().__init__(f"{code} {reason}: {message}".strip())

    @property
    def expired(self) -> bool:
        """410 Gone / Expired: the resourceVersion or continue token is too old; relist."""
        return self.code == 410

    @property
    def denied(self) -> bool:
        """401/403: credentials or RBAC; retrying at once will not help."""
        return self.code in (401, 403)
