"""Membership (rules.md §4 "Bodies, elections and membership", §1 arrears): accession and association
from the request to the deposit of the instrument, the Council's dated voting authorisations, and the
reads of the public membership and ratification registers.

Every write here is one transaction with its audit event, like ``governance.services``; ballots on
the motions this module tables are opened, cast, closed and published by those services as usual.

Decisions (the texts are silent; shown to users by the sentences below):

* An accession request makes the state a *candidate* at once (no vote); an association request keeps
  the state's status until the Council grants it. A rejected or withdrawn request gives the state its
  status from before the request back.
* A request is circulated on a date; the admission ballot may open 3 calendar months later at the
  earliest (``tally.admission_may_open``): the page shows that date and the days left.
* The state's status changes on the date its instrument (accession) or signed agreement
  (association) is deposited, which is after the Council adopted the motion and not in the future.
  From then on it is in every electorate frozen at an opening, and in contribution scales from the
  next financial year (``MemberState.status_since``, read by ``finance.services``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone

from cernai.core.audit import audit_context
from cernai.core.errors import Refusal
from cernai.core.sentences import gettext as _

from . import tally
from .models import AgendaItem, Ballot, MembershipRequest, MemberState, Motion, Ratification, VotingAuthorisation

Kind = MembershipRequest.Kind

MOTION_KIND = {Kind.ACCESSION: Motion.Kind.ADMISSION, Kind.ASSOCIATION: Motion.Kind.TWO_THIRDS_ALL}
NEW_STATUS = {Kind.ACCESSION: MemberState.Status.MEMBER, Kind.ASSOCIATION: MemberState.Status.ASSOCIATE}


# --- reads ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    """Where a request stands, in words, and the 3-month clock for an accession."""

    code: str  # received, circulated, tabled, adopted, rejected, done, closed
    label: str
    earliest_ballot: dt.date | None
    days_left: int | None  # days until the admission ballot may open (0: it may open now)
    clock: str


def stage(request: MembershipRequest, *, today: dt.date | None = None) -> Stage:
    """The stage of ``request`` (its motion preloaded) and, for an accession, the notice clock."""
    today = today or timezone.localdate()
    earliest = days_left = None
    clock = ""
    if request.kind == Kind.ACCESSION and request.circulated_on is not None:
        earliest = tally.add_months(request.circulated_on, tally.ADMISSION_NOTICE_MONTHS)
        days_left = max(0, (earliest - today).days)
        values = {"circulated": request.circulated_on.isoformat(), "earliest": earliest.isoformat(), "days": days_left}
        if days_left:
            clock = (
                _(
                    "Circulated on %(circulated)s: the admission ballot may open on %(earliest)s at the earliest "
                    "(3 months' notice), in %(days)s days."
                )
                % values
            )
        else:
            clock = _("Circulated on %(circulated)s: 3 months' notice given since %(earliest)s.") % values
    motion = request.motion
    if request.closed_on is not None:
        code, label = (
            "closed",
            _("closed on %(date)s: %(reason)s")
            % {
                "date": request.closed_on.isoformat(),
                "reason": request.closing_reason,
            },
        )
    elif request.deposited_on is not None:
        status = NEW_STATUS[Kind(request.kind)].label
        code, label = (
            "done",
            _("%(status)s since %(date)s")
            % {
                "status": status,
                "date": request.deposited_on.isoformat(),
            },
        )
    elif motion is not None and motion.status == Motion.Status.ADOPTED:
        code = "adopted"
        label = (
            _("admitted by the Council; becomes a member when its instrument of accession is deposited")
            if request.kind == Kind.ACCESSION
            else _("granted by the Council; associate member when the association agreement is deposited")
        )
    elif motion is not None and motion.status == Motion.Status.REJECTED:
        code, label = "rejected", _("rejected by the Council")
    elif motion is not None:
        code, label = "tabled", _("before the Council: %(motion)s") % {"motion": motion.title}
    elif request.circulated_on is not None:
        code, label = "circulated", _("circulated to the member states")
    else:
        code, label = "received", _("received, not yet circulated")
    return Stage(code=code, label=label, earliest_ballot=earliest, days_left=days_left, clock=clock)


def public_requests() -> list[tuple[MembershipRequest, Stage]]:
    """Every membership request with its stage, newest first, in one query."""
    today = timezone.localdate()
    requests = MembershipRequest.objects.select_related("state", "motion").order_by("-received_on", "-id")
    return [(r, stage(r, today=today)) for r in requests]


@dataclass(frozen=True)
class RegisterEntry:
    motion: Motion
    status: tally.AmendmentStatus
    ratifications: list[Ratification]


def ratification_register() -> list[RegisterEntry]:
    """The public register of ratifications: every convention amendment (but withdrawn ones), who
    has ratified and when, and whether it is in force, in three queries whatever the numbers."""
    members = dict(MemberState.objects.filter(status=MemberState.Status.MEMBER).values_list("iso2", "name"))
    amendments = (
        Motion.objects.filter(kind=Motion.Kind.AMENDMENT)
        .exclude(status=Motion.Status.WITHDRAWN)
        .prefetch_related(
            Prefetch(
                "ratifications",
                queryset=Ratification.objects.select_related("state").order_by("deposited_on", "state__name"),
            )
        )
        .order_by("-id")
    )
    register = []
    for motion in amendments:
        ratifications = list(motion.ratifications.all())
        status = tally.amendment_status(member_states=members, ratified={r.state.iso2 for r in ratifications})
        if motion.status == Motion.Status.IN_FORCE and not status.in_force:
            # In force when it entered into force; a later member's missing ratification does not undo it.
            status = tally.AmendmentStatus(
                True,
                status.ratified,
                status.required,
                (),
                _("Convention amendment: in force since every member state of the time ratified it."),
            )
        register.append(RegisterEntry(motion=motion, status=status, ratifications=ratifications))
    return register


def request_for_motion(motion: Motion) -> MembershipRequest | None:
    return MembershipRequest.objects.select_related("state").filter(motion=motion).first()


# --- writes --------------------------------------------------------------------------------------


def _not_future(day: dt.date, *, field: str) -> None:
    if day > timezone.localdate():
        raise Refusal(_("This date is in the future."), code="future", field=field)


def receive_request(*, actor: Any, state_id: int, kind: str, received_on: dt.date) -> MembershipRequest:
    """Record a state's request to accede or to associate; an accession makes it a candidate."""
    if kind not in Kind.values:
        raise Refusal(_("Choose accession or associate membership."), code="kind", field="kind")
    _not_future(received_on, field="received_on")
    with transaction.atomic(), audit_context(actor=actor, reason="receive membership request"):
        state = MemberState.objects.select_for_update().get(pk=state_id)
        if state.status == MemberState.Status.MEMBER:
            raise Refusal(_("%(state)s is already a member state.") % {"state": state.display_name}, field="state")
        if kind == Kind.ASSOCIATION and state.status == MemberState.Status.ASSOCIATE:
            raise Refusal(_("%(state)s is already an associate member.") % {"state": state.display_name}, field="state")
        if MembershipRequest.objects.filter(state=state, deposited_on__isnull=True, closed_on__isnull=True).exists():
            raise Refusal(
                _("%(state)s already has a request in progress.") % {"state": state.display_name},
                code="in_progress",
                field="state",
            )
        request = MembershipRequest.objects.create(
            state=state, kind=kind, received_on=received_on, previous_status=state.status
        )
        if kind == Kind.ACCESSION and state.status != MemberState.Status.CANDIDATE:
            state.status = MemberState.Status.CANDIDATE
            state.status_since = received_on
            state.save(update_fields=["status", "status_since"])
    return request


