"""POST /api/v1/compute/usage/ at its edges: closed months cannot be rewritten by a site, and every
field of a record is bounded (the shapes that once answered 500 are rejected with index and reason)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings

from compute.models import MonthlyUsage, UsageCharge, UsageRecord

from . import factories
from .conftest import post_json, post_text, token_client

pytestmark = pytest.mark.django_db
JOBS_PSV = Path(settings.BASE_DIR) / "data" / "sacct" / "jobs.psv"
OCTOBER = date(2026, 10, 1)


def booked(month: date) -> int:
    return sum(c.gpu_seconds for c in UsageCharge.objects.filter(month=month))


def ledger(month: date) -> tuple[int, int]:
    cells = MonthlyUsage.objects.filter(month=month)
    return sum(c.gpu_seconds for c in cells), sum(c.late_gpu_seconds for c in cells)


# A job of ec85 on fox (Europe/Oslo): 4 GPUs for 10 hours on 20 October 2026.
OCTOBER_JOB = factories.job(
    JobIDRaw="5550001",
    JobID="5550001",
    Submit="2026-10-20T08:00:00",
    Start="2026-10-20T09:00:00",
    End="2026-10-20T19:00:00",
    ElapsedRaw="36000",
    AllocTRES="cpu=8,gres/gpu=4",
)


def test_a_site_cannot_move_a_stored_job_out_of_a_closed_month(
    project: Any, site_fox: str, login: Any, secretariat: Any
) -> None:
    site = token_client(site_fox)
    with time_machine.travel("2026-11-03T12:00:00Z", tick=False):  # October is still open
        assert post_json(site, [OCTOBER_JOB]).json()["created"] == 1
    assert booked(OCTOBER) == 36000 * 4
    assert ledger(OCTOBER) == (36000 * 4, 0)

    # The same key (cluster, JobIDRaw, Submit) re-sent with Start moved into November, once October closed.
    moved = dict(OCTOBER_JOB, Start="2026-11-10T09:00:00", End="2026-11-10T19:00:00")
    with time_machine.travel("2026-11-20T12:00:00Z", tick=False):
        reply = post_json(site, [factories.job(JobIDRaw="5550002", JobID="5550002"), moved])
    body = reply.json()
    assert reply.status_code == 200
    assert (body["created"], body["updated"], body["rejected"]) == (1, 0, 1)
    [refusal] = body["rejected_records"]
    assert refusal["index"] == 1
    assert "closed month(s) 2026-10" in refusal["reason"] and "secretariat" in refusal["reason"]
    # October's charge is still there, in the records and in the ledger.
    assert booked(OCTOBER) == 36000 * 4
    assert ledger(OCTOBER) == (36000 * 4, 0)
    assert UsageRecord.objects.get(job_id_raw="5550001").start_local == "2026-10-20T09:00:00"

    # The secretariat may do it: the record is marked late and its replacement is in the audit trail.
    with time_machine.travel("2026-11-20T12:00:00Z", tick=False):
        staff = post_json(login(secretariat), [moved]).json()
    assert (staff["updated"], staff["rejected"]) == (1, 0)
    record = UsageRecord.objects.get(job_id_raw="5550001")
    assert record.late and record.start_local == "2026-11-10T09:00:00"
    assert booked(OCTOBER) == 0
    assert ledger(OCTOBER) == (0, 0)
    event = record.events.get(pgh_label="record.replaced")
    assert event.start_local == "2026-11-10T09:00:00"
    assert event.pgh_context.metadata["actor"] == secretariat.pk


def test_a_running_job_that_started_in_a_closed_month_may_still_grow(project: Any, site_fox: str) -> None:
    # Started 31 October 21:00 in Oslo (20:00 UTC): its October part is 4 hours, whatever it runs after.
    running = factories.job(
        JobIDRaw="5550003",
        JobID="5550003",
        State="RUNNING",
        Submit="2026-10-31T20:00:00",
        Start="2026-10-31T21:00:00",
        End="Unknown",
        ElapsedRaw=str(2 * 86400),
        AllocTRES="cpu=8,gres/gpu=1",
    )
    site = token_client(site_fox)
    with time_machine.travel("2026-11-03T12:00:00Z", tick=False):
        assert post_json(site, [running]).json()["created"] == 1
    with time_machine.travel("2026-11-20T12:00:00Z", tick=False):
        reply = post_json(site, [dict(running, ElapsedRaw=str(10 * 86400))]).json()
    assert (reply["updated"], reply["rejected"]) == (1, 0)
    assert booked(OCTOBER) == 4 * 3600
    assert booked(date(2026, 11, 1)) == 10 * 86400 - 4 * 3600
    assert not UsageRecord.objects.get(job_id_raw="5550003").late


def real_fox_line() -> dict[str, str]:
    """The first fox record of the shipped real sacct output, moved to this month's first day."""
    lines = JOBS_PSV.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("|")
    row = dict(zip(header, next(line for line in lines if line.startswith("fox|")).split("|"), strict=True))
    today = factories.job()  # this (open) month's dates
    return {**row, "Submit": today["Submit"], "Start": today["Start"], "End": today["End"]}


