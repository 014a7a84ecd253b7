"""Issue 14 §4 in the browser: a person whose profile says French signs in from an English page and
reads the portal in French from then on (as the emails arrive); switching back in the header
updates the profile. axe-core checks every page loaded."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests import factories
from tests.browser.conftest import header_link, sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_profiles_language_applies_at_sign_in_and_the_switch_saves_it(
    page: Page, live_server: Any, browser_login: Any
) -> None:
    person = factories.UserFactory(email="francoise@example.org", name="Françoise Dupont", language="fr")
    browser_login(page, person)  # the sign-in page is in English (the browser's language)
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("link", name="Tableau de bord")).to_be_visible()
    header_link(page, "Profil").click()
    expect(page.get_by_label("Langue préférée")).to_have_value("fr")
    page.get_by_label("Langue", exact=True).select_option("en")
    page.get_by_role("button", name="Changer de langue").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_label("Preferred language")).to_have_value("en")  # the profile follows the switch
    person.refresh_from_db()
    assert person.language == "en"
    sign_out(page)
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()  # still English after signing out
