"""The header's sections: entries grouped by their section (named, or taken from the URL's
namespace), only what the person may see, empty sections left out, order kept."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from cernai.core import registry
from cernai.core.registry import NavItem


def _everyone(user: Any) -> bool:
    return True


def _nobody(user: Any) -> bool:
    return False


@pytest.fixture
def items(monkeypatch: pytest.MonkeyPatch) -> list[NavItem]:
    entries: list[NavItem] = []
    monkeypatch.setattr(registry, "NAV_ITEMS", entries)
    return entries


def test_entries_go_under_their_namespace_section_in_order_and_hidden_ones_are_left_out(items: list[NavItem]) -> None:
    registry.add_nav(NavItem("Calls", "fellowships:call_list", _everyone, order=20))
    registry.add_nav(NavItem("Council", "governance:index", _everyone, order=10))
    registry.add_nav(NavItem("Resolutions", "governance:register", _everyone, order=11))
    registry.add_nav(NavItem("Compute reviews", "compute:review_queue", _nobody, order=63))
    registry.add_nav(NavItem("Nodes", "nodes:index", _everyone, order=70))
    registry.add_nav(NavItem("Staff tool", "compute:staff_utilisation", _everyone, order=62, section="admin"))

    sections = registry.nav_sections(None)

    # No Compute section: nothing in it is visible.
    assert [s.key for s in sections] == ["council", "fellowships", "institution", "admin"]
    assert [i.label for i in sections[0].items] == ["Council", "Resolutions"]
    assert [i.label for i in sections[2].items] == ["Nodes"]  # an unknown namespace: Institution
    assert [i.label for i in sections[3].items] == ["Staff tool"]  # a named section wins over the namespace
    assert str(sections[0].label) == "Council"


def test_adding_the_same_entry_twice_keeps_one(items: list[NavItem]) -> None:
    entry = NavItem("Council", "governance:index", _everyone, order=10)
    registry.add_nav(entry)
    registry.add_nav(entry)
    assert [i.label for s in registry.nav_sections(None) for i in s.items] == ["Council"]


# --- the menu in the page (rendered once per process and kept: cernai.core.templatetags.frame) ---
def _menu(html: str) -> str:
    found = re.search(r'<nav class="site-nav".*?</nav>', html, re.S)
    assert found, "the page has no main menu"
    return found.group(0)


def test_the_kept_menu_is_each_persons_own_in_their_language_with_the_page_marked(
    secretariat: Any, applicant: Any, login: Any
) -> None:
    """The secretariat's menu is rendered first, so a menu kept under too coarse a key would reach
    the applicant's page; the applicant's page in English comes before the same page in French."""
    staff_menu = _menu(login(secretariat).get("/dashboard/").text)
    assert 'href="/admin/"' in staff_menu and 'href="/fellowships/staff/"' in staff_menu

    client = login(applicant)
    menu = _menu(client.get("/dashboard/").text)
    assert 'href="/admin/"' not in menu and 'href="/fellowships/staff/"' not in menu
    assert '<a href="/dashboard/" aria-current="page">Dashboard</a>' in menu
    assert 'href="/fellowships/">Fellowships</a>' in menu
    assert '<a href="/dashboard/">Dashboard</a>' in _menu(client.get("/notifications/").text)

    applicant.language = "fr"  # the same page, the same entries: only the language differs
    applicant.save(update_fields=["language"])
    menu = _menu(client.get("/notifications/").text)
    assert '<a href="/dashboard/">Tableau de bord</a>' in menu
    assert "Dashboard" not in menu

    assert 'href="/admin/"' not in _menu(Client().get("/").text)  # and nobody signed in
