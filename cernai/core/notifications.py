"""The notifications bus: one registry of event kinds; each event becomes an in-app notification per
recipient, rendered in the recipient's language, and an email sent by an idempotent Celery task.

Templates for kind ``k`` live in ``templates/notifications/<k>/``: ``subject.txt``, ``body.txt`` and
``body.html``, translated with Django's i18n (English and French).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import translation

from .models import Notification
from .queue import enqueue_on_commit


@dataclass(frozen=True)
class Kind:
    key: str
    description: str
    email: bool = True


KINDS: dict[str, Kind] = {}


def register_kind(key: str, description: str, *, email: bool = True) -> Kind:
    """Declare an event kind (apps call this at import time of their notifications module)."""
    kind = Kind(key=key, description=description, email=email)
    KINDS[key] = kind
    return kind


register_kind("core.welcome", "A person's account is ready.")
register_kind("core.test", "A test message sent by staff from the status page.")


def render(kind: str, context: dict[str, Any], language: str) -> tuple[str, str, str]:
    """Render the subject, text and HTML body of ``kind`` in ``language``."""
    base = f"notifications/{kind}"
    with translation.override(language):
        full = {
            "site_name": settings.SITE_NAME,
            "base_url": settings.PORTAL_BASE_URL,
            "LANGUAGE_CODE": language,  # no request context here: email_base.html's <html lang> needs it
            **context,
        }
        subject = " ".join(_render_plain(f"{base}/subject.txt", full).split())
        text = _render_plain(f"{base}/body.txt", full).strip()
        html = render_to_string(f"{base}/body.html", full).strip()
    return subject, text, html


def _render_plain(template_name: str, context: dict[str, Any]) -> str:
    """Render a text template without HTML escaping (a name like "O'Brien & Co" stays as typed)."""
    return get_template(template_name).template.render(Context(context, autoescape=False))  # type: ignore[attr-defined]


def notify(
    *,
    kind: str,
    recipients: Iterable[Any],
    dedupe_key: str,
    context: dict[str, Any] | None = None,
    url: str = "",
) -> None:
    """Tell each recipient about an event once (per ``dedupe_key``).

    Call inside the service's transaction: the emails are enqueued only after it commits.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind!r}; register it with register_kind()")
    email = KINDS[kind].email
    rows = []
    for recipient in {r.pk: r for r in recipients}.values():
        subject, text, html = render(kind, {"recipient": recipient, "url": url, **(context or {})}, recipient.language)
        rows.append(
            Notification(
                recipient=recipient,
                kind=kind,
                dedupe_key=dedupe_key,
                subject=subject[:300],
                body_text=text,
                body_html=html,
                url=url,
                email_status=Notification.EmailStatus.PENDING if email else Notification.EmailStatus.NONE,
            )
        )
    with transaction.atomic():
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        if email:
            due = list(
                Notification.objects.filter(
                    dedupe_key=dedupe_key,
                    recipient__in=[r.recipient_id for r in rows],
                    email_status=Notification.EmailStatus.PENDING,
                ).values_list("id", flat=True)
            )
            for notification_id in due:
                enqueue_on_commit("core.send_notification_email", notification_id)


def unread_count(user: Any) -> int:
    """The badge of every signed-in page. Its SQL is written once: the ORM building this count on
    every page cost more than PostgreSQL answering it."""
    with connection.cursor() as cursor:
        cursor.execute(_unread_sql(), [user.pk])
        return int(cursor.fetchone()[0])


@cache
def _unread_sql() -> str:
    table = connection.ops.quote_name(Notification._meta.db_table)
    return f"SELECT count(*) FROM {table} WHERE recipient_id = %s AND read_at IS NULL"  # noqa: S608 (the model's table)
