"""Core background work: notification emails, the sweeper that re-drives them, beat's heartbeat."""

from __future__ import annotations

import time
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.utils import timezone

from .models import Notification
from .queue import enqueue_on_commit

EMAIL_MAX_RETRIES = 5
# A claim older than this is taken to belong to a worker that died mid-send.
STALE_CLAIM = timedelta(minutes=10)
BEAT_HEARTBEAT_KEY = "core:beat-heartbeat"


@shared_task(name="core.send_notification_email", bind=True, acks_late=True, max_retries=EMAIL_MAX_RETRIES)
def send_notification_email(self, notification_id: int) -> str:  # type: ignore[no-untyped-def]
    """Send one notification's email at most once: a conditional UPDATE claims it first."""
    now = timezone.now()
    claimed = Notification.objects.filter(
        Q(email_status=Notification.EmailStatus.PENDING)
        | Q(email_status=Notification.EmailStatus.SENDING, email_claimed_at__lt=now - STALE_CLAIM),
        pk=notification_id,
    ).update(
        email_status=Notification.EmailStatus.SENDING, email_claimed_at=now, email_attempts=F("email_attempts") + 1
    )
    if not claimed:
        return "not due"
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient.email],
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    try:
        message.send()
    except Exception as exc:
        final = self.request.retries >= EMAIL_MAX_RETRIES
        Notification.objects.filter(pk=notification_id).update(
            email_status=Notification.EmailStatus.FAILED if final else Notification.EmailStatus.PENDING,
            email_error=repr(exc)[:2000],
        )
        if final:
            raise
        raise self.retry(exc=exc, countdown=min(30 * 2**self.request.retries, 3600)) from exc
    Notification.objects.filter(pk=notification_id).update(
        email_status=Notification.EmailStatus.SENT, email_sent_at=timezone.now(), email_error=""
    )
    return "sent"


@shared_task(name="core.sweep_notifications")
def sweep_notifications() -> int:
    """Re-drive emails the database says are still due (lost messages, broker outages, dead workers)."""
    now = timezone.now()
    due = Notification.objects.filter(
        Q(email_status=Notification.EmailStatus.PENDING, created_at__lt=now - timedelta(seconds=30))
        | Q(email_status=Notification.EmailStatus.SENDING, email_claimed_at__lt=now - STALE_CLAIM)
    ).values_list("id", flat=True)[:1000]
    ids = list(due)
    for notification_id in ids:
        enqueue_on_commit("core.send_notification_email", notification_id)
    return len(ids)


@shared_task(name="core.beat_heartbeat", ignore_result=True)
def beat_heartbeat() -> None:
    """Scheduled by beat every 30 s; the status page reads when a worker last ran it."""
    cache.set(BEAT_HEARTBEAT_KEY, time.time(), timeout=None)
