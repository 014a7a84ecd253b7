"""Read queries of governance, shared with other apps (fellowships, compute)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from cernai.accounts import roles
from cernai.core import sentences
from cernai.core.sentences import gettext as _

from . import committees, tally
from .models import (
    Adviser,
    Appointment,
    Attendance,
    Ballot,
    BodyMembership,
    Council,
    ElectorateEntry,
    MemberState,
    Motion,
    Recommendation,
    Session,
    VotingAuthorisation,
)


def member_states(*, statuses: list[str] | None = None, year: int | None = None) -> QuerySet[MemberState]:
    """All states, optionally filtered by status, ordered by name, each with ``contribution_share``: its
    share (percent) in the adopted scale in force for ``year`` (default this year), or None."""
    from finance.selectors import share_in_force

    qs = MemberState.objects.annotate(contribution_share=share_in_force(year or timezone.localdate().year))
    if statuses is not None:
        qs = qs.filter(status__in=statuses)
    return qs.order_by("name")


def state_by_iso2(iso2: str) -> MemberState | None:
    """The state with this ISO 3166-1 alpha-2 code, or None."""
    if not iso2:
        return None
    return MemberState.objects.filter(iso2=str(iso2).upper()).first()


def serving_on(on: dt.date) -> Q:
    """A term (appointment or adviser) that has started by ``on`` and not yet ended (end is exclusive)."""
    return Q(start__lte=on) & (Q(end__isnull=True) | Q(end__gt=on))


def overlapping_appointments(
    *, state: Any, role: str, start: dt.date, end: dt.date | None, exclude_pk: int | None = None
) -> QuerySet[Appointment]:
    """Terms of ``state`` in ``role`` that overlap [start, end) (the friendly check before the exclusion constraint)."""
    overlapping = Appointment.objects.filter(state=state, role=role, start__lt=end or dt.date.max).filter(
        Q(end__isnull=True) | Q(end__gt=start)
    )
    return overlapping.exclude(pk=exclude_pk) if exclude_pk is not None else overlapping


def active_appointment(user: Any, *, on: dt.date | None = None, fresh: bool = False) -> Appointment | None:
    """The delegate appointment ``user`` holds today (or on ``on``), if any.

    Remembered on the user object for the rest of the request (navigation, permission checks and the
    page all ask); services that act on it pass ``fresh=True``.
    """
    if not (user and user.is_authenticated):
        return None
    on = on or timezone.localdate()
    memo: dict[dt.date, Appointment | None] = user.__dict__.setdefault("_governance_appointment", {})
    if fresh or on not in memo:
        memo[on] = (
            Appointment.objects.select_related("state").filter(serving_on(on), user=user).order_by("start").first()
        )
    return memo[on]


def represented_state(user: Any, *, on: dt.date | None = None) -> MemberState | None:
    """The state a delegate or adviser represents today."""
    appointment = active_appointment(user, on=on)
    if appointment:
        return appointment.state
    if not (user and user.is_authenticated):
        return None
    on = on or timezone.localdate()
    adviser = Adviser.objects.select_related("state").filter(serving_on(on), user=user).first()
    return adviser.state if adviser else None


def delegation(state: MemberState, *, on: dt.date | None = None) -> QuerySet[Appointment]:
    """The serving delegates of ``state``."""
    on = on or timezone.localdate()
    return Appointment.objects.select_related("user").filter(serving_on(on), state=state).order_by("role")


def delegates_of_states(state_ids: list[int], *, on: dt.date | None = None) -> list[Any]:
    """Users serving as delegates of any of these states (notification recipients)."""
    on = on or timezone.localdate()
    return [a.user for a in Appointment.objects.select_related("user").filter(serving_on(on), state_id__in=state_ids)]


def serving_memberships(user: Any, *, on: dt.date | None = None) -> QuerySet[BodyMembership]:
    """The committee seats ``user`` holds today (or on ``on``)."""
    if not (user and user.is_authenticated):
        return BodyMembership.objects.none()
    return BodyMembership.objects.filter(serving_on(on or timezone.localdate()), user=user)


# Who sees council business besides the secretariat (each only their own bodies: visible_sessions).
COUNCIL_ROLES = frozenset({roles.CHAIR, roles.DELEGATE, roles.ADVISER, roles.COMMITTEE})


def sees_council_business(user: Any) -> bool:
    """Delegates, advisers, the chair, committee members and the secretariat see sessions and ballots
    (each only those of their own bodies: visible_sessions)."""
    from cernai.accounts.permissions import is_secretariat

    # A serving delegate or adviser represents a state (represented_state); the roles say so with
    # the rest of the person's standing, in the one query of the request.
    return bool(is_secretariat(user) or roles.held(user) & COUNCIL_ROLES)


def visible_sessions(user: Any) -> QuerySet[Session]:
    """Sessions this user may see. The Council's: member-state delegations (closed sessions only for
    member states), its chair and the secretariat. A committee's: its serving members, its chair and
    the secretariat only (rules §4)."""
    return Session.objects.select_related("council").order_by("-starts_at").filter(sees_session(user))


def visible_ballots(user: Any) -> QuerySet[Ballot]:
    """Ballots of the sessions this user may see (visible_sessions' rule, on the ballot's own joins:
    as ``session IN (visible sessions)`` the session and its council were joined twice, and planning
    the query cost more than running it)."""
    return Ballot.objects.select_related("motion__item__session").filter(sees_session(user, "motion__item__session__"))


def sees_session(user: Any, to_session: str = "") -> Q:
    """Whether ``user`` may see a session, as a condition on the session at the path ``to_session``."""
    from cernai.accounts.permissions import is_chair, is_secretariat

    if is_secretariat(user):
        return Q()
    if not (user and user.is_authenticated):
        return Q(pk__in=[])
    council = Q(**{f"{to_session}council__kind": Council.Kind.COUNCIL})
    # A committee's sessions: those of the bodies this person sits on or chairs.
    seen = Q(**{f"{to_session}council_id__in": serving_memberships(user).values("body_id")}) | Q(
        **{f"{to_session}council__chair": user}
    )
    if is_chair(user):
        seen |= council
    state = represented_state(user)
    if state is not None:
        if state.status == MemberState.Status.MEMBER:
            seen |= council
        else:
            seen |= council & Q(**{f"{to_session}closed": False})
    return seen


def runs_body(user: Any, body: Council) -> bool:
    """Who opens, closes and publishes a body's ballots: the secretariat and that body's chair."""
    from cernai.accounts.permissions import is_secretariat

    return bool(is_secretariat(user) or (user and user.is_authenticated and body.chair_id == user.pk))


@dataclass(frozen=True)
class Seat:
    """Where a person votes in a body: for a state (the Council's delegate, a committee's state
    representative) or in person (a member ad personam)."""

    state: MemberState | None
    member_id: int | None
    role: str  # the delegate's role in the Council (joint mode); blank in committees
    label: str

    def entry_filter(self) -> dict[str, Any]:
        return {"state_id": self.state.pk} if self.state is not None else {"member_id": self.member_id}


def voting_seat(user: Any, body: Council, *, on: dt.date | None = None, fresh: bool = False) -> Seat | None:
    """The seat through which ``user`` votes in ``body``'s ballots on ``on``, if any."""
    if not (user and user.is_authenticated):
        return None
    if body.kind == Council.Kind.COUNCIL:
        appointment = active_appointment(user, on=on, fresh=fresh)
        if appointment is None:
            return None
        return Seat(
            state=appointment.state, member_id=None, role=appointment.role, label=appointment.state.display_name
        )
    membership = serving_memberships(user, on=on).filter(body=body).select_related("state").first()
    if membership is None:
        return None
    if body.kind == Council.Kind.PER_STATE:
        if membership.state is None:
            return None
        return Seat(state=membership.state, member_id=None, role="", label=membership.state.display_name)
    return Seat(state=None, member_id=user.pk, role="", label=str(user))


