"""Where a request's milliseconds go: one portal request repeated in-process under cProfile.

    .venv/bin/python -m tests.bench.profile /dashboard/ --as someone@example.org
    .venv/bin/python -m tests.bench.profile /fellowships/reviews/ --as r@x.org --n 300 --top 30
    .venv/bin/python -m tests.bench.profile /compute/ --as pi@x.org --callers "trans_real.py.*gettext"

Runs against the bench database (``make bench`` or ``python -m tests.bench.run --only X`` fills it)
with the bench settings, through Django's whole handler and middleware (the test client), signed in
like ``ctx.login`` signs in. It prints the mean time per request, the queries one request makes
(with the time PostgreSQL and the driver took for them), the time spent in named parts of the
stack (SQL, ORM compilation, model instances, templates, the navigation frame, who the person is,
the session), and cProfile's top functions. No network and no gunicorn: the numbers are the CPU of one request.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import time
from collections.abc import Callable
from typing import Any

# (label, file fragment, function name): cumulative time of these functions is reported as a part.
PARTS = [
    ("SQL: execute (driver and PostgreSQL)", "django/db/backends/utils.py", "_execute"),
    ("ORM: compile queries", "django/db/models/sql/compiler.py", "as_sql"),
    ("ORM: model instances from rows", "django/db/models/base.py", "from_db"),
    ("templates: render the page", "django/template/backends/django.py", "render"),
    ("templates: {% include %}", "django/template/loader_tags.py", "render"),
    ("templates: {% url %}", "django/template/defaulttags.py", "render"),
    ("translations looked up", "django/utils/translation/trans_real.py", "gettext"),
    ("navigation frame (context processor)", "cernai/core/context_processors.py", "navigation"),
    ("who the person is (cernai.accounts.roles.standing)", "cernai/accounts/roles.py", "standing"),
    ("session load", "django/contrib/sessions/backends/cached_db.py", "load"),
    ("session save", "django/contrib/sessions/backends/cached_db.py", "save"),
    ("the view (with its template)", "django/core/handlers/base.py", "_get_response"),
]


def _cumulative(stats: pstats.Stats, fragment: str, name: str) -> float:
    """Cumulative seconds of the outermost calls of a function (recursion counted once)."""
    total = 0.0
    for (filename, _line, function), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if function == name and filename.replace(os.sep, "/").endswith(fragment):
            total += ct
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.profile", description=__doc__)
    parser.add_argument("path")
    parser.add_argument("--as", dest="email", help="the person signed in (by email); anonymous if absent")
    parser.add_argument("--n", type=int, default=200, help="requests measured (after 20 to warm up)")
    parser.add_argument("--post", metavar="K=V", action="append", help="POST these form fields instead of a GET")
    parser.add_argument("--top", type=int, default=25, help="functions listed")
    parser.add_argument("--sort", default="tottime", help="pstats order of that list: tottime (own) or cumulative")
    parser.add_argument("--callers", metavar="REGEX", help="also print who calls the functions matching REGEX")
    args = parser.parse_args(argv)

    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.bench.settings"
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from cernai.accounts.models import User

    from .context import signed_in_client

    client = signed_in_client(User.objects.get(email=args.email)) if args.email else Client()
    data = dict(pair.split("=", 1) for pair in args.post or [])
    send: Callable[[], Any] = (lambda: client.post(args.path, data)) if args.post else (lambda: client.get(args.path))

    for _ in range(20):
        status = send().status_code
    with CaptureQueriesContext(connection) as captured:
        send()
    queries = list(captured.captured_queries)  # a view of connection.queries: copy it before it moves
    sql_ms = sum(float(q["time"]) for q in queries) * 1000

    started, cpu_started = time.perf_counter(), time.process_time()
    for _ in range(args.n):
        send()
    plain = (time.perf_counter() - started) / args.n * 1000
    # This process's CPU alone (PostgreSQL's work is not in it): steadier than wall time on a busy box.
    cpu = (time.process_time() - cpu_started) / args.n * 1000

    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(args.n):
        send()
    profiler.disable()
    per_request = (time.perf_counter() - started) / args.n * 1000

    stats = pstats.Stats(profiler)
    print(f"{'POST' if args.post else 'GET'} {args.path} as {args.email or 'anonymous'}: status {status}")
    print(f"{plain:.2f} ms per request without the profiler ({cpu:.2f} ms of this process's CPU),")
    print(f"{per_request:.2f} ms under cProfile (n={args.n})")
    print(f"{len(queries)} queries, {sql_ms:.2f} ms of them measured by Django without the profiler:")
    for query in queries:
        print(f"  {float(query['time']) * 1000:6.2f} ms  {query['sql'][:150]}")
    print("\nParts (cumulative per request and share of it; parts nest, and a name shared by several")
    print("functions of one file, such as render in defaulttags.py, sums all of them):")
    for label, fragment, name in PARTS:
        seconds = _cumulative(stats, fragment, name) / args.n * 1000
        print(f"  {seconds:7.2f} ms  {seconds / per_request:6.1%}  {label}")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
    print(f"\nTop functions by {args.sort} (all requests):")
    print("\n".join(out.getvalue().splitlines()[6:]))
    if args.callers:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_callers(args.callers)
        print(f"\nCallers of {args.callers}:")
        print("\n".join(out.getvalue().splitlines()[6:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
