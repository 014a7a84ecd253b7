"""Sign-up asks for what eligibility and circulation need: name, nationality, home institution and state."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cernai.core.countries import country_choices

from .models import User


class SignupProfileForm(forms.Form):
    name = forms.CharField(label=_("Full name"), max_length=200)
    nationality = forms.ChoiceField(label=_("Nationality"), choices=country_choices)
    home_institution = forms.CharField(label=_("Home institution"), max_length=200)
    home_country = forms.ChoiceField(label=_("State of your home institution"), choices=country_choices)

    def signup(self, request: Any, user: User) -> None:
        user.name = self.cleaned_data["name"]
        user.nationality = self.cleaned_data["nationality"]
        user.home_institution = self.cleaned_data["home_institution"]
        user.home_country = self.cleaned_data["home_country"]
        user.language = getattr(request, "LANGUAGE_CODE", "en")[:2]
        user.save()


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["name", "nationality", "home_institution", "home_country", "language"]
