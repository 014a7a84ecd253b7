"""The secretariat's tool for compute: sites, tokens (shown once), resources, projects, calls,
requests (approve/reject actions call the services), allocations and top-ups, usage records."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from . import services
from .models import (
    Allocation,
    AllocationCall,
    AllocationChange,
    AllocationRequest,
    Cluster,
    ClusterLogin,
    MonthlyUsage,
    Project,
    ProjectMembership,
    RequestReview,
    Resource,
    ResourcePeriod,
    Site,
    SiteToken,
    SlurmAccount,
    UsageBatch,
    UsageRecord,
)


class ClusterInline(admin.TabularInline):
    model = Cluster
    extra = 0


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_flagship"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ClusterInline]


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = ["name", "site", "timezone"]
    list_select_related = ["site"]
    search_fields = ["name"]


class SiteTokenForm(forms.ModelForm):
    class Meta:
        model = SiteToken
        fields = ["site", "label"]


@admin.register(SiteToken)
class SiteTokenAdmin(admin.ModelAdmin):
    list_display = ["site", "label", "prefix", "created_at", "created_by", "revoked_at"]
    list_select_related = ["site", "created_by"]
    list_filter = ["site"]
    readonly_fields = ["prefix", "created_at", "created_by", "revoked_at", "last_used_at"]
    actions = ["revoke"]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = SiteTokenForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["site", "label"] if obj is None else ["site", "label", *self.readonly_fields]

    def save_model(self, request: HttpRequest, obj: SiteToken, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        token, raw = services.create_site_token(site=obj.site, label=obj.label, actor=request.user)
        obj.pk = token.pk
        obj.refresh_from_db()
        messages.warning(
            request,
            _("Copy the token now, it is not stored and will not be shown again: %(raw)s") % {"raw": raw},
        )

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[SiteToken]) -> None:
        for token in queryset:
            services.revoke_site_token(token=token, actor=request.user)
        messages.success(request, _("Revoked."))


class ResourcePeriodInline(admin.TabularInline):
    model = ResourcePeriod
    extra = 0
    readonly_fields = ["granted"]


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ["name", "cluster", "unit"]
    list_select_related = ["cluster"]
    list_filter = ["unit", "cluster"]
    search_fields = ["name"]
    inlines = [ResourcePeriodInline]


@admin.register(ResourcePeriod)
class ResourcePeriodAdmin(admin.ModelAdmin):
    list_display = ["resource", "start", "end", "capacity", "granted"]
    list_select_related = ["resource"]
    readonly_fields = ["granted"]
    search_fields = ["resource__name"]


class MembershipInline(admin.TabularInline):
    model = ProjectMembership
    extra = 0
    raw_id_fields = ["user"]


class SlurmAccountInline(admin.TabularInline):
    model = SlurmAccount
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "pi", "home_state"]
    list_select_related = ["pi", "home_state"]
    search_fields = ["code", "title", "pi__email", "pi__name"]
    list_filter = ["home_state"]
    raw_id_fields = ["pi"]
    inlines = [MembershipInline, SlurmAccountInline]


@admin.register(ClusterLogin)
class ClusterLoginAdmin(admin.ModelAdmin):
    list_display = ["username", "cluster", "user"]
    list_select_related = ["cluster", "user"]
    search_fields = ["username", "user__email"]
    raw_id_fields = ["user"]


@admin.register(AllocationCall)
class AllocationCallAdmin(admin.ModelAdmin):
    list_display = ["title", "access_mode", "opens_at", "cutoff_at"]
    list_filter = ["access_mode"]
    filter_horizontal = ["resources"]
    search_fields = ["title"]


class ReviewInline(admin.TabularInline):
    model = RequestReview
    extra = 0
    raw_id_fields = ["reviewer"]
    readonly_fields = ["reviewer", "kind", "verdict", "score", "comment", "submitted_at"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AllocationRequest)
class AllocationRequestAdmin(admin.ModelAdmin):
    list_display = ["project", "call", "resource", "amount", "start", "end", "status", "submitted_at"]
    list_select_related = ["project", "call", "resource"]
    list_filter = ["status", "call__access_mode", "resource"]
    search_fields = ["project__code", "project__title"]
    raw_id_fields = ["project", "submitted_by", "renews"]
    readonly_fields = ["status", "submitted_at", "decided_at"]
    inlines = [ReviewInline]
    actions = ["approve", "reject"]

    @admin.action(description=_("Approve the selected requests (full amount, within capacity)"))
    def approve(self, request: HttpRequest, queryset: QuerySet[AllocationRequest]) -> None:
        for allocation_request in queryset:
            try:
                services.approve_request(request=allocation_request, actor=request.user)
            except ValidationError as exc:
                messages.error(request, f"{allocation_request}: {' '.join(exc.messages)}")
            else:
                messages.success(request, _("Approved: %(r)s") % {"r": allocation_request})

    @admin.action(description=_("Reject the selected requests"))
    def reject(self, request: HttpRequest, queryset: QuerySet[AllocationRequest]) -> None:
        for allocation_request in queryset:
            try:
                services.reject_request(request=allocation_request, actor=request.user, note="")
            except ValidationError as exc:
                messages.error(request, f"{allocation_request}: {' '.join(exc.messages)}")


class ChangeInline(admin.TabularInline):
    model = AllocationChange
    extra = 0
    readonly_fields = ["kind", "amount", "actor", "reason", "created_at"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class TopUpForm(forms.ModelForm):
    class Meta:
        model = AllocationChange
        fields = ["allocation", "amount", "reason"]


@admin.register(AllocationChange)
class AllocationChangeAdmin(admin.ModelAdmin):
    """Top-ups are added here: saving calls the top-up service (capacity checked, latches re-armed)."""

    form = TopUpForm
    list_display = ["allocation", "kind", "amount", "actor", "created_at"]
    list_select_related = ["allocation__project", "allocation__resource", "actor"]
    raw_id_fields = ["allocation"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: AllocationChange, form: Any, change: bool) -> None:
        try:
            services.top_up_allocation(
                allocation=obj.allocation, amount=obj.amount, actor=request.user, reason=obj.reason
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return
        obj.pk = obj.allocation.changes.latest("created_at").pk


@admin.register(Allocation)
class AllocationAdmin(admin.ModelAdmin):
    list_display = ["project", "resource", "access_mode", "start", "end", "amount", "used_hours", "status"]
    list_select_related = ["project", "resource"]
    list_filter = ["status", "access_mode", "resource"]
    search_fields = ["project__code", "project__title"]
    raw_id_fields = ["project", "period", "request", "renewal_of"]
    readonly_fields = ["amount", "used_seconds", "latched_80", "latched_100", "arm_generation", "created_at"]
    inlines = [ChangeInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # allocations come from approved requests (capacity is checked there)


@admin.register(UsageRecord)
class UsageRecordAdmin(admin.ModelAdmin):
    list_display = ["cluster", "job_id", "account", "user", "state", "start_utc", "elapsed", "matched", "late"]
    list_select_related = ["cluster"]
    list_filter = ["matched", "late", "cluster"]
    search_fields = ["job_id_raw", "account", "user"]
    show_full_result_count = False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(UsageBatch)
class UsageBatchAdmin(admin.ModelAdmin):
    list_display = ["pk", "site", "received_at", "processed_at", "counts"]
    list_select_related = ["site"]
    readonly_fields = ["site", "token", "staff_user", "received_at", "processed_at", "counts", "scope"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(MonthlyUsage)
class MonthlyUsageAdmin(admin.ModelAdmin):
    list_display = ["month", "cluster", "account", "user", "jobs", "gpu_seconds", "core_seconds"]
    list_filter = ["cluster"]
    search_fields = ["account", "user"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
