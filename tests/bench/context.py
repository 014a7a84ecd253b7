"""What a benchmark scenario gets: ``run(ctx)`` in ``tests/bench/bench_<app>.py`` receives a ``Context``.

See tests/bench/README.md for the contract; this module is the implementation.
"""

from __future__ import annotations

import contextlib
import http.client
import json as jsonlib
import os
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[2]


# --- HTTP ---------------------------------------------------------------------------------------
@dataclass
class Auth:
    """Cookies and headers that make a request come from a signed-in person (CSRF included)."""

    cookies: dict[str, str]
    headers: dict[str, str]
    user_id: int | None = None


@dataclass
class Req:
    """One HTTP request. ``data`` is form-encoded, ``json`` JSON-encoded, ``body`` sent as is."""

    method: str
    path: str
    auth: Auth | None = None
    data: Mapping[str, Any] | None = None
    json: Any = None
    body: bytes | str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    content_type: str | None = None


@dataclass
class Resp:
    status: int  # 0 when the request failed at the socket level
    ms: float
    body: bytes = b""
    error: str = ""
    started: float = 0.0
    ended: float = 0.0

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return jsonlib.loads(self.body)


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


@dataclass
class Stats:
    """Results of many requests: ``wall_s`` from the first send (or the barrier) to the last reply."""

    responses: list[Resp]
    wall_s: float

    @property
    def count(self) -> int:
        return len(self.responses)

    @property
    def statuses(self) -> Counter[int]:
        return Counter(r.status for r in self.responses)

    def errors(self, ok: Iterable[int] = (200, 201, 204, 301, 302, 303)) -> int:
        allowed = set(ok)
        return sum(1 for r in self.responses if r.status not in allowed)

    @property
    def rate(self) -> float:
        return self.count / self.wall_s if self.wall_s else 0.0

    @property
    def p50_ms(self) -> float:
        return statistics.median([r.ms for r in self.responses]) if self.responses else 0.0

    @property
    def p95_ms(self) -> float:
        return percentile([r.ms for r in self.responses], 95)

    @property
    def max_ms(self) -> float:
        return max((r.ms for r in self.responses), default=0.0)

    def summary(self) -> str:
        return (
            f"{self.count} requests in {self.wall_s:.2f} s ({self.rate:.0f}/s), p50 {self.p50_ms:.1f} ms, "
            f"p95 {self.p95_ms:.1f} ms, statuses {dict(self.statuses)}"
        )


class HttpClient:
    """A deliberately plain client: one connection per request (gunicorn's sync workers close
    connections anyway), so the load generator stays cheap on a 2-core machine."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.base_url = base_url.rstrip("/")
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80

    def encode(self, req: Req) -> tuple[bytes | None, dict[str, str]]:
        headers: dict[str, str] = {"Host": f"{self.host}:{self.port}"}
        body: bytes | None = None
        if req.json is not None:
            body = jsonlib.dumps(req.json).encode()
            headers["Content-Type"] = "application/json"
        elif req.data is not None:
            body = urlencode(req.data, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif req.body is not None:
            body = req.body.encode() if isinstance(req.body, str) else req.body
            headers["Content-Type"] = "application/octet-stream"
        if req.content_type:
            headers["Content-Type"] = req.content_type
        if req.auth:
            headers.update(req.auth.headers)
            if req.auth.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in req.auth.cookies.items())
        if req.method.upper() not in {"GET", "HEAD"}:
            # Django's CSRF check on http compares the Origin header when the browser sends one.
            headers.setdefault("Origin", self.base_url)
        headers.update(req.headers)
        return body, headers

    def send(self, req: Req, *, prepared: tuple[bytes | None, dict[str, str]] | None = None) -> Resp:
        body, headers = prepared or self.encode(req)
        started = time.perf_counter()
        conn = http.client.HTTPConnection(self.host, self.port, timeout=300)
        try:
            conn.request(req.method.upper(), req.path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            ended = time.perf_counter()
            return Resp(response.status, (ended - started) * 1000, data, started=started, ended=ended)
        except Exception as exc:
            ended = time.perf_counter()
            return Resp(0, (ended - started) * 1000, error=repr(exc), started=started, ended=ended)
        finally:
            conn.close()

    def burst(self, reqs: Sequence[Req]) -> Stats:
        """One thread per request; all wait at a barrier, then send at once."""
        results: list[Resp | None] = [None] * len(reqs)
        barrier = threading.Barrier(len(reqs) + 1)
        prepared = [self.encode(r) for r in reqs]

        def worker(i: int) -> None:
            barrier.wait()
            results[i] = self.send(reqs[i], prepared=prepared[i])

        threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(len(reqs))]
        for t in threads:
            t.start()
        barrier.wait()
        released = time.perf_counter()
        for t in threads:
            t.join()
        done = [r for r in results if r is not None]
        return Stats(done, max((r.ended for r in done), default=released) - released)

    def load(self, make: Callable[[int], Req] | Req, *, total: int, concurrency: int = 8) -> Stats:
        """``total`` requests from ``concurrency`` threads, each sending its next request as soon as
        the previous one returned (closed loop). ``make(i)`` builds request number ``i``."""
        build = make if callable(make) else (lambda i: make)
        counter = iter(range(total))
        lock = threading.Lock()
        results: list[Resp] = []

        def worker() -> None:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                resp = self.send(build(i))
                with lock:
                    results.append(resp)

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return Stats(results, time.perf_counter() - started)


# --- sessions without the login form ------------------------------------------------------------
def ensure_mfa(user: Any) -> None:
    """Give a person whose role requires MFA a TOTP authenticator, so the MFA middleware lets them in."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    from cernai.accounts.permissions import requires_mfa
    from cernai.core.demo import demo_totp_secret

    if requires_mfa(user) and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, demo_totp_secret(user.email))


