"""T10: a real Celery worker is SIGKILLed while it runs 1,000 accounting tasks; after a restart (and
the sweeper's re-drive) every task's effect is present exactly once. A task that always fails stops
after its retries and is shown to staff on the status page."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db.models import Sum

from cernai.celery import app
from cernai.core.models import Notification, TaskFailure
from compute import services
from compute.models import LedgerDelta, MonthlyUsage, UsageBatch
from compute.tasks import ACCOUNTING_RETRIES, account_batch_task
from tests.celery_worker import start_worker

from . import factories

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def start_compute_worker() -> subprocess.Popen[bytes]:
    return start_worker("--concurrency=2", start_new_session=True)


def kill(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)


@pytest.fixture
def real_queue() -> Iterator[None]:
    """Enqueue to Redis instead of running tasks in-process (only for this test)."""
    app.conf.task_always_eager = False
    app.control.purge()
    yield
    app.control.purge()
    app.conf.task_always_eager = True


def processed() -> int:
    return UsageBatch.objects.filter(processed_at__isnull=False).count()


def test_t10_worker_killed_during_1000_accounting_tasks(
    real_queue: None, project: Any, gpu_period: Any, secretariat: Any, flagship: Any
) -> None:
    allocation = factories.grant(project, gpu_period, 1000, actor=secretariat)
    # 1,000 jobs: the even ones on the project's account (500 x 1 GPU x 2 h = the whole 1000 GPU-h
    # grant), the odd ones each on an account of its own, so every task has a ledger cell to write.
    records = [
        factories.job(
            JobIDRaw=str(i),
            JobID=str(i),
            Account="ec85" if i % 2 == 0 else f"a{i}",
            AllocTRES="cpu=2,gres/gpu=1",
            ElapsedRaw="7200",
        )
        for i in range(1000)
    ]
    result = services.ingest_usage(records=records, site=flagship, token=_token(flagship))
    month = UsageBatch.objects.get(pk=result.batch_id).scope[0][2]
    cluster_id = project.slurm_accounts.get().cluster_id
    # One batch (and one accounting task) per job, as if each had been posted alone.
    batches = UsageBatch.objects.bulk_create(
        UsageBatch(site=flagship, scope=[[cluster_id, r["Account"], month]]) for r in records
    )
    # Hand each job's ledger delta to its own batch: applying any of them twice would show in the totals.
    for record, batch in zip(records, batches, strict=True):
        LedgerDelta.objects.filter(batch_id=result.batch_id, account=record["Account"]).update(batch=batch)
    assert not LedgerDelta.objects.filter(batch_id=result.batch_id).exists()
    UsageBatch.objects.filter(pk=result.batch_id).delete()
    for batch in batches:
        account_batch_task.delay(batch.pk)
    assert processed() == 0

    worker = start_compute_worker()
    try:
        wait_for(lambda: processed() >= 150, 120, "the first worker to account some batches")
    finally:
        kill(worker)  # SIGKILL, mid-stream: tasks in flight are lost with it
    done_at_kill = processed()
    assert 150 <= done_at_kill < 1000

    worker = start_compute_worker()
    try:
        # Messages the dead worker had taken are not redelivered before Redis' visibility timeout;
        # the beat sweeper finds their batches unprocessed in the database and re-drives them.
        services.sweep_batches(older_than=timedelta(0))
        wait_for(lambda: processed() == 1000, 180, "every batch to be accounted after the restart")
    finally:
        kill(worker)

    allocation.refresh_from_db()
    assert allocation.used_seconds == 1000 * 3600
    assert allocation.latched_80 and allocation.latched_100
    ledger = MonthlyUsage.objects.aggregate(gpu=Sum("gpu_seconds"), core=Sum("core_seconds"), jobs=Sum("jobs"))
    assert ledger == {"gpu": 1000 * 7200, "core": 1000 * 2 * 7200, "jobs": 1000}
    assert MonthlyUsage.objects.count() == 501
    assert MonthlyUsage.objects.get(account="ec85").jobs == 500
    # Threshold messages: exactly one each, to the PI (the only manager).
    assert Notification.objects.filter(kind="compute.quota_80").count() == 1
    assert Notification.objects.filter(kind="compute.quota_100").count() == 1


def _token(site: Any) -> Any:
    return services.create_site_token(site=site, label="t10")[0]


def test_t10_a_task_that_always_fails_stops_after_its_retries_and_staff_see_it(
    real_queue: None, login: Any, secretariat: Any
) -> None:
    missing_batch = 987_654_321  # accounting a batch that does not exist fails every time
    worker = start_compute_worker()
    try:
        account_batch_task.delay(missing_batch)
        wait_for(
            lambda: TaskFailure.objects.filter(task_name="compute.account_batch").exists(),
            120,
            "the final failure to be recorded",
        )
        time.sleep(1)  # a further retry would have been scheduled by now: there is none
    finally:
        kill(worker)
    failure = TaskFailure.objects.get(task_name="compute.account_batch")
    assert failure.args == [missing_batch]
    assert "DoesNotExist" in failure.exception
    assert ACCOUNTING_RETRIES == 3
    status = login(secretariat).get("/status/")
    assert status.status_code == 200
    assert "compute.account_batch" in status.content.decode()
