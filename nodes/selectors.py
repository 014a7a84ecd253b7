"""Reads of the node registry: the list, and a node's page (fellows hosted at its host sites, its
compute resources with what is granted and used, its envelopes in the plan in force, its people),
each in a fixed number of queries whatever the number of rows."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from compute.models import Resource, ResourcePeriod, Unit
from fellowships.models import Application, HostSite
from finance.plan_models import Envelope, PlanVersion
from finance.plan_rules import Execution, percent
from finance.plan_selectors import execution, plan_in_force

from .models import Node

HOUR_UNITS = (Unit.GPU_HOURS, Unit.CORE_HOURS)


def nodes() -> QuerySet[Node]:
    return Node.objects.select_related("state", "programme").order_by("name")


@dataclass(frozen=True)
class HostedRow:
    host_site: str
    accepted: int
    placed: int


@dataclass(frozen=True)
class ResourceRow:
    name: str
    unit: str
    site: str
    granted: int  # in the resource's unit, all allocations
    used_hours: Fraction | None  # None for a unit not counted in hours (storage)


@dataclass(frozen=True)
class PeriodRow:
    """One period of a node resource: its capacity, what was granted and what the ledger says was used."""

    resource: str
    unit: str
    start: Any
    end: Any
    capacity: int
    granted: int  # the allocations of the period, top-ups included
    used_hours: Fraction | None  # from the allocations' ledger totals; None for storage

    @property
    def used_percent(self) -> Decimal | None:
        """Hours used as a percentage of the hours granted (hour units only), two decimals."""
        return None if self.used_hours is None else percent(self.used_hours, self.granted)


@dataclass(frozen=True)
class EnvelopeRow:
    line: str
    year: int
    execution: Execution


@dataclass(frozen=True)
class NodePage:
    node: Node
    people: list[Any]
    hosted: list[HostedRow]
    resources: list[ResourceRow]
    periods: list[PeriodRow]
    plan: PlanVersion | None
    envelopes: list[EnvelopeRow]  # the node's lines in the plan in force, with their execution

    @property
    def fellows_hosted(self) -> int:
        return sum(r.accepted for r in self.hosted)


def node_page(node: Node) -> NodePage:
    hosted = [
        HostedRow(site.name, site.accepted, site.placed)
        for site in HostSite.objects.filter(node=node)
        .annotate(
            accepted=Count("applications", filter=Q(applications__status=Application.Status.ACCEPTED), distinct=True),
            placed=Count("placements", distinct=True),
        )
        .order_by("name")
    ]
    resources = [
        ResourceRow(
            name=r.name,
            unit=r.get_unit_display(),
            site=r.cluster.site.name,
            granted=r.granted or 0,
            used_hours=Fraction(r.used or 0, 3600) if r.unit in HOUR_UNITS else None,
        )
        for r in Resource.objects.filter(cluster__site__node=node)
        .select_related("cluster__site")
        .annotate(granted=Sum("allocations__amount"), used=Sum("allocations__used_seconds"))
        .order_by("name")
    ]
    periods = [
        PeriodRow(
            resource=p.resource.name,
            unit=p.resource.get_unit_display(),
            start=p.start,
            end=p.end,
            capacity=p.capacity,
            granted=p.granted_total or 0,
            used_hours=Fraction(p.used or 0, 3600) if p.resource.unit in HOUR_UNITS else None,
        )
        for p in ResourcePeriod.objects.filter(resource__cluster__site__node=node)
        .select_related("resource")
        .annotate(granted_total=Sum("allocations__amount"), used=Sum("allocations__used_seconds"))
        .order_by("resource__name", "-start")
    ]
    plan = plan_in_force()
    envelopes: list[EnvelopeRow] = []
    if plan is not None:
        # One execution read per year of the plan (a fixed number), never per line or allocation.
        years = set(Envelope.objects.filter(version=plan, line__node=node).values_list("year", flat=True))
        for year in sorted(years):
            envelopes += [EnvelopeRow(line.name, year, e) for line, e in execution(plan, year, node_id=node.pk)]
        envelopes.sort(key=lambda r: (r.line, r.year))
    return NodePage(
        node=node,
        people=list(node.people.order_by("name")),
        hosted=hosted,
        resources=resources,
        periods=periods,
        plan=plan,
        envelopes=envelopes,
    )