def _locked_request(request_id: int) -> MembershipRequest:
    return (
        MembershipRequest.objects.select_for_update(of=("self",)).select_related("state", "motion").get(pk=request_id)
    )


def _open(request: MembershipRequest) -> None:
    if request.closed_on is not None or request.deposited_on is not None:
        raise Refusal(_("This request is finished."), code="finished")


def circulate_request(*, actor: Any, request_id: int, circulated_on: dt.date) -> MembershipRequest:
    """Record the date the request was circulated to the member states (starts the 3-month notice)."""
    _not_future(circulated_on, field="circulated_on")
    with transaction.atomic(), audit_context(actor=actor, reason="circulate membership request"):
        request = _locked_request(request_id)
        _open(request)
        if request.circulated_on is not None:
            raise Refusal(_("This request is already circulated."), code="circulated", field="circulated_on")
        if circulated_on < request.received_on:
            raise Refusal(
                _("A request is circulated after it is received (%(date)s).")
                % {"date": request.received_on.isoformat()},
                code="before_receipt",
                field="circulated_on",
            )
        request.circulated_on = circulated_on
        request.save(update_fields=["circulated_on"])
    return request


def table_motion(*, actor: Any, request_id: int, item_id: int) -> Motion:
    """Put the request to the Council: a motion naming the candidate on the agenda item, with a draft
    named ballot (admission: unanimity after 3 months' notice; association: two-thirds of all)."""
    with transaction.atomic(), audit_context(actor=actor, reason="table membership motion"):
        request = _locked_request(request_id)
        _open(request)
        if request.motion_id is not None:
            raise Refusal(_("This request is already before the Council."), code="tabled", field="item")
        if request.kind == Kind.ACCESSION and request.circulated_on is None:
            raise Refusal(
                _("Circulate the request first: the admission ballot needs 3 months' notice."),
                code="not_circulated",
                field="item",
            )
        item = AgendaItem.objects.get(pk=item_id)
        values = {"state": request.state.display_name, "received": request.received_on.isoformat()}
        if request.kind == Kind.ACCESSION:
            values["circulated"] = request.circulated_on.isoformat() if request.circulated_on else ""
            title = _("Admission of %(state)s as a member state") % values
            text = (
                _(
                    "The Council admits %(state)s as a member state of the Organisation. Candidate: %(state)s; "
                    "request received on %(received)s and circulated on %(circulated)s. %(state)s becomes a "
                    "member on the date its instrument of accession is deposited."
                )
                % values
            )
        else:
            title = _("Associate membership of %(state)s") % values
            text = (
                _(
                    "The Council grants %(state)s associate membership of the Organisation. Candidate: "
                    "%(state)s; request received on %(received)s. %(state)s becomes an associate member on "
                    "the date the signed association agreement is deposited."
                )
                % values
            )
        motion = Motion.objects.create(
            item=item,
            title=title,
            text=text,
            kind=MOTION_KIND[Kind(request.kind)],
        )  # its ballot's 3 months' notice counts from this request's circulation (open_ballot reads it)
        Ballot.objects.create(motion=motion)
        request.motion = motion
        request.save(update_fields=["motion"])
    return motion


