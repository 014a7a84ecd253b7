"""Cross-cutting HTTP behaviour: request ids and latency metrics, no caching of personal answers, and
JSON errors for the API's oversized bodies."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.translation import gettext as _

from .observability import REQUEST_LATENCY, RESPONSES, incoming_request_id, request_id

API_PREFIX = "/api/"
Handler = Callable[[HttpRequest], HttpResponse]


class RequestIdMiddleware:
    """First in the chain: the request's id for logs, tasks and the answer; latency per view."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = request_id.set(incoming_request_id(request.headers.get("X-Request-ID")))
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id.get()
            match = request.resolver_match
            view = match.view_name if match else "unmatched"
            REQUEST_LATENCY.labels(view, request.method).observe(time.perf_counter() - started)
            RESPONSES.labels(view, request.method, str(response.status_code)).inc()
            return response
        finally:
            request_id.reset(token)


class PrivateAnswersMiddleware:
    """``Cache-Control: no-store`` on every answer that may carry personal data: every answer to a
    signed-in person and every API answer (a site token's data is no one else's either)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if request.path.startswith(API_PREFIX) or (user is not None and user.is_authenticated):
            add_never_cache_headers(response)
            patch_vary_headers(response, ["Cookie", "Authorization"])
        return response


class ApiBodyLimitMiddleware:
    """An API body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is refused with a 413 JSON answer before it is
    read (the REST framework reads bodies as a stream and would not check the size itself)."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request.path.startswith(API_PREFIX) and limit is not None:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return JsonResponse({"detail": _("The Content-Length header is not a number.")}, status=400)
            if length > limit:
                return too_big(limit)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RequestDataTooBig) and request.path.startswith(API_PREFIX):
            return too_big(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        return None


def too_big(limit: int) -> JsonResponse:
    return JsonResponse(
        {"detail": _("The request body is larger than the limit of %(limit)d bytes.") % {"limit": limit}}, status=413
    )
