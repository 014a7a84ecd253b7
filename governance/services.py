"""Every write of governance: appointments, attendance, ballots (open, cast, close, publish), ratifications.

Each service is one transaction that writes, records who and why in the audit trail and schedules its
side effects (notifications) on commit. Transitions (open, close, publish) lock the ballot row
exclusively; a cast takes only a SHARE lock on it, so casts run side by side while a close waits for
the casts in flight and every later cast sees the ballot closed (quality.md T1, T2, B1). Two casts for
the same state are serialised by that state's register row (ElectorateEntry), never by the ballot.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cernai.core import sentences
from cernai.core.audit import audit_context
from cernai.core.errors import Refusal
from cernai.core.notifications import notify
from finance import plan_services

from . import committees, envelopes, tally
from .models import (
    Adviser,
    Appointment,
    Attendance,
    Ballot,
    Choice,
    Council,
    ElectorateEntry,
    JointKey,
    MembershipRequest,
    MemberState,
    Motion,
    Ratification,
    ResolutionCounter,
    SealedEnvelope,
    SecretChoice,
    Session,
    Vote,
)
from .selectors import (
    Seat,
    active_appointment,
    electorate_for,
    electors_of,
    overlapping_appointments,
    quorum_of,
    serving_memberships,
    serving_on,
    visible_ballots,
    voting_seat,
    weighted_rule_applies,
)


class GovernanceError(Refusal):
    """A refused governance action: the portal's one refusal type, under the name its callers know."""


@dataclass(frozen=True)
class CastReceipt:
    """What a delegate gets back for an accepted vote or key."""

    receipt: str
    state: str
    counted: bool  # joint mode: False until both keys agree


def _receipt() -> str:
    raw = secrets.token_hex(6).upper()
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def seal(*parts: Any) -> str:
    """HMAC-SHA256 of a vote row's fields with the SECRET_KEY: raw edits of the row no longer match."""
    message = "|".join(str(p) for p in parts).encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def vote_seal(vote: Vote) -> str:
    return seal(
        "vote", vote.ballot_id, vote.state_id, vote.choice, vote.cast_by_id, vote.cast_at.isoformat(), vote.receipt
    )


def secret_seal(choice: SecretChoice) -> str:
    return seal("secret", choice.id, choice.ballot_id, choice.choice, choice.receipt)


def elections_module() -> Any:
    """governance.elections, which builds on this module: a round's cast, close and publication are
    asked here (views, admin actions, the sweeper) and handled there."""
    from . import elections

    return elections


# --- delegations -------------------------------------------------------------------------------


def appoint_delegate(
    *, actor: Any, state: MemberState, user: Any, role: str, start: dt.date, end: dt.date | None = None
) -> Appointment:
    """Appoint ``user`` as ``state``'s delegate in ``role`` for a term; the role (and the second factor it
    needs) follows from this record (governance/roles.py)."""
    if overlapping_appointments(state=state, role=role, start=start, end=end).exists():
        raise GovernanceError(
            _("%(state)s already has a %(role)s whose term overlaps this one; end it first.")
            % {"state": state.display_name, "role": Appointment.Role(role).label},
            code="overlap",
        )
    try:
        with transaction.atomic(), audit_context(actor=actor, reason="appoint delegate"):
            appointment = Appointment.objects.create(state=state, user=user, role=role, start=start, end=end)
    except IntegrityError as exc:  # a concurrent appointment won the race: the constraint holds
        raise GovernanceError(
            _("Another appointment for this state and role overlaps this term."), code="overlap"
        ) from exc
    return appointment


def end_appointment(*, actor: Any, appointment: Appointment, end: dt.date, reason: str = "") -> Appointment:
    """Close a delegate's term on ``end`` (exclusive). An ended term is not reopened (appoint again)."""
    if end <= appointment.start:
        raise GovernanceError(_("A term must end after it starts."), code="invalid", field="end")
    with transaction.atomic(), audit_context(actor=actor, reason="end appointment", justification=reason):
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if locked.end is not None and locked.end < end:
            raise GovernanceError(
                _("This term already ended on %(end)s; an ended term is not extended, appoint again instead.")
                % {"end": locked.end},
                code="ended",
                field="end",
            )
        locked.end = appointment.end = end
        locked.save(update_fields=["end"])
    return appointment


def check_adviser_term(*, state: MemberState, user: Any, start: dt.date, end: dt.date | None) -> None:
    """Refuse an adviser's term that ends before it starts or overlaps their term for the same state."""
    if end is not None and end <= start:
        raise GovernanceError(_("A term must end after it starts."), code="invalid", field="end")
    terms = Adviser.objects.filter(state=state, user=user).filter(Q(end__isnull=True) | Q(end__gt=start))
    if (terms if end is None else terms.filter(start__lt=end)).exists():
        raise GovernanceError(
            _("%(user)s already advises %(state)s during that term.") % {"user": user, "state": state.name},
            code="overlap",
        )


