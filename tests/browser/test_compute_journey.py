"""Compute journey: a PI requests an allocation; the secretariat assigns a technical and a scientific
reviewer in the admin; each reviewer finds the request in their queue and records the review in the
portal; the secretariat approves it with a reason; the PI sees the allocation, its Slurm limit and the
reason; the site posts usage through the API, and the PI sees the chart and table move and receives
the 80 % notification. Nothing is recorded behind the browser's back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from compute.access_modes import AccessMode
from tests.browser.conftest import axe_violations, header_link, sign_out
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
from tests.factories import UserFactory

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
    factories.make_call([gpu_period.resource], mode=AccessMode.REGULAR)
    scientist = UserFactory(email="scientist@example.org", name="Sol Scientist", mfa=True)
    browser_login(page, pi)
    page.goto(f"{live_server.url}/compute/projects/{project.code}/")
    page.get_by_role("link", name="Request an allocation").click()
    # The period starts on the 1st of last month, so the jobs below (which end an hour ago and ran
    # for 100 hours) fall inside it whatever the day of the month.
    start = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    page.get_by_label("Call").select_option(index=1)
    page.get_by_label("Resource").select_option(index=1)
    page.get_by_label("Amount").fill("1000")
    page.get_by_label("Start").fill(start.isoformat())
    page.get_by_label("End").fill(start.replace(year=start.year + 1).isoformat())
    page.get_by_label("Justification").fill("Alignment experiments on 4-GPU nodes.")
    page.get_by_role("button", name="Submit the request").click()
    expect(page.get_by_text("Your request is submitted")).to_be_visible()
    sign_out(page)

    # The secretariat works in its own browser window, signed in once (a second sign-in within one
    # TOTP period would reuse a code, which is refused); its pages are checked with axe-core here.
    assert page.context.browser is not None
    staff_context = page.context.browser.new_context(locale="en-GB", timezone_id="Europe/Zurich")
    staff = staff_context.new_page()
    browser_login(staff, secretariat)
    # A regular call needs a technical and a scientific reviewer.
    staff.goto(f"{live_server.url}/admin/compute/allocationrequest/")
    staff.get_by_role("link", name="llm-alignment: 1000").click()
    for person, kind in ((reviewer, "Technical review"), (scientist, "Scientific peer review")):
        staff.get_by_role("link", name="Assign a reviewer").click()
        assert axe_violations(staff) == []
        staff.get_by_label("Reviewer's email address").fill(person.email)
        staff.get_by_label("Kind of review").select_option(label=kind)
        staff.get_by_role("button", name="Assign a reviewer").click()
        expect(staff.locator(".messagelist")).to_contain_text(f"is asked for the {kind}")
    # Not yet decidable: the reviews are missing, and the page says so.
    staff.get_by_role("link", name="Decide").click()
    expect(staff.get_by_text("Reviews still missing: Technical review, Scientific peer review.")).to_be_visible()
    page.context.clear_cookies()

    for person, kind, verdict in ((reviewer, "Technical review", "support"), (scientist, "Scientific", "reduce")):
        browser_login(page, person)
        header_link(page, "Compute reviews").click()
        expect(page.get_by_role("cell", name="to do")).to_be_visible()
        page.get_by_role("link", name="llm-alignment: 1000").click()
        expect(page.get_by_text("Alignment experiments on 4-GPU nodes.")).to_be_visible()
        page.get_by_label("Verdict").select_option(verdict)
        page.get_by_label("Score (0 to 5)").fill("4.5")
        page.get_by_label("Comment (seen by the secretariat)").fill(f"{kind}: sound plan.")
        page.get_by_role("button", name="Record my review").click()
        expect(page.get_by_text("Your review is recorded.")).to_be_visible()
        expect(page.get_by_role("cell", name="recorded")).to_be_visible()
        page.context.clear_cookies()

    staff.goto(f"{live_server.url}/admin/compute/allocationrequest/")
    staff.get_by_role("link", name="llm-alignment: 1000").click()
    expect(staff.get_by_text("Scientific: sound plan.")).to_be_visible()
    staff.get_by_role("link", name="Decide").click()
    assert axe_violations(staff) == []
    staff.get_by_label("Decision").select_option("approve")
    staff.get_by_label("Reason (sent to the PI)").fill("Both reviews support the plan.")
    staff.get_by_role("button", name="Decide on the request").click()
    expect(staff.locator(".messagelist")).to_contain_text("Approved:")
    staff_context.close()

    browser_login(page, pi)
    page.goto(f"{live_server.url}/compute/projects/{project.code}/")
    allocation = project.allocations.get()
    used = page.get_by_test_id(f"used-{allocation.pk}")
    expect(used).to_have_text("0.00")
    expect(page.locator(f"#allocation-{allocation.pk}")).to_contain_text("GrpTRESMins=gres/gpu=60000")
    expect(page.get_by_test_id(f"state-{allocation.pk}")).to_have_text("active")
    expect(page.get_by_text("Both reviews support the plan.")).to_be_visible()
    expect(page.locator("canvas[data-chart]")).to_have_count(1)

    # The site posts 800 GPU-hours (two 4-GPU jobs of 100 h) through the machine API.
    # fox reports in Oslo time; the jobs ended an hour ago, so neither is from the future nor in a
    # closed month (last month stays open for five days, and 100 hours is less than that).
    end = (timezone.now() - timedelta(hours=1)).astimezone(ZoneInfo("Europe/Oslo")).replace(microsecond=0)
    began = end - timedelta(hours=100)
    records = [
        factories.job(
            JobIDRaw=str(i),
            JobID=str(i),
            Submit=(began - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S"),
            Start=began.strftime("%Y-%m-%dT%H:%M:%S"),
            End=end.strftime("%Y-%m-%dT%H:%M:%S"),
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
    expect(page.get_by_text("Allocation request of llm-alignment approved")).to_be_visible()
    assert any("80 %" in m.subject and m.to == [pi.email] for m in mailoutbox)
