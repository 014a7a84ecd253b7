"""Background work of fellowships: thin tasks that take ids and call one service."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from cernai.core.queue import enqueue_on_commit


@shared_task(name="fellowships.send_referee_email", acks_late=True)
def send_referee_email_task(referee_id: int, purpose: str) -> str:
    from .services import send_referee_email

    return send_referee_email(referee_id=referee_id, purpose=purpose)


@shared_task(name="fellowships.build_export")
def build_export_task(job_id: int) -> str:
    from .services import build_export

    return build_export(job_id=job_id).status


@shared_task(name="fellowships.carry_out_erasure")
def carry_out_erasure_task(request_id: int) -> bool:
    from .services import carry_out_erasure

    return carry_out_erasure(request_id=request_id)


REFEREE_REMINDER_AFTER = timedelta(days=7)
REFEREE_MAX_REMINDERS = 2


@shared_task(name="fellowships.sweep")
def sweep() -> int:
    """Re-drive whatever the database says is due in fellowships (run by beat); every step is idempotent."""
    from .models import ErasureRequest, ExportJob, Referee
    from .services import advance_placements, remind_return_reports
    from .services.applications import invitations_unsent

    now = timezone.now()
    work = 0
    # Referee invitations never sent (broker down, worker died mid-send).
    for referee_id in (
        invitations_unsent(now).filter(created_at__lt=now - timedelta(seconds=30)).values_list("id", flat=True)[:500]
    ):
        enqueue_on_commit("fellowships.send_referee_email", referee_id, "invitation")
        work += 1
    # Referee reminders: one a week after the invitation (or the last reminder), at most two.
    for referee_id, sent in Referee.objects.filter(
        Q(last_reminder_at__lt=now - REFEREE_REMINDER_AFTER)
        | Q(last_reminder_at__isnull=True, invitation_sent_at__lt=now - REFEREE_REMINDER_AFTER),
        letter__isnull=True,
        expires_at__gt=now,
        reminders_sent__lt=REFEREE_MAX_REMINDERS,
    ).values_list("id", "reminders_sent")[:500]:
        enqueue_on_commit("fellowships.send_referee_email", referee_id, f"reminder-{sent + 1}")
        work += 1
    work += advance_placements()
    work += remind_return_reports()
    for request_id in ErasureRequest.objects.filter(carried_out_at__isnull=True, due_at__lte=now).values_list(
        "id", flat=True
    )[:100]:
        enqueue_on_commit("fellowships.carry_out_erasure", request_id)
        work += 1
    for job_id in ExportJob.objects.filter(
        status=ExportJob.Status.PENDING, created_at__lt=now - timedelta(minutes=2)
    ).values_list("id", flat=True)[:20]:
        enqueue_on_commit("fellowships.build_export", job_id)
        work += 1
    return work