def appoint_adviser(
    *, actor: Any, state: MemberState, user: Any, start: dt.date, end: dt.date | None = None
) -> Adviser:
    """Attach ``user`` to ``state``'s delegation as an adviser for a term (sees what its delegates see,
    never votes; the role, and the second factor it needs, follow from this record)."""
    check_adviser_term(state=state, user=user, start=start, end=end)
    with transaction.atomic(), audit_context(actor=actor, reason="appoint adviser"):
        return Adviser.objects.create(state=state, user=user, start=start, end=end)


def end_adviser(*, actor: Any, adviser: Adviser, end: dt.date, reason: str = "") -> Adviser:
    """Close an adviser's term on ``end`` (exclusive). An ended term is not reopened (appoint again)."""
    if end <= adviser.start:
        raise GovernanceError(_("A term must end after it starts."), code="invalid", field="end")
    with transaction.atomic(), audit_context(actor=actor, reason="end adviser", justification=reason):
        locked = Adviser.objects.select_for_update().get(pk=adviser.pk)
        if locked.end is not None and locked.end < end:
            raise GovernanceError(
                _("This term already ended on %(end)s; an ended term is not extended, appoint again instead.")
                % {"end": locked.end},
                code="ended",
                field="end",
            )
        locked.end = adviser.end = end
        locked.save(update_fields=["end"])
    return adviser


def check_attendance(*, session: Session, state: MemberState | None = None, member: Any = None) -> None:
    """Refuse attendance the rules do not allow: closed sessions are for member states only; a
    committee ad personam records its members in person, other bodies record states."""
    body = session.council
    if body.kind == Council.Kind.AD_PERSONAM:
        if member is None or not serving_memberships(member).filter(body=body).exists():
            raise GovernanceError(
                _("Only a serving member of %(body)s can be checked in to its session.") % {"body": body.name},
                code="not_member",
                field="member",
            )
        return
    if state is None:
        raise GovernanceError(_("Choose the state to check in."), code="required", field="state")
    if session.closed and not state.may_attend_closed_sessions:
        raise GovernanceError(
            _("Closed sessions are for member states only; %(state)s is not a member state (%(status)s).")
            % {"state": state.display_name, "status": state.get_status_display()},
            code="closed_session",
            field="state",
        )


def check_in(
    *, user: Any, session: Session, state: MemberState | None = None, member: Any = None, actor: Any = None
) -> Attendance:
    """Register a presence at a session: a delegate (or a committee's representative) for their own
    state, a member ad personam in person, or the secretariat for any of them."""
    body = session.council
    if state is None and member is None:
        seat = voting_seat(user, body, fresh=True)
        if seat is None:
            if body.kind == Council.Kind.COUNCIL:
                raise GovernanceError(_("Only a serving delegate can check in a delegation."), code="not_delegate")
            raise GovernanceError(
                _("Only a serving member of %(body)s can check in to its session.") % {"body": body.name},
                code="not_member",
            )
        state = seat.state
        member = user if seat.member_id else None
    check_attendance(session=session, state=state, member=member)
    who: dict[str, Any] = {"member": member} if body.kind == Council.Kind.AD_PERSONAM else {"state": state}
    with transaction.atomic(), audit_context(actor=actor or user, reason="check in"):
        # Under the session's row lock: a session closed meanwhile (configuration.set_session_closed,
        # which takes the same lock) is seen here, and refuses an associate or an observer.
        locked = Session.objects.select_for_update().get(pk=session.pk)
        if locked.closed != session.closed:
            check_attendance(session=locked, state=state, member=member)
        attendance, _created = Attendance.objects.get_or_create(
            session=session, **who, defaults={"checked_in_by": actor or user}
        )
    return attendance


# --- motions -----------------------------------------------------------------------------------


def check_withdrawable(motion: Motion) -> None:
    """Refuse withdrawing a motion that is decided or whose ballot has opened."""
    if (
        motion.status not in (Motion.Status.DRAFT, Motion.Status.TABLED)
        or motion.ballots.exclude(status=Ballot.Status.DRAFT).exists()
    ):
        raise GovernanceError(
            _("A motion can be withdrawn only before its ballot opens."), code="status", field="reason"
        )


def withdraw_motion(*, actor: Any, motion_id: int, reason: str, now: dt.datetime | None = None) -> Motion:
    """Withdraw a motion before its ballot opens; the reason is kept and shown on the motion."""
    reason = (reason or "").strip()
    if not reason:
        raise GovernanceError(_("Say why the motion is withdrawn."), code="reason", field="reason")
    with transaction.atomic(), audit_context(actor=actor, reason="withdraw motion"):
        motion = Motion.objects.select_for_update().get(pk=motion_id)
        if motion.status == Motion.Status.WITHDRAWN:
            return motion
        check_withdrawable(motion)
        motion.status = Motion.Status.WITHDRAWN
        motion.withdrawal_reason = reason
        motion.withdrawn_at = now or timezone.now()
        motion.save(update_fields=["status", "withdrawal_reason", "withdrawn_at"])
    return motion


