"""Accounting: each batch's ledger deltas (written with the batch) are applied and deleted in one
transaction, so a replay adds nothing, a second worker finds nothing and a killed worker's work is
rolled back and redone; allocation totals are *recomputed* from the records (never incremented);
threshold notifications hang on latches set by conditional UPDATEs. ``recompute_ledger`` rebuilds
ledger cells from the charges (a repair tool, and the check the tests use)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from cernai.core.audit import audit_context
from cernai.core.notifications import notify
from cernai.core.queue import enqueue_on_commit

from ..models import Allocation, ExpiryReminder, ProjectMembership, SlurmAccount, Unit, UsageBatch

THRESHOLDS = (80, 100)
REMINDER_DAYS = (30, 14, 7)
# A batch not accounted this long after it arrived is re-driven by the sweeper.
SWEEP_AFTER = timedelta(seconds=60)


def _pair_lock_key(cluster_id: int, account: str) -> int:
    digest = hashlib.blake2b(f"compute:{cluster_id}:{account}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def recompute_ledger(cells: Iterable[tuple[int, str, str]]) -> None:
    """Rewrite the ledger cells (cluster, account, month), per user, from the charges."""
    cells = sorted({(int(c), str(a), str(m)) for c, a, m in cells})
    if not cells:
        return
    with connection.cursor() as cursor:
        # Serialise recomputations of the same accounts: the last writer then always read a snapshot
        # taken after the others committed, so an older snapshot can never overwrite a newer one.
        for key in sorted({_pair_lock_key(c, a) for c, a, _ in cells}):
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
        arrays: list[Any] = [[c for c, _, _ in cells], [a for _, a, _ in cells], [m for _, _, m in cells]]
        cursor.execute(
            """
            DELETE FROM compute_monthlyusage m
            USING unnest(%s::bigint[], %s::text[], %s::date[]) AS t(cluster_id, account, month)
            WHERE m.cluster_id = t.cluster_id AND m.account = t.account AND m.month = t.month
            """,
            arrays,
        )
        cursor.execute(
            """
            INSERT INTO compute_monthlyusage (cluster_id, account, "user", month, jobs, gpu_seconds, core_seconds,
                                              late_gpu_seconds, late_core_seconds, updated_at)
            SELECT c.cluster_id, c.account, c."user", c.month, count(*),
                   coalesce(sum(c.gpu_seconds) FILTER (WHERE NOT c.late), 0),
                   coalesce(sum(c.core_seconds) FILTER (WHERE NOT c.late), 0),
                   coalesce(sum(c.gpu_seconds) FILTER (WHERE c.late), 0),
                   coalesce(sum(c.core_seconds) FILTER (WHERE c.late), 0),
                   now()
            FROM compute_usagecharge c
            JOIN unnest(%s::bigint[], %s::text[], %s::date[]) AS t(cluster_id, account, month)
              ON c.cluster_id = t.cluster_id AND c.account = t.account AND c.month = t.month
            GROUP BY c.cluster_id, c.account, c."user", c.month
            """,
            arrays,
        )


def apply_ledger_deltas(batch_id: int) -> int:
    """Add a batch's ledger deltas to the ledger and delete them, in one statement (exactly once: a
    second worker finds them gone; a killed worker's transaction rolls back and leaves them)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH d AS (DELETE FROM compute_ledgerdelta WHERE batch_id = %s RETURNING *)
            INSERT INTO compute_monthlyusage AS m (cluster_id, account, "user", month, jobs, gpu_seconds,
                                                   core_seconds, late_gpu_seconds, late_core_seconds, updated_at)
            SELECT cluster_id, account, "user", month, jobs, gpu_seconds, core_seconds, late_gpu_seconds,
                   late_core_seconds, now()
            FROM d ORDER BY cluster_id, account, "user", month
            ON CONFLICT (cluster_id, account, month, "user") DO UPDATE SET
                jobs = m.jobs + EXCLUDED.jobs, gpu_seconds = m.gpu_seconds + EXCLUDED.gpu_seconds,
                core_seconds = m.core_seconds + EXCLUDED.core_seconds,
                late_gpu_seconds = m.late_gpu_seconds + EXCLUDED.late_gpu_seconds,
                late_core_seconds = m.late_core_seconds + EXCLUDED.late_core_seconds, updated_at = now()
            RETURNING m.id, (m.jobs = 0 AND m.gpu_seconds = 0 AND m.core_seconds = 0 AND m.late_gpu_seconds = 0
                             AND m.late_core_seconds = 0) AS empty
            """,
            [batch_id],
        )
        rows = cursor.fetchall()
        empty = [row[0] for row in rows if row[1]]
        if empty:  # cells whose every job was replaced away are removed rather than kept as zero rows
            cursor.execute("DELETE FROM compute_monthlyusage WHERE id = ANY(%s)", [empty])
    return len(rows)


def allocations_for_pairs(pairs: Iterable[tuple[int, str]]) -> list[int]:
    """Ids of the allocations charged by these (cluster, Slurm account) pairs."""
    pairs = set(pairs)
    if not pairs:
        return []
    condition = Q()
    for cluster_id, account in pairs:
        condition |= Q(cluster_id=cluster_id, name=account)
    projects = SlurmAccount.objects.filter(condition).values_list("project_id", "cluster_id")
    condition = Q()
    found = False
    for project_id, cluster_id in projects:
        condition |= Q(project_id=project_id, resource__cluster_id=cluster_id)
        found = True
    if not found:
        return []
    return list(Allocation.objects.filter(condition).order_by("pk").values_list("pk", flat=True))


def recompute_allocations(allocation_ids: list[int]) -> None:
    """Set each allocation's used total from its matched records (jobs that started in its period)."""
    if not allocation_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE compute_allocation a SET used_seconds = s.used
            FROM (
                SELECT a.id, coalesce(sum(CASE res.unit WHEN %s THEN r.gpu_seconds
                                                        WHEN %s THEN r.core_seconds ELSE 0 END), 0) AS used
                FROM compute_allocation a
                JOIN compute_resource res ON res.id = a.resource_id
                LEFT JOIN compute_slurmaccount sa ON sa.project_id = a.project_id AND sa.cluster_id = res.cluster_id
                LEFT JOIN compute_usagerecord r
                  ON r.cluster_id = sa.cluster_id AND r.account = sa.name AND r.matched
                 AND r.start_utc >= a.start::timestamp AT TIME ZONE 'UTC'
                 AND r.start_utc < (a.end + 1)::timestamp AT TIME ZONE 'UTC'
                WHERE a.id = ANY(%s)
                GROUP BY a.id
            ) s
            WHERE a.id = s.id AND a.used_seconds IS DISTINCT FROM s.used
            """,
            [Unit.GPU_HOURS, Unit.CORE_HOURS, allocation_ids],
        )


def recipients_by_allocation(allocations: Iterable[Allocation]) -> dict[int, list[Any]]:
    """Per allocation id: the PI and the project's managers (one query for all the managers)."""
    allocations = list(allocations)
    managers: dict[int, list[Any]] = defaultdict(list)
    for membership in ProjectMembership.objects.select_related("user").filter(
        project_id__in={a.project_id for a in allocations}, role=ProjectMembership.Role.MANAGER
    ):
        managers[membership.project_id].append(membership.user)
    return {a.pk: [a.project.pi, *managers[a.project_id]] for a in allocations}


