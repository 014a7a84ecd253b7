"""The secretariat's tool for compute: sites, tokens (shown once), resources, projects, calls,
requests (approve/reject actions call the services), allocations and top-ups, usage records."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from cernai.core.admin import AuditTrailMixin, ServicePagesMixin
from cernai.core.errors import Refusal

from . import services
from .access_modes import ReviewKind
from .assignment_overview import reviewer_overview
from .forms import AssignReviewerForm, DecisionForm
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
    ReviewerAssignment,
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
class SiteAdmin(AuditTrailMixin, admin.ModelAdmin):
    list_display = ["name", "slug", "is_flagship"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ClusterInline]


@admin.register(Cluster)
class ClusterAdmin(AuditTrailMixin, admin.ModelAdmin):
    list_display = ["name", "site", "timezone"]
    list_select_related = ["site"]
    list_filter = ["site"]
    search_fields = ["name", "site__name"]


class SiteTokenForm(forms.ModelForm):
    class Meta:
        model = SiteToken
        fields = ["site", "label"]


@admin.register(SiteToken)
class SiteTokenAdmin(AuditTrailMixin, admin.ModelAdmin):
    list_display = ["site", "label", "prefix", "created_at", "created_by", "revoked_at"]
    list_select_related = ["site", "created_by"]
    list_filter = ["site"]
    search_fields = ["label", "prefix", "site__name"]
    date_hierarchy = "created_at"
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


class ServiceForm(forms.ModelForm):
    """An admin form whose changes are carried out by a service when the form validates, so that a
    refusal is shown as an error on its field (never a 500, never "changed successfully" beside it).
    The admin's change view runs in one transaction: if anything after it fails, the service's
    writes roll back with it. ``actor`` is set per request by ``ServiceFormAdmin.get_form``."""

    actor: Any = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            try:
                self.apply(data)
            except Refusal as refusal:
                self.add_error(refusal.field if refusal.field in self.fields else None, str(refusal))
        return data

    def apply(self, data: dict[str, Any]) -> None:
        """Call the services for what changed; raise ``Refusal`` to refuse."""


class ServiceFormAdmin(admin.ModelAdmin):
    """Saving writes nothing itself: the form's services already did (see ``ServiceForm``)."""

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            obj.refresh_from_db()
        else:
            super().save_model(request, obj, form, change)


