"""Council pages: delegations, sessions, ballots (vote, confirm, receipt, live turnout), public register."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.syndication.views import Feed
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from cernai.accounts.permissions import is_secretariat
from cernai.core import charts

from . import membership, papers, selectors, services
from .forms import VoteForm
from .models import Ballot, Choice, Council, ElectionRound, ElectorateEntry, JointKey, MemberState, Motion, Vote
from .permissions import sees_council_business


def _require_council(user: Any) -> None:
    if not sees_council_business(user):
        raise PermissionDenied


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """A delegate's (or the chair's) start page: delegation, sessions, open ballots."""
    _require_council(request.user)
    state = selectors.represented_state(request.user)
    context = {
        "state": state,
        "entitlement": membership.entitlement_today(state) if state else "",
        "delegation": list(selectors.delegation(state)) if state else [],
        "advisers": list(state.advisers.select_related("user")) if state else [],
        "appointment": selectors.active_appointment(request.user),
        "committee_seats": list(selectors.serving_memberships(request.user).select_related("body", "state")),
        "sessions": list(selectors.visible_sessions(request.user)[:20]),
        "open_ballots": list(
            selectors.visible_ballots(request.user)
            .filter(status=Ballot.Status.OPEN)
            .select_related("motion__item__session__council")
        ),
    }
    return render(request, "governance/index.html", context)


@login_required
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A session's agenda, papers, motions and ballots, and the delegation's check-in."""
    _require_council(request.user)
    session = get_object_or_404(selectors.visible_sessions(request.user), pk=pk)
    documents = papers.session_documents(request.user, session)
    items = list(
        session.items.prefetch_related(
            "motions__ballots",
            "motions__recommendations__motion__item__session__council",
            "motions__recommendations__motion__ballots",
        )
    )
    for item in items:  # only the papers this person may read (papers.readable_papers)
        item.readable_papers = documents["papers_by_item"].get(item.pk, [])  # type: ignore[attr-defined]
        for motion in item.motions.all():  # a committee's recommendation shows once adopted
            motion.adopted_recommendations = [  # type: ignore[attr-defined]
                r for r in motion.recommendations.all() if r.motion.status == Motion.Status.ADOPTED
            ]
    seat = selectors.voting_seat(request.user, session.council)
    attendances = session.attendances.select_related("state", "member")
    runs = selectors.runs_body(request.user, session.council)
    context = {
        "session": session,
        "body": session.council,
        "items": items,
        "checked_in": seat is not None and attendances.filter(**seat.entry_filter()).exists(),
        "can_check_in": seat is not None,
        "in_person": seat is not None and seat.member_id is not None,
        "attendances": list(attendances) if runs else [],
        "runs": runs,
        **documents,
    }
    return render(request, "governance/session_detail.html", context)


@login_required
@require_POST
def session_check_in(request: HttpRequest, pk: int) -> HttpResponse:
    """A delegate registers their state's presence (counts for quorum)."""
    _require_council(request.user)
    session = get_object_or_404(selectors.visible_sessions(request.user), pk=pk)
    try:
        attendance = services.check_in(user=request.user, session=session)
    except services.GovernanceError as exc:
        messages.error(request, exc.message)
    else:
        who = attendance.state.display_name if attendance.state else attendance.member
        messages.success(request, _("%(state)s is checked in.") % {"state": who})
    return redirect("governance:session", pk=session.pk)


@login_required
@require_POST
def motion_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """The chair or the secretariat withdraws a motion before its ballot opens, saying why."""
    _require_council(request.user)
    motion = get_object_or_404(
        Motion.objects.filter(selectors.sees_session(request.user, "item__session__")).select_related(
            "item__session__council"
        ),
        pk=pk,
    )
    if not selectors.runs_body(request.user, motion.item.session.council):
        raise PermissionDenied
    try:
        services.withdraw_motion(actor=request.user, motion_id=motion.pk, reason=request.POST.get("reason", ""))
    except services.GovernanceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The motion “%(title)s” is withdrawn.") % {"title": motion.title})
    return redirect("governance:session", pk=motion.item.session_id)


def _ballot_for(request: HttpRequest, pk: int) -> Ballot:
    _require_council(request.user)
    return get_object_or_404(
        selectors.visible_ballots(request.user).select_related("motion__programme", "motion__item__session__council"),
        pk=pk,
    )


def _require_sees_ballot(request: HttpRequest, pk: int) -> None:
    """``_ballot_for``'s check without loading the ballot, its motion, session and body: for the polled
    turnout and a vote posted unconfirmed, which need only the ballot's key (the cast itself checks it
    in its own query)."""
    _require_council(request.user)
    if not selectors.visible_ballots(request.user).filter(pk=pk).exists():
        raise Http404


