"""Services against the real PostgreSQL: electorate freezing, casting in either and joint mode,
refusals with their reasons (T3), closing, publishing, admission notice, ratification, appointments."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from cernai.accounts import roles
from governance import services
from governance.models import (
    Appointment,
    Ballot,
    ElectorateEntry,
    MemberState,
    Motion,
    Programme,
    Vote,
    VotingAuthorisation,
)
from governance.selectors import turnout
from governance.services import GovernanceError
from tests.factories import UserFactory
from tests.governance.factories import MemberStateFactory, MotionFactory, appoint, put_in_arrears

pytestmark = pytest.mark.django_db


def vote_as(delegates: dict[str, Any], ballot: Ballot, choices: dict[str, str]) -> None:
    for iso, choice in choices.items():
        services.cast_vote(ballot_id=ballot.pk, user=delegates[iso][0], choice=choice)


def spread(members: list[MemberState], yes: int, no: int, abstain: int = 0) -> dict[str, str]:
    codes = [m.iso2 for m in members]
    choices = ["yes"] * yes + ["no"] * no + ["abstain"] * abstain
    return dict(zip(codes, choices, strict=False))


def test_opening_freezes_the_electorate_with_a_reason_for_each_excluded_state(
    members: list[MemberState], associate: MemberState, observer: MemberState, make_ballot: Any
) -> None:
    candidate = MemberStateFactory(iso2="UA", status=MemberState.Status.CANDIDATE)
    late = members[1]
    put_in_arrears(late)
    forgiven = members[2]
    put_in_arrears(forgiven)
    VotingAuthorisation.objects.create(
        state=forgiven, decided_on=dt.date(2019, 12, 12), valid_from=dt.date(2020, 1, 1), reference="CERN/C/1"
    )
    ballot = make_ballot()
    reasons = dict(ElectorateEntry.objects.filter(ballot=ballot).values_list("state__iso2", "reason"))
    assert reasons[associate.iso2] == "associate"
    assert reasons[observer.iso2] == "observer"
    assert reasons[candidate.iso2] == "candidate"
    assert reasons[late.iso2] == "arrears"
    assert reasons[forgiven.iso2] == "entitled"
    # 22 entitled; the state in arrears still counts among all 23 member states.
    assert (ballot.entitled_count, ballot.all_count, ballot.present_count) == (22, 23, 22)
    # The snapshot holds even if a state's status changes after opening.
    associate.status = MemberState.Status.MEMBER
    associate.save()
    assert ElectorateEntry.objects.get(ballot=ballot, state=associate).reason == "associate"


def test_t3_each_refusal_has_its_own_reason(
    members: list[MemberState],
    associate: MemberState,
    observer: MemberState,
    delegate_fr_sci: Any,
    delegate_fr_pol: Any,
    secretariat: Any,
    make_ballot: Any,
) -> None:
    arrears = members[3]
    put_in_arrears(arrears)
    associate_delegate = appoint(associate, Appointment.Role.SCIENTIFIC)
    observer_delegate = appoint(observer, Appointment.Role.SCIENTIFIC)
    arrears_delegate = appoint(arrears, Appointment.Role.SCIENTIFIC)
    ballot = make_ballot()

    def refusal(user: Any) -> GovernanceError:
        with pytest.raises(GovernanceError) as info:
            services.cast_vote(ballot_id=ballot.pk, user=user, choice="yes")
        return info.value

    assert refusal(associate_delegate).code == "associate"
    assert "associate member" in refusal(associate_delegate).message
    assert refusal(observer_delegate).code == "observer"
    assert "in arrears" in refusal(arrears_delegate).message
    assert refusal(secretariat).code == "not_delegate"

    services.cast_vote(ballot_id=ballot.pk, user=delegate_fr_sci, choice="yes")
    second = refusal(delegate_fr_pol)
    assert second.code == "already_voted"
    assert "cast by Fanny Science" in second.message
    assert Vote.objects.filter(ballot=ballot).count() == 1


def test_advisers_never_vote(france: MemberState, make_ballot: Any) -> None:
    from governance.models import Adviser

    adviser = UserFactory(email="adviser@example.org")
    Adviser.objects.create(state=france, user=adviser, start=dt.date(2020, 1, 1))
    ballot = make_ballot()
    with pytest.raises(GovernanceError, match="advisers"):
        services.cast_vote(ballot_id=ballot.pk, user=adviser, choice="yes")


@pytest.mark.parametrize(
    ("kind", "yes", "no", "abstain", "outcome", "explanation"),
    [
        ("ordinary", 9, 7, 3, "adopted", "9 yes, 7 no, 3 abstentions not counted → adopted"),
        ("ordinary", 8, 8, 0, "rejected", "8 yes, 8 no → rejected"),
        ("budget", 13, 7, 0, "rejected", "two-thirds of the 20 states voting = 14 needed; 13 yes → rejected"),
        ("budget", 14, 6, 0, "adopted", "two-thirds of the 20 states voting = 14 needed; 14 yes → adopted"),
        ("two_thirds_all", 14, 6, 0, "rejected", "two-thirds of 23 = 16 needed; 14 yes → rejected"),
    ],
)
def test_examples_end_to_end_through_votes(
    members: list[MemberState],
    delegates: dict[str, Any],
    make_ballot: Any,
    kind: str,
    yes: int,
    no: int,
    abstain: int,
    outcome: str,
    explanation: str,
) -> None:
    ballot = make_ballot(kind=kind)
    vote_as(delegates, ballot, spread(members, yes, no, abstain))
    closed = services.close_ballot(actor=None, ballot_id=ballot.pk)
    assert closed.outcome == outcome
    assert explanation in closed.explanation
    published = services.publish_result(actor=None, ballot_id=ballot.pk)
    assert published.status == Ballot.Status.PUBLISHED
    assert published.motion.status == outcome


def test_example_5_admission_22_yes_one_absent_rejected_and_notice_enforced(
    members: list[MemberState], delegates: dict[str, Any], make_ballot: Any
) -> None:
    too_soon = make_ballot(kind="admission", open=False, circulated_on=timezone.localdate() - dt.timedelta(days=30))
    with pytest.raises(GovernanceError, match="3 months"):
        services.open_ballot(actor=None, ballot_id=too_soon.pk)
    assert Ballot.objects.get(pk=too_soon.pk).status == Ballot.Status.DRAFT

    ballot = make_ballot(kind="admission", open=False, circulated_on=timezone.localdate() - dt.timedelta(days=120))
    services.open_ballot(actor=None, ballot_id=ballot.pk)
    vote_as(delegates, ballot, spread(members, 22, 0))
    closed = services.close_ballot(actor=None, ballot_id=ballot.pk)
    assert (closed.outcome, closed.threshold) == ("rejected", 23)


def test_example_6_programme_non_participant_cannot_vote(
    members: list[MemberState], delegates: dict[str, Any], make_ballot: Any
) -> None:
    programme = Programme.objects.create(name="Exascale training")
    programme.participants.set(members[1:11])
    ballot = make_ballot(kind="two_thirds_all", programme=programme)
    assert (ballot.entitled_count, ballot.all_count) == (10, 10)
    with pytest.raises(GovernanceError) as info:
        services.cast_vote(ballot_id=ballot.pk, user=delegates["FR"][0], choice="yes")
    assert info.value.code == "not_participant"
    vote_as(delegates, ballot, spread(members[1:11], 7, 3))
    closed = services.close_ballot(actor=None, ballot_id=ballot.pk)
    assert (closed.outcome, closed.threshold) == ("adopted", 7)


def test_a_ballot_without_quorum_does_not_open(
    members: list[MemberState], delegates: dict[str, Any], make_ballot: Any, session: Any
) -> None:
    # Rules §1: quorum is "present when it opened", so it is checked at the opening, not discovered at close.
    session.attendances.exclude(state__in=members[:11]).delete()
    ballot = make_ballot(open=False)
    with pytest.raises(services.GovernanceError) as refused:
        services.open_ballot(actor=None, ballot_id=ballot.pk)
    assert refused.value.code == "no_quorum"
    assert "23 states entitled to vote = 12 needed present; 11 present" in refused.value.message
    ballot.refresh_from_db()
    assert ballot.status == Ballot.Status.DRAFT and not ballot.electorate.exists()


def test_joint_mode_counts_only_agreeing_keys_and_allows_revision(
    members: list[MemberState], delegates: dict[str, Any], make_ballot: Any
) -> None:
    ballot = make_ballot(mode=Ballot.Mode.JOINT)
    sci, pol = delegates["FR"]
    first = services.cast_vote(ballot_id=ballot.pk, user=sci, choice="yes")
    assert not first.counted
    split = services.cast_vote(ballot_id=ballot.pk, user=pol, choice="no")
    assert not split.counted
    assert turnout(ballot.pk)["voted"] == 0
    agreed = services.cast_vote(ballot_id=ballot.pk, user=pol, choice="yes")
    assert agreed.counted
    assert turnout(ballot.pk)["voted"] == 1
    # Revising back to a split withdraws the state's vote.
    services.cast_vote(ballot_id=ballot.pk, user=sci, choice="abstain")
    assert turnout(ballot.pk)["voted"] == 0
    # Germany (say) only half-submits: incomplete.
    services.cast_vote(ballot_id=ballot.pk, user=delegates[members[1].iso2][0], choice="yes")
    closed = services.close_ballot(actor=None, ballot_id=ballot.pk)
    assert (closed.yes, closed.no, closed.abstain) == (0, 0, 0)
    from governance.selectors import ballot_breakdown

    labels = {row["state"].iso2: str(row["label"]) for row in ballot_breakdown(closed)["breakdown"]}
    assert labels["FR"] == "split"
    assert labels[members[1].iso2] == "incomplete"


def test_joint_mode_vacant_seat_votes_alone(members: list[MemberState], make_ballot: Any) -> None:
    lonely = appoint(members[4], Appointment.Role.POLITICAL)
    ballot = make_ballot(mode=Ballot.Mode.JOINT)
    assert services.cast_vote(ballot_id=ballot.pk, user=lonely, choice="no").counted
    closed = services.close_ballot(actor=None, ballot_id=ballot.pk)
    assert closed.no == 1


def test_secret_ballots_cannot_be_joint(make_ballot: Any) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        make_ballot(mode=Ballot.Mode.JOINT, secrecy=Ballot.Secrecy.SECRET, open=False)


def test_voting_after_close_is_refused(delegates: dict[str, Any], make_ballot: Any) -> None:
    ballot = make_ballot()
    services.close_ballot(actor=None, ballot_id=ballot.pk)
    with pytest.raises(GovernanceError) as info:
        services.cast_vote(ballot_id=ballot.pk, user=delegates["FR"][0], choice="yes")
    assert info.value.code == "not_open"


def test_closing_twice_returns_the_same_result(
    members: list[MemberState], delegates: dict[str, Any], make_ballot: Any
) -> None:
    ballot = make_ballot()
    vote_as(delegates, ballot, spread(members, 5, 2))
    first = services.close_ballot(actor=None, ballot_id=ballot.pk)
    second = services.close_ballot(actor=None, ballot_id=ballot.pk)
    assert (
        (first.yes, first.no, first.closed_at) == (second.yes, second.no, second.closed_at) == (5, 2, first.closed_at)
    )


def test_convention_amendment_in_force_once_every_member_ratified(members: list[MemberState], make_ballot: Any) -> None:
    motion = MotionFactory(kind=Motion.Kind.AMENDMENT)
    ballot = make_ballot(kind="amendment", open=False)
    with pytest.raises(GovernanceError, match="ratification"):
        services.open_ballot(actor=None, ballot_id=ballot.pk)
    for state in members[:-1]:
        status = services.record_ratification(actor=None, motion=motion, state=state, deposited_on=dt.date(2026, 1, 1))
    assert not status.in_force
    assert (
        f"22 of 23 member states have ratified → not yet in force (missing: {members[-1].name})" in status.explanation
    )
    status = services.record_ratification(
        actor=None, motion=motion, state=members[-1], deposited_on=dt.date(2026, 2, 1)
    )
    assert status.in_force
    assert Motion.objects.get(pk=motion.pk).status == Motion.Status.IN_FORCE


def test_one_active_appointment_per_state_and_role_is_a_database_guarantee(france: MemberState) -> None:
    first, second = UserFactory(), UserFactory()
    services.appoint_delegate(
        actor=None, state=france, user=first, role="scientific", start=dt.date(2026, 1, 1), end=dt.date(2027, 1, 1)
    )
    assert roles.DELEGATE in roles.held(UserFactory._meta.model.objects.get(pk=first.pk))  # from the record
    with pytest.raises(GovernanceError, match="overlaps"):
        services.appoint_delegate(actor=None, state=france, user=second, role="scientific", start=dt.date(2026, 6, 1))
    # Bypassing the service does not help: the exclusion constraint refuses it.
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(state=france, user=second, role="scientific", start=dt.date(2026, 12, 31))
    # Back to back is fine (terms are half-open), and the other role is independent.
    services.appoint_delegate(actor=None, state=france, user=second, role="scientific", start=dt.date(2027, 1, 1))
    services.appoint_delegate(actor=None, state=france, user=second, role="political", start=dt.date(2026, 6, 1))
    assert roles.DELEGATE in roles.held(UserFactory._meta.model.objects.get(pk=second.pk))
    assert not first.groups.exists() and not second.groups.exists()  # no group is kept by hand


def test_check_in_counts_for_quorum_and_closed_sessions_are_for_members(
    france: MemberState, associate: MemberState, delegate_fr_sci: Any
) -> None:
    from tests.governance.factories import SessionFactory

    closed = SessionFactory(closed=True)
    attendance = services.check_in(user=delegate_fr_sci, session=closed)
    assert attendance.state == france
    associate_delegate = appoint(associate, Appointment.Role.POLITICAL)
    with pytest.raises(GovernanceError, match="member states only"):
        services.check_in(user=associate_delegate, session=closed)
