from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from pghistory.models import Events

from .models import Notification, PrivateFile, TaskFailure


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "recipient", "subject", "email_status", "email_attempts", "read_at"]
    list_filter = ["kind", "email_status"]
    search_fields = ["recipient__email", "subject", "dedupe_key"]
    list_select_related = ["recipient"]
    raw_id_fields = ["recipient"]
    readonly_fields = ["created_at", "email_sent_at", "email_claimed_at"]


@admin.register(PrivateFile)
class PrivateFileAdmin(admin.ModelAdmin):
    list_display = ["original_name", "purpose", "owner", "content_type", "size", "created_at"]
    list_filter = ["purpose", "content_type"]
    search_fields = ["original_name", "owner__email", "sha256"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    readonly_fields = ["stored_name", "sha256", "size", "content_type", "created_at"]


@admin.register(TaskFailure)
class TaskFailureAdmin(admin.ModelAdmin):
    list_display = ["created_at", "task_name", "task_id", "exception", "resolved_at"]
    list_filter = ["task_name"]
    search_fields = ["task_name", "task_id", "exception"]


class AuditTrailMixin:
    """The admin's "History" page of an object, read from the append-only audit trail (every change,
    made in the admin, by a service, a task or raw SQL, with who and why) instead of Django's
    LogEntry, which only the admin's own saves fill. For ModelAdmins of ``@audited`` models."""

    audit_trail_template = "admin/audit_trail.html"

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        obj = self.get_object(request, object_id)  # type: ignore[attr-defined]
        if obj is None or not self.has_view_or_change_permission(request, obj):  # type: ignore[attr-defined]
            raise PermissionDenied
        events = list(Events.objects.tracks(obj).order_by("-pgh_created_at")[:500])
        people = _people_named_in(events)
        rows = [
            {
                "at": event.pgh_created_at,
                "label": event.pgh_label,
                "who": people.get(_actor_id(event.pgh_context)) or "—",
                "why": _why(event.pgh_context),
                "changes": {k: v for k, v in (event.pgh_diff or {}).items() if k not in {"password", "last_login"}},
            }
            for event in events
        ]
        opts = self.model._meta  # type: ignore[attr-defined]
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "title": _("Audit trail: %s") % obj,
            "object": obj,
            "opts": opts,
            "rows": rows,
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.audit_trail_template, context)


def _actor_id(context: dict[str, Any] | None) -> Any:
    context = context or {}
    return context.get("actor") or context.get("user")


def _why(context: dict[str, Any] | None) -> str:
    context = context or {}
    return " — ".join(str(context[key]) for key in ("reason", "justification") if context.get(key))


def _people_named_in(events: list[Any]) -> dict[Any, str]:
    ids = {_actor_id(event.pgh_context) for event in events} - {None}
    users = get_user_model().objects.filter(pk__in=ids)
    return {user.pk: f"{user} <{user.email}>" for user in users}
