"""The secretariat's tool: states, delegations, sessions, motions and ballots. Ballot actions call the
same services as the site. Inlines are stacked and foreign keys are plain selects (not select2
autocompletes) because those carry labels a screen reader announces (axe-core, WCAG 2.1 AA).
Secret choices are not registered here: nothing in the admin links a state
to its choice."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cernai.accounts.permissions import is_secretariat
from cernai.core.admin import AuditTrailMixin, ServicePagesMixin
from cernai.core.files import store_upload

from . import selectors, services
from .models import (
    Adviser,
    AgendaItem,
    Appointment,
    Attendance,
    Ballot,
    Council,
    ElectorateEntry,
    MemberState,
    Motion,
    Paper,
    Programme,
    Ratification,
    Session,
    Vote,
    VotingAuthorisation,
)


class SecretariatAdmin(AuditTrailMixin, ServicePagesMixin, admin.ModelAdmin):
    """Governance models appear in the admin index for the secretariat (permissions come from `rules`).
    Each object's history is read from the append-only audit trail; changes a rule governs are made on
    the object's service pages (``ServicePagesMixin``)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(is_secretariat(request.user)) and request.user.is_staff


class VotingAuthorisationInline(admin.StackedInline):
    model = VotingAuthorisation
    extra = 0


@admin.register(MemberState)
class MemberStateAdmin(SecretariatAdmin):
    """A state's status and contribution share carry rules (who votes, the weighted rule, the scale):
    read-only here, set by the accession flow and the finance scale."""

    list_display = ["name", "iso2", "status", "contribution_share", "in_arrears"]
    list_filter = ["status", "in_arrears"]
    search_fields = ["name", "iso2"]
    readonly_fields = ["status", "contribution_share"]
    inlines = [VotingAuthorisationInline]


