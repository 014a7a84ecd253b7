"""Issue 8 §2: a delegate loses her phone. The secretariat starts the account recovery in the admin
with a reason; the delegate completes it herself from the link in her mailbox, chooses a new password
and sets up a new authenticator app before she can reach Council business again."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from cernai.accounts.models import AccountRecovery, SignInFactorChange
from cernai.core.demo import current_totp_code, demo_totp_secret
from governance.models import Appointment, MemberState
from tests.factories import UserFactory, has_mfa

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NEW_PASSWORD = "a brand new pass phrase 77"


def test_delegate_loses_phone_secretariat_starts_recovery_delegate_completes_it(
    page: Page, live_server: Any, browser_login: Any, mailoutbox: list
) -> None:
    france = MemberState.objects.create(iso2="FR", name="France")
    delegate = UserFactory(email="dora.delegate@example.org", name="Dora Delegate", mfa=True)
    Appointment.objects.create(state=france, user=delegate, role="scientific", start=dt.date(2020, 1, 1))
    old_secret = demo_totp_secret(delegate.email)
    staff = UserFactory(
        email="secretariat@example.org", name="Sam Secretariat", is_staff=True, groups=["Secretariat"], mfa=True
    )

    browser_login(page, staff)
    page.goto(f"{live_server.url}/admin/accounts/user/{delegate.pk}/change/")
    page.get_by_role("link", name="Account recovery").click()
    expect(page.get_by_role("heading", name="Account recovery for Dora Delegate")).to_be_visible()
    page.get_by_label("Reason").fill("Lost her phone; called from the number on file.")
    page.get_by_label("Second factor lost").check()
    page.get_by_role("button", name="Start account recovery").click()
    expect(page.locator(".messagelist")).to_contain_text("A password reset link was sent to dora.delegate@example.org")
    assert not has_mfa(delegate)
    assert AccountRecovery.objects.get(person=delegate).reason.startswith("Lost her phone")
    page.context.clear_cookies()  # the delegate, on her own computer

    # The delegate, from her own mailbox.
    assert [m.to for m in mailoutbox] == [["dora.delegate@example.org"]]
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+/", mailoutbox[0].body)
    assert link, mailoutbox[0].body
    page.goto(link.group(0))
    page.get_by_label("New Password:", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New Password (again):").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change Password").click()
    expect(page.get_by_text("Your password is now changed.")).to_be_visible()

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(delegate.email)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    # Her role requires a second factor: she is sent to set up a new one before anything else
    # (allauth asks for the password again before any change to sign-in factors).
    expect(page.get_by_text("Your role requires two-factor authentication")).to_be_visible()
    expect(page.get_by_role("heading", name="Confirm Access")).to_be_visible()
    page.get_by_label("Password:").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url("**/accounts/2fa/totp/activate/**")
    secret = page.get_by_label("Authenticator secret").input_value()
    assert secret != old_secret  # the lost phone's secret is worth nothing
    page.get_by_label("Authenticator code").fill(current_totp_code(secret))
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_text("Authenticator app activated.")).to_be_visible()
    assert has_mfa(delegate)
    trail = SignInFactorChange.objects.filter(user=delegate)
    assert set(trail.values_list("action", "kind", "actor")) >= {
        ("removed", "totp", staff.pk),
        ("added", "totp", delegate.pk),
    }

    page.goto(f"{live_server.url}/governance/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert "/accounts/" not in page.url
