"""Pages of compute: a project's usage against its quota, its jobs with their charge, the allocation
request form, staff utilisation and the unmatched queue, and the public transparency report."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import floatformat
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cernai.core import charts

from . import charging, selectors, services
from .forms import AllocationRequestForm, MemberForm
from .models import Allocation, Project, Unit, UsageRecord
from .permissions import can_manage_project, can_request_allocation, can_view_project

JOBS_PER_PAGE = 50
# Beyond this page (50 million jobs) the answer is "not found" without asking the database.
MAX_JOBS_PAGE = 1_000_000
TOP_USERS = 25


def _visible_project(request: HttpRequest, code: str) -> Project:
    project = get_object_or_404(Project.objects.select_related("pi", "home_state"), code=code)
    if not can_view_project(request.user, project):
        # Not found rather than forbidden: project codes of others are not disclosed.
        raise Http404
    return project


@login_required
def my_projects(request: HttpRequest) -> HttpResponse:
    projects = list(selectors.projects_for(request.user).order_by("code")[:200])
    allocations = list(Allocation.objects.filter(project__in=projects).select_related("resource", "project"))
    storage = selectors.storage_use(allocations)
    by_project: dict[int, list[Allocation]] = {}
    for allocation in allocations:
        allocation.storage = storage.get(allocation.pk)  # type: ignore[attr-defined]
        by_project.setdefault(allocation.project_id, []).append(allocation)
    rows = [{"project": p, "allocations": by_project.get(p.pk, [])} for p in projects]
    return render(request, "compute/my_projects.html", {"rows": rows})


def _chart(allocation: Allocation, monthly: list[dict[str, Any]]) -> dict[str, Any]:
    """Cumulative usage within the allocation's own period on its cluster, against its grant."""
    key = _unit_key(allocation)
    return charts.usage_against_quota(
        [f"{row['month']:%Y-%m}" for row in monthly],
        selectors.cumulative_series(monthly, key),
        allocation.amount,
        used_label=_("Used (cumulative)"),
        quota_label=_("Granted"),
    )


def _unit_key(allocation: Allocation) -> str:
    return "gpu_hours" if allocation.resource.unit == Unit.GPU_HOURS else "core_hours"


