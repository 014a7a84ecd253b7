"""The usage pages as a PI sees them: each allocation's chart covers its own period, the page says
how a job straddling an allocation's end is charged, the jobs page labels its times with their zone,
a page number past the last answers "not found", an ended allocation says "ended", and storage
reported by the site is shown against its quota in TB-days (and in the public report)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from compute.models import Unit
from tests.browser.conftest import header_link
from tests.compute import factories
from tests.compute.conftest import (  # noqa: F401  (fixtures shared with the compute tests)
    flagship,
    fox,
    gpu_period,
    member,
    pi,
    project,
    site_fox,
    token_client,
)

# ruff: noqa: F811  (the fixtures above are requested by name below)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def chart_of(page: Page, allocation: Any) -> dict[str, Any]:
    data: dict[str, Any] = page.evaluate(
        f"() => JSON.parse(document.getElementById('chart-allocation-{allocation.pk}').textContent)"
    )
    return data


def test_each_allocation_chart_plots_its_own_period_and_the_page_explains_straddling_jobs(
    page: Page,
    live_server: Any,
    browser_login: Any,
    pi: Any,
    project: Any,
    gpu_period: Any,
    secretariat: Any,
    site_fox: str,
) -> None:
    year = timezone.now().year - 1
    earlier = factories.grant(
        project, gpu_period, 500, actor=secretariat, start=date(year, 1, 1), end=date(year, 6, 30)
    )
    current = factories.grant(project, gpu_period, 1000, actor=secretariat)
    # 40 GPU-hours in March of last year (a closed month: the secretariat back-fills it) ...
    backfill = factories.job(
        JobIDRaw="7001",
        JobID="7001",
        Submit=f"{year}-03-10T09:00:00",
        Start=f"{year}-03-10T10:00:00",
        End=f"{year}-03-10T20:00:00",
        ElapsedRaw="36000",
    )
    staff = Client()
    staff.force_login(secretariat)
    assert (
        staff.post("/api/v1/compute/usage/", {"records": [backfill]}, content_type="application/json").json()["created"]
        == 1
    )
    # ... and 10 GPU-hours this month, reported by the site.
    reply = token_client(site_fox).post(
        "/api/v1/compute/usage/", {"records": [factories.job()]}, content_type="application/json"
    )
    assert reply.json()["created"] == 1

    browser_login(page, pi)
    page.goto(f"{live_server.url}/compute/projects/{project.code}/")
    past = chart_of(page, earlier)
    assert past["data"]["labels"] == [f"{year}-{m:02d}" for m in range(1, 7)]
    assert past["data"]["datasets"][0]["data"] == [0, 0, 40.0, 40.0, 40.0, 40.0]
    now = chart_of(page, current)
    assert now["data"]["labels"][0] == f"{current.start:%Y-%m}"
    assert now["data"]["labels"][-1] == f"{timezone.now():%Y-%m}"
    assert now["data"]["datasets"][0]["data"][-1] == 10.0  # last year's March is not in this period
    expect(page.locator("#straddling-rule")).to_contain_text(
        "a job that straddles the allocation's end counts entirely"
    )
    expect(page.locator("#straddling-rule")).to_contain_text("Jobs that ended on or before the end still count")


def test_jobs_page_labels_times_with_their_zone_and_a_page_past_the_last_is_not_found(
    page: Page, live_server: Any, browser_login: Any, pi: Any, project: Any, site_fox: str
) -> None:
    record = factories.job()
    reply = token_client(site_fox).post(
        "/api/v1/compute/usage/", {"records": [record]}, content_type="application/json"
    )
    assert reply.json()["created"] == 1
    local = datetime.fromisoformat(record["Start"]).replace(tzinfo=ZoneInfo("Europe/Oslo"))
    in_utc = local.astimezone(UTC)
    assert in_utc.hour != local.hour  # the two columns must differ for this test to mean anything

    browser_login(page, pi)
    page.goto(f"{live_server.url}/compute/projects/{project.code}/jobs/")
    table = page.get_by_role("table")
    expect(table.get_by_role("columnheader", name="Start (UTC)")).to_be_visible()
    row = table.get_by_role("row").nth(1)
    expect(row.get_by_role("cell").nth(4)).to_have_text(f"{in_utc:%Y-%m-%d %H:%M:%S}")
    expect(row.get_by_role("cell").nth(5)).to_have_text(f"{local:%Y-%m-%d %H:%M:%S} Europe/Oslo")

    for number in ("2", "99999999999999999999", "1000001"):
        response = page.goto(f"{live_server.url}/compute/projects/{project.code}/jobs/?page={number}")
        assert response is not None and response.status == 404, number


@pytest.mark.both_viewports
def test_storage_reported_by_the_site_is_shown_against_its_quota_and_an_ended_allocation_says_ended(
    page: Page,
    live_server: Any,
    browser_login: Any,
    pi: Any,
    project: Any,
    fox: Any,
    gpu_period: Any,
    secretariat: Any,
    site_fox: str,
) -> None:
    today = timezone.now().date()
    ended = factories.grant(
        project, gpu_period, 10, actor=secretariat, start=today - timedelta(days=100), end=today - timedelta(days=1)
    )
    storage_period = factories.make_resource(fox, unit=Unit.STORAGE_TB, capacity=2_000)
    storage = factories.grant(
        project, storage_period, 2, actor=secretariat, start=today - timedelta(days=10), end=today + timedelta(days=300)
    )
    # The site's storage feed: 1.5 TB yesterday, 1.0 TB today (fox's local dates are today or later).
    yesterday = str(today - timedelta(days=1))
    reply = token_client(site_fox).post(
        "/api/v1/compute/storage/",
        {
            "reports": [
                {"cluster": "fox", "account": "ec85", "date": yesterday, "used_bytes": 15 * 10**11},
                {"cluster": "fox", "account": "ec85", "date": str(today), "used_bytes": 10**12},
            ]
        },
        content_type="application/json",
    )
    assert (reply.json()["created"], reply.json()["rejected"]) == (2, 0), reply.json()

    browser_login(page, pi)
    page.goto(f"{live_server.url}/compute/projects/{project.code}/")
    expect(page.get_by_test_id(f"state-{ended.pk}")).to_have_text("ended")
    expect(page.get_by_test_id(f"used-{storage.pk}")).to_contain_text("1.000 TB on")
    expect(page.locator(f"#allocation-{storage.pk}")).to_contain_text("50.0 %")
    section = page.get_by_role("region", name=f"Storage: {storage.resource}")
    expect(section.get_by_test_id(f"storage-summary-{storage.pk}")).to_contain_text(
        "Quota 2 TB; 2.500 TB-days charged from"
    )
    expect(page.locator("#storage-rule")).to_contain_text("charged in TB-days")

    header_link(page, "Allocations report").click()
    expect(page.locator("#storage-rule")).to_contain_text("Storage used so far: 2.500 TB-days.")
    expect(page.locator(f"#resource-{storage.resource_id}")).to_contain_text("2.500")
