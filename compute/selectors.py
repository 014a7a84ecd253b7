"""Reads of compute that span relations; every list a person sees is scoped here."""

from __future__ import annotations

import shlex
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.selectors import member_states

from . import charging
from .access_modes import AccessMode
from .models import (
    Allocation,
    AllocationRequest,
    MonthlyUsage,
    Project,
    RequestReview,
    Resource,
    ResourcePeriod,
    ReviewerAssignment,
    Site,
    SlurmAccount,
    StorageUsage,
    Unit,
    UsageRecord,
)


def projects_for(user: Any) -> QuerySet[Project]:
    """Projects a person may see: all for staff, else those they lead or belong to."""
    qs = Project.objects.select_related("pi", "home_state")
    if user.is_staff:
        return qs
    return qs.filter(Q(pi=user) | Q(memberships__user=user)).distinct()


# --- limits for Slurm ----------------------------------------------------------------------------


@dataclass
class AccountLimitRow:
    """One Slurm account's limits (hours are whole for grants, exact to the second for usage)."""

    cluster: str
    account: str
    project: str
    granted_gpu_hours: int
    used_gpu_hours: float
    granted_core_hours: int
    used_core_hours: float
    blocked: bool
    reason: str

    @property
    def grp_tres_mins(self) -> str:
        gpu = charging.grp_tres_mins(self.granted_gpu_hours)
        cpu = charging.grp_tres_mins(self.granted_core_hours)
        return f"gres/gpu={gpu},cpu={cpu}"

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "used_gpu_hours": round(self.used_gpu_hours, 4),
            "used_core_hours": round(self.used_core_hours, 4),
            "grp_tres_mins": self.grp_tres_mins,
            "GrpTRESMins": {
                "gres/gpu": charging.grp_tres_mins(self.granted_gpu_hours),
                "cpu": charging.grp_tres_mins(self.granted_core_hours),
            },
        }


def site_limits(site: Site, *, today: date | None = None) -> list[AccountLimitRow]:
    """Per Slurm account of the site: active grants and usage; blocked at 100 % or with no grant."""
    today = today or timezone.now().date()
    accounts = list(
        SlurmAccount.objects.filter(cluster__site=site).select_related("cluster", "project").order_by("cluster", "name")
    )
    allocations = Allocation.objects.filter(
        project_id__in={a.project_id for a in accounts},
        status=Allocation.Status.ACTIVE,
        start__lte=today,
        end__gte=today,
    ).select_related("resource")
    by_key: dict[tuple[int, int], list[Allocation]] = defaultdict(list)
    for allocation in allocations:
        by_key[(allocation.project_id, allocation.resource.cluster_id)].append(allocation)
    rows = []
    for account in accounts:
        granted: dict[str, int] = {Unit.GPU_HOURS: 0, Unit.CORE_HOURS: 0}
        used: dict[str, int] = {Unit.GPU_HOURS: 0, Unit.CORE_HOURS: 0}
        blocked_units = []
        held = by_key.get((account.project_id, account.cluster_id), [])
        for allocation in held:
            if allocation.resource.unit in granted:
                granted[allocation.resource.unit] += allocation.amount
                used[allocation.resource.unit] += allocation.used_seconds
                if allocation.blocked:
                    blocked_units.append(allocation.resource.get_unit_display())
        compute_grants = [a for a in held if a.resource.unit in granted]
        if not compute_grants:
            reason = "no active allocation"
        elif blocked_units:
            reason = f"allocation used up ({', '.join(str(u) for u in blocked_units)})"
        else:
            reason = ""
        rows.append(
            AccountLimitRow(
                cluster=account.cluster.name,
                account=account.name,
                project=account.project.code,
                granted_gpu_hours=granted[Unit.GPU_HOURS],
                used_gpu_hours=used[Unit.GPU_HOURS] / 3600,
                granted_core_hours=granted[Unit.CORE_HOURS],
                used_core_hours=used[Unit.CORE_HOURS] / 3600,
                blocked=bool(reason),
                reason=reason,
            )
        )
    return rows


