"""Issue 10 item 5: accession and association end to end, as the secretariat does it in the admin
(each step a form posted back as a browser would, through governance.membership), the Council's
ballots through the governance services; the public membership and ratification registers with
their query counts pinned at 10 and 1,000 rows. Rules §4 "Accession", "Convention amendments"."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from governance import membership, services
from governance.models import (
    Ballot,
    ElectorateEntry,
    MembershipRequest,
    MemberState,
    Motion,
    Ratification,
)
from tests.admin_forms import messages_of, post_form
from tests.governance.factories import AgendaItemFactory, BallotFactory, MemberStateFactory, MotionFactory

pytestmark = pytest.mark.django_db

ADD = "/admin/governance/membershiprequest/add/"


def change_url(request: MembershipRequest) -> str:
    return f"/admin/governance/membershiprequest/{request.pk}/change/"


@pytest.fixture
def ukraine(db: Any) -> MemberState:
    return MemberStateFactory(iso2="UA", name="Ukraine", status=MemberState.Status.OBSERVER)


def receive(client: Any, state: MemberState, kind: str = "accession", on: str = "2026-01-05") -> MembershipRequest:
    response = post_form(client, ADD, {"state": str(state.pk), "kind": kind, "received_on": on})
    assert "was added successfully" in " ".join(messages_of(response)), messages_of(response)
    return MembershipRequest.objects.get(state=state, closed_on__isnull=True, deposited_on__isnull=True)


def vote_all(delegates: dict[str, Any], ballot: Ballot, choice: str = "yes", skip: tuple[str, ...] = ()) -> None:
    for iso, (sci, _pol) in delegates.items():
        if iso not in skip:
            services.cast_vote(ballot_id=ballot.pk, user=sci, choice=choice)


def decide(ballot: Ballot, at: dt.datetime) -> Ballot:
    services.close_ballot(actor=None, ballot_id=ballot.pk, now=at)
    return services.publish_result(actor=None, ballot_id=ballot.pk, now=at)


def test_accession_from_request_to_voting_member(
    ukraine: MemberState, delegates: dict[str, Any], session: Any, secretariat: Any, login: Any
) -> None:
    client = login(secretariat)
    request = receive(client, ukraine)
    ukraine.refresh_from_db()
    assert (ukraine.status, request.previous_status) == ("candidate", "observer")

    # Circulated: the 3-month clock starts and is shown.
    post_form(client, change_url(request), {"circulate_on": "2026-01-10"})
    request.refresh_from_db()
    assert request.circulated_on == dt.date(2026, 1, 10)
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)):
        page = client.get(change_url(request)).content.decode()
        assert "the admission ballot may open on 2026-04-10 at the earliest (3 months&#x27; notice), in 40 days" in page

    # Tabled: a motion naming the candidate, with its draft ballot.
    item = AgendaItemFactory(session=session, title="Accession of Ukraine")
    post_form(client, change_url(request), {"table_on": str(item.pk)})
    request.refresh_from_db()
    motion = request.motion
    assert motion is not None
    assert (motion.kind, motion.title) == (Motion.Kind.ADMISSION, "Admission of Ukraine as a member state")
    assert "Candidate: Ukraine" in motion.text
    ballot = motion.ballots.get()
    assert membership.stage(request).code == "tabled"

    # Nothing can be deposited before the Council adopts the motion.
    assert 'name="deposit_on"' not in client.get(change_url(request)).content.decode()

    # Too early: 3 months' notice; then unanimity of the 23 members (the candidate does not vote).
    with pytest.raises(services.GovernanceError, match="cannot open before 2026-04-10"):
        services.open_ballot(actor=None, ballot_id=ballot.pk, now=dt.datetime(2026, 4, 9, 9, tzinfo=dt.UTC))
    services.open_ballot(actor=None, ballot_id=ballot.pk, now=dt.datetime(2026, 4, 10, 9, tzinfo=dt.UTC))
    ballot.refresh_from_db()
    assert ElectorateEntry.objects.get(ballot=ballot, state=ukraine).reason == "candidate"
    assert (ballot.entitled_count, ballot.all_count) == (23, 23)
    vote_all(delegates, ballot)
    decide(ballot, dt.datetime(2026, 4, 10, 12, tzinfo=dt.UTC))
    request.refresh_from_db()
    assert membership.stage(request).code == "adopted"

    # The instrument: not before the decision, not in the future; then a member from that date.
    refused = post_form(client, change_url(request), {"deposit_on": "2026-04-01"})
    assert "The instrument is deposited after the Council's decision of 2026-04-10.".replace("'", "&#x27;") in (
        refused.content.decode()
    )
    refused = post_form(client, change_url(request), {"deposit_on": "2099-01-01"})
    assert "This date is in the future." in messages_of(refused)
    ukraine.refresh_from_db()
    assert ukraine.status == "candidate"
    post_form(client, change_url(request), {"deposit_on": "2026-05-04", "deposit_reference": "UA-INSTR-1"})
    ukraine.refresh_from_db()
    request.refresh_from_db()
    assert (ukraine.status, ukraine.status_since) == ("member", dt.date(2026, 5, 4))
    assert (request.deposited_on, request.instrument_reference) == (dt.date(2026, 5, 4), "UA-INSTR-1")
    assert membership.stage(request).label == "member since 2026-05-04"

    # In the electorate at once: the next ballot counts 24 member states, Ukraine entitled.
    later = BallotFactory(motion=MotionFactory(item=AgendaItemFactory(session=session)))
    services.check_in(user=secretariat, actor=secretariat, session=session, state=ukraine)
    services.open_ballot(actor=None, ballot_id=later.pk)
    later.refresh_from_db()
    assert ElectorateEntry.objects.get(ballot=later, state=ukraine).reason == "entitled"
    assert (later.entitled_count, later.all_count) == (24, 24)


def test_admission_is_rejected_by_one_no_and_the_closed_request_restores_the_status(
    ukraine: MemberState, delegates: dict[str, Any], session: Any, secretariat: Any, login: Any
) -> None:
    """Rules §1 example 5 for a named candidate: 22 yes and one state not voting → rejected."""
    client = login(secretariat)
    request = receive(client, ukraine)
    post_form(client, change_url(request), {"circulate_on": "2026-01-10"})
    post_form(client, change_url(request), {"table_on": str(AgendaItemFactory(session=session).pk)})
    request.refresh_from_db()
    ballot = request.motion.ballots.get()
    services.open_ballot(actor=None, ballot_id=ballot.pk, now=dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC))
    vote_all(delegates, ballot, skip=("FR",))
    decided = decide(ballot, dt.datetime(2026, 5, 1, 12, tzinfo=dt.UTC))
    assert decided.outcome == "rejected"
    request.refresh_from_db()
    assert membership.stage(request).code == "rejected"
    assert 'name="deposit_on"' not in client.get(change_url(request)).content.decode()

    post_form(client, change_url(request), {"close_reason": "Rejected by the Council on 2026-05-01"})
    ukraine.refresh_from_db()
    request.refresh_from_db()
    assert ukraine.status == "observer"
    assert request.closed_on is not None
    # A new request may follow.
    assert receive(client, ukraine, on="2026-05-02").pk != request.pk


def test_associate_membership_by_a_two_thirds_of_all_ballot(
    ukraine: MemberState, delegates: dict[str, Any], session: Any, secretariat: Any, login: Any
) -> None:
    client = login(secretariat)
    request = receive(client, ukraine, kind="association")
    ukraine.refresh_from_db()
    assert ukraine.status == "observer"  # no candidate status for an association
    # No 3 months' notice: tabled straight away, a two-thirds-of-all motion.
    post_form(client, change_url(request), {"table_on": str(AgendaItemFactory(session=session).pk)})
    request.refresh_from_db()
    assert (request.motion.kind, request.motion.title) == ("two_thirds_all", "Associate membership of Ukraine")
    ballot = request.motion.ballots.get()
    services.open_ballot(actor=None, ballot_id=ballot.pk)
    codes = list(delegates)
    # 16 of 23 is two-thirds of all (3·16 ≥ 2·23).
    for iso in codes[:16]:
        services.cast_vote(ballot_id=ballot.pk, user=delegates[iso][0], choice="yes")
    for iso in codes[16:]:
        services.cast_vote(ballot_id=ballot.pk, user=delegates[iso][0], choice="no")
    assert decide(ballot, ballot.opened_at).outcome == "adopted"
    today = timezone.localdate().isoformat()
    post_form(client, change_url(request), {"deposit_on": today, "deposit_reference": "Agreement UA-2026"})
    ukraine.refresh_from_db()
    assert ukraine.status == "associate"


@pytest.mark.parametrize(
    ("status", "kind", "reason"),
    [
        ("member", "accession", "is already a member state."),
        ("associate", "association", "is already an associate member."),
    ],
)
def test_a_request_the_rules_do_not_allow_is_refused_on_its_field(
    secretariat: Any, login: Any, status: str, kind: str, reason: str
) -> None:
    state = MemberStateFactory(iso2="NO", name="Norway", status=status)
    response = post_form(login(secretariat), ADD, {"state": str(state.pk), "kind": kind, "received_on": "2026-01-05"})
    html = response.content.decode()
    assert f"Norway {reason}" in messages_of(response)
    assert f"Norway {reason}" in html.split("field-state", 1)[1].split("form-row", 1)[0]
    assert not MembershipRequest.objects.exists()


def test_a_second_request_in_progress_is_refused(ukraine: MemberState, secretariat: Any, login: Any) -> None:
    client = login(secretariat)
    receive(client, ukraine)
    response = post_form(client, ADD, {"state": str(ukraine.pk), "kind": "accession", "received_on": "2026-02-01"})
    assert "Ukraine already has a request in progress." in messages_of(response)
    assert MembershipRequest.objects.count() == 1


def test_circulation_before_receipt_is_refused(ukraine: MemberState, secretariat: Any, login: Any) -> None:
    client = login(secretariat)
    request = receive(client, ukraine)
    response = post_form(client, change_url(request), {"circulate_on": "2026-01-01"})
    assert "A request is circulated after it is received (2026-01-05)." in messages_of(response)
    request.refresh_from_db()
    assert request.circulated_on is None


def test_an_admission_request_circulation_is_recorded_on_the_request_and_the_ballot_reads_it(
    ukraine: MemberState, session: Any, secretariat: Any, login: Any
) -> None:
    """The one circulation record of an admission is its membership request: recorded once on the
    request's admin page (never in the future), shown on the motion with a link to the request, and
    read by the admission ballot's 3 months' notice when it is opened (the admin's action)."""
    client = login(secretariat)
    today = timezone.localdate()
    request = receive(client, ukraine, on=(today - dt.timedelta(days=200)).isoformat())
    tomorrow = today + dt.timedelta(days=1)
    future = post_form(client, change_url(request), {"circulate_on": tomorrow.isoformat()})
    assert "This date is in the future." in messages_of(future)
    assert MembershipRequest.objects.get(pk=request.pk).circulated_on is None

    # Circulated 30 days ago and tabled: its ballot does not open yet.
    recently = today - dt.timedelta(days=30)
    post_form(client, change_url(request), {"circulate_on": recently.isoformat()})
    post_form(client, change_url(request), {"table_on": str(AgendaItemFactory(session=session).pk)})
    request.refresh_from_db()
    event = request.events.filter(circulated_on=recently).order_by("pgh_id").first()  # type: ignore[attr-defined]
    assert (event.pgh_context.metadata["actor"], event.pgh_context.metadata["reason"]) == (
        secretariat.pk,
        "circulate membership request",
    )
    assert 'name="circulate_on"' not in client.get(change_url(request)).content.decode()  # recorded once
    motion_page = client.get(f"/admin/governance/motion/{request.motion_id}/change/").content.decode()
    assert f'href="{change_url(request)}"' in motion_page and f"Circulated on {recently.isoformat()}" in motion_page
    assert "/circulation/" not in motion_page  # the motion has no circulation of its own any more
    ballot = request.motion.ballots.get()
    refused = post_form(
        client, "/admin/governance/ballot/", {"action": "open_ballots", "_selected_action": str(ballot.pk)}
    )
    assert any(f"the request was circulated on {recently.isoformat()}" in m for m in messages_of(refused))
    assert Ballot.objects.get(pk=ballot.pk).status == Ballot.Status.DRAFT

    # Another candidate's request, circulated four months ago: its ballot opens.
    other = receive(client, MemberStateFactory(iso2="MD", name="Moldova", status="observer"), on="2025-01-06")
    four_months_ago = today - dt.timedelta(days=125)
    post_form(client, change_url(other), {"circulate_on": four_months_ago.isoformat()})
    post_form(client, change_url(other), {"table_on": str(AgendaItemFactory(session=session).pk)})
    other.refresh_from_db()
    ready = other.motion.ballots.get()
    post_form(client, "/admin/governance/ballot/", {"action": "open_ballots", "_selected_action": str(ready.pk)})
    assert Ballot.objects.get(pk=ready.pk).status == Ballot.Status.OPEN


def test_an_admission_motion_without_a_request_does_not_open(
    members: list[MemberState], session: Any, secretariat: Any, login: Any
) -> None:
    motion = MotionFactory(item=AgendaItemFactory(session=session), kind=Motion.Kind.ADMISSION)
    ballot = BallotFactory(motion=motion)
    refused = post_form(
        login(secretariat), "/admin/governance/ballot/", {"action": "open_ballots", "_selected_action": str(ballot.pk)}
    )
    assert any("table it from the request instead" in m for m in messages_of(refused))
    assert Ballot.objects.get(pk=ballot.pk).status == Ballot.Status.DRAFT


def test_an_accession_cannot_be_tabled_before_it_is_circulated(
    ukraine: MemberState, secretariat: Any, session: Any, login: Any
) -> None:
    client = login(secretariat)
    request = receive(client, ukraine)
    assert 'name="table_on"' not in client.get(change_url(request)).content.decode()
    with pytest.raises(Exception, match="Circulate the request first"):
        membership.table_motion(actor=secretariat, request_id=request.pk, item_id=AgendaItemFactory(session=session).pk)


# --- public pages --------------------------------------------------------------------------------


def test_the_public_membership_page_shows_each_request_and_its_clock(
    ukraine: MemberState, secretariat: Any, client: Any
) -> None:
    request = membership.receive_request(
        actor=secretariat, state_id=ukraine.pk, kind="accession", received_on=dt.date(2026, 1, 5)
    )
    membership.circulate_request(actor=secretariat, request_id=request.pk, circulated_on=dt.date(2026, 1, 10))
    with time_machine.travel(dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)):
        page = client.get("/governance/membership/").content.decode()
    assert "Ukraine" in page
    assert "Circulated to the member states" in page
    assert "the admission ballot may open on 2026-04-10 at the earliest" in page


