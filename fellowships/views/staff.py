"""Staff pages where the admin is clumsy: applications of a call, assignment, ranking, decisions, exports."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cernai.core.lists import link_for_each, page_of_keys

from .. import services
from ..assignment_overview import reviewer_overview, selected_applications
from ..forms import AssignForm, InfoRequestForm, OverrideForm, RejectForm
from ..models import Application, Call, ExportJob
from ..permissions import is_fellowships_staff
from ..selectors import (
    application_list_rows,
    criteria_of,
    overdue_reports,
    ranked_list,
    reviewer_pool,
    scores_of,
    search_q,
)

PAGE_SIZE = 50


def staff_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_fellowships_staff(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def reviewer_choices() -> Any:
    return reviewer_pool()


@staff_only
def calls(request: HttpRequest) -> HttpResponse:
    rows = Call.objects.select_related("programme").order_by("-deadline")
    return render(request, "fellowships/staff/calls.html", {"calls": rows, "overdue": list(overdue_reports()[:50])})


def _application_rows(ids: list[int]) -> list[dict[str, Any]]:
    """The rows of one page of the applications list, their cells worked out here: rendered by template
    tags and filters, the list's 50 rows were most of the page's time. Words are translated once per
    page, not once per row, and the link is the one URL with each row's key put in."""
    applications, reviewers = application_list_rows(ids)
    eligible = {None: "—", True: _("yes"), False: _("no")}
    override, conflict, select = _("override"), _("conflict"), _("Select %(ref)s")
    # str(): capfirst keeps a lazy label lazy, and each row would translate it again.
    status_labels = {value: capfirst(str(label)) for value, label in Application.Status.choices}
    url = link_for_each("fellowships:staff_application")
    rows = []
    for a in applications:
        names = reviewers.get(a.pk, [])
        rows.append(
            {
                "pk": a.pk,
                "reference": a.reference,
                "url": url(a.pk),
                "select_label": select % {"ref": a.reference},
                "applicant": a.applicant.name,
                "status": a.status,
                "status_label": status_labels.get(a.status) or capfirst(a.status),
                "eligible": eligible[a.is_eligible] + (f" ({override})" if a.eligibility_override is not None else ""),
                "reviewers": ", ".join(f"{name} ({conflict})" if conflicted else name for name, conflicted in names),
                "current_reviews": a.current_reviews,  # type: ignore[attr-defined]
            }
        )
    return rows


