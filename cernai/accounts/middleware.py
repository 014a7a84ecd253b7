"""Send staff, delegates and reviewers without a second factor to set one up before anything else."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from . import roles
from .permissions import requires_mfa

# Paths a person without MFA may still reach: setting MFA up, signing out, switching language,
# static assets.
ALLOWED_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/favicon")
API_PREFIX = "/api/"


class RequireMFAMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(ALLOWED_PREFIXES)
            and requires_mfa(user)
            and not roles.has_second_factor(user)
        ):
            if request.path.startswith(API_PREFIX):
                # A browser session must not reach through the API what the pages refuse.
                return JsonResponse({"detail": _("Two-factor authentication is required for your role.")}, status=403)
            messages.warning(
                request,
                _("Your role requires two-factor authentication. Set it up to continue."),
            )
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
