"""B8: our pages side by side with ColdFront 1.1.10's, in the same run (quality.md B8, issue 13 item 5).

ColdFront is installed from PyPI into its own venv (``var/bench/coldfront-venv``, once, reused while
it holds 1.1.10), with its own PostgreSQL database (``coldfront_bench`` beside the bench database, or
``BENCH_COLDFRONT_DATABASE``), migrated and set up with its ``initial_setup``; ours is served on a
database of its own too (``our_portal``). Both sides get N = 10,
then N = 1,000 fresh projects (a PI, 2 members and one active allocation each; ``--quick``: 10 and
200); ColdFront is served by its own gunicorn with as many sync workers as ours, and every pair is
measured with the same closed-loop load tool, our side and ColdFront's in alternating halves:

- a PI's project page: ours ``/compute/projects/<code>/``, ColdFront ``/project/<pk>/``;
- a PI's allocations list: ours ``/compute/`` (the PI's projects with their allocations),
  ColdFront ``/allocation/``;
- the public report: ours ``/compute/transparency/`` (its data rendered in the page), ColdFront
  ``/center-summary`` with the fragments and chart data it loads (one page view = all of them; its
  rate is the mixed load's rate divided by their number);
- the report's data alone: ours ``/api/v1/compute/reports/allocations/``, ColdFront's allocations by
  resource type ``/portal/data/resource-by-type/`` (one query per allocation);
- the admin changelist of allocations: ours as the secretariat (second factor included), ColdFront
  as a superuser.

Per pair and size: our req/s against ColdFront's (target ≥ 10 x) and, per pair, our query count at
N = 10 and N = 1,000 (target: equal; ColdFront's counts are in the note). ColdFront's data is made by
``tests/bench/coldfront/cf_data.py`` run with ColdFront's own Python.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from .context import ROOT, Auth, HttpClient, Req, Stats

VERSION = "1.1.10"
VENV = ROOT / "var" / "bench" / "coldfront-venv"
HELPER = Path(__file__).resolve().parent / "coldfront" / "cf_data.py"
LOG = ROOT / "var" / "bench-coldfront.log"
PREFIX = "b8-"  # codes of our generated projects
CLUSTER = "b8fox"
TARGET = 10  # our req/s ≥ TARGET x ColdFront's


class ColdFrontUnavailable(RuntimeError):
    """ColdFront could not be installed, set up or started: B8 fails with this reason."""


# --- ColdFront: install, database, data, server --------------------------------------------------
def _run(cmd: list[str], *, env: dict[str, str] | None = None, what: str, timeout: int = 900) -> str:
    with open(LOG, "a") as log:
        log.write(f"\n$ {' '.join(cmd)}\n")
    try:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ColdFrontUnavailable(f"{what}: {exc!r}") from exc
    with open(LOG, "a") as log:
        log.write(done.stdout + done.stderr)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        tail = " | ".join([line for line in lines if not line.startswith("WARNING")][-3:] or lines[-3:])
        raise ColdFrontUnavailable(f"{what} failed (exit {done.returncode}): {tail} (full log: {LOG})")
    return done.stdout


def _python() -> str:
    """The Python of scripts/find-python.sh (ColdFront 1.1.10 needs ≥ 3.10; its Django 5.2 runs on it)."""
    found = subprocess.run(["bash", str(ROOT / "scripts" / "find-python.sh")], capture_output=True, text=True)
    return found.stdout.strip() if found.returncode == 0 and found.stdout.strip() else sys.executable


def install(ctx: Any) -> Path:
    """ColdFront 1.1.10 (+ psycopg2 for PostgreSQL) in its own venv, created once."""
    python = VENV / "bin" / "python"
    probe = [str(python), "-c", f"import coldfront, psycopg2; assert coldfront.VERSION == {VERSION!r}"]
    if python.exists() and subprocess.run(probe, capture_output=True).returncode == 0:
        return python
    ctx.log(f"coldfront: installing ColdFront {VERSION} into {VENV} (about a minute)")
    VENV.parent.mkdir(parents=True, exist_ok=True)
    _run([_python(), "-m", "venv", "--clear", str(VENV)], what="creating ColdFront's venv")
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    _run([*pip, f"coldfront=={VERSION}", "psycopg2-binary"], what=f"pip install coldfront=={VERSION}")
    _run(probe, what="importing the installed ColdFront")
    return python


def _database_url(default: str, env_name: str = "") -> str:
    """A database on the bench database's server, named by ``env_name``'s variable or ``default``
    suffixed like the bench database (cernai_bench_x → coldfront_bench_x)."""
    import dj_database_url

    config = dj_database_url.parse(
        os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cernai_bench")
    )
    name = (env_name and os.environ.get(env_name)) or default + str(config["NAME"]).removeprefix("cernai_bench")
    user = config["USER"] or "postgres"
    password = f":{config['PASSWORD']}" if config["PASSWORD"] else ""
    host, port = config["HOST"] or "127.0.0.1", config["PORT"] or 5432
    return f"postgres://{user}{password}@{host}:{port}/{name}"


def _create_database(url: str, *, fresh: bool = False) -> None:
    import dj_database_url
    import psycopg
    from psycopg import sql

    config = dj_database_url.parse(url)
    params: dict[str, Any] = {
        "host": config["HOST"],
        "port": config["PORT"],
        "user": config["USER"],
        "password": config["PASSWORD"] or None,
        "dbname": "postgres",
    }
    try:
        with psycopg.connect(**params, autocommit=True) as conn:
            if fresh:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(config["NAME"])))
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]]).fetchone():
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(config["NAME"])))
    except psycopg.Error as exc:
        raise ColdFrontUnavailable(f"database {config['NAME']}: {exc}") from exc


def coldfront_env(url: str) -> dict[str, str]:
    """ColdFront reads its settings from environment variables (coldfront/config/*.py): the database
    from DB_URL. Persistent connections like ours (conn_max_age), DEBUG off, a fixed SECRET_KEY (its
    default is random per process, which would sign each worker's sessions differently)."""
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "LC_ALL", "TZ"}}
    return {
        **keep,
        "DJANGO_SETTINGS_MODULE": "coldfront.config.settings",
        "DB_URL": f"{url}?conn_max_age=600",
        "SECRET_KEY": "coldfront-bench-not-a-secret",
        "DEBUG": "False",
        "STATIC_ROOT": str(ROOT / "var" / "bench" / "coldfront-static"),
    }


@contextmanager
def coldfront_server(python: Path, env: dict[str, str], workers: int) -> Iterator[HttpClient]:
    """ColdFront's WSGI application under gunicorn (its own dependency), as many sync workers as ours."""
    from .run import free_port

    port = free_port()
    log = open(LOG, "ab")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            str(python.parent / "gunicorn"),
            "coldfront.config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "300",
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    client = HttpClient(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 90
        while client.send(Req("GET", "/robots.txt")).status != 200:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise ColdFrontUnavailable(f"ColdFront's gunicorn did not answer on port {port}; see {LOG}")
            time.sleep(0.3)
        yield client
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


# --- our side ------------------------------------------------------------------------------------
@contextmanager
def our_portal(ctx: Any) -> Iterator[HttpClient]:
    """Our side on a database of its own, made afresh: migrated, with the real member states and
    their contribution scale (``governance.demo.seed_states``, as a deployment has them), served by a
    gunicorn of its own with as many workers as the main one. Not the shared bench database: it
    keeps the other scenarios' data between runs, among it B2's 14,161 synthetic member states, and
    our public report lists every member state. For the while, this process's ORM (the data made
    below, ``ctx.login``, ``ctx.query_count``) and Redis keys point at it too."""
    from django.core.cache import caches
    from django.core.management import call_command
    from django.db import connections

    from governance.demo import seed_states

    from . import floors
    from .run import Server

    url = _database_url("cernai_bench_b8", "BENCH_B8_DATABASE")
    name = url.rsplit("/", 1)[1]
    _create_database(url, fresh=True)
    connection, redis = connections["default"], caches["redis"]
    saved = connection.settings_dict["NAME"], redis.key_prefix
    connection.close()
    connection.settings_dict["NAME"], redis.key_prefix = name, f"{redis.key_prefix}-b8"
    try:
        call_command("migrate", interactive=False, verbosity=0)
        floors.ensure_schema()  # the server's warm-up page
        seed_states()
        env = {"BENCH_DATABASE_URL": url, "BENCH_CACHE_PREFIX": redis.key_prefix}
        with Server(ctx.workers, env=env, log="bench-gunicorn-b8.log") as server:
            ctx.log(f"coldfront: our side on its own database {name}, {server.base_url}")
            yield ctx.client(server.base_url)
    finally:
        connection.close()
        connection.settings_dict["NAME"], redis.key_prefix = saved


def populate_ours(n: int) -> dict[str, Any]:
    """Replace our B8 projects by ``n`` fresh ones: PI (manager) + 2 members and one active GPU
    allocation each, on cluster b8fox, bulk-inserted (the services' per-project path would take
    minutes at 1,000 and is measured elsewhere). Returns the first PI, a secretariat member, paths."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.db.models import Sum
    from django.utils import timezone

    from compute.access_modes import AccessMode
    from compute.models import Allocation, Project, ProjectMembership, ResourcePeriod, Unit
    from tests.compute.factories import make_resource, make_site
    from tests.factories import UserFactory

    user_model = get_user_model()
    site = make_site("bench-site", {CLUSTER: "Europe/Oslo"})
    period = make_resource(site.clusters.get(name=CLUSTER), unit=Unit.GPU_HOURS, capacity=10**12)
    with transaction.atomic():
        Allocation.objects.filter(project__code__startswith=PREFIX).delete()
        Project.objects.filter(code__startswith=PREFIX).delete()  # memberships cascade
        user_model.objects.filter(email__startswith=PREFIX, email__endswith="@bench.example").delete()
        people = user_model.objects.bulk_create(
            [
                user_model(email=f"{PREFIX}{i:05d}-{k}@bench.example", name=f"B8 person {i}-{k}", password="!")
                for i in range(n)
                for k in range(3)
            ]
        )
        projects = Project.objects.bulk_create(
            [Project(code=f"{PREFIX}{i:05d}", title=f"B8 project {i}", pi=people[3 * i]) for i in range(n)]
        )
        ProjectMembership.objects.bulk_create(
            [
                ProjectMembership(
                    project=p,
                    user=people[3 * i + k],
                    role=ProjectMembership.Role.MANAGER if k == 0 else ProjectMembership.Role.MEMBER,
                )
                for i, p in enumerate(projects)
                for k in range(3)
            ]
        )
        today = timezone.localdate()
        Allocation.objects.bulk_create(
            [
                Allocation(
                    project=p,
                    period=period,
                    resource=period.resource,
                    access_mode=AccessMode.DEVELOPMENT,
                    start=today - timedelta(days=40),
                    end=today + timedelta(days=325),
                    amount=1000,
                    status=Allocation.Status.ACTIVE,
                )
                for p in projects
            ]
        )
        granted = Allocation.objects.filter(period=period).aggregate(s=Sum("amount"))["s"] or 0
        ResourcePeriod.objects.filter(pk=period.pk).update(granted=granted)
    with connection.cursor() as cursor:
        for table in ("accounts_user", "compute_project", "compute_projectmembership", "compute_allocation"):
            cursor.execute(f"ANALYZE {table}")
    secretariat = UserFactory(
        email="b8-secretariat@bench.example", name="B8 Secretariat", is_staff=True, groups=["Secretariat"], mfa=True
    )
    return {"pi": people[0], "code": projects[0].code, "secretariat": secretariat}


# --- measuring -----------------------------------------------------------------------------------
def _merge(parts: list[Stats]) -> Stats:
    return Stats([r for s in parts for r in s.responses], sum(s.wall_s for s in parts))


def _sized(client: HttpClient, make: Callable[[int], Req], seconds: float, concurrency: int, views: int) -> int:
    """How many requests fill about ``seconds`` at this page's rate (a short probe first, which also
    warms every worker on this page); never fewer than one per client thread, and whole page views
    (a multiple of ``views``, the requests of one view) so every part of a view is sent as often."""
    probe = client.load(make, total=max(concurrency, views), concurrency=concurrency)
    total = max(concurrency, views, min(20_000, int(probe.rate * seconds)))
    return -(-total // views) * views


def interleaved(
    ours: HttpClient,
    our_make: Callable[[int], Req],
    theirs: HttpClient,
    their_make: Callable[[int], Req],
    *,
    seconds: float,
    concurrency: int,
    their_views: int = 1,
) -> tuple[Stats, Stats]:
    """Ours, theirs, ours, theirs: each side's load in two halves, so drift on the shared machine
    falls on both."""
    n_ours = _sized(ours, our_make, seconds / 2, concurrency, 1)
    n_theirs = _sized(theirs, their_make, seconds / 2, concurrency, their_views)
    a, b, c, d = (
        ours.load(our_make, total=n_ours, concurrency=concurrency),
        theirs.load(their_make, total=n_theirs, concurrency=concurrency),
        ours.load(our_make, total=n_ours, concurrency=concurrency),
        theirs.load(their_make, total=n_theirs, concurrency=concurrency),
    )
    return _merge([a, c]), _merge([b, d])


def _fragments(client: HttpClient) -> list[str]:
    """/center-summary and what its page loads: htmx fragments (hx-get) and chart data (data-url)."""
    page = client.send(Req("GET", "/center-summary"))
    if page.status != 200:
        raise ColdFrontUnavailable(f"ColdFront /center-summary answered {page.status}")
    found = re.findall(r'(?:hx-get|data-url)="([^"]+)"', page.text)
    return ["/center-summary", *dict.fromkeys(found)]


def run(ctx: Any) -> None:
    try:
        measure(ctx)
    except ColdFrontUnavailable as exc:
        # Never a silent skip: a failed row with the reason, and the scenario fails (run.py).
        ctx.record("B8", f"ColdFront {VERSION} could not be set up or served", 0, "", passed=False, note=str(exc))
        raise


def measure(ctx: Any) -> None:
    began = time.perf_counter()
    LOG.parent.mkdir(parents=True, exist_ok=True)
    sizes = (10, ctx.size(1000, 200))
    seconds = ctx.size(6.0, 1.5)
    concurrency = int(os.environ.get("BENCH_CONCURRENCY", "8"))
    python = install(ctx)
    url = _database_url("coldfront_bench", "BENCH_COLDFRONT_DATABASE")
    _create_database(url)
    env = coldfront_env(url)
    _run([str(python), str(HELPER), "setup"], env=env, what="ColdFront migrate + initial_setup")
    ctx.log(f"coldfront: ColdFront {VERSION} ready in {time.perf_counter() - began:.0f} s ({url.rsplit('/', 1)[1]})")

    our_counts: dict[str, dict[int, int]] = {}
    their_counts: dict[str, dict[int, int]] = {}
    labels = {
        "project": "a PI's project page",
        "allocations": "a PI's allocations list",
        "report": "public report page (ColdFront: centre summary + its fragments)",
        "data": "public report data (ColdFront: allocations by resource type)",
        "admin": "admin changelist of allocations",
    }
    with our_portal(ctx) as ours:
        for n in sizes:
            ctx.log(f"coldfront: N = {n:,}: generating projects on both sides")
            mine = populate_ours(n)
            pi_auth, staff_auth = ctx.login(mine["pi"]), ctx.login(mine["secretariat"])
            cf_pages = {
                "project": ["/project/{project}/", "pi"],
                "allocations": ["/allocation/", "pi"],
                "report": ["@center-summary", ""],
                "data": ["/portal/data/resource-by-type/", ""],
                "admin": ["/admin/allocation/allocation/", "admin"],
            }
            made = json.loads(
                _run(
                    [str(python), str(HELPER), "populate", str(n), json.dumps(cf_pages)],
                    env=env,
                    what=f"ColdFront data for N = {n}",
                )
                .strip()
                .splitlines()[-1]
            )
            cookie = made["session_cookie"]
            cf_pi = Auth(cookies={cookie: made["pi_session"]}, headers={})
            cf_admin = Auth(cookies={cookie: made["admin_session"]}, headers={})
            our_paths = {
                "project": (f"/compute/projects/{mine['code']}/", pi_auth, mine["pi"]),
                "allocations": ("/compute/", pi_auth, mine["pi"]),
                "report": ("/compute/transparency/", None, None),
                "data": ("/api/v1/compute/reports/allocations/", None, None),
                "admin": ("/admin/compute/allocation/", staff_auth, mine["secretariat"]),
            }
            for key, (path, _auth, user) in our_paths.items():
                status, queries = ctx.query_count(path, user=user)
                if status != 200:
                    raise RuntimeError(f"our {path} answered {status} in-process")
                our_counts.setdefault(key, {})[n] = queries
            for key, (status, queries) in made["queries"].items():
                if status != 200:
                    raise ColdFrontUnavailable(f"ColdFront's {cf_pages[key][0]} answered {status} in-process")
                their_counts.setdefault(key, {})[n] = queries

            # A fresh ColdFront server per size: its centre-summary fragments are cached 15 minutes per
            # worker (cache_page, local memory), which would otherwise serve the previous size's page.
            with coldfront_server(python, env, ctx.workers) as theirs:
                summary = _fragments(theirs)
                their_paths: dict[str, tuple[list[str], Auth | None]] = {
                    "project": ([f"/project/{made['project']}/"], cf_pi),
                    "allocations": (["/allocation/"], cf_pi),
                    "report": (summary, None),
                    "data": (["/portal/data/resource-by-type/"], None),
                    "admin": (["/admin/allocation/allocation/"], cf_admin),
                }

                # Warm every worker of ColdFront (imports, first templates) like run.py warms ours, and
                # fill each worker's cache of the centre-summary fragments it caches (cache_page): the
                # steady state of a site whose summary is read more than once in 15 minutes.
                def warm(i: int, paths: list[str] = summary) -> Req:
                    return Req("GET", paths[i % len(paths)])

                theirs.load(warm, total=ctx.workers * len(summary) * 2, concurrency=ctx.workers)
                for key, label in labels.items():
                    path, auth, _user = our_paths[key]
                    their_list, their_auth = their_paths[key]
                    views = len(their_list)

                    def our_make(i: int, path: str = path, auth: Auth | None = auth) -> Req:
                        return Req("GET", path, auth=auth)

                    def their_make(i: int, paths: list[str] = their_list, auth: Auth | None = their_auth) -> Req:
                        return Req("GET", paths[i % len(paths)], auth=auth)

                    mine_stats, their_stats = interleaved(
                        ours, our_make, theirs, their_make, seconds=seconds, concurrency=concurrency, their_views=views
                    )
                    our_rate, their_rate = mine_stats.rate, their_stats.rate / views
                    errors = mine_stats.errors(ok=(200,)) + their_stats.errors(ok=(200,))
                    ctx.log(f"coldfront: {label} N={n}: ours {mine_stats.summary()}; ColdFront {their_stats.summary()}")
                    ratio = our_rate / their_rate if their_rate else 0.0
                    ctx.record(
                        "B8",
                        f"{label}, N = {n:,}: req/s",
                        our_rate,
                        "req/s",
                        ratio_to=their_rate,
                        floor=f"ColdFront {VERSION} {their_rate:.1f} " + ("page views/s" if views > 1 else "req/s"),
                        target=f"≥ {TARGET} x",
                        passed=errors == 0 and ratio >= TARGET,
                        note=(
                            f"p95 ours {mine_stats.p95_ms:.0f} ms, ColdFront {their_stats.p95_ms:.0f} ms"
                            + (f"; a ColdFront page view = {views} requests" if views > 1 else "")
                            + (f"; {errors} non-200 answers" if errors else "")
                        ),
                    )
    small, large = sizes
    for key, label in labels.items():
        mine_q = our_counts[key]
        theirs_q = their_counts.get(key)
        note = f"ours {mine_q[small]} → {mine_q[large]}"
        if theirs_q:
            note += f"; ColdFront {theirs_q[small]} → {theirs_q[large]}"
        ctx.record(
            "B8",
            f"{label}: queries at N = {small:,} and N = {large:,}",
            mine_q[large],
            "queries",
            target="equal",
            passed=mine_q[small] == mine_q[large],
            note=note,
        )
