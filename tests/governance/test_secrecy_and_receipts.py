"""T4 (receipts and the integrity check) and T5 (secret ballots leave no link between a state and its
choice: database, admin, API, logs)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.db import connection

from governance import services
from governance.models import Ballot, MemberState, SecretChoice

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret_ballot(members: list[MemberState], delegates: dict[str, Any], make_ballot: Any) -> tuple[Ballot, dict]:
    """A published secret ballot of an open session; returns it with the receipts issued per state."""
    ballot = make_ballot(secrecy=Ballot.Secrecy.SECRET)
    choices = dict(zip([m.iso2 for m in members], ["yes"] * 12 + ["no"] * 6 + ["abstain"] * 3, strict=False))
    issued = {}
    for iso, choice in choices.items():
        issued[iso] = (services.cast_vote(ballot_id=ballot.pk, user=delegates[iso][1], choice=choice).receipt, choice)
    services.close_ballot(actor=None, ballot_id=ballot.pk)
    services.publish_result(actor=None, ballot_id=ballot.pk)
    return Ballot.objects.get(pk=ballot.pk), issued


def all_rows() -> dict[str, list[str]]:
    """Every row of every table in the database, as JSON text."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = [t for (t,) in cursor.fetchall()]
        rows = {}
        for table in tables:
            cursor.execute(f'SELECT row_to_json(t)::text FROM "{table}" t')
            rows[table] = [r for (r,) in cursor.fetchall()]
    return rows


def test_t5_secret_choices_carry_no_state_user_time_or_sequence(secret_ballot: tuple[Ballot, dict]) -> None:
    _ballot, issued = secret_ballot
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'governance_secretchoice'"
        )
        columns = dict(cursor.fetchall())
    assert set(columns) == {"id", "ballot_id", "choice", "receipt", "seal"}
    assert columns["id"] == "uuid"
    # Not audited: an event table would carry timestamps that line up with the participation register.
    tables = all_rows()
    assert not [t for t in tables if "secretchoice" in t and t != "governance_secretchoice"]
    # Every row anywhere that mentions a receipt is a choice row, and no such row names a state or user.
    receipts = {r for r, _ in issued.values()}
    for table, rows in tables.items():
        for row in rows:
            if any(r in row for r in receipts):
                assert table == "governance_secretchoice", (table, row)
                data = json.loads(row)
                assert set(data) == {"id", "ballot_id", "choice", "receipt", "seal"}
    # The participation register knows who voted, never how.
    register = [json.loads(r) for r in tables["governance_electorateentry"]]
    assert all(set(row) >= {"state_id", "voted_at"} and "choice" not in row for row in register)
    assert not any("secret" in json.dumps(row) for row in register)


def test_t5_uuid_keys_do_not_follow_the_order_of_casting(secret_ballot: tuple[Ballot, dict]) -> None:
    ballot, issued = secret_ballot
    by_key = [c.receipt for c in SecretChoice.objects.filter(ballot=ballot).order_by("id")]
    cast_order = [r for r, _ in issued.values()]
    assert by_key != cast_order


def test_t5_admin_has_no_page_linking_states_and_secret_choices(
    secret_ballot: tuple[Ballot, dict], secretariat: Any, login: Any
) -> None:
    ballot, issued = secret_ballot
    secretariat.is_superuser = True
    secretariat.save()
    client = login(secretariat)
    assert client.get("/admin/governance/secretchoice/").status_code == 404
    page = client.get(f"/admin/governance/ballot/{ballot.pk}/change/").content.decode()
    assert "France" in page  # the participation register is shown…
    assert not any(receipt in page for receipt, _ in issued.values())  # …never a choice with it
    votes = client.get("/admin/governance/vote/").content.decode()
    assert not any(receipt in votes for receipt, _ in issued.values())


def test_t5_api_and_pages_publish_receipts_without_states(
    secret_ballot: tuple[Ballot, dict], client: Any, delegates: dict, login: Any
) -> None:
    ballot, issued = secret_ballot
    data = client.get(f"/api/v1/governance/resolutions/{ballot.pk}/").json()
    assert data["votes"] == []
    published = {(r["receipt"], r["choice"]) for r in data["receipts"]}
    # T4: the published list is exactly the receipts issued, each with its choice.
    assert published == set(issued.values())
    assert "France" not in json.dumps(data) and "FR" not in json.dumps(data["receipts"])
    page = client.get(f"/governance/register/{ballot.pk}/").content.decode()
    assert all(receipt in page for receipt, _ in issued.values())
    assert "France" not in page
    # The co-delegate learns who cast the state's vote and when, not how.
    sci = delegates["FR"][0]
    own = login(sci).get(f"/governance/ballots/{ballot.pk}/").content.decode()
    assert "the choice is not recorded against your state" in own


