"""T1 and T2 on the real PostgreSQL: concurrent submissions and closes on separate connections.

PostgreSQL here allows 100 connections shared by every parallel test run, so at most
``MAX_CONNECTED`` threads hold a connection at the same moment; all threads still start together
from one barrier and contend for the same ballot row.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from governance import services
from governance.models import Ballot, MemberState, Vote
from governance.selectors import turnout

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
MAX_CONNECTED = threading.BoundedSemaphore(40)


def run_at_once(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run every job in its own thread (its own database connection), released by one barrier."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def worker(i: int, job: Callable[[], Any]) -> None:
        barrier.wait()
        with MAX_CONNECTED:
            try:
                results[i] = job()
            except Exception as exc:  # collected and asserted on by the test
                results[i] = exc
            finally:
                connection.close()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_t1_hundred_submissions_for_one_delegation_store_exactly_one(
    delegate_fr_sci: Any, delegate_fr_pol: Any, make_ballot: Any
) -> None:
    ballot = make_ballot()
    users = [delegate_fr_sci, delegate_fr_pol] * 50
    results = run_at_once(
        [lambda u=u: services.cast_vote(ballot_id=ballot.pk, user=u, choice="yes") for u in users]  # type: ignore[misc]
    )
    receipts = [r for r in results if isinstance(r, services.CastReceipt)]
    refusals = [r for r in results if isinstance(r, services.GovernanceError)]
    assert len(receipts) == 1
    assert len(refusals) == 99
    assert {r.code for r in refusals} == {"already_voted"}
    assert all("has already voted" in r.message for r in refusals)
    assert Vote.objects.filter(ballot=ballot).count() == 1
    assert turnout(ballot.pk)["voted"] == 1


def test_t2_closing_ten_times_while_120_delegates_vote_reports_one_count(
    members: list[MemberState], delegates: dict[str, Any], make_ballot: Any
) -> None:
    # 60 states x 2 delegates, as in B1: the 23 of the fixture plus 37 more, all present.
    from governance.models import Appointment, Attendance
    from tests.governance.factories import MemberStateFactory, appoint

    session = make_ballot(open=False).motion.item.session
    for n in range(37):
        state = MemberStateFactory(iso2=f"Q{chr(65 + n % 26)}" if n < 26 else f"X{chr(65 + n - 26)}")
        Attendance.objects.create(session=session, state=state)
        delegates[state.iso2] = (
            appoint(state, Appointment.Role.SCIENTIFIC),
            appoint(state, Appointment.Role.POLITICAL),
        )
    ballot = make_ballot()
    assert ballot.entitled_count == 60
    voters = [u for pair in delegates.values() for u in pair]
    assert len(voters) == 120
    jobs: list[Callable[[], Any]] = [
        (lambda u=u: services.cast_vote(ballot_id=ballot.pk, user=u, choice="yes"))
        for u in voters  # type: ignore[misc]
    ]
    closes = [lambda: services.close_ballot(actor=None, ballot_id=ballot.pk) for _ in range(10)]
    jobs[10:10] = closes
    results = run_at_once(jobs)
    closed = [r for r in results if isinstance(r, Ballot)]
    accepted = [r for r in results if isinstance(r, services.CastReceipt)]
    refused = [r for r in results if isinstance(r, services.GovernanceError)]
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, services.GovernanceError)]
    assert not unexpected
    assert len(closed) == 10
    assert len({(b.yes, b.no, b.abstain, b.closed_at) for b in closed}) == 1
    assert closed[0].yes == len(accepted) == Vote.objects.filter(ballot=ballot).count()
    assert {r.code for r in refused} <= {"already_voted", "not_open"}
    # After the close, every further vote is refused.
    with pytest.raises(services.GovernanceError) as info:
        services.cast_vote(ballot_id=ballot.pk, user=voters[0], choice="no")
    assert info.value.code == "not_open"


def _ballot_row_version(ballot: Ballot) -> int:
    # xmin changes on every UPDATE of the row; row locks (FOR SHARE / FOR UPDATE) leave it alone.
    with connection.cursor() as cursor:
        cursor.execute("SELECT xmin::text::bigint FROM governance_ballot WHERE id = %s", [ballot.pk])
        return int(cursor.fetchone()[0])


@pytest.mark.parametrize("secrecy", [Ballot.Secrecy.NAMED, Ballot.Secrecy.SECRET])
def test_a_cast_never_writes_the_ballot_row(delegates: dict[str, Any], make_ballot: Any, secrecy: str) -> None:
    # B1: a per-vote write to the shared ballot row serialised every cast of the Council.
    ballot = make_ballot(secrecy=secrecy)
    before = _ballot_row_version(ballot)
    for sci, _pol in list(delegates.values())[:3]:
        services.cast_vote(ballot_id=ballot.pk, user=sci, choice="yes")
    assert _ballot_row_version(ballot) == before
    assert turnout(ballot.pk)["voted"] == 3
    closed = services.close_ballot(actor=None, ballot_id=ballot.pk)
    assert closed.voted_count == turnout(ballot.pk)["voted"]
    assert services.verify_ballot(ballot_id=ballot.pk).ok


def test_casts_share_the_ballot_lock_but_a_close_waits_for_them(delegates: dict[str, Any], make_ballot: Any) -> None:
    """An in-flight cast (a SHARE lock held on another connection) does not block another state's cast,
    and a close cannot take the ballot until it ends. lock_timeout turns "would wait" into an error."""
    from django.db import OperationalError, transaction

    ballot = make_ballot()
    holding, release = threading.Event(), threading.Event()

    def in_flight_cast() -> None:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT status FROM governance_ballot WHERE id = %s FOR SHARE", [ballot.pk])
                holding.set()
                release.wait(timeout=60)
        finally:
            connection.close()

    other = threading.Thread(target=in_flight_cast)
    other.start()
    try:
        assert holding.wait(timeout=60)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        try:
            receipt = services.cast_vote(ballot_id=ballot.pk, user=delegates["FR"][0], choice="no")
            assert receipt.counted
            with pytest.raises(OperationalError, match="lock timeout"):
                services.close_ballot(actor=None, ballot_id=ballot.pk)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
    finally:
        release.set()
        other.join()
    closed = services.close_ballot(actor=None, ballot_id=ballot.pk)
    assert (closed.no, closed.voted_count) == (1, 1)


def test_joint_keys_of_one_state_submitted_at_once_count_once(delegates: dict[str, Any], make_ballot: Any) -> None:
    # Both delegates of a state queue on their state's register row, so the agreed vote exists once.
    ballot = make_ballot(mode=Ballot.Mode.JOINT)
    sci, pol = delegates["FR"]
    results = run_at_once(
        [lambda u=u: services.cast_vote(ballot_id=ballot.pk, user=u, choice="yes") for u in [sci, pol] * 20]  # type: ignore[misc]
    )
    assert all(isinstance(r, services.CastReceipt) for r in results)
    assert any(r.counted for r in results)
    assert Vote.objects.filter(ballot=ballot).count() == 1
    assert turnout(ballot.pk)["voted"] == 1


def test_two_results_published_at_once_get_distinct_resolution_numbers(
    delegates: dict[str, Any], make_ballot: Any, chair: Any, login: Any
) -> None:
    # Issue 9: count() + 1 gave both "R/<year>/001"; the year's counter row now queues them.
    from governance.models import Motion

    ballots = [make_ballot() for _ in range(4)]
    for ballot in ballots:
        for sci, _pol in list(delegates.values())[:12]:
            services.cast_vote(ballot_id=ballot.pk, user=sci, choice="yes")
        services.close_ballot(actor=None, ballot_id=ballot.pk)
    clients = [login(chair) for _ in ballots]
    results = run_at_once(
        [
            lambda c=c, b=b: c.post(f"/governance/ballots/{b.pk}/publish/").status_code  # type: ignore[misc]
            for c, b in zip(clients, ballots, strict=True)
        ]
    )
    assert results == [302] * 4
    numbers = sorted(Motion.objects.filter(ballots__in=ballots).values_list("resolution_number", flat=True))
    year = timezone.localdate().year
    assert numbers == [f"R/{year}/{n:03d}" for n in (1, 2, 3, 4)]
    register = login(chair).get("/governance/register/").content.decode()
    assert all(number in register for number in numbers)
