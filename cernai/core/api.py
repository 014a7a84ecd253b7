"""API-wide pieces: an exception handler that always names the field and the reason."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    return drf_exception_handler(exc, context)


class StrictLimitOffsetPagination(LimitOffsetPagination):
    """Limit/offset pagination that refuses a malformed ``limit`` or ``offset`` with a 400 naming the
    parameter, instead of silently falling back to the defaults (bad input gets a clear error)."""

    max_limit = 1000
    max_offset = 2**31 - 1

    def _strict(self, request: Any, name: str) -> None:
        value = request.query_params.get(name)
        if value is None:
            return
        try:
            number = int(value)
        except ValueError:
            raise exceptions.ValidationError({name: [f"“{value[:40]}” is not a whole number."]}) from None
        is_limit = name == self.limit_query_param
        low, high = (1, self.max_limit) if is_limit else (0, self.max_offset)
        if not low <= number <= high:
            raise exceptions.ValidationError({name: [f"Must be a whole number from {low} to {high}."]})

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        self._strict(request, self.limit_query_param)
        self._strict(request, self.offset_query_param)
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            is_limit = parameter["name"] == self.limit_query_param
            parameter["schema"]["minimum"] = 1 if is_limit else 0
            parameter["schema"]["maximum"] = self.max_limit if is_limit else self.max_offset
        return parameters


_ERROR = {
    "application/json": {
        "schema": {"type": "object", "additionalProperties": True, "properties": {"detail": {"type": "string"}}}
    }
}


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: document the errors every operation can give — 404 where
    the path names an object, 400 where it takes input, 401/403 where it needs credentials."""
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            if "{" in path:
                responses.setdefault("404", {"description": "No such object.", "content": _ERROR})
            if operation.get("parameters") or "requestBody" in operation:
                responses.setdefault("400", {"description": "Bad input: each field and its reason.", "content": _ERROR})
            security = operation.get("security")
            if security and {} not in security:
                responses.setdefault("401", {"description": "No or bad credentials.", "content": _ERROR})
                responses.setdefault("403", {"description": "Not allowed.", "content": _ERROR})
    return result
