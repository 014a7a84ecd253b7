"""The floors of quality.md, measured in every benchmark run so scenarios report ratios, not
absolute times (the machines are shared and noisy).

- F-hello: a bare Django view, no database.
- F-page: one indexed query returning 50 rows, rendered by a small template.
- F-auth-page: F-page's query and rows in the portal's page frame (base.html: the menu, the unread
  count, the language switcher) for a signed-in person with no institutional role, through the
  whole middleware stack: what every signed-in page pays before its own content, the reference
  the issue 13 notes give page rows beside their F-page ratio.
- F-write: a POST doing one ``INSERT … ON CONFLICT DO NOTHING`` in a transaction.
- F-auth-write: the same insert as a signed-in person's POST through the portal's whole middleware
  stack (session, CSRF, authentication, second-factor and role checks, language, audit context): the
  floor of any write a person makes, which votes and reviews (B1, B2, B4) are measured against.
- F-copy: psycopg 3 ``COPY`` of usage-shaped rows (the 13 sacct fields) into a bare table;
  ``copy_rows`` is what scenarios call with their own rows. ``copy_rows_into_record_shape`` copies
  the same rows into a table shaped like ``compute_usagerecord`` (B5 shows it beside its database
  stage: what PostgreSQL alone needs to store those rows in a table like ours).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template import Context, Engine, engines
from django.views.decorators.csrf import csrf_exempt

PAGE_ROWS = 100_000
PAGE_GROUPS = 2_000  # 50 rows per group

SACCT_FIELDS = (
    "Cluster",
    "JobIDRaw",
    "JobID",
    "Account",
    "User",
    "Partition",
    "QOS",
    "State",
    "Submit",
    "Start",
    "End",
    "ElapsedRaw",
    "AllocTRES",
)

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS bench_page_row (
        id bigserial PRIMARY KEY, grp integer NOT NULL, label text NOT NULL, created timestamptz NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS bench_page_row_grp ON bench_page_row (grp, id)",
    "CREATE TABLE IF NOT EXISTS bench_write (key text PRIMARY KEY, created timestamptz NOT NULL DEFAULT now())",
    # A bare table: no index, no constraint, no trigger; the fastest PostgreSQL can take the rows.
    """CREATE UNLOGGED TABLE IF NOT EXISTS bench_usage_copy (
        cluster text, job_id_raw text, job_id text, account text, sacct_user text, partition_name text,
        qos text, state text, submit timestamptz, start_at timestamptz, end_at timestamptz,
        elapsed_raw bigint, alloc_tres text)""",
]

# F-page's table, alone in a bare page (F-page) or in the portal's frame (F-auth-page).
_ROWS = (
    "<table>{% for id, label, created in rows %}"
    "<tr><td>{{ id }}</td><td>{{ label }}</td><td>{{ created }}</td></tr>{% endfor %}</table>"
)
_PAGE_TEMPLATE = Engine().from_string("<!doctype html><title>floor</title>" + _ROWS)


def ensure_schema() -> None:
    """Create the floor tables and fill the F-page table once."""
    with connection.cursor() as cursor:
        for statement in SCHEMA:
            cursor.execute(statement)
        cursor.execute("SELECT count(*) FROM bench_page_row")
        if cursor.fetchone()[0] != PAGE_ROWS:
            cursor.execute("TRUNCATE bench_page_row")
            cursor.execute(
                "INSERT INTO bench_page_row (grp, label, created) "
                "SELECT g %% %s, 'row ' || g, now() - (g || ' seconds')::interval FROM generate_series(1, %s) g",
                [PAGE_GROUPS, PAGE_ROWS],
            )
            cursor.execute("ANALYZE bench_page_row")
        cursor.execute("TRUNCATE bench_write")


def hello(request: HttpRequest) -> HttpResponse:
    """F-hello: the cost of Django and gunicorn alone."""
    return HttpResponse(b"hello", content_type="text/plain")


def page(request: HttpRequest) -> HttpResponse:
    """F-page: one indexed query returning 50 rows, rendered."""
    return HttpResponse(_PAGE_TEMPLATE.render(Context({"rows": _page_rows(request)})))


@cache
def _auth_page_template() -> Any:
    """The portal's own engine (its context processors and tags), with the frame of every portal page."""
    return engines["django"].from_string("{% extends 'base.html' %}{% block content %}" + _ROWS + "{% endblock %}")


@login_required
def auth_page(request: HttpRequest) -> HttpResponse:
    """F-auth-page: F-page's query and rows in the portal's page frame, signed in."""
    return HttpResponse(_auth_page_template().render({"rows": _page_rows(request)}, request))


def _page_rows(request: HttpRequest) -> list[tuple[Any, ...]]:
    group = int(request.GET.get("g", "1")) % PAGE_GROUPS
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, label, created FROM bench_page_row WHERE grp = %s ORDER BY id LIMIT 50", [group])
        return cursor.fetchall()


