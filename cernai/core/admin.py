from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from pghistory.models import Events

from cernai.core.errors import Refusal

from .models import Notification, PrivateFile, TaskFailure


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "recipient", "subject", "email_status", "email_attempts", "read_at"]
    list_filter = ["kind", "email_status"]
    search_fields = ["recipient__email", "subject", "dedupe_key"]
    list_select_related = ["recipient"]
    raw_id_fields = ["recipient"]
    date_hierarchy = "created_at"
    readonly_fields = ["created_at", "email_sent_at", "email_claimed_at"]


@admin.register(PrivateFile)
class PrivateFileAdmin(admin.ModelAdmin):
    list_display = ["original_name", "purpose", "owner", "content_type", "size", "created_at"]
    list_filter = ["purpose", "content_type"]
    search_fields = ["original_name", "owner__email", "sha256"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    date_hierarchy = "created_at"
    readonly_fields = ["stored_name", "sha256", "size", "content_type", "created_at"]


@admin.register(TaskFailure)
class TaskFailureAdmin(admin.ModelAdmin):
    list_display = ["created_at", "task_name", "task_id", "exception", "resolved_at"]
    list_filter = ["task_name"]
    search_fields = ["task_name", "task_id", "exception"]
    date_hierarchy = "created_at"


class AuditTrailMixin:
    """The admin's "History" page of an object, read from the append-only audit trail (every change,
    made in the admin, by a service, a task or raw SQL, with who and why) instead of Django's
    LogEntry, which only the admin's own saves fill. For ModelAdmins of ``@audited`` models."""

    audit_trail_template = "admin/audit_trail.html"

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        obj = self.get_object(request, object_id)  # type: ignore[attr-defined]
        if obj is None or not self.has_view_or_change_permission(request, obj):  # type: ignore[attr-defined]
            raise PermissionDenied
        events = list(self.audit_events(obj).order_by("-pgh_created_at")[:500])
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

    def audit_events(self, obj: Any) -> Any:
        """The object's own events; a ModelAdmin adds those of related rows (links) by overriding this."""
        return Events.objects.tracks(obj)


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


class ServicePagesMixin:
    """Dedicated admin pages for the changes a service makes (end a term, move an allocation, change a
    capacity…): a small form on its own page, posted to the service, which validates, audits and
    notifies. A refusal is shown on its field and nothing is stored; success returns to the object's
    change page with the service's message. The change form itself shows these fields read-only, with
    links to the pages (``service_links``).

    ``service_pages`` maps a URL slug to ``(title, form class, method name)``; the form is built as
    ``form_class(data, obj=obj)`` and the method ``(request, obj, cleaned_data) -> message`` calls the
    service (raising ``Refusal`` to refuse). ``service_page_available(obj, slug)`` hides a page that
    does not apply to the object."""

    service_pages: dict[str, tuple[Any, Any, str]] = {}
    service_page_template = "admin/service_page.html"

    def get_urls(self) -> list[Any]:
        from django.urls import path

        opts = self.model._meta  # type: ignore[attr-defined]
        wrap = self.admin_site.admin_view  # type: ignore[attr-defined]
        pages = [
            path(
                f"<path:object_id>/{slug}/",
                wrap(self._service_page_view(slug)),
                name=f"{opts.app_label}_{opts.model_name}_{slug.replace('-', '_')}",
            )
            for slug in self.service_pages
        ]
        return [*pages, *super().get_urls()]  # type: ignore[misc]

    def service_page_available(self, obj: Any, slug: str) -> bool:
        return True

    def _service_page_view(self, slug: str) -> Any:
        def view(request: HttpRequest, object_id: str) -> HttpResponse:
            return self.service_page(request, object_id, slug)

        return view

    def service_page(self, request: HttpRequest, object_id: str, slug: str) -> HttpResponse:
        obj = self.get_object(request, object_id)  # type: ignore[attr-defined]
        if obj is None:
            raise Http404
        if not self.has_change_permission(request, obj):  # type: ignore[attr-defined]
            raise PermissionDenied
        opts = self.model._meta  # type: ignore[attr-defined]
        change_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        title, form_class, method = self.service_pages[slug]
        if not self.service_page_available(obj, slug):
            self.message_user(  # type: ignore[attr-defined]
                request, _("%(action)s does not apply to %(obj)s.") % {"action": title, "obj": obj}, messages.ERROR
            )
            return HttpResponseRedirect(change_url)
        form = form_class(request.POST or None, obj=obj)
        if request.method == "POST" and form.is_valid():
            try:
                done = getattr(self, method)(request, obj, form.cleaned_data)
            except Refusal as refusal:
                form.add_error(refusal.field if refusal.field in form.fields else None, str(refusal))
            else:
                self.message_user(request, done, messages.SUCCESS)  # type: ignore[attr-defined]
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "opts": opts,
            "original": obj,
            "title": title,
            "form": form,
            "form_id": f"{slug.replace('-', '_')}_form",
            "change_url": change_url,
        }
        return TemplateResponse(request, self.service_page_template, context)

    def service_links(self, obj: Any) -> str:
        """Links to the object's service pages (a read-only field of the change form)."""
        if obj is None or obj.pk is None:
            return "—"
        opts = self.model._meta  # type: ignore[attr-defined]
        links = [
            (reverse(f"admin:{opts.app_label}_{opts.model_name}_{slug.replace('-', '_')}", args=[obj.pk]), title)
            for slug, (title, _form, _method) in self.service_pages.items()
            if self.service_page_available(obj, slug)
        ]
        if not links:
            return "—"
        return format_html(
            '<ul class="service-links">{}</ul>', format_html_join("", '<li><a href="{}">{}</a></li>', links)
        )

    service_links.short_description = _lazy("Changes made through the rules")  # type: ignore[attr-defined]
