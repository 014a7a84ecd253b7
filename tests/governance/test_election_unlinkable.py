"""T17 on an election's choices: an insider with read access tries to link states to the candidates
they voted for. Twenty states vote on the election's page, one by one and in a burst; the attacks of
test_secret_ballot_unlinkable (system columns, every ordering, nearest xmin, every row of every table)
run on the round's published choices. Committed transactions, as there (``transaction=True``)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from governance import elections, services
from governance.models import AgendaItem, Ballot, Election, MemberState, RoundCandidate
from tests.governance.test_secret_ballot_unlinkable import (
    assert_nothing_readable_during_the_ballot,
    attack,
    burst,
    voters,  # noqa: F401  (the fixture: twenty states, each with its delegate signed in)
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

RECEIPT = re.compile(r'<code id="receipt">([0-9A-F-]+)</code>')


@pytest.fixture
def election(session: Any) -> Election:
    item = AgendaItem.objects.create(session=session, title="Election of the President")
    election = elections.setup_election(
        actor=None, item=item, office="President", candidates=["Ada Lovelace", "Blaise Pascal", "Carl Gauss"]
    )
    services.open_ballot(actor=None, ballot_id=election.rounds.get().ballot_id)
    return election


def plan(election: Election) -> list[str]:
    """7 for Ada, 7 for Blaise, 6 abstain, interleaved (as in the motion attack); Carl gets none."""
    ada, blaise = (c.key for c in election.candidates.order_by("position")[:2])
    return ([ada, blaise, "abstain"] * 7)[:20]


def vote_on_the_page(client: Client, election: Election, ballot: Ballot, choice: str) -> str:
    response = client.post(
        f"/governance/elections/{election.pk}/vote/", {"choice": choice, "ballot": str(ballot.pk), "confirmed": "1"}
    )
    assert response.status_code == 200, response.content[:500]
    match = RECEIPT.search(response.content.decode())
    assert match, "no receipt on the page"
    return match.group(1)


def close_and_publish(election: Election, ballot: Ballot, chair_client: Client) -> None:
    for action in ("close", "publish"):
        chair_client.post(f"/governance/elections/{election.pk}/{action}/", {"ballot": str(ballot.pk)})
    ballot.refresh_from_db()
    assert ballot.status == Ballot.Status.PUBLISHED
    counts = dict(RoundCandidate.objects.filter(round__ballot=ballot).values_list("candidate__name", "votes"))
    assert counts == {"Ada Lovelace": 7, "Blaise Pascal": 7, "Carl Gauss": 0}
    assert ballot.election_round.abstain == 6  # type: ignore[attr-defined]
    assert election.rounds.count() == 2  # 7 of 14 is not more than half: a second round


def test_t17_an_election_voted_one_by_one_leaves_no_link(
    voters: list[tuple[MemberState, Client]],  # noqa: F811
    election: Election,
    secretariat: Any,
    login: Any,
) -> None:
    ballot = election.rounds.get().ballot
    truth, receipts = {}, set()
    for (state, client), choice in zip(voters, plan(election), strict=True):
        receipts.add(vote_on_the_page(client, election, ballot, choice))
        truth[state.pk] = choice
    assert_nothing_readable_during_the_ballot(ballot, receipts)
    close_and_publish(election, ballot, login(secretariat))
    attack(ballot, truth, receipts)
    published = Client().get(f"/governance/register/{ballot.pk}/").content.decode()
    assert all(r in published for r in receipts)  # each delegation can still check its ballot


def test_t17_an_election_voted_in_a_burst_leaves_no_link(
    voters: list[tuple[MemberState, Client]],  # noqa: F811
    election: Election,
    secretariat: Any,
    login: Any,
) -> None:
    ballot = election.rounds.get().ballot
    choices = plan(election)
    jobs = [
        (lambda c=client, choice=choice: vote_on_the_page(c, election, ballot, choice))
        for (_state, client), choice in zip(voters, choices, strict=True)
    ]
    results = burst(jobs)
    assert all(isinstance(r, str) for r in results), results
    truth = {state.pk: choice for (state, _c), choice in zip(voters, choices, strict=True)}
    receipts = set(results)
    assert_nothing_readable_during_the_ballot(ballot, receipts)
    close_and_publish(election, ballot, login(secretariat))
    attack(ballot, truth, receipts)
