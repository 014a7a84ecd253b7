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
    envelopes = [(line, year, format_eur(cents)) for line, year, cents in page.envelopes]
    return render(request, "nodes/detail.html", {"page": page, "resources": resources, "envelopes": envelopes})