def sacctmgr_commands(site: Site, rows: list[AccountLimitRow]) -> str:
    """A command file for ``sacctmgr``: GrpTRESMins per account; blocked accounts may not submit."""
    lines = [
        f"# cernai limits for site {site.slug}, generated {timezone.now():%Y-%m-%dT%H:%M:%SZ}",
        "# GrpTRESMins = granted hours x 60; GrpSubmitJobs=0 blocks an account, -1 clears the block.",
    ]
    for row in rows:
        # Names are validated where they are entered; one stored before that, or by raw SQL, is left
        # out (and never echoed), and every name is shell-quoted: the file runs as Slurm admin.
        if not (charging.SLURM_NAME.fullmatch(row.account) and charging.SLURM_NAME.fullmatch(row.cluster)):
            lines.append(f"# skipped an account of project {row.project}: its name is not a valid Slurm name")
            continue
        submit = 0 if row.blocked else -1
        note = f"  # blocked: {row.reason}" if row.blocked else ""
        lines.append(
            f"sacctmgr -i modify account where name={shlex.quote(row.account)} cluster={shlex.quote(row.cluster)} "
            f"set GrpTRESMins={row.grp_tres_mins} GrpSubmitJobs={submit}{note}"
        )
    return "\n".join(lines) + "\n"


# --- a project's usage ---------------------------------------------------------------------------


def project_accounts(project: Project) -> list[SlurmAccount]:
    return list(project.slurm_accounts.select_related("cluster"))


@dataclass
class ProjectUsage:
    """A project's ledger read once: per UTC month (late back-fills apart), per (cluster id, month) for
    the allocations' charts, and per cluster user (heaviest first)."""

    monthly: list[dict[str, Any]]
    cells: dict[tuple[int, date], dict[str, float]]
    by_user: list[dict[str, Any]]


# The three groupings of the ledger cells of the project's accounts in one statement: the ledger holds
# one row per (cluster, account, user, month), a few thousand for a project, however many records
# there are. Written as SQL because the ORM has no GROUPING SETS; sums of bigint are numeric in
# PostgreSQL, cast back to integers as the ORM's Sum gives them.
_PROJECT_USAGE_SQL = f"""
    SELECT GROUPING(month, cluster_id, "user"), month, cluster_id, "user",
           sum(gpu_seconds)::bigint, sum(core_seconds)::bigint, sum(late_gpu_seconds)::bigint,
           sum(late_core_seconds)::bigint, sum(jobs)::bigint
    FROM {MonthlyUsage._meta.db_table}
    WHERE (cluster_id, account) IN (SELECT * FROM unnest(%s::bigint[], %s::text[]))
    GROUP BY GROUPING SETS ((month), (cluster_id, month), ("user"))
    ORDER BY 1, 2, sum(gpu_seconds) + sum(late_gpu_seconds) DESC, sum(core_seconds) + sum(late_core_seconds) DESC, 4
"""  # noqa: S608 (the table name is the model's)
_BY_MONTH, _BY_CLUSTER_MONTH, _BY_USER = 0b011, 0b001, 0b110


def project_usage(accounts: list[SlurmAccount]) -> ProjectUsage:
    """The project's ledger per month, per (cluster, month) and per user (the heaviest first, as
    PostgreSQL orders names), in one query."""
    usage = ProjectUsage(monthly=[], cells={}, by_user=[])
    if not accounts:
        return usage
    with connection.cursor() as cursor:
        cursor.execute(_PROJECT_USAGE_SQL, [[a.cluster_id for a in accounts], [a.name for a in accounts]])
        rows = cursor.fetchall()
    for grouping, month, cluster_id, user, gpu, core, late_gpu, late_core, jobs in rows:
        if grouping == _BY_MONTH:
            usage.monthly.append(
                {
                    "month": month,
                    "gpu_hours": (gpu + late_gpu) / 3600,
                    "core_hours": (core + late_core) / 3600,
                    "late_gpu_hours": late_gpu / 3600,
                    "late_core_hours": late_core / 3600,
                    "jobs": jobs,
                }
            )
        elif grouping == _BY_CLUSTER_MONTH:
            cells = {"gpu_hours": (gpu + late_gpu) / 3600, "core_hours": (core + late_core) / 3600}
            usage.cells[(cluster_id, month)] = cells
        elif grouping == _BY_USER:
            gpu_hours, core_hours = (gpu + late_gpu) / 3600, (core + late_core) / 3600
            usage.by_user.append({"user": user, "gpu_hours": gpu_hours, "core_hours": core_hours, "charges": jobs})
    return usage