def _adoption_day(motion: Motion) -> dt.date | None:
    ballot = (
        Ballot.objects.filter(motion=motion, outcome=Ballot.Outcome.ADOPTED, status=Ballot.Status.PUBLISHED)
        .order_by("closed_at")
        .first()
    )
    return timezone.localdate(ballot.closed_at) if ballot and ballot.closed_at else None


def deposit_instrument(*, actor: Any, request_id: int, deposited_on: dt.date, reference: str = "") -> MembershipRequest:
    """The instrument of accession (or the association agreement) is deposited: the state is a member
    (or an associate member) from that date, so in every electorate frozen from then on."""
    _not_future(deposited_on, field="deposited_on")
    with transaction.atomic(), audit_context(actor=actor, reason="deposit instrument"):
        request = _locked_request(request_id)
        _open(request)
        motion = request.motion
        if motion is None or motion.status != Motion.Status.ADOPTED:
            raise Refusal(
                _("The Council has not adopted the motion on this request: nothing can be deposited yet."),
                code="not_adopted",
                field="deposited_on",
            )
        adopted = _adoption_day(motion)
        if adopted is not None and deposited_on < adopted:
            raise Refusal(
                _("The instrument is deposited after the Council's decision of %(date)s.")
                % {"date": adopted.isoformat()},
                code="before_decision",
                field="deposited_on",
            )
        state = MemberState.objects.select_for_update().get(pk=request.state_id)
        request.deposited_on = deposited_on
        request.instrument_reference = reference.strip()
        request.save(update_fields=["deposited_on", "instrument_reference"])
        state.status = NEW_STATUS[Kind(request.kind)]
        state.status_since = deposited_on
        state.save(update_fields=["status", "status_since"])
    return request


