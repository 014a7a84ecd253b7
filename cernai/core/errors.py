"""One refusal type for the whole portal.

A service that refuses (a rule says no, a status does not allow it, a value is out of bounds) raises
``Refusal`` with a message for people, a stable code for machines and, where it concerns one input,
the field. The edges turn it into what their client understands: a form error on that field, an
admin message, or a JSON 4xx ``{"code": ..., "detail": ..., "field": ...}``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError


class Refusal(Exception):
    """The institution's rules refuse this request; ``message`` says why in words people read."""

    def __init__(self, message: Any, *, code: str = "refused", field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field

    def __str__(self) -> str:
        return str(self.message)

    def as_dict(self) -> dict[str, Any]:
        """The JSON body of a 4xx answer."""
        return {"code": self.code, "detail": str(self.message), "field": self.field}

    def as_validation_error(self) -> ValidationError:
        """For forms: attached to ``field`` when there is one, else a non-field error."""
        error = ValidationError(self.message, code=self.code)
        return ValidationError({self.field: error}) if self.field else error