def _state_panel(ballot: Ballot, user: Any) -> dict[str, Any]:
    """What the user's seat (their delegation, their committee seat) sees of its own vote in this ballot."""
    seat = selectors.voting_seat(user, ballot.motion.item.session.council)
    if seat is None or ballot.status == Ballot.Status.DRAFT:
        return {"seat": seat}
    entry = (
        ElectorateEntry.objects.select_related("voted_by", "state").filter(ballot=ballot, **seat.entry_filter()).first()
    )
    if seat.state is not None:
        votes = Vote.objects.filter(ballot=ballot, state_id=seat.state.pk)
        keys = list(JointKey.objects.filter(ballot=ballot, state_id=seat.state.pk).select_related("delegate"))
    else:
        votes, keys = Vote.objects.filter(ballot=ballot, state__isnull=True, cast_by=user), []
    vote = votes.select_related("cast_by").first()
    can_vote = (
        ballot.status == Ballot.Status.OPEN
        and entry is not None
        and entry.reason == ElectorateEntry.Reason.ENTITLED
        and (ballot.mode == Ballot.Mode.JOINT or entry.voted_at is None)
    )
    return {
        "seat": seat,
        "entry": entry,
        "state_vote": vote,
        "keys": keys,
        "can_vote": can_vote,
        "state_status": selectors.state_vote_label(ballot, entry=entry, vote=vote, keys=keys, user=user),
        "my_receipts": selectors.receipts_given_to(user, ballot=ballot),
    }


@login_required
def ballot_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A ballot: the motion, the rule, the delegation's vote or the form, turnout and result."""
    ballot = _ballot_for(request, pk)
    election_round = ElectionRound.objects.filter(ballot=ballot).first()
    if election_round is not None:  # a round of an election: voted for candidates on the election's page
        return redirect("governance:election", pk=election_round.election_id)
    body = ballot.motion.item.session.council
    runs = selectors.runs_body(request.user, body)
    result_visible = ballot.status == Ballot.Status.PUBLISHED or (runs and ballot.status == Ballot.Status.CLOSED)
    context: dict[str, Any] = {
        "ballot": ballot,
        "motion": ballot.motion,
        "runs": runs,
        "body": body,
        "recommendations": selectors.recommendations_for(ballot.motion),
        "form": VoteForm(),
        "result_visible": result_visible,
        "excluded": ElectorateEntry.objects.filter(ballot=ballot)
        .exclude(reason=ElectorateEntry.Reason.ENTITLED)
        .select_related("state"),
        "weights": selectors.weights_used(ballot),
        **_state_panel(ballot, request.user),
    }
    if ballot.status == Ballot.Status.OPEN:  # live turnout for everyone who sees the ballot
        context["turnout"] = selectors.turnout(ballot.pk)
    if runs and ballot.status == Ballot.Status.DRAFT:
        context["quorum"] = selectors.quorum_before_opening(ballot)
    if result_visible:
        context.update(selectors.ballot_breakdown(ballot))
    context["membership_request"] = membership.request_for_motion(ballot.motion)
    if context["membership_request"] is not None:
        context["membership_stage"] = membership.stage(context["membership_request"])
    if is_secretariat(request.user) and ballot.status != Ballot.Status.DRAFT:
        context["integrity"] = services.verify_ballot(ballot_id=ballot.pk)
    return render(request, "governance/ballot_detail.html", context)


@login_required
@require_POST
def ballot_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 1 → 2: show the chosen vote back and ask for confirmation."""
    ballot = _ballot_for(request, pk)
    form = VoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose yes, no or abstain."))
        return redirect("governance:ballot", pk=ballot.pk)
    try:  # entitlement is checked on every step, not only when the vote is cast
        services.check_may_cast(ballot_id=ballot.pk, user=request.user)
    except services.GovernanceError as exc:
        messages.error(request, exc.message)
        return redirect("governance:ballot", pk=ballot.pk)
    choice = form.cleaned_data["choice"]
    return render(
        request,
        "governance/ballot_confirm.html",
        {
            "ballot": ballot,
            "choice": choice,
            "choice_label": dict(Choice.choices)[choice],
            "in_person": ballot.motion.item.session.council.kind == Council.Kind.AD_PERSONAM,
        },
    )


def _back_to_ballot(request: HttpRequest, ballot_id: int, refusal: str) -> HttpResponse:
    """The ballot's page with the refusal on it (a whole page, also after an htmx post)."""
    messages.error(request, refusal)
    url = reverse("governance:ballot", args=[ballot_id])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)  # type: ignore[attr-defined]


