"""Issue 3 §7: a delegate signs in with TOTP, opens a ballot, votes by keyboard alone and confirms;
the co-delegate sees the state's vote; the chair closes and publishes; the result appears."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from governance import services
from governance.models import Appointment, Attendance, Ballot, MemberState
from tests.browser.conftest import header_link, sign_out
from tests.factories import UserFactory
from tests.governance.factories import AgendaItemFactory, BallotFactory, MotionFactory, SessionFactory, appoint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def council() -> dict[str, Any]:
    france = MemberState.objects.create(name="France", iso2="FR")
    others = [MemberState.objects.create(name=f"State {c}", iso2=c) for c in ("DE", "IT", "ES")]
    session = SessionFactory(title="Spring session")
    Attendance.objects.bulk_create([Attendance(session=session, state=s) for s in [france, *others]])
    motion = MotionFactory(
        item=AgendaItemFactory(session=session, title="Medium-term plan"), title="Adopt the medium-term plan"
    )
    ballot = BallotFactory(motion=motion)
    services.open_ballot(actor=None, ballot_id=ballot.pk)
    chair = UserFactory(email="chair@example.org", name="Claire Chair", mfa=True)
    session.council.chair = chair  # the chair's role follows from chairing the Council
    session.council.save(update_fields=["chair"])
    return {
        "ballot": ballot,
        "sci": appoint(france, Appointment.Role.SCIENTIFIC, name="Fanny Science"),
        "pol": appoint(france, Appointment.Role.POLITICAL, name="Paul Politique"),
        "chair": chair,
    }


def tab_to(page: Page, predicate: str, limit: int = 80) -> None:
    """Press Tab until the focused element satisfies ``predicate`` (a JS expression over `el`)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"() => {{ const el = document.activeElement; return !!({predicate}); }}"):
            return
    raise AssertionError(f"keyboard focus never reached {predicate}")


def test_delegate_votes_by_keyboard_co_delegate_sees_it_chair_closes(
    page: Page, live_server: Any, browser_login: Any, council: dict[str, Any]
) -> None:
    ballot: Ballot = council["ballot"]
    browser_login(page, council["sci"])  # password + TOTP
    header_link(page, "Council").click()
    page.get_by_role("link", name="Adopt the medium-term plan").click()
    expect(page.get_by_role("heading", name="Adopt the medium-term plan")).to_be_visible()

    # Keyboard alone: Tab to the radio group, arrows to choose, Enter to continue and to confirm.
    tab_to(page, "el.name === 'choice'")
    page.keyboard.press("Space")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    expect(page.get_by_role("radio", name="yes")).to_be_checked()
    tab_to(page, "el.tagName === 'BUTTON' && el.textContent.trim() === 'Continue'")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Confirm your vote")).to_be_visible()
    tab_to(page, "el.tagName === 'BUTTON' && el.textContent.trim() === 'Confirm my vote'")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Vote recorded")).to_be_visible()
    receipt = page.locator("#receipt").inner_text()
    assert re.fullmatch(r"[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}", receipt)
    sign_out(page)

    browser_login(page, council["pol"])
    page.goto(f"{live_server.url}/governance/ballots/{ballot.pk}/")
    expect(page.locator("#state-vote")).to_contain_text("Your state voted yes: cast by Fanny Science at")
    expect(page.get_by_role("button", name="Continue")).to_have_count(0)
    sign_out(page)

    browser_login(page, council["chair"])
    page.goto(f"{live_server.url}/governance/ballots/{ballot.pk}/")
    expect(page.locator("#turnout")).to_contain_text("1 of 4 states have voted.")
    expect(page.locator("#turnout")).to_contain_text("State DE")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Close the ballot").click()
    expect(page.get_by_text("The ballot is closed.")).to_be_visible()
    page.get_by_role("button", name="Publish the result").click()
    expect(page.get_by_text("The result is published.")).to_be_visible()
    expect(page.locator(".explanation")).to_have_text(
        "Ordinary rule: simple majority of the 1 states voting = more yes than no; 1 yes, 0 no → adopted."
    )
    page.goto(f"{live_server.url}/governance/register/")
    page.get_by_role("link", name="Adopt the medium-term plan").click()
    expect(page.get_by_role("cell", name="France")).to_be_visible()