# --- ballots -----------------------------------------------------------------------------------


def _locked(ballot_id: int) -> Ballot:
    return (
        Ballot.objects.select_for_update(of=("self",))
        .select_related("motion__item__session__council")
        .get(pk=ballot_id)
    )


def open_ballot(*, actor: Any, ballot_id: int, now: dt.datetime | None = None) -> Ballot:
    """Open a draft ballot and freeze its electorate (who is entitled, and why anyone is not)."""
    now = now or timezone.now()
    with transaction.atomic(), audit_context(actor=actor, reason="open ballot"):
        ballot = _locked(ballot_id)
        if ballot.status != Ballot.Status.DRAFT:
            if ballot.status == Ballot.Status.OPEN:
                return ballot
            raise GovernanceError(_("Only a draft ballot can be opened."), code="status")
        # The motion's row too: a withdrawal and an opening of its ballot never both succeed.
        motion = (
            Motion.objects.select_for_update(of=("self",))
            .select_related("item__session__council")
            .get(pk=ballot.motion_id)
        )
        ballot.motion = motion
        if motion.status == Motion.Status.WITHDRAWN:
            raise GovernanceError(_("The motion was withdrawn: its ballot cannot open."), code="withdrawn")
        body = motion.item.session.council
        # A committee's ballots: its own motion kinds, one holder per seat (rules §4, governance/committees.py).
        if not committees.motion_kind_allowed(body_kind=body.kind, motion_kind=motion.kind):
            raise GovernanceError(
                _("%(body)s decides ordinary, budget and two-thirds-of-all motions only; this one is the Council's.")
                % {"body": body.name},
                code="kind",
            )
        if ballot.mode == Ballot.Mode.JOINT and not committees.joint_mode_allowed(body_kind=body.kind):
            raise GovernanceError(
                _("A committee's seats have one holder each: its ballots use the 'either delegate' mode."),
                code="mode",
            )
        if motion.kind == Motion.Kind.AMENDMENT:
            raise GovernanceError(
                _("A convention amendment is decided by ratification, not by a ballot."), code="amendment"
            )
        if motion.kind == Motion.Kind.ADMISSION:
            # The one circulation record is the state's membership request (governance/membership.py).
            request = MembershipRequest.objects.filter(motion=motion).only("circulated_on").first()
            if request is None:
                raise GovernanceError(
                    _(
                        "Admission: this motion was not tabled from a state's membership request, where the "
                        "circulation is recorded; table it from the request instead."
                    ),
                    code="notice",
                )
            ok, reason = tally.admission_may_open(circulated_on=request.circulated_on, opens_on=timezone.localdate(now))
            if not ok:
                raise GovernanceError(reason, code="notice")
        today = timezone.localdate(now)
        entries = electorate_for(ballot, on=now)  # art. V.8 on the accounts as of this moment
        quorum = quorum_of(ballot, entries)
        # Rules §1: the quorum counts who was present when the ballot opened, so it is checked here.
        if quorum["required"] and not quorum["met"]:
            raise GovernanceError(quorum["line"], code="no_quorum")
        ElectorateEntry.objects.bulk_create(entries)  # in electorate_for's order, by name: the register's
        ballot.all_count = sum(1 for e in entries if e.counts_in_all)
        ballot.entitled_count = quorum["entitled"]
        ballot.present_count = quorum["present"]
        ballot.voted_count = 0
        ballot.status = Ballot.Status.OPEN
        ballot.opened_at = now
        ballot.save()
        if motion.status == Motion.Status.DRAFT:
            motion.status = Motion.Status.TABLED
            motion.save(update_fields=["status"])
        entitled = [e for e in entries if e.reason == ElectorateEntry.Reason.ENTITLED]
        notify(
            kind="governance.ballot_opened",
            recipients=electors_of(
                body,
                state_ids=[e.state_id for e in entitled if e.state_id],
                member_ids=[e.member_id for e in entitled if e.member_id],
                on=today,
            ),
            dedupe_key=f"governance.ballot_opened:{ballot.pk}",
            context={"motion_title": motion.title, "closes_at": ballot.closes_at},
            url=reverse("governance:ballot", args=[ballot.pk]),
        )
    return ballot


class _Casting(NamedTuple):
    """What casting reads of a ballot: the ballot (status, close, mode, secrecy), its body (id, kind
    and name; the other fields deferred) and whether it is a round of an election."""

    ballot: Ballot
    body: Council
    is_election: bool