def test_t5_logs_carry_no_choice_or_receipt(
    members: list[MemberState], delegates: dict[str, Any], make_ballot: Any, caplog: Any
) -> None:
    ballot = make_ballot(secrecy=Ballot.Secrecy.SECRET)
    caplog.set_level(logging.DEBUG)
    receipt = services.cast_vote(ballot_id=ballot.pk, user=delegates["FR"][0], choice="abstain").receipt
    services.close_ballot(actor=None, ballot_id=ballot.pk)
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert receipt not in text
    assert "abstain" not in text


def test_t4_every_accepted_vote_gets_a_receipt_and_the_named_list_matches(
    members: list[MemberState], delegates: dict[str, Any], make_ballot: Any, client: Any
) -> None:
    ballot = make_ballot()
    issued = {}
    for state in members[:15]:
        issued[state.iso2] = services.cast_vote(
            ballot_id=ballot.pk, user=delegates[state.iso2][0], choice="yes"
        ).receipt
    assert len(set(issued.values())) == 15
    services.close_ballot(actor=None, ballot_id=ballot.pk)
    services.publish_result(actor=None, ballot_id=ballot.pk)
    data = client.get(f"/api/v1/governance/resolutions/{ballot.pk}/").json()
    published = {row["state"]: row["receipt"] for row in data["votes"] if row["receipt"]}
    assert published == issued


def test_t4_raw_sql_edits_are_detected_and_shown_to_staff(
    secret_ballot: tuple[Ballot, dict],
    members: list[MemberState],
    delegates: dict[str, Any],
    make_ballot: Any,
    secretariat: Any,
    login: Any,
) -> None:
    ballot, issued = secret_ballot
    assert services.verify_ballot(ballot_id=ballot.pk).ok
    receipt = next(r for r, choice in issued.values() if choice == "no")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE governance_secretchoice SET choice = 'yes' WHERE receipt = %s", [receipt])
    report = services.verify_ballot(ballot_id=ballot.pk)
    assert not report.ok
    assert any(receipt in p for p in report.problems)
    assert any("no longer matches" in p for p in report.problems)

    named = make_ballot()
    services.cast_vote(ballot_id=named.pk, user=delegates["FR"][0], choice="no")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE governance_vote SET choice = 'yes' WHERE ballot_id = %s", [named.pk])
    assert "The vote of France" in " ".join(services.verify_ballot(ballot_id=named.pk).problems)
    # A vote deleted behind the services' back is noticed too.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM governance_secretchoice WHERE receipt = %s", [receipt])
    assert any("registered as having voted" in p for p in services.verify_ballot(ballot_id=ballot.pk).problems)
    page = login(secretariat).get(f"/governance/ballots/{named.pk}/").content.decode()
    assert "Integrity check failed" in page


def test_t4_a_sealed_vote_altered_during_the_ballot_is_detected_and_blocks_the_close(
    delegates: dict[str, Any], make_ballot: Any, chair: Any, login: Any
) -> None:
    ballot = make_ballot(secrecy=Ballot.Secrecy.SECRET)
    services.cast_vote(ballot_id=ballot.pk, user=delegates["FR"][0], choice="no")
    assert services.verify_ballot(ballot_id=ballot.pk).ok
    with connection.cursor() as cursor:  # flip one byte of the ciphertext
        cursor.execute(
            "UPDATE governance_sealedenvelope SET sealed = set_byte(sealed, 20, get_byte(sealed, 20) # 1) "
            "WHERE ballot_id = %s",
            [ballot.pk],
        )
    assert "A sealed vote was altered." in services.verify_ballot(ballot_id=ballot.pk).problems
    response = login(chair).post(f"/governance/ballots/{ballot.pk}/close/", follow=True)
    assert "A sealed vote of this ballot was altered in the database" in response.content.decode()
    ballot.refresh_from_db()
    assert ballot.status == Ballot.Status.OPEN
