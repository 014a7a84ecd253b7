"""A project's own people manage it: the PI and managers add and remove members and ask for a
renewal or an extension (more time or quota) of an allocation, reviewed like any request."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cernai.core.errors import Refusal

from . import services
from .forms import ExtensionForm, MemberForm, RenewalForm
from .models import Allocation, Project
from .permissions import can_manage_project
from .views import _visible_project


def _managed_project(request: HttpRequest, code: str) -> Project:
    project = _visible_project(request, code)
    if not can_manage_project(request.user, project):
        raise PermissionDenied
    return project


def _show_refusal(form: Form, exc: Refusal | ValidationError) -> None:
    if isinstance(exc, Refusal):
        form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        return
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


@login_required
@require_POST
def add_member(request: HttpRequest, code: str) -> HttpResponse:
    project = _managed_project(request, code)
    form = MemberForm(request.POST, prefix="member")
    if form.is_valid():
        try:
            membership = services.add_member(
                project=project, email=form.cleaned_data["email"], role=form.cleaned_data["role"], actor=request.user
            )
        except Refusal as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("%(name)s is now in the project.") % {"name": membership.user})
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            text = " ".join(str(e) for e in errors)
            messages.error(request, f"{label}: {text}" if label else text)
    return redirect("compute:project_detail", code=project.code)


@login_required
@require_POST
def remove_member(request: HttpRequest, code: str, user_id: int) -> HttpResponse:
    project = _managed_project(request, code)
    user = get_object_or_404(get_user_model(), pk=user_id)
    try:
        services.remove_member(project=project, user=user, actor=request.user)
    except Refusal as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("%(name)s is no longer in the project.") % {"name": user})
    return redirect("compute:project_detail", code=project.code)


def _allocation(project: Project, pk: int) -> Allocation:
    return get_object_or_404(Allocation.objects.select_related("resource", "period"), project=project, pk=pk)


def _page(request: HttpRequest, project: Project, allocation: Allocation, form: Form, title: str) -> HttpResponse:
    context: dict[str, Any] = {"project": project, "allocation": allocation, "form": form, "title": title}
    return render(request, "compute/allocation_request_form.html", context)


@login_required
def request_renewal(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    project = _managed_project(request, code)
    allocation = _allocation(project, pk)
    form = RenewalForm(request.POST or None, allocation=allocation)
    if request.method == "POST" and form.is_valid():
        try:
            services.submit_request(
                call=form.cleaned_data["call"],
                project=project,
                resource=allocation.resource,
                amount=form.cleaned_data["amount"],
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
                justification=form.cleaned_data["justification"],
                submitted_by=request.user,
                renews=allocation,
            )
        except ValidationError as exc:
            _show_refusal(form, exc)
        else:
            messages.success(request, _("Your renewal request is submitted; it is reviewed like any request."))
            return redirect("compute:project_detail", code=project.code)
    return _page(request, project, allocation, form, _("Request a renewal"))


@login_required
def request_extension(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    project = _managed_project(request, code)
    allocation = _allocation(project, pk)
    form = ExtensionForm(request.POST or None, initial={"end": allocation.end})
    if request.method == "POST" and form.is_valid():
        try:
            services.request_extension(
                allocation=allocation,
                amount=form.cleaned_data["amount"],
                end=form.cleaned_data["end"],
                justification=form.cleaned_data["justification"],
                submitted_by=request.user,
            )
        except Refusal as refusal:
            _show_refusal(form, refusal)
        else:
            messages.success(request, _("Your extension request is submitted; it is reviewed like any request."))
            return redirect("compute:project_detail", code=project.code)
    return _page(request, project, allocation, form, _("Request more time or quota"))
