"""The secretariat's tool for money: NNI statistics (entry and CSV import), scale versions (compute,
read the arithmetic, link the motion, adopt), associates' fixed amounts, calls (issued for a year
from one form), payments (entry and bank CSV) and each state's account.

Every write is a service call: an add form's validation calls the service inside the admin's
transaction, so a refusal is shown on the field it concerns and nothing is written. Amounts are
read-only once recorded (a correction is a new record, never an edit that loses the old one).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cernai.accounts.permissions import is_secretariat
from cernai.core.admin import AuditTrailMixin
from cernai.core.errors import Refusal
from governance.models import Motion

from . import rules, selectors, services
from .models import AssociateAmount, Call, NNIStatistic, Payment, ScaleShare, ScaleVersion

# Service argument names as the forms call them (the forms take euros, the services cents).
_FORM_FIELD = {"nni_cents": "nni_eur", "amount_cents": "amount_eur", "total_cents": "total_eur", "file": "csv_text"}


def _show_refusal(form: forms.BaseForm, exc: Refusal) -> None:
    field = _FORM_FIELD.get(exc.field or "", exc.field)
    form.add_error(field if field in form.fields else None, str(exc.message))


class ServiceForm(forms.ModelForm):
    """An add form whose saving is one service call, made once the fields are valid; a refusal
    becomes the error of its field and the service has written nothing."""

    actor: Any = None
    created: Model | None = None

    def call_service(self, data: dict[str, Any]) -> Model:
        raise NotImplementedError

    def _post_clean(self) -> None:  # replaces the model validation: the service validates
        if self.errors:
            return
        try:
            with transaction.atomic():
                self.created = self.call_service(self.cleaned_data)
        except Refusal as exc:
            _show_refusal(self, exc)


def euros_field(label: Any) -> forms.CharField:
    return forms.CharField(label=label, help_text=_("In euros, with a point for cents, e.g. 1250000.00"))


class ServiceAdmin(AuditTrailMixin, admin.ModelAdmin):
    """Finance models in the secretariat's admin: added through a service, never edited or deleted."""

    add_form: type[ServiceForm] | None = None

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(is_secretariat(request.user)) and request.user.is_staff

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self.add_form is not None and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        if obj is None and self.add_form is not None:
            form = type(self.add_form.__name__, (self.add_form,), {"actor": request.user})
            return super().get_form(request, obj, change=change, **{**kwargs, "form": form})
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None and self.add_form is not None:
            return [*self.add_form._meta.fields, *self.add_form.declared_fields]  # type: ignore[misc]
        return super().get_fields(request, obj)

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        return form.created if isinstance(form, ServiceForm) else super().save_form(request, form, change)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not isinstance(form, ServiceForm):  # the service has saved it
            super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if not isinstance(form, ServiceForm):
            super().save_related(request, form, formsets, change)

    def service_view(
        self, request: HttpRequest, *, title: Any, form_class: type[forms.Form], run: Any, done: str
    ) -> HttpResponse:
        """A one-form page of the admin (imports, issuing calls) that calls a service on POST."""
        if not self.has_add_permission(request) and not self.has_view_permission(request):
            raise PermissionDenied
        form = form_class(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                message = run(form.cleaned_data)
            except Refusal as exc:
                _show_refusal(form, exc)
            else:
                self.message_user(request, message, messages.SUCCESS)
                return HttpResponseRedirect(reverse(done))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "form": form,
            "has_view_permission": self.has_view_permission(request),
        }
        return TemplateResponse(request, "admin/finance/service_form.html", context)


class CsvForm(forms.Form):
    csv_file = forms.FileField(label=_("CSV file"), required=False)
    csv_text = forms.CharField(label=_("or paste the CSV"), widget=forms.Textarea(attrs={"rows": 10}), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("csv_file")
        if upload:
            try:
                data["text"] = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise forms.ValidationError(_("The file is not UTF-8 text.")) from None
        elif data.get("csv_text", "").strip():
            data["text"] = data["csv_text"]
        else:
            raise forms.ValidationError(_("Choose a CSV file or paste its lines."))
        return data


# --- NNI statistics -------------------------------------------------------------------------------


class NNIForm(ServiceForm):
    nni_eur = euros_field(_("net national income (EUR)"))

    class Meta:
        model = NNIStatistic
        fields = ["state", "year", "source"]

    def call_service(self, data: dict[str, Any]) -> Model:
        return services.record_nni(
            actor=self.actor,
            state_id=data["state"].pk,
            year=data["year"],
            nni_cents=services.parse_cents(data["nni_eur"], field="nni_eur"),
            source=data["source"],
        )


@admin.register(NNIStatistic)
class NNIStatisticAdmin(ServiceAdmin):
    add_form = NNIForm
    list_display = ["state", "year", "nni", "source"]
    list_filter = ["year", "state"]
    list_select_related = ["state"]
    search_fields = ["state__name", "state__iso2"]
    change_list_template = "admin/finance/change_list_with_tools.html"

    @admin.display(description=_("net national income"), ordering="nni_cents")
    def nni(self, obj: NNIStatistic) -> str:
        return rules.format_eur(obj.nni_cents)

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="finance_nnistatistic_import"), *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        tools = [(reverse("admin:finance_nnistatistic_import"), _("Import a CSV"))]
        return super().changelist_view(request, {**(extra_context or {}), "finance_tools": tools})

    def import_view(self, request: HttpRequest) -> HttpResponse:
        def run(data: dict[str, Any]) -> str:
            count = services.import_nni_csv(actor=request.user, text=data["text"])
            return _("%(count)s NNI statistics imported.") % {"count": count}

        return self.service_view(
            request,
            title=_("Import NNI statistics (columns: state,year,nni_eur,source)"),
            form_class=CsvForm,
            run=run,
            done="admin:finance_nnistatistic_changelist",
        )


