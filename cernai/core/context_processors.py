from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from . import registry
from .notifications import unread_count


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    sections = registry.nav_sections(user)
    return {
        "SITE_NAME": settings.SITE_NAME,
        "nav_sections": sections,
        "nav_items": [item for section in sections for item in section.items],
        "unread_notifications": unread_count(user) if user is not None and user.is_authenticated else 0,
    }
