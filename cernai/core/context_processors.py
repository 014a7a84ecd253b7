from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from . import registry
from .notifications import unread_count


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The page frame's menu and unread count, worked out only if a template shows them: a fragment
    swapped in by htmx renders no frame, so it pays for neither."""
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return {
        "SITE_NAME": settings.SITE_NAME,
        "nav_sections": SimpleLazyObject(lambda: registry.nav_sections(user)),
        "unread_notifications": SimpleLazyObject(lambda: unread_count(user) if signed_in else 0),
    }
