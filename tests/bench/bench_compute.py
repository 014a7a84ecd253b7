"""Compute scenarios (quality.md B5, B6, B7).

B5 1,000,000 sacct records (``--quick``: 100,000) POSTed to ``/api/v1/compute/usage/`` with a site
token in batches of 5,000 (JSON, two client threads), end to end against F-copy of the same rows;
and the database stage alone (the COPY + upsert of the ingest service, timed in-process on a
separate cluster) against F-copy of the same rows. The ingest issues a fixed number of statements per
batch (pinned by tests/compute/test_ingest.py), never one per record.
B6 the same records re-sent: ≤ 1.2 x B5 and every total unchanged.
B7 a project's usage page and its jobs page (the balance and the newest jobs) with 1M records in the
table, then with 10M (``--quick``: 2M; the extra rows, of other accounts, are inserted by SQL, a few
minutes on this 2-core box): p95 ≤ 50 ms and the 10M time ≤ 1.5 x the 1M time.
``BENCH_COMPUTE_PAGES_ONLY=1`` measures B7 alone on whatever the table holds (what a previous full run
left), labelled with that size (no B5/B6).

Records are the synthetic ones of ``tests.bench.usage`` moved into the current UTC month (a site may
only report open months), on cluster ``benchfox`` of site ``bench-site``, accounts proj-a/b/c.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from .context import Req
from .floors import copy_rows_into_record_shape
from .usage import synthetic_records

SITE = "bench-site"
CLUSTER = "benchfox"
DB_STAGE_CLUSTER = "benchfox-db"
ACCOUNTS = ("proj-a", "proj-b", "proj-c")
BATCH = 5000
PAGES = {"usage page": "/compute/projects/bench-proj-a/", "jobs page": "/compute/projects/bench-proj-a/jobs/"}


def _records(n: int, cluster: str) -> list[dict[str, str]]:
    """``n`` records spread from the first month sites may still report on to now (so no month is
    closed, and on the first days of a month there are still days to spread them over)."""
    from compute.charging import first_open_month
    from compute.services.ingest import close_after_days

    now = datetime.now(UTC)
    first_open = first_open_month(now.date(), close_after_days())
    # From 03:00 UTC on the 1st: local (Oslo) times then never fall back into the previous, closed month.
    month_start = datetime(first_open.year, first_open.month, 1, 3, tzinfo=UTC)
    step = max(1, int((now - month_start).total_seconds() - 7200) // n)
    records = list(synthetic_records(n, cluster=cluster, accounts=ACCOUNTS))
    fmt = "%Y-%m-%dT%H:%M:%S"
    for i, r in enumerate(records):
        submit = month_start + timedelta(seconds=60 + i * step)
        r["Submit"] = submit.strftime(fmt)
        r["Start"] = (submit + timedelta(seconds=30)).strftime(fmt)
        # A job cannot have run past the present (the parser refuses it): cap its run time at now.
        until_now = int((now - submit).total_seconds()) - 30
        r["ElapsedRaw"] = str(min(int(r["ElapsedRaw"]), max(0, until_now)))
        r["End"] = (submit + timedelta(seconds=30 + int(r["ElapsedRaw"]))).strftime(fmt)
    return records


def _setup() -> tuple[str, Any]:
    from django.db import connection

    from compute import services
    from compute.models import Cluster, ClusterLogin, Project, Site, SlurmAccount
    from tests.factories import UserFactory

    site, _ = Site.objects.get_or_create(slug=SITE, defaults={"name": "Bench site"})
    for name in (CLUSTER, DB_STAGE_CLUSTER):
        Cluster.objects.get_or_create(name=name, defaults={"site": site, "timezone": "Europe/Oslo"})
    # A fresh start every run: the scenario measures first inserts, then re-sends. The bench
    # database's usage holds only this scenario's rows (10M after B7): deleting them row by row
    # would take minutes and leave them all dead in the table.
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE compute_usagecharge, compute_monthlyusage, compute_usagerecord")
    cluster = Cluster.objects.get(name=CLUSTER)
    pi = UserFactory(email="bench-pi@example.org", name="Bench PI")
    for account in ACCOUNTS:
        project = Project.objects.filter(code=f"bench-{account}").first() or services.create_project(
            code=f"bench-{account}", title=f"Bench {account}", pi=pi
        )
        SlurmAccount.objects.get_or_create(project=project, cluster=cluster, defaults={"name": account})
    ClusterLogin.objects.bulk_create(
        [ClusterLogin(cluster=cluster, username=f"user{i}", user=pi) for i in range(500)], ignore_conflicts=True
    )
    raw = f"cst_bench_{os.getpid()}_{int(time.time())}"
    services.create_site_token(site=site, label="bench", raw=raw)
    return raw, pi


def _send_all(ctx: Any, records: list[dict[str, str]], token: str) -> Any:
    batches = [records[i : i + BATCH] for i in range(0, len(records), BATCH)]
    headers = {"Authorization": f"Token {token}"}

    def make(i: int) -> Req:
        return Req("POST", "/api/v1/compute/usage/", json={"records": batches[i]}, headers=headers)

    return ctx.load(make, total=len(batches), concurrency=2)


def _totals(cluster: str) -> tuple[int, int, int]:
    from django.db.models import Count, Sum

    from compute.models import UsageRecord

    t = UsageRecord.objects.filter(cluster__name=cluster).aggregate(
        n=Count("id"), g=Sum("gpu_seconds"), c=Sum("core_seconds")
    )
    return t["n"], t["g"] or 0, t["c"] or 0


def _db_stage(ctx: Any, n: int) -> None:
    """Time only the COPY + upsert statements of the ingest service, batch by batch, in-process."""
    from compute.models import Site
    from compute.services import ingest as ingest_module

    records = _records(n, DB_STAGE_CLUSTER)
    spent = [0.0]
    original = ingest_module._store

    def timed(*args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - began

    site = Site.objects.get(slug=SITE)
    ingest_module._store = timed  # type: ignore[assignment]
    try:
        from compute.models import SiteToken

        token = SiteToken.objects.filter(site=site).latest("pk")
        for i in range(0, n, BATCH):
            ingest_module.ingest_usage(records=records[i : i + BATCH], site=site, token=token)
    finally:
        ingest_module._store = original  # type: ignore[assignment]
    floor = ctx.copy_floor(records)
    ctx.record(
        "B5",
        f"ingest database stage (COPY + upsert), {n:,} records",
        spent[0],
        "s",
        ratio_to=floor["seconds"],
        floor=f"F-copy of the same {n:,} rows",
        target=1.5,
    )
    # Beside it, what PostgreSQL alone needs to store these rows in a table like ours (F-copy's table
    # is unlogged, with no index and no key).
    shaped = copy_rows_into_record_shape(records, cluster_id=site.clusters.get(name=DB_STAGE_CLUSTER).pk)
    ctx.record(
        "B5",
        f"the same {n:,} rows COPYed into a table shaped like compute_usagerecord (its six indexes, "
        "check and foreign keys; logged)",
        shaped,
        "s",
        ratio_to=floor["seconds"],
        floor=f"F-copy of the same {n:,} rows",
        target="shown: storing the rows, no more",
        note=f"the database stage is {spent[0] / shaped:.2f}x this",
    )


def _account_everything() -> None:
    from compute import services
    from compute.models import UsageBatch

    for batch_id in UsageBatch.objects.filter(processed_at__isnull=True).values_list("pk", flat=True):
        services.account_batch(batch_id=batch_id)


def _page_p95(ctx: Any, auth: Any, path: str, total: int = 300) -> Any:
    stats = ctx.load(Req("GET", path, auth=auth), total=total, concurrency=4)
    return stats


def _fill_to(total_rows: int, log: Callable[[str], None] | None = None) -> int:
    """Add rows of other accounts by SQL until the record table holds ``total_rows``; how many added.

    In statements of at most a million rows, each its own transaction: the record table's foreign
    keys are checked at commit, and one 9M-row statement would queue 9M checks in memory."""
    from django.db import connection

    from compute.models import Cluster, UsageRecord

    have = UsageRecord.objects.count()
    missing = total_rows - have
    if missing <= 0:
        return 0
    cluster = Cluster.objects.get(name=CLUSTER)
    with connection.cursor() as cursor:
        # Filler job ids start at 900,000,001, past the synthetic records'; a second fill follows the first.
        cursor.execute(
            "SELECT count(*) FROM compute_usagerecord WHERE cluster_id = %s AND account LIKE 'filler-%%'", [cluster.pk]
        )
        first = 900_000_000 + cursor.fetchone()[0]
        for start in range(0, missing, 1_000_000):
            rows = min(1_000_000, missing - start)
            cursor.execute(
                """
                INSERT INTO compute_usagerecord (cluster_id, job_id_raw, submit, job_id, account, "user", partition,
                    qos, state, start_local, end_local, start_utc, end_utc, elapsed, alloc_tres, gpus, cpus,
                    gpu_seconds, core_seconds, matched, late, received_at, updated_at)
                SELECT %s, (%s + g)::text, '2026-01-01T00:00:00', (%s + g)::text, 'filler-' || (g %% 997),
                       'user' || (g %% 500), 'gpu', 'normal', 'COMPLETED', '', '', now() - (g || ' seconds')::interval,
                       NULL, 3600, 'cpu=8,gres/gpu=1', 1, 8, 3600, 28800, false, false, now(), now()
                FROM generate_series(1, %s) AS g
                ON CONFLICT DO NOTHING
                """,
                [cluster.pk, first + start, first + start, rows],
            )
            if log:
                log(f"compute: B7 fill {have + start + rows:,} of {total_rows:,} rows")
        cursor.execute("VACUUM ANALYZE compute_usagerecord")
    return missing


def run(ctx: Any) -> None:
    if os.environ.get("BENCH_COMPUTE_PAGES_ONLY") == "1":
        # B7 alone, on the records and ledger a previous full run left (B5 and B6 take minutes).
        from cernai.accounts.models import User
        from compute.models import UsageRecord

        rows = UsageRecord.objects.count()
        ctx.log(f"compute: B7 only, on the {rows:,} records of the previous run")
        auth = ctx.login(User.objects.get(email="bench-pi@example.org"))
        for label, path in PAGES.items():
            stats = _page_p95(ctx, auth, path)
            ctx.record(
                "B7",
                f"project {label}, {rows / 1e6:.1f}M records in the table (B7 alone): p95",
                stats.p95_ms,
                "ms",
                target=50,
                passed=stats.errors() == 0 and stats.p95_ms <= 50,
                note=f"{stats.errors()} errors, F-page p95 {ctx.floor('F-page', 'p95_ms'):.1f} ms",
            )
        return
    n = ctx.size(1_000_000, 100_000)
    token, pi = _setup()
    ctx.log(f"compute: generating {n:,} records")
    records = _records(n, CLUSTER)

    ctx.log("compute: B5 sending the records through the endpoint")
    first = _send_all(ctx, records, token)
    floor = ctx.copy_floor(records)
    stored, gpu, core = _totals(CLUSTER)
    created = sum(r.json().get("created", 0) for r in first.responses if r.status == 200)
    ctx.record(
        "B5",
        f"{n:,} sacct records via POST /api/v1/compute/usage/ (batches of 5,000), end to end",
        first.wall_s,
        "s",
        ratio_to=floor["seconds"],
        floor=f"F-copy of the same {n:,} rows",
        target=5,
        passed=first.errors() == 0 and stored == n and created == n and first.wall_s <= 5 * floor["seconds"],
        note=f"{first.errors()} errors, {stored:,} stored, p95 per batch {first.p95_ms:.0f} ms",
    )
    ctx.log("compute: B5 database stage")
    _db_stage(ctx, ctx.size(200_000, 50_000))

    ctx.log("compute: B6 re-sending the same records")
    again = _send_all(ctx, records, token)
    unchanged = sum(r.json().get("unchanged", 0) for r in again.responses if r.status == 200)
    same = _totals(CLUSTER) == (stored, gpu, core)
    ctx.record(
        "B6",
        f"the same {n:,} records re-sent",
        again.wall_s,
        "s",
        ratio_to=first.wall_s,
        floor="B5 wall time",
        target=1.2,
        passed=again.errors() == 0 and same and unchanged == n and again.wall_s <= 1.2 * first.wall_s,
        note=f"{unchanged:,} unchanged, totals {'unchanged' if same else 'CHANGED'}",
    )

    ctx.log("compute: accounting the batches (ledger) in-process")
    _account_everything()
    _pages(ctx, pi)


def _pages(ctx: Any, pi: Any) -> None:
    """B7 on the records in the table: 1M rows (filled up to that by SQL), then 10M (``--quick``: 2M)."""
    auth = ctx.login(pi)
    one_m = {}
    _fill_to(1_000_000)
    for label, path in PAGES.items():
        stats = _page_p95(ctx, auth, path)
        one_m[label] = stats.p95_ms
        ctx.record(
            "B7",
            f"project {label}, 1M records in the table: p95",
            stats.p95_ms,
            "ms",
            target=50,
            passed=stats.errors() == 0 and stats.p95_ms <= 50,
            note=f"{stats.errors()} errors, F-page p95 {ctx.floor('F-page', 'p95_ms'):.1f} ms",
        )
    large = ctx.size(10_000_000, 2_000_000)
    ctx.log(f"compute: B7 filling the table to {large:,} rows")
    began = time.perf_counter()
    added = _fill_to(large, log=ctx.log)
    spent = time.perf_counter() - began
    ctx.log(f"compute: {added:,} rows added in {spent:.0f} s ({added / max(spent, 1e-9):,.0f} rows/s)")
    for label, path in PAGES.items():
        stats = _page_p95(ctx, auth, path)
        ctx.record(
            "B7",
            f"project {label}, {large / 1e6:.0f}M records in the table: p95",
            stats.p95_ms,
            "ms",
            ratio_to=one_m[label],
            floor="the same page at 1M",
            target="≤ 50 ms and ≤ 1.5 x",
            passed=stats.errors() == 0 and stats.p95_ms <= 50 and stats.p95_ms <= 1.5 * one_m[label],
            note=f"{stats.errors()} errors, F-page p95 {ctx.floor('F-page', 'p95_ms'):.1f} ms",
        )
