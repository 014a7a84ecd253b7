"""Menu entries and dashboard panels this app adds to the site (see cernai.core.registry)."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from cernai.core.registry import DashboardPanel, NavItem, add_dashboard_panel, add_file_access_check, add_nav

from . import (
    notifications,  # noqa: F401  (registers the notification kinds)
    papers,
    permissions,  # noqa: F401  (registers the rules permissions)
    selectors,
)


def _council_panel(user: Any) -> dict[str, Any]:
    return {
        "state": selectors.represented_state(user),
        "open_ballots": selectors.open_ballots_with_status(user),
        "receipts": selectors.receipts_given_to(user)[:20],
    }


add_nav(NavItem(_("Council"), "governance:index", selectors.sees_council_business, order=10))
add_nav(NavItem(_("Resolutions"), "governance:register", lambda user: True, order=11))
add_nav(NavItem(_("Membership"), "governance:membership", lambda user: True, order=12))
add_dashboard_panel(
    DashboardPanel(
        "governance/partials/dashboard_panel.html", selectors.sees_council_business, _council_panel, order=10
    )
)
# Papers are served to exactly their readers (governance/papers.py readable_papers), here and in core's file view.
add_file_access_check(papers.may_read_paper_file)
