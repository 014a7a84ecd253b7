"""allauth's adapter with cernai's client address and sign-in throttle (the admin login goes through
allauth too, see cernai/urls.py, so it is throttled the same way), and its emails branded: the
organisation's name and the configured base URL (``PORTAL_BASE_URL``), never the host the request
happened to reach, in the addressee's language."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils import translation

from . import throttle
from .clients import client_address


@dataclass(frozen=True)
class BrandedSite:
    """What allauth's email templates read as ``current_site``: the organisation, not the request's host."""

    name: str
    domain: str


def branded_site() -> BrandedSite:
    return BrandedSite(name=settings.SITE_NAME, domain=settings.PORTAL_BASE_URL.rstrip("/"))


def on_portal(url: str) -> str:
    """The same path and query on the configured base URL."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return settings.PORTAL_BASE_URL.rstrip("/") + path


def _login(credentials: dict[str, Any]) -> str:
    return str(credentials.get("email") or credentials.get("username") or "")


class AccountAdapter(DefaultAccountAdapter):
    def get_client_ip(self, request: HttpRequest) -> str:
        return client_address(request)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        person = get_user_model().objects.filter(email__iexact=email).only("language").first()
        language = getattr(person, "language", "") or translation.get_language() or settings.LANGUAGE_CODE
        with translation.override(language):
            super().send_mail(template_prefix, email, {**context, "current_site": branded_site()})

    def get_email_confirmation_url(self, request: HttpRequest, emailconfirmation: Any) -> str:
        return on_portal(super().get_email_confirmation_url(request, emailconfirmation))

    def get_reset_password_from_key_url(self, key: str) -> str:
        return on_portal(super().get_reset_password_from_key_url(key))

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        if throttle.is_refused(address=client_address(request), login=_login(credentials)):
            raise self.validation_error("too_many_login_attempts")

    def authenticate(self, request: HttpRequest, **credentials: Any) -> Any:
        user = super().authenticate(request, **credentials)
        if user is not None:
            throttle.record_success(address=client_address(request), login=_login(credentials))
        return user

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        throttle.record_failure(address=client_address(request), login=_login(credentials))

    def _delete_login_attempts_cached_email(self, request: HttpRequest, **credentials: Any) -> None:
        # allauth calls this after a successful password reset: the owner proved they hold the
        # mailbox, so the account's counts at every address start again.
        throttle.forget_login(_login(credentials))