_CASTING_QUERY = (
    "SELECT b.id, b.status, b.closes_at, b.mode, b.secrecy,"
    " c.id AS body_id, c.kind AS body_kind, c.name AS body_name,"
    " EXISTS (SELECT 1 FROM governance_electionround r WHERE r.ballot_id = b.id) AS is_election"
    " FROM governance_ballot b"
    " JOIN governance_motion m ON m.id = b.motion_id"
    " JOIN governance_agendaitem i ON i.id = m.item_id"
    " JOIN governance_session s ON s.id = i.session_id"
    " JOIN governance_council c ON c.id = s.council_id"
    " WHERE b.id = %s"
)


def _ballot_to_cast(ballot_id: int, *, user: Any, on: dt.date, lock: bool) -> _Casting:
    """The ballot as casting needs it, in one query, if ``user`` may see it (``visible_ballots``): to
    them a ballot they may not see does not exist (``Ballot.DoesNotExist``, a 404 in the views).

    The person's appointment is read first, fresh: the visibility rule and the Council seat both stand
    on it, and ``_seat_to_cast`` finds it remembered. With ``lock``, under a SHARE row lock on the
    ballot: any number of casts hold it together, but it conflicts with the exclusive lock of
    open/close/publish, so a close waits for the casts in flight and a cast that waited for a close
    reads the closed row (READ COMMITTED re-reads the locked row)."""
    active_appointment(user, on=on, fresh=True)
    visible, params = visible_ballots(user).filter(pk=ballot_id).values("pk").query.sql_with_params()
    # Django's select_for_update has no FOR SHARE; raw() keeps a model instance with only these fields.
    sql = f"{_CASTING_QUERY} AND b.id IN ({visible}){' FOR SHARE OF b' if lock else ''}"
    rows = list(Ballot.objects.raw(sql, [ballot_id, *params]))
    if not rows:
        raise Ballot.DoesNotExist
    row: Any = rows[0]
    # from_db takes the loaded values in the model's field order (id, name, kind); the rest is deferred.
    body = Council.from_db("default", ["id", "name", "kind"], [row.body_id, row.body_name, row.body_kind])
    return _Casting(row, body, row.is_election)


def _already_voted(entry: ElectorateEntry, seat: Seat) -> GovernanceError:
    if seat.member_id is not None:
        return GovernanceError(_("You have already voted in this ballot. A vote is final."), code="already_voted")
    return GovernanceError(
        _("%(state)s has already voted: cast by %(who)s at %(when)s. A state's vote is final.")
        % {
            "state": seat.label,
            "who": entry.voted_by or _("a delegate"),
            "when": timezone.localtime(entry.voted_at).strftime("%Y-%m-%d %H:%M") if entry.voted_at else "",
        },
        code="already_voted",
    )


def _seat_to_cast(ballot: Ballot, body: Council, user: Any, now: dt.datetime) -> Seat:
    """The first questions of every step of casting: is the ballot open, and does ``user`` hold a seat
    in the ballot's body (a Council delegate, a committee member)."""
    if ballot.status != Ballot.Status.OPEN or (ballot.closes_at and ballot.closes_at <= now):
        raise GovernanceError(_("This ballot is not open for voting."), code="not_open")
    seat = voting_seat(user, body, on=timezone.localdate(now))  # the appointment as _ballot_to_cast read it
    if seat is None:
        if body.kind != Council.Kind.COUNCIL:
            raise GovernanceError(
                _("Only a serving member of %(body)s can vote in its ballots.") % {"body": body.name},
                code="not_member",
            )
        raise GovernanceError(
            _("Only a serving delegate of a member state can vote; advisers and staff cannot."),
            code="not_delegate",
        )
    return seat


def _entitled_row(ballot: Ballot, seat: Seat, *, lock: bool = False) -> ElectorateEntry:
    """The seat's register row (their state's, or theirs in person) in the electorate frozen at
    opening, if it gives the right to vote; otherwise the refusal says why."""
    # order_by(): the default ordering joins the (nullable) state, and FOR UPDATE refuses outer joins.
    # Locked, the state's own register row is the per-state lock (joint mode, election rounds): both
    # delegates of a state (and their retries) queue here, other states do not. No join in the locking
    # query, so the row re-read after waiting is the committed one. Unlocked, it is read with who
    # voted, named in the refusal of a second vote.
    entries = ElectorateEntry.objects.order_by()
    entries = entries.select_for_update() if lock else entries.select_related("voted_by")
    entry = entries.filter(ballot_id=ballot.pk, **seat.entry_filter()).first()
    if entry is None:
        if seat.member_id is not None:
            raise GovernanceError(
                _("You were not a member when this ballot opened: its electorate was frozen then."),
                code="not_in_electorate",
            )
        raise GovernanceError(_("Your state is not in this ballot's electorate."), code="not_in_electorate")
    if entry.reason != ElectorateEntry.Reason.ENTITLED:
        raise GovernanceError(
            _("%(state)s cannot vote in this ballot: %(reason)s.")
            % {"state": seat.label, "reason": entry.get_reason_display()},
            code=entry.reason,
        )
    return entry


