"""The secretariat's tool for programmes, calls (with criteria and the late allow-list), applications."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import services
from .models import (
    Application,
    Call,
    Criterion,
    ExportJob,
    HostSite,
    LateAllowance,
    Placement,
    Programme,
    ReviewAssignment,
)


@admin.register(HostSite)
class HostSiteAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "country", "city"]
    list_filter = ["kind"]
    search_fields = ["name", "city", "country"]


@admin.register(Programme)
class ProgrammeAdmin(admin.ModelAdmin):
    list_display = ["name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name"]


class CriterionInline(admin.TabularInline):
    model = Criterion
    extra = 0


class LateAllowanceInline(admin.TabularInline):
    model = LateAllowance
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    list_display = ["title", "programme", "opens_at", "deadline_local", "deadline", "places", "blind"]
    list_filter = ["programme__kind", "blind", "career_stage"]
    list_select_related = ["programme"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["host_sites"]
    inlines = [CriterionInline, LateAllowanceInline]
    fieldsets = [
        (None, {"fields": ["programme", "title", "slug", "description"]}),
        (_("Dates"), {
            "fields": ["timezone", "opens_at", "deadline"],
            "description": _(
                "Enter the dates as wall-clock time in the call's time zone; pages show them in it and in UTC."
            ),
        }),
        (_("Places and sites"), {
            "fields": ["host_sites", "places", "other_nationals_quota", "min_duration_months", "max_duration_months"],
        }),
        (_("Eligibility"), {"fields": ["check_nationality", "career_stage", "check_mobility"]}),
        (_("Evaluation"), {"fields": ["threshold_percent", "min_reviewers", "blind"]}),
        (_("Privacy"), {"fields": ["retention_months"]}),
    ]  # fmt: skip

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: Any = None
    ) -> Any:
        """An existing call's dates are shown and entered in its own time zone."""
        call = self.get_object(request, object_id) if object_id else None
        if call is None:
            return super().changeform_view(request, object_id, form_url, extra_context)
        with timezone.override(call.tz):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render"):
                response.render()  # a TemplateResponse renders lazily: do it inside the override
            return response

    def save_model(self, request: HttpRequest, obj: Call, form: Any, change: bool) -> None:
        if not change:  # a new call's dates were parsed in the portal's zone: read them in the call's
            current = timezone.get_current_timezone()
            for name in ("opens_at", "deadline"):
                wall = getattr(obj, name).astimezone(current).replace(tzinfo=None)
                setattr(obj, name, wall.replace(tzinfo=obj.tz))
        super().save_model(request, obj, form, change)

    @admin.display(description=_("deadline (call's time zone)"))
    def deadline_local(self, call: Call) -> str:
        return f"{call.deadline.astimezone(call.tz):%Y-%m-%d %H:%M %Z}"

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        call = form.instance
        if not call.criteria.exists():  # the rules.md defaults
            from .scoring import DEFAULT_CRITERIA

            Criterion.objects.bulk_create(
                [Criterion(call=call, name=n, weight=w, order=i) for i, (n, w) in enumerate(DEFAULT_CRITERIA)]
            )
        total = sum(call.criteria.values_list("weight", flat=True))
        if total != 100:
            messages.warning(request, _("The criteria's weights add up to %(t)d %%, not 100 %%.") % {"t": total})


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "applicant", "call", "status", "eligible", "eligibility_override", "submitted_at"]
    list_filter = ["status", "call", "eligible"]
    list_select_related = ["applicant", "call"]
    search_fields = ["title", "applicant__name", "applicant__email"]
    raw_id_fields = ["applicant", "call", "host_site", "cv", "plan_file"]
    readonly_fields = ["eligibility", "eligible", "submitted_at", "revision", "status"]
    actions = ["accept", "waitlist", "reject"]

    def _decide(self, request: HttpRequest, queryset: QuerySet[Application], decision: str) -> None:
        """One decision for the selected applications, call by call, through the decision service."""
        by_call: dict[int, dict[int, str]] = {}
        for pk, call_id in queryset.values_list("pk", "call_id"):
            by_call.setdefault(call_id, {})[pk] = decision
        recorded = 0
        for decisions in by_call.values():
            try:
                recorded += len(services.decide_in_bulk(decisions=decisions, actor=request.user))
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), level=messages.ERROR)
        if recorded:
            self.message_user(request, _("%(n)d decision(s) recorded and sent.") % {"n": recorded})

    @admin.action(description=_("Accept the selected applications (emails the applicants)"))
    def accept(self, request: HttpRequest, queryset: QuerySet[Application]) -> None:
        self._decide(request, queryset, "accepted")

    @admin.action(description=_("Waitlist the selected applications (emails the applicants)"))
    def waitlist(self, request: HttpRequest, queryset: QuerySet[Application]) -> None:
        self._decide(request, queryset, "waitlisted")

    @admin.action(description=_("Reject the selected applications (emails the applicants)"))
    def reject(self, request: HttpRequest, queryset: QuerySet[Application]) -> None:
        self._decide(request, queryset, "rejected")


@admin.register(ReviewAssignment)
class ReviewAssignmentAdmin(admin.ModelAdmin):
    list_display = ["application", "reviewer", "conflict_override", "conflict_declared_at"]
    list_select_related = ["application", "reviewer"]
    raw_id_fields = ["application", "reviewer", "assigned_by"]
    search_fields = ["reviewer__name", "application__title"]


@admin.register(Placement)
class PlacementAdmin(admin.ModelAdmin):
    list_display = ["application", "host_site", "start", "end", "status", "report_due", "report_submitted_at"]
    list_filter = ["status", "host_site"]
    list_select_related = ["application", "host_site"]
    raw_id_fields = ["application"]
    actions = ["mark_active", "mark_completed"]

    def _move(self, request: HttpRequest, queryset: QuerySet[Placement], status: str) -> None:
        for placement in queryset:
            try:
                services.set_placement_status(placement=placement, actor=request.user, status=status)
            except ValueError as exc:
                self.message_user(request, f"{placement}: {exc}", level=messages.ERROR)

    @admin.action(description=_("Mark the selected placements active"))
    def mark_active(self, request: HttpRequest, queryset: QuerySet[Placement]) -> None:
        self._move(request, queryset, Placement.Status.ACTIVE)

    @admin.action(description=_("Mark the selected placements completed"))
    def mark_completed(self, request: HttpRequest, queryset: QuerySet[Placement]) -> None:
        self._move(request, queryset, Placement.Status.COMPLETED)


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ["call", "format", "status", "done", "total", "created_at"]
    list_select_related = ["call"]
    raw_id_fields = ["call", "requested_by", "file"]
