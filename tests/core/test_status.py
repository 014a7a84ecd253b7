"""The staff status page: PostgreSQL, Redis, worker and beat health, against a real Celery worker."""

from __future__ import annotations

import os
import re
import subprocess
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache

from cernai.celery import app
from cernai.core.tasks import BEAT_HEARTBEAT_KEY, beat_heartbeat
from tests.celery_worker import start_worker


def states(html: str) -> dict[str, str]:
    """{service name: "healthy" | "failing"} from the status table."""
    badge = r'<span class="status-badge status-[a-z]+">(healthy|failing)</span>'
    rows = re.findall(r'<th scope="row">([^<]+)</th><td>' + badge, html)
    return dict(rows)


@pytest.fixture
def private_broker(monkeypatch: Any) -> Iterator[str]:
    """A broker database of this test run alone, so workers of other runs or of `make run` on the
    same Redis cannot answer our pings (the status page pings every worker on its broker)."""
    base = settings.CELERY_BROKER_URL.rsplit("/", 1)[0]
    run, worker = os.environ.get("TEST_RUN_ID", ""), os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    url = f"{base}/{1 + (zlib.crc32(run.encode()) + int(worker.removeprefix('gw'))) % 15}"  # workers differ
    monkeypatch.setitem(app.conf, "broker_url", url)
    # Connection and producer pools are cached: drop them so they are rebuilt on the new URL
    # (monkeypatch puts the originals back afterwards).
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    yield url


def test_status_is_for_staff_only(applicant: Any, secretariat: Any, login: Any) -> None:
    assert login(applicant).get("/status/").status_code == 302
    assert login(secretariat).get("/status/").status_code == 200


def test_without_a_worker_or_beat_the_page_says_so(secretariat: Any, login: Any, private_broker: str) -> None:
    page = login(secretariat).get("/status/").text
    assert states(page) == {
        "PostgreSQL": "healthy",
        "Redis": "healthy",
        "Celery workers": "failing",
        "Celery beat": "failing",
    }
    assert "no worker answered within 1 s" in page
    assert "no beat heartbeat has been recorded" in page
    for entry in settings.CELERY_BEAT_SCHEDULE:
        assert f"<code>{entry}</code>" in page


def test_a_stale_beat_heartbeat_is_failing(secretariat: Any, login: Any, private_broker: str) -> None:
    cache.set(BEAT_HEARTBEAT_KEY, time.time() - 600, timeout=None)
    page = login(secretariat).get("/status/").text
    assert states(page)["Celery beat"] == "failing"
    assert re.search(r"last heartbeat 6\d\d s ago", page)


@pytest.fixture
def worker(private_broker: str, monkeypatch: Any, tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real `celery -A cernai worker` on this run's test queue and private broker."""
    name = f"status-test-{os.getpid()}@%h"
    log = tmp_path / "worker.log"
    log = open(log, "wb")  # noqa: SIM115
    proc = start_worker(
        "--concurrency=1",
        "--pool=solo",
        f"--hostname={name}",
        env={"CELERY_BROKER_URL": private_broker},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while not app.control.ping(timeout=0.5):
            assert proc.poll() is None, (tmp_path / "worker.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
        monkeypatch.setitem(app.conf, "task_always_eager", False)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.mark.slow
def test_with_a_real_worker_and_its_heartbeat_everything_is_healthy(
    secretariat: Any, login: Any, worker: subprocess.Popen[bytes]
) -> None:
    # What beat does every 30 s: send the heartbeat task, which the real worker runs.
    beat_heartbeat.apply_async(queue=settings.CELERY_TASK_DEFAULT_QUEUE)
    deadline = time.monotonic() + 30
    while cache.get(BEAT_HEARTBEAT_KEY) is None:
        assert time.monotonic() < deadline, "the worker did not run the heartbeat task"
        time.sleep(0.2)
    page = login(secretariat).get("/status/").text
    assert states(page) == {
        "PostgreSQL": "healthy",
        "Redis": "healthy",
        "Celery workers": "healthy",
        "Celery beat": "healthy",
    }
    assert f"status-test-{os.getpid()}@" in page
    assert re.search(r"last heartbeat \d+ s ago", page)
