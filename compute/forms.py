"""Forms of compute pages; the services validate the rules, the forms the shapes."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import AllocationCall, Resource


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
