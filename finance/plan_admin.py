"""The secretariat's tool for the medium-term plan: plan lines, draft versions (started from an
earlier one), their envelopes, the budget motion a draft is attached to, and the unit costs that
value execution. Every write is a plan service call (see ``finance.admin.ServiceForm``); a version
is adopted only by its motion's ballot (``governance.services.publish_result``), never here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from governance.models import Motion

from . import plan_selectors, plan_services, rules, services
from .admin import ServiceAdmin, ServiceForm, euros_field
from .plan_models import DEFAULT_PLAN_YEARS, Envelope, FellowshipCost, PlanLine, PlanVersion, UnitCost


def _eur(cents: int | None) -> str:
    return "—" if cents is None else rules.format_eur(cents)


# --- lines ----------------------------------------------------------------------------------------


class PlanLineForm(ServiceForm):
    class Meta:
        model = PlanLine
        fields = ["code", "name", "kind", "node", "state", "site", "programme"]

    def call_service(self, data: dict[str, Any]) -> Model:
        return plan_services.define_line(
            actor=self.actor,
            code=data["code"],
            name=data["name"],
            kind=data["kind"],
            state_id=data["state"].pk if data["state"] else None,
            node_id=data["node"].pk if data["node"] else None,
            site_id=data["site"].pk if data["site"] else None,
            programme_id=data["programme"].pk if data["programme"] else None,
        )


@admin.register(PlanLine)
class PlanLineAdmin(ServiceAdmin):
    add_form = PlanLineForm
    list_display = ["code", "name", "kind", "node", "state", "site", "programme"]
    list_filter = ["kind"]
    list_select_related = ["node", "state", "site", "programme"]
    search_fields = ["code", "name"]


# --- versions -------------------------------------------------------------------------------------


class DraftVersionForm(ServiceForm):
    title = forms.CharField(label=_("title"), required=False, help_text=_("Empty: “Medium-term plan first–last”."))  # noqa: RUF001
    years = forms.IntegerField(label=_("number of years"), initial=DEFAULT_PLAN_YEARS, min_value=1)

    class Meta:
        model = PlanVersion
        fields = ["title", "first_year", "based_on"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["based_on"].help_text = _("Its envelopes are copied into the draft for the years both cover.")

    def call_service(self, data: dict[str, Any]) -> Model:
        return plan_services.draft_version(
            actor=self.actor,
            title=data["title"],
            first_year=data["first_year"],
            years=data["years"],
            based_on_id=data["based_on"].pk if data["based_on"] else None,
        )


class AttachMotionForm(ServiceForm):
    """A draft's only editable field: the budget motion whose adoption puts it in force."""

    class Meta:
        model = PlanVersion
        fields = ["motion"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "motion" in self.fields:
            budget = Motion.objects.filter(kind=Motion.Kind.BUDGET).order_by("-id")
            self.fields["motion"].queryset = budget  # type: ignore[attr-defined]

    def call_service(self, data: dict[str, Any]) -> Model:
        motion = data.get("motion")
        return plan_services.attach_motion(
            actor=self.actor, version_id=self.instance.pk, motion_id=motion.pk if motion else None
        )


@admin.register(PlanVersion)
class PlanVersionAdmin(ServiceAdmin):
    """Drafted here (possibly from an earlier version), envelopes set under Envelopes, the budget
    motion linked here; the page shows the envelopes and what changed from the version it is based on."""

    add_form = DraftVersionForm
    form = AttachMotionForm
    list_display = ["title", "first_year", "last_year", "status", "motion", "adopted_at"]
    list_filter = ["status"]
    list_select_related = ["motion"]
    readonly_fields = [
        "title",
        "first_year",
        "last_year",
        "status",
        "based_on",
        "adopted_at",
        "envelopes_table",
        "changes",
    ]

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user  # the change form too calls a service
        return form

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        draft = obj is None or obj.status == PlanVersion.Status.DRAFT
        return draft and admin.ModelAdmin.has_change_permission(self, request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return super().get_fields(request, obj)
        return [*self.readonly_fields[:6], "motion", *self.readonly_fields[6:]]

    @admin.display(description=_("envelopes"))
    def envelopes_table(self, obj: PlanVersion) -> str:
        table = plan_selectors.plan_table(obj)
        if not table.rows:
            return str(_("No envelope yet: add them under Envelopes."))
        head = format_html_join("", "<th scope='col'>{}</th>", ((y,) for y in table.years))
        body = format_html_join(
            "",
            "<tr><th scope='row'>{}</th>{}</tr>",
            (
                (line.name, format_html_join("", "<td>{}</td>", ((_eur(a),) for a in amounts)))
                for line, amounts in table.rows
            ),
        )
        totals = format_html_join("", "<td>{}</td>", ((_eur(t),) for t in table.totals))
        return format_html(
            "<table><thead><tr><th scope='col'>{}</th>{}</tr></thead><tbody>{}</tbody>"
            "<tfoot><tr><th scope='row'>{}</th>{}</tr></tfoot></table>",
            _("Line"),
            head,
            body,
            _("Total"),
            totals,
        )

    @admin.display(description=_("changes from the version it is based on"))
    def changes(self, obj: PlanVersion) -> str:
        if obj.based_on is None:
            return str(_("Not based on an earlier version."))
        compared = plan_selectors.compare_versions(obj.based_on, obj)
        if not compared:
            return str(_("No change."))
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} {}: {} → {}</li>",
                (
                    (c.line.name, c.change.year, _eur(c.change.before_cents), _eur(c.change.after_cents))
                    for c in compared
                ),
            ),
        )

    def view_on_site(self, obj: PlanVersion) -> str:  # type: ignore[override]
        return reverse("finance:plan_version", args=[obj.pk])


