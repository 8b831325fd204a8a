"""Domain exceptions raised by services.

They know nothing of HTTP. ``kengen.core.middleware`` (UI) and ``kengen.api`` (JSON) map them to
403 / 404 / 409 / 422 in one place each.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every refusal a service can make."""

    def __init__(self, message: str, *, clause: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.clause = clause
        self.field = field

    def as_dict(self) -> dict[str, str | None]:
        return {
            "error": type(self).__name__,
            "message": str(self.message),
            "clause": self.clause,
            "field": self.field,
        }


class PermissionDenied(DomainError):
    """The acting user holds no role that allows this action."""


class NotFound(DomainError):
    """The object does not exist, or is outside the acting user's scope (never say which)."""


class Conflict(DomainError):
    """The object is not in a state that allows this action (e.g. already ended)."""


class RuleViolation(DomainError):
    """The action breaks a rule of the regulation or of the configuration; ``clause`` names it."""