def close_request(*, actor: Any, request_id: int, reason: str, closed_on: dt.date | None = None) -> MembershipRequest:
    """Close a request the Council rejected or the state withdrew; the state gets its former status back,
    and a motion on it not yet decided is withdrawn with the reason (refused while its ballot is open)."""
    reason = (reason or "").strip()
    if not reason:
        raise Refusal(_("Say why the request is closed."), code="reason", field="closing_reason")
    closed_on = closed_on or timezone.localdate()
    with transaction.atomic(), audit_context(actor=actor, reason="close membership request"):
        request = _locked_request(request_id)
        _open(request)
        if request.motion is not None and request.motion.status == Motion.Status.ADOPTED:
            raise Refusal(
                _("The Council adopted this motion: record the deposit instead."),
                code="adopted",
                field="closing_reason",
            )
        motion = request.motion
        if motion is not None and motion.status in (Motion.Status.DRAFT, Motion.Status.TABLED):
            # Its motion must not stay on the agenda naming a candidate that no longer asks: withdrawn,
            # with the same reason. A ballot already open decides first.
            motion = Motion.objects.select_for_update().get(pk=motion.pk)
            if motion.ballots.exclude(status=Ballot.Status.DRAFT).exists():
                raise Refusal(
                    _("The ballot on %(motion)s has opened: close the request once the Council has decided.")
                    % {"motion": motion.title},
                    code="ballot_open",
                    field="closing_reason",
                )
            motion.status = Motion.Status.WITHDRAWN
            motion.withdrawal_reason = _("Membership request closed: %(reason)s") % {"reason": reason}
            motion.withdrawn_at = timezone.now()
            motion.save(update_fields=["status", "withdrawal_reason", "withdrawn_at"])
        request.closed_on, request.closing_reason = closed_on, reason
        request.save(update_fields=["closed_on", "closing_reason"])
        state = MemberState.objects.select_for_update().get(pk=request.state_id)
        if state.status != request.previous_status:
            state.status = request.previous_status
            state.status_since = closed_on
            state.save(update_fields=["status", "status_since"])
    return request


def check_voting_authorisation(
    *, state: MemberState, decided_on: dt.date | None, valid_from: dt.date | None, valid_until: dt.date | None
) -> None:
    """Refuse an authorisation the rules do not allow (for the admin form's validation too)."""
    if decided_on is not None and decided_on > timezone.localdate():
        raise Refusal(_("The date of the Council decision cannot be in the future."), code="future", field="decided_on")
    if valid_from is not None and valid_until is not None and valid_until < valid_from:
        raise Refusal(_("The period ends before it starts."), code="period", field="valid_until")
    if state.status != MemberState.Status.MEMBER:
        raise Refusal(
            _("Only a member state votes; %(state)s is not one (%(status)s).")
            % {"state": state.display_name, "status": state.get_status_display()},
            code="not_member",
            field="state",
        )


def record_voting_authorisation(
    *,
    actor: Any,
    state_id: int,
    decided_on: dt.date,
    valid_from: dt.date,
    valid_until: dt.date | None = None,
    reference: str = "",
) -> VotingAuthorisation:
    """Record the Council's dated decision letting a state in arrears vote for a period (art. V.8)."""
    reference = (reference or "").strip()
    if not reference:
        raise Refusal(_("Name the Council decision (its reference)."), code="reference", field="reference")
    try:
        with transaction.atomic(), audit_context(actor=actor, reason="record voting authorisation"):
            state = MemberState.objects.get(pk=state_id)
            check_voting_authorisation(
                state=state, decided_on=decided_on, valid_from=valid_from, valid_until=valid_until
            )
            return VotingAuthorisation.objects.create(
                state=state, decided_on=decided_on, valid_from=valid_from, valid_until=valid_until, reference=reference
            )
    except IntegrityError as exc:
        raise Refusal(_("The period ends before it starts."), code="period", field="valid_until") from exc


def authorisation_sentence(authorisation: VotingAuthorisation) -> str:
    values = {
        "reference": authorisation.reference or "—",
        "decided": authorisation.decided_on.isoformat() if authorisation.decided_on else "—",
        "from": authorisation.valid_from.isoformat(),
        "until": authorisation.valid_until.isoformat() if authorisation.valid_until else _("further notice"),
    }
    return (
        _("authorised to vote by the Council decision %(reference)s of %(decided)s (from %(from)s until %(until)s)")
        % values
    )


def entitlement_today(state: MemberState) -> str:
    """A delegation's own standing today, in one sentence: its status, or art. V.8 on its account
    now (with the Council's authorisation if one covers today). Ballots freeze the same sentence."""
    from finance.selectors import arrears_facts

    if state.status != MemberState.Status.MEMBER:
        return _("%(state)s: %(status)s, no vote") % {"state": state.display_name, "status": state.get_status_display()}
    now = timezone.now()
    facts = arrears_facts(state.id, now)
    if not facts.no_vote:
        return facts.explanation
    today = timezone.localdate(now)
    authorisation = (
        VotingAuthorisation.objects.filter(state=state, valid_from__lte=today)
        .exclude(valid_until__lt=today)
        .order_by("valid_from")
        .first()
    )
    if authorisation is None:
        return facts.explanation
    return _("%(arrears)s, but %(authorised)s: votes") % {
        "arrears": facts.explanation,
        "authorised": authorisation_sentence(authorisation),
    }
