"""The secretariat's tool for programmes, calls (with criteria and the late allow-list), applications."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cernai.core.admin import AuditTrailMixin

from . import services
from .forms import RejectForm
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
class CallAdmin(AuditTrailMixin, admin.ModelAdmin):
    list_display = ["title", "programme", "opens_at", "deadline_local", "deadline", "places", "blind"]
    list_filter = ["programme__kind", "blind", "career_stage"]
    list_select_related = ["programme"]
    search_fields = ["title", "slug"]
    date_hierarchy = "deadline"
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


class ApplicationAdminForm(forms.ModelForm):
    """Nothing of an application is written here directly: the secretariat may only override its
    computed eligibility, with a written justification, through the override service."""

    override = forms.ChoiceField(
        label=_("Override the eligibility"),
        choices=[("", _("no change")), ("yes", _("eligible")), ("no", _("not eligible"))],
        required=False,
    )
    override_reason = forms.CharField(
        label=_("Justification of the override (logged)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required with an override; it is kept in the audit trail."),
    )

    class Meta:
        model = Application
        fields: list[str] = []

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("override") and not data.get("override_reason", "").strip():
            self.add_error("override_reason", _("An override needs a written justification."))
        return data


APPLICATION_FIELDS: list[Any] = [
    "call", "applicant", "status", "revision", "submitted_at", "late_submission", "decided_at",
    "title", "research_plan", "nationality", "home_institution", "home_country", "host_site",
    "proposed_start", "proposed_end", "secondment_months", "highest_degree", "masters_date", "phd_date",
    "experience_years", "cv", "plan_file", "info_request", "erased_at",
]  # fmt: skip
ELIGIBILITY_FIELDS: list[Any] = [
    "eligible", "eligibility", "other_national", "eligibility_override", "override_justification",
]  # fmt: skip


@admin.register(Application)
class ApplicationAdmin(AuditTrailMixin, admin.ModelAdmin):
    """Applications belong to their applicants: read-only here; decisions are the actions below and the
    eligibility override is the one form field, each through its service."""

    form = ApplicationAdminForm
    list_display = ["id", "title", "applicant", "call", "status", "eligible", "eligibility_override", "submitted_at"]
    list_filter = ["status", "call", "eligible"]
    list_select_related = ["applicant", "call"]
    search_fields = ["title", "applicant__name", "applicant__email"]
    date_hierarchy = "submitted_at"
    readonly_fields = APPLICATION_FIELDS + ELIGIBILITY_FIELDS
    fieldsets = [
        (None, {"fields": list(APPLICATION_FIELDS)}),
        (_("Eligibility"), {"fields": [*ELIGIBILITY_FIELDS, "override", "override_reason"]}),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # applicants apply in the portal

    def has_delete_permission(self, request: HttpRequest, obj: Application | None = None) -> bool:
        return False  # erasure is the applicant's request, carried out by the erasure service

    def save_model(self, request: HttpRequest, obj: Application, form: Any, change: bool) -> None:
        choice = form.cleaned_data.get("override")
        if choice:
            services.override_eligibility(
                application=obj,
                actor=request.user,
                eligible=choice == "yes",
                justification=form.cleaned_data["override_reason"],
            )

    actions = ["accept", "waitlist", "reject"]

    def _decide(self, request: HttpRequest, queryset: QuerySet[Application], decision: str, reason: str = "") -> None:
        """One decision for the selected applications, call by call, through the decision service."""
        by_call: dict[int, dict[int, str]] = {}
        for pk, call_id in queryset.values_list("pk", "call_id"):
            by_call.setdefault(call_id, {})[pk] = decision
        recorded = 0
        for decisions in by_call.values():
            try:
                recorded += len(services.decide_in_bulk(decisions=decisions, actor=request.user, reason=reason))
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), level=messages.ERROR)
        if recorded:
            self.message_user(request, _("%(n)d decision(s) recorded and sent.") % {"n": recorded})

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        page = path("reject/", wrap(self.reject_view), name="fellowships_application_reject")
        return [page, *super().get_urls()]

    def reject_view(self, request: HttpRequest) -> HttpResponse:
        """The rejection's own page: the selected applications and the reason sent to each applicant."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        source = request.POST if request.method == "POST" else request.GET
        ids = [int(i) for i in source.get("ids", "").split(",") if i.strip().isdigit()]
        applications = list(Application.objects.filter(pk__in=ids).select_related("applicant", "call"))
        changelist = reverse("admin:fellowships_application_changelist")
        if not applications:
            self.message_user(request, _("Select the applications to reject."), level=messages.ERROR)
            return HttpResponseRedirect(changelist)
        form = RejectForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            chosen = Application.objects.filter(pk__in=[a.pk for a in applications])
            self._decide(request, chosen, "rejected", reason=form.cleaned_data["reason"])
            return HttpResponseRedirect(changelist)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Reject the selected applications"),
            "applications": applications,
            "ids": ",".join(str(a.pk) for a in applications),
            "form": form,
            "changelist_url": changelist,
        }
        return TemplateResponse(request, "admin/fellowships/application/reject.html", context)

    @admin.action(description=_("Accept the selected applications (emails the applicants)"))
    def accept(self, request: HttpRequest, queryset: QuerySet[Application]) -> None:
        self._decide(request, queryset, "accepted")

    @admin.action(description=_("Waitlist the selected applications (emails the applicants)"))
    def waitlist(self, request: HttpRequest, queryset: QuerySet[Application]) -> None:
        self._decide(request, queryset, "waitlisted")

    @admin.action(description=_("Reject the selected applications (asks the reason, emails the applicants)"))
    def reject(self, request: HttpRequest, queryset: QuerySet[Application]) -> HttpResponse:
        ids = ",".join(str(pk) for pk in queryset.values_list("pk", flat=True))
        return HttpResponseRedirect(f"{reverse('admin:fellowships_application_reject')}?ids={ids}")


