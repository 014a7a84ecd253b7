"""Foundation pages in the real browser: the language switch, the staff status page, the skip link.
axe-core (WCAG 2.1 AA) checks every page these tests load."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_switching_to_french_translates_the_page_and_back(page: Page, live_server: Any) -> None:
    page.goto(f"{live_server.url}/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Change language").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("link", name="Se connecter")).to_be_visible()
    expect(page.get_by_role("button", name="Changer de langue")).to_be_visible()
    # The choice sticks on the next page (the language cookie).
    page.get_by_role("link", name="Se connecter").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.get_by_label("Langue").select_option("en")
    page.get_by_role("button", name="Changer de langue").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()


def test_staff_see_the_status_page(page: Page, live_server: Any, browser_login: Any, secretariat: Any) -> None:
    browser_login(page, secretariat)
    page.goto(f"{live_server.url}/status/")
    expect(page.get_by_role("heading", name="System status", level=1)).to_be_visible()
    services = page.get_by_role("table", name="Services")
    for service in ("PostgreSQL", "Redis", "Celery workers", "Celery beat"):
        expect(services.get_by_role("rowheader", name=service)).to_be_visible()
    expect(services.get_by_role("row", name="PostgreSQL")).to_contain_text("healthy")
    expect(services.get_by_role("row", name="Redis")).to_contain_text("healthy")


def test_the_skip_link_is_the_first_stop_and_moves_focus_to_main(page: Page, live_server: Any) -> None:
    page.goto(f"{live_server.url}/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


def test_the_skip_link_also_works_in_french(page: Page, live_server: Any) -> None:
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": live_server.url}])
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller au contenu principal")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