def _unmarked_because(ballot: Ballot, seat: Seat) -> GovernanceError:
    """Why the seat's register row was not marked (read after the attempt): it gives no vote, or the
    vote was cast."""
    try:
        entry = _entitled_row(ballot, seat)
    except GovernanceError as refusal:
        return refusal
    return _already_voted(entry, seat)


def check_may_cast(*, ballot_id: int, user: Any, now: dt.datetime | None = None) -> None:
    """Refuse, before the confirmation step, anyone the cast itself would refuse."""
    now = now or timezone.now()
    ballot, body, _ = _ballot_to_cast(ballot_id, user=user, on=timezone.localdate(now), lock=False)
    seat = _seat_to_cast(ballot, body, user, now)
    entry = _entitled_row(ballot, seat)
    if ballot.mode == Ballot.Mode.EITHER and entry.voted_at is not None:
        raise _already_voted(entry, seat)


def cast_vote(*, ballot_id: int, user: Any, choice: str, now: dt.datetime | None = None) -> CastReceipt:
    """Record ``user``'s vote for their state (either mode: final; joint mode: their key, revisable)."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            ballot, body, is_election = _ballot_to_cast(ballot_id, user=user, on=timezone.localdate(now), lock=True)
            if is_election:  # a round of an election: a candidate, not yes/no
                return elections_module().cast_in_round(ballot, body, user=user, choice=choice, now=now)
            if choice not in Choice.values:
                raise GovernanceError(_("Choose yes, no or abstain."), code="choice")
            seat = _seat_to_cast(ballot, body, user, now)
            if ballot.mode == Ballot.Mode.JOINT:
                return _cast_joint_key(ballot, _entitled_row(ballot, seat, lock=True), seat, user, choice, now)
            receipt = _receipt()
            with audit_context(actor=user, reason="cast vote"):
                # The mark is the claim: it marks the seat's register row only if that row is entitled
                # and unmarked, and the row lock it takes is the state's lock. Both delegates of a state
                # (and their retries) queue on that row; the first marks it, the others re-read the
                # committed row, mark nothing, and are told why. A register already marked (by any
                # path) is never overwritten.
                claimed = ElectorateEntry.objects.filter(
                    ballot_id=ballot.pk,
                    reason=ElectorateEntry.Reason.ENTITLED,
                    voted_at__isnull=True,
                    **seat.entry_filter(),
                ).update(voted_at=now, voted_by=user)
                if not claimed:
                    raise _unmarked_because(ballot, seat)
                if ballot.secrecy == Ballot.Secrecy.SECRET:
                    # Only a sealed envelope while the ballot is open: it shares this transaction
                    # (and its xmin) with the register mark, so it must be unreadable.
                    SealedEnvelope.objects.create(
                        ballot_id=ballot.pk, sealed=envelopes.seal(ballot_id=ballot.pk, choice=choice, receipt=receipt)
                    )
                else:
                    vote = Vote(
                        ballot_id=ballot.pk,
                        state_id=seat.state.pk if seat.state is not None else None,
                        choice=choice,
                        cast_by=user,
                        cast_at=now,
                        receipt=receipt,
                    )
                    vote.seal = vote_seal(vote)
                    vote.save(force_insert=True)
    except IntegrityError as exc:
        # Belt and braces behind the register: the one-vote-per-state constraint (named) refuses a
        # second vote even if the register were bypassed. The whole cast is rolled back (the mark
        # with it), and the refusal is read after the rollback, with no savepoint on the way.
        if "vote_once_per_state" not in str(exc) and "vote_once_per_member" not in str(exc):
            raise
        raise _unmarked_because(ballot, seat) from exc
    return CastReceipt(receipt=receipt, state=seat.label, counted=True)


def _cast_joint_key(
    ballot: Ballot, entry: ElectorateEntry, seat: Seat, user: Any, choice: str, now: dt.datetime
) -> CastReceipt:
    """Dual key: store this delegate's key; the state's vote exists only while the keys agree
    (or while the other seat is vacant). Runs under the state's register row lock (see cast_vote),
    so the two delegates of a state never interleave here."""
    if entry.state_id is None:  # joint mode is refused at opening for committees (members vote in person)
        raise GovernanceError(_("Joint mode needs a state's two delegates."), code="mode")
    with audit_context(actor=user, reason="submit joint key"):
        key = JointKey.objects.filter(ballot_id=ballot.pk, state_id=entry.state_id, role=seat.role).first()
        if key is None:
            key = JointKey(ballot_id=ballot.pk, state_id=entry.state_id, role=seat.role, receipt=_receipt())
        key.delegate, key.choice, key.submitted_at = user, choice, now
        key.save()
        other_role = (
            Appointment.Role.POLITICAL if seat.role == Appointment.Role.SCIENTIFIC else Appointment.Role.SCIENTIFIC
        )
        other_seat_filled = Appointment.objects.filter(
            serving_on(timezone.localdate(now)), state_id=entry.state_id, role=other_role
        ).exists()
        other = JointKey.objects.filter(ballot_id=ballot.pk, state_id=entry.state_id, role=other_role).first()
        agreed = choice if not other_seat_filled else (choice if other and other.choice == choice else None)
        existing = Vote.objects.filter(ballot_id=ballot.pk, state_id=entry.state_id).first()
        if existing is not None:
            existing.delete()
        if agreed is not None:
            vote = Vote(
                ballot_id=ballot.pk,
                state_id=entry.state_id,
                choice=agreed,
                cast_by=user,
                cast_at=now,
                receipt=_receipt(),
            )
            vote.seal = vote_seal(vote)
            vote.save(force_insert=True)
        ElectorateEntry.objects.filter(pk=entry.pk).update(
            voted_at=now if agreed else None, voted_by=user if agreed else None
        )
    return CastReceipt(receipt=key.receipt, state=seat.label, counted=agreed is not None)


def _counts(ballot: Ballot) -> dict[str, int]:
    source = SecretChoice.objects if ballot.secrecy == Ballot.Secrecy.SECRET else Vote.objects
    rows = source.filter(ballot=ballot).aggregate(
        yes=Count("pk", filter=Q(choice=Choice.YES)),
        no=Count("pk", filter=Q(choice=Choice.NO)),
        abstain=Count("pk", filter=Q(choice=Choice.ABSTAIN)),
    )
    return {k: int(v or 0) for k, v in rows.items()}


def compute_result(ballot: Ballot) -> tally.Result:
    """Run the tally engine on a ballot's stored votes and frozen electorate."""
    counts = _counts(ballot)
    council = ballot.motion.item.session.council
    weighted = weighted_rule_applies(ballot)
    weights: dict[str, Any] = {}
    if weighted:
        # The shares frozen in the electorate at opening (the scale in force then), not today's scale.
        choice = Subquery(Vote.objects.filter(ballot=ballot, state=OuterRef("state")).values("choice")[:1])
        shares = (
            ElectorateEntry.objects.filter(ballot=ballot)
            .annotate(choice=choice)
            .aggregate(
                all=Sum("share", filter=Q(counts_in_all=True)),
                yes=Sum("share", filter=Q(choice=Choice.YES)),
                no=Sum("share", filter=Q(choice=Choice.NO)),
            )
        )
        weights = {
            "weights_all": shares["all"] or 0,
            "weights_yes": shares["yes"] or 0,
            "weights_no": shares["no"] or 0,
        }
    electorate = tally.Electorate(
        all_states=ballot.all_count,
        entitled=ballot.entitled_count,
        present=ballot.present_count,
        quorum_required=council.quorum_required,
        **weights,
    )
    return committees.tally_body(
        body_kind=council.kind, kind=ballot.motion.kind, electorate=electorate, weighted=weighted, **counts
    )