class ResourcePeriodInline(admin.TabularInline):
    """Shown for reference; capacity changes go through the period's own page (and its service)."""

    model = ResourcePeriod
    extra = 0
    fields = readonly_fields = (
        "start",
        "end",
        "capacity",
        "granted",
    )
    show_change_link = True
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Resource)
class ResourceAdmin(AuditTrailMixin, admin.ModelAdmin):
    list_display = ["name", "cluster", "unit"]
    list_select_related = ["cluster"]
    list_filter = ["unit", "cluster"]
    search_fields = ["name"]
    inlines = [ResourcePeriodInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # What Slurm receives depends on the unit and cluster: fixed once the resource exists.
        return ["cluster", "unit"] if obj else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and not (obj and obj.periods.exists())


class ResourcePeriodAddForm(forms.ModelForm):
    class Meta:
        model = ResourcePeriod
        fields = ["resource", "start", "end", "capacity"]


class CapacityForm(forms.Form):
    capacity = forms.IntegerField(
        label=_("New capacity"),
        min_value=0,
        max_value=10**15,
        help_text=_("What can be granted over the period, in the resource's unit; never less than what is granted."),
    )
    reason = forms.CharField(
        label=_("Reason for the change"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the audit trail."),
    )

    def __init__(self, *args: Any, obj: ResourcePeriod, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"capacity": obj.capacity})
        super().__init__(*args, **kwargs)


@admin.register(ResourcePeriod)
class ResourcePeriodAdmin(AuditTrailMixin, ServicePagesMixin, admin.ModelAdmin):
    """A period is opened on the add form (through ``create_period``); once open, its resource and
    dates are fixed (allocations are booked within them) and its capacity changes on its own page,
    through ``set_period_capacity`` (never below what is granted)."""

    list_display = ["resource", "start", "end", "capacity", "granted"]
    list_select_related = ["resource__cluster"]
    list_filter = ["resource__unit", "resource__cluster"]
    search_fields = ["resource__name"]
    date_hierarchy = "start"
    service_pages = {"capacity": (_("Change the capacity"), CapacityForm, "change_capacity")}

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = ResourcePeriodAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["resource", "start", "end", "capacity"]
        return ["resource", "start", "end", "capacity", "granted", "service_links"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["resource", "start", "end", "capacity", "granted", "service_links"] if obj else []

    def save_model(self, request: HttpRequest, obj: ResourcePeriod, form: Any, change: bool) -> None:
        if change:
            return  # nothing is writable on an open period's form
        # The form checked the dates against the period's constraint; the service checks them again.
        created = services.create_period(
            resource=obj.resource, start=obj.start, end=obj.end, capacity=obj.capacity, actor=request.user
        )
        obj.pk = created.pk
        obj._state.adding = False

    def change_capacity(self, request: HttpRequest, obj: ResourcePeriod, data: dict[str, Any]) -> str:
        services.set_period_capacity(period=obj, capacity=data["capacity"], actor=request.user, reason=data["reason"])
        return _("The capacity of %(period)s is now %(capacity)s.") % {"period": obj, "capacity": data["capacity"]}

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and not (obj and obj.allocations.exists())


class MembershipInline(admin.TabularInline):
    """Members are added and removed on the project's page, through the membership service."""

    model = ProjectMembership
    extra = 0
    fields = readonly_fields = (
        "user",
        "role",
    )
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SlurmAccountInline(admin.TabularInline):
    model = SlurmAccount
    extra = 0


@admin.register(Project)
class ProjectAdmin(AuditTrailMixin, admin.ModelAdmin):
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
    list_filter = ["cluster"]
    search_fields = ["username", "user__email"]
    raw_id_fields = ["user"]


@admin.register(AllocationCall)
class AllocationCallAdmin(AuditTrailMixin, admin.ModelAdmin):
    list_display = ["title", "access_mode", "opens_at", "cutoff_at"]
    list_filter = ["access_mode"]
    filter_horizontal = ["resources"]
    search_fields = ["title"]
    date_hierarchy = "opens_at"


class AssignmentInline(admin.TabularInline):
    model = ReviewerAssignment
    extra = 0
    fields = readonly_fields = (
        "reviewer",
        "kind",
        "assigned_by",
        "created_at",
        "conflict_declared_at",
        "conflict_reason",
    )
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReviewInline(admin.TabularInline):
    model = RequestReview
    extra = 0
    fields = readonly_fields = (
        "reviewer",
        "kind",
        "verdict",
        "score",
        "comment",
        "submitted_at",
    )
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AllocationRequest)
class AllocationRequestAdmin(AuditTrailMixin, admin.ModelAdmin):
    """Requests are read here; reviewers are assigned and decisions taken on the request's own forms."""

    change_form_template = "admin/compute/allocationrequest/change_form.html"
    list_display = ["__str__", "kind", "call", "status", "start", "end", "submitted_at"]
    list_select_related = ["project", "call", "resource"]
    list_filter = ["status", "kind", "call__access_mode", "resource"]
    search_fields = ["project__code", "project__title"]
    date_hierarchy = "submitted_at"
    fields = readonly_fields = (
        "kind",
        "call",
        "project",
        "resource",
        "amount",
        "start",
        "end",
        "justification",
        "renews",
        "status",
        "submitted_by",
        "submitted_at",
        "decided_at",
        "decision_note",
    )
    inlines = [AssignmentInline, ReviewInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # PIs submit requests on their project's page

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/assign/", wrap(self.assign_view), name="compute_allocationrequest_assign"),
            path("<int:pk>/decide/", wrap(self.decide_view), name="compute_allocationrequest_decide"),
            *super().get_urls(),
        ]

    def _service_form_page(
        self,
        request: HttpRequest,
        obj: AllocationRequest,
        form: forms.Form,
        title: Any,
        action: Any,
        extra: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST" and form.is_valid():
            try:
                done = action(form.cleaned_data)
            except Refusal as refusal:
                form.add_error(refusal.field if refusal.field in form.fields else None, str(refusal))
            else:
                messages.success(request, done)
                return redirect("admin:compute_allocationrequest_change", obj.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": obj,
            "title": title,
            "form": form,
            "form_id": "service_form",
            "missing": [str(ReviewKind(k).label) for k in services.missing_reviews(obj)],
            **(extra or {}),
        }
        return TemplateResponse(request, "admin/compute/service_form.html", context)

    def _open_request(self, request: HttpRequest, pk: int) -> AllocationRequest:
        obj = AllocationRequest.objects.select_related("call", "project", "renews", "resource").filter(pk=pk).first()
        if obj is None:
            raise Http404
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        return obj

    def assign_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = self._open_request(request, pk)
        form = AssignReviewerForm(request.POST or None, allocation_request=obj)

        def assign(data: dict[str, Any]) -> str:
            services.assign_reviewer(request=obj, reviewer=data["reviewer"], kind=data["kind"], actor=request.user)
            return _("%(name)s is asked for the %(kind)s.") % {
                "name": data["reviewer"],
                "kind": ReviewKind(data["kind"]).label,
            }

        # Each reviewer's load and conflicts, shown before the secretariat picks someone.
        reviewers = reviewer_overview(obj)
        form.fields["email"].widget.attrs["list"] = "known-reviewers"
        extra = {"reviewers": reviewers, "assignable": [row.reviewer for row in reviewers if not row.conflict]}
        return self._service_form_page(request, obj, form, _("Assign a reviewer"), assign, extra)

    def decide_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = self._open_request(request, pk)
        form = DecisionForm(request.POST or None, allocation_request=obj)

        def decide(data: dict[str, Any]) -> str:
            if data["decision"] == DecisionForm.APPROVE:
                services.approve_request(request=obj, actor=request.user, amount=data["amount"], note=data["note"])
                return _("Approved: %(r)s") % {"r": obj}
            services.reject_request(request=obj, actor=request.user, note=data["note"])
            return _("Rejected: %(r)s") % {"r": obj}

        return self._service_form_page(request, obj, form, _("Decide on the request"), decide)


class ChangeInline(admin.TabularInline):
    model = AllocationChange
    extra = 0
    fields = readonly_fields = (
        "kind",
        "amount",
        "actor",
        "reason",
        "created_at",
    )
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AllocationChange)
class AllocationChangeAdmin(AuditTrailMixin, admin.ModelAdmin):
    """The ledger of grants and top-ups; top-ups are made on the allocation's page."""

    list_display = ["allocation", "kind", "amount", "actor", "created_at"]
    list_select_related = ["allocation__project", "allocation__resource", "actor"]
    list_filter = ["kind", "allocation__resource"]
    search_fields = ["allocation__project__code", "reason"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AllocationForm(ServiceForm):
    """Topping up, through its service, with a reason. Moving to another period has its own page."""

    top_up = forms.IntegerField(
        label=_("Top up by"),
        required=False,
        min_value=1,
        max_value=10**12,
        help_text=_("Added to the grant, within the period's capacity (in the resource's unit)."),
    )
    reason = forms.CharField(
        label=_("Reason for the change"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the audit trail and the ledger."),
    )

    class Meta:
        model = Allocation
        fields: list[str] = []

    def apply(self, data: dict[str, Any]) -> None:
        if data.get("top_up"):
            if not (data.get("reason") or "").strip():
                raise Refusal(_("Say why the allocation changes."), code="reason", field="reason")
            services.top_up_allocation(
                allocation=self.instance, amount=data["top_up"], actor=self.actor, reason=data["reason"]
            )


class MoveForm(forms.Form):
    period = forms.ModelChoiceField(
        label=_("Capacity period"),
        queryset=ResourcePeriod.objects.none(),
        help_text=_("Another capacity period of the same resource that covers the allocation's dates."),
    )
    reason = forms.CharField(
        label=_("Reason for the move"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the audit trail."),
    )

    def __init__(self, *args: Any, obj: Allocation, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"period": obj.period_id})
        super().__init__(*args, **kwargs)
        # Only periods of the same resource: a GPU grant stays a GPU grant.
        self.fields["period"].queryset = ResourcePeriod.objects.filter(  # type: ignore[attr-defined]
            resource_id=obj.resource_id
        ).select_related("resource")


@admin.register(Allocation)
class AllocationAdmin(AuditTrailMixin, ServicePagesMixin, ServiceFormAdmin):
    form = AllocationForm
    list_display = ["project", "resource", "access_mode", "start", "end", "amount", "used_hours", "status"]
    list_select_related = ["project", "resource"]
    list_filter = ["status", "access_mode", "resource"]
    search_fields = ["project__code", "project__title"]
    date_hierarchy = "start"
    readonly_fields = [
        "project",
        "resource",
        "period",
        "service_links",
        "request",
        "renewal_of",
        "access_mode",
        "start",
        "end",
        "amount",
        "status",
        "used_seconds",
        "latched_80",
        "latched_100",
        "created_at",
    ]
    fields = (*readonly_fields, "top_up", "reason")
    inlines = [ChangeInline]
    service_pages = {"move": (_("Move to another capacity period"), MoveForm, "move")}

    def move(self, request: HttpRequest, obj: Allocation, data: dict[str, Any]) -> str:
        services.move_allocation(allocation=obj, period=data["period"], actor=request.user, reason=data["reason"])
        return _("%(allocation)s is now booked against %(period)s.") % {"allocation": obj, "period": data["period"]}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # allocations come from approved requests (capacity is checked there)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the period's granted total and the ledger depend on it


@admin.register(UsageRecord)
class UsageRecordAdmin(AuditTrailMixin, admin.ModelAdmin):
    list_display = ["cluster", "job_id", "account", "user", "state", "start_utc", "elapsed", "matched", "late"]
    list_select_related = ["cluster"]
    list_filter = ["matched", "late", "cluster"]
    search_fields = ["job_id_raw", "account", "user"]
    show_full_result_count = False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the charges and allocations' ledger totals are computed from it


@admin.register(UsageBatch)
class UsageBatchAdmin(admin.ModelAdmin):
    list_display = ["pk", "site", "received_at", "processed_at", "counts"]
    list_select_related = ["site"]
    list_filter = ["site"]
    date_hierarchy = "received_at"
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
