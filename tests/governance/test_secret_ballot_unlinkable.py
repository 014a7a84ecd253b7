"""T17: an insider with read access tries to link states to their secret choices.

Twenty states vote through the real vote endpoint, one by one and in a burst (threads on separate
connections). The attacker reads what a live database, a dump (heap order) or a replica gives:
the system columns ``xmin`` and ``ctid``, every key, timestamp and receipt, every table. During the
ballot no choice is readable anywhere; after it no ordering or transaction id ties a register row to a
choice: the best zip of any register ordering with any choice ordering recovers no more than chance
would (for 7 yes / 7 no / 6 abstain, 17 or more of 20 right by chance happens about once in 10⁵
tries; the code before the sealed envelopes gave back 20 of 20).

These tests run against committed transactions (``transaction=True``): inside one test transaction
every row would share one ``xmin`` and the attack would prove nothing.
"""

from __future__ import annotations

import re
import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from governance.models import Ballot, MemberState

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

CHOICES = (["yes", "no", "abstain"] * 7)[:20]  # 7 yes, 7 no, 6 abstain, interleaved
RECEIPT = re.compile(r'<code id="receipt">([0-9A-F-]+)</code>')
# Orderings an attacker can put on each side (dump order is ctid order).
REGISTER_ORDERS = ["ctid", "xmin::text::bigint", "voted_at", "id", "voted_by_id"]
CHOICE_ORDERS = ["ctid", "xmin::text::bigint", "id", "receipt", "seal"]


def vote_through_the_page(client: Client, ballot: Ballot, choice: str) -> str:
    """What a delegate does: confirm the choice on the ballot page; returns the receipt shown."""
    response = client.post(f"/governance/ballots/{ballot.pk}/vote/", {"choice": choice, "confirmed": "1"})
    assert response.status_code == 200, response.content[:500]
    match = RECEIPT.search(response.content.decode())
    assert match, "no receipt on the page"
    return match.group(1)