@pytest.mark.parametrize("rows", [10, 1000])
def test_membership_page_query_count_is_pinned(
    rows: int, secretariat: Any, client: Any, django_assert_num_queries: Any
) -> None:
    states = MemberState.objects.bulk_create(
        MemberState(iso2=f"{chr(0x400 + i // 40)}{chr(0x400 + i % 40)}", name=f"S{i}", status="candidate")
        for i in range(rows)
    )
    MembershipRequest.objects.bulk_create(
        MembershipRequest(state=s, received_on=dt.date(2026, 1, 1), previous_status="observer") for s in states
    )
    with django_assert_num_queries(QUERIES_MEMBERSHIP):
        response = client.get("/governance/membership/")
    assert response.content.decode().count("<tr>") == rows + 1


QUERIES_MEMBERSHIP = 1  # the requests with their states and motions


def _amendment() -> Motion:
    return MotionFactory(
        item=AgendaItemFactory(title="Amendment"),
        title="Amendment of article VII",
        kind=Motion.Kind.AMENDMENT,
    )


def test_the_ratification_register_is_public_and_the_amendment_is_in_force_when_all_have_ratified(
    secretariat: Any, login: Any, client: Any
) -> None:
    states = [
        MemberStateFactory(iso2=c, name=n) for c, n in (("AT", "Austria"), ("BE", "Belgium"), ("CH", "Switzerland"))
    ]
    motion = _amendment()
    services.record_ratification(actor=secretariat, motion=motion, state=states[0], deposited_on=dt.date(2026, 2, 1))
    services.record_ratification(actor=secretariat, motion=motion, state=states[1], deposited_on=dt.date(2026, 3, 1))
    page = client.get("/governance/ratifications/").content.decode()
    assert "Not yet in force" in page
    assert "2 of 3 member states have ratified" in page
    assert "missing: Switzerland" in page

    # The last one, entered by the secretariat in the admin (through record_ratification).
    response = post_form(
        login(secretariat),
        f"/admin/governance/motion/{motion.pk}/change/",
        {"ratifications-2-state": str(states[2].pk), "ratifications-2-deposited_on": "2026-04-01"},
    )
    assert "Every member state has ratified: the amendment is in force." in messages_of(response)
    page = client.get("/governance/ratifications/").content.decode()
    assert "In force" in page
    assert "all 3 member states have ratified" in page
    assert "2026-04-01" in page


