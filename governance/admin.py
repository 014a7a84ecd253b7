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
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from cernai.accounts.permissions import is_secretariat
from cernai.core.errors import Refusal
from cernai.core.files import store_upload

from . import membership, selectors, services
from .models import (
    Adviser,
    AgendaItem,
    Appointment,
    Attendance,
    Ballot,
    Council,
    ElectorateEntry,
    MembershipRequest,
    MemberState,
    Motion,
    Paper,
    Programme,
    Ratification,
    Session,
    Vote,
    VotingAuthorisation,
)


class SecretariatAdmin(admin.ModelAdmin):
    """Governance models appear in the admin index for the secretariat (permissions come from `rules`)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(is_secretariat(request.user)) and request.user.is_staff


class VotingAuthorisationForm(forms.ModelForm):
    class Meta:
        model = VotingAuthorisation
        fields = ["decided_on", "reference", "valid_from", "valid_until"]

    def clean(self) -> Any:
        data = super().clean() or {}
        state = getattr(self.instance, "state", None)
        if state is not None and state.pk is not None:
            try:
                membership.check_voting_authorisation(
                    state=state,
                    decided_on=data.get("decided_on"),
                    valid_from=data.get("valid_from"),
                    valid_until=data.get("valid_until"),
                )
            except Refusal as exc:
                raise exc.as_validation_error() from exc
        if self.has_changed() and not str(data.get("reference") or "").strip():
            raise ValidationError({"reference": _("Name the Council decision (its reference).")})
        return data


class VotingAuthorisationInline(admin.StackedInline):
    """Dated Council decisions letting a state in arrears vote (art. V.8): entered through
    membership.record_voting_authorisation, never edited (ballots froze electorates on them)."""

    model = VotingAuthorisation
    form = VotingAuthorisationForm
    extra = 1

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(MemberState)
class MemberStateAdmin(SecretariatAdmin):
    """A state's status changes through the membership services (accession, association) once it
    exists; arrears are computed from the accounts (Finance), not entered here."""

    list_display = ["name", "iso2", "status", "status_since", "contribution_share"]
    list_filter = ["status"]
    search_fields = ["name", "iso2"]
    inlines = [VotingAuthorisationInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["status", "status_since"] if obj is not None else ["status_since"]

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.inlines if obj is not None else []

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not VotingAuthorisation:
            super().save_formset(request, form, formset, change)
            return
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.extra_forms:
            data = inline_form.cleaned_data if inline_form.has_changed() else {}
            if data.get("valid_from") is not None:
                formset.new_objects.append(
                    membership.record_voting_authorisation(
                        actor=request.user,
                        state_id=form.instance.pk,
                        decided_on=data["decided_on"],
                        valid_from=data["valid_from"],
                        valid_until=data.get("valid_until"),
                        reference=data.get("reference", ""),
                    )
                )


@admin.register(Programme)
class ProgrammeAdmin(SecretariatAdmin):
    list_display = ["name"]
    search_fields = ["name"]
    filter_horizontal = ["participants"]


@admin.register(Council)
class CouncilAdmin(SecretariatAdmin):
    list_display = ["name", "quorum_required", "weighted_rule", "chair"]
    raw_id_fields = ["chair"]


class AppointmentForm(forms.ModelForm):
    class Meta:
        model = Appointment
        fields = ["state", "user", "role", "start", "end"]


@admin.register(Appointment)
class AppointmentAdmin(SecretariatAdmin):
    form = AppointmentForm
    list_display = ["user", "state", "role", "start", "end"]
    list_filter = ["role", "state__status"]
    list_select_related = ["user", "state"]
    search_fields = ["user__name", "user__email", "state__name"]
    raw_id_fields = ["user"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A term's holder, state, role and start are fixed once appointed; only its end changes
        # (through end_appointment). A different term is a new appointment.
        return ["state", "user", "role", "start"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Appointment, form: Any, change: bool) -> None:
        try:
            if change:
                if obj.end is not None:
                    services.end_appointment(actor=request.user, appointment=obj, end=obj.end)
                return
            # New appointments go through the service: overlap check, audit, and the role it confers.
            created = services.appoint_delegate(
                actor=request.user, state=obj.state, user=obj.user, role=obj.role, start=obj.start, end=obj.end
            )
        except services.GovernanceError as exc:  # a race the form's check could not see
            self.message_user(request, exc.message, messages.ERROR)
            raise
        obj.pk = created.pk

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)

        class Checked(form):  # type: ignore[misc, valid-type]
            def clean(self) -> Any:
                data = super().clean()
                instance = self.instance
                state = data.get("state", getattr(instance, "state", None))
                role = data.get("role", getattr(instance, "role", None))
                start = data.get("start", getattr(instance, "start", None))
                end = data.get("end")
                if instance.pk is not None and start and end is not None and end <= start:
                    raise ValidationError({"end": _("A term must end after it starts.")})
                if instance.pk is not None and end is None and instance.end is not None:
                    raise ValidationError({"end": _("An ended term cannot be reopened; appoint again instead.")})
                if state and role and start:
                    clash = selectors.overlapping_appointments(
                        state=state, role=role, start=start, end=data.get("end"), exclude_pk=self.instance.pk
                    )
                    if clash.exists():
                        raise ValidationError(_("This state already has a delegate in this role during that term."))
                return data

        return Checked


@admin.register(Adviser)
class AdviserAdmin(SecretariatAdmin):
    list_display = ["user", "state", "start", "end"]
    list_select_related = ["user", "state"]
    search_fields = ["user__name", "state__name"]
    raw_id_fields = ["user"]


class AgendaItemInline(admin.StackedInline):
    model = AgendaItem
    extra = 1
    show_change_link = True


class AttendanceForm(forms.ModelForm):
    class Meta:
        model = Attendance
        fields = ["state"]

    def clean(self) -> Any:
        data = super().clean() or {}
        session, state = getattr(self.instance, "session", None), data.get("state")
        if session is not None and state is not None:
            try:
                services.check_attendance(session=session, state=state)
            except services.GovernanceError as exc:
                raise exc.as_validation_error() from exc
        return data


class AttendanceInline(admin.StackedInline):
    """Attendance is recorded through check_in (closed sessions: member states only; audited).
    Recorded presence is not edited or deleted here: quorum figures were read from it."""

    model = Attendance
    form = AttendanceForm
    extra = 1
    fields = ["state", "checked_in_by", "checked_in_at"]
    readonly_fields = ["checked_in_by", "checked_in_at"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Session)
class SessionAdmin(SecretariatAdmin):
    list_display = ["title", "council", "starts_at", "closed"]
    list_filter = ["closed", "council"]
    list_select_related = ["council"]
    search_fields = ["title"]
    date_hierarchy = "starts_at"
    inlines = [AgendaItemInline, AttendanceInline]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not Attendance:
            super().save_formset(request, form, formset, change)
            return
        # Saved through the service, not formset.save(); the admin's change message reads these lists.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for attendance_form in formset.extra_forms:
            state = attendance_form.cleaned_data.get("state") if attendance_form.has_changed() else None
            if state is not None:
                formset.new_objects.append(
                    services.check_in(user=request.user, actor=request.user, session=form.instance, state=state)
                )


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
        fields = ["item", "title", "text", "kind", "programme", "request_circulated_on"]

    def clean_withdrawal(self) -> str:
        reason = str(self.cleaned_data.get("withdrawal") or "").strip()
        if reason:
            try:
                services.check_withdrawable(self.instance)
            except services.GovernanceError as exc:
                raise ValidationError(exc.message, code=exc.code) from exc
        return reason


@admin.register(Motion)
class MotionAdmin(SecretariatAdmin):
    """A motion's status and resolution number follow from its ballot (open, publish), its
    ratifications or its withdrawal: read-only here, changed only by those services."""

    list_display = ["title", "kind", "status", "resolution_number", "item"]
    list_filter = ["kind", "status"]
    list_select_related = ["item__session"]
    search_fields = ["title", "text", "resolution_number"]
    form = MotionForm
    readonly_fields = ["status", "resolution_number", "withdrawn_at", "withdrawal_reason"]
    inlines = [RatificationInline]

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
            fields += ["item", "kind", "programme", "request_circulated_on"]
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
    fields = ["state", "reason", "explanation", "counts_in_all", "present", "voted_at", "voted_by"]
    readonly_fields = ["state", "reason", "explanation", "counts_in_all", "present", "voted_at", "voted_by"]

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


# --- membership: accession and association -------------------------------------------------------


class MembershipRequestForm(forms.ModelForm):
    """Each step is one service call made while the form is validated (inside the admin's
    transaction), so a refusal is shown on its field and nothing is saved; the admin then saves
    nothing itself. The fields shown are the next steps the request allows."""

    circulate_on = forms.DateField(
        label=_("Circulated to the member states on"),
        required=False,
        help_text=_("Starts the 3 months' notice before the admission ballot."),
    )
    table_on = forms.ModelChoiceField(
        label=_("Table the motion on the agenda item"),
        queryset=AgendaItem.objects.select_related("session").order_by("-session__starts_at", "position"),
        required=False,
        help_text=_("Creates the motion naming the candidate and its draft ballot."),
    )
    deposit_on = forms.DateField(
        label=_("Instrument deposited on"),
        required=False,
        help_text=_("The state's status changes from this date (accession: member; association: associate)."),
    )
    deposit_reference = forms.CharField(label=_("Instrument reference"), max_length=200, required=False)
    close_reason = forms.CharField(
        label=_("Close the request, for this reason"),
        max_length=300,
        required=False,
        help_text=_("Rejected by the Council or withdrawn by the state; the state's former status returns."),
    )
    actor: Any = None

    class Meta:
        model = MembershipRequest
        fields = ["state", "kind", "received_on"]

    def _post_clean(self) -> None:  # the services validate and write
        if self.errors:
            return
        data = self.cleaned_data
        try:
            if self.instance.pk is None:
                self.instance = membership.receive_request(
                    actor=self.actor, state_id=data["state"].pk, kind=data["kind"], received_on=data["received_on"]
                )
                return
            pk = self.instance.pk
            if data.get("circulate_on"):
                membership.circulate_request(actor=self.actor, request_id=pk, circulated_on=data["circulate_on"])
            if data.get("table_on"):
                membership.table_motion(actor=self.actor, request_id=pk, item_id=data["table_on"].pk)
            if data.get("deposit_on"):
                membership.deposit_instrument(
                    actor=self.actor,
                    request_id=pk,
                    deposited_on=data["deposit_on"],
                    reference=data.get("deposit_reference", ""),
                )
            if data.get("close_reason"):
                membership.close_request(actor=self.actor, request_id=pk, reason=data["close_reason"])
        except Refusal as exc:
            names = {
                "circulated_on": "circulate_on",
                "item": "table_on",
                "deposited_on": "deposit_on",
                "closing_reason": "close_reason",
            }
            field = names.get(exc.field or "", exc.field)
            self.add_error(field if field in self.fields else None, str(exc.message))


@admin.register(MembershipRequest)
class MembershipRequestAdmin(SecretariatAdmin):
    """Accession and association, step by step through governance.membership."""

    form = MembershipRequestForm
    list_display = ["state", "kind", "received_on", "circulated_on", "stage", "deposited_on"]
    list_filter = ["kind"]
    list_select_related = ["state", "motion"]
    search_fields = ["state__name"]
    readonly_fields = [
        "state",
        "kind",
        "received_on",
        "previous_status",
        "stage",
        "notice",
        "circulated_on",
        "motion_link",
        "deposited_on",
        "instrument_reference",
        "closed_on",
        "closing_reason",
    ]

    @admin.display(description=_("stage"))
    def stage(self, obj: MembershipRequest) -> str:
        return membership.stage(obj).label if obj.pk else "—"

    @admin.display(description=_("3 months' notice"))
    def notice(self, obj: MembershipRequest) -> str:
        return (membership.stage(obj).clock or "—") if obj.pk else "—"

    @admin.display(description=_("motion naming the candidate"))
    def motion_link(self, obj: MembershipRequest) -> str:
        if obj.motion is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a> ({})',
            reverse("admin:governance_motion_change", args=[obj.motion_id]),
            obj.motion.title,
            obj.motion.get_status_display(),
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["state", "kind", "received_on"]
        steps: list[str] = []
        finished = obj.closed_on is not None or obj.deposited_on is not None
        if not finished:
            if obj.circulated_on is None:
                steps.append("circulate_on")
            if obj.motion_id is None and (
                obj.circulated_on is not None or obj.kind == MembershipRequest.Kind.ASSOCIATION
            ):
                steps.append("table_on")
            if obj.motion is not None and obj.motion.status == Motion.Status.ADOPTED:
                steps += ["deposit_on", "deposit_reference"]
            else:
                steps.append("close_reason")
        return [*self.readonly_fields, *steps]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        kwargs["fields"] = [f for f in self.get_fields(request, obj) if f not in self.get_readonly_fields(request, obj)]
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        pass  # the services saved it while the form was validated

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
