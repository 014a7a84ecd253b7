"""Extension points other apps fill in from their AppConfig.ready(): navigation, dashboard panels,
who may download which private file, which institutional roles a person holds, and demo-data
seeders. Core never imports the apps."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

Predicate = Callable[[Any], bool]


@dataclass(frozen=True)
class NavItem:
    label: Any  # a lazy translation
    url_name: str
    visible_to: Predicate
    order: int = 100


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
