"""Reviewers' pages for allocation requests: the queue, the request with the review form, and the
declaration of a conflict (which ends access at once)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cernai.core.errors import Refusal

from . import selectors, services
from .forms import ConflictForm, ReviewForm
from .models import ReviewerAssignment


def _own_assignment(request: HttpRequest, pk: int) -> ReviewerAssignment:
    """An assignment that still gives access; someone else's or a conflicted one is a 404."""
    assignment = (
        selectors.active_assignments(request.user)
        .select_related(
            "request__project__pi", "request__resource", "request__call", "request__renews", "request__submitted_by"
        )
        .filter(pk=pk)
        .first()
    )
    if assignment is None:
        raise Http404(_("No such assignment."))
    return assignment


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.review_queue(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "compute/review_queue.html", {"assignments": page, "page": page})


@login_required
def review_form(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _own_assignment(request, pk)
    allocation_request = assignment.request
    current = allocation_request.reviews.filter(reviewer=assignment.reviewer_id, kind=assignment.kind).first()
    initial = {"verdict": current.verdict, "score": current.score, "comment": current.comment} if current else None
    form = ReviewForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_review(
                assignment=assignment,
                reviewer=request.user,
                verdict=form.cleaned_data["verdict"],
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except Refusal as refusal:
            form.add_error(refusal.field if refusal.field in form.fields else None, str(refusal))
        else:
            messages.success(request, _("Your review is recorded."))
            return redirect("compute:review_queue")
    context = {
        "assignment": assignment,
        "r": allocation_request,
        "form": form,
        "conflict_form": ConflictForm(prefix="coi"),
        "current": current,
    }
    return render(request, "compute/review_form.html", context)


@login_required
@require_POST
def declare_conflict(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _own_assignment(request, pk)
    form = ConflictForm(request.POST, prefix="coi")
    if form.is_valid():
        try:
            services.declare_conflict(assignment=assignment, reviewer=request.user, reason=form.cleaned_data["reason"])
        except Refusal as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("Your conflict is declared; the request is no longer in your queue."))
            return redirect("compute:review_queue")
    else:
        messages.error(request, _("Say what the conflict is."))
    return redirect("compute:review_form", pk=assignment.pk)
