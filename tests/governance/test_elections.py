"""Issue 9 item 7: elections among candidates, through the interfaces people use — the secretariat
sets one up in the admin (not a superuser), the chair runs the rounds on the election's page,
delegates vote there (choice, confirmation, receipt), and the result is published in the register
with the sentence that explains it, in the reader's language."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from governance import services, tasks
from governance.models import (
    AgendaItem,
    Appointment,
    Ballot,
    Candidate,
    Election,
    ElectionRound,
    MemberState,
    Motion,
    SealedEnvelope,
)
from tests.admin_forms import messages_of, post_form
from tests.governance.factories import AgendaItemFactory, appoint

pytestmark = pytest.mark.django_db

RECEIPT = re.compile(r'<code id="receipt">([0-9A-F-]+)</code>')


def messages_after(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def said(client: Client, url: str, data: dict[str, str]) -> list[str]:
    """POST as the page does, follow the redirect and read the messages shown."""
    response = client.post(url, data, follow=True)
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def item(session: Any) -> AgendaItem:
    return AgendaItemFactory(session=session, title="Election of the President")


def set_up_in_the_admin(
    client: Client, item: AgendaItem, candidates: str, office: str = "President of the Council"
) -> Any:
    return post_form(
        client, "/admin/governance/election/add/", {"item": str(item.pk), "office": office, "candidates": candidates}
    )


@pytest.fixture
def election(secretariat: Any, login: Any, item: AgendaItem) -> Election:
    response = set_up_in_the_admin(login(secretariat), item, "Ada Lovelace\nBlaise Pascal\nCarl Gauss\n")
    assert response.status_code == 200, messages_of(response)
    return Election.objects.get()


def key(election: Election, name: str) -> str:
    return Candidate.objects.get(election=election, name=name).key


def current_ballot(election: Election) -> Ballot:
    return election.rounds.order_by("-number")[0].ballot


def vote(client: Client, election: Election, choice: str) -> str:
    """Choose, confirm, get the receipt — as a delegate does on the election page."""
    base = f"/governance/elections/{election.pk}"
    confirm = client.post(f"{base}/confirm/", {"choice": choice})
    assert confirm.status_code == 200, messages_after(confirm)
    ballot = re.search(r'name="ballot" value="(\d+)"', confirm.content.decode()).group(1)  # type: ignore[union-attr]
    done = client.post(f"{base}/vote/", {"choice": choice, "ballot": ballot, "confirmed": "1"})
    assert done.status_code == 200, messages_after(done)
    return RECEIPT.search(done.content.decode()).group(1)  # type: ignore[union-attr]


def run(client: Client, election: Election, action: str, ballot: Ballot | None = None) -> list[str]:
    ballot = ballot or current_ballot(election)
    response = client.post(f"/governance/elections/{election.pk}/{action}/", {"ballot": str(ballot.pk)}, follow=True)
    assert response.redirect_chain[-1][0] == f"/governance/elections/{election.pk}/"
    return [str(m) for m in response.context["messages"]]


def cast_round(
    delegates: dict[str, Any], login: Any, election: Election, plan: list[tuple[str, int]]
) -> dict[str, str]:
    """``plan``: (candidate name or "abstain", number of states); states vote in the fixture's order."""
    states = list(delegates)
    receipts, i = {}, 0
    for name, n in plan:
        choice = "abstain" if name == "abstain" else key(election, name)
        for _ in range(n):
            receipts[vote(login(delegates[states[i]][0]), election, choice)] = name
            i += 1
    return receipts


def test_the_secretariat_sets_up_an_election_in_the_admin(election: Election, secretariat: Any) -> None:
    assert secretariat.is_staff and not secretariat.is_superuser
    assert election.office == "President of the Council"
    assert [c.name for c in election.candidates.all()] == ["Ada Lovelace", "Blaise Pascal", "Carl Gauss"]
    motion = election.motion
    assert (motion.title, motion.status, motion.item.title) == (
        "Election: President of the Council",
        Motion.Status.DRAFT,
        "Election of the President",
    )
    (first,) = election.rounds.all()
    assert (first.number, first.ballot.status, first.ballot.secrecy, first.ballot.mode) == (
        1,
        "draft",
        "secret",
        "either",
    )
    assert [e.candidate.name for e in first.entries.all()] == ["Ada Lovelace", "Blaise Pascal", "Carl Gauss"]
    assert election.events.last().pgh_context.metadata["reason"] == "set up election"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("candidates", "error"),
    [
        ("\n  \n", "This field is required."),
        ("Ada Lovelace\nada lovelace", "ada lovelace is listed twice; each candidate stands once."),
        ("X" * 201, "is longer than 200 characters."),
    ],
)
def test_bad_candidates_are_refused_naming_the_field(
    secretariat: Any, login: Any, item: AgendaItem, candidates: str, error: str
) -> None:
    response = set_up_in_the_admin(login(secretariat), item, candidates)
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["candidates"] and error in errors["candidates"][0], errors
    assert any(error in m for m in messages_of(response)), messages_of(response)
    assert not Election.objects.exists() and not Motion.objects.exists()