# --- scale versions -------------------------------------------------------------------------------


class ScaleComputeForm(ServiceForm):
    title = forms.CharField(label=_("title"), required=False, help_text=_("Empty: “Scale first–last”."))  # noqa: RUF001

    class Meta:
        model = ScaleVersion
        fields = ["title", "first_year", "last_year"]

    def call_service(self, data: dict[str, Any]) -> Model:
        return services.compute_scale_version(
            actor=self.actor, first_year=data["first_year"], last_year=data["last_year"], title=data["title"]
        )


class ScaleMotionForm(forms.ModelForm):
    class Meta:
        model = ScaleVersion
        fields = ["motion"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only two-thirds-of-all motions can adopt a scale (the service checks it again).
        if "motion" in self.fields:  # absent once adopted (read-only)
            motions = Motion.objects.filter(kind=Motion.Kind.TWO_THIRDS_ALL).order_by("-id")
            self.fields["motion"].queryset = motions  # type: ignore[attr-defined]


class ScaleShareInline(admin.TabularInline):
    """The arithmetic: the years averaged, the average, the share before and after the bounds."""

    model = ScaleShare
    extra = 0
    can_delete = False
    fields = ["state", "nni_years", "nni_average", "raw_share", "share", "bound"]
    readonly_fields = ["state", "nni_years", "nni_average", "raw_share", "share", "bound"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ScaleShare]:
        return super().get_queryset(request).select_related("state")

    @admin.display(description=_("NNI average"))
    def nni_average(self, obj: ScaleShare) -> str:
        return rules.format_eur(obj.nni_average_cents)


@admin.action(description=_("Adopt the selected scale versions (their motion must have been adopted)"))
def adopt_scales(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[ScaleVersion]) -> None:
    for version in queryset:
        try:
            services.adopt_scale_version(actor=request.user, version_id=version.pk)
        except Refusal as exc:
            modeladmin.message_user(request, f"{version}: {exc.message}", messages.ERROR)
        else:
            modeladmin.message_user(request, _("%(version)s adopted.") % {"version": version}, messages.SUCCESS)


@admin.register(ScaleVersion)
class ScaleVersionAdmin(ServiceAdmin):
    """Computed here; the arithmetic is shown read-only; a draft's motion is linked, then adopted."""

    add_form = ScaleComputeForm
    form = ScaleMotionForm
    list_display = ["title", "first_year", "last_year", "status", "motion", "adopted_at"]
    list_filter = ["status"]
    list_select_related = ["motion"]
    actions = [adopt_scales]
    inlines = [ScaleShareInline]
    readonly_fields = [
        "title",
        "first_year",
        "last_year",
        "status",
        "decision",
        "redistribution",
        "computed_at",
        "adopted_at",
    ]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Only a draft's motion link is editable; an adopted scale is fixed.
        draft = obj is None or obj.status == ScaleVersion.Status.DRAFT
        return draft and admin.ModelAdmin.has_change_permission(self, request, obj)

    def get_inlines(self, request: HttpRequest, obj: Any) -> Any:
        return self.inlines if obj is not None else []

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else []


# --- associates -----------------------------------------------------------------------------------


class AssociateAmountForm(ServiceForm):
    amount_eur = euros_field(_("amount (EUR)"))

    class Meta:
        model = AssociateAmount
        fields = ["state", "year", "agreement"]

    def call_service(self, data: dict[str, Any]) -> Model:
        return services.record_associate_amount(
            actor=self.actor,
            state_id=data["state"].pk,
            year=data["year"],
            amount_cents=services.parse_cents(data["amount_eur"], field="amount_eur"),
            agreement=data["agreement"],
        )


@admin.register(AssociateAmount)
class AssociateAmountAdmin(ServiceAdmin):
    add_form = AssociateAmountForm
    list_display = ["state", "year", "amount", "agreement"]
    list_select_related = ["state"]
    list_filter = ["year"]

    @admin.display(description=_("amount"), ordering="amount_cents")
    def amount(self, obj: AssociateAmount) -> str:
        return rules.format_eur(obj.amount_cents)


# --- calls ----------------------------------------------------------------------------------------


class IssueCallsForm(forms.Form):
    """Total contributions = the budget of the plan in force for the year minus other income (rules §4)."""

    year = forms.IntegerField(label=_("financial year"))
    other_income_eur = forms.CharField(
        label=_("other income (EUR)"),
        initial="0.00",
        help_text=_(
            "Subtracted from the budget of the medium-term plan in force for the year; in euros, with a point "
            "for cents, e.g. 1250000.00"
        ),
    )


@admin.register(Call)
class CallAdmin(ServiceAdmin):
    list_display = ["state", "year", "amount", "issued_on", "due_on", "scale"]
    list_filter = ["year"]
    list_select_related = ["state", "scale"]
    search_fields = ["state__name"]
    change_list_template = "admin/finance/change_list_with_tools.html"

    @admin.display(description=_("amount"), ordering="amount_cents")
    def amount(self, obj: Call) -> str:
        return rules.format_eur(obj.amount_cents)

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view(self.issue_view)
        return [path("issue/", view, name="finance_call_issue"), *super().get_urls()]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        tools = [(reverse("admin:finance_call_issue"), _("Issue the calls for a year"))]
        return super().changelist_view(request, {**(extra_context or {}), "finance_tools": tools})

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # calls are issued for a whole year at once, from the issue form

    def issue_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("finance.issue_calls"):
            raise PermissionDenied

        def run(data: dict[str, Any]) -> str:
            income = services.parse_cents(data["other_income_eur"], field="other_income_eur", zero=True)
            calls = services.issue_calls_from_plan(actor=request.user, year=data["year"], other_income_cents=income)
            return _("%(count)s calls issued for %(year)s.") % {"count": len(calls), "year": data["year"]}

        return self.service_view(
            request,
            title=_("Issue the calls for contributions of a year"),
            form_class=IssueCallsForm,
            run=run,
            done="admin:finance_call_changelist",
        )


# --- payments and accounts ------------------------------------------------------------------------


class PaymentForm(ServiceForm):
    amount_eur = euros_field(_("amount (EUR)"))

    class Meta:
        model = Payment
        fields = ["state", "received_on", "reference"]

    def call_service(self, data: dict[str, Any]) -> Model:
        return services.record_payment(
            actor=self.actor,
            state_id=data["state"].pk,
            received_on=data["received_on"],
            amount_cents=services.parse_cents(data["amount_eur"], field="amount_eur"),
            reference=data["reference"],
        )


@admin.register(Payment)
class PaymentAdmin(ServiceAdmin):
    add_form = PaymentForm
    list_display = ["state", "received_on", "amount", "reference", "recorded_by"]
    list_filter = ["state"]
    list_select_related = ["state", "recorded_by"]
    search_fields = ["state__name", "reference"]
    date_hierarchy = "received_on"
    change_list_template = "admin/finance/change_list_with_tools.html"

    @admin.display(description=_("amount"), ordering="amount_cents")
    def amount(self, obj: Payment) -> str:
        return rules.format_eur(obj.amount_cents)

    def get_urls(self) -> list[Any]:
        return [
            path("import/", self.admin_site.admin_view(self.import_view), name="finance_payment_import"),
            path("accounts/", self.admin_site.admin_view(self.accounts_view), name="finance_accounts"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        tools = [
            (reverse("admin:finance_payment_import"), _("Import bank lines")),
            (reverse("admin:finance_accounts"), _("Accounts of the states")),
        ]
        return super().changelist_view(request, {**(extra_context or {}), "finance_tools": tools})

    def import_view(self, request: HttpRequest) -> HttpResponse:
        def run(data: dict[str, Any]) -> str:
            count = services.import_bank_csv(actor=request.user, text=data["text"])
            return _("%(count)s payments imported.") % {"count": count}

        return self.service_view(
            request,
            title=_("Import bank lines (columns: state,date,amount_eur,reference)"),
            form_class=CsvForm,
            run=run,
            done="admin:finance_payment_changelist",
        )

    def accounts_view(self, request: HttpRequest) -> HttpResponse:
        """Each state's account today: called, paid, outstanding, overdue, and the art. V.8 sentence."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        accounts = sorted(selectors.accounts(on=timezone.now()).values(), key=lambda a: a.state.name)
        rows = [
            {
                "state": account.state,
                "called": rules.format_eur(account.called_cents),
                "paid": rules.format_eur(account.paid_cents),
                "outstanding": rules.format_eur(account.outstanding_cents),
                "overdue": rules.format_eur(account.overdue_cents),
                "credit": rules.format_eur(account.credit_cents),
                "explanation": account.arrears.explanation(account.state.display_name),
                "no_vote": account.arrears.no_vote,
            }
            for account in accounts
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Accounts of the states"),
            "rows": rows,
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/finance/accounts.html", context)


from . import plan_admin  # noqa: E402, F401  (the medium-term plan's admin registers itself)