def _publish_secret_choices(ballot: Ballot) -> None:
    """Open a secret ballot's envelopes and write its choices once, in the order of their random
    receipts, then delete the envelopes (governance/envelopes.py). Runs in the close's transaction
    under the ballot's exclusive lock, so no cast is in flight."""
    opened = []
    for envelope in SealedEnvelope.objects.filter(ballot=ballot):
        try:
            opened.append(envelopes.open_envelope(ballot_id=ballot.pk, sealed=envelope.sealed))
        except envelopes.EnvelopeTampered as exc:
            raise GovernanceError(
                _("A sealed vote of this ballot was altered in the database; the ballot cannot be closed."),
                code="tampered",
            ) from exc
    rows = []
    for item in sorted(opened, key=lambda o: o.receipt):
        secret = SecretChoice(ballot_id=ballot.pk, choice=item.choice, receipt=item.receipt)
        secret.seal = secret_seal(secret)
        rows.append(secret)
    SecretChoice.objects.bulk_create(rows)
    SealedEnvelope.objects.filter(ballot=ballot).delete()


def close_ballot(*, actor: Any, ballot_id: int, now: dt.datetime | None = None) -> Ballot:
    """Close an open ballot and store its result; closing an already closed ballot returns the same result."""
    if elections_module().is_election_ballot(ballot_id):  # counted per candidate, maybe a second round
        return elections_module().close_round(actor=actor, ballot_id=ballot_id, now=now)
    now = now or timezone.now()
    with transaction.atomic(), audit_context(actor=actor, reason="close ballot"):
        ballot = _locked(ballot_id)
        if ballot.status in (Ballot.Status.CLOSED, Ballot.Status.PUBLISHED):
            return ballot
        if ballot.status != Ballot.Status.OPEN:
            raise GovernanceError(_("Only an open ballot can be closed."), code="status")
        if ballot.secrecy == Ballot.Secrecy.SECRET:
            _publish_secret_choices(ballot)
        result = compute_result(ballot)
        ballot.status = Ballot.Status.CLOSED
        ballot.closed_at = now
        ballot.outcome = result.outcome.value
        ballot.yes, ballot.no, ballot.abstain = result.yes, result.no, result.abstain
        ballot.threshold = result.threshold
        ballot.explanation = result.explanation
        ballot.explanation_data = sentences.data(result.explanation)
        # The final turnout, frozen with the result (casts no longer maintain a live counter on this row).
        ballot.voted_count = ElectorateEntry.objects.filter(ballot=ballot, voted_at__isnull=False).count()
        ballot.save()
    return ballot


