"""The person's language: the profile's language is the one a signed-in person reads the portal in.

Emails are rendered in ``User.language`` (cernai.core.notifications), so pages follow it too: once
signed in, the profile's language is activated on every request and written to the language cookie
(the person keeps it after signing out); choosing another language in the header while signed in
updates the profile, so the next email arrives in that language as well.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

LANGUAGE_CODES = frozenset(code for code, _name in settings.LANGUAGES)


def profile_language(request: HttpRequest) -> str | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    language = getattr(user, "language", "")
    return language if language in LANGUAGE_CODES else None


class ProfileLanguageMiddleware:
    """After AuthenticationMiddleware: a signed-in person's pages are in the profile's language."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = profile_language(request)
        if language is not None:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        response = self.get_response(request)
        # Signing in (request.user set by the login view) or saving the profile changes it: the cookie follows.
        language = profile_language(request)
        if language is not None and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != language:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch; a signed-in person's choice is also saved to the profile."""
    language = request.POST.get("language", "")
    user = getattr(request, "user", None)
    if language in LANGUAGE_CODES and user is not None and user.is_authenticated and user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return django_set_language(request)