def session_markers(user: Any) -> dict[str, Any]:
    """What Django and allauth keep in the session after a password + second-factor login."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    now = time.time()
    return {
        SESSION_KEY: str(user.pk),
        BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
        HASH_SESSION_KEY: user.get_session_auth_hash(),
        "account_authentication_methods": [
            {"method": "password", "at": now, "email": user.email},
            {"method": "mfa", "at": now, "type": "totp", "id": 0},
        ],
    }


def signed_in_client(user: Any) -> Any:
    """Django's test client (in-process, on the bench database) with ``user``'s session, as a
    password + second-factor login leaves it."""
    from django.test import Client

    client = Client()
    ensure_mfa(user)
    client.force_login(user)
    session = client.session
    session.update({k: v for k, v in session_markers(user).items() if k.startswith("account_")})
    session.save()
    return client


def login_auth(user: Any) -> Auth:
    """A real session for ``user`` (stored like a login would), plus a CSRF cookie and header."""
    from django.conf import settings
    from django.contrib.sessions.backends.cached_db import SessionStore
    from django.middleware.csrf import _get_new_csrf_string  # type: ignore[attr-defined]

    ensure_mfa(user)
    store = SessionStore()
    for key, value in session_markers(user).items():
        store[key] = value
    store.create()
    csrf = _get_new_csrf_string()
    return Auth(
        cookies={settings.SESSION_COOKIE_NAME: str(store.session_key), settings.CSRF_COOKIE_NAME: csrf},
        headers={"X-CSRFToken": csrf},
        user_id=user.pk,
    )


# --- results ------------------------------------------------------------------------------------
@dataclass
class Result:
    id: str
    scenario: str
    value: float
    unit: str
    floor: str = ""
    reference: float | None = None
    ratio: float | None = None
    target: str = ""
    passed: bool | None = None
    note: str = ""
    module: str = ""


class Context:
    """Handed to every scenario's ``run(ctx)``. See tests/bench/README.md."""

    def __init__(
        self, *, base_url: str, quick: bool, floors: dict[str, dict[str, float]] | None = None, workers: int = 1
    ) -> None:
        self.base_url = base_url
        self.quick = quick
        self.workers = workers  # gunicorn sync workers serving base_url (B8 starts ColdFront with as many)
        self.floors: dict[str, dict[str, float]] = floors or {}
        self.results: list[Result] = []
        self.http = HttpClient(base_url)
        self.module = ""

    # Sizes ------------------------------------------------------------------------------------
    def size(self, full: int, quick: int) -> int:
        """``full`` normally, ``quick`` with --quick."""
        return quick if self.quick else full

    def log(self, message: str) -> None:
        print(f"[{self.module or 'bench'}] {message}", flush=True)

    # People and requests -----------------------------------------------------------------------
    def login(self, user: Any) -> Auth:
        return login_auth(user)

    def request(self, req: Req) -> Resp:
        return self.http.send(req)

    def get(self, path: str, auth: Auth | None = None, **kwargs: Any) -> Resp:
        return self.http.send(Req("GET", path, auth=auth, **kwargs))

    def post(self, path: str, auth: Auth | None = None, **kwargs: Any) -> Resp:
        return self.http.send(Req("POST", path, auth=auth, **kwargs))

    def burst(self, reqs: Sequence[Req]) -> Stats:
        return self.http.burst(reqs)

    def load(self, make: Callable[[int], Req] | Req, *, total: int, concurrency: int = 8) -> Stats:
        return self.http.load(make, total=total, concurrency=concurrency)

    def client(self, base_url: str) -> HttpClient:
        """The same load tool (``.send``, ``.burst``, ``.load``) against another server, e.g. ColdFront
        in B8; requests signed in there carry that server's cookies in an ``Auth`` built by hand."""
        return HttpClient(base_url)

    def query_count(
        self, path: str, *, user: Any = None, method: str = "get", data: Any = None, **extra: Any
    ) -> tuple[int, int]:
        """(status, number of SQL queries) of one request, run in-process against the bench
        database with Django's test client (signed in as ``user`` when given)."""
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        client = signed_in_client(user) if user is not None else Client()
        with CaptureQueriesContext(connection) as captured:
            response = getattr(client, method)(path, data, **extra)
        return response.status_code, len(captured)

    def copy_floor(self, rows: Iterable[Mapping[str, Any] | Sequence[Any]]) -> dict[str, float]:
        """F-copy for your own rows: COPY them into the bare table; returns rows, seconds, rows_per_s."""
        from .floors import copy_rows

        return copy_rows(rows)

    @contextlib.contextmanager
    def worker(self, concurrency: int = 2) -> Iterator[subprocess.Popen[bytes]]:
        """A real Celery worker on the bench queue for the duration of the block."""
        log = open(ROOT / "var" / "bench-worker.log", "ab")  # noqa: SIM115
        proc = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "celery"),
                "-A",
                "cernai",
                "worker",
                "-Q",
                "cernai-bench",
                "--concurrency",
                str(concurrency),
                "--loglevel",
                "WARNING",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"bench-{os.getpid()}@%h",
            ],
            cwd=ROOT,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.bench.settings"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            from cernai.celery import app

            deadline = time.monotonic() + 60
            while not app.control.ping(timeout=0.5, destination=[f"bench-{os.getpid()}@{os.uname().nodename}"]):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the bench Celery worker did not start; see var/bench-worker.log")
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()

    # Results ------------------------------------------------------------------------------------
    def floor(self, name: str, metric: str) -> float:
        """A floor value, e.g. ``ctx.floor("F-write", "rate")`` or ``ctx.floor("F-page", "p95_ms")``."""
        return float(self.floors[name][metric])

    def record(
        self,
        id: str,
        scenario: str,
        value: float,
        unit: str,
        *,
        ratio_to: str | float | None = None,
        floor: str = "",
        target: float | str | None = None,
        passed: bool | None = None,
        note: str = "",
    ) -> Result:
        """Record one measurement.

        ``ratio_to`` is the reference the value is compared with: a floor metric named
        ``"F-page.p95_ms"`` / ``"F-write.rate"`` / ``"F-copy.seconds"``, or a number you derived from
        the floors (e.g. ``2 * 120 / ctx.floor("F-write", "rate")`` — then describe it in ``floor``).
        The ratio is ``value / reference``. A numeric ``target`` is a maximum: for the ratio when
        there is one, else for the value; ``passed`` is then computed unless you give it.
        """
        reference: float | None = None
        if isinstance(ratio_to, str):
            name, _, metric = ratio_to.partition(".")
            reference = self.floor(name, metric)
            floor = floor or f"{name} {metric} {fmt(reference)}"
        elif ratio_to is not None:
            reference = float(ratio_to)
            floor = floor or fmt(reference)
        ratio = value / reference if reference else None
        target_text = ""
        if isinstance(target, int | float):
            checked = ratio if ratio is not None else value
            if passed is None:
                passed = checked <= target
            target_text = f"≤ {fmt(target)} x" if ratio is not None else f"≤ {fmt(target)} {unit}"
        elif target:
            target_text = str(target)
        result = Result(
            id=id,
            scenario=scenario,
            value=float(value),
            unit=unit,
            floor=floor,
            reference=reference,
            ratio=ratio,
            target=target_text,
            passed=passed,
            note=note,
            module=self.module,
        )
        self.results.append(result)
        verdict = {True: "PASS", False: "FAIL", None: "-"}[passed]
        ratio_text = f" ratio {ratio:.2f}" if ratio is not None else ""
        self.log(f"{id} {scenario}: {fmt(value)} {unit}{ratio_text} {target_text} {verdict}")
        return result


def fmt(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"
