"""Errors the use-cases raise. Each message is already translated for display."""

from __future__ import annotations


class CallCenterError(Exception):
    """Base of every error a user may be shown."""


class NotFound(CallCenterError):
    pass


class InvalidTransition(CallCenterError):
    """The action makes no sense in the case's current state."""


class ValidationError(CallCenterError):
    """A field is wrong. ``field`` names it so the form can show the message beside it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class ValidationErrors(CallCenterError):
    """Several fields are wrong at once."""

    def __init__(self, errors: list[ValidationError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors

    @property
    def by_field(self) -> dict[str, str]:
        return {e.field: e.message for e in self.errors}


class ConcurrencyConflict(CallCenterError):
    """Someone else changed the record since it was read."""

    def __init__(self, message: str, changed_by: str = "", changed_at: object = None) -> None:
        super().__init__(message)
        self.changed_by = changed_by
        self.changed_at = changed_at


class PermissionDenied(CallCenterError):
    pass


class DatabaseUnavailable(CallCenterError):
    pass


class SchemaOutOfDate(CallCenterError):
    pass
