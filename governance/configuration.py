"""The settings that carry a rule (rules.md §1 and §4): who participates in a programme (who votes on
its matters), whether a session is closed (who may attend it), and a body's quorum and weighted-rule
settings (how its ballots are counted). Each change is one transaction under the row's lock, audited
with who and why; the admin's service pages are its clients.

Decisions (the texts are silent; shown to the secretariat on the pages that call these):

* A programme's participants are member states or associate members (associates take part in
  programmes but never vote, rules §1); an observer or a candidate is refused. Adding or removing a
  participant does not touch ballots already open: their electorate was frozen when they opened.
  The state's serving delegates are told.
* A session's "closed" flag is fixed once the session has started or its convocation was sent (the
  convocation went to the audience the flag decides); a session cannot be closed while an associate
  member or an observer is recorded as attending it (that attendance would be illegal).
* A body's quorum and weighted-rule settings are read when its ballots are counted: they cannot change
  while one of its ballots is open, and each change says why.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cernai.core.audit import audit_context
from cernai.core.errors import Refusal
from cernai.core.notifications import notify

from .models import Attendance, Ballot, Convocation, Council, MemberState, Programme, Session
from .selectors import delegates_of_states

PARTICIPATING_STATUSES = (MemberState.Status.MEMBER, MemberState.Status.ASSOCIATE)


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise Refusal(_("Say why: the reason is kept in the audit trail."), code="reason", field="reason")
    return reason


# --- programme participants -----------------------------------------------------------------------


def add_participant(*, actor: Any, programme_id: int, state_id: int, reason: str) -> Programme:
    """``state`` takes part in the programme from now on: its delegates vote on the programme's matters
    in ballots opened from now (a member state's; an associate member takes part without a vote)."""
    reason = _reason(reason)
    with transaction.atomic(), audit_context(actor=actor, reason="programme participant added", justification=reason):
        programme = Programme.objects.select_for_update().get(pk=programme_id)
        state = MemberState.objects.get(pk=state_id)
        if state.status not in PARTICIPATING_STATUSES:
            raise Refusal(
                _(
                    "Only member states and associate members take part in programmes; "
                    "%(state)s is not one (%(status)s)."
                )
                % {"state": state.name, "status": state.get_status_display()},
                code="status",
                field="state",
            )
        if programme.participants.filter(pk=state.pk).exists():
            raise Refusal(
                _("%(state)s already takes part in %(programme)s.") % {"state": state.name, "programme": programme},
                code="already",
                field="state",
            )
        programme.participants.add(state)
        _tell_delegates(programme, state, added=True)
    return programme


def remove_participant(*, actor: Any, programme_id: int, state_id: int, reason: str) -> Programme:
    """``state`` no longer takes part in the programme: it has no vote on the programme's matters in
    ballots opened from now (ballots already open keep their frozen electorate)."""
    reason = _reason(reason)
    with transaction.atomic(), audit_context(actor=actor, reason="programme participant removed", justification=reason):
        programme = Programme.objects.select_for_update().get(pk=programme_id)
        state = MemberState.objects.get(pk=state_id)
        if not programme.participants.filter(pk=state.pk).exists():
            raise Refusal(
                _("%(state)s does not take part in %(programme)s.") % {"state": state.name, "programme": programme},
                code="not_participant",
                field="state",
            )
        programme.participants.remove(state)
        _tell_delegates(programme, state, added=False)
    return programme


def _tell_delegates(programme: Programme, state: MemberState, *, added: bool) -> None:
    stamp = timezone.now().strftime("%Y%m%d%H%M%S%f")
    notify(
        kind="governance.programme_participation",
        recipients=delegates_of_states([state.pk]),
        dedupe_key=f"governance.programme_participation:{programme.pk}:{state.pk}:{stamp}",
        context={"programme_name": programme.name, "state_name": state.name, "added": added},
        url=reverse("governance:index"),
    )


# --- a session's "closed" flag ---------------------------------------------------------------------


def check_session_closedness(session: Session, *, closed: bool) -> None:
    """Refuse a change of the flag the rules do not allow (see the module's decisions)."""
    if session.starts_at <= timezone.now():
        raise Refusal(_("The session has started: whether it is closed is fixed."), code="started", field="closed")
    if Convocation.objects.filter(session=session).exists():
        raise Refusal(
            _("The convocation was sent to the audience this setting decides: whether it is closed is fixed."),
            code="convened",
            field="closed",
        )
    if closed:
        attending = Attendance.objects.filter(session=session, state__isnull=False).select_related("state")
        names = sorted(
            a.state.display_name for a in attending if a.state is not None and not a.state.may_attend_closed_sessions
        )
        if names:
            raise Refusal(
                _(
                    "Closed sessions are for member states only, and attendance is recorded for a state that "
                    "is not one: %(states)s. This session cannot be closed."
                )
                % {"states": ", ".join(names)},
                code="outsiders_present",
                field="closed",
            )


def set_session_closed(*, actor: Any, session_id: int, closed: bool, reason: str) -> Session:
    """Make a session closed (member states only) or open to associates and observers, before it starts."""
    reason = _reason(reason)
    with transaction.atomic(), audit_context(actor=actor, reason="session closedness changed", justification=reason):
        session = Session.objects.select_for_update().get(pk=session_id)
        if session.closed == closed:
            raise Refusal(
                _("The session is already closed.") if closed else _("The session is already open."),
                code="unchanged",
                field="closed",
            )
        # check_in takes this row's lock too: an attendance recorded meanwhile is seen here, and a
        # check-in after this commit sees the session closed.
        check_session_closedness(session, closed=closed)
        session.closed = closed
        session.save(update_fields=["closed"])
    return session


# --- a body's voting settings ----------------------------------------------------------------------


def set_voting_rules(*, actor: Any, body_id: int, quorum_required: bool, weighted_rule: str, reason: str) -> Council:
    """Change how a body's ballots are counted: whether a quorum is required, and the optional
    contribution-weighted rule. Refused while one of its ballots is open."""
    reason = _reason(reason)
    if weighted_rule not in Council.WeightedRule.values:
        raise Refusal(_("Choose whether the weighted rule applies."), code="invalid", field="weighted_rule")
    with transaction.atomic(), audit_context(actor=actor, reason="voting rules changed", justification=reason):
        body = Council.objects.select_for_update().get(pk=body_id)
        if (body.quorum_required, body.weighted_rule) == (quorum_required, weighted_rule):
            raise Refusal(_("These are already the body's settings."), code="unchanged", field="quorum_required")
        running = (
            Ballot.objects.filter(motion__item__session__council=body, status=Ballot.Status.OPEN)
            .select_related("motion")
            .order_by("pk")
        )
        titles = [ballot.motion.title for ballot in running[:3]]
        if titles:
            raise Refusal(
                _(
                    "A ballot of %(body)s is open (%(ballots)s): its voting rules cannot change under a running "
                    "ballot. Change them once it is closed."
                )
                % {"body": body.name, "ballots": "; ".join(titles)},
                code="ballot_open",
                field="quorum_required",
            )
        body.quorum_required, body.weighted_rule = quorum_required, weighted_rule
        body.save(update_fields=["quorum_required", "weighted_rule"])
    return body
