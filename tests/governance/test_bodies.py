"""Issue 9 item 6 — committees with their own members (rules §4, "Bodies"): a Scientific Policy
Committee of members appointed ad personam (one vote per member), a Finance Committee of one
representative per member state (one vote per state). A body's ballots count its own members; its
sessions, papers and ballots are visible to its members and the secretariat only; a committee's
recommendation is attached to the Council motion and shown on it and on its ballot."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cernai.accounts import roles
from cernai.accounts.permissions import requires_mfa
from cernai.core import files
from governance import bodies, committees, services, tally
from governance.models import (
    Attendance,
    Ballot,
    BodyMembership,
    Council,
    ElectorateEntry,
    MemberState,
    Motion,
    Paper,
    Recommendation,
    Vote,
)
from tests.factories import UserFactory
from tests.governance.factories import AgendaItemFactory, BallotFactory, MotionFactory, SessionFactory

pytestmark = pytest.mark.django_db
SINCE = dt.date(2024, 1, 1)


@pytest.fixture
def spc(db: Any) -> Council:
    return Council.objects.create(name="Scientific Policy Committee", kind=Council.Kind.AD_PERSONAM)


@pytest.fixture
def fc(db: Any) -> Council:
    return Council.objects.create(name="Finance Committee", kind=Council.Kind.PER_STATE)


@pytest.fixture
def spc_members(spc: Council, secretariat: Any) -> list[Any]:
    """Five scientists appointed ad personam; two share a nationality (they still vote separately)."""
    people = [
        UserFactory(email=f"spc{i}@example.org", name=f"Scientist {i}", nationality="FR" if i < 2 else "DE", mfa=True)
        for i in range(5)
    ]
    for person in people:
        bodies.appoint_member(actor=secretariat, body=spc, user=person, start=SINCE)
    return people


def committee_ballot(body: Council, *, present: list[Any] | None = None, open: bool = True, **ballot: Any) -> Ballot:
    """A ballot of ``body`` in a fresh session; ``present`` members (default: every member) checked in."""
    session = SessionFactory(council=body, title=f"{body.name} — spring meeting")
    for membership in BodyMembership.objects.filter(body=body):
        if present is None or membership.user in present:
            services.check_in(user=membership.user, session=session)
    kind = ballot.pop("kind", Motion.Kind.ORDINARY)
    motion = MotionFactory(item=AgendaItemFactory(session=session), title=f"{body.name} motion", kind=kind)
    b = BallotFactory(motion=motion, **ballot)
    if open:
        services.open_ballot(actor=None, ballot_id=b.pk)
        b.refresh_from_db()
    return b


# --- the pure rule (governance/committees.py) -------------------------------------------------------


def members(n: int, present: int | None = None, quorum: bool = True) -> tally.Electorate:
    return tally.Electorate(all_states=n, entitled=n, present=n if present is None else present, quorum_required=quorum)


@pytest.mark.parametrize(
    ("kind", "yes", "no", "abstain", "n", "outcome", "threshold", "sentence"),
    [
        ("ordinary", 3, 2, 0, 5, "adopted", 3, "simple majority of the 5 members voting"),
        ("ordinary", 2, 2, 1, 5, "rejected", 3, "1 abstention not counted"),
        ("budget", 4, 2, 0, 7, "adopted", 4, "two-thirds of the 6 members voting = 4 needed"),
        ("budget", 3, 2, 0, 7, "rejected", 4, "two-thirds of the 5 members voting = 4 needed"),
        ("two_thirds_all", 4, 0, 0, 7, "rejected", 5, "Two-thirds of all members: two-thirds of 7 = 5 needed"),
        ("two_thirds_all", 5, 2, 0, 7, "adopted", 5, "two-thirds of 7 = 5 needed"),
    ],
)
def test_a_committee_ad_personam_counts_one_vote_per_member(
    kind: str, yes: int, no: int, abstain: int, n: int, outcome: str, threshold: int, sentence: str
) -> None:
    result = committees.tally_body(
        body_kind=committees.AD_PERSONAM, kind=kind, yes=yes, no=no, abstain=abstain, electorate=members(n)
    )
    assert (result.outcome.value, result.threshold) == (outcome, threshold)
    assert sentence in result.explanation and "states" not in result.explanation


def test_a_committee_ad_personam_without_quorum_is_invalid_and_says_so_in_members() -> None:
    result = committees.tally_body(
        body_kind=committees.AD_PERSONAM, kind="ordinary", yes=2, no=0, abstain=0, electorate=members(5, present=2)
    )
    assert result.outcome is tally.Outcome.NO_QUORUM
    assert "a majority of the 5 members entitled to vote = 3 needed present; 2 present" in result.explanation
    line = committees.quorum_line(body_kind=committees.AD_PERSONAM, entitled=5, present=2)
    assert "5 members" in line and "no quorum" in line


def test_a_committee_of_state_representatives_counts_states_like_the_council() -> None:
    # Rules §1 example 1 under a committee of representatives: one vote per state, the same rule.
    electorate = tally.Electorate(all_states=23, entitled=23, present=19)
    args = {"kind": "ordinary", "yes": 9, "no": 7, "abstain": 3, "electorate": electorate}
    assert committees.tally_body(body_kind=committees.PER_STATE, **args) == tally.tally(**args)


def test_admissions_and_amendments_are_the_councils_alone() -> None:
    for kind in ("admission", "amendment"):
        assert committees.motion_kind_allowed(body_kind=committees.COUNCIL, motion_kind=kind)
        assert not committees.motion_kind_allowed(body_kind=committees.AD_PERSONAM, motion_kind=kind)
        assert not committees.motion_kind_allowed(body_kind=committees.PER_STATE, motion_kind=kind)
    with pytest.raises(ValueError, match="committees decide"):
        committees.tally_body(
            body_kind=committees.AD_PERSONAM, kind="admission", yes=1, no=0, abstain=0, electorate=members(3)
        )
    assert not committees.joint_mode_allowed(body_kind=committees.PER_STATE)


# --- memberships: terms, checks, roles ---------------------------------------------------------------


def test_members_ad_personam_represent_no_state(spc: Council, secretariat: Any, france: MemberState) -> None:
    with pytest.raises(services.GovernanceError, match="ad personam") as refused:
        bodies.appoint_member(actor=secretariat, body=spc, user=UserFactory(), state=france, start=SINCE)
    assert refused.value.field == "state"


def test_a_finance_committee_has_one_representative_per_member_state(
    fc: Council, secretariat: Any, france: MemberState, associate: MemberState
) -> None:
    first = bodies.appoint_member(
        actor=secretariat, body=fc, user=UserFactory(name="Rep One"), state=france, start=SINCE
    )
    with pytest.raises(services.GovernanceError, match="France is already represented") as refused:
        bodies.appoint_member(actor=secretariat, body=fc, user=UserFactory(), state=france, start=dt.date(2025, 1, 1))
    assert refused.value.field == "state"
    with pytest.raises(services.GovernanceError, match="choose the state") as refused:
        bodies.appoint_member(actor=secretariat, body=fc, user=UserFactory(), start=SINCE)
    assert refused.value.field == "state"
    with pytest.raises(services.GovernanceError, match="Cyprus is not a member state"):
        bodies.appoint_member(actor=secretariat, body=fc, user=UserFactory(), state=associate, start=SINCE)
    # The seat changes hands by ending the term; the next representative starts then.
    bodies.end_membership(actor=secretariat, membership=first, end=dt.date(2025, 1, 1))
    bodies.appoint_member(actor=secretariat, body=fc, user=UserFactory(), state=france, start=dt.date(2025, 1, 1))
    assert BodyMembership.objects.filter(body=fc, state=france).count() == 2


def test_one_seat_per_person_and_the_council_is_not_a_committee(
    spc: Council, secretariat: Any, spc_members: list[Any], chair: Any
) -> None:
    with pytest.raises(services.GovernanceError, match="already sits on") as refused:
        bodies.appoint_member(actor=secretariat, body=spc, user=spc_members[0], start=dt.date(2025, 6, 1))
    assert refused.value.field == "user"
    council = Council.objects.get(kind=Council.Kind.COUNCIL)
    with pytest.raises(services.GovernanceError, match="appoint delegates instead"):
        bodies.appoint_member(actor=secretariat, body=council, user=UserFactory(), start=SINCE)


def test_the_committee_role_and_its_second_factor_follow_the_membership(spc: Council, secretariat: Any) -> None:
    person = UserFactory(email="new.member@example.org")
    assert not requires_mfa(person)
    membership = bodies.appoint_member(actor=secretariat, body=spc, user=person, start=SINCE)
    assert roles.COMMITTEE in roles.held(person) and requires_mfa(person)
    bodies.end_membership(actor=secretariat, membership=membership, end=timezone.localdate())
    roles.forget(person)
    assert roles.COMMITTEE not in roles.held(person) and not requires_mfa(person)
    with pytest.raises(services.GovernanceError, match="already ended"):
        bodies.end_membership(actor=secretariat, membership=membership, end=timezone.localdate() + dt.timedelta(days=9))


def test_chairing_a_committee_does_not_make_the_council_chair(spc: Council) -> None:
    spc.chair = UserFactory(email="spc.chair@example.org")
    spc.save()
    held = roles.held(spc.chair)
    assert roles.COMMITTEE in held and roles.CHAIR not in held


# --- ballots count the body's own members ------------------------------------------------------------


def test_the_spc_ballot_counts_its_members_one_vote_each(
    spc_members: list[Any], delegates: Any, secretariat: Any
) -> None:
    ballot = committee_ballot(spc_members[0].body_memberships.get().body)
    entries = ElectorateEntry.objects.filter(ballot=ballot)
    assert sorted(e.member_id for e in entries) == sorted(p.pk for p in spc_members)
    assert all(e.state_id is None for e in entries)
    assert (ballot.entitled_count, ballot.all_count, ballot.present_count) == (5, 5, 5)
    # Two members of the same nationality each cast their own vote.
    for person, choice in zip(spc_members, ["yes", "yes", "yes", "no", "no"], strict=True):
        receipt = services.cast_vote(ballot_id=ballot.pk, user=person, choice=choice)
        assert receipt.counted and receipt.state == person.name
    with pytest.raises(services.GovernanceError, match="already voted"):
        services.cast_vote(ballot_id=ballot.pk, user=spc_members[0], choice="no")
    # A Council delegate does not see the committee's ballots: to them this one does not exist (a 404).
    with pytest.raises(Ballot.DoesNotExist):
        services.check_may_cast(ballot_id=ballot.pk, user=delegates["FR"][0])
    # The secretariat sees it but sits on no committee: refused with the reason.
    with pytest.raises(services.GovernanceError, match="Only a serving member of Scientific Policy Committee"):
        services.check_may_cast(ballot_id=ballot.pk, user=secretariat)
    ballot = services.close_ballot(actor=None, ballot_id=ballot.pk)
    assert (ballot.outcome, ballot.yes, ballot.no, ballot.voted_count) == ("adopted", 3, 2, 5)
    assert "simple majority of the 5 members voting" in ballot.explanation
    assert services.verify_ballot(ballot_id=ballot.pk).ok
    assert set(Vote.objects.filter(ballot=ballot).values_list("state_id", flat=True)) == {None}


def test_the_electorate_is_the_membership_at_opening(spc: Council, spc_members: list[Any], secretariat: Any) -> None:
    ballot = committee_ballot(spc)
    late = UserFactory(email="late@example.org")
    bodies.appoint_member(actor=secretariat, body=spc, user=late, start=SINCE + dt.timedelta(days=800))
    with pytest.raises(services.GovernanceError, match="not a member when this ballot opened"):
        services.cast_vote(ballot_id=ballot.pk, user=late, choice="yes")


def test_a_committee_ballot_opens_only_with_a_quorum_of_its_members(spc: Council, spc_members: list[Any]) -> None:
    ballot = committee_ballot(spc, present=spc_members[:2], open=False)
    with pytest.raises(services.GovernanceError, match="2 present → no quorum") as refused:
        services.open_ballot(actor=None, ballot_id=ballot.pk)
    assert "5 members entitled to vote" in refused.value.message
    services.check_in(user=spc_members[2], session=ballot.motion.item.session)
    assert services.open_ballot(actor=None, ballot_id=ballot.pk).status == Ballot.Status.OPEN


def test_a_secret_spc_ballot_keeps_no_link_and_publishes_receipts(spc: Council, spc_members: list[Any]) -> None:
    ballot = committee_ballot(spc, secrecy=Ballot.Secrecy.SECRET)
    receipts = {services.cast_vote(ballot_id=ballot.pk, user=p, choice="yes").receipt for p in spc_members[:3]}
    ballot = services.close_ballot(actor=None, ballot_id=ballot.pk)
    assert (ballot.yes, ballot.voted_count, Vote.objects.filter(ballot=ballot).count()) == (3, 3, 0)
    assert set(ballot.secret_choices.values_list("receipt", flat=True)) == receipts


def test_the_finance_committee_counts_one_vote_per_state(
    fc: Council, members: list[MemberState], associate: MemberState, secretariat: Any, delegates: Any
) -> None:
    reps = {s.iso2: UserFactory(email=f"fc.{s.iso2.lower()}@example.org", mfa=True) for s in members}
    for state in members:
        bodies.appoint_member(actor=secretariat, body=fc, user=reps[state.iso2], state=state, start=SINCE)
    ballot = committee_ballot(fc, kind=Motion.Kind.BUDGET)
    entitled = ElectorateEntry.objects.filter(ballot=ballot, reason=ElectorateEntry.Reason.ENTITLED)
    assert entitled.count() == 23 and not entitled.filter(state=associate).exists()
    assert ElectorateEntry.objects.get(ballot=ballot, state=associate).reason == "associate"
    for i, state in enumerate(members[:20]):
        services.cast_vote(ballot_id=ballot.pk, user=reps[state.iso2], choice="yes" if i < 14 else "no")
    # France's Council delegates do not sit on the Finance Committee (its representative voted for
    # France), nor see its ballots; the secretariat sees them and is refused with the reason.
    with pytest.raises(Ballot.DoesNotExist):
        services.cast_vote(ballot_id=ballot.pk, user=delegates["FR"][0], choice="no")
    with pytest.raises(services.GovernanceError, match="Only a serving member of Finance Committee"):
        services.cast_vote(ballot_id=ballot.pk, user=secretariat, choice="no")
    ballot = services.close_ballot(actor=None, ballot_id=ballot.pk)
    # Rules §1 example 3 under the committee: 20 voting, 14 yes / 6 no → adopted.
    assert (ballot.outcome, ballot.threshold) == ("adopted", 14)
    assert "two-thirds of the 20 states voting = 14 needed" in ballot.explanation
    assert Vote.objects.get(ballot=ballot, state__iso2="FR").cast_by == reps["FR"]


def test_committee_ballots_use_the_either_mode_and_committee_motion_kinds(spc: Council, spc_members: list[Any]) -> None:
    joint = committee_ballot(spc, mode=Ballot.Mode.JOINT, open=False)
    with pytest.raises(services.GovernanceError, match="either delegate"):
        services.open_ballot(actor=None, ballot_id=joint.pk)
    admission = committee_ballot(spc, kind=Motion.Kind.ADMISSION, open=False)
    with pytest.raises(services.GovernanceError, match="this one is the Council's"):
        services.open_ballot(actor=None, ballot_id=admission.pk)


def test_council_ballots_still_count_the_states(
    make_ballot: Any, delegates: Any, spc_members: list[Any], chair: Any
) -> None:
    ballot = make_ballot()
    assert ballot.entitled_count == 23
    # A committee member who holds no Council seat does not see the Council's ballots; its chair
    # sees them and holds no state's seat.
    with pytest.raises(Ballot.DoesNotExist):
        services.cast_vote(ballot_id=ballot.pk, user=spc_members[0], choice="yes")
    with pytest.raises(services.GovernanceError, match="Only a serving delegate"):
        services.cast_vote(ballot_id=ballot.pk, user=chair, choice="yes")


# --- who sees what -----------------------------------------------------------------------------------


def test_a_committees_business_is_visible_to_its_members_and_the_secretariat_only(
    spc: Council, spc_members: list[Any], delegates: Any, chair: Any, secretariat: Any, login: Any, make_ballot: Any
) -> None:
    council_ballot = make_ballot()
    ballot = committee_ballot(spc)
    session = ballot.motion.item.session
    paper = Paper.objects.create(
        item=ballot.motion.item,
        title="SPC paper",
        file=files.store_upload(upload=SimpleUploadedFile("p.pdf", b"%PDF-1.4 p"), owner=secretariat, purpose="paper"),
    )
    urls = [
        f"/governance/sessions/{session.pk}/",
        f"/governance/ballots/{ballot.pk}/",
        f"/governance/ballots/{ballot.pk}/turnout/",
        f"/files/{paper.file_id}/",
    ]
    member = login(spc_members[0])
    for url in urls[:3]:
        assert member.get(url).status_code == 200, url
    index = member.get("/governance/").content.decode()
    assert "Scientific Policy Committee motion" in index and "My committee seats" in index
    # A committee member who is not a delegate sees none of the Council's business.
    assert member.get(f"/governance/ballots/{council_ballot.pk}/").status_code == 404
    for outsider in (delegates["FR"][0], chair):
        client = login(outsider)
        for url in urls:
            assert client.get(url).status_code in (403, 404), (outsider, url)
        assert client.post(f"/governance/ballots/{ballot.pk}/confirm/", {"choice": "yes"}).status_code == 404
        page = client.get("/governance/").content.decode()
        assert "Scientific Policy Committee" not in page
    staff = login(secretariat)
    assert staff.get(urls[1]).status_code == 200


def test_the_committee_chair_runs_its_ballots_not_the_councils(
    spc: Council, spc_members: list[Any], login: Any, make_ballot: Any
) -> None:
    spc.chair = UserFactory(email="spc.chair@example.org", mfa=True)
    spc.save()
    ballot = committee_ballot(spc)
    council_ballot = make_ballot()
    client = login(spc.chair)
    client.post(f"/governance/ballots/{ballot.pk}/close/")
    assert Ballot.objects.get(pk=ballot.pk).status == Ballot.Status.CLOSED
    assert client.post(f"/governance/ballots/{council_ballot.pk}/close/").status_code == 404
    member = login(spc_members[0])
    assert member.post(f"/governance/ballots/{ballot.pk}/publish/").status_code == 403


def test_a_member_checks_in_in_person_on_the_session_page(spc: Council, spc_members: list[Any], login: Any) -> None:
    session = SessionFactory(council=spc)
    client = login(spc_members[3])
    page = client.get(f"/governance/sessions/{session.pk}/").content.decode()
    assert "Check in" in page and "Check in my delegation" not in page
    client.post(f"/governance/sessions/{session.pk}/check-in/")
    assert Attendance.objects.get(session=session).member == spc_members[3]


# --- recommendations ---------------------------------------------------------------------------------


def test_a_recommendation_is_shown_on_the_council_motion_once_the_committee_adopted_it(
    spc: Council, spc_members: list[Any], delegates: Any, secretariat: Any, login: Any, make_ballot: Any
) -> None:
    council_ballot = make_ballot()
    council_motion = council_ballot.motion
    ballot = committee_ballot(spc)
    Motion.objects.filter(pk=ballot.motion_id).update(text="The SPC recommends adopting the plan.")
    bodies.attach_recommendation(actor=secretariat, motion=ballot.motion, council_motion=council_motion)
    delegate = login(delegates["FR"][0])
    ballot_url = f"/governance/ballots/{council_ballot.pk}/"
    session_url = f"/governance/sessions/{council_motion.item.session_id}/"
    assert "The SPC recommends" not in delegate.get(ballot_url).content.decode()  # not adopted yet
    for person in spc_members[:3]:
        services.cast_vote(ballot_id=ballot.pk, user=person, choice="yes")
    services.close_ballot(actor=None, ballot_id=ballot.pk)
    services.publish_result(actor=None, ballot_id=ballot.pk)
    for url in (ballot_url, session_url):
        page = delegate.get(url).content.decode()
        assert "Recommendation of Scientific Policy Committee" in page, url
        assert "The SPC recommends adopting the plan." in page
        assert "simple majority of the 3 members voting" in page
    # The recommendation is shown; the committee's own ballot stays the committee's: not in the
    # public register (page and API), and no Council resolution number.
    assert delegate.get(f"/governance/ballots/{ballot.pk}/").status_code == 404
    assert Motion.objects.get(pk=ballot.motion_id).resolution_number == ""
    public = login(UserFactory(email="anyone@example.org"))
    assert public.get(f"/governance/register/{ballot.pk}/").status_code == 404
    assert public.get(f"/api/v1/governance/resolutions/{ballot.pk}/").status_code == 404
    assert "Scientific Policy Committee motion" not in public.get("/governance/register/").content.decode()


def test_what_can_be_attached_as_a_recommendation(
    spc: Council, spc_members: list[Any], secretariat: Any, make_ballot: Any
) -> None:
    council_motion = make_ballot(open=False).motion
    other_council_motion = make_ballot(open=False).motion
    committee_motion = committee_ballot(spc, open=False).motion
    with pytest.raises(services.GovernanceError, match="is a committee's motion") as refused:
        bodies.attach_recommendation(actor=secretariat, motion=other_council_motion, council_motion=council_motion)
    assert refused.value.field == "motion"
    with pytest.raises(services.GovernanceError, match="attached to Council motions") as refused:
        bodies.attach_recommendation(actor=secretariat, motion=committee_motion, council_motion=committee_motion)
    assert refused.value.field == "council_motion"
    decided = make_ballot()
    services.close_ballot(actor=None, ballot_id=decided.pk)
    with pytest.raises(services.GovernanceError, match="already decided"):
        bodies.attach_recommendation(actor=secretariat, motion=committee_motion, council_motion=decided.motion)
    bodies.attach_recommendation(actor=secretariat, motion=committee_motion, council_motion=council_motion)
    with pytest.raises(services.GovernanceError, match="already attached"):
        bodies.attach_recommendation(actor=secretariat, motion=committee_motion, council_motion=other_council_motion)
    assert Recommendation.objects.get().council_motion == council_motion


def test_the_dashboard_tells_each_seat_where_it_stands(
    spc: Council, fc: Council, spc_members: list[Any], france: MemberState, secretariat: Any, login: Any
) -> None:
    from governance import selectors

    rep = UserFactory(email="fc.fr@example.org", mfa=True)
    bodies.appoint_member(actor=secretariat, body=fc, user=rep, state=france, start=SINCE)
    Council.objects.filter(pk=fc.pk).update(quorum_required=False)
    spc_ballot, fc_ballot = committee_ballot(spc), committee_ballot(Council.objects.get(pk=fc.pk))
    services.cast_vote(ballot_id=spc_ballot.pk, user=spc_members[0], choice="no")
    rows = {r["ballot"].pk: r["status"] for r in selectors.open_ballots_with_status(spc_members[0])}
    assert rows == {spc_ballot.pk: "you voted no"}
    assert {r["ballot"].pk: r["status"] for r in selectors.open_ballots_with_status(spc_members[1])} == {
        spc_ballot.pk: "you have not voted yet"
    }
    services.cast_vote(ballot_id=fc_ballot.pk, user=rep, choice="yes")
    assert {r["ballot"].pk: r["status"] for r in selectors.open_ballots_with_status(rep)} == {
        fc_ballot.pk: "your state voted yes"
    }
    page = login(spc_members[0]).get("/dashboard/").content.decode()
    assert "Scientific Policy Committee motion" in page and "you voted no" in page


def test_a_committees_papers_public_or_closed_are_read_by_its_members_only(
    spc: Council,
    spc_members: list[Any],
    delegates: Any,
    secretariat: Any,
    login: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from django.core import mail
    from django.test import Client

    from tests.governance.factories import make_paper

    session = SessionFactory(council=spc, closed=True)
    item = AgendaItemFactory(session=session)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        public = make_paper(item, "SPC public note", classification="public", owner=secretariat)
        closed = make_paper(item, "SPC closed note", classification="closed", owner=secretariat)
    # Announced to the committee's members, not to the Council's delegations.
    told = {address for message in mail.outbox for address in message.to}
    assert {m.email for m in spc_members} <= told
    assert delegates["FR"][0].email not in told
    member = login(spc_members[0])
    for paper in (public, closed):
        assert member.get(f"/governance/papers/{paper.pk}/").status_code == 200, paper.classification
    # Neither the public nor a Council delegate reads a committee's papers, public ones included.
    for client in (Client(), login(delegates["FR"][0])):
        for paper in (public, closed):
            assert client.get(f"/governance/papers/{paper.pk}/").status_code == 404, paper.classification
    assert "SPC public note" not in Client().get("/governance/register/documents/").content.decode()
