"""Accounting in Celery: ledger and allocation totals, the 80 % / 100 % latches (rules.md §3
example 5), top-ups that re-arm, blocked accounts, replays and concurrency (T9)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import close_old_connections, connection
from django.db.models import Sum
from django.test import TestCase

from cernai.core.models import Notification
from compute import services
from compute.models import Allocation, MonthlyUsage, UsageRecord

from . import factories
from .conftest import post_json, token_client

pytestmark = pytest.mark.django_db


def quota_messages(kind: str) -> int:
    return Notification.objects.filter(kind=kind).count()


def seconds_job(job_id: int, gpu_seconds: int) -> dict[str, str]:
    """A job that used exactly ``gpu_seconds``, on enough GPUs to have run them since the 1st of the
    month (a record that runs past the present is refused)."""
    gpus = next(n for n in (3600, 36, 4, 1) if gpu_seconds % n == 0)
    return factories.job(
        JobIDRaw=str(job_id),
        JobID=str(job_id),
        AllocTRES=f"cpu=1,gres/gpu={gpus}",
        ElapsedRaw=gpu_seconds // gpus,
        End="Unknown",
    )


@pytest.fixture
def quota(project: Any, gpu_period: Any, secretariat: Any) -> Allocation:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return factories.grant(project, gpu_period, 1000, actor=secretariat)


def test_rules_example_5_80_percent_fires_once(quota: Allocation, site_fox: str, member: Any, mailoutbox: list) -> None:
    client = token_client(site_fox)
    post_json(client, [seconds_job(1, 799 * 3600 + 3564)])  # 799.99 GPU-h
    quota.refresh_from_db()
    assert quota.used_seconds == 799 * 3600 + 3564
    assert quota_messages("compute.quota_80") == 0
    batch = [seconds_job(1, 799 * 3600 + 3564), seconds_job(2, 36)]  # + 0.01 → 800.00
    post_json(client, batch)
    assert quota_messages("compute.quota_80") == 1
    assert Notification.objects.get(kind="compute.quota_80").recipient == quota.project.pi
    assert any("80 %" in m.subject for m in mailoutbox)
    post_json(client, batch)  # replaying the batch
    assert quota_messages("compute.quota_80") == 1
    services.account_batch(batch_id=_last_batch())  # a re-run of the task as well
    assert quota_messages("compute.quota_80") == 1
    assert quota_messages("compute.quota_100") == 0


def _last_batch() -> int:
    from compute.models import UsageBatch

    return UsageBatch.objects.latest("pk").pk


def test_managers_are_told_too_but_plain_members_are_not(quota: Allocation, site_fox: str, member: Any) -> None:
    from compute.models import ProjectMembership

    ProjectMembership.objects.filter(user=member).update(role=ProjectMembership.Role.MANAGER)
    post_json(token_client(site_fox), [seconds_job(1, 800 * 3600)])
    assert set(Notification.objects.filter(kind="compute.quota_80").values_list("recipient", flat=True)) == {
        quota.project.pi_id,
        member.pk,
    }


def test_100_percent_blocks_and_a_top_up_re_arms_above_the_new_level(
    quota: Allocation, site_fox: str, secretariat: Any
) -> None:
    client = token_client(site_fox)
    post_json(client, [seconds_job(1, 1000 * 3600)])
    quota.refresh_from_db()
    assert quota.blocked and quota.latched_80 and quota.latched_100
    assert (quota_messages("compute.quota_80"), quota_messages("compute.quota_100")) == (1, 1)
    limits = token_client(site_fox).get("/api/v1/compute/sites/flagship/limits/").json()["accounts"]
    assert limits[0]["blocked"] is True

    with TestCase.captureOnCommitCallbacks(execute=True):
        services.top_up_allocation(allocation=quota, amount=1000, actor=secretariat)
    quota.refresh_from_db()
    # 1000 of 2000 used: both latches re-armed, the account unblocked.
    assert (quota.latched_80, quota.latched_100, quota.blocked) == (False, False, False)
    limits = token_client(site_fox).get("/api/v1/compute/sites/flagship/limits/").json()["accounts"]
    assert limits[0]["blocked"] is False
    post_json(client, [seconds_job(2, 600 * 3600)])  # 1600 of 2000 = 80 %
    assert (quota_messages("compute.quota_80"), quota_messages("compute.quota_100")) == (2, 1)


def test_top_up_keeps_a_latch_that_is_still_reached(quota: Allocation, site_fox: str, secretariat: Any) -> None:
    post_json(token_client(site_fox), [seconds_job(1, 900 * 3600)])
    services.top_up_allocation(allocation=quota, amount=100, actor=secretariat)  # 900 of 1100 = 81.8 %
    quota.refresh_from_db()
    assert quota.latched_80 and not quota.latched_100


def test_unmatched_records_are_charged_to_nobody_until_staff_match_them(
    quota: Allocation, site_fox: str, secretariat: Any, fox: Any
) -> None:
    from compute.models import ClusterLogin

    post_json(token_client(site_fox), [factories.job(User="bob")])
    quota.refresh_from_db()
    assert quota.used_seconds == 0
    ClusterLogin.objects.create(cluster=fox, username="bob", user=secretariat)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.rematch_records(actor=secretariat)
    quota.refresh_from_db()
    assert quota.used_seconds == 36000


def test_sweeper_re_drives_a_batch_whose_message_was_lost(quota: Allocation, site_fox: str) -> None:
    from datetime import timedelta

    from compute.models import UsageBatch
    from compute.tasks import sweep

    # The batch is stored but its accounting message is lost (no on-commit hooks run here).
    token_client(site_fox).post(
        "/api/v1/compute/usage/", {"records": [seconds_job(1, 3600)]}, content_type="application/json"
    )
    UsageBatch.objects.update(received_at=UsageBatch.objects.get().received_at - timedelta(minutes=5))
    quota.refresh_from_db()
    assert quota.used_seconds == 0
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert sweep() == 1
    quota.refresh_from_db()
    assert quota.used_seconds == 3600
    assert UsageBatch.objects.get().processed_at is not None


def ledger_snapshot() -> list[tuple[Any, ...]]:
    return list(
        MonthlyUsage.objects.order_by("cluster", "account", "user", "month").values_list(
            "cluster", "account", "user", "month", "jobs", "gpu_seconds", "core_seconds"
        )
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_t9_replays_and_concurrent_identical_batches_count_once(
    project: Any, gpu_period: Any, secretariat: Any, site_fox: str
) -> None:
    factories.grant(project, gpu_period, 100_000, actor=secretariat)
    records = [
        factories.job(JobIDRaw=str(i), JobID=str(i), ElapsedRaw=str(60 + i % 600), User=("alice", "bob")[i % 2])
        for i in range(10_000)
    ]
    client = token_client(site_fox)
    for start in range(0, 10_000, 5000):
        assert post_json(client, records[start : start + 5000]).json()["created"] == 5000
    expected_gpu = sum(4 * (60 + i % 600) for i in range(10_000))
    assert UsageRecord.objects.aggregate(s=Sum("gpu_seconds"))["s"] == expected_gpu
    before = ledger_snapshot()
    allocation = Allocation.objects.get()
    used = allocation.used_seconds
    assert used == sum(4 * (60 + i % 600) for i in range(0, 10_000, 2))  # alice's jobs (bob is unmatched)

    for _ in range(3):
        for start in range(0, 10_000, 5000):
            reply = post_json(client, records[start : start + 5000]).json()
            assert (reply["created"], reply["updated"], reply["unchanged"]) == (0, 0, 5000)

    extra = [factories.job(JobIDRaw=str(20_000 + i), ElapsedRaw="100") for i in range(2000)]
    results: list[Any] = []
    barrier = threading.Barrier(2)

    def send() -> None:
        try:
            barrier.wait()
            results.append(post_json(token_client(site_fox), extra + records[:3000]).json())
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r["created"] for r in results) == [0, 2000]
    assert all(r["unchanged"] == 3000 + (2000 - r["created"]) for r in results)
    assert UsageRecord.objects.count() == 12_000
    after = ledger_snapshot()
    changed = [row for row in after if row not in before]
    # Only the cell of the 2000 new jobs changed, by exactly their usage.
    assert sum(row[5] for row in after) - sum(row[5] for row in before) == 2000 * 4 * 100
    assert len(changed) == 1
    allocation.refresh_from_db()
    assert allocation.used_seconds == used + 2000 * 4 * 100


def test_ledger_equals_a_recomputation_from_the_charges(quota: Allocation, site_fox: str) -> None:
    from compute.models import LedgerDelta
    from compute.services.accounting import recompute_ledger

    client = token_client(site_fox)
    post_json(client, [seconds_job(i, 100 + i) for i in range(20)])
    post_json(client, [seconds_job(i, 300 + i) for i in range(10, 30)])  # 10 grown, 10 new
    post_json(client, [seconds_job(i, 300 + i) for i in range(10, 30)])  # a replay
    assert not LedgerDelta.objects.exists()  # every delta applied once and gone
    applied = ledger_snapshot()
    cells = MonthlyUsage.objects.values_list("cluster_id", "account", "month").distinct()
    recompute_ledger([(c, a, m.isoformat()) for c, a, m in cells])
    assert ledger_snapshot() == applied
    assert sum(row[5] for row in applied) == sum(100 + i for i in range(10)) + sum(300 + i for i in range(10, 30))
