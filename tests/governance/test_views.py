"""Delegate and chair pages through the test client: the vote with its confirmation step, the
co-delegate's view, the chair's controls, live turnout (query count pinned at two sizes), public pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance import selectors, services
from governance.models import Ballot, MemberState
from tests.governance.factories import adopted_scale, grow_electorate

pytestmark = pytest.mark.django_db


def test_delegate_votes_with_a_confirmation_step_and_gets_a_receipt(
    delegate_fr_sci: Any, delegate_fr_pol: Any, make_ballot: Any, login: Any
) -> None:
    ballot = make_ballot()
    client = login(delegate_fr_sci)
    page = client.get(f"/governance/ballots/{ballot.pk}/").content.decode()
    assert "Your delegation&#x27;s vote" in page or "Your delegation's vote" in page
    confirm = client.post(f"/governance/ballots/{ballot.pk}/confirm/", {"choice": "yes"})
    assert confirm.status_code == 200
    assert "Confirm my vote" in confirm.content.decode()
    assert not ballot.votes.exists()  # nothing stored before the confirmation
    # Skipping the confirmation is refused.
    client.post(f"/governance/ballots/{ballot.pk}/vote/", {"choice": "yes"})
    assert not ballot.votes.exists()
    done = client.post(f"/governance/ballots/{ballot.pk}/vote/", {"choice": "yes", "confirmed": "1"})
    receipt = ballot.votes.get().receipt
    assert receipt in done.content.decode()

    co = login(delegate_fr_pol)
    seen = co.get(f"/governance/ballots/{ballot.pk}/").content.decode()
    assert "Your state voted yes: cast by Fanny Science at" in seen
    refused = co.post(f"/governance/ballots/{ballot.pk}/vote/", {"choice": "no", "confirmed": "1"}, follow=True)
    assert "France has already voted: cast by Fanny Science" in refused.content.decode()
    assert ballot.votes.count() == 1


def test_chair_closes_and_publishes_and_delegates_are_told(
    delegate_fr_sci: Any, chair: Any, make_ballot: Any, login: Any, django_capture_on_commit_callbacks: Any
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ballot = make_ballot()
    services.cast_vote(ballot_id=ballot.pk, user=delegate_fr_sci, choice="yes")
    client = login(chair)
    page = client.get(f"/governance/ballots/{ballot.pk}/").content.decode()
    assert "1 of 23 states have voted." in page
    client.post(f"/governance/ballots/{ballot.pk}/close/")
    closed = client.get(f"/governance/ballots/{ballot.pk}/").content.decode()
    assert "Ordinary rule: simple majority of the 1 states voting" in closed
    # Delegates see the result only once published.
    assert "Ordinary rule" not in login(delegate_fr_sci).get(f"/governance/ballots/{ballot.pk}/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/governance/ballots/{ballot.pk}/publish/")
    assert "Ordinary rule" in login(delegate_fr_sci).get(f"/governance/ballots/{ballot.pk}/").content.decode()
    subjects = [m.subject for m in mail.outbox if delegate_fr_sci.email in m.to]
    assert any(s.startswith("Result published") for s in subjects)
    assert any(s.startswith("Ballot open") for s in subjects)
    kinds = set(delegate_fr_sci.notifications.values_list("kind", flat=True))
    assert kinds == {"governance.ballot_opened", "governance.result_published"}


def test_notifications_use_the_delegates_language(
    france: MemberState, make_ballot: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from governance.models import Appointment
    from tests.governance.factories import appoint

    mail.outbox.clear()
    appoint(france, Appointment.Role.SCIENTIFIC, language="fr")
    with django_capture_on_commit_callbacks(execute=True):
        make_ballot()
    assert any(m.subject.startswith("Scrutin ouvert") for m in mail.outbox), [m.subject for m in mail.outbox]


def test_closed_sessions_are_invisible_to_associates(
    associate: MemberState, delegate_fr_sci: Any, make_ballot: Any, login: Any
) -> None:
    from governance.models import Appointment
    from tests.governance.factories import appoint

    ballot = make_ballot()
    session = ballot.motion.item.session
    session.closed = True
    session.save()
    cyprus = login(appoint(associate, Appointment.Role.SCIENTIFIC))
    assert cyprus.get(f"/governance/sessions/{session.pk}/").status_code == 404
    assert cyprus.get(f"/governance/ballots/{ballot.pk}/").status_code == 404
    assert session.title not in cyprus.get("/governance/").content.decode()
    assert login(delegate_fr_sci).get(f"/governance/sessions/{session.pk}/").status_code == 200


def turnout_queries(client: Any, ballot: Ballot, *, fresh: bool = True) -> int:
    """The queries of one poll of the live turnout; ``fresh``: the first poll of its second, which
    works the turnout out (the others of that second read it from the cache)."""
    if fresh:
        cache.delete(selectors.live_turnout_key(ballot.pk))
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/governance/ballots/{ballot.pk}/turnout/")
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_b2_turnout_makes_the_same_queries_at_120_and_10000_states(chair: Any, make_ballot: Any, login: Any) -> None:
    client = login(chair)
    small, big = make_ballot(), make_ballot()
    grow_electorate(small, 120)
    grow_electorate(big, 10_000)
    assert "states have voted" in client.get(f"/governance/ballots/{big.pk}/turnout/").content.decode()
    assert turnout_queries(client, small) == turnout_queries(client, big)


def test_the_viewers_polls_share_one_count_of_the_turnout_a_second(
    chair: Any, make_ballot: Any, login: Any, delegates: dict[str, Any]
) -> None:
    ballot = make_ballot()
    viewer = login(chair)
    first = turnout_queries(viewer, ballot)
    # Another poll within the second reads the same numbers: only who is asking is checked.
    assert turnout_queries(viewer, ballot, fresh=False) == first - 2
    services.cast_vote(ballot_id=ballot.pk, user=delegates["FR"][0], choice="yes")
    assert "1 of 23 states have voted" in viewer.get(f"/governance/ballots/{ballot.pk}/").content.decode()
    cache.delete(selectors.live_turnout_key(ballot.pk))  # the second has passed
    assert "1 of 23 states have voted" in viewer.get(f"/governance/ballots/{ballot.pk}/turnout/").content.decode()


def test_register_feed_api_and_member_states_are_public(
    members: list[MemberState], delegates: dict[str, Any], make_ballot: Any, client: Any
) -> None:
    adopted_scale({s: "14.000" for s in members if s.iso2 == "FR"})
    ballot = make_ballot()
    from tests.governance.factories import SessionFactory

    hidden = make_ballot(in_session=SessionFactory(closed=True))
    for b in (ballot,):
        services.cast_vote(ballot_id=b.pk, user=delegates["FR"][0], choice="yes")
    for b in (ballot, hidden):
        services.close_ballot(actor=None, ballot_id=b.pk)
        services.publish_result(actor=None, ballot_id=b.pk)
    register = client.get("/governance/register/").content.decode()
    assert ballot.motion.title in register
    feed = client.get("/governance/register/feed/")
    assert feed["Content-Type"].startswith("application/atom+xml")
    assert ballot.motion.title in feed.content.decode()
    api = client.get("/api/v1/governance/resolutions/").json()
    assert [r["id"] for r in api["results"]] == [ballot.pk]
    assert api["results"][0]["resolution_number"].startswith("R/")
    states = client.get("/governance/member-states/").content.decode()
    assert 'data-chart="chart-shares"' in states and "14.000" in states


def test_register_query_count_is_flat(members: list[MemberState], make_ballot: Any, client: Any) -> None:
    def publish(n: int) -> None:
        for _ in range(n):
            b = make_ballot()
            services.close_ballot(actor=None, ballot_id=b.pk)
            services.publish_result(actor=None, ballot_id=b.pk)

    publish(1)
    with CaptureQueriesContext(connection) as one:
        client.get("/governance/register/")
    publish(5)
    with CaptureQueriesContext(connection) as six:
        client.get("/governance/register/")
    assert len(one.captured_queries) == len(six.captured_queries)