@pytest.mark.parametrize("rows", [10, 1000])
def test_ratification_register_query_count_is_pinned(rows: int, client: Any, django_assert_num_queries: Any) -> None:
    states = MemberState.objects.bulk_create(
        MemberState(iso2=f"{chr(0x400 + i // 40)}{chr(0x400 + i % 40)}", name=f"S{i}") for i in range(rows)
    )
    motion = _amendment()
    Ratification.objects.bulk_create(
        Ratification(motion=motion, state=s, deposited_on=dt.date(2026, 1, 1)) for s in states
    )
    with django_assert_num_queries(3):  # member states, amendments, their ratifications with states
        response = client.get("/governance/ratifications/")
    assert response.content.decode().count("<tr>") == rows + 1


def test_closing_a_request_withdraws_its_motion_with_the_reason(
    ukraine: MemberState, delegates: dict[str, Any], session: Any, secretariat: Any, login: Any
) -> None:
    """Issue 10: a request the state withdraws takes its motion off the agenda (withdrawn, with the
    reason, shown on the ballot page); while a motion's ballot is open, closing is refused."""
    client = login(secretariat)
    georgia = MemberStateFactory(iso2="GE", name="Georgia", status=MemberState.Status.OBSERVER)
    requests = {}
    for state in (ukraine, georgia):
        request = receive(client, state)
        post_form(client, change_url(request), {"circulate_on": "2026-01-10"})
        post_form(client, change_url(request), {"table_on": str(AgendaItemFactory(session=session).pk)})
        request.refresh_from_db()
        requests[state.iso2] = request

    # Ukraine's ballot is open: the Council decides first.
    open_ballot = requests["UA"].motion.ballots.get()
    services.open_ballot(actor=None, ballot_id=open_ballot.pk, now=dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC))
    refused = post_form(client, change_url(requests["UA"]), {"close_reason": "Ukraine withdrew its request"})
    assert (
        "The ballot on Admission of Ukraine as a member state has opened: close the request once the Council "
        "has decided." in refused.content.decode()
    )
    requests["UA"].refresh_from_db()
    assert requests["UA"].closed_on is None and requests["UA"].motion.status == Motion.Status.TABLED

    # Georgia's motion is tabled with a draft ballot: closing the request withdraws it with the reason.
    post_form(client, change_url(requests["GE"]), {"close_reason": "Georgia withdrew its request"})
    request = MembershipRequest.objects.select_related("motion", "state").get(pk=requests["GE"].pk)
    assert request.closed_on is not None and request.state.status == MemberState.Status.OBSERVER
    assert request.motion.status == Motion.Status.WITHDRAWN
    draft = request.motion.ballots.get()
    page = client.get(f"/governance/ballots/{draft.pk}/").content.decode()
    assert "Membership request closed: Georgia withdrew its request" in page
    # Its ballot can no longer open.
    opened = post_form(
        client, "/admin/governance/ballot/", {"action": "open_ballots", "_selected_action": str(draft.pk)}
    )
    assert any("The motion was withdrawn: its ballot cannot open." in m for m in messages_of(opened))
