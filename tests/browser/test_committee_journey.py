"""Issue 9 acceptance: a member of the Scientific Policy Committee (appointed ad personam) signs in
with TOTP, finds the committee's ballot, votes and gets a receipt; a Council-only delegate does not
see the ballot listed and gets a 404 on its address; once the committee adopted its recommendation,
the delegate reads it on the Council motion's ballot page."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from governance import bodies, services
from governance.models import Appointment, Attendance, Council, MemberState
from tests.browser.conftest import header_link, sign_out
from tests.factories import UserFactory
from tests.governance.factories import AgendaItemFactory, BallotFactory, MotionFactory, SessionFactory, appoint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world() -> dict[str, Any]:
    france = MemberState.objects.create(name="France", iso2="FR")
    others = [MemberState.objects.create(name=f"State {c}", iso2=c) for c in ("DE", "IT")]
    council_session = SessionFactory(title="Council spring session")
    Attendance.objects.bulk_create([Attendance(session=council_session, state=s) for s in [france, *others]])
    council_motion = MotionFactory(
        item=AgendaItemFactory(session=council_session, title="Research programme"),
        title="Adopt the research programme",
    )
    council_ballot = BallotFactory(motion=council_motion)
    services.open_ballot(actor=None, ballot_id=council_ballot.pk)

    spc = Council.objects.create(name="Scientific Policy Committee", kind=Council.Kind.AD_PERSONAM)
    secretariat = UserFactory(email="sec@example.org", is_staff=True, groups=["Secretariat"], mfa=True)
    member = UserFactory(email="ada@example.org", name="Ada Scientist", mfa=True)
    colleagues = [UserFactory(email=f"spc{i}@example.org", mfa=True) for i in range(2)]
    for person in [member, *colleagues]:
        bodies.appoint_member(actor=secretariat, body=spc, user=person, start=dt.date(2025, 1, 1))
    spc_session = SessionFactory(council=spc, title="SPC spring meeting")
    for person in [member, *colleagues]:
        services.check_in(user=person, session=spc_session)
    spc_motion = MotionFactory(
        item=AgendaItemFactory(session=spc_session, title="Advice to Council"),
        title="Recommend the research programme",
        text="The Scientific Policy Committee recommends that the Council adopt the research programme.",
    )
    spc_ballot = BallotFactory(motion=spc_motion)
    services.open_ballot(actor=None, ballot_id=spc_ballot.pk)
    bodies.attach_recommendation(actor=secretariat, motion=spc_motion, council_motion=council_motion)
    return {
        "member": member,
        "colleagues": colleagues,
        "delegate": appoint(france, Appointment.Role.SCIENTIFIC, name="Fanny Science"),
        "spc_ballot": spc_ballot,
        "council_ballot": council_ballot,
    }


def test_an_spc_member_votes_in_a_ballot_a_council_delegate_cannot_see(
    page: Page, live_server: Any, browser_login: Any, world: dict[str, Any]
) -> None:
    spc_ballot = world["spc_ballot"]
    browser_login(page, world["member"])
    header_link(page, "Council").click()
    expect(page.get_by_role("heading", name="My committee seats")).to_be_visible()
    expect(page.get_by_role("link", name="Adopt the research programme")).to_have_count(0)  # not a delegate
    page.get_by_role("link", name="Recommend the research programme").click()
    expect(page.locator("#ballot-body")).to_contain_text("Scientific Policy Committee")
    expect(page.locator("#state-status")).to_contain_text("You have not voted yet")
    page.get_by_role("radio", name="yes").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Confirm your vote")).to_be_visible()
    expect(page.get_by_text("as a member of this committee")).to_be_visible()
    page.get_by_role("button", name="Confirm my vote").click()
    expect(page.get_by_role("heading", name="Vote recorded")).to_be_visible()
    receipt = page.locator("#receipt").inner_text()
    assert re.fullmatch(r"[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}", receipt)
    page.goto(f"{live_server.url}/governance/ballots/{spc_ballot.pk}/")
    expect(page.locator("#state-vote")).to_contain_text("You voted yes at")
    expect(page.locator("#my-receipts")).to_contain_text(receipt)
    sign_out(page)

    # The Council delegate: the committee's ballot is not listed and its address is a 404.
    browser_login(page, world["delegate"])
    header_link(page, "Council").click()
    expect(page.get_by_role("link", name="Adopt the research programme")).to_be_visible()
    expect(page.get_by_text("Recommend the research programme")).to_have_count(0)
    expect(page.get_by_text("Scientific Policy Committee")).to_have_count(0)
    response = page.goto(f"{live_server.url}/governance/ballots/{spc_ballot.pk}/")
    assert response is not None and response.status == 404
    page.goto(f"{live_server.url}/governance/ballots/{world['council_ballot'].pk}/")
    expect(page.locator("#recommendations")).to_have_count(0)  # not adopted yet

    # The committee adopts its recommendation: the delegate reads it on the Council motion's ballot.
    services.cast_vote(ballot_id=spc_ballot.pk, user=world["colleagues"][0], choice="yes")
    services.close_ballot(actor=None, ballot_id=spc_ballot.pk)
    services.publish_result(actor=None, ballot_id=spc_ballot.pk)
    page.reload()
    recommendations = page.locator("#recommendations")
    expect(recommendations).to_contain_text("Recommendation of Scientific Policy Committee")
    expect(recommendations).to_contain_text("recommends that the Council adopt the research programme")
    expect(recommendations).to_contain_text("2 yes, 0 no")