def burst(jobs: list[Any]) -> list[Any]:
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = jobs[i]()
        except Exception as exc:  # asserted on below
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def rows(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def every_row_as_text() -> dict[str, list[str]]:
    """Every row of every table of the database (what a dump holds), as JSON text."""
    tables = [t for (t,) in rows("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", [])]
    return {t: [r for (r,) in rows(f'SELECT row_to_json(t)::text FROM "{t}" t', [])] for t in tables}


def register_in(order: str, ballot: Ballot) -> list[int]:
    return [
        s
        for (s,) in rows(
            "SELECT state_id FROM governance_electorateentry WHERE ballot_id = %s AND voted_at IS NOT NULL "
            f"ORDER BY {order}",
            [ballot.pk],
        )
    ]


def choices_in(order: str, ballot: Ballot) -> list[str]:
    return [
        c
        for (c,) in rows(
            f"SELECT choice FROM governance_secretchoice WHERE ballot_id = %s ORDER BY {order}", [ballot.pk]
        )
    ]


@pytest.fixture
def voters(members: list[MemberState], delegates: dict[str, Any], login: Any) -> list[tuple[MemberState, Client]]:
    """Twenty states, each with its political delegate signed in (sessions written before any vote)."""
    return [(state, login(delegates[state.iso2][1])) for state in members[:20]]


def attack(ballot: Ballot, truth: dict[int, str], receipts: set[str]) -> None:
    """Everything an insider with read access tries, after the close; fails if any link is found."""
    register_xmins = {x for (x,) in rows(
        "SELECT xmin::text FROM governance_electorateentry WHERE ballot_id = %s AND voted_at IS NOT NULL", [ballot.pk]
    )}  # fmt: skip
    choice_xmins = {
        x for (x,) in rows("SELECT xmin::text FROM governance_secretchoice WHERE ballot_id = %s", [ballot.pk])
    }
    # 1. Transaction ids: the choices were written by one transaction (the close), none of the casts.
    assert len(choice_xmins) == 1
    assert not register_xmins & choice_xmins
    # 2. Heap (dump) order is the order of the random receipts, not the order of casting.
    assert choices_in("ctid", ballot) == choices_in("receipt", ballot)
    # 3. Zip every register ordering with every choice ordering: no better than chance.
    for register_order in REGISTER_ORDERS:
        states = register_in(register_order, ballot)
        for choice_order in CHOICE_ORDERS:
            guessed = dict(zip(states, choices_in(choice_order, ballot), strict=True))
            right = sum(guessed[s] == truth[s] for s in truth)
            assert right <= 16, f"{register_order} with {choice_order} recovers {right} of 20 choices"
    # 4. Nearest transaction id: pair each choice with the register mark written just before it
    #    (a savepoint's xid follows its parent's, so "closest xmin below" finds the cast's mark).
    marks = sorted(
        (int(x), s)
        for s, x in rows(
            "SELECT state_id, xmin::text FROM governance_electorateentry WHERE ballot_id = %s AND voted_at IS NOT NULL",
            [ballot.pk],
        )
    )
    guessed = {}
    for x, choice in rows("SELECT xmin::text, choice FROM governance_secretchoice WHERE ballot_id = %s", [ballot.pk]):
        before = [s for mark, s in marks if mark <= int(x)]
        if before:
            guessed[before[-1]] = choice
    right = sum(guessed.get(s) == truth[s] for s in truth)
    assert right <= 16, f"nearest xmin recovers {right} of 20 choices"
    # 5. Receipts appear only in the published choices, which carry no state, user, time or sequence.
    for table, table_rows in every_row_as_text().items():
        for row in table_rows:
            if any(r in row for r in receipts):
                assert table == "governance_secretchoice", (table, row)
                assert not re.search(r'"(state|user|cast|voted|created|time|at)\w*"', row), row


def assert_nothing_readable_during_the_ballot(ballot: Ballot, receipts: set[str]) -> None:
    assert rows("SELECT count(*) FROM governance_secretchoice WHERE ballot_id = %s", [ballot.pk]) == [(0,)]
    for table, table_rows in every_row_as_text().items():
        assert not [row for row in table_rows if any(r in row for r in receipts)], table
    # Every sealed envelope has the same length, whatever the choice inside.
    lengths = {
        n
        for (n,) in rows("SELECT octet_length(sealed) FROM governance_sealedenvelope WHERE ballot_id = %s", [ballot.pk])
    }
    assert len(lengths) == 1


def close_and_publish(ballot: Ballot, chair_client: Client) -> None:
    chair_client.post(f"/governance/ballots/{ballot.pk}/close/")
    chair_client.post(f"/governance/ballots/{ballot.pk}/publish/")
    ballot.refresh_from_db()
    assert ballot.status == Ballot.Status.PUBLISHED
    assert (ballot.yes, ballot.no, ballot.abstain) == (7, 7, 6)


def test_t17_twenty_states_one_by_one_leave_no_link(
    voters: list[tuple[MemberState, Client]], make_ballot: Any, secretariat: Any, login: Any
) -> None:
    ballot = make_ballot(secrecy=Ballot.Secrecy.SECRET)
    truth, receipts = {}, set()
    for (state, client), choice in zip(voters, CHOICES, strict=True):
        receipts.add(vote_through_the_page(client, ballot, choice))
        truth[state.pk] = choice
    assert_nothing_readable_during_the_ballot(ballot, receipts)
    close_and_publish(ballot, login(secretariat))
    attack(ballot, truth, receipts)
    published = login(secretariat).get(f"/governance/register/{ballot.pk}/").content.decode()
    assert all(r in published for r in receipts)  # each delegation can still check its ballot


def test_t17_twenty_states_in_a_burst_leave_no_link(
    voters: list[tuple[MemberState, Client]], make_ballot: Any, secretariat: Any, login: Any
) -> None:
    ballot = make_ballot(secrecy=Ballot.Secrecy.SECRET)
    jobs = [
        (lambda c=client, choice=choice: vote_through_the_page(c, ballot, choice))
        for (_state, client), choice in zip(voters, CHOICES, strict=True)
    ]
    results = burst(jobs)
    assert all(isinstance(r, str) for r in results), results
    truth = {state.pk: choice for (state, _c), choice in zip(voters, CHOICES, strict=True)}
    receipts = set(results)
    assert_nothing_readable_during_the_ballot(ballot, receipts)
    close_and_publish(ballot, login(secretariat))
    attack(ballot, truth, receipts)
