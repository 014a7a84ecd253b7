"""Issue 3 §7: a secretariat member prepares a session, a motion and a ballot entirely in Django
admin, and opens the ballot with the admin action (which calls the same service as the site)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from governance.models import Ballot, Council, ElectorateEntry, MemberState, Session
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def pick(page: Page, field: str, text: str) -> None:
    """Choose the option containing ``text`` in an admin select."""
    select = page.locator(f"#id_{field}")
    value = select.locator("option", has_text=text).first.get_attribute("value")
    select.select_option(value)


def test_secretariat_prepares_session_motion_and_ballot_in_admin(
    page: Page, live_server: Any, browser_login: Any
) -> None:
    for iso, name, status in (("FR", "France", "member"), ("DE", "Germany", "member"), ("CY", "Cyprus", "associate")):
        MemberState.objects.create(iso2=iso, name=name, status=status)
    Council.objects.create(name="cernai Council")
    staff = UserFactory(
        email="secretariat@example.org", name="Sam Secretariat", is_staff=True, groups=["Secretariat"], mfa=True
    )
    browser_login(page, staff)
    page.goto(f"{live_server.url}/admin/")
    page.get_by_role("link", name="Sessions").click()
    page.get_by_role("link", name="Add session").click()
    page.get_by_label("Body:").select_option(label="cernai Council")
    page.locator("#id_title").fill("Autumn session")
    page.locator("#id_starts_at_0").fill("2026-11-30")
    page.locator("#id_starts_at_1").fill("09:30:00")
    page.locator("#id_items-0-title").fill("Budget 2027")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    session = Session.objects.get(title="Autumn session")
    assert session.items.get().title == "Budget 2027"
    # Presence is recorded on the session's own page, through check_in (France, then Germany arriving
    # later: without it, 1 of 2 entitled states would be present and the ballot would not open).
    for state in ("France", "Germany"):
        page.goto(f"{live_server.url}/admin/governance/session/{session.pk}/change/")
        page.get_by_role("link", name="Record attendance").click()
        page.get_by_label("State present:").select_option(label=state)
        page.get_by_role("button", name="Record attendance").click()
        expect(page.locator(".messagelist")).to_contain_text(f"{state} is recorded as present at Autumn session.")
    assert set(session.attendances.values_list("state__iso2", "checked_in_by")) == {("FR", staff.pk), ("DE", staff.pk)}

    page.goto(f"{live_server.url}/admin/governance/motion/add/")
    pick(page, "item", "Budget 2027")
    page.get_by_label("Title:").fill("Approve the 2027 budget")
    page.get_by_label("Text:").fill("The Council approves the 2027 budget.")
    page.get_by_label("Kind:").select_option("budget")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    page.goto(f"{live_server.url}/admin/governance/ballot/add/")
    pick(page, "motion", "Approve the 2027 budget")
    page.get_by_label("Secrecy:").select_option("secret")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    ballot = Ballot.objects.get(motion__title="Approve the 2027 budget")
    assert ballot.status == Ballot.Status.DRAFT

    page.locator(f"input[name='_selected_action'][value='{ballot.pk}']").check()
    page.locator("select[name='action']").select_option(label="Open the selected ballots")
    page.get_by_role("button", name="Run").or_(page.get_by_role("button", name="Go")).click()
    expect(page.locator(".messagelist")).to_contain_text("open ✓")
    ballot.refresh_from_db()
    assert ballot.status == Ballot.Status.OPEN
    reasons = dict(ElectorateEntry.objects.filter(ballot=ballot).values_list("state__iso2", "reason"))
    assert reasons == {"FR": "entitled", "DE": "entitled", "CY": "associate"}
    # The ballot's page on the site shows the electorate the admin action froze.
    page.goto(f"{live_server.url}/governance/ballots/{ballot.pk}/")
    expect(page.get_by_role("cell", name="associate member: sits without a vote")).to_be_visible()
    # The body's voting rules change on its own page, never under a running ballot: refused, with why.
    council = Council.objects.get(name="cernai Council")
    page.goto(f"{live_server.url}/admin/governance/council/{council.pk}/change/")
    page.get_by_role("link", name="Change the voting rules").click()
    page.get_by_label("Contribution-weighted rule:").select_option("on")
    page.get_by_label("Reason:").fill("Council decision 2026/7")
    page.get_by_role("button", name="Change the voting rules").click()
    expect(page.locator(".errorlist")).to_contain_text("its voting rules cannot change under a running ballot")
    council.refresh_from_db()
    assert council.weighted_rule == "off"