@admin.register(Programme)
class ProgrammeAdmin(SecretariatAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    filter_horizontal = ["participants"]


@admin.register(Council)
class CouncilAdmin(SecretariatAdmin):
    list_display = ["name", "quorum_required", "weighted_rule", "chair"]
    list_select_related = ["chair"]
    list_filter = ["quorum_required", "weighted_rule"]
    search_fields = ["name", "chair__name"]
    raw_id_fields = ["chair"]


class EndTermForm(forms.Form):
    end = forms.DateField(
        label=_("End of the term"),
        help_text=_("From this date on, the person no longer holds the role."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the audit trail (for example: the state's letter of 3 March)."),
    )

    def __init__(self, *args: Any, obj: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class AppointmentForm(forms.ModelForm):
    class Meta:
        model = Appointment
        fields = ["state", "user", "role", "start", "end"]

    def clean(self) -> Any:
        data = super().clean() or {}
        state, role, start, end = data.get("state"), data.get("role"), data.get("start"), data.get("end")
        if start and end is not None and end <= start:
            raise ValidationError({"end": _("A term must end after it starts.")})
        clash = (
            state
            and role
            and start
            and selectors.overlapping_appointments(state=state, role=role, start=start, end=end)
        )
        if clash and clash.exists():
            raise ValidationError(_("This state already has a delegate in this role during that term."))
        return data


APPOINTMENT_FIELDS = ["state", "user", "role", "start", "end"]


@admin.register(Appointment)
class AppointmentAdmin(SecretariatAdmin):
    """A delegate is appointed on the add form (through ``appoint_delegate``); once made, a term is
    fixed: its holder, state, role and dates. It is ended on its own page (``end_appointment``); a
    different term is a new appointment."""

    form = AppointmentForm
    list_display = ["user", "state", "role", "start", "end"]
    list_filter = ["role", "state__status", "state"]
    list_select_related = ["user", "state"]
    search_fields = ["user__name", "user__email", "state__name"]
    date_hierarchy = "start"
    raw_id_fields = ["user"]
    service_pages = {"end-term": (_("End this term"), EndTermForm, "end_term")}

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return APPOINTMENT_FIELDS if obj is None else [*APPOINTMENT_FIELDS, "service_links"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [*APPOINTMENT_FIELDS, "service_links"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Appointment, form: Any, change: bool) -> None:
        if change:
            return  # nothing is writable on a made appointment
        try:
            # New appointments go through the service: overlap check, audit, and the role it confers.
            created = services.appoint_delegate(
                actor=request.user, state=obj.state, user=obj.user, role=obj.role, start=obj.start, end=obj.end
            )
        except services.GovernanceError as exc:  # a race the form's check could not see
            self.message_user(request, exc.message, messages.ERROR)
            raise
        obj.pk = created.pk
        obj._state.adding = False

    def end_term(self, request: HttpRequest, obj: Appointment, data: dict[str, Any]) -> str:
        services.end_appointment(actor=request.user, appointment=obj, end=data["end"], reason=data["reason"])
        return _("The term of %(appointment)s ends on %(end)s.") % {"appointment": obj, "end": data["end"]}


class AdviserForm(forms.ModelForm):
    class Meta:
        model = Adviser
        fields = ["state", "user", "start", "end"]

    def clean(self) -> Any:
        data = super().clean() or {}
        if data.get("state") and data.get("user") and data.get("start"):
            try:
                services.check_adviser_term(
                    state=data["state"], user=data["user"], start=data["start"], end=data.get("end")
                )
            except services.GovernanceError as exc:
                raise exc.as_validation_error() from exc
        return data


ADVISER_FIELDS = ["state", "user", "start", "end"]


@admin.register(Adviser)
class AdviserAdmin(SecretariatAdmin):
    """An adviser is attached on the add form (through ``appoint_adviser``); once made, the term is
    fixed and is ended on its own page (``end_adviser``)."""

    form = AdviserForm
    list_display = ["user", "state", "start", "end"]
    list_filter = ["state"]
    list_select_related = ["user", "state"]
    search_fields = ["user__name", "user__email", "state__name"]
    date_hierarchy = "start"
    raw_id_fields = ["user"]
    service_pages = {"end-term": (_("End this term"), EndTermForm, "end_term")}

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ADVISER_FIELDS if obj is None else [*ADVISER_FIELDS, "service_links"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [*ADVISER_FIELDS, "service_links"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Adviser, form: Any, change: bool) -> None:
        if change:
            return  # nothing is writable on a made term
        created = services.appoint_adviser(
            actor=request.user, state=obj.state, user=obj.user, start=obj.start, end=obj.end
        )
        obj.pk = created.pk
        obj._state.adding = False

    def end_term(self, request: HttpRequest, obj: Adviser, data: dict[str, Any]) -> str:
        services.end_adviser(actor=request.user, adviser=obj, end=data["end"], reason=data["reason"])
        return _("The term of %(adviser)s ends on %(end)s.") % {"adviser": obj, "end": data["end"]}


class AgendaItemInline(admin.StackedInline):
    model = AgendaItem
    extra = 1
    show_change_link = True


class AttendanceForm(forms.Form):
    state = forms.ModelChoiceField(
        label=_("State present"),
        queryset=MemberState.objects.all(),
        help_text=_("Closed sessions are for member states only."),
    )

    def __init__(self, *args: Any, obj: Session, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["state"].queryset = MemberState.objects.exclude(  # type: ignore[attr-defined]
            attendances__session=obj
        )


class AttendanceInline(admin.TabularInline):
    """The attendance register, to read: presence is recorded on the session's "Record attendance"
    page, through check_in (closed sessions: member states only; audited), and is never edited or
    deleted here: quorum figures were read from it."""

    model = Attendance
    extra = 0
    fields = ["state", "checked_in_by", "checked_in_at"]
    readonly_fields = ["state", "checked_in_by", "checked_in_at"]
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Attendance]:
        return super().get_queryset(request).select_related("state", "checked_in_by")


@admin.register(Session)
class SessionAdmin(SecretariatAdmin):
    list_display = ["title", "council", "starts_at", "closed"]
    list_filter = ["closed", "council"]
    list_select_related = ["council"]
    search_fields = ["title", "location"]
    date_hierarchy = "starts_at"
    inlines = [AgendaItemInline, AttendanceInline]
    service_pages = {"attendance": (_("Record attendance"), AttendanceForm, "record_attendance")}

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = [f for f in super().get_fields(request, obj) if f != "service_links"]
        return fields if obj is None else [*fields, "service_links"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["service_links"] if obj is not None else []

    def record_attendance(self, request: HttpRequest, obj: Session, data: dict[str, Any]) -> str:
        services.check_in(user=request.user, actor=request.user, session=obj, state=data["state"])
        return _("%(state)s is recorded as present at %(session)s.") % {"state": data["state"], "session": obj}


class PaperForm(forms.ModelForm):
    upload = forms.FileField(label=_("PDF file"), required=False)

    class Meta:
        model = Paper
        fields = ["item", "title"]


class PaperInline(admin.StackedInline):
    model = Paper
    form = PaperForm
    extra = 1
    fields = ["title", "upload", "file"]
    readonly_fields = ["file"]


@admin.register(AgendaItem)
class AgendaItemAdmin(SecretariatAdmin):
    list_display = ["title", "session", "position"]
    list_select_related = ["session"]
    list_filter = ["session__council", "session"]
    search_fields = ["title", "session__title"]
    inlines = [PaperInline]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is Paper:
            for paper_form in formset.forms:
                upload = paper_form.cleaned_data.get("upload") if hasattr(paper_form, "cleaned_data") else None
                if upload:
                    paper_form.instance.file = store_upload(upload=upload, owner=request.user, purpose="paper")
        super().save_formset(request, form, formset, change)


@admin.register(Paper)
class PaperAdmin(SecretariatAdmin):
    form = PaperForm
    list_display = ["title", "item"]
    list_select_related = ["item__session"]
    search_fields = ["title"]

    def save_model(self, request: HttpRequest, obj: Paper, form: Any, change: bool) -> None:
        upload = form.cleaned_data.get("upload")
        if upload:
            obj.file = store_upload(upload=upload, owner=request.user, purpose="paper")
        super().save_model(request, obj, form, change)


class RatificationForm(forms.ModelForm):
    class Meta:
        model = Ratification
        fields = ["state", "deposited_on", "reference"]

    def clean(self) -> Any:
        data = super().clean() or {}
        motion, state = getattr(self.instance, "motion", None), data.get("state")
        if motion is not None and state is not None:
            try:
                services.check_ratification(motion=motion, state=state)
            except services.GovernanceError as exc:
                raise exc.as_validation_error() from exc
        return data


class RatificationInline(admin.StackedInline):
    """A ratification is entered through record_ratification: member states only, and the amendment
    enters into force when every member state has ratified. Entered ratifications are not edited."""

    model = Ratification
    form = RatificationForm
    extra = 1

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class MotionForm(forms.ModelForm):
    withdrawal = forms.CharField(
        label=_("Withdraw this motion, for this reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Only before its ballot opens. The reason is shown on the motion."),
    )

    class Meta:
        model = Motion
        fields = ["item", "title", "text", "kind", "programme"]

    def clean_withdrawal(self) -> str:
        reason = str(self.cleaned_data.get("withdrawal") or "").strip()
        if reason:
            try:
                services.check_withdrawable(self.instance)
            except services.GovernanceError as exc:
                raise ValidationError(exc.message, code=exc.code) from exc
        return reason


class CirculationForm(forms.Form):
    on = forms.DateField(
        label=_("Circulated on"),
        help_text=_("The date the request was sent to the member states; the ballot opens at least 3 months later."),
    )
    reason = forms.CharField(
        label=_("Reference or reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the audit trail (for example: the circular's reference)."),
    )

    def __init__(self, *args: Any, obj: Motion, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"on": obj.request_circulated_on})
        super().__init__(*args, **kwargs)


@admin.register(Motion)
class MotionAdmin(SecretariatAdmin):
    """A motion's status and resolution number follow from its ballot (open, publish), its
    ratifications or its withdrawal: read-only here, changed only by those services."""

    list_display = ["title", "kind", "status", "resolution_number", "item"]
    list_filter = ["kind", "status"]
    list_select_related = ["item__session"]
    search_fields = ["title", "text", "resolution_number"]
    form = MotionForm
    readonly_fields = [
        "status", "resolution_number", "withdrawn_at", "withdrawal_reason", "request_circulated_on", "service_links",
    ]  # fmt: skip
    inlines = [RatificationInline]
    service_pages = {"circulation": (_("Record the circulation of the request"), CirculationForm, "circulate")}

    def service_page_available(self, obj: Motion, slug: str) -> bool:
        # An admission's notice counts from the circulation; fixed once its ballot has opened.
        return obj.kind == Motion.Kind.ADMISSION and not obj.ballots.exclude(status=Ballot.Status.DRAFT).exists()

    def circulate(self, request: HttpRequest, obj: Motion, data: dict[str, Any]) -> str:
        services.record_circulation(actor=request.user, motion=obj, on=data["on"], reason=data["reason"])
        return _("The request behind %(motion)s was circulated on %(on)s.") % {"motion": obj, "on": data["on"]}

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = [f for f in super().get_fields(request, obj) if f != "withdrawal"]
        if obj is None:
            return fields
        try:
            services.check_withdrawable(obj)
        except services.GovernanceError:
            return fields
        return [*fields, "withdrawal"]

    def save_model(self, request: HttpRequest, obj: Motion, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        reason = form.cleaned_data.get("withdrawal")
        if reason:  # the status changes only through the service (checked again under its lock)
            services.withdraw_motion(actor=request.user, motion_id=obj.pk, reason=reason)
            obj.refresh_from_db()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(self.readonly_fields)
        if obj is not None and obj.ballots.exclude(status=Ballot.Status.DRAFT).exists():
            # Its ballot has opened: the rule it is decided by (kind, programme, notice) is fixed.
            fields += ["item", "kind", "programme"]
        return fields

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> Any:
        return [RatificationInline] if obj is not None and obj.kind == Motion.Kind.AMENDMENT else []

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not Ratification:
            super().save_formset(request, form, formset, change)
            return
        # Saved through the service, not formset.save(); the admin's change message reads these lists.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for ratification_form in formset.extra_forms:
            data = ratification_form.cleaned_data if ratification_form.has_changed() else {}
            if data.get("state") is not None:
                status = services.record_ratification(
                    actor=request.user,
                    motion=form.instance,
                    state=data["state"],
                    deposited_on=data["deposited_on"],
                    reference=data.get("reference", ""),
                )
                formset.new_objects.append(Ratification.objects.get(motion=form.instance, state=data["state"]))
                if status.in_force:
                    self.message_user(request, _("Every member state has ratified: the amendment is in force."))


class ElectorateInline(admin.TabularInline):
    """The frozen electorate: who is entitled and why not; the participation register (never the choice)."""

    model = ElectorateEntry
    extra = 0
    can_delete = False
    fields = ["state", "reason", "counts_in_all", "present", "voted_at", "voted_by"]
    readonly_fields = ["state", "reason", "counts_in_all", "present", "voted_at", "voted_by"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ElectorateEntry]:
        return super().get_queryset(request).select_related("state", "voted_by")


def _run(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Ballot], action: str) -> None:
    service = services.BALLOT_TRANSITIONS[action]
    for ballot in queryset:
        try:
            service(actor=request.user, ballot_id=ballot.pk)
        except services.GovernanceError as exc:
            modeladmin.message_user(request, f"{ballot}: {exc.message}", messages.ERROR)
        else:
            modeladmin.message_user(request, f"{ballot}: {action} ✓", messages.SUCCESS)


@admin.action(description=_("Open the selected ballots"))
def open_ballots(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Ballot]) -> None:
    _run(modeladmin, request, queryset, "open")


@admin.action(description=_("Close the selected ballots"))
def close_ballots(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Ballot]) -> None:
    _run(modeladmin, request, queryset, "close")


@admin.action(description=_("Publish the results of the selected ballots"))
def publish_ballots(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Ballot]) -> None:
    _run(modeladmin, request, queryset, "publish")


@admin.register(Ballot)
class BallotAdmin(SecretariatAdmin):
    list_display = [
        "motion",
        "status",
        "mode",
        "secrecy",
        "opens_at",
        "closes_at",
        "voted_count",
        "entitled_count",
        "outcome",
    ]
    list_filter = ["status", "mode", "secrecy"]
    list_select_related = ["motion"]
    search_fields = ["motion__title"]
    date_hierarchy = "opens_at"
    actions = [open_ballots, close_ballots, publish_ballots]
    readonly_fields = [
        "status",
        "opened_at",
        "closed_at",
        "published_at",
        "all_count",
        "entitled_count",
        "present_count",
        "voted_count",
        "outcome",
        "yes",
        "no",
        "abstain",
        "threshold",
        "explanation",
        "integrity",
    ]
    inlines = [ElectorateInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(self.readonly_fields)
        if obj is not None and obj.status != Ballot.Status.DRAFT:
            fields += ["motion", "mode", "secrecy", "opens_at"]
        return fields

    @admin.display(description=_("integrity check"))
    def integrity(self, obj: Ballot) -> str:
        if obj.pk is None or obj.status == Ballot.Status.DRAFT:
            return "—"
        report = services.verify_ballot(ballot_id=obj.pk)
        return str(_("every stored vote matches its seal")) if report.ok else "; ".join(report.problems)


@admin.register(Vote)
class VoteAdmin(SecretariatAdmin):
    """Named ballots only (secret choices are never shown against a state)."""

    list_display = ["ballot", "state", "choice", "cast_by", "cast_at", "receipt"]
    list_filter = ["choice"]
    list_select_related = ["ballot__motion", "state", "cast_by"]
    search_fields = ["state__name", "receipt"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
