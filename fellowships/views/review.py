"""Reviewing: the queue, the scoring form, conflict declarations, blind-safe documents."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cernai.core.files import open_file
from cernai.core.lists import link_for_each, page_of_keys

from .. import services
from ..documents import UncleanablePdf, without_metadata
from ..forms import ConflictForm, ReviewForm
from ..models import ReviewAssignment
from ..selectors import active_assignments, criteria_of, review_queue, review_queue_rows

# What the review page shows of an assignment, read with it.
_FOR_THE_PAGE = ("application__call", "application__host_site", "application__applicant")


def own_assignment(request: HttpRequest, pk: int, related: tuple[str, ...] = _FOR_THE_PAGE) -> ReviewAssignment:
    """An assignment that still gives access; a declared conflict or someone else's is a 404."""
    assignment = active_assignments(request.user).select_related(*related).filter(pk=pk).first()
    if assignment is None:
        raise Http404(_("No such assignment."))
    return assignment


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    # The page is cut from the keys alone, then only its 50 rows are read: a queue of a thousand costs
    # what a queue of ten does (quality.md B3).
    page = page_of_keys(review_queue(request.user), request.GET.get("page"), 50)
    rows = review_queue_rows(list(page))
    link = link_for_each("fellowships:review_form")
    for row in rows:
        row["url"] = link(row["pk"])
    return render(request, "fellowships/review_queue.html", {"rows": rows, "page": page})


@login_required
def review_form(request: HttpRequest, pk: int) -> HttpResponse:
    # A submission reads the assignment with its call (the criteria); only a page shown again after
    # a refusal reads the rest (the host site, the applicant) as it renders.
    assignment = own_assignment(request, pk, ("application__call",) if request.method == "POST" else _FOR_THE_PAGE)
    application = assignment.application
    criteria = criteria_of(application.call)
    form = ReviewForm(request.POST or None, criteria=criteria)
    # A submission is checked by the service (a second review of the revision is refused there);
    # the review already written is read only for the page.
    if request.method == "POST" and form.is_valid():
        raw = {c.key: form.cleaned_data.get(f"score_{c.key}") for c in criteria}
        try:
            services.submit_review(
                assignment=assignment, reviewer=request.user, raw_scores=raw, comment=form.cleaned_data["comment"]
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for key, errors in exc.message_dict.items():
                    form.add_error(f"score_{key}" if f"score_{key}" in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            messages.success(request, _("Your review was submitted."))
            return redirect("fellowships:review_queue")
    return render(
        request,
        "fellowships/review_form.html",
        {
            "assignment": assignment,
            "application": application,
            "blind": application.call.blind,
            "form": form,
            "done": assignment.reviews.filter(revision=application.revision).first(),
            "conflict_form": ConflictForm(prefix="coi"),
            "stays": application.stays.all(),
            "criteria": criteria,
            # Letters name the applicant: not in blind calls.
            "letters": [] if application.call.blind else application.referees.filter(letter__isnull=False),
        },
    )


@login_required
@require_POST
def declare_conflict(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = own_assignment(request, pk)
    form = ConflictForm(request.POST, prefix="coi")
    if not form.is_valid():
        messages.error(request, _("Say briefly why you have a conflict of interest."))
        return redirect("fellowships:review_form", pk=pk)
    services.declare_conflict(assignment=assignment, reviewer=request.user, reason=form.cleaned_data["reason"])
    messages.success(request, _("Conflict recorded: the application was removed from your queue."))
    return redirect("fellowships:review_queue")


@login_required
def review_plan(request: HttpRequest, pk: int) -> HttpResponse | FileResponse:
    """The research plan under a neutral name; in a blind call rewritten without its metadata, so blind
    reviewers learn nothing of its author from the file (documents.without_metadata)."""
    application = own_assignment(request, pk).application
    if application.plan_file is None:
        raise Http404(_("No plan was uploaded."))
    filename = f"plan-{application.reference}.pdf"
    response: HttpResponse | FileResponse
    if application.call.blind:
        with open_file(application.plan_file) as source:
            try:
                cleaned = without_metadata(source)
            except UncleanablePdf as exc:
                raise Http404(_("This plan cannot be shown blind; the secretariat can send it to you.")) from exc
        response = HttpResponse(cleaned, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    else:
        response = FileResponse(
            open_file(application.plan_file),
            as_attachment=True,
            filename=filename,
            content_type=application.plan_file.content_type,
        )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