class AssignmentAddForm(forms.ModelForm):
    """A new assignment: who reviews what, refused when conflicted unless overridden with a reason."""

    justification = forms.CharField(
        label=_("Justification to override a conflict (logged)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Leave empty to refuse a conflicted reviewer. The applicant can never review her own application."),
    )

    class Meta:
        model = ReviewAssignment
        fields = ["application", "reviewer"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        application, reviewer = data.get("application"), data.get("reviewer")
        if application is not None and reviewer is not None:
            refusal = services.assignment_refusal(reviewer, application, data.get("justification", ""))
            if refusal:
                raise ValidationError(
                    _("Refused: %(reviewer)s for %(ref)s — %(reason)s.")
                    % {"reviewer": reviewer, "ref": application.reference, "reason": refusal}
                )
        return data


@admin.register(ReviewAssignment)
class ReviewAssignmentAdmin(AuditTrailMixin, admin.ModelAdmin):
    """Assignments are made through the assignment service (conflicts, overrides, the reviewer's role);
    once made they are read-only here, and only an assignment with no review may be removed."""

    list_display = ["application", "reviewer", "conflict_override", "conflict_declared_at"]
    list_select_related = ["application", "reviewer"]
    list_filter = ["application__call", "conflict_override"]
    raw_id_fields = ["application", "reviewer"]
    search_fields = ["reviewer__name", "reviewer__email", "application__title"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "application",
        "reviewer",
        "assigned_by",
        "conflict_override",
        "override_justification",
        "conflict_declared_at",
        "conflict_reason",
        "created_at",
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: ReviewAssignment | None = None) -> Any:
        return self.readonly_fields if obj is not None else []

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = AssignmentAddForm
            kwargs["fields"] = ["application", "reviewer", "justification"]
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: ReviewAssignment | None = None) -> Any:
        return self.readonly_fields if obj is not None else ["application", "reviewer", "justification"]

    def save_model(self, request: HttpRequest, obj: ReviewAssignment, form: Any, change: bool) -> None:
        if change:
            return  # nothing is writable on an existing assignment
        report = services.assign_reviewers(
            applications=[obj.application],
            reviewers=[obj.reviewer],
            actor=request.user,
            override_justification=form.cleaned_data.get("justification", ""),
        )
        made = report.created + report.overridden
        if not made:  # refused since the form was checked (an institution changed meanwhile)
            raise PermissionDenied(report.refused[0][2] if report.refused else _("Already assigned."))
        obj.pk = made[0].pk
        obj._state.adding = False

    def get_actions(self, request: HttpRequest, action_location: Any = ActionLocation.CHANGE_LIST) -> Any:
        actions = super().get_actions(request, action_location=action_location)
        actions.pop("delete_selected", None)  # one at a time, and only when no review was written
        return actions

    def has_delete_permission(self, request: HttpRequest, obj: ReviewAssignment | None = None) -> bool:
        if obj is not None and obj.reviews.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Placement)
class PlacementAdmin(AuditTrailMixin, admin.ModelAdmin):
    list_display = ["application", "host_site", "start", "end", "status", "report_due", "report_submitted_at"]
    list_filter = ["status", "host_site"]
    list_select_related = ["application", "host_site"]
    search_fields = ["application__title", "application__applicant__name", "host_site__name"]
    date_hierarchy = "start"
    # Made by accepting an application; moved on by the actions below (the placement service); the
    # report is the fellow's. Nothing here is written directly.
    readonly_fields = [
        "application", "host_site", "start", "end", "status", "report_due", "report_text",
        "report_submitted_at", "returned_country", "returned_on",
    ]  # fmt: skip
    actions = ["mark_active", "mark_completed"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Placement | None = None) -> bool:
        return False

    def _move(self, request: HttpRequest, queryset: QuerySet[Placement], status: str) -> None:
        moved = 0
        for placement in queryset:
            try:
                services.set_placement_status(placement=placement, actor=request.user, status=status)
                moved += 1
            except ValueError as exc:
                self.message_user(request, f"{placement}: {exc}", level=messages.ERROR)
        if moved:
            self.message_user(request, _("%(n)d placement(s) updated.") % {"n": moved})

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
    list_filter = ["status", "format"]
    readonly_fields = ["call", "requested_by", "format", "status", "done", "total", "file", "error", "created_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # exports are asked for on the call's staff page

    def has_change_permission(self, request: HttpRequest, obj: ExportJob | None = None) -> bool:
        return False