def test_an_election_goes_to_a_second_round_and_elects(
    election: Election, chair: Any, login: Any, delegates: dict[str, Any], members: list[MemberState]
) -> None:
    runner = login(chair)
    assert run(runner, election, "open") == ["The round is open."]
    first_receipts = cast_round(
        delegates, login, election, [("Ada Lovelace", 10), ("Blaise Pascal", 8), ("Carl Gauss", 4), ("abstain", 1)]
    )
    assert run(runner, election, "close") == ["The round is closed."]
    election.refresh_from_db()
    first, second = election.rounds.order_by("number")
    assert first.outcome == ElectionRound.Outcome.SECOND_ROUND
    assert [e.candidate.name for e in second.entries.all()] == ["Ada Lovelace", "Blaise Pascal"]
    assert second.ballot.status == Ballot.Status.DRAFT and election.status == Election.Status.RUNNING
    # Not public until published; then in the register with its sentence and every receipt.
    assert first.ballot.pk not in [b.pk for b in services.Ballot.objects.filter(status="published")]
    assert run(runner, election, "publish", first.ballot) == ["The result is published."]
    page = Client().get(f"/governance/register/{first.ballot.pk}/").content.decode()
    sentence = (
        "Nobody has more than half of the 22 votes cast for candidates (12 needed; best placed Ada Lovelace "
        "with 10) → second round between Ada Lovelace and Blaise Pascal. 1 abstention is not a vote for a candidate."
    )
    assert sentence in page.replace("&#x27;", "'")
    for receipt, name in first_receipts.items():
        assert re.search(rf"<code>{receipt}</code></td><td>{'abstain' if name == 'abstain' else name}<", page)
    assert Motion.objects.get(pk=election.motion_id).status == Motion.Status.TABLED

    # Round 2: the quorum is checked again at its opening; only the two best placed are on the paper.
    assert run(runner, election, "open") == ["The round is open."]
    eliminated = said(
        login(delegates["FR"][0]),
        f"/governance/elections/{election.pk}/confirm/",
        {"choice": key(election, "Carl Gauss")},
    )
    assert eliminated == ["Choose one of this round's candidates, or abstain."]
    cast_round(delegates, login, election, [("Ada Lovelace", 11), ("Blaise Pascal", 12)])
    run(runner, election, "close")
    run(runner, election, "publish")
    election.refresh_from_db()
    assert election.status == Election.Status.ELECTED and election.elected.name == "Blaise Pascal"  # type: ignore[union-attr]
    motion = Motion.objects.get(pk=election.motion_id)
    assert motion.status == Motion.Status.ADOPTED and re.fullmatch(r"R/\d{4}/\d{3}", motion.resolution_number)
    register = Client().get("/governance/register/").content.decode()
    assert register.count("Election: President of the Council") == 2 and "Elected" in register
    final = (
        "Second round: Blaise Pascal: 12 of the 23 votes cast for candidates, more than Ada Lovelace (11) → elected."
    )
    assert final in Client().get(f"/governance/register/{second.ballot.pk}/").content.decode()
    # The reader's language, from the stored figures.
    french = Client().get(f"/governance/register/{second.ballot.pk}/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert (
        "Second tour : Blaise Pascal : 12 des 23 voix exprimées en faveur de candidats, plus que Ada Lovelace (11) "
        "→ élu·e."
    ) in french
    # Delegates see every round on the election page.
    seen = login(delegates["FR"][1]).get(f"/governance/elections/{election.pk}/").content.decode()
    assert "Result of round 1" in seen and "Result of round 2" in seen and final in seen
    # The public API gives each round with its office, counts per candidate, sentence and receipts by name.
    api = Client().get(f"/api/v1/governance/resolutions/{second.ballot.pk}/").json()
    assert api["election"] == {
        "office": "President of the Council",
        "round": 2,
        "outcome": "elected",
        "abstain": 0,
        "candidates": [{"name": "Ada Lovelace", "votes": 11}, {"name": "Blaise Pascal", "votes": 12}],
    }
    assert api["explanation"] == final
    assert sorted(r["choice"] for r in api["receipts"]) == ["Ada Lovelace"] * 11 + ["Blaise Pascal"] * 12
    listed = Client().get("/api/v1/governance/resolutions/").json()["results"]
    assert {r["election"]["round"] for r in listed if r["election"]} == {1, 2}


