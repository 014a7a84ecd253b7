"""The foundation journey: sign up → verify email from the outbox → log in → set up TOTP → log out →
log in with a TOTP code."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cernai.accounts.models import User
from cernai.core.demo import current_totp_code
from tests.browser.conftest import sign_out

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_up_verify_set_up_totp_and_log_in_with_it(page: Page, live_server: Any, mailoutbox: list) -> None:
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Register", exact=True).click()
    page.get_by_label("Email").fill("new.fellow@example.org")
    page.get_by_label("Full name").fill("Nina Fellow")
    page.get_by_label("Nationality").select_option("PL")
    page.get_by_role("textbox", name="Home institution").fill("Uniwersytet Warszawski")
    page.get_by_label("State of your home institution").select_option("PL")
    page.get_by_label("Password:", exact=True).fill("a long pass phrase 42")
    page.get_by_label("Password (again):").fill("a long pass phrase 42")
    page.get_by_role("button", name="Sign Up").click()
    expect(page.get_by_role("heading", name="Verify Your Email Address")).to_be_visible()

    assert len(mailoutbox) == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mailoutbox[0].body)
    assert link, mailoutbox[0].body
    page.goto(link.group(0))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"{live_server.url}/dashboard/")
    expect(page.get_by_role("heading", name="Welcome, Nina")).to_be_visible()
    user = User.objects.get(email="new.fellow@example.org")
    assert (user.name, user.nationality.code, user.home_country.code) == ("Nina Fellow", "PL", "PL")

    page.goto(f"{live_server.url}/accounts/2fa/totp/activate/")
    # Signing in by the emailed link is not a password check: allauth asks for it before MFA changes.
    expect(page.get_by_role("heading", name="Confirm Access")).to_be_visible()
    page.get_by_label("Password:").fill("a long pass phrase 42")
    page.get_by_role("button", name="Confirm").click()
    secret = page.get_by_label("Authenticator secret").input_value()
    page.get_by_label("Authenticator code").fill(current_totp_code(secret))
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_text("Authenticator app activated.")).to_be_visible()

    sign_out(page)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill("new.fellow@example.org")
    page.get_by_label("Password").fill("a long pass phrase 42")
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/accounts/2fa/authenticate/**")
    page.get_by_label("Code").fill(current_totp_code(secret))
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(f"{live_server.url}/dashboard/")
    expect(page.get_by_role("heading", name="Welcome, Nina")).to_be_visible()
