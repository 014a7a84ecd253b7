"""Run the benchmarks: ``python -m tests.bench.run [--quick] [--only NAME] [--fresh]``.

Creates and migrates the ``cernai_bench`` database, serves the portal with gunicorn (the production
WSGI application, several workers, DEBUG off) on a free port, measures the floors, then runs every
``tests/bench/bench_<app>.py`` (``run(ctx)``) and writes tests/bench/results/. See README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import socket
import subprocess
import sys
import time
import traceback
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).resolve().parent / "results"
SETTINGS = "tests.bench.settings"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare_database(fresh: bool) -> None:
    import dj_database_url
    import psycopg
    from psycopg import sql

    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cernai_bench")
    config = dj_database_url.parse(url)
    params = {
        "host": config["HOST"] or "127.0.0.1",
        "port": config["PORT"] or 5432,
        "user": config["USER"] or "postgres",
        "password": config["PASSWORD"] or None,
        "dbname": "postgres",
    }
    name = config["NAME"]
    with psycopg.connect(**params, autocommit=True) as conn:
        if fresh:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


class Server:
    """gunicorn serving cernai.wsgi with the bench settings, as production runs it."""

    def __init__(self, workers: int, *, env: dict[str, str] | None = None, log: str = "bench-gunicorn.log") -> None:
        self.port = free_port()
        self.workers = workers
        self.env = env or {}  # e.g. B8's own BENCH_DATABASE_URL
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = ROOT / "var" / log
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        self.log_path.parent.mkdir(exist_ok=True)
        self.log = open(self.log_path, "wb")
        extra = os.environ.get("BENCH_GUNICORN_ARGS", "").split()
        self.proc = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "cernai.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--timeout",
                "300",
                "--backlog",
                "2048",
                "--log-level",
                "warning",
                *extra,
            ],
            cwd=ROOT,
            env={**os.environ, **self.env, "DJANGO_SETTINGS_MODULE": SETTINGS},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        from .context import HttpClient, Req

        client = HttpClient(self.base_url)
        deadline = time.monotonic() + 60
        while client.send(Req("GET", "/_bench/hello/")).status != 200:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not start; see {self.log_path}")
            time.sleep(0.2)
        # Every worker imports Django lazily: warm them all up before anything is timed.
        client.load(Req("GET", "/_bench/page/"), total=self.workers * 20, concurrency=self.workers)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


def measure_floors(ctx: Any) -> None:
    from .context import Req
    from .usage import synthetic_records

    requests = ctx.size(3000, 600)
    concurrency = int(os.environ.get("BENCH_CONCURRENCY", "8"))
    run_key = uuid.uuid4().hex[:8]
    signed_in = ctx.login(floor_person())
    plans = {
        "F-hello": lambda i: Req("GET", "/_bench/hello/"),
        "F-page": lambda i: Req("GET", f"/_bench/page/?g={i * 7919}"),
        "F-auth-page": lambda i: Req("GET", f"/_bench/auth-page/?g={i * 7919}", auth=signed_in),
        "F-write": lambda i: Req("POST", "/_bench/write/", data={"key": f"{run_key}-{i}"}),
        "F-auth-write": lambda i: Req("POST", "/_bench/auth-write/", auth=signed_in, data={"key": f"{run_key}-a{i}"}),
    }
    for name, make in plans.items():
        stats = ctx.load(make, total=requests, concurrency=concurrency)
        errors = stats.errors()
        ctx.floors[name] = {
            "rate": stats.rate,
            "p50_ms": stats.p50_ms,
            "p95_ms": stats.p95_ms,
            "requests": stats.count,
            "errors": errors,
            "concurrency": concurrency,
        }
        ctx.log(f"{name}: {stats.summary()}")
        if errors:
            raise SystemExit(f"{name} floor had {errors} errors: {dict(stats.statuses)}")
    rows = ctx.size(1_000_000, 100_000)
    copied = ctx.copy_floor(synthetic_records(rows))
    ctx.floors["F-copy"] = copied
    ctx.log(f"F-copy: {copied['rows']:,} rows in {copied['seconds']:.2f} s ({copied['rows_per_s']:,.0f} rows/s)")


def floor_person() -> Any:
    """A signed-in person with no institutional role: F-auth-write's author."""
    from cernai.accounts.models import User

    return User.objects.get_or_create(email="floor@bench.example", defaults={"name": "Floor", "password": "!"})[0]