def _next_resolution_number(year: int) -> str:
    """Take the year's next resolution number: the year's counter row is locked until this
    transaction ends, so two results published at once queue here and get distinct numbers (the
    unique constraint on the number is the guarantee behind it)."""
    ResolutionCounter.objects.bulk_create([ResolutionCounter(year=year)], ignore_conflicts=True)
    counter = ResolutionCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"R/{year}/{counter.last:03d}"


def publish_result(*, actor: Any, ballot_id: int, now: dt.datetime | None = None) -> Ballot:
    """Publish a closed ballot's result; the motion is adopted or rejected and delegates are told."""
    if elections_module().is_election_ballot(ballot_id):
        return elections_module().publish_round(actor=actor, ballot_id=ballot_id, now=now)
    now = now or timezone.now()
    with transaction.atomic(), audit_context(actor=actor, reason="publish result"):
        ballot = _locked(ballot_id)
        if ballot.status == Ballot.Status.PUBLISHED:
            return ballot
        if ballot.status != Ballot.Status.CLOSED:
            raise GovernanceError(_("Close the ballot before publishing its result."), code="status")
        ballot.status = Ballot.Status.PUBLISHED
        ballot.published_at = now
        ballot.save(update_fields=["status", "published_at"])
        motion = ballot.motion
        if ballot.outcome != Ballot.Outcome.NO_QUORUM:
            motion.status = (
                Motion.Status.ADOPTED if ballot.outcome == Ballot.Outcome.ADOPTED else Motion.Status.REJECTED
            )
            council = motion.item.session.council
            # Resolutions are the Council's: a committee's adopted motion is a recommendation, unnumbered.
            if (
                motion.status == Motion.Status.ADOPTED
                and not motion.resolution_number
                and council.kind == Council.Kind.COUNCIL
            ):
                motion.resolution_number = _next_resolution_number(timezone.localdate(now).year)
            motion.save(update_fields=["status", "resolution_number"])
            if motion.status == Motion.Status.ADOPTED:
                plan_services.motion_adopted(motion=motion, now=now)  # a budget motion puts its plan in force
        electorate = ElectorateEntry.objects.filter(ballot=ballot)
        state_ids = list(electorate.filter(state__status=MemberState.Status.MEMBER).values_list("state_id", flat=True))
        member_ids = list(electorate.filter(member__isnull=False).values_list("member_id", flat=True))
        notify(
            kind="governance.result_published",
            recipients=electors_of(
                motion.item.session.council, state_ids=state_ids, member_ids=member_ids, on=timezone.localdate(now)
            ),
            dedupe_key=f"governance.result_published:{ballot.pk}",
            context={
                "motion_title": motion.title,
                "outcome": ballot.get_outcome_display(),
                "explanation": ballot.explanation_data or ballot.explanation,
            },
            url=reverse("governance:ballot", args=[ballot.pk]),
        )
    return ballot


# The chair's and secretariat's transitions by name, for the views and the admin actions.
BALLOT_TRANSITIONS = {"open": open_ballot, "close": close_ballot, "publish": publish_result}