BAD_SHAPES: list[tuple[dict[str, str], str]] = [
    ({"ElapsedRaw": "\u00b2"}, "ElapsedRaw"),
    ({"ElapsedRaw": "\u0661\u0662"}, "ElapsedRaw"),
    ({"Start": "9999-12-31T23:59:59"}, "Start"),
    ({"Submit": "9999-12-31T23:59:59"}, "Submit"),
    ({"AllocTRES": "cpu=8,gres/gpu=2147483648"}, "AllocTRES"),
    ({"AllocTRES": "cpu=2147483648"}, "AllocTRES"),
    ({"AllocTRES": "cpu=8,gres/gpu=100000", "ElapsedRaw": "100000000000"}, "ElapsedRaw"),  # 3,170 years
    ({"ElapsedRaw": str(366 * 86400 + 1)}, "ElapsedRaw"),  # longer than a year
    ({"AllocTRES": "cpu=8,gres/gpu=100001"}, "AllocTRES"),  # more than 100,000 GPUs
    ({"Start": "2099-01-01T00:00:00", "End": "Unknown"}, "Start"),  # a start in the future
    ({"Account": "ec85\nscontrol shutdown"}, "Account"),
]


def test_every_field_is_bounded_and_bad_records_are_rejected_with_index_and_reason(project: Any, site_fox: str) -> None:
    good = real_fox_line()
    batch = [good] + [dict(good, JobIDRaw=str(990000 + i), **bad) for i, (bad, _) in enumerate(BAD_SHAPES)]
    reply = post_json(token_client(site_fox), batch)
    assert reply.status_code == 200, reply.content
    body = reply.json()
    assert (body["created"], body["rejected"]) == (1, len(BAD_SHAPES))
    reasons = {r["index"]: r["reason"] for r in body["rejected_records"]}
    assert sorted(reasons) == list(range(1, len(BAD_SHAPES) + 1))
    for index, (_, field) in enumerate(BAD_SHAPES, start=1):
        assert reasons[index].startswith(f"{field}:"), reasons[index]
    assert UsageRecord.objects.count() == 1
    assert UsageCharge.objects.count() == 1


def test_the_same_shapes_in_sacct_text_are_rejected_not_500(project: Any, site_fox: str) -> None:
    good = real_fox_line()
    # A newline cannot travel inside a sacct text field; the other shapes can.
    shapes = [(bad, field) for bad, field in BAD_SHAPES if field != "Account"]
    batch = [good] + [dict(good, JobIDRaw=str(990000 + i), **bad) for i, (bad, _) in enumerate(shapes)]
    reply = post_text(token_client(site_fox), factories.as_sacct_text(batch))
    assert reply.status_code == 200, reply.content
    assert (reply.json()["created"], reply.json()["rejected"]) == (1, len(shapes))


def test_the_longest_accepted_job_books_at_most_13_months(project: Any, login: Any, secretariat: Any) -> None:
    longest = factories.job(
        Submit="2025-11-29T12:00:00",
        Start="2025-11-29T13:00:00",
        End="2026-11-30T13:00:00",
        ElapsedRaw=str(366 * 86400),
        AllocTRES="cpu=10000000,gres/gpu=100000",
    )
    with time_machine.travel("2026-11-30T13:00:00Z", tick=False):
        reply = post_json(login(secretariat), [longest])  # its first months are closed: a staff back-fill
    assert reply.status_code == 200 and reply.json()["created"] == 1, reply.content
    record = UsageRecord.objects.get()
    assert record.gpu_seconds == 100_000 * 366 * 86400
    assert UsageCharge.objects.count() == 13


def test_times_are_read_as_strptime_reads_them_in_either_form(project: Any, site_fox: str) -> None:
    """sacct's zero-padded times take a fast path, every other form still goes through strptime: the
    same times are accepted (unpadded fields) and refused (impossible dates, hour 24) as before."""
    month = factories.job()["Submit"][:7]
    year, number = month.split("-")
    unpadded = f"{year}-{int(number)}-1T9:0:0"  # strptime accepts fields without their leading zero
    records = [
        factories.job(JobIDRaw="7001", JobID="7001", Submit=unpadded),
        factories.job(JobIDRaw="7002", JobID="7002", Submit=f"{year}-02-30T09:00:00"),
        factories.job(JobIDRaw="7003", JobID="7003", Start=f"{month}-01T24:00:00"),
        factories.job(JobIDRaw="7004", JobID="7004", End=f"{month}-01T12:30:60"),
        factories.job(JobIDRaw="7005", JobID="7005"),
    ]
    body = post_json(token_client(site_fox), records).json()
    assert (body["created"], body["rejected"]) == (2, 3)
    assert body["rejected_records"] == [
        {
            "index": 1,
            "reason": f"Submit: '{year}-02-30T09:00:00' is not a time like 2024-03-21T13:40:23, Unknown or None",
        },
        {"index": 2, "reason": f"Start: '{month}-01T24:00:00' is not a time like 2024-03-21T13:40:23, Unknown or None"},
        {"index": 3, "reason": f"End: '{month}-01T12:30:60' is not a time like 2024-03-21T13:40:23, Unknown or None"},
    ]
    stored = UsageRecord.objects.get(job_id_raw="7001")
    assert stored.submit == unpadded  # the key keeps Submit verbatim
    assert stored.gpu_seconds == 4 * 9000
