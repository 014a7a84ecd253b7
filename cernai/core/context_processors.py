from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from . import registry
from .notifications import unread_count


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    items = [item for item in registry.NAV_ITEMS if item.visible_to(user)]
    return {
        "nav_items": items,
        "unread_notifications": unread_count(user) if user is not None and user.is_authenticated else 0,
    }
