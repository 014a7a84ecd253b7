"""Forms of the governance pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Choice


class VoteForm(forms.Form):
    """The delegate's choice; a second, confirming step submits it."""

    choice = forms.ChoiceField(label=_("Your delegation's vote"), choices=Choice.choices, widget=forms.RadioSelect)
