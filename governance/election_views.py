"""Election pages: the rounds of an election, the delegation's vote for a candidate (choose, confirm,
receipt), live turnout, the chair's controls and each round's result sentence."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cernai.accounts.permissions import is_secretariat

from . import elections, selectors, services
from .models import Ballot, Election, ElectionRound, ElectorateEntry
from .permissions import runs_ballots, sees_council_business


class CandidateVoteForm(forms.Form):
    """One of the round's candidates, or abstain; a second, confirming step submits it."""

    choice = forms.ChoiceField(label=gettext_lazy("Your delegation's vote"), widget=forms.RadioSelect)

    def __init__(self, *args: Any, choices: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["choice"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = list(choices.items())


def _election_for(request: HttpRequest, pk: int) -> Election:
    if not sees_council_business(request.user):
        raise PermissionDenied
    return get_object_or_404(
        Election.objects.select_related("motion__item__session", "elected").filter(
            selectors.sees_session(request.user, "motion__item__session__")
        ),
        pk=pk,
    )


def _rounds(election: Election, *, runs: bool) -> list[dict[str, Any]]:
    rows = []
    for election_round in election.rounds.select_related("ballot").order_by("number"):
        entries = list(election_round.entries.select_related("candidate"))
        ballot = election_round.ballot
        visible = ballot.status == Ballot.Status.PUBLISHED or (runs and ballot.status == Ballot.Status.CLOSED)
        rows.append(
            {
                "round": election_round,
                "ballot": ballot,
                "entries": sorted(entries, key=lambda e: -e.votes) if visible else entries,
                "result_visible": visible,
                "explanation": elections.explanation(election_round, entries) if visible else "",
                "receipts": elections.receipts(ballot) if visible else [],
            }
        )
    return rows


@login_required
def election_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An election: its candidates, its current round (vote, turnout, chair's controls) and the
    result of every round published."""
    election = _election_for(request, pk)
    runs = runs_ballots(request.user)
    rounds = _rounds(election, runs=runs)
    current = rounds[-1]
    ballot: Ballot = current["ballot"]
    appointment = selectors.active_appointment(request.user)
    entry = None
    if appointment is not None and ballot.status != Ballot.Status.DRAFT:
        entry = (
            ElectorateEntry.objects.select_related("voted_by", "state")
            .filter(ballot=ballot, state_id=appointment.state_id)
            .first()
        )
    context: dict[str, Any] = {
        "election": election,
        "motion": election.motion,
        "rounds": rounds,
        "current": current,
        "ballot": ballot,
        "runs": runs,
        "appointment": appointment,
        "entry": entry,
        "can_vote": ballot.status == Ballot.Status.OPEN
        and entry is not None
        and entry.reason == ElectorateEntry.Reason.ENTITLED
        and entry.voted_at is None,
        "form": CandidateVoteForm(choices=elections.valid_choices(ballot.pk)),
    }
    if entry is not None:
        context["state_status"] = selectors.state_vote_label(ballot, entry=entry, vote=None, keys=[], user=request.user)
    if ballot.status == Ballot.Status.OPEN:
        context["turnout"] = selectors.turnout(ballot.pk)
    if runs and ballot.status == Ballot.Status.DRAFT:
        context["quorum"] = selectors.quorum_before_opening(ballot)
    if is_secretariat(request.user) and ballot.status != Ballot.Status.DRAFT:
        context["integrity"] = services.verify_ballot(ballot_id=ballot.pk)
    return render(request, "governance/election_detail.html", context)


def _current_round(election: Election) -> ElectionRound:
    return election.rounds.select_related("ballot").order_by("-number")[0]


@login_required
@require_POST
def election_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 1 → 2: show the chosen candidate back and ask for confirmation."""
    election = _election_for(request, pk)
    ballot = _current_round(election).ballot
    choices = elections.valid_choices(ballot.pk)
    form = CandidateVoteForm(request.POST, choices=choices)
    if not form.is_valid():
        messages.error(request, _("Choose one of this round's candidates, or abstain."))
        return redirect("governance:election", pk=election.pk)
    try:  # entitlement is checked on every step, not only when the vote is cast
        services.check_may_cast(ballot_id=ballot.pk, user=request.user)
    except services.GovernanceError as exc:
        messages.error(request, exc.message)
        return redirect("governance:election", pk=election.pk)
    choice = form.cleaned_data["choice"]
    return render(
        request,
        "governance/election_confirm.html",
        {"election": election, "ballot": ballot, "choice": choice, "choice_label": choices[choice]},
    )


@login_required
@require_POST
def election_vote(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 2: cast the confirmed vote and show its receipt."""
    election = _election_for(request, pk)
    ballot = _current_round(election).ballot
    if request.POST.get("confirmed") != "1" or str(request.POST.get("ballot")) != str(ballot.pk):
        messages.error(request, _("Confirm your vote to cast it."))
        return redirect("governance:election", pk=election.pk)
    try:
        receipt = services.cast_vote(ballot_id=ballot.pk, user=request.user, choice=request.POST.get("choice", ""))
    except services.GovernanceError as exc:
        messages.error(request, exc.message)
        return redirect("governance:election", pk=election.pk)
    return render(request, "governance/election_receipt.html", {"election": election, "receipt": receipt})


def _transition(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    election = _election_for(request, pk)
    if not runs_ballots(request.user):
        raise PermissionDenied
    ballot_id = request.POST.get("ballot", "")
    election_round = (
        ElectionRound.objects.filter(election=election, ballot_id=int(ballot_id)).first()
        if ballot_id.isdigit()
        else None
    )
    if election_round is None:
        messages.error(request, _("Choose a round of this election."))
        return redirect("governance:election", pk=election.pk)
    ballot = election_round.ballot
    try:
        services.BALLOT_TRANSITIONS[action](actor=request.user, ballot_id=ballot.pk)
    except services.GovernanceError as exc:
        messages.error(request, exc.message)
    else:
        done = {
            "open": _("The round is open."),
            "close": _("The round is closed."),
            "publish": _("The result is published."),
        }
        messages.success(request, done[action])
    return redirect("governance:election", pk=election.pk)


@login_required
@require_POST
def election_open(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, "open")


@login_required
@require_POST
def election_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, "close")


@login_required
@require_POST
def election_publish(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, "publish")