# --- envelopes ------------------------------------------------------------------------------------


class EnvelopeForm(ServiceForm):
    amount_eur = forms.CharField(
        label=_("envelope (EUR)"), help_text=_("In euros, with a point for cents, e.g. 1250000.00; 0 for none")
    )

    class Meta:
        model = Envelope
        fields = ["version", "line", "year"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        drafts = PlanVersion.objects.filter(status=PlanVersion.Status.DRAFT).order_by("-id")
        self.fields["version"].queryset = drafts  # type: ignore[attr-defined]
        self.fields["version"].help_text = _("Only drafts can be changed; an existing envelope is replaced.")

    def call_service(self, data: dict[str, Any]) -> Model:
        text = data["amount_eur"].strip()
        cents = 0 if text in {"0", "0.00"} else services.parse_cents(text, field="amount_eur")
        return plan_services.set_envelope(
            actor=self.actor,
            version_id=data["version"].pk,
            line_id=data["line"].pk,
            year=data["year"],
            amount_cents=cents,
        )


@admin.register(Envelope)
class EnvelopeAdmin(ServiceAdmin):
    add_form = EnvelopeForm
    list_display = ["version", "line", "year", "amount"]
    list_filter = ["version", "year"]
    list_select_related = ["version", "line"]

    @admin.display(description=_("envelope"), ordering="amount_cents")
    def amount(self, obj: Envelope) -> str:
        return rules.format_eur(obj.amount_cents)


# --- unit costs -----------------------------------------------------------------------------------


class UnitCostForm(ServiceForm):
    cost_eur = forms.CharField(
        label=_("cost per unit (EUR)"), help_text=_("In euros, up to four decimals, e.g. 1.2500 per GPU-hour")
    )

    class Meta:
        model = UnitCost
        fields = ["resource", "year"]

    def call_service(self, data: dict[str, Any]) -> Model:
        return plan_services.set_unit_cost(
            actor=self.actor,
            resource_id=data["resource"].pk,
            year=data["year"],
            cost_eur=plan_services.parse_unit_cost(data["cost_eur"]),
        )


@admin.register(UnitCost)
class UnitCostAdmin(ServiceAdmin):
    add_form = UnitCostForm
    list_display = ["resource", "year", "cost_eur"]
    list_filter = ["year"]
    list_select_related = ["resource"]


class FellowshipCostForm(ServiceForm):
    cost_eur = euros_field(_("cost per fellowship (EUR)"))

    class Meta:
        model = FellowshipCost
        fields = ["programme", "year"]

    def call_service(self, data: dict[str, Any]) -> Model:
        return plan_services.set_fellowship_cost(
            actor=self.actor,
            programme_id=data["programme"].pk,
            year=data["year"],
            cost_cents=services.parse_cents(data["cost_eur"], field="cost_eur"),
        )


@admin.register(FellowshipCost)
class FellowshipCostAdmin(ServiceAdmin):
    add_form = FellowshipCostForm
    list_display = ["programme", "year", "cost"]
    list_filter = ["year"]
    list_select_related = ["programme"]

    @admin.display(description=_("cost per fellowship"), ordering="cost_cents")
    def cost(self, obj: FellowshipCost) -> str:
        return rules.format_eur(obj.cost_cents)
