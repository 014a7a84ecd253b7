"""Placements, return reports and their reminders, and exports of a call's applications."""

from __future__ import annotations

import calendar
import csv
import io
from datetime import UTC, date, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cernai.core.audit import audit_context
from cernai.core.models import PrivateFile
from cernai.core.notifications import notify
from cernai.core.queue import enqueue_on_commit

from .. import notifications as kinds
from ..models import Call, ExportJob, Placement
from ..selectors import criteria_of, scores_of, staff_applications

REMINDER_DAYS_BEFORE = 7
TRANSITIONS = {
    Placement.Status.PLANNED: {Placement.Status.ACTIVE},
    Placement.Status.ACTIVE: {Placement.Status.COMPLETED},
    Placement.Status.COMPLETED: set(),
}


def report_due_for(end: date) -> date:
    """One calendar month after the end (the last day of a shorter month when needed)."""
    year, month = (end.year + 1, 1) if end.month == 12 else (end.year, end.month + 1)
    return date(year, month, min(end.day, calendar.monthrange(year, month)[1]))


def set_placement_status(*, placement: Placement, actor: Any, status: str) -> Placement:
    """Move a placement planned → active → completed."""
    with transaction.atomic(), audit_context(actor=actor, reason=f"placement {status}"):
        locked = Placement.objects.select_for_update().get(pk=placement.pk)
        if status not in TRANSITIONS[Placement.Status(locked.status)]:
            raise ValueError(
                _("A placement cannot go from %(a)s to %(b)s.") % {"a": locked.get_status_display(), "b": status}
            )
        locked.status = status
        locked.save(update_fields=["status"])
    return locked


def advance_placements(*, today: date | None = None) -> int:
    """Start placements whose start has come and complete those whose end has passed (sweeper)."""
    day = today or timezone.localdate()
    with transaction.atomic(), audit_context(actor=None, reason="placement dates reached"):
        started = Placement.objects.filter(status=Placement.Status.PLANNED, start__lte=day).update(
            status=Placement.Status.ACTIVE
        )
        ended = Placement.objects.filter(status=Placement.Status.ACTIVE, end__lte=day).update(
            status=Placement.Status.COMPLETED
        )
    return started + ended


def submit_return_report(
    *, placement: Placement, actor: Any, text: str, returned_country: str = "", returned_on: date | None = None
) -> Placement:
    """The fellow files the return report and says where they went afterwards."""
    if not text.strip():
        raise ValueError(_("The report is empty."))
    with transaction.atomic(), audit_context(actor=actor, reason="return report"):
        locked = Placement.objects.select_for_update().select_related("application").get(pk=placement.pk)
        if locked.application.applicant_id != actor.pk:
            raise PermissionError
        locked.report_text = text.strip()
        locked.report_submitted_at = locked.report_submitted_at or timezone.now()
        locked.returned_country = returned_country.upper()
        locked.returned_on = returned_on
        locked.save()
    return locked


def remind_return_reports(*, today: date | None = None) -> int:
    """Reminders 7 days before and on the due date; idempotent through the notifications' dedupe keys."""
    day = today or timezone.localdate()
    due = Placement.objects.filter(
        report_submitted_at__isnull=True, report_due__lte=day + timedelta(days=REMINDER_DAYS_BEFORE)
    ).select_related("application__applicant")
    sent = 0
    with transaction.atomic():
        for placement in due:
            which = "due" if day >= placement.report_due else "soon"
            if which == "due" and day > placement.report_due + timedelta(days=REMINDER_DAYS_BEFORE):
                continue  # long overdue: staff follow it up from the overdue list, not the robot
            notify(
                kind=kinds.REPORT_REMINDER,
                recipients=[placement.application.applicant],
                dedupe_key=f"fellowships.report:{placement.pk}:{which}",
                context={"placement": placement, "due_today": which == "due"},
                url=reverse("fellowships:application_status", args=[placement.application_id]),
            )
            sent += 1
    return sent


# --- exports ---------------------------------------------------------------------------------------


def request_export(*, call: Call, actor: Any, format: str) -> ExportJob:
    """Queue a CSV or XLSX export of a call's applications; the page polls its progress."""
    with transaction.atomic(), audit_context(actor=actor, reason="export"):
        job = ExportJob.objects.create(call=call, requested_by=actor, format=format)
        enqueue_on_commit("fellowships.build_export", job.pk)
    return job


