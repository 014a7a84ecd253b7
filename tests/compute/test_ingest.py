"""POST /api/v1/compute/usage/ as design.md specifies it, and the staff back-fill command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.models import Sum
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from compute.models import MonthlyUsage, UsageBatch, UsageCharge, UsageRecord

from . import factories
from .conftest import post_json, post_text, token_client

pytestmark = pytest.mark.django_db
JOBS_PSV = Path(settings.BASE_DIR) / "data" / "sacct" / "jobs.psv"


def gpu_hours() -> float:
    return (UsageRecord.objects.aggregate(s=Sum("gpu_seconds"))["s"] or 0) / 3600


def test_rules_example_1_resent_record_counts_once(project: Any, site_fox: str) -> None:
    client = token_client(site_fox)
    first = post_json(client, [factories.job()])
    assert first.status_code == 200, first.content
    assert first.json() | {"batch": None} == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "unmatched": 0,
        "rejected": 0,
        "rejected_records": [],
        "batch": None,
    }
    assert gpu_hours() == 10.0
    again = post_json(client, [factories.job()])
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 1)
    assert gpu_hours() == 10.0


def test_rules_example_2_grown_record_replaces_and_is_audited(project: Any, site_fox: str) -> None:
    client = token_client(site_fox)
    post_json(client, [factories.job(State="RUNNING", End="Unknown")])
    reply = post_json(client, [factories.job(ElapsedRaw="10800")]).json()
    assert reply["updated"] == 1
    assert gpu_hours() == 12.0
    record = UsageRecord.objects.get()
    events = list(record.events.filter(pgh_label="record.replaced"))
    assert len(events) == 1 and events[0].elapsed == 10800
    # The ledger follows: 12 GPU-h in September, not 22.
    assert MonthlyUsage.objects.aggregate(s=Sum("gpu_seconds"))["s"] == 12 * 3600


def test_rules_example_3_month_split_is_stored_per_month(project: Any, login: Any, secretariat: Any) -> None:
    year = timezone.now().year - 1
    # 1 Feb 00:00 in Oslo is 31 Jan 23:00 UTC: two GPUs for two hours → 2 GPU-h in each UTC month.
    record = factories.job(
        Submit=f"{year}-01-31T23:00:00", Start=f"{year}-02-01T00:00:00", ElapsedRaw="7200", AllocTRES="gres/gpu=2"
    )
    assert post_json(login(secretariat), [record]).status_code == 200  # a closed month: staff back-fill
    charges = {(c.month.month, c.gpu_seconds) for c in UsageCharge.objects.all()}
    assert charges == {(1, 2 * 3600), (2, 2 * 3600)}
    ledger = {(m.month.month, m.late_gpu_seconds) for m in MonthlyUsage.objects.all()}
    assert ledger == {(1, 2 * 3600), (2, 2 * 3600)}


def test_sacct_text_is_accepted_like_json(project: Any, site_fox: str) -> None:
    records = factories.jobs(3)
    reply = post_text(token_client(site_fox), factories.as_sacct_text(records))
    assert reply.status_code == 200, reply.content
    assert reply.json()["created"] == 3
    assert post_json(token_client(site_fox), records).json()["unchanged"] == 3


def test_unknown_account_or_user_is_stored_unmatched_and_the_rest_succeeds(project: Any, site_fox: str) -> None:
    records = [
        factories.job(JobIDRaw="1"),
        factories.job(JobIDRaw="2", Account="nobody"),
        factories.job(JobIDRaw="3", User="eve"),
    ]
    reply = post_json(token_client(site_fox), records).json()
    assert (reply["created"], reply["unmatched"], reply["rejected"]) == (3, 2, 0)
    assert set(UsageRecord.objects.filter(matched=False).values_list("job_id_raw", flat=True)) == {"2", "3"}


def test_bad_records_are_rejected_with_index_and_reason(project: Any, site_fox: str) -> None:
    records = [factories.job(JobIDRaw="1"), factories.job(JobIDRaw="x"), factories.job(JobIDRaw="3", ElapsedRaw="-1")]
    reply = post_json(token_client(site_fox), records).json()
    assert reply["created"] == 1
    assert reply["rejected"] == 2
    assert [(r["index"], r["reason"].split(":")[0]) for r in reply["rejected_records"]] == [
        (1, "JobIDRaw"),
        (2, "ElapsedRaw"),
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"rows": []},
        {"records": "nope"},
        {"records": [1, 2]},
        {"records": [{}] * 5001},
    ],
)
def test_malformed_json_batch_is_400_and_nothing_is_stored(project: Any, site_fox: str, body: Any) -> None:
    reply = token_client(site_fox).post("/api/v1/compute/usage/", body, content_type="application/json")
    assert reply.status_code == 400
    assert reply.json()["reasons"]
    assert not UsageRecord.objects.exists() and not UsageBatch.objects.exists()


def test_malformed_sacct_text_is_400_and_nothing_is_stored(project: Any, site_fox: str) -> None:
    good = factories.as_sacct_text(factories.jobs(2))
    for text in (good.split("\n", 1)[1], good + "fox|1|2\n"):
        reply = post_text(token_client(site_fox), text)
        assert reply.status_code == 400, reply.content
        assert reply.json()["reasons"]
    assert not UsageRecord.objects.exists()


def test_other_content_types_are_refused(site_fox: str) -> None:
    reply = token_client(site_fox).post("/api/v1/compute/usage/", b"<x/>", content_type="application/xml")
    assert reply.status_code == 415


def test_no_or_bad_or_revoked_token_is_401(flagship: Any, site_fox: str, client: Any) -> None:
    from compute import services
    from compute.models import SiteToken

    assert post_json(client, [factories.job()]).status_code in (401, 403)
    assert post_json(token_client("cst_wrong"), [factories.job()]).status_code == 401
    services.revoke_site_token(token=SiteToken.objects.get())
    assert post_json(token_client(site_fox), [factories.job()]).status_code == 401


def test_tokens_are_stored_hashed(flagship: Any, site_fox: str) -> None:
    from compute.models import SiteToken

    token = SiteToken.objects.get()
    assert site_fox not in {token.key_hash, token.prefix, token.label}
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM compute_sitetoken WHERE key_hash = %s", [site_fox])
        assert cursor.fetchone()[0] == 0


def test_a_token_cannot_post_for_another_sites_cluster(project: Any, national: Any, site_national: str) -> None:
    reply = post_json(token_client(site_national), [factories.job()]).json()
    assert reply["rejected"] == 1 and reply["created"] == 0
    assert "not a cluster of site 'national'" in reply["rejected_records"][0]["reason"]
    assert not UsageRecord.objects.exists()


def test_t13_closed_month_is_refused_for_sites(project: Any, site_fox: str) -> None:
    reply = post_json(
        token_client(site_fox), [factories.job(Start="2020-01-10T10:00:00", Submit="2020-01-10T09:00:00")]
    )
    body = reply.json()
    assert body["rejected"] == 1
    assert "closed month(s) 2020-01" in body["rejected_records"][0]["reason"]
    assert not UsageRecord.objects.exists()


def test_month_closes_after_the_configured_days(project: Any, site_fox: str, settings: Any) -> None:
    import time_machine

    record = factories.job(
        Start="2026-01-31T20:00:00", Submit="2026-01-31T19:00:00", End="2026-01-31T20:01:00", ElapsedRaw="60"
    )
    settings.COMPUTE_MONTH_CLOSE_DAYS = 5
    with time_machine.travel("2026-02-05T23:00:00Z", tick=False):
        assert post_json(token_client(site_fox), [record]).json()["created"] == 1
    with time_machine.travel("2026-02-06T00:00:01Z", tick=False):
        grown = dict(record, ElapsedRaw="120")
        assert post_json(token_client(site_fox), [grown]).json()["rejected"] == 1
    settings.COMPUTE_MONTH_CLOSE_DAYS = 10
    with time_machine.travel("2026-02-06T00:00:01Z", tick=False):
        assert post_json(token_client(site_fox), [grown]).json()["updated"] == 1


def test_staff_backfill_of_a_closed_month_is_booked_in_its_month_marked_late_and_audited(
    project: Any, login: Any, secretariat: Any
) -> None:
    client = login(secretariat)
    record = factories.job(Start="2020-01-10T10:00:00", Submit="2020-01-10T09:00:00")
    reply = post_json(client, [record])
    assert reply.status_code == 200 and reply.json()["created"] == 1
    stored = UsageRecord.objects.get()
    assert stored.late
    assert stored.events.filter(pgh_label="record.late").count() == 1
    cell = MonthlyUsage.objects.get()
    assert (cell.month.isoformat(), cell.gpu_seconds, cell.late_gpu_seconds) == ("2020-01-01", 0, 36000)


def test_duplicate_keys_in_one_batch_keep_the_last(project: Any, site_fox: str) -> None:
    reply = post_json(
        token_client(site_fox), [factories.job(ElapsedRaw="100"), factories.job(ElapsedRaw="9000")]
    ).json()
    assert (reply["created"], reply["rejected"]) == (1, 1)
    assert reply["rejected_records"][0]["index"] == 0
    assert gpu_hours() == 10.0


def test_ingest_issues_no_query_per_record(project: Any, site_fox: str) -> None:
    client = token_client(site_fox)
    post_json(client, [])  # the token's first use records last_used_at (at most once a minute)
    counts = []
    for size, offset in ((10, 0), (1000, 10_000)):
        with CaptureQueriesContext(connection) as queries:
            assert post_json(client, factories.jobs(size, start_id=offset)).json()["created"] == size
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_real_sacct_history_reproduces_the_readme_totals(db: Any, capsys: Any) -> None:
    factories.make_site("groningen", {"hb": "Europe/Amsterdam"})
    factories.make_site("oslo", {"fox": "Europe/Oslo", "cluster1": "Europe/Oslo"})
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command("ingest_sacct", str(JOBS_PSV))
    assert "created 545" in capsys.readouterr().out
    assert UsageRecord.objects.count() == 545
    per_month = {
        (f"{row['month']:%Y-%m}", row["cluster__name"]): (
            row["jobs"],
            f"{row['gpu'] / 3600:.4f}",
            f"{row['core'] / 3600:.4f}",
        )
        for row in UsageCharge.objects.values("month", "cluster__name")
        .annotate(gpu=Sum("gpu_seconds"), core=Sum("core_seconds"), jobs=Sum(1))
        .order_by("month")
    }
    assert per_month == {
        ("2023-06", "hb"): (20, "0.0000", "55858.4306"),
        ("2023-09", "hb"): (2, "0.0000", "208.1156"),
        ("2023-11", "hb"): (4, "0.0000", "259.0733"),
        ("2024-01", "hb"): (2, "0.0000", "18433.7839"),
        ("2024-02", "hb"): (2, "0.0000", "115.4486"),
        ("2024-03", "hb"): (38, "0.0000", "32904.4469"),
        ("2024-04", "hb"): (24, "220.4039", "13229.9011"),
        ("2024-11", "fox"): (29, "0.8353", "59.6764"),
        ("2025-05", "cluster1"): (290, "38.9997", "1247.0286"),
        ("2025-09", "fox"): (87, "933.3425", "59723.2011"),
    }
    totals = UsageRecord.objects.aggregate(gpu=Sum("gpu_seconds"), core=Sum("core_seconds"))
    assert f"{totals['gpu'] / 3600:.4f}" == "1193.5814"
    assert f"{totals['core'] / 3600:.4f}" == "182039.1061"
    assert UsageRecord.objects.filter(charges__isnull=False).distinct().count() == 496
    # The ledger (late back-fill, every month being closed) holds the same totals.
    ledger = MonthlyUsage.objects.aggregate(gpu=Sum("late_gpu_seconds"), core=Sum("core_seconds"))
    assert ledger == {"gpu": totals["gpu"], "core": 0}
    # Importing the history again changes nothing.
    call_command("ingest_sacct", str(JOBS_PSV))
    assert "created 0, updated 0, unchanged 545" in capsys.readouterr().out


def test_real_sacct_through_the_api_as_text(db: Any, login: Any, secretariat: Any) -> None:
    factories.make_site("groningen", {"hb": "Europe/Amsterdam"})
    factories.make_site("oslo", {"fox": "Europe/Oslo", "cluster1": "Europe/Oslo"})
    reply = post_text(login(secretariat), JOBS_PSV.read_text())
    assert reply.status_code == 200
    assert (reply.json()["created"], reply.json()["unmatched"]) == (545, 545)
    assert f"{gpu_hours():.4f}" == "1193.5814"
