"""Public pages of the medium-term plan: the plan in force with its execution for a year, each
adopted version with what changed, and the fair-return board (chart, table, CSV). Thin: the
selectors compute, the pages show."""

from __future__ import annotations

import csv
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext as _

from cernai.core import charts

from . import plan_rules, plan_selectors, rules
from .plan_models import PlanLine, PlanVersion
from .views import _euros, _year


def _eur(cents: int | None) -> str:
    return "—" if cents is None else rules.format_eur(cents)


def _table(version: PlanVersion) -> dict[str, Any]:
    table = plan_selectors.plan_table(version)
    return {
        "years": table.years,
        "rows": [(line, [_eur(a) for a in amounts]) for line, amounts in table.rows],
        "totals": [_eur(t) for t in table.totals],
    }


def plan(request: HttpRequest) -> HttpResponse:
    """The plan in force, and for the year asked its budget and execution line by line."""
    form, year = _year(request)
    in_force = plan_selectors.plan_in_force()
    for_year = plan_selectors.plan_in_force(year)
    lines = plan_selectors.execution(for_year, year) if for_year else []
    execution = [
        {
            "line": line,
            "envelope": _eur(e.envelope_cents),
            "executed": _eur(e.executed_cents),
            "remaining": _eur(e.remaining_cents),
            "rate": e.rate,
            "missing": e.missing_costs,
        }
        for line, e in lines
    ]
    context = {
        "form": form,
        "year": year,
        "version": in_force,
        "table": _table(in_force) if in_force else None,
        "for_year": for_year,
        "budget": _eur(plan_selectors.budget_cents(year)),
        "execution": execution,
        "execution_chart": _execution_chart(lines),
        "versions": plan_selectors.adopted_versions(),
    }
    return render(request, "finance/plan.html", context, status=400 if form.errors else 200)


def _execution_chart(lines: list[tuple[PlanLine, plan_rules.Execution]]) -> dict[str, Any]:
    """Envelope and executed amount per line, in EUR from zero; a line the portal does not measure
    has no "executed" bar (not a zero)."""

    def euros(cents: int | None) -> Decimal | None:
        return None if cents is None else Decimal(cents) / 100

    return charts.bar_chart(
        [line.name for line, _e in lines],
        [
            charts.dataset(
                _("Envelope (EUR)"), [euros(e.envelope_cents) for _l, e in lines], backgroundColor="#0b4f8a"
            ),
            charts.dataset(
                _("Executed (EUR)"), [euros(e.executed_cents) for _l, e in lines], backgroundColor="#d97706"
            ),
        ],
        value_title=_("EUR"),
        horizontal=True,
    )


def plan_version(request: HttpRequest, pk: int) -> HttpResponse:
    """An adopted version (drafts are the secretariat's), with what changed from the one before."""
    version = get_object_or_404(PlanVersion.objects.select_related("motion", "based_on"), pk=pk)
    if version.status != PlanVersion.Status.ADOPTED:
        raise Http404(_("No adopted plan version with this number."))
    earlier = version.based_on or (
        PlanVersion.objects.filter(status=PlanVersion.Status.ADOPTED, adopted_at__lt=version.adopted_at)
        .order_by("-adopted_at")
        .first()
    )
    changes = [
        {
            "line": c.line,
            "year": c.change.year,
            "kind": c.change.kind,
            "before": _eur(c.change.before_cents),
            "after": _eur(c.change.after_cents),
            "delta": rules.format_eur(c.change.delta_cents),
        }
        for c in (plan_selectors.compare_versions(earlier, version) if earlier else [])
    ]
    context = {"version": version, "table": _table(version), "earlier": earlier, "changes": changes}
    return render(request, "finance/plan_version.html", context)


def _share(value: Decimal | None) -> str:
    return "—" if value is None else f"{value}"


def fair_return(request: HttpRequest) -> HttpResponse:
    """Per state: contribution share against compute granted and used, fellows sent and hosted,
    national nodes funded; a chart with the same numbers in the table beside it."""
    form, year = _year(request)
    board = plan_selectors.fair_return(year)
    labels = [row.name for row in board.rows]

    # Decimal strings (Chart.js reads numeric strings): no float between the rule and the page; a
    # share that cannot be valued (no unit cost) is no bar, not a zero.
    chart = charts.bar_chart(
        labels,
        [
            charts.dataset(
                _("Share of contributions (%)"), [r.contribution_share for r in board.rows], backgroundColor="#0b4f8a"
            ),
            charts.dataset(
                _("Share of compute granted (%)"),
                [r.compute_granted_share for r in board.rows],
                backgroundColor="#d97706",
            ),
            charts.dataset(
                _("Share of compute used (%)"), [r.compute_used_share for r in board.rows], backgroundColor="#1f6f3a"
            ),
        ],
        percent=True,
    )
    rows = [
        {
            "row": r,
            "contribution": _eur(r.contribution_cents),
            "contribution_share": _share(r.contribution_share),
            "granted": _eur(r.compute_granted_cents),
            "granted_share": _share(r.compute_granted_share),
            "used": _eur(r.compute_used_cents),
            "used_share": _share(r.compute_used_share),
            "nodes_envelope": _eur(r.nodes_envelope_cents),
        }
        for r in board.rows
    ]
    context = {"form": form, "year": year, "board": board, "rows": rows, "chart": chart}
    return render(request, "finance/fair_return.html", context, status=400 if form.errors else 200)


FAIR_RETURN_COLUMNS = [
    "year",
    "state",
    "name",
    "contribution_eur",
    "contribution_share_percent",
    "compute_granted_eur",
    "compute_granted_share_percent",
    "compute_used_eur",
    "compute_used_share_percent",
    "fellows_sent",
    "fellows_hosted",
    "nodes_funded",
    "nodes_envelope_eur",
]


def fair_return_csv(request: HttpRequest) -> HttpResponse:
    """The board as CSV: euros with two decimals (exact, from integer cents), shares in percent."""
    form, year = _year(request)
    if form.errors:
        return HttpResponse(
            "\n".join(f"{k}: {' '.join(str(e) for e in v)}" for k, v in form.errors.items()), status=400
        )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="fair-return-{year}.csv"'
    writer = csv.writer(response)
    writer.writerow(FAIR_RETURN_COLUMNS)
    for r in plan_selectors.fair_return(year).rows:
        writer.writerow(
            [
                year,
                r.iso2,
                r.name,
                _euros(r.contribution_cents),
                "" if r.contribution_share is None else r.contribution_share,
                _euros(r.compute_granted_cents),
                "" if r.compute_granted_share is None else r.compute_granted_share,
                _euros(r.compute_used_cents),
                "" if r.compute_used_share is None else r.compute_used_share,
                r.fellows_sent,
                r.fellows_hosted,
                r.nodes_funded,
                _euros(r.nodes_envelope_cents),
            ]
        )
    return response