def test_a_tie_in_the_second_round_elects_nobody_and_is_reported(
    election: Election, chair: Any, login: Any, delegates: dict[str, Any]
) -> None:
    runner = login(chair)
    run(runner, election, "open")
    cast_round(delegates, login, election, [("Ada Lovelace", 9), ("Blaise Pascal", 9), ("Carl Gauss", 5)])
    run(runner, election, "close")
    run(runner, election, "open")
    cast_round(delegates, login, election, [("Ada Lovelace", 11), ("Blaise Pascal", 11), ("abstain", 1)])
    run(runner, election, "close")
    run(runner, election, "publish")
    election.refresh_from_db()
    assert election.status == Election.Status.NOBODY and election.elected is None
    assert Motion.objects.get(pk=election.motion_id).status == Motion.Status.REJECTED
    page = runner.get(f"/governance/elections/{election.pk}/").content.decode()
    assert "Second round: Ada Lovelace and Blaise Pascal tied with 11 votes each → nobody is elected." in page
    assert "Nobody elected" in page


def test_entitlement_choice_and_finality_are_checked_on_every_step(
    election: Election, chair: Any, login: Any, delegates: dict[str, Any], associate: MemberState
) -> None:
    page = f"/governance/elections/{election.pk}/"
    ada = key(election, "Ada Lovelace")
    sci, pol = (login(d) for d in delegates["FR"])
    # Not open yet: refused at the confirmation step already.
    assert said(sci, f"{page}confirm/", {"choice": ada}) == ["This ballot is not open for voting."]
    run(login(chair), election, "open")
    # An associate member's delegate gets no further than the page.
    associate_client = login(appoint(associate, Appointment.Role.POLITICAL))
    refused = said(associate_client, f"{page}confirm/", {"choice": ada})
    assert refused == ["Cyprus cannot vote in this ballot: associate member: sits without a vote."]
    # A motion's yes/no is not a choice in an election, on either path.
    assert said(sci, f"{page}confirm/", {"choice": "yes"}) == ["Choose one of this round's candidates, or abstain."]
    ballot = current_ballot(election)
    generic = said(sci, f"/governance/ballots/{ballot.pk}/vote/", {"choice": "yes", "confirmed": "1"})
    assert generic == ["Choose one of this round's candidates, or abstain."]
    assert sci.get(f"/governance/ballots/{ballot.pk}/")["Location"] == page
    # The confirmation is needed; then the vote is final for the state.
    unconfirmed = said(sci, f"{page}vote/", {"choice": ada, "ballot": str(ballot.pk)})
    assert unconfirmed == ["Confirm your vote to cast it."]
    assert not SealedEnvelope.objects.exists()
    vote(sci, election, ada)
    again = said(pol, f"{page}confirm/", {"choice": ada})
    assert "France has already voted: cast by Fanny Science at" in again[0]
    shown = pol.get(page).content.decode()
    assert "Your state has voted: cast by Fanny Science at" in shown and "Continue" not in shown
    assert "1 of 23 states have voted." in shown


def test_the_second_round_opens_only_with_quorum_and_the_chair_sees_the_line(
    election: Election, chair: Any, login: Any, delegates: dict[str, Any], session: Any, members: list[MemberState]
) -> None:
    runner = login(chair)
    run(runner, election, "open")
    cast_round(delegates, login, election, [("Ada Lovelace", 5), ("Blaise Pascal", 5), ("Carl Gauss", 1)])
    run(runner, election, "close")
    session.attendances.exclude(state__in=members[:11]).delete()
    line = "a majority of the 23 states entitled to vote = 12 needed present; 11 present → no quorum"
    assert line in runner.get(f"/governance/elections/{election.pk}/").content.decode()
    assert any(line in m for m in run(runner, election, "open"))
    assert current_ballot(election).status == Ballot.Status.DRAFT


def test_the_scheduled_close_and_the_admin_actions_count_per_candidate(
    election: Election, chair: Any, secretariat: Any, login: Any, delegates: dict[str, Any]
) -> None:
    run(login(chair), election, "open")
    cast_round(delegates, login, election, [("Carl Gauss", 12), ("Ada Lovelace", 11)])
    ballot = current_ballot(election)
    Ballot.objects.filter(pk=ballot.pk).update(closes_at=timezone.now() - dt.timedelta(minutes=1))
    tasks.close_ballot(ballot.pk)  # what the sweeper enqueues for a ballot due to close
    election.refresh_from_db()
    assert election.status == Election.Status.ELECTED and election.elected.name == "Carl Gauss"  # type: ignore[union-attr]
    assert election.rounds.count() == 1
    client = login(secretariat)
    response = client.post(
        "/admin/governance/ballot/",
        {"action": "publish_ballots", "_selected_action": [str(ballot.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    ballot.refresh_from_db()
    assert ballot.status == Ballot.Status.PUBLISHED and ballot.explanation.startswith("Carl Gauss: 12 of the 23")
    assert services.verify_ballot(ballot_id=ballot.pk).ok
    page = client.get(f"/governance/elections/{election.pk}/").content.decode()
    assert "Integrity check: every stored vote matches its seal." in page
    assert "Carl Gauss: 12 of the 23 votes cast for candidates, more than half (12 needed) → elected." in page
    admin_page = client.get(f"/admin/governance/election/{election.pk}/change/").content.decode()
    assert "Round 1: published. Carl Gauss: 12 of the 23" in admin_page
