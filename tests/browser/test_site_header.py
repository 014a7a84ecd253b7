"""The portal's frame in the real browser, on a laptop (1280 px) and on a phone (390 px): the header's
sections and user menu, the phone's menu disclosure, tables that become cards on a phone, and the
print layout. The harness also checks every page here for axe violations and horizontal overflow,
and keeps a screenshot of each."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cernai.core.notifications import notify
from tests.browser.conftest import header_link, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.both_viewports
def test_the_header_groups_the_sections_and_holds_the_user_menu(
    page: Page, live_server: Any, browser_login: Any, secretariat: Any, viewport_width: str
) -> None:
    notify(kind="core.test", recipients=[secretariat], dedupe_key="header-test")
    browser_login(page, secretariat)
    banner = page.get_by_role("banner")
    phone = viewport_width == "390"
    menu_button = banner.locator("#site-menu > summary")

    # On a phone the sections wait behind one "Menu" button, so the page starts with its content;
    # on a laptop they sit in one row, and the menu button is not there.
    if phone:
        expect(menu_button).to_be_visible()
        expect(banner.get_by_role("navigation", name="Main")).to_be_hidden()
        expect(menu_button).to_contain_text("1 unread")
        # Opened, the menu does not repeat the count beside the person's name: once on the button.
        menu_button.click()
        expect(banner.locator("#user-menu > summary")).to_be_visible()
        expect(banner.locator("#user-menu > summary .badge")).to_be_hidden()
        menu_button.click()
        header_box = banner.bounding_box()
        assert header_box is not None and header_box["height"] < 100  # one row, not five rows of links
    else:
        expect(menu_button).to_be_hidden()
        nav = banner.get_by_role("navigation", name="Main")
        expect(nav).to_be_visible()
        summaries = nav.locator("summary")
        expect(summaries).to_have_text(["Council", "Fellowships", "Compute", "Institution", "Staff"])
        # The whole header fits on one line at 1280 px (the secretariat sees the most entries).
        tops = {round(box["y"]) for box in (s.bounding_box() for s in summaries.all()) if box}
        assert len(tops) == 1
        expect(banner.get_by_role("link", name="Resolutions")).to_be_hidden()  # until its section opens

    # A section's entries appear when it is opened, and a click follows them.
    header_link(page, "Resolutions").click()
    expect(page).to_have_url(f"{live_server.url}/governance/register/")
    if not phone:
        # Only one drop-down open at a time, and Escape closes it with focus back on its button.
        council = banner.locator("#nav-council > summary")
        council.click()
        banner.locator("#nav-compute > summary").click()
        expect(banner.get_by_role("link", name="Resolutions")).to_be_hidden()
        expect(banner.get_by_role("link", name="Allocations report")).to_be_visible()
        page.keyboard.press("Escape")
        expect(banner.get_by_role("link", name="Allocations report")).to_be_hidden()

    # The user menu: the unread count, notifications, profile, the staff section.
    header_link(page, "Notifications 1 unread").click()
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Test message from cernai")
    header_link(page, "Profile").click()
    expect(page.get_by_role("heading", name="Your profile", level=1)).to_be_visible()
    header_link(page, "System status").click()
    expect(page.get_by_role("heading", name="System status", level=1)).to_be_visible()

    # The status table: a card per service on a phone, each value labelled by its column.
    services = page.get_by_role("table", name="Services")
    state = services.get_by_role("row", name="PostgreSQL").get_by_role("cell").first
    expect(state).to_have_attribute("data-label", "State")
    header_row_visible = services.locator("thead th").first.is_visible()
    display = state.evaluate("el => getComputedStyle(el).display")
    if phone:
        assert display in ("block", "flow-root"), "on a phone a row is a card, one value per line"
        label = state.evaluate("el => getComputedStyle(el, '::before').content")
        assert "State" in label, "each value is labelled by its column"
    else:
        assert display == "table-cell" and header_row_visible

    # The language can be changed from the header at any width.
    if phone:
        menu_button.click()
    page.get_by_label("Language").select_option("fr")
    page.get_by_role("button", name="Change language").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    if phone:
        menu_button.click()
    page.get_by_label("Langue").select_option("en")
    page.get_by_role("button", name="Changer de langue").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    sign_out(page)
    expect(page.get_by_role("banner").get_by_role("link", name="Sign in", include_hidden=True)).to_have_count(1)


def test_a_printed_page_has_no_menus_and_shows_link_addresses(page: Page, live_server: Any) -> None:
    page.goto(f"{live_server.url}/")
    page.emulate_media(media="print")
    expect(page.get_by_role("banner")).to_be_hidden()
    link = page.get_by_role("main").get_by_role("link", name="Register of resolutions")
    printed = link.evaluate("el => getComputedStyle(el, '::after').content")
    assert f"{live_server.url}/governance/register/" in printed
    page.emulate_media(media="screen")
    expect(page.get_by_role("banner")).to_be_visible()