def discover(only: str | None) -> list[str]:
    modules = sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))
    if only:
        wanted = only if only.startswith("bench_") else f"bench_{only}"
        if only == "floors":
            return []
        if wanted not in modules:
            raise SystemExit(f"--only {only}: no tests/bench/{wanted}.py (have: {', '.join(modules) or 'none'})")
        return [wanted]
    return modules


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def markdown(meta: dict[str, Any], floors: dict[str, dict[str, float]], results: list[Any]) -> str:
    from .context import fmt

    lines = [
        f"# Benchmark results ({meta['finished']})",
        "",
        f"Commit `{meta['commit']}`, {meta['cpus']} CPUs, gunicorn {meta['workers']} sync workers, "
        f"load concurrency {meta['concurrency']}{', --quick sizes' if meta['quick'] else ''}.",
        "",
        "## Floors (measured in this run)",
        "",
        "| floor | rate | p50 | p95 |",
        "|---|---|---|---|",
    ]
    for name in ("F-hello", "F-page", "F-auth-page", "F-write", "F-auth-write"):
        if name in floors:
            f = floors[name]
            lines.append(f"| {name} | {fmt(f['rate'])} req/s | {f['p50_ms']:.1f} ms | {f['p95_ms']:.1f} ms |")
    if "F-copy" in floors:
        f = floors["F-copy"]
        lines.append(f"| F-copy | {fmt(f['rows_per_s'])} rows/s | {int(f['rows']):,} rows in {f['seconds']:.2f} s | |")
    lines += [
        "",
        "## Scenarios",
        "",
        "| id | scenario | measured | floor | ratio | target | pass |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else ""
        verdict = {True: "yes", False: "**no**", None: "—"}[r.passed]
        scenario = r.scenario + (f" ({r.note})" if r.note else "")
        lines.append(
            f"| {r.id} | {scenario} | {fmt(r.value)} {r.unit} | {r.floor} | {ratio} | {r.target} | {verdict} |"
        )
    if not results:
        lines.append("| — | no scenario modules ran | | | | | |")
    return "\n".join(lines) + "\n"


def write_results(stem: str, meta: dict[str, Any], floors: Any, results: list[Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    payload = {"meta": meta, "floors": floors, "results": [asdict(r) for r in results]}
    (RESULTS / f"{stem}.json").write_text(json.dumps(payload, indent=2, default=str) + "\n")
    (RESULTS / f"{stem}.md").write_text(markdown(meta, floors, results))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run of every scenario)")
    parser.add_argument("--only", metavar="NAME", help="run one scenario module (e.g. 'governance'), or 'floors'")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the bench database first")
    default_workers = int(os.environ.get("BENCH_WORKERS", 2 * (os.cpu_count() or 1) + 1))
    parser.add_argument("--workers", type=int, default=default_workers, help="gunicorn workers")
    args = parser.parse_args(argv)

    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS
    sys.path.insert(0, str(ROOT))
    prepare_database(args.fresh)
    import django

    django.setup()
    from django.core.management import call_command

    from . import floors
    from .context import Context

    call_command("migrate", interactive=False, verbosity=0)
    floors.ensure_schema()

    started = dt.datetime.now(dt.UTC)
    modules = discover(args.only)
    failures: list[str] = []
    with Server(args.workers) as server:
        ctx = Context(base_url=server.base_url, quick=args.quick, workers=args.workers)
        measure_floors(ctx)
        for name in modules:
            ctx.module = name.removeprefix("bench_")
            ctx.log("starting")
            began = time.perf_counter()
            try:
                importlib.import_module(f"tests.bench.{name}").run(ctx)
            except Exception:
                traceback.print_exc()
                failures.append(name)
                ctx.record(f"{ctx.module}", "scenario module crashed", 0, "", passed=False, note="see the run's output")
            ctx.log(f"done in {time.perf_counter() - began:.1f} s")
            ctx.module = ""

    meta = {
        "started": started.isoformat(timespec="seconds"),
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "workers": args.workers,
        "concurrency": int(os.environ.get("BENCH_CONCURRENCY", "8")),
        "quick": args.quick,
        "modules": [m.removeprefix("bench_") for m in modules],
    }
    stem = "latest" if not args.only else args.only.removeprefix("bench_")
    write_results(stem, meta, ctx.floors, ctx.results)
    print((RESULTS / f"{stem}.md").read_text())
    failed = [r for r in ctx.results if r.passed is False]
    print(f"results: {RESULTS / stem}.{{json,md}}; {len(ctx.results)} measurements, {len(failed)} below target")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
