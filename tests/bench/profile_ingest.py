"""Where an ingest batch's milliseconds go: B5's batch of 5,000 records, in-process, under cProfile.

    .venv/bin/python -m tests.bench.profile_ingest            # 5 batches of 5,000, first send
    .venv/bin/python -m tests.bench.profile_ingest --resend   # the same batches sent a second time

Runs against the bench database with the bench settings (``python -m tests.bench.run --only compute``
creates the site, cluster and accounts it uses). It sends JSON bodies through the API view (Django's
test client, the site token), on a cluster of its own emptied first, and prints the mean time per
batch, the time in named parts (JSON decoding, validation in Python, the database stage ``_store``,
each SQL statement) and cProfile's top functions. Compare with F-copy: ``--copy-floor``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import time

PARTS = [
    ("request: whole view", "rest_framework/views.py", "dispatch"),
    ("JSON body decoded", "rest_framework/parsers.py", "parse"),
    ("ingest_usage (service)", "compute/services/ingest.py", "ingest_usage"),
    ("database stage (_store)", "compute/services/ingest.py", "_store"),
    ("SQL: execute (driver and PostgreSQL)", "django/db/backends/utils.py", "_execute"),
    ("COPY (psycopg write_row)", "psycopg/copy.py", "write_row"),
    ("reply rendered", "rest_framework/response.py", "rendered_content"),
]
CLUSTER = "benchfox-profile"


def _cumulative(stats: pstats.Stats, fragment: str, name: str) -> float:
    total = 0.0
    for (filename, _line, function), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if function == name and filename.replace(os.sep, "/").endswith(fragment):
            total += ct
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.profile_ingest", description=__doc__)
    parser.add_argument("--batches", type=int, default=5)
    parser.add_argument("--resend", action="store_true", help="profile the second send of the same batches")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tottime")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.bench.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from compute import services
    from compute.models import Cluster, Site
    from tests.bench.bench_compute import BATCH, SITE, _records
    from tests.bench.floors import copy_rows

    site = Site.objects.get(slug=SITE)
    cluster, _ = Cluster.objects.get_or_create(name=CLUSTER, defaults={"site": site, "timezone": "Europe/Oslo"})
    with connection.cursor() as cursor:
        for table in ("compute_usagecharge", "compute_monthlyusage", "compute_usagerecord"):
            cursor.execute(f"DELETE FROM {table} WHERE cluster_id = %s", [cluster.pk])
    raw = f"cst_profile_{os.getpid()}_{int(time.time())}"
    services.create_site_token(site=site, label="profile", raw=raw)
    client = Client(HTTP_AUTHORIZATION=f"Token {raw}")
    records = _records(BATCH * args.batches, CLUSTER)
    bodies = [json.dumps({"records": records[i : i + BATCH]}) for i in range(0, len(records), BATCH)]

    def send_all() -> float:
        began = time.perf_counter()
        for body in bodies:
            reply = client.post("/api/v1/compute/usage/", body, content_type="application/json")
            assert reply.status_code == 200, reply.content[:500]
        return time.perf_counter() - began

    if args.resend:
        send_all()
    profiler = cProfile.Profile()
    profiler.enable()
    spent = send_all()
    profiler.disable()
    stats = pstats.Stats(profiler)
    n = len(bodies)
    what = "re-sent" if args.resend else "first send"
    print(f"{n} batches of {BATCH:,} ({what}): {spent / n * 1000:.0f} ms a batch under cProfile")
    for label, fragment, name in PARTS:
        print(f"  {label:45s} {_cumulative(stats, fragment, name) / n * 1000:8.1f} ms")
    floor = copy_rows(records[:BATCH])
    print(f"  {'F-copy of one batch (same 5,000 rows)':45s} {floor['seconds'] * 1000:8.1f} ms")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
