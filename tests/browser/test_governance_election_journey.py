"""Issue 9 item 7 acceptance: an election goes to a second round and elects, in a real browser. The
chair opens each round and sees its quorum line; France's delegate chooses a candidate, confirms and
keeps the receipt; the chair closes and publishes; the register explains each round."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from governance import elections, services
from governance.models import AgendaItem, Appointment, Attendance, Election, MemberState
from tests.browser.conftest import axe_violations, header_link
from tests.factories import UserFactory
from tests.governance.factories import SessionFactory, appoint

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def council() -> dict[str, Any]:
    france = MemberState.objects.create(name="France", iso2="FR")
    others = {c: MemberState.objects.create(name=f"State {c}", iso2=c) for c in ("DE", "IT", "ES", "NL")}
    session = SessionFactory(title="Spring session")
    Attendance.objects.bulk_create([Attendance(session=session, state=s) for s in [france, *others.values()]])
    item = AgendaItem.objects.create(session=session, title="Election of the President")
    secretariat = UserFactory(email="sec@example.org", mfa=True, is_staff=True, groups=["Secretariat"])
    election = elections.setup_election(
        actor=secretariat, item=item, office="President of the Council",
        candidates=["Ada Lovelace", "Blaise Pascal", "Carl Gauss"],
    )  # fmt: skip
    chair = UserFactory(email="chair@example.org", name="Claire Chair", mfa=True)
    session.council.chair = chair
    session.council.save(update_fields=["chair"])
    return {
        "election": election,
        "fr": appoint(france, Appointment.Role.SCIENTIFIC, name="Fanny Science"),
        "others": {c: appoint(s, Appointment.Role.POLITICAL) for c, s in others.items()},
        "chair": chair,
    }


def others_vote(council: dict[str, Any], votes: dict[str, str]) -> None:
    """The other delegations vote (their own browsers are not the subject here)."""
    election: Election = council["election"]
    ballot_id = election.rounds.order_by("-number")[0].ballot_id
    for iso, name in votes.items():
        choice = "abstain" if name == "abstain" else election.candidates.get(name=name).key
        services.cast_vote(ballot_id=ballot_id, user=council["others"][iso], choice=choice)


def vote_as_france(page: Page, url: str, candidate: str) -> str:
    page.goto(url)
    page.get_by_role("radio", name=candidate).check()
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Confirm your vote")).to_be_visible()
    expect(page.get_by_text(f"You are about to vote for {candidate} for your state.")).to_be_visible()
    page.get_by_role("button", name="Confirm my vote").click()
    expect(page.get_by_role("heading", name="Vote recorded")).to_be_visible()
    receipt = page.locator("#receipt").inner_text()
    assert re.fullmatch(r"[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}", receipt)
    page.get_by_role("link", name="Back to the election").click()
    expect(page.locator("#state-vote")).to_contain_text("Your state has voted: cast by Fanny Science at")
    return receipt


def test_an_election_goes_to_a_second_round_and_elects(
    page: Page, live_server: Any, browser_login: Any, council: dict[str, Any]
) -> None:
    election: Election = council["election"]
    url = f"{live_server.url}/governance/elections/{election.pk}/"
    # The chair works in a window of their own (a second sign-in within one TOTP period would be
    # refused); its pages are checked with axe-core here.
    chair_context = page.context.browser.new_context(locale="en-GB", timezone_id="Europe/Zurich")  # type: ignore[union-attr]
    chair = chair_context.new_page()
    chair.set_default_timeout(15_000)
    try:
        browser_login(chair, council["chair"])
        chair.goto(url)
        expect(chair.locator("#quorum-line")).to_contain_text("5 present → quorum met.")
        chair.get_by_role("button", name="Open round 1").click()
        expect(chair.get_by_text("The round is open.")).to_be_visible()
        assert axe_violations(chair) == []

        # France's delegate finds the election from the Council page and votes in round 1.
        browser_login(page, council["fr"])
        header_link(page, "Council").click()
        page.get_by_role("link", name="Election: President of the Council").first.click()
        expect(page.get_by_role("heading", name="Election: President of the Council")).to_be_visible()
        first_receipt = vote_as_france(page, url, "Ada Lovelace")
        others_vote(council, {"DE": "Ada Lovelace", "IT": "Blaise Pascal", "ES": "Blaise Pascal", "NL": "Carl Gauss"})

        chair.reload()
        expect(chair.locator("#turnout")).to_contain_text("5 of 5 states have voted.")
        chair.once("dialog", lambda dialog: dialog.accept())
        chair.get_by_role("button", name="Close round 1").click()
        expect(chair.get_by_text("The round is closed.")).to_be_visible()
        expect(chair.locator("#explanation-1")).to_have_text(
            "Nobody has more than half of the 5 votes cast for candidates (3 needed; best placed Ada Lovelace "
            "with 2) → second round between Ada Lovelace and Blaise Pascal."
        )
        chair.get_by_role("button", name="Publish the result of round 1").click()
        expect(chair.get_by_text("The result is published.")).to_be_visible()
        expect(chair.locator("#candidates li")).to_have_text(["Ada Lovelace", "Blaise Pascal"])
        chair.get_by_role("button", name="Open round 2").click()
        expect(chair.get_by_text("The round is open.")).to_be_visible()
        assert axe_violations(chair) == []

        # Round 2: only the two best placed are on the paper; France checks its round-1 receipt.
        page.goto(url)
        expect(page.locator("#receipts-1").get_by_role("row", name=f"{first_receipt} Ada Lovelace")).to_be_visible()
        expect(page.get_by_role("radio", name="Carl Gauss")).to_have_count(0)
        vote_as_france(page, url, "Blaise Pascal")
        others_vote(council, {"DE": "Ada Lovelace", "IT": "Blaise Pascal", "ES": "Blaise Pascal", "NL": "abstain"})

        chair.reload()
        chair.once("dialog", lambda dialog: dialog.accept())
        chair.get_by_role("button", name="Close round 2").click()
        expect(chair.get_by_text("The round is closed.")).to_be_visible()
        chair.get_by_role("button", name="Publish the result of round 2").click()
        expect(chair.get_by_text("The result is published.")).to_be_visible()
        assert axe_violations(chair) == []
    finally:
        chair_context.close()

    elected = (
        "Second round: Blaise Pascal: 3 of the 4 votes cast for candidates, more than Ada Lovelace (1) → elected. "
        "1 abstention is not a vote for a candidate."
    )
    page.goto(url)
    expect(page.locator("#election-status")).to_contain_text("Election: Elected — Blaise Pascal")
    expect(page.locator("#explanation-2")).to_have_text(elected)
    # The public register: both rounds, each explained.
    page.goto(f"{live_server.url}/governance/register/")
    expect(page.get_by_role("cell", name="Elected")).to_be_visible()
    expect(page.get_by_role("cell", name="Second round needed")).to_be_visible()
    page.get_by_role("link", name="Election: President of the Council").first.click()
    expect(page.locator(".explanation")).to_have_text(elected)
