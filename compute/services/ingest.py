"""Usage ingest: a batch of sacct records becomes stored records and per-month charges in a fixed
number of statements (a COPY into a temporary table, then one upsert), whatever its size."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from cernai.core.audit import audit_context
from cernai.core.queue import enqueue_on_commit

from .. import charging
from ..charging import BatchError, ParsedRecord, RecordError
from ..models import Cluster, ClusterLogin, Site, SiteToken, SlurmAccount, UsageBatch


def close_after_days() -> int:
    """Days after a month's end before sites may no longer report it (rules.md §3, default 5)."""
    return int(getattr(settings, "COMPUTE_MONTH_CLOSE_DAYS", 5))


@dataclass
class IngestResult:
    """What happened to a batch: the counts design.md promises, and why each rejected record was."""

    batch_id: int | None = None
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unmatched: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)

    def as_reply(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "unmatched": self.unmatched,
            "rejected": len(self.rejected),
            "rejected_records": self.rejected,
        }


_COLUMNS = (
    "idx",
    "cluster_id",
    "job_id_raw",
    "submit",
    "job_id",
    "account",
    '"user"',
    "partition",
    "qos",
    "state",
    "start_local",
    "end_local",
    "start_utc",
    "end_utc",
    "elapsed",
    "alloc_tres",
    "gpus",
    "cpus",
    "gpu_seconds",
    "core_seconds",
    "slurm_account_id",
    "matched",
    "late",
)
# Values that make a record "changed" when re-sent (late and matching bookkeeping excluded).
_COMPARED = (
    "job_id",
    "account",
    '"user"',
    "partition",
    "qos",
    "state",
    "start_local",
    "end_local",
    "start_utc",
    "end_utc",
    "elapsed",
    "alloc_tres",
    "gpus",
    "cpus",
    "gpu_seconds",
    "core_seconds",
    "slurm_account_id",
    "matched",
)


# Per record key: its stored charges in closed months, with whether each was booked late.
StoredClosed = dict[tuple[str, str, str], dict[date, tuple[charging.Booking, bool]]]


