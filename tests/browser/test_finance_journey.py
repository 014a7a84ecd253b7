"""Issue 10, rules §4 example 2 in the browser: Italy owes 10 M for each of 2024-2026 and has paid
nothing, so on 1 June 2026 its account says it has no vote; the secretariat records a 10 M bank
payment in the admin and the account now says it votes. The public contributions page shows it too.
Every page is checked with axe-core by the ``page`` fixture."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from playwright.sync_api import Page, expect

from finance.models import Call, Payment
from governance.models import MemberState
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

M = 100_000_000  # one million euros, in cents


def test_secretariat_records_a_payment_and_the_account_gives_the_vote_back(
    page: Page, live_server: Any, browser_login: Any
) -> None:
    italy = MemberState.objects.create(iso2="IT", name="Italy")
    Call.objects.bulk_create(
        Call(state=italy, year=y, amount_cents=10 * M, issued_on=dt.date(y, 1, 1), due_on=dt.date(y, 4, 1))
        for y in (2024, 2025, 2026)
    )
    staff = UserFactory(
        email="secretariat@example.org", name="Sam Secretariat", is_staff=True, groups=["Secretariat"], mfa=True
    )
    with time_machine.travel(dt.datetime(2026, 6, 1, 8, tzinfo=dt.UTC), tick=True):
        browser_login(page, staff)
        page.goto(f"{live_server.url}/admin/finance/payment/")
        page.get_by_role("link", name="Accounts of the states").click()
        row = page.locator("#accounts tr", has_text="Italy")
        expect(row).to_contain_text(
            "Italy: arrears EUR 30.0 M exceed the EUR 20.0 M called for 2025\u20132026: no vote"
        )

        page.goto(f"{live_server.url}/admin/finance/payment/add/")
        page.get_by_label("State:").select_option(label="Italy")
        page.get_by_label("Received on:").fill("2026-05-20")
        page.get_by_label("Bank reference:").fill("BNL-0042")
        page.get_by_label("Amount (EUR):").fill("10000000.00")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator(".messagelist")).to_contain_text("was added successfully")
        assert Payment.objects.get().amount_cents == 10 * M

        page.goto(f"{live_server.url}/admin/finance/payment/accounts/")
        expect(page.locator("#accounts tr", has_text="Italy")).to_contain_text(
            "Italy: arrears EUR 20.0 M do not exceed the EUR 20.0 M called for 2025\u20132026: votes"
        )

        page.goto(f"{live_server.url}/finance/contributions/?year=2024")
        expect(page.locator("#contributions tr", has_text="Italy")).to_contain_text("EUR 10.0 M")
