"""Menu entries and dashboard panels this app adds to the site (see cernai.core.registry)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from cernai.accounts import roles
from cernai.core import registry

from . import notifications  # noqa: F401  (registers the notification kinds)


def _has_projects(user: Any) -> bool:
    from .selectors import projects_for

    return bool(user and user.is_authenticated) and projects_for(user).exists()


def _panel_context(user: Any) -> dict[str, Any]:
    from django.utils import timezone

    from .models import Allocation
    from .selectors import storage_use

    allocations = list(
        Allocation.objects.filter(
            project__in=_projects(user), status=Allocation.Status.ACTIVE, end__gte=timezone.now().date()
        )
        .select_related("project", "resource")
        .order_by("project__code", "pk")[:10]
    )
    storage = storage_use(allocations)  # no query without a storage allocation
    for allocation in allocations:
        allocation.storage = storage.get(allocation.pk)  # type: ignore[attr-defined]
    return {"allocations": allocations}


def _projects(user: Any) -> Any:
    from .selectors import projects_for

    return projects_for(user).values("pk")


registry.add_nav(
    registry.NavItem(_("Compute"), "compute:my_projects", lambda u: bool(u and u.is_authenticated), order=60)
)


def _has_reviews(user: Any) -> bool:
    from .roles import REVIEW_ASSIGNED

    return roles.holds_condition(user, REVIEW_ASSIGNED)


registry.add_nav(registry.NavItem(_("Compute reviews"), "compute:review_queue", _has_reviews, order=63))
registry.add_nav(registry.NavItem(_("Allocations report"), "compute:transparency", lambda u: True, order=61))
registry.add_nav(
    registry.NavItem(_("Utilisation"), "compute:staff_utilisation", lambda u: bool(u and u.is_staff), order=62)
)
registry.add_dashboard_panel(
    registry.DashboardPanel("compute/partials/dashboard_panel.html", _has_projects, _panel_context, order=60)
)
