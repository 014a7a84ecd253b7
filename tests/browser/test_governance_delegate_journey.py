"""Issue 9 acceptance in the browser: a delegate opens a paper of their session, votes, leaves,
comes back and finds the receipt; the chair is refused opening a ballot without quorum."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect

from cernai.core import files
from governance import services
from governance.models import Appointment, Attendance, Ballot, MemberState, Paper
from tests.factories import UserFactory
from tests.governance.factories import AgendaItemFactory, BallotFactory, MotionFactory, SessionFactory, appoint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PAPER = b"%PDF-1.4 the medium-term plan 2027-2031"


@pytest.fixture
def council() -> dict[str, Any]:
    france = MemberState.objects.create(name="France", iso2="FR")
    others = [MemberState.objects.create(name=f"State {c}", iso2=c) for c in ("DE", "IT", "ES")]
    session = SessionFactory(title="Spring session")
    item = AgendaItemFactory(session=session, title="Medium-term plan")
    secretariat = UserFactory(email="sec@example.org", is_staff=True, groups=["Secretariat"], mfa=True)
    upload = SimpleUploadedFile("plan.pdf", PAPER)
    Paper.objects.create(
        item=item,
        title="Draft plan 2027-2031",
        file=files.store_upload(upload=upload, owner=secretariat, purpose="paper"),
    )
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
    }


def test_delegate_reads_a_paper_votes_leaves_and_finds_the_receipt_again(
    page: Page, live_server: Any, browser_login: Any, council: dict[str, Any]
) -> None:
    session, ballot = council["session"], council["ballot"]
    Attendance.objects.bulk_create(
        [Attendance(session=session, state=s) for s in [council["france"], *council["others"]]]
    )
    services.open_ballot(actor=None, ballot_id=ballot.pk)
    browser_login(page, council["sci"])
    page.get_by_role("link", name="Council", exact=True).click()
    page.get_by_role("link", name="Spring session").click()
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
    page.get_by_role("button", name="Sign out").click()
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
