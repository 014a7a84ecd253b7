"""Menu entries and dashboard panels this app adds to the site (see cernai.core.registry)."""

from django.utils.translation import gettext_lazy as _

from cernai.accounts.permissions import is_authenticated, is_reviewer, is_secretariat
from cernai.core import registry

from . import notifications  # noqa: F401  (registers the notification kinds)
from .permissions import can_download


def _always(user: object) -> bool:
    return True


def _panel(user: object) -> dict[str, object]:
    from .selectors import applications_of, open_calls, review_queue

    return {
        # The panel shows each application's call and status only.
        "fellowship_applications": list(
            applications_of(user).select_related(None).select_related("call").only("status", "call__title")[:5]
        ),
        "open_call_count": open_calls().count(),
        "review_count": review_queue(user).count() if is_reviewer(user) else 0,
    }


registry.add_nav(registry.NavItem(_("Fellowships"), "fellowships:call_list", _always, 20))
registry.add_nav(registry.NavItem(_("Reviews"), "fellowships:review_queue", is_reviewer, 25))
registry.add_nav(registry.NavItem(_("Fellowship staff"), "fellowships:staff_calls", is_secretariat, 26))
registry.add_dashboard_panel(
    registry.DashboardPanel("fellowships/partials/dashboard_panel.html", is_authenticated, _panel, 20)
)
registry.add_file_access_check(can_download)