def allocation_monthly_usage(
    allocation: Allocation, cells: dict[tuple[int, date], dict[str, float]], *, today: date | None = None
) -> list[dict[str, Any]]:
    """Usage charged on the allocation's cluster in each UTC month of its period (up to this month)."""
    today = today or timezone.now().date()
    last = charging.month_of_date(min(allocation.end, today))
    month = charging.month_of_date(allocation.start)
    rows = []
    while month <= last:
        cell = cells.get((allocation.resource.cluster_id, month), {"gpu_hours": 0.0, "core_hours": 0.0})
        rows.append({"month": month, **cell})
        month = charging.next_month(month)
    return rows


# The columns the jobs page shows (the cluster comes from the project's accounts, not a join).
JOB_COLUMNS = (
    "cluster_id",
    "job_id",
    "user",
    "state",
    "start_utc",
    "start_local",
    "elapsed",
    "gpus",
    "cpus",
    "gpu_seconds",
    "core_seconds",
    "late",
)


def project_records_page(accounts: list[SlurmAccount], offset: int, limit: int) -> list[UsageRecord]:
    """``limit`` of the project's jobs from ``offset``, newest first, with only the columns the jobs page
    shows. Each account's ids are read newest first from the (cluster, account, start, id) index and
    only then merged, so a project with several accounts never sorts all of its millions of rows."""
    if not accounts:
        return []
    order = ("-start_utc", "-id")
    branches = [UsageRecord.objects.filter(cluster_id=a.cluster_id, account=a.name).order_by(*order) for a in accounts]
    # The page's ids come from the index alone (the offset skips index entries, not rows); only those
    # rows are then read, with the shown columns: in the same statement for one account, after the
    # merge of the accounts' newest ids (which needs their start to order them) for several.
    page: Any
    if len(branches) == 1:
        page = branches[0].values("id")[offset : offset + limit]
    else:
        heads = [b.values_list("id", "start_utc")[: offset + limit] for b in branches]
        merged = heads[0].union(*heads[1:], all=True).order_by(*order)[offset : offset + limit]
        page = [pk for pk, _start in merged]
    qs = UsageRecord.objects.filter(id__in=page).only(*JOB_COLUMNS).order_by(*order)
    clusters = {a.cluster_id: a.cluster for a in accounts}
    records = list(qs)
    for record in records:
        record.cluster = clusters[record.cluster_id]
    return records


def cumulative_series(monthly: list[dict[str, Any]], key: str) -> list[float]:
    total = 0.0
    series = []
    for row in monthly:
        total += row[key]
        series.append(round(total, 2))
    return series


@dataclass
class StorageUse:
    """A storage allocation's use: TB-days charged in its period (exact byte-days, per month) and the
    occupancy on the latest reported day, against the quota in TB (charging.py's storage rule)."""

    granted_tb: int
    byte_days: int = 0
    as_of: date | None = None
    occupied_bytes: int = 0
    months: list[dict[str, Any]] | None = None

    @property
    def tb_days(self) -> float:
        return charging.tb_days(self.byte_days)

    @property
    def occupied_tb(self) -> float:
        return charging.tb(self.occupied_bytes)

    @property
    def percent_of_quota(self) -> float:
        return charging.storage_percent(self.occupied_bytes, self.granted_tb)