def electors_of(body: Council, *, state_ids: list[int], member_ids: list[int], on: dt.date) -> list[Any]:
    """The people to tell about a body's ballot: the Council's delegates of these states, a
    committee's representatives of these states, or these members in person."""
    if body.kind == Council.Kind.COUNCIL:
        return delegates_of_states(state_ids, on=on)
    seats = BodyMembership.objects.select_related("user").filter(serving_on(on), body=body)
    if body.kind == Council.Kind.PER_STATE:
        seats = seats.filter(state_id__in=state_ids)
    else:
        seats = seats.filter(user_id__in=member_ids)
    return [m.user for m in seats]


def recommendations_for(motion: Motion) -> list[Recommendation]:
    """The committees' adopted recommendations on a Council motion (shown on it and on its ballot)."""
    return list(
        Recommendation.objects.filter(council_motion=motion, motion__status=Motion.Status.ADOPTED)
        .select_related("motion__item__session__council")
        .prefetch_related("motion__ballots")
        .order_by("attached_at")
    )


def public_resolutions() -> QuerySet[Ballot]:
    """The register of resolutions: the Council's published results of open sessions (a committee's
    ballots stay with its members; its adopted recommendations show on the Council motion)."""
    return (
        Ballot.objects.select_related("motion__item__session", "election_round__election")
        .prefetch_related("election_round__entries__candidate")
        .filter(
            status=Ballot.Status.PUBLISHED,
            motion__item__session__closed=False,
            motion__item__session__council__kind=Council.Kind.COUNCIL,
        )
        .order_by("-published_at", "-pk")
    )


