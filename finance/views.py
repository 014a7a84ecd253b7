"""Public pages of finance: the contributions of a year (scale, calls, payments per state), as a
page and as CSV. Thin: the selector computes, the page shows."""

from __future__ import annotations

import csv

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import rules, selectors
from .services import FIRST_YEAR, LAST_YEAR


class YearForm(forms.Form):
    year = forms.IntegerField(label=_("financial year"), min_value=FIRST_YEAR, max_value=LAST_YEAR, required=False)


def _year(request: HttpRequest) -> tuple[YearForm, int]:
    form = YearForm(request.GET)
    year = timezone.localdate().year
    if form.is_valid() and form.cleaned_data["year"]:
        year = form.cleaned_data["year"]
    return form, year


def contributions(request: HttpRequest) -> HttpResponse:
    """The scale in force, each state's call for the year and how much of it is paid."""
    form, year = _year(request)
    rows = selectors.contributions(year=year, on=timezone.now())
    table = [
        {
            "row": row,
            "called": rules.format_eur(row.called_cents),
            "settled": rules.format_eur(row.settled_cents),
            "outstanding": rules.format_eur(row.outstanding_cents),
            "received": rules.format_eur(row.received_in_year_cents),
        }
        for row in rows
    ]
    scale = selectors.scale_in_force(year)
    return render(
        request,
        "finance/contributions.html",
        {"form": form, "year": year, "table": table, "scale": scale},
        status=400 if form.errors else 200,
    )


CSV_COLUMNS = ["year", "state", "name", "share_percent", "called_eur", "settled_eur", "outstanding_eur", "received_eur"]


def _euros(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def contributions_csv(request: HttpRequest) -> HttpResponse:
    """The same table as CSV, amounts in euros with two decimals (exact, from integer cents)."""
    form, year = _year(request)
    if form.errors:
        return HttpResponse(
            "\n".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items()), status=400
        )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="contributions-{year}.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for row in selectors.contributions(year=year, on=timezone.now()):
        writer.writerow(
            [
                year,
                row.iso2,
                row.name,
                "" if row.share is None else row.share,
                _euros(row.called_cents),
                _euros(row.settled_cents),
                _euros(row.outstanding_cents),
                _euros(row.received_in_year_cents),
            ]
        )
    return response