def send_closing_reminder(*, ballot_id: int, now: dt.datetime | None = None) -> int:
    """Tell delegations that have not voted that the ballot closes within the hour (once per ballot)."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = Ballot.objects.filter(
            pk=ballot_id,
            status=Ballot.Status.OPEN,
            reminder_sent_at__isnull=True,
            closes_at__lte=now + dt.timedelta(hours=1),
        ).update(reminder_sent_at=now)
        if not claimed:
            return 0
        ballot = Ballot.objects.select_related("motion__item__session__council").get(pk=ballot_id)
        waiting = list(
            ElectorateEntry.objects.filter(
                ballot=ballot, reason=ElectorateEntry.Reason.ENTITLED, voted_at__isnull=True
            ).values_list("state_id", "member_id")
        )
        recipients = electors_of(
            ballot.motion.item.session.council,
            state_ids=[s for s, _m in waiting if s],
            member_ids=[m for _s, m in waiting if m],
            on=timezone.localdate(now),
        )
        notify(
            kind="governance.ballot_closing",
            recipients=recipients,
            dedupe_key=f"governance.ballot_closing:{ballot.pk}",
            context={"motion_title": ballot.motion.title, "closes_at": ballot.closes_at},
            url=reverse("governance:ballot", args=[ballot.pk]),
        )
    return len(recipients)


def check_ratification(*, motion: Motion, state: MemberState) -> None:
    """Refuse a ratification the rules do not allow: amendments only, by member states only."""
    if motion.kind != Motion.Kind.AMENDMENT:
        raise GovernanceError(_("Only convention amendments are ratified."), code="kind")
    if state.status != MemberState.Status.MEMBER:
        raise GovernanceError(
            _("Only member states ratify amendments; %(state)s is not a member state (%(status)s).")
            % {"state": state.display_name, "status": state.get_status_display()},
            code="not_member",
            field="state",
        )


def record_ratification(
    *, actor: Any, motion: Motion, state: MemberState, deposited_on: dt.date, reference: str = ""
) -> tally.AmendmentStatus:
    """Register a state's written acceptance of an amendment; it enters into force when all have ratified."""
    check_ratification(motion=motion, state=state)
    with transaction.atomic(), audit_context(actor=actor, reason="record ratification"):
        motion = Motion.objects.select_for_update().get(pk=motion.pk)
        Ratification.objects.get_or_create(
            motion=motion, state=state, defaults={"deposited_on": deposited_on, "reference": reference}
        )
        status = amendment_status(motion)
        if status.in_force and motion.status != Motion.Status.IN_FORCE:
            motion.status = Motion.Status.IN_FORCE
            motion.save(update_fields=["status"])
    return status


def amendment_status(motion: Motion) -> tally.AmendmentStatus:
    members = dict(MemberState.objects.filter(status=MemberState.Status.MEMBER).values_list("iso2", "name"))
    ratified = set(Ratification.objects.filter(motion=motion).values_list("state__iso2", flat=True))
    return tally.amendment_status(member_states=members, ratified=ratified)


# --- integrity (T4) ----------------------------------------------------------------------------


@dataclass(frozen=True)
class IntegrityReport:
    ok: bool
    problems: list[str]


def verify_ballot(*, ballot_id: int) -> IntegrityReport:
    """Check every stored vote against its seal, the register against the choices, and the stored result."""
    ballot = Ballot.objects.select_related("motion__item__session__council").get(pk=ballot_id)
    problems: list[str] = []
    if ballot.secrecy == Ballot.Secrecy.SECRET and ballot.status == Ballot.Status.OPEN:
        sealed = list(SealedEnvelope.objects.filter(ballot=ballot).values_list("sealed", flat=True))
        for envelope in sealed:
            try:
                envelopes.open_envelope(ballot_id=ballot.pk, sealed=envelope)
            except envelopes.EnvelopeTampered:
                problems.append(_("A sealed vote was altered."))
        stored = len(sealed)
    elif ballot.secrecy == Ballot.Secrecy.SECRET:
        choices = list(SecretChoice.objects.filter(ballot=ballot))
        for c in choices:
            if not hmac.compare_digest(c.seal, secret_seal(c)):
                problems.append(_("Secret choice with receipt %(r)s was altered.") % {"r": c.receipt})
        stored = len(choices)
    else:
        votes = list(Vote.objects.filter(ballot=ballot).select_related("state"))
        for v in votes:
            if not hmac.compare_digest(v.seal, vote_seal(v)):
                problems.append(
                    _("The vote of %(state)s (receipt %(r)s) was altered.") % {"state": v.state, "r": v.receipt}
                )
        stored = len(votes)
    registered = ElectorateEntry.objects.filter(ballot=ballot, voted_at__isnull=False).count()
    frozen = ballot.status in (Ballot.Status.CLOSED, Ballot.Status.PUBLISHED)
    if stored != registered or (frozen and stored != ballot.voted_count):
        problems.append(
            _("%(stored)d votes stored but %(registered)d states registered as having voted.")
            % {"stored": stored, "registered": registered}
        )
    if frozen:
        counts = _counts(ballot)
        if (counts["yes"], counts["no"], counts["abstain"]) != (ballot.yes, ballot.no, ballot.abstain):
            problems.append(_("The stored result no longer matches the stored votes."))
    return IntegrityReport(ok=not problems, problems=problems)


# --- the sweeper -------------------------------------------------------------------------------


def due_ballots(*, now: dt.datetime) -> dict[str, list[int]]:
    """Ballot ids the database says are due to open, to close, or to be reminded about."""
    base = Ballot.objects.order_by("pk")
    return {
        "open": list(base.filter(status=Ballot.Status.DRAFT, opens_at__lte=now).values_list("pk", flat=True)),
        "close": list(base.filter(status=Ballot.Status.OPEN, closes_at__lte=now).values_list("pk", flat=True)),
        "remind": list(
            base.filter(
                status=Ballot.Status.OPEN,
                reminder_sent_at__isnull=True,
                closes_at__gt=now,
                closes_at__lte=now + dt.timedelta(hours=1),
            ).values_list("pk", flat=True)
        ),
    }
