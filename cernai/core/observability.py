"""Request ids, structured logs and Prometheus metrics.

- Every request has an id: the ``X-Request-ID`` it came with (from the proxy or load balancer) when
  that is a sane token, or a new one. It is answered in ``X-Request-ID``, put on every log record
  of the request (``request_id``), and sent in the headers of every task the request enqueues, so
  the worker's log records of that task carry it too.
- Logs are JSON lines (``LOG_FORMAT=json``, the default; ``plain`` for a developer's console).
- Metrics are Prometheus' (prometheus_client): request latency per view, tasks by outcome, and at
  scrape time the queue depth, the notification backlog and unresolved task failures. With several
  processes (gunicorn workers, Celery workers) set ``PROMETHEUS_MULTIPROC_DIR`` to one writable
  directory shared by all of them on the machine; ``/metrics`` then adds them up.
"""

from __future__ import annotations

import contextvars
import logging
import os
import re
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import redis
from celery.signals import before_task_publish, task_failure, task_postrun, task_prerun, task_retry, task_success
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
REQUEST_ID_HEADER = "request_id"
_SANE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
logger = logging.getLogger("cernai.tasks")


def incoming_request_id(value: str | None) -> str:
    """The caller's id if it is a sane token (it ends up in logs and headers), else a new one."""
    if value and _SANE.match(value):
        return value
    return uuid.uuid4().hex


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that writes each record to ``sys.stderr`` as it is at that moment.

    A plain ``StreamHandler`` keeps the stream it was configured with; when logging is configured
    again while ``sys.stderr`` is temporarily replaced (a test capturing output, an embedded worker
    that reconfigures logging on start), every later record would go to that stale, maybe closed,
    stream. Python's own last-resort handler works the same way.
    """

    def __init__(self, level: int = logging.NOTSET) -> None:
        logging.Handler.__init__(self, level)

    @property
    def stream(self) -> Any:  # type: ignore[override]
        return sys.stderr


class RequestIdFilter(logging.Filter):
    """Puts the current request's (or task's) id on every log record as ``request_id``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id.get()
        return True


# --- metrics ----------------------------------------------------------------------------------
REQUEST_LATENCY = Histogram(
    "cernai_http_request_duration_seconds",
    "Time to answer a request, per view.",
    ["view", "method"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RESPONSES = Counter("cernai_http_responses_total", "Responses per view and status code.", ["view", "method", "status"])
TASKS = Counter("cernai_celery_tasks_total", "Background tasks by name and outcome.", ["task", "outcome"])


class BacklogCollector(Collector):
    """Read at scrape time: what is waiting and what failed, from Redis and PostgreSQL."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from django.conf import settings

        from .models import Notification, TaskFailure

        queue = GaugeMetricFamily("cernai_celery_queue_depth", "Messages waiting in a Celery queue.", labels=["queue"])
        name = getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")
        try:
            queue.add_metric([name], redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=1).llen(name))
        except Exception:  # Redis down: no sample rather than a failed scrape (readyz reports it)
            logging.getLogger(__name__).warning("queue depth unavailable", exc_info=True)
        yield queue
        backlog = GaugeMetricFamily(
            "cernai_notification_backlog", "Notification emails not yet sent, by state.", labels=["state"]
        )
        states = Notification.EmailStatus
        for state in (states.PENDING, states.SENDING, states.FAILED):
            backlog.add_metric([state], Notification.objects.filter(email_status=state).count())
        yield backlog
        failures = GaugeMetricFamily("cernai_task_failures_unresolved", "Tasks that failed for good, not yet resolved.")
        failures.add_metric([], TaskFailure.objects.filter(resolved_at__isnull=True).count())
        yield failures


_backlog = BacklogCollector()


def render_metrics() -> bytes:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        for collector in (REQUEST_LATENCY, RESPONSES, TASKS):
            registry.register(collector)
    registry.register(_backlog)
    return generate_latest(registry)


# --- Celery: the request id travels in the task's headers; outcomes are counted -------------------
@before_task_publish.connect
def _send_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    if headers is not None and request_id.get() != "-":
        headers.setdefault(REQUEST_ID_HEADER, request_id.get())


_task_tokens: dict[str, contextvars.Token[str]] = {}


@task_prerun.connect
def _task_started(task_id: str = "", task: Any = None, **_: Any) -> None:
    incoming = getattr(task.request, REQUEST_ID_HEADER, None) or (task.request.headers or {}).get(REQUEST_ID_HEADER)
    if incoming:
        _task_tokens[task_id] = request_id.set(incoming)
    logger.info("task %s started", task.name, extra={"task_id": task_id, "task": task.name})


@task_postrun.connect
def _task_finished(task_id: str = "", task: Any = None, state: str = "", **_: Any) -> None:
    logger.info("task %s finished: %s", task.name, state, extra={"task_id": task_id, "task": task.name})
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        request_id.reset(token)


@task_success.connect
def _count_success(sender: Any = None, **_: Any) -> None:
    TASKS.labels(getattr(sender, "name", str(sender)), "succeeded").inc()


@task_failure.connect
def _count_failure(sender: Any = None, **_: Any) -> None:
    TASKS.labels(getattr(sender, "name", str(sender)), "failed").inc()


@task_retry.connect
def _count_retry(sender: Any = None, **_: Any) -> None:
    TASKS.labels(getattr(sender, "name", str(sender)), "retried").inc()
