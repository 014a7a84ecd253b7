"""Probes for load balancers and monitoring: ``/healthz`` (the process answers), ``/readyz`` (it can
serve: database, Redis, migrations applied) and ``/metrics`` (Prometheus; restricted)."""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .observability import render_metrics

_migrated = False  # once every migration is applied it stays so for this process's life


@never_cache
@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


def _database() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")


def _redis() -> None:
    caches["redis"]._cache.get_client().ping()  # type: ignore[attr-defined]


def _migrations() -> None:
    global _migrated
    if _migrated:
        return
    # Every migration of the graph, not only a plan towards the leaves: a plan misses a migration left
    # unapplied below an applied one (a half-restored database, a merge applied out of order).
    loader = MigrationLoader(connections[DEFAULT_DB_ALIAS], ignore_no_migrations=True)
    ordered = dict.fromkeys(
        node for leaf in sorted(loader.graph.leaf_nodes()) for node in loader.graph.forwards_plan(leaf)
    )
    missing = [node for node in ordered if node not in loader.applied_migrations]
    if missing:
        raise RuntimeError(f"{len(missing)} migration(s) not applied, first {missing[0][0]}.{missing[0][1]}")
    _migrated = True


CHECKS: dict[str, Callable[[], None]] = {"database": _database, "redis": _redis, "migrations": _migrations}


@never_cache
@require_GET
def readyz(request: HttpRequest) -> HttpResponse:
    results: dict[str, Any] = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # a probe reports failures, it does not raise them
            results[name] = f"failing: {exc!r}"[:300]
    ready = all(value == "ok" for value in results.values())
    body = {"status": "ready" if ready else "unavailable", "checks": results}
    return JsonResponse(body, status=200 if ready else 503)


def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    # The socket's address, never X-Forwarded-For: a scraper on the machine or its private network.
    try:
        remote = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(remote in ipaddress.ip_network(net, strict=False) for net in settings.METRICS_ALLOWED_NETWORKS)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return JsonResponse({"detail": "Metrics are for the monitoring system only."}, status=403)
    return HttpResponse(render_metrics(), content_type="text/plain; version=0.0.4; charset=utf-8")
