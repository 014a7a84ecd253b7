"""Issue 10 item 3: the electorate frozen at a ballot's opening applies art. V.8 to the accounts as
of that moment (no tick-box), says why in one sentence, and honours dated Council authorisations.
Rules §4 example 2 through the electorate; authorisations entered by the secretariat in the admin."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from finance import services as finance_services
from governance import services
from governance.models import Ballot, ElectorateEntry, MemberState, VotingAuthorisation
from tests.admin_forms import messages_of, post_form
from tests.governance.factories import AgendaItemFactory, BallotFactory, MotionFactory

pytestmark = pytest.mark.django_db

M = 100_000_000  # one million euros, in cents
JUNE_1 = dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC)


@pytest.fixture
def italy(members: list[MemberState]) -> MemberState:
    """Rules §4 example 2: called 10 M for each of 2024, 2025 and 2026 (all due by 1 April), nothing paid."""
    from finance.models import Call

    state = members[4]
    state.name = "Italy"
    state.save()
    Call.objects.bulk_create(
        Call(state=state, year=y, amount_cents=10 * M, issued_on=dt.date(y, 1, 1), due_on=dt.date(y, 4, 1))
        for y in (2024, 2025, 2026)
    )
    return state


def open_at(session: Any, at: dt.datetime) -> Ballot:
    ballot = BallotFactory(motion=MotionFactory(item=AgendaItemFactory(session=session)))
    return services.open_ballot(actor=None, ballot_id=ballot.pk, now=at)


def entry(ballot: Ballot, state: MemberState) -> ElectorateEntry:
    return ElectorateEntry.objects.get(ballot=ballot, state=state)


def test_example_2_arrears_30_exceed_20_no_vote_then_paying_10_gives_the_vote_back(
    italy: MemberState, session: Any, secretariat: Any
) -> None:
    first = open_at(session, JUNE_1)
    before = entry(first, italy)
    assert (before.reason, before.counts_in_all) == ("arrears", True)
    assert before.explanation == (
        "Italy: arrears EUR 30.0 M exceed the EUR 20.0 M called for 2025\u20132026: no vote; still counted in the 23"
    )
    assert (first.entitled_count, first.all_count) == (22, 23)

    finance_services.record_payment(
        actor=secretariat, state_id=italy.pk, received_on=dt.date(2026, 5, 20), amount_cents=10 * M, reference="B-1"
    )
    second = open_at(session, JUNE_1 + dt.timedelta(hours=1))
    after = entry(second, italy)
    assert after.reason == "entitled"
    assert (
        after.explanation == "Italy: arrears EUR 20.0 M do not exceed the EUR 20.0 M called for 2025\u20132026: votes"
    )
    assert (second.entitled_count, second.all_count) == (23, 23)
    # The first ballot's snapshot is frozen: the payment does not rewrite it.
    assert entry(first, italy).reason == "arrears"


def test_the_accounts_are_read_as_of_the_opening_not_as_of_today(
    italy: MemberState, session: Any, secretariat: Any
) -> None:
    finance_services.record_payment(
        actor=secretariat, state_id=italy.pk, received_on=dt.date(2026, 6, 15), amount_cents=10 * M, reference="B-2"
    )
    assert entry(open_at(session, JUNE_1), italy).reason == "arrears"  # paid after that opening
    assert entry(open_at(session, JUNE_1 + dt.timedelta(days=20)), italy).reason == "entitled"


def test_a_fully_paid_state_votes_with_no_arrears(italy: MemberState, session: Any, secretariat: Any) -> None:
    finance_services.record_payment(
        actor=secretariat, state_id=italy.pk, received_on=dt.date(2026, 3, 1), amount_cents=30 * M, reference="B-3"
    )
    assert entry(open_at(session, JUNE_1), italy).explanation == "Italy: no arrears: votes"


def test_a_dated_council_authorisation_lets_a_state_in_arrears_vote_for_its_period(
    italy: MemberState, session: Any
) -> None:
    VotingAuthorisation.objects.create(
        state=italy,
        decided_on=dt.date(2026, 5, 10),
        valid_from=dt.date(2026, 5, 15),
        valid_until=dt.date(2026, 6, 30),
        reference="CERN/C/123",
    )
    inside = entry(open_at(session, JUNE_1), italy)
    assert inside.reason == "entitled"
    assert inside.explanation == (
        "Italy: arrears EUR 30.0 M exceed the EUR 20.0 M called for 2025\u20132026: no vote, but authorised to "
        "vote by the Council decision CERN/C/123 of 2026-05-10 (from 2026-05-15 until 2026-06-30): votes"
    )
    # "until" is inclusive; the day after, the authorisation no longer covers the opening.
    assert entry(open_at(session, dt.datetime(2026, 6, 30, 12, tzinfo=dt.UTC)), italy).reason == "entitled"
    assert entry(open_at(session, dt.datetime(2026, 7, 1, 12, tzinfo=dt.UTC)), italy).reason == "arrears"


def test_the_secretariat_records_a_dated_authorisation_in_the_admin(
    italy: MemberState, secretariat: Any, login: Any
) -> None:
    client = login(secretariat)
    url = f"/admin/governance/memberstate/{italy.pk}/change/"
    response = post_form(
        client,
        url,
        {
            "authorisations-0-decided_on": "2026-05-10",
            "authorisations-0-valid_from": "2026-05-15",
            "authorisations-0-valid_until": "2026-06-30",
            "authorisations-0-reference": "CERN/C/123",
            "authorisations-0-state": str(italy.pk),
        },
    )
    assert "was changed successfully" in " ".join(messages_of(response))
    authorisation = VotingAuthorisation.objects.get(state=italy)
    assert (authorisation.decided_on, authorisation.reference) == (dt.date(2026, 5, 10), "CERN/C/123")
    # Entered authorisations are not edited afterwards (electorates were frozen on them).
    html = client.get(url).content.decode()
    assert 'name="authorisations-0-reference"' not in html


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"authorisations-0-decided_on": ""}, "decided_on", "This field is required."),
        ({"authorisations-0-valid_until": "2026-05-01"}, "valid_until", "The period ends before it starts."),
        ({"authorisations-0-reference": ""}, "reference", "Name the Council decision (its reference)."),
        (
            {"authorisations-0-decided_on": "2099-01-01"},
            "decided_on",
            "The date of the Council decision cannot be in the future.",
        ),
    ],
)
def test_a_bad_authorisation_is_refused_naming_the_field_and_nothing_is_stored(
    italy: MemberState, secretariat: Any, login: Any, changes: dict[str, str], field: str, reason: str
) -> None:
    good = {
        "authorisations-0-decided_on": "2026-05-10",
        "authorisations-0-valid_from": "2026-05-15",
        "authorisations-0-valid_until": "2026-06-30",
        "authorisations-0-reference": "CERN/C/123",
        "authorisations-0-state": str(italy.pk),
    }
    response = post_form(login(secretariat), f"/admin/governance/memberstate/{italy.pk}/change/", good | changes)
    html = response.content.decode()
    assert reason in messages_of(response)
    assert reason in html.split(f"field-{field}", 1)[1].split("form-row", 1)[0]  # shown on that field
    assert not VotingAuthorisation.objects.exists()


def test_status_is_read_only_once_a_state_exists(italy: MemberState, secretariat: Any, login: Any) -> None:
    html = login(secretariat).get(f"/admin/governance/memberstate/{italy.pk}/change/").content.decode()
    assert 'name="status"' not in html
    assert 'name="in_arrears"' not in html


def test_a_delegation_reads_its_standing_today_on_the_council_page(
    italy: MemberState, login: Any, secretariat: Any
) -> None:
    from governance.models import Appointment
    from tests.governance.factories import appoint

    delegate = appoint(italy, Appointment.Role.SCIENTIFIC)
    page = login(delegate).get("/governance/").content.decode()
    assert "Italy: arrears EUR 30.0 M exceed the EUR 20.0 M called for 2025\u20132026: no vote" in page