@login_required
@require_POST
def ballot_vote(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 2: cast the confirmed vote and show its receipt (with htmx, only the receipt: the
    confirmation form swaps it into the page)."""
    _require_council(request.user)
    form = VoteForm(request.POST)
    if not form.is_valid() or request.POST.get("confirmed") != "1":
        _require_sees_ballot(request, pk)
        return _back_to_ballot(request, pk, _("Confirm your vote to cast it."))
    try:  # the service refuses a ballot this person may not see as one that does not exist
        receipt = services.cast_vote(ballot_id=pk, user=request.user, choice=form.cleaned_data["choice"])
    except Ballot.DoesNotExist as exc:
        raise Http404 from exc
    except services.GovernanceError as exc:
        return _back_to_ballot(request, pk, exc.message)
    template = "governance/ballot_receipt.html" + ("#receipt" if request.htmx else "")  # type: ignore[attr-defined]
    return render(request, template, {"ballot_id": pk, "receipt": receipt})


def _runs(request: HttpRequest, pk: int) -> Ballot:
    ballot = _ballot_for(request, pk)
    if not selectors.runs_body(request.user, ballot.motion.item.session.council):
        raise PermissionDenied
    return ballot


@login_required
def ballot_turnout(request: HttpRequest, pk: int) -> HttpResponse:
    """Live turnout for everyone who sees the ballot (an htmx partial polled every few seconds by every
    viewer)."""
    _require_sees_ballot(request, pk)
    return render(request, "governance/partials/turnout.html", {"turnout": selectors.live_turnout(pk)})


def _transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    ballot = _runs(request, pk)
    service = services.BALLOT_TRANSITIONS[action]
    try:
        service(actor=request.user, ballot_id=ballot.pk)
    except services.GovernanceError as exc:
        messages.error(request, exc.message)
    else:
        done = {
            "open": _("The ballot is open."),
            "close": _("The ballot is closed."),
            "publish": _("The result is published."),
        }
        messages.success(request, done[action])
    return redirect("governance:ballot", pk=ballot.pk)


@login_required
@require_POST
def ballot_open(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, "open")


@login_required
@require_POST
def ballot_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, "close")


@login_required
@require_POST
def ballot_publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, "publish")


# --- public pages ------------------------------------------------------------------------------


def register(request: HttpRequest) -> HttpResponse:
    """The public register of resolutions: published results of open sessions."""
    return render(request, "governance/register.html", {"resolutions": selectors.public_resolutions()[:200]})


def resolution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One published result of an open session, with the per-state breakdown or the receipts."""
    ballot = get_object_or_404(selectors.public_resolutions(), pk=pk)
    election_round = ElectionRound.objects.filter(ballot=ballot).first()
    if election_round is not None:  # an election's round: votes per candidate and the sentence
        from . import elections

        entries = sorted(election_round.entries.select_related("candidate"), key=lambda e: -e.votes)
        row = {
            "round": election_round,
            "entries": entries,
            "explanation": elections.explanation(election_round, entries),
            "receipts": elections.receipts(ballot),
        }
        return render(
            request, "governance/resolution_detail.html", {"ballot": ballot, "motion": ballot.motion, "row": row}
        )
    return render(
        request,
        "governance/resolution_detail.html",
        {"ballot": ballot, "motion": ballot.motion, **selectors.ballot_breakdown(ballot)},
    )


def member_states(request: HttpRequest) -> HttpResponse:
    """Member, associate and observer states with a chart of contribution shares and the same table."""
    states = list(selectors.member_states())
    shared = [s for s in states if getattr(s, "contribution_share", None) is not None]
    chart = charts.bar_chart(
        [s.display_name for s in shared],
        [charts.dataset(_("Contribution share (%)"), [getattr(s, "contribution_share", None) for s in shared])],
        percent=True,
        legend=False,
        horizontal=True,
    )
    by_status = {status: [s for s in states if s.status == status] for status in MemberState.Status.values}
    return render(
        request,
        "governance/member_states.html",
        {"states": states, "shared": shared, "chart": chart, "by_status": by_status, "Status": MemberState.Status},
    )


def membership_register(request: HttpRequest) -> HttpResponse:
    """Public: accession and association requests, where each stands, and the 3-month clock."""
    return render(request, "governance/membership.html", {"requests": membership.public_requests()})


def ratification_register(request: HttpRequest) -> HttpResponse:
    """Public: the register of ratifications of convention amendments, in force when all have ratified."""
    return render(request, "governance/ratifications.html", {"register": membership.ratification_register()})


class ResolutionFeed(Feed):
    """Atom feed of the register of resolutions."""

    feed_type = Atom1Feed
    title = gettext_lazy("cernai Council: register of resolutions")
    subtitle = gettext_lazy("Published results of the Council's open sessions.")

    def link(self) -> str:
        return reverse("governance:register")

    def items(self) -> Any:
        return selectors.public_resolutions()[:50]

    def item_title(self, item: Ballot) -> str:
        return f"{item.motion.title} — {item.get_outcome_display()}"

    def item_description(self, item: Ballot) -> str:
        return item.explained

    def item_link(self, item: Ballot) -> str:
        return reverse("governance:resolution", args=[item.pk])

    def item_pubdate(self, item: Ballot) -> Any:
        return item.published_at

    def item_updateddate(self, item: Ballot) -> Any:
        return item.published_at
