"""Forms of compute pages; the services validate the rules, the forms the shapes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import access_modes
from .access_modes import ReviewKind
from .models import Allocation, AllocationCall, AllocationRequest, ProjectMembership, RequestReview, Resource


class AllocationRequestForm(forms.Form):
    call = forms.ModelChoiceField(queryset=AllocationCall.objects.none(), label=_("Call"))
    resource = forms.ModelChoiceField(queryset=Resource.objects.none(), label=_("Resource"))
    amount = forms.IntegerField(
        label=_("Amount"), min_value=1, max_value=10**12, help_text=_("In the resource's unit (e.g. GPU-hours).")
    )
    start = forms.DateField(label=_("Start"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("End"), widget=forms.DateInput(attrs={"type": "date"}))
    justification = forms.CharField(
        label=_("Justification"), widget=forms.Textarea(attrs={"rows": 5}), max_length=10000
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        now = timezone.now()
        cast(forms.ModelChoiceField, self.fields["call"]).queryset = AllocationCall.objects.filter(
            opens_at__lte=now, cutoff_at__gt=now
        )
        cast(forms.ModelChoiceField, self.fields["resource"]).queryset = (
            Resource.objects.filter(calls__opens_at__lte=now, calls__cutoff_at__gt=now)
            .select_related("cluster")
            .distinct()
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The period ends before it starts."))
        return data


class AssignReviewerForm(forms.Form):
    """The secretariat asks a person, by their sign-in address, for one kind of review of a request."""

    email = forms.EmailField(label=_("Reviewer's email address"))
    kind = forms.ChoiceField(label=_("Kind of review"))

    def __init__(self, *args: Any, allocation_request: AllocationRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = access_modes.required_reviews(allocation_request.access_mode)
        cast(forms.ChoiceField, self.fields["kind"]).choices = [(k, ReviewKind(k).label) for k in kinds]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("email"):
            data["reviewer"] = get_user_model().objects.filter(email__iexact=data["email"], is_active=True).first()
            if data["reviewer"] is None:
                self.add_error("email", _("No one has an account with this address."))
        return data


class DecisionForm(forms.Form):
    """Approve (all or part of the amount) or reject; the reason is sent to the PI either way."""

    APPROVE, REJECT = "approve", "reject"

    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("", "—"), (APPROVE, _("Approve")), (REJECT, _("Reject"))]
    )
    amount = forms.IntegerField(
        label=_("Amount granted"),
        min_value=0,
        max_value=10**12,
        help_text=_("When approving: the amount requested, or less."),
    )
    note = forms.CharField(
        label=_("Reason (sent to the PI)"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000
    )

    def __init__(self, *args: Any, allocation_request: AllocationRequest, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount"].initial = allocation_request.amount
        self.max_amount = allocation_request.amount

    def clean_amount(self) -> int:
        amount = int(self.cleaned_data["amount"])
        if amount > self.max_amount:
            raise forms.ValidationError(_("At most the %(n)d requested.") % {"n": self.max_amount})
        return amount


class ReviewForm(forms.Form):
    verdict = forms.ChoiceField(label=_("Verdict"), choices=[("", "—"), *RequestReview.Verdict.choices])
    score = forms.DecimalField(
        label=_("Score (0 to 5)"), required=False, min_value=0, max_value=5, max_digits=2, decimal_places=1
    )
    comment = forms.CharField(
        label=_("Comment (seen by the secretariat)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=20000,
    )


class ConflictForm(forms.Form):
    reason = forms.CharField(
        label=_("What is the conflict?"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )


class MemberForm(forms.Form):
    email = forms.EmailField(label=_("Email address of their account"))
    role = forms.ChoiceField(label=_("Role"), choices=ProjectMembership.Role.choices)


class RenewalForm(AllocationRequestForm):
    """A request for a new allocation of the same resource that follows this one, in an open call."""

    def __init__(self, *args: Any, allocation: Allocation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["resource"]
        call_field = cast(forms.ModelChoiceField, self.fields["call"])
        call_field.queryset = call_field.queryset.filter(resources=allocation.resource_id)  # type: ignore[union-attr]
        self.fields["start"].initial = allocation.end + timedelta(days=1)
        self.fields["amount"].initial = allocation.amount


class ExtensionForm(forms.Form):
    """More quota, more time, or both, on a running allocation."""

    amount = forms.IntegerField(
        label=_("Additional amount"),
        min_value=0,
        max_value=10**12,
        initial=0,
        help_text=_("In the resource's unit; 0 to ask for time only."),
    )
    end = forms.DateField(label=_("New end"), widget=forms.DateInput(attrs={"type": "date"}))
    justification = forms.CharField(
        label=_("Justification"), widget=forms.Textarea(attrs={"rows": 5}), max_length=10000
    )
