"""Applying: the multi-step form with drafts, documents and referees, submission, status, own data."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from .. import services
from ..forms import (
    BreakFormSet,
    CareerForm,
    DetailsForm,
    DocumentForm,
    ProjectForm,
    RefereeForm,
    ReturnReportForm,
    StayFormSet,
)
from ..models import Application, Call, ErasureRequest, Placement
from ..selectors import applications_of
from ..services.applications import compute_eligibility, missing_fields

STEPS = [  # lazy: translated in the language of each request, not once at import
    (1, gettext_lazy("Details")),
    (2, gettext_lazy("Project")),
    (3, gettext_lazy("Career and stays")),
    (4, gettext_lazy("Documents and referees")),
    (5, gettext_lazy("Check and submit")),
]
BLIND_NOTICE_STEPS = (2, 4)  # where the applicant writes the project and uploads the plan


def own_application(request: HttpRequest, pk: int) -> Application:
    """The applicant's own application; anyone else's is a 404 (its existence is private)."""
    return get_object_or_404(applications_of(request.user), pk=pk)  # login_required: never anonymous


@login_required
def my_applications(request: HttpRequest) -> HttpResponse:
    return render(request, "fellowships/my_applications.html", {"applications": applications_of(request.user)})


@login_required
@require_POST
def apply(request: HttpRequest, slug: str) -> HttpResponse:
    call = get_object_or_404(Call, slug=slug)
    existing = call.applications.filter(applicant=request.user).first()  # type: ignore[misc]
    if existing is None and not call.is_open():
        messages.error(request, _("This call is not open."))
        return redirect("fellowships:call_detail", slug=slug)
    application = existing or services.start_application(call=call, applicant=request.user)
    return redirect(
        "fellowships:application_step", pk=application.pk, step=application.step if application.editable else 5
    )


def _step_context(application: Application, step: int, **extra: Any) -> dict[str, Any]:
    return {
        "application": application,
        "call": application.call,
        "step": step,
        "steps": STEPS,
        "blind_steps": BLIND_NOTICE_STEPS,
        **extra,
    }


@login_required
def application_step(request: HttpRequest, pk: int, step: int) -> HttpResponse:
    application = own_application(request, pk)
    if not application.editable:
        return redirect("fellowships:application_status", pk=pk)
    if step not in dict(STEPS):
        raise Http404
    post = request.POST if request.method == "POST" else None
    context: dict[str, Any] = {}
    try:
        if step == 1:
            form: Any = DetailsForm(post, instance=application, call=application.call, prefix="d")
            if post is not None and form.is_valid():
                data = {k: form.cleaned_data[k] for k in form.Meta.fields}
                services.save_draft(application=application, actor=request.user, fields={**data, "step": 2})
                return _next(request, pk, step)
            context["form"] = form
        elif step == 2:
            form = ProjectForm(post, instance=application, prefix="p")
            if post is not None and form.is_valid():
                services.save_draft(
                    application=application, actor=request.user, fields={**form.cleaned_data, "step": 3}
                )
                return _next(request, pk, step)
            context["form"] = form
        elif step == 3:
            form = CareerForm(post, instance=application, prefix="c")
            stays = StayFormSet(
                post,
                prefix="stays",
                initial=[{"country": s.country, "start": s.start, "end": s.end} for s in application.stays.all()],
            )
            breaks = BreakFormSet(
                post,
                prefix="breaks",
                initial=[{"kind": b.kind, "start": b.start, "end": b.end} for b in application.career_breaks.all()],
            )
            if post is not None and form.is_valid() and stays.is_valid() and breaks.is_valid():
                services.save_draft(
                    application=application,
                    actor=request.user,
                    fields={**form.cleaned_data, "step": 4},
                    stays=[(f["country"], f["start"], f["end"]) for f in stays.cleaned_data if f.get("start")],
                    breaks=[(f["kind"], f["start"], f["end"]) for f in breaks.cleaned_data if f.get("start")],
                )
                return _next(request, pk, step)
            context.update(form=form, stays=stays, breaks=breaks)
        elif step == 4:
            context.update(documents=DocumentForm(prefix="doc"), referee_form=RefereeForm(prefix="ref"))
            context["referees"] = application.referees.all()
        else:
            context["missing"] = missing_fields(application)
            context["preview"] = compute_eligibility(application) if application.host_site_id else []
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return render(request, "fellowships/application_step.html", _step_context(application, step, **context))


def _next(request: HttpRequest, pk: int, step: int) -> HttpResponse:
    messages.success(request, _("Saved. You can leave and come back at any time."))
    if request.POST.get("action") == "stay":
        return redirect("fellowships:application_step", pk=pk, step=step)
    return redirect("fellowships:application_step", pk=pk, step=min(step + 1, 5))


@login_required
@require_POST
def upload_documents(request: HttpRequest, pk: int) -> HttpResponse:
    application = own_application(request, pk)
    form = DocumentForm(request.POST, request.FILES, prefix="doc")
    if form.is_valid():
        stored = 0
        for kind in ("cv", "plan_file"):
            upload = form.cleaned_data.get(kind)
            if upload:
                try:
                    services.attach_document(application=application, actor=request.user, upload=upload, kind=kind)
                    stored += 1
                except ValidationError as exc:
                    messages.error(request, " ".join(exc.messages))
        if stored:
            messages.success(request, _("Document saved."))
    else:
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label}: {' '.join(str(e) for e in errors)}")
    return redirect("fellowships:application_step", pk=pk, step=4)


@login_required
@require_POST
def invite_referee(request: HttpRequest, pk: int) -> HttpResponse:
    application = own_application(request, pk)
    form = RefereeForm(request.POST, prefix="ref")
    if form.is_valid():
        try:
            services.invite_referee(application=application, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("%(name)s was invited by email.") % {"name": form.cleaned_data["name"]})
    else:
        messages.error(request, _("Give the referee's name and a valid email address."))
    return redirect("fellowships:application_step", pk=pk, step=4)


@login_required
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    application = own_application(request, pk)
    if not request.POST.get("confirm"):
        messages.error(request, _("Confirm that you checked your application: tick the box above the submit button."))
        return redirect("fellowships:application_step", pk=pk, step=5)
    try:
        services.submit_application(application=application, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("fellowships:application_step", pk=pk, step=5)
    messages.success(request, _("Your application was submitted. A confirmation is on its way by email."))
    return redirect("fellowships:application_status", pk=pk)


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    application = own_application(request, pk)
    if not request.POST.get("confirm"):
        messages.error(request, _("Tick the box to confirm that you want to withdraw this application."))
        return redirect("fellowships:application_status", pk=pk)
    try:
        services.withdraw_application(application=application, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your application was withdrawn."))
    return redirect("fellowships:application_status", pk=pk)


@login_required
def application_status(request: HttpRequest, pk: int) -> HttpResponse:
    application = own_application(request, pk)
    placement = Placement.objects.filter(application=application).select_related("host_site").first()
    report_form = None
    if placement is not None:
        report_form = ReturnReportForm(request.POST or None, instance=placement, prefix="report")
        if request.method == "POST" and report_form.is_valid():
            services.submit_return_report(
                placement=placement,
                actor=request.user,
                text=report_form.cleaned_data["report_text"],
                returned_country=report_form.cleaned_data["returned_country"] or "",
                returned_on=report_form.cleaned_data["returned_on"],
            )
            messages.success(request, _("Your return report was saved."))
            return redirect("fellowships:application_status", pk=pk)
    return render(
        request,
        "fellowships/application_status.html",
        {
            "application": application,
            "referees": application.referees.all(),
            "placement": placement,
            "report_form": report_form,
            "today": timezone.localdate(),
            "withdrawable": application.status in services.applications.WITHDRAWABLE,
        },
    )


@login_required
def my_data(request: HttpRequest) -> HttpResponse:
    if request.GET.get("download"):
        payload = json.dumps(services.export_data_of(request.user), indent=2, ensure_ascii=False)
        response = HttpResponse(payload, content_type="application/json; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="my-fellowships-data.json"'
        return response
    erasure = ErasureRequest.objects.filter(user=request.user).first()  # type: ignore[misc]
    return render(request, "fellowships/my_data.html", {"erasure": erasure})


@login_required
@require_POST
def request_erasure(request: HttpRequest) -> HttpResponse:
    erasure = services.request_erasure(user=request.user)
    messages.success(
        request,
        _("Your erasure request is recorded; it will be carried out on %(date)s, after the retention period.")
        % {"date": timezone.localtime(erasure.due_at).date().isoformat()},
    )
    return redirect("fellowships:my_data")
