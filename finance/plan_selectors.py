"""Reads of the medium-term plan: the version in force for a year, a version's envelopes as a table,
the comparison of two versions, execution against the envelopes, the year's budget, and the public
fair-return board. Each read is a fixed number of queries whatever the number of lines or states.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, Q, Sum

from compute.models import Allocation, Resource, Unit
from fellowships.models import Application
from governance.models import MemberState

from . import plan_rules
from .models import Call, ScaleShare
from .plan_models import Envelope, FellowshipCost, PlanLine, PlanVersion, UnitCost
from .selectors import scale_in_force

HOUR_UNITS = (Unit.GPU_HOURS, Unit.CORE_HOURS)  # units whose usage (unit-seconds) converts to units


def adopted_versions() -> list[PlanVersion]:
    """Every adopted version, the one adopted last first."""
    return list(PlanVersion.objects.filter(status=PlanVersion.Status.ADOPTED).select_related("motion"))


def plan_in_force(year: int | None = None) -> PlanVersion | None:
    """The adopted version in force (for ``year``: the latest adopted that covers it)."""
    versions = PlanVersion.objects.filter(status=PlanVersion.Status.ADOPTED)
    if year is not None:
        versions = versions.filter(first_year__lte=year, last_year__gte=year)
    return versions.select_related("motion").order_by("-adopted_at", "-id").first()


def budget_cents(year: int) -> int | None:
    """Year ``year``'s budget: the plan in force's envelopes for the year (None without a plan)."""
    version = plan_in_force(year)
    if version is None:
        return None
    return Envelope.objects.filter(version=version, year=year).aggregate(total=Sum("amount_cents"))["total"] or 0


@dataclass(frozen=True)
class PlanTable:
    """A version's envelopes: one row per line, one column per year, with totals."""

    version: PlanVersion
    years: list[int]
    rows: list[tuple[PlanLine, list[int | None]]]
    totals: list[int]


def plan_table(version: PlanVersion) -> PlanTable:
    years = version.years
    amounts: dict[int, dict[int, int]] = defaultdict(dict)
    lines: dict[int, PlanLine] = {}
    for envelope in Envelope.objects.filter(version=version).select_related("line", "line__state"):
        lines[envelope.line_id] = envelope.line
        amounts[envelope.line_id][envelope.year] = envelope.amount_cents
    ordered = sorted(lines.values(), key=lambda line: (line.kind, line.name, line.pk))
    rows = [(line, [amounts[line.pk].get(y) for y in years]) for line in ordered]
    totals = [sum(amounts[line.pk].get(y, 0) for line in ordered) for y in years]
    return PlanTable(version=version, years=years, rows=rows, totals=totals)


@dataclass(frozen=True)
class ComparedLine:
    line: PlanLine
    change: plan_rules.Change


def compare_versions(before: PlanVersion, after: PlanVersion) -> list[ComparedLine]:
    """What changed from ``before`` to ``after``, envelope by envelope, over the years ``after``
    covers (earlier years are history, not changes; unchanged envelopes are left out)."""
    envelopes = Envelope.objects.filter(
        version__in=[before, after], year__gte=after.first_year, year__lte=after.last_year
    ).select_related("line")
    lines: dict[int, PlanLine] = {}
    amounts: dict[int, dict[tuple[int, int], int]] = {before.pk: {}, after.pk: {}}
    for e in sorted(envelopes, key=lambda e: (e.line.kind, e.line.name, e.line_id, e.year)):
        lines[e.line_id] = e.line
        amounts[e.version_id][(e.line_id, e.year)] = e.amount_cents
    changes = plan_rules.compare(amounts[before.pk], amounts[after.pk])
    return [ComparedLine(lines[c.line], c) for c in changes if c.kind != "same"]  # type: ignore[index]


# --- execution ------------------------------------------------------------------------------------


@dataclass
class _Quantities:
    """What was granted and accepted in a year, grouped the way lines select them."""

    compute: list[tuple[int, int, int | None, int]] = field(default_factory=list)  # (resource, site, node, amount)
    fellows: dict[int, int] = field(default_factory=dict)  # programme -> accepted
    unit_costs: dict[int, Decimal] = field(default_factory=dict)
    fellowship_costs: dict[int, int] = field(default_factory=dict)
    resource_names: dict[int, str] = field(default_factory=dict)
    programme_names: dict[int, str] = field(default_factory=dict)
    # Lines selecting the same allocations (same site or node) are valued once per page, not per line.
    compute_by_selection: dict[tuple[int | None, int | None], tuple[int, tuple[str, ...]]] = field(default_factory=dict)