def _stored_closed(parsed: list[ParsedRecord], clusters: dict[str, Cluster], first_open: date) -> StoredClosed:
    """What the batch's already stored records book in closed months (one query for the batch).

    The batch's keys go as three arrays and are matched as whole keys on the record key's unique
    index: an ORM ``IN`` list of 5,000 job numbers cost more to build and send than to run."""
    names = {c.pk: name for name, c in clusters.items()}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT r.cluster_id, r.job_id_raw, r.submit, c.month, c.seconds, c.gpu_seconds, c.core_seconds, c.late
            FROM unnest(%s::bigint[], %s::varchar[], %s::varchar[]) AS k (cluster_id, job_id_raw, submit)
            JOIN compute_usagerecord r
              ON r.cluster_id = k.cluster_id AND r.job_id_raw = k.job_id_raw AND r.submit = k.submit
            JOIN compute_usagecharge c ON c.record_id = r.id AND c.month < %s
            """,
            [
                [clusters[p.cluster].pk for p in parsed],
                [p.job_id_raw for p in parsed],
                [p.submit for p in parsed],
                first_open,
            ],
        )
        rows = cursor.fetchall()
    stored: StoredClosed = {}
    for cluster_id, job_id_raw, submit, month, seconds, gpu, core, late in rows:
        stored.setdefault((names[cluster_id], job_id_raw, submit), {})[month] = ((seconds, gpu, core), late)
    return stored


def ingest_usage(
    *,
    records: Sequence[Mapping[str, Any]],
    site: Site | None,
    token: SiteToken | None = None,
    staff_user: Any = None,
    now: datetime | None = None,
) -> IngestResult:
    """Store a batch of sacct records idempotently and enqueue its accounting after commit.

    Site tokens may only report their own site's clusters and open months, and a re-sent record may
    not change what it booked in a closed month (its Start moved, say). Staff (``staff_user`` without
    a token) may change closed months: their records are marked late and audited.
    """
    if len(records) > charging.MAX_BATCH:
        raise BatchError([f"records: too many ({len(records)}; at most {charging.MAX_BATCH} per batch)"])
    # Without a site token the caller is the secretariat (the API as staff, or the management command).
    is_staff = token is None
    now = now or timezone.now()
    first_open = charging.first_open_month(now.astimezone(UTC).date(), close_after_days())
    cluster_qs = Cluster.objects.all() if is_staff and site is None else Cluster.objects.filter(site=site)
    clusters = {c.name: c for c in cluster_qs}
    result = IngestResult()
    valid: list[tuple[int, ParsedRecord]] = []
    for index, raw in enumerate(records):
        name = str(raw.get("Cluster", "")).strip()
        cluster = clusters.get(name)
        if cluster is None:
            where = f"site {site.slug!r}" if site else "the portal"
            result.rejected.append({"index": index, "reason": f"Cluster: {name!r} is not a cluster of {where}"})
            continue
        try:
            valid.append((index, charging.parse_record(raw, cluster.timezone, now=now)))
        except RecordError as exc:
            result.rejected.append({"index": index, "reason": str(exc)})
    stored = _stored_closed([p for _, p in valid], clusters, first_open) if valid else {}
    # Per key: the record's index, the parsed record, the months whose charge is booked late and
    # whether the record itself is late (it changed a closed month).
    accepted: dict[tuple[str, str, str], tuple[int, ParsedRecord, frozenset[date], bool]] = {}
    for index, parsed in valid:
        before = stored.get(parsed.key, {})
        new = charging.closed_bookings(parsed.charges, first_open)
        # Most records touch no closed month, stored or new: nothing can have changed there.
        changed = charging.closed_months_changed({m: b for m, (b, _) in before.items()}, new) if before or new else []
        if changed and not is_staff:
            months = ", ".join(f"{m:%Y-%m}" for m in changed)
            result.rejected.append(
                {
                    "index": index,
                    "reason": f"Start: the record would change what is booked in closed month(s) {months}; "
                    "only the secretariat can change a closed month",
                }
            )
            continue
        # Unchanged closed months keep how they were booked; a month the secretariat changes is late,
        # and so is the record (also when the change removes a closed month's charge).
        late = frozenset(m for m in new if m in changed or before.get(m, (None, False))[1])
        if parsed.key in accepted:
            earlier = accepted[parsed.key][0]
            result.rejected.append(
                {"index": earlier, "reason": f"JobIDRaw: the same job (key) is sent again as record {index}"}
            )
        accepted[parsed.key] = (index, parsed, late, bool(changed or late))
    result.rejected.sort(key=lambda r: r["index"])
    if not accepted:
        return result

    account_ids, known_users = _matching(accepted.values(), clusters)
    with (
        transaction.atomic(),
        audit_context(
            actor=staff_user, site=site.slug if site else None, reason="usage back-fill" if is_staff else "usage report"
        ),
    ):
        batch = UsageBatch.objects.create(site=site, token=token, staff_user=staff_user if is_staff else None)
        rows, charge_rows = [], []
        unmatched = 0
        for index, parsed, late_months, record_late in accepted.values():
            cluster = clusters[parsed.cluster]
            account_id = account_ids.get((cluster.pk, parsed.account))
            matched = account_id is not None and (cluster.pk, parsed.user) in known_users
            unmatched += not matched
            rows.append(
                (
                    index,
                    cluster.pk,
                    parsed.job_id_raw,
                    parsed.submit,
                    parsed.job_id,
                    parsed.account,
                    parsed.user,
                    parsed.partition,
                    parsed.qos,
                    parsed.state,
                    parsed.start_local,
                    parsed.end_local,
                    parsed.start_utc,
                    parsed.end_utc,
                    parsed.elapsed,
                    parsed.alloc_tres,
                    parsed.gpus,
                    parsed.cpus,
                    parsed.gpu_seconds,
                    parsed.core_seconds,
                    account_id,
                    matched,
                    record_late,
                )
            )
            for part in parsed.charges:
                charge_late = part.month in late_months
                charge_rows.append((index, part.month, part.seconds, part.gpu_seconds, part.core_seconds, charge_late))
        counts, scope = _store(batch.pk, rows, charge_rows)
        result.batch_id = batch.pk
        result.created, result.updated = counts
        result.unchanged = len(rows) - result.created - result.updated
        result.unmatched = unmatched
        batch.counts = {k: v for k, v in result.as_reply().items() if k != "rejected_records"}
        batch.scope = scope
        batch.save(update_fields=["counts", "scope"])
        enqueue_on_commit("compute.account_batch", batch.pk)
    return result


def _matching(accepted: Any, clusters: dict[str, Cluster]) -> tuple[dict[tuple[int, str], int], set[tuple[int, str]]]:
    """Known Slurm accounts and cluster logins among the batch's names (two queries)."""
    cluster_ids = {c.pk for c in clusters.values()}
    names = {parsed.account for _, parsed, _, _ in accepted}
    users = {parsed.user for _, parsed, _, _ in accepted}
    account_ids = {
        (cid, name): pk
        for pk, cid, name in SlurmAccount.objects.filter(cluster_id__in=cluster_ids, name__in=names).values_list(
            "pk", "cluster_id", "name"
        )
    }
    known_users = set(
        ClusterLogin.objects.filter(cluster_id__in=cluster_ids, username__in=users).values_list(
            "cluster_id", "username"
        )
    )
    return account_ids, known_users