def storage_use(allocations: list[Allocation]) -> dict[int, StorageUse]:
    """Per storage allocation (the others are left out): what its project's Slurm accounts on its
    cluster reported for the days of its period, in one query."""
    storage = [a for a in allocations if a.resource.unit == Unit.STORAGE_TB]
    uses = {a.pk: StorageUse(granted_tb=a.amount, months=[]) for a in storage}
    if not storage:
        return uses
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH per_day AS (
                SELECT a.id AS allocation_id, s.day, sum(s.used_bytes) AS bytes
                FROM compute_allocation a
                JOIN compute_resource res ON res.id = a.resource_id
                JOIN compute_slurmaccount sa ON sa.project_id = a.project_id AND sa.cluster_id = res.cluster_id
                JOIN {StorageUsage._meta.db_table} s
                  ON s.cluster_id = sa.cluster_id AND s.account = sa.name AND s.day BETWEEN a.start AND a."end"
                WHERE a.id = ANY(%s)
                GROUP BY a.id, s.day
            )
            SELECT allocation_id, date_trunc('month', day)::date AS month, sum(bytes), count(*), max(day),
                   (array_agg(bytes ORDER BY day DESC))[1]
            FROM per_day GROUP BY 1, 2 ORDER BY 1, 2
            """,  # noqa: S608 (the table name is the model's)
            [list(uses)],
        )
        for allocation_id, month, byte_days, days, last_day, last_bytes in cursor.fetchall():
            use = uses[allocation_id]
            use.byte_days += int(byte_days)
            use.as_of, use.occupied_bytes = last_day, int(last_bytes)
            assert use.months is not None
            use.months.append(
                {"month": month, "days": days, "byte_days": int(byte_days), "tb_days": charging.tb_days(int(byte_days))}
            )
    return uses


# --- staff ---------------------------------------------------------------------------------------


def resource_utilisation() -> list[dict[str, Any]]:
    """Per resource period: capacity, granted and used (in the resource's unit)."""
    periods = ResourcePeriod.objects.select_related("resource__cluster").annotate(
        used=Sum("allocations__used_seconds"), allocations_count=Count("allocations")
    )
    return [
        {
            "period": period,
            "capacity": period.capacity,
            "granted": period.granted,
            "used_hours": (period.used or 0) / 3600,
            "granted_percent": 100 * period.granted / period.capacity if period.capacity else 0.0,
            "used_percent": 100 * (period.used or 0) / 3600 / period.capacity if period.capacity else 0.0,
            "allocations": period.allocations_count,
        }
        for period in periods
    ]


def unmatched_records() -> QuerySet[UsageRecord]:
    return UsageRecord.objects.filter(matched=False).select_related("cluster").order_by("-received_at", "-id")


def unmatched_storage(limit: int = 200) -> list[dict[str, Any]]:
    """Storage reports of Slurm accounts no project holds on their cluster (charged to nobody until
    staff register the account: storage is matched when read, so nothing needs re-matching)."""
    known = SlurmAccount.objects.filter(cluster_id=OuterRef("cluster_id"), name=OuterRef("account"))
    rows = (
        StorageUsage.objects.filter(~Exists(known))
        .values("cluster__name", "account")
        .annotate(days=Count("id"), last_day=Max("day"))
        .order_by("-last_day", "cluster__name", "account")[:limit]
    )
    return [dict(row) for row in rows]


def pending_requests() -> QuerySet[AllocationRequest]:
    return AllocationRequest.objects.filter(
        status__in=[AllocationRequest.Status.SUBMITTED, AllocationRequest.Status.IN_REVIEW]
    ).select_related("project", "resource", "call")


# --- public transparency -------------------------------------------------------------------------


def allocations_report() -> dict[str, Any]:
    """Granted amounts by member state, access mode and resource (all allocations ever granted)."""
    base = Allocation.objects.values("resource__unit")
    units = {Unit.GPU_HOURS: "gpu_hours", Unit.CORE_HOURS: "core_hours", Unit.STORAGE_TB: "storage_tb"}

    # Storage charged (TB-days, from the sites' storage reports) per storage allocation, grouped below.
    storage = list(Allocation.objects.filter(resource__unit=Unit.STORAGE_TB).select_related("resource", "project"))
    used = storage_use(storage)
    storage_keys = {
        "resource__unit": lambda a: a.resource.unit,
        "project__home_state": lambda a: a.project.home_state_id,
        "access_mode": lambda a: a.access_mode,
        "resource": lambda a: a.resource_id,
    }

    def grouped(field: str) -> dict[Any, dict[str, int]]:
        out: dict[Any, dict[str, int]] = defaultdict(lambda: {"allocations": 0, **dict.fromkeys(units.values(), 0)})
        for row in base.values(field, "resource__unit").annotate(total=Sum("amount"), n=Count("id")):
            cell = out[row[field]]
            cell[units[row["resource__unit"]]] += row["total"]
            cell["allocations"] += row["n"]
        byte_days: dict[Any, int] = defaultdict(int)
        for allocation in storage:
            byte_days[storage_keys[field](allocation)] += used[allocation.pk].byte_days
        for key, cell in out.items():
            cell["storage_tb_days"] = round(charging.tb_days(byte_days[key]), 3)  # type: ignore[assignment]
        return out

    totals = grouped("resource__unit")
    total_gpu = sum(c["gpu_hours"] for c in totals.values())
    total_core = sum(c["core_hours"] for c in totals.values())

    empty = {"allocations": 0, **dict.fromkeys(units.values(), 0), "storage_tb_days": 0}

    def row(key: str, label: str, cell: dict[str, int]) -> dict[str, Any]:
        share = round(100 * cell["gpu_hours"] / total_gpu, 2) if total_gpu else 0.0
        return {"key": key, "label": label, **cell, "gpu_share": share}

    by_state = grouped("project__home_state")
    state_rows = []
    for state in member_states():
        in_force = getattr(state, "contribution_share", None)  # the adopted scale's (governance.selectors)
        share = float(in_force) if in_force is not None else None
        state_rows.append(
            {**row(state.iso2, state.display_name, by_state.get(state.pk, empty)), "contribution_share": share}
        )
    if None in by_state:
        state_rows.append({**row("", str(_("No member state")), by_state[None]), "contribution_share": None})
    by_mode = grouped("access_mode")
    mode_rows = [row(str(mode.value), str(mode.label), by_mode.get(mode.value, empty)) for mode in AccessMode]
    by_resource = grouped("resource")
    resources = {r.pk: r for r in Resource.objects.select_related("cluster")}
    resource_rows = [row(str(pk), str(resources[pk]), cell) for pk, cell in sorted(by_resource.items())]
    return {
        "total_gpu_hours": total_gpu,
        "total_core_hours": total_core,
        "total_storage_tb_days": round(sum(c["storage_tb_days"] for c in totals.values()), 3),
        "by_member_state": state_rows,
        "by_access_mode": mode_rows,
        "by_resource": resource_rows,
    }


# --- reviews of allocation requests ----------------------------------------------------------------


def active_assignments(user: Any) -> QuerySet[ReviewerAssignment]:
    """The person's review assignments that still give access (no conflict declared)."""
    return ReviewerAssignment.objects.filter(reviewer=user, conflict_declared_at__isnull=True)


def review_queue(user: Any) -> QuerySet[ReviewerAssignment]:
    """Open requests the person is asked to review, with their review if they recorded one."""
    mine = RequestReview.objects.filter(
        request=OuterRef("request"), reviewer=OuterRef("reviewer"), kind=OuterRef("kind")
    )
    return (
        active_assignments(user)
        .filter(request__status__in=[AllocationRequest.Status.SUBMITTED, AllocationRequest.Status.IN_REVIEW])
        .select_related("request__project", "request__resource", "request__call")
        .annotate(reviewed=Exists(mine))
        .order_by("request__submitted_at", "pk")
    )
