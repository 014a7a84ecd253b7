"""Storage usage feed: sites report, per Slurm account and day, the bytes occupied on a cluster's
storage (charging.py's storage section states the rule). Same contract as the sacct ingest: the
site's own clusters only, each bad report refused with its index and reason and the rest stored,
a re-sent day replaces the earlier value, closed months change only by the secretariat (late,
audited). One upsert statement per batch."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from cernai.core.audit import audit_context
from cernai.core.notifications import notify

from .. import charging, selectors
from ..charging import BatchError, RecordError, StorageReport
from ..models import Allocation, Cluster, Site, SiteToken, SlurmAccount, StorageUsage, Unit, UsageBatch
from .accounting import THRESHOLDS, allocations_for_pairs, recipients_by_allocation
from .ingest import IngestResult, close_after_days


def ingest_storage(
    *,
    reports: Sequence[Mapping[str, Any]],
    site: Site | None,
    token: SiteToken | None = None,
    staff_user: Any = None,
    now: datetime | None = None,
) -> IngestResult:
    """Store a batch of storage reports idempotently (the counts of the sacct ingest).

    A site token reports its own site's clusters and open months only; without a token the caller is
    the secretariat, whose reports for a closed month are stored marked late."""
    if len(reports) > charging.MAX_BATCH:
        raise BatchError([f"reports: too many ({len(reports)}; at most {charging.MAX_BATCH} per batch)"])
    is_staff = token is None
    now = now or timezone.now()
    first_open = charging.first_open_month(now.astimezone(UTC).date(), close_after_days())
    cluster_qs = Cluster.objects.all() if is_staff and site is None else Cluster.objects.filter(site=site)
    clusters = {c.name: c for c in cluster_qs}
    result = IngestResult()
    accepted: dict[tuple[str, str, date], tuple[int, StorageReport, bool]] = {}
    for index, raw in enumerate(reports):
        name = raw.get("cluster", "")
        cluster = clusters.get(name) if isinstance(name, str) else None
        if cluster is None:
            where = f"site {site.slug!r}" if site else "the portal"
            result.rejected.append({"index": index, "reason": f"cluster: {name!r} is not a cluster of {where}"})
            continue
        try:
            report = charging.parse_storage_report(raw, cluster.timezone, now=now)
        except RecordError as exc:
            result.rejected.append({"index": index, "reason": str(exc)})
            continue
        closed = report.day < first_open
        if closed and not is_staff:
            result.rejected.append(
                {
                    "index": index,
                    "reason": f"date: {report.day:%Y-%m} is a closed month; only the secretariat can change "
                    "a closed month",
                }
            )
            continue
        if report.key in accepted:
            earlier = accepted[report.key][0]
            result.rejected.append(
                {"index": earlier, "reason": f"date: the same account and day is sent again as report {index}"}
            )
        accepted[report.key] = (index, report, closed)
    result.rejected.sort(key=lambda r: r["index"])
    if not accepted:
        return result

    known = set(
        SlurmAccount.objects.filter(
            cluster_id__in={c.pk for c in clusters.values()}, name__in={r.account for _, r, _ in accepted.values()}
        ).values_list("cluster_id", "name")
    )
    columns: list[list[Any]] = [[], [], [], [], []]
    for _, report, late in accepted.values():
        cluster_id = clusters[report.cluster].pk
        result.unmatched += (cluster_id, report.account) not in known
        values = (cluster_id, report.account, report.day, report.used_bytes, late)
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    with (
        transaction.atomic(),
        audit_context(
            actor=staff_user,
            site=site.slug if site else None,
            reason="storage back-fill" if is_staff else "storage report",
        ),
    ):
        # Nothing to account afterwards (storage is charged from the reports when read).
        batch = UsageBatch.objects.create(
            site=site, token=token, staff_user=staff_user if is_staff else None, processed_at=now
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {StorageUsage._meta.db_table} AS s
                    (cluster_id, account, day, used_bytes, late, last_batch_id, received_at, updated_at)
                SELECT t.cluster_id, t.account, t.day, t.used_bytes, t.late, %s, now(), now()
                FROM unnest(%s::bigint[], %s::text[], %s::date[], %s::bigint[], %s::boolean[])
                     AS t(cluster_id, account, day, used_bytes, late)
                ON CONFLICT (cluster_id, account, day) DO UPDATE SET
                    used_bytes = EXCLUDED.used_bytes, late = s.late OR EXCLUDED.late,
                    last_batch_id = EXCLUDED.last_batch_id, updated_at = EXCLUDED.updated_at
                WHERE s.used_bytes IS DISTINCT FROM EXCLUDED.used_bytes
                RETURNING (s.xmax = 0) AS created
                """,  # noqa: S608 (the table name is the model's)
                [batch.pk, *columns],
            )
            flags = [row[0] for row in cursor.fetchall()]
        result.batch_id = batch.pk
        result.created = sum(flags)
        result.updated = len(flags) - result.created
        result.unchanged = len(accepted) - len(flags)
        batch.counts = {"storage": True, **{k: v for k, v in result.as_reply().items() if k != "rejected_records"}}
        batch.save(update_fields=["counts"])
        pairs = {(clusters[r.cluster].pk, r.account) for _, r, _ in accepted.values()}
        fire_storage_thresholds(allocations_for_pairs(pairs))
    return result


def fire_storage_thresholds(allocation_ids: list[int]) -> list[tuple[int, int]]:
    """Latch and announce 80 % and 100 % of each storage allocation's quota, judged on the occupancy of
    its latest reported day: one message per threshold and arming (a conditional UPDATE sets the
    latch, so replays and concurrent batches send nothing more). A top-up re-arms the latches."""
    storage = list(
        Allocation.objects.select_related("project__pi", "resource")
        .filter(pk__in=allocation_ids, resource__unit=Unit.STORAGE_TB, amount__gt=0, status=Allocation.Status.ACTIVE)
        .order_by("pk")
    )
    uses = selectors.storage_use(storage)
    fired: list[tuple[int, int]] = []
    for allocation in storage:
        use = uses[allocation.pk]
        for percent in THRESHOLDS:
            if not charging.storage_fraction_reached(use.occupied_bytes, allocation.amount, percent):
                continue
            field = f"latched_{percent}"
            if Allocation.objects.filter(pk=allocation.pk, **{field: False}).update(**{field: True}):
                fired.append((allocation.pk, percent))
    recipients = recipients_by_allocation(storage)
    by_pk = {a.pk: a for a in storage}
    for allocation_id, percent in fired:
        allocation, use = by_pk[allocation_id], uses[allocation_id]
        notify(
            kind=f"compute.storage_{percent}",
            recipients=recipients[allocation_id],
            dedupe_key=f"compute.storage:{allocation_id}:{allocation.arm_generation}:{percent}",
            context={
                "project": allocation.project.code,
                "title": allocation.project.title,
                "used": f"{use.occupied_tb:.3f}",
                "granted": allocation.amount,
                "day": use.as_of.isoformat() if use.as_of else "",
            },
            url=reverse("compute:project_detail", args=[allocation.project.code]),
        )
    return fired