def _quantities(year: int) -> _Quantities:
    q = _Quantities()
    for row in (
        Allocation.objects.filter(start__year=year)
        .values("resource_id", "resource__name", "resource__cluster__site_id", "resource__cluster__site__node_id")
        .annotate(total=Sum("amount"))
        .order_by("resource_id")
    ):
        q.compute.append(
            (
                row["resource_id"],
                row["resource__cluster__site_id"],
                row["resource__cluster__site__node_id"],
                row["total"],
            )
        )
        q.resource_names[row["resource_id"]] = row["resource__name"]
    for fellows in (
        Application.objects.filter(status=Application.Status.ACCEPTED, decided_at__year=year)
        .values("call__programme_id", "call__programme__name")
        .annotate(n=Count("id"))
        .order_by("call__programme_id")
    ):
        q.fellows[fellows["call__programme_id"]] = fellows["n"]
        q.programme_names[fellows["call__programme_id"]] = fellows["call__programme__name"]
    q.unit_costs = dict(UnitCost.objects.filter(year=year).values_list("resource_id", "cost_eur"))
    q.fellowship_costs = dict(FellowshipCost.objects.filter(year=year).values_list("programme_id", "cost_cents"))
    return q


def _executed(line: PlanLine, q: _Quantities) -> tuple[int | None, tuple[str, ...]]:
    """What a line executed in the year (None: not measured), and what could not be valued."""
    total, missing = 0, []
    # A node line measures the allocations of its compute site, or else of its registered node's sites.
    by_node = line.kind == PlanLine.Kind.NODE and line.site_id is None and line.node_id is not None
    if line.kind == PlanLine.Kind.COMPUTE or (line.kind == PlanLine.Kind.NODE and line.site_id is not None) or by_node:
        selection = (line.site_id, line.node_id if by_node else None)
        if selection in q.compute_by_selection:
            return q.compute_by_selection[selection]
        for resource_id, site_id, node_id, amount in q.compute:
            if line.site_id is not None and site_id != line.site_id:
                continue
            if by_node and node_id != line.node_id:
                continue
            cost = q.unit_costs.get(resource_id)
            if cost is None:
                missing.append(q.resource_names[resource_id])
            else:
                total += plan_rules.value_cents(amount, cost)
        q.compute_by_selection[selection] = (total, tuple(missing))
        return total, tuple(missing)
    if line.kind == PlanLine.Kind.FELLOWSHIPS:
        for programme_id, accepted in q.fellows.items():
            if line.programme_id is not None and programme_id != line.programme_id:
                continue
            cost_cents = q.fellowship_costs.get(programme_id)
            if cost_cents is None:
                missing.append(q.programme_names[programme_id])
            else:
                total += accepted * cost_cents
        return total, tuple(missing)
    return None, ()


def execution(
    version: PlanVersion, year: int, *, node_id: int | None = None
) -> list[tuple[PlanLine, plan_rules.Execution]]:
    """Each line of ``version`` with an envelope for ``year`` (only the lines funding ``node_id`` if
    given): the envelope and what was executed."""
    q = _quantities(year)
    envelopes = Envelope.objects.filter(version=version, year=year).select_related("line", "line__state")
    if node_id is not None:
        envelopes = envelopes.filter(line__node_id=node_id)
    ordered = sorted(envelopes, key=lambda e: (e.line.kind, e.line.name, e.line_id))
    result = []
    for envelope in ordered:
        executed, missing = _executed(envelope.line, q)
        result.append((envelope.line, plan_rules.Execution(envelope.amount_cents, executed, missing)))
    return result


# --- fair return ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FairReturnRow:
    """One state's line of the fair-return board for a year."""

    iso2: str
    name: str
    contribution_cents: int
    contribution_share: Decimal | None  # percent of the year's calls (or of the scale without calls)
    compute_granted_cents: int
    compute_granted_share: Decimal | None
    compute_used_cents: int
    compute_used_share: Decimal | None
    fellows_sent: int
    fellows_hosted: int
    nodes_funded: int
    nodes_envelope_cents: int