def _store(
    batch_id: int, rows: list[tuple[Any, ...]], charge_rows: list[tuple[Any, ...]]
) -> tuple[tuple[int, int], list[list[Any]]]:
    """COPY the batch into temporary tables and upsert it: one statement per step, never per row.

    Returns (created, updated) and the ledger cells (cluster id, account, month) the batch touched.
    """
    compared_old = ", ".join(f"r.{c}" for c in _COMPARED)
    compared_new = ", ".join(f"EXCLUDED.{c}" for c in _COMPARED)
    assignments = ", ".join(f"{c} = EXCLUDED.{c}" for c in _COMPARED)
    plain_columns = ", ".join(c for c in _COLUMNS if c != "idx")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            DROP TABLE IF EXISTS compute_incoming, compute_incoming_charge, compute_changed, compute_scope,
                compute_delta;
            CREATE TEMP TABLE compute_incoming (
                idx integer, cluster_id bigint, job_id_raw varchar(20), submit varchar(19), job_id varchar(64),
                account varchar(64), "user" varchar(64), partition varchar(64), qos varchar(64), state varchar(64),
                start_local varchar(19), end_local varchar(19), start_utc timestamptz, end_utc timestamptz,
                elapsed bigint, alloc_tres text, gpus integer, cpus integer, gpu_seconds bigint,
                core_seconds bigint, slurm_account_id bigint, matched boolean, late boolean
            ) ON COMMIT DROP;
            CREATE TEMP TABLE compute_incoming_charge (
                idx integer, month date, seconds bigint, gpu_seconds bigint, core_seconds bigint, late boolean
            ) ON COMMIT DROP;
            CREATE TEMP TABLE compute_changed (
                id bigint, cluster_id bigint, job_id_raw varchar(20), submit varchar(19), created boolean
            ) ON COMMIT DROP;
            """
        )
        raw_cursor = cursor.cursor  # psycopg 3: COPY streams the rows in one round trip
        with raw_cursor.copy(f"COPY compute_incoming ({', '.join(_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        with raw_cursor.copy(
            "COPY compute_incoming_charge (idx, month, seconds, gpu_seconds, core_seconds, late) FROM STDIN"
        ) as copy:
            for row in charge_rows:
                copy.write_row(row)
        # One upsert: new keys are inserted, grown records replace the old values, identical ones are
        # left alone (the WHERE), and xmax = 0 tells an insert from an update.
        cursor.execute(
            f"""
            WITH up AS (
                INSERT INTO compute_usagerecord AS r ({plain_columns}, last_batch_id, received_at, updated_at)
                SELECT {plain_columns}, %s, now(), now() FROM compute_incoming
                ON CONFLICT (cluster_id, job_id_raw, submit) DO UPDATE SET
                    {assignments}, late = r.late OR EXCLUDED.late,
                    last_batch_id = EXCLUDED.last_batch_id, updated_at = EXCLUDED.updated_at
                WHERE ({compared_old}) IS DISTINCT FROM ({compared_new})
                RETURNING r.id, r.cluster_id, r.job_id_raw, r.submit, (r.xmax = 0) AS created
            )
            INSERT INTO compute_changed SELECT * FROM up
            """,  # noqa: S608 (column names are constants of this module)
            [batch_id],
        )
        cursor.execute(
            "SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) FROM compute_changed"
        )
        created, updated = cursor.fetchone()
        cursor.execute(
            """
            CREATE TEMP TABLE compute_delta ON COMMIT DROP AS
            SELECT c.cluster_id, c.account, c."user", c.month, -1 AS jobs,
                   -c.gpu_seconds * (NOT c.late)::int AS gpu, -c.core_seconds * (NOT c.late)::int AS core,
                   -c.gpu_seconds * c.late::int AS late_gpu, -c.core_seconds * c.late::int AS late_core
            FROM compute_usagecharge c JOIN compute_changed ch ON ch.id = c.record_id AND NOT ch.created;
            CREATE TEMP TABLE compute_scope ON COMMIT DROP AS
            SELECT DISTINCT cluster_id, account, month FROM compute_delta;
            DELETE FROM compute_usagecharge c USING compute_changed ch WHERE c.record_id = ch.id AND NOT ch.created;
            INSERT INTO compute_usagecharge (record_id, cluster_id, account, "user", month, seconds, gpu_seconds,
                                             core_seconds, late)
            SELECT ch.id, i.cluster_id, i.account, i."user", ic.month, ic.seconds, ic.gpu_seconds,
                   ic.core_seconds, ic.late
            FROM compute_changed ch
            JOIN compute_incoming i
              ON i.cluster_id = ch.cluster_id AND i.job_id_raw = ch.job_id_raw AND i.submit = ch.submit
            JOIN compute_incoming_charge ic ON ic.idx = i.idx;
            INSERT INTO compute_delta
            SELECT i.cluster_id, i.account, i."user", ic.month, 1,
                   ic.gpu_seconds * (NOT ic.late)::int, ic.core_seconds * (NOT ic.late)::int,
                   ic.gpu_seconds * ic.late::int, ic.core_seconds * ic.late::int
            FROM compute_changed ch
            JOIN compute_incoming i
              ON i.cluster_id = ch.cluster_id AND i.job_id_raw = ch.job_id_raw AND i.submit = ch.submit
            JOIN compute_incoming_charge ic ON ic.idx = i.idx;
            INSERT INTO compute_scope SELECT DISTINCT cluster_id, account, month FROM compute_delta;
            """
        )
        # The batch's net change per ledger cell: applied once by the accounting task.
        cursor.execute(
            """
            INSERT INTO compute_ledgerdelta (batch_id, cluster_id, account, "user", month, jobs, gpu_seconds,
                                             core_seconds, late_gpu_seconds, late_core_seconds)
            SELECT %s, cluster_id, account, "user", month, sum(jobs), sum(gpu), sum(core), sum(late_gpu),
                   sum(late_core)
            FROM compute_delta GROUP BY cluster_id, account, "user", month
            HAVING (sum(jobs), sum(gpu), sum(core), sum(late_gpu), sum(late_core)) <> (0, 0, 0, 0, 0)
            """,
            [batch_id],
        )
        cursor.execute("SELECT DISTINCT cluster_id, account, month FROM compute_scope ORDER BY 1, 2, 3")
        scope = [[cid, account, month.isoformat()] for cid, account, month in cursor.fetchall()]
        cursor.execute(
            "DROP TABLE compute_incoming, compute_incoming_charge, compute_changed, compute_scope, compute_delta"
        )
    return (int(created), int(updated)), scope
