"""Domain errors and the one JSON error envelope {"code", "message", "errors"}.

Rules raise `DomainError` subclasses with a stable machine `code` and a message in
Simplified Chinese for people; the web layer turns them into 4xx responses.
"""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, errors: dict | None = None,
                 status: int | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.errors = errors or {}

    def envelope(self) -> dict:
        return {"code": self.code, "message": self.message, "errors": self.errors}


class ValidationFailed(DomainError):
    status = 400
    code = "validation_error"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """The request is well formed but the current state does not allow it."""

    status = 409
    code = "conflict"


class RuleViolation(DomainError):
    """A procurement rule refuses the request (purchase limit, budget, green …)."""

    status = 422
    code = "rule_violation"


def field_error(field: str, message: str, code: str = "validation_error") -> ValidationFailed:
    return ValidationFailed(message, code=code, errors={field: [message]})


def messages(errors) -> list[str]:
    """The plain messages of a (possibly nested) per-field error dict, for flash messages."""
    if isinstance(errors, dict):
        return [m for value in errors.values() for m in messages(value)]
    if isinstance(errors, list | tuple):
        return [m for value in errors for m in messages(value)]
    return [str(errors)]