# How stale the polled turnout may be: every viewer of an open ballot polls it every 5 seconds
# (partials/turnout.html), so a thousand viewers ask 200 times a second for the same numbers.
LIVE_TURNOUT_SECONDS = 1


def live_turnout(ballot_id: int) -> dict[str, Any]:
    """``turnout`` as the viewers' polls show it: worked out at most once a second per ballot for all
    of them (in the shared cache; with Redis down, every poll works it out)."""
    key = live_turnout_key(ballot_id)
    found: dict[str, Any] | None = cache.get(key)
    if found is None:
        found = turnout(ballot_id)
        cache.set(key, found, timeout=LIVE_TURNOUT_SECONDS)
    return found


def live_turnout_key(ballot_id: int) -> str:
    return f"governance:turnout:{ballot_id}"


def turnout(ballot_id: int, *, limit: int = 50) -> dict[str, Any]:
    """Live turnout in two queries whatever the electorate size: the ballot with its count of states
    that have voted (one aggregate over the register's (ballot, reason, voted_at) index; casts keep no
    counter on the ballot row, so they never contend on it), and the first ``limit`` states yet to vote."""
    voted = (
        ElectorateEntry.objects.filter(
            ballot_id=OuterRef("pk"), reason=ElectorateEntry.Reason.ENTITLED, voted_at__isnull=False
        )
        .order_by()
        .values("ballot_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    ballot = (
        Ballot.objects.only("pk", "status", "entitled_count", "present_count")
        .annotate(live_voted=Coalesce(Subquery(voted, output_field=IntegerField()), Value(0)))
        .get(pk=ballot_id)
    )
    # In the register's order, which is by name: it is written so when the ballot opens
    # (electorate_for). Sorting by name here joined and sorted every state yet to vote on every poll
    # (14 ms at 10,000); in the register's order the "waiting" index hands over the first fifty.
    waiting = list(
        ElectorateEntry.objects.filter(
            ballot_id=ballot_id, reason=ElectorateEntry.Reason.ENTITLED, voted_at__isnull=True
        )
        .annotate(who=Coalesce("state__name", "member__name"))
        .order_by("pk")
        .values_list("who", flat=True)[:limit]
    )
    voted_count: int = ballot.live_voted  # type: ignore[attr-defined]
    remaining = ballot.entitled_count - voted_count
    return {
        "ballot": ballot,
        "voted": voted_count,
        "entitled": ballot.entitled_count,
        "remaining": remaining,
        "waiting": waiting,
        "more_waiting": max(0, remaining - len(waiting)),
    }


def ballot_breakdown(ballot: Ballot) -> dict[str, Any]:
    """What a result shows: per-state votes (named; "split"/"incomplete" in joint mode) and the
    published receipts with their choices (every ballot), in a constant number of queries."""
    from .models import JointKey, SecretChoice, Vote

    if ballot.secrecy == Ballot.Secrecy.SECRET:
        return {
            "receipts": list(SecretChoice.objects.filter(ballot=ballot).order_by("receipt").values("receipt", "choice"))
        }
    # Keyed by state, or by the member in person (committees ad personam).
    votes: dict[Any, Any] = {
        v.state_id or ("member", v.cast_by_id): v for v in Vote.objects.filter(ballot=ballot).select_related("cast_by")
    }
    keys: dict[int, list[Any]] = {}
    if ballot.mode == Ballot.Mode.JOINT:
        for key in JointKey.objects.filter(ballot=ballot):
            keys.setdefault(key.state_id, []).append(key)
    rows = []
    for entry in ElectorateEntry.objects.filter(ballot=ballot, reason=ElectorateEntry.Reason.ENTITLED).select_related(
        "state", "member"
    ):
        vote = votes.get(entry.state_id or ("member", entry.member_id))
        if vote is not None:
            label = vote.get_choice_display()
        elif entry.state_id in keys:
            label = _("split") if len(keys[entry.state_id]) > 1 else _("incomplete")
        else:
            label = _("did not vote")
        rows.append(
            {"state": entry.state or entry.member, "choice": vote.choice if vote else "", "label": label, "vote": vote}
        )
    # Every receipt handed out, with the choice it recorded: the counted votes (either mode) or each
    # delegate's own key (joint mode), so every delegate finds the code they were given.
    issued = (
        [k for state_keys in keys.values() for k in state_keys] if ballot.mode == Ballot.Mode.JOINT else votes.values()
    )
    receipts = sorted(({"receipt": r.receipt, "choice": r.choice} for r in issued), key=lambda r: r["receipt"])
    return {"breakdown": rows, "receipts": receipts}


def electorate_for(ballot: Ballot, *, on: dt.date | dt.datetime) -> list[ElectorateEntry]:
    """The electorate ``ballot`` would freeze if it opened at ``on`` (unsaved entries): who is entitled,
    why anyone is not (art. V.8 on the accounts as of that moment, with its sentence), who counts in
    "all member states", who is present at its session. A constant number of queries."""
    from finance.selectors import arrears_facts_by_state, shares_in_force

    from .membership import authorisation_sentence

    day = timezone.localdate(on) if isinstance(on, dt.datetime) else on
    motion = ballot.motion
    body = motion.item.session.council
    if body.kind == Council.Kind.AD_PERSONAM:
        # One vote per member serving at the opening, in name order; presence is the member's own check-in.
        present_members = set(
            Attendance.objects.filter(session_id=motion.item.session_id, member__isnull=False).values_list(
                "member_id", flat=True
            )
        )
        return [
            ElectorateEntry(
                ballot=ballot,
                member_id=user_id,
                reason=ElectorateEntry.Reason.ENTITLED,
                counts_in_all=True,
                present=user_id in present_members,
            )
            for user_id in BodyMembership.objects.filter(serving_on(day), body=body)
            .order_by("user__name")
            .values_list("user_id", flat=True)
        ]
    authorised = {
        a.state_id: a
        for a in VotingAuthorisation.objects.filter(valid_from__lte=day)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
        .order_by("valid_from")
    }
    programme = motion.programme
    participants = set(programme.participants.values_list("id", flat=True)) if programme is not None else None
    present_ids = set(Attendance.objects.filter(session_id=motion.item.session_id).values_list("state_id", flat=True))
    states = list(MemberState.objects.order_by("name"))  # the register is written in name order (turnout)
    arrears = arrears_facts_by_state(on, [s.id for s in states if s.status == MemberState.Status.MEMBER])
    shares = shares_in_force(day.year)  # the weights of the contribution-weighted rule, frozen with the rest
    entries = []
    for state in states:
        facts = arrears.get(state.id)
        reason, counts_in_all = tally.entitlement(
            tally.StateFacts(
                status=state.status,
                in_arrears=bool(facts and facts.no_vote),
                authorised=state.id in authorised,
                participates=participants is None or state.id in participants,
            )
        )
        explanation = facts.explanation if facts is not None else ""
        if facts is not None and facts.no_vote and state.id in authorised:
            explanation = _("%(arrears)s, but %(authorised)s: votes") % {
                "arrears": explanation,
                "authorised": authorisation_sentence(authorised[state.id]),
            }
        entries.append(
            ElectorateEntry(
                ballot=ballot,
                state=state,
                reason=reason,
                counts_in_all=counts_in_all,
                present=state.id in present_ids,
                explanation=explanation,
                share=shares.get(state.id),
            )
        )
    all_count = sum(1 for e in entries if e.counts_in_all)
    for entry in entries:
        if entry.reason == ElectorateEntry.Reason.ARREARS:
            entry.explanation = _("%(sentence)s; still counted in the %(all)d") % {
                "sentence": entry.explanation,
                "all": all_count,
            }
        elif entry.reason != ElectorateEntry.Reason.ENTITLED or not entry.explanation:
            entry.explanation = f"{entry.state}: {entry.get_reason_display()}"
            entry.explanation_data = {"reason": True}
        if entry.explanation_data is None and entry.explanation:
            entry.explanation_data = sentences.data(entry.explanation)
    return entries


def weighted_rule_applies(ballot: Ballot) -> bool:
    """Whether the body's contribution-weighted rule counts this ballot (named ballots of state bodies)."""
    council = ballot.motion.item.session.council
    return (
        council.weighted_rule == Council.WeightedRule.ON
        and ballot.secrecy == Ballot.Secrecy.NAMED
        and council.kind != Council.Kind.AD_PERSONAM  # contribution weights are states' weights
    )


def weights_used(ballot: Ballot) -> list[ElectorateEntry]:
    """The contribution shares frozen in an opened ballot's electorate, when the weighted rule counts it."""
    if ballot.status == Ballot.Status.DRAFT or not weighted_rule_applies(ballot):
        return []
    return list(
        ElectorateEntry.objects.filter(ballot=ballot, counts_in_all=True)
        .select_related("state")
        .order_by("state__name")
    )


def quorum_of(ballot: Ballot, entries: list[ElectorateEntry]) -> dict[str, Any]:
    """Entitled and present states of an electorate, whether the quorum is met and the sentence saying so."""
    entitled = [e for e in entries if e.reason == ElectorateEntry.Reason.ENTITLED]
    present = sum(1 for e in entitled if e.present)
    body = ballot.motion.item.session.council
    return {
        "entitled": len(entitled),
        "present": present,
        "required": body.quorum_required,
        "met": tally.quorum_met(entitled=len(entitled), present=present),
        "line": committees.quorum_line(body_kind=body.kind, entitled=len(entitled), present=present),
    }


def quorum_before_opening(ballot: Ballot) -> dict[str, Any]:
    """What the chair reads before opening a draft ballot (the electorate it would freeze today)."""
    return quorum_of(ballot, electorate_for(ballot, on=timezone.now()))


def state_vote_label(ballot: Ballot, *, entry: Any, vote: Any, keys: list[Any], user: Any) -> str:
    """Where a delegation stands in a ballot, in words: voted (and how, when named), not yet,
    "split", or waiting for the co-delegate (joint mode)."""
    if entry is not None and entry.member_id is not None:  # a member ad personam votes in person
        if vote is not None:
            return _("you voted %(choice)s") % {"choice": vote.get_choice_display()}
        return _("you have voted (secret ballot)") if entry.voted_at else _("you have not voted yet")
    if entry is None or entry.reason != ElectorateEntry.Reason.ENTITLED:
        return _("your state cannot vote in this ballot")
    if vote is not None:
        return _("your state voted %(choice)s") % {"choice": vote.get_choice_display()}
    if ballot.mode == Ballot.Mode.EITHER:
        return _("your state has voted (secret ballot)") if entry.voted_at else _("your state has not voted yet")
    if len(keys) > 1:
        return _("split: your delegates submitted different choices, so your state's vote does not count yet")
    if len(keys) == 1:
        if keys[0].delegate_id == user.pk:
            return _("waiting for your co-delegate")
        return _("your co-delegate has submitted; waiting for you")
    return _("your state has not voted yet")


def receipts_given_to(user: Any, *, ballot: Ballot | None = None) -> list[dict[str, Any]]:
    """Every receipt this person was given: the vote they cast for their state (either mode) and
    their own keys (joint mode). Secret ballots keep no link between a person and a receipt."""
    from .models import JointKey, Vote

    votes = Vote.objects.filter(cast_by=user).exclude(ballot__mode=Ballot.Mode.JOINT).select_related("ballot__motion")
    keys = JointKey.objects.filter(delegate=user).select_related("ballot__motion")
    if ballot is not None:
        votes, keys = votes.filter(ballot=ballot), keys.filter(ballot=ballot)
    rows = [
        {"ballot": v.ballot, "receipt": v.receipt, "choice": v.get_choice_display(), "at": v.cast_at} for v in votes
    ] + [
        {"ballot": k.ballot, "receipt": k.receipt, "choice": k.get_choice_display(), "at": k.submitted_at} for k in keys
    ]
    return sorted(rows, key=lambda r: r["at"], reverse=True)


def open_ballots_with_status(user: Any) -> list[dict[str, Any]]:
    """The open ballots this person sees, each with their seat's standing (their delegation's, their
    committee seat's), in a constant number of queries."""
    from .models import JointKey, Vote

    ballots = list(
        visible_ballots(user).filter(status=Ballot.Status.OPEN).select_related("motion__item__session__council")[:20]
    )
    appointment = active_appointment(user)
    seats = {m.body_id: m.state_id for m in serving_memberships(user)}
    if appointment is None and not seats:
        return [{"ballot": b, "status": ""} for b in ballots]

    def seat_key(ballot: Ballot) -> tuple[str, int] | None:
        body = ballot.motion.item.session.council
        if body.kind == Council.Kind.COUNCIL:
            return ("state", appointment.state_id) if appointment else None
        if body.pk not in seats:
            return None
        state_id = seats[body.pk]
        return ("state", state_id) if state_id else ("member", user.pk)

    state_ids = {appointment.state_id} if appointment else set()
    state_ids |= {s for s in seats.values() if s}
    entries: dict[tuple[int, tuple[str, int | None]], Any] = {}
    for e in ElectorateEntry.objects.filter(ballot__in=ballots).filter(
        Q(state_id__in=state_ids) | Q(member_id=user.pk)
    ):
        entries[(e.ballot_id, ("state", e.state_id) if e.state_id else ("member", e.member_id))] = e
    votes = {
        (v.ballot_id, ("state", v.state_id) if v.state_id else ("member", v.cast_by_id)): v
        for v in Vote.objects.filter(ballot__in=ballots).filter(
            Q(state_id__in=state_ids) | Q(state__isnull=True, cast_by=user)
        )
    }
    keys: dict[tuple[int, tuple[str, int]], list[Any]] = {}
    for key in JointKey.objects.filter(ballot__in=ballots, state_id__in=state_ids):
        keys.setdefault((key.ballot_id, ("state", key.state_id)), []).append(key)
    rows = []
    for b in ballots:
        seat = seat_key(b)
        if seat is None:
            rows.append({"ballot": b, "status": ""})
            continue
        k = (b.pk, seat)
        rows.append(
            {
                "ballot": b,
                "status": state_vote_label(b, entry=entries.get(k), vote=votes.get(k), keys=keys.get(k, []), user=user),
            }
        )
    return rows
