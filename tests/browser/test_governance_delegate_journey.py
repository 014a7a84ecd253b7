"""Issue 9 acceptance in the browser: a delegate opens a restricted paper of their session, votes,
leaves, comes back and finds the receipt; an anonymous visitor and an associate member's delegate are
refused the restricted and closed-session papers; the chair is refused opening a ballot without quorum."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from governance import papers, services
from governance.models import Appointment, Attendance, Ballot, MemberState, Minutes, Paper
from tests.browser.conftest import header_link, sign_out
from tests.factories import UserFactory
from tests.governance.factories import (
    AgendaItemFactory,
    BallotFactory,
    MotionFactory,
    SessionFactory,
    appoint,
    make_paper,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PAPER = b"%PDF-1.4 the medium-term plan 2027-2031"


@pytest.fixture
def council() -> dict[str, Any]:
    france = MemberState.objects.create(name="France", iso2="FR")
    others = [MemberState.objects.create(name=f"State {c}", iso2=c) for c in ("DE", "IT", "ES")]
    session = SessionFactory(title="Spring session")
    item = AgendaItemFactory(session=session, title="Medium-term plan")
    secretariat = UserFactory(email="sec@example.org", is_staff=True, groups=["Secretariat"], mfa=True)
    make_paper(item, "Draft plan 2027-2031", classification="restricted", owner=secretariat, content=PAPER)
    ballot = BallotFactory(motion=MotionFactory(item=item, title="Adopt the medium-term plan"))
    chair = UserFactory(email="chair@example.org", name="Claire Chair", mfa=True)
    session.council.chair = chair  # the chair's role follows from chairing the Council
    session.council.save(update_fields=["chair"])
    return {
        "france": france,
        "others": others,
        "session": session,
        "ballot": ballot,
        "sci": appoint(france, Appointment.Role.SCIENTIFIC, name="Fanny Science"),
        "chair": chair,
        "secretariat": secretariat,
        "item": item,
    }


@pytest.mark.both_viewports
def test_delegate_reads_a_paper_votes_leaves_and_finds_the_receipt_again(
    page: Page, live_server: Any, browser_login: Any, council: dict[str, Any]
) -> None:
    session, ballot = council["session"], council["ballot"]
    Attendance.objects.bulk_create(
        [Attendance(session=session, state=s) for s in [council["france"], *council["others"]]]
    )
    services.open_ballot(actor=None, ballot_id=ballot.pk)
    browser_login(page, council["sci"])
    header_link(page, "Council").click()
    page.get_by_role("link", name="Spring session").click()
    paper = Paper.objects.get(title="Draft plan 2027-2031")
    expect(page.locator(".papers")).to_contain_text(f"{paper.symbol} Draft plan 2027-2031 · restricted to delegations")
    with page.expect_download() as download:
        page.get_by_role("link", name="Draft plan 2027-2031").click()
    assert Path(download.value.path()).read_bytes() == PAPER

    page.get_by_role("link", name="Ballot (open)").click()
    expect(page.locator("#turnout")).to_contain_text("0 of 4 states have voted.")
    expect(page.locator("#state-status")).to_have_text("Your state has not voted yet")
    page.get_by_role("radio", name="yes").check()
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Confirm my vote").click()
    receipt = page.locator("#receipt").inner_text()

    # Leaves: signs out. Comes back later: the dashboard and the ballot show the state's vote and the receipt.
    sign_out(page)
    browser_login(page, council["sci"])
    expect(page.locator("#dashboard-receipts")).to_contain_text(receipt)
    page.locator("#dashboard-receipts").get_by_role("link", name="Adopt the medium-term plan").click()
    expect(page.locator("#state-status")).to_have_text("Your state voted yes")
    expect(page.locator("#my-receipts")).to_contain_text(receipt)
    expect(page.locator("#turnout")).to_contain_text("1 of 4 states have voted.")


def test_chair_sees_no_quorum_and_is_refused_opening(
    page: Page, live_server: Any, browser_login: Any, council: dict[str, Any]
) -> None:
    ballot: Ballot = council["ballot"]
    Attendance.objects.create(session=council["session"], state=council["france"])  # 1 of 4 present
    browser_login(page, council["chair"])
    page.goto(f"{live_server.url}/governance/ballots/{ballot.pk}/")
    line = "a majority of the 4 states entitled to vote = 3 needed present; 1 present → no quorum"
    expect(page.locator("#quorum-line")).to_contain_text(line)
    page.get_by_role("button", name="Open the ballot").click()
    expect(page.locator(".messages")).to_contain_text(line)
    expect(page.get_by_role("button", name="Open the ballot")).to_be_visible()
    ballot.refresh_from_db()
    assert ballot.status == Ballot.Status.DRAFT


def test_anonymous_visitors_and_other_delegations_are_refused_restricted_and_closed_papers(
    page: Page, live_server: Any, browser_login: Any, council: dict[str, Any]
) -> None:
    owner = council["secretariat"]
    restricted = Paper.objects.get(title="Draft plan 2027-2031")
    closed = make_paper(council["item"], "Staff matters", classification="closed", owner=owner)
    public = make_paper(council["item"], "Press release", classification="public", owner=owner)
    # Minutes of an earlier session, approved at this one and published: public part in the register.
    earlier = SessionFactory(title="Winter session", starts_at=council["session"].starts_at - dt.timedelta(days=90))
    minutes = Minutes.objects.create(session=earlier, public_part="The Council met.", closed_part="Staff case 7.")
    papers.approve_minutes(actor=owner, minutes_id=minutes.pk, at_session_id=council["session"].pk)
    papers.publish_minutes(actor=owner, minutes_id=minutes.pk)
    # Anonymous: the public register lists the public paper only; the others are not found.
    page.goto(f"{live_server.url}/governance/register/documents/")
    expect(page.locator("#public-papers")).to_contain_text(public.symbol)
    expect(page.locator("#public-papers")).not_to_contain_text("Draft plan")
    for paper in (restricted, closed):
        response = page.goto(f"{live_server.url}/governance/papers/{paper.pk}/")
        assert response is not None and response.status == 404
    page.goto(f"{live_server.url}/governance/register/documents/")
    page.get_by_role("link", name="Minutes of Winter session").click()
    expect(page.locator("#minutes-public-part")).to_have_text("The Council met.")
    expect(page.locator("main")).not_to_contain_text("Staff case 7.")
    # An associate member's delegate sits in the open session: reads the restricted paper, not the closed one.
    cyprus = MemberState.objects.create(name="Cyprus", iso2="CY", status=MemberState.Status.ASSOCIATE)
    browser_login(page, appoint(cyprus, Appointment.Role.SCIENTIFIC, name="Chris Associate"))
    page.goto(f"{live_server.url}/governance/sessions/{council['session'].pk}/")
    expect(page.locator(".papers")).to_contain_text("Draft plan 2027-2031")
    expect(page.locator(".papers")).not_to_contain_text("Staff matters")
    page.goto(f"{live_server.url}/governance/sessions/{earlier.pk}/")
    expect(page.locator("#minutes")).to_contain_text("The Council met.")
    expect(page.locator("#minutes")).not_to_contain_text("Staff case 7.")
    response = page.goto(f"{live_server.url}/governance/papers/{closed.pk}/")
    assert response is not None and response.status == 404
