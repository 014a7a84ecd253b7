"""Probes for the load balancer, Prometheus metrics, and request ids that follow a request into its
tasks and logs."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client

from cernai.celery import app
from cernai.core import probes
from cernai.core.models import Notification
from cernai.core.notifications import notify
from tests.fellowships.factories import filled_application

pytestmark = pytest.mark.django_db


def test_healthz_says_the_process_answers() -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_checks_database_redis_and_migrations() -> None:
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "redis": "ok", "migrations": "ok"}}


def test_readyz_is_503_naming_redis_when_redis_is_unreachable(settings: Any) -> None:
    caches = copy.deepcopy(settings.CACHES)
    caches["redis"]["LOCATION"] = "redis://127.0.0.1:6390/0"  # nothing listens there
    settings.CACHES = caches
    response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok" and "ConnectionError" in body["checks"]["redis"]


def test_readyz_is_503_naming_the_first_unapplied_migration(monkeypatch: Any) -> None:
    monkeypatch.setattr(probes, "_migrated", False)
    recorder = MigrationRecorder(connection)
    recorder.migration_qs.filter(app="core", name="0002_cache_table_and_login_throttle").delete()
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert "core.0002_cache_table_and_login_throttle" in response.json()["checks"]["migrations"]


def test_metrics_are_refused_to_strangers_and_given_to_the_scraper(settings: Any) -> None:
    settings.METRICS_TOKEN = "scrape-secret-123"
    settings.METRICS_ALLOWED_NETWORKS = ["10.9.0.0/16"]
    stranger = Client(REMOTE_ADDR="203.0.113.5")
    assert stranger.get("/metrics").status_code == 403
    # X-Forwarded-For does not make a stranger internal.
    assert stranger.get("/metrics", HTTP_X_FORWARDED_FOR="10.9.0.2").status_code == 403
    assert stranger.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert Client(REMOTE_ADDR="10.9.0.2").get("/metrics").status_code == 200
    assert stranger.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-secret-123").status_code == 200


def test_metrics_show_request_latency_per_view_tasks_and_the_notification_backlog(
    applicant: Any, login: Any, django_capture_on_commit_callbacks: Any
) -> None:
    login(applicant).get("/profile/")
    notify(kind="core.welcome", recipients=[applicant], dedupe_key="waiting")  # not committed: waits
    with django_capture_on_commit_callbacks(execute=True):
        notify(kind="core.test", recipients=[applicant], dedupe_key="sent")
    text = Client().get("/metrics").content.decode()
    assert 'cernai_http_request_duration_seconds_count{method="GET",view="core:profile"}' in text
    assert 'cernai_celery_tasks_total{outcome="succeeded",task="core.send_notification_email"}' in text
    assert 'cernai_notification_backlog{state="pending"} 1.0' in text
    assert "cernai_celery_queue_depth{queue=" in text
    assert "cernai_task_failures_unresolved 0.0" in text


def test_a_fresh_request_id_unless_the_caller_sent_a_sane_one() -> None:
    assert Client().get("/healthz", HTTP_X_REQUEST_ID="lb-4711")["X-Request-ID"] == "lb-4711"
    assert len(Client().get("/healthz")["X-Request-ID"]) == 32
    assert Client().get("/healthz", HTTP_X_REQUEST_ID="bad id\n")["X-Request-ID"] != "bad id\n"


@pytest.fixture
def real_queue() -> Iterator[None]:
    """Tasks go through this run's queue on the real Redis and a real (in-thread) worker runs them."""
    app.conf.task_always_eager = False
    app.control.purge()
    try:
        yield
    finally:
        app.control.purge()
        app.conf.task_always_eager = True


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_request_id_follows_the_request_into_its_task_and_the_workers_log(
    states: None, call: Any, applicant: Any, real_queue: None, capfd: Any
) -> None:
    application = filled_application(call, applicant)
    client = Client()
    client.force_login(applicant)
    response = client.post(
        f"/fellowships/applications/{application.pk}/submit/", {"confirm": "on"}, HTTP_X_REQUEST_ID="lb-4711"
    )
    assert response.status_code == 302 and response["X-Request-ID"] == "lb-4711"
    confirmation = Notification.objects.get(recipient=applicant, kind="fellowships.application_submitted")
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        deadline = time.monotonic() + 60
        while (
            time.monotonic() < deadline
            and Notification.objects.filter(pk=confirmation.pk, email_status=Notification.EmailStatus.PENDING).exists()
        ):
            time.sleep(0.2)
    confirmation.refresh_from_db()
    assert confirmation.email_status == Notification.EmailStatus.SENT
    # The worker's log, as the JSON lines an operator's log pipeline reads from its stderr.
    lines = [json.loads(line) for line in capfd.readouterr().err.splitlines() if line.startswith("{")]
    task_lines = [line for line in lines if line.get("task") == "core.send_notification_email"]
    assert [line["message"] for line in task_lines] == [
        "task core.send_notification_email started",
        "task core.send_notification_email finished: SUCCESS",
    ]
    assert {line["request_id"] for line in task_lines} == {"lb-4711"}
    assert all(line["level"] == "INFO" and line["logger"] == "cernai.tasks" for line in task_lines)


def test_log_lines_reach_the_stderr_of_the_moment_after_logging_was_configured_under_a_capture(
    settings: Any, capsys: Any
) -> None:
    """An embedded worker configures logging again on start (the setup_logging receiver); if that
    happens while a test captures stderr, later records must not go to the capture, closed since."""
    import io
    import logging.config
    import sys

    capture = io.StringIO()
    real, sys.stderr = sys.stderr, capture
    try:
        logging.config.dictConfig(settings.LOGGING)
    finally:
        sys.stderr = real
    capture.close()
    logging.getLogger("cernai.tasks").warning("after the capture closed")
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    assert [line["message"] for line in lines] == ["after the capture closed"]
