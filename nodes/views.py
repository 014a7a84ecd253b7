"""Public pages of the national nodes: the registry and a page per node. Thin: the selectors read."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from finance.rules import format_eur

from . import selectors


def index(request: HttpRequest) -> HttpResponse:
    return render(request, "nodes/index.html", {"nodes": selectors.nodes()})


def detail(request: HttpRequest, slug: str) -> HttpResponse:
    page = selectors.node_page(get_object_or_404(selectors.nodes(), slug=slug))
    resources = [
        {"row": r, "used": "—" if r.used_hours is None else f"{r.used_hours.numerator // r.used_hours.denominator:,}"}
        for r in page.resources
    ]
    periods = [
        {
            "row": p,
            "used": "—" if p.used_hours is None else f"{p.used_hours.numerator // p.used_hours.denominator:,}",
            "percent": "—" if p.used_percent is None else f"{p.used_percent} %",
        }
        for p in page.periods
    ]
    envelopes = [
        {
            "line": r.line,
            "year": r.year,
            "envelope": format_eur(r.execution.envelope_cents),
            "executed": "—" if r.execution.executed_cents is None else format_eur(r.execution.executed_cents),
            "rate": "—" if r.execution.rate is None else f"{r.execution.rate} %",
            "unvalued": bool(r.execution.missing_costs),
        }
        for r in page.envelopes
    ]
    # Resources without a unit cost, named once under the table (not on every line they touch).
    missing = sorted({name for r in page.envelopes for name in r.execution.missing_costs})
    return render(
        request,
        "nodes/detail.html",
        {"page": page, "resources": resources, "periods": periods, "envelopes": envelopes, "missing": missing},
    )
