"""Domain errors raised by services; views and the API translate them into responses."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the marketplace refused the action. The message is safe to show the user."""

    code = "domain_error"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class PermissionDenied(DomainError):
    code = "permission_denied"


class TransitionError(DomainError):
    code = "invalid_transition"


class ValidationFailed(DomainError):
    code = "invalid"
