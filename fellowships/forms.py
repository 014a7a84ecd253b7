"""Forms of fellowships: the application's steps, referees, reviews and staff actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cernai.core.countries import country_choices

from .models import Application, CareerBreak, Placement

COUNTRY_CHOICES = country_choices  # called at each rendering: names in the reader's language


class DateInput(forms.DateInput):
    input_type = "date"


class DetailsForm(forms.ModelForm):
    """Step 1: who you are and where you would go."""

    nationality = forms.ChoiceField(label=_("Nationality"), choices=COUNTRY_CHOICES)
    home_country = forms.ChoiceField(label=_("State of your home institution"), choices=COUNTRY_CHOICES)

    class Meta:
        model = Application
        fields = [
            "nationality",
            "home_institution",
            "home_country",
            "host_site",
            "proposed_start",
            "proposed_end",
            "secondment_months",
        ]
        widgets = {"proposed_start": DateInput(), "proposed_end": DateInput()}
        help_texts = {"secondment_months": _("At most one third of the duration.")}

    def __init__(self, *args: Any, call: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["host_site"].queryset = call.host_sites.all()  # type: ignore[attr-defined]
        for name in ("home_institution", "host_site", "proposed_start", "proposed_end"):
            self.fields[name].required = True

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("proposed_start"), data.get("proposed_end")
        if start and end and end <= start:
            self.add_error("proposed_end", _("The end must be after the start."))
        return data


class ProjectForm(forms.ModelForm):
    """Step 2: the project."""

    class Meta:
        model = Application
        fields = ["title", "research_plan"]
        widgets = {"research_plan": forms.Textarea(attrs={"rows": 10})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = True


class CareerForm(forms.ModelForm):
    """Step 3: degrees and experience."""

    class Meta:
        model = Application
        fields = ["highest_degree", "masters_date", "phd_date", "experience_years"]
        widgets = {"masters_date": DateInput(), "phd_date": DateInput()}
        help_texts = {"phd_date": _("The date of the defence; a defended thesis counts before the award.")}


class PeriodForm(forms.Form):
    """One stay or career break, [from, to)."""

    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("To (exclusive)"), required=False, widget=DateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if bool(start) != bool(end):
            raise forms.ValidationError(_("Give both dates, or neither."))
        if start and end and end <= start:
            self.add_error("end", _("The end must be after the start."))
        return data


class StayForm(PeriodForm):
    country = forms.ChoiceField(label=_("Country"), choices=COUNTRY_CHOICES, required=False)
    field_order = ["country", "start", "end"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and not data.get("country"):
            self.add_error("country", _("Which country?"))
        return data


class BreakForm(PeriodForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *CareerBreak.Kind.choices], required=False)
    field_order = ["kind", "start", "end"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and not data.get("kind"):
            self.add_error("kind", _("Which kind of break?"))
        return data


StayFormSet = forms.formset_factory(StayForm, extra=4, max_num=20)
BreakFormSet = forms.formset_factory(BreakForm, extra=3, max_num=20)


class DocumentForm(forms.Form):
    cv = forms.FileField(label=_("CV (PDF)"), required=False)
    plan_file = forms.FileField(label=_("Research plan (PDF)"), required=False)


class RefereeForm(forms.Form):
    name = forms.CharField(label=_("Referee's name"), max_length=200)
    email = forms.EmailField(label=_("Referee's email"))


class LetterForm(forms.Form):
    letter = forms.FileField(label=_("Reference letter (PDF)"))


class ReviewForm(forms.Form):
    """One field per criterion of the call, 0-5 with one decimal; a blank is refused, never 0."""

    def __init__(self, *args: Any, criteria: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for criterion in criteria:
            self.fields[f"score_{criterion.key}"] = forms.CharField(
                label=f"{criterion.name} ({criterion.weight} %)",
                required=False,
                help_text=_("0 to 5, one decimal."),
                widget=forms.NumberInput(attrs={"min": 0, "max": 5, "step": "0.1", "inputmode": "decimal"}),
            )
        self.fields["comment"] = forms.CharField(
            label=_("Comment (seen by staff only)"), required=False, widget=forms.Textarea(attrs={"rows": 5})
        )


class ConflictForm(forms.Form):
    reason = forms.CharField(label=_("Why you have a conflict of interest"), widget=forms.Textarea(attrs={"rows": 3}))


class OverrideForm(forms.Form):
    eligible = forms.TypedChoiceField(
        label=_("Eligibility"),
        choices=[("yes", _("eligible")), ("no", _("not eligible"))],
        coerce=lambda v: v == "yes",
    )
    justification = forms.CharField(label=_("Justification (logged)"), widget=forms.Textarea(attrs={"rows": 3}))


class InfoRequestForm(forms.Form):
    message = forms.CharField(label=_("Information needed"), widget=forms.Textarea(attrs={"rows": 3}))


class AssignForm(forms.Form):
    reviewers: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(label=_("Reviewers"), queryset=None)
    justification = forms.CharField(
        label=_("Justification to override conflicts (logged)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Leave empty to refuse every conflicted pair."),
    )

    def __init__(self, *args: Any, reviewers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reviewers"].queryset = reviewers  # type: ignore[attr-defined]


class ReturnReportForm(forms.ModelForm):
    returned_country = forms.ChoiceField(
        label=_("State of your institution after the placement"), choices=COUNTRY_CHOICES, required=False
    )

    class Meta:
        model = Placement
        fields = ["report_text", "returned_country", "returned_on"]
        widgets = {"returned_on": DateInput(), "report_text": forms.Textarea(attrs={"rows": 8})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["report_text"].required = True


class RejectForm(forms.Form):
    """A rejection always carries its reason: stored, audited and sent to the applicant."""

    reason = forms.CharField(
        label=_("Reason for the rejection (sent to the applicant)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Reason for the rejection: required, it is sent to the applicant.")},
    )
