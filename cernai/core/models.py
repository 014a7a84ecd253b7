"""Cross-cutting records: in-app notifications with their email delivery, private files, failed tasks."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One event told to one person: shown in the app and, if wanted, sent by email."""

    class EmailStatus(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        NONE = "none", _("not emailed")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("recipient")
    )
    kind = models.CharField(_("kind of event"), max_length=80)
    # Idempotency: the same event for the same person is stored (and so emailed) once.
    dedupe_key = models.CharField(
        _("event key"), max_length=200, help_text=_("The same event is told to the same person only once.")
    )
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("message (plain text)"))
    body_html = models.TextField(_("message (HTML email)"), blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    email_status = models.CharField(
        _("email status"), max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    email_attempts = models.PositiveSmallIntegerField(_("email attempts"), default=0)
    email_claimed_at = models.DateTimeField(
        _("email being sent since"), null=True, blank=True, help_text=_("Set while a worker sends the email.")
    )
    email_sent_at = models.DateTimeField(_("email sent at"), null=True, blank=True)
    email_error = models.TextField(_("email error"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedupe_key"], name="notification_once_per_event"),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            models.Index(fields=["email_status", "created_at"], name="notification_email_due"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"


class PrivateFile(models.Model):
    """An uploaded document, stored under a random name and only served by a permission-checked view."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="files",
        verbose_name=_("uploaded by"),
    )
    purpose = models.CharField(_("purpose"), max_length=50, help_text=_("What the file is for, e.g. 'cv' or 'paper'."))
    original_name = models.CharField(_("file name"), max_length=200)
    stored_name = models.CharField(
        _("name on the server"), max_length=100, unique=True, help_text=_("A random name, never shown as a link.")
    )
    content_type = models.CharField(_("file type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(
        _("fingerprint (SHA-256)"), max_length=64, help_text=_("Shows whether two files are the same.")
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("private file")
        verbose_name_plural = _("private files")

    def __str__(self) -> str:
        return self.original_name


class TaskFailure(models.Model):
    """A background task that failed after all its retries: shown to staff on the status page."""

    task_name = models.CharField(_("task"), max_length=200)
    task_id = models.CharField(_("task run ID"), max_length=100)
    args = models.JSONField(_("task inputs"), default=list)
    kwargs = models.JSONField(_("task options"), default=dict)
    exception = models.TextField(_("error"))
    created_at = models.DateTimeField(_("failed at"), auto_now_add=True)
    resolved_at = models.DateTimeField(
        _("resolved at"), null=True, blank=True, help_text=_("Set once staff have dealt with the failure.")
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("failed background task")
        verbose_name_plural = _("failed background tasks")

    def __str__(self) -> str:
        return f"{self.task_name} ({self.task_id})"


class CacheEntry(models.Model):
    """The rows of the ``durable`` cache (Django's database cache, ``cernai/core/cache.py``): sign-in
    rate-limit counters and used-TOTP marks. A model only so that migrations create the table and
    backups and test flushes include it; Django's DatabaseCache reads and writes it."""

    cache_key = models.CharField(max_length=255, primary_key=True)
    value = models.TextField()
    expires = models.DateTimeField(db_index=True)

    class Meta:
        db_table = "cernai_cache"
        verbose_name = _("cache entry")
        verbose_name_plural = _("cache entries")

    def __str__(self) -> str:
        return self.cache_key


class LoginThrottle(models.Model):
    """Failed sign-ins counted for one scope and key (see ``cernai/core/throttle.py``). In PostgreSQL,
    so that a Redis outage or restart resets no counter."""

    scope = models.CharField(max_length=20)
    key = models.CharField(max_length=400)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField()
    blocked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="core_loginthrottle_scope_key")]
        verbose_name = _("login throttle")
        verbose_name_plural = _("login throttles")

    def __str__(self) -> str:
        return f"{self.scope} {self.key}: {self.failures}"
