"""Extension points other apps fill in from their AppConfig.ready(): navigation, dashboard panels,
who may download which private file, which institutional roles a person holds, and demo-data
seeders. Core never imports the apps."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
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


# Each source answers "which institutional roles (names in cernai.accounts.roles) does this person
# hold today?" from its app's own records: appointments with their terms, review assignments,
# committee memberships. Roles follow from those records; nobody edits role groups by hand.
ROLE_SOURCES: list[Callable[[Any], Iterable[str]]] = []


def add_role_source(source: Callable[[Any], Iterable[str]]) -> None:
    if source not in ROLE_SOURCES:
        ROLE_SOURCES.append(source)