def _chart_rows(allocation: Allocation, monthly: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The chart's numbers for the table beside it: each month's usage and the running total."""
    key = _unit_key(allocation)
    totals = selectors.cumulative_series(monthly, key)
    return [
        {"month": row["month"], "used": row[key], "cumulative": total}
        for row, total in zip(monthly, totals, strict=True)
    ]


@login_required
def project_detail(request: HttpRequest, code: str) -> HttpResponse:
    project = _visible_project(request, code)
    accounts = selectors.project_accounts(project)
    usage = selectors.project_usage(accounts)
    monthly, by_user, cells = usage.monthly, usage.by_user, usage.cells
    allocations = list(project.allocations.select_related("resource__cluster").order_by("-start", "pk"))
    storage = selectors.storage_use(allocations)
    for a in allocations:
        a.storage = storage.get(a.pk)  # type: ignore[attr-defined]
    usage_charts = []
    for a in allocations:
        if a.resource.unit in (Unit.GPU_HOURS, Unit.CORE_HOURS):
            in_period = selectors.allocation_monthly_usage(a, cells)
            usage_charts.append(
                {
                    "allocation": a,
                    "chart_id": f"chart-allocation-{a.pk}",
                    "config": _chart(a, in_period),
                    "rows": _chart_rows(a, in_period),
                }
            )
    context = {
        "project": project,
        "accounts": accounts,
        "allocations": allocations,
        "charts": usage_charts,
        "storage_allocations": [a for a in allocations if a.pk in storage],
        "monthly": monthly,
        "by_user": by_user[:TOP_USERS],
        "more_users": max(0, len(by_user) - TOP_USERS),
        "requests": project.requests.select_related("resource", "call").order_by("-submitted_at")[:20],
        "can_request": can_request_allocation(request.user, project),
        "can_manage": can_manage_project(request.user, project),
        "memberships": project.memberships.select_related("user").order_by("user__name", "pk"),
        "member_form": MemberForm(prefix="member"),
    }
    return render(request, "compute/project_detail.html", context)


def _job_row(r: UsageRecord) -> dict[str, Any]:
    """A job's cells, formatted once here rather than by template filters in each of the 50 rows
    (the same text: hours by ``floatformat`` in the active language, the UTC start as ``Y-m-d H:i:s``)."""
    start = r.start_utc
    started = start is not None
    return {
        "cluster": r.cluster.name,
        "job_id": r.job_id,
        "user": r.user,
        "state": r.state,
        "start_utc": start.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if start is not None else "",
        "start_local": f"{r.start_local[:10]} {r.start_local[11:]} {r.cluster.timezone}" if started else "",
        "elapsed": r.elapsed,
        "charged": started and bool(r.elapsed),
        "gpus": r.gpus,
        "cpus": r.cpus,
        "late": r.late,
        "gpu_hours": floatformat(charging.hours(r.gpu_seconds), 4),
        "core_hours": floatformat(charging.hours(r.core_seconds), 4),
    }


@login_required
def project_jobs(request: HttpRequest, code: str) -> HttpResponse:
    project = _visible_project(request, code)
    accounts = selectors.project_accounts(project)
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    if page > MAX_JOBS_PAGE:
        raise Http404
    offset = (page - 1) * JOBS_PER_PAGE
    # One more row than shown tells whether there is a next page without counting millions of rows.
    records = selectors.project_records_page(accounts, offset, JOBS_PER_PAGE + 1)
    if page > 1 and not records:  # past the last page
        raise Http404
    has_next = len(records) > JOBS_PER_PAGE
    rows = [_job_row(r) for r in records[:JOBS_PER_PAGE]]
    return render(
        request,
        "compute/project_jobs.html",
        {"project": project, "rows": rows, "page": page, "has_next": has_next, "has_previous": page > 1},
    )


@login_required
def request_allocation(request: HttpRequest, code: str) -> HttpResponse:
    project = _visible_project(request, code)
    if not can_request_allocation(request.user, project):
        raise PermissionDenied
    form = AllocationRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.submit_request(
                call=form.cleaned_data["call"],
                project=project,
                resource=form.cleaned_data["resource"],
                amount=form.cleaned_data["amount"],
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
                justification=form.cleaned_data["justification"],
                submitted_by=request.user,
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Your request is submitted; the secretariat will review it."))
            return redirect("compute:project_detail", code=project.code)
    return render(request, "compute/request_form.html", {"project": project, "form": form})


def transparency(request: HttpRequest) -> HttpResponse:
    report = selectors.allocations_report()
    states = [r for r in report["by_member_state"] if r["allocations"] or r.get("contribution_share")]
    chart = charts.bar_chart(
        [r["label"] for r in states],
        [
            charts.dataset(_("Share of GPU-hours granted (%)"), [r["gpu_share"] for r in states]),
            charts.dataset(_("Contribution share (%)"), [r["contribution_share"] for r in states]),
        ],
        percent=True,
        horizontal=True,
    )
    return render(
        request,
        "compute/transparency.html",
        {"report": report, "states": states, "chart": chart, "generated_at": timezone.now()},
    )


@staff_member_required
def staff_utilisation(request: HttpRequest) -> HttpResponse:
    rows = selectors.resource_utilisation()
    chart = charts.bar_chart(
        [str(r["period"]) for r in rows],
        [
            charts.dataset(_("Granted (% of capacity)"), [round(r["granted_percent"], 2) for r in rows]),
            charts.dataset(_("Used (% of capacity)"), [round(r["used_percent"], 2) for r in rows]),
        ],
        percent=True,
    )
    return render(
        request,
        "compute/staff_utilisation.html",
        {"rows": rows, "chart": chart, "pending": selectors.pending_requests()[:50]},
    )


@staff_member_required
def staff_unmatched(request: HttpRequest) -> HttpResponse:
    records = list(selectors.unmatched_records()[:200])
    storage = selectors.unmatched_storage()
    return render(request, "compute/staff_unmatched.html", {"records": records, "storage": storage})


@staff_member_required
@require_POST
def staff_rematch(request: HttpRequest) -> HttpResponse:
    changed = services.rematch_records(actor=request.user)
    messages.success(request, _("%(n)d account(s) re-matched and re-accounted.") % {"n": changed})
    return redirect("compute:staff_unmatched")
