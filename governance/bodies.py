"""Every write about bodies (rules §4): committee memberships with their terms, and committees'
recommendations attached to Council motions.

A body is a ``governance.Council`` row (``Body`` is its alias) whose ``kind`` says who sits in it:
the Council (member states' delegations, through Appointment), a committee of members appointed ad
personam (one vote per member), or a committee of one representative per member state (one vote per
state). Committee seats are BodyMembership rows; the Committee members role (and its second factor)
follows from a serving membership (governance/roles.py), as the delegate's role follows from an
appointment. Ballots, casting and the electorate live in governance/services.py and selectors.py;
the committees' rules in governance/committees.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from cernai.accounts import roles
from cernai.core.audit import audit_context

from .models import Ballot, BodyMembership, Council, MemberState, Motion, Recommendation
from .services import GovernanceError


def overlapping_memberships(
    *, body: Council, user: Any, state: MemberState | None, start: dt.date, end: dt.date | None, exclude_pk: Any = None
) -> QuerySet[BodyMembership]:
    """Terms on ``body`` overlapping [start, end) held by ``user`` or representing ``state``."""
    who = Q(user=user) | Q(state=state) if state is not None else Q(user=user)
    clash = (
        BodyMembership.objects.filter(body=body, start__lt=end or dt.date.max)
        .filter(Q(end__isnull=True) | Q(end__gt=start))
        .filter(who)
    )
    return clash.exclude(pk=exclude_pk) if exclude_pk is not None else clash


def check_membership(
    *,
    body: Council,
    user: Any,
    state: MemberState | None,
    start: dt.date,
    end: dt.date | None = None,
    exclude_pk: Any = None,
) -> None:
    """Refuse a committee seat the rules do not allow, naming the field and the reason."""
    if body.kind == Council.Kind.COUNCIL:
        raise GovernanceError(
            _("%(body)s seats member states' delegations: appoint delegates instead.") % {"body": body.name},
            code="council",
            field="body",
        )
    if end is not None and end <= start:
        raise GovernanceError(_("A term must end after it starts."), code="invalid", field="end")
    if body.kind == Council.Kind.AD_PERSONAM and state is not None:
        raise GovernanceError(
            _("Members of %(body)s are appointed ad personam: they represent no state.") % {"body": body.name},
            code="ad_personam",
            field="state",
        )
    if body.kind == Council.Kind.PER_STATE:
        if state is None:
            raise GovernanceError(
                _("%(body)s has one representative per member state: choose the state.") % {"body": body.name},
                code="required",
                field="state",
            )
        if state.status != MemberState.Status.MEMBER:
            raise GovernanceError(
                _("Only member states are represented; %(state)s is not a member state (%(status)s).")
                % {"state": state.display_name, "status": state.get_status_display()},
                code="not_member",
                field="state",
            )
    for clash in overlapping_memberships(
        body=body, user=user, state=state, start=start, end=end, exclude_pk=exclude_pk
    ).select_related("user", "state"):
        if clash.user_id == user.pk:
            raise GovernanceError(
                _("%(user)s already sits on %(body)s during that term.") % {"user": user, "body": body.name},
                code="overlap",
                field="user",
            )
        raise GovernanceError(
            _("%(state)s is already represented on %(body)s by %(user)s during that term; end that term first.")
            % {"state": clash.state, "body": body.name, "user": clash.user},
            code="overlap",
            field="state",
        )


def appoint_member(
    *,
    actor: Any,
    body: Council,
    user: Any,
    start: dt.date,
    end: dt.date | None = None,
    state: MemberState | None = None,
) -> BodyMembership:
    """Give ``user`` a seat on a committee for a term (ad personam, or for ``state``); the Committee
    members role and its second factor follow from the seat."""
    check_membership(body=body, user=user, state=state, start=start, end=end)
    try:
        with transaction.atomic(), audit_context(actor=actor, reason="appoint committee member"):
            membership = BodyMembership.objects.create(body=body, user=user, state=state, start=start, end=end)
    except IntegrityError as exc:  # a concurrent appointment won the race: the exclusion constraints hold
        raise GovernanceError(
            _("Another seat on this committee overlaps this term."), code="overlap", field="start"
        ) from exc
    roles.forget(user)
    return membership


def end_membership(*, actor: Any, membership: BodyMembership, end: dt.date) -> BodyMembership:
    """Close a committee member's term on ``end`` (exclusive); a later seat is a new membership."""
    if end <= membership.start:
        raise GovernanceError(_("A term must end after it starts."), code="invalid", field="end")
    with transaction.atomic(), audit_context(actor=actor, reason="end committee membership"):
        locked = BodyMembership.objects.select_for_update().get(pk=membership.pk)
        if locked.end is not None and locked.end <= end:
            raise GovernanceError(_("This term has already ended; appoint again instead."), code="ended", field="end")
        locked.end = end
        locked.save(update_fields=["end"])
    roles.forget(membership.user)
    return locked


def check_recommendation(*, motion: Motion, council_motion: Motion) -> None:
    """Refuse attaching what is not a committee's motion to what is not an undecided Council motion."""
    committee = motion.item.session.council
    council = council_motion.item.session.council
    if committee.kind == Council.Kind.COUNCIL:
        raise GovernanceError(
            _("A recommendation is a committee's motion; “%(title)s” is before %(body)s.")
            % {"title": motion.title, "body": committee.name},
            code="not_committee",
            field="motion",
        )
    if council.kind != Council.Kind.COUNCIL:
        raise GovernanceError(
            _("Recommendations are attached to Council motions; “%(title)s” is before %(body)s.")
            % {"title": council_motion.title, "body": council.name},
            code="not_council",
            field="council_motion",
        )
    decided = council_motion.status not in (Motion.Status.DRAFT, Motion.Status.TABLED) or (
        council_motion.ballots.filter(status__in=[Ballot.Status.CLOSED, Ballot.Status.PUBLISHED]).exists()
    )
    if decided:
        raise GovernanceError(
            _("The Council has already decided “%(title)s”: a recommendation can no longer be attached.")
            % {"title": council_motion.title},
            code="decided",
            field="council_motion",
        )


def attach_recommendation(*, actor: Any, motion: Motion, council_motion: Motion) -> Recommendation:
    """Attach a committee's motion to the Council motion it advises on. It is shown on the Council
    motion and its ballot once the committee has adopted it (its result published)."""
    check_recommendation(motion=motion, council_motion=council_motion)
    with transaction.atomic(), audit_context(actor=actor, reason="attach recommendation"):
        recommendation, created = Recommendation.objects.get_or_create(
            motion=motion, defaults={"council_motion": council_motion}
        )
        if not created and recommendation.council_motion_id != council_motion.pk:
            raise GovernanceError(
                _("This recommendation is already attached to “%(title)s”.")
                % {"title": recommendation.council_motion.title},
                code="attached",
                field="motion",
            )
    return recommendation