@csrf_exempt
def write(request: HttpRequest) -> HttpResponse:
    """F-write: one INSERT … ON CONFLICT DO NOTHING in a transaction."""
    return _insert_once(request)


@login_required
def auth_write(request: HttpRequest) -> HttpResponse:
    """F-auth-write: F-write's insert behind everything a signed-in POST passes (CSRF is checked),
    answered with a redirect (quality.md), as a form post is."""
    response = _insert_once(request)
    return HttpResponseRedirect("/_bench/hello/") if response.status_code < 400 else response


def _insert_once(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    key = request.POST.get("key", "")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_write (key) VALUES (%s) ON CONFLICT DO NOTHING", [key])
        created = cursor.rowcount
    return HttpResponse(b"created" if created else b"exists", status=201 if created else 200)


def _sacct_time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    text = str(value).strip()
    if not text or text in {"None", "Unknown", "N/A"}:
        return None
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def copy_row(record: Mapping[str, Any] | Sequence[Any]) -> tuple[Any, ...]:
    """One usage record (a dict keyed by the sacct field names, or a 13-tuple in their order) as a
    typed row of ``bench_usage_copy``."""
    values = [record[f] for f in SACCT_FIELDS] if isinstance(record, Mapping) else list(record)
    if len(values) != len(SACCT_FIELDS):
        raise ValueError(f"a usage row has {len(SACCT_FIELDS)} fields, got {len(values)}")
    values[8], values[9], values[10] = (_sacct_time(v) for v in values[8:11])
    values[11] = int(values[11] or 0)
    return tuple(values)


def copy_rows(records: Iterable[Mapping[str, Any] | Sequence[Any]]) -> dict[str, float]:
    """F-copy: COPY the rows into the bare table in one transaction; returns rows, seconds, rows_per_s.

    The rows are converted to typed tuples before the clock starts, so only PostgreSQL's work and
    the wire are timed.
    """
    rows = [copy_row(r) for r in records]
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE bench_usage_copy")
    seconds = _timed_copy(
        "COPY bench_usage_copy (cluster, job_id_raw, job_id, account, sacct_user, partition_name, qos, "
        "state, submit, start_at, end_at, elapsed_raw, alloc_tres) FROM STDIN",
        rows,
    )
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE bench_usage_copy")
    return {"rows": len(rows), "seconds": seconds, "rows_per_s": len(rows) / seconds if seconds else 0.0}


def _timed_copy(statement: str, rows: Sequence[Sequence[Any]]) -> float:
    """Seconds to send ``rows`` through one ``COPY … FROM STDIN`` in one transaction (commit included)."""
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
    return time.perf_counter() - started


_RECORD_COLUMNS = (
    'job_id_raw, submit, job_id, account, "user", partition, qos, state, start_local, end_local, start_utc,'
    " end_utc, elapsed, alloc_tres, gpus, cpus, gpu_seconds, core_seconds, matched, late, received_at,"
    " updated_at, cluster_id"
)


def copy_rows_into_record_shape(records: Iterable[Mapping[str, Any] | Sequence[Any]], *, cluster_id: int) -> float:
    """Seconds to COPY the rows, in one transaction, into a fresh table shaped like
    ``compute_usagerecord``: its columns, six indexes, check and foreign keys (checked at commit),
    logged. No upsert, no charges, no month totals: only storing the rows. The rows are converted
    before the clock starts."""

    def local(value: datetime | None) -> str:
        return value.strftime("%Y-%m-%dT%H:%M:%S") if value else ""

    now = datetime.now(UTC)
    rows = []
    for record in records:
        _cluster, raw, job, account, user, partition, qos, state, submit, start, end, elapsed, tres = copy_row(record)
        row = [raw, local(submit), job, account, user, partition, qos, state]
        row += [local(start), local(end), start, end, elapsed, tres or ""]
        row += [0, 1, 0, elapsed, False, False]  # gpus, cpus, gpu and core seconds (one CPU); matched, late
        row += [now, now, cluster_id]  # received, updated, cluster
        rows.append(row)
    keys = {
        "cluster_id": "compute_cluster",
        "last_batch_id": "compute_usagebatch",
        "slurm_account_id": "compute_slurmaccount",
    }
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_record_shape")
        cursor.execute("CREATE TABLE bench_record_shape (LIKE compute_usagerecord INCLUDING ALL)")
        for column, table in keys.items():
            cursor.execute(
                f"ALTER TABLE bench_record_shape ADD FOREIGN KEY ({column}) REFERENCES {table} (id)"
                " DEFERRABLE INITIALLY DEFERRED"
            )
    seconds = _timed_copy(f"COPY bench_record_shape ({_RECORD_COLUMNS}) FROM STDIN", rows)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_record_shape")
    return seconds