def fire_thresholds(allocation_ids: list[int]) -> list[tuple[int, int]]:
    """Latch and announce each threshold reached; a latch is set (and a message sent) once per arming."""
    fired: list[tuple[int, int]] = []
    if not allocation_ids:
        return fired
    for percent in THRESHOLDS:
        field = f"latched_{percent}"
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                UPDATE compute_allocation SET {field} = true
                WHERE id = ANY(%s) AND NOT {field} AND amount > 0
                  AND used_seconds * 100 >= %s * amount * 3600
                RETURNING id
                """,  # noqa: S608 (field is one of two constants)
                [allocation_ids, percent],
            )
            fired += [(row[0], percent) for row in cursor.fetchall()]
    allocations = Allocation.objects.select_related("project__pi", "resource").in_bulk({pk for pk, _ in fired})
    recipients = recipients_by_allocation(allocations.values())
    for allocation_id, percent in sorted(fired):
        allocation = allocations[allocation_id]
        notify(
            kind=f"compute.quota_{percent}",
            recipients=recipients[allocation_id],
            dedupe_key=f"compute.quota:{allocation.pk}:{allocation.arm_generation}:{percent}",
            context={
                "project": allocation.project.code,
                "title": allocation.project.title,
                "percent": percent,
                "used": f"{allocation.used_hours:.2f}",
                "granted": allocation.amount,
                "unit": allocation.resource.get_unit_display(),
            },
            url=reverse("compute:project_detail", args=[allocation.project.code]),
        )
    return fired


def _reaccount_allocations(allocation_ids: list[int]) -> None:
    """Recompute the allocations' totals and fire their thresholds, inside the caller's transaction."""
    # Lock the allocations in id order: top-ups and other workers wait, and no deadlock is possible.
    list(Allocation.objects.select_for_update().filter(pk__in=allocation_ids).order_by("pk").values_list("pk"))
    recompute_allocations(allocation_ids)
    fire_thresholds(allocation_ids)


def account_batch(*, batch_id: int) -> str:
    """Bring the ledger, allocation totals and latches up to date with one stored batch (idempotent)."""
    batch = UsageBatch.objects.get(pk=batch_id)
    cells = [(int(c), str(a), str(m)) for c, a, m in batch.scope]
    with transaction.atomic(), audit_context(reason="usage accounting", batch=batch_id):
        apply_ledger_deltas(batch_id)
        allocation_ids = allocations_for_pairs({(c, a) for c, a, _ in cells})
        _reaccount_allocations(allocation_ids)
        UsageBatch.objects.filter(pk=batch_id, processed_at__isnull=True).update(processed_at=timezone.now())
    return f"batch {batch_id}: {len(cells)} ledger cells, {len(allocation_ids)} allocations"


def sweep_batches(*, older_than: timedelta = SWEEP_AFTER) -> int:
    """Re-drive batches the database says were never accounted (lost message, dead worker)."""
    due = list(
        UsageBatch.objects.filter(processed_at__isnull=True, received_at__lt=timezone.now() - older_than)
        .order_by("received_at")
        .values_list("pk", flat=True)[:500]
    )
    for batch_id in due:
        enqueue_on_commit("compute.account_batch", batch_id)
    return len(due)


def rematch_records(*, cluster_ids: list[int] | None = None, actor: Any = None) -> int:
    """Match stored records again after staff registered accounts or logins; re-account what changed."""
    with (
        transaction.atomic(),
        audit_context(actor=actor, reason="usage records re-matched"),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            """
            UPDATE compute_usagerecord r SET
                slurm_account_id = sa.id,
                matched = (sa.id IS NOT NULL AND cl.id IS NOT NULL),
                updated_at = now()
            FROM compute_usagerecord r2
            LEFT JOIN compute_slurmaccount sa ON sa.cluster_id = r2.cluster_id AND sa.name = r2.account
            LEFT JOIN compute_clusterlogin cl ON cl.cluster_id = r2.cluster_id AND cl.username = r2.user
            WHERE r.id = r2.id AND (%s::bigint[] IS NULL OR r.cluster_id = ANY(%s::bigint[]))
              AND (r.matched, r.slurm_account_id) IS DISTINCT FROM
                  ((sa.id IS NOT NULL AND cl.id IS NOT NULL), sa.id)
            RETURNING r.cluster_id, r.account
            """,
            [cluster_ids, cluster_ids],
        )
        pairs = {(row[0], row[1]) for row in cursor.fetchall()}
        allocation_ids = allocations_for_pairs(pairs)
        _reaccount_allocations(allocation_ids)
    return len(pairs)


def expire_allocations(*, today: date | None = None) -> int:
    """Mark allocations whose period has ended as expired."""
    today = today or timezone.now().date()
    with transaction.atomic(), audit_context(reason="allocation period ended"):
        return Allocation.objects.filter(status=Allocation.Status.ACTIVE, end__lt=today).update(
            status=Allocation.Status.EXPIRED
        )


def send_expiry_reminders(*, today: date | None = None) -> int:
    """Remind PIs and managers 30, 14 and 7 days before an allocation ends: one combined message per
    person per day, each (allocation, days, person) reminded once."""
    today = today or timezone.now().date()
    due = list(
        Allocation.objects.select_related("project__pi", "resource")
        .filter(status=Allocation.Status.ACTIVE, end__in=[today + timedelta(days=d) for d in REMINDER_DAYS])
        .order_by("end", "pk")
    )
    per_person: dict[int, tuple[Any, list[tuple[Allocation, int]]]] = {}
    recipients = recipients_by_allocation(due)
    for allocation in due:
        days = (allocation.end - today).days
        for person in recipients[allocation.pk]:
            per_person.setdefault(person.pk, (person, []))[1].append((allocation, days))
    sent = 0
    for person, items in per_person.values():
        with transaction.atomic():
            fresh = []
            for allocation, days in items:
                _, created = ExpiryReminder.objects.get_or_create(
                    allocation=allocation, days_before=days, user=person, defaults={"sent_on": today}
                )
                if created:
                    fresh.append(
                        {
                            "project": allocation.project.code,
                            "resource": str(allocation.resource),
                            "end": allocation.end.isoformat(),
                            "days": days,
                        }
                    )
            if fresh:
                notify(
                    kind="compute.expiry_reminder",
                    recipients=[person],
                    dedupe_key=f"compute.expiry:{today.isoformat()}",
                    context={"items": fresh},
                    url=reverse("compute:my_projects"),
                )
                sent += 1
    return sent
