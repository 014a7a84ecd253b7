"""Demo data of the node registry and the medium-term plan (run after governance, fellowships and
compute by seed_demo): four national nodes linked to their host sites and compute site, plan lines,
unit costs for this year, and a plan version in force attached to the demo's adopted 2026 budget
motion. Idempotent: records are found by their natural keys and never duplicated."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from compute.models import Resource, Site
from fellowships.models import HostSite, Programme
from finance import plan_services
from finance.plan_models import FellowshipCost, PlanLine, PlanVersion, UnitCost
from governance.models import Ballot, MemberState, Motion

from .models import Node

NODES = [
    # slug, name, institution, state, host site name, compute site slug
    ("paris-saclay", "Node Paris-Saclay", "Université Paris-Saclay", "FR", "cernai node Paris-Saclay", None),
    ("munich", "Node Munich", "Leibniz Supercomputing Centre", "DE", "cernai node Munich", None),
    ("milan", "Node Milan", "Politecnico di Milano", "IT", "cernai node Milan", None),
    ("groningen", "Node Groningen", "University of Groningen", "NL", None, "groningen"),
]
M = 100_000_000  # one million euros, in cents


def seed(personas: dict[str, Any]) -> list[tuple[str, str]]:
    staff = personas["secretariat"]
    year = timezone.localdate().year
    states = {s.iso2: s for s in MemberState.objects.filter(iso2__in=[n[3] for n in NODES])}
    nodes = {}
    for slug, name, institution, iso, host, site in NODES:
        if iso not in states:
            continue
        node, _ = Node.objects.get_or_create(
            slug=slug, defaults={"name": name, "host_institution": institution, "state": states[iso]}
        )
        nodes[slug] = node
        if host:
            HostSite.objects.filter(name=host, node__isnull=True).update(node=node)
        if site:
            Site.objects.filter(slug=site, node__isnull=True).update(node=node)

    lines = {line.code: line for line in PlanLine.objects.all()}
    wanted: list[tuple[str, str, str, Node | None]] = [
        ("compute", "Flagship compute", PlanLine.Kind.COMPUTE, None),
        ("fellowships", "Fellowships and exchanges", PlanLine.Kind.FELLOWSHIPS, None),
        ("campus", "Flagship campus", PlanLine.Kind.FACILITY, None),
        *((f"node-{slug}", node.name, PlanLine.Kind.NODE, node) for slug, node in nodes.items()),
    ]
    for code, name, kind, line_node in wanted:
        if code not in lines:
            lines[code] = plan_services.define_line(
                actor=staff, code=code, name=name, kind=kind, node_id=line_node.pk if line_node else None
            )

    gpu = Resource.objects.filter(name="fox GPU-hours").first()
    if gpu is not None and not UnitCost.objects.filter(resource=gpu, year=year).exists():
        plan_services.set_unit_cost(actor=staff, resource_id=gpu.pk, year=year, cost_eur=Decimal("2.5000"))
    for programme in Programme.objects.all():
        if not FellowshipCost.objects.filter(programme=programme, year=year).exists():
            plan_services.set_fellowship_cost(actor=staff, programme_id=programme.pk, year=year, cost_cents=6_000_000)

    budget = Motion.objects.filter(title="Approve the 2026 budget", status=Motion.Status.ADOPTED).first()
    title = f"Medium-term plan {year}-{year + 4}"
    if budget is not None and not PlanVersion.objects.filter(title=title).exists():
        version = plan_services.draft_version(actor=staff, title=title, first_year=year)
        amounts = {"compute": 40 * M, "fellowships": 12 * M, "campus": 25 * M}
        for offset in range(5):
            for code, line in lines.items():
                cents = amounts.get(code, 5 * M) + offset * M
                plan_services.set_envelope(
                    actor=staff, version_id=version.pk, line_id=line.pk, year=year + offset, amount_cents=cents
                )
        # The demo's budget ballot was published before this plan existed: link and adopt it as the
        # publication would have (plan_services.motion_adopted), with the ballot's publication time.
        ballot = Ballot.objects.filter(motion=budget, status=Ballot.Status.PUBLISHED).first()
        with transaction.atomic():
            PlanVersion.objects.filter(pk=version.pk).update(motion=budget)
            plan_services.motion_adopted(motion=budget, now=ballot.published_at if ballot else None)
    return []
