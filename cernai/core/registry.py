"""Extension points other apps fill in from their AppConfig.ready(): navigation, dashboard panels,
who may download which private file, which institutional roles a person holds, and demo-data
seeders. Core never imports the apps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy as _

Predicate = Callable[[Any], bool]


# The header groups menu entries into a few sections, each a drop-down (a disclosure on a phone).
# An entry names its section, or takes the one of its URL namespace ("fellowships:call_list" goes
# under Fellowships); an entry of an unknown namespace goes under "Institution".
SECTIONS: dict[str, Any] = {
    "council": _("Council"),
    "fellowships": _("Fellowships"),
    "compute": _("Compute"),
    "institution": _("Institution"),
    "admin": _("Staff"),
}
NAMESPACE_SECTIONS = {"governance": "council", "fellowships": "fellowships", "compute": "compute"}


@dataclass(frozen=True)
class NavItem:
    label: Any  # a lazy translation
    url_name: str
    visible_to: Predicate
    order: int = 100
    section: str = ""  # a key of SECTIONS; empty: the section of the URL's namespace

    @property
    def section_key(self) -> str:
        if self.section:
            return self.section
        return NAMESPACE_SECTIONS.get(self.url_name.partition(":")[0], "institution")


@dataclass(frozen=True)
class NavSection:
    key: str
    label: Any
    items: list[NavItem]


@dataclass(frozen=True)
class DashboardPanel:
    template: str
    visible_to: Predicate
    context: Callable[[Any], dict[str, Any]]
    order: int = 100


NAV_ITEMS: list[NavItem] = []
DASHBOARD_PANELS: list[DashboardPanel] = []
# Each check answers "may this user download this PrivateFile?"; any True grants access.
FILE_ACCESS_CHECKS: list[Callable[[Any, Any], bool]] = []


def add_nav(item: NavItem) -> None:
    if item not in NAV_ITEMS:
        NAV_ITEMS.append(item)
        NAV_ITEMS.sort(key=lambda i: i.order)


def nav_sections(user: Any) -> list[NavSection]:
    """The header's sections for this person: only the entries they may see, sections in the order
    of SECTIONS, entries by their order; a section with nothing visible is left out."""
    visible: dict[str, list[NavItem]] = {key: [] for key in SECTIONS}
    for item in NAV_ITEMS:
        if item.visible_to(user):
            visible.setdefault(item.section_key, []).append(item)
    return [NavSection(key, SECTIONS.get(key, key), items) for key, items in visible.items() if items]


def add_dashboard_panel(panel: DashboardPanel) -> None:
    if panel not in DASHBOARD_PANELS:
        DASHBOARD_PANELS.append(panel)
        DASHBOARD_PANELS.sort(key=lambda p: p.order)


def add_file_access_check(check: Callable[[Any, Any], bool]) -> None:
    if check not in FILE_ACCESS_CHECKS:
        FILE_ACCESS_CHECKS.append(check)


@dataclass(frozen=True)
class RoleCondition:
    """One way to hold an institutional role, from an app's own records: an appointment with its
    term, a review assignment, a committee seat. Roles follow from those records; nobody edits role
    groups by hand.

    ``condition(person, today)`` returns a boolean SQL expression (usually ``Exists(...)``) over the
    app's models, where ``person`` is the user's primary key (filter on it: ``user=person``; the
    query is compiled once with a placeholder key and run with each person's). Every condition is
    evaluated in one query per request (``cernai.accounts.roles``), so the page frame, the menus and
    the permission checks cost a single round trip together."""

    name: str  # "<app>.<what>", e.g. "compute.review_assigned"; ask for one with roles.holds_condition
    role: str  # a name in cernai.accounts.roles
    condition: Callable[[Any, date], Any]


ROLE_CONDITIONS: list[RoleCondition] = []


def add_role_condition(condition: RoleCondition) -> None:
    if all(c.name != condition.name for c in ROLE_CONDITIONS):
        ROLE_CONDITIONS.append(condition)
