"""Reads of the node registry: the list, and a node's page (fellows hosted at its host sites, its
compute resources with what is granted and used, its envelopes in the plan in force, its people),
each in a fixed number of queries whatever the number of rows."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from compute.models import Resource, Unit
from fellowships.models import Application, HostSite
from finance.plan_models import Envelope, PlanVersion
from finance.plan_selectors import plan_in_force

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
class NodePage:
    node: Node
    people: list[Any]
    hosted: list[HostedRow]
    resources: list[ResourceRow]
    plan: PlanVersion | None
    envelopes: list[tuple[str, int, int]]  # (line name, year, cents) in the plan in force

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
    plan = plan_in_force()
    envelopes = (
        [
            (e.line.name, e.year, e.amount_cents)
            for e in Envelope.objects.filter(version=plan, line__node=node)
            .select_related("line")
            .order_by("line__name", "year")
        ]
        if plan
        else []
    )
    return NodePage(
        node=node,
        people=list(node.people.order_by("name")),
        hosted=hosted,
        resources=resources,
        plan=plan,
        envelopes=envelopes,
    )
