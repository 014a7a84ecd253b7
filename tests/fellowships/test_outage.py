"""T11: Redis (the Celery broker) down while 200 applications are submitted.

All 200 are stored and every request succeeds; after Redis returns, the sweepers re-drive the
confirmation emails and a real Celery worker sends each exactly once.

The test never touches the shared Redis on 127.0.0.1:6379 (other test runs use it): it starts its own
``redis-server`` on a free port and points the Celery app's broker at it. The outage is compressed:
Redis is killed before the first submission and restarted after the last, so the 200 submissions all
happen with the broker down; the 2 minutes of quality.md are replaced by the time the 200 requests
take (seconds), because what matters is that every one of them happens during the outage, not the
wall-clock length of it. The sweeper's "older than 30 s" guard is passed by moving the clock forward.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
import redis
import time_machine
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cernai.celery import app
from cernai.core.models import Notification
from cernai.core.tasks import sweep_notifications
from fellowships.models import Application
from fellowships.tasks import sweep as fellowships_sweep
from tests.factories import UserFactory
from tests.fellowships import factories

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]
SUBMISSIONS = 200


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OwnRedis:
    """A private redis-server this test may kill and restart at will."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is needed for T11"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        for _ in range(100):
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise AssertionError("own redis did not start")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


def reset_broker_pools() -> None:
    """Forget connections Celery pooled for the previous broker URL."""
    from kombu import pools

    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()


@pytest.fixture
def own_broker() -> Iterator[OwnRedis]:
    server = OwnRedis()
    server.start()
    saved = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url = server.url
    app.conf.task_always_eager = False
    reset_broker_pools()
    try:
        yield server
    finally:
        server.kill()
        app.conf.broker_url, app.conf.task_always_eager = saved
        reset_broker_pools()


def test_t11_redis_down_while_200_applications_are_submitted(own_broker: OwnRedis, states: None) -> None:
    call = factories.CallFactory(places=5)
    applicants = [UserFactory(email=f"outage{i}@example.org") for i in range(SUBMISSIONS)]
    applications = [factories.filled_application(call, user) for user in applicants]

    own_broker.kill()  # the outage starts

    def submit(pair: tuple[Any, Application]) -> int:
        user, application = pair
        try:
            client = Client()
            client.force_login(user)
            return client.post(reverse("fellowships:submit", args=[application.pk]), {"confirm": "yes"}).status_code
        finally:
            connection.close()  # each thread has its own database connection

    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(submit, zip(applicants, applications, strict=True)))
    assert statuses == [302] * SUBMISSIONS  # every request succeeded (redirect to the status page)
    assert Application.objects.filter(status=Application.Status.SUBMITTED).count() == SUBMISSIONS
    confirmations = Notification.objects.filter(kind="fellowships.application_submitted")
    assert confirmations.count() == SUBMISSIONS
    assert set(confirmations.values_list("email_status", flat=True)) == {Notification.EmailStatus.PENDING}
    assert mail.outbox == []

    own_broker.start()  # Redis is back (empty: whatever was in flight is gone)
    reset_broker_pools()
    with time_machine.travel(timezone.now() + timedelta(minutes=1), tick=True):
        # Beat would run these every minute; running each twice enqueues every email twice, which
        # the send task's claim must absorb.
        assert sweep_notifications() == SUBMISSIONS
        assert sweep_notifications() == SUBMISSIONS
        fellowships_sweep()
    assert redis.Redis(port=own_broker.port).llen(app.conf.task_default_queue) == 2 * SUBMISSIONS

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and redis.Redis(port=own_broker.port).llen(app.conf.task_default_queue):
            time.sleep(0.2)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and confirmations.exclude(email_status="sent").exists():
            time.sleep(0.2)

    assert set(confirmations.values_list("email_status", "email_attempts").distinct()) == {("sent", 1)}
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted(u.email for u in applicants)  # each confirmation exactly once