def export_rows(call: Call, on_progress: Any = None) -> tuple[list[str], list[list[object]]]:
    criteria = criteria_of(call)
    header = [
        _("reference"), _("applicant"), _("email"), _("nationality"), _("home institution"), _("home state"),
        _("host site"), _("status"), _("revision"), _("submitted at (UTC)"), _("eligible"), _("eligibility"),
        _("override justification"), _("reviews"), _("mean total %"),
        *[f"{c.name} ({c.weight} %)" for c in criteria], _("reviews (reviewer: total; comment)"),
    ]  # fmt: skip
    rows: list[list[object]] = []
    applications = list(staff_applications(call))
    for index, a in enumerate(applications, start=1):
        current = a.current  # type: ignore[attr-defined]
        totals = [r.total_percent for r in current]
        # An application with no review has no score (never 0): the cells say so.
        none_yet = _("no reviews yet")
        means = [
            round(sum(float(scores_of(r)[c.key]) for r in current) / len(current), 2) if current else none_yet
            for c in criteria
        ]
        reviewers = {x.pk: x.reviewer for x in a.assignments.all()}  # type: ignore[attr-defined]
        rows.append([
            a.reference, a.applicant.name, a.applicant.email, a.nationality, a.home_institution, a.home_country,
            a.host_site.name if a.host_site else "", a.get_status_display(), a.revision,
            a.submitted_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if a.submitted_at else "",
            "" if a.is_eligible is None else (_("yes") if a.is_eligible else _("no")),
            " | ".join(str(r.get("reason", "")) for r in a.eligibility), a.override_justification,
            len(current), round(sum(float(t) for t in totals) / len(totals), 1) if totals else none_yet, *means,
            " | ".join(f"{reviewers[r.assignment_id].name}: {r.total_percent}; {r.comment}" for r in current),
        ])  # fmt: skip
        if on_progress and (index % 50 == 0 or index == len(applications)):
            on_progress(index, len(applications))
    return header, rows


def _sanitise(value: object) -> object:
    # Spreadsheet formula injection: a cell starting with = + - @ is shown as text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def build_export(*, job_id: int) -> ExportJob:
    """Build the file of an export job (idempotent: a finished job is left alone)."""
    claimed = ExportJob.objects.filter(
        pk=job_id, status__in=[ExportJob.Status.PENDING, ExportJob.Status.FAILED]
    ).update(status=ExportJob.Status.RUNNING)
    job = ExportJob.objects.select_related("call", "requested_by").get(pk=job_id)
    if not claimed:
        return job

    def progress(done: int, total: int) -> None:
        ExportJob.objects.filter(pk=job_id).update(done=done, total=total)

    try:
        header, rows = export_rows(job.call, progress)
        safe = [[_sanitise(v) for v in row] for row in rows]
        if job.format == ExportJob.Format.CSV:
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            writer.writerow(header)
            writer.writerows(safe)
            content = buffer.getvalue().encode("utf-8-sig")
            name, content_type = f"{job.call.slug}-applications.csv", "text/csv"
        else:
            from openpyxl import Workbook

            book = Workbook()
            sheet = book.active
            sheet.title = "applications"
            sheet.append(header)
            for row in safe:
                sheet.append(row)
            out = io.BytesIO()
            book.save(out)
            content = out.getvalue()
            name = f"{job.call.slug}-applications.xlsx"
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        stored = _store_export(job, name, content, content_type)
        ExportJob.objects.filter(pk=job_id).update(
            status=ExportJob.Status.DONE, file=stored, done=len(rows), total=len(rows)
        )
    except Exception as exc:
        ExportJob.objects.filter(pk=job_id).update(status=ExportJob.Status.FAILED, error=repr(exc)[:2000])
        raise
    job.refresh_from_db()
    return job


def _store_export(job: ExportJob, name: str, content: bytes, content_type: str) -> PrivateFile:
    """Exports are our own output (not an upload): stored privately, owned by the requester."""
    import hashlib
    import secrets

    from django.core.files.storage import default_storage

    from cernai.core.files import STORAGE_DIR

    extension = ".csv" if name.endswith(".csv") else ".xlsx"
    stored_name = secrets.token_hex(16) + extension
    default_storage.save(f"{STORAGE_DIR}/{stored_name}", SimpleUploadedFile(stored_name, content))
    return PrivateFile.objects.create(
        owner=job.requested_by,
        purpose="fellowships.export",
        original_name=name,
        stored_name=stored_name,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
