"""Core's own header entries: the staff section (the admin and the system status page)."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from .registry import NavItem, add_nav


def _is_staff(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_staff)


add_nav(NavItem(_("Administration"), "admin:index", _is_staff, order=900, section="admin"))
add_nav(NavItem(_("System status"), "core:status", _is_staff, order=910, section="admin"))