@staff_only
def call_applications(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(Call, pk=pk)
    term = request.GET.get("q", "").strip()
    matching = call.applications.filter(search_q(term)) if term else call.applications.all()
    # The page is cut from the ids alone (an index-only scan on call and id), then only its 50 rows
    # are read: page 100 of 10,000 costs what page 1 costs.
    page = page_of_keys(matching.order_by("id"), request.GET.get("page"), PAGE_SIZE)
    return render(
        request,
        "fellowships/staff/call_applications.html",
        {
            "call": call,
            "page": page,
            "applications": _application_rows(list(page)),
            "q": term,
            "exports": call.exports.all()[:5],
        },
    )


@staff_only
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    """The selected applications, every reviewer's load and conflicts with them, and checkboxes to
    assign; conflicted reviewers are shown with the reason and cannot be ticked."""
    call = get_object_or_404(Call, pk=pk)
    source = request.POST if request.method == "POST" else request.GET
    ids = [int(i) for i in source.getlist("applications") if i.isdigit()]
    applications = selected_applications(call, ids)
    if not applications:
        messages.error(request, _("Choose at least one application, then its reviewers."))
        return redirect("fellowships:staff_call", pk=pk)
    form = AssignForm(request.POST if request.method == "POST" else None, reviewers=reviewer_choices(), prefix="assign")
    if request.method == "POST" and form.is_valid():
        report = services.assign_reviewers(
            applications=applications,
            reviewers=form.cleaned_data["reviewers"],
            actor=request.user,
            override_justification=form.cleaned_data["justification"],
        )
        messages.success(
            request,
            _("%(n)d assignment(s) made, %(o)d with a conflict overridden, %(e)d already existed.")
            % {"n": len(report.created), "o": len(report.overridden), "e": report.existing},
        )
        for application, reviewer, reason in report.refused:
            messages.error(
                request,
                _("Refused: %(reviewer)s for %(ref)s — %(reason)s.")
                % {"reviewer": reviewer, "ref": application.reference, "reason": reason},
            )
        return redirect("fellowships:staff_call", pk=pk)
    return render(
        request,
        "fellowships/staff/assign.html",
        {"call": call, "applications": applications, "rows": reviewer_overview(call, applications), "form": form},
    )


@staff_only
def ranking(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(Call.objects.prefetch_related("criteria"), pk=pk)
    rows = ranked_list(call)
    # Ranked over the whole call; shown 100 at a time (the bulk decision covers the page shown).
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(
        request,
        "fellowships/staff/ranking.html",
        {
            "call": call,
            "rows": page.object_list,
            "page": page,
            "criteria": criteria_of(call),
            "accepted": sum(1 for r in rows if r.application.status == Application.Status.ACCEPTED),
        },
    )


@staff_only
@require_POST
def decide_bulk(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(Call, pk=pk)
    decisions: dict[int, str] = {}
    for key, value in request.POST.items():
        if key.startswith("decision_") and value:
            decisions[int(key.removeprefix("decision_"))] = str(value)
    ids = set(call.applications.filter(pk__in=decisions).values_list("pk", flat=True))
    decisions = {k: v for k, v in decisions.items() if k in ids}
    if not decisions:
        messages.error(request, _("Choose a decision for at least one application."))
        return redirect("fellowships:staff_ranking", pk=pk)
    try:
        decided = services.decide_in_bulk(
            decisions=decisions, actor=request.user, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("%(n)d decision(s) recorded and sent.") % {"n": len(decided)})
    return redirect("fellowships:staff_ranking", pk=pk)


@staff_only
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_object_or_404(
        Application.objects.select_related("call", "applicant", "host_site", "cv", "plan_file"), pk=pk
    )
    criteria = criteria_of(application.call)
    reviews = [
        {"review": r, "scores": [(c.name, scores_of(r).get(c.key)) for c in criteria]}
        for r in application.reviews.select_related("assignment__reviewer").order_by("-revision", "id")
    ]
    return render(
        request,
        "fellowships/staff/application.html",
        {
            "application": application,
            "reviews": reviews,
            "assignments": application.assignments.select_related("reviewer"),
            "referees": application.referees.select_related("letter"),
            "stays": application.stays.all(),
            "breaks": application.career_breaks.all(),
            "override_form": OverrideForm(prefix="ov"),
            "info_form": InfoRequestForm(prefix="info"),
            "reject_form": RejectForm(prefix="rej"),
        },
    )


@staff_only
@require_POST
def application_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    application = get_object_or_404(Application, pk=pk)
    try:
        if action == "override":
            form: Any = OverrideForm(request.POST, prefix="ov")
            if not form.is_valid():
                raise ValidationError(_("An override needs a choice and a written justification."))
            services.override_eligibility(
                application=application,
                actor=request.user,
                eligible=form.cleaned_data["eligible"],
                justification=form.cleaned_data["justification"],
            )
        elif action == "info":
            form = InfoRequestForm(request.POST, prefix="info")
            if not form.is_valid():
                raise ValidationError(_("Say what information is needed."))
            services.request_more_information(
                application=application, actor=request.user, message=form.cleaned_data["message"]
            )
        elif action == "rejected":
            form = RejectForm(request.POST, prefix="rej")
            if not form.is_valid():
                raise ValidationError(form.errors["reason"])
            services.decide(
                application=application, actor=request.user, decision=action, reason=form.cleaned_data["reason"]
            )
        elif action in ("accepted", "waitlisted"):
            services.decide(application=application, actor=request.user, decision=action)
        else:
            raise ValidationError(_("Unknown action."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Done."))
    return redirect("fellowships:staff_application", pk=pk)


@staff_only
@require_POST
def export(request: HttpRequest, pk: int) -> HttpResponse:
    call = get_object_or_404(Call, pk=pk)
    fmt = request.POST.get("format", "csv")
    if fmt not in ExportJob.Format.values:
        fmt = "csv"
    job = services.request_export(call=call, actor=request.user, format=fmt)
    return redirect("fellowships:staff_export", pk=job.pk)


@staff_only
def export_status(request: HttpRequest, pk: int) -> HttpResponse:
    job = get_object_or_404(ExportJob.objects.select_related("call", "file"), pk=pk)
    template = "fellowships/staff/export.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#progress"
    return render(request, template, {"job": job})
