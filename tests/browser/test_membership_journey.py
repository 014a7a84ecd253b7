"""Issue 10 acceptance, in the browser and the admin (no service call behind them):

1. Arrears (rules §4 example 2): on 1 June 2026 Italy owes 30 M against 20 M called for 2025-2026,
   so the ballot the secretariat opens leaves it without a vote and says why; the secretariat records
   a 10 M payment in the admin (as the secretariat, not a superuser); the next ballot gives Italy its
   vote back with the sentence changed, and Italy's delegate votes.
2. Accession: the secretariat receives Ukraine's request, circulates it (the 3-month clock is shown),
   tables the admission motion naming the candidate, opens its ballot; France (the only member)
   votes yes; the result is published; the instrument is deposited in the admin; Ukraine is a member
   from that date and its delegate votes in the next ballot.

Every page is checked with axe-core (the ``page`` fixture; the secretariat's window explicitly)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import Page, expect

from finance.models import Call
from governance.models import Appointment, Attendance, Ballot, MembershipRequest, MemberState
from tests.browser.conftest import axe_violations, header_link
from tests.factories import UserFactory
from tests.governance.factories import AgendaItemFactory, BallotFactory, MotionFactory, SessionFactory, appoint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

M = 100_000_000  # one million euros, in cents


def secretariat_window(page: Page, browser_login: Any) -> tuple[Any, Page]:
    """The secretariat in its own signed-in window (one TOTP sign-in for the whole journey)."""
    staff = UserFactory(
        email="secretariat@example.org", name="Sam Secretariat", is_staff=True, groups=["Secretariat"], mfa=True
    )
    assert not staff.is_superuser
    assert page.context.browser is not None
    context = page.context.browser.new_context(locale="en-GB", timezone_id="Europe/Zurich")
    window = context.new_page()
    browser_login(window, staff)
    return context, window


def open_ballot_in_the_browser(window: Page, url: str) -> None:
    window.goto(url)
    window.get_by_role("button", name="Open the ballot").click()
    expect(window.get_by_text("The ballot is open.")).to_be_visible()
    assert axe_violations(window) == []


def vote_yes(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_role("radio", name="yes").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Confirm my vote").click()
    expect(page.get_by_role("heading", name="Vote recorded")).to_be_visible()


def test_a_payment_recorded_by_the_secretariat_gives_italy_its_vote_back_in_the_next_ballot(
    page: Page, live_server: Any, browser_login: Any
) -> None:
    italy = MemberState.objects.create(iso2="IT", name="Italy")
    others = [MemberState.objects.create(iso2=c, name=n) for c, n in (("FR", "France"), ("DE", "Germany"))]
    Call.objects.bulk_create(
        Call(state=italy, year=y, amount_cents=10 * M, issued_on=dt.date(y, 1, 1), due_on=dt.date(y, 4, 1))
        for y in (2024, 2025, 2026)
    )
    session = SessionFactory(title="June session", starts_at=dt.datetime(2026, 6, 1, 8, tzinfo=dt.UTC))
    Attendance.objects.bulk_create(Attendance(session=session, state=s) for s in [italy, *others])
    first = BallotFactory(motion=MotionFactory(item=AgendaItemFactory(session=session), title="Seat agreement"))
    second = BallotFactory(motion=MotionFactory(item=AgendaItemFactory(session=session), title="Annual report"))
    delegate = appoint(italy, Appointment.Role.SCIENTIFIC, name="Ida Italia")
    no_vote = (
        "Italy: arrears EUR 30.0 M exceed the EUR 20.0 M called for 2025\u20132026: no vote; still counted in the 3"
    )
    votes = "Italy: arrears EUR 20.0 M do not exceed the EUR 20.0 M called for 2025\u20132026: votes"

    with time_machine.travel(dt.datetime(2026, 6, 1, 8, tzinfo=dt.UTC), tick=True):
        context, staff = secretariat_window(page, browser_login)
        open_ballot_in_the_browser(staff, f"{live_server.url}/governance/ballots/{first.pk}/")
        expect(staff.get_by_role("row", name="Italy")).to_contain_text(no_vote)

        staff.goto(f"{live_server.url}/admin/finance/payment/add/")
        staff.get_by_label("State:").select_option(label="Italy")
        staff.get_by_label("Received on:").fill("2026-05-20")
        staff.get_by_label("Bank reference:").fill("BNL-0042")
        staff.get_by_label("Amount (EUR):").fill("10000000.00")
        staff.get_by_role("button", name="Save", exact=True).click()
        expect(staff.locator(".messagelist")).to_contain_text("was added successfully")
        assert axe_violations(staff) == []

        open_ballot_in_the_browser(staff, f"{live_server.url}/governance/ballots/{second.pk}/")
        expect(staff.get_by_role("row", name="Italy")).to_have_count(0)  # no longer among those without a vote
        context.close()

        browser_login(page, delegate)
        page.goto(f"{live_server.url}/governance/ballots/{first.pk}/")
        expect(page.locator("#state-entitlement")).to_have_text(no_vote)
        expect(page.get_by_role("button", name="Continue")).to_have_count(0)
        page.goto(f"{live_server.url}/governance/ballots/{second.pk}/")
        expect(page.locator("#state-entitlement")).to_have_text(votes)
        vote_yes(page, f"{live_server.url}/governance/ballots/{second.pk}/")
        header_link(page, "Council").click()
        expect(page.locator("#entitlement")).to_contain_text(votes)

    assert second.votes.get().state == italy
    assert not first.votes.exists()


def test_an_admitted_state_deposits_its_instrument_and_votes_in_the_next_ballot(
    page: Page, live_server: Any, browser_login: Any
) -> None:
    france = MemberState.objects.create(iso2="FR", name="France")
    ukraine = MemberState.objects.create(iso2="UA", name="Ukraine", status=MemberState.Status.OBSERVER)
    session = SessionFactory(title="Autumn session")
    Attendance.objects.create(session=session, state=france)
    item = AgendaItemFactory(session=session, title="Accession of Ukraine")
    next_ballot = BallotFactory(
        motion=MotionFactory(item=AgendaItemFactory(session=session), title="Computing strategy")
    )
    france_delegate = appoint(france, Appointment.Role.SCIENTIFIC, name="Fanny Science")
    ukraine_delegate = appoint(ukraine, Appointment.Role.SCIENTIFIC, name="Oksana Nauka")
    context, staff = secretariat_window(page, browser_login)

    # Received, then circulated: the 3-month clock is shown.
    staff.goto(f"{live_server.url}/admin/governance/membershiprequest/add/")
    staff.get_by_label("State:").select_option(label="Ukraine")
    staff.get_by_label("Kind:").select_option(label="accession (member state)")
    staff.get_by_label("Received on:").fill("2026-01-05")
    staff.get_by_role("button", name="Save and continue editing").click()
    expect(staff.locator(".messagelist")).to_contain_text("was added successfully")
    staff.get_by_label("Circulated to the member states on:").fill("2026-01-10")
    staff.get_by_role("button", name="Save and continue editing").click()
    expect(staff.locator(".field-notice")).to_contain_text(
        "Circulated on 2026-01-10: 3 months' notice given since 2026-04-10."
    )
    assert axe_violations(staff) == []

    # Tabled: the motion names the candidate; its ballot is opened from the ballot page.
    staff.get_by_label("Table the motion on the agenda item:").select_option(label=str(item))
    staff.get_by_role("button", name="Save and continue editing").click()
    expect(staff.locator(".field-motion_link")).to_contain_text("Admission of Ukraine as a member state")
    request = MembershipRequest.objects.get(state=ukraine)
    assert request.motion is not None
    admission = request.motion.ballots.get()
    staff.goto(f"{live_server.url}/governance/sessions/{session.pk}/")
    open_ballot_in_the_browser(staff, f"{live_server.url}/governance/ballots/{admission.pk}/")
    expect(staff.locator("#candidate")).to_contain_text("Candidate: Ukraine (accession (member state)).")
    expect(staff.get_by_role("row", name="Ukraine")).to_contain_text("candidate: accession in progress")

    # France, the only member state, votes yes: unanimity.
    browser_login(page, france_delegate)
    vote_yes(page, f"{live_server.url}/governance/ballots/{admission.pk}/")
    page.context.clear_cookies()

    staff.goto(f"{live_server.url}/governance/ballots/{admission.pk}/")
    staff.once("dialog", lambda dialog: dialog.accept())
    staff.get_by_role("button", name="Close the ballot").click()
    staff.get_by_role("button", name="Publish the result").click()
    expect(staff.get_by_text("The result is published.")).to_be_visible()

    # The instrument of accession is deposited: a member from that date.
    staff.goto(f"{live_server.url}/admin/governance/membershiprequest/{request.pk}/change/")
    expect(staff.locator(".field-stage")).to_contain_text("admitted by the Council")
    # The Council admitted Ukraine today in Geneva's calendar (the portal's), which is not always
    # today in UTC: the instrument cannot be deposited before the admission.
    today = timezone.localdate().isoformat()
    staff.get_by_label("Instrument deposited on:").fill(today)
    staff.get_by_label("Instrument reference:").fill("UA-INSTR-2026")
    staff.get_by_role("button", name="Save and continue editing").click()
    expect(staff.locator(".field-stage")).to_contain_text(f"member since {today}")
    assert axe_violations(staff) == []
    ukraine.refresh_from_db()
    assert ukraine.status == MemberState.Status.MEMBER

    staff.goto(f"{live_server.url}/governance/membership/")
    expect(staff.get_by_role("row", name="Ukraine")).to_contain_text(f"Member since {today}")

    # Ukraine's delegation checks in at the session (quorum), the next ballot opens, Ukraine votes.
    browser_login(page, ukraine_delegate)
    page.goto(f"{live_server.url}/governance/sessions/{session.pk}/")
    page.get_by_role("button", name="Check in my delegation").click()
    expect(page.get_by_text("Your delegation is checked in.")).to_be_visible()
    open_ballot_in_the_browser(staff, f"{live_server.url}/governance/ballots/{next_ballot.pk}/")
    context.close()
    page.goto(f"{live_server.url}/governance/ballots/{next_ballot.pk}/")
    expect(page.locator("#state-entitlement")).to_have_text("Ukraine: no arrears: votes")
    vote_yes(page, f"{live_server.url}/governance/ballots/{next_ballot.pk}/")
    next_ballot.refresh_from_db()
    assert next_ballot.status == Ballot.Status.OPEN
    assert next_ballot.votes.get().state == ukraine
