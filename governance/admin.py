"""The secretariat's tool: states, delegations, sessions, motions and ballots. Ballot actions call the
same services as the site. Inlines are stacked and foreign keys are plain selects (not select2
autocompletes) because those carry labels a screen reader announces (axe-core, WCAG 2.1 AA).
Secret choices are not registered here: nothing in the admin links a state
to its choice."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminSplitDateTime
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from pghistory.models import Events

from cernai.accounts.permissions import is_secretariat
from cernai.core.admin import AuditTrailMixin, ServicePagesMixin
from cernai.core.errors import Refusal
from cernai.core.files import store_upload

from . import bodies, configuration, membership, papers, selectors, services
from .models import (
    Adviser,
    AgendaItem,
    Appointment,
    Attendance,
    Ballot,
    BodyMembership,
    Candidate,
    Council,
    Election,
    ElectorateEntry,
    MembershipRequest,
    MemberState,
    Minutes,
    Motion,
    Paper,
    Programme,
    Ratification,
    Recommendation,
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
    readonly_fields = ["status"]
    inlines = [VotingAuthorisationInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["status", "status_since"] if obj is not None else ["status_since"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return selectors.member_states()  # with the share in the adopted scale in force this year

    @admin.display(description=_("contribution share (%)"), ordering="contribution_share")
    def contribution_share(self, obj: MemberState) -> Any:
        """From the adopted scale in force this year (Finance), not typed in here."""
        share = getattr(obj, "contribution_share", None)
        return "—" if share is None else share.quantize(Decimal("0.001"))

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


class ReasonField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Reason"))
        kwargs.setdefault("help_text", _("Kept in the audit trail (for example: the Council decision)."))
        super().__init__(widget=forms.Textarea(attrs={"rows": 2}), **kwargs)


NO_EFFECT_ON_OPEN_BALLOTS = _(
    "Ballots already open are not affected: their electorate was frozen when they opened. The change "
    "applies to ballots on this programme's matters opened from now."
)


class AddParticipantForm(forms.Form):
    """The "Add a participating state" page (configuration.add_participant)."""

    state = forms.ModelChoiceField(
        label=_("Participating state"),
        queryset=MemberState.objects.none(),
        help_text=format_lazy(
            "{} {}",
            _("A member state or an associate member (which takes part without a vote)."),
            NO_EFFECT_ON_OPEN_BALLOTS,
        ),
    )
    reason = ReasonField()

    def __init__(self, *args: Any, obj: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Every state not taking part yet: the service refuses observers and candidates, with the reason.
        self.fields["state"].queryset = MemberState.objects.exclude(programmes=obj)  # type: ignore[attr-defined]


class RemoveParticipantForm(forms.Form):
    """The "Remove a participating state" page (configuration.remove_participant)."""

    state = forms.ModelChoiceField(
        label=_("State that no longer takes part"),
        queryset=MemberState.objects.none(),
        help_text=NO_EFFECT_ON_OPEN_BALLOTS,
    )
    reason = ReasonField()

    def __init__(self, *args: Any, obj: Programme, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["state"].queryset = obj.participants.all()  # type: ignore[attr-defined]


@admin.register(Programme)
class ProgrammeAdmin(SecretariatAdmin):
    """A programme's participating states vote on its matters (rules §1): they are added and removed
    on the programme's own pages, through governance/configuration.py (checked, audited, the state's
    delegates told), never ticked in the form."""

    list_display = ["name", "participating"]
    search_fields = ["name"]
    service_pages = {
        "add-participant": (_("Add a participating state"), AddParticipantForm, "add_participant"),
        "remove-participant": (_("Remove a participating state"), RemoveParticipantForm, "remove_participant"),
    }

    def get_queryset(self, request: HttpRequest) -> QuerySet[Programme]:
        return super().get_queryset(request).prefetch_related("participants")

    def audit_events(self, obj: Programme) -> Any:
        # The programme's own changes and every participant added or removed, with who and why.
        events = Events.objects.references(obj)
        return events.across("governance.ProgrammeEvent", "governance.ProgrammeParticipantEvent")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["name"] if obj is None else ["name", "participating", "service_links"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [] if obj is None else ["participating", "service_links"]

    def service_page_available(self, obj: Programme, slug: str) -> bool:
        return slug != "remove-participant" or bool(obj.participants.all())

    @admin.display(description=_("participating states"))
    def participating(self, obj: Programme) -> str:
        return ", ".join(state.name for state in obj.participants.all()) or "—"

    def add_participant(self, request: HttpRequest, obj: Programme, data: dict[str, Any]) -> str:
        configuration.add_participant(
            actor=request.user, programme_id=obj.pk, state_id=data["state"].pk, reason=data["reason"]
        )
        return _("%(state)s takes part in %(programme)s.") % {"state": data["state"], "programme": obj}

    def remove_participant(self, request: HttpRequest, obj: Programme, data: dict[str, Any]) -> str:
        configuration.remove_participant(
            actor=request.user, programme_id=obj.pk, state_id=data["state"].pk, reason=data["reason"]
        )
        return _("%(state)s no longer takes part in %(programme)s.") % {"state": data["state"], "programme": obj}


class VotingRulesForm(forms.Form):
    """The "Change the voting rules" page of a body (configuration.set_voting_rules)."""

    quorum_required = forms.BooleanField(
        label=_("Quorum required"),
        required=False,
        help_text=_("A ballot is valid only if most states entitled to vote were present when it opened."),
    )
    weighted_rule = forms.ChoiceField(label=_("Contribution-weighted rule"), choices=Council.WeightedRule.choices)
    reason = ReasonField(
        help_text=_(
            "Kept in the audit trail (for example: the Council decision). Refused while a ballot of the body is "
            "open: a rule does not change under a running ballot."
        )
    )

    def __init__(self, *args: Any, obj: Council, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"quorum_required": obj.quorum_required, "weighted_rule": obj.weighted_rule})
        super().__init__(*args, **kwargs)


@admin.register(Council)
class CouncilAdmin(SecretariatAdmin):
    """Bodies: the Council and the committees. Members of committees are appointed under
    "Committee memberships" (through governance/bodies.py). The quorum and weighted-rule settings
    are chosen when the body is added; afterwards they change on the body's "Change the voting rules"
    page (configuration.set_voting_rules: with a reason, never while one of its ballots is open)."""

    list_display = ["name", "kind", "quorum_required", "weighted_rule", "chair"]
    list_select_related = ["chair"]
    list_filter = ["kind", "quorum_required", "weighted_rule"]
    search_fields = ["name", "chair__name"]
    raw_id_fields = ["chair"]
    service_pages = {"voting-rules": (_("Change the voting rules"), VotingRulesForm, "change_voting_rules")}

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = ["name", "kind", "quorum_required", "weighted_rule", "chair"]
        return fields if obj is None else [*fields, "service_links"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return []
        # Who sits and whose votes count is fixed once the body has met: its electorates depend on it.
        kind = ["kind"] if obj.sessions.exists() else []
        return [*kind, "quorum_required", "weighted_rule", "service_links"]

    def change_voting_rules(self, request: HttpRequest, obj: Council, data: dict[str, Any]) -> str:
        body = configuration.set_voting_rules(
            actor=request.user,
            body_id=obj.pk,
            quorum_required=data["quorum_required"],
            weighted_rule=data["weighted_rule"],
            reason=data["reason"],
        )
        return _("The voting rules of %(body)s are changed: quorum %(quorum)s; weighted rule %(weighted)s.") % {
            "body": body,
            "quorum": _("required") if body.quorum_required else _("not required"),
            "weighted": body.get_weighted_rule_display(),
        }


class BodyMembershipForm(forms.ModelForm):
    class Meta:
        model = BodyMembership
        fields = ["body", "user", "state", "start", "end"]

    def clean(self) -> Any:
        data = super().clean() or {}
        instance = self.instance
        body = data.get("body", getattr(instance, "body", None))
        user = data.get("user", getattr(instance, "user", None))
        start = data.get("start", getattr(instance, "start", None))
        state = data["state"] if "state" in data else getattr(instance, "state", None)
        end = data.get("end")
        if instance.pk is not None:
            if end is None and instance.end is not None:
                raise ValidationError({"end": _("An ended term cannot be reopened; appoint again instead.")})
            if end is not None and start and end <= start:
                raise ValidationError({"end": _("A term must end after it starts.")})
            return data
        if body and user and start:
            try:
                bodies.check_membership(body=body, user=user, state=state, start=start, end=end)
            except services.GovernanceError as exc:
                raise exc.as_validation_error() from exc
        return data


@admin.register(BodyMembership)
class BodyMembershipAdmin(SecretariatAdmin):
    """Committee seats: appointed and ended through governance/bodies.py (checks, audit, the role)."""

    form = BodyMembershipForm
    list_display = ["user", "body", "state", "start", "end"]
    list_filter = ["body"]
    list_select_related = ["user", "body", "state"]
    search_fields = ["user__name", "user__email", "body__name", "state__name"]
    raw_id_fields = ["user"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A seat's holder, body, state and start are fixed; only its end changes (end_membership).
        return ["body", "user", "state", "start"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: BodyMembership, form: Any, change: bool) -> None:
        try:
            if change:
                if "end" in form.changed_data and obj.end is not None:
                    bodies.end_membership(actor=request.user, membership=obj, end=obj.end)
                return
            created = bodies.appoint_member(
                actor=request.user, body=obj.body, user=obj.user, state=obj.state, start=obj.start, end=obj.end
            )
        except services.GovernanceError as exc:  # a race the form's check could not see
            self.message_user(request, exc.message, messages.ERROR)
            raise
        obj.pk = created.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a seat's history stays: end the term instead


class RecommendationForm(forms.ModelForm):
    class Meta:
        model = Recommendation
        fields = ["motion", "council_motion"]

    def clean(self) -> Any:
        data = super().clean() or {}
        if data.get("motion") is not None and data.get("council_motion") is not None:
            try:
                bodies.check_recommendation(motion=data["motion"], council_motion=data["council_motion"])
            except services.GovernanceError as exc:
                raise exc.as_validation_error() from exc
        return data


@admin.register(Recommendation)
class RecommendationAdmin(SecretariatAdmin):
    """A committee's motion attached to a Council motion (through attach_recommendation); shown on the
    Council motion and its ballot once the committee adopted it. Attached recommendations are not edited."""

    form = RecommendationForm
    list_display = ["motion", "council_motion", "attached_at"]
    list_select_related = ["motion", "council_motion"]
    search_fields = ["motion__title", "council_motion__title"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["motion", "council_motion", "attached_at"] if obj is not None else ["attached_at"]

    def save_model(self, request: HttpRequest, obj: Recommendation, form: Any, change: bool) -> None:
        if change:
            return
        created = bodies.attach_recommendation(actor=request.user, motion=obj.motion, council_motion=obj.council_motion)
        obj.pk = created.pk


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
    """The "Record attendance" page: a state present, or, in a committee ad personam, a member."""

    state = forms.ModelChoiceField(
        label=_("State present"),
        queryset=MemberState.objects.all(),
        help_text=_("Closed sessions are for member states only."),
    )
    member = forms.ModelChoiceField(
        label=_("Member present"),
        queryset=get_user_model().objects.none(),
        help_text=_("A serving member of this committee, who sits in person."),
    )

    def __init__(self, *args: Any, obj: Session, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if obj.council.kind == Council.Kind.AD_PERSONAM:
            del self.fields["state"]
            self.fields["member"].queryset = (  # type: ignore[attr-defined]
                get_user_model()
                .objects.filter(
                    body_memberships__in=BodyMembership.objects.filter(
                        selectors.serving_on(timezone.localdate()), body=obj.council
                    )
                )
                .exclude(pk__in=Attendance.objects.filter(session=obj, member__isnull=False).values("member"))
                .distinct()
                .order_by("name")
            )
        else:
            del self.fields["member"]
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

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A committee ad personam records its members in person; every other body records states.
        if obj is not None and obj.council.kind == Council.Kind.AD_PERSONAM:
            return ["member", "checked_in_by", "checked_in_at"]
        return self.fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Attendance]:
        return super().get_queryset(request).select_related("state", "checked_in_by")


class SessionClosedForm(forms.Form):
    """The "Open or close the session" page (configuration.set_session_closed)."""

    closed = forms.BooleanField(
        label=_("Closed session"),
        required=False,
        help_text=_(
            "Closed sessions are for member states only: associate members and observers neither attend nor see "
            "them. Fixed once the session has started or its convocation is sent; a session cannot be closed "
            "while an associate member or an observer is recorded as attending it."
        ),
    )
    reason = ReasonField()

    def __init__(self, *args: Any, obj: Session, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"closed": obj.closed})
        super().__init__(*args, **kwargs)


class SessionForm(forms.ModelForm):
    send_convocation = forms.BooleanField(
        label=_("Send the convocation"),
        required=False,
        help_text=_("Sends the agenda to the session's members, once, before the session starts."),
    )

    class Meta:
        model = Session
        fields = ["council", "title", "starts_at", "location", "closed"]


@admin.register(Session)
class SessionAdmin(SecretariatAdmin):
    form = SessionForm
    list_display = ["title", "council", "starts_at", "closed", "convened"]
    list_filter = ["closed", "council"]
    list_select_related = ["council", "convocation"]
    search_fields = ["title", "location"]
    date_hierarchy = "starts_at"
    inlines = [AgendaItemInline, AttendanceInline]
    service_pages = {
        "attendance": (_("Record attendance"), AttendanceForm, "record_attendance"),
        "closedness": (_("Open or close the session"), SessionClosedForm, "change_closedness"),
    }

    def service_page_available(self, obj: Session, slug: str) -> bool:
        if slug != "closedness":
            return True
        # Fixed once the session has started or is convened (configuration.check_session_closedness).
        return obj.starts_at > timezone.now() and getattr(obj, "convocation", None) is None

    def change_closedness(self, request: HttpRequest, obj: Session, data: dict[str, Any]) -> str:
        session = configuration.set_session_closed(
            actor=request.user, session_id=obj.pk, closed=data["closed"], reason=data["reason"]
        )
        if session.closed:
            return _("%(session)s is a closed session: member states only.") % {"session": session}
        return _("%(session)s is an open session: associate members and observers may attend.") % {"session": session}

    @admin.display(description=_("convocation"))
    def convened(self, obj: Session) -> str:
        convocation = getattr(obj, "convocation", None)
        if convocation is None:
            return str(_("not sent"))
        return str(_("sent on %(date)s") % {"date": convocation.sent_at.strftime("%Y-%m-%d %H:%M")})

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = ["council", "title", "starts_at", "location", "closed"]
        if obj is None:
            return [*fields, "send_convocation"]
        sent = getattr(obj, "convocation", None) is not None
        return [*fields, "convened" if sent else "send_convocation", "service_links"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return []  # a new session has no attendance yet: "closed" is chosen here
        convened = getattr(obj, "convocation", None) is not None
        # Once it has started or been convened, when and for which body a session is are fixed too:
        # moving a started session back into the future would reopen its "closed" flag.
        fixed = ["council", "starts_at"] if convened or obj.starts_at <= timezone.now() else []
        return ["closed", "service_links", *fixed, *(["convened"] if convened else [])]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if form.cleaned_data.get("send_convocation"):  # after the agenda items are saved
            try:
                convocation = papers.send_convocation(actor=request.user, session_id=form.instance.pk)
            except services.GovernanceError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("The convocation is sent to %(n)d members.") % {"n": convocation.recipients},
                    messages.SUCCESS,
                )

    def record_attendance(self, request: HttpRequest, obj: Session, data: dict[str, Any]) -> str:
        state, member = data.get("state"), data.get("member")
        services.check_in(user=request.user, actor=request.user, session=obj, state=state, member=member)
        return _("%(state)s is recorded as present at %(session)s.") % {"state": state or member, "session": obj}


class PaperForm(forms.ModelForm):
    """A paper's draft: its item, title, classification and file. Once published (papers.publish_paper)
    its symbol is given and its item, classification and file are fixed."""

    upload = forms.FileField(label=_("PDF file"), required=False)

    class Meta:
        model = Paper
        fields = ["item", "title", "classification"]

    def clean(self) -> Any:
        data = super().clean() or {}
        paper = self.instance
        if paper.published_at is not None:
            fixed = [name for name in ("item", "classification") if name in self.changed_data]
            if fixed or data.get("upload"):
                raise ValidationError(
                    _("Paper %(symbol)s is published: its item, classification and file are fixed.")
                    % {"symbol": paper.symbol}
                )
        if paper.file_id is None and not data.get("upload") and (self.has_changed() or paper.pk is None):
            self.add_error("upload", _("Choose the PDF file of the paper."))
        return data


class PaperInline(admin.StackedInline):
    model = Paper
    form = PaperForm
    extra = 1
    fields = ["title", "classification", "upload", "symbol", "published_at", "file"]
    readonly_fields = ["symbol", "published_at", "file"]


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


class PaperAdminForm(PaperForm):
    publish = forms.BooleanField(
        label=_("Publish this paper"),
        required=False,
        help_text=_("Gives it its symbol and announces it to the session's members. It cannot be undone."),
    )


@admin.register(Paper)
class PaperAdmin(SecretariatAdmin):
    form = PaperAdminForm
    list_display = ["symbol", "title", "classification", "item", "published_at"]
    list_filter = ["classification"]
    list_select_related = ["item__session"]
    search_fields = ["title", "symbol"]
    readonly_fields = ["symbol", "published_at"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.published_at is not None:
            return ["symbol", "published_at", "item", "title", "classification"]
        return ["item", "title", "classification", "upload", "publish"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.published_at is not None:
            return ["symbol", "published_at", "item", "classification"]
        return self.readonly_fields

    def save_model(self, request: HttpRequest, obj: Paper, form: Any, change: bool) -> None:
        upload = form.cleaned_data.get("upload")
        if upload:
            obj.file = store_upload(upload=upload, owner=request.user, purpose="paper")
        super().save_model(request, obj, form, change)
        if form.cleaned_data.get("publish"):
            published = papers.publish_paper(actor=request.user, paper_id=obj.pk)
            obj.refresh_from_db()
            self.message_user(request, _("Paper %(symbol)s is published and announced.") % {"symbol": published.symbol})


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


@admin.register(Motion)
class MotionAdmin(SecretariatAdmin):
    """A motion's status and resolution number follow from its ballot (open, publish), its
    ratifications or its withdrawal: read-only here, changed only by those services."""

    list_display = ["title", "kind", "status", "resolution_number", "item"]
    list_filter = ["kind", "status"]
    list_select_related = ["item__session"]
    search_fields = ["title", "text", "resolution_number"]
    form = MotionForm
    # An admission's circulation is recorded once, on the state's membership request ("request" below).
    readonly_fields = ["status", "resolution_number", "withdrawn_at", "withdrawal_reason", "membership_request_link"]
    inlines = [RatificationInline]

    @admin.display(description=_("membership request"))
    def membership_request_link(self, obj: Motion) -> str:
        request = membership.request_for_motion(obj) if obj.pk else None
        if request is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a> — {}',
            reverse("admin:governance_membershiprequest_change", args=[request.pk]),
            request,
            membership.stage(request).clock or membership.stage(request).label,
        )

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
    fields = ["state", "member", "reason", "explanation", "share", "counts_in_all", "present", "voted_at", "voted_by"]
    readonly_fields = [
        "state",
        "member",
        "reason",
        "explanation",
        "share",
        "counts_in_all",
        "present",
        "voted_at",
        "voted_by",
    ]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ElectorateEntry]:
        return super().get_queryset(request).select_related("state", "member", "voted_by")


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


class MinutesForm(forms.ModelForm):
    """Drafting (text) is a plain edit while the minutes are a draft; approval and publication are
    recorded through governance/papers.py."""

    approve_at = forms.ModelChoiceField(
        label=_("Record their approval at the session"),
        queryset=Session.objects.none(),
        required=False,
        help_text=_("A later session of the same body that has begun. The approval cannot be undone."),
    )
    publish = forms.BooleanField(
        label=_("Publish the minutes"),
        required=False,
        help_text=_("The public part goes into the public register; the closed part stays with those entitled."),
    )

    class Meta:
        model = Minutes
        fields = ["session", "public_part", "closed_part"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        minuted = self.instance.session if self.instance.pk else None
        field = self.fields.get("approve_at")
        if isinstance(field, forms.ModelChoiceField) and minuted is not None:
            later = Session.objects.filter(council=minuted.council_id, starts_at__gt=minuted.starts_at)
            field.queryset = later.order_by("starts_at")

    def clean_approve_at(self) -> Any:
        at_session = self.cleaned_data.get("approve_at")
        if at_session is not None:
            try:
                papers.check_minutes_approval(minutes=self.instance, at_session=at_session)
            except services.GovernanceError as exc:
                raise ValidationError(exc.message, code=exc.code) from exc
        return at_session


@admin.register(Minutes)
class MinutesAdmin(SecretariatAdmin):
    form = MinutesForm
    list_display = ["session", "status", "approved_at_session", "published_at"]
    list_filter = ["status"]
    list_select_related = ["session", "approved_at_session"]
    search_fields = ["session__title"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["session", "public_part", "closed_part"]
        record = ["status", "approved_at_session", "approved_at", "approved_by", "published_at"]
        if obj.status == Minutes.Status.DRAFT:
            return ["session", "public_part", "closed_part", *record, "approve_at"]
        if obj.status == Minutes.Status.APPROVED:
            return ["session", "public_part", "closed_part", *record, "publish"]
        return ["session", "public_part", "closed_part", *record]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        record = ["status", "approved_at_session", "approved_at", "approved_by", "published_at"]
        if obj is None:
            return record
        if obj.status == Minutes.Status.DRAFT:
            return ["session", *record]
        return ["session", "public_part", "closed_part", *record]  # approved text is fixed

    def save_model(self, request: HttpRequest, obj: Minutes, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        try:
            at_session = form.cleaned_data.get("approve_at")
            if at_session is not None:
                papers.approve_minutes(actor=request.user, minutes_id=obj.pk, at_session_id=at_session.pk)
                self.message_user(request, _("The approval of the minutes is recorded."))
            if form.cleaned_data.get("publish"):
                papers.publish_minutes(actor=request.user, minutes_id=obj.pk)
                self.message_user(request, _("The minutes are published."))
        except services.GovernanceError as exc:
            self.message_user(request, exc.message, messages.ERROR)
        obj.refresh_from_db()


# --- elections (governance/elections.py) ---------------------------------------------------------


class ElectionForm(forms.ModelForm):
    """Setting up an election: the agenda item, the office and the candidates, one per line. The
    service creates the election's motion, its candidates and the first round's secret ballot."""

    item = forms.ModelChoiceField(
        label=_("agenda item"), queryset=AgendaItem.objects.select_related("session").order_by("-session__starts_at")
    )
    candidates = forms.CharField(
        label=_("candidates"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One name per line, in ballot-paper order."),
    )
    opens_at = forms.SplitDateTimeField(label=_("scheduled opening"), required=False, widget=AdminSplitDateTime)
    closes_at = forms.SplitDateTimeField(label=_("scheduled closing"), required=False, widget=AdminSplitDateTime)

    class Meta:
        model = Election
        fields = ["office"]

    def clean_candidates(self) -> list[str]:
        from . import elections

        try:
            return elections.clean_candidates(self.cleaned_data.get("candidates") or "")
        except services.GovernanceError as exc:
            raise ValidationError(exc.message, code=exc.code) from exc

    def clean(self) -> Any:
        data = super().clean() or {}
        if data.get("opens_at") and data.get("closes_at") and data["closes_at"] <= data["opens_at"]:
            self.add_error("closes_at", _("The scheduled closing must come after the scheduled opening."))
        return data


class CandidateInline(admin.TabularInline):
    """The candidates, fixed when the election is set up (every round's ballot paper lists them)."""

    model = Candidate
    extra = 0
    can_delete = False
    fields = ["position", "name"]
    readonly_fields = ["position", "name"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Election)
class ElectionAdmin(SecretariatAdmin):
    """Elections are set up here and run from their page (or the ballot actions): each round is a
    secret ballot of the election's motion; results, status and the person elected follow from the
    rounds, so they are read-only."""

    list_display = ["office", "motion", "status", "elected"]
    list_filter = ["status"]
    list_select_related = ["motion", "elected"]
    search_fields = ["office", "motion__title", "candidates__name"]
    form = ElectionForm

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ["item", "office", "candidates", "opens_at", "closes_at"]
        return ["office", "motion", "status", "elected", "rounds_summary", "page"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [] if obj is None else ["office", "motion", "status", "elected", "rounds_summary", "page"]

    def get_inlines(self, request: HttpRequest, obj: Any = None) -> Any:
        return [] if obj is None else [CandidateInline]

    def save_model(self, request: HttpRequest, obj: Election, form: Any, change: bool) -> None:
        if change:
            return  # nothing is writable once set up
        from . import elections

        data = form.cleaned_data
        election = elections.setup_election(
            actor=request.user,
            item=data["item"],
            office=data["office"],
            candidates=data["candidates"],
            opens_at=data.get("opens_at"),
            closes_at=data.get("closes_at"),
        )
        obj.pk, obj.motion_id, obj.status = election.pk, election.motion_id, election.status

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        return  # candidates are written by the service

    @admin.display(description=_("rounds"))
    def rounds_summary(self, obj: Election) -> str:
        from . import elections

        lines = []
        for election_round in obj.rounds.select_related("ballot").order_by("number"):
            line = _("Round %(n)d: %(status)s") % {
                "n": election_round.number,
                "status": election_round.ballot.get_status_display(),
            }
            sentence = elections.explanation(election_round)
            lines.append(f"{line}. {sentence}" if sentence else str(line))
        return " / ".join(lines)

    @admin.display(description=_("page"))
    def page(self, obj: Election) -> str:
        from django.urls import reverse
        from django.utils.html import format_html

        return format_html('<a href="{}">{}</a>', reverse("governance:election", args=[obj.pk]), _("Election page"))


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
