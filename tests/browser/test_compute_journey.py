"""Compute journey: a PI requests an allocation, staff approve it in the admin, the site posts usage
through the API, and the PI sees the chart and table move and receives the 80 % notification."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from compute import services
from compute.access_modes import ReviewKind
from compute.models import AllocationRequest
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


def test_pi_requests_staff_approve_site_posts_pi_sees_usage_and_80_percent_notice(
    page: Page,
    live_server: Any,
    browser_login: Any,
    pi: Any,
    project: Any,
    gpu_period: Any,
    secretariat: Any,
    reviewer: Any,
    site_fox: str,
    mailoutbox: list,
) -> None:
    factories.make_call([gpu_period.resource])
    browser_login(page, pi)
    page.goto(f"{live_server.url}/compute/projects/{project.code}/")
    page.get_by_role("link", name="Request an allocation").click()
    today = timezone.now().date()
    page.get_by_label("Call").select_option(index=1)
    page.get_by_label("Resource").select_option(index=1)
    page.get_by_label("Amount").fill("1000")
    page.get_by_label("Start").fill(today.replace(day=1).isoformat())
    page.get_by_label("End").fill(today.replace(day=1).replace(year=today.year + 1).isoformat())
    page.get_by_label("Justification").fill("Alignment experiments on 4-GPU nodes.")
    page.get_by_role("button", name="Submit the request").click()
    expect(page.get_by_text("Your request is submitted")).to_be_visible()
    request = AllocationRequest.objects.get()
    services.add_review(request=request, reviewer=reviewer, kind=ReviewKind.TECHNICAL, verdict="support")
    page.get_by_role("button", name="Sign out").click()

    browser_login(page, secretariat)
    page.goto(f"{live_server.url}/admin/compute/allocationrequest/")
    page.locator("input[name=_selected_action]").first.check()
    page.locator("select[name=action]").select_option("approve")
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_text("Approved:")).to_be_visible()
    page.context.clear_cookies()

    browser_login(page, pi)
    page.goto(f"{live_server.url}/compute/projects/{project.code}/")
    allocation = project.allocations.get()
    used = page.get_by_test_id(f"used-{allocation.pk}")
    expect(used).to_have_text("0.00")
    expect(page.locator("canvas[data-chart]")).to_have_count(1)

    # The site posts 800 GPU-hours (two 4-GPU jobs of 100 h) through the machine API.
    month = today.strftime("%Y-%m")
    records = [
        factories.job(
            JobIDRaw=str(i),
            JobID=str(i),
            Submit=f"{month}-01T01:00:00",
            Start=f"{month}-01T02:00:00",
            ElapsedRaw=str(100 * 3600),
        )
        for i in (1, 2)
    ]
    reply = token_client(site_fox).post("/api/v1/compute/usage/", {"records": records}, content_type="application/json")
    assert reply.status_code == 200 and reply.json()["created"] == 2

    page.reload()
    expect(used).to_have_text("800.00")
    expect(page.get_by_role("cell", name="80.0 %")).to_be_visible()
    page.goto(f"{live_server.url}/notifications/")
    expect(page.get_by_text("Project llm-alignment has used 80 % of its allocation")).to_be_visible()
    assert any("80 %" in m.subject and m.to == [pi.email] for m in mailoutbox)