@dataclass(frozen=True)
class FairReturn:
    year: int
    rows: list[FairReturnRow]
    plan: PlanVersion | None
    missing_costs: tuple[str, ...]  # resources whose allocations could not be valued


def fair_return(year: int) -> FairReturn:
    """Per state for ``year``: share of contributions against the compute its projects were granted
    and used (valued at the unit costs), fellows sent and hosted, national nodes funded by the plan."""
    states = list(
        MemberState.objects.filter(status__in=[MemberState.Status.MEMBER, MemberState.Status.ASSOCIATE]).order_by(
            "name", "iso2"
        )
    )
    called = dict(
        Call.objects.filter(year=year).values("state_id").annotate(t=Sum("amount_cents")).values_list("state_id", "t")
    )
    contribution_share = plan_rules.shares({s.pk: called.get(s.pk, 0) for s in states})
    if not called:  # no calls yet: the adopted scale in force says what each will pay
        scale = scale_in_force(year)
        scale_shares = dict(ScaleShare.objects.filter(version=scale).values_list("state_id", "share")) if scale else {}
        contribution_share = {
            s.pk: (scale_shares[s.pk].quantize(plan_rules.SHARE_QUANTUM) if s.pk in scale_shares else None)
            for s in states
        }

    costs = dict(UnitCost.objects.filter(year=year).values_list("resource_id", "cost_eur"))
    granted: dict[int, int] = defaultdict(int)
    used: dict[int, int] = defaultdict(int)
    missing: set[str] = set()
    for row in (
        Allocation.objects.filter(start__year=year, project__home_state__isnull=False)
        .values("project__home_state_id", "resource_id", "resource__name", "resource__unit")
        .annotate(amount=Sum("amount"), seconds=Sum("used_seconds"))
        .order_by("project__home_state_id", "resource_id")
    ):
        cost = costs.get(row["resource_id"])
        if cost is None:
            missing.add(row["resource__name"])
            continue
        state_id = row["project__home_state_id"]
        granted[state_id] += plan_rules.value_cents(row["amount"], cost)
        if row["resource__unit"] in HOUR_UNITS:
            hours = Fraction(row["seconds"], 3600)
            used[state_id] += plan_rules.value_cents(Decimal(hours.numerator) / Decimal(hours.denominator), cost)
    granted_share = plan_rules.shares({s.pk: granted.get(s.pk, 0) for s in states})
    used_share = plan_rules.shares({s.pk: used.get(s.pk, 0) for s in states})

    accepted = Application.objects.filter(status=Application.Status.ACCEPTED, decided_at__year=year)
    sent = dict(accepted.values("home_country").annotate(n=Count("id")).values_list("home_country", "n"))
    hosted = dict(
        accepted.filter(host_site__isnull=False)
        .values("host_site__country")
        .annotate(n=Count("id"))
        .values_list("host_site__country", "n")
    )

    plan = plan_in_force(year)
    nodes: dict[int, tuple[int, int]] = {}
    if plan is not None:
        for node in (
            Envelope.objects.filter(version=plan, year=year, line__kind=PlanLine.Kind.NODE, amount_cents__gt=0)
            .values("line__state_id")
            .annotate(n=Count("line_id", distinct=True), total=Sum("amount_cents"))
            .order_by()
        ):
            nodes[node["line__state_id"]] = (node["n"], node["total"])

    rows = [
        FairReturnRow(
            iso2=s.iso2,
            name=s.display_name,
            contribution_cents=called.get(s.pk, 0),
            contribution_share=contribution_share[s.pk],
            compute_granted_cents=granted.get(s.pk, 0),
            compute_granted_share=granted_share[s.pk],
            compute_used_cents=used.get(s.pk, 0),
            compute_used_share=used_share[s.pk],
            fellows_sent=sent.get(s.iso2, 0),
            fellows_hosted=hosted.get(s.iso2, 0),
            nodes_funded=nodes.get(s.pk, (0, 0))[0],
            nodes_envelope_cents=nodes.get(s.pk, (0, 0))[1],
        )
        for s in states
    ]
    return FairReturn(year=year, rows=rows, plan=plan, missing_costs=tuple(sorted(missing)))


def resources_without_cost(year: int) -> list[Resource]:
    """Resources with allocations starting in ``year`` but no unit cost for it (for the admin)."""
    return list(
        Resource.objects.filter(Q(allocations__start__year=year))
        .exclude(unit_costs__year=year)
        .distinct()
        .order_by("name")
    )
